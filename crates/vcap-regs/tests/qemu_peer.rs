//! QEMU as the peer of the `-cpu` writer: the `qemu-system-x86_64` `tests/guestlab/setup-host`
//! installs (QEMU 10.0 from bookworm-backports; `scripts/setup` runs it) is asked which CPU
//! models it has (`-cpu help`) and is started (TCG, stopped before the first instruction, then
//! `quit`) with the `-cpu` values vcap writes. The test fails when
//! - a libvirt model outside `QEMU_NO_MODEL` is not a QEMU model or alias, or one inside is;
//! - QEMU refuses a feature vcap may write, or accepts one of `QEMU_NO_PROPERTY`;
//! - QEMU refuses the `-cpu` value vcap writes for any of libvirt's 26 real CPUs
//!   (`fixtures/libvirt/`), or for their baseline per vendor.
//!
//! `enforce` is left out when starting QEMU: under TCG (no KVM needed) it would refuse every
//! feature TCG does not emulate, which is a statement about TCG, not about the value.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vcap_regs::libvirt::{self, CpuDef, FEATURES, MODELS, QEMU_NO_MODEL, QEMU_NO_PROPERTY};
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
