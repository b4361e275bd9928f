//! `flinch bench run` refuses a missing data folder before it loads a model,
//! and says where it looked and how to point it elsewhere; `flinch bench
//! speed` refuses a batch size it cannot run before it loads one.

use std::process::Command;

fn bench_run(env_data: Option<&str>, args: &[&str]) -> (Option<i32>, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_flinch"));
    command
        .args(["bench", "run", "--suite", "gsm8k", "--out"])
        .arg(out_dir.path())
        .args(args)
        .env_remove("FLINCH_DATA");
    if let Some(dir) = env_data {
        command.env("FLINCH_DATA", dir);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_missing_flinch_data_folder_is_named_in_the_error() {
    let (code, stderr) = bench_run(Some("/nonexistent/flinch-data"), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("/nonexistent/flinch-data/gsm8k/test.jsonl does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("read from $FLINCH_DATA"), "{stderr}");
}

#[test]
fn a_missing_data_argument_names_the_format() {
    let (code, stderr) = bench_run(None, &["--data", "/nonexistent/gsm8k.jsonl"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("/nonexistent/gsm8k.jsonl does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("a GSM8K JSONL file"), "{stderr}");
    assert!(!stderr.contains("FLINCH_DATA"), "{stderr}");
}

#[test]
fn speed_batches_out_of_range_are_refused_before_loading() {
    for (batch, says) in [
        ("0", "--batch 0 decodes nothing"),
        ("100", "--batch 100 is more than 61"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_flinch"))
            .args([
                "bench",
                "speed",
                "--batch",
                batch,
                "--model",
                "/nonexistent.gguf",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}
