//! The OpenAI chat-completions request, checked field by field so that a
//! client mistake comes back as a 400 naming the field (`messages[1].role`),
//! and the `flinch` extension object.

use flinch_engine::{Message, Role, Sampling};
use flinch_guardrails::{Conversation, RouteChoice, RouteKind};
use serde_json::{Map, Value};

use super::error::ApiError;

/// Largest `max_tokens` a request may ask for.
pub const MAX_TOKENS_LIMIT: usize = 4096;
/// Most stop strings a request may give (as OpenAI).
pub const MAX_STOP_STRINGS: usize = 4;

/// A checked chat-completions request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub conversation: Conversation,
    /// `None`: the route's own sampling (greedy for the answer text).
    pub sampling: Option<Sampling>,
    pub max_tokens: Option<usize>,
    pub seed: u64,
    pub stop: Vec<String>,
    pub stream: Streaming,
    pub route: RouteChoice,
    /// Return the trace in the `flinch` field.
    pub trace: bool,
}

/// Whether and how the answer is streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streaming {
    Off,
    /// SSE chunks; `usage` adds a last chunk with the token counts.
    On {
        usage: bool,
    },
}

/// Top-level fields that change what an answer is and that flinch cannot
/// honour: refused rather than silently ignored.
const UNSUPPORTED: [(&str, &str); 6] = [
    ("tools", "tool calls are not supported"),
    ("functions", "function calls are not supported"),
    ("tool_choice", "tool calls are not supported"),
    ("function_call", "function calls are not supported"),
    ("logit_bias", "logit_bias is not supported"),
    ("audio", "audio output is not supported"),
];

/// Parse and check a request body.
pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(None, format!("the body is not valid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(ApiError::invalid(
            None,
            "the body must be a JSON object".to_owned(),
        ));
    };
    if let Some(v) = present(&obj, "model") {
        v.as_str()
            .ok_or_else(|| ApiError::invalid(Some("model"), type_error("model", "a string", v)))?;
    }
    for (field, why) in UNSUPPORTED {
        if present(&obj, field).is_some() {
            return Err(ApiError::invalid(Some(field), format!("{field}: {why}")));
        }
    }
    if let Some(v) = present(&obj, "n")
        && v.as_u64() != Some(1)
    {
        return Err(ApiError::invalid(
            Some("n"),
            format!("n must be 1 (one choice per request), got {v}"),
        ));
    }
    if let Some(v) = present(&obj, "logprobs")
        && v != &Value::Bool(false)
    {
        return Err(ApiError::invalid(
            Some("logprobs"),
            "logprobs are not supported".to_owned(),
        ));
    }
    if let Some(v) = present(&obj, "response_format") {
        let kind = v.get("type").and_then(Value::as_str);
        if kind != Some("text") {
            return Err(ApiError::invalid(
                Some("response_format"),
                "response_format: only {\"type\": \"text\"} is supported".to_owned(),
            ));
        }
    }

    let conversation = messages(&obj)?;
    let temperature = number(&obj, "temperature", 0.0, 2.0, true)?;
    let top_p = number(&obj, "top_p", 0.0, 1.0, false)?;
    let sampling = match (temperature, top_p) {
        (None, None) => None,
        (Some(0.0), _) => Some(Sampling::Greedy),
        // OpenAI's default temperature is 1.
        (t, p) => Some(Sampling::Random {
            temperature: t.unwrap_or(1.0) as f32,
            top_k: None,
            top_p: p.map(|p| p as f32),
        }),
    };
    let max_tokens = match (
        integer(&obj, "max_completion_tokens")?,
        integer(&obj, "max_tokens")?,
    ) {
        (Some(n), _) => Some(("max_completion_tokens", n)),
        (None, Some(n)) => Some(("max_tokens", n)),
        (None, None) => None,
    };
    let max_tokens = match max_tokens {
        Some((field, n)) if n == 0 || n > MAX_TOKENS_LIMIT as u64 => {
            return Err(ApiError::invalid(
                Some(field),
                format!("{field} must be between 1 and {MAX_TOKENS_LIMIT}, got {n}"),
            ));
        }
        Some((_, n)) => Some(n as usize),
        None => None,
    };
    let seed = match present(&obj, "seed") {
        None => 0,
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_i64().map(|i| i as u64))
            .ok_or_else(|| ApiError::invalid(Some("seed"), type_error("seed", "an integer", v)))?,
    };
    let stop = stop(&obj)?;
    let stream = match boolean(&obj, "stream")? {
        Some(true) => {
            let usage = match present(&obj, "stream_options") {
                None => false,
                Some(Value::Object(o)) => {
                    boolean(o, "include_usage").map_err(|e| e.prefixed("stream_options"))?
                        == Some(true)
                }
                Some(v) => {
                    return Err(ApiError::invalid(
                        Some("stream_options"),
                        type_error("stream_options", "an object", v),
                    ));
                }
            };
            Streaming::On { usage }
        }
        _ => Streaming::Off,
    };
    let (route, trace) = extension(&obj)?;
    Ok(ChatRequest {
        conversation,
        sampling,
        max_tokens,
        seed,
        stop,
        stream,
        route,
        trace,
    })
}

/// A field that is present and not `null`.
fn present<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    obj.get(field).filter(|v| !v.is_null())
}

fn type_error(field: &str, expected: &str, got: &Value) -> String {
    let kind = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("{field} must be {expected}, got {kind}")
}

fn messages(obj: &Map<String, Value>) -> Result<Conversation, ApiError> {
    let list = match present(obj, "messages") {
        None => {
            return Err(ApiError::invalid(
                Some("messages"),
                "messages is required: a list of {role, content} objects".to_owned(),
            ));
        }
        Some(Value::Array(list)) => list,
        Some(v) => {
            return Err(ApiError::invalid(
                Some("messages"),
                type_error("messages", "an array", v),
            ));
        }
    };
    if list.is_empty() {
        return Err(ApiError::invalid(
            Some("messages"),
            "messages must not be empty".to_owned(),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let at = |field: &str| format!("messages[{i}]{field}");
        let Value::Object(m) = m else {
            return Err(ApiError::invalid_at(
                at(""),
                type_error(&at(""), "an object", m),
            ));
        };
        let role = match present(m, "role") {
            Some(Value::String(r)) => match r.as_str() {
                "system" | "developer" => Role::System,
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(ApiError::invalid_at(
                        at(".role"),
                        format!(
                            "{}: role {other:?} is not supported (system, developer, user, assistant)",
                            at(".role")
                        ),
                    ));
                }
            },
            Some(v) => {
                return Err(ApiError::invalid_at(
                    at(".role"),
                    type_error(&at(".role"), "a string", v),
                ));
            }
            None => {
                return Err(ApiError::invalid_at(
                    at(".role"),
                    format!("{} is required", at(".role")),
                ));
            }
        };
        let content = match present(m, "content") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => {
                let mut text = String::new();
                for (j, part) in parts.iter().enumerate() {
                    let field = at(&format!(".content[{j}]"));
                    match (
                        part.get("type").and_then(Value::as_str),
                        part.get("text").and_then(Value::as_str),
                    ) {
                        (Some("text"), Some(t)) => text.push_str(t),
                        _ => {
                            return Err(ApiError::invalid_at(
                                field.clone(),
                                format!(
                                    "{field}: only text parts ({{\"type\": \"text\", \"text\": …}}) are supported"
                                ),
                            ));
                        }
                    }
                }
                text
            }
            Some(v) => {
                return Err(ApiError::invalid_at(
                    at(".content"),
                    type_error(&at(".content"), "a string or a list of text parts", v),
                ));
            }
            None => {
                return Err(ApiError::invalid_at(
                    at(".content"),
                    format!("{} is required", at(".content")),
                ));
            }
        };
        out.push(Message::new(role, content));
    }
    let conversation = Conversation::from_messages(out);
    conversation.last_question().map_err(|e| {
        ApiError::invalid(
            Some("messages"),
            format!("messages: {e} (the last message must be a non-empty user message)"),
        )
    })?;
    Ok(conversation)
}

/// A number in `[min, max]` (`min` excluded unless `min_inclusive`).
fn number(
    obj: &Map<String, Value>,
    field: &str,
    min: f64,
    max: f64,
    min_inclusive: bool,
) -> Result<Option<f64>, ApiError> {
    let Some(v) = present(obj, field) else {
        return Ok(None);
    };
    let x = v
        .as_f64()
        .ok_or_else(|| ApiError::invalid(Some(field), type_error(field, "a number", v)))?;
    let low_ok = if min_inclusive { x >= min } else { x > min };
    if !low_ok || x > max || !x.is_finite() {
        let low = if min_inclusive { "[" } else { "(" };
        return Err(ApiError::invalid(
            Some(field),
            format!("{field} must be in {low}{min}, {max}], got {x}"),
        ));
    }
    Ok(Some(x))
}

fn integer(obj: &Map<String, Value>, field: &str) -> Result<Option<u64>, ApiError> {
    match present(obj, field) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            ApiError::invalid(Some(field), type_error(field, "a non-negative integer", v))
        }),
    }
}

fn boolean(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match present(obj, field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(ApiError::invalid(
            Some(field),
            type_error(field, "a boolean", v),
        )),
    }
}

fn stop(obj: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let list = match present(obj, "stop") {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => {
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let field = format!("stop[{i}]");
                let s = item.as_str().ok_or_else(|| {
                    ApiError::invalid_at(field.clone(), type_error(&field, "a string", item))
                })?;
                list.push(s.to_owned());
            }
            list
        }
        Some(v) => {
            return Err(ApiError::invalid(
                Some("stop"),
                type_error("stop", "a string or a list of strings", v),
            ));
        }
    };
    if list.len() > MAX_STOP_STRINGS {
        return Err(ApiError::invalid(
            Some("stop"),
            format!(
                "stop takes at most {MAX_STOP_STRINGS} strings, got {}",
                list.len()
            ),
        ));
    }
    if list.iter().any(String::is_empty) {
        return Err(ApiError::invalid(
            Some("stop"),
            "stop strings must not be empty".to_owned(),
        ));
    }
    Ok(list)
}

/// The `flinch` extension object: `{"route": "auto" | "calculator" | "logic"
/// | "constrained" | "chat" | "raw", "trace": bool}`.
fn extension(obj: &Map<String, Value>) -> Result<(RouteChoice, bool), ApiError> {
    let ext = match present(obj, "flinch") {
        None => return Ok((RouteChoice::Auto, false)),
        Some(Value::Object(ext)) => ext,
        Some(v) => {
            return Err(ApiError::invalid(
                Some("flinch"),
                type_error("flinch", "an object", v),
            ));
        }
    };
    if let Some(key) = ext
        .keys()
        .find(|k| !matches!(k.as_str(), "route" | "trace"))
    {
        let field = format!("flinch.{key}");
        return Err(ApiError::invalid_at(
            field.clone(),
            format!("{field} is not a flinch option (route, trace)"),
        ));
    }
    let route = match present(ext, "route") {
        None => RouteChoice::Auto,
        Some(Value::String(name)) => match name.as_str() {
            "auto" => RouteChoice::Auto,
            "raw" => RouteChoice::Raw,
            other => RouteKind::ALL
                .into_iter()
                .find(|r| r.name() == other)
                .map(RouteChoice::Force)
                .ok_or_else(|| {
                    ApiError::invalid_at(
                        "flinch.route".to_owned(),
                        format!(
                            "flinch.route {other:?} is not a route (auto, calculator, logic, constrained, chat, raw)"
                        ),
                    )
                })?,
        },
        Some(v) => {
            return Err(ApiError::invalid_at(
                "flinch.route".to_owned(),
                type_error("flinch.route", "a string", v),
            ));
        }
    };
    let trace = boolean(ext, "trace").map_err(|e| e.prefixed("flinch"))? == Some(true);
    Ok((route, trace))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(body: &str) -> (Option<String>, String) {
        let e = parse_chat_request(body.as_bytes()).unwrap_err();
        (e.param().map(str::to_owned), e.message().to_owned())
    }

    #[test]
    fn a_full_request_is_parsed() {
        let r = parse_chat_request(
            br#"{"model": "x", "messages": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
                 "temperature": 0.5, "top_p": 0.9, "max_tokens": 12, "seed": 7,
                 "stop": ["\n"], "stream": true, "stream_options": {"include_usage": true},
                 "flinch": {"route": "raw", "trace": true}, "user": "ignored"}"#,
        )
        .unwrap();
        assert_eq!(r.conversation.system(), Some("Be brief."));
        assert_eq!(r.conversation.last_question().unwrap(), "Hi");
        assert_eq!(
            r.sampling,
            Some(Sampling::Random {
                temperature: 0.5,
                top_k: None,
                top_p: Some(0.9)
            })
        );
        assert_eq!(
            (r.max_tokens, r.seed, r.stop.as_slice()),
            (Some(12), 7, ["\n".to_owned()].as_slice())
        );
        assert_eq!(r.stream, Streaming::On { usage: true });
        assert_eq!((r.route, r.trace), (RouteChoice::Raw, true));
    }

    #[test]
    fn defaults_leave_sampling_to_the_routes() {
        let r =
            parse_chat_request(br#"{"messages": [{"role": "user", "content": "Hi"}]}"#).unwrap();
        assert_eq!(r.sampling, None);
        assert_eq!(r.stream, Streaming::Off);
        assert_eq!(
            (r.route, r.trace, r.max_tokens),
            (RouteChoice::Auto, false, None)
        );
        let greedy = parse_chat_request(
            br#"{"messages": [{"role": "user", "content": "Hi"}], "temperature": 0}"#,
        )
        .unwrap();
        assert_eq!(greedy.sampling, Some(Sampling::Greedy));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                "{",
                None,
                "the body is not valid JSON: EOF while parsing an object at line 1 column 1",
            ),
            ("[]", None, "the body must be a JSON object"),
            (
                "{}",
                Some("messages"),
                "messages is required: a list of {role, content} objects",
            ),
            (
                r#"{"messages": []}"#,
                Some("messages"),
                "messages must not be empty",
            ),
            (
                r#"{"messages": [{"role": "robot", "content": "x"}]}"#,
                Some("messages[0].role"),
                "messages[0].role: role \"robot\" is not supported (system, developer, user, assistant)",
            ),
            (
                r#"{"messages": [{"role": "user", "content": 3}]}"#,
                Some("messages[0].content"),
                "messages[0].content must be a string or a list of text parts, got a number",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}"#,
                Some("messages"),
                "messages: invalid conversation: the last message must be the user's (the last message must be a non-empty user message)",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "temperature": 3}"#,
                Some("temperature"),
                "temperature must be in [0, 2], got 3",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "top_p": 0}"#,
                Some("top_p"),
                "top_p must be in (0, 1], got 0",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}"#,
                Some("max_tokens"),
                "max_tokens must be a non-negative integer, got a number",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}"#,
                Some("max_tokens"),
                "max_tokens must be between 1 and 4096, got 0",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "stop": ["a", 1]}"#,
                Some("stop[1]"),
                "stop[1] must be a string, got a number",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}"#,
                Some("stream"),
                "stream must be a boolean, got a string",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "n": 2}"#,
                Some("n"),
                "n must be 1 (one choice per request), got 2",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "tools": []}"#,
                Some("tools"),
                "tools: tool calls are not supported",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "flinch": {"route": "magic"}}"#,
                Some("flinch.route"),
                "flinch.route \"magic\" is not a route (auto, calculator, logic, constrained, chat, raw)",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "flinch": {"trace": 1}}"#,
                Some("flinch.trace"),
                "flinch.trace must be a boolean, got a number",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "flinch": {"verbose": true}}"#,
                Some("flinch.verbose"),
                "flinch.verbose is not a flinch option (route, trace)",
            ),
        ];
        for (body, param, message) in cases {
            assert_eq!(
                error(body),
                (param.map(str::to_owned), message.to_owned()),
                "{body}"
            );
        }
    }
}
