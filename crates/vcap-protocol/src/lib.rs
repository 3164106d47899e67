//! The guest↔hypervisor interrupt negotiation proposed in the Linux IMS threads: bit-exact message
//! formats, the interrupt-domain model, the hypercall ABI, guest and host state machines, and an
//! exhaustive model check of every combination of layer generations.

pub mod abi;
pub mod bits;
pub mod check;
pub mod domain;
pub mod fleet;
pub mod formats;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod fuzz;
pub mod guest;
pub mod host;
pub mod hw;
pub mod runner;
pub mod safety;
pub mod world;
