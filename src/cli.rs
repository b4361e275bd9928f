//! The command-line surface: the subcommand tree and the exit codes.

use clap::{Parser, Subcommand};

use crate::cmd;

/// Success.
pub const EXIT_OK: u8 = 0;
/// The command failed (bad input, a tool's typed error, a failed fetch, …);
/// the error and its causes are printed on stderr.
pub const EXIT_ERROR: u8 = 1;
/// The command line itself was wrong (unknown flag, missing argument).
pub const EXIT_USAGE: u8 = 2;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the command failed: bad input, a tool error, a failed fetch or check (the message says what to do)
  2  the command line was wrong (unknown flag, missing or invalid argument)

Environment:
  FLINCH_HOME  where models are cached (default: the platform cache dir, e.g. ~/.cache/flinch)
  FLINCH_DATA  the benchmark data folder (default: benchmarks/data of the source tree flinch was built from)";

/// flinch: a small open model answering reliably on an ordinary CPU.
#[derive(Debug, Parser)]
#[command(name = "flinch", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question through the guardrails (routes, tools, verifiers,
    /// post-passes); prints the answer and its evidence.
    Ask(cmd::ask::AskArgs),
    /// Interactive multi-turn chat through the pipeline (reads turns line by
    /// line when stdin is not a terminal).
    Chat(cmd::chat::ChatArgs),
    /// Fetch, locate and list the catalog models.
    #[command(subcommand)]
    Model(cmd::model::ModelCommand),
    /// Print the token ids and pieces of a text under a model's tokenizer.
    Tokenize(cmd::tokenize::TokenizeArgs),
    /// Evaluate an arithmetic program exactly inside the WASM sandbox.
    Calc(cmd::calc::CalcArgs),
    /// Check and run an SMT-LIB2 script with Z3 under the allowlist and limits.
    Solve(cmd::solve::SolveArgs),
    /// OpenAI-compatible HTTP server with the guardrails (POST
    /// /v1/chat/completions, GET /v1/models, GET /health) and a chat page at /.
    Serve(cmd::serve::ServeArgs),
    /// Benchmarks: raw vs guarded runs on public sets, their reports and
    /// replays; engine speed, sandbox and solver latency.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
