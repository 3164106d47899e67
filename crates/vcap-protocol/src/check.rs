//! The exhaustive check: a stateright model whose transitions are [`World::apply`] — the same
//! guest and host step functions the library ships — over every scenario of
//! [`Scenario::all`], with a hostile neighbour VM in every guest scenario.

use std::time::Duration;

use stateright::{Model, Property};

use crate::guest::{GuestGen, Path};
use crate::host::{Delivery, Scheme};
use crate::runner::{self, PropertyTable};
pub use crate::runner::{Kind, PropertyResult};
use crate::world::{Action, Ctx, Env, MatrixRow, Scenario, World};

/// Hostile actions per run: every sequence of three from the bounded argument space, interleaved
/// with the honest guest at every point.
pub const DEFAULT_HOSTILE_BUDGET: u8 = 3;

/// The model: one context per canonical scenario.
#[derive(Debug, Clone)]
pub struct ProtocolModel {
    /// Contexts, indexed by [`World::sid`].
    pub ctxs: Vec<Ctx>,
    /// Hostile actions per run.
    pub hostile_budget: u8,
}

impl ProtocolModel {
    /// Every canonical scenario (bare-metal rows differ only in an absent hypervisor and are
    /// merged), each guest scenario with the hostile VM.
    pub fn new(hostile_budget: u8) -> ProtocolModel {
        let mut scenarios: Vec<Scenario> = Scenario::all(true)
            .iter()
            .map(Scenario::canonical)
            .collect();
        scenarios.sort();
        scenarios.dedup();
        ProtocolModel {
            ctxs: scenarios.into_iter().map(Ctx::new).collect(),
            hostile_budget,
        }
    }

    /// The same model over different contexts (tests use broken hosts).
    pub fn with_ctxs(ctxs: Vec<Ctx>, hostile_budget: u8) -> ProtocolModel {
        ProtocolModel {
            ctxs,
            hostile_budget,
        }
    }

    fn ctx(&self, w: &World) -> &Ctx {
        &self.ctxs[usize::from(w.sid)]
    }
}

impl Model for ProtocolModel {
    type State = World;
    type Action = Action;

    fn init_states(&self) -> Vec<World> {
        self.ctxs
            .iter()
            .enumerate()
            .map(|(i, c)| World::new(u16::try_from(i).unwrap_or(u16::MAX), c, self.hostile_budget))
            .collect()
    }

    fn actions(&self, state: &World, actions: &mut Vec<Action>) {
        state.actions(self.ctx(state), actions);
    }

    fn next_state(&self, last: &World, action: Action) -> Option<World> {
        last.apply(self.ctx(last), action, None)
    }

    fn format_step(&self, last: &World, action: Action) -> Option<String> {
        let mut t = Vec::new();
        last.apply(self.ctx(last), action, Some(&mut t))?;
        Some(t.join("; "))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        runner::properties(PROPERTIES)
    }
}

/// Every property: name, kind, condition.
pub const PROPERTIES: &PropertyTable<ProtocolModel> = &[
    ("no silent failure", Kind::Always, no_silent_failure),
    (
        "old guests behave exactly as today",
        Kind::Always,
        old_guest_as_today,
    ),
    (
        "IMS never on the vector domain or an unnegotiated vIR",
        Kind::Always,
        ims_only_where_allowed,
    ),
    ("both sides agree on the scheme", Kind::Always, sides_agree),
    ("isolation", Kind::Always, isolation),
    (
        "no leaked entries or quota, quotas never exceeded",
        Kind::Always,
        accounting,
    ),
    ("negotiated features enforced", Kind::Always, features),
    (
        "hostile requests that must fail do fail",
        Kind::Always,
        hostile_must_fail,
    ),
    ("IMS granted", Kind::Sometimes, ims_granted),
    ("IMS refused", Kind::Sometimes, ims_refused),
    ("fallback taken", Kind::Sometimes, fallback_taken),
    ("hostile request refused", Kind::Sometimes, hostile_refused),
];

/// Every vector the guest driver believes allocated delivers a device interrupt to exactly that
/// vector (the device raises each slot; the hardware resolves it).
/// A device not yet attached raises nothing (its vectors are checked once it is).
fn no_silent_failure(m: &ProtocolModel, w: &World) -> bool {
    !w.attached
        || w.raise_all(m.ctx(w))
            .iter()
            .all(|(_, _, expect, got)| *got == Delivery::Delivered(*expect))
}

/// An old guest never issues a hypercall, stays on the old scheme on both sides, obtains its
/// vectors only by trapped compatibility-format writes (natively on bare metal), and is refused IMS
/// unless it runs on real IR.
fn old_guest_as_today(m: &ProtocolModel, w: &World) -> bool {
    let ctx = m.ctx(w);
    if ctx.scenario.guest != GuestGen::Old {
        return true;
    }
    let host_vm = &w.host.vms[0];
    let paths_ok = w.guest.vectors.iter().all(|v| match ctx.scenario.env {
        Env::Guest => v.path == Path::Trapped,
        Env::BareMetal => matches!(v.path, Path::NativeIr | Path::NativeVector),
    });
    !w.guest_called
        && w.guest.scheme == Scheme::Old
        && host_vm.scheme == Scheme::Old
        && host_vm.version.is_none()
        && paths_ok
        && w.host.composed.values().all(|c| c.vm != 0)
}

/// IMS vectors exist only under a real IR unit or a vIR whose negotiation both sides completed;
/// the host composes IMS only for VMs on the new scheme.
fn ims_only_where_allowed(m: &ProtocolModel, w: &World) -> bool {
    let ctx = m.ctx(w);
    use crate::domain::ParentKind;
    let guest_ok = !ctx.scenario.device.is_ims()
        || w.guest.vectors.is_empty()
        || match w.guest.domain.kind {
            ParentKind::Vector => false,
            ParentKind::Ir {
                virtual_unit: false,
            } => ctx.scenario.env == Env::BareMetal,
            ParentKind::Ir { virtual_unit: true } => {
                w.guest.domain.negotiated && w.host.vms[0].scheme == Scheme::New
            }
        };
    let host_ok = w.host.composed.values().all(|c| {
        let kind = ctx.cfg.devices[c.device as usize].kind;
        !kind.is_ims() || w.host.vms[c.vm as usize].scheme == Scheme::New
    });
    guest_ok && host_ok
}

/// Guest and host agree on the scheme, the version and the vIR's negotiated flag after every step.
fn sides_agree(m: &ProtocolModel, w: &World) -> bool {
    if m.ctx(w).scenario.env == Env::BareMetal {
        return true;
    }
    let h = &w.host.vms[0];
    w.guest.scheme == h.scheme
        && w.guest.domain.negotiated == (h.scheme == Scheme::New)
        && (w.guest.version.is_none() || w.guest.version == h.version)
}

/// Isolation as the docs define it ([`crate::safety::isolation`]): every delivered interrupt
/// reaches a vCPU (`apic < vcpus`) and vector (`>= 0x20`) of the VM owning the device, on a
/// physical CPU of that VM; every remapping entry and allocation belongs to its device's owner.
fn isolation(m: &ProtocolModel, w: &World) -> bool {
    crate::safety::isolation(&m.ctx(w).cfg, &w.host).is_ok()
}

/// [`crate::safety::accounting`]: nothing leaked or shared, no quota exceeded.
fn accounting(m: &ProtocolModel, w: &World) -> bool {
    crate::safety::accounting(&m.ctx(w).cfg, &w.host).is_ok()
}

/// [`crate::safety::features`]: only negotiated kinds are composed.
fn features(m: &ProtocolModel, w: &World) -> bool {
    crate::safety::features(&m.ctx(w).cfg, &w.host).is_ok()
}

/// Every hostile request the documented rules refuse ([`crate::safety::must_fail_call`]) was
/// refused.
fn hostile_must_fail(_: &ProtocolModel, w: &World) -> bool {
    !w.hostile_violation
}

fn ims_granted(m: &ProtocolModel, w: &World) -> bool {
    m.ctx(w).scenario.device.is_ims() && w.guest.vectors.iter().any(|v| v.active)
}

fn ims_refused(_: &ProtocolModel, w: &World) -> bool {
    w.guest.ims_refused
}

fn fallback_taken(_: &ProtocolModel, w: &World) -> bool {
    w.guest.fallback.is_some()
}

fn hostile_refused(_: &ProtocolModel, w: &World) -> bool {
    w.hostile_refused
}

/// The outcome of a check.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Unique states explored.
    pub states: usize,
    /// States generated including repeats.
    pub generated: usize,
    /// Deepest path.
    pub max_depth: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Threads used.
    pub threads: usize,
    /// Scenarios (initial states).
    pub scenarios: usize,
    /// Property results in [`PROPERTIES`] order.
    pub properties: Vec<PropertyResult>,
    /// The matrix.
    pub matrix: Vec<MatrixRow>,
}

impl CheckReport {
    /// True when every always-property holds and every sometimes-property was reached.
    pub fn passed(&self) -> bool {
        self.properties.iter().all(|p| p.holds)
    }
}

/// Runs the model checker (breadth first) over `model` with `threads` threads.
pub fn check_model(model: ProtocolModel, threads: usize) -> CheckReport {
    let scenarios = model.ctxs.len();
    let run = runner::run(model.clone(), threads, None);
    let shortest = shortest_counterexamples(&model, &run.failing(PROPERTIES), run.max_depth);
    let properties = run.results(PROPERTIES, |name, kind, found| match kind {
        Kind::Always => shortest
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone()),
        Kind::Sometimes => found.map(|path| render_path(&model, path.clone().into_vec())),
    });
    CheckReport {
        states: run.states,
        generated: run.generated,
        max_depth: run.max_depth,
        elapsed: run.elapsed,
        threads,
        scenarios,
        properties,
        matrix: crate::world::matrix(),
    }
}

fn render_path(model: &ProtocolModel, steps: Vec<(World, Option<Action>)>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some((first, _)) = steps.first() {
        lines.push(format!(
            "scenario {}",
            model.ctx(first).scenario.labels().join(" / ")
        ));
    }
    for (state, action) in steps {
        if let Some(a) = action {
            let mut t = Vec::new();
            let _ = state.apply(model.ctx(&state), a, Some(&mut t));
            lines.extend(t);
        }
    }
    lines
}

/// Stateright records the last violating state it meets, not the first, so a failing property's
/// shortest counterexample is found by iterative deepening (one thread, deterministic).
fn shortest_counterexamples(
    model: &ProtocolModel,
    failing: &[&'static str],
    max_depth: usize,
) -> Vec<(&'static str, Vec<String>)> {
    let mut found: Vec<(&'static str, Vec<String>)> = Vec::new();
    for depth in 2..=max_depth + 1 {
        if found.len() == failing.len() {
            break;
        }
        let d = runner::run(model.clone(), 1, Some(depth)).discoveries;
        for name in failing {
            if found.iter().all(|(n, _)| n != name)
                && let Some(path) = d.get(name)
            {
                found.push((name, render_path(model, path.clone().into_vec())));
            }
        }
    }
    found
}

/// The full check: every scenario, hostile budget [`DEFAULT_HOSTILE_BUDGET`].
pub fn check(threads: usize) -> CheckReport {
    check_model(ProtocolModel::new(DEFAULT_HOSTILE_BUDGET), threads)
}

#[cfg(test)]
mod tests;
