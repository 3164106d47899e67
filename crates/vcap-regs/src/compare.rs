//! Compare a guest profile with a host: identical, subset, superset or incompatible (QEMU's
//! `CpuModelCompareResult` vocabulary), with the fields responsible. A field passes when the
//! profile's value is no more capable than the host's under its rule (KVM's writable-ID-register
//! rule: `safe(profile, host) == profile`). Only capabilities decide: identity fields (CPUID
//! signature, SMMUv3 IIDR) and VMM-owned fields (APIC IDs, topology counts, register offsets,
//! queue sizes) are listed with their class but never make a profile "incompatible"; the CPU
//! vendor does (Intel and AMD never run each other's profiles). A register one side does not
//! give (an optional register the input left out) is not compared but listed; where the host
//! lacks one in which the profile asks for a capability, the answer is `unknown`.

use serde::Serialize;

use crate::model::{Kind, Provenance, RegSet, Rule};

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
    /// No field contradicts, but the host does not give a register in which the profile asks
    /// for a capability (an optional register the host input left out): vcap cannot tell.
    Unknown,
}

impl Verdict {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Subset => "subset",
            Verdict::Superset => "superset",
            Verdict::Incompatible => "incompatible",
            Verdict::Unknown => "unknown",
        }
    }

    /// Whether a guest with the profile can run on the host.
    pub fn runs(self) -> bool {
        matches!(self, Verdict::Identical | Verdict::Subset)
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// What the field is: `capability` (decides the verdict), `vendor` (decides: differing
    /// vendors are incompatible), `identity` or `vmm-owned` (reported, never decide).
    pub class: &'static str,
}

/// A register one side does not give ([`RegSet::unknown`]): not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnknownRegister {
    /// The register.
    pub register: &'static str,
    /// `profile`, `host` or `both`.
    pub side: &'static str,
    /// The capability fields (`REG.NAME`) the profile sets above their least capable value in
    /// a register the host does not give: each makes the verdict `unknown`.
    pub profile_asks: Vec<String>,
}

/// VMM-owned fields that the host still bounds (the VMM chooses a value no larger than the
/// host's): compared as capabilities. SMMUv3 IDR5.OAS: QEMU's accelerated SMMUv3 refuses a
/// guest OAS above the host's.
const HOST_BOUNDED: &[(Kind, &str)] = &[(Kind::ArmSmmuV3, "IDR5.OAS")];

/// The class of a field for compare (see [`FieldDiff::class`]).
pub fn class_of(kind: Kind, f: &crate::model::Field) -> &'static str {
    let t = kind.table();
    let name = t.full_name(f);
    if kind == Kind::X86Cpuid && f.name.starts_with("VENDOR_") {
        return "vendor";
    }
    match f.prov {
        Provenance::Identity => "identity",
        Provenance::VmmOwned { .. } if !HOST_BOUNDED.contains(&(kind, name.as_str())) => {
            "vmm-owned"
        }
        _ => "capability",
    }
}

/// The answer with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Overall verdict.
    pub verdict: Verdict,
    /// Every capability (or vendor) field that differs: the reasons for the verdict.
    pub responsible: Vec<FieldDiff>,
    /// Identity and VMM-owned fields that differ: reported, not reasons.
    pub not_capabilities: Vec<FieldDiff>,
    /// Registers one side does not give, not compared.
    pub unknown: Vec<UnknownRegister>,
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
    /// A register set that does not fit its registers (built in code without the checks).
    #[error("{side}: {error}")]
    Register {
        /// `profile` or `host`.
        side: &'static str,
        /// What does not fit.
        error: crate::model::RegError,
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
    for (side, r) in [("profile", profile), ("host", host)] {
        r.validate()
            .map_err(|error| CompareError::Register { side, error })?;
    }
    let t = profile.kind.table();
    let mut responsible = Vec::new();
    let mut not_capabilities = Vec::new();
    let mut any_more = false;
    let mut any_less = false;
    let mut any_incomparable = false;
    let mut push = |field: String,
                    p: u64,
                    h: u64,
                    rule: &Rule,
                    signed: bool,
                    width: u8,
                    class: &'static str| {
        let p_ok = rule.no_more_capable(p, h, signed, width);
        let h_ok = rule.no_more_capable(h, p, signed, width);
        let direction = match (p_ok, h_ok) {
            (true, _) => "profile-less-capable",
            (false, true) => "profile-more-capable",
            (false, false) => "incomparable",
        };
        let d = FieldDiff {
            field,
            profile: p,
            host: h,
            rule: rule.name(),
            direction: if class == "vendor" {
                "incomparable"
            } else {
                direction
            },
            class,
        };
        match class {
            "capability" | "vendor" => {
                match d.direction {
                    "profile-less-capable" => any_less = true,
                    "profile-more-capable" => any_more = true,
                    _ => any_incomparable = true,
                }
                responsible.push(d);
            }
            _ => not_capabilities.push(d),
        }
    };
    let mut unknown = Vec::new();
    for (r, reg) in t.registers.iter().enumerate() {
        let (pk, hk) = (profile.is_known(r), host.is_known(r));
        if pk && hk {
            continue;
        }
        let profile_asks = if pk {
            t.fields_of(r)
                .filter(|f| class_of(profile.kind, f) == "capability")
                .filter(|f| f.get(profile.regs[r]) != f.safe)
                .map(|f| t.full_name(f))
                .collect()
        } else {
            Vec::new()
        };
        unknown.push(UnknownRegister {
            register: reg.name,
            side: match (pk, hk) {
                (true, _) => "host",
                (_, true) => "profile",
                _ => "both",
            },
            profile_asks,
        });
    }
    let known_both = |r: usize| profile.is_known(r) && host.is_known(r);
    for f in t.fields {
        if !known_both(f.reg) {
            continue;
        }
        let p = f.get(profile.regs[f.reg]);
        let h = f.get(host.regs[f.reg]);
        if p != h {
            let class = class_of(profile.kind, f);
            push(t.full_name(f), p, h, &f.rule, f.signed, f.width, class);
        }
    }
    for (r, reg) in t.registers.iter().enumerate() {
        if !known_both(r) {
            continue;
        }
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
                    "capability",
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
    } else if unknown.iter().any(|u| !u.profile_asks.is_empty()) {
        Verdict::Unknown
    } else {
        Verdict::Subset
    };
    let verdict =
        if verdict == Verdict::Identical && unknown.iter().any(|u| !u.profile_asks.is_empty()) {
            Verdict::Unknown
        } else {
            verdict
        };
    Ok(Comparison {
        verdict,
        responsible,
        not_capabilities,
        unknown,
    })
}
