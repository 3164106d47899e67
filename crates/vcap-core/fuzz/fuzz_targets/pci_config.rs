//! Fuzzes `vcap_core::parse::pci_config::parse` (capability and extended capability walks) on up to
//! 4 KiB of config space: no panic, no hang, bounded lists; and the parts a `Recording` keeps
//! (what the live probe stores) parse exactly like the whole space.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcap_core::parse::pci_config::{self, Recording};

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(4096)];
    let whole = pci_config::parse(data);
    assert!(whole.0.caps.len() <= 48);
    assert!(whole.0.ext_caps.len() <= 480);
    let mut rec = Recording::new(data);
    let recorded = pci_config::parse_space(&mut rec);
    assert_eq!(recorded, whole);
    assert_eq!(pci_config::parse_space(&mut &rec.into_parts()), whole);
});
