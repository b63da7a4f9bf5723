#!/usr/bin/awk -f
# Count the results in a two-level KTAP stream from the mmdma guest.
#
# Level 0 is one result per test program; level 1 (indented four spaces)
# holds each program's cases.  Cases count as passed, failed or skipped
# ("# SKIP").  A program also counts one failure when it printed no plan
# (a program that prints nothing and exits 0 has tested nothing), when it
# did not report every case its plan announced, or when it failed (crash,
# exit status) with no failed case to show for it; the stream counts one
# when its top-level plan is not met (the guest stopped early), and one for
# each "mmdma-guest-fail: REASON" line (vm/guest-init: the module did not
# load, or a device or memory region the profile promises is missing).
#
# Prints "PASSED FAILED SKIPPED" on stdout and the reasons for extra
# failures on stderr.

function problem(msg) {
	extra++
	print "ktap: " msg > "/dev/stderr"
}

function close_program(result_line,    name) {
	name = result_line
	sub(/^(not )?ok [0-9]+ /, "", name)
	sub(/ #.*/, "", name)
	if (sub_plan < 0)
		problem(name ": printed no KTAP plan")
	else if (sub_results != sub_plan)
		problem(name ": planned " sub_plan " cases, reported " sub_results)
	if (sub_plan >= 0 && result_line ~ /^not ok/ && sub_failed == 0)
		problem(name ": failed outside any case (" result_line ")")
	sub_plan = -1; sub_results = 0; sub_failed = 0
}

BEGIN { plan = -1; sub_plan = -1 }

{ sub(/\r$/, "") }

/^    1\.\.[0-9]+/ { sub_plan = substr($1, 4) + 0; next }

/^    (not )?ok [0-9]+/ {
	sub_results++
	if ($0 ~ /^    ok / && $0 ~ /# SKIP/)
		skipped++
	else if ($0 ~ /^    ok /)
		passed++
	else {
		failed++
		sub_failed++
	}
	next
}

/^mmdma-guest-fail: / {
	problem("guest: " substr($0, 19))
	next
}

/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }

/^(not )?ok [0-9]+/ {
	results++
	close_program($0)
	next
}

END {
	if (plan < 0)
		problem("no KTAP plan from the guest")
	else if (results != plan)
		problem("guest planned " plan " programs, reported " results)
	print passed + 0, failed + extra, skipped + 0
}
