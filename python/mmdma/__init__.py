# SPDX-License-Identifier: LGPL-2.1-or-later
"""mmdma from Python: buffers of kernel memory, dma-bufs, DMA devices.

Pure Python over ``fcntl.ioctl``, ``mmap`` and ``ctypes``; the structs
below are include/uapi/linux/mmdma.h (ABI version 1) field for field, and
a host test (tests/host/test_python_abi.sh) compiles the header and checks
every size, offset, ioctl number and constant against them.

    import mmdma, numpy as np
    with mmdma.Control() as ctl, mmdma.Device("mmdma-soft0") as dev:
        src = ctl.alloc(1 << 20)
        dst = ctl.alloc(1 << 20)
        a = src.numpy(np.uint32)          # a writable array over the buffer
        a[:] = np.arange(a.size, dtype=np.uint32)
        dev.roundtrip(src, dst)           # to the device's memory and back
        assert (dst.numpy(np.uint32) == a).all()

Persistent named buffers, which the administrator creates (``mmdma
create NAME SIZE``), open by name::

    a = mmdma.memmap("frames", np.uint16)   # numpy.memmap of the node
    with mmdma.Named("frames") as nb:       # or a Buffer with its ioctls
        nb.fill(7)

Every failure raises OSError with the errno the driver returned (see
docs/abi.md for what each means).  numpy is imported only by
Buffer.numpy() and memmap().
"""

import ctypes
import errno
import fcntl
import mmap
import os
import sys

__all__ = ["Control", "Buffer", "Named", "memmap", "Device", "DmaBuf", "ABI_VERSION"]

# Where udev/devtmpfs put the nodes of named buffers.
NAMED_DIR = "/dev/mmdma-named"

ABI_VERSION = MMDMA_ABI_VERSION = 3

u8, u32, s32, u64 = ctypes.c_uint8, ctypes.c_uint32, ctypes.c_int32, ctypes.c_uint64

# enum mmdma_mem_kind
MMDMA_MEM_PAGES, MMDMA_MEM_CONTIG, MMDMA_MEM_VMALLOC = 1, 2, 3
MMDMA_MEM_COHERENT, MMDMA_MEM_RESERVED = 4, 5
# enum mmdma_map_method
MMDMA_MAP_REMAP, MMDMA_MAP_FAULT, MMDMA_MAP_INSERT, MMDMA_MAP_HUGE = 1, 2, 3, 4
# enum mmdma_cache_mode
MMDMA_CACHE_DEFAULT, MMDMA_CACHE_CACHED, MMDMA_CACHE_WC, MMDMA_CACHE_UC = 0, 1, 2, 3
# MMDMA_IOC_INFO feature bits
MMDMA_FEAT_MEM_PAGES = 1 << 0
MMDMA_FEAT_MEM_CONTIG = 1 << 1
MMDMA_FEAT_MEM_VMALLOC = 1 << 2
MMDMA_FEAT_MEM_COHERENT = 1 << 3
MMDMA_FEAT_MEM_RESERVED = 1 << 4
MMDMA_FEAT_MAP_REMAP = 1 << 8
MMDMA_FEAT_MAP_FAULT = 1 << 9
MMDMA_FEAT_MAP_INSERT = 1 << 10
MMDMA_FEAT_MAP_HUGE = 1 << 11
MMDMA_FEAT_ATTACH = 1 << 16
MMDMA_FEAT_DMABUF = 1 << 17
MMDMA_FEAT_BUF_SYSFS = 1 << 18
# struct mmdma_alloc.flags
MMDMA_ALLOC_CLOEXEC = 1 << 0
MMDMA_ALLOC_DEVICE = 1 << 1
MMDMA_ALLOC_VALID_FLAGS = MMDMA_ALLOC_CLOEXEC | MMDMA_ALLOC_DEVICE
# enum mmdma_dev_kind, struct mmdma_dev_info.flags
MMDMA_DEV_EDU, MMDMA_DEV_SOFT, MMDMA_DEV_ISA, MMDMA_DEV_PCI = 1, 2, 3, 4
MMDMA_DEVF_IOMMU = 1 << 0
MMDMA_DEVF_SWIOTLB = 1 << 1
MMDMA_DEVF_MSI = 1 << 2
MMDMA_DEVF_INTX = 1 << 3
MMDMA_DEVF_LIMITED = 1 << 4
# enum mmdma_xfer_op, enum mmdma_dma_method
MMDMA_XFER_TO_DEV, MMDMA_XFER_FROM_DEV, MMDMA_XFER_ROUNDTRIP = 1, 2, 3
MMDMA_DMA_AUTO, MMDMA_DMA_SG, MMDMA_DMA_PAGE, MMDMA_DMA_SINGLE = 0, 1, 2, 3
MMDMA_DMA_COHERENT, MMDMA_DMA_POOL, MMDMA_DMA_STREAM = 4, 5, 6
MMDMA_POOL_MAX = 256
MMDMA_XFER_ATTACHED = 1 << 8
MMDMA_XFER_VALID_FLAGS = MMDMA_XFER_ATTACHED
# enum mmdma_dma_dir, struct mmdma_buf_sync.flags
MMDMA_DIR_TO_DEVICE, MMDMA_DIR_FROM_DEVICE, MMDMA_DIR_BIDIRECTIONAL = 1, 2, 3
MMDMA_SYNC_FOR_CPU = 1 << 0
MMDMA_SYNC_FOR_DEVICE = 1 << 1
MMDMA_SYNC_VALID_FLAGS = MMDMA_SYNC_FOR_CPU | MMDMA_SYNC_FOR_DEVICE
# MMDMA_IOC_EXPLAIN: flags in, valid bits out, page-table levels, page flags
MMDMA_FEAT_EXPLAIN = 1 << 24
MMDMA_EXPLAIN_DEVICE = 1 << 0
MMDMA_EXPLAIN_VALID_FLAGS = MMDMA_EXPLAIN_DEVICE
(MMDMA_EXPLAIN_PRESENT, MMDMA_EXPLAIN_SWAP, MMDMA_EXPLAIN_PFNMAP,
 MMDMA_EXPLAIN_PAGE, MMDMA_EXPLAIN_HIGHMEM, MMDMA_EXPLAIN_LOGICAL,
 MMDMA_EXPLAIN_BUF, MMDMA_EXPLAIN_KVIRT, MMDMA_EXPLAIN_KVIRT_VMALLOC,
 MMDMA_EXPLAIN_BUS, MMDMA_EXPLAIN_BUS_IOMMU, MMDMA_EXPLAIN_BUS_HELD,
 MMDMA_EXPLAIN_BUS_COHERENT, MMDMA_EXPLAIN_BUS_ATTACHED,
 MMDMA_EXPLAIN_BUS_UNREACHABLE, MMDMA_EXPLAIN_BUS_BOUNCED) = (1 << i for i in range(16))
MMDMA_LEVEL_NONE, MMDMA_LEVEL_PTE, MMDMA_LEVEL_PMD, MMDMA_LEVEL_PUD = 0, 1, 2, 3
(MMDMA_PG_LOCKED, MMDMA_PG_REFERENCED, MMDMA_PG_UPTODATE, MMDMA_PG_DIRTY,
 MMDMA_PG_LRU, MMDMA_PG_ACTIVE, MMDMA_PG_SLAB, MMDMA_PG_RESERVED,
 MMDMA_PG_SWAPBACKED, MMDMA_PG_ANON, MMDMA_PG_LARGE, MMDMA_PG_UNEVICTABLE,
 MMDMA_PG_WRITEBACK) = (1 << i for i in range(13))
MMDMA_IOC_MAGIC = 0xD3


class _Struct(ctypes.Structure):
    def to_dict(self):
        out = {}
        for name, _ in self._fields_:
            if name.startswith("__pad") or name == "reserved":
                continue
            v = getattr(self, name)
            if name in ("name", "driver_version", "file_name", "zone"):
                v = bytes(v).split(b"\0", 1)[0].decode()
            out[name] = v
        return out


class mmdma_info(_Struct):
    _fields_ = [("abi_version", u32), ("page_size", u32), ("features", u64),
                ("max_buf_size", u64), ("max_contig_size", u64), ("max_total", u64),
                ("total", u64), ("nr_buffers", u32), ("__pad", u32),
                ("reserved", u64 * 4), ("driver_version", u8 * 32)]


# The size of struct mmdma_info in ABI 1 (before driver_version).
MMDMA_INFO_SIZE_VER1 = 88


class mmdma_alloc(_Struct):
    _fields_ = [("size", u64), ("kind", u32), ("method", u32), ("cache", u32),
                ("flags", u32), ("device", u32), ("fd", s32), ("reserved", u64 * 4)]


class mmdma_buf_info(_Struct):
    _fields_ = [("size", u64), ("kind", u32), ("method", u32), ("cache", u32),
                ("id", u32), ("live_maps", u32), ("__pad", u32), ("mmaps", u64),
                ("faults", u64), ("inserted", u64), ("huge_faults", u64),
                ("blocks", u64), ("syncs_skipped", u64), ("reserved", u64 * 1)]


class mmdma_buf_fill(_Struct):
    _fields_ = [("offset", u64), ("length", u64), ("seed", u32), ("flags", u32),
                ("reserved", u64 * 2)]


class mmdma_buf_phys(_Struct):
    _fields_ = [("offset", u64), ("count", u64), ("addrs", u64), ("reserved", u64 * 2)]


class mmdma_dev_info(_Struct):
    _fields_ = [("id", u32), ("kind", u32), ("name", u8 * 32), ("mem_size", u64),
                ("max_op", u64), ("dma_mask", u64), ("flags", u32), ("__pad", u32),
                ("transfers", u64), ("bytes", u64), ("ops", u64), ("bounces", u64),
                ("bounce_bytes", u64), ("errors", u64), ("timeouts", u64),
                ("reserved", u64 * 4)]


class mmdma_xfer(_Struct):
    _fields_ = [("op", u32), ("dma", u32), ("flags", u32), ("src_fd", s32),
                ("dst_fd", s32), ("__pad", u32), ("src_offset", u64),
                ("dst_offset", u64), ("dev_offset", u64), ("length", u64),
                ("ops", u64), ("bounced", u64), ("bus_addr", u64), ("phys_addr", u64),
                ("nsecs", u64), ("reserved", u64 * 4)]


class mmdma_buf_attach(_Struct):
    _fields_ = [("dev_fd", s32), ("flags", u32), ("dir", u32), ("nr_segs", u32),
                ("reserved", u64 * 4)]


class mmdma_buf_detach(_Struct):
    _fields_ = [("dev_fd", s32), ("flags", u32), ("reserved", u64 * 2)]


class mmdma_dma_seg(_Struct):
    _fields_ = [("dma_addr", u64), ("len", u64)]


class mmdma_buf_dma_addrs(_Struct):
    _fields_ = [("dev_fd", s32), ("flags", u32), ("first", u32), ("count", u32),
                ("segs", u64), ("nr_segs", u32), ("copied", u32), ("reserved", u64 * 2)]


class mmdma_buf_sync(_Struct):
    _fields_ = [("dev_fd", s32), ("flags", u32), ("offset", u64), ("length", u64),
                ("dir", u32), ("__pad", u32), ("reserved", u64 * 2)]


class mmdma_buf_export(_Struct):
    _fields_ = [("fd_flags", u32), ("fd", s32), ("reserved", u64 * 2)]


class dma_buf_sync(_Struct):
    _fields_ = [("flags", u64)]


class mmdma_explain(_Struct):
    _fields_ = [("addr", u64), ("pid", s32), ("dev_fd", s32), ("flags", u32),
                ("valid", u32), ("vm_start", u64), ("vm_end", u64),
                ("vm_flags", u64), ("vm_pgoff", u64), ("file_ino", u64),
                ("file_name", u8 * 32), ("pgd", u64), ("p4d", u64), ("pud", u64),
                ("pmd", u64), ("pte", u64), ("levels", u32), ("leaf", u32),
                ("pfn", u64), ("phys", u64), ("page_raw_flags", u64),
                ("page_flags", u32), ("refcount", s32), ("mapcount", s32),
                ("folio_order", u32), ("node", s32), ("zone", u8 * 12),
                ("kernel_logical", u64), ("kernel_virtual", u64),
                ("bus_addr", u64), ("buf_id", u32), ("__pad", u32),
                ("buf_offset", u64), ("reserved", u64 * 2)]


STRUCTS = [mmdma_info, mmdma_alloc, mmdma_buf_info, mmdma_buf_fill, mmdma_buf_phys,
           mmdma_dev_info, mmdma_xfer, mmdma_buf_attach, mmdma_buf_detach,
           mmdma_dma_seg, mmdma_buf_dma_addrs, mmdma_buf_sync, mmdma_buf_export,
           mmdma_explain]


def _IOC(direction, nr, struct, magic=MMDMA_IOC_MAGIC):
    # asm-generic/ioctl.h: dir:2 | size:14 | type:8 | nr:8 (x86, arm64, ...)
    return (direction << 30) | (ctypes.sizeof(struct) << 16) | (magic << 8) | nr


_W, _R = 1, 2
MMDMA_IOC_INFO = _IOC(_R, 0x00, mmdma_info)
MMDMA_IOC_ALLOC = _IOC(_R | _W, 0x01, mmdma_alloc)
MMDMA_IOC_EXPLAIN = _IOC(_R | _W, 0x08, mmdma_explain)
MMDMA_BUF_INFO = _IOC(_R, 0x40, mmdma_buf_info)
MMDMA_BUF_FILL = _IOC(_W, 0x41, mmdma_buf_fill)
MMDMA_BUF_PHYS = _IOC(_W, 0x42, mmdma_buf_phys)
MMDMA_BUF_ATTACH = _IOC(_R | _W, 0x50, mmdma_buf_attach)
MMDMA_BUF_DETACH = _IOC(_W, 0x51, mmdma_buf_detach)
MMDMA_BUF_DMA_ADDRS = _IOC(_R | _W, 0x52, mmdma_buf_dma_addrs)
MMDMA_BUF_SYNC = _IOC(_W, 0x53, mmdma_buf_sync)
MMDMA_BUF_EXPORT = _IOC(_R | _W, 0x54, mmdma_buf_export)
MMDMA_DEV_INFO = _IOC(_R, 0x80, mmdma_dev_info)
MMDMA_DEV_XFER = _IOC(_R | _W, 0x81, mmdma_xfer)
MMDMA_DEV_IRQ_EVENTFD = _IOC(_W, 0x82, ctypes.c_int32)
# linux/dma-buf.h
DMA_BUF_IOCTL_SYNC = _IOC(_W, 0, dma_buf_sync, magic=ord("b"))
DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE = 1, 2
DMA_BUF_SYNC_START, DMA_BUF_SYNC_END = 0, 4

KINDS = {"pages": MMDMA_MEM_PAGES, "contig": MMDMA_MEM_CONTIG,
         "vmalloc": MMDMA_MEM_VMALLOC, "coherent": MMDMA_MEM_COHERENT,
         "reserved": MMDMA_MEM_RESERVED}
METHODS = {"remap": MMDMA_MAP_REMAP, "fault": MMDMA_MAP_FAULT,
           "insert": MMDMA_MAP_INSERT, "huge": MMDMA_MAP_HUGE}
CACHES = {"default": MMDMA_CACHE_DEFAULT, "cached": MMDMA_CACHE_CACHED,
          "wc": MMDMA_CACHE_WC, "uc": MMDMA_CACHE_UC}
DMA_METHODS = {"auto": MMDMA_DMA_AUTO, "sg": MMDMA_DMA_SG, "page": MMDMA_DMA_PAGE,
               "single": MMDMA_DMA_SINGLE, "coherent": MMDMA_DMA_COHERENT,
               "pool": MMDMA_DMA_POOL, "stream": MMDMA_DMA_STREAM}
DIRS = {"to_device": MMDMA_DIR_TO_DEVICE, "from_device": MMDMA_DIR_FROM_DEVICE,
        "bidirectional": MMDMA_DIR_BIDIRECTIONAL}


def _enum(table, value, what):
    if isinstance(value, int):
        return value
    try:
        return table[value]
    except KeyError:
        raise ValueError("unknown %s %r (one of %s)" % (what, value, ", ".join(table)))


def _ioctl(fd, request, arg):
    # mutate=True: the kernel's (out) fields land in @arg.
    fcntl.ioctl(fd, request, arg, True)
    return arg


def pattern_byte(seed, off):
    """The byte MMDMA_BUF_FILL writes at buffer offset @off (mmdma_pattern_byte())."""
    m = (1 << 64) - 1
    x = (off ^ (((off >> 12) * 0x9e3779b1) & m) ^ seed) & m
    return (x ^ (x >> 8) ^ (x >> 19) ^ (seed >> 8)) & 0xff


class _Fd:
    """An owned file descriptor, closed by close() or the with block."""

    fd = -1

    def fileno(self):
        return self.fd

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Control(_Fd):
    """The control node (/dev/mmdma, or $MMDMA_DEV): hands out buffers."""

    def __init__(self, path=None):
        self.path = path or os.environ.get("MMDMA_DEV") or "/dev/mmdma"
        self.fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)

    def info(self):
        """MMDMA_IOC_INFO as a dict: abi_version, features, the limits, use."""
        return _ioctl(self.fd, MMDMA_IOC_INFO, mmdma_info()).to_dict()

    def explain(self, addr, pid=0, device=None):
        """MMDMA_IOC_EXPLAIN of user virtual address @addr (of process @pid,
        0: this one) as a dict: VMA, page-table entries, PFN and physical
        address, struct page, kernel addresses, and with a Device its bus
        address.  Needs CAP_SYS_ADMIN (a bus address also CAP_SYS_RAWIO)."""
        e = mmdma_explain(addr=addr, pid=pid)  # dev_fd 0 unless a device: the ABI says so
        if device is not None:
            e.dev_fd = device.fd
            e.flags = MMDMA_EXPLAIN_DEVICE
        return _ioctl(self.fd, MMDMA_IOC_EXPLAIN, e).to_dict()

    def alloc(self, size, kind="pages", method=None, cache="default", device=None):
        """A new Buffer of @size bytes (rounded up to pages).

        @kind: pages, contig, vmalloc, coherent (memory of @device, a
        Device) or reserved.  @method: remap, fault, insert or huge; the
        default is remap for coherent and reserved memory, fault otherwise.
        E2BIG past max_buf_size or the contiguous cap, ENOMEM past
        max_total, EINVAL for a kind/method pair that cannot work.
        """
        kind = _enum(KINDS, kind, "memory kind")
        if method is None:
            method = "remap" if kind in (MMDMA_MEM_COHERENT, MMDMA_MEM_RESERVED) else "fault"
        req = mmdma_alloc(size=size, kind=kind, method=_enum(METHODS, method, "method"),
                          cache=_enum(CACHES, cache, "cache mode"),
                          flags=MMDMA_ALLOC_CLOEXEC)
        if device is not None:
            req.flags |= MMDMA_ALLOC_DEVICE
            req.device = device.fileno()
        _ioctl(self.fd, MMDMA_IOC_ALLOC, req)
        return Buffer(req.fd)


class _Mappable(_Fd):
    size = 0
    _map = None

    def map(self, writable=True):
        """The whole buffer mapped (shared) as an mmap object, made once."""
        if self._map is None:
            prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
            self._map = mmap.mmap(self.fd, self.size, mmap.MAP_SHARED, prot)
        return self._map

    def memoryview(self):
        """A memoryview of the mapping: writable, zero-copy."""
        return memoryview(self.map())

    def numpy(self, dtype="uint8", shape=None):
        """A numpy array over the mapping (writable, zero-copy)."""
        import numpy
        a = numpy.frombuffer(self.map(), dtype=dtype)
        return a if shape is None else a.reshape(shape)

    def close(self):
        # An array or memoryview still using the mapping keeps it (BufferError):
        # the memory then lives until they go, which is the driver's rule too.
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:
                pass
            self._map = None
        super().close()


class Buffer(_Mappable):
    """A buffer fd: map it, fill it, export it, attach it to a device."""

    def __init__(self, fd):
        self.fd = fd
        i = self.info()
        self.size, self.id = i["size"], i["id"]

    def info(self):
        """MMDMA_BUF_INFO as a dict: size, kind, method, live_maps, counters."""
        return _ioctl(self.fd, MMDMA_BUF_INFO, mmdma_buf_info()).to_dict()

    def fill(self, seed, offset=0, length=None):
        """The kernel writes pattern_byte(seed, o) at every offset o of the range."""
        length = self.size - offset if length is None else length
        _ioctl(self.fd, MMDMA_BUF_FILL, mmdma_buf_fill(offset=offset, length=length, seed=seed))

    def export(self, writable=True):
        """A DmaBuf of this buffer's memory (MMDMA_BUF_EXPORT)."""
        req = mmdma_buf_export(fd_flags=os.O_CLOEXEC | (os.O_RDWR if writable else 0))
        _ioctl(self.fd, MMDMA_BUF_EXPORT, req)
        return DmaBuf(req.fd, self.size)

    def attach(self, dev, direction="bidirectional"):
        """Map the buffer for @dev until detach(); returns the bus segments
        (0 without CAP_SYS_RAWIO)."""
        req = mmdma_buf_attach(dev_fd=dev.fileno(), dir=_enum(DIRS, direction, "direction"))
        return _ioctl(self.fd, MMDMA_BUF_ATTACH, req).nr_segs

    def detach(self, dev):
        _ioctl(self.fd, MMDMA_BUF_DETACH, mmdma_buf_detach(dev_fd=dev.fileno()))

    def sync(self, dev, for_cpu, offset=0, length=None, direction="bidirectional"):
        """Hand [offset, offset + length) of an attachment to the CPU
        (@for_cpu) or to the device, as dma_sync_*() does."""
        length = self.size - offset if length is None else length
        req = mmdma_buf_sync(dev_fd=dev.fileno(), offset=offset, length=length,
                             flags=MMDMA_SYNC_FOR_CPU if for_cpu else MMDMA_SYNC_FOR_DEVICE,
                             dir=_enum(DIRS, direction, "direction"))
        _ioctl(self.fd, MMDMA_BUF_SYNC, req)


def _named_path(name):
    if not name or "/" in name or name.startswith(".") or len(name) > 32:
        raise ValueError("bad named buffer name %r" % (name,))
    return os.path.join(NAMED_DIR, name)


class Named(Buffer):
    """A persistent named buffer, opened by name (/dev/mmdma-named/NAME).

    A Buffer: map(), numpy(), fill(), attach(), sync(), export() work as on
    a buffer fd, within the rights of the open: writable=False gives a
    read-only open (no writable mapping, EBADF for fill).  Once the buffer
    is deleted every call raises OSError ENODEV and its mappings are gone
    (touching them is SIGBUS)."""

    def __init__(self, name, writable=True):
        self.name = name
        self.path = _named_path(name)
        self.writable = writable
        fd = os.open(self.path, (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC)
        try:
            super().__init__(fd)
        except Exception:
            os.close(fd)
            raise

    def map(self, writable=None):
        return super().map(self.writable if writable is None else writable)


def memmap(name, dtype="uint8", mode="r+", shape=None):
    """numpy.memmap of named buffer @name: the node is a file of fixed size
    (lseek SEEK_END gives it), shared mappings only, so mode "r+" or "r"
    ("c", a private copy, is refused with EINVAL)."""
    import numpy
    return numpy.memmap(_named_path(name), dtype=dtype, mode=mode, shape=shape)


class DmaBuf(_Mappable):
    """A dma-buf fd: map it; bracket CPU access with begin()/end()."""

    def __init__(self, fd, size):
        self.fd, self.size = fd, size

    def _sync(self, flags):
        _ioctl(self.fd, DMA_BUF_IOCTL_SYNC, dma_buf_sync(flags=flags))

    def begin(self, read=True, write=True):
        self._sync(DMA_BUF_SYNC_START | (DMA_BUF_SYNC_READ if read else 0) |
                   (DMA_BUF_SYNC_WRITE if write else 0))

    def end(self, read=True, write=True):
        self._sync(DMA_BUF_SYNC_END | (DMA_BUF_SYNC_READ if read else 0) |
                   (DMA_BUF_SYNC_WRITE if write else 0))


class Device(_Fd):
    """A DMA device node: "mmdma-soft0", "mmdma-edu0" or a path."""

    def __init__(self, name="mmdma-soft0"):
        self.path = name if "/" in name else "/dev/" + name
        self.fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        try:
            self.info()
        except OSError as e:
            os.close(self.fd)
            self.fd = -1
            if e.errno == errno.ENOTTY:
                raise OSError(errno.ENOTTY, "not a DMA device node of mmdma", self.path)
            raise

    def info(self):
        """MMDMA_DEV_INFO as a dict: name, mem_size, max_op, dma_mask, counters."""
        return _ioctl(self.fd, MMDMA_DEV_INFO, mmdma_dev_info()).to_dict()

    def xfer(self, op, src=None, dst=None, length=None, src_offset=0, dst_offset=0,
             dev_offset=0, dma="auto", attached=False):
        """MMDMA_DEV_XFER; @src, @dst: Buffer or DmaBuf.  Returns the (out)
        fields: nsecs, and for CAP_SYS_RAWIO ops, bounced, bus_addr."""
        if length is None:
            length = (src or dst).size
        x = mmdma_xfer(op=op, dma=_enum(DMA_METHODS, dma, "DMA method"),
                       flags=MMDMA_XFER_ATTACHED if attached else 0,
                       src_fd=src.fileno() if src is not None else 0,
                       dst_fd=dst.fileno() if dst is not None else 0,
                       src_offset=src_offset, dst_offset=dst_offset,
                       dev_offset=dev_offset, length=length)
        _ioctl(self.fd, MMDMA_DEV_XFER, x)
        return {k: getattr(x, k) for k in ("ops", "bounced", "bus_addr", "phys_addr", "nsecs")}

    def to_device(self, src, length=None, dev_offset=0, **kw):
        return self.xfer(MMDMA_XFER_TO_DEV, src=src, length=length, dev_offset=dev_offset, **kw)

    def from_device(self, dst, length=None, dev_offset=0, **kw):
        return self.xfer(MMDMA_XFER_FROM_DEV, dst=dst, length=length, dev_offset=dev_offset, **kw)

    def roundtrip(self, src, dst, length=None, **kw):
        return self.xfer(MMDMA_XFER_ROUNDTRIP, src=src, dst=dst, length=length, **kw)

    # Interrupt events of a node without an engine (mmdma_pci, docs/pci.md).
    def wait_irq(self):
        """Blocks until an interrupt event this open file has not seen;
        returns the event count (read(2) of 4 bytes)."""
        return int.from_bytes(os.read(self.fd, 4), sys.byteorder)

    def irq_control(self, unmask):
        """Unmasks (True: after the device was silenced) or masks the
        interrupt (write(2) of a 32-bit 1 or 0)."""
        os.write(self.fd, (1 if unmask else 0).to_bytes(4, sys.byteorder))

    def irq_eventfd(self, efd):
        """MMDMA_DEV_IRQ_EVENTFD: signal eventfd @efd at every interrupt
        event (-1 removes it)."""
        _ioctl(self.fd, MMDMA_DEV_IRQ_EVENTFD, ctypes.c_int32(efd))
