//! Rendering results as JSON documents (typed: [`SanitizeDoc`], [`BaselineDoc`], [`CompareDoc`],
//! [`Profile`]; their shapes in docs/regs.md, their JSON Schemas generated from these types with
//! the feature `schema`) and as human text. Pure: returns values and strings; the CLI writes them.

use std::fmt::Write as _;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::baseline::BaselineResult;
use crate::compare::Comparison;
use crate::model::{Kind, RegSet};
use crate::sanitize::{Context, DecisionKind, Explanation};
use crate::tables;

/// A register value as hex, zero-padded to the register width (`0x0d44101a`).
pub fn hex(v: u64, bits: u8) -> String {
    if bits <= 32 {
        format!("0x{v:08x}")
    } else {
        format!("0x{v:016x}")
    }
}

/// Register values by name, in table order, each as hex (`{"IDR0": "0x…", …}` in JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registers(pub Vec<(&'static str, String)>);

impl Serialize for Registers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (*k, v)))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Registers {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Registers".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "register name → value in hex, in the register table's order",
            "additionalProperties": {"type": "string", "pattern": "^0x[0-9a-f]+$"},
        })
    }
}

/// The registers of `r`, in table order; an unknown register ([`RegSet::unknown`]) is left out,
/// as the input left it out, so the set reads back the same.
pub fn registers(r: &RegSet) -> Registers {
    let t = r.kind.table();
    Registers(
        t.registers
            .iter()
            .enumerate()
            .filter(|(i, _)| r.is_known(*i))
            .map(|(i, reg)| (reg.name, hex(r.regs[i], reg.bits)))
            .collect(),
    )
}

/// A register's value as the human reports show it: hex, or `unknown`.
fn shown(r: &RegSet, i: usize, bits: u8) -> String {
    if r.is_known(i) {
        hex(r.regs[i], bits)
    } else {
        "unknown".to_string()
    }
}

/// The note a document carries when `r` has unknown registers.
fn unknown_note(r: &RegSet, whose: &str) -> Option<String> {
    let names = r.unknown_names();
    (!names.is_empty()).then(|| {
        format!(
            "{} optional register(s) not in the {whose} input, unknown (never read as zero): {}",
            names.len(),
            names.join(", ")
        )
    })
}

/// The registers of `r` as a JSON object `{name: "0x…"}`, in table order.
pub fn registers_json(r: &RegSet) -> Value {
    serde_json::to_value(registers(r)).unwrap_or_default()
}

/// A register set in the host-file shape, so a baseline or guest profile can be fed back in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Profile {
    /// The register file (`arm_smmuv3`, `intel_vtd`, `amd_iommu`, `x86_cpuid`, `arm64_id`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The profile's name, when it has one (`baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The registers, in the host file's keys for that register file.
    #[serde(flatten)]
    pub regs: ProfileRegs,
}

/// The registers of a [`Profile`], keyed as the host file of its register file keys them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum ProfileRegs {
    /// SMMUv3: IDR0–IDR5, IIDR, AIDR.
    Smmuv3 {
        /// IDR0 to IDR5.
        idr: Vec<String>,
        /// IIDR.
        iidr: String,
        /// AIDR.
        aidr: String,
    },
    /// VT-d: CAP_REG, ECAP_REG.
    Vtd {
        /// CAP_REG.
        cap_reg: String,
        /// ECAP_REG.
        ecap_reg: String,
    },
    /// AMD-Vi: EFR, EFR2.
    Amd {
        /// EFR.
        efr: String,
        /// EFR2.
        efr2: String,
    },
    /// CPUID: every register of the table by name.
    Cpuid {
        /// The registers.
        cpuid: Registers,
    },
    /// arm64 ID registers by name.
    Arm64 {
        /// The registers.
        regs: Registers,
    },
}

/// `r` in the host-file shape.
pub fn profile(r: &RegSet, name: Option<&str>) -> Profile {
    let regs = match r.kind {
        Kind::ArmSmmuV3 => ProfileRegs::Smmuv3 {
            idr: (0..6).map(|i| hex(r.regs[i], 32)).collect(),
            iidr: hex(r.regs[tables::smmuv3::IIDR], 32),
            aidr: hex(r.regs[tables::smmuv3::AIDR], 32),
        },
        Kind::IntelVtd => ProfileRegs::Vtd {
            cap_reg: hex(r.regs[tables::vtd::CAP], 64),
            ecap_reg: hex(r.regs[tables::vtd::ECAP], 64),
        },
        Kind::Amd => ProfileRegs::Amd {
            efr: hex(r.regs[tables::amd::EFR], 64),
            efr2: hex(r.regs[tables::amd::EFR2], 64),
        },
        Kind::X86Cpuid => ProfileRegs::Cpuid {
            cpuid: registers(r),
        },
        Kind::Arm64Id => ProfileRegs::Arm64 { regs: registers(r) },
    };
    Profile {
        kind: r.kind.type_name(),
        name: name.map(str::to_string),
        regs,
    }
}

/// `r` in the host-file shape, as a JSON value.
pub fn profile_json(r: &RegSet, name: Option<&str>) -> Value {
    serde_json::to_value(profile(r, name)).unwrap_or_default()
}

fn summary(e: &Explanation) -> [(DecisionKind, usize); 4] {
    let mut out = [
        (DecisionKind::Kept, 0),
        (DecisionKind::Lowered, 0),
        (DecisionKind::Forced, 0),
        (DecisionKind::Cleared, 0),
    ];
    for d in &e.decisions {
        for slot in out.iter_mut() {
            if slot.0 == d.decision {
                slot.1 += 1;
            }
        }
    }
    out
}

/// One field's decision in [`SanitizeDoc`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldDecision {
    /// `REG.NAME`, or `REG.bitN` for an unknown bit.
    pub field: String,
    /// The host's value of the field.
    pub host: u64,
    /// The guest's value of the field.
    pub guest: u64,
    /// `kept`, `lowered`, `forced` or `cleared`.
    pub decision: &'static str,
    /// Who owns the field (the provenance name; `unknown` for unknown bits).
    pub provenance: &'static str,
    /// The rule that decided (`none` for unknown bits).
    pub rule: &'static str,
    /// Why.
    pub reason: String,
    /// Where the row was checked.
    pub source: String,
}

/// How many fields each decision took, in [`SanitizeDoc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Summary {
    /// Fields kept as the host has them.
    pub kept: usize,
    /// Fields lowered to a safe value.
    pub lowered: usize,
    /// Fields forced to a fixed value.
    pub forced: usize,
    /// Fields cleared.
    pub cleared: usize,
}

/// The `vcap sanitize --json` document (`vcap.sanitize/1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SanitizeDoc {
    /// The register file.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The manifest that was applied (its name or file).
    pub manifest: String,
    /// The kernel capabilities the manifest grants.
    pub kernel_capabilities: Vec<&'static str>,
    /// The per-VM flags set.
    pub vm_flags: Vec<&'static str>,
    /// The host's registers.
    pub host: Registers,
    /// The guest-visible registers.
    pub guest: Registers,
    /// Every field's decision.
    pub fields: Vec<FieldDecision>,
    /// How many fields each decision took.
    pub summary: Summary,
    /// Notes on the input (e.g. iommufd hw_info fields vcap does not know), when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// The `vcap sanitize --json` document.
pub fn sanitize_doc(host: &RegSet, ctx: &Context, manifest: &str, e: &Explanation) -> SanitizeDoc {
    let [kept, lowered, forced, cleared] = summary(e).map(|(_, n)| n);
    SanitizeDoc {
        kind: host.kind.type_name(),
        manifest: manifest.to_string(),
        kernel_capabilities: crate::model::KernelCap::ALL
            .into_iter()
            .filter(|c| ctx.has_cap(*c))
            .map(|c| c.name())
            .collect(),
        vm_flags: ctx.vm_flags.iter().map(|f| f.name()).collect(),
        host: registers(host),
        guest: registers(&e.guest),
        fields: e
            .decisions
            .iter()
            .map(|d| FieldDecision {
                field: d.field.clone(),
                host: d.host,
                guest: d.guest,
                decision: d.decision.name(),
                provenance: d.provenance,
                rule: d.rule,
                reason: d.reason.clone(),
                source: d.source.clone(),
            })
            .collect(),
        summary: Summary {
            kept,
            lowered,
            forced,
            cleared,
        },
        notes: unknown_note(host, "host").into_iter().collect(),
    }
}

/// [`sanitize_doc`] as a JSON value, with its `schema` (`vcap.sanitize/1`) first.
pub fn sanitize_json(host: &RegSet, ctx: &Context, manifest: &str, e: &Explanation) -> Value {
    with_schema("vcap.sanitize/1", &sanitize_doc(host, ctx, manifest, e))
}

/// `doc` as a JSON object with `schema` as its first key.
fn with_schema<T: Serialize>(schema: &str, doc: &T) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("schema".into(), schema.into());
    if let Ok(Value::Object(body)) = serde_json::to_value(doc) {
        m.extend(body);
    }
    Value::Object(m)
}

/// The human `vcap sanitize` report: guest registers, then every field whose host or guest value
/// is non-zero or that changed, with its decision and reason.
pub fn sanitize_text(host: &RegSet, manifest: &str, e: &Explanation) -> String {
    let t = host.kind.table();
    let mut s = String::new();
    let _ = writeln!(s, "{} — manifest: {manifest}", t.title);
    let _ = writeln!(s, "{:<28} {:<20} {:<20}", "register", "host", "guest");
    for (i, reg) in t.registers.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:<28} {:<20} {:<20}",
            reg.name,
            shown(host, i, reg.bits),
            hex(e.guest.regs[i], reg.bits)
        );
    }
    let _ = writeln!(s);
    for d in &e.decisions {
        if d.host == 0 && d.guest == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "{:<8} {:<36} {:>#6x} -> {:<#6x} {}",
            d.decision.name(),
            d.field,
            d.host,
            d.guest,
            d.reason
        );
    }
    if let Some(n) = unknown_note(host, "host") {
        let _ = writeln!(s, "\n{n}");
    }
    let sum = summary(e);
    let _ = writeln!(
        s,
        "\n{} fields kept, {} lowered, {} forced, {} cleared (fields that are zero on both sides are not listed)",
        sum[0].1, sum[1].1, sum[2].1, sum[3].1
    );
    s
}

fn varied_fields(r: &BaselineResult) -> Vec<(String, u64, &'static str)> {
    let t = r.profile.kind.table();
    t.fields
        .iter()
        .filter(|f| r.varied[f.reg] & f.reg_mask() != 0)
        .map(|f| {
            (
                t.full_name(f),
                f.get(r.profile.regs[f.reg]),
                crate::compare::class_of(r.profile.kind, f),
            )
        })
        .collect()
}

/// What a varied field of a class means for the profile, in the human report.
fn class_note(class: &str) -> &'static str {
    match class {
        "identity" => {
            " (identity, not a capability: hosts differ, so the VMM presents the signature of a named model)"
        }
        "vmm-owned" => " (vmm-owned: the VMM sets it per guest)",
        _ => "",
    }
}

fn dropped_bits(r: &BaselineResult) -> Vec<String> {
    let t = r.profile.kind.table();
    let mut out = Vec::new();
    for (i, reg) in t.registers.iter().enumerate() {
        for bit in 0..64u8 {
            if r.dropped_unknown[i] & (1u64 << bit) != 0 {
                out.push(format!("{}.bit{bit}", reg.name));
            }
        }
    }
    out
}

/// A field that differed across the hosts of a baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Varied {
    /// `REG.NAME`.
    pub field: String,
    /// Its value in the baseline.
    pub value: u64,
    /// `capability`, `vendor`, `identity` or `vmm-owned`.
    pub class: &'static str,
}

/// The `vcap baseline --json` document (`vcap.baseline/1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BaselineDoc {
    /// The register file.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How many hosts were folded.
    pub hosts: u64,
    /// The baseline, in the host-file shape.
    pub profile: Profile,
    /// The fields that differed across the hosts.
    pub varied: Vec<Varied>,
    /// Bits no table row names that some host had set, dropped (`REG.bitN`).
    pub dropped_unknown_bits: Vec<String>,
    /// Optional registers some host did not give: unknown in the baseline (left out of
    /// `profile`), never zero.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub unknown_registers: Vec<&'static str>,
    /// Registers changed after the fold by the rules across registers (x86 CPUID: a maximum
    /// subleaf capped at the highest subleaf the baseline gives; a leaf-announcing bit cleared
    /// when its leaf is unknown), each `REGISTER: why`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub adjusted: Vec<String>,
}

/// `REGISTER: why` for each register the rules across registers changed.
fn adjusted_lines(r: &BaselineResult) -> Vec<String> {
    let t = r.profile.kind.table();
    r.adjusted
        .iter()
        .map(|(i, why)| format!("{}: {why}", t.registers[*i].name))
        .collect()
}

/// The `vcap baseline --json` document.
pub fn baseline_doc(r: &BaselineResult) -> BaselineDoc {
    BaselineDoc {
        kind: r.profile.kind.type_name(),
        hosts: r.hosts,
        profile: profile(&r.profile, Some("baseline")),
        varied: varied_fields(r)
            .into_iter()
            .map(|(field, value, class)| Varied {
                field,
                value,
                class,
            })
            .collect(),
        dropped_unknown_bits: dropped_bits(r),
        unknown_registers: r.profile.unknown_names(),
        adjusted: adjusted_lines(r),
    }
}

/// [`baseline_doc`] as a JSON value, with its `schema` (`vcap.baseline/1`) first.
pub fn baseline_json(r: &BaselineResult) -> Value {
    with_schema("vcap.baseline/1", &baseline_doc(r))
}

/// The human `vcap baseline` report; its last line is the profile as one JSON line.
pub fn baseline_text(r: &BaselineResult) -> String {
    let t = r.profile.kind.table();
    let mut s = String::new();
    let _ = writeln!(s, "baseline over {} host(s): {}", r.hosts, t.title);
    for (i, reg) in t.registers.iter().enumerate() {
        let _ = writeln!(s, "  {:<28} {}", reg.name, shown(&r.profile, i, reg.bits));
    }
    let varied = varied_fields(r);
    if varied.is_empty() {
        let _ = writeln!(s, "every field agreed across the hosts");
    } else {
        let _ = writeln!(s, "fields that differed (value in the baseline):");
        for (f, v, class) in varied {
            let _ = writeln!(s, "  {f} = {v:#x}{}", class_note(class));
        }
    }
    let dropped = dropped_bits(r);
    if !dropped.is_empty() {
        let _ = writeln!(s, "unknown bits dropped: {}", dropped.join(", "));
    }
    if let Some(n) = unknown_note(&r.profile, "hosts'") {
        let _ = writeln!(s, "{n}");
    }
    for a in adjusted_lines(r) {
        let _ = writeln!(s, "adjusted: {a}");
    }
    let _ = writeln!(s, "profile: {}", profile_json(&r.profile, Some("baseline")));
    s
}

/// The `vcap compare --json` document (`vcap.compare/1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CompareDoc {
    /// The register file.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `identical`, `subset`, `superset`, `incompatible` or `unknown` (the host does not give a
    /// register in which the profile asks for a capability).
    pub result: &'static str,
    /// Whether the profile runs on the host (identical or subset).
    pub runs: bool,
    /// Every capability (or vendor) field that differs: the reasons for the result.
    pub responsible: Vec<crate::compare::FieldDiff>,
    /// Identity and VMM-owned fields that differ: reported, never reasons.
    pub not_capabilities: Vec<crate::compare::FieldDiff>,
    /// Registers one side (or both) does not give: not compared, with the capability fields
    /// the profile asks for there (which make the result `unknown`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub unknown: Vec<crate::compare::UnknownRegister>,
}

/// The `vcap compare --json` document.
pub fn compare_doc(c: &Comparison, kind: Kind) -> CompareDoc {
    CompareDoc {
        kind: kind.type_name(),
        result: c.verdict.name(),
        runs: c.verdict.runs(),
        responsible: c.responsible.clone(),
        not_capabilities: c.not_capabilities.clone(),
        unknown: c.unknown.clone(),
    }
}

/// [`compare_doc`] as a JSON value, with its `schema` (`vcap.compare/1`) first.
pub fn compare_json(c: &Comparison, kind: Kind) -> Value {
    with_schema("vcap.compare/1", &compare_doc(c, kind))
}

/// The human `vcap compare` report.
pub fn compare_text(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: the profile {} on the host",
        c.verdict.name(),
        if c.verdict.runs() {
            "runs"
        } else {
            "does not run"
        }
    );
    for d in &c.responsible {
        let _ = writeln!(
            s,
            "  {:<36} profile {:#x} host {:#x} ({}, {})",
            d.field, d.profile, d.host, d.direction, d.rule
        );
    }
    if !c.not_capabilities.is_empty() {
        let _ = writeln!(
            s,
            "differing, not capabilities (never a reason for the verdict):"
        );
        for d in &c.not_capabilities {
            let _ = writeln!(
                s,
                "  {:<36} profile {:#x} host {:#x} ({})",
                d.field, d.profile, d.host, d.class
            );
        }
    }
    if !c.unknown.is_empty() {
        let _ = writeln!(s, "registers not compared (unknown):");
        for u in &c.unknown {
            let asks = if u.profile_asks.is_empty() {
                String::new()
            } else {
                format!("; the profile asks for {}", u.profile_asks.join(", "))
            };
            let _ = writeln!(
                s,
                "  {:<36} unknown on the {} side{asks}",
                u.register, u.side
            );
        }
    }
    s
}
