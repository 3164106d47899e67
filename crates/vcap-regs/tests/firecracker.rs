//! Firecracker custom CPU templates: the bitmap language as Firecracker reads it, the documented
//! schema's shape, and templates written from vcap profiles that reproduce the profile when
//! applied to the host.

use proptest::prelude::*;
use vcap_regs::firecracker::{self, Bitmap, CpuTemplate};
use vcap_regs::{Context, Kind, input, sanitize};

#[test]
fn bitmaps_read_as_firecracker_reads_them() {
    // Firecracker's own unit test (templates.rs, test_register_value_filter_serde): "0b0101xxxx"
    // is filter 0b11110000, value 0b01010000, and so is "0b0_101_xx_xx".
    for s in ["0b0101xxxx", "0b0_101_xx_xx", "0101xxxx"] {
        let b = Bitmap::<8>::parse(s).unwrap();
        assert_eq!((b.filter, b.value), (0b1111_0000, 0b0101_0000), "{s}");
    }
    assert_eq!(
        Bitmap::<8>::parse("0b0101xxxx").unwrap().to_string(),
        "0b0101xxxx"
    );
    // The schema's example for a leaf-1 EAX bitmap (docs/cpu_templates/schema.json).
    let b = Bitmap::<32>::parse("0bxxxx000000000011xx00011011110010").unwrap();
    assert_eq!(b.filter, 0x0fff_3fff); // bits 15:14 are the two x after "11"
    assert_eq!(b.value, 0x0003_06f2);
    assert_eq!(b.apply(0xffff_ffff), 0xf003_c6f2);
    // Shorter: the high bits are left alone. Longer than the register, or a stray character: refused.
    assert_eq!(Bitmap::<32>::parse("0b1").unwrap().filter, 1);
    assert!(
        Bitmap::<8>::parse("0b101010101")
            .unwrap_err()
            .contains("more than 8 digits")
    );
    assert!(
        Bitmap::<8>::parse("0b10z1")
            .unwrap_err()
            .contains("'z' is not 0, 1, x or _")
    );
}

/// A template in the schema's shape (keys, string numbers with 0x, integer flags, 64-digit MSR
/// bitmaps) parses and writes back to the same value.
#[test]
fn a_schema_shaped_template_round_trips() {
    let text = r#"{
      "cpuid_modifiers": [
        {"leaf": "0x1", "subleaf": "0x0", "flags": 0, "modifiers": [
          {"register": "eax", "bitmap": "0bxxxx000000000011xx00011011110010"},
          {"register": "ecx", "bitmap": "0bxxxxxxxxxxxxx0xx00xx00x0000000xx"}]},
        {"leaf": "0x7", "subleaf": "0x0", "flags": 1, "modifiers": [
          {"register": "ebx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxx0xxxx"}]},
        {"leaf": "0x80000020", "subleaf": "0x1", "flags": 1, "modifiers": [
          {"register": "ebx", "bitmap": "0b0"}]}
      ],
      "msr_modifiers": [
        {"addr": "0x10a", "bitmap": "0bxxxx000000000000000000000000000000000000000000000000000011101011"}
      ]
    }"#;
    let t: CpuTemplate = serde_json::from_str(text).unwrap();
    assert_eq!(t.cpuid_modifiers.len(), 3);
    assert_eq!(t.msr_modifiers[0].addr.0, 0x10a);
    assert_eq!(t.msr_modifiers[0].bitmap.value, 0b1110_1011);
    let back: CpuTemplate = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
    // Applied to the Xeon: leaf 1 and 7 change, leaf 0x80000020 is not tracked (reported), the
    // MSR is reported.
    let mut r = input::parse_cpuid_text(include_str!("fixtures/cpuid-xeon-gold-6252.txt"), "x")
        .unwrap()
        .regs;
    let before = r;
    let applied = firecracker::apply(&t, &mut r);
    assert_eq!(applied.untracked, vec![(0x8000_0020, 1)]);
    assert_eq!(applied.msrs, vec![0x10a]);
    let eax1 = Kind::X86Cpuid
        .table()
        .register_index("CPUID.0x1.0x0.EAX")
        .unwrap();
    assert_eq!(
        r.regs[eax1],
        (before.regs[eax1] & !0x0fff_3fff) | 0x0003_06f2
    );
    // Keys outside the schema are refused, naming the ones it has.
    let e = serde_json::from_str::<CpuTemplate>(r#"{"cpuid_modifer": []}"#).unwrap_err();
    assert!(e.to_string().contains("expected one of"), "{e}");
    // Leaf numbers need their prefix, as in Firecracker.
    assert!(
        serde_json::from_str::<CpuTemplate>(
            r#"{"cpuid_modifiers": [{"leaf": "1", "subleaf": "0x0", "flags": 0, "modifiers": []}]}"#
        )
        .is_err()
    );
}

/// A sanitized guest written as a template and applied to the host gives the guest back in every
/// bit vcap decides; VMM-owned fields (APIC ID, topology) stay as the host had them.
#[test]
fn a_profile_template_reproduces_the_profile_on_the_host() {
    let host = input::parse_cpuid_text(include_str!("fixtures/cpuid-xeon-gold-6252.txt"), "x")
        .unwrap()
        .regs;
    let guest = sanitize(&host, &Context::new(Kind::X86Cpuid)).unwrap();
    let t = firecracker::from_profile(&guest).unwrap();
    let json = serde_json::to_string_pretty(&t).unwrap();
    assert!(
        json.contains(r#""leaf": "0x7""#) && json.contains(r#""flags": 1"#),
        "{json}"
    );
    let t: CpuTemplate = serde_json::from_str(&json).unwrap();
    let mut applied = host;
    let report = firecracker::apply(&t, &mut applied);
    assert!(report.untracked.is_empty());
    let tab = Kind::X86Cpuid.table();
    for f in tab.fields {
        let (a, g, h) = (
            f.get(applied.regs[f.reg]),
            f.get(guest.regs[f.reg]),
            f.get(host.regs[f.reg]),
        );
        if tab.registers[f.reg].name.starts_with("CPUID.0x0.") {
            assert_eq!(a, h, "{} (leaf 0 left to Firecracker)", tab.full_name(f));
        } else if matches!(f.prov, vcap_regs::Provenance::VmmOwned { .. }) {
            assert_eq!(
                a,
                h,
                "{} is VMM-owned: left to Firecracker",
                tab.full_name(f)
            );
        } else {
            assert_eq!(a, g, "{}", tab.full_name(f));
        }
    }
    assert!(firecracker::from_profile(&vcap_regs::RegSet::zero(Kind::IntelVtd)).is_none());
}

proptest! {
    #[test]
    fn bitmap_text_round_trips(filter in any::<u32>(), value in any::<u32>()) {
        let b = Bitmap::<32> { filter: u64::from(filter), value: u64::from(value & filter) };
        prop_assert_eq!(Bitmap::<32>::parse(&b.to_string()).unwrap(), b);
        let r: Bitmap<32> = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        prop_assert_eq!(r, b);
    }
}
