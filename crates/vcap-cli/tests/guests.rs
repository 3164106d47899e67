//! The snapshots captured inside real Linux guests (tests/guestlab, committed as
//! tests/fixtures/qemu-*) replay to exactly what vcap printed live inside each guest: the JSON
//! report byte for byte, `vcap detect`'s identifier and exit status, and vcap's virt-what facts.

use std::fs;
use std::path::{Path, PathBuf};

fn guests() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("live-report.json").is_file())
        .collect();
    v.sort();
    v
}

/// Recreates the empty directories git cannot store (listed in empty-dirs.txt by the harness).
fn restore_empty_dirs(dir: &Path) {
    if let Ok(list) = fs::read_to_string(dir.join("empty-dirs.txt")) {
        for rel in list.lines().filter(|l| !l.trim().is_empty()) {
            let p = dir.join(rel.trim());
            if fs::symlink_metadata(&p).is_err() {
                fs::create_dir_all(&p).unwrap();
            }
        }
    }
}

#[test]
fn guest_snapshots_replay_to_their_live_reports() {
    let all = guests();
    assert!(all.len() >= 15, "only {} guest fixtures", all.len());
    let mut stale = Vec::new();
    for dir in &all {
        restore_empty_dirs(dir);
        let root = dir.to_str().unwrap();
        let mut out = Vec::new();
        vcap_cli::run(["vcap", "--json", "--root", root], &mut out).unwrap();
        let live = fs::read(dir.join("live-report.json")).unwrap();
        if out != live {
            stale.push(format!("{}: report", dir.display()));
        }
        let mut out = Vec::new();
        let code = vcap_cli::run(["vcap", "detect", "--root", root], &mut out).unwrap();
        let live_id = fs::read_to_string(dir.join("live-detect.txt")).unwrap();
        let status = fs::read_to_string(dir.join("live-status.txt")).unwrap();
        let live_code: u8 = status
            .lines()
            .find_map(|l| l.strip_prefix("detect "))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|c| c.parse().ok())
            .expect("live-status.txt has a detect line");
        if String::from_utf8(out).unwrap() != live_id || code != live_code {
            stale.push(format!("{}: detect", dir.display()));
        }
        // vcap linked as virt-what, live in the guest (fixtures captured since it existed).
        if let Ok(live) = fs::read(dir.join("live-virt-what.txt")) {
            let mut out = Vec::new();
            let arg = format!("--test-root={root}");
            let code = vcap_cli::run(["virt-what", arg.as_str()], &mut out).unwrap();
            if out != live || code != 0 {
                stale.push(format!("{}: virt-what", dir.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "replay differs from the live guest (recapture with tests/guestlab/run-matrix --update-fixtures if vcap's output changed on purpose):\n  {}",
        stale.join("\n  ")
    );
}

/// In every guest the real virt-what (Debian 12's 1.25, built for the guest's architecture) ran
/// beside vcap (`virt-what.txt`): vcap as virt-what replayed on the snapshot prints the same facts,
/// unless the platform's `virt_what_differs` (kept in `guestlab.json`) says why not, and then it
/// really prints other facts.
#[test]
fn guest_snapshots_replay_to_the_real_virt_what() {
    let all = guests();
    let mut bad = Vec::new();
    let mut agree = 0;
    for dir in &all {
        restore_empty_dirs(dir);
        let root = dir.to_str().unwrap();
        let real = fs::read(dir.join("virt-what.txt"))
            .unwrap_or_else(|e| panic!("{root}: virt-what.txt (the real virt-what): {e}"));
        let meta: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("guestlab.json")).unwrap()).unwrap();
        let differs = meta.get("virt_what_differs").is_some();
        let mut out = Vec::new();
        let arg = format!("--test-root={root}");
        vcap_cli::run(["virt-what", arg.as_str()], &mut out).unwrap();
        match (out == real, differs) {
            (true, false) => agree += 1,
            (false, true) => {}
            (true, true) => bad.push(format!("{root}: agrees now, but virt_what_differs is set")),
            (false, false) => bad.push(format!(
                "{root}: the real virt-what printed {:?}, vcap as virt-what {:?}",
                String::from_utf8_lossy(&real),
                String::from_utf8_lossy(&out)
            )),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        agree >= 37,
        "only {agree} guests agree with the real virt-what"
    );
}
