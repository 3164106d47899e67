//! `vcap rules`: every detection rule, the signature rows, the naming precedence and every
//! capability rule, as a table, as JSON, or as the Markdown `docs/detection.md` and
//! `docs/capabilities.md` hold (each block between its doc markers).

use std::io::Write;

use clap::Args;
use vcap_core::caps::rules as cap_rules;
use vcap_core::detect::rules;

/// Arguments of `vcap rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the Markdown tables that docs/detection.md and docs/capabilities.md hold, each
    /// block between its doc markers.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
}

/// Prints the catalog.
pub fn run(a: &RulesArgs, json: bool, out: &mut dyn Write) -> std::io::Result<u8> {
    let c = rules::catalog();
    if a.markdown {
        for ((b, e), md) in [
            (rules::DOC_MARKERS, rules::markdown()),
            (cap_rules::DOC_MARKERS, cap_rules::markdown()),
        ] {
            writeln!(out, "{b}")?;
            out.write_all(md.as_bytes())?;
            writeln!(out, "{e}")?;
        }
    } else if json {
        crate::json::write(out, crate::json::RULES, &c, crate::json::Layout::Pretty)?;
    } else {
        writeln!(
            out,
            "Detection rules ({} rows, walked in order):",
            c.detection.len()
        )?;
        for r in &c.detection {
            let s = serde_json::to_value(r).unwrap_or_default();
            writeln!(
                out,
                "  {:<28} {:<9} {:<20} {}",
                r.id,
                s["strength"].as_str().unwrap_or(""),
                s["suggests"].as_str().unwrap_or(""),
                r.reads
            )?;
            writeln!(out, "  {:<28} matches: {}", "", r.matches)?;
            writeln!(out, "  {:<28} source: {}", "", r.source)?;
        }
        writeln!(out, "\nCPUID signatures ({} rows):", c.signatures.len())?;
        for r in &c.signatures {
            writeln!(
                out,
                "  {:<22} {:<12} {}",
                r.signature, r.hypervisor, r.source
            )?;
        }
        writeln!(
            out,
            "\nNaming the hypervisor (the first step that names one):"
        )?;
        for (i, r) in c.naming.iter().enumerate() {
            writeln!(out, "  {}. {:<20} {}", i + 1, r.step, r.source)?;
        }
        for (title, rows) in c.pair_tables() {
            writeln!(out, "\n{title}:")?;
            for r in rows {
                writeln!(out, "  {:<28} {:<16} {}", r.key, r.value, r.source)?;
            }
        }
        writeln!(
            out,
            "\nCapability rules ({} rows, walked in order per decision):",
            c.capabilities.len()
        )?;
        for r in &c.capabilities {
            let s = serde_json::to_value(r).unwrap_or_default();
            writeln!(
                out,
                "  {:<30} {:<20} {}",
                r.id,
                s["decides"].as_str().unwrap_or(""),
                r.reads.join("; ")
            )?;
            writeln!(out, "  {:<30} when: {}", "", r.when)?;
            writeln!(out, "  {:<30} then: {}", "", r.then)?;
            writeln!(out, "  {:<30} source: {}", "", r.source)?;
        }
    }
    Ok(0)
}
