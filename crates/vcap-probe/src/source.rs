//! One source of input: the live system (root `/`) or a snapshot directory.
//!
//! A snapshot is untrusted input: its paths are resolved component by component inside the root,
//! so a link can never lead out of it and a loop of links ends after [`MAX_LINK_HOPS`]. The live
//! system's paths are the plan's fixed kernel paths (sysfs, procfs), which the kernel resolves in
//! one system call; the component walk is still used there to trace the links a snapshot must
//! recreate. Either way only regular files are ever opened, and without blocking.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use vcap_core::input::capture::{CpuidRead, DirEntry, Existence, FileRead, Listing, MsrRead};
use vcap_core::input::plan::{CPUID_FILE, MSR_DEVICE, MSR_FILE};
use vcap_core::parse::cpuid::CpuidDump;
use vcap_core::parse::pci_config;

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
    /// The real absolute path (no links), as on the probed machine.
    real: String,
    /// Links crossed: (real path of the link, target text).
    links: Vec<(String, String)>,
}

/// A place to read from: the live system or a snapshot of one. Both answer every read the same
/// way ([`FileRead`], [`Listing`], …), so the probe does not know which it reads.
#[derive(Debug)]
pub enum Source {
    /// The live system.
    Live(Live),
    /// A snapshot directory.
    Snapshot(Snapshot),
}

/// The live system: the plan's fixed kernel paths, opened as they are (the kernel resolves
/// their links), and PCI config space read field by field.
#[derive(Debug)]
pub struct Live {
    /// The directory read last: its path and handle (or why it could not be opened).
    last_dir: RefCell<Option<LiveDir>>,
    /// Traces the links a snapshot must recreate.
    links: Resolver,
}

/// A snapshot directory (untrusted): every path resolved inside it, component by component.
#[derive(Debug)]
pub struct Snapshot {
    /// Paths resolved inside the snapshot's root.
    paths: Resolver,
    /// Its `vcap-unreadable.txt`: path (or malformed line) → reason.
    unreadable: BTreeMap<String, String>,
}

/// A live directory handle and the path it was opened by.
#[derive(Debug)]
struct LiveDir {
    path: String,
    fd: Result<OwnedFd, Fail>,
}

/// Resolves paths under a root link by link, caching directories.
#[derive(Debug)]
struct Resolver {
    root: PathBuf,
    /// Whether leaving the root is refused (a snapshot) or stays at the root, as `/..` does.
    confined: bool,
    cache: RefCell<HashMap<String, Result<Resolved, Fail>>>,
}

impl Source {
    /// The live system.
    pub fn live() -> Source {
        Source::Live(Live {
            last_dir: RefCell::default(),
            links: Resolver::new(PathBuf::from("/"), false),
        })
    }

    /// A snapshot directory. A missing directory is an error; a malformed
    /// `vcap-unreadable.txt` line is kept as an unreadable entry naming the line.
    pub fn snapshot(dir: &Path) -> Result<Source, SourceError> {
        Snapshot::open(dir).map(Source::Snapshot)
    }

    /// Whether this is a snapshot.
    pub fn is_snapshot(&self) -> bool {
        matches!(self, Source::Snapshot(_))
    }

    /// The root directory (`/` when live).
    pub fn root(&self) -> &Path {
        match self {
            Source::Live(l) => &l.links.root,
            Source::Snapshot(s) => &s.paths.root,
        }
    }

    /// Unreadable entries recorded in a snapshot that name no path the plan reads (e.g. its
    /// malformed lines), so the report still shows them; none live.
    pub fn recorded_unreadable(&self) -> &BTreeMap<String, String> {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        match self {
            Source::Live(_) => &NONE,
            Source::Snapshot(s) => &s.unreadable,
        }
    }

    /// Reads a PCI function's config space (`/sys/bus/pci/devices/*/config`) for the parser:
    /// live, only the parts it decodes (kept as the spans read); a snapshot holds whole
    /// spaces (`Scope::Snapshot`) and is read whole.
    pub fn read_pci_config(&self, path: &str, limit: usize) -> FileRead {
        match self {
            Source::Live(l) => l.read_pci_config(path, limit),
            Source::Snapshot(s) => s.read_file(path, limit),
        }
    }

    /// Reads at most `limit` bytes of a regular file.
    pub fn read_file(&self, path: &str, limit: usize) -> FileRead {
        match self {
            Source::Live(l) => l.read_file(path, limit),
            Source::Snapshot(s) => s.read_file(path, limit),
        }
    }

    /// Reads the kernel log: live, the records of `/dev/kmsg` (the one device vcap opens: read
    /// without blocking, one record per read, at most
    /// [`vcap_core::input::plan::KERNEL_LOG_RECORDS`] records and `limit` bytes of messages, each
    /// record's message text on one line); a snapshot's copy is a regular file read as any other.
    pub fn read_kernel_log(&self, path: &str, limit: usize) -> FileRead {
        match self {
            Source::Live(_) => file_read(read_kmsg(path, limit)),
            Source::Snapshot(s) => s.read_file(path, limit),
        }
    }

    /// Reads the name of the process tracing this one ([`vcap_core::input::plan::TRACER_COMM`]):
    /// live, `TracerPid` from `/proc/self/status` and then at most `limit` bytes of
    /// `/proc/<pid>/comm` (empty when nothing traces this process); a snapshot's copy is a
    /// regular file read as any other.
    pub fn read_tracer_comm(&self, path: &str, limit: usize) -> FileRead {
        match self {
            Source::Live(l) => l.read_tracer_comm(limit),
            Source::Snapshot(s) => s.read_file(path, limit),
        }
    }

    /// Reads this process's own `container=` entry when it runs as PID 1
    /// ([`vcap_core::input::plan::PID1_SELF`]): live, `container=VALUE` and a NUL (at most
    /// `limit` bytes), empty when the variable is unset, absent when this process is not PID 1;
    /// a snapshot's copy is a regular file read as any other.
    pub fn read_own_environ_as_pid1(&self, path: &str, limit: usize) -> FileRead {
        match self {
            Source::Live(_) => own_environ_as_pid1(std::process::id(), limit),
            Source::Snapshot(s) => s.read_file(path, limit),
        }
    }

    /// Whether something exists at `path` (following links inside the root). Never opens it.
    /// Live, with `stat` (`newfstatat`) rather than std's `statx`: PRoot 5.1 (Debian 12's)
    /// does not translate `statx`, so under `proot -r DIR` std would answer for the machine's
    /// own root instead of DIR (`/.dockerenv` of the container PRoot runs in).
    pub fn exists(&self, path: &str) -> Existence {
        match self {
            Source::Live(_) => match rfs::stat(path) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                    Existence::Dir
                }
                Ok(_) => Existence::File,
                Err(e) => match errno_fail(e) {
                    Fail::Absent => Existence::Absent,
                    Fail::Unreadable(_) => Existence::File,
                },
            },
            Source::Snapshot(s) => s.exists(path),
        }
    }

    /// Lists a directory: names sorted, with link targets for entries that are links.
    pub fn list(&self, dir: &str) -> Listing {
        self.list_with(dir, true)
    }

    /// Lists a directory; link targets are read only when `links` is true.
    pub fn list_with(&self, dir: &str, links: bool) -> Listing {
        match self {
            Source::Live(_) => list_host(Path::new(dir), links),
            Source::Snapshot(s) => s.list_with(dir, links),
        }
    }

    /// The target text of the link at `path`, without following it; `None` when no link is there.
    pub fn read_link(&self, path: &str) -> Option<String> {
        let at = match self {
            Source::Live(_) => PathBuf::from(path),
            Source::Snapshot(s) => s.paths.host(&s.paths.resolve(path, false).ok()?.real),
        };
        fs::read_link(at)
            .ok()
            .map(|t| t.to_string_lossy().into_owned())
    }

    /// The links crossed to reach `path` and its real location: what a snapshot must recreate.
    pub fn trace(&self, path: &str, follow_last: bool) -> Option<(String, Vec<(String, String)>)> {
        let paths = match self {
            Source::Live(l) => &l.links,
            Source::Snapshot(s) => &s.paths,
        };
        paths
            .resolve(path, follow_last)
            .ok()
            .map(|r| (r.real, r.links))
    }

    /// AMD's SEV status MSR: read live through `/dev/cpu/0/msr` only where `cpuid` shows an AMD
    /// guest whose CPU reports SEV (systemd's `detect_sev()` condition); read from `msr.txt` in a
    /// snapshot. The msr device is the one device the probe opens: a character device whose
    /// `pread` at the MSR's index executes RDMSR on CPU 0 (Linux arch/x86/kernel/msr.c).
    pub fn sev_status(&self, cpuid: &CpuidRead) -> MsrRead {
        match self {
            Source::Live(_) => match cpuid {
                CpuidRead::Dump(d) if vcap_core::detect::cvm::reads_sev_msr(d) => {
                    read_msr(vcap_core::input::plan::MSR_SEV_STATUS)
                }
                _ => MsrRead::NotObserved,
            },
            Source::Snapshot(s) => {
                match read_bounded_plain(&s.paths.root.join(MSR_FILE), MANIFEST_LIMIT) {
                    Err(Fail::Absent) => MsrRead::NotObserved,
                    Err(Fail::Unreadable(why)) => MsrRead::Unreadable(format!("{MSR_FILE}: {why}")),
                    Ok(b) => match MsrRead::parse_record(&String::from_utf8_lossy(&b)) {
                        Ok(r) => r,
                        Err(e) => MsrRead::Unreadable(format!("{MSR_FILE} malformed: {e}")),
                    },
                }
            }
        }
    }

    /// CPUID: executed when live (x86 only; the whole dump, as `vcap snapshot` stores it), read
    /// from `cpuid.txt` in a snapshot.
    pub fn cpuid(&self) -> CpuidRead {
        self.cpuid_for(vcap_core::input::plan::Scope::Snapshot)
    }

    /// CPUID as [`Source::cpuid`], executing live only the leaves `scope` needs.
    pub fn cpuid_for(&self, scope: vcap_core::input::plan::Scope) -> CpuidRead {
        match self {
            Source::Live(_) => crate::cpuid::live(scope),
            Source::Snapshot(s) => s.cpuid(),
        }
    }
}

impl Live {
    /// A live read: the file's directory is opened (`O_PATH`) and the file relative to it, and
    /// the handle is kept for the next read, so a run of reads in one directory (the DMI
    /// fields, a bus entry's attributes) walks the directory's path and its links once. Only
    /// the last directory is kept: a server's walk visits hundreds, and descriptors are limited.
    fn open(&self, path: &str) -> Result<(File, u64), Fail> {
        let Some((parent, name)) = path.rsplit_once('/') else {
            return Err(Fail::Unreadable(format!("not an absolute path: {path}")));
        };
        let parent = if parent.is_empty() { "/" } else { parent };
        let mut last = self.last_dir.borrow_mut();
        let dir = match last.take() {
            Some(d) if d.path == parent => d,
            _ => LiveDir {
                path: parent.to_string(),
                fd: rfs::open(
                    parent,
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(errno_fail),
            },
        };
        let r = match &dir.fd {
            Ok(fd) => open_regular(fd.as_fd(), Path::new(name), Follow::Yes, Recheck::No),
            Err(f) => Err(f.clone()),
        };
        *last = Some(dir);
        r
    }

    /// Reads at most `limit` bytes of a regular file.
    fn read_file(&self, path: &str, limit: usize) -> FileRead {
        file_read(
            self.open(path)
                .and_then(|(f, _)| read_to_limit(f, limit, End::of(path))),
        )
    }

    /// The tracer's `comm`, as systemd's `detect_container()` finds it: `TracerPid` of
    /// `/proc/self/status` (0 when untraced), then `/proc/<pid>/comm`.
    fn read_tracer_comm(&self, limit: usize) -> FileRead {
        const STATUS: &str = "/proc/self/status";
        let status = self.read_file(STATUS, 64 * 1024);
        let FileRead::Data { bytes, .. } = &status else {
            return status;
        };
        match tracer_pid(bytes) {
            Ok(0) => FileRead::Data {
                bytes: Vec::new(),
                truncated: false,
            },
            Ok(pid) => self.read_file(&format!("/proc/{pid}/comm"), limit),
            Err(why) => FileRead::Unreadable(format!("{STATUS}: {why}")),
        }
    }

    /// Reads only the fields of a config space the parser decodes, each with its own `pread`,
    /// and keeps them as the [`Parts`](vcap_core::input::capture::Parts) read, with the readable length (64 bytes without root).
    /// In a VM every config access traps to the hypervisor, 11–33 µs each on the development
    /// machine's hosts, so reading 4 KiB whole costs milliseconds per function where the parser
    /// needs a dozen accesses.
    fn read_pci_config(&self, path: &str, limit: usize) -> FileRead {
        let (file, size) = match self.open(path) {
            Ok(f) => f,
            Err(f) => return file_read(Err(f)),
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let mut rec = pci_config::Recording::new(LiveConfig::new(size.min(limit), |at, buf| {
            pread_file(&file, at, buf)
        }));
        let _ = pci_config::parse_space(&mut rec);
        if let Some(f) = &rec.space().error {
            return file_read(Err(f.clone()));
        }
        FileRead::Parts(rec.into_parts())
    }
}

impl Snapshot {
    fn open(dir: &Path) -> Result<Snapshot, SourceError> {
        if !crate::fsx::is_dir(dir) {
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
        Ok(Snapshot {
            paths: Resolver::new(dir.to_path_buf(), true),
            unreadable,
        })
    }

    fn recorded(&self, path: &str, real: Option<&str>) -> Option<String> {
        self.unreadable
            .get(path)
            .or_else(|| real.and_then(|r| self.unreadable.get(r)))
            .cloned()
    }

    fn read_file(&self, path: &str, limit: usize) -> FileRead {
        if let Some(why) = self.recorded(path, None) {
            return FileRead::Unreadable(why);
        }
        let r = match self.paths.resolve(path, true) {
            Ok(r) => r,
            Err(Fail::Absent) => return FileRead::Absent,
            Err(Fail::Unreadable(why)) => return FileRead::Unreadable(why),
        };
        if let Some(why) = self.recorded(path, Some(&r.real)) {
            return FileRead::Unreadable(why);
        }
        file_read(read_bounded(
            rfs::CWD,
            &self.paths.host(&r.real),
            limit,
            Follow::No,
        ))
    }

    fn exists(&self, path: &str) -> Existence {
        match self.paths.resolve(path, true) {
            Ok(r) => match crate::fsx::kind_nofollow(&self.paths.host(&r.real)) {
                Ok(FileType::Directory) => Existence::Dir,
                Ok(_) => Existence::File,
                Err(_) => Existence::Absent,
            },
            Err(Fail::Absent) => Existence::Absent,
            Err(Fail::Unreadable(_)) => Existence::File,
        }
    }

    fn list_with(&self, dir: &str, links: bool) -> Listing {
        if let Some(why) = self.recorded(dir, None) {
            return Listing::Unreadable(why);
        }
        match self.paths.resolve(dir, true) {
            Ok(r) => list_host(&self.paths.host(&r.real), links),
            Err(Fail::Absent) => Listing::Absent,
            Err(Fail::Unreadable(why)) => Listing::Unreadable(why),
        }
    }

    fn cpuid(&self) -> CpuidRead {
        match read_bounded_plain(&self.paths.root.join(CPUID_FILE), MANIFEST_LIMIT) {
            Err(Fail::Absent) => CpuidRead::NotObserved,
            Err(Fail::Unreadable(why)) => CpuidRead::Malformed(format!("{CPUID_FILE}: {why}")),
            Ok(bytes) => match std::str::from_utf8(&bytes) {
                Err(e) => CpuidRead::Malformed(format!(
                    "{CPUID_FILE}: not UTF-8 text at byte {}",
                    e.valid_up_to()
                )),
                Ok(text) => match CpuidDump::parse_from(text, CPUID_FILE) {
                    Ok(d) => CpuidRead::Dump(d),
                    Err(e) => CpuidRead::Malformed(e.to_string()),
                },
            },
        }
    }
}

/// Reads one MSR of CPU 0 through Linux's msr driver: 8 bytes at the MSR's index. Every failure
/// is a reason, never a value: the device absent (the msr module not loaded), permission denied
/// (root with CAP_SYS_RAWIO only), or EIO (the CPU faulted on RDMSR).
fn read_msr(index: u32) -> MsrRead {
    use std::os::unix::fs::FileExt;
    let f = match File::open(MSR_DEVICE) {
        Ok(f) => f,
        Err(e) => {
            return MsrRead::Unreadable(match e.kind() {
                ErrorKind::NotFound => {
                    format!("{MSR_DEVICE} is absent: the msr module is not loaded (modprobe msr)")
                }
                ErrorKind::PermissionDenied => {
                    format!("{MSR_DEVICE}: permission denied (root with CAP_SYS_RAWIO only)")
                }
                _ => format!("{MSR_DEVICE}: {e}"),
            });
        }
    };
    let mut b = [0u8; 8];
    match f.read_exact_at(&mut b, u64::from(index)) {
        Ok(()) => MsrRead::Value(u64::from_le_bytes(b)),
        Err(e) => MsrRead::Unreadable(format!(
            "{MSR_DEVICE} at 0x{index:08x}: {e} (EIO: the CPU faulted on RDMSR)"
        )),
    }
}

/// Lists the directory at `host` (a path on this machine): names sorted, at most
/// [`MAX_DIR_ENTRIES`], with link targets when `links` is true.
fn list_host(host: &Path, links: bool) -> Listing {
    let rd = match fs::read_dir(host) {
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

impl Resolver {
    fn new(root: PathBuf, confined: bool) -> Self {
        Resolver {
            root,
            confined,
            cache: RefCell::default(),
        }
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
            });
        }
        let dir = self.resolve_dir(if parent.is_empty() { "/" } else { parent }, hops)?;
        let cand = format!("{}/{name}", dir.real.trim_end_matches('/'));
        let kind = crate::fsx::kind_nofollow(&self.host(&cand)).map_err(|e| io_fail(&e))?;
        if !(kind == FileType::Symlink && follow_last) {
            return Ok(Resolved {
                real: cand,
                links: dir.links,
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
            if self.confined {
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
                    if parts.pop().is_none() && self.confined {
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
}

fn io_fail(e: &std::io::Error) -> Fail {
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => Fail::Absent,
        ErrorKind::PermissionDenied => Fail::Unreadable("permission denied (root only)".into()),
        _ if e.raw_os_error() == Some(Errno::LOOP.raw_os_error()) => {
            Fail::Unreadable("a symbolic link where a file was expected".into())
        }
        _ => Fail::Unreadable(e.to_string()),
    }
}

fn errno_fail(e: Errno) -> Fail {
    io_fail(&e.into())
}

fn file_read(r: Result<(Vec<u8>, bool), Fail>) -> FileRead {
    match r {
        Ok((bytes, truncated)) => FileRead::Data { bytes, truncated },
        Err(Fail::Absent) => FileRead::Absent,
        Err(Fail::Unreadable(why)) => FileRead::Unreadable(why),
    }
}

/// Whether the kernel may follow links while opening a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// Live paths: the kernel resolves every link.
    Yes,
    /// Snapshot paths, already resolved inside the root: a link at the end is refused.
    No,
}

/// Reads `/dev/kmsg` (Documentation/ABI/testing/dev-kmsg): each read returns one record,
/// `prefix;message\n` and continuation lines; `EAGAIN` at the end (non-blocking), `EPIPE` when
/// the record was overwritten (the next read goes on). Only a character device is read, and
/// only the messages of [`vcap_core::input::plan::KERNEL_LOG_KEEP`] are kept.
fn read_kmsg(path: &str, limit: usize) -> Result<(Vec<u8>, bool), Fail> {
    let fd = rfs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_fail)?;
    let st = rfs::fstat(&fd).map_err(errno_fail)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::CharacterDevice {
        return Err(Fail::Unreadable(
            "not the kernel-log device: not read".into(),
        ));
    }
    let mut rec = [0u8; 8192];
    let mut failed = None;
    let records = (0..vcap_core::input::plan::KERNEL_LOG_RECORDS).map_while(|_| {
        loop {
            match rustix::io::read(&fd, &mut rec) {
                Ok(0) | Err(Errno::AGAIN) => return None,
                Ok(n) => return Some(rec[..n].to_vec()),
                Err(Errno::PIPE | Errno::INTR) => continue,
                Err(e) => {
                    failed = Some(e);
                    return None;
                }
            }
        }
    });
    let (out, truncated, read) = keep_kernel_log(records, limit);
    match failed {
        Some(e) if read == 0 => Err(errno_fail(e)),
        _ => Ok((out, truncated)),
    }
}

/// The kept messages of kernel-log records (`/dev/kmsg`'s `prefix;message` form, one record
/// each), each on its line, at most `limit` bytes (then `truncated`), and how many records were
/// taken. The messages vcap keeps are printed while the kernel initialises (APIC set-up, the
/// built-in IOMMU drivers' initcalls), so reading ends at the record that starts init
/// ([`vcap_core::input::plan::KERNEL_LOG_LAST`]): a machine's log runs on for thousands of
/// records after it, one `read` each.
fn keep_kernel_log(records: impl Iterator<Item = Vec<u8>>, limit: usize) -> (Vec<u8>, bool, usize) {
    let mut out = Vec::new();
    let mut read = 0;
    for r in records {
        read += 1;
        let line = r.split(|b| *b == b'\n').next().unwrap_or(&r);
        let msg = match line.iter().position(|b| *b == b';') {
            Some(i) => &line[i + 1..],
            None => line,
        };
        let (first, last) = vcap_core::input::plan::KERNEL_LOG_LAST;
        if msg.starts_with(first.as_bytes()) && msg.ends_with(last.as_bytes()) {
            break;
        }
        let keep = vcap_core::input::plan::KERNEL_LOG_KEEP;
        if !keep.iter().any(|k| msg.starts_with(k.as_bytes())) {
            continue;
        }
        if out.len() + msg.len() + 1 > limit {
            return (out, true, read);
        }
        out.extend_from_slice(msg);
        out.push(b'\n');
    }
    (out, false, read)
}

/// Why a file of this type is not read, or `None` for a regular file.
fn not_regular(ft: FileType) -> Option<&'static str> {
    match ft {
        FileType::RegularFile => None,
        FileType::Fifo => Some("a FIFO"),
        FileType::CharacterDevice | FileType::BlockDevice => Some("a device"),
        FileType::Socket => Some("a socket"),
        FileType::Directory => Some("a directory"),
        _ => Some("not a regular file"),
    }
}

/// Opens the regular file `name` (relative to `dir`, or absolute) without blocking, then reads
/// at most `limit` bytes.
fn read_bounded(
    dir: BorrowedFd<'_>,
    name: &Path,
    limit: usize,
    follow: Follow,
) -> Result<(Vec<u8>, bool), Fail> {
    read_to_limit(
        open_regular(dir, name, follow, Recheck::Yes)?.0,
        limit,
        End::AtZero,
    )
}

/// How the end of a file shows itself to `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Only as a read that returns 0: procfs's seq_files return whole records, so a read that
    /// fills less than its buffer is not the end (`/proc/cpuinfo` on a machine with more than
    /// a few CPUs), and a snapshot's files are read the general way.
    AtZero,
    /// Also as a first read of at most a page that returns less than it asked for: sysfs
    /// (kernfs) returns a text attribute's whole `show()` output, at most a page, at once
    /// (Documentation/filesystems/sysfs.rst), and a binary attribute up to a page per read.
    /// That saves the read that would only return 0, one system call per attribute.
    ShortFirstRead,
}

impl End {
    /// The rule for a live path.
    fn of(path: &str) -> End {
        if path.starts_with("/sys/") {
            End::ShortFirstRead
        } else {
            End::AtZero
        }
    }
}

/// Whether a file's type is checked again on the open descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recheck {
    /// Yes: a snapshot is a directory anyone may be changing while it is read.
    Yes,
    /// No: the live plan reads only sysfs and procfs, whose files the kernel owns and which hold
    /// no FIFO or device to swap in; the check before the open is kept (one system call less
    /// per file, which costs 5–15 µs in some VMs).
    No,
}

/// Opens the regular file `name` (relative to `dir`, or absolute) for reading without blocking;
/// returns it with its size. Its type is checked before it is opened, so a FIFO or a device is
/// never opened, and with [`Recheck::Yes`] again on the open descriptor in case the path was
/// swapped in between.
fn open_regular(
    dir: BorrowedFd<'_>,
    name: &Path,
    follow: Follow,
    recheck: Recheck,
) -> Result<(File, u64), Fail> {
    let at = match follow {
        Follow::Yes => AtFlags::empty(),
        Follow::No => AtFlags::SYMLINK_NOFOLLOW,
    };
    let st = rfs::statat(dir, name, at).map_err(errno_fail)?;
    if let Some(what) = not_regular(FileType::from_raw_mode(st.st_mode)) {
        return Err(Fail::Unreadable(format!("{what}: not read")));
    }
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    if follow == Follow::No {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rfs::openat(dir, name, flags, Mode::empty()).map_err(errno_fail)?;
    let st = match recheck {
        Recheck::Yes => rfs::fstat(&fd).map_err(errno_fail)?,
        Recheck::No => st,
    };
    if not_regular(FileType::from_raw_mode(st.st_mode)).is_some() {
        return Err(Fail::Unreadable("not a regular file: not read".into()));
    }
    Ok((File::from(fd), u64::try_from(st.st_size).unwrap_or(0)))
}

/// Reads at most `limit` bytes; the flag says whether the file had more.
fn read_to_limit(f: File, limit: usize, end: End) -> Result<(Vec<u8>, bool), Fail> {
    // Most files are sysfs attributes of a few bytes: the first read goes to the stack, and
    // only what was read is copied to the heap (a fresh 4 KiB buffer per file costs a page fault).
    let mut f = f.take(limit as u64 + 1);
    let mut first = [0u8; 4096];
    let want = first.len().min(limit.saturating_add(1));
    let n = read_some(&mut f, &mut first[..want])?;
    let mut buf = first[..n].to_vec();
    let ended = n == 0 || (end == End::ShortFirstRead && n < want);
    if !ended {
        f.read_to_end(&mut buf).map_err(|e| io_fail(&e))?;
    }
    let truncated = buf.len() > limit;
    buf.truncate(limit);
    Ok((buf, truncated))
}

/// Live PCI config space read field by field. Linux's `pci_read_config()` turns a `pread` of a
/// naturally aligned byte, word or dword into one config access. It returns the first
/// `cfg_size` bytes (256, or 4096 with PCIe extended space) to root, only the first 64 (128 for a
/// CardBus bridge) to anyone else, and nothing to a read that starts past the end. The parser's
/// reads never straddle one of these ends, so each read tells only which side of the end it
/// lies on; the exact end is settled at the first read past it, or by one-byte probes.
struct LiveConfig<P> {
    /// `pread`: how many bytes were read at an offset.
    pread: P,
    /// The attribute's size, capped at the plan's limit.
    size: usize,
    /// The readable end, once known.
    readable: Option<usize>,
    /// Bytes up to here were read: the end is at or after it.
    at_least: usize,
    /// A read starting here returned nothing: the end is at or before it.
    at_most: usize,
    /// A failed read: the whole space is reported unreadable.
    error: Option<Fail>,
}

/// The ends a read of config space can have, besides the attribute's size: PCIe extended space,
/// standard space, and the unprivileged ends (Linux `pci_read_config()`).
const CONFIG_ENDS: [usize; 4] = [4096, 256, 128, pci_config::UNPRIVILEGED_LEN];

impl<P: FnMut(usize, &mut [u8]) -> Result<usize, Fail>> LiveConfig<P> {
    fn new(size: usize, pread: P) -> Self {
        LiveConfig {
            pread,
            size,
            readable: None,
            at_least: 0,
            at_most: size,
            error: None,
        }
    }

    /// How many bytes a read returned; `None` (and the error kept) when it failed.
    fn pread(&mut self, offset: usize, buf: &mut [u8]) -> Option<usize> {
        match (self.pread)(offset, buf) {
            Ok(n) => Some(n),
            Err(f) => {
                self.error = Some(f);
                None
            }
        }
    }

    /// The possible ends still open, largest first.
    fn candidates(&self) -> Vec<usize> {
        let mut c: Vec<usize> = std::iter::once(self.size)
            .chain(CONFIG_ENDS)
            .filter(|&e| e > 0 && e <= self.size && self.at_least <= e && e <= self.at_most)
            .collect();
        c.sort_unstable_by(|a, b| b.cmp(a));
        c.dedup();
        c
    }
}

impl<P: FnMut(usize, &mut [u8]) -> Result<usize, Fail>> pci_config::Space for LiveConfig<P> {
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> bool {
        let end = offset + buf.len();
        if self.error.is_some() || end > self.at_most || self.readable.is_some_and(|r| end > r) {
            return false;
        }
        match self.pread(offset, buf) {
            Some(n) if n == buf.len() => {
                self.at_least = self.at_least.max(end);
                true
            }
            Some(0) => {
                self.at_most = self.at_most.min(offset);
                false
            }
            Some(n) => {
                self.readable = Some(offset + n);
                false
            }
            None => false,
        }
    }

    fn readable_len(&mut self) -> usize {
        if let Some(r) = self.readable {
            return r;
        }
        let candidates = self.candidates();
        let mut r = self.at_least;
        if let [only] = candidates[..] {
            r = only;
        } else {
            // The last byte of each possible end, largest first: one config access when the
            // whole space is readable.
            for end in candidates {
                match self.pread(end - 1, &mut [0u8]) {
                    Some(1) => {
                        r = end;
                        break;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        }
        self.readable = Some(r);
        r
    }
}

/// `pread` on a file, retried when interrupted.
fn pread_file(file: &File, offset: usize, buf: &mut [u8]) -> Result<usize, Fail> {
    loop {
        match rustix::io::pread(file, &mut *buf, offset as u64) {
            Err(Errno::INTR) => continue,
            r => return r.map_err(errno_fail),
        }
    }
}

/// One `read`, retried when interrupted.
fn read_some(f: &mut impl Read, buf: &mut [u8]) -> Result<usize, Fail> {
    loop {
        match f.read(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            r => return r.map_err(|e| io_fail(&e)),
        }
    }
}

fn read_bounded_plain(path: &Path, limit: usize) -> Result<Vec<u8>, Fail> {
    let (b, truncated) = read_bounded(rfs::CWD, path, limit, Follow::No)?;
    if truncated {
        return Err(Fail::Unreadable(format!("larger than {limit} bytes")));
    }
    Ok(b)
}

/// The `TracerPid:` field of a `/proc/<pid>/status` text (fs/proc/array.c `task_state()`).
/// What [`Source::read_own_environ_as_pid1`] reads live, for the process `pid`: systemd reads
/// `getenv("container")` only as PID 1, so any other process has nothing here.
fn own_environ_as_pid1(pid: u32, limit: usize) -> FileRead {
    use std::os::unix::ffi::OsStrExt;
    if pid != 1 {
        return FileRead::Absent;
    }
    let mut bytes = match std::env::var_os("container") {
        Some(v) => [b"container=", v.as_bytes(), b"\0"].concat(),
        None => Vec::new(),
    };
    let truncated = bytes.len() > limit;
    bytes.truncate(limit);
    FileRead::Data { bytes, truncated }
}

fn tracer_pid(status: &[u8]) -> Result<u32, String> {
    let text = String::from_utf8_lossy(status);
    let field = text
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .ok_or("no TracerPid line")?
        .trim();
    field
        .parse::<u32>()
        .map_err(|_| format!("TracerPid {:?} is not a process ID", cut(field)))
}

/// At most 40 characters of `s`, for a message.
fn cut(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    /// Records as /dev/kmsg gives them (this machine's boot, 2026-12-02): the kept messages up
    /// to the record that starts init, none after it.
    #[test]
    fn the_kernel_log_is_read_until_init_starts() {
        let recs = [
            "6,104,260640,-;x2apic enabled",
            "6,105,261200,-;APIC: Switched APIC routing to: physical x2apic",
            "6,106,262000,-;ACPI: Core revision 20240827\n SUBSYSTEM=acpi",
            "6,319,494614,-;Run /process_api as init process",
            "6,320,600000,-;x2apic enabled",
            "6,321,600001,-;anything",
        ];
        let it = recs.iter().map(|r| r.as_bytes().to_vec());
        let (out, truncated, read) = super::keep_kernel_log(it, 4096);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "x2apic enabled\nAPIC: Switched APIC routing to: physical x2apic\n"
        );
        assert_eq!((truncated, read), (false, 4));
        // A log without the init record is read to its end; the limit cuts it.
        let it = recs
            .iter()
            .map(|r| r.replace("Run /", "Ran /").into_bytes());
        let (out, truncated, read) = super::keep_kernel_log(it, 4096);
        assert_eq!((out.len(), truncated, read), (15 + 48 + 15, false, 6));
        let it = recs.iter().map(|r| r.as_bytes().to_vec());
        assert_eq!(
            super::keep_kernel_log(it, 20),
            (b"x2apic enabled\n".to_vec(), true, 2)
        );
    }

    #[test]
    fn tracer_pid_as_proc_status_gives_it() {
        let status = |tracer: &str| {
            format!(
                "Name:\tvcap\nState:\tR (running)\nTgid:\t7\nPid:\t7\nPPid:\t6\nTracerPid:\t{tracer}\nUid:\t0\t0\t0\t0\n"
            )
        };
        assert_eq!(super::tracer_pid(status("0").as_bytes()), Ok(0));
        assert_eq!(super::tracer_pid(status("11896").as_bytes()), Ok(11896));
        assert!(
            super::tracer_pid(status("-1").as_bytes())
                .unwrap_err()
                .contains("\"-1\" is not a process ID")
        );
        assert!(
            super::tracer_pid(status(&"9".repeat(100)).as_bytes())
                .unwrap_err()
                .len()
                < 100
        );
        assert_eq!(
            super::tracer_pid(b"Name:\tvcap\n"),
            Err("no TracerPid line".into())
        );
    }

    /// Live, this process's tracer: none under `cargo test`, unless a debugger or PRoot runs it.
    #[test]
    fn the_live_tracer_name_is_read_through_the_status_file() {
        let read = Source::live().read_tracer_comm(vcap_core::input::plan::TRACER_COMM, 64);
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let pid = super::tracer_pid(status.as_bytes()).unwrap();
        let want = if pid == 0 {
            Vec::new()
        } else {
            std::fs::read(format!("/proc/{pid}/comm")).unwrap()
        };
        assert_eq!(read.bytes(), Some(&want[..]));
    }

    use super::*;
    use std::os::unix::fs::symlink;
    use std::process::Command;
    use std::time::{Duration, Instant};

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vcap-src-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn live_read(path: &Path, limit: usize) -> FileRead {
        Source::live().read_file(path.to_str().unwrap(), limit)
    }

    #[test]
    fn live_reads_follow_links_and_stop_at_the_limit() {
        let d = tmp("live");
        fs::create_dir(d.join("real")).unwrap();
        fs::write(d.join("real/attr"), "0x1af4\n").unwrap();
        symlink("real", d.join("dirlink")).unwrap();
        symlink("attr", d.join("real/filelink")).unwrap();
        let data = |bytes: &[u8], truncated| FileRead::Data {
            bytes: bytes.to_vec(),
            truncated,
        };
        let src = Source::live();
        let at = |p: &str| d.join(p).to_str().unwrap().to_string();
        assert_eq!(
            src.read_file(&at("dirlink/attr"), 64),
            data(b"0x1af4\n", false)
        );
        assert_eq!(
            src.read_file(&at("dirlink/filelink"), 64),
            data(b"0x1af4\n", false)
        );
        assert_eq!(src.read_file(&at("dirlink/attr"), 4), data(b"0x1a", true));
        assert_eq!(src.read_file(&at("dirlink/missing"), 64), FileRead::Absent);
        assert_eq!(src.read_file(&at("nodir/attr"), 64), FileRead::Absent);
        // Larger than the first (stack) read.
        let big: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        fs::write(d.join("real/big"), &big).unwrap();
        assert_eq!(src.read_file(&at("real/big"), 1 << 20), data(&big, false));
        assert_eq!(
            src.read_file(&at("real/big"), 5000),
            data(&big[..5000], true)
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn reads_around_the_first_buffer_and_the_limit_keep_every_byte() {
        // The first read stops early when it comes back short; every size around the 4 KiB first
        // buffer and around the limit must still give the whole file, or its first `limit`
        // bytes marked truncated. Also the live sysfs attributes this machine has.
        let d = tmp("sizes");
        let src = Source::live();
        for size in [0usize, 1, 4095, 4096, 4097, 8192, 10_000] {
            let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let p = d.join(format!("f{size}"));
            fs::write(&p, &body).unwrap();
            for limit in [0usize, 1, 64, 4095, 4096, 4097, 9000, 1 << 20] {
                let want = FileRead::Data {
                    bytes: body[..size.min(limit)].to_vec(),
                    truncated: size > limit,
                };
                let p = p.to_str().unwrap();
                assert_eq!(src.read_file(p, limit), want, "size {size}, limit {limit}");
                let snap = Source::snapshot(Path::new("/")).unwrap();
                assert_eq!(snap.read_file(p, limit), want, "snapshot: {size}, {limit}");
            }
        }
        fs::remove_dir_all(&d).unwrap();
        // Kernel files whose content does not change between two reads: sysfs text attributes
        // and binary attributes (ACPI tables, a PCI config space; root only), small seq_files,
        // and one far larger than a read (kallsyms, its first MiB, which seq_file returns in
        // whole lines: short reads that are not the end).
        let limit = 1 << 20;
        let first = |dir: &str, file: &str| -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(dir)
                .map(|d| {
                    d.flatten()
                        .map(|e| format!("{}{file}", e.path().display()))
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v.truncate(3);
            v
        };
        let sysfs = [
            "/sys/kernel/mm/transparent_hugepage/enabled",
            "/sys/devices/system/cpu/possible",
        ];
        let procfs = ["/proc/version", "/proc/filesystems", "/proc/kallsyms"];
        let paths = sysfs
            .iter()
            .chain(&procfs)
            .map(|p| p.to_string())
            .chain(first("/sys/firmware/acpi/tables", ""))
            .chain(first("/sys/bus/pci/devices", "/config").into_iter().take(1));
        for p in paths {
            let p = p.as_str();
            if let Ok(whole) = fs::read(p) {
                let got = src.read_file(p, limit);
                let want = &whole[..whole.len().min(limit)];
                assert_eq!(got.bytes(), Some(want), "{p}");
            }
        }
    }

    #[test]
    fn live_reads_keep_no_descriptor_per_directory() {
        // A server's walk visits hundreds of device directories; the open-file limit is often
        // 1024, so the reader must not hold one handle per directory it has read in.
        let d = tmp("many-dirs");
        for i in 0..300 {
            fs::create_dir(d.join(i.to_string())).unwrap();
            fs::write(d.join(format!("{i}/vendor")), "0x8086\n").unwrap();
        }
        let open = || fs::read_dir("/proc/self/fd").map_or(0, |r| r.count());
        let before = open();
        let src = Source::live();
        for i in 0..300 {
            let p = d.join(format!("{i}/vendor"));
            assert!(src.read_file(p.to_str().unwrap(), 64).bytes().is_some());
        }
        let grown = open().saturating_sub(before);
        assert!(
            grown < 50,
            "{grown} more descriptors open after reading in 300 directories"
        );
        drop(src);
        fs::remove_dir_all(&d).unwrap();
    }

    /// Linux's `pci_read_config()` for a process that may read `cut` bytes of `data`.
    fn kernel(data: &[u8], cut: usize) -> impl FnMut(usize, &mut [u8]) -> Result<usize, Fail> {
        move |off, buf| {
            if off > cut {
                return Ok(0);
            }
            let n = buf.len().min(cut - off);
            buf[..n].copy_from_slice(&data[off..off + n]);
            Ok(n)
        }
    }

    /// Every PCI function's config space in the fixtures (whole spaces from real guests and
    /// cited dumps), read live-style as root, as an ordinary user (64 bytes) and as an ordinary
    /// user on a CardBus bridge (128): the parts kept have the readable length, hold only bytes
    /// that were read, and parse like the bytes that process could read, with a few accesses
    /// where a whole read takes hundreds.
    #[test]
    fn live_config_reads_parse_like_the_readable_bytes() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let mut spaces = 0;
        for fx in fs::read_dir(&fixtures).unwrap().flatten() {
            let pci = fx.path().join("sys/devices/pci0000:00");
            let Ok(devs) = fs::read_dir(&pci) else {
                continue;
            };
            for dev in devs.flatten() {
                let Ok(data) = fs::read(dev.path().join("config")) else {
                    continue;
                };
                spaces += 1;
                for cut in [data.len(), 256, 128, 64] {
                    let cut = cut.min(data.len());
                    let mut accesses = 0;
                    let mut k = kernel(&data, cut);
                    let live = LiveConfig::new(data.len(), |off, buf: &mut [u8]| {
                        accesses += 1;
                        k(off, buf)
                    });
                    let mut rec = pci_config::Recording::new(live);
                    let got = pci_config::parse_space(&mut rec);
                    let parts = rec.into_parts();
                    let at = format!("{} cut {cut}", dev.path().display());
                    assert_eq!(parts.len, cut, "{at}");
                    assert_eq!(got, pci_config::parse(&data[..cut]), "{at}");
                    assert_eq!(pci_config::parse_space(&mut &parts), got, "{at}");
                    assert!(accesses <= 40, "{at}: {accesses} accesses");
                    // Only bytes of the space, at their offsets, and not the whole space: the
                    // command register (offset 4) is never read.
                    for (off, bytes) in &parts.spans {
                        assert_eq!(data.get(*off..off + bytes.len()), Some(&bytes[..]), "{at}");
                    }
                    assert_eq!(parts.get(4, 1), None, "{at}");
                }
            }
        }
        assert!(spaces >= 20, "only {spaces} config spaces in the fixtures");
    }

    /// The SEV status MSR is read live only where CPUID reports SEV to an AMD guest; where it
    /// is, the read gives a value or a reason (the msr module absent, not root, a fault on a
    /// CPU without the MSR), never a guessed value.
    #[test]
    fn the_sev_msr_is_read_only_where_cpuid_reports_sev() {
        let dump = |sev: u32| {
            CpuidDump::parse(&format!(
                "CPU:\n   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n   \
                 0x00000001 0x00: eax=0x00a00f11 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n   \
                 0x80000000 0x00: eax=0x80000021 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n   \
                 0x8000001f 0x00: eax=0x{sev:08x} ebx=0x00000073 ecx=0x00000000 edx=0x00000000\n"
            ))
            .unwrap()
        };
        let live = Source::live();
        assert_eq!(
            live.sev_status(&CpuidRead::Dump(dump(0))),
            MsrRead::NotObserved
        );
        assert_eq!(
            live.sev_status(&CpuidRead::NotObserved),
            MsrRead::NotObserved
        );
        match live.sev_status(&CpuidRead::Dump(dump(2))) {
            MsrRead::Value(_) => {}
            MsrRead::Unreadable(why) => assert!(why.contains(MSR_DEVICE), "{why}"),
            MsrRead::NotObserved => panic!("CPUID reports SEV: the MSR must be read"),
        }
    }

    #[test]
    fn live_reads_never_open_a_fifo_a_device_or_a_directory() {
        let d = tmp("live-special");
        let fifo = d.join("fifo");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        symlink(&fifo, d.join("link-to-fifo")).unwrap();
        let t = Instant::now();
        for (p, what) in [
            (fifo.clone(), "a FIFO"),
            (d.join("link-to-fifo"), "a FIFO"),
            (PathBuf::from("/dev/null"), "a device"),
            (d.clone(), "a directory"),
        ] {
            match live_read(&p, 64) {
                FileRead::Unreadable(why) => assert!(why.starts_with(what), "{p:?}: {why}"),
                other => panic!("{p:?} was read: {other:?}"),
            }
        }
        assert!(t.elapsed() < Duration::from_secs(5));
        fs::remove_dir_all(&d).unwrap();
    }
}
