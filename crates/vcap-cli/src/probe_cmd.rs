//! `vcap` (the report), `vcap detect` and `vcap snapshot`: read through one source, decide in
//! vcap-core, print.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::json::Layout;
use vcap_core::detect::systemd;
use vcap_core::input::capture::Capture;
use vcap_core::input::plan::{CPUID_FILE, Scope};
use vcap_core::report::render;
use vcap_core::report::{self, Report};
use vcap_probe::snapshot::{self, SnapshotError};
use vcap_probe::{Source, SourceError};

/// Arguments of `vcap detect`: systemd-detect-virt's options (v252 and later), with the same
/// output and exit statuses. Of the modes (`-c`, `-v`, `-r`, `--private-users`, `--cvm`) the last
/// one given counts, as in systemd-detect-virt.
#[derive(Debug, Args)]
#[command(version, args_override_self = true)]
pub struct DetectArgs {
    /// Only detect whether this runs in a container (exit 0: in one).
    #[arg(short = 'c', long, overrides_with_all = ["vm", "chroot", "private_users", "cvm"])]
    pub container: bool,
    /// Only detect whether this runs in a virtual machine (exit 0: in one).
    #[arg(short = 'v', long, overrides_with_all = ["container", "chroot", "private_users", "cvm"])]
    pub vm: bool,
    /// Detect whether this runs in a chroot (exit 0: in one; prints nothing; live system only).
    #[arg(short = 'r', long, overrides_with_all = ["container", "vm", "private_users", "cvm"])]
    pub chroot: bool,
    /// Detect whether this runs in a user namespace (exit 0: in one; prints nothing).
    #[arg(long, overrides_with_all = ["container", "vm", "chroot", "cvm"])]
    pub private_users: bool,
    /// Only detect a confidential VM, as systemd-detect-virt --cvm (exit 0: in one).
    #[arg(long, overrides_with_all = ["container", "vm", "chroot", "private_users"])]
    pub cvm: bool,
    /// Print nothing; only the exit status tells (0: found, 1: not).
    #[arg(long, short)]
    pub quiet: bool,
    /// List every identifier (machine and container ids), and exit.
    #[arg(long)]
    pub list: bool,
    /// List every confidential-VM identifier, and exit.
    #[arg(long)]
    pub list_cvm: bool,
    /// Read a snapshot directory instead of the live system (`/` is the live system).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Arguments of `vcap snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The directory to write (created; must be new or empty).
    pub dir: PathBuf,
    /// Copy a snapshot directory instead of the live system (`/` is the live system).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Why a probe command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The option cannot be answered here; the message says why.
    #[error("{0}")]
    Unsupported(&'static str),
    /// virt-what's command line was wrong (its own message).
    #[error("{0}")]
    VirtWhat(String),
    /// The chroot check could not read a root.
    #[error("failed to check for a chroot() environment: {0}")]
    Chroot(String),
    /// The source could not be opened.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The snapshot could not be written.
    #[error("{}", snapshot_message(.0))]
    Snapshot(#[from] SnapshotError),
    /// `--root` names something that is not a snapshot directory.
    #[error("--root {}: {why}", shell_quote(.dir))]
    Root {
        /// What `--root` named.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// `--json` was asked for a directory whose name JSON cannot carry (checked before anything
    /// is written).
    #[error(
        "snapshot {}: the directory's name is not UTF-8, which JSON strings cannot carry; nothing was written (name the directory in UTF-8, or drop --json)",
        shell_quote(.0)
    )]
    JsonPath(PathBuf),
    /// Output could not be written.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// A snapshot error with its path shell-quoted, as every path vcap names (not UTF-8 included).
fn snapshot_message(e: &SnapshotError) -> String {
    match e {
        SnapshotError::NotEmpty(dir) => format!(
            "snapshot {}: exists and is not an empty directory; choose a new one",
            shell_quote(dir)
        ),
        SnapshotError::Write { path, source } => {
            format!("snapshot: writing {}: {source}", shell_quote(path))
        }
    }
}

/// `path` as one shell word that bash, zsh and POSIX sh read back as the same bytes: bare when
/// it has no special characters, in single quotes when it is printable UTF-8, and as `$'…'` with
/// `\xHH` escapes otherwise (a name that is not UTF-8, or holds control characters).
pub fn shell_quote(path: &Path) -> String {
    <shell_quote::Bash as shell_quote::Quote<String>>::quote(path.as_os_str())
}

/// Opens the source named by `--root`, or the live system. `--root` naming the root directory
/// (`/`, `/.`, a link to `/`) is the live system: a snapshot reader there would see sysfs and
/// procfs but no `cpuid.txt`, and would silently report CPUID as not observed.
pub fn open(root: Option<&Path>) -> Result<Source, Error> {
    let Some(dir) = root else {
        return Ok(Source::live());
    };
    let refuse = |why: String| Error::Root {
        dir: dir.to_path_buf(),
        why,
    };
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse("no such file or directory".into()));
        }
        Err(e) => return Err(refuse(e.to_string())),
        Ok(m) if m.is_file() => {
            return Err(refuse(
                "is a file, not a directory (a snapshot is the directory `vcap snapshot DIR` writes)"
                    .into(),
            ));
        }
        Ok(m) if !m.is_dir() => {
            return Err(refuse(
                "is not a directory (a snapshot is the directory `vcap snapshot DIR` writes)"
                    .into(),
            ));
        }
        Ok(_) => {}
    }
    if std::fs::canonicalize(dir).is_ok_and(|c| c == Path::new("/")) {
        return Ok(Source::live());
    }
    Ok(Source::snapshot(dir)?)
}

/// Whether a snapshot source gave the probe nothing at all: no file, directory, link or
/// existence check found anything, no `cpuid.txt` and no recorded unreadable file. Every real
/// system has `/proc/cpuinfo`, so such a directory is not a snapshot (a mistyped path, most
/// likely), and reporting it would read as "not a VM".
fn found_nothing(src: &Source, cap: &Capture) -> bool {
    use vcap_core::input::capture::{CpuidRead, Existence, FileRead, Listing};
    src.is_snapshot()
        && src.recorded_unreadable().is_empty()
        && cap.cpuid == CpuidRead::NotObserved
        && cap.files.values().all(|f| *f == FileRead::Absent)
        && cap.exists.values().all(|e| *e == Existence::Absent)
        && cap.dirs.values().all(|d| *d == Listing::Absent)
        && cap.links.values().all(Option::is_none)
}

/// Probes `src` for `scope`; a snapshot directory in which nothing was found is an error.
fn probe(src: &Source, scope: Scope, root: Option<&Path>) -> Result<Capture, Error> {
    let cap = vcap_probe::probe_scope(src, scope);
    if found_nothing(src, &cap) {
        return Err(Error::Root {
            dir: root.unwrap_or(src.root()).to_path_buf(),
            why: format!(
                "not a snapshot: none of the files vcap reads is there (no {CPUID_FILE}, nothing under proc/ or sys/); `vcap snapshot DIR` writes one"
            ),
        });
    }
    Ok(cap)
}

/// Probes and builds the report.
pub fn report(root: Option<&Path>) -> Result<Report, Error> {
    let src = open(root)?;
    Ok(report::build(&probe(&src, Scope::Full, root)?))
}

/// `vcap [--json | --format F]`: the full report.
pub fn run_report(
    root: Option<&Path>,
    format: crate::Format,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    use crate::Format;
    let r = report(root)?;
    match format {
        Format::Json => crate::json::write(out, crate::json::REPORT, &r, Layout::Pretty)?,
        Format::Text => {
            let text = render::wrap(&render::human(&r), crate::stream::width());
            out.write_all(text.as_bytes())?;
        }
        Format::Prometheus => out.write_all(crate::fleet::prometheus(&r).as_bytes())?,
        Format::Facts => {
            let facts = crate::fleet::facts(&r);
            crate::json::write(out, crate::json::FACTS, &facts, Layout::Pretty)?;
        }
    }
    Ok(0)
}

/// systemd's confidential-VM identifiers (src/basic/confidential-virt.c, v254 and later).
pub const CVM_IDS: &[&str] = &["none", "sev", "sev-es", "sev-snp", "tdx", "protvirt", "cca"];

/// `vcap detect`: systemd-detect-virt's answer; exit 0 when something was found, 1 when not.
pub fn run_detect(
    a: &DetectArgs,
    root: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    if a.list || a.list_cvm {
        let ids: Vec<&'static str> = if a.list_cvm {
            CVM_IDS.to_vec()
        } else {
            systemd::IDS
                .iter()
                .chain(systemd::CONTAINER_IDS)
                .copied()
                .collect()
        };
        if json {
            let list = crate::json::DetectList { ids: &ids };
            crate::json::write(out, crate::json::DETECT_LIST, &list, Layout::Line)?;
            return Ok(0);
        }
        for id in ids {
            writeln!(out, "{id}")?;
        }
        return Ok(0);
    }
    if a.chroot {
        if root.is_some() {
            return Err(Error::Unsupported(
                "--chroot compares the live system's / with PID 1's root; a snapshot does not record it",
            ));
        }
        return Ok(u8::from(!in_chroot()?));
    }
    let src = open(root)?;
    let cap = probe(&src, Scope::Detect, root)?;
    if a.private_users {
        return match vcap_core::detect::private_users(&cap) {
            Some(yes) => Ok(u8::from(!yes)),
            None => Err(Error::Unsupported(
                "--private-users: /proc/self/uid_map, gid_map or setgroups could not be read",
            )),
        };
    }
    let d = report::detect_only(&cap);
    let id = if a.cvm {
        // systemd-detect-virt --cvm's id (vcap_core::detect::cvm::systemd_id); exit 0 unless none.
        vcap_core::detect::cvm::systemd_id(&cap)
    } else if a.vm {
        d.vm_id
    } else if a.container {
        d.container.systemd_id
    } else {
        d.innermost_id()
    };
    let code = u8::from(id == "none");
    if json {
        let body = crate::json::Detect {
            systemd_id: id,
            kind: d.verdict.kind.as_str(),
            vm: d.vm_id,
            container: d.container.systemd_id,
        };
        crate::json::write(out, crate::json::DETECT, &body, Layout::Line)?;
    } else if !a.quiet {
        writeln!(out, "{id}")?;
    }
    Ok(code)
}

/// `virt-what`'s usage text (its `--help`), with what vcap adds.
const VIRT_WHAT_USAGE: &str = "virt-what [options]
Options:
  --help          Display this help
  --version       Display version and exit
  --test-root=DIR Read a vcap snapshot directory instead of this system
(vcap answering as virt-what: the facts come from vcap's verdict; see `vcap --help`)
";

/// `virt-what [OPTIONS]`: the facts of vcap's verdict in virt-what's words, one a line, outermost
/// first; exit 0 whether or not anything was found. Options as virt-what 1.25 takes them, read in
/// order: `--help`, `-v`/`--version`, `--test-root=DIR` (virt-what's own way to read another
/// tree: here a snapshot), `--`; anything else is an error naming it.
/// With `cvm`, as `virt-what-cvm`: the confidential-VM facts instead
/// ([`vcap_core::detect::cvm::virt_what_facts`]).
pub fn run_virt_what(
    args: &[std::ffi::OsString],
    cvm: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let mut root: Option<PathBuf> = None;
    let mut rest = args.iter();
    for a in rest.by_ref() {
        let text = a.to_string_lossy();
        match text.as_ref() {
            "--help" => {
                out.write_all(VIRT_WHAT_USAGE.as_bytes())?;
                return Ok(0);
            }
            "-v" | "--version" => {
                writeln!(out, "{}", env!("CARGO_PKG_VERSION"))?;
                return Ok(0);
            }
            "--" => break,
            t if t.starts_with("--test-root=") => {
                let dir = &t["--test-root=".len()..];
                if dir.is_empty() {
                    return Err(Error::VirtWhat(
                        "--test-root option requires a value".into(),
                    ));
                }
                // The directory keeps its bytes (not UTF-8 included): strip the option's prefix
                // from the OsStr itself.
                use std::os::unix::ffi::OsStrExt;
                let raw = &a.as_bytes()["--test-root=".len()..];
                root = Some(PathBuf::from(std::ffi::OsStr::from_bytes(raw)));
            }
            // virt-what's parser names every other word so, operands included.
            t => return Err(Error::VirtWhat(format!("unrecognized option '{t}'"))),
        }
    }
    if let Some(op) = rest.next() {
        return Err(Error::VirtWhat(format!(
            "extra operand '{}'",
            op.to_string_lossy()
        )));
    }
    // A bad tree is named by the option that gave it.
    let as_test_root = |e: Error| match e {
        Error::Root { dir, why } => {
            Error::VirtWhat(format!("--test-root={}: {why}", shell_quote(&dir)))
        }
        e => e,
    };
    let src = open(root.as_deref()).map_err(as_test_root)?;
    let cap = probe(&src, Scope::Detect, root.as_deref()).map_err(as_test_root)?;
    let facts = if cvm {
        vcap_core::detect::cvm::virt_what_facts(&cap)
    } else {
        report::detect_only(&cap).virt_what()
    };
    for fact in facts {
        writeln!(out, "{fact}")?;
    }
    Ok(0)
}

/// Whether `/` is another directory than PID 1's root (systemd's `running_in_chroot()`: the
/// two are compared by device and inode), unless `SYSTEMD_IGNORE_CHROOT` is true, as systemd
/// honours it (then not a chroot, nothing read). Without /proc the check fails, as systemd
/// 252's does (newer systemd assumes a chroot then; the oracle here is 252).
fn in_chroot() -> Result<bool, Error> {
    use std::os::unix::fs::MetadataExt;
    if std::env::var_os("SYSTEMD_IGNORE_CHROOT").is_some_and(|v| systemd_true(v.as_encoded_bytes()))
    {
        return Ok(false);
    }
    let stat = |p: &str| std::fs::metadata(p).map_err(|e| Error::Chroot(format!("{p}: {e}")));
    let (one, me) = (stat("/proc/1/root")?, stat("/")?);
    Ok((one.dev(), one.ino()) != (me.dev(), me.ino()))
}

/// Whether an environment value is true as systemd's `getenv_bool()` reads it
/// (`parse_boolean()`: `1`, `yes`, `y`, `true`, `t`, `on`, case-insensitive); anything else,
/// false or malformed, is not.
fn systemd_true(v: &[u8]) -> bool {
    ["1", "yes", "y", "true", "t", "on"]
        .iter()
        .any(|t| v.eq_ignore_ascii_case(t.as_bytes()))
}

/// `vcap snapshot DIR`: capture every input the probe reads.
pub fn run_snapshot(
    a: &SnapshotArgs,
    root: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let dir_text = a.dir.to_str();
    if json && dir_text.is_none() {
        return Err(Error::JsonPath(a.dir.clone()));
    }
    let src = open(root)?;
    let cap = probe(&src, Scope::Snapshot, root)?;
    let w = snapshot::write(&src, &cap, &a.dir)?;
    if let (true, Some(dir)) = (json, dir_text) {
        let body = crate::json::Snapshot {
            dir,
            files: w.files,
            links: w.links,
            unreadable: w.unreadable,
        };
        crate::json::write(out, crate::json::SNAPSHOT, &body, Layout::Line)?;
    } else {
        let dir = shell_quote(&a.dir);
        writeln!(
            out,
            "wrote {dir}: {} files, {} links, {} unreadable; replay with `vcap --root {dir}`",
            w.files, w.links, w.unreadable,
        )?;
    }
    Ok(0)
}
