//! `vcap snapshot` then `vcap --root` reproduces the report: on this machine (live), and for a
//! snapshot of a snapshot (links kept as links, unreadable files carried over).

use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vcap-replay-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let code =
        vcap_cli::run(args.iter().copied(), &mut out).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn live_report_equals_replay_of_its_snapshot() {
    let dir = tmp("live");
    let (_, live) = run(&["vcap", "--json"]);
    run(&["vcap", "snapshot", dir.to_str().unwrap()]);
    let (_, replay) = run(&["vcap", "--json", "--root", dir.to_str().unwrap()]);
    assert_eq!(live, replay);
}

/// Without root, PCI config space ends after the 64-byte header and the ACPI tables and SMBIOS
/// entry are unreadable: the live report and the replay of a snapshot taken by the same user
/// must still agree. As root, the binary is run as `nobody` through setpriv(1).
#[test]
fn unprivileged_live_report_equals_replay_of_its_snapshot() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let dir = tmp("unprivileged");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    // A copy the unprivileged user can execute (the build tree may sit in a private directory).
    let bin = dir.join("vcap");
    std::fs::copy(env!("CARGO_BIN_EXE_vcap"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let vcap = |args: &[&str]| {
        let mut c = if root.trim() == "0" {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        let out = c.args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let snap = dir.join("snap");
    let live = vcap(&["--json"]);
    vcap(&["snapshot", snap.to_str().unwrap()]);
    let (_, replay) = run(&["vcap", "--json", "--root", snap.to_str().unwrap()]);
    assert_eq!(live, replay);
    // It really ran unprivileged: no PCI function's config space was read past the header.
    assert!(!live.contains("\"config_partial\": false"), "{live}");
}

#[test]
fn snapshot_of_a_snapshot_replays_identically() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut n = 0;
    for e in std::fs::read_dir(fixtures).unwrap().flatten() {
        if !e.path().join("expected.json").is_file() {
            continue;
        }
        let src = e.path();
        let dst = tmp(&e.file_name().to_string_lossy());
        let (_, a) = run(&["vcap", "--json", "--root", src.to_str().unwrap()]);
        run(&[
            "vcap",
            "snapshot",
            dst.to_str().unwrap(),
            "--root",
            src.to_str().unwrap(),
        ]);
        let (_, b) = run(&["vcap", "--json", "--root", dst.to_str().unwrap()]);
        assert_eq!(a, b, "{}", src.display());
        n += 1;
    }
    assert!(n > 0, "no fixtures found");
}

#[test]
fn snapshot_refuses_a_non_empty_directory() {
    let dir = tmp("nonempty");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x"), "keep me").unwrap();
    let mut out = Vec::new();
    let e = vcap_cli::run(["vcap", "snapshot", dir.to_str().unwrap()], &mut out).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(std::fs::read_to_string(dir.join("x")).unwrap(), "keep me");
}
