//! Shared helpers for the host's integration tests.

#![allow(dead_code)]

use flinch_sandbox::{Limits, ModuleCache, Sandbox};

/// One sandbox per test process; the module is compiled once.
pub fn sandbox() -> &'static Sandbox {
    static SANDBOX: std::sync::OnceLock<Sandbox> = std::sync::OnceLock::new();
    SANDBOX
        .get_or_init(|| Sandbox::new(Limits::default(), &ModuleCache::Off).expect("sandbox builds"))
}

/// One corpus case: the line it is on, what to expect, the program.
pub struct Case {
    pub line: usize,
    pub expect: String,
    pub program: String,
}

/// Read `tests/corpus/adversarial.txt` (format described in `generate.py`).
pub fn corpus() -> Vec<Case> {
    let text = include_str!("../corpus/adversarial.txt");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, l)| {
            let (expect, program) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("line {}: no tab", i + 1));
            Case {
                line: i + 1,
                expect: expect.to_string(),
                program: unescape(program, i + 1),
            }
        })
        .collect()
}

fn unescape(s: &str, line: usize) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let c = rest
            .chars()
            .next()
            .unwrap_or_else(|| panic!("line {line}: trailing backslash"));
        if rest.starts_with("rep{") {
            let close = rest.find('}').unwrap();
            let n: usize = rest[4..close].parse().unwrap();
            let body_start = close + 2;
            let body_end = body_start + body_len(&rest[body_start..]);
            let body = unescape(&rest[body_start..body_end], line);
            out.push_str(&body.repeat(n));
            rest = &rest[body_end + 1..];
            continue;
        }
        match c {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '\\' => out.push('\\'),
            'x' => {
                let code = u32::from_str_radix(&rest[1..3], 16).unwrap();
                out.push(char::from_u32(code).unwrap());
                rest = &rest[3..];
                continue;
            }
            'u' => {
                let end = rest.find('}').unwrap();
                let code = u32::from_str_radix(&rest[2..end], 16).unwrap();
                out.push(char::from_u32(code).unwrap());
                rest = &rest[end + 1..];
                continue;
            }
            other => panic!("line {line}: unknown escape \\{other}"),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// Length of a `\rep` body: up to the first `}` that does not close a `\u{..}`.
fn body_len(s: &str) -> usize {
    let mut in_code = false;
    let mut prev_backslash = false;
    for (i, c) in s.char_indices() {
        match c {
            '{' if prev_backslash || s[..i].ends_with("\\u") => in_code = true,
            '}' if in_code => in_code = false,
            '}' => return i,
            _ => {}
        }
        prev_backslash = c == '\\' && !prev_backslash;
    }
    panic!("unterminated \\rep body")
}
