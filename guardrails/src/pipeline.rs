//! The one entry point the CLI, the server and the benchmarks call:
//! `Pipeline::answer(conversation, options) → Answer { text, route,
//! evidence, trace }`. A question is routed, answered by its route (falling
//! back to guarded generation when a tool fails), and passed through the
//! post-passes; every stage lands in the trace.

use std::sync::Arc;
use std::time::Instant;

use flinch_engine::{CancelFlag, FinishReason, GenerateRequest, Generation, Sampling};
use flinch_sandbox::{EvalError, Sandbox, Value};
use serde::Serialize;

use crate::arith::Equation;
use crate::bank::{Example, Retriever};
use crate::conversation::Conversation;
use crate::error::Result;
use crate::llm::{Llm, PromptStyle};
use crate::postpass::{OnFail, PassVerdict, PostPass};
use crate::requirements::parse_requirements;
use crate::router::{self, Decision, RouteKind};
use crate::routes::calculator::{self, CalcOutcome, CalculatorConfig};
use crate::routes::chat::{self, Anchor, CompletionPrompt, DEFAULT_CHAT_TOKENS};
use crate::routes::choice;
use crate::routes::compare;
use crate::routes::constrained::{self, Checked};
use crate::routes::grammar::TokenTables;
use crate::routes::inventory;
use crate::routes::logic::{self, LogicOutcome};
use crate::routes::math_cot;
use crate::routes::purchases;
use crate::solver::{SmtSolver, SolverLimits};
use crate::trace::{Event, Step, Trace};

/// The bank of worked examples compiled into the binary.
const BANK: &str = include_str!("../../prompts/calculator-bank.jsonl");

/// Everything the pipeline can be tuned by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineConfig {
    pub calculator: CalculatorConfig,
    /// Token budget of a chat answer.
    pub chat_max_tokens: usize,
    /// Worked examples in the step-by-step fallback prompt.
    pub cot_examples: usize,
    /// Drafts of the constrained route (the first and its revisions).
    pub refine_passes: usize,
    /// Times the logic route sends rejected facts back with the error.
    pub logic_retries: usize,
    #[serde(skip)]
    pub solver: SolverLimits,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            calculator: CalculatorConfig::default(),
            chat_max_tokens: DEFAULT_CHAT_TOKENS,
            cot_examples: calculator::DEFAULT_EXAMPLES,
            refine_passes: constrained::DEFAULT_PASSES,
            logic_retries: logic::DEFAULT_RETRIES,
            solver: SolverLimits::default(),
        }
    }
}

/// Which route to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteChoice {
    /// The router decides.
    #[default]
    Auto,
    /// This route, whatever the router would say.
    Force(RouteKind),
    /// No guardrails at all: plain generation, no post-passes.
    Raw,
}

/// Options of one answer. `sampling`, `max_tokens` and `stop` apply to the
/// generations that write the answer's text (the raw and chat answers, the
/// chat fallbacks and the persona retry; `max_tokens` also bounds each draft
/// of the constrained route, whose drafts are the answer text); the other
/// tool routes keep their own tuned settings. `cancel` stops every
/// generation of the answer.
#[derive(Debug, Clone, Default)]
pub struct AnswerOptions {
    pub route: RouteChoice,
    /// Seed of every sampled generation.
    pub seed: u64,
    /// Sampling of the answer text [default: the route's own, greedy].
    pub sampling: Option<Sampling>,
    /// Token budget of the answer text [default: `PipelineConfig::chat_max_tokens`;
    /// for a constrained draft, `constrained::DEFAULT_DRAFT_TOKENS`].
    pub max_tokens: Option<usize>,
    /// The answer ends before the first of these: generations of the answer
    /// text stop at them, and the final text (of any route) is cut there.
    pub stop: Vec<String>,
    /// Set from another thread to stop every generation at its next token;
    /// the answer then comes back early, built from what was generated.
    pub cancel: CancelFlag,
    /// The caller's own prompt for the generations of the answer text (the
    /// raw and chat answers and the chat fallbacks), in place of the prompt
    /// built from the conversation; the option step continues it too.
    pub completion: Option<CompletionPrompt>,
}

/// The model as one answer's generations see it: every request carries the
/// answer's cancel flag; requests that write the answer text also get its
/// sampling and stop strings.
struct Scoped<'a> {
    llm: &'a mut (dyn Llm + Send),
    options: &'a AnswerOptions,
    answer_text: bool,
}

impl<'a> Scoped<'a> {
    /// For the generations of a tool route: only the cancel flag.
    fn tool(llm: &'a mut (dyn Llm + Send), options: &'a AnswerOptions) -> Self {
        Self {
            llm,
            options,
            answer_text: false,
        }
    }

    /// For the generations that write the answer text.
    fn text(llm: &'a mut (dyn Llm + Send), options: &'a AnswerOptions) -> Self {
        Self {
            llm,
            options,
            answer_text: true,
        }
    }

    fn apply(&self, request: &mut GenerateRequest) {
        request.cancel = Some(self.options.cancel.clone());
        if self.answer_text {
            if let Some(sampling) = self.options.sampling {
                request.sampling = sampling;
            }
            request.stop.extend(self.options.stop.iter().cloned());
        }
    }
}

impl Llm for Scoped<'_> {
    fn generate(
        &mut self,
        mut request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        self.apply(&mut request);
        self.llm.generate(request, on_text)
    }

    fn generate_batch(&mut self, mut requests: Vec<GenerateRequest>) -> Vec<Result<Generation>> {
        for r in &mut requests {
            self.apply(r);
        }
        self.llm.generate_batch(requests)
    }

    /// A cancelled answer scores nothing more (`None`: the caller gives up).
    fn continuation_logprob(&mut self, context: &str, continuation: &str) -> Result<Option<f64>> {
        if self.options.cancel.is_cancelled() {
            return Ok(None);
        }
        self.llm.continuation_logprob(context, continuation)
    }

    fn prompt_style(&self) -> PromptStyle {
        self.llm.prompt_style()
    }

    fn token_tables(&self) -> Option<std::sync::Arc<TokenTables>> {
        self.llm.token_tables()
    }
}

/// Whether a guarded answer that ended with `finish` may get its option
/// letter ([`choice::settle`]): not when it was cancelled or cut at one of
/// the caller's stop strings (`stop`), nor when one of those or of the
/// caller's completion prompt (`prompt_stop`, where an answer normally ends)
/// could cut the added "So the answer is (X)." line.
fn settles(finish: &FinishReason, stop: &[String], prompt_stop: &[String]) -> bool {
    let cut_by_caller =
        matches!(finish, FinishReason::Stop { sequence } if stop.contains(sequence));
    let would_cut = (b'A'..=b'Z').any(|l| {
        let line = choice::settled_line(&format!("({})", l as char));
        stop.iter()
            .chain(prompt_stop)
            .any(|s| !s.is_empty() && line.contains(s.as_str()))
    });
    !matches!(finish, FinishReason::Cancelled) && !cut_by_caller && !would_cut
}

/// `text` up to the first occurrence of any of `stop`.
fn cut_at_stop(mut text: String, stop: &[String]) -> String {
    if let Some(at) = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(at);
        text = text.trim_end().to_owned();
    }
    text
}

/// What supports an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    None,
    /// A program the sandbox ran, and the vote that chose its value.
    Program {
        program: String,
        value: String,
        /// Who wrote the program; `votes` and `samples` count model samples.
        source: ProgramSource,
        votes: usize,
        samples: usize,
    },
    /// The requirements of the request and their verdicts on the answer.
    Verdicts {
        verdicts: Vec<Checked>,
        /// Which draft was returned, of how many.
        draft: usize,
        drafts: usize,
    },
    /// Facts the model wrote and the SMT-LIB Z3 solved.
    Solver {
        facts: String,
        script: String,
    },
    /// Calculations found in the model's reasoning, each recomputed.
    Arithmetic {
        equations: Vec<Equation>,
        corrected_answer: Option<String>,
    },
}

/// Who wrote the program of [`Evidence::Program`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramSource {
    /// The question is itself a formula.
    Question,
    /// Read from the question by a fixed reader ([`purchases`], or
    /// [`inventory`] when every thing counts), no model.
    Reader,
    /// Read from the question by the [`inventory`] reader; the model only
    /// said which things belong to the asked category.
    Sorted,
    /// Sampled from the model and voted on.
    Model,
}

/// A verified answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub text: String,
    /// `None` for a raw answer.
    pub route: Option<RouteKind>,
    pub evidence: Evidence,
    pub trace: Vec<Step>,
}

pub struct Pipeline {
    llm: Box<dyn Llm + Send>,
    /// Shared by the pipelines of one run (one per worker thread).
    sandbox: Arc<Sandbox>,
    solver: SmtSolver,
    bank: Retriever,
    config: PipelineConfig,
}

impl Pipeline {
    /// `sandbox` is a `Sandbox` or an `Arc` of one that other pipelines share.
    pub fn new(
        llm: Box<dyn Llm + Send>,
        sandbox: impl Into<Arc<Sandbox>>,
        config: PipelineConfig,
    ) -> Self {
        Self {
            llm,
            sandbox: sandbox.into(),
            solver: SmtSolver::new(config.solver.clone()),
            bank: Retriever::new(load_bank()),
            config,
        }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Answer the conversation's last user turn. `on_text` receives the text
    /// of a raw or chat answer as it is generated (before post-passes; tool
    /// routes emit nothing until they are done).
    pub fn answer(
        &mut self,
        conversation: &Conversation,
        options: &AnswerOptions,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Answer> {
        let question = conversation.last_question()?.to_owned();
        let mut trace = Trace::new();
        if options.route == RouteChoice::Raw {
            let g = self.chat(
                conversation,
                Anchor::Plain,
                options,
                on_text,
                &mut trace,
                "raw answer",
            )?;
            return Ok(Answer {
                text: cut_at_stop(g.text, &options.stop),
                route: None,
                evidence: Evidence::None,
                trace: trace.into_steps(),
            });
        }
        let requirements = parse_requirements(&question);
        let decision = match options.route {
            RouteChoice::Force(route) => Decision {
                route,
                reason: "chosen by the caller".to_owned(),
            },
            _ => router::route(&question, requirements.len()),
        };
        trace.note(Event::Route {
            route: decision.route.name().to_owned(),
            reason: decision.reason.clone(),
        });
        // A tool route's answer, or `None` when the question gets guarded
        // generation (the fallback reason is in the trace).
        let tool = match decision.route {
            RouteKind::Calculator => Some(self.calculator(&question, options, &mut trace)?),
            RouteKind::Constrained if !requirements.is_empty() => {
                let c = constrained::answer(
                    &mut Scoped::tool(self.llm.as_mut(), options),
                    &question,
                    &requirements,
                    self.config.refine_passes,
                    options
                        .max_tokens
                        .unwrap_or(constrained::DEFAULT_DRAFT_TOKENS),
                    options.seed,
                    &mut trace,
                )?;
                Some((
                    c.text,
                    Evidence::Verdicts {
                        verdicts: c.verdicts,
                        draft: c.draft,
                        drafts: c.drafts,
                    },
                ))
            }
            RouteKind::Logic => {
                match logic::answer(
                    &mut Scoped::tool(self.llm.as_mut(), options),
                    &self.solver,
                    &question,
                    self.config.logic_retries,
                    options.seed,
                    &mut trace,
                )? {
                    LogicOutcome::Answer {
                        text,
                        facts,
                        script,
                    } => Some((text, Evidence::Solver { facts, script })),
                    LogicOutcome::GiveUp { reason } => {
                        trace.note(Event::Fallback {
                            from: "logic".to_owned(),
                            reason: format!("{reason}; answering with guarded generation"),
                        });
                        None
                    }
                }
            }
            RouteKind::Constrained => {
                trace.note(Event::Fallback {
                    from: "constrained".to_owned(),
                    reason: "no structural requirement was found in the question".to_owned(),
                });
                None
            }
            RouteKind::Chat => None,
        };
        // How the guarded generation ended, when there was one.
        let (text, evidence, generated) = match tool {
            Some((text, evidence)) => (text, evidence, None),
            None => {
                let g = self.chat(
                    conversation,
                    Anchor::Plain,
                    options,
                    on_text,
                    &mut trace,
                    "answer",
                )?;
                (g.text, Evidence::None, Some(g.finish))
            }
        };
        let mut text = self.post_passes(text, conversation, options, &mut trace)?;
        if let Some(finish) = generated
            && settles(
                &finish,
                &options.stop,
                options.completion.as_ref().map_or(&[], |c| &c.stop[..]),
            )
        {
            let settled = choice::settle(
                &mut Scoped::tool(self.llm.as_mut(), options),
                conversation,
                options.completion.as_ref(),
                text.clone(),
                options.seed,
                &mut trace,
            )?;
            // A word option could still meet a stop string: then nothing is added.
            if cut_at_stop(settled.clone(), &options.stop) == settled {
                if let Some(added) = settled.strip_prefix(text.trim_end())
                    && !added.is_empty()
                {
                    on_text(added);
                }
                text = settled;
            }
        }
        Ok(Answer {
            text: cut_at_stop(text, &options.stop),
            route: Some(decision.route),
            evidence,
            trace: trace.into_steps(),
        })
    }

    fn chat(
        &mut self,
        conversation: &Conversation,
        anchor: Anchor,
        options: &AnswerOptions,
        on_text: &mut dyn FnMut(&str),
        trace: &mut Trace,
        purpose: &str,
    ) -> Result<Generation> {
        let start = Instant::now();
        if options.completion.is_some() {
            trace.note(Event::Note {
                text: format!("{purpose}: generated from the caller's completion prompt"),
            });
        }
        let g = chat::generate(
            &mut Scoped::text(self.llm.as_mut(), options),
            conversation,
            options.completion.as_ref(),
            anchor,
            options.max_tokens.unwrap_or(self.config.chat_max_tokens),
            options.seed,
            on_text,
        )?;
        trace.record(calculator::generate_event(purpose, &g), start.elapsed());
        Ok(g)
    }

    /// Self-correction artifacts are repaired; a persona break (only with a
    /// system prompt) is regenerated once with the persona anchor, then
    /// repaired by dropping the offending sentences.
    fn post_passes(
        &mut self,
        mut text: String,
        conversation: &Conversation,
        options: &AnswerOptions,
        trace: &mut Trace,
    ) -> Result<String> {
        let pass = PostPass::SelfCorrection;
        let start = Instant::now();
        let verdict = pass.check(&text);
        let action = match (&verdict, pass.default_policy()) {
            (PassVerdict::Clean, _) => "keep".to_owned(),
            (_, OnFail::Repair) => {
                text = pass.repair(&text).unwrap_or(text);
                "repair: kept the corrected final part".to_owned()
            }
            _ => "keep and flag".to_owned(),
        };
        trace.record(post_event(pass, &verdict, action), start.elapsed());

        if conversation.system().is_some() {
            let pass = PostPass::PersonaBreak;
            let verdict = pass.check(&text);
            if verdict.is_clean() {
                trace.note(post_event(pass, &verdict, "keep".to_owned()));
            } else if options.completion.is_some() {
                // The caller's own prompt takes no anchor, and regenerating
                // it would give the same text: repair what there is.
                let action = match pass.repair(&text) {
                    Some(repaired) => {
                        text = repaired;
                        "repair: dropped the sentences out of persona (the caller's prompt takes no anchor)"
                    }
                    None => "keep and flag",
                };
                trace.note(post_event(pass, &verdict, action.to_owned()));
            } else {
                trace.note(post_event(
                    pass,
                    &verdict,
                    "regenerate with the persona anchor".to_owned(),
                ));
                let retry = AnswerOptions {
                    seed: options.seed.wrapping_add(1),
                    ..options.clone()
                };
                let g = self.chat(
                    conversation,
                    Anchor::Persona,
                    &retry,
                    &mut |_| {},
                    trace,
                    "persona retry",
                )?;
                let again = pass.check(&g.text);
                if again.is_clean() {
                    trace.note(post_event(
                        pass,
                        &again,
                        "keep the regenerated answer".to_owned(),
                    ));
                    text = g.text;
                } else if let Some(repaired) = pass.repair(&g.text) {
                    trace.note(post_event(
                        pass,
                        &again,
                        "repair: dropped the sentences out of persona".to_owned(),
                    ));
                    text = repaired;
                } else {
                    trace.note(post_event(pass, &again, "keep and flag".to_owned()));
                    text = g.text;
                }
            }
        }
        Ok(text)
    }
}

fn post_event(pass: PostPass, verdict: &PassVerdict, action: String) -> Event {
    Event::PostPass {
        name: pass.name().to_owned(),
        verdict: match verdict {
            PassVerdict::Clean => "clean".to_owned(),
            PassVerdict::Found { matched, at } => format!("found {matched:?} at byte {at}"),
        },
        action,
    }
}

/// The bank compiled into the binary (lines that fail to parse are a build
/// defect caught by the tests).
pub fn load_bank() -> Vec<Example> {
    BANK.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

mod calculate;
#[cfg(test)]
mod tests;

pub use calculate::formula_of;
