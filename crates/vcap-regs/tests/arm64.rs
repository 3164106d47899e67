//! arm64 ID registers under the arm64 kernel's FTR rules (cpufeature.c). Register values are
//! constructed field by field (labelled below): no public dump of these three registers with a
//! named source was at hand.

use vcap_regs::{Baseline, Context, DecisionKind, Kind, RegSet, input, sanitize};

fn regs(fields: &[(&str, u64)]) -> RegSet {
    let mut r = RegSet::zero(Kind::Arm64Id);
    for (f, v) in fields {
        r = r.with_field(f, *v).unwrap();
    }
    r
}

fn get(r: &RegSet, f: &str) -> u64 {
    let t = Kind::Arm64Id.table();
    let x = t.field(f).unwrap();
    x.get(r.regs[x.reg])
}

#[test]
fn the_fold_follows_ftr_rules() {
    // Host a: FP and AdvSIMD implemented (0), LSE atomics (2), 48-bit PA (5), 4K stage-2 (2).
    let a = regs(&[
        ("ID_AA64PFR0_EL1.FP", 0),
        ("ID_AA64PFR0_EL1.AdvSIMD", 0),
        ("ID_AA64PFR0_EL1.EL0", 1),
        ("ID_AA64PFR0_EL1.EL1", 1),
        ("ID_AA64ISAR0_EL1.ATOMIC", 2),
        ("ID_AA64MMFR0_EL1.PARANGE", 5),
        ("ID_AA64MMFR0_EL1.TGRAN4_2", 2),
    ]);
    // Host b: no FP/AdvSIMD (0xf, signed -1), no atomics, 44-bit PA (4), 4K at stage 2 as at
    // stage 1 (0).
    let b = regs(&[
        ("ID_AA64PFR0_EL1.FP", 0xf),
        ("ID_AA64PFR0_EL1.AdvSIMD", 0xf),
        ("ID_AA64PFR0_EL1.EL0", 2),
        ("ID_AA64PFR0_EL1.EL1", 1),
        ("ID_AA64MMFR0_EL1.PARANGE", 4),
        ("ID_AA64MMFR0_EL1.TGRAN4_2", 0),
    ]);
    let mut bl = Baseline::new();
    bl.add(&a, "a").unwrap();
    bl.add(&b, "b").unwrap();
    let p = bl.finish().unwrap().profile;
    // S_ARM64_FTR_BITS(..., FTR_LOWER_SAFE, FP): signed, so 0xf (-1) is lower than 0.
    assert_eq!(get(&p, "ID_AA64PFR0_EL1.FP"), 0xf);
    assert_eq!(get(&p, "ID_AA64PFR0_EL1.AdvSIMD"), 0xf);
    // Unsigned lower-safe.
    assert_eq!(get(&p, "ID_AA64PFR0_EL1.EL0"), 1);
    assert_eq!(get(&p, "ID_AA64ISAR0_EL1.ATOMIC"), 0);
    assert_eq!(get(&p, "ID_AA64MMFR0_EL1.PARANGE"), 4);
    // ARM64_FTR_BITS(FTR_HIDDEN, FTR_NONSTRICT, FTR_EXACT, TGRAN4_2, 4, 1): differing -> 1.
    assert_eq!(get(&p, "ID_AA64MMFR0_EL1.TGRAN4_2"), 1);
}

#[test]
fn sanitize_clears_what_kvm_never_shows_and_unknown_fields() {
    // TME (ISAR0[27:24]) has no ftr_id_aa64isar0 row: unknown, cleared. EL3 and EL2 set.
    let mut h = regs(&[
        ("ID_AA64PFR0_EL1.EL3", 1),
        ("ID_AA64PFR0_EL1.EL2", 1),
        ("ID_AA64PFR0_EL1.GIC", 1),
        ("ID_AA64ISAR0_EL1.AES", 2),
    ]);
    h.regs[1] |= 1 << 24;
    let e = vcap_regs::explain(&h, &Context::new(Kind::Arm64Id)).unwrap();
    let d = |f: &str| e.decisions.iter().find(|d| d.field == f).unwrap().clone();
    assert_eq!(d("ID_AA64PFR0_EL1.EL3").decision, DecisionKind::Cleared);
    assert_eq!(d("ID_AA64PFR0_EL1.EL2").decision, DecisionKind::Cleared);
    assert_eq!(d("ID_AA64PFR0_EL1.GIC").decision, DecisionKind::Forced);
    assert_eq!(d("ID_AA64ISAR0_EL1.AES").decision, DecisionKind::Kept);
    assert_eq!(d("ID_AA64ISAR0_EL1.bit24").decision, DecisionKind::Cleared);
    let g = sanitize(&h, &Context::new(Kind::Arm64Id)).unwrap();
    assert_eq!(g.regs[1], 2 << 4);
}

#[test]
fn host_json_reads_and_refuses_unknown_registers() {
    let text = r#"{"type": "arm64_id", "regs": {"ID_AA64PFR0_EL1": "0x11", "ID_AA64ISAR0_EL1": "0x20", "ID_AA64MMFR0_EL1": "0x5", "ID_AA64ISAR1_EL1": "0x1", "ID_AA64ISAR2_EL1": "0x2", "ID_AA64PFR1_EL1": "0x3", "ID_AA64MMFR1_EL1": "0x4", "ID_AA64MMFR2_EL1": "0x5", "ID_AA64ZFR0_EL1": "0x1", "ID_AA64DFR0_EL1": "0x6"}}"#;
    let h = input::parse_hosts(text, "a.json").unwrap();
    assert_eq!(
        h[0].regs.regs[..10],
        [0x11, 0x20, 0x5, 0x1, 0x2, 0x3, 0x4, 0x5, 0x1, 0x6]
    );
    // Every register is required: one left out would read as 0, not as unknown.
    let short = text.replace(r#""ID_AA64PFR1_EL1": "0x3", "#, "");
    let e = input::parse_hosts(&short, "a.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `ID_AA64PFR1_EL1`"), "{e}");
    let bad = text.replace("ID_AA64MMFR0_EL1", "ID_AA64MMFR9_EL1");
    let e = input::parse_hosts(&bad, "a.json").unwrap_err().to_string();
    assert!(e.contains("unknown field `ID_AA64MMFR9_EL1`"), "{e}");
    assert!(e.contains("`ID_AA64MMFR0_EL1`"), "{e}");
}

/// ISAR1, ISAR2 and PFR1 under cpufeature.c's rules (ftr_id_aa64isar1/isar2/pfr1 at 010338d7),
/// worked by hand: host A ISAR1 0x0010_0000_0021_1101 (I8MM 1 at 55:52, LRCPC 2 at 23:20, FCMA 1
/// at 19:16, API 1 at 11:8, DPB 1 at 3:0), host B ISAR1 0x0000_0000_0011_0010 (LRCPC 1, FCMA 1,
/// APA 1 at 7:4). I8MM lower-safe min(1, 0) = 0; LRCPC min(2, 1) = 1; FCMA 1; API and APA are
/// FTR_EXACT with safe 0 and differ: 0 and 0; DPB min(1, 0) = 0. ISAR2: A BC (23:20) 1, B 0:
/// FTR_HIGHER_SAFE keeps 1. PFR1: A MTE (11:8) 2, SSBS (7:4) 2, MPAM_frac (19:16) 1; B MTE 0,
/// SSBS 1: MTE 0, SSBS 1; MPAM_frac min 0 (and sanitize clears it: KVM never shows MPAM).
#[test]
fn isar1_isar2_pfr1_follow_cpufeature_rules() {
    let t = Kind::Arm64Id.table();
    let mk = |isar1: u64, isar2: u64, pfr1: u64| {
        vcap_regs::RegSet::from_values(Kind::Arm64Id, &[0, 0, 0, isar1, isar2, pfr1, 0, 0, 0, 0])
            .unwrap()
    };
    let a = mk(
        0x0010_0000_0021_1101,
        1 << 20,
        (2 << 8) | (2 << 4) | (1 << 16),
    );
    let b = mk(0x0000_0000_0011_0010, 0, 1 << 4);
    let mut fold = vcap_regs::Baseline::new();
    fold.add(&a, "a").unwrap();
    fold.add(&b, "b").unwrap();
    let p = fold.finish().unwrap().profile;
    let get = |name: &str| {
        let f = t.field(name).unwrap();
        f.get(p.regs[f.reg])
    };
    assert_eq!(get("ID_AA64ISAR1_EL1.I8MM"), 0);
    assert_eq!(get("ID_AA64ISAR1_EL1.LRCPC"), 1);
    assert_eq!(get("ID_AA64ISAR1_EL1.FCMA"), 1);
    assert_eq!(get("ID_AA64ISAR1_EL1.API"), 0);
    assert_eq!(get("ID_AA64ISAR1_EL1.APA"), 0);
    assert_eq!(get("ID_AA64ISAR1_EL1.DPB"), 0);
    assert_eq!(get("ID_AA64ISAR2_EL1.BC"), 1);
    assert_eq!(get("ID_AA64PFR1_EL1.MTE"), 0);
    assert_eq!(get("ID_AA64PFR1_EL1.SSBS"), 1);
    assert_eq!(get("ID_AA64PFR1_EL1.MPAM_frac"), 0);
    // Positions (arch/arm64/tools/sysreg): I8MM 55:52, API 11:8, BC 23:20, SME 27:24.
    for (name, shift) in [
        ("ID_AA64ISAR1_EL1.I8MM", 52),
        ("ID_AA64ISAR1_EL1.API", 8),
        ("ID_AA64ISAR2_EL1.BC", 20),
        ("ID_AA64ISAR2_EL1.WFxT", 0),
        ("ID_AA64PFR1_EL1.SME", 24),
        ("ID_AA64PFR1_EL1.BT", 0),
    ] {
        assert_eq!(t.field(name).unwrap().shift, shift, "{name}");
    }
    // Sanitize: MPAM_frac is never shown; ISAR1's LS64 (63:60, no ftr row) is unknown: cleared.
    let h = mk(0x1 << 60 | 0x21 << 16, 0, 1 << 16);
    let g = sanitize(&h, &Context::new(Kind::Arm64Id)).unwrap();
    assert_eq!(g.regs[3], 0x21 << 16);
    assert_eq!(g.regs[5], 0);
}

/// MMFR1 and MMFR2 (ftr_id_aa64mmfr1/mmfr2 at 010338d7; positions from arch/arm64/tools/sysreg):
/// SpecSEI (27:24) is FTR_HIGHER_SAFE; the EL2 controls (VH 11:8, VMIDBits 7:4, TWED, XNX, NV
/// 27:24, FWB 43:40, EVT) need the per-VM flag nested-virt; PAN (23:20) and VARange (19:16) are
/// lower-safe baseline fields.
#[test]
fn mmfr1_mmfr2_follow_cpufeature_rules() {
    let t = Kind::Arm64Id.table();
    let mk = |m1: u64, m2: u64| {
        vcap_regs::RegSet::from_values(Kind::Arm64Id, &[0, 0, 0, 0, 0, 0, m1, m2, 0, 0]).unwrap()
    };
    // A: PAN 3, SpecSEI 0, VH 1; VARange 1, NV 2. B: PAN 1, SpecSEI 1, VH 1; VARange 0, NV 0.
    let a = mk((3 << 20) | (1 << 8), (1 << 16) | (2 << 24));
    let b = mk((1 << 20) | (1 << 24) | (1 << 8), 0);
    let mut fold = vcap_regs::Baseline::new();
    fold.add(&a, "a").unwrap();
    fold.add(&b, "b").unwrap();
    let p = fold.finish().unwrap().profile;
    let get = |r: &RegSet, name: &str| {
        let f = t.field(name).unwrap();
        f.get(r.regs[f.reg])
    };
    assert_eq!(get(&p, "ID_AA64MMFR1_EL1.PAN"), 1);
    assert_eq!(get(&p, "ID_AA64MMFR1_EL1.SpecSEI"), 1);
    assert_eq!(get(&p, "ID_AA64MMFR1_EL1.VH"), 1);
    assert_eq!(get(&p, "ID_AA64MMFR2_EL1.VARange"), 0);
    assert_eq!(get(&p, "ID_AA64MMFR2_EL1.NV"), 0);
    // Sanitize A without nested-virt: VH and NV cleared, PAN and VARange kept.
    let g = sanitize(&a, &Context::new(Kind::Arm64Id)).unwrap();
    assert_eq!(get(&g, "ID_AA64MMFR1_EL1.VH"), 0);
    assert_eq!(get(&g, "ID_AA64MMFR2_EL1.NV"), 0);
    assert_eq!(get(&g, "ID_AA64MMFR1_EL1.PAN"), 3);
    assert_eq!(get(&g, "ID_AA64MMFR2_EL1.VARange"), 1);
    for (name, shift) in [
        ("ID_AA64MMFR1_EL1.TIDCP1", 52),
        ("ID_AA64MMFR1_EL1.HAFDBS", 0),
        ("ID_AA64MMFR2_EL1.E0PD", 60),
        ("ID_AA64MMFR2_EL1.FWB", 40),
        ("ID_AA64MMFR2_EL1.CnP", 0),
    ] {
        assert_eq!(t.field(name).unwrap().shift, shift, "{name}");
    }
}

/// ZFR0 and DFR0 (ftr_id_aa64zfr0/dfr0 at 010338d7; positions from arch/arm64/tools/sysreg):
/// ZFR0 SVEver (3:0) and BitPerm (19:16) lower-safe; DFR0 DebugVer (3:0) FTR_EXACT with safe 6,
/// BRPs (15:12) lower-safe, PMUVer (11:8) signed FTR_EXACT owned by the VMM's vPMU, PMSVer
/// (35:32) never. A: SVEver 1, BitPerm 1, DebugVer 8, BRPs 5, PMUVer 4, PMSVer 1. B: SVEver 0,
/// BitPerm 1, DebugVer 6, BRPs 3, PMUVer 4.
#[test]
fn zfr0_dfr0_follow_cpufeature_rules() {
    let t = Kind::Arm64Id.table();
    let mk = |z: u64, d: u64| {
        vcap_regs::RegSet::from_values(Kind::Arm64Id, &[0, 0, 0, 0, 0, 0, 0, 0, z, d]).unwrap()
    };
    let a = mk(1 | (1 << 16), 8 | (5 << 12) | (4 << 8) | (1 << 32));
    let b = mk(1 << 16, 6 | (3 << 12) | (4 << 8));
    let mut fold = vcap_regs::Baseline::new();
    fold.add(&a, "a").unwrap();
    fold.add(&b, "b").unwrap();
    let p = fold.finish().unwrap().profile;
    let get = |r: &RegSet, name: &str| {
        let f = t.field(name).unwrap();
        f.get(r.regs[f.reg])
    };
    assert_eq!(get(&p, "ID_AA64ZFR0_EL1.SVEver"), 0);
    assert_eq!(get(&p, "ID_AA64ZFR0_EL1.BitPerm"), 1);
    assert_eq!(get(&p, "ID_AA64DFR0_EL1.DebugVer"), 6);
    assert_eq!(get(&p, "ID_AA64DFR0_EL1.BRPs"), 3);
    assert_eq!(get(&p, "ID_AA64DFR0_EL1.PMUVer"), 4);
    let g = sanitize(&a, &Context::new(Kind::Arm64Id)).unwrap();
    assert_eq!(get(&g, "ID_AA64DFR0_EL1.PMSVer"), 0);
    assert_eq!(get(&g, "ID_AA64DFR0_EL1.PMUVer"), 0);
    assert_eq!(get(&g, "ID_AA64DFR0_EL1.BRPs"), 5);
    for (name, shift) in [
        ("ID_AA64ZFR0_EL1.F64MM", 56),
        ("ID_AA64ZFR0_EL1.BF16", 20),
        ("ID_AA64DFR0_EL1.DoubleLock", 36),
        ("ID_AA64DFR0_EL1.WRPs", 20),
    ] {
        assert_eq!(t.field(name).unwrap().shift, shift, "{name}");
    }
}
