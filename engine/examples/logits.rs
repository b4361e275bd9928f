//! Write the next-token logits after a prompt's tokens (f32, little endian).
//!
//! `cargo run --release -p flinch-engine --example logits -- MODEL.gguf OUT.f32 ID ID ...`

use flinch_engine::{Engine, LoadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: logits MODEL.gguf OUT.f32 ID...");
        std::process::exit(2);
    }
    let ids = args[3..]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<Vec<u32>, _>>()?;
    let mut engine = Engine::load(args[1].as_ref(), LoadOptions::default())?;
    let logits = engine.next_logits(&ids)?;
    let bytes: Vec<u8> = logits.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&args[2], bytes)?;
    Ok(())
}
