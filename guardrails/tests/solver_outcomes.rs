//! Every outcome type of a solver call, end to end through Z3, with the exact
//! text a user sees.

use std::time::{Duration, Instant};

use flinch_guardrails::solver::{
    SmtSolver, SolverError, SolverLimits, UnknownReason, Value, Verdict,
};

fn solve(script: &str) -> Verdict {
    SmtSolver::default().solve(script).unwrap().result
}

#[test]
fn sat_carries_the_model() {
    let v =
        solve("(declare-const x Int)\n(declare-const p Bool)\n(assert (= x (- 5)))\n(assert p)\n");
    match &v {
        Verdict::Sat(m) => {
            assert_eq!(m.get("x"), Some(&Value::Int(-5)));
            assert_eq!(m.get("p"), Some(&Value::Bool(true)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(v.to_string(), "sat: x = (- 5), p = true");
    assert_eq!(v.status(), "sat");
}

#[test]
fn unsat() {
    let v = solve("(declare-const x Int)\n(assert (> x 2))\n(assert (< x 1))\n(check-sat)\n");
    assert_eq!(v, Verdict::Unsat);
    assert_eq!(v.to_string(), "unsat");
}

#[test]
fn unknown_with_z3s_reason() {
    // Nonlinear real arithmetic: Z3's nlsat is off (it can ignore interrupts).
    let v = solve("(declare-const r Real)\n(assert (= (* r r) 2.0))\n");
    assert_eq!(
        v,
        Verdict::Unknown(UnknownReason::Incomplete(
            "smt tactic failed to show goal to be sat/unsat (incomplete (theory arithmetic))"
                .into()
        ))
    );
    assert_eq!(
        v.to_string(),
        "unknown: smt tactic failed to show goal to be sat/unsat (incomplete (theory arithmetic))"
    );
}

#[test]
fn timeout_within_the_deadline() {
    let limits = SolverLimits::with_timeout(Duration::from_millis(300));
    let grace = limits.watchdog_grace;
    let solver = SmtSolver::new(limits);
    let fermat = "(declare-const x Int)\n(declare-const y Int)\n(declare-const z Int)\n\
                  (assert (and (> x 0) (> y 0) (> z 0)))\n\
                  (assert (= (+ (* x x x) (* y y y)) (* z z z)))\n";
    let started = Instant::now();
    let v = solver.solve(fermat).unwrap().result;
    let took = started.elapsed();
    assert_eq!(v, Verdict::Timeout);
    assert_eq!(v.to_string(), "timeout");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(
        took < Duration::from_millis(300) + grace + Duration::from_millis(400),
        "{took:?}"
    );
}

#[test]
fn memory_limit() {
    let solver = SmtSolver::new(SolverLimits {
        memory_mib: 64,
        timeout: Duration::from_secs(10),
        ..SolverLimits::default()
    });
    // Each instance of the quantifier creates two new terms to match.
    let bomb = "(declare-fun g (Int) Int)\n\
                (assert (forall ((x Int)) (! (> (g x) (+ (g (* 2 x)) (g (+ (* 2 x) 1)))) :pattern ((g x)))))\n\
                (assert (= (g 1) 0))\n";
    let v = solver.solve(bomb).unwrap().result;
    assert_eq!(
        v,
        Verdict::Unknown(UnknownReason::MemoryLimit { limit_mib: 64 })
    );
    assert_eq!(v.to_string(), "unknown: memory limit of 64 MiB reached");
}

#[test]
fn z3_parse_errors_keep_z3s_position_and_message() {
    let e = SmtSolver::default()
        .solve("(declare-const x Int)\n(assert (= x y))\n")
        .unwrap_err();
    assert_eq!(e.to_string(), "line 2 column 13: unknown constant y");
    assert_eq!(e.kind(), "parse");
    assert_eq!(e.line(), Some(2));
    let e = SmtSolver::default()
        .solve("(declare-const x Int)\n(assert (= (+ x true) 1))\n")
        .unwrap_err();
    assert!(matches!(e, SolverError::Parse { line: 2, .. }), "{e}");
}

#[test]
fn refused_before_z3() {
    let e = SmtSolver::default()
        .solve("(declare-const x Int)\n(assert (> x 0))\n(set-option :timeout 0)\n(check-sat)\n")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3: command `set-option` is not allowed; remove it (allowed: set-logic, set-info, \
         declare-sort, define-sort, declare-datatype, declare-datatypes, declare-const, \
         declare-fun, define-fun, assert, check-sat, get-model, get-value, push, pop)"
    );
    assert_eq!(e.kind(), "refused");
    assert!(e.is_input_error());
}

#[test]
fn timings_are_measured() {
    let t = SmtSolver::default()
        .solve("(declare-const x Int)\n(assert (= x 1))\n")
        .unwrap()
        .timings;
    assert!(t.parse > Duration::ZERO);
    assert!(t.solve > Duration::ZERO);
    assert!(t.total >= t.z3());
}

/// The Z3 process dies with the thread that started it; a solver shared
/// across threads starts a new one and answers as before.
#[test]
fn a_solver_outlives_the_thread_that_started_its_z3_process() {
    let solver = SmtSolver::default();
    let script = "(declare-const x Int)\n(assert (= x 7))\n";
    let first = {
        let s = solver.clone();
        std::thread::spawn(move || s.solve(script).unwrap().result)
            .join()
            .unwrap()
    };
    // Give the kernel a moment to deliver the parent-death signal.
    std::thread::sleep(Duration::from_millis(100));
    let second = solver.solve(script).unwrap().result;
    assert_eq!(first, second);
    assert!(matches!(second, Verdict::Sat(ref m) if m.get("x") == Some(&Value::Int(7))));
}
