//! `flinch bench run` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct RunArgs {}

pub fn run(_args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch bench run` is not built yet")
}
