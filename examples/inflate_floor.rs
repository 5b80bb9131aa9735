//! The floor for any tool that reads a tar.gz: inflate it once (flate2 with zlib-rs, 256 KiB
//! reads) and discard the bytes. `benches/bench.sh` compares `fptriage analyze` against it.

#![allow(clippy::print_stderr)]

use std::io::{BufReader, Read};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: inflate_floor <file.tar.gz>");
    let file = std::fs::File::open(&path).expect("open");
    let mut gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 << 10, file));
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0u64;
    loop {
        let n = gz.read(&mut buf).expect("inflate");
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    eprintln!("{total} bytes inflated");
}
