//! Capability decisions by opt-in: a capability is granted only when the layer beneath positively
//! advertises it (`!virt || virt->supports_X`, seeds 000–003); a heuristic such as "looks like
//! bare metal" never grants anything by itself. Each decision is a [`Tri`] verdict with the
//! reasons that led to it, every reason naming the file or register it rests on.
//!
//! * Interrupt remapping: active when `/proc/interrupts` shows interrupts on an IR chip; by which
//!   unit; in which mode; real or virtual (VT-d Caching Mode, AMD NpCache, virtio-iommu, QEMU's
//!   ACPI OEM IDs, Linux's `vIR-` chips, a VM verdict); the DMAR x2APIC opt-out.
//! * IMS: only when the parent MSI domain is interrupt remapping that advertises it — real IR
//!   on bare metal (Linux v6.2–v6.9 `dmar_msi_parent_ops` with `MSI_FLAG_PCI_IMS` for CM = 0
//!   units), or a virtual IR that negotiated the new scheme with its hypervisor (tglx,
//!   2021-12-10), which nothing advertises today. Never on the plain vector domain.
//! * DMA per device: through the IOMMU (translated), identity (the IOMMU passes DMA through),
//!   bypass (virtio without ACCESS_PLATFORM, legacy virtio), or no IOMMU; a bypassing device
//!   bound to vfio-pci or grouped with assignable devices is a hazard (seed 003).
//! * PASID: the IOMMU advertises it (VT-d ECAP.PASID and ECAP.SMTS; AMD EFR GTSup, PPRSup,
//!   PASmax) and a device has the PCIe PASID capability.
//!
//! Every decision is a walk over rows of [`crate::caps::rules`]: ordered tables of
//! `(rule, evaluation)` pairs, the first row that answers deciding; every reason is a
//! [`Reason`] carrying its row's id and the facts it read.

use serde::Serialize;

use vcap_regs::field::{amd, vtd};

use crate::caps::iofacts::{self, Got, IoFacts, Malformed, PciDev};
use crate::caps::rules::{self, CapRule, Fact, Reason};
use crate::detect::{Kind, Verdict};
use crate::input::plan::{
    ACPI_DMAR, ACPI_IVRS, ACPI_VIOT, IOMMU_CLASS, PCI_DEVICES, PROC_INTERRUPTS, S390_SYSINFO,
    VIRTIO_DEVICES,
};
use crate::parse::acpi::{self, ViotNode};
use crate::parse::interrupts::ChipKind;
use crate::parse::iommu::{Unit, UnitKind};
use crate::parse::virtio::{self, F_ACCESS_PLATFORM, F_VERSION_1};

/// A verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Tri {
    /// Granted / present.
    Yes,
    /// Not granted / absent.
    No,
    /// The evidence does not decide.
    Unknown,
}

/// Interrupt remapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InterruptRemapping {
    /// Active or not.
    pub verdict: Tri,
    /// Why: each reason names its rule, the facts it read and the sentence the report prints.
    pub reasons: Vec<Reason>,
    /// Units that remap (class names such as `dmar0`, `ivhd0`).
    pub units: Vec<String>,
    /// `x2apic`, `xapic` or `unknown` (inferred from the unit's EIM/XTSup and the opt-out).
    pub mode: &'static str,
    /// True: a virtual unit; false: a hardware unit; null: not decided.
    #[serde(rename = "virtual")]
    pub is_virtual: Option<bool>,
    /// The DMAR table's X2APIC_OPT_OUT flag, when the table was read.
    pub x2apic_opt_out: Option<bool>,
}

/// A device that would want IMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImsCandidate {
    /// PCI address.
    pub device: String,
    /// `vvvv:dddd`.
    pub id: String,
    /// What it is.
    pub name: &'static str,
    /// Why it is listed, with the source.
    pub source: String,
}

/// IMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ims {
    /// Allowed or not.
    pub verdict: Tri,
    /// Why: each reason names its rule, the facts it read and the sentence the report prints.
    pub reasons: Vec<Reason>,
    /// Devices present here that would want IMS.
    pub candidates: Vec<ImsCandidate>,
}

/// Where a device's DMA goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DmaPath {
    /// Translated by an IOMMU (DMA, DMA-FQ, blocked or VFIO-owned domain).
    Iommu,
    /// Behind an IOMMU in an identity (pass-through) domain: untranslated.
    Identity,
    /// The device bypasses the IOMMU (virtio without ACCESS_PLATFORM, legacy virtio).
    Bypass,
    /// There is no IOMMU.
    NoIommu,
    /// Not decided.
    Unknown,
}

/// The DMA path of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DmaEntry {
    /// PCI address or virtio device name.
    pub device: String,
    /// Yes: DMA is translated and confined by an IOMMU; no: it is not; unknown.
    pub verdict: Tri,
    /// The path.
    pub path: DmaPath,
    /// The bypass is a hazard: the device is (or shares a group with a device) bound to vfio-pci.
    pub hazard: bool,
    /// Why: each reason names its rule, the facts it read and the sentence the report prints.
    pub reasons: Vec<Reason>,
}

/// PASID / Scalable IOV readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PasidReadiness {
    /// Ready or not.
    pub verdict: Tri,
    /// Why: each reason names its rule, the facts it read and the sentence the report prints.
    pub reasons: Vec<Reason>,
    /// IOMMU units that advertise PASID.
    pub iommu_units: Vec<String>,
    /// Devices with the PCIe PASID capability (`bdf width=N`).
    pub devices: Vec<String>,
}

/// The `capabilities` object of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Capabilities {
    /// Interrupt remapping.
    pub interrupt_remapping: InterruptRemapping,
    /// IMS.
    pub ims: Ims,
    /// DMA path, one entry per device.
    pub dma: Vec<DmaEntry>,
    /// PASID.
    pub pasid: PasidReadiness,
    /// The IOMMU units with their decoded fields.
    pub iommu_units: Vec<Unit>,
    /// Inputs that did not parse (file and offset); none of them was used.
    pub malformed: Vec<Malformed>,
    /// The parsed inputs the decisions rest on.
    pub facts: iofacts::Facts,
}

/// Devices known to use IMS: (vendor, device, name, source).
pub const IMS_DEVICES: &[(u16, u16, &str, &str)] = &[
    (
        0x8086,
        0x0b25,
        "Intel DSA (Data Streaming Accelerator, Sapphire Rapids)",
        "Linux drivers/dma/idxd/registers.h PCI_DEVICE_ID_INTEL_DSA_SPR0 (now include/linux/pci_ids.h); IMS size GENCAP.max_ims_mult",
    ),
    (
        0x8086,
        0x0cfe,
        "Intel IAX (In-Memory Analytics Accelerator, Sapphire Rapids)",
        "Linux drivers/dma/idxd/registers.h PCI_DEVICE_ID_INTEL_IAX_SPR0 (now include/linux/pci_ids.h); IMS size GENCAP.max_ims_mult",
    ),
];

/// QEMU's ACPI OEM IDs (`ACPI_BUILD_APPNAME6` "BOCHS ", `ACPI_BUILD_APPNAME8` "BXPC    ",
/// QEMU include/hw/acpi/aml-build.h): tables written by an emulator.
pub const EMULATOR_OEM: &[(&str, &str)] = &[("BOCHS", "QEMU"), ("BXPC", "QEMU")];

fn chip_summary(io: &IoFacts, kinds: &[ChipKind]) -> Vec<String> {
    io.interrupts
        .get()
        .map(|v| {
            v.iter()
                .filter(|c| kinds.contains(&c.kind))
                .map(|c| format!("{} ({} interrupts)", c.name, c.lines))
                .collect()
        })
        .unwrap_or_default()
}

fn vtd_units(io: &IoFacts) -> impl Iterator<Item = &Unit> {
    io.units.iter().filter(|u| u.kind == UnitKind::IntelVtd)
}

fn amd_units(io: &IoFacts) -> impl Iterator<Item = &Unit> {
    io.units.iter().filter(|u| u.kind == UnitKind::Amd)
}

fn oem_emulator(oem: &str, table: &str) -> Option<&'static str> {
    EMULATOR_OEM
        .iter()
        .find(|(id, _)| oem.trim() == *id || table.trim() == *id)
        .map(|(_, who)| *who)
}

/// A row of a decision table: the rule, and how it is evaluated over a context. The first row
/// whose evaluation answers decides.
type Row<C, O> = (&'static CapRule, fn(&'static CapRule, &C) -> Option<O>);

/// A row over a context that borrows the facts (for any borrow).
macro_rules! row_type {
    ($name:ident, $ctx:ident, $out:ty) => {
        type $name = (
            &'static CapRule,
            for<'a, 'b> fn(&'static CapRule, &'b $ctx<'a>) -> Option<$out>,
        );
    };
}
row_type!(IrRow, IrCtx, (Tri, Reason));
row_type!(ImsRow, ImsCtx, (Tri, Vec<Reason>));
row_type!(GroupRow, DevCtx, (Tri, DmaPath, Reason));
row_type!(VirtioRow, DevCtx, VirtioPath);
row_type!(PasidRow, PasidCtx, (Tri, Option<Reason>));

fn first<C, O>(rows: &[Row<C, O>], c: &C) -> Option<O> {
    rows.iter().find_map(|(r, f)| f(r, c))
}

fn hex(v: Option<u64>) -> String {
    format!("{:x}", v.unwrap_or(0))
}

// ------------------------------------------------------------------ virtual or hardware unit

/// Evidence that the remapping unit is virtual, and evidence that it is hardware: every
/// [`Decides::UnitRealness`] row, in order.
fn unit_realness(io: &IoFacts, verdict: &Verdict) -> (Vec<Reason>, Vec<Reason>) {
    let mut virt = Vec::new();
    let mut real = Vec::new();
    for u in vtd_units(io) {
        let r = |t: String, v: u64| {
            Reason::of(&rules::REAL_CM, t).read(
                Fact::VtdCap(vtd::cap::CM),
                v.to_string(),
                u.register_path("cap"),
            )
        };
        match u.get(vtd::cap::CM) {
            Some(1) => virt.push(r(
                format!(
                    "{}: VT-d CAP.CM (Caching Mode, bit 7) = 1 in /sys/class/iommu/{}/intel-iommu/cap = {}: an emulated unit (Linux cap_caching_mode; v6.2–v6.9 gave such units the IMS-less vIR parent)",
                    u.name,
                    u.name,
                    hex(u.cap)
                ),
                1,
            )),
            Some(v) => real.push(r(
                format!(
                    "{}: VT-d CAP.CM = 0 in /sys/class/iommu/{}/intel-iommu/cap = {}",
                    u.name,
                    u.name,
                    hex(u.cap)
                ),
                v,
            )),
            None => {}
        }
    }
    for u in amd_units(io) {
        let r = |t: String, v: u64| {
            Reason::of(&rules::REAL_NPCACHE, t).read(
                Fact::AmdNpCache,
                v.to_string(),
                u.register_path("cap"),
            )
        };
        match u.amd_npcache() {
            Some(1) => virt.push(r(
                format!(
                    "{}: AMD capability header NpCache (bit 26) = 1 in /sys/class/iommu/{}/amd-iommu/cap = {}: an emulated unit (Linux IOMMU_CAP_NPCACHE, amd_iommu_np_cache)",
                    u.name,
                    u.name,
                    hex(u.cap)
                ),
                1,
            )),
            Some(v) => real.push(r(
                format!(
                    "{}: AMD NpCache = 0 in /sys/class/iommu/{}/amd-iommu/cap = {}",
                    u.name,
                    u.name,
                    hex(u.cap)
                ),
                v,
            )),
            None => {}
        }
    }
    for u in io.units.iter().filter(|u| u.kind == UnitKind::VirtioIommu) {
        virt.push(
            Reason::of(
                &rules::REAL_VIRTIO_CLASS,
                format!(
                    "{}: a virtio-iommu unit in /sys/class/iommu (virtio-iommu exists only in VMs)",
                    u.name
                ),
            )
            .read(
                Fact::IommuUnits,
                u.name.clone(),
                format!("{IOMMU_CLASS}/{}", u.name),
            ),
        );
    }
    for d in &io.pci {
        if d.vendor == Some(virtio::VENDOR)
            && d.device.and_then(virtio::modern_type) == Some(virtio::ID_IOMMU)
        {
            virt.push(
                Reason::of(
                    &rules::REAL_VIRTIO_PCI,
                    format!(
                        "{}: PCI 1af4:{:04x} is a virtio-iommu (VIRTIO_ID_IOMMU 23)",
                        d.bdf,
                        d.device.unwrap_or(0)
                    ),
                )
                .read(
                    Fact::PciDevices,
                    format!("1af4:{:04x}", d.device.unwrap_or(0)),
                    format!("{PCI_DEVICES}/{}", d.bdf),
                ),
            );
        }
    }
    if let Some(v) = io.viot.get() {
        for n in &v.nodes {
            let what = match n {
                ViotNode::VirtioIommuPci { segment, bdf, .. } => {
                    format!("PCI function {}", acpi::bdf_name(*segment, *bdf))
                }
                ViotNode::VirtioIommuMmio { base_address, .. } => {
                    format!("virtio-mmio device at {base_address:#x}")
                }
                _ => continue,
            };
            virt.push(
                Reason::of(
                    &rules::REAL_VIOT,
                    format!(
                        "{ACPI_VIOT}: node at {:#x} describes a virtio-iommu ({what}): a paravirtual IOMMU",
                        n.offset()
                    ),
                )
                .saw(Fact::Viot, format!("node {:#x}: {what}", n.offset())),
            );
        }
    }
    if let Some(d) = io.dmar.get() {
        let ids = format!("{:?} / {:?}", d.header.oem_id, d.header.oem_table_id);
        if let Some(who) = oem_emulator(&d.header.oem_id, &d.header.oem_table_id) {
            virt.push(
                Reason::of(
                    &rules::REAL_DMAR_OEM,
                    format!(
                        "{ACPI_DMAR}: OEM ID {:?} / table ID {:?} are {who}'s ACPI IDs: the DMAR unit is emulated",
                        d.header.oem_id, d.header.oem_table_id
                    ),
                )
                .saw(Fact::DmarOem, ids),
            );
        } else {
            real.push(
                Reason::of(
                    &rules::REAL_DMAR_OEM,
                    format!(
                        "{ACPI_DMAR}: OEM ID {:?} / table ID {:?} (not an emulator's)",
                        d.header.oem_id, d.header.oem_table_id
                    ),
                )
                .saw(Fact::DmarOem, ids),
            );
        }
    }
    if let Some(v) = io.ivrs.get()
        && let Some(who) = oem_emulator(&v.header.oem_id, &v.header.oem_table_id)
    {
        virt.push(
            Reason::of(
                &rules::REAL_IVRS_OEM,
                format!(
                    "{ACPI_IVRS}: OEM ID {:?} is {who}'s: the AMD IOMMU is emulated",
                    v.header.oem_id
                ),
            )
            .saw(Fact::Ivrs, format!("{:?}", v.header.oem_id)),
        );
    }
    for c in chip_summary(io, &[ChipKind::VirtRemappedMsi]) {
        virt.push(
            Reason::of(
                &rules::REAL_VIR_CHIP,
                format!("{PROC_INTERRUPTS}: {c}: Linux's virtual-IR domain (prefix vIR-)"),
            )
            .saw(Fact::InterruptChips, c),
        );
    }
    if verdict.kind == Kind::VirtualMachine {
        let who = verdict
            .hypervisor
            .map(|h| h.id())
            .or(verdict.product.map(|p| p.id()))
            .unwrap_or("hypervisor not named");
        virt.push(
            Reason::of(
                &rules::REAL_VM,
                format!(
                    "the verdict is a virtual machine ({who}): any remapping unit here is provided by the hypervisor"
                ),
            )
            .saw(Fact::Verdict, format!("virtual-machine {who}")),
        );
    }
    (virt, real)
}

// ------------------------------------------------------------------ interrupt remapping

/// What the interrupt-remapping rows read.
struct IrCtx<'a> {
    io: &'a IoFacts,
    /// Chips that remap (IR-, vIR-).
    ir: Vec<String>,
    /// Hyper-V's IO-APIC remapping chips.
    hv: Vec<String>,
    /// Vector-domain chips.
    plain: Vec<String>,
    /// GIC ITS chips.
    its: Vec<String>,
}

impl IrCtx<'_> {
    fn chips(&self) -> Option<&Vec<crate::parse::interrupts::Chip>> {
        self.io.interrupts.get()
    }
}

/// The interrupt-remapping verdict rows, in order ([`Decides::InterruptRemapping`]).
const IR_ROWS: &[IrRow] = &[
    (&rules::IR_REMAPPED, |r, c| {
        (c.chips().is_some() && !c.ir.is_empty()).then(|| {
            (
                Tri::Yes,
                Reason::of(
                    r,
                    format!(
                        "{PROC_INTERRUPTS}: interrupts on remapping chips: {}",
                        c.ir.join(", ")
                    ),
                )
                .saw(Fact::InterruptChips, c.ir.join(", ")),
            )
        })
    }),
    (&rules::IR_HYPERV, |r, c| {
        (c.chips().is_some() && !c.hv.is_empty()).then(|| {
            (
                Tri::Yes,
                Reason::of(
                    r,
                    format!(
                        "{PROC_INTERRUPTS}: {}: Hyper-V remaps the IO-APIC only (drivers/iommu/hyperv-iommu.c); MSIs are not remapped",
                        c.hv.join(", ")
                    ),
                )
                .saw(Fact::InterruptChips, c.hv.join(", ")),
            )
        })
    }),
    (&rules::IR_S390, |r, c| {
        (c.chips().is_some_and(Vec::is_empty) && c.io.s390_sysinfo).then(|| {
            (
                Tri::No,
                Reason::of(
                    r,
                    format!(
                        "s390 ({S390_SYSINFO} is present; {PROC_INTERRUPTS} has only interruption-class counters): there is no x86-style remapping unit on this architecture; CCW devices have no MSI, and zPCI MSIs are isolated by the architecture (arch_is_isolated_msi() is true on s390)"
                    ),
                )
                .saw(Fact::InterruptChips, "no numbered interrupt")
                .saw(Fact::S390Sysinfo, "present"),
            )
        })
    }),
    (&rules::IR_NO_CHIPS, |r, c| {
        c.chips().is_some_and(Vec::is_empty).then(|| {
            (
                Tri::Unknown,
                Reason::of(
                    r,
                    format!(
                        "{PROC_INTERRUPTS} lists no numbered interrupt with a chip: nothing to judge by"
                    ),
                )
                .saw(Fact::InterruptChips, "no numbered interrupt"),
            )
        })
    }),
    (&rules::IR_ITS, |r, c| {
        (c.chips().is_some() && c.plain.is_empty() && !c.its.is_empty()).then(|| {
            (
                Tri::No,
                Reason::of(
                    r,
                    format!(
                        "{PROC_INTERRUPTS}: MSIs go through the GIC ITS ({}): Arm translates (DeviceID, EventID) in the ITS; there is no x86-style remapping unit",
                        c.its.join(", ")
                    ),
                )
                .saw(Fact::InterruptChips, c.its.join(", ")),
            )
        })
    }),
    (&rules::IR_VECTOR, |r, c| {
        c.chips().is_some().then(|| {
            let chips = if c.plain.is_empty() {
                "none of PCI-MSI/IO-APIC".to_string()
            } else {
                c.plain.join(", ")
            };
            (
                Tri::No,
                Reason::of(
                    r,
                    format!(
                        "{PROC_INTERRUPTS}: no interrupt uses a remapping chip; chips: {chips}"
                    ),
                )
                .saw(Fact::InterruptChips, chips),
            )
        })
    }),
    (&rules::IR_UNOBSERVED, |r, c| {
        let (why, state) = match &c.io.interrupts {
            Got::Unreadable(w) => (
                format!("{PROC_INTERRUPTS} could not be read ({w})"),
                format!("unreadable: {w}"),
            ),
            Got::Malformed => (
                format!("{PROC_INTERRUPTS} is malformed"),
                "malformed".into(),
            ),
            _ => (format!("{PROC_INTERRUPTS} is absent"), "absent".into()),
        };
        Some((
            Tri::Unknown,
            Reason::of(
                r,
                format!("{why}: whether Linux enabled remapping is not observed"),
            )
            .saw(Fact::InterruptChips, state),
        ))
    }),
];

/// The remapping-mode rows, in order ([`Decides::IrMode`]), over the units that remap.
fn ir_mode(io: &IoFacts, ir_capable: &[&Unit], reasons: &mut Vec<Reason>) -> &'static str {
    let vtd: Vec<&&Unit> = ir_capable
        .iter()
        .filter(|u| u.kind == UnitKind::IntelVtd)
        .collect();
    let amd: Vec<&&Unit> = ir_capable
        .iter()
        .filter(|u| u.kind == UnitKind::Amd)
        .collect();
    let x2apic_opt_out = io.dmar.get().map(|d| d.x2apic_opt_out);
    if let Some(lines) = io.kernel_log.get() {
        // The kernel's own account, when the log was readable and still holds the boot lines.
        let said = |m: &str| lines.iter().find(|l| l.starts_with(m));
        let found = [
            ("DMAR-IR: Enabled IRQ remapping in x2apic mode", "x2apic"),
            ("DMAR-IR: Enabled IRQ remapping in xapic mode", "xapic"),
            ("AMD-Vi: X2APIC enabled", "x2apic"),
            // Linux kept the xAPIC because remapping runs in xAPIC mode (try_to_enable_x2apic()).
            ("x2apic: IRQ remapping doesn't support X2APIC mode", "xapic"),
        ]
        .iter()
        .find_map(|(m, mode)| said(m).map(|l| (l, *mode)));
        if let Some((line, mode)) = found {
            reasons.push(
                Reason::of(
                    &rules::MODE_LOG,
                    format!("the kernel log says {line:?}: remapping runs in {mode} mode"),
                )
                .saw(Fact::KernelLog, line.clone()),
            );
            return mode;
        }
    }
    let eim = |u: &Unit, v: u64| {
        (
            Fact::VtdEcap(vtd::ecap::EIM),
            v.to_string(),
            u.register_path("ecap"),
        )
    };
    if let Some(u) = vtd.iter().find(|u| u.get(vtd::ecap::EIM) == Some(0)) {
        let (f, v, s) = eim(u, 0);
        reasons.push(
            Reason::of(
                &rules::MODE_EIM0,
                format!(
                    "{}: ECAP.EIM = 0: remapping in xAPIC mode only (Linux ecap_eim_support)",
                    u.name
                ),
            )
            .read(f, v, s),
        );
        return "xapic";
    }
    if !vtd.is_empty() {
        let names = vtd
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return match x2apic_opt_out {
            Some(true) => {
                reasons.push(
                    Reason::of(
                        &rules::MODE_OPT_OUT,
                        format!(
                            "{ACPI_DMAR}: X2APIC_OPT_OUT set: Linux stays in xAPIC mode unless booted with intremap=no_x2apic_optout"
                        ),
                    )
                    .saw(Fact::DmarFlags, "X2APIC_OPT_OUT=1"),
                );
                "xapic"
            }
            Some(false) => {
                let cpu = match io.cpu_x2apic {
                    Some(true) => "present",
                    Some(false) => "absent",
                    None => "not read",
                };
                let mut r = Reason::of(
                    &rules::MODE_EIM1,
                    format!(
                        "ECAP.EIM = 1 on {names} and no DMAR opt-out: remapping can run in x2APIC mode (inferred; CPU flag x2apic {cpu})"
                    ),
                );
                for u in &vtd {
                    let (f, v, s) = eim(u, 1);
                    r = r.read(f, v, s);
                }
                reasons.push(
                    r.saw(Fact::DmarFlags, "X2APIC_OPT_OUT=0")
                        .saw(Fact::CpuX2apic, cpu),
                );
                "x2apic"
            }
            None => {
                reasons.push(
                    Reason::of(
                        &rules::MODE_UNREAD,
                        "ECAP.EIM = 1 but the DMAR table (root only) was not read, so the x2APIC opt-out is unknown",
                    )
                    .saw(Fact::DmarFlags, "not read"),
                );
                "unknown"
            }
        };
    }
    if let Some(u) = amd.first() {
        let r = |t: String, v: u64| {
            Reason::of(&rules::MODE_XTSUP, t).read(
                Fact::AmdEfr(amd::efr::XTSUP),
                v.to_string(),
                u.register_path("features"),
            )
        };
        match u.get(amd::efr::XTSUP) {
            Some(1) => {
                reasons.push(r(
                    format!(
                        "{}: EFR XTSup = 1: x2APIC interrupt remapping supported (inferred mode)",
                        u.name
                    ),
                    1,
                ));
                return "x2apic";
            }
            Some(v) => {
                reasons.push(r(format!("{}: EFR XTSup = 0: xAPIC mode only", u.name), v));
                return "xapic";
            }
            None => {}
        }
    }
    "unknown"
}

fn decide_ir(io: &IoFacts, verdict: &Verdict) -> InterruptRemapping {
    let ctx = IrCtx {
        io,
        ir: chip_summary(
            io,
            &[
                ChipKind::RemappedMsi,
                ChipKind::RemappedIoapic,
                ChipKind::VirtRemappedMsi,
            ],
        ),
        hv: chip_summary(io, &[ChipKind::HypervIr]),
        plain: chip_summary(io, &[ChipKind::VectorMsi, ChipKind::Ioapic]),
        its: chip_summary(io, &[ChipKind::ItsMsi]),
    };
    let ir_capable: Vec<&Unit> = io
        .units
        .iter()
        .filter(|u| match u.kind {
            UnitKind::IntelVtd => u.get(vtd::ecap::IR) == Some(1),
            UnitKind::Amd => true,
            _ => false,
        })
        .collect();
    let unit_fact = |r: Reason, u: &Unit| match u.kind {
        UnitKind::IntelVtd => r.read(Fact::VtdEcap(vtd::ecap::IR), "1", u.register_path("ecap")),
        _ => r.read(
            Fact::IommuUnits,
            u.name.clone(),
            format!("{IOMMU_CLASS}/{}", u.name),
        ),
    };
    let Some((mut verdict_ir, main)) = first(IR_ROWS, &ctx) else {
        unreachable!("the last interrupt-remapping row always answers")
    };
    let main_rule = main.rule;
    let mut reasons = vec![main];
    if let Some(d) = io.dmar.get() {
        reasons.push(
            Reason::of(
                &rules::IR_DMAR_FLAGS,
                format!(
                    "{ACPI_DMAR}: flags {:#04x}: INTR_REMAP={}, X2APIC_OPT_OUT={}, DMA_CTRL_PLATFORM_OPT_IN={}; {} remapping unit(s)",
                    d.flags,
                    u8::from(d.intr_remap),
                    u8::from(d.x2apic_opt_out),
                    u8::from(d.platform_opt_in),
                    d.drhd.len()
                ),
            )
            .saw(Fact::DmarFlags, format!("{:#04x}", d.flags))
            .saw(Fact::DmarUnits, format!("{} DRHD", d.drhd.len())),
        );
    }
    if main_rule == rules::IR_ITS.id || main_rule == rules::IR_VECTOR.id {
        for u in &ir_capable {
            reasons.push(unit_fact(
                Reason::of(
                    &rules::IR_UNIT_OFF,
                    format!(
                        "{}: the unit can remap interrupts but Linux did not enable it (intremap=off, or firmware)",
                        u.name
                    ),
                ),
                u,
            ));
        }
    }
    if main_rule == rules::IR_ITS.id {
        reasons.push(
            Reason::of(
                &rules::IR_ITS_ISOLATED,
                "MSI isolation: yes without x86 remapping — Linux marks the GICv3 ITS's MSI domain IRQ_DOMAIN_FLAG_ISOLATED_MSI (its_node_init(), earlier its_probe_one(), drivers/irqchip/irq-gic-v3-its.c; cleared only by the Socionext SynQuacer quirk), which msi_device_has_isolated_msi() and iommufd's iommu_group_has_isolated_msi() accept",
            )
            .saw(Fact::InterruptChips, ctx.its.join(", ")),
        );
    }
    if main_rule == rules::IR_UNOBSERVED.id {
        for u in &ir_capable {
            reasons.push(unit_fact(
                Reason::of(
                    &rules::IR_UNIT_CAN,
                    format!("{}: the unit supports interrupt remapping", u.name),
                ),
                u,
            ));
        }
    }
    // Intel IR needs the DMAR's INTR_REMAP flag; without it (and without an AMD IVRS, and
    // outside Hyper-V, whose own remapping needs no DMAR) Linux cannot enable remapping at all.
    if let Some(d) = io.dmar.get()
        && verdict_ir == Tri::Unknown
        && !d.intr_remap
        && io.ivrs.get().is_none()
        && verdict.hypervisor != Some(crate::detect::ids::Hypervisor::Hyperv)
    {
        reasons.insert(
            0,
            Reason::of(
                &rules::IR_DMAR_OFF,
                format!(
                    "{ACPI_DMAR}: INTR_REMAP = 0: Linux never enables Intel interrupt remapping then (intel_prepare_irq_remapping() returns -ENODEV when !dmar_ir_support()), there is no AMD IVRS, and this is not Hyper-V"
                ),
            )
            .saw(Fact::DmarFlags, "INTR_REMAP=0")
            .saw(Fact::Ivrs, "absent")
            .saw(
                Fact::Verdict,
                verdict.hypervisor.map_or("hypervisor not named", |h| h.id()),
            ),
        );
        verdict_ir = Tri::No;
    }
    let (virt, real) = unit_realness(io, verdict);
    let has_unit = verdict_ir == Tri::Yes || !io.units.is_empty() || io.dmar.get().is_some();
    let is_virtual = if !has_unit {
        None
    } else if !virt.is_empty() {
        Some(true)
    } else if !real.is_empty() && verdict.kind == Kind::BareMetal {
        Some(false)
    } else {
        None
    };
    let mut mode = "unknown";
    let mut units = Vec::new();
    if verdict_ir == Tri::Yes {
        units = ir_capable.iter().map(|u| u.name.clone()).collect();
        if units.is_empty() && ctx.hv.is_empty() {
            reasons.push(
                Reason::of(
                    &rules::IR_UNNAMED,
                    "no unit register readable under /sys/class/iommu: the remapping unit is not named",
                )
                .saw(Fact::IommuUnits, "no unit register"),
            );
        }
        mode = ir_mode(io, &ir_capable, &mut reasons);
        reasons.extend(drhd_coverage(io));
        reasons.extend(virt.iter().cloned());
        if is_virtual == Some(false) {
            reasons.extend(real.iter().cloned());
        }
    }
    InterruptRemapping {
        verdict: verdict_ir,
        reasons,
        units,
        mode,
        is_virtual,
        x2apic_opt_out: io.dmar.get().map(|d| d.x2apic_opt_out),
    }
}

/// Which unit remaps what, from the DMAR's DRHD scopes matched to the units' register bases.
fn drhd_coverage(io: &IoFacts) -> Vec<Reason> {
    let Some(d) = io.dmar.get() else {
        return Vec::new();
    };
    d.drhd
        .iter()
        .filter_map(|h| {
            let unit = vtd_units(io).find(|u| u.address == Some(h.address))?;
            let mut what: Vec<String> = h
                .scopes
                .iter()
                .filter(|s| s.kind == 3 || s.kind == 4)
                .map(|s| format!("{} id {}", s.kind_name, s.enumeration_id))
                .collect();
            if h.flags & crate::parse::acpi::DRHD_INCLUDE_ALL != 0 {
                what.push(
                    "every device of its segment not listed elsewhere (INCLUDE_PCI_ALL)".into(),
                );
            }
            (!what.is_empty()).then(|| {
                Reason::of(
                    &rules::IR_DRHD,
                    format!(
                        "{} (DRHD at {:#x} in {ACPI_DMAR}) remaps {}",
                        unit.name,
                        h.address,
                        what.join(", ")
                    ),
                )
                .saw(
                    Fact::DmarUnits,
                    format!("DRHD {:#x} flags {:#04x}", h.address, h.flags),
                )
                .read(
                    Fact::IommuUnits,
                    format!("{} address {:x}", unit.name, h.address),
                    format!("{IOMMU_CLASS}/{}/intel-iommu/address", unit.name),
                )
            })
        })
        .collect()
}

// ------------------------------------------------------------------ IMS

fn ims_candidates(io: &IoFacts) -> Vec<ImsCandidate> {
    let mut out = Vec::new();
    for d in &io.pci {
        let (Some(v), Some(dv)) = (d.vendor, d.device) else {
            continue;
        };
        if let Some((_, _, name, src)) = IMS_DEVICES.iter().find(|(a, b, _, _)| *a == v && *b == dv)
        {
            out.push(ImsCandidate {
                device: d.bdf.clone(),
                id: format!("{v:04x}:{dv:04x}"),
                name,
                source: (*src).to_string(),
            });
        } else if let Some(ds) = d
            .config
            .as_ref()
            .and_then(|c| c.dvsec.iter().find(|x| x.siov_ims == Some(true)))
        {
            out.push(ImsCandidate {
                device: d.bdf.clone(),
                id: format!("{v:04x}:{dv:04x}"),
                name: "a device with the Intel Scalable IOV DVSEC advertising IMS",
                source: format!(
                    "config space DVSEC at {:#x}: vendor 8086, ID 5, SIOVCAP bit 0 (idxd_check_siov(), \"dmaengine: idxd: add IMS support in base driver\" v3, 2020)",
                    ds.offset
                ),
            });
        }
    }
    out
}

/// What the IMS rows read.
struct ImsCtx<'a> {
    ir: Tri,
    /// The remapping decision came from a non-x86 row (GIC ITS, s390).
    not_x86: bool,
    kind: Kind,
    virt: &'a [Reason],
    real: &'a [Reason],
    ir_msi: Vec<String>,
}

fn ims_ir(ir: Tri) -> &'static str {
    match ir {
        Tri::Yes => "interrupt remapping yes",
        Tri::No => "interrupt remapping no",
        Tri::Unknown => "interrupt remapping unknown",
    }
}

/// The IMS verdict rows, in order ([`Decides::Ims`]).
const IMS_ROWS: &[ImsRow] = &[
    (&rules::IMS_NOT_X86, |r, c| {
        c.not_x86.then(|| {
            (
                Tri::No,
                vec![Reason::of(
                    r,
                    "no MSI parent here offers IMS: in Linux v6.2–v6.9 only the x86 remapping parents (dmar_msi_parent_ops, amdvi_msi_parent_ops) set MSI_FLAG_PCI_IMS, which pci_create_ims_domain() requires; the GIC ITS and s390 parents do not",
                )
                .saw(Fact::Remapping, "decided by a GIC ITS or s390 row")],
            )
        })
    }),
    (&rules::IMS_VECTOR, |r, c| {
        (c.ir == Tri::No).then(|| {
            (
                Tri::No,
                vec![Reason::of(
                    r,
                    "the parent MSI domain is the plain vector domain (no interrupt remapping): IMS is never allowed there (Linux x86_init_dev_msi_info accepts PCI/IMS only from a parent with MSI_FLAG_PCI_IMS)",
                )
                .saw(Fact::Remapping, ims_ir(c.ir))],
            )
        })
    }),
    (&rules::IMS_VIRT_UNSEEN, |r, c| {
        (c.ir == Tri::Unknown && !c.virt.is_empty()).then(|| {
            let mut v = c.virt.to_vec();
            v.push(
                Reason::of(
                    r,
                    "whether interrupts are remapped is not observed, but either parent denies IMS: the vector domain never grants it, and a virtual remapping unit grants it only after negotiating the new scheme with its hypervisor, which nothing advertises today",
                )
                .saw(Fact::Remapping, ims_ir(c.ir)),
            );
            (Tri::No, v)
        })
    }),
    (&rules::IMS_UNSEEN, |r, c| {
        (c.ir == Tri::Unknown).then(|| {
            (
                Tri::Unknown,
                vec![Reason::of(
                    r,
                    "whether interrupts are remapped is not known, so the parent MSI domain is not known",
                )
                .saw(Fact::Remapping, ims_ir(c.ir))],
            )
        })
    }),
    (&rules::IMS_IOAPIC_ONLY, |r, c| {
        c.ir_msi.is_empty().then(|| {
            (
                Tri::No,
                vec![Reason::of(
                    r,
                    "no MSI is on a remapping chip (only the IO-APIC is remapped): the MSI parent is the vector domain",
                )
                .saw(Fact::InterruptChips, "no IR MSI chip")],
            )
        })
    }),
    (&rules::IMS_VIRT, |r, c| {
        (!c.virt.is_empty()).then(|| {
            let mut v = c.virt.to_vec();
            v.push(
                Reason::of(
                    r,
                    "a virtual remapping unit may grant IMS only after it negotiated the new scheme with its hypervisor (tglx, 2021-12-10); no hypervisor advertises that today",
                )
                .saw(Fact::Verdict, c.kind.as_str()),
            );
            (Tri::No, v)
        })
    }),
    (&rules::IMS_NO_REG, |r, c| {
        c.real.is_empty().then(|| {
            (
                Tri::Unknown,
                vec![Reason::of(
                    r,
                    "interrupts are remapped but no unit register (VT-d CAP.CM, AMD NpCache) was readable to show the unit is hardware",
                )
                .saw(Fact::IommuUnits, "no unit register")],
            )
        })
    }),
    (&rules::IMS_NOT_METAL, |r, c| {
        (c.kind != Kind::BareMetal).then(|| {
            let mut v = c.real.to_vec();
            v.push(
                Reason::of(
                    r,
                    format!(
                        "the unit advertises no virtualisation, but where this OS runs is {}: an emulated unit can show CM = 0 (QEMU caching-mode=off), so nothing positively grants IMS",
                        c.kind.as_str()
                    ),
                )
                .saw(Fact::Verdict, c.kind.as_str()),
            );
            (Tri::Unknown, v)
        })
    }),
    (&rules::IMS_HW, |r, c| {
        let mut v = vec![
            Reason::of(
                r,
                format!(
                    "{PROC_INTERRUPTS}: MSIs on remapping chips: {}",
                    c.ir_msi.join(", ")
                ),
            )
            .saw(Fact::InterruptChips, c.ir_msi.join(", ")),
        ];
        v.extend(c.real.iter().cloned());
        v.push(
            Reason::of(
                r,
                "the verdict is bare metal: consistent with a hardware unit (it grants nothing by itself)",
            )
            .saw(Fact::Verdict, c.kind.as_str()),
        );
        v.push(Reason::of(
            r,
            "a hardware remapping unit is the IMS-capable parent (Linux v6.2–v6.9 dmar_msi_parent_ops / amdvi_msi_parent_ops set MSI_FLAG_PCI_IMS); note mainline removed the PCI/IMS API in v6.10",
        ).saw(Fact::Remapping, ims_ir(c.ir)));
        Some((Tri::Yes, v))
    }),
];

fn decide_ims(io: &IoFacts, verdict: &Verdict, ir: &InterruptRemapping) -> Ims {
    let candidates = ims_candidates(io);
    let (virt, real) = unit_realness(io, verdict);
    let ctx = ImsCtx {
        ir: ir.verdict,
        not_x86: ir
            .reasons
            .iter()
            .any(|r| r.rule == rules::IR_ITS.id || r.rule == rules::IR_S390.id),
        kind: verdict.kind,
        virt: &virt,
        real: &real,
        ir_msi: chip_summary(io, &[ChipKind::RemappedMsi, ChipKind::VirtRemappedMsi]),
    };
    let Some((v, mut reasons)) = first(IMS_ROWS, &ctx) else {
        unreachable!("the last IMS row always answers")
    };
    if candidates.is_empty() {
        let r = Reason::of(
            &rules::IMS_NO_CANDIDATE,
            if io.pci_listed {
                "no device known to use IMS is present".to_string()
            } else {
                format!(
                    "{PCI_DEVICES} could not be listed: whether a device known to use IMS is present is not known"
                )
            },
        );
        reasons.push(r.saw(
            Fact::PciDevices,
            if io.pci_listed {
                format!("{} functions, none known to use IMS", io.pci.len())
            } else {
                "unreadable".to_string()
            },
        ));
    }
    Ims {
        verdict: v,
        reasons,
        candidates,
    }
}

// ------------------------------------------------------------------ DMA

fn iommu_present(io: &IoFacts) -> Option<bool> {
    if !io.units.is_empty() || !io.groups.is_empty() || io.pci.iter().any(|d| d.group.is_some()) {
        Some(true)
    } else if io.units_listed || matches!(io.dmar, Got::Absent) && matches!(io.ivrs, Got::Absent) {
        Some(false)
    } else {
        None
    }
}

/// Why there is no IOMMU for DMA: none at all, or units described by firmware that the kernel
/// did not register for DMA (`intel_iommu=off`, `amd_iommu=off`, `iommu=off`, no driver).
fn no_iommu_reason(io: &IoFacts) -> String {
    let tables: Vec<&str> = [
        (io.dmar.get().is_some(), "DMAR"),
        (io.ivrs.get().is_some(), "IVRS"),
    ]
    .iter()
    .filter(|(p, _)| *p)
    .map(|(_, n)| *n)
    .collect();
    if tables.is_empty() {
        "no IOMMU: /sys/class/iommu lists no unit, no device is in an IOMMU group, and there is no DMAR or IVRS table".into()
    } else {
        format!(
            "no IOMMU in use for DMA: the {} table describes remapping hardware, but the kernel registered no unit in /sys/class/iommu and no IOMMU group (DMA translation off: intel_iommu=off, amd_iommu=off, or no driver)",
            tables.join(" and ")
        )
    }
}

fn no_iommu_facts(r: Reason, io: &IoFacts) -> Reason {
    r.saw(Fact::IommuUnits, "no unit")
        .saw(Fact::IommuGroup, "no group")
        .saw(
            Fact::DmarFlags,
            if io.dmar.get().is_some() {
                "present"
            } else {
                "absent"
            },
        )
        .saw(
            Fact::Ivrs,
            if io.ivrs.get().is_some() {
                "present"
            } else {
                "absent"
            },
        )
}

fn vfio_in_group(io: &IoFacts, d: &PciDev) -> Vec<String> {
    let Some(g) = &d.group else {
        return Vec::new();
    };
    io.pci
        .iter()
        .filter(|o| o.bdf != d.bdf && o.group.as_ref() == Some(g))
        .filter(|o| o.driver.as_deref() == Some("vfio-pci"))
        .map(|o| o.bdf.clone())
        .collect()
}

/// What the per-device DMA rows read.
struct DevCtx<'a> {
    io: &'a IoFacts,
    d: &'a PciDev,
    present: Option<bool>,
    vdev: Option<&'a iofacts::VirtioDev>,
}

impl DevCtx<'_> {
    fn group_path(&self) -> String {
        format!("{PCI_DEVICES}/{}/iommu_group", self.d.bdf)
    }
}

/// The IOMMU-group rows, in order: where a device's DMA goes by its group.
const GROUP_ROWS: &[GroupRow] = &[
    (&rules::DMA_IDENTITY, |r, c| {
        let g = c.d.group.as_ref()?;
        (c.io.group_type(g) == Some("identity")).then(|| {
            (
                Tri::No,
                DmaPath::Identity,
                Reason::of(
                    r,
                    format!(
                        "IOMMU group {g} has an identity domain (iommu.passthrough=1 / iommu=pt): DMA reaches memory untranslated"
                    ),
                )
                .read(Fact::IommuGroup, format!("{g} identity"), c.group_path()),
            )
        })
    }),
    (&rules::DMA_GROUP, |r, c| {
        let g = c.d.group.as_ref()?;
        let (text, ty) = match c.io.group_type(g) {
            Some(t) => (format!("IOMMU group {g}, domain type {t}"), t.to_string()),
            None => (
                format!("IOMMU group {g} (domain type not read)"),
                "type not read".to_string(),
            ),
        };
        Some((
            Tri::Yes,
            DmaPath::Iommu,
            Reason::of(r, text).read(Fact::IommuGroup, format!("{g} {ty}"), c.group_path()),
        ))
    }),
    (&rules::DMA_NO_IOMMU, |r, c| {
        (c.present == Some(false)).then(|| {
            (
                Tri::No,
                DmaPath::NoIommu,
                no_iommu_facts(
                    Reason::of(
                        r,
                        format!(
                            "{}: DMA goes straight to physical memory",
                            no_iommu_reason(c.io)
                        ),
                    ),
                    c.io,
                ),
            )
        })
    }),
    (&rules::DMA_VIOT_UNATTACHED, |r, c| {
        if c.present != Some(true) {
            return None;
        }
        let viot = c.io.viot.get()?;
        let (range, iommu) = viot.pci_iommu(&c.d.bdf)?;
        let iommu_name = match iommu {
            ViotNode::VirtioIommuPci { segment, bdf, .. } => {
                format!("the virtio-iommu at {}", acpi::bdf_name(*segment, *bdf))
            }
            ViotNode::VirtioIommuMmio { base_address, .. } => {
                format!("the virtio-iommu at MMIO {base_address:#x}")
            }
            _ => format!("the VIOT node at {:#x}", iommu.offset()),
        };
        let span = match range {
            ViotNode::PciRange {
                segment_start,
                bdf_start,
                segment_end,
                bdf_end,
                ..
            } => format!(
                "{}–{}",
                acpi::bdf_name(*segment_start, *bdf_start),
                acpi::bdf_name(*segment_end, *bdf_end)
            ),
            _ => String::new(),
        };
        Some((
            Tri::Unknown,
            DmaPath::Unknown,
            Reason::of(
                r,
                format!(
                    "{ACPI_VIOT}: behind {iommu_name} (PCI range node at {:#x}: {span}), but in no IOMMU group: not attached yet (Linux attaches a VIOT endpoint when a driver probes it: acpi_dma_configure() → viot_iommu_configure(); driver: {}); until then the virtio-iommu's bypass setting decides",
                    range.offset(),
                    c.d.driver.as_deref().unwrap_or("none")
                ),
            )
            .saw(Fact::Viot, format!("range {:#x} {span} → {:#x}", range.offset(), iommu.offset()))
            .read(Fact::IommuGroup, "no group", c.group_path()),
        ))
    }),
    (&rules::DMA_NO_GROUP, |r, c| {
        (c.present == Some(true)).then(|| {
            (
                Tri::Unknown,
                DmaPath::Unknown,
                Reason::of(r, "IOMMUs exist but this device is in no IOMMU group").read(
                    Fact::IommuGroup,
                    "no group",
                    c.group_path(),
                ),
            )
        })
    }),
    (&rules::DMA_UNOBSERVED, |r, _| {
        Some((
            Tri::Unknown,
            DmaPath::Unknown,
            Reason::of(r, "whether an IOMMU exists was not observed")
                .saw(Fact::IommuUnits, "not observed"),
        ))
    }),
];

/// What a virtio PCI device's own features decide.
enum VirtioPath {
    /// The features decide.
    Decided(Tri, DmaPath, Reason),
    /// The device honours the platform IOMMU: its group decides.
    Group(Reason),
}

/// The virtio rows, in order: a virtio PCI device's negotiated features.
const VIRTIO_ROWS: &[VirtioRow] = &[
    (&rules::DMA_VIRTIO_LEGACY, |r, c| {
        let v = c.vdev?;
        let f = v.features.as_ref()?;
        (!f.has(F_VERSION_1)).then(|| {
            VirtioPath::Decided(
                Tri::No,
                DmaPath::Bypass,
                Reason::of(
                    r,
                    format!(
                        "virtio {} negotiated without VERSION_1 (bit 32): a legacy device, which uses guest-physical addresses and bypasses any IOMMU",
                        v.name
                    ),
                )
                .read(
                    Fact::VirtioFeatures,
                    "VERSION_1=0",
                    format!("{VIRTIO_DEVICES}/{}/features", v.name),
                ),
            )
        })
    }),
    (&rules::DMA_VIRTIO_NO_AP, |r, c| {
        let v = c.vdev?;
        let f = v.features.as_ref()?;
        (!f.has(F_ACCESS_PLATFORM)).then(|| {
            VirtioPath::Decided(
                Tri::No,
                DmaPath::Bypass,
                Reason::of(
                    r,
                    format!(
                        "virtio {}: ACCESS_PLATFORM (bit 33) not negotiated: the device bypasses the IOMMU (Linux vring_use_dma_api() false)",
                        v.name
                    ),
                )
                .read(
                    Fact::VirtioFeatures,
                    "VERSION_1=1 ACCESS_PLATFORM=0",
                    format!("{VIRTIO_DEVICES}/{}/features", v.name),
                ),
            )
        })
    }),
    (&rules::DMA_VIRTIO_AP, |r, c| {
        let v = c.vdev?;
        v.features.as_ref()?;
        Some(VirtioPath::Group(
            Reason::of(
                r,
                format!(
                    "virtio {}: VERSION_1 and ACCESS_PLATFORM negotiated: the device honours the platform IOMMU",
                    v.name
                ),
            )
            .read(
                Fact::VirtioFeatures,
                "VERSION_1=1 ACCESS_PLATFORM=1",
                format!("{VIRTIO_DEVICES}/{}/features", v.name),
            ),
        ))
    }),
    (&rules::DMA_VIRTIO_NO_DRIVER, |r, c| {
        let dev = c.d.device.unwrap_or(0);
        let driver = c.d.driver.as_deref().unwrap_or("none");
        Some(VirtioPath::Decided(
            Tri::Unknown,
            DmaPath::Unknown,
            Reason::of(
                r,
                format!(
                    "virtio PCI device 1af4:{dev:04x} ({}) without a virtio driver bound (driver: {driver}): its ACCESS_PLATFORM bit is not visible",
                    match virtio::pci_interface(virtio::VENDOR, dev) {
                        Some(virtio::PciInterface::Modern) => "modern-only",
                        _ => "transitional: may run as a legacy device",
                    },
                ),
            )
            .read(
                Fact::PciDevices,
                format!("1af4:{dev:04x}"),
                format!("{PCI_DEVICES}/{}", c.d.bdf),
            )
            .read(
                Fact::PciDriver,
                driver,
                format!("{PCI_DEVICES}/{}/driver", c.d.bdf),
            ),
        ))
    }),
];

fn dma_pci(io: &IoFacts, d: &PciDev, present: Option<bool>) -> DmaEntry {
    let mut reasons = Vec::new();
    let vfio = d.driver.as_deref() == Some("vfio-pci");
    let is_virtio = d.vendor == Some(virtio::VENDOR)
        && d.device
            .is_some_and(|x| virtio::pci_interface(virtio::VENDOR, x).is_some());
    let ctx = DevCtx {
        io,
        d,
        present,
        vdev: io
            .virtio
            .iter()
            .find(|v| v.pci_parent.as_deref() == Some(d.bdf.as_str())),
    };
    let by_group = |reasons: &mut Vec<Reason>| {
        let Some((t, p, r)) = first(GROUP_ROWS, &ctx) else {
            unreachable!("the last group row always answers")
        };
        reasons.push(r);
        (t, p)
    };
    let (verdict, path) = if is_virtio {
        match first(VIRTIO_ROWS, &ctx) {
            Some(VirtioPath::Decided(t, p, r)) => {
                reasons.push(r);
                (t, p)
            }
            Some(VirtioPath::Group(r)) => {
                reasons.push(r);
                by_group(&mut reasons)
            }
            None => unreachable!("the last virtio row always answers"),
        }
    } else {
        by_group(&mut reasons)
    };
    let mut hazard = false;
    let driver_fact = |r: Reason| {
        r.read(
            Fact::PciDriver,
            d.driver.clone().unwrap_or_else(|| "none".into()),
            format!("{PCI_DEVICES}/{}/driver", d.bdf),
        )
    };
    if matches!(path, DmaPath::Bypass | DmaPath::Unknown) && is_virtio {
        let peers = vfio_in_group(io, d);
        let how = if path == DmaPath::Bypass {
            "bypasses"
        } else {
            "may bypass"
        };
        if vfio {
            hazard = true;
            reasons.push(driver_fact(Reason::of(
                &rules::DMA_HAZARD,
                format!(
                    "HAZARD: bound to vfio-pci while its DMA {how} the IOMMU: assigning it to a nested guest or userspace driver lets it write any memory (seed 003)"
                ),
            )));
        } else if !peers.is_empty() {
            hazard = true;
            reasons.push(
                Reason::of(
                    &rules::DMA_HAZARD,
                    format!(
                        "HAZARD: shares its IOMMU group with device(s) bound to vfio-pci ({}) while its DMA {how} the IOMMU",
                        peers.join(", "),
                    ),
                )
                .read(
                    Fact::IommuGroup,
                    format!(
                        "group {} with vfio-pci {}",
                        d.group.as_deref().unwrap_or("?"),
                        peers.join(", ")
                    ),
                    format!("{PCI_DEVICES}/{}/iommu_group", d.bdf),
                ),
            );
        }
    }
    if vfio && !hazard {
        reasons.push(driver_fact(Reason::of(
            &rules::DMA_VFIO,
            "bound to vfio-pci",
        )));
    }
    DmaEntry {
        device: d.bdf.clone(),
        verdict,
        path,
        hazard,
        reasons,
    }
}

fn decide_dma(io: &IoFacts) -> Vec<DmaEntry> {
    let present = iommu_present(io);
    let mut out: Vec<DmaEntry> = io.pci.iter().map(|d| dma_pci(io, d, present)).collect();
    let r = &rules::DMA_VIRTIO_OTHER;
    for v in io.virtio.iter().filter(|v| v.pci_parent.is_none()) {
        let at = format!("{VIRTIO_DEVICES}/{}", v.name);
        let feat = format!("{at}/features");
        let mut reasons = vec![
            Reason::of(
                r,
                format!("virtio {} on the {} transport", v.name, v.transport),
            )
            .read(Fact::VirtioTransport, v.transport, at.clone()),
        ];
        let (verdict, path) = match &v.features {
            Some(f) if !f.has(F_VERSION_1) || !f.has(F_ACCESS_PLATFORM) => {
                let bits = format!(
                    "VERSION_1 = {}, ACCESS_PLATFORM = {}",
                    u8::from(f.has(F_VERSION_1)),
                    u8::from(f.has(F_ACCESS_PLATFORM))
                );
                reasons.push(
                    Reason::of(r, format!("{bits}: the device bypasses any IOMMU")).read(
                        Fact::VirtioFeatures,
                        bits.replace(" = ", "="),
                        feat,
                    ),
                );
                (Tri::No, DmaPath::Bypass)
            }
            Some(_) if present == Some(false) => {
                reasons.push(no_iommu_facts(
                    Reason::of(r, "ACCESS_PLATFORM negotiated, but there is no IOMMU").read(
                        Fact::VirtioFeatures,
                        "VERSION_1=1 ACCESS_PLATFORM=1",
                        feat,
                    ),
                    io,
                ));
                (Tri::No, DmaPath::NoIommu)
            }
            Some(_) => {
                reasons.push(
                    Reason::of(
                        r,
                        "ACCESS_PLATFORM negotiated; the IOMMU group of a non-PCI device is not read",
                    )
                    .read(Fact::VirtioFeatures, "VERSION_1=1 ACCESS_PLATFORM=1", feat),
                );
                (Tri::Unknown, DmaPath::Unknown)
            }
            None => {
                reasons.push(Reason::of(r, "features not readable").read(
                    Fact::VirtioFeatures,
                    "not readable",
                    feat,
                ));
                (Tri::Unknown, DmaPath::Unknown)
            }
        };
        out.push(DmaEntry {
            device: v.name.clone(),
            verdict,
            path,
            hazard: false,
            reasons,
        });
    }
    out
}

// ------------------------------------------------------------------ PASID

/// What the PASID verdict rows read.
struct PasidCtx<'a> {
    io: &'a IoFacts,
    iommu_units: &'a [String],
    iommu_unknown: bool,
    devices: &'a [String],
    dev_unknown: usize,
}

/// The PASID verdict rows, in order.
const PASID_ROWS: &[PasidRow] = &[
    (&rules::PASID_YES, |_, c| {
        (!c.iommu_units.is_empty() && !c.devices.is_empty()).then_some((Tri::Yes, None))
    }),
    (&rules::PASID_NO_UNIT, |r, c| {
        if !c.iommu_units.is_empty() || c.iommu_unknown {
            return None;
        }
        let present = iommu_present(c.io);
        let text = match (c.io.units.is_empty(), present) {
            (true, Some(false)) => no_iommu_reason(c.io),
            (true, _) => "no IOMMU unit register readable to show PASID support".into(),
            _ => "no IOMMU unit advertises PASID".into(),
        };
        let verdict = if c.io.units.is_empty() && present != Some(false) {
            Tri::Unknown
        } else {
            Tri::No
        };
        let reason = Reason::of(r, text);
        let reason = if c.io.units.is_empty() && present == Some(false) {
            no_iommu_facts(reason, c.io)
        } else {
            reason.saw(
                Fact::IommuUnits,
                format!("{} unit(s), none advertising PASID", c.io.units.len()),
            )
        };
        Some((verdict, Some(reason)))
    }),
    (&rules::PASID_NO_DEVICE, |r, c| {
        (c.devices.is_empty() && c.dev_unknown == 0).then(|| {
            (
                Tri::No,
                Some(
                    Reason::of(r, "no device has the PCIe PASID capability").saw(
                        Fact::PciConfig,
                        format!(
                            "{} function(s) read, none with the PASID capability",
                            c.io.pci.len()
                        ),
                    ),
                ),
            )
        })
    }),
    (&rules::PASID_UNIT_UNREAD, |r, c| {
        Some((
            Tri::Unknown,
            c.iommu_unknown.then(|| {
                Reason::of(r, "some IOMMU unit's PASID support is not readable here")
                    .saw(Fact::IommuUnits, "a unit without readable PASID fields")
            }),
        ))
    }),
];

fn decide_pasid(io: &IoFacts) -> PasidReadiness {
    let mut reasons = Vec::new();
    let mut iommu_units = Vec::new();
    let mut iommu_unknown = false;
    for u in &io.units {
        match u.kind {
            UnitKind::IntelVtd => match (u.get(vtd::ecap::PASID), u.get(vtd::ecap::SMTS)) {
                (Some(p), Some(s)) => {
                    let text = if (p, s) == (1, 1) {
                        iommu_units.push(u.name.clone());
                        format!(
                            "{}: ECAP.PASID = 1 and ECAP.SMTS = 1 (scalable mode; Linux pasid_supported() also needs intel_iommu=sm_on or the default-on config)",
                            u.name
                        )
                    } else {
                        format!("{}: ECAP.PASID = {p}, ECAP.SMTS = {s}: no PASID", u.name)
                    };
                    reasons.push(
                        Reason::of(&rules::PASID_VTD, text)
                            .read(
                                Fact::VtdEcap(vtd::ecap::PASID),
                                p.to_string(),
                                u.register_path("ecap"),
                            )
                            .read(
                                Fact::VtdEcap(vtd::ecap::SMTS),
                                s.to_string(),
                                u.register_path("ecap"),
                            ),
                    );
                }
                _ => iommu_unknown = true,
            },
            UnitKind::Amd => match (
                u.get(amd::efr::GTSUP),
                u.get(amd::efr::PPRSUP),
                u.get(amd::efr::PASMAX),
            ) {
                (Some(g), Some(p), Some(m)) => {
                    let text = if g == 1 && p == 1 && m > 0 {
                        iommu_units.push(u.name.clone());
                        format!("{}: EFR GTSup = 1, PPRSup = 1, PASmax = {m}", u.name)
                    } else {
                        format!(
                            "{}: EFR GTSup = {g}, PPRSup = {p}, PASmax = {m}: no PASID",
                            u.name
                        )
                    };
                    let at = u.register_path("features");
                    reasons.push(
                        Reason::of(&rules::PASID_AMD, text)
                            .read(Fact::AmdEfr(amd::efr::GTSUP), g.to_string(), at.clone())
                            .read(Fact::AmdEfr(amd::efr::PPRSUP), p.to_string(), at.clone())
                            .read(Fact::AmdEfr(amd::efr::PASMAX), m.to_string(), at),
                    );
                }
                _ => iommu_unknown = true,
            },
            UnitKind::ArmSmmu => iommu_unknown = true,
            _ => {}
        }
    }
    let mut devices = Vec::new();
    let mut dev_unknown = 0;
    for d in &io.pci {
        match &d.config {
            Some(c) if c.extended_read => {
                if let Some(p) = c.pasid {
                    devices.push(format!("{} width={}", d.bdf, p.max_width));
                }
            }
            // All 256 bytes of a function without extended space (conventional PCI): no PASID.
            Some(c) if c.len == crate::parse::pci_config::CFG_SPACE_SIZE => {}
            _ => dev_unknown += 1,
        }
    }
    if !devices.is_empty() {
        reasons.push(
            Reason::of(
                &rules::PASID_DEVICES,
                format!(
                    "devices with the PCIe PASID capability: {}",
                    devices.join(", ")
                ),
            )
            .saw(Fact::PciConfig, devices.join(", ")),
        );
    }
    if !io.pci_listed {
        dev_unknown += 1;
        reasons.push(
            Reason::of(
                &rules::PASID_UNLISTED,
                "the PCI device list was not read: devices' PASID capability is not known",
            )
            .saw(Fact::PciDevices, "unreadable"),
        );
    }
    if dev_unknown > 0 && io.pci_listed {
        reasons.push(
            Reason::of(
                &rules::PASID_CFG_UNREAD,
                format!(
                    "{dev_unknown} device(s) without extended config space read (4 KiB needs root): their PASID capability is not known"
                ),
            )
            .saw(Fact::PciConfig, format!("{dev_unknown} without extended space")),
        );
    }
    let ctx = PasidCtx {
        io,
        iommu_units: &iommu_units,
        iommu_unknown,
        devices: &devices,
        dev_unknown,
    };
    let Some((verdict, last)) = first(PASID_ROWS, &ctx) else {
        unreachable!("the last PASID row always answers")
    };
    reasons.extend(last);
    PasidReadiness {
        verdict,
        reasons,
        iommu_units,
        devices,
    }
}

/// Decides every capability for a capture, given where it runs.
pub fn decide(io: &IoFacts, verdict: &Verdict) -> Capabilities {
    let interrupt_remapping = decide_ir(io, verdict);
    let ims = decide_ims(io, verdict, &interrupt_remapping);
    Capabilities {
        ims,
        dma: decide_dma(io),
        pasid: decide_pasid(io),
        interrupt_remapping,
        iommu_units: io.units.clone(),
        malformed: io.malformed.clone(),
        facts: io.facts(),
    }
}

/// Gathers the facts of a capture and decides.
pub fn build(c: &crate::input::capture::Capture, verdict: &Verdict) -> Capabilities {
    decide(&iofacts::gather(c), verdict)
}

/// Every rule the decision tables walk (for the test that the catalog lists them all).
#[cfg(test)]
pub(crate) fn table_rules() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = IR_ROWS.iter().map(|(r, _)| r.id).collect();
    v.extend(IMS_ROWS.iter().map(|(r, _)| r.id));
    v.extend(GROUP_ROWS.iter().map(|(r, _)| r.id));
    v.extend(VIRTIO_ROWS.iter().map(|(r, _)| r.id));
    v.extend(PASID_ROWS.iter().map(|(r, _)| r.id));
    v
}

#[cfg(test)]
mod tests {
    //! The decision table over synthetic captures: each test sets the few inputs a branch needs.
    use super::*;
    use crate::detect::Verdict;
    use crate::input::capture::{Capture, DirEntry, FileRead, Listing};
    use crate::input::plan::{ACPI_VIOT, KERNEL_LOG, S390_SYSINFO};

    fn verdict(kind: Kind) -> Verdict {
        Verdict {
            kind,
            hypervisor: None,
            product: None,
            cloud: None,
            presents: Vec::new(),
            summary: String::new(),
            decided_by: Vec::new(),
        }
    }

    #[derive(Default)]
    struct B(Capture);

    impl B {
        fn file(mut self, p: &str, data: &[u8]) -> Self {
            self.0.files.insert(
                p.into(),
                FileRead::Data {
                    bytes: data.to_vec(),
                    truncated: false,
                },
            );
            self
        }
        fn list(mut self, dir: &str, names: &[(&str, Option<&str>)]) -> Self {
            self.0.dirs.insert(
                dir.into(),
                Listing::Entries(
                    names
                        .iter()
                        .map(|(n, l)| DirEntry {
                            name: (*n).into(),
                            link: l.map(str::to_string),
                        })
                        .collect(),
                ),
            );
            self
        }
        fn link(mut self, p: &str, t: &str) -> Self {
            self.0.links.insert(p.into(), Some(t.into()));
            self
        }
        fn interrupts(self, chips: &[&str]) -> Self {
            let mut t = String::from("           CPU0\n");
            for (i, c) in chips.iter().enumerate() {
                t.push_str(&format!(" {}: 1 {c} 0-edge dev\n", 24 + i));
            }
            self.file(PROC_INTERRUPTS, t.as_bytes())
        }
        fn vtd(self, name: &str, cap: u64, ecap: u64) -> Self {
            let b = format!("/sys/class/iommu/{name}/intel-iommu");
            self.file(&format!("{b}/cap"), format!("{cap:x}\n").as_bytes())
                .file(&format!("{b}/ecap"), format!("{ecap:x}\n").as_bytes())
        }
        fn build(self, k: Kind) -> Capabilities {
            build(&self.0, &verdict(k))
        }
    }

    const IR: u64 = 1 << 3;
    const EIM: u64 = 1 << 4;
    const CM: u64 = 1 << 7;
    const PASID: u64 = 1 << 40;
    const SMTS: u64 = 1 << 43;

    fn units<'a>(names: &[&'a str]) -> Vec<(&'a str, Option<&'a str>)> {
        names.iter().map(|n| (*n, None)).collect()
    }

    #[test]
    fn ims_needs_real_ir_on_bare_metal() {
        let base = || {
            B::default()
                .interrupts(&["IR-PCI-MSIX-0000:00:14.3", "IR-IO-APIC"])
                .list("/sys/class/iommu", &units(&["dmar0"]))
        };
        let c = base().vtd("dmar0", 0, IR | EIM).build(Kind::BareMetal);
        assert_eq!(c.interrupt_remapping.verdict, Tri::Yes);
        assert_eq!(c.interrupt_remapping.is_virtual, Some(false));
        assert_eq!(c.ims.verdict, Tri::Yes);
        // Caching mode: a virtual unit, IMS no even on a "bare metal" verdict.
        let c = base().vtd("dmar0", CM, IR | EIM).build(Kind::BareMetal);
        assert_eq!(c.interrupt_remapping.is_virtual, Some(true));
        assert_eq!(c.ims.verdict, Tri::No);
        // CM = 0 in a VM (QEMU caching-mode=off): still no.
        let c = base().vtd("dmar0", 0, IR | EIM).build(Kind::VirtualMachine);
        assert_eq!(c.ims.verdict, Tri::No);
        // Undecided verdict: the unit alone grants nothing.
        let c = base().vtd("dmar0", 0, IR | EIM).build(Kind::Unknown);
        assert_eq!(c.ims.verdict, Tri::Unknown);
        // No register readable: unknown.
        let c = B::default()
            .interrupts(&["IR-PCI-MSI"])
            .build(Kind::BareMetal);
        assert_eq!(c.ims.verdict, Tri::Unknown);
    }

    #[test]
    fn vector_domain_never_grants_ims() {
        let c = B::default()
            .interrupts(&["PCI-MSIX-0000:00:03.0", "IO-APIC"])
            .list("/sys/class/iommu", &units(&["dmar0"]))
            .vtd("dmar0", 0, IR)
            .build(Kind::BareMetal);
        assert_eq!(c.interrupt_remapping.verdict, Tri::No);
        assert_eq!(c.ims.verdict, Tri::No);
        assert!(
            c.interrupt_remapping
                .reasons
                .iter()
                .any(|r| r.text.contains("did not enable")),
            "{:?}",
            c.interrupt_remapping.reasons
        );
    }

    #[test]
    fn virtual_ir_chip_and_ioapic_only_remapping() {
        let c = B::default()
            .interrupts(&["vIR-PCI-MSIX-0000:00:03.0"])
            .build(Kind::BareMetal);
        assert_eq!(c.interrupt_remapping.verdict, Tri::Yes);
        assert_eq!(c.interrupt_remapping.is_virtual, Some(true));
        assert_eq!(c.ims.verdict, Tri::No);
        let c = B::default()
            .interrupts(&["HYPERV-IR", "PCI-MSI-0000:00:02.0"])
            .build(Kind::Unknown);
        assert_eq!(c.interrupt_remapping.verdict, Tri::Yes);
        assert_eq!(c.ims.verdict, Tri::No, "{:?}", c.ims.reasons);
    }

    #[test]
    fn ims_candidates_by_id_and_by_siov_dvsec() {
        let mut cfg = vec![0u8; 4096];
        cfg[0..2].copy_from_slice(&0x8086u16.to_le_bytes());
        cfg[2..4].copy_from_slice(&0x1234u16.to_le_bytes());
        cfg[0x100..0x104].copy_from_slice(&(0x23u32 | (1 << 16)).to_le_bytes());
        cfg[0x104..0x108].copy_from_slice(&(0x8086u32 | (0x18 << 20)).to_le_bytes());
        cfg[0x108..0x10a].copy_from_slice(&5u16.to_le_bytes());
        cfg[0x114] = 1;
        let d = "/sys/bus/pci/devices";
        let c = B::default()
            .list(d, &units(&["0000:6a:01.0", "0000:6b:01.0"]))
            .file(&format!("{d}/0000:6a:01.0/vendor"), b"0x8086\n")
            .file(&format!("{d}/0000:6a:01.0/device"), b"0x0b25\n")
            .file(&format!("{d}/0000:6b:01.0/config"), &cfg)
            .build(Kind::BareMetal);
        let ids: Vec<&str> = c.ims.candidates.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["8086:0b25", "8086:1234"]);
    }

    #[test]
    fn pasid_needs_both_sides() {
        let mut cfg = vec![0u8; 4096];
        cfg[0..2].copy_from_slice(&0x8086u16.to_le_bytes());
        cfg[0x100..0x104].copy_from_slice(&0x1bu32.to_le_bytes());
        cfg[0x104..0x106].copy_from_slice(&0x1400u16.to_le_bytes());
        let d = "/sys/bus/pci/devices";
        let with = |ecap: u64| {
            B::default()
                .list("/sys/class/iommu", &units(&["dmar0"]))
                .vtd("dmar0", 0, ecap)
                .list(d, &units(&["0000:00:01.0"]))
                .file(&format!("{d}/0000:00:01.0/config"), &cfg)
                .build(Kind::BareMetal)
        };
        let c = with(PASID | SMTS);
        assert_eq!(c.pasid.verdict, Tri::Yes);
        assert_eq!(c.pasid.devices, ["0000:00:01.0 width=20"]);
        assert_eq!(with(PASID).pasid.verdict, Tri::No);
        assert_eq!(with(SMTS).pasid.verdict, Tri::No);
    }

    #[test]
    fn dma_identity_domain_and_group_hazard() {
        let d = "/sys/bus/pci/devices";
        let mut legacy = "0".repeat(64);
        legacy.replace_range(0..1, "1");
        let c = B::default()
            .list("/sys/kernel/iommu_groups", &units(&["3", "4"]))
            .file("/sys/kernel/iommu_groups/3/type", b"identity\n")
            .file("/sys/kernel/iommu_groups/4/type", b"DMA\n")
            .list(d, &units(&["0000:00:02.0", "0000:00:03.0", "0000:00:04.0"]))
            .file(&format!("{d}/0000:00:02.0/vendor"), b"0x8086\n")
            .file(&format!("{d}/0000:00:02.0/device"), b"0x1533\n")
            .link(
                &format!("{d}/0000:00:02.0/iommu_group"),
                "../../../kernel/iommu_groups/3",
            )
            .file(&format!("{d}/0000:00:03.0/vendor"), b"0x1af4\n")
            .file(&format!("{d}/0000:00:03.0/device"), b"0x1000\n")
            .link(
                &format!("{d}/0000:00:03.0/iommu_group"),
                "../../../kernel/iommu_groups/4",
            )
            .link(
                &format!("{d}/0000:00:03.0/driver"),
                "../../../bus/pci/drivers/virtio-pci",
            )
            .file(&format!("{d}/0000:00:04.0/vendor"), b"0x8086\n")
            .file(&format!("{d}/0000:00:04.0/device"), b"0x10d3\n")
            .link(
                &format!("{d}/0000:00:04.0/iommu_group"),
                "../../../kernel/iommu_groups/4",
            )
            .link(
                &format!("{d}/0000:00:04.0/driver"),
                "../../../bus/pci/drivers/vfio-pci",
            )
            .list(
                "/sys/bus/virtio/devices",
                &[(
                    "virtio0",
                    Some("../../../devices/pci0000:00/0000:00:03.0/virtio0"),
                )],
            )
            .file(
                "/sys/bus/virtio/devices/virtio0/features",
                legacy.as_bytes(),
            )
            .build(Kind::VirtualMachine);
        let e = |n: &str| c.dma.iter().find(|x| x.device == n).unwrap();
        assert_eq!(
            (e("0000:00:02.0").path, e("0000:00:02.0").verdict),
            (DmaPath::Identity, Tri::No)
        );
        assert_eq!(e("0000:00:03.0").path, DmaPath::Bypass);
        assert!(e("0000:00:03.0").hazard, "{:?}", e("0000:00:03.0").reasons);
        assert_eq!(
            (e("0000:00:04.0").path, e("0000:00:04.0").hazard),
            (DmaPath::Iommu, false)
        );
    }

    #[test]
    fn arm_its_is_not_x86_remapping() {
        let c = B::default()
            .interrupts(&["ITS-MSI", "GICv3"])
            .build(Kind::BareMetal);
        assert_eq!(c.interrupt_remapping.verdict, Tri::No);
        assert!(c.interrupt_remapping.reasons[0].text.contains("ITS"));
        // Linux 6.x names per-device MSI domains under the ITS `ITS-PCI-MSIX-<bdf>`.
        let c = B::default()
            .interrupts(&["ITS-PCI-MSIX-0000:00:01.0", "GICv3"])
            .build(Kind::VirtualMachine);
        assert_eq!(c.interrupt_remapping.verdict, Tri::No);
        assert!(
            c.interrupt_remapping.reasons[0].text.contains("GIC ITS"),
            "{:?}",
            c.interrupt_remapping.reasons
        );
    }

    #[test]
    fn a_dmar_without_intr_remap_proves_no_remapping() {
        use crate::parse::acpi::tests::{dmar_body, table};
        let with =
            |flags: u8| B::default().file(ACPI_DMAR, &table(b"DMAR", &dmar_body(flags), b"INTEL "));
        // /proc/interrupts not captured: INTR_REMAP = 0 still decides.
        let ir = with(0x00).build(Kind::BareMetal).interrupt_remapping;
        assert_eq!(ir.verdict, Tri::No, "{:?}", ir.reasons);
        assert!(
            ir.reasons[0].text.contains("INTR_REMAP = 0"),
            "{:?}",
            ir.reasons
        );
        assert_eq!(
            with(0x01)
                .build(Kind::BareMetal)
                .interrupt_remapping
                .verdict,
            Tri::Unknown
        );
        // Hyper-V remaps without a DMAR flag (hyperv-iommu.c), and an AMD IVRS has its own.
        let mut v = verdict(Kind::VirtualMachine);
        v.hypervisor = Some(crate::detect::ids::Hypervisor::Hyperv);
        assert_eq!(
            build(&with(0x00).0, &v).interrupt_remapping.verdict,
            Tri::Unknown
        );
    }

    #[test]
    fn ims_does_not_claim_no_device_when_the_pci_list_was_not_read() {
        let mut b = B::default();
        b.0.dirs.insert(
            PCI_DEVICES.into(),
            Listing::Unreadable("permission denied".into()),
        );
        let ims = b.build(Kind::BareMetal).ims;
        assert!(
            ims.reasons
                .iter()
                .all(|r| r.text != "no device known to use IMS is present"),
            "{:?}",
            ims.reasons
        );
        assert!(
            ims.reasons
                .iter()
                .any(|r| r.text.contains("could not be listed"))
        );
        let ims = B::default().build(Kind::BareMetal).ims;
        assert!(
            ims.reasons
                .iter()
                .any(|r| r.text == "no device known to use IMS is present")
        );
    }

    #[test]
    fn every_table_row_is_a_listed_rule_and_every_reason_names_one() {
        let listed: Vec<&str> = rules::CAP_RULES.iter().map(|r| r.id).collect();
        for id in table_rules() {
            assert!(listed.contains(&id), "{id} is walked but not listed");
        }
        // An empty capture reaches the last row of every table, and each reason names a listed
        // rule and what it read.
        let c = B::default().build(Kind::Unknown);
        let all = c
            .interrupt_remapping
            .reasons
            .iter()
            .chain(&c.ims.reasons)
            .chain(&c.pasid.reasons);
        for r in all {
            assert!(listed.contains(&r.rule), "{r:?}");
            assert!(!r.facts.is_empty(), "{r:?}");
        }
        assert_eq!(
            c.interrupt_remapping.reasons[0].rule,
            rules::IR_UNOBSERVED.id
        );
    }

    #[test]
    fn s390_has_no_remapping_unit_and_its_msis_are_isolated() {
        let s390 = B::default()
            .file(
                PROC_INTERRUPTS,
                b"           CPU0\nEXT:       1166\nI/O:        181\n",
            )
            .file(S390_SYSINFO, b"Manufacturer:         QEMU\n")
            .build(Kind::VirtualMachine);
        assert_eq!(s390.interrupt_remapping.verdict, Tri::No);
        assert_eq!(s390.interrupt_remapping.reasons[0].rule, rules::IR_S390.id);
        assert_eq!(s390.ims.verdict, Tri::No);
        assert_eq!(s390.ims.reasons[0].rule, rules::IMS_NOT_X86.id);
        // The same /proc/interrupts without /proc/sysinfo decides nothing.
        let other = B::default()
            .file(PROC_INTERRUPTS, b"           CPU0\nEXT:       1166\n")
            .build(Kind::VirtualMachine);
        assert_eq!(other.interrupt_remapping.verdict, Tri::Unknown);
        // ITS: no x86 remapping, MSI isolation said as its own row.
        let its = B::default()
            .interrupts(&["ITS-PCI-MSIX-0000:00:01.0", "GICv3"])
            .build(Kind::VirtualMachine);
        let ids: Vec<&str> = its
            .interrupt_remapping
            .reasons
            .iter()
            .map(|r| r.rule)
            .collect();
        assert_eq!(ids, [rules::IR_ITS.id, rules::IR_ITS_ISOLATED.id]);
    }

    #[test]
    fn a_vtd_reason_names_the_register_field_it_read() {
        let c = B::default()
            .interrupts(&["IR-PCI-MSIX-0000:00:14.3"])
            .list("/sys/class/iommu", &units(&["dmar0"]))
            .vtd("dmar0", CM, IR)
            .build(Kind::BareMetal);
        let cm = c
            .interrupt_remapping
            .reasons
            .iter()
            .find(|r| r.rule == rules::REAL_CM.id)
            .unwrap();
        assert_eq!(cm.facts[0].fact, "CAP.CM");
        assert_eq!(cm.facts[0].value, "1");
        assert_eq!(cm.facts[0].source, "/sys/class/iommu/dmar0/intel-iommu/cap");
        // EIM = 0 decides xAPIC, and says which register it read.
        let mode = c
            .interrupt_remapping
            .reasons
            .iter()
            .find(|r| r.rule == rules::MODE_EIM0.id)
            .unwrap();
        assert_eq!(
            (mode.facts[0].fact, mode.facts[0].value.as_str()),
            ("ECAP.EIM", "0")
        );
        assert_eq!(c.interrupt_remapping.mode, "xapic");
    }

    #[test]
    fn pasid_is_no_without_a_device_capability_whatever_the_smmu() {
        let mut cfg = vec![0u8; 4096];
        cfg[0..2].copy_from_slice(&0x1af4u16.to_le_bytes());
        cfg[2..4].copy_from_slice(&0x1041u16.to_le_bytes());
        let d = "/sys/bus/pci/devices";
        let c = B::default()
            .list("/sys/class/iommu", &[("smmu3.0x0000000009050000", None)])
            .list(d, &units(&["0000:00:01.0"]))
            .file(&format!("{d}/0000:00:01.0/config"), &cfg)
            .build(Kind::VirtualMachine);
        assert_eq!(c.pasid.verdict, Tri::No, "{:?}", c.pasid.reasons);
        assert_eq!(
            c.pasid.reasons.last().map(|r| r.rule),
            Some(rules::PASID_NO_DEVICE.id)
        );
        // With the device's extended space unread the SMMU's support decides: unknown.
        let c = B::default()
            .list("/sys/class/iommu", &[("smmu3.0x0000000009050000", None)])
            .list(d, &units(&["0000:00:01.0"]))
            .file(&format!("{d}/0000:00:01.0/config"), &cfg[..64])
            .build(Kind::VirtualMachine);
        assert_eq!(c.pasid.verdict, Tri::Unknown);
    }

    /// The QEMU 10 virtio-iommu guest (tests/fixtures/qemu10-virtio-iommu) with its real VIOT
    /// (guest-raw/, captured beside the snapshot) put where the plan now reads it: the functions
    /// no driver probed are named as behind the virtio-iommu and not attached.
    #[test]
    fn viot_names_the_endpoints_behind_the_virtio_iommu() {
        let top = format!(
            "{}/../../tests/fixtures/qemu10-virtio-iommu",
            env!("CARGO_MANIFEST_DIR")
        );
        let viot = std::fs::read(format!(
            "{top}/guest-raw/sys__firmware__acpi__tables__VIOT.file"
        ))
        .unwrap();
        let mut b = B::default()
            .file(ACPI_VIOT, &viot)
            .list(
                "/sys/class/iommu",
                &[(
                    "virtio0",
                    Some("../../devices/pci0000:00/0000:00:02.0/virtio0/iommu/virtio0"),
                )],
            )
            .list("/sys/kernel/iommu_groups", &units(&["0"]))
            .file("/sys/kernel/iommu_groups/0/type", b"DMA\n")
            .list(PCI_DEVICES, &units(&["0000:00:01.0", "0000:00:03.0"]))
            .file(&format!("{PCI_DEVICES}/0000:00:01.0/vendor"), b"0x1234\n")
            .file(&format!("{PCI_DEVICES}/0000:00:01.0/device"), b"0x1111\n")
            .file(&format!("{PCI_DEVICES}/0000:00:03.0/vendor"), b"0x8086\n")
            .file(&format!("{PCI_DEVICES}/0000:00:03.0/device"), b"0x10d3\n")
            .link(
                &format!("{PCI_DEVICES}/0000:00:03.0/iommu_group"),
                "../../../kernel/iommu_groups/0",
            );
        b.0.dirs
            .entry(PCI_DEVICES.into())
            .or_insert(Listing::Entries(Vec::new()));
        let c = b.build(Kind::VirtualMachine);
        let e = |n: &str| c.dma.iter().find(|x| x.device == n).unwrap();
        let vga = e("0000:00:01.0");
        assert_eq!((vga.verdict, vga.path), (Tri::Unknown, DmaPath::Unknown));
        assert_eq!(vga.reasons[0].rule, rules::DMA_VIOT_UNATTACHED.id);
        assert!(
            vga.reasons[0]
                .text
                .contains("the virtio-iommu at 0000:00:02.0")
                && vga.reasons[0].text.contains("0000:00:00.0–0000:00:1f.7"),
            "{}",
            vga.reasons[0].text
        );
        assert_eq!(e("0000:00:03.0").path, DmaPath::Iommu);
        // The unit is paravirtual by the VIOT too.
        assert!(c.facts.viot.state == "parsed", "{:?}", c.facts.viot);
    }

    /// The kernel's own words decide the remapping mode: the lines of the QEMU 10 x2APIC+EIM
    /// guest's boot log (tests/fixtures/qemu10-intel-iommu-x2apic-eim/guest-dmesg.txt), kept by
    /// the plan's filter, where the registers alone only allow an inference.
    #[test]
    fn the_kernel_log_decides_the_remapping_mode() {
        let dmesg = std::fs::read_to_string(format!(
            "{}/../../tests/fixtures/qemu10-intel-iommu-x2apic-eim/guest-dmesg.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        // dmesg's "[    0.028000] " prefix is not part of a /dev/kmsg message.
        let msgs: String = dmesg
            .lines()
            .map(|l| l.split_once("] ").map_or(l, |(_, m)| m))
            .map(|m| format!("{m}\n"))
            .collect();
        let kept = match crate::input::plan::redact(
            KERNEL_LOG,
            FileRead::Data {
                bytes: msgs.into_bytes(),
                truncated: false,
            },
        ) {
            FileRead::Data { bytes, .. } => bytes,
            other => panic!("{other:?}"),
        };
        let kept = String::from_utf8(kept).unwrap();
        assert!(
            kept.contains("DMAR-IR: Enabled IRQ remapping in x2apic mode\n"),
            "{kept}"
        );
        assert!(kept.lines().count() <= 4, "only the kept lines: {kept}");
        let base = || {
            B::default()
                .interrupts(&["IR-PCI-MSIX-0000:00:02.0", "IR-IO-APIC"])
                .list("/sys/class/iommu", &units(&["dmar0"]))
                .vtd("dmar0", CM, IR | EIM)
        };
        // Without the log (and without the DMAR): unknown, the opt-out not read.
        let ir = base().build(Kind::VirtualMachine).interrupt_remapping;
        assert_eq!(ir.mode, "unknown");
        let ir = base()
            .file(KERNEL_LOG, kept.as_bytes())
            .build(Kind::VirtualMachine)
            .interrupt_remapping;
        assert_eq!(ir.mode, "x2apic");
        let r = ir
            .reasons
            .iter()
            .find(|r| r.rule == rules::MODE_LOG.id)
            .unwrap();
        assert_eq!(
            r.facts[0].value,
            "DMAR-IR: Enabled IRQ remapping in x2apic mode"
        );
        // The smp4 guest's line: Linux kept the xAPIC because remapping is in xAPIC mode.
        let ir = base()
            .file(
                KERNEL_LOG,
                b"x2apic: IRQ remapping doesn't support X2APIC mode\n",
            )
            .build(Kind::VirtualMachine)
            .interrupt_remapping;
        assert_eq!(ir.mode, "xapic");
    }
}
