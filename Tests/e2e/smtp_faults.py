#!/usr/bin/env python3
"""Faults survived, by email: reminders that meet a mail server that is down are retried after their
backoff once it is back, and each arrives exactly once.

Usage: python3 Tests/e2e/smtp_faults.py [RELANCE_BINARY]

Needs Python's aiosmtpd and cryptography (pip install aiosmtpd cryptography), not Kannel. It reuses
kannel_e2e.py's harness for the processes and the logs; texts go to the console.

`relance serve` gets customers with an email address and no phone, whose invoices are 35 days late: the
final notice is due, and by default it goes by SMS and email, so the text is skipped ("no phone number")
and the email queued. RELANCE_SMTP_URL names a port where nothing listens: each email's first attempt is
refused and put back for 30 s. After DOWN seconds, Tests/e2e/smtp_server.py starts on that very port
(STARTTLS with AUTH, its private CA trusted through RELANCE_SMTP_CA_FILE). Checks: while the server was
down every email failed once, none was sent; afterwards the server holds one email per customer and per
message, every message is `sent` with exactly one `retry` event, claimed again no sooner than 30 s after
it, and nothing went `failed` or `unknown`.
"""
import collections
import datetime
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kannel_e2e as e  # noqa: E402
from kannel_faults import BACKOFF, SLACK, history, messages, settle  # noqa: E402

EMAILS = 20  # at 5 a second (RELANCE_EMAIL_RATE), all meet the server down within its DOWN seconds
DOWN = 8  # seconds the server stays down after the first attempt, well within the 30 s backoff
FROM = "relances@plomberie-martin.example"
HERE = Path(__file__).resolve().parent
SKIPPED = 77  # the exit status of a test that could not run (automake's convention): aiosmtpd is missing

# smtp_server.py as it is, on ports chosen here (it picks free ones itself) and with the certificates
# made before Relance started (it makes a new CA each time, which Relance would not trust).
SERVE_ON_PORTS = """
import os, ssl, sys
sys.path.insert(0, sys.argv[1])
import smtp_server

ports = iter(int(p) for p in sys.argv[3:6])
smtp_server.free_port = lambda: next(ports)

def kept(directory):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem"))
    return context

smtp_server.make_certificates = kept
sys.argv = ["smtp_server.py", sys.argv[2]]
smtp_server.main()
"""


def fill(database, count):
    """Customers with an address and no phone, each with an invoice 35 days late; sending always allowed."""
    due = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=35)).isoformat()
    with sqlite3.connect(database) as db:
        db.execute("UPDATE business SET name = ?, email = 'contact@plomberie-martin.example' WHERE id = 1",
                   (e.BUSINESS,))
        db.execute("UPDATE sending_rules SET window_start_hour = 0, window_end_hour = 24, "
                   "weekdays = '1,2,3,4,5,6,7', holidays = '' WHERE id = 1")
        db.executemany(
            "INSERT INTO customer (id, name, email, locale, time_zone, created_at) VALUES (?, ?, ?, 'fr', "
            "'Europe/Paris', '2026-11-01 00:00:00.000')",
            [(i, f"Client {i}", f"client{i}@example.com") for i in range(1, count + 1)])
        db.executemany(
            "INSERT INTO invoice (id, number, customer_id, currency, amount, issued_on, due_on, created_at, updated_at,"
            " next_action_at) VALUES (?, ?, ?, 'EUR', 12345, '2026-01-01', ?, 'x', 'x', '2000-01-01 00:00:00.000')",
            [(i, f"M-{i:05d}", i, due) for i in range(1, count + 1)])


def received(folder):
    """The emails smtp_server.py accepted, as it recorded them (N.json, in order)."""
    names = sorted((p for p in folder.glob("*.json")), key=lambda p: int(p.stem))
    return [json.loads(p.read_text(encoding="utf-8")) for p in names]


def scenario(h):
    started = time.monotonic()
    mail = h.dir / "smtp"
    mail.mkdir()
    import smtp_server
    smtp_server.make_certificates(str(mail))
    # smtp_server.py's three servers: starttls (Relance's), tls, plain; none on Relance's own port.
    ports = [p for p in e.free_ports(4) if p != h.relance_port][:3]
    port = ports[0]
    base_env = h.relance_env

    def env():
        values = base_env()
        values.update({
            "RELANCE_SMS_PROVIDER": "console",
            "RELANCE_SMTP_URL": f"smtp://relance:s3cret%20pass@127.0.0.1:{port}",
            "RELANCE_SMTP_FROM": FROM, "RELANCE_SMTP_CA_FILE": str(mail / "ca.pem"), "RELANCE_EMAIL_RATE": "5",
            "RELANCE_SCHEDULER": "on", "RELANCE_TICK_SECONDS": "1", "RELANCE_LOG_LEVEL": "warning",
        })
        return values
    h.relance_env = env
    h.relance("migrate")
    fill(h.database, EMAILS)
    e.check(not e.port_open(port), f"something already listens on port {port}")
    argv = [h.binary, "serve", "--database", str(h.database), "--port", str(h.relance_port), "--base-url", h.base]
    h.start("relance serve", argv, h.log_files["relance serve"], env=h.relance_env(), cwd=e.REPO)

    def failed_once():
        h.assert_running()
        emails = messages(h.database)
        return len(emails) == EMAILS and all(any(s == "retry" for s, _, _ in m["events"]) for m in emails)
    e.wait_for(f"all {EMAILS} emails to meet the server down", failed_once, interval=0.2)
    first_attempt = min(at for m in messages(h.database) for s, at, _ in m["events"] if s == "sending")
    time.sleep(max(0.0, DOWN - (datetime.datetime.now(datetime.timezone.utc) - first_attempt).total_seconds()))
    down = messages(h.database)
    e.check(all(m["status"] == "queued" for m in down), f"with the server down: {[m['status'] for m in down]}")
    reasons = collections.Counter(d for m in down for s, _, d in m["events"] if s == "retry")
    e.check(sum(reasons.values()) == EMAILS, f"{sum(reasons.values())} failures for {EMAILS} emails while down")
    down_for = (datetime.datetime.now(datetime.timezone.utc) - first_attempt).total_seconds()
    e.log(f"server down for {down_for:.1f} s: {EMAILS} emails put back, reasons {dict(reasons)}")

    # The server comes back on the same port.
    output = h.dir / "smtp-server.log"
    h.log_files["smtp server"] = output
    with open(output, "ab") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE_ON_PORTS, str(HERE), str(mail), *map(str, ports)],
            stdin=subprocess.PIPE, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    h.processes.append(("smtp server", server))
    e.log(f"started smtp_server.py on port {port} (pid {server.pid})")
    e.wait_for("the SMTP server to listen", lambda: e.port_open(port))

    def settled():
        h.assert_running()
        return not {"queued", "sending"} & {m["status"] for m in messages(h.database)}
    e.wait_for(f"the {EMAILS} emails to leave the outbox", settled, timeout=90, interval=0.5)
    handed = sum(m["status"] == "sent" for m in messages(h.database))
    settle(lambda: len(received(mail)) >= handed)
    elapsed = time.monotonic() - started

    # What the server got.
    got = received(mail)
    by_recipient = collections.Counter(address for record in got for address in record["rcpt_tos"])
    twice = {address: n for address, n in by_recipient.items() if n > 1}
    e.check(not twice, f"addresses that got the reminder more than once: {dict(list(twice.items())[:5])}")
    emails = messages(h.database)
    e.check(len(emails) == EMAILS, f"{len(emails)} emails queued, expected {EMAILS}")
    missing = sorted({m["to"] for m in emails} - set(by_recipient))
    e.check(not missing, f"{len(missing)} addresses never got their email: {missing[:5]}")
    e.check(len(got) == EMAILS, f"the server holds {len(got)} emails, expected {EMAILS}")
    by_id = collections.Counter(record["message_id"].strip("<>").split(".")[1] for record in got)
    e.check(sorted(by_id) == sorted(str(m["id"]) for m in emails) and set(by_id.values()) == {1},
            f"Message-IDs at the server, by message: {dict(by_id)}")
    e.check(all(record["tls"] and record["authenticated"] for record in got), "an email came without TLS or AUTH")

    # What the database says.
    final = collections.Counter(m["status"] for m in emails)
    e.check(set(final) == {"sent"}, f"final statuses {dict(final)}")
    gaps = []
    for m in emails:
        statuses = [status for status, _, _ in m["events"]]
        told = f"message {m['id']} ({m['to']}) went through {history(m['events'])}"
        e.check(not {"failed", "unknown"} & set(statuses), told)
        e.check(statuses.count("sent") == 1 and statuses.count("retry") == 1 and statuses.count("sending") == 2,
                f"{told}: expected one failure, then one send")
        failed_at = next(at for status, at, _ in m["events"] if status == "retry")
        claimed = [at for status, at, _ in m["events"] if status == "sending"][1]
        gap = (claimed - failed_at).total_seconds()
        e.check(gap >= BACKOFF - SLACK, f"{told}: tried again {gap:.1f} s after its failure, before the "
                                        f"{BACKOFF:.0f} s backoff")
        gaps.append(gap)
    with sqlite3.connect(h.database, timeout=10) as db:
        texts = db.execute("SELECT COUNT(*) FROM message WHERE channel = 'sms'").fetchone()[0]
    e.check(texts == 0, f"{texts} texts queued for customers without a phone")
    e.log(f"PASS: mail server down {down_for:.0f} s then back: {EMAILS} emails, each "
          f"failed once ({', '.join(f'{n} {r[:70]!r}' for r, n in reasons.items())}), retried after "
          f"{min(gaps):.1f}-{max(gaps):.1f} s (backoff {BACKOFF:.0f} s), each address and Message-ID once at the "
          f"server, final {dict(final)}; run {elapsed:.0f} s")


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, e.on_signal)
    binary = str(Path(sys.argv[1]).resolve()) if len(sys.argv) > 1 else str(e.REPO / ".build/debug/relance")
    try:
        import smtp_server  # noqa: F401
    except ModuleNotFoundError as missing:
        print(f"SKIP: {missing} (pip install aiosmtpd cryptography)", file=sys.stderr)
        return SKIPPED
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
