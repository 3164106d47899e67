//! The one hexadecimal-number parser of vcap: sysfs IDs (`0x1af4`), register values (`%llx`),
//! CPUID dump words (`0x000306a9`), PCI addresses, modalias fields, and the register values of
//! vcap-regs' host files (JSON `"0x…"` strings, sysfs register files) all go through [`parse`]
//! (vcap-core re-exports it as `vcap_core::parse::hex`), so odd input gets one answer
//! everywhere: surrounding ASCII whitespace is ignored; a single `0x`/`0X` is required, allowed
//! or refused as the format says; what follows must be one or more ASCII hex digits and nothing
//! else (no sign, no second prefix, no `_`); leading zeros are allowed (at most [`MAX_DIGITS`]
//! digits in all), and the value must fit the width.
//!
//! ```
//! use vcap_regs::hex::{parse, Prefix};
//! assert_eq!(parse("0x1af4\n", Prefix::Required, 16), Ok(0x1af4));
//! assert_eq!(parse("fed90000", Prefix::Optional, 64), Ok(0xfed9_0000));
//! assert!(parse("+1af4", Prefix::Optional, 16).is_err()); // Rust's from_str_radix takes "+"
//! assert!(parse("0x0x1", Prefix::Optional, 64).is_err());
//! assert!(parse("0x10000", Prefix::Required, 16).is_err()); // wider than 16 bits
//! ```

/// Whether the `0x` prefix is part of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// Must be there (sysfs `vendor`: `0x%04x`; `cpuid -r`: `0x%08x`).
    Required,
    /// May be there (sysfs registers printed `%llx`, which some kernels print with `0x`).
    Optional,
    /// Must not be there (fixed-width fields: a PCI address, a modalias).
    Forbidden,
}

/// The most digits accepted, leading zeros included (a bound on work, not on value).
pub const MAX_DIGITS: usize = 64;

/// Why a text is not a hex number of the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The `0x` prefix is missing.
    #[error("{0:?}: no 0x prefix")]
    NoPrefix(String),
    /// A `0x` prefix where none belongs.
    #[error("{0:?}: unexpected 0x prefix")]
    Prefix(String),
    /// No digits, or a character that is not a hex digit.
    #[error("{0:?}: not a hexadecimal number")]
    Digits(String),
    /// More than `bits` bits.
    #[error("{text:?}: wider than {bits} bits")]
    TooWide {
        /// The text.
        text: String,
        /// The width.
        bits: u32,
    },
}

/// Parses `text` as a hex number of at most `bits` bits (1..=64).
pub fn parse(text: &str, prefix: Prefix, bits: u32) -> Result<u64, HexError> {
    let t = text.trim_ascii();
    let stripped = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"));
    let digits = match (prefix, stripped) {
        (Prefix::Required, None) => return Err(HexError::NoPrefix(text.into())),
        (Prefix::Forbidden, Some(_)) => return Err(HexError::Prefix(text.into())),
        (_, Some(d)) => d,
        (_, None) => t,
    };
    if digits.is_empty()
        || digits.len() > MAX_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(HexError::Digits(text.into()));
    }
    let significant = digits.trim_start_matches('0');
    let too_wide = || HexError::TooWide {
        text: text.into(),
        bits,
    };
    if significant.len() > 16 {
        return Err(too_wide());
    }
    let v = if significant.is_empty() {
        0
    } else {
        u64::from_str_radix(significant, 16).map_err(|_| HexError::Digits(text.into()))?
    };
    if bits < 64 && v >> bits != 0 {
        return Err(too_wide());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_formats() {
        assert_eq!(parse(" 0X1AF4 ", Prefix::Required, 16), Ok(0x1af4));
        assert_eq!(parse("00001af4", Prefix::Forbidden, 16), Ok(0x1af4));
        assert_eq!(parse("0", Prefix::Optional, 1), Ok(0));
        assert_eq!(
            parse("ffffffffffffffff", Prefix::Optional, 64),
            Ok(u64::MAX)
        );
        assert_eq!(
            parse(&format!("{}1", "0".repeat(40)), Prefix::Optional, 8),
            Ok(1)
        );
        assert!(parse("1af4", Prefix::Required, 16).is_err());
        assert!(parse("0x1", Prefix::Forbidden, 16).is_err());
        for bad in ["", "0x", "-1", "+1", "1_0", "0x0x1", "g", "1 2", "１"] {
            assert!(parse(bad, Prefix::Optional, 64).is_err(), "{bad:?}");
        }
        assert!(parse("10000000000000000", Prefix::Optional, 64).is_err());
        assert!(parse("100", Prefix::Optional, 8).is_err());
        assert!(parse(&"0".repeat(MAX_DIGITS + 1), Prefix::Optional, 64).is_err());
        // Exactly MAX_DIGITS digits is still a number.
        let longest = format!("{}1", "0".repeat(MAX_DIGITS - 1));
        assert_eq!(parse(&longest, Prefix::Optional, 8), Ok(1));
    }

    proptest! {
        /// Every value round-trips through the ways the kernel prints it, at every width.
        #[test]
        fn printed_values_parse_back(v: u64, bits in 1u32..=64) {
            let v = if bits == 64 { v } else { v & ((1 << bits) - 1) };
            prop_assert_eq!(parse(&format!("{v:x}"), Prefix::Optional, bits), Ok(v));
            prop_assert_eq!(parse(&format!("0x{v:04x}\n"), Prefix::Required, bits), Ok(v));
            prop_assert_eq!(parse(&format!("{v:016X}"), Prefix::Forbidden, bits), Ok(v));
            if bits < 64 {
                let wide = format!("{:x}", v | (1 << bits));
                prop_assert!(parse(&wide, Prefix::Optional, bits).is_err());
            }
        }

        /// Any text: an answer, never a panic, and a value only from hex digits.
        #[test]
        fn any_text_is_answered(s in ".{0,40}") {
            if let Ok(v) = parse(&s, Prefix::Optional, 64) {
                let t = s.trim_ascii();
                let d = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
                prop_assert_eq!(u64::from_str_radix(d, 16).ok(), Some(v));
                prop_assert!(d.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
    }
}
