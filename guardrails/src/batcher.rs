//! Generations of several threads decoded together. Each thread answers its
//! own question through its own `Pipeline`, whose model is a [`Client`] of
//! one [`Batcher`]. The batcher holds a request until every member thread
//! is waiting on one (or the oldest has waited `linger`), then runs them all
//! as one `generate_batch` of the model underneath, so the weights are read
//! once per decoding step for all of them.
//!
//! A thread counts as a member while it holds a [`Member`]. A member that
//! waits a long time for something other than the model (another thread's
//! answer) drops its `Member` first, or the others wait for it until
//! `linger` runs out; short work between generations (a sandbox or solver
//! call) costs the others at most that wait. The linger counts from when
//! the model was last free, so requests queued while a batch ran wait for
//! the members of that batch to come back. A caller that is not a member
//! is served in the next batch. Scoring requests (`continuation_logprob`)
//! do not wait for the others: they run one by one as soon as the model is
//! free.
//!
//! A client's `generate` hands `on_text` the whole text when the batch is
//! done: nothing streams while a batch decodes. Each request has its own
//! result: one that fails (an invalid prompt, a failing constraint) does not
//! fail the others of its batch.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use flinch_engine::{GenerateRequest, Generation};

use crate::error::{Error, Result};
use crate::llm::{Llm, PromptStyle, each_failed};
use crate::routes::grammar::TokenTables;

/// How long a request waits for the other members' requests at most.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(100);

/// What one caller asked for.
enum Job {
    Generate(Vec<GenerateRequest>),
    Score {
        context: String,
        continuation: String,
    },
}

enum Done {
    Generated(Vec<Result<Generation>>),
    Scored(Result<Option<f64>>),
}

/// Batches run so far: how many, the requests they held, the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub batches: usize,
    pub requests: usize,
    pub largest: usize,
}

struct State {
    /// `None` while a batch runs (the thread running it holds the model).
    llm: Option<Box<dyn Llm + Send>>,
    /// Set when the model panicked; every later request fails.
    broken: bool,
    members: usize,
    queue: Vec<(u64, Job, Instant)>,
    /// When the model was last handed back (or the batcher made).
    free_since: Instant,
    done: HashMap<u64, Done>,
    next_id: u64,
    stats: BatchStats,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    linger: Duration,
    style: PromptStyle,
    tables: Option<Arc<TokenTables>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held leaves no half-made change behind
        // (the model runs outside it), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The model shared by the threads whose generations are batched.
pub struct Batcher {
    shared: Arc<Shared>,
}

impl Batcher {
    pub fn new(llm: Box<dyn Llm + Send>, linger: Duration) -> Self {
        let style = llm.prompt_style();
        let tables = llm.token_tables();
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    llm: Some(llm),
                    broken: false,
                    members: 0,
                    queue: Vec::new(),
                    free_since: Instant::now(),
                    done: HashMap::new(),
                    next_id: 0,
                    stats: BatchStats::default(),
                }),
                changed: Condvar::new(),
                linger,
                style,
                tables,
            }),
        }
    }

    /// A model handle to give a pipeline.
    pub fn client(&self) -> Client {
        Client {
            shared: self.shared.clone(),
        }
    }

    /// Count the calling thread as a member until the guard is dropped.
    pub fn member(&self) -> Member {
        self.shared.lock().members += 1;
        Member {
            shared: self.shared.clone(),
        }
    }

    pub fn stats(&self) -> BatchStats {
        self.shared.lock().stats
    }

    /// Whether the model panicked; every request fails from then on.
    pub fn is_broken(&self) -> bool {
        self.shared.lock().broken
    }
}

/// A member's presence; see the module doc.
pub struct Member {
    shared: Arc<Shared>,
}

impl Drop for Member {
    fn drop(&mut self) {
        self.shared.lock().members -= 1;
        self.shared.changed.notify_all();
    }
}

/// One thread's handle on the batched model.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl Client {
    /// Queue `job` and wait for its result; the thread that finds the batch
    /// complete runs it for everyone.
    fn submit(&self, job: Job) -> Result<Done> {
        let shared = &*self.shared;
        let mut st = shared.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.queue.push((id, job, Instant::now()));
        shared.changed.notify_all();
        loop {
            if let Some(done) = st.done.remove(&id) {
                return Ok(done);
            }
            if st.broken {
                st.queue.retain(|(i, ..)| *i != id);
                return Err(panicked());
            }
            let Some(oldest) = st.queue.first().map(|q| q.2) else {
                st = shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            };
            if st.llm.is_none() {
                st = shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let waited = oldest.max(st.free_since).elapsed();
            if st.queue.len() >= st.members || waited >= shared.linger {
                st = self.run_queue(st, Take::All);
                continue;
            }
            if st.queue.iter().any(|q| matches!(q.1, Job::Score { .. })) {
                st = self.run_queue(st, Take::Scores);
                continue;
            }
            st = shared
                .changed
                .wait_timeout(st, shared.linger - waited)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Run the queued jobs with the model taken out of the state, so that
    /// other threads can queue meanwhile.
    fn run_queue<'a>(&'a self, mut st: MutexGuard<'a, State>, take: Take) -> MutexGuard<'a, State> {
        let Some(mut llm) = st.llm.take() else {
            return st;
        };
        let jobs = match take {
            Take::All => std::mem::take(&mut st.queue),
            Take::Scores => {
                let (scores, rest) = std::mem::take(&mut st.queue)
                    .into_iter()
                    .partition(|q| matches!(q.1, Job::Score { .. }));
                st.queue = rest;
                scores
            }
        };
        let requests: usize = jobs
            .iter()
            .map(|(_, j, _)| match j {
                Job::Generate(r) => r.len(),
                Job::Score { .. } => 0,
            })
            .sum();
        drop(st);
        let ran = catch_unwind(AssertUnwindSafe(|| run_jobs(llm.as_mut(), jobs)));
        let mut st = self.shared.lock();
        match ran {
            Ok(results) => {
                st.llm = Some(llm);
                st.free_since = Instant::now();
                st.done.extend(results);
                if requests > 0 {
                    st.stats.batches += 1;
                    st.stats.requests += requests;
                    st.stats.largest = st.stats.largest.max(requests);
                }
            }
            Err(_) => st.broken = true,
        }
        self.shared.changed.notify_all();
        st
    }
}

/// Which queued jobs a run takes.
#[derive(Clone, Copy)]
enum Take {
    All,
    /// Scores only: they gain nothing from waiting for a batch.
    Scores,
}

fn panicked() -> Error {
    Error::Model {
        reason: "the model panicked during a batched generation".to_owned(),
    }
}

/// The generations of all jobs as one batch (a lone request as a plain
/// generation), then the scores.
fn run_jobs(llm: &mut (dyn Llm + Send), jobs: Vec<(u64, Job, Instant)>) -> Vec<(u64, Done)> {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut requests = Vec::new();
    let mut score = Vec::new();
    for (id, job, _) in jobs {
        match job {
            Job::Generate(r) => {
                ids.push(id);
                sizes.push(r.len());
                requests.extend(r);
            }
            Job::Score {
                context,
                continuation,
            } => score.push((id, context, continuation)),
        }
    }
    let asked = requests.len();
    let mut results = match asked {
        0 => Vec::new(),
        1 => {
            let r = requests.pop().expect("one request");
            vec![llm.generate(r, &mut |_| {})]
        }
        _ => llm.generate_batch(requests),
    };
    if results.len() != asked {
        let e = Error::Model {
            reason: format!(
                "asked for {asked} generations, the model returned {}",
                results.len()
            ),
        };
        results = each_failed(asked, &e);
    }
    let mut results = results.into_iter();
    let mut out = Vec::with_capacity(ids.len() + score.len());
    for (id, n) in ids.into_iter().zip(sizes) {
        let part: Vec<Result<Generation>> = results.by_ref().take(n).collect();
        out.push((id, Done::Generated(part)));
    }
    for (id, context, continuation) in score {
        let scored = llm.continuation_logprob(&context, &continuation);
        out.push((id, Done::Scored(scored)));
    }
    out
}

impl Llm for Client {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        let g = self
            .generate_batch(vec![request])
            .pop()
            .ok_or_else(|| Error::Model {
                reason: "the batch returned no generation".to_owned(),
            })??;
        on_text(&g.text);
        Ok(g)
    }

    fn generate_batch(&mut self, requests: Vec<GenerateRequest>) -> Vec<Result<Generation>> {
        let n = requests.len();
        // `run_jobs` gives every job exactly as many results as it asked for.
        match self.submit(Job::Generate(requests)) {
            Ok(Done::Generated(each)) => each,
            Ok(Done::Scored(_)) => each_failed(n, &mixed_up()),
            Err(e) => each_failed(n, &e),
        }
    }

    fn continuation_logprob(&mut self, context: &str, continuation: &str) -> Result<Option<f64>> {
        match self.submit(Job::Score {
            context: context.to_owned(),
            continuation: continuation.to_owned(),
        })? {
            Done::Scored(s) => s,
            Done::Generated(_) => Err(mixed_up()),
        }
    }

    fn prompt_style(&self) -> PromptStyle {
        self.shared.style
    }

    fn token_tables(&self) -> Option<Arc<TokenTables>> {
        self.shared.tables.clone()
    }
}

fn mixed_up() -> Error {
    Error::Model {
        reason: "the batcher returned another kind of result than was asked".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use flinch_engine::{FinishReason, Prompt, Timings};

    use super::*;

    /// Answers "re: <prompt>", fails prompts containing "bad", records the
    /// size of every batch and every scored context.
    struct Echo {
        batches: Arc<Mutex<Vec<usize>>>,
    }

    fn text_of(r: &GenerateRequest) -> String {
        match &r.prompt {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(m) => m.iter().map(|m| m.content.clone()).collect(),
        }
    }

    impl Llm for Echo {
        fn generate(
            &mut self,
            request: GenerateRequest,
            on_text: &mut dyn FnMut(&str),
        ) -> Result<Generation> {
            self.batches.lock().unwrap().push(1);
            let p = text_of(&request);
            if p.contains("bad") {
                return Err(Error::Model {
                    reason: format!("refused {p}"),
                });
            }
            let text = format!("re: {p}");
            on_text(&text);
            Ok(Generation {
                text,
                tokens: Vec::new(),
                logprob: None,
                finish: FinishReason::Eos,
                timings: Timings::default(),
            })
        }

        fn generate_batch(&mut self, requests: Vec<GenerateRequest>) -> Vec<Result<Generation>> {
            let n = requests.len();
            let out = requests
                .into_iter()
                .map(|r| self.generate(r, &mut |_| {}))
                .collect();
            let mut b = self.batches.lock().unwrap();
            let l = b.len();
            b.truncate(l - n);
            b.push(n);
            out
        }

        fn prompt_style(&self) -> PromptStyle {
            PromptStyle::Chat
        }

        fn continuation_logprob(
            &mut self,
            context: &str,
            continuation: &str,
        ) -> Result<Option<f64>> {
            Ok(Some(-((context.len() + continuation.len()) as f64)))
        }
    }

    fn batcher(linger: Duration) -> (Batcher, Arc<Mutex<Vec<usize>>>) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let llm = Echo {
            batches: batches.clone(),
        };
        (Batcher::new(Box::new(llm), linger), batches)
    }

    fn ask(c: &mut Client, prompt: &str) -> Result<String> {
        let r = GenerateRequest::greedy(Prompt::Text(prompt.to_owned()), 8);
        let mut streamed = String::new();
        let g = c.generate(r, &mut |t| streamed.push_str(t))?;
        assert_eq!(streamed, g.text);
        Ok(g.text)
    }

    #[test]
    fn members_generations_run_as_one_batch_and_each_gets_its_own() {
        // A linger far longer than the test: batches form by membership alone.
        let (b, batches) = batcher(Duration::from_secs(60));
        let members: Vec<Member> = (0..4).map(|_| b.member()).collect();
        std::thread::scope(|s| {
            for (t, m) in members.into_iter().enumerate() {
                let mut c = b.client();
                s.spawn(move || {
                    for step in 0..3 {
                        let p = format!("thread {t} step {step}");
                        assert_eq!(ask(&mut c, &p).unwrap(), format!("re: {p}"));
                    }
                    drop(m);
                });
            }
        });
        assert_eq!(*batches.lock().unwrap(), vec![4, 4, 4]);
        assert_eq!(
            b.stats(),
            BatchStats {
                batches: 3,
                requests: 12,
                largest: 4
            }
        );
    }

    #[test]
    fn a_member_that_leaves_is_not_waited_for() {
        let (b, batches) = batcher(Duration::from_secs(60));
        let stays = b.member();
        let leaves = b.member();
        std::thread::scope(|s| {
            let mut c = b.client();
            let asked = s.spawn(move || ask(&mut c, "alone").unwrap());
            std::thread::sleep(Duration::from_millis(50));
            drop(leaves);
            assert_eq!(asked.join().unwrap(), "re: alone");
        });
        drop(stays);
        assert_eq!(*batches.lock().unwrap(), vec![1]);
    }

    #[test]
    fn a_batch_runs_after_the_linger_when_a_member_is_busy_elsewhere() {
        let (b, _) = batcher(Duration::from_millis(30));
        let _busy = b.member();
        let _me = b.member();
        let start = Instant::now();
        assert_eq!(ask(&mut b.client(), "waited").unwrap(), "re: waited");
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_score_does_not_wait_for_the_other_members() {
        let (b, batches) = batcher(Duration::from_secs(60));
        let _busy = b.member();
        let _me = b.member();
        let mut c = b.client();
        let start = Instant::now();
        assert_eq!(c.continuation_logprob("ab", "cd").unwrap(), Some(-4.0));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(batches.lock().unwrap().is_empty());
    }

    #[test]
    fn a_caller_outside_the_members_is_served_at_once() {
        let (b, batches) = batcher(Duration::from_secs(60));
        let mut c = b.client();
        assert_eq!(ask(&mut c, "hello").unwrap(), "re: hello");
        assert_eq!(c.continuation_logprob("ab", "c").unwrap(), Some(-3.0));
        assert_eq!(c.prompt_style(), PromptStyle::Chat);
        assert_eq!(*batches.lock().unwrap(), vec![1]);
    }

    #[test]
    fn a_failing_request_fails_alone() {
        let (b, batches) = batcher(Duration::from_secs(60));
        let members: Vec<Member> = (0..3).map(|_| b.member()).collect();
        let failed = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for (t, m) in members.into_iter().enumerate() {
                let mut c = b.client();
                let failed = &failed;
                s.spawn(move || {
                    let p = if t == 1 {
                        "bad one".to_owned()
                    } else {
                        format!("good {t}")
                    };
                    match ask(&mut c, &p) {
                        Ok(text) => assert_eq!(text, format!("re: {p}")),
                        Err(e) => {
                            assert_eq!(e.to_string(), "the model failed: refused bad one");
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    drop(m);
                });
            }
        });
        assert_eq!(failed.load(Ordering::SeqCst), 1);
        assert_eq!(*batches.lock().unwrap(), vec![3]);
        // A caller's own batch keeps its order and its per-request results.
        let mut c = b.client();
        let out = c.generate_batch(vec![
            GenerateRequest::greedy(Prompt::Text("x".into()), 4),
            GenerateRequest::greedy(Prompt::Text("bad".into()), 4),
        ]);
        assert_eq!(out[0].as_ref().unwrap().text, "re: x");
        assert!(out[1].is_err());
    }
}
