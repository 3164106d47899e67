//! The fleet check: a larger model of one host shared by two honest VMs and a hostile one, each
//! VM with several devices of different storage types, configurations at the limits (more than
//! 8 vCPUs, more than 256 devices, quotas of 255, a full remapping table), and a hostile budget
//! of 6 actions from a wider argument space.
//!
//! The honest VMs are drivers, one per (VM, device): COMPOSE, write the message, RETARGET,
//! FREE, each step interleaved with every other driver's and every hostile action. The guest
//! negotiation state machine is checked by [`crate::check`]; here the host is under test, so
//! every VM is negotiated at boot and every request goes through [`HostState::execute`]'s
//! byte decoder and handler.

use std::time::Duration;

use stateright::{Model, Property};

use crate::abi::{self, ComposeArgs, Frame, InterruptKind, Reply, Request, Status};
use crate::formats::{CompatMsi, MsiMsg, RemappableMsi};
use crate::host::{
    Delivery, DeviceCfg, DeviceIdx, HostConfig, HostState, HypervisorGen, MAX_IRT_SIZE, Target,
    VmCfg, VmId, WriteOutcome,
};
use crate::runner::{self, Kind, PropertyResult, PropertyTable};
use crate::safety::{self, Caller, Held};

/// One honest driver's plan for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The VM.
    pub vm: VmId,
    /// The device.
    pub dev: DeviceIdx,
    /// Storage index (and slot) composed.
    pub index: u32,
    /// Vectors (multi-message MSI) composed.
    pub count: u8,
    /// First target (APIC, vector).
    pub first: (u32, u8),
    /// Retarget destination (APIC, vector).
    pub moved: (u32, u8),
}

/// Where one honest driver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Nothing composed yet.
    Idle,
    /// Composed; the message is not in the device yet.
    Composed,
    /// The message is in the device: the vectors are live at `target`.
    Live,
    /// Retarget done (or refused: the vectors stay at `target`); still live.
    Moved,
    /// Freed.
    Freed,
    /// A request failed with this status; the driver stops.
    Failed(Status),
}

impl Stage {
    fn rank(self) -> u8 {
        match self {
            Stage::Idle => 0,
            Stage::Composed => 1,
            Stage::Live => 2,
            Stage::Moved => 3,
            Stage::Freed | Stage::Failed(_) => 4,
        }
    }
}

/// One honest driver's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Driver {
    /// Stage.
    pub stage: Stage,
    /// Handle from COMPOSE.
    pub handle: u16,
    /// Message from COMPOSE.
    pub msg: MsiMsg,
    /// Where the driver expects its vectors (APIC, first vector).
    pub target: (u32, u8),
}

/// A hostile action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A hypercall (encoded to bytes and handled).
    Call(Frame),
    /// A write into device storage (any device: writes to another VM's device must be dropped).
    Write {
        /// Device.
        dev: DeviceIdx,
        /// Slot.
        slot: u16,
        /// Message.
        msg: MsiMsg,
    },
}

/// One configuration of the fleet.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// A short name for reports.
    pub name: &'static str,
    /// The host.
    pub cfg: HostConfig,
    /// The honest drivers.
    pub plans: Vec<Plan>,
    /// The hostile VM.
    pub hostile: VmId,
    /// Requests the hostile VM made before the check starts (to stand at a limit).
    pub setup: Vec<Frame>,
    /// The hostile argument space.
    pub acts: Vec<Act>,
    /// The hypercall acts' request bytes (encoded once; empty for writes).
    pub wire: Vec<Vec<u8>>,
    /// This fleet's hostile budget (granted requests), at most the model's.
    pub max_budget: u8,
}

impl Fleet {
    /// A fleet; encodes the hostile requests once.
    pub fn new(
        name: &'static str,
        cfg: HostConfig,
        plans: Vec<Plan>,
        hostile: VmId,
        setup: Vec<Frame>,
        acts: Vec<Act>,
        max_budget: u8,
    ) -> Fleet {
        let wire = acts
            .iter()
            .map(|a| match a {
                Act::Call(f) => abi::encode_request(f),
                Act::Write { .. } => Vec::new(),
            })
            .collect();
        Fleet {
            name,
            cfg,
            plans,
            hostile,
            setup,
            acts,
            wire,
            max_budget,
        }
    }
}

/// The state of one fleet run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FleetState {
    /// Which configuration (index into [`FleetModel::fleets`]).
    pub fid: u8,
    /// Host and hardware.
    pub host: HostState,
    /// Honest drivers, in [`Fleet::plans`] order.
    pub drivers: Vec<Driver>,
    /// Hostile actions left.
    pub budget: u8,
    /// What the hostile VM holds (from its own OK replies), sorted.
    pub held: Vec<Held>,
    /// The hostile VM's negotiation, from its own replies.
    pub caller: Caller,
    /// A hostile request that must fail was accepted (index into [`Fleet::acts`]).
    pub violation: Option<u16>,
}

/// An action of the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FleetAction {
    /// Honest driver `i` takes its next step.
    Honest(u8),
    /// The hostile VM takes its i-th act.
    Hostile(u16),
}

fn frame(request: Request) -> Frame {
    Frame {
        version: abi::VERSION_2,
        request,
    }
}

/// Sends `frame` from `vm` through the decoder and handler and decodes the response; on an
/// error the host is unchanged and not cloned.
fn call(
    host: &HostState,
    cfg: &HostConfig,
    vm: VmId,
    f: &Frame,
) -> (Option<HostState>, Result<Reply, Status>) {
    call_bytes(host, cfg, vm, &abi::encode_request(f), f)
}

/// [`call`] with the request already encoded.
fn call_bytes(
    host: &HostState,
    cfg: &HostConfig,
    vm: VmId,
    bytes: &[u8],
    f: &Frame,
) -> (Option<HostState>, Result<Reply, Status>) {
    let version = f.version;
    match host.execute(cfg, vm, bytes) {
        Ok((s, reply)) => {
            let resp = abi::encode_response(version, &Ok(reply));
            match abi::decode_response(f.request.op(), &resp) {
                Ok((_, r)) => (Some(s), r),
                Err(e) => (None, Err(e.status())),
            }
        }
        Err(r) => (r.released.map(|s| *s), Err(r.status)),
    }
}

impl Fleet {
    /// The boot state: every VM negotiated v2 and switched with every feature, then the hostile
    /// VM's setup requests.
    pub fn init(&self, fid: u8, budget: u8) -> FleetState {
        let cfg = &self.cfg;
        let mut host = HostState::new(cfg);
        let mut caller = Caller {
            vm: self.hostile,
            version: None,
            granted: None,
        };
        for vm in 0..cfg.vms.len() {
            let vm = VmId::try_from(vm).unwrap_or(VmId::MAX);
            for req in [
                Request::Query,
                Request::Switch {
                    features: cfg.offered(abi::VERSION_2),
                },
            ] {
                let (h, r) = call(&host, cfg, vm, &frame(req));
                if vm == self.hostile {
                    match r {
                        Ok(Reply::Features(_)) => caller.version = Some(abi::VERSION_2),
                        Ok(Reply::Switched(f)) => caller.granted = Some(f),
                        _ => {}
                    }
                }
                if let Some(h) = h {
                    host = h;
                }
            }
        }
        if cfg.hypervisor == Some(HypervisorGen::HyperV) {
            // The hostile VM's devices are attached from the start (its entries map at once);
            // the honest drivers' devices are attached when they write their messages.
            for (i, d) in cfg.devices.iter().enumerate() {
                if d.owner == self.hostile {
                    host = host.attach(cfg, DeviceIdx::try_from(i).unwrap_or(DeviceIdx::MAX));
                }
            }
        }
        let mut held = Vec::new();
        for f in &self.setup {
            let (h, r) = call(&host, cfg, self.hostile, f);
            if let (Some(h), Ok(Reply::Composed { handle, count, .. }), Request::Compose(a)) =
                (h, r, f.request)
            {
                host = h;
                held.push(Held {
                    handle: handle as u16,
                    count: count as u8,
                    rid: a.device,
                    index: a.index,
                });
            }
        }
        held.sort();
        FleetState {
            fid,
            host,
            drivers: self
                .plans
                .iter()
                .map(|p| Driver {
                    stage: Stage::Idle,
                    handle: 0,
                    msg: MsiMsg::default(),
                    target: p.first,
                })
                .collect(),
            budget: budget.min(self.max_budget),
            held,
            caller,
            violation: None,
        }
    }

    /// One step.
    pub fn step(
        &self,
        st: &FleetState,
        action: FleetAction,
        mut trace: Option<&mut Vec<String>>,
    ) -> Option<FleetState> {
        let cfg = &self.cfg;
        // Formats only when a trace is wanted (the checker passes none).
        macro_rules! log {
            ($($arg:tt)*) => {
                if let Some(t) = trace.as_deref_mut() {
                    t.push(format!($($arg)*));
                }
            };
        }
        match action {
            FleetAction::Honest(i) => {
                let i = usize::from(i);
                let p = self.plans.get(i)?;
                let d = *st.drivers.get(i)?;
                let kind = cfg.device(p.dev)?.kind;
                let rid = cfg.device(p.dev)?.rid;
                let mut next = st.clone();
                let req = match d.stage {
                    Stage::Idle => Request::Compose(ComposeArgs {
                        kind,
                        count: p.count,
                        device: rid,
                        index: p.index,
                        apic_id: p.first.0,
                        vector: p.first.1,
                    }),
                    Stage::Composed => {
                        let slot = u16::try_from(p.index).ok()?;
                        // On a Hyper-V root the VMM attaches the device when its driver
                        // enables it: the entries composed so far are mapped only now.
                        let attached;
                        let host = if cfg.hypervisor == Some(HypervisorGen::HyperV) {
                            attached = st.host.attach(cfg, p.dev);
                            log!("device {} attached to VM {}", p.dev, p.vm);
                            &attached
                        } else {
                            &st.host
                        };
                        let (h, out) = host.guest_write(cfg, p.vm, p.dev, slot, d.msg);
                        log!(
                            "VM {} driver {i} writes its message to device {} slot {slot}: {out:?}",
                            p.vm,
                            p.dev
                        );
                        next.host = h;
                        next.drivers[i].stage = Stage::Live;
                        return Some(next);
                    }
                    Stage::Live => Request::Retarget {
                        handle: u32::from(d.handle),
                        apic_id: p.moved.0,
                        vector: p.moved.1,
                    },
                    Stage::Moved => Request::Free {
                        handle: u32::from(d.handle),
                    },
                    Stage::Freed | Stage::Failed(_) => return None,
                };
                let f = frame(req);
                let (h, r) = call(&st.host, cfg, p.vm, &f);
                log!("VM {} driver {i} -> {:?}: {r:?}", p.vm, f.request);
                if let Some(h) = h {
                    next.host = h;
                }
                let nd = &mut next.drivers[i];
                nd.stage = match (d.stage, r) {
                    (Stage::Idle, Ok(Reply::Composed { handle, count, msg })) => {
                        if count != u16::from(p.count) {
                            Stage::Failed(Status::BadCount)
                        } else {
                            nd.handle = u16::try_from(handle).ok()?;
                            nd.msg = msg;
                            Stage::Composed
                        }
                    }
                    (Stage::Live, Ok(_)) => {
                        nd.target = p.moved;
                        Stage::Moved
                    }
                    // A refused retarget leaves the vectors where they were.
                    (Stage::Live, Err(_)) => Stage::Moved,
                    (Stage::Moved, Ok(_)) => Stage::Freed,
                    (_, Err(e)) => Stage::Failed(e),
                    (_, Ok(_)) => Stage::Failed(Status::UnknownOp),
                };
                Some(next)
            }
            FleetAction::Hostile(i) => {
                if st.budget == 0 {
                    return None;
                }
                let act = *self.acts.get(usize::from(i))?;
                // The budget bounds the hostile requests that change the state; refused ones
                // (the state is unchanged) are free, so any number of them is checked.
                match act {
                    Act::Call(f) => {
                        let bytes = self.wire.get(usize::from(i))?;
                        let (h, r) = call_bytes(&st.host, cfg, self.hostile, bytes, &f);
                        log!("hostile VM {} -> {:?}: {r:?}", self.hostile, f.request);
                        // A refused request leaves the state as it was: no new state (and
                        // nothing to judge: only an accepted request can break a rule).
                        let h = h?;
                        let must_fail = safety::must_fail_call(cfg, &st.caller, &st.held, &f);
                        let mut next = st.clone();
                        next.host = h;
                        next.budget -= 1;
                        if must_fail {
                            next.violation = next.violation.or(Some(i));
                        }
                        Held::record(&mut next.held, &f.request, &r);
                        Some(next)
                    }
                    Act::Write { dev, slot, msg } => {
                        let (h, out) = st.host.guest_write(cfg, self.hostile, dev, slot, msg);
                        let must_fail = safety::must_fail_write(cfg, self.hostile, dev, slot);
                        log!(
                            "hostile VM {} writes device {dev} slot {slot} {msg:?}: {out:?}",
                            self.hostile
                        );
                        if matches!(out, WriteOutcome::Dropped(_)) {
                            return None;
                        }
                        let mut next = st.clone();
                        next.host = h;
                        next.budget -= 1;
                        if must_fail {
                            next.violation = next.violation.or(Some(i));
                        }
                        Some(next)
                    }
                }
            }
        }
    }

    /// Every honest driver whose vectors are live sees each of them delivered to exactly its
    /// VM, APIC and vector.
    pub fn no_silent_failure(&self, st: &FleetState) -> bool {
        self.plans.iter().zip(&st.drivers).all(|(p, d)| {
            if !matches!(d.stage, Stage::Live | Stage::Moved) {
                return true;
            }
            let Ok(slot) = u16::try_from(p.index) else {
                return false;
            };
            (0..p.count).all(|off| {
                let want = Target {
                    vm: p.vm,
                    apic: d.target.0,
                    vector: d.target.1.wrapping_add(off),
                };
                st.host.deliver(&self.cfg, p.dev, slot, off) == Delivery::Delivered(want)
            })
        })
    }

    /// Honest requests (valid arguments on the VM's own devices) fail only when the shared
    /// remapping table or host vectors run out (which a neighbour can cause), never otherwise.
    pub fn honest_requests_succeed(&self, st: &FleetState) -> bool {
        st.drivers
            .iter()
            .all(|d| !matches!(d.stage, Stage::Failed(s) if s != Status::NoResources))
    }
}

/// The model: several fleets, one initial state each.
#[derive(Debug, Clone)]
pub struct FleetModel {
    /// The configurations.
    pub fleets: Vec<Fleet>,
    /// Hostile actions per run.
    pub budget: u8,
}

/// Granted hostile requests per run in the fleet check (each fleet may cap it lower:
/// [`Fleet::max_budget`]).
pub const FLEET_HOSTILE_BUDGET: u8 = 6;

/// Every fleet property: name, kind, condition.
pub const FLEET_PROPERTIES: &PropertyTable<FleetModel> = &[
    ("no silent failure", Kind::Always, |m, s| {
        m.fleet(s).no_silent_failure(s)
    }),
    (
        "honest requests fail only for lack of host resources",
        Kind::Always,
        |m, s| m.fleet(s).honest_requests_succeed(s),
    ),
    ("isolation", Kind::Always, |m, s| {
        safety::isolation(&m.fleet(s).cfg, &s.host).is_ok()
    }),
    (
        "no leaked entries or quota, quotas never exceeded",
        Kind::Always,
        |m, s| safety::accounting(&m.fleet(s).cfg, &s.host).is_ok(),
    ),
    ("negotiated features enforced", Kind::Always, |m, s| {
        safety::features(&m.fleet(s).cfg, &s.host).is_ok()
    }),
    (
        "hostile requests that must fail do fail",
        Kind::Always,
        |_, s| s.violation.is_none(),
    ),
    ("honest vectors retargeted", Kind::Sometimes, |_, s| {
        s.drivers.iter().any(|d| d.stage == Stage::Moved)
    }),
    (
        "honest vectors retargeted by unmap + map (Hyper-V root)",
        Kind::Sometimes,
        |m, s| {
            let f = m.fleet(s);
            f.cfg.hypervisor == Some(HypervisorGen::HyperV)
                && s.host.hw.remaps > 0
                && f.plans
                    .iter()
                    .zip(&s.drivers)
                    .any(|(p, d)| d.stage == Stage::Moved && d.target == p.moved)
        },
    ),
    ("hostile allocation granted", Kind::Sometimes, |m, s| {
        s.held.len() > m.fleet(s).setup.len()
    }),
    ("a VM at its quota", Kind::Sometimes, |m, s| {
        let cfg = &m.fleet(s).cfg;
        s.host
            .vms
            .iter()
            .zip(&cfg.vms)
            .any(|(v, c)| c.quota > 0 && v.used == c.quota)
    }),
    ("remapping table full", Kind::Sometimes, |m, s| {
        s.host.irt.len() as u32 == m.fleet(s).cfg.irt_entries()
    }),
];

impl FleetModel {
    /// The standard fleets with hostile budget `budget`.
    pub fn new(budget: u8) -> FleetModel {
        FleetModel {
            fleets: standard_fleets(),
            budget,
        }
    }

    fn fleet(&self, s: &FleetState) -> &Fleet {
        &self.fleets[usize::from(s.fid)]
    }
}

impl Model for FleetModel {
    type State = FleetState;
    type Action = FleetAction;

    fn init_states(&self) -> Vec<FleetState> {
        self.fleets
            .iter()
            .enumerate()
            .map(|(i, f)| f.init(u8::try_from(i).unwrap_or(u8::MAX), self.budget))
            .collect()
    }

    fn actions(&self, s: &FleetState, out: &mut Vec<FleetAction>) {
        let f = self.fleet(s);
        // The honest drivers run round-robin in one schedule (every compose, then every write,
        // every retarget, every free: the least advanced driver goes next, VM 0's first), so
        // the two honest VMs' requests alternate; the hostile VM interleaves at every point.
        let next = s
            .drivers
            .iter()
            .enumerate()
            .filter(|(_, d)| !matches!(d.stage, Stage::Freed | Stage::Failed(_)))
            .min_by_key(|(i, d)| (d.stage.rank(), *i));
        if let Some((i, _)) = next {
            out.push(FleetAction::Honest(u8::try_from(i).unwrap_or(u8::MAX)));
        }
        if s.budget > 0 {
            out.extend(
                (0..f.acts.len())
                    .map(|i| FleetAction::Hostile(u16::try_from(i).unwrap_or(u16::MAX))),
            );
        }
    }

    fn next_state(&self, s: &FleetState, a: FleetAction) -> Option<FleetState> {
        self.fleet(s).step(s, a, None)
    }

    fn format_step(&self, s: &FleetState, a: FleetAction) -> Option<String> {
        let mut t = Vec::new();
        self.fleet(s).step(s, a, Some(&mut t))?;
        Some(t.join("; "))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        runner::properties(FLEET_PROPERTIES)
    }
}

/// The hostile argument space on `cfg`. Requests the host must grant are few (so a budget of 6
/// granted requests stays checkable); requests it must refuse are many, and refused requests
/// are free (they leave the state unchanged), so every one of them is tried in every state:
/// - COMPOSE on its own devices: index 0 at (APIC 0, vector 0x20); for MSI-X/IMS also the last
///   index at (last vCPU, 0xff); for MSI the largest power-of-two count that fits. Refused
///   variants: the first index past the end, count 0 and 3, APIC = vcpus, APIC 8, vector 0x1f,
///   a range running past 0xff, the wrong storage type;
/// - COMPOSE on every honest device (index 0);
/// - RETARGET of handles `0..handles` to (last vCPU, 0x61), and of handle 0 to APIC = vcpus;
///   FREE of handles `0..handles`;
/// - a repeated SWITCH and a QUERY of version 3;
/// - writes of forged messages (remappable naming IRTE 0, compatibility format) into slot 0 of
///   its first non-MSI device, past its end, and into an honest device.
pub fn hostile_acts(cfg: &HostConfig, hostile: VmId, handles: u16) -> Vec<Act> {
    let mut acts = Vec::new();
    let vcpus = cfg.vm(hostile).map_or(1, |v| u32::from(v.vcpus).max(1));
    let last = vcpus - 1;
    let own: Vec<(DeviceIdx, &DeviceCfg)> = cfg
        .devices
        .iter()
        .enumerate()
        .filter(|(_, d)| d.owner == hostile)
        .map(|(i, d)| (i as DeviceIdx, d))
        .take(2)
        .collect();
    let mut compose = |kind, count, device, index, apic_id, vector| {
        acts.push(Act::Call(frame(Request::Compose(ComposeArgs {
            kind,
            count,
            device,
            index,
            apic_id,
            vector,
        }))));
    };
    for &(_, d) in &own {
        let k = d.kind;
        let r = d.rid;
        if k == InterruptKind::Msi {
            let max = 1u8 << (15 - d.size.leading_zeros()).min(5);
            compose(k, max, r, 0, 0, 0x20);
            compose(k, 1, r, 1, 0, 0x20);
            compose(k, 3, r, 0, 0, 0x20);
            compose(k, 2, r, 0, last, 0xff);
        } else {
            let end = u32::from(d.size);
            compose(k, 1, r, 0, 0, 0x20);
            compose(k, 1, r, end - 1, last, 0xff);
            compose(k, 1, r, end, 0, 0x20);
            compose(k, 2, r, 0, 0, 0x20);
            let wrong = if k == InterruptKind::MsiX {
                InterruptKind::ImsDevMem
            } else {
                InterruptKind::MsiX
            };
            compose(wrong, 1, r, 0, 0, 0x20);
        }
        compose(k, 0, r, 0, 0, 0x20);
        compose(k, 1, r, 0, vcpus, 0x40);
        compose(k, 1, r, 0, 8, 0x40);
        compose(k, 1, r, 0, 0, 0x1f);
    }
    for d in cfg.devices.iter().filter(|d| d.owner != hostile).take(4) {
        compose(d.kind, 1, d.rid, 0, 0, 0x60);
    }
    for handle in 0..u32::from(handles) {
        acts.push(Act::Call(frame(Request::Retarget {
            handle,
            apic_id: last,
            vector: 0x61,
        })));
        acts.push(Act::Call(frame(Request::Free { handle })));
    }
    acts.push(Act::Call(frame(Request::Retarget {
        handle: 0,
        apic_id: vcpus,
        vector: 0x61,
    })));
    acts.push(Act::Call(frame(Request::Switch {
        features: abi::FEATURES_ALL,
    })));
    acts.push(Act::Call(Frame {
        version: 3,
        request: Request::Query,
    }));
    let forged = [
        RemappableMsi::linux(0, 0).encode().unwrap_or_default(),
        CompatMsi::fixed(0, 0x30).encode(false).unwrap_or_default(),
    ];
    if let Some(&(dev, d)) = own.iter().find(|(_, d)| d.kind != InterruptKind::Msi) {
        for msg in forged {
            acts.push(Act::Write { dev, slot: 0, msg });
        }
        acts.push(Act::Write {
            dev,
            slot: d.slots(),
            msg: forged[0],
        });
    }
    if let Some(victim) = cfg.devices.iter().position(|d| d.owner != hostile) {
        acts.push(Act::Write {
            dev: victim as DeviceIdx,
            slot: 0,
            msg: forged[0],
        });
    }
    acts
}

fn dev(rid: u16, owner: VmId, kind: InterruptKind, size: u16) -> DeviceCfg {
    DeviceCfg {
        rid,
        owner,
        kind,
        size,
    }
}

fn plan(vm: VmId, dev: DeviceIdx, count: u8, first: (u32, u8), moved: (u32, u8)) -> Plan {
    Plan {
        vm,
        dev,
        index: 0,
        count,
        first,
        moved,
    }
}

/// The standard configurations:
/// 1. `mixed`: VM 0 (2 vCPUs, quota 4) with MSI (2 vectors) and IMS in device memory, VM 1
///    (12 vCPUs, quota 255) with MSI-X and IMS in system memory retargeting to vCPU 11, the
///    hostile VM 2 (2 vCPUs, quota 3) with MSI-X and MSI; an 8-entry IRT that the three fill.
/// 2. `many-devices`: 260 devices; the hostile VM's MSI-X device is device 256 (which a `u8`
///    index would confuse with VM 0's device 0); VM 1's devices are 257 and 258.
/// 3. `quota-255`: the hostile VM has quota 255 and holds 224 entries (seven 32-vector MSI
///    allocations) before the check, with a 65 536-entry IRT and 16 vCPUs; its further 32-,
///    16- and 8-vector requests cross 255 or stand just below it. Two honest drivers (VM 0's
///    MSI-X, VM 1's 4-vector MSI) and a budget of 3: every state carries the 224 entries.
/// 4. `hyper-v`: `mixed`'s shape on a Hyper-V root host (retarget is unmap + map, a mapping
///    waits for its device's attach): VM 0 (2 vCPUs) with MSI (2 vectors) and MSI-X, VM 1
///    (10 vCPUs, quota 2) with MSI-X and IMS, the hostile VM 2 with MSI-X and MSI, a 7-entry
///    IRT. The hostile VM's devices are attached at boot, each honest device when its driver
///    writes its message, so the honest COMPOSEs map at attach and the RETARGETs unmap and map
///    under the hostile load.
///
/// `mixed`, `many-devices` and `hyper-v` run with a hostile budget of 6 granted requests.
pub fn standard_fleets() -> Vec<Fleet> {
    use InterruptKind::*;
    let mixed_cfg = HostConfig::new(
        Some(HypervisorGen::New),
        true,
        vec![
            VmCfg { vcpus: 2, quota: 3 },
            VmCfg {
                vcpus: 12,
                quota: 255,
            },
            VmCfg { vcpus: 2, quota: 3 },
        ],
        vec![
            dev(0x0100, 0, Msi, 2),
            dev(0x0101, 0, ImsDevMem, 2),
            dev(0x0200, 1, MsiX, 4),
            dev(0x0201, 1, ImsSysMem, 2),
            dev(0x0300, 2, MsiX, 2),
            dev(0x0301, 2, Msi, 2),
        ],
        8,
    );
    let mixed_plans = vec![
        plan(0, 0, 2, (0, 0x40), (1, 0xfe)),
        plan(0, 1, 1, (1, 0x41), (0, 0x20)),
        plan(1, 2, 1, (8, 0x40), (11, 0xff)),
        plan(1, 3, 1, (0, 0x42), (9, 0x43)),
    ];
    let mut fleets = vec![Fleet::new(
        "mixed",
        mixed_cfg.clone(),
        mixed_plans,
        2,
        Vec::new(),
        hostile_acts(&mixed_cfg, 2, 8),
        6,
    )];

    let mut devices: Vec<DeviceCfg> = (0..260u16).map(|i| dev(0x1000 + i, 0, MsiX, 2)).collect();
    devices[1].kind = ImsDevMem;
    devices[256].owner = 2;
    devices[257] = dev(0x1000 + 257, 1, Msi, 2);
    devices[258] = dev(0x1000 + 258, 1, ImsSysMem, 2);
    devices[259].owner = 2;
    devices[259].kind = ImsSysMem;
    let many_cfg = HostConfig::new(
        Some(HypervisorGen::New),
        true,
        vec![
            VmCfg { vcpus: 2, quota: 2 },
            VmCfg { vcpus: 9, quota: 3 },
            VmCfg { vcpus: 2, quota: 2 },
        ],
        devices,
        7,
    );
    fleets.push(Fleet::new(
        "many-devices",
        many_cfg.clone(),
        vec![
            plan(0, 0, 1, (0, 0x40), (1, 0x41)),
            plan(0, 1, 1, (1, 0x42), (0, 0x43)),
            plan(1, 257, 2, (8, 0x40), (0, 0xfe)),
            plan(1, 258, 1, (3, 0x44), (8, 0x45)),
        ],
        2,
        Vec::new(),
        hostile_acts(&many_cfg, 2, 7),
        6,
    ));

    let mut devices = vec![
        dev(0x0100, 0, MsiX, 2),
        dev(0x0101, 0, ImsSysMem, 2),
        dev(0x0200, 1, Msi, 4),
        dev(0x0201, 1, ImsDevMem, 2),
    ];
    // Hostile: a 2-slot MSI-X device, then nine 32-vector MSI devices (seven used in setup).
    devices.push(dev(0x0300, 2, MsiX, 2));
    devices.extend((0..9u16).map(|i| dev(0x0310 + i, 2, Msi, 32)));
    let quota_cfg = HostConfig::new(
        Some(HypervisorGen::New),
        true,
        vec![
            VmCfg { vcpus: 2, quota: 1 },
            VmCfg { vcpus: 2, quota: 4 },
            VmCfg {
                vcpus: 16,
                quota: 255,
            },
        ],
        devices,
        MAX_IRT_SIZE,
    );
    let setup = (0..7u16)
        .map(|i| {
            frame(Request::Compose(ComposeArgs {
                kind: Msi,
                count: 32,
                device: 0x0310 + i,
                index: 0,
                apic_id: u32::from(i),
                vector: 0x40,
            }))
        })
        .collect();
    let mut acts = hostile_acts(&quota_cfg, 2, 2);
    for (rid, count) in [(0x0317u16, 32u8), (0x0317, 16), (0x0318, 16), (0x0318, 8)] {
        acts.push(Act::Call(frame(Request::Compose(ComposeArgs {
            kind: Msi,
            count,
            device: rid,
            index: 0,
            apic_id: 15,
            vector: 0x80,
        }))));
    }
    fleets.push(Fleet::new(
        "quota-255",
        quota_cfg,
        vec![
            plan(0, 0, 1, (0, 0x40), (1, 0x41)),
            plan(1, 2, 4, (0, 0x40), (1, 0xfc)),
        ],
        2,
        setup,
        acts,
        3,
    ));

    let hyperv_cfg = HostConfig::new(
        Some(HypervisorGen::HyperV),
        true,
        vec![
            VmCfg { vcpus: 2, quota: 3 },
            VmCfg {
                vcpus: 10,
                quota: 2,
            },
            VmCfg { vcpus: 2, quota: 3 },
        ],
        vec![
            dev(0x0100, 0, Msi, 2),
            dev(0x0101, 0, MsiX, 2),
            dev(0x0200, 1, MsiX, 2),
            dev(0x0201, 1, ImsDevMem, 2),
            dev(0x0300, 2, MsiX, 2),
            dev(0x0301, 2, Msi, 2),
        ],
        7,
    );
    fleets.push(Fleet::new(
        "hyper-v",
        hyperv_cfg.clone(),
        vec![
            plan(0, 0, 2, (0, 0x40), (1, 0xfe)),
            plan(0, 1, 1, (1, 0x41), (0, 0x20)),
            plan(1, 2, 1, (9, 0x40), (3, 0xff)),
            plan(1, 3, 1, (0, 0x42), (9, 0x43)),
        ],
        2,
        Vec::new(),
        hostile_acts(&hyperv_cfg, 2, 7),
        6,
    ));
    fleets
}

/// One fleet property's result (the shared runner's).
pub type FleetPropertyResult = PropertyResult;

/// The outcome of a fleet check.
#[derive(Debug, Clone)]
pub struct FleetReport {
    /// Unique states.
    pub states: usize,
    /// Generated states including repeats.
    pub generated: usize,
    /// Deepest path.
    pub max_depth: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Per-property results in [`FLEET_PROPERTIES`] order.
    pub properties: Vec<FleetPropertyResult>,
}

impl FleetReport {
    /// True when every always-property holds and every sometimes-property was reached.
    pub fn passed(&self) -> bool {
        self.properties.iter().all(|p| p.holds)
    }
}

/// Runs the fleet check (breadth first) with `threads` threads.
pub fn check_fleet(model: FleetModel, threads: usize) -> FleetReport {
    let run = runner::run(model.clone(), threads, None);
    let properties = run.results(FLEET_PROPERTIES, |_, _, found| {
        let steps = found?.clone().into_vec();
        let mut lines = vec![format!("fleet {}", model.fleet(&steps.first()?.0).name)];
        for (s, a) in steps {
            if let Some(a) = a {
                let mut t = Vec::new();
                let _ = model.fleet(&s).step(&s, a, Some(&mut t));
                lines.extend(t);
            }
        }
        Some(lines)
    });
    FleetReport {
        states: run.states,
        generated: run.generated,
        max_depth: run.max_depth,
        elapsed: run.elapsed,
        properties,
    }
}

#[cfg(test)]
mod tests;
