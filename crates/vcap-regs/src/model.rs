//! The data model: a register table is a list of field rows; each row carries its bit position,
//! signedness, named values, safety rule, provenance and the source it was checked against.

use std::fmt;
use vcap_bits::BitRange;

/// The largest number of registers any table has (CPUID: 25 leaves × 4 registers). At most 128
/// (the width of [`RegSet::unknown`]).
pub const MAX_REGS: usize = 100;

/// Which register file a table (and a register set) describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Arm SMMUv3: `struct iommu_hw_info_arm_smmuv3` (IDR0..IDR5, IIDR, AIDR).
    ArmSmmuV3,
    /// Intel VT-d: `struct iommu_hw_info_vtd` (CAP_REG, ECAP_REG).
    IntelVtd,
    /// AMD IOMMU: `struct iommu_hw_info_amd` (EFR, EFR2).
    Amd,
    /// x86 CPUID leaves that migration cares about.
    X86Cpuid,
    /// arm64 ID registers (ID_AA64*_EL1) under cpufeature.c's rules.
    Arm64Id,
}

impl Kind {
    /// The `"type"` string used in host files and JSON output.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::ArmSmmuV3 => "arm_smmuv3",
            Kind::IntelVtd => "intel_vtd",
            Kind::Amd => "amd",
            Kind::X86Cpuid => "x86_cpuid",
            Kind::Arm64Id => "arm64_id",
        }
    }

    /// Parses a `"type"` string; `None` when unknown.
    pub fn from_type_name(s: &str) -> Option<Kind> {
        match s {
            "arm_smmuv3" => Some(Kind::ArmSmmuV3),
            "intel_vtd" => Some(Kind::IntelVtd),
            "amd" => Some(Kind::Amd),
            "x86_cpuid" => Some(Kind::X86Cpuid),
            "arm64_id" => Some(Kind::Arm64Id),
            _ => None,
        }
    }

    /// The field table for this kind.
    pub fn table(self) -> &'static Table {
        match self {
            Kind::ArmSmmuV3 => &crate::tables::smmuv3::TABLE,
            Kind::IntelVtd => &crate::tables::vtd::TABLE,
            Kind::Amd => &crate::tables::amd::TABLE,
            Kind::X86Cpuid => &crate::tables::cpuid::TABLE,
            Kind::Arm64Id => &crate::tables::arm64::TABLE,
        }
    }

    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 5] = [
        Kind::ArmSmmuV3,
        Kind::IntelVtd,
        Kind::Amd,
        Kind::X86Cpuid,
        Kind::Arm64Id,
    ];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

/// How two values of a field combine into the value that is safe for both (arm64
/// `arm64_ftr_safe_value` semantics, plus enum-compatibility and bitmap intersection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Every party must report the same value. If they differ: the fixed `safe` value when there
    /// is one (arm64 `FTR_EXACT` with `safe_val`), otherwise no common value exists (an error).
    Exact {
        /// The value presented when parties disagree; `None` makes disagreement an error.
        safe: Option<u64>,
    },
    /// The smaller value is safe (`FTR_LOWER_SAFE`).
    LowerSafe,
    /// The bigger value is safe (`FTR_HIGHER_SAFE`).
    HigherSafe,
    /// The bigger value is safe, but 0 is the biggest (`FTR_HIGHER_OR_ZERO_SAFE`).
    HigherOrZeroSafe,
    /// Non-ordinal encodings: `supersets` lists pairs `(a, b)` where a party reporting `a` can do
    /// everything one reporting `b` can. Two values combine to the less capable one when one
    /// covers the other, and have no common value otherwise. The list is transitively closed.
    Enum {
        /// `(more capable, less capable)` pairs.
        supersets: &'static [(u64, u64)],
    },
    /// A bitmap of independent capabilities: the common value is the intersection (AND).
    Bitmap,
}

impl Rule {
    /// The short name used in tables and JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Exact { .. } => "exact",
            Rule::LowerSafe => "lower-safe",
            Rule::HigherSafe => "higher-safe",
            Rule::HigherOrZeroSafe => "higher-or-zero-safe",
            Rule::Enum { .. } => "enum-compat",
            Rule::Bitmap => "bitmap-intersection",
        }
    }

    /// The value that is safe for both `a` and `b` (raw field values of a field `width` bits wide,
    /// sign-extended for comparison when `signed`). `None` when no common value exists.
    #[inline]
    pub fn combine(&self, a: u64, b: u64, signed: bool, width: u8) -> Option<u64> {
        if a == b {
            return Some(a);
        }
        match *self {
            Rule::Exact { safe } => safe,
            Rule::LowerSafe => Some(if lt(a, b, signed, width) { a } else { b }),
            Rule::HigherSafe => Some(if lt(a, b, signed, width) { b } else { a }),
            Rule::HigherOrZeroSafe => {
                if a == 0 || b == 0 {
                    Some(0)
                } else {
                    Some(if lt(a, b, signed, width) { b } else { a })
                }
            }
            Rule::Enum { supersets } => {
                for &(sup, sub) in supersets {
                    if sup == a && sub == b {
                        return Some(b);
                    }
                    if sup == b && sub == a {
                        return Some(a);
                    }
                }
                None
            }
            Rule::Bitmap => Some(a & b),
        }
    }

    /// KVM's writable-ID-register rule: a requested value `req` is acceptable against the limit
    /// `lim` when it equals it or when combining the two yields `req` (no more capable).
    #[inline]
    pub fn no_more_capable(&self, req: u64, lim: u64, signed: bool, width: u8) -> bool {
        req == lim || self.combine(req, lim, signed, width) == Some(req)
    }
}

#[inline]
fn sext(v: u64, width: u8) -> i64 {
    BitRange::new(0, u32::from(width)).sign_extend(v)
}

#[inline]
fn lt(a: u64, b: u64, signed: bool, width: u8) -> bool {
    if signed {
        sext(a, width) < sext(b, width)
    } else {
        a < b
    }
}

/// The kernel capability bits of `enum iommufd_hw_capabilities` (`include/uapi/linux/iommufd.h`),
/// reported in `struct iommu_hw_info::out_capabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KernelCap {
    /// `IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0`.
    DirtyTracking,
    /// `IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1`.
    PciPasidExec,
    /// `IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2`.
    PciPasidPriv,
    /// `IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3`: a *negative* bit. Set, ATS cannot be used
    /// for this device; clear, ATS may be used — so a kernel from before the bit existed reads
    /// as "ATS allowed" (the kernel sets it when `!device_iommu_capable(dev,
    /// IOMMU_CAP_PCI_ATS_SUPPORTED)`, `drivers/iommu/iommufd/device.c`).
    PciAtsNotSupported,
}

impl KernelCap {
    /// Every capability bit the UAPI header defines.
    pub const ALL: [KernelCap; 4] = [
        KernelCap::DirtyTracking,
        KernelCap::PciPasidExec,
        KernelCap::PciPasidPriv,
        KernelCap::PciAtsNotSupported,
    ];

    /// Whether a set bit takes a capability away (`PCI_ATS_NOT_SUPPORTED`) rather than grants
    /// one.
    pub fn is_negative(self) -> bool {
        matches!(self, KernelCap::PciAtsNotSupported)
    }

    /// The UAPI enumerator name.
    pub fn name(self) -> &'static str {
        match self {
            KernelCap::DirtyTracking => "IOMMU_HW_CAP_DIRTY_TRACKING",
            KernelCap::PciPasidExec => "IOMMU_HW_CAP_PCI_PASID_EXEC",
            KernelCap::PciPasidPriv => "IOMMU_HW_CAP_PCI_PASID_PRIV",
            KernelCap::PciAtsNotSupported => "IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED",
        }
    }

    /// The bit in `out_capabilities`.
    pub fn bit(self) -> u64 {
        match self {
            KernelCap::DirtyTracking => 1 << 0,
            KernelCap::PciPasidExec => 1 << 1,
            KernelCap::PciPasidPriv => 1 << 2,
            KernelCap::PciAtsNotSupported => 1 << 3,
        }
    }

    /// Parses `IOMMU_HW_CAP_DIRTY_TRACKING`, `DIRTY_TRACKING` or `dirty-tracking` (any case).
    pub fn parse(s: &str) -> Option<KernelCap> {
        let norm = s.trim().to_ascii_uppercase().replace('-', "_");
        let norm = norm.strip_prefix("IOMMU_HW_CAP_").unwrap_or(&norm);
        KernelCap::ALL
            .into_iter()
            .find(|c| c.name().strip_prefix("IOMMU_HW_CAP_") == Some(norm))
    }
}

/// Per-VM enable flags: capabilities that must be turned on for one VM (a request flag when the
/// vIOMMU is allocated, or a VMM decision per VM), step 3 of the analysis in seed 004.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VmFlag {
    /// The VMM describes ATS-capable devices in ACPI/DT for this VM (per-device property).
    AtsDevices,
    /// I/O page faults are routed to this VM (an iommufd fault object at HWPT allocation).
    Iopf,
    /// Nested virtualization is enabled for this VM (CPUID VMX/SVM).
    NestedVirt,
}

impl VmFlag {
    /// Every flag.
    pub const ALL: [VmFlag; 3] = [VmFlag::AtsDevices, VmFlag::Iopf, VmFlag::NestedVirt];

    /// The flag's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            VmFlag::AtsDevices => "ats-devices",
            VmFlag::Iopf => "iopf",
            VmFlag::NestedVirt => "nested-virt",
        }
    }

    /// Parses a flag name.
    pub fn parse(s: &str) -> Option<VmFlag> {
        VmFlag::ALL.into_iter().find(|f| f.name() == s.trim())
    }
}

/// How a field may reach a guest: the four-step analysis of seed 004 as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// In the documented baseline: the VMM may read it from the host register.
    Baseline,
    /// Derived by the VMM, not read from the host (e.g. SMMUv3 COHACC "assume true").
    VmmDerived {
        /// The value the VMM presents.
        value: u64,
        /// Why.
        note: &'static str,
    },
    /// A per-device property: exposed only when the VMM describes such devices (a per-VM flag).
    PerDevice {
        /// The flag that says the VMM describes such devices.
        flag: VmFlag,
    },
    /// Needs kernel software support, signalled by a kernel capability bit.
    KernelCap(KernelCap),
    /// Needs firmware data (ACPI/DT) that the kernel does not report yet.
    Firmware {
        /// Which firmware data.
        what: &'static str,
    },
    /// Must be turned on per VM (a request flag at vIOMMU allocation).
    VmFlag(VmFlag),
    /// The VMM owns the value (it emulates the interface the field describes).
    VmmOwned {
        /// The value presented when the manifest does not say.
        default: OwnedDefault,
        /// What the VMM owns.
        note: &'static str,
    },
    /// An identity register field: kept as-is, never a capability.
    Identity,
    /// Never exposed to a guest.
    Never {
        /// Why.
        note: &'static str,
    },
}

/// What a VMM-owned field is when the VMM manifest does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedDefault {
    /// This value.
    Value(u64),
    /// The host's value, as the VMM's own source reports it: CPUID leaf 7's maximum subleaf,
    /// which KVM's `KVM_GET_SUPPORTED_CPUID` gives as `min(entry->eax, 2u)` of the host's (the
    /// cross-register cap then bounds it by what the table and the input give).
    Host,
}

impl Provenance {
    /// The short name used in tables and JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Provenance::Baseline => "baseline",
            Provenance::VmmDerived { .. } => "vmm-derived",
            Provenance::PerDevice { .. } => "per-device",
            Provenance::KernelCap(_) => "kernel-capability",
            Provenance::Firmware { .. } => "firmware-data",
            Provenance::VmFlag(_) => "per-vm-flag",
            Provenance::VmmOwned { .. } => "vmm-owned",
            Provenance::Identity => "identity",
            Provenance::Never { .. } => "never",
        }
    }
}

/// Where a row was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    /// A Linux header: file and macro.
    Linux {
        /// Path in the kernel tree.
        file: &'static str,
        /// The macro (or enumerator) that defines the field.
        symbol: &'static str,
    },
    /// QEMU source: file and symbol (for fields Linux does not define).
    Qemu {
        /// Path in the QEMU tree.
        file: &'static str,
        /// The `FIELD()` or macro.
        symbol: &'static str,
    },
    /// An architecture specification section (fields no header defines).
    Spec {
        /// Document.
        doc: &'static str,
        /// Section or table.
        section: &'static str,
    },
}

impl fmt::Display for Src {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Src::Linux { file, symbol } => write!(f, "linux:{file}:{symbol}"),
            Src::Qemu { file, symbol } => write!(f, "qemu:{file}:{symbol}"),
            Src::Spec { doc, section } => write!(f, "spec:{doc} {section}"),
        }
    }
}

/// One register of a table.
#[derive(Debug, Clone, Copy)]
pub struct Register {
    /// Name as used in JSON (`IDR0`, `CAP`, `CPUID.0x7.0x0.EBX`).
    pub name: &'static str,
    /// Width in bits (32 or 64).
    pub bits: u8,
}

impl Register {
    /// All bits of the register set.
    pub fn mask(&self) -> u64 {
        BitRange::new(0, u32::from(self.bits)).mask()
    }
}

/// One field row.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Index of the register in the table's `registers`.
    pub reg: usize,
    /// Field name (`ST_LEVEL`, `SAGAW`, `AVX2`).
    pub name: &'static str,
    /// Lowest bit.
    pub shift: u8,
    /// Width in bits.
    pub width: u8,
    /// Whether values are signed (compared after sign extension).
    pub signed: bool,
    /// Named values: `(raw value, meaning)`.
    pub values: &'static [(u64, &'static str)],
    /// How two values combine.
    pub rule: Rule,
    /// How the field may reach a guest.
    pub prov: Provenance,
    /// The least capable value: what a guest sees when the field is not exposed.
    pub safe: u64,
    /// Where the row was checked.
    pub src: Src,
    /// One line on what the field means.
    pub doc: &'static str,
}

impl Field {
    /// The field's bit range in its register: the arithmetic below is [`BitRange`]'s, shared
    /// with vcap-protocol's layout fields. A row whose range does not fit a 64-bit register
    /// panics here; the table tests read every row.
    #[inline]
    pub const fn range(&self) -> BitRange {
        BitRange::new(self.shift as u32, self.width as u32)
    }

    /// The field's bits within its (unshifted) value.
    #[inline]
    pub fn value_mask(&self) -> u64 {
        self.range().max()
    }

    /// The field's bits within its register.
    #[inline]
    pub fn reg_mask(&self) -> u64 {
        self.range().mask()
    }

    /// Extracts the field from a register value.
    #[inline]
    pub fn get(&self, reg: u64) -> u64 {
        self.range().get(reg)
    }

    /// The named meaning of `v`, if the table names it.
    pub fn meaning(&self, v: u64) -> Option<&'static str> {
        self.values.iter().find(|(x, _)| *x == v).map(|(_, m)| *m)
    }

    /// Combines two values of this field under its rule.
    #[inline]
    pub fn combine(&self, a: u64, b: u64) -> Option<u64> {
        self.rule.combine(a, b, self.signed, self.width)
    }
}

/// A register table: registers plus the field rows that describe them.
#[derive(Debug)]
pub struct Table {
    /// Which register file.
    pub kind: Kind,
    /// Human name.
    pub title: &'static str,
    /// The registers, in JSON order.
    pub registers: &'static [Register],
    /// The field rows.
    pub fields: &'static [Field],
    /// Registers `0..required` must be in every input; the ones after them were added to the
    /// table later and are optional: an input without one leaves it unknown
    /// ([`RegSet::unknown`]), never zero.
    pub required: usize,
}

impl Table {
    /// Whether register `r` may be absent from an input (unknown) rather than an error.
    pub fn is_optional(&self, r: usize) -> bool {
        r >= self.required && r < self.registers.len()
    }

    /// Index of the register called `name`.
    pub fn register_index(&self, name: &str) -> Option<usize> {
        self.registers.iter().position(|r| r.name == name)
    }

    /// The field called `REG.NAME` (e.g. `IDR0.HTTU`, `CPUID.0x7.0x0.EBX.AVX2`).
    pub fn field(&self, full: &str) -> Option<&'static Field> {
        let (reg, name) = full.rsplit_once('.')?;
        let r = self.register_index(reg)?;
        self.fields.iter().find(|f| f.reg == r && f.name == name)
    }

    /// The full name `REG.NAME` of a field of this table.
    pub fn full_name(&self, f: &Field) -> String {
        format!("{}.{}", self.registers[f.reg].name, f.name)
    }

    /// The bits of register `r` that some field describes.
    pub fn known_mask(&self, r: usize) -> u64 {
        self.fields
            .iter()
            .filter(|f| f.reg == r)
            .fold(0, |m, f| m | f.reg_mask())
    }

    /// Fields of register `r`.
    pub fn fields_of(&self, r: usize) -> impl Iterator<Item = &'static Field> + '_ {
        self.fields.iter().filter(move |f| f.reg == r)
    }
}

/// Why a register set built in code is refused: the same checks the JSON input makes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegError {
    /// A register name the table does not have.
    #[error("{kind} has no register {name:?}")]
    UnknownRegister {
        /// The register file.
        kind: Kind,
        /// The name given.
        name: String,
    },
    /// A field name the table does not have.
    #[error("{kind} has no field {name:?} (names are REG.FIELD, e.g. IDR0.ATS)")]
    UnknownField {
        /// The register file.
        kind: Kind,
        /// The name given.
        name: String,
    },
    /// A value with more bits than its register.
    #[error("{register}: value {value:#x} is wider than the {bits}-bit register")]
    TooWide {
        /// The register.
        register: &'static str,
        /// The value.
        value: u64,
        /// Register width.
        bits: u8,
    },
    /// A value with more bits than its field.
    #[error("{field}: value {value:#x} does not fit the {width}-bit field")]
    FieldTooWide {
        /// `REG.NAME`.
        field: String,
        /// The value.
        value: u64,
        /// Field width.
        width: u8,
    },
    /// Not one value per register.
    #[error("{kind} has {expected} registers, {found} values given")]
    Count {
        /// The register file.
        kind: Kind,
        /// Registers in the table.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A register marked unknown that the table requires in every input (or a slot beyond it).
    #[error("{kind}: register slot {slot} is marked unknown, but only optional registers can be")]
    NotOptional {
        /// The register file.
        kind: Kind,
        /// The slot.
        slot: usize,
    },
    /// A register marked unknown that holds a value.
    #[error("{register} is marked unknown but holds {value:#x} (an unknown register is 0)")]
    UnknownNotZero {
        /// The register.
        register: &'static str,
        /// Its value.
        value: u64,
    },
    /// A slot beyond the table's registers is not 0.
    #[error("{kind} has {registers} registers, but slot {slot} holds {value:#x}")]
    Stray {
        /// The register file.
        kind: Kind,
        /// Registers in the table.
        registers: usize,
        /// The slot.
        slot: usize,
        /// Its value.
        value: u64,
    },
}

/// A set of register values of one kind (host registers, a guest profile, a baseline).
///
/// Build one with the validating constructors ([`RegSet::from_values`],
/// [`RegSet::with_register`], [`RegSet::with_field`]); `sanitize`, `Baseline::add` and `compare`
/// refuse a set whose values do not fit (see [`RegSet::validate`]), as the JSON input does.
///
/// ```
/// use vcap_regs::{Kind, RegSet};
/// let r = RegSet::zero(Kind::ArmSmmuV3)
///     .with_register("IDR5", 0x74)?
///     .with_field("IDR0.ATS", 1)?;
/// assert_eq!(r.get("IDR0"), Some(1 << 10));
/// assert!(RegSet::zero(Kind::ArmSmmuV3).with_register("IDR0", 1 << 32).is_err());
/// assert!(RegSet::zero(Kind::ArmSmmuV3).with_field("IDR0.ATS", 2).is_err());
/// # Ok::<(), vcap_regs::RegError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegSet {
    /// Which register file.
    pub kind: Kind,
    /// Values, indexed like the table's `registers`; unused slots are 0.
    pub regs: [u64; MAX_REGS],
    /// Bit `i` set: register `i` is unknown — the input did not give it (an optional register,
    /// [`Table::is_optional`]). Its value is 0 and no field of it is read as a value: a baseline
    /// over it is unknown, `compare` lists it, `sanitize` presents the least capable value and
    /// says why. A register the CPU architecturally lacks (a CPUID leaf beyond the maximum leaf)
    /// is known, and zero.
    pub unknown: u128,
}

impl RegSet {
    /// All-zero registers of `kind`.
    pub fn zero(kind: Kind) -> RegSet {
        RegSet {
            kind,
            regs: [0; MAX_REGS],
            unknown: 0,
        }
    }

    /// Whether register `r` is known (given by the input).
    #[inline]
    pub fn is_known(&self, r: usize) -> bool {
        r >= 128 || self.unknown & (1u128 << r) == 0
    }

    /// The same set with register `name` unknown (value 0). Only an optional register
    /// ([`Table::is_optional`]) can be unknown.
    pub fn with_unknown(mut self, name: &str) -> Result<RegSet, RegError> {
        let t = self.kind.table();
        let i = t
            .register_index(name)
            .filter(|&i| t.is_optional(i))
            .ok_or_else(|| RegError::UnknownRegister {
                kind: self.kind,
                name: name.to_string(),
            })?;
        self.regs[i] = 0;
        self.unknown |= 1u128 << i;
        Ok(self)
    }

    /// The names of the unknown registers, in table order.
    pub fn unknown_names(&self) -> Vec<&'static str> {
        let t = self.kind.table();
        (0..t.registers.len())
            .filter(|&i| !self.is_known(i))
            .map(|i| t.registers[i].name)
            .collect()
    }

    /// The value of the register called `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.kind.table().register_index(name).map(|i| self.regs[i])
    }

    /// One value per register, in table order, each checked against its register's width.
    pub fn from_values(kind: Kind, values: &[u64]) -> Result<RegSet, RegError> {
        let t = kind.table();
        if values.len() != t.registers.len() {
            return Err(RegError::Count {
                kind,
                expected: t.registers.len(),
                found: values.len(),
            });
        }
        let mut r = RegSet::zero(kind);
        r.regs[..values.len()].copy_from_slice(values);
        r.validate()?;
        Ok(r)
    }

    /// The same set with register `name` set to `value` (checked against the register width);
    /// the register is known afterwards.
    pub fn with_register(mut self, name: &str, value: u64) -> Result<RegSet, RegError> {
        let t = self.kind.table();
        let i = t
            .register_index(name)
            .ok_or_else(|| RegError::UnknownRegister {
                kind: self.kind,
                name: name.to_string(),
            })?;
        let reg = &t.registers[i];
        if value & !reg.mask() != 0 {
            return Err(RegError::TooWide {
                register: reg.name,
                value,
                bits: reg.bits,
            });
        }
        self.regs[i] = value;
        self.unknown &= !(1u128 << i);
        Ok(self)
    }

    /// The same set with field `REG.NAME` set to `value` (checked against the field width).
    pub fn with_field(mut self, name: &str, value: u64) -> Result<RegSet, RegError> {
        let t = self.kind.table();
        let f = t.field(name).ok_or_else(|| RegError::UnknownField {
            kind: self.kind,
            name: name.to_string(),
        })?;
        self.regs[f.reg] =
            f.range()
                .insert(self.regs[f.reg], value)
                .ok_or_else(|| RegError::FieldTooWide {
                    field: name.to_string(),
                    value,
                    width: f.width,
                })?;
        self.unknown &= !(1u128 << f.reg);
        Ok(self)
    }

    /// Checks that every value fits its register, that slots beyond the table are 0, and that
    /// only optional registers are unknown, each holding 0.
    #[inline]
    pub fn validate(&self) -> Result<(), RegError> {
        let t = self.kind.table();
        if self.unknown != 0 {
            for i in 0..128usize {
                if self.unknown & (1u128 << i) == 0 {
                    continue;
                }
                if !t.is_optional(i) {
                    return Err(RegError::NotOptional {
                        kind: self.kind,
                        slot: i,
                    });
                }
                if self.regs[i] != 0 {
                    return Err(RegError::UnknownNotZero {
                        register: t.registers[i].name,
                        value: self.regs[i],
                    });
                }
            }
        }
        for (i, v) in self.regs.iter().enumerate() {
            match t.registers.get(i) {
                Some(reg) if v & !reg.mask() != 0 => {
                    return Err(RegError::TooWide {
                        register: reg.name,
                        value: *v,
                        bits: reg.bits,
                    });
                }
                None if *v != 0 => {
                    return Err(RegError::Stray {
                        kind: self.kind,
                        registers: t.registers.len(),
                        slot: i,
                        value: *v,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}
