//! x86 CPUID leaves that migration cares about: 0x1, 0x7.0, 0x7.1, 0xD.0, 0xD.1, 0x80000001,
//! 0x80000008, leaf 0x0 (the maximum basic leaf and the vendor string, registers 28..31), and
//! the AMD leaves 0x80000007 (RAS, invariant TSC), 0x8000001F (memory encryption) and 0x80000021
//! (extended feature 2), registers 32..43. Feature bits: Linux `arch/x86/include/asm/cpufeatures.h` (`X86_FEATURE_*`, each
//! word's comment names its leaf and register). Multi-bit fields no Linux header defines (version
//! information, XSAVE sizes and bitmaps, address sizes) cite the Intel SDM / AMD APM. A bit Linux
//! does not define is unknown and cleared. `cpufeatures.h` read at torvalds/linux
//! baf8361e54550a48a7087b603313ad013cc13386.
//!
//! Provenance policy: instruction-set and architectural features are the baseline (lower-safe);
//! "deprecation" bits that promise less (FDP_EXCPTN_ONLY, ZERO_FCS_FDS, RTM_ALWAYS_ABORT) are
//! higher-safe; topology, APIC and OS-enable bits are VMM-owned; virtualization extensions need
//! the per-VM flag `nested-virt`; host-only, debug, power and monitoring features are never.

use super::{B, LS, never, owned, row};
use crate::model::{Field, Kind, Provenance, Register, Rule, Src, Table, VmFlag};

const CF: &str = "arch/x86/include/asm/cpufeatures.h";
const SDM: &str = "Intel SDM Vol. 2A, CPUID instruction";
const APM: &str = "AMD APM Vol. 3, Appendix E (CPUID)";

macro_rules! feat {
    ($reg:expr, $name:literal, $bit:expr, $prov:expr) => {
        feat!($reg, $name, $bit, $prov, LS)
    };
    ($reg:expr, $name:literal, $bit:expr, $prov:expr, $rule:expr) => {
        row(
            $reg,
            $name,
            $bit,
            1,
            $rule,
            $prov,
            Src::Linux {
                file: CF,
                symbol: concat!("X86_FEATURE_", $name),
            },
            "",
        )
    };
}

const fn spec(doc: &'static str, section: &'static str) -> Src {
    Src::Spec { doc, section }
}

const HOST: Provenance = never("host-only, debug, power-management or monitoring feature");
const NV: Provenance = Provenance::VmFlag(VmFlag::NestedVirt);
const SEVH: Provenance = never(
    "the host's memory-encryption capability: a confidential guest learns its own from its launch, not from this leaf",
);
/// Identity fields (the version signature): not capabilities. Hosts that differ fold to 0 (no
/// common signature: the VMM presents a named model's), as arm64 `FTR_EXACT` with a safe value.
const IDENT: Rule = Rule::Exact { safe: Some(0) };
/// The vendor string: hosts of different vendors have no common profile (see
/// `BaselineError::VendorMismatch`).
const VENDOR: Rule = Rule::Exact { safe: None };

/// Register indices: leaf 0x1 EAX..EDX.
pub const L1_EAX: usize = 0;
const L1_EBX: usize = 1;
const L1_ECX: usize = 2;
const L1_EDX: usize = 3;
const L7_EAX: usize = 4;
const L7_EBX: usize = 5;
const L7_ECX: usize = 6;
const L7_EDX: usize = 7;
const L71_EAX: usize = 8;
const LD_EAX: usize = 12;
const LD_EBX: usize = 13;
const LD_ECX: usize = 14;
const LD_EDX: usize = 15;
const LD1_EAX: usize = 16;
const LD1_EBX: usize = 17;
const LD1_ECX: usize = 18;
const LD1_EDX: usize = 19;
const X1_EAX: usize = 20;
const X1_ECX: usize = 22;
const X1_EDX: usize = 23;
const X8_EAX: usize = 24;
const X8_EBX: usize = 25;
const X8_ECX: usize = 26;
/// Leaf 0x0 EAX (maximum basic leaf), then the vendor string in EBX, EDX, ECX order.
pub const L0_EAX: usize = 28;
/// Leaf 0x0 EBX: vendor string bytes 0..4.
pub const L0_EBX: usize = 29;
/// Leaf 0x0 ECX: vendor string bytes 8..12.
pub const L0_ECX: usize = 30;
/// Leaf 0x0 EDX: vendor string bytes 4..8.
pub const L0_EDX: usize = 31;
const X7_EBX: usize = 33;
const X7_EDX: usize = 35;
const X1F_EAX: usize = 36;
const X21_EAX: usize = 40;

/// The (leaf, subleaf) pairs in register order; each has EAX, EBX, ECX, EDX.
pub const LEAVES: [(u32, u32); 11] = [
    (0x1, 0),
    (0x7, 0),
    (0x7, 1),
    (0xd, 0),
    (0xd, 1),
    (0x8000_0001, 0),
    (0x8000_0008, 0),
    (0x0, 0),
    (0x8000_0007, 0),
    (0x8000_001f, 0),
    (0x8000_0021, 0),
];

macro_rules! regs4 {
    ($l:literal) => {
        [
            Register {
                name: concat!("CPUID.", $l, ".EAX"),
                bits: 32,
            },
            Register {
                name: concat!("CPUID.", $l, ".EBX"),
                bits: 32,
            },
            Register {
                name: concat!("CPUID.", $l, ".ECX"),
                bits: 32,
            },
            Register {
                name: concat!("CPUID.", $l, ".EDX"),
                bits: 32,
            },
        ]
    };
}

const fn flatten() -> [Register; 44] {
    let groups: [[Register; 4]; 11] = [
        regs4!("0x1.0x0"),
        regs4!("0x7.0x0"),
        regs4!("0x7.0x1"),
        regs4!("0xd.0x0"),
        regs4!("0xd.0x1"),
        regs4!("0x80000001.0x0"),
        regs4!("0x80000008.0x0"),
        regs4!("0x0.0x0"),
        regs4!("0x80000007.0x0"),
        regs4!("0x8000001f.0x0"),
        regs4!("0x80000021.0x0"),
    ];
    let mut out = [Register { name: "", bits: 32 }; 44];
    let mut i = 0;
    while i < 44 {
        out[i] = groups[i / 4][i % 4];
        i += 1;
    }
    out
}

const REGS: [Register; 44] = flatten();

const FIELDS: &[Field] = &[
    // ---- leaf 0x0: maximum basic leaf and vendor ----
    row(
        L0_EAX,
        "MAX_LEAF",
        0,
        32,
        LS,
        Provenance::Identity,
        spec(SDM, "EAX=00H: EAX maximum input value for basic CPUID"),
        "Maximum basic leaf",
    ),
    row(
        L0_EBX,
        "VENDOR_0",
        0,
        32,
        VENDOR,
        Provenance::Identity,
        spec(
            SDM,
            "EAX=00H: EBX \"Genu\" / AMD APM Fn0000_0000_EBX \"Auth\"",
        ),
        "Vendor string, bytes 0..4",
    ),
    row(
        L0_EDX,
        "VENDOR_1",
        0,
        32,
        VENDOR,
        Provenance::Identity,
        spec(
            SDM,
            "EAX=00H: EDX \"ineI\" / AMD APM Fn0000_0000_EDX \"enti\"",
        ),
        "Vendor string, bytes 4..8",
    ),
    row(
        L0_ECX,
        "VENDOR_2",
        0,
        32,
        VENDOR,
        Provenance::Identity,
        spec(
            SDM,
            "EAX=00H: ECX \"ntel\" / AMD APM Fn0000_0000_ECX \"cAMD\"",
        ),
        "Vendor string, bytes 8..12",
    ),
    // ---- leaf 0x1 EAX: version information (identity) ----
    row(
        L1_EAX,
        "STEPPING",
        0,
        4,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: version information, EAX[3:0]"),
        "Stepping ID",
    ),
    row(
        L1_EAX,
        "MODEL",
        4,
        4,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: version information, EAX[7:4]"),
        "Model",
    ),
    row(
        L1_EAX,
        "FAMILY",
        8,
        4,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: version information, EAX[11:8]"),
        "Family ID",
    ),
    row(
        L1_EAX,
        "TYPE",
        12,
        2,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: version information, EAX[13:12]"),
        "Processor type",
    ),
    row(
        L1_EAX,
        "EXT_MODEL",
        16,
        4,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: version information, EAX[19:16]"),
        "Extended model ID",
    ),
    row(
        L1_EAX,
        "EXT_FAMILY",
        20,
        8,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: version information, EAX[27:20]"),
        "Extended family ID",
    ),
    // ---- leaf 0x1 EBX ----
    row(
        L1_EBX,
        "BRAND_INDEX",
        0,
        8,
        LS,
        owned(0, "brand index of the virtual CPU"),
        spec(SDM, "EAX=01H: EBX[7:0]"),
        "Brand index",
    ),
    row(
        L1_EBX,
        "CLFLUSH_SIZE",
        8,
        8,
        IDENT,
        Provenance::Identity,
        spec(SDM, "EAX=01H: EBX[15:8]"),
        "CLFLUSH line size / 8",
    ),
    row(
        L1_EBX,
        "MAX_LOGICAL",
        16,
        8,
        LS,
        owned(0, "topology of the virtual CPU"),
        spec(SDM, "EAX=01H: EBX[23:16]"),
        "Maximum addressable logical processor IDs",
    ),
    row(
        L1_EBX,
        "INITIAL_APIC_ID",
        24,
        8,
        LS,
        owned(0, "per-vCPU APIC ID, set by the VMM for each vCPU"),
        spec(SDM, "EAX=01H: EBX[31:24]"),
        "Initial APIC ID",
    ),
    // ---- leaf 0x1 ECX (word 4) ----
    feat!(L1_ECX, "XMM3", 0, B),
    feat!(L1_ECX, "PCLMULQDQ", 1, B),
    feat!(L1_ECX, "DTES64", 2, HOST),
    feat!(L1_ECX, "MWAIT", 3, HOST),
    feat!(L1_ECX, "DSCPL", 4, HOST),
    feat!(L1_ECX, "VMX", 5, NV),
    feat!(L1_ECX, "SMX", 6, HOST),
    feat!(L1_ECX, "EST", 7, HOST),
    feat!(L1_ECX, "TM2", 8, HOST),
    feat!(L1_ECX, "SSSE3", 9, B),
    feat!(L1_ECX, "CID", 10, HOST),
    feat!(L1_ECX, "SDBG", 11, HOST),
    feat!(L1_ECX, "FMA", 12, B),
    feat!(L1_ECX, "CX16", 13, B),
    feat!(L1_ECX, "XTPR", 14, HOST),
    feat!(L1_ECX, "PDCM", 15, HOST),
    feat!(L1_ECX, "PCID", 17, B),
    feat!(L1_ECX, "DCA", 18, HOST),
    feat!(L1_ECX, "XMM4_1", 19, B),
    feat!(L1_ECX, "XMM4_2", 20, B),
    feat!(
        L1_ECX,
        "X2APIC",
        21,
        owned(1, "the VMM's (in-kernel) local APIC emulation")
    ),
    feat!(L1_ECX, "MOVBE", 22, B),
    feat!(L1_ECX, "POPCNT", 23, B),
    feat!(
        L1_ECX,
        "TSC_DEADLINE_TIMER",
        24,
        owned(1, "the VMM's local APIC timer emulation")
    ),
    feat!(L1_ECX, "AES", 25, B),
    feat!(L1_ECX, "XSAVE", 26, B),
    feat!(
        L1_ECX,
        "OSXSAVE",
        27,
        owned(0, "reflects the guest's CR4.OSXSAVE at run time")
    ),
    feat!(L1_ECX, "AVX", 28, B),
    feat!(L1_ECX, "F16C", 29, B),
    feat!(L1_ECX, "RDRAND", 30, B),
    feat!(
        L1_ECX,
        "HYPERVISOR",
        31,
        owned(1, "a guest runs on a hypervisor")
    ),
    // ---- leaf 0x1 EDX (word 0) ----
    feat!(L1_EDX, "FPU", 0, B),
    feat!(L1_EDX, "VME", 1, B),
    feat!(L1_EDX, "DE", 2, B),
    feat!(L1_EDX, "PSE", 3, B),
    feat!(L1_EDX, "TSC", 4, B),
    feat!(L1_EDX, "MSR", 5, B),
    feat!(L1_EDX, "PAE", 6, B),
    feat!(L1_EDX, "MCE", 7, B),
    feat!(L1_EDX, "CX8", 8, B),
    feat!(
        L1_EDX,
        "APIC",
        9,
        owned(1, "the VMM's local APIC emulation")
    ),
    feat!(L1_EDX, "SEP", 11, B),
    feat!(L1_EDX, "MTRR", 12, B),
    feat!(L1_EDX, "PGE", 13, B),
    feat!(L1_EDX, "MCA", 14, B),
    feat!(L1_EDX, "CMOV", 15, B),
    feat!(L1_EDX, "PAT", 16, B),
    feat!(L1_EDX, "PSE36", 17, B),
    feat!(L1_EDX, "PN", 18, HOST),
    feat!(L1_EDX, "CLFLUSH", 19, B),
    feat!(L1_EDX, "DS", 21, HOST),
    feat!(L1_EDX, "ACPI", 22, HOST),
    feat!(L1_EDX, "MMX", 23, B),
    feat!(L1_EDX, "FXSR", 24, B),
    feat!(L1_EDX, "XMM", 25, B),
    feat!(L1_EDX, "XMM2", 26, B),
    feat!(L1_EDX, "SELFSNOOP", 27, B),
    feat!(L1_EDX, "HT", 28, owned(0, "topology of the virtual CPU")),
    feat!(L1_EDX, "ACC", 29, HOST),
    feat!(L1_EDX, "IA64", 30, HOST),
    feat!(L1_EDX, "PBE", 31, HOST),
    // ---- leaf 0x7.0 ----
    row(
        L7_EAX,
        "MAX_SUBLEAF",
        0,
        32,
        LS,
        owned(1, "highest leaf-7 subleaf the VMM describes"),
        spec(SDM, "EAX=07H,ECX=0: EAX"),
        "Maximum leaf-7 subleaf",
    ),
    feat!(L7_EBX, "FSGSBASE", 0, B),
    feat!(L7_EBX, "TSC_ADJUST", 1, B),
    feat!(
        L7_EBX,
        "SGX",
        2,
        never("SGX needs EPC sections the VMM must provide")
    ),
    feat!(L7_EBX, "BMI1", 3, B),
    feat!(L7_EBX, "HLE", 4, B),
    feat!(L7_EBX, "AVX2", 5, B),
    feat!(L7_EBX, "FDP_EXCPTN_ONLY", 6, B, Rule::HigherSafe),
    feat!(L7_EBX, "SMEP", 7, B),
    feat!(L7_EBX, "BMI2", 8, B),
    feat!(L7_EBX, "ERMS", 9, B),
    feat!(L7_EBX, "INVPCID", 10, B),
    feat!(L7_EBX, "RTM", 11, B),
    feat!(L7_EBX, "CQM", 12, HOST),
    feat!(L7_EBX, "ZERO_FCS_FDS", 13, B, Rule::HigherSafe),
    feat!(
        L7_EBX,
        "MPX",
        14,
        never("MPX is removed from Linux and KVM")
    ),
    feat!(L7_EBX, "RDT_A", 15, HOST),
    feat!(L7_EBX, "AVX512F", 16, B),
    feat!(L7_EBX, "AVX512DQ", 17, B),
    feat!(L7_EBX, "RDSEED", 18, B),
    feat!(L7_EBX, "ADX", 19, B),
    feat!(L7_EBX, "SMAP", 20, B),
    feat!(L7_EBX, "AVX512IFMA", 21, B),
    feat!(L7_EBX, "CLFLUSHOPT", 23, B),
    feat!(L7_EBX, "CLWB", 24, B),
    feat!(L7_EBX, "INTEL_PT", 25, HOST),
    feat!(L7_EBX, "AVX512PF", 26, B),
    feat!(L7_EBX, "AVX512ER", 27, B),
    feat!(L7_EBX, "AVX512CD", 28, B),
    feat!(L7_EBX, "SHA_NI", 29, B),
    feat!(L7_EBX, "AVX512BW", 30, B),
    feat!(L7_EBX, "AVX512VL", 31, B),
    feat!(L7_ECX, "AVX512VBMI", 1, B),
    feat!(L7_ECX, "UMIP", 2, B),
    feat!(L7_ECX, "PKU", 3, B),
    feat!(
        L7_ECX,
        "OSPKE",
        4,
        owned(0, "reflects the guest's CR4.PKE at run time")
    ),
    feat!(L7_ECX, "WAITPKG", 5, B),
    feat!(L7_ECX, "AVX512_VBMI2", 6, B),
    feat!(
        L7_ECX,
        "SHSTK",
        7,
        never("CET shadow stacks need per-state KVM support vcap does not model")
    ),
    feat!(L7_ECX, "GFNI", 8, B),
    feat!(L7_ECX, "VAES", 9, B),
    feat!(L7_ECX, "VPCLMULQDQ", 10, B),
    feat!(L7_ECX, "AVX512_VNNI", 11, B),
    feat!(L7_ECX, "AVX512_BITALG", 12, B),
    feat!(L7_ECX, "TME", 13, HOST),
    feat!(L7_ECX, "AVX512_VPOPCNTDQ", 14, B),
    feat!(L7_ECX, "LA57", 16, B),
    feat!(L7_ECX, "RDPID", 22, B),
    feat!(L7_ECX, "BUS_LOCK_DETECT", 24, HOST),
    feat!(L7_ECX, "CLDEMOTE", 25, B),
    feat!(L7_ECX, "MOVDIRI", 27, B),
    feat!(L7_ECX, "MOVDIR64B", 28, B),
    feat!(
        L7_ECX,
        "ENQCMD",
        29,
        never("ENQCMD needs PASID translation the VMM must provide")
    ),
    feat!(
        L7_ECX,
        "SGX_LC",
        30,
        never("SGX needs EPC sections the VMM must provide")
    ),
    feat!(L7_EDX, "AVX512_4VNNIW", 2, B),
    feat!(L7_EDX, "AVX512_4FMAPS", 3, B),
    feat!(L7_EDX, "FSRM", 4, B),
    feat!(L7_EDX, "AVX512_VP2INTERSECT", 8, B),
    feat!(L7_EDX, "SRBDS_CTRL", 9, HOST),
    feat!(L7_EDX, "MD_CLEAR", 10, B),
    feat!(L7_EDX, "RTM_ALWAYS_ABORT", 11, B, Rule::HigherSafe),
    feat!(L7_EDX, "TSX_FORCE_ABORT", 13, HOST),
    feat!(L7_EDX, "SERIALIZE", 14, B),
    feat!(L7_EDX, "HYBRID_CPU", 15, HOST),
    feat!(L7_EDX, "TSXLDTRK", 16, B),
    feat!(L7_EDX, "PCONFIG", 18, HOST),
    feat!(L7_EDX, "ARCH_LBR", 19, HOST),
    feat!(
        L7_EDX,
        "IBT",
        20,
        never("CET indirect branch tracking needs per-state KVM support vcap does not model")
    ),
    feat!(L7_EDX, "AMX_BF16", 22, B),
    feat!(L7_EDX, "AVX512_FP16", 23, B),
    feat!(L7_EDX, "AMX_TILE", 24, B),
    feat!(L7_EDX, "AMX_INT8", 25, B),
    feat!(L7_EDX, "SPEC_CTRL", 26, B),
    feat!(L7_EDX, "INTEL_STIBP", 27, B),
    feat!(L7_EDX, "FLUSH_L1D", 28, B),
    feat!(L7_EDX, "ARCH_CAPABILITIES", 29, B),
    feat!(L7_EDX, "CORE_CAPABILITIES", 30, HOST),
    feat!(L7_EDX, "SPEC_CTRL_SSBD", 31, B),
    // ---- leaf 0x7.1 EAX (word 12) ----
    feat!(L71_EAX, "AVX_VNNI", 4, B),
    feat!(L71_EAX, "AVX512_BF16", 5, B),
    feat!(L71_EAX, "CMPCCXADD", 7, B),
    feat!(L71_EAX, "ARCH_PERFMON_EXT", 8, HOST),
    feat!(L71_EAX, "FZRM", 10, B),
    feat!(L71_EAX, "FSRS", 11, B),
    feat!(L71_EAX, "FSRC", 12, B),
    feat!(L71_EAX, "LKGS", 18, B),
    feat!(L71_EAX, "AMX_FP16", 21, B),
    feat!(L71_EAX, "AVX_IFMA", 23, B),
    feat!(L71_EAX, "LAM", 26, B),
    // ---- leaf 0xD.0 ----
    row(
        LD_EAX,
        "XCR0_LO",
        0,
        32,
        Rule::Bitmap,
        B,
        spec(SDM, "EAX=0DH,ECX=0: EAX, valid XCR0[31:0]"),
        "Supported user state components XCR0[31:0]",
    ),
    row(
        LD_EBX,
        "SIZE_ENABLED",
        0,
        32,
        LS,
        super::derived(
            0,
            "XSAVE area size for the guest's current XCR0, computed by the VMM",
        ),
        spec(SDM, "EAX=0DH,ECX=0: EBX"),
        "XSAVE size for enabled components",
    ),
    row(
        LD_ECX,
        "SIZE_MAX",
        0,
        32,
        LS,
        super::derived(
            0,
            "XSAVE area size for the guest's XCR0 bitmap, computed by the VMM",
        ),
        spec(SDM, "EAX=0DH,ECX=0: ECX"),
        "XSAVE size for all supported components",
    ),
    row(
        LD_EDX,
        "XCR0_HI",
        0,
        32,
        Rule::Bitmap,
        B,
        spec(SDM, "EAX=0DH,ECX=0: EDX, valid XCR0[63:32]"),
        "Supported user state components XCR0[63:32]",
    ),
    // ---- leaf 0xD.1 (word 10) ----
    feat!(LD1_EAX, "XSAVEOPT", 0, B),
    feat!(LD1_EAX, "XSAVEC", 1, B),
    feat!(LD1_EAX, "XGETBV1", 2, B),
    feat!(LD1_EAX, "XSAVES", 3, B),
    feat!(LD1_EAX, "XFD", 4, B),
    row(
        LD1_EBX,
        "SIZE_XCR0_XSS",
        0,
        32,
        LS,
        super::derived(
            0,
            "XSAVES area size for the guest's XCR0|XSS, computed by the VMM",
        ),
        spec(SDM, "EAX=0DH,ECX=1: EBX"),
        "XSAVES size for enabled components",
    ),
    row(
        LD1_ECX,
        "XSS_LO",
        0,
        32,
        Rule::Bitmap,
        never("supervisor state components need per-component KVM support vcap does not model"),
        spec(SDM, "EAX=0DH,ECX=1: ECX, valid IA32_XSS[31:0]"),
        "Supported supervisor state components IA32_XSS[31:0]",
    ),
    row(
        LD1_EDX,
        "XSS_HI",
        0,
        32,
        Rule::Bitmap,
        never("supervisor state components need per-component KVM support vcap does not model"),
        spec(SDM, "EAX=0DH,ECX=1: EDX, valid IA32_XSS[63:32]"),
        "Supported supervisor state components IA32_XSS[63:32]",
    ),
    // ---- leaf 0x80000001 ----
    row(
        X1_EAX,
        "EXT_SIGNATURE",
        0,
        32,
        IDENT,
        Provenance::Identity,
        spec(APM, "Fn8000_0001_EAX"),
        "Extended family, model, stepping",
    ),
    feat!(X1_ECX, "LAHF_LM", 0, B),
    feat!(
        X1_ECX,
        "CMP_LEGACY",
        1,
        owned(0, "topology of the virtual CPU")
    ),
    feat!(X1_ECX, "SVM", 2, NV),
    feat!(X1_ECX, "EXTAPIC", 3, HOST),
    feat!(X1_ECX, "CR8_LEGACY", 4, B),
    feat!(X1_ECX, "ABM", 5, B),
    feat!(X1_ECX, "SSE4A", 6, B),
    feat!(X1_ECX, "MISALIGNSSE", 7, B),
    feat!(X1_ECX, "3DNOWPREFETCH", 8, B),
    feat!(X1_ECX, "OSVW", 9, HOST),
    feat!(X1_ECX, "IBS", 10, HOST),
    feat!(X1_ECX, "XOP", 11, B),
    feat!(X1_ECX, "SKINIT", 12, HOST),
    feat!(X1_ECX, "WDT", 13, HOST),
    feat!(X1_ECX, "LWP", 15, HOST),
    feat!(X1_ECX, "FMA4", 16, B),
    feat!(X1_ECX, "TCE", 17, HOST),
    feat!(X1_ECX, "NODEID_MSR", 19, HOST),
    feat!(X1_ECX, "TBM", 21, B),
    feat!(
        X1_ECX,
        "TOPOEXT",
        22,
        owned(0, "topology of the virtual CPU")
    ),
    feat!(X1_ECX, "PERFCTR_CORE", 23, HOST),
    feat!(X1_ECX, "PERFCTR_NB", 24, HOST),
    feat!(X1_ECX, "BPEXT", 26, HOST),
    feat!(X1_ECX, "PTSC", 27, HOST),
    feat!(X1_ECX, "PERFCTR_LLC", 28, HOST),
    feat!(X1_ECX, "MWAITX", 29, HOST),
    // ---- leaf 0x80000007 EBX (word 17): RAS, host-only ----
    feat!(X7_EBX, "OVERFLOW_RECOV", 0, HOST),
    feat!(X7_EBX, "SUCCOR", 1, HOST),
    feat!(X7_EBX, "SMCA", 3, HOST),
    row(
        X7_EDX,
        "INVARIANT_TSC",
        8,
        1,
        LS,
        owned(
            0,
            "invariant TSC: promised only when the VMM fixes the guest TSC frequency (TSC scaling on every host)",
        ),
        spec(
            APM,
            "Fn8000_0007_EDX[8] TscInvariant; Intel SDM EAX=80000007H: EDX[8]",
        ),
        "Invariant TSC",
    ),
    // ---- leaf 0x8000001F EAX (word 19): memory encryption of the host ----
    feat!(X1F_EAX, "SME", 0, SEVH),
    feat!(X1F_EAX, "SEV", 1, SEVH),
    feat!(X1F_EAX, "VM_PAGE_FLUSH", 2, SEVH),
    feat!(X1F_EAX, "SEV_ES", 3, SEVH),
    feat!(X1F_EAX, "V_TSC_AUX", 9, SEVH),
    feat!(X1F_EAX, "SME_COHERENT", 10, SEVH),
    feat!(X1F_EAX, "DEBUG_SWAP", 14, SEVH),
    // ---- leaf 0x80000021 EAX (word 20): AMD extended feature 2 ----
    feat!(X21_EAX, "NO_NESTED_DATA_BP", 0, B),
    feat!(X21_EAX, "WRMSR_XX_BASE_NS", 1, B),
    feat!(X21_EAX, "LFENCE_RDTSC", 2, B),
    feat!(X21_EAX, "NULL_SEL_CLR_BASE", 6, B),
    feat!(X21_EAX, "AUTOIBRS", 8, B),
    feat!(X21_EAX, "NO_SMM_CTL_MSR", 9, B),
    feat!(X21_EAX, "SBPB", 27, B),
    feat!(X21_EAX, "IBPB_BRTYPE", 28, B),
    feat!(X21_EAX, "SRSO_NO", 29, B),
    feat!(X1_EDX, "SYSCALL", 11, B),
    feat!(X1_EDX, "MP", 19, HOST),
    feat!(X1_EDX, "NX", 20, B),
    feat!(X1_EDX, "MMXEXT", 22, B),
    feat!(X1_EDX, "FXSR_OPT", 25, B),
    feat!(X1_EDX, "GBPAGES", 26, B),
    feat!(X1_EDX, "RDTSCP", 27, B),
    feat!(X1_EDX, "LM", 29, B),
    feat!(X1_EDX, "3DNOWEXT", 30, B),
    feat!(X1_EDX, "3DNOW", 31, B),
    // ---- leaf 0x80000008 ----
    row(
        X8_EAX,
        "PHYS_ADDR_BITS",
        0,
        8,
        LS,
        B,
        spec(
            APM,
            "Fn8000_0008_EAX[7:0] PhysAddrSize; Intel SDM EAX=80000008H: EAX[7:0]",
        ),
        "Physical address bits",
    ),
    row(
        X8_EAX,
        "LIN_ADDR_BITS",
        8,
        8,
        LS,
        B,
        spec(
            APM,
            "Fn8000_0008_EAX[15:8] LinAddrSize; Intel SDM EAX=80000008H: EAX[15:8]",
        ),
        "Linear address bits",
    ),
    row(
        X8_EAX,
        "GUEST_PHYS_ADDR_BITS",
        16,
        8,
        LS,
        owned(0, "guest physical address size; 0 means PHYS_ADDR_BITS"),
        spec(APM, "Fn8000_0008_EAX[23:16] GuestPhysAddrSize"),
        "Guest physical address bits",
    ),
    feat!(X8_EBX, "CLZERO", 0, B),
    feat!(X8_EBX, "IRPERF", 1, HOST),
    feat!(X8_EBX, "XSAVEERPTR", 2, B),
    feat!(X8_EBX, "RDPRU", 4, HOST),
    feat!(X8_EBX, "WBNOINVD", 9, B),
    feat!(X8_EBX, "AMD_IBPB", 12, B),
    feat!(X8_EBX, "AMD_IBRS", 14, B),
    feat!(X8_EBX, "AMD_STIBP", 15, B),
    feat!(X8_EBX, "AMD_STIBP_ALWAYS_ON", 17, B),
    feat!(X8_EBX, "AMD_PPIN", 23, HOST),
    feat!(X8_EBX, "AMD_SSBD", 24, B),
    feat!(X8_EBX, "VIRT_SSBD", 25, B),
    feat!(X8_EBX, "AMD_SSB_NO", 26, B),
    feat!(X8_EBX, "CPPC", 27, HOST),
    feat!(X8_EBX, "AMD_PSFD", 28, B),
    feat!(X8_EBX, "BTC_NO", 29, B),
    feat!(X8_EBX, "BRS", 31, HOST),
    row(
        X8_ECX,
        "NC",
        0,
        8,
        LS,
        owned(0, "core count of the virtual CPU, minus 1"),
        spec(APM, "Fn8000_0008_ECX[7:0] NC"),
        "Number of physical cores minus 1",
    ),
    row(
        X8_ECX,
        "APIC_ID_SIZE",
        12,
        4,
        LS,
        owned(0, "topology of the virtual CPU"),
        spec(APM, "Fn8000_0008_ECX[15:12] ApicIdSize"),
        "APIC ID size",
    ),
];

/// The CPUID table.
pub static TABLE: Table = Table {
    kind: Kind::X86Cpuid,
    title: "x86 CPUID leaves 0x0, 0x1, 0x7.0, 0x7.1, 0xD.0, 0xD.1, 0x80000001, 0x80000007, 0x80000008, 0x8000001F, 0x80000021",
    registers: &REGS,
    fields: FIELDS,
};

/// The register index of `(leaf, subleaf, reg)` where reg 0..4 is EAX, EBX, ECX, EDX.
pub fn register_of(leaf: u32, subleaf: u32, reg: usize) -> Option<usize> {
    LEAVES
        .iter()
        .position(|&(l, s)| l == leaf && s == subleaf)
        .map(|i| i * 4 + reg)
}

/// The tracked leaves as text (`0x1.0x0, 0x7.0x0, …`), for error messages.
pub fn leaf_list() -> String {
    LEAVES
        .iter()
        .map(|(l, s)| format!("{l:#x}.{s:#x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a CPU implements `(leaf, subleaf)` by its own maximum leaves, when the dump tells:
/// basic leaves up to leaf 0 EAX, extended leaves up to leaf 0x80000000 EAX, subleaf 1 of leaf 7
/// up to leaf 7.0 EAX. `None` when the dump lacks the leaf that would tell.
fn implemented(leaves: &crate::input::CpuidLeaves, leaf: u32, sub: u32) -> Option<bool> {
    let max_of = |l: u32| leaves.get(&(l, 0)).map(|r| r[0]);
    let in_range = if leaf >= 0x8000_0000 {
        max_of(0x8000_0000).map(|m| leaf <= m)
    } else {
        max_of(0).map(|m| leaf <= m)
    }?;
    if !in_range {
        return Some(false);
    }
    Some(match (leaf, sub) {
        (0x7, s) if s > 0 => leaves.get(&(0x7, 0)).map(|r| s <= r[0])?,
        _ => true,
    })
}

/// The register set of one CPU from its `cpuid -r` leaves. A tracked leaf the dump lacks is zero
/// only when the CPU's maximum leaf says it does not exist (the architectural meaning of an
/// unimplemented leaf); a leaf within range, or one whose range the dump does not give, is an
/// error naming the leaf and the fields it would have zeroed.
pub fn regset_from_leaves(
    leaves: &crate::input::CpuidLeaves,
) -> Result<crate::model::RegSet, crate::input::Problem> {
    let mut regs = crate::model::RegSet::zero(Kind::X86Cpuid);
    for (i, &(leaf, sub)) in LEAVES.iter().enumerate() {
        match leaves.get(&(leaf, sub)) {
            Some(v) => {
                for (j, x) in v.iter().enumerate() {
                    regs.regs[i * 4 + j] = u64::from(*x);
                }
            }
            None => match implemented(leaves, leaf, sub) {
                Some(false) => {}
                known => {
                    let names: Vec<&str> = FIELDS
                        .iter()
                        .filter(|f| f.reg / 4 == i)
                        .map(|f| f.name)
                        .collect();
                    return Err(crate::input::Problem::MissingLeaf {
                        leaf,
                        subleaf: sub,
                        why: if known.is_some() {
                            "the CPU's maximum leaf includes it"
                        } else {
                            "the dump lacks the leaf that gives the maximum (0x0 or 0x80000000), so absence cannot be told from a short dump"
                        },
                        fields: crate::input::excerpt(&names.join(", ")),
                    });
                }
            },
        }
    }
    Ok(regs)
}

/// The vendor string of a CPUID register set (`GenuineIntel`, `AuthenticAMD`, ...), from leaf 0
/// EBX, EDX, ECX; non-printable bytes as `?`.
pub fn vendor(r: &crate::model::RegSet) -> String {
    [L0_EBX, L0_EDX, L0_ECX]
        .iter()
        .flat_map(|&i| (r.regs[i] as u32).to_le_bytes())
        .map(|b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}
