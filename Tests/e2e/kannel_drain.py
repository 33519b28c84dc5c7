#!/usr/bin/env python3
"""Graceful stop: SIGTERM `relance serve` while it sends a burst of reminders through a slow Kannel, then
start it again, and check that nothing was left `sending` (so nothing becomes `unknown`), that no phone
got the same reminder twice, and that every reminder arrived.

Usage: python3 Tests/e2e/kannel_drain.py [RELANCE_BINARY]   (DRAIN_MESSAGES=300 by default)

It reuses kannel_e2e.py's harness (bearerbox, smsbox and the fake SMSC on free loopback ports) and puts a
small proxy in front of smsbox's sendsms that answers each request after DRAIN_DELAY seconds (0.4), so
that at the moment of the signal some texts are in Kannel's hands without an answer yet: a stop must let
those finish and record their outcome, and only stop claiming new ones.
"""
import collections
import datetime
import http.server
import os
import signal
import sqlite3
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kannel_e2e as e  # noqa: E402

MESSAGES = int(os.environ.get("DRAIN_MESSAGES", "300"))
DELAY = float(os.environ.get("DRAIN_DELAY", "0.4"))


def fill(database, count):
    """Invoices due ten days ago, whose late reminder is due now, and a sending window that is always open."""
    due = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=10)).isoformat()
    with sqlite3.connect(database) as db:
        db.execute("UPDATE business SET name = ? WHERE id = 1", (e.BUSINESS,))
        db.execute("UPDATE sending_rules SET window_start_hour = 0, window_end_hour = 24, "
                   "weekdays = '1,2,3,4,5,6,7', holidays = '' WHERE id = 1")
        db.executemany(
            "INSERT INTO customer (id, name, phone, locale, time_zone, created_at) VALUES (?, ?, ?, 'fr', "
            "'Europe/Paris', '2026-11-01 00:00:00.000')",
            [(i, f"Client {i}", f"+3362{i:07d}") for i in range(1, count + 1)])
        db.executemany(
            "INSERT INTO invoice (id, number, customer_id, currency, amount, issued_on, due_on, created_at, updated_at,"
            " next_action_at) VALUES (?, ?, ?, 'EUR', 12345, '2026-01-01', ?, 'x', 'x', '2000-01-01 00:00:00.000')",
            [(i, f"D-{i:05d}", i, due) for i in range(1, count + 1)])


def statuses(database):
    with sqlite3.connect(database, timeout=10) as db:
        return collections.Counter(s for (s,) in db.execute("SELECT status FROM message WHERE kind = 'reminder'"))


class SlowProxy:
    """Forwards sendsms to smsbox after a delay; counts the requests it holds."""

    def __init__(self, target_port):
        proxy = self
        self.in_flight = 0
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with proxy.lock:
                    proxy.in_flight += 1
                try:
                    time.sleep(DELAY)
                    with urllib.request.urlopen(f"http://127.0.0.1:{target_port}{self.path}", timeout=10) as answer:
                        status, body = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
                finally:
                    with proxy.lock:
                        proxy.in_flight -= 1
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def holding(self):
        with self.lock:
            return self.in_flight


def scenario(h):
    h.start_kannel()
    proxy = SlowProxy(h.sendsms_port)
    base_env = h.relance_env

    def env():
        values = base_env()
        values.update({
            "RELANCE_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{proxy.port}/cgi-bin/sendsms",
            "RELANCE_SCHEDULER": "on", "RELANCE_TICK_SECONDS": "1", "RELANCE_SMS_RATE": "1000",
            "RELANCE_LOG_LEVEL": "warning",
        })
        return values
    h.relance_env = env
    h.relance("migrate")
    fill(h.database, MESSAGES)

    argv = [h.binary, "serve", "--database", str(h.database), "--port", str(h.relance_port), "--base-url", h.base]
    serve = h.start("relance serve", argv, h.log_files["relance serve"], env=h.relance_env(), cwd=e.REPO)
    serve.expected_to_exit = True
    e.wait_for("a quarter of the reminders at the fake SMSC",
               lambda: len(e.parse_fakesmsc_log(h.fakesmsc_logs[-1])) >= MESSAGES // 4, timeout=180, interval=0.05)
    e.wait_for("texts in Kannel's hands without an answer", lambda: proxy.holding() > 0, timeout=10, interval=0.01)
    held = proxy.holding()
    serve.send_signal(signal.SIGTERM)
    started = time.monotonic()
    serve.wait(timeout=40)
    stopped_in = time.monotonic() - started
    at_stop = statuses(h.database)
    e.log(f"SIGTERM with {held} texts held by the slow gateway; stopped in {stopped_in:.1f} s "
          f"(exit {serve.returncode}); statuses then: {dict(at_stop)}")
    e.check(serve.returncode == 0, f"relance serve exited {serve.returncode} on SIGTERM")
    e.check(at_stop.get("sending", 0) == 0,
            f"{at_stop.get('sending')} messages left 'sending' by a graceful stop: they would become unknown")
    e.check(at_stop.get("queued", 0) > 0, "the stop came after the burst, not in its middle: nothing left to send")

    # Started again, it sends the rest.
    again = h.start("relance serve (again)", argv, h.dir / "relance-serve-2.log", env=h.relance_env(), cwd=e.REPO)
    h.log_files["relance serve (again)"] = h.dir / "relance-serve-2.log"
    e.wait_for("the outbox to drain", lambda: not ({"queued", "sending"} & set(statuses(h.database))),
               timeout=300, interval=0.2)
    handed = sum(v for k, v in statuses(h.database).items() if k in ("sent", "delivered"))
    e.wait_for(f"{handed} texts at the fake SMSC",
               lambda: len(e.parse_fakesmsc_log(h.fakesmsc_logs[-1])) >= handed, timeout=120, interval=0.2)
    time.sleep(1.5)  # anything more would be a duplicate
    h.stop(again)

    after = statuses(h.database)
    e.log(f"final statuses: {dict(after)}")
    e.check(set(after) <= {"sent", "delivered"}, f"a graceful stop left {dict(after)}")
    e.check(sum(after.values()) == MESSAGES, f"{sum(after.values())} reminders, expected {MESSAGES}")
    received = collections.Counter(m["receiver"] for m in e.parse_fakesmsc_log(h.fakesmsc_logs[-1]))
    twice = {phone: n for phone, n in received.items() if n > 1}
    e.check(not twice, f"phones texted twice: {dict(list(twice.items())[:5])}")
    e.check(len(received) == MESSAGES, f"{len(received)} phones reached, expected {MESSAGES}")
    e.log(f"PASS: SIGTERM mid-burst ({held} in flight), restart: {MESSAGES} reminders, each phone once, none unknown")


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
