//! The server over real HTTP on loopback, with a fake model: the OpenAI
//! shapes, streaming and the hold-back buffer, errors naming the field, the
//! bounded queue, the deadline and cancellation when the client goes away.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flinch_engine::{FinishReason, GenerateRequest, Generation, Prompt, Sampling, Timings};
use flinch_guardrails::{Llm, PipelineConfig, PromptStyle};
use flinch_sandbox::{Limits, ModuleCache, Sandbox};
use serde_json::{Value, json};

use super::client::{self, EventStream};
use super::{AppState, Worker, serve};

/// What the fake model saw of a request.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    question: String,
    sampling: Sampling,
    max_tokens: usize,
    stop: Vec<String>,
}

#[derive(Default)]
struct Log {
    seen: Mutex<Vec<Seen>>,
    cancelled: AtomicUsize,
    finished: AtomicUsize,
}

const RETRACTION: &str = "He spends $245 in total, counting every book he bought at the shop. \
Wait, let me recheck: 5×20 + 3×30 + 2×45 = 280. Corrected Answer: He spends $280.";

/// A chat model whose reply depends on the last user message: `echo X`
/// says X, `slow` writes 300 words 20 ms apart, `retract` corrects itself.
/// Words are tokens; stop strings, `max_tokens` and the cancel flag are
/// honoured as the engine would.
struct Fake {
    log: Arc<Log>,
}

impl Llm for Fake {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        let question = match &request.prompt {
            Prompt::Chat(m) => m.last().map(|m| m.content.clone()).unwrap_or_default(),
            Prompt::Text(t) => t.clone(),
        };
        self.log.seen.lock().unwrap().push(Seen {
            question: question.clone(),
            sampling: request.sampling,
            max_tokens: request.max_tokens,
            stop: request.stop.clone(),
        });
        let (reply, delay) = match question.as_str() {
            q if q.starts_with("echo ") => (q[5..].to_owned(), Duration::ZERO),
            "slow" => (vec!["word"; 300].join(" "), Duration::from_millis(20)),
            "retract" => (RETRACTION.to_owned(), Duration::ZERO),
            q => (format!("You said: {q}"), Duration::ZERO),
        };
        let mut text = String::new();
        let mut finish = FinishReason::Eos;
        for (i, word) in reply.split_inclusive(' ').enumerate() {
            if request.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
                self.log.cancelled.fetch_add(1, Ordering::SeqCst);
                finish = FinishReason::Cancelled;
                break;
            }
            if i == request.max_tokens {
                finish = FinishReason::Length;
                break;
            }
            let before = text.len();
            text.push_str(word);
            if let Some(s) = request.stop.iter().find(|s| text.contains(s.as_str())) {
                text.truncate(text.find(s.as_str()).unwrap_or(before));
                on_text(&text[before.min(text.len())..]);
                finish = FinishReason::Stop {
                    sequence: s.clone(),
                };
                break;
            }
            on_text(word);
            std::thread::sleep(delay);
        }
        if finish != FinishReason::Cancelled {
            self.log.finished.fetch_add(1, Ordering::SeqCst);
        }
        Ok(Generation {
            tokens: vec![0; text.split_whitespace().count()],
            logprob: None,
            text,
            finish,
            timings: Timings {
                prefill_tokens: question.split_whitespace().count(),
                ..Timings::default()
            },
        })
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Chat
    }
}

/// A server on a free loopback port, on its own runtime.
struct Server {
    addr: SocketAddr,
    log: Arc<Log>,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start(queue: usize, deadline: Duration) -> Self {
        let log = Arc::new(Log::default());
        let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap();
        let worker = Worker::spawn(
            Box::new(Fake { log: log.clone() }),
            sandbox,
            PipelineConfig::default(),
            queue,
        )
        .unwrap();
        let state = Arc::new(AppState::new(worker, "fake-model".to_owned(), deadline));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(serve(listener, state));
        Self { addr, log, runtime }
    }

    fn new() -> Self {
        Self::start(4, Duration::from_secs(60))
    }

    fn post(&self, body: &Value) -> client::Reply {
        self.runtime
            .block_on(client::post(
                self.addr,
                "/v1/chat/completions",
                &body.to_string(),
            ))
            .unwrap()
    }

    fn post_raw(&self, body: &str) -> client::Reply {
        self.runtime
            .block_on(client::post(self.addr, "/v1/chat/completions", body))
            .unwrap()
    }

    fn get(&self, path: &str) -> client::Reply {
        self.runtime.block_on(client::get(self.addr, path)).unwrap()
    }

    /// A streaming request's events, parsed, up to and without `[DONE]`.
    fn stream(&self, body: &Value) -> Vec<Value> {
        let events = self
            .runtime
            .block_on(async {
                let mut s =
                    EventStream::open(self.addr, "/v1/chat/completions", &body.to_string()).await?;
                assert_eq!(s.status, 200);
                let mut events = Vec::new();
                while let Some(e) = s.next().await? {
                    events.push(e);
                }
                anyhow::Ok(events)
            })
            .unwrap();
        assert_eq!(
            events.last().map(String::as_str),
            Some("[DONE]"),
            "{events:?}"
        );
        events[..events.len() - 1]
            .iter()
            .map(|e| serde_json::from_str(e).unwrap())
            .collect()
    }

    fn wait_for(&self, what: &str, check: impl Fn(&Log) -> bool) {
        let start = Instant::now();
        while !check(&self.log) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn ask(question: &str) -> Value {
    json!({"model": "fake-model", "messages": [{"role": "user", "content": question}]})
}

fn content(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[test]
fn health_and_models() {
    let s = Server::new();
    let h = s.get("/health").json().unwrap();
    assert_eq!(
        (h["status"].as_str(), h["model"].as_str()),
        (Some("ok"), Some("fake-model"))
    );
    assert_eq!(h["queue"]["capacity"], 4);
    let m = s.get("/v1/models").json().unwrap();
    assert_eq!(m["object"], "list");
    assert_eq!(m["data"][0]["id"], "fake-model");
    assert_eq!(m["data"][0]["object"], "model");
}

#[test]
fn a_completion_has_the_openai_shape_and_the_flinch_field() {
    let s = Server::new();
    let r = s.post(&ask("echo Paris is the capital of France."));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let v = r.json().unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "fake-model");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    let choice = &v["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(
        choice["message"]["content"],
        "Paris is the capital of France."
    );
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(v["usage"]["completion_tokens"], 6);
    assert_eq!(v["usage"]["prompt_tokens"], 7);
    assert_eq!(v["usage"]["total_tokens"], 13);
    assert_eq!(v["flinch"]["route"], "chat");
    assert!(v["flinch"].get("trace").is_none(), "trace only on request");
}

#[test]
fn the_trace_comes_back_on_request_and_a_formula_uses_the_calculator() {
    let s = Server::new();
    let mut body = ask("What is 17 * 23?");
    body["flinch"] = json!({"trace": true});
    let v = s.post(&body).json().unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "The answer is 391.");
    assert_eq!(v["flinch"]["route"], "calculator");
    assert_eq!(v["flinch"]["evidence"]["kind"], "program");
    assert_eq!(v["flinch"]["evidence"]["program"], "17 * 23");
    let stages: Vec<&str> = v["flinch"]["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["route", "program", "post_pass"]);
    assert!(
        s.log.seen.lock().unwrap().is_empty(),
        "no model call for a formula"
    );
}

#[test]
fn request_fields_reach_the_model() {
    let s = Server::new();
    let mut body = ask("echo one two three four five six");
    body["temperature"] = json!(0.5);
    body["top_p"] = json!(0.8);
    body["max_tokens"] = json!(3);
    body["stop"] = json!(["six"]);
    body["seed"] = json!(42);
    let v = s.post(&body).json().unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "one two three");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    let seen = s.log.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [Seen {
            question: "echo one two three four five six".to_owned(),
            sampling: Sampling::Random {
                temperature: 0.5,
                top_k: None,
                top_p: Some(0.8)
            },
            max_tokens: 3,
            stop: vec!["six".to_owned()],
        }]
    );
    let mut body = ask("echo alpha beta. gamma");
    body["stop"] = json!(". g");
    let v = s.post(&body).json().unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "alpha beta");
}

#[test]
fn streaming_sends_role_content_finish_usage_and_done() {
    let s = Server::new();
    let text =
        "The Seine flows through Paris, and the city has about two million people living in it.";
    let mut body = ask(&format!("echo {text}"));
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let events = s.stream(&body);
    assert_eq!(events[0]["object"], "chat.completion.chunk");
    assert_eq!(
        events[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    assert_eq!(content(&events), text);
    // The hold-back window: more than one content chunk, and the first one
    // only after the window filled.
    assert!(events.len() > 4, "{events:?}");
    let last = &events[events.len() - 2];
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["flinch"]["route"], "chat");
    let usage = &events[events.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 16);
}

#[test]
fn streamed_retractions_never_reach_the_client() {
    let s = Server::new();
    let mut body = ask("retract");
    body["stream"] = json!(true);
    let events = s.stream(&body);
    let streamed = content(&events);
    for artifact in ["Wait", "recheck", "Corrected"] {
        assert!(!streamed.contains(artifact), "{streamed:?}");
    }
    assert!(RETRACTION.starts_with(&streamed));
    let last = events.last().unwrap();
    assert_eq!(last["flinch"]["revised"], true);
    assert_eq!(last["flinch"]["text"], "He spends $280.");

    // Raw: no post-passes, nothing held back or revised.
    body["flinch"] = json!({"route": "raw"});
    let events = s.stream(&body);
    assert_eq!(content(&events), RETRACTION);
    assert!(events.last().unwrap()["flinch"].get("revised").is_none());
    assert_eq!(events.last().unwrap()["flinch"]["route"], Value::Null);

    // Not streamed: the repaired text.
    let v = s.post(&ask("retract")).json().unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "He spends $280.");
}

#[test]
fn client_mistakes_are_400_naming_the_field_never_500() {
    let s = Server::new();
    let cases = [
        ("{\"messages\": [", None),
        (
            "{\"messages\": [{\"role\": \"user\"}]}",
            Some("messages[0].content"),
        ),
        (
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}",
            Some("temperature"),
        ),
        (
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"flinch\": {\"route\": \"magic\"}}",
            Some("flinch.route"),
        ),
    ];
    for (body, param) in cases {
        let r = s.post_raw(body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let e = r.json().unwrap();
        assert_eq!(e["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(e["error"]["param"].as_str(), param, "{body}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = s.get("/v1/nothing");
    assert_eq!(r.status, 404);
    assert_eq!(r.json().unwrap()["error"]["type"], "invalid_request_error");
    let r = s.get("/v1/chat/completions");
    assert_eq!(r.status, 405);
    assert_eq!(
        r.json().unwrap()["error"]["message"],
        "wrong method: chat completions are POSTed, the other endpoints are GET"
    );
    let huge = format!(
        "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}]}}",
        "x".repeat(3 << 20)
    );
    let r = s.post_raw(&huge);
    assert_eq!(r.status, 413);
    assert_eq!(r.json().unwrap()["error"]["type"], "invalid_request_error");
}

#[test]
fn a_full_queue_answers_429_with_retry_after_and_the_server_recovers() {
    let s = Server::start(1, Duration::from_secs(60));
    let mut slow = ask("slow");
    slow["stream"] = json!(true);
    s.runtime.block_on(async {
        // One answering, one waiting: the queue of one is full.
        let first = EventStream::open(s.addr, "/v1/chat/completions", &slow.to_string())
            .await
            .unwrap();
        s.wait_for("the first request to start", |l| {
            !l.seen.lock().unwrap().is_empty()
        });
        let second = EventStream::open(s.addr, "/v1/chat/completions", &slow.to_string())
            .await
            .unwrap();
        let third = client::post(s.addr, "/v1/chat/completions", &ask("echo hi").to_string())
            .await
            .unwrap();
        assert_eq!(third.status, 429, "{}", third.body);
        assert!(third.retry_after.is_some_and(|s| s >= 1), "{third:?}");
        let e = third.json().unwrap();
        assert_eq!(e["error"]["type"], "rate_limit_error");
        assert_eq!(e["error"]["code"], "queue_full");
        drop((first, second));
    });
    s.wait_for("the slow answer to be cancelled", |l| {
        l.cancelled.load(Ordering::SeqCst) >= 1
    });
    let r = s.post(&ask("echo back again"));
    assert_eq!(
        r.json().unwrap()["choices"][0]["message"]["content"],
        "back again"
    );
}

#[test]
fn a_client_that_disconnects_mid_stream_cancels_its_generation() {
    let s = Server::new();
    let mut slow = ask("slow");
    slow["stream"] = json!(true);
    let start = Instant::now();
    s.runtime.block_on(async {
        let mut stream = EventStream::open(s.addr, "/v1/chat/completions", &slow.to_string())
            .await
            .unwrap();
        // The role chunk, then the first content past the hold-back window.
        stream.next().await.unwrap().unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert!(first.contains(r#""delta":{"content":"w"#), "{first}");
    });
    s.wait_for("the cancellation", |l| {
        l.cancelled.load(Ordering::SeqCst) == 1
    });
    // 300 words at 20 ms would take 6 s.
    assert!(start.elapsed() < Duration::from_secs(4));
    assert_eq!(s.log.finished.load(Ordering::SeqCst), 0);
    let r = s.post(&ask("echo still serving"));
    assert_eq!(
        r.json().unwrap()["choices"][0]["message"]["content"],
        "still serving"
    );
}

#[test]
fn a_client_that_disconnects_while_waiting_cancels_its_generation() {
    let s = Server::new();
    s.runtime.block_on(async {
        let body = ask("slow").to_string();
        let pending = client::post(s.addr, "/v1/chat/completions", &body);
        let gone = tokio::time::timeout(Duration::from_millis(300), pending).await;
        assert!(gone.is_err(), "the slow answer cannot be done yet");
    });
    s.wait_for("the cancellation", |l| {
        l.cancelled.load(Ordering::SeqCst) == 1
    });
    assert_eq!(s.log.finished.load(Ordering::SeqCst), 0);
}

#[test]
fn the_deadline_cancels_the_answer_and_answers_504() {
    let s = Server::start(4, Duration::from_secs(1));
    let start = Instant::now();
    let r = s.post(&ask("slow"));
    assert_eq!(r.status, 504, "{}", r.body);
    let e = r.json().unwrap();
    assert_eq!(e["error"]["code"], "deadline_exceeded");
    assert_eq!(
        e["error"]["message"],
        "the answer did not finish within the deadline of 1 s"
    );
    assert!(start.elapsed() < Duration::from_secs(3));
    s.wait_for("the cancellation", |l| {
        l.cancelled.load(Ordering::SeqCst) == 1
    });
}

#[test]
fn the_chat_page_and_its_files_are_served() {
    let s = Server::new();
    let page = s.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body.contains("<script src=\"/app.js\"></script>"));
    let script = s.get("/app.js");
    assert!(script.body.contains("/v1/chat/completions"));
    assert_eq!(s.get("/style.css").status, 200);
}
