//! The human report of a few fixtures, pinned as golden text under tests/golden/. A change in
//! wording shows up as a diff here; after reviewing it, `VCAP_BLESS=1 cargo test --test golden`
//! rewrites the files.

use std::path::Path;

const PINNED: &[&str] = &[
    "ec2-m5-metal-nonroot",
    "firecracker-vm",
    "xen-hvm-domu",
    "dev-machine-kvm",
];

#[test]
fn human_reports_match_their_golden_text() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut bad = Vec::new();
    for name in PINNED {
        let root = top.join("tests/fixtures").join(name);
        let mut out = Vec::new();
        vcap_cli::run(["vcap", "--root", root.to_str().unwrap()], &mut out).unwrap();
        let got = String::from_utf8(out).unwrap();
        let golden = top.join("tests/golden").join(format!("{name}.txt"));
        if std::env::var_os("VCAP_BLESS").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            let first = got.lines().zip(want.lines()).position(|(a, b)| a != b);
            bad.push(format!(
                "{name}: differs from {} (first differing line {:?})\n--- got:\n{got}",
                golden.display(),
                first.map(|i| i + 1)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
