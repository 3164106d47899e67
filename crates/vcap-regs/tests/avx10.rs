//! CPUID.(EAX=7,ECX=1):EDX[19] AVX10 (`X86_FEATURE_AVX10 KVM_X86_FEATURE(CPUID_7_1_EDX, 19)`,
//! arch/x86/kvm/reverse_cpuid.h: a KVM-only word, not in cpufeatures.h) and the leaf it
//! announces, 0x24 (AVX10 version EBX[7:0], vector lengths EBX[18:16]): a guest has the bit only
//! when the input gives leaf 0x24, and leaf 0x24 only with the bit (KVM zeroes 0x24 without
//! AVX10, arch/x86/kvm/cpuid.c).

use vcap_regs::tables::cpuid::{LEAF_GATES, TABLE};
use vcap_regs::{
    Baseline, Context, DecisionKind, Kind, ManifestValue, RegSet, Rule, Verdict, compare, explain,
    input, sanitize,
};

/// Granite Rapids (Xeon 6788P, libvirt's cputestdata): 7.1 EDX = 0x000e4000 (bits 14
/// PREFETCHITI, 17, 18, 19 AVX10), 0x24.0 EBX = 0x00070001 (version 1, 128/256/512-bit vectors).
const GNR: &str = include_str!("fixtures/libvirt/Xeon-6788P.txt");
/// Xeon Gold 6252: 7.0 EAX = 0 (no 7.1), max basic leaf 0x16 (no 0x24): zeros, known.
const XEON: &str = include_str!("fixtures/cpuid-xeon-gold-6252.txt");

const AVX10: &str = "CPUID.0x7.0x1.EDX.AVX10";
const L24_EBX: &str = "CPUID.0x24.0x0.EBX";

fn host(text: &str) -> RegSet {
    input::parse_hosts(text, "t").unwrap().remove(0).regs
}

fn get(r: &RegSet, name: &str) -> u64 {
    let f = TABLE.field(name).unwrap();
    f.get(r.regs[f.reg])
}

fn field_index(name: &str) -> usize {
    TABLE
        .fields
        .iter()
        .position(|f| TABLE.full_name(f) == name)
        .unwrap()
}

#[test]
fn the_avx10_row_is_bit_19_of_leaf_7_1_edx() {
    let f = TABLE.field(AVX10).unwrap();
    assert_eq!(TABLE.registers[f.reg].name, "CPUID.0x7.0x1.EDX");
    assert_eq!((f.shift, f.width, f.rule), (19, 1, Rule::LowerSafe));
    assert_eq!(
        f.src.to_string(),
        "linux:arch/x86/kvm/reverse_cpuid.h:X86_FEATURE_AVX10"
    );
    // The gate names the same register and bit as the row.
    let g = LEAF_GATES[0];
    assert_eq!((g.field, g.leaf), (AVX10, 0x24));
    assert_eq!((g.reg, g.bit), (f.reg, f.shift));
    // Decoded from the fixtures.
    let raw = input::parse_cpuid_blocks(GNR, "gnr").unwrap()[0][&(7, 1)][3];
    assert_eq!(raw, 0x000e_4000);
    let gnr = host(GNR);
    // A `cpuid -r` dump is folded over its CPU blocks (here one) as a baseline is, and the fold
    // keeps only the bits a row describes.
    assert_eq!(gnr.get("CPUID.0x7.0x1.EDX"), Some(1 << 14 | 1 << 19));
    assert_eq!(get(&gnr, AVX10), 1);
    assert_eq!(get(&gnr, "CPUID.0x24.0x0.EBX.VERSION"), 1);
    assert_eq!(get(&host(XEON), AVX10), 0);
    let d = vcap_regs::decode(&TABLE, "CPUID.0x7.0x1.EDX", u64::from(raw)).unwrap();
    let named: Vec<&str> = d
        .iter()
        .filter(|x| !x.unknown)
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(named.len(), 7, "every 7.1 EDX row: {named:?}");
    assert!(named.contains(&"AVX10") && named.contains(&"PREFETCHITI"));
    let set: Vec<&str> = d
        .iter()
        .filter(|x| !x.unknown && x.raw == 1)
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(set, vec!["PREFETCHITI", "AVX10"]);
    // Bits 17 and 18 have no row (no Linux definition): unknown.
    let unknown: Vec<u8> = d.iter().filter(|x| x.unknown).map(|x| x.shift).collect();
    assert_eq!(unknown, vec![17, 18]);
}

#[test]
fn a_guest_has_avx10_with_leaf_0x24_and_leaf_0x24_with_avx10() {
    let gnr = host(GNR);
    let c = Context::new(Kind::X86Cpuid);
    // Both given: both kept.
    let g = sanitize(&gnr, &c).unwrap();
    assert_eq!(get(&g, AVX10), 1);
    assert_eq!(g.get(L24_EBX), Some(0x0007_0001));
    assert_eq!(explain(&gnr, &c).unwrap().guest, g);
    // Leaf 0x24 unknown (an input without it): the guest's AVX10 is cleared, not left
    // announcing a leaf of zeros (AVX10 version 0 is not a version).
    let mut blind = gnr;
    for n in ["EAX", "EBX", "ECX", "EDX"] {
        blind = blind.with_unknown(&format!("CPUID.0x24.0x0.{n}")).unwrap();
    }
    let g = sanitize(&blind, &c).unwrap();
    assert_eq!(get(&g, AVX10), 0);
    assert_eq!(g.get(L24_EBX), Some(0));
    let e = explain(&blind, &c).unwrap();
    assert_eq!(e.guest, g);
    let d = e.decisions.iter().find(|d| d.field == AVX10).unwrap();
    assert_eq!((d.host, d.guest, d.decision), (1, 0, DecisionKind::Cleared));
    assert!(
        d.reason
            .contains("announces leaf 0x24, which the input does not give"),
        "{}",
        d.reason
    );
    // A VMM that does not implement AVX10 (limit 0): leaf 0x24 is zeros, each field says why.
    let mut no = Context::new(Kind::X86Cpuid);
    no.manifest
        .fields
        .insert(field_index(AVX10), ManifestValue::Value(0));
    let g = sanitize(&gnr, &no).unwrap();
    assert_eq!(get(&g, AVX10), 0);
    assert_eq!(g.get(L24_EBX), Some(0));
    let e = explain(&gnr, &no).unwrap();
    assert_eq!(e.guest, g);
    for f in [
        "CPUID.0x24.0x0.EBX.VERSION",
        "CPUID.0x24.0x0.EBX.AVX10_128",
        "CPUID.0x24.0x0.EBX.AVX10_512",
    ] {
        let d = e.decisions.iter().find(|d| d.field == f).unwrap();
        assert_eq!(
            (d.host, d.guest, d.decision),
            (1, 0, DecisionKind::Cleared),
            "{f}"
        );
        assert!(
            d.reason
                .contains("zeroed: the guest does not have CPUID.0x7.0x1.EDX.AVX10"),
            "{}",
            d.reason
        );
    }
    // A host that reports leaf 0x24 data without the AVX10 bit (an inconsistent input): the
    // guest gets no leaf 0x24.
    let mut odd = gnr;
    odd.regs[TABLE.register_index("CPUID.0x7.0x1.EDX").unwrap()] &= !(1 << 19);
    let g = sanitize(&odd, &c).unwrap();
    assert_eq!((get(&g, AVX10), g.get(L24_EBX)), (0, Some(0)));
}

#[test]
fn baseline_and_compare_over_avx10() {
    let gnr = host(GNR);
    let old = host(XEON);
    let mut b = Baseline::new();
    b.add(&gnr, "gnr").unwrap();
    b.add(&old, "xeon").unwrap();
    let p = b.finish().unwrap().profile;
    // Lower-safe: the Xeon has neither the bit nor the leaf (beyond its maximum, zeros).
    assert_eq!(get(&p, AVX10), 0);
    assert_eq!(p.get(L24_EBX), Some(0));
    // The Granite Rapids profile asks for AVX10 on the Xeon: it does not run there, and AVX10
    // is among the fields responsible.
    let c = compare(&gnr, &old).unwrap();
    assert!(!c.verdict.runs());
    assert!(
        c.responsible.iter().any(|d| d.field == AVX10),
        "{:?}",
        c.responsible
    );
    // The fold runs on both.
    assert_eq!(compare(&p, &gnr).unwrap().verdict, Verdict::Subset);
    assert!(compare(&p, &old).unwrap().verdict.runs());
}
