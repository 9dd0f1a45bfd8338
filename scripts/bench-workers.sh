#!/usr/bin/env bash
# bench-workers.sh: tile throughput of the distributed mode with 1, 2 and 4
# tile workers (one process each, --concurrency 1), on N×N mosaics of the real
# Jülich pair turned into 4-band 16-bit images (16000² by default), repeated
# RUNS times in a row. Servers run as plain processes (deploy/local-cluster);
# a separate worker takes ingest (finalize is not part of the measure and is
# not run), so the tile workers' memory is what the tiles need. Each batch is
# cancelled once its tiles are done; the tile stage's time is the batch's
# own (started_at to the last tile's updated_at), and the script polls only
# every POLL seconds (default 2), with psql, so that it takes no CPU from
# the workers.
# For every batch it prints the tile stage's wall time, the speed-up over 1
# worker of the same run, that speed-up corrected for a drift of the
# machine's CPU speed between the two batches (eqcpu: as if both had cost
# the CPU, workers' and servers', that the 1-worker batch cost; it also
# hides any CPU a second worker adds), the CPU seconds the tile workers and the servers
# (Redis, MinIO, PostgreSQL and its backends) used during it, and each tile
# worker's peak memory. Needs ~10 GB of free disk; the machine should be
# otherwise idle.
# PIN=1 pins tile worker i to core (i-1) mod nproc (taskset), as if each
# worker had a machine of one core: a single worker's background fetch can
# then not borrow the second core, so the 1 -> 2 ratio measures how the
# distributed mode scales rather than how much of a 2-core machine one
# worker already fills. The servers are not pinned.
#
#   scripts/bench-workers.sh [REPEAT...]      e.g. scripts/bench-workers.sh 8 16
#   WORKERS="1 2 4" RUNS=2 TILE_SIZE=1024 scripts/bench-workers.sh 16
#   PIN=1 WORKERS="1 2" RUNS=2 scripts/bench-workers.sh 16
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=("$@"); [ ${#repeats[@]} -gt 0 ] || repeats=(16)
read -r -a counts <<<"${WORKERS:-1 2 4}"
runs=${RUNS:-2}
tile_size=${TILE_SIZE:-1024}
pin=${PIN:-0}
ncpu=$(nproc)
if [ "$pin" = 1 ] && ! command -v taskset >/dev/null; then echo "PIN=1 needs taskset (util-linux)" >&2; exit 2; fi
work=$(mktemp -d /tmp/weipian-bench.XXXXXX)
chmod 755 "$work"
state="$work/cluster"
cleanup() { jobs -p | xargs -r kill 2>/dev/null || true; deploy/local-cluster down --purge --state "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o bin/weipian ./cmd/weipian
export WEIPIAN_CLUSTER_PG_OPTS="-c fsync=off"
deploy/local-cluster up --workers 0 --state "$state" >/dev/null
eval "$(deploy/local-cluster env --state "$state")"
servers=()
for s in redis minio postgres; do servers+=("$(head -n1 "$state/pids/$s.pid")"); done
hz=$(getconf CLK_TCK)

peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# ticks PID...: CPU clock ticks of the processes, their waited-for children
# (PostgreSQL's ended backends) and their live children (its backends).
ticks() {
  local t=0 p c
  for p in "$@"; do
    t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
      t=$((t + $(awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
  done
  echo "$t"
}
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN {printf "%.1f", t / hz}'; }

printf "%-4s %-8s %-8s %-6s %-10s %-7s %-8s %-6s %-14s %-13s %-20s %s\n" "run" "scene" "workers" "tiles" "tile_s" "Mpx/s" "speedup" "eqcpu" "workers_cpu_s" "servers_cpu_s" "redis/minio/pg_s" "peak_RSS_MB_per_worker"
for n in "${repeats[@]}"; do
  bin/weipian bench pair --out "$work/pair$n" --repeat "$n" >/dev/null
  before="$work/pair$n/LS20010525_${n}000x${n}000.vrt"
  after="$work/pair$n/LS20010626_${n}000x${n}000.vrt"
  for r in $(seq "$runs"); do
    one=""
    for w in "${counts[@]}"; do
      # finalize is not part of the measure and not served: the batch's
      # updated_at stays the time its last tile was done.
      bin/weipian worker --stages ingest --log-level warn >"$work/if-$n-$w-$r.log" 2>&1 &
      ifpid=$!
      pids=()
      for i in $(seq "$w"); do
        pre=()
        [ "$pin" = 1 ] && pre=(taskset -c $(((i - 1) % ncpu)))
        "${pre[@]}" bin/weipian worker --stages tile --concurrency 1 --log-level warn >"$work/tile-$n-$w-$r-$i.log" 2>&1 &
        pids+=($!)
      done
      id=$(bin/weipian batch submit --before "$before" --after "$after" --name "bench-$n-$w-$r" --tile-size "$tile_size" --log-level warn | awk '{print $2; exit}')
      # CPU counters from the moment tile detection starts.
      s0=""; w0=""
      while :; do
        # One psql query (a few ms) rather than a weipian process (~0.3
        # CPU s, taken from the workers).
        js=$(psql "$WEIPIAN_DB" -XAtq -F '|' -c "SELECT state, tiles_done, tiles_total, COALESCE(started_at, ''), updated_at, COALESCE(error, '') FROM batches WHERE id = '$id'")
        IFS='|' read -r state_ done_ total started updated _ <<<"$js"
        if [ "$state_" = failed ]; then echo "batch $id failed: $js" >&2; exit 1; fi
        if [ -z "$s0" ] && [ "$state_" = detecting ]; then s0=$(ticks "${servers[@]}"); w0=$(ticks "${pids[@]}"); r0=$(ticks "${servers[0]}"); m0=$(ticks "${servers[1]}"); fi
        if [ -n "$total" ] && [ "$total" -gt 0 ] && [ "$done_" = "$total" ]; then break; fi
        # The time comes from the batch's own clock, not from when the poll
        # saw it; the poll interval only bounds how late the CPU counters
        # are read.
        sleep "${POLL:-2}"
      done
      s1=$(ticks "${servers[@]}"); w1=$(ticks "${pids[@]}"); r1=$(ticks "${servers[0]}"); m1=$(ticks "${servers[1]}")
      start=$(date -d "$started" +%s.%N)
      end=$(date -d "$updated" +%s.%N)
      mem=""
      for p in "${pids[@]}"; do mem="$mem $(( $(peak_kb "$p") / 1024 ))"; done
      bin/weipian batch cancel "$id" --log-level warn >/dev/null 2>&1 || true
      # finalize is not measured: stop its worker at once
      kill -9 "${pids[@]}" "$ifpid" 2>/dev/null || true
      wait 2>/dev/null || true
      t=$(awk -v a="$end" -v b="$start" 'BEGIN {print a - b}')
      cpu=$((w1 - w0 + s1 - s0))
      [ -n "$one" ] || { one=$t; onecpu=$cpu; }
      mpx=$(awk -v n="$n" -v s="$t" 'BEGIN {print n * n / s}')
      sp=$(awk -v a="$one" -v b="$t" 'BEGIN {printf "%.2f", a / b}')
      eq=$(awk -v a="$one" -v b="$t" -v c="$cpu" -v c1="$onecpu" 'BEGIN {printf "%.2f", a / b * c / c1}')
      printf "%-4s %-8s %-8s %-6s %-10.1f %-7.2f %-8s %-6s %-14s %-13s %-20s %s\n" "$r" "${n}000²" "$w" "$total" "$t" "$mpx" "$sp" "$eq" \
        "$(secs $((w1 - w0)))" "$(secs $((s1 - s0)))" \
        "$(secs $((r1 - r0)))/$(secs $((m1 - m0)))/$(secs $((s1 - s0 - r1 + r0 - m1 + m0)))" "$mem"
    done
  done
done
