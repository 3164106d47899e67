//! Bit-field rows: one declarative row per field (name, offset, width, source), shared by every
//! message and table-entry layout in [`crate::formats`].

/// One field of a little-endian register or message word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Name as the cited header spells it.
    pub name: &'static str,
    /// Which 64-bit word of the layout holds the field (0 for single-word layouts).
    pub word: usize,
    /// Lowest bit.
    pub lo: u32,
    /// Width in bits (1..=64).
    pub width: u32,
    /// `true` when the field is reserved and must read as zero.
    pub reserved: bool,
    /// The header and macro or struct member the row was checked against.
    pub source: &'static str,
}

impl Field {
    /// A named, non-reserved field. A range that does not fit a 64-bit word is a compile error
    /// in a constant table.
    pub const fn new(
        name: &'static str,
        word: usize,
        lo: u32,
        width: u32,
        source: &'static str,
    ) -> Field {
        let _ = vcap_bits::BitRange::new(lo, width);
        Field {
            name,
            word,
            lo,
            width,
            reserved: false,
            source,
        }
    }

    /// A reserved (must-be-zero) field.
    pub const fn rsvd(
        name: &'static str,
        word: usize,
        lo: u32,
        width: u32,
        source: &'static str,
    ) -> Field {
        let _ = vcap_bits::BitRange::new(lo, width);
        Field {
            name,
            word,
            lo,
            width,
            reserved: true,
            source,
        }
    }

    /// The field's bit range in its word: the arithmetic below is [`vcap_bits::BitRange`]'s,
    /// shared with vcap-regs' register fields. A row whose range does not fit a 64-bit word
    /// panics here; `formats::tests` checks every row of every layout.
    pub const fn range(&self) -> vcap_bits::BitRange {
        vcap_bits::BitRange::new(self.lo, self.width)
    }

    /// The largest value the field can hold.
    pub const fn max(&self) -> u64 {
        self.range().max()
    }

    /// The field's mask in its word.
    pub const fn mask(&self) -> u64 {
        self.range().mask()
    }

    /// Reads the field from its word.
    pub const fn get(&self, word: u64) -> u64 {
        self.range().get(word)
    }

    /// Writes `value` into the field, or names the field when the value does not fit.
    pub fn set(&self, word: u64, value: u64) -> Result<u64, crate::formats::FormatError> {
        self.range()
            .insert(word, value)
            .ok_or(crate::formats::FormatError::FieldTooWide {
                field: self.name,
                value,
                width: self.width,
            })
    }
}

/// The union of the masks of `fields` that live in `word`.
pub fn word_mask(fields: &[Field], word: usize) -> u64 {
    fields
        .iter()
        .filter(|f| f.word == word)
        .fold(0, |m, f| m | f.mask())
}
