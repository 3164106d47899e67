//! The capability policy as rows. Every decision about interrupt remapping, IMS, PASID and the
//! per-device DMA path is made by a [`CapRule`]: its id, the typed [`Fact`]s it reads, the
//! condition, the decision, and the source it cites (a kernel function or a specification
//! section). [`crate::caps::policy`] walks the rows in order; every reason it gives is a
//! [`Reason`] naming its row and the facts it read with their raw values and where they were
//! read. `vcap rules` lists these rows beside the detection rows, and the tables in
//! `docs/capabilities.md` are [`markdown`] of them.
//!
//! ```
//! use vcap_core::caps::rules::{CAP_RULES, Decides};
//! let ir: Vec<_> = CAP_RULES
//!     .iter()
//!     .filter(|r| r.decides == Decides::InterruptRemapping)
//!     .map(|r| r.id)
//!     .collect();
//! assert_eq!(ir[0], "ir.remapped-chips");
//! ```

use serde::Serialize;
use vcap_regs::field::{FieldRef, amd, vtd};

/// What a row decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Decides {
    /// The interrupt-remapping verdict (first matching row decides).
    InterruptRemapping,
    /// A reason added to the interrupt-remapping decision (units, scopes, MSI isolation).
    IrNote,
    /// The remapping mode (x2APIC or xAPIC).
    IrMode,
    /// Whether the remapping unit is virtual or hardware (read by IR and IMS).
    UnitRealness,
    /// The IMS verdict.
    Ims,
    /// The PASID verdict, or a reason for it.
    Pasid,
    /// One device's DMA path.
    Dma,
}

/// A typed fact a row reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// The interrupt chips of `/proc/interrupts`.
    InterruptChips,
    /// The DMAR table's flags (INTR_REMAP, X2APIC_OPT_OUT, DMA_CTRL_PLATFORM_OPT_IN).
    DmarFlags,
    /// The DMAR table's OEM and table IDs.
    DmarOem,
    /// The DMAR table's DRHD units and device scopes.
    DmarUnits,
    /// Whether an IVRS table exists, and its OEM ID.
    Ivrs,
    /// The VIOT table's nodes.
    Viot,
    /// The units under `/sys/class/iommu`.
    IommuUnits,
    /// A VT-d CAP_REG field.
    VtdCap(FieldRef<vtd::Cap>),
    /// A VT-d ECAP_REG field.
    VtdEcap(FieldRef<vtd::Ecap>),
    /// An AMD EFR field.
    AmdEfr(FieldRef<amd::Efr>),
    /// The AMD capability header's NpCache bit.
    AmdNpCache,
    /// `/proc/cpuinfo`'s `x2apic` flag.
    CpuX2apic,
    /// `/proc/sysinfo` (present on s390 only).
    S390Sysinfo,
    /// The kernel log's APIC and remapping lines.
    KernelLog,
    /// The detection verdict (kind and hypervisor).
    Verdict,
    /// The interrupt-remapping decision (which IMS reads).
    Remapping,
    /// The PCI function list and IDs.
    PciDevices,
    /// A PCI function's config space (extended capabilities: PASID, DVSEC).
    PciConfig,
    /// A PCI function's bound driver.
    PciDriver,
    /// A PCI function's IOMMU group and the group's domain type.
    IommuGroup,
    /// A virtio device's negotiated features.
    VirtioFeatures,
    /// A virtio device's transport and parent.
    VirtioTransport,
}

impl Fact {
    /// The fact's name (`ECAP.EIM`, `interrupt-chips`).
    pub fn name(&self) -> &'static str {
        match self {
            Fact::InterruptChips => "interrupt-chips",
            Fact::DmarFlags => "dmar.flags",
            Fact::DmarOem => "dmar.oem",
            Fact::DmarUnits => "dmar.drhd",
            Fact::Ivrs => "ivrs",
            Fact::Viot => "viot.nodes",
            Fact::IommuUnits => "iommu-units",
            Fact::VtdCap(f) => f.full_name(),
            Fact::VtdEcap(f) => f.full_name(),
            Fact::AmdEfr(f) => f.full_name(),
            Fact::AmdNpCache => "CAP.NPCACHE",
            Fact::CpuX2apic => "cpu.x2apic",
            Fact::S390Sysinfo => "s390.sysinfo",
            Fact::KernelLog => "kernel-log",
            Fact::Verdict => "verdict",
            Fact::Remapping => "interrupt-remapping",
            Fact::PciDevices => "pci.devices",
            Fact::PciConfig => "pci.config",
            Fact::PciDriver => "pci.driver",
            Fact::IommuGroup => "pci.iommu-group",
            Fact::VirtioFeatures => "virtio.features",
            Fact::VirtioTransport => "virtio.transport",
        }
    }

    /// Where the fact is read (a path, or a pattern of paths).
    pub fn source(&self) -> &'static str {
        match self {
            Fact::InterruptChips => "/proc/interrupts",
            Fact::DmarFlags | Fact::DmarOem | Fact::DmarUnits => "/sys/firmware/acpi/tables/DMAR",
            Fact::Ivrs => "/sys/firmware/acpi/tables/IVRS",
            Fact::Viot => "/sys/firmware/acpi/tables/VIOT",
            Fact::IommuUnits => "/sys/class/iommu",
            Fact::VtdCap(_) => "/sys/class/iommu/*/intel-iommu/cap",
            Fact::VtdEcap(_) => "/sys/class/iommu/*/intel-iommu/ecap",
            Fact::AmdEfr(_) => "/sys/class/iommu/*/amd-iommu/features",
            Fact::AmdNpCache => "/sys/class/iommu/*/amd-iommu/cap",
            Fact::CpuX2apic => "/proc/cpuinfo",
            Fact::S390Sysinfo => "/proc/sysinfo",
            Fact::KernelLog => "/dev/kmsg",
            Fact::Verdict => "the detection verdict",
            Fact::Remapping => "capabilities.interrupt_remapping",
            Fact::PciDevices => "/sys/bus/pci/devices",
            Fact::PciConfig => "/sys/bus/pci/devices/*/config",
            Fact::PciDriver => "/sys/bus/pci/devices/*/driver",
            Fact::IommuGroup => {
                "/sys/bus/pci/devices/*/iommu_group, /sys/kernel/iommu_groups/*/type"
            }
            Fact::VirtioFeatures => "/sys/bus/virtio/devices/*/features",
            Fact::VirtioTransport => "/sys/bus/virtio/devices/*",
        }
    }
}

/// One capability rule row.
#[derive(Debug, Clone, Copy)]
pub struct CapRule {
    /// The id (the `rule` of every reason it gives).
    pub id: &'static str,
    /// What it decides.
    pub decides: Decides,
    /// The facts it reads.
    pub reads: &'static [Fact],
    /// When it applies, in words.
    pub when: &'static str,
    /// What it decides then.
    pub then: &'static str,
    /// The kernel function, header or specification section it rests on.
    pub source: &'static str,
}

/// One fact a reason read: its name, raw value and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FactRead {
    /// The fact (`ECAP.EIM`, `interrupt-chips`).
    pub fact: &'static str,
    /// The raw value read.
    pub value: String,
    /// Where it was read (the path, or the unit's register file).
    pub source: String,
}

/// A reason: the row that gave it, the facts it read, and the sentence the report prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reason {
    /// The rule id (listed by `vcap rules`).
    pub rule: &'static str,
    /// The sentence, rendered from the facts.
    pub text: String,
    /// The facts it read.
    pub facts: Vec<FactRead>,
}

impl Reason {
    /// A reason of row `r` with its sentence.
    pub fn of(r: &CapRule, text: impl Into<String>) -> Reason {
        Reason {
            rule: r.id,
            text: text.into(),
            facts: Vec::new(),
        }
    }

    /// The same reason, having read `fact` = `value` at `source`.
    pub fn read(mut self, fact: Fact, value: impl Into<String>, source: impl Into<String>) -> Self {
        self.facts.push(FactRead {
            fact: fact.name(),
            value: value.into(),
            source: source.into(),
        });
        self
    }

    /// The same reason, having read `fact` at its usual place.
    pub fn saw(self, fact: Fact, value: impl Into<String>) -> Self {
        let src = fact.source();
        self.read(fact, value, src)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

macro_rules! rules {
    ($($name:ident = $id:literal, $decides:ident, [$($fact:expr),* $(,)?], $when:literal => $then:literal, $src:literal;)+) => {
        $(
            #[doc = concat!("`", $id, "`: ", $when, " → ", $then, ".")]
            pub const $name: CapRule = CapRule {
                id: $id,
                decides: Decides::$decides,
                reads: &[$($fact),*],
                when: $when,
                then: $then,
                source: $src,
            };
        )+
        /// Every capability row, in the order the decisions walk them.
        pub const CAP_RULES: &[CapRule] = &[$($name),+];
    };
}

use Fact::*;

rules! {
    // ---- interrupt remapping: the first row that applies decides
    IR_REMAPPED = "ir.remapped-chips", InterruptRemapping, [InterruptChips],
        "interrupts are on IR-/vIR- chips (IR-PCI-MSI*, IR-IO-APIC)" => "yes",
        "Linux drivers/iommu/intel/irq_remapping.c and drivers/iommu/amd/iommu.c: the IR MSI parent's .prefix = \"IR-\"";
    IR_HYPERV = "ir.hyperv-ioapic", InterruptRemapping, [InterruptChips],
        "interrupts are on HYPERV-IR / HYPERV-ROOT-IR" => "yes (IO-APIC only; MSIs are not remapped)",
        "Linux drivers/iommu/hyperv-iommu.c";
    IR_S390 = "ir.s390-no-unit", InterruptRemapping, [InterruptChips, S390Sysinfo],
        "s390 (/proc/sysinfo present): /proc/interrupts has only interruption-class counters" => "no (no x86 remapping unit by architecture; MSI isolated by the architecture)",
        "Linux arch/s390/include/asm/msi.h #define arch_is_isolated_msi() true (s390 has no irq_domains to carry IRQ_DOMAIN_FLAG_ISOLATED_MSI); include/linux/msi.h";
    IR_NO_CHIPS = "ir.no-chips", InterruptRemapping, [InterruptChips],
        "/proc/interrupts lists no numbered interrupt with a chip" => "unknown",
        "vcap: nothing to judge by";
    IR_ITS = "ir.gic-its", InterruptRemapping, [InterruptChips],
        "MSIs are on ITS chips and none on PCI-MSI / IO-APIC" => "no (the GIC ITS is not an x86 remapping unit)",
        "Arm GICv3 architecture: the ITS translates (DeviceID, EventID); Linux drivers/irqchip/irq-gic-v3-its-msi-parent.c .prefix = \"ITS-\"";
    IR_VECTOR = "ir.vector-domain", InterruptRemapping, [InterruptChips],
        "interrupts are listed and none is on a remapping chip" => "no",
        "Linux arch/x86/kernel/apic/msi.c: the vector domain's chips are PCI-MSI / IO-APIC";
    IR_UNOBSERVED = "ir.not-observed", InterruptRemapping, [InterruptChips],
        "/proc/interrupts is unreadable, absent or malformed" => "unknown",
        "vcap: whether Linux enabled remapping is not observed";
    IR_DMAR_OFF = "ir.dmar-no-intr-remap", InterruptRemapping, [DmarFlags, Ivrs, Verdict],
        "still unknown, the DMAR has INTR_REMAP = 0, there is no IVRS and this is not Hyper-V" => "no",
        "Linux drivers/iommu/intel/irq_remapping.c intel_prepare_irq_remapping(): -ENODEV when !dmar_ir_support()";
    // ---- reasons added to the remapping decision
    IR_DMAR_FLAGS = "ir.dmar-flags", IrNote, [DmarFlags, DmarUnits],
        "the DMAR table was read" => "its flags and unit count are listed",
        "Linux include/linux/dmar.h DMAR_INTR_REMAP, DMAR_X2APIC_OPT_OUT, DMAR_PLATFORM_OPT_IN";
    IR_ITS_ISOLATED = "ir.its-isolated-msi", IrNote, [InterruptChips],
        "MSIs go through the GIC ITS" => "MSI isolation yes (without x86 remapping)",
        "Linux drivers/irqchip/irq-gic-v3-its.c its_node_init() (earlier its_probe_one()): its->msi_domain_flags = IRQ_DOMAIN_FLAG_ISOLATED_MSI (cleared only by the Socionext SynQuacer quirk); include/linux/msi.h msi_device_has_isolated_msi()";
    IR_UNIT_OFF = "ir.unit-not-enabled", IrNote, [VtdEcap(vtd::ecap::IR), IommuUnits],
        "no remapping, and a VT-d unit with ECAP.IR = 1 or an AMD unit exists" => "the unit is named as not enabled",
        "Linux drivers/iommu/intel/irq_remapping.c ecap_ir_support(); intremap=off";
    IR_UNIT_CAN = "ir.unit-supports", IrNote, [VtdEcap(vtd::ecap::IR), IommuUnits],
        "remapping not observed, and a unit supports it" => "the unit is named",
        "Linux ecap_ir_support()";
    IR_UNNAMED = "ir.unit-unnamed", IrNote, [IommuUnits],
        "remapping is on, no unit register is readable" => "the unit is not named",
        "vcap";
    IR_DRHD = "ir.drhd-scope", IrNote, [DmarUnits, IommuUnits],
        "remapping is on and a DRHD's register base matches a unit's address" => "what the unit remaps (IOAPIC/HPET scopes, INCLUDE_PCI_ALL)",
        "Linux include/acpi/actbl1.h acpi_dmar_hardware_unit, ACPI_DMAR_INCLUDE_ALL";
    // ---- mode: the kernel's own words first, then inference from the registers
    MODE_LOG = "ir.mode-kernel-log", IrMode, [KernelLog],
        "remapping is on and the kernel log says which mode it enabled" => "x2apic or xapic, as the kernel says",
        "Linux drivers/iommu/intel/irq_remapping.c intel_enable_irq_remapping(): \"Enabled IRQ remapping in %s mode\"; arch/x86/kernel/apic/apic.c try_to_enable_x2apic(): \"x2apic: IRQ remapping doesn't support X2APIC mode\"; drivers/iommu/amd/init.c \"X2APIC enabled\"";
    MODE_EIM0 = "ir.mode-eim0", IrMode, [VtdEcap(vtd::ecap::EIM)],
        "a remapping VT-d unit has ECAP.EIM = 0" => "xapic",
        "Linux drivers/iommu/intel/iommu.h ecap_eim_support()";
    MODE_OPT_OUT = "ir.mode-x2apic-opt-out", IrMode, [DmarFlags],
        "every VT-d unit has EIM = 1 and the DMAR sets X2APIC_OPT_OUT" => "xapic",
        "Linux drivers/iommu/intel/irq_remapping.c dmar_x2apic_optout(); intremap=no_x2apic_optout";
    MODE_EIM1 = "ir.mode-eim1", IrMode, [VtdEcap(vtd::ecap::EIM), DmarFlags, CpuX2apic],
        "every VT-d unit has EIM = 1 and the DMAR was read without the opt-out" => "x2apic (inferred)",
        "Linux drivers/iommu/intel/irq_remapping.c intel_enable_irq_remapping() (eim_mode)";
    MODE_UNREAD = "ir.mode-opt-out-unread", IrMode, [VtdEcap(vtd::ecap::EIM), DmarFlags],
        "EIM = 1 but the DMAR (root only) was not read" => "unknown",
        "vcap";
    MODE_XTSUP = "ir.mode-amd-xtsup", IrMode, [AmdEfr(amd::efr::XTSUP)],
        "a remapping AMD unit's EFR XTSup is read" => "x2apic when 1, xapic when 0",
        "Linux drivers/iommu/amd/amd_iommu_types.h FEATURE_XTSUP; AMD IOMMU spec 3.4.12";
    // ---- is the unit virtual or hardware
    REAL_CM = "unit.vtd-caching-mode", UnitRealness, [VtdCap(vtd::cap::CM)],
        "a VT-d unit's CAP.CM is read" => "virtual when 1, hardware evidence when 0",
        "Linux drivers/iommu/intel/iommu.h cap_caching_mode(); VT-d spec 11.4.2";
    REAL_NPCACHE = "unit.amd-npcache", UnitRealness, [AmdNpCache],
        "an AMD unit's capability header is read" => "virtual when NpCache = 1, hardware evidence when 0",
        "Linux drivers/iommu/amd/amd_iommu_types.h IOMMU_CAP_NPCACHE, amd_iommu_np_cache";
    REAL_VIRTIO_CLASS = "unit.virtio-iommu", UnitRealness, [IommuUnits],
        "a virtio-iommu unit is in /sys/class/iommu" => "virtual",
        "virtio spec 5.13 (virtio-iommu exists only in VMs)";
    REAL_VIRTIO_PCI = "unit.virtio-iommu-pci", UnitRealness, [PciDevices],
        "a PCI function is 1af4:1057" => "virtual",
        "Linux include/uapi/linux/virtio_ids.h VIRTIO_ID_IOMMU 23; virtio spec 4.1.2.1";
    REAL_VIOT = "unit.viot", UnitRealness, [Viot],
        "the VIOT table describes a virtio-iommu" => "virtual",
        "ACPI 6.4 5.2.30 VIOT; Linux drivers/acpi/viot.c";
    REAL_DMAR_OEM = "unit.dmar-oem", UnitRealness, [DmarOem],
        "the DMAR's OEM or table ID is QEMU's (BOCHS / BXPC)" => "virtual; else hardware evidence",
        "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6, ACPI_BUILD_APPNAME8";
    REAL_IVRS_OEM = "unit.ivrs-oem", UnitRealness, [Ivrs],
        "the IVRS's OEM ID is QEMU's" => "virtual",
        "QEMU include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6";
    REAL_VIR_CHIP = "unit.vir-chip", UnitRealness, [InterruptChips],
        "interrupts are on vIR- chips" => "virtual",
        "Linux v6.2–v6.9 drivers/iommu/intel/irq_remapping.c virt_dmar_msi_parent_ops (.prefix = \"vIR-\")";
    REAL_VM = "unit.vm-verdict", UnitRealness, [Verdict],
        "the verdict is a virtual machine" => "virtual (the hypervisor provides any unit)",
        "seeds 000–003: !virt || virt->supports_X";
    // ---- IMS
    IMS_NOT_X86 = "ims.not-x86", Ims, [Remapping],
        "interrupt remapping was decided by a non-x86 row (GIC ITS, s390)" => "no",
        "Linux v6.2–v6.9 drivers/pci/msi/irqdomain.c pci_create_ims_domain() needs MSI_FLAG_PCI_IMS, set only by dmar_msi_parent_ops / amdvi_msi_parent_ops";
    IMS_VECTOR = "ims.vector-domain", Ims, [Remapping],
        "interrupt remapping is no" => "no",
        "Linux v6.2–v6.9 arch/x86/kernel/apic/msi.c x86_init_dev_msi_info(): PCI/IMS only from a parent with MSI_FLAG_PCI_IMS";
    IMS_VIRT_UNSEEN = "ims.virtual-unobserved", Ims, [Remapping, Verdict],
        "remapping is unknown and the unit is virtual" => "no",
        "Linux x86_init_dev_msi_info(); tglx 2021-12-10 (the new scheme nothing advertises)";
    IMS_UNSEEN = "ims.not-observed", Ims, [Remapping],
        "remapping is unknown" => "unknown",
        "vcap";
    IMS_IOAPIC_ONLY = "ims.ioapic-only", Ims, [InterruptChips],
        "remapping is on but no MSI is on a remapping chip" => "no",
        "Linux x86_init_dev_msi_info(): the MSI parent is the vector domain";
    IMS_VIRT = "ims.virtual-unit", Ims, [Verdict],
        "remapping is on and the unit is virtual" => "no",
        "tglx 2021-12-10: a virtual IR grants IMS only after negotiating the new scheme";
    IMS_NO_REG = "ims.no-unit-register", Ims, [IommuUnits],
        "remapping is on, no unit register shows hardware" => "unknown",
        "vcap";
    IMS_NOT_METAL = "ims.not-bare-metal", Ims, [Verdict],
        "the unit looks hardware but the verdict is not bare metal" => "unknown",
        "QEMU intel-iommu caching-mode=off shows CM = 0";
    IMS_HW = "ims.hardware-ir", Ims, [Remapping, InterruptChips, VtdCap(vtd::cap::CM), AmdNpCache, Verdict],
        "MSIs on IR chips, hardware unit registers, bare-metal verdict" => "yes",
        "Linux v6.2–v6.9 dmar_msi_parent_ops / amdvi_msi_parent_ops set MSI_FLAG_PCI_IMS (PCI/IMS removed in v6.10)";
    IMS_NO_CANDIDATE = "ims.no-candidate", Ims, [PciDevices, PciConfig],
        "no device known to use IMS is present (or the PCI list was not read)" => "reason only",
        "Linux include/linux/pci_ids.h PCI_DEVICE_ID_INTEL_DSA_SPR0 / IAX_SPR0; idxd_check_siov()";
    // ---- PASID
    PASID_VTD = "pasid.vtd-unit", Pasid, [VtdEcap(vtd::ecap::PASID), VtdEcap(vtd::ecap::SMTS)],
        "a VT-d unit's ECAP is read" => "the unit advertises PASID when PASID = 1 and SMTS = 1",
        "Linux drivers/iommu/intel/iommu.h ecap_pasid(), ecap_smts(); pasid_supported()";
    PASID_AMD = "pasid.amd-unit", Pasid, [AmdEfr(amd::efr::GTSUP), AmdEfr(amd::efr::PPRSUP), AmdEfr(amd::efr::PASMAX)],
        "an AMD unit's EFR is read" => "the unit advertises PASID when GTSup = 1, PPRSup = 1, PASmax > 0",
        "Linux drivers/iommu/amd/amd_iommu_types.h FEATURE_GT, FEATURE_PPR, FEATURE_PASID_MASK";
    PASID_DEVICES = "pasid.devices", Pasid, [PciConfig],
        "a function's extended config space has the PASID capability" => "the device is listed",
        "PCIe Base 6.0 7.8.8 PASID Extended Capability (ID 001Bh)";
    PASID_UNLISTED = "pasid.pci-unlisted", Pasid, [PciDevices],
        "the PCI device list was not read" => "devices unknown",
        "vcap";
    PASID_CFG_UNREAD = "pasid.config-unread", Pasid, [PciConfig],
        "some function's extended config space (root only) was not read" => "devices unknown",
        "Linux drivers/pci/pci-sysfs.c: config beyond 64 bytes needs CAP_SYS_ADMIN";
    PASID_YES = "pasid.both", Pasid, [VtdEcap(vtd::ecap::PASID), AmdEfr(amd::efr::PASMAX), PciConfig],
        "a unit advertises PASID and a device has the capability" => "yes",
        "Linux iommu_dev_enable_feature(IOMMU_DEV_FEAT_SVA) needs both";
    PASID_NO_UNIT = "pasid.no-unit", Pasid, [IommuUnits, DmarFlags, Ivrs],
        "no unit advertises PASID and none is unreadable" => "no (unknown when no unit register is readable but an IOMMU may exist)",
        "vcap: PASID needs the IOMMU's support";
    PASID_NO_DEVICE = "pasid.no-device", Pasid, [PciConfig],
        "every function's config space was read and none has the PASID capability" => "no (whatever the units support)",
        "PCIe Base 6.0 7.8.8: a function without the capability cannot issue PASID-tagged requests";
    PASID_UNIT_UNREAD = "pasid.unit-unreadable", Pasid, [IommuUnits],
        "otherwise" => "unknown",
        "vcap: SMMUv3 IDR1.SSIDSIZE is not in sysfs";
    // ---- DMA, one device at a time
    DMA_VIRTIO_LEGACY = "dma.virtio-legacy", Dma, [VirtioFeatures],
        "a virtio PCI device negotiated without VERSION_1 (bit 32)" => "no, bypass",
        "virtio spec 1.2 2.1 and 6.1 (legacy interface uses guest-physical addresses)";
    DMA_VIRTIO_NO_AP = "dma.virtio-no-access-platform", Dma, [VirtioFeatures],
        "a virtio PCI device without ACCESS_PLATFORM (bit 33)" => "no, bypass",
        "Linux drivers/virtio/virtio_ring.c vring_use_dma_api()";
    DMA_VIRTIO_AP = "dma.virtio-access-platform", Dma, [VirtioFeatures],
        "a virtio PCI device with VERSION_1 and ACCESS_PLATFORM" => "its IOMMU group decides",
        "virtio spec 1.2 6.1 VIRTIO_F_ACCESS_PLATFORM";
    DMA_VIRTIO_NO_DRIVER = "dma.virtio-no-driver", Dma, [PciDevices, PciDriver],
        "a virtio PCI device without a virtio driver bound" => "unknown",
        "virtio spec 1.2 4.1.2.1 (transitional IDs 1000h–103Fh, modern 1040h+)";
    DMA_IDENTITY = "dma.identity-domain", Dma, [IommuGroup],
        "the device's IOMMU group has an identity domain" => "no, identity",
        "Linux drivers/iommu/iommu.c iommu.passthrough / iommu=pt (IOMMU_DOMAIN_IDENTITY)";
    DMA_GROUP = "dma.iommu-group", Dma, [IommuGroup],
        "the device is in an IOMMU group of another type (or type not read)" => "yes, iommu",
        "Linux drivers/iommu/iommu.c iommu_group type attribute";
    DMA_NO_IOMMU = "dma.no-iommu", Dma, [IommuUnits, IommuGroup, DmarFlags, Ivrs],
        "no group, and no IOMMU on the machine" => "no, no-iommu",
        "vcap: no unit in /sys/class/iommu, no group";
    DMA_VIOT_UNATTACHED = "dma.viot-unattached", Dma, [Viot, IommuGroup],
        "no group, IOMMUs exist, and a VIOT PCI range puts the device behind a virtio-iommu" => "unknown (not attached: no driver probed it)",
        "Linux drivers/acpi/viot.c viot_iommu_configure(), called from acpi_dma_configure() when a driver probes";
    DMA_NO_GROUP = "dma.no-group", Dma, [IommuUnits, IommuGroup],
        "no group, but IOMMUs exist" => "unknown",
        "vcap";
    DMA_UNOBSERVED = "dma.iommu-unobserved", Dma, [IommuUnits],
        "whether an IOMMU exists was not observed" => "unknown",
        "vcap";
    DMA_HAZARD = "dma.hazard-vfio", Dma, [PciDriver, IommuGroup],
        "a virtio device that bypasses (or may bypass) is bound to vfio-pci or grouped with one" => "hazard",
        "seed 003";
    DMA_VFIO = "dma.vfio-bound", Dma, [PciDriver],
        "bound to vfio-pci, no hazard" => "reason only",
        "Linux drivers/vfio/pci";
    DMA_VIRTIO_OTHER = "dma.virtio-transport", Dma, [VirtioTransport, VirtioFeatures, IommuUnits],
        "a virtio device on MMIO, CCW or another non-PCI transport" => "bypass without VERSION_1 or ACCESS_PLATFORM; no-iommu with none; else unknown",
        "virtio spec 1.2 4.2 (MMIO), 4.3 (CCW); Linux vring_use_dma_api()";
}

/// One row in words, for `vcap rules` and the docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CapRuleRow {
    /// The id.
    pub id: &'static str,
    /// What it decides.
    pub decides: Decides,
    /// The facts it reads, each as `name (where)`.
    pub reads: Vec<String>,
    /// When it applies.
    pub when: &'static str,
    /// What it decides.
    pub then: &'static str,
    /// The source.
    pub source: &'static str,
}

/// Every capability row in words.
pub fn catalog() -> Vec<CapRuleRow> {
    CAP_RULES
        .iter()
        .map(|r| CapRuleRow {
            id: r.id,
            decides: r.decides,
            reads: r
                .reads
                .iter()
                .map(|f| format!("{} ({})", f.name(), f.source()))
                .collect(),
            when: r.when,
            then: r.then,
            source: r.source,
        })
        .collect()
}

/// The markers around the generated block in `docs/capabilities.md`.
pub const DOC_MARKERS: (&str, &str) = ("<!-- cap-rules:begin -->", "<!-- cap-rules:end -->");

/// The rows as Markdown tables, one per decision (the block between the markers in
/// `docs/capabilities.md`).
pub fn markdown() -> String {
    use std::fmt::Write as _;
    let rows = catalog();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Generated from the rows by `vcap rules --markdown`; a test fails when this differs."
    );
    for (d, title) in [
        (
            Decides::InterruptRemapping,
            "Interrupt remapping (the first row that applies decides)",
        ),
        (Decides::IrNote, "Reasons added to interrupt remapping"),
        (Decides::IrMode, "Remapping mode"),
        (Decides::UnitRealness, "Virtual or hardware unit"),
        (Decides::Ims, "IMS"),
        (Decides::Pasid, "PASID"),
        (Decides::Dma, "DMA path, per device"),
    ] {
        let mine: Vec<&CapRuleRow> = rows.iter().filter(|r| r.decides == d).collect();
        let _ = writeln!(s, "\n### {title} ({} rows)\n", mine.len());
        let _ = writeln!(s, "| id | reads | when | then | source |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for r in mine {
            let reads: Vec<String> = r
                .reads
                .iter()
                .map(|x| x.split(" (").next().unwrap_or(x).to_string())
                .collect();
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} |",
                r.id,
                cell(&reads.join(", ")),
                cell(r.when),
                cell(r.then),
                cell(r.source)
            );
        }
    }
    s
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_rows_have_words() {
        for (i, r) in CAP_RULES.iter().enumerate() {
            assert!(
                CAP_RULES[..i].iter().all(|o| o.id != r.id),
                "{} twice",
                r.id
            );
            assert!(r.id.contains('.') && !r.source.is_empty() && !r.when.is_empty());
            assert!(!r.reads.is_empty(), "{} reads nothing", r.id);
        }
        // Register facts are the table's own names.
        assert_eq!(Fact::VtdEcap(vtd::ecap::EIM).name(), "ECAP.EIM");
        assert_eq!(Fact::AmdEfr(amd::efr::PASMAX).name(), "EFR.PASMAX");
    }

    #[test]
    fn the_committed_docs_hold_the_generated_tables() {
        crate::detect::rules::assert_doc_holds(
            "docs/capabilities.md",
            include_str!("../../../../docs/capabilities.md"),
            DOC_MARKERS,
            &markdown(),
        );
    }
}
