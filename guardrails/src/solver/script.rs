//! The allowlist check a script passes before Z3 sees it: size, balanced
//! parentheses and depth (in [`super::sexpr`]), then every top-level command
//! against the allowlist, indexed identifiers and scope counts against the
//! limits. The result records the declared constants and the `get-value`
//! names, and the text handed to Z3.

use std::collections::HashMap;

use super::error::{Result, SolverError};
use super::limits::SolverLimits;
use super::sexpr::{AtomKind, SExpr, read_all};

/// Names flinch declares itself start with this (as `|flinch …|` symbols).
pub(crate) const RESERVED_PREFIX: &str = "flinch ";
/// The Boolean constant an entailment claim given as a term is bound to.
pub(crate) const CLAIM_NAME: &str = "flinch claim";

/// Commands a script may contain. `check-sat`, `get-model` and `get-value`
/// are accepted and answered by flinch after the whole script (they are not
/// passed to Z3); the others are passed to Z3 unchanged.
pub const ALLOWED_COMMANDS: &[&str] = &[
    "set-logic",
    "set-info",
    "declare-sort",
    "define-sort",
    "declare-datatype",
    "declare-datatypes",
    "declare-const",
    "declare-fun",
    "define-fun",
    "assert",
    "check-sat",
    "get-model",
    "get-value",
    "push",
    "pop",
];

/// A declared constant (`declare-const`, or `declare-fun` without arguments).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Constant {
    pub name: String,
    /// The sort as written, e.g. `Int` or `(_ BitVec 8)`.
    pub sort: String,
    /// Line of the declaration.
    pub line: usize,
}

/// A script that passed the allowlist check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedScript {
    /// The script as Z3 reads it: `check-sat`, `get-model` and `get-value`
    /// are blanked out with spaces, so Z3's line and column numbers still
    /// point into the original.
    pub z3_text: String,
    /// Declared constants in declaration order (a redeclared name once).
    pub constants: Vec<Constant>,
    /// Names asked for by `get-value`, in order, without repeats.
    pub asked: Vec<String>,
    /// Sorts declared with `declare-sort` (uninterpreted).
    pub uninterpreted_sorts: Vec<String>,
    /// Number of top-level commands.
    pub commands: usize,
    /// Number of lines of the script.
    pub lines: usize,
}

impl CheckedScript {
    /// The declared constant called `name`.
    pub fn constant(&self, name: &str) -> Option<&Constant> {
        self.constants.iter().find(|c| c.name == name)
    }
}

/// Checks `src` against the allowlist and the limits.
pub fn check_script(src: &str, limits: &SolverLimits) -> Result<CheckedScript> {
    if src.len() > limits.max_script_bytes {
        return Err(SolverError::TooLarge {
            bytes: src.len(),
            limit: limits.max_script_bytes,
        });
    }
    if let Some(at) = src.find('\0') {
        return Err(SolverError::NotACommand {
            line: line_of(src, at),
            found: "\\0".to_string(),
        });
    }
    let forms = read_all(src, limits.max_depth)?;
    if forms.is_empty() {
        return Err(SolverError::EmptyScript);
    }
    let mut out = CheckedScript {
        z3_text: String::new(),
        constants: Vec::new(),
        asked: Vec::new(),
        uninterpreted_sorts: Vec::new(),
        commands: forms.len(),
        lines: src.lines().count().max(1),
    };
    let mut blank: Vec<std::ops::Range<usize>> = Vec::new();
    // Expanded body size of each define-fun with parameters.
    let mut macros: HashMap<String, u64> = HashMap::new();
    for form in &forms {
        let Some(items) = form.items() else {
            return Err(SolverError::NotACommand {
                line: form.line(),
                found: src[form.span()].to_string(),
            });
        };
        let line = form.line();
        let Some(command) = items.first().and_then(SExpr::plain) else {
            return Err(SolverError::NotACommand {
                line,
                found: src[form.span()].chars().take(40).collect(),
            });
        };
        if !ALLOWED_COMMANDS.contains(&command) {
            return Err(SolverError::Refused {
                line,
                command: command.to_string(),
            });
        }
        let args = &items[1..];
        let malformed = |expected: &'static str| SolverError::Malformed {
            line,
            command: command.to_string(),
            expected,
        };
        match command {
            "declare-const" => {
                let [name, sort] = args else {
                    return Err(malformed("(declare-const <name> <sort>)"));
                };
                let name = declared_name(name, line)
                    .ok_or(malformed("(declare-const <name> <sort>)"))??;
                record_constant(&mut out, name, &src[sort.span()], line);
            }
            "declare-fun" => {
                let [name, domain, sort] = args else {
                    return Err(malformed("(declare-fun <name> (<sort> ...) <sort>)"));
                };
                let name = declared_name(name, line)
                    .ok_or(malformed("(declare-fun <name> (<sort> ...) <sort>)"))??;
                match domain.items() {
                    Some([]) => record_constant(&mut out, name, &src[sort.span()], line),
                    Some(_) => {}
                    None => return Err(malformed("(declare-fun <name> (<sort> ...) <sort>)")),
                }
            }
            "define-fun" => {
                let [name, params, _sort, body] = args else {
                    return Err(malformed(
                        "(define-fun <name> ((<arg> <sort>) ...) <sort> <term>)",
                    ));
                };
                let name = declared_name(name, line).ok_or(malformed(
                    "(define-fun <name> ((<arg> <sort>) ...) <sort> <term>)",
                ))??;
                let size = expansion(body, &macros, line, limits)?;
                if params.items().is_some_and(|p| !p.is_empty()) {
                    macros.insert(name, size.max(1));
                }
            }
            "declare-sort" => {
                let (Some(name), true) = (args.first(), args.len() <= 2) else {
                    return Err(malformed("(declare-sort <name> <arity>)"));
                };
                let name = declared_name(name, line)
                    .ok_or(malformed("(declare-sort <name> <arity>)"))??;
                if !out.uninterpreted_sorts.iter().any(|s| s == &name) {
                    out.uninterpreted_sorts.push(name);
                }
            }
            "assert" => {
                let [term] = args else {
                    return Err(malformed("(assert <term>) with exactly one term"));
                };
                expansion(term, &macros, line, limits)?;
            }
            "check-sat" | "get-model" => {
                if !args.is_empty() {
                    return Err(malformed("no arguments"));
                }
                blank.push(form.span());
            }
            "get-value" => {
                let [SExpr::List { items: terms, .. }] = args else {
                    return Err(malformed("(get-value (<name> ...))"));
                };
                if terms.is_empty() {
                    return Err(malformed("(get-value (<name> ...)) with at least one name"));
                }
                for t in terms {
                    let Some(name) = t.symbol() else {
                        return Err(SolverError::GetValueTerm {
                            line: t.line(),
                            term: src[t.span()].to_string(),
                        });
                    };
                    if !out.asked.iter().any(|a| a == name) {
                        out.asked.push(name.to_string());
                    }
                }
                blank.push(form.span());
            }
            "push" | "pop" => match args {
                [] => {}
                [n] => {
                    let count = n.plain().unwrap_or("");
                    let ok = count.bytes().all(|b| b.is_ascii_digit())
                        && !count.is_empty()
                        && count.parse::<u64>().is_ok_and(|v| v <= limits.max_scopes);
                    if !ok {
                        return Err(SolverError::TooManyScopes {
                            line,
                            command: command.to_string(),
                            count: src[n.span()].to_string(),
                            limit: limits.max_scopes,
                        });
                    }
                }
                _ => return Err(malformed("at most one numeral")),
            },
            // set-logic, set-info, define-sort, declare-datatype(s): Z3 checks their shape.
            _ => {}
        }
        check_indices(form, limits)?;
    }
    for c in &out.constants {
        if c.name.starts_with(RESERVED_PREFIX) {
            return Err(SolverError::ReservedName {
                line: c.line,
                name: c.name.clone(),
            });
        }
    }
    for a in &out.asked {
        if out.constant(a).is_none() {
            return Err(SolverError::UnknownConstant { name: a.clone() });
        }
    }
    out.z3_text = blank_out(src, &blank);
    Ok(out)
}

/// The name a declaration introduces; `None` if it is not a symbol, an error
/// if it is reserved.
fn declared_name(e: &SExpr, line: usize) -> Option<Result<String>> {
    let name = e.symbol()?;
    if name.starts_with(RESERVED_PREFIX) {
        return Some(Err(SolverError::ReservedName {
            line,
            name: name.to_string(),
        }));
    }
    Some(Ok(name.to_string()))
}

fn record_constant(out: &mut CheckedScript, name: String, sort: &str, line: usize) {
    let sort = sort.split_whitespace().collect::<Vec<_>>().join(" ");
    match out.constants.iter_mut().find(|c| c.name == name) {
        Some(c) => {
            c.sort = sort;
            c.line = line;
        }
        None => out.constants.push(Constant { name, sort, line }),
    }
}

/// Refuses indexed identifiers `(_ name i ...)` whose numeric indices exceed
/// the limit (bit-vector widths, extensions, repeats …). Recursion is bounded
/// by the depth limit of the reader.
fn check_indices(e: &SExpr, limits: &SolverLimits) -> Result<()> {
    let Some(items) = e.items() else {
        return Ok(());
    };
    if let [underscore, name, indices @ ..] = items
        && underscore.plain() == Some("_")
    {
        for idx in indices {
            let Some(text) = idx.plain() else { continue };
            if !text.bytes().all(|b| b.is_ascii_digit()) || text.is_empty() {
                continue;
            }
            if text.parse::<u64>().map_or(true, |v| v > limits.max_index) {
                return Err(SolverError::IndexTooLarge {
                    line: idx.line(),
                    name: name.symbol().unwrap_or("?").to_string(),
                    index: text.to_string(),
                    limit: limits.max_index,
                });
            }
        }
    }
    items.iter().try_for_each(|i| check_indices(i, limits))
}

/// The size of `term` once Z3 has expanded every call of a `define-fun`
/// with parameters (Z3 expands them while reading, where running out of
/// memory ends the process). A call counts as its body's size times the size
/// of its arguments, an over-estimate that is exact on chains such as
/// `f1(x) = f0(f0(x))`, `f2(x) = f1(f1(x))` … which double at each level.
fn expansion(
    term: &SExpr,
    macros: &HashMap<String, u64>,
    line: usize,
    limits: &SolverLimits,
) -> Result<u64> {
    fn size(e: &SExpr, macros: &HashMap<String, u64>) -> u64 {
        let Some(items) = e.items() else {
            return 1;
        };
        let total = items
            .iter()
            .fold(0u64, |acc, i| acc.saturating_add(size(i, macros)));
        match items
            .first()
            .and_then(SExpr::symbol)
            .and_then(|h| macros.get(h))
        {
            Some(body) => body.saturating_mul(total),
            None => total,
        }
    }
    let n = size(term, macros);
    if n > limits.max_expansion {
        return Err(SolverError::ExpansionTooLarge {
            line,
            limit: limits.max_expansion,
        });
    }
    Ok(n)
}

/// `src` with the given byte ranges replaced by spaces (line breaks kept).
fn blank_out(src: &str, ranges: &[std::ops::Range<usize>]) -> String {
    if ranges.is_empty() {
        return src.to_string();
    }
    let mut bytes = src.as_bytes().to_vec();
    for r in ranges {
        for b in &mut bytes[r.clone()] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    // Only whole characters were replaced by ASCII, so this stays UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn line_of(src: &str, byte: usize) -> usize {
    src[..byte].bytes().filter(|&b| b == b'\n').count() + 1
}

/// Checks that `claim` is exactly one term within the limits (so that it
/// cannot smuggle commands into the script it is appended to).
pub(crate) fn check_claim_term(claim: &str, limits: &SolverLimits) -> Result<()> {
    if claim.len() > limits.max_script_bytes {
        return Err(SolverError::TooLarge {
            bytes: claim.len(),
            limit: limits.max_script_bytes,
        });
    }
    if claim.contains('\0') {
        return Err(SolverError::ClaimNotTerm {
            found: "a NUL byte".to_string(),
        });
    }
    let forms = read_all(claim, limits.max_depth).map_err(|e| SolverError::ClaimNotTerm {
        found: format!("text that does not read as a term ({e})"),
    })?;
    match forms.as_slice() {
        [one] => {
            if let SExpr::Atom {
                kind: AtomKind::String,
                ..
            } = one
            {
                return Err(SolverError::ClaimNotTerm {
                    found: "a string literal".to_string(),
                });
            }
            check_indices(one, limits)
        }
        [] => Err(SolverError::ClaimNotTerm {
            found: "nothing".to_string(),
        }),
        many => Err(SolverError::ClaimNotTerm {
            found: format!("{} terms", many.len()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::error::ALLOWED_COMMANDS_TEXT;

    fn check(src: &str) -> Result<CheckedScript> {
        check_script(src, &SolverLimits::default())
    }

    #[test]
    fn allowed_text_lists_exactly_the_allowlist() {
        assert_eq!(ALLOWED_COMMANDS_TEXT, ALLOWED_COMMANDS.join(", "));
    }

    #[test]
    fn records_constants_and_get_value_and_blanks_queries() {
        let src = "(declare-const x Int)\n(declare-fun p () Bool)\n(declare-fun f (Int) Int)\n\
                   (assert (> x 0))\n(check-sat)\n(get-value (x))\n";
        let s = check(src).unwrap();
        let names: Vec<_> = s
            .constants
            .iter()
            .map(|c| (c.name.as_str(), c.sort.as_str()))
            .collect();
        assert_eq!(names, [("x", "Int"), ("p", "Bool")]);
        assert_eq!(s.asked, ["x"]);
        assert_eq!(s.commands, 6);
        assert_eq!(s.z3_text.len(), src.len());
        assert!(!s.z3_text.contains("check-sat"));
        assert!(!s.z3_text.contains("get-value"));
        assert_eq!(s.z3_text.lines().count(), src.lines().count());
    }

    #[test]
    fn refusals_name_the_command_and_line() {
        let err = check("(declare-const x Int)\n(set-option :timeout 0)\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: command `set-option` is not allowed; remove it (allowed: set-logic, set-info, \
             declare-sort, define-sort, declare-datatype, declare-datatypes, declare-const, \
             declare-fun, define-fun, assert, check-sat, get-model, get-value, push, pop)"
        );
        for (src, command) in [
            ("(include \"/etc/passwd\")", "include"),
            ("(exit)", "exit"),
            ("(echo \"hi\")", "echo"),
            ("(reset)", "reset"),
            ("(eval x)", "eval"),
        ] {
            assert_eq!(
                check(src),
                Err(SolverError::Refused {
                    line: 1,
                    command: command.into()
                })
            );
        }
    }

    #[test]
    fn limits_are_checked_before_z3() {
        let limits = SolverLimits::default();
        assert_eq!(
            check("(declare-const x (_ BitVec 100000))")
                .unwrap_err()
                .to_string(),
            "line 1: index 100000 of `(_ BitVec ...)` is larger than the limit of 1024"
        );
        assert_eq!(
            check("(push 1000000000)").unwrap_err().to_string(),
            "line 1: `(push 1000000000)` is more than the limit of 16 scopes"
        );
        let big = " ".repeat(limits.max_script_bytes + 1);
        assert_eq!(
            check(&big).unwrap_err().to_string(),
            "the script is 65537 bytes, more than the limit of 65536 bytes"
        );
        assert_eq!(
            check("  ; nothing\n").unwrap_err(),
            SolverError::EmptyScript
        );
    }

    #[test]
    fn exponential_define_fun_chains_are_refused() {
        let mut src = "(define-fun f0 ((x Int)) Int (+ x 1))\n".to_string();
        for i in 1..=12 {
            src += &format!(
                "(define-fun f{i} ((x Int)) Int (f{j} (f{j} x)))\n",
                j = i - 1
            );
        }
        assert_eq!(
            check(&src).unwrap_err().to_string(),
            "line 4: calls of define-fun functions expand to more than 1000000 terms; \
             write the terms out or use fewer nested helper functions"
        );
        // Helpers used the ordinary way are fine.
        let ok = "(define-fun in ((x Int)) Bool (and (<= 1 x) (<= x 5)))\n\
                  (declare-const a Int)\n(declare-const b Int)\n(assert (and (in a) (in b)))\n";
        assert!(check(ok).is_ok());
    }

    #[test]
    fn malformed_and_odd_forms_are_typed() {
        assert_eq!(
            check("(declare-const xInt)").unwrap_err().to_string(),
            "line 1: malformed `declare-const`: expected (declare-const <name> <sort>)"
        );
        assert_eq!(
            check("x").unwrap_err().to_string(),
            "line 1: expected a command in parentheses such as (assert ...), found `x`"
        );
        assert_eq!(
            check("(declare-const x Int)\n(get-value ((+ x 1)))")
                .unwrap_err()
                .to_string(),
            "line 2: get-value can only ask for declared constants, found `(+ x 1)`; declare a \
             constant, assert it equal to the term and ask for the constant"
        );
        assert_eq!(
            check("(get-value (y))").unwrap_err().to_string(),
            "`y` is not a constant declared by the script (declare it with declare-const)"
        );
        assert_eq!(
            check("(declare-const |flinch claim| Bool)")
                .unwrap_err()
                .to_string(),
            "line 1: the name `flinch claim` is reserved by flinch; choose another name"
        );
    }

    #[test]
    fn claim_terms_must_be_one_term() {
        let l = SolverLimits::default();
        assert!(check_claim_term("(> x 3)", &l).is_ok());
        assert!(check_claim_term("p", &l).is_ok());
        assert_eq!(
            check_claim_term("x) (assert false", &l)
                .unwrap_err()
                .to_string(),
            "the claim must be exactly one SMT-LIB2 term such as (> x 3), found text that does not \
             read as a term (line 1: `)` has no matching `(`)"
        );
        assert_eq!(
            check_claim_term("(> x 3) (< x 9)", &l)
                .unwrap_err()
                .to_string(),
            "the claim must be exactly one SMT-LIB2 term such as (> x 3), found 2 terms"
        );
    }
}
