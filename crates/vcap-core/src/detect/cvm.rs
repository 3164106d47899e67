//! Confidential VMs: which technology protects this guest, who vouches for each signal, what the
//! guest must not trust, and where each device's DMA may go.
//!
//! Two answers come out of one capture:
//!
//! - [`systemd_id`] is `systemd-detect-virt --cvm`'s identifier, computed exactly as systemd's
//!   `src/basic/confidential-virt.c` decides it (the version after PR #42697, June 2026: an SEV
//!   MSR that cannot be read is "sev", never "none").
//! - [`decide`] is vcap's verdict from the `cvm.*` evidence rows ([`crate::detect::evidence::RULES`]):
//!   every route each technology has (CPUID, the SEV status MSR, the old and new sysfs files,
//!   the guest drivers' devices, Hyper-V's isolation leaf), each graded by who vouches for it.
//!   A bit vcap could not read is "unknown", never "none".
//!
//! ```
//! use vcap_core::input::capture::{Capture, CpuidRead, MsrRead};
//! use vcap_core::parse::cpuid::CpuidDump;
//! use vcap_core::detect::{cvm, evidence};
//!
//! // An AMD guest whose CPU reports SEV (0x8000001F EAX[1]) and whose SEV_STATUS says SNP.
//! let dump = CpuidDump::parse(
//!     "CPU:\n   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n\
//!      0x00000001 0x00: eax=0x00a00f11 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n\
//!      0x80000000 0x00: eax=0x80000021 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n\
//!      0x8000001f 0x00: eax=0x0000001b ebx=0x00000033 ecx=0x00000000 edx=0x00000000\n",
//! ).unwrap();
//! let c = Capture { cpuid: CpuidRead::Dump(dump), sev_status: MsrRead::Value(0x7), ..Capture::default() };
//! assert_eq!(cvm::systemd_id(&c), "sev-snp");
//! let ev = evidence::gather(&c);
//! let (verdict, _) = vcap_core::detect::decide(&ev);
//! let v = cvm::decide(&c, &ev, &verdict);
//! assert_eq!(v.technology, Some(cvm::Tech::SevSnp));
//! ```

use serde::Serialize;

use crate::detect::evidence::Evidence;
use crate::detect::{Kind, Verdict};
use crate::input::capture::{Capture, CpuidRead, FileRead, MsrRead};
use crate::input::plan;
use crate::parse::cpuid::{CpuidDump, hyperv, sig_bytes};

/// A confidential-computing technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Tech {
    /// AMD SEV: memory encrypted, registers not.
    Sev,
    /// AMD SEV-ES: memory and register state encrypted.
    SevEs,
    /// AMD SEV-SNP: SEV-ES with integrity (the RMP) and a validated CPUID page.
    SevSnp,
    /// AMD SEV of a mode vcap could not read (the SEV status MSR was unreadable).
    SevModeUnknown,
    /// Intel TDX.
    Tdx,
    /// IBM s390 Protected Virtualization (the Ultravisor).
    Protvirt,
    /// Arm CCA (a Realm under the RMM).
    Cca,
    /// Hyper-V's virtualisation-based security isolation (software: the hypervisor is trusted,
    /// the host partition is not).
    Vbs,
}

impl Tech {
    /// What `systemd-detect-virt --cvm` prints for it (VBS is not one of systemd's: `none`).
    pub const fn systemd_id(self) -> &'static str {
        match self {
            Tech::Sev | Tech::SevModeUnknown => "sev",
            Tech::SevEs => "sev-es",
            Tech::SevSnp => "sev-snp",
            Tech::Tdx => "tdx",
            Tech::Protvirt => "protvirt",
            Tech::Cca => "cca",
            Tech::Vbs => "none",
        }
    }

    /// Its name in prose.
    pub const fn name(self) -> &'static str {
        match self {
            Tech::Sev => "AMD SEV",
            Tech::SevEs => "AMD SEV-ES",
            Tech::SevSnp => "AMD SEV-SNP",
            Tech::SevModeUnknown => "AMD SEV (mode unknown)",
            Tech::Tdx => "Intel TDX",
            Tech::Protvirt => "s390 Protected Virtualization",
            Tech::Cca => "Arm CCA",
            Tech::Vbs => "Hyper-V VBS isolation",
        }
    }

    /// How precise the claim is: a sub-mode outranks its family's "mode unknown".
    const fn rank(self) -> u8 {
        match self {
            Tech::SevModeUnknown => 0,
            Tech::Vbs => 1,
            _ => 2,
        }
    }
}

/// Who vouches for a signal: the party whose word it is. A confidential VM trusts the CPU and
/// the security firmware of its technology, and not the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Vouch {
    /// The CPU itself (an architectural register the hypervisor cannot set).
    Cpu,
    /// Intel's TDX module (it emulates CPUID leaf 0x21 and fixes what the VMM may not change).
    TdxModule,
    /// AMD's PSP (AMD-SP) firmware, which validates an SNP guest's CPUID page and signs reports.
    PspFirmware,
    /// IBM's Ultravisor (s390 Protected Virtualization).
    Ultravisor,
    /// Arm's Realm Management Monitor (CCA), which answers the guest's RSI calls.
    Rmm,
    /// This guest's own kernel, telling what it learnt from the hardware (sysfs, guest devices).
    GuestKernel,
    /// The host (hypervisor or VMM), which a confidential VM does not trust.
    Host,
}

impl Vouch {
    /// Whether a confidential VM may rest a decision on this party's word.
    pub const fn trusted(self) -> bool {
        !matches!(self, Vouch::Host)
    }
}

/// What a `cvm.*` evidence row claims: a technology, and who vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CvmClaim {
    /// The technology.
    pub technology: Tech,
    /// Who vouches for it.
    pub vouched_by: Vouch,
}

/// Whether this OS runs in a confidential VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// No evidence of a confidential VM, and every input that would show one was read.
    No,
    /// A party the guest trusts (CPU, security firmware, the guest kernel) says so.
    Yes,
    /// Only the host says so, or an input that would decide could not be read.
    Unknown,
}

/// An input the host provides, which a confidential VM must not trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Untrusted {
    /// What kind of input (DMI, ACPI tables, PCI IDs, virtio features, hypervisor CPUID leaves,
    /// device tree, VMBus, the SMBIOS VM bit).
    pub input: &'static str,
    /// The evidence items that rest on it (indices into the report's evidence).
    pub evidence: Vec<usize>,
    /// Why the host controls it.
    pub why: &'static str,
}

/// Where one device's DMA may go in a confidential VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DmaTrust {
    /// Streaming DMA is bounced through shared (decrypted) SWIOTLB buffers: the device can
    /// reach only memory the guest shared with the host.
    SharedBounce,
    /// TDISP LOCKED (the TSM holds the interface) but not accepted: still shared-bounce.
    TdispLocked,
    /// TDISP RUN, accepted by the guest: DMA to private memory, no bounce.
    TdispAccepted,
    /// The device's state could not be read.
    Unknown,
}

/// One device's DMA trust in a confidential VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceTrust {
    /// PCI address.
    pub device: String,
    /// Where its DMA goes.
    pub dma: DmaTrust,
    /// Why.
    pub reason: String,
}

/// The confidential-VM section of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CvmVerdict {
    /// Whether this is a confidential VM.
    pub state: State,
    /// The technology, when any evidence names one.
    pub technology: Option<Tech>,
    /// `systemd-detect-virt --cvm`'s identifier ([`systemd_id`]).
    pub systemd_id: &'static str,
    /// Who vouches for the technology, strongest first.
    pub vouched_by: Vec<Vouch>,
    /// One sentence.
    pub summary: String,
    /// Indices into the evidence list of the `cvm.*` items.
    pub evidence: Vec<usize>,
    /// In a confidential VM (or possibly one), every host-provided input, marked untrusted.
    pub untrusted: Vec<Untrusted>,
    /// In a confidential VM, each PCI device's DMA trust.
    pub devices: Vec<DeviceTrust>,
}

// ---------------------------------------------------------------- systemd's decision

const AMD: &[u8; 12] = b"AuthenticAMD";
const INTEL: &[u8; 12] = b"GenuineIntel";
/// systemd's `CPUID_SIG_INTEL_TDX`, read from leaf 0x21 in EBX, EDX, ECX order.
pub const TDX_SIGNATURE: &[u8; 12] = b"IntelTDX    ";
/// AMD's encrypted-memory leaf.
pub const LEAF_SEV: u32 = 0x8000_001f;
/// Intel's TDX enumeration leaf.
pub const LEAF_TDX: u32 = 0x21;

/// The vendor bytes of leaf 0 (EBX, EDX, ECX).
fn vendor(d: &CpuidDump) -> Option<[u8; 12]> {
    d.get(0, 0).map(|r| sig_bytes(r.ebx, r.edx, r.ecx))
}

/// CPUID.1:ECX[31].
fn hv_bit(d: &CpuidDump) -> bool {
    d.has(vcap_regs::field::cpuid::leaf1_ecx::HYPERVISOR)
}

/// Whether a dump shows an AMD guest whose CPU reports SEV (leaf 0x8000001F `EAX[1]` with the
/// hypervisor bit set): where systemd's `detect_sev()` reads the SEV status MSR, and the only
/// place the probe reads it.
pub fn reads_sev_msr(d: &CpuidDump) -> bool {
    hv_bit(d) && vendor(d).as_ref() == Some(AMD) && sev_cpuid(d)
}

/// 0x80000000's maximum reaches 0x8000001F, and its EAX[1] (SEV) is set.
pub(crate) fn sev_cpuid(d: &CpuidDump) -> bool {
    d.get(0x8000_0000, 0).is_some_and(|r| r.eax >= LEAF_SEV)
        && d.has(vcap_regs::field::cpuid::leaf8000001f_eax::SEV)
}

/// Leaf 0's maximum reaches 0x21 and leaf 0x21 holds `IntelTDX    `.
pub(crate) fn tdx_cpuid(d: &CpuidDump) -> bool {
    d.get(0, 0).is_some_and(|r| r.eax >= LEAF_TDX)
        && d.get(LEAF_TDX, 0)
            .is_some_and(|r| &sig_bytes(r.ebx, r.edx, r.ecx) == TDX_SIGNATURE)
}

/// Hyper-V's isolation type as systemd's `detect_hyperv_cvm()` reads it: leaf 0x40000000 is
/// `Microsoft Hv` with a maximum in 0x40000005..=0x4000FFFF, 0x40000003 EBX has Isolation
/// (bit 22) and not CpuManagement (bit 12), and 0x4000000C EBX[3:0] is the type.
pub(crate) fn systemd_hyperv_isolation(d: &CpuidDump) -> Option<u32> {
    let base = d.get(0x4000_0000, 0)?;
    if !(0x4000_0005..=0x4000_ffff).contains(&base.eax)
        || &sig_bytes(base.ebx, base.ecx, base.edx) != b"Microsoft Hv"
    {
        return None;
    }
    let features = d.get(hyperv::LEAF_FEATURES, 0)?.ebx;
    if features & hyperv::ISOLATION == 0 || features & hyperv::CPU_MANAGEMENT != 0 {
        return None;
    }
    Some(hyperv::ISOLATION_TYPE.get(u64::from(d.get(hyperv::LEAF_ISOLATION_CONFIG, 0)?.ebx)) as u32)
}

/// `systemd-detect-virt --cvm`'s answer, as systemd's `detect_confidential_virtualization()`
/// decides it (src/basic/confidential-virt.c after PR #42697): x86 under the hypervisor bit,
/// AMD → SEV_STATUS (unreadable: "sev"; SEV CPUID bit clear: Hyper-V SNP isolation), Intel →
/// leaf 0x21 then Hyper-V TDX isolation; s390x → `prot_virt_guest` starting with `1`; aarch64 →
/// `arm-cca-dev` exists. The architecture is the capture's: CPUID observed is x86.
pub fn systemd_id(c: &Capture) -> &'static str {
    if let CpuidRead::Dump(d) = &c.cpuid {
        if !hv_bit(d) {
            return "none";
        }
        return match vendor(d) {
            Some(v) if &v == AMD => {
                if d.get(0x8000_0000, 0).is_none_or(|r| r.eax < LEAF_SEV) {
                    "none"
                } else if !sev_cpuid(d) {
                    if systemd_hyperv_isolation(d) == Some(2) {
                        "sev-snp"
                    } else {
                        "none"
                    }
                } else {
                    match c.sev_status {
                        MsrRead::Value(v) if v & 4 != 0 => "sev-snp",
                        MsrRead::Value(v) if v & 2 != 0 => "sev-es",
                        MsrRead::Value(v) if v & 1 != 0 => "sev",
                        MsrRead::Value(_) => "none",
                        // systemd: "Assume plain SEV" when the MSR cannot be read.
                        MsrRead::Unreadable(_) | MsrRead::NotObserved => "sev",
                    }
                }
            }
            Some(v) if &v == INTEL && (tdx_cpuid(d) || systemd_hyperv_isolation(d) == Some(3)) => {
                "tdx"
            }
            _ => "none",
        };
    }
    if let Some(t) = c.file(plan::CCW_PROT_VIRT_GUEST).bytes() {
        return if t.first() == Some(&b'1') {
            "protvirt"
        } else {
            "none"
        };
    }
    if c.exists(plan::CCA_PLATFORM_DEV) {
        return "cca";
    }
    "none"
}

/// The fact lines of virt-what's `virt-what-cvm` (virt-what 1.25, virt-what-cvm.c), for the
/// virt-what personality: `amd-sev`, `amd-sev-es`, `amd-sev-snp`, `intel-tdx`, and
/// `hyperv-hcl` after the technology when Hyper-V's isolation leaf gave it (Azure's paravisor
/// hides the AMD and TDX leaves), `s390-protvirt`. Its differences from systemd, kept: an
/// unreadable MSR prints nothing (its `msr()` returns 0), the TDX leaf is read whatever leaf 0's
/// maximum (it compares 0x80000000's), and Arm CCA is not detected.
pub fn virt_what_facts(c: &Capture) -> Vec<&'static str> {
    if let CpuidRead::Dump(d) = &c.cpuid {
        if !hv_bit(d) {
            return Vec::new();
        }
        return match vendor(d) {
            Some(v) if &v == AMD => {
                if d.get(0x8000_0000, 0).is_none_or(|r| r.eax < LEAF_SEV) {
                    Vec::new()
                } else if !sev_cpuid(d) {
                    if systemd_hyperv_isolation(d) == Some(2) {
                        vec!["amd-sev-snp", "hyperv-hcl"]
                    } else {
                        Vec::new()
                    }
                } else {
                    match c.sev_status {
                        MsrRead::Value(v) if v & 4 != 0 => vec!["amd-sev-snp"],
                        MsrRead::Value(v) if v & 2 != 0 => vec!["amd-sev-es"],
                        MsrRead::Value(v) if v & 1 != 0 => vec!["amd-sev"],
                        _ => Vec::new(),
                    }
                }
            }
            Some(v) if &v == INTEL => {
                let sig = d
                    .get(LEAF_TDX, 0)
                    .is_some_and(|r| &sig_bytes(r.ebx, r.edx, r.ecx) == TDX_SIGNATURE);
                if sig {
                    vec!["intel-tdx"]
                } else if systemd_hyperv_isolation(d) == Some(3) {
                    vec!["intel-tdx", "hyperv-hcl"]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
    }
    match c.file(plan::CCW_PROT_VIRT_GUEST).bytes() {
        Some(t) if t.first() == Some(&b'1') => vec!["s390-protvirt"],
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------- vcap's verdict

/// Host-provided inputs: (what, evidence-source prefixes, why the host controls it).
#[rustfmt::skip]
pub const HOST_INPUTS: &[(&str, &[&str], &str)] = &[
    ("DMI / SMBIOS", &["/sys/class/dmi/", "/sys/firmware/dmi/"], "the VMM writes the SMBIOS tables (systemd issue #27604: \"stop trusting smbios\" in confidential VMs)"),
    ("ACPI tables and devices", &["/sys/firmware/acpi/", "/sys/bus/acpi/"], "the VMM's firmware builds the ACPI tables; they are measured at best, never validated"),
    ("PCI IDs", &["/sys/bus/pci/"], "the VMM emulates or assigns every PCI function and chooses its IDs"),
    ("virtio devices and features", &["/sys/bus/virtio/"], "virtio devices are the host's; it offers their features"),
    ("hypervisor CPUID leaves", &["CPUID 0x4000"], "leaves 0x40000000–0x4000FFFF are the hypervisor's own (neither the SNP CPUID page nor the TDX module vouches for them)"),
    ("device tree", &["/proc/device-tree"], "the VMM writes the device tree it boots the guest with"),
    ("fw_cfg", &["/sys/firmware/qemu_fw_cfg"], "QEMU's firmware configuration interface is the host's (systemd refuses fw_cfg credentials in a CVM)"),
    ("VMBus", &["/sys/bus/vmbus/"], "Hyper-V's VMBus devices are offered by the host partition"),
    ("IOMMU units", &["/sys/class/iommu/"], "an IOMMU a CVM sees is emulated by the host and isolates nothing from it"),
];

/// Whether the capture leaves SEV and TDX open: CPUID was not observed (or is malformed) on a
/// machine that may be x86 (`/proc/cpuinfo` absent, or with an x86 `flags` line), outside a
/// verdict of bare metal or a host partition.
fn x86_unobserved(c: &Capture, v: &Verdict) -> bool {
    if matches!(c.cpuid, CpuidRead::Dump(_))
        || matches!(v.kind, Kind::BareMetal | Kind::HostUnderHypervisor)
    {
        return false;
    }
    match c.file("/proc/cpuinfo").bytes() {
        None => true,
        Some(b) => String::from_utf8_lossy(b)
            .lines()
            .any(|l| l.starts_with("flags")),
    }
}

/// Decides the confidential-VM section from the capture, its evidence and the machine verdict.
pub fn decide(c: &Capture, ev: &[Evidence], v: &Verdict) -> CvmVerdict {
    let systemd_id = systemd_id(c);
    let items: Vec<(usize, CvmClaim)> = ev
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.identifies.cvm.map(|k| (i, k)))
        .collect();
    let trusted: Vec<&(usize, CvmClaim)> = items
        .iter()
        .filter(|(_, k)| k.vouched_by.trusted())
        .collect();
    // The most precise technology a trusted party names, else the host's.
    let pick = |set: &mut dyn Iterator<Item = &CvmClaim>| {
        set.map(|k| k.technology).max_by_key(|t| (t.rank(), *t))
    };
    let trusted_tech = pick(&mut trusted.iter().map(|x| &x.1));
    let any_tech = pick(&mut items.iter().map(|x| &x.1));
    let msr_unknown = matches!(c.cpuid, CpuidRead::Dump(ref d) if reads_sev_msr(d))
        && !matches!(c.sev_status, MsrRead::Value(_));
    let (state, technology) = match (trusted_tech, any_tech) {
        (Some(Tech::SevModeUnknown), _) | (None, Some(Tech::SevModeUnknown)) => {
            (State::Unknown, Some(Tech::SevModeUnknown))
        }
        (Some(t), _) => (State::Yes, Some(t)),
        (None, Some(t)) => (State::Unknown, Some(t)),
        (None, None) if msr_unknown => (State::Unknown, Some(Tech::SevModeUnknown)),
        (None, None) if x86_unobserved(c, v) => (State::Unknown, None),
        (None, None) => (State::No, None),
    };
    let mut vouched_by: Vec<Vouch> = items
        .iter()
        .filter(|(_, k)| Some(k.technology) == technology || state != State::Yes)
        .map(|(_, k)| k.vouched_by)
        .collect();
    vouched_by.sort();
    vouched_by.dedup();
    let summary = match (state, technology) {
        (State::No, _) if matches!(v.kind, Kind::BareMetal | Kind::HostUnderHypervisor) => {
            "not a confidential VM: not a virtual machine".to_string()
        }
        (State::No, _) => "not a confidential VM: no CPU, firmware or kernel signal of SEV, TDX, Protected Virtualization, CCA or Hyper-V isolation".to_string(),
        (State::Unknown, None) => "unknown: CPUID was not observed, so SEV and TDX cannot be ruled out (and no Protected Virtualization or CCA file says so either)".to_string(),
        (State::Yes, Some(t)) => format!(
            "a confidential VM: {} (vouched for by {}); every input the host provides is untrusted",
            t.name(),
            words(&vouched_by)
        ),
        (State::Unknown, Some(Tech::SevModeUnknown)) => "possibly a confidential VM: the CPU reports SEV to this guest, but the SEV status MSR could not be read (root and the msr module: modprobe msr), so neither the mode nor whether SEV is active is known; systemd assumes plain SEV".to_string(),
        (State::Unknown, Some(t)) => format!(
            "possibly a confidential VM: only the host says {} ({}), and a CVM does not trust the host",
            t.name(),
            words(&vouched_by)
        ),
        _ => String::new(),
    };
    let in_cvm = technology.is_some();
    let untrusted = if in_cvm {
        HOST_INPUTS
            .iter()
            .map(|(what, prefixes, why)| Untrusted {
                input: what,
                evidence: ev
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.identifies.cvm.is_none())
                    .filter(|(_, e)| prefixes.iter().any(|p| e.source.starts_with(p)))
                    .map(|(i, _)| i)
                    .collect(),
                why,
            })
            .collect()
    } else {
        Vec::new()
    };
    let devices = if in_cvm { device_trust(c) } else { Vec::new() };
    CvmVerdict {
        state,
        technology,
        systemd_id,
        vouched_by,
        summary,
        evidence: items.iter().map(|x| x.0).collect(),
        untrusted,
        devices,
    }
}

fn words(v: &[Vouch]) -> String {
    v.iter()
        .map(|x| match x {
            Vouch::Cpu => "the CPU",
            Vouch::TdxModule => "the TDX module",
            Vouch::PspFirmware => "the PSP firmware",
            Vouch::Ultravisor => "the Ultravisor",
            Vouch::Rmm => "the RMM",
            Vouch::GuestKernel => "this guest's kernel",
            Vouch::Host => "the host",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each PCI function's DMA trust (and each virtio device off PCI, always shared): TDISP RUN (`tsm/accept` = 1) is private DMA; a lock without
/// accept, or no `tsm/` directory, is shared-bounce. Linux 6.12–6.18 give a guest no `tsm/`
/// directory at all (the PCI/TSM core of 6.19 is the host's "link" side; the guest "devsec"
/// lock/accept attributes were posted in 2025–2026), so there every device bounces: the DMA API
/// decrypts bounce buffers for every device (`force_dma_unencrypted()`, SWIOTLB in shared memory).
fn device_trust(c: &Capture) -> Vec<DeviceTrust> {
    let devsec = c
        .listing(plan::TSM_CLASS)
        .entries()
        .iter()
        .map(|e| e.name.clone())
        .collect::<Vec<_>>();
    c.listing(plan::PCI_DEVICES)
        .entries()
        .iter()
        .map(|e| {
            let at = |f: &str| format!("{}/{}/{f}", plan::PCI_DEVICES, e.name);
            let lock = c.file(&at(plan::TSM_LOCK));
            let accept = c.file(&at(plan::TSM_ACCEPT));
            let (dma, reason) = match (lock, accept) {
                (_, FileRead::Data { .. }) if accept.text().as_deref() == Some("1") => (
                    DmaTrust::TdispAccepted,
                    format!(
                        "tsm/accept = 1 (TDISP RUN, locked by {}): DMA to private memory, no bounce",
                        lock.text().filter(|t| !t.is_empty()).unwrap_or_else(|| "a TSM".into())
                    ),
                ),
                (FileRead::Data { .. }, _) if lock.text().is_some_and(|t| !t.is_empty()) => (
                    DmaTrust::TdispLocked,
                    "tsm/lock is held but tsm/accept is not 1 (TDISP LOCKED): DMA still bounces through shared buffers".into(),
                ),
                (FileRead::Unreadable(w), _) | (_, FileRead::Unreadable(w)) => {
                    (DmaTrust::Unknown, format!("tsm state unreadable: {w}"))
                }
                _ if devsec.is_empty() => (
                    DmaTrust::SharedBounce,
                    "no TSM in /sys/class/tsm (Linux before the guest TDISP series has none): the DMA API bounces every streaming mapping through shared SWIOTLB buffers".into(),
                ),
                _ => (
                    DmaTrust::SharedBounce,
                    format!(
                        "not locked or accepted by {}: DMA bounces through shared buffers",
                        devsec.join(", ")
                    ),
                ),
            };
            DeviceTrust {
                device: e.name.clone(),
                dma,
                reason,
            }
        })
        .chain(
            c.listing(plan::VIRTIO_DEVICES)
                .entries()
                .iter()
                .filter(|e| {
                    !matches!(
                        crate::detect::evidence::virtio_transport(e.link.as_deref()),
                        crate::detect::evidence::VirtioTransport::Pci
                    )
                })
                .map(|e| DeviceTrust {
                    device: e.name.clone(),
                    dma: DmaTrust::SharedBounce,
                    reason: "a virtio device off PCI (MMIO, CCW): no TDISP interface to accept, so its rings and buffers live in memory shared with the host".into(),
                }),
        )
        .collect()
}

impl CvmVerdict {
    /// Whether some evidence names a technology: the human report then lists who vouches, the
    /// untrusted inputs and the devices.
    pub fn in_cvm(&self) -> bool {
        self.technology.is_some()
    }
}

/// Whether evidence suggests a VM (used by tests).
#[cfg(test)]
fn vm(e: &Evidence) -> bool {
    e.suggests == crate::detect::evidence::Suggests::VirtualMachine
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::evidence::gather;
    use crate::input::capture::Existence;

    fn dump(lines: &[&str]) -> CpuidDump {
        let mut t = String::from("CPU:\n");
        for l in lines {
            t.push_str("   ");
            t.push_str(l);
            t.push('\n');
        }
        CpuidDump::parse(&t).unwrap()
    }

    const AMD0: &str =
        "0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65";
    const INTEL0: &str =
        "0x00000000 0x00: eax=0x00000023 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69";
    const HV1: &str =
        "0x00000001 0x00: eax=0x00a00f11 ebx=0x00000800 ecx=0x80000000 edx=0x00000000";
    const EXT: &str =
        "0x80000000 0x00: eax=0x80000021 ebx=0x00000000 ecx=0x00000000 edx=0x00000000";
    const SEV: &str =
        "0x8000001f 0x00: eax=0x0000001b ebx=0x00000033 ecx=0x00000000 edx=0x00000000";
    /// "IntelTDX    " in EBX, EDX, ECX.
    const TDX: &str =
        "0x00000021 0x00: eax=0x00000000 ebx=0x65746e49 ecx=0x20202020 edx=0x5844546c";

    fn dec(c: &Capture) -> CvmVerdict {
        let ev = gather(c);
        let (v, _) = crate::detect::decide(&ev);
        decide(c, &ev, &v)
    }

    fn cap(lines: &[&str], msr: MsrRead) -> Capture {
        Capture {
            cpuid: CpuidRead::Dump(dump(lines)),
            sev_status: msr,
            ..Capture::default()
        }
    }

    #[test]
    fn every_sev_status_mode_is_systemds_and_vcaps() {
        for (v, id, tech) in [
            (0x1, "sev", Tech::Sev),
            (0x3, "sev-es", Tech::SevEs),
            (0x7, "sev-snp", Tech::SevSnp),
        ] {
            let c = cap(&[AMD0, HV1, EXT, SEV], MsrRead::Value(v));
            assert_eq!(systemd_id(&c), id);
            let ev = gather(&c);
            let d = dec(&c);
            assert_eq!((d.state, d.technology), (State::Yes, Some(tech)), "{v:#x}");
            assert!(d.vouched_by.contains(&Vouch::Cpu));
            assert!(ev.iter().filter(|e| e.identifies.cvm.is_some()).all(vm));
        }
        let c = cap(&[AMD0, HV1, EXT, SEV], MsrRead::Value(0));
        assert_eq!(systemd_id(&c), "none");
        assert_eq!(dec(&c).state, State::Unknown, "host CPUID alone");
    }

    #[test]
    fn virt_what_cvm_prints_its_own_facts() {
        for (v, want) in [
            (0x1, &["amd-sev"][..]),
            (0x3, &["amd-sev-es"]),
            (0x7, &["amd-sev-snp"]),
            (0x0, &[]),
        ] {
            let c = cap(&[AMD0, HV1, EXT, SEV], MsrRead::Value(v));
            assert_eq!(virt_what_facts(&c), want, "{v:#x}");
        }
        // Unlike systemd's "sev", virt-what-cvm prints nothing for an unreadable MSR.
        let c = cap(&[AMD0, HV1, EXT, SEV], MsrRead::Unreadable("denied".into()));
        assert!(virt_what_facts(&c).is_empty());
        let c = cap(&[INTEL0, HV1, TDX], MsrRead::NotObserved);
        assert_eq!(virt_what_facts(&c), ["intel-tdx"]);
        let mut c = Capture::default();
        c.files.insert(
            plan::CCW_PROT_VIRT_GUEST.into(),
            FileRead::Data {
                bytes: b"1\n".to_vec(),
                truncated: false,
            },
        );
        assert_eq!(virt_what_facts(&c), ["s390-protvirt"]);
    }

    #[test]
    fn an_unreadable_sev_msr_is_unknown_never_none() {
        for msr in [
            MsrRead::Unreadable("permission denied".into()),
            MsrRead::NotObserved,
        ] {
            let c = cap(&[AMD0, HV1, EXT, SEV], msr);
            assert_eq!(systemd_id(&c), "sev", "systemd PR #42697 assumes plain SEV");
            let d = dec(&c);
            assert_eq!(d.state, State::Unknown);
            assert_eq!(d.technology, Some(Tech::SevModeUnknown));
            assert!(
                !d.untrusted.is_empty(),
                "possibly a CVM: host inputs are untrusted"
            );
        }
    }

    #[test]
    fn tdx_needs_leaf_0x21_within_leaf_0s_maximum_and_the_hypervisor_bit() {
        let c = cap(&[INTEL0, HV1, TDX], MsrRead::NotObserved);
        assert_eq!(systemd_id(&c), "tdx");
        let d = dec(&c);
        assert_eq!((d.state, d.technology), (State::Yes, Some(Tech::Tdx)));
        assert!(d.vouched_by.contains(&Vouch::TdxModule));
        let low = INTEL0.replace("eax=0x00000023", "eax=0x00000020");
        let c = cap(&[&low, HV1, TDX], MsrRead::NotObserved);
        assert_eq!(systemd_id(&c), "none");
        let metal = HV1.replace("ecx=0x80000000", "ecx=0x00000000");
        let c = cap(&[INTEL0, &metal, TDX], MsrRead::NotObserved);
        assert_eq!(systemd_id(&c), "none");
        assert_eq!(dec(&c).state, State::No);
    }

    #[test]
    fn no_cpuid_on_a_machine_that_may_be_x86_is_unknown_not_no() {
        // Nothing at all: no CPUID, no /proc/cpuinfo.
        assert_eq!(dec(&Capture::default()).state, State::Unknown);
        // arm64's /proc/cpuinfo (no flags line): the CCA files decide, and none is there.
        let mut c = Capture::default();
        c.files.insert(
            "/proc/cpuinfo".into(),
            FileRead::Data {
                bytes: b"processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
                    .to_vec(),
                truncated: false,
            },
        );
        assert_eq!(dec(&c).state, State::No);
    }

    #[test]
    fn protvirt_and_cca_are_read_from_their_files() {
        let mut c = Capture::default();
        c.files.insert(
            plan::CCW_PROT_VIRT_GUEST.into(),
            FileRead::Data {
                bytes: b"1\n".to_vec(),
                truncated: false,
            },
        );
        assert_eq!(systemd_id(&c), "protvirt");
        assert_eq!(dec(&c).technology, Some(Tech::Protvirt));
        let mut c = Capture::default();
        c.exists
            .insert(plan::CCA_PLATFORM_DEV.into(), Existence::Dir);
        assert_eq!(systemd_id(&c), "cca");
        assert_eq!(dec(&c).technology, Some(Tech::Cca));
        // The new file alone (the platform device removed): systemd says none, vcap cca.
        let mut c = Capture::default();
        c.files.insert(
            plan::CCA_REALM_GUEST.into(),
            FileRead::Data {
                bytes: b"1\n".to_vec(),
                truncated: false,
            },
        );
        assert_eq!(systemd_id(&c), "none");
        let d = dec(&c);
        assert_eq!((d.state, d.technology), (State::Yes, Some(Tech::Cca)));
    }
}
