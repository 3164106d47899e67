//! PCI configuration space (`/sys/bus/pci/devices/*/config`): the capability list (MSI, MSI-X,
//! PCI Express, vendor-specific) and the extended capabilities (ATS, SR-IOV, PRI, PASID, DVSEC).
//! Every pointer is bounds-checked, a list that revisits an offset is a loop, and the walk is also
//! capped like Linux's (`PCI_FIND_CAP_TTL` 48 for the standard list, (4096 − 256) / 8 for the
//! extended one), so no input can make it run long.
//!
//! Offsets and bits: Linux `include/uapi/linux/pci_regs.h` (`PCI_STATUS_CAP_LIST`,
//! `PCI_CAPABILITY_LIST`, `PCI_CAP_ID_*`, `PCI_MSI_FLAGS_*`, `PCI_MSIX_FLAGS_*`,
//! `PCI_MSIX_TABLE_BIR`, `PCI_EXT_CAP_ID_*`, `PCI_EXT_CAP_NEXT`, `PCI_PASID_CAP_*`,
//! `PCI_SRIOV_TOTAL_VF`, `PCI_SRIOV_VF_DID`, `PCI_DVSEC_HEADER1/2`).

use serde::Serialize;

use crate::input::capture::Parts;

/// Bytes an unprivileged read of `config` returns (the standard header only).
pub const UNPRIVILEGED_LEN: usize = 64;
/// `PCI_CFG_SPACE_SIZE`.
pub const CFG_SPACE_SIZE: usize = 256;
/// `PCI_FIND_CAP_TTL`.
const CAP_TTL: usize = 48;
/// Extended capability walk limit (Linux `pci_find_next_ext_capability`).
const EXT_TTL: usize = (4096 - CFG_SPACE_SIZE) / 8;

/// Capability IDs (`PCI_CAP_ID_*`).
pub mod cap_id {
    /// Vendor specific.
    pub const VNDR: u8 = 0x09;
    /// MSI.
    pub const MSI: u8 = 0x05;
    /// PCI Express.
    pub const EXP: u8 = 0x10;
    /// MSI-X.
    pub const MSIX: u8 = 0x11;
}

/// Extended capability IDs (`PCI_EXT_CAP_ID_*`).
pub mod ext_id {
    /// Address Translation Services.
    pub const ATS: u16 = 0x0f;
    /// Single Root I/O Virtualization.
    pub const SRIOV: u16 = 0x10;
    /// Page Request Interface.
    pub const PRI: u16 = 0x13;
    /// Process Address Space ID.
    pub const PASID: u16 = 0x1b;
    /// Designated Vendor-Specific.
    pub const DVSEC: u16 = 0x23;
}

/// Why config space could not be walked; names the offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ConfigError {
    /// A pointer or field lies beyond the bytes read.
    #[error("offset {offset:#x}: {what} needs bytes up to {needed:#x}, only {have:#x} were read")]
    Short {
        /// Offset of the structure.
        offset: usize,
        /// What was being read.
        what: &'static str,
        /// End offset needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// A list revisits an offset.
    #[error(
        "offset {offset:#x}: the {list} capability list loops back to an offset already visited"
    )]
    Loop {
        /// The offset visited twice.
        offset: usize,
        /// `standard` or `extended`.
        list: &'static str,
    },
    /// A pointer is not valid (into the header, unaligned, …).
    #[error("offset {offset:#x}: {what}")]
    Bad {
        /// The offset at fault.
        offset: usize,
        /// What is wrong.
        what: String,
    },
}

impl ConfigError {
    /// True when the walk stopped only because an unprivileged read returned the 64-byte header:
    /// not malformed, just incomplete without root.
    pub fn is_unprivileged_cut(&self, len: usize) -> bool {
        matches!(self, ConfigError::Short { .. }) && len == UNPRIVILEGED_LEN
    }
}

/// MSI capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Msi {
    /// Offset of the capability.
    pub offset: usize,
    /// Vectors the device can request: 2^(QMASK) (1..=32).
    pub vectors: u8,
    /// 64-bit addresses (`PCI_MSI_FLAGS_64BIT`).
    pub addr64: bool,
    /// Per-vector masking (`PCI_MSI_FLAGS_MASKBIT`).
    pub per_vector_mask: bool,
    /// Enabled.
    pub enabled: bool,
}

/// MSI-X capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Msix {
    /// Offset of the capability.
    pub offset: usize,
    /// Table size (`PCI_MSIX_FLAGS_QSIZE` + 1).
    pub table_size: u16,
    /// BAR holding the table (`PCI_MSIX_TABLE_BIR`).
    pub table_bir: u8,
    /// Offset of the table in that BAR.
    pub table_offset: u32,
    /// BAR holding the PBA.
    pub pba_bir: u8,
    /// Offset of the PBA.
    pub pba_offset: u32,
    /// Enabled.
    pub enabled: bool,
}

/// PASID extended capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Pasid {
    /// Offset.
    pub offset: usize,
    /// Max PASID width (`PCI_PASID_CAP_WIDTH`, bits 12:8).
    pub max_width: u8,
    /// Execute permission supported.
    pub exec: bool,
    /// Privileged mode supported.
    pub privileged: bool,
    /// Enabled (`PCI_PASID_CTRL_ENABLE`).
    pub enabled: bool,
}

/// SR-IOV extended capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Sriov {
    /// Offset.
    pub offset: usize,
    /// TotalVFs.
    pub total_vfs: u16,
    /// NumVFs.
    pub num_vfs: u16,
    /// VF device ID.
    pub vf_device: u16,
}

/// A Designated Vendor-Specific Extended Capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Dvsec {
    /// Offset.
    pub offset: usize,
    /// DVSEC vendor.
    pub vendor: u16,
    /// DVSEC revision.
    pub revision: u8,
    /// DVSEC ID.
    pub id: u16,
    /// Intel Scalable IOV DVSEC (vendor 8086, ID 5): SIOVCAP bit 0, "IMS supported"
    /// (idxd `idxd_check_siov()`, "dmaengine: idxd: add IMS support in base driver", v3 2020).
    pub siov_ims: Option<bool>,
}

/// What the config space shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Config {
    /// Bytes read.
    pub len: usize,
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID.
    pub device: u16,
    /// Revision.
    pub revision: u8,
    /// Standard capability IDs in list order with offsets.
    pub caps: Vec<(u8, usize)>,
    /// Extended capability IDs in list order with offsets (empty below 256 bytes).
    pub ext_caps: Vec<(u16, usize)>,
    /// MSI.
    pub msi: Option<Msi>,
    /// MSI-X.
    pub msix: Option<Msix>,
    /// PCI Express capability present.
    pub pcie: bool,
    /// virtio-pci vendor capabilities (`cfg_type` values: 1 common, 2 notify, 3 ISR, 4 device,
    /// 5 PCI cfg; virtio 1.x §4.1.4): present only on devices with the modern interface.
    pub virtio_cfg_types: Vec<u8>,
    /// ATS.
    pub ats: bool,
    /// PRI.
    pub pri: bool,
    /// PASID.
    pub pasid: Option<Pasid>,
    /// SR-IOV.
    pub sriov: Option<Sriov>,
    /// DVSECs.
    pub dvsec: Vec<Dvsec>,
    /// True when extended space was read (at least 257 bytes).
    pub extended_read: bool,
}

/// Config space as the parser reads it: bytes in memory (a snapshot, a test), or a live sysfs
/// `config` file read field by field (vcap-probe), where every access may trap to a hypervisor.
/// The parser reads 1, 2 or 4 naturally aligned bytes at a time, and only the fields it decodes.
pub trait Space {
    /// Fills `buf` with the bytes at `offset`; false when they are not all readable.
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> bool;
    /// How many bytes are readable from offset 0.
    fn readable_len(&mut self) -> usize;
}

impl Space for &[u8] {
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> bool {
        match self.get(offset..offset + buf.len()) {
            Some(b) => {
                buf.copy_from_slice(b);
                true
            }
            None => false,
        }
    }
    fn readable_len(&mut self) -> usize {
        self.len()
    }
}

/// A [`Space`] that keeps a copy of every byte read through it. The spans kept
/// ([`Recording::into_parts`]) parse exactly like the space did: the parser is deterministic, so
/// it reads the same offsets and finds the same values there. Bytes it never read are not kept.
#[derive(Debug)]
pub struct Recording<S> {
    space: S,
    /// The bytes read, at their offsets; `None` where nothing was read.
    image: Vec<Option<u8>>,
}

impl<S: Space> Recording<S> {
    /// Records reads of `space`.
    pub fn new(space: S) -> Self {
        Recording {
            space,
            image: Vec::new(),
        }
    }

    /// The space being read.
    pub fn space(&self) -> &S {
        &self.space
    }

    /// The spans read, adjacent reads joined, with the readable length of the space.
    pub fn into_parts(mut self) -> Parts {
        let len = self.space.readable_len();
        let mut spans: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, b) in self.image.iter().enumerate() {
            let Some(b) = *b else { continue };
            match spans.last_mut() {
                Some((at, run)) if *at + run.len() == i => run.push(b),
                _ => spans.push((i, vec![b])),
            }
        }
        Parts { len, spans }
    }
}

impl<S: Space> Space for Recording<S> {
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> bool {
        if !self.space.read(offset, buf) {
            return false;
        }
        let end = offset + buf.len();
        if self.image.len() < end {
            self.image.resize(end, None);
        }
        for (slot, b) in self.image[offset..end].iter_mut().zip(buf.iter()) {
            *slot = Some(*b);
        }
        true
    }
    fn readable_len(&mut self) -> usize {
        self.space.readable_len()
    }
}

/// The spans a [`Recording`] kept, read again: a read the parser made then succeeds with the same
/// bytes, and any other read fails as past the end would.
impl Space for &Parts {
    fn read(&mut self, offset: usize, buf: &mut [u8]) -> bool {
        match self.get(offset, buf.len()) {
            Some(b) => {
                buf.copy_from_slice(b);
                true
            }
            None => false,
        }
    }
    fn readable_len(&mut self) -> usize {
        self.len
    }
}

struct R<'a>(&'a mut dyn Space);

impl R<'_> {
    fn get<const N: usize>(
        &mut self,
        off: usize,
        what: &'static str,
    ) -> Result<[u8; N], ConfigError> {
        let mut b = [0u8; N];
        if self.0.read(off, &mut b) {
            Ok(b)
        } else {
            Err(ConfigError::Short {
                offset: off,
                what,
                needed: off + N,
                have: self.0.readable_len(),
            })
        }
    }
    fn u8(&mut self, off: usize, what: &'static str) -> Result<u8, ConfigError> {
        Ok(self.get::<1>(off, what)?[0])
    }
    fn u16(&mut self, off: usize, what: &'static str) -> Result<u16, ConfigError> {
        Ok(u16::from_le_bytes(self.get(off, what)?))
    }
    fn u32(&mut self, off: usize, what: &'static str) -> Result<u32, ConfigError> {
        Ok(u32::from_le_bytes(self.get(off, what)?))
    }
}

/// Parses config space. The header fields are always returned when at least 64 bytes were read;
/// an error in a capability list is returned together with what was parsed before it.
pub fn parse(mut bytes: &[u8]) -> (Config, Option<ConfigError>) {
    parse_space(&mut bytes)
}

/// Parses config space read through `space`, reading only the fields it decodes: the header's
/// IDs, status, revision and capability pointer, each capability's header, and the bodies of the
/// capabilities in [`Config`].
pub fn parse_space(space: &mut dyn Space) -> (Config, Option<ConfigError>) {
    let mut c = Config::default();
    let mut r = R(space);
    let res = (|| -> Result<(), ConfigError> {
        let ids = r.u32(0x00, "vendor and device ID")?;
        c.vendor = ids as u16;
        c.device = (ids >> 16) as u16;
        let status = r.u16(0x06, "status")?;
        c.revision = r.u8(0x08, "revision")?;
        // PCI_STATUS_CAP_LIST
        if status & 0x10 != 0 {
            walk_standard(&mut r, &mut c)?;
        }
        if r.0.readable_len() > CFG_SPACE_SIZE {
            c.extended_read = true;
            walk_extended(&mut r, &mut c)?;
        }
        Ok(())
    })();
    c.len = r.0.readable_len();
    (c, res.err())
}

fn walk_standard(r: &mut R<'_>, c: &mut Config) -> Result<(), ConfigError> {
    let mut seen = [false; 64];
    // PCI_CAPABILITY_LIST (0x34); the low two bits are reserved.
    let mut pos = usize::from(r.u8(0x34, "capability pointer")? & 0xfc);
    let mut ttl = CAP_TTL;
    while pos != 0 {
        if pos < 0x40 {
            return Err(ConfigError::Bad {
                offset: pos,
                what: "capability pointer points into the standard header (below 0x40)".into(),
            });
        }
        if seen[pos / 4] {
            return Err(ConfigError::Loop {
                offset: pos,
                list: "standard",
            });
        }
        if ttl == 0 {
            return Err(ConfigError::Bad {
                offset: pos,
                what: format!("more than {CAP_TTL} capabilities"),
            });
        }
        ttl -= 1;
        seen[pos / 4] = true;
        // One access for the header: ID, next pointer, and the capability's first 16 bits
        // (MSI and MSI-X message control; virtio's cap_len and cfg_type). A capability starts
        // 4-byte aligned below 0x100, so the dword never crosses the standard space.
        let h = r.u32(pos, "capability header")?;
        let id = h as u8;
        let next = ((h >> 8) & 0xfc) as usize;
        let ctrl = (h >> 16) as u16;
        c.caps.push((id, pos));
        match id {
            cap_id::MSI => {
                c.msi = Some(Msi {
                    offset: pos,
                    vectors: 1u8 << ((ctrl & 0x000e) >> 1).min(5),
                    addr64: ctrl & 0x0080 != 0,
                    per_vector_mask: ctrl & 0x0100 != 0,
                    enabled: ctrl & 0x0001 != 0,
                });
            }
            cap_id::MSIX => {
                let table = r.u32(pos + 4, "MSI-X table offset/BIR")?;
                let pba = r.u32(pos + 8, "MSI-X PBA offset/BIR")?;
                c.msix = Some(Msix {
                    offset: pos,
                    table_size: (ctrl & 0x07ff) + 1,
                    table_bir: (table & 0x7) as u8,
                    table_offset: table & !0x7,
                    pba_bir: (pba & 0x7) as u8,
                    pba_offset: pba & !0x7,
                    enabled: ctrl & 0x8000 != 0,
                });
            }
            cap_id::EXP => c.pcie = true,
            // struct virtio_pci_cap: cap_vndr, cap_next, cap_len, cfg_type (offset 3).
            cap_id::VNDR if c.vendor == 0x1af4 => {
                c.virtio_cfg_types.push((h >> 24) as u8);
            }
            _ => {}
        }
        pos = next;
    }
    Ok(())
}

fn walk_extended(r: &mut R<'_>, c: &mut Config) -> Result<(), ConfigError> {
    let mut pos = CFG_SPACE_SIZE;
    let mut seen = vec![false; 1024];
    let mut ttl = EXT_TTL;
    loop {
        let h = r.u32(pos, "extended capability header")?;
        // No extended capabilities: an all-zero or all-ones header at 0x100.
        if h == 0 || h == 0xffff_ffff {
            return Ok(());
        }
        if seen[pos / 4] {
            return Err(ConfigError::Loop {
                offset: pos,
                list: "extended",
            });
        }
        if ttl == 0 {
            return Err(ConfigError::Bad {
                offset: pos,
                what: format!("more than {EXT_TTL} extended capabilities"),
            });
        }
        ttl -= 1;
        seen[pos / 4] = true;
        let id = (h & 0xffff) as u16;
        let next = ((h >> 20) & 0xffc) as usize;
        c.ext_caps.push((id, pos));
        match id {
            ext_id::ATS => c.ats = true,
            ext_id::PRI => c.pri = true,
            ext_id::PASID => {
                let w = r.u32(pos + 4, "PASID capability and control")?;
                let (cap, ctrl) = (w as u16, (w >> 16) as u16);
                c.pasid = Some(Pasid {
                    offset: pos,
                    max_width: ((cap & 0x1f00) >> 8) as u8,
                    exec: cap & 0x0002 != 0,
                    privileged: cap & 0x0004 != 0,
                    enabled: ctrl & 0x0001 != 0,
                });
            }
            ext_id::SRIOV => {
                c.sriov = Some(Sriov {
                    offset: pos,
                    total_vfs: r.u16(pos + 0x0e, "SR-IOV TotalVFs")?,
                    num_vfs: r.u16(pos + 0x10, "SR-IOV NumVFs")?,
                    vf_device: r.u16(pos + 0x1a, "SR-IOV VF device ID")?,
                });
            }
            ext_id::DVSEC => {
                let h1 = r.u32(pos + 4, "DVSEC header 1")?;
                let id = r.u16(pos + 8, "DVSEC header 2")?;
                let vendor = (h1 & 0xffff) as u16;
                let siov_ims = if vendor == 0x8086 && id == 5 {
                    Some(r.u32(pos + 0x14, "SIOV capability")? & 1 != 0)
                } else {
                    None
                };
                c.dvsec.push(Dvsec {
                    offset: pos,
                    vendor,
                    revision: ((h1 >> 16) & 0xf) as u8,
                    id,
                    siov_ims,
                });
            }
            _ => {}
        }
        if next == 0 {
            return Ok(());
        }
        if next < CFG_SPACE_SIZE {
            return Err(ConfigError::Bad {
                offset: pos,
                what: format!("next extended capability {next:#x} points below 0x100"),
            });
        }
        pos = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        b[0..2].copy_from_slice(&0x8086u16.to_le_bytes());
        b[2..4].copy_from_slice(&0x0b25u16.to_le_bytes());
        b[6] = 0x10; // status: capability list
        b
    }

    #[test]
    fn msi_msix_and_extended() {
        let mut b = base(4096);
        b[0x34] = 0x40;
        // MSI at 0x40: QMASK=5 (32 vectors), 64-bit, per-vector mask.
        b[0x40] = 0x05;
        b[0x41] = 0x50;
        b[0x42..0x44].copy_from_slice(&(0x0180u16 | (5 << 1)).to_le_bytes());
        // MSI-X at 0x50: 9 entries, table BAR 0 at 0x2000, PBA BAR 0 at 0x3000, enabled.
        b[0x50] = 0x11;
        b[0x52..0x54].copy_from_slice(&(0x8008u16).to_le_bytes());
        b[0x54..0x58].copy_from_slice(&0x2000u32.to_le_bytes());
        b[0x58..0x5c].copy_from_slice(&0x3000u32.to_le_bytes());
        // PASID at 0x100 (width 20, exec), next DVSEC at 0x110 (Intel SIOV, IMS bit).
        b[0x100..0x104].copy_from_slice(&(0x1bu32 | (1 << 16) | (0x110 << 20)).to_le_bytes());
        b[0x104..0x106].copy_from_slice(&(0x1402u16).to_le_bytes());
        b[0x110..0x114].copy_from_slice(&(0x23u32 | (1 << 16)).to_le_bytes());
        b[0x114..0x118].copy_from_slice(&(0x8086u32 | (0x18 << 20)).to_le_bytes());
        b[0x118..0x11a].copy_from_slice(&5u16.to_le_bytes());
        b[0x124] = 1;
        let (c, e) = parse(&b);
        assert_eq!(e, None);
        let msi = c.msi.unwrap();
        assert_eq!(
            (msi.vectors, msi.addr64, msi.per_vector_mask),
            (32, true, true)
        );
        let x = c.msix.unwrap();
        assert_eq!(
            (x.table_size, x.table_offset, x.pba_offset, x.enabled),
            (9, 0x2000, 0x3000, true)
        );
        let p = c.pasid.unwrap();
        assert_eq!((p.max_width, p.exec, p.privileged), (20, true, false));
        assert_eq!(c.dvsec[0].siov_ims, Some(true));
    }

    #[test]
    fn unprivileged_read_stops_without_malformed() {
        let mut b = base(64);
        b[0x34] = 0x40;
        let (c, e) = parse(&b);
        assert_eq!(c.vendor, 0x8086);
        let e = e.unwrap();
        assert!(e.is_unprivileged_cut(64), "{e}");
    }

    #[test]
    fn loop_is_detected() {
        let mut b = base(256);
        b[0x34] = 0x40;
        b[0x40] = 0x01;
        b[0x41] = 0x48;
        b[0x48] = 0x01;
        b[0x49] = 0x40;
        let (_, e) = parse(&b);
        assert_eq!(
            e,
            Some(ConfigError::Loop {
                offset: 0x40,
                list: "standard"
            })
        );
    }

    #[test]
    fn short_pointer_is_malformed_with_offset() {
        let mut b = base(128);
        b[0x34] = 0xf0;
        let (_, e) = parse(&b);
        let e = e.unwrap();
        assert!(!e.is_unprivileged_cut(128));
        assert!(matches!(e, ConfigError::Short { offset: 0xf0, .. }), "{e}");
    }

    #[test]
    fn extended_loop_is_detected() {
        let mut b = base(4096);
        b[0x100..0x104].copy_from_slice(&(0x0fu32 | (0x100 << 20)).to_le_bytes());
        let (_, e) = parse(&b);
        assert_eq!(
            e,
            Some(ConfigError::Loop {
                offset: 0x100,
                list: "extended"
            })
        );
    }
}
