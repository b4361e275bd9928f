//! Z3 solving of SMT-LIB2 scripts, safely: an allowlist check before Z3 sees
//! a script, a time and memory budget per call, typed verdicts and errors,
//! the two query shapes the logic route needs (find values with a uniqueness
//! check; entailment True / False / Unknown), and the facts language — a
//! line-based form a small model can write, compiled to SMT-LIB2.

pub mod error;
pub mod facts;
pub mod limits;
pub mod outcome;
pub mod script;
pub mod sexpr;
mod smt;
mod worker;
mod z3run;

pub use error::{FactsError, Result, SolverError};
pub use limits::SolverLimits;
pub use outcome::{
    Ambiguity, Asked, Assignment, Entailment, GaveUp, Model, Timed, Timings, Uniqueness,
    UnknownReason, Value, Values, Verdict,
};
pub use script::{CheckedScript, Constant};
pub use smt::{Claim, SmtSolver};
