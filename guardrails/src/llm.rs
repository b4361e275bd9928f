//! The model behind the pipeline: the one plug point between the guardrails
//! and the engine. The real implementation is [`flinch_engine::Engine`]; unit
//! tests use [`ScriptedLlm`], which returns scripted text.

use flinch_engine::{ChatKind, Engine, GenerateRequest, Generation};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::routes::grammar::TokenTables;

/// What kind of prompting a model wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptStyle {
    /// A base model: few-shot completion prompts.
    Completion,
    /// An instruction-tuned model with a chat template: chat messages.
    Chat,
}

/// A text generator the pipeline can drive.
pub trait Llm {
    /// Generate one completion; `on_text` receives text as it is produced.
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation>;

    /// Generate several completions together (k samples of one prompt share
    /// its prefix), with a result per request: one that fails does not stop
    /// the others. The default runs them one after another.
    fn generate_batch(&mut self, requests: Vec<GenerateRequest>) -> Vec<Result<Generation>> {
        requests
            .into_iter()
            .map(|r| self.generate(r, &mut |_| {}))
            .collect()
    }

    fn prompt_style(&self) -> PromptStyle;

    /// The model's tokens that the route grammars (calculator programs,
    /// logic facts) are made of, when the model takes a token constraint (a
    /// logits hook); `None` turns the grammars off. Wrappers must forward it.
    fn token_tables(&self) -> Option<Arc<TokenTables>> {
        None
    }

    /// The log-probability of `continuation` right after `context` (the
    /// context starts the sequence), when the model can score text; `None`
    /// when it cannot. Wrappers must forward it.
    fn continuation_logprob(&mut self, _context: &str, _continuation: &str) -> Result<Option<f64>> {
        Ok(None)
    }
}

impl Llm for Engine {
    /// Built once per model file and process (a scan of the vocabulary).
    fn token_tables(&self) -> Option<Arc<TokenTables>> {
        static BUILT: Mutex<Vec<(PathBuf, Arc<TokenTables>)>> = Mutex::new(Vec::new());
        let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
        let path = &self.info().path;
        if let Some((_, v)) = built.iter().find(|(p, _)| p == path) {
            return Some(v.clone());
        }
        let tables = Arc::new(TokenTables::new(self.vocab_pieces()));
        built.push((path.clone(), tables.clone()));
        Some(tables)
    }

    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        Ok(Engine::generate(self, request, on_text)?)
    }

    fn generate_batch(&mut self, requests: Vec<GenerateRequest>) -> Vec<Result<Generation>> {
        let n = requests.len();
        match Engine::generate_each(self, requests) {
            Ok(each) => each.into_iter().map(|r| Ok(r?)).collect(),
            Err(e) => each_failed(n, &e.into()),
        }
    }

    /// Scored from the tokens where `context + continuation` stops sharing
    /// the tokens of `context` alone; does not touch the generation cache.
    fn continuation_logprob(&mut self, context: &str, continuation: &str) -> Result<Option<f64>> {
        let alone = self.tokenize(context, true)?;
        let full = self.tokenize(&format!("{context}{continuation}"), true)?;
        let shared = alone.iter().zip(&full).take_while(|(a, b)| a == b).count();
        if shared == 0 || shared >= full.len() {
            return Ok(None);
        }
        // `token_logprobs(full)[i]` is the log-probability of `full[i + 1]`.
        let logprobs = self.token_logprobs(&full)?;
        Ok(Some(
            logprobs[shared - 1..].iter().map(|&v| f64::from(v)).sum(),
        ))
    }

    /// A model with a chat template in its file is instruction-tuned; Gemma's
    /// turn format is known for every Gemma file, so a Gemma counts as chat
    /// only when its name says it is instruction-tuned (`… it`, `instruct`).
    fn prompt_style(&self) -> PromptStyle {
        let info = self.info();
        let name = info.name.as_deref().unwrap_or("").to_lowercase();
        let tuned = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| matches!(w, "it" | "instruct" | "chat"));
        match info.chat {
            ChatKind::Template => PromptStyle::Chat,
            ChatKind::GemmaTurns if tuned => PromptStyle::Chat,
            _ => PromptStyle::Completion,
        }
    }
}

/// The results of a batch of `n` requests that failed as a whole.
pub fn each_failed(n: usize, e: &crate::error::Error) -> Vec<Result<Generation>> {
    let reason = match e {
        crate::error::Error::Model { reason } => reason.clone(),
        other => other.to_string(),
    };
    (0..n)
        .map(|_| {
            Err(crate::error::Error::Model {
                reason: reason.clone(),
            })
        })
        .collect()
}

/// A fake model for tests: each call pops the next scripted reply (stop
/// strings are applied as the engine would) and records the prompt it got.
#[derive(Debug, Default)]
pub struct ScriptedLlm {
    replies: std::collections::VecDeque<String>,
    /// The prompts received, in order (chat prompts rendered as `role: text` lines).
    pub prompts: Vec<String>,
    pub style: Option<PromptStyle>,
    /// Scores `continuation_logprob(context, continuation)` (no scores when unset).
    pub scorer: Option<fn(&str, &str) -> f64>,
}

impl ScriptedLlm {
    pub fn new<S: Into<String>>(replies: impl IntoIterator<Item = S>) -> Self {
        Self {
            replies: replies.into_iter().map(Into::into).collect(),
            prompts: Vec::new(),
            style: None,
            scorer: None,
        }
    }

    pub fn chat<S: Into<String>>(replies: impl IntoIterator<Item = S>) -> Self {
        Self {
            style: Some(PromptStyle::Chat),
            ..Self::new(replies)
        }
    }

    /// Replies not yet consumed.
    pub fn remaining(&self) -> usize {
        self.replies.len()
    }
}

impl Llm for ScriptedLlm {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        use flinch_engine::{FinishReason, Prompt, Timings};
        self.prompts.push(match &request.prompt {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(messages) => messages
                .iter()
                .map(|m| format!("{:?}: {}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n"),
        });
        let reply = self.replies.pop_front().ok_or(crate::error::Error::Model {
            reason: "the scripted model has no reply left".to_owned(),
        })?;
        let (text, finish) = match request
            .stop
            .iter()
            .filter_map(|s| reply.find(s.as_str()).map(|i| (i, s)))
            .min_by_key(|(i, _)| *i)
        {
            Some((i, s)) => (
                reply[..i].to_owned(),
                FinishReason::Stop {
                    sequence: s.clone(),
                },
            ),
            None => (reply, FinishReason::Eos),
        };
        on_text(&text);
        Ok(Generation {
            tokens: Vec::new(),
            logprob: request.logprob.then_some(-(text.len() as f64)),
            text,
            finish,
            timings: Timings::default(),
        })
    }

    fn prompt_style(&self) -> PromptStyle {
        self.style.unwrap_or(PromptStyle::Completion)
    }

    fn continuation_logprob(&mut self, context: &str, continuation: &str) -> Result<Option<f64>> {
        Ok(self.scorer.map(|score| score(context, continuation)))
    }
}
