//! `vcap protocol check` and `run` end to end, in process.

fn vcap(args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let code = vcap_cli::run(args.iter().copied(), &mut out).expect("vcap ran");
    (code, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn check_json_has_exactly_the_documented_shape() {
    let (code, s) = vcap(&["vcap", "protocol", "check", "--json"]);
    assert_eq!(code, 0, "{s}");
    let v: serde_json::Value = serde_json::from_str(&s).expect("JSON");
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["matrix", "properties", "schema", "states", "vcap_version"]
    );
    assert_eq!(v["schema"], "vcap.protocol-check/1");
    assert_eq!(v["states"], 13_493);
    let props = v["properties"].as_array().unwrap();
    let names: Vec<&str> = props.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "no silent failure",
            "old guests behave exactly as today",
            "IMS never on the vector domain or an unnegotiated vIR",
            "both sides agree on the scheme",
            "isolation",
            "no leaked entries or quota, quotas never exceeded",
            "negotiated features enforced",
            "hostile requests that must fail do fail",
            "IMS granted",
            "IMS refused",
            "fallback taken",
            "hostile request refused",
        ]
    );
    for p in props {
        let mut k: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort();
        assert_eq!(k, ["holds", "kind", "name"]);
        assert_eq!(p["holds"], true, "{p}");
        assert!(p["kind"] == "always" || p["kind"] == "sometimes");
    }
    let matrix = v["matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), 128);
    // The combinations where IMS is granted to a guest: new guest, new (or Hyper-V root
    // partition) host, IR.
    let granted: Vec<_> = matrix
        .iter()
        .filter(|r| r["env"] == "guest" && r["outcome"].as_str().unwrap().contains("IMS granted"))
        .collect();
    assert_eq!(
        granted.len(),
        4,
        "IMS-devmem and IMS-sysmem under new/new/IR and new/hyper-v/IR"
    );
    assert!(granted.iter().all(|r| r["guest"] == "new"
        && (r["hypervisor"] == "new" || r["hypervisor"] == "hyper-v")
        && r["hardware"] == "IR"));
}

#[test]
fn check_text_reports_states_time_and_each_property() {
    let (code, s) = vcap(&["vcap", "protocol", "check", "--hostile-budget", "1"]);
    assert_eq!(code, 0, "{s}");
    assert!(s.contains("matrix (128 combinations"), "{s}");
    assert!(s.contains("states/s"), "{s}");
    assert!(s.contains("always     holds          isolation"), "{s}");
    assert!(
        s.contains("sometimes  reached        fallback taken"),
        "{s}"
    );
    assert!(s.contains("result: PASS"), "{s}");
}

#[test]
fn run_json_and_bad_arguments() {
    let (code, s) = vcap(&[
        "vcap", "protocol", "run", "--device", "msix", "--guest", "old", "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["outcome"]["path"], "trapped compat write, host remaps");
    assert_eq!(v["interrupts"].as_array().unwrap().len(), 2);
    let mut out = Vec::new();
    let e = vcap_cli::run(["vcap", "protocol", "run", "--device", "pcie"], &mut out).unwrap_err();
    assert!(e.to_string().contains("--device"), "{e}");
}
