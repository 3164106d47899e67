//! The only part of vcap that touches the system. A [`Source`] reads bytes — from the live system
//! or from a snapshot directory — with bounded reads, never opening FIFOs or devices and never
//! following a link out of the snapshot; [`probe()`] executes vcap-core's read plan through it into a
//! [`vcap_core::input::capture::Capture`]; [`snapshot`] writes a capture back out as a snapshot directory.
//! Nothing here decides anything.

pub mod cpuid;
pub mod probe;
pub mod snapshot;
pub mod source;

pub use probe::{probe, probe_scope};
pub use source::{Live, Snapshot, Source, SourceError};
