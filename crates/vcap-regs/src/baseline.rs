//! The migration-safe baseline over many hosts: a left fold of every field's rule (associative
//! and commutative), in memory that does not grow with the number of hosts.

use crate::model::{Kind, MAX_REGS, RegSet};

/// Why a baseline could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// No host profiles were given.
    #[error("empty host list: a baseline needs at least one host profile")]
    Empty,
    /// Hosts of different register files.
    #[error(
        "host {host} is {kind} but host {first} is {first_kind}; a baseline needs one register type"
    )]
    KindMismatch {
        /// First host.
        first: String,
        /// Its kind.
        first_kind: Kind,
        /// Offending host.
        host: String,
        /// Its kind.
        kind: Kind,
    },
    /// CPUs of different vendors: their CPUID leaves mean different things (AMD's 0x8000_0001
    /// ECX is not Intel's), and a guest cannot move between them.
    #[error(
        "host {host} is {vendor} but host {first} is {first_vendor}: CPUs of different vendors (Intel and AMD) never share a baseline; fold each vendor's hosts separately"
    )]
    VendorMismatch {
        /// The first host folded.
        first: String,
        /// Its vendor string.
        first_vendor: String,
        /// The host of the other vendor.
        host: String,
        /// Its vendor string.
        vendor: String,
    },
    /// The fold left a field a usable profile needs at an unusable value (VT-d SAGAW = 0: no
    /// page-table depth every host walks; no address width).
    #[error("{field} = 0 in the baseline: {why}; caused by {hosts}")]
    Unusable {
        /// `REG.NAME`.
        field: String,
        /// What a 0 means.
        why: &'static str,
        /// The hosts that took it there (with the bit each lacked, for bitmaps).
        hosts: String,
    },
    /// A host register set that does not fit its registers (built in code without the checks).
    #[error("host {host}: {error}")]
    Register {
        /// The host.
        host: String,
        /// What does not fit.
        error: crate::model::RegError,
    },
    /// A field whose values have no common value (an exact-match field that differs, or
    /// incompatible enum values).
    #[error(
        "{field}: host {host} reports {value:#x} but the hosts before it (first: {first}) agree on {agreed:#x}; rule {rule} has no common value"
    )]
    Mismatch {
        /// `REG.NAME`.
        field: String,
        /// The first host folded.
        first: String,
        /// The value the hosts folded so far agree on.
        agreed: u64,
        /// The host that disagrees.
        host: String,
        /// Its value.
        value: u64,
        /// Rule name.
        rule: &'static str,
    },
}

/// A running baseline. Memory is constant: the folded registers, which bits varied, which
/// unknown bits were dropped, the first host's name and a count.
#[derive(Debug, Clone)]
pub struct Baseline {
    acc: Option<RegSet>,
    first: String,
    count: u64,
    varied: [u64; MAX_REGS],
    dropped_unknown: [u64; MAX_REGS],
    /// Per required field of this kind: the first host that lacked each bit (bitmaps) or that
    /// reported 0 (bit 0 slot, other rules). At most 64 names per field.
    culprits: Vec<Vec<(u8, String)>>,
    /// Per required field, the bits some host had.
    had: Vec<u64>,
}

/// Fields a usable profile cannot have at 0, with what a 0 means.
pub const REQUIRED: &[(Kind, &str, &str)] = &[
    (
        Kind::IntelVtd,
        "CAP.SAGAW",
        "no second-level page-table depth is common to all hosts, so a guest cannot build page tables any host walks",
    ),
    (Kind::IntelVtd, "CAP.MGAW", "no guest address width"),
    (
        Kind::X86Cpuid,
        "CPUID.0x80000008.0x0.EAX.PHYS_ADDR_BITS",
        "no physical address width",
    ),
    (
        Kind::X86Cpuid,
        "CPUID.0x80000008.0x0.EAX.LIN_ADDR_BITS",
        "no linear address width",
    ),
];

fn required_of(
    kind: Kind,
) -> impl Iterator<Item = (&'static crate::model::Field, &'static str, &'static str)> {
    let t = kind.table();
    REQUIRED
        .iter()
        .filter(move |r| r.0 == kind)
        .filter_map(move |&(_, name, why)| t.field(name).map(|f| (f, name, why)))
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline::new()
    }
}

/// A finished baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineResult {
    /// The common profile (unknown bits cleared; a register some host did not give is unknown,
    /// `profile.unknown`).
    pub profile: RegSet,
    /// Number of hosts folded.
    pub hosts: u64,
    /// Per register, the bits of fields whose value differed between hosts.
    pub varied: [u64; MAX_REGS],
    /// Per register, unknown bits some host had set (dropped from the profile).
    pub dropped_unknown: [u64; MAX_REGS],
    /// Registers the rules across registers changed after the fold (x86 CPUID: a maximum
    /// subleaf capped at the highest subleaf the baseline gives, a leaf-announcing bit cleared
    /// with its leaf unknown; the same rules as sanitize's), each `(register, why)`.
    pub adjusted: Vec<(usize, String)>,
}

impl Baseline {
    /// An empty fold.
    pub fn new() -> Baseline {
        Baseline {
            acc: None,
            first: String::new(),
            count: 0,
            varied: [0; MAX_REGS],
            dropped_unknown: [0; MAX_REGS],
            culprits: Vec::new(),
            had: Vec::new(),
        }
    }

    /// Records, for each required field, the host that lacks a bit (or reports 0) first.
    fn note_culprits(&mut self, host: &RegSet, name: &mut dyn FnMut() -> String) {
        if self.culprits.is_empty() {
            self.culprits = required_of(host.kind).map(|_| Vec::new()).collect();
            self.had = vec![0; self.culprits.len()];
        }
        let mut cached: Option<String> = None;
        for (i, (f, _, _)) in required_of(host.kind).enumerate() {
            let v = f.get(host.regs[f.reg]);
            let lacking: u64 = if matches!(f.rule, crate::model::Rule::Bitmap) {
                !v & f.value_mask()
            } else if v == 0 {
                1
            } else {
                0
            };
            if let Some(h) = self.had.get_mut(i) {
                *h |= v;
            }
            let Some(list) = self.culprits.get_mut(i) else {
                continue;
            };
            for bit in 0..f.width.min(64) {
                if lacking & (1u64 << bit) != 0 && !list.iter().any(|(b, _)| *b == bit) {
                    let n = cached.get_or_insert_with(&mut *name).clone();
                    list.push((bit, n));
                }
            }
        }
    }

    /// Number of hosts folded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Folds one host called `name` in.
    pub fn add(&mut self, host: &RegSet, name: &str) -> Result<(), BaselineError> {
        self.add_with(host, || name.to_string())
    }

    /// Folds one host in; `name` is called only when the name is needed (the first host, or an
    /// error), so a stream of unnamed hosts folds without allocating.
    pub fn add_with(
        &mut self,
        host: &RegSet,
        name: impl FnOnce() -> String,
    ) -> Result<(), BaselineError> {
        let t = host.kind.table();
        let mut name = Some(name);
        let mut take_name = move || name.take().map(|f| f()).unwrap_or_default();
        let mut got: Option<String> = None;
        let mut the_name = move || got.get_or_insert_with(&mut take_name).clone();
        if let Err(error) = host.validate() {
            return Err(BaselineError::Register {
                host: the_name(),
                error,
            });
        }
        if let Some(acc) = self.acc.as_ref()
            && acc.kind == host.kind
            && host.kind == Kind::X86Cpuid
        {
            let (a, b) = (
                crate::tables::cpuid::vendor(acc),
                crate::tables::cpuid::vendor(host),
            );
            if a != b {
                return Err(BaselineError::VendorMismatch {
                    first: self.first.clone(),
                    first_vendor: a,
                    host: the_name(),
                    vendor: b,
                });
            }
        }
        if self.acc.as_ref().is_none_or(|a| a.kind == host.kind) {
            self.note_culprits(host, &mut the_name);
        }
        let Some(acc) = self.acc.as_mut() else {
            let mut first = RegSet::zero(host.kind);
            first.unknown = host.unknown;
            for r in 0..t.registers.len() {
                let known = t.known_mask(r);
                first.regs[r] = host.regs[r] & known;
                self.dropped_unknown[r] |= host.regs[r] & !known;
            }
            self.acc = Some(first);
            self.first = the_name();
            self.count = 1;
            return Ok(());
        };
        if acc.kind != host.kind {
            return Err(BaselineError::KindMismatch {
                first: self.first.clone(),
                first_kind: acc.kind,
                host: the_name(),
                kind: host.kind,
            });
        }
        let plan = fold_plan(host.kind);
        let mut next = *acc;
        // A register unknown on either side is unknown in the fold (never a value).
        next.unknown |= host.unknown;
        for (r, fields) in plan.iter().enumerate() {
            if next.unknown != 0 && !next.is_known(r) {
                next.regs[r] = 0;
                continue;
            }
            let known = t_known(host.kind, r);
            self.dropped_unknown[r] |= host.regs[r] & !known;
            let diff = (host.regs[r] ^ acc.regs[r]) & known;
            if diff == 0 {
                continue;
            }
            for f in fields {
                let mask = f.bits.mask();
                if diff & mask == 0 {
                    continue;
                }
                let a = f.bits.get(acc.regs[r]);
                let b = f.bits.get(host.regs[r]);
                self.varied[r] |= mask;
                let c = f.rule.combine(a, b, f.signed, f.width).ok_or_else(|| {
                    let field = &t.fields[f.idx];
                    BaselineError::Mismatch {
                        field: t.full_name(field),
                        first: self.first.clone(),
                        agreed: a,
                        host: the_name(),
                        value: b,
                        rule: f.rule.name(),
                    }
                })?;
                next.regs[r] = (next.regs[r] & !mask) | f.bits.place(c);
            }
        }
        *acc = next;
        self.count += 1;
        Ok(())
    }

    /// Folds another baseline in (for tree-shaped or parallel folds).
    pub fn merge(&mut self, other: &Baseline) -> Result<(), BaselineError> {
        let Some(o) = other.acc else {
            return Ok(());
        };
        let count = self.count + other.count;
        let was_empty = self.acc.is_none();
        self.add(&o, &other.first)?;
        if was_empty {
            self.first = other.first.clone();
        }
        self.count = count;
        for r in 0..MAX_REGS {
            self.varied[r] |= other.varied[r];
            self.dropped_unknown[r] |= other.dropped_unknown[r];
        }
        Ok(())
    }

    /// The result; an error when no host was folded, or when a field a usable profile needs
    /// ([`REQUIRED`]) folded to 0 (naming the hosts that took it there).
    pub fn finish(&self) -> Result<BaselineResult, BaselineError> {
        let mut profile = self.acc.ok_or(BaselineError::Empty)?;
        // A host without leaf 7.2 leaves it unknown in the baseline: the profile must not then
        // advertise subleaf 2 (nor AVX10 without leaf 0x24), as a sanitized guest does not.
        let mut adjusted = Vec::new();
        if profile.kind == Kind::X86Cpuid {
            let given = profile;
            crate::sanitize::cross_register(&given, &mut profile.regs, |r, why| {
                adjusted.push((r, why.to_string()));
            });
        }
        for (i, (f, field, why)) in required_of(profile.kind).enumerate() {
            if f.get(profile.regs[f.reg]) != 0 {
                continue;
            }
            let bitmap = matches!(f.rule, crate::model::Rule::Bitmap);
            let had = self.had.get(i).copied().unwrap_or(0);
            let list: Vec<&(u8, String)> = self
                .culprits
                .get(i)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .filter(|(bit, _)| !bitmap || had & (1u64 << bit) != 0)
                .collect();
            let hosts = if list.is_empty() {
                format!("every host ({} folded)", self.count)
            } else {
                list.iter()
                    .take(8)
                    .map(|(bit, h)| {
                        if bitmap {
                            let meaning = f
                                .meaning(1 << bit)
                                .map(|m| format!(" {m}"))
                                .unwrap_or_default();
                            format!("{h} (lacks bit {bit}{meaning})")
                        } else {
                            format!("{h} (reports 0)")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(BaselineError::Unusable {
                field: field.to_string(),
                why,
                hosts,
            });
        }
        Ok(BaselineResult {
            profile,
            hosts: self.count,
            varied: self.varied,
            dropped_unknown: self.dropped_unknown,
            adjusted,
        })
    }
}

/// One field as the fold needs it.
#[derive(Debug, Clone, Copy)]
struct FoldField {
    bits: vcap_bits::BitRange,
    width: u8,
    signed: bool,
    rule: crate::model::Rule,
    idx: usize,
}

struct FoldPlan {
    known: [u64; MAX_REGS],
    fields: Vec<Vec<FoldField>>,
}

fn plans() -> &'static [FoldPlan; 5] {
    use std::sync::OnceLock;
    static PLANS: OnceLock<[FoldPlan; 5]> = OnceLock::new();
    PLANS.get_or_init(|| {
        Kind::ALL.map(|kind| {
            let t = kind.table();
            let mut known = [0; MAX_REGS];
            let mut fields = vec![Vec::new(); t.registers.len()];
            for (r, slot) in known.iter_mut().enumerate().take(t.registers.len()) {
                *slot = t.known_mask(r);
            }
            for (idx, f) in t.fields.iter().enumerate() {
                fields[f.reg].push(FoldField {
                    bits: f.range(),
                    width: f.width,
                    signed: f.signed,
                    rule: f.rule,
                    idx,
                });
            }
            FoldPlan { known, fields }
        })
    })
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::ArmSmmuV3 => 0,
        Kind::IntelVtd => 1,
        Kind::Amd => 2,
        Kind::X86Cpuid => 3,
        Kind::Arm64Id => 4,
    }
}

fn fold_plan(kind: Kind) -> &'static [Vec<FoldField>] {
    &plans()[kind_index(kind)].fields
}

fn t_known(kind: Kind, r: usize) -> u64 {
    plans()[kind_index(kind)].known[r]
}
