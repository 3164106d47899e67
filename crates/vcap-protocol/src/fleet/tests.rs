//! Fleet-check tests: a quick run in debug builds with a pinned state count, and the full run
//! (release, `#[ignore]`d: `cargo test --release -p vcap-protocol -- --ignored`).

use super::*;

fn assert_pass(r: &FleetReport) {
    for p in &r.properties {
        assert!(p.holds, "{} ({:?}) failed: {:#?}", p.name, p.kind, p.trace);
    }
}

#[test]
fn quick_fleet_check_passes_with_pinned_state_count() {
    let r = check_fleet(FleetModel::new(2), 2);
    assert_pass(&r);
    assert_eq!(r.states, 12_337);
}

/// The full fleet check: release build only (`cargo test --release -p vcap-protocol --
/// --ignored`, or `vcap protocol check --fleet`).
#[test]
#[ignore]
fn full_fleet_check_passes_with_pinned_state_count() {
    let r = check_fleet(FleetModel::new(FLEET_HOSTILE_BUDGET), 2);
    eprintln!(
        "fleet check: {} states ({} generated), depth {}, {:.1} s",
        r.states,
        r.generated,
        r.max_depth,
        r.elapsed.as_secs_f64()
    );
    assert_pass(&r);
    assert_eq!(r.states, 1_681_176);
}

/// Each bug issue 17 found, put back as a test-only flaw, is caught by a property (not by a
/// changed state count): the named property fails and its counterexample ends in the bad step.
#[test]
fn each_reintroduced_bug_violates_a_property() {
    use crate::host::Flaw;
    let fleets = standard_fleets();
    for (flaw, fleet, budget, property) in [
        (Flaw::EightCpusPerVm, 0, 0, "isolation"),
        (Flaw::NarrowDeviceIndex, 1, 1, "isolation"),
        (
            Flaw::WrappingQuota,
            2,
            1,
            "hostile requests that must fail do fail",
        ),
        (
            Flaw::WrappingQuota,
            2,
            1,
            "no leaked entries or quota, quotas never exceeded",
        ),
        (
            Flaw::LeakOnFree,
            0,
            0,
            "no leaked entries or quota, quotas never exceeded",
        ),
        (
            Flaw::SkipOwnershipCheck,
            0,
            1,
            "hostile requests that must fail do fail",
        ),
        (Flaw::SkipOwnershipCheck, 0, 1, "isolation"),
    ] {
        let mut f = fleets[fleet].clone();
        f.cfg.flaw = Some(flaw);
        let r = check_fleet(
            FleetModel {
                fleets: vec![f],
                budget,
            },
            2,
        );
        let p = r.properties.iter().find(|p| p.name == property).unwrap();
        assert!(
            !p.holds,
            "{flaw:?} on fleet {fleet}: {property} still holds"
        );
        assert!(
            p.trace.as_ref().is_some_and(|t| t.len() > 1),
            "{flaw:?}: no counterexample"
        );
    }
}

/// IGNORE_FEATURES: a VM granted no IMS still composes IMS, which the features property sees.
#[test]
fn ignored_features_violate_the_features_property() {
    use crate::host::Flaw;
    let mut f = standard_fleets().remove(0);
    f.cfg.flaw = Some(Flaw::IgnoreFeatures);
    let mut st = f.init(0, 0);
    // VM 0 re-negotiates nothing: take its features away as if it had switched with none.
    st.host.vms[0].features = 0;
    let st = f.step(&st, FleetAction::Honest(0), None).unwrap();
    assert!(
        matches!(st.drivers[0].stage, Stage::Composed),
        "{:?}",
        st.drivers[0]
    );
    assert!(crate::safety::features(&f.cfg, &st.host).is_err());
    f.cfg.flaw = None;
    let mut st = f.init(0, 0);
    st.host.vms[0].features = 0;
    let st = f.step(&st, FleetAction::Honest(0), None).unwrap();
    assert_eq!(
        st.drivers[0].stage,
        Stage::Failed(Status::UnsupportedFeature)
    );
}

/// `[profile.release.package.vcap-protocol] overflow-checks = true`: arithmetic in this crate
/// panics on overflow in release builds too (debug builds always check). `cargo test --release
/// -p vcap-protocol` fails here without the override.
#[test]
fn overflow_checks_are_on_in_every_profile() {
    let x: u8 = std::hint::black_box(255);
    let r = std::panic::catch_unwind(|| std::hint::black_box(x) + std::hint::black_box(1));
    assert!(
        r.is_err(),
        "255u8 + 1 did not panic: overflow checks are off"
    );
}

/// The fleet named `name` in the standard fleets, by index.
fn fid(m: &FleetModel, name: &str) -> u8 {
    let i = m.fleets.iter().position(|f| f.name == name).unwrap();
    u8::try_from(i).unwrap()
}

/// The honest drivers alone (no hostile act), in the model's schedule, from boot until the
/// first of them has moved its vectors.
fn first_move(m: &FleetModel, fid: u8) -> FleetState {
    let mut s = m.fleets[usize::from(fid)].init(fid, 0);
    let mut actions = Vec::new();
    while !s.drivers.iter().any(|d| d.stage == Stage::Moved) {
        actions.clear();
        m.actions(&s, &mut actions);
        let a = *actions.first().expect("an honest driver is left");
        s = m.next_state(&s, a).expect("an honest step");
    }
    s
}

/// The Hyper-V witness says what its name says: it holds once an honest driver on the
/// Hyper-V root has moved its vectors to its plan's target by unmap + map, and not at boot,
/// not without an unmap + map, not for a refused move (vectors left at the first target),
/// not for a driver that has freed its vectors; the same move on a VT-d host does not count.
#[test]
fn the_unmap_map_witness_needs_a_hyper_v_move() {
    let m = FleetModel::new(0);
    let (_, kind, witness) = FLEET_PROPERTIES
        .iter()
        .find(|(n, ..)| *n == "honest vectors retargeted by unmap + map (Hyper-V root)")
        .unwrap();
    assert_eq!(*kind, Kind::Sometimes);
    let hv = fid(&m, "hyper-v");
    assert!(
        !witness(&m, &m.fleets[usize::from(hv)].init(hv, 0)),
        "at boot"
    );

    let moved = first_move(&m, hv);
    let i = moved.drivers.iter().position(|d| d.stage == Stage::Moved);
    let i = i.unwrap();
    let p = m.fleets[usize::from(hv)].plans[i];
    assert_ne!(p.first, p.moved);
    assert_eq!(moved.drivers[i].target, p.moved, "the move was refused");
    assert!(moved.host.hw.remaps > 0);
    assert!(witness(&m, &moved));

    let mut no_remap = moved.clone();
    no_remap.host.hw.remaps = 0;
    assert!(!witness(&m, &no_remap), "no unmap + map");
    let mut refused = moved.clone();
    refused.drivers[i].target = p.first;
    assert!(!witness(&m, &refused), "a refused move");
    let mut freed = moved.clone();
    freed.drivers[i].stage = Stage::Freed;
    assert!(!witness(&m, &freed), "freed");

    let vtd = fid(&m, "mixed");
    assert_eq!(
        m.fleets[usize::from(vtd)].cfg.hypervisor,
        Some(HypervisorGen::New)
    );
    let moved = first_move(&m, vtd);
    let j = moved.drivers.iter().position(|d| d.stage == Stage::Moved);
    let j = j.unwrap();
    assert_eq!(
        moved.drivers[j].target,
        m.fleets[usize::from(vtd)].plans[j].moved
    );
    assert!(!witness(&m, &moved), "a move on VT-d");
}

/// On the Hyper-V root the hostile VM's devices are attached at boot (its entries map at
/// once) and no honest device is; other hosts are told of no attach at all.
#[test]
fn boot_attaches_the_hostile_devices_on_hyper_v_only() {
    let m = FleetModel::new(0);
    for (i, f) in m.fleets.iter().enumerate() {
        let s = f.init(u8::try_from(i).unwrap(), 0);
        let hostile: std::collections::BTreeSet<u16> = f
            .cfg
            .devices
            .iter()
            .filter(|d| d.owner == f.hostile)
            .map(|d| d.rid)
            .collect();
        if f.cfg.hypervisor == Some(HypervisorGen::HyperV) {
            assert!(!hostile.is_empty(), "{}", f.name);
            assert_eq!(s.host.hw.attached, hostile, "{}", f.name);
        } else {
            assert!(s.host.hw.attached.is_empty(), "{}", f.name);
        }
    }
}

/// On the Hyper-V root each honest device is attached when its driver writes its message, so
/// its composed entries are mapped then and its vectors deliver; a VT-d host is told of no
/// attach.
#[test]
fn honest_devices_are_attached_when_their_drivers_write_on_hyper_v_only() {
    let m = FleetModel::new(0);
    for name in ["hyper-v", "mixed"] {
        let id = fid(&m, name);
        let f = &m.fleets[usize::from(id)];
        let s = first_move(&m, id);
        // Every driver wrote its message (the first move comes after every write).
        assert!(s.drivers.iter().all(|d| d.stage.rank() >= 2), "{name}");
        assert!(f.no_silent_failure(&s), "{name}: {:?}", s.drivers);
        if f.cfg.hypervisor == Some(HypervisorGen::HyperV) {
            for p in &f.plans {
                let rid = f.cfg.device(p.dev).unwrap().rid;
                assert!(s.host.hw.attached.contains(&rid), "{name}: {rid:#x}");
            }
            assert!(s.host.hw.pending.is_empty(), "{name}");
        } else {
            assert!(s.host.hw.attached.is_empty(), "{name}");
        }
    }
}

/// The checker's record of the hostile VM's negotiation is that VM's own: on a fleet with
/// the hostile VM alone (no other VM's replies to stand in), it negotiated version 2 and was
/// granted every offered feature, as the host records it.
#[test]
fn the_caller_record_is_the_hostile_vms_own_negotiation() {
    let cfg = HostConfig::new(
        Some(HypervisorGen::New),
        true,
        vec![VmCfg { vcpus: 2, quota: 2 }],
        vec![DeviceCfg {
            rid: 0x0100,
            owner: 0,
            kind: InterruptKind::MsiX,
            size: 2,
        }],
        4,
    );
    let f = Fleet::new(
        "alone",
        cfg.clone(),
        Vec::new(),
        0,
        Vec::new(),
        Vec::new(),
        0,
    );
    let s = f.init(0, 0);
    assert_eq!(s.caller.vm, 0);
    assert_eq!(s.caller.version, Some(abi::VERSION_2));
    assert_eq!(s.caller.granted, Some(cfg.offered(abi::VERSION_2)));
    assert_eq!(s.host.vms[0].version, s.caller.version);
    assert_eq!(Some(s.host.vms[0].features), s.caller.granted);
    for (i, f) in standard_fleets().iter().enumerate() {
        let s = f.init(u8::try_from(i).unwrap(), 0);
        let vs = s.host.vms[usize::from(f.hostile)];
        assert_eq!(s.caller.version, vs.version, "{}", f.name);
        assert_eq!(s.caller.granted, Some(vs.features), "{}", f.name);
    }
}
