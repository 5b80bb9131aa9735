//! Writing output files only where the user said: never through a symbolic link, never onto an
//! input or onto another output, and never half a file.
//!
//! A file is written to a temporary file in its own folder, then renamed over the target: a
//! reader sees the old file or the new one, a failed run leaves the old one, and an output that
//! happens to be the same file as something being read cannot be truncated while it is read. An
//! existing file keeps its permissions; a new one gets the usual `0666` less the umask (not the
//! `0600` of a bare temporary file).

use std::fs::{self, Permissions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why an output was refused.
#[derive(Debug, Error)]
#[error("{path}: {reason}")]
pub struct Refused {
    pub path: String,
    pub reason: String,
}

fn refused(path: &Path, reason: impl Into<String>) -> Refused {
    Refused {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Checks that `path` may be written as an output file: it is absent or a regular file, and
/// not a symbolic link (whatever it points to).
pub fn check_output_file(path: &Path) -> Result<(), Refused> {
    match fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.file_type().is_symlink() => Err(refused(
            path,
            "is a symbolic link; an output is never written through a link (remove it or choose another name)",
        )),
        Ok(m) if m.is_dir() => Err(refused(path, "is a folder, not a file")),
        Ok(m) if !m.is_file() => Err(refused(
            path,
            "is not a regular file (a device, FIFO or socket), which is never replaced; for \
             /dev/null or a pipe, leave out the option and redirect standard output",
        )),
        Ok(_) => Ok(()),
    }
}

/// Where `path` is, without following a link at its last component: the canonical form of its
/// folder joined with its name (so `./x`, `x` and `dir/../x` are one place, whether or not the
/// file exists yet).
pub fn resolved(path: &Path) -> PathBuf {
    let name = path.file_name();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (name, parent.canonicalize()) {
        (Some(name), Ok(dir)) => dir.join(name),
        _ => path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// Whether two paths name the same file: the same place ([`resolved`]), or, for existing
/// files, the same device and inode (hard links, links in the folders above).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if resolved(a) == resolved(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Whether `path` lies inside the folder `dir` (both resolved through their links).
pub fn is_inside(path: &Path, dir: &Path) -> bool {
    match dir.canonicalize() {
        Ok(dir) => resolved(path).starts_with(dir),
        Err(_) => false,
    }
}

/// Writes `bytes` to `path` (see the module documentation); a symbolic link at `path` is
/// refused with [`io::ErrorKind::InvalidInput`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_from(path, &mut &bytes[..])
}

/// [`write_atomic`] of what `source` reads.
pub fn write_atomic_from(path: &Path, source: &mut dyn Read) -> io::Result<()> {
    check_output_file(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let existing: Option<Permissions> = fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".fptriage-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    io::copy(source, &mut tmp)?;
    tmp.flush()?;
    if let Some(p) = existing {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_sees_through_spellings_and_hard_links() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        fs::write(&a, b"x").unwrap();
        assert!(same_file(&a, &tmp.path().join(".").join("a")));
        assert!(same_file(
            &tmp.path().join("new"),
            &tmp.path().join("./new")
        ));
        let b = tmp.path().join("b");
        fs::hard_link(&a, &b).unwrap();
        assert!(same_file(&a, &b));
        assert!(!same_file(&a, &tmp.path().join("c")));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_refused_and_modes_kept() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write_atomic(&link, b"new").is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep");

        fs::set_permissions(&target, Permissions::from_mode(0o640)).unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}
