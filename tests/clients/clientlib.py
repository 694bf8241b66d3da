"""Shared helpers for the real-client tests (tests/clients/test-*.py); python3 stdlib only.

- Tap: TAP output ("1..N", "ok N - …", "not ok N - …" with "# " diagnostics).
- Deadline: bounded waits (a per-expectation limit inside an overall budget), never a timing
  assertion.
- FakeGraph: build/fake-graph as a subprocess on a free loopback port, its control endpoints
  (/_fake/inject, /_fake/log, …) and waiting for a request to show up in its log.
- build_dir(), repo_root(), kill_tree(): locating the build and cleaning up processes.
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_dir():
    """The build the test runner built (TG_BUILD_DIR), else <repo>/build."""
    d = os.environ.get("TG_BUILD_DIR")
    if d:
        return d
    return os.path.join(repo_root(), os.environ.get("BUILD", "build"))


def asan_runtime(library):
    """The AddressSanitizer runtime `library` links (a SANITIZE=1 build), or None."""
    try:
        out = subprocess.run(["ldd", library], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"libclang_rt\.asan[^\s]*\.so\s+=>\s+(\S+)", out)
    return m.group(1) if m else None


def plugin_for(client_can_preload_asan):
    """(plugin path, note) for a real client. A sanitizer build's plugin needs the ASan runtime
    preloaded: bitlbee takes that (LD_PRELOAD, see real_client_env), Finch and Pidgin hang with
    it (real-clients.md), so for them an uninstrumented build of the same tree is made beside
    it (<build>-plain) and used; `note` says so, for a TAP diagnostic."""
    d = build_dir()
    plugin = os.path.join(d, "libteams-graph.so")
    if client_can_preload_asan or not asan_runtime(plugin):
        return plugin, None
    root = repo_root()
    plain = d.rstrip("/") + "-plain"
    rel = os.path.relpath(plain, root) if plain.startswith(root + "/") else plain
    r = subprocess.run(["make", "-s", "--no-print-directory", "BUILD=" + rel, "SANITIZE=",
                        os.path.join(rel, "libteams-graph.so")], cwd=root,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("building an uninstrumented plugin failed:\n" + r.stdout[-2000:])
    return (os.path.join(plain, "libteams-graph.so"),
            "the plugin is an AddressSanitizer build, which this client cannot load; "
            "using an uninstrumented build of the same tree (%s)" % rel)


def real_client_env(plugin, base=None):
    """The environment for a client process that loads `plugin`: loopback without proxies, and
    the ASan runtime preloaded when the plugin is a sanitizer build (leak checking off: the
    client's own allocations are not ours to judge; memory errors still abort)."""
    env = dict(base if base is not None else os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["no_proxy"] = env["NO_PROXY"] = "*"
    env["GIO_USE_PROXY_RESOLVER"] = "dummy"
    rt = asan_runtime(plugin)
    if rt:
        env["LD_PRELOAD"] = rt
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
    return env


def exit_cleanly_on_signals():
    """SIGTERM/SIGHUP/SIGINT (the runner's timeout, a closed terminal) end the test through
    its `finally` blocks, so that clients, emulator and temp dirs go with it."""
    def bye(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, bye)


SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")


class Tap:
    def __init__(self, plan):
        self.plan = plan
        self.n = 0
        self.failed = 0
        print("1..%d" % plan, flush=True)

    def ok(self, cond, name, diag=None):
        self.n += 1
        self.failed += 0 if cond else 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond and diag:
            self.diag(diag)
        return bool(cond)

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            print("# " + line, flush=True)

    def finish(self, reason="not reached"):
        """Fail the tests that were never run (a failure earlier made them impossible)."""
        while self.n < self.plan:
            self.ok(False, "(skipped: %s)" % reason)

    @staticmethod
    def skip_all(reason):
        print("1..0 # SKIP %s" % reason, flush=True)
        sys.exit(0)


class Deadline:
    """Each wait gets at most `per_wait` seconds, and all waits together at most `total`."""

    def __init__(self, total, per_wait=20.0):
        self.end = time.monotonic() + total
        self.per_wait = per_wait

    def next(self, limit=None):
        limit = self.per_wait if limit is None else limit
        return time.monotonic() + max(0.0, min(limit, self.end - time.monotonic()))

    def left(self):
        return self.end - time.monotonic()


def wait_until(pred, until, step=0.2):
    """Calls pred() until it returns something truthy or the monotonic time `until` passes."""
    while True:
        r = pred()
        if r:
            return r
        if time.monotonic() >= until:
            return r
        time.sleep(step)


def kill_tree(proc, grace=3.0):
    """Ends a Popen started with start_new_session=True: TERM to its process group, then KILL."""
    if proc is None:
        return
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None and pgid is None:
            break
        try:
            if pgid is not None:
                os.killpg(pgid, sig)
            else:
                proc.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=grace)
            if pgid is not None:
                # The leader is gone; make sure nothing else of the group lingers.
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            break
        except subprocess.TimeoutExpired:
            continue


class FakeGraph:
    """build/fake-graph on 127.0.0.1 with a tenant file; its base URL is its first stdout line."""

    def __init__(self, tenant, binary=None, extra_args=(), stderr_path=None, start_timeout=20.0):
        self.binary = binary or os.path.join(build_dir(), "fake-graph")
        args = [self.binary, "--port", "0"]
        if tenant:
            args += ["--tenant", tenant]
        args += list(extra_args)
        self.stderr_file = open(stderr_path or os.devnull, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file, start_new_session=True)
        self.base = None
        line = b""
        until = time.monotonic() + start_timeout
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n") and time.monotonic() < until:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 1)
                if not chunk:
                    break
                line += chunk
        text = line.decode(errors="replace").strip()
        if not text.startswith("http"):
            self.stop()
            raise RuntimeError("fake-graph did not print its base URL (got %r)" % text)
        self.base = text.rstrip("/")
        self.graph_url = self.base + "/v1.0"
        self.login_url = self.base

    # ---- control endpoints ----
    def request(self, method, path, obj=None, timeout=10):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        # Loopback only: never go through a proxy.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=timeout) as resp:
            body = resp.read()
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body.decode(errors="replace")

    def control(self, name, obj):
        return self.request("POST", "/_fake/" + name, obj)

    def inject(self, chat, sender, html):
        return self.control("inject", {"chat": chat, "from": sender, "html": html})

    def user_code(self):
        """The device code's user code the emulator issued last, or None."""
        data = self.request("GET", "/_fake/user-code")
        return data.get("userCode") if isinstance(data, dict) else None

    def chats(self):
        """[{id, chatType, topic, members: [upn…], messages: n}] of the tenant."""
        data = self.request("GET", "/_fake/chats")
        return data.get("chats", []) if isinstance(data, dict) else []

    def chat_id(self, topic=None, one_on_one_with=None):
        """The id of the chat with this topic, or of the one-on-one chat with this UPN."""
        for c in self.chats():
            if topic is not None and c.get("topic") == topic:
                return c["id"]
            if one_on_one_with and c.get("chatType") == "oneOnOne" and \
                    one_on_one_with.lower() in [m.lower() for m in c.get("members", [])]:
                return c["id"]
        return None

    def log(self):
        """The request log as a list of dicts (method, path, query, body, status, …)."""
        data = self.request("GET", "/_fake/log")
        if isinstance(data, dict):
            for key in ("requests", "log", "value"):
                if isinstance(data.get(key), list):
                    return data[key]
            return []
        return data if isinstance(data, list) else []

    def find_request(self, method, path, body_contains=None, entries=None):
        """The first logged request with this method and (decoded) path whose body contains
        `body_contains` (any of them when it is a list), or None."""
        want = urllib.parse.unquote(path)
        for e in entries if entries is not None else self.log():
            if str(e.get("method", "")).upper() != method.upper():
                continue
            if urllib.parse.unquote(str(e.get("path", ""))) != want:
                continue
            body = e.get("body") or ""
            if not isinstance(body, str):
                body = json.dumps(body)
            if body_contains is None or body_contains in body or \
                    body_contains in _json_text(body):
                return e
        return None

    def wait_request(self, method, path, body_contains, until):
        return wait_until(lambda: self._safe_find(method, path, body_contains), until, 0.25)

    def _safe_find(self, method, path, body_contains):
        try:
            return self.find_request(method, path, body_contains)
        except OSError:
            return None

    def stop(self):
        kill_tree(self.proc)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.stderr_file.close()


def _json_text(body):
    """The body with JSON string escapes undone (so "a \\u003cb" matches "a <b")."""
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return body
