//! The matrix against the rules of the proposal (seed 002), stated independently of the code.

use super::*;

fn expected_ims(s: &Scenario) -> bool {
    // IMS: real IR on bare metal; in a guest only a new guest whose new, accepting hypervisor
    // (or Hyper-V root-partition) hypervisor has IR hardware behind the vIR.
    match s.env {
        Env::BareMetal => s.hw_ir,
        Env::Guest => {
            s.guest == GuestGen::New
                && matches!(s.hypervisor, HypervisorGen::New | HypervisorGen::HyperV)
                && s.hw_ir
        }
    }
}

#[test]
fn matrix_follows_the_proposal() {
    for s in Scenario::all(false) {
        let row = matrix_row(s);
        let name = format!("{s:?}");
        if s.device.is_ims() {
            let want = if expected_ims(&s) {
                "IMS granted"
            } else {
                "IMS refused"
            };
            assert!(row.outcome.starts_with(want), "{name}: {row:?}");
        }
        let fallback = s.env == Env::Guest && s.guest == GuestGen::New && !expected_ims(&s);
        assert_eq!(
            row.outcome.contains("fallback taken"),
            fallback,
            "{name}: {row:?}"
        );
        let (done, total) = row.delivered.split_once('/').unwrap();
        assert_eq!(
            done, total,
            "{name}: every vector the guest holds is delivered: {row:?}"
        );
        let want_path = match (s.env, s.hw_ir) {
            (Env::BareMetal, false) => "native (vector domain, compat format)",
            (Env::BareMetal, true) => "native (IR, remappable format)",
            (Env::Guest, _) if expected_ims(&s) => "compose hypercall",
            (Env::Guest, _) => "trapped compat write, host remaps",
        };
        if row.path != "none" {
            assert_eq!(row.path, want_path, "{name}");
        } else {
            assert!(
                s.device.is_ims() && !expected_ims(&s),
                "{name}: only refused IMS has no vectors"
            );
        }
    }
}

#[test]
fn old_guests_see_the_same_outcome_under_every_hypervisor() {
    for s in Scenario::all(false)
        .into_iter()
        .filter(|s| s.guest == GuestGen::Old)
    {
        let base = matrix_row(Scenario {
            hypervisor: HypervisorGen::Old,
            ..s
        });
        let row = matrix_row(s);
        assert_eq!(
            (&row.negotiation, row.path, &row.outcome, &row.delivered),
            (&base.negotiation, base.path, &base.outcome, &base.delivered),
            "{s:?}"
        );
    }
}

#[test]
fn multi_msi_uses_consecutive_subhandles_where_supported() {
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::New,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::Msi,
        hostile: false,
    };
    let ctx = Ctx::new(s);
    let w = World::run_to_end(&ctx, None);
    let raised = w.raise_all(&ctx);
    assert_eq!(raised.len(), 2);
    assert_eq!(
        raised[1].3,
        Delivery::Delivered(Target {
            vm: 0,
            apic: 1,
            vector: 0x51
        }),
        "{raised:?}"
    );
}

/// How many vectors an MSI device gets: two where the parent domain takes multi-message MSI and
/// the host does not trap (bare metal with IR, a guest on the new scheme), one on the vector
/// domain and on the old trap path (which carries single-message MSI only).
#[test]
fn msi_vector_count_per_path() {
    for (hypervisor, hw_ir, env, want) in [
        (HypervisorGen::Old, true, Env::BareMetal, 2),
        (HypervisorGen::Old, false, Env::BareMetal, 1),
        (HypervisorGen::Old, true, Env::Guest, 1),
        (HypervisorGen::NewRejecting, true, Env::Guest, 1),
        (HypervisorGen::New, true, Env::Guest, 2),
        (HypervisorGen::HyperV, true, Env::Guest, 2),
    ] {
        let s = Scenario {
            guest: GuestGen::New,
            hypervisor,
            hw_ir,
            env,
            device: InterruptKind::Msi,
            hostile: false,
        };
        let ctx = Ctx::new(s);
        let w = World::run_to_end(&ctx, None);
        let raised = w.raise_all(&ctx);
        assert_eq!(raised.len(), want, "{s:?}: {raised:?}");
        assert!(
            raised
                .iter()
                .all(|(_, _, t, d)| *d == Delivery::Delivered(*t)),
            "{s:?}: {raised:?}"
        );
    }
}

/// The driver's vector plan: allocation k at APIC 0, vector 0x40 + 2k (the first one is then
/// retargeted), and against a host that speaks only version 1 (no RETARGET offered) the guest
/// asks for exactly the three compose features and is granted version 1.
#[test]
fn guest_vector_plan_and_a_version_1_host() {
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::New,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::MsiX,
        hostile: false,
    };
    let ctx = Ctx::new(s);
    let w = World::run_to_end(&ctx, None);
    let got: Vec<(u32, u8)> = w.guest.vectors.iter().map(|v| (v.apic, v.vector)).collect();
    assert_eq!(got, [crate::guest::RETARGET_TO, (0, 0x42)]);

    let mut ctx = Ctx::new(s);
    ctx.cfg.versions = &[crate::abi::VERSION_1];
    let w = World::run_to_end(&ctx, None);
    assert_eq!(w.guest.fallback, None);
    assert_eq!(w.guest.version, Some(crate::abi::VERSION_1));
    assert_eq!(w.host.vms[0].scheme, Scheme::New);
    assert_eq!(w.host.vms[0].features, crate::guest::REQUIRED_FEATURES);
    let got: Vec<(u32, u8)> = w.guest.vectors.iter().map(|v| (v.apic, v.vector)).collect();
    assert_eq!(got, [(0, 0x40), (0, 0x42)], "no retarget on version 1");
    assert!(
        w.raise_all(&ctx)
            .iter()
            .all(|(_, _, t, d)| *d == Delivery::Delivered(*t))
    );
}

#[test]
fn trace_names_each_step() {
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::Old,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::MsiX,
        hostile: false,
    };
    let mut t = Vec::new();
    World::run_to_end(&Ctx::new(s), Some(&mut t));
    assert_eq!(t[1], "guest  -> hypercall QUERY v2");
    assert_eq!(t[2], "host   <- error NOT_IMPLEMENTED (21)");
    assert_eq!(t[3], "guest  :  stays on the old scheme (NoHypercall)");
    assert!(
        t[4].contains("writes slot 0")
            && t[4].ends_with("trapped, validated and remapped by the host"),
        "{t:?}"
    );
}

#[test]
fn versions_are_negotiated_highest_first() {
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::New,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::MsiX,
        hostile: false,
    };
    // A host that speaks only version 1: the guest's v2 offer is refused, v1 accepted, and
    // without the v2 retarget op the guest does not retarget.
    let mut ctx = Ctx::new(s);
    ctx.cfg.versions = &[crate::abi::VERSION_1];
    let mut t = Vec::new();
    let w = World::run_to_end(&ctx, Some(&mut t));
    assert_eq!(
        &t[1..5],
        [
            "guest  -> hypercall QUERY v2",
            "host   <- error VERSION_MISMATCH (1)",
            "guest  -> hypercall QUERY v1",
            "host   <- OK, features 0x7",
        ]
    );
    assert_eq!(w.guest.version, Some(1));
    assert_eq!(w.host.vms[0].version, Some(1));
    assert!(!t.iter().any(|l| l.contains("RETARGET")), "{t:?}");
    assert!(
        w.raise_all(&ctx)
            .iter()
            .all(|(_, _, e, d)| *d == Delivery::Delivered(*e))
    );
    // A host that speaks neither: the list is exhausted and the guest stays on the old scheme.
    ctx.cfg.versions = &[];
    let w = World::run_to_end(&ctx, None);
    assert_eq!(
        w.guest.fallback,
        Some(crate::guest::Fallback::NoCommonVersion)
    );
    assert_eq!(w.guest.scheme, Scheme::Old);
    assert!(
        w.raise_all(&ctx)
            .iter()
            .all(|(_, _, e, d)| *d == Delivery::Delivered(*e))
    );
}

/// VM 0 retargets `handle` to vCPU 1, vector 0x70.
fn retarget_to_vcpu_1(
    host: &HostState,
    ctx: &Ctx,
    handle: u16,
) -> (HostState, Result<crate::abi::Reply, Status>) {
    call(
        host,
        &ctx.cfg,
        0,
        &Frame {
            version: crate::abi::VERSION_2,
            request: Request::Retarget {
                handle: u32::from(handle),
                apic_id: 1,
                vector: 0x70,
            },
        },
    )
}

/// Hyper-V's root-partition interface: what the guest composed before its device was attached
/// is mapped only at attach (until then the device's messages name absent entries), and a
/// retarget is done by unmap + map and still delivers to the new target.
#[test]
fn hyperv_host_defers_mappings_until_attach_and_retargets_by_unmap_and_map() {
    use crate::abi::Reply;
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::HyperV,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::MsiX,
        hostile: false,
    };
    let ctx = Ctx::new(s);
    assert!(ctx.deferred_attach());
    let mut w = World::new(0, &ctx, 0);
    assert!(!w.attached);
    while let Some(n) = w.apply(&ctx, Action::Guest, None) {
        w = n;
    }
    let raised = w.raise_all(&ctx);
    assert!(!raised.is_empty());
    assert!(
        raised
            .iter()
            .all(|(_, _, _, d)| *d == Delivery::Fault("IRTE not present")),
        "nothing is mapped before attach: {raised:?}"
    );
    assert!(!w.host.hw.pending.is_empty());
    assert!(crate::safety::accounting(&ctx.cfg, &w.host).is_ok());
    let w = w.apply(&ctx, Action::Attach, None).unwrap();
    assert!(w.apply(&ctx, Action::Attach, None).is_none(), "attach once");
    assert!(w.host.hw.pending.is_empty());
    let raised = w.raise_all(&ctx);
    assert!(
        raised
            .iter()
            .all(|(_, _, t, d)| *d == Delivery::Delivered(*t)),
        "{raised:?}"
    );
    // Retarget handle 0 to vCPU 1: the hardware unmaps and maps again; delivery follows.
    let handle = *w.host.composed.keys().next().unwrap();
    let remaps = w.host.hw.remaps;
    let (h, r) = retarget_to_vcpu_1(&w.host, &ctx, handle);
    assert_eq!(r, Ok(Reply::Done));
    assert_eq!(h.hw.remaps, remaps + 1);
    let c = h.composed[&handle];
    let slot = u16::try_from(c.index).unwrap();
    assert_eq!(
        h.deliver(&ctx.cfg, 0, slot, 0),
        Delivery::Delivered(Target {
            vm: 0,
            apic: 1,
            vector: 0x70
        })
    );
    assert!(crate::safety::isolation(&ctx.cfg, &h).is_ok());
    assert!(crate::safety::accounting(&ctx.cfg, &h).is_ok());
}

/// The same host on VT-d hardware retargets in place (no unmap + map).
#[test]
fn vtd_host_retargets_in_place() {
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::New,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::MsiX,
        hostile: false,
    };
    let ctx = Ctx::new(s);
    let w = World::run_to_end(&ctx, None);
    assert!(w.attached && w.host.hw.pending.is_empty());
    let handle = *w.host.composed.keys().next().unwrap();
    let (h, r) = retarget_to_vcpu_1(&w.host, &ctx, handle);
    assert_eq!(r, Ok(crate::abi::Reply::Done));
    assert_eq!(h.hw.remaps, 0);
}
