//! Register field tables with safety rules and provenance, and the three operations a VMM needs:
//! sanitize host ID registers into guest-visible ones, fold many hosts into a migration-safe
//! baseline, and compare a guest profile with a host.
//!
//! Tables are data ([`tables`]): one [`Field`] row per field with its bit position, signedness,
//! named values, [`Rule`], [`Provenance`] and the Linux header (or QEMU symbol or spec section) it
//! was checked against. [`decode()`] turns a register value into named fields. [`sanitize()`] takes a
//! [`Context`] (VMM manifest, kernel capability bits, per-VM flags), compiles a [`Plan`] of
//! precomputed masks and applies it per register set without allocating; [`explain`] gives the
//! per-field decisions. [`Baseline`] folds hosts in flat memory; [`compare()`] classifies a
//! profile against a host. Parsing of the input formats lives in [`input`], rendering in [`report`];
//! KVM's own CPUID arrays (`struct kvm_cpuid_entry2`, binary and JSON) in [`kvm`].
//!
//! # Example: sanitize what `KVM_GET_SUPPORTED_CPUID` returned, for `KVM_SET_CPUID2`
//!
//! A VMM's own values in, its own values out, no JSON on the way:
//!
//! ```
//! use vcap_regs::kvm::{self, CpuidEntry, FLAG_SIGNIFICANT_INDEX as SIG};
//! use vcap_regs::{Context, Kind, sanitize};
//!
//! let e = |function, index, flags, [eax, ebx, ecx, edx]: [u32; 4]| CpuidEntry {
//!     function, index, flags, eax, ebx, ecx, edx, padding: [0; 3],
//! };
//! // A Xeon Gold 6252's leaves (tests/fixtures/cpuid-xeon-gold-6252.txt), as KVM lists them.
//! let mut entries = vec![
//!     e(0x0, 0, 0, [0x16, 0x756e_6547, 0x6c65_746e, 0x4965_6e69]),
//!     e(0x1, 0, 0, [0x0005_0657, 0xc740_0800, 0x7ffe_fbff, 0xbfeb_fbff]),
//!     e(0x7, 0, SIG, [0, 0xd39f_f7eb, 0x0000_0818, 0xbc00_0400]),
//!     e(0xd, 0, SIG, [0x2ff, 0xa88, 0xa88, 0]),
//!     e(0xd, 1, SIG, [0xf, 0xa08, 0x100, 0]),
//!     e(0x8000_0000, 0, 0, [0x8000_0008, 0, 0, 0]),
//!     e(0x8000_0001, 0, 0, [0, 0, 0x121, 0x2c10_0800]),
//!     e(0x8000_0007, 0, 0, [0, 0, 0, 0x100]),
//!     e(0x8000_0008, 0, 0, [0x302e, 0, 0, 0]),
//!     e(0x4000_0000, 0, 0, [0x4000_0001, 0x4b4d_564b, 0x564b_4d56, 0x4d]), // KVM's own leaf
//! ];
//! let host = kvm::to_regset(&entries)?;
//! let guest = sanitize(&host, &Context::new(Kind::X86Cpuid))?;
//! kvm::apply(&guest, &mut entries)?;
//! // Leaf 7 EBX: host-only bits (e.g. Intel PT, bit 25) cleared; the rest kept.
//! assert_eq!(entries[2].ebx, 0xd19f_27eb);
//! // A leaf vcap does not track is left as the VMM had it.
//! assert_eq!(entries[9].ebx, 0x4b4d_564b);
//! // The buffer for KVM_SET_CPUID2: struct kvm_cpuid2 { nent, padding, entries[] }.
//! let bytes = kvm::cpuid2_to_bytes(&entries);
//! assert_eq!(bytes.len(), 8 + entries.len() * kvm::ENTRY_SIZE);
//! assert_eq!(kvm::cpuid2_from_bytes(&bytes)?, entries);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod baseline;
pub mod compare;
pub mod decode;
pub mod field;
pub mod firecracker;
pub mod hex;
pub mod hwinfo;
pub mod input;
pub mod kvm;
pub mod libvirt;
pub mod model;
pub mod report;
pub mod sanitize;
pub mod tables;
pub mod vmm;

pub use baseline::{Baseline, BaselineError, BaselineResult};
pub use compare::{CompareError, Comparison, FieldDiff, Verdict, compare};
pub use decode::{DecodeError, DecodedField, decode};
pub use model::{
    Field, KernelCap, Kind, MAX_REGS, OwnedDefault, Provenance, RegError, RegSet, Register, Rule,
    Src, Table, VmFlag,
};
pub use sanitize::{
    Context, Decision, DecisionKind, Explanation, Manifest, ManifestValue, Plan, SanitizeError,
    explain, sanitize,
};
