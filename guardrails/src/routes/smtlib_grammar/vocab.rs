//! The words of the SMT-LIB grammar: its limits, commands, operators and
//! the names a script may declare.

use std::collections::BTreeSet;

/// Most top-level commands.
pub const MAX_COMMANDS: usize = 48;
/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 8;
/// Longest symbol.
pub(super) const MAX_SYMBOL: usize = 24;
/// Longest numeral (digits).
pub(super) const MAX_DIGITS: usize = 6;
/// Most whitespace bytes in a row.
pub(super) const MAX_SPACES: usize = 4;
/// Longest comment (bytes after `;`).
pub(super) const MAX_COMMENT: usize = 160;
/// Most arguments of a variadic operator.
pub const MAX_ARGS: usize = 10;

/// The commands the model may write: a subset of the solver's allowlist
/// ([`crate::solver::script::ALLOWED_COMMANDS`]). Sorted.
pub const COMMANDS: &[&str] = &[
    "assert",
    "check-sat",
    "declare-const",
    "declare-fun",
    "declare-sort",
    "define-fun",
    "get-model",
    "get-value",
];

/// The core, integer and real theories' operators: fewest and most
/// arguments, what the arguments must be, what the operator gives
/// (`Ty::Unknown`: what its place wants, for `ite` and `let`).
/// `forall`, `exists` and `let` take binders and a body. Sorted (by bytes).
pub const OPERATORS: &[(&str, usize, usize, Want, Ty)] = &[
    ("*", 2, MAX_ARGS, Want::Num, Ty::Num),
    ("+", 2, MAX_ARGS, Want::Num, Ty::Num),
    ("-", 1, MAX_ARGS, Want::Num, Ty::Num),
    ("/", 2, MAX_ARGS, Want::Num, Ty::Num),
    ("<", 2, MAX_ARGS, Want::Num, Ty::Bool),
    ("<=", 2, MAX_ARGS, Want::Num, Ty::Bool),
    ("=", 2, MAX_ARGS, Want::Any, Ty::Bool),
    ("=>", 2, MAX_ARGS, Want::Bool, Ty::Bool),
    (">", 2, MAX_ARGS, Want::Num, Ty::Bool),
    (">=", 2, MAX_ARGS, Want::Num, Ty::Bool),
    ("abs", 1, 1, Want::Num, Ty::Num),
    ("and", 1, MAX_ARGS, Want::Bool, Ty::Bool),
    ("distinct", 2, MAX_ARGS, Want::Any, Ty::Bool),
    ("div", 2, 2, Want::Num, Ty::Num),
    ("exists", 2, 2, Want::Bool, Ty::Bool),
    ("forall", 2, 2, Want::Bool, Ty::Bool),
    ("ite", 3, 3, Want::Any, Ty::Unknown),
    ("let", 2, 2, Want::Any, Ty::Unknown),
    ("mod", 2, 2, Want::Num, Ty::Num),
    ("not", 1, 1, Want::Bool, Ty::Bool),
    ("or", 1, MAX_ARGS, Want::Bool, Ty::Bool),
    ("xor", 2, MAX_ARGS, Want::Bool, Ty::Bool),
];

/// What a term's place wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Any,
    Bool,
    /// `Int` or `Real`.
    Num,
}

/// What a term is, as far as the grammar tells sorts apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ty {
    Bool,
    /// `Int` or `Real`.
    Num,
    /// A declared sort.
    Other,
    /// Not known (a `let` binding): fits anywhere.
    #[default]
    Unknown,
}

impl Ty {
    pub(super) fn of_sort(sort: &str) -> Ty {
        match sort {
            "Bool" => Ty::Bool,
            "Int" | "Real" => Ty::Num,
            _ => Ty::Other,
        }
    }

    pub(super) fn fits(self, want: Want) -> bool {
        matches!(
            (self, want),
            (Ty::Unknown, _) | (_, Want::Any) | (Ty::Bool, Want::Bool) | (Ty::Num, Want::Num)
        )
    }
}

/// The constants a term may use without declaring them.
pub(super) const CONSTANTS: &[&str] = &["false", "true"];

/// The sorts a script may use without declaring them.
pub(super) const BUILTIN_SORTS: &[&str] = &["Bool", "Int", "Real"];

/// `text` up to the `)` that ends its last whole top-level command: a
/// script cut off by the token budget, or by the grammar at a dead end,
/// still has its whole commands. Comments are skipped; text without a whole
/// command gives `""`.
pub fn whole_commands(text: &str) -> &str {
    let (mut depth, mut comment, mut end) = (0usize, false, 0);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'\n' => comment = false,
            _ if comment => {}
            b';' => comment = depth == 0,
            b'(' => depth += 1,
            b')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    end = i + 1;
                }
            }
            _ => {}
        }
    }
    &text[..end]
}

/// Names any script may declare besides the puzzle's words and its answer
/// constants: generic sorts, variables and counts.
pub(super) const GENERIC_NAMES: &[&str] = &[
    "Item", "Person", "Thing", "boys", "count", "girls", "n", "p", "q", "t", "total", "x", "y", "z",
];

/// Options are looked for up to `(R)`.
pub(super) const LAST_OPTION: u8 = b'R';

/// The names a script for `question` may declare or bind: the words of the
/// question (as written and in lower case), the generic names (`GENERIC_NAMES`), and the
/// answer constants: `option_a`, `option_b` … for the options `(A)`,
/// `(B)` … the question lists, else `answer` and `claim` (a 270M model
/// otherwise answers a multiple-choice question with a `claim`).
pub fn allowed_names(question: &str) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = GENERIC_NAMES.iter().map(|n| (*n).to_owned()).collect();
    for w in question.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let w = &w[..w.len().min(MAX_SYMBOL)];
        if w.as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic())
        {
            names.insert(w.to_owned());
            names.insert(w.to_ascii_lowercase());
        }
    }
    let options: Vec<String> = (b'A'..=LAST_OPTION)
        .filter(|l| question.contains(&format!("({})", *l as char)))
        .map(|l| format!("option_{}", l.to_ascii_lowercase() as char))
        .collect();
    if options.is_empty() {
        names.extend(["answer".to_owned(), "claim".to_owned()]);
    } else {
        names.remove("answer");
        names.remove("claim");
        names.extend(options);
    }
    names
}

/// The bytes a script is made of (symbols, numerals, parentheses,
/// whitespace, and what comments use besides).
pub(crate) fn smtlib_byte(b: u8) -> bool {
    symbol_byte(b) || b" \n();,.:'?!".contains(&b)
}

pub(super) fn symbol_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-+*/<>=".contains(&b)
}
