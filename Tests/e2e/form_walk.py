#!/usr/bin/env python3
"""A hostile walk through every HTML form of a live Relance demo server (black box).

Usage:
    python3 Tests/e2e/form_walk.py --serve BINARY [--max-posts N] [--seed S]

Starts `BINARY serve --demo` in a temporary folder on a free port of 127.0.0.1 (scheduler off, proxy
headers trusted: every request comes from its own X-Forwarded-For address, 10.x.y.z counting up and one
in eight from its own IPv6 /64, so that no rate limit hides a handler), then walks:

  1. the customer side: every customer link the demo prints and every page it links to under the same
     /p/TOKEN/ prefix (plan, question, renew, checkout), and any /u/... unsubscribe link;
  2. the dashboard: signs in with the printed owner credentials and follows links from /dashboard (60
     pages at most; /logout and CSV/JSON downloads left out), once after the customer side (its plans
     and questions have forms there) and once more after the first walk (for the forms that walk made
     appear, such as a new user's "remove access"); a redirect to /login means signing in again;
  3. the sign-in form itself, filled with the owner's credentials but for the one hostile field; every
     few posts a new browser signs in once for a known-browser cookie, so that the failed passwords
     count on that browser and never slow the owner's account down.

Every <form method="post"> is posted unchanged (the baseline: current values, the checked or first
option, a made-up valid value for an empty required field), then once per field and hostile value with
only that field replaced and the form token fresh: the form's page is fetched again after a redirect or
a 403 the token did not cause. A form with several named submit buttons is walked once per button (the
plan form's preview and send). The logo form goes as multipart/form-data, with hostile file bytes and
file names too. The first form of each shape (same action once tokens, ids and template names are
blanked, same fields and buttons) gets every hostile value, later ones one value per field; destructive
forms (void, revoke, disable) go last. At the end every page crawled is fetched again, so that a value
stored by one form and shown unescaped by another page is caught too.

A failure is: a status >= 500; a refused, reset, empty or timed-out connection; GET /healthz not
answering (checked every 200 posts and at the end); the server process gone; `<script>alert(1)</script>`
or `<img src=x onerror=` literally in a text/html body; a `Set-Cookie: x=` header (a CR LF injected
into a header). 3xx and 4xx (413, 429 included) are fine. Server bugs are reported, not worked around.

Prints the forms found, the posts made, a histogram of POST statuses and every failure with its method,
path, field and value; on a failure also the last 80 lines of the server's log (stdout and stderr, in
serve.log of the temporary folder, which is then kept). Exit status 1 on a failure, 0 otherwise, 2 on
bad usage or a server that does not start.

--max-posts caps the form posts (sign-ins and the GETs for fresh tokens are not counted): the login form
keeps up to a tenth, the customer side up to half of the rest, the dashboard what is left. A side with
more posts than its share keeps its baselines and a sample drawn with --seed, in the original order.
The default posts everything (about 6,000 today, about 75 seconds on a debug build). Standard library
only; all traffic goes to 127.0.0.1.
"""

import argparse
import collections
import http.client
import itertools
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PHONE_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
DEFAULT_MAX_POSTS = 8000  # about 6,000 are planned today: about 75 s on a debug build
HEALTH_EVERY = 200
DASHBOARD_PAGE_LIMIT = 60
PAGES_PER_KIND = 5  # pages whose paths differ only in their ids
TIMEOUT = 60

HOSTILE = [
    "", " ", "0", "-1", "1e308", "NaN", "-9223372036854775808", "9223372036854775807",
    "9223372036854775808", "99999999999999999999999999", "0x7f", "2026-02-30", "9999-12-31", "0000-00-00",
    "\r\n", "a\r\nSet-Cookie: x=1", "<script>alert(1)</script>", "'\"><img src=x onerror=alert(1)>", "\x00",
    "%00", "../../../etc/passwd", "{{link}}", "{{#link}}" * 200, "=HYPERLINK(\"http://x\")", "\u202e\u0000\u0085",
    "é" * 3000, "😀" * 2000, "A" * 70000, "[]", "{}", "null", "true",
    # One Character but two code points each: a length counted in Characters passes what the database's
    # length() (code points) refuses.
    "e\u0301" * 600, "a\u0000b",
]
# Text that can only be in an HTML body if a hostile value went in unescaped.
MARKERS = ["<script>alert(1)</script>", "<img src=x onerror="]
TOKEN_FIELDS = {"csrf", "token"}
# What is blanked in a form's action to tell its shape: customer tokens, ids, a template's stage and locale.
SHAPE_BLANKS = [(r"/(p|u)/[^/?#]+", r"/\1/T"), (r"\d+", "N"),
                (r"/(templates|email-templates)/[^/?#]+/[^/?#]+", r"/\1/S/L")]
DESTRUCTIVE = re.compile(r"void|revoke|disable|delete|remove", re.I)


# MARK: - The server

@dataclass
class Demo:
    process: subprocess.Popen
    folder: str
    log_path: str
    base: str
    port: int
    email: str
    password: str
    links: list  # (label, path)


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_demo(binary, folder):
    """`BINARY serve --demo` in `folder`; waits for its banner and /healthz."""
    port = free_port()
    environment = dict(os.environ, RELANCE_PORT=str(port), RELANCE_HOST=HOST, RELANCE_SCHEDULER="off",
                       RELANCE_RESOURCES=str(ROOT), RELANCE_LOG_LEVEL="warning", RELANCE_TRUST_PROXY="1")
    environment.pop("RELANCE_DATABASE", None)
    log_path = os.path.join(folder, "serve.log")
    log = open(log_path, "w+")
    process = subprocess.Popen([os.path.abspath(binary), "serve", "--demo"], cwd=folder, env=environment,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        log.seek(0)
        banner = log.read()
        if "Customer links:" in banner and re.search(r"API key:", banner) and healthy(port):
            credentials = re.search(r"sign in:\s+(\S+)\s+/\s+(\S+)", banner)
            links = re.findall(r"^  (\S.*?)\s{2,}https?://[^/\s]+(/p/\S+)\s*$", banner, re.M)
            if credentials and links:
                return Demo(process, folder, log_path, f"http://{HOST}:{port}", port, credentials.group(1),
                            credentials.group(2), links)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    process.wait()
    log.seek(0)
    print("the demo server did not start:\n" + log.read()[-3000:], file=sys.stderr)
    sys.exit(2)


def healthy(port):
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def stop_demo(demo):
    if demo.process.poll() is None:
        demo.process.terminate()
        try:
            demo.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.process.kill()
            demo.process.wait()


def log_tail(demo, lines=80):
    with open(demo.log_path, errors="replace") as log:
        return "".join(log.readlines()[-lines:])


# MARK: - HTML

@dataclass
class Form:
    page: str  # where the form was found: fetched again for a fresh token
    action: str
    enctype: str
    fields: list = field(default_factory=list)  # (name, value) a browser would send, document order
    optional: list = field(default_factory=list)  # unchecked checkboxes: absent unless fuzzed
    buttons: list = field(default_factory=list)  # named submit buttons (name, value)
    files: list = field(default_factory=list)  # file input names

    def names(self):
        """Every field name to fuzz, once each, in document order."""
        seen = []
        for name in [n for n, _ in self.fields] + self.optional + [n for n, _ in self.buttons]:
            if name not in seen:
                seen.append(name)
        return seen

    def shape(self):
        """Forms that differ only in the ids, tokens or template in their action have the same shape."""
        action = self.action
        for pattern, blank in SHAPE_BLANKS:
            action = re.sub(pattern, blank, action)
        return (action, tuple(sorted(self.names())), tuple(self.buttons), tuple(self.files))


class PageParser(HTMLParser):
    """Links (<a href>) and POST forms with the values a browser would send."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links = []
        self.forms = []
        self.form = None
        self.radios = {}  # name -> [value, checked]: first option unless one is checked
        self.select = None  # [name, first, selected]
        self.option = None  # [value or None, text, selected]
        self.textarea = None  # [name, text, required]

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            if a.get("method", "get").lower() == "post":
                action = urllib.parse.urljoin(self.page, a.get("action") or self.page)
                self.form = Form(self.page, action, a.get("enctype", "application/x-www-form-urlencoded").lower())
                self.radios = {}
        elif self.form is None or "disabled" in a:
            return  # outside a POST form, or a control a browser does not send
        elif tag == "input":
            self.add_input(a)
        elif tag == "button" and a.get("name") and a.get("type", "submit").lower() == "submit":
            self.add_button((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self.select = [a["name"], None, None]
        elif tag == "option" and self.select is not None:
            self.option = [a.get("value"), "", "selected" in a]
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], "", "required" in a]

    def add_input(self, a):
        name, kind, value = a.get("name"), a.get("type", "text").lower(), a.get("value", "")
        if not name or kind in ("reset", "image", "button"):
            return
        if kind == "submit":
            self.add_button((name, value))
        elif kind == "file":
            self.form.files.append(name)
        elif kind == "radio":
            entry = self.radios.setdefault(name, [value or "on", False])
            if "checked" in a and not entry[1]:
                entry[:] = [value or "on", True]
        elif kind == "checkbox":
            if "checked" in a:
                self.form.fields.append((name, value or "on"))
            else:
                self.form.optional.append(name)
        else:
            self.form.fields.append((name, value or (stand_in(a) if "required" in a else "")))

    def add_button(self, button):
        if button not in self.form.buttons:
            self.form.buttons.append(button)

    def handle_data(self, data):
        if self.option is not None:
            self.option[1] += data
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None and self.select is not None:
            value = self.option[0] if self.option[0] is not None else self.option[1].strip()
            if self.select[1] is None:
                self.select[1] = value
            if self.option[2] and self.select[2] is None:
                self.select[2] = value
            self.option = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, first, selected = self.select
            self.form.fields.append((name, selected if selected is not None else (first or "")))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            name, text, required = self.textarea
            text = text[1:] if text.startswith("\n") else text
            self.form.fields.append((name, text or ("Form walk: a question." if required else "")))
            self.textarea = None
        elif tag == "form" and self.form is not None:
            for name, (value, _) in self.radios.items():
                self.form.fields.append((name, value))
            self.forms.append(self.form)
            self.form = None


STAND_IN_COUNT = itertools.count(1)


def stand_in(a):
    """A valid value for an empty required input, so that the baseline post is a valid one."""
    kind, mode = a.get("type", "text").lower(), a.get("inputmode", "")
    if kind == "email":
        return f"walk{next(STAND_IN_COUNT)}@example.com"  # a new one each time the form is read
    if kind == "password":
        return "walk-password-2026"
    if kind == "tel":
        return "+33612345678"
    if kind == "url":
        return "https://example.com/pay"
    if kind == "date":
        return a.get("min") or a.get("max") or time.strftime("%Y-%m-%d")
    if kind == "number" or mode in ("numeric", "decimal"):
        return a.get("min") or "1"
    return "walk"


def parse_page(page, body):
    parser = PageParser(page)
    parser.feed(body)
    parser.close()
    links = []
    for href in parser.links:
        absolute = urllib.parse.urldefrag(urllib.parse.urljoin(page, href))[0]
        if absolute.startswith("/") and not absolute.startswith("//"):
            links.append(absolute)
    return links, parser.forms


# MARK: - HTTP and the checks

@dataclass
class Reply:
    status: int = 0
    headers: list = field(default_factory=list)
    body: bytes = b""
    error: str = ""

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self):
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def is_html(self):
        return (self.header("Content-Type") or "").startswith("text/html")


class Jar:
    """The cookies of one browser (one origin, so paths are ignored)."""

    def __init__(self):
        self.values = {}

    def take(self, reply):
        for line in reply.cookies():
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if re.search(r";\s*max-age=0\b", line, re.I) or not value:
                self.values.pop(name.strip(), None)
            else:
                self.values[name.strip()] = value

    def header(self):
        return "; ".join(f"{k}={v}" for k, v in self.values.items())


class Addresses:
    """A new client address for every request: 10.0.0.1, 10.0.0.2, ..., every 8th one IPv6, each in its
    own /64 (the rate limits count IPv6 clients by /64)."""

    def __init__(self):
        self.count = 0

    def next(self):
        self.count += 1
        n = self.count
        if n % 8 == 0:
            return f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::1"
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class ServerGone(Exception):
    """The server process exited: the walk stops."""


class Client:
    """Sends requests to the demo and checks every answer."""

    def __init__(self, demo):
        self.demo = demo
        self.addresses = Addresses()
        self.statuses = Counter()
        self.failures = []
        self.posts = 0
        self.requests = 0

    def send(self, method, path, jar=None, body=None, content_type=None, context=("", "")):
        headers = {"User-Agent": PHONE_AGENT, "X-Forwarded-For": self.addresses.next(),
                   "Sec-Fetch-Site": "same-origin", "Accept": "text/html,*/*", "Connection": "close"}
        if jar is not None and jar.values:
            headers["Cookie"] = jar.header()
        if body is not None:
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
            headers["Origin"] = self.demo.base
        reply = exchange(self.demo.port, method, path, headers, body)
        self.requests += 1
        if method == "POST":
            self.posts += 1
            self.statuses[reply.status or "error"] += 1
            if self.posts % HEALTH_EVERY == 0:
                self.check_health()
        if jar is not None:
            jar.take(reply)
        self.check(method, path, reply, context)
        if reply.error and self.demo.process.poll() is not None:
            raise ServerGone()
        return reply

    def check(self, method, path, reply, context):
        problems = []
        if reply.error:
            problems.append(reply.error)
        elif reply.status >= 500:
            problems.append(f"status {reply.status}")
        if reply.is_html():
            text = reply.text()
            problems += [f"unescaped {marker!r} in the page" for marker in MARKERS if marker in text]
        if any(re.match(r"\s*x=", line) for line in reply.cookies()):
            problems.append("header injected: Set-Cookie x=")
        for problem in problems:
            self.fail(method, path, context, f"{reply.status or '-'} {problem}")

    def fail(self, method, path, context, problem):
        self.failures.append((method, path, context[0], context[1], problem))

    def check_health(self):
        reply = exchange(self.demo.port, "GET", "/healthz", {"Connection": "close"}, None)
        if reply.status != 200:
            self.fail("GET", "/healthz", ("", ""), f"{reply.status or '-'} {reply.error or 'not healthy'}")


def exchange(port, method, path, headers, body):
    """One request on its own connection; a refused, reset or empty connection becomes `error`."""
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        try:
            connection.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError) as error:
            sending = error  # the server may have answered early (413) and closed: read the answer
        else:
            sending = None
        try:
            response = connection.getresponse()
            return Reply(response.status, response.getheaders(), response.read())
        except (OSError, http.client.HTTPException) as error:
            cause = sending or error
            return Reply(error=f"{type(cause).__name__}: {cause}".strip(": "))
    except OSError as error:
        return Reply(error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()


# MARK: - Bodies

def form_pairs(form, button, name=None, value=None):
    """The form's fields (and button), with field `name` alone set to `value`."""
    pairs = list(form.fields) + ([button] if button else [])
    if name is None:
        return pairs
    result, placed = [], False
    for key, old in pairs:
        if key == name:
            if not placed:
                result.append((key, value))
                placed = True
        else:
            result.append((key, old))
    if not placed:
        result.append((name, value))
    return result


def urlencoded(pairs):
    return urllib.parse.urlencode(pairs, encoding="utf-8").encode()


def multipart(pairs, files, boundary):
    """`pairs` as text parts, `files` as (name, filename, content type, bytes) parts."""
    chunks = []
    for name, value in pairs:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        chunks.append(value.encode("utf-8", errors="surrogatepass") + b"\r\n")
    for name, filename, kind, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        if kind:
            head += f"Content-Type: {kind}\r\n"
        chunks.append(head.encode("utf-8") + b"\r\n" + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def tiny_png():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def hostile_files(seed):
    """(label, filename, content type, bytes) for the logo form's file field."""
    junk = random.Random(seed).randbytes(70 * 1024)
    return [
        ("empty", "logo.png", "image/png", b""),
        ("70 KB junk", "logo.png", "image/png", junk),
        ("PNG signature + junk", "logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + junk[:4096]),
        ("PNG header, huge size", "logo.png", "image/png",
         tiny_png()[:16] + struct.pack(">II", 0x7FFFFFFF, 0x7FFFFFFF) + tiny_png()[24:]),
        ("JPEG signature", "logo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + junk[:512]),
        ("text", "logo.png", "text/plain", b"<script>alert(1)</script>\n"),
        ("svg", "logo.svg", "image/svg+xml",
         b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("no file name", "", "", tiny_png()),
        ("path file name", "../../../etc/passwd", "image/png", tiny_png()),
        ("markup file name", "<script>alert(1)</script>.png", "image/png", tiny_png()),
        ("long file name", "é" * 3000 + ".png", "image/png", tiny_png()),
    ]


# MARK: - The walk

@dataclass
class Job:
    form: int  # index in the side's form list
    button: tuple = None
    name: str = None  # None: the baseline
    value: str = None
    file: tuple = None  # multipart only: (label, filename, content type, bytes)

    def label(self, files):
        if self.file is not None and self.name is None:
            return files[0] if files else "file", self.file[0]
        return self.name or "(baseline)", self.value if self.name else (self.button[1] if self.button else "")


def jobs_for(index, form, full, seed):
    """Baseline then one-field-at-a-time posts; every hostile value when `full`, else one per field."""
    jobs = []
    buttons = form.buttons or [None]
    for button in buttons:
        jobs.append(Job(index, button))
        for position, name in enumerate(form.names()):
            if button and name == button[0] and len(buttons) > 1 and button != buttons[0]:
                continue  # the button field is fuzzed once
            values = HOSTILE if full else [HOSTILE[(index + position) % len(HOSTILE)]]
            jobs += [Job(index, button, name, value) for value in values]
    if form.files:
        jobs += [Job(index, buttons[0], file=item) for item in hostile_files(seed)]
    return jobs


def plan_jobs(forms, indices, seed, seen):
    """The jobs of forms[indices]: the first form of a shape not in `seen` in full, the others lightly;
    destructive forms last. Adds the shapes walked to `seen`."""
    jobs = []
    for index in sorted(indices, key=lambda i: bool(DESTRUCTIVE.search(forms[i].action))):
        shape = forms[index].shape()
        jobs += jobs_for(index, forms[index], shape not in seen, seed)
        seen.add(shape)
    return jobs


def cap(jobs, limit, seed):
    """At most `limit` jobs: baselines kept, the rest sampled with `seed`, order kept."""
    if len(jobs) <= limit:
        return jobs
    baselines = [i for i, job in enumerate(jobs) if job.name is None and job.file is None]
    others = sorted(set(range(len(jobs))) - set(baselines))
    room = max(0, limit - len(baselines))
    keep = set(baselines[:limit]) | set(random.Random(seed).sample(others, min(room, len(others))))
    return [job for i, job in enumerate(jobs) if i in keep]


class Side:
    """A set of forms walked with one browser; subclasses say how to post and how to refresh."""

    name = ""

    def __init__(self, client, seed):
        self.client = client
        self.seed = seed
        self.forms = []
        self.walked = 0  # forms[:walked] are done
        self.shapes = set()
        self.planned = self.posted = 0
        self.pages = []  # every HTML page crawled, fetched again at the end
        self.jar = Jar()
        self.boundaries = 0

    def add_page(self, page, forms):
        """Records a crawled page and its forms not seen yet (same action and shape)."""
        if page not in self.pages:
            self.pages.append(page)
        known = {(form.action, form.shape()) for form in self.forms}
        self.forms += [form for form in forms if (form.action, form.shape()) not in known]

    def get(self, path, jar=None):
        return self.client.send("GET", path, jar=jar if jar is not None else self.jar)

    def refresh(self, index):
        """Fetches the form's page again and takes the same form from it (a fresh token)."""
        form = self.forms[index]
        reply = self.get(form.page)
        if reply.status != 200 or not reply.is_html():
            return
        for candidate in parse_page(form.page, reply.text())[1]:
            if candidate.shape() == form.shape() and candidate.action == form.action:
                self.forms[index] = candidate
                return

    def body(self, form, job):
        pairs = form_pairs(form, job.button, job.name, job.value)
        if form.enctype != "multipart/form-data":
            return urlencoded(pairs), None
        self.boundaries += 1
        boundary = f"----relance-form-walk-{self.boundaries:06d}"
        file = job.file or ("png", "logo.png", "image/png", tiny_png())
        files = [(name, file[1], file[2], file[3]) for name in form.files]
        return multipart(pairs, files, boundary), f"multipart/form-data; boundary={boundary}"

    def post(self, job):
        form = self.forms[job.form]
        body, kind = self.body(form, job)
        field_name, value = job.label(form.files)
        return self.client.send("POST", form.action, jar=self.jar, body=body, content_type=kind,
                                context=(field_name, value))

    def after(self, job, reply):
        """Fetch a fresh token after a redirect, or after a 403 the token field did not cause."""
        if 300 <= reply.status < 400 or (reply.status == 403 and job.name not in TOKEN_FIELDS):
            self.refresh(job.form)

    def walk(self, limit):
        """Walks the forms found since the last walk, at most `limit` posts."""
        jobs = plan_jobs(self.forms, range(self.walked, len(self.forms)), self.seed, self.shapes)
        self.walked = len(self.forms)
        self.planned += len(jobs)
        jobs = cap(jobs, max(0, limit), self.seed)
        for job in jobs:
            reply = self.post(job)
            self.after(job, reply)
        self.posted += len(jobs)

    def summary(self):
        return {"forms": len(self.forms), "shapes": len(self.shapes), "planned": self.planned,
                "posted": self.posted}

    def revisit(self):
        for page in self.pages:
            self.get(page)


class CustomerSide(Side):
    name = "customer"

    def crawl(self, links):
        for _, path in links:
            prefix = path.rstrip("/") + "/"
            queue, seen = [path], {path}
            while queue:
                page = queue.pop(0)
                reply = self.get(page)
                if not reply.is_html():
                    continue
                found_links, forms = parse_page(page, reply.text())
                self.add_page(page, forms)
                for link in found_links:
                    if (link.startswith(prefix) or link.startswith("/u/")) and link not in seen:
                        seen.add(link)
                        queue.append(link)


def filled_login(form, email, password):
    """The sign-in form's fields with the owner's email and password."""
    pairs = [(k, email if k == "email" else password if k == "password" else v) for k, v in form.fields]
    return pairs + ([("password", password)] if "password" not in dict(pairs) else [])


def sign_in(client, jar, email, password):
    """GET /login then POST it with the credentials, in the browser `jar`; False if it did not work."""
    page = client.send("GET", "/login", jar=jar)
    forms = [f for f in parse_page("/login", page.text())[1] if f.action == "/login"]
    if not forms:
        client.fail("GET", "/login", ("(sign in)", ""), f"{page.status or page.error} no sign-in form")
        return False
    reply = client.send("POST", "/login", jar=jar, body=urlencoded(filled_login(forms[0], email, password)),
                        context=("(sign in)", ""))
    if reply.status != 303 or "relance_session" not in jar.values:
        client.fail("POST", "/login", ("(sign in)", ""), f"{reply.status or reply.error} sign-in did not work")
        return False
    return True


class DashboardSide(Side):
    name = "dashboard"

    def __init__(self, client, seed, email, password):
        super().__init__(client, seed)
        self.email, self.password = email, password

    def sign_in(self):
        self.jar = Jar()
        sign_in(self.client, self.jar, self.email, self.password)

    def crawl(self):
        """Follows /dashboard links breadth first, at most DASHBOARD_PAGE_LIMIT pages."""
        self.sign_in()
        queue, seen, fetched = ["/dashboard"], {page_key("/dashboard")}, 0
        # A few pages of each kind (invoice 12, invoice 13…), so that a long list of one kind does not
        # use up the limit before the other kinds (a customer's page) are reached.
        per_kind = collections.Counter()
        while queue and fetched < DASHBOARD_PAGE_LIMIT:
            page = queue.pop(0)
            reply = self.get(page)
            fetched += 1
            if reply.status != 200 or not reply.is_html():
                continue
            links, forms = parse_page(page, reply.text())
            self.add_page(page, [f for f in forms if urllib.parse.urlsplit(f.action).path != "/logout"])
            for link in links:
                kind = re.sub(r"/\d+(?=/|$)", "/N", urllib.parse.urlsplit(link).path)
                if crawlable(link) and page_key(link) not in seen and per_kind[kind] < PAGES_PER_KIND:
                    seen.add(page_key(link))
                    per_kind[kind] += 1
                    queue.append(link)

    def after(self, job, reply):
        location = reply.header("Location") or ""
        if 300 <= reply.status < 400 and urllib.parse.urlsplit(location).path == "/login":
            self.sign_in()
        super().after(job, reply)

    def revisit(self):
        self.sign_in()
        super().revisit()


def crawlable(link):
    path = urllib.parse.urlsplit(link).path
    return (path == "/dashboard" or path.startswith("/dashboard/")) and not re.search(
        r"logout|/api/|\.(csv|json)$|export|download|format=(csv|json)", link, re.I)


def page_key(link):
    """Pages that differ only in query values (filters, pages) count once."""
    parts = urllib.parse.urlsplit(link)
    return parts.path, tuple(sorted(k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)))


class LoginSide(Side):
    """The sign-in form, filled with the owner's credentials but for the one hostile field. Every few
    posts a new browser signs in once for a known-browser cookie, so that the failed passwords count on
    that browser and never slow the owner's account down; every post gets a fresh form token."""

    name = "login"
    FAILURES_PER_BROWSER = 4

    def __init__(self, client, seed, email, password):
        super().__init__(client, seed)
        self.email, self.password = email, password
        self.uses = self.FAILURES_PER_BROWSER

    def crawl(self):
        page = self.get("/login")
        self.add_page("/login", [f for f in parse_page("/login", page.text())[1] if f.action == "/login"])

    def post(self, job):
        if self.uses >= self.FAILURES_PER_BROWSER:
            self.jar = Jar()
            sign_in(self.client, self.jar, self.email, self.password)
            self.jar.values.pop("relance_session", None)  # keep the known-browser and login cookies
            self.uses = 0
        self.uses += 1
        self.refresh(job.form)  # a token bound to this browser's relance_login cookie
        form = self.forms[job.form]
        form.fields = filled_login(form, self.email, self.password)
        reply = super().post(job)
        self.jar.values.pop("relance_session", None)  # a sign-in worked: stay signed out
        return reply

    def after(self, job, reply):
        pass  # every post fetches its own token


# MARK: - Main

def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", metavar="BINARY", required=True, help="the relance binary to start")
    parser.add_argument("--max-posts", type=int, default=DEFAULT_MAX_POSTS, help="cap on form posts")
    parser.add_argument("--seed", type=int, default=20261201, help="for sampling and junk bytes")
    return parser.parse_args()


def run(demo, arguments):
    """Walks the three sides, fetches every page again and checks that the server is still up."""
    client = Client(demo)
    sides = (CustomerSide(client, arguments.seed),
             DashboardSide(client, arguments.seed, demo.email, demo.password),
             LoginSide(client, arguments.seed, demo.email, demo.password))
    try:
        walk(demo, arguments.max_posts, arguments.seed, *sides)
        for side in sides:
            side.revisit()  # a hostile value one form stored and another page shows
        client.check_health()
    except ServerGone:
        pass
    if demo.process.poll() is not None:
        client.fail("-", "(server)", ("", ""), f"the server exited with status {demo.process.returncode}")
    return client, {side.name: side.summary() for side in sides}


def walk(demo, limit, seed, customer, dashboard, login):
    """The customer side, the dashboard, then the login form, within `limit` posts."""
    # The login form is small: its share is set aside; the customer side gets at most half the rest.
    login.crawl()
    login_share = min(len(plan_jobs(login.forms, range(len(login.forms)), seed, set())), limit // 10)
    customer.crawl(demo.links)
    customer.walk((limit - login_share) // 2)
    # After the customer side, whose requests and questions have dashboard forms too; crawled again
    # after the walk for the forms it made appear (a new user's "remove access", a template variant).
    for _ in range(2):
        dashboard.crawl()
        dashboard.walk(limit - login_share - customer.posted - dashboard.posted)
    login.walk(limit - customer.posted - dashboard.posted)


def report(client, results, elapsed):
    print("forms found:", ", ".join(f"{name} {r['forms']} ({r['shapes']} shapes)" for name, r in results.items()))
    print("form posts:", ", ".join(f"{name} {r['posted']} of {r['planned']}" for name, r in results.items()),
          f"- {client.posts} POSTs in all (sign-ins included), {client.requests} requests, {elapsed:.0f} s")
    print("POST statuses:", ", ".join(f"{status}: {count}" for status, count in
                                      sorted(client.statuses.items(), key=lambda item: str(item[0]))))
    failures = Counter(client.failures)
    for (method, path, name, value, problem), count in failures.items():
        shown = value if len(value) <= 60 else value[:40] + f"...({len(value)} chars)"
        times = f" (x{count})" if count > 1 else ""
        print(f"FAIL {method} {path} field={name!r} value={shown!r}: {problem}{times}")
    print(f"{len(client.failures)} failure(s)")


def main():
    arguments = parse_arguments()
    folder = tempfile.mkdtemp(prefix="relance-form-walk-")
    started = time.monotonic()
    demo = start_demo(arguments.serve, folder)
    outcome = None
    try:
        outcome = run(demo, arguments)
    finally:
        stop_demo(demo)
        if outcome is None:
            print(f"--- last 80 lines of {demo.log_path}:\n{log_tail(demo)}---", flush=True)
    client, results = outcome
    report(client, results, time.monotonic() - started)
    if client.failures:
        print(f"--- last 80 lines of {demo.log_path} (the folder is kept):\n{log_tail(demo)}---")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
