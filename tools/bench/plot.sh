#!/usr/bin/env bash
# Draws RESULTS/latency.svg (and the same as latency.png) from the percentile spectra run.sh leaves in RESULTS/pct/: latency
# (log scale) against percentile (50 % .. 99.99 %, spaced by "nines") per system, one panel for
# the 3-node durable comparison (wrk, closed loop) and one for the open-loop run. Needs gnuplot.
#
#   tools/bench/plot.sh [RESULTS]
set -euo pipefail
RESULTS="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/results}"
PCT="$RESULTS/pct"
command -v gnuplot >/dev/null || { echo "plot: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }

# plot_clause FILE COLUMN TITLE: one gnuplot plot clause, or nothing if FILE is missing.
plot_clause() {
  [ -s "$1" ] || return 0
  printf "'%s' using (-log10(1-\$1/100)):%s with linespoints title '%s', " "$1" "$2" "$3"
}
cluster=""
for op in put get; do
  cluster+=$(plot_clause "$PCT/cluster-etcd-$op.txt" 2 "etcd $op")
  cluster+=$(plot_clause "$PCT/cluster-kvnode-$op.txt" 2 "kvnode $op")
done
openloop=""
for file in "$PCT"/openloop-kvnode-*.txt "$PCT"/openloop-redis-*.txt; do
  [ -s "$file" ] || continue
  name=$(basename "$file" .txt); rate=${name##*-}; system=${name#openloop-}; system=${system%-*}
  if [ "$system" = kvnode ]; then
    openloop+=$(plot_clause "$file" 3 "kvnode 3 nodes GET @ $rate/s")
    openloop+=$(plot_clause "$file" 4 "kvnode 3 nodes SET @ $rate/s")
  else
    openloop+=$(plot_clause "$file" 3 "Redis 1 node GET @ $rate/s (reference)")
  fi
done
[ -n "$cluster$openloop" ] || { echo "plot: no percentile files in $PCT" >&2; exit 1; }

panels=""
[ -n "$cluster" ] && panels+="set title 'Durable writes and reads, 3 nodes (wrk, closed loop, 1 KiB)'
plot ${cluster%, }
"
[ -n "$openloop" ] && panels+="set title 'Open loop, 80/15/5 GET/SET/DEL, 1 KiB (latency from the due time)'
plot ${openloop%, }
"
count=$(grep -c '^plot' <<<"$panels")
for terminal in "svg size $((count * 600)),450 dynamic enhanced font 'sans,11'" \
                "pngcairo size $((count * 600)),450 enhanced font 'sans,10'"; do
  extension=$([[ "$terminal" == svg* ]] && echo svg || echo png)
  gnuplot <<GNUPLOT
set terminal $terminal
set output '$RESULTS/latency.$extension'
set multiplot layout 1,$count
set logscale y
set xlabel 'percentile'
set ylabel 'latency (ms)'
set xtics ('50' 0.30103, '90' 1, '99' 2, '99.9' 3, '99.99' 4)
set xrange [0.2:4.1]
set grid
set key bottom right
$panels
unset multiplot
GNUPLOT
done
echo "plot: $RESULTS/latency.svg and latency.png" >&2
