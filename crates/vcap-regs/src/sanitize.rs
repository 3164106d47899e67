//! Sanitize: host registers + VMM manifest + kernel capability bits + per-VM flags → the
//! guest-visible registers, and for every field a decision (kept, lowered, forced, cleared) with
//! its reason.
//!
//! The decision for a field depends only on the table row and the [`Context`], never on other
//! fields, so a [`Plan`] compiles the context once into per-register masks (bits passed from the
//! host, constant bits) plus a short list of multi-bit fields that need their rule applied.
//! [`Plan::apply`] then sanitizes one register set without allocating. [`explain`] walks the same
//! per-field actions to say why.
//!
//! Two CPUID rules read across registers, after the per-field pass (`cross_register`): a bit
//! that announces a leaf (AVX10, leaf 0x24) is cleared when the input does not give the leaf,
//! and the leaf is zeros without the bit; a maximum-subleaf field (leaf 7, 0x14, 0x24
//! subleaf-0 EAX) is capped at the highest subleaf whose registers the table has and the host
//! input gives ([`crate::tables::cpuid::highest_given_subleaf`]), so a guest never advertises
//! a subleaf (7.2 when the input lacks it) whose registers were not checked; those registers
//! then read as zeros, an unimplemented subleaf's value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::model::{
    Field, KernelCap, Kind, MAX_REGS, OwnedDefault, Provenance, RegSet, Rule, Table, VmFlag,
};

/// What the VMM says about one field in its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestValue {
    /// The VMM supports whatever the host has (for rule fields) or mirrors the host value (for
    /// VMM-owned fields).
    Host,
    /// The VMM's limit for a rule field (it supports at most this, under the field's rule), or the
    /// value it sets for a VMM-owned field.
    Value(u64),
}

/// The VMM support manifest: which fields the VMM implements, and up to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Register file the manifest is for.
    pub kind: Kind,
    /// When true (the default) the VMM implements every baseline field with the host's value;
    /// when false it implements only the fields listed.
    pub baseline: bool,
    /// Per-field entries, keyed by index into the table's `fields`.
    pub fields: BTreeMap<usize, ManifestValue>,
}

impl Manifest {
    /// The default manifest: the VMM implements exactly the baseline.
    pub fn baseline(kind: Kind) -> Manifest {
        Manifest {
            kind,
            baseline: true,
            fields: BTreeMap::new(),
        }
    }
}

/// Everything beside the host registers that decides the guest registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The VMM manifest.
    pub manifest: Manifest,
    /// Kernel capability bits (`iommu_hw_info::out_capabilities`).
    pub kernel_caps: u64,
    /// Per-VM enable flags.
    pub vm_flags: BTreeSet<VmFlag>,
}

impl Context {
    /// The default context for `kind`: baseline manifest, no kernel capabilities, no flags.
    pub fn new(kind: Kind) -> Context {
        Context {
            manifest: Manifest::baseline(kind),
            kernel_caps: 0,
            vm_flags: BTreeSet::new(),
        }
    }

    /// Whether kernel capability `c` is present.
    pub fn has_cap(&self, c: KernelCap) -> bool {
        self.kernel_caps & c.bit() != 0
    }
}

/// The outcome for one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// The guest sees the host value.
    Kept,
    /// The guest sees a less capable value, under the field's rule.
    Lowered,
    /// The guest sees a value the VMM sets (VMM-owned or VMM-derived), not the host's.
    Forced,
    /// The guest sees the least capable value because the field may not be exposed.
    Cleared,
}

impl DecisionKind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            DecisionKind::Kept => "kept",
            DecisionKind::Lowered => "lowered",
            DecisionKind::Forced => "forced",
            DecisionKind::Cleared => "cleared",
        }
    }
}

/// One field's decision (or one unknown bit's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// `REG.NAME`, or `REG.bitN` for an unknown bit.
    pub field: String,
    /// Register name.
    pub register: &'static str,
    /// Lowest bit.
    pub shift: u8,
    /// Width.
    pub width: u8,
    /// Host value of the field.
    pub host: u64,
    /// Guest value of the field.
    pub guest: u64,
    /// The outcome.
    pub decision: DecisionKind,
    /// Provenance name (`unknown` for unknown bits).
    pub provenance: &'static str,
    /// Rule name (`none` for unknown bits).
    pub rule: &'static str,
    /// Why.
    pub reason: String,
    /// Where the row was checked.
    pub source: String,
}

/// Why sanitizing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanitizeError {
    /// The manifest is for another register file.
    #[error("the VMM manifest is for {manifest} but the host registers are {host}")]
    ManifestKind {
        /// Manifest kind.
        manifest: Kind,
        /// Host kind.
        host: Kind,
    },
    /// The host value and the VMM's limit have no common value under the field's rule.
    #[error(
        "{field}: host value {host:#x} and VMM value {vmm:#x} have no common value under rule {rule}"
    )]
    Conflict {
        /// `REG.NAME`.
        field: String,
        /// Host value.
        host: u64,
        /// VMM manifest value.
        vmm: u64,
        /// Rule name.
        rule: &'static str,
    },
    /// The host register set does not fit its registers (built in code without the checks).
    #[error("host registers: {0}")]
    Register(#[from] crate::model::RegError),
}

/// What happens to one field, independent of the host value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Pass,
    Const(u64),
    Combine(u64),
}

/// Why the action is what it is.
#[derive(Debug, Clone, Copy)]
enum Cause {
    Baseline { limit: bool },
    NotImplemented,
    Never { note: &'static str, asked: bool },
    NeedsKernelCap(KernelCap),
    NeedsFirmware(&'static str),
    NeedsVmFlag(VmFlag),
    PerDeviceMissing(VmFlag),
    KernelDenies(KernelCap),
    Enabled(&'static str),
    Owned { note: &'static str, manifest: bool },
    Derived(&'static str),
    Identity,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Cause::Baseline { limit: false } => f.write_str("in the baseline"),
            Cause::Baseline { limit: true } => {
                f.write_str("in the baseline, limited by the VMM manifest")
            }
            Cause::NotImplemented => f.write_str("the VMM does not implement it"),
            Cause::Never { note, asked } => {
                write!(f, "never exposed: {note}")?;
                if asked {
                    f.write_str(" (the VMM manifest asks for it; ignored)")?;
                }
                Ok(())
            }
            Cause::NeedsKernelCap(c) => write!(f, "needs kernel capability {}", c.name()),
            Cause::NeedsFirmware(what) => write!(
                f,
                "needs firmware data ({what}) that no kernel capability bit reports yet"
            ),
            Cause::NeedsVmFlag(fl) => {
                write!(f, "needs per-VM flag {} at vIOMMU allocation", fl.name())
            }
            Cause::PerDeviceMissing(fl) => write!(
                f,
                "per-device: exposed only when the VMM describes such devices (per-VM flag {})",
                fl.name()
            ),
            Cause::KernelDenies(c) => write!(
                f,
                "the kernel reports {} (a set bit forbids it for this device)",
                c.name()
            ),
            Cause::Enabled(what) => write!(f, "enabled: {what} and the VMM implements it"),
            Cause::Owned { note, manifest } => write!(
                f,
                "VMM-owned: {note} ({})",
                if manifest {
                    "value from the VMM manifest"
                } else {
                    "default value"
                }
            ),
            Cause::Derived(note) => write!(f, "derived by the VMM: {note}"),
            Cause::Identity => f.write_str("identity register, kept as-is"),
        }
    }
}

fn field_action(i: usize, f: &Field, ctx: &Context) -> (Action, Cause) {
    let m = ctx.manifest.fields.get(&i).copied();
    let listed = m.is_some();
    let limit = |m: Option<ManifestValue>| match m {
        None | Some(ManifestValue::Host) => Action::Pass,
        Some(ManifestValue::Value(v)) => Action::Combine(v),
    };
    match f.prov {
        Provenance::Identity => (Action::Pass, Cause::Identity),
        Provenance::Baseline => {
            if listed || ctx.manifest.baseline {
                (
                    limit(m),
                    Cause::Baseline {
                        limit: matches!(m, Some(ManifestValue::Value(_))),
                    },
                )
            } else {
                (Action::Const(f.safe), Cause::NotImplemented)
            }
        }
        Provenance::Never { note } => (
            Action::Const(f.safe),
            Cause::Never {
                note,
                asked: listed,
            },
        ),
        Provenance::VmmDerived { value, note } => (Action::Const(value), Cause::Derived(note)),
        Provenance::VmmOwned { default, note } => match m {
            Some(ManifestValue::Value(v)) => (
                Action::Const(v),
                Cause::Owned {
                    note,
                    manifest: true,
                },
            ),
            Some(ManifestValue::Host) => (
                Action::Pass,
                Cause::Owned {
                    note,
                    manifest: true,
                },
            ),
            None => (
                match default {
                    OwnedDefault::Value(v) => Action::Const(v),
                    OwnedDefault::Host => Action::Pass,
                },
                Cause::Owned {
                    note,
                    manifest: false,
                },
            ),
        },
        Provenance::KernelCap(c) => {
            if !listed {
                (Action::Const(f.safe), Cause::NotImplemented)
            } else if !ctx.has_cap(c) {
                (Action::Const(f.safe), Cause::NeedsKernelCap(c))
            } else {
                (limit(m), Cause::Enabled(c.name()))
            }
        }
        Provenance::Firmware { what } => {
            if !listed {
                (Action::Const(f.safe), Cause::NotImplemented)
            } else {
                (Action::Const(f.safe), Cause::NeedsFirmware(what))
            }
        }
        Provenance::VmFlag(fl) => {
            if !listed {
                (Action::Const(f.safe), Cause::NotImplemented)
            } else if !ctx.vm_flags.contains(&fl) {
                (Action::Const(f.safe), Cause::NeedsVmFlag(fl))
            } else {
                (limit(m), Cause::Enabled(fl.name()))
            }
        }
        Provenance::PerDevice { flag } => {
            if !listed {
                (Action::Const(f.safe), Cause::NotImplemented)
            } else if !ctx.vm_flags.contains(&flag) {
                (Action::Const(f.safe), Cause::PerDeviceMissing(flag))
            } else if flag == VmFlag::AtsDevices && ctx.has_cap(KernelCap::PciAtsNotSupported) {
                (
                    Action::Const(f.safe),
                    Cause::KernelDenies(KernelCap::PciAtsNotSupported),
                )
            } else {
                (limit(m), Cause::Enabled(flag.name()))
            }
        }
    }
}

/// A multi-bit field whose rule is applied per register set.
#[derive(Debug, Clone, Copy)]
struct Slow {
    reg: u8,
    bits: vcap_bits::BitRange,
    width: u8,
    signed: bool,
    rule: Rule,
    cap: u64,
    field: u16,
}

/// A compiled context: everything that does not depend on the host value, precomputed.
#[derive(Debug, Clone)]
pub struct Plan {
    kind: Kind,
    nregs: usize,
    pass: [u64; MAX_REGS],
    konst: [u64; MAX_REGS],
    /// Per slot, the bits its register has (0 beyond the table): what `apply` accepts.
    width: [u64; MAX_REGS],
    /// Per register, the least capable value of every field that reads the host: what the guest
    /// gets where the host register is unknown.
    fill: [u64; MAX_REGS],
    slow: Vec<Slow>,
}

impl Plan {
    /// Compiles `ctx` for register file `kind`.
    pub fn compile(kind: Kind, ctx: &Context) -> Result<Plan, SanitizeError> {
        if ctx.manifest.kind != kind {
            return Err(SanitizeError::ManifestKind {
                manifest: ctx.manifest.kind,
                host: kind,
            });
        }
        let t = kind.table();
        let mut p = Plan {
            kind,
            nregs: t.registers.len(),
            pass: [0; MAX_REGS],
            konst: [0; MAX_REGS],
            width: [0; MAX_REGS],
            fill: [0; MAX_REGS],
            slow: Vec::new(),
        };
        for (w, reg) in p.width.iter_mut().zip(t.registers) {
            *w = reg.mask();
        }
        for (i, f) in t.fields.iter().enumerate() {
            let (action, _) = field_action(i, f, ctx);
            let vmask = f.value_mask();
            if !matches!(action, Action::Const(_)) {
                p.fill[f.reg] |= f.range().place(f.safe);
            }
            match action {
                Action::Pass => p.pass[f.reg] |= f.reg_mask(),
                Action::Const(v) => p.konst[f.reg] |= f.range().place(v),
                Action::Combine(cap) => {
                    let cap = cap & vmask;
                    match f.rule {
                        Rule::Bitmap => p.pass[f.reg] |= f.range().place(cap),
                        Rule::LowerSafe if !f.signed && cap == vmask => {
                            p.pass[f.reg] |= f.reg_mask()
                        }
                        Rule::LowerSafe if !f.signed && f.width == 1 => {
                            // cap is 0 here: min(host, 0) = 0.
                        }
                        rule => p.slow.push(Slow {
                            reg: f.reg as u8,
                            bits: f.range(),
                            width: f.width,
                            signed: f.signed,
                            rule,
                            cap,
                            field: i as u16,
                        }),
                    }
                }
            }
        }
        Ok(p)
    }

    /// The register file this plan is for.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Sanitizes one register set into `out` (no allocation on success).
    #[inline]
    pub fn apply(&self, host: &RegSet, out: &mut RegSet) -> Result<(), SanitizeError> {
        if host.kind != self.kind {
            return Err(SanitizeError::ManifestKind {
                manifest: self.kind,
                host: host.kind,
            });
        }
        // One pass over every slot: a bit outside its register (or a slot beyond the table)
        // is refused, with the details from `validate`.
        if host
            .regs
            .iter()
            .zip(&self.width)
            .fold(0, |acc, (v, w)| acc | (v & !w))
            != 0
        {
            host.validate()?;
        }
        out.kind = self.kind;
        for r in 0..self.nregs {
            out.regs[r] = (host.regs[r] & self.pass[r]) | self.konst[r];
        }
        for s in &self.slow {
            let r = s.reg as usize;
            let h = s.bits.get(host.regs[r]);
            match s.rule.combine(h, s.cap, s.signed, s.width) {
                Some(g) => out.regs[r] |= s.bits.place(g),
                None if host.is_known(r) => return Err(self.conflict(s, h)),
                None => {}
            }
        }
        out.unknown = 0;
        if host.unknown != 0 {
            host.validate()?;
            for r in (0..self.nregs).filter(|&r| !host.is_known(r)) {
                out.regs[r] = self.konst[r] | self.fill[r];
            }
        }
        if self.kind == Kind::X86Cpuid {
            cross_register(host, &mut out.regs, |_, _| {});
        }
        Ok(())
    }

    #[cold]
    fn conflict(&self, s: &Slow, h: u64) -> SanitizeError {
        let t = self.kind.table();
        SanitizeError::Conflict {
            field: t.full_name(&t.fields[s.field as usize]),
            host: h,
            vmm: s.cap,
            rule: s.rule.name(),
        }
    }
}

/// Why a cross-register rule changed a guest register.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cross {
    /// A maximum-subleaf register capped at the highest subleaf the input gives.
    Cap { leaf: u32, before: u64, cap: u64 },
    /// A leaf-announcing bit cleared: the input does not give the leaf.
    GateUngiven { field: &'static str, leaf: u32 },
    /// A leaf's register zeroed: the guest lacks the bit that announces the leaf.
    GateOff { field: &'static str, leaf: u32 },
}

impl fmt::Display for Cross {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Cross::Cap { leaf, before, cap } => write!(
                f,
                "capped at {cap:#x} (from {before:#x}): the highest leaf-{leaf:#x} subleaf whose registers the input gives and the table describes, so the guest advertises no subleaf whose registers were not checked"
            ),
            Cross::GateUngiven { field, leaf } => write!(
                f,
                "cleared: {field} announces leaf {leaf:#x}, which the input does not give"
            ),
            Cross::GateOff { field, leaf } => write!(
                f,
                "zeroed: the guest does not have {field}, which announces leaf {leaf:#x}"
            ),
        }
    }
}

/// The rules that read across registers, applied to a guest's registers after the per-field
/// pass; `note(register, why)` hears every register changed (no allocation here).
///
/// 1. A leaf-announcing bit ([`crate::tables::cpuid::LEAF_GATES`]: AVX10 for leaf 0x24) is
///    cleared when the host input does not give the leaf's subleaf 0, and without the bit the
///    leaf's registers are zeros.
/// 2. A maximum-subleaf register (leaf 7, 0x14, 0x24 subleaf-0 EAX, the whole register) is capped
///    at the highest subleaf the table has and the host gives
///    ([`crate::tables::cpuid::highest_given_subleaf`]).
pub(crate) fn cross_register(
    host: &RegSet,
    regs: &mut [u64; MAX_REGS],
    mut note: impl FnMut(usize, Cross),
) {
    use crate::tables::cpuid::{
        LEAF_GATES, MAX_SUBLEAF_LEAVES, highest_given_subleaf, leaf_registers, register_of,
    };
    for g in LEAF_GATES {
        let mask = 1u64 << g.bit;
        let given = register_of(g.leaf, 0, 0).is_some_and(|r| (r..r + 4).all(|i| host.is_known(i)));
        if !given && regs[g.reg] & mask != 0 {
            regs[g.reg] &= !mask;
            note(
                g.reg,
                Cross::GateUngiven {
                    field: g.field,
                    leaf: g.leaf,
                },
            );
        }
        if regs[g.reg] & mask == 0 {
            for r in leaf_registers(g.leaf) {
                if regs[r] != 0 {
                    regs[r] = 0;
                    note(
                        r,
                        Cross::GateOff {
                            field: g.field,
                            leaf: g.leaf,
                        },
                    );
                }
            }
        }
    }
    for leaf in MAX_SUBLEAF_LEAVES {
        let Some(reg) = register_of(leaf, 0, 0) else {
            continue;
        };
        let top = highest_given_subleaf(leaf, |r| host.is_known(r)).map_or(0, u64::from);
        if regs[reg] > top {
            let before = regs[reg];
            regs[reg] = top;
            note(
                reg,
                Cross::Cap {
                    leaf,
                    before,
                    cap: top,
                },
            );
        }
    }
}

/// Sanitizes `host` under `ctx`, returning the guest registers.
pub fn sanitize(host: &RegSet, ctx: &Context) -> Result<RegSet, SanitizeError> {
    let plan = Plan::compile(host.kind, ctx)?;
    let mut out = RegSet::zero(host.kind);
    plan.apply(host, &mut out)?;
    Ok(out)
}

/// The guest registers and the decision for every field (and every set unknown bit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Guest registers.
    pub guest: RegSet,
    /// One decision per field, then one per unknown set bit, in table order.
    pub decisions: Vec<Decision>,
}

/// Sanitizes `host` under `ctx` and explains every field.
pub fn explain(host: &RegSet, ctx: &Context) -> Result<Explanation, SanitizeError> {
    host.validate()?;
    let kind = host.kind;
    if ctx.manifest.kind != kind {
        return Err(SanitizeError::ManifestKind {
            manifest: ctx.manifest.kind,
            host: kind,
        });
    }
    let t: &Table = kind.table();
    let mut guest = RegSet::zero(kind);
    let mut decisions = Vec::with_capacity(t.fields.len());
    for (i, f) in t.fields.iter().enumerate() {
        let (action, cause) = field_action(i, f, ctx);
        let h = f.get(host.regs[f.reg]);
        if !host.is_known(f.reg) && !matches!(action, Action::Const(_)) {
            // The host did not give the register: the guest gets the least capable value.
            let g = f.safe & f.value_mask();
            guest.regs[f.reg] |= f.range().place(g);
            decisions.push(Decision {
                field: t.full_name(f),
                register: t.registers[f.reg].name,
                shift: f.shift,
                width: f.width,
                host: 0,
                guest: g,
                decision: DecisionKind::Cleared,
                provenance: f.prov.name(),
                rule: f.rule.name(),
                reason: format!(
                    "host value unknown: the input does not give {} (an optional register), so the guest gets the least capable value; {cause}",
                    t.registers[f.reg].name
                ),
                source: f.src.to_string(),
            });
            continue;
        }
        let g = match action {
            Action::Pass => h,
            Action::Const(v) => v & f.value_mask(),
            Action::Combine(cap) => {
                let cap = cap & f.value_mask();
                f.combine(h, cap).ok_or_else(|| SanitizeError::Conflict {
                    field: t.full_name(f),
                    host: h,
                    vmm: cap,
                    rule: f.rule.name(),
                })?
            }
        };
        guest.regs[f.reg] |= f.range().place(g);
        let decision = if g == h {
            DecisionKind::Kept
        } else {
            match (action, cause) {
                (Action::Combine(_), _) => DecisionKind::Lowered,
                (_, Cause::Owned { .. } | Cause::Derived(_)) => DecisionKind::Forced,
                _ => DecisionKind::Cleared,
            }
        };
        let mut reason = cause.to_string();
        if let Action::Combine(cap) = action {
            reason.push_str(&format!(
                "; the VMM supports at most {:#x} ({})",
                cap,
                f.rule.name()
            ));
        }
        decisions.push(Decision {
            field: t.full_name(f),
            register: t.registers[f.reg].name,
            shift: f.shift,
            width: f.width,
            host: h,
            guest: g,
            decision,
            provenance: f.prov.name(),
            rule: f.rule.name(),
            reason,
            source: f.src.to_string(),
        });
    }
    if kind == Kind::X86Cpuid {
        let mut changed: Vec<(usize, Cross)> = Vec::new();
        cross_register(host, &mut guest.regs, |r, why| changed.push((r, why)));
        for (r, why) in changed {
            for d in decisions
                .iter_mut()
                .filter(|d| d.register == t.registers[r].name)
            {
                let mask = if d.width >= 64 {
                    u64::MAX
                } else {
                    (1u64 << d.width) - 1
                };
                let g = (guest.regs[r] >> d.shift) & mask;
                if g == d.guest {
                    continue;
                }
                d.guest = g;
                d.decision = match why {
                    _ if g == d.host => DecisionKind::Kept,
                    Cross::Cap { .. } => DecisionKind::Lowered,
                    Cross::GateUngiven { .. } | Cross::GateOff { .. } => DecisionKind::Cleared,
                };
                d.reason.push_str(&format!("; {why}"));
            }
        }
    }
    for (r, reg) in t.registers.iter().enumerate() {
        let unknown = host.regs[r] & !t.known_mask(r);
        for bit in 0..64u8 {
            if unknown & (1u64 << bit) != 0 {
                decisions.push(Decision {
                    field: format!("{}.bit{bit}", reg.name),
                    register: reg.name,
                    shift: bit,
                    width: 1,
                    host: 1,
                    guest: 0,
                    decision: DecisionKind::Cleared,
                    provenance: "unknown",
                    rule: "none",
                    reason: "unknown bit: no row of the table describes it, so it is denied"
                        .to_string(),
                    source: "unknown".to_string(),
                });
            }
        }
    }
    Ok(Explanation { guest, decisions })
}
