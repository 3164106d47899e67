//! The command line's surface as a user meets it: file names that are not UTF-8, output streams
//! that close early, `--root` misuse, help, and the machine-readable outputs. Each test runs the
//! command (in process, or the built binary where the process's streams matter) and checks what a
//! user would see.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vcap-surface-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn os(args: &[&[u8]]) -> Vec<OsString> {
    args.iter()
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect()
}

/// Runs vcap in process: (exit status, standard output, error message).
fn run_os(args: Vec<OsString>) -> (u8, Vec<u8>, String) {
    let mut out = Vec::new();
    match vcap_cli::run(args, &mut out) {
        Ok(code) => (code, out, String::new()),
        Err(e) => (e.exit_code(), out, e.to_string()),
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_vcap")
}

#[test]
fn snapshot_json_refuses_a_name_json_cannot_carry_before_writing() {
    let t = tmp("json-name");
    let dir = t.join(std::ffi::OsStr::from_bytes(b"snap\xfd"));
    let (code, out, err) = run_os(os(&[
        b"vcap",
        b"--json",
        b"snapshot",
        dir.as_os_str().as_bytes(),
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("not UTF-8"), "{err}");
    // The name in the message is the one a shell reads back: $'…\xfd'.
    assert!(err.to_lowercase().contains(r"snap\xfd'"), "{err}");
    assert!(
        !dir.exists(),
        "the snapshot was written although the command failed"
    );
}

#[test]
fn snapshot_replay_hint_can_be_pasted_back_into_a_shell() {
    let t = tmp("hint");
    let dir = t.join(std::ffi::OsStr::from_bytes(b"s\xff 'x"));
    let (code, out, err) = run_os(os(&[b"vcap", b"snapshot", dir.as_os_str().as_bytes()]));
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).expect("the hint is text, with the bytes escaped");
    let hint = out
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no `command` in {out:?}"));
    assert!(hint.starts_with("vcap --root "), "{hint}");
    // Pasted into bash (with this build's binary for `vcap`), the hint replays the snapshot.
    let pasted = Command::new("bash")
        .arg("-c")
        .arg(hint.replacen("vcap", &format!("'{}'", bin()), 1) + " detect")
        .output()
        .unwrap();
    assert!(
        pasted.status.code() == Some(0) || pasted.status.code() == Some(1),
        "{pasted:?}"
    );
    let (_, live, _) = run_os(vec![
        "vcap".into(),
        "--root".into(),
        dir.clone().into_os_string(),
        "detect".into(),
    ]);
    assert_eq!(pasted.stdout, live);
}

#[test]
fn paths_that_are_not_utf8_are_named_as_a_shell_reads_them() {
    let t = tmp("not-utf8");
    let dir = t.join(std::ffi::OsStr::from_bytes(b"d\xfe"));
    // A snapshot there replays, by --root, to the live answer.
    let (code, _, err) = run_os(os(&[b"vcap", b"snapshot", dir.as_os_str().as_bytes()]));
    assert_eq!(code, 0, "{err}");
    let detect = |root: &[u8]| run_os(os(&[b"vcap", b"detect", b"--root", root]));
    let (_, live, _) = run_os(os(&[b"vcap", b"detect"]));
    assert_eq!(detect(dir.as_os_str().as_bytes()).1, live);
    // Errors name such a path as $'…\xFE', never with a replacement character.
    let (code, _, err) = run_os(os(&[b"vcap", b"snapshot", dir.as_os_str().as_bytes()]));
    assert_eq!(code, 2);
    assert!(
        err.contains("not an empty directory") && err.contains(r"d\xFE'"),
        "{err}"
    );
    let missing = t.join(std::ffi::OsStr::from_bytes(b"m\xfd"));
    let (code, _, err) = detect(missing.as_os_str().as_bytes());
    assert_eq!(code, 2);
    assert!(
        err.contains(r"m\xFD'") && !err.contains('\u{fffd}'),
        "{err}"
    );
}

/// Runs the built binary with standard output on a pipe whose reader is already gone.
fn into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(bin())
        .args(args)
        .stdout(writer)
        .output()
        .unwrap()
}

#[test]
fn a_reader_that_goes_away_is_quiet_success() {
    let o = into_closed_pipe(&["--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // detect keeps its own answer as the exit status (0: a VM, 1: not).
    let mut out = Vec::new();
    let want = vcap_cli::run(["vcap", "detect"], &mut out).unwrap();
    let o = into_closed_pipe(&["detect"]);
    assert_eq!(o.status.code(), Some(i32::from(want)), "{o:?}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // So is help, which is written the same way.
    let o = into_closed_pipe(&["--help"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn sh(script: &str, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_is_an_error_and_dev_null_in_any_mode_is_not() {
    let o = sh(r#"exec "$0" "$@" >/dev/full"#, &["detect"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).starts_with("vcap: writing output: "),
        "{o:?}"
    );
    // `>/dev/null`, `1<>/dev/null` (as Python's subprocess.DEVNULL opens it) and a closed
    // descriptor (which Rust's runtime reopens read-write on /dev/null) all discard the
    // output: `detect` keeps its own answer as the exit status.
    let mut out = Vec::new();
    let want = i32::from(vcap_cli::run(["vcap", "detect"], &mut out).unwrap());
    for script in [
        r#"exec "$0" "$@" >/dev/null"#,
        r#"exec "$0" "$@" 1<>/dev/null"#,
        r#"exec "$0" "$@" >&-"#,
    ] {
        let o = sh(script, &["detect"]);
        assert_eq!(o.status.code(), Some(want), "{script}: {o:?}");
        assert!(o.stderr.is_empty(), "{script}: {o:?}");
    }
    let o = Command::new(bin())
        .arg("--json")
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

fn run(args: &[&str]) -> (u8, String, String) {
    let (code, out, err) = run_os(args.iter().map(OsString::from).collect());
    (code, String::from_utf8(out).unwrap(), err)
}

#[test]
fn root_slash_is_the_live_system() {
    let same = |a: &[&str], b: &[&str]| {
        let (x, y) = (run(a), run(b));
        assert!(x == y, "{a:?} and {b:?} differ:\n{x:?}\n{y:?}");
    };
    same(&["vcap", "--json"], &["vcap", "--json", "--root", "/"]);
    same(&["vcap", "detect"], &["vcap", "--root", "/", "detect"]);
    // Spelled differently, or after the command, it is still the root directory.
    same(&["vcap", "detect"], &["vcap", "detect", "--root", "/."]);
    same(&["vcap", "detect"], &["vcap", "detect", "--root", "//"]);
}

#[test]
fn root_that_is_not_a_snapshot_is_an_error_saying_what_it_is() {
    let empty = tmp("not-a-snapshot");
    for args in [
        vec!["vcap", "--root", empty.to_str().unwrap()],
        vec!["vcap", "detect", "--root", empty.to_str().unwrap()],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains("not a snapshot"), "{err}");
        assert!(err.contains(empty.to_str().unwrap()), "{err}");
    }
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let (code, _, err) = run(&["vcap", "--root", readme]);
    assert_eq!(code, 2);
    assert!(err.contains("is a file, not a directory"), "{err}");
    let (code, _, err) = run(&["vcap", "detect", "--root", "/nonexistent/vcap-x"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file or directory"), "{err}");
    // A snapshot vcap wrote is, of course, accepted.
    let snap = empty.join("snap");
    assert_eq!(run(&["vcap", "snapshot", snap.to_str().unwrap()]).0, 0);
    assert_eq!(
        run(&["vcap", "--root", snap.to_str().unwrap(), "detect"]).1,
        run(&["vcap", "detect"]).1
    );
}

#[test]
fn root_belongs_only_to_the_commands_that_read_a_system() {
    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vcap-regs/tests/fixtures/smmuv3-qemu-default.json"
    );
    let refused: &[&[&str]] = &[
        &["baseline", f],
        &["compare", f, f],
        &["protocol", "check"],
        &["protocol", "run"],
        &["sanitize", f],
        &["detect", "--list"],
    ];
    for args in refused {
        for before in [true, false] {
            let mut line = vec!["vcap"];
            if before {
                line.extend(["--root", "/tmp"]);
                line.extend_from_slice(args);
            } else {
                line.extend_from_slice(args);
                line.extend(["--root", "/tmp"]);
            }
            let (code, out, err) = run(&line);
            assert_eq!(code, 2, "{line:?}: {out}");
            assert!(err.contains("--root"), "{line:?}: {err}");
        }
        // Nor is it offered in their help (sanitize offers it for --live, detect without --list).
        if args[0] == "sanitize" || args[0] == "detect" {
            continue;
        }
        let mut help = vec!["vcap"];
        help.extend(
            args.iter()
                .take_while(|a| !a.starts_with('/') && !a.starts_with('-')),
        );
        help.push("--help");
        let (_, text, _) = run(&help);
        assert!(!text.contains("--root"), "{help:?}: {text}");
    }
    for args in [
        &["vcap", "--help"][..],
        &["vcap", "detect", "--help"],
        &["vcap", "snapshot", "--help"],
        &["vcap", "sanitize", "--help"],
    ] {
        assert!(run(args).1.contains("--root"), "{args:?}");
    }
    let (code, _, err) = run(&["vcap", "--root", "/", "detect", "--root", "/"]);
    assert_eq!(code, 2);
    assert!(err.contains("twice"), "{err}");
}

/// The envelope's two keys, first and in this order, as the text shows them.
fn assert_envelope(text: &str, schema: &str) {
    let v = vcap_cli::json::VCAP_VERSION;
    let line = format!("{{\"schema\":\"{schema}\",\"vcap_version\":\"{v}\",");
    let pretty = format!("{{\n  \"schema\": \"{schema}\",\n  \"vcap_version\": \"{v}\",\n");
    assert!(
        text.starts_with(&line) || text.starts_with(&pretty),
        "not in the {schema} envelope: {}",
        &text[..text.len().min(200)]
    );
    serde_json::from_str::<serde_json::Value>(text).expect("one JSON object");
}

#[test]
fn json_outputs_start_with_schema_and_vcap_version() {
    assert_eq!(vcap_cli::json::VCAP_VERSION, env!("CARGO_PKG_VERSION"));
    let t = tmp("json");
    let dir = t.join("snap");
    let (code, out, err) = run(&["vcap", "--json", "snapshot", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_envelope(&out, "vcap.snapshot/1");
    assert!(out.ends_with("}\n") && out.lines().count() == 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dir"], dir.to_str().unwrap());
    assert!(v["files"].as_u64().unwrap() > 0, "{out}");
    // Keys in the documented order: dir, files, links, unreadable.
    let at = |k: &str| out.find(&format!("\"{k}\":")).unwrap();
    assert!(at("dir") < at("files") && at("files") < at("links") && at("links") < at("unreadable"));

    let (code, out, _) = run(&["vcap", "--json", "detect", "--list"]);
    assert_eq!(code, 0);
    assert_envelope(&out, "vcap.detect-list/1");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (_, text, _) = run(&["vcap", "detect", "--list"]);
    let ids: Vec<&str> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert_eq!(ids, text.lines().collect::<Vec<_>>());

    let (code, out, _) = run(&["vcap", "protocol", "run", "--json"]);
    assert_eq!(code, 0);
    assert_envelope(&out, "vcap.protocol-run/1");
}

#[test]
fn protocol_check_json_is_in_the_envelope() {
    let (code, out, err) = run(&["vcap", "protocol", "check", "--json"]);
    assert!(code == 0 || code == 1, "{err}");
    assert_envelope(&out, "vcap.protocol-check/1");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["states"].as_u64().unwrap() > 0);
}

#[test]
fn detect_quiet_and_json_together_are_refused() {
    for args in [
        &["vcap", "--json", "detect", "--quiet"][..],
        &["vcap", "detect", "-q", "--json"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(err.contains("--quiet") && err.contains("--json"), "{err}");
    }
}

/// The human report fits the terminal (COLUMNS, else the terminal's width, else 100 columns):
/// only a single word wider than that (a long path or raw value) may stick out, never cut.
#[test]
fn the_human_report_wraps_to_the_terminal_and_loses_no_word() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut checked = 0;
    for dir in [
        "dev-machine-kvm",
        "ec2-m5-metal",
        "xen-hvm-domu",
        "qemu10-q35",
    ] {
        let root = fixtures.join(dir);
        if !root.is_dir() {
            continue;
        }
        let mut words_at = Vec::new();
        for width in [60usize, 100, 200] {
            let o = Command::new(bin())
                .args(["--root", root.to_str().unwrap()])
                .env("COLUMNS", width.to_string())
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{dir}");
            let text = String::from_utf8(o.stdout).unwrap();
            for line in text.lines() {
                let n = line.chars().count();
                assert!(
                    n <= width || !line.trim().contains(' '),
                    "{dir} at COLUMNS={width}: {n} columns: {line}"
                );
            }
            words_at.push(
                text.split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(
            words_at[0], words_at[2],
            "{dir}: wrapping changed the words"
        );
        assert_eq!(words_at[1], words_at[2], "{dir}");
        checked += 1;
    }
    assert!(checked >= 3);
}

#[test]
fn help_is_for_users_and_wraps_to_the_terminal() {
    let mut lines = vec![vec!["--help"], vec!["-h"]];
    for c in [
        "detect", "snapshot", "sanitize", "baseline", "compare", "protocol",
    ] {
        lines.push(vec![c, "--help"]);
    }
    lines.push(vec!["protocol", "check", "--help"]);
    for args in &lines {
        for width in [60usize, 80] {
            let o = Command::new(bin())
                .args(args)
                .env("COLUMNS", width.to_string())
                .env("LINES", "24")
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{args:?}");
            let text = String::from_utf8(o.stdout).unwrap();
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{args:?} at COLUMNS={width}: {} columns: {line}",
                    line.chars().count()
                );
            }
            for dev in ["thin layer", "docs/", "parses arguments"] {
                assert!(!text.contains(dev), "{args:?}: {dev:?} in\n{text}");
            }
        }
    }
    let (_, text, _) = run(&["vcap", "--help"]);
    assert!(text.contains("Exit status:"), "{text}");
}

#[test]
fn every_error_is_one_style() {
    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vcap-regs/tests/fixtures/none.json"
    );
    for args in [
        &["--hlep"][..],
        &["detect", "--nope"],
        &["--root", "/nonexistent"],
        &["compare", f, f],
    ] {
        let o = Command::new(bin()).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.starts_with("vcap: "), "{args:?}: {err}");
        assert!(!err.starts_with("vcap: error:"), "{args:?}: {err}");
        assert!(!err.contains("\nerror:"), "{args:?}: {err}");
    }
}
