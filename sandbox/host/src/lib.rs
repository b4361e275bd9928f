//! flinch sandbox host: evaluates untrusted arithmetic programs exactly, in
//! the WebAssembly guest (`flinch-sandbox-guest`) under wasmtime.
//!
//! ```no_run
//! use flinch_sandbox::{Limits, ModuleCache, Sandbox};
//! let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off)?;
//! let v = sandbox.eval("books = 5*20 + 3*30 + 2*45\nbooks").unwrap();
//! assert_eq!(v.exact, "280");
//! # Ok::<(), flinch_sandbox::SandboxError>(())
//! ```
//!
//! Each evaluation gets a fresh store with its own fuel, wall-clock deadline
//! (epoch interruption) and memory cap; the module links no imports, so the
//! guest can reach nothing outside its memory. Every outcome is a `Value` or
//! a typed [`EvalError`]; a trap never takes the host down. The language is
//! documented in `sandbox/README.md`.

pub mod bench;
mod error;
mod limits;
mod module;
mod sandbox;
mod value;

pub use error::{EvalError, Result, SandboxError};
pub use flinch_sandbox_guest::{DECIMAL_DIGITS, ErrorKind, GuestError, Pos, ROOT_DIGITS};
pub use limits::{
    DEFAULT_DEADLINE, DEFAULT_FUEL, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_NESTING,
    DEFAULT_MAX_PROGRAM_BYTES, DEFAULT_MAX_VALUE_BITS, EPOCH_TICK, Limits, MIN_MEMORY_BYTES,
    ModuleCache,
};
pub use module::{GUEST_WASM_SHA256, ModuleSource};
pub use sandbox::{ModuleLoad, Sandbox};
pub use value::{Assignment, Value, ValueKind};
