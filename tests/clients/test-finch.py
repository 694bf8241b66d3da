#!/usr/bin/env python3
"""Finch (libpurple's ncurses client) with the built plugin, under tmux, against the emulator.

A throwaway HOME holds the plugin in ~/.purple/plugins, an auto-login account pointing at the
emulator and prefs turning on plain-text logs. Finch signs in with the device code (the dialog
shows the code), an IM injected from bob lands in Finch's own text log, the conversation window
is focused with M-<n> (n read off Finch's task bar) and a reply typed there is POSTed to the
one-on-one chat. Then bob turns Busy in Teams and Finch's system log records his status
change (libpurple logs buddy status changes there with log_system on), and /pinned typed in
the conversation lists a message bob pinned (GET …/pinnedMessages; command output is not logged
by design, so it is read off the conversation window with capture-pane). Prints TAP; skipped
only when finch or tmux are missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import (Tap, Deadline, FakeGraph, wait_until, plugin_for,  # noqa: E402
                       exit_cleanly_on_signals)

HERE = os.path.dirname(os.path.abspath(__file__))
TENANT = os.path.join(HERE, "tenant.json")
ME = "alice@contoso.com"
BOB_NAMES = ("bob@contoso.com", "Bob Baker")


def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_profile(home, fg, plugin):
    purple = os.path.join(home, ".purple")
    os.makedirs(os.path.join(purple, "plugins"))
    shutil.copy(plugin, os.path.join(purple, "plugins", "libteams-graph.so"))
    with open(os.path.join(purple, "accounts.xml"), "w") as f:
        f.write("""<?xml version='1.0' encoding='UTF-8' ?>
<account version='1.0'>
 <account>
  <protocol>prpl-teams-graph</protocol>
  <name>%s</name>
  <settings>
   <setting name='graph_url' type='string'>%s</setting>
   <setting name='login_url' type='string'>%s</setting>
   <setting name='poll_interval' type='int'>1</setting>
   <setting name='presence_interval' type='int'>1</setting>
  </settings>
  <settings ui='gnt-purple'>
   <setting name='auto-login' type='bool'>1</setting>
  </settings>
 </account>
</account>
""" % (ME, xml_text(fg.graph_url), xml_text(fg.login_url)))
    with open(os.path.join(purple, "prefs.xml"), "w") as f:
        f.write("""<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
 <pref name='purple'>
  <pref name='logging'>
   <pref name='log_ims' type='bool' value='1'/>
   <pref name='log_chats' type='bool' value='1'/>
   <pref name='log_system' type='bool' value='1'/>
   <pref name='format' type='string' value='txt'/>
  </pref>
 </pref>
</pref>
""")


class Tmux:
    def __init__(self, sock):
        self.sock = sock

    def run(self, *args, check=False):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, check=check, timeout=10)

    def screen(self):
        r = self.run("capture-pane", "-p", "-t", "0")
        return r.stdout if r.returncode == 0 else ""

    def alive(self):
        return self.run("has-session").returncode == 0

    def keys(self, *keys):
        self.run("send-keys", "-t", "0", *keys)

    def text(self, text):
        self.run("send-keys", "-t", "0", "-l", text)

    def pane_pid(self):
        r = self.run("display-message", "-p", "-t", "0", "#{pane_pid}")
        try:
            return int(r.stdout.strip())
        except ValueError:
            return None


def taskbar(screen):
    """Finch's task bar (the last non-empty line): the window titles, in M-<n> order."""
    lines = [l for l in screen.splitlines() if l.strip()]
    if not lines:
        return []
    return [t.strip() for t in lines[-1].split("│")]


def log_texts(home, system=False):
    """(path, text) of Finch's text logs: the conversations', or (system) the account's system
    log (logs/<protocol>/<account>/.system/, which a glob's ** does not enter)."""
    out = []
    for top, dirs, files in os.walk(os.path.join(home, ".purple", "logs")):
        if (os.path.basename(top) == ".system") != system:
            continue
        for name in files:
            if not name.endswith(".txt"):
                continue
            p = os.path.join(top, name)
            try:
                with open(p, errors="replace") as f:
                    out.append((p, f.read()))
            except OSError:
                pass
    return out


def main():
    missing = [b for b in ("finch", "tmux") if shutil.which(b) is None]
    if missing:
        Tap.skip_all("%s not installed" % " and ".join(missing))
    tap = Tap(9)
    try:
        plugin, note = plugin_for(client_can_preload_asan=False)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        tap.ok(False, "an uninstrumented plugin for Finch builds", e)
        tap.finish("no plugin")
        return
    if note:
        tap.diag(note)
    home = tempfile.mkdtemp(prefix="tg-finch.")
    fg = None
    tmux = Tmux(os.path.join(home, "tmux.sock"))
    finch_pid = None
    try:
        try:
            fg = FakeGraph(TENANT, stderr_path=os.path.join(home, "fake-graph.log"))
        except (OSError, RuntimeError) as e:
            tap.ok(False, "fake-graph starts with tests/clients/tenant.json", e)
            tap.finish("no emulator")
            return
        ONE_ON_ONE = fg.chat_id(one_on_one_with="bob@contoso.com")
        if not ONE_ON_ONE:
            tap.ok(False, "tests/clients/tenant.json has the alice-bob chat", fg.chats())
            tap.finish("tenant incomplete")
            return
        write_profile(home, fg, plugin)
        dl = Deadline(total=150, per_wait=20)

        cmd = ("env -i HOME=%s TERM=screen-256color LANG=C.UTF-8 PATH=/usr/bin:/bin "
               "GIO_USE_PROXY_RESOLVER=dummy finch" % home)
        tmux.run("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "35", cmd)
        finch_pid = tmux.pane_pid()

        # 1. The device-code dialog shows the code the emulator issued.
        code = None

        def code_on_screen():
            nonlocal code
            code = code or fg.user_code()
            s = tmux.screen()
            return code and code in s
        shown = wait_until(code_on_screen, dl.next())
        tap.ok(shown, "Finch shows the device code %s of the sign-in" % (code or "?"),
               tmux.screen())

        # 2. Signed in: the emulator approves the code, the token and /me are fetched and the
        #    sign-in dialog closes by itself.
        def signed_in():
            try:
                log = fg.log()
            except OSError:
                return False
            token = any(e.get("method") == "POST" and e.get("path", "").endswith(
                "/oauth2/v2.0/token") and e.get("status") == 200 for e in log)
            me = any(e.get("method") == "GET" and e.get("path") == "/v1.0/me" and
                     e.get("status") == 200 for e in log)
            return token and me and code and code not in tmux.screen()
        ok = wait_until(signed_in, dl.next())
        tap.ok(ok, "Finch signs in (token issued, GET /me answered, the dialog closes)",
               tmux.screen())
        messaging(tap, dl, fg, tmux, home, ONE_ON_ONE)
        presence_and_command(tap, dl, fg, tmux, home, ONE_ON_ONE)

        # The end: Finch is still running.
        tap.ok(tmux.alive() and pid_alive(finch_pid),
               "Finch is still running")
    except Exception as e:
        tap.ok(False, "test script error: %r" % e)
        tap.finish("test script error")
    finally:
        tmux.run("kill-server")
        if finch_pid:
            wait_until(lambda: not pid_alive(finch_pid), time.monotonic() + 5)
            if pid_alive(finch_pid):
                try:
                    os.kill(finch_pid, 9)
                except OSError:
                    pass
        if fg is not None:
            fg.stop()
        shutil.rmtree(home, ignore_errors=True)


def messaging(tap, dl, fg, tmux, home, chat):
    """Tests 3-6: the buddy list, an IM in, a reply out, both in Finch's log."""
    # 3. Bob is in the buddy list.
    bob_shown = wait_until(lambda: any(n in tmux.screen() for n in BOB_NAMES), dl.next())
    tap.ok(bob_shown, "the buddy list shows bob", tmux.screen())

    # 4. An IM from bob lands in Finch's text log of the conversation with bob.
    token = uuid.uuid4().hex[:8]
    fg.inject(chat, "bob@contoso.com", "<p>Lunch at noon? (%s)</p>" % token)
    logged = wait_until(lambda: [p for p, t in log_texts(home) if token in t], dl.next())
    tap.ok(logged and "bob@contoso.com" in logged[0].lower(),
           "bob's IM is in Finch's log %s" % (
               os.path.relpath(logged[0], home) if logged else "logs/…/bob@contoso.com/…"),
           "logs: %r\n%s" % ([os.path.relpath(p, home) for p, _ in log_texts(home)],
                              tmux.screen()))

    # 5. Focus the conversation (M-<n>, n from the task bar) and reply; the reply is POSTed.
    def conv_index():
        bar = taskbar(tmux.screen())
        for i, title in enumerate(bar):
            if any(n.lower() in title.lower() for n in BOB_NAMES) or \
                    title.lower().startswith("bob"):
                return i + 1
        return None
    n = wait_until(conv_index, dl.next(10))
    token = uuid.uuid4().hex[:8]
    posted = None
    if n and n <= 9:
        tmux.keys("M-%d" % n)
        time.sleep(0.5)
        tmux.text("See you there, %s" % token)
        tmux.keys("Enter")
        posted = fg.wait_request("POST", "/v1.0/chats/%s/messages" % chat, token,
                                 dl.next())
    tap.ok(posted, "a reply typed in the conversation window (M-%s) is POSTed to the "
           "one-on-one chat" % (n or "?"), "task bar: %r\n%s" % (
               taskbar(tmux.screen()), tmux.screen()))

    # 6. The reply is in the same log.
    logged = wait_until(lambda: [p for p, t in log_texts(home) if token in t], dl.next(5))
    tap.ok(logged, "the reply is in Finch's log too")
    return True


def presence_and_command(tap, dl, fg, tmux, home, chat):
    """Tests 7-8: bob's presence in Finch's system log, /pinned in the conversation window."""
    # 7. Bob turns Busy (in a call) in Teams: libpurple logs his status change in the account's
    #    system log ("Bob Baker (bob@contoso.com) changed status from Available to Busy").
    fg.control("presence", {"user": "bob@contoso.com", "availability": "Busy",
                            "activity": "InACall"})
    change = re.compile(r"bob@contoso\.com\).*(changed status from \S+ to Busy|is now Busy)")
    logged = wait_until(lambda: [p for p, t in log_texts(home, system=True)
                                 if change.search(t)], dl.next(30))
    tap.ok(logged, "bob's Teams presence (Busy) reaches Finch: its system log records the "
           "status change", "system logs: %s" % "\n".join(
               "%s:\n%s" % (os.path.relpath(p, home), t[-600:])
               for p, t in log_texts(home, system=True)))

    # 8. Bob pins a message; "/pinned" typed in the conversation window (focused in test 5)
    #    fetches the pins and lists that message, with its author, in the window.
    token = uuid.uuid4().hex[:8]
    injected = fg.inject(chat, "bob@contoso.com", "<p>Rollout plan %s</p>" % token) or {}
    wait_until(lambda: [p for p, t in log_texts(home) if token in t], dl.next())
    fg.control("pin", {"chat": chat, "id": injected.get("id"), "by": "bob@contoso.com"})
    before = len(fg.log())
    tmux.text("/pinned")
    tmux.keys("Enter")
    fetched = wait_until(lambda: [
        e for e in fg.log()[before:] if e.get("method") == "GET" and
        e.get("path") == "/v1.0/chats/%s/pinnedMessages" % chat], dl.next(), 0.25)
    listed = wait_until(lambda: re.search(r"Pinned messages \(\d+\):(.|\n)*Bob Baker: "
                                          r"Rollout plan %s" % token, tmux.screen()),
                        dl.next(10))
    posted = fg.find_request("POST", "/v1.0/chats/%s/messages" % chat, "/pinned")
    tap.ok(fetched and listed and not posted,
           "/pinned typed in bob's conversation fetches …/pinnedMessages and lists bob's "
           "pinned message in the window (nothing posted)", tmux.screen())


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False



if __name__ == "__main__":
    exit_cleanly_on_signals()
    main()
