//! Errors of the guardrails crate. Tool failures inside a route are not
//! errors: they are recorded in the trace and the pipeline falls back. What
//! remains here is what stops an answer altogether.

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine failed (bad prompt, context overflow, …).
    #[error(transparent)]
    Engine(#[from] flinch_engine::Error),

    /// The model behind the pipeline failed in another way.
    #[error("the model failed: {reason}")]
    Model { reason: String },

    /// A prompt file is missing a placeholder or has an unknown one.
    #[error("prompt `{name}`: {reason}")]
    Prompt { name: &'static str, reason: String },

    /// The conversation is empty or does not end with a user turn.
    #[error("invalid conversation: {reason}")]
    Conversation { reason: String },
}
