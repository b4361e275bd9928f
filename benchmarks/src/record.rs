//! Tape records from answers: scored against the item's gold, classified
//! into error classes, with what the pipeline's trace shows (route, tools,
//! verdicts, fallbacks).

use std::collections::HashMap;

use anyhow::Context;
use flinch_engine::FinishReason;
use flinch_guardrails::Answer;
use flinch_guardrails::trace::{Event, Step};
use flinch_sandbox::Sandbox;

use crate::classify::{self, Facts};
use crate::judge::{FirstTurn, Judge};
use crate::run::RunConfig;
use crate::score::score;
use crate::suite::{Item, Suite};
use crate::tape::{Mode, Record, ToolRun};

/// The record of a guarded answer; `seconds` is the item's share of the
/// run's time (`pool`), `batch` the workers that answered side by side.
pub(crate) fn guarded_record(
    config: &RunConfig,
    sandbox: &Sandbox,
    item: &Item,
    answer: Result<Answer, String>,
    seconds: f64,
) -> anyhow::Result<Record> {
    let mut r = match answer {
        Ok(a) => {
            let fallbacks = fallbacks(&a.trace);
            let mut r = record(
                config,
                sandbox,
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
        Err(e) => record(
            config,
            sandbox,
            item,
            Mode::Guarded,
            String::new(),
            seconds,
            Some(e),
            Vec::new(),
        )?,
    };
    r.prompt = "pipeline".to_owned();
    r.batch = config.batch.max(1);
    Ok(r)
}

/// A scored and classified record; the mode fills in the rest.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    config: &RunConfig,
    sandbox: &Sandbox,
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
        sandbox,
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
        model: config.model.clone(),
        seed: config.seed,
        max_tokens: config.max_tokens,
        batch: 1,
    })
}

/// An MT-bench answer's rating by the judge model, when there is one.
pub(crate) fn judge(
    judge: &mut Option<Judge>,
    item: &Item,
    record: &mut Record,
    by_key: &HashMap<(String, Mode), Record>,
) -> anyhow::Result<()> {
    let Some(judge) = judge.as_mut() else {
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
