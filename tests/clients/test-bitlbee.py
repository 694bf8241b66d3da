#!/usr/bin/env python3
"""bitlbee (the IRC gateway to libpurple) with the built plugin, against the Graph emulator.

bitlbee runs in inetd mode with its stdin/stdout on one end of a socketpair; this test speaks IRC
on the other end, as a user would: it adds the account, signs in with the device code, receives
an IM from bob and replies, joins the group chat "Release planning", sees its topic, talks there,
hears carol, changes the topic (IRC TOPIC → the prpl's set_chat_topic) and runs a slash
command (/history in bob's query). Then what such a user does most with the later features:
/members typed as a message in #release (its lines arrive in the channel), a mention typed in
IRC, /pin and /react on bob's last message in the query, and bob's Teams presence seen through
WHOIS (bitlbee's away reply). What the plugin sent is checked in the emulator's request log. Prints TAP; skipped only when bitlbee is not installed.
"""
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import (Tap, Deadline, FakeGraph, build_dir, kill_tree, wait_until,  # noqa: E402
                       real_client_env, asan_runtime, SANITIZER_REPORT, exit_cleanly_on_signals)

BITLBEE = os.environ.get("BITLBEE", "/usr/sbin/bitlbee")
HERE = os.path.dirname(os.path.abspath(__file__))
TENANT = os.path.join(HERE, "tenant.json")
ME = "alice@contoso.com"
NICK = "tester"
# The chats of tests/clients/tenant.json.
GROUP_TOPIC = "Release planning"


class Irc:
    """A line-oriented IRC client on one end of the socketpair."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.lines = []      # every line received, in order
        self.closed = False

    def send(self, line):
        self.sock.sendall((line + "\r\n").encode())

    def say(self, target, text):
        self.send("PRIVMSG %s :%s" % (target, text))

    def root(self, text):
        self.say("&bitlbee", text)

    def pump(self, timeout):
        if self.closed:
            time.sleep(min(timeout, 0.2))
            return
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return
        self.buf += data
        while b"\n" in self.buf:
            raw, self.buf = self.buf.split(b"\n", 1)
            line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
            self.lines.append(line)
            if line.startswith("PING "):
                self.send("PONG " + line[5:])

    def mark(self):
        return len(self.lines)

    def expect(self, pred, until, start=0):
        """The first line at index >= start for which pred(parsed) is true, waiting until the
        monotonic time `until`; None when none came."""
        i = start
        while True:
            while i < len(self.lines):
                m = parse(self.lines[i])
                i += 1
                if m and pred(m):
                    return m
            left = until - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self.pump(min(left, 0.25))

    def tail(self, start=0, n=25):
        return "\n".join(self.lines[start:][-n:])


def parse(line):
    """{'nick', 'cmd', 'params', 'text', 'line'} of one IRC line."""
    prefix = ""
    rest = line
    if rest.startswith(":"):
        prefix, _, rest = rest[1:].partition(" ")
    trailing = None
    if " :" in rest:
        rest, _, trailing = rest.partition(" :")
    parts = rest.split()
    if not parts:
        return None
    params = parts[1:]
    if trailing is not None:
        params.append(trailing)
    return {"nick": prefix.split("!", 1)[0], "cmd": parts[0].upper(), "params": params,
            "text": params[-1] if params else "", "line": line}


def why_not_loadable(path):
    """dlopen's complaint about the plugin (an undefined symbol, say), or ''."""
    import ctypes
    if asan_runtime(path):
        return ""   # loading it here would need the ASan runtime preloaded into python
    try:
        ctypes.CDLL(path)
    except OSError as e:
        return "dlopen: %s" % e
    return ""


def from_root(m):
    """A line from bitlbee's root user (or the server) in &bitlbee or to us."""
    return m["cmd"] in ("PRIVMSG", "NOTICE") and m["nick"] in ("root", "localhost", "")


def main():
    if not os.access(BITLBEE, os.X_OK):
        Tap.skip_all("bitlbee not installed (%s)" % BITLBEE)
    plugin = os.path.join(build_dir(), "libteams-graph.so")

    tap = Tap(19)
    tmp = tempfile.mkdtemp(prefix="tg-bitlbee.")
    fg = None
    bee = None
    irc = None
    try:
        # ---- the emulator ----
        try:
            fg = FakeGraph(TENANT, stderr_path=os.path.join(tmp, "fake-graph.log"))
        except (OSError, RuntimeError) as e:
            tap.ok(False, "fake-graph starts with tests/clients/tenant.json", e)
            tap.finish("no emulator")
            return

        ONE_ON_ONE = fg.chat_id(one_on_one_with="bob@contoso.com")
        GROUP = fg.chat_id(topic=GROUP_TOPIC)
        if not (ONE_ON_ONE and GROUP):
            tap.ok(False, "tests/clients/tenant.json has the alice-bob and %r chats"
                   % GROUP_TOPIC, fg.chats())
            tap.finish("tenant incomplete")
            return

        # ---- bitlbee, inetd mode, on a socketpair ----
        conf_dir = os.path.join(tmp, "config")
        plugin_dir = os.path.join(tmp, "plugins")
        os.makedirs(conf_dir)
        os.makedirs(os.path.join(plugin_dir, "purple"))
        shutil.copy(plugin, os.path.join(plugin_dir, "purple", "libteams-graph.so"))
        conf = os.path.join(tmp, "bitlbee.conf")
        with open(conf, "w") as f:
            f.write("[settings]\nRunMode = Inetd\nAuthMode = Open\nConfigDir = %s\n"
                    "PluginDir = %s\n" % (conf_dir, plugin_dir))
        ours, theirs = socket.socketpair()
        env = real_client_env(plugin, dict(os.environ, HOME=tmp))
        bee_err = open(os.path.join(tmp, "bitlbee.stderr"), "wb")
        bee = subprocess.Popen([BITLBEE, "-I", "-c", conf, "-d", conf_dir], stdin=theirs,
                               stdout=theirs, stderr=bee_err, env=env, cwd=tmp,
                               start_new_session=True)
        theirs.close()
        bee_err.close()
        irc = Irc(ours)
        dl = Deadline(total=160, per_wait=20)

        irc.send("NICK " + NICK)
        irc.send("USER %s 0 * :Real-client test" % NICK)
        welcome = irc.expect(lambda m: m["cmd"] == "JOIN" and m["nick"] == NICK, dl.next())
        if not welcome:
            tap.ok(False, "bitlbee accepts the IRC connection", irc.tail())
            tap.finish("no IRC session")
            return

        # 1. The plugin is loaded: the account can be added with protocol teams-graph.
        at = irc.mark()
        irc.root("account add teams-graph " + ME)
        m = irc.expect(lambda m: from_root(m) and re.search(
            r"successfully added|Unknown protocol|not installed", m["text"], re.I),
            dl.next(), at)
        added = bool(m) and "successfully added" in m["text"].lower()
        if not tap.ok(added, "bitlbee loads the plugin: account add teams-graph %s" % ME,
                      irc.tail(at) + "\n" + why_not_loadable(plugin)):
            tap.finish("plugin not loaded")
            return

        # 2. The account options are settings of the bitlbee account.
        at = irc.mark()
        irc.root("account teams-graph set graph_url " + fg.graph_url)
        irc.root("account teams-graph set login_url " + fg.login_url)
        irc.root("account teams-graph set poll_interval 1")
        irc.root("account teams-graph set presence_interval 1")
        irc.root("set handle_unknown add_private")
        got = []
        for key, val in (("graph_url", fg.graph_url), ("login_url", fg.login_url),
                         ("poll_interval", "1"), ("presence_interval", "1"),
                         ("handle_unknown", "add_private")):
            m = irc.expect(lambda m, k=key, v=val: from_root(m) and
                           m["text"].startswith(k) and v in m["text"], dl.next(5), at)
            got.append(bool(m))
        tap.ok(all(got), "graph_url, login_url, poll_interval, presence_interval (integers) "
               "and handle_unknown are set", irc.tail(at))

        # 3. Sign-in: the device code and the URL to enter it at reach &bitlbee.
        at = irc.mark()
        irc.root("account on")
        url_re = re.compile(r"https?://[^\s\x02\x1f'\"<>]+")
        code_msg = irc.expect(lambda m: from_root(m) and url_re.search(m["text"]) and
                              re.search(r"\bcode\b", m["text"], re.I), dl.next(), at)
        code = fg.user_code()
        shown = "\n".join(l for l in irc.lines[at:] if "PRIVMSG" in l or "NOTICE" in l)
        tap.ok(code_msg and code and code in shown,
               "the device-code sign-in text (URL and code %s) reaches &bitlbee" % (code or "?"),
               irc.tail(at))

        # 4. The emulator approves the code; the account gets logged in.
        logged = irc.expect(lambda m: from_root(m) and "logged in" in m["text"].lower(),
                            dl.next(), at)
        if not tap.ok(logged, "the account is logged in", irc.tail(at)):
            tap.finish("not signed in")
            return

        bob = messaging(tap, dl, irc, fg, ONE_ON_ONE, GROUP)
        channel_commands(tap, dl, irc, fg, GROUP)
        message_operations(tap, dl, irc, fg, ONE_ON_ONE, bob)
        presence(tap, dl, irc, fg, bob)

        # The end: bitlbee is still alive and talking.
        at = irc.mark()
        irc.send("PING :still-there")
        pong = irc.expect(lambda m: m["cmd"] == "PONG", time.monotonic() + 5, at)
        with open(os.path.join(tmp, "bitlbee.stderr"), errors="replace") as f:
            report = SANITIZER_REPORT.search(f.read())
        tap.ok(pong and bee.poll() is None and not report,
               "bitlbee is still running and answering, no sanitizer report", irc.tail(at))
    except Exception as e:  # a bug in the test itself: fail visibly, never hang
        tap.ok(False, "test script error: %r" % e)
        tap.finish("test script error")
    finally:
        if irc is not None:
            try:
                irc.send("QUIT :done")
            except OSError:
                pass
            irc.sock.close()
        kill_tree(bee)
        if fg is not None:
            fg.stop()
        # On failure, the tail of what bitlbee and the emulator said helps.
        for name in ("bitlbee.stderr", "fake-graph.log"):
            p = os.path.join(tmp, name)
            if (tap.failed or os.environ.get("TG_VERBOSE")) and os.path.exists(p):
                with open(p, errors="replace") as f:
                    tap.diag("---- %s (tail)\n%s" % (name, f.read()[-2000:]))
        shutil.rmtree(tmp, ignore_errors=True)


def messaging(tap, dl, irc, fg, ONE_ON_ONE, GROUP):
    """Tests 5-13: an IM in and out, the group chat joined, its topic, lines in and out,
    IRC TOPIC and a slash command."""
    # 5. An IM injected from bob arrives as a private message from bob's nick.
    token = uuid.uuid4().hex[:8]
    at = irc.mark()
    fg.inject(ONE_ON_ONE, "bob@contoso.com", "<p>Hi Alice, build %s is green</p>" % token)
    im = irc.expect(lambda m: m["cmd"] == "PRIVMSG" and m["params"][0] == NICK and
                    token in m["text"], dl.next(), at)
    bob = im["nick"] if im else None
    tap.ok(im and bob.lower().startswith("bob"),
           "an IM from bob arrives as a PRIVMSG from %s" % (bob or "bob"), irc.tail(at))

    # 6. A reply to bob's nick is posted to the one-on-one chat.
    token = uuid.uuid4().hex[:8]
    irc.say(bob or "bob", "Thanks Bob, shipping %s" % token)
    posted = fg.wait_request("POST", "/v1.0/chats/%s/messages" % ONE_ON_ONE, token,
                             dl.next())
    tap.ok(posted, "the reply is POSTed to /chats/<alice-bob chat>/messages",
           irc.tail(at))

    # 7. The group chat joins as #release.
    at = irc.mark()
    irc.root("chat add teams-graph %s #release" % GROUP)
    irc.expect(lambda m: from_root(m) and "chat" in m["text"].lower(), dl.next(5), at)
    irc.send("JOIN #release")
    joined = irc.expect(lambda m: m["cmd"] == "JOIN" and m["nick"] == NICK and
                        "#release" in m["params"], dl.next(), at)
    tap.ok(joined, "chat add teams-graph <group chat id> #release, JOIN #release",
           irc.tail(at))

    # 8. Its topic is the chat's topic.
    topic = irc.expect(lambda m: (m["cmd"] == "332" and "#release" in m["params"]) or
                       (m["cmd"] == "TOPIC" and m["params"][0] == "#release"),
                       dl.next(), at)
    tap.ok(topic and topic["text"] == GROUP_TOPIC,
           "the topic of #release is %r" % GROUP_TOPIC, irc.tail(at))

    # 9. The members are in the channel, by nick.
    names = " ".join(m["text"] for m in map(parse, irc.lines[at:])
                     if m and m["cmd"] == "353")
    names += " " + " ".join(m["nick"] for m in map(parse, irc.lines[at:])
                            if m and m["cmd"] == "JOIN")
    if not ("bob" in names and "carol" in names):
        irc.expect(lambda m: m["cmd"] == "JOIN" and m["nick"].startswith("carol"),
                   dl.next(5), at)
        names += " " + " ".join(m["nick"] for m in map(parse, irc.lines[at:])
                                if m and m["cmd"] == "JOIN")
    tap.ok("bob" in names and "carol" in names, "bob and carol are in #release",
           irc.tail(at))

    # 10. A line said in #release is posted to the group chat.
    token = uuid.uuid4().hex[:8]
    irc.say("#release", "Release notes draft %s is up" % token)
    posted = fg.wait_request("POST", "/v1.0/chats/%s/messages" % GROUP, token, dl.next())
    tap.ok(posted, "a line said in #release is POSTed to /chats/<group chat>/messages",
           irc.tail(at))

    # 11. A line from carol in the group chat arrives in #release.
    token = uuid.uuid4().hex[:8]
    at = irc.mark()
    fg.inject(GROUP, "carol@contoso.com", "<p>QA sign-off for %s done</p>" % token)
    said = irc.expect(lambda m: m["cmd"] == "PRIVMSG" and m["params"][0] == "#release" and
                      token in m["text"], dl.next(), at)
    tap.ok(said and said["nick"].lower().startswith("carol"),
           "a line from carol arrives in #release from %s" % (said["nick"] if said else
                                                              "carol"), irc.tail(at))

    # 12. IRC TOPIC sets the group chat's topic (set_chat_topic → PATCH /chats/{id}).
    token = uuid.uuid4().hex[:8]
    at = irc.mark()
    irc.send("TOPIC #release :Release planning %s" % token)
    patched = fg.wait_request("PATCH", "/v1.0/chats/%s" % GROUP, token, dl.next())
    tap.ok(patched, "TOPIC #release sends PATCH /chats/<group chat> with the new topic",
           irc.tail(at))

    # 13. A slash command typed in bob's query runs in the plugin: /history 10 reads the last
    #     ten messages (GET …/messages?$top=10) and shows them, the tenant's history included.
    at = irc.mark()
    before = len(fg.log())
    irc.say(bob or "bob", "/history 10")
    fetched = wait_until(lambda: [
        e for e in fg.log()[before:] if e.get("method") == "GET" and
        e.get("path") == "/v1.0/chats/%s/messages" % ONE_ON_ONE and
        "$top=10" in (e.get("query") or "")], dl.next(), 0.25)
    shown = irc.expect(lambda m: m["cmd"] == "PRIVMSG" and
                       "Are the release notes ready?" in m["text"], dl.next(5), at)
    tap.ok(fetched and shown, "/history 10 in bob's query fetches $top=10 and shows the history",
           irc.tail(at))
    return bob or "bob"


def channel_lines(irc, channel, start):
    """The texts said in `channel` from line `start` on."""
    return [m["text"] for m in map(parse, irc.lines[start:])
            if m and m["cmd"] in ("PRIVMSG", "NOTICE") and m["params"][0] == channel]


def logged_since(fg, before, method, path):
    """The requests with this method and path logged after the first `before` entries."""
    return [e for e in fg.log()[before:] if e.get("method") == method and
            urllib.parse.unquote(e.get("path") or "") == urllib.parse.unquote(path)]


def channel_commands(tap, dl, irc, fg, GROUP):
    """Tests 14-15: a command and a mention typed as messages in #release."""
    # 14. "/members" said in #release runs in the plugin (bitlbee hands a channel's message to
    #     the prpl as text; tgp-chat runs it as a command): GET /chats/{id}/members, and the
    #     list arrives in #release (bitlbee shows our lines from a "Teams" nick), nothing is
    #     posted.
    at = irc.mark()
    before = len(fg.log())
    irc.say("#release", "/members")
    fetched = wait_until(lambda: logged_since(fg, before, "GET", "/v1.0/chats/%s/members"
                                              % GROUP), dl.next(), 0.25)
    irc.expect(lambda m: m["cmd"] == "PRIVMSG" and m["params"][0] == "#release" and
               "Carol Cooper" in m["text"], dl.next(10), at)
    lines = channel_lines(irc, "#release", at)
    listed = any(re.search(r"\b3 members\b", t) for t in lines) and \
        any(re.search(r"Carol Cooper \(carol@contoso\.com\) — (owner|member|guest)", t)
            for t in lines) and \
        any("Bob Baker" in t for t in lines)
    posted = logged_since(fg, before, "POST", "/v1.0/chats/%s/messages" % GROUP)
    tap.ok(fetched and listed and not posted,
           "/members typed in #release lists the 3 members there (GET /chats/<group>/members, "
           "nothing posted)", "posted: %r\n%s" % (posted, irc.tail(at)))

    # 15. A mention typed in IRC is posted as a Teams mention of bob.
    token = uuid.uuid4().hex[:8]
    irc.say("#release", "@bob@contoso.com please review %s" % token)
    e = fg.wait_request("POST", "/v1.0/chats/%s/messages" % GROUP, token, dl.next())
    mentions = []
    content = ""
    if e:
        try:
            body = json.loads(e.get("body") or "{}")
        except ValueError:
            body = {}
        mentions = body.get("mentions") or []
        content = (body.get("body") or {}).get("content") or ""
    bob_mentioned = [mt for mt in mentions if "Bob Baker" in json.dumps(mt)]
    tap.ok(bob_mentioned and re.search(r'<at id="?%s"?' % bob_mentioned[0].get("id"), content),
           "\"@bob@contoso.com please review …\" in #release is POSTed with a mentions[] entry "
           "for Bob Baker and its <at> tag", e)


def message_operations(tap, dl, irc, fg, ONE_ON_ONE, bob):
    """Tests 16-17: /pin and /react on bob's last message, typed in bob's query."""
    token = uuid.uuid4().hex[:8]
    at = irc.mark()
    injected = fg.inject(ONE_ON_ONE, "bob@contoso.com", "<p>Release candidate %s tagged</p>"
                         % token) or {}
    mid = injected.get("id")
    irc.expect(lambda m: m["cmd"] == "PRIVMSG" and token in m["text"], dl.next(), at)

    # 16. /pin pins it: POST /chats/{id}/pinnedMessages binding that message; "Pinned: …".
    at = irc.mark()
    irc.say(bob, "/pin")
    e = fg.wait_request("POST", "/v1.0/chats/%s/pinnedMessages" % ONE_ON_ONE,
                        "/messages/%s" % mid, dl.next())
    told = irc.expect(lambda m: m["cmd"] in ("PRIVMSG", "NOTICE") and "Pinned" in m["text"]
                      and token in m["text"], dl.next(10), at)
    tap.ok(mid and e and e.get("status") in (200, 201, 204) and told,
           "/pin in bob's query POSTs /chats/<chat>/pinnedMessages binding his last message, "
           "and says \"Pinned: …\"", "%r\n%s" % (e, irc.tail(at)))

    # 17. /react 👍 reacts to it: POST /chats/{id}/messages/{mid}/setReaction.
    at = irc.mark()
    irc.say(bob, "/react \U0001F44D")
    e = fg.wait_request("POST", "/v1.0/chats/%s/messages/%s/setReaction" % (ONE_ON_ONE, mid),
                        "\U0001F44D", dl.next())
    told = irc.expect(lambda m: m["cmd"] in ("PRIVMSG", "NOTICE") and m["text"].startswith(
        "You reacted") and token in m["text"], dl.next(10), at)
    tap.ok(mid and e and told,
           "/react \U0001F44D in bob's query POSTs …/messages/<his last>/setReaction "
           "{reactionType: \U0001F44D} and says \"You reacted …\"", "%r\n%s" % (e, irc.tail(at)))


def presence(tap, dl, irc, fg, bob):
    """Test 18: bob turns Busy, In a call in Teams; bitlbee marks him away, and WHOIS gives
    the status and activity as his away message (RPL_AWAY, 301)."""
    fg.control("presence", {"user": "bob@contoso.com", "availability": "Busy",
                            "activity": "InACall"})
    until = dl.next(30)
    away = None
    at = irc.mark()
    while away is None and time.monotonic() < until:
        mark = irc.mark()
        irc.send("WHOIS " + bob)
        end = irc.expect(lambda m: m["cmd"] == "318", time.monotonic() + 5, mark)
        away = next((m for m in map(parse, irc.lines[mark:])
                     if m and m["cmd"] == "301" and "In a call" in m["text"]), None)
        if away is None and end is not None:
            irc.pump(1.0)
    if away:
        tap.diag("WHOIS %s: %s" % (bob, away["line"]))
    tap.ok(away and "Busy" in away["text"],
           "bob's Teams presence (Busy, In a call) reaches bitlbee: WHOIS %s answers 301 "
           "with it" % bob, irc.tail(at))


if __name__ == "__main__":
    exit_cleanly_on_signals()
    main()
