//! The model behind the engine: one file per architecture, all implementing
//! [`DecoderModel`], chosen from the GGUF's `general.architecture`.

mod common;
mod gemma3;
mod llama;

use crate::error::{Error, Result};
use crate::gguf::Gguf;
use crate::kv::{AttnShape, KvCache};
use crate::pool::ThreadPool;

pub(crate) use common::Logits;

/// Architectures the engine can run, as named in `general.architecture`.
pub const SUPPORTED_ARCHITECTURES: &str = "gemma3, gemma2, llama, qwen2, qwen3";

/// Shape facts of a loaded model.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub architecture: String,
    pub context_length: usize,
    pub vocab_size: usize,
    pub hidden: usize,
    pub n_layers: usize,
    pub(crate) attn: Vec<AttnShape>,
    /// Bytes of weights held in memory.
    pub weight_bytes: usize,
}

/// What one sequence contributes to a forward call.
pub(crate) struct Step<'a> {
    pub cache: &'a mut KvCache,
    /// Tokens appended at positions `cache.len()..`.
    pub tokens: &'a [u32],
    /// What to compute from the last token's hidden state.
    pub logits: Logits<'a>,
}

/// A decoder-only transformer over a KV cache.
pub(crate) trait DecoderModel: Send + Sync {
    fn spec(&self) -> &ModelSpec;

    /// Run the tokens of every step (each at most [`crate::kv::MAX_CHUNK`])
    /// through the model, append them to their caches and fill the
    /// requested logits.
    fn forward(&self, steps: &mut [Step<'_>], pool: &ThreadPool);

    /// Whether the output projection summarises full-vocabulary logits as it
    /// computes them, so that a step may ask for [`Logits::Summary`] or
    /// [`Logits::Best`] alone.
    fn summarises_logits(&self) -> bool;

    fn new_cache(&self) -> KvCache {
        let s = self.spec();
        KvCache::new(&s.attn, s.context_length)
    }
}

/// Load the model weights of a GGUF file.
pub(crate) fn load(gguf: &Gguf) -> Result<Box<dyn DecoderModel>> {
    let arch = gguf.str("general.architecture")?;
    Ok(match arch {
        "gemma3" | "gemma2" => Box::new(gemma3::Gemma3::load(gguf, arch)?),
        "llama" | "qwen2" | "qwen3" => Box::new(llama::Llama::load(gguf, arch)?),
        other => {
            return Err(Error::UnsupportedArchitecture {
                path: gguf.path().to_path_buf(),
                architecture: other.to_string(),
                supported: SUPPORTED_ARCHITECTURES,
            });
        }
    })
}
