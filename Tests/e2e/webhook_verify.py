#!/usr/bin/env python3
"""Checks Relance's outgoing webhook signatures with PyPI stripe's own verifier: Relance signs as
Stripe does (t=…,v1=hex HMAC-SHA256 of "t.body"), so a receiver can use that code unchanged.

Reads a JSON list of {"secret", "payload", "header", "now"} on stdin; prints one line per item:
"ok", or "refused: <reason>".
"""
import json
import sys
import time
from unittest import mock

from stripe import WebhookSignature
from stripe import SignatureVerificationError

for item in json.load(sys.stdin):
    # The tests pin Relance's clock; the verifier checks the 300 s tolerance against the same instant.
    with mock.patch.object(time, "time", return_value=item["now"]):
        try:
            WebhookSignature.verify_header(item["payload"], item["header"], item["secret"], tolerance=300)
            print("ok")
        except SignatureVerificationError as error:
            print("refused:", error)
