//! The engine thread: one pipeline (one engine) answering one request at a
//! time, fed by a bounded queue. A full queue is refused at once (429 with
//! an estimate of the wait), never buffered without bound. A job whose
//! client has gone or whose deadline has passed is cancelled through its
//! `AnswerOptions::cancel` flag: skipped while queued, stopped at the next
//! token while generating.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flinch_engine::{GenerateRequest, Generation};
use flinch_guardrails::{
    Answer, AnswerOptions, Conversation, Llm, Pipeline, PipelineConfig, PromptStyle,
};
use flinch_sandbox::Sandbox;
use serde::Serialize;
use tokio::sync::mpsc;

use super::error::ApiError;

/// Requests that may wait for the engine while it answers another.
pub const DEFAULT_QUEUE: usize = 8;

/// One request for the engine thread.
pub struct Job {
    pub conversation: Conversation,
    pub options: AnswerOptions,
    /// Send the answer text as it is generated.
    pub stream: bool,
    pub events: mpsc::UnboundedSender<JobEvent>,
}

/// What the engine thread reports about a job.
#[derive(Debug)]
pub enum JobEvent {
    /// Text of the answer as generated (before post-passes; only when the
    /// job streams).
    Delta(String),
    Done(Result<Outcome, ApiError>),
}

#[derive(Debug)]
pub struct Outcome {
    pub answer: Answer,
    pub usage: Usage,
}

/// Tokens the engine processed for one answer, over all its generations
/// (a tool route samples several programs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// Token counters shared between the metered model and the engine thread.
#[derive(Debug, Default)]
struct Meter {
    prompt: AtomicU64,
    completion: AtomicU64,
}

impl Meter {
    fn add(&self, g: &Generation) {
        let t = &g.timings;
        self.prompt.fetch_add(
            (t.prefill_tokens + t.reused_prompt_tokens) as u64,
            Ordering::Relaxed,
        );
        self.completion
            .fetch_add(g.tokens.len() as u64, Ordering::Relaxed);
    }

    fn read(&self) -> (u64, u64) {
        (
            self.prompt.load(Ordering::Relaxed),
            self.completion.load(Ordering::Relaxed),
        )
    }
}

/// The model behind the pipeline, counting tokens for `usage`.
struct Metered {
    inner: Box<dyn Llm + Send>,
    meter: Arc<Meter>,
}

impl Llm for Metered {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        let g = self.inner.generate(request, on_text)?;
        self.meter.add(&g);
        Ok(g)
    }

    fn generate_batch(
        &mut self,
        requests: Vec<GenerateRequest>,
    ) -> Vec<flinch_guardrails::Result<Generation>> {
        let out = self.inner.generate_batch(requests);
        out.iter().flatten().for_each(|g| self.meter.add(g));
        out
    }

    fn continuation_logprob(
        &mut self,
        context: &str,
        continuation: &str,
    ) -> flinch_guardrails::Result<Option<f64>> {
        self.inner.continuation_logprob(context, continuation)
    }

    fn prompt_style(&self) -> PromptStyle {
        self.inner.prompt_style()
    }

    fn token_tables(&self) -> Option<Arc<flinch_guardrails::routes::grammar::TokenTables>> {
        self.inner.token_tables()
    }
}

/// What `/health` reports about the engine thread.
#[derive(Debug, Clone, Serialize)]
pub struct QueueState {
    /// Requests waiting for the engine.
    pub waiting: usize,
    pub capacity: usize,
    /// The engine is answering a request.
    pub busy: bool,
    /// Answers finished since the start.
    pub served: u64,
    /// Moving average of the time one answer takes, in milliseconds.
    pub average_ms: u64,
}

#[derive(Debug, Default)]
struct Stats {
    busy: AtomicBool,
    served: AtomicU64,
    average_ms: AtomicU64,
}

impl Stats {
    fn record(&self, took: Duration) {
        let ms = took.as_millis() as u64;
        let old = self.average_ms.load(Ordering::Relaxed);
        // Exponential moving average over about the last 8 answers.
        let new = if self.served.load(Ordering::Relaxed) == 0 {
            ms
        } else {
            (old * 7 + ms) / 8
        };
        self.average_ms.store(new, Ordering::Relaxed);
        self.served.fetch_add(1, Ordering::Relaxed);
    }
}

/// The handle the HTTP side holds.
#[derive(Clone)]
pub struct Worker {
    queue: mpsc::Sender<Job>,
    capacity: usize,
    stats: Arc<Stats>,
}

impl Worker {
    /// Start the engine thread around a pipeline built from `llm`.
    pub fn spawn(
        llm: Box<dyn Llm + Send>,
        sandbox: Sandbox,
        config: PipelineConfig,
        capacity: usize,
    ) -> std::io::Result<Self> {
        let meter = Arc::new(Meter::default());
        let metered = Metered {
            inner: llm,
            meter: meter.clone(),
        };
        let pipeline = Pipeline::new(Box::new(metered), sandbox, config);
        let capacity = capacity.max(1);
        let (queue, jobs) = mpsc::channel(capacity);
        let stats = Arc::new(Stats::default());
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("flinch-engine".to_owned())
            .spawn(move || run(pipeline, &meter, jobs, &thread_stats))?;
        Ok(Self {
            queue,
            capacity,
            stats,
        })
    }

    /// Queue a job, or refuse it at once when the queue is full.
    pub fn submit(&self, job: Job) -> Result<(), ApiError> {
        match self.queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                let state = self.state();
                Err(ApiError::QueueFull {
                    waiting: state.waiting,
                    retry_after_s: retry_after(&state),
                })
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(ApiError::Unavailable),
        }
    }

    pub fn state(&self) -> QueueState {
        QueueState {
            waiting: self.capacity - self.queue.capacity(),
            capacity: self.capacity,
            busy: self.stats.busy.load(Ordering::Relaxed),
            served: self.stats.served.load(Ordering::Relaxed),
            average_ms: self.stats.average_ms.load(Ordering::Relaxed),
        }
    }
}

/// Seconds until a place in the queue is likely free: the queue ahead,
/// at the average answer time; at least one second.
fn retry_after(state: &QueueState) -> u64 {
    let ms = state.average_ms.max(1) * (state.waiting as u64 + 1);
    ms.div_ceil(1000).max(1)
}

fn run(mut pipeline: Pipeline, meter: &Meter, mut jobs: mpsc::Receiver<Job>, stats: &Stats) {
    while let Some(job) = jobs.blocking_recv() {
        if job.options.cancel.is_cancelled() || job.events.is_closed() {
            continue;
        }
        stats.busy.store(true, Ordering::Relaxed);
        let start = Instant::now();
        let before = meter.read();
        let events = &job.events;
        let result = catch_unwind(AssertUnwindSafe(|| {
            pipeline.answer(&job.conversation, &job.options, &mut |delta| {
                if job.stream {
                    let _ = events.send(JobEvent::Delta(delta.to_owned()));
                }
            })
        }));
        let after = meter.read();
        // A cancelled answer says nothing about how long answers take.
        if !job.options.cancel.is_cancelled() {
            stats.record(start.elapsed());
        }
        stats.busy.store(false, Ordering::Relaxed);
        let usage = Usage {
            prompt_tokens: after.0 - before.0,
            completion_tokens: after.1 - before.1,
            total_tokens: (after.0 - before.0) + (after.1 - before.1),
        };
        let result = match result {
            Ok(Ok(answer)) => Ok(Outcome { answer, usage }),
            Ok(Err(e)) => Err(ApiError::from(e)),
            Err(panic) => Err(ApiError::Internal {
                message: format!("the pipeline panicked: {}", panic_text(&panic)),
            }),
        };
        let _ = events.send(JobEvent::Done(result));
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_grows_with_the_queue_and_is_at_least_a_second() {
        let state = |waiting, average_ms| QueueState {
            waiting,
            capacity: 8,
            busy: true,
            served: 10,
            average_ms,
        };
        assert_eq!(retry_after(&state(8, 0)), 1);
        assert_eq!(retry_after(&state(8, 50)), 1);
        assert_eq!(retry_after(&state(8, 400)), 4);
        assert_eq!(retry_after(&state(3, 2500)), 10);
    }
}
