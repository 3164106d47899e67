//! `vcap` (the report), `vcap detect` and `vcap snapshot`: read through one source, decide in
//! vcap-core, print.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use vcap_core::plan::Scope;
use vcap_core::report::{self, Report};
use vcap_core::{render, systemd};
use vcap_probe::snapshot::{self, SnapshotError};
use vcap_probe::{Helper, Source, SourceError};

/// Arguments of `vcap detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Print nothing; only the exit status tells (0: virtual machine, 1: not).
    #[arg(long, short)]
    pub quiet: bool,
    /// List every identifier vcap detect can print, and exit.
    #[arg(long)]
    pub list: bool,
}

/// Arguments of `vcap snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The directory to write (created; must be new or empty).
    pub dir: PathBuf,
}

/// Why a probe command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source could not be opened.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The snapshot could not be written.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
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

/// `path` as one shell word that bash, zsh and POSIX sh read back as the same bytes: bare when
/// it has no special characters, in single quotes when it is printable UTF-8, and as `$'…'` with
/// `\xHH` escapes otherwise (a name that is not UTF-8, or holds control characters).
pub fn shell_quote(path: &Path) -> String {
    <shell_quote::Bash as shell_quote::Quote<String>>::quote(path.as_os_str())
}

/// Opens the source named by `--root`, or the live system.
pub fn open(root: Option<&Path>) -> Result<Source, Error> {
    Ok(match root {
        Some(dir) => Source::snapshot(dir)?,
        None => Source::live(),
    })
}

/// Probes (with `helper`, when one was started) and builds the report.
pub fn report(root: Option<&Path>, helper: Option<Helper>) -> Result<Report, Error> {
    let src = open(root)?;
    Ok(report::build(&vcap_probe::probe_with(
        &src,
        Scope::Full,
        helper,
    )))
}

/// `vcap [--json]`: the full report.
pub fn run_report(
    root: Option<&Path>,
    helper: Option<Helper>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let r = report(root, helper)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &r).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(render::human(&r).as_bytes())?;
    }
    Ok(0)
}

/// `vcap detect`: one systemd-detect-virt identifier; exit 0 for a VM, 1 otherwise.
pub fn run_detect(
    a: &DetectArgs,
    root: Option<&Path>,
    helper: Option<Helper>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    if a.list {
        for id in systemd::IDS {
            writeln!(out, "{id}")?;
        }
        return Ok(0);
    }
    let src = open(root)?;
    let (verdict, id) = report::detect_only(&vcap_probe::probe_with(&src, Scope::Detect, helper));
    let code = u8::from(id == "none");
    if json {
        let v = serde_json::json!({
            "schema_version": report::SCHEMA_VERSION,
            "systemd_id": id,
            "kind": verdict.kind.as_str(),
        });
        writeln!(out, "{v}")?;
    } else if !a.quiet {
        writeln!(out, "{id}")?;
    }
    Ok(code)
}

/// `vcap snapshot DIR`: capture every input the probe reads.
pub fn run_snapshot(
    a: &SnapshotArgs,
    root: Option<&Path>,
    helper: Option<Helper>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let dir_text = a.dir.to_str();
    if json && dir_text.is_none() {
        return Err(Error::JsonPath(a.dir.clone()));
    }
    let src = open(root)?;
    let cap = vcap_probe::probe_with(&src, Scope::Snapshot, helper);
    let w = snapshot::write(&src, &cap, &a.dir)?;
    if let (true, Some(dir)) = (json, dir_text) {
        let v = serde_json::json!({"dir": dir, "files": w.files, "links": w.links, "unreadable": w.unreadable});
        writeln!(out, "{v}")?;
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
