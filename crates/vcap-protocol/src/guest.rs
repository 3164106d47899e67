//! The guest side as a pure state machine: vIR initialisation, hypercall discovery with versions
//! offered highest first (as Hyper-V vPCI's `hv_pci_protocol_negotiation()`), the switch request,
//! fallback to the old scheme, allocation through the domain model, and retarget.
//!
//! [`GuestState::next_action`] says what the guest does next; [`GuestState::on_input`] takes
//! the result and returns the next state. Neither touches anything else.

use crate::abi::{self, ComposeArgs, Frame, InterruptKind, Reply, Request, Status};
use crate::domain::{ChildKind, MSI_FLAG_MULTI_PCI_MSI, ParentDomain};
use crate::formats::{CompatMsi, MsiMsg};
use crate::host::{Scheme, WriteOutcome};

/// Versions a new guest offers, highest first.
pub const OFFERED_VERSIONS: [u16; 2] = [abi::VERSION_2, abi::VERSION_1];
/// Features a new guest needs before it asks to switch.
pub const REQUIRED_FEATURES: u64 =
    abi::FEATURE_COMPOSE_MSI | abi::FEATURE_COMPOSE_MSIX | abi::FEATURE_COMPOSE_IMS;
/// The vectors the guest driver allocates: allocation `k` targets APIC 0, vector `0x40 + 2k`.
pub const FIRST_VECTOR: u8 = 0x40;
/// Retarget moves the first allocation to this APIC and vector.
pub const RETARGET_TO: (u32, u8) = (1, 0x50);

/// Guest kernel generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GuestGen {
    /// Never looks for the hypercall.
    Old,
    /// Initialises vIR, detects the hypercall and asks to switch.
    New,
}

/// What the guest can see of its platform and its one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GuestEnv {
    /// Kernel generation.
    pub generation: GuestGen,
    /// Bare metal (the OS owns the hardware) or a guest of a hypervisor.
    pub bare_metal: bool,
    /// Bare metal only: an IR unit is present. (A guest always sees a vIR; whether the host has
    /// IR hardware behind it is invisible to it.)
    pub hw_ir: bool,
    /// The device's index.
    pub device: crate::host::DeviceIdx,
    /// The device's requester ID.
    pub rid: u16,
    /// The device's storage type.
    pub kind: InterruptKind,
}

/// How a vector was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Path {
    /// Bare metal, vector domain: compatibility format written by the OS.
    NativeVector,
    /// Bare metal, IR: the OS wrote an IRTE and a remappable message.
    NativeIr,
    /// Old scheme: compatibility-format write trapped and remapped by the host.
    Trapped,
    /// New scheme: message composed by the host through the hypercall.
    Composed,
}

/// Why a new guest stayed on the old scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fallback {
    /// The hypercall is absent (old hypervisor).
    NoHypercall,
    /// No offered version was accepted.
    NoCommonVersion,
    /// The host does not offer every required feature.
    FeaturesMissing,
    /// The host rejected the switch.
    Rejected,
    /// Another error status.
    Error(Status),
}

/// One allocation the guest driver holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestVector {
    /// Storage slot.
    pub slot: u16,
    /// Vectors (multi-message MSI).
    pub count: u8,
    /// Target APIC ID.
    pub apic: u32,
    /// First vector.
    pub vector: u8,
    /// Handle from compose.
    pub handle: Option<u32>,
    /// The message obtained (new scheme) or written (old scheme).
    pub msg: MsiMsg,
    /// The driver believes the vector is allocated and live.
    pub active: bool,
    /// How it was obtained.
    pub path: Path,
}

/// Where the guest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Before interrupt-domain setup.
    Boot,
    /// Offering `OFFERED_VERSIONS[i]`.
    Query(u8),
    /// Asking to switch.
    Switch,
    /// Allocating the k-th planned allocation.
    Alloc(u8),
    /// Writing the k-th composed message into the device.
    Write(u8),
    /// Retargeting the first allocation.
    Retarget,
    /// Finished.
    Done,
}

/// The guest's next effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuestAction {
    /// A purely local step (domain setup, a refused allocation).
    Local,
    /// A hypercall.
    Hypercall(Frame),
    /// A write of a message into the device's storage slot.
    Write {
        /// Slot.
        slot: u16,
        /// Message.
        msg: MsiMsg,
    },
    /// Bare metal: program the hardware for a slot.
    Native {
        /// Slot.
        slot: u16,
        /// Vectors.
        count: u8,
        /// APIC ID.
        apic: u32,
        /// First vector.
        vector: u8,
    },
}

/// The result of a [`GuestAction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuestInput {
    /// After [`GuestAction::Local`].
    Local,
    /// A hypercall's decoded reply (a response that does not decode is reported as its status).
    Reply(Result<Reply, Status>),
    /// A storage write's outcome. The guest cannot observe drops of trapped writes; it is
    /// given the outcome only so the model can record it.
    Written(WriteOutcome),
    /// Bare-metal programming result.
    Native(Result<MsiMsg, Status>),
}

/// The guest state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestState {
    /// Phase.
    pub phase: Phase,
    /// The MSI parent domain (set at boot).
    pub domain: ParentDomain,
    /// The scheme the guest believes it is on.
    pub scheme: Scheme,
    /// Negotiated version.
    pub version: Option<u16>,
    /// Features offered by the host (after QUERY), then the features granted (after SWITCH).
    pub features: u64,
    /// Allocations.
    pub vectors: Vec<GuestVector>,
    /// `alloc_ims_vector()` returned NotSupported.
    pub ims_refused: bool,
    /// Why a new guest stayed on the old scheme.
    pub fallback: Option<Fallback>,
    /// An allocation failed with this explicit error.
    pub error: Option<Status>,
}

impl Default for GuestState {
    fn default() -> Self {
        GuestState::new()
    }
}

impl GuestState {
    /// A guest before boot.
    pub fn new() -> GuestState {
        GuestState {
            phase: Phase::Boot,
            domain: ParentDomain::VECTOR,
            scheme: Scheme::Old,
            version: None,
            features: 0,
            vectors: Vec::new(),
            ims_refused: false,
            fallback: None,
            error: None,
        }
    }

    fn child(&self, env: &GuestEnv) -> ChildKind {
        match env.kind {
            InterruptKind::Msi => ChildKind::Msi {
                nvec: self.msi_nvec(env),
            },
            InterruptKind::MsiX => ChildKind::MsiX,
            InterruptKind::ImsDevMem => ChildKind::ImsDevMem,
            InterruptKind::ImsSysMem => ChildKind::ImsSysMem,
        }
    }

    /// Multi-message MSI needs `MSI_FLAG_MULTI_PCI_MSI`, and the model's old trap path carries
    /// single-message MSI only.
    fn msi_nvec(&self, env: &GuestEnv) -> u8 {
        let trapped = !env.bare_metal && self.scheme == Scheme::Old;
        if self.domain.supports(MSI_FLAG_MULTI_PCI_MSI) && !trapped {
            2
        } else {
            1
        }
    }

    /// How many allocations the driver makes.
    pub fn planned(&self, env: &GuestEnv) -> u8 {
        if env.kind == InterruptKind::Msi { 1 } else { 2 }
    }

    fn path(&self, env: &GuestEnv) -> Path {
        match (env.bare_metal, env.hw_ir, self.scheme) {
            (true, false, _) => Path::NativeVector,
            (true, true, _) => Path::NativeIr,
            (false, _, Scheme::Old) => Path::Trapped,
            (false, _, Scheme::New) => Path::Composed,
        }
    }

    fn target(k: u8) -> (u32, u8) {
        (0, FIRST_VECTOR + 2 * k)
    }

    /// What the guest does next; `None` when done.
    pub fn next_action(&self, env: &GuestEnv) -> Option<GuestAction> {
        let version = self.version.unwrap_or(abi::VERSION_1);
        Some(match self.phase {
            Phase::Boot => GuestAction::Local,
            Phase::Query(i) => GuestAction::Hypercall(Frame {
                version: OFFERED_VERSIONS[i as usize],
                request: Request::Query,
            }),
            Phase::Switch => GuestAction::Hypercall(Frame {
                version,
                request: Request::Switch {
                    features: REQUIRED_FEATURES | (self.features & abi::FEATURE_RETARGET),
                },
            }),
            Phase::Alloc(k) => {
                let child = self.child(env);
                if self.domain.check_child(child).is_err() {
                    return Some(GuestAction::Local);
                }
                let count = if let ChildKind::Msi { nvec } = child {
                    nvec
                } else {
                    1
                };
                let (apic, vector) = Self::target(k);
                match self.path(env) {
                    Path::NativeVector | Path::NativeIr => GuestAction::Native {
                        slot: u16::from(k),
                        count,
                        apic,
                        vector,
                    },
                    Path::Trapped => GuestAction::Write {
                        slot: u16::from(k),
                        msg: CompatMsi::fixed(apic, vector)
                            .encode(false)
                            .unwrap_or_default(),
                    },
                    Path::Composed => GuestAction::Hypercall(Frame {
                        version,
                        request: Request::Compose(ComposeArgs {
                            kind: env.kind,
                            count,
                            device: env.rid,
                            index: u32::from(k),
                            apic_id: apic,
                            vector,
                        }),
                    }),
                }
            }
            Phase::Write(k) => {
                let v = self.vectors.get(k as usize)?;
                GuestAction::Write {
                    slot: v.slot,
                    msg: v.msg,
                }
            }
            Phase::Retarget => {
                let v = self.vectors.first()?;
                let (apic, vector) = RETARGET_TO;
                match v.path {
                    Path::NativeVector | Path::NativeIr => GuestAction::Native {
                        slot: v.slot,
                        count: v.count,
                        apic,
                        vector,
                    },
                    Path::Trapped => GuestAction::Write {
                        slot: v.slot,
                        msg: CompatMsi::fixed(apic, vector)
                            .encode(false)
                            .unwrap_or_default(),
                    },
                    Path::Composed => GuestAction::Hypercall(Frame {
                        version,
                        request: Request::Retarget {
                            handle: v.handle.unwrap_or(u32::MAX),
                            apic_id: apic,
                            vector,
                        },
                    }),
                }
            }
            Phase::Done => return None,
        })
    }

    fn after_alloc(mut self, env: &GuestEnv, k: u8) -> GuestState {
        self.phase = if k + 1 < self.planned(env) {
            Phase::Alloc(k + 1)
        } else if self.vectors.is_empty()
            || (self.scheme == Scheme::New && self.features & abi::FEATURE_RETARGET == 0)
        {
            Phase::Done
        } else {
            Phase::Retarget
        };
        self
    }

    fn fall_back(mut self, why: Fallback) -> GuestState {
        self.fallback = Some(why);
        self.scheme = Scheme::Old;
        self.phase = Phase::Alloc(0);
        self
    }

    /// The state after `input`, the result of [`next_action`](Self::next_action).
    pub fn on_input(&self, env: &GuestEnv, input: GuestInput) -> GuestState {
        let mut s = self.clone();
        match (self.phase, input) {
            (Phase::Boot, _) => {
                s.domain = match (env.bare_metal, env.hw_ir) {
                    (true, false) => ParentDomain::VECTOR,
                    (true, true) => ParentDomain::IR,
                    (false, _) => ParentDomain::VIR,
                };
                s.phase = if env.bare_metal || env.generation == GuestGen::Old {
                    Phase::Alloc(0)
                } else {
                    Phase::Query(0)
                };
                s
            }
            (Phase::Query(i), GuestInput::Reply(r)) => match r {
                Ok(Reply::Features(f)) => {
                    s.version = Some(OFFERED_VERSIONS[i as usize]);
                    s.features = f;
                    if f & REQUIRED_FEATURES == REQUIRED_FEATURES {
                        s.phase = Phase::Switch;
                        s
                    } else {
                        s.fall_back(Fallback::FeaturesMissing)
                    }
                }
                Err(Status::VersionMismatch) if (i as usize) + 1 < OFFERED_VERSIONS.len() => {
                    s.phase = Phase::Query(i + 1);
                    s
                }
                Err(Status::VersionMismatch) => s.fall_back(Fallback::NoCommonVersion),
                Err(Status::NotImplemented) => s.fall_back(Fallback::NoHypercall),
                Err(e) => s.fall_back(Fallback::Error(e)),
                Ok(_) => s.fall_back(Fallback::Error(Status::UnknownOp)),
            },
            (Phase::Switch, GuestInput::Reply(r)) => match r {
                Ok(Reply::Switched(granted)) => {
                    s.scheme = Scheme::New;
                    s.features = granted;
                    // The vIR domain is the only negotiable parent; boot set it.
                    let _ = s.domain.negotiate(true);
                    s.phase = Phase::Alloc(0);
                    s
                }
                Err(Status::Rejected) => s.fall_back(Fallback::Rejected),
                Err(e) => s.fall_back(Fallback::Error(e)),
                Ok(_) => s.fall_back(Fallback::Error(Status::UnknownOp)),
            },
            (Phase::Alloc(_), GuestInput::Local) => {
                if env.kind.is_ims() {
                    s.ims_refused = true;
                } else {
                    s.error = Some(Status::UnsupportedFeature);
                }
                s.phase = Phase::Done;
                s
            }
            (Phase::Alloc(k), GuestInput::Native(r)) => match r {
                Ok(msg) => {
                    let (apic, vector) = Self::target(k);
                    let count = if let ChildKind::Msi { nvec } = self.child(env) {
                        nvec
                    } else {
                        1
                    };
                    let path = self.path(env);
                    s.vectors.push(GuestVector {
                        slot: u16::from(k),
                        count,
                        apic,
                        vector,
                        handle: None,
                        msg,
                        active: true,
                        path,
                    });
                    s.after_alloc(env, k)
                }
                Err(e) => {
                    s.error = Some(e);
                    s.phase = Phase::Done;
                    s
                }
            },
            (Phase::Alloc(k), GuestInput::Written(_)) => {
                // Old scheme: the driver cannot see whether the trapped write was honoured.
                let (apic, vector) = Self::target(k);
                let msg = CompatMsi::fixed(apic, vector)
                    .encode(false)
                    .unwrap_or_default();
                s.vectors.push(GuestVector {
                    slot: u16::from(k),
                    count: 1,
                    apic,
                    vector,
                    handle: None,
                    msg,
                    active: true,
                    path: Path::Trapped,
                });
                s.after_alloc(env, k)
            }
            (Phase::Alloc(k), GuestInput::Reply(r)) => match r {
                Ok(Reply::Composed { handle, count, msg }) => {
                    let (apic, vector) = Self::target(k);
                    let asked = if let ChildKind::Msi { nvec } = self.child(env) {
                        nvec
                    } else {
                        1
                    };
                    // A reply for another number of vectors than asked is a host error, not a
                    // count to trust (it could run the vector range past 0xff).
                    if count != u16::from(asked) {
                        s.error = Some(Status::BadCount);
                        s.phase = Phase::Done;
                        return s;
                    }
                    s.vectors.push(GuestVector {
                        slot: u16::from(k),
                        count: asked,
                        apic,
                        vector,
                        handle: Some(handle),
                        msg,
                        active: false,
                        path: Path::Composed,
                    });
                    s.phase = Phase::Write(k);
                    s
                }
                Err(e) => {
                    s.error = Some(e);
                    s.phase = Phase::Done;
                    s
                }
                Ok(_) => {
                    s.error = Some(Status::UnknownOp);
                    s.phase = Phase::Done;
                    s
                }
            },
            (Phase::Write(k), GuestInput::Written(_)) => {
                if let Some(v) = s.vectors.get_mut(k as usize) {
                    v.active = true;
                }
                s.after_alloc(env, k)
            }
            (Phase::Retarget, input) => {
                let ok = match input {
                    GuestInput::Reply(r) => r.map(|_| ()),
                    GuestInput::Native(r) => r.map(|_| ()),
                    GuestInput::Written(_) => Ok(()),
                    GuestInput::Local => Ok(()),
                };
                match ok {
                    Ok(()) => {
                        if let Some(v) = s.vectors.first_mut() {
                            (v.apic, v.vector) = RETARGET_TO;
                            if let GuestInput::Native(Ok(m))
                            | GuestInput::Reply(Ok(Reply::Composed { msg: m, .. })) = input
                            {
                                v.msg = m;
                            }
                            if v.path == Path::Trapped {
                                v.msg = CompatMsi::fixed(RETARGET_TO.0, RETARGET_TO.1)
                                    .encode(false)
                                    .unwrap_or_default();
                            }
                        }
                    }
                    Err(e) => {
                        // REVOKED: the host could not put the old entries back after a
                        // hardware failure and released them; the vectors are gone.
                        if e == Status::Revoked && !s.vectors.is_empty() {
                            s.vectors.remove(0);
                        }
                        s.error = Some(e);
                    }
                }
                s.phase = Phase::Done;
                s
            }
            // An input that does not belong to the phase: the guest ignores it.
            _ => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new-generation guest's MSI-X device 0 (RID 0x0100) under hardware IR.
    fn new_msix_env() -> GuestEnv {
        GuestEnv {
            generation: GuestGen::New,
            bare_metal: false,
            hw_ir: true,
            device: 0,
            rid: 0x0100,
            kind: InterruptKind::MsiX,
        }
    }

    /// The host's compose reply carries a `u16` count; it was narrowed with `as u8` and trusted,
    /// so a reply for 0xff vectors from 0x40 ran the guest's vector range past 0xff (an
    /// overflow when the device raised them). A count other than the one asked for is an error.
    #[test]
    fn guest_refuses_a_composed_reply_for_another_count() {
        let env = new_msix_env();
        let mut g = GuestState::new();
        g.phase = Phase::Alloc(0);
        g.scheme = Scheme::New;
        g.domain = ParentDomain::VIR;
        let _ = g.domain.negotiate(true);
        let msg = crate::formats::RemappableMsi::linux(0, 0).encode().unwrap();
        for count in [0u16, 2, 0xff, 0x100 + 1, u16::MAX] {
            let s = g.on_input(
                &env,
                GuestInput::Reply(Ok(Reply::Composed {
                    handle: 0,
                    count,
                    msg,
                })),
            );
            assert_eq!(s.error, Some(Status::BadCount), "count {count}");
            assert!(s.vectors.is_empty());
            assert_eq!(s.phase, Phase::Done);
        }
        let s = g.on_input(
            &env,
            GuestInput::Reply(Ok(Reply::Composed {
                handle: 0,
                count: 1,
                msg,
            })),
        );
        assert_eq!(s.error, None);
        assert_eq!(s.vectors.len(), 1);
    }

    /// A RETARGET answered REVOKED (the host released the allocation after a hardware failure
    /// it could not undo) drops the vectors; any other refusal leaves them where they were.
    #[test]
    fn guest_drops_the_vectors_a_revoked_retarget_released() {
        let env = new_msix_env();
        let mut g = GuestState::new();
        g.phase = Phase::Retarget;
        g.scheme = Scheme::New;
        let v = GuestVector {
            slot: 0,
            count: 1,
            apic: 0,
            vector: 0x40,
            handle: Some(0),
            msg: crate::formats::RemappableMsi::linux(0, 0).encode().unwrap(),
            active: true,
            path: Path::Composed,
        };
        g.vectors = vec![v, GuestVector { slot: 1, ..v }];
        let s = g.on_input(&env, GuestInput::Reply(Err(Status::Revoked)));
        assert_eq!(s.error, Some(Status::Revoked));
        assert_eq!(s.vectors, vec![GuestVector { slot: 1, ..v }]);
        assert_eq!(s.phase, Phase::Done);
        let s = g.on_input(&env, GuestInput::Reply(Err(Status::NoResources)));
        assert_eq!(s.error, Some(Status::NoResources));
        assert_eq!(s.vectors, g.vectors);
        let mut empty = g.clone();
        empty.vectors.clear();
        let s = empty.on_input(&env, GuestInput::Reply(Err(Status::Revoked)));
        assert!(s.vectors.is_empty());
        assert_eq!(s.error, Some(Status::Revoked));
    }
}
