//! Fuzzes the DMAR/IVRS/IORT/VIOT subtable walks behind a valid header: the first byte picks the
//! table, the rest is the body, and the header's length and checksum are made right so the
//! parser gets past the header check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let sig: &[u8; 4] = match pick % 4 {
        0 => b"DMAR",
        1 => b"IVRS",
        2 => b"VIOT",
        _ => b"IORT",
    };
    let mut t = sig.to_vec();
    t.extend_from_slice(&((36 + body.len()) as u32).to_le_bytes());
    t.extend_from_slice(&[1, 0]);
    t.extend_from_slice(b"OEMID OEMTABLE");
    t.extend_from_slice(&[0; 12]);
    t.extend_from_slice(body);
    let sum = t.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    t[9] = 0u8.wrapping_sub(sum);
    let r = match pick % 4 {
        0 => vcap_core::parse::acpi::parse_dmar(&t).map(|_| ()),
        1 => vcap_core::parse::acpi::parse_ivrs(&t).map(|_| ()),
        2 => vcap_core::parse::acpi::parse_viot(&t).map(|_| ()),
        _ => vcap_core::parse::acpi::parse_iort(&t).map(|_| ()),
    };
    if let Err(e) = r {
        assert!(e.offset <= t.len() || e.what.contains("needs"), "{e}");
    }
});
