//! Writes a capture as a snapshot directory (DESIGN.md "Snapshot directory"): every file read at
//! its real absolute path under DIR, the links crossed to reach it as links with the same relative
//! target text, existence-only paths as empty files, CPUID as `cpuid.txt`, and what could not be
//! read in `vcap-unreadable.txt`. `vcap --root DIR` then reproduces the report.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use vcap_core::input::capture::{Capture, CpuidRead, Existence, FileRead, Listing};
use vcap_core::input::plan::{CPUID_FILE, MSR_FILE};

use crate::Source;
use crate::source::UNREADABLE_FILE;

/// Why a snapshot could not be written; names the path.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The target exists and is not an empty directory.
    #[error("{0}: exists and is not an empty directory; choose a new one")]
    NotEmpty(PathBuf),
    /// A file or link could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The path under the snapshot directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// What was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// Files written with content.
    pub files: usize,
    /// Symbolic links written.
    pub links: usize,
    /// Paths recorded as unreadable.
    pub unreadable: usize,
}

struct Writer<'a> {
    dir: &'a Path,
    made_links: BTreeSet<String>,
    out: Written,
}

impl Writer<'_> {
    fn host(&self, abs: &str) -> PathBuf {
        self.dir.join(abs.trim_start_matches('/'))
    }

    fn err(path: PathBuf) -> impl FnOnce(io::Error) -> SnapshotError {
        move |source| SnapshotError::Write { path, source }
    }

    fn mkdirs(&self, abs: &str) -> Result<(), SnapshotError> {
        let p = self.host(abs);
        crate::fsx::create_dir_all(&p).map_err(Self::err(p))
    }

    /// Recreates a link with its target text; absolute targets become relative so the snapshot
    /// stays self-contained.
    fn link(&mut self, at: &str, target: &str) -> Result<(), SnapshotError> {
        if !self.made_links.insert(at.to_string()) {
            return Ok(());
        }
        let parent = at
            .rsplit_once('/')
            .map_or("/", |x| if x.0.is_empty() { "/" } else { x.0 });
        self.mkdirs(parent)?;
        let target = if let Some(abs) = target.strip_prefix('/') {
            let depth = parent.split('/').filter(|c| !c.is_empty()).count();
            format!("{}{abs}", "../".repeat(depth))
        } else {
            target.to_string()
        };
        let p = self.host(at);
        match crate::fsx::exists_nofollow(&p) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(Self::err(p)(e)),
        }
        std::os::unix::fs::symlink(&target, &p).map_err(Self::err(p))?;
        self.out.links += 1;
        Ok(())
    }

    fn links(&mut self, links: &[(String, String)]) -> Result<(), SnapshotError> {
        for (at, target) in links {
            self.link(at, target)?;
        }
        Ok(())
    }

    fn file(&mut self, abs: &str, bytes: &[u8]) -> Result<(), SnapshotError> {
        let parent = abs
            .rsplit_once('/')
            .map_or("/", |x| if x.0.is_empty() { "/" } else { x.0 });
        self.mkdirs(parent)?;
        let p = self.host(abs);
        if crate::fsx::exists_nofollow(&p).unwrap_or(false) {
            return Ok(());
        }
        fs::write(&p, bytes).map_err(Self::err(p))?;
        self.out.files += 1;
        Ok(())
    }
}

/// Writes `cap`, read through `src`, as a snapshot in `dir` (created; must be new or empty).
pub fn write(src: &Source, cap: &Capture, dir: &Path) -> Result<Written, SnapshotError> {
    match fs::read_dir(dir) {
        Ok(mut rd) => {
            if rd.next().is_some() {
                return Err(SnapshotError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            crate::fsx::create_dir_all(dir).map_err(Writer::err(dir.to_path_buf()))?;
        }
        Err(_) => return Err(SnapshotError::NotEmpty(dir.to_path_buf())),
    }
    let mut w = Writer {
        dir,
        made_links: BTreeSet::new(),
        out: Written::default(),
    };
    let mut unreadable = String::new();

    for (path, read) in &cap.files {
        if !path.starts_with('/') {
            continue;
        }
        let traced = src.trace(path, true);
        if let Some((_, links)) = &traced {
            w.links(links)?;
        }
        match read {
            FileRead::Data { bytes, .. } => {
                let real = traced.map_or(path.clone(), |t| t.0);
                w.file(&real, bytes)?;
            }
            FileRead::Unreadable(why) => {
                unreadable.push_str(&format!("{path}\t{why}\n"));
                w.out.unreadable += 1;
            }
            // Not from `Scope::Snapshot`, which reads config space whole; parts are no file.
            FileRead::Parts(_) => {
                unreadable.push_str(&format!("{path}\tonly parts of it were read\n"));
                w.out.unreadable += 1;
            }
            FileRead::Absent => {}
        }
    }
    for (path, e) in &cap.exists {
        if *e == Existence::Absent {
            continue;
        }
        let Some((real, links)) = src.trace(path, true) else {
            continue;
        };
        w.links(&links)?;
        // Only existence is evidence here, so a directory that nothing else fills is stored as an
        // empty file: tools that drop empty directories (git, some archivers) keep it.
        if !(*e == Existence::Dir && crate::fsx::exists_nofollow(&w.host(&real)).unwrap_or(false)) {
            w.file(&real, b"")?;
        }
    }
    for (path, l) in &cap.dirs {
        match l {
            Listing::Entries(entries) => {
                let Some((real, links)) = src.trace(path, true) else {
                    continue;
                };
                w.links(&links)?;
                w.mkdirs(&real)?;
                for e in entries {
                    let at = format!("{}/{}", real.trim_end_matches('/'), e.name);
                    match &e.link {
                        Some(t) => w.link(&at, t)?,
                        None => {
                            if !crate::fsx::exists_nofollow(&w.host(&at)).unwrap_or(false) {
                                w.mkdirs(&at)?;
                            }
                        }
                    }
                }
            }
            Listing::Unreadable(why) => {
                unreadable.push_str(&format!("{path}\t{why}\n"));
                w.out.unreadable += 1;
            }
            Listing::Absent => {}
        }
    }
    for (path, target) in &cap.links {
        let Some(t) = target else { continue };
        if let Some((real, links)) = src.trace(path, false) {
            w.links(&links)?;
            w.link(&real, t)?;
        }
    }
    if let CpuidRead::Dump(d) = &cap.cpuid {
        let p = dir.join(CPUID_FILE);
        fs::write(&p, d.to_text()).map_err(Writer::err(p))?;
    }
    if let Some(record) = cap.sev_status.to_record() {
        let p = dir.join(MSR_FILE);
        fs::write(&p, record).map_err(Writer::err(p))?;
    }
    let p = dir.join(UNREADABLE_FILE);
    fs::write(&p, unreadable).map_err(Writer::err(p))?;
    Ok(w.out)
}
