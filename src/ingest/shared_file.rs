//! A file that several readers share, each at its own position.
//!
//! A zip is read on two threads (one inflates entry heads ahead of the other), and both need to
//! seek; a cloned `File` shares one cursor, so reads here are positional (`pread`) and each
//! clone keeps its own offset.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

#[derive(Clone)]
pub(crate) struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl SharedFile {
    pub(crate) fn new(file: File) -> io::Result<SharedFile> {
        let len = file.metadata()?.len();
        Ok(SharedFile {
            file: Arc::new(file),
            pos: 0,
            len,
        })
    }
}

impl Read for SharedFile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = read_at(&self.file, out, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, out: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, out, pos)
}

#[cfg(windows)]
fn read_at(file: &File, out: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, out, pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn clones_keep_their_own_positions() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(b"0123456789").unwrap();
        let mut a = SharedFile::new(tmp).unwrap();
        let mut b = a.clone();
        a.seek(SeekFrom::Start(6)).unwrap();
        b.seek(SeekFrom::End(-8)).unwrap();
        let (mut x, mut y) = ([0u8; 3], [0u8; 3]);
        a.read_exact(&mut x).unwrap();
        b.read_exact(&mut y).unwrap();
        assert_eq!((&x, &y), (b"678", b"234"));
        assert_eq!(a.read(&mut x).unwrap(), 1);
        assert_eq!(a.read(&mut x).unwrap(), 0);
        assert!(a.seek(SeekFrom::Current(-100)).is_err());
    }
}
