//! The sandbox's errors: building a sandbox (`SandboxError`) and evaluating a
//! program (`EvalError`, one variant per way an evaluation can end badly).

use std::time::Duration;

use flinch_sandbox_guest::GuestError;

/// Creating a [`crate::Sandbox`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid sandbox limits: {0}")]
    InvalidLimits(String),
    #[error("cannot create the wasmtime engine: {0}")]
    Engine(String),
    #[error("cannot compile the guest module: {0}")]
    Compile(String),
    #[error("cannot prepare the guest module for instantiation: {0}")]
    Link(String),
    #[error("cannot start the epoch ticker thread: {0}")]
    Ticker(String),
}

pub type Result<T, E = SandboxError> = std::result::Result<T, E>;

/// How an evaluation ended, when it did not produce a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The program is wrong: syntax, unknown name, division by zero, too
    /// large, too deep, math domain, type, empty. Has a line and column.
    #[error("{0}")]
    Guest(GuestError),
    /// Refused before entering the sandbox.
    #[error("program too large: {len} bytes; the limit is {max} bytes")]
    ProgramTooLarge { len: usize, max: usize },
    /// The evaluation used all its fuel (the usual stop for runaway work).
    #[error("out of fuel: the evaluation used all {fuel} units of its fuel")]
    OutOfFuel { fuel: u64 },
    /// The wall-clock deadline passed (epoch interruption).
    #[error("deadline exceeded: the evaluation ran longer than {} ms", deadline.as_millis())]
    DeadlineExceeded { deadline: Duration },
    /// The guest asked for more linear memory than the cap.
    #[error("memory limit: the evaluation needed more than {max_bytes} bytes of memory")]
    MemoryLimit { max_bytes: usize },
    /// The guest trapped for another reason (a guest bug: panic, stack
    /// overflow). The sandbox stays usable.
    #[error("the sandboxed evaluator crashed: {message}")]
    GuestTrap { message: String },
    /// The limits passed to `eval_with` are unusable (zero fuel, a memory
    /// cap too small for the guest, …); nothing was run.
    #[error("invalid limits: {message}")]
    InvalidLimits { message: String },
    /// wasmtime failed or the guest's reply was malformed (a flinch bug).
    #[error("internal sandbox error: {message}")]
    Internal { message: String },
}

impl EvalError {
    /// A stable snake_case name: the guest error kinds (`syntax_error`,
    /// `unknown_name`, `division_by_zero`, `too_large`, `too_deep`,
    /// `math_domain`, `type_error`, `empty_program`) or `program_too_large`,
    /// `out_of_fuel`, `deadline_exceeded`, `memory_limit`, `guest_trap`,
    /// `invalid_limits`, `internal`.
    pub fn kind(&self) -> &'static str {
        match self {
            EvalError::Guest(e) => e.kind.as_str(),
            EvalError::ProgramTooLarge { .. } => "program_too_large",
            EvalError::OutOfFuel { .. } => "out_of_fuel",
            EvalError::DeadlineExceeded { .. } => "deadline_exceeded",
            EvalError::MemoryLimit { .. } => "memory_limit",
            EvalError::GuestTrap { .. } => "guest_trap",
            EvalError::InvalidLimits { .. } => "invalid_limits",
            EvalError::Internal { .. } => "internal",
        }
    }

    /// The message without the position (the whole text for host errors).
    pub fn message(&self) -> String {
        match self {
            EvalError::Guest(e) => e.message.clone(),
            other => other.to_string(),
        }
    }

    /// `(line, column)` for program errors; `None` for limits and failures.
    pub fn position(&self) -> Option<(u32, u32)> {
        match self {
            EvalError::Guest(e) => Some((e.line, e.column)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flinch_sandbox_guest::{ErrorKind, Pos};

    #[test]
    fn messages_read_plainly() {
        let e = EvalError::Guest(GuestError::new(
            ErrorKind::Syntax,
            "expected ')'",
            Pos::new(1, 5),
        ));
        assert_eq!(e.to_string(), "expected ')' at line 1, column 5");
        assert_eq!(
            (e.kind(), e.message(), e.position()),
            ("syntax_error", "expected ')'".into(), Some((1, 5)))
        );
        let e = EvalError::DeadlineExceeded {
            deadline: Duration::from_millis(250),
        };
        assert_eq!(
            e.to_string(),
            "deadline exceeded: the evaluation ran longer than 250 ms"
        );
        assert_eq!(e.position(), None);
        assert_eq!(
            EvalError::OutOfFuel { fuel: 10 }.to_string(),
            "out of fuel: the evaluation used all 10 units of its fuel"
        );
        assert_eq!(
            EvalError::ProgramTooLarge { len: 9, max: 8 }.to_string(),
            "program too large: 9 bytes; the limit is 8 bytes"
        );
    }
}
