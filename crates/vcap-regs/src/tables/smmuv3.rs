//! Arm SMMUv3 ID registers as `struct iommu_hw_info_arm_smmuv3` reports them (`idr[6]`, `iidr`,
//! `aidr`). Positions: Linux `drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h` (IDR3 BBML/FWB from the
//! 2025 BBML2 series that added `IDR3_BBML GENMASK(12, 11)`); TERM_MODEL and HAD from QEMU
//! `hw/arm/smmuv3-internal.h`; BTM and MPAM from ARM IHI 0070 (no header defines them).
//!
//! Baseline = exactly the merged `iommu_hw_info_arm_smmuv3` kdoc list:
//! `idr[0]`: ST_LEVEL, TERM_MODEL, STALL_MODEL, TTENDIAN, CD2L, ASID16, TTF;
//! `idr[1]`: SIDSIZE, SSIDSIZE; `idr[3]`: BBML, RIL; `idr[5]`: VAX, GRAN64K, GRAN16K, GRAN4K.
//! S1P and COHACC are derived ("assume true"), ATS is per device; HTTU, BTM, MPAM are never.
//!
//! Versions read: `arm-smmu-v3.h` of torvalds/linux (the copy sanitize.md cites, commit 0401bbf5…);
//! the BBML2 series' hunk adding `IDR3_BBML GENMASK(12, 11)` and `IDR3_FWB (1 << 8)`; QEMU
//! `hw/arm/smmuv3-internal.h` at f22833602095b05733bceaddeb20f3edfced3c07; the kdoc of
//! `include/uapi/linux/iommufd.h` at b4d90dbc4c1bc4bd3eb2d2989330af0eb95c98e8.

use super::{B, LS, derived, linux, never, owned, row};
use crate::model::{Field, Kind, Provenance, Register, Rule, Src, Table, VmFlag};

const H: &str = "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h";
const Q: &str = "hw/arm/smmuv3-internal.h";

/// Register indices.
pub const IDR0: usize = 0;
/// IDR1.
pub const IDR1: usize = 1;
/// IDR2.
pub const IDR2: usize = 2;
/// IDR3.
pub const IDR3: usize = 3;
/// IDR4.
pub const IDR4: usize = 4;
/// IDR5.
pub const IDR5: usize = 5;
/// IIDR.
pub const IIDR: usize = 6;
/// AIDR.
pub const AIDR: usize = 7;

const REGS: [Register; 8] = [
    Register {
        name: "IDR0",
        bits: 32,
    },
    Register {
        name: "IDR1",
        bits: 32,
    },
    Register {
        name: "IDR2",
        bits: 32,
    },
    Register {
        name: "IDR3",
        bits: 32,
    },
    Register {
        name: "IDR4",
        bits: 32,
    },
    Register {
        name: "IDR5",
        bits: 32,
    },
    Register {
        name: "IIDR",
        bits: 32,
    },
    Register {
        name: "AIDR",
        bits: 32,
    },
];

const IDENT: Rule = Rule::Exact { safe: Some(0) };

const FIELDS: &[Field] = &[
    // ---- IDR0 ----
    row(
        IDR0,
        "S2P",
        0,
        1,
        LS,
        never("stage 2 is the host's nesting parent; a nested vSMMU is stage-1 only"),
        linux(H, "IDR0_S2P"),
        "Stage-2 translation supported",
    ),
    row(
        IDR0,
        "S1P",
        1,
        1,
        LS,
        derived(
            1,
            "kdoc: S1P should be assumed to be true if a NESTED HWPT can be created",
        ),
        linux(H, "IDR0_S1P"),
        "Stage-1 translation supported",
    ),
    Field {
        values: &[
            (1, "AArch32 tables only"),
            (2, "AArch64 tables (IDR0_TTF_AARCH64)"),
            (3, "AArch32 and AArch64 (IDR0_TTF_AARCH32_64)"),
        ],
        ..row(
            IDR0,
            "TTF",
            2,
            2,
            Rule::Enum {
                supersets: &[(3, 1), (3, 2)],
            },
            B,
            linux(H, "IDR0_TTF"),
            "Translation table formats",
        )
    },
    row(
        IDR0,
        "COHACC",
        4,
        1,
        LS,
        derived(
            1,
            "kdoc: VFIO/iommufd only support platforms with COHACC, it should be assumed to be true",
        ),
        linux(H, "IDR0_COHACC"),
        "Coherent access to tables and queues",
    ),
    row(
        IDR0,
        "BTM",
        5,
        1,
        LS,
        never(
            "kdoc: BTM is not supported by the kernel for nesting; it needs kernel support and a KVM VMID flow, so every VMM must mask it (seed 004)",
        ),
        Src::Spec {
            doc: "ARM IHI 0070",
            section: "6.3.1 SMMU_IDR0.BTM",
        },
        "Broadcast TLB maintenance",
    ),
    Field {
        values: &[
            (0, "none"),
            (1, "access flag (IDR0_HTTU_ACCESS)"),
            (2, "access flag and dirty state (IDR0_HTTU_ACCESS_DIRTY)"),
        ],
        ..row(
            IDR0,
            "HTTU",
            6,
            2,
            LS,
            never("kdoc: HTTU is not supported by the kernel for nesting; not in the baseline"),
            linux(H, "IDR0_HTTU"),
            "Hardware translation table update",
        )
    },
    row(
        IDR0,
        "HYP",
        9,
        1,
        LS,
        never("EL2/E2H stage 1 is a host feature"),
        linux(H, "IDR0_HYP"),
        "Hypervisor stage 1 contexts",
    ),
    row(
        IDR0,
        "ATS",
        10,
        1,
        LS,
        Provenance::PerDevice {
            flag: VmFlag::AtsDevices,
        },
        linux(H, "IDR0_ATS"),
        "PCIe ATS",
    ),
    row(
        IDR0,
        "ASID16",
        12,
        1,
        LS,
        B,
        linux(H, "IDR0_ASID16"),
        "16-bit ASIDs",
    ),
    row(
        IDR0,
        "MSI",
        13,
        1,
        LS,
        owned(0, "MSI-capable queues of the emulated SMMU"),
        linux(H, "IDR0_MSI"),
        "MSIs for queues",
    ),
    row(
        IDR0,
        "SEV",
        14,
        1,
        LS,
        owned(0, "WFE wake-up events of the emulated SMMU"),
        linux(H, "IDR0_SEV"),
        "Send event on queue updates",
    ),
    row(
        IDR0,
        "PRI",
        16,
        1,
        LS,
        Provenance::VmFlag(VmFlag::Iopf),
        linux(H, "IDR0_PRI"),
        "PCIe Page Request Interface",
    ),
    row(
        IDR0,
        "VMID16",
        18,
        1,
        LS,
        never("stage-2 VMIDs belong to the host"),
        linux(H, "IDR0_VMID16"),
        "16-bit VMIDs",
    ),
    row(
        IDR0,
        "CD2L",
        19,
        1,
        LS,
        B,
        linux(H, "IDR0_CD2L"),
        "Two-level context descriptor tables",
    ),
    Field {
        values: &[
            (0, "mixed endian (IDR0_TTENDIAN_MIXED)"),
            (2, "little endian (IDR0_TTENDIAN_LE)"),
            (3, "big endian (IDR0_TTENDIAN_BE)"),
        ],
        ..row(
            IDR0,
            "TTENDIAN",
            21,
            2,
            Rule::Enum {
                supersets: &[(0, 2), (0, 3)],
            },
            B,
            linux(H, "IDR0_TTENDIAN"),
            "Translation table endianness",
        )
    },
    Field {
        values: &[
            (0, "stall and terminate (IDR0_STALL_MODEL_STALL)"),
            (1, "terminate only"),
            (2, "stall forced (IDR0_STALL_MODEL_FORCE)"),
        ],
        ..row(
            IDR0,
            "STALL_MODEL",
            24,
            2,
            Rule::Enum {
                supersets: &[(0, 1), (0, 2)],
            },
            B,
            linux(H, "IDR0_STALL_MODEL"),
            "Fault stall model",
        )
    },
    Field {
        values: &[
            (0, "terminate may abort or RAZ/WI (CD.A)"),
            (1, "terminated transactions always abort"),
        ],
        ..row(
            IDR0,
            "TERM_MODEL",
            26,
            1,
            Rule::HigherSafe,
            B,
            Src::Qemu {
                file: Q,
                symbol: "FIELD(IDR0, TERM_MODEL, 26, 1)",
            },
            "Terminate model",
        )
    },
    Field {
        values: &[
            (0, "linear stream table"),
            (1, "2-level stream table (IDR0_ST_LVL_2LVL)"),
        ],
        ..row(
            IDR0,
            "ST_LEVEL",
            27,
            2,
            Rule::Enum {
                supersets: &[(1, 0)],
            },
            B,
            linux(H, "IDR0_ST_LVL"),
            "Stream table formats",
        )
    },
    // ---- IDR1 ----
    row(
        IDR1,
        "SIDSIZE",
        0,
        6,
        LS,
        B,
        linux(H, "IDR1_SIDSIZE"),
        "StreamID bits",
    ),
    row(
        IDR1,
        "SSIDSIZE",
        6,
        5,
        LS,
        B,
        linux(H, "IDR1_SSIDSIZE"),
        "SubstreamID (PASID) bits; 0 = no substreams",
    ),
    row(
        IDR1,
        "PRIQS",
        11,
        5,
        LS,
        owned(0, "log2 size of the emulated PRI queue"),
        linux(H, "IDR1_PRIQS"),
        "Maximum PRI queue size (log2)",
    ),
    row(
        IDR1,
        "EVTQS",
        16,
        5,
        LS,
        owned(
            19,
            "log2 size of the emulated event queue (QEMU SMMU_EVENTQS = 19)",
        ),
        linux(H, "IDR1_EVTQS"),
        "Maximum event queue size (log2)",
    ),
    row(
        IDR1,
        "CMDQS",
        21,
        5,
        LS,
        owned(
            19,
            "log2 size of the emulated command queue (QEMU SMMU_CMDQS = 19)",
        ),
        linux(H, "IDR1_CMDQS"),
        "Maximum command queue size (log2)",
    ),
    row(
        IDR1,
        "ATTR_TYPES_OVR",
        27,
        1,
        LS,
        never("STE attribute overrides are a host stage-2 matter"),
        linux(H, "IDR1_ATTR_TYPES_OVR"),
        "Incoming memory type override",
    ),
    row(
        IDR1,
        "REL",
        28,
        1,
        LS,
        owned(0, "base-pointer layout of the emulated SMMU"),
        linux(H, "IDR1_REL"),
        "Relative base pointers",
    ),
    row(
        IDR1,
        "QUEUES_PRESET",
        29,
        1,
        LS,
        owned(0, "queue placement of the emulated SMMU"),
        linux(H, "IDR1_QUEUES_PRESET"),
        "Queue base addresses fixed",
    ),
    row(
        IDR1,
        "TABLES_PRESET",
        30,
        1,
        LS,
        owned(0, "table placement of the emulated SMMU"),
        linux(H, "IDR1_TABLES_PRESET"),
        "Table base addresses fixed",
    ),
    // ---- IDR3 ----
    row(
        IDR3,
        "HAD",
        2,
        1,
        LS,
        never("not in the kdoc baseline"),
        Src::Qemu {
            file: Q,
            symbol: "FIELD(IDR3, HAD, 2, 1)",
        },
        "Hierarchical attribute disable",
    ),
    row(
        IDR3,
        "MPAM",
        7,
        1,
        LS,
        never("kdoc: MPAM is not supported by the kernel for nesting"),
        Src::Spec {
            doc: "ARM IHI 0070",
            section: "6.3.4 SMMU_IDR3.MPAM",
        },
        "Memory partitioning and monitoring",
    ),
    row(
        IDR3,
        "FWB",
        8,
        1,
        LS,
        never("stage-2 forced write-back is a property of the host's stage 2"),
        linux(H, "IDR3_FWB"),
        "Stage-2 forced write-back",
    ),
    row(
        IDR3,
        "RIL",
        10,
        1,
        LS,
        B,
        linux(H, "IDR3_RIL"),
        "Range-based invalidations",
    ),
    Field {
        values: &[
            (0, "level 0"),
            (1, "level 1 (IDR3_BBML1)"),
            (2, "level 2 (IDR3_BBML2)"),
        ],
        ..row(
            IDR3,
            "BBML",
            11,
            2,
            LS,
            B,
            linux(H, "IDR3_BBML"),
            "Break-before-make level",
        )
    },
    // ---- IDR5 ----
    Field {
        values: &[
            (0, "32-bit"),
            (1, "36-bit"),
            (2, "40-bit"),
            (3, "42-bit"),
            (4, "44-bit"),
            (5, "48-bit"),
            (6, "52-bit"),
        ],
        ..row(
            IDR5,
            "OAS",
            0,
            3,
            LS,
            owned(
                4,
                "the guest's IPA size, chosen by the VMM (QEMU default 44-bit); not in the kdoc list, compare it with the host's",
            ),
            linux(H, "IDR5_OAS"),
            "Output address size",
        )
    },
    row(
        IDR5,
        "GRAN4K",
        4,
        1,
        LS,
        B,
        linux(H, "IDR5_GRAN4K"),
        "4KB translation granule",
    ),
    row(
        IDR5,
        "GRAN16K",
        5,
        1,
        LS,
        B,
        linux(H, "IDR5_GRAN16K"),
        "16KB translation granule",
    ),
    row(
        IDR5,
        "GRAN64K",
        6,
        1,
        LS,
        B,
        linux(H, "IDR5_GRAN64K"),
        "64KB translation granule",
    ),
    Field {
        values: &[(0, "48-bit VA"), (1, "52-bit VA (IDR5_VAX_52_BIT)")],
        ..row(
            IDR5,
            "VAX",
            10,
            2,
            LS,
            B,
            linux(H, "IDR5_VAX"),
            "Virtual address extension",
        )
    },
    row(
        IDR5,
        "STALL_MAX",
        16,
        16,
        LS,
        Provenance::Firmware {
            what: "IORT/DT marking a device able to stall (dma-can-stall)",
        },
        linux(H, "IDR5_STALL_MAX"),
        "Maximum outstanding stalled transactions",
    ),
    // ---- IIDR / AIDR (identity) ----
    row(
        IIDR,
        "PRODUCTID",
        20,
        12,
        IDENT,
        Provenance::Identity,
        linux(H, "IIDR_PRODUCTID"),
        "Implementation product ID",
    ),
    row(
        IIDR,
        "VARIANT",
        16,
        4,
        IDENT,
        Provenance::Identity,
        linux(H, "IIDR_VARIANT"),
        "Implementation variant",
    ),
    row(
        IIDR,
        "REVISION",
        12,
        4,
        IDENT,
        Provenance::Identity,
        linux(H, "IIDR_REVISION"),
        "Implementation revision",
    ),
    row(
        IIDR,
        "IMPLEMENTER",
        0,
        12,
        IDENT,
        Provenance::Identity,
        linux(H, "IIDR_IMPLEMENTER"),
        "JEP106 implementer code",
    ),
    Field {
        values: &[
            (0x00, "SMMUv3.0"),
            (0x01, "SMMUv3.1"),
            (0x02, "SMMUv3.2"),
            (0x03, "SMMUv3.3"),
            (0x04, "SMMUv3.4"),
            (0x05, "SMMUv3.5"),
        ],
        ..row(
            AIDR,
            "ARCH_REV",
            0,
            8,
            LS,
            Provenance::Identity,
            Src::Spec {
                doc: "ARM IHI 0070",
                section: "6.3.7 SMMU_AIDR (ArchMajorRev[7:4], ArchMinorRev[3:0])",
            },
            "Architecture revision",
        )
    },
];

/// The SMMUv3 table.
pub static TABLE: Table = Table {
    kind: Kind::ArmSmmuV3,
    title: "Arm SMMUv3 ID registers (iommu_hw_info_arm_smmuv3)",
    registers: &REGS,
    fields: FIELDS,
    required: REGS.len(),
};

/// The full names of the kdoc baseline fields, exactly as merged (sanitize.md §1.3).
pub const KDOC_BASELINE: [&str; 15] = [
    "IDR0.ST_LEVEL",
    "IDR0.TERM_MODEL",
    "IDR0.STALL_MODEL",
    "IDR0.TTENDIAN",
    "IDR0.CD2L",
    "IDR0.ASID16",
    "IDR0.TTF",
    "IDR1.SIDSIZE",
    "IDR1.SSIDSIZE",
    "IDR3.BBML",
    "IDR3.RIL",
    "IDR5.VAX",
    "IDR5.GRAN64K",
    "IDR5.GRAN16K",
    "IDR5.GRAN4K",
];
