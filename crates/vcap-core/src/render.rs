//! The human report: verdict first, then the evidence table, conflicts, and what could not be read.

use std::fmt::Write as _;

use crate::detect::Kind;
use crate::evidence::{Strength, Suggests};
use crate::report::Report;

fn tag(s: Suggests) -> &'static str {
    match s {
        Suggests::VirtualMachine => "vm",
        Suggests::BareMetal => "metal",
        Suggests::HostUnderHypervisor => "host",
        Suggests::CanHostVms => "can-host",
        Suggests::Neutral => "info",
        Suggests::Malformed => "MALFORMED",
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
    s
}
