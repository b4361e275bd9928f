//! The `flinch` command line: every subcommand parses its flags here and
//! calls the library crates; nothing below `src/` reads the environment.

mod cli;
mod cmd;
mod model_arg;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` are "errors" that print to stdout and succeed.
        Err(err) => {
            let _ = err.print();
            let code = if err.use_stderr() {
                cli::EXIT_USAGE
            } else {
                cli::EXIT_OK
            };
            return Ok(ExitCode::from(code));
        }
    };
    if !matches!(
        cli.command,
        cli::Command::Serve(_) | cli::Command::Bench(cmd::bench::BenchCommand::Serve(_))
    ) {
        quiet_broken_pipe();
    }
    cmd::run(cli.command)
}

/// A closed stdout (`flinch calc … | head -1`) ends the process quietly, as
/// it does other command-line tools, instead of a panic in `println!`. The
/// server and its load test keep Rust's setting (SIGPIPE ignored), so that a
/// write to a closed socket is an error they handle.
fn quiet_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up before any other thread exists;
    // setting a signal's action to its default is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
