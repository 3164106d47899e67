//! Fuzzes `vcap_core::parse::acpi::parse_viot` on raw bytes: no panic, no hang, errors inside bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = vcap_core::parse::acpi::parse_viot(data) {
        assert!(e.offset <= data.len() || e.what.contains("needs"), "{e}");
    }
});
