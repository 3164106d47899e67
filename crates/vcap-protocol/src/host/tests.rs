//! Host unit tests: every check on hostile arguments returns its documented status and leaves
//! the state unchanged; the trap path validates and remaps; delivery follows the hardware rules.

use super::*;
use crate::abi::{ComposeArgs, Frame, InterruptKind, Reply, Request, Status, VERSION_1, VERSION_2};
use crate::world::{DEVICE_RID, HOSTILE_RID, HOSTILE_VM};

fn cfg(hyp: Option<HypervisorGen>, hw_ir: bool, kind: InterruptKind) -> HostConfig {
    HostConfig::new(
        hyp,
        hw_ir,
        vec![VmCfg { vcpus: 2, quota: 3 }, VmCfg { vcpus: 2, quota: 1 }],
        vec![
            DeviceCfg {
                rid: DEVICE_RID,
                owner: 0,
                kind,
                size: 4,
            },
            DeviceCfg {
                rid: HOSTILE_RID,
                owner: HOSTILE_VM,
                kind,
                size: 2,
            },
        ],
        8,
    )
}

fn call(
    h: &HostState,
    c: &HostConfig,
    vm: VmId,
    version: u16,
    request: Request,
) -> (HostState, Result<Reply, Status>) {
    crate::world::call(h, c, vm, &Frame { version, request })
}

/// Both VMs negotiated v2 and switched.
fn switched(c: &HostConfig) -> HostState {
    let mut h = HostState::new(c);
    for vm in [0, HOSTILE_VM] {
        h = call(&h, c, vm, VERSION_2, Request::Query).0;
        let (n, r) = call(
            &h,
            c,
            vm,
            VERSION_2,
            Request::Switch {
                features: crate::guest::REQUIRED_FEATURES,
            },
        );
        assert!(r.is_ok(), "{r:?}");
        h = n;
    }
    h
}

fn args(kind: InterruptKind, device: u16, index: u32) -> ComposeArgs {
    ComposeArgs {
        kind,
        count: 1,
        device,
        index,
        apic_id: 0,
        vector: 0x40,
    }
}

/// Asserts `req` from `vm` fails with `want` and leaves the state untouched.
fn refused(h: &HostState, c: &HostConfig, vm: VmId, version: u16, req: Request, want: Status) {
    let (after, r) = call(h, c, vm, version, req);
    assert_eq!(r, Err(want), "{req:?}");
    assert_eq!(&after, h, "{req:?} changed the state although it failed");
}

#[test]
fn compose_rejects_each_hostile_argument_with_its_status() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::MsiX);
    let h = switched(&c);
    let v = VERSION_2;
    let hv = HOSTILE_VM;
    let k = InterruptKind::MsiX;
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(args(k, DEVICE_RID, 0)),
        Status::NotOwner,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(args(k, 0x0999, 0)),
        Status::NotOwner,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(args(InterruptKind::ImsSysMem, HOSTILE_RID, 0)),
        Status::BadKind,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(ComposeArgs {
            count: 2,
            ..args(k, HOSTILE_RID, 0)
        }),
        Status::BadCount,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(ComposeArgs {
            count: 0,
            ..args(k, HOSTILE_RID, 0)
        }),
        Status::BadCount,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(args(k, HOSTILE_RID, 2)),
        Status::BadIndex,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(args(k, HOSTILE_RID, u32::MAX)),
        Status::BadIndex,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(ComposeArgs {
            vector: 0x1f,
            ..args(k, HOSTILE_RID, 0)
        }),
        Status::BadVector,
    );
    refused(
        &h,
        &c,
        hv,
        v,
        Request::Compose(ComposeArgs {
            apic_id: 2,
            ..args(k, HOSTILE_RID, 0)
        }),
        Status::BadApicId,
    );
    refused(
        &h,
        &c,
        hv,
        VERSION_1,
        Request::Compose(args(k, HOSTILE_RID, 0)),
        Status::VersionMismatch,
    );
    // Quota: the neighbour holds one entry; the second is refused.
    let (h2, r) = call(&h, &c, hv, v, Request::Compose(args(k, HOSTILE_RID, 0)));
    assert!(matches!(r, Ok(Reply::Composed { .. })), "{r:?}");
    refused(
        &h2,
        &c,
        hv,
        v,
        Request::Compose(args(k, HOSTILE_RID, 1)),
        Status::QuotaExceeded,
    );
    refused(
        &h2,
        &c,
        hv,
        v,
        Request::Compose(args(k, HOSTILE_RID, 0)),
        Status::InUse,
    );
}

#[test]
fn header_and_negotiation_errors() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::MsiX);
    let fresh = HostState::new(&c);
    refused(
        &fresh,
        &c,
        0,
        VERSION_2,
        Request::Compose(args(InterruptKind::MsiX, DEVICE_RID, 0)),
        Status::NotNegotiated,
    );
    refused(&fresh, &c, 0, 7, Request::Query, Status::VersionMismatch);
    let (q1, r) = call(&fresh, &c, 0, VERSION_1, Request::Query);
    assert_eq!(
        r,
        Ok(Reply::Features(
            crate::abi::FEATURE_COMPOSE_MSI
                | crate::abi::FEATURE_COMPOSE_MSIX
                | crate::abi::FEATURE_COMPOSE_IMS
        ))
    );
    refused(
        &q1,
        &c,
        0,
        VERSION_2,
        Request::Switch { features: 1 },
        Status::VersionMismatch,
    );
    refused(
        &q1,
        &c,
        0,
        VERSION_1,
        Request::Switch {
            features: crate::abi::FEATURE_RETARGET,
        },
        Status::UnsupportedFeature,
    );
    refused(
        &q1,
        &c,
        0,
        VERSION_1,
        Request::Compose(args(InterruptKind::MsiX, DEVICE_RID, 0)),
        Status::WrongScheme,
    );
    let (s1, r) = call(&q1, &c, 0, VERSION_1, Request::Switch { features: 3 });
    assert_eq!(r, Ok(Reply::Switched(3)));
    refused(
        &s1,
        &c,
        0,
        VERSION_1,
        Request::Switch { features: 3 },
        Status::AlreadySwitched,
    );
    refused(
        &s1,
        &c,
        0,
        VERSION_1,
        Request::Retarget {
            handle: 0,
            apic_id: 0,
            vector: 0x40,
        },
        Status::UnknownOp,
    );
    refused(
        &s1,
        &c,
        0,
        VERSION_1,
        Request::Free { handle: 0 },
        Status::NoSuchHandle,
    );
    refused(
        &s1,
        &c,
        0,
        VERSION_1,
        Request::Free { handle: 1 << 20 },
        Status::NoSuchHandle,
    );
    refused(
        &s1,
        &c,
        0,
        VERSION_2,
        Request::Query,
        Status::AlreadySwitched,
    );
}

#[test]
fn old_rejecting_and_no_ir_hosts() {
    for hyp in [None, Some(HypervisorGen::Old)] {
        let c = cfg(hyp, true, InterruptKind::MsiX);
        refused(
            &HostState::new(&c),
            &c,
            0,
            VERSION_2,
            Request::Query,
            Status::NotImplemented,
        );
    }
    let c = cfg(Some(HypervisorGen::NewRejecting), true, InterruptKind::MsiX);
    let q = call(&HostState::new(&c), &c, 0, VERSION_2, Request::Query).0;
    refused(
        &q,
        &c,
        0,
        VERSION_2,
        Request::Switch { features: 7 },
        Status::Rejected,
    );
    let c = cfg(Some(HypervisorGen::New), false, InterruptKind::MsiX);
    let (q, r) = call(&HostState::new(&c), &c, 0, VERSION_2, Request::Query);
    assert_eq!(r, Ok(Reply::Features(0)), "no IR, nothing offered");
    refused(
        &q,
        &c,
        0,
        VERSION_2,
        Request::Switch { features: 0 },
        Status::Rejected,
    );
}

#[test]
fn index_bounds_per_storage_type() {
    for (kind, ok_index, bad_index) in [
        (InterruptKind::Msi, 0, 1),
        (InterruptKind::MsiX, 3, 4),
        (InterruptKind::ImsDevMem, 3, 4),
        (InterruptKind::ImsSysMem, 3, 4),
    ] {
        let c = cfg(Some(HypervisorGen::New), true, kind);
        let h = switched(&c);
        refused(
            &h,
            &c,
            0,
            VERSION_2,
            Request::Compose(args(kind, DEVICE_RID, bad_index)),
            Status::BadIndex,
        );
        let (_, r) = call(
            &h,
            &c,
            0,
            VERSION_2,
            Request::Compose(args(kind, DEVICE_RID, ok_index)),
        );
        assert!(r.is_ok(), "{kind:?} index {ok_index}: {r:?}");
    }
    // MSI: count a power of two up to the capability's vectors (4 here).
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::Msi);
    let h = switched(&c);
    for (count, want) in [
        (3, Err(Status::BadCount)),
        (8, Err(Status::BadCount)),
        (4, Err(Status::QuotaExceeded)),
    ] {
        let (_, r) = call(
            &h,
            &c,
            0,
            VERSION_2,
            Request::Compose(ComposeArgs {
                count,
                ..args(InterruptKind::Msi, DEVICE_RID, 0)
            }),
        );
        assert_eq!(r.map(|_| ()), want, "count {count}");
    }
    let (_, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Compose(ComposeArgs {
            count: 2,
            vector: 0xff,
            ..args(InterruptKind::Msi, DEVICE_RID, 0)
        }),
    );
    assert_eq!(r, Err(Status::BadVector), "vector range runs past 0xff");
}

#[test]
fn compose_retarget_free_deliver_through_the_irte() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::ImsDevMem);
    let h = switched(&c);
    let (h, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Compose(args(InterruptKind::ImsDevMem, DEVICE_RID, 1)),
    );
    let Ok(Reply::Composed {
        handle,
        count: 1,
        msg,
    }) = r
    else {
        panic!("{r:?}")
    };
    let (h, out) = h.guest_write(&c, 0, 0, 1, msg);
    assert_eq!(out, WriteOutcome::Direct);
    assert_eq!(
        h.deliver(&c, 0, 1, 0),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 0,
            vector: 0x40
        })
    );
    // The neighbour cannot touch the handle.
    refused(
        &h,
        &c,
        HOSTILE_VM,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 0,
            vector: 0x41,
        },
        Status::NotOwner,
    );
    refused(
        &h,
        &c,
        HOSTILE_VM,
        VERSION_2,
        Request::Free { handle },
        Status::NotOwner,
    );
    // Writing the victim's message into its own device fails the source-ID check.
    let (h2, out) = h.guest_write(&c, HOSTILE_VM, 1, 0, msg);
    assert_eq!(out, WriteOutcome::Direct);
    assert_eq!(
        h2.deliver(&c, 1, 0, 0),
        Delivery::Fault("source-ID check failed")
    );
    let (h, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 1,
            vector: 0x77,
        },
    );
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(
        h.deliver(&c, 0, 1, 0),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 1,
            vector: 0x77
        })
    );
    let (h, r) = call(&h, &c, 0, VERSION_2, Request::Free { handle });
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(h.deliver(&c, 0, 1, 0), Delivery::Fault("IRTE not present"));
    assert_eq!(h.vms[0].used, 0);
    assert!(h.vectors.is_empty());
}

#[test]
fn old_path_traps_validates_and_remaps() {
    for hw_ir in [false, true] {
        let c = cfg(Some(HypervisorGen::Old), hw_ir, InterruptKind::MsiX);
        let h = HostState::new(&c);
        let good = CompatMsi::fixed(1, 0x45).encode(false).unwrap();
        let (h1, out) = h.guest_write(&c, 0, 0, 2, good);
        assert_eq!(out, WriteOutcome::Remapped);
        assert_eq!(
            h1.deliver(&c, 0, 2, 0),
            Delivery::Delivered(Target {
                vm: 0,
                apic: 1,
                vector: 0x45
            })
        );
        assert_eq!(
            is_remappable(&h1.storage[0][2].unwrap()),
            hw_ir,
            "IR hosts program remappable messages"
        );
        for (bad, why) in [
            (CompatMsi::fixed(5, 0x45), "APIC ID"),
            (CompatMsi::fixed(1, 0x05), "vector"),
            (
                CompatMsi {
                    delivery_mode: 4,
                    ..CompatMsi::fixed(1, 0x45)
                },
                "fixed",
            ),
        ] {
            let (h2, out) = h.guest_write(&c, 0, 0, 2, bad.encode(false).unwrap());
            assert!(
                matches!(out, WriteOutcome::Dropped(r) if r.contains(why)),
                "{out:?}"
            );
            assert_eq!(h2, h);
        }
        let remap = RemappableMsi::linux(0, 0).encode().unwrap();
        assert!(matches!(
            h.guest_write(&c, 0, 0, 0, remap).1,
            WriteOutcome::Dropped(_)
        ));
        assert!(
            matches!(h.guest_write(&c, 0, 0, 4, good).1, WriteOutcome::Dropped(_)),
            "slot out of bounds"
        );
        assert!(
            matches!(
                h.guest_write(&c, HOSTILE_VM, 0, 0, good).1,
                WriteOutcome::Dropped(_)
            ),
            "not its device"
        );
        // Both VMs' vCPU 1 vector 0x45 land on different physical CPUs and host vectors.
        let (h3, out) = h1.guest_write(&c, HOSTILE_VM, 1, 0, good);
        assert_eq!(out, WriteOutcome::Remapped);
        assert_eq!(
            h3.deliver(&c, 1, 0, 0),
            Delivery::Delivered(Target {
                vm: 1,
                apic: 1,
                vector: 0x45
            })
        );
        assert_eq!(
            h3.deliver(&c, 0, 2, 0),
            Delivery::Delivered(Target {
                vm: 0,
                apic: 1,
                vector: 0x45
            })
        );
    }
}

#[test]
fn ims_is_disabled_on_the_old_scheme_and_compat_is_blocked_under_ir() {
    let c = cfg(Some(HypervisorGen::Old), true, InterruptKind::ImsSysMem);
    let h = HostState::new(&c);
    let m = CompatMsi::fixed(0, 0x30).encode(false).unwrap();
    assert!(matches!(
        h.guest_write(&c, 0, 0, 0, m).1,
        WriteOutcome::Dropped(_)
    ));
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::ImsSysMem);
    let h = switched(&c);
    let (h, _) = h.guest_write(&c, HOSTILE_VM, 1, 0, m);
    assert_eq!(
        h.deliver(&c, 1, 0, 0),
        Delivery::Fault("compatibility-format interrupt blocked (IR enabled, CFI clear)")
    );
}

#[test]
fn bare_metal_programs_natively() {
    let c = cfg(None, false, InterruptKind::Msi);
    let h = HostState::new(&c);
    assert_eq!(
        h.native_program(&c, 0, 0, 2, 0, 0x40).unwrap_err(),
        Status::BadCount,
        "vector domain: no multi-MSI"
    );
    let (h, m) = h.native_program(&c, 0, 0, 1, 1, 0x40).unwrap();
    assert_eq!(m, CompatMsi::fixed(1, 0x40).encode(false).unwrap());
    assert_eq!(
        h.deliver(&c, 0, 0, 0),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 1,
            vector: 0x40
        })
    );
    let c = cfg(None, true, InterruptKind::Msi);
    assert_eq!(
        HostState::new(&c)
            .native_program(&c, 0, 0, 0, 0, 0x40)
            .unwrap_err(),
        Status::BadCount
    );
    let (h, m) = HostState::new(&c)
        .native_program(&c, 0, 0, 2, 0, 0x40)
        .unwrap();
    assert!(is_remappable(&m));
    assert_eq!(
        h.deliver(&c, 0, 0, 1),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 0,
            vector: 0x41
        }),
        "subhandle 1"
    );
}
