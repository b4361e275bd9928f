//! `flinch model fetch|path|list` (being built).

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download and verify a catalog model into the cache.
    Fetch {},
}

pub fn run(_c: ModelCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch model` is not built yet")
}
