//! What one evaluation may use, and where the compiled module is cached.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Result, SandboxError};

/// Fuel per evaluation (about one unit per wasm instruction). A typical
/// word-problem program uses well under 1% of it (see `flinch bench sandbox`);
/// it runs out in tens of milliseconds on runaway work.
pub const DEFAULT_FUEL: u64 = 200_000_000;
/// Wall-clock deadline per evaluation, enforced by epoch interruption.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(1);
/// Linear-memory cap per evaluation.
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 64 << 20;
/// Longest program accepted, in bytes (UTF-8); longer ones are refused
/// before entering the sandbox.
pub const DEFAULT_MAX_PROGRAM_BYTES: usize = 64 << 10;
/// Largest numerator or denominator of any value, in bits.
pub const DEFAULT_MAX_VALUE_BITS: u32 = flinch_sandbox_guest::DEFAULT_MAX_VALUE_BITS;
/// Deepest nesting of brackets, unary signs and powers.
pub const DEFAULT_MAX_NESTING: u32 = flinch_sandbox_guest::DEFAULT_MAX_NESTING;
/// How often the deadline is checked: the epoch ticker's period. A deadline
/// fires between `deadline` and `deadline + EPOCH_TICK` after the call starts.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);
/// The guest's own static memory (stack and data) is about 1.1 MiB; a memory
/// cap below this cannot instantiate it.
pub const MIN_MEMORY_BYTES: usize = 2 << 20;

/// Per-evaluation limits. Each evaluation gets a fresh store with these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Fuel units; running out ends the call with `EvalError::OutOfFuel`.
    pub fuel: u64,
    /// Wall-clock time; passing it ends the call with `DeadlineExceeded`.
    pub deadline: Duration,
    /// Linear-memory cap in bytes; exceeding it ends with `MemoryLimit`.
    pub max_memory_bytes: usize,
    /// Longest program in bytes; longer is `ProgramTooLarge`, not run.
    pub max_program_bytes: usize,
    /// Largest numerator/denominator in bits (the guest's `too_large`).
    pub max_value_bits: u32,
    /// Deepest nesting (the guest's `too_deep`).
    pub max_nesting: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: DEFAULT_FUEL,
            deadline: DEFAULT_DEADLINE,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            max_program_bytes: DEFAULT_MAX_PROGRAM_BYTES,
            max_value_bits: DEFAULT_MAX_VALUE_BITS,
            max_nesting: DEFAULT_MAX_NESTING,
        }
    }
}

impl Limits {
    /// Reject limits that cannot work (zero fuel, a memory cap below the
    /// guest's own static memory, ...).
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(SandboxError::InvalidLimits(m));
        if self.fuel == 0 {
            return bad("fuel must be at least 1".into());
        }
        if self.deadline.is_zero() {
            return bad("the deadline must be longer than zero".into());
        }
        if self.max_memory_bytes < MIN_MEMORY_BYTES {
            return bad(format!(
                "the memory cap must be at least {MIN_MEMORY_BYTES} bytes"
            ));
        }
        if self.max_program_bytes > u32::MAX as usize / 2 {
            return bad("the program size limit must be below 2 GiB".into());
        }
        if self.max_value_bits < 64 {
            return bad("the value size limit must be at least 64 bits".into());
        }
        if self.max_nesting == 0 {
            return bad("the nesting limit must be at least 1".into());
        }
        Ok(())
    }

    /// Epoch ticks to allow: enough that the deadline cannot fire early.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let tick = EPOCH_TICK.as_nanos().max(1);
        (self.deadline.as_nanos().div_ceil(tick) as u64).saturating_add(1)
    }
}

/// Where the compiled guest module is kept between processes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ModuleCache {
    /// Compile in every process (about 0.2 s in release builds).
    #[default]
    Off,
    /// Keep a serialized module in this directory (created if missing), named
    /// by the guest's hash and wasmtime's compatibility hash.
    Dir(PathBuf),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Limits::default().validate().unwrap();
    }

    #[test]
    fn impossible_limits_are_refused() {
        let e = Limits {
            fuel: 0,
            ..Limits::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid sandbox limits: fuel must be at least 1"
        );
        let e = Limits {
            max_memory_bytes: 1 << 20,
            ..Limits::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid sandbox limits: the memory cap must be at least 2097152 bytes"
        );
        assert!(
            Limits {
                deadline: Duration::ZERO,
                ..Limits::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn deadline_ticks_round_up() {
        let l = Limits {
            deadline: Duration::from_millis(12),
            ..Limits::default()
        };
        assert_eq!(l.deadline_ticks(), 4);
        assert_eq!(Limits::default().deadline_ticks(), 201);
    }
}
