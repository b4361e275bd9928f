//! `flinch bench serve`: a load test of `flinch serve` on loopback. It
//! starts the server as a child process (the same binary and flags a user
//! runs), sends short requests from concurrent clients, and reports latency
//! percentiles, throughput, how every request ended (a completion or an
//! explicit 429; none lost, no 5xx), the server's RSS over the run, and the
//! latency cost of the streaming hold-back buffer.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::serve::DEFAULT_QUEUE;
use super::serve::client::{self, EventStream};
use super::setup::EngineOpts;

#[derive(Debug, Args)]
pub struct ServeBenchArgs {
    /// Concurrent clients.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub clients: usize,
    /// Requests in total.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub requests: usize,
    #[command(flatten)]
    pub engine: EngineOpts,
    /// Queue of the server under test (`flinch serve --queue`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_QUEUE)]
    pub queue: usize,
    /// Token budget of each generated answer.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_tokens: usize,
    /// Every Nth request streams and its client disconnects after the first
    /// chunk, as a killed client would (0: never).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub abandon_every: usize,
    /// Streamed answers timed for the hold-back cost, guarded and raw each.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub stream_samples: usize,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The short requests the clients cycle through: two formulas (calculator
/// route, no model call), a guarded chat answer and a raw answer.
const QUESTIONS: [(&str, &str); 4] = [
    ("What is 17 * 23?", "auto"),
    ("Say hello.", "auto"),
    ("What is (12 + 30) / 7?", "auto"),
    ("Name a colour.", "raw"),
];

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Completed {
        ms: f64,
    },
    /// 429 with its Retry-After.
    Rejected {
        retry_after_s: Option<u64>,
    },
    /// Disconnected on purpose after the first chunk.
    Abandoned,
    ClientError(u16),
    ServerError(u16),
    /// No response, or a response without a completion.
    Lost,
}

#[derive(Debug, Serialize)]
struct Report {
    command: String,
    clients: usize,
    requests: usize,
    completed: usize,
    rejected_429: usize,
    rejected_without_retry_after: usize,
    abandoned: usize,
    client_errors: usize,
    server_errors: usize,
    lost: usize,
    seconds: f64,
    completions_per_s: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    latency_max_ms: f64,
    /// Server RSS after the warm-up and at every tenth of the run, in MiB.
    rss_mib: Vec<f64>,
    /// Server still answering `/health` after the run.
    healthy_after: bool,
    /// Time to the first content chunk, p50 in ms: guarded (held back) vs raw.
    first_content_guarded_p50_ms: f64,
    first_content_raw_p50_ms: f64,
    /// Whole streamed answer, p50 in ms: guarded vs raw.
    stream_total_guarded_p50_ms: f64,
    stream_total_raw_p50_ms: f64,
}

/// The server under test; killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(args: &ServeBenchArgs) -> anyhow::Result<ServerProcess> {
    let exe = std::env::current_exe().context("locating the flinch binary")?;
    let mut command = Command::new(exe);
    command.args(["serve", "--host", "127.0.0.1", "--port", "0", "--queue"]);
    command.arg(args.queue.to_string());
    if let Some(model) = &args.engine.model.model {
        command.args(["--model", model]);
    }
    if let Some(threads) = args.engine.threads {
        command.args(["--threads", &threads.to_string()]);
    }
    command.stdout(Stdio::piped()).stdin(Stdio::null());
    let mut child = command.spawn().context("starting flinch serve")?;
    let stdout = child.stdout.take().context("no stdout from flinch serve")?;
    let mut server = ServerProcess {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(url) = line.strip_prefix("flinch serve: listening on http://") {
            server.addr = url.trim().parse().context("parsing the server's address")?;
            return Ok(server);
        }
    }
    bail!("flinch serve exited before listening (its errors are above)")
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn body(i: usize, max_tokens: usize, stream: bool) -> Value {
    let (question, route) = QUESTIONS[i % QUESTIONS.len()];
    json!({
        "model": "flinch",
        "messages": [{"role": "user", "content": question}],
        "max_tokens": max_tokens,
        "seed": i,
        "stream": stream,
        "flinch": {"route": route},
    })
}

async fn one(addr: SocketAddr, i: usize, args: &ServeBenchArgs) -> Outcome {
    const PATH: &str = "/v1/chat/completions";
    if args.abandon_every > 0 && i % args.abandon_every == args.abandon_every - 1 {
        // A chat answer long enough to be cut short.
        let mut b = body(1, 64, true);
        b["seed"] = json!(i);
        let Ok(mut stream) = EventStream::open(addr, PATH, &b.to_string()).await else {
            return Outcome::Lost;
        };
        return match stream.status {
            200 => match stream.next().await {
                Ok(Some(_)) => Outcome::Abandoned,
                _ => Outcome::Lost,
            },
            429 => Outcome::Rejected {
                retry_after_s: stream.retry_after,
            },
            s if s >= 500 => Outcome::ServerError(s),
            s => Outcome::ClientError(s),
        };
    }
    let start = Instant::now();
    let reply = match client::post(addr, PATH, &body(i, args.max_tokens, false).to_string()).await {
        Ok(r) => r,
        Err(_) => return Outcome::Lost,
    };
    match reply.status {
        200 => {
            let ok = reply.content_type.as_deref() == Some("application/json")
                && reply
                    .json()
                    .is_ok_and(|v| v["choices"][0]["message"]["content"].is_string());
            if ok {
                Outcome::Completed {
                    ms: start.elapsed().as_secs_f64() * 1e3,
                }
            } else {
                Outcome::Lost
            }
        }
        429 => Outcome::Rejected {
            retry_after_s: reply.retry_after,
        },
        s if s >= 500 => Outcome::ServerError(s),
        s => Outcome::ClientError(s),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Time to the first content chunk and to `[DONE]` of one streamed answer.
async fn timed_stream(addr: SocketAddr, route: &str, seed: usize) -> anyhow::Result<(f64, f64)> {
    let b = json!({
        "messages": [{"role": "user", "content": "Describe the sea in two sentences."}],
        "max_tokens": 48,
        "seed": seed,
        "stream": true,
        "flinch": {"route": route},
    });
    let start = Instant::now();
    let mut stream = EventStream::open(addr, "/v1/chat/completions", &b.to_string()).await?;
    anyhow::ensure!(
        stream.status == 200,
        "streaming request got {}",
        stream.status
    );
    let mut first = None;
    while let Some(data) = stream.next().await? {
        if data == "[DONE]" {
            break;
        }
        let v: Value = serde_json::from_str(&data)?;
        let has_text = v["choices"][0]["delta"]["content"]
            .as_str()
            .is_some_and(|c| !c.is_empty());
        if has_text && first.is_none() {
            first = Some(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let total = start.elapsed().as_secs_f64() * 1e3;
    Ok((first.unwrap_or(total), total))
}

pub fn run(args: ServeBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.clients > 0 && args.requests > 0,
        "--clients and --requests must be at least 1"
    );
    let server = start_server(&args)?;
    let addr = server.addr;
    let pid = server.child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        // Warm-up: each kind of request once.
        for i in 0..QUESTIONS.len() {
            let r = client::post(
                addr,
                "/v1/chat/completions",
                &body(i, args.max_tokens, false).to_string(),
            )
            .await?;
            anyhow::ensure!(
                r.status == 200,
                "warm-up request {i} got {}: {}",
                r.status,
                r.body
            );
        }
        let rss = Arc::new(Mutex::new(vec![rss_mib(pid)]));
        let next = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let args = Arc::new(args);
        let start = Instant::now();
        let mut clients = Vec::new();
        for _ in 0..args.clients {
            let (next, done, rss, args) = (next.clone(), done.clone(), rss.clone(), args.clone());
            clients.push(tokio::spawn(async move {
                let mut outcomes = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= args.requests {
                        break;
                    }
                    let outcome = one(addr, i, &args).await;
                    outcomes.push(outcome);
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if n % (args.requests / 10).max(1) == 0 {
                        rss.lock().await.push(rss_mib(pid));
                        if !args.json {
                            eprintln!("{n}/{} requests", args.requests);
                        }
                    }
                    if let Outcome::Rejected { retry_after_s } = outcome {
                        // A polite client waits as told.
                        tokio::time::sleep(Duration::from_secs(retry_after_s.unwrap_or(1))).await;
                    }
                }
                outcomes
            }));
        }
        let mut outcomes = Vec::new();
        for c in clients {
            outcomes.extend(c.await?);
        }
        let seconds = start.elapsed().as_secs_f64();
        let healthy_after = client::get(addr, "/health")
            .await
            .is_ok_and(|r| r.status == 200);
        let mut guarded = Vec::new();
        let mut raw = Vec::new();
        for i in 0..args.stream_samples {
            guarded.push(timed_stream(addr, "chat", i).await?);
            raw.push(timed_stream(addr, "raw", i).await?);
        }
        let rss = rss.lock().await.clone();
        Ok::<_, anyhow::Error>(summarise(
            &args,
            outcomes,
            seconds,
            rss,
            healthy_after,
            &guarded,
            &raw,
        ))
    })?;
    drop(server);
    if report.json_requested {
        println!("{}", serde_json::to_string_pretty(&report.report)?);
    } else {
        print_report(&report.report);
    }
    let r = &report.report;
    anyhow::ensure!(
        r.lost == 0 && r.server_errors == 0 && r.client_errors == 0 && r.healthy_after,
        "{} requests lost, {} server errors, {} other client errors, healthy after the run: {}",
        r.lost,
        r.server_errors,
        r.client_errors,
        r.healthy_after
    );
    Ok(ExitCode::SUCCESS)
}

struct Summary {
    report: Report,
    json_requested: bool,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    percentile(&xs, 50.0)
}

fn summarise(
    args: &ServeBenchArgs,
    outcomes: Vec<Outcome>,
    seconds: f64,
    rss_mib: Vec<f64>,
    healthy_after: bool,
    guarded: &[(f64, f64)],
    raw: &[(f64, f64)],
) -> Summary {
    let mut latencies: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Completed { ms } => Some(*ms),
            _ => None,
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let mut command = format!(
        "flinch bench serve --clients {} --requests {} --queue {} --max-tokens {} --abandon-every {}",
        args.clients, args.requests, args.queue, args.max_tokens, args.abandon_every
    );
    if let Some(m) = &args.engine.model.model {
        command.push_str(&format!(" --model {m}"));
    }
    let report = Report {
        command,
        clients: args.clients,
        requests: outcomes.len(),
        completed: latencies.len(),
        rejected_429: count(&|o| matches!(o, Outcome::Rejected { .. })),
        rejected_without_retry_after: count(&|o| {
            matches!(
                o,
                Outcome::Rejected {
                    retry_after_s: None
                }
            )
        }),
        abandoned: count(&|o| matches!(o, Outcome::Abandoned)),
        client_errors: count(&|o| matches!(o, Outcome::ClientError(_))),
        server_errors: count(&|o| matches!(o, Outcome::ServerError(_))),
        lost: count(&|o| matches!(o, Outcome::Lost)),
        seconds,
        completions_per_s: latencies.len() as f64 / seconds,
        latency_p50_ms: percentile(&latencies, 50.0),
        latency_p99_ms: percentile(&latencies, 99.0),
        latency_max_ms: latencies.last().copied().unwrap_or(0.0),
        rss_mib,
        healthy_after,
        first_content_guarded_p50_ms: median(guarded.iter().map(|g| g.0).collect()),
        first_content_raw_p50_ms: median(raw.iter().map(|r| r.0).collect()),
        stream_total_guarded_p50_ms: median(guarded.iter().map(|g| g.1).collect()),
        stream_total_raw_p50_ms: median(raw.iter().map(|r| r.1).collect()),
    };
    Summary {
        report,
        json_requested: args.json,
    }
}

fn print_report(r: &Report) {
    println!("{}", r.command);
    println!(
        "{} requests from {} clients in {:.1} s: {} completed, {} answered 429 ({} without Retry-After), {} abandoned mid-stream on purpose",
        r.requests,
        r.clients,
        r.seconds,
        r.completed,
        r.rejected_429,
        r.rejected_without_retry_after,
        r.abandoned
    );
    println!(
        "lost: {}   5xx: {}   other 4xx: {}   healthy after the run: {}",
        r.lost, r.server_errors, r.client_errors, r.healthy_after
    );
    println!(
        "completions: {:.2}/s   latency p50 {:.0} ms   p99 {:.0} ms   max {:.0} ms",
        r.completions_per_s, r.latency_p50_ms, r.latency_p99_ms, r.latency_max_ms
    );
    let rss: Vec<String> = r.rss_mib.iter().map(|m| format!("{m:.0}")).collect();
    println!(
        "server RSS (MiB, after warm-up then every 10%): {}",
        rss.join(" ")
    );
    println!(
        "streamed answer (48 tokens), p50: first content {:.0} ms guarded vs {:.0} ms raw; whole answer {:.0} ms vs {:.0} ms",
        r.first_content_guarded_p50_ms,
        r.first_content_raw_p50_ms,
        r.stream_total_guarded_p50_ms,
        r.stream_total_raw_p50_ms
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let xs: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&xs, 50.0), 50.0);
        assert_eq!(percentile(&xs, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
