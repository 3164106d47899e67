//! Signals → evidence. Every signal is a row in a table (source, pattern, what it suggests, how
//! strongly, what it identifies, where the rule comes from); the functions here only walk the
//! tables over a [`Capture`]. Each item keeps the path or CPUID leaf and the raw value it rests on.

use serde::Serialize;

use crate::capture::{Capture, CpuidRead, FileRead};
use crate::cpuid::{CpuidDump, HypervisorBase};
use crate::dmi::{self, VendorKind};
use crate::plan::{DMI_DIR, PCI_DEVICES, PCI_MODALIAS, SMBIOS_TYPE0};
use crate::smbios::{self, VmBit};

/// What an observation points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

/// How much an observation weighs. Ordered: a stronger item outweighs any number of weaker ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
pub struct Identity {
    /// Hypervisor id (see [`HYPERVISORS`]).
    pub hypervisor: Option<&'static str>,
    /// Virtual platform product (QEMU, VirtualBox, Firecracker, …).
    pub product: Option<&'static str>,
    /// Cloud id (see [`CLOUDS`]).
    pub cloud: Option<&'static str>,
}

impl Identity {
    const NONE: Identity = Identity {
        hypervisor: None,
        product: None,
        cloud: None,
    };
    const fn hv(h: &'static str) -> Identity {
        Identity {
            hypervisor: Some(h),
            product: None,
            cloud: None,
        }
    }
    const fn product(h: Option<&'static str>, p: &'static str) -> Identity {
        Identity {
            hypervisor: h,
            product: Some(p),
            cloud: None,
        }
    }
    const fn cloud(c: &'static str) -> Identity {
        Identity {
            hypervisor: None,
            product: None,
            cloud: Some(c),
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The rule that produced it (stable id).
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

/// A hypervisor vcap can name: id, display name, systemd-detect-virt id.
#[rustfmt::skip]
pub const HYPERVISORS: &[(&str, &str, &str)] = &[
    ("kvm", "KVM", "kvm"),
    ("qemu", "QEMU", "qemu"),
    ("xen", "Xen", "xen"),
    ("hyperv", "Microsoft Hyper-V", "microsoft"),
    ("vmware", "VMware", "vmware"),
    ("virtualbox", "Oracle VirtualBox", "oracle"),
    ("parallels", "Parallels", "parallels"),
    ("bhyve", "bhyve", "bhyve"),
    ("qnx", "QNX Hypervisor", "qnx"),
    ("acrn", "ACRN", "acrn"),
    ("sre", "SRE (Lockheed Martin)", "sre"),
    ("apple", "Apple Virtualization", "apple"),
    ("uml", "User Mode Linux", "uml"),
    ("zvm", "IBM z/VM", "zvm"),
    ("powervm", "IBM PowerVM", "powervm"),
    ("openbsd-vmm", "OpenBSD vmm", "vm-other"),
    ("jailhouse", "Jailhouse", "vm-other"),
    ("nvmm", "NetBSD NVMM", "vm-other"),
    ("haxm", "Intel HAXM", "vm-other"),
    ("other", "an unidentified hypervisor", "vm-other"),
];

/// Clouds vcap can name: id, display name.
#[rustfmt::skip]
pub const CLOUDS: &[(&str, &str)] = &[
    ("aws", "Amazon Web Services (EC2)"),
    ("gcp", "Google Cloud (Compute Engine)"),
    ("azure", "Microsoft Azure"),
    ("oracle-cloud", "Oracle Cloud Infrastructure"),
    ("alibaba", "Alibaba Cloud (ECS)"),
    ("digitalocean", "DigitalOcean"),
];

// ---------------------------------------------------------------- CPUID

/// A hypervisor CPUID signature (leaf 0x40000000 + n·0x100, EBX ECX EDX).
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// The 12 bytes, NUL-padded.
    pub bytes: &'static [u8; 12],
    /// Hypervisor id.
    pub hypervisor: &'static str,
    /// True for an interface that other hypervisors also emulate (Hyper-V's), so a second
    /// signature at a higher base names the real hypervisor.
    pub emulated_by_others: bool,
    /// Where the signature is defined.
    pub source: &'static str,
}

const fn sig(
    bytes: &'static [u8; 12],
    hypervisor: &'static str,
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
    sig(b"KVMKVMKVM\0\0\0", "kvm", false, "Linux arch/x86/include/uapi/asm/kvm_para.h KVM_SIGNATURE"),
    sig(b"Linux KVM Hv", "kvm", false, "Linux arch/x86/kvm/hyperv.c (KVM's Hyper-V emulation); systemd virt.c"),
    sig(b"TCGTCGTCGTCG", "qemu", false, "QEMU target/i386/cpu.c (TCG); systemd virt.c"),
    sig(b"Microsoft Hv", "hyperv", true, "Hyper-V TLFS §2.4; Linux arch/x86/kernel/cpu/mshyperv.c"),
    sig(b"VMwareVMware", "vmware", false, "Linux arch/x86/kernel/cpu/vmware.c CPUID_VMWARE_INFO_LEAF"),
    sig(b"XenVMMXenVMM", "xen", false, "Xen public/arch-x86/cpuid.h XEN_CPUID_SIGNATURE_*"),
    sig(b"bhyve bhyve ", "bhyve", false, "FreeBSD sys/amd64/vmm/x86.c; systemd virt.c"),
    sig(b"QNXQVMBSQG\0\0", "qnx", false, "systemd virt.c"),
    sig(b"ACRNACRNACRN", "acrn", false, "Linux arch/x86/include/asm/acrn.h ACRN_CPUID_SIG"),
    sig(b"SRESRESRESRE", "sre", false, "systemd virt.c"),
    sig(b"Apple VZ\0\0\0\0", "apple", false, "systemd virt.c (PR #31007)"),
    sig(b"LKVMLKVMLKVM", "kvm", false, "virt-what-cpuid-helper.c (kvmtool)"),
    sig(b"OpenBSDVMM58", "openbsd-vmm", false, "OpenBSD sys/arch/amd64/include/vmmvar.h VMM_HV_SIGNATURE"),
    sig(b"Jailhouse\0\0\0", "jailhouse", false, "Linux arch/x86/kernel/jailhouse.c"),
    sig(b"VBoxVBoxVBox", "virtualbox", false, "VirtualBox src/VBox/VMM/VMMR3/GIMMinimal.cpp"),
    sig(b"prl hyperv  ", "parallels", false, "Parallels Desktop; al-khaser vm detection list"),
    sig(b" lrpepyh  vr", "parallels", false, "Parallels Desktop (byte-swapped form); al-khaser vm detection list"),
    sig(b"NVMMNVMMNVMM", "nvmm", false, "NetBSD sys/dev/nvmm/x86/nvmm_x86_svm.c"),
    sig(b"HAXMHAXMHAXM", "haxm", false, "Intel HAXM core/cpuid.c"),
];

const HV_BIT_REF: &str = "Intel SDM Vol. 2A CPUID.01H:ECX[31] (reserved for hypervisor use); Linux X86_FEATURE_HYPERVISOR";
const HYPERV_FLAGS_REF: &str = "Hyper-V TLFS; Linux include/asm-generic/hyperv-tlfs.h HV_CPU_MANAGEMENT BIT(12), HV_ISOLATION BIT(22)";

fn cpuid_evidence(dump: &CpuidDump, out: &mut Vec<Evidence>) {
    if let Some(r) = dump.get(1, 0) {
        let set = r.ecx & (1 << 31) != 0;
        out.push(Evidence {
            rule: "cpuid.hypervisor-bit",
            source: "CPUID 0x00000001 ECX[31]".into(),
            raw: u8::from(set).to_string(),
            finding: if set {
                "the CPU reports a hypervisor".into()
            } else {
                "the CPU reports no hypervisor (a hypervisor can hide this bit)".into()
            },
            suggests: if set {
                Suggests::VirtualMachine
            } else {
                Suggests::BareMetal
            },
            strength: if set {
                Strength::Strong
            } else {
                Strength::Moderate
            },
            identifies: Identity::NONE,
            reference: HV_BIT_REF,
        });
        if r.ecx & (1 << 5) != 0 {
            out.push(can_host(
                "CPUID 0x00000001 ECX[5]",
                "1",
                "VMX (Intel VT-x) is available to this OS",
                "Intel SDM CPUID.01H:ECX.VMX[5]",
            ));
        }
    }
    if let Some(r) = dump.get(0x8000_0001, 0)
        && r.ecx & (1 << 2) != 0
    {
        out.push(can_host(
            "CPUID 0x80000001 ECX[2]",
            "1",
            "SVM (AMD-V) is available to this OS",
            "AMD APM CPUID Fn8000_0001_ECX[SVM]",
        ));
    }
    let bases = dump.hypervisor_bases();
    for b in &bases {
        out.push(signature_evidence(b));
    }
    // Hyper-V partition privileges: leaf base+3 EBX.
    for b in bases
        .iter()
        .filter(|b| b.is_valid() && &b.signature == b"Microsoft Hv")
    {
        let leaf = b.base + 3;
        let Some(r) = (b.max_leaf >= leaf).then(|| dump.get(leaf, 0)).flatten() else {
            continue;
        };
        for &(bit, rule, finding, suggests) in HYPERV_PRIVILEGES {
            if r.ebx & (1 << bit) != 0 {
                out.push(Evidence {
                    rule,
                    source: format!("CPUID 0x{leaf:08x} EBX[{bit}]"),
                    raw: format!("0x{:08x}", r.ebx),
                    finding: finding.into(),
                    suggests,
                    strength: Strength::Strong,
                    identifies: Identity::hv("hyperv"),
                    reference: HYPERV_FLAGS_REF,
                });
            }
        }
    }
}

/// Hyper-V partition privilege bits (CPUID 0x40000003 EBX) that vcap reads:
/// (bit, rule, finding, suggests).
#[rustfmt::skip]
pub const HYPERV_PRIVILEGES: &[(u32, &str, &str, Suggests)] = &[
    (12, "cpuid.hyperv-root-partition", "Hyper-V grants CpuManagement: this is the root partition, which runs on the hardware under the hypervisor", Suggests::HostUnderHypervisor),
    (22, "cpuid.hyperv-isolation", "Hyper-V isolation: a confidential VM, whose firmware tables come from an untrusted host", Suggests::VirtualMachine),
];

fn can_host(source: &str, raw: &str, finding: &str, reference: &'static str) -> Evidence {
    Evidence {
        rule: "host.can-run-vms",
        source: source.into(),
        raw: raw.into(),
        finding: finding.into(),
        suggests: Suggests::CanHostVms,
        strength: Strength::None,
        identifies: Identity::NONE,
        reference,
    }
}

/// The known signature matching a base leaf, if any.
pub fn known_signature(b: &HypervisorBase) -> Option<&'static Signature> {
    SIGNATURES.iter().find(|s| s.bytes == &b.signature)
}

fn signature_evidence(b: &HypervisorBase) -> Evidence {
    let source = format!("CPUID 0x{:08x} EAX,EBX,ECX,EDX", b.base);
    let raw = format!(
        "max_leaf=0x{:08x} signature=\"{}\"",
        b.max_leaf,
        b.signature_text()
    );
    let known = known_signature(b);
    let (finding, suggests, strength, identifies, reference) = match (b.is_valid(), known) {
        (true, Some(s)) => (
            format!("hypervisor signature of {}", hv_name(s.hypervisor)),
            Suggests::VirtualMachine,
            Strength::Strong,
            Identity::hv(s.hypervisor),
            s.source,
        ),
        (true, None) => (
            "a valid but unknown hypervisor signature".into(),
            Suggests::VirtualMachine,
            Strength::Moderate,
            Identity::hv("other"),
            "Linux hypervisor_cpuid_base(): printable signature, max leaf within the range",
        ),
        (false, Some(s)) => (
            format!(
                "the {} signature with a max leaf outside 0x{:08x}..=0x{:08x}: not counted",
                hv_name(s.hypervisor),
                b.base,
                b.base + 0xff
            ),
            Suggests::Neutral,
            Strength::None,
            Identity::NONE,
            "Linux hypervisor_cpuid_base(); issue 2: a max leaf out of range is not a hypervisor",
        ),
        (false, None) => (
            "no hypervisor signature (bare-metal CPUs return unrelated data here)".into(),
            Suggests::Neutral,
            Strength::None,
            Identity::NONE,
            "Intel SDM: leaves above the maximum return the highest basic leaf's data; AMD returns zeros",
        ),
    };
    Evidence {
        rule: "cpuid.hypervisor-signature",
        source,
        raw,
        finding,
        suggests,
        strength,
        identifies,
        reference,
    }
}

/// Display name of a hypervisor id.
pub fn hv_name(id: &str) -> &'static str {
    HYPERVISORS
        .iter()
        .find(|h| h.0 == id)
        .map_or("an unidentified hypervisor", |h| h.1)
}

// ---------------------------------------------------------------- DMI

/// How a DMI rule matches a field (always case-insensitive, on the trimmed value).
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// The value starts with this text.
    Prefix(&'static str),
    /// The value equals this text.
    Equals(&'static str),
    /// The value contains this text.
    Contains(&'static str),
}

impl Match {
    /// Whether the trimmed value matches, ignoring ASCII case.
    fn hit(&self, value: &str) -> bool {
        let v = value.trim().as_bytes();
        match *self {
            Match::Prefix(p) => v
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes())),
            Match::Equals(p) => v.eq_ignore_ascii_case(p.as_bytes()),
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
}

/// One DMI rule: when any of `fields` matches (and the `and` field matches, if given).
#[derive(Debug, Clone, Copy)]
pub struct DmiRule {
    /// Stable rule id.
    pub id: &'static str,
    /// DMI fields (file names under `/sys/class/dmi/id`) tried in order; the first match counts.
    pub fields: &'static [&'static str],
    /// The pattern.
    pub pattern: Match,
    /// A second condition on another field.
    pub and: Option<(&'static str, Match)>,
    /// What a match means.
    pub finding: &'static str,
    /// What it suggests.
    pub suggests: Suggests,
    /// How strongly.
    pub strength: Strength,
    /// What it identifies.
    pub identifies: Identity,
    /// Where the rule comes from.
    pub reference: &'static str,
}

const VENDOR_FIELDS: &[&str] = &["sys_vendor", "board_vendor", "bios_vendor", "product_name"];
const VM: Suggests = Suggests::VirtualMachine;
const METAL: Suggests = Suggests::BareMetal;
const NEUTRAL: Suggests = Suggests::Neutral;
use Strength::{Moderate, Strong, Weak};

/// The DMI rules. Virtual-platform strings are strong: firmware of real machines does not claim to
/// be QEMU. Vendor names shared by VMs and bare metal identify a cloud and decide nothing.
#[rustfmt::skip]
pub const DMI_RULES: &[DmiRule] = &[
    DmiRule { id: "dmi.kvm", fields: &["product_name"], pattern: Match::Prefix("KVM"), and: None, finding: "the product name of a KVM virtual machine", suggests: VM, strength: Strong, identifies: Identity::hv("kvm"), reference: "systemd virt.c dmi_vendor_table \"KVM\"", },
    DmiRule { id: "dmi.qemu", fields: VENDOR_FIELDS, pattern: Match::Prefix("QEMU"), and: None, finding: "QEMU's SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::product(Some("qemu"), "QEMU"), reference: "systemd virt.c \"QEMU\"; QEMU hw/smbios/smbios.c", },
    DmiRule { id: "dmi.qemu-machine", fields: &["product_name"], pattern: Match::Prefix("Standard PC ("), and: None, finding: "a QEMU machine type's product name", suggests: VM, strength: Strong, identifies: Identity::product(Some("qemu"), "QEMU"), reference: "QEMU hw/i386/pc_q35.c, pc_piix.c (\"Standard PC (Q35 + ICH9, 2009)\")", },
    DmiRule { id: "dmi.qemu-machine-version", fields: &["product_version"], pattern: Match::Prefix("pc-"), and: Some(("product_version", Match::Contains("-"))), finding: "a QEMU machine type version (pc-q35-*, pc-i440fx-*)", suggests: VM, strength: Strong, identifies: Identity::product(Some("qemu"), "QEMU"), reference: "QEMU hw/smbios/smbios.c type 1 version defaults to the machine type (guestlab.md §3.2)", },
    DmiRule { id: "dmi.virtualbox", fields: &["sys_vendor", "bios_vendor", "product_name", "board_name"], pattern: Match::Prefix("innotek GmbH"), and: None, finding: "VirtualBox's SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::product(Some("virtualbox"), "VirtualBox"), reference: "systemd virt.c \"innotek GmbH\"", },
    DmiRule { id: "dmi.virtualbox-name", fields: &["product_name", "board_name", "bios_version"], pattern: Match::Prefix("VirtualBox"), and: None, finding: "VirtualBox's product name", suggests: VM, strength: Strong, identifies: Identity::product(Some("virtualbox"), "VirtualBox"), reference: "systemd virt.c \"VirtualBox\" (PR #21127)", },
    DmiRule { id: "dmi.vmware", fields: VENDOR_FIELDS, pattern: Match::Prefix("VMware"), and: None, finding: "VMware's SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::product(Some("vmware"), "VMware"), reference: "systemd virt.c \"VMware\"", },
    DmiRule { id: "dmi.vmware-vmw", fields: &["product_name", "sys_vendor"], pattern: Match::Prefix("VMW"), and: None, finding: "VMware's product name", suggests: VM, strength: Strong, identifies: Identity::product(Some("vmware"), "VMware"), reference: "systemd virt.c \"VMW\"", },
    DmiRule { id: "dmi.xen", fields: &["sys_vendor", "product_name", "bios_vendor"], pattern: Match::Prefix("Xen"), and: None, finding: "Xen HVM's SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::hv("xen"), reference: "systemd virt.c \"Xen\"", },
    DmiRule { id: "dmi.xen-hvm", fields: &["product_name"], pattern: Match::Equals("HVM domU"), and: None, finding: "a Xen HVM guest's product name", suggests: VM, strength: Strong, identifies: Identity::hv("xen"), reference: "Xen tools/firmware/hvmloader/smbios.c", },
    DmiRule { id: "dmi.bochs", fields: VENDOR_FIELDS, pattern: Match::Prefix("Bochs"), and: None, finding: "Bochs's SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::product(None, "Bochs"), reference: "systemd virt.c \"Bochs\"", },
    DmiRule { id: "dmi.parallels", fields: VENDOR_FIELDS, pattern: Match::Prefix("Parallels"), and: None, finding: "Parallels' SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::product(Some("parallels"), "Parallels"), reference: "systemd virt.c \"Parallels\"", },
    DmiRule { id: "dmi.bhyve", fields: VENDOR_FIELDS, pattern: Match::Prefix("BHYVE"), and: None, finding: "bhyve's SMBIOS tables", suggests: VM, strength: Strong, identifies: Identity::hv("bhyve"), reference: "systemd virt.c \"BHYVE\"", },
    DmiRule { id: "dmi.hyperv-version", fields: &["product_version"], pattern: Match::Prefix("Hyper-V"), and: None, finding: "a Hyper-V VM's product version", suggests: VM, strength: Strong, identifies: Identity::hv("hyperv"), reference: "systemd PR #21475", },
    DmiRule { id: "dmi.hyperv-vm", fields: &["product_name"], pattern: Match::Equals("Virtual Machine"), and: Some(("sys_vendor", Match::Prefix("Microsoft"))), finding: "Microsoft's \"Virtual Machine\" product (Hyper-V, also WS2012R2 with product_version 7.0)", suggests: VM, strength: Strong, identifies: Identity::hv("hyperv"), reference: "systemd issue #21816; virt-what (VirtualPC/Hyper-V)", },
    DmiRule { id: "dmi.apple-vz", fields: &["product_name"], pattern: Match::Prefix("Apple Virtualization"), and: None, finding: "Apple Virtualization.framework's product name", suggests: VM, strength: Strong, identifies: Identity::hv("apple"), reference: "systemd PR #24419", },
    DmiRule { id: "dmi.openstack", fields: VENDOR_FIELDS, pattern: Match::Prefix("OpenStack"), and: None, finding: "an OpenStack Nova instance", suggests: VM, strength: Strong, identifies: Identity::product(Some("kvm"), "OpenStack"), reference: "systemd virt.c \"OpenStack\" (issue #23116)", },
    DmiRule { id: "dmi.kubevirt", fields: VENDOR_FIELDS, pattern: Match::Prefix("KubeVirt"), and: None, finding: "a KubeVirt VM", suggests: VM, strength: Strong, identifies: Identity::product(Some("kvm"), "KubeVirt"), reference: "systemd virt.c \"KubeVirt\"", },
    DmiRule { id: "dmi.digitalocean", fields: &["sys_vendor"], pattern: Match::Prefix("DigitalOcean"), and: None, finding: "a DigitalOcean droplet (always a KVM VM)", suggests: VM, strength: Strong, identifies: Identity { hypervisor: Some("kvm"), product: None, cloud: Some("digitalocean"), }, reference: "DigitalOcean droplet DMI (sys_vendor \"DigitalOcean\", product \"Droplet\")", },
    DmiRule { id: "dmi.ec2", fields: &["sys_vendor", "bios_vendor", "board_vendor"], pattern: Match::Prefix("Amazon EC2"), and: None, finding: "Amazon EC2 (used by EC2 VMs and EC2 bare metal alike)", suggests: NEUTRAL, strength: Strength::None, identifies: Identity::cloud("aws"), reference: "systemd virt.c detect_vm_dmi() Amazon EC2 special case", },
    DmiRule { id: "dmi.ec2-xen", fields: &["bios_version"], pattern: Match::Contains(".amazon"), and: None, finding: "an EC2 Xen-era BIOS version", suggests: NEUTRAL, strength: Strength::None, identifies: Identity::cloud("aws"), reference: "virt-what (\"Version: 4.2.amazon\" → aws)", },
    DmiRule { id: "dmi.gce", fields: &["product_name", "sys_vendor", "bios_vendor"], pattern: Match::Prefix("Google"), and: None, finding: "Google Compute Engine (used by GCE VMs and GCE bare metal alike)", suggests: NEUTRAL, strength: Strength::None, identifies: Identity::cloud("gcp"), reference: "systemd virt.c \"Google Compute Engine\"; PR #38125 (bare metal)", },
    DmiRule { id: "dmi.azure", fields: &["chassis_asset_tag"], pattern: Match::Equals("7783-7084-3265-9085-8269-3286-77"), and: None, finding: "Azure's chassis asset tag", suggests: NEUTRAL, strength: Strength::None, identifies: Identity::cloud("azure"), reference: "cloud-init cloudinit/sources/DataSourceAzure.py AZURE_CHASSIS_ASSET_TAG", },
    DmiRule { id: "dmi.oracle-cloud", fields: &["chassis_asset_tag"], pattern: Match::Equals("OracleCloud.com"), and: None, finding: "Oracle Cloud's chassis asset tag", suggests: NEUTRAL, strength: Strength::None, identifies: Identity::cloud("oracle-cloud"), reference: "cloud-init cloudinit/sources/DataSourceOracle.py CHASSIS_ASSET_TAG", },
    DmiRule { id: "dmi.alibaba", fields: &["sys_vendor", "product_name"], pattern: Match::Prefix("Alibaba Cloud"), and: None, finding: "Alibaba Cloud ECS (VMs and bare metal alike)", suggests: NEUTRAL, strength: Strength::None, identifies: Identity::cloud("alibaba"), reference: "cloud-init DataSourceAliYun.py (\"Alibaba Cloud ECS\")", },
    DmiRule { id: "dmi.surface", fields: &["product_name"], pattern: Match::Prefix("Surface"), and: Some(("sys_vendor", Match::Prefix("Microsoft"))), finding: "a Microsoft Surface device (hardware sold under Hyper-V's vendor name)", suggests: METAL, strength: Weak, identifies: Identity::NONE, reference: "systemd issue #21468", },
    DmiRule { id: "dmi.oracle-server", fields: &["product_name"], pattern: Match::Contains("SERVER"), and: Some(("sys_vendor", Match::Prefix("Oracle Corporation"))), finding: "an Oracle/Sun server model (hardware sold under VirtualBox's board vendor name)", suggests: METAL, strength: Weak, identifies: Identity::NONE, reference: "systemd issue #21100 (ORACLE SERVER X3-2L)", },
];

fn dmi_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    // Each field is decoded once; the rules try several fields each.
    let texts: Vec<(&str, Option<String>)> = crate::plan::DMI_FIELDS
        .iter()
        .map(|&f| (f, c.text(&format!("{DMI_DIR}/{f}"))))
        .collect();
    let field = |name: &str| match texts.iter().find(|(f, _)| *f == name) {
        Some((_, t)) => t.clone(),
        None => c.text(&format!("{DMI_DIR}/{name}")),
    };
    for rule in DMI_RULES {
        let hit = rule.fields.iter().find_map(|&f| {
            let v = field(f)?;
            rule.pattern.hit(&v).then_some((f, v))
        });
        let Some((f, v)) = hit else { continue };
        if let Some((g, m)) = rule.and
            && !field(g).is_some_and(|w| m.hit(&w))
        {
            continue;
        }
        out.push(Evidence {
            rule: rule.id,
            source: format!("{DMI_DIR}/{f}"),
            raw: v,
            finding: rule.finding.into(),
            suggests: rule.suggests,
            strength: rule.strength,
            identifies: rule.identifies,
            reference: rule.reference,
        });
    }
    // The system vendor, normalised. Hardware vendors are weak evidence of bare metal (a VM can
    // be given the host's strings); shared vendors decide nothing.
    let already = out
        .iter()
        .any(|e| e.source == format!("{DMI_DIR}/sys_vendor"));
    if let Some(v) = field("sys_vendor").filter(|v| !already && !dmi::is_placeholder(v)) {
        let (finding, suggests, strength, reference) = match dmi::vendor(&v) {
            Some(row) if row.kind == VendorKind::Hardware => (
                format!("system vendor {} makes physical machines only", row.name),
                METAL,
                Weak,
                row.source,
            ),
            Some(row) if row.kind == VendorKind::Shared => (
                format!(
                    "system vendor {} sells bare metal and VMs under one name: decides nothing",
                    row.name
                ),
                NEUTRAL,
                Strength::None,
                row.source,
            ),
            Some(row) => (
                format!("system vendor {} is a virtual platform", row.name),
                NEUTRAL,
                Strength::None,
                row.source,
            ),
            None => (
                "system vendor not in vcap's vendor table".to_string(),
                NEUTRAL,
                Strength::None,
                "vcap dmi::VENDORS",
            ),
        };
        out.push(Evidence {
            rule: "dmi.vendor",
            source: format!("{DMI_DIR}/sys_vendor"),
            raw: v,
            finding,
            suggests,
            strength,
            identifies: Identity::NONE,
            reference,
        });
    }
    ec2_instance_type(c, out);
}

/// EC2 names its bare-metal instance types `*.metal` or `*.metal-<size>` (m5.metal, m7i.metal-48xl);
/// every other type is a VM. systemd detect_vm_dmi(), PRs #20628 and #27267.
fn ec2_instance_type(c: &Capture, out: &mut Vec<Evidence>) {
    let is_ec2 = ["sys_vendor", "bios_vendor"].iter().any(|f| {
        c.text(&format!("{DMI_DIR}/{f}"))
            .is_some_and(|v| Match::Prefix("Amazon EC2").hit(&v))
    });
    let path = format!("{DMI_DIR}/product_name");
    let Some(name) = c.text(&path).filter(|n| is_ec2 && !dmi::is_placeholder(n)) else {
        return;
    };
    let metal = name
        .find(".metal")
        .is_some_and(|i| matches!(name.as_bytes().get(i + 6), None | Some(b'-')));
    out.push(Evidence {
        rule: "dmi.ec2-instance-type",
        source: path,
        raw: name,
        finding: if metal {
            "an EC2 bare-metal instance type (*.metal, *.metal-<size>)".into()
        } else {
            "an EC2 virtualised instance type (not *.metal)".into()
        },
        suggests: if metal { METAL } else { VM },
        strength: Moderate,
        // Instances whose DMI says "Amazon EC2" are Nitro instances (the Xen era says "Xen"),
        // and Nitro's hypervisor is based on KVM.
        identifies: if metal {
            Identity::cloud("aws")
        } else {
            Identity { hypervisor: Some("kvm"), product: None, cloud: Some("aws") }
        },
        reference: "systemd detect_vm_dmi() PRs #20628, #27267; systemd virt.c \"Amazon EC2 Nitro using Linux KVM\"",
    });
}

/// Platforms whose VMs are known to set the SMBIOS VM bit, so a clear bit means bare metal there:
/// (DMI field, pattern, who, source). EC2's Xen-era instances (sys_vendor "Xen") do not set it.
pub const VM_BIT_SETTERS: &[(&str, Match, &str, &str)] = &[(
    "sys_vendor",
    Match::Prefix("Amazon EC2"),
    "EC2 Nitro",
    "systemd PR #19403: EC2 Nitro sets the SMBIOS VM bit on every VM",
)];

fn smbios_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    let FileRead::Data { bytes, .. } = c.file(SMBIOS_TYPE0) else {
        return;
    };
    const REF: &str = "DMTF DSP0134 §7.1.2.2 BIOS characteristics extension byte 2 bit 4; systemd detect_vm_smbios()";
    let source = format!("{SMBIOS_TYPE0} @0x13 bit 4");
    match smbios::parse_type0(bytes) {
        Err(e) => out.push(malformed(
            "smbios.vm-bit",
            SMBIOS_TYPE0.into(),
            hex_prefix(bytes),
            e.to_string(),
        )),
        Ok(t) => {
            let raw = t
                .ext_byte2
                .map_or("absent".into(), |b| format!("0x{b:02x}"));
            let setter = VM_BIT_SETTERS
                .iter()
                .find(|(f, m, _, _)| c.text(&format!("{DMI_DIR}/{f}")).is_some_and(|v| m.hit(&v)));
            let (finding, suggests, strength, reference) = match (t.vm_bit, setter) {
                (VmBit::Set, _) => ("the firmware says this system is a virtual machine".to_string(), VM, Strong, REF),
                (VmBit::Clear, Some(s)) => (
                    format!("the VM bit is clear, and {} sets it on every VM", s.2),
                    METAL,
                    Moderate,
                    s.3,
                ),
                (VmBit::Clear, None) => (
                    "the VM bit is clear; many hypervisors (QEMU with SeaBIOS, GCE) leave it clear, so this decides nothing".to_string(),
                    NEUTRAL,
                    Strength::None,
                    REF,
                ),
                (VmBit::NotPresent, _) => (
                    format!("the structure (length 0x{:02x}) predates extension byte 2", t.length),
                    NEUTRAL,
                    Strength::None,
                    REF,
                ),
            };
            out.push(Evidence {
                rule: "smbios.vm-bit",
                source,
                raw,
                finding,
                suggests,
                strength,
                identifies: Identity::NONE,
                reference,
            });
        }
    }
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
        reference: "vcap: malformed input counts for nothing",
    }
}

// ---------------------------------------------------------------- Xen, device tree, procfs

const XEN_DOM0_BIT: u32 = 11;

fn xen_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    let p = "/sys/hypervisor/type";
    if let Some(t) = c.text(p) {
        let xen = t == "xen";
        out.push(Evidence {
            rule: "xen.sys-hypervisor-type",
            source: p.into(),
            raw: t,
            finding: "the kernel runs under a hypervisor that publishes /sys/hypervisor".into(),
            suggests: VM,
            strength: if xen { Strong } else { Moderate },
            identifies: Identity::hv(if xen { "xen" } else { "other" }),
            reference: "Linux drivers/xen/sys-hypervisor.c; systemd detect_vm_hypervisor()",
        });
    }
    let p = "/sys/hypervisor/properties/features";
    if let Some(t) = c.text(p) {
        match u64::from_str_radix(t.trim_start_matches("0x"), 16) {
            Ok(bits) if bits & (1 << XEN_DOM0_BIT) != 0 => out.push(Evidence {
                rule: "xen.dom0-feature",
                source: format!("{p} bit {XEN_DOM0_BIT}"),
                raw: t,
                finding: "XENFEAT_dom0: this is Xen's control domain, which drives the hardware"
                    .into(),
                suggests: Suggests::HostUnderHypervisor,
                strength: Strong,
                identifies: Identity::hv("xen"),
                reference: "Xen public/features.h XENFEAT_dom0 (11); systemd detect_vm_xen_dom0()",
            }),
            Ok(_) => {}
            Err(_) => out.push(malformed(
                "xen.dom0-feature",
                p.into(),
                t,
                "not a hex number".into(),
            )),
        }
    }
    let p = "/proc/xen/capabilities";
    match c.text(p) {
        Some(t) if t.split(',').any(|w| w.trim() == "control_d") => out.push(Evidence {
            rule: "xen.control-domain",
            source: p.into(),
            raw: t,
            finding: "control_d: this is Xen's control domain (dom0)".into(),
            suggests: Suggests::HostUnderHypervisor,
            strength: Strong,
            identifies: Identity::hv("xen"),
            reference: "Linux drivers/xen/xenfs/xenstored.c; systemd detect_vm_xen_dom0()",
        }),
        _ if c.exists("/proc/xen") => out.push(Evidence {
            rule: "xen.xenfs",
            source: "/proc/xen".into(),
            raw: "present".into(),
            finding: "xenfs is mounted: this kernel runs on Xen".into(),
            suggests: VM,
            strength: Moderate,
            identifies: Identity::hv("xen"),
            reference: "systemd detect_vm_xen()",
        }),
        _ => {}
    }
}

/// Device-tree and procfs rules: (rule, source path, pattern, finding, strength, identity, reference).
type TextRule = (
    &'static str,
    &'static str,
    Match,
    &'static str,
    Strength,
    Identity,
    &'static str,
);

/// Text rules over single files (device tree strings are NUL-separated; each string is tried).
#[rustfmt::skip]
pub const TEXT_RULES: &[TextRule] = &[
    ("dt.hypervisor-kvm", "/proc/device-tree/hypervisor/compatible", Match::Equals("linux,kvm"), "the device tree's hypervisor node is KVM", Strong, Identity::hv("kvm"), "systemd detect_vm_device_tree()"),
    ("dt.hypervisor-xen", "/proc/device-tree/hypervisor/compatible", Match::Contains("xen"), "the device tree's hypervisor node is Xen", Strong, Identity::hv("xen"), "systemd detect_vm_device_tree(); Linux Documentation/devicetree/bindings/arm/xen.txt"),
    ("dt.hypervisor-vmware", "/proc/device-tree/hypervisor/compatible", Match::Contains("vmware"), "the device tree's hypervisor node is VMware", Strong, Identity::hv("vmware"), "systemd detect_vm_device_tree()"),
    ("dt.qemu-pseries", "/proc/device-tree/compatible", Match::Equals("qemu,pseries"), "QEMU's pseries machine", Strong, Identity::product(Some("qemu"), "QEMU"), "systemd detect_vm_device_tree()"),
    ("dt.qemu-virt", "/proc/device-tree/compatible", Match::Equals("linux,dummy-virt"), "QEMU's Arm virt machine", Strong, Identity::product(Some("qemu"), "QEMU"), "QEMU hw/arm/virt.c compatible \"linux,dummy-virt\""),
    ("dt.riscv-virtio", "/proc/device-tree/compatible", Match::Equals("riscv-virtio"), "QEMU's RISC-V virt machine", Strong, Identity::product(Some("qemu"), "QEMU"), "QEMU hw/riscv/virt.c compatible \"riscv-virtio\""),
    ("cpuinfo.uml", "/proc/cpuinfo", Match::Contains("User Mode Linux"), "User Mode Linux (it passes the host's CPUID through)", Strong, Identity::hv("uml"), "systemd detect_vm_uml() (issue #17754)"),
    ("cpuinfo.qemu-cpu", "/proc/cpuinfo", Match::Contains("QEMU Virtual CPU"), "QEMU's qemu32/qemu64 CPU model", Strong, Identity::product(Some("qemu"), "QEMU"), "QEMU target/i386/cpu.c model_id \"QEMU Virtual CPU version\""),
    ("cpuinfo.kvm-cpu", "/proc/cpuinfo", Match::Contains("Common KVM processor"), "QEMU's kvm64 CPU model", Strong, Identity::hv("kvm"), "QEMU target/i386/cpu.c model_id \"Common KVM processor\""),
    ("cpuinfo.qemu-pseries", "/proc/cpuinfo", Match::Contains("emulated by qemu"), "a PowerPC machine emulated by QEMU", Strong, Identity::product(Some("qemu"), "QEMU"), "Linux arch/powerpc/platforms/pseries/setup.c; virt-what"),
    ("sysinfo.zvm", "/proc/sysinfo", Match::Contains("z/VM"), "z/VM is the control program", Strong, Identity::hv("zvm"), "systemd detect_vm_zvm() (VM00 Control Program)"),
    ("sysinfo.kvm", "/proc/sysinfo", Match::Contains("KVM/Linux"), "KVM is the control program", Strong, Identity::hv("kvm"), "systemd detect_vm_zvm(); Linux arch/s390/kernel/sysinfo.c"),
];

fn text_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    // Each file is decoded and cut into the values its rules match once, however many rules
    // read it (the rules of one file are adjacent).
    for rules in TEXT_RULES.chunk_by(|a, b| a.1 == b.1) {
        let path = rules[0].1;
        let Some(bytes) = c.file(path).bytes() else {
            continue;
        };
        let text = String::from_utf8_lossy(bytes);
        let values = text_values(path, &text);
        for &(rule, _, pattern, finding, strength, identifies, reference) in rules {
            if let Some(raw) = values.iter().find(|v| pattern.hit(v)) {
                out.push(Evidence {
                    rule,
                    source: path.into(),
                    raw: raw.trim().to_string(),
                    finding: finding.into(),
                    suggests: VM,
                    strength,
                    identifies,
                    reference,
                });
            }
        }
    }
    // A device-tree hypervisor node that none of the rules named.
    if let Some(t) = c.text("/proc/device-tree/hypervisor/compatible")
        && !out.iter().any(|e| e.rule.starts_with("dt.hypervisor-"))
    {
        out.push(Evidence {
            rule: "dt.hypervisor-other",
            source: "/proc/device-tree/hypervisor/compatible".into(),
            raw: t.replace('\0', " "),
            finding: "the device tree has a hypervisor node".into(),
            suggests: VM,
            strength: Moderate,
            identifies: Identity::hv("other"),
            reference: "systemd detect_vm_device_tree()",
        });
    }
    // PowerVM: a partition name and HMC management, and not QEMU's device tree.
    if c.exists("/proc/device-tree/ibm,partition-name")
        && c.exists("/proc/device-tree/hmc-managed?")
        && !c.exists("/proc/device-tree/chosen/qemu,graphic-width")
    {
        out.push(Evidence {
            rule: "dt.powervm",
            source: "/proc/device-tree/ibm,partition-name".into(),
            raw: "present, with hmc-managed?".into(),
            finding: "an HMC-managed logical partition".into(),
            suggests: VM,
            strength: Strong,
            identifies: Identity::hv("powervm"),
            reference: "systemd detect_vm_device_tree()",
        });
    }
    if let Some(e) = c
        .listing("/proc/device-tree")
        .entries()
        .iter()
        .find(|e| e.name.contains("fw-cfg"))
    {
        out.push(Evidence {
            rule: "dt.fw-cfg",
            source: format!("/proc/device-tree/{}", e.name),
            raw: "present".into(),
            finding: "QEMU's fw_cfg device in the device tree".into(),
            suggests: VM,
            strength: Strong,
            identifies: Identity::product(Some("qemu"), "QEMU"),
            reference: "systemd detect_vm_device_tree()",
        });
    }
    // Without CPUID (another architecture, or a snapshot without cpuid.txt), /proc/cpuinfo's
    // flags still carry the hypervisor bit and VMX/SVM on x86.
    if matches!(c.cpuid, CpuidRead::NotObserved)
        && let Some(flags) = c.file("/proc/cpuinfo").bytes().and_then(|b| {
            let t = String::from_utf8_lossy(b);
            first_cpu_lines(&t)
                .find(|l| l.starts_with("flags"))
                .map(|l| l.split_once(':').map_or("", |x| x.1).to_string())
        })
    {
        let has = |f: &str| flags.split_whitespace().any(|x| x == f);
        if has("hypervisor") {
            out.push(Evidence {
                rule: "cpuinfo.hypervisor-flag",
                source: "/proc/cpuinfo flags".into(),
                raw: "hypervisor".into(),
                finding: "the kernel saw CPUID.1:ECX[31] set".into(),
                suggests: VM,
                strength: Strong,
                identifies: Identity::NONE,
                reference: HV_BIT_REF,
            });
        }
        for (f, what) in [("vmx", "VMX (Intel VT-x)"), ("svm", "SVM (AMD-V)")] {
            if has(f) {
                out.push(can_host(
                    "/proc/cpuinfo flags",
                    f,
                    &format!("{what} is available to this OS"),
                    "Linux arch/x86/include/asm/cpufeatures.h",
                ));
            }
        }
    }
    for (path, rule, finding, identifies, reference) in [(
        "/sys/firmware/qemu_fw_cfg",
        "fw-cfg.sysfs",
        "QEMU's fw_cfg interface",
        Identity::product(Some("qemu"), "QEMU"),
        "Linux drivers/firmware/qemu_fw_cfg.c",
    )] {
        if c.exists(path) {
            out.push(Evidence {
                rule,
                source: path.into(),
                raw: "present".into(),
                finding: finding.into(),
                suggests: VM,
                strength: Strong,
                identifies,
                reference,
            });
        }
    }
    if c.exists("/dev/kvm") {
        out.push(can_host(
            "/dev/kvm",
            "present",
            "this kernel offers KVM",
            "Linux virt/kvm/kvm_main.c",
        ));
    }
}

/// The values of a text file that its rules match: the strings of a device-tree property, the
/// control-program lines of /proc/sysinfo, the lines [`cpuinfo_lines`] keeps of /proc/cpuinfo.
fn text_values<'t>(path: &str, text: &'t str) -> Vec<&'t str> {
    if path.starts_with("/proc/device-tree") {
        text.split('\0').collect()
    } else if path == "/proc/sysinfo" {
        text.lines()
            .filter(|l| l.starts_with("VM00 Control Program"))
            .collect()
    } else {
        cpuinfo_lines(text).collect()
    }
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

/// One PCI ID rule: vendor, optional device, whether it is matched on the subsystem IDs instead.
#[derive(Debug, Clone, Copy)]
pub struct PciRule {
    /// Stable rule id.
    pub id: &'static str,
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID, or any.
    pub device: Option<u16>,
    /// Match subsystem_vendor/subsystem_device instead of vendor/device.
    pub subsystem: bool,
    /// What it is.
    pub finding: &'static str,
    /// What it suggests.
    pub suggests: Suggests,
    /// How strongly.
    pub strength: Strength,
    /// What it identifies.
    pub identifies: Identity,
    /// Source: the pci.ids entry or the emulator's source.
    pub reference: &'static str,
}

#[allow(clippy::too_many_arguments)] // a table-row constructor: one argument per column
const fn pci(
    id: &'static str,
    vendor: u16,
    device: Option<u16>,
    subsystem: bool,
    finding: &'static str,
    suggests: Suggests,
    strength: Strength,
    identifies: Identity,
    reference: &'static str,
) -> PciRule {
    PciRule {
        id,
        vendor,
        device,
        subsystem,
        finding,
        suggests,
        strength,
        identifies,
        reference,
    }
}

/// PCI IDs of virtual hardware (and of cloud hardware that VMs and bare metal share).
#[rustfmt::skip]
pub const PCI_RULES: &[PciRule] = &[
    pci("pci.qemu-subsystem", 0x1af4, Some(0x1100), true, "QEMU's default subsystem ID on emulated devices", VM, Strong, Identity::product(Some("qemu"), "QEMU"), "QEMU include/hw/pci/pci.h PCI_SUBVENDOR_ID_REDHAT_QUMRANET, PCI_SUBDEVICE_ID_QEMU"),
    pci("pci.virtio", 0x1af4, None, false, "virtio devices (also emulated in hardware by some DPUs)", VM, Moderate, Identity::NONE, "pci.ids 1af4 Red Hat, Inc.; virtio 1.2 §4.1.2"),
    pci("pci.qemu-device", 0x1b36, None, false, "QEMU's own emulated devices (PCIe bridges, pvpanic, xHCI…)", VM, Strong, Identity::product(Some("qemu"), "QEMU"), "pci.ids 1b36 Red Hat, Inc. (QEMU); QEMU docs/specs/pci-ids.rst"),
    pci("pci.bochs-vga", 0x1234, Some(0x1111), false, "the Bochs/QEMU standard VGA", VM, Strong, Identity::product(Some("qemu"), "QEMU"), "QEMU docs/specs/standard-vga.rst"),
    pci("pci.i440fx", 0x8086, Some(0x1237), false, "the i440FX host bridge, emulated by QEMU's pc machine and EC2 Nitro (no longer in real hardware)", VM, Moderate, Identity::NONE, "QEMU hw/pci-host/i440fx.c"),
    pci("pci.vmware", 0x15ad, None, false, "VMware virtual hardware", VM, Strong, Identity::product(Some("vmware"), "VMware"), "pci.ids 15ad VMware"),
    pci("pci.xen-platform", 0x5853, None, false, "the Xen platform device", VM, Strong, Identity::hv("xen"), "pci.ids 5853 XenSource, Inc.; Linux drivers/xen/platform-pci.c"),
    pci("pci.virtualbox", 0x80ee, None, false, "VirtualBox virtual hardware", VM, Strong, Identity::product(Some("virtualbox"), "VirtualBox"), "pci.ids 80ee InnoTek Systemberatung GmbH"),
    pci("pci.hyperv", 0x1414, Some(0x5353), false, "the Hyper-V synthetic video device", VM, Strong, Identity::hv("hyperv"), "pci.ids 1414:5353 Hyper-V virtual VGA"),
    pci("pci.parallels", 0x1ab8, None, false, "Parallels virtual hardware", VM, Strong, Identity::product(Some("parallels"), "Parallels"), "pci.ids 1ab8 Parallels, Inc."),
    pci("pci.amazon", 0x1d0f, None, false, "Amazon hardware (ENA, EBS NVMe): on EC2 VMs and bare metal alike", NEUTRAL, Strength::None, Identity::cloud("aws"), "pci.ids 1d0f Amazon.com, Inc."),
    pci("pci.google", 0x1ae0, None, false, "Google hardware (gVNIC, NVMe): on GCE VMs and bare metal alike", NEUTRAL, Strength::None, Identity::cloud("gcp"), "pci.ids 1ae0 Google, Inc."),
];

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
    u16::from_str_radix(s.trim().strip_prefix("0x")?, 16).ok()
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
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *slot = u32::from_str_radix(digits, 16).ok()?;
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

fn pci_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    let devs = pci_devices(c, out);
    for rule in PCI_RULES {
        let hits: Vec<&PciFunction> = devs
            .iter()
            .filter(|f| {
                let d = f.ids;
                let (v, dv) = if rule.subsystem {
                    (d.subsystem_vendor, d.subsystem_device)
                } else {
                    (Some(d.vendor), Some(d.device))
                };
                v == Some(rule.vendor) && rule.device.is_none_or(|want| dv == Some(want))
            })
            .collect();
        if hits.is_empty() {
            continue;
        }
        let shown: Vec<String> = hits
            .iter()
            .take(6)
            .map(|f| format!("{} {:04x}:{:04x}", f.addr, f.ids.vendor, f.ids.device))
            .collect();
        let more = if hits.len() > 6 {
            format!(" (+{} more)", hits.len() - 6)
        } else {
            String::new()
        };
        let files = if rule.subsystem {
            "subsystem_{vendor,device}"
        } else {
            "{vendor,device}"
        };
        let source = match (
            hits.iter().any(|f| !f.from_modalias),
            hits.iter().any(|f| f.from_modalias),
        ) {
            (true, true) => format!("{PCI_DEVICES}/*/{files}, {PCI_DEVICES}/*/{PCI_MODALIAS}"),
            (false, true) => format!("{PCI_DEVICES}/*/{PCI_MODALIAS}"),
            _ => format!("{PCI_DEVICES}/*/{files}"),
        };
        out.push(Evidence {
            rule: rule.id,
            source,
            raw: format!("{}{more}", shown.join(", ")),
            finding: format!("{} device(s): {}", hits.len(), rule.finding),
            suggests: rule.suggests,
            strength: rule.strength,
            identifies: rule.identifies,
            reference: rule.reference,
        });
    }
}

/// A virtio device's transport, from where its sysfs link leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VirtioTransport {
    /// virtio-pci.
    Pci,
    /// virtio-mmio (platform device).
    Mmio,
    /// virtio-ccw (s390 channel subsystem).
    Ccw,
    /// Not recognisable from the link.
    Unknown,
}

/// The transport of a virtio device from its bus link target.
pub fn virtio_transport(link: Option<&str>) -> VirtioTransport {
    match link {
        Some(l) if l.contains("/pci") => VirtioTransport::Pci,
        Some(l)
            if l.contains("virtio-mmio") || l.contains("/platform/") || l.contains("LNRO0005") =>
        {
            VirtioTransport::Mmio
        }
        Some(l) if l.contains("/css") || l.contains("ccw") => VirtioTransport::Ccw,
        _ => VirtioTransport::Unknown,
    }
}

fn bus_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    let entries = c.listing("/sys/bus/virtio/devices").entries();
    for (t, finding, identifies, reference) in [
        (
            VirtioTransport::Mmio,
            "virtio-mmio devices: a transport that exists only in virtual machines (Firecracker, QEMU microvm, cloud-hypervisor)",
            Identity::NONE,
            "virtio 1.2 §4.2; Linux drivers/virtio/virtio_mmio.c",
        ),
        (
            VirtioTransport::Ccw,
            "virtio-ccw devices: KVM on s390",
            Identity::hv("kvm"),
            "virtio 1.2 §4.3; Linux drivers/s390/virtio/virtio_ccw.c",
        ),
    ] {
        let names: Vec<&str> = entries
            .iter()
            .filter(|e| virtio_transport(e.link.as_deref()) == t)
            .map(|e| e.name.as_str())
            .collect();
        if !names.is_empty() {
            out.push(Evidence {
                rule: if t == VirtioTransport::Mmio {
                    "virtio.mmio"
                } else {
                    "virtio.ccw"
                },
                source: "/sys/bus/virtio/devices".into(),
                raw: names.join(", "),
                finding: finding.into(),
                suggests: VM,
                strength: Strong,
                identifies,
                reference,
            });
        }
    }
    let vmbus = c.listing("/sys/bus/vmbus/devices").entries();
    if !vmbus.is_empty() {
        out.push(Evidence {
            rule: "vmbus.devices",
            source: "/sys/bus/vmbus/devices".into(),
            raw: format!("{} device(s)", vmbus.len()),
            finding: "Hyper-V VMBus devices".into(),
            suggests: VM,
            strength: Strong,
            identifies: Identity::hv("hyperv"),
            reference: "Linux drivers/hv/vmbus_drv.c",
        });
    }
    for (prefix, rule, finding, identifies, reference) in [
        (
            "QEMU0002",
            "acpi.qemu-fw-cfg",
            "QEMU's fw_cfg ACPI device",
            Identity::product(Some("qemu"), "QEMU"),
            "Linux drivers/firmware/qemu_fw_cfg.c fw_cfg_sysfs_mod_acpi_match",
        ),
        (
            "VMBUS",
            "acpi.vmbus",
            "Hyper-V's VMBus ACPI device",
            Identity::hv("hyperv"),
            "Linux drivers/hv/vmbus_drv.c vmbus_acpi_device_ids",
        ),
        (
            "VMGENCTR",
            "acpi.vmgenid",
            "a VM generation ID device (exists only in VMs, for snapshot/clone detection)",
            Identity::NONE,
            "Linux drivers/virt/vmgenid.c vmgenid_ids",
        ),
        (
            "VM_GEN_COUNTER",
            "acpi.vmgenid",
            "a VM generation ID device (exists only in VMs, for snapshot/clone detection)",
            Identity::NONE,
            "Linux drivers/virt/vmgenid.c vmgenid_ids",
        ),
        (
            "AMZNC10C",
            "acpi.vmclock",
            "Amazon's VMClock device (a hypervisor-provided clock for VMs)",
            Identity::NONE,
            "Linux drivers/ptp/ptp_vmclock.c vmclock_acpi_ids",
        ),
        (
            "LNRO0005",
            "acpi.virtio-mmio",
            "a virtio-mmio ACPI device",
            Identity::NONE,
            "Linux drivers/virtio/virtio_mmio.c virtio_mmio_acpi_match",
        ),
    ] {
        if let Some(e) = c
            .listing("/sys/bus/acpi/devices")
            .entries()
            .iter()
            .find(|e| e.name.to_ascii_uppercase().starts_with(prefix))
        {
            out.push(Evidence {
                rule,
                source: format!("/sys/bus/acpi/devices/{}", e.name),
                raw: "present".into(),
                finding: finding.into(),
                suggests: VM,
                strength: Strong,
                identifies,
                reference,
            });
        }
    }
}

// ---------------------------------------------------------------- IOMMU (seed 000: "when IOMMU is
// present there is vendor specific way to detect whether it's real or virtual")

/// Register bits that only emulated IOMMUs set: (file under the unit, bit, rule, finding,
/// strength, reference).
#[rustfmt::skip]
pub const EMULATED_IOMMU_BITS: &[(&str, u32, &str, &str, Strength, &str)] = &[
    ("intel-iommu/cap", 7, "iommu.vtd-caching-mode", "VT-d Caching Mode is set: an emulated unit (hardware leaves it clear; Linux keyed its virtual IR on it)", Strong, "Linux drivers/iommu/intel/iommu.h cap_caching_mode(); VT-d spec §11.4.2 CM"),
    ("amd-iommu/cap", 26, "iommu.amd-npcache", "AMD IOMMU NpCache is set: the unit caches not-present entries, as emulated units do", Moderate, "Linux drivers/iommu/amd/amd_iommu_types.h IOMMU_CAP_NPCACHE; amd_iommu_np_cache"),
];

/// ACPI OEM IDs written by an emulator: (table, OEM ID or table ID, who, reference).
#[rustfmt::skip]
pub const EMULATOR_ACPI_IDS: &[(&str, &str, &str, &str)] = &[
    ("DMAR", "BOCHS", "QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6 \"BOCHS \""),
    ("DMAR", "BXPC", "QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME8 \"BXPC    \""),
    ("IVRS", "BOCHS", "QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6 \"BOCHS \""),
    ("IVRS", "BXPC", "QEMU", "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME8 \"BXPC    \""),
];

fn iommu_evidence(c: &Capture, out: &mut Vec<Evidence>) {
    for e in c.listing(crate::plan::IOMMU_CLASS).entries() {
        for &(file, bit, rule, finding, strength, reference) in EMULATED_IOMMU_BITS {
            let path = format!("{}/{}/{file}", crate::plan::IOMMU_CLASS, e.name);
            let Some(text) = c.text(&path) else { continue };
            match u64::from_str_radix(text.trim().trim_start_matches("0x"), 16) {
                Ok(v) if v & (1 << bit) != 0 => out.push(Evidence {
                    rule,
                    source: format!("{path} bit {bit}"),
                    raw: text,
                    finding: finding.into(),
                    suggests: VM,
                    strength,
                    identifies: Identity::NONE,
                    reference,
                }),
                Ok(_) => {}
                Err(_) => out.push(malformed(
                    rule,
                    path,
                    text,
                    "not a hex register value".into(),
                )),
            }
        }
    }
    for &(table, id, who, reference) in EMULATOR_ACPI_IDS {
        let path = format!("/sys/firmware/acpi/tables/{table}");
        // ACPI table header: OEM ID at offset 10 (6 bytes), OEM table ID at 16 (8 bytes).
        let Some(b) = c.file(&path).bytes().filter(|b| b.len() >= 24) else {
            continue;
        };
        let oem = String::from_utf8_lossy(&b[10..16]).trim().to_string();
        let tid = String::from_utf8_lossy(&b[16..24]).trim().to_string();
        if oem == id || tid == id {
            out.push(Evidence {
                rule: "acpi.emulator-oem",
                source: format!("{path} OEM ID / table ID"),
                raw: format!("{oem:?} / {tid:?}"),
                finding: format!("the {table} table was written by {who}"),
                suggests: VM,
                strength: Strong,
                identifies: Identity::product(Some("qemu"), "QEMU"),
                reference,
            });
            break;
        }
    }
}

/// Gathers every piece of evidence a capture holds, in a fixed order.
pub fn gather(c: &Capture) -> Vec<Evidence> {
    let mut out = Vec::new();
    match &c.cpuid {
        CpuidRead::Dump(d) => cpuid_evidence(d, &mut out),
        CpuidRead::Malformed(why) => out.push(malformed(
            "cpuid.dump",
            "cpuid.txt".into(),
            String::new(),
            why.clone(),
        )),
        CpuidRead::NotObserved => {}
    }
    dmi_evidence(c, &mut out);
    smbios_evidence(c, &mut out);
    xen_evidence(c, &mut out);
    text_evidence(c, &mut out);
    pci_evidence(c, &mut out);
    bus_evidence(c, &mut out);
    iommu_evidence(c, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn text_rules_hit(c: &Capture) -> Vec<&'static str> {
        let mut out = Vec::new();
        text_evidence(c, &mut out);
        out.iter().map(|e| e.rule).collect()
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
            entries.push(crate::capture::DirEntry {
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
            crate::capture::Listing::Entries(entries),
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
        let rule_hits = |c: &Capture| {
            let mut out = Vec::new();
            pci_evidence(c, &mut out);
            out
        };
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
