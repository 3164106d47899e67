//! `vcap sanitize`, `vcap baseline`, `vcap compare`: thin wrappers over `vcap_regs`. The only I/O
//! here is reading the named files (or stdin), sysfs for `--live vtd`, and the CPUID instruction
//! for `--live cpuid`; everything else is the library.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;
use vcap_regs::input::{self, Host, InputError};
use vcap_regs::{
    Baseline, BaselineError, CompareError, Context, KernelCap, Kind, Manifest, RegSet,
    SanitizeError, VmFlag, report,
};

/// Arguments of `vcap sanitize`.
#[derive(Debug, Args)]
pub struct SanitizeArgs {
    /// Host registers: a JSON file shaped like the kernel struct, JSON lines (folded into their
    /// baseline first), or `cpuid -r` text; `-` reads stdin.
    #[arg(
        value_name = "HOST",
        required_unless_present = "live",
        conflicts_with = "live"
    )]
    pub host: Option<PathBuf>,
    /// Read the host registers from this system, or from the snapshot given with `--root`:
    /// `vtd` (sysfs intel-iommu cap/ecap of every unit, folded into their baseline) or `cpuid`
    /// (the CPUID instruction; `cpuid.txt` in a snapshot).
    #[arg(long, value_enum)]
    pub live: Option<LiveSource>,
    /// VMM support manifest (JSON); without one the VMM implements exactly the baseline.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// A kernel capability bit that is present: an IOMMU_HW_CAP_* name, or the whole
    /// `out_capabilities` value in hex. Repeatable.
    #[arg(long = "kernel-cap", value_name = "CAP")]
    pub kernel_caps: Vec<String>,
    /// A per-VM enable flag: ats-devices, iopf, nested-virt. Repeatable.
    #[arg(long = "vm-flag", value_name = "FLAG")]
    pub vm_flags: Vec<String>,
    /// Print the guest registers in a VMM's own format instead of the report: `firecracker`
    /// (a custom CPU template), `libvirt` (a `<cpu>` element) or `qemu` (a `-cpu` value); CPUID
    /// only.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emit: Option<Emit>,
    /// HOST is the raw struct the kernel wrote for IOMMU_GET_HW_INFO of this type (the bytes at
    /// `data_uptr`, `data_len` long); pass `out_capabilities` with `--kernel-cap 0x…`.
    #[arg(long, value_enum, value_name = "TYPE", conflicts_with = "live")]
    pub hw_info: Option<HwInfoKind>,
}

/// `enum iommu_hw_info_type`, as `--hw-info` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HwInfoKind {
    /// IOMMU_HW_INFO_TYPE_INTEL_VTD (struct iommu_hw_info_vtd).
    IntelVtd,
    /// IOMMU_HW_INFO_TYPE_ARM_SMMUV3 (struct iommu_hw_info_arm_smmuv3).
    ArmSmmuv3,
    /// IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV (struct iommu_hw_info_tegra241_cmdqv).
    Tegra241Cmdqv,
    /// IOMMU_HW_INFO_TYPE_AMD (struct iommu_hw_info_amd).
    Amd,
}

impl HwInfoKind {
    fn ty(self) -> vcap_regs::hwinfo::HwInfoType {
        use vcap_regs::hwinfo::HwInfoType as T;
        match self {
            HwInfoKind::IntelVtd => T::IntelVtd,
            HwInfoKind::ArmSmmuv3 => T::ArmSmmuV3,
            HwInfoKind::Tegra241Cmdqv => T::Tegra241Cmdqv,
            HwInfoKind::Amd => T::Amd,
        }
    }
}

/// Reads a raw hw_info struct (at most 4 KiB: no hw_info struct comes near) and decodes it.
fn read_hw_info(path: &Path, kind: HwInfoKind) -> Result<vcap_regs::hwinfo::HwInfo, Error> {
    const LIMIT: u64 = 4096;
    let mut bytes = Vec::new();
    open(path)?
        .take(LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    if bytes.len() as u64 > LIMIT {
        return Err(
            InputError::new(&origin(path), None, None, input::Problem::TooLarge(LIMIT)).into(),
        );
    }
    vcap_regs::hwinfo::parse(kind.ty().value(), &bytes).map_err(|e| {
        InputError::new(
            &origin(path),
            None,
            None,
            input::Problem::Shape(e.to_string()),
        )
        .into()
    })
}

/// What the raw struct held beyond what vcap knows, as report lines.
fn hw_info_notes(h: &vcap_regs::hwinfo::HwInfo) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, v) in &h.nonzero_reserved {
        notes.push(format!(
            "{}: {name} = {v:#x} (must be 0 as vcap knows the struct; a newer kernel may use it)",
            h.ty.name()
        ));
    }
    for (off, v) in &h.trailing {
        notes.push(format!(
            "{}: byte {off}: {v:#018x} after the {}-byte struct vcap knows (a field a newer kernel appended; read, not used)",
            h.ty.name(),
            h.ty.size()
        ));
    }
    notes
}

/// VMM-native output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// A Firecracker custom CPU template (`cpuid_modifiers` with `0b…x…` bitmaps).
    Firecracker,
    /// CPUID: a libvirt domain `<cpu>` element (the richest libvirt model every feature of which
    /// the CPU has, and its other features as `require`). SMMUv3 or VT-d: the `<iommu>` element
    /// with the fleet-safe settings.
    Libvirt,
    /// CPUID: a QEMU `-cpu` value (the same model, `+feature` with QEMU's names, `enforce`).
    /// SMMUv3 or VT-d: the `-device arm-smmuv3,…` / `intel-iommu,…` value.
    Qemu,
}

/// Writes `regs` in the `emit` format.
fn emit_native(out: &mut dyn Write, emit: Emit, regs: &RegSet) -> Result<(), Error> {
    match emit {
        Emit::Firecracker => {
            let t = vcap_regs::firecracker::from_profile(regs).ok_or_else(|| {
                Error::Usage(format!(
                    "--emit firecracker: a Firecracker CPU template holds CPUID, not {}",
                    regs.kind
                ))
            })?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&t).unwrap_or_default()
            )?;
        }
        Emit::Libvirt | Emit::Qemu if regs.kind != Kind::X86Cpuid => {
            let name = if emit == Emit::Libvirt {
                "libvirt"
            } else {
                "qemu"
            };
            let v = vcap_regs::vmm::viommu_settings(regs)
                .map_err(|e| Error::Usage(format!("--emit {name}: {e}")))?;
            if emit == Emit::Libvirt {
                write!(out, "{}", v.to_libvirt())?;
            } else {
                writeln!(out, "-device {}", v.to_qemu())?;
            }
            for n in &v.notes {
                eprintln!("note: {n}");
            }
        }
        Emit::Libvirt | Emit::Qemu => {
            let name = if emit == Emit::Libvirt {
                "libvirt"
            } else {
                "qemu"
            };
            if emit == Emit::Libvirt {
                let def = vcap_regs::libvirt::CpuDef::from_regset(regs)
                    .map_err(|e| Error::Usage(format!("--emit {name}: {e}")))?;
                write!(out, "{}", def.to_xml())?;
            } else {
                let (def, dropped) = vcap_regs::libvirt::CpuDef::for_qemu(regs)
                    .map_err(|e| Error::Usage(format!("--emit {name}: {e}")))?;
                let q = def
                    .to_qemu()
                    .map_err(|e| Error::Usage(format!("--emit qemu: {e}")))?;
                writeln!(out, "{q}")?;
                for n in dropped {
                    eprintln!(
                        "note: `{n}` is left out: QEMU's -cpu has no property for it (the guest does not get it from -cpu)"
                    );
                }
            }
        }
    }
    Ok(())
}

/// Where `--live` reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LiveSource {
    /// /sys/class/iommu/*/intel-iommu/{cap,ecap}.
    Vtd,
    /// The CPUID instruction (x86 only).
    Cpuid,
}

/// Arguments of `vcap baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Host files: JSON, JSON lines (one host per line, streamed), or `cpuid -r` text; `-` reads
    /// stdin (named explicitly: without HOST, nothing is read).
    #[arg(value_name = "HOST")]
    pub hosts: Vec<PathBuf>,
    /// Print the baseline profile in a VMM's own format instead of the report: `firecracker`
    /// (a custom CPU template), `libvirt` (a `<cpu>` element: the richest common named model and
    /// the other common features) or `qemu` (a `-cpu` value); CPUID only.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emit: Option<Emit>,
}

/// Arguments of `vcap compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The guest profile (same formats as a host file).
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// The host.
    #[arg(value_name = "HOST")]
    pub host: PathBuf,
    /// Instead of vcap's rules, report what this VMM would refuse, in its check order and
    /// words: qemu-arm-smmuv3-accel (PROFILE: the vSMMU's IDRs), iommufd-tegra241-cmdqv,
    /// qemu-intel-iommu-x-flts, cloud-hypervisor-virtio-iommu (PROFILE: cloud-hypervisor's
    /// VmConfig JSON; HOST: the host VT-d or SMMUv3).
    #[arg(long, value_name = "NAME")]
    pub vmm: Option<String>,
}

/// Why a register command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// An input did not parse.
    #[error(transparent)]
    Input(Box<InputError>),
    /// Sanitizing failed.
    #[error("sanitize: {0}")]
    Sanitize(#[from] SanitizeError),
    /// The baseline could not be formed.
    #[error("baseline: {0}")]
    Baseline(#[from] BaselineError),
    /// The comparison could not be made.
    #[error("compare: {0}")]
    Compare(#[from] CompareError),
    /// A bad argument.
    #[error("{0}")]
    Usage(String),
    /// `--live` is not possible here.
    #[error("--live {0}: {1}")]
    Live(&'static str, String),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(Box::new(e))
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn origin(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

/// The longest line any host format has (JSON lines are one host per line): 1 MiB.
const LINE_LIMIT: usize = 1 << 20;
/// The largest whole-file input (one JSON object, `cpuid -r` text of many CPUs, a manifest):
/// 64 MiB. JSON lines stream without a total limit.
const FILE_LIMIT: u64 = 64 << 20;

fn open(path: &Path) -> Result<Box<dyn BufRead>, Error> {
    Ok(if path == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(path).map_err(io_err(path))?))
    })
}

/// Reads one line (up to `\n`) of at most [`LINE_LIMIT`] bytes into `buf`; `false` at the end.
fn read_line(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    path: &Path,
    lineno: usize,
    offset: u64,
) -> Result<bool, Error> {
    buf.clear();
    let n = r
        .take(LINE_LIMIT as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(io_err(path))?;
    if n > LINE_LIMIT {
        // Say what it is before saying how long it is: binary data has no lines.
        input::check_text(
            &buf[..LINE_LIMIT.min(buf.len())],
            &origin(path),
            offset,
            lineno,
        )?;
        let head = String::from_utf8_lossy(&buf[..buf.len().min(4 * input::EXCERPT)]);
        return Err(InputError::new(
            &origin(path),
            Some(lineno),
            None,
            input::Problem::LineTooLong(LINE_LIMIT, input::excerpt(&head)),
        )
        .at_offset(offset)
        .into());
    }
    Ok(n > 0)
}

/// Reads the rest of a whole-file input after `head` (the bytes already read), at most
/// [`FILE_LIMIT`] bytes in all, and checks that it is text.
fn read_rest(r: &mut dyn BufRead, mut head: Vec<u8>, path: &Path) -> Result<String, Error> {
    let room = FILE_LIMIT.saturating_sub(head.len() as u64);
    r.take(room + 1)
        .read_to_end(&mut head)
        .map_err(io_err(path))?;
    if head.len() as u64 > FILE_LIMIT {
        return Err(InputError::new(
            &origin(path),
            None,
            None,
            input::Problem::TooLarge(FILE_LIMIT),
        )
        .into());
    }
    input::check_text(&head, &origin(path), 0, 1)?;
    String::from_utf8(head)
        .map_err(|_| InputError::new(&origin(path), None, None, input::Problem::NotUtf8).into())
}

fn read_all(path: &Path) -> Result<String, Error> {
    let mut r = open(path)?;
    read_rest(&mut *r, Vec::new(), path)
}

/// What `for_each_host` hands on: the registers and a way to get the host's name, which is only
/// built when asked for (the first host, or an error).
type HostSink<'s> = dyn FnMut(&RegSet, &mut dyn FnMut() -> String) -> Result<(), Error> + 's;

/// Streams the hosts of one input into `sink`: JSON lines one line at a time (flat memory, each
/// line at most [`LINE_LIMIT`]), anything else whole (at most [`FILE_LIMIT`]). The format is
/// decided by the first non-blank line; binary data and non-UTF-8 text are named as such with
/// their byte offset.
fn for_each_host(path: &Path, sink: &mut HostSink<'_>) -> Result<(), Error> {
    let name = origin(path);
    let mut r = open(path)?;
    let mut buf = Vec::new();
    let mut lineno = 0usize;
    let mut offset = 0u64;
    // Binary data: a `struct kvm_cpuid2` (KVM_GET_CPUID2's buffer) or an error. The largest
    // kvm_cpuid2 is 8 + 256 * 40 bytes, so no more than that is read.
    if r.fill_buf().map_err(io_err(path))?.contains(&0) {
        let max = (vcap_regs::kvm::HEADER_SIZE
            + vcap_regs::kvm::MAX_ENTRIES * vcap_regs::kvm::ENTRY_SIZE) as u64;
        let mut head = Vec::new();
        (&mut *r)
            .take(max + 1)
            .read_to_end(&mut head)
            .map_err(io_err(path))?;
        if vcap_regs::kvm::looks_like_cpuid2(&head) {
            let entries = vcap_regs::kvm::cpuid2_from_bytes(&head).map_err(|e| {
                InputError::new(&name, None, None, input::Problem::Shape(e.to_string()))
            })?;
            let regs = vcap_regs::kvm::to_regset(&entries).map_err(|e| {
                InputError::new(
                    &name,
                    None,
                    Some("kvm_cpuid2"),
                    input::Problem::Shape(e.to_string()),
                )
            })?;
            return sink(&regs, &mut || name.clone());
        }
        input::check_text(&head, &name, 0, 1)?;
    }
    // Find the first non-blank line to decide the format.
    let mut consumed = Vec::new();
    loop {
        if !read_line(&mut *r, &mut buf, path, lineno + 1, offset)? {
            return Err(InputError::new(&name, None, None, input::Problem::Empty).into());
        }
        lineno += 1;
        let text = input::check_text(&buf, &name, offset, lineno)?;
        if !text.trim().is_empty() {
            break;
        }
        offset = offset.saturating_add(buf.len() as u64);
        consumed.extend_from_slice(&buf);
        if consumed.len() as u64 > FILE_LIMIT {
            return Err(
                InputError::new(&name, None, None, input::Problem::TooLarge(FILE_LIMIT)).into(),
            );
        }
    }
    let first = input::check_text(&buf, &name, offset, lineno)?;
    let format = input::detect_format(first, &name, lineno)?;
    if format != input::Format::JsonLines {
        consumed.extend_from_slice(&buf);
        let text = read_rest(&mut *r, consumed, path)?;
        for h in input::parse_hosts(&text, &name)? {
            sink(&h.regs, &mut || h.name.clone())?;
        }
        return Ok(());
    }
    loop {
        let line = input::check_text(&buf, &name, offset, lineno)?;
        if !line.trim().is_empty() {
            let (regs, explicit) = input::parse_host_json_lazy(line, &name, Some(lineno))?;
            sink(&regs, &mut || match &explicit {
                Some(n) => n.to_string(),
                None => format!("{name}:{lineno}"),
            })?;
        }
        offset = offset.saturating_add(buf.len() as u64);
        if !read_line(&mut *r, &mut buf, path, lineno + 1, offset)? {
            return Ok(());
        }
        lineno += 1;
    }
}

/// Refuses a command line that names stdin (`-`) more than once: it can be read only once.
fn stdin_once<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Result<(), Error> {
    if paths
        .into_iter()
        .filter(|p| p.as_path() == Path::new("-"))
        .count()
        > 1
    {
        return Err(Error::Usage(
            "`-` (stdin) is named more than once; stdin can be read only once: save it to a file"
                .into(),
        ));
    }
    Ok(())
}

/// Reads exactly one profile (several are folded into their baseline).
fn one_profile(path: &Path) -> Result<Host, Error> {
    let mut b = Baseline::new();
    let mut only: Option<Host> = None;
    for_each_host(path, &mut |regs, name| {
        let n = name();
        b.add(regs, &n)?;
        only = if b.count() == 1 {
            Some(Host {
                name: n,
                regs: *regs,
            })
        } else {
            None
        };
        Ok(())
    })?;
    if let Some(h) = only {
        return Ok(h);
    }
    let r = b.finish()?;
    Ok(Host {
        name: format!("baseline of {} hosts in {}", r.hosts, origin(path)),
        regs: r.profile,
    })
}

fn context(a: &SanitizeArgs, kind: Kind) -> Result<(Context, String), Error> {
    let (manifest, label) = match &a.manifest {
        Some(p) => {
            let text = read_all(p)?;
            (input::parse_manifest(&text, &origin(p))?, origin(p))
        }
        None => (Manifest::baseline(kind), "baseline (default)".to_string()),
    };
    let mut caps = 0u64;
    for c in &a.kernel_caps {
        if let Some(k) = KernelCap::parse(c) {
            caps |= k.bit();
        } else if let Ok(v) = vcap_regs::hex::parse(c, vcap_regs::hex::Prefix::Required, 64) {
            let known = KernelCap::ALL.iter().fold(0, |m, k| m | k.bit());
            if v & !known != 0 {
                return Err(Error::Usage(format!(
                    "--kernel-cap {c}: bits {:#x} are not IOMMU_HW_CAP_* bits",
                    v & !known
                )));
            }
            caps |= v;
        } else {
            return Err(Error::Usage(format!(
                "--kernel-cap {c}: not an IOMMU_HW_CAP_* name nor a hex out_capabilities value"
            )));
        }
    }
    let mut flags = BTreeSet::new();
    for f in &a.vm_flags {
        flags.insert(VmFlag::parse(f).ok_or_else(|| {
            Error::Usage(format!(
                "--vm-flag {f}: unknown (expected one of: {})",
                VmFlag::ALL.map(|x| x.name()).join(", ")
            ))
        })?);
    }
    Ok((
        Context {
            manifest,
            kernel_caps: caps,
            vm_flags: flags,
        },
        label,
    ))
}

fn live_vtd(src: &vcap_probe::Source) -> Result<Host, Error> {
    use vcap_core::input::capture::FileRead;
    const DIR: &str = "/sys/class/iommu";
    let read = |p: &str| match src.read_file(p, vcap_core::input::plan::ATTR_LIMIT) {
        FileRead::Data { bytes, .. } => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        FileRead::Absent => Ok(None),
        FileRead::Unreadable(why) => Err(Error::Live("vtd", format!("{p}: {why}"))),
        FileRead::Parts(_) => Err(Error::Live(
            "vtd",
            format!("{p}: only parts of it were read"),
        )),
    };
    let mut b = Baseline::new();
    let mut units = 0;
    for e in src.list(DIR).entries() {
        let unit = format!("{DIR}/{}/intel-iommu", e.name);
        let mut regs = RegSet::zero(Kind::IntelVtd);
        let mut found = true;
        for (i, name) in ["cap", "ecap"].iter().enumerate() {
            let p = format!("{unit}/{name}");
            match read(&p)? {
                Some(text) => regs.regs[i] = input::parse_sysfs_hex(&text, &p)?,
                None => found = false,
            }
        }
        if found {
            b.add(&regs, &unit)?;
            units += 1;
        }
    }
    if units == 0 {
        return Err(Error::Live(
            "vtd",
            format!("no {DIR}/*/intel-iommu/cap under {}", src.root().display()),
        ));
    }
    let r = b.finish()?;
    Ok(Host {
        name: format!("live: {} VT-d unit(s)", r.hosts),
        regs: r.profile,
    })
}

/// CPUID through the probe: executed live, or `cpuid.txt` of a snapshot, as one CPU's leaves.
fn live_cpuid(src: &vcap_probe::Source) -> Result<Host, Error> {
    use vcap_core::input::capture::CpuidRead;
    match src.cpuid() {
        CpuidRead::Dump(d) => Ok(input::host_from_cpus(
            std::slice::from_ref(&d.leaves),
            "live: CPUID",
        )?),
        CpuidRead::NotObserved => Err(Error::Live(
            "cpuid",
            "CPUID not observed (not an x86 machine, or a snapshot without cpuid.txt)".into(),
        )),
        CpuidRead::Malformed(why) => Err(Error::Live("cpuid", why)),
    }
}

/// Writes the JSON value (pretty) or the human text.
/// `vcap compare --vmm NAME --json` (`vcap.compare-vmm/1`): what that VMM would refuse on the
/// host, in its check order and words.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CompareVmmDoc {
    /// The VMM profile (`--vmm`).
    pub vmm: &'static str,
    /// The source file the profile follows.
    pub source: &'static str,
    /// Whether the VMM would accept the host (no refusal).
    pub accepts: bool,
    /// How many checks the profile makes.
    pub checks: usize,
    /// cloud-hypervisor only: whether the VM configuration has a virtio-iommu.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtio_iommu: Option<bool>,
    /// cloud-hypervisor only: the configured IOMMU address width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iommu_address_width_bits: Option<u64>,
    /// Each check the host fails, in the VMM's order.
    pub refusals: Vec<vcap_regs::vmm::Refusal>,
}

/// `vcap sanitize --hw-info tegra241-cmdqv --json` (`vcap.hw_info/1`): the CMDQV fields, which
/// the VMM uses directly (the kdoc), and the guest's PARAM register.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HwInfoDoc {
    /// The hw_info type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The CMDQV version.
    pub version: u8,
    /// log2 of the number of VCMDQs.
    pub log2vcmdqs: u8,
    /// log2 of the number of stream IDs per VINTF.
    pub log2vsids: u8,
    /// The guest CMDQV PARAM register (hex).
    pub guest_param: String,
    /// Notes on the input (fields vcap does not know).
    pub notes: Vec<String>,
}

/// Writes a register command's answer: its text, or its JSON document in the envelope every vcap
/// JSON output has (`schema` and `vcap_version` first, then the document's keys in order).
fn emit<T: Serialize>(
    out: &mut dyn Write,
    json: bool,
    schema: &'static str,
    doc: &T,
    text: &str,
) -> std::io::Result<()> {
    if json {
        crate::json::write(out, schema, doc, crate::json::Layout::Pretty)
    } else {
        out.write_all(text.as_bytes())
    }
}

/// Runs `vcap sanitize`.
pub fn sanitize(
    a: &SanitizeArgs,
    root: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    stdin_once(a.host.iter().chain(a.manifest.iter()))?;
    let source = || crate::probe_cmd::open(root).map_err(|e| Error::Live("source", e.to_string()));
    let mut notes = Vec::new();
    if let (Some(kind), Some(p)) = (a.hw_info, &a.host) {
        let h = read_hw_info(p, kind)?;
        notes = hw_info_notes(&h);
        match h.data {
            vcap_regs::hwinfo::HwInfoData::Tegra241(t) => {
                // Not a register table: the kdoc says the VMM uses the fields directly.
                let doc = HwInfoDoc {
                    kind: h.ty.name(),
                    version: t.version,
                    log2vcmdqs: t.log2vcmdqs,
                    log2vsids: t.log2vsids,
                    guest_param: format!("{:#010x}", t.param()),
                    notes: notes.clone(),
                };
                let text = format!(
                    "{}: version {}, log2vcmdqs {}, log2vsids {}\nguest CMDQV PARAM {:#010x} (one VINTF: bits 11:8 = 0)\n{}",
                    h.ty.name(),
                    t.version,
                    t.log2vcmdqs,
                    t.log2vsids,
                    t.param(),
                    notes
                        .iter()
                        .map(|n| format!("note: {n}\n"))
                        .collect::<String>()
                );
                emit(out, json, crate::json::HW_INFO, &doc, &text)?;
                return Ok(0);
            }
            vcap_regs::hwinfo::HwInfoData::Registers(r) => {
                return sanitize_host(
                    a,
                    Host {
                        name: origin(p),
                        regs: r,
                    },
                    &notes,
                    json,
                    out,
                );
            }
        }
    }
    let host = match (a.live, &a.host) {
        (Some(LiveSource::Vtd), _) => live_vtd(&source()?)?,
        (Some(LiveSource::Cpuid), _) => live_cpuid(&source()?)?,
        (None, Some(p)) => one_profile(p)?,
        (None, None) => return Err(Error::Usage("sanitize: give HOST or --live".into())),
    };
    sanitize_host(a, host, &notes, json, out)
}

/// The sanitize report for one host, with `notes` (what a raw struct held beyond vcap's).
fn sanitize_host(
    a: &SanitizeArgs,
    host: Host,
    notes: &[String],
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let (ctx, label) = context(a, host.regs.kind)?;
    let e = vcap_regs::explain(&host.regs, &ctx)?;
    if let Some(f) = a.emit {
        emit_native(out, f, &e.guest)?;
        return Ok(0);
    }
    if json {
        let mut doc = report::sanitize_doc(&host.regs, &ctx, &label, &e);
        // The input's notes first (a raw struct's extra fields), then the report's own
        // (unknown registers).
        doc.notes = notes.iter().cloned().chain(doc.notes).collect();
        crate::json::write(
            out,
            crate::json::SANITIZE,
            &doc,
            crate::json::Layout::Pretty,
        )?;
    } else {
        writeln!(out, "host: {}", host.name)?;
        for n in notes {
            writeln!(out, "note: {n}")?;
        }
        out.write_all(report::sanitize_text(&host.regs, &label, &e).as_bytes())?;
    }
    Ok(0)
}

/// Runs `vcap baseline`.
pub fn baseline(a: &BaselineArgs, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    if a.hosts.is_empty() {
        return Err(Error::Usage(
            "baseline: no HOST given; name host files, or `-` to read them from stdin".into(),
        ));
    }
    stdin_once(&a.hosts)?;
    let mut b = Baseline::new();
    for p in &a.hosts {
        for_each_host(p, &mut |regs, name| Ok(b.add_with(regs, name)?))?;
    }
    let r = b.finish()?;
    if let Some(f) = a.emit {
        emit_native(out, f, &r.profile)?;
        return Ok(0);
    }
    if json {
        let doc = report::baseline_doc(&r);
        crate::json::write(
            out,
            crate::json::BASELINE,
            &doc,
            crate::json::Layout::Pretty,
        )?;
    } else {
        out.write_all(report::baseline_text(&r).as_bytes())?;
    }
    Ok(0)
}

/// Runs `vcap compare`. Exit status 0 when the profile runs on the host (identical or subset),
/// 1 when it does not (superset or incompatible).
pub fn compare(a: &CompareArgs, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    stdin_once([&a.profile, &a.host])?;
    if a.vmm.as_deref() == Some(vcap_regs::vmm::CLOUD_HYPERVISOR) {
        return compare_cloud_hypervisor(a, json, out);
    }
    if let Some(name) = &a.vmm {
        vmm_profile(name)?;
    }
    let p = one_profile(&a.profile)?;
    let h = one_profile(&a.host)?;
    if let Some(name) = &a.vmm {
        return compare_vmm(name, &p, &h, json, out);
    }
    let c = vcap_regs::compare(&p.regs, &h.regs)?;
    if json {
        let doc = report::compare_doc(&c, p.regs.kind);
        crate::json::write(out, crate::json::COMPARE, &doc, crate::json::Layout::Pretty)?;
    } else {
        out.write_all(report::compare_text(&c).as_bytes())?;
    }
    Ok(if c.verdict.runs() { 0 } else { 1 })
}

/// `vcap compare --vmm cloud-hypervisor-virtio-iommu VMCONFIG HOST`: VMCONFIG is
/// cloud-hypervisor's own `VmConfig` JSON; exit 0 when nothing would fail, 1 otherwise.
fn compare_cloud_hypervisor(a: &CompareArgs, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    use vcap_regs::vmm::{CLOUD_HYPERVISOR, CLOUD_HYPERVISOR_SOURCE};
    let path = a.profile.display().to_string();
    let text = if a.profile.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|source| Error::Io {
                path: "stdin".into(),
                source,
            })?;
        s
    } else {
        std::fs::read_to_string(&a.profile).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?
    };
    let cfg = vcap_regs::vmm::parse_cloud_hypervisor_config(&text)
        .map_err(|e| Error::Usage(format!("{path}: {e}")))?;
    let h = one_profile(&a.host)?;
    let refusals = vcap_regs::vmm::check_cloud_hypervisor(&cfg, &h.regs)
        .map_err(|e| Error::Usage(format!("--vmm {CLOUD_HYPERVISOR}: {e}")))?;
    let doc = CompareVmmDoc {
        vmm: CLOUD_HYPERVISOR,
        source: CLOUD_HYPERVISOR_SOURCE,
        accepts: refusals.is_empty(),
        checks: 3,
        virtio_iommu: Some(cfg.iommu),
        iommu_address_width_bits: Some(cfg.address_width_bits),
        refusals: refusals.clone(),
    };
    let mut text = String::new();
    match refusals.first() {
        None if !cfg.iommu => text.push_str(&format!(
            "{CLOUD_HYPERVISOR}: the VM has no virtio-iommu (no `iommu: true`, no iommu_segments): nothing to check\n"
        )),
        None => text.push_str(&format!(
            "{CLOUD_HYPERVISOR}: accepts the host (virtio-iommu input range {} bits; 3 checks of {CLOUD_HYPERVISOR_SOURCE})\n",
            cfg.address_width_bits
        )),
        Some(first) => {
            text.push_str(&format!("{CLOUD_HYPERVISOR}: {}\n", first.message));
            for r in &refusals {
                text.push_str(&format!(
                    "  check {} {:<34} host {} guest {}: {}\n",
                    r.order, r.field, r.host, r.guest, r.message
                ));
            }
            text.push_str(&format!("(checks from {CLOUD_HYPERVISOR_SOURCE})\n"));
        }
    }
    emit(out, json, crate::json::COMPARE_VMM, &doc, &text)?;
    Ok(if refusals.is_empty() { 0 } else { 1 })
}

/// `vcap compare --vmm NAME`: exit 0 when the VMM would accept the host, 1 when it would refuse.
fn compare_vmm(
    name: &str,
    p: &Host,
    h: &Host,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let vmm = vmm_profile(name)?;
    let refusals = vcap_regs::vmm::check(vmm, &p.regs, &h.regs)
        .map_err(|e| Error::Usage(format!("--vmm {name}: {e}")))?;
    vmm_report(vmm, &refusals, json, out)
}

/// The register-file profile `--vmm NAME` names, or a usage error listing every name.
fn vmm_profile(name: &str) -> Result<&'static vcap_regs::vmm::VmmProfile, Error> {
    vcap_regs::vmm::profile(name).ok_or_else(|| {
        Error::Usage(format!(
            "--vmm {name}: unknown (expected one of: {}, {})",
            vcap_regs::vmm::PROFILES
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
            vcap_regs::vmm::CLOUD_HYPERVISOR
        ))
    })
}

/// Prints a register-file profile's refusals; exit 0 when there are none.
fn vmm_report(
    vmm: &vcap_regs::vmm::VmmProfile,
    refusals: &[vcap_regs::vmm::Refusal],
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let doc = CompareVmmDoc {
        vmm: vmm.name,
        source: vmm.source,
        accepts: refusals.is_empty(),
        checks: vmm.checks.len(),
        virtio_iommu: None,
        iommu_address_width_bits: None,
        refusals: refusals.to_vec(),
    };
    let mut text = String::new();
    match refusals.first() {
        None => text.push_str(&format!(
            "{}: accepts the host ({} checks of {})\n",
            vmm.name,
            vmm.checks.len(),
            vmm.source
        )),
        Some(first) => {
            text.push_str(&format!(
                "{}: refuses the host: {}\n",
                vmm.name, first.message
            ));
            for r in refusals {
                text.push_str(&format!(
                    "  check {:>2} {:<14} host {:#x} vIOMMU {:#x}: {}\n",
                    r.order, r.field, r.host, r.guest, r.message
                ));
            }
            text.push_str(&format!("(checks in the order of {})\n", vmm.source));
        }
    }
    emit(out, json, crate::json::COMPARE_VMM, &doc, &text)?;
    Ok(if refusals.is_empty() { 0 } else { 1 })
}
