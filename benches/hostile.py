#!/usr/bin/env python3
"""Times fptriage on a corpus of hostile uploads: the worst cases for memory, CPU and report size.

Run by hand (not in CI): `python3 benches/hostile.py [--keep DIR]`. It builds the release binary,
writes each hostile input of issue 12 to a temporary folder (Python's tarfile, gzip, zipfile and
lzma write real archives; the zip bomb's overlapping central directory is written by hand, as
such bombs are), runs `fptriage analyze INPUT --format json` on each under GNU time, and prints
per input: compressed size, wall seconds, peak RSS, report size, exit code and the warning codes
the report names. The tests in tests/hostile.rs assert the same behaviours on smaller or equal
inputs; this script measures them at full size in a release build.

The goal (issue 12): peak RSS under 64 MiB and a report of at most ~1 MiB plus evidence on any
input, and under 10 s for anything that decompresses to at most 1 GiB.
"""

import argparse
import gzip
import io
import json
import lzma
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "fptriage")
TOP = "results-04-19-2020--143549"
MiB = 1 << 20


class Zeros(io.RawIOBase):
    """`n` bytes of a repeated pattern, streamed (never held whole)."""

    def __init__(self, n, pattern=b"\0"):
        self.left = n
        self.chunk = (pattern * (MiB // len(pattern) + 1))[:MiB]

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left, len(self.chunk))
        b[:n] = self.chunk[:n]
        self.left -= n
        return n


def add(tar, name, data=None, size=None, stream=None, pax=None):
    info = tarfile.TarInfo(name)
    info.mtime = 1586806502
    if pax:
        info.pax_headers = pax
    if stream is not None:
        info.size = size
        tar.addfile(info, stream)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def identity(tar, top=TOP, host="fmc-hostile"):
    add(tar, f"{top}/dir-archives/etc/hostname", f"{host}\n".encode())
    add(
        tar,
        f"{top}/dir-archives/etc/sf/sf-version",
        b"Cisco Firepower Management Center for VMWare v7.2.5 (build 208)\n",
    )


def targz(path, fill, fmt=tarfile.GNU_FORMAT):
    with gzip.open(path, "wb", compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=fmt) as tar:
            fill(tar)


def documents(path):
    """40 members of 32 MiB that look like command outputs (netstat)."""

    def fill(tar):
        identity(tar)
        line = b"unix  3      [ ]         STREAM     CONNECTED     11111    1/init\n"
        for i in range(40):
            add(
                tar,
                f"{TOP}/command-outputs/bin-netstat -anp {i}.output",
                stream=Zeros(32 * MiB, b"Active UNIX domain sockets (w/o servers)\n" + line * 50),
                size=32 * MiB,
            )

    targz(path, fill)


def json_array(path):
    """A 32 MiB JSON document of 16 million small values, recognised as licensing."""

    def fill(tar):
        identity(tar)
        body = b'{"registrationStatus": "REGISTERED", "v": [' + b"0," * (16 * MiB) + b"0]}"
        add(tar, f"{TOP}/dir-archives/var-sf-sse/license_status.json", body)

    targz(path, fill)


def json_nested(path, levels):
    """Deeply nested JSON objects, recognised as cloud settings."""

    def fill(tar):
        identity(tar)
        body = b'{"type": "CloudEventsConfig", "x": ' + b'{"a":' * levels + b"1" + b"}" * levels + b"}"
        add(tar, f"{TOP}/dir-archives/var-sf-sse/cloud_settings.json", body)

    targz(path, fill)


def long_names(path):
    """10,000 members with 60 KB names (GNU long names), each a connector log."""

    def fill(tar):
        identity(tar)
        folder = "/".join(["d" * 250] * 240)
        for i in range(10_000):
            add(tar, f"{TOP}/dir-archives/{folder}/var-log/connector/connector.log.{i}", b"x\n")

    targz(path, fill)


def huge_host_name(path):
    """A 32 MiB host name, and a 30 MB connector.properties line."""

    def fill(tar):
        add(tar, f"{TOP}/dir-archives/etc/hostname", b"h" * (32 * MiB) + b"\n")
        add(
            tar,
            f"{TOP}/dir-archives/etc/sf/connector.properties",
            b"connector_fqdn=" + b"a" * (30 * 1000 * 1000) + b"\nconnector_port=8989\n",
        )

    targz(path, fill)


def dot_dot(path):
    """200,000 `../` members."""

    def fill(tar):
        identity(tar)
        for i in range(200_000):
            add(tar, f"../../etc/x{i}", b"")

    targz(path, fill)


def nested_zips(path, levels=4, size=60 * MiB):
    """A chain of zips, each ~60 MiB (stored), a bundle at the bottom."""
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w", format=tarfile.GNU_FORMAT) as tar:
        identity(tar)
    data = inner.getvalue()
    for level in range(levels):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            z.writestr(f"level{level}.{'zip' if level else 'tar'}", data)
            z.writestr("padding.bin", os.urandom(size // levels))
        data = out.getvalue()
    with open(path, "wb") as f:
        f.write(data)


def overlapping_zip(path, entries=256, size=256 * MiB):
    """Fifield's "better zip bomb" shape: many central-directory entries, one deflated member."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = bytearray()
    crc = 0
    chunk = b"\0" * MiB
    for _ in range(size // MiB):
        deflated += comp.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    deflated += comp.flush()
    name = f"{TOP}/dir-archives/var-log/connector/connector.log".encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), size, len(name), 0
    )
    body = local + name + bytes(deflated)
    central = bytearray()
    for i in range(entries):
        n = name + f".{i}".encode()
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(deflated), size, len(n), 0, 0, 0, 0, 0, 0,
        ) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(central), len(body), 0)
    with open(path, "wb") as f:
        f.write(body + central + end)


def pax_size(path):
    """A wrapper: a member claiming size=1e17, then another device's clean bundle."""
    clean = io.BytesIO()
    with gzip.GzipFile(fileobj=clean, mode="wb") as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
            identity(tar, host="ftd-clean")
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        add(tar, "bad.bin", b"x" * 512, pax={"size": "100000000000000000"})
        add(tar, "clean-troubleshoot.tar.gz", clean.getvalue())


def xz_named_gz(path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        identity(tar)
    with open(path, "wb") as f:
        f.write(lzma.compress(raw.getvalue()))


def bad_crc(path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        identity(tar)
    data = bytearray(gzip.compress(raw.getvalue()))
    data[-8] ^= 0xFF  # the CRC32 of the trailer
    with open(path, "wb") as f:
        f.write(bytes(data) + b"trailing garbage")


CORPUS = [
    ("documents-40x32MiB.tar.gz", documents),
    ("json-16M-values.tar.gz", json_array),
    ("json-2.3M-nested.tar.gz", lambda p: json_nested(p, 2_300_000)),
    ("json-100k-nested.tar.gz", lambda p: json_nested(p, 100_000)),
    ("long-names-10k.tar.gz", long_names),
    ("huge-host-name.tar.gz", huge_host_name),
    ("dotdot-200k.tar.gz", dot_dot),
    ("nested-zips.zip", nested_zips),
    ("overlapping-zip-bomb.zip", overlapping_zip),
    ("pax-size-1e17.tar", pax_size),
    ("xz-named.tar.gz", xz_named_gz),
    ("bad-crc-trailing.tar.gz", bad_crc),
]


def measure(path):
    with tempfile.NamedTemporaryFile("r") as rss, tempfile.NamedTemporaryFile("rb") as report:
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", rss.name, BIN, "analyze", path, "--format", "json"]
        with open(report.name, "wb") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL)
        wall, kib = rss.read().split()[-2:]
        text = open(report.name, "rb").read()
    codes = []
    try:
        codes = sorted({w["code"] for w in json.loads(text).get("warnings", [])})
    except (ValueError, AttributeError):
        pass
    return float(wall), int(kib) / 1024, len(text), proc.returncode, codes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", help="write the corpus here and keep it")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    folder = args.keep or tempfile.mkdtemp(prefix="fptriage-hostile-")
    os.makedirs(folder, exist_ok=True)
    print(f"{'input':<28} {'size':>9} {'wall s':>7} {'RSS MiB':>8} {'report':>9} exit  warnings")
    worst = (0, 0, "")
    for name, make in CORPUS:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            make(path)
        wall, rss, report, code, codes = measure(path)
        worst = max(worst, (rss, wall, name))
        print(
            f"{name:<28} {os.path.getsize(path):>9} {wall:>7.2f} {rss:>8.1f} {report:>9} {code:>4}  {','.join(codes)}"
        )
    print(f"worst peak RSS: {worst[0]:.1f} MiB ({worst[2]}, {worst[1]:.2f} s)")
    if not args.keep:
        for name, _ in CORPUS:
            try:
                os.remove(os.path.join(folder, name))
            except FileNotFoundError:
                pass
        os.rmdir(folder)


if __name__ == "__main__":
    sys.exit(main())
