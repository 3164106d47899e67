//! QEMU as the peer of the `-cpu` writer: the `qemu-system-x86_64` `tests/guestlab/setup-host`
//! installs (QEMU 10.0 from bookworm-backports; `scripts/setup` runs it) is asked which CPU
//! models it has (`-cpu help`) and is started (TCG, stopped before the first instruction, then
//! `quit`) with the `-cpu` values vcap writes. The test fails when
//! - a libvirt model outside `QEMU_NO_MODEL` is not a QEMU model or alias, or one inside is;
//! - QEMU refuses a feature vcap may write, or accepts one of `QEMU_NO_PROPERTY`;
//! - QEMU refuses the `-cpu` value vcap writes for any of libvirt's 26 real CPUs
//!   (`fixtures/libvirt/`), or for their baseline per vendor;
//! - `tables/qemu_models.rs` is not what QEMU's `query-cpu-model-expansion` says of its models;
//! - QEMU's expansion of the `-cpu` value vcap writes is not the CPU's features (every CPUID
//!   feature vcap reads and QEMU can set, VMM-owned bits aside).
//!
//! `enforce` is left out when starting QEMU: under TCG (no KVM needed) it would refuse every
//! feature TCG does not emulate, which is a statement about TCG, not about the value.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::collections::BTreeSet;

use vcap_regs::libvirt::{
    self, CpuDef, FEATURES, Feature, MODELS, Policy, QEMU_NO_MODEL, QEMU_NO_PROPERTY,
};
use vcap_regs::tables::cpuid::TABLE;
use vcap_regs::tables::qemu_models;
use vcap_regs::{Baseline, RegSet, input};

fn qemu() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("qemu-system-x86_64"))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "qemu-system-x86_64 is missing: CI installs it (scripts/setup, tests/guestlab/setup-host)"
        );
        eprintln!("skipped: no qemu-system-x86_64 on PATH (tests/guestlab/setup-host)");
    }
    found
}

/// Starts QEMU with `-cpu cpu` and quits at once: Ok, or its error output.
fn start(qemu: &Path, cpu: &str) -> Result<(), String> {
    let mut child = Command::new(qemu)
        .args([
            "-machine",
            "pc",
            "-accel",
            "tcg",
            "-nodefaults",
            "-display",
            "none",
            "-S",
            "-monitor",
            "stdio",
            "-cpu",
            cpu,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // QEMU may exit before reading (a refused -cpu): a broken pipe is its answer, not ours.
    let _ = child.stdin.take().unwrap().write_all(b"quit\n");
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The model names and aliases `-cpu help` lists (before "Recognized CPUID flags:").
fn qemu_models(qemu: &Path) -> Vec<String> {
    let out = Command::new(qemu).args(["-cpu", "help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let head = text.split("Recognized CPUID flags:").next().unwrap();
    head.lines()
        .skip(1)
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn fixtures() -> Vec<(String, RegSet)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/libvirt");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_str().unwrap().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let set = input::parse_cpuid_text(&text, &name).unwrap().regs;
            (name, set)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn every_libvirt_model_but_the_listed_ones_is_a_qemu_model() {
    let Some(q) = qemu() else { return };
    let have = qemu_models(&q);
    assert!(have.len() > 100, "{} names", have.len());
    for m in MODELS {
        assert_eq!(
            have.iter().any(|n| n == m.name),
            !QEMU_NO_MODEL.contains(&m.name),
            "{}",
            m.name
        );
    }
}

#[test]
fn qemu_takes_every_feature_vcap_writes_and_refuses_the_listed_ones() {
    let Some(q) = qemu() else { return };
    let writable: Vec<&str> = FEATURES
        .iter()
        .filter(|f| f.position().is_some() && !QEMU_NO_PROPERTY.contains(&f.name))
        .map(|f| f.qemu)
        .collect();
    assert!(writable.len() > 150, "{}", writable.len());
    let all = format!("qemu64,+{}", writable.join(",+"));
    start(&q, &all).unwrap_or_else(|e| panic!("{e}"));
    for n in QEMU_NO_PROPERTY {
        let f = libvirt::feature(n).unwrap();
        let e = start(&q, &format!("qemu64,+{}", f.qemu)).unwrap_err();
        assert!(e.contains("not found"), "{n}: {e}");
    }
}

#[test]
fn qemu_starts_with_the_cpu_value_vcap_writes_for_each_real_cpu() {
    let Some(q) = qemu() else { return };
    let cpus = fixtures();
    assert!(cpus.len() >= 25);
    let mut by_vendor: Vec<(&str, Baseline)> = Vec::new();
    let mut dropped_any = false;
    for (name, set) in &cpus {
        let (def, dropped) = CpuDef::for_qemu(set).unwrap();
        dropped_any |= !dropped.is_empty();
        let v = def.to_qemu().unwrap();
        let cpu = v.strip_suffix(",enforce").unwrap();
        start(&q, cpu).unwrap_or_else(|e| panic!("{name}: -cpu {cpu}: {e}"));
        let vendor = libvirt::vendor_of(set).unwrap();
        match by_vendor.iter_mut().find(|(x, _)| *x == vendor) {
            Some((_, b)) => b.add(set, name).unwrap(),
            None => {
                let mut b = Baseline::new();
                b.add(set, name).unwrap();
                by_vendor.push((vendor, b));
            }
        }
    }
    // Real hosts report OSXSAVE (the host OS enabled XSAVE): the raw dumps exercise the list.
    assert!(dropped_any);
    for (vendor, b) in by_vendor {
        let p = b.finish().unwrap().profile;
        let v = CpuDef::for_qemu(&p).unwrap().0.to_qemu().unwrap();
        let cpu = v.strip_suffix(",enforce").unwrap();
        start(&q, cpu).unwrap_or_else(|e| panic!("{vendor} baseline: -cpu {cpu}: {e}"));
    }
}

/// QEMU's answers to QMP `commands` (after `qmp_capabilities`), with `-accel accel`; `None` when
/// QEMU does not start with that accelerator (no usable /dev/kvm). `quit` is sent only once every
/// answer is read: QEMU exits at `quit` and may leave a long answer unwritten.
fn qmp(qemu: &Path, accel: &str, commands: &[String]) -> Option<Vec<serde_json::Value>> {
    use std::io::BufRead as _;
    let mut child = Command::new(qemu)
        .args([
            "-machine",
            "q35",
            "-accel",
            accel,
            "-nodefaults",
            "-display",
            "none",
            "-S",
            "-qmp",
            "stdio",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // The greeting, then the answer to qmp_capabilities: QEMU did not start if there is none.
    if lines.next().is_none() {
        let _ = child.wait();
        return None;
    }
    let mut input = String::from("{\"execute\":\"qmp_capabilities\"}\n");
    for c in commands {
        input.push_str(c);
        input.push('\n');
    }
    stdin.write_all(input.as_bytes()).unwrap();
    let mut answers = Vec::new();
    let mut returns = 0;
    for line in lines.by_ref() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v.get("return").is_some() || v.get("error").is_some() {
            returns += 1;
            if v["return"].get("model").is_some() {
                answers.push(v);
            }
            if returns == commands.len() + 1 {
                break;
            }
        }
    }
    stdin.write_all(b"{\"execute\":\"quit\"}\n").unwrap();
    drop(stdin);
    for _ in lines {}
    assert!(child.wait().unwrap().success());
    Some(answers)
}

/// The libvirt names of the CPUID features an expansion's properties turn on.
fn on(expansion: &serde_json::Value) -> BTreeSet<&'static str> {
    let props = &expansion["return"]["model"]["props"];
    FEATURES
        .iter()
        .filter(|f| matches!(f.loc, libvirt::Loc::Cpuid { .. }))
        .filter(|f| {
            [f.name, f.qemu]
                .iter()
                .any(|n| props[*n] == true || props[n.replace('_', "-")] == true)
        })
        .map(|f| f.name)
        .collect()
}

fn expansion_command(model: &str, props: &serde_json::Value) -> String {
    serde_json::json!({
        "execute": "query-cpu-model-expansion",
        "arguments": {"type": "full", "model": {"name": model, "props": props}}
    })
    .to_string()
}

#[test]
fn the_model_table_is_qemus_own_expansion() {
    let Some(q) = qemu() else { return };
    let cmds: Vec<String> = qemu_models::MODELS
        .iter()
        .map(|(m, _)| expansion_command(m, &serde_json::json!({})))
        .collect();
    let tcg = qmp(&q, "tcg", &cmds).unwrap();
    assert_eq!(tcg.len(), qemu_models::MODELS.len());
    let kvm = qmp(&q, "kvm", &cmds);
    for (i, (m, feats)) in qemu_models::MODELS.iter().enumerate() {
        let table: BTreeSet<&str> = feats.iter().copied().collect();
        let t = on(&tcg[i]);
        match &kvm {
            // Both accelerators: the table is exactly what both set.
            Some(k) => {
                let k = on(&k[i]);
                assert_eq!(table, t.intersection(&k).copied().collect(), "{m}");
            }
            // TCG only: the table is within it, and the rest is an accelerator default.
            None => {
                assert!(table.is_subset(&t), "{m}");
                for x in t.difference(&table) {
                    assert!(qemu_models::ACCEL_DEFAULTS.contains(x), "{m}: {x}");
                }
            }
        }
    }
}

/// Whether vcap's table makes the feature's bit VMM-owned.
fn vmm_owned(f: &Feature) -> bool {
    f.position().is_some_and(|(r, m)| {
        TABLE
            .fields_of(r)
            .any(|x| x.reg_mask() & m != 0 && x.prov.name() == "vmm-owned")
    })
}

/// The features of `set` the comparison covers: CPUID bits vcap reads in a register the set
/// gives, that QEMU can set and vcap does not leave to the VMM.
fn compared(f: &Feature, set: &RegSet) -> bool {
    matches!(f.position(), Some((r, _)) if set.is_known(r))
        && !QEMU_NO_PROPERTY.contains(&f.name)
        && !vmm_owned(f)
}

#[test]
fn qemu_expands_the_cpu_value_vcap_writes_to_exactly_the_cpus_features() {
    let Some(q) = qemu() else { return };
    // Each CPU as a host, as the guest vcap sanitizes from it (host-only bits such as MWAIT
    // cleared: QEMU's EPYC model sets `monitor` under TCG), and with RDRAND cleared (libvirt's
    // Haswell and Broadwell lack it, QEMU's have it); and each vendor's baseline.
    let ctx = vcap_regs::Context::new(vcap_regs::Kind::X86Cpuid);
    let rdrand = libvirt::feature("rdrand").unwrap().position().unwrap();
    let mut sets: Vec<(String, RegSet)> = Vec::new();
    for (n, s) in fixtures() {
        let g = vcap_regs::sanitize(&s, &ctx).unwrap();
        let mut no_rdrand = s;
        no_rdrand.regs[rdrand.0] &= !rdrand.1;
        sets.push((n.clone(), s));
        sets.push((format!("{n} sanitized"), g));
        sets.push((format!("{n} without rdrand"), no_rdrand));
    }
    for vendor in ["GenuineIntel", "AuthenticAMD"] {
        let mut b = Baseline::new();
        for (n, s) in fixtures() {
            if vcap_regs::tables::cpuid::vendor(&s) == vendor {
                b.add(&s, &n).unwrap();
            }
        }
        sets.push((format!("{vendor} baseline"), b.finish().unwrap().profile));
    }
    let mut cmds = Vec::new();
    for (_, set) in &sets {
        let (def, _) = CpuDef::for_qemu(set).unwrap();
        let mut props = serde_json::Map::new();
        for (n, p) in &def.features {
            let f = libvirt::feature(n).unwrap();
            props.insert(f.qemu.to_string(), (*p == Policy::Require).into());
        }
        cmds.push(expansion_command(
            def.model.as_deref().unwrap(),
            &serde_json::Value::Object(props),
        ));
    }
    for accel in ["tcg", "kvm"] {
        let Some(answers) = qmp(&q, accel, &cmds) else {
            assert_eq!(accel, "kvm", "QEMU did not start with TCG");
            eprintln!("no KVM expansion (QEMU does not start with -accel kvm here)");
            continue;
        };
        assert_eq!(answers.len(), sets.len());
        for ((name, set), a) in sets.iter().zip(&answers) {
            let want: BTreeSet<&str> = libvirt::features_of(set)
                .unwrap()
                .into_iter()
                .filter(|f| compared(f, set))
                .map(|f| f.name)
                .collect();
            let got: BTreeSet<&str> = on(a)
                .into_iter()
                .filter(|n| compared(libvirt::feature(n).unwrap(), set))
                .collect();
            assert_eq!(
                (
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>()
                ),
                (vec![], vec![]),
                "{accel} {name}: (the CPU's but not QEMU's, QEMU's but not the CPU's)"
            );
        }
    }
}
