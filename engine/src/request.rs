//! What a caller asks the engine for and what comes back: the generation
//! contract shared by the CLI, the guardrails and the benchmarks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Who said a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// The input of a generation: raw completion text, or chat messages that the
/// engine formats with the model's own turn format or chat template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Plain completion: the text is tokenized as is (BOS added by the engine
    /// when the model expects one).
    Text(String),
    /// Chat: formatted by the model's chat template; the generation prompt
    /// for the assistant turn is appended.
    Chat(Vec<Message>),
}

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// Always the most likely token.
    Greedy,
    /// Sample from the softmax at `temperature`, optionally restricted to the
    /// `top_k` most likely tokens and/or the smallest set whose probability
    /// reaches `top_p`.
    Random {
        temperature: f32,
        top_k: Option<usize>,
        top_p: Option<f32>,
    },
}

/// Penalise tokens seen in the last `last_n` tokens (prompt and output), as
/// in llama.cpp: positive logits are divided by `penalty`, negative ones
/// multiplied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatPenalty {
    pub penalty: f32,
    pub last_n: usize,
}

/// The token ids a constraint allows next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// No restriction.
    Any,
    /// Only these ids. The engine computes logits only for these rows of the
    /// output projection when the set is small. Must not be empty.
    Only(Vec<u32>),
    /// The constrained output is complete: stop as if a stop string matched.
    Done,
}

/// A logits hook for constrained decoding (a grammar, a tool-call format).
/// Called before every sampled token with the text generated so far.
pub trait TokenConstraint: Send {
    fn allowed(&mut self, generated: &str) -> Allowed;
}

/// A flag another thread sets to stop a generation at the next token.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Everything one generation needs.
pub struct GenerateRequest {
    pub prompt: Prompt,
    /// Upper bound on generated tokens.
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// Seed of this sequence's sampler; the same request and seed give the
    /// same text.
    pub seed: u64,
    pub repeat_penalty: Option<RepeatPenalty>,
    /// Generation stops when the text ends with one of these; the stop string
    /// is not part of the returned text.
    pub stop: Vec<String>,
    pub constraint: Option<Box<dyn TokenConstraint>>,
    pub cancel: Option<CancelFlag>,
    /// Report the generation's log-probability ([`Generation::logprob`]).
    /// A greedy choice alone needs only the largest logit, which the output
    /// projection finds with less work than the log-sum-exp that a
    /// log-probability needs, so it is taken only when asked for.
    pub logprob: bool,
}

impl GenerateRequest {
    /// A greedy request with no stop strings, penalty or constraint, that
    /// does not ask for the log-probability.
    pub fn greedy(prompt: Prompt, max_tokens: usize) -> Self {
        Self {
            prompt,
            max_tokens,
            sampling: Sampling::Greedy,
            seed: 0,
            repeat_penalty: None,
            stop: Vec::new(),
            constraint: None,
            cancel: None,
            logprob: false,
        }
    }
}

/// Why a generation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FinishReason {
    /// A stop string matched (`sequence`), or the constraint said `Done`
    /// (`sequence` is empty).
    Stop { sequence: String },
    /// `max_tokens` was reached.
    Length,
    /// The model emitted an end-of-sequence / end-of-turn token.
    Eos,
    /// The request's `CancelFlag` was set.
    Cancelled,
}

/// Where the time of one generation went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Prompt tokens whose KV cache was reused from an earlier request.
    pub reused_prompt_tokens: usize,
    /// Prompt tokens that were run through the model.
    pub prefill_tokens: usize,
    pub prefill: Duration,
    pub decode_tokens: usize,
    pub decode: Duration,
}

impl Timings {
    pub fn prefill_tok_s(&self) -> f64 {
        per_second(self.prefill_tokens, self.prefill)
    }
    pub fn decode_tok_s(&self) -> f64 {
        per_second(self.decode_tokens, self.decode)
    }
}

fn per_second(tokens: usize, time: Duration) -> f64 {
    let s = time.as_secs_f64();
    if s > 0.0 { tokens as f64 / s } else { 0.0 }
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The generated text, without the prompt and without a matched stop string.
    pub text: String,
    /// The generated token ids.
    pub tokens: Vec<u32>,
    /// Sum of the log-probabilities of the chosen tokens under the model's
    /// distribution at temperature 1, before repetition penalties; ranks
    /// candidates. While a constraint restricts the next token to a set, the
    /// distribution is renormalised over that set. An end-of-sequence token
    /// that ended the generation is not counted (nor listed in `tokens`).
    /// `None` unless the request asked for it ([`GenerateRequest::logprob`]).
    pub logprob: Option<f64>,
    pub finish: FinishReason,
    pub timings: Timings,
}
