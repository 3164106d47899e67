//! The host side: hypervisor (per-VM negotiation, remapping table, ownership, bounds, quotas,
//! the old trap-and-remap path) and the hardware it programs (VT-d-style IRT, APIC vector
//! tables, device message storage). Every function is a pure step: it takes `&self` and returns
//! a new state, and on any error the returned state is the input, unchanged.
//!
//! Every guest argument is hostile: [`HostState::handle`] takes raw bytes.

use std::collections::BTreeMap;

use crate::abi::{self, ComposeArgs, Frame, InterruptKind, Reply, Request, Status};
use crate::formats::{CompatMsi, MsiMsg, RemappableMsi, VtdIrte, is_remappable};
use crate::hw::{IrEntry, IrFlavor, IrHardware, SimIr};

/// A VM index (0 is the guest under test; 1 the hostile neighbour in the model).
pub type VmId = u8;
/// A device index into [`HostConfig::devices`]. Requester IDs are 16 bits, so 65 536 devices
/// with distinct RIDs fit exactly; the index is never narrowed below that.
pub type DeviceIdx = u16;
/// IRTE indices are 16 bits (`dmar_index_0_14` plus `dmar_index_15`): at most 65 536 entries.
pub const MAX_IRT_SIZE: u32 = 1 << 16;

/// Lowest valid vector: 0..=31 are exceptions (Intel SDM vol. 3 §6.2).
pub const FIRST_VALID_VECTOR: u8 = 0x20;
/// The host vectors handed to passthrough interrupts, per physical CPU.
/// (Linux hands out device vectors from `FIRST_EXTERNAL_VECTOR` 0x20 up to the system vectors
/// at 0xec; the model keeps 0x20..=0x2f for the host's own use.)
pub const HOST_VECTORS: std::ops::RangeInclusive<u8> = 0x30..=0xeb;
/// Protocol versions a new hypervisor speaks.
pub const HOST_VERSIONS: &[u16] = &[abi::VERSION_1, abi::VERSION_2];

/// Which hypervisor generation runs (absent on bare metal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HypervisorGen {
    /// No hypercall; traps MSI/MSI-X table writes (today).
    Old,
    /// Implements the hypercall and grants the switch when it can.
    New,
    /// Implements the hypercall but rejects every switch (policy).
    NewRejecting,
    /// Implements the hypercall as a VMM in Hyper-V's root partition does: its remapping
    /// hardware is the hypervisor's map/unmap interface ([`IrFlavor::HyperV`]), so a retarget is
    /// unmap + map and a mapping asked for before the device is attached takes effect at attach.
    HyperV,
}

/// The interrupt-management scheme one VM is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Current scheme: MSI/MSI-X only, table writes trapped and remapped.
    Old,
    /// New scheme: MSI, MSI-X and IMS all composed by the host.
    New,
}

/// A deliberately broken host, for tests that pin a counterexample. Never in a shipped build.
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// Compose, retarget and free skip the device/handle ownership check.
    SkipOwnershipCheck,
    /// The old `phys_apic = vm * 8 + apic` (VM 0's vCPU 8 is VM 1's CPU 0).
    EightCpusPerVm,
    /// The old `u8` device index (device 256 is device 0).
    NarrowDeviceIndex,
    /// The old `u8` quota sum (wraps past 255 in a release build).
    WrappingQuota,
    /// COMPOSE ignores the negotiated features.
    IgnoreFeatures,
    /// FREE releases neither the entries nor the quota.
    LeakOnFree,
}

/// One VM's static configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VmCfg {
    /// vCPUs; valid APIC IDs are `0..vcpus`.
    pub vcpus: u8,
    /// Remapping entries (vectors) the VM may hold.
    pub quota: u8,
}

/// One assigned device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceCfg {
    /// Requester ID (bus << 8 | devfn): the IRTE SID.
    pub rid: u16,
    /// The VM it is assigned to.
    pub owner: VmId,
    /// Storage type.
    pub kind: InterruptKind,
    /// MSI: vectors the capability supports (1..=32); MSI-X: table size; IMS: slots.
    pub size: u16,
}

impl DeviceCfg {
    /// Message slots in the device's storage (MSI has a single address/data pair).
    pub fn slots(&self) -> u16 {
        if self.kind == InterruptKind::Msi {
            1
        } else {
            self.size
        }
    }
}

/// The host's static configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostConfig {
    /// `None` on bare metal (the OS programs the hardware itself).
    pub hypervisor: Option<HypervisorGen>,
    /// The hardware has an interrupt-remapping unit (VT-d-style).
    pub hw_ir: bool,
    /// VMs by index.
    pub vms: Vec<VmCfg>,
    /// Devices by index.
    pub devices: Vec<DeviceCfg>,
    /// Remapping-table entries (at most [`MAX_IRT_SIZE`]; a larger value is treated as that).
    pub irt_size: u32,
    /// Protocol versions the hypervisor speaks ([`HOST_VERSIONS`] unless a test narrows them).
    pub versions: &'static [u16],
    /// A broken-host variant (tests only).
    #[cfg(any(test, feature = "test-support"))]
    pub flaw: Option<Flaw>,
}

/// Whether `cfg` has the test-only flaw `f` (always false in a shipped build).
macro_rules! flaw {
    ($cfg:expr, $f:ident) => {{
        #[cfg(any(test, feature = "test-support"))]
        let has = $cfg.flaw == Some(Flaw::$f);
        #[cfg(not(any(test, feature = "test-support")))]
        let has = false;
        has
    }};
}

impl HostConfig {
    /// A configuration without flaws.
    pub fn new(
        hypervisor: Option<HypervisorGen>,
        hw_ir: bool,
        vms: Vec<VmCfg>,
        devices: Vec<DeviceCfg>,
        irt_size: u32,
    ) -> HostConfig {
        HostConfig {
            hypervisor,
            hw_ir,
            vms,
            devices,
            irt_size,
            versions: HOST_VERSIONS,
            #[cfg(any(test, feature = "test-support"))]
            flaw: None,
        }
    }

    fn skip_ownership(&self) -> bool {
        flaw!(self, SkipOwnershipCheck)
    }

    /// The physical APIC ID that runs vCPU `apic` of `vm`: the VMs' vCPUs are pinned to
    /// disjoint ranges of physical CPUs, in VM order (identity for VM 0, hence on bare metal).
    /// `None` when `vm` does not exist or `apic` is not one of its vCPUs.
    pub fn phys_apic(&self, vm: VmId, apic: u32) -> Option<u32> {
        let this = self.vms.get(usize::from(vm))?;
        if apic >= u32::from(this.vcpus) {
            return None;
        }
        if flaw!(self, EightCpusPerVm) {
            return Some(u32::from(vm) * 8 + apic);
        }
        let base: u32 = self.vms[..usize::from(vm)]
            .iter()
            .map(|v| u32::from(v.vcpus))
            .sum();
        base.checked_add(apic)
    }

    /// The VM whose vCPU runs on physical APIC `phys`, with its guest APIC ID (the inverse of
    /// [`phys_apic`](Self::phys_apic)).
    pub fn vcpu_of_phys(&self, phys: u32) -> Option<(VmId, u32)> {
        let mut base = 0u32;
        for (i, v) in self.vms.iter().enumerate() {
            let n = u32::from(v.vcpus);
            if phys >= base && phys - base < n {
                return Some((VmId::try_from(i).ok()?, phys - base));
            }
            base = base.checked_add(n)?;
        }
        None
    }

    /// One VM's configuration.
    pub fn vm(&self, vm: VmId) -> Option<&VmCfg> {
        self.vms.get(usize::from(vm))
    }

    /// One device's configuration.
    pub fn device(&self, dev: DeviceIdx) -> Option<&DeviceCfg> {
        self.devices.get(usize::from(dev))
    }

    /// Remapping-table entries usable: `irt_size` capped at [`MAX_IRT_SIZE`].
    pub fn irt_entries(&self) -> u32 {
        self.irt_size.min(MAX_IRT_SIZE)
    }

    /// Checks the configuration a VMM hands the host: at most 256 VMs and 65 536 devices,
    /// every device owned by an existing VM, requester IDs distinct, device sizes at least 1
    /// (an MSI capability: a power of two up to 32 vectors), and the IRT at most
    /// [`MAX_IRT_SIZE`] entries.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.vms.len() > usize::from(VmId::MAX) + 1 {
            return Err(ConfigError::TooManyVms(self.vms.len()));
        }
        if self.devices.len() > usize::from(DeviceIdx::MAX) + 1 {
            return Err(ConfigError::TooManyDevices(self.devices.len()));
        }
        if self.irt_size > MAX_IRT_SIZE {
            return Err(ConfigError::IrtTooLarge(self.irt_size));
        }
        let mut rids = std::collections::BTreeSet::new();
        for (i, d) in self.devices.iter().enumerate() {
            if self.vm(d.owner).is_none() {
                return Err(ConfigError::NoSuchOwner {
                    device: i,
                    owner: d.owner,
                });
            }
            if !rids.insert(d.rid) {
                return Err(ConfigError::DuplicateRid {
                    device: i,
                    rid: d.rid,
                });
            }
            let size_ok = match d.kind {
                InterruptKind::Msi => d.size.is_power_of_two() && d.size <= 32,
                _ => d.size >= 1,
            };
            if !size_ok {
                return Err(ConfigError::BadSize {
                    device: i,
                    size: d.size,
                });
            }
        }
        Ok(())
    }

    /// Features offered at `version`: nothing without hardware IR (direct guest access to
    /// message storage is only safe behind source-ID-checked remapping).
    pub fn offered(&self, version: u16) -> u64 {
        if !self.hw_ir {
            return 0;
        }
        let f = abi::FEATURE_COMPOSE_MSI | abi::FEATURE_COMPOSE_MSIX | abi::FEATURE_COMPOSE_IMS;
        if version >= abi::VERSION_2 {
            f | abi::FEATURE_RETARGET
        } else {
            f
        }
    }

    fn device_by_rid(&self, rid: u16) -> Option<(DeviceIdx, &DeviceCfg)> {
        let (i, d) = self
            .devices
            .iter()
            .enumerate()
            .find(|(_, d)| d.rid == rid)?;
        if flaw!(self, NarrowDeviceIndex) {
            return Some((DeviceIdx::from(i as u8), d));
        }
        Some((DeviceIdx::try_from(i).ok()?, d))
    }
}

/// Why a host configuration is unusable ([`HostConfig::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// More VMs than a [`VmId`] can name.
    #[error("host config: {0} VMs, at most 256")]
    TooManyVms(usize),
    /// More devices than a [`DeviceIdx`] can name.
    #[error("host config: {0} devices, at most 65536")]
    TooManyDevices(usize),
    /// More IRT entries than a 16-bit IRTE index reaches.
    #[error("host config: irt_size {0}, at most 65536")]
    IrtTooLarge(u32),
    /// A device's owner is not a VM.
    #[error("host config: device {device} is owned by VM {owner}, which does not exist")]
    NoSuchOwner {
        /// Device index.
        device: usize,
        /// The owner named.
        owner: VmId,
    },
    /// Two devices share a requester ID.
    #[error("host config: device {device} repeats requester ID {rid:#06x}")]
    DuplicateRid {
        /// Device index.
        device: usize,
        /// The repeated RID.
        rid: u16,
    },
    /// A device size the storage type cannot have.
    #[error(
        "host config: device {device} has size {size} (MSI: a power of two up to 32; otherwise at least 1)"
    )]
    BadSize {
        /// Device index.
        device: usize,
        /// The size.
        size: u16,
    },
}

/// Where an interrupt lands: a guest's vCPU and vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Target {
    /// The VM.
    pub vm: VmId,
    /// The guest APIC ID.
    pub apic: u32,
    /// The guest vector.
    pub vector: u8,
}

/// One VM's negotiation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmState {
    /// Negotiated version.
    pub version: Option<u16>,
    /// Current scheme.
    pub scheme: Scheme,
    /// Remapping entries (or host vectors, without IR) in use: quota accounting.
    pub used: u8,
    /// Features granted by SWITCH (0 on the old scheme).
    pub features: u64,
}

impl VmState {
    /// Whether composing (and direct guest access to) `kind` was negotiated.
    pub fn granted(&self, kind: InterruptKind) -> bool {
        self.scheme == Scheme::New && self.features & kind.feature() != 0
    }
}

/// One remapping entry the host allocated: what it asked the hardware for, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IrtSlot {
    /// The entry as programmed through [`IrHardware::program`].
    pub entry: IrEntry,
    /// The VM the entry was allocated for.
    pub owner: VmId,
}

/// A composed (new-scheme) allocation, keyed by its base handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Composed {
    /// Caller.
    pub vm: VmId,
    /// Device index.
    pub device: DeviceIdx,
    /// Storage index.
    pub index: u32,
    /// Consecutive subhandles.
    pub count: u8,
    /// The message handed out.
    pub msg: MsiMsg,
}

/// A host resource backing one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// A remapping entry (which points at a host vector).
    Irte(u16),
    /// A host vector on a physical APIC, programmed in compatibility format.
    Vector(u32, u8),
}

/// A slot programmed by the old trap path (or natively on bare metal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotProgram {
    /// The owner.
    pub vm: VmId,
    /// What the guest wrote (its view of the slot).
    pub guest: MsiMsg,
    /// Host resources behind it.
    pub res: Vec<Resource>,
}

/// What became of a guest's write to device message storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOutcome {
    /// Trapped, validated and remapped to host resources (old path).
    Remapped,
    /// Trapped and passed through unchanged (new-scheme MSI: the composed message).
    PassedThrough,
    /// Not trapped: the guest wrote device or system memory directly.
    Direct,
    /// Discarded by the host; the reason names the check.
    Dropped(&'static str),
}

/// The result of a device raising an interrupt from one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Delivered to this guest vCPU and vector.
    Delivered(Target),
    /// Blocked by the remapping hardware or the vector table; the reason names the check.
    Fault(&'static str),
    /// The slot holds no message.
    NoMessage,
    /// The device's IMS function is not enabled (old scheme).
    Disabled,
}

/// The whole host: the hypervisor's negotiation and bookkeeping, and the remapping hardware
/// `H` it programs (the simulated [`SimIr`] unless a VMM supplies its own; see [`crate::hw`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostState<H: IrHardware = SimIr> {
    /// Per VM.
    pub vms: Vec<VmState>,
    /// Remapping entries allocated, by index (bookkeeping; the hardware holds the entries).
    pub irt: BTreeMap<u16, IrtSlot>,
    /// Host vector table: (physical APIC, host vector) → guest target.
    pub vectors: BTreeMap<(u32, u8), Target>,
    /// New-scheme allocations by base handle.
    pub composed: BTreeMap<u16, Composed>,
    /// Old-path (and bare-metal) slot programs by (device, slot).
    pub programs: BTreeMap<(DeviceIdx, u16), SlotProgram>,
    /// The remapping hardware (and the devices' message storage) the host programs.
    pub hw: H,
}

/// A request the host did not carry out: the status the guest is told and, in the one case
/// where the host's state changed anyway, the state to keep.
///
/// `released` is `None` for every refusal (the state is the one before the request) and for
/// every hardware failure the host could undo (it put each entry the step had touched back as
/// it was: [`HostState::execute`]). It is `Some` only with [`Status::Revoked`]: the hardware
/// failed part-way and then refused to take an old entry back (an unmap + map whose map and
/// re-map both failed), so the host released the allocation that entry belonged to, in its
/// bookkeeping and in the hardware, and the returned state says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused<H: IrHardware = SimIr> {
    /// What the guest is told.
    pub status: Status,
    /// The state to keep instead of the old one ([`Status::Revoked`] only).
    pub released: Option<Box<HostState<H>>>,
}

impl<H: IrHardware> From<Status> for Refused<H> {
    fn from(status: Status) -> Refused<H> {
        Refused {
            status,
            released: None,
        }
    }
}

impl<H: IrHardware> Refused<H> {
    /// The state to keep after this refusal: `old` unless the host released an allocation.
    pub fn state_after(&self, old: &HostState<H>) -> HostState<H> {
        match &self.released {
            Some(s) => (**s).clone(),
            None => old.clone(),
        }
    }
}

impl<H: IrHardware> std::fmt::Display for Refused<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.status.fmt(f)
    }
}

type Step<T, H> = Result<(HostState<H>, T), Refused<H>>;

impl HostState {
    /// The boot state for `cfg` on simulated hardware ([`IrFlavor::HyperV`] under
    /// [`HypervisorGen::HyperV`], VT-d otherwise).
    pub fn new(cfg: &HostConfig) -> HostState {
        let flavor = if cfg.hypervisor == Some(HypervisorGen::HyperV) {
            IrFlavor::HyperV
        } else {
            IrFlavor::Vtd
        };
        HostState::with_hardware(cfg, SimIr::new(flavor))
    }
}

impl<H: IrHardware> HostState<H> {
    /// The boot state for `cfg` on the VMM's hardware `hw`: every VM on the old scheme, nothing
    /// allocated.
    pub fn with_hardware(cfg: &HostConfig, hw: H) -> HostState<H> {
        HostState {
            vms: cfg
                .vms
                .iter()
                .map(|_| VmState {
                    version: None,
                    scheme: Scheme::Old,
                    used: 0,
                    features: 0,
                })
                .collect(),
            irt: BTreeMap::new(),
            vectors: BTreeMap::new(),
            composed: BTreeMap::new(),
            programs: BTreeMap::new(),
            hw,
        }
    }

    /// Handles one hypercall from `vm`: arbitrary bytes in, response bytes out. Never panics;
    /// on any error the returned state equals `self`, except after [`Status::Revoked`] (see
    /// [`Refused`]).
    pub fn handle(&self, cfg: &HostConfig, vm: VmId, bytes: &[u8]) -> (HostState<H>, Vec<u8>) {
        let version_echo = if bytes.len() >= 2 {
            u16::from_le_bytes([bytes[0], bytes[1]])
        } else {
            0
        };
        match self.execute(cfg, vm, bytes) {
            Ok((s, reply)) => (s, abi::encode_response(version_echo, &Ok(reply))),
            Err(r) => (
                r.state_after(self),
                abi::encode_response(version_echo, &Err(r.status)),
            ),
        }
    }

    /// The decoded form of [`handle`](Self::handle).
    ///
    /// Every check of the request runs before the hardware is told anything. When a hardware
    /// call then fails part-way (or a host resource runs out after the first entries were
    /// programmed), the host undoes the calls the step made: entries it programmed are freed,
    /// entries it moved or unmapped are put back as they were (in place, or unmapped and mapped
    /// again), and the guest is told the status (`NO_RESOURCES` for a hardware failure) with
    /// the state unchanged. Only when the hardware also refuses to take an old entry back is
    /// the state changed: the allocation is released and the status is [`Status::Revoked`].
    pub fn execute(&self, cfg: &HostConfig, vm: VmId, bytes: &[u8]) -> Step<Reply, H> {
        match cfg.hypervisor {
            None | Some(HypervisorGen::Old) => return Err(Status::NotImplemented.into()),
            Some(_) => {}
        }
        let vs = *self.vms.get(usize::from(vm)).ok_or(Status::NotOwner)?;
        cfg.vm(vm).ok_or(Status::NotOwner)?;
        let frame = abi::decode_request(bytes).map_err(|e| e.status())?;
        if frame.request != Request::Query {
            match vs.version {
                None => return Err(Status::NotNegotiated.into()),
                Some(v) if v != frame.version => return Err(Status::VersionMismatch.into()),
                Some(_) => {}
            }
        }
        self.dispatch(cfg, vm, vs, frame)
    }

    /// Runs the part of a step that tells the hardware what to do, on a clone of the state.
    /// On an error in `f` the hardware calls it made are undone ([`roll_back`](Self::roll_back)).
    ///
    /// `f` keeps the bookkeeping (`irt`) equal to what the hardware holds after each call:
    /// [`program_irte`](Self::program_irte) records an entry only once the hardware took it,
    /// [`retarget_irte`](Self::retarget_irte) drops an entry whose move failed (after freeing
    /// it, so it is absent either way).
    fn transact<T>(&self, f: impl FnOnce(&mut HostState<H>) -> Result<T, Status>) -> Step<T, H> {
        let mut s = self.clone();
        match f(&mut s) {
            Ok(t) => Ok((s, t)),
            Err(status) => Err(self.roll_back(s, status)),
        }
    }

    /// Puts the hardware of `s` (whose `irt` says what it holds) back to what `self.irt` says:
    /// frees the entries `s` added, moves back the ones it moved (in place, or by unmap + map
    /// when the hardware refuses that), maps again the ones it unmapped. An entry the hardware
    /// will not take back is lost: the allocation it belongs to is released, in the
    /// bookkeeping and in the hardware, and the answer is [`Status::Revoked`] with that state.
    fn roll_back(&self, s: HostState<H>, status: Status) -> Refused<H> {
        let mut hw = s.hw;
        let mut lost = Vec::new();
        let touched: std::collections::BTreeSet<u16> =
            s.irt.keys().chain(self.irt.keys()).copied().collect();
        for k in touched {
            let now = s.irt.get(&k).map(|x| x.entry);
            let was = self.irt.get(&k).map(|x| x.entry);
            match (now, was) {
                _ if now == was => {}
                (_, None) => hw.free(k),
                (Some(_), Some(e)) => {
                    if hw.retarget(k, e).is_err() {
                        hw.free(k);
                        if hw.program(k, e).is_err() {
                            lost.push(k);
                        }
                    }
                }
                (None, Some(e)) => {
                    if hw.program(k, e).is_err() {
                        lost.push(k);
                    }
                }
            }
        }
        if lost.is_empty() {
            return Refused {
                status,
                released: None,
            };
        }
        let mut r = self.clone();
        r.hw = hw;
        for k in lost {
            r.release_allocation_of(k);
        }
        Refused {
            status: Status::Revoked,
            released: Some(Box::new(r)),
        }
    }

    /// Releases the allocation that holds entry `k` (a composed handle or a trapped slot's
    /// program): its entries (in the hardware too), host vectors and quota.
    fn release_allocation_of(&mut self, k: u16) {
        let composed = self
            .composed
            .range(..=k)
            .next_back()
            .map(|(&base, &c)| (base, c))
            .filter(|(base, c)| u32::from(k) < u32::from(*base) + u32::from(c.count));
        if let Some((base, c)) = composed {
            self.composed.remove(&base);
            if let Ok(hs) = Self::handles(base, c.count) {
                for h in hs {
                    self.release_irte(h);
                }
            }
            if let Some(v) = self.vms.get_mut(usize::from(c.vm)) {
                v.used = v.used.saturating_sub(c.count);
            }
            return;
        }
        let program = self
            .programs
            .iter()
            .find(|(_, p)| p.res.contains(&Resource::Irte(k)))
            .map(|(&key, p)| (key, p.vm));
        if let Some((key, vm)) = program {
            self.release_program(vm, key);
        }
    }

    fn dispatch(&self, cfg: &HostConfig, vm: VmId, vs: VmState, frame: Frame) -> Step<Reply, H> {
        match frame.request {
            Request::Query => {
                if !cfg.versions.contains(&frame.version) {
                    return Err(Status::VersionMismatch.into());
                }
                if vs.scheme == Scheme::New && vs.version != Some(frame.version) {
                    return Err(Status::AlreadySwitched.into());
                }
                let mut s = self.clone();
                s.vm_mut(vm)?.version = Some(frame.version);
                Ok((s, Reply::Features(cfg.offered(frame.version))))
            }
            Request::Switch { features } => {
                if vs.scheme == Scheme::New {
                    return Err(Status::AlreadySwitched.into());
                }
                let offered = cfg.offered(frame.version);
                if features & !offered != 0 {
                    return Err(Status::UnsupportedFeature.into());
                }
                if cfg.hypervisor == Some(HypervisorGen::NewRejecting) || !cfg.hw_ir {
                    return Err(Status::Rejected.into());
                }
                if self.programs.values().any(|p| p.vm == vm) {
                    return Err(Status::InUse.into());
                }
                let mut s = self.clone();
                let st = s.vm_mut(vm)?;
                st.scheme = Scheme::New;
                st.features = features;
                Ok((s, Reply::Switched(features)))
            }
            Request::Compose(a) => self.compose(cfg, vm, vs, a),
            Request::Retarget {
                handle,
                apic_id,
                vector,
            } => {
                if frame.version < abi::VERSION_2 {
                    return Err(Status::UnknownOp.into());
                }
                if vs.scheme == Scheme::New && vs.features & abi::FEATURE_RETARGET == 0 {
                    return Err(Status::UnsupportedFeature.into());
                }
                self.retarget(cfg, vm, vs, handle, apic_id, vector)
            }
            Request::Free { handle } => self.free(cfg, vm, vs, handle),
        }
    }

    fn vm_mut(&mut self, vm: VmId) -> Result<&mut VmState, Status> {
        self.vms.get_mut(usize::from(vm)).ok_or(Status::NotOwner)
    }

    /// The `count` vectors from `vector` and the vCPU `apic` are the caller's to use:
    /// `1 <= count`, `0x20 <= vector` and `vector + count - 1 <= 0xff`, `apic < vcpus`.
    fn check_target(
        cfg: &HostConfig,
        vm: VmId,
        apic: u32,
        vector: u8,
        count: u8,
    ) -> Result<(), Status> {
        if count == 0 {
            return Err(Status::BadCount);
        }
        if vector < FIRST_VALID_VECTOR || vector.checked_add(count - 1).is_none() {
            return Err(Status::BadVector);
        }
        let vcpus = cfg.vm(vm).ok_or(Status::NotOwner)?.vcpus;
        if apic >= u32::from(vcpus) {
            return Err(Status::BadApicId);
        }
        Ok(())
    }

    /// Whether `vm` may take `count` more entries: `used + count <= quota`, computed without
    /// overflow (a `u8` sum near 255 would wrap past the quota).
    fn check_quota(&self, cfg: &HostConfig, vm: VmId, count: u8) -> Result<u8, Status> {
        let used = self.vms.get(usize::from(vm)).ok_or(Status::NotOwner)?.used;
        let quota = cfg.vm(vm).ok_or(Status::NotOwner)?.quota;
        if flaw!(cfg, WrappingQuota) {
            let n = used.wrapping_add(count);
            return if n <= quota {
                Ok(n)
            } else {
                Err(Status::QuotaExceeded)
            };
        }
        used.checked_add(count)
            .filter(|&n| n <= quota)
            .ok_or(Status::QuotaExceeded)
    }

    /// The lowest base of `count` consecutive free IRT entries (the handle).
    fn free_handles(&self, cfg: &HostConfig, count: u8) -> Result<u16, Status> {
        let n = u32::from(count);
        let size = cfg.irt_entries();
        let mut base = 0u32;
        while base + n <= size {
            // The first used entry in [base, base + n), if any: the next candidate follows it.
            let lo = u16::try_from(base).map_err(|_| Status::NoResources)?;
            let hi = u16::try_from(base + n - 1).map_err(|_| Status::NoResources)?;
            match self.irt.range(lo..=hi).next_back() {
                None => return Ok(lo),
                Some((&used, _)) => base = u32::from(used) + 1,
            }
        }
        Err(Status::NoResources)
    }

    fn alloc_vector(&self, phys: u32) -> Result<u8, Status> {
        HOST_VECTORS
            .clone()
            .find(|v| !self.vectors.contains_key(&(phys, *v)))
            .ok_or(Status::NoResources)
    }

    /// The host vector on the vCPU's physical APIC behind `t` (bare metal: the guest's own).
    fn host_vector(&self, cfg: &HostConfig, vm: VmId, t: Target) -> Result<(u32, u8), Status> {
        let phys = cfg.phys_apic(vm, t.apic).ok_or(Status::BadApicId)?;
        let hv = if cfg.hypervisor.is_none() {
            t.vector
        } else {
            self.alloc_vector(phys)?
        };
        if self.vectors.contains_key(&(phys, hv)) {
            return Err(Status::InUse);
        }
        Ok((phys, hv))
    }

    /// Programs entry `handle` → host vector on the vCPU's physical APIC, with SID checking.
    fn program_irte(
        &mut self,
        cfg: &HostConfig,
        vm: VmId,
        handle: u16,
        rid: u16,
        t: Target,
    ) -> Result<(), Status> {
        let (phys, hv) = self.host_vector(cfg, vm, t)?;
        let entry = IrEntry {
            sid: rid,
            dest: phys,
            vector: hv,
        };
        self.hw
            .program(handle, entry)
            .map_err(|_| Status::NoResources)?;
        self.vectors.insert((phys, hv), t);
        self.irt.insert(handle, IrtSlot { entry, owner: vm });
        Ok(())
    }

    /// Moves allocated entry `handle` to `t` (a new host vector on `t`'s CPU).
    fn retarget_irte(
        &mut self,
        cfg: &HostConfig,
        vm: VmId,
        handle: u16,
        t: Target,
    ) -> Result<(), Status> {
        let old = *self.irt.get(&handle).ok_or(Status::NoSuchHandle)?;
        self.vectors.remove(&(old.entry.dest, old.entry.vector));
        let (phys, hv) = self.host_vector(cfg, vm, t)?;
        let entry = IrEntry {
            dest: phys,
            vector: hv,
            ..old.entry
        };
        if self.hw.retarget(handle, entry).is_err() {
            // The hardware left the entry as it was or unmapped it: make it absent, so the
            // bookkeeping says what the hardware holds (the roll-back maps it again).
            self.hw.free(handle);
            self.irt.remove(&handle);
            return Err(Status::NoResources);
        }
        self.vectors.insert((phys, hv), t);
        self.irt.insert(handle, IrtSlot { entry, owner: vm });
        Ok(())
    }

    fn release_irte(&mut self, handle: u16) {
        if let Some(slot) = self.irt.remove(&handle) {
            self.vectors.remove(&(slot.entry.dest, slot.entry.vector));
            self.hw.free(handle);
        }
    }

    /// Device `dev` is attached to its VM: hardware that defers mappings until then
    /// ([`IrFlavor::HyperV`]) maps what was composed for it.
    pub fn attach(&self, cfg: &HostConfig, dev: DeviceIdx) -> HostState<H> {
        let mut s = self.clone();
        if let Some(d) = cfg.device(dev) {
            s.hw.attach(d.rid);
        }
        s
    }

    fn compose(&self, cfg: &HostConfig, vm: VmId, vs: VmState, a: ComposeArgs) -> Step<Reply, H> {
        if vs.scheme != Scheme::New {
            return Err(Status::WrongScheme.into());
        }
        if !vs.granted(a.kind) && !flaw!(cfg, IgnoreFeatures) {
            return Err(Status::UnsupportedFeature.into());
        }
        let (di, d) = cfg.device_by_rid(a.device).ok_or(Status::NotOwner)?;
        if d.owner != vm && !cfg.skip_ownership() {
            return Err(Status::NotOwner.into());
        }
        if d.kind != a.kind {
            return Err(Status::BadKind.into());
        }
        let count_ok = match a.kind {
            InterruptKind::Msi => {
                a.count >= 1 && u16::from(a.count) <= d.size && a.count.is_power_of_two()
            }
            _ => a.count == 1,
        };
        if !count_ok {
            return Err(Status::BadCount.into());
        }
        let index_ok = match a.kind {
            InterruptKind::Msi => a.index == 0,
            _ => a.index < u32::from(d.size),
        };
        if !index_ok {
            return Err(Status::BadIndex.into());
        }
        if self
            .composed
            .values()
            .any(|c| c.device == di && c.index == a.index)
        {
            return Err(Status::InUse.into());
        }
        Self::check_target(cfg, vm, a.apic_id, a.vector, a.count)?;
        let used = self.check_quota(cfg, vm, a.count)?;
        if !cfg.hw_ir {
            return Err(Status::NoResources.into());
        }
        let base = self.free_handles(cfg, a.count)?;
        let msg = RemappableMsi::linux(base, 0)
            .encode()
            .map_err(|_| Status::NoResources)?;
        self.transact(|s| {
            for i in 0..a.count {
                let t = Target {
                    vm,
                    apic: a.apic_id,
                    vector: a.vector.checked_add(i).ok_or(Status::BadVector)?,
                };
                let h = base.checked_add(u16::from(i)).ok_or(Status::NoResources)?;
                s.program_irte(cfg, vm, h, d.rid, t)?;
            }
            s.composed.insert(
                base,
                Composed {
                    vm,
                    device: di,
                    index: a.index,
                    count: a.count,
                    msg,
                },
            );
            s.vm_mut(vm)?.used = used;
            Ok(Reply::Composed {
                handle: u32::from(base),
                count: u16::from(a.count),
                msg,
            })
        })
    }

    fn owned_handle(
        &self,
        cfg: &HostConfig,
        vm: VmId,
        vs: VmState,
        handle: u32,
    ) -> Result<(u16, Composed), Status> {
        if vs.scheme != Scheme::New {
            return Err(Status::WrongScheme);
        }
        let h = u16::try_from(handle).map_err(|_| Status::NoSuchHandle)?;
        let c = *self.composed.get(&h).ok_or(Status::NoSuchHandle)?;
        if c.vm != vm && !cfg.skip_ownership() {
            return Err(Status::NotOwner);
        }
        Ok((h, c))
    }

    fn retarget(
        &self,
        cfg: &HostConfig,
        vm: VmId,
        vs: VmState,
        handle: u32,
        apic: u32,
        vector: u8,
    ) -> Step<Reply, H> {
        let (h, c) = self.owned_handle(cfg, vm, vs, handle)?;
        Self::check_target(cfg, c.vm, apic, vector, c.count)?;
        cfg.device(c.device).ok_or(Status::NoSuchHandle)?;
        let handles = Self::handles(h, c.count)?;
        self.transact(|s| {
            for (i, h) in (0..c.count).zip(handles) {
                let t = Target {
                    vm: c.vm,
                    apic,
                    vector: vector.checked_add(i).ok_or(Status::BadVector)?,
                };
                s.retarget_irte(cfg, c.vm, h, t)?;
            }
            Ok(Reply::Done)
        })
    }

    fn free(&self, cfg: &HostConfig, vm: VmId, vs: VmState, handle: u32) -> Step<Reply, H> {
        let (h, c) = self.owned_handle(cfg, vm, vs, handle)?;
        let handles = Self::handles(h, c.count)?;
        self.transact(|s| {
            s.composed.remove(&h);
            if flaw!(cfg, LeakOnFree) {
                return Ok(Reply::Done);
            }
            for h in handles {
                s.release_irte(h);
            }
            let owner = s.vm_mut(c.vm)?;
            owner.used = owner
                .used
                .checked_sub(c.count)
                .ok_or(Status::NoSuchHandle)?;
            Ok(Reply::Done)
        })
    }

    /// The IRT entries `base..base + count` of one allocation.
    fn handles(base: u16, count: u8) -> Result<impl Iterator<Item = u16>, Status> {
        let end = u32::from(base) + u32::from(count);
        if end > MAX_IRT_SIZE {
            return Err(Status::NoSuchHandle);
        }
        Ok((u32::from(base)..end).filter_map(|h| u16::try_from(h).ok()))
    }

    fn release_program(&mut self, vm: VmId, key: (DeviceIdx, u16)) {
        if let Some(p) = self.programs.remove(&key) {
            for r in &p.res {
                match *r {
                    Resource::Irte(h) => self.release_irte(h),
                    Resource::Vector(phys, v) => {
                        self.vectors.remove(&(phys, v));
                    }
                }
            }
            if let Some(st) = self.vms.get_mut(usize::from(vm)) {
                let n = u8::try_from(p.res.len()).unwrap_or(u8::MAX);
                st.used = st.used.saturating_sub(n);
            }
        }
    }

    /// Programs `count` vectors at (device, slot) from a compatibility-format request — the old
    /// trap path in a guest, or the OS's own programming on bare metal. Returns the physical
    /// message now in the device.
    fn program_slot(
        &self,
        cfg: &HostConfig,
        vm: VmId,
        dev: DeviceIdx,
        slot: u16,
        guest: MsiMsg,
        count: u8,
    ) -> Step<MsiMsg, H> {
        let c = CompatMsi::decode(&guest, false).map_err(|_| Status::BadKind)?;
        if c.delivery_mode != 0 || c.dest_mode_logical {
            return Err(Status::BadKind.into());
        }
        Self::check_target(cfg, vm, c.dest_id, c.vector, count)?;
        let rid = cfg.device(dev).ok_or(Status::NotOwner)?.rid;
        // The slot's old program is released first (its entries and quota count for the new
        // one); if the new one then fails, the roll-back maps the old entries again.
        self.transact(|s| {
            s.release_program(vm, (dev, slot));
            let used = s.check_quota(cfg, vm, count)?;
            let mut res = Vec::new();
            let phys_msg = if cfg.hw_ir {
                let base = s.free_handles(cfg, count)?;
                for (i, h) in (0..count).zip(Self::handles(base, count)?) {
                    let t = Target {
                        vm,
                        apic: c.dest_id,
                        vector: c.vector.checked_add(i).ok_or(Status::BadVector)?,
                    };
                    s.program_irte(cfg, vm, h, rid, t)?;
                    res.push(Resource::Irte(h));
                }
                RemappableMsi::linux(base, 0)
                    .encode()
                    .map_err(|_| Status::NoResources)?
            } else {
                if count != 1 {
                    return Err(Status::BadCount);
                }
                let phys = cfg.phys_apic(vm, c.dest_id).ok_or(Status::BadApicId)?;
                let hv = if cfg.hypervisor.is_none() {
                    c.vector
                } else {
                    s.alloc_vector(phys)?
                };
                if s.vectors.contains_key(&(phys, hv)) {
                    return Err(Status::InUse);
                }
                s.vectors.insert(
                    (phys, hv),
                    Target {
                        vm,
                        apic: c.dest_id,
                        vector: c.vector,
                    },
                );
                res.push(Resource::Vector(phys, hv));
                CompatMsi::fixed(phys, hv)
                    .encode(false)
                    .map_err(|_| Status::BadApicId)?
            };
            s.vm_mut(vm)?.used = used;
            s.hw.write_message(dev, slot, phys_msg);
            s.programs
                .insert((dev, slot), SlotProgram { vm, guest, res });
            Ok(phys_msg)
        })
    }

    /// Bare metal: the OS programs (device, slot) itself for `count` vectors at `apic`/`vector`,
    /// through the IR unit when there is one (the vector domain takes a single vector).
    pub fn native_program(
        &self,
        cfg: &HostConfig,
        dev: DeviceIdx,
        slot: u16,
        count: u8,
        apic: u32,
        vector: u8,
    ) -> Step<MsiMsg, H> {
        if cfg.hypervisor.is_some() {
            return Err(Status::NotOwner.into());
        }
        let d = cfg.device(dev).ok_or(Status::NotOwner)?;
        if slot >= d.slots() {
            return Err(Status::BadIndex.into());
        }
        let guest = CompatMsi::fixed(apic, vector)
            .encode(false)
            .map_err(|_| Status::BadApicId)?;
        self.program_slot(cfg, d.owner, dev, slot, guest, count)
    }

    /// A guest's write of `msg` into slot `slot` of device `dev`: trapped (MSI always; MSI-X on
    /// the old scheme), direct (MSI-X and IMS on the new scheme) or dropped (IMS on the old
    /// scheme: the host keeps the IMS store unmapped and the device's IMS function disabled).
    pub fn guest_write(
        &self,
        cfg: &HostConfig,
        vm: VmId,
        dev: DeviceIdx,
        slot: u16,
        msg: MsiMsg,
    ) -> (HostState<H>, WriteOutcome) {
        let vs = match self.vms.get(usize::from(vm)) {
            Some(vs) => *vs,
            None => return (self.clone(), WriteOutcome::Dropped("no such VM")),
        };
        let d = match cfg.device(dev) {
            Some(d) if d.owner == vm => d,
            _ => {
                return (
                    self.clone(),
                    WriteOutcome::Dropped("device not assigned to this VM"),
                );
            }
        };
        if slot >= d.slots() {
            return (
                self.clone(),
                WriteOutcome::Dropped("slot beyond the device's storage"),
            );
        }
        let direct = |st: &HostState<H>| {
            let mut s = st.clone();
            s.hw.write_message(dev, slot, msg);
            (s, WriteOutcome::Direct)
        };
        if cfg.hypervisor.is_none() {
            return direct(self);
        }
        if vs.scheme == Scheme::New && !vs.granted(d.kind) {
            return (
                self.clone(),
                WriteOutcome::Dropped("composition of this storage type was not negotiated"),
            );
        }
        match (d.kind, vs.scheme) {
            (InterruptKind::Msi | InterruptKind::MsiX, Scheme::Old) => {
                match self.program_slot(cfg, vm, dev, slot, msg, 1) {
                    Ok((s, _)) => (s, WriteOutcome::Remapped),
                    Err(r) => (
                        r.state_after(self),
                        WriteOutcome::Dropped(trap_reason(r.status)),
                    ),
                }
            }
            (InterruptKind::Msi, Scheme::New) => {
                let ok = self
                    .composed
                    .values()
                    .any(|c| c.vm == vm && c.device == dev && c.msg == msg);
                if ok {
                    let mut s = self.clone();
                    s.hw.write_message(dev, slot, msg);
                    (s, WriteOutcome::PassedThrough)
                } else {
                    (
                        self.clone(),
                        WriteOutcome::Dropped(
                            "MSI write is not a message composed for this device",
                        ),
                    )
                }
            }
            (InterruptKind::MsiX, Scheme::New) => direct(self),
            (InterruptKind::ImsDevMem | InterruptKind::ImsSysMem, Scheme::New) => direct(self),
            (InterruptKind::ImsDevMem | InterruptKind::ImsSysMem, Scheme::Old) => (
                self.clone(),
                WriteOutcome::Dropped("IMS is not enabled on the old scheme"),
            ),
        }
    }
}

impl HostState<SimIr> {
    /// Device `dev` raises the interrupt stored in `slot`, vector `offset` of a multi-message
    /// MSI (the device ORs it into the low data bits). Pure: reads hardware tables only.
    pub fn deliver(&self, cfg: &HostConfig, dev: DeviceIdx, slot: u16, offset: u8) -> Delivery {
        let Some(d) = cfg.device(dev) else {
            return Delivery::NoMessage;
        };
        let Some(msg) = self.hw.storage.get(&(dev, slot)) else {
            return Delivery::NoMessage;
        };
        if d.kind.is_ims()
            && cfg.hypervisor.is_some()
            && !self
                .vms
                .get(usize::from(d.owner))
                .is_some_and(|vs| vs.granted(d.kind))
        {
            return Delivery::Disabled;
        }
        let msg = MsiMsg {
            data: msg.data | u32::from(offset),
            ..*msg
        };
        if cfg.hw_ir {
            if !is_remappable(&msg) {
                return Delivery::Fault(
                    "compatibility-format interrupt blocked (IR enabled, CFI clear)",
                );
            }
            let Ok(r) = RemappableMsi::decode(&msg) else {
                return Delivery::Fault("malformed remappable message");
            };
            let Some(index) = r.irte_index() else {
                return Delivery::Fault("IRTE index beyond the table");
            };
            let Some(raw) = self.hw.irt.get(&index) else {
                return Delivery::Fault("IRTE not present");
            };
            let Ok(e) = VtdIrte::decode(*raw) else {
                return Delivery::Fault("IRTE reserved bits set");
            };
            if !e.present {
                return Delivery::Fault("IRTE not present");
            }
            if !e.source_ok(d.rid) {
                return Delivery::Fault("source-ID check failed");
            }
            match self.vectors.get(&(e.dest_id, e.vector)) {
                Some(t) => Delivery::Delivered(*t),
                None => Delivery::Fault("no handler for the host vector"),
            }
        } else {
            let Ok(c) = CompatMsi::decode(&msg, false) else {
                return Delivery::Fault("not a compatibility-format message");
            };
            match self.vectors.get(&(c.dest_id, c.vector)) {
                Some(t) => Delivery::Delivered(*t),
                None => Delivery::Fault("spurious vector"),
            }
        }
    }
}

fn trap_reason(s: Status) -> &'static str {
    match s {
        Status::BadKind => "trapped write is not a fixed, physical compatibility-format message",
        Status::BadVector => "trapped write names an invalid vector",
        Status::BadApicId => "trapped write names an APIC ID that is not a vCPU of this VM",
        Status::QuotaExceeded => "VM quota exhausted",
        Status::NoResources => "host out of vectors or remapping entries",
        Status::Revoked => "remapping hardware failed; the slot's entries were released",
        _ => "trapped write refused",
    }
}

#[cfg(test)]
mod rollback_tests;
#[cfg(test)]
mod tests;
