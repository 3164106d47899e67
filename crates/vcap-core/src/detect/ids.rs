//! The names vcap can give: hypervisors, virtual platform products and clouds, as enums. Each
//! enum has one table row per value (id, display name, and for hypervisors the
//! systemd-detect-virt id), so a misspelt name does not compile and `vcap rules` can list them.
//!
//! ```
//! use vcap_core::detect::ids::{Cloud, Hypervisor};
//! assert_eq!(Hypervisor::Hyperv.id(), "hyperv");
//! assert_eq!(Hypervisor::Hyperv.systemd_id(), "microsoft");
//! assert_eq!(Hypervisor::from_id("kvm"), Some(Hypervisor::Kvm));
//! assert_eq!(Cloud::Gcp.name(), "Google Cloud (Compute Engine)");
//! ```

use serde::{Serialize, Serializer};

/// Declares an enum whose every value is one row: `Variant => (id, display name)`.
macro_rules! id_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => ($id:literal, $display:literal) ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in table order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The stable id (the JSON spelling).
            pub const fn id(self) -> &'static str {
                match self { $( $name::$variant => $id, )* }
            }

            /// The display name.
            pub const fn name(self) -> &'static str {
                match self { $( $name::$variant => $display, )* }
            }

            /// The value with this id.
            pub fn from_id(id: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.id() == id)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "enum": [ $( $id, )* ],
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.id())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

id_enum! {
    /// A hypervisor vcap can name.
    Hypervisor {
        /// Linux KVM (and kvmtool, Nitro, …).
        Kvm => ("kvm", "KVM"),
        /// QEMU's own emulation (TCG), or QEMU as the platform when no accelerator is named.
        Qemu => ("qemu", "QEMU"),
        /// Xen.
        Xen => ("xen", "Xen"),
        /// Microsoft Hyper-V.
        Hyperv => ("hyperv", "Microsoft Hyper-V"),
        /// VMware.
        Vmware => ("vmware", "VMware"),
        /// Oracle VirtualBox.
        Virtualbox => ("virtualbox", "Oracle VirtualBox"),
        /// Parallels.
        Parallels => ("parallels", "Parallels"),
        /// FreeBSD bhyve.
        Bhyve => ("bhyve", "bhyve"),
        /// QNX Hypervisor.
        Qnx => ("qnx", "QNX Hypervisor"),
        /// Project ACRN.
        Acrn => ("acrn", "ACRN"),
        /// SRE (Lockheed Martin).
        Sre => ("sre", "SRE (Lockheed Martin)"),
        /// Apple Virtualization.framework.
        Apple => ("apple", "Apple Virtualization"),
        /// User Mode Linux.
        Uml => ("uml", "User Mode Linux"),
        /// IBM z/VM.
        Zvm => ("zvm", "IBM z/VM"),
        /// IBM PowerVM.
        Powervm => ("powervm", "IBM PowerVM"),
        /// OpenBSD vmm.
        OpenbsdVmm => ("openbsd-vmm", "OpenBSD vmm"),
        /// Jailhouse.
        Jailhouse => ("jailhouse", "Jailhouse"),
        /// NetBSD NVMM.
        Nvmm => ("nvmm", "NetBSD NVMM"),
        /// Intel HAXM.
        Haxm => ("haxm", "Intel HAXM"),
        /// A hypervisor vcap sees but cannot name.
        Other => ("other", "an unidentified hypervisor"),
    }
}

impl Hypervisor {
    /// The systemd-detect-virt id (`vm-other` for those systemd does not name).
    pub const fn systemd_id(self) -> &'static str {
        match self {
            Hypervisor::Hyperv => "microsoft",
            Hypervisor::Virtualbox => "oracle",
            Hypervisor::OpenbsdVmm
            | Hypervisor::Jailhouse
            | Hypervisor::Nvmm
            | Hypervisor::Haxm
            | Hypervisor::Other => "vm-other",
            h => h.id(),
        }
    }
}

id_enum! {
    /// A virtual platform product: the VMM or management stack whose tables or devices a guest sees.
    Product {
        /// QEMU.
        Qemu => ("QEMU", "QEMU"),
        /// Oracle VirtualBox.
        Virtualbox => ("VirtualBox", "VirtualBox"),
        /// VMware.
        Vmware => ("VMware", "VMware"),
        /// Bochs.
        Bochs => ("Bochs", "Bochs"),
        /// Parallels.
        Parallels => ("Parallels", "Parallels"),
        /// OpenStack Nova.
        Openstack => ("OpenStack", "OpenStack"),
        /// KubeVirt.
        Kubevirt => ("KubeVirt", "KubeVirt"),
    }
}

impl Product {
    /// The systemd-detect-virt id a product names when no hypervisor is known.
    pub const fn systemd_id(self) -> Option<&'static str> {
        match self {
            Product::Qemu => Some("qemu"),
            Product::Bochs => Some("bochs"),
            Product::Virtualbox => Some("oracle"),
            Product::Vmware => Some("vmware"),
            Product::Parallels => Some("parallels"),
            Product::Openstack | Product::Kubevirt => None,
        }
    }

    /// The hypervisor this product is, when it is one (VirtualBox, VMware, Parallels, QEMU).
    pub const fn hypervisor(self) -> Option<Hypervisor> {
        match self {
            Product::Qemu => Some(Hypervisor::Qemu),
            Product::Virtualbox => Some(Hypervisor::Virtualbox),
            Product::Vmware => Some(Hypervisor::Vmware),
            Product::Parallels => Some(Hypervisor::Parallels),
            Product::Bochs | Product::Openstack | Product::Kubevirt => None,
        }
    }
}

id_enum! {
    /// A cloud vcap can name (its VMs and its bare-metal machines alike).
    Cloud {
        /// Amazon Web Services.
        Aws => ("aws", "Amazon Web Services (EC2)"),
        /// Google Cloud.
        Gcp => ("gcp", "Google Cloud (Compute Engine)"),
        /// Microsoft Azure.
        Azure => ("azure", "Microsoft Azure"),
        /// Oracle Cloud Infrastructure.
        OracleCloud => ("oracle-cloud", "Oracle Cloud Infrastructure"),
        /// Alibaba Cloud.
        Alibaba => ("alibaba", "Alibaba Cloud (ECS)"),
        /// DigitalOcean.
        Digitalocean => ("digitalocean", "DigitalOcean"),
    }
}

id_enum! {
    /// A container runtime, with systemd-detect-virt's ids (`container-other` for one that does
    /// not say which it is).
    Container {
        /// systemd-nspawn.
        SystemdNspawn => ("systemd-nspawn", "systemd-nspawn"),
        /// LXC through libvirt.
        LxcLibvirt => ("lxc-libvirt", "libvirt LXC"),
        /// LXC.
        Lxc => ("lxc", "LXC"),
        /// OpenVZ / Virtuozzo.
        Openvz => ("openvz", "OpenVZ"),
        /// Docker.
        Docker => ("docker", "Docker"),
        /// Podman.
        Podman => ("podman", "Podman"),
        /// rkt.
        Rkt => ("rkt", "rkt"),
        /// Windows Subsystem for Linux.
        Wsl => ("wsl", "Windows Subsystem for Linux"),
        /// PRoot.
        Proot => ("proot", "PRoot"),
        /// Alibaba PouchContainer.
        Pouch => ("pouch", "PouchContainer"),
        /// A container whose runtime does not name itself.
        Other => ("container-other", "an unidentified container runtime"),
    }
}

impl Container {
    /// The runtime a `container=` value names, as systemd's `container_from_string()` reads it:
    /// its own names; anything else is `container-other` (`oci` is decided by the caller).
    pub fn from_name(name: &str) -> Container {
        match Container::from_id(name) {
            Some(Container::Openvz | Container::Other) | None => Container::Other,
            Some(c) => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        for (i, h) in Hypervisor::ALL.iter().enumerate() {
            assert_eq!(Hypervisor::from_id(h.id()), Some(*h));
            assert!(Hypervisor::ALL[..i].iter().all(|o| o.id() != h.id()));
            assert_eq!(serde_json::to_string(h).unwrap(), format!("\"{}\"", h.id()));
        }
        for p in Product::ALL {
            assert_eq!(Product::from_id(p.id()), Some(*p));
        }
        for c in Cloud::ALL {
            assert_eq!(Cloud::from_id(c.id()), Some(*c));
        }
        assert_eq!(Hypervisor::from_id("KVM"), None);
        for c in Container::ALL {
            assert_eq!(Container::from_id(c.id()), Some(*c));
            assert!(
                crate::detect::systemd::CONTAINER_IDS.contains(&c.id()),
                "{c:?}"
            );
        }
        // systemd's container_table has no openvz or container-other: those are not names a
        // container manager gives itself.
        assert_eq!(Container::from_name("openvz"), Container::Other);
        assert_eq!(Container::from_name("lxc-libvirt"), Container::LxcLibvirt);
        assert_eq!(Container::from_name("Docker"), Container::Other);
    }

    #[test]
    fn every_systemd_id_is_one_systemd_knows() {
        for h in Hypervisor::ALL {
            assert!(
                crate::detect::systemd::IDS.contains(&h.systemd_id()),
                "{h:?}"
            );
        }
        for p in Product::ALL.iter().filter_map(|p| p.systemd_id()) {
            assert!(crate::detect::systemd::IDS.contains(&p), "{p}");
        }
    }
}
