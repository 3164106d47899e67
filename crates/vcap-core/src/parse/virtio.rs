//! virtio devices: the negotiated feature bits (`/sys/bus/virtio/devices/*/features`, a string of
//! `0`/`1`, character *i* = bit *i*; Linux drivers/virtio/virtio.c `features_show()`) and the
//! transport. Bits: `VIRTIO_F_VERSION_1` 32 and `VIRTIO_F_ACCESS_PLATFORM` 33
//! (`include/uapi/linux/virtio_config.h`; `VIRTIO_F_IOMMU_PLATFORM` is the old name). PCI device
//! IDs: transitional 1000h–103Fh, modern-only 1040h + device type (virtio 1.x §4.1.2).

use serde::Serialize;

/// `VIRTIO_F_VERSION_1`.
pub const F_VERSION_1: usize = 32;
/// The PCI vendor ID of virtio devices (Red Hat / Qumranet, virtio spec 1.2 4.1.2).
pub const VENDOR: u16 = 0x1af4;
/// `VIRTIO_F_ACCESS_PLATFORM`.
pub const F_ACCESS_PLATFORM: usize = 33;
/// Longest features string accepted (Linux prints 64 today, 128 with extended features).
pub const MAX_FEATURE_BITS: usize = 1024;

/// Why a features string is not usable; names the character offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("offset {offset}: {what}")]
pub struct FeaturesError {
    /// Character offset at fault.
    pub offset: usize,
    /// What is wrong.
    pub what: String,
}

/// Negotiated feature bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Features {
    /// Bits that are set.
    pub set: Vec<usize>,
    /// Number of bits in the string.
    pub width: usize,
}

impl Features {
    /// Whether bit `b` is set.
    pub fn has(&self, b: usize) -> bool {
        self.set.contains(&b)
    }
}

/// Parses the features bit string (trailing newline already trimmed).
pub fn parse_features(text: &str) -> Result<Features, FeaturesError> {
    if text.is_empty() {
        return Err(FeaturesError {
            offset: 0,
            what: "empty features string".into(),
        });
    }
    let mut set = Vec::new();
    for (i, ch) in text.chars().enumerate() {
        if i >= MAX_FEATURE_BITS {
            return Err(FeaturesError {
                offset: i,
                what: format!("longer than {MAX_FEATURE_BITS} bits"),
            });
        }
        match ch {
            '1' => set.push(i),
            '0' => {}
            c => {
                return Err(FeaturesError {
                    offset: i,
                    what: format!("{c:?} is not 0 or 1"),
                });
            }
        }
    }
    Ok(Features {
        set,
        width: text.chars().count(),
    })
}

/// PCI interface of a virtio-pci device, from its device ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PciInterface {
    /// 1000h–103Fh: transitional, offers the legacy interface (and possibly the modern one).
    Transitional,
    /// 1040h–107Fh: modern only (QEMU `disable-legacy=on`).
    Modern,
}

/// The interface a virtio PCI device ID denotes.
pub fn pci_interface(vendor: u16, device: u16) -> Option<PciInterface> {
    if vendor != 0x1af4 {
        return None;
    }
    match device {
        0x1000..=0x103f => Some(PciInterface::Transitional),
        0x1040..=0x107f => Some(PciInterface::Modern),
        _ => None,
    }
}

/// The virtio device type of a modern PCI ID (1040h + type); 23 is the IOMMU
/// (`VIRTIO_ID_IOMMU`, include/uapi/linux/virtio_ids.h).
pub fn modern_type(device: u16) -> Option<u16> {
    (0x1040..=0x107f).contains(&device).then(|| device - 0x1040)
}

/// `VIRTIO_ID_IOMMU`.
pub const ID_IOMMU: u16 = 23;

/// A virtio device's transport, from where its bus link leads (`/sys/bus/virtio/devices/*`).
/// The one classifier detection and the capability decisions both use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// virtio-pci (the link passes through a PCI function, or a `pci` host bridge node).
    Pci,
    /// virtio-mmio (a platform device: `virtio-mmio`, `/platform/`, ACPI `LNRO0005`).
    Mmio,
    /// virtio-ccw (s390 channel subsystem: `/css`, `ccw`).
    Ccw,
    /// Not recognisable from the link.
    Unknown,
}

impl Transport {
    /// The name the report uses (`pci`, `mmio`, `ccw`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Pci => "pci",
            Transport::Mmio => "mmio",
            Transport::Ccw => "ccw",
            Transport::Unknown => "unknown",
        }
    }
}

fn looks_like_bdf(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12 && b[4] == b':' && b[7] == b':' && b[10] == b'.'
}

/// The PCI function a virtio device's link passes through (the last `dddd:bb:dd.f` component):
/// its virtio-pci parent.
pub fn pci_parent(link: &str) -> Option<&str> {
    link.split('/').rev().find(|c| looks_like_bdf(c))
}

/// The transport of a virtio device from its bus link target (Linux places a virtio-pci device
/// under its PCI function, a virtio-mmio one under its platform device, a virtio-ccw one under
/// the channel subsystem: drivers/virtio/virtio_{pci_common,mmio}.c, drivers/s390/virtio/virtio_ccw.c).
pub fn transport(link: Option<&str>) -> Transport {
    match link {
        Some(l) if pci_parent(l).is_some() || l.contains("/pci") => Transport::Pci,
        Some(l)
            if l.contains("virtio-mmio") || l.contains("/platform/") || l.contains("LNRO0005") =>
        {
            Transport::Mmio
        }
        Some(l) if l.contains("/css") || l.contains("ccw") => Transport::Ccw,
        _ => Transport::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_32_33() {
        let mut s = "0".repeat(64);
        s.replace_range(32..34, "11");
        let f = parse_features(&s).unwrap();
        assert!(f.has(F_VERSION_1) && f.has(F_ACCESS_PLATFORM));
        assert_eq!(f.width, 64);
    }

    #[test]
    fn junk_names_offset() {
        let e = parse_features("0101x0").unwrap_err();
        assert_eq!(e.offset, 4);
    }

    #[test]
    fn ids() {
        assert_eq!(
            pci_interface(0x1af4, 0x1000),
            Some(PciInterface::Transitional)
        );
        assert_eq!(pci_interface(0x1af4, 0x1041), Some(PciInterface::Modern));
        assert_eq!(modern_type(0x1057), Some(ID_IOMMU));
    }

    /// Links as Linux 6.1/6.12 guests show them (tests/fixtures/qemu*/sys/bus/virtio/devices,
    /// Firecracker's virtio-mmio, s390's channel subsystem).
    #[test]
    fn one_transport_classifier() {
        for (link, t, parent) in [
            (
                "../../../devices/pci0000:00/0000:00:03.0/virtio0",
                Transport::Pci,
                Some("0000:00:03.0"),
            ),
            (
                "../../../devices/platform/4010000000.pcie/pci0000:00/0000:00:01.0/virtio1",
                Transport::Pci,
                Some("0000:00:01.0"),
            ),
            (
                "../../../devices/virtio-mmio-cmdline/virtio-mmio.0/virtio0",
                Transport::Mmio,
                None,
            ),
            (
                "../../../devices/platform/LNRO0005:00/virtio0",
                Transport::Mmio,
                None,
            ),
            (
                "../../../devices/css0/0.0.0000/0.0.0000/virtio0",
                Transport::Ccw,
                None,
            ),
            (
                "../../../devices/somewhere/virtio0",
                Transport::Unknown,
                None,
            ),
        ] {
            assert_eq!(transport(Some(link)), t, "{link}");
            assert_eq!(pci_parent(link), parent, "{link}");
        }
        assert_eq!(transport(None), Transport::Unknown);
        assert_eq!(Transport::Ccw.as_str(), "ccw");
    }
}
