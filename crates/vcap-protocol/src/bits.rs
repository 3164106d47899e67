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
    /// A named, non-reserved field.
    pub const fn new(
        name: &'static str,
        word: usize,
        lo: u32,
        width: u32,
        source: &'static str,
    ) -> Field {
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
        Field {
            name,
            word,
            lo,
            width,
            reserved: true,
            source,
        }
    }

    /// The largest value the field can hold.
    pub const fn max(&self) -> u64 {
        if self.width >= 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        }
    }

    /// The field's mask in its word.
    pub const fn mask(&self) -> u64 {
        self.max() << self.lo
    }

    /// Reads the field from its word.
    pub const fn get(&self, word: u64) -> u64 {
        (word >> self.lo) & self.max()
    }

    /// Writes `value` into the field, or names the field when the value does not fit.
    pub fn set(&self, word: u64, value: u64) -> Result<u64, crate::formats::FormatError> {
        if value > self.max() {
            return Err(crate::formats::FormatError::FieldTooWide {
                field: self.name,
                value,
                width: self.width,
            });
        }
        Ok((word & !self.mask()) | (value << self.lo))
    }
}

/// The union of the masks of `fields` that live in `word`.
pub fn word_mask(fields: &[Field], word: usize) -> u64 {
    fields
        .iter()
        .filter(|f| f.word == word)
        .fold(0, |m, f| m | f.mask())
}
