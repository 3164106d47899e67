//! Hardware that fails part-way: a VMM's remapping hardware is a handle shared by every clone
//! of the host state, so the calls a failed step made are real. Each test fails the n-th
//! hardware call (once, or from then on) for every n a step can reach, and checks that the
//! hardware holds exactly what the kept state's bookkeeping says, that the guest is told, and
//! that the vectors still deliver where the kept state says.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::abi::{ComposeArgs, Frame, InterruptKind, Reply, Request, Status, VERSION_2};
use crate::hw::HwError;
use crate::safety;

/// The shared hardware: the simulated table, how retarget behaves, and the failure plan.
#[derive(Debug)]
struct Flaky {
    sim: SimIr,
    /// Retarget rewrites the entry in place (VT-d); otherwise it is unmap + map (Hyper-V).
    in_place: bool,
    /// Fallible calls (`program`, and `retarget` when in place) so far, numbered from 1.
    calls: u32,
    /// The first call that fails (0: none).
    fail_at: u32,
    /// Every call from `fail_at` on fails (the hardware stays broken), not only that one.
    sticky: bool,
}

/// A handle to [`Flaky`], as a VMM's hardware driver would be: clones share the hardware.
#[derive(Debug, Clone)]
struct FlakyIr(Rc<RefCell<Flaky>>);

impl FlakyIr {
    fn new(sim: SimIr, in_place: bool) -> FlakyIr {
        FlakyIr(Rc::new(RefCell::new(Flaky {
            sim,
            in_place,
            calls: 0,
            fail_at: 0,
            sticky: false,
        })))
    }

    /// Counts a fallible call; whether it fails.
    fn fails(&self) -> bool {
        let mut f = self.0.borrow_mut();
        f.calls += 1;
        f.fail_at != 0 && (f.calls == f.fail_at || (f.sticky && f.calls > f.fail_at))
    }

    fn sim(&self) -> SimIr {
        self.0.borrow().sim.clone()
    }
}

impl IrHardware for FlakyIr {
    fn program(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
        if self.fails() {
            return Err(HwError::Unencodable(index));
        }
        self.0.borrow_mut().sim.program(index, entry)
    }

    fn retarget(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
        if self.0.borrow().in_place {
            if self.fails() {
                return Err(HwError::Unencodable(index));
            }
            return self.0.borrow_mut().sim.retarget(index, entry);
        }
        // Unmap + map: a failed map leaves the entry unmapped.
        self.free(index);
        self.program(index, entry)
    }

    fn free(&mut self, index: u16) {
        self.0.borrow_mut().sim.free(index);
    }

    fn write_message(&mut self, dev: DeviceIdx, slot: u16, msg: MsiMsg) {
        self.0.borrow_mut().sim.write_message(dev, slot, msg);
    }

    fn attach(&mut self, sid: u16) {
        self.0.borrow_mut().sim.attach(sid);
    }
}

/// `st`'s bookkeeping with what the shared hardware holds now, as the safety checks read it.
fn view(st: &HostState<FlakyIr>) -> HostState {
    HostState {
        vms: st.vms.clone(),
        irt: st.irt.clone(),
        vectors: st.vectors.clone(),
        composed: st.composed.clone(),
        programs: st.programs.clone(),
        hw: st.hw.sim(),
    }
}

/// The hardware holds exactly the entries `st` accounts for (each as asked), and every
/// delivered interrupt is one the owner may use.
fn consistent(c: &HostConfig, st: &HostState<FlakyIr>, what: &str) {
    let v = view(st);
    safety::accounting(c, &v).unwrap_or_else(|e| panic!("{what}: {e}"));
    safety::isolation(c, &v).unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// One VM (4 vCPUs, quota 8) with a 4-vector MSI device (RID 0x0100) and an MSI-X device
/// (RID 0x0200); a 16-entry table.
fn cfg(hyp: HypervisorGen) -> HostConfig {
    HostConfig::new(
        Some(hyp),
        true,
        vec![VmCfg { vcpus: 4, quota: 8 }],
        vec![
            DeviceCfg {
                rid: 0x0100,
                owner: 0,
                kind: InterruptKind::Msi,
                size: 4,
            },
            DeviceCfg {
                rid: 0x0200,
                owner: 0,
                kind: InterruptKind::MsiX,
                size: 2,
            },
        ],
        16,
    )
}

fn call(
    h: &HostState<FlakyIr>,
    c: &HostConfig,
    request: Request,
) -> Result<(HostState<FlakyIr>, Reply), Refused<FlakyIr>> {
    let bytes = abi::encode_request(&Frame {
        version: VERSION_2,
        request,
    });
    h.execute(c, 0, &bytes)
}

fn compose4() -> Request {
    Request::Compose(ComposeArgs {
        kind: InterruptKind::Msi,
        count: 4,
        device: 0x0100,
        index: 0,
        apic_id: 0,
        vector: 0x40,
    })
}

/// Negotiated and switched, devices attached, on hardware that never fails.
fn switched(c: &HostConfig, in_place: bool) -> HostState<FlakyIr> {
    let flavor = if in_place {
        IrFlavor::Vtd
    } else {
        IrFlavor::HyperV
    };
    let mut h = HostState::with_hardware(c, FlakyIr::new(SimIr::new(flavor), in_place));
    for dev in 0..2 {
        h = h.attach(c, dev);
    }
    for r in [
        Request::Query,
        Request::Switch {
            features: c.offered(VERSION_2),
        },
    ] {
        h = call(&h, c, r).expect("negotiation").0;
    }
    h
}

/// A copy of `st` on a fresh copy of its hardware that fails as asked.
fn failing(st: &HostState<FlakyIr>, fail_at: u32, sticky: bool) -> HostState<FlakyIr> {
    let old = st.hw.0.borrow();
    let hw = FlakyIr(Rc::new(RefCell::new(Flaky {
        sim: old.sim.clone(),
        in_place: old.in_place,
        calls: 0,
        fail_at,
        sticky,
    })));
    HostState { hw, ..st.clone() }
}

/// Where each of the 4 vectors of the MSI device lands (its message written at slot 0).
fn landing(c: &HostConfig, st: &HostState<FlakyIr>) -> Vec<Delivery> {
    let v = view(st);
    (0..4).map(|off| v.deliver(c, 0, 0, off)).collect()
}

fn at(apic: u32, vector: u8) -> Vec<Delivery> {
    (0..4)
        .map(|i| {
            Delivery::Delivered(Target {
                vm: 0,
                apic,
                vector: vector + i,
            })
        })
        .collect()
}

/// What a failure plan ended in.
#[derive(Debug, Default)]
struct Seen {
    ok: u32,
    undone: u32,
    revoked: u32,
}

/// RETARGET of a 4-vector MSI allocation, failing each call in turn, on in-place (VT-d) and
/// unmap + map (Hyper-V root) hardware: either it moved every vector, or the hardware is put
/// back (every vector still delivered at the old target, the guest told NO_RESOURCES, the state
/// unchanged), or the hardware refused an old entry back, and the allocation is released
/// (REVOKED, no entry left, quota back, nothing delivered).
#[test]
fn a_retarget_that_fails_part_way_is_rolled_back_or_released() {
    for (hyp, in_place) in [(HypervisorGen::New, true), (HypervisorGen::HyperV, false)] {
        let c = cfg(hyp);
        let h = switched(&c, in_place);
        let (h, reply) = call(&h, &c, compose4()).expect("compose");
        let Reply::Composed { msg, .. } = reply else {
            panic!("{reply:?}")
        };
        let (h, out) = h.guest_write(&c, 0, 0, 0, msg);
        assert_eq!(out, WriteOutcome::PassedThrough);
        assert_eq!(landing(&c, &h), at(0, 0x40));
        let retarget = Request::Retarget {
            handle: 0,
            apic_id: 3,
            vector: 0x80,
        };
        let mut seen = Seen::default();
        for sticky in [false, true] {
            for fail_at in 1..=12 {
                let what = format!("{hyp:?}, fail at call {fail_at}, sticky {sticky}");
                let before = failing(&h, fail_at, sticky);
                match call(&before, &c, retarget) {
                    Ok((after, Reply::Done)) => {
                        seen.ok += 1;
                        assert!(fail_at > 4, "{what}: a failed call went unnoticed");
                        consistent(&c, &after, &what);
                        assert_eq!(landing(&c, &after), at(3, 0x80), "{what}");
                    }
                    Ok(r) => panic!("{what}: {r:?}"),
                    Err(r) if r.status == Status::Revoked => {
                        seen.revoked += 1;
                        assert!(sticky, "{what}: a single failure is always undone");
                        let after = r.state_after(&before);
                        assert!(after.composed.is_empty() && after.irt.is_empty(), "{what}");
                        assert!(after.vectors.is_empty(), "{what}");
                        assert_eq!(after.vms[0].used, 0, "{what}: quota not given back");
                        consistent(&c, &after, &what);
                        let hw = after.hw.sim();
                        assert!(hw.irt.is_empty() && hw.pending.is_empty(), "{what}");
                        assert!(
                            landing(&c, &after)
                                .iter()
                                .all(|d| matches!(d, Delivery::Fault(_))),
                            "{what}"
                        );
                    }
                    Err(r) => {
                        seen.undone += 1;
                        assert_eq!(r.status, Status::NoResources, "{what}");
                        assert!(r.released.is_none(), "{what}");
                        assert!(fail_at <= 4, "{what}");
                        // The old state is kept, and the shared hardware matches it again.
                        consistent(&c, &before, &what);
                        assert_eq!(landing(&c, &before), at(0, 0x40), "{what}");
                        assert_eq!(before.hw.sim().irt, h.hw.sim().irt, "{what}");
                    }
                }
            }
        }
        // Each outcome was reached: 8 of the 12 plans per kind go past the 4 calls a retarget
        // makes; a single failure is always undone; a broken hardware is released.
        assert_eq!((seen.ok, seen.undone, seen.revoked), (16, 4, 4), "{hyp:?}");
    }
}

/// The roll-back moves back the entries already moved, not only the one that failed: with
/// the third of four vectors failing once, the first two went to the new target and come
/// back, and the hardware is asked for them again (in place or by unmap + map).
#[test]
fn roll_back_moves_back_the_entries_already_moved() {
    for (hyp, in_place) in [(HypervisorGen::New, true), (HypervisorGen::HyperV, false)] {
        let c = cfg(hyp);
        let (h, _) = call(&switched(&c, in_place), &c, compose4()).expect("compose");
        let before = failing(&h, 3, false);
        let r = call(
            &before,
            &c,
            Request::Retarget {
                handle: 0,
                apic_id: 3,
                vector: 0x80,
            },
        )
        .unwrap_err();
        assert_eq!(r.status, Status::NoResources);
        // 2 moves + the failed one + 3 puts back (the failed entry is mapped again too).
        assert_eq!(before.hw.0.borrow().calls, 6, "{hyp:?}");
        consistent(&c, &before, &format!("{hyp:?}"));
        assert_eq!(view(&before).hw.irt, h.hw.sim().irt, "{hyp:?}");
    }
}

/// COMPOSE of 4 vectors failing at each call: the entries programmed so far are freed, so the
/// hardware is empty again, the state unchanged and the guest told NO_RESOURCES (a COMPOSE
/// only adds entries, so it is always undone, never REVOKED).
#[test]
fn a_compose_that_fails_part_way_frees_what_it_programmed() {
    for (hyp, in_place) in [(HypervisorGen::New, true), (HypervisorGen::HyperV, false)] {
        let c = cfg(hyp);
        let h = switched(&c, in_place);
        for sticky in [false, true] {
            for fail_at in 1..=4 {
                let what = format!("{hyp:?}, fail at {fail_at}, sticky {sticky}");
                let before = failing(&h, fail_at, sticky);
                let r = call(&before, &c, compose4()).unwrap_err();
                assert_eq!(r.status, Status::NoResources, "{what}");
                assert!(r.released.is_none(), "{what}");
                let hw = before.hw.sim();
                assert!(hw.irt.is_empty() && hw.pending.is_empty(), "{what}: {hw:?}");
                consistent(&c, &before, &what);
            }
            let (after, _) = call(&failing(&h, 5, sticky), &c, compose4()).expect("compose");
            assert_eq!(after.hw.sim().irt.len(), 4);
        }
    }
}

/// The old trap path rewrites a slot by releasing its entry and programming a new one; when the
/// new one fails, the old entry is mapped again (the write is dropped, the old vector still
/// delivers); when the hardware also refuses the old entry, the slot's program is released
/// (the write is dropped with a reason that says so, no entry and no quota left behind).
#[test]
fn a_trapped_rewrite_that_fails_maps_the_old_entry_again_or_releases_the_slot() {
    for (hyp, in_place) in [(HypervisorGen::New, true), (HypervisorGen::HyperV, false)] {
        let c = cfg(hyp);
        let flavor = if in_place {
            IrFlavor::Vtd
        } else {
            IrFlavor::HyperV
        };
        let mut h = HostState::with_hardware(&c, FlakyIr::new(SimIr::new(flavor), in_place));
        h = h.attach(&c, 1);
        let compat = |apic, vector| CompatMsi::fixed(apic, vector).encode(false).unwrap();
        let (h, out) = h.guest_write(&c, 0, 1, 0, compat(1, 0x50));
        assert_eq!(out, WriteOutcome::Remapped);
        let old = Delivery::Delivered(Target {
            vm: 0,
            apic: 1,
            vector: 0x50,
        });
        assert_eq!(view(&h).deliver(&c, 1, 0, 0), old);
        for sticky in [false, true] {
            let what = format!("{hyp:?}, sticky {sticky}");
            let before = failing(&h, 1, sticky);
            let (after, out) = before.guest_write(&c, 0, 1, 0, compat(2, 0x51));
            consistent(&c, &after, &what);
            if sticky {
                assert_eq!(
                    out,
                    WriteOutcome::Dropped(
                        "remapping hardware failed; the slot's entries were released"
                    ),
                    "{what}"
                );
                assert!(after.programs.is_empty() && after.irt.is_empty(), "{what}");
                assert_eq!(after.vms[0].used, 0, "{what}");
                assert!(matches!(
                    view(&after).deliver(&c, 1, 0, 0),
                    Delivery::Fault(_)
                ));
            } else {
                assert_eq!(
                    out,
                    WriteOutcome::Dropped("host out of vectors or remapping entries"),
                    "{what}"
                );
                assert_eq!(after.programs, h.programs, "{what}");
                assert_eq!(view(&after).deliver(&c, 1, 0, 0), old, "{what}");
            }
        }
    }
}

/// The guest hears of it: REVOKED is a status of its own on the wire, and the guest driver
/// drops the vectors the host released (any other refused RETARGET leaves them where they
/// were: `guest::tests`).
#[test]
fn revoked_reaches_the_guest_as_its_own_status() {
    let c = cfg(HypervisorGen::HyperV);
    let (h, _) = call(&switched(&c, false), &c, compose4()).expect("compose");
    let before = failing(&h, 1, true);
    let bytes = abi::encode_request(&Frame {
        version: VERSION_2,
        request: Request::Retarget {
            handle: 0,
            apic_id: 1,
            vector: 0x90,
        },
    });
    let (after, resp) = before.handle(&c, 0, &bytes);
    let (_, r) = abi::decode_response(abi::Op::Retarget, &resp).unwrap();
    assert_eq!(r, Err(Status::Revoked));
    assert!(after.composed.is_empty());
    // Nothing left to free: the handle is gone.
    let free = abi::encode_request(&Frame {
        version: VERSION_2,
        request: Request::Free { handle: 0 },
    });
    let (_, resp) = after.handle(&c, 0, &free);
    let (_, r) = abi::decode_response(abi::Op::Free, &resp).unwrap();
    assert_eq!(r, Err(Status::NoSuchHandle));
}

/// An entry lost just past a composed allocation belongs to whoever holds it, not to the
/// allocation below it: VM 0 (new scheme) composes entries 0–3, VM 1 (old scheme) has a
/// trapped MSI-X slot on entry 4, and VM 1's rewrite of that slot fails with hardware that
/// will not take entry 4 back. Only VM 1's slot is released (the write is
/// dropped saying so, its quota back); VM 0's allocation keeps its entries, quota and
/// deliveries. (Releasing by `k <= base + count` would release VM 0's allocation instead.)
#[test]
fn a_lost_entry_just_past_a_composed_allocation_releases_only_its_own_slot() {
    for (hyp, in_place) in [(HypervisorGen::New, true), (HypervisorGen::HyperV, false)] {
        let what = format!("{hyp:?}");
        let c = HostConfig::new(
            Some(hyp),
            true,
            vec![VmCfg { vcpus: 4, quota: 8 }, VmCfg { vcpus: 4, quota: 8 }],
            vec![
                DeviceCfg {
                    rid: 0x0100,
                    owner: 0,
                    kind: InterruptKind::Msi,
                    size: 4,
                },
                DeviceCfg {
                    rid: 0x0200,
                    owner: 0,
                    kind: InterruptKind::MsiX,
                    size: 2,
                },
                DeviceCfg {
                    rid: 0x0300,
                    owner: 1,
                    kind: InterruptKind::MsiX,
                    size: 2,
                },
            ],
            16,
        );
        let h = switched(&c, in_place).attach(&c, 2);
        let (h, reply) = call(&h, &c, compose4()).expect("compose");
        let Reply::Composed { handle, msg, .. } = reply else {
            panic!("{what}: {reply:?}")
        };
        assert_eq!(handle, 0, "{what}");
        let (h, out) = h.guest_write(&c, 0, 0, 0, msg);
        assert_eq!(out, WriteOutcome::PassedThrough, "{what}");
        let compat = |apic, vector| CompatMsi::fixed(apic, vector).encode(false).unwrap();
        let (h, out) = h.guest_write(&c, 1, 2, 0, compat(1, 0x50));
        assert_eq!(out, WriteOutcome::Remapped, "{what}");
        // VM 1's slot holds entry 4, the one just past VM 0's allocation [0, 4).
        assert_eq!(
            h.programs.get(&(2, 0)).map(|p| p.res.clone()),
            Some(vec![Resource::Irte(4)]),
            "{what}"
        );
        assert_eq!(h.irt.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        consistent(&c, &h, &what);

        // The rewrite releases entry 4 and asks for it again (the lowest free entry); that
        // fails, and so does mapping the old entry back: entry 4 is lost.
        let before = failing(&h, 1, true);
        let (after, out) = before.guest_write(&c, 1, 2, 0, compat(2, 0x51));
        assert_eq!(
            out,
            WriteOutcome::Dropped("remapping hardware failed; the slot's entries were released"),
            "{what}"
        );
        consistent(&c, &after, &what);
        assert!(after.programs.is_empty(), "{what}: VM 1's slot kept");
        assert_eq!(after.vms[1].used, 0, "{what}: VM 1's quota not given back");
        assert!(
            matches!(view(&after).deliver(&c, 2, 0, 0), Delivery::Fault(_)),
            "{what}"
        );
        // VM 0's allocation is untouched, in the bookkeeping and in the hardware.
        assert_eq!(
            after.composed, h.composed,
            "{what}: VM 0's allocation released"
        );
        assert_eq!(after.vms[0].used, 4, "{what}");
        assert_eq!(after.irt.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(landing(&c, &after), at(0, 0x40), "{what}");
    }
}

/// A refusal prints as the status the guest is told, name and wire code (docs/protocol.md's
/// status table: `NO_SUCH_HANDLE` is 17, `REVOKED` 22), for a VMM's logs.
#[test]
fn a_refusal_displays_its_status() {
    let c = cfg(HypervisorGen::HyperV);
    let (h, _) = call(&switched(&c, false), &c, compose4()).expect("compose");
    let r = call(&h, &c, Request::Free { handle: 7 }).unwrap_err();
    assert_eq!(r.to_string(), "NO_SUCH_HANDLE (17)");
    let retarget = Request::Retarget {
        handle: 0,
        apic_id: 1,
        vector: 0x90,
    };
    let r = call(&failing(&h, 1, true), &c, retarget).unwrap_err();
    assert_eq!(r.to_string(), "REVOKED (22)");
}
