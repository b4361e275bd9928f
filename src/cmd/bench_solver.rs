//! `flinch bench solver`: Z3 time per script (p50/p99) over the solver test
//! scripts, each run through the same checks and limits as `flinch solve`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use flinch_guardrails::solver::{SmtSolver, SolverLimits};
use serde_json::json;

use crate::cli::EXIT_OK;

/// The solver test scripts in the source tree.
const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/guardrails/tests/data/solver");
/// The p50 target of the issue, in milliseconds.
const TARGET_P50_MS: f64 = 20.0;

/// Which scripts to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScriptSet {
    /// Puzzle translations (`puzzles/*.smt2`): the scripts the logic route runs.
    Puzzles,
    /// Hostile scripts (`hostile/*.smt2`): refused ones end before Z3, slow ones at the timeout.
    Hostile,
}

#[derive(Debug, Args)]
pub struct SolverArgs {
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Which scripts to time.
    #[arg(long, value_enum, default_value_t = ScriptSet::Puzzles)]
    pub set: ScriptSet,
    /// Runs per script.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,
    /// Directory holding `puzzles/` and `hostile/` [default: guardrails/tests/data/solver in the source tree].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: SolverArgs) -> anyhow::Result<ExitCode> {
    let base = args.dir.clone().unwrap_or_else(|| PathBuf::from(DATA_DIR));
    let sub = match args.set {
        ScriptSet::Puzzles => "puzzles",
        ScriptSet::Hostile => "hostile",
    };
    let scripts = load(&base.join(sub))?;
    let solver = SmtSolver::new(SolverLimits::default());
    let mut z3_times = Vec::new();
    let mut call_times = Vec::new();
    let mut refused = 0usize;
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for (i, (name, text)) in scripts.iter().enumerate() {
        if !args.json {
            eprint!("\r[{}/{}] {name:<48}", i + 1, scripts.len());
        }
        for _ in 0..args.runs {
            match solver.solve(text) {
                Ok(t) => {
                    z3_times.push(t.timings.z3());
                    call_times.push(t.timings.total);
                    *statuses.entry(t.result.status().to_string()).or_default() += 1;
                }
                Err(e) => {
                    refused += 1;
                    *statuses.entry(format!("error:{}", e.kind())).or_default() += 1;
                }
            }
        }
    }
    if !args.json {
        eprintln!();
    }
    let z3 = Stats::of(&mut z3_times);
    let call = Stats::of(&mut call_times);
    if args.json {
        println!(
            "{}",
            json!({
                "set": sub,
                "scripts": scripts.len(),
                "runs_per_script": args.runs,
                "solved_runs": z3_times.len(),
                "error_runs": refused,
                "statuses": statuses,
                "z3_ms": z3.json(),
                "call_ms": call.json(),
                "target_p50_ms": TARGET_P50_MS,
                "target_met": z3.p50 <= TARGET_P50_MS,
            })
        );
    } else {
        println!(
            "solver bench: {} {} scripts x {} runs ({} runs gave a verdict, {} ended in a typed error)",
            scripts.len(),
            sub,
            args.runs,
            z3_times.len(),
            refused
        );
        println!("  Z3 time per script (parse + solve):    {}", z3.line());
        println!("  whole call (checks, Z3 worker, answer): {}", call.line());
        let verdict = if z3.p50 <= TARGET_P50_MS {
            "met"
        } else {
            "NOT met"
        };
        println!("  target p50 <= {TARGET_P50_MS} ms: {verdict}");
        let parts: Vec<String> = statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  outcomes: {}", parts.join(", "));
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn load(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("could not list the solver scripts in {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("smt2") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("could not read {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, text));
    }
    out.sort();
    anyhow::ensure!(!out.is_empty(), "no .smt2 scripts in {}", dir.display());
    Ok(out)
}

/// Percentiles in milliseconds (nearest rank).
struct Stats {
    n: usize,
    p50: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

impl Stats {
    fn of(samples: &mut [Duration]) -> Stats {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let rank = |p: f64| {
            if samples.is_empty() {
                return 0.0;
            }
            let k = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            ms(samples[k.clamp(1, samples.len()) - 1])
        };
        let mean = if samples.is_empty() {
            0.0
        } else {
            samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64
        };
        Stats {
            n: samples.len(),
            p50: rank(50.0),
            p99: rank(99.0),
            max: samples.last().map_or(0.0, |d| ms(*d)),
            mean,
        }
    }

    fn line(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms (n = {})",
            self.p50, self.p99, self.max, self.mean, self.n
        )
    }

    fn json(&self) -> serde_json::Value {
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        json!({"n": self.n, "p50": r(self.p50), "p99": r(self.p99), "max": r(self.max), "mean": r(self.mean)})
    }
}
