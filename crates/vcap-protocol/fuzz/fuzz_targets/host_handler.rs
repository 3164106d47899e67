//! Arbitrary bytes into the ABI decoder and the host handler: no panic, the response always
//! decodes, the host state is unchanged on every error, and no remapping entry is created for
//! another VM's device. The checks live in `vcap_protocol::fuzz::host_handler`, which the normal
//! test suite also drives with proptest.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vcap_protocol::fuzz::host_handler(data);
});
