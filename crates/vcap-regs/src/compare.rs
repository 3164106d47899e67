//! Compare a guest profile with a host: identical, subset, superset or incompatible (QEMU's
//! `CpuModelCompareResult` vocabulary), with the fields responsible. A field passes when the
//! profile's value is no more capable than the host's under its rule (KVM's writable-ID-register
//! rule: `safe(profile, host) == profile`).

use serde::Serialize;

use crate::model::{Kind, RegSet, Rule};

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every field equal: the profile runs on the host and the host's profile runs where it runs.
    Identical,
    /// The profile is no more capable than the host in every field: it runs on the host.
    Subset,
    /// The profile is more capable than the host in some field and less in none: it does not run.
    Superset,
    /// Neither covers the other.
    Incompatible,
}

impl Verdict {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Subset => "subset",
            Verdict::Superset => "superset",
            Verdict::Incompatible => "incompatible",
        }
    }

    /// Whether a guest with the profile can run on the host.
    pub fn runs(self) -> bool {
        matches!(self, Verdict::Identical | Verdict::Subset)
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// `REG.NAME` or `REG.bitN`.
    pub field: String,
    /// The profile's value.
    pub profile: u64,
    /// The host's value.
    pub host: u64,
    /// Rule name.
    pub rule: &'static str,
    /// `profile-less-capable`, `profile-more-capable` or `incomparable`.
    pub direction: &'static str,
}

/// The answer with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Overall verdict.
    pub verdict: Verdict,
    /// Every field that differs.
    pub responsible: Vec<FieldDiff>,
}

/// Why a comparison could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    /// The two are different register files.
    #[error("the profile is {profile} but the host is {host}")]
    KindMismatch {
        /// Profile kind.
        profile: Kind,
        /// Host kind.
        host: Kind,
    },
}

/// Compares `profile` with `host`.
pub fn compare(profile: &RegSet, host: &RegSet) -> Result<Comparison, CompareError> {
    if profile.kind != host.kind {
        return Err(CompareError::KindMismatch {
            profile: profile.kind,
            host: host.kind,
        });
    }
    let t = profile.kind.table();
    let mut responsible = Vec::new();
    let mut any_more = false;
    let mut any_less = false;
    let mut any_incomparable = false;
    let mut push = |field: String, p: u64, h: u64, rule: &Rule, signed: bool, width: u8| {
        let p_ok = rule.no_more_capable(p, h, signed, width);
        let h_ok = rule.no_more_capable(h, p, signed, width);
        let direction = match (p_ok, h_ok) {
            (true, _) => {
                any_less = true;
                "profile-less-capable"
            }
            (false, true) => {
                any_more = true;
                "profile-more-capable"
            }
            (false, false) => {
                any_incomparable = true;
                "incomparable"
            }
        };
        responsible.push(FieldDiff {
            field,
            profile: p,
            host: h,
            rule: rule.name(),
            direction,
        });
    };
    for f in t.fields {
        let p = f.get(profile.regs[f.reg]);
        let h = f.get(host.regs[f.reg]);
        if p != h {
            push(t.full_name(f), p, h, &f.rule, f.signed, f.width);
        }
    }
    for (r, reg) in t.registers.iter().enumerate() {
        let unknown = !t.known_mask(r) & reg.mask();
        let diff = (profile.regs[r] ^ host.regs[r]) & unknown;
        for bit in 0..64u8 {
            if diff & (1u64 << bit) != 0 {
                let p = (profile.regs[r] >> bit) & 1;
                let h = (host.regs[r] >> bit) & 1;
                push(
                    format!("{}.bit{bit}", reg.name),
                    p,
                    h,
                    &Rule::Bitmap,
                    false,
                    1,
                );
            }
        }
    }
    let verdict = if responsible.is_empty() {
        Verdict::Identical
    } else if any_incomparable || (any_more && any_less) {
        Verdict::Incompatible
    } else if any_more {
        Verdict::Superset
    } else {
        Verdict::Subset
    };
    Ok(Comparison {
        verdict,
        responsible,
    })
}
