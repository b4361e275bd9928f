//! Typed requirements (IFEval instruction types and more) and their deterministic verifiers (being built).
