package dev.blt.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn at most every 200 ms; plain lines when not a terminal
 * (at most every 5 s). With an unknown total (0 or less) it shows only the count done.
 */
final class ProgressBar {

    private final PrintStream err;
    private final String label;
    private final long total;
    private final boolean knownTotal;
    private final boolean terminal = System.console() != null;
    private final long started = System.nanoTime();
    private long lastDraw;
    private long lastDone;
    private long drawnDone = -1;
    private boolean finished;

    ProgressBar(PrintStream err, String label, long total) {
        this.err = err;
        this.label = label;
        this.knownTotal = total > 0;
        this.total = Math.max(1, total);
    }

    void update(long done, String info) {
        long now = System.nanoTime();
        if (finished) {
            return;
        }
        lastDone = done;
        finished = knownTotal && done >= total;
        if (now - lastDraw < (terminal ? 200_000_000L : 5_000_000_000L) && !finished) {
            return;
        }
        lastDraw = now;
        drawnDone = done;
        double seconds = (now - started) / 1e9;
        String line;
        if (knownTotal) {
            double frac = Math.min(1.0, (double) done / total);
            int filled = (int) (frac * 30);
            String bar = "#".repeat(filled) + "-".repeat(30 - filled);
            line = String.format("%s [%s] %3.0f%% %.1fs %s", label, bar, frac * 100, seconds, info);
        } else {
            line = String.format("%s %d %.1fs %s", label, done, seconds, info);
        }
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
    }

    void done(String info) {
        if (!finished && (knownTotal || drawnDone != lastDone)) {
            lastDraw = 0;
            update(knownTotal ? total : lastDone, info);
        }
        finished = true;
        if (terminal) {
            err.println();
        }
    }
}
