//! The evaluator's errors: a kind, a plain message and the position (line and
//! column, both counted from 1, columns in characters) where it happened.

use std::fmt;

/// What went wrong, as a closed set: the host maps each to a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not a program of the language (`expected ')'`).
    Syntax,
    /// A name that was never assigned, or a function that does not exist.
    UnknownName,
    /// `x / 0`, `x // 0`, `x % 0`, `0 ** -1`.
    DivisionByZero,
    /// A value (or a power, or a literal) would exceed the size limit.
    TooLarge,
    /// Brackets, unary signs or powers nested deeper than the limit.
    TooDeep,
    /// A result that is not a real number (`sqrt(-1)`, `(-8) ** 0.5`).
    Domain,
    /// A function called with the wrong number or sort of arguments, or a
    /// list used where a number is needed.
    Type,
    /// Nothing to evaluate: empty input, blank lines or only comments.
    Empty,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Syntax,
        ErrorKind::UnknownName,
        ErrorKind::DivisionByZero,
        ErrorKind::TooLarge,
        ErrorKind::TooDeep,
        ErrorKind::Domain,
        ErrorKind::Type,
        ErrorKind::Empty,
    ];

    /// The stable snake_case name used on the wire and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax_error",
            ErrorKind::UnknownName => "unknown_name",
            ErrorKind::DivisionByZero => "division_by_zero",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::TooDeep => "too_deep",
            ErrorKind::Domain => "math_domain",
            ErrorKind::Type => "type_error",
            ErrorKind::Empty => "empty_program",
        }
    }

    /// The inverse of [`ErrorKind::as_str`].
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A position in the program: line and column, both counted from 1; the
/// column counts characters (Unicode scalar values), not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub fn new(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }
}

/// An error of the program, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestError {
    pub kind: ErrorKind,
    /// A one-line plain message, e.g. `expected ')'`; never contains a newline.
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl GuestError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, pos: Pos) -> GuestError {
        let message: String = message.into();
        // The wire format is line based: keep messages on one line.
        let message = message.replace(['\n', '\r'], " ");
        GuestError {
            kind,
            message,
            line: pos.line,
            column: pos.column,
        }
    }
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for GuestError {}

/// Describe a character for an error message: printable ones quoted with their
/// code point, control characters by code point only.
pub(crate) fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else if c.is_ascii() {
        format!("'{c}'")
    } else {
        format!("'{c}' (U+{:04X})", c as u32)
    }
}

/// Shorten a piece of program text quoted in a message.
pub(crate) fn quote_snippet(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("nope"), None);
    }

    #[test]
    fn display_names_the_position() {
        let e = GuestError::new(ErrorKind::Syntax, "expected ')'", Pos::new(1, 5));
        assert_eq!(e.to_string(), "expected ')' at line 1, column 5");
    }

    #[test]
    fn messages_stay_on_one_line() {
        let e = GuestError::new(ErrorKind::Syntax, "a\nb\rc", Pos::new(1, 1));
        assert_eq!(e.message, "a b c");
    }

    #[test]
    fn chars_are_described_safely() {
        assert_eq!(describe_char('\0'), "U+0000");
        assert_eq!(describe_char('×'), "'×' (U+00D7)");
        assert_eq!(describe_char('@'), "'@'");
        assert_eq!(
            quote_snippet(&"a".repeat(50)),
            format!("{}…", "a".repeat(40))
        );
    }
}
