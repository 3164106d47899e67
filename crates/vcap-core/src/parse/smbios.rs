//! The SMBIOS type 0 (BIOS Information) structure, as `/sys/firmware/dmi/entries/0-0/raw` holds it,
//! and its "system is a virtual machine" bit: BIOS Characteristics Extension Byte 2 (offset 0x13),
//! bit 4 (DMTF DSP0134 §7.1.2.2; systemd `detect_vm_smbios()`, dmidecode's wording).

/// Offset of BIOS Characteristics Extension Byte 2 within the type 0 structure.
pub const EXT_BYTE2_OFFSET: usize = 0x13;
/// The "system is a virtual machine" bit of extension byte 2.
pub const VM_BIT: u8 = 1 << 4;

/// What the type 0 structure says about the VM bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmBit {
    /// The structure has extension byte 2 and bit 4 is set.
    Set,
    /// The structure has extension byte 2 and bit 4 is clear.
    Clear,
    /// The structure is too short to have extension byte 2 (SMBIOS before 2.4).
    NotPresent,
}

/// Why the raw bytes are not a type 0 structure; names the offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmbiosError {
    /// Fewer bytes than the 4-byte structure header.
    #[error("{0} bytes: shorter than the 4-byte SMBIOS structure header")]
    TooShort(usize),
    /// Byte 0 is not 0 (BIOS Information).
    #[error("offset 0x00: structure type {0}, expected 0 (BIOS Information)")]
    WrongType(u8),
    /// The formatted length at byte 1 exceeds the bytes present.
    #[error("offset 0x01: formatted length {len} exceeds the {have} bytes present")]
    Truncated {
        /// The declared formatted length.
        len: usize,
        /// Bytes actually present.
        have: usize,
    },
}

/// Parsed facts of a type 0 structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Type0 {
    /// The formatted length (byte 1).
    pub length: u8,
    /// Extension byte 2, when present.
    pub ext_byte2: Option<u8>,
    /// The VM bit.
    pub vm_bit: VmBit,
}

/// Parses a raw type 0 structure.
pub fn parse_type0(raw: &[u8]) -> Result<Type0, SmbiosError> {
    if raw.len() < 4 {
        return Err(SmbiosError::TooShort(raw.len()));
    }
    if raw[0] != 0 {
        return Err(SmbiosError::WrongType(raw[0]));
    }
    let len = raw[1] as usize;
    if len > raw.len() {
        return Err(SmbiosError::Truncated {
            len,
            have: raw.len(),
        });
    }
    let ext_byte2 = (len > EXT_BYTE2_OFFSET).then(|| raw[EXT_BYTE2_OFFSET]);
    let vm_bit = match ext_byte2 {
        Some(b) if b & VM_BIT != 0 => VmBit::Set,
        Some(_) => VmBit::Clear,
        None => VmBit::NotPresent,
    };
    Ok(Type0 {
        length: raw[1],
        ext_byte2,
        vm_bit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn type0(len: u8, ext2: u8) -> Vec<u8> {
        let mut v = vec![0u8; len as usize];
        v[0] = 0;
        v[1] = len;
        if (len as usize) > EXT_BYTE2_OFFSET {
            v[EXT_BYTE2_OFFSET] = ext2;
        }
        v.extend_from_slice(b"SeaBIOS\0\0");
        v
    }

    #[test]
    fn qemu_values() {
        // QEMU 7.2 with any -smbios type=0 writes ext byte 2 = 0x14; SeaBIOS's own table 0x04
        // (shared/reference/guestlab.md §3.2, measured in real guests).
        assert_eq!(parse_type0(&type0(0x18, 0x14)).unwrap().vm_bit, VmBit::Set);
        assert_eq!(
            parse_type0(&type0(0x18, 0x04)).unwrap().vm_bit,
            VmBit::Clear
        );
        assert_eq!(
            parse_type0(&type0(0x18, 0x1c)).unwrap().ext_byte2,
            Some(0x1c)
        );
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            parse_type0(&type0(0x13, 0xff)).unwrap().vm_bit,
            VmBit::NotPresent
        );
        assert_eq!(parse_type0(&type0(0x14, 0x10)).unwrap().vm_bit, VmBit::Set);
        assert_eq!(parse_type0(&[0, 0x18, 0]), Err(SmbiosError::TooShort(3)));
        assert_eq!(parse_type0(&[1, 4, 0, 0]), Err(SmbiosError::WrongType(1)));
        assert_eq!(
            parse_type0(&[0, 0x18, 0, 0]),
            Err(SmbiosError::Truncated { len: 0x18, have: 4 })
        );
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_type0(&raw);
        }

        #[test]
        fn vm_bit_is_bit_4_of_offset_0x13(ext2 in any::<u8>(), len in 0x14u8..=0x40) {
            let t = parse_type0(&type0(len, ext2)).unwrap();
            prop_assert_eq!(t.vm_bit == VmBit::Set, ext2 & 0x10 != 0);
        }
    }
}
