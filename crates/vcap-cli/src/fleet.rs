//! Fleet outputs of the report (docs/fleet.md): Prometheus textfile-collector metrics and a flat
//! JSON fact for Ansible and Salt. Both are read from the one [`Report`] the human and JSON
//! outputs render, through vcap-core's public report types; nothing here decides anything.

use std::fmt::Write as _;

use serde::Serialize;
use vcap_core::caps::policy::{DmaPath, Tri};
use vcap_core::detect::Kind;
use vcap_core::report::Report;

/// Every verdict kind, in the order the metrics list them.
const KINDS: [Kind; 4] = [
    Kind::BareMetal,
    Kind::VirtualMachine,
    Kind::HostUnderHypervisor,
    Kind::Unknown,
];

/// Every capability state.
const TRIS: [Tri; 3] = [Tri::Yes, Tri::No, Tri::Unknown];

/// A new `Kind`, `Tri` or `DmaPath` variant stops the build here, so the lists above and the
/// metrics' documentation are revisited.
#[allow(dead_code)]
fn exhaustive(k: Kind, t: Tri, p: DmaPath) {
    match k {
        Kind::BareMetal | Kind::VirtualMachine | Kind::HostUnderHypervisor | Kind::Unknown => {}
    }
    match t {
        Tri::Yes | Tri::No | Tri::Unknown => {}
    }
    match p {
        DmaPath::Iommu
        | DmaPath::Identity
        | DmaPath::Bypass
        | DmaPath::NoIommu
        | DmaPath::Unknown => {}
    }
}

/// A value's JSON spelling (what `vcap --json` writes for it).
fn spelling<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn tri(t: Tri) -> &'static str {
    match t {
        Tri::Yes => "yes",
        Tri::No => "no",
        Tri::Unknown => "unknown",
    }
}

/// A label value in the text exposition format: `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// The capabilities that are one decision each: (label, state).
fn capabilities(r: &Report) -> [(&'static str, Tri); 3] {
    let c = &r.capabilities;
    [
        ("interrupt_remapping", c.interrupt_remapping.verdict),
        ("ims", c.ims.verdict),
        ("pasid", c.pasid.verdict),
    ]
}

/// The report as Prometheus text exposition format, for node_exporter's textfile collector
/// (no timestamps). Metric names and meanings: docs/fleet.md.
pub fn prometheus(r: &Report) -> String {
    let mut s = String::new();
    let mut lines: Vec<String> = Vec::new();
    let m = family(
        &mut s,
        "vcap_build_info",
        "The vcap that wrote these metrics.",
    );
    lines.push(format!(
        "{m}{{version=\"{}\"}} 1",
        label(crate::json::VCAP_VERSION)
    ));
    flush(&mut s, &mut lines);
    let m = family(
        &mut s,
        "vcap_verdict",
        "Where this OS runs, decided from evidence: 1 for the verdict's kind, 0 for the others.",
    );
    for k in KINDS {
        let v = u8::from(r.verdict.kind == k);
        lines.push(format!("{m}{{kind=\"{}\"}} {v}", k.as_str()));
    }
    flush(&mut s, &mut lines);
    let m = family(
        &mut s,
        "vcap_platform_info",
        "The platform beneath: systemd-detect-virt identifier, hypervisor, product and cloud (empty when not known).",
    );
    let v = &r.verdict;
    lines.push(format!(
        "{m}{{systemd_id=\"{}\",hypervisor=\"{}\",product=\"{}\",cloud=\"{}\"}} 1",
        label(r.systemd_id),
        label(v.hypervisor.map_or("", |h| h.id())),
        label(v.product.map_or("", |p| p.id())),
        label(v.cloud.map_or("", |c| c.id()))
    ));
    flush(&mut s, &mut lines);
    let m = family(
        &mut s,
        "vcap_container_info",
        "The container layer: the runtime's systemd identifier (`none` outside a container).",
    );
    lines.push(format!(
        "{m}{{container=\"{}\"}} 1",
        label(r.container.systemd_id)
    ));
    flush(&mut s, &mut lines);
    let m = family(
        &mut s,
        "vcap_can_host_vms",
        "1 when this OS can run virtual machines itself (VMX/SVM or /dev/kvm available), 0 otherwise; says nothing of where it runs.",
    );
    lines.push(format!("{m} {}", u8::from(r.host.can_host_vms)));
    flush(&mut s, &mut lines);
    let m = family(
        &mut s,
        "vcap_capability",
        "Capabilities software may rely on, granted only when the layer beneath advertises them: 1 for the decided state (yes, no, unknown), 0 for the others.",
    );
    for (name, state) in capabilities(r) {
        for t in TRIS {
            let v = u8::from(state == t);
            lines.push(format!(
                "{m}{{capability=\"{name}\",state=\"{}\"}} {v}",
                tri(t)
            ));
        }
    }
    flush(&mut s, &mut lines);
    let dma = &r.capabilities.dma;
    if !dma.is_empty() {
        let m = family(
            &mut s,
            "vcap_dma_device",
            "One per device: its DMA path (iommu, identity, bypass, no-iommu, unknown) and whether an IOMMU translates and confines its DMA (yes, no, unknown).",
        );
        for d in dma {
            lines.push(format!(
                "{m}{{device=\"{}\",path=\"{}\",translated=\"{}\"}} 1",
                label(&d.device),
                label(&spelling(&d.path)),
                tri(d.verdict)
            ));
        }
        flush(&mut s, &mut lines);
        let m = family(
            &mut s,
            "vcap_dma_bypass_hazard",
            "1 when the device bypasses the IOMMU and is, or shares an IOMMU group with, a device bound to vfio-pci; 0 otherwise.",
        );
        for d in dma {
            lines.push(format!(
                "{m}{{device=\"{}\"}} {}",
                label(&d.device),
                u8::from(d.hazard)
            ));
        }
        flush(&mut s, &mut lines);
    }
    for (name, help, n) in [
        (
            "vcap_evidence_items",
            "Pieces of evidence vcap gathered (each with its source and raw value in vcap --json).",
            r.evidence.len(),
        ),
        (
            "vcap_conflicts",
            "Pieces of evidence that contradict the verdict.",
            r.conflicts.len(),
        ),
        (
            "vcap_unreadable_inputs",
            "Inputs that exist but could not be read (often: root only), and CPUID when not observed.",
            r.unreadable.len(),
        ),
    ] {
        let m = family(&mut s, name, help);
        lines.push(format!("{m} {n}"));
        flush(&mut s, &mut lines);
    }
    s
}

/// Writes a metric family's HELP and TYPE lines; returns its name.
fn family(s: &mut String, name: &'static str, help: &str) -> &'static str {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
    name
}

fn flush(s: &mut String, lines: &mut Vec<String>) {
    for l in lines.drain(..) {
        s.push_str(&l);
        s.push('\n');
    }
}

/// `vcap --format facts`: one flat JSON object (every value a string, number, boolean or null),
/// the shape Ansible's `facts.d` and Salt's grains take. Keys in this order (docs/fleet.md).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Facts {
    /// `bare-metal`, `virtual-machine`, `host-under-hypervisor` or `unknown`.
    pub verdict: &'static str,
    /// True for a virtual machine (the verdict is `virtual-machine`).
    pub virtual_machine: bool,
    /// The systemd-detect-virt identifier (`none` when not a VM).
    pub systemd_id: &'static str,
    /// The hypervisor, when known.
    pub hypervisor: Option<&'static str>,
    /// The virtual platform product, when known.
    pub product: Option<&'static str>,
    /// The cloud, when known.
    pub cloud: Option<&'static str>,
    /// The container runtime this OS runs in (systemd's identifier), null outside a container.
    pub container: Option<&'static str>,
    /// Interfaces the hypervisor also presents, comma-separated (empty when none).
    pub presents: String,
    /// Whether this OS can run virtual machines itself.
    pub can_host_vms: bool,
    /// Interrupt remapping: `yes`, `no` or `unknown`.
    pub interrupt_remapping: &'static str,
    /// IMS: `yes`, `no` or `unknown`.
    pub ims: &'static str,
    /// PASID readiness: `yes`, `no` or `unknown`.
    pub pasid: &'static str,
    /// Devices with a DMA decision.
    pub dma_devices: usize,
    /// Of them, those whose DMA an IOMMU translates (verdict yes).
    pub dma_translated: usize,
    /// Of them, those that bypass the IOMMU.
    pub dma_bypass: usize,
    /// Of them, bypassing devices that are a hazard (vfio-pci).
    pub dma_hazards: usize,
    /// Pieces of evidence.
    pub evidence_items: usize,
    /// Evidence that contradicts the verdict.
    pub conflicts: usize,
    /// Inputs that could not be read.
    pub unreadable_inputs: usize,
}

/// The facts of a report.
pub fn facts(r: &Report) -> Facts {
    let v = &r.verdict;
    let c = &r.capabilities;
    Facts {
        verdict: v.kind.as_str(),
        virtual_machine: v.kind == Kind::VirtualMachine,
        systemd_id: r.systemd_id,
        hypervisor: v.hypervisor.map(|h| h.id()),
        product: v.product.map(|p| p.id()),
        cloud: v.cloud.map(|c| c.id()),
        container: r.container.runtime.map(|c| c.id()),
        presents: v
            .presents
            .iter()
            .map(|h| h.id())
            .collect::<Vec<_>>()
            .join(","),
        can_host_vms: r.host.can_host_vms,
        interrupt_remapping: tri(c.interrupt_remapping.verdict),
        ims: tri(c.ims.verdict),
        pasid: tri(c.pasid.verdict),
        dma_devices: c.dma.len(),
        dma_translated: c.dma.iter().filter(|d| d.verdict == Tri::Yes).count(),
        dma_bypass: c.dma.iter().filter(|d| d.path == DmaPath::Bypass).count(),
        dma_hazards: c.dma.iter().filter(|d| d.hazard).count(),
        evidence_items: r.evidence.len(),
        conflicts: r.conflicts.len(),
        unreadable_inputs: r.unreadable.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(label("x\ny"), r"x\ny");
        assert_eq!(label("0000:00:01.0"), "0000:00:01.0");
    }
}
