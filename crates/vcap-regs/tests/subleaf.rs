//! The guest's maximum subleaf of leaf 7 (and 0x24, 0x14) never exceeds the highest subleaf
//! whose registers the input gives: with leaf 7.2 unknown, a sanitized guest does not advertise
//! subleaf 2, whatever the VMM manifest asks (KVM caps leaf 7 at what it describes, `max_idx =
//! entry->eax = min(entry->eax, 2u)` in arch/x86/kvm/cpuid.c; QEMU derives
//! `cpuid_level_func7` from the highest leaf-7 subleaf it fills, target/i386/cpu.c).

use vcap_regs::tables::cpuid::{TABLE, highest_given_subleaf};
use vcap_regs::{Context, DecisionKind, Kind, ManifestValue, RegSet, explain, input, sanitize};

/// Granite Rapids (Xeon 6788P, libvirt's cputestdata): leaf 7.0 EAX = 2, max basic leaf 0x24.
const GNR: &str = include_str!("fixtures/libvirt/Xeon-6788P.txt");
/// Xeon Gold 6252 (Cascade Lake): leaf 7.0 EAX = 0.
const XEON: &str = include_str!("fixtures/cpuid-xeon-gold-6252.txt");

fn host(text: &str) -> RegSet {
    input::parse_hosts(text, "t").unwrap().remove(0).regs
}

fn reg(name: &str) -> usize {
    TABLE.register_index(name).unwrap()
}

fn field(name: &str) -> usize {
    TABLE
        .fields
        .iter()
        .position(|f| TABLE.full_name(f) == name)
        .unwrap()
}

/// `r` with every register of `(leaf, subleaf)` unknown.
fn without(r: &RegSet, leaf: u32, sub: u32) -> RegSet {
    let mut out = *r;
    for n in ["EAX", "EBX", "ECX", "EDX"] {
        out = out
            .with_unknown(&format!("CPUID.{leaf:#x}.{sub:#x}.{n}"))
            .unwrap();
    }
    out
}

/// A context whose manifest sets `name` (a VMM-owned or rule field) to `v`.
fn ctx(name: &str, v: ManifestValue) -> Context {
    let mut c = Context::new(Kind::X86Cpuid);
    c.manifest.fields.insert(field(name), v);
    c
}

const L7: &str = "CPUID.0x7.0x0.EAX";
const L7_MAX: &str = "CPUID.0x7.0x0.EAX.MAX_SUBLEAF";

#[test]
fn the_max_subleaf_fields_are_whole_registers() {
    // The cap rewrites the whole subleaf-0 EAX: no other field may share it.
    for leaf in vcap_regs::tables::cpuid::MAX_SUBLEAF_LEAVES {
        let r = vcap_regs::tables::cpuid::register_of(leaf, 0, 0).unwrap();
        let fs: Vec<_> = TABLE.fields_of(r).collect();
        assert_eq!(fs.len(), 1, "{leaf:#x}");
        assert_eq!(
            (fs[0].name, fs[0].shift, fs[0].width),
            ("MAX_SUBLEAF", 0, 32)
        );
    }
}

#[test]
fn highest_given_subleaf_counts_the_registers_the_input_gives() {
    let gnr = host(GNR);
    assert_eq!(gnr.get(L7), Some(2));
    let known = |r: &RegSet, leaf| highest_given_subleaf(leaf, |i| r.is_known(i));
    assert_eq!(known(&gnr, 7), Some(2));
    assert_eq!(known(&without(&gnr, 7, 2), 7), Some(1));
    // The table describes 0x24.0 and 0x24.1, 0x14.0 and 0x14.1. This CPU's 0x24.0 EAX is 0, so
    // its 0x24.1 is beyond its range: zeros, known.
    assert_eq!(known(&gnr, 0x24), Some(1));
    assert_eq!(known(&without(&gnr, 0x24, 1), 0x24), Some(0));
    assert_eq!(known(&gnr, 0x14), Some(1));
    assert_eq!(known(&without(&gnr, 0x24, 0), 0x24), None);
    // A leaf the table does not index by subleaf.
    assert_eq!(known(&gnr, 0x6), Some(0));
    assert_eq!(known(&gnr, 0x4), None);
}

#[test]
fn a_guest_never_advertises_leaf_7_2_when_the_input_lacks_it() {
    let gnr = host(GNR);
    let blind = without(&gnr, 7, 2);
    // The VMM mirrors the host's maximum subleaf (2 on this CPU).
    let mirror = ctx(L7_MAX, ManifestValue::Host);
    // With 7.2 given: the guest advertises it.
    assert_eq!(sanitize(&gnr, &mirror).unwrap().get(L7), Some(2));
    // With 7.2 unknown: capped at 1, and the explanation says why.
    let g = sanitize(&blind, &mirror).unwrap();
    assert_eq!(g.get(L7), Some(1));
    assert_eq!(g.get("CPUID.0x7.0x2.EDX"), Some(0), "7.2 reads as zeros");
    let e = explain(&blind, &mirror).unwrap();
    assert_eq!(e.guest, g, "explain and the compiled plan agree");
    let d = e.decisions.iter().find(|d| d.field == L7_MAX).unwrap();
    assert_eq!((d.host, d.guest, d.decision), (2, 1, DecisionKind::Lowered));
    assert!(
        d.reason.contains("capped at 0x1 (from 0x2)") && d.reason.contains("leaf-0x7"),
        "{}",
        d.reason
    );
    // A VMM that asks for more than the table describes (7.3 and beyond) gets 2 at most.
    let five = ctx(L7_MAX, ManifestValue::Value(5));
    assert_eq!(sanitize(&gnr, &five).unwrap().get(L7), Some(2));
    assert_eq!(sanitize(&blind, &five).unwrap().get(L7), Some(1));
    let e = explain(&gnr, &five).unwrap();
    let d = e.decisions.iter().find(|d| d.field == L7_MAX).unwrap();
    assert_eq!((d.host, d.guest, d.decision), (2, 2, DecisionKind::Kept));
    // The default manifest mirrors the host's maximum subleaf (KVM's `min(entry->eax, 2u)`), so
    // the guest sees 7.2 when the host gives it, and the cap still applies without it.
    let dflt = Context::new(Kind::X86Cpuid);
    assert_eq!(sanitize(&gnr, &dflt).unwrap().get(L7), Some(2));
    let e = explain(&gnr, &dflt).unwrap();
    let d = e.decisions.iter().find(|d| d.field == L7_MAX).unwrap();
    assert_eq!((d.host, d.guest, d.decision), (2, 2, DecisionKind::Kept));
    assert!(d.reason.contains("(default value)"), "{}", d.reason);
    assert_eq!(sanitize(&blind, &dflt).unwrap().get(L7), Some(1));
    let e = explain(&blind, &dflt).unwrap();
    let d = e.decisions.iter().find(|d| d.field == L7_MAX).unwrap();
    assert_eq!((d.host, d.guest, d.decision), (2, 1, DecisionKind::Lowered));
    // The sanitized guest's 7.2 EDX is then the host's speculation controls (not zeros).
    assert_eq!(
        sanitize(&gnr, &dflt).unwrap().get("CPUID.0x7.0x2.EDX"),
        gnr.get("CPUID.0x7.0x2.EDX")
    );
    // An older CPU (7.0 EAX = 0): 7.1 and 7.2 are beyond its range, zeros but known, so a VMM
    // value of 2 stands (the guest's 7.1 and 7.2 are the zeros the input gives).
    let old = host(XEON);
    assert!(old.is_known(reg("CPUID.0x7.0x2.EDX")));
    assert_eq!(
        sanitize(&old, &ctx(L7_MAX, ManifestValue::Value(2)))
            .unwrap()
            .get(L7),
        Some(2)
    );
}

#[test]
fn leaf_0x24_advertises_no_subleaf_the_table_does_not_describe() {
    // A hypothetical later CPU whose 0x24.0 EAX says subleaf 2 exists: the table describes
    // subleaves 0 and 1 (as KVM, `min(entry->eax, 1u)`), so the guest says 1.
    let mut h = host(GNR);
    h.regs[reg("CPUID.0x24.0x0.EAX")] = 2;
    let c = Context::new(Kind::X86Cpuid);
    let g = sanitize(&h, &c).unwrap();
    assert_eq!(g.get("CPUID.0x24.0x0.EAX"), Some(1));
    let e = explain(&h, &c).unwrap();
    assert_eq!(e.guest, g);
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "CPUID.0x24.0x0.EAX.MAX_SUBLEAF")
        .unwrap();
    assert_eq!((d.host, d.guest, d.decision), (2, 1, DecisionKind::Lowered));
    // The version and vector lengths are still the host's.
    assert_eq!(g.get("CPUID.0x24.0x0.EBX"), h.get("CPUID.0x24.0x0.EBX"));
    // With 0x24.1 unknown the guest says 0: no subleaf nobody checked.
    let blind = without(&h, 0x24, 1);
    assert_eq!(
        sanitize(&blind, &c).unwrap().get("CPUID.0x24.0x0.EAX"),
        Some(0)
    );
}

/// A baseline over a Granite Rapids with leaf 7.2 and one without it (an older host file) gives
/// 7.2 unknown: its 7.0 EAX folds to 2 (lower-safe over two 2s), and the profile would advertise
/// a subleaf nobody can check. Capped at 1, with the reason, as sanitize caps a guest; with 0x24
/// unknown too, AVX10 is cleared.
#[test]
fn a_baseline_does_not_advertise_a_subleaf_it_leaves_unknown() {
    use vcap_regs::baseline::Baseline;
    let gnr = host(GNR);
    let mut b = Baseline::new();
    b.add(&gnr, "gnr").unwrap();
    b.add(&without(&gnr, 7, 2), "gnr-without-7.2").unwrap();
    let r = b.finish().unwrap();
    assert_eq!(r.profile.get(L7), Some(1));
    assert_eq!(r.adjusted.len(), 1, "{:?}", r.adjusted);
    assert_eq!(r.adjusted[0].0, reg(L7));
    assert!(
        r.adjusted[0].1.contains("capped at 0x1 (from 0x2)"),
        "{:?}",
        r.adjusted
    );
    let doc = vcap_regs::report::baseline_doc(&r);
    assert_eq!(doc.adjusted.len(), 1);
    assert!(
        doc.adjusted[0].starts_with("CPUID.0x7.0x0.EAX: capped"),
        "{:?}",
        doc.adjusted
    );
    assert!(vcap_regs::report::baseline_text(&r).contains("adjusted: CPUID.0x7.0x0.EAX: capped"));
    // Both hosts with 7.2: nothing to adjust.
    let mut b = Baseline::new();
    b.add(&gnr, "a").unwrap();
    b.add(&gnr, "b").unwrap();
    let r = b.finish().unwrap();
    assert_eq!((r.profile.get(L7), r.adjusted.len()), (Some(2), 0));
}
