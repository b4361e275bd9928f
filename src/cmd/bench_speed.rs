//! `flinch bench speed`: engine load time, prefill and decode tokens/s,
//! time to first token, batch throughput and peak memory; optionally the
//! same measurement through llama.cpp (the `cyllama` wheel) for a ratio.
//! Each measurement runs `--repeat` times (alternating with llama.cpp) and
//! the medians are reported: on a shared machine single runs of the same
//! binary differ by a quarter or more.

use std::io::Write;
use std::num::NonZeroUsize;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use flinch_engine::{Engine, GenerateRequest, Kernel, LoadOptions, Prompt, Threads};
use serde::Serialize;

use crate::cmd::setup::AmxArg;
use crate::model_arg::ModelOpt;

/// Tokens of the prefill prompt.
pub const DEFAULT_PROMPT_TOKENS: usize = 512;
/// Tokens decoded for the single-stream rate.
pub const DEFAULT_DECODE_TOKENS: usize = 128;
/// Tokens each sequence decodes in the batch measurement.
pub const DEFAULT_BATCH_TOKENS: usize = 64;

/// The largest `--batch`: each sequence starts from its own 8 tokens of
/// the prompt (which may be cut up to 16 tokens short).
pub const MAX_BATCH: usize = (DEFAULT_PROMPT_TOKENS - 16 - 1) / 8;

/// The llama.cpp side of `--compare-llama-cpp`.
const LLAMA_CPP_SCRIPT: &str = include_str!("../../engine/scripts/llama_cpp_speed.py");

/// Public-domain text the prompts are cut from (Austen, Pride and Prejudice).
const TEXT: &str = include_str!("../../engine/tests/fixtures/pride_and_prejudice.txt");

#[derive(Debug, Args)]
pub struct SpeedArgs {
    #[command(flatten)]
    pub model: ModelOpt,
    /// Compute threads [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
    /// Intel AMX tiles for the matrix products (`off` measures the AVX-512
    /// vector kernel on a machine with AMX).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = AmxArg::Auto)]
    pub amx: AmxArg,
    /// Sequences decoded together for the batch figure (1 skips it).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub batch: usize,
    /// Measure this many times, alternating with llama.cpp when it is
    /// compared, and report the medians (the runs are in the JSON).
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: u32,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also run the same measurement through llama.cpp (needs `pip install
    /// cyllama` and python3) and print our/llama.cpp ratios.
    #[arg(long)]
    pub compare_llama_cpp: bool,
}

#[derive(Debug, Serialize, serde::Deserialize, Clone)]
struct Figures {
    load_s: f64,
    prefill_tok_s: f64,
    ttft_ms: f64,
    decode_tok_s: f64,
    batch_decode_tok_s: Option<f64>,
    peak_rss_mb: f64,
}

impl Figures {
    /// Batch aggregate over single-stream decode.
    fn batch_over_decode(&self) -> Option<f64> {
        self.batch_decode_tok_s.map(|b| b / self.decode_tok_s)
    }

    /// The median of each figure over `runs` (load time and peak memory
    /// included; the batch figure if every run has one).
    fn median(runs: &[Figures]) -> Figures {
        let med = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
        Figures {
            load_s: med(|r| r.load_s),
            prefill_tok_s: med(|r| r.prefill_tok_s),
            ttft_ms: med(|r| r.ttft_ms),
            decode_tok_s: med(|r| r.decode_tok_s),
            batch_decode_tok_s: runs
                .iter()
                .map(|r| r.batch_decode_tok_s)
                .collect::<Option<Vec<f64>>>()
                .map(median),
            peak_rss_mb: med(|r| r.peak_rss_mb),
        }
    }
}

/// The median (the mean of the middle two for an even count; NaN for none).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[derive(Debug, Serialize)]
struct Report {
    model: String,
    threads: usize,
    /// What computed the matrix products.
    kernel: Kernel,
    prompt_tokens: usize,
    decode_tokens: usize,
    batch: usize,
    batch_tokens: usize,
    repeat: usize,
    /// Medians over the runs.
    #[serde(flatten)]
    flinch: Figures,
    /// The median of the runs' batch ÷ single-stream ratios.
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_over_decode: Option<f64>,
    runs: Vec<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    llama_cpp: Option<Figures>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    llama_cpp_runs: Vec<Figures>,
}

pub fn run(args: SpeedArgs) -> anyhow::Result<ExitCode> {
    if args.batch == 0 {
        bail!("--batch 0 decodes nothing: give at least 1 (1 skips the batch measurement)");
    }
    if args.batch > MAX_BATCH {
        bail!(
            "--batch {} is more than {MAX_BATCH}: the batch's prompts are distinct 8-token pieces of the {DEFAULT_PROMPT_TOKENS}-token prompt",
            args.batch
        );
    }
    let path = args.model.resolve()?;
    let threads = match args.threads {
        Some(n) => Threads::Fixed(n),
        None => Threads::Auto,
    };
    let t = Instant::now();
    let mut engine = Engine::load(
        &path,
        LoadOptions {
            threads,
            amx: args.amx.into(),
            ..Default::default()
        },
    )?;
    let load_s = t.elapsed().as_secs_f64();
    let n_threads = engine.info().threads;

    // A prompt of exactly DEFAULT_PROMPT_TOKENS tokens.
    let mut text = String::new();
    let mut ids = Vec::new();
    while ids.len() < DEFAULT_PROMPT_TOKENS {
        text.push_str(TEXT);
        ids = engine.tokenize(&text, engine.tokenizer().add_bos())?;
    }
    let bos = usize::from(engine.tokenizer().add_bos());
    // Cut where the text re-tokenizes to the same ids (a cut inside a word
    // may merge differently), as close to the target length as possible.
    let mut prompt = None;
    for n in (DEFAULT_PROMPT_TOKENS - 16..=DEFAULT_PROMPT_TOKENS).rev() {
        let p = engine.detokenize(&ids[bos..n]);
        if engine.prompt_tokens(&Prompt::Text(p.clone()))? == ids[..n] {
            prompt = Some(p);
            ids.truncate(n);
            break;
        }
    }
    let Some(prompt) = prompt else {
        bail!("could not cut a {DEFAULT_PROMPT_TOKENS}-token prompt that re-tokenizes to itself");
    };

    let mut runs = Vec::new();
    let mut llama_cpp_runs = Vec::new();
    for _ in 0..args.repeat {
        runs.push(measure(
            &mut engine,
            &prompt,
            &ids[bos..],
            args.batch,
            load_s,
        )?);
        if args.compare_llama_cpp {
            llama_cpp_runs.push(llama_cpp(&path, n_threads, &ids, args.batch)?);
        }
    }
    let flinch = Figures::median(&runs);
    let report = Report {
        model: path.display().to_string(),
        threads: n_threads,
        kernel: engine.info().kernel,
        prompt_tokens: ids.len(),
        decode_tokens: DEFAULT_DECODE_TOKENS,
        batch: args.batch,
        batch_tokens: DEFAULT_BATCH_TOKENS,
        repeat: runs.len(),
        batch_over_decode: runs
            .iter()
            .map(Figures::batch_over_decode)
            .collect::<Option<Vec<f64>>>()
            .map(median),
        flinch,
        runs,
        llama_cpp: (!llama_cpp_runs.is_empty()).then(|| Figures::median(&llama_cpp_runs)),
        llama_cpp_runs,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// One run of the measurements: prefill of `prompt` (time to first token
/// included), single-stream decode, and the batch (from 8-token starts cut
/// from `ids`, the prompt's ids without BOS).
fn measure(
    engine: &mut Engine,
    prompt: &str,
    ids: &[u32],
    batch: usize,
    load_s: f64,
) -> anyhow::Result<Figures> {
    // Prefill and time to first token, from an empty cache.
    engine.clear_cache();
    let t = Instant::now();
    let mut ttft = None;
    let g = engine.generate(
        GenerateRequest::greedy(Prompt::Text(prompt.to_string()), 1),
        &mut |_| {
            ttft.get_or_insert(t.elapsed());
        },
    )?;
    let ttft_ms = ttft.unwrap_or(t.elapsed()).as_secs_f64() * 1e3;
    let prefill_tok_s = g.timings.prefill_tok_s();

    // Single-stream decode.
    engine.clear_cache();
    let start = engine.detokenize(&ids[..8]);
    let g = engine.generate(
        GenerateRequest::greedy(Prompt::Text(start), DEFAULT_DECODE_TOKENS),
        &mut |_| {},
    )?;
    let decode_tok_s = g.timings.decode_tok_s();

    // Batch decode: independent prompts, decoded together.
    let batch_decode_tok_s = if batch > 1 {
        let reqs = (0..batch)
            .map(|s| {
                let p = engine.detokenize(&ids[s * 8..s * 8 + 8]);
                GenerateRequest::greedy(Prompt::Text(p), DEFAULT_BATCH_TOKENS)
            })
            .collect();
        engine.clear_cache();
        let out = engine.generate_batch(reqs)?;
        let tokens: usize = out.iter().map(|g| g.timings.decode_tokens).sum();
        let wall = out
            .iter()
            .map(|g| g.timings.decode)
            .max()
            .unwrap_or_default();
        Some(tokens as f64 / wall.as_secs_f64().max(1e-9))
    } else {
        None
    };
    Ok(Figures {
        load_s,
        prefill_tok_s,
        ttft_ms,
        decode_tok_s,
        batch_decode_tok_s,
        peak_rss_mb: peak_rss_mb()?,
    })
}

/// Reads one figure of a report (`None` when it was not measured).
type FigureOf = fn(&Figures) -> Option<f64>;

fn print_table(r: &Report) {
    println!("model    {}", r.model);
    println!("threads  {}", r.threads);
    println!("kernel   {}", r.kernel);
    let rows: [(&str, FigureOf, &str); 6] = [
        ("load", |f| Some(f.load_s), "s"),
        (
            "prefill (512-token prompt)",
            |f| Some(f.prefill_tok_s),
            "tok/s",
        ),
        ("time to first token", |f| Some(f.ttft_ms), "ms"),
        ("decode (128 tokens)", |f| Some(f.decode_tok_s), "tok/s"),
        ("batch decode, aggregate", |f| f.batch_decode_tok_s, "tok/s"),
        ("peak RSS", |f| Some(f.peak_rss_mb), "MB"),
    ];
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    match &r.llama_cpp {
        None => {
            for (name, get, unit) in rows {
                println!("{name:<28} {:>10} {unit}", cell(get(&r.flinch)));
            }
        }
        Some(l) => {
            println!(
                "{:<28} {:>10} {:>10} {:>7}",
                "", "flinch", "llama.cpp", "ratio"
            );
            for (name, get, unit) in rows {
                let (a, b) = (get(&r.flinch), get(l));
                let ratio = match (a, b) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                    _ => "-".into(),
                };
                println!(
                    "{name:<28} {:>10} {:>10} {ratio:>7}  {unit}",
                    cell(a),
                    cell(b)
                );
            }
        }
    }
    if let Some(x) = r.batch_over_decode {
        println!("{:<28} {:>10.2}", "batch ÷ single stream", x);
    }
    if r.batch > 1 {
        println!("(batch: {} sequences × {} tokens)", r.batch, r.batch_tokens);
    }
    if r.repeat > 1 {
        println!("(medians of {} runs; --json lists each run)", r.repeat);
    }
}

/// Peak resident memory of this process (VmHWM), in MB.
fn peak_rss_mb() -> anyhow::Result<f64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .context("no VmHWM line in /proc/self/status")?;
    Ok(kb / 1024.0)
}

fn llama_cpp(
    model: &std::path::Path,
    threads: usize,
    ids: &[u32],
    batch: usize,
) -> anyhow::Result<Figures> {
    let input = serde_json::json!({
        "model": model,
        "threads": threads,
        "prompt_ids": ids,
        "decode_tokens": DEFAULT_DECODE_TOKENS,
        "batch": batch,
        "batch_tokens": DEFAULT_BATCH_TOKENS,
    });
    let mut child = Command::new("python3")
        .args(["-c", LLAMA_CPP_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("--compare-llama-cpp needs python3 on PATH")?;
    child
        .stdin
        .take()
        .context("python3 stdin")?
        .write_all(input.to_string().as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'cyllama'") {
            bail!("--compare-llama-cpp needs the cyllama wheel: run `pip install cyllama`");
        }
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        bail!(
            "the llama.cpp measurement failed: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    serde_json::from_slice(&out.stdout).context("reading the llama.cpp measurement")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(vec![]).is_nan());
        let run = |d: f64, b: Option<f64>| Figures {
            load_s: 0.1,
            prefill_tok_s: 1.0,
            ttft_ms: 1.0,
            decode_tok_s: d,
            batch_decode_tok_s: b,
            peak_rss_mb: 1.0,
        };
        let m = Figures::median(&[
            run(1.0, Some(8.0)),
            run(3.0, Some(9.0)),
            run(2.0, Some(30.0)),
        ]);
        assert_eq!((m.decode_tok_s, m.batch_decode_tok_s), (2.0, Some(9.0)));
        // No batch figure unless every run has one.
        let m = Figures::median(&[run(1.0, Some(8.0)), run(3.0, None)]);
        assert_eq!(m.batch_decode_tok_s, None);
        assert_eq!(run(2.0, Some(17.0)).batch_over_decode(), Some(8.5));
    }
}
