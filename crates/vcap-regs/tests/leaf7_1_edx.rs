//! CPUID.(EAX=7,ECX=1):EDX, KVM's word `CPUID_7_1_EDX` (`arch/x86/kvm/reverse_cpuid.h`):
//! AVX_VNNI_INT8 (bit 4), AVX_NE_CONVERT (5), AMX_COMPLEX (8), AVX_VNNI_INT16 (10), PREFETCHITI
//! (14), AVX10 (19), every bit KVM passes through (`kvm_cpu_cap_init(CPUID_7_1_EDX, …)`,
//! `arch/x86/kvm/cpuid.c`), and APX (21), which Linux reads as a scattered bit
//! (`arch/x86/kernel/cpu/scattered.c`) and KVM does not pass through. Decoded from two of
//! libvirt's real CPUs: a Xeon 6731E (Sierra Forest) and a Xeon 6788P (Granite Rapids).

use vcap_regs::tables::cpuid::TABLE;
use vcap_regs::{Baseline, Context, DecisionKind, Kind, RegSet, Rule, explain, input, sanitize};

/// Xeon 6731E: 7.1 EDX = 0x01060030 (bits 4, 5, 17, 18, 24).
const SRF: &str = include_str!("fixtures/libvirt/Xeon-6731E.txt");
/// Xeon 6788P: 7.1 EDX = 0x000e4000 (bits 14, 17, 18, 19).
const GNR: &str = include_str!("fixtures/libvirt/Xeon-6788P.txt");

const EDX: &str = "CPUID.0x7.0x1.EDX";

fn host(text: &str) -> RegSet {
    input::parse_hosts(text, "t").unwrap().remove(0).regs
}

fn raw(text: &str) -> u64 {
    u64::from(input::parse_cpuid_blocks(text, "t").unwrap()[0][&(7, 1)][3])
}

#[test]
fn the_rows_are_kvms_7_1_edx_word() {
    // (row, bit, the symbol it cites, provenance)
    let want = [
        (
            "AVX_VNNI_INT8",
            4,
            "reverse_cpuid.h:X86_FEATURE_AVX_VNNI_INT8",
            "baseline",
        ),
        (
            "AVX_NE_CONVERT",
            5,
            "reverse_cpuid.h:X86_FEATURE_AVX_NE_CONVERT",
            "baseline",
        ),
        (
            "AMX_COMPLEX",
            8,
            "reverse_cpuid.h:X86_FEATURE_AMX_COMPLEX",
            "baseline",
        ),
        (
            "AVX_VNNI_INT16",
            10,
            "reverse_cpuid.h:X86_FEATURE_AVX_VNNI_INT16",
            "baseline",
        ),
        (
            "PREFETCHITI",
            14,
            "reverse_cpuid.h:X86_FEATURE_PREFETCHITI",
            "baseline",
        ),
        ("AVX10", 19, "reverse_cpuid.h:X86_FEATURE_AVX10", "baseline"),
        (
            "APX",
            21,
            "scattered.c:cpuid_bits[] X86_FEATURE_APX",
            "never",
        ),
    ];
    let r = TABLE.register_index(EDX).unwrap();
    let rows: Vec<_> = TABLE.fields_of(r).collect();
    assert_eq!(rows.len(), want.len());
    for (f, (name, bit, src, prov)) in rows.iter().zip(want) {
        assert_eq!((f.name, f.shift, f.width), (name, bit, 1));
        assert_eq!(f.rule, Rule::LowerSafe, "{name}");
        assert!(f.src.to_string().ends_with(src), "{name}: {}", f.src);
        assert_eq!(f.prov.name(), prov, "{name}");
    }
}

#[test]
fn real_cpus_decode_and_keep_what_kvm_passes() {
    let d = vcap_regs::decode(&TABLE, EDX, raw(SRF)).unwrap();
    let set: Vec<&str> = d
        .iter()
        .filter(|x| !x.unknown && x.raw == 1)
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(set, vec!["AVX_VNNI_INT8", "AVX_NE_CONVERT"]);
    let unknown: Vec<u8> = d.iter().filter(|x| x.unknown).map(|x| x.shift).collect();
    assert_eq!(unknown, vec![17, 18, 24], "no Linux definition");
    // The default policy keeps the baseline bits and clears the unknown ones.
    let c = Context::new(Kind::X86Cpuid);
    assert_eq!(sanitize(&host(SRF), &c).unwrap().get(EDX), Some(0x30));
    assert_eq!(
        sanitize(&host(GNR), &c).unwrap().get(EDX),
        Some(1 << 14 | 1 << 19)
    );
}

#[test]
fn apx_is_never_given_to_a_guest() {
    let mut h = host(GNR);
    let r = TABLE.register_index(EDX).unwrap();
    h.regs[r] |= 1 << 21;
    let e = explain(&h, &Context::new(Kind::X86Cpuid)).unwrap();
    assert_eq!(e.guest.regs[r] & (1 << 21), 0);
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "CPUID.0x7.0x1.EDX.APX")
        .unwrap();
    assert_eq!((d.host, d.guest, d.decision), (1, 0, DecisionKind::Cleared));
    assert!(
        d.reason.starts_with("never exposed: KVM does not pass APX"),
        "{}",
        d.reason
    );
}

#[test]
fn a_baseline_of_sierra_forest_and_granite_rapids_has_none_of_them() {
    // Lower-safe: each has bits the other lacks (4, 5 against 14, 19).
    let mut b = Baseline::new();
    b.add(&host(SRF), "srf").unwrap();
    b.add(&host(GNR), "gnr").unwrap();
    let p = b.finish().unwrap().profile;
    assert_eq!(p.get(EDX), Some(0));
    let c = vcap_regs::compare(&host(SRF), &host(GNR)).unwrap();
    for f in [
        "CPUID.0x7.0x1.EDX.AVX_VNNI_INT8",
        "CPUID.0x7.0x1.EDX.AVX_NE_CONVERT",
    ] {
        assert!(c.responsible.iter().any(|d| d.field == f), "{f}");
    }
}
