//! Executes vcap-core's read plan against a [`Source`].

use vcap_core::capture::{Capture, FileRead};
use vcap_core::plan::{ATTR_LIMIT, DMI_DIR, DMI_FIELDS, EXISTS, FILES, LISTS, Scope, WALKS};

use crate::Source;

/// Reads everything the plan names.
pub fn probe(src: &Source) -> Capture {
    probe_scope(src, Scope::Full)
}

/// Reads the part of the plan a command needs (`Scope::Detect` skips the capability inputs).
pub fn probe_scope(src: &Source, scope: Scope) -> Capture {
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
        c.dirs.insert((*d).into(), src.list(d));
    }
    for w in WALKS.iter().filter(|w| scope.reads(w.dir)) {
        let listing = src.list(w.dir);
        for e in listing.entries() {
            for (f, limit) in w.files.iter().filter(|(f, _)| scope.reads(f)) {
                let p = format!("{}/{}/{f}", w.dir, e.name);
                let r = src.read_file(&p, *limit);
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
    c.cpuid = src.cpuid();
    // Malformed lines of a snapshot's vcap-unreadable.txt stay visible in the report.
    for (k, why) in src.recorded_unreadable() {
        if !k.starts_with('/') {
            c.files.insert(k.clone(), FileRead::Unreadable(why.clone()));
        }
    }
    c
}
