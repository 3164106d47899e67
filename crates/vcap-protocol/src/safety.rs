//! What safety is, stated once and independently of the host's own bookkeeping rules: the model
//! checks ([`crate::check`], [`crate::fleet`]) and the fuzz harness evaluate these on every
//! state they reach.
//!
//! - [`isolation`]: every interrupt the hardware can deliver reaches a vCPU and vector the owning
//!   VM may use (`apic < vcpus`, `0x20 <= vector`, on a physical CPU of that VM), and only from
//!   a device of that VM.
//! - [`accounting`]: no remapping entry, host vector or quota unit is leaked or shared; no VM
//!   holds more than its quota.
//! - [`features`]: the host composes only what a VM negotiated.
//! - [`must_fail_call`] / [`must_fail_write`]: which hostile requests the documented rules
//!   refuse, decided from the configuration and what the caller itself holds, never from the
//!   host's state.

use std::collections::{BTreeMap, BTreeSet};

use crate::abi::{self, Frame, InterruptKind, Request};
use crate::formats::VtdIrte;
use crate::host::{
    Delivery, DeviceIdx, FIRST_VALID_VECTOR, HostConfig, HostState, Resource, Scheme, Target, VmId,
};

/// The physical APIC ranges, computed here from the configuration alone: VM `i`'s vCPUs run on
/// physical CPUs `sum(vcpus[..i]) .. sum(vcpus[..=i])`.
fn partition(cfg: &HostConfig) -> Vec<(u32, u32)> {
    let mut base = 0u32;
    cfg.vms
        .iter()
        .map(|v| {
            let r = (base, base + u32::from(v.vcpus));
            base = r.1;
            r
        })
        .collect()
}

/// A target the owning VM may use: the VM exists, `apic < vcpus`, `vector >= 0x20`.
fn target_ok(cfg: &HostConfig, t: &Target) -> bool {
    cfg.vm(t.vm)
        .is_some_and(|v| t.apic < u32::from(v.vcpus) && t.vector >= FIRST_VALID_VECTOR)
}

/// Largest vector offset a device can add to a stored message (multi-message MSI).
fn max_offset(cfg: &HostConfig, dev: DeviceIdx) -> u8 {
    match cfg.device(dev) {
        Some(d) if d.kind == InterruptKind::Msi => {
            u8::try_from(d.size.saturating_sub(1)).unwrap_or(31)
        }
        _ => 0,
    }
}

/// Isolation as `docs/protocol.md` defines it. `Err` names the first violation.
pub fn isolation(cfg: &HostConfig, host: &HostState) -> Result<(), String> {
    let part = partition(cfg);
    for (&(phys, hv), t) in &host.vectors {
        if !target_ok(cfg, t) {
            return Err(format!(
                "host vector ({phys}, {hv:#x}) targets {t:?}: not a vCPU/vector of VM {}",
                t.vm
            ));
        }
        let (lo, _) = part[usize::from(t.vm)];
        if phys != lo + t.apic {
            return Err(format!(
                "host vector ({phys}, {hv:#x}) targets {t:?} but physical APIC {phys} is not that vCPU"
            ));
        }
    }
    // The hardware's entries, as the hardware reads them, each against its allocation.
    for (&h, raw) in &host.hw.irt {
        let e = VtdIrte::decode(*raw).map_err(|e| format!("IRTE {h} malformed: {e}"))?;
        let slot = host
            .irt
            .get(&h)
            .ok_or(format!("IRTE {h} is in the hardware but not allocated"))?;
        let owner = cfg.devices.iter().find(|d| d.rid == e.sid).map(|d| d.owner);
        if owner != Some(slot.owner) {
            return Err(format!(
                "IRTE {h} of VM {} names SID {:#06x} (owner {owner:?})",
                slot.owner, e.sid
            ));
        }
        if let Some(t) = host.vectors.get(&(e.dest_id, e.vector))
            && t.vm != slot.owner
        {
            return Err(format!("IRTE {h} of VM {} reaches {t:?}", slot.owner));
        }
    }
    for (&base, c) in &host.composed {
        if cfg.device(c.device).map(|d| d.owner) != Some(c.vm) {
            return Err(format!(
                "allocation {base} of VM {} is on device {}",
                c.vm, c.device
            ));
        }
    }
    for &(dev, slot) in host.hw.storage.keys() {
        let owner = cfg.device(dev).map(|d| d.owner);
        for off in 0..=max_offset(cfg, dev) {
            if let Delivery::Delivered(t) = host.deliver(cfg, dev, slot, off)
                && (Some(t.vm) != owner || !target_ok(cfg, &t))
            {
                return Err(format!(
                    "device {dev} (VM {owner:?}) slot {slot} +{off} is delivered to {t:?}"
                ));
            }
        }
    }
    Ok(())
}

/// No leak, no sharing, no quota exceeded: each VM's `used` is exactly what its allocations and
/// trapped slots hold, at most its quota; every IRT entry and host vector is held by exactly one
/// allocation or slot, and nothing is held that is not in the tables.
pub fn accounting(cfg: &HostConfig, host: &HostState) -> Result<(), String> {
    let mut held = vec![0u32; host.vms.len()];
    let mut irtes: BTreeMap<u16, VmId> = BTreeMap::new();
    let mut vectors: BTreeSet<(u32, u8)> = BTreeSet::new();
    let mut take_irte = |h: u32, vm: VmId| -> Result<(), String> {
        let h = u16::try_from(h).map_err(|_| format!("handle {h} past the IRT"))?;
        if irtes.insert(h, vm).is_some() {
            return Err(format!("IRTE {h} held twice"));
        }
        Ok(())
    };
    for (&base, c) in &host.composed {
        *held
            .get_mut(usize::from(c.vm))
            .ok_or(format!("allocation {base} of unknown VM {}", c.vm))? += u32::from(c.count);
        for h in u32::from(base)..u32::from(base) + u32::from(c.count) {
            take_irte(h, c.vm)?;
        }
    }
    for (key, p) in &host.programs {
        *held
            .get_mut(usize::from(p.vm))
            .ok_or(format!("slot {key:?} of unknown VM {}", p.vm))? += p.res.len() as u32;
        for r in &p.res {
            match *r {
                Resource::Irte(h) => take_irte(u32::from(h), p.vm)?,
                Resource::Vector(phys, v) => {
                    if !vectors.insert((phys, v)) {
                        return Err(format!("host vector ({phys}, {v:#x}) held twice"));
                    }
                }
            }
        }
    }
    for (vm, (vs, n)) in host.vms.iter().zip(&held).enumerate() {
        if u32::from(vs.used) != *n {
            return Err(format!(
                "VM {vm} accounts {} entries but holds {n}",
                vs.used
            ));
        }
        let quota = cfg.vms.get(vm).map_or(0, |v| v.quota);
        if vs.used > quota {
            return Err(format!("VM {vm} holds {} entries, quota {quota}", vs.used));
        }
    }
    let in_table: BTreeSet<u16> = host.irt.keys().copied().collect();
    let accounted: BTreeSet<u16> = irtes.keys().copied().collect();
    if in_table != accounted {
        return Err(format!(
            "IRT entries {in_table:?} but allocations hold {accounted:?}"
        ));
    }
    for (h, slot) in &host.irt {
        if irtes.get(h) != Some(&slot.owner) {
            return Err(format!("IRTE {h} owned by VM {} in the table", slot.owner));
        }
        let e = slot.entry;
        if !vectors.insert((e.dest, e.vector)) {
            return Err(format!(
                "host vector ({}, {:#x}) behind IRTE {h} is also held elsewhere",
                e.dest, e.vector
            ));
        }
    }
    // The hardware holds exactly the allocated entries (mapped, or waiting for the device's
    // attach on hardware that defers).
    let mapped: BTreeSet<u16> = host.hw.irt.keys().copied().collect();
    let pending: BTreeSet<u16> = host.hw.pending.keys().copied().collect();
    if !mapped.is_disjoint(&pending) || &mapped | &pending != in_table {
        return Err(format!(
            "hardware maps {mapped:?} and defers {pending:?}, but {in_table:?} are allocated"
        ));
    }
    // And each mapped entry is the one the host asked for (its SID, CPU and host vector).
    for (h, raw) in &host.hw.irt {
        let e = VtdIrte::decode(*raw).map_err(|e| format!("IRTE {h} malformed: {e}"))?;
        if let Some(slot) = host.irt.get(h) {
            let want = slot.entry;
            if (e.sid, e.dest_id, e.vector)
                != (want.sid, VtdIrte::irte_dest(want.dest, true), want.vector)
            {
                return Err(format!(
                    "IRTE {h} in the hardware is {e:?}, the host asked for {want:?}"
                ));
            }
        }
    }
    let table: BTreeSet<(u32, u8)> = host.vectors.keys().copied().collect();
    if table != vectors {
        return Err(format!(
            "host vector table {table:?} but entries hold {vectors:?}"
        ));
    }
    Ok(())
}

/// Negotiated features are enforced: every allocation is of a kind its VM was granted, a VM on
/// the old scheme holds none and was granted nothing, and only VMs on the new scheme have
/// features.
pub fn features(cfg: &HostConfig, host: &HostState) -> Result<(), String> {
    for (vm, vs) in host.vms.iter().enumerate() {
        if vs.scheme == Scheme::Old && vs.features != 0 {
            return Err(format!(
                "VM {vm} on the old scheme has features {:#x}",
                vs.features
            ));
        }
        if vs.features & !abi::FEATURES_ALL != 0 {
            return Err(format!("VM {vm} has unknown features {:#x}", vs.features));
        }
    }
    for (&base, c) in &host.composed {
        let kind = cfg.device(c.device).map(|d| d.kind);
        let vs = host.vms.get(usize::from(c.vm));
        let ok = match (kind, vs) {
            (Some(k), Some(vs)) => vs.scheme == Scheme::New && vs.features & k.feature() != 0,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "allocation {base} ({kind:?}) of VM {} without the feature",
                c.vm
            ));
        }
    }
    Ok(())
}

/// One allocation the calling VM holds, as it learnt from its own OK replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Held {
    /// The handle returned.
    pub handle: u16,
    /// Vectors covered.
    pub count: u8,
    /// The device (requester ID) composed on.
    pub rid: u16,
    /// The storage index.
    pub index: u32,
}

impl Held {
    /// Updates `held` (kept sorted) from the caller's own request and the host's answer: an OK
    /// COMPOSE adds the allocation, an OK FREE removes it.
    pub fn record(
        held: &mut Vec<Held>,
        request: &Request,
        reply: &Result<abi::Reply, abi::Status>,
    ) {
        match (request, reply) {
            (Request::Compose(a), Ok(abi::Reply::Composed { handle, count, .. })) => {
                held.push(Held {
                    handle: u16::try_from(*handle).unwrap_or(u16::MAX),
                    count: u8::try_from(*count).unwrap_or(u8::MAX),
                    rid: a.device,
                    index: a.index,
                });
                held.sort();
            }
            (Request::Free { handle }, Ok(_)) => {
                held.retain(|h| u32::from(h.handle) != *handle);
            }
            _ => {}
        }
    }
}

/// What the calling VM knows of its own negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Caller {
    /// The VM.
    pub vm: VmId,
    /// The version it negotiated (`None`: none).
    pub version: Option<u16>,
    /// Its SWITCH was granted with these features (`None`: still on the old scheme).
    pub granted: Option<u64>,
}

/// Whether the documented rules refuse `frame` from `caller` holding `held` (a subset of the
/// refusals: only the ones decidable without the host's state). An OK answer to such a request
/// is a violation.
pub fn must_fail_call(cfg: &HostConfig, caller: &Caller, held: &[Held], frame: &Frame) -> bool {
    use crate::host::HypervisorGen;
    if !matches!(
        cfg.hypervisor,
        Some(HypervisorGen::New | HypervisorGen::NewRejecting | HypervisorGen::HyperV)
    ) {
        return true;
    }
    let Some(vcfg) = cfg.vm(caller.vm) else {
        return true;
    };
    if frame.request == Request::Query {
        return !cfg.versions.contains(&frame.version);
    }
    if caller.version != Some(frame.version) {
        return true;
    }
    let target_bad = |apic: u32, vector: u8, count: u8| {
        count == 0
            || vector < FIRST_VALID_VECTOR
            || vector.checked_add(count - 1).is_none()
            || apic >= u32::from(vcfg.vcpus)
    };
    let Some(granted) = caller.granted else {
        // Old scheme: only SWITCH can succeed.
        return !matches!(frame.request, Request::Switch { .. });
    };
    match frame.request {
        Request::Query => unreachable!("handled above"),
        Request::Switch { .. } => true,
        Request::Compose(a) => {
            let Some(d) = cfg.devices.iter().find(|d| d.rid == a.device) else {
                return true;
            };
            let count_bad = match a.kind {
                InterruptKind::Msi => !a.count.is_power_of_two() || u16::from(a.count) > d.size,
                _ => a.count != 1,
            };
            let index_bad = match a.kind {
                InterruptKind::Msi => a.index != 0,
                _ => a.index >= u32::from(d.size),
            };
            let used: u32 = held.iter().map(|h| u32::from(h.count)).sum();
            d.owner != caller.vm
                || d.kind != a.kind
                || granted & a.kind.feature() == 0
                || count_bad
                || index_bad
                || held.iter().any(|h| h.rid == a.device && h.index == a.index)
                || target_bad(a.apic_id, a.vector, a.count)
                || used + u32::from(a.count) > u32::from(vcfg.quota)
                || !cfg.hw_ir
        }
        Request::Retarget {
            handle,
            apic_id,
            vector,
        } => match held.iter().find(|h| u32::from(h.handle) == handle) {
            None => true,
            Some(h) => {
                frame.version < abi::VERSION_2
                    || granted & abi::FEATURE_RETARGET == 0
                    || target_bad(apic_id, vector, h.count)
            }
        },
        Request::Free { handle } => !held.iter().any(|h| u32::from(h.handle) == handle),
    }
}

/// Whether a write by `vm` into (`dev`, `slot`) must be dropped: not its device, or past the
/// device's storage.
pub fn must_fail_write(cfg: &HostConfig, vm: VmId, dev: DeviceIdx, slot: u16) -> bool {
    match cfg.device(dev) {
        Some(d) => d.owner != vm || slot >= d.slots(),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{DeviceCfg, HypervisorGen, IrtSlot, VmCfg};

    fn cfg() -> HostConfig {
        HostConfig::new(
            Some(HypervisorGen::New),
            true,
            vec![
                VmCfg {
                    vcpus: 10,
                    quota: 4,
                },
                VmCfg { vcpus: 2, quota: 4 },
            ],
            vec![
                DeviceCfg {
                    rid: 0x100,
                    owner: 0,
                    kind: InterruptKind::MsiX,
                    size: 4,
                },
                DeviceCfg {
                    rid: 0x200,
                    owner: 1,
                    kind: InterruptKind::MsiX,
                    size: 4,
                },
            ],
            8,
        )
    }

    /// Each property rejects the state it is about (so it can fail), and accepts the empty one.
    #[test]
    fn each_property_can_fail() {
        let c = cfg();
        let h = HostState::new(&c);
        assert_eq!(isolation(&c, &h), Ok(()));
        assert_eq!(accounting(&c, &h), Ok(()));
        assert_eq!(features(&c, &h), Ok(()));
        // VM 0's vCPU 8 is physical CPU 8; the old `vm * 8 + apic` put VM 1's vCPU 0 there.
        let mut bad = h.clone();
        bad.vectors.insert(
            (8, 0x30),
            Target {
                vm: 1,
                apic: 0,
                vector: 0x40,
            },
        );
        assert!(isolation(&c, &bad).unwrap_err().contains("not that vCPU"));
        let mut bad = h.clone();
        bad.vectors.insert(
            (0, 0x30),
            Target {
                vm: 0,
                apic: 0,
                vector: 0x1f,
            },
        );
        assert!(isolation(&c, &bad).is_err(), "vector below 0x20");
        assert!(accounting(&c, &bad).is_err(), "a vector nobody holds");
        let mut bad = h.clone();
        bad.vms[0].used = 1;
        assert!(accounting(&c, &bad).unwrap_err().contains("accounts 1"));
        let mut bad = h.clone();
        let e = VtdIrte {
            present: true,
            vector: 0x30,
            sid: 0x100,
            ..VtdIrte::default()
        };
        bad.irt.insert(
            0,
            IrtSlot {
                entry: crate::hw::IrEntry {
                    sid: e.sid,
                    dest: e.dest_id,
                    vector: e.vector,
                },
                owner: 1,
            },
        );
        bad.hw.irt.insert(0, e.encode().unwrap());
        assert!(isolation(&c, &bad).unwrap_err().contains("SID"));
        assert!(accounting(&c, &bad).is_err(), "an IRTE nobody holds");
        let mut bad = h.clone();
        bad.vms[1].features = abi::FEATURE_COMPOSE_IMS;
        assert!(features(&c, &bad).is_err());
    }

    #[test]
    fn must_fail_oracle() {
        let c = cfg();
        let caller = Caller {
            vm: 1,
            version: Some(2),
            granted: Some(abi::FEATURES_ALL),
        };
        let compose = |rid, index, apic, vector| Frame {
            version: 2,
            request: Request::Compose(abi::ComposeArgs {
                kind: InterruptKind::MsiX,
                count: 1,
                device: rid,
                index,
                apic_id: apic,
                vector,
            }),
        };
        assert!(!must_fail_call(
            &c,
            &caller,
            &[],
            &compose(0x200, 0, 1, 0x20)
        ));
        assert!(must_fail_call(
            &c,
            &caller,
            &[],
            &compose(0x100, 0, 1, 0x20)
        ));
        assert!(must_fail_call(
            &c,
            &caller,
            &[],
            &compose(0x200, 4, 1, 0x20)
        ));
        assert!(must_fail_call(
            &c,
            &caller,
            &[],
            &compose(0x200, 0, 2, 0x20)
        ));
        assert!(must_fail_call(
            &c,
            &caller,
            &[],
            &compose(0x200, 0, 1, 0x1f)
        ));
        let held = [Held {
            handle: 3,
            count: 1,
            rid: 0x200,
            index: 0,
        }];
        assert!(must_fail_call(
            &c,
            &caller,
            &held,
            &compose(0x200, 0, 1, 0x40)
        ));
        let free = |handle| Frame {
            version: 2,
            request: Request::Free { handle },
        };
        assert!(!must_fail_call(&c, &caller, &held, &free(3)));
        assert!(must_fail_call(&c, &caller, &held, &free(0)));
        assert!(must_fail_write(&c, 1, 0, 0));
        assert!(must_fail_write(&c, 1, 1, 4));
        assert!(!must_fail_write(&c, 1, 1, 3));
    }
}
