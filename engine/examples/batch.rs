//! Batch decode only, repeated: for A/B comparisons of two builds on a
//! noisy machine, run them in turns and compare the medians.
//!
//! `cargo run --release -p flinch-engine --example batch -- MODEL.gguf [REPEATS] [BATCH] [TOKENS]`
//!
//! Each repeat decodes `BATCH` independent greedy sequences of `TOKENS`
//! tokens together (2 compute threads, from short prompts) and prints the
//! aggregate decode tokens/s, one line per repeat.

use std::num::NonZeroUsize;

use flinch_engine::{Engine, GenerateRequest, LoadOptions, Prompt, Threads};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let model = args
        .get(1)
        .ok_or("usage: batch MODEL.gguf [REPEATS] [BATCH] [TOKENS]")?;
    let arg = |i: usize, default: usize| -> Result<usize, Box<dyn std::error::Error>> {
        Ok(args.get(i).map_or(Ok(default), |s| s.parse())?)
    };
    let (repeats, batch, tokens) = (arg(2, 3)?, arg(3, 16)?, arg(4, 32)?);
    let threads = Threads::Fixed(NonZeroUsize::new(2).ok_or("no threads")?);
    let mut engine = Engine::load(
        model.as_ref(),
        LoadOptions {
            threads,
            ..Default::default()
        },
    )?;
    for _ in 0..repeats {
        let reqs = (0..batch)
            .map(|i| {
                GenerateRequest::greedy(
                    Prompt::Text(format!("Story number {i}: Once upon a time")),
                    tokens,
                )
            })
            .collect();
        engine.clear_cache();
        let out = engine.generate_batch(reqs)?;
        let decoded: usize = out.iter().map(|g| g.timings.decode_tokens).sum();
        let wall = out
            .iter()
            .map(|g| g.timings.decode)
            .max()
            .unwrap_or_default();
        println!("{:.1}", decoded as f64 / wall.as_secs_f64().max(1e-9));
    }
    Ok(())
}
