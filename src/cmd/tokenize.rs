//! `flinch tokenize` (placeholder until its issue lands; the owner replaces this file).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct TokenizeArgs {}

pub fn run(_args: TokenizeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`flinch tokenize` is not built yet")
}
