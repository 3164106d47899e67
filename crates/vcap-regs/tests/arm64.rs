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
    let text = r#"{"type": "arm64_id", "regs": {"ID_AA64PFR0_EL1": "0x11", "ID_AA64ISAR0_EL1": "0x20", "ID_AA64MMFR0_EL1": "0x5"}}"#;
    let h = input::parse_hosts(text, "a.json").unwrap();
    assert_eq!(h[0].regs.regs[..3], [0x11, 0x20, 0x5]);
    let bad = text.replace("ID_AA64MMFR0_EL1", "ID_AA64MMFR9_EL1");
    let e = input::parse_hosts(&bad, "a.json").unwrap_err().to_string();
    assert!(e.contains("unknown field `ID_AA64MMFR9_EL1`"), "{e}");
    assert!(e.contains("`ID_AA64MMFR0_EL1`"), "{e}");
}
