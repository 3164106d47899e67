//! `vcap protocol run` and `vcap protocol check`: thin wrappers over `vcap_protocol`.

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use vcap_protocol::abi::InterruptKind;
use vcap_protocol::check::{self, CheckReport, Kind, ProtocolModel};
use vcap_protocol::fleet;
use vcap_protocol::guest::GuestGen;
use vcap_protocol::host::{Delivery, HypervisorGen, Target};
use vcap_protocol::world::{self, Ctx, Env, MatrixRow, Scenario, World};

/// The protocol subcommands.
#[derive(Debug, Subcommand)]
pub enum ProtocolCommand {
    /// Run one scenario end to end and print its trace.
    Run(RunArgs),
    /// Check every combination of layer generations exhaustively.
    Check(CheckArgs),
}

/// Guest kernel generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GuestArg {
    /// Never looks for the hypercall.
    Old,
    /// Initialises vIR, detects the hypercall, asks to switch.
    New,
}

/// Hypervisor generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HypervisorArg {
    /// No hypercall; traps MSI/MSI-X writes.
    Old,
    /// Grants the switch when it can.
    New,
    /// Implements the hypercall, rejects every switch.
    NewRejecting,
    /// Implements the hypercall in Hyper-V's root partition: mappings through
    /// HVCALL_MAP/UNMAP_DEVICE_INTERRUPT, deferred until the device is attached.
    HyperV,
}

/// Hardware interrupt remapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HardwareArg {
    /// No IR unit.
    NoIr,
    /// A VT-d-style IR unit.
    Ir,
}

/// Where the OS runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvArg {
    /// The OS owns the hardware.
    BareMetal,
    /// Under a hypervisor.
    Guest,
}

/// The device's interrupt storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// PCI MSI.
    Msi,
    /// PCI MSI-X.
    Msix,
    /// IMS, storage in device memory.
    ImsDevmem,
    /// IMS, storage in system memory.
    ImsSysmem,
}

/// Arguments of `vcap protocol run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Guest kernel generation.
    #[arg(long, value_enum, default_value = "new")]
    pub guest: GuestArg,
    /// Hypervisor generation (ignored on bare metal).
    #[arg(long, value_enum, default_value = "new")]
    pub hypervisor: HypervisorArg,
    /// Hardware interrupt remapping.
    #[arg(long, value_enum, default_value = "ir")]
    pub hardware: HardwareArg,
    /// Bare metal or guest.
    #[arg(long, value_enum, default_value = "guest")]
    pub env: EnvArg,
    /// The device's interrupt storage.
    #[arg(long, value_enum, default_value = "ims-devmem")]
    pub device: DeviceArg,
}

/// Arguments of `vcap protocol check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Checker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Hostile actions per run (the bounded hostile argument space is fixed). Default: 3 for
    /// the scenario check; 6 granted requests for `--fleet`.
    #[arg(long)]
    pub hostile_budget: Option<u8>,
    /// Check the fleet instead: two honest VMs and a hostile one sharing a host, at the limits
    /// (more than 8 vCPUs, more than 256 devices, quota 255, a full IRT). Millions of states:
    /// use a release build.
    #[arg(long)]
    pub fleet: bool,
}

/// Why a protocol command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing the output failed.
    #[error("protocol: writing output: {0}")]
    Output(#[from] std::io::Error),
    /// Serialising JSON failed.
    #[error("protocol: writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A bad argument.
    #[error("protocol check: --threads must be between 1 and 64, got {0}")]
    Threads(usize),
}

/// Runs a `vcap protocol` subcommand. Exit status: 0 all good; 1 a property failed (check) or
/// an interrupt missed the vector the guest expects (run).
pub fn run(c: &ProtocolCommand, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    match c {
        ProtocolCommand::Run(a) => run_scenario(a, json, out),
        ProtocolCommand::Check(a) => run_check(a, json, out),
    }
}

fn scenario_of(a: &RunArgs) -> Scenario {
    Scenario {
        guest: match a.guest {
            GuestArg::Old => GuestGen::Old,
            GuestArg::New => GuestGen::New,
        },
        hypervisor: match a.hypervisor {
            HypervisorArg::Old => HypervisorGen::Old,
            HypervisorArg::New => HypervisorGen::New,
            HypervisorArg::NewRejecting => HypervisorGen::NewRejecting,
            HypervisorArg::HyperV => HypervisorGen::HyperV,
        },
        hw_ir: a.hardware == HardwareArg::Ir,
        env: match a.env {
            EnvArg::BareMetal => Env::BareMetal,
            EnvArg::Guest => Env::Guest,
        },
        device: match a.device {
            DeviceArg::Msi => InterruptKind::Msi,
            DeviceArg::Msix => InterruptKind::MsiX,
            DeviceArg::ImsDevmem => InterruptKind::ImsDevMem,
            DeviceArg::ImsSysmem => InterruptKind::ImsSysMem,
        },
        hostile: false,
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Raised {
    slot: u16,
    offset: u8,
    expected: Target,
    delivered: Option<Target>,
    fault: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct RunJson {
    trace: Vec<String>,
    interrupts: Vec<Raised>,
    outcome: MatrixRow,
}

fn run_scenario(a: &RunArgs, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    let s = scenario_of(a);
    let ctx = Ctx::new(s);
    let mut trace = Vec::new();
    let w = World::run_to_end(&ctx, Some(&mut trace));
    let interrupts: Vec<Raised> = w
        .raise_all(&ctx)
        .into_iter()
        .map(|(slot, offset, expected, d)| match d {
            Delivery::Delivered(t) => Raised {
                slot,
                offset,
                expected,
                delivered: Some(t),
                fault: None,
            },
            Delivery::Fault(why) => Raised {
                slot,
                offset,
                expected,
                delivered: None,
                fault: Some(why.to_string()),
            },
            Delivery::NoMessage => Raised {
                slot,
                offset,
                expected,
                delivered: None,
                fault: Some("no message".into()),
            },
            Delivery::Disabled => Raised {
                slot,
                offset,
                expected,
                delivered: None,
                fault: Some("IMS disabled".into()),
            },
        })
        .collect();
    let all_ok = interrupts.iter().all(|r| r.delivered == Some(r.expected));
    let outcome = world::matrix_row(s);
    if json {
        let body = RunJson {
            trace,
            interrupts,
            outcome,
        };
        let doc = crate::json::envelope(crate::json::PROTOCOL_RUN, &body);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        let [g, h, hw, env, dev] = s.labels();
        writeln!(
            out,
            "scenario: guest {g}, hypervisor {h}, hardware {hw}, {env}, device {dev}"
        )?;
        for line in &trace {
            writeln!(out, "  {line}")?;
        }
        writeln!(out, "device raises its interrupts:")?;
        if interrupts.is_empty() {
            writeln!(out, "  (the guest holds no vectors)")?;
        }
        for r in &interrupts {
            let got = match (&r.delivered, &r.fault) {
                (Some(t), _) => format!(
                    "delivered to VM {} APIC {} vector {:#04x}",
                    t.vm, t.apic, t.vector
                ),
                (None, Some(f)) => format!("not delivered: {f}"),
                (None, None) => "not delivered".into(),
            };
            let mark = if r.delivered == Some(r.expected) {
                "ok"
            } else {
                "MISMATCH"
            };
            writeln!(
                out,
                "  slot {} +{}: {got} (guest expects APIC {} vector {:#04x}) {mark}",
                r.slot, r.offset, r.expected.apic, r.expected.vector
            )?;
        }
        writeln!(
            out,
            "outcome: {}; negotiation: {}; path: {}; delivered {}",
            outcome.outcome, outcome.negotiation, outcome.path, outcome.delivered
        )?;
    }
    Ok(if all_ok { 0 } else { 1 })
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PropJson {
    name: &'static str,
    kind: Kind,
    holds: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct CheckJson<'a> {
    states: usize,
    properties: Vec<PropJson>,
    matrix: &'a [MatrixRow],
}

fn run_check(a: &CheckArgs, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    if a.threads == 0 || a.threads > 64 {
        return Err(Error::Threads(a.threads));
    }
    if a.fleet {
        return run_fleet(a, json, out);
    }
    let budget = a.hostile_budget.unwrap_or(check::DEFAULT_HOSTILE_BUDGET);
    let r = check::check_model(ProtocolModel::new(budget), a.threads);
    if json {
        let j = CheckJson {
            states: r.states,
            properties: r
                .properties
                .iter()
                .map(|p| PropJson {
                    name: p.name,
                    kind: p.kind,
                    holds: p.holds,
                })
                .collect(),
            matrix: &r.matrix,
        };
        serde_json::to_writer_pretty(
            &mut *out,
            &crate::json::envelope(crate::json::PROTOCOL_CHECK, &j),
        )?;
        writeln!(out)?;
    } else {
        print_check(&r, budget, out)?;
    }
    Ok(if r.passed() { 0 } else { 1 })
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct FleetJson {
    states: usize,
    fleets: Vec<&'static str>,
    properties: Vec<PropJson>,
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Always => "always",
        Kind::Sometimes => "sometimes",
    }
}

fn verdict(k: Kind, holds: bool) -> &'static str {
    match (k, holds) {
        (Kind::Always, true) => "holds",
        (Kind::Always, false) => "VIOLATED",
        (Kind::Sometimes, true) => "reached",
        (Kind::Sometimes, false) => "NEVER REACHED",
    }
}

fn run_fleet(a: &CheckArgs, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    let budget = a.hostile_budget.unwrap_or(fleet::FLEET_HOSTILE_BUDGET);
    let model = fleet::FleetModel::new(budget);
    let fleets: Vec<&'static str> = model.fleets.iter().map(|f| f.name).collect();
    let caps: Vec<String> = model
        .fleets
        .iter()
        .map(|f| format!("{} (budget {})", f.name, f.max_budget.min(budget)))
        .collect();
    let r = fleet::check_fleet(model, a.threads);
    if json {
        let j = FleetJson {
            states: r.states,
            fleets,
            properties: r
                .properties
                .iter()
                .map(|p| PropJson {
                    name: p.name,
                    kind: p.kind,
                    holds: p.holds,
                })
                .collect(),
        };
        serde_json::to_writer_pretty(
            &mut *out,
            &crate::json::envelope(crate::json::PROTOCOL_FLEET, &j),
        )?;
        writeln!(out)?;
    } else {
        let secs = r.elapsed.as_secs_f64();
        writeln!(
            out,
            "fleet check: {}; {} states ({} generated), depth {}, {:.3} s, {:.0} states/s, {} threads",
            caps.join(", "),
            r.states,
            r.generated,
            r.max_depth,
            secs,
            if secs > 0.0 {
                r.states as f64 / secs
            } else {
                0.0
            },
            a.threads
        )?;
        writeln!(out, "properties:")?;
        for p in &r.properties {
            writeln!(
                out,
                "  {:<9}  {:<13}  {}",
                kind_word(p.kind),
                verdict(p.kind, p.holds),
                p.name
            )?;
            if let (Kind::Always, false, Some(t)) = (p.kind, p.holds, &p.trace) {
                writeln!(out, "    counterexample:")?;
                for l in t {
                    writeln!(out, "      {l}")?;
                }
            }
        }
        writeln!(out, "result: {}", if r.passed() { "PASS" } else { "FAIL" })?;
    }
    Ok(if r.passed() { 0 } else { 1 })
}

fn print_check(r: &CheckReport, budget: u8, out: &mut dyn Write) -> Result<(), Error> {
    writeln!(
        out,
        "matrix ({} combinations; device interrupts raised after the honest guest finishes):",
        r.matrix.len()
    )?;
    let head = [
        "guest",
        "hypervisor",
        "hardware",
        "env",
        "device",
        "negotiation",
        "path",
        "outcome",
        "delivered",
    ];
    let rows: Vec<[String; 9]> = r
        .matrix
        .iter()
        .map(|m| {
            [
                m.guest.to_string(),
                m.hypervisor.to_string(),
                m.hardware.to_string(),
                m.env.to_string(),
                m.device.to_string(),
                m.negotiation.clone(),
                m.path.to_string(),
                m.outcome.clone(),
                m.delivered.clone(),
            ]
        })
        .collect();
    let mut width = head.map(str::len);
    for row in &rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "  {}", line(head.to_vec()))?;
    for row in &rows {
        writeln!(out, "  {}", line(row.iter().map(String::as_str).collect()))?;
    }
    let secs = r.elapsed.as_secs_f64();
    writeln!(out)?;
    writeln!(
        out,
        "model check: {} scenarios ({} with a hostile VM, hostile budget {}), {} states ({} generated), depth {}, {:.3} s, {:.0} states/s, {} threads",
        r.scenarios,
        Scenario::all(true).iter().filter(|s| s.hostile).count(),
        budget,
        r.states,
        r.generated,
        r.max_depth,
        secs,
        if secs > 0.0 {
            r.states as f64 / secs
        } else {
            0.0
        },
        r.threads
    )?;
    writeln!(out, "properties:")?;
    for p in &r.properties {
        let kind = kind_word(p.kind);
        let verdict = verdict(p.kind, p.holds);
        writeln!(out, "  {kind:<9}  {verdict:<13}  {}", p.name)?;
        if let (Kind::Always, false, Some(t)) = (p.kind, p.holds, &p.trace) {
            writeln!(out, "    shortest counterexample:")?;
            for l in t {
                writeln!(out, "      {l}")?;
            }
        }
    }
    writeln!(out, "result: {}", if r.passed() { "PASS" } else { "FAIL" })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(device: DeviceArg, hypervisor: HypervisorArg) -> RunArgs {
        RunArgs {
            guest: GuestArg::New,
            hypervisor,
            hardware: HardwareArg::Ir,
            env: EnvArg::Guest,
            device,
        }
    }

    #[test]
    fn run_prints_negotiation_allocation_and_delivery() {
        let mut buf = Vec::new();
        let code = run(
            &ProtocolCommand::Run(run_args(DeviceArg::ImsSysmem, HypervisorArg::New)),
            false,
            &mut buf,
        )
        .unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(code, 0, "{s}");
        for needle in [
            "hypercall QUERY v2",
            "switched to the new scheme (version 2); parent domain vIR (negotiated) (IMS supported)",
            "COMPOSE v2 IMS-sysmem device 0100 index 1",
            "slot 0 +0: delivered to VM 0 APIC 1 vector 0x50",
            "outcome: IMS granted",
        ] {
            assert!(s.contains(needle), "missing {needle:?} in\n{s}");
        }
    }

    #[test]
    fn run_shows_refusal_on_a_rejecting_host() {
        let mut buf = Vec::new();
        let code = run(
            &ProtocolCommand::Run(run_args(DeviceArg::ImsDevmem, HypervisorArg::NewRejecting)),
            false,
            &mut buf,
        )
        .unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(code, 0);
        assert!(s.contains("error REJECTED (8)"), "{s}");
        assert!(
            s.contains("alloc_ims_vector(): ImsDevMem is not supported by the vIR parent domain"),
            "{s}"
        );
        assert!(s.contains("outcome: IMS refused, fallback taken"), "{s}");
    }

    #[test]
    fn run_names_the_refused_storage_type() {
        let mut buf = Vec::new();
        let a = RunArgs {
            guest: GuestArg::Old,
            ..run_args(DeviceArg::ImsSysmem, HypervisorArg::New)
        };
        assert_eq!(run(&ProtocolCommand::Run(a), false, &mut buf).unwrap(), 0);
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains("alloc_ims_vector(): ImsSysMem is not supported by the vIR parent domain: missing flags 0x200000"), "{s}");
        assert!(s.contains("(the guest holds no vectors)"), "{s}");
    }

    #[test]
    fn check_rejects_zero_threads() {
        let e = run(
            &ProtocolCommand::Check(CheckArgs {
                threads: 0,
                hostile_budget: Some(1),
                fleet: false,
            }),
            false,
            &mut Vec::new(),
        );
        assert!(matches!(e, Err(Error::Threads(0))));
    }

    #[test]
    fn fleet_check_with_a_small_budget_passes_and_names_each_property() {
        let mut buf = Vec::new();
        let code = run(
            &ProtocolCommand::Check(CheckArgs {
                threads: 2,
                hostile_budget: Some(2),
                fleet: true,
            }),
            false,
            &mut buf,
        )
        .unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(code, 0, "{s}");
        assert!(
            s.contains(
                "fleet check: mixed (budget 2), many-devices (budget 2), quota-255 (budget 2), hyper-v (budget 2); 12337 states"
            ),
            "{s}"
        );
        for p in fleet::FLEET_PROPERTIES {
            assert!(s.contains(p.0), "{s}");
        }
        assert!(s.contains("always     holds          isolation"), "{s}");
        assert!(s.contains("result: PASS"), "{s}");
    }
}
