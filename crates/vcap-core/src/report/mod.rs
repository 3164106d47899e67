//! The report: the machine and container layers, evidence, conflicts and what could not be read,
//! as one value (`vcap --json` prints it as `vcap.report/1`, docs/report-schema.md). Built from a
//! [`Capture`] by a pure function.

pub mod render;

use serde::Serialize;

use crate::caps::policy::{self, Capabilities};
use crate::detect::evidence::{self, Evidence, Suggests};
use crate::detect::systemd;
use crate::detect::{self, Conflict, ContainerVerdict, Verdict};
use crate::input::capture::{Capture, CpuidRead, FileRead, Listing};
use crate::input::plan;

/// An input that exists but could not be read, or was not observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Unreadable {
    /// The absolute path, or `CPUID`.
    pub source: String,
    /// Why it could not be read.
    pub reason: String,
    /// What it would tell (e.g. to root).
    pub tells: String,
}

/// Whether this machine can host VMs itself (reported, never confused with being a VM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostCapability {
    /// True when any evidence shows hardware virtualisation or KVM available to this OS.
    pub can_host_vms: bool,
    /// Indices of that evidence.
    pub evidence: Vec<usize>,
}

/// The full report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    /// Where this OS runs: the machine layer.
    pub verdict: Verdict,
    /// The container layer above it: whether this OS runs in a container, and which runtime.
    pub container: ContainerVerdict,
    /// The systemd-detect-virt identifier of the machine layer (`systemd-detect-virt --vm`).
    pub systemd_id: &'static str,
    /// Every piece of evidence.
    pub evidence: Vec<Evidence>,
    /// Evidence that contradicts the verdict.
    pub conflicts: Vec<Conflict>,
    /// What could not be read, and what it would tell.
    pub unreadable: Vec<Unreadable>,
    /// Whether this machine can host VMs.
    pub host: HostCapability,
    /// What software may rely on here, decided by opt-in (docs/capabilities.md).
    pub capabilities: Capabilities,
    /// Whether this is a confidential VM, who vouches for it, what it must not trust, and each
    /// device's DMA trust ([`crate::detect::cvm`]).
    pub cvm: crate::detect::cvm::CvmVerdict,
    /// The Hyper-V partition (guest, root or L1VH), when the hypervisor is Hyper-V
    /// ([`crate::detect::hyperv`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyperv: Option<crate::detect::hyperv::Partition>,
}

/// What `vcap detect` needs, without the capability decisions, from a capture of
/// [`crate::input::plan::Scope::Detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The machine layer.
    pub verdict: Verdict,
    /// Its systemd identifier (`systemd-detect-virt --vm`).
    pub vm_id: &'static str,
    /// The container layer.
    pub container: ContainerVerdict,
    /// The evidence both rest on.
    pub evidence: Vec<Evidence>,
}

impl Detection {
    /// virt-what's facts for these layers, outermost first
    /// ([`crate::detect::virt_what`]).
    pub fn virt_what(&self) -> Vec<&'static str> {
        crate::detect::virt_what::facts(&self.verdict, &self.container, &self.evidence)
    }

    /// The innermost layer's identifier, as `systemd-detect-virt` without options prints it:
    /// the container's when in one, else the machine's.
    pub fn innermost_id(&self) -> &'static str {
        if self.container.container {
            self.container.systemd_id
        } else {
            self.vm_id
        }
    }
}

/// The verdicts and systemd identifiers alone, without the capability decisions.
pub fn detect_only(c: &Capture) -> Detection {
    let evidence = evidence::gather(c);
    let (verdict, mut conflicts) = detect::decide(&evidence);
    let container = detect::decide_container(&evidence, &mut conflicts);
    let vm_id = systemd::id(&verdict);
    Detection {
        verdict,
        vm_id,
        container,
        evidence,
    }
}

/// Builds the report for a capture.
pub fn build(c: &Capture) -> Report {
    let evidence = evidence::gather(c);
    let (verdict, mut conflicts) = detect::decide(&evidence);
    let container = detect::decide_container(&evidence, &mut conflicts);
    let systemd_id = systemd::id(&verdict);
    let host = HostCapability {
        can_host_vms: evidence.iter().any(|e| e.suggests == Suggests::CanHostVms),
        evidence: evidence
            .iter()
            .enumerate()
            .filter(|(_, e)| e.suggests == Suggests::CanHostVms)
            .map(|(i, _)| i)
            .collect(),
    };
    let capabilities = policy::build(c, &verdict);
    let cvm = crate::detect::cvm::decide(c, &evidence, &verdict);
    let hyperv = crate::detect::hyperv::decide(&evidence, &verdict);
    // Inputs the capability parsers rejected are malformed evidence too, so one list shows every
    // input that counted for nothing (appended: indices above stay valid).
    let mut evidence = evidence;
    evidence.extend(capabilities.malformed.iter().map(|m| {
        let raw = m
            .offset
            .map_or("offset unknown".into(), |o| format!("offset {o:#x}"));
        evidence::malformed("capabilities.input", m.source.clone(), raw, m.error.clone())
    }));
    Report {
        verdict,
        container,
        systemd_id,
        evidence,
        conflicts,
        unreadable: unreadable(c),
        host,
        capabilities,
        cvm,
        hyperv,
    }
}

/// Every unreadable input of a capture, with what it would tell.
pub fn unreadable(c: &Capture) -> Vec<Unreadable> {
    let tells = |p: &str| {
        plan::tells(p)
            .unwrap_or("an input of the probe")
            .to_string()
    };
    let mut out: Vec<Unreadable> = c
        .files
        .iter()
        .filter_map(|(p, r)| match r {
            FileRead::Unreadable(why) => Some(Unreadable {
                source: p.clone(),
                reason: why.clone(),
                tells: tells(p),
            }),
            _ => None,
        })
        .chain(c.dirs.iter().filter_map(|(p, l)| match l {
            Listing::Unreadable(why) => Some(Unreadable {
                source: p.clone(),
                reason: why.clone(),
                tells: tells(p),
            }),
            _ => None,
        }))
        .collect();
    if let crate::input::capture::MsrRead::Unreadable(why) = &c.sev_status {
        out.push(Unreadable {
            source: format!("MSR 0x{:08x} ({})", plan::MSR_SEV_STATUS, plan::MSR_DEVICE),
            reason: why.clone(),
            tells: "whether SEV, SEV-ES or SEV-SNP is active (the CPU reports SEV to this guest)"
                .into(),
        });
    }
    if let CpuidRead::NotObserved = c.cpuid {
        out.push(Unreadable {
            source: "CPUID".into(),
            reason: "not observed: not an x86 machine, or a snapshot without cpuid.txt".into(),
            tells: "the hypervisor bit and hypervisor signatures".into(),
        });
    }
    out
}
