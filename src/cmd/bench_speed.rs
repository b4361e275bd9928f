//! `flinch bench speed` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct SpeedArgs {}

pub fn run(_args: SpeedArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch bench speed` is not built yet")
}
