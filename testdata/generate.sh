#!/usr/bin/env bash
# Builds the test bundles of fptriage in testdata/bundles/ from the scenario trees that
# `cargo run --example gen_testdata` writes.
#
# Why a script around the example: the archives must come from the REAL tools (GNU tar, gzip,
# zip), in the variants customers upload (top directory or `./` prefix, ustar / pax / gnu
# headers, zip, plain tar, wrappers holding several device bundles, an extracted directory), so
# that the parser is tested against their output and not against one Rust writer.
#
# Reproducible: fixed mtimes and owners, sorted members, gzip without name/time (`gzip -n`),
# zip without extra attributes (`zip -X`), TZ=UTC (zip stores local DOS times).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="$here/bundles"
epoch=1586806502
export LC_ALL=C TZ=UTC

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$repo" && cargo run --quiet --example gen_testdata -- "$tmp")
trees="$tmp/trees"

# Same modes and times whatever the umask and the clock of the machine running this.
chmod -R u=rwX,go=rX "$trees"
find "$trees" -exec touch -h -d "@$epoch" {} +

common=(--sort=name "--mtime=@$epoch" --owner=0 --group=0 --numeric-owner)
# pax would otherwise record atime/ctime of the build machine.
pax_opts=(--format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)

# The single top directory (results-MM-DD-YYYY--HHMMSS) of a scenario tree.
top_of() { (cd "$trees/$1" && ls -d results-*); }

# tar.gz of a scenario. $3 selects the shape: top (results-.../ prefix), dot (./ prefix, no top
# directory), ustar, pax, gnu (header formats, all with the top directory).
pack_targz() {
  local scen="$1" dest="$2" shape="${3:-top}" top
  top="$(top_of "$scen")"
  case "$shape" in
    top) tar "${common[@]}" -I 'gzip -n' -cf "$dest" -C "$trees/$scen" "$top" ;;
    dot) tar "${common[@]}" -I 'gzip -n' -cf "$dest" -C "$trees/$scen/$top" . ;;
    ustar) tar "${common[@]}" --format=ustar -I 'gzip -n' -cf "$dest" -C "$trees/$scen" "$top" ;;
    pax) tar "${common[@]}" "${pax_opts[@]}" -I 'gzip -n' -cf "$dest" -C "$trees/$scen" "$top" ;;
    gnu) tar "${common[@]}" --format=gnu -I 'gzip -n' -cf "$dest" -C "$trees/$scen" "$top" ;;
    *) echo "unknown shape $shape" >&2; exit 1 ;;
  esac
  touch -d "@$epoch" "$dest"
}

# zip of a scenario: members listed in sorted order (zip -r would follow readdir order).
pack_zip() {
  local scen="$1" dest="$2"
  rm -f "$dest"
  (cd "$trees/$scen" && find . -mindepth 1 | sed 's|^\./||' | sort | zip -q -X -y "$dest" -@)
  touch -d "@$epoch" "$dest"
}

rm -rf "$out"
mkdir -p "$out"

# One tar.gz per scenario, with varied shapes.
for dir in "$trees"/*/; do
  scen="$(basename "$dir")"
  case "$scen" in
    _*) continue ;; # part of a wrapper only
    healthy-ftd | not-enrolled | cloud-events-disabled | eventhandler-socket-missing) shape=dot ;;
    license-satellite) shape=ustar ;;
    region-mismatch | healthy-fmc) shape=pax ;;
    ip-allowlist | dst-offsets) shape=gnu ;;
    manager-pending | disk-full-k) shape=ustar ;;
    sftunnel-down-brief | disk-full-wrapped) shape=pax ;;
    healthy-ftd-managed | connector-restarts) shape=dot ;;
    *) shape=top ;;
  esac
  pack_targz "$scen" "$out/$scen.tar.gz" "$shape"
done

# Alternate forms of some scenarios (keep in sync with ALTERNATES in gen_testdata.rs).
pack_zip healthy-fmc "$out/healthy-fmc.zip"
pack_zip tls-interception "$out/tls-interception.zip"
tar "${common[@]}" -cf "$out/healthy-ftd.tar" -C "$trees/healthy-ftd" "$(top_of healthy-ftd)"
tar "${common[@]}" -cf "$out/zeromq-endpoint-missing.tar" -C "$trees/zeromq-endpoint-missing/$(top_of zeromq-endpoint-missing)" .
pack_targz ip-allowlist "$out/ip-allowlist.tgz" dot
mkdir -p "$out/extracted"
cp -a "$trees/healthy-ftd" "$out/extracted/healthy-ftd"

# Wrappers holding several device bundles; cases/<wrapper>.list says which scenario goes in under
# which inner name (.tar.gz, .zip, or `NAME/`: the extracted tree in a host folder), and
# cases/<wrapper>.extra/ holds loose files to put beside them.
for list in "$tmp"/cases/*.list; do
  wrapper="$(basename "$list" .list)"
  stage="$tmp/stage/$wrapper"
  mkdir -p "$stage"
  inner=()
  while read -r scen name; do
    case "$name" in
      */) mkdir -p "$stage/$name" && cp -a "$trees/$scen/." "$stage/$name" ;;
      *.zip) pack_zip "$scen" "$stage/$name" ;;
      *) pack_targz "$scen" "$stage/$name" top ;;
    esac
    inner+=("${name%/}")
  done <"$list"
  if [ -d "$tmp/cases/$wrapper.extra" ]; then
    cp -a "$tmp/cases/$wrapper.extra/." "$stage/"
    while read -r f; do inner+=("$f"); done < <(cd "$tmp/cases/$wrapper.extra" && ls)
  fi
  find "$stage" -exec touch -h -d "@$epoch" {} +
  case "$wrapper" in
    *.zip) (cd "$stage" && printf '%s\n' "${inner[@]}" | sort | zip -q -X "$out/$wrapper" -@) ;;
    *.tgz) tar "${common[@]}" -I 'gzip -n' -cf "$out/$wrapper" -C "$stage" "${inner[@]}" ;;
    *) tar "${common[@]}" --format=gnu -cf "$out/$wrapper" -C "$stage" "${inner[@]}" ;;
  esac
  touch -d "@$epoch" "$out/$wrapper"
done

# Later uploads for `fptriage diff` (expected-diffs.json says which pairs and what changes).
mkdir -p "$out/diff"
while read -r scen name; do
  pack_targz "$scen" "$out/diff/$name" top
done <"$tmp/diff.list"
cp "$tmp/expected-diffs.json" "$out/expected-diffs.json"

# A partial upload: a download cut off inside the connector log (bundle-format §6).
head -c 6000 "$out/dns-failure.tar.gz" >"$out/dns-failure-cut.tar.gz"
touch -d "@$epoch" "$out/dns-failure-cut.tar.gz"

cp "$tmp/expected-bundles.json" "$out/expected.json"

size=$(du -sb "$out" | cut -f1)
echo "testdata/bundles: $(find "$out" -maxdepth 1 -type f | wc -l) files, $size bytes" >&2
if ((size > 2 * 1024 * 1024)); then
  echo "testdata/bundles is over 2 MB" >&2
  exit 1
fi
