//! Each provenance produces its own decision and reason (constructed values, not a real system).

use vcap_regs::input;
use vcap_regs::sanitize::ManifestValue;
use vcap_regs::{Context, DecisionKind, Kind, Manifest, explain};

fn idx(kind: Kind, f: &str) -> usize {
    let t = kind.table();
    t.fields.iter().position(|x| t.full_name(x) == f).unwrap()
}

#[test]
fn firmware_data_fields_stay_cleared_even_when_the_vmm_implements_them() {
    // QEMU default with IDR5.STALL_MAX = 0x40 (bits 16..31).
    let host = input::regset(
        Kind::ArmSmmuV3,
        &[0x0d44_101a, 0x0273_0010, 0, 0x1404, 0, 0x0040_0074, 0, 1],
    );
    let mut ctx = Context::new(Kind::ArmSmmuV3);
    ctx.manifest
        .fields
        .insert(idx(Kind::ArmSmmuV3, "IDR5.STALL_MAX"), ManifestValue::Host);
    let e = explain(&host, &ctx).unwrap();
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "IDR5.STALL_MAX")
        .unwrap();
    assert_eq!(
        (d.host, d.guest, d.decision),
        (0x40, 0, DecisionKind::Cleared)
    );
    assert!(d.reason.contains("needs firmware data"), "{}", d.reason);
    assert_eq!(d.provenance, "firmware-data");
}

#[test]
fn base_none_implements_only_the_listed_fields() {
    let host = input::regset(
        Kind::ArmSmmuV3,
        &[0x0d44_101a, 0x0273_0010, 0, 0x1404, 0, 0x74, 0, 1],
    );
    let mut ctx = Context::new(Kind::ArmSmmuV3);
    ctx.manifest = Manifest {
        kind: Kind::ArmSmmuV3,
        baseline: false,
        fields: [(
            idx(Kind::ArmSmmuV3, "IDR1.SIDSIZE"),
            ManifestValue::Value(8),
        )]
        .into(),
    };
    let e = explain(&host, &ctx).unwrap();
    let get = |f: &str| e.decisions.iter().find(|d| d.field == f).unwrap().clone();
    let sid = get("IDR1.SIDSIZE");
    assert_eq!(
        (sid.host, sid.guest, sid.decision),
        (16, 8, DecisionKind::Lowered)
    );
    let ril = get("IDR3.RIL");
    assert_eq!(
        (ril.host, ril.guest, ril.decision),
        (1, 0, DecisionKind::Cleared)
    );
    assert!(ril.reason.contains("does not implement"), "{}", ril.reason);
    // Derived and VMM-owned fields are unaffected by `base`.
    assert_eq!(get("IDR0.COHACC").guest, 1);
    assert_eq!(get("IDR1.CMDQS").guest, 19);
}

#[test]
fn an_incompatible_enum_limit_is_an_error_naming_the_field() {
    // Host big-endian only (TTENDIAN 3), VMM limited to little-endian (2): no common value.
    let host = input::regset(Kind::ArmSmmuV3, &[3 << 21, 0, 0, 0, 0, 0, 0, 0]);
    let mut ctx = Context::new(Kind::ArmSmmuV3);
    ctx.manifest.fields.insert(
        idx(Kind::ArmSmmuV3, "IDR0.TTENDIAN"),
        ManifestValue::Value(2),
    );
    let err = explain(&host, &ctx).unwrap_err().to_string();
    assert!(
        err.contains("IDR0.TTENDIAN") && err.contains("enum-compat"),
        "{err}"
    );
    let plan = vcap_regs::Plan::compile(Kind::ArmSmmuV3, &ctx).unwrap();
    let mut out = vcap_regs::RegSet::zero(Kind::ArmSmmuV3);
    assert_eq!(plan.apply(&host, &mut out).unwrap_err().to_string(), err);
    // Host mixed (0) covers little-endian: lowered to 2.
    let host = input::regset(Kind::ArmSmmuV3, &[0, 0, 0, 0, 0, 0, 0, 0]);
    let e = explain(&host, &ctx).unwrap();
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "IDR0.TTENDIAN")
        .unwrap();
    assert_eq!((d.host, d.guest, d.decision), (0, 2, DecisionKind::Lowered));
}

#[test]
fn nested_virt_flag_enables_vmx_only_when_the_vmm_implements_it() {
    let mut host = vcap_regs::RegSet::zero(Kind::X86Cpuid);
    host.regs[2] = 1 << 5; // CPUID.1:ECX.VMX
    let mut ctx = Context::new(Kind::X86Cpuid);
    ctx.vm_flags.insert(vcap_regs::VmFlag::NestedVirt);
    let e = explain(&host, &ctx).unwrap();
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "CPUID.0x1.0x0.ECX.VMX")
        .unwrap();
    assert_eq!(d.guest, 0);
    assert!(d.reason.contains("does not implement"), "{}", d.reason);
    ctx.manifest.fields.insert(
        idx(Kind::X86Cpuid, "CPUID.0x1.0x0.ECX.VMX"),
        ManifestValue::Host,
    );
    let e = explain(&host, &ctx).unwrap();
    let d = e
        .decisions
        .iter()
        .find(|d| d.field == "CPUID.0x1.0x0.ECX.VMX")
        .unwrap();
    assert_eq!((d.guest, d.decision), (1, DecisionKind::Kept));
    assert!(d.reason.contains("enabled: nested-virt"), "{}", d.reason);
}
