"""A one-line progress display for long loops (training, calibration, evaluation)."""
import sys
import time


class Progress:
    def __init__(self, total: int, label: str, stream=sys.stderr):
        self.total, self.label, self.stream = max(total, 1), label, stream
        self.start = time.time()
        self.tty = stream.isatty()
        self._last_print = 0.0

    def update(self, done: int, info: str = "", force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last_print < (0.5 if self.tty else 10.0):
            return
        self._last_print = now
        frac = min(done / self.total, 1.0)
        elapsed = now - self.start
        eta = elapsed / frac - elapsed if frac > 0 else float("nan")
        bar = "#" * int(frac * 24) + "-" * (24 - int(frac * 24))
        line = f"{self.label} [{bar}] {done}/{self.total} {elapsed:5.0f}s eta {eta:4.0f}s {info}"
        self.stream.write(("\r" + line + "\033[K") if self.tty else line + "\n")
        self.stream.flush()

    def close(self, info: str = "") -> None:
        self.update(self.total, info, force=True)
        if self.tty:
            self.stream.write("\n")
