//! `vcap protocol run` and `vcap protocol check`: thin wrappers over `vcap_protocol`.

use std::io::Write;

use clap::Subcommand;

/// The protocol subcommands.
#[derive(Debug, Subcommand)]
pub enum ProtocolCommand {
    /// Run one scenario end to end and print its trace.
    Run,
    /// Check every combination of layer generations exhaustively.
    Check,
}

/// Why a protocol command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command has not been built yet.
    #[error("`vcap protocol` is not built yet")]
    NotBuilt,
}

/// Runs a `vcap protocol` subcommand.
pub fn run(_c: &ProtocolCommand, _json: bool, _out: &mut dyn Write) -> Result<u8, Error> {
    Err(Error::NotBuilt)
}
