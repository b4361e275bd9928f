//! `flinch bench run`: a benchmark suite raw and/or guarded, written to a
//! resumable JSONL tape, with progress on stderr and a summary on stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use flinch_benchmarks::judge::{self, Judge};
use flinch_benchmarks::report;
use flinch_benchmarks::run::{self, DEFAULT_BATCH};
use flinch_benchmarks::summary::{self, summarize};
use flinch_benchmarks::{Mode, Progress, RunConfig, Runner, Selection, Shard, Suite, suite};
use flinch_engine::{Engine, LoadOptions, Threads};
use flinch_guardrails::PipelineConfig;
use flinch_guardrails::routes::chat::DEFAULT_CHAT_TOKENS;

use super::setup::{self, EngineOpts};
use crate::model_arg;

/// `--suite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuiteArg {
    /// GSM8K test (1056 items): 8-shot chain of thought from train in raw mode.
    Gsm8k,
    /// BIG-Bench Hard, 11 tasks (200 items each): the tasks' 3-shot CoT prompts.
    Bbh,
    /// IFEval (433 prompts): strict/loose, prompt/instruction level.
    Ifeval,
    /// MT-bench (80 questions, 160 turns): reference checks and error classes.
    MtBench,
    /// ProntoQA 5-hop (500 items): true/false.
    Prontoqa,
    /// LogicBench(Eval) yes/no questions (1520).
    LogicbenchBqa,
    /// LogicBench(Eval) multiple choice (500).
    LogicbenchMcqa,
}

impl SuiteArg {
    fn suite(self) -> Suite {
        match self {
            SuiteArg::Gsm8k => Suite::Gsm8k,
            SuiteArg::Bbh => Suite::Bbh,
            SuiteArg::Ifeval => Suite::Ifeval,
            SuiteArg::MtBench => Suite::MtBench,
            SuiteArg::Prontoqa => Suite::Prontoqa,
            SuiteArg::LogicbenchBqa => Suite::LogicbenchBqa,
            SuiteArg::LogicbenchMcqa => Suite::LogicbenchMcqa,
        }
    }
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// The model alone with the suite's standard prompting.
    Raw,
    /// The same questions through the guardrails pipeline (routing on).
    Guarded,
    /// Both, item by item.
    Both,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite to run.
    #[arg(long, value_enum)]
    pub suite: SuiteArg,
    /// Raw, guarded, or both.
    #[arg(long, value_enum, default_value_t = ModeArg::Both)]
    pub mode: ModeArg,
    /// Another copy of the suite's data in the same format (a file or folder)
    /// [default: the copy in benchmarks/data, or under $FLINCH_DATA when set].
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Only this task (BBH task, LogicBench `type/rule`, MT-bench category); repeatable.
    #[arg(long = "task", value_name = "NAME")]
    pub tasks: Vec<String>,
    /// Only the first N items of every task (of the suite when it has no tasks).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only the I-th of N disjoint parts of the items, 1-based (e.g. 2/4).
    #[arg(long, value_name = "I/N", value_parser = Shard::parse, default_value = "1/1")]
    pub shard: Shard,
    /// Folder of the tape `<suite>.jsonl` (`<suite>.shard-I-of-N.jsonl` for a
    /// shard); an existing tape is resumed: answers on it are not redone.
    #[arg(long, value_name = "DIR", default_value = "bench-out")]
    pub out: PathBuf,
    /// Seed of every sampled generation (raw mode is greedy).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Token budget of an answer, the same in both modes.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CHAT_TOKENS)]
    pub max_tokens: usize,
    /// Items answered together: raw few-shot items per batched generation,
    /// and guarded items answered side by side on N threads whose
    /// generations are decoded together.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH)]
    pub batch: usize,
    /// MT-bench only: rate every answer with this local model (catalog name
    /// or GGUF path) using MT-bench's judge prompts; labelled as a local
    /// judge, not GPT-4.
    #[arg(long, value_name = "NAME|PATH")]
    pub judge_model: Option<String>,
    /// Print the summary as JSON: {"suite", "n", "raw": {"accuracy", "ci95", …},
    /// "guarded": {…}, "uplift", "uplift_ci95", "uplift_strict",
    /// "uplift_strict_ci95", "tasks", "tape"}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineOpts,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let suite = args.suite.suite();
    anyhow::ensure!(args.batch > 0, "--batch must be at least 1");
    anyhow::ensure!(args.max_tokens > 0, "--max-tokens must be at least 1");
    anyhow::ensure!(
        args.judge_model.is_none() || suite == Suite::MtBench,
        "--judge-model applies to --suite mt-bench only"
    );
    let data = args.data.clone().unwrap_or_else(|| suite.default_data());
    anyhow::ensure!(
        data.exists(),
        "{} does not exist: --data for {suite} takes {}{}",
        data.display(),
        suite.data_format(),
        if args.data.is_some() {
            String::new()
        } else if suite::data_env().is_some() {
            format!(
                "; without --data the suite is read from ${}, a copy of benchmarks/data",
                suite::DATA_ENV
            )
        } else {
            format!(
                "; without --data the suite is read from the source tree flinch was built from \
                 (set {} to a copy of benchmarks/data when running away from it)",
                suite::DATA_ENV
            )
        }
    );
    let items = suite
        .load(&data)
        .with_context(|| format!("loading {suite} from {}", data.display()))?;
    let selection = Selection {
        tasks: args.tasks.clone(),
        limit: args.limit,
        shard: args.shard,
    };
    let items = suite::select(items, &selection)?;
    anyhow::ensure!(
        !items.is_empty(),
        "no items selected: check --task, --limit and --shard"
    );

    let engine = args.engine.load()?;
    let model = file_name(&engine.info().path);
    let judge = match &args.judge_model {
        Some(name) => Some(load_judge(name, &data, &args.engine)?),
        None => None,
    };
    let modes = match args.mode {
        ModeArg::Raw => vec![Mode::Raw],
        ModeArg::Guarded => vec![Mode::Guarded],
        ModeArg::Both => vec![Mode::Raw, Mode::Guarded],
    };
    let config = RunConfig {
        modes,
        max_tokens: args.max_tokens,
        seed: args.seed,
        batch: args.batch,
        model,
    };
    let pipeline = PipelineConfig {
        chat_max_tokens: args.max_tokens,
        ..PipelineConfig::default()
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let tape = run::tape_path(&args.out, suite, args.shard);
    eprintln!("{suite}: {} items, tape {}", items.len(), tape.display());
    let mut runner = Runner::new(Box::new(engine), setup::sandbox()?, pipeline, config, judge);
    let mut display = ProgressLine::new();
    let records = runner.run(&items, &tape, &mut |p| display.show(p))?;
    display.finish();
    if let Some(b) = runner.batch_stats().filter(|b| b.batches > 0) {
        eprintln!(
            "guarded generations: {} requests in {} batches ({:.1} on average, at most {})",
            b.requests,
            b.batches,
            b.requests as f64 / b.batches as f64,
            b.largest
        );
    }

    let summaries = summarize(&records);
    let Some(summary) = summaries.first() else {
        anyhow::bail!("the run produced no answers");
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary::run_json(summary, items.len(), &tape))?
        );
    } else {
        print!("{}", report::accuracy_table(&summaries));
        println!("\ntape: {}", tape.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn load_judge(name: &str, data: &Path, engine: &EngineOpts) -> anyhow::Result<Judge> {
    let dir = if data.is_dir() {
        data.to_path_buf()
    } else {
        data.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let prompts = judge::load_prompts(&dir.join("judge_prompts.jsonl"))?;
    let path = model_arg::resolve(Some(name))?;
    let options = LoadOptions {
        threads: engine.threads.map_or(Threads::Auto, Threads::Fixed),
        amx: engine.amx.into(),
        ..LoadOptions::default()
    };
    let judge = Engine::load(&path, options)
        .with_context(|| format!("loading the judge model {}", path.display()))?;
    eprintln!("judge model: {} (a local judge, not GPT-4)", path.display());
    Ok(Judge::new(Box::new(judge), file_name(&path), prompts))
}

/// The width of the terminal on stderr, in columns (none if it is not one).
fn columns() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills in a `winsize`, which starts zeroed.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 1).then_some(usize::from(size.ws_col))
}

/// `line` cut to at most `width` columns, with `…` where it was cut. Any
/// character outside ASCII counts as two columns (CJK and emoji take two),
/// so the cut may come a little early but the line never wraps.
fn fit(line: &str, width: usize) -> String {
    let cols = |c: char| if c.is_ascii() { 1 } else { 2 };
    if line.chars().map(cols).sum::<usize>() <= width {
        return line.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        if used + cols(c) + 1 > width {
            break;
        }
        used += cols(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// Progress on stderr: one updating line on a terminal, a line per answer otherwise.
struct ProgressLine {
    tty: bool,
    open: bool,
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// A 20-cell progress bar with the share done: `[#####...............]  25%`.
fn bar(done: usize, total: usize) -> String {
    const CELLS: usize = 20;
    let share = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).min(1.0)
    };
    let full = (share * CELLS as f64).floor() as usize;
    format!(
        "[{}{}] {:3}%",
        "#".repeat(full),
        ".".repeat(CELLS - full),
        (share * 100.0).floor() as usize
    )
}

fn acc((correct, scored): (usize, usize)) -> String {
    if scored == 0 {
        "–".to_owned()
    } else {
        format!(
            "{correct}/{scored} {:.1}%",
            100.0 * correct as f64 / scored as f64
        )
    }
}

impl ProgressLine {
    fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            open: false,
        }
    }

    fn show(&mut self, p: &Progress) {
        let line = format!(
            "{} {}/{}{} | {} elapsed, eta {} | {:.1} s/answer | raw {} | guarded {} | {}",
            bar(p.done, p.total),
            p.done,
            p.total,
            if p.resumed > 0 {
                format!(" +{} resumed", p.resumed)
            } else {
                String::new()
            },
            hms(p.elapsed),
            p.eta.map_or("–".to_owned(), hms),
            p.elapsed.as_secs_f64() / p.done.max(1) as f64,
            acc(p.raw),
            acc(p.guarded),
            p.last
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            // A line longer than the terminal would wrap, and the next update
            // would clear only its last row.
            let line = match columns() {
                Some(width) => fit(&line, width - 1),
                None => line,
            };
            let _ = write!(err, "\r\x1b[2K{line}");
            self.open = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    fn finish(&mut self) {
        if self.open {
            eprintln!();
            self.open = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_share_done() {
        assert_eq!(bar(0, 660), "[....................]   0%");
        assert_eq!(bar(165, 660), "[#####...............]  25%");
        assert_eq!(bar(659, 660), "[###################.]  99%");
        assert_eq!(bar(660, 660), "[####################] 100%");
        // Nothing to do is done; more than planned (resumed extras) stays full.
        assert_eq!(bar(0, 0), "[####################] 100%");
        assert_eq!(bar(7, 5), "[####################] 100%");
    }

    #[test]
    fn a_progress_line_is_cut_to_the_terminal() {
        assert_eq!(fit("raw 3/4 | guarded 4/4", 40), "raw 3/4 | guarded 4/4");
        assert_eq!(fit("abcdefghij", 10), "abcdefghij");
        assert_eq!(fit("abcdefghijk", 10), "abcdefghi…");
        // Wide characters count two columns: 3 of them and the mark fit in 7.
        assert_eq!(fit("天気はいいです", 7), "天気は…");
        assert_eq!(fit("abc", 0), "…");
    }
}
