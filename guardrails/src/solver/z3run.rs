//! Z3 on a checked script, inside a worker process (see [`super::worker`]):
//! read the script, run the plan's checks, read the models, and turn every
//! Z3 error into a typed result.
//!
//! Against the system libz3 4.8.12 only APIs that do not return Z3 enums
//! outside the bindings' range are used: values are read with
//! `Z3_model_get_const_interp` and printed with `Z3_ast_to_string`; names
//! come from `Z3_get_decl_name`. Errors are read with `Z3_get_error_code` and
//! `Z3_get_error_msg`, because `Z3_solver_from_string` reports nothing itself.
//!
//! Z3 runs the `smt` tactic as its solver: it starts in about a millisecond,
//! where Z3's default combined solver spends tens of milliseconds setting up
//! its preprocessing tactics. Its nonlinear real procedure (nlsat) is off: on
//! hard problems it ignores interrupts for minutes; such problems are
//! answered unknown instead.

use std::collections::HashMap;
use std::ffi::CStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use z3::ast::{Ast, Bool};
use z3::{Context, Params, SatResult};
use z3_sys::ErrorCode;

use super::error::SolverError;
use super::outcome::{Assignment, Model, UnknownReason, Value, Verdict};
use super::script::Constant;

/// What to do after Z3 has read the script.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Plan {
    /// One check.
    Check,
    /// One check; if sat, block the values of these constants and check again.
    Unique { block: Vec<String> },
    /// Check with the Boolean constant `claim` assumed false, then true.
    Entail { claim: String },
}

/// One call: the text Z3 reads, the constants to read from models, the plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Request {
    pub text: String,
    pub constants: Vec<Constant>,
    pub plan: Plan,
}

/// What Z3 found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Response {
    /// One verdict per check of the plan that ran.
    pub verdicts: Vec<Verdict>,
    /// Constants blocked by a uniqueness check that the first model leaves free.
    pub free_blocked: Vec<String>,
    pub parse: Duration,
    pub solve: Duration,
}

/// The limits a worker applies to itself.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct WorkerLimits {
    pub timeout: Duration,
    pub memory_mib: u32,
}

/// A Z3 failure inside a worker, sent back to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WorkerError {
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    Z3 {
        code: String,
        message: String,
    },
    Panic {
        message: String,
    },
}

impl From<WorkerError> for SolverError {
    fn from(e: WorkerError) -> Self {
        match e {
            WorkerError::Parse {
                line,
                column,
                message,
            } => SolverError::Parse {
                line,
                column,
                message,
            },
            WorkerError::Z3 { code, message } => SolverError::Z3 { code, message },
            WorkerError::Panic { message } => SolverError::Panic { message },
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// Runs `req` in this (worker) process. The memory limits are Z3's
/// process-wide parameters, so they are this call's alone: past the
/// watermark (bytes) the solver stops with unknown ("memout"); past the cap
/// (MB) allocations fail, for the parts of Z3 that do not look at the
/// watermark (bit-blasting, the SMT-LIB reader).
pub(crate) fn solve_here(req: &Request, limits: &WorkerLimits) -> Result<Response, WorkerError> {
    let started = Instant::now();
    let cap = u64::from(limits.memory_mib) * MIB;
    z3::set_global_param("memory_high_watermark", &cap.to_string());
    z3::set_global_param("memory_max_size", &limits.memory_mib.to_string());
    // One thread interrupts Z3 at the deadline: cheaper than Z3's `timeout`
    // parameter, which starts a timer for every check. (The worker process
    // ends right after the call, taking the thread with it.)
    let ctx = CtxPtr(Context::thread_local().get_z3_context());
    let timeout = limits.timeout;
    std::thread::spawn(move || {
        let ctx = ctx;
        std::thread::sleep(timeout.saturating_sub(started.elapsed()));
        // SAFETY: the context lives as long as the worker process.
        unsafe { z3_sys::Z3_interrupt(ctx.0) };
    });
    attempt(req, limits, started)
}

/// A Z3 context pointer, sent to the interrupting thread.
struct CtxPtr(z3_sys::Z3_context);
// SAFETY: only used for `Z3_interrupt`, which Z3 allows from another thread.
unsafe impl Send for CtxPtr {}

/// The plan, in the worker's Z3 context; the time budget counts from
/// `started`.
fn attempt(
    req: &Request,
    limits: &WorkerLimits,
    started: Instant,
) -> Result<Response, WorkerError> {
    let ctx = Context::thread_local();
    let raw = ctx.get_z3_context();

    let parse_start = Instant::now();
    let solver = z3::Tactic::new("smt").solver();
    // No nlsat (see the module documentation).
    let mut params = Params::new();
    params.set_bool("arith.nl.nra", false);
    solver.set_params(&params);
    solver.from_string(req.text.as_str());
    let parse = parse_start.elapsed();
    if let Some((code, message)) = z3_error(raw) {
        return Err(parse_error(code, message));
    }

    let mut verdicts = Vec::new();
    let mut free_blocked = Vec::new();
    let solve_start = Instant::now();
    let check = |assumptions: &[Bool]| -> Result<(Verdict, Option<z3::Model>), WorkerError> {
        if started.elapsed() >= limits.timeout {
            return Ok((Verdict::Timeout, None));
        }
        let result = if assumptions.is_empty() {
            solver.check()
        } else {
            solver.check_assumptions(assumptions)
        };
        if let Some((code, message)) = z3_error(raw) {
            return match code {
                ErrorCode::MemoutFail => Ok((memory_limit(limits.memory_mib), None)),
                _ => Err(WorkerError::Z3 {
                    code: format!("{code:?}"),
                    message,
                }),
            };
        }
        match result {
            SatResult::Unsat => Ok((Verdict::Unsat, None)),
            SatResult::Unknown => {
                let reason = solver.get_reason_unknown().unwrap_or_default();
                if started.elapsed() >= limits.timeout {
                    // Interrupted at the deadline.
                    return Ok((Verdict::Timeout, None));
                }
                Ok((classify_unknown(&reason, limits.memory_mib), None))
            }
            SatResult::Sat => {
                let model = solver.get_model().ok_or_else(|| WorkerError::Z3 {
                    code: "NoModel".to_string(),
                    message: "Z3 answered sat without a model".to_string(),
                })?;
                Ok((
                    Verdict::Sat(read_model(raw, &model, &req.constants)),
                    Some(model),
                ))
            }
        }
    };

    match &req.plan {
        Plan::Check => verdicts.push(check(&[])?.0),
        Plan::Unique { block } => {
            let (first, model) = check(&[])?;
            verdicts.push(first);
            if let Some(model) = model {
                let mut equalities = Vec::new();
                for decl in model.iter() {
                    if decl.arity() != 0 || !block.contains(&decl.name()) {
                        continue;
                    }
                    let constant = decl.apply(&[]);
                    if let Some(value) = model.get_const_interp(&constant)
                        && let Ok(eq) = constant.safe_eq(&value)
                    {
                        equalities.push((decl.name(), eq));
                    }
                }
                free_blocked = block
                    .iter()
                    .filter(|b| !equalities.iter().any(|(n, _)| n == *b))
                    .cloned()
                    .collect();
                if free_blocked.is_empty() {
                    let eqs: Vec<Bool> = equalities.into_iter().map(|(_, e)| e).collect();
                    solver.assert(Bool::and(&eqs).not());
                    verdicts.push(check(&[])?.0);
                }
            }
        }
        Plan::Entail { claim } => {
            let c = Bool::new_const(claim.as_str());
            verdicts.push(check(&[c.not()])?.0);
            verdicts.push(check(&[c])?.0);
        }
    }
    Ok(Response {
        verdicts,
        free_blocked,
        parse,
        solve: solve_start.elapsed(),
    })
}

/// A response of one timeout verdict.
pub(crate) fn timeout_response() -> Response {
    Response {
        verdicts: vec![Verdict::Timeout],
        free_blocked: Vec::new(),
        parse: Duration::ZERO,
        solve: Duration::ZERO,
    }
}

/// A response of one memory-limit verdict.
pub(crate) fn memory_response(memory_mib: u32) -> Response {
    Response {
        verdicts: vec![memory_limit(memory_mib)],
        ..timeout_response()
    }
}

fn memory_limit(memory_mib: u32) -> Verdict {
    Verdict::Unknown(UnknownReason::MemoryLimit {
        limit_mib: memory_mib,
    })
}

/// Maps Z3's reason for unknown to a verdict.
fn classify_unknown(reason: &str, memory_mib: u32) -> Verdict {
    let r = reason.to_ascii_lowercase();
    if ["timeout", "canceled", "cancelled", "interrupted"]
        .iter()
        .any(|w| r.contains(w))
    {
        Verdict::Timeout
    } else if r.contains("memory") || r.contains("memout") {
        memory_limit(memory_mib)
    } else {
        Verdict::Unknown(UnknownReason::Incomplete(reason.trim().to_string()))
    }
}

/// The pending Z3 error of the context, if any.
fn z3_error(ctx: z3_sys::Z3_context) -> Option<(ErrorCode, String)> {
    // SAFETY: `ctx` is the live context of this thread; the message is a
    // C string owned by Z3, copied before the next call.
    unsafe {
        let code = z3_sys::Z3_get_error_code(ctx);
        if code == ErrorCode::OK {
            return None;
        }
        let msg = z3_sys::Z3_get_error_msg(ctx, code);
        let text = if msg.is_null() {
            String::new()
        } else {
            CStr::from_ptr(msg).to_string_lossy().into_owned()
        };
        Some((code, text))
    }
}

/// Turns Z3's parser message into a typed error. Z3 writes
/// `(error "line 1 column 36: unknown constant = (Int)")`, one per error,
/// sometimes over several lines; the first error is reported, its lines
/// joined with spaces.
pub(crate) fn parse_error(code: ErrorCode, message: String) -> WorkerError {
    let text = message.trim();
    let first = match text.strip_prefix("(error \"") {
        Some(rest) => rest.split("\")\n(error \"").next().unwrap_or(rest),
        None => text,
    };
    let first = first.strip_suffix("\")").unwrap_or(first);
    let flat = first.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(rest) = flat.strip_prefix("line ")
        && let Some((line, rest)) = rest.split_once(" column ")
        && let Some((column, msg)) = rest.split_once(':')
        && let (Ok(line), Ok(column)) = (line.trim().parse(), column.trim().parse())
    {
        return WorkerError::Parse {
            line,
            column,
            message: msg.trim().to_string(),
        };
    }
    WorkerError::Z3 {
        code: format!("{code:?}"),
        message: flat,
    }
}

/// Reads the values of `constants` from `model`, in declaration order.
fn read_model(ctx: z3_sys::Z3_context, model: &z3::Model, constants: &[Constant]) -> Model {
    let mut found: HashMap<String, Value> = HashMap::new();
    for decl in model.iter() {
        if decl.arity() != 0 {
            continue;
        }
        let name = decl.name();
        if !constants.iter().any(|c| c.name == name) {
            continue;
        }
        let constant = decl.apply(&[]);
        if let Some(value) = model.get_const_interp(&constant) {
            // SAFETY: live context, AST of this context; the string is copied at once.
            let text = unsafe {
                let p = z3_sys::Z3_ast_to_string(ctx, value.get_z3_ast());
                if p.is_null() {
                    continue;
                }
                CStr::from_ptr(p).to_string_lossy().into_owned()
            };
            found.insert(name, Value::from_z3(&text));
        }
    }
    let mut out = Model::default();
    for c in constants {
        match found.remove(&c.name) {
            Some(value) => out.values.push(Assignment {
                name: c.name.clone(),
                sort: c.sort.clone(),
                value,
            }),
            None => out.unconstrained.push(c.name.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z3_parser_messages_become_line_and_column() {
        let e = parse_error(
            ErrorCode::ParserError,
            "(error \"line 1 column 36: unknown constant = (Int)\")\n".to_string(),
        );
        assert_eq!(
            e,
            WorkerError::Parse {
                line: 1,
                column: 36,
                message: "unknown constant = (Int)".into()
            }
        );
        let e = SolverError::from(parse_error(
            ErrorCode::ParserError,
            "(error \"line 4 column 17: unknown constant f (Int Int) \ndeclared: (declare-fun f (Int) Int) \")\n(error \"line 9 column 1: later\")".to_string(),
        ));
        assert_eq!(
            e.to_string(),
            "line 4 column 17: unknown constant f (Int Int) declared: (declare-fun f (Int) Int)"
        );
        let e = SolverError::from(parse_error(
            ErrorCode::Exception,
            "something odd".to_string(),
        ));
        assert_eq!(e.to_string(), "Z3 error (Exception): something odd");
    }

    #[test]
    fn unknown_reasons_are_classified() {
        assert_eq!(classify_unknown("timeout", 512), Verdict::Timeout);
        assert_eq!(classify_unknown("canceled", 512), Verdict::Timeout);
        assert_eq!(classify_unknown("interrupted", 512), Verdict::Timeout);
        assert_eq!(
            classify_unknown("smt tactic failed to show goal to be sat/unsat memout", 512),
            Verdict::Unknown(UnknownReason::MemoryLimit { limit_mib: 512 })
        );
        assert_eq!(
            classify_unknown("(incomplete quantifiers)", 512),
            Verdict::Unknown(UnknownReason::Incomplete("(incomplete quantifiers)".into()))
        );
    }
}
