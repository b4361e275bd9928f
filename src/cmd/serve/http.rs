//! The HTTP endpoints: `POST /v1/chat/completions` (JSON or SSE),
//! `GET /v1/models`, `GET /health` and the chat page at `/`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use flinch_engine::CancelFlag;
use flinch_guardrails::postpass::PostPass;
use flinch_guardrails::trace::Event as TraceEvent;
use flinch_guardrails::{Answer, AnswerOptions, RouteChoice};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::api::{self, ChatRequest, Streaming};
use super::error::ApiError;
use super::holdback::{Ending, HoldBack};
use super::web;
use super::worker::{Job, JobEvent, Outcome, Worker};

/// How often an idle stream sends an SSE comment (also how soon a vanished
/// client is noticed while a tool route computes).
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// What every request handler shares.
pub struct AppState {
    pub worker: Worker,
    /// The id `/v1/models` lists and responses carry.
    pub model: String,
    /// Longest time one request may take, queueing included.
    pub deadline: Duration,
    started: u64,
    next_id: AtomicU64,
}

impl AppState {
    pub fn new(worker: Worker, model: String, deadline: Duration) -> Self {
        Self {
            worker,
            model,
            deadline,
            started: unix_now(),
            next_id: AtomicU64::new(1),
        }
    }

    fn completion_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("chatcmpl-{:x}-{n}", self.started)
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(web::index))
        .route("/app.js", get(web::script))
        .route("/style.css", get(web::style))
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn json_response(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::NotFound {
        message: "no such endpoint: flinch serves POST /v1/chat/completions, GET /v1/models, GET /health and the chat page at /".to_owned(),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::Http {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        message: "wrong method: chat completions are POSTed, the other endpoints are GET"
            .to_owned(),
    }
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    json_response(&json!({
        "status": "ok",
        "model": state.model,
        "queue": state.worker.state(),
    }))
}

async fn models(State(state): State<Arc<AppState>>) -> Response {
    json_response(&json!({
        "object": "list",
        "data": [{
            "id": state.model,
            "object": "model",
            "created": state.started,
            "owned_by": "flinch",
        }],
    }))
}

/// Cancels the job when dropped before `disarm`: the handler's future (or
/// the stream's task) is dropped when the client goes away.
struct CancelOnDrop(Option<CancelFlag>);

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = &self.0 {
            flag.cancel();
        }
    }
}

async fn chat_completions(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return ApiError::Http {
                status: e.status(),
                message: format!("the request body could not be read: {}", e.body_text()),
            }
            .into_response();
        }
    };
    let request = match api::parse_chat_request(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let deadline = Instant::now() + state.deadline;
    let cancel = CancelFlag::new();
    let passes = post_passes(&request);
    let options = AnswerOptions {
        route: request.route,
        seed: request.seed,
        sampling: request.sampling,
        max_tokens: request.max_tokens,
        stop: request.stop.clone(),
        cancel: cancel.clone(),
        completion: None,
    };
    let (events, rx) = mpsc::unbounded_channel();
    let job = Job {
        conversation: request.conversation.clone(),
        options,
        stream: request.stream != Streaming::Off,
        events,
    };
    if let Err(e) = state.worker.submit(job) {
        return e.into_response();
    }
    let guard = CancelOnDrop(Some(cancel));
    let meta = Meta {
        id: state.completion_id(),
        created: unix_now(),
        model: state.model.clone(),
    };
    match request.stream {
        Streaming::Off => complete(rx, guard, deadline, state.deadline, &meta, &request).await,
        Streaming::On { usage } => {
            let holdback = HoldBack::new(passes);
            stream(
                rx,
                guard,
                deadline,
                state.deadline,
                meta,
                request,
                usage,
                holdback,
            )
        }
    }
}

/// The post-passes the pipeline will run on this request's answer.
fn post_passes(request: &ChatRequest) -> Vec<PostPass> {
    match (request.route, request.conversation.system()) {
        (RouteChoice::Raw, _) => Vec::new(),
        (_, Some(_)) => vec![PostPass::SelfCorrection, PostPass::PersonaBreak],
        (_, None) => vec![PostPass::SelfCorrection],
    }
}

/// Fields every response object of one completion shares.
struct Meta {
    id: String,
    created: u64,
    model: String,
}

async fn complete(
    mut rx: mpsc::UnboundedReceiver<JobEvent>,
    mut guard: CancelOnDrop,
    deadline: Instant,
    limit: Duration,
    meta: &Meta,
    request: &ChatRequest,
) -> Response {
    let outcome = loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(JobEvent::Delta(_)) => continue,
                Some(JobEvent::Done(result)) => break result,
                None => break Err(ApiError::Unavailable),
            },
            _ = sleep_until(deadline) => break Err(ApiError::Timeout { deadline_s: limit.as_secs() }),
        }
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    guard.disarm();
    let Outcome { answer, usage } = outcome;
    json_response(&json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "system_fingerprint": Value::Null,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer.text},
            "logprobs": Value::Null,
            "finish_reason": finish_reason(&answer),
        }],
        "usage": usage,
        "flinch": extension(&answer, request.trace, None),
    }))
}

/// `length` when the generation that wrote the answer text ran out of
/// tokens, else `stop`.
fn finish_reason(answer: &Answer) -> &'static str {
    let last = answer.trace.iter().rev().find_map(|s| match &s.event {
        TraceEvent::Generate {
            purpose, finish, ..
        } if matches!(purpose.as_str(), "answer" | "raw answer" | "persona retry") => {
            Some(finish.as_str())
        }
        _ => None,
    });
    match last {
        Some("length") => "length",
        _ => "stop",
    }
}

/// The `flinch` field: route and evidence always, the trace on request, and
/// the final text when streamed text was revised.
fn extension(answer: &Answer, trace: bool, revised: Option<&str>) -> Value {
    let mut ext = json!({
        "route": answer.route.map(|r| r.name()),
        "evidence": answer.evidence,
    });
    if trace {
        ext["trace"] = json!(answer.trace);
    }
    if let Some(text) = revised {
        ext["revised"] = json!(true);
        ext["text"] = json!(text);
    }
    ext
}

fn chunk(meta: &Meta, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": meta.id,
        "object": "chat.completion.chunk",
        "created": meta.created,
        "model": meta.model,
        "system_fingerprint": Value::Null,
        "choices": [{
            "index": 0,
            "delta": delta,
            "logprobs": Value::Null,
            "finish_reason": finish,
        }],
    })
}

fn data(value: &Value) -> Event {
    Event::default().data(value.to_string())
}

/// Answer as SSE: a role chunk at once, content chunks as the hold-back
/// buffer releases them, a last chunk with the finish reason and the
/// `flinch` field, the usage chunk when asked for, then `[DONE]`.
#[allow(clippy::too_many_arguments)]
fn stream(
    mut rx: mpsc::UnboundedReceiver<JobEvent>,
    mut guard: CancelOnDrop,
    deadline: Instant,
    limit: Duration,
    meta: Meta,
    request: ChatRequest,
    include_usage: bool,
    mut holdback: HoldBack,
) -> Response {
    let (out, out_rx) = mpsc::channel::<Event>(64);
    tokio::spawn(async move {
        let send = |e: Event| {
            let out = out.clone();
            async move { out.send(e).await.is_ok() }
        };
        if !send(data(&chunk(
            &meta,
            json!({"role": "assistant", "content": ""}),
            None,
        )))
        .await
        {
            return;
        }
        let result = loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(JobEvent::Delta(text)) => {
                        if let Some(safe) = holdback.push(&text)
                            && !send(data(&chunk(&meta, json!({"content": safe}), None))).await
                        {
                            return;
                        }
                    }
                    Some(JobEvent::Done(result)) => break result,
                    None => break Err(ApiError::Unavailable),
                },
                _ = sleep_until(deadline) => break Err(ApiError::Timeout { deadline_s: limit.as_secs() }),
                // The client went away: dropping the guard cancels the job.
                _ = out.closed() => return,
            }
        };
        let Outcome { answer, usage } = match result {
            Ok(o) => o,
            Err(e) => {
                let _ = send(data(&e.body())).await;
                let _ = send(Event::default().data("[DONE]")).await;
                return;
            }
        };
        guard.disarm();
        let revised = match holdback.finish(&answer.text) {
            Ending::Rest(rest) => {
                if !rest.is_empty()
                    && !send(data(&chunk(&meta, json!({"content": rest}), None))).await
                {
                    return;
                }
                None
            }
            Ending::Revised => Some(answer.text.as_str()),
        };
        let mut last = chunk(&meta, json!({}), Some(finish_reason(&answer)));
        last["flinch"] = extension(&answer, request.trace, revised);
        if !send(data(&last)).await {
            return;
        }
        if include_usage {
            let mut u = chunk(&meta, json!({}), None);
            u["choices"] = json!([]);
            u["usage"] = json!(usage);
            if !send(data(&u)).await {
                return;
            }
        }
        let _ = send(Event::default().data("[DONE]")).await;
    });
    let events = futures_util::stream::unfold(out_rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}
