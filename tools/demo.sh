#!/bin/sh
# The `make demo` transcript, run inside the VM.
echo "== the driver"
mmdma info
echo
echo "== buffers of every kind, mapped every way"
mmdma tour
echo
# LDD3's mapper, aimed at a PCI device's registers through sysfs.
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ]; then
		echo "== LDD3's mapper: the first 16 bytes of the edu device's BAR0 ($d/resource0)"
		echo "   (identity register 0x010000ed, then the liveness register)"
		# No driver owns the device yet: turn on its memory decoding.
		echo 1 > $d/enable
		mmdma map --hex32 $d/resource0 0 16
	fi
done
echo "== and the first 64 bytes of this VM's /init"
mmdma map --hex /init 0 64
