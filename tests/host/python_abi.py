#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The Python module's structs, ioctl numbers and constants against the C
header: read include/uapi/linux/mmdma.h, compile a program that prints
every struct's size, every field's offset and size and every constant's
value as the compiler sees them, and compare with python/mmdma.  A field
added to the header and not to Python (or the other way) fails here."""

import os
import re
import subprocess
import sys
import tempfile

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(top, "python"))
import mmdma  # noqa: E402

hdr = open(os.path.join(top, "include/uapi/linux/mmdma.h")).read()
structs = {}
for name, body in re.findall(r"^struct (mmdma_\w+) \{(.*?)^\};", hdr, re.S | re.M):
    structs[name] = re.findall(r"^\s*__[us](?:8|16|32|64)\s+(\w+)(?:\[\d+\])?;", body, re.M)
consts = []
for body in re.findall(r"^enum \w+ \{(.*?)^\};", hdr, re.S | re.M):
    consts += re.findall(r"^\s*(MMDMA_\w+)\s*=", body, re.M)
consts += [n for n in re.findall(r"^#define\s+(MMDMA_\w+)\s+\S", hdr, re.M)]

c = ["#include <stddef.h>", "#include <stdio.h>", "#include <linux/mmdma.h>", "int main(void) {"]
for s, fields in structs.items():
    c.append('printf("S %s %%zu\\n", sizeof(struct %s));' % (s, s))
    for f in fields:
        c.append('printf("F %s.%s %%zu %%zu\\n", offsetof(struct %s, %s), sizeof(((struct %s *)0)->%s));'
                 % (s, f, s, f, s, f))
for n in consts:
    c.append('printf("C %s %%llu\\n", (unsigned long long)(%s));' % (n, n))
offs = [0, 1, 255, 4095, 4096, 12345, 1 << 33, (1 << 64) - 1]
seeds = [0, 1, 0x5eed, 0xffffffff]
for s in seeds:
    for o in offs:
        c.append('printf("P %d %d %%u\\n", mmdma_pattern_byte(%dU, %dULL));' % (s, o, s, o))
c += ["return 0; }"]

failures = checks = 0


def check(ok, what):
    global failures, checks
    checks += 1
    if not ok:
        failures += 1
        print("not ok: " + what)


with tempfile.TemporaryDirectory() as d:
    src, exe = os.path.join(d, "abi.c"), os.path.join(d, "abi")
    open(src, "w").write("\n".join(c) + "\n")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-I" + os.path.join(top, "include/uapi"),
                    "-o", exe, src], check=True)
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout

py_structs = {cls.__name__: cls for cls in mmdma.STRUCTS}
check(set(py_structs) == set(structs),
      "structs: header has %s, Python %s" % (sorted(structs), sorted(py_structs)))
for line in out.splitlines():
    kind, name, *vals = line.split()
    if kind == "S":
        cls = py_structs.get(name)
        check(cls is not None and __import__("ctypes").sizeof(cls) == int(vals[0]),
              "sizeof(struct %s) = %s in C" % (name, vals[0]))
    elif kind == "F":
        s, f = name.split(".")
        cls = py_structs.get(s)
        fld = getattr(cls, f, None) if cls else None
        check(fld is not None and fld.offset == int(vals[0]) and fld.size == int(vals[1]),
              "%s: offset %s size %s in C, Python %s" % (name, vals[0], vals[1],
                                                       (fld.offset, fld.size) if fld else None))
    elif kind == "P":
        seed, off = int(name), int(vals[0])
        check(mmdma.pattern_byte(seed, off) == int(vals[1]),
              "pattern_byte(%#x, %#x) = %s in C, %d in Python"
              % (seed, off, vals[1], mmdma.pattern_byte(seed, off)))
    elif kind == "C":
        check(getattr(mmdma, name, None) == int(vals[0]),
              "%s = %s in C, %r in Python" % (name, vals[0], getattr(mmdma, name, None)))
for s, fields in structs.items():
    cls = py_structs.get(s)
    if cls:
        check([f for f, _ in cls._fields_] == fields,
              "%s fields: header %s, Python %s" % (s, fields, [f for f, _ in cls._fields_]))
print("python_abi: %d checks (%d structs, %d constants), %d failed"
      % (checks, len(structs), len(consts), failures))
sys.exit(failures != 0)
