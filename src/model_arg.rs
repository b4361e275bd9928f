//! Resolving `--model NAME|PATH` (being built).
