//! Z3 solving of SMT-LIB scripts under an allowlist and limits (being built).
