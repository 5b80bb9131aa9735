#!/usr/bin/env bash
# Benchmark of `fptriage batch` on a generated backlog (issue 18). Run by hand, not in CI:
#   bash benches/batch.sh [WORK_DIR]            (default WORK_DIR: target/bench-batch)
# Env: CASES (cases of the backlog, default 200), REPEAT (alternated runs of each setting,
# default 3), TINY (cases of the per-case overhead run, default 200), THOUSAND (cases of the
# large run, default 1000; 0 skips it), MINING_MB (uncompressed size of the bundle of the mining
# run, default 1024; 0 skips it), SECTIONS (which parts to run, default "jobs tiny thousand
# mining"), NICE (e.g. -15, as root: the timed commands run at that priority, so that other work
# on a shared machine disturbs them less).
#
# The backlog: case i is, in turn, one of the generated testdata bundles (cycled, a few KiB to a
# few hundred KiB each) and a generated FTD bundle (examples/gen_big_bundle.rs) of 4, 8 or 16 MiB
# uncompressed (4,000 members, the dns-failure scenario inside), as hard links under distinct
# names (each is a case of its own; the files are generated once and cached in WORK_DIR/cache).
#
# What it measures, each with wall time and peak RSS from GNU /usr/bin/time -v, the best and the
# median of REPEAT runs (alternated, so that other load falls evenly on each setting):
#   jobs:     the backlog with --jobs 1 (one thread), with the default --jobs (the number of
#             cores) and, for comparison, both with --read-ahead on (a second inflate thread per
#             case, as analyze does); the speed-up of the default over --jobs 1;
#   tiny:     TINY copies of the smallest testdata bundle with --jobs 1: the per-case cost of
#             batch (wall / TINY), beside `analyze` run once per case by a shell loop; and the
#             run-wide outputs alone (`merge` of that output into a new folder: summary.csv,
#             unexplained.json, index.html, triage.sqlite, and copying the reports);
#   thousand: THOUSAND cases of the same mix with the default --jobs: time and peak RSS;
#   mining:   the 1 GiB bundle of benches/bench.py as a one-case batch, with the default mining
#             and with --max-templates-per-case 0 (mining off), beside the inflate floor
#             (examples/inflate_floor.rs).
# The load average is printed before each part: on a shared machine, say it with the figures.
#
# The README's figures, each with one command (on an idle machine for the wall times):
#   CASES=200 REPEAT=5 SECTIONS=jobs bash benches/batch.sh     the speed-up of the default --jobs
#   SECTIONS="tiny thousand" bash benches/batch.sh              per-case overhead (best of REPEAT),
#                                                               then 1,000 cases once: time, RSS
#   SECTIONS=mining bash benches/batch.sh                       mining on/off on the 1 GiB bundle
# On a shared machine, compare the CPU times (user + system) the lines print beside the wall
# times: other load stretches the wall time of every setting, not its CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-target/bench-batch}
CASES=${CASES:-200}
REPEAT=${REPEAT:-3}
TINY=${TINY:-200}
THOUSAND=${THOUSAND:-1000}
MINING_MB=${MINING_MB:-1024}
SECTIONS=${SECTIONS:-jobs tiny thousand mining}

cargo build --release --quiet --bin fptriage --example gen_big_bundle --example inflate_floor
BIN=target/release/fptriage
GEN=target/release/examples/gen_big_bundle
FLOOR=target/release/examples/inflate_floor
mkdir -p "$WORK/cache"
echo "fptriage batch benchmark: $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

load() { echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

# Small cases: the generated testdata bundles, by name.
mapfile -t SMALL < <(find testdata/bundles -maxdepth 1 -type f \
  \( -name '*.tar.gz' -o -name '*.tgz' -o -name '*.tar' -o -name '*.zip' \) | sort)
for mb in 4 8 16; do
  f="$WORK/cache/medium-$mb.tar.gz"
  [ -s "$f" ] || "$GEN" "$f" --size-mb "$mb" --members 4000 2>/dev/null
done

# backlog DIR N: N cases of the mix, as hard links (copies where links cannot be made).
backlog() {
  local dir=$1 n=$2 i src name
  rm -rf "$dir"; mkdir -p "$dir"
  for ((i = 0; i < n; i++)); do
    if ((i % 2 == 0)); then
      src=${SMALL[$(((i / 2) % ${#SMALL[@]}))]}
      name=$(printf 'case-%04d-%s' "$i" "$(basename "$src")")
    else
      local mb=$((4 << ((i / 2) % 3)))
      src="$WORK/cache/medium-$mb.tar.gz"
      name=$(printf 'case-%04d-medium-%d.tar.gz' "$i" "$mb")
    fi
    ln "$src" "$dir/$name" 2>/dev/null || cp "$src" "$dir/$name"
  done
  cat "$dir"/* > /dev/null # page cache: every run reads from memory
}

# timed OUT CMD...: runs CMD under GNU time; prints "seconds peak_kib cpu_seconds" (cpu: user +
# system, all threads: on a busy machine the wall time says more about the load than the code).
timed() {
  local log=$1; shift
  ${NICE:+nice -n "$NICE"} /usr/bin/time -v "$@" 2> "$log" > /dev/null
  local wall rss cpu
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$log")
  echo "$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }') $rss $cpu"
}

# stats "t1 t2 ...": best and median.
stats() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "best %.2fs, median %.2fs", a[1], m }'; }
best() { tr ' ' '\n' <<< "$1" | grep . | sort -g | head -1; }
most() { tr ' ' '\n' <<< "$1" | grep . | sort -g | tail -1; }

if [[ " $SECTIONS " == *" jobs "* ]]; then
  DIR="$WORK/backlog-$CASES"
  backlog "$DIR" "$CASES"
  echo "jobs: $CASES cases, $(($(du -sbl "$DIR" | cut -f1) / 1048576)) MiB on disk"
  load
  declare -A T R C
  settings=("jobs1:--jobs 1" "default:" "default-readahead:--read-ahead on" "jobs1-readahead:--jobs 1 --read-ahead on")
  for _ in $(seq 1 "$REPEAT"); do
    for s in "${settings[@]}"; do
      key=${s%%:*}; args=${s#*:}
      rm -rf "$WORK/out-$key"
      # shellcheck disable=SC2086
      read -r t r c < <(timed "$WORK/time-$key.txt" "$BIN" batch "$DIR" --out "$WORK/out-$key" $args)
      echo "  $key: ${t}s, $((r / 1024)) MiB, CPU ${c}s"
      T[$key]="${T[$key]:-} $t"; R[$key]="${R[$key]:-} $r"; C[$key]="${C[$key]:-} $c"
    done
  done
  load
  for s in "${settings[@]}"; do
    key=${s%%:*}
    echo "  $key: $(stats "${T[$key]}"), peak RSS $(($(most "${R[$key]}") / 1024)) MiB, CPU $(best "${C[$key]}")s at least ($(awk -v c="$(best "${C[$key]}")" -v n="$CASES" 'BEGIN { printf "%.1f", 1000 * c / n }') ms a case), $(grep -c '"status":"ok"' "$WORK/out-$key/results.jsonl") ok"
  done
  awk -v a="$(best "${T[jobs1]}")" -v b="$(best "${T[default]}")" -v c="$(best "${T[default-readahead]}")" \
    -v d="$(best "${T[jobs1-readahead]}")" \
    'BEGIN { printf "  speed-up of the default --jobs over --jobs 1 (best times): %.2fx (with --read-ahead on: %.2fx); over --jobs 1 --read-ahead on (two threads): %.2fx\n", a / b, a / c, d / b }'
  for key in default default-readahead jobs1-readahead; do
    if ! diff <(cut -d, -f1-6 "$WORK/out-jobs1/summary.csv") <(cut -d, -f1-6 "$WORK/out-$key/summary.csv") > /dev/null; then
      echo "warning: the summaries of jobs1 and $key differ" >&2
    fi
  done
fi

if [[ " $SECTIONS " == *" tiny "* ]]; then
  DIR="$WORK/tiny-$TINY"
  rm -rf "$DIR"; mkdir -p "$DIR"
  one=testdata/bundles/healthy-ftd.tar.gz
  for ((i = 0; i < TINY; i++)); do ln "$one" "$DIR/$(printf 'case-%04d.tar.gz' "$i")" 2>/dev/null || cp "$one" "$DIR/$(printf 'case-%04d.tar.gz' "$i")"; done
  echo "tiny: $TINY copies of $(basename "$one") ($(stat -c %s "$one") bytes)"
  load
  tb=; ta=; tm=; cb=; ca=; cm=
  for _ in $(seq 1 "$REPEAT"); do
    rm -rf "$WORK/out-tiny" "$WORK/out-tiny-merged"
    read -r t _ c < <(timed "$WORK/time-tiny.txt" "$BIN" batch "$DIR" --out "$WORK/out-tiny" --jobs 1); tb="$tb $t"; cb="$cb $c"
    read -r t _ c < <(timed "$WORK/time-tiny-merge.txt" "$BIN" merge "$WORK/out-tiny" --out "$WORK/out-tiny-merged"); tm="$tm $t"; cm="$cm $c"
    read -r t _ c < <(timed "$WORK/time-tiny-loop.txt" bash -c "for f in '$DIR'/*; do '$BIN' analyze \"\$f\" --format json > /dev/null || [ \$? -eq 1 ]; done"); ta="$ta $t"; ca="$ca $c"
  done
  load
  awk -v b="$(best "$tb")" -v a="$(best "$ta")" -v m="$(best "$tm")" -v n="$TINY" \
      -v cb="$(best "$cb")" -v ca="$(best "$ca")" -v cm="$(best "$cm")" 'BEGIN {
    printf "  batch --jobs 1: %.2fs (CPU %.2fs) for %d cases = %.1f ms per case (CPU %.1f ms), run-wide outputs included\n", b, cb, n, 1000 * b / n, 1000 * cb / n
    printf "  analyze in a shell loop: %.2fs (CPU %.2fs) = %.1f ms per case (CPU %.1f ms), a process each\n", a, ca, 1000 * a / n, 1000 * ca / n
    printf "  merge of that output (run-wide outputs and report copies alone): %.2fs (CPU %.2fs)\n", m, cm }'
fi

if [[ " $SECTIONS " == *" thousand "* ]] && ((THOUSAND > 0)); then
  DIR="$WORK/backlog-$THOUSAND"
  backlog "$DIR" "$THOUSAND"
  echo "thousand: $THOUSAND cases, $(($(du -sbl "$DIR" | cut -f1) / 1048576)) MiB on disk, default --jobs"
  load
  rm -rf "$WORK/out-thousand"
  read -r t r c < <(timed "$WORK/time-thousand.txt" "$BIN" batch "$DIR" --out "$WORK/out-thousand")
  load
  echo "  $THOUSAND cases: ${t}s ($(awk -v t="$t" -v n="$THOUSAND" 'BEGIN { printf "%.1f", 1000 * t / n }') ms a case), peak RSS $((r / 1024)) MiB, CPU ${c}s, $(grep -c '"status":"ok"' "$WORK/out-thousand/results.jsonl") ok, triage.sqlite $(($(stat -c %s "$WORK/out-thousand/triage.sqlite") / 1024)) KiB"
fi

if [[ " $SECTIONS " == *" mining "* ]] && ((MINING_MB > 0)); then
  big="$WORK/cache/big-$MINING_MB.tar.gz"
  [ -s "$big" ] || "$GEN" "$big" --size-mb "$MINING_MB" 2>/dev/null
  DIR="$WORK/mining"; rm -rf "$DIR"; mkdir -p "$DIR"; ln -f "$big" "$DIR/big.tar.gz" 2>/dev/null || cp "$big" "$DIR/big.tar.gz"
  cat "$big" > /dev/null
  echo "mining: one case of $MINING_MB MiB uncompressed ($(($(stat -c %s "$big") / 1048576)) MiB gzip)"
  load
  tf=; ton=; toff=
  for _ in $(seq 1 "$REPEAT"); do
    read -r t _ c < <(timed "$WORK/time-floor.txt" "$FLOOR" "$big"); tf="$tf $t"; cf="${cf:-} $c"
    rm -rf "$WORK/out-mining-on"; read -r t r c < <(timed "$WORK/time-mining-on.txt" "$BIN" batch "$DIR" --out "$WORK/out-mining-on"); ton="$ton $t"; ron=$r; con="${con:-} $c"
    rm -rf "$WORK/out-mining-off"; read -r t r c < <(timed "$WORK/time-mining-off.txt" "$BIN" batch "$DIR" --out "$WORK/out-mining-off" --max-templates-per-case 0); toff="$toff $t"; roff=$r; coff="${coff:-} $c"
  done
  load
  echo "  floor: $(stats "$tf"), CPU $(best "$cf")s at least"
  echo "  mining on:  $(stats "$ton"), peak RSS $((ron / 1024)) MiB, CPU $(best "$con")s at least"
  echo "  mining off: $(stats "$toff"), peak RSS $((roff / 1024)) MiB, CPU $(best "$coff")s at least"
  echo "  templates mined: $(grep -o '"template":' "$WORK/out-mining-on/unexplained.json" | wc -l) in unexplained.json"
  awk -v f="$(best "$tf")" -v on="$(best "$ton")" -v off="$(best "$toff")" \
    'BEGIN { printf "  best times: mining on %.3fx the floor, off %.3fx, on/off %.3fx\n", on / f, off / f, on / off }'
fi
