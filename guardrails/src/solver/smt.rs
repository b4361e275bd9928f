//! [`SmtSolver`]: the entry point for SMT-LIB2 scripts — check a script,
//! solve it, find the asked values (with a uniqueness check), or decide
//! whether premises entail a claim.

use std::sync::Arc;
use std::time::Instant;

use super::error::{Result, SolverError};
use super::limits::SolverLimits;
use super::outcome::{
    Ambiguity, Asked, Entailment, GaveUp, Timed, Timings, Uniqueness, Values, Verdict,
};
use super::script::{CLAIM_NAME, CheckedScript, check_claim_term, check_script};
use super::worker::Runner;
use super::z3run::{Plan, Request, Response};

/// The claim of an entailment query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim<'a> {
    /// A Boolean constant the script declares (and constrains), e.g. `claim`
    /// after `(declare-const claim Bool) (assert (= claim (> x 3)))`.
    Constant(&'a str),
    /// One SMT-LIB2 term over the script's names, e.g. `(> x 3)`.
    Term(&'a str),
}

/// Runs SMT-LIB2 scripts through Z3 under an allowlist and limits.
///
/// Each call checks the script first (size, parentheses, depth, allowed
/// commands, indices, `define-fun` expansion) and then runs Z3 in a worker
/// process (see the `worker` module) with the time and memory budget of
/// [`SolverLimits`]: nothing Z3 does can crash or hang the caller.
/// `check-sat`, `get-model` and `get-value` in a script are answered once,
/// after the whole script: the assertions in scope at its end are checked.
///
/// Clones share one Z3 process and take turns; for parallel calls make one
/// `SmtSolver` per thread. Linux only.
#[derive(Debug, Clone, Default)]
pub struct SmtSolver {
    limits: SolverLimits,
    runner: Arc<Runner>,
}

impl SmtSolver {
    pub fn new(limits: SolverLimits) -> Self {
        Self {
            limits,
            runner: Arc::default(),
        }
    }

    pub fn limits(&self) -> &SolverLimits {
        &self.limits
    }

    /// The allowlist check alone (no Z3).
    pub fn check(&self, script: &str) -> Result<CheckedScript> {
        check_script(script, &self.limits)
    }

    /// Checks satisfiability; a sat verdict carries the values of all
    /// declared constants.
    pub fn solve(&self, script: &str) -> Result<Timed<Verdict>> {
        let started = Instant::now();
        let checked = check_script(script, &self.limits)?;
        let check_time = started.elapsed();
        let response = self.run(&checked, checked.z3_text.clone(), Plan::Check)?;
        let timings = timings(check_time, &response, started);
        let verdict = first(response.verdicts);
        Ok(Timed {
            result: verdict,
            timings,
        })
    }

    /// Finds the values of the asked constants; with [`Uniqueness::Check`]
    /// also looks for a second model that differs on them and reports
    /// [`Values::Ambiguous`] if there is one.
    pub fn find_values(
        &self,
        script: &str,
        asked: &Asked,
        uniqueness: Uniqueness,
    ) -> Result<Timed<Values>> {
        let started = Instant::now();
        let checked = check_script(script, &self.limits)?;
        let check_time = started.elapsed();
        if checked.constants.is_empty() {
            return Err(SolverError::NothingToRead);
        }
        let names: Vec<String> = match asked {
            Asked::FromScript if checked.asked.is_empty() => {
                checked.constants.iter().map(|c| c.name.clone()).collect()
            }
            Asked::FromScript => checked.asked.clone(),
            Asked::Names(names) => names.clone(),
        };
        for name in &names {
            let constant = checked
                .constant(name)
                .ok_or_else(|| SolverError::UnknownConstant { name: name.clone() })?;
            if uniqueness == Uniqueness::Check
                && checked.uninterpreted_sorts.contains(&constant.sort)
            {
                return Err(SolverError::UniquenessUnsupported {
                    name: name.clone(),
                    sort: constant.sort.clone(),
                });
            }
        }
        let plan = match uniqueness {
            Uniqueness::Check => Plan::Unique { block: names },
            Uniqueness::Skip => Plan::Check,
        };
        let response = self.run(&checked, checked.z3_text.clone(), plan)?;
        let timings = timings(check_time, &response, started);
        let free = response.free_blocked.clone();
        let mut verdicts = response.verdicts.into_iter();
        let result = match (verdicts.next(), verdicts.next()) {
            (Some(Verdict::Sat(first)), _) if uniqueness == Uniqueness::Skip => {
                Values::Found(first)
            }
            (Some(Verdict::Sat(first)), _) if !free.is_empty() => Values::Ambiguous {
                first,
                other: Ambiguity::Unconstrained(free),
            },
            (Some(Verdict::Sat(first)), Some(Verdict::Unsat)) => Values::Unique(first),
            (Some(Verdict::Sat(first)), Some(Verdict::Sat(second))) => Values::Ambiguous {
                first,
                other: Ambiguity::OtherModel(second),
            },
            (Some(Verdict::Sat(first)), second) => Values::UniquenessGaveUp {
                first,
                reason: second.and_then(|v| v.gave_up()).unwrap_or(GaveUp::Timeout),
            },
            (Some(Verdict::Unsat), _) => Values::NoSolution,
            (Some(other), _) => Values::GaveUp(other.gave_up().unwrap_or(GaveUp::Timeout)),
            (None, _) => Values::GaveUp(GaveUp::Timeout),
        };
        Ok(Timed { result, timings })
    }

    /// Decides whether the premises (a script of declarations and assertions)
    /// entail the claim: checks premises ∧ ¬claim and premises ∧ claim.
    pub fn entails(&self, premises: &str, claim: Claim<'_>) -> Result<Timed<Entailment>> {
        let started = Instant::now();
        let checked = check_script(premises, &self.limits)?;
        let (text, claim_name) = match claim {
            Claim::Constant(name) => {
                let constant =
                    checked
                        .constant(name)
                        .ok_or_else(|| SolverError::UnknownConstant {
                            name: name.to_string(),
                        })?;
                if constant.sort != "Bool" {
                    return Err(SolverError::ClaimNotBool {
                        name: name.to_string(),
                        sort: constant.sort.clone(),
                    });
                }
                (checked.z3_text.clone(), name.to_string())
            }
            Claim::Term(term) => {
                check_claim_term(term, &self.limits)?;
                let text = format!(
                    "{}\n(declare-const |{CLAIM_NAME}| Bool)\n(assert (= |{CLAIM_NAME}| {term}))\n",
                    checked.z3_text
                );
                (text, CLAIM_NAME.to_string())
            }
        };
        let check_time = started.elapsed();
        let response = self
            .run(&checked, text, Plan::Entail { claim: claim_name })
            .map_err(|e| claim_error(e, &checked))?;
        let timings = timings(check_time, &response, started);
        let mut verdicts = response.verdicts.into_iter();
        let result = match (verdicts.next(), verdicts.next()) {
            (Some(Verdict::Unsat), Some(Verdict::Sat(_))) => Entailment::True,
            (Some(Verdict::Sat(_)), Some(Verdict::Unsat)) => Entailment::False,
            (Some(Verdict::Sat(_)), Some(Verdict::Sat(_))) => Entailment::Unknown,
            (Some(Verdict::Unsat), Some(Verdict::Unsat)) => Entailment::Contradictory,
            (a, b) => Entailment::GaveUp(
                a.and_then(|v| v.gave_up())
                    .or_else(|| b.and_then(|v| v.gave_up()))
                    .unwrap_or(GaveUp::Timeout),
            ),
        };
        Ok(Timed { result, timings })
    }

    fn run(&self, checked: &CheckedScript, text: String, plan: Plan) -> Result<Response> {
        self.runner.run(
            Request {
                text,
                constants: checked.constants.clone(),
                plan,
            },
            &self.limits,
        )
    }
}

/// A Z3 error past the script's last line is in the appended claim.
fn claim_error(e: SolverError, checked: &CheckedScript) -> SolverError {
    match e {
        SolverError::Parse { line, message, .. } if line > checked.lines => {
            SolverError::ClaimRejected { message }
        }
        other => other,
    }
}

fn first(verdicts: Vec<Verdict>) -> Verdict {
    verdicts.into_iter().next().unwrap_or(Verdict::Timeout)
}

fn timings(check: std::time::Duration, r: &Response, started: Instant) -> Timings {
    Timings {
        check,
        parse: r.parse,
        solve: r.solve,
        total: started.elapsed(),
    }
}
