//! Evidence → verdict. The decision is a small, fixed rule over the evidence's strengths, and every
//! conclusion keeps the indices of the evidence it rests on:
//!
//! 1. Strong evidence of a host partition (Xen dom0, Hyper-V root) makes a host under a hypervisor.
//! 2. Otherwise the strongest evidence for a VM is weighed against the strongest for bare metal; the
//!    stronger side wins, and opposing evidence of at least moderate strength is a conflict.
//! 3. Equal strength, or no evidence at all, is `unknown`: vcap never guesses bare metal from an
//!    absence.
//!
//! The hypervisor is named by precedence rows ([`IDENTITY_PRECEDENCE`]), not by control flow.

use serde::Serialize;

use crate::evidence::{Evidence, Strength, Suggests};

/// Where this OS runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Directly on the hardware.
    BareMetal,
    /// In a virtual machine.
    VirtualMachine,
    /// The privileged partition of a hypervisor that runs on the hardware (Xen dom0, Hyper-V root).
    HostUnderHypervisor,
    /// The evidence does not decide.
    Unknown,
}

impl Kind {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BareMetal => "bare-metal",
            Kind::VirtualMachine => "virtual-machine",
            Kind::HostUnderHypervisor => "host-under-hypervisor",
            Kind::Unknown => "unknown",
        }
    }
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Where this OS runs.
    pub kind: Kind,
    /// The hypervisor (id from [`crate::evidence::HYPERVISORS`]), when known.
    pub hypervisor: Option<&'static str>,
    /// The virtual platform product, when known.
    pub product: Option<&'static str>,
    /// The cloud, when known (also for bare-metal cloud machines).
    pub cloud: Option<&'static str>,
    /// Interfaces the hypervisor also presents (e.g. `hyperv` enlightenments under KVM).
    pub presents: Vec<&'static str>,
    /// One sentence.
    pub summary: String,
    /// Indices into the evidence list of the items that decided.
    pub decided_by: Vec<usize>,
}

/// Evidence that contradicts the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// What contradicts what.
    pub summary: String,
    /// Indices into the evidence list.
    pub evidence: Vec<usize>,
}

/// Hypervisors that present another's paravirtual interface: a product from DMI or PCI IDs names
/// the real hypervisor when CPUID shows one of these interfaces.
#[rustfmt::skip]
pub const PRESENTS: &[(&str, &[&str], &str)] = &[
    ("virtualbox", &["kvm", "hyperv"], "VirtualBox manual §10.4 paravirtualization providers (KVM, Hyper-V)"),
    ("parallels", &["hyperv"], "Parallels Desktop Hyper-V enlightenments"),
];

/// The order in which evidence names the hypervisor, highest first.
pub const IDENTITY_PRECEDENCE: &[&str] = &[
    "a valid CPUID signature other than an interface others emulate, highest base first (Linux, virt-what)",
    "a product that presents that signature's interface (VirtualBox with KVM/Hyper-V providers)",
    "a CPUID signature of an emulated interface (Microsoft Hv) when nothing else names one",
    "other evidence in gathering order",
];

fn strongest(ev: &[Evidence], s: Suggests) -> Strength {
    ev.iter()
        .filter(|e| e.suggests == s)
        .map(|e| e.strength)
        .max()
        .unwrap_or(Strength::None)
}

/// Decides where this OS runs.
pub fn decide(ev: &[Evidence]) -> (Verdict, Vec<Conflict>) {
    let host = strongest(ev, Suggests::HostUnderHypervisor);
    let vm = strongest(ev, Suggests::VirtualMachine);
    let metal = strongest(ev, Suggests::BareMetal);
    let (kind, winner) = if host == Strength::Strong {
        (
            Kind::HostUnderHypervisor,
            Some((Suggests::HostUnderHypervisor, host)),
        )
    } else if vm > metal {
        (Kind::VirtualMachine, Some((Suggests::VirtualMachine, vm)))
    } else if metal > vm {
        (Kind::BareMetal, Some((Suggests::BareMetal, metal)))
    } else {
        (Kind::Unknown, None)
    };
    let idx = |pred: &dyn Fn(&Evidence) -> bool| -> Vec<usize> {
        ev.iter()
            .enumerate()
            .filter(|(_, e)| pred(e))
            .map(|(i, _)| i)
            .collect()
    };
    let decided_by = match winner {
        Some((s, st)) => idx(&|e| e.suggests == s && e.strength == st),
        None => idx(&|e| {
            matches!(e.suggests, Suggests::VirtualMachine | Suggests::BareMetal)
                && e.strength == vm
                && vm > Strength::None
        }),
    };

    let mut conflicts = Vec::new();
    let against = match kind {
        Kind::VirtualMachine => Some((Suggests::BareMetal, "bare metal")),
        Kind::BareMetal => Some((Suggests::VirtualMachine, "a virtual machine")),
        _ => None,
    };
    if let Some((s, what)) = against {
        let items = idx(&|e| e.suggests == s && e.strength >= Strength::Weak);
        if !items.is_empty() {
            let names: Vec<&str> = items.iter().map(|&i| ev[i].source.as_str()).collect();
            conflicts.push(Conflict {
                summary: format!(
                    "{} item(s) suggest {what}, outweighed by stronger evidence: {}",
                    items.len(),
                    names.join("; ")
                ),
                evidence: items,
            });
        }
    }
    if kind == Kind::HostUnderHypervisor {
        let items =
            idx(&|e| e.suggests == Suggests::VirtualMachine && e.rule.starts_with("cpuid."));
        if !items.is_empty() {
            conflicts.push(Conflict {
                summary: "CPUID reports a hypervisor, as it does to a host partition too: on its own it would say virtual machine".into(),
                evidence: items,
            });
        }
    }
    if kind == Kind::Unknown && vm > Strength::None {
        conflicts.push(Conflict {
            summary: "evidence of equal strength points to a virtual machine and to bare metal"
                .into(),
            evidence: decided_by.clone(),
        });
    }

    let (hypervisor, presents) = match kind {
        Kind::VirtualMachine | Kind::HostUnderHypervisor => {
            name_hypervisor(ev, kind, &mut conflicts)
        }
        _ => (None, Vec::new()),
    };
    let counts = |e: &Evidence| match kind {
        Kind::VirtualMachine => e.suggests == Suggests::VirtualMachine,
        Kind::HostUnderHypervisor => matches!(
            e.suggests,
            Suggests::VirtualMachine | Suggests::HostUnderHypervisor
        ),
        _ => false,
    };
    let product = ev
        .iter()
        .filter(|e| counts(e))
        .find_map(|e| e.identifies.product);
    let cloud = ev.iter().find_map(|e| e.identifies.cloud);
    let summary = summarize(kind, hypervisor, product, cloud, &presents, ev, &decided_by);
    (
        Verdict {
            kind,
            hypervisor,
            product,
            cloud,
            presents,
            summary,
            decided_by,
        },
        conflicts,
    )
}

/// Clouds whose VMs all run one hypervisor family, naming it when nothing else does:
/// (cloud, hypervisor, source).
#[rustfmt::skip]
pub const CLOUD_HYPERVISORS: &[(&str, &str, &str)] = &[
    // aws is not here: EC2's Xen era and Nitro era differ; the instance-type row names Nitro's KVM.
    ("gcp", "kvm", "systemd PR #38125: GCE VMs show the KVMKVMKVM signature"),
    ("alibaba", "kvm", "Alibaba ECS: QEMU machine types in DMI (pc-i440fx-*) over KVM"),
    ("azure", "hyperv", "Azure runs VMs on Hyper-V (cloud-init DataSourceAzure)"),
    ("digitalocean", "kvm", "DigitalOcean droplets are KVM VMs"),
];

/// Pairs that name the same guest from two layers: the first is the VMM or product seen in DMI,
/// the second the hypervisor chosen from CPUID. Such a pair is not a conflict; the reverse is (a
/// platform that claims KVM while CPUID shows QEMU's TCG is not what it claims).
pub const SAME_GUEST: &[(&str, &str, &str)] = &[(
    "qemu",
    "kvm",
    "QEMU is the VMM of most KVM guests: its DMI names QEMU, CPUID names KVM",
)];

fn name_hypervisor(
    ev: &[Evidence],
    kind: Kind,
    conflicts: &mut Vec<Conflict>,
) -> (Option<&'static str>, Vec<&'static str>) {
    use crate::evidence::SIGNATURES;
    let emulated = |h: &str| {
        SIGNATURES
            .iter()
            .any(|s| s.hypervisor == h && s.emulated_by_others)
    };
    // CPUID signatures in base order; the evidence list keeps them in that order.
    let sigs: Vec<(usize, &'static str)> = ev
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.rule == "cpuid.hypervisor-signature" && e.suggests == Suggests::VirtualMachine
        })
        .filter_map(|(i, e)| e.identifies.hypervisor.map(|h| (i, h)))
        .collect();
    let own = sigs.iter().rev().find(|(_, h)| !emulated(h)).map(|x| x.1);
    let iface = sigs.iter().find(|(_, h)| emulated(h)).map(|x| x.1);
    let other_claims: Vec<(usize, &'static str)> = ev
        .iter()
        .enumerate()
        .filter(|(_, e)| e.rule != "cpuid.hypervisor-signature")
        .filter(|(_, e)| match kind {
            Kind::HostUnderHypervisor => matches!(
                e.suggests,
                Suggests::HostUnderHypervisor | Suggests::VirtualMachine
            ),
            _ => e.suggests == Suggests::VirtualMachine,
        })
        .filter_map(|(i, e)| e.identifies.hypervisor.map(|h| (i, h)))
        .collect();
    let cloud = ev.iter().find_map(|e| e.identifies.cloud);
    let by_cloud = CLOUD_HYPERVISORS
        .iter()
        .find(|c| Some(c.0) == cloud && kind == Kind::VirtualMachine)
        .map(|c| c.1);
    let chosen = match own.or(iface) {
        Some(h) => {
            // A product that presents this interface is the real hypervisor.
            let presenter = other_claims.iter().find(|(_, p)| {
                PRESENTS
                    .iter()
                    .any(|(prod, ifaces, _)| prod == p && ifaces.contains(&h))
            });
            presenter.map_or(h, |&(_, p)| p)
        }
        None => by_cloud
            .or_else(|| other_claims.iter().map(|x| x.1).find(|h| *h != "other"))
            .unwrap_or("other"),
    };
    // A cloud whose VMs all run one hypervisor, while CPUID names another: the platform is not
    // what its DMI claims (e.g. GCE's strings on a QEMU/TCG guest).
    if let (Some(c), Some(h)) = (cloud, own.or(iface))
        && let Some(row) = CLOUD_HYPERVISORS
            .iter()
            .find(|r| r.0 == c && kind == Kind::VirtualMachine)
        && row.1 != chosen
        && h == chosen
    {
        let items: Vec<usize> = ev
            .iter()
            .enumerate()
            .filter(|(_, e)| e.identifies.cloud == Some(c))
            .map(|(i, _)| i)
            .collect();
        conflicts.push(Conflict {
            summary: format!(
                "{c}'s VMs run on {} ({}), but CPUID names {}",
                crate::evidence::hv_name(row.1),
                row.2,
                crate::evidence::hv_name(chosen)
            ),
            evidence: items,
        });
    }
    let mut presents = Vec::new();
    for (_, h) in &sigs {
        if *h != chosen && !presents.contains(h) {
            presents.push(*h);
        }
    }
    if !presents.is_empty() {
        let items: Vec<usize> = sigs
            .iter()
            .filter(|(_, h)| *h != chosen)
            .map(|x| x.0)
            .collect();
        let names: Vec<&str> = presents
            .iter()
            .map(|h| crate::evidence::hv_name(h))
            .collect();
        conflicts.push(Conflict {
            summary: format!(
                "CPUID also carries the {} signature: an interface {} presents to its guests (on its own it would name that hypervisor)",
                names.join(", "),
                crate::evidence::hv_name(chosen)
            ),
            evidence: items,
        });
    }
    // Other evidence naming a different hypervisor is a conflict, unless the two name the same
    // guest from two layers.
    let compatible = |h: &str| {
        h == chosen
            || h == "other"
            || presents.contains(&h)
            || SAME_GUEST
                .iter()
                .any(|(dmi, cpuid, _)| *dmi == h && *cpuid == chosen)
    };
    let disagree: Vec<usize> = other_claims
        .iter()
        .filter(|(_, h)| !compatible(h))
        .map(|x| x.0)
        .collect();
    if !disagree.is_empty() {
        let names: Vec<String> = disagree
            .iter()
            .map(|&i| {
                format!(
                    "{} ({})",
                    ev[i].source,
                    ev[i].identifies.hypervisor.unwrap_or("?")
                )
            })
            .collect();
        conflicts.push(Conflict {
            summary: format!(
                "evidence names another hypervisor than {chosen}: {}",
                names.join("; ")
            ),
            evidence: disagree,
        });
    }
    (Some(chosen), presents)
}

fn summarize(
    kind: Kind,
    hv: Option<&str>,
    product: Option<&str>,
    cloud: Option<&str>,
    presents: &[&str],
    ev: &[Evidence],
    decided_by: &[usize],
) -> String {
    use crate::evidence::{CLOUDS, hv_name};
    let cloud_name = cloud
        .and_then(|c| CLOUDS.iter().find(|x| x.0 == c))
        .map(|x| x.1);
    let mut s = match kind {
        Kind::BareMetal => "bare metal".to_string(),
        Kind::VirtualMachine => format!(
            "a virtual machine on {}",
            hv.map_or("an unidentified hypervisor", hv_name)
        ),
        Kind::HostUnderHypervisor => format!(
            "the host partition of {}",
            hv.map_or("a hypervisor", hv_name)
        ),
        Kind::Unknown => "unknown".to_string(),
    };
    if !presents.is_empty() {
        let p: Vec<&str> = presents.iter().map(|h| hv_name(h)).collect();
        s.push_str(&format!(" (presenting the {} interface)", p.join(", ")));
    }
    if let Some(p) = product.filter(|_| kind == Kind::VirtualMachine) {
        s.push_str(&format!(", platform {p}"));
    }
    if let Some(c) = cloud_name {
        s.push_str(&format!(", in {c}"));
    }
    match (kind, decided_by.first()) {
        (Kind::Unknown, None) => s.push_str(": no evidence either way"),
        (_, Some(&i)) => s.push_str(&format!(" — decided by {}", ev[i].finding)),
        _ => {}
    }
    s
}
