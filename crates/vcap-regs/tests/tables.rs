//! Sanity tests generated from the tables: every row of every table is checked, so a new row that
//! overlaps another, names a value its width cannot hold, or breaks a rule's algebra fails here.

use vcap_regs::tables::smmuv3;
use vcap_regs::{Kind, Provenance, Rule, decode};

#[test]
fn no_two_fields_of_a_register_overlap() {
    for kind in Kind::ALL {
        let t = kind.table();
        for (i, a) in t.fields.iter().enumerate() {
            for b in &t.fields[i + 1..] {
                if a.reg == b.reg {
                    assert_eq!(
                        a.reg_mask() & b.reg_mask(),
                        0,
                        "{kind}: {} and {} overlap",
                        t.full_name(a),
                        t.full_name(b)
                    );
                }
            }
        }
    }
}

#[test]
fn every_field_fits_its_register_and_names_are_unique() {
    for kind in Kind::ALL {
        let t = kind.table();
        let mut names = std::collections::BTreeSet::new();
        for f in t.fields {
            let reg = &t.registers[f.reg];
            assert!(f.width >= 1, "{}: zero width", t.full_name(f));
            assert!(
                u32::from(f.shift) + u32::from(f.width) <= u32::from(reg.bits),
                "{}: bits {}..{} outside the {}-bit register",
                t.full_name(f),
                f.shift,
                f.shift + f.width,
                reg.bits
            );
            assert!(
                names.insert(t.full_name(f)),
                "{}: duplicate name",
                t.full_name(f)
            );
            assert_eq!(t.field(&t.full_name(f)).map(|x| x.shift), Some(f.shift));
        }
    }
}

#[test]
fn every_named_value_safe_value_and_default_fits_its_width() {
    for kind in Kind::ALL {
        let t = kind.table();
        for f in t.fields {
            let name = t.full_name(f);
            for (v, m) in f.values {
                assert_eq!(
                    v & !f.value_mask(),
                    0,
                    "{name}: named value {v:#x} ({m}) too wide"
                );
            }
            assert_eq!(f.safe & !f.value_mask(), 0, "{name}: safe value too wide");
            match f.prov {
                Provenance::VmmOwned {
                    default: vcap_regs::OwnedDefault::Value(default),
                    ..
                } => {
                    assert_eq!(default & !f.value_mask(), 0, "{name}: default too wide")
                }
                Provenance::VmmDerived { value, .. } => {
                    assert_eq!(value & !f.value_mask(), 0, "{name}: derived value too wide")
                }
                _ => {}
            }
            match f.rule {
                Rule::Exact { safe: Some(s) } => {
                    assert_eq!(s & !f.value_mask(), 0, "{name}: exact safe value too wide")
                }
                Rule::Enum { supersets } => {
                    for &(a, b) in supersets {
                        assert_eq!((a | b) & !f.value_mask(), 0, "{name}: enum value too wide");
                        assert_ne!(a, b, "{name}: reflexive pair");
                    }
                    // Transitively closed and antisymmetric, so combine is a partial meet.
                    for &(a, b) in supersets {
                        assert!(
                            !supersets.contains(&(b, a)),
                            "{name}: {a} and {b} cover each other"
                        );
                        for &(c, d) in supersets {
                            if b == c {
                                assert!(supersets.contains(&(a, d)), "{name}: not transitive");
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn every_row_cites_a_source() {
    for kind in Kind::ALL {
        let t = kind.table();
        for f in t.fields {
            let s = f.src.to_string();
            assert!(
                s.len() > 8 && !s.ends_with(':'),
                "{}: empty source",
                t.full_name(f)
            );
        }
    }
}

#[test]
fn unknown_bits_are_reported_as_unknown() {
    for kind in Kind::ALL {
        let t = kind.table();
        for (r, reg) in t.registers.iter().enumerate() {
            let unknown = reg.mask() & !t.known_mask(r);
            for bit in 0..reg.bits {
                let v = 1u64 << bit;
                let d = decode(t, reg.name, v).unwrap();
                let is_unknown = unknown & v != 0;
                let reported = d.iter().any(|x| x.unknown && x.shift == bit);
                assert_eq!(is_unknown, reported, "{kind} {} bit {bit}", reg.name);
                if !is_unknown {
                    let f = d.iter().find(|x| !x.unknown && x.raw != 0).unwrap();
                    assert!(f.shift <= bit && bit < f.shift + f.width);
                }
            }
        }
    }
}

#[test]
fn decode_rejects_values_wider_than_the_register() {
    let t = Kind::ArmSmmuV3.table();
    assert!(decode(t, "IDR0", 1 << 32).is_err());
    assert!(decode(t, "IDR9", 0).is_err());
}

/// Exhaustive bit math on narrow fields: extract(insert(v)) == v for every value, and the other
/// bits are untouched.
#[test]
fn get_is_exact_for_every_value_of_every_narrow_field() {
    for kind in Kind::ALL {
        let t = kind.table();
        for f in t.fields.iter().filter(|f| f.width <= 8) {
            for v in 0..=f.value_mask() {
                let reg = (v << f.shift) | !f.reg_mask() & t.registers[f.reg].mask();
                assert_eq!(f.get(reg), v, "{}", t.full_name(f));
            }
        }
    }
}

/// The SMMUv3 baseline is exactly the merged kdoc list, and HTTU, BTM and MPAM are never in it.
#[test]
fn smmuv3_baseline_is_exactly_the_kdoc_list() {
    let t = Kind::ArmSmmuV3.table();
    let mut baseline: Vec<String> = t
        .fields
        .iter()
        .filter(|f| f.prov == Provenance::Baseline)
        .map(|f| t.full_name(f))
        .collect();
    baseline.sort();
    let mut kdoc: Vec<String> = smmuv3::KDOC_BASELINE
        .iter()
        .map(|s| s.to_string())
        .collect();
    kdoc.sort();
    assert_eq!(baseline, kdoc);
    for f in ["IDR0.HTTU", "IDR0.BTM", "IDR3.MPAM"] {
        assert!(
            matches!(t.field(f).unwrap().prov, Provenance::Never { .. }),
            "{f} must be never"
        );
    }
    assert!(matches!(
        t.field("IDR0.S1P").unwrap().prov,
        Provenance::VmmDerived { value: 1, .. }
    ));
    assert!(matches!(
        t.field("IDR0.COHACC").unwrap().prov,
        Provenance::VmmDerived { value: 1, .. }
    ));
    assert!(matches!(
        t.field("IDR0.ATS").unwrap().prov,
        Provenance::PerDevice { .. }
    ));
}

/// The AMD baseline is exactly the kdoc allow-list EFR[GTSup, GASup, GioSup, PPRSup, EPHSup,
/// GATS, GLX, PASmax].
#[test]
fn amd_baseline_is_exactly_the_kdoc_list() {
    let t = Kind::Amd.table();
    let mut baseline: Vec<&str> = t
        .fields
        .iter()
        .filter(|f| f.prov == Provenance::Baseline)
        .map(|f| f.name)
        .collect();
    baseline.sort();
    assert_eq!(
        baseline,
        [
            "EPHSUP", "GASUP", "GATS", "GIOSUP", "GLXSUP", "GTSUP", "PASMAX", "PPRSUP"
        ]
    );
}

/// Positions checked by hand against the headers, one per table, so a shifted row is caught even
/// if it overlaps nothing.
#[test]
fn spot_checks_against_the_headers() {
    let pos = |k: Kind, f: &str| {
        let x = k.table().field(f).unwrap_or_else(|| panic!("{f}"));
        (x.shift, x.width)
    };
    // arm-smmu-v3.h: IDR0_ST_LVL GENMASK(28, 27), IDR0_TTENDIAN GENMASK(22, 21), IDR0_HTTU
    // GENMASK(7, 6), IDR1_SSIDSIZE GENMASK(10, 6), IDR3_BBML GENMASK(12, 11), IDR5_VAX
    // GENMASK(11, 10), IIDR_PRODUCTID GENMASK(31, 20).
    assert_eq!(pos(Kind::ArmSmmuV3, "IDR0.ST_LEVEL"), (27, 2));
    assert_eq!(pos(Kind::ArmSmmuV3, "IDR0.TTENDIAN"), (21, 2));
    assert_eq!(pos(Kind::ArmSmmuV3, "IDR0.HTTU"), (6, 2));
    assert_eq!(pos(Kind::ArmSmmuV3, "IDR1.SSIDSIZE"), (6, 5));
    assert_eq!(pos(Kind::ArmSmmuV3, "IDR3.BBML"), (11, 2));
    assert_eq!(pos(Kind::ArmSmmuV3, "IDR5.VAX"), (10, 2));
    assert_eq!(pos(Kind::ArmSmmuV3, "IIDR.PRODUCTID"), (20, 12));
    // iommu.h: cap_sagaw (c >> 8) & 0x1f, cap_mgaw (c >> 16) & 0x3f, cap_super_page_val
    // (c >> 34) & 0xf, ecap_pss (e >> 35) & 0x1f, ecap_iotlb_offset (e >> 8) & 0x3ff.
    assert_eq!(pos(Kind::IntelVtd, "CAP.SAGAW"), (8, 5));
    assert_eq!(pos(Kind::IntelVtd, "CAP.MGAW"), (16, 6));
    assert_eq!(pos(Kind::IntelVtd, "CAP.SLLPS"), (34, 4));
    assert_eq!(pos(Kind::IntelVtd, "ECAP.PSS"), (35, 5));
    assert_eq!(pos(Kind::IntelVtd, "ECAP.IRO"), (8, 10));
    // amd_iommu_types.h: FEATURE_PASMAX GENMASK_ULL(36, 32), FEATURE_GATS GENMASK_ULL(13, 12).
    assert_eq!(pos(Kind::Amd, "EFR.PASMAX"), (32, 5));
    assert_eq!(pos(Kind::Amd, "EFR.GATS"), (12, 2));
    // cpufeatures.h: X86_FEATURE_AVX2 (9*32+ 5), X86_FEATURE_LA57 (16*32+16).
    assert_eq!(pos(Kind::X86Cpuid, "CPUID.0x7.0x0.EBX.AVX2"), (5, 1));
    assert_eq!(pos(Kind::X86Cpuid, "CPUID.0x7.0x0.ECX.LA57"), (16, 1));
}
