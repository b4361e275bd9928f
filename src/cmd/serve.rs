//! `flinch serve`: an OpenAI-compatible chat-completions server in front of
//! the guardrails pipeline, and a chat page. One engine thread answers one
//! request at a time from a bounded queue ([`worker`]); the async side (axum
//! on tokio, [`http`]) parses ([`api`]), queues, streams through the
//! hold-back buffer ([`holdback`]) and cancels.

pub mod api;
pub mod client;
pub mod error;
pub mod holdback;
pub mod http;
pub mod web;
pub mod worker;

#[cfg(test)]
mod tests;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use flinch_engine::store::DEFAULT_MODEL;
use flinch_guardrails::PipelineConfig;

use super::setup::{self, EngineOpts};
pub use http::{AppState, router};
pub use worker::{DEFAULT_QUEUE, Worker};

/// Longest time one request may take, queueing included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// Serve on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (127.0.0.1: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free port and prints it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    #[command(flatten)]
    pub engine: EngineOpts,
    /// Requests that may wait while the engine answers another; more get 429
    /// with Retry-After.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_QUEUE)]
    pub queue: usize,
    /// Longest time one request may take, queueing included, in seconds;
    /// past it the answer is cancelled and the request gets 504.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_DEADLINE.as_secs())]
    pub deadline: u64,
}

/// The model id the server reports: the catalog name, or the file's stem.
fn model_id(model: Option<&str>) -> String {
    let name = model.unwrap_or(DEFAULT_MODEL);
    std::path::Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned())
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.queue > 0, "--queue must be at least 1");
    anyhow::ensure!(args.deadline > 0, "--deadline must be at least 1 second");
    let engine = args.engine.load()?;
    let worker = Worker::spawn(
        Box::new(engine),
        setup::sandbox()?,
        PipelineConfig::default(),
        args.queue,
    )
    .context("starting the engine thread")?;
    let state = Arc::new(AppState::new(
        worker,
        model_id(args.engine.model.model.as_deref()),
        Duration::from_secs(args.deadline),
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .with_context(|| format!("binding {}:{}", args.host, args.port))?;
        let addr = listener.local_addr()?;
        // Scripts (flinch bench serve, the tests) read this line for the port.
        println!("flinch serve: listening on http://{addr}");
        use std::io::Write as _;
        std::io::stdout().flush()?;
        eprintln!("chat page: http://{addr}/   API: http://{addr}/v1/chat/completions");
        serve(listener, state).await.context("serving")
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod model_id_tests {
    use super::*;

    #[test]
    fn model_id_is_the_catalog_name_or_the_file_stem() {
        assert_eq!(model_id(None), DEFAULT_MODEL);
        assert_eq!(model_id(Some("smollm2-135m")), "smollm2-135m");
        assert_eq!(
            model_id(Some("/models/my-model.Q4_K_M.gguf")),
            "my-model.Q4_K_M"
        );
    }
}
