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
//! profile against a host. Parsing of the input formats lives in [`input`], rendering in [`report`].

pub mod baseline;
pub mod compare;
pub mod decode;
pub mod input;
pub mod model;
pub mod report;
pub mod sanitize;
pub mod tables;

pub use baseline::{Baseline, BaselineError, BaselineResult};
pub use compare::{CompareError, Comparison, FieldDiff, Verdict, compare};
pub use decode::{DecodeError, DecodedField, decode};
pub use model::{
    Field, KernelCap, Kind, MAX_REGS, Provenance, RegSet, Register, Rule, Src, Table, VmFlag,
};
pub use sanitize::{
    Context, Decision, DecisionKind, Explanation, Manifest, ManifestValue, Plan, SanitizeError,
    explain, sanitize,
};
