//! The one hexadecimal-number parser, shared with vcap-regs (which sits below vcap-core and owns
//! it): see [`vcap_regs::hex`] for the rules every sysfs ID, register value, CPUID word, PCI
//! address and modalias field is read by.
//!
//! ```
//! use vcap_core::parse::hex::{parse, Prefix};
//! assert_eq!(parse("0x1af4\n", Prefix::Required, 16), Ok(0x1af4));
//! ```

pub use vcap_regs::hex::{HexError, MAX_DIGITS, Prefix, parse};
