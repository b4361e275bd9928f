//! flinch benchmarks.
