#!/usr/bin/python3
"""Collects a training corpus of genuine logs from real software, made here.

Each source installs Debian packages (apt-get, no recommends), writes a minimal loopback-only
configuration into a temporary directory, starts the daemon, drives seeded traffic at it (normal
use, errors, bad requests, failed logins, restarts, slow queries, crashes), stops it and copies its
log files to <out>/<source>/<file>.log. <out>/MANIFEST.json records, per source, the files (bytes,
lines), the package versions (dpkg-query), the seed and the command.

    /usr/bin/python3 model-export/collect_logs.py --out model-export/corpus_real [--seed 7]
        [--minutes-per-source 1] [--only nginx,redis] [--compress]

Run as root on a scratch Debian machine (it installs packages, and for the syslog-based sources it
binds /dev/log for the duration of the source). Only 127.0.0.1 and generated user names appear in
the traffic. A failing source is reported and skipped; the others still run.
"""

import argparse
import base64
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BLT_JAR = REPO / "flink-job" / "target" / "blt.jar"

SOURCES = {}


def source(name, packages, formats):
    def register(fn):
        SOURCES[name] = {"fn": fn, "packages": packages, "formats": formats}
        return fn
    return register


# ---------------------------------------------------------------------------------------------
# helpers

def run(cmd, check=True, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    try:
        r = subprocess.run(cmd, shell=isinstance(cmd, str), text=True, **kw)
    except subprocess.TimeoutExpired as e:
        if check:
            raise
        return subprocess.CompletedProcess(cmd, 124, stdout=str(e.stdout or ""))
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd!r} exited {r.returncode}: {(r.stdout or '')[-2000:]}")
    return r


def apt_install(packages):
    missing = [p for p in packages if run(["dpkg-query", "-W", "-f=${Status}", p], check=False).stdout.strip()
               != "install ok installed"]
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "install", "-y", "--no-install-recommends"] + missing, env=env)


def versions(packages):
    out = {}
    for p in packages:
        r = run(["dpkg-query", "-W", "-f=${Version}", p], check=False)
        out[p] = r.stdout.strip() if r.returncode == 0 else None
    return out


def wait_port(port, timeout=60, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited {proc.returncode} before port {port} opened")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open in {timeout}s")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(cmd, log=None, **kw):
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            start_new_session=True, **kw)


def stop(proc, sig=signal.SIGTERM, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def kill_pidfile(path, sig=signal.SIGTERM, timeout=20):
    path = Path(path)
    if not path.exists():
        return
    with contextlib.suppress(ValueError, ProcessLookupError):
        pid = int(path.read_text().split()[0])
        os.kill(pid, sig)
        end = time.time() + timeout
        while time.time() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)


WORDS = ("api users orders items search login logout static img css js admin health metrics v1 v2 "
         "cart checkout report export upload download profile settings account billing invoice "
         "products catalog news feed wp-admin phpmyadmin .env config backup old test tmp").split()
AGENTS = ["curl/7.88.1", "Wget/1.21.3", "python-requests/2.28.1", "Go-http-client/1.1",
          "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
          "Apache-HttpClient/4.5.14 (Java/17.0.9)", "kube-probe/1.28", "Prometheus/2.45.0", "sqlmap/1.7"]
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "oscar", "peggy", "trent", "victor", "walter", "admin", "root", "test", "guest",
         "oracle", "postgres", "ubuntu", "deploy", "jenkins", "git"]


def rand_path(rng):
    depth = rng.choice([1, 1, 2, 2, 3, 4])
    p = "/" + "/".join(rng.choice(WORDS) if rng.random() < 0.8 else str(rng.randint(1, 99999))
                       for _ in range(depth))
    if rng.random() < 0.3:
        p += rng.choice([".html", ".php", ".json", ".png", ".js", ".css", ".txt", ".gz"])
    if rng.random() < 0.3:
        p += "?" + "&".join(f"{rng.choice(WORDS)}={rng.randint(0, 1000)}" for _ in range(rng.randint(1, 3)))
    return p


BAD_REQUESTS = [b"GET\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"HELLO WORLD\r\n\r\n",
                b"GET / HTTP/9.9\r\n\r\n", b"GET /%%%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: -5\r\n\r\n",
                b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                b"GET /" + b"A" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
                b"\x00\x01\x02\x03\x04", b"CONNECT 127.0.0.1:22 HTTP/1.1\r\n\r\n"]


def raw_send(port, data, timeout=2.0):
    with contextlib.suppress(OSError):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(data)
        with contextlib.suppress(OSError):
            s.recv(65536)
        s.close()


def http_traffic(port, rng, seconds, workers=2, **kw):
    """Runs http_traffic_1 in parallel threads, each with its own generator seeded from rng."""
    seeds = [rng.getrandbits(64) for _ in range(workers)]
    counts = [0] * workers

    def work(i):
        counts[i] = http_traffic_1(port, random.Random(seeds[i]), seconds, **kw)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(counts)


def http_traffic_1(port, rng, seconds, host="localhost", paths=None, proxy_hosts=None, auth_paths=()):
    """Keep-alive HTTP requests with random methods, paths, agents, bodies, auth; some bad raw requests."""
    end = time.time() + seconds
    conn = None
    n = 0
    while time.time() < end:
        if conn is None or rng.random() < 0.05:
            if conn:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        if rng.random() < 0.01:
            raw_send(port, rng.choice(BAD_REQUESTS))
            continue
        method = rng.choices(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"],
                             [70, 12, 5, 4, 3, 2, 2, 1])[0]
        path = rng.choice(paths) if paths and rng.random() < 0.5 else rand_path(rng)
        headers = {"User-Agent": rng.choice(AGENTS), "Host": host}
        if rng.random() < 0.3:
            headers["Referer"] = f"http://{host}{rand_path(rng)}"
        if auth_paths and rng.random() < 0.15:
            path = rng.choice(auth_paths)
            pw = "secret" if rng.random() < 0.5 else rng.choice(["wrong", "123456", "password", "letmein"])
            headers["Authorization"] = "Basic " + base64.b64encode(
                f"{rng.choice(USERS[:6])}:{pw}".encode()).decode()
        if proxy_hosts:
            path = f"http://{rng.choice(proxy_hosts)}{path}"
        body = None
        if method in ("POST", "PUT", "PATCH"):
            body = json.dumps({"id": rng.randint(1, 10**6), "q": rng.choice(WORDS)}).encode() * rng.randint(1, 20)
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=body, headers=headers)
            conn.getresponse().read()
            n += 1
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = None
    if conn:
        conn.close()
    return n


class Backend:
    """An in-process HTTP origin with random statuses and delays, for proxies (haproxy, squid, nginx)."""

    def __init__(self, seed):
        rng = random.Random(seed)
        lock = threading.Lock()

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self):
                with lock:
                    r = rng.random()
                    delay = rng.choice([0] * 30 + [0.01, 0.05, 0.3]) if r < 0.995 else 2.5
                    status = rng.choices([200, 201, 204, 301, 304, 400, 401, 403, 404, 500, 502, 503],
                                         [60, 3, 3, 3, 4, 3, 2, 2, 10, 4, 2, 4])[0]
                    size = rng.randint(0, 20000)
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                time.sleep(delay)
                if r > 0.998:
                    self.close_connection = True
                    return  # drop the connection without answering
                body = b"x" * size if status not in (204, 304) and self.command != "HEAD" else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_PROPFIND = handle_any

        class S(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # clients that hang up are part of the traffic

        self.server = S(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.server.shutdown()
        self.server.server_close()


RSYSLOG_CONF = """
module(load="imuxsock" SysSock.Use="on" SysSock.Name="/dev/log")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{udp}")
$WorkDirectory {work}
$FileCreateMode 0644
template(name="json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="facility" name="syslogfacility-text" format="jsonf")
  property(outname="tag" name="syslogtag" format="jsonf")
  property(outname="pid" name="procid" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}}
*.* action(type="omfile" file="{out}/syslog_rfc3164.log" template="RSYSLOG_TraditionalFileFormat")
*.* action(type="omfile" file="{out}/syslog_rfc5424.log" template="RSYSLOG_SyslogProtocol23Format")
*.* action(type="omfile" file="{out}/syslog_iso8601.log" template="RSYSLOG_FileFormat")
*.* action(type="omfile" file="{out}/syslog_json.log" template="json")
auth,authpriv.* action(type="omfile" file="{out}/auth.log" template="RSYSLOG_TraditionalFileFormat")
mail.* action(type="omfile" file="{out}/mail.log" template="RSYSLOG_TraditionalFileFormat")
"""


@contextlib.contextmanager
def syslog_hub(tmp, out):
    """rsyslogd on /dev/log and UDP 127.0.0.1, writing four output formats into out."""
    udp = free_port()
    work = Path(tmp) / "rsyslog"
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(udp=udp, work=work, out=out))
    pid = work / "rsyslogd.pid"
    if Path("/dev/log").exists():
        os.unlink("/dev/log")
    proc = start(["rsyslogd", "-n", "-f", str(conf), "-i", str(pid)], log=work / "rsyslogd.out")
    for _ in range(50):
        if Path("/dev/log").exists():
            break
        time.sleep(0.1)
    try:
        yield udp
    finally:
        time.sleep(1)
        stop(proc)
        with contextlib.suppress(FileNotFoundError):
            os.unlink("/dev/log")


# ---------------------------------------------------------------------------------------------
# sources

@source("nginx", ["nginx-light"], ["nginx combined access log", "nginx error log", "nginx JSON access log (escape=json)"])
def src_nginx(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    os.chmod(t, 0o755)
    port = free_port()
    root = t / "www"
    for p in ["index.html", "api/users.json", "static/app.js", "static/style.css", "img/logo.png"]:
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_bytes(os.urandom(rng.randint(100, 5000)))
    (t / "logs").mkdir()
    dead = free_port()
    with Backend(ctx["seed"]) as be:
        conf = t / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
pid {t}/nginx.pid;
error_log {t}/logs/error.log info;
events {{ worker_connections 256; }}
http {{
  include /etc/nginx/mime.types;
  client_body_temp_path {t}/body; proxy_temp_path {t}/proxy; fastcgi_temp_path {t}/fcgi;
  uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
  log_format json escape=json '{{"time":"$time_iso8601","remote_addr":"$remote_addr","method":"$request_method",'
     '"uri":"$request_uri","status":$status,"bytes":$body_bytes_sent,"request_time":$request_time,'
     '"upstream_time":"$upstream_response_time","ua":"$http_user_agent","referer":"$http_referer"}}';
  access_log {t}/logs/access.log combined;
  access_log {t}/logs/access_json.log json;
  limit_req_zone $binary_remote_addr zone=one:1m rate=50r/s;
  client_max_body_size 4k;
  large_client_header_buffers 2 4k;
  upstream app {{ server 127.0.0.1:{be.port}; }}
  upstream gone {{ server 127.0.0.1:{dead}; }}
  server {{
    listen 127.0.0.1:{port};
    server_name localhost;
    root {root};
    location /api/ {{ proxy_pass http://app; proxy_read_timeout 2s; }}
    location /orders {{ proxy_pass http://gone; }}
    location /search {{ limit_req zone=one burst=5 nodelay; proxy_pass http://app; }}
    location /admin {{ deny all; }}
    location /old {{ return 301 /new; }}
  }}
}}
""")
        proc = start(["nginx", "-g", "daemon off;", "-c", str(conf)], log=t / "nginx.out")
        wait_port(port, proc=proc)
        secs = ctx["seconds"]
        paths = ["/", "/index.html", "/api/users", "/api/orders/1", "/static/app.js", "/search?q=x", "/orders/9",
                 "/admin/", "/old/page", "/img/logo.png"]
        for i in range(3):
            http_traffic(port, rng, secs / 3, paths=paths)
            if i < 2:
                os.kill(proc.pid, signal.SIGHUP)  # reload
                time.sleep(1)
        stop(proc, signal.SIGQUIT)
    for f in ["access.log", "error.log", "access_json.log"]:
        shutil.copy(t / "logs" / f, out / f)


@source("apache2", ["apache2", "apache2-utils"], ["Apache combined access log", "Apache 2.4 error log"])
def src_apache2(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    root = t / "www"
    (root / "private").mkdir(parents=True)
    (root / "index.html").write_text("<h1>hello</h1>")
    (root / "cgi").mkdir()
    cgi = root / "cgi" / "crash.sh"
    cgi.write_text("#!/bin/sh\necho 'crash.sh: fatal: database connection refused' >&2\nexit 1\n")
    cgi.chmod(0o755)
    (t / "logs").mkdir()
    run(["htpasswd", "-cb", str(t / "htpasswd"), "alice", "secret"])
    run(["htpasswd", "-b", str(t / "htpasswd"), "bob", "secret"])
    mods = ["mpm_event", "authz_core", "authz_host", "authz_user", "authn_core", "authn_file", "auth_basic",
            "mime", "dir", "alias", "status", "rewrite", "cgid", "headers", "autoindex"]
    loads = "\n".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so" for m in mods)
    conf = t / "httpd.conf"
    conf.write_text(f"""
ServerRoot {t}
{loads}
Listen 127.0.0.1:{port}
ServerName localhost
PidFile {t}/httpd.pid
User www-data
Group www-data
ErrorLog {t}/logs/error.log
LogLevel info rewrite:trace1 auth_basic:debug
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\"" combined
CustomLog {t}/logs/access.log combined
TypesConfig /etc/mime.types
ScriptSock {t}/cgid.sock
DocumentRoot {root}
LimitRequestLine 4096
<Directory {root}>
  Require all granted
  Options Indexes
</Directory>
<Location /admin>
  Require ip 10.0.0.0/8
</Location>
<Location /private>
  AuthType Basic
  AuthName "private"
  AuthUserFile {t}/htpasswd
  Require valid-user
</Location>
ScriptAlias /cgi-bin/ {root}/cgi/
RewriteEngine on
RewriteRule ^/old/(.*)$ /new/$1 [R=301,L]
<Location /server-status>
  SetHandler server-status
</Location>
""")
    env = dict(os.environ, APACHE_RUN_DIR=str(t), APACHE_LOCK_DIR=str(t), APACHE_LOG_DIR=str(t / "logs"))
    os.chmod(t, 0o755)

    def up():
        p = start(["apache2", "-f", str(conf), "-DFOREGROUND"], log=t / "apache.out", env=env)
        wait_port(port, proc=p)
        return p

    proc = up()
    paths = ["/", "/index.html", "/private/", "/admin/", "/cgi-bin/crash.sh", "/server-status", "/old/x", "/nope"]
    for i in range(3):
        http_traffic(port, rng, ctx["seconds"] / 3, paths=paths, auth_paths=["/private/", "/private/x.txt"])
        if i == 0:
            run(["apache2", "-f", str(conf), "-k", "graceful"], check=False, env=env)
            time.sleep(2)
        elif i == 1:
            stop(proc, signal.SIGWINCH)  # graceful stop
            proc = up()
    stop(proc)
    for f in ["access.log", "error.log"]:
        shutil.copy(t / "logs" / f, out / f)


def resp(*args):
    b = [f"*{len(args)}\r\n".encode()]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        b.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(b)


@source("redis", ["redis-server", "redis-tools"], ["Redis server log (pid:role timestamp level)"])
def src_redis(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    conf = t / "redis.conf"
    conf.write_text(f"""
bind 127.0.0.1
port {port}
dir {t}
logfile {t}/redis.log
loglevel verbose
save 5 10
requirepass s3cret
slowlog-log-slower-than 1000
maxmemory 20mb
maxmemory-policy allkeys-lru
appendonly yes
enable-debug-command yes
""")
    end = time.time() + ctx["seconds"]
    rounds = 0
    while time.time() < end:
        proc = start(["redis-server", str(conf)], log=t / "redis.out")
        wait_port(port, proc=proc)
        stop_at = min(end, time.time() + ctx["seconds"] / 3)
        while time.time() < stop_at:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            cmds = []
            pw = "s3cret" if rng.random() < 0.9 else rng.choice(["wrong", "redis", ""])
            cmds.append(resp("AUTH", pw))
            for _ in range(rng.randint(10, 200)):
                k = f"{rng.choice(WORDS)}:{rng.randint(1, 5000)}"
                c = rng.choices(["SET", "GET", "INCR", "LPUSH", "HSET", "DEL", "EXPIRE", "BAD"], [30, 30, 8, 8, 8, 5, 5, 1])[0]
                if c == "SET":
                    cmds.append(resp("SET", k, "v" * rng.randint(1, 20000)))
                elif c == "HSET":
                    cmds.append(resp("HSET", k, "f", rng.randint(0, 9)))
                elif c == "LPUSH":
                    cmds.append(resp("LPUSH", k, rng.random()))
                elif c == "EXPIRE":
                    cmds.append(resp("EXPIRE", k, rng.randint(1, 10)))
                elif c == "BAD":
                    cmds.append(rng.choice([b"*1\r\n$3\r\nFOO\r\n", b"*x\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                            resp("INCR", "words:1")]))
                else:
                    cmds.append(resp(c, k))
            if rng.random() < 0.05:
                cmds.append(resp("DEBUG", "SLEEP", "0.2"))
            if rng.random() < 0.03:
                cmds.append(resp("BGSAVE"))
            if rng.random() < 0.02:
                cmds.append(resp("BGREWRITEAOF"))
            if rng.random() < 0.02:
                cmds.append(resp("CONFIG", "SET", "loglevel", rng.choice(["verbose", "debug", "notice"])))
            with contextlib.suppress(OSError):
                s.sendall(b"".join(cmds))
                s.settimeout(0.05)
                with contextlib.suppress(OSError):
                    while s.recv(1 << 20):
                        pass
            s.close()
        rounds += 1
        if rounds % 2 == 1:
            stop(proc)  # SIGTERM: saves and exits cleanly
        else:
            with contextlib.suppress(OSError):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(resp("AUTH", "s3cret") + resp("DEBUG", "SEGFAULT"))  # crash report with stack trace
                time.sleep(2)
                s.close()
            stop(proc, signal.SIGKILL)
    shutil.copy(t / "redis.log", out / "redis.log")


# Statements that fail in the ways applications make them fail: typos, missing objects, bad casts.
BAD_SQL = ["SELEC 1;", "SELECT * FROM missing_table;", "SELECT 1/0;", "INSERT INTO orders(id) VALUES (1);",
           "SELECT 'abc'::int;", "DROP TABLE nothing;", "CREATE TABLE orders(x int);",
           "SELECT amount FROM orders WHERE customer = ;"]


def sql_statement(rng):
    """One statement of the PostgreSQL workload, drawn by weight (percent): mostly writes and reads,
    then slow queries, errors and maintenance, so the server logs every kind of line it has."""
    workload = [
        (40, lambda: f"INSERT INTO orders(customer, amount) SELECT '{rng.choice(USERS)}', random()*1000 "
                     f"FROM generate_series(1,{rng.randint(1, 500)});"),
        (20, lambda: f"SELECT count(*), avg(amount) FROM orders WHERE customer = '{rng.choice(USERS)}';"),
        (7, lambda: f"SELECT pg_sleep({rng.choice([0.06, 0.1, 0.3])});"),
        (5, lambda: "SELECT * FROM orders ORDER BY amount DESC LIMIT 5000 OFFSET 10;"),
        (8, lambda: rng.choice(BAD_SQL)),
        (5, lambda: f"UPDATE orders SET amount = amount + 1 WHERE id % {rng.randint(2, 50)} = 0;"),
        (3, lambda: "DELETE FROM orders WHERE id < (SELECT max(id) - 20000 FROM orders);"),
        (2, lambda: "VACUUM ANALYZE orders;"),
        (2, lambda: "CHECKPOINT;"),
        (2, lambda: "SET statement_timeout = '100ms'; SELECT pg_sleep(1); RESET statement_timeout;"),
        (6, lambda: f"CREATE TEMP TABLE t{rng.randint(1, 99)} AS SELECT * FROM orders; "),
    ]
    weights, makers = zip(*workload)
    return rng.choices(makers, weights)[0]()


@source("postgresql", ["postgresql-15"], ["PostgreSQL stderr log", "PostgreSQL csvlog", "PostgreSQL jsonlog"])
def src_postgresql(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    bindir = Path("/usr/lib/postgresql/15/bin")
    data = t / "data"
    os.chmod(t, 0o777)
    pg = ["runuser", "-u", "postgres", "--"]
    (t / "pw").write_text("hunter2\n")
    run(pg + [str(bindir / "initdb"), "-D", str(data), "-A", "scram-sha-256", "-U", "postgres", "--pwfile", str(t / "pw")])
    with open(data / "postgresql.conf", "a") as f:
        f.write(f"""
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{t}'
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '{t}/log'
log_filename = 'postgresql'
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = on
log_disconnections = on
log_min_duration_statement = 50
log_checkpoints = on
log_lock_waits = on
deadlock_timeout = 200ms
log_autovacuum_min_duration = 0
log_temp_files = 0
log_statement = 'ddl'
work_mem = 64kB
""")
    env = dict(os.environ, PGPASSWORD="hunter2", PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="postgres")
    ctl = pg + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(t / "pg_ctl.log")]
    run(ctl + ["start"])
    run(["psql", "-q", "-c", "CREATE TABLE orders(id serial primary key, customer text, amount numeric, "
         "created timestamptz default now()); CREATE USER app PASSWORD 'apppw'; "
         "CREATE TABLE accounts(id int primary key, balance numeric); INSERT INTO accounts VALUES (1, 100), (2, 100);"],
        env=env)
    end = time.time() + ctx["seconds"]
    restarts = 0
    while time.time() < end:
        lines = []
        for _ in range(rng.randint(20, 80)):
            lines.append(sql_statement(rng))
        run(["psql", "-v", "ON_ERROR_STOP=0", "-q"], check=False, input="\n".join(lines), env=env)
        # failed logins, unknown databases and users
        for _ in range(rng.randint(1, 4)):
            e = dict(env, PGPASSWORD=rng.choice(["wrong", "hunter2", "apppw", "x"]),
                     PGUSER=rng.choice(["postgres", "app", rng.choice(USERS)]))
            run(["psql", "-d", rng.choice(["postgres", "app", "shop"]), "-c", "SELECT 1"], check=False, env=e)
        if rng.random() < 0.3:  # a lock wait and a deadlock
            a = subprocess.Popen(["psql", "-q"], env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, text=True)
            a.stdin.write("BEGIN;\nUPDATE accounts SET balance = balance - 1 WHERE id = 1;\nSELECT pg_sleep(0.5);\n"
                          "UPDATE accounts SET balance = balance + 1 WHERE id = 2;\nCOMMIT;\n")
            a.stdin.close()
            run(["psql", "-q"], check=False, env=env,
                input="BEGIN;\nUPDATE accounts SET balance = balance - 1 WHERE id = 2;\nSELECT pg_sleep(0.5);\n"
                      "UPDATE accounts SET balance = balance + 1 WHERE id = 1;\nCOMMIT;\n")
            a.wait()
        if rng.random() < 0.04 and restarts < 4:
            restarts += 1
            mode = rng.choice(["fast", "immediate"])
            run(ctl + ["restart", "-m", mode], check=False)
    run(ctl + ["stop", "-m", "fast"], check=False)
    for src, dst in [("postgresql", "postgresql.log"), ("postgresql.csv", "postgresql_csv.log"),
                     ("postgresql.json", "postgresql_json.log")]:
        shutil.copy(t / "log" / src, out / dst)


@source("haproxy", ["haproxy", "rsyslog"], ["HAProxy HTTP log via syslog (RFC 3164)", "HAProxy log (RFC 5424)",
                                             "HAProxy TCP log"])
def src_haproxy(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port, tport, stats = free_port(), free_port(), free_port()
    sl = t / "syslog"
    sl.mkdir()
    with syslog_hub(t, sl) as udp, Backend(ctx["seed"]) as be, Backend(ctx["seed"] + 1) as be2:
        conf = t / "haproxy.cfg"
        dead = free_port()
        conf.write_text(f"""
global
  log 127.0.0.1:{udp} local0 info
  log 127.0.0.1:{udp} format rfc5424 local1 notice
  pidfile {t}/haproxy.pid
defaults
  mode http
  log global
  option httplog
  timeout connect 1s
  timeout client 5s
  timeout server 2s
  retries 1
frontend web
  bind 127.0.0.1:{port}
  http-request deny if {{ path_beg /admin }}
  acl api path_beg /api
  use_backend api if api
  use_backend gone if {{ path_beg /orders }}
  default_backend app
backend app
  balance roundrobin
  option httpchk GET /health
  server a1 127.0.0.1:{be.port} check inter 2s
  server a2 127.0.0.1:{be2.port} check inter 2s
backend api
  server b1 127.0.0.1:{be2.port}
backend gone
  server g1 127.0.0.1:{dead} check inter 1s
listen tcpin
  mode tcp
  option tcplog
  bind 127.0.0.1:{tport}
  server t1 127.0.0.1:{be.port}
listen stats
  bind 127.0.0.1:{stats}
  stats enable
  stats uri /
""")
        proc = start(["haproxy", "-db", "-f", str(conf)], log=t / "haproxy.out")
        wait_port(port, proc=proc)
        for i in range(2):
            http_traffic(port, rng, ctx["seconds"] * 0.45, paths=["/", "/api/x", "/admin", "/orders/1", "/health"])
            for _ in range(50):
                raw_send(tport, b"GET / HTTP/1.0\r\n\r\n" if rng.random() < 0.7 else rng.choice(BAD_REQUESTS))
            if i == 0:
                stop(proc, signal.SIGUSR1)  # soft stop
                proc = start(["haproxy", "-db", "-f", str(conf)], log=t / "haproxy.out")
                wait_port(port, proc=proc)
        stop(proc)
    for f in ["syslog_rfc3164.log", "syslog_rfc5424.log"]:
        shutil.copy(sl / f, out / f.replace("syslog", "haproxy"))


@source("squid", ["squid"], ["Squid native access log", "Squid cache.log"])
def src_squid(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    os.chmod(t, 0o777)
    with Backend(ctx["seed"]) as be:
        conf = t / "squid.conf"
        conf.write_text(f"""
http_port 127.0.0.1:{port}
pid_filename {t}/squid.pid
access_log stdio:{t}/access.log squid
cache_log {t}/cache.log
cache_store_log none
coredump_dir {t}
cache_mem 8 MB
shutdown_lifetime 1 seconds
cache_effective_user proxy
debug_options ALL,1
dns_nameservers 127.0.0.1
dns_timeout 2 seconds
acl localnet src 127.0.0.1
acl blocked dstdomain .blocked.example
acl SSL_ports port 443
acl CONNECT method CONNECT
http_access deny blocked
http_access deny CONNECT !SSL_ports
http_access allow localnet
http_access deny all
hosts_file {t}/hosts
""")
        (t / "hosts").write_text("127.0.0.1 localhost app.internal cdn.internal\n")
        run(["squid", "-z", "-N", "-f", str(conf)], check=False)
        proc = start(["squid", "-N", "-f", str(conf)], log=t / "squid.out")
        wait_port(port, proc=proc)
        hosts = [f"app.internal:{be.port}", f"cdn.internal:{be.port}", f"localhost:{be.port}"] * 4 + ["www.blocked.example",
                 "unknown.invalid", f"127.0.0.1:{free_port()}"]
        http_traffic(port, rng, ctx["seconds"] / 2, proxy_hosts=hosts)
        run(["squid", "-k", "reconfigure", "-f", str(conf)], check=False)
        run(["squid", "-k", "rotate", "-f", str(conf)], check=False)
        http_traffic(port, rng, ctx["seconds"] / 2, proxy_hosts=hosts)
        run(["squid", "-k", "shutdown", "-f", str(conf)], check=False)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            stop(proc)
    with open(out / "access.log", "wb") as o:
        for f in sorted(t.glob("access.log.*"), reverse=True) + [t / "access.log"]:
            o.write(f.read_bytes())
    with open(out / "cache.log", "wb") as o:
        for f in sorted(t.glob("cache.log.*"), reverse=True) + [t / "cache.log"]:
            o.write(f.read_bytes())


@source("sshd", ["openssh-server", "openssh-client", "sshpass", "rsyslog"],
        ["OpenSSH sshd auth log via syslog (RFC 3164)", "syslog RFC 5424 (sshd)"])
def src_sshd(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    sl = t / "syslog"
    sl.mkdir()
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(t / "hostkey")])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(t / "userkey")])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(t / "k2")])
    keys = t / "authorized_keys"
    keys.write_text((t / "userkey.pub").read_text())
    os.chmod(t, 0o755)
    Path("/run/sshd").mkdir(exist_ok=True)
    conf = t / "sshd_config"
    conf.write_text(f"""
Port {port}
ListenAddress 127.0.0.1
HostKey {t}/hostkey
PidFile {t}/sshd.pid
AuthorizedKeysFile {keys}
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
MaxAuthTries 3
LoginGraceTime 5
SyslogFacility AUTH
LogLevel VERBOSE
MaxStartups 30:50:60
""")
    with syslog_hub(t, sl):
        proc = start(["/usr/sbin/sshd", "-D", "-f", str(conf)], log=t / "sshd.out")
        wait_port(port, proc=proc)
        end = time.time() + ctx["seconds"]
        base = ["-p", str(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"]
        def attempts(rng):
            while time.time() < end:
                r = rng.random()
                if r < 0.55:  # password guesses for real and invalid users
                    user = rng.choice(USERS)
                    run(["sshpass", "-p", rng.choice(["123456", "password", "admin", "qwerty", "letmein", "root"]),
                         "ssh"] + base + ["-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=3",
                                          f"{user}@127.0.0.1", "true"], check=False, timeout=30)
                elif r < 0.8:  # successful key login as root, running a command
                    run(["ssh"] + base + ["-i", str(t / "userkey"), "-o", "BatchMode=yes", "root@127.0.0.1",
                                          rng.choice(["true", "uptime", "id", "ls /nonexistent", "exit 3"])],
                        check=False, timeout=30)
                elif r < 0.9:  # bad protocol banners, port scans, dropped connections
                    raw_send(port, rng.choice([b"SSH-1.5-scanner\r\n", b"GET / HTTP/1.1\r\n\r\n", b"",
                                               b"SSH-2.0-libssh_0.9.6\r\n", os.urandom(64)]))
                else:  # wrong key
                    run(["ssh"] + base + ["-i", str(t / "k2"), "-o", "BatchMode=yes",
                                          f"{rng.choice(USERS)}@127.0.0.1", "true"], check=False, timeout=30)
        seeds = [rng.getrandbits(64) for _ in range(4)]
        threads = [threading.Thread(target=attempts, args=(random.Random(x),)) for x in seeds]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        stop(proc)
    shutil.copy(sl / "auth.log", out / "auth.log")
    shutil.copy(sl / "syslog_rfc5424.log", out / "sshd_rfc5424.log")


@source("rsyslog", ["rsyslog", "bsdutils"], ["syslog RFC 3164 (traditional file format)", "syslog RFC 5424",
                                            "syslog high-precision ISO 8601 (RSYSLOG_FileFormat)", "syslog as JSON"])
def src_rsyslog(ctx):
    """Messages from util-linux logger (both wire formats, UDP and /dev/log) and from Python's SysLogHandler."""
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    sl = t / "syslog"
    sl.mkdir()
    import logging
    import logging.handlers
    facilities = ["user", "daemon", "local0", "local3", "local7", "cron", "mail", "auth"]
    levels = ["debug", "info", "notice", "warning", "err", "crit", "alert"]
    tags = ["backup", "cron", "app", "billing", "worker", "dhclient", "systemd-logind", "kubelet", "dockerd"]
    templates = ["job {id} finished in {ms} ms", "connection from 127.0.0.1 port {port} closed",
                 "failed to open /var/lib/{w}/{id}.db: No such file or directory",
                 "retrying request {id} (attempt {n}/5) after timeout",
                 "user {u} logged in from 127.0.0.1", "disk usage at {n}0% on /var",
                 "Started Session {id} of user {u}.", "queue depth {ms} exceeds threshold",
                 "OOM killer invoked: killed process {port} ({w})", "config reloaded: {n} changes",
                 "CRON[{port}]: ({u}) CMD (/usr/local/bin/{w} --quiet)",
                 "E0101 {ms}.{port} {n} pod_workers.go:{id}] \"Error syncing pod\" err=\"CrashLoopBackOff\"",
                 "level=warn ts={id} caller={w}.go:{n} msg=\"slow request\" duration={ms}ms"]
    with syslog_hub(t, sl) as udp:
        handler = logging.handlers.SysLogHandler(address=("127.0.0.1", udp))
        handler.setFormatter(logging.Formatter("pyapp[%(process)d]: %(levelname)s %(name)s: %(message)s"))
        log = logging.getLogger("corpus.pyapp")
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        end = time.time() + ctx["seconds"]
        while time.time() < end:
            batch = []
            for _ in range(100):
                msg = rng.choice(templates).format(id=rng.randint(1, 99999), ms=rng.randint(1, 9000),
                                                   port=rng.randint(1024, 65535), w=rng.choice(WORDS),
                                                   u=rng.choice(USERS), n=rng.randint(1, 9))
                batch.append(msg)
            fmt = rng.choice(["--rfc3164", "--rfc5424", "--rfc5424=notq"])
            dest = ["-d", "-n", "127.0.0.1", "-P", str(udp)] if rng.random() < 0.5 else []
            pri = f"{rng.choice(facilities)}.{rng.choice(levels)}"
            run(["logger", fmt, "-t", rng.choice(tags), "-p", pri, "--id=" + str(rng.randint(100, 60000))] + dest,
                input="\n".join(batch), check=False)
            time.sleep(0.4)
            for m in batch[:50]:
                lvl = rng.choice([10, 20, 20, 30, 40])
                log.log(lvl, m)
            if rng.random() < 0.2:
                try:
                    {}[rng.choice(WORDS)]
                except KeyError:
                    log.exception("unhandled error in request handler")
            time.sleep(0.05)
        handler.close()
    for f in ["syslog_rfc3164.log", "syslog_rfc5424.log", "syslog_iso8601.log", "syslog_json.log"]:
        shutil.copy(sl / f, out / f)


@source("mosquitto", ["mosquitto", "mosquitto-clients"], ["Mosquitto broker log"])
def src_mosquitto(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    os.chmod(t, 0o777)
    (t / "passwd").write_text("")
    run(["mosquitto_passwd", "-b", str(t / "passwd"), "sensor", "s3cret"])
    run(["mosquitto_passwd", "-b", str(t / "passwd"), "dashboard", "s3cret"])
    os.chmod(t / "passwd", 0o644)
    conf = t / "mosquitto.conf"
    conf.write_text(f"""
listener {port} 127.0.0.1
allow_anonymous false
password_file {t}/passwd
log_dest file {t}/mosquitto.log
log_type all
connection_messages true
log_timestamp true
log_timestamp_format %Y-%m-%dT%H:%M:%S
persistence true
persistence_location {t}/
max_packet_size 2048
user mosquitto
""")
    end = time.time() + ctx["seconds"]
    proc = None
    while time.time() < end:
        if proc is None or proc.poll() is not None:
            proc = start(["mosquitto", "-c", str(conf)], log=t / "mosquitto.out")
            wait_port(port, proc=proc)
        user, pw = rng.choice([("sensor", "s3cret"), ("dashboard", "s3cret"), ("sensor", "wrong"),
                               (rng.choice(USERS), "x"), ("sensor", "s3cret")])
        topic = f"site/{rng.randint(1, 5)}/{rng.choice(['temp', 'humidity', 'door', 'power'])}"
        r = rng.random()
        cid = f"client-{rng.randint(1, 500)}"
        if r < 0.6:
            payload = json.dumps({"v": round(rng.uniform(-10, 40), 2), "seq": rng.randint(1, 10**6)})
            if rng.random() < 0.05:
                payload = "x" * 4096  # over max_packet_size
            run(["mosquitto_pub", "-p", str(port), "-u", user, "-P", pw, "-i", cid, "-q", str(rng.randint(0, 2)),
                 "-t", topic, "-m", payload] + (["-r"] if rng.random() < 0.1 else []), check=False, timeout=10)
        elif r < 0.85:
            run(["mosquitto_sub", "-p", str(port), "-u", user, "-P", pw, "-i", cid, "-t", topic, "-C", "1",
                 "-W", "1"], check=False, timeout=10)
        elif r < 0.95:
            raw_send(port, rng.choice(BAD_REQUESTS + [b"\x10\x0c\x00\x04MQTT\x09\x02\x00\x3c\x00\x00"]))
        elif r < 0.97:
            os.kill(proc.pid, signal.SIGHUP)  # reload
        else:
            stop(proc, rng.choice([signal.SIGTERM, signal.SIGKILL]))
    stop(proc)
    shutil.copy(t / "mosquitto.log", out / "mosquitto.log")


@source("dpkg_apt", ["dpkg", "apt"], ["dpkg.log", "apt history.log", "apt term.log"])
def src_dpkg_apt(ctx):
    """This machine's own package logs: the installs of the other sources (and of the image) appear here."""
    out = ctx["out"]
    for src, dst in [("/var/log/dpkg.log", "dpkg.log"), ("/var/log/apt/history.log", "apt_history.log"),
                     ("/var/log/apt/term.log", "apt_term.log")]:
        if Path(src).exists():
            shutil.copy(src, out / dst)


@source("maven", ["maven"], ["Maven build log (-B)", "Maven debug log (-X) with stack traces"])
def src_maven(ctx):
    """Builds a tiny project offline (plugins from ~/.m2): a passing build, a failing test, a compile error."""
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    proj = t / "demo"
    (proj / "src/main/java/demo").mkdir(parents=True)
    (proj / "src/test/java/demo").mkdir(parents=True)
    # The project's root pom as parent: its pinned plugin and JUnit versions are in ~/.m2 already.
    (proj / "pom.xml").write_text(f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
<modelVersion>4.0.0</modelVersion>
<parent><groupId>dev.blt</groupId><artifactId>blt-parent</artifactId><version>0.1.0-SNAPSHOT</version>
<relativePath>{REPO / "pom.xml"}</relativePath></parent>
<groupId>dev.blt.corpus</groupId><artifactId>demo</artifactId><version>1.0</version>
<dependencies><dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId>
<scope>test</scope></dependency></dependencies></project>""")
    dep = True
    good = "package demo;\npublic class App { public static int add(int a, int b) { return a + b; } }\n"
    bad = "package demo;\npublic class App { public static int add(int a, int b) { return a + c } }\n"
    test = ("package demo;\nimport org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.*;\n"
            "class AppTest { @Test void adds() { assertEquals(%d, App.add(2, 2)); }\n"
            "  @Test void npe() { String s = System.getenv(\"NOPE_%d\"); if (%s) s.length(); } }\n")
    log = out / "maven.log"
    dbg = out / "maven_debug.log"
    runs = [("good", 4, "false", []), ("failtest", 5, "false", []), ("npe", 4, "true", []), ("compile", 4, "false", []),
            ("good", 4, "false", ["-X"])]
    for name, expect, npe, extra in runs:
        (proj / "src/main/java/demo/App.java").write_text(bad if name == "compile" else good)
        if dep:
            (proj / "src/test/java/demo/AppTest.java").write_text(test % (expect, rng.randint(1, 99), npe))
        r = run(["mvn", "-o", "-B", "-e", "-f", str(proj / "pom.xml"), "clean", "verify"] + extra, check=False,
                timeout=600)
        with open(dbg if extra else log, "a") as f:
            f.write(r.stdout)


KAFKA_LOG4J = """status = warn
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${{sys:log.file}}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
"""


def java_opens():
    pom = (REPO / "flink-job" / "pom.xml").read_text()
    a = pom.index("<flink.jvm.opens>") + len("<flink.jvm.opens>")
    return pom[a:pom.index("</flink.jvm.opens>")].split()


@source("kafka", [], ["Kafka broker log4j (KRaft), with Java stack traces"])
def src_kafka(ctx):
    """A KRaft broker from flink-job/target/blt.jar (kafka.Kafka); garbage and oversized requests, kill -9 restarts."""
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    if not BLT_JAR.exists():
        raise RuntimeError(f"{BLT_JAR} missing: build flink-job first (mvn -q package -DskipTests)")
    port, cport = free_port(), free_port()
    props = t / "server.properties"
    props.write_text(f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:{cport}
listeners=PLAINTEXT://localhost:{port},CONTROLLER://localhost:{cport}
advertised.listeners=PLAINTEXT://localhost:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={t}/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
num.partitions=3
auto.create.topics.enable=true
socket.request.max.bytes=1048576
log.segment.bytes=1048576
log.retention.check.interval.ms=5000
""")
    (t / "log4j2.properties").write_text(KAFKA_LOG4J.format(level="INFO"))
    logf = t / "server.log"
    java = ["java"] + java_opens() + [f"-Dlog.file={logf}", f"-Dlog4j.configurationFile={(t / 'log4j2.properties').as_uri()}",
                                      "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", str(BLT_JAR)]
    cluster = base64.urlsafe_b64encode(random.Random(ctx["seed"]).randbytes(16)).decode().rstrip("=")
    run(java + ["kafka.tools.StorageTool", "format", "--standalone", "--cluster-id", cluster, "--config", str(props)],
        timeout=120)
    end = time.time() + ctx["seconds"]
    kills = 0
    while time.time() < end:
        proc = start(java + ["kafka.Kafka", str(props)], log=t / "kafka.out")
        wait_port(port, timeout=120, proc=proc)
        phase_end = min(end, time.time() + max(20, ctx["seconds"] / 3))
        while time.time() < phase_end:
            r = rng.random()
            if r < 0.5:  # garbage: unknown api keys, wrong sizes, oversized frames, HTTP to the broker
                raw_send(port, rng.choice([
                    b"\x00\x00\x00\x10" + os.urandom(16),
                    b"\x7f\xff\xff\xff",
                    b"\x00\x00\x00\x0c\x00\x63\x00\x00\x00\x00\x00\x01\x00\x02ab",
                    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"\x00\x00\x00\x0a\x00\x12\x00\x03\x00\x00\x00\x07\xff\xff"]), timeout=0.5)
            else:
                raw_send(cport, os.urandom(rng.randint(4, 40)), timeout=0.5)
            time.sleep(rng.choice([0.01, 0.05, 0.2]))
        kills += 1
        stop(proc, signal.SIGKILL if kills % 2 else signal.SIGTERM, timeout=60)
    shutil.copy(logf, out / "server.log")


@source("zookeeper", ["zookeeper"], ["ZooKeeper log4j log"])
def src_zookeeper(ctx):
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    (t / "data").mkdir()
    (t / "zoo.cfg").write_text(f"tickTime=2000\ndataDir={t}/data\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
                               "admin.enableServer=false\nmaxClientCnxns=20\n4lw.commands.whitelist=stat,ruok,srvr\n")
    (t / "log4j.properties").write_text(
        "log4j.rootLogger=DEBUG, F\nlog4j.appender.F=org.apache.log4j.FileAppender\n"
        f"log4j.appender.F.File={t}/zookeeper.log\nlog4j.appender.F.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.F.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n\n")
    # Debian's zookeeper.jar names its dependencies in its manifest; the log4j 1.2 binding as in zkEnv.sh.
    cp = ":".join(["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"])
    cmd = ["java", "-Xmx256m", f"-Dlog4j.configuration=file:{t}/log4j.properties", "-cp", cp,
           "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(t / "zoo.cfg")]
    end = time.time() + ctx["seconds"]
    while time.time() < end:
        proc = start(cmd, log=t / "zk.out")
        wait_port(port, proc=proc)
        phase_end = min(end, time.time() + max(10, ctx["seconds"] / 3))
        while time.time() < phase_end:
            r = rng.random()
            if r < 0.3:
                raw_send(port, rng.choice([b"ruok", b"stat", b"srvr", b"dump", b"envi", b"kill"]))
            elif r < 0.6:
                raw_send(port, os.urandom(rng.randint(1, 64)))
            else:
                # ConnectRequest (protocolVersion 0, zxid 0, timeout, session 0, passwd 16 bytes)
                body = (b"\x00\x00\x00\x00" + b"\x00" * 8 + rng.randint(1000, 40000).to_bytes(4, "big") + b"\x00" * 8
                        + b"\x00\x00\x00\x10" + b"\x00" * 16)
                raw_send(port, len(body).to_bytes(4, "big") + body, timeout=0.3)
            time.sleep(0.02)
        stop(proc, rng.choice([signal.SIGTERM, signal.SIGKILL]))
    shutil.copy(t / "zookeeper.log", out / "zookeeper.log")


@source("postfix", ["postfix"], ["Postfix mail log (maillog_file, via postlogd)"])
def src_postfix(ctx):
    """Postfix with its own config and queue directories; SMTP sessions from smtplib and raw sockets.

    Local mail is discarded; 127.0.0.1 is not in mynetworks, so mail for other domains is relay-denied
    (the dead relay in default_transport is never reached)."""
    import smtplib
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port = free_port()
    conf = t / "etc"
    shutil.copytree("/etc/postfix", conf)
    os.chmod(t, 0o755)
    dead = free_port()
    settings = {
        "queue_directory": f"{t}/spool", "data_directory": f"{t}/data", "maillog_file": f"{t}/postfix.log",
        "myhostname": "mail.corpus.test", "mydomain": "corpus.test", "myorigin": "corpus.test",
        "mydestination": "localhost, corpus.test, mail.corpus.test", "inet_interfaces": "127.0.0.1",
        "inet_protocols": "ipv4", "mynetworks": "127.0.0.2/32", "local_transport": "discard:",
        "default_transport": f"smtp:[127.0.0.1]:{dead}", "relayhost": "", "smtpd_banner": "$myhostname ESMTP",
        "smtpd_helo_required": "yes", "smtpd_helo_restrictions": "reject_invalid_helo_hostname",
        "smtpd_sender_restrictions": "reject_non_fqdn_sender, reject_unknown_sender_domain",
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        "smtpd_recipient_restrictions": "reject_non_fqdn_recipient, reject_unlisted_recipient",
        "smtpd_soft_error_limit": "10", "smtpd_hard_error_limit": "20", "smtpd_error_sleep_time": "0",
        "smtpd_timeout": "5s",
        "message_size_limit": "200000", "compatibility_level": "3.6", "alternate_config_directories": str(conf),
        "maillog_file_prefixes": str(t), "maximal_queue_lifetime": "1h", "bounce_queue_lifetime": "1h",
        "minimal_backoff_time": "10s", "queue_run_delay": "10s",
        "smtp_connect_timeout": "2s", "disable_dns_lookups": "yes", "smtp_host_lookup": "native",
    }
    run(["postconf", "-c", str(conf), "-e"] + [f"{k}={v}" for k, v in settings.items()])
    # the smtpd listener on our port instead of :25
    run(["postconf", "-c", str(conf), "-M", f"127.0.0.1:{port}/inet=127.0.0.1:{port} inet n - y - - smtpd"])
    run(["postconf", "-c", str(conf), "-MX", "smtp/inet"], check=False)
    (t / "spool").mkdir()
    (t / "data").mkdir()
    shutil.chown(t / "data", "postfix")
    run(["postfix", "-c", str(conf), "set-permissions"], check=False)
    run(["postfix", "-c", str(conf), "start"])
    wait_port(port)
    users = ["root", "postmaster", "postfix", "mail", "www-data", "backup"] * 4 + USERS
    end = time.time() + ctx["seconds"]
    n = 0
    while time.time() < end:
        r = rng.random()
        try:
            if r < 0.7:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
                    c.ehlo(rng.choice(["client.corpus.test", "localhost", "bad_helo!", "mx.partner.test"]))
                    for _ in range(rng.randint(1, 3)):
                        sender = rng.choice([f"{rng.choice(USERS)}@corpus.test", "noreply@partner.test", "",
                                             "nofqdn", f"{rng.choice(USERS)}@nonexistent.invalid"])
                        rcpts = [f"{rng.choice(users)}@{rng.choice(['corpus.test', 'localhost', 'example.org', 'partner.test'])}"
                                 for _ in range(rng.randint(1, 3))]
                        msg = (f"From: <{sender}>\r\nTo: {', '.join(rcpts)}\r\nSubject: {rng.choice(WORDS)} report "
                               f"{rng.randint(1, 999)}\r\nMessage-ID: <{rng.getrandbits(64):x}@corpus.test>\r\n\r\n"
                               + "line of text\r\n" * rng.randint(1, 200 if rng.random() < 0.95 else 20000))
                        with contextlib.suppress(smtplib.SMTPException):
                            c.sendmail(sender, rcpts, msg)
                        with contextlib.suppress(smtplib.SMTPException):
                            c.rset()
            elif r < 0.85:
                raw_send(port, rng.choice([b"HELO\r\n", b"EHLO x\r\nAUTH LOGIN\r\n", b"EHLO x\r\nSTARTTLS\r\n",
                                           b"GET / HTTP/1.1\r\n\r\n", b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
                                           b"EHLO x\r\nVRFY root\r\nEXPN staff\r\nNOOP\r\nQUIT\r\n", os.urandom(40)]),
                         timeout=0.3)
            elif r < 0.9:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.recv(1000)
                s.close()  # lost connection after CONNECT
            elif r < 0.93:
                run(["postqueue", "-c", str(conf), "-f"], check=False)
            elif r < 0.95:
                run(["postfix", "-c", str(conf), "reload"], check=False)
            else:
                run(["sendmail", "-C", str(conf), "-f", f"{rng.choice(USERS)}@corpus.test", "root@localhost"],
                    input=f"Subject: cron job {rng.randint(1, 99)}\n\nfinished\n", check=False)
        except (OSError, smtplib.SMTPException):
            pass
        n += 1
    run(["postfix", "-c", str(conf), "stop"], check=False)
    time.sleep(2)
    shutil.copy(t / "postfix.log", out / "postfix.log")


FLINK_LOG4J = """status = warn
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:log.file}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
"""


@source("flink", [], ["Flink JobManager log4j log", "Flink TaskManager log4j log"])
def src_flink(ctx):
    """A standalone Flink session cluster from blt.jar; REST calls (good and bad), TaskManager kills and restarts."""
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    if not BLT_JAR.exists():
        raise RuntimeError(f"{BLT_JAR} missing: build flink-job first (mvn -q package -DskipTests)")
    rpc, rest, blob = free_port(), free_port(), free_port()
    confdir = t / "conf"
    confdir.mkdir()
    settings = {"jobmanager.rpc.address": "localhost", "jobmanager.rpc.port": rpc, "jobmanager.bind-host": "localhost",
                "rest.address": "localhost", "rest.bind-address": "localhost", "rest.port": rest,
                "blob.server.port": blob, "taskmanager.host": "localhost", "taskmanager.bind-host": "localhost",
                "jobmanager.memory.process.size": "1024m", "taskmanager.memory.process.size": "1280m",
                "taskmanager.memory.managed.fraction": "0.1", "taskmanager.numberOfTaskSlots": 2,
                "heartbeat.interval": 2000, "heartbeat.timeout": 8000, "io.tmp.dirs": str(t / "tmp"),
                "web.tmpdir": str(t / "web"), "web.submit.enable": "true"}
    (confdir / "config.yaml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))
    (confdir / "log4j2.properties").write_text(FLINK_LOG4J)
    base = ["java"] + java_opens() + [f"-Dlog4j.configurationFile={(confdir / 'log4j2.properties').as_uri()}",
                                      "-XX:TieredStopAtLevel=1"]

    def params(cmd):
        r = run(["java", "-cp", str(BLT_JAR), "org.apache.flink.runtime.util.bash.BashJavaUtils", cmd,
                 "--configDir", str(confdir)], timeout=120)
        lines = [l.split(":", 1)[1] for l in r.stdout.splitlines() if l.startswith("BASH_JAVA_UTILS_EXEC_RESULT:")]
        return lines[0].split(), lines[1].split() if len(lines) > 1 else []

    jm_jvm, jm_dyn = params("GET_JM_RESOURCE_PARAMS")
    tm_jvm, tm_dyn = params("GET_TM_RESOURCE_PARAMS")
    jm_log, tm_log = t / "jobmanager.log", t / "taskmanager.log"

    def start_tm():
        return start(base + tm_jvm + [f"-Dlog.file={tm_log}", "-cp", str(BLT_JAR),
                                      "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir",
                                      str(confdir)] + tm_dyn, log=t / "tm.out")

    jm = start(base + jm_jvm + [f"-Dlog.file={jm_log}", "-cp", str(BLT_JAR),
                                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                                "--configDir", str(confdir)] + jm_dyn, log=t / "jm.out")
    wait_port(rest, timeout=120, proc=jm)
    tm = start_tm()
    end = time.time() + ctx["seconds"]
    paths = ["/overview", "/config", "/taskmanagers", "/jobs", "/jobs/overview", "/jobmanager/config",
             "/jobmanager/metrics", "/jars", "/jobs/{h}", "/jobs/{h}/exceptions", "/jobs/{h}/checkpoints",
             "/taskmanagers/{h}", "/jars/{h}.jar/run", "/nope", "/v1/overview", "/jobs/not-a-job-id"]
    conn = http.client.HTTPConnection("127.0.0.1", rest, timeout=10)
    restarted = 0
    while time.time() < end:
        p = rng.choice(paths).format(h=f"{rng.getrandbits(128):032x}")
        method = "POST" if p.endswith("/run") or (p == "/jars" and rng.random() < 0.5) else \
            rng.choice(["GET"] * 8 + ["PATCH", "DELETE"])
        body = os.urandom(rng.randint(0, 200)) if method == "POST" else None
        try:
            conn.request(method, p, body=body, headers={"Content-Type": "application/json"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", rest, timeout=10)
        time.sleep(0.02)
        if time.time() > end - ctx["seconds"] * (2 - restarted) / 3 and restarted < 2:
            restarted += 1
            stop(tm, signal.SIGKILL)  # the JobManager logs the lost heartbeat
            time.sleep(12)
            tm = start_tm()
    stop(tm)
    stop(jm)
    shutil.copy(jm_log, out / "jobmanager.log")
    shutil.copy(tm_log, out / "taskmanager.log")


def dns_query(name, qtype, qid):
    header = qid.to_bytes(2, "big") + b"\x01\x00" + b"\x00\x01\x00\x00\x00\x00\x00\x00"
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\x00"
    return header + q + qtype.to_bytes(2, "big") + b"\x00\x01"


@source("dnsmasq", ["dnsmasq-base"], ["dnsmasq query log (log-queries=extra)"])
def src_dnsmasq(ctx):
    """dnsmasq as a loopback DNS forwarder: local names, a dead upstream, NXDOMAIN, malformed packets, reloads."""
    t, rng, out = ctx["tmp"], ctx["rng"], ctx["out"]
    port, dead = free_port(), free_port()
    os.chmod(t, 0o755)
    (t / "hosts").write_text("127.0.0.1 app.corpus.test db.corpus.test\n127.0.0.2 cache.corpus.test\n")
    cmd = ["dnsmasq", "--no-daemon", f"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
           "--no-resolv", "--no-hosts", f"--addn-hosts={t}/hosts", f"--server=127.0.0.1#{dead}",
           "--address=/blocked.test/0.0.0.0", "--local=/corpus.test/", "--log-queries=extra",
           f"--log-facility={t}/dnsmasq.log", "--cache-size=150", "--user=root", "--pid-file=" + str(t / "pid")]
    proc = start(cmd, log=t / "dnsmasq.out")
    time.sleep(1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.02)
    names = ["app.corpus.test", "db.corpus.test", "cache.corpus.test", "missing.corpus.test", "ads.blocked.test",
             "www.example.org", "api.partner.test", "x" * 60 + ".test", "localhost"]
    end = time.time() + ctx["seconds"]
    while time.time() < end:
        if proc.poll() is not None:
            proc = start(cmd, log=t / "dnsmasq.out")
            time.sleep(1)
        r = rng.random()
        if r < 0.9:
            pkt = dns_query(rng.choice(names), rng.choice([1, 1, 1, 28, 28, 15, 16, 12, 33, 255]), rng.getrandbits(16))
        else:
            pkt = os.urandom(rng.randint(1, 40))
        with contextlib.suppress(OSError):
            sock.sendto(pkt, ("127.0.0.1", port))
            sock.recv(4096)
        if rng.random() < 0.002:
            os.kill(proc.pid, signal.SIGHUP)  # re-read hosts, clear cache
        if rng.random() < 0.001:
            os.kill(proc.pid, signal.SIGUSR1)  # cache statistics
        time.sleep(0.005)
    sock.close()
    stop(proc)
    shutil.copy(t / "dnsmasq.log", out / "dnsmasq.log")


# ---------------------------------------------------------------------------------------------

def count_lines(p):
    n = 0
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "corpus_real")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--minutes-per-source", type=float, default=1.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--compress", action="store_true", help="xz -9 each collected file (for committing)")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(SOURCES)
    unknown = set(names) - set(SOURCES)
    if unknown:
        ap.error(f"unknown sources {sorted(unknown)}; known: {', '.join(SOURCES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    mpath = args.out / "MANIFEST.json"
    manifest = json.loads(mpath.read_text()) if mpath.exists() else {"sources": {}}
    manifest["seed"] = args.seed
    manifest["minutes_per_source"] = args.minutes_per_source
    manifest["command"] = "/usr/bin/python3 model-export/collect_logs.py " + " ".join(sys.argv[1:])
    failed = manifest.setdefault("failed", {})
    for name in names:
        failed.pop(name, None)
        spec = SOURCES[name]
        out = args.out / name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        started = time.time()
        print(f"== {name}", flush=True)
        try:
            apt_install(spec["packages"])
            with tempfile.TemporaryDirectory(prefix=f"corpus-{name}-") as tmp:
                ctx = {"tmp": Path(tmp), "out": out, "seed": args.seed,
                       "rng": random.Random(args.seed * 1000003 + zlib.crc32(name.encode())),
                       "seconds": args.minutes_per_source * 60}
                try:
                    spec["fn"](ctx)
                except Exception:
                    for f in Path(tmp).glob("*.out"):
                        print(f"-- {f.name}: " + f.read_text(errors="replace")[-1500:], flush=True)
                    raise
        except Exception as e:  # a failing source is reported and skipped
            traceback.print_exc()
            failed[name] = f"{type(e).__name__}: {e}"[:500]
            manifest["sources"].pop(name, None)
            mpath.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
            shutil.rmtree(out, ignore_errors=True)
            print(f"!! {name} failed: {failed[name]}", flush=True)
            continue
        files = {}
        for f in sorted(out.iterdir()):
            if f.suffix == ".xz":
                continue
            files[f.name] = {"bytes": f.stat().st_size, "lines": count_lines(f)}
            if args.compress:
                run(["xz", "-9", "-T1", "-f", str(f)])
                files[f.name]["xz_bytes"] = (out / (f.name + ".xz")).stat().st_size
        manifest["sources"][name] = {"formats": spec["formats"], "files": files,
                                     "packages": versions(spec["packages"]) if spec["packages"] else {},
                                     "seconds": round(time.time() - started, 1), "seed": args.seed,
                                     "minutes_per_source": args.minutes_per_source,
                                     "command": manifest["command"]}
        total = sum(v["bytes"] for v in files.values())
        print(f"   {name}: {len(files)} files, {total} bytes, {time.time() - started:.0f}s", flush=True)
        mpath.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    mpath.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    if failed:
        print("failed sources: " + ", ".join(f"{k} ({v})" for k, v in failed.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
