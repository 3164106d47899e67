//! Hyper-V partitions: guest, root or L1VH, nested or not, isolated or not — read from the
//! `cpuid.hyperv-*` and `cvm.hyperv-isolation` evidence rows, as Linux decides them in
//! `hv_identify_partition_type()` (drivers/hv/hv_common.c):
//!
//! ```text
//! if (CreatePartitions && !Isolation)
//!         CpuManagement ? ROOT : L1VH        /* else GUEST */
//! ```
//!
//! Isolation wins over the other privileges ("to protect against a compromised/malicious Hyper-V
//! trying to exploit root behavior to expose Confidential VM memory, ignore the root partition
//! setting if also a Confidential VM"), so an isolated partition is always a guest.

use serde::Serialize;

use crate::detect::evidence::Evidence;
use crate::detect::ids::Hypervisor;
use crate::detect::{Kind, Verdict};

/// The kind of a Hyper-V partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PartitionKind {
    /// A guest partition.
    Guest,
    /// The root partition: it runs on the hardware under the hypervisor and manages the CPUs.
    Root,
    /// An L1VH partition: a guest (of Azure) that may create partitions of its own.
    L1vh,
}

/// The Hyper-V partition this OS runs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Partition {
    /// Guest, root or L1VH.
    pub kind: PartitionKind,
    /// The Hyper-V hypervisor is itself nested in a Hyper-V partition (HV_X64_HYPERV_NESTED).
    pub nested: bool,
    /// The partition is isolated (a confidential VM or VBS): the evidence of its isolation type.
    pub isolated: bool,
    /// `/dev/mshv` exists: this kernel offers the Microsoft Hypervisor VMM interface.
    pub mshv_device: bool,
    /// One sentence.
    pub summary: String,
    /// Indices into the evidence list of the items it rests on.
    pub evidence: Vec<usize>,
}

/// The partition, when the verdict's hypervisor is Hyper-V (a VM or a host partition under it);
/// `None` elsewhere, KVM with Hyper-V enlightenments included (its Hyper-V interface is emulated).
pub fn decide(ev: &[Evidence], v: &Verdict) -> Option<Partition> {
    if v.hypervisor != Some(Hypervisor::Hyperv)
        || !matches!(v.kind, Kind::VirtualMachine | Kind::HostUnderHypervisor)
    {
        return None;
    }
    let find = |rule: &str| -> Vec<usize> {
        ev.iter()
            .enumerate()
            .filter(|(_, e)| e.rule == rule)
            .map(|(i, _)| i)
            .collect()
    };
    let root = find("cpuid.hyperv-root-partition");
    let l1vh = find("cpuid.hyperv-l1vh");
    let nested = find("cpuid.hyperv-nested");
    let isolation = find("cvm.hyperv-isolation");
    let mshv = find("host.mshv");
    let kind = if !root.is_empty() {
        PartitionKind::Root
    } else if !l1vh.is_empty() {
        PartitionKind::L1vh
    } else {
        PartitionKind::Guest
    };
    let what = match kind {
        PartitionKind::Root => {
            "the root partition: the hardware's own OS under Microsoft's hypervisor, not a guest"
        }
        PartitionKind::L1vh => {
            "an L1VH partition: a guest of Microsoft's hypervisor that can itself create partitions (host VMs)"
        }
        PartitionKind::Guest => "a guest partition",
    };
    let mut summary = format!("Hyper-V: {what}");
    if !nested.is_empty() {
        summary.push_str("; the hypervisor is nested in a Hyper-V partition");
    }
    if !isolation.is_empty() {
        summary.push_str("; isolated (see the confidential-VM section)");
    }
    if !mshv.is_empty() {
        summary.push_str("; /dev/mshv is offered");
    }
    let mut evidence: Vec<usize> = [root, l1vh, nested, isolation.clone(), mshv.clone()].concat();
    evidence.sort_unstable();
    Some(Partition {
        kind,
        nested: evidence
            .iter()
            .any(|&i| ev[i].rule == "cpuid.hyperv-nested"),
        isolated: !isolation.is_empty(),
        mshv_device: !mshv.is_empty(),
        summary,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::evidence::gather;
    use crate::input::capture::{Capture, CpuidRead};
    use crate::parse::cpuid::CpuidDump;

    /// A Hyper-V partition's CPUID with the given privilege mask high half (0x40000003 EBX),
    /// recommendations (0x40000004 EAX) and isolation leaf (0x4000000C EAX, EBX).
    fn partition(ebx3: u32, eax4: u32, iso: (u32, u32)) -> Capture {
        let text = format!(
            "CPU:\n   0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n\
             0x00000001 0x00: eax=0x00a00f11 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n\
             0x40000000 0x00: eax=0x4000000c ebx=0x7263694d ecx=0x666f736f edx=0x76482074\n\
             0x40000003 0x00: eax=0x00002e7f ebx=0x{ebx3:08x} ecx=0x00000000 edx=0x00000000\n\
             0x40000004 0x00: eax=0x{eax4:08x} ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n\
             0x4000000c 0x00: eax=0x{:08x} ebx=0x{:08x} ecx=0x00000000 edx=0x00000000\n\
             0x80000000 0x00: eax=0x80000021 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n",
            iso.0, iso.1
        );
        Capture {
            cpuid: CpuidRead::Dump(CpuidDump::parse(&text).unwrap()),
            ..Capture::default()
        }
    }

    fn kind_of(c: &Capture) -> (Kind, Option<PartitionKind>, bool) {
        let ev = gather(c);
        let (v, _) = crate::detect::decide(&ev);
        let p = decide(&ev, &v);
        (
            v.kind,
            p.as_ref().map(|p| p.kind),
            p.is_some_and(|p| p.nested),
        )
    }

    #[test]
    fn create_partitions_and_cpu_management_decide_root_l1vh_and_guest() {
        // Quarkslab's published masks: root 0x002bb9ff (CreatePartitions, CpuManagement),
        // child 0x00388030 (neither).
        assert_eq!(
            kind_of(&partition(0x002b_b9ff, 0, (0, 0))),
            (Kind::HostUnderHypervisor, Some(PartitionKind::Root), false)
        );
        assert_eq!(
            kind_of(&partition(0x0038_8030, 0, (0, 0))),
            (Kind::VirtualMachine, Some(PartitionKind::Guest), false)
        );
        // CreatePartitions without CpuManagement: L1VH, a VM that can host VMs.
        let l1vh = partition(0x0038_8031, 1 << 12, (0, 0));
        assert_eq!(
            kind_of(&l1vh),
            (Kind::VirtualMachine, Some(PartitionKind::L1vh), true)
        );
        let r = crate::report::build(&l1vh);
        assert!(r.host.can_host_vms);
        assert_eq!(r.systemd_id, "microsoft");
        // CpuManagement alone (no CreatePartitions) is no root: Linux leaves it a guest.
        assert_eq!(
            kind_of(&partition(0x0000_1000, 0, (0, 0))).1,
            Some(PartitionKind::Guest)
        );
        // Isolation set: a guest whatever else is granted (hv_identify_partition_type()).
        let isolated = partition(0x002b_b9ff | (1 << 22), 0, (1, 0xba2));
        assert_eq!(
            kind_of(&isolated),
            (Kind::VirtualMachine, Some(PartitionKind::Guest), false)
        );
    }

    /// The isolation leaf's fields (Linux include/hyperv/hvgdk_mini.h): EAX bit 0 paravisor,
    /// EBX[3:0] type, bit 5 shared-GPA boundary active, EBX[11:6] its bit; LISA's Azure CVM
    /// example "Group A 0x1, Group B 0xba2" is SNP with a paravisor and boundary bit 46.
    #[test]
    fn the_isolation_leaf_decodes_as_linux_does() {
        let c = partition(0x0078_8030, 0, (0x1, 0xba2));
        let ev = gather(&c);
        let e = ev
            .iter()
            .find(|e| e.rule == "cvm.hyperv-isolation")
            .expect("an isolation row");
        assert_eq!(
            &e.raw[..e.raw.find(" (").unwrap()],
            "isolation type 2, paravisor present, shared GPA boundary bit 46"
        );
        assert_eq!(crate::detect::cvm::systemd_id(&c), "sev-snp");
        for (b, id) in [(0x1, "none"), (0x3, "none"), (0x2, "sev-snp")] {
            // systemd reads type 3 on Intel only, and never type 1 (VBS).
            assert_eq!(
                crate::detect::cvm::systemd_id(&partition(0x0078_8030, 0, (0, b))),
                id,
                "{b:#x}"
            );
        }
        // CpuManagement with Isolation: neither systemd nor vcap reads an isolation type.
        let c = partition(0x0078_9030, 0, (0x1, 0xba2));
        assert!(!gather(&c).iter().any(|e| e.rule == "cvm.hyperv-isolation"));
        assert_eq!(crate::detect::cvm::systemd_id(&c), "none");
    }
}
