//! libvirt `<cpu>` XML and QEMU `-cpu` strings, in and out, with libvirt's own feature and model
//! names ([`FEATURES`], [`MODELS`]: libvirt's `src/cpu_map/`, generated into
//! `tables/libvirt_map.rs`).
//!
//! Out: [`CpuDef::from_regset`] names the richest libvirt model whose every feature the CPUID set
//! has ([`richest_model`]) and requires the set's other named features; [`CpuDef::to_xml`] writes
//! it as libvirt does (`<cpu mode='custom' match='exact'>`), [`CpuDef::to_qemu`] as a QEMU
//! `-cpu` value with QEMU's feature names and `enforce` (QEMU refuses to start when the host lacks
//! one); [`CpuDef::for_qemu`] names a model QEMU has and leaves out the features QEMU has no
//! property for. In: [`CpuDef::parse_xml`] and [`CpuDef::parse_qemu`]; [`CpuDef::feature_names`] expands
//! the model; [`CpuDef::to_regset`] sets the bits vcap reads.
//!
//! A libvirt feature lives in one CPUID bit or one MSR bit. Features in leaves vcap does not read
//! (0x8000000A SVM sub-features, 0x12 SGX, 0xC0000001, the MSRs `arch-capabilities` bits and VMX
//! controls; leaf 0x6, with `arat`, is read) cannot be written from a vcap register set and are reported, never
//! silently dropped, when read: see [`Feature::position`].

use std::collections::BTreeSet;
use std::fmt::Write as _;

use thiserror::Error;

use crate::model::{Kind, RegSet};
use crate::tables::cpuid::{L0_EBX, L0_ECX, L0_EDX, LEAVES};
pub use crate::tables::libvirt_map::{FEATURES, MODELS, SOURCE_VERSION};

/// A CPUID output register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reg {
    /// EAX.
    Eax,
    /// EBX.
    Ebx,
    /// ECX.
    Ecx,
    /// EDX.
    Edx,
}

impl Reg {
    fn index(self) -> usize {
        match self {
            Reg::Eax => 0,
            Reg::Ebx => 1,
            Reg::Ecx => 2,
            Reg::Edx => 3,
        }
    }
}

/// Where a libvirt feature lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// One CPUID bit.
    Cpuid {
        /// EAX input.
        leaf: u32,
        /// ECX input.
        subleaf: u32,
        /// Output register.
        reg: Reg,
        /// Bit number.
        bit: u8,
    },
    /// One bit of a model-specific register.
    Msr {
        /// MSR index.
        index: u32,
        /// Bit number (EDX:EAX as one 64-bit value).
        bit: u8,
    },
}

/// One libvirt feature (`x86_features.xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// libvirt's name.
    pub name: &'static str,
    /// QEMU's name (libvirt's `<alias source='qemu'>`, else the same name).
    pub qemu: &'static str,
    /// false for `migratable='no'` features (`invtsc`, `xsaves` in libvirt 9.0).
    pub migratable: bool,
    /// The bit.
    pub loc: Loc,
}

impl Feature {
    /// The vcap `x86_cpuid` register index and bit mask, when the bit is in a leaf vcap reads;
    /// `None` for MSR features and leaves vcap does not read.
    pub fn position(&self) -> Option<(usize, u64)> {
        let Loc::Cpuid {
            leaf,
            subleaf,
            reg,
            bit,
        } = self.loc
        else {
            return None;
        };
        let i = LEAVES.iter().position(|&l| l == (leaf, subleaf))?;
        Some((i * 4 + reg.index(), 1u64 << bit))
    }
}

/// One libvirt named model (`x86_<name>.xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// The model's name (libvirt's and, for these models, QEMU's).
    pub name: &'static str,
    /// `Intel`, `AMD`, `Hygon`, or `None` for vendor-neutral models (`qemu64`, `486`…).
    pub vendor: Option<&'static str>,
    /// Whether libvirt may name a host CPU after it (`<decode host='on'>`).
    pub decode_host: bool,
    /// `(family, model)` signatures libvirt matches it to.
    pub signatures: &'static [(u32, u32)],
    /// Its features (libvirt names).
    pub features: &'static [&'static str],
}

impl Model {
    /// Whether vcap can tell every feature of the model from a CPUID set (see
    /// [`Feature::position`]).
    pub fn representable(&self) -> bool {
        self.features
            .iter()
            .all(|n| feature(n).and_then(|f| f.position()).is_some())
    }
}

/// What went wrong reading or writing a CPU definition.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LibvirtError {
    /// The register set is not x86 CPUID.
    #[error("libvirt and QEMU CPU definitions are x86 CPUID; this is {0}")]
    NotCpuid(&'static str),
    /// A model name libvirt's map does not have.
    #[error("unknown CPU model `{0}` (libvirt {SOURCE_VERSION}'s map has {n} x86 models)", n = MODELS.len())]
    UnknownModel(String),
    /// A feature name libvirt's map does not have.
    #[error("unknown CPU feature `{0}`")]
    UnknownFeature(String),
    /// A feature vcap cannot set because its bit is outside the leaves vcap reads.
    #[error("feature `{0}` is not representable: it is {1}, outside the CPUID leaves vcap reads")]
    Unrepresentable(String, String),
    /// A CPU vendor string libvirt does not know.
    #[error("CPU vendor `{0}` is none of Intel, AMD, Hygon")]
    UnknownVendor(String),
    /// No libvirt model fits the set: nothing to name it after.
    #[error("no libvirt model fits this {vendor} CPU (every model needs a feature it lacks)")]
    NoModel {
        /// The CPU's vendor.
        vendor: String,
    },
    /// Malformed XML or a `<cpu>` element libvirt would refuse.
    #[error("libvirt CPU XML: {0}")]
    Xml(String),
    /// A malformed QEMU `-cpu` value.
    #[error("QEMU -cpu: {0}")]
    Qemu(String),
}

/// A feature's policy in a `<cpu>` definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// The guest gets it; the host must have it.
    Require,
    /// The guest gets it even if the host lacks it.
    Force,
    /// The guest gets it if the host has it.
    Optional,
    /// The guest does not get it.
    Disable,
    /// The guest does not get it and the host must not have it.
    Forbid,
}

impl Policy {
    /// libvirt's word.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Require => "require",
            Policy::Force => "force",
            Policy::Optional => "optional",
            Policy::Disable => "disable",
            Policy::Forbid => "forbid",
        }
    }

    fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "require" => Policy::Require,
            "force" => Policy::Force,
            "optional" => Policy::Optional,
            "disable" => Policy::Disable,
            "forbid" => Policy::Forbid,
            _ => return None,
        })
    }

    fn enables(self) -> bool {
        matches!(self, Policy::Require | Policy::Force | Policy::Optional)
    }
}

/// Normalises a feature name as QEMU does (`_` and `-` are the same; libvirt's `.` in `sse4.1`).
fn norm(s: &str) -> String {
    s.replace('_', "-")
}

/// The feature libvirt calls `name`, or whose QEMU name is `name` (`_` = `-`).
pub fn feature(name: &str) -> Option<&'static Feature> {
    let n = norm(name);
    FEATURES.iter().find(|f| f.name == name).or_else(|| {
        FEATURES
            .iter()
            .find(|f| norm(f.name) == n || norm(f.qemu) == n)
    })
}

/// The model named `name`.
pub fn model(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.name == name)
}

const VENDORS: [(&str, &[u8; 12]); 3] = [
    ("Intel", b"GenuineIntel"),
    ("AMD", b"AuthenticAMD"),
    ("Hygon", b"HygonGenuine"),
];

/// libvirt's vendor name for a CPUID set's leaf 0 (`Intel`, `AMD`, `Hygon`), or the raw string.
pub fn vendor_of(set: &RegSet) -> Result<&'static str, LibvirtError> {
    if set.kind != Kind::X86Cpuid {
        return Err(LibvirtError::NotCpuid(set.kind.type_name()));
    }
    let mut s = [0u8; 12];
    for (i, r) in [L0_EBX, L0_EDX, L0_ECX].iter().enumerate() {
        let v = u32::try_from(set.regs[*r] & 0xffff_ffff).unwrap_or(0);
        s[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    VENDORS
        .iter()
        .find(|(_, v)| **v == s)
        .map(|(n, _)| *n)
        .ok_or_else(|| LibvirtError::UnknownVendor(String::from_utf8_lossy(&s).into_owned()))
}

/// The libvirt features a CPUID set has, in `x86_features.xml` order (only features vcap can
/// read: [`Feature::position`]; a feature in a register the set does not give, unknown, is not
/// claimed).
pub fn features_of(set: &RegSet) -> Result<Vec<&'static Feature>, LibvirtError> {
    if set.kind != Kind::X86Cpuid {
        return Err(LibvirtError::NotCpuid(set.kind.type_name()));
    }
    Ok(FEATURES
        .iter()
        .filter(|f| matches!(f.position(), Some((r, m)) if set.is_known(r) && set.regs[r] & m != 0))
        .collect())
}

/// The CPUID features (libvirt names) QEMU's own model of `name` sets
/// ([`crate::tables::qemu_models`], read from QEMU's `query-cpu-model-expansion`); `None` for a
/// model QEMU does not have.
pub fn qemu_model_features(name: &str) -> Option<&'static [&'static str]> {
    crate::tables::qemu_models::MODELS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// Whether vcap's table makes the feature's bit VMM-owned (`x2apic`, `hypervisor`,
/// `tsc-deadline`, …): the VMM decides it, so the `-cpu` writer never turns it off.
fn vmm_owned(f: &Feature) -> bool {
    use crate::model::Provenance;
    let Some((r, m)) = f.position() else {
        return false;
    };
    let t = &crate::tables::cpuid::TABLE;
    t.fields_of(r)
        .any(|x| x.reg_mask() & m != 0 && matches!(x.prov, Provenance::VmmOwned { .. }))
}

/// libvirt's CPUID features QEMU's `-cpu` has no property for: `feature_word_info[]` in QEMU's
/// `target/i386/cpu.c` (qemu/qemu 0048035a) names no bit there — `NULL /* osxsave */` (1:ECX
/// 27; QEMU sets it from the guest's CR4), `NULL /* ospke */` (7.0:ECX 4, likewise), `NULL` at
/// 7.0:EBX 12 (`cmt`), `NULL /* pconfig */` (7.0:EDX 18), `NULL` at 0x80000001:ECX 18
/// (`cvt16`) — and no word has leaf 0xF:1 EDX (`mbm_total`, `mbm_local`). QEMU 10.0 refuses
/// each (`Property '…-x86_64-cpu.osxsave' not found`): `tests/qemu_peer.rs` checks this list
/// against the QEMU `tests/guestlab/setup-host` installs.
pub const QEMU_NO_PROPERTY: &[&str] = &[
    "osxsave",
    "ospke",
    "cmt",
    "pconfig",
    "cvt16",
    "mbm_total",
    "mbm_local",
];

/// libvirt's x86 models QEMU has no CPU model or alias of: `pentiumpro` and libvirt's RHEL
/// compatibility models `cpu64-rhel5`/`cpu64-rhel6` (never in QEMU's `builtin_x86_defs[]`), and
/// `Icelake-Client`/`Icelake-Client-noTSX`, deprecated in QEMU 5.2 and since removed
/// (`builtin_x86_defs[]` at qemu/qemu 0048035a goes from Cooperlake to Icelake-Server). QEMU
/// 10.0's `-cpu help` lists every other libvirt 9.0 model as a model or alias
/// (`tests/qemu_peer.rs`).
pub const QEMU_NO_MODEL: &[&str] = &[
    "pentiumpro",
    "cpu64-rhel5",
    "cpu64-rhel6",
    "Icelake-Client",
    "Icelake-Client-noTSX",
];

/// The richest common named model: of the models libvirt may name a host after
/// (`decode host='on'`) whose vendor is the set's (or none) and whose every feature the set has,
/// the one with the most features (the first in libvirt's order on a tie). A model with a feature
/// vcap cannot read is never chosen (vcap cannot tell the host has it). libvirt's own choice
/// (`x86Decode`) also weighs the CPU signature and the features left over, so it can differ:
/// `tests/libvirt_peer.rs` reports both.
pub fn richest_model(set: &RegSet) -> Result<Option<&'static Model>, LibvirtError> {
    richest_model_of(set, |_| true)
}

fn richest_model_of(
    set: &RegSet,
    allowed: impl Fn(&Model) -> bool,
) -> Result<Option<&'static Model>, LibvirtError> {
    let vendor = vendor_of(set)?;
    let have: BTreeSet<&str> = features_of(set)?.iter().map(|f| f.name).collect();
    let mut best: Option<&'static Model> = None;
    for m in MODELS {
        if !m.decode_host || m.vendor.is_some_and(|v| v != vendor) || !allowed(m) {
            continue;
        }
        if !m.features.iter().all(|f| have.contains(f)) {
            continue;
        }
        if best.is_none_or(|b| m.features.len() > b.features.len()) {
            best = Some(m);
        }
    }
    Ok(best)
}

/// A CPU definition: a model, a vendor and features with policies, as libvirt's `<cpu>` holds it
/// and a QEMU `-cpu` value spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuDef {
    /// The named model.
    pub model: Option<String>,
    /// libvirt's vendor name.
    pub vendor: Option<String>,
    /// Features beyond (or removed from) the model, with their policies, in order.
    pub features: Vec<(String, Policy)>,
}

impl CpuDef {
    /// The definition of a CPUID set: its richest common named model ([`richest_model`]) and its
    /// other features as `require`. An error if no model fits.
    pub fn from_regset(set: &RegSet) -> Result<CpuDef, LibvirtError> {
        let vendor = vendor_of(set)?;
        let m = richest_model(set)?.ok_or_else(|| LibvirtError::NoModel {
            vendor: vendor.to_string(),
        })?;
        let features = features_of(set)?
            .into_iter()
            .filter(|f| !m.features.contains(&f.name))
            .map(|f| (f.name.to_string(), Policy::Require))
            .collect();
        Ok(CpuDef {
            model: Some(m.name.to_string()),
            vendor: Some(vendor.to_string()),
            features,
        })
    }

    /// The definition of a CPUID set for QEMU's `-cpu`, exact against QEMU's own model: the
    /// richest common named model QEMU has (not in [`QEMU_NO_MODEL`]); `require` for each feature
    /// of the set QEMU's model lacks ([`qemu_model_features`]), `disable` for each CPUID feature
    /// QEMU's model sets (or an accelerator's defaults may set,
    /// [`crate::tables::qemu_models::ACCEL_DEFAULTS`]) that the set gives as clear — except
    /// VMM-owned ones, which stay QEMU's; with the features of the set QEMU has no property for
    /// ([`QEMU_NO_PROPERTY`]), which the guest then does not get from `-cpu` (QEMU derives
    /// `osxsave` and `ospke` from the guest's CR4).
    pub fn for_qemu(set: &RegSet) -> Result<(CpuDef, Vec<&'static str>), LibvirtError> {
        let vendor = vendor_of(set)?;
        let m = richest_model_of(set, |m| !QEMU_NO_MODEL.contains(&m.name))?.ok_or_else(|| {
            LibvirtError::NoModel {
                vendor: vendor.to_string(),
            }
        })?;
        let q = qemu_model_features(m.name).ok_or_else(|| {
            LibvirtError::Qemu(format!("no QEMU model table entry for `{}`", m.name))
        })?;
        let have: Vec<&'static Feature> = features_of(set)?;
        let mut dropped = Vec::new();
        let mut features = Vec::new();
        for f in &have {
            if q.contains(&f.name) {
                continue;
            }
            if QEMU_NO_PROPERTY.contains(&f.name) {
                dropped.push(f.name);
            } else {
                features.push((f.name.to_string(), Policy::Require));
            }
        }
        let accel = crate::tables::qemu_models::ACCEL_DEFAULTS;
        for f in FEATURES {
            let set_in_qemu = q.contains(&f.name) || accel.contains(&f.name);
            let known_clear = matches!(f.position(), Some((r, _)) if set.is_known(r))
                && !have.iter().any(|h| h.name == f.name);
            if set_in_qemu && known_clear && !vmm_owned(f) && !QEMU_NO_PROPERTY.contains(&f.name) {
                features.push((f.name.to_string(), Policy::Disable));
            }
        }
        Ok((
            CpuDef {
                model: Some(m.name.to_string()),
                vendor: Some(vendor.to_string()),
                features,
            },
            dropped,
        ))
    }

    /// Every feature the definition gives a guest (libvirt names): the model's, plus `require`,
    /// `force` and `optional`, less `disable` and `forbid`. Unknown names are errors.
    pub fn feature_names(&self) -> Result<BTreeSet<&'static str>, LibvirtError> {
        let mut out = BTreeSet::new();
        if let Some(name) = &self.model {
            let m = model(name).ok_or_else(|| LibvirtError::UnknownModel(name.clone()))?;
            for f in m.features {
                out.insert(*f);
            }
        }
        for (name, p) in &self.features {
            let f = feature(name).ok_or_else(|| LibvirtError::UnknownFeature(name.clone()))?;
            if p.enables() {
                out.insert(f.name);
            } else {
                out.remove(f.name);
            }
        }
        Ok(out)
    }

    /// The CPUID registers the definition sets: its vendor in leaf 0 and every feature bit. A
    /// `<cpu>` carries no numeric fields (address sizes, XSAVE sizes, signature): those stay 0.
    /// A `higher-safe` field libvirt has no name for (`FDP_EXCPTN_ONLY`, `ZERO_FCS_FDS`,
    /// `RTM_ALWAYS_ABORT`: bits that promise less when set) is set, its least capable value — the
    /// definition makes no promise there. A feature vcap cannot place ([`Feature::position`]) is
    /// an error naming it.
    pub fn to_regset(&self) -> Result<RegSet, LibvirtError> {
        let mut set = RegSet::zero(Kind::X86Cpuid);
        if let Some(v) = &self.vendor {
            let s = VENDORS
                .iter()
                .find(|(n, _)| n == v)
                .map(|(_, s)| *s)
                .ok_or_else(|| LibvirtError::UnknownVendor(v.clone()))?;
            for (i, r) in [L0_EBX, L0_EDX, L0_ECX].iter().enumerate() {
                let mut b = [0u8; 4];
                b.copy_from_slice(&s[i * 4..i * 4 + 4]);
                set.regs[*r] = u64::from(u32::from_le_bytes(b));
            }
        }
        for name in self.feature_names()? {
            let f = feature(name).ok_or_else(|| LibvirtError::UnknownFeature(name.into()))?;
            let (r, m) = f
                .position()
                .ok_or_else(|| LibvirtError::Unrepresentable(name.into(), describe(f.loc)))?;
            set.regs[r] |= m;
        }
        let t = Kind::X86Cpuid.table();
        for f in t.fields {
            if f.rule == crate::model::Rule::HigherSafe
                && !FEATURES.iter().any(
                    |x| matches!(x.position(), Some((r, m)) if r == f.reg && m & f.reg_mask() != 0),
                )
            {
                set.regs[f.reg] |= f.reg_mask();
            }
        }
        Ok(set)
    }

    /// libvirt's `<cpu mode='custom' match='exact'>` form (as `virsh cpu-baseline` prints it).
    pub fn to_xml(&self) -> String {
        let mut s = String::from("<cpu mode='custom' match='exact'>\n");
        if let Some(m) = &self.model {
            let _ = writeln!(s, "  <model fallback='forbid'>{}</model>", esc(m));
        }
        if let Some(v) = &self.vendor {
            let _ = writeln!(s, "  <vendor>{}</vendor>", esc(v));
        }
        for (n, p) in &self.features {
            let _ = writeln!(s, "  <feature policy='{}' name='{}'/>", p.name(), esc(n));
        }
        s.push_str("</cpu>\n");
        s
    }

    /// libvirt's host-CPU form (`<cpu><arch>x86_64</arch><model>…`, features without policies),
    /// what `virsh cpu-baseline` takes as input. A definition that removes features (`disable`,
    /// `forbid`) has no host form and is an error naming the first.
    pub fn to_host_xml(&self) -> Result<String, LibvirtError> {
        let mut s = String::from("<cpu>\n  <arch>x86_64</arch>\n");
        if let Some(m) = &self.model {
            let _ = writeln!(s, "  <model>{}</model>", esc(m));
        }
        if let Some(v) = &self.vendor {
            let _ = writeln!(s, "  <vendor>{}</vendor>", esc(v));
        }
        for (n, p) in &self.features {
            if !p.enables() {
                return Err(LibvirtError::Xml(format!(
                    "feature `{n}` is {}: a host CPU cannot remove a feature",
                    p.name()
                )));
            }
            let _ = writeln!(s, "  <feature name='{}'/>", esc(n));
        }
        s.push_str("</cpu>\n");
        Ok(s)
    }

    /// A QEMU `-cpu` value: `Model,+feat,-feat,enforce` with QEMU's feature names (`force` is
    /// `+`, `disable`/`forbid` are `-`; `optional` has no QEMU spelling and is an error). A model
    /// QEMU does not have ([`QEMU_NO_MODEL`]) or a feature it has no property for
    /// ([`QEMU_NO_PROPERTY`]) is an error: QEMU would refuse the value ([`CpuDef::for_qemu`]
    /// writes a set without them).
    pub fn to_qemu(&self) -> Result<String, LibvirtError> {
        let model = self
            .model
            .as_deref()
            .ok_or_else(|| LibvirtError::Qemu("a -cpu value needs a model".into()))?;
        if QEMU_NO_MODEL.contains(&model) {
            return Err(LibvirtError::Qemu(format!(
                "QEMU has no CPU model `{model}` (libvirt's map does)"
            )));
        }
        let mut s = model.to_string();
        for (n, p) in &self.features {
            let f = feature(n).ok_or_else(|| LibvirtError::UnknownFeature(n.clone()))?;
            if QEMU_NO_PROPERTY.contains(&f.name) {
                return Err(LibvirtError::Qemu(format!(
                    "QEMU has no -cpu property for feature `{n}`"
                )));
            }
            let sign = match p {
                Policy::Require | Policy::Force => '+',
                Policy::Disable | Policy::Forbid => '-',
                Policy::Optional => {
                    return Err(LibvirtError::Qemu(format!(
                        "feature `{n}` is optional, which -cpu cannot say"
                    )));
                }
            };
            let _ = write!(s, ",{sign}{}", f.qemu);
        }
        s.push_str(",enforce");
        Ok(s)
    }

    /// Reads a libvirt `<cpu>` element (a domain's or `virsh cpu-baseline`'s): `<model>`,
    /// `<vendor>`, `<feature name= policy=>` (policy `require` when absent, as in host CPUs).
    /// Unknown models and features are errors; other elements (`<topology>`, `<arch>`…) are
    /// ignored.
    pub fn parse_xml(text: &str) -> Result<CpuDef, LibvirtError> {
        let doc = roxmltree::Document::parse(text).map_err(|e| LibvirtError::Xml(e.to_string()))?;
        let cpu = doc.root_element();
        if cpu.tag_name().name() != "cpu" {
            return Err(LibvirtError::Xml(format!(
                "expected a <cpu> element, found <{}>",
                cpu.tag_name().name()
            )));
        }
        let mut def = CpuDef {
            model: None,
            vendor: None,
            features: Vec::new(),
        };
        for n in cpu.children().filter(|n| n.is_element()) {
            let line = doc.text_pos_at(n.range().start).row;
            match n.tag_name().name() {
                "model" => {
                    let m = n.text().unwrap_or("").trim().to_string();
                    if model(&m).is_none() {
                        return Err(LibvirtError::UnknownModel(m));
                    }
                    def.model = Some(m);
                }
                "vendor" => {
                    let v = n.text().unwrap_or("").trim().to_string();
                    if !VENDORS.iter().any(|(name, _)| *name == v) {
                        return Err(LibvirtError::UnknownVendor(v));
                    }
                    def.vendor = Some(v);
                }
                "feature" => {
                    let name = n.attribute("name").ok_or_else(|| {
                        LibvirtError::Xml(format!("line {line}: <feature> without a name"))
                    })?;
                    if feature(name).is_none() {
                        return Err(LibvirtError::UnknownFeature(name.into()));
                    }
                    let p = match n.attribute("policy") {
                        None => Policy::Require,
                        Some(p) => Policy::parse(p).ok_or_else(|| {
                            LibvirtError::Xml(format!(
                                "line {line}: feature `{name}` has policy `{p}`, none of require, force, optional, disable, forbid"
                            ))
                        })?,
                    };
                    def.features.push((name.to_string(), p));
                }
                _ => {}
            }
        }
        Ok(def)
    }

    /// Reads a QEMU `-cpu` value: `Model[,+feat|-feat|feat=on|feat=off|enforce|check]...`.
    /// QEMU's and libvirt's feature names are both accepted; `host`, `max` and versioned models
    /// are not named models here and are errors. The model means QEMU's model of that name
    /// ([`qemu_model_features`]): where it differs from libvirt's, the definition lists the
    /// difference (`require` what QEMU's model adds, `disable` what it lacks) before the value's
    /// own features; a feature only an accelerator's defaults set is off unless the value says.
    pub fn parse_qemu(text: &str) -> Result<CpuDef, LibvirtError> {
        let mut parts = text.trim().split(',');
        let m = parts.next().unwrap_or("");
        let Some(lm) = model(m) else {
            return Err(LibvirtError::UnknownModel(m.to_string()));
        };
        let mut def = CpuDef {
            model: Some(m.to_string()),
            vendor: lm.vendor.map(str::to_string),
            features: Vec::new(),
        };
        if let Some(q) = qemu_model_features(m) {
            for f in q {
                if !lm.features.contains(f) {
                    def.features.push((f.to_string(), Policy::Require));
                }
            }
            for f in lm.features {
                let positioned = feature(f).is_some_and(|x| x.position().is_some());
                if positioned && !q.contains(f) {
                    def.features.push((f.to_string(), Policy::Disable));
                }
            }
        }
        for p in parts {
            let (name, on) = if let Some(n) = p.strip_prefix('+') {
                (n, true)
            } else if let Some(n) = p.strip_prefix('-') {
                (n, false)
            } else if let Some((n, v)) = p.split_once('=') {
                match v {
                    "on" | "true" | "yes" => (n, true),
                    "off" | "false" | "no" => (n, false),
                    _ => {
                        return Err(LibvirtError::Qemu(format!(
                            "`{p}`: a feature is on or off (QEMU properties other than features are not CPU features)"
                        )));
                    }
                }
            } else if matches!(p, "enforce" | "check") || p.is_empty() {
                continue;
            } else {
                return Err(LibvirtError::Qemu(format!(
                    "`{p}` is neither +feature, -feature, feature=on|off nor enforce"
                )));
            };
            let f = feature(name).ok_or_else(|| LibvirtError::UnknownFeature(name.into()))?;
            def.features.push((
                f.name.to_string(),
                if on { Policy::Require } else { Policy::Disable },
            ));
        }
        Ok(def)
    }
}

fn describe(loc: Loc) -> String {
    match loc {
        Loc::Cpuid {
            leaf,
            subleaf,
            reg,
            bit,
        } => format!("CPUID {leaf:#x}.{subleaf:#x} {reg:?} bit {bit}"),
        Loc::Msr { index, bit } => format!("MSR {index:#x} bit {bit}"),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}
