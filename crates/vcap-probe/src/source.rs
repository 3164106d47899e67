//! One source of input: the live system (root `/`) or a snapshot directory. Paths are resolved
//! component by component inside the root, so a link can never lead out of it, a loop of links
//! ends after [`MAX_LINK_HOPS`], and only regular files are ever opened (non-blocking, no follow).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use vcap_core::capture::{CpuidRead, DirEntry, Existence, FileRead, Listing};
use vcap_core::cpuid::CpuidDump;
use vcap_core::plan::CPUID_FILE;

/// Links followed while resolving one path before giving up (Linux's MAXSYMLINKS).
pub const MAX_LINK_HOPS: usize = 40;
/// Entries kept from one directory listing.
pub const MAX_DIR_ENTRIES: usize = 16384;
/// Size limit of `cpuid.txt` and `vcap-unreadable.txt` in a snapshot.
pub const MANIFEST_LIMIT: usize = 4 << 20;
/// The snapshot's list of unreadable files.
pub const UNREADABLE_FILE: &str = "vcap-unreadable.txt";

/// Why a source could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The snapshot directory does not exist or is not a directory.
    #[error("snapshot directory {0}: does not exist or is not a directory")]
    NoSnapshot(PathBuf),
}

/// Why a path did not resolve to something readable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fail {
    Absent,
    Unreadable(String),
}

#[derive(Debug, Clone)]
struct Resolved {
    /// The final component's `lstat`, when the resolution made one (saves a second one).
    meta: Option<fs::Metadata>,
    /// The real absolute path (no links), as on the probed machine.
    real: String,
    /// Links crossed: (real path of the link, target text).
    links: Vec<(String, String)>,
}

/// A place to read from.
#[derive(Debug)]
pub struct Source {
    root: PathBuf,
    snapshot: bool,
    unreadable: BTreeMap<String, String>,
    cache: RefCell<HashMap<String, Result<Resolved, Fail>>>,
}

impl Source {
    /// The live system.
    pub fn live() -> Source {
        Source {
            root: PathBuf::from("/"),
            snapshot: false,
            unreadable: BTreeMap::new(),
            cache: RefCell::default(),
        }
    }

    /// A snapshot directory. A missing directory is an error; a malformed
    /// `vcap-unreadable.txt` line is kept as an unreadable entry naming the line.
    pub fn snapshot(dir: &Path) -> Result<Source, SourceError> {
        if !fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Err(SourceError::NoSnapshot(dir.to_path_buf()));
        }
        let mut unreadable = BTreeMap::new();
        if let Ok(text) = read_bounded_plain(&dir.join(UNREADABLE_FILE), MANIFEST_LIMIT) {
            for (i, line) in String::from_utf8_lossy(&text).lines().enumerate() {
                let line = line.trim_end();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (path, reason) = line
                    .split_once('\t')
                    .or_else(|| line.split_once(' '))
                    .unwrap_or((line, "unreadable"));
                if path.starts_with('/') {
                    unreadable.insert(path.to_string(), reason.trim().to_string());
                } else {
                    unreadable.insert(
                        format!("{UNREADABLE_FILE}:{}", i + 1),
                        format!(
                            "malformed line (expected an absolute path, a tab, a reason): {line:?}"
                        ),
                    );
                }
            }
        }
        Ok(Source {
            root: dir.to_path_buf(),
            snapshot: true,
            unreadable,
            cache: RefCell::default(),
        })
    }

    /// Another reader of the same root, with its own path cache (for a second thread).
    pub fn fork(&self) -> Source {
        Source {
            root: self.root.clone(),
            snapshot: self.snapshot,
            unreadable: self.unreadable.clone(),
            cache: RefCell::default(),
        }
    }

    /// Whether this is a snapshot.
    pub fn is_snapshot(&self) -> bool {
        self.snapshot
    }

    /// The root directory (`/` when live).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Unreadable entries recorded in a snapshot that name no path the plan reads (e.g. its
    /// malformed lines), so the report still shows them.
    pub fn recorded_unreadable(&self) -> &BTreeMap<String, String> {
        &self.unreadable
    }

    fn host(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// Resolves `path` inside the root, following links in every component (and in the last one
    /// when `follow_last`). Directories are resolved once and cached, so a walk over hundreds of
    /// sysfs entries costs one `lstat` per new component.
    fn resolve(&self, path: &str, follow_last: bool) -> Result<Resolved, Fail> {
        self.resolve_hops(path, follow_last, 0)
    }

    fn resolve_hops(&self, path: &str, follow_last: bool, hops: usize) -> Result<Resolved, Fail> {
        let path = self.normalize(path, path)?;
        let Some((parent, name)) = path.rsplit_once('/') else {
            return Err(Fail::Unreadable(format!("not an absolute path: {path}")));
        };
        if name.is_empty() {
            return Ok(Resolved {
                real: "/".into(),
                links: Vec::new(),
                meta: None,
            });
        }
        let dir = self.resolve_dir(if parent.is_empty() { "/" } else { parent }, hops)?;
        let cand = format!("{}/{name}", dir.real.trim_end_matches('/'));
        let meta = fs::symlink_metadata(self.host(&cand)).map_err(|e| io_fail(&e))?;
        if !(meta.file_type().is_symlink() && follow_last) {
            return Ok(Resolved {
                real: cand,
                links: dir.links,
                meta: Some(meta),
            });
        }
        if hops + 1 > MAX_LINK_HOPS {
            return Err(Fail::Unreadable(format!(
                "too many levels of symbolic links resolving {path} (a loop?)"
            )));
        }
        let target = fs::read_link(self.host(&cand)).map_err(|e| io_fail(&e))?;
        let target = target.to_string_lossy().into_owned();
        let next = if target.starts_with('/') {
            if self.snapshot {
                return Err(Fail::Unreadable(format!(
                    "the link {cand} has an absolute target {target:?}, which leads out of the snapshot"
                )));
            }
            target.clone()
        } else {
            // The directory holding the link is real (no links in it), so `..` in the target
            // can be resolved lexically.
            format!("{}/{target}", dir.real.trim_end_matches('/'))
        };
        let next = self.normalize(&next, &path)?;
        let mut r = self.resolve_hops(&next, true, hops + 1)?;
        let mut links = dir.links;
        links.push((cand, target));
        links.append(&mut r.links);
        r.links = links;
        Ok(r)
    }

    /// A directory's resolution, from the cache when it was resolved before.
    fn resolve_dir(&self, dir: &str, hops: usize) -> Result<Resolved, Fail> {
        if dir == "/" {
            return Ok(Resolved {
                real: "/".into(),
                links: Vec::new(),
                meta: None,
            });
        }
        if let Some(r) = self.cache.borrow().get(dir) {
            return r.clone();
        }
        let r = self.resolve_hops(dir, true, hops);
        self.cache.borrow_mut().insert(dir.to_string(), r.clone());
        r
    }

    /// Removes `.` and empty components and applies `..` lexically; in a snapshot a `..` above
    /// the root leads out of it and is refused.
    fn normalize(&self, path: &str, asked: &str) -> Result<String, Fail> {
        let mut parts: Vec<&str> = Vec::new();
        for c in path.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() && self.snapshot {
                        return Err(Fail::Unreadable(format!(
                            "a link under {asked} leads out of the snapshot"
                        )));
                    }
                }
                c => parts.push(c),
            }
        }
        Ok(format!("/{}", parts.join("/")))
    }

    fn recorded(&self, path: &str, real: Option<&str>) -> Option<String> {
        self.unreadable
            .get(path)
            .or_else(|| real.and_then(|r| self.unreadable.get(r)))
            .cloned()
    }

    /// Reads at most `limit` bytes of a regular file.
    pub fn read_file(&self, path: &str, limit: usize) -> FileRead {
        if let Some(why) = self.recorded(path, None) {
            return FileRead::Unreadable(why);
        }
        let r = match self.resolve(path, true) {
            Ok(r) => r,
            Err(Fail::Absent) => return FileRead::Absent,
            Err(Fail::Unreadable(why)) => return FileRead::Unreadable(why),
        };
        if let Some(why) = self.recorded(path, Some(&r.real)) {
            return FileRead::Unreadable(why);
        }
        match read_bounded(&self.host(&r.real), limit, r.meta) {
            Ok((bytes, truncated)) => FileRead::Data { bytes, truncated },
            Err(Fail::Absent) => FileRead::Absent,
            Err(Fail::Unreadable(why)) => FileRead::Unreadable(why),
        }
    }

    /// Whether something exists at `path` (following links inside the root). Never opens it.
    pub fn exists(&self, path: &str) -> Existence {
        match self.resolve(path, true) {
            Ok(r) => match fs::symlink_metadata(self.host(&r.real)) {
                Ok(m) if m.is_dir() => Existence::Dir,
                Ok(_) => Existence::File,
                Err(_) => Existence::Absent,
            },
            Err(Fail::Absent) => Existence::Absent,
            Err(Fail::Unreadable(_)) => Existence::File,
        }
    }

    /// Lists a directory: names sorted, with link targets for entries that are links.
    pub fn list(&self, dir: &str) -> Listing {
        self.list_with(dir, true)
    }

    /// Lists a directory; link targets are read only when `links` is true.
    pub fn list_with(&self, dir: &str, links: bool) -> Listing {
        if let Some(why) = self.recorded(dir, None) {
            return Listing::Unreadable(why);
        }
        let r = match self.resolve(dir, true) {
            Ok(r) => r,
            Err(Fail::Absent) => return Listing::Absent,
            Err(Fail::Unreadable(why)) => return Listing::Unreadable(why),
        };
        let host = self.host(&r.real);
        let rd = match fs::read_dir(&host) {
            Ok(rd) => rd,
            Err(e) => {
                return match io_fail(&e) {
                    Fail::Absent => Listing::Absent,
                    Fail::Unreadable(w) => Listing::Unreadable(w),
                };
            }
        };
        let mut out = Vec::new();
        for ent in rd.flatten().take(MAX_DIR_ENTRIES) {
            let name = ent.file_name().to_string_lossy().into_owned();
            let link = match ent.file_type() {
                Ok(t) if links && t.is_symlink() => fs::read_link(ent.path())
                    .ok()
                    .map(|t| t.to_string_lossy().into_owned()),
                _ => None,
            };
            out.push(DirEntry { name, link });
        }
        out.sort();
        Listing::Entries(out)
    }

    /// The target text of the link at `path`, without following it; `None` when no link is there.
    pub fn read_link(&self, path: &str) -> Option<String> {
        let r = self.resolve(path, false).ok()?;
        fs::read_link(self.host(&r.real))
            .ok()
            .map(|t| t.to_string_lossy().into_owned())
    }

    /// The links crossed to reach `path` and its real location: what a snapshot must recreate.
    pub fn trace(&self, path: &str, follow_last: bool) -> Option<(String, Vec<(String, String)>)> {
        self.resolve(path, follow_last)
            .ok()
            .map(|r| (r.real, r.links))
    }

    /// CPUID: executed when live (x86 only), read from `cpuid.txt` in a snapshot.
    pub fn cpuid(&self) -> CpuidRead {
        if !self.snapshot {
            return crate::cpuid::live(vcap_core::plan::Scope::Full);
        }
        match read_bounded_plain(&self.root.join(CPUID_FILE), MANIFEST_LIMIT) {
            Err(Fail::Absent) => CpuidRead::NotObserved,
            Err(Fail::Unreadable(why)) => CpuidRead::Malformed(format!("{CPUID_FILE}: {why}")),
            Ok(bytes) => match std::str::from_utf8(&bytes) {
                Err(e) => CpuidRead::Malformed(format!(
                    "{CPUID_FILE}: not UTF-8 text at byte {}",
                    e.valid_up_to()
                )),
                Ok(text) => match CpuidDump::parse(text) {
                    Ok(d) => CpuidRead::Dump(d),
                    Err(e) => CpuidRead::Malformed(format!("{CPUID_FILE} {e}")),
                },
            },
        }
    }
}

fn io_fail(e: &std::io::Error) -> Fail {
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => Fail::Absent,
        ErrorKind::PermissionDenied => Fail::Unreadable("permission denied (root only)".into()),
        _ if e.raw_os_error() == Some(libc::ELOOP) => {
            Fail::Unreadable("a symbolic link where a file was expected".into())
        }
        _ => Fail::Unreadable(e.to_string()),
    }
}

/// Opens a regular file without following a final link and without blocking (a FIFO or device is
/// refused before any read), then reads at most `limit` bytes.
fn read_bounded(
    path: &Path,
    limit: usize,
    meta: Option<fs::Metadata>,
) -> Result<(Vec<u8>, bool), Fail> {
    let meta = match meta {
        Some(m) => m,
        None => fs::symlink_metadata(path).map_err(|e| io_fail(&e))?,
    };
    let ft = meta.file_type();
    if !ft.is_file() {
        let what = if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_char_device() || ft.is_block_device() {
            "a device"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(Fail::Unreadable(format!("{what}: not read")));
    }
    let f: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| io_fail(&e))?;
    // Re-check on the open descriptor: the path may have been swapped since the lstat.
    if !f.metadata().map_err(|e| io_fail(&e))?.is_file() {
        return Err(Fail::Unreadable("not a regular file: not read".into()));
    }
    let mut buf = Vec::with_capacity(limit.min(4096));
    f.take(limit as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| io_fail(&e))?;
    let truncated = buf.len() > limit;
    buf.truncate(limit);
    Ok((buf, truncated))
}

fn read_bounded_plain(path: &Path, limit: usize) -> Result<Vec<u8>, Fail> {
    let (b, truncated) = read_bounded(path, limit, None)?;
    if truncated {
        return Err(Fail::Unreadable(format!("larger than {limit} bytes")));
    }
    Ok(b)
}
