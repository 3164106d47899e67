//! Executes vcap-core's read plan against a [`Source`].

use vcap_core::input::capture::{Capture, DirEntry, FileRead};
use vcap_core::input::plan::{
    ATTR_LIMIT, DMI_DIR, DMI_FIELDS, EXISTS, FILES, LISTS, PCI_CONFIG, PCI_DEVICES, Scope, WALKS,
    WalkSpec,
};

use std::sync::{Arc, mpsc};

use vcap_core::parse::cpuid::CpuidDump;

use crate::{Source, cpuid};

/// Reads everything the full report needs.
pub fn probe(src: &Source) -> Capture {
    probe_scope(src, Scope::Full)
}

/// Reads the part of the plan a command needs (`Scope::Detect` skips the capability inputs).
/// A snapshot is read on this thread: its CPUID is a file, and replaying it is cheaper than
/// creating a thread. Live, a second thread shares the hypervisor-leaf CPUID scan.
pub fn probe_scope(src: &Source, scope: Scope) -> Capture {
    match src {
        Source::Snapshot(_) => {
            let mut c = read_plan(src, scope);
            c.cpuid = src.cpuid_for(scope);
            c.sev_status = src.sev_status(&c.cpuid);
            c
        }
        Source::Live(_) => live(src, scope),
    }
}

/// The live probe: a helper thread starts on the scan of the 256 hypervisor bases while this
/// thread reads the files and bus walks and then joins the scan, each taking the bases nobody
/// has taken yet ([`cpuid::Scan`]), so the scan splits by how soon each thread is free. In a VM
/// every CPUID traps to the hypervisor and the scan is most of the probe: with the helper
/// scanning alone, `vcap detect`'s tenth-percentile time was 5.7 ms against 4.2 ms shared
/// (README "Speed"). A helper that is lost (it panicked: a bug) took bases nobody knows, so the
/// scan is done again here.
fn live(src: &Source, scope: Scope) -> Capture {
    let scan = Arc::new(cpuid::Scan::default());
    let theirs = start_helper(scan.clone());
    // Let the helper run first, so that it moves itself to another CPU (`move_off`) before
    // this thread starts its own work.
    std::thread::yield_now();
    let mut c = read_plan(src, scope);
    let mut d = cpuid::outside(scope);
    scan.share(&mut d);
    match theirs.map(|part| part.recv()) {
        Some(Ok(part)) => d.leaves.extend(part.leaves),
        Some(Err(_)) => cpuid::Scan::default().share(&mut d),
        None => {}
    }
    c.cpuid = cpuid::finish(d);
    c.sev_status = src.sev_status(&c.cpuid);
    c
}

/// Starts the helper thread on its share of `scan`; its part comes on the receiver, which
/// reports the helper gone when it ended without sending (it panicked). `None` when no thread
/// could be created: this thread then scans alone. The thread is not joined: its part is taken
/// as soon as it is sent.
fn start_helper(scan: Arc<cpuid::Scan>) -> Option<mpsc::Receiver<CpuidDump>> {
    let (done, part) = mpsc::sync_channel(1);
    let cpu = rustix::thread::sched_getcpu();
    std::thread::Builder::new()
        .stack_size(HELPER_STACK)
        .spawn(move || {
            move_off(cpu);
            let mut d = CpuidDump::default();
            scan.share(&mut d);
            let _ = done.send(d);
        })
        .ok()?;
    Some(part)
}

/// Moves the helper off its creator's CPU when another is allowed. Linux starts a new thread on
/// its creator's CPU; on the idle 2-vCPU development machine the two then took turns there for
/// much of the probe. Measured in process (`vcap detect --vm`, static build, 100 runs per
/// variant, alternating, 2026-12-02): the probe's median 2.11 ms as spawned, 1.20 ms moved (but
/// a 90th percentile of 2.7 ms: the creator had not let it run), 1.13 ms moved with the
/// creator yielding once after the spawn (90th percentile 1.6 ms), 2.16 ms yielding without the
/// move; the session-8 build with the old machinery: 1.17 ms. Polling for the helper's part
/// instead of sleeping on it gained nothing and is not done. Best effort: a helper that stays
/// put still does its share.
fn move_off(cpu: usize) {
    // A CPU number past the set's size cannot be cleared in it (the kernel refuses a set
    // smaller than the machine's CPU count, so it does not occur where the kernel filled it).
    if cpu >= rustix::thread::CpuSet::MAX_CPU {
        return;
    }
    if let Ok(mut allowed) = rustix::thread::sched_getaffinity(None) {
        allowed.unset(cpu);
        if allowed.count() > 0 {
            let _ = rustix::thread::sched_setaffinity(None, &allowed);
        }
    }
}

/// Stack of the helper thread: it needs little, and a small stack is cheaper to map.
const HELPER_STACK: usize = 256 * 1024;

/// Everything of the plan but CPUID: the files, existence checks and listings, then the walks.
fn read_plan(src: &Source, scope: Scope) -> Capture {
    let mut c = read_files(src, scope);
    for w in WALKS.iter().filter(|w| scope.reads(w.dir)) {
        let walk = read_walk(src, w, scope);
        c.files.extend(walk.files);
        c.links.extend(walk.links);
        c.dirs.extend(walk.dirs);
    }
    c
}

fn read_files(src: &Source, scope: Scope) -> Capture {
    let mut c = Capture::default();
    for f in DMI_FIELDS {
        let p = format!("{DMI_DIR}/{f}");
        let r = src.read_file(&p, ATTR_LIMIT);
        c.files.insert(p, r);
    }
    for spec in FILES.iter().filter(|s| scope.reads(s.path)) {
        let read = if spec.path == vcap_core::input::plan::KERNEL_LOG {
            src.read_kernel_log(spec.path, spec.limit)
        } else if spec.path == vcap_core::input::plan::TRACER_COMM {
            src.read_tracer_comm(spec.path, spec.limit)
        } else if spec.path == vcap_core::input::plan::PID1_SELF {
            src.read_own_environ_as_pid1(spec.path, spec.limit)
        } else {
            src.read_file(spec.path, spec.limit)
        };
        c.files.insert(
            spec.path.into(),
            vcap_core::input::plan::redact(spec.path, read),
        );
    }
    for (p, _) in EXISTS {
        c.exists.insert((*p).into(), src.exists(p));
    }
    for (d, _) in LISTS.iter().filter(|(d, _)| scope.reads(d)) {
        // Only the names of these entries are evidence; a snapshot keeps their links too.
        c.dirs
            .insert((*d).into(), src.list_with(d, scope != Scope::Detect));
    }
    // Malformed lines of a snapshot's vcap-unreadable.txt stay visible in the report.
    for (k, why) in src.recorded_unreadable() {
        if !k.starts_with('/') {
            c.files.insert(k.clone(), FileRead::Unreadable(why.clone()));
        }
    }
    c
}

/// One bus walk: its listing, and the files and links of its entries.
fn read_walk(src: &Source, w: &WalkSpec, scope: Scope) -> Capture {
    let listing = src.list(w.dir);
    let mut c = read_entries(src, w, listing.entries(), scope);
    c.dirs.insert(w.dir.into(), listing);
    c
}

/// The files and links of some entries of one walk.
fn read_entries(src: &Source, w: &WalkSpec, entries: &[DirEntry], scope: Scope) -> Capture {
    let mut c = Capture::default();
    for e in entries {
        let summary = w.summary.map(|s| {
            let p = format!("{}/{}/{}", w.dir, e.name, s.file);
            let r = src.read_file(&p, ATTR_LIMIT);
            let read = r.has_content();
            c.files.insert(p, r);
            read
        });
        let summary_read = summary.unwrap_or(false);
        let files = w.files.iter();
        for (f, limit) in files.filter(|(f, _)| scope.reads_entry_file(w, f, summary_read)) {
            let p = format!("{}/{}/{f}", w.dir, e.name);
            let r = if w.dir == PCI_DEVICES && *f == PCI_CONFIG && scope != Scope::Snapshot {
                src.read_pci_config(&p, *limit)
            } else {
                src.read_file(&p, *limit)
            };
            c.files.insert(p, r);
        }
        for l in w.links.iter().filter(|l| scope.reads(l)) {
            let p = format!("{}/{}/{l}", w.dir, e.name);
            let t = src.read_link(&p);
            c.links.insert(p, t);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// The helper's part comes on its channel, and with this thread's part it is the whole
    /// scan; a helper that panicked shows as a channel closed without a part, not a hang.
    #[test]
    fn the_helper_hands_over_its_share_of_the_scan() {
        let scan = Arc::new(cpuid::Scan::default());
        let part = start_helper(scan.clone()).and_then(|r| r.recv().ok());
        let mut rest = CpuidDump::default();
        scan.share(&mut rest);
        let mut whole = CpuidDump::default();
        cpuid::Scan::default().share(&mut whole);
        let mut got = part.expect("the helper's part");
        got.leaves.extend(rest.leaves);
        let keys = |d: &CpuidDump| d.leaves.keys().copied().collect::<Vec<_>>();
        assert_eq!(keys(&got), keys(&whole));
        let (tx, rx) = mpsc::sync_channel::<u8>(1);
        let lost = std::thread::spawn(move || {
            let _tx = tx;
            panic!("a bug");
        });
        assert!(lost.join().is_err());
        assert!(rx.recv().is_err());
    }

    /// A snapshot of a large server's PCI tree: `n` functions laid out as sysfs lays them out
    /// (bus links to device directories), each with its ID attributes and a config header, and
    /// every even-numbered one with its modalias too (snapshots before modalias was in the plan
    /// lack it).
    fn many_functions(n: usize) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("vcap-walk-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        let bus = d.join("sys/bus/pci/devices");
        fs::create_dir_all(&bus).unwrap();
        for i in 0..n {
            let bdf = format!("0000:{:02x}:{:02x}.{}", i / 64, (i / 8) % 8, i % 8);
            let dev = d.join("sys/devices/pci0000:00").join(&bdf);
            fs::create_dir_all(&dev).unwrap();
            for (f, v) in [
                ("vendor", "0x8086"),
                ("device", "0x2021"),
                ("subsystem_vendor", "0x8086"),
                ("subsystem_device", "0x0000"),
                ("class", "0x088000"),
                ("revision", "0x04"),
            ] {
                fs::write(dev.join(f), format!("{v}\n")).unwrap();
            }
            if i % 2 == 0 {
                let alias = "pci:v00008086d00002021sv00008086sd00000000bc08sc80i00\n";
                fs::write(dev.join("modalias"), alias).unwrap();
            }
            let mut config = vec![0u8; 64];
            config[..4].copy_from_slice(&[0x86, 0x80, 0x21, 0x20]);
            config[8] = (i % 256) as u8;
            fs::write(dev.join("config"), config).unwrap();
            symlink(format!("../../../devices/pci0000:00/{bdf}"), bus.join(&bdf)).unwrap();
        }
        d
    }

    /// The PCI walk of the plan.
    const PCI_WALK: &WalkSpec = &WALKS[0];

    /// A walk reads each entry's files as the scope asks: the modalias alone where there is one
    /// and the four ID files where there is not (and the full report, config space); snapshots
    /// keep everything.
    #[test]
    fn a_walk_reads_what_the_scope_asks_of_every_entry() {
        let d = many_functions(300);
        let src = Source::snapshot(&d).unwrap();
        for scope in [Scope::Detect, Scope::Full, Scope::Snapshot] {
            let one = read_walk(&src, PCI_WALK, scope);
            assert_eq!(one.dirs[PCI_DEVICES].entries().len(), 300, "{scope:?}");
            let reads = match scope {
                Scope::Detect => 150 + 150 * 4,
                Scope::Full => 150 * 2 + 150 * 5,
                Scope::Snapshot => 300 * 7 + 150,
            };
            let read = one
                .files
                .iter()
                .filter(|(p, r)| p.starts_with(PCI_DEVICES) && r.bytes().is_some())
                .count();
            assert_eq!(read, reads, "{scope:?}");
        }
        fs::remove_dir_all(&d).unwrap();
    }

    /// The live probe reads the files, links, listings and existence checks a probe on one
    /// thread reads, and the CPUID leaves a dump on one thread executes.
    #[test]
    fn the_live_probe_reads_what_one_thread_reads() {
        let leaves = |r: &vcap_core::input::capture::CpuidRead| match r {
            vcap_core::input::capture::CpuidRead::Dump(d) => d.leaves.keys().copied().collect(),
            _ => Vec::new(),
        };
        let keys = |c: &Capture| {
            let files: Vec<_> = c.files.keys().cloned().collect();
            (files, c.links.clone(), c.dirs.clone(), c.exists.clone())
        };
        for scope in [Scope::Detect, Scope::Full] {
            let live = Source::live();
            let probed = probe_scope(&live, scope);
            assert_eq!(keys(&probed), keys(&read_plan(&Source::live(), scope)));
            assert_eq!(
                leaves(&probed.cpuid),
                leaves(&crate::cpuid::live(scope)),
                "{scope:?}"
            );
        }
    }
}
