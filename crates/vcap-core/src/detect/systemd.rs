//! The systemd-detect-virt identifier for a verdict, with vcap's corrections where systemd is known
//! to be wrong (EC2 and GCE bare metal, Oracle servers, Surface laptops, KVM with Hyper-V
//! enlightenments, Hyper-V root partitions): those follow from the verdict, not from a special case.

use crate::detect::ids::{Cloud, Hypervisor};
use crate::detect::{Kind, Verdict};

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

/// Every container identifier (`systemd-detect-virt --container --list`'s part of `--list`), in
/// systemd's order (src/basic/virt.c virtualization_table).
pub const CONTAINER_IDS: &[&str] = &[
    "systemd-nspawn",
    "lxc-libvirt",
    "lxc",
    "openvz",
    "docker",
    "podman",
    "rkt",
    "wsl",
    "proot",
    "pouch",
    "container-other",
];

/// Clouds with their own systemd id when they run KVM (systemd's "Amazon EC2 Nitro", "Google
/// Compute Engine" entries); other hypervisors keep their id (EC2's Xen era reports `xen`).
pub const CLOUD_IDS: &[(Cloud, &str)] = &[(Cloud::Aws, "amazon"), (Cloud::Gcp, "google")];

/// The identifier for a verdict. Anything but a VM is `none`, as `systemd-detect-virt --vm`
/// reports for bare metal and for a non-nested Xen dom0. The hypervisor names it
/// ([`Hypervisor::systemd_id`]), a product when no hypervisor is known
/// ([`crate::detect::ids::Product::systemd_id`]).
pub fn id(v: &Verdict) -> &'static str {
    if v.kind != Kind::VirtualMachine {
        return "none";
    }
    if let Some(&(_, id)) = CLOUD_IDS.iter().find(|(c, _)| {
        Some(*c) == v.cloud
            && matches!(
                v.hypervisor,
                Some(Hypervisor::Kvm) | Some(Hypervisor::Other) | None
            )
    }) {
        return id;
    }
    if let Some(h) = v.hypervisor.filter(|h| *h != Hypervisor::Other) {
        return h.systemd_id();
    }
    v.product.and_then(|p| p.systemd_id()).unwrap_or("vm-other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_id_is_a_systemd_id() {
        for (_, id) in CLOUD_IDS {
            assert!(IDS.contains(id));
        }
    }
}
