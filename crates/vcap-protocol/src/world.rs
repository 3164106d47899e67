//! A whole system — guest, hypervisor, hardware IR or none, devices — as one pure step function
//! over [`World`]. `vcap protocol run` drives it for one scenario; the model checker
//! ([`crate::check`]) explores it for every scenario. Both call [`World::apply`].

use serde::Serialize;

use crate::abi::{self, ComposeArgs, Frame, InterruptKind, Request, Status};
use crate::formats::{CompatMsi, MsiMsg, RemappableMsi};
use crate::guest::{Fallback, GuestAction, GuestEnv, GuestGen, GuestInput, GuestState, Path};
use crate::host::{
    Delivery, DeviceCfg, HostConfig, HostState, HypervisorGen, Scheme, Target, VmCfg, WriteOutcome,
};
use crate::safety::{Caller, Held};

/// Bare metal or guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Env {
    /// The OS owns the hardware.
    BareMetal,
    /// The OS runs under a hypervisor.
    Guest,
}

/// One combination of layer generations and hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scenario {
    /// Guest kernel generation.
    pub guest: GuestGen,
    /// Hypervisor generation (ignored on bare metal).
    pub hypervisor: HypervisorGen,
    /// Hardware IR unit.
    pub hw_ir: bool,
    /// Bare metal or guest.
    pub env: Env,
    /// The device's storage type.
    pub device: InterruptKind,
    /// A hostile neighbour VM with its own device of the same type (guest only).
    pub hostile: bool,
}

/// Requester ID of the device under test.
pub const DEVICE_RID: u16 = 0x0100;
/// Requester ID of the hostile VM's device.
pub const HOSTILE_RID: u16 = 0x0200;
/// The hostile VM.
pub const HOSTILE_VM: u8 = 1;

impl Scenario {
    /// Every combination: guest {old,new} × hypervisor {old,new,new-rejecting,hyper-v} × hardware
    /// {no IR, IR} × {bare metal, guest} × device {MSI, MSI-X, IMS dev-mem, IMS sys-mem}.
    pub fn all(hostile: bool) -> Vec<Scenario> {
        let mut v = Vec::new();
        // The Hyper-V host's rows come last, so the earlier rows keep their indices (committed
        // fuzz seeds pick a scenario by index).
        let passes: [&[HypervisorGen]; 2] = [
            &[
                HypervisorGen::Old,
                HypervisorGen::New,
                HypervisorGen::NewRejecting,
            ],
            &[HypervisorGen::HyperV],
        ];
        for (guest, hypervisors) in passes
            .into_iter()
            .flat_map(|h| [GuestGen::Old, GuestGen::New].map(move |g| (g, h)))
        {
            for &hypervisor in hypervisors {
                for hw_ir in [false, true] {
                    for env in [Env::BareMetal, Env::Guest] {
                        for device in [
                            InterruptKind::Msi,
                            InterruptKind::MsiX,
                            InterruptKind::ImsDevMem,
                            InterruptKind::ImsSysMem,
                        ] {
                            v.push(Scenario {
                                guest,
                                hypervisor,
                                hw_ir,
                                env,
                                device,
                                hostile: hostile && env == Env::Guest,
                            });
                        }
                    }
                }
            }
        }
        v
    }

    /// The representative of this scenario's equivalence class: on bare metal the hypervisor
    /// generation cannot matter, so it is fixed to `Old` (a symmetry reduction).
    pub fn canonical(&self) -> Scenario {
        match self.env {
            Env::BareMetal => Scenario {
                hypervisor: HypervisorGen::Old,
                hostile: false,
                ..*self
            },
            Env::Guest => *self,
        }
    }

    /// The host configuration.
    pub fn host_config(&self) -> HostConfig {
        let bare = self.env == Env::BareMetal;
        let mut vms = vec![VmCfg { vcpus: 2, quota: 4 }];
        let mut devices = vec![DeviceCfg {
            rid: DEVICE_RID,
            owner: 0,
            kind: self.device,
            size: 2,
        }];
        if self.hostile && !bare {
            vms.push(VmCfg { vcpus: 2, quota: 1 });
            devices.push(DeviceCfg {
                rid: HOSTILE_RID,
                owner: HOSTILE_VM,
                kind: self.device,
                size: 2,
            });
        }
        HostConfig::new(
            if bare { None } else { Some(self.hypervisor) },
            self.hw_ir,
            vms,
            devices,
            8,
        )
    }

    /// What the guest sees.
    pub fn guest_env(&self) -> GuestEnv {
        GuestEnv {
            generation: self.guest,
            bare_metal: self.env == Env::BareMetal,
            hw_ir: self.hw_ir,
            device: 0,
            rid: DEVICE_RID,
            kind: self.device,
        }
    }

    /// Short labels for the matrix.
    pub fn labels(&self) -> [&'static str; 5] {
        [
            match self.guest {
                GuestGen::Old => "old",
                GuestGen::New => "new",
            },
            match (self.env, self.hypervisor) {
                (Env::BareMetal, _) => "-",
                (_, HypervisorGen::Old) => "old",
                (_, HypervisorGen::New) => "new",
                (_, HypervisorGen::NewRejecting) => "new-rejecting",
                (_, HypervisorGen::HyperV) => "hyper-v",
            },
            if self.hw_ir { "IR" } else { "no IR" },
            match self.env {
                Env::BareMetal => "bare metal",
                Env::Guest => "guest",
            },
            kind_label(self.device),
        ]
    }
}

/// A label for an interrupt kind.
pub fn kind_label(k: InterruptKind) -> &'static str {
    match k {
        InterruptKind::Msi => "MSI",
        InterruptKind::MsiX => "MSI-X",
        InterruptKind::ImsDevMem => "IMS-devmem",
        InterruptKind::ImsSysMem => "IMS-sysmem",
    }
}

/// What the hostile VM can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostileAct {
    /// A hypercall (sent as bytes through the same decoder and handler).
    Call(Frame),
    /// A write into its own device's storage (trapped or direct, as the host decides).
    Write {
        /// Slot.
        slot: u16,
        /// Message (possibly forged).
        msg: MsiMsg,
    },
}

/// The bounded argument space of the hostile VM: every combination of device {own, victim's},
/// index {0, 1, first out of bounds (2)}, count {1, 3 (MSI: not a power of two)}, APIC {valid,
/// invalid}, vector {valid, exception range}; retarget/free of handles {0, 1, 2}; a repeated
/// switch; an unknown version; and writes of forged messages (compatibility format at a host
/// vector, remappable naming IRTEs 0 and 1) to slots {0, out of bounds (2)}.
pub fn hostile_acts(kind: InterruptKind) -> Vec<HostileAct> {
    let v2 = abi::VERSION_2;
    let mut acts = Vec::new();
    let counts: &[u8] = if kind == InterruptKind::Msi {
        &[1, 3]
    } else {
        &[1]
    };
    for device in [HOSTILE_RID, DEVICE_RID] {
        for index in [0u32, 1, 2] {
            for &count in counts {
                for apic_id in [0u32, 2] {
                    for vector in [0x60u8, 0x10] {
                        let a = ComposeArgs {
                            kind,
                            count,
                            device,
                            index,
                            apic_id,
                            vector,
                        };
                        acts.push(HostileAct::Call(Frame {
                            version: v2,
                            request: Request::Compose(a),
                        }));
                    }
                }
            }
        }
    }
    for handle in 0..3u32 {
        acts.push(HostileAct::Call(Frame {
            version: v2,
            request: Request::Retarget {
                handle,
                apic_id: 1,
                vector: 0x61,
            },
        }));
        acts.push(HostileAct::Call(Frame {
            version: v2,
            request: Request::Free { handle },
        }));
    }
    acts.push(HostileAct::Call(Frame {
        version: v2,
        request: Request::Switch {
            features: abi::FEATURES_ALL,
        },
    }));
    acts.push(HostileAct::Call(Frame {
        version: 3,
        request: Request::Query,
    }));
    let forged = [
        CompatMsi::fixed(0, 0x30).encode(false).unwrap_or_default(),
        RemappableMsi::linux(0, 0).encode().unwrap_or_default(),
        RemappableMsi::linux(1, 0).encode().unwrap_or_default(),
    ];
    for slot in [0u16, 2] {
        for msg in forged {
            acts.push(HostileAct::Write { slot, msg });
        }
    }
    acts
}

/// Everything fixed for one scenario.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The scenario.
    pub scenario: Scenario,
    /// Host configuration.
    pub cfg: HostConfig,
    /// The guest's view.
    pub env: GuestEnv,
    /// The hostile VM's choices (empty without one).
    pub hostile: Vec<HostileAct>,
    /// What the hostile VM knows of its own negotiation after boot (the documented rule: a
    /// new hypervisor offers version 2; it grants the switch only with IR and when not
    /// rejecting).
    pub hostile_caller: Caller,
}

impl Ctx {
    /// The guest's device is attached by an action rather than at boot (a Hyper-V host).
    pub fn deferred_attach(&self) -> bool {
        self.scenario.env == Env::Guest && self.scenario.hypervisor == HypervisorGen::HyperV
    }

    /// Builds the context of a scenario.
    pub fn new(scenario: Scenario) -> Ctx {
        Ctx {
            scenario,
            cfg: scenario.host_config(),
            env: scenario.guest_env(),
            hostile: if scenario.hostile {
                hostile_acts(scenario.device)
            } else {
                Vec::new()
            },
            hostile_caller: {
                let new = matches!(
                    scenario.hypervisor,
                    HypervisorGen::New | HypervisorGen::NewRejecting | HypervisorGen::HyperV
                );
                let granted = matches!(
                    scenario.hypervisor,
                    HypervisorGen::New | HypervisorGen::HyperV
                ) && scenario.hw_ir;
                Caller {
                    vm: HOSTILE_VM,
                    version: new.then_some(abi::VERSION_2),
                    granted: granted.then(|| scenario.host_config().offered(abi::VERSION_2)),
                }
            },
        }
    }
}

/// An action of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The honest guest takes its next step.
    Guest,
    /// The hostile VM takes its i-th choice from [`Ctx::hostile`].
    Hostile(u16),
    /// The guest's device is attached to it (a Hyper-V host only: until then the hypervisor
    /// holds back the mappings composed for it, and the device raises nothing).
    Attach,
}

/// The state of the whole system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct World {
    /// Index of the scenario (into the model's context list).
    pub sid: u16,
    /// The host and hardware.
    pub host: HostState,
    /// The honest guest (VM 0).
    pub guest: GuestState,
    /// Hostile actions left.
    pub hostile_budget: u8,
    /// The host refused at least one hostile request.
    pub hostile_refused: bool,
    /// The allocations the hostile VM holds, from its own OK replies (sorted).
    pub hostile_held: Vec<Held>,
    /// The host accepted a hostile request that the documented rules refuse.
    pub hostile_violation: bool,
    /// The honest guest has issued at least one hypercall.
    pub guest_called: bool,
    /// The guest's device is attached (from boot, except on a Hyper-V host, where attaching
    /// is an action that can come at any point).
    pub attached: bool,
}

impl World {
    /// The boot state. In a guest with a hostile neighbour, the neighbour has already negotiated
    /// (and switched, where the host grants it) so that its requests reach the deep checks.
    pub fn new(sid: u16, ctx: &Ctx, hostile_budget: u8) -> World {
        let mut host = HostState::new(&ctx.cfg);
        let deferred = ctx.deferred_attach();
        if !deferred {
            host = host.attach(&ctx.cfg, 0);
        }
        if ctx.scenario.hostile {
            host = host.attach(&ctx.cfg, 1);
            for req in [
                Request::Query,
                Request::Switch {
                    features: ctx.cfg.offered(abi::VERSION_2),
                },
            ] {
                let bytes = abi::encode_request(&Frame {
                    version: abi::VERSION_2,
                    request: req,
                });
                host = host.handle(&ctx.cfg, HOSTILE_VM, &bytes).0;
            }
        }
        World {
            sid,
            host,
            guest: GuestState::new(),
            hostile_budget: if ctx.scenario.hostile {
                hostile_budget
            } else {
                0
            },
            hostile_refused: false,
            hostile_held: Vec::new(),
            hostile_violation: false,
            guest_called: false,
            attached: !deferred,
        }
    }

    /// The enabled actions.
    pub fn actions(&self, ctx: &Ctx, out: &mut Vec<Action>) {
        if self.guest.next_action(&ctx.env).is_some() {
            out.push(Action::Guest);
        }
        if self.hostile_budget > 0 {
            out.extend(
                (0..ctx.hostile.len())
                    .map(|i| Action::Hostile(u16::try_from(i).unwrap_or(u16::MAX))),
            );
        }
        if !self.attached {
            out.push(Action::Attach);
        }
    }

    /// Performs one action; appends a human-readable line per effect to `trace` when given.
    pub fn apply(
        &self,
        ctx: &Ctx,
        action: Action,
        mut trace: Option<&mut Vec<String>>,
    ) -> Option<World> {
        let mut w = self.clone();
        // Formats a trace line only when a trace is wanted (the model checker passes none).
        macro_rules! log {
            ($($arg:tt)*) => {
                if let Some(t) = trace.as_deref_mut() {
                    t.push(format!($($arg)*));
                }
            };
        }
        match action {
            Action::Attach => {
                if self.attached {
                    return None;
                }
                log!("host   :  device attached to the guest");
                w.host = self.host.attach(&ctx.cfg, ctx.env.device);
                w.attached = true;
            }
            Action::Guest => {
                let ga = self.guest.next_action(&ctx.env)?;
                let input = match ga {
                    GuestAction::Local => GuestInput::Local,
                    GuestAction::Hypercall(frame) => {
                        w.guest_called = true;
                        let (h, res) = call(&self.host, &ctx.cfg, 0, &frame);
                        log!("guest  -> hypercall {}", describe_frame(&frame));
                        log!("host   <- {}", describe_result(&res));
                        w.host = h;
                        GuestInput::Reply(res)
                    }
                    GuestAction::Write { slot, msg } => {
                        let (h, out) = self.host.guest_write(&ctx.cfg, 0, 0, slot, msg);
                        log!(
                            "guest  -> writes slot {slot} {}: {}",
                            describe_msg(&msg),
                            describe_write(&out)
                        );
                        w.host = h;
                        GuestInput::Written(out)
                    }
                    GuestAction::Native {
                        slot,
                        count,
                        apic,
                        vector,
                    } => {
                        let r = self
                            .host
                            .native_program(&ctx.cfg, 0, slot, count, apic, vector);
                        match r {
                            Ok((h, msg)) => {
                                log!(
                                    "os     -> programs slot {slot} for APIC {apic} vector {vector:#04x} x{count} natively: {}",
                                    describe_msg(&msg)
                                );
                                w.host = h;
                                GuestInput::Native(Ok(msg))
                            }
                            Err(e) => {
                                log!("os     -> native programming of slot {slot} failed: {e}");
                                if let Some(h) = e.released {
                                    w.host = *h;
                                }
                                GuestInput::Native(Err(e.status))
                            }
                        }
                    }
                };
                let before = self.guest.phase;
                w.guest = self.guest.on_input(&ctx.env, input);
                if before == crate::guest::Phase::Boot {
                    log!(
                        "guest  :  MSI parent domain {} (IMS {})",
                        w.guest.domain.name(),
                        if w.guest.domain.supports_ims() {
                            "supported"
                        } else {
                            "not supported"
                        }
                    );
                }
                if w.guest.ims_refused
                    && !self.guest.ims_refused
                    && let Err(e) = w.guest.domain.alloc_ims_vector(
                        if ctx.env.kind == InterruptKind::ImsSysMem {
                            crate::domain::ChildKind::ImsSysMem
                        } else {
                            crate::domain::ChildKind::ImsDevMem
                        },
                    )
                {
                    log!("guest  :  alloc_ims_vector(): {e}");
                }
                if let (Some(f), None) = (w.guest.fallback, self.guest.fallback) {
                    log!("guest  :  stays on the old scheme ({f:?})");
                }
                if w.guest.scheme == Scheme::New && self.guest.scheme == Scheme::Old {
                    log!(
                        "guest  :  switched to the new scheme (version {}); parent domain {} (IMS {})",
                        w.guest.version.unwrap_or(0),
                        w.guest.domain.name(),
                        if w.guest.domain.supports_ims() {
                            "supported"
                        } else {
                            "not supported"
                        }
                    );
                }
            }
            Action::Hostile(i) => {
                if self.hostile_budget == 0 {
                    return None;
                }
                w.hostile_budget -= 1;
                match *ctx.hostile.get(i as usize)? {
                    HostileAct::Call(frame) => {
                        let must_fail = crate::safety::must_fail_call(
                            &ctx.cfg,
                            &ctx.hostile_caller,
                            &self.hostile_held,
                            &frame,
                        );
                        let (h, res) = call(&self.host, &ctx.cfg, HOSTILE_VM, &frame);
                        log!("hostile-> hypercall {}", describe_frame(&frame));
                        log!("host   <- {}", describe_result(&res));
                        w.hostile_refused |= res.is_err();
                        w.hostile_violation |= must_fail && res.is_ok();
                        Held::record(&mut w.hostile_held, &frame.request, &res);
                        w.host = h;
                    }
                    HostileAct::Write { slot, msg } => {
                        let (h, out) = self.host.guest_write(&ctx.cfg, HOSTILE_VM, 1, slot, msg);
                        log!(
                            "hostile-> writes slot {slot} {}: {}",
                            describe_msg(&msg),
                            describe_write(&out)
                        );
                        let dropped = matches!(out, WriteOutcome::Dropped(_));
                        w.hostile_refused |= dropped;
                        w.hostile_violation |= !dropped
                            && crate::safety::must_fail_write(&ctx.cfg, HOSTILE_VM, 1, slot);
                        w.host = h;
                    }
                }
            }
        }
        Some(w)
    }

    /// Runs the honest guest to completion (no hostile actions), with a trace; on a Hyper-V
    /// host the device is attached after the guest has composed everything (the deferred case).
    pub fn run_to_end(ctx: &Ctx, mut trace: Option<&mut Vec<String>>) -> World {
        let mut w = World::new(0, ctx, 0);
        for _ in 0..64 {
            match w.apply(ctx, Action::Guest, trace.as_deref_mut()) {
                Some(n) => w = n,
                None => break,
            }
        }
        if let Some(n) = w.apply(ctx, Action::Attach, trace) {
            w = n;
        }
        w
    }

    /// For every vector the guest believes live: what the device's interrupt actually reaches.
    pub fn raise_all(&self, ctx: &Ctx) -> Vec<(u16, u8, Target, Delivery)> {
        let mut v = Vec::new();
        for gv in self.guest.vectors.iter().filter(|g| g.active) {
            for off in 0..gv.count {
                // The guest validated its vector range (it ends at 0xff at most).
                let Some(vector) = gv.vector.checked_add(off) else {
                    break;
                };
                let expect = Target {
                    vm: 0,
                    apic: gv.apic,
                    vector,
                };
                v.push((
                    gv.slot,
                    off,
                    expect,
                    self.host.deliver(&ctx.cfg, ctx.env.device, gv.slot, off),
                ));
            }
        }
        v
    }
}

/// Sends `frame` from `vm` as bytes through the host's decoder and handler, and decodes the
/// response as the guest would.
pub fn call(
    host: &HostState,
    cfg: &HostConfig,
    vm: u8,
    frame: &Frame,
) -> (HostState, Result<abi::Reply, Status>) {
    let bytes = abi::encode_request(frame);
    let (h, resp) = host.handle(cfg, vm, &bytes);
    let res = match abi::decode_response(frame.request.op(), &resp) {
        Ok((_, r)) => r,
        Err(e) => Err(e.status()),
    };
    (h, res)
}

fn describe_frame(f: &Frame) -> String {
    match f.request {
        Request::Query => format!("QUERY v{}", f.version),
        Request::Switch { features } => format!("SWITCH v{} features {features:#x}", f.version),
        Request::Compose(a) => format!(
            "COMPOSE v{} {} device {:04x} index {} count {} -> APIC {} vector {:#04x}",
            f.version,
            kind_label(a.kind),
            a.device,
            a.index,
            a.count,
            a.apic_id,
            a.vector
        ),
        Request::Retarget {
            handle,
            apic_id,
            vector,
        } => {
            format!(
                "RETARGET v{} handle {handle} -> APIC {apic_id} vector {vector:#04x}",
                f.version
            )
        }
        Request::Free { handle } => format!("FREE v{} handle {handle}", f.version),
    }
}

fn describe_result(r: &Result<abi::Reply, Status>) -> String {
    match r {
        Ok(abi::Reply::Features(f)) => format!("OK, features {f:#x}"),
        Ok(abi::Reply::Switched(f)) => {
            format!("OK, switched to the new scheme with features {f:#x}")
        }
        Ok(abi::Reply::Composed { handle, count, msg }) => {
            format!(
                "OK, handle {handle} x{count}, message {}",
                describe_msg(msg)
            )
        }
        Ok(abi::Reply::Done) => "OK".into(),
        Err(s) => format!("error {s}"),
    }
}

/// A message with its decoded form.
pub fn describe_msg(m: &MsiMsg) -> String {
    let raw = format!(
        "{:08x}/{:08x} data {:08x}",
        m.address_hi, m.address_lo, m.data
    );
    if crate::formats::is_remappable(m) {
        match RemappableMsi::decode(m) {
            Ok(r) => format!(
                "{raw} [remappable handle {} subhandle {}]",
                r.handle, r.subhandle
            ),
            Err(e) => format!("{raw} [malformed: {e}]"),
        }
    } else {
        match CompatMsi::decode(m, false) {
            Ok(c) => format!("{raw} [compat APIC {} vector {:#04x}]", c.dest_id, c.vector),
            Err(e) => format!("{raw} [malformed: {e}]"),
        }
    }
}

fn describe_write(o: &WriteOutcome) -> String {
    match o {
        WriteOutcome::Remapped => "trapped, validated and remapped by the host".into(),
        WriteOutcome::PassedThrough => "trapped, composed message passed through".into(),
        WriteOutcome::Direct => "direct (not trapped)".into(),
        WriteOutcome::Dropped(why) => format!("dropped: {why}"),
    }
}

/// One matrix row: a combination and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MatrixRow {
    /// Guest generation.
    pub guest: &'static str,
    /// Hypervisor generation (`-` on bare metal).
    pub hypervisor: &'static str,
    /// Hardware IR.
    pub hardware: &'static str,
    /// Bare metal or guest.
    pub env: &'static str,
    /// Device storage type.
    pub device: &'static str,
    /// Negotiation result.
    pub negotiation: String,
    /// The path the vectors took.
    pub path: &'static str,
    /// The outcome class: `IMS granted`, `IMS refused`, `fallback taken`, or the vector path.
    pub outcome: String,
    /// Vectors delivered to exactly the vector the guest expects / vectors the guest holds.
    pub delivered: String,
}

/// Runs one scenario's honest guest to the end and classifies the outcome.
pub fn matrix_row(s: Scenario) -> MatrixRow {
    let ctx = Ctx::new(Scenario {
        hostile: false,
        ..s
    });
    let w = World::run_to_end(&ctx, None);
    let raised = w.raise_all(&ctx);
    let ok = raised
        .iter()
        .filter(|(_, _, t, d)| *d == Delivery::Delivered(*t))
        .count();
    let g = &w.guest;
    let negotiation = match (s.env, s.guest, g.fallback, g.scheme) {
        (Env::BareMetal, _, _, _) => "n/a (bare metal)".to_string(),
        (_, GuestGen::Old, _, _) => "not attempted (old guest)".to_string(),
        (_, _, Some(f), _) => format!("fallback: {}", fallback_label(f)),
        (_, _, None, Scheme::New) => format!("granted v{}", g.version.unwrap_or(0)),
        (_, _, None, Scheme::Old) => "none".to_string(),
    };
    let path = match g.vectors.first().map(|v| v.path) {
        Some(Path::NativeVector) => "native (vector domain, compat format)",
        Some(Path::NativeIr) => "native (IR, remappable format)",
        Some(Path::Trapped) => "trapped compat write, host remaps",
        Some(Path::Composed) => "compose hypercall",
        None => "none",
    };
    let mut outcome = Vec::new();
    if s.device.is_ims() {
        outcome.push(if g.ims_refused {
            "IMS refused"
        } else if ok > 0 {
            "IMS granted"
        } else {
            "IMS failed"
        });
    }
    if g.fallback.is_some() {
        outcome.push("fallback taken");
    }
    if outcome.is_empty() {
        outcome.push(if g.error.is_some() {
            "allocation error"
        } else {
            "vectors allocated"
        });
    }
    let [guest, hypervisor, hardware, env, device] = s.labels();
    MatrixRow {
        guest,
        hypervisor,
        hardware,
        env,
        device,
        negotiation,
        path,
        outcome: outcome.join(", "),
        delivered: format!("{ok}/{}", raised.len()),
    }
}

fn fallback_label(f: Fallback) -> String {
    match f {
        Fallback::NoHypercall => "no hypercall".into(),
        Fallback::NoCommonVersion => "no common version".into(),
        Fallback::FeaturesMissing => "features not offered".into(),
        Fallback::Rejected => "switch rejected".into(),
        Fallback::Error(s) => format!("error {s}"),
    }
}

/// The full matrix (every combination, no hostile VM).
pub fn matrix() -> Vec<MatrixRow> {
    Scenario::all(false).into_iter().map(matrix_row).collect()
}

#[cfg(test)]
mod tests;
