//! The fuzz entry point shared by the cargo-fuzz target (`crates/vcap-protocol/fuzz`) and a
//! proptest in the normal test suite: arbitrary bytes through the ABI decoder and the host
//! handler. Checks: no panic, the response always decodes, and the host state is unchanged
//! whenever the status is not OK.

use crate::abi::{self, InterruptKind, Op, Status};
use crate::host::{DeviceCfg, HostConfig, HostState, HypervisorGen, VmCfg, VmId};
use crate::world::{Ctx, Scenario, World};

/// Interprets `data` as: byte 0 picks one of the guest scenarios (with the hostile neighbour),
/// byte 1 bit 0 picks the calling VM and bit 1 whether the honest guest has run to the end
/// first (so handles and trapped entries exist); the rest is a sequence of requests, each
/// prefixed by its length byte. With byte 1 bit 7 set, the host's configuration is built from
/// the bytes after byte 1 instead ([`random_config`]: VMs, vCPUs and quotas, devices of every
/// storage type and size, the IRT size up to [`crate::host::MAX_IRT_SIZE`], the hypervisor
/// generation), the caller is VM `byte 0 % VMs`, and the requests follow it. Panics on a
/// violated check; returns how many requests the host accepted (so tests can show the harness
/// reaches the success paths).
pub fn host_handler(data: &[u8]) -> usize {
    if data.len() < 2 {
        return 0;
    }
    if data[1] & 0x80 != 0 {
        let Some((cfg, rest)) = random_config(&data[2..]) else {
            return 0;
        };
        let vm = data[0] % cfg.vms.len() as u8;
        return run(&cfg, HostState::new(&cfg), vm, rest);
    }
    // Contexts and both starting host states are computed once per process.
    static CTXS: std::sync::OnceLock<Vec<(Ctx, HostState, HostState)>> = std::sync::OnceLock::new();
    let ctxs = CTXS.get_or_init(|| {
        Scenario::all(true)
            .into_iter()
            .filter(|s| s.hostile)
            .map(|s| {
                let ctx = Ctx::new(s);
                let boot = World::new(0, &ctx, 0).host;
                let ran = World::run_to_end(&ctx, None).host;
                (ctx, boot, ran)
            })
            .collect()
    });
    let (ctx, boot, ran) = &ctxs[data[0] as usize % ctxs.len()];
    let vm = data[1] & 1;
    let host: HostState = if data[1] & 2 != 0 {
        ran.clone()
    } else {
        boot.clone()
    };
    run(&ctx.cfg, host, vm, &data[2..])
}

/// A host configuration read from the front of `data` (the rest is returned): 1–3 VMs with
/// their vCPUs (1–255) and quotas (0–255), 1–5 devices with storage type, size (MSI: a power of
/// two up to 32; others 1–65 535), owner and requester ID, the IRT size (1–65 536) and the
/// hypervisor generation. `None` when `data` is too short or the configuration is one
/// [`HostConfig::validate`] refuses (a VMM would never hand it over).
pub fn random_config(data: &[u8]) -> Option<(HostConfig, &[u8])> {
    let mut at = 0usize;
    let mut byte = || {
        let b = *data.get(at)?;
        at += 1;
        Some(b)
    };
    let head = byte()?;
    let nvms = 1 + usize::from(head % 3);
    let hypervisor = match (head >> 2) % 4 {
        0 => HypervisorGen::Old,
        1 => HypervisorGen::NewRejecting,
        2 => HypervisorGen::HyperV,
        _ => HypervisorGen::New,
    };
    let hw_ir = head & 0x80 == 0;
    let mut vms = Vec::with_capacity(nvms);
    for _ in 0..nvms {
        vms.push(VmCfg {
            vcpus: byte()?.max(1),
            quota: byte()?,
        });
    }
    let ndev = 1 + usize::from(byte()? % 5);
    let mut devices = Vec::with_capacity(ndev);
    for _ in 0..ndev {
        let kind = InterruptKind::from_code(byte()? % 4)?;
        let size = u16::from_le_bytes([byte()?, byte()?]);
        let size = if kind == InterruptKind::Msi {
            1 << (size % 6)
        } else {
            size.max(1)
        };
        devices.push(DeviceCfg {
            rid: u16::from_le_bytes([byte()?, byte()?]),
            owner: byte()? % nvms as VmId,
            kind,
            size,
        });
    }
    let irt_size = 1 + u32::from(u16::from_le_bytes([byte()?, byte()?]));
    let cfg = HostConfig::new(Some(hypervisor), hw_ir, vms, devices, irt_size);
    cfg.validate().ok()?;
    Some((cfg, &data[at..]))
}

/// Runs the length-prefixed requests of `rest` from `vm` against `host`, checking each answer.
fn run(cfg: &HostConfig, mut host: HostState, vm: VmId, mut rest: &[u8]) -> usize {
    let mut accepted = 0;
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize).min(tail.len());
        let (req, next) = tail.split_at(n);
        rest = next;
        let (after, resp) = host.handle(cfg, vm, req);
        let op = abi::decode_request(req)
            .map(|f| f.request.op())
            .unwrap_or(Op::Free);
        let status = match abi::decode_response(op, &resp) {
            Ok((_, Ok(_))) => Status::Ok,
            Ok((_, Err(st))) => st,
            Err(e) => panic!("host produced an undecodable response {resp:02x?}: {e}"),
        };
        if status == Status::Ok {
            accepted += 1;
        } else {
            assert_eq!(
                after, host,
                "host state changed although it answered {status}"
            );
        }
        for (h, raw) in &after.hw.irt {
            let e = crate::formats::VtdIrte::decode(*raw).expect("host wrote a malformed IRTE");
            let slot = after
                .irt
                .get(h)
                .expect("hardware entry the host did not allocate");
            let owner = cfg.devices.iter().find(|d| d.rid == e.sid).map(|d| d.owner);
            assert_eq!(
                owner,
                Some(slot.owner),
                "remapping entry for another VM's device"
            );
        }
        host = after;
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Appends each request as a version-2 frame with its length byte, as the harness reads them.
    fn push_requests(data: &mut Vec<u8>, reqs: impl IntoIterator<Item = crate::abi::Request>) {
        use crate::abi::{Frame, encode_request};
        for request in reqs {
            let b = encode_request(&Frame {
                version: 2,
                request,
            });
            data.push(b.len() as u8);
            data.extend_from_slice(&b);
        }
    }

    #[test]
    fn harness_reaches_the_success_paths() {
        use crate::abi::{ComposeArgs, InterruptKind, Request};
        // A scenario whose host grants the switch: new hypervisor with IR, MSI-X device.
        let scenarios: Vec<Scenario> = Scenario::all(true)
            .into_iter()
            .filter(|s| s.hostile)
            .collect();
        let idx = scenarios
            .iter()
            .position(|s| {
                s.hypervisor == crate::host::HypervisorGen::New
                    && s.hw_ir
                    && s.device == InterruptKind::MsiX
            })
            .unwrap();
        let mut data = vec![idx as u8, 0];
        let reqs = [
            Request::Query,
            Request::Switch {
                features: crate::guest::REQUIRED_FEATURES,
            },
            Request::Compose(ComposeArgs {
                kind: InterruptKind::MsiX,
                count: 1,
                device: 0x0100,
                index: 1,
                apic_id: 1,
                vector: 0x99,
            }),
            Request::Free { handle: 0 },
            Request::Free { handle: 0 },
        ];
        push_requests(&mut data, reqs);
        assert_eq!(
            host_handler(&data),
            4,
            "query, switch, compose and the first free succeed"
        );
    }

    /// The random-configuration mode: a host built from the input's bytes (two VMs, one with
    /// 200 vCPUs and the largest quota; an MSI-X device of 2048 entries; the largest IRT)
    /// grants a compose at its limits (last entry, last vCPU, last vector) and refuses one past
    /// either.
    #[test]
    fn random_configurations_reach_the_success_paths() {
        use crate::abi::{ComposeArgs, Request};
        let mut data = vec![1, 0x80];
        // head: 2 VMs (1 % 3 = 1 → 2), generation New (3 << 2), hardware IR (bit 7 clear).
        data.push(1 | (3 << 2));
        data.extend_from_slice(&[4, 2, 200, 255]); // VM 0: 4 vCPUs, quota 2; VM 1: 200, 255
        data.push(0); // one device
        data.push(1); // MSI-X
        data.extend_from_slice(&2048u16.to_le_bytes());
        data.extend_from_slice(&0x1_2a0u16.to_le_bytes()); // rid 0x12a0
        data.push(1); // owned by VM 1
        data.extend_from_slice(&0xffffu16.to_le_bytes()); // IRT of 65 536 entries
        let (cfg, rest) = random_config(&data[2..]).unwrap();
        assert_eq!(
            (cfg.vms.len(), cfg.devices.len(), cfg.irt_size),
            (2, 1, 65_536)
        );
        assert_eq!((cfg.vms[1].vcpus, cfg.vms[1].quota), (200, 255));
        assert!(rest.is_empty());
        let reqs = [
            Request::Query,
            Request::Switch {
                features: crate::guest::REQUIRED_FEATURES,
            },
            Request::Compose(ComposeArgs {
                kind: InterruptKind::MsiX,
                count: 1,
                device: 0x12a0,
                index: 2047,
                apic_id: 199,
                vector: 0xff,
            }),
            // One past the last entry and one past the last vCPU: refused.
            Request::Compose(ComposeArgs {
                kind: InterruptKind::MsiX,
                count: 1,
                device: 0x12a0,
                index: 2048,
                apic_id: 0,
                vector: 0x40,
            }),
            Request::Compose(ComposeArgs {
                kind: InterruptKind::MsiX,
                count: 1,
                device: 0x12a0,
                index: 0,
                apic_id: 200,
                vector: 0x40,
            }),
        ];
        push_requests(&mut data, reqs);
        assert_eq!(
            host_handler(&data),
            3,
            "query, switch and the compose at the limits"
        );
        // The same requests from VM 0, which owns no device: only query and switch.
        data[0] = 0;
        assert_eq!(host_handler(&data), 2);
        // A configuration validate() refuses (two devices with one requester ID) runs nothing.
        let two = |rid2: u8| [0, 1, 1, 1, 1, 1, 0, 5, 0, 0, 1, 1, 0, rid2, 0, 0, 0, 0];
        assert!(random_config(&two(6)).is_some());
        assert!(random_config(&two(5)).is_none());
        assert_eq!(host_handler(&[&[0, 0x80][..], &two(5)].concat()), 0);
        assert!(random_config(&[0, 1, 1]).is_none(), "too short");
    }

    /// Every committed seed (and crash regression) of the cargo-fuzz target runs here too.
    #[test]
    fn committed_fuzz_seeds_pass() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/host_handler");
        let mut n = 0;
        let mut accepted = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            accepted += host_handler(&data);
            n += 1;
        }
        assert!(n >= 20, "expected the committed seeds in {}", dir.display());
        assert!(
            accepted >= n / 2,
            "seeds should reach accepted requests: {accepted} for {n} seeds"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn arbitrary_bytes_never_panic_and_never_change_state_on_error(data in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = host_handler(&data);
        }

        /// The same, with the host's configuration taken from the bytes.
        #[test]
        fn arbitrary_bytes_on_random_configurations(mut data in proptest::collection::vec(any::<u8>(), 2..160)) {
            data[1] |= 0x80;
            let _ = host_handler(&data);
        }

        /// Structured inputs: well-formed frames with arbitrary fields reach the deep checks.
        #[test]
        fn arbitrary_well_formed_requests(sc in any::<u8>(), flags in any::<u8>(), reqs in proptest::collection::vec((1u16..=5, 0u16..4, any::<[u8; 16]>()), 1..6)) {
            let mut data = vec![sc, flags];
            for (op, version, mut payload) in reqs {
                let len = Op::from_code(op).unwrap().request_len();
                // Keep the fields in the ranges where the host's deeper checks decide.
                match Op::from_code(op).unwrap() {
                    Op::Compose => {
                        payload[0] %= 4;
                        payload[1] %= 4;
                        payload[2] = 0;
                        payload[3] = 1 + payload[3] % 2;
                        payload[4] %= 3;
                        payload[5..8].fill(0);
                        payload[8] %= 3;
                        payload[9..12].fill(0);
                        payload[13..16].fill(0);
                    }
                    Op::Retarget => {
                        payload[0] %= 4;
                        payload[1..4].fill(0);
                        payload[4] %= 3;
                        payload[5..8].fill(0);
                        payload[9..12].fill(0);
                    }
                    Op::Free => {
                        payload[0] %= 4;
                        payload[1..4].fill(0);
                    }
                    Op::Query | Op::Switch => {}
                }
                let mut frame = Vec::new();
                frame.extend_from_slice(&version.to_le_bytes());
                frame.extend_from_slice(&op.to_le_bytes());
                frame.extend_from_slice(&(len as u32).to_le_bytes());
                frame.extend_from_slice(&payload[..len]);
                data.push(frame.len() as u8);
                data.extend_from_slice(&frame);
            }
            let _ = host_handler(&data);
        }
    }
}
