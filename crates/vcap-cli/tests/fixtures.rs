//! Replays every snapshot under tests/fixtures and checks the verdict against the fixture's
//! expected.json, whose values come from the real platform (see each fixture's SOURCE.md).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    std::env::var_os("VCAP_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"))
}

/// Fixture directories that carry an expected.json, sorted.
fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    v.sort();
    v
}

fn report(dir: &Path) -> Value {
    let mut out = Vec::new();
    let code = vcap_cli::run(
        ["vcap", "--json", "--root", dir.to_str().unwrap()],
        &mut out,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert_eq!(code, 0);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn every_fixture_gets_its_expected_verdict() {
    let mut failures = Vec::new();
    let all = fixtures();
    for dir in &all {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let want: Value = serde_json::from_slice(&fs::read(dir.join("expected.json")).unwrap())
            .unwrap_or_else(|e| panic!("{name}/expected.json: {e}"));
        let got = report(dir);
        let v = &got["verdict"];
        let mut diffs = Vec::new();
        for (key, have) in [
            ("kind", &v["kind"]),
            ("hypervisor", &v["hypervisor"]),
            ("cloud", &v["cloud"]),
            ("systemd_id", &got["systemd_id"]),
            ("container", &got["container"]["systemd_id"]),
            ("cvm", &got["cvm"]["systemd_id"]),
            ("cvm_state", &got["cvm"]["state"]),
            ("cvm_technology", &got["cvm"]["technology"]),
            ("partition", &got["hyperv"]["kind"]),
        ] {
            if let Some(w) = want.get(key)
                && w != have
            {
                diffs.push(format!("{key}: expected {w}, got {have}"));
            }
        }
        if let Some(w) = want.get("conflict").and_then(Value::as_bool) {
            let have = got["conflicts"].as_array().is_some_and(|a| !a.is_empty());
            if w != have {
                diffs.push(format!(
                    "conflict: expected {w}, got {have} ({})",
                    got["conflicts"]
                ));
            }
        }
        if !diffs.is_empty() {
            failures.push(format!(
                "{name}: {}\n    summary: {}",
                diffs.join("; "),
                v["summary"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n  {}",
        failures.len(),
        all.len(),
        failures.join("\n  ")
    );
}

#[test]
fn detect_agrees_with_the_report_on_every_fixture() {
    for dir in fixtures() {
        let r = report(&dir);
        let mut out = Vec::new();
        let code = vcap_cli::run(
            ["vcap", "detect", "--root", dir.to_str().unwrap()],
            &mut out,
        )
        .unwrap();
        let id = String::from_utf8(out).unwrap();
        // The innermost layer: the container's id inside one, else the machine's.
        let innermost = if r["container"]["container"] == true {
            &r["container"]["systemd_id"]
        } else {
            &r["systemd_id"]
        };
        assert_eq!(id.trim(), innermost.as_str().unwrap(), "{}", dir.display());
        assert_eq!(code == 0, id.trim() != "none", "{}", dir.display());
        // --cvm prints the report's CVM id, with systemd-detect-virt's exit convention.
        let mut out = Vec::new();
        let code = vcap_cli::run(
            ["vcap", "detect", "--cvm", "--root", dir.to_str().unwrap()],
            &mut out,
        )
        .unwrap();
        let cvm = String::from_utf8(out).unwrap();
        assert_eq!(cvm.trim(), r["cvm"]["systemd_id"], "{}", dir.display());
        assert_eq!(code == 0, cvm.trim() != "none", "{}", dir.display());
    }
}

#[test]
fn detection_reads_nothing_the_capability_scope_adds() {
    use vcap_core::input::plan::Scope;
    // Both read a PCI function's modalias in place of its ID files where the snapshot has one
    // (the guests'), and the ID files where it has none: the same evidence either way.
    let modalias = "/sys/bus/pci/devices/*/modalias";
    let mut from_modalias = 0;
    for dir in fixtures() {
        let src = vcap_probe::Source::snapshot(&dir).unwrap();
        let full = vcap_core::detect::evidence::gather(&vcap_probe::probe_scope(&src, Scope::Full));
        let src = vcap_probe::Source::snapshot(&dir).unwrap();
        let detect =
            vcap_core::detect::evidence::gather(&vcap_probe::probe_scope(&src, Scope::Detect));
        from_modalias += detect.iter().filter(|e| e.source == modalias).count();
        assert_eq!(full, detect, "{}", dir.display());
    }
    assert!(from_modalias > 0, "no fixture exercises the modalias read");
}

#[test]
fn every_evidence_rule_in_every_fixture_is_listed_by_vcap_rules() {
    let mut out = Vec::new();
    assert_eq!(
        vcap_cli::run(["vcap", "--json", "rules"], &mut out).unwrap(),
        0
    );
    let rules: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(rules["schema"], "vcap.rules/1");
    let listed: Vec<&str> = rules["detection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for dir in fixtures() {
        for e in report(&dir)["evidence"].as_array().unwrap() {
            let id = e["rule"].as_str().unwrap().to_string();
            assert!(
                listed.contains(&id.as_str()),
                "{}: {id} is not listed",
                dir.display()
            );
            seen.insert(id);
        }
    }
    // The fixtures exercise most rows: a row no fixture reaches is listed here when it is added.
    assert!(seen.len() >= 40, "only {} rule ids seen", seen.len());
}

/// `vcap detect` and vcap as virt-what, replayed on a snapshot, answer as the real tools did in
/// the same place: the container fixtures (scripts/capture-containers) keep what
/// systemd-detect-virt printed there (no option, `--vm`, `--container`) and what virt-what
/// printed, beside vcap's own live answers.
#[test]
fn captured_containers_replay_to_the_real_tools_answers() {
    let mut n = 0;
    for dir in fixtures() {
        let Ok(sdv) = fs::read_to_string(dir.join("systemd-detect-virt.txt")) else {
            continue;
        };
        if dir.join("live-report.json").exists() {
            continue; // the guests: tests/guests.rs
        }
        let root = dir.to_str().unwrap();
        let want: Vec<&str> = sdv.lines().collect();
        assert_eq!(want.len(), 3, "{root}: systemd-detect-virt.txt");
        for (args, want) in [
            (&[][..], want[0]),
            (&["--vm"], want[1]),
            (&["--container"], want[2]),
        ] {
            let mut out = Vec::new();
            let mut argv = vec!["vcap", "detect", "--root", root];
            argv.extend_from_slice(args);
            vcap_cli::run(argv, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{want}\n"),
                "{root} {args:?}"
            );
        }
        let live = fs::read_to_string(dir.join("live-detect.txt")).unwrap();
        let mut out = Vec::new();
        vcap_cli::run(["vcap", "detect", "--root", root], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), live, "{root}: live detect");
        let mut out = Vec::new();
        let arg = format!("--test-root={root}");
        vcap_cli::run(["virt-what", arg.as_str()], &mut out).unwrap();
        let vw = String::from_utf8(out).unwrap();
        assert_eq!(
            vw,
            fs::read_to_string(dir.join("live-virt-what.txt")).unwrap(),
            "{root}"
        );
        assert_eq!(
            vw,
            fs::read_to_string(dir.join("virt-what.txt")).unwrap(),
            "{root}: the real virt-what"
        );
        n += 1;
    }
    assert!(n >= 4, "{n} container fixtures");
}

/// Every capability reason in every fixture's report names a rule `vcap rules --json` lists
/// under `capabilities`, and names the facts it read.
#[test]
fn every_capability_rule_in_every_fixture_is_listed_by_vcap_rules() {
    let mut out = Vec::new();
    assert_eq!(
        vcap_cli::run(["vcap", "--json", "rules"], &mut out).unwrap(),
        0
    );
    let rules: Value = serde_json::from_slice(&out).unwrap();
    let listed: Vec<&str> = rules["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut reasons = 0;
    for dir in fixtures() {
        let c = &report(&dir)["capabilities"];
        let mut lists: Vec<&Value> = ["interrupt_remapping", "ims", "pasid"]
            .iter()
            .map(|k| &c[k]["reasons"])
            .collect();
        lists.extend(c["dma"].as_array().unwrap().iter().map(|d| &d["reasons"]));
        for r in lists.into_iter().flat_map(|l| l.as_array().unwrap()) {
            let id = r["rule"]
                .as_str()
                .unwrap_or_else(|| panic!("{r} has no rule"));
            assert!(
                listed.contains(&id),
                "{}: capability rule {id} is not listed",
                dir.display()
            );
            assert!(!r["text"].as_str().unwrap().is_empty(), "{r}");
            assert!(
                !r["facts"].as_array().unwrap().is_empty(),
                "{id} read no fact: {r}"
            );
            seen.insert(id.to_string());
            reasons += 1;
        }
    }
    assert!(reasons > 100, "only {reasons} reasons");
    assert!(
        seen.len() >= 30,
        "only {} capability rule ids seen",
        seen.len()
    );
}
