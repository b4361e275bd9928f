//! Tokens, pulled one at a time so that a large input never becomes a large
//! token list. Newlines inside brackets and after a `\` are joined, as in
//! Python; `#` starts a comment that runs to the end of the line.

use crate::error::{ErrorKind, GuestError, Pos, describe_char};

/// A number literal as written, checked against Python's literal grammar but
/// not yet converted (that needs the size limit, see `number::from_literal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumLit {
    /// Decimal: all significant digits (integer and fraction parts, no `_`),
    /// how many of them are after the point, and the exponent as written.
    Decimal {
        digits: String,
        frac_len: usize,
        exp_negative: bool,
        exp_digits: String,
    },
    /// `0x…`, `0o…`, `0b…`.
    Radix { radix: u32, digits: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Number(NumLit),
    Name(String),
    Op(BinOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Dollar,
    Assign,
    AugAssign(BinOp),
    /// End of a statement: a newline outside brackets, or `;`.
    Newline,
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Number(_) => "a number".to_string(),
            Tok::Name(n) => format!("'{}'", crate::error::quote_snippet(n)),
            Tok::Op(op) => format!("'{}'", op.symbol()),
            Tok::LParen => "'('".to_string(),
            Tok::RParen => "')'".to_string(),
            Tok::LBracket => "'['".to_string(),
            Tok::RBracket => "']'".to_string(),
            Tok::Comma => "','".to_string(),
            Tok::Dot => "'.'".to_string(),
            Tok::Dollar => "'$'".to_string(),
            Tok::Assign => "'='".to_string(),
            Tok::AugAssign(op) => format!("'{}='", op.symbol()),
            Tok::Newline => "the end of the line".to_string(),
            Tok::Eof => "the end of the program".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// Longest accepted name, in characters.
pub const MAX_NAME_LEN: usize = 256;

pub struct Lexer<'a> {
    src: &'a str,
    i: usize,
    line: u32,
    col: u32,
    /// Open brackets: newlines inside them are whitespace.
    depth: u32,
}

fn syntax(msg: impl Into<String>, pos: Pos) -> GuestError {
    GuestError::new(ErrorKind::Syntax, msg, pos)
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        let i = if src.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Lexer {
            src,
            i,
            line: 1,
            col: 1,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.i..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.i..].chars();
        it.next();
        it.next()
    }

    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    /// Advance over one character that is not a line break.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        self.col = self.col.saturating_add(1);
        Some(c)
    }

    /// Advance over a line break (`\n`, `\r\n` or `\r`).
    fn bump_newline(&mut self) {
        if self.src[self.i..].starts_with("\r\n") {
            self.i += 2;
        } else {
            self.i += 1;
        }
        self.line = self.line.saturating_add(1);
        self.col = 1;
    }

    pub fn next_token(&mut self) -> Result<Token, GuestError> {
        loop {
            let Some(c) = self.peek() else {
                return Ok(Token {
                    tok: Tok::Eof,
                    pos: self.pos(),
                });
            };
            match c {
                ' ' | '\t' | '\x0c' => {
                    self.bump();
                }
                '#' => {
                    while let Some(c) = self.peek() {
                        if c == '\n' || c == '\r' {
                            break;
                        }
                        self.bump();
                    }
                }
                '\n' | '\r' => {
                    let pos = self.pos();
                    self.bump_newline();
                    if self.depth == 0 {
                        return Ok(Token {
                            tok: Tok::Newline,
                            pos,
                        });
                    }
                }
                '\\' => {
                    let pos = self.pos();
                    self.bump();
                    match self.peek() {
                        Some('\n') | Some('\r') => self.bump_newline(),
                        _ => return Err(syntax("'\\' is only allowed at the end of a line", pos)),
                    }
                }
                _ => return self.token(c),
            }
        }
    }

    fn token(&mut self, c: char) -> Result<Token, GuestError> {
        let pos = self.pos();
        let simple = |lexer: &mut Lexer<'_>, tok: Tok, len: usize| {
            for _ in 0..len {
                lexer.bump();
            }
            Ok(Token { tok, pos })
        };
        let next = self.peek2();
        match c {
            '0'..='9' => self.number(pos),
            '.' if next.is_some_and(|d| d.is_ascii_digit()) => self.number(pos),
            'a'..='z' | 'A'..='Z' | '_' => self.name(pos),
            '+' | '-' | '*' | '/' | '%' => {
                let (op, len) = match (c, next) {
                    ('*', Some('*')) => (BinOp::Pow, 2),
                    ('/', Some('/')) => (BinOp::FloorDiv, 2),
                    ('+', _) => (BinOp::Add, 1),
                    ('-', _) => (BinOp::Sub, 1),
                    ('*', _) => (BinOp::Mul, 1),
                    ('/', _) => (BinOp::Div, 1),
                    _ => (BinOp::Mod, 1),
                };
                let rest = &self.src[self.i + len..];
                if rest.starts_with('=') {
                    simple(self, Tok::AugAssign(op), len + 1)
                } else {
                    simple(self, Tok::Op(op), len)
                }
            }
            '(' | '[' => {
                self.depth = self.depth.saturating_add(1);
                simple(self, if c == '(' { Tok::LParen } else { Tok::LBracket }, 1)
            }
            ')' | ']' => {
                self.depth = self.depth.saturating_sub(1);
                simple(self, if c == ')' { Tok::RParen } else { Tok::RBracket }, 1)
            }
            ',' => simple(self, Tok::Comma, 1),
            ';' => simple(self, Tok::Newline, 1),
            '.' => simple(self, Tok::Dot, 1),
            '$' => simple(self, Tok::Dollar, 1),
            '=' if next == Some('=') => Err(syntax("comparisons are not supported", pos)),
            '=' => simple(self, Tok::Assign, 1),
            '<' | '>' | '!' => Err(syntax("comparisons are not supported", pos)),
            '^' => Err(syntax(
                "'^' is not a power here; write '**' for powers, as in 2 ** 3",
                pos,
            )),
            '\'' | '"' => Err(syntax("strings are not supported", pos)),
            _ => Err(self.unexpected(c, pos)),
        }
    }

    fn unexpected(&self, c: char, pos: Pos) -> GuestError {
        let what = describe_char(c);
        let hint = match c {
            '\u{2212}' | '\u{2013}' | '\u{2014}' | '\u{2010}' | '\u{2011}' | '\u{fe63}'
            | '\u{ff0d}' => "; write '-'",
            '\u{00d7}' | '\u{00b7}' | '\u{22c5}' | '\u{2217}' | '\u{2715}' | '\u{ff0a}' => {
                "; write '*'"
            }
            '\u{00f7}' | '\u{2215}' | '\u{2044}' | '\u{ff0f}' => "; write '/'",
            '\u{ff0b}' => "; write '+'",
            '\u{ff05}' | '\u{066a}' => "; write '%'",
            '\u{ff04}' => "; write '$'",
            '\u{ff08}' => "; write '('",
            '\u{ff09}' => "; write ')'",
            '\u{ff1d}' => "; write '='",
            '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}' => "; strings are not supported",
            '\u{20ac}' | '\u{00a3}' | '\u{00a5}' => "; only '$' is accepted before a number",
            _ if c.is_numeric() => "; only the ASCII digits 0-9 are accepted",
            _ if c.is_alphabetic() => "; names are ASCII letters, digits and '_'",
            _ => "",
        };
        syntax(format!("unexpected character {what}{hint}"), pos)
    }

    fn name(&mut self, pos: Pos) -> Result<Token, GuestError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                self.bump();
            } else {
                break;
            }
        }
        if let Some(c) = self.peek()
            && c.is_alphanumeric()
        {
            return Err(self.unexpected(c, self.pos()));
        }
        let name = &self.src[start..self.i];
        if name.len() > MAX_NAME_LEN {
            return Err(syntax(
                format!("names are limited to {MAX_NAME_LEN} characters"),
                pos,
            ));
        }
        Ok(Token {
            tok: Tok::Name(name.to_string()),
            pos,
        })
    }

    /// Digits with single `_` between them; returns them without the `_`.
    fn digits(&mut self, radix: u32, start_pos: Pos) -> Result<String, GuestError> {
        let mut out = String::new();
        let mut last_underscore = false;
        while let Some(c) = self.peek() {
            if c.is_digit(radix) {
                out.push(c);
                last_underscore = false;
                self.bump();
            } else if c == '_' {
                if last_underscore || (out.is_empty() && radix == 10) {
                    return Err(syntax(
                        "invalid number literal: '_' must sit between digits",
                        start_pos,
                    ));
                }
                last_underscore = true;
                self.bump();
            } else {
                break;
            }
        }
        if last_underscore {
            return Err(syntax(
                "invalid number literal: '_' must sit between digits",
                start_pos,
            ));
        }
        Ok(out)
    }

    fn number(&mut self, pos: Pos) -> Result<Token, GuestError> {
        let radix = match (self.peek(), self.peek2()) {
            (Some('0'), Some('x' | 'X')) => Some(16),
            (Some('0'), Some('o' | 'O')) => Some(8),
            (Some('0'), Some('b' | 'B')) => Some(2),
            _ => None,
        };
        let lit = if let Some(radix) = radix {
            self.bump();
            self.bump();
            // Python allows one `_` right after the prefix.
            if self.peek() == Some('_') {
                self.bump();
            }
            let digits = self.digits(radix, pos)?;
            if digits.is_empty() {
                return Err(syntax(
                    "invalid number literal: digits must follow the base prefix",
                    pos,
                ));
            }
            NumLit::Radix { radix, digits }
        } else {
            let int = self.digits(10, pos)?;
            let mut frac = String::new();
            let mut is_float = false;
            if self.peek() == Some('.') {
                is_float = true;
                self.bump();
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    frac = self.digits(10, pos)?;
                }
            }
            let mut exp_negative = false;
            let mut exp_digits = String::new();
            if matches!(self.peek(), Some('e' | 'E')) {
                let after = self.peek2();
                let signed = matches!(after, Some('+' | '-'));
                let digit_follows = if signed {
                    let mut it = self.src[self.i..].chars().skip(2);
                    it.next().is_some_and(|c| c.is_ascii_digit())
                } else {
                    after.is_some_and(|c| c.is_ascii_digit())
                };
                if !digit_follows {
                    return Err(syntax(
                        "invalid number literal: the exponent needs digits, as in 1e3",
                        pos,
                    ));
                }
                is_float = true;
                self.bump();
                if signed {
                    exp_negative = self.bump() == Some('-');
                }
                exp_digits = self.digits(10, pos)?;
            }
            if !is_float && int.len() > 1 && int.starts_with('0') && int.bytes().any(|b| b != b'0')
            {
                return Err(syntax(
                    "leading zeros in decimal integer literals are not permitted; write the number without them",
                    pos,
                ));
            }
            let frac_len = frac.len();
            NumLit::Decimal {
                digits: int + &frac,
                frac_len,
                exp_negative,
                exp_digits,
            }
        };
        match self.peek() {
            Some('j' | 'J') => Err(syntax("complex numbers are not supported", pos)),
            Some(c) if c.is_alphanumeric() || c == '_' => Err(syntax(
                format!(
                    "invalid number literal: a number cannot be followed directly by {}",
                    describe_char(c)
                ),
                pos,
            )),
            _ => Ok(Token {
                tok: Tok::Number(lit),
                pos,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    fn err(src: &str) -> GuestError {
        let mut lx = Lexer::new(src);
        loop {
            match lx.next_token() {
                Ok(t) if t.tok == Tok::Eof => panic!("no error in {src:?}"),
                Ok(_) => {}
                Err(e) => return e,
            }
        }
    }

    fn dec(digits: &str, frac_len: usize, exp_negative: bool, exp: &str) -> Tok {
        Tok::Number(NumLit::Decimal {
            digits: digits.into(),
            frac_len,
            exp_negative,
            exp_digits: exp.into(),
        })
    }

    #[test]
    fn numbers_follow_python_literals() {
        assert_eq!(toks("1_000"), vec![dec("1000", 0, false, "")]);
        assert_eq!(toks("2.5"), vec![dec("25", 1, false, "")]);
        assert_eq!(toks(".5"), vec![dec("5", 1, false, "")]);
        assert_eq!(toks("5."), vec![dec("5", 0, false, "")]);
        assert_eq!(toks("1e3"), vec![dec("1", 0, false, "3")]);
        assert_eq!(toks("1.5E-2"), vec![dec("15", 1, true, "2")]);
        assert_eq!(
            toks("0x_ff"),
            vec![Tok::Number(NumLit::Radix {
                radix: 16,
                digits: "ff".into()
            })]
        );
        assert_eq!(
            toks("0b101"),
            vec![Tok::Number(NumLit::Radix {
                radix: 2,
                digits: "101".into()
            })]
        );
        assert_eq!(toks("000"), vec![dec("000", 0, false, "")]);
    }

    #[test]
    fn bad_literals_are_syntax_errors() {
        assert_eq!(
            err("1__0").message,
            "invalid number literal: '_' must sit between digits"
        );
        assert_eq!(
            err("1_").message,
            "invalid number literal: '_' must sit between digits"
        );
        assert_eq!(
            err("2x").message,
            "invalid number literal: a number cannot be followed directly by 'x'"
        );
        assert_eq!(err("3j").message, "complex numbers are not supported");
        assert_eq!(
            err("1e").message,
            "invalid number literal: the exponent needs digits, as in 1e3"
        );
        assert!(err("012").message.starts_with("leading zeros"));
        assert_eq!(
            err("0x").message,
            "invalid number literal: digits must follow the base prefix"
        );
    }

    #[test]
    fn operators_and_assignments() {
        assert_eq!(
            toks("a //= 2 ** 3 % 4"),
            vec![
                Tok::Name("a".into()),
                Tok::AugAssign(BinOp::FloorDiv),
                dec("2", 0, false, ""),
                Tok::Op(BinOp::Pow),
                dec("3", 0, false, ""),
                Tok::Op(BinOp::Mod),
                dec("4", 0, false, ""),
            ]
        );
    }

    #[test]
    fn newlines_join_inside_brackets_and_after_backslash() {
        assert_eq!(
            toks("(1\n+2)\n3")
                .iter()
                .filter(|t| **t == Tok::Newline)
                .count(),
            1
        );
        assert_eq!(
            toks("1 + \\\n 2")
                .iter()
                .filter(|t| **t == Tok::Newline)
                .count(),
            0
        );
        assert_eq!(
            toks("1 # two\r\n2")
                .iter()
                .filter(|t| **t == Tok::Newline)
                .count(),
            1
        );
        assert_eq!(
            toks("1; 2").iter().filter(|t| **t == Tok::Newline).count(),
            1
        );
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let mut lx = Lexer::new("x = 1\n  é");
        for _ in 0..4 {
            lx.next_token().unwrap();
        }
        let e = lx.next_token().unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert_eq!(
            e.message,
            "unexpected character 'é' (U+00E9); names are ASCII letters, digits and '_'"
        );
    }

    #[test]
    fn hostile_characters_get_plain_messages() {
        assert_eq!(
            err("1 \u{2212} 2").message,
            "unexpected character '−' (U+2212); write '-'"
        );
        assert_eq!(
            err("2 × 3").message,
            "unexpected character '×' (U+00D7); write '*'"
        );
        assert_eq!(
            err("\u{0663}").message,
            "unexpected character '٣' (U+0663); only the ASCII digits 0-9 are accepted"
        );
        assert_eq!(err("1\u{0}").message, "unexpected character U+0000");
        assert_eq!(err("'os'").message, "strings are not supported");
        assert_eq!(
            err("2 ^ 3").message,
            "'^' is not a power here; write '**' for powers, as in 2 ** 3"
        );
        assert_eq!(err("1 == 1").message, "comparisons are not supported");
    }
}
