#!/usr/bin/env python3
"""Benchmarks fptriage against the floor (inflate once) and the tools engineers use today.

Run by hand (not in CI): `python3 benches/bench.py [--size-mb 1024] [--rounds 3]`; add
`--baseline BIN` to time another commit's binary in the same rounds (`--only analyze` for just
the floor, the analysis and the baseline).
It builds the release binary, generates a realistic bundle with `examples/gen_big_bundle.rs`
(streamed, ~20 000 members, SSE artifacts in the middle and at the end), and times, round-robin
so that noise falls evenly on every command:

  - floor:     flate2 (zlib-rs) inflating the bundle to nothing (examples/inflate_floor.rs)
  - gzip -dc:  GNU gzip inflating it to /dev/null
  - fptriage:  `fptriage analyze bundle.tar.gz --format json`
  - manual:    `tar xzf` to a temporary folder, then the greps of the seed TechNote
  - zip:       `fptriage analyze` on a zip of the extracted bundle (only wanted entries read)
  - rules-20 / rules-500: `fptriage analyze` with 20 and 500 generated rules of the built-in
               pack's shape on the same bundle (`--rules`), to show that rules share one pass
  - new-condition rules 20 / 500: the same with rules using `window`, `where`, `group_by`,
               `min_distinct` and `sequence` in turn

It prints a table of medians, peak RSS and ratios, then the peak RSS of the same analysis on
smaller and larger bundles (`--memory-sizes`, default 100 and 2048 MB inside). insights-core is measured when it can be
imported (`pip install insights-core`), with an equivalent four-check rule.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "fptriage")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "inflate_floor")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_big_bundle")


def run_timed(cmd, cwd=None):
    """Wall seconds and peak RSS (MiB) of one command, via GNU time."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, cwd=cwd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        kb = int(rss.read().strip().splitlines()[-1])
    return wall, kb / 1024


def write_rules(folder, count):
    """`count` rules shaped like the built-in pack: substring and regex line conditions over
    connector-log and syslog, most with a literal part."""
    rnd = random.Random(count)
    words = ["timeout", "refused", "handshake", "token", "enroll", "eventing", "socket", "zeromq",
             "certificate", "resolve", "upstream", "backoff", "retry", "proxy", "tenant", "queue"]
    os.makedirs(os.path.join(folder, "bench"), exist_ok=True)
    for i in range(count):
        artifact = "connector-log" if i % 3 else "syslog"
        word = f"{rnd.choice(words)}-{i:04d}"
        if i % 2:
            cond = f"    contains: \"{word} failed\""
        else:
            cond = f"    regex: '{word} (?P<code>\\d+) after \\d+ms'"
        with open(os.path.join(folder, "bench", f"r{i:04d}.yaml"), "w") as f:
            f.write(f"""id: bench/r{i:04d}
title: generated rule {i}
severity: warning
description: generated for the rule-count benchmark
when:
  lines:
    artifact: {artifact}
{cond}
message: "{{{{ count }}}} lines"
remediation: none
""")


def write_new_condition_rules(folder, count):
    """`count` rules using the rule language's newer conditions in turn: a sliding `window`,
    `where` on a capture, `group_by` host, `min_distinct`, and a two-step `sequence`."""
    rnd = random.Random(count + 7)
    words = ["timeout", "refused", "handshake", "token", "enroll", "eventing", "socket", "zeromq",
             "certificate", "resolve", "upstream", "backoff", "retry", "proxy", "tenant", "queue"]
    os.makedirs(os.path.join(folder, "bench"), exist_ok=True)
    for i in range(count):
        artifact = "connector-log" if i % 3 else "syslog"
        word = f"{rnd.choice(words)}-{i:04d}"
        kind = i % 5
        if kind == 0:
            when = f"  lines: {{artifact: {artifact}, contains: \"{word} failed\", min_count: 5, window: 1h}}"
        elif kind == 1:
            when = (f"  lines:\n    artifact: {artifact}\n    regex: '{word} (?P<code>\\d+) after \\d+ms'\n"
                    f"    where: {{code: {{at_least: 500}}}}")
        elif kind == 2:
            when = f"  lines: {{artifact: {artifact}, contains: \"{word} failed\", group_by: host, min_count: 3}}"
        elif kind == 3:
            when = (f"  lines:\n    artifact: {artifact}\n    regex: '{word} from (?P<peer>[0-9.]+)'\n"
                    f"    min_distinct: {{peer: 2}}")
        else:
            when = (f"  sequence:\n    artifact: {artifact}\n    max_gap: 30s\n"
                    f"    steps: [{{contains: \"{word} start\"}}, {{regex: '{word} (?P<code>\\d+) after'}}]")
        with open(os.path.join(folder, "bench", f"n{i:04d}.yaml"), "w") as f:
            f.write(f"""id: bench/n{i:04d}
title: generated rule {i}
severity: warning
description: generated for the rule-count benchmark (newer conditions)
when:
{when}
message: "{{{{ count }}}} of {{{{ total_count }}}} lines"
remediation: none
""")


def manual_way(bundle):
    """tar xzf + the seed document's greps, as an engineer does today."""
    work = tempfile.mkdtemp(prefix="fptriage-manual-")
    script = f"""set -e
cd {work}
tar xzf {bundle}
grep -r -h -E 'connector_fqdn|connector_port|registration_interval' --include=connector.properties . >/dev/null || true
grep -r -h -E 'level=(error|fatal)' --include='connector.log*' . >/dev/null || true
grep -r -h -E 'SSEConnector|EventHandler' --include='*pmtool status.output' . >/dev/null || true
grep -r -h 'EventHandler_SSEConnector' --include='*netstat*' . >/dev/null || true
grep -r -h 'connector' --include='*lsof*' . >/dev/null || true
grep -r -l -E 'smartLicenseStatus|Smart Licensing' . >/dev/null || true
grep -r -l -i 'cloudeventsconfig' . >/dev/null || true
"""
    try:
        return run_timed(["bash", "-c", script])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--members", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--memory-sizes", default="100,2048",
                    help="other bundle sizes (MB inside) whose peak RSS is compared; '' skips")
    ap.add_argument("--baseline", metavar="BIN",
                    help="an fptriage binary of another commit (e.g. main), timed in the same rounds: "
                         "the analysis is compared by its ratio to the floor per round")
    ap.add_argument("--only", metavar="NAMES",
                    help="comma-separated substrings: time only the commands whose name has one "
                         "(the floor is always timed)")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--bin", "fptriage", "--example", "gen_big_bundle",
                    "--example", "inflate_floor"], cwd=ROOT, check=True)
    os.makedirs(args.work, exist_ok=True)
    bundle = os.path.join(args.work, f"bundle-{args.size_mb}.tar.gz")
    if not os.path.exists(bundle):
        subprocess.run([GEN, bundle, "--size-mb", str(args.size_mb), "--members", str(args.members)], check=True)
    zipped = os.path.join(args.work, f"bundle-{args.size_mb}.zip")
    if not os.path.exists(zipped):
        tmp = tempfile.mkdtemp(prefix="fptriage-zip-")
        subprocess.run(["tar", "xzf", bundle, "-C", tmp], check=True)
        subprocess.run(["zip", "-q", "-r", "-1", zipped, "."], cwd=tmp, check=True)
        shutil.rmtree(tmp, ignore_errors=True)
    rules20 = os.path.join(args.work, "rules-20")
    rules500 = os.path.join(args.work, "rules-500")
    for folder, count in [(rules20, 20), (rules500, 500)]:
        if not os.path.exists(folder):
            write_rules(folder, count)
    new20 = os.path.join(args.work, "new-rules-20")
    new500 = os.path.join(args.work, "new-rules-500")
    for folder, count in [(new20, 20), (new500, 500)]:
        if not os.path.exists(folder):
            write_new_condition_rules(folder, count)

    out = os.path.join(args.work, "report.json")
    commands = {
        "floor (zlib-rs inflate)": lambda: run_timed([FLOOR, bundle]),
        "gzip -dc": lambda: run_timed(["bash", "-c", f"gzip -dc {bundle} > /dev/null"]),
        "fptriage analyze": lambda: run_timed([BIN, "analyze", bundle, "--format", "json", "-o", out]),
        "tar xzf + greps": lambda: manual_way(bundle),
        "fptriage analyze (zip)": lambda: run_timed([BIN, "analyze", zipped, "--format", "json", "-o", out]),
        "fptriage + 20 rules": lambda: run_timed([BIN, "analyze", bundle, "--format", "json", "-o", out, "--rules", rules20]),
        "fptriage + 500 rules": lambda: run_timed([BIN, "analyze", bundle, "--format", "json", "-o", out, "--rules", rules500]),
        "fptriage + 20 new-condition rules": lambda: run_timed([BIN, "analyze", bundle, "--format", "json", "-o", out, "--rules", new20]),
        "fptriage + 500 new-condition rules": lambda: run_timed([BIN, "analyze", bundle, "--format", "json", "-o", out, "--rules", new500]),
    }
    if subprocess.run([sys.executable, "-c", "import insights"], capture_output=True).returncode == 0:
        rule = os.path.join(ROOT, "benches", "insights_rule.py")
        commands["insights-core (extract + rule)"] = lambda: run_timed([sys.executable, rule, bundle])
    if args.baseline:
        commands["baseline analyze"] = lambda: run_timed(
            [args.baseline, "analyze", bundle, "--format", "json", "-o", out])
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        commands = {n: c for n, c in commands.items()
                    if n.startswith("floor") or any(w in n for w in wanted)}
    results = {name: [] for name in commands}
    names = list(commands)
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            results[name].append(commands[name]())
            print(f"round {r + 1}: {name}: {results[name][-1][0]:.2f} s", file=sys.stderr)

    med = {n: statistics.median(w for w, _ in v) for n, v in results.items()}
    rss = {n: max(m for _, m in v) for n, v in results.items()}
    floor = med["floor (zlib-rs inflate)"]
    size = os.path.getsize(bundle) / 1e6
    print(f"\nbundle: {bundle} ({size:.0f} MB gz), {args.rounds} rounds, medians\n")
    print("| command | median s | peak RSS MiB | × floor |")
    print("|---|---|---|---|")
    for n in names:
        print(f"| {n} | {med[n]:.2f} | {rss[n]:.0f} | {med[n] / floor:.2f} |")
    def ratio(a, b):
        return f"{med[a] / med[b]:.2f}×" if a in med and b in med else "not timed"
    print(f"\nfptriage vs gzip -dc: {ratio('gzip -dc', 'fptriage analyze')} faster")
    print(f"fptriage vs tar xzf + greps: {ratio('tar xzf + greps', 'fptriage analyze')} faster")
    if "insights-core (extract + rule)" in med:
        print(f"fptriage vs insights-core: {ratio('insights-core (extract + rule)', 'fptriage analyze')} faster")
    print(f"500 rules / 20 rules: {ratio('fptriage + 500 rules', 'fptriage + 20 rules')}")
    floors = [w for w, _ in results["floor (zlib-rs inflate)"]]
    per_round = {n: statistics.median(w / f for (w, _), f in zip(results[n], floors))
                 for n in ("fptriage analyze", "baseline analyze") if n in results}
    for n, r in per_round.items():
        print(f"{n}: {r:.3f}× the floor (median of the per-round ratios)")
    if len(per_round) == 2:
        print(f"analyze / baseline: {per_round['fptriage analyze'] / per_round['baseline analyze']:.3f} "
              f"(of the per-round ratios to the floor)")

    # Memory must not grow with the bundle: the same analysis on smaller and larger bundles of
    # the same shape (members scale with the size), once each.
    sizes = [int(x) for x in args.memory_sizes.split(",") if x.strip()]
    if sizes:
        print("\n| bundle (inside) | gz MB | members | wall s | peak RSS MiB |")
        print("|---|---|---|---|---|")
        rows = {args.size_mb: (bundle, args.members, med.get("fptriage analyze", 0), rss.get("fptriage analyze", 0))}
        for mb in sizes:
            members = max(30, args.members * mb // args.size_mb)
            other = os.path.join(args.work, f"bundle-{mb}.tar.gz")
            if not os.path.exists(other):
                subprocess.run([GEN, other, "--size-mb", str(mb), "--members", str(members)], check=True)
            wall, peak = run_timed([BIN, "analyze", other, "--format", "json", "-o", out])
            rows[mb] = (other, members, wall, peak)
        for mb in sorted(rows):
            path, members, wall, peak = rows[mb]
            print(f"| {mb} MB | {os.path.getsize(path) / 1e6:.0f} | {members} | {wall:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
