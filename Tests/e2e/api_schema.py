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
the same requests. About 6,300 test cases, about a minute on a debug build (3,900 and 30 seconds
with --max-examples 30).

Every check schemathesis has runs (a failure of any makes the exit status non-zero); they are
switched on in Tests/e2e/schemathesis.toml, which this script passes with --config-file:
  not_a_server_error            no 5xx, and no dropped connection (a crash)
  status_code_conformance       every status is one the spec documents for that operation
  content_type_conformance      JSON answers are application/json, errors application/problem+json
  response_schema_conformance   bodies match the schemas (required, nullable, enums, formats)
  response_headers_conformance  documented headers are there (WWW-Authenticate on 401)
  positive_data_acceptance      a request the spec allows is not refused (no 400 or 422)
  negative_data_rejection       a body or parameter the spec forbids gets a 4xx, not a 2xx
  unsupported_method, allow_header_conformance
                                a method a path does not document gets 405 with an Allow header
  missing_required_header       leaving out a required header is refused
  ignored_auth                  no route answers without a valid bearer key
  use_after_free, ensure_resource_availability
                                what was created can be read back (only webhook endpoints are deleted)
Configured per operation in schemathesis.toml, and why:
  positive_data_acceptance also expects 422 for createInvoice (due_on before issued_on), createLink
      (expires_at in the past or over 1095 days ahead), recordPayment (received_at more than 5 minutes
      ahead), putPolicy (duplicate keys, offsets not increasing), putSmsTemplate/putEmailTemplate
      (template syntax, over 3 segments), acceptRequest (a schedule that does not add up or lie ahead)
      and putPlanSettings (reminder days not before break_after_days): rules between two fields, or
      with the clock or stored state, that a JSON Schema cannot state.
  ensure_resource_availability is off for getPlan: a new invoice has no plan, a documented 404.
Checks left out, and why:
  object_level_authorization    one business per instance: every key sees everything by design
                                (it would also need two identities as [auth.wfc] peers).
  max_response_time             timing belongs to scripts/bench-*, not to a CI conformance run.
The checks are chosen in the config file, not with `--checks all`: a check named on the command
line is switched on for every operation, over an operation's `enabled = false`, and `all` would also
turn on max_response_time.

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

ROOT = Path(__file__).resolve().parents[2]
# The checks, and what each operation is allowed beyond its spec (see the docstring).
CONFIG = Path(__file__).resolve().with_name("schemathesis.toml")


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
        st, "--config-file", str(CONFIG), "run", arguments.spec,
        "--url", arguments.base_url.rstrip("/"),
        "--header", f"Authorization: Bearer {arguments.api_key}",
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
