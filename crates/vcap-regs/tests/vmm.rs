//! Named VMM profiles: QEMU's own checks, in its order and words.

use vcap_regs::vmm::{self, PROFILES};
use vcap_regs::{Kind, input};

fn load(name: &str) -> vcap_regs::RegSet {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    input::parse_hosts(&std::fs::read_to_string(p).unwrap(), name).unwrap()[0].regs
}

#[test]
fn every_check_names_a_field_of_its_table() {
    for p in PROFILES {
        for c in p.checks {
            assert!(
                p.kind.table().field(c.field).is_some(),
                "{}: {}",
                p.name,
                c.field
            );
        }
    }
}

/// QEMU's default vSMMU (fixture smmuv3-qemu-default.json) on Arm's FVP SMMUv3: IDR3 0x14 has no
/// RIL (bit 10) where QEMU's 0x1404 has it, and IDR5 0x1005d lacks GRAN16K (bit 5) where QEMU's
/// 0x74 has it; every other check passes (ST_LEVEL 1 = 1, TTENDIAN 0 <= 2, TTF 3 >= 2, SIDSIZE
/// 16 >= 16, SSIDSIZE 20 >= 0, OAS 5 >= 4, ATS 1 >= 0, GRAN4K and GRAN64K 1 = 1).
#[test]
fn qemu_accel_smmuv3_on_the_fvp() {
    let p = vmm::profile("qemu-arm-smmuv3-accel").unwrap();
    let r = vmm::check(
        p,
        &load("smmuv3-qemu-default.json"),
        &load("smmuv3-arm-fvp-base.json"),
    )
    .unwrap();
    let got: Vec<(usize, &str, &str)> = r
        .iter()
        .map(|x| (x.order, x.field, x.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                6,
                "IDR3.RIL",
                "Host SMMUv3 doesn't support Range Invalidation"
            ),
            (
                10,
                "IDR5.GRAN16K",
                "Host SMMUv3 doesn't support 16K translation granule"
            ),
        ]
    );
    // The same vSMMU on itself: accepted. OAS words carry bit counts.
    let q = load("smmuv3-qemu-default.json");
    assert!(vmm::check(p, &q, &q).unwrap().is_empty());
    let mut small = q;
    small.regs[5] = (small.regs[5] & !7) | 2; // OAS 2 = 40-bit
    let r = vmm::check(p, &q, &small).unwrap();
    assert_eq!(
        r[0].message,
        "Host SMMUv3 supports only 40-bit IPA, but the vSMMU OAS implies 44-bit IPA"
    );
    assert!(vmm::check(p, &q, &load("vtd-qemu-guest.json")).is_err());
}

/// intel-iommu x-flts=on with fs1gp on a host without CAP.FS1GP (QEMU's own intel-iommu: CAP
/// 0x12008c22260286 has bit 56 clear) is refused in QEMU's words.
#[test]
fn qemu_intel_iommu_flts_fs1gp() {
    let p = vmm::profile("qemu-intel-iommu-x-flts").unwrap();
    let host = load("vtd-qemu-guest.json");
    let t = Kind::IntelVtd.table();
    let f = t.field("CAP.FS1GP").unwrap();
    let mut guest = host;
    guest.regs[f.reg] |= 1 << f.shift;
    let r = vmm::check(p, &guest, &host).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].message,
        "First stage 1GB large page is unsupported by host IOMMU"
    );
    assert!(vmm::check(p, &host, &host).unwrap().is_empty());
}

/// Tegra241 CMDQV: the vSMMU's IDR1.CMDQS is capped by the host's (uAPI kdoc). QEMU's vSMMU
/// has CMDQS 19 (IDR1 0x02730010 bits 25:21); Arm's FVP has 19 too (0x0e739d10): accepted; a
/// host with CMDQS 8 (constructed) refuses it.
#[test]
fn tegra241_cmdqv_caps_cmdqs() {
    let p = vmm::profile("iommufd-tegra241-cmdqv").unwrap();
    let q = load("smmuv3-qemu-default.json");
    assert!(
        vmm::check(p, &q, &load("smmuv3-arm-fvp-base.json"))
            .unwrap()
            .is_empty()
    );
    let small = q.with_field("IDR1.CMDQS", 8).unwrap();
    let r = vmm::check(p, &q, &small).unwrap();
    assert_eq!(r.len(), 1);
    assert!(
        r[0].message.ends_with("(host=8, vSMMU=19)"),
        "{}",
        r[0].message
    );
}

/// cloud-hypervisor's virtio-iommu (vmm::check_cloud_hypervisor): its own width check, then the
/// host aperture the kernel enforces at map time. The widths, worked from the fixtures:
/// Xeon (utcs-lake) CAP 0x…: MGAW field 47 → 48 bits, SAGAW 0b00100 (4-level, 48), no scalable
/// mode → 48. Sapphire Rapids: MGAW 56 → 57, SAGAW 0b01100 (57 widest), SMTS and FSTS set → a
/// first-stage domain's aperture skips bit 56 → 56. QEMU's intel-iommu: MGAW 38 → 39, SAGAW
/// 0b00010 → 39. FVP SMMUv3 IDR5 0x1005d: VAX (bits 11:10) 0 → 48.
#[test]
fn cloud_hypervisor_virtio_iommu_on_real_hosts() {
    let cfg = |json: &str| vmm::parse_cloud_hypervisor_config(json).unwrap();
    let default =
        cfg(r#"{"devices": [{"path": "/sys/bus/pci/devices/0000:01:00.0", "iommu": true}]}"#);
    assert_eq!(default.address_width_bits, 64);
    assert!(default.iommu);
    for (host, bits, field) in [
        ("vtd-xeon-utcs-lake.json", 48, "CAP.MGAW"),
        ("vtd-intel-m50fcp-sapphire-rapids.json", 56, "ECAP.FSTS"),
        ("vtd-qemu-guest.json", 39, "CAP.MGAW"),
        ("smmuv3-arm-fvp-base.json", 48, "IDR5.VAX"),
    ] {
        let h = load(host);
        assert_eq!(vmm::host_iova_bits(&h), Some((bits, field)), "{host}");
        let r = vmm::check_cloud_hypervisor(&default, &h).unwrap();
        assert_eq!(r.len(), 1, "{host}: {r:?}");
        assert_eq!(
            (r[0].order, r[0].field, r[0].host, r[0].guest),
            (2, field, bits, 64)
        );
        assert!(
            r[0].message
                .ends_with(&format!("iommu_address_width={bits}")),
            "{}",
            r[0].message
        );
        // At the host's width it runs; one bit more and it does not.
        let at = vmm::ChIommu {
            address_width_bits: bits,
            ..default
        };
        assert!(
            vmm::check_cloud_hypervisor(&at, &h).unwrap().is_empty(),
            "{host}"
        );
        let over = vmm::ChIommu {
            address_width_bits: bits + 1,
            ..default
        };
        assert_eq!(
            vmm::check_cloud_hypervisor(&over, &h).unwrap().len(),
            1,
            "{host}"
        );
    }
    // cloud-hypervisor's own refusal, in its words, before any host check.
    let wide = cfg(r#"{"platform": {"iommu_address_width_bits": 65}, "iommu": true}"#);
    let r = vmm::check_cloud_hypervisor(&wide, &load("vtd-qemu-guest.json")).unwrap();
    assert_eq!(
        r[0].message,
        "IOMMU address width in bits (65) should be less than or equal to 64"
    );
    // No virtio-iommu: nothing to check; iommu_segments makes one.
    let none = cfg(r#"{"cpus": {"boot_vcpus": 2}, "disks": [{"path": "/d"}]}"#);
    assert!(!none.iommu);
    assert!(
        vmm::check_cloud_hypervisor(&none, &load("vtd-qemu-guest.json"))
            .unwrap()
            .is_empty()
    );
    assert!(cfg(r#"{"platform": {"num_pci_segments": 2, "iommu_segments": [1]}}"#).iommu);
    // An SMMUv3 without the 4 KiB granule cannot back the virtio-iommu's 4 KiB pages.
    let no4k = load("smmuv3-arm-fvp-base.json")
        .with_field("IDR5.GRAN4K", 0)
        .unwrap();
    let r = vmm::check_cloud_hypervisor(
        &vmm::ChIommu {
            address_width_bits: 48,
            ..default
        },
        &no4k,
    )
    .unwrap();
    assert_eq!(
        r.iter().map(|x| x.field).collect::<Vec<_>>(),
        ["IDR5.GRAN4K"]
    );
    // Bad configs and hosts are named.
    assert!(
        vmm::parse_cloud_hypervisor_config("[1]")
            .unwrap_err()
            .contains("expected a JSON object")
    );
    assert!(
        vmm::parse_cloud_hypervisor_config(r#"{"platform": {"iommu_address_width_bits": "48"}}"#)
            .unwrap_err()
            .contains("platform.iommu_address_width_bits: expected an integer")
    );
    let amd = load("amd-zen-desktop.json");
    assert!(
        vmm::check_cloud_hypervisor(&default, &amd)
            .unwrap_err()
            .contains("checks a host VT-d or SMMUv3; this host is amd")
    );
    let _ = Kind::Amd;
}

/// Fleet-safe vIOMMU settings from a fleet's baseline, checked against every host of the fleet:
/// each on/number is no more than every host has.
#[test]
fn fleet_safe_viommu_settings_fit_every_host() {
    let fold = |names: &[&str]| {
        let mut b = vcap_regs::Baseline::new();
        for n in names {
            b.add(&load(n), n).unwrap();
        }
        b.finish().unwrap().profile
    };
    // Arm FVP base SMMUv3 alone: IDR0 0x0d44101a... has S1P, S2P, ATS; IDR3 lacks RIL; OAS 5
    // (48 bits); SSIDSIZE 20.
    let fvp = load("smmuv3-arm-fvp-base.json");
    let v = vmm::viommu_settings(&fvp).unwrap();
    assert_eq!(
        v.to_qemu(),
        "arm-smmuv3,accel=on,ril=off,ats=on,oas=48,ssidsize=20"
    );
    assert_eq!(
        v.to_libvirt(),
        "<iommu model='smmuv3'>\n  <driver accel='on' ril='off' ats='on' oas='48' ssidsize='20'/>\n</iommu>\n"
    );
    let t = Kind::ArmSmmuV3.table();
    for s in &v.settings {
        let f = t.field(s.field).unwrap();
        assert_eq!(f.get(fvp.regs[f.reg]), s.host, "{}", s.field);
    }
    // With the FVP SMMUv3.2 configuration TF-A uses (OAS 2 = 40 bits), no OAS QEMU takes fits.
    let e = vmm::viommu_settings(&fold(&[
        "smmuv3-arm-fvp-base.json",
        "smmuv3-arm-fvp-v3.2-tfa.json",
    ]))
    .unwrap_err();
    assert!(
        e.contains("IDR5.OAS is 2 (40 bits); QEMU's arm-smmuv3 takes oas=44 or 48"),
        "{e}"
    );
    // QEMU's own emulated SMMUv3 has no stage 2: accel=on cannot be backed.
    let e = vmm::viommu_settings(&load("smmuv3-qemu-default.json")).unwrap_err();
    assert!(e.contains("nested translation"), "{e}");
    // VT-d: Sapphire Rapids alone offers first-stage translation with 1 GB pages; with the older
    // Xeon in the fleet, x-flts goes (no FSTS there) and the width stays 48 (both MGAW ≥ 47).
    let spr = vmm::viommu_settings(&load("vtd-intel-m50fcp-sapphire-rapids.json")).unwrap();
    assert!(
        spr.to_qemu()
            .starts_with("intel-iommu,x-flts=on,fs1gp=on,aw-bits=48"),
        "{}",
        spr.to_qemu()
    );
    let fleet = fold(&[
        "vtd-intel-m50fcp-sapphire-rapids.json",
        "vtd-xeon-utcs-lake.json",
    ]);
    let v = vmm::viommu_settings(&fleet).unwrap();
    assert!(!v.to_qemu().contains("x-flts"), "{}", v.to_qemu());
    assert!(v.to_qemu().contains("aw-bits=48"));
    for host in [
        "vtd-intel-m50fcp-sapphire-rapids.json",
        "vtd-xeon-utcs-lake.json",
    ] {
        let h = load(host);
        let dt = Kind::IntelVtd.table().field("ECAP.DT").unwrap();
        if v.to_qemu().contains("device-iotlb=on") {
            assert_eq!(dt.get(h.regs[dt.reg]), 1, "{host}");
        }
    }
    // QEMU's intel-iommu guest (39-bit, 3-level) gets aw-bits=39.
    assert!(
        vmm::viommu_settings(&load("vtd-qemu-guest.json"))
            .unwrap()
            .to_qemu()
            .contains("aw-bits=39")
    );
}
