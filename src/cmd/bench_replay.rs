//! `flinch bench replay`: re-score tapes without running the model and
//! compare with the scores they hold.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use flinch_benchmarks::replay::replay;
use flinch_benchmarks::summary::summarize;
use flinch_benchmarks::{report, tape};

use super::bench_report::read_tapes;
use super::setup;
use crate::cli::EXIT_ERROR;

/// Differences listed before "… and N more".
const SHOWN: usize = 20;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Tapes written by `flinch bench run`.
    #[arg(required = true, value_name = "TAPE")]
    pub tapes: Vec<PathBuf>,
    /// Also write the re-scored records as a new tape.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print {"records", "differences": [...], "suites": [...]} as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Exits with 1 when a re-scored field differs from the tape.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let records = read_tapes(&args.tapes)?;
    let result = replay(&records, &setup::sandbox()?)?;
    if let Some(out) = &args.out {
        anyhow::ensure!(
            std::fs::metadata(out).map_or(true, |m| m.len() == 0),
            "{} already exists and is not empty: give a new file",
            out.display()
        );
        let mut w = tape::TapeWriter::append(out, 0)
            .with_context(|| format!("writing {}", out.display()))?;
        for r in &result.records {
            w.write(r)?;
        }
    }
    let summaries = summarize(&result.records);
    if args.json {
        let json = serde_json::json!({
            "records": result.records.len(),
            "differences": result.differences,
            "suites": summaries,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{}", report::accuracy_table(&summaries));
        println!(
            "\nreplayed {} records without the model: {}",
            result.records.len(),
            if result.differences.is_empty() {
                "every score matches the tape".to_owned()
            } else {
                format!("{} fields differ from the tape", result.differences.len())
            }
        );
        for d in result.differences.iter().take(SHOWN) {
            println!(
                "  {} {} {}: tape {} → replay {}",
                d.id,
                d.mode.name(),
                d.field,
                d.tape,
                d.replay
            );
        }
        if result.differences.len() > SHOWN {
            println!("  … and {} more", result.differences.len() - SHOWN);
        }
    }
    Ok(if result.differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ERROR)
    })
}
