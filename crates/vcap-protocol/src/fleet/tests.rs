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
