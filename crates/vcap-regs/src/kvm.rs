//! KVM's CPUID arrays, as a VMM holds them: `struct kvm_cpuid_entry2` (the `KVM_GET_SUPPORTED_CPUID`
//! / `KVM_GET_CPUID2` / `KVM_SET_CPUID2` entries) and `struct kvm_cpuid2` (the header `nent`,
//! `padding`, then the entries), in the kernel's binary layout and as JSON.
//!
//! Layout, from `arch/x86/include/uapi/asm/kvm.h` and `Documentation/virt/kvm/api.rst`
//! (`KVM_GET_SUPPORTED_CPUID`), all fields `__u32` in the host's byte order (little-endian on
//! x86): `function, index, flags, eax, ebx, ecx, edx, padding[3]` — 40 bytes per entry;
//! `kvm_cpuid2` is `nent, padding` (8 bytes) and then `nent` entries.
//! `KVM_CPUID_FLAG_SIGNIFCANT_INDEX` (bit 0, the kernel's spelling) says the entry is for one
//! `index` (subleaf); without it the entry answers every subleaf.
//!
//! [`to_regset`] reads the leaves vcap tracks (a tracked leaf missing within the CPU's range is
//! an error, as for `cpuid -r`); [`apply`] writes a (sanitized) register set back into the
//! entries, leaving the leaves vcap does not track as the VMM had them.

use serde::{Deserialize, Serialize};

use crate::input::{CpuidLeaves, Problem};
use crate::model::{Kind, RegSet};
use crate::tables::cpuid::LEAVES;

/// `sizeof(struct kvm_cpuid_entry2)`.
pub const ENTRY_SIZE: usize = 40;
/// `sizeof(struct kvm_cpuid2)` without its entries.
pub const HEADER_SIZE: usize = 8;
/// `KVM_CPUID_FLAG_SIGNIFCANT_INDEX` (`BIT(0)`).
pub const FLAG_SIGNIFICANT_INDEX: u32 = 1;
/// `KVM_MAX_CPUID_ENTRIES` (`arch/x86/include/asm/kvm_host.h`): KVM refuses more.
pub const MAX_ENTRIES: usize = 256;

/// One `struct kvm_cpuid_entry2`. In JSON the values are `"0x…"` strings (integers are
/// accepted on input); `padding` is written only when it is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuidEntry {
    /// The leaf (`EAX` input).
    #[serde(with = "hex32")]
    pub function: u32,
    /// The subleaf (`ECX` input), meaningful with [`FLAG_SIGNIFICANT_INDEX`].
    #[serde(with = "hex32")]
    pub index: u32,
    /// `KVM_CPUID_FLAG_*`.
    #[serde(with = "hex32")]
    pub flags: u32,
    /// Output EAX.
    #[serde(with = "hex32")]
    pub eax: u32,
    /// Output EBX.
    #[serde(with = "hex32")]
    pub ebx: u32,
    /// Output ECX.
    #[serde(with = "hex32")]
    pub ecx: u32,
    /// Output EDX.
    #[serde(with = "hex32")]
    pub edx: u32,
    /// `padding[3]`, kept so a binary round trip is exact.
    #[serde(default, skip_serializing_if = "is_zero3")]
    pub padding: [u32; 3],
}

fn is_zero3(p: &[u32; 3]) -> bool {
    *p == [0; 3]
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum HexOrInt {
        Int(u64),
        Str(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let n = match HexOrInt::deserialize(d)? {
            HexOrInt::Int(n) => n,
            HexOrInt::Str(s) => crate::hex::parse(&s, crate::hex::Prefix::Required, 64)
                .ok()
                .ok_or_else(|| {
                    de::Error::custom(format!(
                        "{:?} is not a hex number (expected \"0x...\")",
                        crate::input::excerpt(&s)
                    ))
                })?,
        };
        u32::try_from(n).map_err(|_| {
            de::Error::custom(format!("value {n:#x} is wider than the 32-bit register"))
        })
    }
}

/// The JSON form of a `kvm_cpuid2`: `{"type": "kvm_cpuid2", "entries": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cpuid2Json {
    /// Always `kvm_cpuid2`.
    #[serde(rename = "type")]
    pub ty: String,
    /// An optional host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The entries.
    pub entries: Vec<CpuidEntry>,
}

/// Why a KVM CPUID array could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvmError {
    /// The bytes are not a whole number of entries.
    #[error("{len} bytes is not a whole number of {ENTRY_SIZE}-byte kvm_cpuid_entry2 entries")]
    Ragged {
        /// Bytes given.
        len: usize,
    },
    /// The `kvm_cpuid2` header's `nent` does not match the bytes that follow.
    #[error(
        "kvm_cpuid2 says nent = {nent} ({need} bytes of entries) but {have} bytes follow the header"
    )]
    Nent {
        /// The header's count.
        nent: u32,
        /// Bytes that count needs.
        need: u64,
        /// Bytes present.
        have: usize,
    },
    /// Shorter than the header.
    #[error("{len} bytes is shorter than the {HEADER_SIZE}-byte kvm_cpuid2 header")]
    Short {
        /// Bytes given.
        len: usize,
    },
    /// More entries than KVM accepts.
    #[error("{0} entries: KVM accepts at most {MAX_ENTRIES} (KVM_MAX_CPUID_ENTRIES)")]
    TooMany(usize),
    /// Two entries for the same leaf and subleaf.
    #[error("entry {second}: leaf {function:#x} subleaf {index:#x} is already entry {first}")]
    Duplicate {
        /// Leaf.
        function: u32,
        /// Subleaf.
        index: u32,
        /// The first entry's position.
        first: usize,
        /// The repeated entry's position.
        second: usize,
    },
    /// The leaves are not what vcap needs (a tracked leaf missing, ...).
    #[error("{0}")]
    Leaves(Problem),
    /// The register set is not CPUID.
    #[error("a {0} register set is not CPUID")]
    Kind(Kind),
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

/// Reads a bare array of `kvm_cpuid_entry2` (a multiple of 40 bytes, little-endian).
pub fn entries_from_bytes(bytes: &[u8]) -> Result<Vec<CpuidEntry>, KvmError> {
    if !bytes.len().is_multiple_of(ENTRY_SIZE) {
        return Err(KvmError::Ragged { len: bytes.len() });
    }
    let n = bytes.len() / ENTRY_SIZE;
    if n > MAX_ENTRIES {
        return Err(KvmError::TooMany(n));
    }
    Ok(bytes
        .chunks_exact(ENTRY_SIZE)
        .map(|c| CpuidEntry {
            function: u32_at(c, 0),
            index: u32_at(c, 4),
            flags: u32_at(c, 8),
            eax: u32_at(c, 12),
            ebx: u32_at(c, 16),
            ecx: u32_at(c, 20),
            edx: u32_at(c, 24),
            padding: [u32_at(c, 28), u32_at(c, 32), u32_at(c, 36)],
        })
        .collect())
}

/// Writes entries as a bare `kvm_cpuid_entry2` array.
pub fn entries_to_bytes(entries: &[CpuidEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY_SIZE);
    for e in entries {
        for w in [
            e.function,
            e.index,
            e.flags,
            e.eax,
            e.ebx,
            e.ecx,
            e.edx,
            e.padding[0],
            e.padding[1],
            e.padding[2],
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    out
}

/// Reads a `struct kvm_cpuid2` (header, then exactly `nent` entries).
pub fn cpuid2_from_bytes(bytes: &[u8]) -> Result<Vec<CpuidEntry>, KvmError> {
    if bytes.len() < HEADER_SIZE {
        return Err(KvmError::Short { len: bytes.len() });
    }
    let nent = u32_at(bytes, 0);
    let need = u64::from(nent) * ENTRY_SIZE as u64;
    let rest = &bytes[HEADER_SIZE..];
    if need != rest.len() as u64 {
        return Err(KvmError::Nent {
            nent,
            need,
            have: rest.len(),
        });
    }
    entries_from_bytes(rest)
}

/// Writes a `struct kvm_cpuid2` (padding 0).
pub fn cpuid2_to_bytes(entries: &[CpuidEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_SIZE + entries.len() * ENTRY_SIZE);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&entries_to_bytes(entries));
    out
}

/// Whether `bytes` look like a `struct kvm_cpuid2`: a header whose `nent` (at most
/// [`MAX_ENTRIES`]) accounts for exactly the bytes that follow, and a zero header padding.
pub fn looks_like_cpuid2(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_SIZE + ENTRY_SIZE
        && u32_at(bytes, 4) == 0
        && (u32_at(bytes, 0) as usize) <= MAX_ENTRIES
        && (u32_at(bytes, 0) as usize) * ENTRY_SIZE == bytes.len() - HEADER_SIZE
}

/// One entry per leaf of a dump, as `KVM_GET_CPUID2` lists them: [`FLAG_SIGNIFICANT_INDEX`] on
/// the leaves whose subleaf selects the answer ([`crate::tables::cpuid::indexed`]), in the dump's
/// (leaf, subleaf) order. A VMM that holds a `cpuid -r` dump (or the probe's leaves) builds the
/// list it hands to `KVM_SET_CPUID2` with this, then [`apply`]s a sanitized profile to it.
pub fn entries_from_leaves(leaves: &CpuidLeaves) -> Vec<CpuidEntry> {
    leaves
        .iter()
        .map(|(&(function, index), r)| CpuidEntry {
            function,
            index,
            flags: if crate::tables::cpuid::indexed(function) {
                FLAG_SIGNIFICANT_INDEX
            } else {
                0
            },
            eax: r[0],
            ebx: r[1],
            ecx: r[2],
            edx: r[3],
            padding: [0; 3],
        })
        .collect()
}

/// The entry that answers `(leaf, subleaf)`: one with that function and, when it has
/// [`FLAG_SIGNIFICANT_INDEX`], that index.
pub fn find(entries: &[CpuidEntry], leaf: u32, subleaf: u32) -> Option<&CpuidEntry> {
    entries.iter().find(|e| {
        e.function == leaf && (e.flags & FLAG_SIGNIFICANT_INDEX == 0 || e.index == subleaf)
    })
}

fn check_duplicates(entries: &[CpuidEntry]) -> Result<(), KvmError> {
    for (j, e) in entries.iter().enumerate() {
        if let Some(i) = entries[..j]
            .iter()
            .position(|p| p.function == e.function && p.index == e.index)
        {
            return Err(KvmError::Duplicate {
                function: e.function,
                index: e.index,
                first: i,
                second: j,
            });
        }
    }
    Ok(())
}

/// The CPUID register set the entries give (the leaves vcap tracks; see
/// [`crate::tables::cpuid::regset_from_leaves`] for missing leaves).
pub fn to_regset(entries: &[CpuidEntry]) -> Result<RegSet, KvmError> {
    if entries.len() > MAX_ENTRIES {
        return Err(KvmError::TooMany(entries.len()));
    }
    check_duplicates(entries)?;
    let mut leaves = CpuidLeaves::new();
    let mut want: Vec<(u32, u32)> = LEAVES.to_vec();
    want.push((0x8000_0000, 0));
    for (l, s) in want {
        if let Some(e) = find(entries, l, s) {
            leaves.insert((l, s), [e.eax, e.ebx, e.ecx, e.edx]);
        }
    }
    crate::tables::cpuid::regset_from_leaves(&leaves).map_err(KvmError::Leaves)
}

/// Writes the tracked registers of `regs` into the entries that answer them (for example the
/// sanitized guest values into the list a VMM passes to `KVM_SET_CPUID2`). Entries for leaves
/// vcap does not track are left as they are. A tracked leaf with no entry that the profile itself
/// says exists (leaf 0 EAX; leaf 7.0, 0x14.0 and 0x24.0 EAX for their subleaves; an existing
/// 0x80000000 entry) is appended, so the guest
/// does not read zeros where the profile promises a leaf; leaves 0x7 and 0xD are appended with
/// [`FLAG_SIGNIFICANT_INDEX`].
pub fn apply(regs: &RegSet, entries: &mut Vec<CpuidEntry>) -> Result<(), KvmError> {
    if regs.kind != Kind::X86Cpuid {
        return Err(KvmError::Kind(regs.kind));
    }
    let t = crate::tables::cpuid::TABLE.register_index("CPUID.0x0.0x0.EAX");
    let max_basic = t.map_or(0, |i| regs.regs[i] as u32);
    // A subleaf above its leaf's maximum (leaf 7, 0x14, 0x24: subleaf-0 EAX) does not exist.
    let max_sub = |leaf: u32| {
        crate::tables::cpuid::register_of(leaf, 0, 0).map_or(0, |i| regs.regs[i] as u32)
    };
    let subleafed = |leaf: u32| crate::tables::cpuid::MAX_SUBLEAF_LEAVES.contains(&leaf);
    let max_ext = find(entries, 0x8000_0000, 0).map_or(0, |e| e.eax);
    for (i, &(leaf, sub)) in LEAVES.iter().enumerate() {
        let v = |j: usize| regs.regs[i * 4 + j] as u32;
        let known = |j: usize| regs.is_known(i * 4 + j);
        if !(0..4).any(known) {
            // The profile does not give the leaf (unknown): the entries keep what they say.
            continue;
        }
        let pos = entries.iter().position(|e| {
            e.function == leaf && (e.flags & FLAG_SIGNIFICANT_INDEX == 0 || e.index == sub)
        });
        let exists = if leaf >= 0x8000_0000 {
            leaf <= max_ext
        } else {
            leaf <= max_basic && (!subleafed(leaf) || sub <= max_sub(leaf))
        };
        let e = match pos {
            Some(p) => &mut entries[p],
            None if exists => {
                entries.push(CpuidEntry {
                    function: leaf,
                    index: sub,
                    flags: if crate::tables::cpuid::indexed(leaf) {
                        FLAG_SIGNIFICANT_INDEX
                    } else {
                        0
                    },
                    ..CpuidEntry::default()
                });
                let last = entries.len() - 1;
                &mut entries[last]
            }
            None => continue,
        };
        for (j, slot) in [&mut e.eax, &mut e.ebx, &mut e.ecx, &mut e.edx]
            .into_iter()
            .enumerate()
        {
            if known(j) {
                *slot = v(j);
            }
        }
    }
    if entries.len() > MAX_ENTRIES {
        return Err(KvmError::TooMany(entries.len()));
    }
    Ok(())
}
