//! `flinch calc [--json] EXPR…`: evaluate an arithmetic program exactly in the
//! WASM sandbox and print the value, or the typed error with its position.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use flinch_sandbox::{EvalError, Limits, ModuleCache, Sandbox, SandboxError, Value, ValueKind};
use serde_json::json;

use crate::cli::{EXIT_ERROR, EXIT_OK};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  flinch calc '1/3 + 1/6'                      prints 1/2 = 0.5
  printf 'books = 5*20 + 3*30\\nbooks\\n' | flinch calc
  flinch calc --json '(1 + 2'                  prints the error as JSON, exits 1

The language (Python-style exact arithmetic) is described in sandbox/README.md.
The compiled sandbox module is cached in $FLINCH_HOME/cache (default ~/.cache/flinch/cache).")]
pub struct CalcArgs {
    /// The program; several words are joined with spaces (put flags before it). Read from stdin when absent.
    #[arg(
        value_name = "EXPR",
        allow_hyphen_values = true,
        trailing_var_arg = true
    )]
    pub expr: Vec<String>,
    /// Print one JSON object: {"ok": true, "value", "decimal", …} or {"ok": false, "error": {…}}.
    #[arg(long)]
    pub json: bool,
    /// Also print every `name = value` the program assigned, in order.
    #[arg(long)]
    pub assignments: bool,
    /// Fuel units for the evaluation.
    #[arg(long, value_name = "UNITS", default_value_t = flinch_sandbox::DEFAULT_FUEL)]
    pub fuel: u64,
    /// Wall-clock deadline in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = flinch_sandbox::DEFAULT_DEADLINE.as_millis() as u64)]
    pub deadline_ms: u64,
    /// Do not read or write the compiled-module cache (compile in this process).
    #[arg(long)]
    pub no_cache: bool,
}

/// The module cache the CLI uses: `<flinch home>/cache`.
pub fn module_cache(disabled: bool) -> anyhow::Result<ModuleCache> {
    if disabled {
        return Ok(ModuleCache::Off);
    }
    Ok(ModuleCache::Dir(
        crate::model_arg::flinch_home()?.join("cache"),
    ))
}

pub fn run(args: CalcArgs) -> anyhow::Result<ExitCode> {
    let program = if args.expr.is_empty() {
        let mut stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("reading the program from stdin; end it with Ctrl-D");
        }
        let mut bytes = Vec::new();
        stdin
            .read_to_end(&mut bytes)
            .context("cannot read the program from stdin")?;
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => return Ok(not_utf8(e.as_bytes(), e.utf8_error(), args.json)),
        }
    } else {
        args.expr.join(" ")
    };
    let limits = Limits {
        fuel: args.fuel,
        deadline: Duration::from_millis(args.deadline_ms),
        ..Limits::default()
    };
    if let Err(SandboxError::InvalidLimits(message)) = limits.validate() {
        let e = EvalError::InvalidLimits { message };
        if args.json {
            println!("{}", to_json(&Err(e)));
        } else {
            eprintln!("error: {e}");
        }
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    let sandbox =
        Sandbox::new(limits, &module_cache(args.no_cache)?).context("cannot start the sandbox")?;
    let result = sandbox.eval(&program);
    if args.json {
        println!("{}", to_json(&result));
    } else {
        match &result {
            Ok(v) => print_value(v, args.assignments),
            Err(e) => print_error(e, &program),
        }
    }
    Ok(ExitCode::from(if result.is_ok() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }))
}

/// A program on stdin that is not UTF-8: the error with the position of the
/// first bad byte, as JSON too when asked, and exit 1.
fn not_utf8(bytes: &[u8], e: std::str::Utf8Error, json: bool) -> ExitCode {
    let (message, line, column) = utf8_error(bytes, e.valid_up_to());
    if json {
        let error = json!({"kind": "not_utf8", "message": message, "line": line, "column": column});
        println!("{}", json!({"ok": false, "error": error}));
    } else {
        eprintln!("error: {message} (line {line}, column {column})");
    }
    ExitCode::from(EXIT_ERROR)
}

/// The message, line and column (1-based, in characters) of the first
/// byte that is not UTF-8, at byte offset `at`.
fn utf8_error(bytes: &[u8], at: usize) -> (String, usize, usize) {
    let valid = String::from_utf8_lossy(&bytes[..at]);
    let line = valid.matches('\n').count() + 1;
    let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let message = format!(
        "the program is not UTF-8: byte 0x{:02x} at byte offset {at}; save it as UTF-8 text",
        bytes[at]
    );
    (message, line, column)
}

/// The `--json` document for a result.
pub fn to_json(result: &Result<Value, EvalError>) -> serde_json::Value {
    match result {
        Ok(v) => json!({
            "ok": true,
            "value": v.exact,
            "decimal": v.decimal,
            "kind": v.kind.as_str(),
            "fuel_used": v.fuel_used,
            "assignments": v.assignments.iter().map(|a| json!({
                "name": a.name, "value": a.exact, "decimal": a.decimal, "kind": a.kind.as_str(),
            })).collect::<Vec<_>>(),
        }),
        Err(e) => {
            let (line, column) = match e.position() {
                Some((l, c)) => (json!(l), json!(c)),
                None => (serde_json::Value::Null, serde_json::Value::Null),
            };
            json!({"ok": false, "error": {"kind": e.kind(), "message": e.message(), "line": line, "column": column}})
        }
    }
}

/// `280`, `5/2 = 2.5`, `1/3 ≈ 0.33333333333333333333`, `≈ 1.4142…`.
pub fn render_value(v: &Value) -> String {
    match v.kind {
        ValueKind::Integer => v.exact.clone(),
        ValueKind::Decimal => format!("{} = {}", v.exact, v.decimal),
        ValueKind::Fraction => format!("{} ≈ {}", v.exact, v.decimal),
        ValueKind::Approximate => format!("≈ {} (an irrational root, rounded)", v.decimal),
    }
}

fn print_value(v: &Value, assignments: bool) {
    if assignments {
        for a in &v.assignments {
            let shown = if a.kind == ValueKind::Integer {
                a.exact.clone()
            } else {
                format!("{} ({})", a.exact, a.decimal)
            };
            println!("{} = {shown}", a.name);
        }
    }
    println!("{}", render_value(v));
}

fn print_error(e: &EvalError, program: &str) {
    eprintln!("error: {e}");
    if let Some((line, column)) = e.position()
        && let Some(text) = program.lines().nth(line.saturating_sub(1) as usize)
    {
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let shown: String = text.chars().take(120).collect();
        let col = column.saturating_sub(1) as usize;
        if col <= shown.chars().count() {
            eprintln!("  {shown}");
            eprintln!("  {}^", " ".repeat(col));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flinch_sandbox::{ErrorKind, GuestError, Pos};

    #[test]
    fn a_program_that_is_not_utf8_is_located() {
        // Valid up to byte 11: "x = 1\n" (6 bytes), "é" (2), " + " (3).
        let (message, line, column) = utf8_error(b"x = 1\n\xc3\xa9 + \xff", 11);
        assert_eq!((line, column), (2, 5));
        assert_eq!(
            message,
            "the program is not UTF-8: byte 0xff at byte offset 11; save it as UTF-8 text"
        );
        let (_, line, column) = utf8_error(b"\xfe", 0);
        assert_eq!((line, column), (1, 1));
    }

    fn value(kind: ValueKind, exact: &str, decimal: &str) -> Value {
        Value {
            kind,
            exact: exact.into(),
            decimal: decimal.into(),
            fuel_used: 7,
            assignments: vec![],
        }
    }

    #[test]
    fn values_render_by_kind() {
        assert_eq!(
            render_value(&value(ValueKind::Integer, "280", "280")),
            "280"
        );
        assert_eq!(
            render_value(&value(ValueKind::Decimal, "5/2", "2.5")),
            "5/2 = 2.5"
        );
        assert_eq!(
            render_value(&value(ValueKind::Fraction, "1/3", "0.3")),
            "1/3 ≈ 0.3"
        );
    }

    #[test]
    fn json_documents_match_the_issue() {
        let ok = to_json(&Ok(value(ValueKind::Decimal, "1/2", "0.5")));
        assert_eq!(ok["ok"], json!(true));
        assert_eq!(ok["value"], json!("1/2"));
        assert_eq!(ok["decimal"], json!("0.5"));
        let err = to_json(&Err(EvalError::Guest(GuestError::new(
            ErrorKind::Syntax,
            "expected ')'",
            Pos::new(1, 5),
        ))));
        assert_eq!(
            err,
            json!({"ok": false, "error": {"kind": "syntax_error", "message": "expected ')'", "line": 1, "column": 5}})
        );
        let err = to_json(&Err(EvalError::OutOfFuel { fuel: 9 }));
        assert_eq!(err["error"]["kind"], json!("out_of_fuel"));
        assert_eq!(err["error"]["column"], serde_json::Value::Null);
    }
}
