//! flinch sandbox guest: a small, Python-compatible, exact arithmetic
//! language. It is compiled to `wasm32-unknown-unknown` and run by the host
//! crate (`flinch-sandbox`) inside wasmtime with no imports at all; it also
//! builds natively, so its tests run without wasm.
//!
//! The language is documented in `sandbox/README.md`. In short: one
//! statement per line (`name = expr`, `name += expr`, `expr`, `print(expr)`),
//! exact rational arithmetic on big integers, Python's precedence and its
//! `//` and `%` semantics, the functions `abs round min max sum floor ceil
//! sqrt int float pow`, `$20` and `15%` where unambiguous. The value of the
//! last line is the answer.
//!
//! The wasm interface (see `abi`): `flinch_alloc(len) -> ptr` and
//! `flinch_eval(ptr, len, max_value_bits, max_nesting) -> (ptr << 32) | len`
//! of a reply in the `wire` format.

pub mod ast;
pub mod error;
pub mod eval;
pub mod lexer;
pub mod number;
pub mod parser;
pub mod render;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod abi;

pub use error::{ErrorKind, GuestError, Pos};
pub use number::ROOT_DIGITS;
pub use render::{DECIMAL_DIGITS, Rendered, ValueKind};

/// Default bound on a value: numerator and denominator each at most this
/// many bits (8,192 bits is about 2,466 decimal digits). It keeps the worst
/// single operation (a gcd of two values at the bound) to a few million
/// wasm instructions, far inside the host's default fuel.
pub const DEFAULT_MAX_VALUE_BITS: u32 = 8_192;
/// Default bound on nesting: brackets, unary signs and powers together.
pub const DEFAULT_MAX_NESTING: u32 = 100;

/// The evaluator's own limits (the host adds fuel, time and memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalConfig {
    /// Largest numerator or denominator, in bits; a result over it is a
    /// `too_large` error, and powers and literals are refused up front.
    pub max_value_bits: u32,
    /// Deepest nesting of brackets, unary signs and powers.
    pub max_nesting: u32,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            max_value_bits: DEFAULT_MAX_VALUE_BITS,
            max_nesting: DEFAULT_MAX_NESTING,
        }
    }
}

/// A named value set by the program, in program order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub value: Rendered,
}

/// A successful evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The value of the last line.
    pub value: Rendered,
    /// Every `name = value` (or `name op= value`) in program order.
    pub assignments: Vec<Assignment>,
}

/// Evaluate a program: every statement in order; the last one's value is the
/// answer.
pub fn evaluate(program: &str, config: &EvalConfig) -> Result<Outcome, GuestError> {
    let bounds = number::Bounds {
        max_bits: u64::from(config.max_value_bits),
    };
    let mut parser = parser::Parser::new(program, bounds, config.max_nesting);
    let mut evaluator = eval::Evaluator::new(bounds);
    let mut last = None;
    while let Some(stmt) = parser.statement()? {
        if let Some(v) = evaluator.statement(&stmt)? {
            last = Some(v);
        }
    }
    let Some(last) = last else {
        return Err(GuestError::new(
            ErrorKind::Empty,
            "the program has no expression to evaluate",
            Pos::new(1, 1),
        ));
    };
    let assignments = evaluator
        .assignments
        .iter()
        .map(|(name, n)| Assignment {
            name: name.clone(),
            value: render::render(n),
        })
        .collect();
    Ok(Outcome {
        value: render::render(&last),
        assignments,
    })
}
