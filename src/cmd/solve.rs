//! `flinch solve` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct SolveArgs {}

pub fn run(_args: SolveArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch solve` is not built yet")
}
