"""A synthetic log generator that widens the thin log part of the training mix.

It writes syslog, log4j, JSON and access-log shaped lines with realistic variable fields (hosts,
pids, ids, IPs, latencies, paths). It is seeded, so the same seed gives the same bytes everywhere.
Its output is training data only; it never goes into evaluation sets.
"""
import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

HOSTS = ["web-01", "web-02", "db-primary", "cache-3", "worker-17", "edge-eu-1", "kafka-2", "api-gw"]
DAEMONS = ["sshd", "systemd", "kernel", "cron", "nginx", "postfix/smtpd", "dockerd", "kubelet"]
USERS = ["root", "alice", "bob", "deploy", "svc-backup", "www-data", "admin"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
CLASSES = ["org.apache.kafka.clients.NetworkClient", "com.acme.orders.OrderService",
           "org.apache.flink.runtime.taskmanager.Task", "com.acme.auth.TokenValidator",
           "org.springframework.web.servlet.DispatcherServlet", "io.netty.channel.nio.NioEventLoop"]
PATHS = ["/api/v1/orders", "/api/v1/users/{id}", "/static/js/app.js", "/login", "/health",
         "/api/v2/search?q={word}", "/images/{id}.png", "/metrics"]
WORDS = ["timeout", "connection", "refused", "retry", "checkpoint", "partition", "rebalance", "commit",
         "session", "token", "expired", "cache", "miss", "flush", "segment", "offset"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
          "curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1", "kube-probe/1.29"]


def _ip(r):
    return f"{r.choice([10, 172, 192, 203, 66])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


# The messages' templates are data: {user}, {host}, {word}, {ip} and {A..B} (randrange(A, B)).
MESSAGES = json.loads(Path(__file__).with_name("synthetic_log_messages.json").read_text())
_FIELDS = {"user": lambda r: r.choice(USERS), "host": lambda r: r.choice(HOSTS), "word": lambda r: r.choice(WORDS),
           "ip": _ip}
_PLACEHOLDER = re.compile(r"\{(?:(\d+)\.\.(\d+)|(\w+))\}")


def _fill(template, r):
    """The template with its placeholders drawn left to right, as an f-string evaluates its fields."""
    def draw(m):
        if m.group(1) is not None:
            return str(r.randrange(int(m.group(1)), int(m.group(2))))
        return _FIELDS[m.group(3)](r)
    return _PLACEHOLDER.sub(draw, template)


def _message(r, shape):
    # Every template is filled before one is chosen (the order the generator has always drawn in),
    # so that each seed keeps giving the same bytes.
    return r.choice([_fill(t, r) for t in MESSAGES[shape]])


def _syslog(r, ts):
    daemon = r.choice(DAEMONS)
    msg = _message(r, "syslog")
    return f"{ts:%b %d %H:%M:%S} {r.choice(HOSTS)} {daemon}[{r.randrange(1, 65535)}]: {msg}"


def _log4j(r, ts):
    level = r.choice(LEVELS)
    msg = _message(r, "log4j")
    thread = r.choice(["main", f"pool-{r.randrange(1, 9)}-thread-{r.randrange(1, 32)}", "kafka-producer-network-thread"])
    return f"{ts:%Y-%m-%d %H:%M:%S},{ts.microsecond // 1000:03d} {level:5} [{thread}] {r.choice(CLASSES)} - {msg}"


def _json(r, ts):
    record = {
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
        "level": r.choice(LEVELS).lower(),
        "service": r.choice(["orders", "auth", "search", "billing"]),
        "msg": f"{r.choice(WORDS)} {r.choice(WORDS)}",
        "trace_id": f"{r.getrandbits(64):016x}",
        "latency_ms": round(r.expovariate(1 / 40), 2),
    }
    if r.random() < 0.3:
        record["user"] = r.choice(USERS)
    return json.dumps(record, separators=(",", ":"))


def _access(r, ts):
    path = r.choice(PATHS).format(id=r.randrange(1, 10**5), word=r.choice(WORDS))
    status = r.choice([200, 200, 200, 200, 304, 404, 500, 301])
    return (f'{_ip(r)} - - [{ts:%d/%b/%Y:%H:%M:%S} +0000] "{r.choice(["GET", "GET", "POST", "PUT"])} {path} HTTP/1.1" '
            f'{status} {r.randrange(0, 50000)} "-" "{r.choice(AGENTS)}"')


SHAPES = (_syslog, _log4j, _json, _access)


def generate(num_bytes: int, seed: int) -> bytes:
    """About num_bytes of log lines, ending with a newline."""
    r = random.Random(seed)
    ts = datetime(2024, 3, 1, 0, 0, 0)
    lines, size = [], 0
    while size < num_bytes:
        ts += timedelta(milliseconds=r.randrange(1, 5000))
        line = r.choice(SHAPES)(r, ts) + "\n"
        lines.append(line)
        size += len(line.encode())
    return "".join(lines).encode()
