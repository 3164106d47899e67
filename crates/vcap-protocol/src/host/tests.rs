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
                features: crate::abi::FEATURES_ALL,
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
            is_remappable(&h1.hw.storage[&(0, 2)]),
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
        Status::BadCount.into(),
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
        Status::BadCount.into()
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

// ---- Limits and arithmetic on guest-controlled values (issue 17). Each test drives the
// ---- finding through the ABI handler (`HostState::handle` via `world::call`).

fn msix(rid: u16, owner: VmId, size: u16) -> DeviceCfg {
    DeviceCfg {
        rid,
        owner,
        kind: InterruptKind::MsiX,
        size,
    }
}

/// A new hypervisor with IR and the given VMs and devices; every VM negotiated v2 and switched
/// with every feature.
fn switched_host(vms: Vec<VmCfg>, devices: Vec<DeviceCfg>, irt: u32) -> (HostConfig, HostState) {
    let c = HostConfig::new(Some(HypervisorGen::New), true, vms, devices, irt);
    c.validate().unwrap();
    let mut h = HostState::new(&c);
    for vm in 0..c.vms.len() as VmId {
        h = call(&h, &c, vm, VERSION_2, Request::Query).0;
        let (n, r) = call(
            &h,
            &c,
            vm,
            VERSION_2,
            Request::Switch {
                features: crate::abi::FEATURES_ALL,
            },
        );
        assert!(r.is_ok(), "{r:?}");
        h = n;
    }
    (c, h)
}

fn compose(
    kind: InterruptKind,
    count: u8,
    device: u16,
    index: u32,
    apic: u32,
    vector: u8,
) -> Request {
    Request::Compose(ComposeArgs {
        kind,
        count,
        device,
        index,
        apic_id: apic,
        vector,
    })
}

fn handle_of(r: &Result<Reply, Status>) -> u32 {
    match r {
        Ok(Reply::Composed { handle, .. }) => *handle,
        other => panic!("expected a composed reply, got {other:?}"),
    }
}

/// `used + count` was a `u8` sum: 224 + 32 panicked in a debug build and wrapped to 0 (so
/// passed the quota) in a release build. Now every step up to exactly 255 is granted and every
/// step past it refused.
#[test]
fn quota_at_255_refuses_instead_of_wrapping() {
    let devices: Vec<DeviceCfg> = (0..16)
        .map(|i| DeviceCfg {
            rid: 0x0100 + i,
            owner: 0,
            kind: InterruptKind::Msi,
            size: 32,
        })
        .collect();
    let (c, mut h) = switched_host(
        vec![VmCfg {
            vcpus: 2,
            quota: 255,
        }],
        devices,
        MAX_IRT_SIZE,
    );
    let mut dev = 0x0100u16;
    let mut grant = |h: &mut HostState, count: u8, want_ok: bool| {
        let req = compose(InterruptKind::Msi, count, dev, 0, u32::from(dev & 1), 0x40);
        let (n, r) = call(h, &c, 0, VERSION_2, req);
        if want_ok {
            handle_of(&r);
            *h = n;
            dev += 1;
        } else {
            assert_eq!(
                r,
                Err(Status::QuotaExceeded),
                "count {count} at used {}",
                h.vms[0].used
            );
            assert_eq!(&n, h, "a refused compose changed the state");
        }
    };
    for _ in 0..7 {
        grant(&mut h, 32, true);
    }
    assert_eq!(h.vms[0].used, 224);
    grant(&mut h, 32, false);
    grant(&mut h, 16, true);
    grant(&mut h, 16, false);
    for count in [8, 4, 2, 1] {
        grant(&mut h, count, true);
    }
    assert_eq!(h.vms[0].used, 255);
    assert_eq!(h.irt.len(), 255);
    grant(&mut h, 1, false);
}

/// The old trap path counts against the same quota, and rewriting a slot releases its old
/// entry first (so a rewrite at the quota is allowed, a second slot is not).
#[test]
fn trap_path_quota_counts_and_rewrites_release() {
    for hw_ir in [false, true] {
        let c = HostConfig::new(
            Some(HypervisorGen::Old),
            hw_ir,
            vec![VmCfg { vcpus: 2, quota: 1 }],
            vec![msix(DEVICE_RID, 0, 4)],
            8,
        );
        let h = HostState::new(&c);
        let m = |apic, v| CompatMsi::fixed(apic, v).encode(false).unwrap();
        let (h, out) = h.guest_write(&c, 0, 0, 0, m(0, 0x40));
        assert_eq!(out, WriteOutcome::Remapped);
        let (h2, out) = h.guest_write(&c, 0, 0, 1, m(0, 0x41));
        assert_eq!(out, WriteOutcome::Dropped("VM quota exhausted"));
        assert_eq!(h2, h);
        let (h, out) = h.guest_write(&c, 0, 0, 0, m(1, 0x42));
        assert_eq!(out, WriteOutcome::Remapped, "rewrite at the quota");
        assert_eq!(h.vms[0].used, 1);
        assert_eq!(h.vectors.len(), 1, "the old slot's vector was released");
        assert_eq!(h.irt.len(), usize::from(hw_ir));
    }
}

/// A trapped write when the host has no remapping entry (IR) or host vector left is dropped
/// with that reason, not a generic one.
#[test]
fn trapped_write_without_host_resources_names_them() {
    let c = HostConfig::new(
        Some(HypervisorGen::Old),
        true,
        vec![VmCfg { vcpus: 2, quota: 4 }],
        vec![msix(DEVICE_RID, 0, 4)],
        1,
    );
    let h = HostState::new(&c);
    let m = |apic, v| CompatMsi::fixed(apic, v).encode(false).unwrap();
    let (h, out) = h.guest_write(&c, 0, 0, 0, m(0, 0x40));
    assert_eq!(out, WriteOutcome::Remapped);
    let (h2, out) = h.guest_write(&c, 0, 0, 1, m(0, 0x41));
    assert_eq!(
        out,
        WriteOutcome::Dropped("host out of vectors or remapping entries")
    );
    assert_eq!(h2, h);
}

/// `phys_apic` was `vm * 8 + apic`: with more than 8 vCPUs VM 0's vCPU 8 was VM 1's physical
/// CPU 0, and VM 0 composing at APIC 8 used up VM 1's host vectors.
#[test]
fn exhausting_vcpu_8_of_a_big_vm_leaves_the_next_vms_cpu_alone() {
    let (c, mut h) = switched_host(
        vec![
            VmCfg {
                vcpus: 16,
                quota: 255,
            },
            VmCfg { vcpus: 2, quota: 4 },
        ],
        vec![msix(DEVICE_RID, 0, 255), msix(HOSTILE_RID, HOSTILE_VM, 4)],
        MAX_IRT_SIZE,
    );
    let n = HOST_VECTORS.count() as u32;
    for index in 0..n {
        let (next, r) = call(
            &h,
            &c,
            0,
            VERSION_2,
            compose(InterruptKind::MsiX, 1, DEVICE_RID, index, 8, 0x40),
        );
        handle_of(&r);
        h = next;
    }
    let (_, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, DEVICE_RID, n, 8, 0x40),
    );
    assert_eq!(
        r,
        Err(Status::NoResources),
        "vCPU 8's host vectors are used up"
    );
    let (h, r) = call(
        &h,
        &c,
        HOSTILE_VM,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, HOSTILE_RID, 0, 0, 0x40),
    );
    let handle = handle_of(&r);
    let msg = RemappableMsi::linux(handle as u16, 0).encode().unwrap();
    let (h, _) = h.guest_write(&c, HOSTILE_VM, 1, 0, msg);
    assert_eq!(
        h.deliver(&c, 1, 0, 0),
        Delivery::Delivered(Target {
            vm: 1,
            apic: 0,
            vector: 0x40
        })
    );
    // Physical CPUs are a partition: no two (VM, vCPU) pairs share one.
    let mut seen = std::collections::BTreeSet::new();
    for (vm, v) in c.vms.iter().enumerate() {
        for apic in 0..u32::from(v.vcpus) {
            let p = c.phys_apic(vm as VmId, apic).unwrap();
            assert!(seen.insert(p), "physical APIC {p} shared");
            assert_eq!(c.vcpu_of_phys(p), Some((vm as VmId, apic)));
        }
        assert_eq!(c.phys_apic(vm as VmId, u32::from(v.vcpus)), None);
    }
    assert_eq!(c.vcpu_of_phys(18), None);
}

/// `device_by_rid` truncated the device index to `u8`: device 256 was recorded as device 0, so
/// a retarget there programmed an IRTE with device 0's (another VM's) source ID.
#[test]
fn device_256_is_not_device_0() {
    let mut devices: Vec<DeviceCfg> = (0..258u16).map(|i| msix(0x1000 + i, 0, 2)).collect();
    devices[256].owner = HOSTILE_VM;
    let (c, h) = switched_host(
        vec![VmCfg { vcpus: 2, quota: 8 }, VmCfg { vcpus: 2, quota: 8 }],
        devices,
        64,
    );
    let rid = 0x1000 + 256;
    let (h, r) = call(
        &h,
        &c,
        HOSTILE_VM,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, rid, 0, 0, 0x40),
    );
    let handle = handle_of(&r);
    assert_eq!(h.composed[&(handle as u16)].device, 256);
    let (h, r) = call(
        &h,
        &c,
        HOSTILE_VM,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 1,
            vector: 0x41,
        },
    );
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(h.hw.irt.len(), h.irt.len());
    for raw in h.hw.irt.values() {
        assert_eq!(
            VtdIrte::decode(*raw).unwrap().sid,
            rid,
            "IRTE keeps the caller's SID"
        );
    }
    let msg = h.composed[&(handle as u16)].msg;
    let (h, _) = h.guest_write(&c, HOSTILE_VM, 256, 0, msg);
    assert_eq!(
        h.deliver(&c, 256, 0, 0),
        Delivery::Delivered(Target {
            vm: 1,
            apic: 1,
            vector: 0x41
        })
    );
    // Device 0 (VM 0's) cannot use the entry: the source-ID check stops it.
    let (h, _) = h.guest_write(&c, 0, 0, 0, msg);
    assert_eq!(
        h.deliver(&c, 0, 0, 0),
        Delivery::Fault("source-ID check failed")
    );
}

/// Negotiated features were never enforced: `SWITCH{features: 0}` was granted and an IMS
/// compose then succeeded. Each kind and RETARGET now need their feature bit.
#[test]
fn compose_and_retarget_need_their_negotiated_feature() {
    use crate::abi::{
        FEATURE_COMPOSE_IMS, FEATURE_COMPOSE_MSI, FEATURE_COMPOSE_MSIX, FEATURE_RETARGET,
    };
    for (kind, bit) in [
        (InterruptKind::Msi, FEATURE_COMPOSE_MSI),
        (InterruptKind::MsiX, FEATURE_COMPOSE_MSIX),
        (InterruptKind::ImsDevMem, FEATURE_COMPOSE_IMS),
        (InterruptKind::ImsSysMem, FEATURE_COMPOSE_IMS),
    ] {
        let c = cfg(Some(HypervisorGen::New), true, kind);
        let q = call(&HostState::new(&c), &c, 0, VERSION_2, Request::Query).0;
        let all = crate::abi::FEATURES_ALL;
        for features in [0, all & !bit, bit] {
            let (h, r) = call(&q, &c, 0, VERSION_2, Request::Switch { features });
            assert_eq!(r, Ok(Reply::Switched(features)));
            assert_eq!(h.vms[0].features, features);
            let req = compose(kind, 1, DEVICE_RID, 0, 0, 0x40);
            if features & bit == 0 {
                refused(&h, &c, 0, VERSION_2, req, Status::UnsupportedFeature);
                // Nor does the storage open for direct writes.
                let m = RemappableMsi::linux(0, 0).encode().unwrap();
                let (h2, out) = h.guest_write(&c, 0, 0, 0, m);
                assert!(matches!(out, WriteOutcome::Dropped(_)), "{kind:?}: {out:?}");
                assert_eq!(h2, h);
                continue;
            }
            let (h, r) = call(&h, &c, 0, VERSION_2, req);
            let handle = handle_of(&r);
            // Only `bit` was granted: RETARGET was not.
            refused(
                &h,
                &c,
                0,
                VERSION_2,
                Request::Retarget {
                    handle,
                    apic_id: 1,
                    vector: 0x41,
                },
                Status::UnsupportedFeature,
            );
            let (_, r) = call(&h, &c, 0, VERSION_2, Request::Free { handle });
            assert_eq!(r, Ok(Reply::Done), "FREE needs no feature");
        }
        let (h, _) = call(
            &q,
            &c,
            0,
            VERSION_2,
            Request::Switch {
                features: bit | FEATURE_RETARGET,
            },
        );
        let (h, r) = call(
            &h,
            &c,
            0,
            VERSION_2,
            compose(kind, 1, DEVICE_RID, 0, 0, 0x40),
        );
        let handle = handle_of(&r);
        let (_, r) = call(
            &h,
            &c,
            0,
            VERSION_2,
            Request::Retarget {
                handle,
                apic_id: 1,
                vector: 0x41,
            },
        );
        assert_eq!(r, Ok(Reply::Done));
    }
}

/// FREE of a multi-vector MSI handle releases every entry, host vector and quota unit, and the
/// same range can be composed again.
#[test]
fn free_of_a_multi_vector_handle_releases_every_entry() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::Msi);
    let h0 = switched(&c);
    let req = compose(InterruptKind::Msi, 2, DEVICE_RID, 0, 1, 0x50);
    let (h, r) = call(&h0, &c, 0, VERSION_2, req);
    let handle = handle_of(&r);
    assert_eq!(h.irt.len(), 2);
    assert_eq!(h.vms[0].used, 2);
    let msg = h.composed[&(handle as u16)].msg;
    let (h, out) = h.guest_write(&c, 0, 0, 0, msg);
    assert_eq!(out, WriteOutcome::PassedThrough);
    for off in 0..2 {
        assert_eq!(
            h.deliver(&c, 0, 0, off),
            Delivery::Delivered(Target {
                vm: 0,
                apic: 1,
                vector: 0x50 + off
            })
        );
    }
    let (h, r) = call(&h, &c, 0, VERSION_2, Request::Free { handle });
    assert_eq!(r, Ok(Reply::Done));
    assert!(h.irt.is_empty() && h.vectors.is_empty() && h.composed.is_empty());
    assert_eq!(h.vms[0].used, 0);
    for off in 0..2 {
        assert_eq!(
            h.deliver(&c, 0, 0, off),
            Delivery::Fault("IRTE not present")
        );
    }
    let (_, r) = call(&h, &c, 0, VERSION_2, req);
    assert_eq!(handle_of(&r), handle, "the freed range is reused");
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Free { handle },
        Status::NoSuchHandle,
    );
}

/// SWITCH while old-path (trapped) entries are live is refused with IN_USE and changes nothing.
#[test]
fn switch_while_trapped_entries_are_live_is_in_use() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::MsiX);
    let h = HostState::new(&c);
    let (h, out) = h.guest_write(
        &c,
        0,
        0,
        0,
        CompatMsi::fixed(0, 0x40).encode(false).unwrap(),
    );
    assert_eq!(out, WriteOutcome::Remapped);
    let h = call(&h, &c, 0, VERSION_2, Request::Query).0;
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Switch { features: 7 },
        Status::InUse,
    );
    // The other VM has no trapped entries and may switch.
    let h = call(&h, &c, HOSTILE_VM, VERSION_2, Request::Query).0;
    let (_, r) = call(
        &h,
        &c,
        HOSTILE_VM,
        VERSION_2,
        Request::Switch { features: 7 },
    );
    assert_eq!(r, Ok(Reply::Switched(7)));
}

/// Vectors 0x1f (last exception) and 0x20 (first valid) and 0xff (last), for compose, multi-MSI
/// ranges, retarget and the trap path.
#[test]
fn vector_boundaries_0x1f_0x20_0xff() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::MsiX);
    let h = switched(&c);
    let k = InterruptKind::MsiX;
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        compose(k, 1, DEVICE_RID, 0, 0, 0x1f),
        Status::BadVector,
    );
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        compose(k, 1, DEVICE_RID, 0, 0, 0x00),
        Status::BadVector,
    );
    let (h1, r) = call(&h, &c, 0, VERSION_2, compose(k, 1, DEVICE_RID, 0, 0, 0x20));
    let handle = handle_of(&r);
    let (h1, r) = call(&h1, &c, 0, VERSION_2, compose(k, 1, DEVICE_RID, 1, 0, 0xff));
    handle_of(&r);
    refused(
        &h1,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 0,
            vector: 0x1f,
        },
        Status::BadVector,
    );
    let (_, r) = call(
        &h1,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 0,
            vector: 0xff,
        },
    );
    assert_eq!(r, Ok(Reply::Done));
    // Multi-MSI: 2 vectors from 0xfe end at 0xff; from 0xff they would run past it.
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::Msi);
    let h = switched(&c);
    let m = InterruptKind::Msi;
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        compose(m, 2, DEVICE_RID, 0, 0, 0xff),
        Status::BadVector,
    );
    let (h, r) = call(&h, &c, 0, VERSION_2, compose(m, 2, DEVICE_RID, 0, 0, 0xfe));
    let handle = handle_of(&r);
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 0,
            vector: 0xff,
        },
        Status::BadVector,
    );
    let (_, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle,
            apic_id: 1,
            vector: 0x20,
        },
    );
    assert_eq!(r, Ok(Reply::Done));
    // The trap path applies the same bounds.
    let c = cfg(Some(HypervisorGen::Old), true, InterruptKind::MsiX);
    let h = HostState::new(&c);
    for (v, ok) in [(0x1f, false), (0x20, true), (0xff, true)] {
        let out = h
            .guest_write(&c, 0, 0, 0, CompatMsi::fixed(0, v).encode(false).unwrap())
            .1;
        assert_eq!(out == WriteOutcome::Remapped, ok, "vector {v:#x}: {out:?}");
    }
}

/// The last IRT entries: a full small table answers NO_RESOURCES, a multi-vector allocation
/// needs consecutive free entries, and in a 65 536-entry table the last index (65 535, which
/// needs `dmar_index_15`) is allocated, delivered and then exhausted.
#[test]
fn last_irt_entries() {
    let (c, mut h) = switched_host(
        vec![VmCfg {
            vcpus: 2,
            quota: 16,
        }],
        vec![
            msix(0x0100, 0, 8),
            DeviceCfg {
                rid: 0x0101,
                owner: 0,
                kind: InterruptKind::Msi,
                size: 2,
            },
        ],
        4,
    );
    let mut handles = Vec::new();
    for index in 0..4 {
        let (n, r) = call(
            &h,
            &c,
            0,
            VERSION_2,
            compose(InterruptKind::MsiX, 1, 0x0100, index, 0, 0x40),
        );
        handles.push(handle_of(&r));
        h = n;
    }
    assert_eq!(handles, [0, 1, 2, 3]);
    refused(
        &h,
        &c,
        0,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, 0x0100, 4, 0, 0x40),
        Status::NoResources,
    );
    for handle in [1, 3] {
        h = call(&h, &c, 0, VERSION_2, Request::Free { handle }).0;
    }
    let msi2 = compose(InterruptKind::Msi, 2, 0x0101, 0, 0, 0x40);
    refused(&h, &c, 0, VERSION_2, msi2, Status::NoResources);
    h = call(&h, &c, 0, VERSION_2, Request::Free { handle: 2 }).0;
    let (_, r) = call(&h, &c, 0, VERSION_2, msi2);
    assert_eq!(
        handle_of(&r),
        1,
        "entries 1 and 2 are the first consecutive pair"
    );

    let (c, mut h) = switched_host(
        vec![VmCfg { vcpus: 2, quota: 4 }, VmCfg { vcpus: 1, quota: 0 }],
        vec![msix(0x0100, 0, 8)],
        MAX_IRT_SIZE,
    );
    // Every entry but the last is held by VM 1 (set up directly: 65 535 hypercalls would only
    // test the same path slowly).
    let filler = IrtSlot {
        entry: crate::hw::IrEntry {
            sid: 0,
            dest: 0,
            vector: 0,
        },
        owner: 1,
    };
    h.irt = (0..u16::MAX).map(|i| (i, filler)).collect();
    let (h2, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, 0x0100, 0, 1, 0x99),
    );
    assert_eq!(handle_of(&r), 65_535);
    let msg = h2.composed[&u16::MAX].msg;
    assert_eq!(
        RemappableMsi::decode(&msg).unwrap().irte_index(),
        Some(u16::MAX)
    );
    let (h3, _) = h2.guest_write(&c, 0, 0, 0, msg);
    assert_eq!(
        h3.deliver(&c, 0, 0, 0),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 1,
            vector: 0x99
        })
    );
    // Entry 65 535 (the last) can be retargeted and freed like any other.
    let (h4, r) = call(
        &h3,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle: 65_535,
            apic_id: 0,
            vector: 0x9a,
        },
    );
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(
        h4.deliver(&c, 0, 0, 0),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 0,
            vector: 0x9a
        })
    );
    let (h5, r) = call(&h4, &c, 0, VERSION_2, Request::Free { handle: 65_535 });
    assert_eq!(r, Ok(Reply::Done));
    assert!(!h5.irt.contains_key(&u16::MAX) && !h5.hw.irt.contains_key(&u16::MAX));
    assert_eq!(h5.vms[0].used, 0);
    refused(
        &h2,
        &c,
        0,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, 0x0100, 1, 0, 0x40),
        Status::NoResources,
    );
    let big = HostConfig {
        irt_size: MAX_IRT_SIZE + 1,
        ..c.clone()
    };
    assert_eq!(
        big.validate(),
        Err(ConfigError::IrtTooLarge(MAX_IRT_SIZE + 1))
    );
    assert_eq!(big.irt_entries(), MAX_IRT_SIZE);
}

/// A state built for another configuration, unknown VMs, devices and slots, and handles past the
/// table never panic: each gets an error or a drop.
#[test]
fn mismatched_state_unknown_vms_devices_and_slots_never_panic() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::ImsDevMem);
    let h = switched(&c);
    let one = HostConfig {
        vms: vec![c.vms[0]],
        ..c.clone()
    };
    // The state knows VM 1, the configuration does not.
    let (_, r) = call(
        &h,
        &one,
        HOSTILE_VM,
        VERSION_2,
        compose(InterruptKind::ImsDevMem, 1, HOSTILE_RID, 0, 0, 0x40),
    );
    assert_eq!(r, Err(Status::NotOwner));
    let (_, r) = call(&h, &c, 200, VERSION_2, Request::Query);
    assert_eq!(r, Err(Status::NotOwner));
    let m = RemappableMsi::linux(0, 0).encode().unwrap();
    assert!(matches!(
        h.guest_write(&c, 200, 0, 0, m).1,
        WriteOutcome::Dropped(_)
    ));
    assert!(matches!(
        h.guest_write(&c, 0, 999, 0, m).1,
        WriteOutcome::Dropped(_)
    ));
    assert!(matches!(
        h.guest_write(&c, 0, 0, u16::MAX, m).1,
        WriteOutcome::Dropped(_)
    ));
    assert_eq!(h.deliver(&c, 999, 0, 0), Delivery::NoMessage);
    assert_eq!(h.deliver(&c, 0, u16::MAX, 0xff), Delivery::NoMessage);
    let orphan = HostConfig {
        devices: vec![DeviceCfg {
            owner: 9,
            ..c.devices[0]
        }],
        ..c.clone()
    };
    assert!(matches!(
        orphan.validate(),
        Err(ConfigError::NoSuchOwner {
            device: 0,
            owner: 9
        })
    ));
    let (h2, _) = h.guest_write(&c, 0, 0, 0, m);
    assert_eq!(
        h2.deliver(&orphan, 0, 0, 0),
        Delivery::Disabled,
        "an unknown owner never enables IMS"
    );
    for handle in [u32::from(u16::MAX), u32::MAX] {
        refused(
            &h,
            &c,
            0,
            VERSION_2,
            Request::Free { handle },
            Status::NoSuchHandle,
        );
    }
    let dup = HostConfig {
        devices: vec![c.devices[0], c.devices[0]],
        ..c.clone()
    };
    assert!(matches!(
        dup.validate(),
        Err(ConfigError::DuplicateRid { device: 1, .. })
    ));
}

/// Length fields up to `u32::MAX` are compared, never added: BAD_LENGTH, not an overflow.
#[test]
fn huge_length_fields_are_bad_length() {
    let c = cfg(Some(HypervisorGen::New), true, InterruptKind::MsiX);
    let h = switched(&c);
    for op in 1u16..=5 {
        let mut b = vec![2, 0];
        b.extend_from_slice(&op.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        let (after, resp) = h.handle(&c, 0, &b);
        assert_eq!(after, h);
        assert_eq!(
            u16::from_le_bytes([resp[2], resp[3]]),
            Status::BadLength.code()
        );
    }
}

/// Random configurations (VMs with 1..=20 vCPUs and quotas up to 255, devices of every kind and
/// size, owners, table sizes) and random request sequences from random VMs, through the byte
/// handler: no panic, an error leaves the state unchanged, and after every step the safety
/// properties hold (isolation as documented, no leak, quotas, features).
mod random_configs {
    use super::*;
    use crate::safety;
    use proptest::prelude::*;

    fn config() -> impl Strategy<Value = HostConfig> {
        let vms = proptest::collection::vec((1u8..=20, any::<u8>()), 1..=3);
        let devs = proptest::collection::vec((0u8..4, 1u16..=40, any::<u8>()), 1..=5);
        (vms, devs, 1u32..=48, any::<bool>()).prop_map(|(vms, devs, irt, v1_only)| {
            let vms: Vec<VmCfg> = vms
                .into_iter()
                .map(|(vcpus, quota)| VmCfg {
                    vcpus,
                    quota: quota % 40 + if quota > 200 { 215 } else { 0 },
                })
                .collect();
            let n = vms.len() as u8;
            let devices = devs
                .into_iter()
                .enumerate()
                .map(|(i, (k, size, owner))| {
                    let kind = InterruptKind::from_code(k).unwrap();
                    let size = if kind == InterruptKind::Msi {
                        1 << (size % 6)
                    } else {
                        size
                    };
                    DeviceCfg {
                        rid: 0x0100 + i as u16,
                        owner: owner % n,
                        kind,
                        size,
                    }
                })
                .collect();
            let mut c = HostConfig::new(Some(HypervisorGen::New), true, vms, devices, irt);
            if v1_only {
                c.versions = &[VERSION_1];
            }
            c
        })
    }

    /// A request with fields near the interesting boundaries; `kind: None` takes the named
    /// device's own kind (so most composes reach the deep checks).
    #[derive(Debug, Clone, Copy)]
    enum Req {
        Raw(Request),
        Compose {
            kind: Option<u8>,
            count: u8,
            dev: u16,
            index: u32,
            apic: u32,
            vector: u8,
        },
    }

    fn request() -> impl Strategy<Value = (u8, u16, Req)> {
        let compose = (
            proptest::option::weighted(0.2, 0u8..4),
            0u8..5,
            0u16..6,
            0u32..6,
            0u32..22,
            0x1cu8..=0xff,
        )
            .prop_map(|(kind, count, dev, index, apic, vector)| Req::Compose {
                kind,
                count,
                dev,
                index,
                apic,
                vector,
            });
        let req = prop_oneof![
            1 => Just(Req::Raw(Request::Query)),
            1 => (0u64..16).prop_map(|features| Req::Raw(Request::Switch { features })),
            6 => compose,
            2 => (0u32..12, 0u32..22, 0x1cu8..=0xff).prop_map(|(handle, apic_id, vector)| Req::Raw(Request::Retarget { handle, apic_id, vector })),
            2 => (0u32..12).prop_map(|handle| Req::Raw(Request::Free { handle })),
        ];
        (
            0u8..4,
            prop_oneof![9 => Just(VERSION_2), 1 => 1u16..=3],
            req,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn random_hosts_keep_every_safety_property(cfg in config(), reqs in proptest::collection::vec(request(), 1..60)) {
            let mut h = HostState::new(&cfg);
            // Most VMs negotiate v2 and switch with every offered feature first.
            for vm in 0..cfg.vms.len() as VmId {
                if vm as usize % 4 != 3 {
                    h = call(&h, &cfg, vm, VERSION_2, Request::Query).0;
                    let features = cfg.offered(VERSION_2);
                    h = call(&h, &cfg, vm, VERSION_2, Request::Switch { features }).0;
                }
            }
            let mut granted = 0;
            for (vm, version, req) in reqs {
                let req = match req {
                    Req::Raw(r) => r,
                    Req::Compose { kind, count, dev, index, apic, vector } => {
                        let d = cfg.devices[usize::from(dev) % cfg.devices.len()];
                        let kind = kind.and_then(InterruptKind::from_code).unwrap_or(d.kind);
                        let vm = d.owner;
                        let req = Request::Compose(ComposeArgs { kind, count, device: d.rid, index, apic_id: apic, vector });
                        // The device's owner asks (another VM asks a quarter of the time).
                        let caller = if apic % 4 == 3 { (vm + 1) % cfg.vms.len() as VmId } else { vm };
                        let (after, r) = call(&h, &cfg, caller, version, req);
                        if matches!(r, Ok(Reply::Composed { .. })) {
                            granted += 1;
                        }
                        check_step(&cfg, &h, &after, &r, &req)?;
                        h = after;
                        continue;
                    }
                };
                let (after, r) = call(&h, &cfg, vm, version, req);
                if r.is_err() {
                    prop_assert_eq!(&after, &h, "{:?} failed with {:?} but changed the state", req, r);
                }
                prop_assert_eq!(safety::isolation(&cfg, &after), Ok(()), "{:?}", req);
                prop_assert_eq!(safety::accounting(&cfg, &after), Ok(()), "{:?}", req);
                prop_assert_eq!(safety::features(&cfg, &after), Ok(()), "{:?}", req);
                h = after;
            }
            let _ = granted;
        }
    }

    fn check_step(
        cfg: &HostConfig,
        before: &HostState,
        after: &HostState,
        r: &Result<Reply, Status>,
        req: &Request,
    ) -> Result<(), TestCaseError> {
        if r.is_err() {
            prop_assert_eq!(
                after,
                before,
                "{:?} failed with {:?} but changed the state",
                req,
                r
            );
        }
        prop_assert_eq!(safety::isolation(cfg, after), Ok(()), "{:?}", req);
        prop_assert_eq!(safety::accounting(cfg, after), Ok(()), "{:?}", req);
        prop_assert_eq!(safety::features(cfg, after), Ok(()), "{:?}", req);
        Ok(())
    }

    /// The random sequences reach granted composes (so the properties above are not vacuous).
    #[test]
    fn random_sequences_reach_granted_composes() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut granted = 0;
        for _ in 0..50 {
            let cfg = config().new_tree(&mut runner).unwrap().current();
            let mut h = HostState::new(&cfg);
            for vm in 0..cfg.vms.len() as VmId {
                h = call(&h, &cfg, vm, VERSION_2, Request::Query).0;
                h = call(
                    &h,
                    &cfg,
                    vm,
                    VERSION_2,
                    Request::Switch {
                        features: cfg.offered(VERSION_2),
                    },
                )
                .0;
            }
            for d in &cfg.devices {
                let req = Request::Compose(ComposeArgs {
                    kind: d.kind,
                    count: 1,
                    device: d.rid,
                    index: 0,
                    apic_id: 0,
                    vector: 0x40,
                });
                let (after, r) = call(&h, &cfg, d.owner, VERSION_2, req);
                granted += usize::from(r.is_ok());
                h = after;
            }
        }
        assert!(granted > 50, "only {granted} composes granted");
    }
}

/// The VM and device limits of `validate` stand exactly at 256 VMs and 65 536 devices (the
/// widths of `VmId` and `DeviceIdx`): the limit itself is accepted, one more is refused.
#[test]
fn validate_accepts_256_vms_and_65536_devices_and_refuses_one_more() {
    let vm = VmCfg { vcpus: 1, quota: 1 };
    let at = |vms: usize, devices: usize| {
        HostConfig::new(
            Some(HypervisorGen::New),
            true,
            vec![vm; vms],
            (0..devices)
                .map(|i| msix(u16::try_from(i).unwrap_or(u16::MAX), 0, 1))
                .collect(),
            8,
        )
    };
    assert_eq!(at(256, 1).validate(), Ok(()));
    assert_eq!(at(255, 1).validate(), Ok(()));
    assert_eq!(at(257, 1).validate(), Err(ConfigError::TooManyVms(257)));
    assert_eq!(at(258, 1).validate(), Err(ConfigError::TooManyVms(258)));
    assert_eq!(at(1, 65_536).validate(), Ok(()));
    assert_eq!(at(1, 65_535).validate(), Ok(()));
    assert_eq!(
        at(1, 65_537).validate(),
        Err(ConfigError::TooManyDevices(65_537))
    );
    assert_eq!(
        at(1, 65_538).validate(),
        Err(ConfigError::TooManyDevices(65_538))
    );
}

/// The test-only `EightCpusPerVm` flaw is exactly the old `vm * 8 + apic` (so the tests that
/// show it breaking isolation test the old code, not some other mapping).
#[test]
fn eight_cpus_per_vm_flaw_is_the_old_formula() {
    let mut c = HostConfig::new(
        Some(HypervisorGen::New),
        true,
        vec![
            VmCfg {
                vcpus: 12,
                quota: 1
            };
            3
        ],
        vec![],
        8,
    );
    c.flaw = Some(Flaw::EightCpusPerVm);
    for (vm, apic) in [(0u8, 0u32), (0, 3), (1, 0), (1, 2), (2, 5), (2, 11)] {
        assert_eq!(c.phys_apic(vm, apic), Some(u32::from(vm) * 8 + apic));
    }
    assert_eq!(c.phys_apic(1, 12), None, "still only the VM's own vCPUs");
    c.flaw = None;
    assert_eq!(c.phys_apic(1, 2), Some(14));
    assert_eq!(c.phys_apic(2, 0), Some(24));
}

/// Device sizes: an MSI capability has a power of two up to 32 vectors; other storage at least
/// one slot.
#[test]
fn validate_checks_each_storage_types_size() {
    let one = |kind, size| {
        HostConfig::new(
            Some(HypervisorGen::New),
            true,
            vec![VmCfg { vcpus: 1, quota: 1 }],
            vec![DeviceCfg {
                rid: 0x0100,
                owner: 0,
                kind,
                size,
            }],
            8,
        )
        .validate()
    };
    for size in [1, 2, 4, 8, 16, 32] {
        assert_eq!(one(InterruptKind::Msi, size), Ok(()), "MSI size {size}");
    }
    for size in [0, 3, 6, 33, 64] {
        assert_eq!(
            one(InterruptKind::Msi, size),
            Err(ConfigError::BadSize { device: 0, size }),
            "MSI size {size}"
        );
    }
    for kind in [
        InterruptKind::MsiX,
        InterruptKind::ImsDevMem,
        InterruptKind::ImsSysMem,
    ] {
        assert_eq!(one(kind, 3), Ok(()));
        assert_eq!(one(kind, 64), Ok(()));
        assert_eq!(
            one(kind, 0),
            Err(ConfigError::BadSize { device: 0, size: 0 })
        );
    }
}

/// A retarget to a CPU whose lowest host vector is taken gets a new host vector, and the
/// hardware entry names that vector (not the one the entry had before).
#[test]
fn retarget_programs_the_new_host_vector_into_the_hardware() {
    let (c, h) = switched_host(
        vec![VmCfg { vcpus: 2, quota: 4 }],
        vec![msix(0x0100, 0, 4)],
        8,
    );
    let (h, r0) = call(
        &h,
        &c,
        0,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, 0x0100, 0, 0, 0x40),
    );
    let (h, r1) = call(
        &h,
        &c,
        0,
        VERSION_2,
        compose(InterruptKind::MsiX, 1, 0x0100, 1, 1, 0x41),
    );
    let (h0, h1) = (handle_of(&r0), handle_of(&r1));
    let mut h = h;
    for (slot, handle) in [(0u16, h0), (1, h1)] {
        let msg = RemappableMsi::linux(u16::try_from(handle).unwrap(), 0)
            .encode()
            .unwrap();
        let (next, out) = h.guest_write(&c, 0, 0, slot, msg);
        assert_eq!(out, WriteOutcome::Direct);
        h = next;
    }
    let (h, r) = call(
        &h,
        &c,
        0,
        VERSION_2,
        Request::Retarget {
            handle: h0,
            apic_id: 1,
            vector: 0x50,
        },
    );
    assert_eq!(r, Ok(Reply::Done));
    let t = |apic, vector| {
        Delivery::Delivered(Target {
            vm: 0,
            apic,
            vector,
        })
    };
    assert_eq!(h.deliver(&c, 0, 0, 0), t(1, 0x50));
    assert_eq!(h.deliver(&c, 0, 1, 0), t(1, 0x41));
    crate::safety::accounting(&c, &h).unwrap();
    crate::safety::isolation(&c, &h).unwrap();
}
