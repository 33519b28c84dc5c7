#!/usr/bin/env python3
"""Checks a live Relance server against Public/openapi.yaml with schemathesis.

Usage:
    python3 Tests/e2e/api_schema.py [--base-url URL] [--api-key KEY] [--spec PATH_OR_URL]
                                    [--max-examples N] [--seed N] [--report-dir DIR]

BASE_URL and API_KEY come from the environment when not given as options. SPEC defaults to the
Public/openapi.yaml of this checkout; pass `--spec BASE_URL/api/openapi.yaml` to test what the server
itself publishes. Example, on a fresh demo database (it prints an API key):

    RELANCE_PORT=8095 RELANCE_DATABASE=/tmp/st/st.sqlite RELANCE_SCHEDULER=off .build/debug/relance serve --demo
    BASE_URL=http://127.0.0.1:8095 API_KEY=rlk_... python3 Tests/e2e/api_schema.py

The run writes: it creates, pays and voids invoices and rewrites the policy, the sending rules, the
templates and the plan settings. Point it only at a throwaway server.

Every operation gets examples, boundary values ("coverage"), random valid and invalid data
("fuzzing") and chains of calls that follow the ids one response hands to the next ("stateful").
With a fixed seed, one worker and no example database, two runs against the same fresh server send
the same requests. About 4,000 test cases; about 30 seconds on a debug build.

Checks that run (a failure of any makes the exit status non-zero):
  not_a_server_error            no 5xx, and no dropped connection (a crash)
  status_code_conformance       every status is one the spec documents for that operation
  content_type_conformance      JSON answers are application/json, errors application/problem+json
  response_schema_conformance   bodies match the schemas (required, nullable, enums, formats)
  response_headers_conformance  documented headers are there (WWW-Authenticate on 401)
  negative_data_rejection       a body or parameter the spec forbids gets a 4xx, not a 2xx
  ignored_auth                  no route answers without a valid bearer key
  missing_required_header       leaving out a required header is refused
  use_after_free, ensure_resource_availability
                                what was created can be read back (nothing is deleted today)
Checks left out, and why:
  positive_data_acceptance      "schema-valid" is weaker than "acceptable": currency and time zone
                                lists, due_on >= issued_on, increasing stage offsets, amounts within
                                the balance, texts that are blank once trimmed, and RFC 3339 forms
                                the parser refuses (lowercase `t`) are checked by the server only, so
                                valid-looking requests get a rightful 422.
  unsupported_method, allow_header_conformance
                                an undeclared method (TRACE, DELETE) is answered 404 with no body by
                                Hummingbird's router before our API code runs, not 405 with Allow.
  object_level_authorization    one business per instance: every key sees everything by design.
  max_response_time             timing belongs to scripts/bench-*, not to a CI conformance run.

With `--serve BINARY` the script starts `BINARY serve --demo` itself on a free port in a temporary
folder (scheduler off), takes the API key the demo prints, runs, and stops it: what `make test` does
through RelanceWebTests/APISchemaTests.

Exit status: schemathesis's (0 when every check passes, 1 on a failure), 2 on bad usage.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "missing_required_header",
    "use_after_free",
    "ensure_resource_availability",
]

ROOT = Path(__file__).resolve().parents[2]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("BASE_URL"), help="env BASE_URL")
    parser.add_argument("--api-key", default=os.environ.get("API_KEY"), help="env API_KEY")
    parser.add_argument("--spec", default=str(ROOT / "Public" / "openapi.yaml"), help="file or URL")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("ST_MAX_EXAMPLES", "100")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("ST_SEED", "20261129")))
    parser.add_argument("--report-dir", help="write a JUnit report there")
    parser.add_argument("--serve", metavar="BINARY", help="start BINARY serve --demo and test it")
    arguments = parser.parse_args()
    if not arguments.serve and (not arguments.base_url or not arguments.api_key):
        parser.error("give --base-url and --api-key, or set BASE_URL and API_KEY")
    return arguments


def start_demo(binary, folder):
    """`relance serve --demo` on a free port in `folder`; returns the process, its URL and API key."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = dict(os.environ, RELANCE_PORT=str(port), RELANCE_HOST="127.0.0.1", RELANCE_SCHEDULER="off",
                       RELANCE_RESOURCES=str(ROOT), RELANCE_LOG_LEVEL="warning")
    environment.pop("RELANCE_DATABASE", None)
    log = open(os.path.join(folder, "serve.log"), "w+")
    process = subprocess.Popen([os.path.abspath(binary), "serve", "--demo"], cwd=folder, env=environment, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(0)
        found = re.search(r"API key:\s+(\S+)", log.read())
        if found:
            url = f"http://127.0.0.1:{port}"
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                return process, url, found.group(1)
            except OSError:
                pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    log.seek(0)
    sys.exit("the demo server did not start:\n" + log.read()[-2000:])


def main():
    arguments = parse_arguments()
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        print("schemathesis is not installed (pip install schemathesis)", file=sys.stderr)
        return 2
    if arguments.serve:
        with tempfile.TemporaryDirectory(prefix="relance-st-") as folder:
            process, arguments.base_url, arguments.api_key = start_demo(arguments.serve, folder)
            try:
                return run(st, arguments, cwd=folder)
            finally:
                process.terminate()
                process.wait(timeout=20)
    return run(st, arguments, cwd=ROOT)


def run(st, arguments, cwd):
    command = [
        st, "run", arguments.spec,
        "--url", arguments.base_url.rstrip("/"),
        "--header", f"Authorization: Bearer {arguments.api_key}",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(arguments.max_examples),
        "--seed", str(arguments.seed),
        # One worker and no example database: the same requests in the same order on every run.
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "10",
        # Scenarios in which the server crashed would otherwise be retried and shrunk for minutes.
        "--max-failures", "50",
        "--no-color",
    ]
    if arguments.report_dir:
        command += ["--report", "junit", "--report-dir", arguments.report_dir]
    print("running:", " ".join(command).replace(arguments.api_key, "***"), flush=True)
    return subprocess.run(command, cwd=cwd).returncode


if __name__ == "__main__":
    sys.exit(main())
