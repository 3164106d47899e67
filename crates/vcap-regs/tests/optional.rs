//! Optional registers (the CPUID leaves added after the first 44 registers, the arm64 ID
//! registers added after the first ten): an input without one leaves it *unknown*, never zero;
//! `cpuid -r` leaves the CPU architecturally lacks are zeros. Both ways for every format that
//! carries registers (host JSON, `cpuid -r`, `kvm_cpuid_entry2`, Firecracker templates), and
//! through sanitize, baseline and compare.

use vcap_regs::kvm::{self, CpuidEntry};
use vcap_regs::report;
use vcap_regs::tables::cpuid::{FIRST_OPTIONAL, TABLE};
use vcap_regs::{Baseline, Context, Kind, RegError, RegSet, Verdict, compare, explain, input};

const XEON: &str = include_str!("fixtures/cpuid-xeon-gold-6252.txt");
const SPR_GNR: &str = include_str!("fixtures/libvirt/Xeon-6788P.txt");

fn host(text: &str) -> RegSet {
    input::parse_hosts(text, "t").unwrap().remove(0).regs
}

fn reg(name: &str) -> usize {
    TABLE.register_index(name).unwrap()
}

/// A `cpuid -r` dump of the leaves given, as `(leaf, subleaf, [eax, ebx, ecx, edx])`.
fn dump(leaves: &[(u32, u32, [u32; 4])]) -> String {
    let mut s = String::from("CPU:\n");
    for (l, sub, r) in leaves {
        s.push_str(&format!(
            "   {l:#010x} {sub:#04x}: eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}\n",
            r[0], r[1], r[2], r[3]
        ));
    }
    s
}

/// The 6788P's leaves (Granite Rapids, max basic leaf 0x24) without the ones in `drop`.
fn gnr_without(drop: &[(u32, u32)]) -> String {
    let cpus = input::parse_cpuid_blocks(SPR_GNR, "gnr").unwrap();
    let leaves: Vec<(u32, u32, [u32; 4])> = cpus[0]
        .iter()
        .filter(|(k, _)| !drop.contains(k))
        .map(|(&(l, s), r)| (l, s, *r))
        .collect();
    dump(&leaves)
}

#[test]
fn json_with_the_first_44_registers_reads_the_rest_as_unknown() {
    // A host file as vcap wrote them before the table grew: every required register, no other.
    let full = host(XEON);
    let doc = report::profile_json(&full, Some("old"));
    let mut obj = doc.clone();
    let cpuid = obj["cpuid"].as_object_mut().unwrap();
    cpuid.retain(|k, _| TABLE.register_index(k).unwrap() < FIRST_OPTIONAL);
    assert_eq!(cpuid.len(), 44);
    let old = host(&obj.to_string());
    for i in 0..TABLE.registers.len() {
        assert_eq!(
            old.is_known(i),
            i < FIRST_OPTIONAL,
            "{}",
            TABLE.registers[i].name
        );
        if i < FIRST_OPTIONAL {
            assert_eq!(old.regs[i], full.regs[i]);
        } else {
            assert_eq!(old.regs[i], 0);
        }
    }
    // A required register left out is still an error naming it.
    let mut short = doc.clone();
    short["cpuid"]
        .as_object_mut()
        .unwrap()
        .remove("CPUID.0x7.0x0.EBX");
    let e = input::parse_hosts(&short.to_string(), "short")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("1 register(s) missing") && e.contains("CPUID.0x7.0x0.EBX"),
        "{e}"
    );
    // One optional register given, the others of its leaf not: only that one is known.
    let mut one = obj.clone();
    one["cpuid"]["CPUID.0x6.0x0.EAX"] = "0x00000004".into();
    let one = host(&one.to_string());
    assert!(one.is_known(reg("CPUID.0x6.0x0.EAX")));
    assert!(!one.is_known(reg("CPUID.0x6.0x0.EBX")));
    assert_eq!(one.get("CPUID.0x6.0x0.EAX"), Some(4));
}

#[test]
fn json_round_trips_known_and_unknown_registers() {
    for text in [XEON, SPR_GNR] {
        let h = host(text);
        let back = host(&report::profile_json(&h, None).to_string());
        assert_eq!(
            back, h,
            "the profile reads back with the same unknown registers"
        );
    }
    // The 6788P's fixture gives every leaf: nothing unknown.
    assert_eq!(host(SPR_GNR).unknown, 0);
}

#[test]
fn cpuid_text_zero_beyond_the_maximum_unknown_within_it() {
    // Xeon Gold 6252: max basic leaf 0x16. Leaf 0x19 and 0x24 are beyond it: zeros, known.
    // Leaf 6 and 0x14 are within it and absent from the dump: unknown. Leaf 7.0 EAX = 0, so
    // 7.2 does not exist: zeros. XCR0 = 0x2ff: components 2, 5, 6, 7, 9 exist (absent:
    // unknown), 17 and 18 do not (zeros).
    let h = host(XEON);
    let known = |n: &str| h.is_known(reg(n));
    for n in [
        "CPUID.0x19.0x0.EBX",
        "CPUID.0x24.0x0.EBX",
        "CPUID.0x7.0x2.EDX",
        "CPUID.0xd.0x11.EAX",
        "CPUID.0xd.0x12.ECX",
    ] {
        assert!(known(n), "{n} is architecturally absent: zero");
        assert_eq!(h.get(n), Some(0));
    }
    for n in [
        "CPUID.0x6.0x0.EAX",
        "CPUID.0x14.0x0.EBX",
        "CPUID.0x14.0x1.EAX",
        "CPUID.0xd.0x2.EAX",
        "CPUID.0xd.0x5.EAX",
        "CPUID.0xd.0x9.EBX",
    ] {
        assert!(
            !known(n),
            "{n} is within the CPU's range but not in the dump: unknown"
        );
    }
    // The same rule on a dump that has every leaf: drop one subleaf at a time.
    let gnr = |drop: &[(u32, u32)]| host(&gnr_without(drop));
    assert_eq!(gnr(&[]).unknown, 0);
    // 7.0 EAX = 2 on this CPU: a missing 7.2 is unknown.
    assert!(!gnr(&[(7, 2)]).is_known(reg("CPUID.0x7.0x2.EDX")));
    // XCR0 has bit 18 (AMX tile data): a missing 0xD.0x12 is unknown.
    assert!(!gnr(&[(0xd, 0x12)]).is_known(reg("CPUID.0xd.0x12.EAX")));
    // 0x14.0 EAX = 1: a missing 0x14.1 is unknown...
    assert!(!gnr(&[(0x14, 1)]).is_known(reg("CPUID.0x14.0x1.EAX")));
    // ...and without 0x14.0 the dump cannot tell: unknown as well.
    let no14 = gnr(&[(0x14, 0), (0x14, 1)]);
    assert!(!no14.is_known(reg("CPUID.0x14.0x0.EAX")) && !no14.is_known(reg("CPUID.0x14.0x1.EAX")));
    // A required leaf within range is still an error, naming the leaf.
    let e = input::parse_hosts(&gnr_without(&[(7, 1)]), "gnr")
        .unwrap_err()
        .to_string();
    assert!(e.contains("leaf 0x7 subleaf 0x1 is missing"), "{e}");
}

#[test]
fn a_multi_cpu_dump_with_one_cpu_lacking_a_leaf_folds_to_unknown() {
    let a = gnr_without(&[]);
    let b = gnr_without(&[(6, 0)]);
    let both = format!("{a}{b}");
    let h = host(&both);
    assert!(!h.is_known(reg("CPUID.0x6.0x0.EAX")));
    assert!(h.is_known(reg("CPUID.0x24.0x0.EBX")));
    assert_eq!(h.get("CPUID.0x24.0x0.EBX"), Some(0x0007_0001));
}

#[test]
fn baseline_over_an_unknown_register_is_unknown_and_says_so() {
    let full = host(SPR_GNR);
    let old = host(XEON);
    let mut b = Baseline::new();
    b.add(&full, "gnr").unwrap();
    b.add(&old, "xeon").unwrap();
    let r = b.finish().unwrap();
    // Leaf 6 is unknown on the Xeon: unknown in the baseline, not the Granite Rapids value.
    assert!(!r.profile.is_known(reg("CPUID.0x6.0x0.EAX")));
    assert_eq!(r.profile.get("CPUID.0x6.0x0.EAX"), Some(0));
    // Leaf 0x24 is zero (beyond the Xeon's maximum): known, and the fold's value is 0.
    assert!(r.profile.is_known(reg("CPUID.0x24.0x0.EBX")));
    assert_eq!(r.profile.get("CPUID.0x24.0x0.EBX"), Some(0));
    let doc = report::baseline_json(&r);
    let unknown: Vec<&str> = doc["unknown_registers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(unknown.contains(&"CPUID.0x6.0x0.EAX") && unknown.contains(&"CPUID.0x14.0x0.EBX"));
    assert!(doc["profile"]["cpuid"].get("CPUID.0x6.0x0.EAX").is_none());
    assert!(report::baseline_text(&r).contains("CPUID.0x6.0x0.EAX            unknown"));
    // Order does not matter.
    let mut c = Baseline::new();
    c.add(&old, "xeon").unwrap();
    c.add(&full, "gnr").unwrap();
    assert_eq!(c.finish().unwrap().profile, r.profile);
    // Hosts that all give the leaf fold it as before.
    let mut d = Baseline::new();
    d.add(&full, "a").unwrap();
    d.add(&full, "b").unwrap();
    assert_eq!(d.finish().unwrap().profile.unknown, 0);
}

#[test]
fn compare_with_an_unknown_host_register_is_unknown_where_the_profile_asks() {
    let gnr = host(SPR_GNR);
    let old = host(XEON);
    // The Granite Rapids profile on itself with leaf 6 unknown on the host side: the profile
    // asks for leaf-6 capabilities (HWP, …) there, so vcap cannot tell.
    let blind = old_leaf6(&gnr);
    let c = compare(&gnr, &blind).unwrap();
    assert_eq!(c.verdict, Verdict::Unknown);
    assert!(!c.verdict.runs());
    let u = c
        .unknown
        .iter()
        .find(|u| u.register == "CPUID.0x6.0x0.EAX")
        .unwrap();
    assert_eq!(u.side, "host");
    assert!(
        u.profile_asks
            .contains(&"CPUID.0x6.0x0.EAX.HWP".to_string()),
        "{u:?}"
    );
    // ARAT is VMM-owned: never a reason, so a profile with only ARAT there asks for nothing.
    let mut arat_only = gnr;
    arat_only.regs[reg("CPUID.0x6.0x0.EAX")] = 1 << 2;
    let c = compare(&arat_only, &blind).unwrap();
    let u = c
        .unknown
        .iter()
        .find(|u| u.register == "CPUID.0x6.0x0.EAX")
        .unwrap();
    assert!(u.profile_asks.is_empty(), "{u:?}");
    // Unknown on the profile side only: the profile asks nothing there.
    let c = compare(&old, &host(XEON)).unwrap();
    assert_eq!(c.verdict, Verdict::Identical);
    assert!(c.unknown.iter().all(|u| u.side == "both"));
    let j = report::compare_json(&c, Kind::X86Cpuid);
    assert_eq!(j["unknown"][0]["side"], "both");
    let t = report::compare_text(&compare(&gnr, &blind).unwrap());
    assert!(
        t.contains("unknown on the host side; the profile asks for"),
        "{t}"
    );
}

/// `r` with leaf 6 unknown.
fn old_leaf6(r: &RegSet) -> RegSet {
    let mut out = *r;
    for n in ["EAX", "EBX", "ECX", "EDX"] {
        out = out.with_unknown(&format!("CPUID.0x6.0x0.{n}")).unwrap();
    }
    out
}

#[test]
fn sanitize_presents_the_least_capable_value_for_an_unknown_register() {
    let h = host(XEON);
    let ctx = Context::new(Kind::X86Cpuid);
    let e = explain(&h, &ctx).unwrap();
    // ARAT: VMM-owned, set whatever the host says; HWP is never exposed, unknown or not.
    assert_eq!(e.guest.get("CPUID.0x6.0x0.EAX"), Some(1 << 2));
    assert_eq!(e.guest.unknown, 0, "the guest's registers are all given");
    let find = |f: &str| e.decisions.iter().find(|d| d.field == f).unwrap();
    assert!(
        find("CPUID.0x6.0x0.EAX.HWP")
            .reason
            .starts_with("never exposed")
    );
    // PKRU's offset is a baseline field the host does not give: cleared, and why.
    let pkru = find("CPUID.0xd.0x9.EBX.OFFSET");
    assert_eq!(pkru.guest, 0);
    assert!(
        pkru.reason.starts_with("host value unknown"),
        "{}",
        pkru.reason
    );
    let avx512 = e
        .decisions
        .iter()
        .find(|d| d.field == "CPUID.0xd.0x5.EAX.SIZE")
        .unwrap();
    assert_eq!(
        (avx512.guest, avx512.reason.contains("CPUID.0xd.0x5.EAX")),
        (0, true)
    );
    // The fast path agrees with the explained one.
    assert_eq!(vcap_regs::sanitize(&h, &ctx).unwrap(), e.guest);
    let doc = report::sanitize_json(&h, &ctx, "baseline", &e);
    assert!(doc["host"].get("CPUID.0x6.0x0.EAX").is_none());
    assert!(
        doc["notes"][0]
            .as_str()
            .unwrap()
            .contains("CPUID.0x14.0x0.EAX")
    );
    // With every leaf given, the same fields read the host.
    let g = explain(&host(SPR_GNR), &ctx).unwrap();
    let size = g
        .decisions
        .iter()
        .find(|d| d.field == "CPUID.0xd.0x5.EAX.SIZE")
        .unwrap();
    assert_eq!((size.host, size.guest), (0x40, 0x40));
}

#[test]
fn only_optional_registers_can_be_unknown_and_they_hold_zero() {
    let r = RegSet::zero(Kind::X86Cpuid);
    assert!(matches!(
        r.with_unknown("CPUID.0x7.0x0.EBX"),
        Err(RegError::UnknownRegister { .. })
    ));
    let mut bad = r;
    bad.unknown = 1 << reg("CPUID.0x7.0x0.EBX");
    assert!(matches!(bad.validate(), Err(RegError::NotOptional { .. })));
    let mut bad = r.with_unknown("CPUID.0x24.0x0.EBX").unwrap();
    bad.regs[reg("CPUID.0x24.0x0.EBX")] = 1;
    assert!(matches!(
        bad.validate(),
        Err(RegError::UnknownNotZero { .. })
    ));
    assert!(compare(&bad, &r).is_err());
    // Setting a value makes the register known again.
    let k = r
        .with_unknown("CPUID.0x24.0x0.EBX")
        .unwrap()
        .with_field("CPUID.0x24.0x0.EBX.VERSION", 1)
        .unwrap();
    assert!(k.is_known(reg("CPUID.0x24.0x0.EBX")));
}

fn entries(text: &str) -> Vec<CpuidEntry> {
    let cpus = input::parse_cpuid_blocks(text, "e").unwrap();
    vcap_regs::kvm::entries_from_leaves(&cpus[0])
}

#[test]
fn kvm_entries_follow_the_same_rule_and_apply_leaves_unknown_leaves_alone() {
    // Every new leaf round-trips through kvm_cpuid_entry2, binary and back.
    let e = entries(SPR_GNR);
    let bytes = kvm::cpuid2_to_bytes(&e);
    let back = kvm::to_regset(&kvm::cpuid2_from_bytes(&bytes).unwrap()).unwrap();
    let cpus = input::parse_cpuid_blocks(SPR_GNR, "gnr").unwrap();
    assert_eq!(
        back,
        vcap_regs::tables::cpuid::regset_from_leaves(&cpus[0]).unwrap()
    );
    assert_eq!(back.get("CPUID.0x24.0x0.EBX"), Some(0x0007_0001));
    // Without leaf 6 (within range): unknown, as in a `cpuid -r` dump.
    let no6: Vec<CpuidEntry> = e.iter().copied().filter(|x| x.function != 6).collect();
    let r = kvm::to_regset(&no6).unwrap();
    assert!(!r.is_known(reg("CPUID.0x6.0x0.EAX")));
    // Applying a profile whose leaf 6 is unknown leaves the entries' leaf 6 as they are and
    // appends nothing for it; known leaves are written (AVX10 version cleared here).
    let mut profile = old_leaf6(&host(SPR_GNR));
    profile.regs[reg("CPUID.0x24.0x0.EBX")] = 0;
    let mut out = e.clone();
    kvm::apply(&profile, &mut out).unwrap();
    let leaf = |v: &[CpuidEntry], l: u32| v.iter().find(|x| x.function == l).copied().unwrap();
    assert_eq!(leaf(&out, 6), leaf(&e, 6));
    assert_eq!(leaf(&out, 0x24).ebx, 0);
    let mut appended = no6.clone();
    kvm::apply(&profile, &mut appended).unwrap();
    assert!(appended.iter().all(|x| x.function != 6));
}

#[test]
fn firecracker_templates_skip_unknown_leaves_and_set_the_new_ones() {
    use vcap_regs::firecracker;
    let gnr = host(SPR_GNR);
    let t = firecracker::from_profile(&gnr).unwrap();
    let has = |t: &firecracker::CpuTemplate, l: u64, s: u64| {
        t.cpuid_modifiers
            .iter()
            .any(|m| m.leaf.0 == l && m.subleaf.0 == s)
    };
    assert!(has(&t, 0x24, 0) && has(&t, 0x7, 2) && has(&t, 0xd, 0x12));
    let m24 = t.cpuid_modifiers.iter().find(|m| m.leaf.0 == 0x24).unwrap();
    assert_eq!(m24.flags, 1, "leaf 0x24 is subleaf-indexed");
    // Applied to the all-zero set, the template gives the profile's value wherever it forces
    // every bit (VMM-owned fields are left as `x`, so compare those registers masked).
    let mut z = RegSet::zero(Kind::X86Cpuid);
    firecracker::apply(&t, &mut z);
    assert_eq!(z.get("CPUID.0x24.0x0.EBX"), Some(0x0007_0001));
    assert_eq!(z.get("CPUID.0xd.0x12.EAX"), Some(0x2000));
    // A profile with leaf 6 unknown writes no leaf-6 modifier...
    let t6 = firecracker::from_profile(&old_leaf6(&gnr)).unwrap();
    assert!(!has(&t6, 6, 0));
    // ...and a template that forces every bit of an unknown register makes it known.
    let mut u = old_leaf6(&gnr);
    firecracker::apply(&t, &mut u);
    let r6 = reg("CPUID.0x6.0x0.EBX");
    assert!(u.is_known(r6), "leaf 6 EBX: every bit forced");
    assert_eq!(u.regs[r6], gnr.regs[r6]);
}
