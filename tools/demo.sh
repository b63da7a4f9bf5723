#!/bin/sh
# The `make demo` transcript, run inside the VM.
echo "== the driver"
mmdma info
echo
echo "== buffers of every kind, mapped every way"
mmdma tour
echo
# LDD3's mapper, aimed at a PCI device's registers.  The driver's node maps
# them: with the driver bound, the kernel refuses sysfs's resource0 (its
# regions are claimed exclusively).
# "Memory Management in Linux": one address of this shell's stack, its
# user virtual address down to the bus address the edu device would use.
echo "== an address of this shell's stack, explained (mmdma explain --pid)"
stack=$(awk '/\[stack\]/ { split($1, r, "-"); print r[2]; exit }' /proc/$$/maps)
mmdma explain --pid $$ "$(printf '0x%x' $((0x$stack - 64)))" --device mmdma-edu0
echo
echo "== LDD3's mapper: the first 16 bytes of the edu device's BAR0 (/dev/mmdma-edu0)"
echo "   (identity register 0x010000ed, then the liveness register)"
mmdma map --hex32 /dev/mmdma-edu0 0 16
echo "== and the first 64 bytes of this VM's /init"
mmdma map --hex /init 0 64
echo
echo "== the DMA devices"
mmdma devices
echo
echo "== round trips through the edu device: scatter/gather, then one page at a time"
mmdma xfer mmdma-edu0 10000 --dma sg
mmdma xfer mmdma-edu0 10000 --dma page --kind contig
echo
echo "== and through the software engine"
mmdma xfer mmdma-soft0 4M
echo
mmdma devices | grep -A5 '^mmdma-edu0'
