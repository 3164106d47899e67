//! `vcap --format prometheus` and `vcap --format facts` on every fixture: rendered from the same
//! report as `vcap --json`, and agreeing with it. The metrics are checked by a small parser here
//! (names, HELP and TYPE before samples, no repeated series) and, where `promtool` is on PATH
//! (Debian's `prometheus` package, 96 MB installed: not installed by scripts/setup), by
//! `promtool check metrics` too (`VCAP_REQUIRE_PROMTOOL=1` makes its absence a failure).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn run(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    match vcap_cli::run(args.iter().copied(), &mut out) {
        Ok(c) => (c, String::from_utf8(out).unwrap(), String::new()),
        Err(e) => (
            e.exit_code(),
            String::from_utf8(out).unwrap(),
            e.to_string(),
        ),
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    v.sort();
    assert!(v.len() > 10, "fixtures not found");
    v
}

/// One sample: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses text exposition format as vcap writes it; panics on anything malformed.
fn parse(text: &str) -> Vec<Sample> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_lowercase() || c == '_' || (i > 0 && c.is_ascii_digit()))
    };
    let mut helped = BTreeSet::new();
    let mut typed = BTreeSet::new();
    let mut series = BTreeSet::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (n, help) = rest.split_once(' ').unwrap();
            assert!(name_ok(n) && n.starts_with("vcap_"), "{line}");
            assert!(!help.is_empty());
            assert!(helped.insert(n.to_string()), "HELP twice: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (n, t) = rest.split_once(' ').unwrap();
            assert_eq!(t, "gauge", "{line}");
            assert!(helped.contains(n), "TYPE before HELP: {line}");
            assert!(typed.insert(n.to_string()), "TYPE twice: {line}");
            continue;
        }
        let (head, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value: {line}"));
        let (name, labels) = match head.split_once('{') {
            None => (head, BTreeMap::new()),
            Some((n, l)) => {
                let l = l.strip_suffix('}').unwrap();
                let mut m = BTreeMap::new();
                for kv in l.split("\",") {
                    let (k, v) = kv.split_once("=\"").unwrap();
                    assert!(name_ok(k), "label name {k}: {line}");
                    m.insert(k.to_string(), v.trim_end_matches('"').to_string());
                }
                (n, m)
            }
        };
        assert!(typed.contains(name), "sample before TYPE: {line}");
        assert!(
            !name.ends_with("_total") && !name.ends_with("_count"),
            "{line}"
        );
        assert!(series.insert(head.to_string()), "series twice: {line}");
        out.push((name.to_string(), labels, value));
    }
    out
}

fn promtool(text: &str) -> Option<std::process::Output> {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn prometheus_metrics_agree_with_the_json_report() {
    let mut promtool_ran = 0;
    for dir in fixtures() {
        let d = dir.to_str().unwrap();
        let (code, json, err) = run(&["vcap", "--json", "--root", d]);
        assert_eq!(code, 0, "{d}: {err}");
        let r: Value = serde_json::from_str(&json).unwrap();
        let (code, text, err) = run(&["vcap", "--format", "prometheus", "--root", d]);
        assert_eq!(code, 0, "{d}: {err}");
        let samples = parse(&text);
        let get = |name: &'static str| samples.iter().filter(move |s| s.0 == name);
        let on: Vec<_> = get("vcap_verdict").filter(|s| s.2 == 1.0).collect();
        assert_eq!(on.len(), 1, "{d}: {text}");
        assert_eq!(
            on[0].1["kind"],
            r["verdict"]["kind"].as_str().unwrap(),
            "{d}"
        );
        assert_eq!(get("vcap_verdict").count(), 4, "{d}");
        let info: Vec<_> = get("vcap_platform_info").collect();
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].1["systemd_id"], r["systemd_id"].as_str().unwrap());
        for k in ["hypervisor", "product", "cloud"] {
            assert_eq!(
                info[0].1[k],
                r["verdict"][k].as_str().unwrap_or(""),
                "{d} {k}"
            );
        }
        for cap in ["interrupt_remapping", "ims", "pasid"] {
            let want = r["capabilities"][cap]["verdict"].as_str().unwrap();
            let set: Vec<_> = get("vcap_capability")
                .filter(|s| s.1["capability"] == cap && s.2 == 1.0)
                .collect();
            assert_eq!(set.len(), 1, "{d} {cap}");
            assert_eq!(set[0].1["state"], want, "{d} {cap}");
        }
        let dma = r["capabilities"]["dma"].as_array().unwrap();
        assert_eq!(get("vcap_dma_device").count(), dma.len(), "{d}");
        for e in dma {
            let s = get("vcap_dma_device")
                .find(|s| s.1["device"] == e["device"].as_str().unwrap())
                .unwrap();
            assert_eq!(s.1["path"], e["path"].as_str().unwrap());
            assert_eq!(s.1["translated"], e["verdict"].as_str().unwrap());
        }
        let one = |name: &'static str| get(name).next().unwrap().2;
        assert_eq!(
            one("vcap_can_host_vms") == 1.0,
            r["host"]["can_host_vms"] == true
        );
        let len = |k: &str| r[k].as_array().unwrap().len() as f64;
        assert_eq!(one("vcap_evidence_items"), len("evidence"), "{d}");
        assert_eq!(one("vcap_conflicts"), len("conflicts"), "{d}");
        assert_eq!(one("vcap_unreadable_inputs"), len("unreadable"), "{d}");
        if let Some(o) = promtool(&text) {
            promtool_ran += 1;
            assert!(
                o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
                "{d}: promtool check metrics: {o:?}"
            );
        }
    }
    if std::env::var_os("VCAP_REQUIRE_PROMTOOL").is_some() {
        assert!(
            promtool_ran > 10,
            "VCAP_REQUIRE_PROMTOOL is set and promtool did not run"
        );
    }
    if promtool_ran == 0 {
        eprintln!("promtool not on PATH: the metrics were checked by this test's parser only");
    }
}

#[test]
fn facts_are_one_flat_object_that_agrees_with_the_json_report() {
    for dir in fixtures() {
        let d = dir.to_str().unwrap();
        let (_, json, _) = run(&["vcap", "--json", "--root", d]);
        let r: Value = serde_json::from_str(&json).unwrap();
        let (code, text, err) = run(&["vcap", "--root", d, "--format", "facts"]);
        assert_eq!(code, 0, "{d}: {err}");
        let v = format!("\"vcap_version\": \"{}\",", vcap_cli::json::VCAP_VERSION);
        assert!(
            text.starts_with(&format!("{{\n  \"schema\": \"vcap.facts/1\",\n  {v}\n")),
            "{text}"
        );
        let f: Value = serde_json::from_str(&text).unwrap();
        for (k, x) in f.as_object().unwrap() {
            assert!(!x.is_array() && !x.is_object(), "{d}: {k} is not flat: {x}");
        }
        assert_eq!(f["verdict"], r["verdict"]["kind"], "{d}");
        assert_eq!(
            f["virtual_machine"],
            r["verdict"]["kind"] == "virtual-machine"
        );
        assert_eq!(f["systemd_id"], r["systemd_id"]);
        for k in ["hypervisor", "product", "cloud"] {
            assert_eq!(f[k], r["verdict"][k], "{d} {k}");
        }
        let presents: Vec<&str> = r["verdict"]["presents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(f["presents"], presents.join(","));
        assert_eq!(f["can_host_vms"], r["host"]["can_host_vms"]);
        for k in ["interrupt_remapping", "ims", "pasid"] {
            assert_eq!(f[k], r["capabilities"][k]["verdict"], "{d} {k}");
        }
        let dma = r["capabilities"]["dma"].as_array().unwrap();
        let count = |p: &dyn Fn(&Value) -> bool| dma.iter().filter(|e| p(e)).count();
        assert_eq!(f["dma_devices"], dma.len());
        assert_eq!(f["dma_translated"], count(&|e| e["verdict"] == "yes"));
        assert_eq!(f["dma_bypass"], count(&|e| e["path"] == "bypass"));
        assert_eq!(f["dma_hazards"], count(&|e| e["hazard"] == true));
        assert_eq!(f["evidence_items"], r["evidence"].as_array().unwrap().len());
        assert_eq!(f["conflicts"], r["conflicts"].as_array().unwrap().len());
        assert_eq!(
            f["unreadable_inputs"],
            r["unreadable"].as_array().unwrap().len()
        );
    }
}

#[test]
fn format_json_is_json_and_format_goes_with_the_report_only() {
    let d = fixtures()[0].to_str().unwrap().to_string();
    assert_eq!(
        run(&["vcap", "--format", "json", "--root", &d]),
        run(&["vcap", "--json", "--root", &d])
    );
    assert_eq!(
        run(&["vcap", "--format", "text", "--root", &d]),
        run(&["vcap", "--root", &d])
    );
    for args in [
        &["vcap", "--json", "--format", "facts"][..],
        &["vcap", "--format", "prometheus", "detect"],
        &["vcap", "--format", "facts", "baseline", "x.json"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            out.is_empty() && err.contains("--format"),
            "{args:?}: {err}"
        );
    }
}
