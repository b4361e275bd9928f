//! The calculator route in the pipeline: formulas and comparisons read from
//! the question and computed in the sandbox, purchase lists and inventories
//! read without the model, else the model's programs (and, when they all
//! fail, step-by-step reasoning with the arithmetic check).

use super::*;

impl Pipeline {
    /// A yes/no comparison of two formulas, decided by the sandbox without
    /// the model (`None` if the question is not one).
    fn comparison(&self, question: &str, trace: &mut Trace) -> Option<(String, Evidence)> {
        let comparison = compare::read(question)?;
        let program = comparison.program();
        let (result, outcome) = self.eval_read(&program, trace);
        // A side the sandbox does not parse was misread, or its rules are
        // narrower than arithmetic: other routes try.
        if result.as_ref().is_err_and(|e| no_value(e).is_none()) {
            return None;
        }
        let text = comparison.verdict(&result.map_err(|e| e.message()));
        Some((
            text,
            read_evidence(program, outcome, ProgramSource::Question),
        ))
    }

    /// Run a program read from the question (not written by the model) in
    /// the sandbox, with its trace event; the result and how it shows.
    fn eval_read(
        &self,
        program: &str,
        trace: &mut Trace,
    ) -> (std::result::Result<Value, EvalError>, String) {
        let start = Instant::now();
        let result = self.sandbox.eval(program);
        let outcome = match &result {
            Ok(v) => calculator::display_value(v),
            Err(e) => e.to_string(),
        };
        trace.record(
            Event::Program {
                program: program.to_owned(),
                outcome: outcome.clone(),
                ok: result.is_ok(),
            },
            start.elapsed(),
        );
        (result, outcome)
    }

    pub(super) fn calculator(
        &mut self,
        question: &str,
        options: &AnswerOptions,
        trace: &mut Trace,
    ) -> Result<(String, Evidence)> {
        let seed = options.seed;
        if let Some(answer) = self.comparison(question, trace) {
            return Ok(answer);
        }
        // A question that is itself a formula needs no translation, a
        // purchase list in its usual phrasing is read without the model, and
        // a list of things to count is read with the model sorting them.
        let mut read = formula_of(question).map(|f| (f, ProgramSource::Question));
        if read.is_none()
            && let Some(p) = purchases::purchase_program(question)
        {
            trace.note(Event::Note {
                text: "a purchase list in a known phrasing: program read without the model"
                    .to_owned(),
            });
            read = Some((p, ProgramSource::Reader));
        }
        if read.is_none()
            && let Some(inv) = inventory::read(question)
        {
            let llm = &mut Scoped::tool(self.llm.as_mut(), options);
            if let Some(members) = inventory::members(llm, &inv, trace)? {
                let source = if inv.counts_everything() {
                    ProgramSource::Reader
                } else {
                    ProgramSource::Sorted
                };
                read = Some((inventory::program(&inv, &members), source));
            }
        }
        if let Some((formula, source)) = read {
            let (result, outcome) = self.eval_read(&formula, trace);
            match &result {
                Ok(_) => {
                    let text = format!("The answer is {outcome}.");
                    return Ok((text, read_evidence(formula, outcome, source)));
                }
                // The question's own formula has no value: say why, rather
                // than have the model make one up ("What is 5/0?").
                Err(e) if source == ProgramSource::Question => {
                    if let Some(text) = no_value(e) {
                        return Ok((text, read_evidence(formula, outcome, source)));
                    }
                }
                // A reading the sandbox does not take: the model translates.
                Err(_) => {}
            }
        }
        let outcome = calculator::answer(
            &mut Scoped::tool(self.llm.as_mut(), options),
            &self.sandbox,
            &self.bank,
            question,
            &self.config.calculator,
            seed,
            trace,
        )?;
        match outcome {
            CalcOutcome::Answer {
                value,
                program,
                votes,
                samples,
            } => Ok((
                format!("The answer is {value}."),
                Evidence::Program {
                    program,
                    value,
                    source: ProgramSource::Model,
                    votes,
                    samples,
                },
            )),
            CalcOutcome::GiveUp { reason } => {
                trace.note(Event::Fallback {
                    from: "calculator".to_owned(),
                    reason: format!("{reason}; reasoning step by step with the arithmetic check"),
                });
                let cot = math_cot::answer(
                    &mut Scoped::tool(self.llm.as_mut(), options),
                    &self.sandbox,
                    &self.bank,
                    question,
                    self.config.cot_examples,
                    seed,
                    trace,
                )?;
                let mut text = cot.reasoning.clone();
                if let Some(corrected) = &cot.report.corrected_answer {
                    text = format!(
                        "{text}\nChecked arithmetic: the calculations give {corrected}, so the answer is {corrected}."
                    );
                } else if text.is_empty() {
                    text = "I could not work this out reliably.".to_owned();
                }
                Ok((
                    text,
                    Evidence::Arithmetic {
                        equations: cot.report.equations,
                        corrected_answer: cot.report.corrected_answer,
                    },
                ))
            }
        }
    }
}

/// The answer to a formula whose evaluation failed for a reason the user
/// should hear (division by zero, the square root of a negative number, a
/// value over the sandbox's size bound, an ambiguous percentage), rather
/// than because it was misread or the sandbox's rules are narrower than
/// arithmetic (`(-8) ** (1/3)` is −2 to a person): `None` for those.
pub(super) fn no_value(e: &EvalError) -> Option<String> {
    let m = e.message();
    let why = match e.kind() {
        "division_by_zero" => "That cannot be computed",
        "math_domain" if m.starts_with("sqrt") || m.starts_with("factorial") => {
            "That cannot be computed"
        }
        "too_large" | "too_deep" => "That is beyond what the sandbox computes exactly",
        "syntax_error" if m.starts_with("ambiguous ") => {
            return Some(format!("That is ambiguous: {}.", &m["ambiguous ".len()..]));
        }
        _ => return None,
    };
    Some(format!("{why}: {m}."))
}

/// The evidence of a program read from the question: no model samples.
fn read_evidence(program: String, value: String, source: ProgramSource) -> Evidence {
    Evidence::Program {
        program,
        value,
        source,
        votes: 0,
        samples: 0,
    }
}

/// The question as a program, when it is a formula: `What is 12*7?` →
/// `12*7`, `((3 + 4) * -2) =` → `((3 + 4) * -2)`, `What is seventeen times
/// four?` → `17 * 4`.
pub fn formula_of(question: &str) -> Option<String> {
    let body = compare::program_symbols(&router::formula(question)?);
    (!body.is_empty()).then_some(body)
}
