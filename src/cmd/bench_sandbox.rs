//! `flinch bench sandbox [--json]`: latency per evaluation (p50/p99) over real
//! GSM8K arithmetic (the `<<expr=result>>` calculator annotations of the
//! training split), module compile and cached-load times, fuel used, and the
//! same expressions run as `python3 -c` subprocesses (the approach the sandbox
//! replaces).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use flinch_sandbox::{Limits, ModuleCache, ModuleSource, Sandbox};
use serde_json::json;

use crate::cli::EXIT_OK;

const DEFAULT_DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benchmarks/data/gsm8k/train.jsonl"
);

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Print one JSON object (fields include p50_us and p99_us) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Evaluations to time [default: 10000].
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub count: usize,
    /// How many of the expressions also to time as `python3 -c` subprocesses; 0 skips [default: 200].
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub python: usize,
    /// GSM8K JSONL file whose `<<expr=result>>` annotations are the workload
    /// [default: benchmarks/data/gsm8k/train.jsonl in the source tree].
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
}

/// One workload item: the annotation's expression and its recorded result.
struct Item {
    expr: String,
    expected: String,
}

fn workload(path: &PathBuf, count: usize) -> anyhow::Result<Vec<Item>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the GSM8K workload {} (pass --data PATH)",
            path.display()
        )
    })?;
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let doc: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", path.display(), i + 1))?;
        let answer = doc["answer"]
            .as_str()
            .with_context(|| format!("{}:{}: no answer", path.display(), i + 1))?;
        let mut rest = answer;
        while let Some(start) = rest.find("<<") {
            let Some(len) = rest[start..].find(">>") else {
                break;
            };
            let inner = &rest[start + 2..start + len];
            if let Some((expr, expected)) = inner.rsplit_once('=') {
                items.push(Item {
                    expr: expr.to_string(),
                    expected: expected.to_string(),
                });
            }
            rest = &rest[start + len + 2..];
        }
    }
    if items.is_empty() {
        bail!("{} has no <<expr=result>> annotations", path.display());
    }
    let base = items.len();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let it = &items[i % base];
        out.push(Item {
            expr: it.expr.clone(),
            expected: it.expected.clone(),
        });
    }
    Ok(out)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn micros(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1000) as u64
}

/// Two renderings of the same number agree to 1e-6 relative (annotations are
/// often rounded, e.g. `0.33`; Python prints floats).
fn agrees(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

pub fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
    let items = workload(&data, args.count)?;

    // Module: compile in-process, then store to and load from a scratch cache.
    let sandbox =
        Sandbox::new(Limits::default(), &ModuleCache::Off).context("cannot start the sandbox")?;
    let compile = sandbox.module_load().elapsed;
    let scratch = std::env::temp_dir().join(format!("flinch-bench-sandbox-{}", std::process::id()));
    let cache = ModuleCache::Dir(scratch.clone());
    let stored = Sandbox::new(Limits::default(), &cache)?;
    let loaded = Sandbox::new(Limits::default(), &cache)?;
    let cached_load = match &loaded.module_load().source {
        ModuleSource::Cached { .. } => Some(loaded.module_load().elapsed),
        _ => None,
    };
    drop((stored, loaded));
    let _ = std::fs::remove_dir_all(&scratch);

    for item in items.iter().take(200) {
        let _ = sandbox.eval(&item.expr);
    }
    let mut times = Vec::with_capacity(items.len());
    let mut fuel = Vec::with_capacity(items.len());
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut agree = 0usize;
    let mut ours = Vec::with_capacity(items.len());
    let started = Instant::now();
    for item in &items {
        let t = Instant::now();
        let r = sandbox.eval(&item.expr);
        times.push(micros(t.elapsed()));
        match &r {
            Ok(v) => {
                *kinds.entry("ok").or_default() += 1;
                fuel.push(v.fuel_used);
                if agrees(&v.decimal, &item.expected) {
                    agree += 1;
                }
            }
            Err(e) => *kinds.entry(e.kind()).or_default() += 1,
        }
        ours.push(r.ok().map(|v| v.decimal));
    }
    let wall = started.elapsed();
    let mean_us = times.iter().sum::<u64>() as f64 / times.len() as f64;
    times.sort_unstable();
    fuel.sort_unstable();
    let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));

    let python = if args.python > 0 {
        python_subprocess(&items[..args.python.min(items.len())], &ours)?
    } else {
        None
    };

    let report = json!({
        "workload": data.display().to_string(),
        "evaluations": items.len(),
        "p50_us": p50,
        "p99_us": p99,
        "mean_us": (mean_us * 10.0).round() / 10.0,
        "max_us": times.last().copied().unwrap_or(0),
        "evaluations_per_s": (items.len() as f64 / wall.as_secs_f64()).round(),
        "outcomes": kinds,
        "agree_with_gsm8k_annotation": agree,
        "fuel": {
            "p50": percentile(&fuel, 0.50),
            "p99": percentile(&fuel, 0.99),
            "max": fuel.last().copied().unwrap_or(0),
            "limit": sandbox.limits().fuel,
        },
        "module": {
            "compile_ms": compile.as_secs_f64() * 1e3,
            "load_cached_ms": cached_load.map(|d| d.as_secs_f64() * 1e3),
        },
        "python_subprocess": python.as_ref().map(|p| json!({
            "runs": p.runs,
            "p50_us": p.p50_us,
            "p99_us": p.p99_us,
            "agree_with_sandbox": p.agree,
            "p50_ratio": p.p50_us as f64 / p50.max(1) as f64,
        })),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::from(EXIT_OK));
    }
    println!(
        "workload          {} GSM8K calculator annotations from {}",
        items.len(),
        data.display()
    );
    println!(
        "latency           p50 {p50} µs, p99 {p99} µs, mean {mean_us:.1} µs, max {} µs per evaluation",
        report["max_us"]
    );
    println!(
        "throughput        {} evaluations/s (one thread)",
        report["evaluations_per_s"]
    );
    println!(
        "outcomes          {}",
        serde_json::to_string(&report["outcomes"])?
    );
    println!(
        "agreement         {agree} of {} agree with the annotation's recorded result",
        items.len()
    );
    println!(
        "fuel per eval     p50 {}, p99 {}, max {} (limit {})",
        report["fuel"]["p50"],
        report["fuel"]["p99"],
        report["fuel"]["max"],
        report["fuel"]["limit"]
    );
    match cached_load {
        Some(d) => println!(
            "module            compile {:.1} ms, load from cache {:.2} ms",
            compile.as_secs_f64() * 1e3,
            d.as_secs_f64() * 1e3
        ),
        None => println!(
            "module            compile {:.1} ms (the cache could not be used)",
            compile.as_secs_f64() * 1e3
        ),
    }
    match python {
        Some(p) => println!(
            "python3 -c        p50 {} µs, p99 {} µs over {} runs ({:.0}x the sandbox's p50); {} of {} agree",
            p.p50_us,
            p.p99_us,
            p.runs,
            p.p50_us as f64 / p50.max(1) as f64,
            p.agree,
            p.runs
        ),
        None if args.python > 0 => println!("python3 -c        skipped: python3 was not found"),
        None => {}
    }
    Ok(ExitCode::from(EXIT_OK))
}

struct PythonTimes {
    runs: usize,
    p50_us: u64,
    p99_us: u64,
    agree: usize,
}

/// Time `python3 -c "print(EXPR)"` per expression; `None` if python3 is absent.
fn python_subprocess(
    items: &[Item],
    ours: &[Option<String>],
) -> anyhow::Result<Option<PythonTimes>> {
    if Command::new("python3")
        .arg("-c")
        .arg("pass")
        .output()
        .is_err()
    {
        return Ok(None);
    }
    let mut times = Vec::with_capacity(items.len());
    let mut agree = 0;
    for (item, mine) in items.iter().zip(ours) {
        let t = Instant::now();
        let out = Command::new("python3")
            .arg("-c")
            .arg(format!("print({})", item.expr))
            .output()?;
        times.push(micros(t.elapsed()));
        let printed = String::from_utf8_lossy(&out.stdout);
        if let Some(mine) = mine
            && agrees(&printed, mine)
        {
            agree += 1;
        }
    }
    times.sort_unstable();
    Ok(Some(PythonTimes {
        runs: times.len(),
        p50_us: percentile(&times, 0.5),
        p99_us: percentile(&times, 0.99),
        agree,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.50), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn numbers_agree_within_rounding() {
        assert!(agrees("0.3333333333", "0.33333333333333333333"));
        assert!(agrees("2.0\n", "2"));
        assert!(!agrees("2.5", "2"));
        assert!(!agrees("x", "2"));
    }
}
