//! `flinch solve`: check an SMT-LIB2 script against the allowlist and limits,
//! run it with Z3 and print the verdict.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use flinch_guardrails::solver::{
    SmtSolver, SolverError, SolverLimits, Timings, Value, Verdict, limits,
};
use serde_json::{Map, json};

use crate::cli::{EXIT_ERROR, EXIT_OK};

#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes:
  0  Z3 gave a verdict: sat (with the model), unsat, unknown or timeout
  1  the script was refused or malformed (the message names the line), or could not be read

Allowed commands: set-logic, set-info, declare-sort, define-sort, declare-datatype(s),
declare-const, declare-fun, define-fun, assert, check-sat, get-model, get-value, push, pop.
check-sat / get-model / get-value are answered once, after the whole script.")]
pub struct SolveArgs {
    /// Print {"status": "sat"|"unsat"|"unknown"|"timeout"|"error", "model": {name: value}, "error": {...}}.
    #[arg(long)]
    pub json: bool,
    /// Z3 time budget in milliseconds.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_TIMEOUT.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
    /// Z3 memory cap of the call in MiB.
    #[arg(long, value_name = "MIB", default_value_t = limits::DEFAULT_MEMORY_MIB,
          value_parser = clap::value_parser!(u32).range(64..=65_536))]
    pub memory_mib: u32,
    /// The SMT-LIB2 script, or `-` to read standard input.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
}

pub fn run(args: SolveArgs) -> anyhow::Result<ExitCode> {
    let script = read_script(&args.file)?;
    let solver = SmtSolver::new(SolverLimits {
        timeout: Duration::from_millis(args.timeout_ms),
        memory_mib: args.memory_mib,
        ..SolverLimits::default()
    });
    match solver.solve(&script) {
        Ok(timed) => {
            if args.json {
                println!(
                    "{}",
                    verdict_json(&timed.result, &timed.timings, args.timeout_ms)
                );
            } else {
                print_verdict(&timed.result, args.timeout_ms);
            }
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(err) if args.json => {
            println!("{}", error_json(&err));
            Ok(ExitCode::from(EXIT_ERROR))
        }
        Err(err) => Err(anyhow::Error::new(err)).with_context(|| {
            if args.file.as_os_str() == "-" {
                "the script from standard input was not solved".to_string()
            } else {
                format!("{} was not solved", args.file.display())
            }
        }),
    }
}

fn read_script(file: &PathBuf) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("could not read the script from standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file)
            .with_context(|| format!("could not read the script {}", file.display()))
    }
}

fn print_verdict(verdict: &Verdict, timeout_ms: u64) {
    match verdict {
        Verdict::Sat(model) => {
            println!("sat");
            for a in &model.values {
                println!("  {} = {}", a.name, a.value);
            }
            for n in &model.unconstrained {
                println!("  {n} = any (unconstrained)");
            }
        }
        Verdict::Unsat => println!("unsat"),
        Verdict::Unknown(reason) => println!("unknown: {reason}"),
        Verdict::Timeout => println!("timeout after {timeout_ms} ms"),
    }
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Bool(b) => json!(b),
        Value::Int(n) => json!(n),
        Value::Text(t) => json!(t),
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn verdict_json(verdict: &Verdict, t: &Timings, timeout_ms: u64) -> serde_json::Value {
    let mut model = Map::new();
    let mut unconstrained = Vec::new();
    let mut reason = serde_json::Value::Null;
    match verdict {
        Verdict::Sat(m) => {
            for a in &m.values {
                model.insert(a.name.clone(), value_json(&a.value));
            }
            unconstrained = m.unconstrained.clone();
        }
        Verdict::Unknown(r) => reason = json!(r.to_string()),
        Verdict::Timeout => reason = json!(format!("timeout after {timeout_ms} ms")),
        Verdict::Unsat => {}
    }
    json!({
        "status": verdict.status(),
        "model": model,
        "unconstrained": unconstrained,
        "reason": reason,
        "error": null,
        "time_ms": {"check": ms(t.check), "z3": ms(t.z3()), "total": ms(t.total)},
    })
}

fn error_json(err: &SolverError) -> serde_json::Value {
    let mut e = Map::new();
    e.insert("kind".into(), json!(err.kind()));
    e.insert("message".into(), json!(err.to_string()));
    if let Some(line) = err.line() {
        e.insert("line".into(), json!(line));
    }
    match err {
        SolverError::Refused { command, .. } => {
            e.insert("command".into(), json!(command));
        }
        SolverError::Parse { column, .. } => {
            e.insert("column".into(), json!(column));
        }
        _ => {}
    }
    json!({
        "status": "error",
        "model": {},
        "unconstrained": [],
        "reason": null,
        "error": e,
    })
}
