#!/usr/bin/env bash
# Benchmark of `fptriage batch`: --jobs 1 against --jobs 2 on a folder of ~24 cases (the
# testdata bundles plus a few large generated ones), with wall time and peak RSS from
# /usr/bin/time -v. Usage: bash benches/batch.sh [WORK_DIR] (default: target/bench-batch).
# Env: BIG (number of large bundles, default 4), BIG_MB (their uncompressed size, default 60),
# SMALL (testdata bundles copied, default 20), REPEAT (runs of each setting, default 3),
# NICE (e.g. -15, as root: run the timed commands at that priority so that other work on a
# shared machine disturbs the figures less; default: unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-target/bench-batch}
BIG=${BIG:-4}
BIG_MB=${BIG_MB:-60}
SMALL=${SMALL:-20}

cargo build --release --quiet --bin fptriage --example gen_big_bundle
BIN=target/release/fptriage

mkdir -p "$WORK/cache"
CASES="$WORK/cases"
rm -rf "$CASES" "$WORK"/out-*
mkdir -p "$CASES"

# Small cases: the generated testdata bundles (tar.gz, tar, zip), by name.
find testdata/bundles -maxdepth 1 -type f \( -name '*.tar.gz' -o -name '*.tgz' -o -name '*.tar' -o -name '*.zip' \) \
  | sort | head -n "$SMALL" | while read -r f; do cp "$f" "$CASES/"; done

# Large cases: generated once and cached (deterministic content).
for i in $(seq 1 "$BIG"); do
  f="$WORK/cache/big-$BIG_MB-$i.tar.gz"
  if [ ! -s "$f" ]; then
    target/release/examples/gen_big_bundle "$f" --size-mb "$BIG_MB" --members 2000
  fi
  cp "$f" "$CASES/big-$i.tar.gz"
done

n=$(find "$CASES" -mindepth 1 -maxdepth 1 | wc -l)
bytes=$(du -sb "$CASES" | cut -f1)
echo "cases: $n, $((bytes / 1048576)) MiB on disk ($BIG large of ${BIG_MB} MiB uncompressed), $(nproc) cores"

# Warm the page cache so both runs read from memory.
cat "$CASES"/* > /dev/null

run() {
  local jobs=$1 out="$WORK/out-$1"
  rm -rf "$out"
  ${NICE:+nice -n "$NICE"} /usr/bin/time -v "$BIN" batch "$CASES" --out "$out" --jobs "$jobs" 2> "$WORK/time-$jobs.txt" >/dev/null
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$WORK/time-$jobs.txt" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$WORK/time-$jobs.txt" | awk '{print $NF}')
  local secs
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  echo "$secs $rss"
}

# Alternate the two settings REPEAT times; keep the best wall time (least disturbed by other
# load on the machine) and the highest peak RSS of each.
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
most() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a > b) ? a : b }'; }
t1=; t2=; rss1=; rss2=
for _ in $(seq 1 "${REPEAT:-3}"); do
  read -r t r < <(run 1); echo "  jobs 1: ${t}s, $((r / 1024)) MiB"; t1=$(best "$t" "$t1"); rss1=$(most "$r" "$rss1")
  read -r t r < <(run 2); echo "  jobs 2: ${t}s, $((r / 1024)) MiB"; t2=$(best "$t" "$t2"); rss2=$(most "$r" "$rss2")
done
ok1=$(grep -c '"status":"ok"' "$WORK/out-1/results.jsonl" || true)
ok2=$(grep -c '"status":"ok"' "$WORK/out-2/results.jsonl" || true)
printf '%-8s %10s %14s %6s\n' jobs 'wall (s)' 'peak RSS (MiB)' 'ok'
printf '%-8s %10.2f %14.1f %6s\n' 1 "$t1" "$(echo "$rss1" | awk '{print $1/1024}')" "$ok1"
printf '%-8s %10.2f %14.1f %6s\n' 2 "$t2" "$(echo "$rss2" | awk '{print $1/1024}')" "$ok2"
awk -v a="$t1" -v b="$t2" 'BEGIN { printf "speed-up (jobs 2 vs 1): %.2fx\n", a / b }'
# Both runs must agree case by case (durations aside).
if ! diff <(cut -d, -f1-6 "$WORK/out-1/summary.csv") <(cut -d, -f1-6 "$WORK/out-2/summary.csv") > /dev/null; then
  echo "warning: the summaries of --jobs 1 and --jobs 2 differ" >&2
fi
