#!/usr/bin/env python3
"""Crash test: `kill -9` Relance while it sends a few thousand reminders to a real Kannel, restart it, and
check that no phone got the same reminder twice and that every message ended sent, delivered or unknown.

Usage: python3 Tests/e2e/kannel_crash.py [RELANCE_BINARY]   (CRASH_MESSAGES=2000 by default)

It reuses kannel_e2e.py's harness: bearerbox, smsbox and the fake SMSC on free loopback ports. The scheduler
tick commits every queued message in one transaction before the first is sent; the dispatcher commits
`sending` before each call to Kannel. So after the kill at most one message per dispatcher worker can be
in doubt, and each must come back as `unknown`, never sent again (a late delivery report may settle it). The throughput of the restarted dispatcher is printed (a figure,
not a check).
"""
import collections
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kannel_e2e as e  # noqa: E402

MESSAGES = int(os.environ.get("CRASH_MESSAGES", "2000"))
CONCURRENCY = 4  # the dispatcher's default: messages in flight, each of which a crash can leave in doubt
DUE = "2026-12-16"  # a Wednesday; the late stage is due on the 23rd
TICK_AT = "2026-12-23T09:30:00Z"


def fill(database, count):
    with sqlite3.connect(database) as db:
        db.execute("UPDATE business SET name = ? WHERE id = 1", (e.BUSINESS,))
        db.executemany(
            "INSERT INTO customer (id, name, phone, locale, time_zone, created_at) VALUES (?, ?, ?, 'fr', "
            "'Europe/Paris', '2026-11-01 00:00:00.000')",
            [(i, f"Client {i}", f"+3361{i:07d}") for i in range(1, count + 1)])
        db.executemany(
            "INSERT INTO invoice (id, number, customer_id, currency, amount, issued_on, due_on, created_at, updated_at,"
            " next_action_at) VALUES (?, ?, ?, 'EUR', 12345, '2026-11-16', ?, 'x', 'x', '2026-12-01 00:00:00.000')",
            [(i, f"K-{i:05d}", i, DUE) for i in range(1, count + 1)])


def statuses(database):
    with sqlite3.connect(database, timeout=10) as db:
        return collections.Counter(s for (s,) in db.execute("SELECT status FROM message"))


def scenario(h):
    # No rate limit on the way to the local Kannel: the test is about crashes, and the figure about speed.
    base_env = h.relance_env
    h.relance_env = lambda: {**base_env(), "RELANCE_SMS_RATE": "10000", "RELANCE_LOG_LEVEL": "warning"}
    h.start_kannel()
    h.relance("migrate")
    fill(h.database, MESSAGES)
    env = h.relance_env()
    log_path = h.dir / "remind-killed.log"
    with open(log_path, "wb") as out:
        remind = subprocess.Popen(
            [h.binary, "remind", "--once", "--at", TICK_AT, "--database", str(h.database), "--base-url", h.base],
            cwd=e.REPO, env=env, stdout=subprocess.DEVNULL, stderr=out, stdin=subprocess.DEVNULL,
            start_new_session=True)
    h.log_files["killed remind"] = log_path
    # Let it get well into the batch, then kill it without warning.
    e.wait_for(f"{MESSAGES // 4} messages at the fake SMSC",
               lambda: len(e.parse_fakesmsc_log(h.fakesmsc_logs[-1])) >= MESSAGES // 4, timeout=120, interval=0.05)
    os.killpg(remind.pid, signal.SIGKILL)
    remind.wait()
    before = statuses(h.database)
    e.log(f"killed relance remind (pid {remind.pid}); statuses then: {dict(before)}")
    e.check(sum(before.values()) == MESSAGES, f"{sum(before.values())} message rows, expected {MESSAGES}")
    e.check(before.get("sending", 0) <= CONCURRENCY,
            f"{before.get('sending')} messages in 'sending': expected at most {CONCURRENCY}, one per worker")
    with sqlite3.connect(h.database) as db:
        in_doubt = [row[0] for row in db.execute("SELECT id FROM message WHERE status = 'sending'")]
    remaining = before.get("queued", 0)

    # Restart: serve (dispatch only) marks the interrupted send unknown and sends the rest.
    started = time.monotonic()
    h.start_relance()
    e.wait_for("the outbox to drain", lambda: not ({"queued", "sending"} & set(statuses(h.database))),
               timeout=300, interval=0.2)
    elapsed = time.monotonic() - started
    e.log(f"restarted dispatcher sent {remaining} messages in {elapsed:.1f} s "
          f"({remaining / elapsed:.0f} messages/s to the local Kannel, including start-up)")
    # Everything handed to Kannel reaches the fake SMSC.
    handed = sum(v for k, v in statuses(h.database).items() if k in ("sent", "delivered"))
    e.wait_for(f"{handed} messages at the fake SMSC",
               lambda: len(e.parse_fakesmsc_log(h.fakesmsc_logs[-1])) >= handed, timeout=120, interval=0.2)
    time.sleep(1.5)  # anything more would be a duplicate

    after = statuses(h.database)
    e.log(f"final statuses: {dict(after)}")
    e.check(set(after) <= {"sent", "delivered", "unknown"}, f"unexpected final statuses {dict(after)}")
    e.check(sum(after.values()) == MESSAGES, f"{sum(after.values())} message rows, expected {MESSAGES}")
    with sqlite3.connect(h.database) as db:
        for message_id in in_doubt:
            events = [s for (s,) in db.execute("SELECT status FROM message_event WHERE message_id = ? ORDER BY id",
                                               (message_id,))]
            # Marked unknown at the restart and never sent again; a late delivery report may settle it.
            e.check(events[:3] == ["queued", "sending", "unknown"] and events.count("sending") == 1,
                    f"message {message_id}, in doubt at the crash, went through {events}")

    received = collections.Counter(m["receiver"] for m in e.parse_fakesmsc_log(h.fakesmsc_logs[-1]))
    twice = {phone: n for phone, n in received.items() if n > 1}
    e.check(not twice, f"phones that got the late reminder more than once: {dict(list(twice.items())[:5])}")
    with sqlite3.connect(h.database) as db:
        rows = db.execute("SELECT recipient, status FROM message").fetchall()
        reminders = db.execute("SELECT COUNT(*), COUNT(DISTINCT invoice_id) FROM reminder WHERE stage = 'late'").fetchone()
    e.check(reminders == (MESSAGES, MESSAGES), f"reminder rows (count, invoices) = {reminders}, expected one each")
    for recipient, status in rows:
        if status in ("sent", "delivered"):
            e.check(received.get(recipient) == 1, f"{recipient} is {status} but the SMSC got it {received.get(recipient, 0)} times")
        else:  # unknown: it may or may not have left before the crash, but never twice
            e.check(received.get(recipient, 0) <= 1, f"{recipient} is unknown and got {received[recipient]} texts")
    e.log(f"PASS: {MESSAGES} reminders, {len(received)} phones reached once each, {after.get('unknown', 0)} unknown")


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, e.on_signal)
    binary = str(Path(sys.argv[1]).resolve()) if len(sys.argv) > 1 else str(e.REPO / ".build/debug/relance")
    h = e.Harness(binary)
    try:
        scenario(h)
        return 0
    except (e.CheckFailed, e.Terminated) as failure:
        print(f"\nFAIL: {failure}", file=sys.stderr)
    finally:
        h.stop_all()
    h.report_logs()
    return 1


if __name__ == "__main__":
    sys.exit(main())
