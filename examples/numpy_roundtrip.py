#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fill a buffer from numpy, move it through a DMA device and back, check it.

    PYTHONPATH=python python3 examples/numpy_roundtrip.py [DEVICE]

DEVICE is mmdma-soft0 (the software engine, everywhere; the default) or
mmdma-edu0 (QEMU's edu device).  Needs the mmdma module loaded and the
python/mmdma module on the path.
"""
import sys

import numpy as np

import mmdma

dev_name = sys.argv[1] if len(sys.argv) > 1 else "mmdma-soft0"
n = 256 * 1024

with mmdma.Control() as ctl, mmdma.Device(dev_name) as dev:
    src = ctl.alloc(n)                      # kernel memory, mapped into numpy
    dst = ctl.alloc(n)
    a = src.numpy(np.float32)
    a[:] = np.sin(np.arange(a.size, dtype=np.float32) / 100)
    t = dev.roundtrip(src, dst)             # buffer -> device memory -> buffer
    b = dst.numpy(np.float32)
    ok = np.array_equal(a, b)
    print("%d bytes through %s and back in %.3f ms: %s"
          % (n, dev_name, t["nsecs"] / 1e6, "data checked" if ok else "DATA DIFFERS"))
    del a, b
sys.exit(0 if ok else 1)
