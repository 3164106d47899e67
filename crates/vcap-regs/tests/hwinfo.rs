//! iommufd `IOMMU_GET_HW_INFO` payloads: each type's struct bytes, round trips through the
//! fixtures, forward compatibility (a longer struct is read, its extra fields reported) and the
//! polarity of `out_capabilities`.

use std::collections::BTreeSet;

use vcap_regs::hwinfo::{self, Capabilities, HwInfoData, HwInfoError, HwInfoType, Tegra241Cmdqv};
use vcap_regs::{Context, DecisionKind, KernelCap, Kind, VmFlag, explain, input};

fn load(name: &str) -> vcap_regs::RegSet {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    input::parse_hosts(&std::fs::read_to_string(p).unwrap(), name).unwrap()[0].regs
}

#[test]
fn every_fixture_round_trips_through_its_struct_bytes() {
    for (f, ty, size) in [
        ("smmuv3-qemu-default.json", HwInfoType::ArmSmmuV3, 40),
        ("smmuv3-arm-fvp-base.json", HwInfoType::ArmSmmuV3, 40),
        (
            "vtd-intel-m50fcp-sapphire-rapids.json",
            HwInfoType::IntelVtd,
            24,
        ),
        ("amd-epyc-snp-host.json", HwInfoType::Amd, 16),
    ] {
        let r = load(f);
        let (t, b) = hwinfo::to_bytes(&r).unwrap();
        assert_eq!((t, b.len()), (ty, size), "{f}");
        let h = hwinfo::parse(t.value(), &b).unwrap();
        assert_eq!(h.data, HwInfoData::Registers(r), "{f}");
        assert!(
            h.trailing.is_empty() && h.nonzero_reserved.is_empty(),
            "{f}"
        );
    }
}

#[test]
fn the_offsets_are_the_uapi_headers() {
    // struct iommu_hw_info_vtd: cap_reg at 8, ecap_reg at 16.
    let mut b = vec![0u8; 24];
    b[8..16].copy_from_slice(&0x0012_008c_2226_0286u64.to_le_bytes());
    b[16..24].copy_from_slice(&0xf0_0f5au64.to_le_bytes());
    let h = hwinfo::parse(1, &b).unwrap();
    assert_eq!(h.data, HwInfoData::Registers(load("vtd-qemu-guest.json")));
    // struct iommu_hw_info_arm_smmuv3: idr[0] at 8, aidr at 36.
    let mut b = vec![0u8; 40];
    b[8..12].copy_from_slice(&0x0d44_101au32.to_le_bytes());
    b[36..40].copy_from_slice(&1u32.to_le_bytes());
    let HwInfoData::Registers(r) = hwinfo::parse(2, &b).unwrap().data else {
        panic!()
    };
    assert_eq!((r.get("IDR0"), r.get("AIDR")), (Some(0x0d44_101a), Some(1)));
    // struct iommu_hw_info_amd: efr at 0, efr2 at 8.
    let mut b = vec![0u8; 16];
    b[..8].copy_from_slice(&0x058f_77ef_2229_4a5au64.to_le_bytes());
    let h = hwinfo::parse(4, &b).unwrap();
    assert_eq!(h.data, HwInfoData::Registers(load("amd-zen-desktop.json")));
    // struct iommu_hw_info_tegra241_cmdqv: flags u32, version, log2vcmdqs, log2vsids, reserved.
    let t = Tegra241Cmdqv {
        flags: 0,
        version: 1,
        log2vcmdqs: 7,
        log2vsids: 4,
    };
    let b = hwinfo::tegra241_to_bytes(&t);
    assert_eq!(b, [0, 0, 0, 0, 1, 7, 4, 0]);
    assert_eq!(hwinfo::parse(3, &b).unwrap().data, HwInfoData::Tegra241(t));
    // PARAM: version [3:0], log2 VCMDQs [7:4], VINTFs [11:8] = 0, log2 SIDs [15:12].
    assert_eq!(t.param(), 0x4071);
}

/// A later kernel appends a field (the AMD RFC's `control_register`): read, and reported.
#[test]
fn a_larger_struct_is_read_and_its_unknown_fields_reported() {
    let r = load("amd-epyc-snp-host.json");
    let (_, mut b) = hwinfo::to_bytes(&r).unwrap();
    b.extend_from_slice(&0x8000_0000_0000_0001u64.to_le_bytes());
    b.extend_from_slice(&[0xaa, 0, 0]); // a ragged tail, zero-padded when read
    let h = hwinfo::parse(4, &b).unwrap();
    assert_eq!(h.data, HwInfoData::Registers(r));
    assert_eq!(h.trailing, vec![(16, 0x8000_0000_0000_0001), (24, 0xaa)]);
    assert_eq!(h.trailing_len, 11);
    // Zero bytes past the struct (the kernel zero-fills a larger user buffer) are not reported.
    let (_, mut z) = hwinfo::to_bytes(&r).unwrap();
    z.extend_from_slice(&[0; 64]);
    assert!(hwinfo::parse(4, &z).unwrap().trailing.is_empty());
    // Reserved fields that are set are reported, not fatal.
    let (_, mut v) = hwinfo::to_bytes(&load("vtd-qemu-guest.json")).unwrap();
    v[0] = 1; // IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17
    assert_eq!(
        hwinfo::parse(1, &v).unwrap().nonzero_reserved,
        vec![("flags", 1)]
    );
}

#[test]
fn a_shorter_struct_names_the_missing_fields_and_unknown_types_are_refused() {
    let e = hwinfo::parse(4, &[0; 8]).unwrap_err();
    assert_eq!(
        e,
        HwInfoError::Short {
            ty: "IOMMU_HW_INFO_TYPE_AMD",
            len: 8,
            size: 16,
            missing: "efr2".into()
        }
    );
    let e = hwinfo::parse(2, &[0; 30]).unwrap_err().to_string();
    assert!(e.contains("missing: idr[5], iidr, aidr"), "{e}");
    assert_eq!(hwinfo::parse(0, &[]), Err(HwInfoError::UnknownType(0)));
    assert_eq!(hwinfo::parse(9, &[0; 64]), Err(HwInfoError::UnknownType(9)));
}

#[test]
fn out_capabilities_polarity() {
    // An old kernel (no bit 3): ATS allowed. The PASID bits are ignored without a PASID width.
    let c = Capabilities::from_raw(0b0110, 0);
    assert!(c.ats_allowed && !c.pasid_exec && !c.pasid_priv && !c.dirty_tracking);
    assert_eq!(c.kernel_caps(), 0);
    let c = Capabilities::from_raw(0b1111 | (1 << 40), 20);
    assert!(!c.ats_allowed && c.pasid_exec && c.pasid_priv && c.dirty_tracking);
    assert_eq!(c.unknown, 1 << 40);
    assert_eq!(c.kernel_caps(), 0b1111);
    assert!(KernelCap::PciAtsNotSupported.is_negative());
    assert!(!KernelCap::PciPasidPriv.is_negative());
}

/// IDR0.ATS with a manifest that implements it and per-VM flag ats-devices: kept on an old
/// kernel, cleared when the kernel sets IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED.
#[test]
fn ats_not_supported_clears_ats_even_when_the_vmm_asks() {
    let host = load("smmuv3-arm-fvp-base.json"); // ATS = 1
    let t = Kind::ArmSmmuV3.table();
    let idx = t
        .fields
        .iter()
        .position(|f| t.full_name(f) == "IDR0.ATS")
        .unwrap();
    let mut ctx = Context::new(Kind::ArmSmmuV3);
    ctx.manifest
        .fields
        .insert(idx, vcap_regs::ManifestValue::Value(1));
    ctx.vm_flags = BTreeSet::from([VmFlag::AtsDevices]);
    let ats = |ctx: &Context| {
        explain(&host, ctx)
            .unwrap()
            .decisions
            .into_iter()
            .find(|d| d.field == "IDR0.ATS")
            .unwrap()
    };
    let d = ats(&ctx);
    assert_eq!((d.guest, d.decision), (1, DecisionKind::Kept));
    ctx.kernel_caps = Capabilities::from_raw(1 << 3, 0).kernel_caps();
    let d = ats(&ctx);
    assert_eq!((d.guest, d.decision), (0, DecisionKind::Cleared));
    assert!(
        d.reason.contains("IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED"),
        "{}",
        d.reason
    );
}
