//! What the probe read: every file, directory listing, existence check and symbolic link, keyed by
//! the absolute path that was asked for. The same value comes from the live system and from a
//! snapshot of it, which is what makes a snapshot replay give the same report.

use std::collections::BTreeMap;

use crate::parse::cpuid::CpuidDump;

/// The outcome of reading one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRead {
    /// The file was read (up to the plan's size limit).
    Data {
        /// The bytes read.
        bytes: Vec<u8>,
        /// True when the file was longer than the limit and only the first bytes were kept.
        truncated: bool,
    },
    /// Only parts of the file were read, where a parser asked for them: a live PCI function's
    /// config space, whose every access may trap to a hypervisor. The bytes between the parts
    /// are unknown, not zero, so [`FileRead::bytes`] gives none.
    Parts(Parts),
    /// Nothing exists at this path.
    Absent,
    /// Something exists but could not be read; the reason says why (permission denied, a FIFO,
    /// a link leaving the snapshot, a loop of links, …).
    Unreadable(String),
}

/// The spans of a file that were read: each its offset and bytes, sorted by offset, neither
/// overlapping nor touching (adjacent reads are one span), within the readable length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    /// How many bytes of the file were readable from offset 0 (most of them not read).
    pub len: usize,
    /// The spans read: (offset, bytes).
    pub spans: Vec<(usize, Vec<u8>)>,
}

impl Parts {
    /// The bytes at `offset..offset + n` when one span holds them all; `None` when any of them
    /// was not read.
    pub fn get(&self, offset: usize, n: usize) -> Option<&[u8]> {
        let end = offset.checked_add(n)?;
        // The last span starting at or before `offset`.
        let i = self.spans.partition_point(|(at, _)| *at <= offset);
        let (at, bytes) = self.spans.get(i.checked_sub(1)?)?;
        bytes.get(offset - at..end - at)
    }
}

impl FileRead {
    /// The bytes, when the file was read.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            FileRead::Data { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// Whether the file was read and holds at least one byte: what makes a walk's summary file
    /// (`plan::Summary`) stand in for the files it covers, in the probe and in the decisions alike.
    pub fn has_content(&self) -> bool {
        self.bytes().is_some_and(|b| !b.is_empty())
    }

    /// The content as text with trailing whitespace (sysfs's newline) removed, when it was read
    /// and is valid UTF-8; invalid UTF-8 is replaced lossily.
    pub fn text(&self) -> Option<String> {
        self.bytes()
            .map(|b| String::from_utf8_lossy(b).trim_end().to_string())
    }
}

/// The outcome of an existence check (device nodes such as `/dev/kvm` are never opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence {
    /// A file, device or other non-directory exists.
    File,
    /// A directory exists.
    Dir,
    /// Nothing exists at this path.
    Absent,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DirEntry {
    /// The entry's name.
    pub name: String,
    /// The link's target text when the entry is a symbolic link (sysfs bus and class entries are).
    pub link: Option<String>,
}

/// The outcome of listing one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The directory's entries, sorted by name.
    Entries(Vec<DirEntry>),
    /// No directory exists at this path.
    Absent,
    /// It exists but could not be listed.
    Unreadable(String),
}

impl Listing {
    /// The entries, or none when the directory was absent or unreadable.
    pub fn entries(&self) -> &[DirEntry] {
        match self {
            Listing::Entries(e) => e,
            _ => &[],
        }
    }
}

/// How CPUID was observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuidRead {
    /// A dump of leaves (executed live, or parsed from `cpuid.txt`).
    Dump(CpuidDump),
    /// Not observed: another architecture, or a snapshot without `cpuid.txt`.
    NotObserved,
    /// `cpuid.txt` exists but is malformed; the message names the line.
    Malformed(String),
}

/// How a model-specific register was read (through Linux's msr driver, `/dev/cpu/0/msr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsrRead {
    /// The register's value.
    Value(u64),
    /// Not read: the probe reads it only where CPUID says it exists (the SEV status MSR on an
    /// AMD guest whose CPUID reports SEV), another architecture, or a snapshot taken before the
    /// MSR was in the plan (no `msr.txt`).
    NotObserved,
    /// It should have been read but could not be; the reason says why (the msr module is not
    /// loaded, not root, the read faulted).
    Unreadable(String),
}

impl MsrRead {
    /// The snapshot's `msr.txt` line for the SEV status MSR (`plan::MSR_FILE`); `None` when not
    /// observed (no file is written).
    pub fn to_record(&self) -> Option<String> {
        let msr = crate::input::plan::MSR_SEV_STATUS;
        match self {
            MsrRead::Value(v) => Some(format!("0x{msr:08x} 0x{v:016x}\n")),
            MsrRead::Unreadable(why) => Some(format!(
                "0x{msr:08x} unreadable: {}\n",
                why.replace('\n', " ")
            )),
            MsrRead::NotObserved => None,
        }
    }

    /// Reads a snapshot's `msr.txt`: one line, the MSR's index then its value in hex or
    /// `unreadable: <reason>`; an error names the line and what is wrong.
    pub fn parse_record(text: &str) -> Result<MsrRead, String> {
        let msr = crate::input::plan::MSR_SEV_STATUS;
        let mut found = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let n = i + 1;
            let (index, rest) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {n}: expected `0xINDEX 0xVALUE`"))?;
            let index = index
                .strip_prefix("0x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("line {n}: the MSR index is not 0x-prefixed hex"))?;
            if index != msr {
                return Err(format!(
                    "line {n}: MSR 0x{index:08x} is not one vcap reads (0x{msr:08x})"
                ));
            }
            let rest = rest.trim();
            let read = if let Some(why) = rest.strip_prefix("unreadable:") {
                MsrRead::Unreadable(why.trim().to_string())
            } else {
                MsrRead::Value(
                    rest.strip_prefix("0x")
                        .filter(|h| h.len() <= 16)
                        .and_then(|h| u64::from_str_radix(h, 16).ok())
                        .ok_or_else(|| {
                            format!("line {n}: the value is not 0x-prefixed 64-bit hex")
                        })?,
                )
            };
            if found.replace(read).is_some() {
                return Err(format!("line {n}: MSR 0x{msr:08x} given twice"));
            }
        }
        found.ok_or_else(|| "no MSR line".to_string())
    }
}

/// Everything the probe read. Paths are absolute paths on the probed machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Files that were read.
    pub files: BTreeMap<String, FileRead>,
    /// Existence checks.
    pub exists: BTreeMap<String, Existence>,
    /// Directory listings.
    pub dirs: BTreeMap<String, Listing>,
    /// Symbolic links read without following (e.g. a PCI device's `driver`): path → target text,
    /// or `None` when there is no link there.
    pub links: BTreeMap<String, Option<String>>,
    /// CPUID.
    pub cpuid: CpuidRead,
    /// AMD's SEV status MSR (`plan::MSR_SEV_STATUS`), read as systemd's `detect_sev()` reads it.
    pub sev_status: MsrRead,
}

impl Default for Capture {
    fn default() -> Self {
        Capture {
            files: BTreeMap::new(),
            exists: BTreeMap::new(),
            dirs: BTreeMap::new(),
            links: BTreeMap::new(),
            cpuid: CpuidRead::NotObserved,
            sev_status: MsrRead::NotObserved,
        }
    }
}

static ABSENT_FILE: FileRead = FileRead::Absent;
static ABSENT_DIR: Listing = Listing::Absent;

/// In debug builds (every test), a lookup of a path the read plan does not contain is a bug in
/// the caller: the probe never reads it, so its "absent" would be a fact about vcap, not about
/// the machine.
fn check_planned(path: &str) {
    debug_assert!(
        crate::input::plan::planned(path),
        "{path} is not in the read plan (crates/vcap-core/src/input/plan.rs): the probe never reads it"
    );
}

impl Capture {
    /// The read outcome of `path`; a path the probe never asked for reads as absent (and, in
    /// debug builds, one that is not in the read plan panics).
    pub fn file(&self, path: &str) -> &FileRead {
        check_planned(path);
        self.files.get(path).unwrap_or(&ABSENT_FILE)
    }

    /// The text of `path` (trailing newline trimmed) when it was read.
    pub fn text(&self, path: &str) -> Option<String> {
        self.file(path).text()
    }

    /// Whether something exists at `path` (an existence check, a read file or a listed directory).
    pub fn exists(&self, path: &str) -> bool {
        check_planned(path);
        match self.exists.get(path) {
            Some(Existence::File | Existence::Dir) => true,
            Some(Existence::Absent) => false,
            None => {
                matches!(
                    self.files.get(path),
                    Some(FileRead::Data { .. } | FileRead::Parts(_) | FileRead::Unreadable(_))
                ) || matches!(self.dirs.get(path), Some(Listing::Entries(_)))
            }
        }
    }

    /// The listing of `dir`.
    pub fn listing(&self, dir: &str) -> &Listing {
        check_planned(dir);
        self.dirs.get(dir).unwrap_or(&ABSENT_DIR)
    }

    /// The target text of the link at `path`, when there is one.
    pub fn link(&self, path: &str) -> Option<&str> {
        check_planned(path);
        self.links.get(path).and_then(|t| t.as_deref())
    }
}

#[cfg(test)]
mod msr_tests {
    use super::MsrRead;

    #[test]
    fn msr_records_round_trip_and_junk_names_its_line() {
        for r in [
            MsrRead::Value(0),
            MsrRead::Value(u64::MAX),
            MsrRead::Value(7),
            MsrRead::Unreadable("permission denied (needs root)".into()),
        ] {
            let text = r.to_record().unwrap();
            assert_eq!(MsrRead::parse_record(&text), Ok(r), "{text}");
        }
        assert_eq!(MsrRead::NotObserved.to_record(), None);
        for (bad, why) in [
            ("", "no MSR line"),
            ("0xc0010131", "line 1"),
            ("0xc0010131 7", "line 1: the value"),
            ("0xc0010131 0x10000000000000000", "line 1: the value"),
            ("0x10 0x1", "not one vcap reads"),
            (
                "# c\n0xc0010131 0x1\n0xc0010131 0x1",
                "line 3: MSR 0xc0010131 given twice",
            ),
        ] {
            let e = MsrRead::parse_record(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
