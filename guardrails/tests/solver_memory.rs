//! The memory-limit outcome, in a test binary of its own: Z3's memory
//! limits are process-wide, so tests with other limits running in parallel
//! in the same process would change them under this one.

use std::time::Duration;

use flinch_guardrails::solver::{SmtSolver, SolverLimits, UnknownReason, Verdict};

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
