//! The JSON Schemas under `docs/schema/` are generated from the output types (schemars, through
//! `vcap_cli::json::schemas`); this test fails when a committed one differs from the generated
//! one, and validates real outputs against them (jsonschema). After changing an output type, run
//! `VCAP_REGENERATE=1 cargo test -p vcap-cli --test schema` and commit the result.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema")
}

/// `vcap.snapshot/1` → `vcap.snapshot-1.json`.
fn file_name(schema: &str) -> String {
    format!("{}.json", schema.replace('/', "-"))
}

fn schema(name: &str) -> Value {
    vcap_cli::json::schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap()
        .1
}

fn run(args: &[&str]) -> Value {
    let mut out = Vec::new();
    let code = vcap_cli::run(args.iter().copied(), &mut out).unwrap();
    assert_eq!(code, 0, "{args:?}");
    serde_json::from_slice(&out).unwrap()
}

fn assert_valid(name: &str, instance: &Value) {
    let v = jsonschema::validator_for(&schema(name)).unwrap();
    let errors: Vec<String> = v.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    let all = vcap_cli::json::schemas();
    if std::env::var_os("VCAP_REGENERATE").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        for (name, s) in &all {
            let text = serde_json::to_string_pretty(s).unwrap() + "\n";
            std::fs::write(dir().join(file_name(name)), text).unwrap();
        }
    }
    for (name, s) in &all {
        let path = dir().join(file_name(name));
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; regenerate: VCAP_REGENERATE=1 cargo test -p vcap-cli --test schema",
                path.display()
            )
        });
        let committed: Value = serde_json::from_str(&committed).unwrap();
        assert!(
            committed == *s,
            "{} is stale; regenerate: VCAP_REGENERATE=1 cargo test -p vcap-cli --test schema",
            path.display()
        );
        assert_eq!(s["properties"]["schema"]["const"], *name);
    }
}

#[test]
fn real_outputs_follow_their_schemas() {
    let t = std::env::temp_dir().join(format!("vcap-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&t);
    let snap = t.join("snap");
    let v = run(&["vcap", "--json", "snapshot", snap.to_str().unwrap()]);
    assert_valid("vcap.snapshot/1", &v);
    assert_valid(
        "vcap.detect-list/1",
        &run(&["vcap", "detect", "--list", "--json"]),
    );
    assert_valid("vcap.rules/1", &run(&["vcap", "--json", "rules"]));
    let cvm = run(&["vcap", "detect", "--list-cvm", "--json"]);
    assert_valid("vcap.detect-list/1", &cvm);
    assert_eq!(cvm["ids"][0], "none");
    // The register commands, on real hosts of the regs fixtures (CPUID, SMMUv3, VT-d).
    let regs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vcap-regs/tests/fixtures");
    let f = |n: &str| regs.join(n).display().to_string();
    let (x, s, v) = (
        f("cpuid-xeon-gold-6252.txt"),
        f("smmuv3-qemu-default.json"),
        f("vtd-xeon-utcs-lake.json"),
    );
    let mut regs_checked = 0;
    for (name, args) in [
        ("vcap.sanitize/1", vec!["sanitize", s.as_str()]),
        ("vcap.sanitize/1", vec!["sanitize", x.as_str()]),
        ("vcap.baseline/1", vec!["baseline", s.as_str(), s.as_str()]),
        ("vcap.baseline/1", vec!["baseline", x.as_str(), x.as_str()]),
        ("vcap.baseline/1", vec!["baseline", v.as_str()]),
        ("vcap.compare/1", vec!["compare", x.as_str(), x.as_str()]),
        ("vcap.compare/1", vec!["compare", s.as_str(), v.as_str()]),
    ] {
        let mut out = Vec::new();
        let argv: Vec<&str> = ["vcap", "--json"]
            .iter()
            .copied()
            .chain(args.iter().copied())
            .collect();
        let _ = vcap_cli::run(argv, &mut out);
        if out.is_empty() {
            continue; // an error (e.g. two register files): nothing printed to check
        }
        assert_valid(name, &serde_json::from_slice(&out).unwrap());
        regs_checked += 1;
    }
    assert!(regs_checked >= 6, "{regs_checked} register outputs checked");
    // compare --vmm (a QEMU profile, refused and accepted; cloud-hypervisor's VmConfig) and the
    // Tegra241 CMDQV hw_info (8 bytes of the uAPI struct: version 1, log2vcmdqs 7, log2vsids 4).
    let scratch = std::env::temp_dir().join(format!("vcap-schema-regs-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let vm = scratch.join("vm.json");
    std::fs::write(&vm, r#"{"devices": [{"path": "/d", "iommu": true}]}"#).unwrap();
    let cmdqv = scratch.join("cmdqv.bin");
    std::fs::write(&cmdqv, [0, 0, 0, 0, 1, 7, 4, 0]).unwrap();
    let (vm, cmdqv) = (vm.display().to_string(), cmdqv.display().to_string());
    let fvp = f("smmuv3-arm-fvp-base.json");
    for (name, args) in [
        (
            "vcap.compare-vmm/1",
            vec![
                "compare",
                "--vmm",
                "qemu-arm-smmuv3-accel",
                s.as_str(),
                fvp.as_str(),
            ],
        ),
        (
            "vcap.compare-vmm/1",
            vec![
                "compare",
                "--vmm",
                "qemu-arm-smmuv3-accel",
                s.as_str(),
                s.as_str(),
            ],
        ),
        (
            "vcap.compare-vmm/1",
            vec![
                "compare",
                "--vmm",
                "cloud-hypervisor-virtio-iommu",
                vm.as_str(),
                v.as_str(),
            ],
        ),
        (
            "vcap.hw_info/1",
            vec!["sanitize", "--hw-info", "tegra241-cmdqv", cmdqv.as_str()],
        ),
    ] {
        let mut out = Vec::new();
        let argv: Vec<&str> = ["vcap", "--json"]
            .iter()
            .copied()
            .chain(args.iter().copied())
            .collect();
        vcap_cli::run(argv, &mut out).unwrap();
        assert_valid(name, &serde_json::from_slice(&out).unwrap());
    }
    let _ = std::fs::remove_dir_all(&scratch);
    // The protocol commands: a scenario run, the scenario check, and a small fleet check (its
    // exit status does not matter here, only the shape of what it prints).
    for (name, args) in [
        ("vcap.protocol-run/1", &["protocol", "run"][..]),
        ("vcap.protocol-check/1", &["protocol", "check"]),
        (
            "vcap.protocol-fleet/1",
            &["protocol", "check", "--fleet", "--hostile-budget", "1"],
        ),
    ] {
        let mut out = Vec::new();
        let argv: Vec<&str> = ["vcap", "--json"].iter().chain(args).copied().collect();
        vcap_cli::run(argv, &mut out).unwrap();
        assert_valid(name, &serde_json::from_slice(&out).unwrap());
    }
    let fixtures_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    for (fixture, args) in [
        ("dev-machine-kvm", &[][..]),
        ("dev-machine-kvm", &["-c"]),
        ("ec2-m5-metal", &["-v"]),
    ] {
        let root = fixtures_dir.join(fixture);
        let mut argv = vec!["vcap", "--json", "detect", "--root", root.to_str().unwrap()];
        argv.extend_from_slice(args);
        let mut out = Vec::new();
        vcap_cli::run(argv.iter().copied(), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_valid("vcap.detect/1", &v);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(r#"{"schema":"vcap.detect/1","vcap_version":""#),
            "{fixture} {args:?}: {text}"
        );
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    // The report of every fixture, and what vcap printed live inside every guest.
    let mut reports = 0;
    for e in std::fs::read_dir(&fixtures).unwrap().flatten() {
        let d = e.path();
        if d.join("expected.json").is_file() || d.join("expected-pending.json").is_file() {
            assert_valid(
                "vcap.report/1",
                &run(&["vcap", "--json", "--root", d.to_str().unwrap()]),
            );
            reports += 1;
        }
        if let Ok(live) = std::fs::read(d.join("live-report.json")) {
            assert_valid("vcap.report/1", &serde_json::from_slice(&live).unwrap());
            reports += 1;
        }
    }
    assert!(reports > 100, "{reports} reports");
    let mut n = 0;
    for e in std::fs::read_dir(fixtures).unwrap().flatten() {
        if e.path().join("expected.json").is_file() {
            let d = e.path();
            assert_valid(
                "vcap.facts/1",
                &run(&["vcap", "--format", "facts", "--root", d.to_str().unwrap()]),
            );
            n += 1;
        }
    }
    assert!(n > 10);
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn the_schemas_reject_what_the_contract_forbids() {
    let good = run(&["vcap", "detect", "--list", "--json"]);
    let v = jsonschema::validator_for(&schema("vcap.detect-list/1")).unwrap();
    assert!(v.is_valid(&good));
    let mut wrong_schema = good.clone();
    wrong_schema["schema"] = "vcap.detect-list/2".into();
    assert!(!v.is_valid(&wrong_schema));
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("vcap_version");
    assert!(!v.is_valid(&no_version));
    let mut bad_type = good;
    bad_type["ids"] = "kvm".into();
    assert!(!v.is_valid(&bad_type));
    let facts = jsonschema::validator_for(&schema("vcap.facts/1")).unwrap();
    let mut f = run(&["vcap", "--format", "facts"]);
    assert!(facts.is_valid(&f));
    f["dma_devices"] = (-1).into();
    assert!(!facts.is_valid(&f), "a count below zero passed");
    let report = jsonschema::validator_for(&schema("vcap.report/1")).unwrap();
    let r = run(&["vcap", "--json"]);
    assert!(report.is_valid(&r));
    for (path, bad) in [
        ("/verdict/kind", serde_json::json!("maybe")),
        ("/evidence/0/strength", serde_json::json!("very")),
        ("/capabilities/ims/verdict", serde_json::json!(true)),
        ("/container/systemd_id", serde_json::json!(null)),
    ] {
        let mut wrong = r.clone();
        *wrong.pointer_mut(path).unwrap_or_else(|| panic!("{path}")) = bad.clone();
        assert!(!report.is_valid(&wrong), "{path} = {bad} passed");
    }
    let mut no_cvm = r.clone();
    no_cvm.as_object_mut().unwrap().remove("cvm");
    assert!(!report.is_valid(&no_cvm), "a report without cvm passed");
}
