#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The Python module (python/mmdma) in the test VM: buffers, memoryviews,
numpy arrays, dma-buf, transfers, attachments and syncs, against the
driver.  Prints KTAP; a case fails on any exception or failed check."""

import errno
import os
import sys
import traceback

import numpy as np

import mmdma

PAGE = 4096
cases = []


def case(fn):
    cases.append(fn)
    return fn


def expect_oserror(err, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except OSError as e:
        assert e.errno == err, "%s: errno %d (%s), expected %d (%s)" % (
            fn.__name__, e.errno, os.strerror(e.errno), err, os.strerror(err))
        return
    raise AssertionError("%s: succeeded, expected errno %d" % (fn.__name__, err))


def promised(what):
    return what in os.environ.get("MMDMA_PROMISE", "").split()


@case
def bad_arguments_refused():
    with mmdma.Control() as ctl:
        try:
            ctl.alloc(PAGE, kind="teleport")
            raise AssertionError("an unknown kind was taken")
        except ValueError as e:
            assert "unknown memory kind 'teleport'" in str(e), str(e)
        expect_oserror(errno.EINVAL, ctl.alloc, 0)
        expect_oserror(errno.EINVAL, ctl.alloc, PAGE, kind="vmalloc", method="remap")
        expect_oserror(errno.E2BIG, ctl.alloc, ctl.info()["max_buf_size"] + 1)
    expect_oserror(errno.ENOTTY, mmdma.Device, "mmdma")
    with mmdma.Control() as ctl, mmdma.Device("mmdma-soft0") as dev:
        src, dst = ctl.alloc(8 * PAGE), ctl.alloc(8 * PAGE)
        expect_oserror(errno.EINVAL, dev.roundtrip, src, dst, length=257, dma="pool")
        expect_oserror(errno.EINVAL, dev.roundtrip, src, dst, dma="single")


@case
def info_matches_abi():
    with mmdma.Control() as ctl:
        i = ctl.info()
        assert i["abi_version"] == mmdma.ABI_VERSION, i
        assert i["page_size"] == PAGE, i
        assert i["features"] & mmdma.MMDMA_FEAT_DMABUF, i


@case
def memoryview_writable_and_shared():
    with mmdma.Control() as ctl:
        buf = ctl.alloc(3 * PAGE + 1)
        assert buf.size == 4 * PAGE, buf.size
        mv = buf.memoryview()
        assert not mv.readonly and len(mv) == 4 * PAGE
        mv[PAGE - 2:PAGE + 3] = b"hello"          # across a page boundary
        assert os.pread(buf.fd, 5, PAGE - 2) == b"hello"
        os.pwrite(buf.fd, b"world", 3 * PAGE)
        assert bytes(mv[3 * PAGE:3 * PAGE + 5]) == b"world"
        info = buf.info()
        assert info["live_maps"] == 1 and info["faults"] >= 2, info
        mv.release()
        buf.close()


@case
def numpy_array_over_buffer():
    with mmdma.Control() as ctl:
        for kind, method in (("pages", "fault"), ("contig", "remap"), ("vmalloc", "insert")):
            buf = ctl.alloc(16 * PAGE, kind=kind, method=method)
            a = buf.numpy(np.uint32)
            assert a.flags.writeable and a.size == 16 * PAGE // 4
            a[:] = np.arange(a.size, dtype=np.uint32) * 3
            assert os.pread(buf.fd, 16 * PAGE, 0) == a.tobytes(), kind
            buf.fill(0x5eed)                       # the kernel writes, numpy sees
            b = buf.numpy()
            for off in (0, 1, PAGE, 16 * PAGE - 1):
                assert b[off] == mmdma.pattern_byte(0x5eed, off), (kind, off)
            del a, b
            buf.close()


def roundtrip(devname, n):
    with mmdma.Control() as ctl, mmdma.Device(devname) as dev:
        src, dst = ctl.alloc(n), ctl.alloc(n)
        a = src.numpy(np.float64)
        a[:] = np.linspace(-1.0, 1.0, a.size)
        out = dev.roundtrip(src, dst)
        assert out["nsecs"] > 0, out
        assert np.array_equal(dst.numpy(np.float64), a)
        # And one way at a time, at an offset of device memory (edu has
        # 4095 bytes of it).
        k = min(PAGE, dev.info()["mem_size"]) - 16
        dst.numpy()[:] = 0
        dev.to_device(src, length=k, dev_offset=16)
        dev.from_device(dst, length=k, dev_offset=16)
        assert dst.numpy()[:k].tobytes() == src.numpy()[:k].tobytes()
        assert not dst.numpy()[k:].any()


@case
def roundtrip_soft_numpy():
    roundtrip("mmdma-soft0", 64 * PAGE)


@case
def roundtrip_edu_numpy():
    if not os.path.exists("/dev/mmdma-edu0"):
        if promised("edu"):
            raise AssertionError("the profile promises edu, /dev/mmdma-edu0 is missing")
        return "SKIP no edu device"
    roundtrip("mmdma-edu0", 4 * PAGE)


@case
def dmabuf_export_map_and_import():
    with mmdma.Control() as ctl, mmdma.Device("mmdma-soft0") as dev:
        buf, back = ctl.alloc(8 * PAGE), ctl.alloc(8 * PAGE)
        d = buf.export()
        buf.close()                                # the dma-buf holds the memory
        a = d.numpy(np.uint16)
        d.begin()
        a[:] = np.arange(a.size, dtype=np.uint16)
        d.end()
        dev.roundtrip(d, back)                     # the device imports it
        assert np.array_equal(back.numpy(np.uint16), a)
        ro = ctl.alloc(PAGE).export(writable=False)
        expect_oserror(errno.EBADF, dev.roundtrip, back, ro, length=PAGE)


@case
def attach_sync_and_attached_transfer():
    with mmdma.Control() as ctl, mmdma.Device("mmdma-soft0") as dev:
        src, dst = ctl.alloc(4 * PAGE), ctl.alloc(4 * PAGE)
        src.attach(dev, "to_device")
        dst.attach(dev, "from_device")
        expect_oserror(errno.EBUSY, src.attach, dev, "to_device")
        src.numpy()[:] = 7
        src.sync(dev, for_cpu=False, direction="to_device")
        dst.sync(dev, for_cpu=False, direction="from_device")
        dev.roundtrip(src, dst, attached=True)
        dst.sync(dev, for_cpu=True, direction="from_device")
        assert (dst.numpy() == 7).all()
        src.detach(dev)
        dst.detach(dev)
        expect_oserror(errno.ENOENT, src.detach, dev)


@case
def coherent_memory_of_a_device():
    with mmdma.Control() as ctl, mmdma.Device("mmdma-soft0") as dev:
        buf = ctl.alloc(4 * PAGE, kind="coherent", device=dev)
        assert buf.info()["kind"] == mmdma.MMDMA_MEM_COHERENT
        a = buf.numpy(np.uint8)
        a[:] = 0x5a
        dst = ctl.alloc(4 * PAGE)
        dev.roundtrip(buf, dst)
        assert (dst.numpy() == 0x5a).all()


def pagemap_pfn(addr):
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(addr // PAGE * 8)
        entry = int.from_bytes(f.read(8), "little")
    assert entry >> 63, "page of 0x%x not present in pagemap" % addr
    return entry & ((1 << 55) - 1)


@case
def explain_buffer_address():
    with mmdma.Control() as ctl:
        buf = ctl.alloc(4 * PAGE)
        a = buf.numpy(np.uint8)
        a[PAGE + 5] = 1                      # fault page 1 in
        addr = a.ctypes.data + PAGE + 5
        e = ctl.explain(addr)
        want = mmdma.MMDMA_EXPLAIN_PRESENT | mmdma.MMDMA_EXPLAIN_PAGE | mmdma.MMDMA_EXPLAIN_BUF
        assert e["valid"] & want == want, e
        assert e["vm_start"] == a.ctypes.data and e["vm_end"] == a.ctypes.data + 4 * PAGE, e
        assert e["pfn"] == pagemap_pfn(addr), (e["pfn"], pagemap_pfn(addr))
        assert e["phys"] == e["pfn"] * PAGE + 5, e
        assert e["buf_offset"] == PAGE + 5, e
        assert e["leaf"] == mmdma.MMDMA_LEVEL_PTE, e
        expect_oserror(errno.ENOENT, ctl.explain, 0x1000)


CFS = "/sys/kernel/config/mmdma"


@case
def named_buffer_by_name_as_numpy():
    expect_oserror(errno.ENOENT, mmdma.Named, "pynosuch")
    if not os.path.isdir(CFS):
        return "SKIP the kernel has no configfs (CONFIG_CONFIGFS_FS): no named buffer to make"
    d = os.path.join(CFS, "pyn")
    os.mkdir(d)
    try:
        for attr, v in (("size", "10000"), ("kind", "vmalloc"), ("enable", "1")):
            with open(os.path.join(d, attr), "w") as f:
                f.write(v)
        a = mmdma.memmap("pyn", np.uint32)
        assert a.size == 12288 // 4, a.size
        a[:] = np.arange(a.size, dtype=np.uint32)
        a.flush()
        with mmdma.Named("pyn") as nb:
            assert nb.size == 12288 and nb.info()["kind"] == mmdma.MMDMA_MEM_VMALLOC
            assert np.array_equal(nb.numpy(np.uint32), np.arange(a.size, dtype=np.uint32))
        with mmdma.Named("pyn", writable=False) as ro:
            expect_oserror(errno.EBADF, ro.fill, 1)
            assert ro.numpy(np.uint32)[5] == 5
        del a
    finally:
        os.rmdir(d)
    expect_oserror(errno.ENOENT, mmdma.Named, "pyn")


def main():
    sel = sys.argv[1] if len(sys.argv) > 1 else ""
    todo = [c for c in cases if sel in c.__name__]
    print("KTAP version 1")
    print("1..%d" % len(todo))
    failed = 0
    for n, c in enumerate(todo, 1):
        sys.stdout.flush()
        try:
            r = c()
        except Exception:
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print("not ok %d %s" % (n, c.__name__))
            failed += 1
            continue
        if isinstance(r, str) and r.startswith("SKIP"):
            print("ok %d %s # %s" % (n, c.__name__, r))
        else:
            print("ok %d %s" % (n, c.__name__))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
