#!/usr/bin/env python3
"""Reads Prometheus text exposition on stdin with PyPI prometheus_client's own parser and prints, as
JSON, each metric family's type and its samples ({name, labels, value}). A text the parser refuses is an
exit status 1 with the parser's message."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    families = {
        family.name: {
            "type": family.type,
            "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
        }
        for family in text_string_to_metric_families(sys.stdin.read())
    }
except Exception as error:  # the parser's own verdict is the point
    print(f"not Prometheus text: {error}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(families))
