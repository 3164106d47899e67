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
        assert_eq!(
            id.trim(),
            r["systemd_id"].as_str().unwrap(),
            "{}",
            dir.display()
        );
        assert_eq!(code == 0, id.trim() != "none", "{}", dir.display());
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
