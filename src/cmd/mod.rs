//! One file per subcommand; each parses nothing itself and calls a library.

pub mod ask;
pub mod bench;
pub mod bench_replay;
pub mod bench_report;
pub mod bench_run;
pub mod bench_sandbox;
pub mod bench_serve;
pub mod bench_solver;
pub mod bench_speed;
pub mod calc;
pub mod chat;
pub mod model;
pub mod serve;
pub mod setup;
pub mod solve;
pub mod tokenize;

use std::process::ExitCode;

use crate::cli::Command;

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Ask(a) => ask::run(a),
        Command::Chat(a) => chat::run(a),
        Command::Model(c) => model::run(c),
        Command::Tokenize(a) => tokenize::run(a),
        Command::Calc(a) => calc::run(a),
        Command::Solve(a) => solve::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Bench(c) => bench::run(c),
    }
}
