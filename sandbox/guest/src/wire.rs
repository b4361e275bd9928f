//! The reply format between guest and host: UTF-8 text, one record per line,
//! tab-separated fields, a version line first. Values never contain tabs or
//! newlines (names are ASCII identifiers, renderings are digits, `-`, `.`
//! and `/`); a message is the last field and never contains a newline.
//!
//! ```text
//! flinch-guest 1                      flinch-guest 1
//! ok                                  err
//! <kind> TAB <exact> TAB <decimal>    <kind> TAB <line> TAB <column> TAB <message>
//! <number of assignments>
//! <name> TAB <kind> TAB <exact> TAB <decimal>   (that many lines)
//! ```

use std::fmt;

use crate::error::{ErrorKind, GuestError, Pos};
use crate::render::{Rendered, ValueKind};
use crate::{Assignment, Outcome};

pub const HEADER: &str = "flinch-guest 1";

pub fn encode(result: &Result<Outcome, GuestError>) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    match result {
        Ok(o) => {
            out.push_str("ok\n");
            push_rendered(&mut out, &o.value);
            out.push('\n');
            out.push_str(&o.assignments.len().to_string());
            out.push('\n');
            for a in &o.assignments {
                out.push_str(&a.name);
                out.push('\t');
                push_rendered(&mut out, &a.value);
                out.push('\n');
            }
        }
        Err(e) => {
            out.push_str("err\n");
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                e.kind.as_str(),
                e.line,
                e.column,
                e.message
            ));
        }
    }
    out
}

fn push_rendered(out: &mut String, r: &Rendered) {
    out.push_str(r.kind.as_str());
    out.push('\t');
    out.push_str(&r.exact);
    out.push('\t');
    out.push_str(&r.decimal);
}

/// A reply that does not follow the format (a guest bug, never user input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed guest reply: {}", self.0)
    }
}

impl std::error::Error for WireError {}

fn bad(what: impl Into<String>) -> WireError {
    WireError(what.into())
}

pub fn decode(text: &str) -> Result<Result<Outcome, GuestError>, WireError> {
    let mut lines = text.split('\n');
    let mut line = |what: &str| lines.next().ok_or_else(|| bad(format!("missing {what}")));
    if line("header")? != HEADER {
        return Err(bad("unknown header"));
    }
    match line("status")? {
        "ok" => {
            let value = parse_rendered(line("value")?)?;
            let count: usize = line("count")?
                .parse()
                .map_err(|_| bad("bad assignment count"))?;
            let mut assignments = Vec::with_capacity(count.min(1 << 16));
            for _ in 0..count {
                let l = line("assignment")?;
                let (name, rest) = l.split_once('\t').ok_or_else(|| bad("bad assignment"))?;
                assignments.push(Assignment {
                    name: name.to_string(),
                    value: parse_rendered(rest)?,
                });
            }
            Ok(Ok(Outcome { value, assignments }))
        }
        "err" => {
            let l = line("error")?;
            let mut f = l.splitn(4, '\t');
            let kind = f
                .next()
                .and_then(ErrorKind::from_name)
                .ok_or_else(|| bad("bad error kind"))?;
            let line_no: u32 = f
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("bad line"))?;
            let column: u32 = f
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("bad column"))?;
            let message = f.next().ok_or_else(|| bad("missing message"))?;
            Ok(Err(GuestError::new(
                kind,
                message,
                Pos::new(line_no, column),
            )))
        }
        _ => Err(bad("unknown status")),
    }
}

fn parse_rendered(s: &str) -> Result<Rendered, WireError> {
    let mut f = s.split('\t');
    let kind = f
        .next()
        .and_then(ValueKind::from_name)
        .ok_or_else(|| bad("bad value kind"))?;
    let exact = f
        .next()
        .ok_or_else(|| bad("missing exact value"))?
        .to_string();
    let decimal = f
        .next()
        .ok_or_else(|| bad("missing decimal value"))?
        .to_string();
    if f.next().is_some() {
        return Err(bad("extra value field"));
    }
    Ok(Rendered {
        kind,
        exact,
        decimal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EvalConfig, evaluate};

    #[test]
    fn outcomes_round_trip() {
        for program in ["a = 5/2\nb = a * 3\nb", "1/0", "x", "(1 + 2", "sqrt(2)", ""] {
            let r = evaluate(program, &EvalConfig::default());
            assert_eq!(decode(&encode(&r)).unwrap(), r, "{program:?}");
        }
    }

    #[test]
    fn malformed_replies_are_errors() {
        assert_eq!(
            decode("nope").unwrap_err().to_string(),
            "malformed guest reply: unknown header"
        );
        assert!(decode("flinch-guest 1\nok\ninteger\t1").is_err());
        assert!(decode("flinch-guest 1\nerr\nweird\t1\t1\tx").is_err());
    }
}
