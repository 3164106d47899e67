//! The fuzz entry point shared by the cargo-fuzz target (`crates/vcap-protocol/fuzz`) and a
//! proptest in the normal test suite: arbitrary bytes through the ABI decoder and the host
//! handler. Checks: no panic, the response always decodes, and the host state is unchanged
//! whenever the status is not OK.

use crate::abi::{self, Op, Status};
use crate::host::HostState;
use crate::world::{Ctx, Scenario, World};

/// Interprets `data` as: byte 0 picks one of the guest scenarios (with the hostile neighbour),
/// byte 1 bit 0 picks the calling VM and bit 1 whether the honest guest has run to the end
/// first (so handles and trapped entries exist); the rest is a sequence of requests, each
/// prefixed by its length byte. Panics on a violated check; returns how many requests the host
/// accepted (so tests can show the harness reaches the success paths).
pub fn host_handler(data: &[u8]) -> usize {
    if data.len() < 2 {
        return 0;
    }
    let mut accepted = 0;
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
    let mut host: HostState = if data[1] & 2 != 0 {
        ran.clone()
    } else {
        boot.clone()
    };
    let mut rest = &data[2..];
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize).min(tail.len());
        let (req, next) = tail.split_at(n);
        rest = next;
        let (after, resp) = host.handle(&ctx.cfg, vm, req);
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
            let owner = ctx
                .cfg
                .devices
                .iter()
                .find(|d| d.rid == e.sid)
                .map(|d| d.owner);
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

    #[test]
    fn harness_reaches_the_success_paths() {
        use crate::abi::{ComposeArgs, Frame, InterruptKind, Request, encode_request};
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
        for r in reqs {
            let b = encode_request(&Frame {
                version: 2,
                request: r,
            });
            data.push(b.len() as u8);
            data.extend_from_slice(&b);
        }
        assert_eq!(
            host_handler(&data),
            4,
            "query, switch, compose and the first free succeed"
        );
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
