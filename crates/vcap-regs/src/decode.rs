//! Decoding a register value into named fields, for reports (issue 4 reuses this for VT-d
//! CAP/ECAP and AMD EFR).

use serde::Serialize;

use crate::model::{Src, Table};

/// One decoded field (or one unknown bit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedField {
    /// Register name (`CAP`, `ECAP`, `EFR`, `IDR0`, ...).
    pub register: &'static str,
    /// Field name; `bit<N>` for a set bit no row describes.
    pub name: String,
    /// Lowest bit.
    pub shift: u8,
    /// Width in bits.
    pub width: u8,
    /// Raw field value.
    pub raw: u64,
    /// The named meaning of the raw value, when the table names it.
    pub meaning: Option<&'static str>,
    /// What the field is.
    pub doc: &'static str,
    /// Where the row was checked (`linux:<file>:<macro>`, ...); `unknown` for unknown bits.
    pub source: String,
    /// True for a set bit that no row of the table describes.
    pub unknown: bool,
}

/// Why decoding failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The table has no register of that name.
    #[error("{table}: no register named {register:?}")]
    NoSuchRegister {
        /// Table title.
        table: &'static str,
        /// The name asked for.
        register: String,
    },
    /// The value has bits above the register's width.
    #[error("{register}: value {value:#x} is wider than the {bits}-bit register")]
    TooWide {
        /// Register name.
        register: &'static str,
        /// The value.
        value: u64,
        /// Register width.
        bits: u8,
    },
}

/// Decodes `value` of the register called `register` of `table`: every field the table describes
/// (in bit order, with its raw value and named meaning), then one entry per set bit the table does
/// not describe (`unknown: true`).
///
/// ```
/// use vcap_regs::{decode, Kind};
/// let cap = decode(Kind::IntelVtd.table(), "CAP", 0x12008c22260286).unwrap();
/// let cm = cap.iter().find(|f| f.name == "CM").unwrap();
/// assert_eq!(cm.raw, 1);
/// ```
pub fn decode(table: &Table, register: &str, value: u64) -> Result<Vec<DecodedField>, DecodeError> {
    let r = table
        .register_index(register)
        .ok_or_else(|| DecodeError::NoSuchRegister {
            table: table.title,
            register: register.to_string(),
        })?;
    let reg = &table.registers[r];
    if value & !reg.mask() != 0 {
        return Err(DecodeError::TooWide {
            register: reg.name,
            value,
            bits: reg.bits,
        });
    }
    let mut out: Vec<DecodedField> = table
        .fields_of(r)
        .map(|f| {
            let raw = f.get(value);
            DecodedField {
                register: reg.name,
                name: f.name.to_string(),
                shift: f.shift,
                width: f.width,
                raw,
                meaning: f.meaning(raw),
                doc: f.doc,
                source: source_string(&f.src),
                unknown: false,
            }
        })
        .collect();
    out.sort_by_key(|d| d.shift);
    let unknown = value & !table.known_mask(r);
    for bit in 0..64u8 {
        if unknown & (1u64 << bit) != 0 {
            out.push(DecodedField {
                register: reg.name,
                name: format!("bit{bit}"),
                shift: bit,
                width: 1,
                raw: 1,
                meaning: None,
                doc: "a bit no row of the table describes",
                source: "unknown".to_string(),
                unknown: true,
            });
        }
    }
    Ok(out)
}

/// The source of a row as one string.
pub fn source_string(src: &Src) -> String {
    src.to_string()
}
