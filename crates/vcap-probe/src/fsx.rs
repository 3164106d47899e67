//! The few file-system calls the probe and the snapshot writer make about a path's kind, made
//! with `stat`/`lstat` (`newfstatat`) through rustix rather than std's `statx`.
//!
//! PRoot 5.1 (Debian 12's) translates paths for the system calls it knows and passes `statx`
//! through untranslated, so under `proot -r DIR` std's `metadata`, `symlink_metadata`,
//! `Path::is_dir` and `create_dir_all` (which checks an existing directory with `statx`) answer
//! for the machine's own root instead of DIR: `vcap snapshot` failed there with "File exists"
//! (`crates/vcap-cli/tests/containers.rs` runs it under PRoot). Opening, reading, `mkdir`,
//! `symlink` and `readlink` are translated and stay std's or rustix's own.

use std::io;
use std::path::Path;

use rustix::fs::{self as rfs, FileType, Mode};
use rustix::io::Errno;

/// The kind of what `path` names, the last link not followed (`lstat`).
pub(crate) fn kind_nofollow(path: &Path) -> io::Result<FileType> {
    Ok(FileType::from_raw_mode(rfs::lstat(path)?.st_mode))
}

/// Whether `path` names something (the last link not followed); an error other than "not
/// there" is returned.
pub(crate) fn exists_nofollow(path: &Path) -> io::Result<bool> {
    match rfs::lstat(path) {
        Ok(_) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether `path` is a directory, links followed (`stat`).
pub(crate) fn is_dir(path: &Path) -> bool {
    rfs::stat(path).is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

/// Creates `path` and every missing parent, as `std::fs::create_dir_all` does (mode 0777 less
/// the umask), without its `statx`: a component that exists must be a directory.
pub(crate) fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut at = std::path::PathBuf::new();
    for part in path.components() {
        at.push(part);
        match rfs::mkdir(&at, Mode::from_raw_mode(0o777)) {
            Ok(()) => {}
            Err(Errno::EXIST) if is_dir(&at) => {}
            Err(Errno::EXIST) => return Err(Errno::NOTDIR.into()),
            // The root and other existing directories one may not write in.
            Err(Errno::ACCESS | Errno::PERM | Errno::ROFS) if is_dir(&at) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_dir_all_makes_every_level_and_refuses_a_file_in_the_way() {
        let d = std::env::temp_dir().join(format!("vcap-fsx-{}", std::process::id()));
        let deep = d.join("a/b/c");
        create_dir_all(&deep).unwrap();
        assert!(is_dir(&deep));
        // Again: everything exists already.
        create_dir_all(&deep).unwrap();
        std::fs::write(d.join("a/file"), b"").unwrap();
        let e = create_dir_all(&d.join("a/file/x")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(Errno::NOTDIR.raw_os_error()));
        assert!(exists_nofollow(&d.join("a/file")).unwrap());
        assert!(!exists_nofollow(&d.join("a/none")).unwrap());
        std::os::unix::fs::symlink("missing", d.join("dangling")).unwrap();
        assert!(exists_nofollow(&d.join("dangling")).unwrap());
        assert_eq!(
            kind_nofollow(&d.join("dangling")).unwrap(),
            FileType::Symlink
        );
        assert!(!is_dir(&d.join("dangling")));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
