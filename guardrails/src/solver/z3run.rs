//! Running Z3 on a checked script: one fresh Z3 context on its own thread per
//! call, a watchdog that interrupts Z3 past the deadline and, if Z3 still
//! does not return, gives up on the thread, and every Z3 error and panic of
//! the bindings turned into a typed result.
//!
//! Against the system libz3 4.8.12 only APIs that do not return Z3 enums
//! outside the bindings' range are used: values are read with
//! `Z3_model_get_const_interp` and printed with `Z3_ast_to_string`; names
//! come from `Z3_get_decl_name`. Errors are read with `Z3_get_error_code` and
//! `Z3_get_error_msg`, because `Z3_solver_from_string` reports nothing itself.

use std::collections::HashMap;
use std::ffi::CStr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use z3::ast::{Ast, Bool};
use z3::{Context, Params, SatResult};
use z3_sys::ErrorCode;

use super::error::{Result, SolverError};
use super::limits::SolverLimits;
use super::outcome::{Assignment, Model, UnknownReason, Value, Verdict};
use super::script::Constant;

/// What to do after Z3 has read the script.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// One check.
    Check,
    /// One check; if sat, block the values of these constants and check again.
    Unique { block: Vec<String> },
    /// Check with the Boolean constant `claim` assumed false, then true.
    Entail { claim: String },
}

/// One call: the text Z3 reads, the constants to read from models, the plan.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub text: String,
    pub constants: Vec<Constant>,
    pub plan: Plan,
}

/// What the Z3 thread found.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// One verdict per check of the plan that ran.
    pub verdicts: Vec<Verdict>,
    /// Constants blocked by a uniqueness check that the first model leaves free.
    pub free_blocked: Vec<String>,
    pub parse: Duration,
    pub solve: Duration,
}

/// A Z3 context pointer the watchdog may interrupt, valid while in the slot.
struct Slot {
    ctx: Option<z3_sys::Z3_context>,
    interrupted: bool,
}
// SAFETY: the pointer is only used for `Z3_interrupt`, which Z3 documents as
// callable from another thread, and only while the owning thread keeps the
// context alive (it clears the slot, under the lock, before dropping it).
unsafe impl Send for Slot {}

type Shared = Arc<Mutex<Slot>>;

/// Clears the slot when the Z3 thread leaves the context, also on unwinding.
struct SlotGuard<'a>(&'a Shared);
impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.ctx = None;
        }
    }
}

const MIB: u64 = 1024 * 1024;
/// Z3 memory a call needs before it reads the script: two contexts (the
/// bindings' per-thread one and the call's own, about 17 MB each) and a
/// small solver.
const CALL_HEADROOM: u64 = 48 * MIB;

/// Runs `req` under `limits`; never blocks longer than
/// `timeout + watchdog_grace` (plus thread start-up).
///
/// Z3 runs the `smt` tactic as its solver: it starts in about a millisecond,
/// where Z3's default combined solver spends tens of milliseconds setting up
/// its preprocessing tactics, and it stops more promptly when interrupted
/// (the combined solver's nlsat can ignore an interrupt for many seconds).
/// Its nonlinear real procedure (nlsat) is switched off for the same reason;
/// such problems are answered unknown.
pub(crate) fn run(req: Request, limits: &SolverLimits) -> Result<Response> {
    // Z3's memory limits are process-wide parameters. The watermark (in
    // bytes) is checked by the solver, which then answers unknown ("memout");
    // the hard cap (in MB) makes allocations fail, for the parts of Z3 that
    // do not look at the watermark (bit-blasting, say). Z3's SMT-LIB reader
    // ends the process when an allocation fails; the allowlist check keeps
    // what it has to read small, and `CALL_HEADROOM` keeps memory free for it.
    let cap = u64::from(limits.memory_mib) * MIB;
    z3::set_global_param("memory_high_watermark", &cap.to_string());
    z3::set_global_param(
        "memory_max_size",
        &(2 * u64::from(limits.memory_mib)).to_string(),
    );
    let worker_limits = limits.clone();
    supervise(limits, move |shared| {
        let started = Instant::now();
        // Z3 cannot even make a context when its memory is used up (by a
        // thread an earlier call had to leave behind, say); the bindings
        // would panic on that, so check first.
        let out_of_memory = || Response {
            verdicts: vec![memory_limit(&worker_limits)],
            free_blocked: Vec::new(),
            parse: Duration::ZERO,
            solve: Duration::ZERO,
        };
        // Memory held by a thread an earlier call left behind is freed when
        // that thread ends: wait for it, within this call's own budget.
        let cap = u64::from(worker_limits.memory_mib) * MIB;
        loop {
            // SAFETY: reads Z3's global allocation counter.
            let used = unsafe { z3_sys::Z3_get_estimated_alloc_size() };
            if used.saturating_add(CALL_HEADROOM) <= cap {
                break;
            }
            if started.elapsed() >= worker_limits.timeout || is_interrupted(shared) {
                return Ok(out_of_memory());
            }
            thread::sleep(Duration::from_millis(5));
        }
        // The bindings' own per-thread context, made now so that a failure
        // is not mistaken for a bug.
        if catch_unwind(|| {
            let _ = Context::thread_local();
        })
        .is_err()
        {
            return Ok(out_of_memory());
        }
        let Some(ctx) = new_context() else {
            return Ok(out_of_memory());
        };
        z3::with_z3_context(&ctx, || attempt(&req, &worker_limits, shared, started))
    })
}

/// A fresh Z3 context with model generation and no error handler (errors
/// are read with `Z3_get_error_code`; Z3's default handler would exit).
fn new_context() -> Option<Context> {
    // SAFETY: plain Z3 C API calls; the config is deleted after the context
    // is made (Z3 copies it), the context is owned by the returned `Context`.
    unsafe {
        let cfg = z3_sys::Z3_mk_config()?;
        z3_sys::Z3_set_param_value(cfg, c"model".as_ptr(), c"true".as_ptr());
        let ctx = z3_sys::Z3_mk_context_rc(cfg);
        z3_sys::Z3_del_config(cfg);
        let ctx = ctx?;
        z3_sys::Z3_set_error_handler(ctx, None);
        Some(Context::from_raw(ctx))
    }
}

fn is_interrupted(shared: &Shared) -> bool {
    shared.lock().map(|s| s.interrupted).unwrap_or(true)
}

/// Runs `body` on a fresh thread with a watchdog: past `timeout` it
/// interrupts the Z3 context in the slot (Z3 then stops and answers unknown,
/// read as [`Verdict::Timeout`]), and past another `grace` it leaves the
/// thread behind and answers [`Verdict::Timeout`] itself. A panic in `body` is
/// caught and returned as [`SolverError::Panic`].
fn supervise<F>(limits: &SolverLimits, body: F) -> Result<Response>
where
    F: FnOnce(&Shared) -> Result<Response> + Send + 'static,
{
    let shared: Shared = Arc::new(Mutex::new(Slot {
        ctx: None,
        interrupted: false,
    }));
    let (tx, rx) = mpsc::sync_channel(1);
    let worker_shared = Arc::clone(&shared);
    let spawned = thread::Builder::new()
        .name("flinch-z3".to_string())
        .stack_size(limits.stack_bytes)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| body(&worker_shared)));
            let result = result.unwrap_or_else(|payload| {
                Err(SolverError::Panic {
                    message: panic_text(payload.as_ref()),
                })
            });
            // The receiver is gone if the watchdog gave up on this thread.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(SolverError::Thread {
            message: e.to_string(),
        });
    }
    match rx.recv_timeout(limits.timeout) {
        Ok(r) => return r,
        Err(RecvTimeoutError::Disconnected) => return Err(lost_thread()),
        Err(RecvTimeoutError::Timeout) => {}
    }
    // Past the deadline: interrupt Z3 and wait once more.
    if let Ok(mut slot) = shared.lock() {
        slot.interrupted = true;
        if let Some(ctx) = slot.ctx {
            // SAFETY: the context is alive while it is in the slot (see `Slot`).
            unsafe { z3_sys::Z3_interrupt(ctx) };
        }
    }
    match rx.recv_timeout(limits.watchdog_grace) {
        Ok(r) => r,
        Err(RecvTimeoutError::Disconnected) => Err(lost_thread()),
        // Z3 ignores the interrupt: leave the thread behind, answer timeout.
        Err(RecvTimeoutError::Timeout) => Ok(timeout_response(Duration::ZERO)),
    }
}

fn lost_thread() -> SolverError {
    SolverError::Panic {
        message: "the Z3 thread ended without a result".to_string(),
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}

/// The plan, inside the call's own context; the time budget counts from
/// `started`.
fn attempt(
    req: &Request,
    limits: &SolverLimits,
    shared: &Shared,
    started: Instant,
) -> Result<Response> {
    let ctx = Context::thread_local();
    let raw = ctx.get_z3_context();
    if let Ok(mut slot) = shared.lock() {
        slot.ctx = Some(raw);
    }
    let _guard = SlotGuard(shared);
    let interrupted = || is_interrupted(shared);

    let parse_start = Instant::now();
    let solver = z3::Tactic::new("smt").solver();
    // No nlsat: on hard nonlinear real problems it ignores interrupts for
    // minutes. Such problems are answered unknown instead.
    let mut params = Params::new();
    params.set_bool("arith.nl.nra", false);
    solver.set_params(&params);
    solver.from_string(req.text.as_str());
    let parse = parse_start.elapsed();
    if let Some((code, message)) = z3_error(raw) {
        if interrupted() {
            return Ok(timeout_response(parse));
        }
        return Err(parse_error(code, message));
    }

    let mut verdicts = Vec::new();
    let mut free_blocked = Vec::new();
    let solve_start = Instant::now();
    let check = |assumptions: &[Bool]| -> Result<(Verdict, Option<z3::Model>)> {
        // The watchdog interrupts Z3 at the deadline (cheaper than Z3's own
        // timer, which starts a timer per check).
        if started.elapsed() >= limits.timeout || interrupted() {
            return Ok((Verdict::Timeout, None));
        }
        let result = if assumptions.is_empty() {
            solver.check()
        } else {
            solver.check_assumptions(assumptions)
        };
        if let Some((code, message)) = z3_error(raw) {
            return match code {
                _ if interrupted() => Ok((Verdict::Timeout, None)),
                ErrorCode::MemoutFail => Ok((memory_limit(limits), None)),
                _ => Err(SolverError::Z3 {
                    code: format!("{code:?}"),
                    message,
                }),
            };
        }
        match result {
            SatResult::Unsat => Ok((Verdict::Unsat, None)),
            SatResult::Unknown => {
                let reason = solver.get_reason_unknown().unwrap_or_default();
                Ok((classify_unknown(&reason, limits, interrupted()), None))
            }
            SatResult::Sat => {
                let model = solver.get_model().ok_or_else(|| SolverError::Z3 {
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

fn timeout_response(parse: Duration) -> Response {
    Response {
        verdicts: vec![Verdict::Timeout],
        free_blocked: Vec::new(),
        parse,
        solve: Duration::ZERO,
    }
}

fn memory_limit(limits: &SolverLimits) -> Verdict {
    Verdict::Unknown(UnknownReason::MemoryLimit {
        limit_mib: limits.memory_mib,
    })
}

/// Maps Z3's reason for unknown to a verdict.
fn classify_unknown(reason: &str, limits: &SolverLimits, interrupted: bool) -> Verdict {
    let r = reason.to_ascii_lowercase();
    if interrupted || r.contains("timeout") || r.contains("canceled") || r.contains("cancelled") {
        Verdict::Timeout
    } else if r.contains("memory") || r.contains("memout") {
        memory_limit(limits)
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
pub(crate) fn parse_error(code: ErrorCode, message: String) -> SolverError {
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
        return SolverError::Parse {
            line,
            column,
            message: msg.trim().to_string(),
        };
    }
    SolverError::Z3 {
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
            SolverError::Parse {
                line: 1,
                column: 36,
                message: "unknown constant = (Int)".into()
            }
        );
        let e = parse_error(
            ErrorCode::ParserError,
            "(error \"line 4 column 17: unknown constant f (Int Int) \ndeclared: (declare-fun f (Int) Int) \")\n(error \"line 9 column 1: later\")".to_string(),
        );
        assert_eq!(
            e.to_string(),
            "line 4 column 17: unknown constant f (Int Int) declared: (declare-fun f (Int) Int)"
        );
        let e = parse_error(ErrorCode::Exception, "something odd".to_string());
        assert_eq!(e.to_string(), "Z3 error (Exception): something odd");
    }

    fn quick_limits() -> SolverLimits {
        SolverLimits {
            timeout: Duration::from_millis(100),
            watchdog_grace: Duration::from_millis(50),
            ..SolverLimits::default()
        }
    }

    #[test]
    fn a_panic_in_the_z3_thread_becomes_a_typed_error() {
        // Default limits: printing the panic (and a backtrace) can be slow.
        let r = supervise(&SolverLimits::default(), |_| panic!("bindings exploded"));
        assert_eq!(
            r.unwrap_err().to_string(),
            "the Z3 bindings failed: bindings exploded"
        );
    }

    #[test]
    fn a_thread_that_never_returns_is_left_behind_as_a_timeout() {
        let started = Instant::now();
        let r = supervise(&quick_limits(), |_| {
            thread::sleep(Duration::from_secs(3));
            Ok(timeout_response(Duration::ZERO))
        })
        .unwrap();
        let waited = started.elapsed();
        assert_eq!(r.verdicts, vec![Verdict::Timeout]);
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
        assert!(waited < Duration::from_millis(1_000), "{waited:?}");
    }

    #[test]
    fn unknown_reasons_are_classified() {
        let l = SolverLimits::default();
        assert_eq!(classify_unknown("timeout", &l, false), Verdict::Timeout);
        assert_eq!(classify_unknown("canceled", &l, false), Verdict::Timeout);
        assert_eq!(
            classify_unknown("max. memory exceeded", &l, false),
            Verdict::Unknown(UnknownReason::MemoryLimit { limit_mib: 512 })
        );
        assert_eq!(
            classify_unknown("(incomplete quantifiers)", &l, false),
            Verdict::Unknown(UnknownReason::Incomplete("(incomplete quantifiers)".into()))
        );
        assert_eq!(
            classify_unknown("(incomplete quantifiers)", &l, true),
            Verdict::Timeout
        );
    }
}
