//! Executes vcap-core's read plan against a [`Source`].

use vcap_core::capture::{Capture, DirEntry, FileRead, Listing};
use vcap_core::plan::{
    ATTR_LIMIT, DMI_DIR, DMI_FIELDS, EXISTS, FILES, LISTS, PCI_CONFIG, PCI_DEVICES, Scope, WALKS,
    WalkSpec,
};

use crate::Source;

/// Reads everything the full report needs.
pub fn probe(src: &Source) -> Capture {
    probe_scope(src, Scope::Full)
}

/// Reads the part of the plan a command needs (`Scope::Detect` skips the capability inputs).
pub fn probe_scope(src: &Source, scope: Scope) -> Capture {
    // Live, this thread reads the files while a worker walks the buses, and both then share the
    // CPUID scan of the hypervisor ranges (256 CPUIDs, each a trap to the hypervisor in a VM:
    // the longest part of a probe). A snapshot is read on this thread: replaying it is cheaper
    // than creating a thread. The result does not depend on the interleaving: every part lands
    // in its own keys of the capture's ordered maps.
    if src.is_snapshot() {
        let mut c = read_files_and_walks(src, scope);
        c.cpuid = src.cpuid_for(scope);
        return c;
    }
    let walker = src.fork();
    let (cpuid, mut c, walks) = crate::cpuid::live_with(
        scope,
        || read_files(src, scope),
        move || read_walks(&walker, scope),
    );
    merge(&mut c, walks.unwrap_or_else(|| failed_walks(scope)));
    c.cpuid = cpuid;
    c
}

/// The files, then the bus walks, on one thread.
fn read_files_and_walks(src: &Source, scope: Scope) -> Capture {
    let mut c = read_files(src, scope);
    merge(&mut c, read_walks(src, scope));
    c
}

/// Adds the bus walks to a capture.
fn merge(c: &mut Capture, walks: Capture) {
    c.files.extend(walks.files);
    c.links.extend(walks.links);
    c.dirs.extend(walks.dirs);
}

/// A probe worker thread's builder.
pub(crate) fn worker() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(WORKER_STACK)
}

/// Stack of a probe worker thread: the readers need little, and a small stack is cheaper to map.
const WORKER_STACK: usize = 256 * 1024;

/// The CPU this thread runs on now.
pub(crate) fn this_cpu() -> usize {
    rustix::thread::sched_getcpu()
}

/// Moves this thread off `cpu` when another CPU is allowed. Linux starts a new thread on its
/// creator's CPU and, measured on a 2-vCPU KVM guest, left both threads sharing it for the
/// whole probe (1–2 ms) with the other CPU idle: the threads then take turns instead of
/// running together. Nothing is lost where the move fails or no other CPU is allowed.
pub(crate) fn move_off(cpu: usize) {
    if let Ok(mut allowed) = rustix::thread::sched_getaffinity(None) {
        allowed.unset(cpu);
        if allowed.count() > 0 {
            // Best effort: a thread that stays put still does its work.
            let _ = rustix::thread::sched_setaffinity(None, &allowed);
        }
    }
}

/// The walks, marked unreadable, when their thread failed (a bug; the report still shows the rest).
fn failed_walks(scope: Scope) -> Capture {
    let mut c = Capture::default();
    for w in WALKS.iter().filter(|w| scope.reads(w.dir)) {
        c.dirs.insert(
            w.dir.into(),
            Listing::Unreadable("the bus walk failed".into()),
        );
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
        c.files
            .insert(spec.path.into(), src.read_file(spec.path, spec.limit));
    }
    for (p, _) in EXISTS {
        c.exists.insert((*p).into(), src.exists(p));
    }
    for (d, _) in LISTS {
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

fn read_walks(src: &Source, scope: Scope) -> Capture {
    read_walks_with(src, scope, walker_threads)
}

/// Entries one bus-walk thread takes on: a longer walk is split across threads. A server has
/// hundreds of PCI functions, and each costs a few sysfs reads of a few microseconds.
const ENTRIES_PER_WALKER: usize = 64;
/// Threads one walk is split across, at most.
const MAX_WALKERS: usize = 4;

/// How many threads walk `entries` entries: one per [`ENTRIES_PER_WALKER`], within the CPUs this
/// process may run on and [`MAX_WALKERS`].
fn walker_threads(entries: usize) -> usize {
    let want = entries.div_ceil(ENTRIES_PER_WALKER).min(MAX_WALKERS);
    if want <= 1 {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| want.min(n.get()))
}

fn read_walks_with(src: &Source, scope: Scope, threads: fn(usize) -> usize) -> Capture {
    let mut c = Capture::default();
    for w in WALKS.iter().filter(|w| scope.reads(w.dir)) {
        let listing = src.list(w.dir);
        let entries = listing.entries();
        let n = threads(entries.len()).clamp(1, entries.len().max(1));
        let mut parts = Vec::new();
        if n == 1 {
            parts.push(read_entries(src, w, entries, scope));
        } else {
            // Contiguous chunks, one per thread, the first on this one. Every entry lands in its
            // own keys of the capture's ordered maps, so the result does not depend on timing.
            let chunk = entries.len().div_ceil(n);
            std::thread::scope(|s| {
                let mut chunks = entries.chunks(chunk);
                let first = chunks.next().unwrap_or_default();
                let handles: Vec<_> = chunks
                    .map(|part| {
                        let fork = src.fork();
                        let h =
                            worker().spawn_scoped(s, move || read_entries(&fork, w, part, scope));
                        (part, h.ok())
                    })
                    .collect();
                parts.push(read_entries(src, w, first, scope));
                for (part, h) in handles {
                    let done = h.and_then(|h| h.join().ok());
                    parts.push(done.unwrap_or_else(|| read_entries(src, w, part, scope)));
                }
            });
        }
        for p in parts {
            c.files.extend(p.files);
            c.links.extend(p.links);
        }
        c.dirs.insert(w.dir.into(), listing);
    }
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

    /// A thread moved off a CPU runs elsewhere when another CPU is allowed, and stays where it
    /// is when none is.
    #[test]
    fn move_off_leaves_the_cpu_when_another_is_allowed() {
        std::thread::spawn(|| {
            let allowed = rustix::thread::sched_getaffinity(None).unwrap();
            let cpu = this_cpu();
            move_off(cpu);
            if allowed.count() > 1 {
                assert_ne!(this_cpu(), cpu);
                let now = rustix::thread::sched_getaffinity(None).unwrap();
                assert!(!now.is_set(cpu));
            } else {
                assert_eq!(this_cpu(), cpu);
            }
        })
        .join()
        .unwrap();
    }
    use std::os::unix::fs::symlink;

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

    #[test]
    fn a_walk_split_across_threads_reads_the_same_as_one_thread() {
        let d = many_functions(300);
        let src = Source::snapshot(&d).unwrap();
        for scope in [Scope::Detect, Scope::Full, Scope::Snapshot] {
            let one = read_walks_with(&src, scope, |_| 1);
            let four = read_walks_with(&src, scope, |_| 4);
            let odd = read_walks_with(&src, scope, |_| 7);
            assert_eq!(one, four, "{scope:?}");
            assert_eq!(one, odd, "{scope:?}");
            // The report reads the modalias alone where there is one, and the four ID files where
            // there is not (and the full report, config space); snapshots keep everything.
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

    #[test]
    fn walker_threads_grow_with_the_walk_within_bounds() {
        assert_eq!(walker_threads(0), 1);
        assert_eq!(walker_threads(ENTRIES_PER_WALKER), 1);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(walker_threads(ENTRIES_PER_WALKER + 1), 2.min(cpus));
        assert_eq!(walker_threads(100_000), MAX_WALKERS.min(cpus));
    }
}
