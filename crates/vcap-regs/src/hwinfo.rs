//! `IOMMU_GET_HW_INFO` as the kernel gives it: the type-specific struct bytes the kernel writes
//! to `data_uptr` (for every type the uAPI defines) and the generic `out_capabilities`.
//!
//! Layouts, from `include/uapi/linux/iommufd.h` (torvalds/linux at
//! b4d90dbc4c1bc4bd3eb2d2989330af0eb95c98e8 for VT-d, SMMUv3 and Tegra241; the AMD struct from
//! the 2025 AMD HW-vIOMMU series that adds `IOMMU_HW_INFO_TYPE_AMD = 4`), little-endian:
//!
//! | type | struct | bytes |
//! |---|---|---|
//! | 1 `INTEL_VTD` | `flags u32, __reserved u32, cap_reg u64, ecap_reg u64` | 24 |
//! | 2 `ARM_SMMUV3` | `flags u32, __reserved u32, idr[6] u32, iidr u32, aidr u32` | 40 |
//! | 3 `TEGRA241_CMDQV` | `flags u32, version u8, log2vcmdqs u8, log2vsids u8, __reserved u8` | 8 |
//! | 4 `AMD` | `efr u64, efr2 u64` | 16 |
//!
//! Forward compatibility: the kernel returns in `data_len` the length it supports, which grows
//! as fields are appended (an AMD RFC adds `control_register u64`). Bytes beyond the struct vcap
//! knows are read and reported ([`HwInfo::trailing`], as 64-bit words with their offset), never
//! an error. Bytes short of it are an error naming the fields missing: a missing field is
//! unknown, not zero.

use crate::model::{KernelCap, Kind, RegSet};
use crate::tables;

/// `enum iommu_hw_info_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwInfoType {
    /// `IOMMU_HW_INFO_TYPE_INTEL_VTD = 1`: `struct iommu_hw_info_vtd`.
    IntelVtd,
    /// `IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2`: `struct iommu_hw_info_arm_smmuv3`.
    ArmSmmuV3,
    /// `IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3`: `struct iommu_hw_info_tegra241_cmdqv`.
    Tegra241Cmdqv,
    /// `IOMMU_HW_INFO_TYPE_AMD = 4`: `struct iommu_hw_info_amd`.
    Amd,
}

impl HwInfoType {
    /// Every type, in enumerator order.
    pub const ALL: [HwInfoType; 4] = [
        HwInfoType::IntelVtd,
        HwInfoType::ArmSmmuV3,
        HwInfoType::Tegra241Cmdqv,
        HwInfoType::Amd,
    ];

    /// The `out_data_type` value.
    pub fn value(self) -> u32 {
        match self {
            HwInfoType::IntelVtd => 1,
            HwInfoType::ArmSmmuV3 => 2,
            HwInfoType::Tegra241Cmdqv => 3,
            HwInfoType::Amd => 4,
        }
    }

    /// The type for an `out_data_type` value (`None` for 0, "no info", and unknown types).
    pub fn from_value(v: u32) -> Option<HwInfoType> {
        HwInfoType::ALL.into_iter().find(|t| t.value() == v)
    }

    /// The enumerator name.
    pub fn name(self) -> &'static str {
        match self {
            HwInfoType::IntelVtd => "IOMMU_HW_INFO_TYPE_INTEL_VTD",
            HwInfoType::ArmSmmuV3 => "IOMMU_HW_INFO_TYPE_ARM_SMMUV3",
            HwInfoType::Tegra241Cmdqv => "IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV",
            HwInfoType::Amd => "IOMMU_HW_INFO_TYPE_AMD",
        }
    }

    /// `sizeof` the struct vcap knows.
    pub fn size(self) -> usize {
        match self {
            HwInfoType::IntelVtd => 24,
            HwInfoType::ArmSmmuV3 => 40,
            HwInfoType::Tegra241Cmdqv => 8,
            HwInfoType::Amd => 16,
        }
    }

    /// The fields, as `(name, offset, size)`, in struct order.
    pub fn fields(self) -> &'static [(&'static str, usize, usize)] {
        match self {
            HwInfoType::IntelVtd => &[
                ("flags", 0, 4),
                ("__reserved", 4, 4),
                ("cap_reg", 8, 8),
                ("ecap_reg", 16, 8),
            ],
            HwInfoType::ArmSmmuV3 => &[
                ("flags", 0, 4),
                ("__reserved", 4, 4),
                ("idr[0]", 8, 4),
                ("idr[1]", 12, 4),
                ("idr[2]", 16, 4),
                ("idr[3]", 20, 4),
                ("idr[4]", 24, 4),
                ("idr[5]", 28, 4),
                ("iidr", 32, 4),
                ("aidr", 36, 4),
            ],
            HwInfoType::Tegra241Cmdqv => &[
                ("flags", 0, 4),
                ("version", 4, 1),
                ("log2vcmdqs", 5, 1),
                ("log2vsids", 6, 1),
                ("__reserved", 7, 1),
            ],
            HwInfoType::Amd => &[("efr", 0, 8), ("efr2", 8, 8)],
        }
    }
}

/// `struct iommu_hw_info_tegra241_cmdqv`: values a VMM puts in its emulated CMDQV `PARAM`
/// register (version `PARAM[3:0]`, log2 VCMDQs `PARAM[7:4]`, log2 SID replacements `PARAM[15:12]`;
/// `PARAM[11:8]`, log2 VINTFs, must be 0: one VINTF per VM, per the kdoc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tegra241Cmdqv {
    /// `flags` (must be 0).
    pub flags: u32,
    /// `version`.
    pub version: u8,
    /// `log2vcmdqs`.
    pub log2vcmdqs: u8,
    /// `log2vsids`.
    pub log2vsids: u8,
}

impl Tegra241Cmdqv {
    /// The guest `PARAM` register these fields describe (one VINTF: bits 11:8 are 0).
    pub fn param(&self) -> u32 {
        u32::from(self.version & 0xf)
            | (u32::from(self.log2vcmdqs & 0xf) << 4)
            | (u32::from(self.log2vsids & 0xf) << 12)
    }
}

/// What the struct bytes hold.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per ioctl answer; a RegSet is plain Copy data"
)]
pub enum HwInfoData {
    /// VT-d, SMMUv3, AMD: the registers vcap's tables describe.
    Registers(RegSet),
    /// Tegra241 CMDQV.
    Tegra241(Tegra241Cmdqv),
}

/// One decoded `IOMMU_GET_HW_INFO` payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HwInfo {
    /// The type.
    pub ty: HwInfoType,
    /// The decoded fields.
    pub data: HwInfoData,
    /// Fields that must be 0 and are not (`flags`, `__reserved`), as `(name, value)`: a kernel
    /// newer than vcap may have given them a meaning.
    pub nonzero_reserved: Vec<(&'static str, u64)>,
    /// Bytes after the struct vcap knows, as little-endian 64-bit words (the last one padded
    /// with zeros) with their byte offset; only the non-zero ones. A later kernel's fields.
    pub trailing: Vec<(usize, u64)>,
    /// Bytes after the struct vcap knows.
    pub trailing_len: usize,
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HwInfoError {
    /// An `out_data_type` vcap does not know (0 means the driver reports no info).
    #[error(
        "out_data_type {0} is not a type vcap knows (1 INTEL_VTD, 2 ARM_SMMUV3, 3 TEGRA241_CMDQV, 4 AMD; 0 means no hardware info)"
    )]
    UnknownType(u32),
    /// Shorter than the struct: the fields it lacks are unknown.
    #[error("{ty}: {len} bytes, but the struct is {size}; missing: {missing}")]
    Short {
        /// The type's enumerator name.
        ty: &'static str,
        /// Bytes given.
        len: usize,
        /// The struct size.
        size: usize,
        /// The fields not covered.
        missing: String,
    },
}

fn le(b: &[u8], at: usize, n: usize) -> u64 {
    let mut w = [0u8; 8];
    let end = (at + n).min(b.len());
    if at < end {
        w[..end - at].copy_from_slice(&b[at..end]);
    }
    u64::from_le_bytes(w)
}

/// Decodes the bytes the kernel wrote for `out_data_type` (see the module docs for the layouts).
pub fn parse(out_data_type: u32, bytes: &[u8]) -> Result<HwInfo, HwInfoError> {
    let ty =
        HwInfoType::from_value(out_data_type).ok_or(HwInfoError::UnknownType(out_data_type))?;
    let size = ty.size();
    if bytes.len() < size {
        let missing: Vec<&str> = ty
            .fields()
            .iter()
            .filter(|(_, off, n)| off + n > bytes.len())
            .map(|(name, _, _)| *name)
            .collect();
        return Err(HwInfoError::Short {
            ty: ty.name(),
            len: bytes.len(),
            size,
            missing: missing.join(", "),
        });
    }
    let field = |name: &str| {
        ty.fields()
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(0, |&(_, off, n)| le(bytes, off, n))
    };
    let nonzero_reserved: Vec<(&'static str, u64)> = ty
        .fields()
        .iter()
        .filter(|(n, _, _)| matches!(*n, "flags" | "__reserved"))
        .map(|&(n, off, len)| (n, le(bytes, off, len)))
        .filter(|&(_, v)| v != 0)
        .collect();
    let data = match ty {
        HwInfoType::IntelVtd => {
            let mut r = RegSet::zero(Kind::IntelVtd);
            r.regs[tables::vtd::CAP] = field("cap_reg");
            r.regs[tables::vtd::ECAP] = field("ecap_reg");
            HwInfoData::Registers(r)
        }
        HwInfoType::ArmSmmuV3 => {
            let mut r = RegSet::zero(Kind::ArmSmmuV3);
            for (i, name) in ["idr[0]", "idr[1]", "idr[2]", "idr[3]", "idr[4]", "idr[5]"]
                .iter()
                .enumerate()
            {
                r.regs[i] = field(name);
            }
            r.regs[tables::smmuv3::IIDR] = field("iidr");
            r.regs[tables::smmuv3::AIDR] = field("aidr");
            HwInfoData::Registers(r)
        }
        HwInfoType::Amd => {
            let mut r = RegSet::zero(Kind::Amd);
            r.regs[tables::amd::EFR] = field("efr");
            r.regs[tables::amd::EFR2] = field("efr2");
            HwInfoData::Registers(r)
        }
        HwInfoType::Tegra241Cmdqv => HwInfoData::Tegra241(Tegra241Cmdqv {
            flags: field("flags") as u32,
            version: field("version") as u8,
            log2vcmdqs: field("log2vcmdqs") as u8,
            log2vsids: field("log2vsids") as u8,
        }),
    };
    let trailing = (size..bytes.len())
        .step_by(8)
        .map(|off| (off, le(bytes, off, 8)))
        .filter(|&(_, v)| v != 0)
        .collect();
    Ok(HwInfo {
        ty,
        data,
        nonzero_reserved,
        trailing,
        trailing_len: bytes.len() - size,
    })
}

/// Writes the struct bytes for a register set (VT-d, SMMUv3, AMD; `flags` and `__reserved` 0);
/// `None` for CPUID, which is not an IOMMU.
pub fn to_bytes(r: &RegSet) -> Option<(HwInfoType, Vec<u8>)> {
    let mut out = Vec::new();
    let ty = match r.kind {
        Kind::IntelVtd => {
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&r.regs[tables::vtd::CAP].to_le_bytes());
            out.extend_from_slice(&r.regs[tables::vtd::ECAP].to_le_bytes());
            HwInfoType::IntelVtd
        }
        Kind::ArmSmmuV3 => {
            out.extend_from_slice(&[0; 8]);
            for v in &r.regs[..8] {
                out.extend_from_slice(&(*v as u32).to_le_bytes());
            }
            HwInfoType::ArmSmmuV3
        }
        Kind::Amd => {
            out.extend_from_slice(&r.regs[tables::amd::EFR].to_le_bytes());
            out.extend_from_slice(&r.regs[tables::amd::EFR2].to_le_bytes());
            HwInfoType::Amd
        }
        Kind::X86Cpuid | Kind::Arm64Id => return None,
    };
    Some((ty, out))
}

/// Writes `struct iommu_hw_info_tegra241_cmdqv`.
pub fn tegra241_to_bytes(t: &Tegra241Cmdqv) -> Vec<u8> {
    let mut out = t.flags.to_le_bytes().to_vec();
    out.extend_from_slice(&[t.version, t.log2vcmdqs, t.log2vsids, 0]);
    out
}

/// `out_capabilities` read with each bit's polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `IOMMU_HW_CAP_DIRTY_TRACKING` set.
    pub dirty_tracking: bool,
    /// `IOMMU_HW_CAP_PCI_PASID_EXEC` set and `out_max_pasid_log2` non-zero (the kdoc: ignore the
    /// PASID bits when there is no PASID).
    pub pasid_exec: bool,
    /// `IOMMU_HW_CAP_PCI_PASID_PRIV` set and `out_max_pasid_log2` non-zero.
    pub pasid_priv: bool,
    /// `IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED` clear: ATS may be used. A kernel from before the
    /// bit reads as allowed, which is the bit's design.
    pub ats_allowed: bool,
    /// `out_max_pasid_log2`.
    pub max_pasid_log2: u8,
    /// Bits vcap does not know.
    pub unknown: u64,
}

impl Capabilities {
    /// Reads `out_capabilities` and `out_max_pasid_log2`.
    pub fn from_raw(out_capabilities: u64, out_max_pasid_log2: u8) -> Capabilities {
        let has = |c: KernelCap| out_capabilities & c.bit() != 0;
        let pasid = out_max_pasid_log2 != 0;
        let known = KernelCap::ALL.iter().fold(0, |m, c| m | c.bit());
        Capabilities {
            dirty_tracking: has(KernelCap::DirtyTracking),
            pasid_exec: pasid && has(KernelCap::PciPasidExec),
            pasid_priv: pasid && has(KernelCap::PciPasidPriv),
            ats_allowed: !has(KernelCap::PciAtsNotSupported),
            max_pasid_log2: out_max_pasid_log2,
            unknown: out_capabilities & !known,
        }
    }

    /// The `out_capabilities` bits as `--kernel-cap` / [`crate::Context::kernel_caps`] take them
    /// (the PASID bits dropped when there is no PASID).
    pub fn kernel_caps(&self) -> u64 {
        let mut v = 0;
        if self.dirty_tracking {
            v |= KernelCap::DirtyTracking.bit();
        }
        if self.pasid_exec {
            v |= KernelCap::PciPasidExec.bit();
        }
        if self.pasid_priv {
            v |= KernelCap::PciPasidPriv.bit();
        }
        if !self.ats_allowed {
            v |= KernelCap::PciAtsNotSupported.bit();
        }
        v
    }
}
