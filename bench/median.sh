# bench/median.sh — the median the benchmark scripts report (sourced by
# lib.sh and containers.sh).
#
#   median V...   the median of the values; "fail" if any of them is not
#                 a number (a round that failed spoils the figure)
median() {
	printf '%s\n' "$@" | sort -g | awk '
		$1 !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ { bad = 1 }
		{ v[NR] = $1 }
		END {
			if (bad || !NR) { print "fail"; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}
