//! flinch guardrails: router, routes, solver, post-passes, refine loop, trace
//! and the `Pipeline` entry point.

pub mod arith;
pub mod bank;
pub mod batcher;
pub mod conversation;
pub mod error;
pub mod llm;
pub mod pipeline;
pub mod postpass;
pub mod prompts;
pub mod requirements;
pub mod router;
pub mod routes;
pub mod solver;
pub mod trace;

pub use conversation::Conversation;
pub use error::{Error, Result};
pub use llm::{Llm, PromptStyle, ScriptedLlm};
pub use pipeline::{
    Answer, AnswerOptions, Evidence, Pipeline, PipelineConfig, ProgramSource, RouteChoice,
};
pub use router::RouteKind;
pub use routes::chat::CompletionPrompt;
