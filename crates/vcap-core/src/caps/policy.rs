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

use serde::Serialize;

use crate::caps::iofacts::{self, Got, IoFacts, Malformed, PciDev};
use crate::detect::{Kind, Verdict};
use crate::input::plan::{ACPI_DMAR, ACPI_IVRS, PCI_DEVICES, PROC_INTERRUPTS};
use crate::parse::interrupts::ChipKind;
use crate::parse::iommu::{Unit, UnitKind};
use crate::parse::virtio::{self, F_ACCESS_PLATFORM, F_VERSION_1};

/// A verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
pub struct InterruptRemapping {
    /// Active or not.
    pub verdict: Tri,
    /// Why.
    pub reasons: Vec<String>,
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
pub struct Ims {
    /// Allowed or not.
    pub verdict: Tri,
    /// Why.
    pub reasons: Vec<String>,
    /// Devices present here that would want IMS.
    pub candidates: Vec<ImsCandidate>,
}

/// Where a device's DMA goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
pub struct DmaEntry {
    /// PCI address or virtio device name.
    pub device: String,
    /// Yes: DMA is translated and confined by an IOMMU; no: it is not; unknown.
    pub verdict: Tri,
    /// The path.
    pub path: DmaPath,
    /// The bypass is a hazard: the device is (or shares a group with a device) bound to vfio-pci.
    pub hazard: bool,
    /// Why.
    pub reasons: Vec<String>,
}

/// PASID / Scalable IOV readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasidReadiness {
    /// Ready or not.
    pub verdict: Tri,
    /// Why.
    pub reasons: Vec<String>,
    /// IOMMU units that advertise PASID.
    pub iommu_units: Vec<String>,
    /// Devices with the PCIe PASID capability (`bdf width=N`).
    pub devices: Vec<String>,
}

/// The `capabilities` object of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Evidence that the remapping unit is virtual, and evidence that it is hardware.
fn unit_realness(io: &IoFacts, verdict: &Verdict) -> (Vec<String>, Vec<String>) {
    let mut virt = Vec::new();
    let mut real = Vec::new();
    for u in vtd_units(io) {
        match u.field("CAP.CM") {
            Some(1) => virt.push(format!(
                "{}: VT-d CAP.CM (Caching Mode, bit 7) = 1 in /sys/class/iommu/{}/intel-iommu/cap = {:x}: an emulated unit (Linux cap_caching_mode; v6.2–v6.9 gave such units the IMS-less vIR parent)",
                u.name,
                u.name,
                u.cap.unwrap_or(0)
            )),
            Some(_) => real.push(format!(
                "{}: VT-d CAP.CM = 0 in /sys/class/iommu/{}/intel-iommu/cap = {:x}",
                u.name,
                u.name,
                u.cap.unwrap_or(0)
            )),
            None => {}
        }
    }
    for u in amd_units(io) {
        match u.field("CAP.NPCACHE") {
            Some(1) => virt.push(format!(
                "{}: AMD capability header NpCache (bit 26) = 1 in /sys/class/iommu/{}/amd-iommu/cap = {:x}: an emulated unit (Linux IOMMU_CAP_NPCACHE, amd_iommu_np_cache)",
                u.name,
                u.name,
                u.cap.unwrap_or(0)
            )),
            Some(_) => real.push(format!(
                "{}: AMD NpCache = 0 in /sys/class/iommu/{}/amd-iommu/cap = {:x}",
                u.name,
                u.name,
                u.cap.unwrap_or(0)
            )),
            None => {}
        }
    }
    for u in io.units.iter().filter(|u| u.kind == UnitKind::VirtioIommu) {
        virt.push(format!(
            "{}: a virtio-iommu unit in /sys/class/iommu (virtio-iommu exists only in VMs)",
            u.name
        ));
    }
    for d in &io.pci {
        if d.vendor == Some(0x1af4)
            && d.device.and_then(virtio::modern_type) == Some(virtio::ID_IOMMU)
        {
            virt.push(format!(
                "{}: PCI 1af4:{:04x} is a virtio-iommu (VIRTIO_ID_IOMMU 23)",
                d.bdf,
                d.device.unwrap_or(0)
            ));
        }
    }
    if let Some(d) = io.dmar.get() {
        if let Some(who) = oem_emulator(&d.header.oem_id, &d.header.oem_table_id) {
            virt.push(format!(
                "{ACPI_DMAR}: OEM ID {:?} / table ID {:?} are {who}'s ACPI IDs: the DMAR unit is emulated",
                d.header.oem_id, d.header.oem_table_id
            ));
        } else {
            real.push(format!(
                "{ACPI_DMAR}: OEM ID {:?} / table ID {:?} (not an emulator's)",
                d.header.oem_id, d.header.oem_table_id
            ));
        }
    }
    if let Some(v) = io.ivrs.get()
        && let Some(who) = oem_emulator(&v.header.oem_id, &v.header.oem_table_id)
    {
        virt.push(format!(
            "{ACPI_IVRS}: OEM ID {:?} is {who}'s: the AMD IOMMU is emulated",
            v.header.oem_id
        ));
    }
    for c in chip_summary(io, &[ChipKind::VirtRemappedMsi]) {
        virt.push(format!(
            "{PROC_INTERRUPTS}: {c}: Linux's virtual-IR domain (prefix vIR-)"
        ));
    }
    if verdict.kind == Kind::VirtualMachine {
        virt.push(format!(
            "the verdict is a virtual machine ({}): any remapping unit here is provided by the hypervisor",
            verdict
                .hypervisor
                .map(|h| h.id())
                .or(verdict.product.map(|p| p.id()))
                .unwrap_or("hypervisor not named")
        ));
    }
    (virt, real)
}

fn decide_ir(io: &IoFacts, verdict: &Verdict) -> InterruptRemapping {
    let mut reasons = Vec::new();
    let ir = chip_summary(
        io,
        &[
            ChipKind::RemappedMsi,
            ChipKind::RemappedIoapic,
            ChipKind::VirtRemappedMsi,
        ],
    );
    let hv = chip_summary(io, &[ChipKind::HypervIr]);
    let plain = chip_summary(io, &[ChipKind::VectorMsi, ChipKind::Ioapic]);
    let its = chip_summary(io, &[ChipKind::ItsMsi]);
    let ir_capable: Vec<&Unit> = io
        .units
        .iter()
        .filter(|u| match u.kind {
            UnitKind::IntelVtd => u.field("ECAP.IR") == Some(1),
            UnitKind::Amd => true,
            _ => false,
        })
        .collect();
    let x2apic_opt_out = io.dmar.get().map(|d| d.x2apic_opt_out);
    if let Some(d) = io.dmar.get() {
        reasons.push(format!(
            "{ACPI_DMAR}: flags {:#04x}: INTR_REMAP={}, X2APIC_OPT_OUT={}, DMA_CTRL_PLATFORM_OPT_IN={}; {} remapping unit(s)",
            d.flags,
            u8::from(d.intr_remap),
            u8::from(d.x2apic_opt_out),
            u8::from(d.platform_opt_in),
            d.drhd.len()
        ));
    }
    let verdict_ir = match &io.interrupts {
        Got::Parsed(_) if !ir.is_empty() => {
            reasons.insert(
                0,
                format!(
                    "{PROC_INTERRUPTS}: interrupts on remapping chips: {}",
                    ir.join(", ")
                ),
            );
            Tri::Yes
        }
        Got::Parsed(_) if !hv.is_empty() => {
            reasons.insert(
                0,
                format!(
                    "{PROC_INTERRUPTS}: {}: Hyper-V remaps the IO-APIC only (drivers/iommu/hyperv-iommu.c); MSIs are not remapped",
                    hv.join(", ")
                ),
            );
            Tri::Yes
        }
        Got::Parsed(v) if v.is_empty() => {
            reasons.insert(
                0,
                format!(
                    "{PROC_INTERRUPTS} lists no numbered interrupt with a chip: nothing to judge by"
                ),
            );
            Tri::Unknown
        }
        Got::Parsed(_) => {
            if plain.is_empty() && !its.is_empty() {
                reasons.insert(
                    0,
                    format!(
                        "{PROC_INTERRUPTS}: MSIs go through the GIC ITS ({}): Arm translates (DeviceID, EventID) in the ITS; there is no x86-style remapping unit",
                        its.join(", ")
                    ),
                );
            } else {
                reasons.insert(
                    0,
                    format!(
                        "{PROC_INTERRUPTS}: no interrupt uses a remapping chip; chips: {}",
                        if plain.is_empty() {
                            "none of PCI-MSI/IO-APIC".to_string()
                        } else {
                            plain.join(", ")
                        }
                    ),
                );
            }
            for u in &ir_capable {
                reasons.push(format!(
                    "{}: the unit can remap interrupts but Linux did not enable it (intremap=off, or firmware)",
                    u.name
                ));
            }
            Tri::No
        }
        other => {
            let why = match other {
                Got::Unreadable(w) => format!("{PROC_INTERRUPTS} could not be read ({w})"),
                Got::Malformed => format!("{PROC_INTERRUPTS} is malformed"),
                _ => format!("{PROC_INTERRUPTS} is absent"),
            };
            reasons.insert(
                0,
                format!("{why}: whether Linux enabled remapping is not observed"),
            );
            for u in &ir_capable {
                reasons.push(format!("{}: the unit supports interrupt remapping", u.name));
            }
            Tri::Unknown
        }
    };
    // Intel IR needs the DMAR's INTR_REMAP flag; without it (and without an AMD IVRS, and
    // outside Hyper-V, whose own remapping needs no DMAR) Linux cannot enable remapping at all.
    let verdict_ir = match io.dmar.get() {
        Some(d)
            if verdict_ir == Tri::Unknown
                && !d.intr_remap
                && io.ivrs.get().is_none()
                && verdict.hypervisor != Some(crate::detect::ids::Hypervisor::Hyperv) =>
        {
            reasons.insert(
                0,
                format!(
                    "{ACPI_DMAR}: INTR_REMAP = 0: Linux never enables Intel interrupt remapping then (intel_prepare_irq_remapping() returns -ENODEV when !dmar_ir_support()), there is no AMD IVRS, and this is not Hyper-V"
                ),
            );
            Tri::No
        }
        _ => verdict_ir,
    };
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
        if units.is_empty() && hv.is_empty() {
            reasons.push(
                "no unit register readable under /sys/class/iommu: the remapping unit is not named"
                    .to_string(),
            );
        }
        let vtd: Vec<&&Unit> = ir_capable
            .iter()
            .filter(|u| u.kind == UnitKind::IntelVtd)
            .collect();
        let amd: Vec<&&Unit> = ir_capable
            .iter()
            .filter(|u| u.kind == UnitKind::Amd)
            .collect();
        if let Some(u) = vtd.iter().find(|u| u.field("ECAP.EIM") == Some(0)) {
            mode = "xapic";
            reasons.push(format!(
                "{}: ECAP.EIM = 0: remapping in xAPIC mode only (Linux ecap_eim_support)",
                u.name
            ));
        } else if !vtd.is_empty() {
            match x2apic_opt_out {
                Some(true) => {
                    mode = "xapic";
                    reasons.push(format!(
                        "{ACPI_DMAR}: X2APIC_OPT_OUT set: Linux stays in xAPIC mode unless booted with intremap=no_x2apic_optout"
                    ));
                }
                Some(false) => {
                    mode = "x2apic";
                    reasons.push(format!(
                        "ECAP.EIM = 1 on {} and no DMAR opt-out: remapping can run in x2APIC mode (inferred; CPU flag x2apic {})",
                        vtd.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", "),
                        match io.cpu_x2apic {
                            Some(true) => "present",
                            Some(false) => "absent",
                            None => "not read",
                        }
                    ));
                }
                None => reasons.push(
                    "ECAP.EIM = 1 but the DMAR table (root only) was not read, so the x2APIC opt-out is unknown".into(),
                ),
            }
        } else if let Some(u) = amd.first() {
            match u.field("EFR.XTSUP") {
                Some(1) => {
                    mode = "x2apic";
                    reasons.push(format!(
                        "{}: EFR XTSup = 1: x2APIC interrupt remapping supported (inferred mode)",
                        u.name
                    ));
                }
                Some(_) => {
                    mode = "xapic";
                    reasons.push(format!("{}: EFR XTSup = 0: xAPIC mode only", u.name));
                }
                None => {}
            }
        }
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
        x2apic_opt_out,
    }
}

/// Which unit remaps what, from the DMAR's DRHD scopes matched to the units' register bases.
fn drhd_coverage(io: &IoFacts) -> Vec<String> {
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
                format!(
                    "{} (DRHD at {:#x} in {ACPI_DMAR}) remaps {}",
                    unit.name,
                    h.address,
                    what.join(", ")
                )
            })
        })
        .collect()
}

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

fn decide_ims(io: &IoFacts, verdict: &Verdict, ir: &InterruptRemapping) -> Ims {
    let candidates = ims_candidates(io);
    let mut reasons = Vec::new();
    let (virt, real) = unit_realness(io, verdict);
    let ir_msi = chip_summary(io, &[ChipKind::RemappedMsi, ChipKind::VirtRemappedMsi]);
    let v = match ir.verdict {
        Tri::No => {
            reasons.push(
                "the parent MSI domain is the plain vector domain (no interrupt remapping): IMS is never allowed there (Linux x86_init_dev_msi_info accepts PCI/IMS only from a parent with MSI_FLAG_PCI_IMS)".into(),
            );
            Tri::No
        }
        Tri::Unknown if !virt.is_empty() => {
            reasons.extend(virt);
            reasons.push(
                "whether interrupts are remapped is not observed, but either parent denies IMS: the vector domain never grants it, and a virtual remapping unit grants it only after negotiating the new scheme with its hypervisor, which nothing advertises today".into(),
            );
            Tri::No
        }
        Tri::Unknown => {
            reasons.push(
                "whether interrupts are remapped is not known, so the parent MSI domain is not known".into(),
            );
            Tri::Unknown
        }
        Tri::Yes if ir_msi.is_empty() => {
            reasons.push(
                "no MSI is on a remapping chip (only the IO-APIC is remapped): the MSI parent is the vector domain".into(),
            );
            Tri::No
        }
        Tri::Yes if !virt.is_empty() => {
            reasons.extend(virt);
            reasons.push(
                "a virtual remapping unit may grant IMS only after it negotiated the new scheme with its hypervisor (tglx, 2021-12-10); no hypervisor advertises that today".into(),
            );
            Tri::No
        }
        Tri::Yes if real.is_empty() => {
            reasons.push(
                "interrupts are remapped but no unit register (VT-d CAP.CM, AMD NpCache) was readable to show the unit is hardware".into(),
            );
            Tri::Unknown
        }
        Tri::Yes if verdict.kind != Kind::BareMetal => {
            reasons.extend(real);
            reasons.push(format!(
                "the unit advertises no virtualisation, but where this OS runs is {}: an emulated unit can show CM = 0 (QEMU caching-mode=off), so nothing positively grants IMS",
                verdict.kind.as_str()
            ));
            Tri::Unknown
        }
        Tri::Yes => {
            reasons.push(format!(
                "{PROC_INTERRUPTS}: MSIs on remapping chips: {}",
                ir_msi.join(", ")
            ));
            reasons.extend(real);
            reasons.push(
                "the verdict is bare metal: consistent with a hardware unit (it grants nothing by itself)".into(),
            );
            reasons.push(
                "a hardware remapping unit is the IMS-capable parent (Linux v6.2–v6.9 dmar_msi_parent_ops / amdvi_msi_parent_ops set MSI_FLAG_PCI_IMS); note mainline removed the PCI/IMS API in v6.10".into(),
            );
            Tri::Yes
        }
    };
    if candidates.is_empty() {
        reasons.push(if io.pci_listed {
            "no device known to use IMS is present".into()
        } else {
            format!("{PCI_DEVICES} could not be listed: whether a device known to use IMS is present is not known")
        });
    }
    Ims {
        verdict: v,
        reasons,
        candidates,
    }
}

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

fn dma_pci(io: &IoFacts, d: &PciDev, present: Option<bool>) -> DmaEntry {
    let mut reasons = Vec::new();
    let vfio = d.driver.as_deref() == Some("vfio-pci");
    let is_virtio = d.vendor == Some(0x1af4)
        && d.device
            .is_some_and(|x| virtio::pci_interface(0x1af4, x).is_some());
    let vdev = io
        .virtio
        .iter()
        .find(|v| v.pci_parent.as_deref() == Some(d.bdf.as_str()));
    let group_path = |reasons: &mut Vec<String>| -> (Tri, DmaPath) {
        match (&d.group, present) {
            (Some(g), _) => match io.group_type(g) {
                Some("identity") => {
                    reasons.push(format!(
                        "IOMMU group {g} has an identity domain (iommu.passthrough=1 / iommu=pt): DMA reaches memory untranslated"
                    ));
                    (Tri::No, DmaPath::Identity)
                }
                Some(t) => {
                    reasons.push(format!("IOMMU group {g}, domain type {t}"));
                    (Tri::Yes, DmaPath::Iommu)
                }
                None => {
                    reasons.push(format!("IOMMU group {g} (domain type not read)"));
                    (Tri::Yes, DmaPath::Iommu)
                }
            },
            (None, Some(false)) => {
                reasons.push(format!(
                    "{}: DMA goes straight to physical memory",
                    no_iommu_reason(io)
                ));
                (Tri::No, DmaPath::NoIommu)
            }
            (None, Some(true)) => {
                reasons.push("IOMMUs exist but this device is in no IOMMU group".into());
                (Tri::Unknown, DmaPath::Unknown)
            }
            (None, None) => {
                reasons.push("whether an IOMMU exists was not observed".into());
                (Tri::Unknown, DmaPath::Unknown)
            }
        }
    };
    let (verdict, path) = if is_virtio {
        let dev = d.device.unwrap_or(0);
        let iface = virtio::pci_interface(0x1af4, dev);
        match vdev.and_then(|v| v.features.as_ref().map(|f| (v, f))) {
            Some((v, f)) if !f.has(F_VERSION_1) => {
                reasons.push(format!(
                    "virtio {} negotiated without VERSION_1 (bit 32): a legacy device, which uses guest-physical addresses and bypasses any IOMMU",
                    v.name
                ));
                (Tri::No, DmaPath::Bypass)
            }
            Some((v, f)) if !f.has(F_ACCESS_PLATFORM) => {
                reasons.push(format!(
                    "virtio {}: ACCESS_PLATFORM (bit 33) not negotiated: the device bypasses the IOMMU (Linux vring_use_dma_api() false)",
                    v.name
                ));
                (Tri::No, DmaPath::Bypass)
            }
            Some((v, _)) => {
                reasons.push(format!(
                    "virtio {}: VERSION_1 and ACCESS_PLATFORM negotiated: the device honours the platform IOMMU",
                    v.name
                ));
                group_path(&mut reasons)
            }
            None => {
                reasons.push(format!(
                    "virtio PCI device 1af4:{dev:04x} ({}) without a virtio driver bound (driver: {}): its ACCESS_PLATFORM bit is not visible",
                    match iface {
                        Some(virtio::PciInterface::Modern) => "modern-only",
                        _ => "transitional: may run as a legacy device",
                    },
                    d.driver.as_deref().unwrap_or("none")
                ));
                (Tri::Unknown, DmaPath::Unknown)
            }
        }
    } else {
        group_path(&mut reasons)
    };
    let mut hazard = false;
    if matches!(path, DmaPath::Bypass | DmaPath::Unknown) && is_virtio {
        let peers = vfio_in_group(io, d);
        if vfio {
            hazard = true;
            reasons.push(format!(
                "HAZARD: bound to vfio-pci while its DMA {} the IOMMU: assigning it to a nested guest or userspace driver lets it write any memory (seed 003)",
                if path == DmaPath::Bypass { "bypasses" } else { "may bypass" }
            ));
        } else if !peers.is_empty() {
            hazard = true;
            reasons.push(format!(
                "HAZARD: shares its IOMMU group with device(s) bound to vfio-pci ({}) while its DMA {} the IOMMU",
                peers.join(", "),
                if path == DmaPath::Bypass { "bypasses" } else { "may bypass" }
            ));
        }
    }
    if vfio && !hazard {
        reasons.push("bound to vfio-pci".into());
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
    for v in io.virtio.iter().filter(|v| v.pci_parent.is_none()) {
        let mut reasons = vec![format!(
            "virtio {} on the {} transport",
            v.name, v.transport
        )];
        let (verdict, path) = match &v.features {
            Some(f) if !f.has(F_VERSION_1) || !f.has(F_ACCESS_PLATFORM) => {
                reasons.push(format!(
                    "VERSION_1 = {}, ACCESS_PLATFORM = {}: the device bypasses any IOMMU",
                    u8::from(f.has(F_VERSION_1)),
                    u8::from(f.has(F_ACCESS_PLATFORM))
                ));
                (Tri::No, DmaPath::Bypass)
            }
            Some(_) if present == Some(false) => {
                reasons.push("ACCESS_PLATFORM negotiated, but there is no IOMMU".into());
                (Tri::No, DmaPath::NoIommu)
            }
            Some(_) => {
                reasons.push(
                    "ACCESS_PLATFORM negotiated; the IOMMU group of a non-PCI device is not read"
                        .into(),
                );
                (Tri::Unknown, DmaPath::Unknown)
            }
            None => {
                reasons.push("features not readable".into());
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

fn decide_pasid(io: &IoFacts) -> PasidReadiness {
    let mut reasons = Vec::new();
    let mut iommu_units = Vec::new();
    let mut iommu_unknown = false;
    for u in &io.units {
        match u.kind {
            UnitKind::IntelVtd => match (u.field("ECAP.PASID"), u.field("ECAP.SMTS")) {
                (Some(1), Some(1)) => {
                    iommu_units.push(u.name.clone());
                    reasons.push(format!(
                        "{}: ECAP.PASID = 1 and ECAP.SMTS = 1 (scalable mode; Linux pasid_supported() also needs intel_iommu=sm_on or the default-on config)",
                        u.name
                    ));
                }
                (Some(p), Some(s)) => reasons.push(format!(
                    "{}: ECAP.PASID = {p}, ECAP.SMTS = {s}: no PASID",
                    u.name
                )),
                _ => iommu_unknown = true,
            },
            UnitKind::Amd => match (
                u.field("EFR.GTSUP"),
                u.field("EFR.PPRSUP"),
                u.field("EFR.PASMAX"),
            ) {
                (Some(1), Some(1), Some(m)) if m > 0 => {
                    iommu_units.push(u.name.clone());
                    reasons.push(format!(
                        "{}: EFR GTSup = 1, PPRSup = 1, PASmax = {m}",
                        u.name
                    ));
                }
                (Some(g), Some(p), Some(m)) => reasons.push(format!(
                    "{}: EFR GTSup = {g}, PPRSup = {p}, PASmax = {m}: no PASID",
                    u.name
                )),
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
        reasons.push(format!(
            "devices with the PCIe PASID capability: {}",
            devices.join(", ")
        ));
    }
    if !io.pci_listed {
        dev_unknown += 1;
        reasons.push(
            "the PCI device list was not read: devices' PASID capability is not known".into(),
        );
    }
    if dev_unknown > 0 && io.pci_listed {
        reasons.push(format!(
            "{dev_unknown} device(s) without extended config space read (4 KiB needs root): their PASID capability is not known"
        ));
    }
    let verdict = if !iommu_units.is_empty() && !devices.is_empty() {
        Tri::Yes
    } else if iommu_units.is_empty() && !iommu_unknown {
        reasons.push(match (io.units.is_empty(), iommu_present(io)) {
            (true, Some(false)) => no_iommu_reason(io),
            (true, _) => "no IOMMU unit register readable to show PASID support".into(),
            _ => "no IOMMU unit advertises PASID".into(),
        });
        if io.units.is_empty() && iommu_present(io) != Some(false) {
            Tri::Unknown
        } else {
            Tri::No
        }
    } else if !iommu_units.is_empty() && dev_unknown == 0 {
        reasons.push("no device has the PCIe PASID capability".into());
        Tri::No
    } else {
        if iommu_unknown {
            reasons.push("some IOMMU unit's PASID support is not readable here".into());
        }
        Tri::Unknown
    };
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

#[cfg(test)]
mod tests {
    //! The decision table over synthetic captures: each test sets the few inputs a branch needs.
    use super::*;
    use crate::detect::Verdict;
    use crate::input::capture::{Capture, DirEntry, FileRead, Listing};

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
                .any(|r| r.contains("did not enable")),
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
        assert!(c.interrupt_remapping.reasons[0].contains("ITS"));
        // Linux 6.x names per-device MSI domains under the ITS `ITS-PCI-MSIX-<bdf>`.
        let c = B::default()
            .interrupts(&["ITS-PCI-MSIX-0000:00:01.0", "GICv3"])
            .build(Kind::VirtualMachine);
        assert_eq!(c.interrupt_remapping.verdict, Tri::No);
        assert!(
            c.interrupt_remapping.reasons[0].contains("GIC ITS"),
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
        assert!(ir.reasons[0].contains("INTR_REMAP = 0"), "{:?}", ir.reasons);
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
                .all(|r| r != "no device known to use IMS is present"),
            "{:?}",
            ims.reasons
        );
        assert!(
            ims.reasons
                .iter()
                .any(|r| r.contains("could not be listed"))
        );
        let ims = B::default().build(Kind::BareMetal).ims;
        assert!(
            ims.reasons
                .iter()
                .any(|r| r == "no device known to use IMS is present")
        );
    }
}
