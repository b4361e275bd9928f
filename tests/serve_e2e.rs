//! `flinch serve` end to end, as a user runs it: the real binary with the
//! default model on loopback (short generations), the official `openai`
//! Python client, and the chat page in headless Chromium. `./x test`
//! installs what these need (the catalog models, Debian's `chromium` and
//! `chromium-driver`, a venv with `openai` and `selenium` under
//! `target/e2e-venv`); a missing tool fails the test with what to run.

#[path = "../src/cmd/serve/client.rs"]
#[allow(dead_code)]
mod client;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A `flinch serve --port 0` child process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Self {
        Self::with_model("gemma3-270m")
    }

    fn with_model(model: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flinch"))
            .args([
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--queue",
                "4",
            ])
            .args(["--model", model])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting flinch serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("flinch serve: listening on http://") {
                        break url.trim().parse().unwrap();
                    }
                }
                _ => panic!(
                    "flinch serve exited before listening (is {model} fetched? `./x test` fetches it)"
                ),
            }
        };
        Self { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A tool the e2e checks need: `$VAR`, else `default`; missing is a failure
/// that says how to install it.
fn tool(var: &str, default: PathBuf) -> PathBuf {
    let path = std::env::var_os(var).map_or(default, PathBuf::from);
    assert!(
        path.exists(),
        "{} is missing: run `./x test`, which installs it (or set {var})",
        path.display()
    );
    path
}

fn python() -> PathBuf {
    tool(
        "FLINCH_E2E_PYTHON",
        root().join("target/e2e-venv/bin/python"),
    )
}

fn run_script(script: &str, args: &[&str]) {
    let start = Instant::now();
    let out = Command::new(python())
        .arg(root().join("tests/e2e").join(script))
        .args(args)
        .output()
        .expect("running python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    eprintln!("{} ({:.1} s)", stdout.trim(), start.elapsed().as_secs_f64());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_default_model_answers_short_requests_and_context_overflow_is_a_400() {
    let server = Server::start();
    let addr = server.addr;
    let rt = runtime();
    let post = |body: Value| {
        rt.block_on(client::post(
            addr,
            "/v1/chat/completions",
            &body.to_string(),
        ))
        .unwrap()
    };
    let r = post(json!({
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 6,
        "flinch": {"route": "chat"},
    }));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json().unwrap();
    let text = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(!text.trim().is_empty(), "{v}");
    assert!(
        v["usage"]["completion_tokens"].as_u64().unwrap() <= 6,
        "{v}"
    );

    // A conversation longer than the model's context is the client's mistake.
    let r = post(json!({
        "messages": [{"role": "user", "content": "hello world ".repeat(40_000)}],
        "max_tokens": 4,
    }));
    assert_eq!(r.status, 400, "{}", r.body);
    let e = r.json().unwrap();
    assert_eq!(e["error"]["code"], "context_length_exceeded", "{e}");
    assert_eq!(e["error"]["param"], "messages");

    let health = rt.block_on(client::get(addr, "/health")).unwrap();
    assert_eq!(health.json().unwrap()["status"], "ok");
}

#[test]
fn a_client_killed_mid_stream_cancels_its_generation_and_the_server_keeps_serving() {
    // Greedy, SmolLM2 writes this story up to any token limit (checked:
    // 1,500 tokens, finish_reason length, about a minute on two cores).
    let server = Server::with_model("smollm2-135m");
    let addr = server.addr;
    let rt = runtime();
    rt.block_on(async {
        let body = json!({
            "messages": [{"role": "user", "content": "Write a long story about the sea."}],
            "max_tokens": 1500,
            "stream": true,
            "flinch": {"route": "raw"},
        });
        let mut stream = client::EventStream::open(addr, "/v1/chat/completions", &body.to_string())
            .await
            .unwrap();
        assert_eq!(stream.status, 200);
        // Raw text is not held back: one event per token, well under way.
        for _ in 0..40 {
            let event = stream.next().await.unwrap().unwrap();
            assert_ne!(event, "[DONE]");
        }
        // Dropping the stream closes the connection, as a killed client.
    });
    let start = Instant::now();
    let r = rt
        .block_on(client::post(
            addr,
            "/v1/chat/completions",
            &json!({
                "messages": [{"role": "user", "content": "Say hi."}],
                "max_tokens": 4,
            })
            .to_string(),
        ))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the next answer waited {:?}: the killed client's generation went on",
        start.elapsed()
    );
    let h = rt
        .block_on(client::get(addr, "/health"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["queue"]["waiting"], 0);
}

#[test]
fn the_official_openai_python_client_works_against_the_server() {
    let python = python();
    assert!(python.exists());
    let server = Server::start();
    run_script("openai_client.py", &[&format!("{}/v1", server.url())]);
}

#[test]
fn the_chat_page_shows_the_answer_and_its_trace_in_headless_chromium() {
    let chromium = tool("FLINCH_E2E_CHROMIUM", PathBuf::from("/usr/bin/chromium"));
    let driver = tool(
        "FLINCH_E2E_CHROMEDRIVER",
        PathBuf::from("/usr/bin/chromedriver"),
    );
    let out_dir = root().join("target/e2e");
    std::fs::create_dir_all(&out_dir).unwrap();
    let screenshot = out_dir.join("chat-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let server = Server::start();
    run_script(
        "web_page.py",
        &[
            &format!("{}/", server.url()),
            screenshot.to_str().unwrap(),
            chromium.to_str().unwrap(),
            driver.to_str().unwrap(),
        ],
    );
    let png = std::fs::read(&screenshot).expect("the screenshot was saved");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}
