//! Model-check tests: the full check passes with a pinned state count, and a deliberately broken
//! host (ownership check skipped) yields a pinned counterexample.

use super::*;
use crate::host::Flaw;

use crate::abi::InterruptKind;
use crate::guest::GuestGen;
use crate::host::HypervisorGen;
use crate::world::{Ctx, Env, Scenario};

/// The new guest on a new hypervisor with IR, IMS in system memory, a hostile neighbour, and a
/// host that skips the ownership check.
fn broken_model(budget: u8) -> ProtocolModel {
    let s = Scenario {
        guest: GuestGen::New,
        hypervisor: HypervisorGen::New,
        hw_ir: true,
        env: Env::Guest,
        device: InterruptKind::ImsSysMem,
        hostile: true,
    };
    let mut ctx = Ctx::new(s);
    ctx.cfg.flaw = Some(Flaw::SkipOwnershipCheck);
    ProtocolModel::with_ctxs(vec![ctx], budget)
}

#[test]
fn full_check_passes_with_pinned_state_count() {
    let r = check(2);
    for p in &r.properties {
        assert!(p.holds, "{} ({:?}) failed: {:#?}", p.name, p.kind, p.trace);
    }
    assert_eq!(
        r.scenarios, 80,
        "16 bare-metal classes + 64 guest scenarios (4 hypervisor kinds)"
    );
    assert_eq!(r.matrix.len(), 128);
    assert_eq!(r.states, 13_493);
}

#[test]
fn broken_host_violates_isolation_with_pinned_counterexample() {
    let r = check_model(broken_model(DEFAULT_HOSTILE_BUDGET), 2);
    for p in &r.properties {
        println!("{} {:?} holds={}", p.name, p.kind, p.holds);
        if let (Kind::Always, Some(t)) = (p.kind, &p.trace) {
            println!("  {}", t.join("\n  "));
        }
    }
    let iso = r.properties.iter().find(|p| p.name == "isolation").unwrap();
    assert!(!iso.holds);
    // Shortest counterexample: one hostile step. The neighbour composes on the victim's device
    // and obtains a remapping entry whose SID is the victim's device.
    assert_eq!(
        iso.trace.clone().unwrap(),
        vec![
            "scenario new / new / IR / guest / IMS-sysmem",
            "hostile-> hypercall COMPOSE v2 IMS-sysmem device 0100 index 1 count 1 -> APIC 0 vector 0x60",
            "host   <- OK, handle 0 x1, message 00000000/fee00018 data 00000000 [remappable handle 0 subhandle 0]",
        ]
    );
    // The same flaw lets the neighbour free the victim's live vector: a silent failure.
    let silent = r
        .properties
        .iter()
        .find(|p| p.name == "no silent failure")
        .unwrap();
    assert!(!silent.holds);
    let t = silent.trace.clone().unwrap();
    assert_eq!(t.last().unwrap(), "host   <- OK");
    assert_eq!(t[t.len() - 2], "hostile-> hypercall FREE v2 handle 0");
    // Without the flaw the same scenario satisfies every always-property.
    let mut sound = broken_model(DEFAULT_HOSTILE_BUDGET);
    sound.ctxs[0].cfg.flaw = None;
    let ok = check_model(sound, 2);
    assert!(
        ok.properties
            .iter()
            .filter(|p| p.kind == Kind::Always)
            .all(|p| p.holds)
    );
}
