#!/usr/bin/env python3
"""Signs a Twilio callback with PyPI twilio's own RequestValidator, for Relance's webhook tests.

Reads {"token": ..., "url": ..., "params": {name: value}} as JSON on stdin; prints the X-Twilio-Signature.
"""
import json
import sys

from twilio.request_validator import RequestValidator

request = json.load(sys.stdin)
print(RequestValidator(request["token"]).compute_signature(request["url"], request["params"]))
