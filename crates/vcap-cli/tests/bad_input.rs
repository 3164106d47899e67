//! Hostile and malformed snapshots: every case ends in bounded time with a report (or a clear
//! error and exit status 2), never a panic, a hang, or a read outside the snapshot.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vcap-bad-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn put(root: &Path, path: &str, content: &[u8]) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn report(root: &Path) -> Value {
    let mut out = Vec::new();
    let code = vcap_cli::run(
        ["vcap", "--json", "--root", root.to_str().unwrap()],
        &mut out,
    )
    .unwrap();
    assert_eq!(code, 0);
    serde_json::from_slice(&out).unwrap()
}

fn unreadable_reason(r: &Value, path: &str) -> String {
    r["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["source"] == path)
        .unwrap_or_else(|| panic!("{path} not listed as unreadable: {}", r["unreadable"]))["reason"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn missing_root_is_a_clear_error_with_status_2() {
    let mut out = Vec::new();
    let e = vcap_cli::run(["vcap", "--root", "/nonexistent/vcap-snapshot"], &mut out).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("/nonexistent/vcap-snapshot"), "{e}");
    let e = vcap_cli::run(
        ["vcap", "detect", "--root", "/nonexistent/vcap-snapshot"],
        &mut out,
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn a_symlink_loop_ends_and_is_reported() {
    let d = tmp("loop");
    fs::create_dir_all(d.join("sys/class/dmi")).unwrap();
    symlink("id2", d.join("sys/class/dmi/id")).unwrap();
    symlink("id", d.join("sys/class/dmi/id2")).unwrap();
    let t = Instant::now();
    let r = report(&d);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(unreadable_reason(&r, "/sys/class/dmi/id/sys_vendor").contains("too many levels"));
}

#[test]
fn links_out_of_the_snapshot_are_never_followed() {
    let d = tmp("escape");
    // A file outside the snapshot that must never be read.
    let secret = d.join("outside-secret");
    fs::write(&secret, "QEMU\n").unwrap();
    let root = d.join("snap");
    fs::create_dir_all(root.join("sys/class/dmi/id")).unwrap();
    symlink(
        "../../../../../outside-secret",
        root.join("sys/class/dmi/id/sys_vendor"),
    )
    .unwrap();
    symlink(&secret, root.join("sys/class/dmi/id/product_name")).unwrap();
    let r = report(&root);
    assert!(unreadable_reason(&r, "/sys/class/dmi/id/sys_vendor").contains("out of the snapshot"));
    assert!(
        unreadable_reason(&r, "/sys/class/dmi/id/product_name").contains("out of the snapshot")
    );
    assert!(
        !r.to_string().contains("QEMU's SMBIOS"),
        "the outside file was read"
    );
}

#[test]
fn a_huge_file_is_read_only_up_to_its_limit() {
    let d = tmp("huge");
    fs::create_dir_all(d.join("proc")).unwrap();
    let f = fs::File::create(d.join("proc/cpuinfo")).unwrap();
    f.set_len(1 << 30).unwrap(); // 1 GiB, sparse
    put(&d, "/sys/class/dmi/id/sys_vendor", b"QEMU\n");
    let t = Instant::now();
    let r = report(&d);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(r["verdict"]["kind"], "virtual-machine");
}

#[test]
fn a_fifo_is_never_opened() {
    let d = tmp("fifo");
    fs::create_dir_all(d.join("sys/class/dmi/id")).unwrap();
    let st = Command::new("mkfifo")
        .arg(d.join("sys/class/dmi/id/product_name"))
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    let r = report(&d);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(unreadable_reason(&r, "/sys/class/dmi/id/product_name").contains("FIFO"));
}

fn malformed<'a>(r: &'a Value, rule: &str) -> &'a Value {
    r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule"] == rule && e["suggests"] == "malformed")
        .unwrap_or_else(|| panic!("no malformed {rule} evidence: {}", r["evidence"]))
}

#[test]
fn malformed_inputs_become_malformed_evidence() {
    let d = tmp("malformed");
    fs::write(
        d.join("cpuid.txt"),
        "CPU:\n   0x00000000 0x00: eax=0x0000000d ebx=junk\n",
    )
    .unwrap();
    put(&d, "/sys/firmware/dmi/entries/0-0/raw", &[0, 0x18, 0, 0]);
    put(&d, "/sys/devices/pci0000:00/0000:00:01.0/vendor", b"junk\n");
    put(
        &d,
        "/sys/devices/pci0000:00/0000:00:01.0/device",
        b"0x1000\n",
    );
    fs::create_dir_all(d.join("sys/bus/pci/devices")).unwrap();
    symlink(
        "../../../devices/pci0000:00/0000:00:01.0",
        d.join("sys/bus/pci/devices/0000:00:01.0"),
    )
    .unwrap();
    put(&d, "/sys/hypervisor/properties/features", b"not-hex\n");
    fs::write(d.join("vcap-unreadable.txt"), "relative/path oops\n").unwrap();
    let r = report(&d);
    assert!(
        malformed(&r, "cpuid.dump")["finding"]
            .as_str()
            .unwrap()
            .contains("cpuid.txt:2: ")
    );
    assert!(
        malformed(&r, "smbios.vm-bit")["finding"]
            .as_str()
            .unwrap()
            .contains("offset 0x01")
    );
    assert_eq!(
        malformed(&r, "pci.ids")["source"],
        "/sys/bus/pci/devices/0000:00:01.0/vendor"
    );
    malformed(&r, "xen.dom0-feature");
    assert!(unreadable_reason(&r, "vcap-unreadable.txt:1").contains("malformed line"));
    // Malformed input is never evidence of bare metal.
    assert_eq!(r["verdict"]["kind"], "unknown");
}

#[test]
fn an_empty_snapshot_is_unknown_not_bare_metal() {
    // A directory with nothing vcap reads is not a snapshot at all (an error, tested in
    // surface.rs); one whose only input is an empty /proc/cpuinfo says next to nothing.
    let d = tmp("empty");
    put(&d, "/proc/cpuinfo", b"");
    let r = report(&d);
    assert_eq!(r["verdict"]["kind"], "unknown");
    assert_eq!(r["systemd_id"], "none");
    assert!(r["unreadable"].to_string().contains("CPUID"));
}

/// A malformed `msr.txt` (the SEV status MSR of a snapshot) is unreadable input naming the file
/// and line; the confidential-VM answer becomes "unknown" (systemd's "sev"), never `none`.
#[test]
fn a_malformed_msr_record_names_its_line_and_leaves_the_cvm_unknown() {
    let d = tmp("msr");
    // An AMD guest whose CPU reports SEV (0x8000001F EAX[1]) under the hypervisor bit.
    put(
        &d,
        "cpuid.txt",
        b"CPU:\n   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n   \
          0x00000001 0x00: eax=0x00a00f11 ebx=0x00000800 ecx=0x80000000 edx=0x00000000\n   \
          0x80000000 0x00: eax=0x80000021 ebx=0x00000000 ecx=0x00000000 edx=0x00000000\n   \
          0x8000001f 0x00: eax=0x00000002 ebx=0x00000073 ecx=0x00000000 edx=0x00000000\n",
    );
    for (bad, why) in [
        (&b"0xc0010131 seven\n"[..], "line 1: the value"),
        (b"\xff\xfe\n", "line 1"),
        (
            b"0xc0010131 0x1\n0xc0010131 0x7\n",
            "line 2: MSR 0xc0010131 given twice",
        ),
    ] {
        put(&d, "msr.txt", bad);
        let r = report(&d);
        let why_got = unreadable_reason(&r, "MSR 0xc0010131 (/dev/cpu/0/msr)");
        assert!(
            why_got.contains("msr.txt malformed") && why_got.contains(why),
            "{why_got}"
        );
        assert_eq!(r["cvm"]["state"], "unknown");
        assert_eq!(r["cvm"]["technology"], "sev-mode-unknown");
        assert_eq!(r["cvm"]["systemd_id"], "sev");
    }
    put(&d, "msr.txt", b"0xc0010131 0x0000000000000003\n");
    let r = report(&d);
    assert_eq!(r["cvm"]["technology"], "sev-es");
    fs::remove_dir_all(&d).unwrap();
}
