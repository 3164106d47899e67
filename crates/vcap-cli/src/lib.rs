//! The `vcap` command line: argument parsing and dispatch. Every command is a function that takes
//! its parsed arguments and a writer, so tests run the whole command in process.
//!
//! ```
//! // `vcap detect --root DIR` on a snapshot of the development machine, in process.
//! let mut out = Vec::new();
//! let code = vcap_cli::run(
//!     ["vcap", "detect", "--root", "../../tests/fixtures/dev-machine-kvm"],
//!     &mut out,
//! )
//! .unwrap();
//! assert_eq!((String::from_utf8(out).unwrap().as_str(), code), ("kvm\n", 0));
//! ```

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

pub mod fleet;
pub mod json;
mod probe_cmd;
mod protocol_cmd;
mod regs_cmd;
mod rules_cmd;
pub mod stream;

/// Tells what the platform beneath really supports, from evidence.
#[derive(Debug, Parser)]
#[command(
    name = "vcap",
    version,
    about = "Tells what the platform beneath this OS really supports, from evidence",
    long_about = LONG_ABOUT,
    after_help = "Without a command, vcap prints the full report. Exit status: 0 yes or done, 1 no, 2 error.",
    after_long_help = EXIT_STATUS,
)]
pub struct Cli {
    /// Read a snapshot directory instead of the live system (`/` is the live system). Also
    /// taken by detect, snapshot and sanitize --live, the other commands that read a system.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`.
    #[arg(long, global = true)]
    pub json: bool,
    /// How the report (vcap without a command) is printed: text, json (as --json), prometheus
    /// (node_exporter textfile-collector metrics) or facts (one flat JSON object for Ansible and
    /// Salt).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// The command; without one, vcap probes and prints the full report.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `vcap --help`'s description.
const LONG_ABOUT: &str =
    "vcap tells what the platform beneath this OS really supports: bare metal or \
virtual machine, which hypervisor, product and cloud, which interrupt remapping, IMS, PASID and \
DMA paths, from evidence, and says what it could not read. It grants nothing on a guess: \"looks \
like bare metal\" never enables a capability.

Without a command, vcap probes this system and prints the full report: the verdict, every piece \
of evidence with its source and raw value, conflicts, what could not be read (and what root would \
reveal), and the capabilities.";

/// The exit statuses, as `vcap --help` and the manual page list them (the table in docs/cli.md):
/// a heading, one line per status (`  N  meaning`), then a closing paragraph.
pub const EXIT_STATUS: &str = "\
Exit status:
  0  done, or yes (detect: a VM; compare: it runs there; protocol: all holds)
  1  no (detect: not a VM; compare: it does not run there; protocol: a failure)
  2  error (bad arguments or input, not a snapshot, output not written)
A reader that closes the pipe early (vcap | head) is no error: the rest of
the output is dropped, and the exit status is the command's own.";

/// The report's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The human report.
    Text,
    /// The JSON report (as --json).
    Json,
    /// Prometheus text exposition format, for node_exporter's textfile collector.
    Prometheus,
    /// One flat JSON object, for Ansible's facts.d and Salt's grains.
    Facts,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one systemd-detect-virt identifier (exit 0: virtual machine, 1: not).
    Detect(probe_cmd::DetectArgs),
    /// Capture every input the probe reads into DIR, so the report can be reproduced anywhere.
    Snapshot(probe_cmd::SnapshotArgs),
    /// Sanitize host ID registers into guest-visible ones.
    Sanitize {
        /// What to sanitize.
        #[command(flatten)]
        args: regs_cmd::SanitizeArgs,
        /// With --live: read a snapshot directory instead of this system.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Fold many host profiles into a migration-safe baseline.
    Baseline(regs_cmd::BaselineArgs),
    /// Can this guest profile run on that host?
    Compare(regs_cmd::CompareArgs),
    /// The guest↔hypervisor interrupt negotiation.
    #[command(subcommand)]
    Protocol(protocol_cmd::ProtocolCommand),
    /// Print every detection rule, the signature rows, the naming precedence and every capability rule.
    Rules(rules_cmd::RulesArgs),
}

/// Everything that can make a command fail; each variant names the step.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line itself was wrong.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// Probing, detecting or snapshotting failed.
    #[error(transparent)]
    Probe(#[from] probe_cmd::Error),
    /// A register command failed.
    #[error(transparent)]
    Regs(#[from] regs_cmd::Error),
    /// A protocol command failed.
    #[error(transparent)]
    Protocol(#[from] protocol_cmd::Error),
}

/// Which tool vcap was invoked as, from the name it was run by (a link named after the tool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personality {
    /// `vcap`.
    Vcap,
    /// `systemd-detect-virt`: `vcap detect` with its options, and exit status 1 for every error
    /// (systemd-detect-virt's convention).
    SystemdDetectVirt,
    /// `virt-what`: its facts, one a line, with its options (`--help`, `--version`,
    /// `--test-root=DIR`) and exit statuses (0 whether or not anything was found, 1 for an error).
    VirtWhat,
    /// `virt-what-cvm` (virt-what's confidential-VM companion): its facts (`amd-sev-snp`,
    /// `intel-tdx`, `hyperv-hcl`, `s390-protvirt` …), with virt-what's options and statuses.
    VirtWhatCvm,
}

impl Personality {
    /// The name errors are prefixed with, and how they exit: vcap's own (2), or the tool's (1).
    pub fn error_style(self) -> (&'static str, u8) {
        match self {
            Personality::Vcap => ("vcap", 2),
            Personality::SystemdDetectVirt => ("systemd-detect-virt", 1),
            Personality::VirtWhat => ("virt-what", 1),
            Personality::VirtWhatCvm => ("virt-what-cvm", 1),
        }
    }
}

/// The personality of a command line: the file name of its first word.
pub fn invoked_as(args: &[OsString]) -> Personality {
    let name = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str());
    match name {
        Some("systemd-detect-virt") => Personality::SystemdDetectVirt,
        Some("virt-what") => Personality::VirtWhat,
        Some("virt-what-cvm") => Personality::VirtWhatCvm,
        _ => Personality::Vcap,
    }
}

impl CliError {
    /// The process exit status for this error (2: bad input or failure to run).
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Runs vcap with these arguments (the first is the program name), writing to `out`.
/// Returns the exit status on success.
pub fn run<I, T>(args: I, out: &mut dyn Write) -> Result<u8, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match invoked_as(&args) {
        Personality::VirtWhat => return Ok(probe_cmd::run_virt_what(&args[1..], false, out)?),
        Personality::VirtWhatCvm => return Ok(probe_cmd::run_virt_what(&args[1..], true, out)?),
        _ => {}
    }
    if invoked_as(&args) == Personality::SystemdDetectVirt {
        // `systemd-detect-virt ARGS` is `vcap detect ARGS`, read as systemd reads them.
        args.splice(0..1.min(args.len()), ["vcap".into(), "detect".into()]);
        stop_at_first_terminal_option(&mut args, 2);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                write!(out, "{e}")?;
                return Ok(0);
            }
            // One error style: `vcap: what went wrong`, then clap's usage lines.
            let text = e.to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            return Err(CliError::Usage(text.trim_end().to_string()));
        }
    };
    let format = match (cli.format, cli.json) {
        (None, false) => Format::Text,
        (None, true) | (Some(Format::Json), _) => Format::Json,
        (Some(f), false) => f,
        (Some(_), true) => {
            return Err(CliError::Usage(
                "--json and --format: give one of them (--json is --format json)".into(),
            ));
        }
    };
    if let (Some(_), Some(c)) = (cli.format, &cli.command) {
        return Err(CliError::Usage(format!(
            "--format goes with the report (vcap without a command), not `vcap {}`; its JSON is --json",
            c.name()
        )));
    }
    let root = match &cli.command {
        None => cli.root.as_deref(),
        Some(c) => c.root(cli.root.as_deref())?,
    };
    match &cli.command {
        None => Ok(probe_cmd::run_report(root, format, out)?),
        Some(Command::Detect(a)) if a.quiet && cli.json => Err(CliError::Usage(
            "detect: --quiet prints nothing and --json prints JSON; give one of them".into(),
        )),
        Some(Command::Detect(a)) => Ok(probe_cmd::run_detect(a, root, cli.json, out)?),
        Some(Command::Snapshot(a)) => Ok(probe_cmd::run_snapshot(a, root, cli.json, out)?),
        Some(Command::Sanitize { args, .. }) => Ok(regs_cmd::sanitize(args, root, cli.json, out)?),
        Some(Command::Baseline(a)) => Ok(regs_cmd::baseline(a, cli.json, out)?),
        Some(Command::Compare(a)) => Ok(regs_cmd::compare(a, cli.json, out)?),
        Some(Command::Protocol(c)) => Ok(protocol_cmd::run(c, cli.json, out)?),
        Some(Command::Rules(a)) => Ok(rules_cmd::run(a, cli.json, out)?),
    }
}

/// systemd-detect-virt reads its options in order and stops at the first that answers at once
/// (`-h`/`--help`, `--version`, `--list`, `--list-cvm`, and `--cvm`, which sets its mode and
/// returns: src/detect-virt/detect-virt.c `parse_argv()`), so what follows is never read, not
/// even `-q`, an unknown option or an argument. From `from` on,
/// `args` keeps the options before the first such one, and that one (a bundle like `-qh` is
/// kept whole: the letters before `h` are read first). Nothing changes without one, or when
/// `--` comes first.
fn stop_at_first_terminal_option(args: &mut Vec<OsString>, from: usize) {
    const TERMINAL: &[&str] = &["--help", "--version", "--list", "--list-cvm", "--cvm"];
    let mut kept = Vec::new();
    for (i, a) in args.iter().enumerate().skip(from) {
        let Some(t) = a.to_str() else {
            kept.push(i);
            continue;
        };
        if t == "--" {
            return;
        }
        let bundle_h = t.starts_with('-') && !t.starts_with("--") && t.contains('h');
        if TERMINAL.contains(&t) || bundle_h {
            kept.push(i);
            let keep: Vec<OsString> = kept.iter().map(|&k| args[k].clone()).collect();
            args.truncate(from);
            args.extend(keep);
            return;
        }
        // Arguments (not options) are read only after every option: getopt moves them last.
        if t.starts_with('-') {
            kept.push(i);
        }
    }
}

impl Command {
    /// The command's name as typed.
    fn name(&self) -> &'static str {
        match self {
            Command::Detect(_) => "detect",
            Command::Snapshot(_) => "snapshot",
            Command::Sanitize { .. } => "sanitize",
            Command::Baseline(_) => "baseline",
            Command::Compare(_) => "compare",
            Command::Protocol(_) => "protocol",
            Command::Rules(_) => "rules",
        }
    }

    /// The `--root` given after the command, and whether the command reads a system at all
    /// (with the name to say so when it does not).
    fn own_root(&self) -> (Option<&Path>, Result<(), &'static str>) {
        match self {
            Command::Detect(a) if a.list => (a.root.as_deref(), Err("detect --list")),
            Command::Detect(a) => (a.root.as_deref(), Ok(())),
            Command::Snapshot(a) => (a.root.as_deref(), Ok(())),
            Command::Sanitize { args, root } => (
                root.as_deref(),
                if args.live.is_some() {
                    Ok(())
                } else {
                    Err("sanitize HOST")
                },
            ),
            Command::Baseline(_) => (None, Err("baseline")),
            Command::Compare(_) => (None, Err("compare")),
            Command::Protocol(_) => (None, Err("protocol")),
            Command::Rules(_) => (None, Err("rules")),
        }
    }

    /// The one `--root` of the command line: given before the command (`vcap --root DIR
    /// detect`) or after it (`vcap detect --root DIR`), not both; with a command that reads no
    /// system it is refused rather than ignored.
    fn root<'a>(&'a self, before: Option<&'a Path>) -> Result<Option<&'a Path>, CliError> {
        match (before, self.own_root()) {
            (Some(_), (Some(_), _)) => Err(CliError::Usage(
                "--root is given twice (before and after the command); give it once".into(),
            )),
            (Some(_), (_, Err(name))) | (_, (Some(_), Err(name))) => Err(CliError::Usage(format!(
                "--root: `vcap {name}` reads no system (only what it is given); --root goes with vcap, detect, snapshot and sanitize --live"
            ))),
            (before, (after, _)) => Ok(before.or(after)),
        }
    }
}
