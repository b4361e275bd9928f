//! Builds the guest crate (`sandbox/guest`) for `wasm32-unknown-unknown` with a
//! nested cargo, copies the module to `OUT_DIR/flinch_sandbox_guest.wasm`
//! (embedded by `src/module.rs` with `include_bytes!`) and exports its SHA-256
//! as `FLINCH_GUEST_WASM_SHA256` (part of the compiled-module cache key).
//!
//! The nested cargo gets a clean environment: the outer build's RUSTFLAGS
//! (e.g. `-C target-cpu=native`), target and profile variables do not apply to
//! the guest; its profile is set here (opt-level 3, LTO, one codegen unit).

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const MISSING_TARGET: &str = "the Rust target wasm32-unknown-unknown is not installed; \
     the sandbox's guest module is built for it: run `rustup target add wasm32-unknown-unknown` and build again";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let guest_dir = manifest_dir.join("..").join("guest");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", guest_dir.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        guest_dir.join("Cargo.toml").display()
    );

    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    check_target_installed(&rustc);

    let target_dir = out_dir.join("guest-target");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--locked")
        .arg("--lib")
        .arg("--target")
        .arg(WASM_TARGET)
        .arg("--manifest-path")
        .arg(guest_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (key, _) in env::vars_os() {
        if should_clear(&key) {
            cmd.env_remove(&key);
        }
    }
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "3")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true");
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the sandbox guest: {e}"));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("may not be installed") || stderr.contains("can't find crate for `core`")
        {
            panic!("{MISSING_TARGET}\n\ncargo said:\n{stderr}");
        }
        panic!("building the sandbox guest for {WASM_TARGET} failed:\n{stderr}");
    }
    let built = target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("flinch_sandbox_guest.wasm");
    let bytes = fs::read(&built)
        .unwrap_or_else(|e| panic!("cannot read the built guest {}: {e}", built.display()));
    let dest = out_dir.join("flinch_sandbox_guest.wasm");
    fs::write(&dest, &bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=FLINCH_GUEST_WASM_SHA256={hex}");
}

/// Fail early, with the fix, when the wasm target's standard library is absent.
fn check_target_installed(rustc: &OsStr) {
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return; // let the nested build report the problem
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if sysroot.is_empty() {
        return;
    }
    let lib = Path::new(&sysroot)
        .join("lib")
        .join("rustlib")
        .join(WASM_TARGET)
        .join("lib");
    if !lib.is_dir() {
        panic!("{MISSING_TARGET} (looked for {})", lib.display());
    }
}

/// Variables of the outer build that must not reach the nested cargo.
fn should_clear(key: &OsStr) -> bool {
    let Some(key) = key.to_str() else {
        return false;
    };
    const KEEP: [&str; 7] = [
        "CARGO_HOME",
        "CARGO_MAKEFLAGS",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    if key.starts_with("CARGO_") || key.starts_with("__CARGO") {
        return !KEEP
            .iter()
            .any(|k| key == *k || (k.ends_with('_') && key.starts_with(k)));
    }
    matches!(
        key,
        "RUSTFLAGS"
            | "RUSTDOCFLAGS"
            | "RUSTC_WORKSPACE_WRAPPER"
            | "RUSTC_LINKER"
            | "TARGET"
            | "HOST"
            | "OUT_DIR"
            | "OPT_LEVEL"
            | "PROFILE"
            | "DEBUG"
            | "NUM_JOBS"
            | "RUSTDOC"
    )
}
