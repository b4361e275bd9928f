//! The trace: every stage of answering a question, in order, with its
//! timing. It is part of every `Answer`, printed by `--trace`, returned by
//! the server and written to benchmark tapes.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;

/// One recorded stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Milliseconds since the pipeline started.
    pub at_ms: f64,
    /// How long the stage took, in milliseconds.
    pub ms: f64,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened in a stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Event {
    /// The router chose a route.
    Route { route: String, reason: String },
    /// The model generated text for a purpose (a draft, a program, …).
    Generate {
        purpose: String,
        text: String,
        finish: String,
        tokens: usize,
    },
    /// A program ran in the sandbox.
    Program {
        program: String,
        /// The exact value, or the error.
        outcome: String,
        ok: bool,
    },
    /// Candidate values were voted on.
    Vote {
        /// (value, votes), most votes first.
        tally: Vec<(String, usize)>,
        winner: Option<String>,
    },
    /// A script ran in the solver.
    Solve {
        script: String,
        outcome: String,
        ok: bool,
    },
    /// Requirements were checked against a draft.
    Verify {
        /// The draft's number from 1; 0 for the final answer (the best
        /// draft after its repairs).
        draft: usize,
        /// (requirement, verdict) pairs.
        verdicts: Vec<(String, String)>,
        failed: usize,
    },
    /// A post-pass looked at the answer.
    PostPass {
        name: String,
        verdict: String,
        action: String,
    },
    /// A route gave up and the pipeline fell back.
    Fallback { from: String, reason: String },
    /// Anything else worth a line.
    Note { text: String },
}

/// Collects steps with timestamps relative to its creation.
#[derive(Debug, Clone)]
pub struct Trace {
    start: Instant,
    steps: Vec<Step>,
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            steps: Vec::new(),
        }
    }

    /// Record an event that took `took` and ended now.
    pub fn record(&mut self, event: Event, took: Duration) {
        let end = self.start.elapsed();
        let at = end.saturating_sub(took);
        self.steps.push(Step {
            at_ms: ms(at),
            ms: ms(took),
            event,
        });
    }

    /// Record an instantaneous event.
    pub fn note(&mut self, event: Event) {
        self.record(event, Duration::ZERO);
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// A readable rendering of steps, one block per stage, for `--trace`.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        let head = format!("[{:>8.1} ms, {:>7.1} ms]", step.at_ms, step.ms);
        let _ = match &step.event {
            Event::Route { route, reason } => writeln!(out, "{head} route: {route} ({reason})"),
            Event::Generate {
                purpose,
                text,
                finish,
                tokens,
            } => writeln!(
                out,
                "{head} generate {purpose}: {tokens} tokens, {finish}\n{}",
                indent(text)
            ),
            Event::Program {
                program,
                outcome,
                ok,
            } => writeln!(
                out,
                "{head} sandbox {}: {outcome}\n{}",
                if *ok { "ok" } else { "error" },
                indent(program)
            ),
            Event::Vote { tally, winner } => {
                let tally: Vec<String> = tally.iter().map(|(v, n)| format!("{v}×{n}")).collect();
                writeln!(
                    out,
                    "{head} vote: {} → {}",
                    tally.join(", "),
                    winner.as_deref().unwrap_or("no winner")
                )
            }
            Event::Solve {
                script,
                outcome,
                ok,
            } => writeln!(
                out,
                "{head} solver {}: {outcome}\n{}",
                if *ok { "ok" } else { "error" },
                indent(script)
            ),
            Event::Verify {
                draft,
                verdicts,
                failed,
            } => {
                let _ = if *draft == 0 {
                    writeln!(out, "{head} verify final answer: {failed} failed")
                } else {
                    writeln!(out, "{head} verify draft {draft}: {failed} failed")
                };
                for (req, verdict) in verdicts {
                    let _ = writeln!(out, "    {req}: {verdict}");
                }
                Ok(())
            }
            Event::PostPass {
                name,
                verdict,
                action,
            } => writeln!(out, "{head} post-pass {name}: {verdict} → {action}"),
            Event::Fallback { from, reason } => {
                writeln!(out, "{head} fallback from {from}: {reason}")
            }
            Event::Note { text } => writeln!(out, "{head} {text}"),
        };
    }
    out
}

fn indent(text: &str) -> String {
    let body = if text.trim().is_empty() {
        "(empty)"
    } else {
        text.trim_end()
    };
    body.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_keep_order_and_render_readably() {
        let mut trace = Trace::new();
        trace.note(Event::Route {
            route: "calculator".into(),
            reason: "numbers with quantities and an amount question".into(),
        });
        trace.record(
            Event::Program {
                program: "total = 5*20\ntotal".into(),
                outcome: "100".into(),
                ok: true,
            },
            Duration::from_millis(2),
        );
        let steps = trace.into_steps();
        assert_eq!(steps.len(), 2);
        assert!(steps[1].ms >= 2.0);
        let text = render(&steps);
        assert!(
            text.contains("route: calculator (numbers with quantities and an amount question)")
        );
        assert!(text.contains("sandbox ok: 100\n    | total = 5*20\n    | total"));
        let json = serde_json::to_value(&steps[0]).unwrap();
        assert_eq!(json["stage"], "route");
        assert_eq!(json["route"], "calculator");
    }

    #[test]
    fn the_final_verification_is_named_so() {
        let mut trace = Trace::new();
        for draft in [1, 0] {
            trace.note(Event::Verify {
                draft,
                verdicts: vec![("3 bullet points".into(), "pass".into())],
                failed: 0,
            });
        }
        let text = render(&trace.into_steps());
        assert!(text.contains("verify draft 1: 0 failed"), "{text}");
        assert!(text.contains("verify final answer: 0 failed"), "{text}");
        assert!(!text.contains("draft 0"), "{text}");
    }
}
