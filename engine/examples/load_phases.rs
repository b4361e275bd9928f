//! Time the phases of loading a model: GGUF directory, tokenizer, weights.
//!
//! `cargo run --release -p flinch-engine --example load_phases -- MODEL.gguf`

use std::time::Instant;

use flinch_engine::gguf::Gguf;
use flinch_engine::{Engine, LoadOptions, Tokenizer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: load_phases MODEL.gguf")?;
    let t = Instant::now();
    let g = Gguf::open(path.as_ref())?;
    println!(
        "gguf directory + metadata: {:.3}s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let tok = Tokenizer::from_gguf(&g)?;
    println!(
        "tokenizer ({} tokens): {:.3}s",
        tok.vocab_size(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let e = Engine::load(path.as_ref(), LoadOptions::default())?;
    println!(
        "whole engine load: {:.3}s (reported {:.3}s)",
        t.elapsed().as_secs_f64(),
        e.info().load_time.as_secs_f64()
    );
    Ok(())
}
