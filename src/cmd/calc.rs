//! `flinch calc` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct CalcArgs {}

pub fn run(_args: CalcArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch calc` is not built yet")
}
