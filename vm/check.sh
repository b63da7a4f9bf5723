#!/bin/bash
# Run every test profile on every kernel, one VM boot each, and print the
# total as the last line: "N passed, N failed[, N skipped]".
#   check.sh BUILD_DIR "KERNELS" "PROFILES" FILE...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 kernels=$2 profiles=$3
shift 3

total_p=0 total_f=0 total_s=0 lines=()
for k in $kernels; do
	image=$("$here/kernel.sh" image "$k") || exit 1
	mem_extra=$("$here/kernel.sh" mem-extra "$k")
	icount_smp=$("$here/kernel.sh" icount-smp "$k")
	for p in $profiles; do
		out=$build/vm/$k-$p
		echo "### $k / $p"
		# Never an earlier run's verdict (run.sh removes it too).
		rm -f "$out/summary"
		"$here/run.sh" --kernel "$image" --module "$build/$k/kernel/mmdma.ko" \
			--profile "$p" --out "$out" --mem-extra "$mem_extra" \
			${icount_smp:+--icount-smp "$icount_smp"} "$@"
		if [ -r "$out/summary" ]; then
			read -r sp sf ss < "$out/summary"
		else
			sp=0 sf=1 ss=0
			echo "# host: $k/$p produced no summary"
		fi
		total_p=$((total_p + sp)) total_f=$((total_f + sf)) total_s=$((total_s + ss))
		lines+=("$k/$p: $sp passed, $sf failed, $ss skipped")
	done
done

echo "### summary"
printf '%s\n' "${lines[@]}"
line="$total_p passed, $total_f failed"
[ "$total_s" -gt 0 ] && line="$line, $total_s skipped"
echo "$line"
[ "$total_f" -eq 0 ]
