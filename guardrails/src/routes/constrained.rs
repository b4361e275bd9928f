//! The constrained route: draft → verify → refine. The request's typed
//! requirements are checked by deterministic verifiers; failed ones are
//! repaired where a repair keeps the meaning, otherwise named to the model,
//! which revises its draft (at most [`DEFAULT_PASSES`] drafts). The best
//! draft (fewest failures) wins; as a last, recorded policy, a response too
//! long in lines, sentences or words is cut to the limit.

use std::time::Instant;

use flinch_engine::{GenerateRequest, Message, Prompt, Role};
use serde::Serialize;

use crate::error::Result;
use crate::llm::{Llm, PromptStyle};
use crate::prompts::PromptId;
use crate::requirements::{Mode, Relation, Requirement, Verdict, check_all, measure};
use crate::routes::calculator::generate_event;
use crate::routes::chat::DEFAULT_REPEAT_PENALTY;
use crate::trace::{Event, Trace};

/// Drafts at most (the first draft and its revisions).
pub const DEFAULT_PASSES: usize = 3;
/// Token budget of a draft.
pub const DEFAULT_DRAFT_TOKENS: usize = 320;

/// A requirement and its verdict on the returned text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checked {
    pub requirement: String,
    pub verdict: String,
    pub pass: bool,
}

/// The route's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Constrained {
    pub text: String,
    pub verdicts: Vec<Checked>,
    /// Which draft was returned (1-based) and how many were written.
    pub draft: usize,
    pub drafts: usize,
}

fn rules(requirements: &[Requirement]) -> String {
    requirements
        .iter()
        .map(|r| format!("- {}", r.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn checked(requirements: &[Requirement], verdicts: &[Verdict]) -> Vec<Checked> {
    requirements
        .iter()
        .zip(verdicts)
        .map(|(r, v)| Checked {
            requirement: r.describe(),
            verdict: match v.failure() {
                None => "pass".to_owned(),
                Some(f) => format!("fail: {f}"),
            },
            pass: v.is_pass(),
        })
        .collect()
}

fn failures(verdicts: &[Verdict]) -> usize {
    verdicts.iter().filter(|v| !v.is_pass()).count()
}

fn verify_event(draft: usize, checks: &[Checked]) -> Event {
    Event::Verify {
        draft,
        verdicts: checks
            .iter()
            .map(|c| (c.requirement.clone(), c.verdict.clone()))
            .collect(),
        failed: checks.iter().filter(|c| !c.pass).count(),
    }
}

fn prompt(style: PromptStyle, id: PromptId, values: &[(&str, &str)]) -> Result<Prompt> {
    let text = id.render(values)?;
    Ok(match style {
        PromptStyle::Completion => Prompt::Text(text),
        PromptStyle::Chat => {
            Prompt::Chat(vec![Message::new(Role::User, text.trim_end().to_owned())])
        }
    })
}

/// Run the route on `request` with its parsed `requirements`; each draft
/// gets `max_tokens` tokens (see [`DEFAULT_DRAFT_TOKENS`]).
pub fn answer(
    llm: &mut dyn Llm,
    request: &str,
    requirements: &[Requirement],
    passes: usize,
    max_tokens: usize,
    seed: u64,
    trace: &mut Trace,
) -> Result<Constrained> {
    let rules = rules(requirements);
    let style = llm.prompt_style();
    let mut best: Option<(usize, String, Vec<Verdict>, usize)> = None;
    let mut current = String::new();
    let mut current_verdicts = Vec::new();
    let passes = passes.max(1);
    let mut drafts = 0;
    for pass in 1..=passes {
        let p = if pass == 1 {
            prompt(
                style,
                PromptId::ConstrainedDraft,
                &[("request", request.trim()), ("rules", &rules)],
            )?
        } else {
            let problems = requirements
                .iter()
                .zip(&current_verdicts)
                .filter_map(|(r, v): (&Requirement, &Verdict)| {
                    v.failure().map(|f| format!("- {}: {f}", r.describe()))
                })
                .collect::<Vec<_>>()
                .join("\n");
            prompt(
                style,
                PromptId::ConstrainedRefine,
                &[
                    ("request", request.trim()),
                    ("rules", &rules),
                    ("draft", current.trim()),
                    ("problems", &problems),
                ],
            )?
        };
        let mut r = GenerateRequest::greedy(p, max_tokens);
        r.seed = seed.wrapping_add(pass as u64);
        r.repeat_penalty = Some(DEFAULT_REPEAT_PENALTY);
        if style == PromptStyle::Completion {
            r.stop = vec![
                "\nRequest:".to_owned(),
                "\nDraft:".to_owned(),
                "\n\n\n".to_owned(),
            ];
        }
        let start = Instant::now();
        let g = llm.generate(r, &mut |_| {})?;
        trace.record(
            generate_event(if pass == 1 { "draft" } else { "revision" }, &g),
            start.elapsed(),
        );
        drafts = pass;
        let mut text = g.text.trim().to_owned();
        let mut verdicts = check_all(requirements, &text, Mode::Strict);
        trace.note(verify_event(pass, &checked(requirements, &verdicts)));

        // Deterministic repairs that keep the meaning, one failed requirement at
        // a time, kept only when they lower the number of failures.
        for (req, verdict) in requirements.iter().zip(verdicts.clone()) {
            if verdict.is_pass() {
                continue;
            }
            if let Some(repair) = req.repair(&text) {
                let after = check_all(requirements, &repair.text, Mode::Strict);
                if failures(&after) < failures(&verdicts) {
                    trace.note(Event::PostPass {
                        name: "requirement_repair".to_owned(),
                        verdict: format!("{} failed", req.describe()),
                        action: format!("repair: {:?}", repair.action),
                    });
                    text = repair.text;
                    verdicts = after;
                }
            }
        }
        let n = failures(&verdicts);
        if best.as_ref().is_none_or(|(f, _, _, _)| n < *f) {
            best = Some((n, text.clone(), verdicts.clone(), pass));
        }
        current = text;
        current_verdicts = verdicts;
        if n == 0 {
            break;
        }
    }
    let (_, mut text, mut verdicts, chosen) = best.expect("at least one draft was written");
    if failures(&verdicts) > 0
        && let Some((cut, what)) = truncate_to_limits(requirements, &text)
    {
        let after = check_all(requirements, &cut, Mode::Strict);
        if failures(&after) < failures(&verdicts) {
            trace.note(Event::PostPass {
                name: "length_limit".to_owned(),
                verdict: "too long after every revision".to_owned(),
                action: format!("truncate: {what}"),
            });
            text = cut;
            verdicts = after;
        }
    }
    let checks = checked(requirements, &verdicts);
    trace.note(verify_event(0, &checks));
    Ok(Constrained {
        text,
        verdicts: checks,
        draft: chosen,
        drafts,
    })
}

/// Cut a response to the upper bounds on lines, sentences and words it
/// exceeds, keeping whole lines / sentences. `None` if nothing applies.
fn truncate_to_limits(requirements: &[Requirement], text: &str) -> Option<(String, String)> {
    let max = |relation: Relation, count: usize| match relation {
        Relation::LessThan => Some(count.saturating_sub(1)),
        Relation::AtMost => Some(count),
        _ => None,
    };
    let mut out = text.to_owned();
    let mut what = Vec::new();
    for r in requirements {
        match r {
            Requirement::NumberLines { relation, count } => {
                if let Some(m) = max(*relation, *count) {
                    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
                    if lines.len() > m && m > 0 {
                        out = lines[..m].join("\n");
                        what.push(format!("kept the first {m} lines"));
                    }
                }
            }
            Requirement::NumberSentences { relation, count } => {
                if let Some(m) = max(*relation, *count) {
                    let sentences = measure::sentences(&out);
                    if sentences.len() > m && m > 0 {
                        out = sentences[..m].join(" ");
                        what.push(format!("kept the first {m} sentences"));
                    }
                }
            }
            Requirement::NumberWords { relation, count } => {
                if let Some(m) = max(*relation, *count)
                    && measure::count_words(&out) > m
                    && m > 0
                {
                    let sentences = measure::sentences(&out);
                    let mut kept = Vec::new();
                    for s in sentences {
                        let candidate = [kept.clone(), vec![s]].concat().join(" ");
                        if measure::count_words(&candidate) > m {
                            break;
                        }
                        kept.push(s);
                    }
                    if !kept.is_empty() {
                        out = kept.join(" ");
                        what.push(format!("kept whole sentences up to {m} words"));
                    }
                }
            }
            _ => {}
        }
    }
    (!what.is_empty()).then(|| (out, what.join(", ")))
}
