//! ACPI tables that describe the IOMMU and interrupt remapping: DMAR (Intel VT-d), IVRS (AMD-Vi)
//! IORT (Arm SMMU and ITS) and VIOT (virtio-iommu endpoints). Parsed from bytes with every offset bounds-checked; the checksum
//! is verified and reported. A table whose checksum fails, whose length runs past the bytes read
//! or whose subtables overrun it is an [`AcpiError`] naming the table and the offset at fault.
//!
//! Layouts: Linux `include/acpi/actbl.h` (`struct acpi_table_header`), `include/acpi/actbl1.h`
//! (`struct acpi_table_dmar`, `acpi_dmar_header`, `acpi_dmar_hardware_unit`,
//! `acpi_dmar_device_scope`), `include/acpi/actbl2.h` (`struct acpi_table_ivrs`,
//! `acpi_ivrs_header`, `acpi_ivrs_hardware_10`, `acpi_ivrs_hardware_11`, `acpi_table_iort`,
//! `acpi_iort_node`, `acpi_iort_its_group`, `acpi_iort_smmu_v3`), `include/acpi/actbl3.h`
//! (`struct acpi_table_viot`, `acpi_viot_header`, `acpi_viot_pci_range`, `acpi_viot_mmio`,
//! `acpi_viot_virtio_iommu_pci`, `acpi_viot_virtio_iommu_mmio`), and `include/linux/dmar.h`
//! (`DMAR_INTR_REMAP`, `DMAR_X2APIC_OPT_OUT`, `DMAR_PLATFORM_OPT_IN`).

use serde::Serialize;

/// Size of `struct acpi_table_header` (actbl.h).
pub const HEADER_LEN: usize = 36;
/// Upper bound on subtables visited in one table (a table of 1 MiB of 4-byte subtables).
const MAX_SUBTABLES: usize = 1 << 18;

/// Why a table could not be used; names the table and the byte offset at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{table} at offset {offset:#x}: {what}")]
pub struct AcpiError {
    /// Table signature (`DMAR`, `IVRS`, `IORT`).
    pub table: &'static str,
    /// Byte offset at fault.
    pub offset: usize,
    /// What is wrong there.
    pub what: String,
}

/// Little-endian reads that fail with the offset instead of panicking.
#[derive(Clone, Copy)]
struct Reader<'a> {
    b: &'a [u8],
    table: &'static str,
}

impl Reader<'_> {
    fn err(&self, offset: usize, what: impl Into<String>) -> AcpiError {
        AcpiError {
            table: self.table,
            offset,
            what: what.into(),
        }
    }
    fn bytes(&self, off: usize, n: usize, field: &str) -> Result<&[u8], AcpiError> {
        off.checked_add(n)
            .and_then(|end| self.b.get(off..end))
            .ok_or_else(|| {
                self.err(
                    off,
                    format!(
                        "{field}: needs {n} bytes, the table has {} bytes",
                        self.b.len()
                    ),
                )
            })
    }
    fn u8(&self, off: usize, field: &str) -> Result<u8, AcpiError> {
        Ok(self.bytes(off, 1, field)?[0])
    }
    fn u16(&self, off: usize, field: &str) -> Result<u16, AcpiError> {
        let b = self.bytes(off, 2, field)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, off: usize, field: &str) -> Result<u32, AcpiError> {
        let b = self.bytes(off, 4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&self, off: usize, field: &str) -> Result<u64, AcpiError> {
        let b = self.bytes(off, 8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn text(&self, off: usize, n: usize, field: &str) -> Result<String, AcpiError> {
        Ok(self
            .bytes(off, n, field)?
            .iter()
            .map(|&c| {
                if c.is_ascii_graphic() || c == b' ' {
                    c as char
                } else {
                    '.'
                }
            })
            .collect())
    }
}

/// The common ACPI table header (`struct acpi_table_header`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Header {
    /// Signature (4 characters).
    pub signature: String,
    /// Table length from the header.
    pub length: u32,
    /// Table revision.
    pub revision: u8,
    /// Checksum byte.
    pub checksum: u8,
    /// True when all `length` bytes sum to zero (mod 256).
    pub checksum_ok: bool,
    /// OEM ID (6 characters; QEMU writes `BOCHS `).
    pub oem_id: String,
    /// OEM table ID (8 characters; QEMU writes `BXPC    `).
    pub oem_table_id: String,
    /// OEM revision.
    pub oem_revision: u32,
    /// Creator (ASL compiler) ID.
    pub creator_id: String,
    /// Creator revision.
    pub creator_revision: u32,
}

/// Parses and checks the header: signature, a length within the bytes read and at least the
/// header, and the checksum. Returns the header and the table's bytes (cut to `length`).
fn header<'a>(
    bytes: &'a [u8],
    sig: &'static str,
    min_len: usize,
) -> Result<(Header, Reader<'a>), AcpiError> {
    let r = Reader {
        b: bytes,
        table: sig,
    };
    let signature = r.text(0, 4, "signature")?;
    if signature != sig {
        return Err(r.err(0, format!("signature {signature:?}, expected {sig:?}")));
    }
    let length = r.u32(4, "length")?;
    if (length as usize) < min_len {
        return Err(r.err(
            4,
            format!("length {length} is shorter than the fixed part ({min_len} bytes)"),
        ));
    }
    if length as usize > bytes.len() {
        return Err(r.err(
            4,
            format!(
                "length {length} runs past the {} bytes read (truncated table)",
                bytes.len()
            ),
        ));
    }
    let body = &bytes[..length as usize];
    let sum = body.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    let h = Header {
        signature,
        length,
        revision: r.u8(8, "revision")?,
        checksum: r.u8(9, "checksum")?,
        checksum_ok: sum == 0,
        oem_id: r.text(10, 6, "OEM ID")?,
        oem_table_id: r.text(16, 8, "OEM table ID")?,
        oem_revision: r.u32(24, "OEM revision")?,
        creator_id: r.text(28, 4, "creator ID")?,
        creator_revision: r.u32(32, "creator revision")?,
    };
    if !h.checksum_ok {
        return Err(r.err(
            9,
            format!(
                "checksum mismatch: the {length} bytes sum to {sum:#04x}, not 0 (checksum byte {:#04x})",
                h.checksum
            ),
        ));
    }
    Ok((
        h,
        Reader {
            b: body,
            table: sig,
        },
    ))
}

/// Walks `type/length` subtables from `start` to the end of the table; `hdr` reads one header
/// (returning type and length), `min` is the smallest valid length. Every step advances by at
/// least `min` bytes, so the walk ends.
fn subtables<F>(
    r: Reader<'_>,
    start: usize,
    min: usize,
    mut hdr: F,
) -> Result<Vec<(usize, u16, usize)>, AcpiError>
where
    F: FnMut(&Reader<'_>, usize) -> Result<(u16, usize), AcpiError>,
{
    let mut out = Vec::new();
    let mut off = start;
    while off < r.b.len() {
        if out.len() >= MAX_SUBTABLES {
            return Err(r.err(off, "too many subtables"));
        }
        let (ty, len) = hdr(&r, off)?;
        if len < min {
            return Err(r.err(
                off,
                format!("subtable type {ty:#x} has length {len}, less than {min}"),
            ));
        }
        if off + len > r.b.len() {
            return Err(r.err(
                off,
                format!(
                    "subtable type {ty:#x} of length {len} runs past the table end ({})",
                    r.b.len()
                ),
            ));
        }
        out.push((off, ty, len));
        off += len;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// DMAR

/// DMAR flags bit 0: the platform supports interrupt remapping (`DMAR_INTR_REMAP`, dmar.h;
/// `ACPI_DMAR_INTR_REMAP`, actbl1.h).
pub const DMAR_INTR_REMAP: u8 = 1 << 0;
/// DMAR flags bit 1: firmware asks the OS not to enable x2APIC (`DMAR_X2APIC_OPT_OUT`).
pub const DMAR_X2APIC_OPT_OUT: u8 = 1 << 1;
/// DMAR flags bit 2: DMA protection is set up by firmware and the OS should keep it
/// (`DMAR_PLATFORM_OPT_IN`, dmar.h; ACPICA calls bit 2 `ACPI_DMAR_X2APIC_MODE`).
pub const DMAR_PLATFORM_OPT_IN: u8 = 1 << 2;
/// DRHD flags bit 0: the unit covers every device of its segment not listed elsewhere
/// (`ACPI_DMAR_INCLUDE_ALL`).
pub const DRHD_INCLUDE_ALL: u8 = 1;

/// One device scope entry (`struct acpi_dmar_device_scope`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceScope {
    /// Entry type: 1 endpoint, 2 bridge, 3 IOAPIC, 4 HPET, 5 ACPI namespace device
    /// (`enum acpi_dmar_scope_type`).
    pub kind: u8,
    /// Its name.
    pub kind_name: &'static str,
    /// Enumeration ID (the IOAPIC or HPET ID).
    pub enumeration_id: u8,
    /// Start bus.
    pub bus: u8,
    /// (device, function) path.
    pub path: Vec<(u8, u8)>,
}

fn scope_name(t: u8) -> &'static str {
    match t {
        1 => "pci-endpoint",
        2 => "pci-bridge",
        3 => "ioapic",
        4 => "hpet",
        5 => "acpi-namespace",
        _ => "reserved",
    }
}

/// A DMA remapping hardware unit (DRHD, `struct acpi_dmar_hardware_unit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Drhd {
    /// Offset of the subtable in the table.
    pub offset: usize,
    /// Flags (bit 0 INCLUDE_PCI_ALL).
    pub flags: u8,
    /// PCI segment.
    pub segment: u16,
    /// Register base address (what `/sys/class/iommu/dmarN/intel-iommu/address` shows).
    pub address: u64,
    /// Device scopes.
    pub scopes: Vec<DeviceScope>,
}

/// The DMAR table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Dmar {
    /// Common header.
    pub header: Header,
    /// Host address width (the field holds width − 1; this is the width).
    pub host_address_width: u16,
    /// Raw flags byte.
    pub flags: u8,
    /// INTR_REMAP.
    pub intr_remap: bool,
    /// X2APIC_OPT_OUT.
    pub x2apic_opt_out: bool,
    /// DMA_CTRL_PLATFORM_OPT_IN.
    pub platform_opt_in: bool,
    /// Hardware units.
    pub drhd: Vec<Drhd>,
    /// Reserved memory regions (RMRR).
    pub rmrr: usize,
    /// Root-port ATS structures (ATSR).
    pub atsr: usize,
    /// Other subtables (RHSA, ANDD, SATC, SIDP, reserved) by type.
    pub other: Vec<u16>,
}

/// Parses a DMAR table.
pub fn parse_dmar(bytes: &[u8]) -> Result<Dmar, AcpiError> {
    let (header, r) = header(bytes, "DMAR", 48)?;
    let width = r.u8(36, "host address width")?;
    let flags = r.u8(37, "flags")?;
    let mut d = Dmar {
        header,
        host_address_width: u16::from(width) + 1,
        flags,
        intr_remap: flags & DMAR_INTR_REMAP != 0,
        x2apic_opt_out: flags & DMAR_X2APIC_OPT_OUT != 0,
        platform_opt_in: flags & DMAR_PLATFORM_OPT_IN != 0,
        drhd: Vec::new(),
        rmrr: 0,
        atsr: 0,
        other: Vec::new(),
    };
    let subs = subtables(r, 48, 4, |r, off| {
        Ok((
            r.u16(off, "subtable type")?,
            usize::from(r.u16(off + 2, "subtable length")?),
        ))
    })?;
    for (off, ty, len) in subs {
        match ty {
            0 => {
                if len < 16 {
                    return Err(r.err(off, format!("DRHD length {len} is less than 16")));
                }
                let mut scopes = Vec::new();
                let mut s = off + 16;
                let end = off + len;
                while s < end {
                    let kind = r.u8(s, "device scope type")?;
                    let slen = usize::from(r.u8(s + 1, "device scope length")?);
                    if slen < 6 || s + slen > end {
                        return Err(r.err(
                            s,
                            format!(
                                "device scope length {slen} (minimum 6) does not fit the DRHD ending at {end:#x}"
                            ),
                        ));
                    }
                    let mut path = Vec::new();
                    let mut p = s + 6;
                    while p + 2 <= s + slen {
                        path.push((r.u8(p, "path device")?, r.u8(p + 1, "path function")?));
                        p += 2;
                    }
                    scopes.push(DeviceScope {
                        kind,
                        kind_name: scope_name(kind),
                        enumeration_id: r.u8(s + 4, "enumeration ID")?,
                        bus: r.u8(s + 5, "bus")?,
                        path,
                    });
                    s += slen;
                }
                d.drhd.push(Drhd {
                    offset: off,
                    flags: r.u8(off + 4, "DRHD flags")?,
                    segment: r.u16(off + 6, "DRHD segment")?,
                    address: r.u64(off + 8, "DRHD register base")?,
                    scopes,
                });
            }
            1 => d.rmrr += 1,
            2 => d.atsr += 1,
            t => d.other.push(t),
        }
    }
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// IVRS

/// IVinfo bit 0: IVHD type 11h/40h carry the EFR image (`IOMMU_IVINFO_EFRSUP`,
/// drivers/iommu/amd/amd_iommu_types.h).
pub const IVINFO_EFRSUP: u32 = 1 << 0;
/// IVinfo bit 1: firmware asks for DMA remapping (`IOMMU_IVINFO_DMA_REMAP`).
pub const IVINFO_DMA_REMAP: u32 = 1 << 1;

/// One IOMMU definition block (IVHD types 10h, 11h, 40h).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ivhd {
    /// Offset in the table.
    pub offset: usize,
    /// IVHD type (0x10, 0x11, 0x40).
    pub kind: u8,
    /// IVHD flags.
    pub flags: u8,
    /// The IOMMU's own PCI device ID (BDF).
    pub device_id: u16,
    /// Capability offset in its config space.
    pub capability_offset: u16,
    /// MMIO base address.
    pub base_address: u64,
    /// PCI segment group.
    pub segment: u16,
    /// IOMMU feature reporting (type 10h) or attributes (11h/40h).
    pub feature_or_attributes: u32,
    /// EFR register image (types 11h/40h only).
    pub efr: Option<u64>,
    /// EFR2 register image (types 11h/40h only; ACPICA calls it reserved).
    pub efr2: Option<u64>,
    /// Device entries.
    pub device_entries: usize,
    /// IOAPIC special entries (type 48h, variety 1): needed by Linux to enable remapping.
    pub ioapics: usize,
}

/// The IVRS table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Ivrs {
    /// Common header.
    pub header: Header,
    /// IVinfo.
    pub ivinfo: u32,
    /// EFRSup.
    pub efr_sup: bool,
    /// DMA remap requested.
    pub dma_remap: bool,
    /// IOMMU definition blocks.
    pub ivhd: Vec<Ivhd>,
    /// Memory definition blocks (IVMD 20h–22h).
    pub ivmd: usize,
}

/// Length of an IVHD device entry (Linux `ivhd_entry_length()`, drivers/iommu/amd/init.c): the top
/// two type bits encode 4, 8, 16 or 32 bytes; type F0h (ACPI HID) is 22 bytes plus its UID.
fn ivhd_entry_len(r: &Reader<'_>, off: usize, ty: u8) -> Result<usize, AcpiError> {
    if ty < 0x80 {
        Ok(4usize << (ty >> 6))
    } else if ty == 0xf0 {
        Ok(22 + usize::from(r.u8(off + 21, "ACPI HID entry UID length")?))
    } else {
        Err(r.err(
            off,
            format!("device entry type {ty:#x} has no defined length"),
        ))
    }
}

/// Parses an IVRS table.
pub fn parse_ivrs(bytes: &[u8]) -> Result<Ivrs, AcpiError> {
    let (header, r) = header(bytes, "IVRS", 48)?;
    let ivinfo = r.u32(36, "IVinfo")?;
    let mut v = Ivrs {
        header,
        ivinfo,
        efr_sup: ivinfo & IVINFO_EFRSUP != 0,
        dma_remap: ivinfo & IVINFO_DMA_REMAP != 0,
        ivhd: Vec::new(),
        ivmd: 0,
    };
    let subs = subtables(r, 48, 8, |r, off| {
        Ok((
            u16::from(r.u8(off, "subtable type")?),
            usize::from(r.u16(off + 2, "subtable length")?),
        ))
    })?;
    for (off, ty, len) in subs {
        let ty = ty as u8;
        match ty {
            0x10 | 0x11 | 0x40 => {
                let fixed = if ty == 0x10 { 24 } else { 40 };
                if len < fixed {
                    return Err(r.err(
                        off,
                        format!("IVHD type {ty:#x} length {len} is less than {fixed}"),
                    ));
                }
                let mut h = Ivhd {
                    offset: off,
                    kind: ty,
                    flags: r.u8(off + 1, "IVHD flags")?,
                    device_id: r.u16(off + 4, "IVHD device ID")?,
                    capability_offset: r.u16(off + 6, "IVHD capability offset")?,
                    base_address: r.u64(off + 8, "IVHD base address")?,
                    segment: r.u16(off + 16, "IVHD segment")?,
                    feature_or_attributes: r.u32(off + 20, "IVHD feature reporting")?,
                    efr: None,
                    efr2: None,
                    device_entries: 0,
                    ioapics: 0,
                };
                if ty != 0x10 {
                    h.efr = Some(r.u64(off + 24, "IVHD EFR image")?);
                    h.efr2 = Some(r.u64(off + 32, "IVHD EFR2 image")?);
                }
                let end = off + len;
                let mut e = off + fixed;
                while e < end {
                    let et = r.u8(e, "device entry type")?;
                    let elen = ivhd_entry_len(&r, e, et)?;
                    if e + elen > end {
                        return Err(r.err(
                            e,
                            format!(
                                "device entry type {et:#x} of {elen} bytes runs past the IVHD ending at {end:#x}"
                            ),
                        ));
                    }
                    if et == 0x48 && r.u8(e + 7, "special entry variety")? == 1 {
                        h.ioapics += 1;
                    }
                    h.device_entries += 1;
                    e += elen;
                }
                v.ivhd.push(h);
            }
            0x20..=0x22 => v.ivmd += 1,
            _ => {}
        }
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// IORT

/// One IORT node of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IortNode {
    /// Offset in the table.
    pub offset: usize,
    /// Node type: 0 ITS group, 1 named component, 2 root complex, 3 SMMUv1/v2, 4 SMMUv3,
    /// 5 PMCG, 6 RMR (`enum acpi_iort_node_type`).
    pub kind: u8,
    /// Its name.
    pub kind_name: &'static str,
    /// Node revision.
    pub revision: u8,
    /// ID mappings.
    pub mapping_count: u32,
    /// SMMU base address (types 3 and 4).
    pub base_address: Option<u64>,
    /// SMMUv3 model (type 4: 0 generic, 1 HiSilicon Hi161x, 2 Cavium CN99xx).
    pub model: Option<u32>,
    /// ITS count (type 0).
    pub its_count: Option<u32>,
    /// Root complex ATS attribute (type 2, bit 0 ATS supported).
    pub ats_attribute: Option<u32>,
}

fn iort_name(t: u8) -> &'static str {
    match t {
        0 => "its-group",
        1 => "named-component",
        2 => "root-complex",
        3 => "smmu-v1-v2",
        4 => "smmu-v3",
        5 => "pmcg",
        6 => "rmr",
        _ => "reserved",
    }
}

/// The IORT table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Iort {
    /// Common header.
    pub header: Header,
    /// Nodes.
    pub nodes: Vec<IortNode>,
}

impl Iort {
    /// Nodes of one type.
    pub fn count(&self, kind: u8) -> usize {
        self.nodes.iter().filter(|n| n.kind == kind).count()
    }
}

/// Parses an IORT table. Nodes are visited from `node_offset`, at most `node_count` of them.
pub fn parse_iort(bytes: &[u8]) -> Result<Iort, AcpiError> {
    let (header, r) = header(bytes, "IORT", 48)?;
    let count = r.u32(36, "node count")? as usize;
    let first = r.u32(40, "node offset")? as usize;
    if count > 0 && first < 48 {
        return Err(r.err(40, format!("node offset {first:#x} points into the header")));
    }
    let mut nodes = Vec::new();
    let mut off = first;
    for i in 0..count {
        if off >= r.b.len() {
            // The first node's position comes from the node-offset field: name that field.
            return Err(r.err(
                if i == 0 { 40 } else { off },
                format!(
                    "node {i} of {count} starts past the table end ({})",
                    r.b.len()
                ),
            ));
        }
        let kind = r.u8(off, "node type")?;
        let len = usize::from(r.u16(off + 1, "node length")?);
        if len < 16 || off + len > r.b.len() {
            return Err(r.err(
                off,
                format!(
                    "node {i} (type {kind}) length {len} is under 16 or runs past the table end"
                ),
            ));
        }
        let body = |rel: usize, n: usize| rel + n <= len;
        let mut node = IortNode {
            offset: off,
            kind,
            kind_name: iort_name(kind),
            revision: r.u8(off + 3, "node revision")?,
            mapping_count: r.u32(off + 8, "node mapping count")?,
            base_address: None,
            model: None,
            its_count: None,
            ats_attribute: None,
        };
        match kind {
            0 if body(16, 4) => node.its_count = Some(r.u32(off + 16, "ITS count")?),
            2 if body(24, 4) => node.ats_attribute = Some(r.u32(off + 24, "ATS attribute")?),
            3 if body(16, 8) => node.base_address = Some(r.u64(off + 16, "SMMU base")?),
            4 if body(40, 4) => {
                node.base_address = Some(r.u64(off + 16, "SMMUv3 base")?);
                node.model = Some(r.u32(off + 40, "SMMUv3 model")?);
            }
            0 | 2 | 3 | 4 => {
                return Err(r.err(
                    off,
                    format!("node {i} (type {kind}) length {len} is too short for its fields"),
                ));
            }
            _ => {}
        }
        nodes.push(node);
        off += len;
    }
    Ok(Iort { header, nodes })
}

// ---------------------------------------------------------------------------------------------
// VIOT

/// One VIOT node (`enum acpi_viot_node_type`, include/acpi/actbl3.h; ACPI 6.4 section 5.2.30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ViotNode {
    /// Type 1, `struct acpi_viot_pci_range`: PCI endpoints `segment_start..=segment_end`,
    /// `bdf_start..=bdf_end`, translated by the IOMMU node at `output_node`.
    PciRange {
        /// Offset in the table.
        offset: usize,
        /// The endpoint ID of the first function.
        endpoint_start: u32,
        /// First PCI segment.
        segment_start: u16,
        /// Last PCI segment.
        segment_end: u16,
        /// First bus/device/function (`bus << 8 | dev << 3 | fn`).
        bdf_start: u16,
        /// Last bus/device/function.
        bdf_end: u16,
        /// Offset of the IOMMU node that translates them.
        output_node: u16,
    },
    /// Type 2, `struct acpi_viot_mmio`: one MMIO endpoint (a virtio-mmio device at `base_address`).
    Mmio {
        /// Offset in the table.
        offset: usize,
        /// Its endpoint ID.
        endpoint: u32,
        /// The endpoint's MMIO base.
        base_address: u64,
        /// Offset of the IOMMU node.
        output_node: u16,
    },
    /// Type 3, `struct acpi_viot_virtio_iommu_pci`: a virtio-iommu that is a PCI function.
    VirtioIommuPci {
        /// Offset in the table.
        offset: usize,
        /// Its PCI segment.
        segment: u16,
        /// Its bus/device/function.
        bdf: u16,
    },
    /// Type 4, `struct acpi_viot_virtio_iommu_mmio`: a virtio-iommu on virtio-mmio.
    VirtioIommuMmio {
        /// Offset in the table.
        offset: usize,
        /// Its MMIO base.
        base_address: u64,
    },
    /// Any other type (reserved): kept with its offset and skipped by its length.
    Reserved {
        /// Offset in the table.
        offset: usize,
        /// The type byte.
        kind: u8,
    },
}

impl ViotNode {
    /// The node's offset in the table (what `output_node` refers to).
    pub fn offset(&self) -> usize {
        match self {
            ViotNode::PciRange { offset, .. }
            | ViotNode::Mmio { offset, .. }
            | ViotNode::VirtioIommuPci { offset, .. }
            | ViotNode::VirtioIommuMmio { offset, .. }
            | ViotNode::Reserved { offset, .. } => *offset,
        }
    }
}

/// The VIOT table (Virtual I/O Translation: which endpoints a paravirtual IOMMU translates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Viot {
    /// Common header.
    pub header: Header,
    /// Nodes, in table order.
    pub nodes: Vec<ViotNode>,
}

/// Formats a segment and a 16-bit BDF as sysfs does (`0000:00:02.0`).
pub fn bdf_name(segment: u16, bdf: u16) -> String {
    format!(
        "{segment:04x}:{:02x}:{:02x}.{:x}",
        bdf >> 8,
        (bdf >> 3) & 0x1f,
        bdf & 7
    )
}

/// Parses a sysfs PCI address (`0000:00:02.0`) into its segment and 16-bit BDF.
pub fn parse_bdf(name: &str) -> Option<(u16, u16)> {
    let (seg, rest) = name.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (dev, func) = rest.split_once('.')?;
    use crate::parse::hex::{Prefix, parse};
    let field = |t: &str, bits| {
        (t.trim_ascii() == t)
            .then(|| parse(t, Prefix::Forbidden, bits).ok())
            .flatten()
    };
    let seg = u16::try_from(field(seg, 16)?).ok()?;
    let bus = u16::try_from(field(bus, 8)?).ok()?;
    let dev = u16::try_from(field(dev, 5)?).ok()?;
    let func = u16::try_from(field(func, 3)?).ok()?;
    Some((seg, (bus << 8) | (dev << 3) | func))
}

impl Viot {
    /// The IOMMU node translating PCI function `bdf` (sysfs spelling), and the range node that
    /// says so: Linux `viot_pci_dev_iommu_init()` (drivers/acpi/viot.c) matches
    /// `segment_start <= domain <= segment_end` and `bdf_start <= dev_id <= bdf_end`.
    pub fn pci_iommu(&self, bdf: &str) -> Option<(&ViotNode, &ViotNode)> {
        let (seg, id) = parse_bdf(bdf)?;
        self.nodes.iter().find_map(|n| match n {
            ViotNode::PciRange {
                segment_start,
                segment_end,
                bdf_start,
                bdf_end,
                output_node,
                ..
            } if (*segment_start..=*segment_end).contains(&seg)
                && (*bdf_start..=*bdf_end).contains(&id) =>
            {
                let iommu = self
                    .nodes
                    .iter()
                    .find(|m| m.offset() == usize::from(*output_node))?;
                Some((n, iommu))
            }
            _ => None,
        })
    }

    /// The PCI functions that are virtio-iommus, in sysfs spelling.
    pub fn iommu_functions(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                ViotNode::VirtioIommuPci { segment, bdf, .. } => Some(bdf_name(*segment, *bdf)),
                _ => None,
            })
            .collect()
    }
}

/// Parses a VIOT table: the 48-byte fixed part (`node_count` at 36, `node_offset` at 38), then
/// `node_count` nodes of `struct acpi_viot_header` (type, reserved, length), each bounded by the
/// table and at least as long as its type's structure (24 bytes for types 1 and 2, 16 for 3 and 4).
pub fn parse_viot(bytes: &[u8]) -> Result<Viot, AcpiError> {
    let (header, r) = header(bytes, "VIOT", 48)?;
    let count = usize::from(r.u16(36, "node count")?);
    let first = usize::from(r.u16(38, "node offset")?);
    if count > 0 && first < 48 {
        return Err(r.err(38, format!("node offset {first:#x} points into the header")));
    }
    let mut nodes = Vec::new();
    let mut off = first;
    for i in 0..count {
        if off >= r.b.len() {
            return Err(r.err(
                if i == 0 { 38 } else { off },
                format!(
                    "node {i} of {count} starts past the table end ({})",
                    r.b.len()
                ),
            ));
        }
        let kind = r.u8(off, "node type")?;
        let len = usize::from(r.u16(off + 2, "node length")?);
        let need = match kind {
            1 | 2 => 24,
            3 | 4 => 16,
            _ => 4,
        };
        if len < need || off.checked_add(len).is_none_or(|end| end > r.b.len()) {
            return Err(r.err(
                off + 2,
                format!(
                    "node {i} (type {kind}) length {len} is under {need} or runs past the table end ({})",
                    r.b.len()
                ),
            ));
        }
        nodes.push(match kind {
            1 => ViotNode::PciRange {
                offset: off,
                endpoint_start: r.u32(off + 4, "PCI range endpoint start")?,
                segment_start: r.u16(off + 8, "PCI range segment start")?,
                segment_end: r.u16(off + 10, "PCI range segment end")?,
                bdf_start: r.u16(off + 12, "PCI range BDF start")?,
                bdf_end: r.u16(off + 14, "PCI range BDF end")?,
                output_node: r.u16(off + 16, "PCI range output node")?,
            },
            2 => ViotNode::Mmio {
                offset: off,
                endpoint: r.u32(off + 4, "MMIO endpoint")?,
                base_address: r.u64(off + 8, "MMIO base address")?,
                output_node: r.u16(off + 16, "MMIO output node")?,
            },
            3 => ViotNode::VirtioIommuPci {
                offset: off,
                segment: r.u16(off + 4, "virtio-iommu PCI segment")?,
                bdf: r.u16(off + 6, "virtio-iommu PCI BDF")?,
            },
            4 => ViotNode::VirtioIommuMmio {
                offset: off,
                base_address: r.u64(off + 8, "virtio-iommu MMIO base address")?,
            },
            k => ViotNode::Reserved {
                offset: off,
                kind: k,
            },
        });
        off += len;
    }
    Ok(Viot { header, nodes })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a table with a valid checksum.
    pub(crate) fn table(sig: &[u8; 4], body: &[u8], oem: &[u8; 6]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(sig);
        t.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_le_bytes());
        t.push(1);
        t.push(0);
        t.extend_from_slice(oem);
        t.extend_from_slice(b"TESTTBL ");
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(b"TEST");
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(body);
        let sum = t.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        t[9] = 0u8.wrapping_sub(sum);
        t
    }

    pub(crate) fn dmar_body(flags: u8) -> Vec<u8> {
        let mut b = vec![38, flags];
        b.extend_from_slice(&[0; 10]);
        // DRHD, INCLUDE_ALL, segment 0, base fed90000, one IOAPIC scope (id 2, bus f0, 1f.0).
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&24u16.to_le_bytes());
        b.extend_from_slice(&[1, 0, 0, 0]);
        b.extend_from_slice(&0xfed9_0000u64.to_le_bytes());
        b.extend_from_slice(&[3, 8, 0, 0, 2, 0xf0, 0x1f, 0]);
        b
    }

    /// QEMU 10.0.2's VIOT for `-device virtio-iommu-pci` on q35 and on arm64 `virt` (the same
    /// 88 bytes in both guests: tests/fixtures/qemu10-*virtio-iommu/guest-raw/), against the
    /// layout of include/acpi/actbl3.h and QEMU hw/acpi/viot.c `build_pci_host_range()`.
    #[test]
    fn viot_of_the_qemu10_guests() {
        for fixture in ["qemu10-virtio-iommu", "qemu10-arm64-virtio-iommu"] {
            let path = format!(
                "{}/../../tests/fixtures/{fixture}/guest-raw/sys__firmware__acpi__tables__VIOT.file",
                env!("CARGO_MANIFEST_DIR")
            );
            let bytes = std::fs::read(&path).unwrap();
            let v = parse_viot(&bytes).unwrap();
            assert_eq!(v.header.length, 88);
            assert_eq!(v.header.oem_id.trim(), "BOCHS");
            assert_eq!(
                v.nodes,
                vec![
                    ViotNode::VirtioIommuPci {
                        offset: 0x30,
                        segment: 0,
                        bdf: 0x10
                    },
                    ViotNode::PciRange {
                        offset: 0x40,
                        endpoint_start: 0,
                        segment_start: 0,
                        segment_end: 0,
                        bdf_start: 0,
                        bdf_end: 0xff,
                        output_node: 0x30
                    }
                ]
            );
            assert_eq!(v.iommu_functions(), ["0000:00:02.0"]);
            let (range, iommu) = v.pci_iommu("0000:00:1f.2").unwrap();
            assert_eq!((range.offset(), iommu.offset()), (0x40, 0x30));
            assert!(
                v.pci_iommu("0000:01:00.0").is_none(),
                "bus 1 is outside 0..=0xff"
            );
            assert!(v.pci_iommu("0001:00:00.0").is_none(), "segment 1");
            // Every truncation is an error naming an offset, never a panic.
            for n in 0..bytes.len() {
                let mut t = bytes[..n].to_vec();
                if n >= 8 {
                    t[4..8].copy_from_slice(&(n as u32).to_le_bytes());
                }
                assert!(parse_viot(&t).is_err(), "{n} bytes");
            }
        }
        assert_eq!(parse_bdf("0000:00:02.0"), Some((0, 0x10)));
        assert_eq!(bdf_name(0, 0x10), "0000:00:02.0");
        assert_eq!(parse_bdf("0000:00:20.0"), None);
    }

    /// A VIOT with one node of each type, every field a distinct value, decoded field by field
    /// at the offsets of include/acpi/actbl3.h (`acpi_viot_pci_range`: endpoint_start 4,
    /// segment_start 8, segment_end 10, bdf_start 12, bdf_end 14, output_node 16;
    /// `acpi_viot_mmio`: endpoint 4, base_address 8, output_node 16; `acpi_viot_virtio_iommu_pci`:
    /// segment 4, bdf 6; `acpi_viot_virtio_iommu_mmio`: base_address 8).
    #[test]
    fn viot_every_node_type_and_field() {
        let mut body = vec![0u8; 12];
        body[0] = 4;
        body[2] = 48;
        let mut pci = vec![0u8; 24];
        pci[0] = 1;
        pci[2] = 24;
        pci[4..8].copy_from_slice(&0x1122_3344u32.to_le_bytes());
        for (at, v) in [
            (8, 0x0102u16),
            (10, 0x0304),
            (12, 0x0506),
            (14, 0x0708),
            (16, 0x60),
        ] {
            pci[at..at + 2].copy_from_slice(&v.to_le_bytes());
        }
        let mut mmio = vec![0u8; 24];
        mmio[0] = 2;
        mmio[2] = 24;
        mmio[4..8].copy_from_slice(&0x5566_7788u32.to_le_bytes());
        mmio[8..16].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
        mmio[16..18].copy_from_slice(&0x70u16.to_le_bytes());
        let mut vpci = vec![0u8; 16];
        vpci[0] = 3;
        vpci[2] = 16;
        vpci[4..6].copy_from_slice(&0x0a0bu16.to_le_bytes());
        vpci[6..8].copy_from_slice(&0x0c0du16.to_le_bytes());
        let mut vmmio = vec![0u8; 16];
        vmmio[0] = 4;
        vmmio[2] = 16;
        vmmio[8..16].copy_from_slice(&0x99aa_bbcc_ddee_ff00u64.to_le_bytes());
        for n in [&pci, &mmio, &vpci, &vmmio] {
            body.extend_from_slice(n);
        }
        let v = parse_viot(&table(b"VIOT", &body, b"BOCHS ")).unwrap();
        assert_eq!(
            v.nodes,
            vec![
                ViotNode::PciRange {
                    offset: 0x30,
                    endpoint_start: 0x1122_3344,
                    segment_start: 0x0102,
                    segment_end: 0x0304,
                    bdf_start: 0x0506,
                    bdf_end: 0x0708,
                    output_node: 0x60
                },
                ViotNode::Mmio {
                    offset: 0x48,
                    endpoint: 0x5566_7788,
                    base_address: 0x1122_3344_5566_7788,
                    output_node: 0x70
                },
                ViotNode::VirtioIommuPci {
                    offset: 0x60,
                    segment: 0x0a0b,
                    bdf: 0x0c0d
                },
                ViotNode::VirtioIommuMmio {
                    offset: 0x70,
                    base_address: 0x99aa_bbcc_ddee_ff00
                },
            ]
        );
        // A virtio-iommu node shorter than its 16 bytes is refused.
        let mut short = body.clone();
        short[60 + 2] = 8;
        let e = parse_viot(&table(b"VIOT", &short, b"BOCHS ")).unwrap_err();
        assert!(e.to_string().contains("under 16"), "{e}");
        // Nodes may not start inside the 48-byte fixed part; with no nodes the offset is moot.
        let mut inside = body.clone();
        inside[2] = 47;
        let e = parse_viot(&table(b"VIOT", &inside, b"BOCHS ")).unwrap_err();
        assert_eq!(e.offset, 38, "{e}");
        assert!(e.to_string().contains("points into the header"), "{e}");
        let mut none = vec![0u8; 12];
        none[2] = 0;
        assert_eq!(
            parse_viot(&table(b"VIOT", &none, b"BOCHS ")).unwrap().nodes,
            vec![]
        );
    }

    #[test]
    fn viot_node_lengths_are_checked() {
        // One PCI range node claiming 16 bytes (under its 24).
        let mut body = vec![0u8; 12];
        body[0] = 1;
        body[2] = 48;
        let mut node = vec![0u8; 24];
        node[0] = 1;
        node[2] = 16;
        body.extend_from_slice(&node);
        let t = table(b"VIOT", &body, b"BOCHS ");
        let e = parse_viot(&t).unwrap_err();
        assert_eq!(e.offset, 50, "{e}");
        assert!(e.to_string().contains("under 24"), "{e}");
    }

    #[test]
    fn dmar_flags_and_scopes() {
        let t = table(b"DMAR", &dmar_body(0x03), b"INTEL ");
        let d = parse_dmar(&t).unwrap();
        assert!(d.header.checksum_ok);
        assert_eq!(d.host_address_width, 39);
        assert!(d.intr_remap && d.x2apic_opt_out && !d.platform_opt_in);
        assert_eq!(d.drhd.len(), 1);
        assert_eq!(d.drhd[0].address, 0xfed9_0000);
        assert_eq!(d.drhd[0].scopes[0].kind_name, "ioapic");
        assert_eq!(d.drhd[0].scopes[0].path, vec![(0x1f, 0)]);
    }

    #[test]
    fn checksum_and_truncation_are_errors_with_offsets() {
        let mut t = table(b"DMAR", &dmar_body(1), b"INTEL ");
        t[40] ^= 0xff;
        let e = parse_dmar(&t).unwrap_err();
        assert_eq!(e.offset, 9);
        let t = table(b"DMAR", &dmar_body(1), b"INTEL ");
        let e = parse_dmar(&t[..60]).unwrap_err();
        assert_eq!(e.offset, 4, "{e}");
    }

    #[test]
    fn overrunning_scope_is_named() {
        let mut body = dmar_body(1);
        body[12 + 16 + 1] = 40; // scope length 40 inside a 24-byte DRHD
        let t = table(b"DMAR", &body, b"INTEL ");
        let e = parse_dmar(&t).unwrap_err();
        assert_eq!(e.offset, 48 + 16);
    }

    #[test]
    fn zero_length_subtable_does_not_hang() {
        let mut body = dmar_body(1);
        body[14] = 0;
        body[15] = 0;
        let t = table(b"DMAR", &body, b"INTEL ");
        assert!(parse_dmar(&t).is_err());
    }

    #[test]
    fn ivrs_type_11_efr() {
        let mut b = Vec::new();
        b.extend_from_slice(&(IVINFO_EFRSUP | 0x0020_3040).to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        let mut ivhd = vec![0x11, 0xb0];
        ivhd.extend_from_slice(&48u16.to_le_bytes());
        ivhd.extend_from_slice(&2u16.to_le_bytes());
        ivhd.extend_from_slice(&0x40u16.to_le_bytes());
        ivhd.extend_from_slice(&0xfd20_0000u64.to_le_bytes());
        ivhd.extend_from_slice(&0u16.to_le_bytes());
        ivhd.extend_from_slice(&0u16.to_le_bytes());
        ivhd.extend_from_slice(&0u32.to_le_bytes());
        ivhd.extend_from_slice(&0x0002_4657_7efa_2a5a_u64.to_le_bytes());
        ivhd.extend_from_slice(&0u64.to_le_bytes());
        ivhd.extend_from_slice(&[0x48, 0, 0, 0xd7, 0x21, 0xa0, 0, 1]); // IOAPIC special
        b.extend_from_slice(&ivhd);
        let t = table(b"IVRS", &b, b"AMD   ");
        let v = parse_ivrs(&t).unwrap();
        assert!(v.efr_sup);
        assert_eq!(v.ivhd[0].efr, Some(0x0002_4657_7efa_2a5a));
        assert_eq!(v.ivhd[0].ioapics, 1);
    }

    /// QEMU's arm64 `virt` IORT (revision 3): an ITS group and a root complex, the 128 bytes
    /// of the iasl "Raw Table Data" of QEMU's tests/data/acpi/virt/IORT as posted on qemu-devel.
    const QEMU_VIRT_IORT: [u8; 128] = [
        0x49, 0x4F, 0x52, 0x54, 0x80, 0x00, 0x00, 0x00, 0x03, 0xB3, 0x42, 0x4F, 0x43, 0x48, 0x53,
        0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58,
        0x50, 0x43, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x38, 0x00,
        0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn qemu_virt_iort_real_bytes() {
        let i = parse_iort(&QEMU_VIRT_IORT).unwrap();
        assert!(i.header.checksum_ok);
        assert_eq!(i.header.oem_id, "BOCHS ");
        assert_eq!(i.nodes.len(), 2);
        assert_eq!(
            (i.nodes[0].kind_name, i.nodes[0].its_count),
            ("its-group", Some(1))
        );
        assert_eq!(
            (
                i.nodes[1].kind_name,
                i.nodes[1].ats_attribute,
                i.nodes[1].mapping_count
            ),
            ("root-complex", Some(0), 1)
        );
        assert_eq!(i.count(4), 0, "no SMMUv3 in the default virt machine");
    }

    #[test]
    fn iort_smmuv3_and_its() {
        let mut b = Vec::new();
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&48u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        let mut its = vec![0u8, 24, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        its.extend_from_slice(&1u32.to_le_bytes());
        its.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&its);
        let mut smmu = vec![4u8, 68, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        smmu.extend_from_slice(&0x0900_0000u64.to_le_bytes());
        smmu.resize(68, 0);
        b.extend_from_slice(&smmu);
        let t = table(b"IORT", &b, b"LINARO");
        let i = parse_iort(&t).unwrap();
        assert_eq!(i.count(0), 1);
        assert_eq!(i.count(4), 1);
        assert_eq!(i.nodes[1].base_address, Some(0x0900_0000));
        assert_eq!(i.nodes[0].its_count, Some(1));
    }
}
