//! `flinch bench …`: commands that measure and print figures.

use std::process::ExitCode;

use clap::Subcommand;

use super::{
    bench_replay, bench_report, bench_run, bench_sandbox, bench_serve, bench_solver, bench_speed,
};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Engine speed: load, prefill and decode tokens/s, batch throughput, peak RSS.
    Speed(bench_speed::SpeedArgs),
    /// Sandbox latency per evaluation (p50/p99) over typical expressions.
    Sandbox(bench_sandbox::SandboxArgs),
    /// Z3 time per script (p50/p99) over the solver test scripts.
    Solver(bench_solver::SolverArgs),
    /// Run a benchmark suite raw and guarded, writing a replayable tape.
    Run(bench_run::RunArgs),
    /// Render tapes as a Markdown report with a chart.
    Report(bench_report::ReportArgs),
    /// Re-score a tape without running the model.
    Replay(bench_replay::ReplayArgs),
    /// Load test of `flinch serve` on loopback: concurrent clients, latency
    /// p50/p99, throughput, 429s, lost requests, server RSS, hold-back cost.
    Serve(bench_serve::ServeBenchArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Speed(a) => bench_speed::run(a),
        BenchCommand::Sandbox(a) => bench_sandbox::run(a),
        BenchCommand::Solver(a) => bench_solver::run(a),
        BenchCommand::Run(a) => bench_run::run(a),
        BenchCommand::Report(a) => bench_report::run(a),
        BenchCommand::Replay(a) => bench_replay::run(a),
        BenchCommand::Serve(a) => bench_serve::run(a),
    }
}
