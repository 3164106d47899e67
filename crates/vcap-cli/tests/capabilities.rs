//! Issue 4: every `tests/fixtures/*/expected-capabilities.json` names the capability decisions
//! its snapshot must produce (`vcap --json --root DIR`, member `capabilities`). Only the members
//! listed are compared; `dma` and `malformed` are compared as whole lists (order and length).

use std::path::Path;

use serde_json::Value;

fn report(dir: &Path) -> Value {
    let mut out = Vec::new();
    vcap_cli::run(
        ["vcap", "--json", "--root", dir.to_str().unwrap()],
        &mut out,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    serde_json::from_slice(&out).unwrap()
}

/// Checks `want` against `got`: objects member by member (only the members `want` lists),
/// arrays element by element with equal length, scalars by equality.
fn check(path: &str, want: &Value, got: &Value, errors: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => check(&format!("{path}.{k}"), wv, gv, errors),
                    None => errors.push(format!("{path}.{k}: missing")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                errors.push(format!(
                    "{path}: expected {} entries, got {}: {}",
                    w.len(),
                    g.len(),
                    serde_json::to_string(g).unwrap()
                ));
                return;
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                check(&format!("{path}[{i}]"), wv, gv, errors);
            }
        }
        _ if want == got => {}
        _ => errors.push(format!("{path}: expected {want}, got {got}")),
    }
}

#[test]
fn fixtures_reach_their_expected_capability_decisions() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut n = 0;
    let mut errors = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let exp = dir.join("expected-capabilities.json");
        if !exp.is_file() {
            continue;
        }
        n += 1;
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&exp).unwrap()).unwrap();
        let got = report(&dir);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        check(&name, &want, &got["capabilities"], &mut errors);
    }
    assert!(n >= 6, "expected at least 6 capability fixtures, found {n}");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The decision members scripts rely on exist with the documented spellings in every report,
/// including fixtures that predate issue 4 (their inputs are simply absent).
#[test]
fn every_report_has_the_capability_members() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    for e in std::fs::read_dir(&fixtures).unwrap().flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let c = &report(&e.path())["capabilities"];
        for k in ["interrupt_remapping", "ims", "pasid"] {
            let v = c[k]["verdict"]
                .as_str()
                .unwrap_or_else(|| panic!("{k} in {e:?}"));
            assert!(["yes", "no", "unknown"].contains(&v), "{k} = {v}");
            assert!(c[k]["reasons"].is_array());
        }
        for d in c["dma"].as_array().unwrap() {
            let v = d["verdict"].as_str().unwrap();
            assert!(["yes", "no", "unknown"].contains(&v));
            assert!(d["reasons"].is_array());
        }
    }
}

/// `vcap snapshot` of a capability fixture replays to the same report: the new inputs (nested
/// `intel-iommu/*` files, config space, `driver` and `iommu_group` links, ACPI tables, groups)
/// survive the snapshot writer.
#[test]
fn capability_fixtures_survive_a_snapshot_round_trip() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut n = 0;
    for e in std::fs::read_dir(&fixtures).unwrap().flatten() {
        if !e.path().join("expected-capabilities.json").is_file() {
            continue;
        }
        n += 1;
        let dst = std::env::temp_dir().join(format!(
            "vcap-caps-rt-{}-{}",
            std::process::id(),
            e.file_name().to_string_lossy()
        ));
        let _ = std::fs::remove_dir_all(&dst);
        let mut out = Vec::new();
        vcap_cli::run(
            [
                "vcap",
                "--root",
                e.path().to_str().unwrap(),
                "snapshot",
                dst.to_str().unwrap(),
            ],
            &mut out,
        )
        .unwrap();
        let a = report(&e.path());
        let b = report(&dst);
        assert_eq!(
            a["capabilities"],
            b["capabilities"],
            "{}",
            e.path().display()
        );
        let _ = std::fs::remove_dir_all(&dst);
    }
    assert!(n >= 6);
}
