#!/bin/bash
# Put a DKMS module into every installed kernel that has headers.
#   dkms-all.sh install NAME VERSION   dkms add (source in /usr/src/NAME-VERSION),
#                                      then build and install for each kernel
#   dkms-all.sh remove NAME VERSION    dkms remove --all
# A kernel in /lib/modules without headers is named with the Debian package
# that provides them; it is not an error unless no kernel could be built.
set -euo pipefail
what=${1:?usage: dkms-all.sh install|remove NAME VERSION}
name=${2:?usage: dkms-all.sh install|remove NAME VERSION}
version=${3:?usage: dkms-all.sh install|remove NAME VERSION}

command -v dkms >/dev/null || { echo "dkms-all: dkms is not installed (apt-get install dkms)" >&2; exit 1; }

# dkms status into a variable first: "dkms status | grep -q" under pipefail
# fails when grep stops reading early (SIGPIPE), whatever dkms says.
status() {
	dkms status -m "$name" -v "$version" "$@" 2>/dev/null || true
}

if [ "$what" = remove ]; then
	if [ -n "$(status)" ]; then
		dkms remove -m "$name" -v "$version" --all
	fi
	exit 0
fi
[ "$what" = install ] || { echo "dkms-all: unknown action '$what'" >&2; exit 2; }

if [ -z "$(status)" ]; then
	dkms add -m "$name" -v "$version"
fi
built=0
missing=
for dir in /lib/modules/*/; do
	kver=$(basename "$dir")
	if [ ! -f "$dir/build/Makefile" ]; then
		missing="$missing $kver"
		continue
	fi
	case "$(status -k "$kver")" in
	*": installed"*) ;;
	*)
		dkms build -m "$name" -v "$version" -k "$kver"
		dkms install -m "$name" -v "$version" -k "$kver"
		;;
	esac
	built=$((built + 1))
done
for kver in $missing; do
	echo "dkms-all: kernel $kver has no headers, $name not built for it (apt-get install linux-headers-$kver)" >&2
done
[ "$built" -gt 0 ] || { echo "dkms-all: no installed kernel has headers" >&2; exit 1; }
echo "dkms-all: $name $version built and installed for $built kernel(s)"
