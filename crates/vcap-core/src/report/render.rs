//! The human report: verdict first, then the evidence table, conflicts, and what could not be read.

use std::fmt::Write as _;

use crate::caps::policy::Tri;
use crate::detect::Kind;
use crate::detect::evidence::{Strength, Suggests};
use crate::report::Report;

fn tag(s: Suggests) -> &'static str {
    match s {
        Suggests::VirtualMachine => "vm",
        Suggests::BareMetal => "metal",
        Suggests::HostUnderHypervisor => "host",
        Suggests::CanHostVms => "can-host",
        Suggests::Neutral => "info",
        Suggests::Malformed => "MALFORMED",
        Suggests::Container => "container",
    }
}

fn strength(s: Strength) -> &'static str {
    match s {
        Strength::None => "",
        Strength::Weak => "weak",
        Strength::Moderate => "moderate",
        Strength::Strong => "strong",
    }
}

/// Renders the human report.
pub fn human(r: &Report) -> String {
    let mut s = String::new();
    let head = match r.verdict.kind {
        Kind::BareMetal => "BARE METAL",
        Kind::VirtualMachine => "VIRTUAL MACHINE",
        Kind::HostUnderHypervisor => "HOST UNDER A HYPERVISOR",
        Kind::Unknown => "UNKNOWN",
    };
    let _ = writeln!(s, "Verdict: {head}");
    let _ = writeln!(s, "  {}", r.verdict.summary);
    let _ = writeln!(s, "  systemd-detect-virt id: {}", r.systemd_id);
    if r.host.can_host_vms {
        let _ = writeln!(
            s,
            "  this machine can host VMs itself (that says nothing of where it runs)"
        );
    }
    let _ = writeln!(s, "\nEvidence ({}):", r.evidence.len());
    for (i, e) in r.evidence.iter().enumerate() {
        let mark = if r.verdict.decided_by.contains(&i) {
            "*"
        } else {
            " "
        };
        let t = format!("{} {}", tag(e.suggests), strength(e.strength));
        let _ = writeln!(s, " {mark}[{:<15}] {} = {}", t.trim_end(), e.source, e.raw);
        let _ = writeln!(s, "   {:17} {}  ({})", "", e.finding, e.reference);
    }
    if !r.conflicts.is_empty() {
        let _ = writeln!(s, "\nConflicts:");
        for c in &r.conflicts {
            let _ = writeln!(s, "  - {}", c.summary);
        }
    }
    if !r.unreadable.is_empty() {
        let _ = writeln!(s, "\nCould not read:");
        for u in &r.unreadable {
            let _ = writeln!(
                s,
                "  - {}: {}\n      would tell {}",
                u.source, u.reason, u.tells
            );
        }
    }
    let _ = writeln!(s, "\n* = decided the verdict");
    capabilities(&mut s, r);
    s
}

fn tri(t: Tri) -> &'static str {
    match t {
        Tri::Yes => "YES",
        Tri::No => "NO",
        Tri::Unknown => "UNKNOWN",
    }
}

fn reasons(s: &mut String, rs: &[crate::caps::rules::Reason]) {
    for x in rs {
        let _ = writeln!(s, "      - {}", x.text);
    }
}

/// The capabilities section (issue 4): each decision with its reasons.
fn capabilities(s: &mut String, r: &Report) {
    let c = &r.capabilities;
    let _ = writeln!(
        s,
        "\nCapabilities (granted only when the layer beneath advertises them):"
    );
    let ir = &c.interrupt_remapping;
    let mut extra = Vec::new();
    if !ir.units.is_empty() {
        extra.push(format!("units {}", ir.units.join(", ")));
    }
    if ir.verdict == Tri::Yes {
        extra.push(format!("mode {}", ir.mode));
    }
    match ir.is_virtual {
        Some(true) => extra.push("virtual".into()),
        Some(false) => extra.push("hardware".into()),
        None => {}
    }
    if let Some(o) = ir.x2apic_opt_out {
        extra.push(format!(
            "x2APIC opt-out {}",
            if o { "set" } else { "clear" }
        ));
    }
    let _ = writeln!(
        s,
        "  interrupt remapping: {}{}",
        tri(ir.verdict),
        if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join("; "))
        }
    );
    reasons(s, &ir.reasons);
    let _ = writeln!(s, "  IMS: {}", tri(c.ims.verdict));
    reasons(s, &c.ims.reasons);
    for d in &c.ims.candidates {
        let _ = writeln!(
            s,
            "      * would want IMS: {} {} {} ({})",
            d.device, d.id, d.name, d.source
        );
    }
    let _ = writeln!(s, "  PASID: {}", tri(c.pasid.verdict));
    reasons(s, &c.pasid.reasons);
    let _ = writeln!(s, "  DMA path per device ({}):", c.dma.len());
    for d in &c.dma {
        let path = serde_json::to_value(d.path)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "    {} {:<13} {}{}",
            if d.hazard { "!" } else { " " },
            d.device,
            path,
            if d.hazard { "  HAZARD" } else { "" }
        );
        reasons(s, &d.reasons);
    }
    if !c.iommu_units.is_empty() {
        let _ = writeln!(s, "  IOMMU units:");
        for u in &c.iommu_units {
            let f: Vec<String> = u
                .fields
                .iter()
                .map(|f| format!("{}={}", f.name, f.value))
                .collect();
            let kind = serde_json::to_value(u.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(s, "    {} ({kind}): {}", u.name, f.join(" "));
        }
    }
    if !c.malformed.is_empty() {
        let _ = writeln!(s, "  Malformed inputs (not used):");
        for m in &c.malformed {
            let _ = writeln!(
                s,
                "    - {}{}: {}",
                m.source,
                m.offset.map(|o| format!(" @{o:#x}")).unwrap_or_default(),
                m.error
            );
        }
    }
}
