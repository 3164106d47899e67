//! `vcap sanitize`, `vcap baseline`, `vcap compare`: thin wrappers over `vcap_regs`.

use std::io::Write;

use clap::Args;

/// Arguments of `vcap sanitize`.
#[derive(Debug, Args)]
pub struct SanitizeArgs {}

/// Arguments of `vcap baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {}

/// Arguments of `vcap compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {}

/// Why a register command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command has not been built yet.
    #[error("`vcap {0}` is not built yet")]
    NotBuilt(&'static str),
}

/// Runs `vcap sanitize`.
pub fn sanitize(_a: &SanitizeArgs, _json: bool, _out: &mut dyn Write) -> Result<u8, Error> {
    Err(Error::NotBuilt("sanitize"))
}

/// Runs `vcap baseline`.
pub fn baseline(_a: &BaselineArgs, _json: bool, _out: &mut dyn Write) -> Result<u8, Error> {
    Err(Error::NotBuilt("baseline"))
}

/// Runs `vcap compare`.
pub fn compare(_a: &CompareArgs, _json: bool, _out: &mut dyn Write) -> Result<u8, Error> {
    Err(Error::NotBuilt("compare"))
}
