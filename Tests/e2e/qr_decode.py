#!/usr/bin/env python3
"""Decodes a QR code with zxing-cpp (PyPI), for Relance's tests of its own encoder.

Reads the module matrix on stdin, one line per row, '1' for dark and '0' for light, quiet zone included;
prints the decoded text exactly (UTF-8), or exits 1 when nothing decodes.
"""
import sys

import numpy
import zxingcpp

rows = [line.strip() for line in sys.stdin if line.strip()]
scale = 6
image = numpy.array(
    [[0 if c == "1" else 255 for c in row for _ in range(scale)] for row in rows for _ in range(scale)],
    dtype=numpy.uint8,
)
results = zxingcpp.read_barcodes(image)
if not results:
    sys.exit(1)
sys.stdout.buffer.write(results[0].text.encode("utf-8"))
