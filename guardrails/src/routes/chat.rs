//! Guarded plain generation: the chat route, and the generation every other
//! route falls back to. A chat model gets its messages; a base model gets a
//! transcript completion prompt that stops at the next user turn.

use flinch_engine::{GenerateRequest, Generation, Message, Prompt, RepeatPenalty, Role};

use crate::conversation::Conversation;
use crate::error::Result;
use crate::llm::{Llm, PromptStyle};
use crate::prompts::PromptId;

/// Token budget of a chat answer.
pub const DEFAULT_CHAT_TOKENS: usize = 256;

/// Penalty against loops, which small models fall into in free text.
pub const DEFAULT_REPEAT_PENALTY: RepeatPenalty = RepeatPenalty {
    penalty: 1.15,
    last_n: 64,
};

/// A prompt the caller wrote for the guarded generation, completed as given
/// in place of the prompt built from the conversation: a few-shot prompt
/// that ends with the question, as a benchmark's standard prompting gives.
/// Routing, the tools, the post-passes and the option step still read the
/// conversation; only the text generation sees this prompt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompletionPrompt {
    /// The whole prompt, ending where the answer begins.
    pub text: String,
    /// Where its answer ends (e.g. at the next exemplar); these cut only
    /// this generation, not the answer of a tool route.
    pub stop: Vec<String>,
}

/// How strongly the system prompt is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The system prompt as given.
    Plain,
    /// The system prompt wrapped in the persona anchor (after a persona break).
    Persona,
}

/// The prompt for the conversation's next assistant turn.
pub fn prompt(style: PromptStyle, conversation: &Conversation, anchor: Anchor) -> Result<Prompt> {
    let system = match (conversation.system(), anchor) {
        (Some(s), Anchor::Persona) => Some(
            PromptId::PersonaAnchor
                .render(&[("persona", s)])?
                .trim()
                .to_owned(),
        ),
        (Some(s), Anchor::Plain) => Some(s.to_owned()),
        (None, _) => None,
    };
    match style {
        PromptStyle::Chat => {
            let mut messages = Vec::new();
            if let Some(s) = system {
                messages.push(Message::new(Role::System, s));
            }
            messages.extend(conversation.turns().iter().cloned());
            Ok(Prompt::Chat(messages))
        }
        PromptStyle::Completion => {
            let preamble = match system {
                Some(s) => s,
                None => PromptId::ChatPreamble.render(&[])?.trim().to_owned(),
            };
            let mut transcript = String::new();
            for m in conversation.turns() {
                let who = match m.role {
                    Role::User | Role::System => "User",
                    Role::Assistant => "Assistant",
                };
                transcript.push_str(&format!("{who}: {}\n", m.content.trim()));
            }
            Ok(Prompt::Text(PromptId::ChatCompletion.render(&[
                ("preamble", &preamble),
                ("transcript", &transcript),
            ])?))
        }
    }
}

/// Generate the next assistant turn: from the caller's `completion` prompt
/// when there is one (as given: its stop strings, no loop penalty, no
/// persona anchor), else from the conversation.
pub fn generate(
    llm: &mut dyn Llm,
    conversation: &Conversation,
    completion: Option<&CompletionPrompt>,
    anchor: Anchor,
    max_tokens: usize,
    seed: u64,
    on_text: &mut dyn FnMut(&str),
) -> Result<Generation> {
    if let Some(c) = completion {
        let mut request = GenerateRequest::greedy(Prompt::Text(c.text.clone()), max_tokens);
        request.seed = seed;
        request.stop = c.stop.clone();
        let mut generation = llm.generate(request, on_text)?;
        generation.text = generation.text.trim().to_owned();
        return Ok(generation);
    }
    let mut request = GenerateRequest::greedy(
        prompt(llm.prompt_style(), conversation, anchor)?,
        max_tokens,
    );
    request.seed = seed;
    request.repeat_penalty = Some(DEFAULT_REPEAT_PENALTY);
    if llm.prompt_style() == PromptStyle::Completion {
        request.stop = vec![
            "\nUser:".to_owned(),
            "\nAssistant:".to_owned(),
            "\n\n\n".to_owned(),
        ];
    }
    let mut generation = llm.generate(request, on_text)?;
    generation.text = generation.text.trim().to_owned();
    Ok(generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_prompt_is_a_transcript_ending_with_the_assistant_cue() {
        let mut c = Conversation::with_system("You are Captain Flint, a pirate.");
        c.push_user("Hello!");
        c.push_assistant("Ahoy!");
        c.push_user("Where is the treasure?");
        let Prompt::Text(p) = prompt(PromptStyle::Completion, &c, Anchor::Plain).unwrap() else {
            panic!("completion prompt expected")
        };
        assert_eq!(
            p,
            "You are Captain Flint, a pirate.\n\nUser: Hello!\nAssistant: Ahoy!\nUser: Where is the treasure?\nAssistant:"
        );
        let Prompt::Text(anchored) = prompt(PromptStyle::Completion, &c, Anchor::Persona).unwrap()
        else {
            panic!("completion prompt expected")
        };
        assert!(anchored.starts_with("Stay in character at all times"));
        assert!(anchored.contains("Persona: You are Captain Flint, a pirate."));
    }

    #[test]
    fn chat_prompt_keeps_the_messages() {
        let mut c = Conversation::default();
        c.push_user("Hi");
        let Prompt::Chat(m) = prompt(PromptStyle::Chat, &c, Anchor::Plain).unwrap() else {
            panic!("chat prompt expected")
        };
        assert_eq!(m, vec![Message::new(Role::User, "Hi")]);
    }
}
