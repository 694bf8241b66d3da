#!/usr/bin/env python3
"""The colleagues of `make demo`: they make the emulator's organisation feel alive.

Driven entirely through build/fake-graph's control endpoints (tests/fake-graph/README.md):
- whoever you talk to in a one-on-one chat answers each of your messages after a few seconds
  (we watch GET /_fake/log for new POSTs to /v1.0/chats/<id>/messages);
- someone posts into a group chat every 20-40 s, now and then @mentioning you;
- presence changes every little while.

  scripts/demo-colleagues.py --base http://127.0.0.1:PORT [--tenant FILE] [--me UPN]

python3 stdlib only; loopback only; exits when the emulator goes away or on SIGTERM/SIGINT.
"""
import argparse
import heapq
import json
import random
import re
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

REPLIES = [
    "Sounds good to me!",
    "Got it, thanks 👍",
    "Let me check and get back to you in a bit.",
    "Makes sense. Can you put it in the doc too?",
    "Agreed. I'll update the ticket.",
    "Ha, fair point 😄",
    "Yes — I'm on it.",
]
QUESTION_REPLIES = [
    "Good question. I think so, but let me double-check.",
    "Yes, that works for me.",
    "Not sure yet — can we sync after lunch?",
]
GREETING_REPLIES = ["Hi Alice! 👋", "Hey! What's up?", "Morning! ☕"]
CHATTER = [
    "The build on <b>main</b> is green again 🎉",
    "Who has the link to the sprint board?",
    "I pushed the new mockups, feedback welcome.",
    "Standup is moved to 10:15 today.",
    "Customer demo went well, they liked the new search.",
    "Heads up: staging will be down for 10 minutes at 4pm.",
    "Does anyone know why the nightly job took 3 hours?",
]
MENTIONS = [
    "can you take a look at the release checklist?",
    "do you have a minute for the scope question?",
    "could you approve the budget line before Friday?",
]
PRESENCE = [
    ("Available", "Available"), ("Busy", "InACall"), ("Busy", "InAMeeting"),
    ("Away", "Away"), ("BeRightBack", "BeRightBack"), ("DoNotDisturb", "Presenting"),
]


class Emulator:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method, path, obj=None):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with self.opener.open(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None


def text_of(body):
    """The plain text of a POST /messages body (best effort)."""
    try:
        content = json.loads(body or "{}").get("body", {}).get("content", "")
    except (ValueError, AttributeError):
        return ""
    return re.sub(r"<[^>]*>", "", content or "").strip()


def answer_for(text):
    low = text.lower()
    if "lunch" in low:
        return "Lunch sounds great — 12:30 at the usual place? 🌮"
    if text.endswith("?"):
        return random.choice(QUESTION_REPLIES)
    if re.search(r"\b(hi|hello|hey|morning)\b", low):
        return random.choice(GREETING_REPLIES)
    return random.choice(REPLIES)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the emulator's base URL")
    ap.add_argument("--tenant", help="the tenant JSON (for display names)")
    ap.add_argument("--me", default="alice@contoso.com")
    ap.add_argument("--reply-delay", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"))
    ap.add_argument("--chatter", type=float, nargs=2, default=(20.0, 40.0), metavar=("MIN", "MAX"))
    ap.add_argument("--presence", type=float, nargs=2, default=(25.0, 50.0), metavar=("MIN", "MAX"))
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    if args.seed is not None:
        random.seed(args.seed)
    me = args.me.lower()

    names = {}
    if args.tenant:
        try:
            with open(args.tenant) as f:
                for u in json.load(f).get("users", []):
                    names[u["upn"].lower()] = u.get("displayName") or u["upn"]
        except (OSError, ValueError, KeyError) as e:
            print("colleagues: cannot read %s: %s" % (args.tenant, e), file=sys.stderr)
    my_name = names.get(me, me.split("@")[0].capitalize())

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    emu = Emulator(args.base)
    chats = {}
    failures = 0
    seen = None          # number of message POSTs already looked at
    queue = []           # (due, seq, action, payload)
    seq = 0

    def later(delay, action, payload):
        nonlocal seq
        seq += 1
        heapq.heappush(queue, (time.monotonic() + delay, seq, action, payload))

    def refresh_chats():
        for c in emu.call("GET", "/_fake/chats").get("chats", []):
            chats[c["id"]] = c

    later(random.uniform(*args.chatter) / 2, "chatter", None)
    later(random.uniform(*args.presence), "presence", None)
    print("colleagues: watching %s" % args.base, flush=True)
    while not stop:
        try:
            if not chats:
                refresh_chats()
            q = urllib.parse.urlencode({"method": "POST", "path": "/v1.0/chats/*/messages"})
            posts = emu.call("GET", "/_fake/log?" + q).get("requests", [])
            if seen is None or len(posts) < seen:
                seen = len(posts)   # start (or the log was cleared): only what comes next
            for r in posts[seen:]:
                if not (200 <= int(r.get("status") or 0) < 300):
                    continue
                chat_id = r["path"][len("/v1.0/chats/"):-len("/messages")]
                if chat_id not in chats:
                    refresh_chats()
                chat = chats.get(chat_id)
                if not chat or chat.get("chatType") != "oneOnOne":
                    continue
                others = [m for m in chat.get("members", []) if m.lower() != me]
                if others:
                    later(random.uniform(*args.reply_delay), "reply",
                          (chat_id, others[0], answer_for(text_of(r.get("body")))))
            seen = len(posts)

            now = time.monotonic()
            while queue and queue[0][0] <= now:
                _, _, action, payload = heapq.heappop(queue)
                if action == "reply":
                    chat_id, who, text = payload
                    emu.call("POST", "/_fake/inject", {"chat": chat_id, "from": who,
                                                       "html": "<p>%s</p>" % text})
                    print("colleagues: %s answered" % who, flush=True)
                elif action == "chatter":
                    groups = [c for c in chats.values() if c.get("chatType") == "group"
                              and me in [m.lower() for m in c.get("members", [])]]
                    if groups:
                        chat = random.choice(groups)
                        others = [m for m in chat["members"] if m.lower() != me]
                        who = random.choice(others) if others else None
                        if who and random.random() < 0.35:
                            emu.call("POST", "/_fake/inject", {
                                "chat": chat["id"], "from": who, "mentions": [me],
                                "html": '<p><at id="0">%s</at> %s</p>' % (
                                    my_name, random.choice(MENTIONS))})
                        elif who:
                            emu.call("POST", "/_fake/inject", {
                                "chat": chat["id"], "from": who,
                                "html": "<p>%s</p>" % random.choice(CHATTER)})
                    later(random.uniform(*args.chatter), "chatter", None)
                elif action == "presence":
                    people = [u for u in names if u != me]
                    if people:
                        availability, activity = random.choice(PRESENCE)
                        emu.call("POST", "/_fake/presence", {
                            "user": random.choice(people), "availability": availability,
                            "activity": activity})
                    later(random.uniform(*args.presence), "presence", None)
            failures = 0
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            failures += 1
            if failures >= 10:
                print("colleagues: the emulator is gone (%s); bye" % e, file=sys.stderr)
                return 0
        time.sleep(0.7)
    return 0


if __name__ == "__main__":
    sys.exit(main())
