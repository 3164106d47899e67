//! Executes vcap-core's read plan against a [`Source`].

use vcap_core::capture::{Capture, DirEntry, FileRead, Listing};
use vcap_core::plan::{
    ATTR_LIMIT, DMI_DIR, DMI_FIELDS, EXISTS, FILES, LISTS, PCI_CONFIG, PCI_DEVICES, Scope, WALKS,
    WalkSpec,
};

use crate::Source;
use crate::cpuid::LiveCpuid;
use vcap_core::cpuid::CpuidDump;

/// Reads everything the full report needs.
pub fn probe(src: &Source) -> Capture {
    probe_scope(src, Scope::Full)
}

/// Reads the part of the plan a command needs (`Scope::Detect` skips the capability inputs).
pub fn probe_scope(src: &Source, scope: Scope) -> Capture {
    probe_with(src, scope, None)
}

/// [`probe_scope`] with a [`Helper`] started earlier, or none (live, one is started here then).
/// A snapshot is read on this thread (replaying it is cheaper than creating a thread), and a
/// helper given with one is left unused.
pub fn probe_with(src: &Source, scope: Scope, helper: Option<Helper>) -> Capture {
    // Live, this thread reads the files while the helper takes the bus walks as soon as they
    // are posted; each thread then takes the walks nobody has taken yet, and then the
    // hypervisor bases nobody has scanned yet (256 CPUIDs, each a trap to the hypervisor in a
    // VM: with PCI config space, which traps too, the longest part of a probe). So the work
    // splits by how soon each thread is free, and neither waits for the other until the end.
    // A walk is not split between these two: the kernel serialises PCI config accesses under
    // one lock, and two threads reading config space at once were slower than one (a large
    // walk is split inside `read_walk`, where it pays). The result does not depend on the
    // interleaving: every part lands in its own keys of the capture's ordered maps.
    if src.is_snapshot() {
        let walks = SharedWalks::new(scope);
        let mut c = read_files(src, scope);
        walks.help(src, &mut c);
        walks.finish(&mut c);
        c.cpuid = src.cpuid_for(scope);
        return c;
    }
    let walks = std::sync::Arc::new(SharedWalks::new(scope));
    let helper = helper.or_else(Helper::start);
    let cpuid = helper
        .as_ref()
        .map_or_else(Default::default, |h| h.cpuid.clone());
    if let Some(h) = &helper {
        // A helper that is gone (a bug) shows itself below, when its result is missing.
        let _ = h.walks.send(walks.clone());
    }
    let mut c = read_files(src, scope);
    walks.help(src, &mut c);
    let mut d = cpuid.outside(scope);
    cpuid.share(&mut d);
    match helper.map(|h| receive(&h.result)) {
        Some(Some((part, theirs))) => {
            merge(&mut c, part);
            d.leaves.extend(theirs.leaves);
        }
        // A bug: the walks the helper had taken are marked failed below, and CPUID is dumped
        // again here, since the bases it had taken are unknown.
        Some(None) => d = LiveCpuid::new().alone(scope),
        None => {}
    }
    walks.finish(&mut c);
    c.cpuid = cpuid.read(d);
    c
}

/// The live probe's helper thread. It can start before the command line is parsed: it begins
/// with the hypervisor CPUID scan, which every scope reads the same, and takes its share of the
/// bus walks once the probe posts them ([`probe_with`]). Started at the top of `main`, it is
/// running on the other CPU by the time the arguments are parsed: creating it and moving it
/// there took 0.1 ms of `vcap detect`'s 2.1 ms on a 2-vCPU KVM guest. Dropped unused, it ends
/// after its scan.
#[derive(Debug)]
pub struct Helper {
    /// The scan the helper and the probe share.
    cpuid: std::sync::Arc<LiveCpuid>,
    /// Where the probe posts its walks.
    walks: std::sync::mpsc::Sender<std::sync::Arc<SharedWalks>>,
    /// The helper's part: the walks it read and the bases it executed.
    result: std::sync::mpsc::Receiver<(Capture, CpuidDump)>,
}

impl Helper {
    /// Starts the helper on a thread moved off this CPU (where another is allowed); `None`
    /// when no thread could be created (the probe then does everything on its own thread).
    pub fn start() -> Option<Helper> {
        let cpuid = std::sync::Arc::new(LiveCpuid::new());
        let (walks, posted) = std::sync::mpsc::channel();
        let theirs = cpuid.clone();
        let result = start_thread(move || help(&theirs, &posted, Source::live))?;
        Some(Helper {
            cpuid,
            walks,
            result,
        })
    }
}

/// The helper's job: the CPUID scan until walks are posted, then the walks nobody has taken,
/// then the rest of the scan. Where nothing is posted by the end of the scan it waits for the
/// walks, or for the probe to be dropped unused. `src` makes the helper's source (a `Source`
/// keeps a cache for one thread).
fn help(
    cpuid: &LiveCpuid,
    posted: &std::sync::mpsc::Receiver<std::sync::Arc<SharedWalks>>,
    src: impl Fn() -> Source,
) -> (Capture, CpuidDump) {
    let mut part = Capture::default();
    let mut d = CpuidDump::default();
    let mut walked = false;
    while cpuid.share_one(&mut d) {
        if !walked && let Ok(w) = posted.try_recv() {
            w.help(&src(), &mut part);
            walked = true;
        }
    }
    if !walked && let Ok(w) = posted.recv() {
        w.help(&src(), &mut part);
    }
    (part, d)
}

/// Runs `job` on a new thread moved off this CPU (where another is allowed), and yields once so
/// that it can move; its result comes on the receiver ([`receive`]). `None` when no thread
/// could be created. Linux started a new thread on its creator's CPU and, on the 2-vCPU KVM
/// guest measured, left both there with the other CPU idle (they took turns for up to 2.3 ms).
/// The thread is not scoped: the result is taken without waiting for the thread to exit.
fn start_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<std::sync::mpsc::Receiver<T>> {
    let cpu = this_cpu();
    let (done, result) = std::sync::mpsc::sync_channel(1);
    worker()
        .spawn(move || {
            move_off(cpu);
            let _ = done.send(job());
        })
        .ok()?;
    std::thread::yield_now();
    Some(result)
}

/// A helper's result, `None` when it ended without one (it panicked). The probe's helper ends
/// its share of the CPUID scan as this thread ends its own, so this thread polls for a moment
/// before it sleeps: being woken from another CPU took about 100 µs on the KVM guest measured.
fn receive<T>(result: &std::sync::mpsc::Receiver<T>) -> Option<T> {
    use std::sync::mpsc::TryRecvError;
    let until = std::time::Instant::now() + POLL_FOR;
    loop {
        match result.try_recv() {
            Ok(t) => return Some(t),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if std::time::Instant::now() < until => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return result.recv().ok(),
        }
    }
}

/// How long [`receive`] polls before it sleeps: a few CPUIDs' time.
const POLL_FOR: std::time::Duration = std::time::Duration::from_micros(200);

/// Adds a part of the walks to a capture.
fn merge(c: &mut Capture, walks: Capture) {
    c.files.extend(walks.files);
    c.links.extend(walks.links);
    c.dirs.extend(walks.dirs);
}

/// The bus walks of one probe, shared by the threads that read them: each takes the next walk
/// nobody has taken yet.
struct SharedWalks {
    scope: Scope,
    /// The index (among the walks this scope reads) of the next walk to take.
    next: std::sync::atomic::AtomicUsize,
}

impl SharedWalks {
    fn new(scope: Scope) -> Self {
        SharedWalks {
            scope,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Reads walks into `c` until every walk has been taken.
    fn help(&self, src: &Source, c: &mut Capture) {
        let mut walks = WALKS.iter().filter(|w| self.scope.reads(w.dir));
        let mut at = 0;
        loop {
            let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(w) = walks.nth(i - at) else {
                return;
            };
            at = i + 1;
            merge(c, read_walk(src, w, self.scope, walker_threads));
        }
    }

    /// Marks failed every walk of the scope whose listing is not in `c`: a walk a lost helper
    /// (a bug) had taken.
    fn finish(&self, c: &mut Capture) {
        for w in WALKS.iter().filter(|w| self.scope.reads(w.dir)) {
            c.dirs
                .entry(w.dir.into())
                .or_insert_with(|| Listing::Unreadable("the bus walk failed".into()));
        }
    }
}

/// A probe worker thread's builder.
fn worker() -> std::thread::Builder {
    std::thread::Builder::new().stack_size(WORKER_STACK)
}

/// Stack of a probe worker thread: the readers need little, and a small stack is cheaper to map.
const WORKER_STACK: usize = 256 * 1024;

/// The CPU this thread runs on now.
fn this_cpu() -> usize {
    rustix::thread::sched_getcpu()
}

/// Moves this thread off `cpu` when another CPU is allowed. Linux starts a new thread on its
/// creator's CPU and, measured on a 2-vCPU KVM guest, left both threads sharing it for the
/// whole probe (1–2 ms) with the other CPU idle: the threads then take turns instead of
/// running together. Nothing is lost where the move fails or no other CPU is allowed.
fn move_off(cpu: usize) {
    // A CPU number past the set's size cannot be cleared in it (and does not occur where the
    // kernel filled the set: it refuses a set smaller than the machine's CPU count).
    if cpu >= rustix::thread::CpuSet::MAX_CPU {
        return;
    }
    if let Ok(mut allowed) = rustix::thread::sched_getaffinity(None) {
        allowed.unset(cpu);
        if allowed.count() > 0 {
            // Best effort: a thread that stays put still does its work.
            let _ = rustix::thread::sched_setaffinity(None, &allowed);
        }
    }
}

fn read_files(src: &Source, scope: Scope) -> Capture {
    let mut c = Capture::default();
    for f in DMI_FIELDS {
        let p = format!("{DMI_DIR}/{f}");
        let r = src.read_file(&p, ATTR_LIMIT);
        c.files.insert(p, r);
    }
    for spec in FILES.iter().filter(|s| scope.reads(s.path)) {
        let read = src.read_file(spec.path, spec.limit);
        c.files
            .insert(spec.path.into(), vcap_core::plan::redact(spec.path, read));
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

/// One bus walk: its listing, and the files and links of its entries, split across
/// `threads(entries)` threads.
fn read_walk(src: &Source, w: &WalkSpec, scope: Scope, threads: fn(usize) -> usize) -> Capture {
    let mut c = Capture::default();
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
                    let h = worker().spawn_scoped(s, move || read_entries(&fork, w, part, scope));
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

    #[test]
    fn a_thread_job_hands_over_its_result_and_a_panic_is_lost_not_fatal() {
        assert_eq!(start_thread(|| 2).as_ref().and_then(receive), Some(2));
        let lost = start_thread(|| -> u8 { panic!("a bug") });
        assert_eq!(lost.as_ref().and_then(receive), None);
    }

    /// A thread moved off a CPU runs elsewhere when another CPU is allowed, and stays where it
    /// is when none is.
    #[test]
    fn move_off_leaves_the_cpu_when_another_is_allowed() {
        std::thread::spawn(|| {
            let allowed = rustix::thread::sched_getaffinity(None).unwrap();
            let cpu = this_cpu();
            move_off(cpu);
            // A CPU number out of any set's range is left alone, not a panic.
            move_off(usize::MAX);
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

    /// The PCI walk of the plan.
    const PCI_WALK: &WalkSpec = &WALKS[0];

    /// The walks of `src` read by `threads` threads sharing them as the live probe does.
    fn shared_by(src: &Source, scope: Scope, threads: usize) -> Capture {
        let walks = SharedWalks::new(scope);
        let mut c = Capture::default();
        std::thread::scope(|s| {
            let others: Vec<_> = (1..threads)
                .map(|_| {
                    let (fork, walks) = (src.fork(), &walks);
                    s.spawn(move || {
                        let mut part = Capture::default();
                        walks.help(&fork, &mut part);
                        part
                    })
                })
                .collect();
            walks.help(src, &mut c);
            for h in others {
                merge(&mut c, h.join().unwrap());
            }
        });
        walks.finish(&mut c);
        c
    }

    #[test]
    fn a_walk_split_across_threads_reads_the_same_as_one_thread() {
        let d = many_functions(300);
        let src = Source::snapshot(&d).unwrap();
        for scope in [Scope::Detect, Scope::Full, Scope::Snapshot] {
            let walk = PCI_WALK;
            let one = read_walk(&src, walk, scope, |_| 1);
            assert_eq!(one, read_walk(&src, walk, scope, |_| 4), "{scope:?}");
            assert_eq!(one, read_walk(&src, walk, scope, |_| 7), "{scope:?}");
            // The walks shared by threads as the live probe shares them read the same.
            assert_eq!(
                shared_by(&src, scope, 1),
                shared_by(&src, scope, 3),
                "{scope:?}"
            );
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

    /// A walk that no thread finished (its helper was lost) is marked failed, and the walks
    /// that were read stay as read.
    #[test]
    fn a_walk_nobody_finished_is_marked_failed() {
        let d = many_functions(3);
        let src = Source::snapshot(&d).unwrap();
        let walks = SharedWalks::new(Scope::Full);
        // A helper took the first walk (PCI) and was lost; this thread read the others.
        walks.next.store(1, std::sync::atomic::Ordering::Relaxed);
        let mut c = Capture::default();
        walks.help(&src, &mut c);
        walks.finish(&mut c);
        assert!(matches!(&c.dirs[PCI_DEVICES], Listing::Unreadable(w) if w.contains("failed")));
        assert_eq!(c.dirs["/sys/bus/virtio/devices"], Listing::Absent);
        let whole = shared_by(&src, Scope::Full, 2);
        assert_eq!(whole.dirs[PCI_DEVICES].entries().len(), 3);
        fs::remove_dir_all(&d).unwrap();
    }

    /// The hypervisor bases of a dump (the leaves the shared scan executes).
    fn scanned(d: &CpuidDump) -> Vec<(u32, u32)> {
        let bases = vcap_core::cpuid::HV_BASE_FIRST..=vcap_core::cpuid::HV_BASE_FIRST + 0xffff;
        d.leaves
            .keys()
            .copied()
            .filter(|(l, _)| bases.contains(l))
            .collect()
    }

    /// A helper reads the walks whenever they are posted — before its scan ends, after it, or
    /// never (its probe was dropped unused) — and always the whole scan nobody else took.
    #[test]
    fn a_helper_takes_the_walks_whenever_they_are_posted() {
        let d = many_functions(5);
        let src = Source::snapshot(&d).unwrap();
        let fork = || Source::snapshot(&d).unwrap();
        let whole_scan = scanned(&LiveCpuid::new().alone(Scope::Detect));
        let expected = shared_by(&src, Scope::Full, 1);
        // Posted before the scan ends.
        let (post, posted) = std::sync::mpsc::channel();
        let walks = std::sync::Arc::new(SharedWalks::new(Scope::Full));
        post.send(walks.clone()).unwrap();
        let (mut part, dump) = help(&LiveCpuid::new(), &posted, fork);
        walks.finish(&mut part);
        assert_eq!(part, expected);
        assert_eq!(scanned(&dump), whole_scan);
        // Posted after the scan ended: the helper waits for it.
        let (post, posted) = std::sync::mpsc::channel();
        let walks = std::sync::Arc::new(SharedWalks::new(Scope::Full));
        let (mut part, dump) = std::thread::scope(|s| {
            let helper = s.spawn(move || help(&LiveCpuid::new(), &posted, fork));
            std::thread::sleep(std::time::Duration::from_millis(20));
            post.send(walks.clone()).unwrap();
            helper.join().unwrap()
        });
        walks.finish(&mut part);
        assert_eq!(part, expected);
        assert_eq!(scanned(&dump), whole_scan);
        // Never posted: the helper ends after its scan with no walk read.
        let (post, posted) = std::sync::mpsc::channel::<std::sync::Arc<SharedWalks>>();
        drop(post);
        let (part, dump) = help(&LiveCpuid::new(), &posted, fork);
        assert_eq!(part, Capture::default());
        assert_eq!(scanned(&dump), whole_scan);
        fs::remove_dir_all(&d).unwrap();
    }

    /// A live probe with a helper started before it (as `main` starts one) reads what a probe
    /// that starts its own reads: the same files, links, listings and CPUID leaves.
    #[test]
    fn an_early_helper_probes_what_a_late_one_probes() {
        let keys = |c: &Capture| {
            let leaves = match &c.cpuid {
                vcap_core::capture::CpuidRead::Dump(d) => d.leaves.keys().copied().collect(),
                _ => Vec::new(),
            };
            let files: Vec<_> = c.files.keys().cloned().collect();
            (
                files,
                c.links.clone(),
                c.dirs.clone(),
                c.exists.clone(),
                leaves,
            )
        };
        for scope in [Scope::Detect, Scope::Full] {
            let early = Helper::start();
            let with_early = probe_with(&Source::live(), scope, early);
            assert_eq!(
                keys(&with_early),
                keys(&probe_scope(&Source::live(), scope))
            );
        }
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
