//! flinch engine: CPU inference of GGUF models, tokenizer, sampling,
//! generation, and the model store that fetches the catalog models.
//!
//! Entry point: [`Engine::load`], then [`Engine::generate`] /
//! [`Engine::generate_batch`] with a [`GenerateRequest`].

pub mod chat;
mod engine;
pub mod error;
mod generate;
pub mod gguf;
mod kv;
mod model;
mod ops;
mod pool;
mod quant;
pub mod request;
mod sampler;
pub mod store;
pub mod tokenizer;

pub use chat::ChatKind;
pub use engine::{Amx, Engine, EngineInfo, Kernel, LoadOptions, Threads, TokenizerSource};
pub use error::{Error, Result};
pub use model::SUPPORTED_ARCHITECTURES;
pub use request::{
    Allowed, CancelFlag, FinishReason, GenerateRequest, Generation, Message, Prompt, RepeatPenalty,
    Role, Sampling, Timings, TokenConstraint,
};
pub use tokenizer::{StreamDecoder, TokenKind, Tokenizer};
