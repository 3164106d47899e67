//! DMI identity strings and vendor-name normalisation. Firmware spells one company a dozen ways
//! ("Dell Inc.", "Dell Computer Corporation", …); the table maps each spelling to one name and says
//! what kind of vendor it is, because that decides how much the name can tell.

/// What kind of company a DMI vendor string names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorKind {
    /// Makes physical servers, desktops or laptops only.
    Hardware,
    /// Sells both bare-metal machines and VMs under the same name (clouds, Oracle, Microsoft):
    /// the name alone decides nothing (seed 000; detection.md §3).
    Shared,
    /// A virtualisation product's name.
    Virtual,
}

/// One row of the vendor table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorRow {
    /// Lower-case prefixes of the DMI string that name this vendor.
    pub spellings: &'static [&'static str],
    /// The canonical name.
    pub name: &'static str,
    /// What kind of vendor it is.
    pub kind: VendorKind,
    /// Where the spellings were seen.
    pub source: &'static str,
}

const fn v(
    spellings: &'static [&'static str],
    name: &'static str,
    kind: VendorKind,
    source: &'static str,
) -> VendorRow {
    VendorRow {
        spellings,
        name,
        kind,
        source,
    }
}

use VendorKind::{Hardware, Shared, Virtual};

/// The vendor table. Matching is on a lower-cased, whitespace-trimmed prefix; the longest match wins.
#[rustfmt::skip]
pub const VENDORS: &[VendorRow] = &[
    v(&[ "dell inc", "dell computer corporation", "dell computer", "dell", ], "Dell", Hardware, "seed 000 (\"Dell/Dell Inc./Dell Inc/Dell Computer Corporation/Dell Computer\"); Linux drivers/platform/x86/dell/*.c DMI_MATCH tables"),
    v(&["hewlett packard enterprise", "hewlett-packard", "hpe", "hp"], "HPE", Hardware, "Linux drivers/watchdog/hpwdt.c, drivers/platform/x86/hp/*.c DMI tables"),
    v(&["lenovo"], "Lenovo", Hardware, "Linux drivers/platform/x86/lenovo/*.c DMI_SYS_VENDOR \"LENOVO\""),
    v(&["supermicro", "super micro computer"], "Supermicro", Hardware, "dmidecode dumps of X11/X12 boards (\"Supermicro\")"),
    v(&["intel corporation", "intel(r) client systems", "intel"], "Intel", Hardware, "Linux DMI quirk tables"),
    v(&["asustek computer", "asus"], "ASUS", Hardware, "Linux drivers/platform/x86/asus-*.c"),
    v(&["gigabyte technology", "gigabyte"], "Gigabyte", Hardware, "Linux drivers/platform/x86/gigabyte-wmi.c"),
    v(&["cisco systems"], "Cisco", Hardware, "UCS dmidecode dumps"),
    v(&["fujitsu"], "Fujitsu", Hardware, "Linux drivers/platform/x86/fujitsu-*.c"),
    v(&["ibm"], "IBM", Hardware, "System x dmidecode dumps"),
    v(&["huawei"], "Huawei", Hardware, "Linux drivers/platform/x86/huawei-wmi.c"),
    v(&["inspur"], "Inspur", Hardware, "dmidecode dumps"),
    v(&["quanta"], "Quanta", Hardware, "dmidecode dumps"),
    v(&["ampere computing"], "Ampere", Hardware, "Altra dmidecode dumps"),
    v(&["framework"], "Framework", Hardware, "Linux drivers/platform/chrome DMI tables"),
    v(&["acer"], "Acer", Hardware, "Linux drivers/platform/x86/acer-wmi.c"),
    v(&["micro-star international"], "MSI", Hardware, "Linux drivers/platform/x86/msi-*.c"),
    v(&["amazon ec2", "amazon"], "Amazon EC2", Shared, "systemd virt.c dmi_vendor_table \"Amazon EC2\"; EC2 metal and VMs share it (detection.md §1.4)"),
    v(&["google"], "Google", Shared, "systemd virt.c \"Google Compute Engine\"; GCE metal shares it (systemd PR #38125)"),
    v(&["oracle corporation"], "Oracle", Shared, "systemd issue #21100 (Oracle X3-2L servers) and PR #31871 (VirtualBox board_vendor)"),
    v(&["microsoft corporation", "microsoft"], "Microsoft", Shared, "systemd issues #21468 (Surface) and #21816 (Hyper-V)"),
    v(&["alibaba cloud"], "Alibaba Cloud", Shared, "virt-what (Alibaba ECS, VMs and bare metal)"),
    v(&["red hat"], "Red Hat", Shared, "systemd issue #5318 (RHEV sets vendor Red Hat)"),
    v(&["nutanix"], "Nutanix", Shared, "uyuni issue #2112 (AHV)"),
    v(&["apple inc"], "Apple", Shared, "Macs and Apple Virtualization share it (systemd PR #24419)"),
    v(&["qemu"], "QEMU", Virtual, "QEMU hw/smbios/smbios.c default manufacturer"),
    v(&["innotek gmbh"], "VirtualBox", Virtual, "systemd virt.c \"innotek GmbH\""),
    v(&["vmware"], "VMware", Virtual, "systemd virt.c \"VMware\", \"VMW\""),
    v(&["xen"], "Xen", Virtual, "systemd virt.c \"Xen\""),
    v(&["bochs"], "Bochs", Virtual, "systemd virt.c \"Bochs\""),
    v(&["parallels"], "Parallels", Virtual, "systemd virt.c \"Parallels\""),
    v(&["bhyve"], "bhyve", Virtual, "systemd virt.c \"BHYVE\""),
    v(&["openstack"], "OpenStack", Virtual, "systemd virt.c \"OpenStack\" (issue #23116)"),
    v(&["kubevirt"], "KubeVirt", Virtual, "systemd virt.c \"KubeVirt\""),
    v(&["digitalocean"], "DigitalOcean", Virtual, "DigitalOcean droplets' sys_vendor"),
];

/// Normalises a DMI vendor string: the matching row, if any.
pub fn vendor(raw: &str) -> Option<&'static VendorRow> {
    let s = raw.trim().to_ascii_lowercase();
    VENDORS
        .iter()
        .flat_map(|row| row.spellings.iter().map(move |p| (row, p)))
        .filter(|(_, p)| s.starts_with(*p))
        .max_by_key(|(_, p)| p.len())
        .map(|(row, _)| row)
}

/// Placeholder strings firmware writes when a field is not filled in; they carry no information.
pub const PLACEHOLDERS: &[&str] = &[
    "",
    "to be filled by o.e.m.",
    "default string",
    "not specified",
    "system manufacturer",
    "system product name",
    "none",
    "n/a",
    "0",
    "<entity not found>",
];

/// Whether a DMI value is an empty or placeholder string.
pub fn is_placeholder(raw: &str) -> bool {
    let s = raw.trim().to_ascii_lowercase();
    PLACEHOLDERS.contains(&s.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dell_spellings_are_one_vendor() {
        for s in [
            "Dell Inc.",
            "Dell Computer Corporation",
            "Dell Inc",
            "Dell",
            "DELL",
            "Dell Computer",
        ] {
            assert_eq!(vendor(s).map(|r| r.name), Some("Dell"), "{s}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(vendor("Amazon EC2").unwrap().kind, VendorKind::Shared);
        assert_eq!(vendor("innotek GmbH").unwrap().name, "VirtualBox");
        assert_eq!(vendor("HP").unwrap().name, "HPE");
        assert_eq!(vendor("Hewlett-Packard").unwrap().name, "HPE");
        assert_eq!(
            vendor("Oracle Corporation").unwrap().kind,
            VendorKind::Shared
        );
        assert_eq!(vendor("Supermicro").unwrap().kind, VendorKind::Hardware);
        assert!(vendor("Tilaa").is_none());
    }

    #[test]
    fn no_spelling_is_claimed_twice() {
        let mut all: Vec<&str> = VENDORS
            .iter()
            .flat_map(|r| r.spellings.iter().copied())
            .collect();
        all.sort_unstable();
        let n = all.len();
        all.dedup();
        assert_eq!(all.len(), n);
        assert!(all.iter().all(|s| *s == s.to_ascii_lowercase()));
    }
}
