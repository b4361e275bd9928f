//! flinch guardrails.
