//! Writes one big, realistic FTD troubleshoot bundle (`.tar.gz`) for benchmarks.
//!
//! Usage: `cargo run --release --example gen_big_bundle -- <OUT.tar.gz> [--size-mb N] [--members N]`
//! (`--size-mb`: uncompressed size, default 1024; `--members`: member count, default 20000).
//!
//! Why it looks like this: the analyzer must stream multi-GB bundles in one pass, so the bench
//! input has what real ones have: thousands of small text logs (syslog-ish lines, hex ids),
//! some incompressible binary members (rrd files, cores; about 10% of the bytes), a ~50 MB
//! logrus `connector.log`, and the SSE artifacts of the `dns-failure` test scenario split between
//! the middle and the very end of the archive (a reader that stops early or seeks misses them).
//! Expected result: `sse/dns-failure` as root cause, `sse/cloud-unreachable` and
//! `sse/not-enrolled` as its symptoms.
//!
//! The archive is streamed: every member is produced by a reader of exactly its declared size
//! while tar and gzip (flate2, level 6) consume it, so memory stays small whatever `--size-mb`.
//! Content is deterministic (fixed seed, fixed timestamps). Prints one summary line on stderr.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;

const MIB: u64 = 1024 * 1024;
/// 2020-04-19 14:35:49 -05:00, the collection time (and the bundle's top directory name).
const COLLECTED: i64 = 1_587_324_949;
const OFFSET_MIN: i64 = -300;
const TOP: &str = "results-04-19-2020--143549";
const HOST: &str = "ftd-dmz-a";

/// SplitMix64: deterministic and fast enough to fill hundreds of MB.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A reader of exactly `remaining` bytes, refilled chunk by chunk by `fill`. Text members end
/// on a line boundary (see the padding in `read`).
struct Gen<F: FnMut(&mut Vec<u8>)> {
    remaining: u64,
    buf: Vec<u8>,
    pos: usize,
    text: bool,
    fill: F,
}

impl<F: FnMut(&mut Vec<u8>)> Gen<F> {
    fn new(size: u64, text: bool, fill: F) -> Self {
        Gen {
            remaining: size,
            buf: Vec::with_capacity(128 * 1024),
            pos: 0,
            text,
            fill,
        }
    }
}

impl<F: FnMut(&mut Vec<u8>)> Read for Gen<F> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || out.is_empty() {
            return Ok(0);
        }
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            while self.buf.len() < 64 * 1024 {
                (self.fill)(&mut self.buf);
            }
            // Last chunk of a text member: blank out the line the size limit would cut, so
            // the member ends on a whole line (a line of spaces, which parsers skip).
            if self.text && (self.buf.len() as u64) >= self.remaining {
                let end = self.remaining as usize;
                let keep = self.buf[..end - 1]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |k| k + 1);
                self.buf[keep..end - 1].fill(b' ');
                self.buf[end - 1] = b'\n';
            }
        }
        let n = out
            .len()
            .min(self.buf.len() - self.pos)
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Local wall-clock fields of an instant at `OFFSET_MIN` (days-from-civil inverse, Hinnant).
fn local(unix: i64) -> (i64, u32, u32, u32, u32, u32) {
    let t = unix + OFFSET_MIN * 60;
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 {
        yoe + era * 400 + 1
    } else {
        yoe + era * 400
    };
    let s = t.rem_euclid(86_400);
    (
        y,
        m,
        d,
        (s / 3600) as u32,
        (s / 60 % 60) as u32,
        (s % 60) as u32,
    )
}

fn rfc3339(unix: i64, nanos: u64) -> String {
    let (y, m, d, h, mi, s) = local(unix);
    let o = OFFSET_MIN.abs();
    let sign = if OFFSET_MIN < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{nanos:09}{sign}{:02}:{:02}",
        o / 60,
        o % 60
    )
}

fn syslog_ts(unix: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, m, d, h, mi, s) = local(unix);
    format!("{} {d:2} {h:02}:{mi:02}:{s:02}", MONTHS[m as usize - 1])
}

/// Noise text: syslog-ish lines with pids and hex ids, in the style of the device's logs.
fn noise_fill(rng: &mut Rng, t: &mut i64) -> impl FnMut(&mut Vec<u8>) {
    let mut rng = Rng(rng.next());
    let mut t0 = *t;
    *t += 3600;
    move |buf: &mut Vec<u8>| {
        t0 += (rng.below(3)) as i64;
        let id = rng.next();
        let line = match rng.below(5) {
            0 => format!(
                "{} {HOST} SF-IMS[{}]: [{}] sfdatacorrelator:EventHandler [INFO] processed event batch id={id:016x} count={}\n",
                syslog_ts(t0),
                4000 + rng.below(900),
                4000 + rng.below(900),
                rng.below(5000)
            ),
            1 => format!(
                "{} {HOST} snort[{}]: [1:{}:3] flow {id:x} inspected, verdict=allow policy={:08x}\n",
                syslog_ts(t0),
                9000 + rng.below(90),
                20_000 + rng.below(9000),
                rng.next() as u32
            ),
            2 => format!(
                "{} {HOST} kernel: [{}.{:06}] eth{}: rx ring {} refill, cookie {id:016x}\n",
                syslog_ts(t0),
                100_000 + rng.below(900_000),
                rng.below(1_000_000),
                rng.below(4),
                rng.below(64)
            ),
            3 => format!(
                "{} {HOST} crond[{}]: (root) CMD (/usr/local/sf/bin/sfcron.pl --job {id:08x})\n",
                syslog_ts(t0),
                20_000 + rng.below(9000)
            ),
            _ => format!(
                "{} {HOST} sftunneld[3120]: [INFO] channel {} to peer 10.10.1.5 msg {id:016x} ack\n",
                syslog_ts(t0),
                rng.below(8)
            ),
        };
        buf.extend_from_slice(line.as_bytes());
    }
}

/// connector.log: three days of logrus lines ending at `end`, mostly info traffic to the US cloud;
/// with `fails`, the last ~10% are name-resolution failures for the SSE hosts (the dns-failure scenario), interleaved
/// with neutral lines that name no SSE host.
fn connector_fill(size: u64, end: i64, fails: bool) -> impl FnMut(&mut Vec<u8>) {
    let mut rng = Rng(0xc0_44ec_7012);
    // Time follows the position in the file, so the log ends just before collection whatever
    // the line lengths; the last tenth of the bytes is the failing period.
    let span_ms = 3 * 86_400_000_i64;
    let start_ms = (end - 60) * 1000 - span_ms;
    let mut produced = 0u64;
    let src = format!("{HOST}.cisco.com");
    move |buf: &mut Vec<u8>| {
        let frac = produced.min(size) as f64 / size as f64;
        let t_ms = start_ms + (span_ms as f64 * frac) as i64;
        let ts = rfc3339(t_ms.div_euclid(1000), rng.below(1_000_000_000));
        let failing = fails && frac >= 0.9;
        let (level, msg) = match (failing, rng.below(10)) {
            (false, 0..=3) => ("info", format!("[{src}][events.go:212 events:(*Service).forward] forwarded {} events to wss://eventing-ingest.sse.itd.cisco.com/v1/events", 1 + rng.below(400))),
            (false, 4..=6) => ("debug", format!("[{src}][heartbeat.go:57 heartbeat:(*Service).tick] heartbeat ok to wss://eventing-ingest.sse.itd.cisco.com/v1/events rtt={}ms", 20 + rng.below(60))),
            (false, 7) => ("info", "[{src}][registration.go:141 registration:(*Client).Refresh] token refreshed via https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients (52.4.85.66:443), status=\\\"Enrolled\\\"".replace("{src}", &src)),
            (false, 8) => ("error", format!("[{src}][events.go:233 events:(*Service).forward] event batch {:016x} rejected by EventHandler queue: buffer full, retrying", rng.next())),
            (true, 0..=2) => ("error", format!("[{src}][registration.go:118 registration:(*Client).Refresh] Post https://api-sse.cisco.com/providers/sse/services/registration/api/v2/clients: dial tcp: lookup api-sse.cisco.com on 10.0.0.2:53: no such host")),
            (true, 3..=4) => ("error", format!("[{src}][events.go:90 events:connectWebSocket] wss://eventing-ingest.sse.itd.cisco.com/v1/events: dial tcp: lookup eventing-ingest.sse.itd.cisco.com on 10.0.0.2:53: no such host")),
            _ => ("info", format!("[{src}][queue.go:71 queue:(*Spool).Stats] spool holds {} events ({} KB)", rng.below(90_000), rng.below(400_000))),
        };
        let line = format!("time=\"{ts}\" level={level} msg=\"{msg}\"\n");
        produced += line.len() as u64;
        buf.extend_from_slice(line.as_bytes());
    }
}

fn random_fill(seed: u64) -> impl FnMut(&mut Vec<u8>) {
    let mut rng = Rng(seed);
    move |buf: &mut Vec<u8>| {
        for _ in 0..1024 {
            buf.extend_from_slice(&rng.next().to_le_bytes());
        }
    }
}

/// Small SSE artifacts of the dns-failure scenario, in the formats of bundle-format.md.
fn sse_middle() -> Vec<(String, String)> {
    let co = "command-outputs";
    let da = "dir-archives";
    vec![
        (format!("{da}/etc/hostname"), format!("{HOST}\n")),
        (format!("{da}/etc/sf/ims.conf"), "SWVERSION=6.7.0.2\nAPPLIANCE_UUID=23857e39-73d8-aaa8-d97e-b1fef8789ff2\n".into()),
        (format!("{da}/etc/sf/connector.properties"), "registration_interval=180\nconnector_port=8989\nconnector_fqdn=api-sse.cisco.com\n".into()),
        (format!("{co}/usr-local-sf-bin-sfcli.pl show version.output"), format!("-------------------[ {HOST} ]--------------------\nModel                     : Cisco Firepower 2110 Threat Defense (77) Version 6.7.0.2 (Build 24)\nUUID                      : 23857e39-73d8-aaa8-d97e-b1fef8789ff2\nLSP version               : lsp-rel-20230712-1621\nVDB version               : 353\n----------------------------------------------------\n")),
        (format!("{co}/usr-local-sf-bin-pmtool status.output"), "SSEConnector (system) - Running 52366\nCommand: /ngfw/usr/local/sf/bin/SSEConnector\nPID File: /ngfw/var/sf/run/SSEConnector.pid\nEnable File: /ngfw/etc/sf/SSEConnector.run\nRequired by: EventHandler\nEventHandler (normal) - Running 11138\nCommand: /ngfw/usr/local/sf/bin/EventHandler\nPID File: /ngfw/var/sf/run/EventHandler.pid\nEnable File: /ngfw/etc/sf/EventHandler.run\n".into()),
        (format!("{co}/bin-netstat -anlp.output"), "Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \ntcp        0      0 127.0.0.1:8989          0.0.0.0:*               LISTEN      52366/connector     \ntcp        0      0 10.10.1.21:47046        35.172.147.246:443      SYN_SENT    52366/connector     \nActive UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\nunix  2      [ ACC ]     STREAM     LISTENING     382276   11138/EventHandler   /ngfw/var/sf/run/EventHandler_SSEConnector.sock\nunix  3      [ ]         STREAM     CONNECTED     378537   11138/EventHandler   /ngfw/var/sf/run/EventHandler_SSEConnector.sock\n".into()),
        (format!("{co}/usr-bin-lsof -i.output"), format!("COMMAND     PID  USER   FD   TYPE     DEVICE SIZE/OFF NODE NAME\nconnector 52366   www   10u  IPv4 3022789647      0t0  TCP localhost:8989 (LISTEN)\nconnector 52366   www   12u  IPv4  110237499      0t0  TCP {HOST}.cisco.com:50376->ec2-35-172-147-246.compute-1.amazonaws.com:https (SYN_SENT)\n")),
        (format!("{co}/usr-local-sf-bin-sfcli.pl show license status.output"), "Smart Licensing is ENABLED\n\nRegistration:\nStatus: REGISTERED\nExport-Controlled Functionality: Allowed\n\nLicense Authorization:\nStatus: AUTHORIZED on Feb 10 2020 08:20:02 UTC\n".into()),
        (format!("{da}/var-log/sf/cloud_events_config.json"), "[{\"type\":\"cloudevents\",\"enableService\":true,\"eventTypes\":[\"INTRUSION\",\"FILE_MALWARE\"]},{\"type\":\"CloudRegion\",\"current\":true,\"regionCode\":\"US\"}]\n".into()),
    ]
}

fn sse_end() -> Vec<(String, String)> {
    let co = "command-outputs";
    vec![
        (format!("{co}/usr-bin-curl localhost:8989-v1-contexts-default.output"), format!("{{\"clientInfo\":{{\"name\":\"{HOST}\",\"type\":\"FTD\",\"version\":\"6.7.0.2\"}},\"settings\":{{\"exchange\":{{\"fqdn\":\"api-sse.cisco.com\",\"registration\":{{\"refreshInterval\":180}}}}}},\"status\":\"Not Enrolled\"}}\n")),
        (format!("{co}/curl -v https:--api-sse.cisco.com.output"), "* Rebuilt URL to: https://api-sse.cisco.com/\n* Could not resolve host: api-sse.cisco.com\n* Closing connection 0\ncurl: (6) Could not resolve host: api-sse.cisco.com\n".into()),
        ("dir-archives/var-log/messages".into(), format!("{} {HOST} SF-IMS[4127]: [4127] sfmgr:connector [WARN] getaddrinfo(api-sse.cisco.com) failed: Temporary failure in name resolution\n", syslog_ts(COLLECTED - 1800))),
    ]
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(COLLECTED as u64);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

fn parse_args() -> Result<(String, u64, u64), String> {
    let usage = "usage: gen_big_bundle <OUT.tar.gz> [--size-mb N] [--members N]";
    let mut args = std::env::args().skip(1);
    let (mut out, mut size_mb, mut members) = (None, 1024, 20_000);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{name} needs a number; {usage}"))
        };
        match a.as_str() {
            "--size-mb" => size_mb = num("--size-mb")?,
            "--members" => members = num("--members")?,
            _ if out.is_none() && !a.starts_with("--") => out = Some(a),
            _ => return Err(usage.into()),
        }
    }
    Ok((out.ok_or(usage)?, size_mb.max(1), members.max(30)))
}

#[allow(
    clippy::print_stderr,
    reason = "a bench helper: the one-line summary is its output"
)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (out, size_mb, members) = parse_args()?;
    let total = size_mb * MIB;
    let connector_size = (50 * MIB).min(total / 4);
    let binary_budget = total / 10;
    let small: u64 = sse_middle()
        .iter()
        .chain(sse_end().iter())
        .map(|(_, c)| c.len() as u64)
        .sum();
    // Members other than the SSE ones and connector.log: 4 cores, the rest rrd or text.
    let noise_members =
        members.saturating_sub(sse_middle().len() as u64 + sse_end().len() as u64 + 2);
    let n_rrd = (noise_members / 20).max(1);
    let n_text = noise_members.saturating_sub(n_rrd + 4).max(1);
    let core_size = binary_budget / 2 / 4;
    let rrd_size = (binary_budget / 2 / n_rrd).max(1);
    let text_budget = total.saturating_sub(connector_size + binary_budget + small + 2 * MIB);
    let mut rng = Rng(0x000b_16b0_0d1e);
    // Text member sizes vary (1..8 weight) but add up to the text budget.
    let weights: Vec<u64> = (0..n_text).map(|_| 1 + rng.below(8)).collect();
    let wsum: u64 = weights.iter().sum();

    let file = BufWriter::with_capacity(1 << 20, File::create(&out)?);
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::new(6)));
    let mut written = 0u64;
    let mut count = 0u64;
    let mut t = COLLECTED - 40 * 86_400;
    let dirs = [
        "var-log/sf",
        "var-log/snort",
        "var-log/sfhealth",
        "opt-cisco-platform-logs",
        "var-log/ngfw/archive",
    ];
    let mut put =
        |tar: &mut tar::Builder<_>, path: &str, size: u64, r: &mut dyn Read| -> io::Result<()> {
            let mut h = header(size);
            tar.append_data(&mut h, format!("{TOP}/{path}"), r)?;
            written += size;
            count += 1;
            Ok(())
        };

    let middle = n_text / 2;
    let mut text_i = 0u64;
    let mut rrd_i = 0u64;
    let mut core_i = 0u64;
    for i in 0..noise_members {
        if i == middle {
            for (p, c) in sse_middle() {
                put(&mut tar, &p, c.len() as u64, &mut c.as_bytes())?;
            }
        }
        // Every 20th member binary; the 4 cores spread over the archive.
        if i % 20 == 7 && rrd_i < n_rrd {
            rrd_i += 1;
            let p = format!(
                "dir-archives/var-sf-rrd/host{}/LocalCpu{}Usage.rrd",
                rrd_i % 16,
                rrd_i
            );
            put(
                &mut tar,
                &p,
                rrd_size,
                &mut Gen::new(rrd_size, false, random_fill(rrd_i)),
            )?;
        } else if i % (noise_members / 4).max(1) == 11 && core_i < 4 {
            core_i += 1;
            let p = format!(
                "dir-archives/var-data-cores/core.lina.11.{}.{}",
                13_000 + core_i,
                COLLECTED - 86_400 * core_i as i64
            );
            put(
                &mut tar,
                &p,
                core_size,
                &mut Gen::new(core_size, false, random_fill(0xc0de + core_i)),
            )?;
        } else if text_i < n_text {
            let size = (text_budget * weights[text_i as usize] / wsum).max(1);
            let dir = dirs[(text_i % dirs.len() as u64) as usize];
            let p = format!(
                "dir-archives/{dir}/{:02}/sfmgr-{:08x}.log.{}",
                text_i % 97,
                rng.next() as u32,
                text_i % 5
            );
            text_i += 1;
            put(
                &mut tar,
                &p,
                size,
                &mut Gen::new(size, true, noise_fill(&mut rng, &mut t)),
            )?;
        }
    }

    // The end: rotated and current connector.log, then the remaining artifacts last of all.
    let mut rotated = GzEncoder::new(Vec::new(), Compression::new(6));
    let mut old = Gen::new(
        256 * 1024,
        true,
        connector_fill(256 * 1024, COLLECTED - 3 * 86_400, false),
    );
    io::copy(&mut old, &mut rotated)?;
    let rotated = rotated.finish()?;
    put(
        &mut tar,
        "dir-archives/var-log/connector/connector.log.2.gz",
        rotated.len() as u64,
        &mut rotated.as_slice(),
    )?;
    put(
        &mut tar,
        "dir-archives/var-log/connector/connector.log",
        connector_size,
        &mut Gen::new(
            connector_size,
            true,
            connector_fill(connector_size, COLLECTED, true),
        ),
    )?;
    for (p, c) in sse_end() {
        put(&mut tar, &p, c.len() as u64, &mut c.as_bytes())?;
    }
    let gz = tar.into_inner()?;
    let mut file = gz.finish()?;
    file.flush()?;
    let compressed = std::fs::metadata(&out)?.len();
    eprintln!(
        "gen_big_bundle: {out}: {count} members, {} MiB uncompressed, {} MiB compressed, {:.1}s",
        written / MIB,
        compressed / MIB,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
