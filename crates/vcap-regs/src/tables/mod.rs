//! The register tables, one module per register file. Every row names the Linux header and macro
//! (or, where Linux defines nothing, the QEMU symbol or specification section) it was checked
//! against.

use crate::model::{Field, OwnedDefault, Provenance, Rule, Src};

pub mod amd;
pub mod arm64;
pub mod cpuid;
pub mod libvirt_map;
pub mod qemu_models;
pub mod smmuv3;
pub mod vtd;

/// A row with no named values, unsigned, least capable value 0.
#[allow(clippy::too_many_arguments)]
pub(crate) const fn row(
    reg: usize,
    name: &'static str,
    shift: u8,
    width: u8,
    rule: Rule,
    prov: Provenance,
    src: Src,
    doc: &'static str,
) -> Field {
    Field {
        reg,
        name,
        shift,
        width,
        signed: false,
        values: &[],
        rule,
        prov,
        safe: 0,
        src,
        doc,
    }
}

/// Shorthand for a Linux source.
pub(crate) const fn linux(file: &'static str, symbol: &'static str) -> Src {
    Src::Linux { file, symbol }
}

/// Shorthand for a never-exposed provenance.
pub(crate) const fn never(note: &'static str) -> Provenance {
    Provenance::Never { note }
}

/// Shorthand for a VMM-owned provenance.
pub(crate) const fn owned(default: u64, note: &'static str) -> Provenance {
    Provenance::VmmOwned {
        default: OwnedDefault::Value(default),
        note,
    }
}

/// Shorthand for a VMM-owned provenance whose default is the host's value.
pub(crate) const fn owned_host(note: &'static str) -> Provenance {
    Provenance::VmmOwned {
        default: OwnedDefault::Host,
        note,
    }
}

/// Shorthand for a VMM-derived provenance.
pub(crate) const fn derived(value: u64, note: &'static str) -> Provenance {
    Provenance::VmmDerived { value, note }
}

pub(crate) const B: Provenance = Provenance::Baseline;
pub(crate) const LS: Rule = Rule::LowerSafe;
