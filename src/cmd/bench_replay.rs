//! `flinch bench replay` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ReplayArgs {}

pub fn run(_args: ReplayArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch bench replay` is not built yet")
}
