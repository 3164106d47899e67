//! The matrix against the rules of the proposal (seed 002), stated independently of the code.

use super::*;

fn expected_ims(s: &Scenario) -> bool {
    // IMS: real IR on bare metal; in a guest only a new guest whose new, accepting hypervisor
    // has IR hardware behind the vIR.
    match s.env {
        Env::BareMetal => s.hw_ir,
        Env::Guest => s.guest == GuestGen::New && s.hypervisor == HypervisorGen::New && s.hw_ir,
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
