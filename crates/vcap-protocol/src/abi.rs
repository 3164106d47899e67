//! The hypercall ABI: a versioned, little-endian binary layout. Layout and every status code are
//! documented in `docs/protocol.md`; [`STATUS_TABLE`] is the single source for the codes and a
//! test checks the document names each one.
//!
//! ```text
//! request  header: u16 version | u16 op     | u32 length (payload bytes that follow)
//! response header: u16 version | u16 status | u32 length
//! ```

use crate::formats::MsiMsg;

/// Protocol version 1: query, switch, compose, free.
pub const VERSION_1: u16 = 1;
/// Protocol version 2: adds retarget.
pub const VERSION_2: u16 = 2;
/// Header size in bytes (requests and responses).
pub const HEADER_LEN: usize = 8;

/// Feature bit: the host composes MSI messages.
pub const FEATURE_COMPOSE_MSI: u64 = 1 << 0;
/// Feature bit: the host composes MSI-X messages and unmaps the MSI-X table trap.
pub const FEATURE_COMPOSE_MSIX: u64 = 1 << 1;
/// Feature bit: the host composes IMS messages (device- and system-memory storage).
pub const FEATURE_COMPOSE_IMS: u64 = 1 << 2;
/// Feature bit: the retarget operation (version 2 and later).
pub const FEATURE_RETARGET: u64 = 1 << 3;
/// Every feature bit this ABI defines.
pub const FEATURES_ALL: u64 =
    FEATURE_COMPOSE_MSI | FEATURE_COMPOSE_MSIX | FEATURE_COMPOSE_IMS | FEATURE_RETARGET;

/// Operation codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// 1: does the host speak the header's version, and with which features.
    Query = 1,
    /// 2: switch this VM to the new scheme (grant or reject).
    Switch = 2,
    /// 3: compose a message for (type, device, index, count, target APIC, vector).
    Compose = 3,
    /// 4: retarget an existing handle (version ≥ 2).
    Retarget = 4,
    /// 5: free a handle.
    Free = 5,
}

impl Op {
    /// The op for a wire code.
    pub fn from_code(code: u16) -> Option<Op> {
        Some(match code {
            1 => Op::Query,
            2 => Op::Switch,
            3 => Op::Compose,
            4 => Op::Retarget,
            5 => Op::Free,
            _ => return None,
        })
    }

    /// Request payload length in bytes.
    pub fn request_len(self) -> usize {
        match self {
            Op::Query => 0,
            Op::Switch => 8,
            Op::Compose => 16,
            Op::Retarget => 12,
            Op::Free => 4,
        }
    }

    /// Success-response payload length in bytes.
    pub fn response_len(self) -> usize {
        match self {
            Op::Query | Op::Switch => 8,
            Op::Compose => 20,
            Op::Retarget | Op::Free => 0,
        }
    }
}

/// Interrupt (storage) type in a compose request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InterruptKind {
    /// 0: PCI MSI (config space; always trapped).
    Msi = 0,
    /// 1: PCI MSI-X (table in a BAR).
    MsiX = 1,
    /// 2: IMS, message store in device memory.
    ImsDevMem = 2,
    /// 3: IMS, message store in system memory.
    ImsSysMem = 3,
}

impl InterruptKind {
    /// The kind for a wire code.
    pub fn from_code(code: u8) -> Option<InterruptKind> {
        Some(match code {
            0 => InterruptKind::Msi,
            1 => InterruptKind::MsiX,
            2 => InterruptKind::ImsDevMem,
            3 => InterruptKind::ImsSysMem,
            _ => return None,
        })
    }

    /// True for both IMS storage types.
    pub fn is_ims(self) -> bool {
        matches!(self, InterruptKind::ImsDevMem | InterruptKind::ImsSysMem)
    }

    /// The feature bit composing this kind needs.
    pub fn feature(self) -> u64 {
        match self {
            InterruptKind::Msi => FEATURE_COMPOSE_MSI,
            InterruptKind::MsiX => FEATURE_COMPOSE_MSIX,
            InterruptKind::ImsDevMem | InterruptKind::ImsSysMem => FEATURE_COMPOSE_IMS,
        }
    }
}

/// Compose arguments (payload of op 3, 16 bytes):
/// `u8 kind | u8 count | u16 device (requester ID) | u32 index | u32 apic_id | u8 vector | u8[3] reserved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComposeArgs {
    /// Interrupt type.
    pub kind: InterruptKind,
    /// Number of vectors (MSI: 1..=32, a power of two; others: 1).
    pub count: u8,
    /// The device's requester ID (bus << 8 | devfn).
    pub device: u16,
    /// MSI: 0; MSI-X: table entry; IMS: slot (array index in device memory, a software index
    /// for system memory).
    pub index: u32,
    /// Target APIC ID (the guest's view).
    pub apic_id: u32,
    /// Target vector; `count` vectors starting here.
    pub vector: u8,
}

/// A decoded request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Request {
    /// Query: the header version is the version offered.
    Query,
    /// Switch to the new scheme using these features.
    Switch {
        /// Features the guest will use.
        features: u64,
    },
    /// Compose a message.
    Compose(ComposeArgs),
    /// Retarget: `u32 handle | u32 apic_id | u8 vector | u8[3] reserved`.
    Retarget {
        /// Handle from compose.
        handle: u32,
        /// New target APIC ID.
        apic_id: u32,
        /// New vector.
        vector: u8,
    },
    /// Free: `u32 handle`.
    Free {
        /// Handle from compose.
        handle: u32,
    },
}

impl Request {
    /// The request's op.
    pub fn op(&self) -> Op {
        match self {
            Request::Query => Op::Query,
            Request::Switch { .. } => Op::Switch,
            Request::Compose(_) => Op::Compose,
            Request::Retarget { .. } => Op::Retarget,
            Request::Free { .. } => Op::Free,
        }
    }
}

/// A request with its header version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    /// Header version: the version offered (query) or negotiated (everything else).
    pub version: u16,
    /// The request.
    pub request: Request,
}

/// Status codes. The wire value is the discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// 0: success.
    Ok = 0,
    /// 1: the host does not speak the header's version (query: try the next lower one).
    VersionMismatch = 1,
    /// 2: fewer bytes than a header, or than the header's length says.
    Truncated = 2,
    /// 3: the length field is not the op's payload size.
    BadLength = 3,
    /// 4: unknown operation code, or an op the negotiated version lacks.
    UnknownOp = 4,
    /// 5: a reserved field is not zero.
    ReservedNonZero = 5,
    /// 6: no version negotiated yet for this VM.
    NotNegotiated = 6,
    /// 7: the op needs the new scheme and this VM is on the old one.
    WrongScheme = 7,
    /// 8: the host rejects the switch; both sides stay on the old scheme.
    Rejected = 8,
    /// 9: the VM already switched.
    AlreadySwitched = 9,
    /// 10: unknown interrupt type, or it does not match the device's storage.
    BadKind = 10,
    /// 11: the device or handle is not owned by the calling VM (also for unknown devices).
    NotOwner = 11,
    /// 12: index out of bounds for the device's storage.
    BadIndex = 12,
    /// 13: count invalid (0, not a power of two, above the device's MSI vectors, or ≠ 1).
    BadCount = 13,
    /// 14: vector outside 0x20..=0xff (or the range runs past 0xff).
    BadVector = 14,
    /// 15: APIC ID not one of the VM's vCPUs.
    BadApicId = 15,
    /// 16: the VM's remapping-entry quota is exhausted.
    QuotaExceeded = 16,
    /// 17: no such handle.
    NoSuchHandle = 17,
    /// 18: the index is already allocated, or old-scheme entries are live (switch).
    InUse = 18,
    /// 19: a requested feature is not offered.
    UnsupportedFeature = 19,
    /// 20: the host ran out of remapping entries or host vectors.
    NoResources = 20,
    /// 21: the hypercall is not implemented (old hypervisor; the guest sees KVM's -ENOSYS analog).
    NotImplemented = 21,
    /// 22: the remapping hardware failed part-way and the host could not put the old entries
    /// back: it released the allocation they belonged to (the handle, or the trapped slot's
    /// program, is no longer valid).
    Revoked = 22,
}

/// Every status: (status, name as in `docs/protocol.md`, meaning).
pub const STATUS_TABLE: &[(Status, &str, &str)] = &[
    (Status::Ok, "OK", "success"),
    (
        Status::VersionMismatch,
        "VERSION_MISMATCH",
        "host does not speak the header version; query the next lower one",
    ),
    (
        Status::Truncated,
        "TRUNCATED",
        "fewer bytes than the header or its length field",
    ),
    (
        Status::BadLength,
        "BAD_LENGTH",
        "length field is not the op's payload size",
    ),
    (
        Status::UnknownOp,
        "UNKNOWN_OP",
        "unknown op, or an op the negotiated version lacks",
    ),
    (
        Status::ReservedNonZero,
        "RESERVED_NONZERO",
        "a reserved field is not zero",
    ),
    (
        Status::NotNegotiated,
        "NOT_NEGOTIATED",
        "no version negotiated yet",
    ),
    (
        Status::WrongScheme,
        "WRONG_SCHEME",
        "op needs the new scheme; VM is on the old one",
    ),
    (
        Status::Rejected,
        "REJECTED",
        "switch refused; both sides stay on the old scheme",
    ),
    (
        Status::AlreadySwitched,
        "ALREADY_SWITCHED",
        "VM already on the new scheme",
    ),
    (
        Status::BadKind,
        "BAD_KIND",
        "unknown interrupt type or not the device's storage",
    ),
    (
        Status::NotOwner,
        "NOT_OWNER",
        "device or handle not owned by the caller",
    ),
    (
        Status::BadIndex,
        "BAD_INDEX",
        "index out of bounds for the storage type",
    ),
    (
        Status::BadCount,
        "BAD_COUNT",
        "vector count invalid for the storage type",
    ),
    (
        Status::BadVector,
        "BAD_VECTOR",
        "vector outside 0x20..=0xff",
    ),
    (
        Status::BadApicId,
        "BAD_APIC_ID",
        "APIC ID not a vCPU of the caller",
    ),
    (
        Status::QuotaExceeded,
        "QUOTA_EXCEEDED",
        "per-VM remapping-entry quota exhausted",
    ),
    (
        Status::NoSuchHandle,
        "NO_SUCH_HANDLE",
        "no allocation with that handle",
    ),
    (
        Status::InUse,
        "IN_USE",
        "index already allocated / old-scheme entries live",
    ),
    (
        Status::UnsupportedFeature,
        "UNSUPPORTED_FEATURE",
        "requested feature not offered",
    ),
    (
        Status::NoResources,
        "NO_RESOURCES",
        "host out of remapping entries or vectors",
    ),
    (
        Status::NotImplemented,
        "NOT_IMPLEMENTED",
        "hypercall absent (old hypervisor)",
    ),
    (
        Status::Revoked,
        "REVOKED",
        "hardware failed part-way and could not be restored; the allocation was released",
    ),
];

impl Status {
    /// The wire code.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// The status for a wire code.
    pub fn from_code(code: u16) -> Option<Status> {
        STATUS_TABLE
            .iter()
            .find(|(s, _, _)| s.code() == code)
            .map(|(s, _, _)| *s)
    }

    /// The documented name.
    pub fn name(self) -> &'static str {
        STATUS_TABLE
            .iter()
            .find(|(s, _, _)| *s == self)
            .map_or("?", |(_, n, _)| n)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// A successful reply's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reply {
    /// Query: features offered at this version.
    Features(u64),
    /// Switch granted with these features.
    Switched(u64),
    /// Compose: `u32 handle | u16 count | u16 reserved | u32 address_lo | u32 address_hi | u32 data`.
    Composed {
        /// Handle for retarget/free.
        handle: u32,
        /// Vectors covered (consecutive subhandles).
        count: u16,
        /// The message to program into the device.
        msg: MsiMsg,
    },
    /// Retarget or free done.
    Done,
}

/// Why bytes did not decode; each maps to one [`Status`] and names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    /// Too few bytes.
    #[error("truncated: need {need} bytes, got {got}")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// Length field wrong for the op.
    #[error("op {op:?}: length field {found}, expected {expected}")]
    BadLength {
        /// The op.
        op: Op,
        /// Its payload size.
        expected: usize,
        /// The header's length field.
        found: u32,
    },
    /// Unknown op code.
    #[error("unknown op code {0}")]
    UnknownOp(u16),
    /// Unknown interrupt kind.
    #[error("unknown interrupt kind {0}")]
    BadKind(u8),
    /// Reserved bytes set.
    #[error("reserved field `{0}` is not zero")]
    Reserved(&'static str),
    /// Unknown status code in a response.
    #[error("unknown status code {0}")]
    UnknownStatus(u16),
}

impl AbiError {
    /// The status the host answers with.
    pub fn status(&self) -> Status {
        match self {
            AbiError::Truncated { .. } => Status::Truncated,
            AbiError::BadLength { .. } => Status::BadLength,
            AbiError::UnknownOp(_) | AbiError::UnknownStatus(_) => Status::UnknownOp,
            AbiError::BadKind(_) => Status::BadKind,
            AbiError::Reserved(_) => Status::ReservedNonZero,
        }
    }
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

fn header(version: u16, code: u16, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + len);
    v.extend_from_slice(&version.to_le_bytes());
    v.extend_from_slice(&code.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v
}

/// Encodes a request frame.
pub fn encode_request(f: &Frame) -> Vec<u8> {
    let op = f.request.op();
    let mut v = header(f.version, op as u16, op.request_len());
    match f.request {
        Request::Query => {}
        Request::Switch { features } => v.extend_from_slice(&features.to_le_bytes()),
        Request::Compose(a) => {
            v.push(a.kind as u8);
            v.push(a.count);
            v.extend_from_slice(&a.device.to_le_bytes());
            v.extend_from_slice(&a.index.to_le_bytes());
            v.extend_from_slice(&a.apic_id.to_le_bytes());
            v.push(a.vector);
            v.extend_from_slice(&[0; 3]);
        }
        Request::Retarget {
            handle,
            apic_id,
            vector,
        } => {
            v.extend_from_slice(&handle.to_le_bytes());
            v.extend_from_slice(&apic_id.to_le_bytes());
            v.push(vector);
            v.extend_from_slice(&[0; 3]);
        }
        Request::Free { handle } => v.extend_from_slice(&handle.to_le_bytes()),
    }
    v
}

/// Decodes a request; never panics on any input.
pub fn decode_request(b: &[u8]) -> Result<Frame, AbiError> {
    if b.len() < HEADER_LEN {
        return Err(AbiError::Truncated {
            need: HEADER_LEN,
            got: b.len(),
        });
    }
    let version = u16_at(b, 0);
    let code = u16_at(b, 2);
    let len = u32_at(b, 4);
    let op = Op::from_code(code).ok_or(AbiError::UnknownOp(code))?;
    if len as usize != op.request_len() {
        return Err(AbiError::BadLength {
            op,
            expected: op.request_len(),
            found: len,
        });
    }
    let need = HEADER_LEN + op.request_len();
    if b.len() != need {
        return Err(AbiError::Truncated { need, got: b.len() });
    }
    let p = &b[HEADER_LEN..];
    let request = match op {
        Op::Query => Request::Query,
        Op::Switch => Request::Switch {
            features: u64_at(p, 0),
        },
        Op::Compose => {
            let kind = InterruptKind::from_code(p[0]).ok_or(AbiError::BadKind(p[0]))?;
            if p[13..16] != [0, 0, 0] {
                return Err(AbiError::Reserved("compose.reserved"));
            }
            Request::Compose(ComposeArgs {
                kind,
                count: p[1],
                device: u16_at(p, 2),
                index: u32_at(p, 4),
                apic_id: u32_at(p, 8),
                vector: p[12],
            })
        }
        Op::Retarget => {
            if p[9..12] != [0, 0, 0] {
                return Err(AbiError::Reserved("retarget.reserved"));
            }
            Request::Retarget {
                handle: u32_at(p, 0),
                apic_id: u32_at(p, 4),
                vector: p[8],
            }
        }
        Op::Free => Request::Free {
            handle: u32_at(p, 0),
        },
    };
    Ok(Frame { version, request })
}

/// Encodes a response: a success payload or an error status with no payload.
pub fn encode_response(version: u16, result: &Result<Reply, Status>) -> Vec<u8> {
    match result {
        Err(s) => header(version, s.code(), 0),
        Ok(r) => match *r {
            Reply::Features(f) | Reply::Switched(f) => {
                let mut v = header(version, 0, 8);
                v.extend_from_slice(&f.to_le_bytes());
                v
            }
            Reply::Composed { handle, count, msg } => {
                let mut v = header(version, 0, 20);
                v.extend_from_slice(&handle.to_le_bytes());
                v.extend_from_slice(&count.to_le_bytes());
                v.extend_from_slice(&[0, 0]);
                v.extend_from_slice(&msg.address_lo.to_le_bytes());
                v.extend_from_slice(&msg.address_hi.to_le_bytes());
                v.extend_from_slice(&msg.data.to_le_bytes());
                v
            }
            Reply::Done => header(version, 0, 0),
        },
    }
}

/// Decodes the response to a request of `op` (guest side): `(version, result)`.
pub fn decode_response(op: Op, b: &[u8]) -> Result<(u16, Result<Reply, Status>), AbiError> {
    if b.len() < HEADER_LEN {
        return Err(AbiError::Truncated {
            need: HEADER_LEN,
            got: b.len(),
        });
    }
    let version = u16_at(b, 0);
    let code = u16_at(b, 2);
    let len = u32_at(b, 4) as usize;
    let status = Status::from_code(code).ok_or(AbiError::UnknownStatus(code))?;
    let expected = if status == Status::Ok {
        op.response_len()
    } else {
        0
    };
    if len != expected {
        return Err(AbiError::BadLength {
            op,
            expected,
            found: len as u32,
        });
    }
    if b.len() != HEADER_LEN + expected {
        return Err(AbiError::Truncated {
            need: HEADER_LEN + expected,
            got: b.len(),
        });
    }
    if status != Status::Ok {
        return Ok((version, Err(status)));
    }
    let p = &b[HEADER_LEN..];
    let reply = match op {
        Op::Query => Reply::Features(u64_at(p, 0)),
        Op::Switch => Reply::Switched(u64_at(p, 0)),
        Op::Compose => {
            if p[6..8] != [0, 0] {
                return Err(AbiError::Reserved("composed.reserved"));
            }
            Reply::Composed {
                handle: u32_at(p, 0),
                count: u16_at(p, 4),
                msg: MsiMsg {
                    address_lo: u32_at(p, 8),
                    address_hi: u32_at(p, 12),
                    data: u32_at(p, 16),
                },
            }
        }
        Op::Retarget | Op::Free => Reply::Done,
    };
    Ok((version, Ok(reply)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compose_layout_is_little_endian_at_documented_offsets() {
        let f = Frame {
            version: VERSION_2,
            request: Request::Compose(ComposeArgs {
                kind: InterruptKind::ImsSysMem,
                count: 1,
                device: 0x0108,
                index: 0x0102_0304,
                apic_id: 0x0a0b_0c0d,
                vector: 0x41,
            }),
        };
        let b = encode_request(&f);
        assert_eq!(
            b,
            [
                2, 0, 3, 0, 16, 0, 0, 0, // header: version 2, op 3, length 16
                3, 1, 0x08, 0x01, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a, 0x41, 0, 0, 0
            ]
        );
        assert_eq!(decode_request(&b).unwrap(), f);
    }

    #[test]
    fn every_status_code_round_trips_and_is_documented() {
        let doc = include_str!("../../../docs/protocol.md");
        for (i, (s, name, _)) in STATUS_TABLE.iter().enumerate() {
            assert_eq!(s.code() as usize, i, "codes are dense and in table order");
            assert_eq!(Status::from_code(s.code()), Some(*s));
            assert!(
                doc.contains(&format!("| {} | `{name}`", s.code())),
                "docs/protocol.md lacks a row for {name}"
            );
        }
        assert_eq!(Status::from_code(STATUS_TABLE.len() as u16), None);
    }

    /// A response whose header promises the full payload but whose bytes stop short names how
    /// many bytes it needed and how many it had.
    #[test]
    fn truncated_responses_name_the_length_they_need() {
        let full = encode_response(
            VERSION_2,
            &Ok(Reply::Composed {
                handle: 7,
                count: 1,
                msg: MsiMsg::default(),
            }),
        );
        let need = HEADER_LEN + Op::Compose.response_len();
        assert_eq!(full.len(), need);
        for cut in [HEADER_LEN, HEADER_LEN + 1, need - 1] {
            assert_eq!(
                decode_response(Op::Compose, &full[..cut]),
                Err(AbiError::Truncated { need, got: cut })
            );
        }
        let mut long = full.clone();
        long.push(0);
        assert_eq!(
            decode_response(Op::Compose, &long),
            Err(AbiError::Truncated {
                need,
                got: need + 1
            })
        );
        let q = encode_response(VERSION_2, &Ok(Reply::Features(1)));
        assert_eq!(
            decode_response(Op::Query, &q[..HEADER_LEN + 4]),
            Err(AbiError::Truncated {
                need: HEADER_LEN + 8,
                got: HEADER_LEN + 4
            })
        );
    }

    #[test]
    fn decode_errors_name_the_fault() {
        assert_eq!(
            decode_request(&[1, 0, 1]).unwrap_err(),
            AbiError::Truncated { need: 8, got: 3 }
        );
        assert_eq!(
            decode_request(&[1, 0, 9, 0, 0, 0, 0, 0]).unwrap_err(),
            AbiError::UnknownOp(9)
        );
        assert_eq!(
            decode_request(&[1, 0, 5, 0, 3, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            AbiError::BadLength {
                op: Op::Free,
                expected: 4,
                found: 3
            }
        );
        let mut b = encode_request(&Frame {
            version: 1,
            request: Request::Free { handle: 1 },
        });
        b.push(0);
        assert_eq!(
            decode_request(&b).unwrap_err(),
            AbiError::Truncated { need: 12, got: 13 }
        );
        let mut b = encode_request(&Frame {
            version: 2,
            request: Request::Retarget {
                handle: 1,
                apic_id: 0,
                vector: 0x40,
            },
        });
        b[HEADER_LEN + 10] = 1;
        assert_eq!(
            decode_request(&b).unwrap_err(),
            AbiError::Reserved("retarget.reserved")
        );
    }

    fn request_strategy() -> impl Strategy<Value = Frame> {
        let args = (
            0..4u8,
            any::<u8>(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            any::<u8>(),
        )
            .prop_map(|(k, count, device, index, apic_id, vector)| {
                Request::Compose(ComposeArgs {
                    kind: InterruptKind::from_code(k).unwrap(),
                    count,
                    device,
                    index,
                    apic_id,
                    vector,
                })
            });
        let req = prop_oneof![
            Just(Request::Query),
            any::<u64>().prop_map(|features| Request::Switch { features }),
            args,
            (any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(handle, apic_id, vector)| {
                Request::Retarget {
                    handle,
                    apic_id,
                    vector,
                }
            }),
            any::<u32>().prop_map(|handle| Request::Free { handle }),
        ];
        (any::<u16>(), req).prop_map(|(version, request)| Frame { version, request })
    }

    proptest! {
        #[test]
        fn requests_round_trip(f in request_strategy()) {
            prop_assert_eq!(decode_request(&encode_request(&f)).unwrap(), f);
        }

        #[test]
        fn responses_round_trip(handle in any::<u32>(), count in any::<u16>(), lo in any::<u32>(), hi in any::<u32>(), data in any::<u32>(), code in 1..22u16) {
            let r = Ok(Reply::Composed { handle, count, msg: MsiMsg { address_lo: lo, address_hi: hi, data } });
            prop_assert_eq!(decode_response(Op::Compose, &encode_response(2, &r)).unwrap(), (2, r));
            let e = Err(Status::from_code(code).unwrap());
            prop_assert_eq!(decode_response(Op::Compose, &encode_response(1, &e)).unwrap(), (1, e));
        }

        #[test]
        fn any_bytes_decode_or_error_and_reencode_exactly(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(f) = decode_request(&b) {
                prop_assert_eq!(encode_request(&f), b);
            }
        }
    }
}
