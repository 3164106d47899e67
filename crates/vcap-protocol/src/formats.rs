//! Bit-exact interrupt message and remapping-table formats.
//!
//! Every layout is a table of [`Field`] rows, each citing the Linux header (or spec) member it
//! was checked against:
//!
//! | layout | source |
//! |---|---|
//! | x86 MSI compatibility format, incl. extended destination ID | `arch/x86/include/asm/msi.h` `struct x86_msi_addr_lo` / `x86_msi_addr_hi` / `x86_msi_data` (replaced `asm/msidef.h` in v5.11); `arch/x86/kernel/apic/apic.c` `__irq_msi_compose_msg()` |
//! | Intel remappable format (handle, subhandle) | same `struct x86_msi_addr_lo` (`dmar_*` members); `drivers/iommu/intel/irq_remapping.c` `fill_msi_msg()` |
//! | VT-d IRTE (128 bits, remapped format) | `include/linux/dmar.h` `struct irte`; `IRTE_DEST()` in `irq_remapping.c` |
//! | AMD IOMMU IRTE, basic (32-bit) format | `drivers/iommu/amd/amd_iommu_types.h` `union irte`; `drivers/iommu/amd/iommu.c` `fill_msi_msg()` |
//! | Arm GICv3 ITS (DeviceID, EventID) | `drivers/irqchip/irq-gic-v3-its.c` `its_encode_*()`; `include/linux/irqchip/arm-gic-v3.h` `GITS_TRANSLATER`, `GITS_CMD_*` |

use crate::bits::{Field, word_mask};

/// Why a message or table entry could not be encoded or decoded; names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A value does not fit its field.
    #[error("field `{field}`: value {value:#x} does not fit in {width} bits")]
    FieldTooWide {
        /// The field.
        field: &'static str,
        /// The value offered.
        value: u64,
        /// The field's width.
        width: u32,
    },
    /// A reserved field is not zero.
    #[error("field `{field}` is reserved and must be zero, found {value:#x}")]
    ReservedSet {
        /// The reserved field.
        field: &'static str,
        /// What was found.
        value: u64,
    },
    /// A fixed field holds the wrong constant.
    #[error("field `{field}` must be {expected:#x}, found {found:#x}")]
    WrongConstant {
        /// The field.
        field: &'static str,
        /// The constant the format requires.
        expected: u64,
        /// What was found.
        found: u64,
    },
    /// A destination APIC ID above 0xff without the extended destination ID, or above 0x7fff.
    #[error("destination APIC ID {apic_id:#x} is not addressable in the compatibility format (extended destination ID {})", if *.ext_dest_id { "on" } else { "off" })]
    DestinationTooLarge {
        /// The APIC ID.
        apic_id: u32,
        /// Whether the extended destination ID was in use.
        ext_dest_id: bool,
    },
}

/// An MSI message as the device stores and writes it (`struct msi_msg`: `address_lo`,
/// `address_hi`, `data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MsiMsg {
    /// Address bits 31:0.
    pub address_lo: u32,
    /// Address bits 63:32.
    pub address_hi: u32,
    /// Message data.
    pub data: u32,
}

/// `X86_MSI_BASE_ADDRESS_LOW` (`arch/x86/include/asm/msi.h`): `0xfee00000 >> 20`.
pub const X86_MSI_BASE_ADDRESS_LOW: u64 = 0xfee0_0000 >> 20;
/// `X86_MSI_BASE_ADDRESS_HIGH` (`arch/x86/include/asm/msi.h`).
pub const X86_MSI_BASE_ADDRESS_HIGH: u32 = 0;

const MSI_H: &str = "arch/x86/include/asm/msi.h struct x86_msi_addr_lo";
const MSI_DATA_H: &str = "arch/x86/include/asm/msi.h struct x86_msi_data";

/// Compatibility format, `address_lo` (`struct x86_msi_addr_lo`, first union member).
pub mod compat_addr {
    use super::*;
    /// Bits 1:0.
    pub const RESERVED_0: Field = Field::rsvd("reserved_0", 0, 0, 2, MSI_H);
    /// Bit 2, destination mode (0 physical, 1 logical).
    pub const DEST_MODE_LOGICAL: Field = Field::new("dest_mode_logical", 0, 2, 1, MSI_H);
    /// Bit 3, redirection hint.
    pub const REDIRECT_HINT: Field = Field::new("redirect_hint", 0, 3, 1, MSI_H);
    /// Bit 4: must be 0 (it is `dmar_format` in the remappable view).
    pub const RESERVED_1: Field = Field::rsvd("reserved_1", 0, 4, 1, MSI_H);
    /// Bits 11:5, APIC ID bits 14:8 when the hypervisor advertises the extended destination ID.
    pub const VIRT_DESTID_8_14: Field = Field::new("virt_destid_8_14", 0, 5, 7, MSI_H);
    /// Bits 19:12, APIC ID bits 7:0.
    pub const DESTID_0_7: Field = Field::new("destid_0_7", 0, 12, 8, MSI_H);
    /// Bits 31:20, `X86_MSI_BASE_ADDRESS_LOW`.
    pub const BASE_ADDRESS: Field = Field::new("base_address", 0, 20, 12, MSI_H);
    /// The whole row set.
    pub const FIELDS: &[Field] = &[
        RESERVED_0,
        DEST_MODE_LOGICAL,
        REDIRECT_HINT,
        RESERVED_1,
        VIRT_DESTID_8_14,
        DESTID_0_7,
        BASE_ADDRESS,
    ];
}

/// Compatibility format, `data` (`struct x86_msi_data`, compat member).
pub mod compat_data {
    use super::*;
    /// Bits 7:0, vector.
    pub const VECTOR: Field = Field::new("vector", 0, 0, 8, MSI_DATA_H);
    /// Bits 10:8, delivery mode (`APIC_DELIVERY_MODE_*`: 0 fixed, 1 lowest, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT).
    pub const DELIVERY_MODE: Field = Field::new("delivery_mode", 0, 8, 3, MSI_DATA_H);
    /// Bit 11, `dest_mode_logical` in the struct; reserved in the SDM's MSI data register.
    pub const DEST_MODE_LOGICAL: Field = Field::rsvd("dest_mode_logical", 0, 11, 1, MSI_DATA_H);
    /// Bits 13:12.
    pub const RESERVED: Field = Field::rsvd("reserved", 0, 12, 2, MSI_DATA_H);
    /// Bit 14, `active_low` (SDM: level assert/deassert).
    pub const ACTIVE_LOW: Field = Field::new("active_low", 0, 14, 1, MSI_DATA_H);
    /// Bit 15, `is_level` (trigger mode).
    pub const IS_LEVEL: Field = Field::new("is_level", 0, 15, 1, MSI_DATA_H);
    /// Bits 31:16, beyond the struct: reserved.
    pub const RESERVED_HI: Field = Field::rsvd("data[31:16]", 0, 16, 16, MSI_DATA_H);
    /// The whole row set.
    pub const FIELDS: &[Field] = &[
        VECTOR,
        DELIVERY_MODE,
        DEST_MODE_LOGICAL,
        RESERVED,
        ACTIVE_LOW,
        IS_LEVEL,
        RESERVED_HI,
    ];
}

/// Remappable format, `address_lo` (`struct x86_msi_addr_lo`, `dmar_*` union member).
pub mod remap_addr {
    use super::*;
    /// Bits 1:0.
    pub const RESERVED_0: Field = Field::rsvd("dmar_reserved_0", 0, 0, 2, MSI_H);
    /// Bit 2, handle bit 15.
    pub const INDEX_15: Field = Field::new("dmar_index_15", 0, 2, 1, MSI_H);
    /// Bit 3, SHV: the data holds a valid subhandle.
    pub const SUBHANDLE_VALID: Field = Field::new("dmar_subhandle_valid", 0, 3, 1, MSI_H);
    /// Bit 4, interrupt format: 1 = remappable.
    pub const FORMAT: Field = Field::new("dmar_format", 0, 4, 1, MSI_H);
    /// Bits 19:5, handle bits 14:0.
    pub const INDEX_0_14: Field = Field::new("dmar_index_0_14", 0, 5, 15, MSI_H);
    /// Bits 31:20, `X86_MSI_BASE_ADDRESS_LOW`.
    pub const BASE_ADDRESS: Field = Field::new("dmar_base_address", 0, 20, 12, MSI_H);
    /// The whole row set.
    pub const FIELDS: &[Field] = &[
        RESERVED_0,
        INDEX_15,
        SUBHANDLE_VALID,
        FORMAT,
        INDEX_0_14,
        BASE_ADDRESS,
    ];
}

/// Remappable format, `data`: `dmar_subhandle` (`struct x86_msi_data` union member).
pub mod remap_data {
    use super::*;
    /// Bits 15:0, subhandle (meaningful when SHV = 1).
    pub const SUBHANDLE: Field = Field::new("dmar_subhandle", 0, 0, 16, MSI_DATA_H);
    /// Bits 31:16: reserved (VT-d spec §5.1.2.2).
    pub const RESERVED: Field = Field::rsvd(
        "dmar_subhandle[31:16]",
        0,
        16,
        16,
        "QEMU hw/i386/intel_iommu.c VTD_IR_MSI_DATA_RESERVED; VT-d spec §5.1.2.2",
    );
    /// The whole row set.
    pub const FIELDS: &[Field] = &[SUBHANDLE, RESERVED];
}

fn check_reserved(fields: &[Field], word: u64) -> Result<(), FormatError> {
    for f in fields.iter().filter(|f| f.reserved) {
        let v = f.get(word);
        if v != 0 {
            return Err(FormatError::ReservedSet {
                field: f.name,
                value: v,
            });
        }
    }
    Ok(())
}

fn check_const(f: Field, word: u64, expected: u64) -> Result<(), FormatError> {
    let found = f.get(word);
    if found != expected {
        return Err(FormatError::WrongConstant {
            field: f.name,
            expected,
            found,
        });
    }
    Ok(())
}

/// True when `msg` is in the remappable format (address bit 4, `dmar_format`).
pub fn is_remappable(msg: &MsiMsg) -> bool {
    remap_addr::FORMAT.get(u64::from(msg.address_lo)) == 1
}

/// An x86 MSI in compatibility format (no interrupt remapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompatMsi {
    /// Logical (true) or physical destination mode.
    pub dest_mode_logical: bool,
    /// Redirection hint.
    pub redirect_hint: bool,
    /// Destination APIC ID: 8 bits, or 15 with the extended destination ID.
    pub dest_id: u32,
    /// Vector.
    pub vector: u8,
    /// Delivery mode (3 bits).
    pub delivery_mode: u8,
    /// `active_low`.
    pub active_low: bool,
    /// `is_level`.
    pub is_level: bool,
}

impl CompatMsi {
    /// A fixed, edge, physical-mode message to `dest_id`/`vector`, as `__irq_msi_compose_msg()`.
    pub fn fixed(dest_id: u32, vector: u8) -> CompatMsi {
        CompatMsi {
            dest_mode_logical: false,
            redirect_hint: false,
            dest_id,
            vector,
            delivery_mode: 0,
            active_low: false,
            is_level: false,
        }
    }

    /// Encodes as `__irq_msi_compose_msg()` does (non-DMAR case): APIC ID bits 7:0 in
    /// `destid_0_7`, bits 14:8 in `virt_destid_8_14` only when `ext_dest_id`.
    pub fn encode(&self, ext_dest_id: bool) -> Result<MsiMsg, FormatError> {
        let limit = if ext_dest_id { 0x7fff } else { 0xff };
        if self.dest_id > limit {
            return Err(FormatError::DestinationTooLarge {
                apic_id: self.dest_id,
                ext_dest_id,
            });
        }
        use compat_addr as a;
        let mut lo = a::BASE_ADDRESS.set(0, X86_MSI_BASE_ADDRESS_LOW)?;
        lo = a::DEST_MODE_LOGICAL.set(lo, u64::from(self.dest_mode_logical))?;
        lo = a::REDIRECT_HINT.set(lo, u64::from(self.redirect_hint))?;
        lo = a::DESTID_0_7.set(lo, u64::from(self.dest_id & 0xff))?;
        lo = a::VIRT_DESTID_8_14.set(lo, u64::from(self.dest_id >> 8))?;
        use compat_data as d;
        let mut data = d::VECTOR.set(0, u64::from(self.vector))?;
        data = d::DELIVERY_MODE.set(data, u64::from(self.delivery_mode))?;
        data = d::ACTIVE_LOW.set(data, u64::from(self.active_low))?;
        data = d::IS_LEVEL.set(data, u64::from(self.is_level))?;
        Ok(MsiMsg {
            address_lo: lo as u32,
            address_hi: X86_MSI_BASE_ADDRESS_HIGH,
            data: data as u32,
        })
    }

    /// Decodes a compatibility-format message; `virt_destid_8_14` must be zero unless
    /// `ext_dest_id` (it is architecturally reserved otherwise).
    pub fn decode(msg: &MsiMsg, ext_dest_id: bool) -> Result<CompatMsi, FormatError> {
        let lo = u64::from(msg.address_lo);
        let data = u64::from(msg.data);
        use compat_addr as a;
        use compat_data as d;
        check_const(a::BASE_ADDRESS, lo, X86_MSI_BASE_ADDRESS_LOW)?;
        if msg.address_hi != X86_MSI_BASE_ADDRESS_HIGH {
            return Err(FormatError::WrongConstant {
                field: "address_hi",
                expected: u64::from(X86_MSI_BASE_ADDRESS_HIGH),
                found: u64::from(msg.address_hi),
            });
        }
        check_reserved(a::FIELDS, lo)?;
        check_reserved(d::FIELDS, data)?;
        let ext = a::VIRT_DESTID_8_14.get(lo);
        if ext != 0 && !ext_dest_id {
            return Err(FormatError::ReservedSet {
                field: a::VIRT_DESTID_8_14.name,
                value: ext,
            });
        }
        Ok(CompatMsi {
            dest_mode_logical: a::DEST_MODE_LOGICAL.get(lo) == 1,
            redirect_hint: a::REDIRECT_HINT.get(lo) == 1,
            dest_id: (a::DESTID_0_7.get(lo) | (ext << 8)) as u32,
            vector: d::VECTOR.get(data) as u8,
            delivery_mode: d::DELIVERY_MODE.get(data) as u8,
            active_low: d::ACTIVE_LOW.get(data) == 1,
            is_level: d::IS_LEVEL.get(data) == 1,
        })
    }
}

/// An x86 MSI in Intel remappable format: it names an IRTE, not a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemappableMsi {
    /// Interrupt handle (IRTE index base), 16 bits split over `dmar_index_0_14`/`dmar_index_15`.
    pub handle: u16,
    /// SHV: the subhandle in the data is valid.
    pub subhandle_valid: bool,
    /// Subhandle (`dmar_subhandle`).
    pub subhandle: u16,
}

impl RemappableMsi {
    /// What `fill_msi_msg(msg, index, subhandle)` in `irq_remapping.c` builds: SHV always set.
    pub fn linux(index: u16, subhandle: u16) -> RemappableMsi {
        RemappableMsi {
            handle: index,
            subhandle_valid: true,
            subhandle,
        }
    }

    /// Encodes the message (address_hi = `X86_MSI_BASE_ADDRESS_HIGH`).
    pub fn encode(&self) -> Result<MsiMsg, FormatError> {
        use remap_addr as a;
        let mut lo = a::BASE_ADDRESS.set(0, X86_MSI_BASE_ADDRESS_LOW)?;
        lo = a::FORMAT.set(lo, 1)?;
        lo = a::SUBHANDLE_VALID.set(lo, u64::from(self.subhandle_valid))?;
        lo = a::INDEX_0_14.set(lo, u64::from(self.handle & 0x7fff))?;
        lo = a::INDEX_15.set(lo, u64::from(self.handle >> 15))?;
        let data = remap_data::SUBHANDLE.set(0, u64::from(self.subhandle))?;
        Ok(MsiMsg {
            address_lo: lo as u32,
            address_hi: X86_MSI_BASE_ADDRESS_HIGH,
            data: data as u32,
        })
    }

    /// Decodes a remappable-format message.
    pub fn decode(msg: &MsiMsg) -> Result<RemappableMsi, FormatError> {
        use remap_addr as a;
        let lo = u64::from(msg.address_lo);
        let data = u64::from(msg.data);
        check_const(a::BASE_ADDRESS, lo, X86_MSI_BASE_ADDRESS_LOW)?;
        check_const(a::FORMAT, lo, 1)?;
        if msg.address_hi != X86_MSI_BASE_ADDRESS_HIGH {
            return Err(FormatError::WrongConstant {
                field: "address_hi",
                expected: u64::from(X86_MSI_BASE_ADDRESS_HIGH),
                found: u64::from(msg.address_hi),
            });
        }
        check_reserved(a::FIELDS, lo)?;
        check_reserved(remap_data::FIELDS, data)?;
        Ok(RemappableMsi {
            handle: (a::INDEX_0_14.get(lo) | (a::INDEX_15.get(lo) << 15)) as u16,
            subhandle_valid: a::SUBHANDLE_VALID.get(lo) == 1,
            subhandle: remap_data::SUBHANDLE.get(data) as u16,
        })
    }

    /// The IRTE index the remapping hardware looks up: handle + subhandle when SHV is set
    /// (VT-d spec §5.1.2.2; QEMU `vtd_interrupt_remap_msi()`: `index = index_h << 15 | index_l;
    /// if (sub_valid) index += data & VTD_IR_MSI_DATA_SUBHANDLE`). `None` when the sum leaves the
    /// 16-bit index space (QEMU's `uint16_t` would wrap; this model refuses).
    pub fn irte_index(&self) -> Option<u16> {
        if self.subhandle_valid {
            self.handle.checked_add(self.subhandle)
        } else {
            Some(self.handle)
        }
    }
}

const DMAR_H: &str = "include/linux/dmar.h struct irte";

/// VT-d IRTE rows, remapped format (`pst` = 0). Word 0 = `low`, word 1 = `high`.
pub mod vtd_irte {
    use super::*;
    /// Bit 0, present.
    pub const PRESENT: Field = Field::new("present", 0, 0, 1, DMAR_H);
    /// Bit 1, fault processing disable.
    pub const FPD: Field = Field::new("fpd", 0, 1, 1, DMAR_H);
    /// Bit 2, destination mode.
    pub const DST_MODE: Field = Field::new("dst_mode", 0, 2, 1, DMAR_H);
    /// Bit 3, redirection hint.
    pub const REDIR_HINT: Field = Field::new("redir_hint", 0, 3, 1, DMAR_H);
    /// Bit 4, trigger mode.
    pub const TRIGGER_MODE: Field = Field::new("trigger_mode", 0, 4, 1, DMAR_H);
    /// Bits 7:5, delivery mode.
    pub const DLVRY_MODE: Field = Field::new("dlvry_mode", 0, 5, 3, DMAR_H);
    /// Bits 11:8, available to software.
    pub const AVAIL: Field = Field::new("r_avail", 0, 8, 4, DMAR_H);
    /// Bits 14:12, reserved (`r_res0` bits 14:12).
    pub const RES0: Field = Field::rsvd("r_res0[14:12]", 0, 12, 3, DMAR_H);
    /// Bit 15, `pst`/IM: 0 remapped, 1 posted. Must be 0 here.
    pub const PST: Field = Field::rsvd("pst", 0, 15, 1, DMAR_H);
    /// Bits 23:16, vector.
    pub const VECTOR: Field = Field::new("r_vector", 0, 16, 8, DMAR_H);
    /// Bits 31:24, reserved.
    pub const RES1: Field = Field::rsvd("r_res1", 0, 24, 8, DMAR_H);
    /// Bits 63:32, destination ID (x2APIC mode: the APIC ID; xAPIC: `IRTE_DEST(d) = d << 8`).
    pub const DEST_ID: Field = Field::new("dest_id", 0, 32, 32, DMAR_H);
    /// High bits 15:0, source ID (requester ID).
    pub const SID: Field = Field::new("sid", 1, 0, 16, DMAR_H);
    /// High bits 17:16, source-ID qualifier.
    pub const SQ: Field = Field::new("sq", 1, 16, 2, DMAR_H);
    /// High bits 19:18, source validation type.
    pub const SVT: Field = Field::new("svt", 1, 18, 2, DMAR_H);
    /// High bits 63:20, reserved.
    pub const RES3: Field = Field::rsvd("__res3", 1, 20, 44, DMAR_H);
    /// The whole row set.
    pub const FIELDS: &[Field] = &[
        PRESENT,
        FPD,
        DST_MODE,
        REDIR_HINT,
        TRIGGER_MODE,
        DLVRY_MODE,
        AVAIL,
        RES0,
        PST,
        VECTOR,
        RES1,
        DEST_ID,
        SID,
        SQ,
        SVT,
        RES3,
    ];
    /// `SVT_VERIFY_SID_SQ` (irq_remapping.c): verify the requester ID using SQ.
    pub const SVT_VERIFY_SID_SQ: u8 = 1;
    /// `SVT_VERIFY_BUS`: verify the bus range in SID.
    pub const SVT_VERIFY_BUS: u8 = 2;
    /// `SQ_ALL_16`: compare all 16 bits of the requester ID.
    pub const SQ_ALL_16: u8 = 0;
}

/// A VT-d interrupt-remapping table entry in remapped (not posted) format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct VtdIrte {
    /// P.
    pub present: bool,
    /// FPD.
    pub fpd: bool,
    /// DM.
    pub dst_mode: bool,
    /// RH.
    pub redir_hint: bool,
    /// TM.
    pub trigger_mode: bool,
    /// DLM (3 bits).
    pub dlvry_mode: u8,
    /// AVAIL (4 bits).
    pub avail: u8,
    /// Vector.
    pub vector: u8,
    /// DST, as stored (x2APIC mode: the APIC ID).
    pub dest_id: u32,
    /// SID.
    pub sid: u16,
    /// SQ (2 bits).
    pub sq: u8,
    /// SVT (2 bits).
    pub svt: u8,
}

impl VtdIrte {
    /// Encodes into the two 64-bit words `low`, `high`.
    pub fn encode(&self) -> Result<[u64; 2], FormatError> {
        use vtd_irte as f;
        let mut lo = f::PRESENT.set(0, u64::from(self.present))?;
        lo = f::FPD.set(lo, u64::from(self.fpd))?;
        lo = f::DST_MODE.set(lo, u64::from(self.dst_mode))?;
        lo = f::REDIR_HINT.set(lo, u64::from(self.redir_hint))?;
        lo = f::TRIGGER_MODE.set(lo, u64::from(self.trigger_mode))?;
        lo = f::DLVRY_MODE.set(lo, u64::from(self.dlvry_mode))?;
        lo = f::AVAIL.set(lo, u64::from(self.avail))?;
        lo = f::VECTOR.set(lo, u64::from(self.vector))?;
        lo = f::DEST_ID.set(lo, u64::from(self.dest_id))?;
        let mut hi = f::SID.set(0, u64::from(self.sid))?;
        hi = f::SQ.set(hi, u64::from(self.sq))?;
        hi = f::SVT.set(hi, u64::from(self.svt))?;
        Ok([lo, hi])
    }

    /// Decodes a remapped-format entry; a posted-format entry (`pst` = 1) or a set reserved bit
    /// is an error naming the field.
    pub fn decode(raw: [u64; 2]) -> Result<VtdIrte, FormatError> {
        use vtd_irte as f;
        for fl in f::FIELDS.iter().filter(|fl| fl.reserved) {
            let v = fl.get(raw[fl.word]);
            if v != 0 {
                return Err(FormatError::ReservedSet {
                    field: fl.name,
                    value: v,
                });
            }
        }
        let (lo, hi) = (raw[0], raw[1]);
        Ok(VtdIrte {
            present: f::PRESENT.get(lo) == 1,
            fpd: f::FPD.get(lo) == 1,
            dst_mode: f::DST_MODE.get(lo) == 1,
            redir_hint: f::REDIR_HINT.get(lo) == 1,
            trigger_mode: f::TRIGGER_MODE.get(lo) == 1,
            dlvry_mode: f::DLVRY_MODE.get(lo) as u8,
            avail: f::AVAIL.get(lo) as u8,
            vector: f::VECTOR.get(lo) as u8,
            dest_id: f::DEST_ID.get(lo) as u32,
            sid: f::SID.get(hi) as u16,
            sq: f::SQ.get(hi) as u8,
            svt: f::SVT.get(hi) as u8,
        })
    }

    /// `IRTE_DEST(dest)`: the DST encoding of an APIC ID, `dest` in x2APIC (EIM) mode, else `dest << 8`.
    pub fn irte_dest(apic_id: u32, x2apic_mode: bool) -> u32 {
        if x2apic_mode { apic_id } else { apic_id << 8 }
    }

    /// Does a request from requester ID `rid` pass this entry's source validation?
    /// SVT 0: no check; SVT 1: compare SID with SQ masking function bits (SQ 0: all 16 bits,
    /// 1/2/3: ignore bit 2 / bits 2:1 / bits 2:0); SVT 2: `rid`'s bus within `SID[15:8]..=SID[7:0]`;
    /// SVT 3 reserved: fails.
    pub fn source_ok(&self, rid: u16) -> bool {
        match self.svt {
            0 => true,
            1 => {
                let ignore: u16 = match self.sq {
                    0 => 0,
                    1 => 0b100,
                    2 => 0b110,
                    _ => 0b111,
                };
                (self.sid & !ignore) == (rid & !ignore)
            }
            2 => {
                let bus = rid >> 8;
                bus >= (self.sid >> 8) && bus <= (self.sid & 0xff)
            }
            _ => false,
        }
    }
}

const AMD_H: &str = "drivers/iommu/amd/amd_iommu_types.h union irte";

/// AMD IOMMU IRTE rows, basic (legacy, 32-bit) format.
pub mod amd_irte {
    use super::*;
    /// Bit 0, RemapEn.
    pub const VALID: Field = Field::new("valid", 0, 0, 1, AMD_H);
    /// Bit 1, SupIOPF.
    pub const NO_FAULT: Field = Field::new("no_fault", 0, 1, 1, AMD_H);
    /// Bits 4:2, interrupt type (0 fixed, 1 arbitrated, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT).
    pub const INT_TYPE: Field = Field::new("int_type", 0, 2, 3, AMD_H);
    /// Bit 5, RqEoi.
    pub const RQ_EOI: Field = Field::new("rq_eoi", 0, 5, 1, AMD_H);
    /// Bit 6, destination mode.
    pub const DM: Field = Field::new("dm", 0, 6, 1, AMD_H);
    /// Bit 7, reserved (`guest_mode` only in the GA format).
    pub const RSVD_1: Field = Field::rsvd("rsvd_1", 0, 7, 1, AMD_H);
    /// Bits 15:8, destination APIC ID.
    pub const DESTINATION: Field = Field::new("destination", 0, 8, 8, AMD_H);
    /// Bits 23:16, vector.
    pub const VECTOR: Field = Field::new("vector", 0, 16, 8, AMD_H);
    /// Bits 31:24, reserved.
    pub const RSVD_2: Field = Field::rsvd("rsvd_2", 0, 24, 8, AMD_H);
    /// The whole row set.
    pub const FIELDS: &[Field] = &[
        VALID,
        NO_FAULT,
        INT_TYPE,
        RQ_EOI,
        DM,
        RSVD_1,
        DESTINATION,
        VECTOR,
        RSVD_2,
    ];
    /// MSI data bits 10:0 carry the IRTE index (`fill_msi_msg()`: `msg->data = index`; QEMU
    /// `hw/i386/amd_iommu.h` `AMDVI_IRTE_OFFSET 0x7ff`).
    pub const MSI_DATA_INDEX: Field = Field::new(
        "data[10:0] (IRTE offset)",
        0,
        0,
        11,
        "drivers/iommu/amd/iommu.c fill_msi_msg(); QEMU AMDVI_IRTE_OFFSET",
    );
}

/// An AMD IOMMU IRTE in basic (32-bit) format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AmdIrte {
    /// RemapEn.
    pub valid: bool,
    /// SupIOPF.
    pub no_fault: bool,
    /// IntType (3 bits).
    pub int_type: u8,
    /// RqEoi.
    pub rq_eoi: bool,
    /// DM.
    pub dm: bool,
    /// Destination (8-bit APIC ID).
    pub destination: u8,
    /// Vector.
    pub vector: u8,
}

impl AmdIrte {
    /// Encodes the entry.
    pub fn encode(&self) -> Result<u32, FormatError> {
        use amd_irte as f;
        let mut w = f::VALID.set(0, u64::from(self.valid))?;
        w = f::NO_FAULT.set(w, u64::from(self.no_fault))?;
        w = f::INT_TYPE.set(w, u64::from(self.int_type))?;
        w = f::RQ_EOI.set(w, u64::from(self.rq_eoi))?;
        w = f::DM.set(w, u64::from(self.dm))?;
        w = f::DESTINATION.set(w, u64::from(self.destination))?;
        w = f::VECTOR.set(w, u64::from(self.vector))?;
        Ok(w as u32)
    }

    /// Decodes the entry; reserved bits must be zero.
    pub fn decode(raw: u32) -> Result<AmdIrte, FormatError> {
        use amd_irte as f;
        let w = u64::from(raw);
        check_reserved(f::FIELDS, w)?;
        Ok(AmdIrte {
            valid: f::VALID.get(w) == 1,
            no_fault: f::NO_FAULT.get(w) == 1,
            int_type: f::INT_TYPE.get(w) as u8,
            rq_eoi: f::RQ_EOI.get(w) == 1,
            dm: f::DM.get(w) == 1,
            destination: f::DESTINATION.get(w) as u8,
            vector: f::VECTOR.get(w) as u8,
        })
    }

    /// The MSI an AMD-remapped device is given for IRTE `index` (`fill_msi_msg()` in
    /// `drivers/iommu/amd/iommu.c`, without the 2K-remap DM quirk): base address, data = index.
    pub fn msi_for_index(index: u16) -> Result<MsiMsg, FormatError> {
        let data = amd_irte::MSI_DATA_INDEX.set(0, u64::from(index))?;
        let lo = compat_addr::BASE_ADDRESS.set(0, X86_MSI_BASE_ADDRESS_LOW)?;
        Ok(MsiMsg {
            address_lo: lo as u32,
            address_hi: X86_MSI_BASE_ADDRESS_HIGH,
            data: data as u32,
        })
    }

    /// The IRTE index an AMD IOMMU takes from a remapped MSI: data bits 10:0.
    pub fn index_of(msg: &MsiMsg) -> u16 {
        amd_irte::MSI_DATA_INDEX.get(u64::from(msg.data)) as u16
    }
}

const ITS_C: &str = "drivers/irqchip/irq-gic-v3-its.c its_encode_*()";

/// GICv3 ITS command rows (32-byte command, four little-endian u64 words).
pub mod its_cmd {
    use super::*;
    /// Word 0 bits 7:0, command number (`its_encode_cmd`).
    pub const CMD: Field = Field::new("cmd", 0, 0, 8, ITS_C);
    /// Word 0 bits 63:32, DeviceID (`its_encode_devid`).
    pub const DEVICE_ID: Field = Field::new("devid", 0, 32, 32, ITS_C);
    /// Word 1 bits 31:0, EventID (`its_encode_event_id`).
    pub const EVENT_ID: Field = Field::new("event_id", 1, 0, 32, ITS_C);
    /// Word 1 bits 63:32, physical INTID (`its_encode_phys_id`).
    pub const PHYS_ID: Field = Field::new("phys_id", 1, 32, 32, ITS_C);
    /// Word 2 bits 15:0, collection ID (`its_encode_collection`).
    pub const COLLECTION: Field = Field::new("collection", 2, 0, 16, ITS_C);
    /// The rows used by MAPTI.
    pub const MAPTI_FIELDS: &[Field] = &[CMD, DEVICE_ID, EVENT_ID, PHYS_ID, COLLECTION];
    /// `GITS_CMD_MAPTI` (include/linux/irqchip/arm-gic-v3.h).
    pub const GITS_CMD_MAPTI: u8 = 0x0a;
    /// `GITS_CMD_DISCARD`.
    pub const GITS_CMD_DISCARD: u8 = 0x0f;
    /// `GITS_TRANSLATER` offset from the ITS base: the doorbell a device writes its EventID to.
    pub const GITS_TRANSLATER: u64 = 0x10040;
}

/// An ITS mapping: (DeviceID, EventID) → (physical LPI INTID, collection), as MAPTI sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItsMapti {
    /// DeviceID (out-of-band: the requester ID mapped through `msi-map`/IORT).
    pub device_id: u32,
    /// EventID (the data the device writes to `GITS_TRANSLATER`).
    pub event_id: u32,
    /// Physical INTID (LPI, ≥ 8192).
    pub phys_id: u32,
    /// Interrupt collection (target redistributor).
    pub collection: u16,
}

impl ItsMapti {
    /// Encodes a MAPTI command block.
    pub fn encode(&self) -> Result<[u64; 4], FormatError> {
        use its_cmd as c;
        let mut w = [0u64; 4];
        w[0] = c::CMD.set(w[0], u64::from(c::GITS_CMD_MAPTI))?;
        w[0] = c::DEVICE_ID.set(w[0], u64::from(self.device_id))?;
        w[1] = c::EVENT_ID.set(w[1], u64::from(self.event_id))?;
        w[1] = c::PHYS_ID.set(w[1], u64::from(self.phys_id))?;
        w[2] = c::COLLECTION.set(w[2], u64::from(self.collection))?;
        Ok(w)
    }

    /// Decodes a MAPTI command block; any bit outside the MAPTI rows is an error.
    pub fn decode(w: [u64; 4]) -> Result<ItsMapti, FormatError> {
        use its_cmd as c;
        check_const(c::CMD, w[0], u64::from(c::GITS_CMD_MAPTI))?;
        for (i, word) in w.iter().enumerate() {
            let stray = word & !word_mask(c::MAPTI_FIELDS, i);
            if stray != 0 {
                return Err(FormatError::ReservedSet {
                    field: "MAPTI reserved bits",
                    value: stray,
                });
            }
        }
        Ok(ItsMapti {
            device_id: c::DEVICE_ID.get(w[0]) as u32,
            event_id: c::EVENT_ID.get(w[1]) as u32,
            phys_id: c::PHYS_ID.get(w[1]) as u32,
            collection: c::COLLECTION.get(w[2]) as u16,
        })
    }

    /// The doorbell write a device performs for this event: (address, data) =
    /// (`its_base + GITS_TRANSLATER`, EventID); the DeviceID travels as sideband.
    pub fn doorbell(its_base: u64, event_id: u32) -> (u64, u32) {
        (its_base + its_cmd::GITS_TRANSLATER, event_id)
    }
}

/// A GICv3 ITS translation table: applies MAPTI/DISCARD and translates doorbell writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Its {
    /// (DeviceID, EventID) → (INTID, collection).
    pub map: std::collections::BTreeMap<(u32, u32), (u32, u16)>,
}

impl Its {
    /// Applies one command block (MAPTI or DISCARD; anything else is refused by name).
    pub fn apply(&mut self, w: [u64; 4]) -> Result<(), FormatError> {
        let cmd = its_cmd::CMD.get(w[0]) as u8;
        match cmd {
            its_cmd::GITS_CMD_MAPTI => {
                let m = ItsMapti::decode(w)?;
                self.map
                    .insert((m.device_id, m.event_id), (m.phys_id, m.collection));
                Ok(())
            }
            its_cmd::GITS_CMD_DISCARD => {
                let dev = its_cmd::DEVICE_ID.get(w[0]) as u32;
                let ev = its_cmd::EVENT_ID.get(w[1]) as u32;
                self.map.remove(&(dev, ev));
                Ok(())
            }
            other => Err(FormatError::WrongConstant {
                field: "cmd",
                expected: u64::from(its_cmd::GITS_CMD_MAPTI),
                found: u64::from(other),
            }),
        }
    }

    /// Translates a device's doorbell write: `None` when the write misses `GITS_TRANSLATER` or
    /// the (DeviceID, EventID) pair is unmapped.
    pub fn translate(
        &self,
        its_base: u64,
        device_id: u32,
        address: u64,
        data: u32,
    ) -> Option<(u32, u16)> {
        if address != its_base + its_cmd::GITS_TRANSLATER {
            return None;
        }
        self.map.get(&(device_id, data)).copied()
    }
}

#[cfg(test)]
mod tests;
