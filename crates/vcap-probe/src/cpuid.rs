//! Executing CPUID on this CPU (x86 only), through raw-cpuid's safe wrapper of the instruction.

use vcap_core::capture::CpuidRead;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
use vcap_core::cpuid::{CpuidDump, HV_BASE_FIRST, Regs};
use vcap_core::plan::Scope;

/// How many subleaves a leaf has, from the leaf's own enumeration rule (Intel SDM Vol. 2A CPUID;
/// the same rules the `cpuid` tool follows): `None` for a leaf without subleaves.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn subleaves(leaf: u32, q: &dyn Fn(u32, u32) -> Regs) -> Option<Vec<u32>> {
    // Walk subleaves until `stop` says the enumeration ended (bounded by `max`).
    let until = |max: u32, stop: &dyn Fn(&Regs) -> bool| -> Vec<u32> {
        (0..max)
            .take_while(|&s| s == 0 || !stop(&q(leaf, s)))
            .collect()
    };
    Some(match leaf {
        // Deterministic cache parameters: until cache type (EAX[4:0]) is 0.
        0x4 | 0x8000_001d => until(16, &|r| r.eax & 0x1f == 0),
        // Structured extended features, SGX, PT, SoC vendor, TLB, AVX10, …: subleaf 0's EAX
        // gives the highest subleaf.
        0x7 | 0x14 | 0x17 | 0x18 | 0x1d | 0x20 | 0x23 | 0x24 => {
            (0..=q(leaf, 0).eax.min(15)).collect()
        }
        // Extended topology: until the level type (ECX[15:8]) is 0.
        0xb | 0x1f | 0x8000_0026 => until(8, &|r| (r.ecx >> 8) & 0xff == 0),
        // XSAVE: subleaves 0 and 1, then every component set in XCR0 (0.EAX/EDX) or IA32_XSS (1.ECX/EDX).
        0xd => {
            let (a, b) = (q(0xd, 0), q(0xd, 1));
            let mask = u64::from(a.eax)
                | (u64::from(a.edx) << 32)
                | u64::from(b.ecx)
                | (u64::from(b.edx) << 32);
            [0, 1]
                .into_iter()
                .chain((2..63).filter(|i| mask & (1 << i) != 0))
                .collect()
        }
        // RDT monitoring and allocation, SGX: small fixed ranges.
        0xf | 0x10 | 0x12 | 0x8000_0020 => (0..4).collect(),
        _ => return None,
    })
}

/// The leaves the report reads outside the hypervisor ranges: vendor, features (hypervisor bit,
/// VMX), the extended maximum and extended features (SVM).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
const REPORT_LEAVES: &[u32] = &[0, 1, 0x8000_0000, 0x8000_0001];

/// Dumps this CPU's CPUID leaves: every valid hypervisor range among 0x40000000–0x4000FF00 (and
/// always 0x40000000 itself), and outside them the leaves the report reads ([`Scope::Detect`],
/// [`Scope::Full`]) or the whole basic and extended ranges with their subleaves
/// ([`Scope::Snapshot`], for bug reports and the register tables). Every CPUID traps to the
/// hypervisor in a VM, 1.4–7 µs each on the hosts measured, and the whole ranges are a hundred
/// more of them.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub fn live(scope: Scope) -> CpuidRead {
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
            match subleaves(leaf, &q) {
                None => {
                    d.leaves.insert((leaf, 0), q(leaf, 0));
                }
                Some(subs) => {
                    for sub in subs {
                        d.leaves.insert((leaf, sub), q(leaf, sub));
                    }
                }
            }
        }
    };
    if scope != Scope::Snapshot {
        for &leaf in REPORT_LEAVES {
            d.leaves.insert((leaf, 0), q(leaf, 0));
        }
    } else {
        range(&mut d, 0, q(0, 0).eax.min(0x3f));
    }
    for i in 0..=0xffu32 {
        let base = HV_BASE_FIRST + i * 0x100;
        let r = q(base, 0);
        let hb = vcap_core::cpuid::HypervisorBase::from_regs(base, r);
        if hb.is_valid() {
            // Hypervisor leaves have no subleaves the dump needs.
            for leaf in base..=r.eax.min(base + 0x3f) {
                d.leaves.insert((leaf, 0), q(leaf, 0));
            }
        } else if i == 0 {
            d.leaves.insert((base, 0), r);
        }
    }
    let max_ext = q(0x8000_0000, 0).eax;
    if scope == Scope::Snapshot && (0x8000_0000..=0x8000_00ff).contains(&max_ext) {
        range(&mut d, 0x8000_0000, max_ext.min(0x8000_0040));
    }
    CpuidRead::Dump(d)
}

/// Not x86: CPUID does not exist here.
#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
pub fn live(_scope: Scope) -> CpuidRead {
    CpuidRead::NotObserved
}
