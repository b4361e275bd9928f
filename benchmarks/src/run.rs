//! Running a suite: every selected item in raw and/or guarded mode, each
//! answer scored, classified and appended to the tape at once, so that an
//! interrupted run resumes where it stopped (answers already on the tape are
//! skipped).
//!
//! Raw mode drives the model directly: few-shot completion items go through
//! the engine's batched generation `batch` at a time (their shared few-shot
//! prefix is prefilled once and reused), chat items (IFEval, MT-bench) are
//! plain generation exactly as `flinch ask --raw`. Guarded mode is
//! `Pipeline::answer` with routing on. Both modes share one loaded model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use flinch_engine::{FinishReason, GenerateRequest, Generation, Prompt};
use flinch_guardrails::routes::chat::{self, Anchor};
use flinch_guardrails::routes::grammar::TokenTables;
use flinch_guardrails::trace::{Event, Step};
use flinch_guardrails::{
    AnswerOptions, CompletionPrompt, Conversation, Llm, Pipeline, PipelineConfig, PromptStyle,
    RouteChoice,
};
use flinch_sandbox::Sandbox;

use crate::classify::{self, Facts};
use crate::judge::{FirstTurn, Judge};
use crate::score::score;
use crate::suite::{Item, RawPrompt, Shard, Suite};
use crate::tape::{self, Mode, Record, TapeWriter, ToolRun};

/// Items generated together in raw mode.
pub const DEFAULT_BATCH: usize = 4;

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
    ) -> flinch_guardrails::Result<Vec<Generation>> {
        self.lock()?.generate_batch(requests)
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
    /// Raw completion items per batched generation.
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
    pipeline: Pipeline,
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
        let pipeline = Pipeline::new(Box::new(llm.clone()), sandbox, pipeline);
        Self {
            llm,
            pipeline,
            judge,
            config,
        }
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
        for chunk_items in items.chunks(chunk) {
            for &mode in &modes {
                let pending: Vec<&Item> = chunk_items
                    .iter()
                    .filter(|it| !by_key.contains_key(&(it.id.clone(), mode)))
                    .collect();
                if mode == Mode::Raw {
                    let completions: Vec<&Item> = pending
                        .iter()
                        .copied()
                        .filter(|i| matches!(i.raw, RawPrompt::Completion { .. }))
                        .collect();
                    if !completions.is_empty() {
                        for r in self.raw_batch(&completions)? {
                            emit(r, &mut by_key)?;
                        }
                    }
                }
                // One at a time: a second turn needs the first turn's answer.
                for it in pending
                    .iter()
                    .filter(|i| mode == Mode::Guarded || i.raw == RawPrompt::Chat)
                {
                    let r = match mode {
                        Mode::Raw => self.raw_chat(it, &by_key)?,
                        Mode::Guarded => self.guarded(it, &by_key)?,
                    };
                    emit(r, &mut by_key)?;
                }
            }
        }
        Ok(self
            .config
            .modes
            .iter()
            .flat_map(|&m| items.iter().filter_map(move |it| Some((it, m))))
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
        match result {
            Ok(gens) => items
                .iter()
                .zip(gens)
                .map(|(it, g)| self.raw_record(it, Ok(g), each, items.len()))
                .collect(),
            Err(e) => items
                .iter()
                .map(|it| self.raw_record(it, Err(format!("{e:#}")), each, items.len()))
                .collect(),
        }
    }

    /// A chat item: plain generation, as `flinch ask --raw` does it.
    fn raw_chat(
        &mut self,
        item: &Item,
        by_key: &HashMap<(String, Mode), Record>,
    ) -> anyhow::Result<Record> {
        let conversation = Self::conversation(item, Mode::Raw, by_key)?;
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
        self.judge(item, &mut record, by_key)?;
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
        let mut r = self.record(item, Mode::Raw, output, seconds, failure, Vec::new())?;
        r.tokens = tokens;
        r.finish = finish;
        r.prompt = item.raw.id().to_owned();
        r.generations = vec![r.output.clone()];
        r.batch = batch;
        Ok(r)
    }

    fn guarded(
        &mut self,
        item: &Item,
        by_key: &HashMap<(String, Mode), Record>,
    ) -> anyhow::Result<Record> {
        let conversation = Self::conversation(item, Mode::Guarded, by_key)?;
        let options = guarded_options(item, self.config.seed, self.config.max_tokens);
        let start = Instant::now();
        let answer = self.pipeline.answer(&conversation, &options, &mut |_| {});
        let seconds = start.elapsed().as_secs_f64();
        let mut record = match answer {
            Ok(a) => {
                let fallbacks = fallbacks(&a.trace);
                let mut r = self.record(
                    item,
                    Mode::Guarded,
                    a.text.clone(),
                    seconds,
                    None,
                    fallbacks,
                )?;
                r.route = a.route.map(|k| k.name().to_owned());
                r.tokens = a
                    .trace
                    .iter()
                    .map(|s| match &s.event {
                        Event::Generate { tokens, .. } => *tokens,
                        _ => 0,
                    })
                    .sum();
                r.generations = a
                    .trace
                    .iter()
                    .filter_map(|s| match &s.event {
                        Event::Generate { text, .. } => Some(text.clone()),
                        _ => None,
                    })
                    .collect();
                r.tools = tools(&a.trace);
                r.verdicts = a
                    .trace
                    .iter()
                    .flat_map(|s| match &s.event {
                        Event::Verify { verdicts, .. } => verdicts.clone(),
                        _ => Vec::new(),
                    })
                    .collect();
                r.evidence = Some(serde_json::to_value(&a.evidence)?);
                r.trace = Some(serde_json::to_value(&a.trace)?);
                r
            }
            Err(e) => self.record(
                item,
                Mode::Guarded,
                String::new(),
                seconds,
                Some(format!("{e:#}")),
                Vec::new(),
            )?,
        };
        record.prompt = "pipeline".to_owned();
        self.judge(item, &mut record, by_key)?;
        Ok(record)
    }

    /// A scored and classified record; the mode fills in the rest.
    fn record(
        &self,
        item: &Item,
        mode: Mode,
        output: String,
        seconds: f64,
        failure: Option<String>,
        fallbacks: Vec<String>,
    ) -> anyhow::Result<Record> {
        let scored = score(item.suite, &item.task, &item.question, &output, &item.gold)
            .with_context(|| format!("scoring item {}", item.id))?;
        let (error_class, error_classes) = classify::classify(
            &Facts {
                suite: item.suite,
                task: &item.task,
                question: &item.question,
                output: &output,
                mode,
                scored: &scored,
                fallbacks: &fallbacks,
                failure: failure.as_deref(),
            },
            self.pipeline.sandbox(),
        );
        Ok(Record {
            suite: item.suite,
            task: item.task.clone(),
            id: item.id.clone(),
            mode,
            question: item.question.clone(),
            output,
            answer: scored.answer,
            extraction: scored.extraction,
            gold: item.gold.clone(),
            correct: scored.correct,
            ifeval: scored.instructions,
            route: None,
            error_class,
            error_classes,
            seconds,
            tokens: 0,
            finish: None,
            prompt: String::new(),
            generations: Vec::new(),
            tools: Vec::new(),
            verdicts: Vec::new(),
            fallbacks,
            evidence: None,
            trace: None,
            judge: None,
            failure,
            model: self.config.model.clone(),
            seed: self.config.seed,
            max_tokens: self.config.max_tokens,
            batch: 1,
        })
    }

    fn judge(
        &mut self,
        item: &Item,
        record: &mut Record,
        by_key: &HashMap<(String, Mode), Record>,
    ) -> anyhow::Result<()> {
        let Some(judge) = self.judge.as_mut() else {
            return Ok(());
        };
        if item.suite != Suite::MtBench || record.failure.is_some() {
            return Ok(());
        }
        let earlier = match &item.previous {
            Some(p) => Some((
                p.question.as_str(),
                by_key
                    .get(&(p.id.clone(), record.mode))
                    .map_or("", |r| r.output.as_str()),
            )),
            None => None,
        };
        let first = earlier.map(|(question, answer)| FirstTurn { question, answer });
        record.judge = Some(judge.rate(item, first, &record.output)?);
        Ok(())
    }
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

pub fn finish_name(f: &FinishReason) -> String {
    match f {
        FinishReason::Stop { .. } => "stop",
        FinishReason::Length => "length",
        FinishReason::Eos => "eos",
        FinishReason::Cancelled => "cancelled",
    }
    .to_owned()
}

/// `from: reason` of every fallback in a trace.
pub fn fallbacks(trace: &[Step]) -> Vec<String> {
    trace
        .iter()
        .filter_map(|s| match &s.event {
            Event::Fallback { from, reason } => Some(format!("{from}: {reason}")),
            _ => None,
        })
        .collect()
}

/// The programs and scripts a trace ran.
pub fn tools(trace: &[Step]) -> Vec<ToolRun> {
    trace
        .iter()
        .filter_map(|s| match &s.event {
            Event::Program {
                program,
                outcome,
                ok,
            } => Some(ToolRun {
                tool: "program".to_owned(),
                input: program.clone(),
                outcome: outcome.clone(),
                ok: *ok,
            }),
            Event::Solve {
                script,
                outcome,
                ok,
            } => Some(ToolRun {
                tool: "solve".to_owned(),
                input: script.clone(),
                outcome: outcome.clone(),
                ok: *ok,
            }),
            _ => None,
        })
        .collect()
}
