//! CPUID leaf 0x24 subleaf 1, AVX10's discrete features: ECX[2] AVX10_VNNI_INT
//! (`X86_FEATURE_AVX10_VNNI_INT KVM_X86_FEATURE(CPUID_24_1_ECX, 2)`, arch/x86/kvm/reverse_cpuid.h,
//! Linux 6.20: kvm-x86 062768f4, which passes 0x24.1 ECX through and caps 0x24.0 EAX at
//! `min(entry->eax, 1u)`; QEMU `FEAT_24_1_ECX` bit 2 "avx10-vnni-int"). Subleaf 1 exists when
//! 0x24.0 EAX (the maximum subleaf) says so, is capped there as leaf 7 is, and is zeros without
//! 0x7.1 EDX AVX10 like the rest of leaf 0x24.
//!
//! No public CPUID dump of a CPU with AVX10.2 (Diamond Rapids) was found, so the AVX10.2 host
//! here is the Granite Rapids dump (Xeon 6788P, libvirt's cputestdata) with leaf 0x24 edited:
//! 0x24.0 EAX = 1, EBX version 2, and a 0x24.1 line with ECX = 0x5 (bit 2 and reserved bit 0).

use vcap_regs::input::{self, CpuidLeaves};
use vcap_regs::tables::cpuid::{LEAF_GATES, TABLE, highest_given_subleaf};
use vcap_regs::{
    Baseline, Context, DecisionKind, Kind, ManifestValue, RegSet, Rule, compare, explain, sanitize,
};

const GNR: &str = include_str!("fixtures/libvirt/Xeon-6788P.txt");

const ECX: &str = "CPUID.0x24.0x1.ECX";
const VNNI: &str = "CPUID.0x24.0x1.ECX.AVX10_VNNI_INT";
const MAX: &str = "CPUID.0x24.0x0.EAX";

fn leaves(text: &str) -> CpuidLeaves {
    input::parse_cpuid_blocks(text, "t").unwrap().remove(0)
}

fn dump(l: &CpuidLeaves) -> String {
    let mut s = String::from("CPU:\n");
    for (&(leaf, sub), r) in l {
        s.push_str(&format!(
            "   {leaf:#010x} {sub:#04x}: eax={:#010x} ebx={:#010x} ecx={:#010x} edx={:#010x}\n",
            r[0], r[1], r[2], r[3]
        ));
    }
    s
}

fn host(text: &str) -> RegSet {
    input::parse_hosts(text, "t").unwrap().remove(0).regs
}

/// The Granite Rapids leaves with AVX10.2's leaf 0x24; with `sub1` false, the 0x24.1 line is
/// left out (a dump within range that lacks it).
fn avx10_2(sub1: bool) -> String {
    let mut l = leaves(GNR);
    let l24 = l.get_mut(&(0x24, 0)).unwrap();
    assert_eq!(*l24, [0, 0x0007_0001, 0, 0], "the fixture's leaf 0x24");
    *l24 = [1, 0x0007_0002, 0, 0];
    if sub1 {
        l.insert((0x24, 1), [0, 0, 0x5, 0]);
    }
    dump(&l)
}

fn get(r: &RegSet, name: &str) -> u64 {
    let f = TABLE.field(name).unwrap();
    f.get(r.regs[f.reg])
}

#[test]
fn the_row_is_bit_2_of_ecx_and_the_only_one_of_the_subleaf() {
    let f = TABLE.field(VNNI).unwrap();
    assert_eq!((f.shift, f.width, f.rule), (2, 1, Rule::LowerSafe));
    assert_eq!(f.prov.name(), "baseline");
    assert_eq!(
        f.src.to_string(),
        "linux:arch/x86/kvm/reverse_cpuid.h:X86_FEATURE_AVX10_VNNI_INT"
    );
    let regs: Vec<usize> = (0..4)
        .map(|i| vcap_regs::tables::cpuid::register_of(0x24, 1, i).unwrap())
        .collect();
    let rows: Vec<_> = regs.iter().flat_map(|&r| TABLE.fields_of(r)).collect();
    assert_eq!(rows.len(), 1);
    // Optional: inputs written before it read it as unknown, never 0.
    assert!(TABLE.is_optional(regs[0]));
    // AVX10's gate covers the new subleaf.
    assert!(
        vcap_regs::tables::cpuid::leaf_registers(LEAF_GATES[0].leaf).any(|r| r == f.reg),
        "0x24.1 is part of the leaf AVX10 announces"
    );
}

#[test]
fn a_dump_gives_subleaf_1_within_0x24_0_eax_and_zeros_beyond_it() {
    // The real Granite Rapids: 0x24.0 EAX = 0, no 0x24.1 line: zeros, known.
    let gnr = host(GNR);
    assert!(gnr.is_known(TABLE.register_index(ECX).unwrap()));
    assert_eq!(gnr.get(ECX), Some(0));
    assert_eq!(highest_given_subleaf(0x24, |r| gnr.is_known(r)), Some(1));
    // AVX10.2: given; reserved bit 0 has no row, so the host set keeps bit 2 only (a dump is
    // folded as a baseline is), and decode reports bit 0 as unknown.
    let h = host(&avx10_2(true));
    assert_eq!(h.get(ECX), Some(0x4));
    let d = vcap_regs::decode(&TABLE, ECX, 0x5).unwrap();
    let unknown: Vec<u8> = d.iter().filter(|x| x.unknown).map(|x| x.shift).collect();
    assert_eq!(unknown, vec![0]);
    // Within range (EAX = 1) but absent: unknown, not zero.
    let blind = host(&avx10_2(false));
    assert!(!blind.is_known(TABLE.register_index(ECX).unwrap()));
}

#[test]
fn a_guest_gets_subleaf_1_only_when_it_is_given_and_with_avx10() {
    let c = Context::new(Kind::X86Cpuid);
    let h = host(&avx10_2(true));
    let g = sanitize(&h, &c).unwrap();
    assert_eq!((g.get(MAX), get(&g, VNNI)), (Some(1), 1));
    assert_eq!(get(&g, "CPUID.0x24.0x0.EBX.VERSION"), 2);
    assert_eq!(explain(&h, &c).unwrap().guest, g);
    // 0x24.1 unknown. Reading the dump folds its CPUs as a baseline does, and that fold already
    // caps 0x24.0 EAX at 0; a register set built otherwise (here: edited back to 1) is capped by
    // sanitize: the maximum subleaf is 0 and the bit is the least capable value, each with its
    // reason.
    let mut blind = host(&avx10_2(false));
    assert_eq!(blind.get(MAX), Some(0));
    blind.regs[TABLE.register_index(MAX).unwrap()] = 1;
    let e = explain(&blind, &c).unwrap();
    assert_eq!((e.guest.get(MAX), get(&e.guest, VNNI)), (Some(0), 0));
    assert_eq!(e.guest, sanitize(&blind, &c).unwrap());
    let d = |f: &str| e.decisions.iter().find(|d| d.field == f).unwrap().clone();
    let m = d("CPUID.0x24.0x0.EAX.MAX_SUBLEAF");
    assert_eq!((m.host, m.guest, m.decision), (1, 0, DecisionKind::Lowered));
    assert!(
        m.reason.contains("capped at 0x0 (from 0x1)"),
        "{}",
        m.reason
    );
    assert!(
        d(VNNI).reason.starts_with("host value unknown"),
        "{}",
        d(VNNI).reason
    );
    // Without AVX10 (a VMM limit of 0) the whole leaf, subleaf 1 included, is zeros.
    let mut no = Context::new(Kind::X86Cpuid);
    let i = TABLE
        .fields
        .iter()
        .position(|f| TABLE.full_name(f) == "CPUID.0x7.0x1.EDX.AVX10")
        .unwrap();
    no.manifest.fields.insert(i, ManifestValue::Value(0));
    let e = explain(&h, &no).unwrap();
    assert_eq!((e.guest.get(ECX), e.guest.get(MAX)), (Some(0), Some(0)));
    let v = e.decisions.iter().find(|d| d.field == VNNI).unwrap();
    assert_eq!((v.host, v.guest, v.decision), (1, 0, DecisionKind::Cleared));
    assert!(
        v.reason
            .contains("zeroed: the guest does not have CPUID.0x7.0x1.EDX.AVX10"),
        "{}",
        v.reason
    );
}

#[test]
fn baseline_and_compare_over_avx10_2() {
    let new = host(&avx10_2(true));
    let old = host(GNR);
    let mut b = Baseline::new();
    b.add(&new, "avx10.2").unwrap();
    b.add(&old, "gnr").unwrap();
    let p = b.finish().unwrap().profile;
    assert_eq!((p.get(MAX), p.get(ECX)), (Some(0), Some(0)));
    assert_eq!(get(&p, "CPUID.0x24.0x0.EBX.VERSION"), 1);
    // The AVX10.2 profile does not run on Granite Rapids; AVX10_VNNI_INT is one reason.
    let c = compare(&new, &old).unwrap();
    assert!(!c.verdict.runs());
    assert!(
        c.responsible.iter().any(|d| d.field == VNNI),
        "{:?}",
        c.responsible
    );
    assert!(compare(&old, &new).unwrap().verdict.runs());
}

#[test]
fn kvm_entries_get_subleaf_1_only_where_0x24_0_eax_says_it_exists() {
    use vcap_regs::kvm::{self, CpuidEntry, FLAG_SIGNIFICANT_INDEX};
    // KVM's list for a Granite Rapids host: leaf 0x24 subleaf 0 only.
    let l = leaves(GNR);
    let entries: Vec<CpuidEntry> = vcap_regs::kvm::entries_from_leaves(&l);
    assert!(!entries.iter().any(|e| e.function == 0x24 && e.index == 1));
    let c = Context::new(Kind::X86Cpuid);
    // A Granite Rapids guest (0x24.0 EAX = 0): no 0x24.1 entry appended.
    let mut out = entries.clone();
    kvm::apply(&sanitize(&host(GNR), &c).unwrap(), &mut out).unwrap();
    assert!(!out.iter().any(|e| e.function == 0x24 && e.index == 1));
    // An AVX10.2 guest: appended, indexed, with the guest's ECX, and read back the same.
    let g = sanitize(&host(&avx10_2(true)), &c).unwrap();
    let mut out = entries.clone();
    kvm::apply(&g, &mut out).unwrap();
    let e = out
        .iter()
        .find(|e| e.function == 0x24 && e.index == 1)
        .unwrap();
    assert_eq!((e.flags, e.eax, e.ecx), (FLAG_SIGNIFICANT_INDEX, 0, 0x4));
    let back = kvm::to_regset(&out).unwrap();
    assert_eq!((back.get(MAX), back.get(ECX)), (Some(1), Some(0x4)));
}
