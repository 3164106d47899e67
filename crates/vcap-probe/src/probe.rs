//! Executes vcap-core's read plan against a [`Source`].

use vcap_core::capture::{Capture, CpuidRead, FileRead, Listing};
use vcap_core::plan::{
    ATTR_LIMIT, DMI_DIR, DMI_FIELDS, EXISTS, FILES, LISTS, PCI_CONFIG, PCI_DEVICES, Scope, WALKS,
};

use crate::Source;

/// Reads everything the full report needs.
pub fn probe(src: &Source) -> Capture {
    probe_scope(src, Scope::Full)
}

/// Reads the part of the plan a command needs (`Scope::Detect` skips the capability inputs).
pub fn probe_scope(src: &Source, scope: Scope) -> Capture {
    // Live CPUID runs on a worker thread (in a VM every CPUID traps to the hypervisor, and the
    // hypervisor-range scan alone is 256 of them), and for the full plan so do the bus walks (PCI
    // config space traps too). Detection's walks are a few dozen small sysfs reads, cheaper than
    // creating another thread. The result does not depend on the interleaving: every part lands
    // in its own keys of the capture's ordered maps. Where a thread cannot be created the work
    // runs on this one.
    let worker = || std::thread::Builder::new().stack_size(WORKER_STACK);
    std::thread::scope(|s| {
        let cpuid = if src.is_snapshot() {
            None
        } else {
            worker()
                .spawn_scoped(s, move || crate::cpuid::live(scope))
                .ok()
        };
        let walks = if scope != Scope::Detect {
            let walker = src.fork();
            worker()
                .spawn_scoped(s, move || read_walks(&walker, scope))
                .ok()
        } else {
            None
        };
        let mut c = read_files(src, scope);
        let w = match walks {
            Some(h) => h.join().unwrap_or_else(|_| failed_walks(scope)),
            None => read_walks(src, scope),
        };
        c.files.extend(w.files);
        c.links.extend(w.links);
        c.dirs.extend(w.dirs);
        c.cpuid = match cpuid {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| CpuidRead::Malformed("the CPUID thread failed".into())),
            None => src.cpuid(),
        };
        c
    })
}

/// Stack of a probe worker thread: the readers need little, and a small stack is cheaper to map.
const WORKER_STACK: usize = 256 * 1024;

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
    let mut c = Capture::default();
    for w in WALKS.iter().filter(|w| scope.reads(w.dir)) {
        let listing = src.list(w.dir);
        for e in listing.entries() {
            for (f, limit) in w.files.iter().filter(|(f, _)| scope.reads(f)) {
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
        c.dirs.insert(w.dir.into(), listing);
    }
    c
}
