//! The sandbox benchmark without the CLI (same library code as
//! `flinch bench sandbox`): prints one JSON object.
//!
//! cargo run --release -p flinch-sandbox --example latency -- benchmarks/data/gsm8k/train.jsonl [COUNT] [PYTHON_RUNS]

use flinch_sandbox::{Limits, ModuleCache, ModuleSource, Sandbox, bench};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: latency GSM8K.jsonl [COUNT] [PYTHON_RUNS]")?;
    let count: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let python: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let all = bench::gsm8k_annotations(&std::fs::read_to_string(&path)?)?;
    let items: Vec<_> = all.iter().cycle().take(count).cloned().collect();

    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off)?;
    let scratch = std::env::temp_dir().join(format!("flinch-latency-{}", std::process::id()));
    let cache = ModuleCache::Dir(scratch.clone());
    drop(Sandbox::new(Limits::default(), &cache)?);
    let cached = Sandbox::new(Limits::default(), &cache)?;
    assert!(matches!(
        cached.module_load().source,
        ModuleSource::Cached { .. }
    ));
    let _ = std::fs::remove_dir_all(&scratch);

    let latency = bench::measure(&sandbox, &items, 500);
    let py = if python > 0 {
        Some(bench::python_subprocess(
            &items[..python.min(items.len())],
            &latency.decimals,
        )?)
    } else {
        None
    };
    let report = serde_json::json!({
        "workload": path,
        "latency": latency,
        "module_compile_ms": sandbox.module_load().elapsed.as_secs_f64() * 1e3,
        "module_load_cached_ms": cached.module_load().elapsed.as_secs_f64() * 1e3,
        "python_subprocess": py,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
