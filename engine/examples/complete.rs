//! Complete a prompt with a GGUF model, streaming the text.
//!
//! `cargo run --release -p flinch-engine --example complete -- MODEL.gguf "PROMPT" [TOKENS] [chat]`

use std::io::Write;

use flinch_engine::{Engine, GenerateRequest, LoadOptions, Message, Prompt, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: complete MODEL.gguf PROMPT [TOKENS] [chat]");
        std::process::exit(2);
    }
    let tokens: usize = args.get(3).map_or(Ok(32), |s| s.parse())?;
    let chat = args.get(4).is_some_and(|s| s == "chat");
    let mut engine = Engine::load(args[1].as_ref(), LoadOptions::default())?;
    eprintln!(
        "loaded {:?} in {:?}",
        engine.info().name,
        engine.info().load_time
    );
    let prompt = if chat {
        Prompt::Chat(vec![Message::new(Role::User, args[2].clone())])
    } else {
        Prompt::Text(args[2].clone())
    };
    let ids = engine.prompt_tokens(&prompt)?;
    eprintln!("prompt tokens: {ids:?}");
    let g = engine.generate(GenerateRequest::greedy(prompt, tokens), &mut |t| {
        print!("{t}");
        let _ = std::io::stdout().flush();
    })?;
    println!();
    eprintln!("tokens: {:?}", g.tokens);
    eprintln!(
        "finish {:?}; prefill {} tok in {:?} ({:.1} tok/s); decode {} tok in {:?} ({:.1} tok/s)",
        g.finish,
        g.timings.prefill_tokens,
        g.timings.prefill,
        g.timings.prefill_tok_s(),
        g.timings.decode_tokens,
        g.timings.decode,
        g.timings.decode_tok_s()
    );
    Ok(())
}
