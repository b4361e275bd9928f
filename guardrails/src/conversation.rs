//! A conversation: an optional system prompt (a persona) and the turns so
//! far, ending with the user's question.

use flinch_engine::{Message, Role};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    system: Option<String>,
    turns: Vec<Message>,
}

impl Conversation {
    /// A single question without a system prompt.
    pub fn question(text: impl Into<String>) -> Self {
        let mut c = Self::default();
        c.push_user(text);
        c
    }

    pub fn with_system(system: impl Into<String>) -> Self {
        Self {
            system: Some(system.into()),
            turns: Vec::new(),
        }
    }

    /// From chat messages (system messages are joined into the system prompt).
    pub fn from_messages(messages: Vec<Message>) -> Self {
        let mut c = Self::default();
        for m in messages {
            match m.role {
                Role::System => {
                    let joined = match c.system.take() {
                        Some(s) => format!("{s}\n{}", m.content),
                        None => m.content,
                    };
                    c.system = Some(joined);
                }
                _ => c.turns.push(m),
            }
        }
        c
    }

    pub fn system(&self) -> Option<&str> {
        self.system.as_deref()
    }

    pub fn set_system(&mut self, system: Option<String>) {
        self.system = system;
    }

    pub fn turns(&self) -> &[Message] {
        &self.turns
    }

    pub fn push_user(&mut self, text: impl Into<String>) {
        self.turns.push(Message::new(Role::User, text));
    }

    pub fn push_assistant(&mut self, text: impl Into<String>) {
        self.turns.push(Message::new(Role::Assistant, text));
    }

    /// Remove the last turn (e.g. a question whose answer failed).
    pub fn pop_last(&mut self) -> Option<Message> {
        self.turns.pop()
    }

    pub fn clear_turns(&mut self) {
        self.turns.clear();
    }

    /// The question to answer: the last turn, which must be the user's.
    pub fn last_question(&self) -> Result<&str> {
        match self.turns.last() {
            Some(m) if m.role == Role::User && !m.content.trim().is_empty() => Ok(&m.content),
            Some(m) if m.role == Role::User => Err(Error::Conversation {
                reason: "the last user message is empty".to_owned(),
            }),
            Some(_) => Err(Error::Conversation {
                reason: "the last message must be the user's".to_owned(),
            }),
            None => Err(Error::Conversation {
                reason: "there is no user message".to_owned(),
            }),
        }
    }
}
