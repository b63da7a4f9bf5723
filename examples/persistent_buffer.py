#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A persistent named buffer, used the way an administrator and the
programs that share it would use one.

The administrator makes it (here with the mmdma CLI; configfs and the
named= module parameter make the same thing), and any program then opens
it by path: dd from the shell, numpy.memmap from Python, neither needing
mmdma's header.  It outlives every program that used it until it is
deleted.

    python3 persistent_buffer.py [NAME]      (as root; mmdma on PATH)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

name = sys.argv[1] if len(sys.argv) > 1 else "example"
size = 1 << 20
node = "/dev/mmdma-named/" + name

subprocess.run(["mmdma", "create", name, str(size)], check=True)
try:
    pattern = (np.arange(4096) * 7 % 251).astype(np.uint8)
    with tempfile.NamedTemporaryFile(suffix=".bin") as src:
        src.write(pattern.tobytes())
        src.flush()
        # The shell's view: dd writes the first page by path.
        subprocess.run(["dd", "if=" + src.name, "of=" + node, "bs=4096"],
                       check=True, capture_output=True)
    # numpy's view of the same memory: what dd wrote, and a page of its own.
    m = np.memmap(node, dtype=np.uint8, mode="r+", shape=(size,))
    if not (m[:4096] == pattern).all():
        sys.exit("dd's bytes are not in the mapping")
    m[4096:8192] = 0x5A
    m.flush()
    del m
    # And dd reads back what numpy wrote.
    out = subprocess.run(["dd", "if=" + node, "bs=4096", "skip=1", "count=1"],
                         check=True, capture_output=True).stdout
    if out != b"\x5a" * 4096:
        sys.exit("dd does not read what numpy wrote")
finally:
    subprocess.run(["mmdma", "delete", name], check=True)
if os.path.exists(node):
    sys.exit(node + " outlived its deletion")
print(node + ": made, written by dd and numpy, read back, deleted: data checked")
