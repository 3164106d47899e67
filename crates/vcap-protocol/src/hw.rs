//! The seam between the host's negotiation and the interrupt-remapping hardware it programs.
//!
//! [`HostState`](crate::host::HostState) holds the negotiation and the bookkeeping (versions,
//! schemes, quotas, which VM owns which entry and host vector, the composed allocations). It
//! checks every guest argument first and only then tells the hardware what to do, through
//! [`IrHardware`]. A VMM embeds `HostState<MyIr>` and supplies its own remapping hardware (an
//! IOMMU driver, VFIO, a hypervisor's map/unmap hypercalls); the model check and the fuzz
//! harness use [`SimIr`], which keeps VT-d-format entries and the devices' message storage in
//! memory and is what [`HostState::deliver`](crate::host::HostState::deliver) reads.
//!
//! ```
//! use std::collections::BTreeMap;
//! use vcap_protocol::abi::{self, ComposeArgs, Frame, InterruptKind, Reply, Request};
//! use vcap_protocol::formats::MsiMsg;
//! use vcap_protocol::host::{DeviceCfg, DeviceIdx, HostConfig, HostState, HypervisorGen, VmCfg};
//! use vcap_protocol::hw::{HwError, IrEntry, IrHardware};
//!
//! /// A VMM's remapping hardware: here it only records what it was told.
//! #[derive(Debug, Clone, Default)]
//! struct MyIr {
//!     entries: BTreeMap<u16, IrEntry>,
//!     messages: Vec<(DeviceIdx, u16, MsiMsg)>,
//! }
//!
//! impl IrHardware for MyIr {
//!     fn program(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
//!         self.entries.insert(index, entry);
//!         Ok(())
//!     }
//!     fn free(&mut self, index: u16) {
//!         self.entries.remove(&index);
//!     }
//!     fn write_message(&mut self, dev: DeviceIdx, slot: u16, msg: MsiMsg) {
//!         self.messages.push((dev, slot, msg));
//!     }
//! }
//!
//! let cfg = HostConfig::new(
//!     Some(HypervisorGen::New),
//!     true,
//!     vec![VmCfg { vcpus: 2, quota: 4 }],
//!     vec![DeviceCfg { rid: 0x0100, owner: 0, kind: InterruptKind::MsiX, size: 4 }],
//!     8,
//! );
//! let mut host = HostState::with_hardware(&cfg, MyIr::default());
//! let call = |host: &HostState<MyIr>, request| {
//!     let bytes = abi::encode_request(&Frame { version: abi::VERSION_2, request });
//!     host.execute(&cfg, 0, &bytes)
//! };
//! for request in [Request::Query, Request::Switch { features: cfg.offered(abi::VERSION_2) }] {
//!     host = call(&host, request).expect("negotiation").0;
//! }
//! let compose = Request::Compose(ComposeArgs {
//!     kind: InterruptKind::MsiX,
//!     count: 1,
//!     device: 0x0100,
//!     index: 0,
//!     apic_id: 1,
//!     vector: 0x40,
//! });
//! let (host, reply) = call(&host, compose).expect("compose");
//! assert!(matches!(reply, Reply::Composed { handle: 0, count: 1, .. }));
//! // The VMM's hardware was told to program entry 0 for the device's requester ID, to the
//! // physical CPU that runs vCPU 1 (identity for VM 0) at a host vector the host chose.
//! let e = host.hw.entries[&0];
//! assert_eq!((e.sid, e.dest), (0x0100, 1));
//! // A hostile argument never reaches the hardware: vCPU 2 does not exist.
//! let bad = Request::Retarget { handle: 0, apic_id: 2, vector: 0x41 };
//! assert!(call(&host, bad).is_err());
//! assert_eq!(host.hw.entries[&0], e);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::formats::{MsiMsg, VtdIrte, vtd_irte};
use crate::host::DeviceIdx;

/// One remapping entry as the host asks for it: interrupts from requester ID `sid` that name
/// this entry are delivered to host vector `vector` on physical APIC `dest`. The hardware
/// checks the source ID (all 16 bits) and blocks any other requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IrEntry {
    /// The device's requester ID (bus << 8 | devfn).
    pub sid: u16,
    /// Physical APIC ID of the destination CPU.
    pub dest: u32,
    /// Host vector on that CPU.
    pub vector: u8,
}

/// Why the hardware did not do what the host asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HwError {
    /// The entry does not exist (retarget of a free entry).
    #[error("remapping entry {0} is not present")]
    NotPresent(u16),
    /// The hardware cannot encode the entry (e.g. a destination its format cannot name).
    #[error("remapping entry {0} cannot be encoded")]
    Unencodable(u16),
}

/// The interrupt-remapping hardware the host programs. The host calls it only after every check
/// of a request has passed, so a refused request never reaches it.
///
/// [`HostState`](crate::host::HostState)'s steps are pure: a step clones the state, the clone's
/// hardware is told what to do, and the caller keeps the new state on success or the old one on
/// error. A VMM whose implementation is a handle to real hardware (shared between clones) sees
/// the calls in order. When a call fails part-way through a step, the host undoes the step's
/// calls before it answers: it frees the entries the step programmed, moves back (or unmaps and
/// maps again) the ones it moved, and maps again the ones it unmapped, so the hardware holds
/// what the old state's bookkeeping says. Only if the hardware also refuses an old entry back
/// does the host release the allocation it belonged to and answer
/// [`Status::Revoked`](crate::abi::Status::Revoked) with that state
/// ([`Refused`](crate::host::Refused)).
///
/// What the host relies on: a failed [`program`](Self::program) leaves the entry absent; a
/// failed [`retarget`](Self::retarget) leaves it as it was or absent (an unmap whose map
/// failed); [`free`](Self::free) cannot fail and ignores absent entries.
pub trait IrHardware: Clone {
    /// Programs entry `index` (present, source-ID checked). On an error the entry is absent.
    fn program(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError>;
    /// Points present entry `index` at a new destination. The default is unmap + map (free,
    /// then program), which is what hardware without an in-place update does. On an error the
    /// entry is as it was or absent.
    fn retarget(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
        self.free(index);
        self.program(index, entry)
    }
    /// Clears entry `index` (absent entries are ignored).
    fn free(&mut self, index: u16);
    /// Writes `msg` into message slot `slot` of device `dev` (a trapped write the host forwards,
    /// or the host programming a slot on the old path).
    fn write_message(&mut self, dev: DeviceIdx, slot: u16, msg: MsiMsg);
    /// Device `dev` (requester ID `sid`) is now attached to its VM. Hardware that defers
    /// mapping until then ([`IrFlavor::HyperV`]) maps the entries programmed for it so far.
    fn attach(&mut self, sid: u16) {
        let _ = sid;
    }
}

/// Which behaviour the simulated hardware shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IrFlavor {
    /// A VT-d interrupt-remapping table: entries are written in place and take effect at once.
    Vtd,
    /// Hyper-V's root-partition interface: `HVCALL_MAP_DEVICE_INTERRUPT` (0x7c) maps one
    /// vector of a device and `HVCALL_UNMAP_DEVICE_INTERRUPT` (0x7d) removes it; a mapped entry's
    /// vector or processor set cannot be changed, so a retarget is unmap + map; and a mapping
    /// asked for before the device is attached takes effect only at attach (Linux
    /// `arch/x86/hyperv/irqdomain.c` `hv_irq_compose_msi_msg`, `drivers/pci/controller/pci-hyperv.c`
    /// `hv_compose_msi_req_v1`: "dummy vCPU set, overwritten by subsequent retarget in
    /// hv_irq_unmask()").
    HyperV,
}

/// The simulated hardware: VT-d-format entries and the devices' message storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SimIr {
    /// Behaviour.
    pub flavor: IrFlavor,
    /// The remapping table as hardware reads it (VT-d IRTEs).
    pub irt: BTreeMap<u16, [u64; 2]>,
    /// What each device's storage holds, by (device, slot); a slot absent here holds no message.
    pub storage: BTreeMap<(DeviceIdx, u16), MsiMsg>,
    /// [`IrFlavor::HyperV`]: entries asked for before their device was attached.
    pub pending: BTreeMap<u16, IrEntry>,
    /// [`IrFlavor::HyperV`]: requester IDs attached so far.
    pub attached: BTreeSet<u16>,
    /// Unmap + map pairs done for retargets (to show which path a retarget took).
    pub remaps: u8,
}

impl SimIr {
    /// Empty hardware of `flavor`.
    pub fn new(flavor: IrFlavor) -> SimIr {
        SimIr {
            flavor,
            irt: BTreeMap::new(),
            storage: BTreeMap::new(),
            pending: BTreeMap::new(),
            attached: BTreeSet::new(),
            remaps: 0,
        }
    }

    fn write(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
        let e = VtdIrte {
            present: true,
            vector: entry.vector,
            dest_id: VtdIrte::irte_dest(entry.dest, true),
            sid: entry.sid,
            sq: vtd_irte::SQ_ALL_16,
            svt: vtd_irte::SVT_VERIFY_SID_SQ,
            ..VtdIrte::default()
        };
        let raw = e.encode().map_err(|_| HwError::Unencodable(index))?;
        self.irt.insert(index, raw);
        Ok(())
    }
}

impl IrHardware for SimIr {
    fn program(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
        if self.flavor == IrFlavor::HyperV && !self.attached.contains(&entry.sid) {
            self.pending.insert(index, entry);
            return Ok(());
        }
        self.write(index, entry)
    }

    fn retarget(&mut self, index: u16, entry: IrEntry) -> Result<(), HwError> {
        match self.flavor {
            IrFlavor::Vtd => {
                if !self.irt.contains_key(&index) {
                    return Err(HwError::NotPresent(index));
                }
                self.write(index, entry)
            }
            IrFlavor::HyperV => {
                if !self.irt.contains_key(&index) && !self.pending.contains_key(&index) {
                    return Err(HwError::NotPresent(index));
                }
                self.free(index);
                self.remaps = self.remaps.saturating_add(1);
                self.program(index, entry)
            }
        }
    }

    fn free(&mut self, index: u16) {
        self.irt.remove(&index);
        self.pending.remove(&index);
    }

    fn write_message(&mut self, dev: DeviceIdx, slot: u16, msg: MsiMsg) {
        self.storage.insert((dev, slot), msg);
    }

    fn attach(&mut self, sid: u16) {
        if !self.attached.insert(sid) {
            return;
        }
        let now: Vec<(u16, IrEntry)> = self
            .pending
            .iter()
            .filter(|(_, e)| e.sid == sid)
            .map(|(&i, &e)| (i, e))
            .collect();
        for (i, e) in now {
            self.pending.remove(&i);
            // An entry that encoded when it was asked for encodes now.
            let _ = self.write(i, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(dest: u32) -> IrEntry {
        IrEntry {
            sid: 0x0100,
            dest,
            vector: 0x40,
        }
    }

    #[test]
    fn vtd_retarget_needs_a_present_entry_and_rewrites_in_place() {
        let mut hw = SimIr::new(IrFlavor::Vtd);
        assert_eq!(hw.retarget(3, e(1)), Err(HwError::NotPresent(3)));
        hw.program(3, e(0)).unwrap();
        let before = hw.irt[&3];
        hw.retarget(3, e(1)).unwrap();
        assert_ne!(hw.irt[&3], before);
        assert_eq!(
            VtdIrte::decode(hw.irt[&3]).unwrap().dest_id,
            VtdIrte::irte_dest(1, true)
        );
        assert_eq!(hw.remaps, 0);
        hw.free(3);
        assert!(hw.irt.is_empty());
    }

    #[test]
    fn hyperv_defers_until_attach_and_retargets_by_unmap_and_map() {
        let mut hw = SimIr::new(IrFlavor::HyperV);
        hw.program(0, e(0)).unwrap();
        assert!(hw.irt.is_empty(), "mapped before the device was attached");
        hw.retarget(0, e(1)).unwrap();
        assert_eq!(hw.pending[&0], e(1));
        hw.attach(0x0100);
        assert!(hw.pending.is_empty());
        assert_eq!(
            VtdIrte::decode(hw.irt[&0]).unwrap().dest_id,
            VtdIrte::irte_dest(1, true)
        );
        hw.retarget(0, e(0)).unwrap();
        assert_eq!(hw.remaps, 2);
        assert_eq!(
            VtdIrte::decode(hw.irt[&0]).unwrap().dest_id,
            VtdIrte::irte_dest(0, true)
        );
        // Another device is still unattached: its entries wait.
        hw.program(
            1,
            IrEntry {
                sid: 0x0200,
                ..e(0)
            },
        )
        .unwrap();
        assert!(!hw.irt.contains_key(&1) && hw.pending.contains_key(&1));
        hw.free(1);
        assert!(hw.pending.is_empty());
        assert_eq!(hw.retarget(9, e(0)), Err(HwError::NotPresent(9)));
    }
}
