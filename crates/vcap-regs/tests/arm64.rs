//! arm64 ID registers under the arm64 kernel's FTR rules (cpufeature.c). Register values are
//! constructed field by field (labelled below): no public dump of these registers with a
//! named source was at hand.

use vcap_regs::tables::arm64::{FIRST_OPTIONAL, MMFR3, SMFR0};
use vcap_regs::{
    Baseline, Context, DecisionKind, Kind, RegError, RegSet, Verdict, compare, input, report,
    sanitize,
};

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
    // The first ten registers are required: one left out would read as 0, not as unknown.
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
/// FTR_LOWER_SAFE (torvalds/linux 479965a2b7ec fixed the FTR_HIGHER_SAFE of 010338d7; read at
/// 3daee2e4) takes min(1, 0) = 0: BC.cond is not offered where one host lacks it. PFR1: A MTE (11:8) 2, SSBS (7:4) 2, MPAM_frac (19:16) 1; B MTE 0,
/// SSBS 1: MTE 0, SSBS 1; MPAM_frac min 0 (and sanitize clears it: KVM never shows MPAM).
#[test]
fn isar1_isar2_pfr1_follow_cpufeature_rules() {
    let t = Kind::Arm64Id.table();
    let mk = |isar1: u64, isar2: u64, pfr1: u64| {
        vcap_regs::RegSet::from_values(
            Kind::Arm64Id,
            &[0, 0, 0, isar1, isar2, pfr1, 0, 0, 0, 0, 0, 0],
        )
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
    assert_eq!(get("ID_AA64ISAR2_EL1.BC"), 0);
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
        vcap_regs::RegSet::from_values(Kind::Arm64Id, &[0, 0, 0, 0, 0, 0, m1, m2, 0, 0, 0, 0])
            .unwrap()
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
        vcap_regs::RegSet::from_values(Kind::Arm64Id, &[0, 0, 0, 0, 0, 0, 0, 0, z, d, 0, 0])
            .unwrap()
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

/// The ten required registers as a host file (values are arbitrary, each field in range), plus
/// whatever `extra` adds to the `regs` object.
fn host_json(extra: &str) -> String {
    format!(
        r#"{{"type": "arm64_id", "regs": {{"ID_AA64PFR0_EL1": "0x11", "ID_AA64ISAR0_EL1": "0x20", "ID_AA64MMFR0_EL1": "0x5", "ID_AA64ISAR1_EL1": "0x1", "ID_AA64ISAR2_EL1": "0x2", "ID_AA64PFR1_EL1": "0x3", "ID_AA64MMFR1_EL1": "0x4", "ID_AA64MMFR2_EL1": "0x5", "ID_AA64ZFR0_EL1": "0x1", "ID_AA64DFR0_EL1": "0x6"{extra}}}}}"#
    )
}

fn host(text: &str) -> RegSet {
    input::parse_hosts(text, "t").unwrap().remove(0).regs
}

/// Positions from arch/arm64/tools/sysreg (torvalds/linux 00ac8467): MMFR3 S1POE 19:16, S2PIE
/// 15:12 (no ftr_id_aa64mmfr3 row, not even in linux-next 0e7ce595), S1PIE 11:8, SCTLRX 7:4 (a
/// row in linux-next 0e7ce595, none at 05701c5f), TCRX 3:0. MMFR3 = 0x11111 sets all five to 1. SMFR0, worked by hand: FA64 (63) 1, SMEver (59:56) 1 = SME2, I16I64 (55:52) 0xf,
/// F64F64 (48) 1, I16I32 (47:44) 0x5, B16B16 (43) 0, F16F16 (42) 1, I8I32 (39:36) 0xf, F16F32
/// (35), B16F32 (34), BI32I32 (33), F32F32 (32) 1 = 0x81f1_54ff_0000_0000.
#[test]
fn mmfr3_and_smfr0_decode_from_known_values() {
    let t = Kind::Arm64Id.table();
    let d = vcap_regs::decode(t, "ID_AA64MMFR3_EL1", 0x11111).unwrap();
    let raw = |d: &[vcap_regs::DecodedField], n: &str| {
        d.iter()
            .find(|f| f.name == n)
            .map(|f| (f.shift, f.width, f.raw))
    };
    assert_eq!(raw(&d, "S1POE"), Some((16, 4, 1)));
    assert_eq!(raw(&d, "S1PIE"), Some((8, 4, 1)));
    assert_eq!(raw(&d, "SCTLRX"), Some((4, 4, 1)));
    assert_eq!(raw(&d, "TCRX"), Some((0, 4, 1)));
    // S2PIE (15:12) has no row: its set bit is reported as unknown.
    let unknown: Vec<u8> = d.iter().filter(|f| f.unknown).map(|f| f.shift).collect();
    assert_eq!(unknown, vec![12]);
    let d = vcap_regs::decode(t, "ID_AA64SMFR0_EL1", 0x81f1_54ff_0000_0000).unwrap();
    for (name, shift, width, v) in [
        ("FA64", 63, 1, 1),
        ("SMEver", 56, 4, 1),
        ("I16I64", 52, 4, 0xf),
        ("F64F64", 48, 1, 1),
        ("I16I32", 44, 4, 5),
        ("B16B16", 43, 1, 0),
        ("F16F16", 42, 1, 1),
        ("I8I32", 36, 4, 0xf),
        ("F16F32", 35, 1, 1),
        ("B16F32", 34, 1, 1),
        ("BI32I32", 33, 1, 1),
        ("F32F32", 32, 1, 1),
    ] {
        assert_eq!(raw(&d, name), Some((shift, width, v)), "{name}");
    }
    assert!(d.iter().all(|f| !f.unknown), "every set bit has a row");
    // The rules as ftr_id_aa64mmfr3 (05701c5f) and ftr_id_aa64smfr0 (010338d7) declare them.
    for f in t.fields_of(MMFR3) {
        assert_eq!(f.rule, vcap_regs::Rule::LowerSafe, "{}", f.name);
    }
    for f in t.fields_of(SMFR0) {
        assert_eq!(
            f.rule,
            vcap_regs::Rule::Exact { safe: Some(0) },
            "{}",
            f.name
        );
    }
    // S1POE, S1PIE, SCTLRX, TCRX; SMFR0's twelve rows of 010338d7 and the eleven added since
    // (LUTv2, F8F16, F8F32, SF8FMA, SF8DP4, SF8DP2 at torvalds/linux 3daee2e4; SBitPerm, AES,
    // SFEXPA, STMOP, SMOP4 at 05701c5f).
    assert_eq!(t.fields_of(MMFR3).count(), 4);
    assert_eq!(t.fields_of(SMFR0).count(), 23);
}

#[test]
fn mmfr3_and_smfr0_are_optional_unknown_never_zero() {
    // A host file with only the first ten registers (as vcap read them before): the two new
    // registers are unknown, and hold 0.
    let old = host(&host_json(""));
    assert!(!old.is_known(MMFR3) && !old.is_known(SMFR0));
    assert_eq!((old.regs[MMFR3], old.regs[SMFR0]), (0, 0));
    assert!((0..FIRST_OPTIONAL).all(|i| old.is_known(i)));
    // Given, they are read.
    let new = host(&host_json(
        r#", "ID_AA64MMFR3_EL1": "0x10101", "ID_AA64SMFR0_EL1": "0x8100000000000000""#,
    ));
    assert_eq!(new.unknown, 0);
    assert_eq!(new.get("ID_AA64MMFR3_EL1"), Some(0x10101));
    assert_eq!(new.get("ID_AA64SMFR0_EL1"), Some(0x8100_0000_0000_0000));
    // One given, the other not.
    let one = host(&host_json(r#", "ID_AA64MMFR3_EL1": "0x0""#));
    assert!(one.is_known(MMFR3) && !one.is_known(SMFR0));
    // Both read back as written (unknown stays unknown, a known 0 stays known).
    for r in [old, new, one] {
        assert_eq!(host(&report::profile_json(&r, None).to_string()), r);
    }
    // A required register cannot be made unknown in code, and an unknown one must hold 0.
    let z = RegSet::zero(Kind::Arm64Id);
    assert!(matches!(
        z.with_unknown("ID_AA64PFR0_EL1"),
        Err(RegError::UnknownRegister { .. })
    ));
    let mut bad = z.with_unknown("ID_AA64SMFR0_EL1").unwrap();
    bad.regs[SMFR0] = 1 << 32;
    assert!(matches!(
        bad.validate(),
        Err(RegError::UnknownNotZero { .. })
    ));
    // Too wide is refused for the new registers too (a 65-bit integer).
    let e = input::parse_hosts(
        &host_json(r#", "ID_AA64MMFR3_EL1": 36893488147419103232"#),
        "w",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("regs.ID_AA64MMFR3_EL1") && e.contains("does not fit in 64 bits"),
        "{e}"
    );
}

/// Baseline over MMFR3/SMFR0 by cpufeature.c's rules. A: MMFR3 S1POE 1, S1PIE 1, TCRX 1;
/// SMFR0 FA64 1, SMEver 1, F32F32 1. B: MMFR3 S1PIE 1, TCRX 1; SMFR0 FA64 1, SMEver 0,
/// F32F32 1. Lower-safe: S1POE min(1, 0) = 0, S1PIE 1, TCRX 1. FTR_EXACT safe 0: SMEver differs
/// -> 0; FA64 and F32F32 agree -> 1.
#[test]
fn baseline_and_compare_over_mmfr3_and_smfr0() {
    let t = Kind::Arm64Id.table();
    let mk = |m3: u64, s0: u64| {
        let mut v = [0u64; 12];
        v[MMFR3] = m3;
        v[SMFR0] = s0;
        RegSet::from_values(Kind::Arm64Id, &v).unwrap()
    };
    let a = mk((1 << 16) | (1 << 8) | 1, (1 << 63) | (1 << 56) | (1 << 32));
    let b = mk((1 << 8) | 1, (1 << 63) | (1 << 32));
    let mut bl = Baseline::new();
    bl.add(&a, "a").unwrap();
    bl.add(&b, "b").unwrap();
    let p = bl.finish().unwrap().profile;
    let get = |r: &RegSet, name: &str| {
        let f = t.field(name).unwrap();
        f.get(r.regs[f.reg])
    };
    assert_eq!(get(&p, "ID_AA64MMFR3_EL1.S1POE"), 0);
    assert_eq!(get(&p, "ID_AA64MMFR3_EL1.S1PIE"), 1);
    assert_eq!(get(&p, "ID_AA64MMFR3_EL1.TCRX"), 1);
    assert_eq!(get(&p, "ID_AA64SMFR0_EL1.SMEver"), 0);
    assert_eq!(get(&p, "ID_AA64SMFR0_EL1.FA64"), 1);
    assert_eq!(get(&p, "ID_AA64SMFR0_EL1.F32F32"), 1);
    // The fold runs on both; A's own profile does not run on B (S1POE, SMEver).
    assert_eq!(compare(&p, &a).unwrap().verdict, Verdict::Subset);
    assert_eq!(compare(&p, &b).unwrap().verdict, Verdict::Identical);
    assert_eq!(compare(&a, &b).unwrap().verdict, Verdict::Superset);
    // A host whose input lacks MMFR3: the baseline's MMFR3 is unknown, not A's value or 0.
    let blind = a.with_unknown("ID_AA64MMFR3_EL1").unwrap();
    let mut bl = Baseline::new();
    bl.add(&a, "a").unwrap();
    bl.add(&blind, "blind").unwrap();
    let r = bl.finish().unwrap();
    assert!(!r.profile.is_known(MMFR3) && r.profile.is_known(SMFR0));
    let doc = report::baseline_json(&r);
    assert!(
        doc["unknown_registers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "ID_AA64MMFR3_EL1"),
        "{doc}"
    );
    // compare: the profile asks for S1POE where the host does not say: unknown, not "runs".
    let c = compare(&a, &blind).unwrap();
    assert_eq!(c.verdict, Verdict::Unknown);
    let u = c
        .unknown
        .iter()
        .find(|u| u.register == "ID_AA64MMFR3_EL1")
        .unwrap();
    assert_eq!(u.side, "host");
    assert!(
        u.profile_asks
            .contains(&"ID_AA64MMFR3_EL1.S1POE".to_string()),
        "{u:?}"
    );
    // A profile with MMFR3 all least capable asks nothing there.
    let c = compare(&mk(0, a.regs[SMFR0]), &blind).unwrap();
    assert_eq!(c.verdict, Verdict::Identical);
}

#[test]
fn sanitize_clears_an_unknown_mmfr3_and_its_unlisted_fields() {
    // Host gives MMFR3 with S1POE, S2PIE (15:12, no ftr row), S1PIE and SCTLRX set.
    let h = host(&host_json(r#", "ID_AA64MMFR3_EL1": "0x11110""#));
    let ctx = Context::new(Kind::Arm64Id);
    let e = vcap_regs::explain(&h, &ctx).unwrap();
    let d = |f: &str| e.decisions.iter().find(|d| d.field == f).unwrap().clone();
    assert_eq!(d("ID_AA64MMFR3_EL1.S1POE").decision, DecisionKind::Kept);
    assert_eq!(d("ID_AA64MMFR3_EL1.SCTLRX").decision, DecisionKind::Kept);
    assert_eq!(d("ID_AA64MMFR3_EL1.bit12").decision, DecisionKind::Cleared);
    assert_eq!(e.guest.regs[MMFR3], 0x10110);
    // SMFR0 is unknown on this host: every baseline field of it gets its least capable value.
    assert!(e.guest.is_known(SMFR0));
    assert_eq!(e.guest.regs[SMFR0], 0);
    let fa64 = d("ID_AA64SMFR0_EL1.FA64");
    assert!(
        fa64.reason.starts_with("host value unknown"),
        "{}",
        fa64.reason
    );
    assert_eq!(sanitize(&h, &ctx).unwrap(), e.guest);
}

/// The rows added from newer cpufeature.c files (torvalds/linux 3daee2e4, AOSC-Tracking/linux
/// 05701c5f, linux-next 0e7ce595), positions from arch/arm64/tools/sysreg (linux-next 75dcb5fe),
/// folded by hand. A and B:
///
/// - ISAR1 XS (59:56) 1 / 0 -> 0 (lower-safe).
/// - ISAR2 LUT (59:56) 1 / 0 -> 0, CLRBHB (31:28) 1 / 1 -> 1, MOPS (19:16) 1 / 0 -> 0.
/// - PFR1 DF2 (59:56) 1 / 0 -> 0, GCS (47:44) 1 / 0 -> 0, MTE_frac (43:40) 0 (ASYNC) / 0xf (NI)
///   -> 0xf: S_ARM64_FTR_BITS, signed, so 0xf is -1, lower than 0 (an unsigned min would say 0,
///   i.e. asynchronous MTE faults on a host that has none).
/// - MMFR1 ECBHB (63:60) 1 / 0 -> 0, HCX (43:40) 1 / 1 -> 1.
/// - ZFR0 F16MM (51:48) 1 / 0 -> 0, B16B16 (27:24) 2 (BFSCALE) / 1 -> 1, EltPerm (15:12) 1 / 0
///   -> 0.
/// - MMFR3 SCTLRX (7:4) 1 / 1 -> 1.
/// - SMFR0 (FTR_EXACT, safe 0) LUTv2 (60) 1 / 0 -> 0, SF8FMA (30) 1 / 1 -> 1, SMOP4 (0) 1 / 1
///   -> 1.
///
/// The fold is then B's registers exactly.
#[test]
fn newer_rows_follow_cpufeature_rules() {
    let t = Kind::Arm64Id.table();
    let mk = |isar1, isar2, pfr1, mmfr1, zfr0, mmfr3, smfr0| {
        RegSet::from_values(
            Kind::Arm64Id,
            &[0, 0, 0, isar1, isar2, pfr1, mmfr1, 0, zfr0, 0, mmfr3, smfr0],
        )
        .unwrap()
    };
    let a = mk(
        1 << 56,
        (1 << 56) | (1 << 28) | (1 << 16),
        (1 << 56) | (1 << 44),
        (1 << 60) | (1 << 40),
        (1 << 48) | (2 << 24) | (1 << 12),
        1 << 4,
        (1 << 60) | (1 << 30) | 1,
    );
    let b = mk(
        0,
        1 << 28,
        0xf << 40,
        1 << 40,
        1 << 24,
        1 << 4,
        (1 << 30) | 1,
    );
    // Every set bit has a row now: decode reports no unknown bit.
    for (i, reg) in [
        (3, "ID_AA64ISAR1_EL1"),
        (4, "ID_AA64ISAR2_EL1"),
        (5, "ID_AA64PFR1_EL1"),
        (6, "ID_AA64MMFR1_EL1"),
        (8, "ID_AA64ZFR0_EL1"),
        (10, "ID_AA64MMFR3_EL1"),
        (11, "ID_AA64SMFR0_EL1"),
    ] {
        for h in [&a, &b] {
            let d = vcap_regs::decode(t, reg, h.regs[i]).unwrap();
            assert!(d.iter().all(|f| !f.unknown), "{reg} {:#x}", h.regs[i]);
        }
    }
    let mut bl = Baseline::new();
    bl.add(&a, "a").unwrap();
    bl.add(&b, "b").unwrap();
    let p = bl.finish().unwrap().profile;
    let get = |r: &RegSet, name: &str| {
        let f = t.field(name).unwrap();
        f.get(r.regs[f.reg])
    };
    for (name, want) in [
        ("ID_AA64ISAR1_EL1.XS", 0),
        ("ID_AA64ISAR2_EL1.LUT", 0),
        ("ID_AA64ISAR2_EL1.CLRBHB", 1),
        ("ID_AA64ISAR2_EL1.MOPS", 0),
        ("ID_AA64PFR1_EL1.DF2", 0),
        ("ID_AA64PFR1_EL1.GCS", 0),
        ("ID_AA64PFR1_EL1.MTE_frac", 0xf),
        ("ID_AA64MMFR1_EL1.ECBHB", 0),
        ("ID_AA64MMFR1_EL1.HCX", 1),
        ("ID_AA64ZFR0_EL1.F16MM", 0),
        ("ID_AA64ZFR0_EL1.B16B16", 1),
        ("ID_AA64ZFR0_EL1.EltPerm", 0),
        ("ID_AA64MMFR3_EL1.SCTLRX", 1),
        ("ID_AA64SMFR0_EL1.LUTv2", 0),
        ("ID_AA64SMFR0_EL1.SF8FMA", 1),
        ("ID_AA64SMFR0_EL1.SMOP4", 1),
    ] {
        assert_eq!(get(&p, name), want, "{name}");
    }
    assert_eq!(p, b);
    assert_eq!(compare(&p, &a).unwrap().verdict, Verdict::Subset);
    assert_eq!(compare(&p, &b).unwrap().verdict, Verdict::Identical);
    // A's profile on B: MTE_frac 0 (ASYNC) asks more than B's 0xf.
    let c = compare(&a, &b).unwrap();
    assert!(!c.verdict.runs());
    assert!(
        c.responsible
            .iter()
            .any(|d| d.field == "ID_AA64PFR1_EL1.MTE_frac" && d.profile == 0 && d.host == 0xf),
        "{:?}",
        c.responsible
    );
    // Sanitize A without nested-virt: HCX (HCRX_EL2, an EL2 control) cleared, ECBHB, GCS, DF2
    // and XS kept; an unknown PFR1 bit (NMI, 39:36, no ftr row) cleared.
    let mut h = a;
    h.regs[5] |= 1 << 36;
    let e = vcap_regs::explain(&h, &Context::new(Kind::Arm64Id)).unwrap();
    let d = |f: &str| e.decisions.iter().find(|d| d.field == f).unwrap().decision;
    assert_eq!(d("ID_AA64MMFR1_EL1.HCX"), DecisionKind::Cleared);
    for f in [
        "ID_AA64MMFR1_EL1.ECBHB",
        "ID_AA64PFR1_EL1.GCS",
        "ID_AA64PFR1_EL1.DF2",
        "ID_AA64ISAR1_EL1.XS",
    ] {
        assert_eq!(d(f), DecisionKind::Kept, "{f}");
    }
    assert_eq!(d("ID_AA64PFR1_EL1.bit36"), DecisionKind::Cleared);
    assert_eq!(e.guest.regs[6], 1 << 60);
    assert_eq!(e.guest.regs[5], a.regs[5]);
    // Positions, each against the sysreg file (linux-next 75dcb5fe).
    for (name, shift, width, signed) in [
        ("ID_AA64ISAR1_EL1.XS", 56, 4, false),
        ("ID_AA64ISAR2_EL1.LUT", 56, 4, false),
        ("ID_AA64ISAR2_EL1.CLRBHB", 28, 4, false),
        ("ID_AA64ISAR2_EL1.MOPS", 16, 4, false),
        ("ID_AA64PFR1_EL1.DF2", 56, 4, false),
        ("ID_AA64PFR1_EL1.GCS", 44, 4, false),
        ("ID_AA64PFR1_EL1.MTE_frac", 40, 4, true),
        ("ID_AA64MMFR1_EL1.ECBHB", 60, 4, false),
        ("ID_AA64MMFR1_EL1.HCX", 40, 4, false),
        ("ID_AA64ZFR0_EL1.F16MM", 48, 4, false),
        ("ID_AA64ZFR0_EL1.B16B16", 24, 4, false),
        ("ID_AA64ZFR0_EL1.EltPerm", 12, 4, false),
        ("ID_AA64MMFR3_EL1.SCTLRX", 4, 4, false),
        ("ID_AA64SMFR0_EL1.LUTv2", 60, 1, false),
        ("ID_AA64SMFR0_EL1.F8F16", 41, 1, false),
        ("ID_AA64SMFR0_EL1.F8F32", 40, 1, false),
        ("ID_AA64SMFR0_EL1.SF8FMA", 30, 1, false),
        ("ID_AA64SMFR0_EL1.SF8DP4", 29, 1, false),
        ("ID_AA64SMFR0_EL1.SF8DP2", 28, 1, false),
        ("ID_AA64SMFR0_EL1.SBitPerm", 25, 1, false),
        ("ID_AA64SMFR0_EL1.AES", 24, 1, false),
        ("ID_AA64SMFR0_EL1.SFEXPA", 23, 1, false),
        ("ID_AA64SMFR0_EL1.STMOP", 16, 1, false),
        ("ID_AA64SMFR0_EL1.SMOP4", 0, 1, false),
    ] {
        let f = t.field(name).unwrap();
        assert_eq!(
            (f.shift, f.width, f.signed),
            (shift, width, signed),
            "{name}"
        );
    }
}
