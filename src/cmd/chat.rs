//! `flinch chat`: an interactive multi-turn conversation through the
//! pipeline. Works on a terminal and with piped stdin (one turn per line).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use flinch_guardrails::{AnswerOptions, Conversation, RouteChoice, trace};

use super::ask::{print_answer, system_prompt};
use super::setup::{self, EngineOpts, RouteArg};

#[derive(Debug, Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub engine: EngineOpts,
    /// System prompt (e.g. a persona); persona breaks are caught and regenerated.
    #[arg(long, value_name = "TEXT", conflicts_with = "persona")]
    pub system: Option<String>,
    /// Read the system prompt from a file.
    #[arg(long, value_name = "FILE")]
    pub persona: Option<PathBuf>,
    /// Route every turn takes [default: auto].
    #[arg(long, value_enum, default_value_t = RouteArg::Auto)]
    pub route: RouteArg,
    /// Seed of sampled generations (turn n uses seed + n).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

const HELP: &str = "commands: /trace toggles the trace of each answer, /raw toggles guardrails off, \
/reset forgets the conversation, /quit ends (so does end of input)";

pub fn run(args: ChatArgs) -> anyhow::Result<ExitCode> {
    let system = system_prompt(&args.system, &args.persona)?;
    let engine = args.engine.load()?;
    let mut pipeline = setup::pipeline(engine)?;
    let interactive = std::io::stdin().is_terminal();
    let mut conversation = Conversation::default();
    conversation.set_system(system);
    let (mut show_trace, mut raw) = (false, false);
    if interactive {
        eprintln!("{HELP}");
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut turn = 0u64;
    loop {
        if interactive {
            eprint!("you> ");
            std::io::stderr().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        let input = line.trim();
        match input {
            "" => continue,
            "/quit" | "/exit" => break,
            "/help" => {
                eprintln!("{HELP}");
                continue;
            }
            "/trace" => {
                show_trace = !show_trace;
                eprintln!("trace {}", if show_trace { "on" } else { "off" });
                continue;
            }
            "/raw" => {
                raw = !raw;
                eprintln!("guardrails {}", if raw { "off (raw)" } else { "on" });
                continue;
            }
            "/reset" => {
                conversation.clear_turns();
                eprintln!("conversation cleared");
                continue;
            }
            _ if input.starts_with('/') => {
                eprintln!("unknown command {input}; {HELP}");
                continue;
            }
            _ => {}
        }
        conversation.push_user(input);
        let options = AnswerOptions {
            route: if raw {
                RouteChoice::Raw
            } else {
                args.route.choice(false)
            },
            seed: args.seed.wrapping_add(turn),
            ..AnswerOptions::default()
        };
        turn += 1;
        let mut streamed = String::new();
        let mut out = std::io::stdout();
        let answer = pipeline.answer(&conversation, &options, &mut |delta| {
            streamed.push_str(delta);
            let _ = write!(out, "{delta}");
            let _ = out.flush();
        });
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                // Keep the conversation usable: drop the failed turn.
                conversation.pop_last();
                eprintln!("error: {e}");
                continue;
            }
        };
        if streamed.is_empty() {
            print_answer(&answer, false);
        } else {
            println!();
            if streamed.trim() != answer.text.trim() {
                println!("[guardrails revised the answer]\n{}", answer.text);
            }
        }
        if show_trace {
            println!("── trace ──\n{}", trace::render(&answer.trace));
        }
        conversation.push_assistant(answer.text.clone());
    }
    Ok(ExitCode::SUCCESS)
}
