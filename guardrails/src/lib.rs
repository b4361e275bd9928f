//! flinch guardrails: router, routes, solver, post-passes, refine loop, trace
//! and the `Pipeline` entry point.

pub mod bank;
pub mod error;
pub mod llm;
pub mod postpass;
pub mod prompts;
pub mod requirements;
pub mod routes;
pub mod solver;
pub mod trace;

pub use error::{Error, Result};
pub use llm::{Llm, PromptStyle, ScriptedLlm};
