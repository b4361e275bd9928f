//! `flinch bench report` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ReportArgs {}

pub fn run(_args: ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch bench report` is not built yet")
}
