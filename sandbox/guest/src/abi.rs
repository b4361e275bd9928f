//! The wasm exports. The host writes the program into memory it got from
//! `flinch_alloc`, calls `flinch_eval`, and reads the reply it points to.
//! Each evaluation runs in a fresh instance, so nothing is ever freed.

use crate::error::{ErrorKind, GuestError, Pos};
use crate::{EvalConfig, evaluate, wire};

/// Reserve `len` bytes for the host to write the program into.
#[unsafe(no_mangle)]
pub extern "C" fn flinch_alloc(len: u32) -> u32 {
    let mut buf: Vec<u8> = Vec::with_capacity(len as usize);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr as u32
}

/// Evaluate the `len` bytes at `ptr`; returns `(reply_ptr << 32) | reply_len`.
///
/// # Safety
/// `ptr..ptr + len` must be memory returned by `flinch_alloc(len)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn flinch_eval(
    ptr: u32,
    len: u32,
    max_value_bits: u32,
    max_nesting: u32,
) -> u64 {
    // SAFETY: the host wrote exactly `len` bytes at `ptr`, allocated above.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let config = EvalConfig {
        max_value_bits,
        max_nesting,
    };
    let result = match std::str::from_utf8(bytes) {
        Ok(program) => evaluate(program, &config),
        Err(_) => Err(GuestError::new(
            ErrorKind::Syntax,
            "the program is not valid UTF-8",
            Pos::new(1, 1),
        )),
    };
    let reply = wire::encode(&result).into_bytes().into_boxed_slice();
    let reply_len = reply.len() as u64;
    let reply_ptr = Box::into_raw(reply) as *mut u8 as u32;
    (u64::from(reply_ptr) << 32) | reply_len
}
