//! Firecracker custom CPU templates (x86_64): `cpuid_modifiers` whose registers are set by
//! `0b…x…` bitmaps (`0`/`1` force a bit, `x` leaves it as KVM reported it), and `msr_modifiers`.
//!
//! Schema: Firecracker `docs/cpu_templates/schema.json` and `cpu-templates.md`; bitmap parsing as
//! `RegisterValueFilter`'s `Deserialize` in `src/vmm/src/cpu_config/templates.rs` reads it: the
//! string is read from its right end (bit 0), `_` separators are skipped, the `0b` prefix is
//! optional, missing high bits are `x`. vcap refuses a bitmap longer than its register (Firecracker
//! would shift past the width). Leaf, subleaf and MSR address are strings with a `0x` or `0b`
//! prefix (`deserialize_from_str` in `templates_serde.rs`); `flags` is the KVM CPUID flag integer.
//!
//! [`from_profile`] writes a profile (a sanitized guest, a baseline) as a template that forces
//! every bit vcap decides and leaves VMM-owned fields (APIC IDs, topology) and leaf 0 (vendor,
//! maximum leaf) to Firecracker's own normalization; [`apply`] applies a template's CPUID
//! modifiers to a register set. Modifiers of leaves vcap does not track are kept and reported,
//! never silently dropped.

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::model::{Kind, Provenance, RegSet};
use crate::tables::cpuid::{LEAVES, TABLE};

/// A register bitmap: `filter` has the bits the template forces, `value` their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bitmap<const BITS: u32> {
    /// Bits forced (`0` or `1` in the string).
    pub filter: u64,
    /// Their values (a subset of `filter`).
    pub value: u64,
}

impl<const BITS: u32> Bitmap<BITS> {
    /// `reg` with the forced bits applied (Firecracker's `RegisterValueFilter::apply`).
    pub fn apply(&self, reg: u64) -> u64 {
        (reg & !self.filter) | self.value
    }

    /// Parses `0b…` (see the module docs).
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits = s.strip_prefix("0b").unwrap_or(s);
        let (mut filter, mut value, mut i) = (0u64, 0u64, 0u32);
        for c in digits.bytes().rev() {
            if c == b'_' {
                continue;
            }
            if i >= BITS {
                return Err(format!(
                    "bitmap {:?} has more than {BITS} digits",
                    crate::input::excerpt(s)
                ));
            }
            match c {
                b'x' => {}
                b'0' => filter |= 1 << i,
                b'1' => {
                    filter |= 1 << i;
                    value |= 1 << i;
                }
                _ => {
                    return Err(format!(
                        "bitmap {:?}: {:?} is not 0, 1, x or _",
                        crate::input::excerpt(s),
                        c as char
                    ));
                }
            }
            i += 1;
        }
        Ok(Bitmap { filter, value })
    }
}

impl<const BITS: u32> std::fmt::Display for Bitmap<BITS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("0b")?;
        for i in (0..BITS).rev() {
            let c = if self.filter >> i & 1 == 0 {
                'x'
            } else if self.value >> i & 1 == 1 {
                '1'
            } else {
                '0'
            };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl<const BITS: u32> Serialize for Bitmap<BITS> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de, const BITS: u32> Deserialize<'de> for Bitmap<BITS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Bitmap::parse(&s).map_err(de::Error::custom)
    }
}

/// A number written as a string with a `0x` or `0b` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct PrefixedNum(pub u64);

impl Serialize for PrefixedNum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:#x}", self.0))
    }
}

impl<'de> Deserialize<'de> for PrefixedNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let n = if let Some(h) = s.strip_prefix("0x") {
            u64::from_str_radix(h, 16).ok()
        } else if let Some(b) = s.strip_prefix("0b") {
            u64::from_str_radix(b, 2).ok()
        } else {
            return Err(de::Error::custom(format!(
                "{:?}: expected a number with a 0x or 0b prefix",
                crate::input::excerpt(&s)
            )));
        };
        n.map(PrefixedNum).ok_or_else(|| {
            de::Error::custom(format!("{:?} is not a number", crate::input::excerpt(&s)))
        })
    }
}

/// A CPUID register name in a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CpuidRegister {
    /// EAX.
    Eax,
    /// EBX.
    Ebx,
    /// ECX.
    Ecx,
    /// EDX.
    Edx,
}

impl CpuidRegister {
    /// 0..4 for EAX..EDX.
    pub fn index(self) -> usize {
        match self {
            CpuidRegister::Eax => 0,
            CpuidRegister::Ebx => 1,
            CpuidRegister::Ecx => 2,
            CpuidRegister::Edx => 3,
        }
    }

    const ALL: [CpuidRegister; 4] = [
        CpuidRegister::Eax,
        CpuidRegister::Ebx,
        CpuidRegister::Ecx,
        CpuidRegister::Edx,
    ];
}

/// One register modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterModifier {
    /// Which register.
    pub register: CpuidRegister,
    /// The bits it forces.
    pub bitmap: Bitmap<32>,
}

/// The modifiers of one leaf and subleaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuidLeafModifier {
    /// Leaf.
    pub leaf: PrefixedNum,
    /// Subleaf.
    pub subleaf: PrefixedNum,
    /// KVM CPUID flags (1: `KVM_CPUID_FLAG_SIGNIFCANT_INDEX`).
    pub flags: u32,
    /// Register modifiers.
    pub modifiers: Vec<RegisterModifier>,
}

/// One MSR modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MsrModifier {
    /// MSR address.
    pub addr: PrefixedNum,
    /// The bits it forces.
    pub bitmap: Bitmap<64>,
}

/// A custom CPU template (the x86_64 part; `kvm_capabilities`, `vcpu_features` and
/// `reg_modifiers` are kept as written).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuTemplate {
    /// KVM capabilities to add (`"N"`) or remove (`"!N"`), kept as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kvm_capabilities: Vec<serde_json::Value>,
    /// vCPU features (aarch64), kept as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vcpu_features: Vec<serde_json::Value>,
    /// CPUID modifiers.
    #[serde(default)]
    pub cpuid_modifiers: Vec<CpuidLeafModifier>,
    /// MSR modifiers.
    #[serde(default)]
    pub msr_modifiers: Vec<MsrModifier>,
    /// ARM register modifiers (aarch64), kept as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reg_modifiers: Vec<serde_json::Value>,
}

/// The bits of CPUID register `r` that a template from vcap forces: every bit except those of
/// VMM-owned fields (Firecracker normalizes topology and APIC IDs itself).
fn forced_mask(r: usize) -> u64 {
    let owned = TABLE
        .fields_of(r)
        .filter(|f| matches!(f.prov, Provenance::VmmOwned { .. }))
        .fold(0, |m, f| m | f.reg_mask());
    !owned & 0xffff_ffff
}

/// The template that makes a KVM-reported CPUID read as `profile` in every bit vcap decides
/// (leaf 0 and VMM-owned fields left as `x`). `profile` must be CPUID.
pub fn from_profile(profile: &RegSet) -> Option<CpuTemplate> {
    if profile.kind != Kind::X86Cpuid {
        return None;
    }
    let mut t = CpuTemplate::default();
    for (i, &(leaf, sub)) in LEAVES.iter().enumerate() {
        if leaf == 0 || !(0..4).any(|j| profile.is_known(i * 4 + j)) {
            // Leaf 0 is Firecracker's; a leaf the profile does not give is left as KVM says.
            continue;
        }
        let modifiers = CpuidRegister::ALL
            .iter()
            .map(|&register| {
                let r = i * 4 + register.index();
                // An unknown register of the profile forces nothing (every bit `x`).
                let filter = if profile.is_known(r) {
                    forced_mask(r)
                } else {
                    0
                };
                RegisterModifier {
                    register,
                    bitmap: Bitmap {
                        filter,
                        value: profile.regs[r] & filter,
                    },
                }
            })
            .collect();
        t.cpuid_modifiers.push(CpuidLeafModifier {
            leaf: PrefixedNum(u64::from(leaf)),
            subleaf: PrefixedNum(u64::from(sub)),
            flags: u32::from(crate::tables::cpuid::indexed(leaf)),
            modifiers,
        });
    }
    Some(t)
}

/// What applying a template did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// `(leaf, subleaf)` of modifiers for leaves vcap does not track (applied by Firecracker,
    /// not by vcap).
    pub untracked: Vec<(u64, u64)>,
    /// MSR addresses the template sets (vcap has no MSR tables).
    pub msrs: Vec<u64>,
}

/// Applies the template's CPUID modifiers to `regs` (CPUID), as Firecracker applies them to
/// KVM's CPUID; reports what vcap could not apply.
pub fn apply(t: &CpuTemplate, regs: &mut RegSet) -> Applied {
    let mut out = Applied::default();
    for m in &t.cpuid_modifiers {
        let pos = LEAVES
            .iter()
            .position(|&(l, s)| u64::from(l) == m.leaf.0 && u64::from(s) == m.subleaf.0);
        match pos {
            Some(i) if regs.kind == Kind::X86Cpuid => {
                for r in &m.modifiers {
                    let idx = i * 4 + r.register.index();
                    if regs.is_known(idx) {
                        regs.regs[idx] = r.bitmap.apply(regs.regs[idx]) & 0xffff_ffff;
                    } else if r.bitmap.filter & 0xffff_ffff == 0xffff_ffff {
                        // Every bit set by the template: the register is known from here on.
                        regs.regs[idx] = r.bitmap.value & 0xffff_ffff;
                        regs.unknown &= !(1u128 << idx);
                    }
                }
            }
            _ => out.untracked.push((m.leaf.0, m.subleaf.0)),
        }
    }
    out.msrs = t.msr_modifiers.iter().map(|m| m.addr.0).collect();
    out
}
