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
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline::new()
    }
}

/// A finished baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineResult {
    /// The common profile (unknown bits cleared).
    pub profile: RegSet,
    /// Number of hosts folded.
    pub hosts: u64,
    /// Per register, the bits of fields whose value differed between hosts.
    pub varied: [u64; MAX_REGS],
    /// Per register, unknown bits some host had set (dropped from the profile).
    pub dropped_unknown: [u64; MAX_REGS],
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
        }
    }

    /// Number of hosts folded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Folds one host called `name` in.
    pub fn add(&mut self, host: &RegSet, name: &str) -> Result<(), BaselineError> {
        let t = host.kind.table();
        let Some(acc) = self.acc.as_mut() else {
            let mut first = RegSet::zero(host.kind);
            for r in 0..t.registers.len() {
                let known = t.known_mask(r);
                first.regs[r] = host.regs[r] & known;
                self.dropped_unknown[r] |= host.regs[r] & !known;
            }
            self.acc = Some(first);
            self.first = name.to_string();
            self.count = 1;
            return Ok(());
        };
        if acc.kind != host.kind {
            return Err(BaselineError::KindMismatch {
                first: self.first.clone(),
                first_kind: acc.kind,
                host: name.to_string(),
                kind: host.kind,
            });
        }
        let nregs = t.registers.len();
        let mut same = true;
        for r in 0..nregs {
            let known = known_mask_cached(host.kind, r);
            let unknown = host.regs[r] & !known;
            self.dropped_unknown[r] |= unknown;
            same &= (host.regs[r] & known) == acc.regs[r];
        }
        if !same {
            let mut next = *acc;
            for f in t.fields {
                let a = f.get(acc.regs[f.reg]);
                let b = f.get(host.regs[f.reg]);
                if a == b {
                    continue;
                }
                self.varied[f.reg] |= f.reg_mask();
                let c = f.combine(a, b).ok_or_else(|| BaselineError::Mismatch {
                    field: t.full_name(f),
                    first: self.first.clone(),
                    agreed: a,
                    host: name.to_string(),
                    value: b,
                    rule: f.rule.name(),
                })?;
                next.regs[f.reg] = (next.regs[f.reg] & !f.reg_mask()) | (c << f.shift);
            }
            *acc = next;
        }
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

    /// The result; an error when no host was folded.
    pub fn finish(&self) -> Result<BaselineResult, BaselineError> {
        let profile = self.acc.ok_or(BaselineError::Empty)?;
        Ok(BaselineResult {
            profile,
            hosts: self.count,
            varied: self.varied,
            dropped_unknown: self.dropped_unknown,
        })
    }
}

/// Known-bit masks per kind and register, computed once.
fn known_mask_cached(kind: Kind, r: usize) -> u64 {
    use std::sync::OnceLock;
    static MASKS: OnceLock<[[u64; MAX_REGS]; 4]> = OnceLock::new();
    let m = MASKS.get_or_init(|| {
        let mut out = [[0; MAX_REGS]; 4];
        for (k, kind) in Kind::ALL.into_iter().enumerate() {
            let t = kind.table();
            for (r, slot) in out[k].iter_mut().enumerate().take(t.registers.len()) {
                *slot = t.known_mask(r);
            }
        }
        out
    });
    let k = Kind::ALL.iter().position(|&x| x == kind).unwrap_or(0);
    m[k][r]
}
