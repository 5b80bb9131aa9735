//! Decompression on a second thread, overlapped with routing and parsing on the first.
//!
//! Inflating a tar.gz is the floor of the whole run; everything else (tar headers, routing,
//! parsing, matching) can hide under it if it runs concurrently. The inflater fills 2 MiB
//! buffers and hands them over a bounded channel, so memory stays at a few buffers whatever
//! the bundle's size. Large buffers matter: each hand-over may wake a sleeping thread on the
//! other core, and with 256 KiB buffers those wake-ups (thousands per GB) cost more than a
//! quarter of the wall time on this VM.
//!
//! An error of the decompressor (damage, truncation) is handed over after the data before it
//! and then returned on every later read: the tar reader skips members and drains the stream
//! after its end, and a clean end after an error would hide the damage.

use std::io::{self, BufReader, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::decode::{Compression, Gunzip, decompress, replay};

const CHUNK: usize = 2 << 20;
const IN_FLIGHT: usize = 6;
/// Compressed bytes read from the file at a time (larger reads only thrash the cache).
const INPUT_BUFFER: usize = 256 << 10;

/// A reader fed by a thread that inflates a gzip file.
pub struct ReadAhead {
    rx: Receiver<io::Result<Vec<u8>>>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
    failed: Option<io::Error>,
}

impl ReadAhead {
    pub fn gunzip<R: Read + Send + 'static>(file: R) -> ReadAhead {
        ReadAhead::spawn(move || Gunzip::new(BufReader::with_capacity(INPUT_BUFFER, file)))
    }

    /// Decompresses `codec` (xz, bzip2, zstd) on the second thread.
    pub fn decompress<R: Read + Send + 'static>(codec: Compression, file: R) -> ReadAhead {
        ReadAhead::spawn(move || decompress(codec, BufReader::with_capacity(INPUT_BUFFER, file)))
    }

    /// `open` builds the decoder on the second thread, so that it need not be `Send` itself.
    fn spawn<D: Read>(open: impl FnOnce() -> D + Send + 'static) -> ReadAhead {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(IN_FLIGHT);
        let (recycle, spare) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        thread::spawn(move || {
            let mut gz = open();
            loop {
                let mut buf = spare
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                buf.resize(CHUNK, 0);
                let mut filled = 0;
                let result = loop {
                    match gz.read(&mut buf[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == CHUNK {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(filled);
                let end = filled < CHUNK;
                if filled > 0 && tx.send(Ok(buf)).is_err() {
                    return; // the reader was dropped: stop inflating.
                }
                if let Err(e) = result {
                    let _ = tx.send(Err(e));
                    return;
                }
                if end {
                    return;
                }
            }
        });
        ReadAhead {
            rx,
            recycle,
            current: Vec::new(),
            pos: 0,
            done: false,
            failed: None,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.current.len() {
            if let Some(e) = &self.failed {
                return Err(replay(e));
            }
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(buf)) => {
                    let old = std::mem::replace(&mut self.current, buf);
                    let _ = self.recycle.try_send(old);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    self.failed = Some(replay(&e));
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
