#!/bin/bash
# Host-side tests of vm/ktap-summary.awk, the parser behind the verdict.
set -u
awkf=$(dirname "$0")/../../vm/ktap-summary.awk
fails=0 n=0

expect() {
	local name=$1 want=$2 input=$3 got
	n=$((n + 1))
	got=$(printf '%s' "$input" | awk -f "$awkf" 2>/dev/null)
	if [ "$got" != "$want" ]; then
		echo "not ok: $name: got '$got', expected '$want'"
		fails=$((fails + 1))
	fi
}

expect "all pass" "2 0 0" 'KTAP version 1
1..1
    KTAP version 1
    1..2
    ok 1 a
    ok 2 b
ok 1 prog
'
expect "skip and fail" "1 1 1" 'KTAP version 1
1..1
    1..3
    ok 1 a
    ok 2 b # SKIP no device
    not ok 3 c
not ok 1 prog # exit status 1
'
expect "program crashed after its cases" "1 1 0" '1..1
    1..1
    ok 1 a
not ok 1 prog # exit status 139
'
expect "missing cases" "1 1 0" '1..1
    1..2
    ok 1 a
ok 1 prog
'
expect "guest stopped early" "1 1 0" '1..2
    1..1
    ok 1 a
ok 1 prog
'
expect "no plan at all" "0 1 0" ''
expect "diagnostics ignored" "1 0 0" '1..1
    1..1
    # hello ok 5 not a result
    ok 1 a
ok 1 prog
'
expect "program printed nothing and exited 0" "0 1 0" '1..1
ok 1 prog
'
expect "program printed cases but no plan" "1 1 0" '1..1
    ok 1 a
ok 1 prog
'
expect "program printed no plan and failed: one failure" "0 1 0" '1..1
not ok 1 prog # exit status 1
'
expect "guest says the module did not load" "2 1 0" 'mmdma-guest-fail: insmod mmdma.ko failed
1..1
    1..2
    ok 1 a
    ok 2 b
ok 1 prog
'
expect "guest says a promised device is missing" "0 2 2" '1..1
mmdma-guest-fail: promised edu: no /sys/class/misc/mmdma-edu0
mmdma-guest-fail: promised reserved: reserved_size is 0
    1..2
    ok 1 a # SKIP no device
    ok 2 b # SKIP no device
ok 1 prog
'
echo "test_ktap_summary: $n checks, $fails failed"
[ $fails -eq 0 ]
