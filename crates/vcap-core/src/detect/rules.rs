//! The whole detection policy as one catalog: every [`Rule`] row, the CPUID signature rows, the
//! naming precedence and the tables it reads, as plain serialisable values, with the capability
//! rows of [`crate::caps::rules`] beside them. `vcap rules` prints
//! it, and the rule table in `docs/detection.md` is [`markdown`] of it (a test keeps the committed
//! docs equal to the rows).
//!
//! ```
//! let catalog = vcap_core::detect::rules::catalog();
//! // Every evidence item's `rule` is a listed id.
//! assert!(catalog.detection.iter().any(|r| r.id == "cpuid.hypervisor-bit"));
//! assert_eq!(catalog.naming.last().map(|s| s.step), Some("unidentified"));
//! ```

use serde::Serialize;

use crate::detect::evidence::{
    Identity, RULES, Rule, SIGNATURES, Strength, Suggests, VM_BIT_SETTERS,
};
use crate::detect::{CLOUD_HYPERVISORS, PRECEDENCE, PRESENTS, SAME_GUEST};

/// One detection rule row, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleRow {
    /// The rule id (the `rule` of its evidence).
    pub id: &'static str,
    /// What it reads.
    pub reads: String,
    /// How it matches.
    pub matches: String,
    /// What a match suggests.
    pub suggests: Suggests,
    /// How strongly.
    pub strength: Strength,
    /// What it identifies.
    pub identifies: Identity,
    /// What a match means.
    pub finding: &'static str,
    /// Rules whose earlier match makes this row not apply.
    pub unless: &'static [&'static str],
    /// Where the rule comes from.
    pub source: &'static str,
}

impl RuleRow {
    fn of(r: &Rule) -> RuleRow {
        RuleRow {
            id: r.id,
            reads: r.signal.reads(),
            matches: r.signal.matches(),
            suggests: r.then.suggests,
            strength: r.then.strength,
            identifies: r.then.identifies,
            finding: r.then.finding,
            unless: r.unless,
            source: r.source,
        }
    }
}

/// One CPUID signature row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignatureRow {
    /// The 12 bytes as text (NULs as `\0`).
    pub signature: String,
    /// The hypervisor it names.
    pub hypervisor: crate::detect::ids::Hypervisor,
    /// Whether other hypervisors present this interface too.
    pub emulated_by_others: bool,
    /// Where it is defined.
    pub source: &'static str,
}

/// One step of naming the hypervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NamingRow {
    /// The step's id.
    pub step: &'static str,
    /// Where the order comes from.
    pub source: &'static str,
}

/// A table the naming steps read: (key, value, source) rows in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PairRow {
    /// The key (a product, a cloud, a DMI layer).
    pub key: String,
    /// What it maps to.
    pub value: String,
    /// Where it comes from.
    pub source: &'static str,
}

/// The detection policy, every row of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Catalog {
    /// The detection rules, in the order they are walked.
    pub detection: Vec<RuleRow>,
    /// The CPUID signatures `cpuid.hypervisor-signature` looks up.
    pub signatures: Vec<SignatureRow>,
    /// Platforms whose VMs set the SMBIOS VM bit (`smbios.vm-bit`).
    pub vm_bit_setters: Vec<PairRow>,
    /// The steps that name the hypervisor, in order.
    pub naming: Vec<NamingRow>,
    /// Products that present other hypervisors' interfaces.
    pub presents: Vec<PairRow>,
    /// Clouds whose VMs all run one hypervisor.
    pub cloud_hypervisors: Vec<PairRow>,
    /// Layer pairs that name the same guest (no conflict).
    pub same_guest: Vec<PairRow>,
    /// The capability decision rows (`crate::caps::rules`), in the order they are walked.
    pub capabilities: Vec<crate::caps::rules::CapRuleRow>,
}

impl Catalog {
    /// The key-value tables the naming reads, each with its title.
    pub fn pair_tables(&self) -> [(&'static str, &[PairRow]); 4] {
        [
            ("Products presenting other interfaces", &self.presents),
            ("Clouds with one hypervisor", &self.cloud_hypervisors),
            (
                "Layers that name the same guest (DMI, CPUID)",
                &self.same_guest,
            ),
            (
                "Platforms whose VMs set the SMBIOS VM bit",
                &self.vm_bit_setters,
            ),
        ]
    }
}

/// The catalog of every detection rule.
pub fn catalog() -> Catalog {
    Catalog {
        detection: RULES.iter().map(RuleRow::of).collect(),
        signatures: SIGNATURES
            .iter()
            .map(|s| SignatureRow {
                signature: s.bytes.escape_ascii().to_string(),
                hypervisor: s.hypervisor,
                emulated_by_others: s.emulated_by_others,
                source: s.source,
            })
            .collect(),
        vm_bit_setters: VM_BIT_SETTERS
            .iter()
            .map(|(field, m, who, source)| PairRow {
                key: format!("{field} {}", m.describe()),
                value: who.to_string(),
                source,
            })
            .collect(),
        naming: PRECEDENCE
            .iter()
            .map(|(step, source)| NamingRow {
                step: step.id(),
                source,
            })
            .collect(),
        presents: PRESENTS
            .iter()
            .map(|p| PairRow {
                key: p.product.id().to_string(),
                value: p
                    .interfaces
                    .iter()
                    .map(|h| h.id())
                    .collect::<Vec<_>>()
                    .join(", "),
                source: p.source,
            })
            .collect(),
        cloud_hypervisors: CLOUD_HYPERVISORS
            .iter()
            .map(|(c, h, source)| PairRow {
                key: c.id().to_string(),
                value: h.id().to_string(),
                source,
            })
            .collect(),
        same_guest: SAME_GUEST
            .iter()
            .map(|(dmi, cpuid, source)| PairRow {
                key: dmi.id().to_string(),
                value: cpuid.id().to_string(),
                source,
            })
            .collect(),
        capabilities: crate::caps::rules::catalog(),
    }
}

fn identity(i: &Identity) -> String {
    let mut parts = Vec::new();
    if let Some(h) = i.hypervisor {
        parts.push(format!("hv={h}"));
    }
    if let Some(p) = i.product {
        parts.push(format!("product={p}"));
    }
    if let Some(c) = i.cloud {
        parts.push(format!("cloud={c}"));
    }
    parts.join(" ")
}

fn kebab<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Markdown cells may not hold a bare `|`.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The catalog as Markdown tables (the block between the rule markers in `docs/detection.md`).
pub fn markdown() -> String {
    use std::fmt::Write as _;
    let c = catalog();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Generated from the rows by `vcap rules --markdown`; a test fails when this differs.\n"
    );
    let _ = writeln!(
        s,
        "### Detection rules ({} rows, walked in this order)\n",
        c.detection.len()
    );
    let _ = writeln!(
        s,
        "| id | reads | matches | suggests | strength | identifies | source |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for r in &c.detection {
        let mut matches = r.matches.clone();
        if !r.unless.is_empty() {
            matches.push_str(&format!(" (unless {})", r.unless.join(", ")));
        }
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            r.id,
            cell(&r.reads),
            cell(&matches),
            kebab(&r.suggests),
            kebab(&r.strength),
            identity(&r.identifies),
            cell(r.source)
        );
    }
    let _ = writeln!(s, "\n### CPUID signatures ({} rows)\n", c.signatures.len());
    let _ = writeln!(
        s,
        "| signature | hypervisor | emulated by others | source |"
    );
    let _ = writeln!(s, "|---|---|---|---|");
    for r in &c.signatures {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            r.signature,
            r.hypervisor,
            if r.emulated_by_others { "yes" } else { "" },
            cell(r.source)
        );
    }
    let _ = writeln!(
        s,
        "\n### Naming the hypervisor (first step that names one)\n"
    );
    let _ = writeln!(s, "| step | source |");
    let _ = writeln!(s, "|---|---|");
    for (i, r) in c.naming.iter().enumerate() {
        let _ = writeln!(s, "| {}. `{}` | {} |", i + 1, r.step, cell(r.source));
    }
    for (title, rows) in c.pair_tables() {
        let _ = writeln!(s, "\n### {title}\n");
        let _ = writeln!(s, "| key | value | source |");
        let _ = writeln!(s, "|---|---|---|");
        for r in rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                cell(&r.key),
                cell(&r.value),
                cell(r.source)
            );
        }
    }
    s
}

/// The markers around the generated block in `docs/detection.md`.
pub const DOC_MARKERS: (&str, &str) = ("<!-- rules:begin -->", "<!-- rules:end -->");

/// Test support: the part of a committed doc between `markers` is `generated` (the rule
/// tables of docs/detection.md and docs/capabilities.md), else the doc is stale.
#[cfg(test)]
pub(crate) fn assert_doc_holds(name: &str, doc: &str, (begin, end): (&str, &str), generated: &str) {
    let start = doc.find(begin).expect("begin marker") + begin.len();
    let stop = doc.find(end).expect("end marker");
    assert_eq!(
        doc[start..stop].trim(),
        generated.trim(),
        "{name} is stale: run scripts/gen-rule-docs"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_an_id_a_source_and_words() {
        for r in catalog().detection {
            assert!(r.id.contains('.'), "{r:?}");
            assert!(!r.source.is_empty() && !r.reads.is_empty() && !r.matches.is_empty());
            assert!(!r.finding.is_empty(), "{r:?}");
        }
    }

    #[test]
    fn rows_sharing_an_id_decide_cases_of_one_signal() {
        // Rows may share an id only when they are cases of the same kind of signal.
        let rows = RULES;
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[..i] {
                if a.id == b.id && a.id != "host.can-run-vms" {
                    assert_eq!(
                        std::mem::discriminant(&a.signal),
                        std::mem::discriminant(&b.signal),
                        "{} mixes signal kinds",
                        a.id
                    );
                }
            }
        }
        // (`host.can-run-vms` collects every way of seeing VMX, SVM or /dev/kvm.)
    }

    #[test]
    fn an_unless_names_an_earlier_rule() {
        for (i, r) in RULES.iter().enumerate() {
            for u in r.unless {
                assert!(
                    RULES[..=i].iter().any(|e| e.id == *u),
                    "{}: unless {u} names no earlier rule",
                    r.id
                );
            }
        }
    }

    #[test]
    fn the_committed_docs_hold_the_generated_tables() {
        assert_doc_holds(
            "docs/detection.md",
            include_str!("../../../../docs/detection.md"),
            DOC_MARKERS,
            &markdown(),
        );
    }
}
