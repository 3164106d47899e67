//! The human report: verdict first, then the evidence table, conflicts, and what could not be read.
//! [`human`] lays it out without a width; [`wrap`] fits it to one, keeping every line's hanging
//! indent (the column after an evidence tag or a list dash), so nothing is cut and no word is split.

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
        Suggests::NoContainer => "uncontained",
    }
}

/// The width of an evidence line's tag (`container moderate`, the longest).
const TAG: usize = 18;

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
    if let Some(p) = &r.hyperv {
        let _ = writeln!(s, "  {}", p.summary);
    }
    if r.host.can_host_vms {
        let _ = writeln!(
            s,
            "  this machine can host VMs itself (that says nothing of where it runs)"
        );
    }
    match r.container.runtime {
        Some(c) => {
            let _ = writeln!(s, "Container: {} ({})", c.name(), r.container.systemd_id);
        }
        None => {
            let _ = writeln!(s, "Container: none");
        }
    }
    let _ = writeln!(s, "  {}", r.container.summary);
    let _ = writeln!(s, "\nEvidence ({}):", r.evidence.len());
    for (i, e) in r.evidence.iter().enumerate() {
        let mark = if r.verdict.decided_by.contains(&i) || r.container.decided_by.contains(&i) {
            "*"
        } else {
            " "
        };
        let t = format!("{} {}", tag(e.suggests), strength(e.strength));
        let _ = writeln!(
            s,
            " {mark}[{:<TAG$}] {} = {}",
            t.trim_end(),
            e.source,
            e.raw
        );
        // The finding starts under the source, as the source's own continuations do (`wrap`).
        let _ = writeln!(
            s,
            "{:pad$}{}  ({})",
            "",
            e.finding,
            e.reference,
            pad = TAG + 5
        );
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
    let _ = writeln!(s, "\n* = decided the verdict (machine or container)");
    cvm(&mut s, r);
    capabilities(&mut s, r);
    s
}

/// The confidential-VM section: one line outside a CVM; in one (or possibly one), who vouches,
/// every host-provided input marked untrusted, and each device's DMA trust.
fn cvm(s: &mut String, r: &Report) {
    let c = &r.cvm;
    let state = match c.state {
        crate::detect::cvm::State::No => "NO",
        crate::detect::cvm::State::Yes => "YES",
        crate::detect::cvm::State::Unknown => "UNKNOWN",
    };
    let _ = writeln!(
        s,
        "\nConfidential VM: {state} (systemd-detect-virt --cvm: {})",
        c.systemd_id
    );
    let _ = writeln!(s, "  {}", c.summary);
    if !c.in_cvm() {
        return;
    }
    for &i in &c.evidence {
        if let Some(e) = r.evidence.get(i)
            && let Some(k) = e.identifies.cvm
        {
            let by = serde_json::to_value(k.vouched_by)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(s, "  - [{by}] {} = {}", e.source, e.raw);
        }
    }
    let _ = writeln!(s, "  Untrusted here (the host provides them):");
    for u in &c.untrusted {
        let _ = writeln!(
            s,
            "    - {}{}: {}",
            u.input,
            if u.evidence.is_empty() {
                String::new()
            } else {
                format!(" ({} evidence item(s))", u.evidence.len())
            },
            u.why
        );
    }
    if !c.devices.is_empty() {
        let _ = writeln!(s, "  Device DMA ({}):", c.devices.len());
        for d in &c.devices {
            let dma = serde_json::to_value(d.dma)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(s, "    {:<13} {dma}: {}", d.device, d.reason);
        }
    }
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

/// The width the human report is wrapped to when the terminal's is not known (`vcap | less`, a
/// file): the report reads the same wherever it goes.
pub const DEFAULT_WIDTH: usize = 100;

/// The column a wrapped line's continuations start at: under the text after a list mark (`- `,
/// `* `) or an evidence tag (`*[vm strong      ] `), else under the line's own first character.
fn hang(line: &str) -> usize {
    let lead = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[lead..];
    if rest.starts_with("- ") || rest.starts_with("* ") {
        return lead + 2;
    }
    if (rest.starts_with('[') || rest.starts_with("*["))
        && let Some(end) = rest.find("] ")
    {
        return lead + end + 2;
    }
    lead
}

/// `text` with every line longer than `width` columns wrapped at spaces, its continuations
/// indented to the line's hanging indent. A single word longer than the width (a path, a raw
/// register dump) stays whole on its own line: it is never split. A width too small to leave 20
/// columns after the indent leaves the line as it is.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let indent = hang(body);
        if textwrap::core::display_width(body) <= width || width < indent + 20 {
            out.push_str(line);
            continue;
        }
        let pad = " ".repeat(indent);
        // The leading spaces become the first line's indent, so a long first word stays there.
        let text = body.trim_start_matches(' ');
        let lead = &body[..body.len() - text.len()];
        let opts = textwrap::Options::new(width)
            .initial_indent(lead)
            .subsequent_indent(&pad)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        let pieces = textwrap::wrap(text, opts);
        for (i, piece) in pieces.iter().enumerate() {
            out.push_str(piece);
            if i + 1 < pieces.len() {
                out.push('\n');
            }
        }
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_under_their_hanging_indent() {
        let evidence = " *[vm strong      ] /sys/class/dmi/id/sys_vendor = QEMU and some more words that go on";
        let got = wrap(evidence, 40);
        let lines: Vec<&str> = got.lines().collect();
        assert!(lines.len() > 1, "{got}");
        assert!(
            lines
                .iter()
                .all(|l| textwrap::core::display_width(l) <= 40 || !l.trim().contains(' ')),
            "{got}"
        );
        for l in &lines[1..] {
            assert_eq!(hang(l), 20, "{l:?}");
            assert!(
                l.starts_with(&" ".repeat(20)) && !l.starts_with(&" ".repeat(21)),
                "{l:?}"
            );
        }
        // Nothing is lost: the words are the same.
        let words = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&got), words(evidence));
        let item = "  - a conflict summary that is rather long and must wrap somewhere here";
        let got = wrap(item, 40);
        assert!(
            got.lines()
                .skip(1)
                .all(|l| l.starts_with("    ") && !l.starts_with("     ")),
            "{got}"
        );
    }

    #[test]
    fn short_lines_long_words_and_newlines_are_kept() {
        assert_eq!(wrap("a\n\nb c\n", 10), "a\n\nb c\n");
        let path = format!("  {}", "x".repeat(150));
        assert_eq!(wrap(&path, 100), path);
        assert_eq!(wrap("no newline at the end", 100), "no newline at the end");
        // Too narrow to wrap usefully: left alone.
        let deep = format!("{}a b c d e f g h i j k l m n o p", " ".repeat(30));
        assert_eq!(wrap(&deep, 40), deep);
    }
}
