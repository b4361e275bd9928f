//! flinch guardrails: router, routes, solver, post-passes, refine loop, trace
//! and the `Pipeline` entry point.

pub mod requirements;
pub mod solver;
