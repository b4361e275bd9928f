//! Running a suite: every selected item in raw and/or guarded mode, each
//! answer scored, classified and appended to the tape at once, so that an
//! interrupted run resumes where it stopped (answers already on the tape are
//! skipped).
//!
//! Raw mode drives the model directly: few-shot completion items go through
//! the engine's batched generation `batch` at a time (their shared few-shot
//! prefix is prefilled once and reused), chat items (IFEval, MT-bench) are
//! plain generation exactly as `flinch ask --raw`. Guarded mode is
//! `Pipeline::answer` with routing on, `batch` items at a time on their own
//! threads, their generations decoded together (`pool`). Both modes share
//! one loaded model.
//!
//! Items go in windows of `batch × GUARDED_WINDOW` items: raw answers for
//! the window, then guarded ones. Answers are written as they finish; with
//! `batch` above 1 guarded answers may finish out of item order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use flinch_engine::{GenerateRequest, Generation, Prompt};
use flinch_guardrails::batcher::{self, Batcher};
use flinch_guardrails::routes::chat::{self, Anchor};
use flinch_guardrails::routes::grammar::TokenTables;
use flinch_guardrails::{
    AnswerOptions, CompletionPrompt, Conversation, Llm, Pipeline, PipelineConfig, PromptStyle,
    RouteChoice,
};
use flinch_sandbox::Sandbox;

use crate::judge::Judge;
use crate::pool::{self, Answered, Job, Queue};
use crate::record::{finish_name, guarded_record, judge, record};
use crate::suite::{Item, RawPrompt, Shard, Suite};
use crate::tape::{self, Mode, Record, TapeWriter};

/// Items generated together: raw completion items per batched generation,
/// guarded items answered side by side.
pub const DEFAULT_BATCH: usize = 4;

/// Items per window, per unit of `batch` (see the module doc).
pub const GUARDED_WINDOW: usize = 8;

/// One model shared by raw generation and the pipeline.
#[derive(Clone)]
pub struct SharedLlm(Arc<Mutex<Box<dyn Llm + Send>>>);

impl SharedLlm {
    pub fn new(llm: Box<dyn Llm + Send>) -> Self {
        Self(Arc::new(Mutex::new(llm)))
    }

    fn lock(&self) -> flinch_guardrails::Result<std::sync::MutexGuard<'_, Box<dyn Llm + Send>>> {
        self.0.lock().map_err(|_| flinch_guardrails::Error::Model {
            reason: "an earlier generation panicked".to_owned(),
        })
    }
}

impl Llm for SharedLlm {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        self.lock()?.generate(request, on_text)
    }

    fn generate_batch(
        &mut self,
        requests: Vec<GenerateRequest>,
    ) -> Vec<flinch_guardrails::Result<Generation>> {
        let n = requests.len();
        match self.lock() {
            Ok(mut llm) => llm.generate_batch(requests),
            Err(e) => flinch_guardrails::llm::each_failed(n, &e),
        }
    }

    fn continuation_logprob(
        &mut self,
        context: &str,
        continuation: &str,
    ) -> flinch_guardrails::Result<Option<f64>> {
        self.lock()?.continuation_logprob(context, continuation)
    }

    fn prompt_style(&self) -> PromptStyle {
        self.lock()
            .map_or(PromptStyle::Completion, |l| l.prompt_style())
    }

    fn token_tables(&self) -> Option<std::sync::Arc<TokenTables>> {
        self.lock().ok()?.token_tables()
    }
}

/// How a run generates; recorded on every tape line.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub modes: Vec<Mode>,
    /// Token budget of an answer, the same in both modes.
    pub max_tokens: usize,
    pub seed: u64,
    /// Raw completion items per batched generation, and guarded items
    /// answered side by side.
    pub batch: usize,
    /// The model's file name, for the tape.
    pub model: String,
}

/// Where the tape of a suite (and shard) goes in `out`.
pub fn tape_path(out: &Path, suite: Suite, shard: Shard) -> PathBuf {
    if shard.is_whole() {
        out.join(format!("{}.jsonl", suite.name()))
    } else {
        out.join(format!(
            "{}.shard-{}-of-{}.jsonl",
            suite.name(),
            shard.index,
            shard.count
        ))
    }
}

/// Where a run is, for the progress line.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Answers written by this run so far, and the answers it has to write.
    pub done: usize,
    pub total: usize,
    /// Answers that were already on the tape.
    pub resumed: usize,
    pub elapsed: Duration,
    pub eta: Option<Duration>,
    /// (correct, scored) per mode, over the tape's answers of this selection.
    pub raw: (usize, usize),
    pub guarded: (usize, usize),
    pub last: String,
}

pub struct Runner {
    llm: SharedLlm,
    /// One per guarded worker; on `batcher` when there are several.
    pipelines: Vec<Pipeline>,
    batcher: Option<Batcher>,
    sandbox: Arc<Sandbox>,
    judge: Option<Judge>,
    config: RunConfig,
}

/// Shared prompt prefixes shorter than this are not prefilled on their own.
const MIN_WARM_PREFIX: usize = 200;

/// The longest common prefix of `texts`, cut after its last blank line
/// (an exemplar boundary, where tokenization is the same with or without
/// what follows).
fn shared_prefix<'a>(texts: &[&'a str]) -> &'a str {
    let Some(first) = texts.first() else {
        return "";
    };
    let mut len = first.len();
    for t in &texts[1..] {
        len = first
            .bytes()
            .zip(t.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    let common = &first[..len];
    common.rfind("\n\n").map_or("", |i| &first[..i + 2])
}

impl Runner {
    pub fn new(
        llm: Box<dyn Llm + Send>,
        sandbox: Sandbox,
        pipeline: PipelineConfig,
        config: RunConfig,
        judge: Option<Judge>,
    ) -> Self {
        let llm = SharedLlm::new(llm);
        let sandbox = Arc::new(sandbox);
        let (pipelines, batcher) = if config.batch > 1 {
            let batcher = Batcher::new(Box::new(llm.clone()), batcher::DEFAULT_LINGER);
            let pipelines = (0..config.batch)
                .map(|_| {
                    Pipeline::new(
                        Box::new(batcher.client()),
                        sandbox.clone(),
                        pipeline.clone(),
                    )
                })
                .collect();
            (pipelines, Some(batcher))
        } else {
            let one = Pipeline::new(Box::new(llm.clone()), sandbox.clone(), pipeline);
            (vec![one], None)
        };
        Self {
            llm,
            pipelines,
            batcher,
            sandbox,
            judge,
            config,
        }
    }

    /// Batches the guarded workers' generations made so far (`None` with one worker).
    pub fn batch_stats(&self) -> Option<batcher::BatchStats> {
        self.batcher.as_ref().map(Batcher::stats)
    }

    /// Prefill the few-shot prefix the batch shares on its own, so that
    /// every sequence of the batch reuses it: the engine reuses the cached
    /// prefix of its last generation for every prompt that starts with it,
    /// but the sequences of one batch do not share their prefill. When the
    /// prefix is still cached (consecutive raw batches) this costs one token.
    fn warm(&mut self, texts: &[&str]) -> anyhow::Result<()> {
        let prefix = shared_prefix(texts);
        if prefix.len() < MIN_WARM_PREFIX {
            return Ok(());
        }
        self.llm
            .generate(
                GenerateRequest::greedy(Prompt::Text(prefix.to_owned()), 0),
                &mut |_| {},
            )
            .context("prefilling the few-shot prompt")?;
        Ok(())
    }

    /// Answer `items` in every mode of the config, appending to the tape at
    /// `tape_path`; returns the tape's records of these items (resumed and
    /// new), in item order.
    pub fn run(
        &mut self,
        items: &[Item],
        tape_path: &Path,
        progress: &mut dyn FnMut(&Progress),
    ) -> anyhow::Result<Vec<Record>> {
        let existing = if tape_path.exists() {
            tape::read(tape_path)?
        } else {
            tape::Tape {
                records: Vec::new(),
                complete_bytes: 0,
                truncated: false,
            }
        };
        self.check_compatible(&existing.records, tape_path)?;
        let mut by_key: HashMap<(String, Mode), Record> =
            existing.records.into_iter().map(|r| (r.key(), r)).collect();
        let mut writer = TapeWriter::append(tape_path, existing.complete_bytes)?;

        let todo: Vec<(usize, Mode)> = self
            .config
            .modes
            .iter()
            .flat_map(|&m| items.iter().enumerate().map(move |(i, _)| (i, m)))
            .filter(|(i, m)| !by_key.contains_key(&(items[*i].id.clone(), *m)))
            .collect();
        let total = todo.len();
        let resumed = items.len() * self.config.modes.len() - total;
        let start = Instant::now();
        let mut done = 0usize;
        let tally = |by_key: &HashMap<(String, Mode), Record>, m: Mode| {
            items
                .iter()
                .filter_map(|it| by_key.get(&(it.id.clone(), m))?.correct)
                .fold((0, 0), |(c, n), ok| (c + usize::from(ok), n + 1))
        };

        let mut emit =
            |r: Record, by_key: &mut HashMap<(String, Mode), Record>| -> anyhow::Result<()> {
                writer.write(&r)?;
                done += 1;
                let last = format!("{} {}: {}", r.mode.name(), r.id, outcome(&r));
                by_key.insert(r.key(), r);
                let elapsed = start.elapsed();
                progress(&Progress {
                    done,
                    total,
                    resumed,
                    elapsed,
                    eta: Some(elapsed.mul_f64((total - done) as f64 / done as f64)),
                    raw: tally(by_key, Mode::Raw),
                    guarded: tally(by_key, Mode::Guarded),
                    last,
                });
                Ok(())
            };
        let chunk = self.config.batch.max(1);
        let modes = self.config.modes.clone();
        for window in items.chunks(chunk * GUARDED_WINDOW) {
            for &mode in &modes {
                let pending: Vec<&Item> = window
                    .iter()
                    .filter(|it| !by_key.contains_key(&(it.id.clone(), mode)))
                    .collect();
                if mode == Mode::Guarded {
                    let mut queue = GuardedQueue {
                        waiting: (0..pending.len()).collect(),
                        items: pending,
                        by_key: &mut by_key,
                        config: &self.config,
                        sandbox: &self.sandbox,
                        judge: &mut self.judge,
                        emit: &mut emit,
                    };
                    pool::answer_all(&mut self.pipelines, self.batcher.as_ref(), &mut queue)?;
                    if let Some(&stuck) = queue.waiting.first() {
                        bail!(
                            "internal: guarded item {} was never ready to answer",
                            queue.items[stuck].id
                        );
                    }
                    continue;
                }
                for part in pending.chunks(chunk) {
                    let completions: Vec<&Item> = part
                        .iter()
                        .copied()
                        .filter(|i| matches!(i.raw, RawPrompt::Completion { .. }))
                        .collect();
                    if !completions.is_empty() {
                        for r in self.raw_batch(&completions)? {
                            emit(r, &mut by_key)?;
                        }
                    }
                    // One at a time: a second turn needs the first turn's answer.
                    for it in part.iter().filter(|i| i.raw == RawPrompt::Chat) {
                        let r = self.raw_chat(it, &by_key)?;
                        emit(r, &mut by_key)?;
                    }
                }
            }
        }
        Ok(self
            .config
            .modes
            .iter()
            .flat_map(|&m| items.iter().map(move |it| (it, m)))
            .filter_map(|(it, m)| by_key.remove(&(it.id.clone(), m)))
            .collect())
    }

    /// A tape is resumed only with the model, seed and budget it was written with.
    fn check_compatible(&self, records: &[Record], path: &Path) -> anyhow::Result<()> {
        let Some(r) = records.first() else {
            return Ok(());
        };
        let c = &self.config;
        let (flag, was, now) = if r.model != c.model {
            ("--model", r.model.clone(), c.model.clone())
        } else if r.seed != c.seed {
            ("--seed", r.seed.to_string(), c.seed.to_string())
        } else if r.max_tokens != c.max_tokens {
            (
                "--max-tokens",
                r.max_tokens.to_string(),
                c.max_tokens.to_string(),
            )
        } else {
            return Ok(());
        };
        bail!(
            "the tape {} was written with {flag} {was} but this run has {flag} {now}: rerun with the same flags to resume it, or give another --out",
            path.display()
        )
    }

    /// Few-shot completion items, generated together.
    fn raw_batch(&mut self, items: &[&Item]) -> anyhow::Result<Vec<Record>> {
        let requests: Vec<GenerateRequest> = items
            .iter()
            .filter_map(|it| {
                let RawPrompt::Completion { text, stop, .. } = &it.raw else {
                    return None;
                };
                let mut r =
                    GenerateRequest::greedy(Prompt::Text(text.clone()), self.config.max_tokens);
                r.stop = stop.clone();
                r.seed = self.config.seed;
                Some(r)
            })
            .collect();
        if requests.len() != items.len() {
            bail!("internal: a chat item in a completion batch");
        }
        let start = Instant::now();
        let texts: Vec<&str> = items
            .iter()
            .filter_map(|it| match &it.raw {
                RawPrompt::Completion { text, .. } => Some(text.as_str()),
                RawPrompt::Chat => None,
            })
            .collect();
        if texts.len() > 1 {
            self.warm(&texts)?;
        }
        let result = self.llm.generate_batch(requests);
        let each = start.elapsed().as_secs_f64() / items.len() as f64;
        items
            .iter()
            .zip(result)
            .map(|(it, g)| self.raw_record(it, g.map_err(|e| format!("{e:#}")), each, items.len()))
            .collect()
    }

    /// A chat item: plain generation, as `flinch ask --raw` does it.
    fn raw_chat(
        &mut self,
        item: &Item,
        by_key: &HashMap<(String, Mode), Record>,
    ) -> anyhow::Result<Record> {
        let conversation = conversation(item, Mode::Raw, by_key)?;
        let start = Instant::now();
        let g = chat::generate(
            &mut self.llm,
            &conversation,
            None,
            Anchor::Plain,
            self.config.max_tokens,
            self.config.seed,
            &mut |_| {},
        )
        .map_err(|e| format!("{e:#}"));
        let mut record = self.raw_record(item, g, start.elapsed().as_secs_f64(), 1)?;
        judge(&mut self.judge, item, &mut record, by_key)?;
        Ok(record)
    }

    fn raw_record(
        &self,
        item: &Item,
        g: Result<Generation, String>,
        seconds: f64,
        batch: usize,
    ) -> anyhow::Result<Record> {
        let (output, tokens, finish, failure) = match g {
            Ok(g) => (
                g.text.trim().to_owned(),
                g.tokens.len(),
                Some(finish_name(&g.finish)),
                None,
            ),
            Err(e) => (String::new(), 0, None, Some(e)),
        };
        let mut r = record(
            &self.config,
            &self.sandbox,
            item,
            Mode::Raw,
            output,
            seconds,
            failure,
            Vec::new(),
        )?;
        r.tokens = tokens;
        r.finish = finish;
        r.prompt = item.raw.id().to_owned();
        r.generations = vec![r.output.clone()];
        r.batch = batch;
        Ok(r)
    }
}

/// Writes a record to the tape, adds it to the answers and shows progress.
type Emit<'e> = dyn FnMut(Record, &mut HashMap<(String, Mode), Record>) -> anyhow::Result<()> + 'e;

/// The guarded items of a window, handed to the workers in item order as
/// soon as they can run (a second turn once its first turn is answered).
struct GuardedQueue<'a, 'i, 'e> {
    items: Vec<&'i Item>,
    /// Indices into `items` not handed out yet, in item order.
    waiting: Vec<usize>,
    by_key: &'a mut HashMap<(String, Mode), Record>,
    config: &'a RunConfig,
    sandbox: &'a Sandbox,
    judge: &'a mut Option<Judge>,
    emit: &'a mut Emit<'e>,
}

impl Queue for GuardedQueue<'_, '_, '_> {
    fn next(&mut self) -> anyhow::Result<Option<Job>> {
        // A second turn waits while its first turn is an item of this window
        // without an answer yet (waiting or in flight).
        let unanswered = |id: &str| {
            self.items.iter().any(|it| it.id == id)
                && !self.by_key.contains_key(&(id.to_owned(), Mode::Guarded))
        };
        let ready = |i: &usize| {
            !self.items[*i]
                .previous
                .as_ref()
                .is_some_and(|p| unanswered(&p.id))
        };
        let Some(at) = self.waiting.iter().position(ready) else {
            return Ok(None);
        };
        let index = self.waiting.remove(at);
        let item = self.items[index];
        Ok(Some(Job {
            index,
            conversation: conversation(item, Mode::Guarded, self.by_key)?,
            options: guarded_options(item, self.config.seed, self.config.max_tokens),
        }))
    }

    fn answered(&mut self, answered: Answered) -> anyhow::Result<()> {
        let item = self.items[answered.index];
        let mut record = guarded_record(
            self.config,
            self.sandbox,
            item,
            answered.answer,
            answered.seconds,
        )?;
        judge(self.judge, item, &mut record, self.by_key)?;
        (self.emit)(record, self.by_key)
    }
}

/// The conversation of an item in `mode` (a second turn includes the
/// first turn's answer in the same mode).
fn conversation(
    item: &Item,
    mode: Mode,
    by_key: &HashMap<(String, Mode), Record>,
) -> anyhow::Result<Conversation> {
    let Some(prev) = &item.previous else {
        return Ok(Conversation::question(item.question.clone()));
    };
    let earlier = by_key.get(&(prev.id.clone(), mode)).with_context(|| {
        format!(
            "item {} follows {}, which has no {} answer yet",
            item.id,
            prev.id,
            mode.name()
        )
    })?;
    let mut c = Conversation::default();
    c.push_user(prev.question.clone());
    c.push_assistant(earlier.output.clone());
    c.push_user(item.question.clone());
    Ok(c)
}

fn outcome(r: &Record) -> &'static str {
    match (r.failure.is_some(), r.correct) {
        (true, _) => "failed",
        (false, Some(true)) => "correct",
        (false, Some(false)) => "wrong",
        (false, None) => "unscored",
    }
}

/// The guarded mode's options: routing on; every generation of the answer
/// text, constrained drafts included, gets the run's token budget; and the
/// raw mode's few-shot prompt (when it has one) is the prompt of generated
/// answer text, so where no tool decides, guarded generation starts from the
/// same standard prompting as raw.
fn guarded_options(item: &Item, seed: u64, max_tokens: usize) -> AnswerOptions {
    let completion = match &item.raw {
        RawPrompt::Completion { text, stop, .. } => Some(CompletionPrompt {
            text: text.clone(),
            stop: stop.clone(),
        }),
        RawPrompt::Chat => None,
    };
    AnswerOptions {
        route: RouteChoice::Auto,
        seed,
        max_tokens: Some(max_tokens),
        completion,
        ..AnswerOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_prefix_ends_at_an_exemplar_boundary() {
        assert_eq!(
            shared_prefix(&["A\n\nB\n\nQ: one", "A\n\nB\n\nQ: two"]),
            "A\n\nB\n\n"
        );
        assert_eq!(shared_prefix(&["A\n\nQ: x", "A\n\nQ: x"]), "A\n\n");
        assert_eq!(shared_prefix(&["abc", "abd"]), "");
        assert_eq!(shared_prefix(&["é\n\nx", "é\n\ny"]), "é\n\n");
        assert_eq!(shared_prefix(&[]), "");
    }

    #[test]
    fn guarded_options_carry_the_budget_and_the_raw_prompt() {
        let item = |raw: RawPrompt| Item {
            suite: Suite::Bbh,
            task: "navigate".into(),
            id: "navigate/0".into(),
            question: "Take 1 step.".into(),
            gold: crate::suite::Gold::Answer("No".into()),
            raw,
            rank: 0,
            group: 0,
            previous: None,
            judge_references: Vec::new(),
        };
        let few_shot = item(RawPrompt::Completion {
            prompt_id: "bbh-cot-3shot/navigate".into(),
            text: "Q: Take 1 step.\nA: Let's think step by step.".into(),
            stop: vec!["Q:".into()],
        });
        let o = guarded_options(&few_shot, 7, 256);
        assert_eq!(
            (o.route, o.seed, o.max_tokens),
            (RouteChoice::Auto, 7, Some(256))
        );
        let c = o.completion.unwrap();
        assert_eq!(c.text, "Q: Take 1 step.\nA: Let's think step by step.");
        assert_eq!(c.stop, ["Q:"]);
        let chat = guarded_options(&item(RawPrompt::Chat), 0, 100);
        assert_eq!((chat.max_tokens, chat.completion), (Some(100), None));
    }
}
