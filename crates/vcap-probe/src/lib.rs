//! The only part of vcap that touches the system. A [`Source`] reads bytes — from the live system
//! or from a snapshot directory — with bounded reads, never opening FIFOs or devices and never
//! following a link out of the snapshot; [`probe()`] executes vcap-core's read plan through it into a
//! [`vcap_core::input::capture::Capture`]; [`snapshot`] writes a capture back out as a snapshot directory.
//! Nothing here decides anything.
//!
//! ```
//! use vcap_core::input::plan::Scope;
//! use vcap_probe::{Source, probe_scope};
//!
//! // A snapshot of the development machine (tests/fixtures/dev-machine-kvm): the same probe that
//! // reads the live system reads it, and vcap-core decides from what it read.
//! let src = Source::snapshot(std::path::Path::new("../../tests/fixtures/dev-machine-kvm")).unwrap();
//! let capture = probe_scope(&src, Scope::Detect);
//! let d = vcap_core::report::detect_only(&capture);
//! assert_eq!(d.vm_id, "kvm");
//! ```

pub mod cpuid;
mod fsx;
pub mod probe;
pub mod snapshot;
pub mod source;

pub use probe::{probe, probe_scope};
pub use source::{Live, Snapshot, Source, SourceError};
