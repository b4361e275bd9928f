//! `flinch bench sandbox [--json]`: latency per evaluation (p50/p99) over real
//! GSM8K arithmetic (the `<<expr=result>>` calculator annotations of the
//! training split), module compile and cached-load times, fuel used, and the
//! same expressions run as `python3 -c` subprocesses (the approach the sandbox
//! replaces). The measuring is `flinch_sandbox::bench`; this file reads the
//! data and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use flinch_sandbox::{Limits, ModuleCache, ModuleSource, Sandbox, bench};
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

pub fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
    let text = std::fs::read_to_string(&data).with_context(|| {
        format!(
            "cannot read the GSM8K workload {} (pass --data PATH)",
            data.display()
        )
    })?;
    let all =
        bench::gsm8k_annotations(&text).map_err(|e| anyhow::anyhow!("{}: {e}", data.display()))?;
    if all.is_empty() {
        bail!("{} has no <<expr=result>> annotations", data.display());
    }
    let items: Vec<_> = all.iter().cycle().take(args.count).cloned().collect();

    // Module: compile in this process, then store to and load from a scratch cache.
    let sandbox =
        Sandbox::new(Limits::default(), &ModuleCache::Off).context("cannot start the sandbox")?;
    let compile_ms = sandbox.module_load().elapsed.as_secs_f64() * 1e3;
    let scratch = std::env::temp_dir().join(format!("flinch-bench-sandbox-{}", std::process::id()));
    let cache = ModuleCache::Dir(scratch.clone());
    drop(Sandbox::new(Limits::default(), &cache)?);
    let loaded = Sandbox::new(Limits::default(), &cache)?;
    let cached_ms = match loaded.module_load().source {
        ModuleSource::Cached { .. } => Some(loaded.module_load().elapsed.as_secs_f64() * 1e3),
        _ => None,
    };
    drop(loaded);
    let _ = std::fs::remove_dir_all(&scratch);

    if !args.json {
        eprintln!("timing {} evaluations…", items.len());
    }
    let lat = bench::measure(&sandbox, &items, 500);
    let python = match args.python {
        0 => None,
        n => {
            if !args.json {
                eprintln!("timing {n} python3 -c subprocesses…");
            }
            Some(bench::python_subprocess(
                &items[..n.min(items.len())],
                &lat.decimals,
            ))
        }
    };
    let python_json = match &python {
        Some(Ok(p)) => json!({
            "runs": p.runs, "p50_us": p.p50_us, "p99_us": p.p99_us,
            "agree_with_sandbox": p.agree_with_sandbox,
            "p50_ratio": p.p50_us as f64 / lat.p50_us.max(1) as f64,
        }),
        Some(Err(e)) => json!({"error": e}),
        None => serde_json::Value::Null,
    };
    let report = json!({
        "workload": data.display().to_string(),
        "evaluations": lat.evaluations,
        "p50_us": lat.p50_us,
        "p99_us": lat.p99_us,
        "mean_us": lat.mean_us,
        "max_us": lat.max_us,
        "evaluations_per_s": lat.evaluations_per_s,
        "outcomes": lat.outcomes,
        "agree_with_gsm8k_annotation": lat.agree_with_annotation,
        "fuel": {"p50": lat.fuel_p50, "p99": lat.fuel_p99, "max": lat.fuel_max, "limit": sandbox.limits().fuel},
        "module": {"compile_ms": compile_ms, "load_cached_ms": cached_ms},
        "python_subprocess": python_json,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::from(EXIT_OK));
    }
    println!(
        "workload       {} GSM8K calculator annotations from {}",
        lat.evaluations,
        data.display()
    );
    println!(
        "latency        p50 {} µs, p99 {} µs, mean {} µs, max {} µs per evaluation",
        lat.p50_us, lat.p99_us, lat.mean_us, lat.max_us
    );
    println!(
        "throughput     {} evaluations/s on one thread",
        lat.evaluations_per_s
    );
    println!("outcomes       {}", serde_json::to_string(&lat.outcomes)?);
    println!(
        "agreement      {} of {} equal the annotation's recorded result (to 1e-6)",
        lat.agree_with_annotation, lat.evaluations
    );
    println!(
        "fuel           p50 {}, p99 {}, max {} per evaluation (limit {})",
        lat.fuel_p50,
        lat.fuel_p99,
        lat.fuel_max,
        sandbox.limits().fuel
    );
    match cached_ms {
        Some(c) => println!("module         compile {compile_ms:.1} ms; load from cache {c:.2} ms"),
        None => println!(
            "module         compile {compile_ms:.1} ms (the scratch cache could not be used)"
        ),
    }
    match python {
        Some(Ok(p)) => println!(
            "python3 -c     p50 {} µs, p99 {} µs over {} runs: {:.0}x the sandbox's p50; {} of {} agree with it",
            p.p50_us,
            p.p99_us,
            p.runs,
            p.p50_us as f64 / lat.p50_us.max(1) as f64,
            p.agree_with_sandbox,
            p.runs
        ),
        Some(Err(e)) => println!("python3 -c     skipped: {e}"),
        None => {}
    }
    Ok(ExitCode::from(EXIT_OK))
}
