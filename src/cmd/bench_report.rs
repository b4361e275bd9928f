//! `flinch bench report`: tapes rendered as a Markdown report (raw vs
//! guarded per suite and task with 95% intervals, IFEval, error classes,
//! judge ratings) and an SVG chart.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use flinch_benchmarks::summary::summarize;
use flinch_benchmarks::{Record, chart, report, tape};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Tapes written by `flinch bench run` (several suites or shards may be combined).
    #[arg(required = true, value_name = "TAPE")]
    pub tapes: Vec<PathBuf>,
    /// Write the Markdown report to this file [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the SVG chart to this file [default: next to --out, with .svg;
    /// no chart when the report goes to stdout].
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Print the per-suite and per-task summaries as JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

/// Every record of `tapes`, in order; a cut-short last line is reported and skipped.
pub fn read_tapes(tapes: &[PathBuf]) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for path in tapes {
        let t = tape::read(path)?;
        if t.truncated {
            eprintln!(
                "note: {} ends with an unfinished line (an interrupted run); it is skipped",
                path.display()
            );
        }
        records.extend(t.records);
    }
    anyhow::ensure!(!records.is_empty(), "the tapes hold no records");
    Ok(records)
}

/// `chart` written relative to the report's folder when they share one.
fn link(report: &Path, chart: &Path) -> String {
    match (report.parent(), chart.parent(), chart.file_name()) {
        (Some(a), Some(b), Some(name)) if a == b => name.to_string_lossy().into_owned(),
        _ => chart.display().to_string(),
    }
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let records = read_tapes(&args.tapes)?;
    let summaries = summarize(&records);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
        return Ok(ExitCode::SUCCESS);
    }
    let chart_path = args
        .chart
        .clone()
        .or_else(|| args.out.as_ref().map(|o| o.with_extension("svg")));
    if let Some(path) = &chart_path {
        std::fs::write(path, chart::svg(&summaries))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("chart: {}", path.display());
    }
    let sources: Vec<String> = args.tapes.iter().map(|t| t.display().to_string()).collect();
    let chart_link = match (&args.out, &chart_path) {
        (Some(out), Some(c)) => Some(link(out, c)),
        (None, Some(c)) => Some(c.display().to_string()),
        _ => None,
    };
    let md = report::markdown(&summaries, &records, &sources, chart_link.as_deref());
    match &args.out {
        Some(out) => {
            std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("report: {}", out.display());
        }
        None => print!("{md}"),
    }
    Ok(ExitCode::SUCCESS)
}
