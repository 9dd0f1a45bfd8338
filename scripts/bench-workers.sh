#!/usr/bin/env bash
# bench-workers.sh: tile throughput of the distributed mode with 1 and with 2
# tile workers, and each tile worker's peak memory, on N×N mosaics of the
# real Jülich pair turned into 4-band 16-bit images (8000² and 16000² by
# default). Servers run as plain processes (deploy/local-cluster); a separate
# worker takes ingest and finalize, so the tile workers' memory is what the
# tiles need. Each batch is cancelled once its tiles are done (finalize is
# not part of the measure). Prints a table; needs ~10 GB of free disk.
#
#   scripts/bench-workers.sh [REPEAT...]     e.g. scripts/bench-workers.sh 8 16
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=("$@"); [ ${#repeats[@]} -gt 0 ] || repeats=(8 16)
work=$(mktemp -d /tmp/weipian-bench.XXXXXX)
chmod 755 "$work"
state="$work/cluster"
cleanup() { jobs -p | xargs -r kill 2>/dev/null || true; deploy/local-cluster down --purge --state "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o bin/weipian ./cmd/weipian
export WEIPIAN_CLUSTER_PG_OPTS="-c fsync=off"
deploy/local-cluster up --workers 0 --state "$state" >/dev/null
eval "$(deploy/local-cluster env --state "$state")"

peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

printf "%-12s %-8s %-7s %-12s %-10s %-22s\n" "scene" "workers" "tiles" "tile_stage_s" "Mpx/s" "peak_RSS_MB_per_worker"
for n in "${repeats[@]}"; do
  bin/weipian bench pair --out "$work/pair$n" --repeat "$n" >/dev/null
  before="$work/pair$n/LS20010525_${n}000x${n}000.vrt"
  after="$work/pair$n/LS20010626_${n}000x${n}000.vrt"
  for w in 1 2; do
    bin/weipian worker --stages ingest,finalize --log-level warn >"$work/if-$n-$w.log" 2>&1 &
    ifpid=$!
    pids=()
    for i in $(seq "$w"); do
      bin/weipian worker --stages tile --concurrency 1 --log-level warn >"$work/tile-$n-$w-$i.log" 2>&1 &
      pids+=($!)
    done
    id=$(bin/weipian batch submit --before "$before" --after "$after" --name "bench-$n-$w" --tile-size 1024 --log-level warn | awk '{print $2; exit}')
    # wait for the tiles
    while :; do
      js=$(bin/weipian batch status "$id" --json --log-level warn)
      state_=$(echo "$js" | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p' | head -1)
      done_=$(echo "$js" | sed -n 's/.*"tiles_done": *\([0-9]*\).*/\1/p' | head -1)
      total=$(echo "$js" | sed -n 's/.*"tiles_total": *\([0-9]*\).*/\1/p' | head -1)
      started=$(echo "$js" | sed -n 's/.*"started_at": *"\([^"]*\)".*/\1/p' | head -1)
      if [ "$state_" = failed ]; then echo "batch $id failed: $js" >&2; exit 1; fi
      if [ -n "$total" ] && [ "$total" -gt 0 ] && [ "$done_" = "$total" ]; then break; fi
      sleep 1
    done
    end=$(date +%s.%N)
    start=$(date -d "$started" +%s.%N)
    mem=""
    for p in "${pids[@]}"; do mem="$mem $(( $(peak_kb "$p") / 1024 ))"; done
    bin/weipian batch cancel "$id" --log-level warn >/dev/null 2>&1 || true
    # finalize is not measured: stop its worker at once
    kill -9 "${pids[@]}" "$ifpid" 2>/dev/null || true
    wait 2>/dev/null || true
    secs=$(awk -v a="$end" -v b="$start" 'BEGIN {print a - b}')
    mpx=$(awk -v n="$n" -v s="$secs" 'BEGIN {print n * n / s}')
    printf "%-12s %-8s %-7s %-12.1f %-10.2f %-22s\n" "${n}000²" "$w" "$total" "$secs" "$mpx" "$mem"
  done
done
