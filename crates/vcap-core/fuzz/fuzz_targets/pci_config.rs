//! Fuzzes `vcap_core::pci_config::parse` (capability and extended capability walks) on up to
//! 4 KiB of config space: no panic, no hang, bounded lists.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let data = &data[..data.len().min(4096)];
    let (c, _) = vcap_core::pci_config::parse(data);
    assert!(c.caps.len() <= 48);
    assert!(c.ext_caps.len() <= 480);
});
