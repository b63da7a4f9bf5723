# SPDX-License-Identifier: GPL-2.0
# What the host shell tests share; sourced, not run.  Gives $top (the
# tree), $tmp (removed at exit), the counters $n and $fails, bad() to
# count a failure, expect_eq NAME GOT EXPECTED, and finish NAME, which
# prints the verdict line and is the script's exit status.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
fails=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() {
	echo "not ok: $*"
	fails=$((fails + 1))
}

expect_eq() {	# NAME GOT EXPECTED
	n=$((n + 1))
	[ "$2" = "$3" ] || bad "$1: got '$2', expected '$3'"
}

finish() {	# NAME
	echo "$1: $n checks, $fails failed"
	[ "$fails" -eq 0 ]
}
