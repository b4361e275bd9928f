//! Turning chat messages into prompt text: Gemma's turn format, or the
//! model's own `tokenizer.chat_template` (Jinja, rendered with minijinja).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::request::{Message, Role};

/// How a model formats a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatFormat {
    /// `<start_of_turn>user\n…<end_of_turn>\n<start_of_turn>model\n`; a
    /// system message is folded into the first user turn.
    GemmaTurns,
    /// The GGUF's Jinja chat template.
    Template(String),
    /// The model has no chat format: only plain-text prompts.
    None,
}

/// The kind of chat format, for [`crate::EngineInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    GemmaTurns,
    Template,
    None,
}

impl ChatFormat {
    pub fn kind(&self) -> ChatKind {
        match self {
            ChatFormat::GemmaTurns => ChatKind::GemmaTurns,
            ChatFormat::Template(_) => ChatKind::Template,
            ChatFormat::None => ChatKind::None,
        }
    }

    /// The prompt text of `messages`, ending with the opening of the
    /// assistant's turn. `bos`/`eos` are the token texts templates may use.
    pub fn render(
        &self,
        messages: &[Message],
        bos: &str,
        eos: &str,
        model: &Path,
    ) -> Result<String> {
        match self {
            ChatFormat::GemmaTurns => Ok(gemma_turns(messages)),
            ChatFormat::Template(src) => render_template(src, messages, bos, eos, model),
            ChatFormat::None => Err(Error::NoChatFormat {
                path: model.to_path_buf(),
            }),
        }
    }
}

fn gemma_turns(messages: &[Message]) -> String {
    let mut out = String::new();
    let mut system: Option<&str> = None;
    for m in messages {
        let role = match m.role {
            Role::System => {
                system = Some(m.content.trim());
                continue;
            }
            Role::User => "user",
            Role::Assistant => "model",
        };
        out.push_str("<start_of_turn>");
        out.push_str(role);
        out.push('\n');
        if let (Some(s), Role::User) = (system.take(), m.role) {
            out.push_str(s);
            out.push_str("\n\n");
        }
        out.push_str(m.content.trim());
        out.push_str("<end_of_turn>\n");
    }
    if let Some(s) = system {
        // A system message with no user turn after it still reaches the model.
        out.push_str("<start_of_turn>user\n");
        out.push_str(s);
        out.push_str("<end_of_turn>\n");
    }
    out.push_str("<start_of_turn>model\n");
    out
}

#[derive(Serialize)]
struct TemplateMessage<'a> {
    role: &'a str,
    content: &'a str,
}

fn render_template(
    src: &str,
    messages: &[Message],
    bos: &str,
    eos: &str,
    model: &Path,
) -> Result<String> {
    let err = |reason: String| Error::ChatTemplate {
        path: PathBuf::from(model),
        reason,
    };
    let mut env = minijinja::Environment::new();
    env.add_function(
        "raise_exception",
        |msg: String| -> std::result::Result<String, minijinja::Error> {
            Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                msg,
            ))
        },
    );
    env.set_unknown_method_callback(python_methods);
    env.add_template("chat", src)
        .map_err(|e| err(e.to_string()))?;
    let msgs: Vec<TemplateMessage<'_>> = messages
        .iter()
        .map(|m| TemplateMessage {
            role: match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: &m.content,
        })
        .collect();
    let tmpl = env.get_template("chat").map_err(|e| err(e.to_string()))?;
    tmpl.render(minijinja::context! {
        messages => msgs,
        add_generation_prompt => true,
        bos_token => bos,
        eos_token => eos,
    })
    .map_err(|e| err(e.to_string()))
}

/// The string methods Python-flavoured chat templates call
/// (`.strip()`, `.startswith()`, …).
fn python_methods(
    _state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
    method: &str,
    args: &[minijinja::Value],
) -> std::result::Result<minijinja::Value, minijinja::Error> {
    use minijinja::{Error as JErr, ErrorKind, Value};
    let unknown = || JErr::new(ErrorKind::UnknownMethod, format!("unknown method {method}"));
    let Some(s) = value.as_str() else {
        if method == "items" {
            let mut out = Vec::new();
            if let Ok(keys) = value.try_iter() {
                for k in keys {
                    let v = value.get_item(&k).unwrap_or_default();
                    out.push(Value::from(vec![k, v]));
                }
            }
            return Ok(Value::from(out));
        }
        if method == "get" {
            let key = args.first().cloned().unwrap_or_default();
            let v = value.get_item(&key).unwrap_or_default();
            return Ok(if v.is_undefined() {
                args.get(1).cloned().unwrap_or_default()
            } else {
                v
            });
        }
        return Err(unknown());
    };
    let arg = |i: usize| args.get(i).and_then(|a| a.as_str().map(str::to_string));
    Ok(match method {
        "strip" => Value::from(match arg(0) {
            Some(c) => s.trim_matches(|x| c.contains(x)).to_string(),
            None => s.trim().to_string(),
        }),
        "lstrip" => Value::from(match arg(0) {
            Some(c) => s.trim_start_matches(|x| c.contains(x)).to_string(),
            None => s.trim_start().to_string(),
        }),
        "rstrip" => Value::from(match arg(0) {
            Some(c) => s.trim_end_matches(|x| c.contains(x)).to_string(),
            None => s.trim_end().to_string(),
        }),
        "startswith" => Value::from(arg(0).is_some_and(|p| s.starts_with(&p))),
        "endswith" => Value::from(arg(0).is_some_and(|p| s.ends_with(&p))),
        "upper" => Value::from(s.to_uppercase()),
        "lower" => Value::from(s.to_lowercase()),
        "split" => Value::from(match arg(0) {
            Some(sep) => s
                .split(sep.as_str())
                .map(str::to_string)
                .collect::<Vec<_>>(),
            None => s.split_whitespace().map(str::to_string).collect::<Vec<_>>(),
        }),
        "replace" => match (arg(0), arg(1)) {
            (Some(a), Some(b)) => Value::from(s.replace(&a, &b)),
            _ => return Err(unknown()),
        },
        _ => return Err(unknown()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs() -> Vec<Message> {
        vec![
            Message::new(Role::System, "Be brief."),
            Message::new(Role::User, " Hi! "),
            Message::new(Role::Assistant, "Hello."),
            Message::new(Role::User, "2+2?"),
        ]
    }

    #[test]
    fn gemma_turns_fold_the_system_message_into_the_first_user_turn() {
        let p = ChatFormat::GemmaTurns
            .render(&msgs(), "<bos>", "<eos>", Path::new("m.gguf"))
            .unwrap();
        assert_eq!(
            p,
            "<start_of_turn>user\nBe brief.\n\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n\
             <start_of_turn>user\n2+2?<end_of_turn>\n<start_of_turn>model\n"
        );
    }

    #[test]
    fn chatml_template_renders() {
        let src = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nDefault<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'].strip() + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        let f = ChatFormat::Template(src.into());
        let p = f
            .render(&msgs()[1..2], "", "", Path::new("m.gguf"))
            .unwrap();
        assert_eq!(
            p,
            "<|im_start|>system\nDefault<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn broken_template_is_a_typed_error() {
        let f = ChatFormat::Template("{% for %}".into());
        let e = f.render(&msgs(), "", "", Path::new("m.gguf")).unwrap_err();
        assert!(
            e.to_string().starts_with("chat template of m.gguf failed:"),
            "{e}"
        );
        let e = ChatFormat::None
            .render(&msgs(), "", "", Path::new("m.gguf"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.gguf has no chat template and no built-in turn format; use a plain text prompt"
        );
    }
}
