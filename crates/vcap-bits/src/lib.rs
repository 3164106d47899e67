//! One bit range of a 64-bit word — the bit arithmetic behind every field row in vcap.
//!
//! vcap has two kinds of field rows: vcap-regs' register fields (`model::Field`: a policy row
//! with a safety rule and provenance, e.g. VT-d `ECAP.SMTS`) and vcap-protocol's layout fields
//! (`bits::Field`: a row of an ABI or message layout, e.g. a VT-d IRTE's destination ID). Both
//! keep their own row data and delegate the arithmetic — masks, extraction, insertion with a
//! width check, sign extension — to [`BitRange`], so the two cannot disagree on an edge such as
//! a 64-bit-wide field.
//!
//! ```
//! use vcap_bits::BitRange;
//! // VT-d CAP.SAGAW: bits 12:8 (Linux `cap_sagaw(c) (((c) >> 8) & 0x1f)`).
//! const SAGAW: BitRange = BitRange::new(8, 5);
//! // QEMU 7.2's intel-iommu as a Linux 6.1 guest reads it (the guest-matrix fixture
//! // tests/fixtures/qemu-intel-iommu-noir, sys/devices/virtual/iommu/dmar0/intel-iommu/cap).
//! let cap: u64 = 0xd2008c22260206;
//! assert_eq!(SAGAW.mask(), 0x1f00);
//! assert_eq!(SAGAW.get(cap), 0b00010); // 39-bit, 3-level tables only
//! assert_eq!(SAGAW.insert(0, 0x4), Some(0x400));
//! assert_eq!(SAGAW.insert(0, 0x20), None); // six bits do not fit a 5-bit field
//! ```
//!
//! A range that does not fit a 64-bit word does not compile when it is a constant:
//!
//! ```compile_fail
//! const BAD: vcap_bits::BitRange = vcap_bits::BitRange::new(60, 8);
//! let _ = BAD;
//! ```
//!
//! Written by hand: the crates that do bit fields (`bitfield`, `modular-bitfield`, `bilge`,
//! tock-registers) generate a struct per register from a macro; vcap's fields are rows of static
//! tables, read at run time by name and index, so what both tables need is the one value type
//! below and its six operations.
#![no_std]

/// Bits `lo ..= lo + width - 1` of a 64-bit word; `1 <= width` and `lo + width <= 64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BitRange {
    lo: u8,
    width: u8,
}

impl BitRange {
    /// The range of `width` bits starting at bit `lo`. Panics — a compile error in a constant —
    /// when `width` is 0 or the range runs past bit 63; [`BitRange::checked`] returns `None`
    /// instead.
    pub const fn new(lo: u32, width: u32) -> BitRange {
        match BitRange::checked(lo, width) {
            Some(r) => r,
            None => panic!("a bit range must be 1 to 64 bits wide and end at or below bit 63"),
        }
    }

    /// The range of `width` bits starting at bit `lo`, or `None` when `width` is 0 or the range
    /// runs past bit 63.
    pub const fn checked(lo: u32, width: u32) -> Option<BitRange> {
        if width == 0 || width > 64 || lo >= 64 || lo + width > 64 {
            None
        } else {
            Some(BitRange {
                lo: lo as u8,
                width: width as u8,
            })
        }
    }

    /// The lowest bit.
    pub const fn lo(self) -> u32 {
        self.lo as u32
    }

    /// The width in bits.
    pub const fn width(self) -> u32 {
        self.width as u32
    }

    /// The highest bit.
    pub const fn hi(self) -> u32 {
        self.lo as u32 + self.width as u32 - 1
    }

    /// The largest value the field holds (all `width` bits set).
    pub const fn max(self) -> u64 {
        u64::MAX >> (64 - self.width as u32)
    }

    /// The field's bits within the word.
    pub const fn mask(self) -> u64 {
        self.max() << self.lo
    }

    /// The field's value, shifted down.
    pub const fn get(self, word: u64) -> u64 {
        (word >> self.lo) & self.max()
    }

    /// The field's value read as a two's-complement number of `width` bits (Arm's signed ID
    /// register fields, where 0xf is -1: "not implemented").
    pub const fn get_signed(self, word: u64) -> i64 {
        self.sign_extend(self.get(word))
    }

    /// `value` (a field value, shifted down) sign-extended from the field's width.
    pub const fn sign_extend(self, value: u64) -> i64 {
        let sh = 64 - self.width as u32;
        ((value << sh) as i64) >> sh
    }

    /// Whether `value` fits the field.
    pub const fn fits(self, value: u64) -> bool {
        value & !self.max() == 0
    }

    /// The low `width` bits of `value`, moved to the field's position: for code that builds a
    /// word from values it has already bounded (a value wider than the field loses its high
    /// bits here; [`BitRange::insert`] refuses it instead).
    pub const fn place(self, value: u64) -> u64 {
        (value & self.max()) << self.lo
    }

    /// `word` with the field replaced by `value`, or `None` when `value` does not fit.
    pub const fn insert(self, word: u64, value: u64) -> Option<u64> {
        if self.fits(value) {
            Some((word & !self.mask()) | (value << self.lo))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::BitRange;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        let all = BitRange::new(0, 64);
        assert_eq!((all.max(), all.mask(), all.hi()), (u64::MAX, u64::MAX, 63));
        assert_eq!(all.get(0x8000_0000_0000_0001), 0x8000_0000_0000_0001);
        let top = BitRange::new(63, 1);
        assert_eq!((top.max(), top.mask(), top.hi()), (1, 1 << 63, 63));
        assert_eq!(top.get(1 << 63), 1);
        assert_eq!(top.get(!(1 << 63)), 0);
        let low = BitRange::new(0, 1);
        assert_eq!((low.max(), low.mask(), low.get(3)), (1, 1, 1));
        assert_eq!(BitRange::new(4, 4).mask(), 0xf0);
        assert_eq!(
            (BitRange::new(4, 4).lo(), BitRange::new(4, 4).width()),
            (4, 4)
        );
        assert_eq!(BitRange::checked(0, 0), None);
        assert_eq!(BitRange::checked(1, 64), None);
        assert_eq!(BitRange::checked(64, 1), None);
        assert_eq!(BitRange::checked(63, 2), None);
        assert_eq!(BitRange::checked(u32::MAX, 2), None);
        assert_eq!(BitRange::checked(2, u32::MAX), None);
        assert!(BitRange::checked(63, 1).is_some());
    }

    #[test]
    fn signed_arm_id_fields() {
        // ID_AA64PFR0_EL1.FP (bits 19:16) = 0xf means "not implemented", -1 (Arm ARM D19.2).
        let fp = BitRange::new(16, 4);
        assert_eq!(fp.get_signed(0xf << 16), -1);
        assert_eq!(fp.get_signed(0x1 << 16), 1);
        assert_eq!(fp.get_signed(0x7 << 16), 7);
        assert_eq!(fp.get_signed(0x8 << 16), -8);
        assert_eq!(BitRange::new(0, 64).sign_extend(u64::MAX), -1);
    }

    #[test]
    fn insert_refuses_a_value_too_wide() {
        let r = BitRange::new(8, 5);
        assert_eq!(r.insert(u64::MAX, 0), Some(!0x1f00));
        assert_eq!(r.insert(0, 0x1f), Some(0x1f00));
        assert_eq!(r.insert(0, 0x20), None);
        assert!(r.fits(0x1f) && !r.fits(0x20));
        assert_eq!(BitRange::new(0, 64).insert(0, u64::MAX), Some(u64::MAX));
        assert_eq!(r.place(0x3f), 0x1f00);
        assert_eq!(r.place(0x15), 0x1500);
        assert_eq!(BitRange::new(63, 1).place(3), 1 << 63);
    }

    proptest! {
        #[test]
        fn insert_then_get_round_trips_and_leaves_other_bits(lo in 0u32..64, w in 1u32..=64, word: u64, v: u64) {
            prop_assume!(lo + w <= 64);
            let r = BitRange::new(lo, w);
            let v = v & r.max();
            let out = r.insert(word, v).unwrap();
            prop_assert_eq!(r.get(out), v);
            prop_assert_eq!(out & !r.mask(), word & !r.mask());
            prop_assert_eq!(r.mask().count_ones(), w);
            prop_assert_eq!(r.mask().trailing_zeros(), lo);
        }
    }
}
