#!/bin/bash
# Host-side tests: vm/run.sh and vm/check.sh never give an earlier run's
# verdict as this one's.  A run that stops early (no kernel, no module, no
# such profile) removes the old summary first; check.sh counts a run that
# left no summary as a failure even when an old passing one was there.
set -u
vm=$(cd "$(dirname "$0")/../../vm" && pwd)
fails=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

stale() {
	mkdir -p "$1"
	echo "9 0 0" > "$1/summary"
	echo "ok 1 old" > "$1/ktap.log"
}

bad() {
	echo "not ok: $*"
	fails=$((fails + 1))
}

# run_early NAME ARGS...: run.sh stops early, and leaves no summary.
run_early() {
	local name=$1 rc
	shift
	n=$((n + 1))
	stale "$tmp/out"
	"$vm/run.sh" --out "$tmp/out" "$@" > /dev/null 2>&1
	rc=$?
	[ $rc -ne 0 ] || bad "$name: exit status 0"
	[ ! -e "$tmp/out/summary" ] || bad "$name: the old summary is still there"
	[ ! -e "$tmp/out/ktap.log" ] || bad "$name: the old ktap.log is still there"
}

: > "$tmp/kernel"
: > "$tmp/mmdma.ko"
run_early "no kernel image" --kernel "$tmp/none" --module "$tmp/mmdma.ko" --profile mm
run_early "no module" --kernel "$tmp/kernel" --module "$tmp/none.ko" --profile mm
run_early "no such profile" --kernel "$tmp/kernel" --module "$tmp/mmdma.ko" --profile no-such

# check.sh with a run.sh that stops before the VM and a stale passing summary.
mkdir -p "$tmp/vm"
cp "$vm/check.sh" "$tmp/vm/"
cat > "$tmp/vm/kernel.sh" <<'STUB'
#!/bin/sh
case "$1" in image) echo /dev/null ;; mem-extra) echo 0 ;; esac
STUB
printf '#!/bin/sh\nexit 2\n' > "$tmp/vm/run.sh"
chmod +x "$tmp/vm/kernel.sh" "$tmp/vm/run.sh"
stale "$tmp/build/vm/k1-p1"
n=$((n + 1))
out=$("$tmp/vm/check.sh" "$tmp/build" k1 p1 2>&1)
rc=$?
[ $rc -ne 0 ] || bad "check.sh: exit status 0 after a run that stopped early"
[ "$(printf '%s\n' "$out" | tail -n 1)" = "0 passed, 1 failed" ] ||
	bad "check.sh: last line '$(printf '%s\n' "$out" | tail -n 1)', expected '0 passed, 1 failed'"

echo "test_stale_verdict: $n checks, $fails failed"
[ $fails -eq 0 ]
