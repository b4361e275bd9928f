//! Guarded items answered concurrently: one thread and one `Pipeline` per
//! worker, all pipelines on one [`Batcher`], so the generations of the
//! items in flight are decoded together.
//!
//! The calling thread dispatches: it asks the [`Queue`] for the next job
//! whenever a worker is free and hands each answer back as it arrives (in
//! the order the answers finish, not the items'). A worker is a batcher
//! member exactly while it has a job: its membership ends when its answer
//! is done, before the answer is scored (or judged), so the batcher does
//! not wait for an idle worker; all jobs dispatched together join before
//! any of them generates.
//!
//! A panic while answering (in the pipeline or the model) stops the run
//! with an error and writes nothing for that item, as it would without the
//! pool: a model that panicked cannot be trusted for the items after it.
//!
//! Seconds per item: an answer's time is shared with the answers running
//! beside it. Each answer is charged every interval of its run divided by
//! the number of answers running then, so the charges of a run add up to
//! its wall-clock time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use flinch_guardrails::batcher::{Batcher, Member};
use flinch_guardrails::{Answer, AnswerOptions, Conversation, Pipeline};

/// One item to answer.
pub struct Job {
    /// The caller's index of the item, handed back with its answer.
    pub index: usize,
    pub conversation: Conversation,
    pub options: AnswerOptions,
}

/// What came back for a job.
pub struct Answered {
    pub index: usize,
    /// `Err` holds the error chain.
    pub answer: Result<Answer, String>,
    /// The item's share of the wall-clock time (see the module doc).
    pub seconds: f64,
}

/// The caller's side of the dispatch.
pub trait Queue {
    /// The next job that can run now; `None` when none can (the answers in
    /// flight may make one ready, e.g. a second turn waiting for its first).
    fn next(&mut self) -> anyhow::Result<Option<Job>>;

    fn answered(&mut self, answered: Answered) -> anyhow::Result<()>;
}

/// Time shares of the answers in flight.
struct Shares {
    running: Vec<(usize, f64)>,
    since: Instant,
}

impl Shares {
    /// Charge the time since the last event to the answers running.
    fn tick(&mut self) {
        let now = Instant::now();
        let dt = now.duration_since(self.since).as_secs_f64();
        self.since = now;
        let n = self.running.len();
        for (_, s) in &mut self.running {
            *s += dt / n as f64;
        }
    }

    fn start(&mut self, index: usize) {
        self.tick();
        self.running.push((index, 0.0));
    }

    fn finish(&mut self, index: usize) -> f64 {
        self.tick();
        let at = self.running.iter().position(|(i, _)| *i == index);
        at.map_or(0.0, |at| self.running.swap_remove(at).1)
    }
}

type Sent = (Job, Option<Member>);
/// The job's index and its answer, or `None` when answering panicked.
type Back = (usize, Option<Result<Answer, String>>);

/// Answer every job `queue` gives on one thread per pipeline. `batcher`
/// is the one the pipelines' models are clients of (`None` when they do
/// not share one; then answers still run side by side, unbatched).
pub fn answer_all(
    pipelines: &mut [Pipeline],
    batcher: Option<&Batcher>,
    queue: &mut dyn Queue,
) -> anyhow::Result<()> {
    let workers = pipelines.len();
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::channel::<Sent>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (back_tx, back_rx) = mpsc::channel::<Back>();
        for pipeline in pipelines.iter_mut() {
            let job_rx = job_rx.clone();
            let back_tx = back_tx.clone();
            scope.spawn(move || worker(pipeline, &job_rx, &back_tx));
        }
        drop(back_tx);

        let mut shares = Shares {
            running: Vec::new(),
            since: Instant::now(),
        };
        loop {
            // Fill the free workers; members are taken before any job is
            // sent, so that the jobs sent together batch together.
            let mut ready = Vec::new();
            while shares.running.len() + ready.len() < workers {
                match queue.next()? {
                    Some(job) => ready.push(job),
                    None => break,
                }
            }
            let members: Vec<Option<Member>> =
                ready.iter().map(|_| batcher.map(Batcher::member)).collect();
            for (job, member) in ready.into_iter().zip(members) {
                shares.start(job.index);
                job_tx
                    .send((job, member))
                    .ok()
                    .context("internal: every worker thread of the guarded run has stopped")?;
            }
            if shares.running.is_empty() {
                return Ok(());
            }
            let (index, answer) = back_rx
                .recv()
                .ok()
                .context("internal: every worker thread of the guarded run has stopped")?;
            let seconds = shares.finish(index);
            let Some(answer) = answer else {
                anyhow::bail!(
                    "the pipeline panicked while answering a guarded item; nothing was written for it (rerun the same command to resume)"
                );
            };
            if batcher.is_some_and(Batcher::is_broken) {
                anyhow::bail!(
                    "the model panicked during a batched generation; the answers of the items in flight were not written (rerun the same command to resume)"
                );
            }
            queue.answered(Answered {
                index,
                answer,
                seconds,
            })?;
        }
    })
}

/// A worker: answer jobs until the dispatcher hangs up.
fn worker(pipeline: &mut Pipeline, jobs: &Mutex<mpsc::Receiver<Sent>>, back: &mpsc::Sender<Back>) {
    loop {
        let received = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((job, member)) = received else {
            return;
        };
        let answer = catch_unwind(AssertUnwindSafe(|| {
            pipeline.answer(&job.conversation, &job.options, &mut |_| {})
        }));
        // The answer is done: the batcher no longer waits for this worker.
        drop(member);
        let answer = match answer {
            Ok(Ok(a)) => Some(Ok(a)),
            Ok(Err(e)) => Some(Err(format!("{e:#}"))),
            Err(_) => None,
        };
        let panicked = answer.is_none();
        if back.send((job.index, answer)).is_err() || panicked {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_wall_clock_time() {
        let t0 = Instant::now();
        let mut s = Shares {
            running: Vec::new(),
            since: t0,
        };
        s.start(0);
        s.start(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let a = s.finish(0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = s.finish(1);
        let wall = t0.elapsed().as_secs_f64();
        assert!((a + b - wall).abs() < 1e-3, "{a} + {b} != {wall}");
        // The second ran alone for its last 20 ms: it is charged more.
        assert!(b > a, "{b} <= {a}");
        assert_eq!(s.finish(7), 0.0);
    }
}
