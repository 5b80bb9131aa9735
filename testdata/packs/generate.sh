#!/usr/bin/env bash
# Builds the bundles the acme pack (testdata/packs/acme, the three examples of the open-model
# spec) is tested on, with the real GNU tar and gzip: `generate.sh OUT_DIR`.
#
#   acme-full.tar.gz    an FTD whose df -h shows / at 96 %, whose show version has VDB 341,
#                       and a saved HA status JSON in curl noise (acme/disk-full and
#                       acme/old-vdb fire; ha.state and ha.peers are read)
#   acme-silent.tar.gz  the same FTD with room on every mount, no VDB line and no HA status
#
# Reproducible: fixed mtimes and owners, sorted members, gzip -n, TZ=UTC.
set -euo pipefail
out="${1:?usage: generate.sh OUT_DIR}"
epoch=1587306949
export LC_ALL=C TZ=UTC
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
root=results-04-19-2020--143549

tree() {
  local dir="$tmp/$1/$root"
  mkdir -p "$dir/command-outputs" "$dir/dir-archives/etc"
  printf 'ftd-edge1\n' > "$dir/dir-archives/etc/hostname"
  echo "$dir"
}

full="$(tree full)"
cat > "$full/command-outputs/usr-local-sf-bin-sfcli.pl show version.output" <<'TXT'
-------------------[ ftd-edge1 ]--------------------
Model                     : Cisco Firepower Threat Defense for VMware (75) Version 7.2.5 (Build 208)
UUID                      : 5b1c2f4e-8a1d-11ea-9d1b-6c2b59e0a0f1
LSP version               : lsp-rel-20230712-1621
VDB version               : 341
----------------------------------------------------
TXT
cat > "$full/command-outputs/bin-df -h.output" <<'TXT'
Filesystem      Size  Used Avail Use% Mounted on
/dev/sda1        20G   19G  784M  96% /
devtmpfs        7.8G     0  7.8G   0% /dev
tmpfs           7.8G  8.0K  7.8G   1% /dev/shm
/dev/sda5        60G   21G   36G  37% /ngfw/Volume
/dev/mapper/otherVG-var_log_volume_with_a_long_name
                 10G  2.1G  7.9G  21% /var
TXT
cat > "$full/command-outputs/curl-ha-status.output" <<'TXT'
* Connected to localhost (127.0.0.1) port 8305
< HTTP/1.1 200 OK
< Content-Type: application/json
{"haStatus": {"state": "Standby Ready", "peers": [{"name": "ftd-edge2"}, {"name": "ftd-edge3"}]}}
TXT

silent="$(tree silent)"
cat > "$silent/command-outputs/usr-local-sf-bin-sfcli.pl show version.output" <<'TXT'
-------------------[ ftd-edge1 ]--------------------
Model                     : Cisco Firepower Threat Defense for VMware (75) Version 7.2.5 (Build 208)
UUID                      : 5b1c2f4e-8a1d-11ea-9d1b-6c2b59e0a0f1
----------------------------------------------------
TXT
cat > "$silent/command-outputs/bin-df -h.output" <<'TXT'
Filesystem      Size  Used Avail Use% Mounted on
/dev/sda1        20G  9.1G  9.8G  49% /
devtmpfs        7.8G     0  7.8G   0% /dev
/dev/sda5        60G   21G   36G  37% /ngfw/Volume
TXT

mkdir -p "$out"
for name in full silent; do
  find "$tmp/$name" -exec touch -h -d "@$epoch" {} +
  tar --sort=name "--mtime=@$epoch" --owner=0 --group=0 --numeric-owner \
    -I 'gzip -n' -cf "$out/acme-$name.tar.gz" -C "$tmp/$name" "$root"
done
