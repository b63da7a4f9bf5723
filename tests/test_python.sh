#!/bin/sh
# The Python module's tests (tests/python/test_mmdma.py) in the guest,
# where the profile puts Debian's python3 and numpy in the initramfs
# (PYTHON=yes, vm/mkinitramfs.sh).  Listed only in such a profile: a
# missing interpreter there is a failure, not a skip.
py=/opt/mmdma/python
if ! command -v python3 > /dev/null || [ ! -r $py/tests/test_mmdma.py ]; then
	echo "KTAP version 1"
	echo "1..1"
	echo "not ok 1 python_in_guest # python3 or $py is not in the guest: the profile needs PYTHON=yes"
	exit 1
fi
PYTHONPATH=$py PYTHONDONTWRITEBYTECODE=1 exec python3 $py/tests/test_mmdma.py "$@"
