#!/usr/bin/env python3
"""Signs a Stripe webhook payload with PyPI stripe's own WebhookSignature, for Relance's webhook tests.

Reads {"secret": ..., "payload": ..., "timestamp": ...} as JSON on stdin; prints the Stripe-Signature header.
"""
import json
import sys

from stripe import WebhookSignature

request = json.load(sys.stdin)
print(WebhookSignature.generate_signature_header(request["payload"], request["secret"], request["timestamp"]))
