//! Golden values from Linux and real dumps, table sanity, and exhaustive/property round trips.

use super::*;
use proptest::prelude::*;

fn assert_table_sane(name: &str, fields: &[Field], words: usize, word_bits: u32, full: bool) {
    for w in 0..words {
        let mut seen = 0u64;
        for f in fields.iter().filter(|f| f.word == w) {
            assert!(
                f.width >= 1 && f.lo + f.width <= word_bits,
                "{name}: {} leaves the word",
                f.name
            );
            assert_eq!(
                seen & f.mask(),
                0,
                "{name}: {} overlaps another row",
                f.name
            );
            seen |= f.mask();
        }
        if full {
            let all = if word_bits == 64 {
                u64::MAX
            } else {
                (1u64 << word_bits) - 1
            };
            assert_eq!(seen, all, "{name}: word {w} has bits no row covers");
        }
    }
}

#[test]
fn tables_do_not_overlap_and_cover_their_words() {
    assert_table_sane("compat address_lo", compat_addr::FIELDS, 1, 32, true);
    assert_table_sane("compat data", compat_data::FIELDS, 1, 32, true);
    assert_table_sane("remappable address_lo", remap_addr::FIELDS, 1, 32, true);
    assert_table_sane("remappable data", remap_data::FIELDS, 1, 32, true);
    assert_table_sane("VT-d IRTE", vtd_irte::FIELDS, 2, 64, true);
    assert_table_sane("AMD IRTE", amd_irte::FIELDS, 1, 32, true);
    assert_table_sane("ITS MAPTI", its_cmd::MAPTI_FIELDS, 4, 64, false);
}

#[test]
fn field_set_names_the_field_when_too_wide() {
    let e = compat_data::DELIVERY_MODE.set(0, 8).unwrap_err();
    assert_eq!(
        e,
        FormatError::FieldTooWide {
            field: "delivery_mode",
            value: 8,
            width: 3
        }
    );
}

// --- golden values -------------------------------------------------------------------------

/// A real guest's debug print from the Linux x86 MSI extended-destination-ID thread (2020):
/// "Composed MSI for APIC 255 vector 0x22: 0/feeff000 22" (address_hi/address_lo data).
#[test]
fn compat_matches_real_dump_apic_255() {
    let m = CompatMsi::fixed(255, 0x22).encode(false).unwrap();
    assert_eq!(
        m,
        MsiMsg {
            address_lo: 0xfeef_f000,
            address_hi: 0,
            data: 0x22
        }
    );
    assert_eq!(
        CompatMsi::decode(&m, false).unwrap(),
        CompatMsi::fixed(255, 0x22)
    );
}

#[test]
fn compat_extended_destination_id_puts_bits_14_8_in_address_11_5() {
    // __irq_msi_compose_msg(): destid_0_7 = id & 0xff; virt_destid_8_14 = id >> 8.
    let m = CompatMsi::fixed(0x1234, 0x31).encode(true).unwrap();
    assert_eq!(m.address_lo, 0xfee0_0000 | (0x34 << 12) | (0x12 << 5));
    assert_eq!(
        CompatMsi::fixed(0x1234, 0x31).encode(false).unwrap_err(),
        FormatError::DestinationTooLarge {
            apic_id: 0x1234,
            ext_dest_id: false
        }
    );
    assert!(CompatMsi::fixed(0x8000, 0x31).encode(true).is_err());
    // Without the feature the extended bits are reserved.
    assert_eq!(
        CompatMsi::decode(&m, false).unwrap_err(),
        FormatError::ReservedSet {
            field: "virt_destid_8_14",
            value: 0x12
        }
    );
}

#[test]
fn remappable_matches_linux_fill_msi_msg() {
    // fill_msi_msg(msg, 0x8001, 3): base 0xfee, SHV, format, index_0_14 = 1, index_15 = 1.
    let m = RemappableMsi::linux(0x8001, 3).encode().unwrap();
    assert_eq!(
        m,
        MsiMsg {
            address_lo: 0xfee0_0000 | 0x10 | 0x08 | 0x04 | (1 << 5),
            address_hi: 0,
            data: 3
        }
    );
    assert!(is_remappable(&m));
    assert_eq!(RemappableMsi::linux(0x8001, 3).irte_index(), Some(0x8004));
    assert_eq!(RemappableMsi::linux(0xffff, 1).irte_index(), None);
}

#[test]
fn vtd_irte_matches_prepare_irte_and_set_msi_sid() {
    // prepare_irte(irte, 0x31, 5) in x2APIC mode + set_msi_sid() for a PCIe device 01:01.0
    // (SVT_VERIFY_SID_SQ, SQ_ALL_16, bus << 8 | devfn).
    let e = VtdIrte {
        present: true,
        vector: 0x31,
        dest_id: VtdIrte::irte_dest(5, true),
        sid: 0x0108,
        sq: vtd_irte::SQ_ALL_16,
        svt: vtd_irte::SVT_VERIFY_SID_SQ,
        ..VtdIrte::default()
    };
    assert_eq!(
        e.encode().unwrap(),
        [0x0000_0005_0031_0001, 0x0000_0000_0004_0108]
    );
    assert_eq!(VtdIrte::irte_dest(5, false), 0x500);
    assert!(e.source_ok(0x0108));
    assert!(!e.source_ok(0x0109));
    assert_eq!(
        VtdIrte::decode([1 << 15, 0]).unwrap_err(),
        FormatError::ReservedSet {
            field: "pst",
            value: 1
        }
    );
}

#[test]
fn amd_irte_golden_and_msi_index() {
    let e = AmdIrte {
        valid: true,
        destination: 5,
        vector: 0x31,
        ..AmdIrte::default()
    };
    assert_eq!(e.encode().unwrap(), 0x0031_0501);
    let m = AmdIrte::msi_for_index(0x7ff).unwrap();
    assert_eq!(
        m,
        MsiMsg {
            address_lo: 0xfee0_0000,
            address_hi: 0,
            data: 0x7ff
        }
    );
    assert_eq!(AmdIrte::index_of(&m), 0x7ff);
    assert!(AmdIrte::msi_for_index(0x800).is_err());
    assert_eq!(
        AmdIrte::decode(0x80).unwrap_err(),
        FormatError::ReservedSet {
            field: "rsvd_1",
            value: 1
        }
    );
}

#[test]
fn its_mapti_golden_and_translation() {
    let m = ItsMapti {
        device_id: 0x10,
        event_id: 3,
        phys_id: 8192,
        collection: 1,
    };
    let w = m.encode().unwrap();
    assert_eq!(w, [0x0000_0010_0000_000a, 0x0000_2000_0000_0003, 1, 0]);
    let mut its = Its::default();
    its.apply(w).unwrap();
    let base = 0x0800_0000;
    let (addr, data) = ItsMapti::doorbell(base, 3);
    assert_eq!(addr, 0x0801_0040);
    assert_eq!(its.translate(base, 0x10, addr, data), Some((8192, 1)));
    assert_eq!(
        its.translate(base, 0x11, addr, data),
        None,
        "another DeviceID must not hit the mapping"
    );
    assert_eq!(its.translate(base, 0x10, addr + 4, data), None);
    let mut discard = [0u64; 4];
    discard[0] = u64::from(its_cmd::GITS_CMD_DISCARD) | (0x10 << 32);
    discard[1] = 3;
    its.apply(discard).unwrap();
    assert_eq!(its.translate(base, 0x10, addr, data), None);
}

// --- exhaustive round trips ----------------------------------------------------------------

#[test]
fn compat_address_round_trips_for_every_field_value() {
    // dest_mode (1) x redirect_hint (1) x 15-bit destination: 2^17 messages.
    for dm in [false, true] {
        for rh in [false, true] {
            for dest in 0..=0x7fffu32 {
                let c = CompatMsi {
                    dest_mode_logical: dm,
                    redirect_hint: rh,
                    ..CompatMsi::fixed(dest, 0x20)
                };
                let m = c.encode(true).unwrap();
                assert_eq!(CompatMsi::decode(&m, true).unwrap(), c);
                assert!(!is_remappable(&m));
                if dest <= 0xff {
                    assert_eq!(c.encode(false).unwrap(), m);
                    assert_eq!(CompatMsi::decode(&m, false).unwrap(), c);
                }
            }
        }
    }
}

#[test]
fn compat_data_round_trips_for_every_field_value() {
    for vector in 0..=255u8 {
        for dlm in 0..8u8 {
            for (al, lv) in [(false, false), (false, true), (true, false), (true, true)] {
                let c = CompatMsi {
                    delivery_mode: dlm,
                    active_low: al,
                    is_level: lv,
                    ..CompatMsi::fixed(1, vector)
                };
                let m = c.encode(false).unwrap();
                assert_eq!(
                    m.data,
                    u32::from(vector)
                        | (u32::from(dlm) << 8)
                        | (u32::from(al) << 14)
                        | (u32::from(lv) << 15)
                );
                assert_eq!(CompatMsi::decode(&m, false).unwrap(), c);
            }
        }
    }
}

#[test]
fn remappable_round_trips_for_every_handle_and_subhandle() {
    for handle in 0..=u16::MAX {
        for shv in [false, true] {
            let r = RemappableMsi {
                handle,
                subhandle_valid: shv,
                subhandle: 0,
            };
            let m = r.encode().unwrap();
            assert_eq!(RemappableMsi::decode(&m).unwrap(), r);
            assert!(is_remappable(&m));
        }
    }
    for sub in 0..=u16::MAX {
        let r = RemappableMsi::linux(7, sub);
        let m = r.encode().unwrap();
        assert_eq!(m.data, u32::from(sub));
        assert_eq!(RemappableMsi::decode(&m).unwrap(), r);
    }
}

#[test]
fn amd_irte_round_trips_for_every_field_combination() {
    // 2^23 combinations: valid, no_fault, int_type, rq_eoi, dm, destination, vector.
    for low in 0..128u32 {
        let (valid, no_fault, int_type, rq_eoi, dm) = (
            low & 1 == 1,
            low >> 1 & 1 == 1,
            (low >> 2 & 7) as u8,
            low >> 5 & 1 == 1,
            low >> 6 & 1 == 1,
        );
        for destination in 0..=255u8 {
            for vector in 0..=255u8 {
                let e = AmdIrte {
                    valid,
                    no_fault,
                    int_type,
                    rq_eoi,
                    dm,
                    destination,
                    vector,
                };
                let raw = e.encode().unwrap();
                assert_eq!(raw & 0xff00_0080, 0);
                assert_eq!(AmdIrte::decode(raw).unwrap(), e);
            }
        }
    }
}

#[test]
fn vtd_irte_every_narrow_field_value_round_trips() {
    use vtd_irte as f;
    for fl in f::FIELDS.iter().filter(|fl| !fl.reserved && fl.width <= 16) {
        for v in 0..=fl.max() {
            let mut raw = [0u64; 2];
            raw[fl.word] = fl.set(0, v).unwrap();
            let e = VtdIrte::decode(raw).unwrap();
            assert_eq!(e.encode().unwrap(), raw, "{} = {v:#x}", fl.name);
        }
    }
}

fn vtd_irte_strategy() -> impl Strategy<Value = VtdIrte> {
    (
        any::<[bool; 5]>(),
        0..8u8,
        0..16u8,
        any::<u8>(),
        any::<u32>(),
        any::<u16>(),
        0..4u8,
        0..4u8,
    )
        .prop_map(
            |(b, dlvry_mode, avail, vector, dest_id, sid, sq, svt)| VtdIrte {
                present: b[0],
                fpd: b[1],
                dst_mode: b[2],
                redir_hint: b[3],
                trigger_mode: b[4],
                dlvry_mode,
                avail,
                vector,
                dest_id,
                sid,
                sq,
                svt,
            },
        )
}

proptest! {
    #[test]
    fn vtd_irte_round_trips(e in vtd_irte_strategy()) {
        prop_assert_eq!(VtdIrte::decode(e.encode().unwrap()).unwrap(), e);
    }

    #[test]
    fn vtd_irte_raw_decode_is_exact_or_names_a_reserved_field(lo in any::<u64>(), hi in any::<u64>()) {
        match VtdIrte::decode([lo, hi]) {
            Ok(e) => prop_assert_eq!(e.encode().unwrap(), [lo, hi]),
            Err(FormatError::ReservedSet { .. }) => {
                let known_lo = word_mask(vtd_irte::FIELDS, 0) & !(vtd_irte::RES0.mask() | vtd_irte::PST.mask() | vtd_irte::RES1.mask());
                let known_hi = word_mask(vtd_irte::FIELDS, 1) & !vtd_irte::RES3.mask();
                prop_assert!(lo & !known_lo != 0 || hi & !known_hi != 0);
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn its_mapti_round_trips(device_id in any::<u32>(), event_id in any::<u32>(), phys_id in any::<u32>(), collection in any::<u16>()) {
        let m = ItsMapti { device_id, event_id, phys_id, collection };
        prop_assert_eq!(ItsMapti::decode(m.encode().unwrap()).unwrap(), m);
    }

    #[test]
    fn any_msi_word_decodes_or_names_a_field(lo in any::<u32>(), hi in any::<u32>(), data in any::<u32>()) {
        let m = MsiMsg { address_lo: lo, address_hi: hi, data };
        if let Ok(c) = CompatMsi::decode(&m, true) { prop_assert_eq!(c.encode(true).unwrap(), m); }
        if let Ok(r) = RemappableMsi::decode(&m) { prop_assert_eq!(r.encode().unwrap(), m); }
    }
}
