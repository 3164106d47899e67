//! IOMMU units from `/sys/class/iommu/*`: Intel VT-d (`intel-iommu/{version,cap,ecap}`, printed
//! `%d:%d` and `%llx` by drivers/iommu/intel/iommu.c), AMD-Vi (`amd-iommu/cap` `%x` and
//! `amd-iommu/features`, drivers/iommu/amd/init.c), virtio-iommu and Arm SMMU. Register fields are
//! decoded with vcap-regs' tables (`vcap_regs::Kind::IntelVtd`, `Kind::Amd`), which cite the Linux
//! macros (`cap_caching_mode`, `ecap_ir_support`, …); the AMD capability header's NpCache bit is
//! `IOMMU_CAP_NPCACHE` 26 (drivers/iommu/amd/amd_iommu_types.h).

use serde::Serialize;
use vcap_regs::field::{FieldRef, Register, amd, vtd};

/// The sysfs class directory.
pub const CLASS_DIR: &str = "/sys/class/iommu";

/// `IOMMU_CAP_NPCACHE`: the AMD IOMMU caches non-present entries (set by emulated IOMMUs; Linux
/// keyed its virtual-IR parent domain on it, `amd_iommu_np_cache`).
pub const AMD_CAP_NPCACHE: u32 = 1 << 26;

/// VT-d fields the report shows (issue 4's list), as typed handles into vcap-regs' table.
pub const VTD_CAP_FIELDS: &[FieldRef<vtd::Cap>] = &[
    vtd::cap::CM,
    vtd::cap::SAGAW,
    vtd::cap::MGAW,
    vtd::cap::ND,
    vtd::cap::PI,
    vtd::cap::FS1GP,
];

/// VT-d ECAP fields the report shows.
pub const VTD_ECAP_FIELDS: &[FieldRef<vtd::Ecap>] = &[
    vtd::ecap::IR,
    vtd::ecap::EIM,
    vtd::ecap::PT,
    vtd::ecap::SC,
    vtd::ecap::NEST,
    vtd::ecap::PRS,
    vtd::ecap::PASID,
    vtd::ecap::SMTS,
    vtd::ecap::FSTS,
];

/// AMD EFR fields the report shows.
pub const AMD_FIELDS: &[FieldRef<amd::Efr>] = &[
    amd::efr::XTSUP,
    amd::efr::GTSUP,
    amd::efr::PPRSUP,
    amd::efr::GASUP,
    amd::efr::PASMAX,
];

/// The register of a [`Unit`] a typed field handle reads: VT-d CAP/ECAP, AMD EFR.
pub trait UnitRegister: Register {
    /// The unit's value of this register, when it was read.
    fn value(u: &Unit) -> Option<u64>;
}

impl UnitRegister for vtd::Cap {
    fn value(u: &Unit) -> Option<u64> {
        (u.kind == UnitKind::IntelVtd).then_some(u.cap).flatten()
    }
}
impl UnitRegister for vtd::Ecap {
    fn value(u: &Unit) -> Option<u64> {
        (u.kind == UnitKind::IntelVtd).then_some(u.ecap).flatten()
    }
}
impl UnitRegister for amd::Efr {
    fn value(u: &Unit) -> Option<u64> {
        (u.kind == UnitKind::Amd).then_some(u.efr).flatten()
    }
}

/// Which kind of unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    /// Intel VT-d (DMAR unit).
    IntelVtd,
    /// AMD-Vi.
    Amd,
    /// virtio-iommu (always a virtual unit).
    VirtioIommu,
    /// Arm SMMU (v2 or v3).
    ArmSmmu,
    /// Something else.
    Other,
}

/// One decoded register field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldValue {
    /// `REG.NAME`.
    pub name: &'static str,
    /// Raw field value.
    pub value: u64,
    /// Where the position comes from (vcap-regs row source).
    pub source: String,
}

/// One unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Unit {
    /// Class entry name (`dmar0`, `ivhd0`, …).
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// VT-d version (`major:minor`).
    pub version: Option<String>,
    /// VT-d register base (`intel-iommu/address`, `%llx` of `reg_phys`): the DMAR DRHD address.
    pub address: Option<u64>,
    /// VT-d CAP or AMD capability header.
    pub cap: Option<u64>,
    /// VT-d ECAP.
    pub ecap: Option<u64>,
    /// AMD EFR (when it can be told apart, see [`parse_amd_features`]).
    pub efr: Option<u64>,
    /// Decoded fields.
    pub fields: Vec<FieldValue>,
}

impl Unit {
    /// The raw value of a field when its register was read (a typed handle: a field the table
    /// lacks does not compile).
    pub fn get<R: UnitRegister>(&self, f: FieldRef<R>) -> Option<u64> {
        R::value(self).map(|v| f.get(v))
    }

    /// The AMD capability header's NpCache bit (`IOMMU_CAP_NPCACHE`, bit 26), when read.
    pub fn amd_npcache(&self) -> Option<u64> {
        match self.kind {
            UnitKind::Amd => self
                .cap
                .map(|c| u64::from(c & u64::from(AMD_CAP_NPCACHE) != 0)),
            _ => None,
        }
    }

    /// Where a register value of this unit was read (`/sys/class/iommu/<name>/intel-iommu/cap`).
    pub fn register_path(&self, file: &str) -> String {
        let dir = match self.kind {
            UnitKind::Amd => "amd-iommu",
            _ => "intel-iommu",
        };
        format!("{CLASS_DIR}/{}/{dir}/{file}", self.name)
    }
}

/// Why a sysfs value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{what}")]
pub struct UnitError {
    /// What is wrong.
    pub what: String,
}

/// Parses a `%llx` register value (no `0x`, trailing newline trimmed).
pub fn parse_hex(text: &str) -> Result<u64, UnitError> {
    crate::parse::hex::parse(text, crate::parse::hex::Prefix::Optional, 64).map_err(|_| UnitError {
        what: format!("{text:?} is not a 64-bit hexadecimal register value"),
    })
}

/// AMD `features`: older kernels print `%llx` (EFR); v5.19-era kernels `features2:features`
/// (EFR2 first), later ones `efr:efr2` (`amd_iommu_efr`, `amd_iommu_efr2`). With two values the
/// order is told apart only when one of them is zero (EFR is never zero on a unit that has it):
/// otherwise the EFR is reported as unknown rather than guessed.
pub fn parse_amd_features(text: &str) -> Result<Option<u64>, UnitError> {
    match text.trim().split_once(':') {
        None => parse_hex(text).map(Some),
        Some((a, b)) => {
            let (a, b) = (parse_hex(a)?, parse_hex(b)?);
            Ok(match (a, b) {
                (0, x) | (x, 0) => Some(x),
                _ => None,
            })
        }
    }
}

fn decode<R: Register>(fields: &[FieldRef<R>], reg: Option<u64>) -> Vec<FieldValue> {
    let Some(v) = reg else {
        return Vec::new();
    };
    fields
        .iter()
        .map(|f| FieldValue {
            name: f.full_name(),
            value: f.get(v),
            source: f.field().src.to_string(),
        })
        .collect()
}

/// Builds a VT-d unit from its sysfs texts.
pub fn vtd_unit(
    name: &str,
    version: Option<&str>,
    address: Option<&str>,
    cap: Option<&str>,
    ecap: Option<&str>,
) -> Result<Unit, UnitError> {
    let address = address.map(parse_hex).transpose()?;
    let cap = cap.map(parse_hex).transpose()?;
    let ecap = ecap.map(parse_hex).transpose()?;
    Ok(Unit {
        name: name.into(),
        kind: UnitKind::IntelVtd,
        version: version.map(|v| v.trim().to_string()),
        address,
        cap,
        ecap,
        efr: None,
        fields: [decode(VTD_CAP_FIELDS, cap), decode(VTD_ECAP_FIELDS, ecap)].concat(),
    })
}

/// Builds an AMD unit from its sysfs texts.
pub fn amd_unit(name: &str, cap: Option<&str>, features: Option<&str>) -> Result<Unit, UnitError> {
    let cap = cap.map(parse_hex).transpose()?;
    if let Some(c) = cap
        && c > u64::from(u32::MAX)
    {
        return Err(UnitError {
            what: format!("capability header {c:#x} is wider than 32 bits"),
        });
    }
    let efr = features.map(parse_amd_features).transpose()?.flatten();
    let mut fields = decode(AMD_FIELDS, efr);
    if let Some(c) = cap {
        fields.insert(
            0,
            FieldValue {
                name: "CAP.NPCACHE",
                value: (c >> 26) & 1,
                source: "linux:drivers/iommu/amd/amd_iommu_types.h:IOMMU_CAP_NPCACHE".into(),
            },
        );
    }
    Ok(Unit {
        name: name.into(),
        kind: UnitKind::Amd,
        version: None,
        address: None,
        cap,
        ecap: None,
        efr,
        fields,
    })
}

/// The kind of a class entry from its name and link target (used when no register file is
/// readable): `dmarN`, `ivhdN`, a link through a virtio device, `smmu…`.
pub fn kind_of(name: &str, link: Option<&str>) -> UnitKind {
    let l = link.unwrap_or("");
    if name.starts_with("dmar") {
        UnitKind::IntelVtd
    } else if name.starts_with("ivhd") {
        UnitKind::Amd
    } else if name.starts_with("smmu") || l.contains("arm-smmu") {
        UnitKind::ArmSmmu
    } else if l.contains("/virtio") || name.starts_with("virtio") {
        UnitKind::VirtioIommu
    } else {
        UnitKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QEMU's emulated VT-d with caching-mode=on: CAP and ECAP as Linux prints them for
    /// `-device intel-iommu,intremap=on,caching-mode=on` (values computed from QEMU
    /// hw/i386/intel_iommu_internal.h are checked field by field below, not trusted).
    #[test]
    fn vtd_fields_from_the_table() {
        // CM = bit 7, SAGAW bits 12:8 = 0b00100 (48-bit), MGAW 21:16 = 38 (39-bit), ND = 6.
        let cap: u64 = (1 << 7) | (0b00100 << 8) | (38 << 16) | 6;
        // IR bit 3, EIM bit 4, PT bit 6.
        let ecap: u64 = (1 << 3) | (1 << 4) | (1 << 6);
        let u = vtd_unit(
            "dmar0",
            Some("1:0"),
            Some("fed90000"),
            Some(&format!("{cap:x}")),
            Some(&format!("{ecap:x}")),
        )
        .unwrap();
        assert_eq!(u.address, Some(0xfed9_0000));
        assert_eq!(u.get(vtd::cap::CM), Some(1));
        assert_eq!(u.get(vtd::cap::SAGAW), Some(0b00100));
        assert_eq!(u.get(vtd::cap::MGAW), Some(38));
        assert_eq!(u.get(vtd::cap::ND), Some(6));
        assert_eq!(u.get(vtd::ecap::IR), Some(1));
        assert_eq!(u.get(vtd::ecap::EIM), Some(1));
        assert_eq!(u.get(vtd::ecap::PT), Some(1));
        assert_eq!(u.get(vtd::ecap::SMTS), Some(0));
    }

    #[test]
    fn amd_features_forms() {
        assert_eq!(
            parse_amd_features("58f77ef22294a5a").unwrap(),
            Some(0x58f77ef22294a5a)
        );
        assert_eq!(
            parse_amd_features("0:58f77ef22294a5a").unwrap(),
            Some(0x58f77ef22294a5a)
        );
        assert_eq!(
            parse_amd_features("58f77ef22294a5a:0").unwrap(),
            Some(0x58f77ef22294a5a)
        );
        assert_eq!(parse_amd_features("58f77ef22294a5a:7").unwrap(), None);
        assert!(parse_amd_features("zz").is_err());
    }

    #[test]
    fn npcache() {
        let u = amd_unit("ivhd0", Some("4190b640f"), None);
        assert!(u.is_err(), "33-bit header is rejected");
        let u = amd_unit(
            "ivhd0",
            Some(&format!("{:x}", AMD_CAP_NPCACHE | 0x40f)),
            None,
        )
        .unwrap();
        assert_eq!(u.amd_npcache(), Some(1));
    }
}
