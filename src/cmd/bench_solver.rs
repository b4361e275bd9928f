//! `flinch bench solver` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct SolverArgs {}

pub fn run(_args: SolverArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch bench solver` is not built yet")
}
