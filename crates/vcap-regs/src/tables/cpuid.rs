//! x86 CPUID leaves that migration cares about: 0x1, 0x7.0, 0x7.1, 0xD.0, 0xD.1, 0x80000001,
//! 0x80000008, leaf 0x0 (the maximum basic leaf and the vendor string, registers 28..31), and
//! the AMD leaves 0x80000007 (RAS, invariant TSC), 0x8000001F (memory encryption) and 0x80000021
//! (extended feature 2), registers 32..43 — these 44 are required in every input. Optional
//! (added later; an input without them leaves them unknown, never zero), registers 44..99: leaf
//! 0x6 (thermal/power, ARAT), 0x7.2 (KVM's speculation-control word), the XSAVE components
//! 0xD.2, 0xD.5-0xD.7, 0xD.9, 0xD.17, 0xD.18 ([`XSAVE_COMPONENTS`]), 0x14.0 and 0x14.1 (Intel
//! PT, `arch/x86/events/intel/pt.c` `pt_caps[]`), 0x19 (Key Locker, Intel's Key Locker
//! specification), 0x24.0 (AVX10 version and vector lengths, announced by 0x7.1 EDX
//! AVX10: [`LEAF_GATES`]) and 0x24.1 (AVX10 discrete features: ECX\[2\] AVX10_VNNI_INT, KVM's
//! word `CPUID_24_1_ECX`). Leaf 0x7.1 EDX, 0x7.2 EDX and 0x24 EBX bits are KVM-only words,
//! `arch/x86/kvm/reverse_cpuid.h` (0x7.2 since Linux 6.3; 0x24 and 0x7.1 EDX AVX10, bit 19,
//! since 6.14: later than the cpufeatures.h commit below, which has no 7.1 EDX word); the 7.1
//! EDX rows (AVX_VNNI_INT8 4, AVX_NE_CONVERT 5, AMX_COMPLEX 8, AVX_VNNI_INT16 10, PREFETCHITI
//! 14, AVX10 19) were checked against reverse_cpuid.h and `kvm_cpu_cap_init(CPUID_7_1_EDX, …)` in
//! `arch/x86/kvm/cpuid.c` as the mainline mirror Kingxukai/linux has them (0291023e, 9b44fff6),
//! and against QEMU's `FEAT_7_1_EDX` names (`target/i386/cpu.c`, qemu/qemu 0048035a); APX (bit
//! 21) is a Linux-scattered bit (`arch/x86/kernel/cpu/scattered.c`) KVM does not pass through.
//! Feature bits: Linux `arch/x86/include/asm/cpufeatures.h` (`X86_FEATURE_*`, each
//! word's comment names its leaf and register). Multi-bit fields no Linux header defines (version
//! information, XSAVE sizes and bitmaps, address sizes) cite the Intel SDM / AMD APM. A bit Linux
//! does not define is unknown and cleared. `cpufeatures.h` read at torvalds/linux
//! baf8361e54550a48a7087b603313ad013cc13386.
//!
//! Provenance policy: instruction-set and architectural features are the baseline (lower-safe);
//! "deprecation" bits that promise less (FDP_EXCPTN_ONLY, ZERO_FCS_FDS, RTM_ALWAYS_ABORT) are
//! higher-safe; topology, APIC and OS-enable bits are VMM-owned; virtualization extensions need
//! the per-VM flag `nested-virt`; host-only, debug, power and monitoring features are never.

use super::{B, LS, linux, never, owned, owned_host, row};
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

/// A KVM-only feature bit (`arch/x86/kvm/reverse_cpuid.h`, `KVM_X86_FEATURE(word, bit)`): leaf
/// 0x7.1 EDX, 0x7.2 EDX (Linux 6.3), 0x24.0 EBX (Linux 6.14) and 0x24.1 ECX (Linux 6.20), words
/// cpufeatures.h does not have.
macro_rules! kvm {
    ($reg:expr, $name:literal, $bit:expr, $sym:literal) => {
        row(
            $reg,
            $name,
            $bit,
            1,
            LS,
            B,
            Src::Linux {
                file: KVM_RC,
                symbol: $sym,
            },
            "",
        )
    };
}

const KVM_RC: &str = "arch/x86/kvm/reverse_cpuid.h";
/// Linux's table of feature bits it reads from scattered CPUID leaves into its own words
/// (`{ X86_FEATURE_APX, CPUID_EDX, 21, 0x00000007, 1 }`: the hardware position).
const SCATTERED: &str = "arch/x86/kernel/cpu/scattered.c";
const PT: &str = "arch/x86/events/intel/pt.c";
const KLS: &str = "Intel Key Locker Specification (doc. 343965)";
const AVX10: &str = "Intel AVX10 Architecture Specification (doc. 355989)";

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
/// The size, offset and attributes of an XSAVE state component: architectural, so hosts that
/// both have the component agree; where one lacks it (all zeros) the common value is 0, the
/// component not offered (as XCR0's bitmap intersection drops it).
const XLAYOUT: Rule = Rule::Exact { safe: Some(0) };
const KL: Provenance = never(
    "KVM does not virtualize Key Locker: the wrapping key (IWKey) is per-CPU state a VMM cannot set or migrate",
);
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
const L71_EDX: usize = 11;
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

/// Leaf 0x6 EAX (thermal and power management), the first optional register.
pub const L6_EAX: usize = 44;
const L72_EDX: usize = 51;
/// Leaf 0xD subleaf n (n > 1): the state components Linux and KVM give a guest in XCR0
/// (`arch/x86/include/asm/fpu/types.h` `enum xfeature`): 2 YMM, 5 OPMASK, 6 ZMM_Hi256,
/// 7 Hi16_ZMM, 9 PKRU, 17 XTILE_CFG, 18 XTILE_DATA (MPX's 3 and 4 are left out: MPX is never
/// exposed; supervisor components are never exposed, see `XSS_LO`).
pub const XSAVE_COMPONENTS: [u32; 7] = [2, 5, 6, 7, 9, 17, 18];
/// Leaf 0xD subleaf 2 (YMM) EAX; the other components follow, four registers each.
const XD2: usize = 52;
const XD5: usize = 56;
const XD6: usize = 60;
const XD7: usize = 64;
const XD9: usize = 68;
const XD17: usize = 72;
const XD18: usize = 76;
const L14_EAX: usize = 80;
const L14_EBX: usize = 81;
const L14_ECX: usize = 82;
const L141_EAX: usize = 84;
const L141_EBX: usize = 85;
const L19_EAX: usize = 88;
const L19_EBX: usize = 89;
const L19_ECX: usize = 90;
const L24_EAX: usize = 92;
const L24_EBX: usize = 93;
const L241_ECX: usize = 98;
/// Registers before this index are required in every input; the ones from here on (leaves 0x6,
/// 0x7.2, 0xD.2.., 0x14, 0x19, 0x24.0, 0x24.1, added later) are optional: absent, they are
/// unknown.
pub const FIRST_OPTIONAL: usize = 44;

/// The (leaf, subleaf) pairs in register order; each has EAX, EBX, ECX, EDX.
pub const LEAVES: [(u32, u32); 25] = [
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
    (0x6, 0),
    (0x7, 2),
    (0xd, 2),
    (0xd, 5),
    (0xd, 6),
    (0xd, 7),
    (0xd, 9),
    (0xd, 17),
    (0xd, 18),
    (0x14, 0),
    (0x14, 1),
    (0x19, 0),
    (0x24, 0),
    (0x24, 1),
];

/// Whether the subleaf (ECX) selects what `leaf` returns (KVM's
/// `KVM_CPUID_FLAG_SIGNIFICANT_INDEX`, Firecracker's modifier `flags`): Linux's
/// `cpuid_function_is_indexed()` (arch/x86/include/asm/cpuid/api.h, which KVM's cpuid.c uses
/// for every entry it lists), leaves the tables do not hold included, so an entry list built for
/// a whole dump ([`crate::kvm::entries_from_leaves`]) is flagged as KVM flags it.
pub fn indexed(leaf: u32) -> bool {
    matches!(
        leaf,
        0x4 | 0x7
            | 0xb
            | 0xd
            | 0xf
            | 0x10
            | 0x12
            | 0x14
            | 0x17
            | 0x18
            | 0x1d
            | 0x1e
            | 0x1f
            | 0x24
            | 0x8000_001d
    )
}

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

const fn flatten() -> [Register; 100] {
    let groups: [[Register; 4]; 25] = [
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
        regs4!("0x6.0x0"),
        regs4!("0x7.0x2"),
        regs4!("0xd.0x2"),
        regs4!("0xd.0x5"),
        regs4!("0xd.0x6"),
        regs4!("0xd.0x7"),
        regs4!("0xd.0x9"),
        regs4!("0xd.0x11"),
        regs4!("0xd.0x12"),
        regs4!("0x14.0x0"),
        regs4!("0x14.0x1"),
        regs4!("0x19.0x0"),
        regs4!("0x24.0x0"),
        regs4!("0x24.0x1"),
    ];
    let mut out = [Register { name: "", bits: 32 }; 100];
    let mut i = 0;
    while i < 100 {
        out[i] = groups[i / 4][i % 4];
        i += 1;
    }
    out
}

const REGS: [Register; 100] = flatten();

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
        owned_host(
            "highest leaf-7 subleaf the VMM describes; by default the host's, as KVM reports min(host, 2)",
        ),
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
    // ---- leaf 0x7.1 EDX (KVM-only word CPUID_7_1_EDX; every bit KVM defines is one KVM passes
    // through, `kvm_cpu_cap_init(CPUID_7_1_EDX, F(AVX_VNNI_INT8), F(AVX_NE_CONVERT),
    // F(AMX_COMPLEX), F(AVX_VNNI_INT16), F(PREFETCHITI), F(AVX10))` in arch/x86/kvm/cpuid.c) ----
    kvm!(L71_EDX, "AVX_VNNI_INT8", 4, "X86_FEATURE_AVX_VNNI_INT8"),
    kvm!(L71_EDX, "AVX_NE_CONVERT", 5, "X86_FEATURE_AVX_NE_CONVERT"),
    kvm!(L71_EDX, "AMX_COMPLEX", 8, "X86_FEATURE_AMX_COMPLEX"),
    kvm!(L71_EDX, "AVX_VNNI_INT16", 10, "X86_FEATURE_AVX_VNNI_INT16"),
    kvm!(L71_EDX, "PREFETCHITI", 14, "X86_FEATURE_PREFETCHITI"),
    row(
        L71_EDX,
        "AVX10",
        19,
        1,
        LS,
        B,
        linux(KVM_RC, "X86_FEATURE_AVX10"),
        "AVX10 converged vector ISA; announces leaf 0x24 (without it the guest's 0x24 is zeros)",
    ),
    row(
        L71_EDX,
        "APX",
        21,
        1,
        LS,
        never(
            "KVM does not pass APX through: its 16 extra GPRs are XSAVE state component 19, which KVM does not give guests (no F(APX) in kvm_cpu_cap_init(CPUID_7_1_EDX))",
        ),
        linux(SCATTERED, "cpuid_bits[] X86_FEATURE_APX"),
        "Advanced Performance Extensions (APX_F)",
    ),
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
    // ---- leaf 0x6 EAX (word 14): thermal and power management, host-only; ARAT the VMM's ----
    feat!(L6_EAX, "DTHERM", 0, HOST),
    feat!(L6_EAX, "IDA", 1, HOST),
    feat!(
        L6_EAX,
        "ARAT",
        2,
        owned(
            1,
            "the VMM's local APIC timer runs in every guest C-state (KVM reports ARAT unconditionally, arch/x86/kvm/cpuid.c leaf 6)"
        )
    ),
    feat!(L6_EAX, "PLN", 4, HOST),
    feat!(L6_EAX, "PTS", 6, HOST),
    feat!(L6_EAX, "HWP", 7, HOST),
    feat!(L6_EAX, "HWP_NOTIFY", 8, HOST),
    feat!(L6_EAX, "HWP_ACT_WINDOW", 9, HOST),
    feat!(L6_EAX, "HWP_EPP", 10, HOST),
    feat!(L6_EAX, "HWP_PKG_REQ", 11, HOST),
    feat!(L6_EAX, "HFI", 19, HOST),
    // ---- leaf 0x7.2 EDX: KVM-only feature word (arch/x86/kvm/reverse_cpuid.h) ----
    kvm!(L72_EDX, "INTEL_PSFD", 0, "X86_FEATURE_INTEL_PSFD"),
    kvm!(L72_EDX, "IPRED_CTRL", 1, "X86_FEATURE_IPRED_CTRL"),
    kvm!(L72_EDX, "RRSBA_CTRL", 2, "KVM_X86_FEATURE_RRSBA_CTRL"),
    kvm!(L72_EDX, "DDPD_U", 3, "X86_FEATURE_DDPD_U"),
    kvm!(L72_EDX, "BHI_CTRL", 4, "X86_FEATURE_BHI_CTRL"),
    kvm!(L72_EDX, "MCDT_NO", 5, "X86_FEATURE_MCDT_NO"),
    // ---- leaf 0xD.2: state component 2, XFEATURE_YMM (AVX (upper halves of YMM0-15)) ----
    row(
        XD2,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=2: EAX, size of state component 2"),
        "Size of state component 2 (XFEATURE_YMM) in bytes",
    ),
    row(
        XD2 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=2: EBX, offset of state component 2 in the standard XSAVE format",
        ),
        "Offset of state component 2 (XFEATURE_YMM) in the standard format",
    ),
    row(
        XD2 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=2: ECX[0], component 2 is a supervisor state component (IA32_XSS)",
        ),
        "Component 2 is supervisor state",
    ),
    row(
        XD2 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=2: ECX[1], component 2 is 64-byte aligned in the compacted format",
        ),
        "Component 2 is 64-byte aligned when compacted",
    ),
    row(
        XD2 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=2: ECX[2], extended feature disable (IA32_XFD) supported for component 2",
        ),
        "XFD supported for component 2",
    ),
    // ---- leaf 0xD.5: state component 5, XFEATURE_OPMASK (AVX-512 opmask k0-7) ----
    row(
        XD5,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=5: EAX, size of state component 5"),
        "Size of state component 5 (XFEATURE_OPMASK) in bytes",
    ),
    row(
        XD5 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=5: EBX, offset of state component 5 in the standard XSAVE format",
        ),
        "Offset of state component 5 (XFEATURE_OPMASK) in the standard format",
    ),
    row(
        XD5 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=5: ECX[0], component 5 is a supervisor state component (IA32_XSS)",
        ),
        "Component 5 is supervisor state",
    ),
    row(
        XD5 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=5: ECX[1], component 5 is 64-byte aligned in the compacted format",
        ),
        "Component 5 is 64-byte aligned when compacted",
    ),
    row(
        XD5 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=5: ECX[2], extended feature disable (IA32_XFD) supported for component 5",
        ),
        "XFD supported for component 5",
    ),
    // ---- leaf 0xD.6: state component 6, XFEATURE_ZMM_Hi256 (AVX-512 upper halves of ZMM0-15) ----
    row(
        XD6,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=6: EAX, size of state component 6"),
        "Size of state component 6 (XFEATURE_ZMM_Hi256) in bytes",
    ),
    row(
        XD6 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=6: EBX, offset of state component 6 in the standard XSAVE format",
        ),
        "Offset of state component 6 (XFEATURE_ZMM_Hi256) in the standard format",
    ),
    row(
        XD6 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=6: ECX[0], component 6 is a supervisor state component (IA32_XSS)",
        ),
        "Component 6 is supervisor state",
    ),
    row(
        XD6 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=6: ECX[1], component 6 is 64-byte aligned in the compacted format",
        ),
        "Component 6 is 64-byte aligned when compacted",
    ),
    row(
        XD6 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=6: ECX[2], extended feature disable (IA32_XFD) supported for component 6",
        ),
        "XFD supported for component 6",
    ),
    // ---- leaf 0xD.7: state component 7, XFEATURE_Hi16_ZMM (AVX-512 ZMM16-31) ----
    row(
        XD7,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=7: EAX, size of state component 7"),
        "Size of state component 7 (XFEATURE_Hi16_ZMM) in bytes",
    ),
    row(
        XD7 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=7: EBX, offset of state component 7 in the standard XSAVE format",
        ),
        "Offset of state component 7 (XFEATURE_Hi16_ZMM) in the standard format",
    ),
    row(
        XD7 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=7: ECX[0], component 7 is a supervisor state component (IA32_XSS)",
        ),
        "Component 7 is supervisor state",
    ),
    row(
        XD7 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=7: ECX[1], component 7 is 64-byte aligned in the compacted format",
        ),
        "Component 7 is 64-byte aligned when compacted",
    ),
    row(
        XD7 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=7: ECX[2], extended feature disable (IA32_XFD) supported for component 7",
        ),
        "XFD supported for component 7",
    ),
    // ---- leaf 0xD.9: state component 9, XFEATURE_PKRU (protection keys (PKRU)) ----
    row(
        XD9,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=9: EAX, size of state component 9"),
        "Size of state component 9 (XFEATURE_PKRU) in bytes",
    ),
    row(
        XD9 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=9: EBX, offset of state component 9 in the standard XSAVE format",
        ),
        "Offset of state component 9 (XFEATURE_PKRU) in the standard format",
    ),
    row(
        XD9 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=9: ECX[0], component 9 is a supervisor state component (IA32_XSS)",
        ),
        "Component 9 is supervisor state",
    ),
    row(
        XD9 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=9: ECX[1], component 9 is 64-byte aligned in the compacted format",
        ),
        "Component 9 is 64-byte aligned when compacted",
    ),
    row(
        XD9 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=9: ECX[2], extended feature disable (IA32_XFD) supported for component 9",
        ),
        "XFD supported for component 9",
    ),
    // ---- leaf 0xD.17: state component 17, XFEATURE_XTILE_CFG (AMX tile configuration) ----
    row(
        XD17,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=17: EAX, size of state component 17"),
        "Size of state component 17 (XFEATURE_XTILE_CFG) in bytes",
    ),
    row(
        XD17 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=17: EBX, offset of state component 17 in the standard XSAVE format",
        ),
        "Offset of state component 17 (XFEATURE_XTILE_CFG) in the standard format",
    ),
    row(
        XD17 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=17: ECX[0], component 17 is a supervisor state component (IA32_XSS)",
        ),
        "Component 17 is supervisor state",
    ),
    row(
        XD17 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=17: ECX[1], component 17 is 64-byte aligned in the compacted format",
        ),
        "Component 17 is 64-byte aligned when compacted",
    ),
    row(
        XD17 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=17: ECX[2], extended feature disable (IA32_XFD) supported for component 17",
        ),
        "XFD supported for component 17",
    ),
    // ---- leaf 0xD.18: state component 18, XFEATURE_XTILE_DATA (AMX tile data) ----
    row(
        XD18,
        "SIZE",
        0,
        32,
        XLAYOUT,
        B,
        spec(SDM, "EAX=0DH,ECX=18: EAX, size of state component 18"),
        "Size of state component 18 (XFEATURE_XTILE_DATA) in bytes",
    ),
    row(
        XD18 + 1,
        "OFFSET",
        0,
        32,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=18: EBX, offset of state component 18 in the standard XSAVE format",
        ),
        "Offset of state component 18 (XFEATURE_XTILE_DATA) in the standard format",
    ),
    row(
        XD18 + 2,
        "SUPERVISOR",
        0,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=18: ECX[0], component 18 is a supervisor state component (IA32_XSS)",
        ),
        "Component 18 is supervisor state",
    ),
    row(
        XD18 + 2,
        "ALIGN64",
        1,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=18: ECX[1], component 18 is 64-byte aligned in the compacted format",
        ),
        "Component 18 is 64-byte aligned when compacted",
    ),
    row(
        XD18 + 2,
        "XFD",
        2,
        1,
        XLAYOUT,
        B,
        spec(
            SDM,
            "EAX=0DH,ECX=18: ECX[2], extended feature disable (IA32_XFD) supported for component 18",
        ),
        "XFD supported for component 18",
    ),
    // ---- leaf 0x14: Intel Processor Trace (host-only, as INTEL_PT) ----
    row(
        L14_EAX,
        "MAX_SUBLEAF",
        0,
        32,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(max_subleaf)"),
        "Maximum leaf-0x14 subleaf",
    ),
    row(
        L14_EBX,
        "CR3_FILTERING",
        0,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(cr3_filtering)"),
        "CR3 filtering",
    ),
    row(
        L14_EBX,
        "PSB_CYC",
        1,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(psb_cyc)"),
        "Configurable PSB and cycle-accurate mode",
    ),
    row(
        L14_EBX,
        "IP_FILTERING",
        2,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(ip_filtering)"),
        "IP filtering, TraceStop, PT preservation across warm reset",
    ),
    row(
        L14_EBX,
        "MTC",
        3,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(mtc)"),
        "MTC timing packets",
    ),
    row(
        L14_EBX,
        "PTWRITE",
        4,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(ptwrite)"),
        "PTWRITE",
    ),
    row(
        L14_EBX,
        "POWER_EVENT_TRACE",
        5,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(power_event_trace)"),
        "Power event trace",
    ),
    row(
        L14_EBX,
        "EVENT_TRACE",
        7,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(event_trace)"),
        "Event trace",
    ),
    row(
        L14_EBX,
        "TNT_DISABLE",
        8,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(tnt_disable)"),
        "TNT packet disable",
    ),
    row(
        L14_ECX,
        "TOPA_OUTPUT",
        0,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(topa_output)"),
        "ToPA output",
    ),
    row(
        L14_ECX,
        "TOPA_MULTIPLE_ENTRIES",
        1,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(topa_multiple_entries)"),
        "ToPA tables with multiple output entries",
    ),
    row(
        L14_ECX,
        "SINGLE_RANGE_OUTPUT",
        2,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(single_range_output)"),
        "Single-range output",
    ),
    row(
        L14_ECX,
        "OUTPUT_SUBSYS",
        3,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(output_subsys)"),
        "Output to a trace transport subsystem",
    ),
    row(
        L14_ECX,
        "PAYLOADS_LIP",
        31,
        1,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(payloads_lip)"),
        "IP payloads are linear addresses",
    ),
    row(
        L141_EAX,
        "NUM_ADDRESS_RANGES",
        0,
        3,
        LS,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(num_address_ranges)"),
        "Number of configurable address ranges",
    ),
    row(
        L141_EAX,
        "MTC_PERIODS",
        16,
        16,
        Rule::Bitmap,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(mtc_periods)"),
        "Supported MTC period encodings",
    ),
    row(
        L141_EBX,
        "CYCLE_THRESHOLDS",
        0,
        16,
        Rule::Bitmap,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(cycle_thresholds)"),
        "Supported cycle threshold encodings",
    ),
    row(
        L141_EBX,
        "PSB_PERIODS",
        16,
        16,
        Rule::Bitmap,
        HOST,
        linux(PT, "pt_caps[] PT_CAP(psb_periods)"),
        "Supported PSB frequency encodings",
    ),
    // ---- leaf 0x19: Key Locker (no Linux definition; never exposed) ----
    row(
        L19_EAX,
        "KL_CPL0_ONLY",
        0,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:EAX[0]"),
        "Key Locker restriction of CPL0-only supported",
    ),
    row(
        L19_EAX,
        "KL_NO_ENCRYPT",
        1,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:EAX[1]"),
        "Key Locker restriction of no-encrypt supported",
    ),
    row(
        L19_EAX,
        "KL_NO_DECRYPT",
        2,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:EAX[2]"),
        "Key Locker restriction of no-decrypt supported",
    ),
    row(
        L19_EBX,
        "AESKLE",
        0,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:EBX[0]"),
        "AES Key Locker instructions enabled (AESKLE)",
    ),
    row(
        L19_EBX,
        "WIDE_KL",
        2,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:EBX[2]"),
        "AES wide Key Locker instructions",
    ),
    row(
        L19_EBX,
        "IWKEY_BACKUP",
        4,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:EBX[4]"),
        "IWKey backup MSRs",
    ),
    row(
        L19_ECX,
        "NOBACKUP",
        0,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:ECX[0]"),
        "LOADIWKEY NoBackup parameter",
    ),
    row(
        L19_ECX,
        "IWKEY_RAND",
        1,
        1,
        LS,
        KL,
        spec(KLS, "CPUID.19H:ECX[1]"),
        "KeySource 1 (random IWKey)",
    ),
    // ---- leaf 0x24.0: AVX10 converged vector ISA ----
    row(
        L24_EAX,
        "MAX_SUBLEAF",
        0,
        32,
        LS,
        B,
        spec(
            AVX10,
            "CPUID.(EAX=24H,ECX=0):EAX, maximum leaf-0x24 subleaf",
        ),
        "Maximum leaf-0x24 subleaf",
    ),
    row(
        L24_EBX,
        "VERSION",
        0,
        8,
        LS,
        B,
        spec(
            AVX10,
            "CPUID.(EAX=24H,ECX=0):EBX[7:0], AVX10 converged vector ISA version",
        ),
        "AVX10 version",
    ),
    kvm!(L24_EBX, "AVX10_128", 16, "X86_FEATURE_AVX10_128"),
    kvm!(L24_EBX, "AVX10_256", 17, "X86_FEATURE_AVX10_256"),
    kvm!(L24_EBX, "AVX10_512", 18, "X86_FEATURE_AVX10_512"),
    // ---- leaf 0x24.1: AVX10 discrete features (KVM-only word CPUID_24_1_ECX, Linux 6.20:
    // kvm-x86 062768f4 "KVM: x86: Advertise AVX10_VNNI_INT CPUID to userspace", which also caps
    // 0x24.0 EAX at min(EAX, 1) and passes 0x24.1 ECX through `kvm_cpu_cap_init(CPUID_24_1_ECX,
    // F(AVX10_VNNI_INT))`; QEMU `FEAT_24_1_ECX` bit 2 "avx10-vnni-int"); EAX, EBX, EDX and the
    // other ECX bits are reserved (KVM zeroes them) ----
    kvm!(L241_ECX, "AVX10_VNNI_INT", 2, "X86_FEATURE_AVX10_VNNI_INT"),
];

/// The CPUID table.
pub static TABLE: Table = Table {
    kind: Kind::X86Cpuid,
    title: "x86 CPUID leaves 0x0, 0x1, 0x6, 0x7.0-0x7.2, 0xD.0-0xD.2, 0xD.5-0xD.7, 0xD.9, 0xD.17, 0xD.18, 0x14.0, 0x14.1, 0x19, 0x24.0, 0x24.1, 0x80000001, 0x80000007, 0x80000008, 0x8000001F, 0x80000021",
    registers: &REGS,
    fields: FIELDS,
    required: FIRST_OPTIONAL,
};

/// The register index of `(leaf, subleaf, reg)` where reg 0..4 is EAX, EBX, ECX, EDX.
pub fn register_of(leaf: u32, subleaf: u32, reg: usize) -> Option<usize> {
    LEAVES
        .iter()
        .position(|&(l, s)| l == leaf && s == subleaf)
        .map(|i| i * 4 + reg)
}

/// The leaves whose subleaf-0 EAX is the highest valid subleaf (leaf 7: SDM "EAX=07H,ECX=0:
/// EAX"; leaf 0x14: `PT_CAP(max_subleaf)`; leaf 0x24: the AVX10 specification), each with its
/// `MAX_SUBLEAF` field.
pub const MAX_SUBLEAF_LEAVES: [u32; 3] = [0x7, 0x14, 0x24];

/// A feature bit that announces a leaf: the guest gets the bit only when the input gives the
/// leaf (its subleaf 0), and the leaf's registers (every subleaf the table has) only with the
/// bit; without it they are zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafGate {
    /// The register of the bit.
    pub reg: usize,
    /// The bit's position in it.
    pub bit: u8,
    /// The bit's field name, `REG.NAME`.
    pub field: &'static str,
    /// The leaf it announces.
    pub leaf: u32,
}

/// The leaves a feature bit announces. AVX10 (CPUID.(EAX=7,ECX=1):EDX\[19\]) announces leaf 0x24,
/// the AVX10 converged vector ISA leaf (Intel AVX10 specification; QEMU 2d055b8f "When AVX10
/// enable bit is set, the 0x24 leaf will be present"); KVM zeroes leaf 0x24 without it (`if
/// (!kvm_cpu_cap_has(X86_FEATURE_AVX10)) { entry->eax = entry->ebx = entry->ecx = entry->edx =
/// 0; ...` in `arch/x86/kvm/cpuid.c`, case 0x24).
pub const LEAF_GATES: [LeafGate; 1] = [LeafGate {
    reg: L71_EDX,
    bit: 19,
    field: "CPUID.0x7.0x1.EDX.AVX10",
    leaf: 0x24,
}];

/// The register indices of every subleaf of `leaf` the table has.
pub fn leaf_registers(leaf: u32) -> impl Iterator<Item = usize> {
    LEAVES
        .iter()
        .enumerate()
        .filter(move |(_, (l, _))| *l == leaf)
        .flat_map(|(i, _)| i * 4..i * 4 + 4)
}

/// The highest subleaf of `leaf` whose four registers this table has and `given(register)`
/// says the input provides, counting up from subleaf 0 without a gap; `None` when subleaf 0
/// itself is not provided. A guest's maximum subleaf may not exceed it: above it the guest
/// would advertise a subleaf whose registers nobody checked (KVM caps leaf 7 the same way at
/// what it describes: `max_idx = entry->eax = min(entry->eax, 2u)` in `arch/x86/kvm/cpuid.c`).
pub fn highest_given_subleaf(leaf: u32, given: impl Fn(usize) -> bool) -> Option<u32> {
    let mut top = None;
    for sub in 0u32.. {
        match register_of(leaf, sub, 0) {
            Some(r) if (r..r + 4).all(&given) => top = Some(sub),
            _ => break,
        }
    }
    top
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
/// basic leaves up to leaf 0 EAX, extended leaves up to leaf 0x80000000 EAX; subleaves of leaves
/// 7, 0x14 and 0x24 up to their subleaf-0 EAX; XSAVE subleaf n > 1 when bit n is
/// set in XCR0 (leaf 0xD.0 EAX/EDX) or in IA32_XSS (leaf 0xD.1 ECX/EDX) — the SDM's rule for a
/// valid subleaf; any other subleaf reads as zeros. `None` when the dump lacks the leaf that
/// would tell.
fn implemented(leaves: &crate::input::CpuidLeaves, leaf: u32, sub: u32) -> Option<bool> {
    let get = |l: u32, s: u32| leaves.get(&(l, s));
    let in_range = if leaf >= 0x8000_0000 {
        get(0x8000_0000, 0).map(|r| leaf <= r[0])
    } else {
        get(0, 0).map(|r| leaf <= r[0])
    }?;
    if !in_range {
        return Some(false);
    }
    Some(match (leaf, sub) {
        (0x7 | 0x14 | 0x24, s) if s > 0 => get(leaf, 0).map(|r| s <= r[0])?,
        (0xd, s) if s > 1 => {
            let bit = |lo: u32, hi: u32| {
                let v = u64::from(lo) | (u64::from(hi) << 32);
                s < 64 && v & (1u64 << s) != 0
            };
            let xcr0 = get(0xd, 0).map(|r| bit(r[0], r[3]))?;
            if xcr0 {
                true
            } else {
                get(0xd, 1).map(|r| bit(r[2], r[3]))?
            }
        }
        _ => true,
    })
}

/// The register set of one CPU from its `cpuid -r` leaves. A tracked leaf the dump lacks is zero
/// when the CPU's maximum leaf (or leaf 7's, 0x14's or 0x24's maximum subleaf, or XCR0/IA32_XSS for an
/// XSAVE component) says it does not exist — the architectural meaning of an unimplemented leaf.
/// Otherwise (within range, or the dump does not give the range): a required leaf is an error
/// naming the leaf and the fields it would have zeroed; an optional leaf
/// ([`FIRST_OPTIONAL`] on) is unknown ([`crate::model::RegSet::unknown`]).
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
                _ if i * 4 >= FIRST_OPTIONAL => {
                    regs.unknown |= 0xfu128 << (i * 4);
                }
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
