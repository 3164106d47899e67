//! vcap as a drop-in for systemd-detect-virt: every option combination, run through a link named
//! `systemd-detect-virt`, against the real systemd-detect-virt on the same machine in the same
//! run (standard output and exit status must be equal). Where the real tool is missing (not a
//! systemd machine) the comparison is skipped and says so; CI's machines have systemd 252.

use std::path::{Path, PathBuf};
use std::process::Command;

fn vcap() -> &'static str {
    env!("CARGO_BIN_EXE_vcap")
}

/// A `systemd-detect-virt` link to the vcap binary, made once for all the tests of this file
/// (they run in parallel threads of one process).
fn linked() -> PathBuf {
    static LINK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LINK.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vcap-dropin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("systemd-detect-virt");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(vcap(), &link).unwrap();
        link
    })
    .clone()
}

fn real() -> Option<&'static str> {
    ["/usr/bin/systemd-detect-virt", "/bin/systemd-detect-virt"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// The options systemd-detect-virt 252 takes, alone and combined (the last mode given counts;
/// short options bundle).
const LINES: &[&[&str]] = &[
    &[],
    &["-v"],
    &["--vm"],
    &["-c"],
    &["--container"],
    &["-q"],
    &["--quiet"],
    &["-qv"],
    &["-qc"],
    &["-vq"],
    &["-cv"],
    &["-vc"],
    &["-c", "-v"],
    &["--vm", "--container"],
    &["-v", "-q"],
    &["--list"],
    &["-r"],
    &["--chroot"],
    &["-rq"],
    &["--private-users"],
    &["--private-users", "-q"],
    &["-c", "--private-users"],
    &["--private-users", "-v"],
    // systemd stops at the first option that answers at once: what follows is not read.
    &["--list", "--bogus"],
    &["--bogus", "--list"],
    &["x", "--list"],
    &["--list", "x"],
    &["-qh"],
    &["-hq"],
    &["--", "--list"],
    &["-c", "--list", "-v"],
];

/// systemd-detect-virt 252's options.
const OPTIONS_252: &[&str] = &[
    "-v",
    "--vm",
    "-c",
    "--container",
    "-r",
    "--chroot",
    "--private-users",
    "-q",
    "--quiet",
    "--list",
    "-h",
    "--version",
];

/// Every option line of one or two of `options`, in both orders and twice over, and every
/// bundle of two or three of the short options `-v -c -r -q`: 209 lines for 252's options.
fn every_combination(options: &[&str]) -> Vec<Vec<String>> {
    const SHORT: &[char] = &['v', 'c', 'r', 'q'];
    let mut lines: Vec<Vec<String>> = vec![Vec::new()];
    for a in options {
        lines.push(vec![a.to_string()]);
        for b in options {
            lines.push(vec![a.to_string(), b.to_string()]);
        }
    }
    for a in SHORT {
        for b in SHORT {
            lines.push(vec![format!("-{a}{b}")]);
            for c in SHORT.iter().filter(|c| ![a, b].contains(c)) {
                lines.push(vec![format!("-{a}{b}{c}")]);
            }
        }
    }
    lines
}

/// Runs every line through `real` (with `env`) and through vcap's link; the differences.
fn differences(real: &Path, env: &[(&str, &Path)], lines: &[Vec<String>]) -> Vec<String> {
    let link = linked();
    let mut diffs = Vec::new();
    for args in lines {
        let want = Command::new(real)
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        let got = Command::new(&link).args(args).output().unwrap();
        let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
        let (want_help, want_version) = (
            text(&want).starts_with("systemd-detect-virt [OPTIONS...]"),
            text(&want).starts_with("systemd "),
        );
        if want_help || want_version {
            // Help and version are each tool's own text: vcap must print the one systemd
            // printed (the first of the options that answer at once), and exit 0 as it does.
            let (got_help, got_version) = (
                text(&got).starts_with("Print one systemd-detect-virt identifier"),
                text(&got).starts_with("vcap"),
            );
            if (want_help, want_version) != (got_help, got_version)
                || want.status.code() != got.status.code()
            {
                diffs.push(format!(
                    "{args:?}: systemd-detect-virt printed its {} (exit {:?}); vcap {:?} (exit {:?})",
                    if want_help { "help" } else { "version" },
                    want.status.code(),
                    text(&got).lines().next(),
                    got.status.code()
                ));
            }
            continue;
        }
        let mut want_out = text(&want);
        if want_out.starts_with("none\nsev\n") && !want_out.contains("cca\n") {
            // systemd added `cca` to its list after 254 (src/basic/confidential-virt.c,
            // CONFIDENTIAL_VIRTUALIZATION_CCA); vcap lists today's ids.
            want_out.push_str("cca\n");
        }
        if want_out != text(&got) || want.status.code() != got.status.code() {
            diffs.push(format!(
                "{args:?}: systemd-detect-virt {want_out:?} exit {:?}; vcap {:?} exit {:?} ({})",
                want.status.code(),
                text(&got),
                got.status.code(),
                String::from_utf8_lossy(&got.stderr).trim(),
            ));
        }
    }
    diffs
}

#[test]
fn every_option_combination_answers_as_systemd_detect_virt_does() {
    let Some(real) = real() else {
        eprintln!("skipped: no systemd-detect-virt on this machine");
        return;
    };
    let lines: Vec<Vec<String>> = LINES
        .iter()
        .map(|l| l.iter().map(|s| s.to_string()).collect())
        .chain(every_combination(OPTIONS_252))
        .collect();
    let diffs = differences(Path::new(real), &[], &lines);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// systemd 254 from bookworm-backports, unpacked by scripts/setup (not installed): the first
/// systemd-detect-virt with `--cvm` and `--list-cvm`. Its binary and its libsystemd-shared's
/// directory, or `None` when setup could not fetch it.
fn systemd_backports() -> Option<(PathBuf, PathBuf)> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/guestlab/cache/systemd-backports");
    let bin = dir.join("usr/bin/systemd-detect-virt");
    let lib = dir.join("usr/lib/x86_64-linux-gnu/systemd");
    (bin.exists() && lib.exists()).then_some((bin, lib))
}

#[test]
fn every_option_combination_with_cvm_answers_as_systemd_254_does() {
    let Some((real, lib)) = systemd_backports() else {
        eprintln!("skipped: scripts/setup did not unpack systemd from bookworm-backports");
        return;
    };
    let version = Command::new(&real)
        .env("LD_LIBRARY_PATH", &lib)
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("systemd 25"), "{version}");
    let options: Vec<&str> = OPTIONS_252
        .iter()
        .copied()
        .chain(["--cvm", "--list-cvm"])
        .collect();
    let mut lines = every_combination(&options);
    lines.extend(
        LINES
            .iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect()),
    );
    let diffs = differences(&real, &[("LD_LIBRARY_PATH", &lib)], &lines);
    assert!(
        diffs.is_empty(),
        "against {}: {}",
        version.lines().next().unwrap_or(""),
        diffs.join("\n")
    );
}

#[test]
fn vcap_detect_takes_the_same_options_under_its_own_name() {
    let Some(real) = real() else {
        eprintln!("skipped: no systemd-detect-virt on this machine");
        return;
    };
    for args in LINES
        .iter()
        // The chroot check fails in this container (PID 1's root is not readable): an error,
        // whose exit status is vcap's own 2 under its own name.
        .filter(|a| !a.iter().any(|x| ["-r", "-rq", "--chroot"].contains(x)))
        // Under its own name vcap reads every option (its own --json and --root may follow
        // --list), where systemd stops at the first that answers at once.
        .filter(|a| a.len() == 1 || !a.iter().any(|x| ["--list", "-h", "-qh", "-hq"].contains(x)))
    {
        let want = Command::new(real).args(*args).output().unwrap();
        let got = Command::new(vcap())
            .arg("detect")
            .args(*args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&want.stdout);
        if text.starts_with("systemd-detect-virt [OPTIONS...]") || text.starts_with("systemd ") {
            // Help and version: each tool's own text (compared through the link above).
            continue;
        }
        if !want.stderr.is_empty() {
            // An error (an unknown option, an argument): vcap's own exit status 2 here.
            assert_eq!(
                (got.stdout.len(), got.status.code()),
                (0, Some(2)),
                "vcap detect {args:?}"
            );
            continue;
        }
        assert_eq!(
            (String::from_utf8_lossy(&got.stdout), got.status.code()),
            (String::from_utf8_lossy(&want.stdout), want.status.code()),
            "vcap detect {args:?}"
        );
    }
}

#[test]
fn errors_exit_1_as_systemd_detect_virt_and_2_as_vcap() {
    let link = linked();
    let o = Command::new(&link)
        .arg("takes-no-arguments")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("systemd-detect-virt: "));
    let o = Command::new(vcap())
        .args(["detect", "takes-no-arguments"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn list_holds_every_machine_and_container_id_and_cvm_answers() {
    let o = Command::new(vcap())
        .args(["detect", "--list"])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    let ids: Vec<&str> = text.lines().collect();
    for id in [
        "none",
        "kvm",
        "microsoft",
        "vm-other",
        "docker",
        "podman",
        "wsl",
        "container-other",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    assert_eq!(ids.len(), 31, "systemd 252 lists 31 ids");
    let o = Command::new(vcap())
        .args(["detect", "--list-cvm"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "none\nsev\nsev-es\nsev-snp\ntdx\nprotvirt\ncca\n"
    );
    // An answer, not an error: the report's CVM section's systemd id, exit 0 unless `none`
    // (systemd-detect-virt 254+'s convention; 252 here has no --cvm to compare with).
    let o = Command::new(vcap())
        .args(["detect", "--cvm"])
        .output()
        .unwrap();
    let id = String::from_utf8(o.stdout).unwrap();
    let id = id.trim_end();
    assert!(
        ["none", "sev", "sev-es", "sev-snp", "tdx", "protvirt", "cca"].contains(&id),
        "{id:?}"
    );
    assert_eq!(o.status.code(), Some(u8::from(id == "none").into()));
    let r = Command::new(vcap()).arg("--json").output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["cvm"]["systemd_id"], id);
}

/// In a real user namespace (`unshare -U`, util-linux), where the kernel gives a partial map.
#[test]
fn private_users_in_a_real_user_namespace_agrees_with_systemd() {
    let Some(real) = real() else {
        eprintln!("skipped: no systemd-detect-virt on this machine");
        return;
    };
    let link = linked();
    let run = |tool: &str, args: &[&str]| {
        Command::new("unshare")
            .args(["-U", "--map-root-user", tool])
            .args(args)
            .output()
    };
    let Ok(probe) = run(real, &["--private-users"]) else {
        eprintln!("skipped: no unshare");
        return;
    };
    if String::from_utf8_lossy(&probe.stderr).contains("unshare failed") {
        eprintln!("skipped: user namespaces are not allowed here");
        return;
    }
    for args in [
        &["--private-users"][..],
        &["-q", "--private-users"],
        &[],
        &["-c"],
    ] {
        let want = run(real, args).unwrap();
        let got = run(link.to_str().unwrap(), args).unwrap();
        assert_eq!(
            (String::from_utf8_lossy(&got.stdout), got.status.code()),
            (String::from_utf8_lossy(&want.stdout), want.status.code()),
            "unshare -U {args:?}"
        );
    }
    assert_eq!(probe.status.code(), Some(0), "inside a user namespace");
}

/// A link named `virt-what` to the vcap binary, made once for the tests of this file.
fn linked_virt_what() -> PathBuf {
    static LINK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LINK.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vcap-dropin-vw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("virt-what");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(vcap(), &link).unwrap();
        link
    })
    .clone()
}

/// The real virt-what (Debian's 1.25), when this runs as root: it refuses to run otherwise.
fn real_virt_what() -> Option<&'static str> {
    let path = ["/usr/sbin/virt-what", "/usr/bin/virt-what"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let o = Command::new(path).output().ok()?;
    if String::from_utf8_lossy(&o.stderr).contains("must be run as root") {
        return None;
    }
    Some(path)
}

/// Linked as `virt-what`, vcap prints virt-what's facts for this machine (here `kvm` then
/// `docker`: a container on a KVM guest) with its exit statuses, and rejects what virt-what
/// rejects with the same message.
#[test]
fn linked_as_virt_what_it_answers_as_virt_what_does() {
    let Some(real) = real_virt_what() else {
        eprintln!("skipped: no virt-what here, or not root (virt-what runs only as root)");
        return;
    };
    let link = linked_virt_what();
    let mut diffs = Vec::new();
    for args in [
        &[][..],
        &["--"],
        &["--bogus"],
        &["x"],
        &["--test-root="],
        &["-q"],
    ] {
        let want = Command::new(real).args(args).output().unwrap();
        let got = Command::new(&link).args(args).output().unwrap();
        let failed = want.status.code() != Some(0);
        // A failing virt-what's message is its whole standard error; a working one's standard
        // error carries its tools' complaints (cat: /proc/1/environ: Permission denied), which
        // vcap has none of.
        if want.stdout != got.stdout
            || want.status.code() != got.status.code()
            || (failed && want.stderr != got.stderr)
        {
            diffs.push(format!(
                "{args:?}: virt-what {:?} {:?} exit {:?}; vcap {:?} {:?} exit {:?}",
                String::from_utf8_lossy(&want.stdout),
                String::from_utf8_lossy(&want.stderr).trim(),
                want.status.code(),
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&got.stderr).trim(),
                got.status.code(),
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// `--test-root=DIR` (virt-what's way to read another tree) reads a snapshot; `--help` and
/// `--version` exit 0 at once, whatever follows.
#[test]
fn virt_what_reads_snapshots_and_answers_help_and_version() {
    let link = linked_virt_what();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    for (dir, want) in [
        ("qemu10-q35", "qemu\n"),
        ("qemu10-arm64-virt-smmuv3", "qemu\n"),
        ("qemu10-s390x-ccw", "ibm_systemz\nibm_systemz-kvm\n"),
    ] {
        let root = fixtures.join(dir);
        let o = Command::new(&link)
            .arg(format!("--test-root={}", root.display()))
            .output()
            .unwrap();
        assert_eq!(
            (String::from_utf8_lossy(&o.stdout).as_ref(), o.status.code()),
            (want, Some(0)),
            "{dir}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = Command::new(&link)
        .args(["--version", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        env!("CARGO_PKG_VERSION")
    );
    let o = Command::new(&link).args(["--help", "x"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("virt-what [options]\n"));
    let o = Command::new(&link)
        .arg("--test-root=/nonexistent-vcap-test")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .starts_with("virt-what: --test-root=/nonexistent-vcap-test: ")
    );
}

/// Linked as `virt-what-cvm`, vcap prints that tool's confidential-VM facts (virt-what-cvm.c's
/// words), read here from the CVM fixtures with `--test-root`.
#[test]
fn linked_as_virt_what_cvm_it_prints_the_cvm_facts() {
    let dir = std::env::temp_dir().join(format!("vcap-dropin-vwc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("virt-what-cvm");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(vcap(), &link).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    for (fixture, want) in [
        ("cvm-sev-snp-kvm", "amd-sev-snp\n"),
        ("cvm-tdx-kvm", "intel-tdx\n"),
        ("cvm-hyperv-snp-paravisor", "amd-sev-snp\nhyperv-hcl\n"),
        ("cvm-protvirt-s390x", "s390-protvirt\n"),
        // virt-what-cvm's msr() reads 0 when it cannot read: nothing, where --cvm says sev.
        ("cvm-sev-nonroot", ""),
        ("dev-machine-kvm", ""),
    ] {
        let o = Command::new(&link)
            .arg(format!("--test-root={}", fixtures.join(fixture).display()))
            .output()
            .unwrap();
        assert_eq!(
            (String::from_utf8_lossy(&o.stdout).as_ref(), o.status.code()),
            (want, Some(0)),
            "{fixture}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = Command::new(&link).arg("--bogus").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("virt-what-cvm: unrecognized option"));
    let _ = std::fs::remove_dir_all(&dir);
}
