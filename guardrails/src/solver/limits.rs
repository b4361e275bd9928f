//! The limits every solver call runs under: script size and shape (checked
//! before Z3 sees the script) and Z3's time and memory budget.

use std::time::Duration;

/// Default Z3 time budget per call (all checks of one call together).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2_000);
/// Default time a Z3 worker gets past the timeout (Z3 stops itself at the
/// timeout, mostly) before it is killed and the call answers
/// [`super::Verdict::Timeout`].
pub const DEFAULT_WATCHDOG_GRACE: Duration = Duration::from_millis(500);
/// Default cap on Z3's memory per call, in MiB: past it the verdict is
/// unknown (memory).
pub const DEFAULT_MEMORY_MIB: u32 = 512;
/// Default largest script accepted, in bytes.
pub const DEFAULT_MAX_SCRIPT_BYTES: usize = 64 * 1024;
/// Default deepest parenthesis nesting accepted.
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Default largest numeric index of an indexed identifier such as
/// `(_ BitVec 32)`, `(_ zero_extend 8)` or `(_ repeat 4)`.
pub const DEFAULT_MAX_INDEX: u64 = 1_024;
/// Default largest argument of `push` / `pop`.
pub const DEFAULT_MAX_SCOPES: u64 = 16;
/// Default largest size of a term once `define-fun` calls are expanded.
pub const DEFAULT_MAX_EXPANSION: u64 = 1_000_000;

/// Limits of one solver call. Build once (from CLI flags or defaults) and
/// reuse; every call gets the full budget afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolverLimits {
    /// Z3 time budget of one call; past it the verdict is
    /// [`super::Verdict::Timeout`].
    pub timeout: Duration,
    /// How long a Z3 worker may run past `timeout` before it is killed.
    pub watchdog_grace: Duration,
    /// Z3 memory cap of one call in MiB: Z3's solver stops with unknown
    /// (memory) past it (`memory_high_watermark`), and the worker's
    /// allocations fail past it (`memory_max_size`), which ends the worker
    /// with the same verdict.
    pub memory_mib: u32,
    /// Largest script accepted, in bytes.
    pub max_script_bytes: usize,
    /// Deepest parenthesis nesting accepted.
    pub max_depth: usize,
    /// Largest numeric index of an indexed identifier (`(_ BitVec n)` …).
    pub max_index: u64,
    /// Largest argument of `push` / `pop`.
    pub max_scopes: u64,
    /// Largest size of a term once `define-fun` calls are expanded (Z3
    /// expands them while reading, where running out of memory is fatal).
    pub max_expansion: u64,
}

impl Default for SolverLimits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            watchdog_grace: DEFAULT_WATCHDOG_GRACE,
            memory_mib: DEFAULT_MEMORY_MIB,
            max_script_bytes: DEFAULT_MAX_SCRIPT_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            max_index: DEFAULT_MAX_INDEX,
            max_scopes: DEFAULT_MAX_SCOPES,
            max_expansion: DEFAULT_MAX_EXPANSION,
        }
    }
}

impl SolverLimits {
    /// The defaults with another Z3 time budget.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            timeout,
            ..Self::default()
        }
    }
}
