//! Quick engine speed probe: load, prefill of a 512-token prompt, greedy
//! decode of 128 tokens after it and from a short prompt, optional batch
//! decode.
//!
//! `cargo run --release -p flinch-engine --example speed -- MODEL.gguf [THREADS] [BATCH] [amx|off]`

use std::num::NonZeroUsize;
use std::time::Instant;

use flinch_engine::{Amx, Engine, GenerateRequest, LoadOptions, Prompt, Threads};

/// Process CPU seconds (user + system) from /proc/self/stat.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // Fields 14 and 15 (utime, stime) are at 11, 12 after the state field.
    (f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let threads = match args.get(2) {
        Some(t) => Threads::Fixed(NonZeroUsize::new(t.parse()?).ok_or("threads must be > 0")?),
        None => Threads::Auto,
    };
    let batch: usize = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let amx = match args.get(4).map(String::as_str) {
        None | Some("amx") => Amx::Auto,
        Some("off") => Amx::Off,
        Some(other) => return Err(format!("AMX is `amx` or `off`, not `{other}`").into()),
    };
    let mut engine = Engine::load(
        args[1].as_ref(),
        LoadOptions {
            threads,
            amx,
            ..Default::default()
        },
    )?;
    println!(
        "load {:.2}s threads {} weights {:.1} MB, {}",
        engine.info().load_time.as_secs_f64(),
        engine.info().threads,
        engine.info().weight_bytes as f64 / 1e6,
        engine.info().kernel
    );
    let words =
        "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing ";
    let mut text = String::new();
    while engine.tokenize(&text, true)?.len() < 512 {
        text.push_str(words);
    }
    let ids = engine.tokenize(&text, true)?;
    let text = engine.detokenize(&ids[..512]);
    let mut req = GenerateRequest::greedy(Prompt::Text(text.clone()), 1);
    req.stop.clear();
    let t = Instant::now();
    let c = cpu();
    let g = engine.generate(req, &mut |_| {})?;
    println!(
        "prefill {} tok {:.1} tok/s (ttft {:.0} ms, {:.2} cpu-s)",
        g.timings.prefill_tokens,
        g.timings.prefill_tok_s(),
        t.elapsed().as_secs_f64() * 1e3,
        cpu() - c
    );
    // Decode after the 512-token prompt (its keys and values are reused):
    // attention over 512 to 640 positions per token.
    let mut req = GenerateRequest::greedy(Prompt::Text(text.clone()), 128);
    req.stop.clear();
    let g = engine.generate(req, &mut |_| {})?;
    println!(
        "decode after the prompt {} tok {:.1} tok/s",
        g.timings.decode_tokens,
        g.timings.decode_tok_s()
    );
    engine.clear_cache();
    let c = cpu();
    let g = engine.generate(
        GenerateRequest::greedy(Prompt::Text("Once upon a time".into()), 128),
        &mut |_| {},
    )?;
    println!(
        "decode {} tok {:.1} tok/s ({:.2} cpu-s)",
        g.timings.decode_tokens,
        g.timings.decode_tok_s(),
        cpu() - c
    );
    if batch > 1 {
        let reqs = (0..batch)
            .map(|i| {
                GenerateRequest::greedy(
                    Prompt::Text(format!("Story number {i}: Once upon a time")),
                    64,
                )
            })
            .collect();
        let t = Instant::now();
        let out = engine.generate_batch(reqs)?;
        let toks: usize = out.iter().map(|g| g.tokens.len()).sum();
        println!(
            "batch {batch}: {toks} tok in {:.2}s = {:.1} tok/s aggregate",
            t.elapsed().as_secs_f64(),
            toks as f64 / t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
