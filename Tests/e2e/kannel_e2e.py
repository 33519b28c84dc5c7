#!/usr/bin/env python3
"""End-to-end: reminders travel from Relance through a real Kannel to a fake SMSC, and replies come back.

Usage:
    python3 Tests/e2e/kannel_e2e.py [RELANCE_BINARY]   (default: .build/debug/relance in the repository)

Needs Debian's `kannel` (bearerbox, smsbox) and `kannel-extras` (/usr/lib/kannel/test/fakesmsc); Python 3
standard library only. Everything runs on loopback, on ports picked at start, in a temporary folder
(kept, and named, when the test fails; KEEP_E2E_DIR=1 keeps it always).

Scenario, with a due date D on a Wednesday at least two weeks ahead (so the courtesy day D-7, the due day
and the late day D+7 are Wednesdays, inside Relance's Monday–Saturday 09:00–19:00 Paris window):
  1. bearerbox + fakesmsc (listening) + smsbox + `relance serve` (RELANCE_SCHEDULER=off); business named
     "Plomberie Martin"; invoice A (Camille Durand, GSM-7), invoice B (Jérôme Lefèvre: 'ô' makes UCS-2),
     invoice C (paid in full through the API at once), all due on D.
  2. `relance remind --once --at D-7 09:30Z`: the SMSC gets exactly A's and B's courtesy texts, whole and
     exact (B's decoded from UCS-2, reassembled from its concatenated parts); A's message becomes
     `delivered` through Kannel's delivery report on the signed URL.
  3. `remind --once --at D 09:30Z`: A and B get the due-day text.
  4. "STOP" from A's phone through a fresh fakesmsc: A is opted out and gets exactly one confirmation.
  5. `remind --once --at D+7 09:30Z`: only B gets the late text; A is skipped (opted out); C nothing.
  6. The whole list of texts the SMSC saw, in order; no accent turned into '?'.
Exit status 0 when every check passes, 1 (with the reason and log tails) otherwise. Every process the
test starts is stopped on the way out, also on SIGTERM/SIGINT/SIGHUP.
"""

import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
REPO = Path(__file__).resolve().parents[2]

SHORT_CODE = "12345"  # Relance's sender (RELANCE_SMS_FROM) and the number customers reply to
BUSINESS = "Plomberie Martin"
CUSTOMER_A = {"name": "Camille Durand", "phone": "+33612345678"}
CUSTOMER_B = {"name": "Jérôme Lefèvre", "phone": "+33698765432"}
CUSTOMER_C = {"name": "Lucas Petit", "phone": "+33611112222"}
AMOUNT_A, AMOUNT_B, AMOUNT_C = 12345, 250000, 9900  # minor units, EUR
TEXT_A = "123,45 €"  # Relance's French amounts, no-break spaces sent as plain spaces
TEXT_B = "2 500,00 €"

# Relance's default French wording (Sources/RelanceCore/Reminders/DefaultTemplates.swift), rebuilt here on purpose.
TEMPLATES = {
    "courtesy": "{business}: {name}, facture {number} de {amount} due le {due}. Merci {link}",
    "due": "{business}: {name}, la facture {number} de {amount} est due ce jour. Merci {link}",
    "late": "{business}: {name}, facture {number} de {amount} en retard. Pour régler: {link}",
}
OPT_OUT_CONFIRMATION = f"{BUSINESS}: vous ne recevrez plus nos SMS. Pour les recevoir à nouveau, répondez START."

TIMEOUT = float(os.environ.get("E2E_TIMEOUT", "20"))  # seconds for anything we wait on


class CheckFailed(Exception):
    pass


class Terminated(Exception):
    pass


def on_signal(signum, _frame):
    raise Terminated(f"received signal {signal.Signals(signum).name}")


def log(text):
    print(f"[e2e {time.strftime('%H:%M:%S')}] {text}", flush=True)


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def wait_for(what, probe, timeout=TIMEOUT, interval=0.2):
    """Calls probe() until it returns something truthy; returns that, or fails naming `what`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except (CheckFailed, Terminated):
            raise
        except Exception as error:  # noqa: BLE001 - a probe may fail until the thing is up
            last_error = error
        if time.monotonic() >= deadline:
            raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}"
                              + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval)


def free_ports(count):
    """Distinct TCP ports free on every interface (Kannel listens on all of them)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_open(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def http(method, url, body=None, headers=None, timeout=10):
    """(status, text) of a request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def tail(path, lines=40):
    try:
        content = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return f"    (cannot read: {error})"
    return "\n".join("    " + line for line in content[-lines:]) or "    (empty)"


# ---------------------------------------------------------------------------------------------------------
# What the fake SMSC saw


def _decode_url(value):
    """Kannel's octstr_url_encode: '+' for space, %XX for the rest."""
    return urllib.parse.unquote_to_bytes(value.replace("+", " "))


def _bytes_to_text(data):
    # Relance sends GSM-7 texts as coding 0, which Kannel hands the fake SMSC as UTF-8, and others as
    # UCS-2 (UTF-16BE). UTF-8 text never holds a NUL byte; UCS-2 Latin text is full of them.
    if b"\x00" in data:
        return data.decode("utf-16-be")
    return data.decode("utf-8")


def parse_fakesmsc_log(path):
    """Messages in the order fakesmsc printed them: dicts with sender, receiver, coding, text, parts.
    Concatenated parts (udh 05 00 03 ref total seq) are put back together once all have arrived."""
    try:
        content = Path(path).read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    messages = []
    pending = {}  # (sender, receiver, ref) -> {"total": n, "parts": {seq: bytes}, "index": position}
    for line in content.splitlines():
        match = re.search(r"Got message \d+: <(.*)>\s*$", line)
        if not match:
            continue
        fields = match.group(1).split(" ", 3)
        if len(fields) < 4:
            raise CheckFailed(f"unexpected fakesmsc line: {line!r}")
        sender, receiver, kind, rest = fields
        if kind == "text":
            messages.append({"sender": sender, "receiver": receiver, "coding": "7bit", "text": rest, "parts": 1})
        elif kind in ("ucs-2", "data"):
            data = _decode_url(rest)
            text = data.decode("utf-16-be") if kind == "ucs-2" else _bytes_to_text(data)
            messages.append({"sender": sender, "receiver": receiver, "coding": kind, "text": text, "parts": 1})
        elif kind == "udh":
            udh_field, _, payload = rest.partition(" ")
            payload_kind, _, payload_data = payload.partition(" ")
            udh = _decode_url(udh_field)
            data = _decode_url(payload_data)
            if len(udh) >= 6 and udh[1] == 0x00:  # concatenation, 8-bit reference
                ref, total, seq = udh[3], udh[4], udh[5]
            elif len(udh) >= 7 and udh[1] == 0x08:  # concatenation, 16-bit reference
                ref, total, seq = udh[3] * 256 + udh[4], udh[5], udh[6]
            else:
                raise CheckFailed(f"fakesmsc got a UDH that is not a concatenation header: {udh.hex()}")
            key = (sender, receiver, ref)
            if key not in pending:
                pending[key] = {"total": total, "parts": {}, "index": len(messages), "kind": payload_kind}
                messages.append(None)  # its place in the order: where its first part arrived
            pending[key]["parts"][seq] = data
            entry = pending[key]
            if len(entry["parts"]) == entry["total"]:
                whole = b"".join(entry["parts"][i] for i in sorted(entry["parts"]))
                text = whole.decode("utf-16-be") if payload_kind == "ucs-2" else _bytes_to_text(whole)
                coding = "ucs-2" if (payload_kind == "ucs-2" or b"\x00" in whole) else "7bit"
                messages[entry["index"]] = {"sender": sender, "receiver": receiver, "coding": coding, "text": text,
                                            "parts": entry["total"]}
                del pending[key]
        else:
            raise CheckFailed(f"fakesmsc line of unknown kind {kind!r}: {line!r}")
    # Parts still missing: leave them out (a caller waiting for a count will wait for the rest).
    return [m for m in messages if m is not None]


# ---------------------------------------------------------------------------------------------------------
# The test harness


class Harness:
    def __init__(self, binary):
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="relance-kannel-e2e-"))
        self.processes = []  # (name, Popen)
        (self.admin_port, self.smsbox_port, self.fake_port, self.sendsms_port,
         self.relance_port) = free_ports(5)
        self.admin_password = secrets.token_hex(8)
        self.sendsms_password = secrets.token_hex(12)
        self.inbound_secret = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.relance_port}"
        self.database = self.dir / "relance.sqlite"
        self.conf = self.dir / "kannel.conf"
        self.fakesmsc_logs = []  # one per fakesmsc started, in order
        self.api_key = None
        self.log_files = {
            "bearerbox log": self.dir / "bearerbox.log",
            "bearerbox output": self.dir / "bearerbox.out",
            "smsbox log": self.dir / "smsbox.log",
            "smsbox output": self.dir / "smsbox.out",
            "relance serve": self.dir / "relance-serve.log",
        }

    # -- processes

    def start(self, name, argv, output, env=None, cwd=None):
        handle = open(output, "ab")
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                                       env=env, cwd=cwd, start_new_session=True)
        finally:
            handle.close()
        self.processes.append((name, process))
        log(f"started {name} (pid {process.pid})")
        return process

    def stop(self, process, grace=8.0):
        if process.poll() is not None:
            return
        try:
            process.terminate()
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def stop_all(self):
        # Ignore further SIGTERM/SIGINT while cleaning up, so cleanup itself is not interrupted.
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            for name, process in reversed(self.processes):
                try:
                    self.stop(process)
                except Exception as error:  # noqa: BLE001 - keep stopping the others
                    print(f"could not stop {name} (pid {process.pid}): {error}", file=sys.stderr)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def assert_running(self):
        for name, process in self.processes:
            if getattr(process, "expected_to_exit", False):
                continue
            if process.poll() is not None:
                raise CheckFailed(f"{name} (pid {process.pid}) exited with status {process.returncode}")

    # -- Kannel

    def write_kannel_conf(self):
        d = self.dir
        get_url = (f"{self.base}/webhooks/kannel/inbound?from=%p&to=%P&text=%a&secret={self.inbound_secret}")
        self.conf.write_text(f"""\
group = core
admin-port = {self.admin_port}
admin-password = "{self.admin_password}"
status-password = "{self.admin_password}"
admin-allow-ip = "127.0.0.1"
smsbox-port = {self.smsbox_port}
box-allow-ip = "127.0.0.1"
log-file = "{d / 'bearerbox.log'}"
log-level = 0
access-log = "{d / 'bearerbox-access.log'}"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {self.fake_port}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
log-file = "{d / 'smsbox.log'}"
log-level = 0
access-log = "{d / 'smsbox-access.log'}"

group = sendsms-user
username = relance
password = "{self.sendsms_password}"
user-allow-ip = "127.0.0.1"
max-messages = 3
concatenation = true

group = sms-service
keyword = default
get-url = "{get_url}"
max-messages = 0
omit-empty = true
""", encoding="utf-8")

    def kannel_status(self):
        query = urllib.parse.urlencode({"password": self.admin_password})
        status, text = http("GET", f"http://127.0.0.1:{self.admin_port}/status.txt?{query}", timeout=5)
        return text if status == 200 else ""

    def fake_smsc_online(self):
        status = self.kannel_status()
        return any("fake" in line.lower() and "online" in line for line in status.splitlines())

    def smsbox_connected(self):
        status = self.kannel_status()
        return any(line.strip().startswith("smsbox:") and "on-line" in line for line in status.splitlines())

    def start_fakesmsc(self, message=None):
        index = len(self.fakesmsc_logs) + 1
        output = self.dir / f"fakesmsc-{index}.log"
        self.fakesmsc_logs.append(output)
        self.log_files[f"fakesmsc #{index}"] = output
        argv = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.fake_port), "-i", "0.1"]
        argv += ["-m", "1", message] if message else ["-m", "0", "x"]
        process = self.start(f"fakesmsc #{index}", argv, output)
        wait_for(f"fakesmsc #{index} to connect to bearerbox", self.fake_smsc_online)
        if message:
            wait_for(f"fakesmsc #{index} to send its message",
                     lambda: "sent message 1" in output.read_text(encoding="utf-8", errors="replace"))
        return process

    def start_kannel(self):
        self.write_kannel_conf()
        self.start("bearerbox", [BEARERBOX, str(self.conf)], self.log_files["bearerbox output"], cwd=self.dir)
        wait_for("bearerbox's admin port", lambda: port_open(self.admin_port) and self.kannel_status())
        self.fakesmsc = self.start_fakesmsc()
        self.start("smsbox", [SMSBOX, str(self.conf)], self.log_files["smsbox output"], cwd=self.dir)
        wait_for("smsbox's sendsms port", lambda: port_open(self.sendsms_port))
        wait_for("smsbox to connect to bearerbox", self.smsbox_connected)

    # -- Relance

    def relance_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
        env.update({
            "RELANCE_SMS_PROVIDER": "kannel",
            "RELANCE_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms",
            "RELANCE_KANNEL_USERNAME": "relance",
            "RELANCE_KANNEL_PASSWORD": self.sendsms_password,
            "RELANCE_SMS_FROM": SHORT_CODE,
            "RELANCE_KANNEL_INBOUND_SECRET": self.inbound_secret,
            "RELANCE_SCHEDULER": "off",
            "RELANCE_LOG_LEVEL": "info",
        })
        return env

    def relance(self, *args, timeout=60):
        argv = [self.binary, *args, "--database", str(self.database)]
        result = subprocess.run(argv, cwd=REPO, env=self.relance_env(), capture_output=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
        stdout = result.stdout.decode("utf-8", "replace")
        stderr = result.stderr.decode("utf-8", "replace")
        with open(self.dir / "relance-commands.log", "a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(argv[1:])}\n[exit {result.returncode}]\n{stdout}{stderr}\n")
        if result.returncode != 0:
            raise CheckFailed(f"relance {' '.join(args)} exited {result.returncode}:\n{stdout}{stderr}")
        return stdout, stderr

    def start_relance(self):
        self.api_key = self.relance("apikey", "create", "--name", "e2e")[0].strip()
        check(re.fullmatch(r"\S{16,}", self.api_key), f"apikey create printed {self.api_key!r}, not one key")
        with sqlite3.connect(self.database) as db:
            db.execute("UPDATE business SET name = ? WHERE id = 1", (BUSINESS,))
        self.start("relance serve",
                   [self.binary, "serve", "--database", str(self.database), "--port", str(self.relance_port),
                    "--base-url", self.base],
                   self.log_files["relance serve"], env=self.relance_env(), cwd=REPO)
        wait_for("relance serve's /healthz", lambda: http("GET", f"{self.base}/healthz", timeout=3)[0] == 200)

    def api(self, method, path, body=None):
        status, text = http(method, f"{self.base}/api/v1{path}", body,
                            headers={"Authorization": f"Bearer {self.api_key}"})
        try:
            return status, json.loads(text) if text.strip() else None
        except json.JSONDecodeError:
            return status, text

    def remind(self, at):
        self.assert_running()
        stdout, stderr = self.relance("remind", "--once", "--at", at, "--base-url", self.base)
        log(f"remind --at {at}:\n" + "".join(f"    {line}\n" for line in (stdout + stderr).splitlines()))
        sent = []
        skipped = []
        for line in stdout.splitlines():
            # The first word is the message's status once dispatched: sent, or already delivered when the
            # report beat the provider's answer; "queued for retry" would mean Kannel refused it.
            m = re.fullmatch(r"(?:sent|delivered) (\w+) to (\+\d+) \[(gsm7|ucs2), (\d+) segments?\]: (.*)", line)
            if m:
                sent.append({"stage": m.group(1), "to": m.group(2), "encoding": m.group(3),
                             "segments": int(m.group(4)), "body": m.group(5)})
                continue
            m = re.fullmatch(r"skipped (\w+) for invoice (\d+): (.*)", line)
            if m:
                skipped.append({"stage": m.group(1), "invoice": int(m.group(2)), "reason": m.group(3)})
                continue
            raise CheckFailed(f"unexpected line from relance remind: {line!r}")
        return sent, skipped

    # -- observations

    def received(self):
        """Every text the fake SMSC got so far, across all fakesmsc instances, in order."""
        messages = []
        for path in self.fakesmsc_logs:
            messages.extend(parse_fakesmsc_log(path))
        return messages

    def wait_for_received(self, count, what):
        def enough():
            self.assert_running()
            return len(self.received()) >= count
        wait_for(f"{what} (fake SMSC holds {count} messages in all)", enough)
        # Settle a moment, then make sure nothing beyond what we expect arrived.
        time.sleep(1.5)
        messages = self.received()
        check(len(messages) == count,
              f"after {what}, the fake SMSC holds {len(messages)} messages instead of {count}:\n"
              + describe(messages))
        return messages

    def report_logs(self):
        print(f"\nLogs (kept in {self.dir}):", file=sys.stderr)
        for name, path in self.log_files.items():
            print(f"--- {name}: {path} (last lines)", file=sys.stderr)
            print(tail(path), file=sys.stderr)
        print(f"--- relance commands: {self.dir / 'relance-commands.log'}", file=sys.stderr)
        print(tail(self.dir / "relance-commands.log", 30), file=sys.stderr)


def describe(messages):
    return "\n".join(f"    {i + 1}. to {m['receiver']} from {m['sender']} ({m['coding']}, {m['parts']} part(s)): "
                     f"{m['text']!r}" for i, m in enumerate(messages)) or "    (none)"


def link_token(body, base):
    m = re.search(re.escape(base) + r"/p/([A-Za-z0-9_-]{30})(?![A-Za-z0-9_-])", body)
    check(m, f"no {base}/p/<30-character token> link in {body!r}")
    return m.group(1)


def expected_text(stage, customer, number, amount, due_on, token, base):
    return TEMPLATES[stage].format(business=BUSINESS, name=customer["name"], number=number, amount=amount,
                                   due=due_on.strftime("%d/%m"), link=f"{base}/p/{token}")


def pick_due_date(today):
    """The first Wednesday at least 14 days ahead: D-7, D and D+7 are then Wednesdays in the future."""
    day = today + dt.timedelta(days=14)
    while day.isoweekday() != 3:
        day += dt.timedelta(days=1)
    return day


# ---------------------------------------------------------------------------------------------------------
# The scenario


def scenario(h):
    today = dt.datetime.now(dt.timezone.utc).date()
    due_on = pick_due_date(today)
    instants = {stage: (due_on + dt.timedelta(days=offset)).isoformat() + "T09:30:00Z"
                for stage, offset in (("courtesy", -7), ("due", 0), ("late", 7))}
    log(f"due date {due_on} ({due_on:%A}); ticks at {instants}")
    log(f"ports: admin {h.admin_port}, smsbox {h.smsbox_port}, fake SMSC {h.fake_port}, "
        f"sendsms {h.sendsms_port}, relance {h.relance_port}; folder {h.dir}")

    # 1. Everything up; three invoices.
    h.start_kannel()
    h.start_relance()
    invoices = {}
    for key, customer, amount, number in (("A", CUSTOMER_A, AMOUNT_A, "F-2026-0101"),
                                          ("B", CUSTOMER_B, AMOUNT_B, "F-2026-0102"),
                                          ("C", CUSTOMER_C, AMOUNT_C, "F-2026-0103")):
        status, body = h.api("POST", "/invoices", {
            "number": number,
            "customer": {**customer, "locale": "fr", "time_zone": "Europe/Paris"},
            "currency": "EUR", "amount": amount,
            "issued_on": (today - dt.timedelta(days=3)).isoformat(), "due_on": due_on.isoformat(),
        })
        check(status == 201 and isinstance(body, dict) and "id" in body,
              f"creating invoice {number} answered {status}: {body}")
        invoices[key] = {"id": body["id"], "number": number}
    status, body = h.api("POST", f"/invoices/{invoices['C']['id']}/payments",
                         {"amount": AMOUNT_C, "method": "transfer"})
    check(status == 201, f"paying invoice C answered {status}: {body}")
    status, body = h.api("GET", f"/invoices/{invoices['C']['id']}")
    check(status == 200 and body.get("status") == "paid", f"invoice C is not paid after its payment: {body}")

    a, b = invoices["A"], invoices["B"]
    expected_log = []  # every text the SMSC should have got, in order: (receiver, text, coding)

    def tick(stage, expect_sent, expect_skipped):
        """Runs remind at the stage's instant; checks its report and what the SMSC got."""
        before = len(h.received())
        sent, skipped = h.remind(instants[stage])
        check(sorted(s["to"] for s in sent) == sorted(c["phone"] for c, _, _ in expect_sent),
              f"{stage} tick sent to {[s['to'] for s in sent]}, expected "
              f"{[c['phone'] for c, _, _ in expect_sent]}")
        check([(s["stage"], s["reason"]) for s in skipped] == expect_skipped,
              f"{stage} tick skipped {skipped}, expected {expect_skipped}")
        expected = {}
        for customer, invoice, amount in expect_sent:
            line = next(s for s in sent if s["to"] == customer["phone"])
            check(line["stage"] == stage, f"{stage} tick sent stage {line['stage']} to {customer['phone']}")
            token = link_token(line["body"], h.base)
            text = expected_text(stage, customer, invoice["number"], amount, due_on, token, h.base)
            check(line["body"] == text,
                  f"relance remind printed for {customer['phone']}:\n    {line['body']!r}\nexpected\n    {text!r}")
            encoding = "ucs2" if customer is CUSTOMER_B else "gsm7"
            check(line["encoding"] == encoding, f"{stage} text to {customer['phone']} is {line['encoding']}, "
                                                f"expected {encoding}")
            expected[customer["phone"]] = {"text": text, "segments": line["segments"], "encoding": encoding,
                                           "token": token}
        messages = h.wait_for_received(before + len(expect_sent), f"the {stage} tick")
        new = messages[before:]
        # Within one tick the order is not fixed (serve's dispatcher may take a message too).
        for message in new:
            want = expected.get(message["receiver"])
            check(want is not None, f"{stage} tick: unexpected text to {message['receiver']}: {message['text']!r}")
            check(message["sender"] == SHORT_CODE, f"{stage} text came from {message['sender']}, not {SHORT_CODE}")
            check(message["text"] == want["text"],
                  f"{stage} tick: the SMSC got for {message['receiver']}\n    {message['text']!r}\nexpected\n"
                  f"    {want['text']!r}")
            check(message["coding"] == ("ucs-2" if want["encoding"] == "ucs2" else "7bit"),
                  f"{stage} text to {message['receiver']} arrived as {message['coding']}, "
                  f"Relance said {want['encoding']}")
            check(message["parts"] == want["segments"],
                  f"{stage} text to {message['receiver']} arrived in {message['parts']} part(s); Relance counted "
                  f"{want['segments']} segment(s)")
        check(sorted(m["receiver"] for m in new) == sorted(expected),
              f"{stage} tick: the SMSC got texts for {[m['receiver'] for m in new]}, expected {sorted(expected)}")
        expected_log.extend(sorted(((m["receiver"], m["text"], m["coding"]) for m in new)))
        return expected

    def message_of(invoice, stage):
        status, body = h.api("GET", f"/invoices/{invoice['id']}/messages")
        check(status == 200, f"GET messages of invoice {invoice['number']} answered {status}: {body}")
        found = [m for m in body["data"] if m.get("stage") == stage]
        check(len(found) == 1, f"invoice {invoice['number']} has {len(found)} {stage} messages: {body['data']}")
        return found[0]

    def wait_delivered(invoice, stage, text):
        def delivered():
            message = message_of(invoice, stage)
            statuses = [e["status"] for e in message["events"]]
            return message if message["status"] == "delivered" and "sent" in statuses \
                and "delivered" in statuses else None
        try:
            message = wait_for(f"{stage} message of {invoice['number']} to be delivered", delivered)
        except CheckFailed as failure:
            current = message_of(invoice, stage)
            statuses = [e["status"] for e in current["events"]]
            hint = ""
            if "delivered" in statuses and "sent" in statuses and statuses.index("delivered") < statuses.index("sent"):
                hint = ("\n    Kannel's delivery report was recorded before the send result, and recording 'sent' "
                        "then overwrote 'delivered' (Store.recordSendResult sets status = 'sent' unconditionally).")
            raise CheckFailed(f"{failure}; it is: {json.dumps(current, ensure_ascii=False)}{hint}")
        check(message["body"] == text, f"the API shows {message['body']!r}, expected {text!r}")
        check(message["provider"] == "kannel", f"provider is {message['provider']!r}, expected 'kannel'")
        return message

    # 2. Courtesy: A in GSM-7, B in UCS-2 (concatenated), nothing for C.
    courtesy = tick("courtesy", [(CUSTOMER_A, a, TEXT_A), (CUSTOMER_B, b, TEXT_B)], [])
    check("Jérôme" in courtesy[CUSTOMER_B["phone"]]["text"], "B's courtesy text lacks 'Jérôme'")
    message = wait_delivered(a, "courtesy", courtesy[CUSTOMER_A["phone"]]["text"])
    log(f"A's courtesy message delivered; events: {[e['status'] for e in message['events']]}")
    check(message["encoding"] == "gsm7" and message["segments"] == 1,
          f"A's courtesy message is {message['encoding']}, {message['segments']} segment(s)")
    message = wait_delivered(b, "courtesy", courtesy[CUSTOMER_B["phone"]]["text"])
    log(f"B's courtesy message delivered; events: {[e['status'] for e in message['events']]}")
    # The link in A's text opens A's invoice.
    token = courtesy[CUSTOMER_A["phone"]]["token"]
    status, page = http("GET", f"{h.base}/p/{token}")
    check(status == 200 and a["number"] in page, f"A's courtesy link answered {status} without the invoice number")

    # 3. Due day.
    due = tick("due", [(CUSTOMER_A, a, TEXT_A), (CUSTOMER_B, b, TEXT_B)], [])
    wait_delivered(a, "due", due[CUSTOMER_A["phone"]]["text"])

    # 4. STOP from A's phone, through a fresh fakesmsc that then stays as the listener.
    before = len(h.received())
    h.stop(h.fakesmsc)
    h.fakesmsc.expected_to_exit = True
    h.fakesmsc = h.start_fakesmsc(f"{CUSTOMER_A['phone']} {SHORT_CODE} text STOP")

    def opted_out():
        with sqlite3.connect(f"file:{h.database}?mode=ro", uri=True) as db:
            row = db.execute("SELECT sms_opted_out_at FROM customer WHERE phone = ?",
                             (CUSTOMER_A["phone"],)).fetchone()
        return row is not None and row[0] is not None
    wait_for("customer A to be opted out after STOP", opted_out)
    with sqlite3.connect(f"file:{h.database}?mode=ro", uri=True) as db:
        others = db.execute("SELECT phone FROM customer WHERE sms_opted_out_at IS NOT NULL AND phone != ?",
                            (CUSTOMER_A["phone"],)).fetchall()
        inbound = db.execute("SELECT from_number, to_number, body, keyword, provider FROM inbound").fetchall()
    check(not others, f"STOP from A also opted out {others}")
    check(inbound == [(CUSTOMER_A["phone"], SHORT_CODE, "STOP", "stop", "kannel")],
          f"inbound table holds {inbound}")
    messages = h.wait_for_received(before + 1, "the opt-out confirmation")
    confirmation = messages[-1]
    check(confirmation["receiver"] == CUSTOMER_A["phone"] and confirmation["text"] == OPT_OUT_CONFIRMATION
          and confirmation["coding"] == "7bit" and confirmation["parts"] == 1,
          f"the confirmation arrived as {confirmation}, expected {OPT_OUT_CONFIRMATION!r} in GSM-7 to A")
    expected_log.append((CUSTOMER_A["phone"], OPT_OUT_CONFIRMATION, "7bit"))

    def confirmation_delivered():
        with sqlite3.connect(f"file:{h.database}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT status, body FROM message WHERE kind = 'opt_out_confirmation'").fetchall()
        check(len(rows) == 1, f"{len(rows)} opt-out confirmations in the database: {rows}")
        return rows[0][0] == "delivered"
    wait_for("the opt-out confirmation to be delivered", confirmation_delivered)

    # 5. Late: B only; A skipped because opted out; C (paid) nothing.
    late = tick("late", [(CUSTOMER_B, b, TEXT_B)], [("late", "opted out of SMS")])
    wait_delivered(b, "late", late[CUSTOMER_B["phone"]]["text"])
    status, body = h.api("GET", f"/invoices/{invoices['C']['id']}/messages")
    check(status == 200 and body["data"] == [], f"paid invoice C has messages: {body}")

    # 6. Everything the SMSC got, in order; no accent lost to '?'.
    messages = h.received()
    got = [(m["receiver"], m["text"], m["coding"]) for m in messages]
    # Within a tick the order is free: compare tick by tick as sorted groups.
    groups = [2, 2, 1, 1]
    start = 0
    for size in groups:
        got[start:start + size] = sorted(got[start:start + size])
        start += size
    check(got == expected_log, "the SMSC's whole log differs:\n" + describe(messages) + "\nexpected:\n"
          + "\n".join(f"    {r} {c}: {t!r}" for r, t, c in expected_log))
    for m in messages:
        check("?" not in m["text"], f"a text holds '?', an accent lost in transit: {m['text']!r}")
        check(m["receiver"] != CUSTOMER_C["phone"], f"paid customer C got {m['text']!r}")
    log("the fake SMSC received, in order:\n" + describe(messages))


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    # An explicit path is taken from the current folder; the default lives in the repository.
    binary = str(Path(sys.argv[1]).resolve()) if len(sys.argv) > 1 else str(REPO / ".build/debug/relance")
    missing = [tool for tool in (BEARERBOX, SMSBOX, FAKESMSC, binary) if not os.access(tool, os.X_OK)]
    if missing:
        print(f"FAIL: missing {', '.join(missing)} (apt-get install kannel kannel-extras; build relance)",
              file=sys.stderr)
        return 1
    h = Harness(binary)
    ok = False
    try:
        scenario(h)
        ok = True
    except CheckFailed as failure:
        print(f"\nFAIL: {failure}", file=sys.stderr)
    except Terminated as stop:
        print(f"\nFAIL: interrupted ({stop})", file=sys.stderr)
    except Exception as error:  # noqa: BLE001 - report anything with the logs
        import traceback
        traceback.print_exc()
        print(f"\nFAIL: {error!r}", file=sys.stderr)
    finally:
        h.stop_all()
    if ok:
        log("PASS")
        if os.environ.get("KEEP_E2E_DIR") != "1":
            shutil.rmtree(h.dir, ignore_errors=True)
        return 0
    h.report_logs()
    return 1


if __name__ == "__main__":
    sys.exit(main())
