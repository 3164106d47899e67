//! Evidence → verdict. The decision is a small, fixed rule over the evidence's strengths, and every
//! conclusion keeps the indices of the evidence it rests on:
//!
//! 1. Strong evidence of a host partition (Xen dom0, Hyper-V root) makes a host under a hypervisor.
//! 2. Otherwise the strongest evidence for a VM is weighed against the strongest for bare metal; the
//!    stronger side wins, and opposing evidence of at least moderate strength is a conflict.
//! 3. Equal strength, or no evidence at all, is `unknown`: vcap never guesses bare metal from an
//!    absence.
//!
//! The hypervisor is named by walking [`PRECEDENCE`], an ordered list of steps, not by control flow.

pub mod cvm;
pub mod evidence;
pub mod hyperv;
pub mod ids;
pub mod rules;
pub mod systemd;
pub mod virt_what;

use serde::Serialize;

use crate::detect::evidence::{Evidence, Strength, Suggests};
use crate::detect::ids::{Cloud, Container, Hypervisor, Product};

/// Where this OS runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    /// Where this OS runs.
    pub kind: Kind,
    /// The hypervisor, when known.
    pub hypervisor: Option<Hypervisor>,
    /// The virtual platform product, when known.
    pub product: Option<Product>,
    /// The cloud, when known (also for bare-metal cloud machines).
    pub cloud: Option<Cloud>,
    /// Interfaces the hypervisor also presents (e.g. `hyperv` enlightenments under KVM).
    pub presents: Vec<Hypervisor>,
    /// One sentence.
    pub summary: String,
    /// Indices into the evidence list of the items that decided.
    pub decided_by: Vec<usize>,
}

/// Evidence that contradicts the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conflict {
    /// What contradicts what.
    pub summary: String,
    /// Indices into the evidence list.
    pub evidence: Vec<usize>,
}

/// The container layer: whether this OS runs in a container, and which runtime. It sits above
/// the machine layer ([`Verdict`]): a container on a VM is both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContainerVerdict {
    /// True when a container row matched.
    pub container: bool,
    /// The runtime, when one matched.
    pub runtime: Option<Container>,
    /// `systemd-detect-virt --container`'s identifier (`none` outside a container).
    pub systemd_id: &'static str,
    /// One sentence.
    pub summary: String,
    /// Indices into the evidence list of the items that decided (the first container row that
    /// matched, in systemd's `detect_container()` order).
    pub decided_by: Vec<usize>,
}

/// Decides the container layer: the first container evidence in the rows' order names the
/// runtime, as systemd's `detect_container()` takes the first check that answers; later
/// evidence naming another runtime is a conflict — but under PRoot, which isolates nothing (no
/// namespace; the guest sees the root it is given, often the machine's own), another runtime's
/// files are those of the container PRoot runs in, named in the summary instead.
pub fn decide_container(ev: &[Evidence], conflicts: &mut Vec<Conflict>) -> ContainerVerdict {
    // PID 1 with an empty `container=` ends systemd's search before any other check; what the
    // later rows found stays in the evidence, unweighed, as systemd never reads it.
    let said_none = ev.iter().position(|e| e.suggests == Suggests::NoContainer);
    if let Some(i) = said_none {
        let later = ev[i..]
            .iter()
            .filter(|e| e.suggests == Suggests::Container)
            .count();
        return ContainerVerdict {
            container: false,
            runtime: None,
            systemd_id: "none",
            summary: format!(
                "not in a container: {}{}",
                ev[i].finding,
                match later {
                    0 => String::new(),
                    n => format!(" ({n} later container evidence not weighed)"),
                }
            ),
            decided_by: vec![i],
        };
    }
    let items: Vec<(usize, Container)> = ev
        .iter()
        .enumerate()
        .filter(|(_, e)| e.suggests == Suggests::Container)
        .filter_map(|(i, e)| e.identifies.container.map(|c| (i, c)))
        .collect();
    let Some(&(first, runtime)) = items.first() else {
        return ContainerVerdict {
            container: false,
            runtime: None,
            systemd_id: "none",
            summary: "not in a container: no container evidence".into(),
            decided_by: Vec::new(),
        };
    };
    let others: Vec<usize> = items
        .iter()
        .filter(|(_, c)| *c != runtime && *c != Container::Other)
        .map(|x| x.0)
        .collect();
    let enclosing = if runtime == Container::Proot {
        let mut names: Vec<&str> = others
            .iter()
            .filter_map(|&i| ev[i].identifies.container.map(Container::name))
            .collect();
        names.dedup();
        names
    } else {
        Vec::new()
    };
    if !others.is_empty() && runtime != Container::Proot {
        conflicts.push(Conflict {
            summary: format!(
                "evidence names another container runtime than {runtime}: {}",
                others
                    .iter()
                    .map(|&i| format!(
                        "{} ({})",
                        ev[i].source,
                        ev[i].identifies.container.map_or("?", Container::id)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            evidence: others,
        });
    }
    ContainerVerdict {
        container: true,
        runtime: Some(runtime),
        systemd_id: runtime.id(),
        summary: format!(
            "in a container: {}{} — decided by {}",
            runtime.name(),
            if enclosing.is_empty() {
                String::new()
            } else {
                format!(
                    " (inside {}, whose files show through)",
                    enclosing.join(", ")
                )
            },
            ev[first].finding
        ),
        decided_by: vec![first],
    }
}

/// Whether this process runs in a user namespace, as systemd's `running_in_userns()` decides:
/// a `uid_map` or `gid_map` other than the full 1:1 map `0 0 4294967295` (an empty one is a
/// namespace not yet set up), else `setgroups` saying `deny`. `None` when a map could not be
/// read (a snapshot taken before they were in the plan, or an unreadable file). The files are the
/// capturing process's own, so a snapshot tells about the process that took it.
pub fn private_users(c: &crate::input::capture::Capture) -> Option<bool> {
    use crate::input::capture::FileRead;
    for map in ["/proc/self/uid_map", "/proc/self/gid_map"] {
        match c.file(map) {
            FileRead::Absent => {}
            FileRead::Unreadable(_) | FileRead::Parts(_) => return None,
            FileRead::Data { bytes, .. } => {
                let text = String::from_utf8_lossy(bytes);
                let Some(first) = text.lines().next() else {
                    return Some(true);
                };
                let nums: Vec<&str> = first.split_whitespace().collect();
                if nums != ["0", "0", "4294967295"] {
                    return Some(true);
                }
            }
        }
    }
    match c.file("/proc/self/setgroups") {
        FileRead::Data { bytes, .. } => Some(String::from_utf8_lossy(bytes).trim() == "deny"),
        FileRead::Absent => Some(false),
        FileRead::Unreadable(_) | FileRead::Parts(_) => None,
    }
}

/// A product that presents another hypervisor's paravirtual interface: when CPUID shows one of
/// these interfaces and other evidence names the product, the product is the hypervisor.
#[derive(Debug, Clone, Copy)]
pub struct Presents {
    /// The product's hypervisor.
    pub product: Hypervisor,
    /// The interfaces it can present.
    pub interfaces: &'static [Hypervisor],
    /// Where that is documented.
    pub source: &'static str,
}

/// Products known to present other hypervisors' interfaces.
#[rustfmt::skip]
pub const PRESENTS: &[Presents] = &[
    Presents { product: Hypervisor::Virtualbox, interfaces: &[Hypervisor::Kvm, Hypervisor::Hyperv], source: "VirtualBox manual §10.4 paravirtualization providers (KVM, Hyper-V); systemd src/basic/virt.c detect_vm(): Oracle VirtualBox is taken from DMI \"even if they use KVM\"" },
    Presents { product: Hypervisor::Parallels, interfaces: &[Hypervisor::Kvm, Hypervisor::Hyperv], source: "Parallels Desktop's Hyper-V enlightenments and KVM paravirtualisation for Linux guests; systemd src/basic/virt.c detect_vm(): Parallels is taken from DMI \"even if they use KVM\"" },
];

/// One step of naming the hypervisor of a VM or host partition. [`PRECEDENCE`] lists them in
/// order; the first step that yields a hypervisor names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameStep {
    /// A product that presents the interface of the signature the next two steps would take
    /// ([`PRESENTS`]) is the hypervisor.
    PresentingProduct,
    /// The valid CPUID signature at the highest base whose interface no other hypervisor
    /// emulates (a nested or enlightened guest sees its own hypervisor's signature last).
    OwnSignature,
    /// The hypervisor every VM of the cloud runs ([`CLOUD_HYPERVISORS`]), for a VM.
    CloudHypervisor,
    /// Other evidence naming a hypervisor directly (DMI, the Xen platform device, VMBus, a
    /// device-tree hypervisor node), in gathering order.
    OtherEvidence,
    /// Evidence naming a product whose hypervisor it implies (QEMU's PCI IDs and tables): QEMU is
    /// also Xen HVM's device model, so a product's IDs name the hypervisor only after direct
    /// evidence.
    ProductEvidence,
    /// A CPUID signature of an interface other hypervisors emulate (`Microsoft Hv`): KVM, QEMU,
    /// VirtualBox and Parallels present it too, so it names the hypervisor only when nothing
    /// else does.
    EmulatedSignature,
    /// Nothing names the hypervisor: `other`.
    Unidentified,
}

impl NameStep {
    /// The step's id (its JSON spelling).
    pub const fn id(self) -> &'static str {
        match self {
            NameStep::PresentingProduct => "presenting-product",
            NameStep::OwnSignature => "own-signature",
            NameStep::CloudHypervisor => "cloud-hypervisor",
            NameStep::OtherEvidence => "other-evidence",
            NameStep::ProductEvidence => "product-evidence",
            NameStep::EmulatedSignature => "emulated-signature",
            NameStep::Unidentified => "unidentified",
        }
    }
}

/// How the hypervisor is named: the steps in order, each with its source.
#[rustfmt::skip]
pub const PRECEDENCE: &[(NameStep, &str)] = &[
    (NameStep::PresentingProduct, "systemd src/basic/virt.c detect_vm(): VirtualBox and Parallels from DMI first, \"even if they use KVM\""),
    (NameStep::OwnSignature, "Linux arch/x86/kernel/cpu/hypervisor.c (first known base); virt-what (last signature wins when nested)"),
    (NameStep::CloudHypervisor, "CLOUD_HYPERVISORS rows"),
    (NameStep::OtherEvidence, "systemd src/basic/virt.c detect_vm(): DMI after CPUID"),
    (NameStep::ProductEvidence, "Xen docs (qemu-xen is the device model of HVM guests): QEMU's IDs inside a Xen guest name the device model, not the hypervisor"),
    (NameStep::EmulatedSignature, "systemd src/basic/virt.c detect_vm(): \"QEMU sets the CPUID string to hyperv's, in case it provides hyperv enlightenments. Let's hence not return Microsoft here but just use the other mechanisms first\""),
    (NameStep::Unidentified, "vcap: a VM whose hypervisor nothing names is `other`, never a guess"),
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
pub const CLOUD_HYPERVISORS: &[(Cloud, Hypervisor, &str)] = &[
    // aws is not here: EC2's Xen era and Nitro era differ; the instance-type row names Nitro's KVM.
    (Cloud::Gcp, Hypervisor::Kvm, "systemd PR #38125: GCE VMs show the KVMKVMKVM signature"),
    (Cloud::Alibaba, Hypervisor::Kvm, "Alibaba ECS: QEMU machine types in DMI (pc-i440fx-*) over KVM"),
    (Cloud::Azure, Hypervisor::Hyperv, "Azure runs VMs on Hyper-V (cloud-init DataSourceAzure)"),
    (Cloud::Digitalocean, Hypervisor::Kvm, "DigitalOcean droplets are KVM VMs"),
];

/// Pairs that name the same guest from two layers: the first is the VMM or product seen in DMI,
/// the second the hypervisor chosen from CPUID. Such a pair is not a conflict; the reverse is (a
/// platform that claims KVM while CPUID shows QEMU's TCG is not what it claims).
#[rustfmt::skip]
pub const SAME_GUEST: &[(Hypervisor, Hypervisor, &str)] = &[
    (Hypervisor::Qemu, Hypervisor::Kvm, "QEMU is the VMM of most KVM guests: its DMI names QEMU, CPUID names KVM"),
    (Hypervisor::Qemu, Hypervisor::Xen, "qemu-xen is the device model of Xen HVM guests: QEMU's PCI IDs (1af4:1100 subsystem) beside Xen's platform device 5853:0001"),
];

/// What the naming steps read: the CPUID signatures, the other claims and the cloud.
struct Claims {
    /// Valid signatures of interfaces no one else emulates, in base order: (evidence index, hv).
    own: Vec<(usize, Hypervisor)>,
    /// Every valid known or unknown signature in base order.
    sigs: Vec<(usize, Hypervisor)>,
    /// Signatures of interfaces others emulate, in base order.
    emulated: Vec<(usize, Hypervisor)>,
    /// Other evidence naming a hypervisor, in gathering order.
    others: Vec<(usize, Hypervisor)>,
    /// The indices of `others` that name it through a product.
    via_product: Vec<usize>,
    cloud: Option<Cloud>,
}

impl Claims {
    fn signature(&self) -> Option<Hypervisor> {
        self.own.last().or(self.emulated.first()).map(|x| x.1)
    }
}

impl NameStep {
    /// The hypervisor this step names, if it names one.
    fn names(self, k: &Claims, kind: Kind) -> Option<Hypervisor> {
        match self {
            NameStep::PresentingProduct => {
                let h = k.signature()?;
                k.others.iter().map(|x| x.1).find(|p| {
                    PRESENTS
                        .iter()
                        .any(|r| r.product == *p && r.interfaces.contains(&h))
                })
            }
            NameStep::OwnSignature => k.own.last().map(|x| x.1),
            NameStep::CloudHypervisor => CLOUD_HYPERVISORS
                .iter()
                .find(|c| Some(c.0) == k.cloud && kind == Kind::VirtualMachine)
                .map(|c| c.1),
            NameStep::OtherEvidence => k
                .others
                .iter()
                .find(|x| x.1 != Hypervisor::Other && !k.via_product.contains(&x.0))
                .map(|x| x.1),
            NameStep::ProductEvidence => k
                .others
                .iter()
                .find(|x| x.1 != Hypervisor::Other && k.via_product.contains(&x.0))
                .map(|x| x.1),
            NameStep::EmulatedSignature => k.emulated.first().map(|x| x.1),
            NameStep::Unidentified => Some(Hypervisor::Other),
        }
    }
}

fn name_hypervisor(
    ev: &[Evidence],
    kind: Kind,
    conflicts: &mut Vec<Conflict>,
) -> (Option<Hypervisor>, Vec<Hypervisor>) {
    use crate::detect::evidence::SIGNATURES;
    let emulated = |h: Hypervisor| {
        SIGNATURES
            .iter()
            .any(|s| s.hypervisor == h && s.emulated_by_others)
    };
    // CPUID signatures in base order; the evidence list keeps them in that order.
    let sigs: Vec<(usize, Hypervisor)> = ev
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.rule == "cpuid.hypervisor-signature" && e.suggests == Suggests::VirtualMachine
        })
        .filter_map(|(i, e)| e.identifies.hypervisor.map(|h| (i, h)))
        .collect();
    let others: Vec<(usize, Hypervisor)> = ev
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
    let via_product = others
        .iter()
        .filter(|(i, _)| ev[*i].identifies.product.is_some())
        .map(|x| x.0)
        .collect();
    let claims = Claims {
        via_product,
        own: sigs.iter().copied().filter(|x| !emulated(x.1)).collect(),
        emulated: sigs.iter().copied().filter(|x| emulated(x.1)).collect(),
        sigs,
        others,
        cloud: ev.iter().find_map(|e| e.identifies.cloud),
    };
    let chosen = PRECEDENCE
        .iter()
        .find_map(|(step, _)| step.names(&claims, kind))
        .unwrap_or(Hypervisor::Other);
    let sigs = &claims.sigs;
    let other_claims = &claims.others;
    // A cloud whose VMs all run one hypervisor, while CPUID names another: the platform is not
    // what its DMI claims (e.g. GCE's strings on a QEMU/TCG guest).
    if let (Some(c), Some(h)) = (claims.cloud, claims.signature())
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
                row.1.name(),
                row.2,
                chosen.name()
            ),
            evidence: items,
        });
    }
    let mut presents = Vec::new();
    for (_, h) in sigs {
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
        let names: Vec<&str> = presents.iter().map(|h| h.name()).collect();
        conflicts.push(Conflict {
            summary: format!(
                "CPUID also carries the {} signature: an interface {} presents to its guests (on its own it would name that hypervisor)",
                names.join(", "),
                chosen.name()
            ),
            evidence: items,
        });
    }
    // Other evidence naming a different hypervisor is a conflict, unless the two name the same
    // guest from two layers.
    let compatible = |h: Hypervisor| {
        h == chosen
            || h == Hypervisor::Other
            || presents.contains(&h)
            || SAME_GUEST
                .iter()
                .any(|(dmi, cpuid, _)| *dmi == h && *cpuid == chosen)
    };
    let disagree: Vec<usize> = other_claims
        .iter()
        .filter(|(_, h)| !compatible(*h))
        .map(|x| x.0)
        .collect();
    if !disagree.is_empty() {
        let names: Vec<String> = disagree
            .iter()
            .map(|&i| {
                format!(
                    "{} ({})",
                    ev[i].source,
                    ev[i].identifies.hypervisor.map_or("?", Hypervisor::id)
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
    hv: Option<Hypervisor>,
    product: Option<Product>,
    cloud: Option<Cloud>,
    presents: &[Hypervisor],
    ev: &[Evidence],
    decided_by: &[usize],
) -> String {
    let cloud_name = cloud.map(Cloud::name);
    let mut s = match kind {
        Kind::BareMetal => "bare metal".to_string(),
        Kind::VirtualMachine => format!(
            "a virtual machine on {}",
            hv.map_or("an unidentified hypervisor", Hypervisor::name)
        ),
        Kind::HostUnderHypervisor => format!(
            "the host partition of {}",
            hv.map_or("a hypervisor", Hypervisor::name)
        ),
        Kind::Unknown => "unknown".to_string(),
    };
    if !presents.is_empty() {
        let p: Vec<&str> = presents.iter().map(|h| h.name()).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::capture::{Capture, CpuidRead, FileRead};
    use crate::parse::cpuid::CpuidDump;

    /// A capture with leaf 1 (hypervisor bit set), the given signatures at successive bases, and
    /// the given DMI fields.
    fn guest(sigs: &[&str], dmi: &[(&str, &str)]) -> Capture {
        let mut text = String::from(
            "CPU:\n   0x00000001 0x00: eax=0x000306a9 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n",
        );
        for (n, s) in sigs.iter().enumerate() {
            let b = s.as_bytes();
            let reg = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            let base = 0x4000_0000 + 0x100 * n as u32;
            text.push_str(&format!(
                "   0x{base:08x} 0x00: eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}\n",
                base + 1,
                reg(0),
                reg(4),
                reg(8)
            ));
        }
        let mut c = Capture {
            cpuid: CpuidRead::Dump(CpuidDump::parse(&text).unwrap()),
            ..Capture::default()
        };
        for (f, v) in dmi {
            c.files.insert(
                format!("/sys/class/dmi/id/{f}"),
                FileRead::Data {
                    bytes: format!("{v}\n").into_bytes(),
                    truncated: false,
                },
            );
        }
        c
    }

    fn named(c: &Capture) -> (Option<Hypervisor>, Vec<Hypervisor>) {
        let (v, _) = decide(&crate::detect::evidence::gather(c));
        assert_eq!(v.kind, Kind::VirtualMachine);
        (v.hypervisor, v.presents)
    }

    #[test]
    fn an_emulated_interface_yields_to_other_evidence() {
        // KVM with Hyper-V enlightenments and its own signature hidden: DMI names KVM.
        let c = guest(&["Microsoft Hv"], &[("product_name", "KVM")]);
        assert_eq!(named(&c), (Some(Hypervisor::Kvm), vec![Hypervisor::Hyperv]));
        // Nothing else names one: the interface names the hypervisor.
        assert_eq!(
            named(&guest(&["Microsoft Hv"], &[])),
            (Some(Hypervisor::Hyperv), vec![])
        );
    }

    #[test]
    fn an_own_signature_outranks_other_evidence() {
        let c = guest(
            &["Microsoft Hv", "KVMKVMKVM\0\0\0"],
            &[("sys_vendor", "Xen")],
        );
        assert_eq!(named(&c), (Some(Hypervisor::Kvm), vec![Hypervisor::Hyperv]));
    }

    #[test]
    fn products_that_present_kvm_or_hyperv_are_named() {
        for sig in ["KVMKVMKVM\0\0\0", "Microsoft Hv"] {
            for (vendor, want) in [
                ("innotek GmbH", Hypervisor::Virtualbox),
                (
                    "Parallels Software International Inc.",
                    Hypervisor::Parallels,
                ),
            ] {
                let c = guest(&[sig], &[("sys_vendor", vendor)]);
                let (h, presents) = named(&c);
                assert_eq!(h, Some(want), "{sig:?} {vendor}");
                assert_eq!(presents.len(), 1, "{sig:?} {vendor}");
            }
        }
        // A product that presents nothing of the sort does not displace the signature.
        let c = guest(&["KVMKVMKVM\0\0\0"], &[("sys_vendor", "VMware, Inc.")]);
        assert_eq!(named(&c).0, Some(Hypervisor::Kvm));
    }

    #[test]
    fn the_precedence_is_walked_in_order_and_ends_in_other() {
        assert_eq!(PRECEDENCE.last().map(|x| x.0), Some(NameStep::Unidentified));
        let steps: Vec<NameStep> = PRECEDENCE.iter().map(|x| x.0).collect();
        let pos = |s| steps.iter().position(|x| *x == s).unwrap();
        assert!(pos(NameStep::PresentingProduct) < pos(NameStep::OwnSignature));
        assert!(pos(NameStep::OtherEvidence) < pos(NameStep::EmulatedSignature));
        // No CPUID signature, no other claim: a VM from the hypervisor bit alone is `other`.
        assert_eq!(named(&guest(&[], &[])).0, Some(Hypervisor::Other));
    }

    /// An SMBIOS type 0 structure (24 bytes, no strings) with extension byte 2 = `ext2`.
    fn type0(ext2: u8) -> Vec<u8> {
        let mut b = vec![0u8; 0x18];
        b[1] = 0x18;
        b[0x13] = ext2;
        b.extend_from_slice(&[0, 0]);
        b
    }

    fn put(c: &mut Capture, path: &str, bytes: Vec<u8>) {
        c.files.insert(
            path.to_string(),
            FileRead::Data {
                bytes,
                truncated: false,
            },
        );
    }

    /// A physical desktop: CPUID leaf 1 with the hypervisor bit clear and VMX set.
    fn desktop(vendor: &str, vm_bit: bool) -> Capture {
        let text = "CPU:\n   0x00000001 0x00: eax=0x000906ea ebx=0x00100800 ecx=0x7ffafbbf edx=0xbfebfbff\n";
        let mut c = Capture {
            cpuid: CpuidRead::Dump(CpuidDump::parse(text).unwrap()),
            ..Capture::default()
        };
        put(
            &mut c,
            "/sys/class/dmi/id/sys_vendor",
            format!("{vendor}\n").into_bytes(),
        );
        put(
            &mut c,
            crate::input::plan::SMBIOS_TYPE0,
            type0(if vm_bit { 0x1c } else { 0x0c }),
        );
        c
    }

    #[test]
    fn a_vm_bit_against_a_clear_hypervisor_bit_and_a_hardware_vendor_is_unknown() {
        let (v, conflicts) = decide(&crate::detect::evidence::gather(&desktop("LENOVO", true)));
        assert_eq!(v.kind, Kind::Unknown, "{}", v.summary);
        assert!(!conflicts.is_empty());
        // Without the bit: bare metal. With a vendor that is not hardware-only: the bit decides.
        let (v, _) = decide(&crate::detect::evidence::gather(&desktop("LENOVO", false)));
        assert_eq!(v.kind, Kind::BareMetal);
        let (v, _) = decide(&crate::detect::evidence::gather(&desktop(
            "Some Integrator",
            true,
        )));
        assert_eq!(v.kind, Kind::VirtualMachine);
    }

    #[test]
    fn google_as_vendor_alone_is_not_compute_engine() {
        let mut c = desktop("Google", false);
        put(&mut c, "/sys/class/dmi/id/product_name", b"Eve\n".to_vec());
        put(
            &mut c,
            "/sys/class/dmi/id/bios_vendor",
            b"coreboot\n".to_vec(),
        );
        let (v, _) = decide(&crate::detect::evidence::gather(&c));
        assert_eq!(v.cloud, None);
        put(
            &mut c,
            "/sys/class/dmi/id/product_name",
            b"Google Compute Engine\n".to_vec(),
        );
        let (v, _) = decide(&crate::detect::evidence::gather(&c));
        assert_eq!(v.cloud, Some(Cloud::Gcp));
    }

    #[test]
    fn virtualbox_with_the_hosts_dmi_is_named_by_its_board_vendor() {
        let mut c = guest(
            &["KVMKVMKVM\0\0\0"],
            &[
                ("sys_vendor", "Dell Inc."),
                ("board_vendor", "Oracle Corporation"),
            ],
        );
        assert_eq!(named(&c).0, Some(Hypervisor::Virtualbox));
        // An Oracle server's board says Oracle under Oracle's own system vendor: nothing.
        put(
            &mut c,
            "/sys/class/dmi/id/sys_vendor",
            b"Oracle Corporation\n".to_vec(),
        );
        assert_eq!(named(&c).0, Some(Hypervisor::Kvm));
    }

    #[test]
    fn xen_is_named_by_the_chassis_vendor_and_qemu_is_its_device_model() {
        let mut c = Capture::default();
        put(
            &mut c,
            "/sys/class/dmi/id/chassis_vendor",
            b"Xen\n".to_vec(),
        );
        put(&mut c, "/sys/class/dmi/id/sys_vendor", b"QEMU\n".to_vec());
        let (v, conflicts) = decide(&crate::detect::evidence::gather(&c));
        assert_eq!(v.kind, Kind::VirtualMachine);
        assert_eq!(v.hypervisor, Some(Hypervisor::Xen), "{}", v.summary);
        assert_eq!(v.product, Some(Product::Qemu));
        assert!(conflicts.is_empty(), "{conflicts:?}");
    }

    fn exists(c: &mut Capture, paths: &[&str]) {
        for p in paths {
            c.exists
                .insert(p.to_string(), crate::input::capture::Existence::File);
        }
    }

    fn container_of(c: &Capture) -> (Option<Container>, usize) {
        let ev = crate::detect::evidence::gather(c);
        let mut conflicts = Vec::new();
        let v = decide_container(&ev, &mut conflicts);
        assert_eq!(v.container, v.runtime.is_some());
        assert_eq!(v.systemd_id, v.runtime.map_or("none", Container::id));
        (v.runtime, conflicts.len())
    }

    #[test]
    fn containers_are_named_in_systemds_order() {
        let mut c = Capture::default();
        assert_eq!(container_of(&c), (None, 0));
        exists(&mut c, &["/.dockerenv"]);
        assert_eq!(container_of(&c), (Some(Container::Docker), 0));
        // Podman's file is checked before Docker's.
        exists(&mut c, &["/run/.containerenv"]);
        assert_eq!(container_of(&c).0, Some(Container::Podman));
        // A manager's own name outranks both files, which are a conflict when they disagree.
        put(
            &mut c,
            "/run/systemd/container",
            b"systemd-nspawn\n".to_vec(),
        );
        assert_eq!(container_of(&c), (Some(Container::SystemdNspawn), 1));
        // `oci` is not a runtime: the files name it.
        put(&mut c, "/run/systemd/container", b"oci\n".to_vec());
        assert_eq!(container_of(&c).0, Some(Container::Podman));
        // An unknown name is container-other.
        put(
            &mut c,
            "/run/host/container-manager",
            b"bubblewrap\n".to_vec(),
        );
        assert_eq!(container_of(&c).0, Some(Container::Other));
    }

    #[test]
    fn as_pid1_its_own_container_variable_decides_as_systemd_reads_it() {
        let own = crate::input::plan::PID1_SELF;
        let mut c = Capture::default();
        exists(&mut c, &["/.dockerenv", "/run/.containerenv"]);
        put(&mut c, "/run/systemd/container", b"lxc\n".to_vec());
        // Not PID 1 (nothing at the path): /run/systemd/container names it, the file conflicts.
        assert_eq!(container_of(&c), (Some(Container::Lxc), 1));
        // PID 1 with an empty value: none, whatever the files say, and no conflict.
        put(&mut c, own, b"container=\0".to_vec());
        assert_eq!(container_of(&c), (None, 0));
        let ev = evidence::gather(&c);
        let v = decide_container(&ev, &mut Vec::new());
        assert_eq!(ev[v.decided_by[0]].rule, "container.self-as-pid1");
        assert!(ev[v.decided_by[0]].finding.contains("container= is empty"));
        assert!(
            v.summary
                .ends_with("(2 later container evidence not weighed)"),
            "{}",
            v.summary
        );
        // PID 1 with the variable unset: /run/systemd/container is not read, the files decide
        // (Podman's first; Docker's then conflicts).
        put(&mut c, own, Vec::new());
        assert_eq!(container_of(&c), (Some(Container::Podman), 1));
        // PID 1 with a name: that name, compared exactly.
        put(&mut c, own, b"container=podman\0".to_vec());
        assert_eq!(container_of(&c), (Some(Container::Podman), 1));
        put(&mut c, own, b"container=Podman\0".to_vec());
        assert_eq!(container_of(&c).0, Some(Container::Other));
    }

    #[test]
    fn names_are_compared_exactly_and_an_empty_one_is_container_other() {
        let mut c = Capture::default();
        for (file, want) in [
            (&b"\n"[..], Some(Container::Other)),
            (b" docker\n", Some(Container::Other)),
            (b"docker \n", Some(Container::Other)),
            (b"docker\r\n", Some(Container::Docker)),
            (b"podman\rdocker", Some(Container::Podman)),
            (b"lxc\0x", Some(Container::Lxc)),
            (b"", None),
        ] {
            put(&mut c, "/run/systemd/container", file.to_vec());
            assert_eq!(
                container_of(&c).0,
                want,
                "{:?}",
                String::from_utf8_lossy(file)
            );
        }
        c.files.clear();
        put(
            &mut c,
            crate::detect::evidence::PID1_ENVIRON,
            b"container=\0".to_vec(),
        );
        assert_eq!(container_of(&c).0, Some(Container::Other));
        put(
            &mut c,
            crate::detect::evidence::PID1_ENVIRON,
            b"PATH=/bin\0".to_vec(),
        );
        assert_eq!(container_of(&c).0, None);
        // `oci` names no runtime: the runtime files do, Podman's first, else container-other
        // (systemd's detect_container_files() after `translate_name`).
        let oci = b"container=oci\0".to_vec();
        put(&mut c, crate::detect::evidence::PID1_ENVIRON, oci);
        assert_eq!(container_of(&c).0, Some(Container::Other));
        exists(&mut c, &["/.dockerenv"]);
        assert_eq!(container_of(&c).0, Some(Container::Docker));
        exists(&mut c, &["/run/.containerenv"]);
        assert_eq!(container_of(&c).0, Some(Container::Podman));
    }

    #[test]
    fn pid1s_environment_names_the_container_and_nothing_else_is_kept() {
        let mut c = Capture::default();
        let env = b"HOME=/root\0SECRET=hunter2\0container=lxc\0PATH=/bin\0".to_vec();
        let kept = crate::input::plan::redact(
            crate::detect::evidence::PID1_ENVIRON,
            FileRead::Data {
                bytes: env,
                truncated: false,
            },
        );
        assert_eq!(kept.bytes(), Some(&b"container=lxc\0"[..]));
        c.files
            .insert(crate::detect::evidence::PID1_ENVIRON.into(), kept);
        assert_eq!(container_of(&c).0, Some(Container::Lxc));
        // Without the entry nothing is kept at all.
        let none = crate::input::plan::redact(
            crate::detect::evidence::PID1_ENVIRON,
            FileRead::Data {
                bytes: b"A=b\0".to_vec(),
                truncated: false,
            },
        );
        assert_eq!(none.bytes(), Some(&b""[..]));
    }

    #[test]
    fn proot_by_the_tracer_name_case_sensitive_as_systemd() {
        let tracer = crate::input::plan::TRACER_COMM;
        let mut c = Capture::default();
        put(&mut c, tracer, b"proot\n".to_vec());
        assert_eq!(container_of(&c).0, Some(Container::Proot));
        // Termux's build names its binary proot too; systemd's startswith() takes any suffix.
        put(&mut c, tracer, b"proot-userland\n".to_vec());
        assert_eq!(container_of(&c).0, Some(Container::Proot));
        for other in [&b"strace\n"[..], b"gdb\n", b"PRoot\n", b"", b"xproot\n"] {
            put(&mut c, tracer, other.to_vec());
            assert_eq!(
                container_of(&c).0,
                None,
                "{:?}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn wsl_openvz_and_cgroup_namespaces() {
        let mut c = Capture::default();
        put(
            &mut c,
            "/proc/sys/kernel/osrelease",
            b"5.15.153.1-microsoft-standard-WSL2\n".to_vec(),
        );
        assert_eq!(container_of(&c).0, Some(Container::Wsl));
        // Case matters, as with systemd's strstr: Microsoft's cloud kernels say "microsoft".
        put(
            &mut c,
            "/proc/sys/kernel/osrelease",
            b"6.6.0-1-microsoft-cloud\n".to_vec(),
        );
        assert_eq!(container_of(&c).0, None);
        put(
            &mut c,
            "/proc/sys/kernel/osrelease",
            b"4.4.0-19041-Microsoft\n".to_vec(),
        );
        assert_eq!(container_of(&c).0, Some(Container::Wsl));

        let mut c = Capture::default();
        exists(&mut c, &["/proc/vz", "/proc/bc"]);
        assert_eq!(container_of(&c).0, None, "the OpenVZ host has both");
        c.exists
            .insert("/proc/bc".into(), crate::input::capture::Existence::Absent);
        assert_eq!(container_of(&c).0, Some(Container::Openvz));

        let mut c = Capture::default();
        exists(
            &mut c,
            &[
                "/sys/fs/cgroup/cgroup.events",
                "/sys/kernel/cgroup/features",
            ],
        );
        assert_eq!(container_of(&c).0, None, "the root cgroup");
        exists(&mut c, &["/sys/fs/cgroup/cgroup.type"]);
        assert_eq!(container_of(&c).0, Some(Container::Other));

        // cgroup v1 (systemd 252's running_in_cgroupns() v1 branch): only the root cgroup of
        // the systemd hierarchy has release_agent.
        let mut c = Capture::default();
        exists(
            &mut c,
            &[
                "/sys/fs/cgroup/systemd/cgroup.procs",
                "/sys/fs/cgroup/systemd/release_agent",
            ],
        );
        assert_eq!(container_of(&c).0, None, "the v1 root cgroup");
        c.exists.insert(
            "/sys/fs/cgroup/systemd/release_agent".into(),
            crate::input::capture::Existence::Absent,
        );
        assert_eq!(container_of(&c).0, Some(Container::Other));
        // No systemd hierarchy mounted: nothing to say.
        c.exists.insert(
            "/sys/fs/cgroup/systemd/cgroup.procs".into(),
            crate::input::capture::Existence::Absent,
        );
        assert_eq!(container_of(&c).0, None);
    }

    #[test]
    fn user_namespaces_as_systemd_reads_the_maps() {
        let mut c = Capture::default();
        assert_eq!(
            private_users(&c),
            Some(false),
            "no maps: no user namespaces"
        );
        put(
            &mut c,
            "/proc/self/uid_map",
            b"         0          0 4294967295\n".to_vec(),
        );
        put(
            &mut c,
            "/proc/self/gid_map",
            b"         0          0 4294967295\n".to_vec(),
        );
        put(&mut c, "/proc/self/setgroups", b"allow\n".to_vec());
        assert_eq!(private_users(&c), Some(false));
        put(&mut c, "/proc/self/setgroups", b"deny\n".to_vec());
        assert_eq!(private_users(&c), Some(true));
        put(&mut c, "/proc/self/setgroups", b"allow\n".to_vec());
        put(
            &mut c,
            "/proc/self/uid_map",
            b"         0       1000          1\n".to_vec(),
        );
        assert_eq!(private_users(&c), Some(true));
        put(&mut c, "/proc/self/uid_map", Vec::new());
        assert_eq!(
            private_users(&c),
            Some(true),
            "an empty map: a namespace not set up yet"
        );
        c.files.insert(
            "/proc/self/uid_map".into(),
            FileRead::Unreadable("permission denied".into()),
        );
        assert_eq!(private_users(&c), None);
    }
}

/// The detection rows added for 2026 (issue 14 item 7): what systemd and virt-what gained since
/// 2024, and signatures neither has; each test names the row's source.
#[cfg(test)]
mod rows_2026 {
    use super::*;
    use crate::detect::evidence::gather;
    use crate::input::capture::{Capture, CpuidRead, FileRead};
    use crate::parse::cpuid::CpuidDump;

    fn file(c: &mut Capture, path: &str, text: &[u8]) {
        c.files.insert(
            path.into(),
            FileRead::Data {
                bytes: text.to_vec(),
                truncated: false,
            },
        );
    }

    fn dmi(fields: &[(&str, &str)]) -> Capture {
        let mut c = Capture::default();
        for (f, v) in fields {
            file(
                &mut c,
                &format!("/sys/class/dmi/id/{f}"),
                format!("{v}\n").as_bytes(),
            );
        }
        c
    }

    fn verdict(c: &Capture) -> (Verdict, Vec<Evidence>) {
        let ev = gather(c);
        (decide(&ev).0, ev)
    }

    /// systemd PR #36655: a device tree whose machine is `linux,dummy-virt` is a VM whose VMM it
    /// does not name (vm-other), as crosvm, kvmtool and Firecracker use it too.
    #[test]
    fn linux_dummy_virt_is_a_vm_of_no_named_vmm() {
        let mut c = Capture::default();
        file(
            &mut c,
            "/proc/device-tree/compatible",
            b"linux,dummy-virt\0",
        );
        let (v, ev) = verdict(&c);
        assert_eq!(v.kind, Kind::VirtualMachine);
        assert_eq!(v.hypervisor, Some(Hypervisor::Other));
        assert_eq!(crate::detect::systemd::id(&v), "vm-other");
        assert_eq!(ev[0].rule, "dt.dummy-virt");
        // QEMU's own fw-cfg node still names QEMU.
        c.dirs.insert(
            "/proc/device-tree".into(),
            crate::input::capture::Listing::Entries(vec![crate::input::capture::DirEntry {
                name: "fw-cfg@9020000".into(),
                link: None,
            }]),
        );
        assert_eq!(verdict(&c).0.hypervisor, Some(Hypervisor::Qemu));
    }

    /// systemd PR #43347: product_name "Alibaba Cloud ECS" is a KVM VM; sys_vendor
    /// "Alibaba Cloud" alone decides nothing (ECS Bare Metal shares it).
    #[test]
    fn alibaba_ecs_by_product_name_not_by_vendor() {
        let (v, _) = verdict(&dmi(&[
            ("sys_vendor", "Alibaba Cloud"),
            ("product_name", "Alibaba Cloud ECS"),
        ]));
        assert_eq!(
            (v.kind, v.hypervisor, v.cloud),
            (
                Kind::VirtualMachine,
                Some(Hypervisor::Kvm),
                Some(Cloud::Alibaba)
            )
        );
        assert_eq!(crate::detect::systemd::id(&v), "kvm");
        let (v, _) = verdict(&dmi(&[("sys_vendor", "Alibaba Cloud")]));
        assert_eq!(
            v.kind,
            Kind::Unknown,
            "the vendor alone is shared with bare metal"
        );
    }

    /// systemd PR #38446: RISC-V with ACPI has no device tree, and DMI says QEMU ("QEMU Virtual
    /// Machine" in the PR's debug log); vcap reads DMI on every architecture.
    #[test]
    fn risc_v_with_acpi_is_named_from_dmi() {
        let mut c = dmi(&[
            ("sys_vendor", "QEMU"),
            ("product_name", "QEMU Virtual Machine"),
        ]);
        file(
            &mut c,
            "/proc/cpuinfo",
            b"processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdch_zicsr\nmmu\t\t: sv57\n",
        );
        let (v, _) = verdict(&c);
        assert_eq!(
            (v.kind, v.hypervisor),
            (Kind::VirtualMachine, Some(Hypervisor::Qemu))
        );
    }

    /// virt-what 1.25 (tests/hyperv-arm): Hyper-V on arm64 has no CPUID; DMI "Microsoft
    /// Corporation" / "Virtual Machine" / version "Hyper-V" names it.
    #[test]
    fn hyperv_on_arm64_is_named_from_dmi() {
        let (v, _) = verdict(&dmi(&[
            ("sys_vendor", "Microsoft Corporation"),
            ("product_name", "Virtual Machine"),
            ("product_version", "Hyper-V UEFI Release v4.1"),
        ]));
        assert_eq!(
            (v.kind, v.hypervisor),
            (Kind::VirtualMachine, Some(Hypervisor::Hyperv))
        );
    }

    /// A signature neither tool has: VirtualBox's own CPUID interface (`VBoxVBoxVBox`, with a
    /// paravirtualisation provider other than "Legacy"; VirtualBox GIMMinimal.cpp,
    /// hfiref0x/VBoxHardenedLoader issue 1), NetBSD's NVMM and Intel's HAXM (their own
    /// sources, in `SIGNATURES`).
    #[test]
    fn signatures_neither_systemd_nor_virt_what_reads() {
        for (sig, want) in [
            ("VBoxVBoxVBox", Hypervisor::Virtualbox),
            ("NVMMNVMMNVMM", Hypervisor::Nvmm),
            ("HAXMHAXMHAXM", Hypervisor::Haxm),
        ] {
            let b = sig.as_bytes();
            let reg = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            let text = format!(
                "CPU:\n   0x00000001 0x00: eax=0x000306a9 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n   \
                 0x40000000 0x00: eax=0x40000001 ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}\n",
                reg(0),
                reg(4),
                reg(8)
            );
            let c = Capture {
                cpuid: CpuidRead::Dump(CpuidDump::parse(&text).unwrap()),
                ..Capture::default()
            };
            assert_eq!(verdict(&c).0.hypervisor, Some(want), "{sig}");
        }
    }

    /// `/dev/mshv` (microsoft/lisa PR #4620: proof of an MSHV-capable partition when nested
    /// Hyper-V hides VT-x/AMD-V): this machine can host VMs, which says nothing of where it runs.
    #[test]
    fn dev_mshv_says_the_partition_can_host_vms() {
        let mut c = Capture::default();
        c.exists
            .insert("/dev/mshv".into(), crate::input::capture::Existence::File);
        let r = crate::report::build(&c);
        assert!(r.host.can_host_vms);
        assert_eq!(r.verdict.kind, Kind::Unknown);
    }
}
