//! Executing CPUID on this CPU (x86 only), through raw-cpuid's safe wrapper of the instruction.

use vcap_core::capture::CpuidRead;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
use vcap_core::cpuid::{CpuidDump, HV_BASE_FIRST, Regs};

/// Leaves with subleaves, and how many subleaves to read at most.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
const SUBLEAVES: &[(u32, u32)] = &[
    (0x4, 8),
    (0x7, 4),
    (0xb, 4),
    (0xd, 64),
    (0xf, 4),
    (0x10, 4),
    (0x12, 4),
    (0x14, 4),
    (0x17, 4),
    (0x18, 8),
    (0x1d, 2),
    (0x1f, 6),
    (0x20, 2),
    (0x23, 4),
    (0x24, 2),
    (0x8000_001d, 8),
    (0x8000_0020, 4),
    (0x8000_0026, 4),
];

/// Dumps this CPU's CPUID leaves: the basic range, every valid hypervisor range among
/// 0x40000000–0x4000FF00 (and always 0x40000000 itself), and the extended range.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub fn live() -> CpuidRead {
    let q = |leaf: u32, sub: u32| {
        let r = raw_cpuid::native_cpuid::cpuid_count(leaf, sub);
        Regs {
            eax: r.eax,
            ebx: r.ebx,
            ecx: r.ecx,
            edx: r.edx,
        }
    };
    let mut d = CpuidDump::default();
    let range = |d: &mut CpuidDump, first: u32, last: u32| {
        for leaf in first..=last {
            let n = SUBLEAVES.iter().find(|s| s.0 == leaf).map_or(1, |s| s.1);
            for sub in 0..n {
                let r = q(leaf, sub);
                if sub > 0 && r == Regs::default() {
                    continue;
                }
                d.leaves.insert((leaf, sub), r);
            }
        }
    };
    let max_basic = q(0, 0).eax.min(0x3f);
    range(&mut d, 0, max_basic);
    for i in 0..=0xffu32 {
        let base = HV_BASE_FIRST + i * 0x100;
        let r = q(base, 0);
        let hb = vcap_core::cpuid::HypervisorBase::from_regs(base, r);
        if hb.is_valid() {
            range(&mut d, base, r.eax.min(base + 0x3f));
        } else if i == 0 {
            d.leaves.insert((base, 0), r);
        }
    }
    let max_ext = q(0x8000_0000, 0).eax;
    if (0x8000_0000..=0x8000_00ff).contains(&max_ext) {
        range(&mut d, 0x8000_0000, max_ext.min(0x8000_0040));
    }
    CpuidRead::Dump(d)
}

/// Not x86: CPUID does not exist here.
#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
pub fn live() -> CpuidRead {
    CpuidRead::NotObserved
}
