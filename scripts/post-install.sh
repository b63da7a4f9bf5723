#!/bin/sh
# After "make install" into the running system (no DESTDIR): refresh the
# linker cache for the new library, and create the group the udev rule
# gives the device nodes to.  Both are undone by hand (docs/install.md).
set -eu
libdir=$1
if command -v ldconfig >/dev/null; then
	ldconfig
fi
if ! getent group mmdma >/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v groupadd >/dev/null; then
		groupadd --system mmdma
		echo "install: created the system group 'mmdma' (the udev rule gives /dev/mmdma* to it)"
	else
		echo "install: as root, run 'groupadd --system mmdma' (the udev rule gives /dev/mmdma* to it)" >&2
	fi
fi
case ":$(ldconfig -p 2>/dev/null | grep -c "$libdir/libmmdma.so.0" || true):" in
:0:) echo "install: $libdir is not in the dynamic linker's path; add it to /etc/ld.so.conf.d/" >&2 ;;
esac
echo "install: add users to the group with 'usermod -aG mmdma USER'; reload udev rules with 'udevadm control --reload && udevadm trigger'"
