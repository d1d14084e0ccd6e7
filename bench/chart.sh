#!/bin/bash
# bench/chart.sh DATA PNG TITLE — the bar chart of bench/all.sh: DATA's
# first line names the systems ("job SYS1 SYS2 ..."), each other line is
# a job and each system's ratio to native; PNG gets one cluster of bars
# per job, one colour per system, on a log scale.
set -eu
DATA=$1 PNG=$2 TITLE=$3
command -v gnuplot >/dev/null || { echo "chart: needs gnuplot" >&2; exit 1; }
ncol=$(head -1 "$DATA" | wc -w)
gnuplot <<EOG
set terminal pngcairo size 1800,760 font ",10" noenhanced
set output "$PNG"
set title "$TITLE"
set style data histogram
set style histogram clustered gap 2
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y
set yrange [0.005:4]
set grid ytics
set ylabel "ratio to native"
set xtics rotate by -30
set key outside right top vertical
# One colour each, up to 16 systems (gnuplot's default cycle is 8).
array C[16] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52", \
	"#ad494a", "#3182bd", "#31a354", "#000000"]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot for [i=2:$ncol] "$DATA" using i:xtic(1) title columnheader(i) lc rgb C[(i - 2) % 16 + 1]
EOG
