#!/usr/bin/env python3
"""Reference GSM 03.38 septet counts from PyPI's gsm0338 codec, for the Swift SMS module's cross-check.

Reads a JSON array of strings on stdin; writes a JSON array where each entry is the number of septets
the string takes in GSM-7 (an extension-table character counts two: escape plus code), or null when the
string cannot be encoded in GSM-7 at all.
"""
import json
import sys

import gsm0338  # noqa: F401  (registers the 'gsm03.38' codec)


def septets(text):
    try:
        return len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


print(json.dumps([septets(text) for text in json.load(sys.stdin)]))
