//! flinch engine: CPU inference of GGUF models, tokenizer, sampling,
//! generation, and the model store that fetches the catalog models.

pub mod request;
pub mod store;

pub use request::{
    Allowed, CancelFlag, FinishReason, GenerateRequest, Generation, Message, Prompt, RepeatPenalty,
    Role, Sampling, Timings, TokenConstraint,
};
