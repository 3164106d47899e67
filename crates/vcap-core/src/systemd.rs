//! The systemd-detect-virt identifier for a verdict, with vcap's corrections where systemd is known
//! to be wrong (EC2 and GCE bare metal, Oracle servers, Surface laptops, KVM with Hyper-V
//! enlightenments, Hyper-V root partitions): those follow from the verdict, not from a special case.

use crate::detect::{Kind, Verdict};
use crate::evidence::HYPERVISORS;

/// Every identifier `vcap detect` can print (`systemd-detect-virt --vm`'s list).
pub const IDS: &[&str] = &[
    "none",
    "kvm",
    "amazon",
    "qemu",
    "bochs",
    "xen",
    "uml",
    "vmware",
    "oracle",
    "microsoft",
    "zvm",
    "parallels",
    "bhyve",
    "qnx",
    "acrn",
    "powervm",
    "apple",
    "sre",
    "google",
    "vm-other",
];

/// Clouds with their own systemd id when they run KVM (systemd's "Amazon EC2 Nitro", "Google
/// Compute Engine" entries); other hypervisors keep their id (EC2's Xen era reports `xen`).
pub const CLOUD_IDS: &[(&str, &str)] = &[("aws", "amazon"), ("gcp", "google")];

/// Products that name the systemd id when no hypervisor is known.
pub const PRODUCT_IDS: &[(&str, &str)] = &[
    ("QEMU", "qemu"),
    ("Bochs", "bochs"),
    ("VirtualBox", "oracle"),
    ("VMware", "vmware"),
    ("Parallels", "parallels"),
];

/// The identifier for a verdict. Anything but a VM is `none`, as `systemd-detect-virt --vm`
/// reports for bare metal and for a non-nested Xen dom0.
pub fn id(v: &Verdict) -> &'static str {
    if v.kind != Kind::VirtualMachine {
        return "none";
    }
    if let Some(&(_, id)) = CLOUD_IDS.iter().find(|(c, _)| {
        Some(*c) == v.cloud && matches!(v.hypervisor, Some("kvm") | Some("other") | None)
    }) {
        return id;
    }
    if let Some(h) = v.hypervisor.filter(|h| *h != "other") {
        return HYPERVISORS
            .iter()
            .find(|x| x.0 == h)
            .map_or("vm-other", |x| x.2);
    }
    v.product
        .and_then(|p| PRODUCT_IDS.iter().find(|x| x.0 == p))
        .map_or("vm-other", |x| x.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::HYPERVISORS;

    #[test]
    fn every_mapped_id_is_a_systemd_id() {
        for h in HYPERVISORS {
            assert!(IDS.contains(&h.2), "{h:?}");
        }
        for (_, id) in CLOUD_IDS.iter().chain(PRODUCT_IDS) {
            assert!(IDS.contains(id));
        }
    }
}
