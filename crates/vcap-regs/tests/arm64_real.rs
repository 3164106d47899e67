//! arm64 ID registers from real sources (fixtures/README.md gives each one's repository, file and
//! commit):
//!
//! - `arm64-qemu-*.json`: QEMU's named CPU models (`target/arm/tcg/cpu64.c`, the values each
//!   model's init function gives its ID registers, which QEMU takes from the core's Technical
//!   Reference Manual). ID_AA64ISAR2_EL1 (and ZFR0 for neoverse-n1 and cortex-a76) is set by no
//!   model: QEMU's CPU object is zero-filled when created, so the model's value is 0. MMFR3 and
//!   SMFR0 (optional) are left out: unknown.
//! - `arm64-firecracker-*-6.1-guest.json`: Firecracker's `cpu-template-helper fingerprint dump`
//!   files of Neoverse N1, V1 and V2 hosts (kernel 6.1.172 amzn2023): the vCPU's ID registers
//!   read back through KVM_GET_ONE_REG, i.e. what KVM shows a guest on that silicon (no SVE and
//!   no PMU vCPU feature was requested: `vcpu_features` is empty in those files).
//! - `arm64-ampere-altra-neoverse-n1-host.json`, `arm64-graviton3-c7g-xlarge-el1.json`,
//!   `arm64-raspberrypi4-cortex-a72-host.json`: lelegard/arm-cpusysregs dumps, the registers
//!   read at EL1 by that project's kernel module (bare metal for the Altra and the Raspberry
//!   Pi; inside an EC2 instance for the Graviton3). ZFR0, which the tool reads only when
//!   PFR0.SVE is set, is its zero-initialised 0 on the two cores without SVE; SMFR0 is left
//!   out.
//!
//! Every expected value is either read off the source (its hex value, decoded by hand at the
//! positions of Linux `arch/arm64/tools/sysreg`, or its comment) or worked out by hand from
//! `arch/arm64/kernel/cpufeature.c`'s `ftr_id_aa64*[]` rows (read at torvalds/linux 010338d7):
//! FTR_LOWER_SAFE takes the smaller value (signed for `S_ARM64_FTR_BITS`), FTR_EXACT takes the
//! row's safe value when the values differ, FTR_HIGHER_SAFE the larger. The arithmetic is
//! written next to each expectation; none was copied from vcap's output.

use std::path::PathBuf;

use vcap_regs::tables::arm64::{DFR0, FIRST_OPTIONAL, ISAR0, MMFR1, MMFR2, MMFR3, PFR0, SMFR0};
use vcap_regs::{
    Baseline, Comparison, Context, DecisionKind, Kind, RegSet, Verdict, compare, input, sanitize,
};

const QEMU: [&str; 5] = [
    "arm64-qemu-neoverse-n1.json",
    "arm64-qemu-neoverse-v1.json",
    "arm64-qemu-neoverse-n2.json",
    "arm64-qemu-cortex-a76.json",
    "arm64-qemu-a64fx.json",
];
const FIRECRACKER: [&str; 3] = [
    "arm64-firecracker-neoverse-n1-6.1-guest.json",
    "arm64-firecracker-neoverse-v1-6.1-guest.json",
    "arm64-firecracker-neoverse-v2-6.1-guest.json",
];

/// The registers in the table's order (`ID_AA64PFR0_EL1` … `ID_AA64SMFR0_EL1`).
const REGS: [&str; 12] = [
    "ID_AA64PFR0_EL1",
    "ID_AA64ISAR0_EL1",
    "ID_AA64MMFR0_EL1",
    "ID_AA64ISAR1_EL1",
    "ID_AA64ISAR2_EL1",
    "ID_AA64PFR1_EL1",
    "ID_AA64MMFR1_EL1",
    "ID_AA64MMFR2_EL1",
    "ID_AA64ZFR0_EL1",
    "ID_AA64DFR0_EL1",
    "ID_AA64MMFR3_EL1",
    "ID_AA64SMFR0_EL1",
];

fn load(name: &str) -> RegSet {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    let mut hosts = input::parse_hosts(&text, name).unwrap();
    assert_eq!(hosts.len(), 1, "{name}");
    hosts.remove(0).regs
}

/// A field's value; `shift` is its low bit as `arch/arm64/tools/sysreg` gives it, checked
/// against the table so that a wrong position fails here too.
fn field(r: &RegSet, name: &str, shift: u8) -> u64 {
    let f = Kind::Arm64Id.table().field(name).unwrap();
    assert_eq!(f.shift, shift, "{name}: sysreg position");
    f.get(r.regs[f.reg])
}

/// The twelve registers as a profile with every register known.
fn regs(values: [u64; 12]) -> RegSet {
    RegSet::from_values(Kind::Arm64Id, &values).unwrap()
}

fn fold(names: &[&str]) -> vcap_regs::BaselineResult {
    let mut b = Baseline::new();
    for n in names {
        b.add(&load(n), n).unwrap();
    }
    b.finish().unwrap()
}

/// `(field, profile, host, direction)` of every capability field that decides a comparison.
fn responsible(c: &Comparison) -> Vec<(String, u64, u64, &'static str)> {
    c.responsible
        .iter()
        .map(|d| (d.field.clone(), d.profile, d.host, d.direction))
        .collect()
}

#[test]
fn the_fixtures_carry_what_their_sources_give() {
    for n in QEMU {
        let r = load(n);
        // The ten required registers are given; MMFR3 and SMFR0, which no QEMU model sets,
        // are left out: unknown, not zero.
        assert!((0..FIRST_OPTIONAL).all(|i| r.is_known(i)), "{n}");
        assert!(!r.is_known(MMFR3) && !r.is_known(SMFR0), "{n}");
        // No model sets ID_AA64ISAR2_EL1: the zero-filled CPU object's 0.
        assert_eq!(r.get("ID_AA64ISAR2_EL1"), Some(0), "{n}");
    }
    for n in FIRECRACKER {
        // KVM_GET_REG_LIST lists all twelve on these hosts: every register is known.
        let r = load(n);
        assert_eq!(r.unknown, 0, "{n}");
        // Kernel 6.1's KVM shows ISAR2, MMFR3 and SMFR0 as 0 on these cores.
        for reg in ["ID_AA64ISAR2_EL1", "ID_AA64MMFR3_EL1", "ID_AA64SMFR0_EL1"] {
            assert_eq!(r.get(reg), Some(0), "{n} {reg}");
        }
    }
    // The raw values as the sources print them (QEMU's SET_IDREG arguments; Firecracker's
    // bitmaps of KVM reg ids 0x603000000013c020 (PFR0), 0x603000000013c030 (ISAR0) and
    // 0x603000000013c028 (DFR0), written in hex).
    let n1 = load("arm64-qemu-neoverse-n1.json");
    assert_eq!(n1.get("ID_AA64PFR0_EL1"), Some(0x1100_0000_1011_1112));
    assert_eq!(n1.get("ID_AA64DFR0_EL1"), Some(0x0000_0001_1030_5408));
    let v1 = load("arm64-qemu-neoverse-v1.json");
    assert_eq!(v1.get("ID_AA64ISAR0_EL1"), Some(0x1011_1111_1021_2120));
    assert_eq!(v1.get("ID_AA64ZFR0_EL1"), Some(0x0000_1000_0010_0000));
    let g3 = load("arm64-firecracker-neoverse-v1-6.1-guest.json");
    assert_eq!(g3.get("ID_AA64PFR0_EL1"), Some(0x1101_0100_2111_1112));
    assert_eq!(g3.get("ID_AA64DFR0_EL1"), Some(0x0000_00f0_1030_5006));
}

/// Fields read off the QEMU models, each with the statement of the source it checks.
#[test]
fn qemu_models_decode_as_their_sources_state() {
    let n1 = load("arm64-qemu-neoverse-n1.json");
    // neoverse-n1: an Armv8.2 core with LSE atomics and without SVE (its init function adds
    // no SVE properties). ISAR0 0x0000100010211120: ATOMIC (23:20) = 2, AES (7:4) = 2 (with
    // PMULL), SHA2 (15:12) = 1, DP (47:44) = 1, RNDR (63:60) = 0. PFR0 0x1100000010111112:
    // SVE (35:32) = 0, GIC (27:24) = 0 ("GIC filled in later"), EL0 (3:0) = 2 (AArch64 and
    // AArch32), EL1 (7:4) = 1 (AArch64 only), CSV2 (59:56) = CSV3 (63:60) = 1.
    for (f, shift, v) in [
        ("ID_AA64ISAR0_EL1.ATOMIC", 20, 2),
        ("ID_AA64ISAR0_EL1.AES", 4, 2),
        ("ID_AA64ISAR0_EL1.SHA2", 12, 1),
        ("ID_AA64ISAR0_EL1.DP", 44, 1),
        ("ID_AA64ISAR0_EL1.RNDR", 60, 0),
        ("ID_AA64PFR0_EL1.SVE", 32, 0),
        ("ID_AA64PFR0_EL1.GIC", 24, 0),
        ("ID_AA64PFR0_EL1.EL0", 0, 2),
        ("ID_AA64PFR0_EL1.EL1", 4, 1),
        ("ID_AA64PFR0_EL1.CSV2", 56, 1),
        ("ID_AA64PFR0_EL1.CSV3", 60, 1),
        // PFR1 0x20: SSBS (7:4) = 2. MMFR0 0x101125: PARANGE (3:0) = 5 (48-bit), TGRAN16
        // (23:20) = 1. DFR0 0x0000000110305408: DebugVer (3:0) = 8, PMUVer (11:8) = 4, BRPs
        // (15:12) = 5, PMSVer (35:32) = 1, DoubleLock (39:36) = 0 (implemented).
        ("ID_AA64PFR1_EL1.SSBS", 4, 2),
        ("ID_AA64MMFR0_EL1.PARANGE", 0, 5),
        ("ID_AA64MMFR0_EL1.TGRAN16", 20, 1),
        ("ID_AA64DFR0_EL1.DebugVer", 0, 8),
        ("ID_AA64DFR0_EL1.PMUVer", 8, 4),
        ("ID_AA64DFR0_EL1.BRPs", 12, 5),
        ("ID_AA64DFR0_EL1.PMSVer", 32, 1),
        ("ID_AA64DFR0_EL1.DoubleLock", 36, 0),
    ] {
        assert_eq!(field(&n1, f, shift), v, "neoverse-n1 {f}");
    }
    let v1 = load("arm64-qemu-neoverse-v1.json");
    // neoverse-v1: ISAR0 "with FEAT_RNG" (RNDR 63:60 = 1); SVE properties added (PFR0.SVE =
    // 1) and ZFR0 "From 3.7.5 ID_AA64ZFR0_EL1" 0x0000100000100000: SVEver (3:0) = 0 (SVE, not
    // SVE2), BF16 (23:20) = 1, I8MM (47:44) = 1. Pointer authentication properties added:
    // ISAR1 0x0011000001211032 APA (7:4) = 3, GPA (27:24) = 1, LRCPC (23:20) = 2. PFR0
    // 0x1101110120111112: RAS (31:28) = 2, AMU (47:44) = 1, MPAM (43:40) = 1, DIT (51:48) =
    // 1. DFR0 0x000001f210305519: DoubleLock (39:36) = 0xf (not implemented), DebugVer 9.
    for (f, shift, v) in [
        ("ID_AA64ISAR0_EL1.RNDR", 60, 1),
        ("ID_AA64ISAR0_EL1.ATOMIC", 20, 2),
        ("ID_AA64PFR0_EL1.SVE", 32, 1),
        ("ID_AA64ZFR0_EL1.SVEver", 0, 0),
        ("ID_AA64ZFR0_EL1.BF16", 20, 1),
        ("ID_AA64ZFR0_EL1.I8MM", 44, 1),
        ("ID_AA64ISAR1_EL1.APA", 4, 3),
        ("ID_AA64ISAR1_EL1.GPA", 24, 1),
        ("ID_AA64ISAR1_EL1.LRCPC", 20, 2),
        ("ID_AA64PFR0_EL1.RAS", 28, 2),
        ("ID_AA64PFR0_EL1.AMU", 44, 1),
        ("ID_AA64PFR0_EL1.MPAM", 40, 1),
        ("ID_AA64PFR0_EL1.DIT", 48, 1),
        ("ID_AA64DFR0_EL1.DoubleLock", 36, 0xf),
        ("ID_AA64DFR0_EL1.DebugVer", 0, 9),
    ] {
        assert_eq!(field(&v1, f, shift), v, "neoverse-v1 {f}");
    }
    let n2 = load("arm64-qemu-neoverse-n2.json");
    // neoverse-n2: ISAR0 "with Crypto and FEAT_RNG" 0x1221111110212120 (RNDR 1, SM4 (43:40)
    // 1, SM3 (39:36) 1, SHA3 (35:32) 1, SHA2 2, AES 2); "Section 14: Scalable Vector
    // Extensions support" with ZFR0 "with Crypto" 0x0000110100110021: SVEver 1 (SVE2), AES
    // (7:4) 2, BitPerm (19:16) 1, SHA3 (35:32) 1, SM4 (43:40) 1. PFR1 0x221: MTE (11:8) 2,
    // SSBS 2, BT (3:0) 1. MMFR0 0x0000022200101125: TGRAN4_2 (43:40), TGRAN64_2 (39:36),
    // TGRAN16_2 (35:32) all 2 (stage 2 granules given on their own).
    for (f, shift, v) in [
        ("ID_AA64ISAR0_EL1.RNDR", 60, 1),
        ("ID_AA64ISAR0_EL1.SM4", 40, 1),
        ("ID_AA64ISAR0_EL1.SM3", 36, 1),
        ("ID_AA64ISAR0_EL1.SHA3", 32, 1),
        ("ID_AA64ISAR0_EL1.SHA2", 12, 2),
        ("ID_AA64ISAR0_EL1.AES", 4, 2),
        ("ID_AA64PFR0_EL1.SVE", 32, 1),
        ("ID_AA64ZFR0_EL1.SVEver", 0, 1),
        ("ID_AA64ZFR0_EL1.AES", 4, 2),
        ("ID_AA64ZFR0_EL1.BitPerm", 16, 1),
        ("ID_AA64ZFR0_EL1.SHA3", 32, 1),
        ("ID_AA64ZFR0_EL1.SM4", 40, 1),
        ("ID_AA64PFR1_EL1.MTE", 8, 2),
        ("ID_AA64PFR1_EL1.SSBS", 4, 2),
        ("ID_AA64PFR1_EL1.BT", 0, 1),
        ("ID_AA64MMFR0_EL1.TGRAN4_2", 40, 2),
        ("ID_AA64MMFR0_EL1.TGRAN64_2", 36, 2),
        ("ID_AA64MMFR0_EL1.TGRAN16_2", 32, 2),
    ] {
        assert_eq!(field(&n2, f, shift), v, "neoverse-n2 {f}");
    }
    let a76 = load("arm64-qemu-cortex-a76.json");
    // cortex-a76 (the core Neoverse N1 derives from): the same ISAR0, ISAR1, MMFR1, MMFR2 and
    // PFR0 values as neoverse-n1 in QEMU's source, but MMFR0 0x101122 (PARANGE 2: 40-bit)
    // and PFR1 0x10 (SSBS 1).
    for r in [
        "ID_AA64ISAR0_EL1",
        "ID_AA64ISAR1_EL1",
        "ID_AA64MMFR1_EL1",
        "ID_AA64MMFR2_EL1",
        "ID_AA64PFR0_EL1",
    ] {
        assert_eq!(a76.get(r), n1.get(r), "cortex-a76 {r}");
    }
    assert_eq!(field(&a76, "ID_AA64MMFR0_EL1.PARANGE", 0), 2);
    assert_eq!(field(&a76, "ID_AA64PFR1_EL1.SSBS", 4), 1);
    let fx = load("arm64-qemu-a64fx.json");
    // a64fx: PFR0 0x0000000101111111 "No RAS Extensions" (RAS 0), SVE 1 (its SVE properties
    // allow 128, 256 and 512-bit vectors), ZFR0 0 (SVEver 0), FP and AdvSIMD 1 (with half
    // precision), EL0 1 (AArch64 only). ISAR0 0x10211120: ATOMIC 2.
    for (f, shift, v) in [
        ("ID_AA64PFR0_EL1.RAS", 28, 0),
        ("ID_AA64PFR0_EL1.SVE", 32, 1),
        ("ID_AA64ZFR0_EL1.SVEver", 0, 0),
        ("ID_AA64PFR0_EL1.FP", 16, 1),
        ("ID_AA64PFR0_EL1.AdvSIMD", 20, 1),
        ("ID_AA64PFR0_EL1.EL0", 0, 1),
        ("ID_AA64ISAR0_EL1.ATOMIC", 20, 2),
    ] {
        assert_eq!(field(&fx, f, shift), v, "a64fx {f}");
    }
}

/// Two independent sources of the same cores: QEMU's TRM values and KVM's view of real silicon.
/// Where KVM passes a register through they agree to the bit; where they differ, the
/// difference is KVM's doing (and the fields say which).
#[test]
fn firecracker_graviton_dumps_agree_with_qemu_where_kvm_passes_values_through() {
    let (qn1, gn1) = (
        load("arm64-qemu-neoverse-n1.json"),
        load("arm64-firecracker-neoverse-n1-6.1-guest.json"),
    );
    for r in [
        "ID_AA64ISAR0_EL1",
        "ID_AA64ISAR1_EL1",
        "ID_AA64MMFR0_EL1",
        "ID_AA64MMFR1_EL1",
        "ID_AA64PFR1_EL1",
    ] {
        assert_eq!(qn1.get(r), gn1.get(r), "neoverse-n1 {r}");
    }
    let (qv1, gv1) = (
        load("arm64-qemu-neoverse-v1.json"),
        load("arm64-firecracker-neoverse-v1-6.1-guest.json"),
    );
    for r in [
        "ID_AA64ISAR0_EL1",
        "ID_AA64MMFR0_EL1",
        "ID_AA64MMFR1_EL1",
        "ID_AA64PFR1_EL1",
    ] {
        assert_eq!(qv1.get(r), gv1.get(r), "neoverse-v1 {r}");
    }
    // GIC: 0 in QEMU's init value ("GIC filled in later"), 1 under KVM's vGICv3.
    assert_eq!(field(&qn1, "ID_AA64PFR0_EL1.GIC", 24), 0);
    assert_eq!(field(&gn1, "ID_AA64PFR0_EL1.GIC", 24), 1);
    // SVE: the V1 implements it, but Firecracker asked for no KVM_ARM_VCPU_SVE: KVM hides it
    // and ZFR0 with it. AMU: KVM never shows it.
    assert_eq!(field(&qv1, "ID_AA64PFR0_EL1.SVE", 32), 1);
    assert_eq!(field(&gv1, "ID_AA64PFR0_EL1.SVE", 32), 0);
    assert_eq!(
        (qv1.get("ID_AA64ZFR0_EL1"), gv1.get("ID_AA64ZFR0_EL1")),
        (Some(0x0000_1000_0010_0000), Some(0))
    );
    assert_eq!(field(&qv1, "ID_AA64PFR0_EL1.AMU", 44), 1);
    assert_eq!(field(&gv1, "ID_AA64PFR0_EL1.AMU", 44), 0);
    // No KVM_ARM_VCPU_PMU_V3 either: PMUVer 0 in the guest (QEMU's models: 4 and 5).
    assert_eq!(field(&gn1, "ID_AA64DFR0_EL1.PMUVer", 8), 0);
    assert_eq!(field(&gv1, "ID_AA64DFR0_EL1.PMUVer", 8), 0);
    // DoubleLock as the silicon has it: N1 implements it (0), V1 does not (0xf), in both.
    assert_eq!(field(&gn1, "ID_AA64DFR0_EL1.DoubleLock", 36), 0);
    assert_eq!(field(&gv1, "ID_AA64DFR0_EL1.DoubleLock", 36), 0xf);
    // Kernel 6.1's KVM still showed the V1's MPAM field (1) to guests; QEMU's V1 has it too.
    assert_eq!(field(&gv1, "ID_AA64PFR0_EL1.MPAM", 40), 1);
    assert_eq!(field(&qv1, "ID_AA64PFR0_EL1.MPAM", 40), 1);
}

/// A mixed Graviton2 (Neoverse N1) / Graviton3 (Neoverse V1) fleet from QEMU's TRM values.
/// Field by field, N1 vs V1 (every field not listed is equal in both):
///
/// - lower-safe, unsigned, min: PFR0 DIT 0/1 -> 0, AMU 0/1 -> 0, MPAM 0/1 -> 0, SVE 0/1 -> 0,
///   RAS 1/2 -> 1; ISAR0 RNDR, TS, FHM, SM4, SM3, SHA3 0/1 -> 0, SHA2 1/2 -> 1; ISAR1 I8MM,
///   DGH, GPA, FCMA, JSCVT 0/1 -> 0, LRCPC 1/2 -> 1, DPB 1/2 -> 1; MMFR2 EVT 0/2, BBM 0/2,
///   FWB 0/1, IDS 0/1, AT 0/1, NV 0/2, CCIDX 0/1 -> 0; ZFR0 I8MM, BF16 0/1 -> 0; DFR0 PMSVer
///   1/2 -> 1. Every one of these is N1's value.
/// - lower-safe, signed (`S_ARM64_FTR_BITS`): DFR0 DoubleLock 0 / 0xf (-1) -> 0xf: V1's.
/// - FTR_EXACT, values differ -> the row's safe value: ISAR1 APA 0/3 -> 0; DFR0 PMUVer 4/5
///   -> 0; DebugVer 8/9 -> 6.
/// - bits no row names are dropped: V1's DFR0 TraceVer (7:4) = 1 and TraceFilt (43:40) = 1,
///   bits 4 and 40.
///
/// So the profile is N1's registers with DFR0 0x0000000110305408 -> DoubleLock 0xf, PMUVer 0,
/// DebugVer 6: 0x000000f110305006. MMFR3 and SMFR0: neither input gives them, unknown.
#[test]
fn baseline_of_graviton2_and_graviton3_qemu_models_follows_cpufeature_rules() {
    let n1 = load("arm64-qemu-neoverse-n1.json");
    let r = fold(&["arm64-qemu-neoverse-n1.json", "arm64-qemu-neoverse-v1.json"]);
    let expected = [
        0x1100_0000_1011_1112,
        0x0000_1000_1021_1120,
        0x0000_0000_0010_1125,
        0x0000_0000_0010_0001,
        0,
        0x20,
        0x0000_0000_1021_2122,
        0x0000_0000_0000_1011,
        0,
        0x0000_00f1_1030_5006,
    ];
    for (i, v) in expected.iter().enumerate() {
        assert_eq!(r.profile.regs[i], *v, "{}", REGS[i]);
    }
    assert!(!r.profile.is_known(MMFR3) && !r.profile.is_known(SMFR0));
    assert_eq!(r.hosts, 2);
    // Equal to N1 except in DFR0.
    assert!((0..DFR0).all(|i| r.profile.regs[i] == n1.regs[i]));
    assert_eq!(r.dropped_unknown[DFR0], (1 << 40) | (1 << 4));
    assert_eq!(r.dropped_unknown[PFR0], 0);
    // PFR0.SVE varied, ISAR0.ATOMIC (2 on both) did not.
    assert_ne!(r.varied[PFR0] & (0xf << 32), 0);
    assert_eq!(r.varied[ISAR0] & (0xf << 20), 0);
    // The fold is commutative: V1 first gives the same profile.
    let back = fold(&["arm64-qemu-neoverse-v1.json", "arm64-qemu-neoverse-n1.json"]);
    assert_eq!(back.profile, r.profile);
    // The profile runs on both hosts: a subset of each (DFR0 DoubleLock 0xf <= 0 and 0xf,
    // DebugVer 6 = the safe value, below 8 and 9; the rest N1's, below or equal to V1's).
    for n in ["arm64-qemu-neoverse-n1.json", "arm64-qemu-neoverse-v1.json"] {
        let c = compare(&r.profile, &load(n)).unwrap();
        assert_eq!(c.verdict, Verdict::Subset, "{n}: {:?}", responsible(&c));
    }
}

/// The same fleet as KVM shows it on real Graviton2 / Graviton3 (/ Neoverse V2) hosts. N1 vs
/// V1 guests (fields not listed are equal):
///
/// - lower-safe, min: PFR0 DIT 0/1, MPAM 0/1 -> 0, RAS 1/2 -> 1; ISAR0 RNDR, TS, FHM, SM4,
///   SM3, SHA3 0/1 -> 0, SHA2 1/2 -> 1; ISAR1 I8MM, DGH, BF16, FCMA, JSCVT 0/1 -> 0, LRCPC
///   1/2, DPB 1/2 -> 1; MMFR2 EVT 1/2 -> 1, BBM 0/2, FWB 0/1, IDS 0/1, AT 0/1, NV 0/2, IESB
///   0/1 -> 0.
/// - signed lower-safe: DFR0 DoubleLock 0 / 0xf -> 0xf.
/// - KVM already made PMUVer 0 and DebugVer 6 on both, so no FTR_EXACT field differs.
///
/// Profile: N1's guest registers but DFR0 0x10305006 -> 0x000000f010305006 and MMFR2
/// 0x0100000000000011 (EVT 1, UAO 1, CnP 1; IESB 0 as N1 has it here).
///
/// Adding the V2 guest: PFR0 EL0 (3:0) 2/2/1 -> 1 (V2 has no AArch32 at EL0); MMFR0
/// TGRAN4_2, TGRAN64_2, TGRAN16_2 0/0/2 are FTR_EXACT with safe 1: differing -> 1, so MMFR0
/// 0x101125 -> 0x0000011100101125; V2's MMFR1 ECBHB (63:60) = 1 is lower-safe
/// (ftr_id_aa64mmfr1 at AOSC-Tracking/linux 05701c5f; 010338d7 had no row and the fold dropped
/// the bits as unknown): min(0, 0, 1) = 0, so the profile is the same and nothing is dropped.
#[test]
fn baseline_of_graviton_kvm_guests_follows_cpufeature_rules() {
    let two = fold(&FIRECRACKER[..2]);
    let expected = [
        0x1100_0000_1111_1112,
        0x0000_1000_1021_1120,
        0x0000_0000_0010_1125,
        0x0000_0000_0010_0001,
        0,
        0x20,
        0x0000_0000_1021_2122,
        0x0100_0000_0000_0011,
        0,
        0x0000_00f0_1030_5006,
        0,
        0,
    ];
    assert_eq!(two.profile, regs(expected));
    assert_eq!(two.dropped_unknown, [0; vcap_regs::model::MAX_REGS]);
    let three = fold(&FIRECRACKER);
    let mut e3 = expected;
    e3[0] = 0x1100_0000_1111_1111;
    e3[2] = 0x0000_0111_0010_1125;
    assert_eq!(three.profile, regs(e3));
    assert_eq!(three.dropped_unknown, [0; vcap_regs::model::MAX_REGS]);
    assert_eq!(field(&three.profile, "ID_AA64MMFR1_EL1.ECBHB", 60), 0);
    // The V2 guest alone keeps it: a profile of one host is that host.
    let v2 = fold(&FIRECRACKER[2..]);
    assert_eq!(field(&v2.profile, "ID_AA64MMFR1_EL1.ECBHB", 60), 1);
    assert_eq!(v2.dropped_unknown, [0; vcap_regs::model::MAX_REGS]);
    // Each guest runs the three-host profile.
    for n in FIRECRACKER {
        let c = compare(&three.profile, &load(n)).unwrap();
        assert!(
            c.verdict.runs(),
            "{n}: {:?} {:?}",
            c.verdict,
            responsible(&c)
        );
    }
}

/// Sanitize with the default context (the VMM implements the baseline, no per-VM flags), by
/// hand from the table's provenances: EL3, SEL2, AMU, MPAM and PMSVer never shown (0); EL2,
/// MMFR1 XNX, VH, VMIDBits and MMFR2 EVT, FWB, NV need nested-virt (0), MMFR0 TGRAN*_2 too
/// (their FTR_EXACT safe value 1); GIC and PMUVer are the VMM's (default 0); bits no row
/// names are cleared; everything else is kept. An optional register the input leaves out
/// comes out 0.
#[test]
fn sanitize_of_each_fixture() {
    let ctx = Context::new(Kind::Arm64Id);
    // (fixture, the registers that change: (index, guest value)). The other registers are kept.
    let cases: [(&str, &[(usize, u64)]); 8] = [
        (
            // PFR0 EL3 (15:12) and EL2 (11:8) 1 -> 0; MMFR0 TGRAN*_2 0 -> 1 (0x111 << 32);
            // MMFR1 XNX (31:28) 1, VH (11:8) 1, VMIDBits (7:4) 2 -> 0; DFR0 PMSVer 1, PMUVer 4
            // -> 0.
            "arm64-qemu-neoverse-n1.json",
            &[
                (0, 0x1100_0000_1011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (9, 0x0000_0000_1030_5008),
            ],
        ),
        (
            // PFR0 as N1 plus AMU (47:44) and MPAM (43:40) 1 -> 0; MMFR2 EVT (59:56) 2, FWB
            // (43:40) 1, NV (27:24) 2 -> 0; DFR0 PMSVer 2, PMUVer 5 -> 0, TraceVer and
            // TraceFilt (no row) cleared.
            "arm64-qemu-neoverse-v1.json",
            &[
                (0, 0x1101_0001_2011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (7, 0x0020_0011_0010_1011),
                (9, 0x0000_00f0_1030_5009),
            ],
        ),
        (
            // As V1, and SEL2 (39:36) 1 -> 0; TGRAN*_2 2 -> 1; DFR0 bits 4 and 40, 44 (no row)
            // cleared, PMUVer 6 -> 0.
            "arm64-qemu-neoverse-n2.json",
            &[
                (0, 0x1201_0001_2011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (7, 0x1021_0011_1010_1011),
                (9, 0x0000_00f0_1030_5009),
            ],
        ),
        (
            "arm64-qemu-cortex-a76.json",
            &[
                (0, 0x1100_0000_1011_0012),
                (2, 0x0000_0111_0010_1122),
                (6, 0x0000_0000_0021_2002),
                (9, 0x0000_0000_1030_5008),
            ],
        ),
        (
            // MMFR1 0x11212100: XNX 1 and VH 1 -> 0 (VMIDBits is 0 already).
            "arm64-qemu-a64fx.json",
            &[
                (0, 0x0000_0001_0011_0011),
                (2, 0x0000_0111_0000_1122),
                (6, 0x0000_0000_0121_2000),
                (9, 0x0000_0000_1030_5008),
            ],
        ),
        (
            // A KVM guest's registers as the host: GIC (27:24) 1 -> 0 (the VMM's), EL3, EL2
            // -> 0; MMFR2 EVT 1 -> 0. DFR0 is already what KVM shows (PMUVer 0, no PMSVer).
            "arm64-firecracker-neoverse-n1-6.1-guest.json",
            &[
                (0, 0x1100_0000_1011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (7, 0x0000_0000_0000_0011),
            ],
        ),
        (
            // MPAM (43:40) 1 -> 0 as well.
            "arm64-firecracker-neoverse-v1-6.1-guest.json",
            &[
                (0, 0x1101_0000_2011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (7, 0x0020_0011_0000_1011),
            ],
        ),
        (
            // SEL2 1 -> 0; TGRAN*_2 2 -> 1; MMFR1 XNX, VH, VMIDBits -> 0 and ECBHB (63:60,
            // a lower-safe baseline row since 05701c5f) kept at 1.
            "arm64-firecracker-neoverse-v2-6.1-guest.json",
            &[
                (0, 0x1101_0000_2011_0011),
                (2, 0x0000_0111_0010_1125),
                (6, 0x1000_0000_0031_2002),
                (7, 0x1021_0011_1000_1011),
            ],
        ),
    ];
    for (n, changed) in cases {
        let h = load(n);
        let g = sanitize(&h, &ctx).unwrap();
        for (i, reg) in REGS.iter().enumerate() {
            let want = match changed.iter().find(|(r, _)| *r == i) {
                Some((_, v)) => *v,
                None => h.regs[i],
            };
            assert_eq!(g.regs[i], want, "{n} {reg}: {:#018x}", g.regs[i]);
            assert!(g.is_known(i), "{n} {reg}");
        }
        // Every change is a real change (a listed value equal to the host's would hide a
        // register that sanitize leaves alone).
        for (i, v) in changed {
            assert_ne!(h.regs[*i], *v, "{n} {}", REGS[*i]);
        }
    }
}

/// N1 vs V1 both ways, the profile sanitized from one host and compared with the other host:
///
/// - an N1 guest on a V1 host: every capability field of the N1 guest is at most V1's, but for
///   DFR0 DoubleLock (N1 0 = implemented, V1 0xf = not: signed lower-safe, the N1 guest asks
///   for more) and, from QEMU's values, DebugVer (FTR_EXACT: 8 vs 9, neither is the safe 6:
///   incomparable). Verdict: incompatible. On the KVM guests (DebugVer 6 on both) only
///   DoubleLock is left, more capable, with everything else less: incompatible as well.
/// - a V1 guest on an N1 host: more capable in PFR0 SVE, DIT, RAS, ISAR0 RNDR … and less in
///   DoubleLock (0xf vs 0): incompatible.
#[test]
fn compare_n1_and_v1_both_ways() {
    let ctx = Context::new(Kind::Arm64Id);
    let dl = "ID_AA64DFR0_EL1.DoubleLock".to_string();
    let dv = "ID_AA64DFR0_EL1.DebugVer".to_string();
    let (n1, v1) = (
        load("arm64-qemu-neoverse-n1.json"),
        load("arm64-qemu-neoverse-v1.json"),
    );
    let c = compare(&sanitize(&n1, &ctx).unwrap(), &v1).unwrap();
    assert_eq!(c.verdict, Verdict::Incompatible);
    let not_less: Vec<_> = responsible(&c)
        .into_iter()
        .filter(|d| d.3 != "profile-less-capable")
        .collect();
    assert_eq!(
        not_less,
        vec![
            (dl.clone(), 0, 0xf, "profile-more-capable"),
            (dv.clone(), 8, 9, "incomparable"),
        ]
    );
    // 38 capability fields and V1's two unnamed DFR0 bits are less capable in the N1 guest
    // (counted by hand: PFR0 7, ISAR0 7, MMFR0 3, ISAR1 8, MMFR1 3, MMFR2 7, ZFR0 2, DFR0
    // PMSVer 1, bits 4 and 40).
    assert_eq!(responsible(&c).len(), 40 + 2);
    let pmu = c
        .not_capabilities
        .iter()
        .find(|d| d.field == "ID_AA64DFR0_EL1.PMUVer")
        .unwrap();
    assert_eq!((pmu.profile, pmu.host, pmu.class), (0, 5, "vmm-owned"));

    let c = compare(&sanitize(&v1, &ctx).unwrap(), &n1).unwrap();
    assert_eq!(c.verdict, Verdict::Incompatible);
    let r = responsible(&c);
    for (f, p, h) in [
        ("ID_AA64PFR0_EL1.SVE", 1, 0),
        ("ID_AA64PFR0_EL1.DIT", 1, 0),
        ("ID_AA64PFR0_EL1.RAS", 2, 1),
        ("ID_AA64ISAR0_EL1.RNDR", 1, 0),
        ("ID_AA64ISAR1_EL1.APA", 3, 0),
        ("ID_AA64ZFR0_EL1.BF16", 1, 0),
    ] {
        assert!(
            r.contains(&(f.to_string(), p, h, "profile-more-capable")),
            "{f}: {r:?}"
        );
    }
    assert!(r.contains(&(dl.clone(), 0xf, 0, "profile-less-capable")));
    assert!(r.contains(&(dv, 9, 8, "incomparable")));

    // The KVM guests of the real hosts.
    let (g2, g3) = (
        load("arm64-firecracker-neoverse-n1-6.1-guest.json"),
        load("arm64-firecracker-neoverse-v1-6.1-guest.json"),
    );
    let c = compare(&sanitize(&g2, &ctx).unwrap(), &g3).unwrap();
    assert_eq!(c.verdict, Verdict::Incompatible);
    let not_less: Vec<_> = responsible(&c)
        .into_iter()
        .filter(|d| d.3 != "profile-less-capable")
        .collect();
    assert_eq!(not_less, vec![(dl.clone(), 0, 0xf, "profile-more-capable")]);
    let c = compare(&sanitize(&g3, &ctx).unwrap(), &g2).unwrap();
    assert_eq!(c.verdict, Verdict::Incompatible);
    assert!(responsible(&c).contains(&(dl, 0xf, 0, "profile-less-capable")));
    // With DoubleLock lowered to V1's 0xf, the N1 guest runs on the V1 host.
    let mut lowered = sanitize(&g2, &ctx).unwrap();
    lowered.regs[DFR0] |= 0xf << 36;
    assert_eq!(compare(&lowered, &g3).unwrap().verdict, Verdict::Subset);
}

// ---- EL1 reads of real CPUs (lelegard/arm-cpusysregs, read by its kernel module) ----

const EL1: [&str; 3] = [
    "arm64-ampere-altra-neoverse-n1-host.json",
    "arm64-graviton3-c7g-xlarge-el1.json",
    "arm64-raspberrypi4-cortex-a72-host.json",
];

/// A field, its low bit in `arch/arm64/tools/sysreg`, and its expected value.
type Expect = (&'static str, u8, u64);

/// The dumping tool prints its own decode of every field next to the raw bits
/// (`cpusysregs-registers.txt`): an independent check of the positions.
#[test]
fn el1_dumps_decode_as_the_dumping_tool_decodes_them() {
    // (fixture, [(field, sysreg shift, value the tool prints)]).
    let cases: [(&str, &[Expect]); 3] = [
        (
            // "ID_AA64PFR0_EL1: … CSV3: 0x1 (safe) CSV2: 0x1 … RAS: 0x1 (RAS) GIC: 0x1 (3.0+4.0)
            // AdvSIMD: 0x1 FP: 0x1 EL3: 0x1 EL2: 0x1 EL1: 0x1 EL0: 0x2 (AArch64+32)"; ISAR0
            // "DP: 0x1 RDM: 0x1 Atomic: 0x2 (LSE) CRC32: 0x1 SHA2: 0x1 SHA1: 0x1 AES: 0x2";
            // DFR0 "DoubleLock: 0x0 PMSVer: 0x1 CTX_CMPs: 0x1 WRPs: 0x3 BRPs: 0x5 PMUVer: 0x4
            // DebugVer: 0x8"; MMFR2 "EVT: 0x1 UAO: 0x1 CnP: 0x1", IESB 0x0.
            "arm64-ampere-altra-neoverse-n1-host.json",
            &[
                ("ID_AA64PFR0_EL1.CSV3", 60, 1),
                ("ID_AA64PFR0_EL1.CSV2", 56, 1),
                ("ID_AA64PFR0_EL1.SVE", 32, 0),
                ("ID_AA64PFR0_EL1.RAS", 28, 1),
                ("ID_AA64PFR0_EL1.GIC", 24, 1),
                ("ID_AA64PFR0_EL1.AdvSIMD", 20, 1),
                ("ID_AA64PFR0_EL1.FP", 16, 1),
                ("ID_AA64PFR0_EL1.EL3", 12, 1),
                ("ID_AA64PFR0_EL1.EL2", 8, 1),
                ("ID_AA64PFR0_EL1.EL1", 4, 1),
                ("ID_AA64PFR0_EL1.EL0", 0, 2),
                ("ID_AA64ISAR0_EL1.DP", 44, 1),
                ("ID_AA64ISAR0_EL1.RDM", 28, 1),
                ("ID_AA64ISAR0_EL1.ATOMIC", 20, 2),
                ("ID_AA64ISAR0_EL1.CRC32", 16, 1),
                ("ID_AA64ISAR0_EL1.SHA2", 12, 1),
                ("ID_AA64ISAR0_EL1.SHA1", 8, 1),
                ("ID_AA64ISAR0_EL1.AES", 4, 2),
                ("ID_AA64DFR0_EL1.DoubleLock", 36, 0),
                ("ID_AA64DFR0_EL1.PMSVer", 32, 1),
                ("ID_AA64DFR0_EL1.CTX_CMPs", 28, 1),
                ("ID_AA64DFR0_EL1.WRPs", 20, 3),
                ("ID_AA64DFR0_EL1.BRPs", 12, 5),
                ("ID_AA64DFR0_EL1.PMUVer", 8, 4),
                ("ID_AA64DFR0_EL1.DebugVer", 0, 8),
                ("ID_AA64MMFR2_EL1.EVT", 56, 1),
                ("ID_AA64MMFR2_EL1.IESB", 12, 0),
                ("ID_AA64MMFR2_EL1.UAO", 4, 1),
                ("ID_AA64MMFR2_EL1.CnP", 0, 1),
            ],
        ),
        (
            // PFR0 "DIT: 0x1 AMU: 0x1 (AMUv1p1) MPAM: 0x1 (v1) SVE: 0x1 RAS: 0x2 (RASv1p1)
            // GIC: 0x3 (4.1)"; ISAR1 "I8MM: 0x1 DGH: 0x1 BF16: 0x1 GPA: 0x1 LRCPC: 0x2 FCMA:
            // 0x1 JSCVT: 0x1 APA: 0x3 DPB: 0x2"; ZFR0 "I8MM: 0x1 BF16: 0x1 SVEver: 0x0"; DFR0
            // "DoubleLock: 0xF (none) PMSVer: 0x2 PMUVer: 0x5 DebugVer: 0x9".
            "arm64-graviton3-c7g-xlarge-el1.json",
            &[
                ("ID_AA64PFR0_EL1.DIT", 48, 1),
                ("ID_AA64PFR0_EL1.AMU", 44, 1),
                ("ID_AA64PFR0_EL1.MPAM", 40, 1),
                ("ID_AA64PFR0_EL1.SVE", 32, 1),
                ("ID_AA64PFR0_EL1.RAS", 28, 2),
                ("ID_AA64PFR0_EL1.GIC", 24, 3),
                ("ID_AA64ISAR1_EL1.I8MM", 52, 1),
                ("ID_AA64ISAR1_EL1.DGH", 48, 1),
                ("ID_AA64ISAR1_EL1.BF16", 44, 1),
                ("ID_AA64ISAR1_EL1.GPA", 24, 1),
                ("ID_AA64ISAR1_EL1.LRCPC", 20, 2),
                ("ID_AA64ISAR1_EL1.FCMA", 16, 1),
                ("ID_AA64ISAR1_EL1.JSCVT", 12, 1),
                ("ID_AA64ISAR1_EL1.APA", 4, 3),
                ("ID_AA64ISAR1_EL1.DPB", 0, 2),
                ("ID_AA64ZFR0_EL1.I8MM", 44, 1),
                ("ID_AA64ZFR0_EL1.BF16", 20, 1),
                ("ID_AA64ZFR0_EL1.SVEver", 0, 0),
                ("ID_AA64DFR0_EL1.DoubleLock", 36, 0xf),
                ("ID_AA64DFR0_EL1.PMSVer", 32, 2),
                ("ID_AA64DFR0_EL1.PMUVer", 8, 5),
                ("ID_AA64DFR0_EL1.DebugVer", 0, 9),
            ],
        ),
        (
            // PFR0 "EL3: 0x2 EL2: 0x2 EL1: 0x2 EL0: 0x2 (AArch64+32)", FP 0x0, AdvSIMD 0x0;
            // ISAR0 "CRC32: 0x1", AES 0x0 (this BCM2711 has no crypto extension); MMFR0
            // "SNSMem: 0x1 BigEnd: 0x1 ASIDBits: 0x2 PARange: 0x4 (44 bits, 16TB)".
            "arm64-raspberrypi4-cortex-a72-host.json",
            &[
                ("ID_AA64PFR0_EL1.EL3", 12, 2),
                ("ID_AA64PFR0_EL1.EL2", 8, 2),
                ("ID_AA64PFR0_EL1.EL1", 4, 2),
                ("ID_AA64PFR0_EL1.EL0", 0, 2),
                ("ID_AA64PFR0_EL1.FP", 16, 0),
                ("ID_AA64PFR0_EL1.AdvSIMD", 20, 0),
                ("ID_AA64ISAR0_EL1.CRC32", 16, 1),
                ("ID_AA64ISAR0_EL1.AES", 4, 0),
                ("ID_AA64MMFR0_EL1.SNSMEM", 12, 1),
                ("ID_AA64MMFR0_EL1.BIGEND", 8, 1),
                ("ID_AA64MMFR0_EL1.ASIDBITS", 4, 2),
                ("ID_AA64MMFR0_EL1.PARANGE", 0, 4),
            ],
        ),
    ];
    for (n, fields) in cases {
        let r = load(n);
        for (f, shift, v) in fields {
            assert_eq!(field(&r, f, *shift), *v, "{n} {f}");
        }
        // The dumps give MMFR3 (0 on all three); SMFR0 the tool reads only with SME: unknown.
        assert!(r.is_known(MMFR3) && !r.is_known(SMFR0), "{n}");
        assert_eq!(r.get("ID_AA64MMFR3_EL1"), Some(0), "{n}");
    }
}

/// Three sources of the same cores agree where nothing stands between the core and the
/// reader: QEMU's TRM values, KVM's guest view, and an EL1 read.
#[test]
fn el1_reads_agree_with_qemu_and_kvm_where_they_should() {
    let altra = load("arm64-ampere-altra-neoverse-n1-host.json");
    let qn1 = load("arm64-qemu-neoverse-n1.json");
    let gn1 = load("arm64-firecracker-neoverse-n1-6.1-guest.json");
    // Bare-metal N1 = QEMU's neoverse-n1 in DFR0, ISAR0, ISAR1, MMFR0, MMFR1 and PFR1.
    for r in [
        "ID_AA64DFR0_EL1",
        "ID_AA64ISAR0_EL1",
        "ID_AA64ISAR1_EL1",
        "ID_AA64MMFR0_EL1",
        "ID_AA64MMFR1_EL1",
        "ID_AA64PFR1_EL1",
    ] {
        assert_eq!(altra.get(r), qn1.get(r), "{r}");
    }
    // MMFR2: the silicon has EVT 1 and no IESB (0x0100000000000011, as KVM shows it on a
    // Graviton2 too); QEMU's model has EVT 0, IESB 1 (0x1011).
    assert_eq!(altra.get("ID_AA64MMFR2_EL1"), gn1.get("ID_AA64MMFR2_EL1"));
    assert_eq!(altra.get("ID_AA64MMFR2_EL1"), Some(0x0100_0000_0000_0011));
    assert_eq!(qn1.get("ID_AA64MMFR2_EL1"), Some(0x1011));
    // PFR0: the GIC's system registers (1) on the silicon and under KVM; 6.1's KVM passed
    // the rest of PFR0 through, so the two real N1 reads are equal.
    assert_eq!(altra.get("ID_AA64PFR0_EL1"), gn1.get("ID_AA64PFR0_EL1"));

    let g3 = load("arm64-graviton3-c7g-xlarge-el1.json");
    let qv1 = load("arm64-qemu-neoverse-v1.json");
    for r in [
        "ID_AA64DFR0_EL1",
        "ID_AA64ISAR0_EL1",
        "ID_AA64MMFR0_EL1",
        "ID_AA64MMFR1_EL1",
        "ID_AA64MMFR2_EL1",
        "ID_AA64ZFR0_EL1",
        "ID_AA64PFR1_EL1",
    ] {
        assert_eq!(g3.get(r), qv1.get(r), "{r}");
    }
    // ISAR1 differs in one field: the Graviton3 has BF16 (47:44) = 1, QEMU's neoverse-v1 0.
    let diff = g3.get("ID_AA64ISAR1_EL1").unwrap() ^ qv1.get("ID_AA64ISAR1_EL1").unwrap();
    assert_eq!(diff, 1 << 44);
    assert_eq!(field(&g3, "ID_AA64ISAR1_EL1.BF16", 44), 1);
    // PFR0 differs in GIC only: 3 (GICv4.1 system registers) in the instance, 0 in QEMU's
    // init value.
    let diff = g3.get("ID_AA64PFR0_EL1").unwrap() ^ qv1.get("ID_AA64PFR0_EL1").unwrap();
    assert_eq!(diff, 3 << 24);
}

/// A Graviton2-class host (bare-metal Neoverse N1, Ampere Altra) and a Graviton3 instance,
/// as read at EL1. N1 vs V1, field by field (fields not listed are equal):
///
/// - lower-safe, min: PFR0 DIT, AMU, MPAM, SVE 0/1 -> 0, RAS 1/2 -> 1, GIC 1/3 -> 1; ISAR0
///   RNDR, TS, FHM, SM4, SM3, SHA3 0/1 -> 0, SHA2 1/2 -> 1; ISAR1 I8MM, DGH, BF16, GPA, FCMA,
///   JSCVT 0/1 -> 0, LRCPC, DPB 1/2 -> 1; MMFR2 EVT 1/2 -> 1, BBM 0/2, FWB 0/1, IDS 0/1, AT
///   0/1, NV 0/2, CCIDX 0/1, IESB 0/1 -> 0; ZFR0 I8MM, BF16 0/1 -> 0; DFR0 PMSVer 1/2 -> 1.
///   All N1's values.
/// - signed lower-safe: DFR0 DoubleLock 0 / 0xf -> 0xf.
/// - FTR_EXACT, differing: ISAR1 APA 0/3 -> 0; DFR0 PMUVer 4/5 -> 0, DebugVer 8/9 -> 6.
/// - dropped: the V1's DFR0 TraceVer (7:4) and TraceFilt (43:40), bits 4 and 40.
///
/// The profile: the Altra's registers with DFR0 0x0000000110305408 -> 0x000000f110305006;
/// MMFR3 0 (both give it); SMFR0 unknown (neither does).
#[test]
fn baseline_of_a_real_n1_host_and_a_graviton3_follows_cpufeature_rules() {
    let altra = load("arm64-ampere-altra-neoverse-n1-host.json");
    let r = fold(&EL1[..2]);
    let mut expected = altra;
    expected.regs[DFR0] = 0x0000_00f1_1030_5006;
    assert_eq!(r.profile, expected);
    assert!(r.profile.is_known(MMFR3) && !r.profile.is_known(SMFR0));
    assert_eq!(r.dropped_unknown[DFR0], (1 << 40) | (1 << 4));
    assert_eq!(fold(&[EL1[1], EL1[0]]).profile, r.profile);
    for n in &EL1[..2] {
        let c = compare(&r.profile, &load(n)).unwrap();
        assert_eq!(c.verdict, Verdict::Subset, "{n}: {:?}", responsible(&c));
    }
    // The same profile as the QEMU models' fold, but MMFR2 (EVT 1, IESB 0 on the silicon),
    // PFR0 GIC (1 here, 0 in QEMU's init values) and MMFR3 (known here).
    let q = fold(&["arm64-qemu-neoverse-n1.json", "arm64-qemu-neoverse-v1.json"]).profile;
    let differ: Vec<usize> = (0..REGS.len())
        .filter(|&i| q.regs[i] != r.profile.regs[i])
        .collect();
    assert_eq!(differ, vec![PFR0, MMFR2]);
    assert!(!q.is_known(MMFR3));
}

/// Sanitize of the three EL1 reads (by hand from the provenances, as
/// `sanitize_of_each_fixture`), and compare between the N1 host and the Graviton3 both ways.
#[test]
fn sanitize_and_compare_of_the_el1_reads() {
    let ctx = Context::new(Kind::Arm64Id);
    let cases: [(&str, &[(usize, u64)]); 3] = [
        (
            // GIC 1 -> 0 (the VMM's), EL3, EL2 -> 0; TGRAN*_2 0 -> 1; MMFR1 XNX, VH,
            // VMIDBits -> 0; MMFR2 EVT 1 -> 0; DFR0 PMSVer 1, PMUVer 4 -> 0.
            "arm64-ampere-altra-neoverse-n1-host.json",
            &[
                (0, 0x1100_0000_1011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (7, 0x0000_0000_0000_0011),
                (9, 0x0000_0000_1030_5008),
            ],
        ),
        (
            // AMU, MPAM, GIC 3, EL3, EL2 -> 0; MMFR2 EVT, FWB, NV -> 0; DFR0 PMSVer, PMUVer
            // and the unnamed bits 4 and 40 -> 0.
            "arm64-graviton3-c7g-xlarge-el1.json",
            &[
                (0, 0x1101_0001_2011_0012),
                (2, 0x0000_0111_0010_1125),
                (6, 0x0000_0000_0021_2002),
                (7, 0x0020_0011_0010_1011),
                (9, 0x0000_00f0_1030_5009),
            ],
        ),
        (
            // EL3 2, EL2 2 -> 0; TGRAN*_2 0 -> 1; PMUVer 1 -> 0.
            "arm64-raspberrypi4-cortex-a72-host.json",
            &[
                (0, 0x0000_0000_0000_0022),
                (2, 0x0000_0111_0000_1124),
                (9, 0x0000_0000_1030_5006),
            ],
        ),
    ];
    for (n, changed) in cases {
        let h = load(n);
        let g = sanitize(&h, &ctx).unwrap();
        for (i, reg) in REGS.iter().enumerate() {
            let want = match changed.iter().find(|(r, _)| *r == i) {
                Some((_, v)) => *v,
                // SMFR0 is unknown in these inputs: sanitize gives its least capable value.
                None if i == SMFR0 => 0,
                None => h.regs[i],
            };
            assert_eq!(g.regs[i], want, "{n} {reg}: {:#018x}", g.regs[i]);
        }
    }
    // The N1 host's guest on the Graviton3: more capable only in DoubleLock, incomparable in
    // DebugVer (8 vs 9); the Graviton3's guest on the N1 host: more capable in SVE and many
    // more, less in DoubleLock. Both incompatible.
    let (altra, g3) = (load(EL1[0]), load(EL1[1]));
    let c = compare(&sanitize(&altra, &ctx).unwrap(), &g3).unwrap();
    assert_eq!(c.verdict, Verdict::Incompatible);
    let not_less: Vec<_> = responsible(&c)
        .into_iter()
        .filter(|d| d.3 != "profile-less-capable")
        .collect();
    assert_eq!(
        not_less,
        vec![
            (
                "ID_AA64DFR0_EL1.DoubleLock".to_string(),
                0,
                0xf,
                "profile-more-capable"
            ),
            ("ID_AA64DFR0_EL1.DebugVer".to_string(), 8, 9, "incomparable"),
        ]
    );
    let c = compare(&sanitize(&g3, &ctx).unwrap(), &altra).unwrap();
    assert_eq!(c.verdict, Verdict::Incompatible);
    let r = responsible(&c);
    assert!(r.contains(&(
        "ID_AA64PFR0_EL1.SVE".to_string(),
        1,
        0,
        "profile-more-capable"
    )));
    assert!(r.contains(&(
        "ID_AA64ISAR1_EL1.BF16".to_string(),
        1,
        0,
        "profile-more-capable"
    )));
    assert!(r.contains(&(
        "ID_AA64DFR0_EL1.DoubleLock".to_string(),
        0xf,
        0,
        "profile-less-capable"
    )));
}

/// The rows added from newer cpufeature.c files, on the real dumps. The Firecracker V2 guest
/// (a KVM guest's own reads, so what KVM shows) has MMFR1 ECBHB (63:60) = 1; every other new
/// field is 0 in every dump (checked here for ISAR1 XS, ISAR2 CLRBHB and MOPS, PFR1 GCS, MMFR1
/// HCX). With ECBHB's lower-safe row (ftr_id_aa64mmfr1 at AOSC-Tracking/linux 05701c5f):
///
/// - sanitize keeps it (before, with no row, it was cleared as unknown);
/// - the V1 + V2 fold takes min(0, 1) = 0; ISAR1 I8MM (55:52) and BF16 (47:44), 1 on both
///   guests and on the Graviton3 EL1 read, stay 1;
/// - a V2 guest's profile on the V1 guest's host asks for ECBHB (1 vs 0) among the fields
///   that make it incompatible.
#[test]
fn newer_rows_on_the_real_dumps() {
    let ctx = Context::new(Kind::Arm64Id);
    let (v1, v2, g3) = (
        load("arm64-firecracker-neoverse-v1-6.1-guest.json"),
        load("arm64-firecracker-neoverse-v2-6.1-guest.json"),
        load("arm64-graviton3-c7g-xlarge-el1.json"),
    );
    assert_eq!(field(&v2, "ID_AA64MMFR1_EL1.ECBHB", 60), 1);
    let e = vcap_regs::explain(&v2, &ctx).unwrap();
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "ID_AA64MMFR1_EL1.ECBHB")
        .unwrap();
    assert_eq!(d.decision, DecisionKind::Kept);
    assert!(
        !e.decisions
            .iter()
            .any(|d| d.field.starts_with("ID_AA64MMFR1_EL1.bit")),
        "no unknown MMFR1 bit left"
    );
    assert_eq!(field(&e.guest, "ID_AA64MMFR1_EL1.ECBHB", 60), 1);
    for h in [&v1, &v2, &g3] {
        for (name, shift) in [
            ("ID_AA64ISAR1_EL1.XS", 56),
            ("ID_AA64ISAR2_EL1.CLRBHB", 28),
            ("ID_AA64ISAR2_EL1.MOPS", 16),
            ("ID_AA64PFR1_EL1.GCS", 44),
            ("ID_AA64MMFR1_EL1.HCX", 40),
        ] {
            assert_eq!(field(h, name, shift), 0, "{name}");
        }
    }
    let mut b = Baseline::new();
    b.add(&v1, "v1").unwrap();
    b.add(&v2, "v2").unwrap();
    let r = b.finish().unwrap();
    assert_eq!(field(&r.profile, "ID_AA64MMFR1_EL1.ECBHB", 60), 0);
    assert_eq!(r.dropped_unknown[MMFR1], 0);
    for h in [&r.profile, &g3] {
        assert_eq!(field(h, "ID_AA64ISAR1_EL1.I8MM", 52), 1);
        assert_eq!(field(h, "ID_AA64ISAR1_EL1.BF16", 44), 1);
    }
    let g = sanitize(&g3, &ctx).unwrap();
    assert_eq!(field(&g, "ID_AA64ISAR1_EL1.I8MM", 52), 1);
    assert_eq!(field(&g, "ID_AA64ISAR1_EL1.BF16", 44), 1);
    let c = compare(&sanitize(&v2, &ctx).unwrap(), &v1).unwrap();
    assert!(!c.verdict.runs());
    assert!(
        responsible(&c).contains(&(
            "ID_AA64MMFR1_EL1.ECBHB".to_string(),
            1,
            0,
            "profile-more-capable"
        )),
        "{:?}",
        responsible(&c)
    );
}
