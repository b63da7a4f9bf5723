#!/bin/sh
# The Python module (python/mmdma) against include/uapi/linux/mmdma.h:
# struct sizes, field offsets, ioctl numbers and constants, as the C
# compiler sees the header (tests/host/python_abi.py).
exec python3 "$(dirname "$0")/python_abi.py"
