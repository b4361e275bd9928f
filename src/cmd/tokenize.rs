//! `flinch tokenize`: the token ids and pieces of a text under a model's
//! tokenizer (no BOS unless `--bos`), for debugging prompts.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use flinch_engine::gguf::Gguf;
use flinch_engine::{TokenKind, Tokenizer};

use crate::model_arg::ModelOpt;

#[derive(Debug, Args)]
pub struct TokenizeArgs {
    #[command(flatten)]
    pub model: ModelOpt,
    /// Print one JSON object `{"ids": [...], "pieces": [...]}` instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Put the model's beginning-of-sequence token first, as prompts get it.
    #[arg(long)]
    pub bos: bool,
    /// The text to tokenize (control-token text such as `<start_of_turn>`
    /// becomes the control token).
    pub text: String,
}

pub fn run(args: TokenizeArgs) -> anyhow::Result<ExitCode> {
    let path = args.model.resolve()?;
    let gguf = Gguf::open(&path)?;
    let tokenizer = Tokenizer::from_gguf(&gguf)
        .with_context(|| format!("building the tokenizer of {}", path.display()))?;
    let ids = tokenizer.encode(&args.text, args.bos)?;
    let pieces: Vec<String> = ids.iter().map(|&id| piece(&tokenizer, id)).collect();
    if args.json {
        println!("{}", serde_json::json!({ "ids": ids, "pieces": pieces }));
    } else {
        for (id, p) in ids.iter().zip(&pieces) {
            println!("{id:>7}  {p:?}");
        }
        println!("{} tokens", ids.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// The text a token stands for; its vocabulary name when that text is not
/// printable on its own (control tokens, a byte of a longer character).
fn piece(tokenizer: &Tokenizer, id: u32) -> String {
    let name = || tokenizer.token_str(id).unwrap_or_else(|| format!("<{id}>"));
    match tokenizer.kind(id) {
        TokenKind::Control | TokenKind::Unused => name(),
        _ => match std::str::from_utf8(tokenizer.piece(id)) {
            Ok(s) => s.to_string(),
            Err(_) => name(),
        },
    }
}
