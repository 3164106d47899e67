//! Rendering results as JSON values (schemas in docs/regs.md) and as human text. Pure: returns
//! values and strings; the CLI writes them.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

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

/// The registers of `r` as a JSON object `{name: "0x…"}`, in table order.
pub fn registers_json(r: &RegSet) -> Value {
    let t = r.kind.table();
    let mut m = Map::new();
    for (i, reg) in t.registers.iter().enumerate() {
        m.insert(
            reg.name.to_string(),
            Value::String(hex(r.regs[i], reg.bits)),
        );
    }
    Value::Object(m)
}

/// `r` in the host-file shape (so a baseline or guest profile can be fed back in).
pub fn profile_json(r: &RegSet, name: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(r.kind.type_name().into()));
    if let Some(n) = name {
        m.insert("name".into(), Value::String(n.into()));
    }
    match r.kind {
        Kind::ArmSmmuV3 => {
            let idr: Vec<Value> = (0..6).map(|i| Value::String(hex(r.regs[i], 32))).collect();
            m.insert("idr".into(), Value::Array(idr));
            m.insert("iidr".into(), hex(r.regs[tables::smmuv3::IIDR], 32).into());
            m.insert("aidr".into(), hex(r.regs[tables::smmuv3::AIDR], 32).into());
        }
        Kind::IntelVtd => {
            m.insert("cap_reg".into(), hex(r.regs[tables::vtd::CAP], 64).into());
            m.insert("ecap_reg".into(), hex(r.regs[tables::vtd::ECAP], 64).into());
        }
        Kind::Amd => {
            m.insert("efr".into(), hex(r.regs[tables::amd::EFR], 64).into());
            m.insert("efr2".into(), hex(r.regs[tables::amd::EFR2], 64).into());
        }
        Kind::X86Cpuid => {
            m.insert("cpuid".into(), registers_json(r));
        }
        Kind::Arm64Id => {
            m.insert("regs".into(), registers_json(r));
        }
    }
    Value::Object(m)
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

/// The `vcap sanitize --json` document (schema `vcap.sanitize/1`).
pub fn sanitize_json(host: &RegSet, ctx: &Context, manifest: &str, e: &Explanation) -> Value {
    let caps: Vec<Value> = crate::model::KernelCap::ALL
        .into_iter()
        .filter(|c| ctx.has_cap(*c))
        .map(|c| Value::String(c.name().into()))
        .collect();
    let flags: Vec<Value> = ctx
        .vm_flags
        .iter()
        .map(|f| Value::String(f.name().into()))
        .collect();
    let fields: Vec<Value> = e
        .decisions
        .iter()
        .map(|d| {
            json!({
                "field": d.field,
                "host": d.host,
                "guest": d.guest,
                "decision": d.decision.name(),
                "provenance": d.provenance,
                "rule": d.rule,
                "reason": d.reason,
                "source": d.source,
            })
        })
        .collect();
    let mut sum = Map::new();
    for (k, n) in summary(e) {
        sum.insert(k.name().into(), n.into());
    }
    json!({
        "schema": "vcap.sanitize/1",
        "type": host.kind.type_name(),
        "manifest": manifest,
        "kernel_capabilities": caps,
        "vm_flags": flags,
        "host": registers_json(host),
        "guest": registers_json(&e.guest),
        "fields": fields,
        "summary": Value::Object(sum),
    })
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
            hex(host.regs[i], reg.bits),
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

/// The `vcap baseline --json` document (schema `vcap.baseline/1`).
pub fn baseline_json(r: &BaselineResult) -> Value {
    let varied: Vec<Value> = varied_fields(r)
        .into_iter()
        .map(|(f, v, class)| json!({"field": f, "value": v, "class": class}))
        .collect();
    json!({
        "schema": "vcap.baseline/1",
        "type": r.profile.kind.type_name(),
        "hosts": r.hosts,
        "profile": profile_json(&r.profile, Some("baseline")),
        "varied": varied,
        "dropped_unknown_bits": dropped_bits(r),
    })
}

/// The human `vcap baseline` report; its last line is the profile as one JSON line.
pub fn baseline_text(r: &BaselineResult) -> String {
    let t = r.profile.kind.table();
    let mut s = String::new();
    let _ = writeln!(s, "baseline over {} host(s): {}", r.hosts, t.title);
    for (i, reg) in t.registers.iter().enumerate() {
        let _ = writeln!(s, "  {:<28} {}", reg.name, hex(r.profile.regs[i], reg.bits));
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
    let _ = writeln!(s, "profile: {}", profile_json(&r.profile, Some("baseline")));
    s
}

/// The `vcap compare --json` document (schema `vcap.compare/1`).
pub fn compare_json(c: &Comparison, kind: Kind) -> Value {
    json!({
        "schema": "vcap.compare/1",
        "type": kind.type_name(),
        "result": c.verdict.name(),
        "runs": c.verdict.runs(),
        "responsible": c.responsible,
        "not_capabilities": c.not_capabilities,
    })
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
    s
}
