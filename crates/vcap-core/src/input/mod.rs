//! Stage 1, input: [`plan`] says what the probe must read, as data; [`capture`] holds what it read,
//! from the live system or a snapshot alike.

pub mod capture;
pub mod plan;
