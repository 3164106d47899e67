//! Executing CPUID on this CPU (x86 only), through raw-cpuid's safe wrapper of the instruction.

use vcap_core::input::capture::CpuidRead;
use vcap_core::input::plan::Scope;
use vcap_core::parse::cpuid::CpuidDump;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
use vcap_core::parse::cpuid::{HV_BASE_FIRST, Regs};

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

/// The confidential-VM leaves, each executed only when its range's maximum reaches it (as
/// systemd's confidential-virt.c checks): Intel's TDX enumeration leaf 0x21 (leaf 0's maximum)
/// and AMD's encrypted-memory leaf 0x8000001F (leaf 0x80000000's maximum).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
const CVM_LEAVES: &[(u32, u32)] = &[(0x21, 0), (0x8000_001f, 0x8000_0000)];

/// Executes one CPUID leaf and subleaf.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn q(leaf: u32, sub: u32) -> Regs {
    let r = raw_cpuid::native_cpuid::cpuid_count(leaf, sub);
    Regs {
        eax: r.eax,
        ebx: r.ebx,
        ecx: r.ecx,
        edx: r.edx,
    }
}

/// Dumps this CPU's CPUID leaves: every valid hypervisor range among 0x40000000–0x4000FF00 (and
/// always 0x40000000 itself), and outside them the leaves the report reads ([`Scope::Detect`],
/// [`Scope::Full`]) or the whole basic and extended ranges with their subleaves
/// ([`Scope::Snapshot`], for bug reports and the register tables). Every CPUID traps to the
/// hypervisor in a VM, 1.4–7 µs each on the hosts measured, and the whole ranges are a hundred
/// more of them. Not x86: nothing to execute, and the read is "not observed".
pub fn live(scope: Scope) -> CpuidRead {
    let mut d = outside(scope);
    Scan::default().share(&mut d);
    finish(d)
}

/// The scan of the 256 hypervisor bases, which threads can share: each [`Scan::share`] takes the
/// bases nobody has taken yet, so the scan splits by how soon each thread is free, and the
/// parts together are what one thread records (up to fields that differ by CPU, such as Xen's
/// vCPU ID in its leaf 4, which depend on where the process runs anyway).
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The index (0–255) of the next base to take.
    next: std::sync::atomic::AtomicU32,
}

impl Scan {
    /// Executes bases into `d` until every one has been taken: records a base with its leaves
    /// up to its maximum (at most 64 of them) when it is valid, and 0x40000000 whatever it holds.
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    pub(crate) fn share(&self, d: &mut CpuidDump) {
        loop {
            let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i > 0xff {
                return;
            }
            let base = HV_BASE_FIRST + i * 0x100;
            let r = q(base, 0);
            if vcap_core::parse::cpuid::HypervisorBase::from_regs(base, r).is_valid() {
                // Hypervisor leaves have no subleaves the dump needs.
                d.insert(base, 0, r);
                for leaf in base + 1..=r.eax.min(base + 0x3f) {
                    d.insert(leaf, 0, q(leaf, 0));
                }
            } else if i == 0 {
                d.insert(base, 0, r);
            }
        }
    }

    /// Not x86: nothing to scan.
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    pub(crate) fn share(&self, _d: &mut CpuidDump) {}
}

/// The read of a dump's parts put together.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(crate) fn finish(d: CpuidDump) -> CpuidRead {
    CpuidRead::Dump(d)
}

/// Not x86: CPUID does not exist here.
#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
pub(crate) fn finish(_d: CpuidDump) -> CpuidRead {
    CpuidRead::NotObserved
}

/// Not x86: no leaves.
#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
pub(crate) fn outside(_scope: Scope) -> CpuidDump {
    CpuidDump::default()
}

/// The leaves outside the hypervisor ranges that `scope` needs.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(crate) fn outside(scope: Scope) -> CpuidDump {
    let mut d = CpuidDump::default();
    let range = |d: &mut CpuidDump, first: u32, last: u32| {
        for leaf in first..=last {
            for sub in subleaves(leaf, &q).unwrap_or_else(|| vec![0]) {
                d.insert(leaf, sub, q(leaf, sub));
            }
        }
    };
    if scope != Scope::Snapshot {
        for &leaf in REPORT_LEAVES {
            d.insert(leaf, 0, q(leaf, 0));
        }
        for &(leaf, max_of) in CVM_LEAVES {
            if d.get(max_of, 0).is_some_and(|r| r.eax >= leaf) {
                d.insert(leaf, 0, q(leaf, 0));
            }
        }
        return d;
    }
    range(&mut d, 0, q(0, 0).eax.min(0x3f));
    let max_ext = q(0x8000_0000, 0).eax;
    if (0x8000_0000..=0x8000_00ff).contains(&max_ext) {
        range(&mut d, 0x8000_0000, max_ext.min(0x8000_0040));
    }
    d
}

#[cfg(all(test, any(target_arch = "x86", target_arch = "x86_64")))]
mod tests {
    use super::*;

    fn dump(r: CpuidRead) -> CpuidDump {
        match r {
            CpuidRead::Dump(d) => d,
            other => panic!("live CPUID gave no dump: {other:?}"),
        }
    }

    /// Threads sharing the scan record together exactly the bases one thread records.
    #[test]
    fn a_shared_scan_dumps_what_one_thread_dumps() {
        let alone = dump(live(Scope::Detect));
        for threads in [2, 3, 8] {
            let scan = Scan::default();
            let mut d = outside(Scope::Detect);
            std::thread::scope(|s| {
                let parts: Vec<_> = (1..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut part = CpuidDump::default();
                            scan.share(&mut part);
                            part
                        })
                    })
                    .collect();
                scan.share(&mut d);
                for p in parts {
                    d.leaves.extend(p.join().unwrap().leaves);
                }
            });
            // Leaf 1's initial APIC ID (EBX[31:24]) differs by CPU.
            let masked = |mut d: CpuidDump| {
                if let Some(l1) = d.leaves.get_mut(&(1, 0)) {
                    l1[1] &= 0x00ff_ffff;
                }
                d.leaves
            };
            assert_eq!(masked(d), masked(alone.clone()), "{threads} threads");
        }
    }

    /// Base 0x40000000 is always recorded, and every other base the dump records is valid.
    #[test]
    fn every_recorded_base_is_valid_or_the_first() {
        let d = dump(live(Scope::Detect));
        assert!(d.leaves.contains_key(&(HV_BASE_FIRST, 0)));
        for i in 1..=0xffu32 {
            let base = HV_BASE_FIRST + i * 0x100;
            if let Some(r) = d.get(base, 0) {
                assert!(vcap_core::parse::cpuid::HypervisorBase::from_regs(base, r).is_valid());
            }
        }
    }

    /// The report's scopes execute the four leaves it reads outside the hypervisor ranges (and the
    /// confidential-VM leaves their maximum reaches); a
    /// snapshot executes the whole basic range.
    #[test]
    fn the_scope_decides_the_leaves_outside_the_hypervisor_ranges() {
        let outside = |s| -> Vec<(u32, u32)> {
            let d = dump(live(s));
            let hv = HV_BASE_FIRST..=HV_BASE_FIRST + 0xffff;
            d.leaves
                .keys()
                .copied()
                .filter(|(l, _)| !hv.contains(l))
                .collect()
        };
        let mut report = vec![(0, 0), (1, 0), (0x8000_0000, 0), (0x8000_0001, 0)];
        for (leaf, max_of) in CVM_LEAVES {
            if q(*max_of, 0).eax >= *leaf {
                report.push((*leaf, 0));
            }
        }
        report.sort();
        assert_eq!(outside(Scope::Detect), report);
        assert_eq!(outside(Scope::Full), report);
        let max_basic = q(0, 0).eax.min(0x3f);
        let snap = outside(Scope::Snapshot);
        assert!((0..=max_basic).all(|l| snap.iter().any(|(x, _)| *x == l)));
    }
}
