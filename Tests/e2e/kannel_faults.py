#!/usr/bin/env python3
"""Faults survived: the SMS gateway refuses connections, answers 503, then 429, then hangs, then takes texts
but answers late, then comes back. What it never took is retried after its backoff and reaches its phone
once; what it may have taken is never sent a second time.

Usage: python3 Tests/e2e/kannel_faults.py [RELANCE_BINARY]

It reuses kannel_e2e.py's harness (bearerbox, smsbox and the fake SMSC on free loopback ports) and puts a
gateway that misbehaves on cue in front of smsbox's sendsms. `relance serve` sends late reminders at two a
second while the gateway goes through its phases, one after the other:

  refuse  nothing listens on its port, so connections are refused; then it listens on the same port again
  503     answers 503 Service Unavailable, forwards nothing
  429     answers 429 Too Many Requests, forwards nothing
  hang    reads the request and says nothing for 7 s (Relance gives up after 5), then hangs up
  late    forwards the text to smsbox at once, and answers 7 s later (Relance gives up after 5)
  pass    forwards to smsbox and relays its answer, until the end

The faults last 24 s in all, less than the first backoff (30 s). Refused, 503 and 429 say nothing was
sent: each such message gets one `retry`, is claimed again no sooner than 30 s later, and reaches its
phone once. A connection that was made and then got no answer in time may have delivered the text
('late' did; 'hang' did not, and Relance cannot tell them apart): those are never sent again; they end
`unknown` for a person to look at, unless a delivery report says what became of them. Checks: each phase
met requests; the gateway forwarded no text twice and the fake SMSC got no phone twice; every phone the
gateway reached got its text; the 'hang' ones are `unknown` and were not texted; nothing `failed`.
"""
import collections
import datetime
import os
import shutil
import signal
import socket
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kannel_e2e as e  # noqa: E402
from kannel_drain import fill  # noqa: E402

MESSAGES = 50  # at RATE, enough to last through the faults and past them
RATE = 2  # texts a second: each phase meets several, and the faults end before the first retry is due
# Seconds each, 24 in all, less than the 30 s backoff. A refused connect fails at once; a hang and a late
# answer hold a worker for Relance's 5 s deadline, so their phases last long enough for the four workers.
PHASES = [("refuse", 4), ("503", 4), ("429", 4), ("hang", 6), ("late", 6)]
BACKOFF = 30.0  # Store.recordSendResult: the first retry waits 30 s
SLACK = 1.0  # for the event clock's rounding and the time between the failure and its record
HANG = 7.0  # longer than KannelSMSProvider's 5 s deadline for the whole exchange
REASONS = {200: "OK", 202: "Accepted", 429: "Too Many Requests", 503: "Service Unavailable"}


class Gateway:
    """smsbox's sendsms as Relance sees it, misbehaving on cue. Notes each request it reads: the mode it
    was in, and the phone the text was for."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.mode = "pass"
        self.requests = []  # (mode, phone)
        self.lock = threading.Lock()
        self.port = 0
        self.closing = None
        self.listen()

    def listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Back on the same port: Relance's configuration names it.
        e.wait_for(f"port {self.port or 'any'} to bind", lambda: listener.bind(("127.0.0.1", self.port)) or True,
                   timeout=5, interval=0.1)
        listener.listen(64)
        # accept() wakes up often, so the thread that owns the socket is the one that closes it: a close
        # from another thread would leave a blocked accept() listening.
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        closing, closed = threading.Event(), threading.Event()
        self.closing = (closing, closed)

        def accept():
            with listener:
                while not closing.is_set():
                    try:
                        connection, _ = listener.accept()
                    except socket.timeout:
                        continue
                    threading.Thread(target=self.serve, args=(connection,), daemon=True).start()
            closed.set()
        threading.Thread(target=accept, daemon=True).start()

    def switch(self, mode):
        with self.lock:
            previous, self.mode = self.mode, mode
        if mode == "refuse":
            closing, closed = self.closing
            closing.set()
            e.check(closed.wait(5), "the gateway's listening socket did not close")
            e.check(not e.port_open(self.port), f"port {self.port} still accepts connections in 'refuse'")
        elif previous == "refuse":
            self.listen()
        e.log(f"gateway: {mode}")

    def serve(self, connection):
        with connection:
            connection.settimeout(10)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    head += chunk
            except OSError:
                return
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("ascii", "replace")
            phone = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get("to", ["?"])[0]
            with self.lock:
                mode = self.mode
                self.requests.append((mode, phone))
            if mode == "refuse":  # accepted just before the socket closed: hang up at once
                return
            if mode == "hang":
                time.sleep(HANG)
                return
            if mode in ("503", "429"):
                status, body = int(mode), f"{REASONS[int(mode)]}\n".encode()
            else:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.target_port}{target}", timeout=10) as answer:
                        status, body = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
                if mode == "late":  # the text is in Kannel's hands; the answer comes too late
                    time.sleep(HANG)
            head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            try:
                connection.sendall(head.encode("ascii") + body)
            except OSError:
                pass

    def seen(self):
        with self.lock:
            return list(self.requests)


def instant(text):
    """message_event.at, written by GRDB in UTC: 'YYYY-MM-DD HH:MM:SS.SSS'."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)


def messages(database):
    """Each reminder: id, recipient, status, and its events as (status, instant, detail)."""
    with sqlite3.connect(database, timeout=10) as db:
        rows = db.execute("SELECT id, recipient, status FROM message WHERE kind = 'reminder' ORDER BY id").fetchall()
        events = collections.defaultdict(list)
        for message_id, status, at, detail in db.execute(
                "SELECT message_id, status, at, detail FROM message_event ORDER BY id"):
            events[message_id].append((status, instant(at), detail))
    return [{"id": i, "to": to, "status": s, "events": events[i]} for i, to, s in rows]


def history(events):
    """A message's events on one line: 'sending 10:00:01.250, retry 10:00:06.260 (Kannel 503: …), …'."""
    return ", ".join(f"{status} {at:%H:%M:%S.%f}"[:-3] + (f" ({detail})" if detail else "")
                     for status, at, detail in events)


def settle(reached, timeout=20):
    """Waits at most `timeout` for reached(), without failing (the checks that follow say what is missing),
    then 2 s more, for anything extra, a duplicate, to arrive."""
    deadline = time.monotonic() + timeout
    while not reached() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)


def fault_of(detail):
    """Which fault a retry's reason names (KannelSMSProvider writes 'Kannel 503: …', 'Kannel unreachable: …')."""
    if detail.startswith("Kannel 503"):
        return "503"
    if detail.startswith("Kannel 429"):
        return "429"
    if detail.startswith("Kannel unreachable"):
        return "refuse"
    return detail


def scenario(h):
    started = time.monotonic()
    h.start_kannel()
    gateway = Gateway(h.sendsms_port)
    gateway.switch("refuse")  # from the first attempt on
    base_env = h.relance_env

    def env():
        values = base_env()
        values.update({
            "RELANCE_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{gateway.port}/cgi-bin/sendsms",
            "RELANCE_SCHEDULER": "on", "RELANCE_TICK_SECONDS": "1", "RELANCE_SMS_RATE": str(RATE),
            "RELANCE_LOG_LEVEL": "warning",
        })
        return values
    h.relance_env = env
    h.relance("migrate")
    fill(h.database, MESSAGES)
    argv = [h.binary, "serve", "--database", str(h.database), "--port", str(h.relance_port), "--base-url", h.base]
    h.start("relance serve", argv, h.log_files["relance serve"], env=h.relance_env(), cwd=e.REPO)

    def claimed():
        with sqlite3.connect(h.database, timeout=10) as db:
            return db.execute("SELECT COUNT(*) FROM message_event WHERE status = 'sending'").fetchone()[0]
    e.wait_for("the first reminder to be claimed", claimed, interval=0.05)
    for mode, seconds in PHASES:
        if mode != "refuse":
            gateway.switch(mode)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            h.assert_running()
            time.sleep(0.2)
    gateway.switch("pass")
    faults_over = time.monotonic()

    def settled():
        h.assert_running()
        return not {"queued", "sending"} & {m["status"] for m in messages(h.database)}
    e.wait_for(f"the {MESSAGES} reminders to leave the outbox", settled, timeout=150, interval=0.5)
    handed = sum(m["status"] in ("sent", "delivered") for m in messages(h.database))
    # What Kannel took reaches the fake SMSC within moments; then a pause, for a duplicate to show.
    settle(lambda: len(e.parse_fakesmsc_log(h.fakesmsc_logs[-1])) >= handed)
    elapsed = time.monotonic() - started

    # What the gateway met.
    seen = gateway.seen()
    per_mode = collections.Counter(mode for mode, _ in seen)
    e.log(f"requests the gateway read, by mode: {dict(per_mode)}")
    for mode in ("503", "429", "hang", "late"):
        e.check(per_mode[mode] > 0, f"no request met the gateway in '{mode}': the phase proves nothing")
    forwarded = collections.Counter(phone for mode, phone in seen if mode in ("pass", "late"))
    twice = {phone: n for phone, n in forwarded.items() if n > 1}
    e.check(not twice, f"the gateway forwarded these texts more than once: {dict(list(twice.items())[:5])}")
    hung = {phone for mode, phone in seen if mode == "hang"}
    late = {phone for mode, phone in seen if mode == "late"}

    # What the phones got.
    received = collections.Counter(m["receiver"] for m in e.parse_fakesmsc_log(h.fakesmsc_logs[-1]))
    twice = {phone: n for phone, n in received.items() if n > 1}
    e.check(not twice, f"phones texted more than once: {dict(list(twice.items())[:5])}")
    reminders = messages(h.database)
    e.check(len(reminders) == MESSAGES, f"{len(reminders)} reminders queued, expected {MESSAGES}")
    missing = sorted(set(forwarded) - set(received))
    e.check(not missing, f"{len(missing)} texts the gateway took never reached their phone: {missing[:5]}")
    e.check(not (hung & set(received)), "a text the gateway never took reached a phone")
    e.check(set(received) == {m["to"] for m in reminders} - hung,
            f"{len(received)} phones reached, expected every one but the {len(hung)} caught by 'hang'")

    # What the database says about each message.
    final = collections.Counter(m["status"] for m in reminders)
    retried = {}  # phone -> fault
    gaps = []
    for m in reminders:
        statuses = [status for status, _, _ in m["events"]]
        told = f"message {m['id']} ({m['to']}) went through {history(m['events'])}"
        e.check("failed" not in statuses, told)
        retries = [(at, detail) for status, at, detail in m["events"] if status == "retry"]
        if m["to"] in hung or m["to"] in late:
            # Connected, then no answer in time: never sent again, whatever became of it.
            e.check(not retries and statuses.count("sending") == 1, f"{told}: sent again after no answer")
            if m["to"] in hung:
                e.check(m["status"] == "unknown", f"{told}: should be unknown, for a person to look at")
            else:
                e.check(m["status"] in ("unknown", "sent", "delivered"), told)
            continue
        e.check(m["status"] in ("sent", "delivered"), told)
        e.check(statuses.count("sent") == 1, f"{told}: accepted {statuses.count('sent')} times")
        if not retries:
            e.check(statuses.count("sending") == 1, f"{told}: claimed again without a retry")
            continue
        e.check(len(retries) == 1, f"{told}: {len(retries)} failures, expected one (the faults outlasted the backoff?)")
        failed_at, detail = retries[0]
        retried[m["to"]] = fault_of(detail or "")
        claims = [at for status, at, _ in m["events"] if status == "sending"]
        e.check(len(claims) == 2, f"{told}: claimed {len(claims)} times")
        sent_at = next(at for status, at, _ in m["events"] if status == "sent")
        gap = (claims[1] - failed_at).total_seconds()
        e.check(gap >= BACKOFF - SLACK and sent_at >= claims[1],
                f"{told}: tried again {gap:.1f} s after its failure, before the {BACKOFF:.0f} s backoff")
        gaps.append(gap)
    per_fault = collections.Counter(retried.values())
    e.log(f"retries by fault: {dict(per_fault)}")
    e.check(per_fault["refuse"] > 0, "no retry came from a refused connection: the 'refuse' phase proves nothing")
    # Every request 503 or 429 met was answered by a retry of that message, for that fault.
    for mode in ("503", "429"):
        for phone in {phone for m, phone in seen if m == mode}:
            e.check(retried.get(phone) == mode,
                    f"the gateway met {phone} in '{mode}', but its message has retry {retried.get(phone)!r}")
    e.log(f"PASS: gateway faults survived: {MESSAGES} reminders, no phone texted twice; requests met: "
          f"refused {per_fault['refuse']}, 503 x{per_mode['503']}, 429 x{per_mode['429']}, hang x{per_mode['hang']} "
          f"(left unknown, not texted), late x{per_mode['late']} (texted once, not sent again), "
          f"forwarded {sum(forwarded.values())}; {len(gaps)} retried after {min(gaps):.1f}-{max(gaps):.1f} s "
          f"(backoff {BACKOFF:.0f} s); final {dict(final)}; faults over after "
          f"{faults_over - started:.0f} s, run {elapsed:.0f} s")


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, e.on_signal)
    binary = str(Path(sys.argv[1]).resolve()) if len(sys.argv) > 1 else str(e.REPO / ".build/debug/relance")
    h = e.Harness(binary)
    ok = False
    try:
        scenario(h)
        ok = True
    except (e.CheckFailed, e.Terminated) as failure:
        print(f"\nFAIL: {failure}", file=sys.stderr)
    finally:
        h.stop_all()
    if ok:
        if os.environ.get("KEEP_E2E_DIR") != "1":
            shutil.rmtree(h.dir, ignore_errors=True)
        return 0
    h.report_logs()
    return 1


if __name__ == "__main__":
    sys.exit(main())
