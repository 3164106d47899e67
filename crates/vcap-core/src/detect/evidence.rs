//! Signals → evidence, by one rule shape and one engine. Every signal vcap reads is a [`Rule`]
//! row in [`RULES`]: its id, what it reads and how it matches (a typed [`Signal`]), what a match
//! suggests and how strongly, what it identifies, and the source the rule comes from. [`gather`]
//! walks the rows in order over a [`Capture`]; each item of evidence keeps the row's id, the path
//! or CPUID coordinate it read and the raw value it rests on.
//!
//! ```
//! use vcap_core::input::capture::{Capture, CpuidRead};
//! use vcap_core::parse::cpuid::CpuidDump;
//! use vcap_core::detect::evidence::{gather, Suggests};
//!
//! // CPUID of a KVM guest: leaf 1 with ECX[31] set, and KVM's signature at 0x40000000.
//! let dump = CpuidDump::parse(
//!     "CPU:\n   0x00000001 0x00: eax=0x000306a9 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n\
//!      0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n",
//! ).unwrap();
//! let capture = Capture { cpuid: CpuidRead::Dump(dump), ..Capture::default() };
//! let ev = gather(&capture);
//! assert_eq!(ev[0].rule, "cpuid.hypervisor-bit");
//! assert_eq!(ev[0].suggests, Suggests::VirtualMachine);
//! assert_eq!(ev[1].rule, "cpuid.hypervisor-signature");
//! assert_eq!(ev[1].raw, "max_leaf=0x40000001 signature=\"KVMKVMKVM\"");
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

use crate::detect::cvm::{CvmClaim, Tech, Vouch};
use crate::detect::ids::{Cloud, Container, Hypervisor, Product};
use crate::input::capture::{Capture, CpuidRead};
use crate::input::plan::{DMI_DIR, PCI_DEVICES, PCI_MODALIAS, SMBIOS_TYPE0};
use crate::parse::cpuid::{CpuidDump, HypervisorBase, hyperv as hv};
use crate::parse::dmi::{self, VendorKind};
use crate::parse::smbios::{self, SmbiosError, Type0, VmBit};

/// What an observation points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Suggests {
    /// This OS runs in a virtual machine.
    VirtualMachine,
    /// This OS runs on bare metal.
    BareMetal,
    /// This OS is the privileged host partition of a hypervisor (Xen dom0, Hyper-V root).
    HostUnderHypervisor,
    /// This machine can host virtual machines itself (says nothing of where it runs).
    CanHostVms,
    /// Identifies a vendor, cloud or product without deciding anything.
    Neutral,
    /// The input was malformed; it counts for nothing.
    Malformed,
    /// This OS runs in a container (the layer above the machine: says nothing of VM or metal).
    Container,
    /// This OS is not in a container, on its own word: vcap runs as PID 1 with `container=` set
    /// and empty, which systemd's `detect_container()` takes as authoritative (no later check).
    NoContainer,
}

/// How much an observation weighs. Ordered: a stronger item outweighs any number of weaker ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// Decides nothing.
    None,
    /// A hint that firmware or an administrator may set either way.
    Weak,
    /// Usually right, but known to be hidden or faked in some setups.
    Moderate,
    /// Only seen on this kind of platform in practice.
    Strong,
}

/// What an observation identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Identity {
    /// The hypervisor.
    pub hypervisor: Option<Hypervisor>,
    /// The virtual platform product (QEMU, VirtualBox, …).
    pub product: Option<Product>,
    /// The cloud.
    pub cloud: Option<Cloud>,
    /// The container runtime (only container evidence names one; absent from JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// The confidential-VM technology and who vouches for it (only `cvm.*` evidence names one;
    /// absent from JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvm: Option<CvmClaim>,
}

impl Identity {
    /// Identifies nothing.
    pub const NONE: Identity = Identity {
        hypervisor: None,
        product: None,
        cloud: None,
        container: None,
        cvm: None,
    };
    /// A hypervisor.
    pub const fn hv(h: Hypervisor) -> Identity {
        Identity {
            hypervisor: Some(h),
            product: None,
            cloud: None,
            container: None,
            cvm: None,
        }
    }
    /// A product, and the hypervisor it implies when it implies one.
    pub const fn product(h: Option<Hypervisor>, p: Product) -> Identity {
        Identity {
            hypervisor: h,
            product: Some(p),
            cloud: None,
            container: None,
            cvm: None,
        }
    }
    /// A container runtime.
    pub const fn container(c: Container) -> Identity {
        Identity {
            hypervisor: None,
            product: None,
            cloud: None,
            container: Some(c),
            cvm: None,
        }
    }
    /// A confidential-VM technology, vouched for by `by`.
    pub const fn cvm(technology: Tech, vouched_by: Vouch) -> Identity {
        Identity {
            hypervisor: None,
            product: None,
            cloud: None,
            container: None,
            cvm: Some(CvmClaim {
                technology,
                vouched_by,
            }),
        }
    }
    /// A cloud.
    pub const fn cloud(c: Cloud) -> Identity {
        Identity {
            hypervisor: None,
            product: None,
            cloud: Some(c),
            container: None,
            cvm: None,
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Evidence {
    /// The id of the [`Rule`] that produced it (listed by `vcap rules`).
    pub rule: &'static str,
    /// Where it was observed: an absolute path, or a CPUID leaf and register.
    pub source: String,
    /// The raw value observed.
    pub raw: String,
    /// What it means, in words.
    pub finding: String,
    /// What it points to.
    pub suggests: Suggests,
    /// How much it weighs.
    pub strength: Strength,
    /// What it identifies.
    pub identifies: Identity,
    /// Where the rule comes from.
    pub reference: &'static str,
}

// ---------------------------------------------------------------- the rule shape

/// A CPUID output register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Reg {
    /// EAX.
    Eax,
    /// EBX.
    Ebx,
    /// ECX.
    Ecx,
    /// EDX.
    Edx,
}

impl Reg {
    fn of(self, r: crate::parse::cpuid::Regs) -> u32 {
        match self {
            Reg::Eax => r.eax,
            Reg::Ebx => r.ebx,
            Reg::Ecx => r.ecx,
            Reg::Edx => r.edx,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Reg::Eax => "EAX",
            Reg::Ebx => "EBX",
            Reg::Ecx => "ECX",
            Reg::Edx => "EDX",
        }
    }
}

/// How a text rule matches a value (always case-insensitive, on the trimmed value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The value starts with this text.
    Prefix(&'static str),
    /// The value equals this text.
    Equals(&'static str),
    /// The value contains this text.
    Contains(&'static str),
    /// The value does not start with this text.
    NotPrefix(&'static str),
    /// The value contains this text, in this case (as C's `strstr`).
    ContainsCase(&'static str),
    /// The value starts with this text, in this case (as systemd's `startswith`).
    PrefixCase(&'static str),
}

impl Match {
    /// Whether the trimmed value matches, ignoring ASCII case.
    pub fn hit(&self, value: &str) -> bool {
        let v = value.trim().as_bytes();
        match *self {
            Match::Prefix(p) => v
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes())),
            Match::Equals(p) => v.eq_ignore_ascii_case(p.as_bytes()),
            Match::NotPrefix(p) => !Match::Prefix(p).hit(value),
            Match::ContainsCase(p) => value.contains(p),
            Match::PrefixCase(p) => v.starts_with(p.as_bytes()),
            Match::Contains(p) => {
                let p = p.as_bytes();
                let Some(first) = p.first() else {
                    return true;
                };
                // The first byte alone rules out nearly every window: a /proc/cpuinfo block is
                // a kilobyte of flags that each text rule scans (this halved `vcap detect`'s
                // evidence step).
                v.windows(p.len())
                    .any(|w| w[0].eq_ignore_ascii_case(first) && w.eq_ignore_ascii_case(p))
            }
        }
    }

    /// The pattern in words (`starts with "QEMU"`).
    pub fn describe(&self) -> String {
        match self {
            Match::Prefix(p) => format!("starts with {p:?}"),
            Match::Equals(p) => format!("equals {p:?}"),
            Match::Contains(p) => format!("contains {p:?}"),
            Match::NotPrefix(p) => format!("does not start with {p:?}"),
            Match::ContainsCase(p) => format!("contains {p:?} (case-sensitive)"),
            Match::PrefixCase(p) => format!("starts with {p:?} (case-sensitive)"),
        }
    }
}

/// Which case of the SMBIOS type 0 VM bit a rule row decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmBitCase {
    /// The structure could not be parsed.
    Malformed,
    /// The bit is set (and [`VmBitCase::SetOnPhysicalEvidence`] does not apply).
    Set,
    /// The bit is set while the hypervisor bit was seen clear (CPUID, or /proc/cpuinfo's flags)
    /// and the system vendor makes physical machines only: the firmware of some physical
    /// machines sets it.
    SetOnPhysicalEvidence,
    /// The bit is clear on a platform whose VMs all set it ([`VM_BIT_SETTERS`]).
    ClearWhereVmsSetIt,
    /// The bit is clear anywhere else.
    Clear,
    /// The structure predates extension byte 2.
    NotPresent,
}

/// A test on a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTest {
    /// The trimmed text equals this.
    Is(&'static str),
    /// The file was read and its trimmed text is not this.
    IsNot(&'static str),
    /// The text is a hex bitmask (optional `0x`) with this bit set; other text is malformed.
    HexBit(u32),
    /// The comma-separated words include this one.
    Word(&'static str),
    /// The file was read (its text is the raw value, NULs shown as spaces).
    Any,
}

/// What a rule reads and how it matches: a typed handle on one input of the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `cpuid.txt` could not be parsed.
    CpuidMalformed,
    /// A CPUID bit: set or clear as `set` says (leaf 1 must have been read).
    CpuidBit {
        /// Leaf (EAX input).
        leaf: u32,
        /// Subleaf (ECX input).
        subleaf: u32,
        /// Output register.
        reg: Reg,
        /// Bit number.
        bit: u8,
        /// Whether the row matches the bit set (true) or clear (false).
        set: bool,
    },
    /// Every hypervisor CPUID base (0x40000000 + n·0x100), each classified by [`SIGNATURES`].
    CpuidBases,
    /// A Hyper-V partition privilege: EBX bit of leaf base + 3 at every `Microsoft Hv` base.
    HypervPrivilege {
        /// Bit of EBX.
        bit: u8,
    },
    /// The Hyper-V partition kind Linux's `hv_identify_partition_type()` derives from leaf
    /// base + 3 EBX at every `Microsoft Hv` base: CreatePartitions (bit 0) with Isolation
    /// (bit 22) clear is the root partition with CpuManagement (bit 12), an L1VH partition
    /// without it.
    HypervPartition {
        /// Whether the row matches the root (true) or L1VH (false).
        root: bool,
    },
    /// A Hyper-V recommendation: EAX bit of leaf base + 4 (`HYPERV_CPUID_ENLIGHTMENT_INFO`).
    HypervHint {
        /// Bit of EAX.
        bit: u8,
    },
    /// Hyper-V's isolation type (leaf base + 0xC `EBX[3:0]`) at a `Microsoft Hv` base whose
    /// partition has Isolation (base + 3 EBX bit 22) and not CpuManagement (bit 12).
    HypervIsolation {
        /// The type: 1 VBS, 2 SNP, 3 TDX.
        kind: u32,
    },
    /// Intel's TDX leaf: `CPUID.1:ECX[31]`, vendor GenuineIntel, leaf 0's maximum at least 0x21 and
    /// leaf 0x21's EBX, EDX, ECX `IntelTDX    `.
    TdxLeaf,
    /// AMD's SEV bit: `CPUID.1:ECX[31]`, vendor AuthenticAMD, 0x80000000's maximum at least
    /// 0x8000001F and its `EAX[1]`.
    SevCpuid,
    /// A bit of the SEV status MSR (0xC0010131), read through `/dev/cpu/0/msr`.
    SevStatus {
        /// The bit: 0 SEV, 1 SEV-ES, 2 SEV-SNP.
        bit: u8,
    },
    /// DMI fields (files under `/sys/class/dmi/id`) tried in order, the first match counting,
    /// with an optional second condition on another field.
    Dmi {
        /// The fields.
        fields: &'static [&'static str],
        /// The pattern.
        pattern: Match,
        /// A second condition.
        and: Option<(&'static str, Match)>,
    },
    /// The system vendor of that kind in [`dmi::VENDORS`] (`None`: not in the table), when no
    /// earlier row read `sys_vendor`.
    DmiVendor(Option<VendorKind>),
    /// EC2's instance type in `product_name` (when sys/bios vendor says Amazon EC2): `*.metal`
    /// and `*.metal-<size>` when `metal`, anything else when not.
    Ec2InstanceType {
        /// Whether the row matches bare-metal types.
        metal: bool,
    },
    /// One case of the SMBIOS type 0 VM bit.
    SmbiosVmBit(VmBitCase),
    /// A test on one file's text.
    File {
        /// The path.
        path: &'static str,
        /// The test.
        test: FileTest,
    },
    /// A text file's values (device-tree strings, /proc/sysinfo control-program lines, the first
    /// and last processor blocks of /proc/cpuinfo): one matching value counts.
    Text {
        /// The path.
        path: &'static str,
        /// The pattern.
        pattern: Match,
    },
    /// Every path in `all` exists and none in `none` does.
    Exists {
        /// Paths that must exist (the first is the evidence's source).
        all: &'static [&'static str],
        /// Paths that must not.
        none: &'static [&'static str],
    },
    /// An entry of a directory listing whose name contains the text.
    Entry {
        /// The directory.
        dir: &'static str,
        /// The text.
        contains: &'static str,
    },
    /// A word of /proc/cpuinfo's first `flags` line, read only when CPUID was not observed.
    CpuinfoFlag(&'static str),
    /// The PCI functions whose IDs could not be read (malformed modalias or ID files).
    PciMalformed,
    /// PCI functions with this vendor (and device) ID, or subsystem IDs.
    Pci {
        /// Vendor ID.
        vendor: u16,
        /// Device ID, or any.
        device: Option<u16>,
        /// Match subsystem_vendor/subsystem_device instead of vendor/device.
        subsystem: bool,
    },
    /// virtio devices on this transport (from where each bus link leads).
    VirtioTransport(VirtioTransport),
    /// A bus with at least one device.
    BusDevices(&'static str),
    /// An ACPI device whose name (HID) starts with this, in `/sys/bus/acpi/devices`.
    AcpiHid(&'static str),
    /// A bit of a register file under every unit of `/sys/class/iommu`.
    IommuBit {
        /// The file under the unit.
        file: &'static str,
        /// The bit.
        bit: u8,
    },
    /// A container manager's name for itself, read exactly as systemd reads it (no trimming:
    /// `" docker"` is `container-other`, as is an empty name); `oci` is translated by the
    /// runtime files (`/run/.containerenv` podman, `/.dockerenv` docker) or is `container-other`.
    ContainerName {
        /// The file.
        path: &'static str,
        /// How the name is written in it.
        form: NameForm,
    },
    /// A cgroup namespace: cgroup v2 with `cgroup.events` at the mount's top and a
    /// `cgroup.type` there (or a kernel without `/sys/kernel/cgroup/features`), as systemd's
    /// `running_in_cgroupns()` decides for cgroup v2 (its cgroup v1 branch is not read).
    CgroupNamespace,
    /// An ACPI table whose OEM ID or OEM table ID is this emulator's.
    AcpiOem {
        /// The table signature.
        table: &'static str,
        /// The OEM ID or table ID.
        id: &'static str,
        /// Who writes it.
        who: &'static str,
    },
}

/// How a [`Signal::ContainerName`] file holds the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameForm {
    /// The first line of a non-empty file, up to the first `\n`, `\r` or NUL (systemd's
    /// `read_one_line_file()`); an empty file says nothing.
    FirstLine,
    /// The value of the `container=` entry of a NUL-separated environment file (systemd's
    /// `getenv_for_pid()`); an entry with an empty value is a name too (`container-other`).
    Environ,
    /// This process's own `container=` entry, present only when it runs as PID 1
    /// ([`crate::input::plan::PID1_SELF`]): systemd's `getenv("container")` when
    /// `getpid_cached() == 1`. Unset: systemd goes straight to the runtime files; empty: not a
    /// container, authoritatively; anything else: the name.
    OwnEnvironAsPid1,
}

/// What a match concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Then {
    /// What it points to.
    pub suggests: Suggests,
    /// How strongly.
    pub strength: Strength,
    /// What it identifies.
    pub identifies: Identity,
    /// What a match means, in words (rows that read a table word it from the table's row).
    pub finding: &'static str,
}

/// One detection rule: a row of [`RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id (the `rule` of its evidence). Rows that decide the cases of one signal share it.
    pub id: &'static str,
    /// What it reads and how it matches.
    pub signal: Signal,
    /// What a match concludes.
    pub then: Then,
    /// Where the rule comes from.
    pub source: &'static str,
    /// Rule ids that, when an earlier row of theirs matched, make this row not apply.
    pub unless: &'static [&'static str],
}

const fn row(
    id: &'static str,
    signal: Signal,
    suggests: Suggests,
    strength: Strength,
    identifies: Identity,
    finding: &'static str,
    source: &'static str,
) -> Rule {
    Rule {
        id,
        signal,
        then: Then {
            suggests,
            strength,
            identifies,
            finding,
        },
        source,
        unless: &[],
    }
}

impl Rule {
    const fn unless(self, ids: &'static [&'static str]) -> Rule {
        Rule {
            unless: ids,
            ..self
        }
    }
}

const VM: Suggests = Suggests::VirtualMachine;
const METAL: Suggests = Suggests::BareMetal;
const NEUTRAL: Suggests = Suggests::Neutral;
const HOST: Suggests = Suggests::HostUnderHypervisor;
const CAN_HOST: Suggests = Suggests::CanHostVms;
const MALFORMED: Suggests = Suggests::Malformed;
const NO_ID: Identity = Identity::NONE;
use Cloud as C;
use Hypervisor as H;
use Match::{Contains, ContainsCase, Equals, NotPrefix, Prefix, PrefixCase};
use Product as P;
use Signal::*;
use Strength::{Moderate, Strong, Weak};
const NIL: Strength = Strength::None;
const VENDOR_FIELDS: &[&str] = &["sys_vendor", "board_vendor", "bios_vendor", "product_name"];
const HV_BIT_REF: &str = "Intel SDM Vol. 2A CPUID.01H:ECX[31] (reserved for hypervisor use); Linux X86_FEATURE_HYPERVISOR";
const HYPERV_FLAGS_REF: &str = "Hyper-V TLFS; Linux include/asm-generic/hyperv-tlfs.h HV_CPU_MANAGEMENT BIT(12), HV_ISOLATION BIT(22)";
const SMBIOS_REF: &str =
    "DMTF DSP0134 §7.1.2.2 BIOS characteristics extension byte 2 bit 4; systemd detect_vm_smbios()";
const VMGENID_FINDING: &str =
    "a VM generation ID device (exists only in VMs, for snapshot/clone detection)";
/// The reference of every malformed item.
pub const MALFORMED_REF: &str = "vcap: malformed input counts for nothing";
const FROM_TABLE: &str = "(from the table row)";

/// Every detection rule, in the order [`gather`] walks them (the order evidence is listed in).
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // ---- CPUID
    row("cpuid.dump", CpuidMalformed, MALFORMED, NIL, NO_ID, "malformed: cpuid.txt is not `cpuid -r` output", MALFORMED_REF),
    row("cpuid.hypervisor-bit", CpuidBit { leaf: 1, subleaf: 0, reg: Reg::Ecx, bit: 31, set: true }, VM, Strong, NO_ID, "the CPU reports a hypervisor", HV_BIT_REF),
    row("cpuid.hypervisor-bit", CpuidBit { leaf: 1, subleaf: 0, reg: Reg::Ecx, bit: 31, set: false }, METAL, Moderate, NO_ID, "the CPU reports no hypervisor (a hypervisor can hide this bit)", HV_BIT_REF),
    row("host.can-run-vms", CpuidBit { leaf: 1, subleaf: 0, reg: Reg::Ecx, bit: 5, set: true }, CAN_HOST, NIL, NO_ID, "VMX (Intel VT-x) is available to this OS", "Intel SDM CPUID.01H:ECX.VMX[5]"),
    row("host.can-run-vms", CpuidBit { leaf: 0x8000_0001, subleaf: 0, reg: Reg::Ecx, bit: 2, set: true }, CAN_HOST, NIL, NO_ID, "SVM (AMD-V) is available to this OS", "AMD APM CPUID Fn8000_0001_ECX[SVM]"),
    row("cpuid.hypervisor-signature", CpuidBases, VM, Strong, NO_ID, "hypervisor signature of the hypervisor SIGNATURES names; a valid unknown signature is moderate; an invalid one counts for nothing", "SIGNATURES (per signature); Linux hypervisor_cpuid_base()"),
    row("cpuid.hyperv-root-partition", HypervPartition { root: true }, HOST, Strong, Identity::hv(H::Hyperv), "Hyper-V grants CreatePartitions and CpuManagement without Isolation: this is the root partition, which runs on the hardware under the hypervisor", HYPERV_PARTITION_REF),
    row("cpuid.hyperv-l1vh", HypervPartition { root: false }, CAN_HOST, NIL, Identity::hv(H::Hyperv), "Hyper-V grants CreatePartitions without CpuManagement or Isolation: an L1VH partition, a guest that can itself create partitions (host VMs) under the same hypervisor", HYPERV_PARTITION_REF),
    row("cpuid.hyperv-nested", HypervHint { bit: 12 }, NEUTRAL, NIL, Identity::hv(H::Hyperv), "HV_X64_HYPERV_NESTED: the Hyper-V hypervisor is itself nested within a Hyper-V partition", "Linux include/hyperv/hvgdk_mini.h HV_X64_HYPERV_NESTED BIT(12) of HYPERV_CPUID_ENLIGHTMENT_INFO.EAX; arch/x86/kernel/cpu/mshyperv.c (\"running on a nested hypervisor\")"),
    row("cpuid.hyperv-isolation", HypervPrivilege { bit: 22 }, VM, Strong, Identity::hv(H::Hyperv), "Hyper-V isolation: a confidential VM, whose firmware tables come from an untrusted host", HYPERV_FLAGS_REF),
    // ---- confidential VMs (detect::cvm): each row names the technology and who vouches for it
    row("cvm.tdx-cpuid", TdxLeaf, VM, Strong, Identity::cvm(Tech::Tdx, Vouch::TdxModule), "Intel TDX: CPUID leaf 0x21 says \"IntelTDX    \" (the TDX module answers this leaf, not the VMM)", "systemd src/basic/confidential-virt.c detect_tdx() (CPUID_SIG_INTEL_TDX, leaf 0's maximum ≥ 0x21); Intel TDX module spec §11.2; Linux arch/x86/coco/tdx/tdx.c tdx_early_init()"),
    row("cvm.sev-cpuid", SevCpuid, VM, Weak, Identity::cvm(Tech::SevModeUnknown, Vouch::Host), "the CPU reports SEV to this guest (the hypervisor chooses this leaf for SEV and SEV-ES guests; it does not say SEV is active)", "systemd src/basic/confidential-virt.c detect_sev() (EAX_SEV, bit 1 of 0x8000001F); AMD APM vol. 3 E.4.17"),
    row("cvm.sev-status", SevStatus { bit: 2 }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::Cpu), "SEV_STATUS bit 2: SEV-SNP is active", SEV_STATUS_REF),
    row("cvm.sev-status", SevStatus { bit: 1 }, VM, Strong, Identity::cvm(Tech::SevEs, Vouch::Cpu), "SEV_STATUS bit 1: SEV-ES is active", SEV_STATUS_REF).unless(&["cvm.sev-status"]),
    row("cvm.sev-status", SevStatus { bit: 0 }, VM, Strong, Identity::cvm(Tech::Sev, Vouch::Cpu), "SEV_STATUS bit 0: SEV is active", SEV_STATUS_REF).unless(&["cvm.sev-status"]),
    row("cvm.sev-status-sysfs", File { path: crate::input::plan::SEV_STATUS_SYSFS, test: FileTest::HexBit(2) }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::GuestKernel), "the kernel's copy of SEV_STATUS: SEV-SNP is active", SEV_SYSFS_REF),
    row("cvm.sev-status-sysfs", File { path: crate::input::plan::SEV_STATUS_HV, test: FileTest::HexBit(2) }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::GuestKernel), "the kernel's copy of SEV_STATUS: SEV-SNP is active", SEV_SYSFS_REF).unless(&["cvm.sev-status-sysfs"]),
    row("cvm.sev-status-sysfs", File { path: crate::input::plan::SEV_STATUS_SYSFS, test: FileTest::HexBit(1) }, VM, Strong, Identity::cvm(Tech::SevEs, Vouch::GuestKernel), "the kernel's copy of SEV_STATUS: SEV-ES is active", SEV_SYSFS_REF).unless(&["cvm.sev-status-sysfs"]),
    row("cvm.sev-status-sysfs", File { path: crate::input::plan::SEV_STATUS_SYSFS, test: FileTest::HexBit(0) }, VM, Strong, Identity::cvm(Tech::Sev, Vouch::GuestKernel), "the kernel's copy of SEV_STATUS: SEV is active", SEV_SYSFS_REF).unless(&["cvm.sev-status-sysfs"]),
    row("cvm.sev-vmpl", File { path: crate::input::plan::SEV_VMPL, test: FileTest::Any }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::GuestKernel), "the kernel reports the VMPL this SEV-SNP guest runs at (the directory exists only in SNP guests)", "Linux Documentation/ABI/testing/sysfs-devices-system-cpu /sys/devices/system/cpu/sev/vmpl (May 2024)"),
    row("cvm.sev-vmpl", File { path: crate::input::plan::SEV_VMPL_HV, test: FileTest::Any }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::GuestKernel), "the kernel reports the VMPL this SEV-SNP guest runs at", "Linux Documentation/ABI/testing/sysfs-hypervisor /sys/hypervisor/sev (Joerg Roedel, v2 of \"x86/sev: Make SEV_STATUS available via SYSFS\", 2025)").unless(&["cvm.sev-vmpl"]),
    row("cvm.sev-guest-device", Exists { all: &["/dev/sev-guest"], none: &[] }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::GuestKernel), "the SEV-SNP guest driver's device (created only when the kernel runs as an SNP guest)", "Linux drivers/virt/coco/sev-guest/sev-guest.c (misc device \"sev-guest\"; platform device registered by arch/x86/coco/sev when SNP is active)"),
    row("cvm.tdx-guest-device", Exists { all: &["/dev/tdx_guest"], none: &[] }, VM, Strong, Identity::cvm(Tech::Tdx, Vouch::GuestKernel), "the TDX guest driver's device (created only in a TD)", "Linux drivers/virt/coco/tdx-guest/tdx-guest.c (misc device \"tdx_guest\", X86_FEATURE_TDX_GUEST)"),
    row("cvm.hyperv-isolation", HypervIsolation { kind: 2 }, VM, Strong, Identity::cvm(Tech::SevSnp, Vouch::Host), "Hyper-V isolation type 2: an SEV-SNP partition (Azure hides the AMD leaf from it)", HYPERV_ISOLATION_REF),
    row("cvm.hyperv-isolation", HypervIsolation { kind: 3 }, VM, Strong, Identity::cvm(Tech::Tdx, Vouch::Host), "Hyper-V isolation type 3: a TDX partition (Azure hides leaf 0x21 from it)", HYPERV_ISOLATION_REF),
    row("cvm.hyperv-isolation", HypervIsolation { kind: 1 }, VM, Strong, Identity::cvm(Tech::Vbs, Vouch::Host), "Hyper-V isolation type 1: VBS, software isolation (the hypervisor is trusted, the host partition is not; systemd does not count it)", HYPERV_ISOLATION_REF),
    row("cvm.protvirt", File { path: crate::input::plan::CCW_PROT_VIRT_GUEST, test: FileTest::Is("1") }, VM, Strong, Identity::cvm(Tech::Protvirt, Vouch::Ultravisor), "an s390 Protected Virtualization guest (the Ultravisor, not the hypervisor, runs it)", "systemd src/basic/confidential-virt.c (s390x: prot_virt_guest starts with '1'); Linux arch/s390/kernel/uv.c prot_virt_guest_show()"),
    row("cvm.cca-device", Exists { all: &[crate::input::plan::CCA_PLATFORM_DEV], none: &[] }, VM, Strong, Identity::cvm(Tech::Cca, Vouch::Rmm), "Arm CCA: the kernel registered arm-cca-dev after the RMM answered its RSI version call", "systemd src/basic/confidential-virt.c (aarch64: access(\"/sys/devices/platform/arm-cca-dev\")); Linux arch/arm64/kernel/rsi.c"),
    row("cvm.cca-realm-guest", File { path: crate::input::plan::CCA_REALM_GUEST, test: FileTest::Is("1") }, VM, Strong, Identity::cvm(Tech::Cca, Vouch::Rmm), "Arm CCA: the kernel runs in a Realm (the file that replaces arm-cca-dev)", "Aneesh Kumar, \"arm64: SMCCC bus\" series v6/v7 (June 2026): /sys/firmware/cca/realm_guest, \"1\" in a Realm, and arm-cca-dev removed"),
    // ---- DMI (virtual-platform strings are strong: firmware of real machines does not claim to
    // be QEMU; vendor names shared by VMs and bare metal identify a cloud and decide nothing)
    row("dmi.kvm", Dmi { fields: &["product_name"], pattern: Prefix("KVM"), and: None }, VM, Strong, Identity::hv(H::Kvm), "the product name of a KVM virtual machine", "systemd virt.c dmi_vendor_table \"KVM\""),
    row("dmi.qemu", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("QEMU"), and: None }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's SMBIOS tables", "systemd virt.c \"QEMU\"; QEMU hw/smbios/smbios.c"),
    row("dmi.qemu-machine", Dmi { fields: &["product_name"], pattern: Prefix("Standard PC ("), and: None }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "a QEMU machine type's product name", "QEMU hw/i386/pc_q35.c, pc_piix.c (\"Standard PC (Q35 + ICH9, 2009)\")"),
    row("dmi.qemu-machine-version", Dmi { fields: &["product_version"], pattern: Prefix("pc-"), and: Some(("product_version", Contains("-"))) }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "a QEMU machine type version (pc-q35-*, pc-i440fx-*)", "QEMU hw/smbios/smbios.c type 1 version defaults to the machine type (guestlab.md §3.2)"),
    row("dmi.virtualbox", Dmi { fields: &["sys_vendor", "bios_vendor", "product_name", "board_name"], pattern: Prefix("innotek GmbH"), and: None }, VM, Strong, Identity::product(Some(H::Virtualbox), P::Virtualbox), "VirtualBox's SMBIOS tables", "systemd virt.c \"innotek GmbH\""),
    row("dmi.virtualbox-name", Dmi { fields: &["product_name", "board_name", "bios_version"], pattern: Prefix("VirtualBox"), and: None }, VM, Strong, Identity::product(Some(H::Virtualbox), P::Virtualbox), "VirtualBox's product name", "systemd virt.c \"VirtualBox\" (PR #21127)"),
    row("dmi.virtualbox-board", Dmi { fields: &["board_vendor"], pattern: Prefix("Oracle Corporation"), and: Some(("sys_vendor", NotPrefix("Oracle Corporation"))) }, VM, Moderate, Identity::product(Some(H::Virtualbox), P::Virtualbox), "VirtualBox's board vendor under another system vendor: a VirtualBox VM given the host's DMI strings keeps its own board", "systemd issue #13429 (VirtualBox with DmiUseHostInfo); VirtualBox src/VBox/Devices/PC/DevPcBios.cpp (board vendor \"Oracle Corporation\")"),
    row("dmi.vmware", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("VMware"), and: None }, VM, Strong, Identity::product(Some(H::Vmware), P::Vmware), "VMware's SMBIOS tables", "systemd virt.c \"VMware\""),
    row("dmi.vmware-vmw", Dmi { fields: &["product_name", "sys_vendor"], pattern: Prefix("VMW"), and: None }, VM, Strong, Identity::product(Some(H::Vmware), P::Vmware), "VMware's product name", "systemd virt.c \"VMW\""),
    row("dmi.xen", Dmi { fields: &["sys_vendor", "product_name", "bios_vendor", "chassis_vendor"], pattern: Prefix("Xen"), and: None }, VM, Strong, Identity::hv(H::Xen), "Xen HVM's SMBIOS tables", "systemd virt.c \"Xen\"; Xen tools/firmware/hvmloader/smbios.c (type 1 and type 3 manufacturer \"Xen\")"),
    row("dmi.xen-hvm", Dmi { fields: &["product_name"], pattern: Equals("HVM domU"), and: None }, VM, Strong, Identity::hv(H::Xen), "a Xen HVM guest's product name", "Xen tools/firmware/hvmloader/smbios.c"),
    row("dmi.bochs", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("Bochs"), and: None }, VM, Strong, Identity::product(None, P::Bochs), "Bochs's SMBIOS tables", "systemd virt.c \"Bochs\""),
    row("dmi.parallels", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("Parallels"), and: None }, VM, Strong, Identity::product(Some(H::Parallels), P::Parallels), "Parallels' SMBIOS tables", "systemd virt.c \"Parallels\""),
    row("dmi.bhyve", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("BHYVE"), and: None }, VM, Strong, Identity::hv(H::Bhyve), "bhyve's SMBIOS tables", "systemd virt.c \"BHYVE\""),
    row("dmi.hyperv-version", Dmi { fields: &["product_version"], pattern: Prefix("Hyper-V"), and: None }, VM, Strong, Identity::hv(H::Hyperv), "a Hyper-V VM's product version", "systemd PR #21475"),
    row("dmi.hyperv-vm", Dmi { fields: &["product_name"], pattern: Equals("Virtual Machine"), and: Some(("sys_vendor", Prefix("Microsoft"))) }, VM, Strong, Identity::hv(H::Hyperv), "Microsoft's \"Virtual Machine\" product (Hyper-V, also WS2012R2 with product_version 7.0)", "systemd issue #21816; virt-what (VirtualPC/Hyper-V)"),
    row("dmi.apple-vz", Dmi { fields: &["product_name"], pattern: Prefix("Apple Virtualization"), and: None }, VM, Strong, Identity::hv(H::Apple), "Apple Virtualization.framework's product name", "systemd PR #24419"),
    row("dmi.openstack", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("OpenStack"), and: None }, VM, Strong, Identity::product(Some(H::Kvm), P::Openstack), "an OpenStack Nova instance", "systemd virt.c \"OpenStack\" (issue #23116)"),
    row("dmi.kubevirt", Dmi { fields: VENDOR_FIELDS, pattern: Prefix("KubeVirt"), and: None }, VM, Strong, Identity::product(Some(H::Kvm), P::Kubevirt), "a KubeVirt VM", "systemd virt.c \"KubeVirt\""),
    row("dmi.digitalocean", Dmi { fields: &["sys_vendor"], pattern: Prefix("DigitalOcean"), and: None }, VM, Strong, Identity { hypervisor: Some(H::Kvm), product: None, cloud: Some(C::Digitalocean), container: None, cvm: None }, "a DigitalOcean droplet (always a KVM VM)", "DigitalOcean droplet DMI (sys_vendor \"DigitalOcean\", product \"Droplet\")"),
    row("dmi.ec2", Dmi { fields: &["sys_vendor", "bios_vendor", "board_vendor"], pattern: Prefix("Amazon EC2"), and: None }, NEUTRAL, NIL, Identity::cloud(C::Aws), "Amazon EC2 (used by EC2 VMs and EC2 bare metal alike)", "systemd virt.c detect_vm_dmi() Amazon EC2 special case"),
    row("dmi.ec2-xen", Dmi { fields: &["bios_version"], pattern: Contains(".amazon"), and: None }, NEUTRAL, NIL, Identity::cloud(C::Aws), "an EC2 Xen-era BIOS version", "virt-what (\"Version: 4.2.amazon\" → aws)"),
    row("dmi.gce", Dmi { fields: &["product_name", "sys_vendor", "board_vendor", "bios_vendor"], pattern: Prefix("Google Compute Engine"), and: None }, NEUTRAL, NIL, Identity::cloud(C::Gcp), "Google Compute Engine (used by GCE VMs and GCE bare metal alike)", "systemd virt.c dmi_vendor_table \"Google Compute Engine\"; PR #38125 (bare metal). Not the vendor alone: Chromebooks say sys_vendor \"Google\" too (coreboot firmware)"),
    row("dmi.azure", Dmi { fields: &["chassis_asset_tag"], pattern: Equals("7783-7084-3265-9085-8269-3286-77"), and: None }, NEUTRAL, NIL, Identity::cloud(C::Azure), "Azure's chassis asset tag", "cloud-init cloudinit/sources/DataSourceAzure.py AZURE_CHASSIS_ASSET_TAG"),
    row("dmi.oracle-cloud", Dmi { fields: &["chassis_asset_tag"], pattern: Equals("OracleCloud.com"), and: None }, NEUTRAL, NIL, Identity::cloud(C::OracleCloud), "Oracle Cloud's chassis asset tag", "cloud-init cloudinit/sources/DataSourceOracle.py CHASSIS_ASSET_TAG"),
    row("dmi.alibaba-ecs", Dmi { fields: &["product_name"], pattern: Prefix("Alibaba Cloud ECS"), and: None }, VM, Moderate, Identity { hypervisor: Some(H::Kvm), product: None, cloud: Some(C::Alibaba), container: None, cvm: None }, "Alibaba Cloud ECS's product name (a KVM VM; sys_vendor \"Alibaba Cloud\" alone is shared with ECS Bare Metal)", "systemd PR #43347 (2026-08: product_name \"Alibaba Cloud ECS\" → kvm, sys_vendor deliberately not matched); virt-what 1.25 alibaba_cloud / alibaba_cloud-ebm (instance metadata)"),
    row("dmi.alibaba", Dmi { fields: &["sys_vendor", "product_name"], pattern: Prefix("Alibaba Cloud"), and: None }, NEUTRAL, NIL, Identity::cloud(C::Alibaba), "Alibaba Cloud ECS (VMs and bare metal alike)", "cloud-init DataSourceAliYun.py (\"Alibaba Cloud ECS\")"),
    row("dmi.surface", Dmi { fields: &["product_name"], pattern: Prefix("Surface"), and: Some(("sys_vendor", Prefix("Microsoft"))) }, METAL, Weak, NO_ID, "a Microsoft Surface device (hardware sold under Hyper-V's vendor name)", "systemd issue #21468"),
    row("dmi.oracle-server", Dmi { fields: &["product_name"], pattern: Contains("SERVER"), and: Some(("sys_vendor", Prefix("Oracle Corporation"))) }, METAL, Weak, NO_ID, "an Oracle/Sun server model (hardware sold under VirtualBox's board vendor name)", "systemd issue #21100 (ORACLE SERVER X3-2L)"),
    row("dmi.vendor", DmiVendor(Some(VendorKind::Hardware)), METAL, Weak, NO_ID, "system vendor (name) makes physical machines only", FROM_TABLE),
    row("dmi.vendor", DmiVendor(Some(VendorKind::Shared)), NEUTRAL, NIL, NO_ID, "system vendor (name) sells bare metal and VMs under one name: decides nothing", FROM_TABLE),
    row("dmi.vendor", DmiVendor(Some(VendorKind::Virtual)), NEUTRAL, NIL, NO_ID, "system vendor (name) is a virtual platform", FROM_TABLE),
    row("dmi.vendor", DmiVendor(None), NEUTRAL, NIL, NO_ID, "system vendor not in vcap's vendor table", "vcap dmi::VENDORS"),
    // EC2 names its bare-metal instance types `*.metal` or `*.metal-<size>`; every other type is
    // a VM. Instances whose DMI says "Amazon EC2" are Nitro instances (the Xen era says "Xen"),
    // and Nitro's hypervisor is based on KVM.
    row("dmi.ec2-instance-type", Ec2InstanceType { metal: true }, METAL, Moderate, Identity::cloud(C::Aws), "an EC2 bare-metal instance type (*.metal, *.metal-<size>)", EC2_TYPE_REF),
    row("dmi.ec2-instance-type", Ec2InstanceType { metal: false }, VM, Moderate, Identity { hypervisor: Some(H::Kvm), product: None, cloud: Some(C::Aws), container: None, cvm: None }, "an EC2 virtualised instance type (not *.metal)", EC2_TYPE_REF),
    // ---- SMBIOS type 0
    row("smbios.vm-bit", SmbiosVmBit(VmBitCase::Malformed), MALFORMED, NIL, NO_ID, "malformed: (the parse error)", MALFORMED_REF),
    row("smbios.vm-bit", SmbiosVmBit(VmBitCase::Set), VM, Strong, NO_ID, "the firmware says this system is a virtual machine", SMBIOS_REF),
    row("smbios.vm-bit", SmbiosVmBit(VmBitCase::SetOnPhysicalEvidence), VM, Moderate, NO_ID, "the firmware says this system is a virtual machine, but the hypervisor bit is clear and the system vendor makes physical machines only: the firmware of some physical machines sets this bit", "linux-hardware.org dmidecode dumps of Lenovo IdeaCentre all-in-ones and IBM SurePOS desktops (\"System is a virtual machine\"); DSP0134 §7.1.2.2"),
    row("smbios.vm-bit", SmbiosVmBit(VmBitCase::ClearWhereVmsSetIt), METAL, Moderate, NO_ID, "the VM bit is clear, and (platform) sets it on every VM", "VM_BIT_SETTERS (per platform)"),
    row("smbios.vm-bit", SmbiosVmBit(VmBitCase::Clear), NEUTRAL, NIL, NO_ID, "the VM bit is clear; many hypervisors (QEMU with SeaBIOS, GCE) leave it clear, so this decides nothing", SMBIOS_REF),
    row("smbios.vm-bit", SmbiosVmBit(VmBitCase::NotPresent), NEUTRAL, NIL, NO_ID, "the structure (length) predates extension byte 2", SMBIOS_REF),
    // ---- Xen
    row("xen.sys-hypervisor-type", File { path: "/sys/hypervisor/type", test: FileTest::Is("xen") }, VM, Strong, Identity::hv(H::Xen), "the kernel runs under a hypervisor that publishes /sys/hypervisor", SYS_HYPERVISOR_REF),
    row("xen.sys-hypervisor-type", File { path: "/sys/hypervisor/type", test: FileTest::IsNot("xen") }, VM, Moderate, Identity::hv(H::Other), "the kernel runs under a hypervisor that publishes /sys/hypervisor", SYS_HYPERVISOR_REF),
    row("xen.dom0-feature", File { path: "/sys/hypervisor/properties/features", test: FileTest::HexBit(11) }, HOST, Strong, Identity::hv(H::Xen), "XENFEAT_dom0: this is Xen's control domain, which drives the hardware", "Xen public/features.h XENFEAT_dom0 (11); systemd detect_vm_xen_dom0()"),
    row("xen.control-domain", File { path: "/proc/xen/capabilities", test: FileTest::Word("control_d") }, HOST, Strong, Identity::hv(H::Xen), "control_d: this is Xen's control domain (dom0)", "Linux drivers/xen/xenfs/xenstored.c; systemd detect_vm_xen_dom0()"),
    row("xen.xenfs", Exists { all: &["/proc/xen"], none: &[] }, VM, Moderate, Identity::hv(H::Xen), "xenfs is mounted: this kernel runs on Xen", "systemd detect_vm_xen()").unless(&["xen.control-domain"]),
    // ---- device tree and procfs (device-tree strings are NUL-separated; each string is tried)
    row("dt.hypervisor-kvm", Text { path: "/proc/device-tree/hypervisor/compatible", pattern: Equals("linux,kvm") }, VM, Strong, Identity::hv(H::Kvm), "the device tree's hypervisor node is KVM", "systemd detect_vm_device_tree()"),
    row("dt.hypervisor-xen", Text { path: "/proc/device-tree/hypervisor/compatible", pattern: Contains("xen") }, VM, Strong, Identity::hv(H::Xen), "the device tree's hypervisor node is Xen", "systemd detect_vm_device_tree(); Linux Documentation/devicetree/bindings/arm/xen.txt"),
    row("dt.hypervisor-vmware", Text { path: "/proc/device-tree/hypervisor/compatible", pattern: Contains("vmware") }, VM, Strong, Identity::hv(H::Vmware), "the device tree's hypervisor node is VMware", "systemd detect_vm_device_tree()"),
    row("dt.qemu-pseries", Text { path: "/proc/device-tree/compatible", pattern: Equals("qemu,pseries") }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's pseries machine", "systemd detect_vm_device_tree()"),
    row("dt.dummy-virt", Text { path: "/proc/device-tree/compatible", pattern: Equals("linux,dummy-virt") }, VM, Strong, NO_ID, "the device tree's machine is Linux's generic virtual platform (QEMU's Arm virt, crosvm, kvmtool, Firecracker and cloud-hypervisor on arm64 all use it: it names no VMM)", "systemd PR #36655 (2025-03: compatible \"linux,dummy-virt\" → vm-other); QEMU hw/arm/virt.c, kvmtool arm/fdt.c, Firecracker src/vmm/src/arch/aarch64/fdt.rs"),
    row("dt.riscv-virtio", Text { path: "/proc/device-tree/compatible", pattern: Equals("riscv-virtio") }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's RISC-V virt machine", "QEMU hw/riscv/virt.c compatible \"riscv-virtio\""),
    row("cpuinfo.uml", Text { path: "/proc/cpuinfo", pattern: Contains("User Mode Linux") }, VM, Strong, Identity::hv(H::Uml), "User Mode Linux (it passes the host's CPUID through)", "systemd detect_vm_uml() (issue #17754)"),
    row("cpuinfo.qemu-cpu", Text { path: "/proc/cpuinfo", pattern: Contains("QEMU Virtual CPU") }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's qemu32/qemu64 CPU model", "QEMU target/i386/cpu.c model_id \"QEMU Virtual CPU version\""),
    row("cpuinfo.kvm-cpu", Text { path: "/proc/cpuinfo", pattern: Contains("Common KVM processor") }, VM, Strong, Identity::hv(H::Kvm), "QEMU's kvm64 CPU model", "QEMU target/i386/cpu.c model_id \"Common KVM processor\""),
    row("cpuinfo.qemu-pseries", Text { path: "/proc/cpuinfo", pattern: Contains("emulated by qemu") }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "a PowerPC machine emulated by QEMU", "Linux arch/powerpc/platforms/pseries/setup.c; virt-what"),
    row("sysinfo.zvm", Text { path: "/proc/sysinfo", pattern: Contains("z/VM") }, VM, Strong, Identity::hv(H::Zvm), "z/VM is the control program", "systemd detect_vm_zvm() (VM00 Control Program)"),
    row("sysinfo.kvm", Text { path: "/proc/sysinfo", pattern: Contains("KVM/Linux") }, VM, Strong, Identity::hv(H::Kvm), "KVM is the control program", "systemd detect_vm_zvm(); Linux arch/s390/kernel/sysinfo.c"),
    row("dt.hypervisor-other", File { path: DT_HYPERVISOR, test: FileTest::Any }, VM, Moderate, Identity::hv(H::Other), "the device tree has a hypervisor node", "systemd detect_vm_device_tree()").unless(&["dt.hypervisor-kvm", "dt.hypervisor-xen", "dt.hypervisor-vmware"]),
    row("dt.powervm", Exists { all: &["/proc/device-tree/ibm,partition-name", "/proc/device-tree/hmc-managed?"], none: &["/proc/device-tree/chosen/qemu,graphic-width"] }, VM, Strong, Identity::hv(H::Powervm), "an HMC-managed logical partition", "systemd detect_vm_device_tree()"),
    row("dt.fw-cfg", Entry { dir: "/proc/device-tree", contains: "fw-cfg" }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's fw_cfg device in the device tree", "systemd detect_vm_device_tree()"),
    // Without CPUID (another architecture, or a snapshot without cpuid.txt), /proc/cpuinfo's
    // flags still carry the hypervisor bit and VMX/SVM on x86.
    row("cpuinfo.hypervisor-flag", CpuinfoFlag("hypervisor"), VM, Strong, NO_ID, "the kernel saw CPUID.1:ECX[31] set", HV_BIT_REF),
    row("host.can-run-vms", CpuinfoFlag("vmx"), CAN_HOST, NIL, NO_ID, "VMX (Intel VT-x) is available to this OS", "Linux arch/x86/include/asm/cpufeatures.h"),
    row("host.can-run-vms", CpuinfoFlag("svm"), CAN_HOST, NIL, NO_ID, "SVM (AMD-V) is available to this OS", "Linux arch/x86/include/asm/cpufeatures.h"),
    row("fw-cfg.sysfs", Exists { all: &["/sys/firmware/qemu_fw_cfg"], none: &[] }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's fw_cfg interface", "Linux drivers/firmware/qemu_fw_cfg.c"),
    row("host.can-run-vms", Exists { all: &["/dev/kvm"], none: &[] }, CAN_HOST, NIL, NO_ID, "this kernel offers KVM", "Linux virt/kvm/kvm_main.c"),
    row("host.mshv", Exists { all: &["/dev/mshv"], none: &[] }, CAN_HOST, NIL, Identity::hv(H::Hyperv), "this kernel offers Microsoft Hypervisor's VMM interface: a root or L1VH partition (microsoft/lisa treats it as proof when nested Hyper-V hides VT-x/AMD-V)", "Linux drivers/hv/mshv_root_main.c (misc device \"mshv\"); microsoft/lisa PR #4620"),
    // ---- PCI IDs of virtual hardware (and of cloud hardware that VMs and bare metal share)
    row("pci.ids", PciMalformed, MALFORMED, NIL, NO_ID, "malformed: a PCI function's modalias or ID files", MALFORMED_REF),
    row("pci.qemu-subsystem", Pci { vendor: 0x1af4, device: Some(0x1100), subsystem: true }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's default subsystem ID on emulated devices", "QEMU include/hw/pci/pci.h PCI_SUBVENDOR_ID_REDHAT_QUMRANET, PCI_SUBDEVICE_ID_QEMU"),
    row("pci.virtio", Pci { vendor: 0x1af4, device: None, subsystem: false }, VM, Moderate, NO_ID, "virtio devices (also emulated in hardware by some DPUs)", "pci.ids 1af4 Red Hat, Inc.; virtio 1.2 §4.1.2"),
    row("pci.qemu-device", Pci { vendor: 0x1b36, device: None, subsystem: false }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's own emulated devices (PCIe bridges, pvpanic, xHCI…)", "pci.ids 1b36 Red Hat, Inc. (QEMU); QEMU docs/specs/pci-ids.rst"),
    row("pci.bochs-vga", Pci { vendor: 0x1234, device: Some(0x1111), subsystem: false }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "the Bochs/QEMU standard VGA", "QEMU docs/specs/standard-vga.rst"),
    row("pci.i440fx", Pci { vendor: 0x8086, device: Some(0x1237), subsystem: false }, VM, Moderate, NO_ID, "the i440FX host bridge, emulated by QEMU's pc machine and EC2 Nitro (no longer in real hardware)", "QEMU hw/pci-host/i440fx.c"),
    row("pci.vmware", Pci { vendor: 0x15ad, device: None, subsystem: false }, VM, Strong, Identity::product(Some(H::Vmware), P::Vmware), "VMware virtual hardware", "pci.ids 15ad VMware"),
    row("pci.xen-platform", Pci { vendor: 0x5853, device: None, subsystem: false }, VM, Strong, Identity::hv(H::Xen), "the Xen platform device", "pci.ids 5853 XenSource, Inc.; Linux drivers/xen/platform-pci.c"),
    row("pci.virtualbox", Pci { vendor: 0x80ee, device: None, subsystem: false }, VM, Strong, Identity::product(Some(H::Virtualbox), P::Virtualbox), "VirtualBox virtual hardware", "pci.ids 80ee InnoTek Systemberatung GmbH"),
    row("pci.hyperv", Pci { vendor: 0x1414, device: Some(0x5353), subsystem: false }, VM, Strong, Identity::hv(H::Hyperv), "the Hyper-V synthetic video device", "pci.ids 1414:5353 Hyper-V virtual VGA"),
    row("pci.parallels", Pci { vendor: 0x1ab8, device: None, subsystem: false }, VM, Strong, Identity::product(Some(H::Parallels), P::Parallels), "Parallels virtual hardware", "pci.ids 1ab8 Parallels, Inc."),
    row("pci.amazon", Pci { vendor: 0x1d0f, device: None, subsystem: false }, NEUTRAL, NIL, Identity::cloud(C::Aws), "Amazon hardware (ENA, EBS NVMe): on EC2 VMs and bare metal alike", "pci.ids 1d0f Amazon.com, Inc."),
    row("pci.google", Pci { vendor: 0x1ae0, device: None, subsystem: false }, NEUTRAL, NIL, Identity::cloud(C::Gcp), "Google hardware (gVNIC, NVMe): on GCE VMs and bare metal alike", "pci.ids 1ae0 Google, Inc."),
    // ---- buses
    row("virtio.mmio", VirtioTransport(self::VirtioTransport::Mmio), VM, Strong, NO_ID, "virtio-mmio devices: a transport that exists only in virtual machines (Firecracker, QEMU microvm, cloud-hypervisor)", "virtio 1.2 §4.2; Linux drivers/virtio/virtio_mmio.c"),
    row("virtio.ccw", VirtioTransport(self::VirtioTransport::Ccw), VM, Strong, Identity::hv(H::Kvm), "virtio-ccw devices: KVM on s390", "virtio 1.2 §4.3; Linux drivers/s390/virtio/virtio_ccw.c"),
    row("vmbus.devices", BusDevices("/sys/bus/vmbus/devices"), VM, Strong, Identity::hv(H::Hyperv), "Hyper-V VMBus devices", "Linux drivers/hv/vmbus_drv.c"),
    row("acpi.qemu-fw-cfg", AcpiHid("QEMU0002"), VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "QEMU's fw_cfg ACPI device", "Linux drivers/firmware/qemu_fw_cfg.c fw_cfg_sysfs_mod_acpi_match"),
    row("acpi.vmbus", AcpiHid("VMBUS"), VM, Strong, Identity::hv(H::Hyperv), "Hyper-V's VMBus ACPI device", "Linux drivers/hv/vmbus_drv.c vmbus_acpi_device_ids"),
    row("acpi.vmgenid", AcpiHid("VMGENCTR"), VM, Strong, NO_ID, VMGENID_FINDING, "Linux drivers/virt/vmgenid.c vmgenid_ids"),
    row("acpi.vmgenid", AcpiHid("VM_GEN_COUNTER"), VM, Strong, NO_ID, VMGENID_FINDING, "Linux drivers/virt/vmgenid.c vmgenid_ids"),
    row("acpi.vmclock", AcpiHid("AMZNC10C"), VM, Strong, NO_ID, "Amazon's VMClock device (a hypervisor-provided clock for VMs)", "Linux drivers/ptp/ptp_vmclock.c vmclock_acpi_ids"),
    row("acpi.virtio-mmio", AcpiHid("LNRO0005"), VM, Strong, NO_ID, "a virtio-mmio ACPI device", "Linux drivers/virtio/virtio_mmio.c virtio_mmio_acpi_match"),
    // ---- IOMMU (seed 000: "when IOMMU is present there is vendor specific way to detect whether
    // it's real or virtual"): register bits only emulated units set, and emulators' ACPI OEM IDs
    row("iommu.vtd-caching-mode", IommuBit { file: "intel-iommu/cap", bit: 7 }, VM, Strong, NO_ID, "VT-d Caching Mode is set: an emulated unit (hardware leaves it clear; Linux keyed its virtual IR on it)", "Linux drivers/iommu/intel/iommu.h cap_caching_mode(); VT-d spec §11.4.2 CM"),
    row("iommu.amd-npcache", IommuBit { file: "amd-iommu/cap", bit: 26 }, VM, Moderate, NO_ID, "AMD IOMMU NpCache is set: the unit caches not-present entries, as emulated units do", "Linux drivers/iommu/amd/amd_iommu_types.h IOMMU_CAP_NPCACHE; amd_iommu_np_cache"),
    row("acpi.emulator-oem", AcpiOem { table: "DMAR", id: "BOCHS", who: "QEMU" }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "the DMAR table was written by QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6 \"BOCHS \"").unless(&["acpi.emulator-oem"]),
    row("acpi.emulator-oem", AcpiOem { table: "DMAR", id: "BXPC", who: "QEMU" }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "the DMAR table was written by QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME8 \"BXPC    \"").unless(&["acpi.emulator-oem"]),
    row("acpi.emulator-oem", AcpiOem { table: "IVRS", id: "BOCHS", who: "QEMU" }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "the IVRS table was written by QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6 \"BOCHS \"").unless(&["acpi.emulator-oem"]),
    row("acpi.emulator-oem", AcpiOem { table: "IVRS", id: "BXPC", who: "QEMU" }, VM, Strong, Identity::product(Some(H::Qemu), P::Qemu), "the IVRS table was written by QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME8 \"BXPC    \"").unless(&["acpi.emulator-oem"]),
    // ---- the container layer, in systemd's detect_container() order: the first row that
    // matches names the runtime (detect::decide_container)
    row("container.openvz", Exists { all: &["/proc/vz"], none: &["/proc/bc"] }, CONTAINER, Strong, Identity::container(Container::Openvz), "/proc/vz without /proc/bc: an OpenVZ container (the host has both)", "systemd src/basic/virt.c detect_container(); virt-what (openvz)"),
    row("container.wsl", Text { path: OSRELEASE, pattern: ContainsCase("Microsoft") }, CONTAINER, Strong, Identity::container(Container::Wsl), "the kernel release names Microsoft: Windows Subsystem for Linux", WSL_REF),
    row("container.wsl", Text { path: OSRELEASE, pattern: ContainsCase("WSL") }, CONTAINER, Strong, Identity::container(Container::Wsl), "the kernel release names WSL: Windows Subsystem for Linux", WSL_REF).unless(&["container.wsl"]),
    row("container.proot", Text { path: crate::input::plan::TRACER_COMM, pattern: PrefixCase("proot") }, CONTAINER, Strong, Identity::container(Container::Proot), "the process tracing this one is PRoot (it runs its guests under ptrace)", "systemd src/basic/virt.c detect_container(): /proc/self/status TracerPid, then startswith(/proc/<pid>/comm, \"proot\") (PR #15426, 2020); proot-me/proot issue #217"),
    row("container.manager", ContainerName { path: "/run/host/container-manager", form: NameForm::FirstLine }, CONTAINER, Strong, NO_ID, "the container manager's name for itself", "systemd src/basic/virt.c detect_container(): /run/host/container-manager (systemd's container interface)"),
    row("container.self-as-pid1", ContainerName { path: crate::input::plan::PID1_SELF, form: NameForm::OwnEnvironAsPid1 }, CONTAINER, Strong, NO_ID, "this process is PID 1, and its own environment names the container manager", PID1_SELF_REF),
    row("container.systemd", ContainerName { path: "/run/systemd/container", form: NameForm::FirstLine }, CONTAINER, Strong, NO_ID, "PID 1 (systemd) recorded the container manager's name", "systemd src/basic/virt.c detect_container(): /run/systemd/container").unless(&["container.self-as-pid1"]),
    row("container.pid1-environ", ContainerName { path: PID1_ENVIRON, form: NameForm::Environ }, CONTAINER, Strong, NO_ID, "PID 1's environment names the container manager", "systemd src/basic/virt.c detect_container(): getenv_for_pid(1, \"container\") (CAP_SYS_PTRACE); systemd's CONTAINER_INTERFACE").unless(&["container.self-as-pid1"]),
    row("container.podman", Exists { all: &[PODMAN_FILE], none: &[] }, CONTAINER, Moderate, Identity::container(Container::Podman), "Podman's /run/.containerenv", "systemd detect_container_files(); containers/podman issues 6192, 3586"),
    row("container.docker", Exists { all: &[DOCKER_FILE], none: &[] }, CONTAINER, Moderate, Identity::container(Container::Docker), "Docker's /.dockerenv (checked last: it can be left in an image)", "systemd detect_container_files(); moby/moby issue 18355"),
    row("container.cgroup-namespace", CgroupNamespace, CONTAINER, Weak, Identity::container(Container::Other), "this process is in a cgroup namespace: a container whose runtime does not say which", "systemd src/basic/virt.c running_in_cgroupns()"),
];

const OSRELEASE: &str = "/proc/sys/kernel/osrelease";
const HYPERV_PARTITION_REF: &str = "Linux drivers/hv/hv_common.c hv_identify_partition_type() (CreatePartitions && !Isolation → root if CpuManagement, else L1VH); include/hyperv/hvgdk_mini.h HV_CREATE_PARTITIONS BIT(0), HV_CPU_MANAGEMENT BIT(12), HV_ISOLATION BIT(22)";
const HYPERV_ISOLATION_REF: &str = "Linux include/hyperv/hvgdk_mini.h HYPERV_CPUID_ISOLATION_CONFIG: EAX HV_PARAVISOR_PRESENT BIT(0), EBX HV_ISOLATION_TYPE GENMASK(3,0) (enum hv_isolation_type: VBS 1, SNP 2, TDX 3); systemd detect_hyperv_cvm() (SNP, TDX; PR #33872)";
const SEV_STATUS_REF: &str = "AMD APM vol. 2 §15.34.10 SEV_STATUS MSR C001_0131h; systemd src/basic/confidential-virt.c detect_sev() (MSR_SEV_SNP, MSR_SEV_ES, MSR_SEV tested in that order)";
const SEV_SYSFS_REF: &str = "tip x86/sev 2025-03 \"x86/sev: Make SEV_STATUS available via SYSFS\" (Joerg Roedel): /sys/devices/system/cpu/sev/sev_status, v2 /sys/hypervisor/sev/sev_status";
const PID1_SELF_REF: &str = "systemd src/basic/virt.c detect_container(): when getpid_cached() == 1, getenv(\"container\") is authoritative: unset → the runtime files, empty → none, else the name (checked live against systemd 252's systemd-detect-virt as PID 1 of a PID namespace)";
const WSL_REF: &str = "Microsoft/WSL issue 423 (the \"official\" way); systemd PRs 11932, 15325, 15614 (case-sensitive: Microsoft's own cloud kernels say \"microsoft\")";
/// PID 1's environment (only its `container=` entry is kept: [`crate::input::plan::redact`]).
pub const PID1_ENVIRON: &str = "/proc/1/environ";
const PODMAN_FILE: &str = "/run/.containerenv";
const DOCKER_FILE: &str = "/.dockerenv";
const CGROUP_EVENTS: &str = "/sys/fs/cgroup/cgroup.events";
const CGROUP_TYPE: &str = "/sys/fs/cgroup/cgroup.type";
const CGROUP_FEATURES: &str = "/sys/kernel/cgroup/features";
/// cgroup v1: systemd's named hierarchy, seen through a file every cgroup has (a snapshot keeps
/// the directory by keeping the files read in it).
const CGROUP_V1_PROCS: &str = "/sys/fs/cgroup/systemd/cgroup.procs";
const CGROUP_V1_RELEASE_AGENT: &str = "/sys/fs/cgroup/systemd/release_agent";
const CONTAINER: Suggests = Suggests::Container;
const CONTAINER_THEN: Then = Then {
    suggests: CONTAINER,
    strength: Strong,
    identifies: NO_ID,
    finding: "",
};

const EC2_TYPE_REF: &str = "systemd detect_vm_dmi() PRs #20628, #27267; systemd virt.c \"Amazon EC2 Nitro using Linux KVM\"";
const SYS_HYPERVISOR_REF: &str =
    "Linux drivers/xen/sys-hypervisor.c; systemd detect_vm_hypervisor()";
const DT_HYPERVISOR: &str = "/proc/device-tree/hypervisor/compatible";

// ---------------------------------------------------------------- tables the rows read

/// A hypervisor CPUID signature (leaf 0x40000000 + n·0x100, EBX ECX EDX).
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// The 12 bytes, NUL-padded.
    pub bytes: &'static [u8; 12],
    /// The hypervisor.
    pub hypervisor: Hypervisor,
    /// True for an interface that other hypervisors also emulate (Hyper-V's), so a second
    /// signature at a higher base names the real hypervisor.
    pub emulated_by_others: bool,
    /// Where the signature is defined.
    pub source: &'static str,
}

const fn sig(
    bytes: &'static [u8; 12],
    hypervisor: Hypervisor,
    emulated_by_others: bool,
    source: &'static str,
) -> Signature {
    Signature {
        bytes,
        hypervisor,
        emulated_by_others,
        source,
    }
}

/// Known hypervisor signatures.
#[rustfmt::skip]
pub const SIGNATURES: &[Signature] = &[
    sig(b"KVMKVMKVM\0\0\0", H::Kvm, false, "Linux arch/x86/include/uapi/asm/kvm_para.h KVM_SIGNATURE"),
    sig(b"Linux KVM Hv", H::Kvm, false, "Linux arch/x86/kvm/hyperv.c (KVM's Hyper-V emulation); systemd virt.c"),
    sig(b"TCGTCGTCGTCG", H::Qemu, false, "QEMU target/i386/cpu.c (TCG); systemd virt.c"),
    sig(b"Microsoft Hv", H::Hyperv, true, "Hyper-V TLFS §2.4; Linux arch/x86/kernel/cpu/mshyperv.c"),
    sig(b"VMwareVMware", H::Vmware, false, "Linux arch/x86/kernel/cpu/vmware.c CPUID_VMWARE_INFO_LEAF"),
    sig(b"XenVMMXenVMM", H::Xen, false, "Xen public/arch-x86/cpuid.h XEN_CPUID_SIGNATURE_*"),
    sig(b"bhyve bhyve ", H::Bhyve, false, "FreeBSD sys/amd64/vmm/x86.c; systemd virt.c"),
    sig(b"QNXQVMBSQG\0\0", H::Qnx, false, "systemd virt.c"),
    sig(b"ACRNACRNACRN", H::Acrn, false, "Linux arch/x86/include/asm/acrn.h ACRN_CPUID_SIG"),
    sig(b"SRESRESRESRE", H::Sre, false, "systemd virt.c"),
    sig(b"Apple VZ\0\0\0\0", H::Apple, false, "systemd virt.c (PR #31007)"),
    sig(b"LKVMLKVMLKVM", H::Kvm, false, "virt-what-cpuid-helper.c (kvmtool)"),
    sig(b"OpenBSDVMM58", H::OpenbsdVmm, false, "OpenBSD sys/arch/amd64/include/vmmvar.h VMM_HV_SIGNATURE"),
    sig(b"Jailhouse\0\0\0", H::Jailhouse, false, "Linux arch/x86/kernel/jailhouse.c"),
    sig(b"VBoxVBoxVBox", H::Virtualbox, false, "VirtualBox src/VBox/VMM/VMMR3/GIMMinimal.cpp"),
    sig(b"prl hyperv  ", H::Parallels, false, "Parallels Desktop; al-khaser vm detection list"),
    sig(b" lrpepyh  vr", H::Parallels, false, "Parallels Desktop (byte-swapped form); al-khaser vm detection list"),
    sig(b"NVMMNVMMNVMM", H::Nvmm, false, "NetBSD sys/dev/nvmm/x86/nvmm_x86_svm.c"),
    sig(b"HAXMHAXMHAXM", H::Haxm, false, "Intel HAXM core/cpuid.c"),
];

/// The known signature matching a base leaf, if any.
pub fn known_signature(b: &HypervisorBase) -> Option<&'static Signature> {
    SIGNATURES.iter().find(|s| s.bytes == &b.signature)
}

/// Platforms whose VMs are known to set the SMBIOS VM bit, so a clear bit means bare metal there:
/// (DMI field, pattern, who, source). EC2's Xen-era instances (sys_vendor "Xen") do not set it.
pub const VM_BIT_SETTERS: &[(&str, Match, &str, &str)] = &[(
    "sys_vendor",
    Match::Prefix("Amazon EC2"),
    "EC2 Nitro",
    "systemd PR #19403: EC2 Nitro sets the SMBIOS VM bit on every VM",
)];

// ---------------------------------------------------------------- the engine

/// The facts the rows read, each parsed once per capture.
struct Facts<'c> {
    c: &'c Capture,
    dump: Option<&'c CpuidDump>,
    bases: Vec<HypervisorBase>,
    /// DMI fields as read (field name, trimmed text).
    dmi: Vec<(&'static str, Option<String>)>,
    smbios: Option<(Result<Type0, SmbiosError>, &'c [u8])>,
    /// Each text rule's file cut into the values its rules match: (path, values).
    texts: BTreeMap<&'static str, Vec<String>>,
    pci: Vec<PciFunction>,
    pci_malformed: Vec<Evidence>,
}

impl<'c> Facts<'c> {
    fn new(c: &'c Capture) -> Facts<'c> {
        let dump = match &c.cpuid {
            CpuidRead::Dump(d) => Some(d),
            _ => None,
        };
        let mut texts = BTreeMap::new();
        for r in RULES {
            if let Text { path, .. } = r.signal
                && !texts.contains_key(path)
                && let Some(bytes) = c.file(path).bytes()
            {
                let text = String::from_utf8_lossy(bytes);
                let values = text_values(path, &text).map(str::to_string).collect();
                texts.insert(path, values);
            }
        }
        let mut pci_malformed = Vec::new();
        let pci = pci_devices(c, &mut pci_malformed);
        Facts {
            c,
            dump,
            bases: dump.map(CpuidDump::hypervisor_bases).unwrap_or_default(),
            dmi: crate::input::plan::DMI_FIELDS
                .iter()
                .map(|&f| (f, c.text(&format!("{DMI_DIR}/{f}"))))
                .collect(),
            smbios: c
                .file(SMBIOS_TYPE0)
                .bytes()
                .map(|b| (smbios::parse_type0(b), b)),
            texts,
            pci,
            pci_malformed,
        }
    }

    fn dmi(&self, field: &str) -> Option<String> {
        match self.dmi.iter().find(|(f, _)| *f == field) {
            Some((_, t)) => t.clone(),
            None => self.c.text(&format!("{DMI_DIR}/{field}")),
        }
    }

    /// Whether the hypervisor bit was seen clear: CPUID leaf 1 ECX[31], or (without CPUID) the
    /// first `flags` line of /proc/cpuinfo without `hypervisor`.
    fn hv_bit_clear(&self) -> bool {
        match (self.dump, &self.c.cpuid) {
            (Some(d), _) => d
                .field(vcap_regs::field::cpuid::leaf1_ecx::HYPERVISOR)
                .is_some_and(|v| v == 0),
            (None, CpuidRead::NotObserved) => cpuinfo_flags(self.c)
                .is_some_and(|f| !f.split_whitespace().any(|x| x == "hypervisor")),
            (None, _) => false,
        }
    }

    /// Whether the system vendor is one that makes physical machines only.
    fn hardware_vendor(&self) -> bool {
        self.dmi("sys_vendor")
            .and_then(|v| dmi::vendor(&v))
            .is_some_and(|r| r.kind == VendorKind::Hardware)
    }

    fn is_ec2(&self) -> bool {
        ["sys_vendor", "bios_vendor"].iter().any(|f| {
            self.dmi(f)
                .is_some_and(|v| Match::Prefix("Amazon EC2").hit(&v))
        })
    }
}

/// One match of a row: where, the raw value, and what the row's table supplies in its place.
struct Hit {
    source: String,
    raw: String,
    finding: Option<String>,
    then: Option<Then>,
    reference: Option<&'static str>,
}

impl Hit {
    fn at(source: impl Into<String>, raw: impl Into<String>) -> Hit {
        Hit {
            source: source.into(),
            raw: raw.into(),
            finding: None,
            then: None,
            reference: None,
        }
    }
    fn finding(self, f: String) -> Hit {
        Hit {
            finding: Some(f),
            ..self
        }
    }
    fn malformed(source: impl Into<String>, raw: impl Into<String>, why: &str) -> Hit {
        Hit {
            then: Some(Then {
                suggests: MALFORMED,
                strength: NIL,
                identifies: NO_ID,
                finding: "",
            }),
            reference: Some(MALFORMED_REF),
            ..Hit::at(source, raw).finding(format!("malformed: {why}"))
        }
    }
}

impl Signal {
    /// The matches of this signal in the facts; `earlier` is the evidence of the rows before.
    fn eval(&self, f: &Facts, earlier: &[Evidence], hits: &mut Vec<Hit>) {
        let c = f.c;
        match *self {
            CpuidMalformed => {
                if let CpuidRead::Malformed(why) = &c.cpuid {
                    hits.push(Hit::malformed("cpuid.txt", "", why));
                }
            }
            CpuidBit {
                leaf,
                subleaf,
                reg,
                bit,
                set,
            } => {
                if let Some(r) = f.dump.and_then(|d| d.get(leaf, subleaf)) {
                    let on = reg.of(r) & (1 << bit) != 0;
                    if on == set {
                        let source = format!("CPUID 0x{leaf:08x} {}[{bit}]", reg.name());
                        hits.push(Hit::at(source, u8::from(on).to_string()));
                    }
                }
            }
            CpuidBases => hits.extend(f.bases.iter().map(signature_hit)),
            HypervPrivilege { bit } => {
                for b in f
                    .bases
                    .iter()
                    .filter(|b| b.is_valid() && &b.signature == b"Microsoft Hv")
                {
                    let leaf = b.base + 3;
                    let Some(r) = (b.max_leaf >= leaf).then(|| f.dump?.get(leaf, 0)).flatten()
                    else {
                        continue;
                    };
                    if r.ebx & (1 << bit) != 0 {
                        let source = format!("CPUID 0x{leaf:08x} EBX[{bit}]");
                        hits.push(Hit::at(source, format!("0x{:08x}", r.ebx)));
                    }
                }
            }
            HypervPartition { root } => {
                for (leaf, r) in hyperv_leaf(f, 3) {
                    let create = r.ebx & hv::CREATE_PARTITIONS != 0;
                    let isolated = r.ebx & hv::ISOLATION != 0;
                    let cpu_mgmt = r.ebx & hv::CPU_MANAGEMENT != 0;
                    if create && !isolated && cpu_mgmt == root {
                        let source = format!("CPUID 0x{leaf:08x} EBX[0,12,22]");
                        hits.push(Hit::at(source, format!("0x{:08x}", r.ebx)));
                    }
                }
            }
            HypervHint { bit } => {
                for (leaf, r) in hyperv_leaf(f, 4) {
                    if r.eax & (1 << bit) != 0 {
                        let source = format!("CPUID 0x{leaf:08x} EAX[{bit}]");
                        hits.push(Hit::at(source, format!("0x{:08x}", r.eax)));
                    }
                }
            }
            HypervIsolation { kind } => {
                for b in hyperv_bases(f) {
                    let (Some((_, p)), Some((leaf, r))) =
                        (hyperv_leaf_of(f, b, 3), hyperv_leaf_of(f, b, 0xc))
                    else {
                        continue;
                    };
                    let isolated = p.ebx & hv::ISOLATION != 0 && p.ebx & hv::CPU_MANAGEMENT == 0;
                    if isolated && hv::ISOLATION_TYPE.get(u64::from(r.ebx)) == u64::from(kind) {
                        let source = format!("CPUID 0x{leaf:08x} EAX[0], EBX[3:0,5,11:6]");
                        let raw = format!(
                            "isolation type {kind}, paravisor {}, shared GPA boundary {} (EAX 0x{:08x}, EBX 0x{:08x})",
                            if r.eax & 1 != 0 { "present" } else { "absent" },
                            if r.ebx & hv::SHARED_GPA_BOUNDARY_ACTIVE != 0 {
                                format!(
                                    "bit {}",
                                    hv::SHARED_GPA_BOUNDARY_BITS.get(u64::from(r.ebx))
                                )
                            } else {
                                "inactive".into()
                            },
                            r.eax,
                            r.ebx
                        );
                        hits.push(Hit::at(source, raw));
                    }
                }
            }
            TdxLeaf => {
                if let Some(d) = f.dump
                    && d.has(vcap_regs::field::cpuid::leaf1_ecx::HYPERVISOR)
                    && d.vendor().as_deref() == Some("GenuineIntel")
                    && crate::detect::cvm::tdx_cpuid(d)
                {
                    hits.push(Hit::at(
                        "CPUID 0x00000021 EBX,EDX,ECX",
                        "signature=\"IntelTDX    \"",
                    ));
                }
            }
            SevCpuid => {
                if let Some(d) = f.dump
                    && crate::detect::cvm::reads_sev_msr(d)
                    && let Some(r) = d.get(crate::detect::cvm::LEAF_SEV, 0)
                {
                    hits.push(Hit::at(
                        "CPUID 0x8000001f EAX[1]",
                        format!("EAX 0x{:08x}, EBX 0x{:08x}", r.eax, r.ebx),
                    ));
                }
            }
            SevStatus { bit } => {
                if let crate::input::capture::MsrRead::Value(v) = c.sev_status
                    && v & (1 << bit) != 0
                {
                    let source = format!(
                        "MSR 0x{:08x} (SEV_STATUS) bit {bit}, {}",
                        crate::input::plan::MSR_SEV_STATUS,
                        crate::input::plan::MSR_DEVICE
                    );
                    hits.push(Hit::at(source, format!("0x{v:016x}")));
                }
            }
            Dmi {
                fields,
                pattern,
                and,
            } => {
                let hit = fields.iter().find_map(|&field| {
                    let v = f.dmi(field)?;
                    pattern.hit(&v).then_some((field, v))
                });
                if let Some((field, v)) = hit
                    && and.is_none_or(|(g, m)| f.dmi(g).is_some_and(|w| m.hit(&w)))
                {
                    hits.push(Hit::at(format!("{DMI_DIR}/{field}"), v));
                }
            }
            DmiVendor(kind) => {
                let source = format!("{DMI_DIR}/sys_vendor");
                if earlier.iter().any(|e| e.source == source) {
                    return;
                }
                let Some(v) = f.dmi("sys_vendor").filter(|v| !dmi::is_placeholder(v)) else {
                    return;
                };
                let row = dmi::vendor(&v);
                if row.map(|r| r.kind) != kind {
                    return;
                }
                let mut hit = Hit::at(source, v);
                if let Some(row) = row {
                    let words = match row.kind {
                        VendorKind::Hardware => "makes physical machines only",
                        VendorKind::Shared => {
                            "sells bare metal and VMs under one name: decides nothing"
                        }
                        VendorKind::Virtual => "is a virtual platform",
                    };
                    hit = hit.finding(format!("system vendor {} {words}", row.name));
                    hit.reference = Some(row.source);
                }
                hits.push(hit);
            }
            Ec2InstanceType { metal } => {
                let path = format!("{DMI_DIR}/product_name");
                let Some(name) = f
                    .dmi("product_name")
                    .filter(|n| f.is_ec2() && !dmi::is_placeholder(n))
                else {
                    return;
                };
                let is_metal = name
                    .find(".metal")
                    .is_some_and(|i| matches!(name.as_bytes().get(i + 6), None | Some(b'-')));
                if is_metal == metal {
                    hits.push(Hit::at(path, name));
                }
            }
            SmbiosVmBit(case) => {
                let Some((parsed, bytes)) = &f.smbios else {
                    return;
                };
                let source = format!("{SMBIOS_TYPE0} @0x13 bit 4");
                let t = match parsed {
                    Err(e) => {
                        if case == VmBitCase::Malformed {
                            hits.push(Hit::malformed(
                                SMBIOS_TYPE0,
                                hex_prefix(bytes),
                                &e.to_string(),
                            ));
                        }
                        return;
                    }
                    Ok(t) => t,
                };
                let raw = t
                    .ext_byte2
                    .map_or("absent".into(), |b| format!("0x{b:02x}"));
                let setter = VM_BIT_SETTERS
                    .iter()
                    .find(|(field, m, _, _)| f.dmi(field).is_some_and(|v| m.hit(&v)));
                let this = match (t.vm_bit, setter) {
                    (VmBit::Set, _) if f.hv_bit_clear() && f.hardware_vendor() => {
                        VmBitCase::SetOnPhysicalEvidence
                    }
                    (VmBit::Set, _) => VmBitCase::Set,
                    (VmBit::Clear, Some(_)) => VmBitCase::ClearWhereVmsSetIt,
                    (VmBit::Clear, None) => VmBitCase::Clear,
                    (VmBit::NotPresent, _) => VmBitCase::NotPresent,
                };
                if this != case {
                    return;
                }
                let mut hit = Hit::at(source, raw);
                match (this, setter) {
                    (VmBitCase::ClearWhereVmsSetIt, Some(s)) => {
                        hit = hit.finding(format!(
                            "the VM bit is clear, and {} sets it on every VM",
                            s.2
                        ));
                        hit.reference = Some(s.3);
                    }
                    (VmBitCase::NotPresent, _) => {
                        hit = hit.finding(format!(
                            "the structure (length 0x{:02x}) predates extension byte 2",
                            t.length
                        ));
                    }
                    _ => {}
                }
                hits.push(hit);
            }
            File { path, test } => {
                let Some(t) = c.text(path) else { return };
                let hit = match test {
                    FileTest::Is(v) => t == v,
                    FileTest::IsNot(v) => t != v,
                    FileTest::Word(w) => t.split(',').any(|x| x.trim() == w),
                    FileTest::Any => true,
                    FileTest::HexBit(bit) => {
                        match crate::parse::hex::parse(&t, crate::parse::hex::Prefix::Optional, 64)
                        {
                            Ok(bits) => bits & (1 << bit) != 0,
                            Err(_) => {
                                hits.push(Hit::malformed(path, t, "not a hex number"));
                                return;
                            }
                        }
                    }
                };
                if hit {
                    let source = match test {
                        FileTest::HexBit(bit) => format!("{path} bit {bit}"),
                        _ => path.to_string(),
                    };
                    hits.push(Hit::at(source, t.replace('\0', " ")));
                }
            }
            Text { path, pattern } => {
                if let Some(raw) = f
                    .texts
                    .get(path)
                    .and_then(|vs| vs.iter().find(|v| pattern.hit(v)))
                {
                    hits.push(Hit::at(path, raw.trim()));
                }
            }
            Exists { all, none } => {
                if all.iter().all(|p| c.exists(p)) && !none.iter().any(|p| c.exists(p)) {
                    let mut raw = "present".to_string();
                    for p in &all[1..] {
                        raw.push_str(", with ");
                        raw.push_str(p.rsplit('/').next().unwrap_or(p));
                    }
                    hits.push(Hit::at(all[0], raw));
                }
            }
            Entry { dir, contains } => {
                if let Some(e) = c
                    .listing(dir)
                    .entries()
                    .iter()
                    .find(|e| e.name.contains(contains))
                {
                    hits.push(Hit::at(format!("{dir}/{}", e.name), "present"));
                }
            }
            CpuinfoFlag(flag) => {
                if !matches!(c.cpuid, CpuidRead::NotObserved) {
                    return;
                }
                let has = cpuinfo_flags(c)
                    .is_some_and(|flags| flags.split_whitespace().any(|x| x == flag));
                if has {
                    hits.push(Hit::at("/proc/cpuinfo flags", flag));
                }
            }
            PciMalformed => hits.extend(f.pci_malformed.iter().map(|e| Hit {
                then: Some(Then {
                    suggests: e.suggests,
                    strength: e.strength,
                    identifies: e.identifies,
                    finding: "",
                }),
                reference: Some(e.reference),
                ..Hit::at(e.source.clone(), e.raw.clone()).finding(e.finding.clone())
            })),
            Pci {
                vendor,
                device,
                subsystem,
            } => pci_hit(&f.pci, vendor, device, subsystem, hits),
            VirtioTransport(t) => {
                let names: Vec<&str> = c
                    .listing("/sys/bus/virtio/devices")
                    .entries()
                    .iter()
                    .filter(|e| virtio_transport(e.link.as_deref()) == t)
                    .map(|e| e.name.as_str())
                    .collect();
                if !names.is_empty() {
                    hits.push(Hit::at("/sys/bus/virtio/devices", names.join(", ")));
                }
            }
            BusDevices(dir) => {
                let n = c.listing(dir).entries().len();
                if n > 0 {
                    hits.push(Hit::at(dir, format!("{n} device(s)")));
                }
            }
            AcpiHid(prefix) => {
                if let Some(e) = c
                    .listing("/sys/bus/acpi/devices")
                    .entries()
                    .iter()
                    .find(|e| e.name.to_ascii_uppercase().starts_with(prefix))
                {
                    hits.push(Hit::at(
                        format!("/sys/bus/acpi/devices/{}", e.name),
                        "present",
                    ));
                }
            }
            IommuBit { file, bit } => {
                for e in c.listing(crate::input::plan::IOMMU_CLASS).entries() {
                    let path = format!("{}/{}/{file}", crate::input::plan::IOMMU_CLASS, e.name);
                    let Some(text) = c.text(&path) else { continue };
                    match crate::parse::hex::parse(&text, crate::parse::hex::Prefix::Optional, 64) {
                        Ok(v) if v & (1 << bit) != 0 => {
                            hits.push(Hit::at(format!("{path} bit {bit}"), text));
                        }
                        Ok(_) => {}
                        Err(_) => hits.push(Hit::malformed(path, text, "not a hex register value")),
                    }
                }
            }
            ContainerName { path, form } => {
                let Some(bytes) = c.file(path).bytes() else {
                    return;
                };
                let value: Option<&[u8]> = match form {
                    NameForm::FirstLine if bytes.is_empty() => return,
                    NameForm::FirstLine => bytes.split(|b| matches!(b, b'\n' | b'\r' | 0)).next(),
                    NameForm::Environ | NameForm::OwnEnvironAsPid1 => bytes
                        .split(|b| *b == 0)
                        .find_map(|e| e.strip_prefix(b"container=")),
                };
                let Some(value) = value else {
                    if form == NameForm::OwnEnvironAsPid1 {
                        // PID 1 without the variable: systemd goes straight to the runtime
                        // files (the rows that read the name elsewhere do not apply).
                        let mut hit = Hit::at(path, "no container= entry");
                        hit.then = Some(Then {
                            suggests: Suggests::Neutral,
                            strength: Strength::None,
                            identifies: NO_ID,
                            finding: "",
                        });
                        hits.push(hit.finding(
                            "this process is PID 1 and has no container= variable: systemd goes straight to the runtime files".into(),
                        ));
                    }
                    return;
                };
                let name = String::from_utf8_lossy(value);
                if name.is_empty() && form == NameForm::OwnEnvironAsPid1 {
                    let mut hit = Hit::at(path, "container=");
                    hit.then = Some(Then {
                        suggests: Suggests::NoContainer,
                        ..CONTAINER_THEN
                    });
                    hits.push(hit.finding(
                        "this process is PID 1 and its container= is empty: not in a container, on its own word (systemd reads nothing further)".into(),
                    ));
                    return;
                }
                let runtime = match &*name {
                    "oci" if c.exists(PODMAN_FILE) => Container::Podman,
                    "oci" if c.exists(DOCKER_FILE) => Container::Docker,
                    n => Container::from_name(n),
                };
                let mut hit = Hit::at(path, format!("container={name}"));
                hit.then = Some(Then {
                    identifies: Identity::container(runtime),
                    ..CONTAINER_THEN
                });
                hits.push(hit.finding(format!(
                    "the container manager names itself {name:?}: {}",
                    runtime.name()
                )));
            }
            CgroupNamespace => {
                if c.exists(CGROUP_EVENTS) {
                    // cgroup v2 at the top of /sys/fs/cgroup.
                    if c.exists(CGROUP_TYPE) || !c.exists(CGROUP_FEATURES) {
                        hits.push(Hit::at(
                            CGROUP_TYPE,
                            "cgroup v2: cgroup.events and cgroup.type at the top of /sys/fs/cgroup",
                        ));
                    }
                } else if c.exists(CGROUP_V1_PROCS) && !c.exists(CGROUP_V1_RELEASE_AGENT) {
                    // cgroup v1: systemd's hierarchy is mounted, and its top is not the root
                    // cgroup (only the root has release_agent).
                    hits.push(Hit::at(
                        CGROUP_V1_PROCS,
                        "cgroup v1: the systemd hierarchy's top has no release_agent",
                    ));
                }
            }
            AcpiOem { table, id, .. } => {
                let path = format!("/sys/firmware/acpi/tables/{table}");
                // ACPI table header: OEM ID at offset 10 (6 bytes), OEM table ID at 16 (8 bytes).
                let Some(b) = c.file(&path).bytes().filter(|b| b.len() >= 24) else {
                    return;
                };
                let oem = String::from_utf8_lossy(&b[10..16]).trim().to_string();
                let tid = String::from_utf8_lossy(&b[16..24]).trim().to_string();
                if oem == id || tid == id {
                    hits.push(Hit::at(
                        format!("{path} OEM ID / table ID"),
                        format!("{oem:?} / {tid:?}"),
                    ));
                }
            }
        }
    }
}

impl Signal {
    /// What the signal reads, in the report's own terms: a path, a CPUID coordinate, a PCI ID.
    pub fn reads(&self) -> String {
        match *self {
            CpuidMalformed => "cpuid.txt".into(),
            CpuidBit {
                leaf,
                subleaf,
                reg,
                bit,
                ..
            } => format!("CPUID 0x{leaf:08x}.{subleaf} {}[{bit}]", reg.name()),
            CpuidBases => "CPUID 0x40000000 + n*0x100 (n = 0..255) EAX,EBX,ECX,EDX".into(),
            HypervPrivilege { bit } => format!("CPUID (Microsoft Hv base + 3) EBX[{bit}]"),
            HypervPartition { .. } => "CPUID (Microsoft Hv base + 3) EBX[0,12,22]".into(),
            HypervHint { bit } => format!("CPUID (Microsoft Hv base + 4) EAX[{bit}]"),
            HypervIsolation { .. } => {
                "CPUID (Microsoft Hv base + 3) EBX[12,22], (base + 0xC) EAX[0], EBX[11:0]".into()
            }
            TdxLeaf => "CPUID 0x00000000, 0x00000001 ECX[31], 0x00000021 EBX,EDX,ECX".into(),
            SevCpuid => {
                "CPUID 0x00000000, 0x00000001 ECX[31], 0x80000000 EAX, 0x8000001F EAX[1]".into()
            }
            SevStatus { bit } => format!(
                "MSR 0x{:08x} bit {bit} via {}",
                crate::input::plan::MSR_SEV_STATUS,
                crate::input::plan::MSR_DEVICE
            ),
            Dmi { fields, and, .. } => {
                let mut s: Vec<String> = fields.iter().map(|f| format!("{DMI_DIR}/{f}")).collect();
                if let Some((g, _)) = and {
                    s.push(format!("{DMI_DIR}/{g}"));
                }
                s.join(", ")
            }
            DmiVendor(_) => format!("{DMI_DIR}/sys_vendor"),
            Ec2InstanceType { .. } => {
                format!("{DMI_DIR}/product_name, {DMI_DIR}/sys_vendor, {DMI_DIR}/bios_vendor")
            }
            SmbiosVmBit(_) => format!("{SMBIOS_TYPE0} @0x13 bit 4"),
            File { path, .. } | Text { path, .. } => path.into(),
            Exists { all, none } => all
                .iter()
                .chain(none)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            Entry { dir, .. } => format!("{dir} (listing)"),
            CpuinfoFlag(_) => "/proc/cpuinfo flags (first processor)".into(),
            PciMalformed | Pci { .. } => format!(
                "{PCI_DEVICES}/*/{{{PCI_MODALIAS},vendor,device,subsystem_vendor,subsystem_device}}"
            ),
            VirtioTransport(_) => "/sys/bus/virtio/devices (links)".into(),
            BusDevices(dir) => format!("{dir} (listing)"),
            AcpiHid(_) => "/sys/bus/acpi/devices (listing)".into(),
            IommuBit { file, bit } => {
                format!("{}/*/{file} bit {bit}", crate::input::plan::IOMMU_CLASS)
            }
            AcpiOem { table, .. } => {
                format!("/sys/firmware/acpi/tables/{table} header bytes 10..24")
            }
            ContainerName {
                path,
                form: NameForm::FirstLine,
            } => format!("{path} (first line)"),
            ContainerName { path, .. } => format!("{path} (the container= entry)"),
            CgroupNamespace => format!(
                "{CGROUP_EVENTS}, {CGROUP_TYPE}, {CGROUP_FEATURES}; v1: {CGROUP_V1_PROCS}, {CGROUP_V1_RELEASE_AGENT}"
            ),
        }
    }

    /// How the signal matches, in words.
    pub fn matches(&self) -> String {
        match *self {
            CpuidMalformed => "the file is not `cpuid -r` output".into(),
            CpuidBit { set, .. } => if set { "set" } else { "clear" }.into(),
            CpuidBases => format!(
                "a printable signature with max leaf in range, looked up in the {} signature rows",
                SIGNATURES.len()
            ),
            HypervPrivilege { .. } => "set".into(),
            HypervPartition { root: true } => {
                "CreatePartitions and CpuManagement set, Isolation clear".into()
            }
            HypervPartition { root: false } => {
                "CreatePartitions set, CpuManagement and Isolation clear".into()
            }
            HypervHint { .. } => "set".into(),
            HypervIsolation { kind } => {
                format!("Isolation set, CpuManagement clear, isolation type {kind}")
            }
            TdxLeaf => "hypervisor bit, GenuineIntel, maximum ≥ 0x21, signature \"IntelTDX    \"".into(),
            SevCpuid => "hypervisor bit, AuthenticAMD, maximum ≥ 0x8000001F, SEV bit set".into(),
            SevStatus { .. } => "set (read only where CPUID reports SEV to a guest)".into(),
            Dmi { pattern, and, .. } => match and {
                Some((g, m)) => format!(
                    "the first field that {}, and {g} {}",
                    pattern.describe(),
                    m.describe()
                ),
                None => format!("the first field that {}", pattern.describe()),
            },
            DmiVendor(Some(k)) => format!(
                "a {k:?} vendor of the {}-row vendor table, when no earlier rule read sys_vendor",
                dmi::VENDORS.len()
            ),
            DmiVendor(None) => "a vendor not in the vendor table (placeholders skipped)".into(),
            Ec2InstanceType { metal: true } => {
                "sys/bios vendor \"Amazon EC2\" and an instance type *.metal or *.metal-<size>"
                    .into()
            }
            Ec2InstanceType { metal: false } => {
                "sys/bios vendor \"Amazon EC2\" and any other instance type".into()
            }
            SmbiosVmBit(case) => format!("{case:?}"),
            File { test, .. } => match test {
                FileTest::Is(v) => format!("equals {v:?}"),
                FileTest::IsNot(v) => format!("read, and not {v:?}"),
                FileTest::HexBit(b) => format!("hex bitmask with bit {b} set"),
                FileTest::Word(w) => format!("comma-separated words include {w:?}"),
                FileTest::Any => "read".into(),
            },
            Text { pattern, .. } => format!("a value that {}", pattern.describe()),
            Exists { none: [], .. } => "all exist".into(),
            Exists { none, .. } => format!("the first exist, and {} does not", none.join(", ")),
            Entry { contains, .. } => format!("an entry whose name contains {contains:?}"),
            CpuinfoFlag(f) => format!("the flag {f:?}, when CPUID was not observed"),
            PciMalformed => "a modalias or ID file that does not parse".into(),
            Pci {
                vendor,
                device,
                subsystem,
            } => {
                let what = if subsystem { "subsystem IDs" } else { "IDs" };
                match device {
                    Some(d) => format!("{what} {vendor:04x}:{d:04x}"),
                    None => format!("{what} {vendor:04x}:*"),
                }
            }
            VirtioTransport(t) => format!("a device whose link leads to the {t:?} transport"),
            BusDevices(_) => "at least one device".into(),
            AcpiHid(p) => format!("an entry starting with {p:?}"),
            IommuBit { .. } => "set (the file is a hex register value)".into(),
            AcpiOem { id, who, .. } => format!("OEM ID or OEM table ID {id:?} ({who})"),
            ContainerName {
                form: NameForm::OwnEnvironAsPid1,
                ..
            } => "present when this process is PID 1: an empty value is no container (authoritative), a name as below; no entry lets the runtime files decide".into(),
            ContainerName { .. } => "a name, compared exactly: systemd's container ids, `oci` by the runtime files, anything else (an empty name too) container-other".into(),
            CgroupNamespace => "the top of /sys/fs/cgroup is not the root cgroup".into(),
        }
    }
}

/// The valid `Microsoft Hv` bases.
fn hyperv_bases<'f>(f: &'f Facts) -> impl Iterator<Item = &'f HypervisorBase> {
    f.bases
        .iter()
        .filter(|b| b.is_valid() && &b.signature == b"Microsoft Hv")
}

/// Leaf `base + off` of one base, when its range reaches it and it was recorded.
fn hyperv_leaf_of(
    f: &Facts,
    b: &HypervisorBase,
    off: u32,
) -> Option<(u32, crate::parse::cpuid::Regs)> {
    let leaf = b.base.checked_add(off)?;
    let r = (b.max_leaf >= leaf)
        .then(|| f.dump?.get(leaf, 0))
        .flatten()?;
    Some((leaf, r))
}

/// Leaf `base + off` of every valid `Microsoft Hv` base whose range reaches it: (leaf, registers).
fn hyperv_leaf(f: &Facts, off: u32) -> Vec<(u32, crate::parse::cpuid::Regs)> {
    hyperv_bases(f)
        .filter_map(|b| hyperv_leaf_of(f, b, off))
        .collect()
}

/// One hypervisor base classified by [`SIGNATURES`]: a known valid signature is strong, a valid
/// unknown one moderate, an invalid one (max leaf out of range, or unprintable) counts for nothing.
fn signature_hit(b: &HypervisorBase) -> Hit {
    let source = format!("CPUID 0x{:08x} EAX,EBX,ECX,EDX", b.base);
    let raw = format!(
        "max_leaf=0x{:08x} signature=\"{}\"",
        b.max_leaf,
        b.signature_text()
    );
    let then = |suggests, strength, identifies| Then {
        suggests,
        strength,
        identifies,
        finding: "",
    };
    let (finding, then, reference) = match (b.is_valid(), known_signature(b)) {
        (true, Some(s)) => (
            format!("hypervisor signature of {}", s.hypervisor.name()),
            then(VM, Strong, Identity::hv(s.hypervisor)),
            s.source,
        ),
        (true, None) => (
            "a valid but unknown hypervisor signature".into(),
            then(VM, Moderate, Identity::hv(H::Other)),
            "Linux hypervisor_cpuid_base(): printable signature, max leaf within the range",
        ),
        (false, Some(s)) => (
            format!(
                "the {} signature with a max leaf outside 0x{:08x}..=0x{:08x}: not counted",
                s.hypervisor.name(),
                b.base,
                b.base + 0xff
            ),
            then(NEUTRAL, NIL, NO_ID),
            "Linux hypervisor_cpuid_base(); issue 2: a max leaf out of range is not a hypervisor",
        ),
        (false, None) => (
            "no hypervisor signature (bare-metal CPUs return unrelated data here)".into(),
            then(NEUTRAL, NIL, NO_ID),
            "Intel SDM: leaves above the maximum return the highest basic leaf's data; AMD returns zeros",
        ),
    };
    Hit {
        then: Some(then),
        reference: Some(reference),
        ..Hit::at(source, raw).finding(finding)
    }
}

fn pci_hit(
    devs: &[PciFunction],
    vendor: u16,
    device: Option<u16>,
    subsystem: bool,
    hits: &mut Vec<Hit>,
) {
    let matched: Vec<&PciFunction> = devs
        .iter()
        .filter(|f| {
            let d = f.ids;
            let (v, dv) = if subsystem {
                (d.subsystem_vendor, d.subsystem_device)
            } else {
                (Some(d.vendor), Some(d.device))
            };
            v == Some(vendor) && device.is_none_or(|want| dv == Some(want))
        })
        .collect();
    if matched.is_empty() {
        return;
    }
    let shown: Vec<String> = matched
        .iter()
        .take(6)
        .map(|f| format!("{} {:04x}:{:04x}", f.addr, f.ids.vendor, f.ids.device))
        .collect();
    let more = if matched.len() > 6 {
        format!(" (+{} more)", matched.len() - 6)
    } else {
        String::new()
    };
    let files = if subsystem {
        "subsystem_{vendor,device}"
    } else {
        "{vendor,device}"
    };
    let source = match (
        matched.iter().any(|f| !f.from_modalias),
        matched.iter().any(|f| f.from_modalias),
    ) {
        (true, true) => format!("{PCI_DEVICES}/*/{files}, {PCI_DEVICES}/*/{PCI_MODALIAS}"),
        (false, true) => format!("{PCI_DEVICES}/*/{PCI_MODALIAS}"),
        _ => format!("{PCI_DEVICES}/*/{files}"),
    };
    let mut hit = Hit::at(source, format!("{}{more}", shown.join(", ")));
    // The row's finding is prefixed with the count by `gather`.
    hit.finding = Some(format!("{} device(s): ", matched.len()));
    hits.push(hit);
}

/// Gathers every piece of evidence a capture holds: the rows of [`RULES`] in order.
pub fn gather(c: &Capture) -> Vec<Evidence> {
    gather_rules(c, RULES)
}

/// The evidence of the given rows alone, in their order (tests and `vcap rules` examples).
pub fn gather_rules(c: &Capture, rules: &[Rule]) -> Vec<Evidence> {
    let facts = Facts::new(c);
    let mut out: Vec<Evidence> = Vec::new();
    let mut hits = Vec::new();
    for rule in rules {
        if rule
            .unless
            .iter()
            .any(|id| out.iter().any(|e| e.rule == *id))
        {
            continue;
        }
        rule.signal.eval(&facts, &out, &mut hits);
        for hit in hits.drain(..) {
            let then = hit.then.unwrap_or(rule.then);
            let finding = match (hit.finding, rule.signal) {
                (Some(count), Pci { .. }) => format!("{count}{}", rule.then.finding),
                (Some(f), _) => f,
                (None, _) => rule.then.finding.to_string(),
            };
            out.push(Evidence {
                rule: rule.id,
                source: hit.source,
                raw: hit.raw,
                finding,
                suggests: then.suggests,
                strength: then.strength,
                identifies: then.identifies,
                reference: hit.reference.unwrap_or(rule.source),
            });
        }
    }
    out
}

fn hex_prefix(b: &[u8]) -> String {
    let mut s: String = b.iter().take(24).map(|x| format!("{x:02x}")).collect();
    if b.len() > 24 {
        s.push('…');
    }
    s
}

/// An item for malformed input: it names the source and what is wrong, and counts for nothing.
pub fn malformed(rule: &'static str, source: String, raw: String, why: String) -> Evidence {
    Evidence {
        rule,
        source,
        raw,
        finding: format!("malformed: {why}"),
        suggests: Suggests::Malformed,
        strength: Strength::None,
        identifies: Identity::NONE,
        reference: MALFORMED_REF,
    }
}

// ---------------------------------------------------------------- text files

/// The values of a text file that its rules match: the strings of a device-tree property, the
/// control-program lines of /proc/sysinfo, the lines [`cpuinfo_lines`] keeps of /proc/cpuinfo.
fn text_values<'t>(path: &str, text: &'t str) -> Box<dyn Iterator<Item = &'t str> + 't> {
    if path.starts_with("/proc/device-tree") {
        Box::new(text.split('\0'))
    } else if path == "/proc/sysinfo" {
        Box::new(
            text.lines()
                .filter(|l| l.starts_with("VM00 Control Program")),
        )
    } else {
        Box::new(cpuinfo_lines(text))
    }
}

/// The first `flags` line of /proc/cpuinfo (x86), after its colon.
fn cpuinfo_flags(c: &Capture) -> Option<String> {
    let text = String::from_utf8_lossy(c.file("/proc/cpuinfo").bytes()?).into_owned();
    first_cpu_lines(&text)
        .find(|l| l.starts_with("flags"))
        .map(|l| l.split_once(':').map_or("", |x| x.1).to_string())
}

/// The lines of the first processor block of /proc/cpuinfo (all lines on architectures without
/// per-processor blocks).
fn first_cpu_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").next().unwrap_or("").lines()
}

/// The first processor block of /proc/cpuinfo and, when there is more than one block, the last:
/// PowerPC ends the file with machine-wide lines ("platform", "model", "machine") after the
/// per-processor blocks (Linux arch/powerpc/kernel/setup-common.c show_cpuinfo_summary()). The
/// blocks in between repeat the first, and a machine with hundreds of CPUs has hundreds of them.
fn cpuinfo_lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.trim_end_matches('\n');
    let first = body.split("\n\n").next().unwrap_or("");
    let last = match body.rsplit_once("\n\n") {
        Some((_, last)) => last,
        None => "",
    };
    first.lines().chain(last.lines())
}

// ---------------------------------------------------------------- buses

/// A PCI device's IDs as read from sysfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PciIds {
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID.
    pub device: u16,
    /// Subsystem vendor ID, when read.
    pub subsystem_vendor: Option<u16>,
    /// Subsystem device ID, when read.
    pub subsystem_device: Option<u16>,
}

/// Parses a sysfs ID attribute such as `0x1af4`.
pub fn sysfs_hex16(s: &str) -> Option<u16> {
    let v = crate::parse::hex::parse(s, crate::parse::hex::Prefix::Required, 16).ok()?;
    u16::try_from(v).ok()
}

/// One PCI function's IDs and where they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciFunction {
    /// Its address (the entry name in `/sys/bus/pci/devices`).
    pub addr: String,
    /// Its IDs.
    pub ids: PciIds,
    /// Whether they came from `modalias` (one read) rather than the four ID files.
    pub from_modalias: bool,
}

/// The fields of a PCI modalias with their widths in hex digits, as the kernel prints them:
/// vendor, device, subsystem vendor, subsystem device (16-bit IDs in 8 digits), base class,
/// subclass, programming interface.
const MODALIAS_FIELDS: [(&str, usize); 7] = [
    ("pci:v", 8),
    ("d", 8),
    ("sv", 8),
    ("sd", 8),
    ("bc", 2),
    ("sc", 2),
    ("i", 2),
];

/// Parses a PCI modalias such as `pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00` (every
/// field present, hex in either case, IDs within 16 bits, nothing after the last field).
pub fn pci_modalias(s: &str) -> Option<PciIds> {
    let mut rest = s.trim();
    let mut v = [0u32; MODALIAS_FIELDS.len()];
    for (slot, (tag, width)) in v.iter_mut().zip(MODALIAS_FIELDS) {
        rest = rest.strip_prefix(tag)?;
        let digits = rest.get(..width)?;
        let x = crate::parse::hex::parse(digits, crate::parse::hex::Prefix::Forbidden, 32).ok()?;
        if digits.trim_ascii() != digits {
            return None;
        }
        *slot = u32::try_from(x).ok()?;
        rest = &rest[width..];
    }
    if !rest.is_empty() {
        return None;
    }
    let id = |x: u32| u16::try_from(x).ok();
    Some(PciIds {
        vendor: id(v[0])?,
        device: id(v[1])?,
        subsystem_vendor: Some(id(v[2])?),
        subsystem_device: Some(id(v[3])?),
    })
}

/// The PCI functions of a capture, with malformed ones reported as evidence.
pub fn pci_devices(c: &Capture, out: &mut Vec<Evidence>) -> Vec<PciFunction> {
    c.listing(PCI_DEVICES)
        .entries()
        .iter()
        .filter_map(|e| pci_function(c, &e.name, out))
        .collect()
}

/// One PCI function's IDs (`name` is its entry in `/sys/bus/pci/devices`), from its `modalias`
/// where that was read with content, else from its ID files, as the probe reads them (the plan's
/// `Summary`): a live run and its replayed snapshot decide alike. Malformed input is reported.
pub fn pci_function(c: &Capture, name: &str, out: &mut Vec<Evidence>) -> Option<PciFunction> {
    let path = |a: &str| format!("{PCI_DEVICES}/{name}/{a}");
    let alias = c.file(&path(PCI_MODALIAS));
    let (ids, from_modalias) = if alias.has_content() {
        let t = alias.text().unwrap_or_default();
        let ids = pci_modalias(&t);
        if ids.is_none() {
            let why = "not a PCI modalias (pci:v…d…sv…sd…bc…sc…i…)".into();
            out.push(malformed("pci.ids", path(PCI_MODALIAS), t, why));
        }
        (ids?, true)
    } else {
        (pci_id_files(c, &path, out)?, false)
    };
    Some(PciFunction {
        addr: name.to_string(),
        ids,
        from_modalias,
    })
}

/// A function's IDs from its ID files: vendor and device must both be present; junk in either is
/// malformed evidence.
fn pci_id_files(
    c: &Capture,
    path: &dyn Fn(&str) -> String,
    out: &mut Vec<Evidence>,
) -> Option<PciIds> {
    let mut ids = [0u16; 2];
    let mut ok = true;
    for (slot, a) in ids.iter_mut().zip(["vendor", "device"]) {
        match c.text(&path(a)) {
            None => ok = false,
            Some(t) => match sysfs_hex16(&t) {
                Some(v) => *slot = v,
                None => {
                    let why = "not a 0x-prefixed 16-bit ID".into();
                    out.push(malformed("pci.ids", path(a), t, why));
                    ok = false;
                }
            },
        }
    }
    if !ok {
        return None;
    }
    let [vendor, device] = ids;
    let hex = |a: &str| c.text(&path(a)).and_then(|s| sysfs_hex16(&s));
    Some(PciIds {
        vendor,
        device,
        subsystem_vendor: hex("subsystem_vendor"),
        subsystem_device: hex("subsystem_device"),
    })
}

/// A virtio device's transport: the parse stage's one classifier ([`crate::parse::virtio`]).
pub use crate::parse::virtio::Transport as VirtioTransport;

/// The transport of a virtio device from its bus link target ([`crate::parse::virtio::transport`]).
pub fn virtio_transport(link: Option<&str>) -> VirtioTransport {
    crate::parse::virtio::transport(link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::capture::FileRead;

    fn with_cpuinfo(text: &str) -> Capture {
        let mut c = Capture::default();
        c.files.insert(
            "/proc/cpuinfo".into(),
            FileRead::Data {
                bytes: text.as_bytes().to_vec(),
                truncated: false,
            },
        );
        c
    }

    #[test]
    #[should_panic(expected = "not in the read plan")]
    fn a_rule_naming_a_path_the_plan_does_not_read_fails_in_tests() {
        let typo = row(
            "xen.typo",
            File {
                path: "/sys/hypervisor/typ",
                test: FileTest::Is("xen"),
            },
            VM,
            Strong,
            NO_ID,
            "a misspelt path",
            "a test",
        );
        gather_rules(&Capture::default(), &[typo]);
    }

    #[test]
    fn every_rule_reads_only_planned_inputs_on_every_kind_of_capture() {
        // An empty capture walks every row (each looks its inputs up): no lookup panics.
        assert!(gather(&Capture::default()).is_empty());
    }

    #[test]
    fn patterns_ignore_ascii_case_and_surrounding_space() {
        assert!(Match::Equals("QEMU").hit(" qemu\n"));
        assert!(!Match::Equals("QEMU").hit("QEMU Standard PC"));
        assert!(Match::Prefix("VMware").hit("VMWARE, Inc."));
        assert!(!Match::Prefix("VMware, Inc.").hit("VMware"));
        assert!(Match::Contains("virtual machine").hit("Hyper-V Virtual Machine"));
        assert!(!Match::Contains("virtual machine").hit("Virtual"));
        assert!(Match::Contains("").hit(""));
        // The first byte of the text and of every window folds as the rest does.
        assert!(
            Match::Contains("Qemu virtual CPU").hit("model name\t: QEMU Virtual CPU version 2.5+")
        );
        assert!(
            Match::Contains("emulated by QEMU")
                .hit("machine : CHRP IBM pSeries (emulated by qemu)")
        );
        assert!(!Match::Contains("emulated by QEMU").hit("emulated by QEM"));
        assert!(!Match::Contains("xen").hit("xe"));
        // Only ASCII folds, as with to_ascii_lowercase: 'İ' is not 'i'.
        assert!(!Match::Equals("i").hit("İ"));
    }

    /// The rows of one signal kind alone.
    fn rows(pred: fn(&Signal) -> bool) -> Vec<Rule> {
        RULES.iter().filter(|r| pred(&r.signal)).copied().collect()
    }

    fn text_rules_hit(c: &Capture) -> Vec<&'static str> {
        let text = rows(|s| matches!(s, Text { .. }));
        gather_rules(c, &text).iter().map(|e| e.rule).collect()
    }

    /// A pseries guest under QEMU: the per-CPU blocks and the machine-wide summary after the
    /// last one, in the layout of Linux arch/powerpc/kernel/setup-common.c (show_cpuinfo,
    /// show_cpuinfo_summary) and platforms/pseries/setup.c ("machine\t\t: CHRP %s"), with the
    /// root "model" property QEMU's hw/ppc/spapr.c sets.
    const PSERIES_QEMU: &str = "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n\
        clock\t\t: 2200.000000MHz\nrevision\t: 2.2 (pvr 004e 1202)\n\n\
        processor\t: 1\ncpu\t\t: POWER9 (architected), altivec supported\n\
        clock\t\t: 2200.000000MHz\nrevision\t: 2.2 (pvr 004e 1202)\n\n\
        timebase\t: 512000000\nplatform\t: pSeries\nmodel\t\t: IBM pSeries (emulated by qemu)\n\
        machine\t\t: CHRP IBM pSeries (emulated by qemu)\nMMU\t\t: Radix\n";

    #[test]
    fn powerpc_summary_after_the_last_cpu_is_read() {
        assert_eq!(
            text_rules_hit(&with_cpuinfo(PSERIES_QEMU)),
            ["cpuinfo.qemu-pseries"]
        );
    }

    #[test]
    fn a_middle_cpu_block_is_not_read() {
        // Only the first block and the trailing one are read: a marker in a middle block of an
        // x86-style file (no trailer) is not evidence.
        let text = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\n\n\
            processor\t: 1\nmodel name\t: QEMU Virtual CPU version 2.5+\n\n\
            processor\t: 2\nmodel name\t: Intel(R) Xeon(R)\n\n";
        assert!(text_rules_hit(&with_cpuinfo(text)).is_empty());
        let first = "processor\t: 0\nmodel name\t: QEMU Virtual CPU version 2.5+\n\n\
            processor\t: 1\nmodel name\t: QEMU Virtual CPU version 2.5+\n\n";
        assert_eq!(text_rules_hit(&with_cpuinfo(first)), ["cpuinfo.qemu-cpu"]);
    }

    /// The development machine's PCI functions (a KVM guest), read from its sysfs on 2026-11-28:
    /// each modalias beside the vendor, device and subsystem files of the same function.
    #[rustfmt::skip]
    const DEV_MACHINE_PCI: &[(&str, &str, [&str; 4])] = &[
        ("0000:00:00.0", "pci:v00008086d00000D57sv00000000sd00000000bc06sc00i00", ["0x8086", "0x0d57", "0x0000", "0x0000"]),
        ("0000:00:01.0", "pci:v00001AF4d00001045sv00001AF4sd00001045bcFFscFFi00", ["0x1af4", "0x1045", "0x1af4", "0x1045"]),
        ("0000:00:02.0", "pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00", ["0x1af4", "0x1042", "0x1af4", "0x1042"]),
        ("0000:00:03.0", "pci:v00001AF4d00001041sv00001AF4sd00001041bc02sc00i00", ["0x1af4", "0x1041", "0x1af4", "0x1041"]),
    ];

    const ID_FILES: [&str; 4] = ["vendor", "device", "subsystem_vendor", "subsystem_device"];

    /// A capture of the development machine's PCI functions with the given files of each.
    fn pci_capture(modalias: bool, id_files: bool) -> Capture {
        let mut c = Capture::default();
        let mut entries = Vec::new();
        for (addr, alias, ids) in DEV_MACHINE_PCI {
            entries.push(crate::input::capture::DirEntry {
                name: addr.to_string(),
                link: Some(format!("../../../devices/pci0000:00/{addr}")),
            });
            let mut put = |file: &str, text: &str| {
                c.files.insert(
                    format!("{PCI_DEVICES}/{addr}/{file}"),
                    FileRead::Data {
                        bytes: format!("{text}\n").into_bytes(),
                        truncated: false,
                    },
                );
            };
            if modalias {
                put(PCI_MODALIAS, alias);
            }
            if id_files {
                for (file, v) in ID_FILES.iter().zip(ids) {
                    put(file, v);
                }
            }
        }
        c.dirs.insert(
            PCI_DEVICES.into(),
            crate::input::capture::Listing::Entries(entries),
        );
        c
    }

    #[test]
    fn a_modalias_carries_the_same_ids_as_the_id_files() {
        for (addr, alias, ids) in DEV_MACHINE_PCI {
            let want = PciIds {
                vendor: sysfs_hex16(ids[0]).unwrap(),
                device: sysfs_hex16(ids[1]).unwrap(),
                subsystem_vendor: sysfs_hex16(ids[2]),
                subsystem_device: sysfs_hex16(ids[3]),
            };
            assert_eq!(pci_modalias(alias), Some(want), "{addr}");
            assert_eq!(
                pci_modalias(&alias.to_ascii_lowercase()),
                Some(want),
                "{addr}"
            );
        }
        // The 2005 patch that added the file printed the interface in lower case (`i%02x`).
        let old = "pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i0a\n";
        assert_eq!(pci_modalias(old).map(|i| i.device), Some(0x1237));
    }

    #[test]
    fn a_modalias_that_is_not_the_kernels_format_is_refused() {
        let good = "pci:v00001AF4d00001041sv00001AF4sd00001041bc02sc00i00";
        assert!(pci_modalias(good).is_some());
        for bad in [
            "",
            "pci:",
            &good[..good.len() - 1],
            &format!("{good}x"),
            &good.replace("pci:v", "usb:v"),
            &good.replace("sv", "sx"),
            &good.replace("00001AF4d", "0001AF4d"),
            &good.replace("d00001041", "d0000104G"),
            &good.replace("v00001AF4d", "v00011AF4d"),
            &good.replace("bc02", "bc+2"),
            "pci:v00001AF4d00001041sv00001AF4sd00001041bc02sc00i00 pci:v0",
        ] {
            assert_eq!(pci_modalias(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_modalias_finds_what_the_id_files_show_and_wins_where_both_were_read() {
        let pci = rows(|s| matches!(s, Pci { .. } | PciMalformed));
        let rule_hits = |c: &Capture| gather_rules(c, &pci);
        let files = rule_hits(&pci_capture(false, true));
        let alias = rule_hits(&pci_capture(true, false));
        let both = rule_hits(&pci_capture(true, true));
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].rule, "pci.virtio");
        assert_eq!(
            files[0].raw,
            "0000:00:01.0 1af4:1045, 0000:00:02.0 1af4:1042, 0000:00:03.0 1af4:1041"
        );
        assert_eq!(files[0].source, "/sys/bus/pci/devices/*/{vendor,device}");
        // The modalias wins where both were read (a snapshot), as the live run read it alone.
        assert_eq!(both, alias);
        assert_eq!(alias.len(), 1);
        assert_eq!(alias[0].source, "/sys/bus/pci/devices/*/modalias");
        let same_but_source = |e: &Evidence| Evidence {
            source: String::new(),
            ..e.clone()
        };
        assert_eq!(same_but_source(&alias[0]), same_but_source(&files[0]));
    }

    #[test]
    fn a_malformed_modalias_is_evidence_and_finds_nothing() {
        let mut c = pci_capture(true, false);
        let p = format!("{PCI_DEVICES}/0000:00:01.0/{PCI_MODALIAS}");
        c.files.insert(
            p.clone(),
            FileRead::Data {
                bytes: b"pci:v00001AF4d1045\n".to_vec(),
                truncated: false,
            },
        );
        let mut out = Vec::new();
        let devs = pci_devices(&c, &mut out);
        assert_eq!(devs.len(), DEV_MACHINE_PCI.len() - 1);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].suggests, Suggests::Malformed);
        assert_eq!(out[0].source, p);
        assert_eq!(out[0].raw, "pci:v00001AF4d1045");
    }
}
