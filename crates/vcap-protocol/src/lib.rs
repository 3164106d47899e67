//! The guest↔hypervisor interrupt negotiation proposed in the Linux IMS threads: bit-exact message
//! formats, the interrupt-domain model, the hypercall ABI, guest and host state machines, and an
//! exhaustive model check of every combination of layer generations.
//!
//! ```
//! use vcap_protocol::abi::InterruptKind;
//! use vcap_protocol::guest::GuestGen;
//! use vcap_protocol::host::HypervisorGen;
//! use vcap_protocol::world::{Env, Scenario, matrix_row};
//!
//! // A new guest under a new hypervisor with hardware remapping and an IMS device: the switch
//! // is granted and every vector reaches the vector the guest expects.
//! let row = matrix_row(Scenario {
//!     guest: GuestGen::New,
//!     hypervisor: HypervisorGen::New,
//!     hw_ir: true,
//!     env: Env::Guest,
//!     device: InterruptKind::ImsDevMem,
//!     hostile: false,
//! });
//! assert!(row.negotiation.starts_with("granted"), "{row:?}");
//! let (ok, held) = row.delivered.split_once('/').unwrap();
//! assert_eq!(ok, held);
//! ```

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
