//! `flinch bench sandbox` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct SandboxArgs {}

pub fn run(_args: SandboxArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch bench sandbox` is not built yet")
}
