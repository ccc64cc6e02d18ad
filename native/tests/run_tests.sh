#!/bin/sh
# Run each test binary, echo its output, and add up the closing
# "N passed, M failed" lines into one.
build=$1; shift
total_pass=0; total_fail=0
for t in "$@"; do
	echo "== $t"
	out=$("$build/$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$last" ]; then
		echo "$t: no result line (exit status $rc)"
		total_fail=$((total_fail + 1))
		continue
	fi
	p=${last%% passed*}; f=${last#*, }; f=${f%% failed}
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$t: exit status $rc"
		total_fail=$((total_fail + 1))
	fi
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
