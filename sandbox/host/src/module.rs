//! The guest module: embedded at build time, compiled by cranelift once per
//! process, or loaded from a serialized copy in the cache directory.
//!
//! A cache file is `<sha256 of the payload (32 bytes)><wasmtime serialized
//! module>`, written to a temporary name and renamed, so a torn or altered
//! file is detected and replaced rather than loaded.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use crate::error::{Result, SandboxError};
use crate::limits::ModuleCache;

/// The guest module, built from `sandbox/guest` by `build.rs`.
pub const GUEST_WASM: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/flinch_sandbox_guest.wasm"));
/// SHA-256 of the guest module (`GUEST_WASM`), hex.
pub const GUEST_WASM_SHA256: &str = env!("FLINCH_GUEST_WASM_SHA256");

/// Where the module came from when the sandbox was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleSource {
    /// Compiled in this process; no cache configured.
    Compiled,
    /// Deserialized from this cache file.
    Cached { path: PathBuf },
    /// Compiled in this process and written to this cache file.
    CompiledAndCached { path: PathBuf },
    /// Compiled in this process; the cache could not be used (the sandbox
    /// works, the next process compiles again). `error` says why.
    CompiledCacheFailed { path: PathBuf, error: String },
}

pub(crate) fn load(engine: &Engine, cache: &ModuleCache) -> Result<(Module, ModuleSource)> {
    let ModuleCache::Dir(dir) = cache else {
        return Ok((compile(engine)?, ModuleSource::Compiled));
    };
    let path = dir.join(cache_file_name(engine));
    if let Ok(bytes) = fs::read(&path)
        && let Some(module) = deserialize_checked(engine, &bytes)
    {
        return Ok((module, ModuleSource::Cached { path }));
    }
    let module = compile(engine)?;
    let source = match store(&module, dir, &path) {
        Ok(()) => {
            prune(dir, &path, STALE_AFTER);
            ModuleSource::CompiledAndCached { path }
        }
        Err(error) => ModuleSource::CompiledCacheFailed { path, error },
    };
    Ok((module, source))
}

/// Cached modules of other builds (another guest or wasmtime version) older
/// than this are deleted when a new one is written. Younger ones stay: two
/// flinch versions in use side by side would otherwise recompile each time.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Delete this cache's other module files not modified for `age`; errors
/// are ignored (the cache works without it).
fn prune(dir: &Path, keep: &Path, age: std::time::Duration) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("flinch-guest-") && n.ends_with(".cwasm"));
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|e| e >= age);
        if ours && old && path != keep {
            let _ = fs::remove_file(&path);
        }
    }
}

fn compile(engine: &Engine) -> Result<Module> {
    Module::new(engine, GUEST_WASM).map_err(|e| SandboxError::Compile(format!("{e:#}")))
}

/// `flinch-guest-<wasm sha prefix>-<engine compatibility hash>.cwasm`.
pub(crate) fn cache_file_name(engine: &Engine) -> String {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!(
        "flinch-guest-{}-{:016x}.cwasm",
        &GUEST_WASM_SHA256[..16],
        h.finish()
    )
}

fn deserialize_checked(engine: &Engine, bytes: &[u8]) -> Option<Module> {
    if bytes.len() < 32 {
        return None;
    }
    let (sum, payload) = bytes.split_at(32);
    if Sha256::digest(payload).as_slice() != sum {
        return None;
    }
    // SAFETY: the payload is exactly what `Module::serialize` wrote for an
    // engine with the same compatibility hash (the file name), verified
    // above against its SHA-256; wasmtime checks the header and version too.
    unsafe { Module::deserialize(engine, payload) }.ok()
}

fn store(module: &Module, dir: &Path, path: &Path) -> std::result::Result<(), String> {
    let payload = module
        .serialize()
        .map_err(|e| format!("cannot serialize the module: {e:#}"))?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&Sha256::digest(&payload))?;
        f.write_all(&payload)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_module_is_wasm() {
        assert_eq!(&GUEST_WASM[..4], b"\0asm");
        assert_eq!(GUEST_WASM_SHA256.len(), 64);
        let hex: String = Sha256::digest(GUEST_WASM)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, GUEST_WASM_SHA256);
    }

    #[test]
    fn stale_modules_of_other_builds_are_pruned() {
        let dir = std::env::temp_dir().join(format!("flinch-prune-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let keep = dir.join("flinch-guest-aaaa-1111.cwasm");
        let other = dir.join("flinch-guest-bbbb-2222.cwasm");
        let unrelated = dir.join("notes.txt");
        for p in [&keep, &other, &unrelated] {
            fs::write(p, b"x").unwrap();
        }
        // Not old enough: everything stays.
        prune(&dir, &keep, std::time::Duration::from_secs(3600));
        assert!(keep.exists() && other.exists() && unrelated.exists());
        // Old enough: only the other module goes.
        prune(&dir, &keep, std::time::Duration::ZERO);
        assert!(keep.exists() && !other.exists() && unrelated.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tampered_cache_payloads_are_rejected() {
        let engine = Engine::default();
        assert!(deserialize_checked(&engine, b"short").is_none());
        let mut bytes = Sha256::digest(b"payload").to_vec();
        bytes.extend_from_slice(b"payloaX");
        assert!(deserialize_checked(&engine, &bytes).is_none());
    }
}
