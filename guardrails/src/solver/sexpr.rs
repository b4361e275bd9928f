//! A reader of SMT-LIB2 text into S-expressions with line numbers and byte
//! spans. It is iterative (no recursion), so a hostile nesting depth cannot
//! overflow the stack; the depth limit is enforced while reading.

use std::ops::Range;

use super::error::{Result, SolverError};

/// What kind of atom a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomKind {
    /// A simple symbol, keyword (`:named`) or numeral-like token.
    Plain,
    /// A `|quoted symbol|`; the text excludes the bars.
    Quoted,
    /// A `"string literal"`; the text is the raw source between the quotes.
    String,
}

/// One S-expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SExpr {
    Atom {
        text: String,
        kind: AtomKind,
        line: usize,
        span: Range<usize>,
    },
    List {
        items: Vec<SExpr>,
        line: usize,
        span: Range<usize>,
    },
}

impl SExpr {
    /// 1-based line where the expression starts.
    pub fn line(&self) -> usize {
        match self {
            SExpr::Atom { line, .. } | SExpr::List { line, .. } => *line,
        }
    }

    /// Byte range of the expression in the source.
    pub fn span(&self) -> Range<usize> {
        match self {
            SExpr::Atom { span, .. } | SExpr::List { span, .. } => span.clone(),
        }
    }

    /// The text of a plain or quoted symbol (quoted symbols without their bars).
    pub fn symbol(&self) -> Option<&str> {
        match self {
            SExpr::Atom {
                text,
                kind: AtomKind::Plain | AtomKind::Quoted,
                ..
            } => Some(text),
            _ => None,
        }
    }

    /// The text of a plain atom (not quoted, not a string).
    pub fn plain(&self) -> Option<&str> {
        match self {
            SExpr::Atom {
                text,
                kind: AtomKind::Plain,
                ..
            } => Some(text),
            _ => None,
        }
    }

    /// The items of a list.
    pub fn items(&self) -> Option<&[SExpr]> {
        match self {
            SExpr::List { items, .. } => Some(items),
            SExpr::Atom { .. } => None,
        }
    }
}

/// Reads all top-level S-expressions of `src`, refusing unbalanced
/// parentheses, unterminated strings or quoted symbols, and nesting deeper
/// than `max_depth`.
pub fn read_all(src: &str, max_depth: usize) -> Result<Vec<SExpr>> {
    let bytes = src.as_bytes();
    let mut pos = 0;
    let mut line = 1;
    // Open lists: (items, start line, start byte).
    let mut stack: Vec<(Vec<SExpr>, usize, usize)> = Vec::new();
    let mut top: Vec<SExpr> = Vec::new();

    fn push(stack: &mut [(Vec<SExpr>, usize, usize)], top: &mut Vec<SExpr>, e: SExpr) {
        match stack.last_mut() {
            Some((items, _, _)) => items.push(e),
            None => top.push(e),
        }
    }

    while pos < bytes.len() {
        let c = bytes[pos];
        match c {
            b'\n' => {
                line += 1;
                pos += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0c => pos += 1,
            b';' => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            }
            b'(' => {
                if stack.len() >= max_depth {
                    return Err(SolverError::TooDeep {
                        line,
                        limit: max_depth,
                    });
                }
                stack.push((Vec::new(), line, pos));
                pos += 1;
            }
            b')' => {
                let Some((items, start_line, start)) = stack.pop() else {
                    return Err(SolverError::UnmatchedClose { line });
                };
                pos += 1;
                let list = SExpr::List {
                    items,
                    line: start_line,
                    span: start..pos,
                };
                push(&mut stack, &mut top, list);
            }
            b'"' => {
                let start = pos;
                let start_line = line;
                pos += 1;
                loop {
                    match bytes.get(pos) {
                        None => return Err(SolverError::UnclosedString { line: start_line }),
                        Some(b'"') if bytes.get(pos + 1) == Some(&b'"') => pos += 2,
                        Some(b'"') => break,
                        Some(b'\n') => {
                            line += 1;
                            pos += 1;
                        }
                        Some(_) => pos += 1,
                    }
                }
                pos += 1;
                let atom = SExpr::Atom {
                    text: src[start + 1..pos - 1].to_string(),
                    kind: AtomKind::String,
                    line: start_line,
                    span: start..pos,
                };
                push(&mut stack, &mut top, atom);
            }
            b'|' => {
                let start = pos;
                let start_line = line;
                pos += 1;
                loop {
                    match bytes.get(pos) {
                        None => {
                            return Err(SolverError::UnclosedQuotedSymbol { line: start_line });
                        }
                        Some(b'|') => break,
                        Some(b'\n') => {
                            line += 1;
                            pos += 1;
                        }
                        Some(_) => pos += 1,
                    }
                }
                pos += 1;
                let atom = SExpr::Atom {
                    text: src[start + 1..pos - 1].to_string(),
                    kind: AtomKind::Quoted,
                    line: start_line,
                    span: start..pos,
                };
                push(&mut stack, &mut top, atom);
            }
            _ => {
                let start = pos;
                while pos < bytes.len()
                    && !matches!(
                        bytes[pos],
                        b' ' | b'\t' | b'\r' | b'\n' | 0x0c | b'(' | b')' | b';' | b'"' | b'|'
                    )
                {
                    pos += 1;
                }
                let atom = SExpr::Atom {
                    text: src[start..pos].to_string(),
                    kind: AtomKind::Plain,
                    line,
                    span: start..pos,
                };
                push(&mut stack, &mut top, atom);
            }
        }
    }
    if let Some((_, open_line, _)) = stack.first() {
        // Report the outermost unclosed list: that is where a command began.
        return Err(SolverError::UnclosedParen { line: *open_line });
    }
    Ok(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom_texts(e: &SExpr) -> Vec<String> {
        e.items()
            .unwrap()
            .iter()
            .map(|i| match i {
                SExpr::Atom { text, .. } => text.clone(),
                SExpr::List { .. } => "(..)".to_string(),
            })
            .collect()
    }

    #[test]
    fn reads_lines_spans_strings_and_quoted_symbols() {
        let src = "; comment (\n(declare-const |a b| Int)\n(set-info :x \"say \"\"hi\"\" )\")\n";
        let es = read_all(src, 8).unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(es[0].line(), 2);
        assert_eq!(&src[es[0].span()], "(declare-const |a b| Int)");
        assert_eq!(atom_texts(&es[0]), ["declare-const", "a b", "Int"]);
        assert_eq!(es[1].line(), 3);
        assert_eq!(atom_texts(&es[1]), ["set-info", ":x", "say \"\"hi\"\" )"]);
    }

    #[test]
    fn unbalanced_parentheses_name_the_line() {
        assert_eq!(
            read_all("(assert true)\n(assert (and a b)\n", 8),
            Err(SolverError::UnclosedParen { line: 2 })
        );
        assert_eq!(
            read_all("(assert true))", 8),
            Err(SolverError::UnmatchedClose { line: 1 })
        );
        assert_eq!(
            read_all("\n(echo \"abc)", 8),
            Err(SolverError::UnclosedString { line: 2 })
        );
        assert_eq!(
            read_all("(declare-const |x Int)", 8),
            Err(SolverError::UnclosedQuotedSymbol { line: 1 })
        );
    }

    #[test]
    fn depth_limit_is_enforced_without_recursion() {
        let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(
            read_all(&deep, 64),
            Err(SolverError::TooDeep { line: 1, limit: 64 })
        );
        let ok = format!("{}{}", "(".repeat(64), ")".repeat(64));
        assert_eq!(read_all(&ok, 64).unwrap().len(), 1);
    }
}
