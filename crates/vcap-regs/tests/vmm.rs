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
