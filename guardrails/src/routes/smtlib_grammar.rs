//! SMT-LIB2 as a logits hook, for the logic route's SMT-LIB form. The model
//! can only write:
//! - balanced parentheses, at most [`MAX_DEPTH`] deep;
//! - each command on one line, its items separated by single spaces (no
//!   space after `(` or before `)`), and no command twice (a 270M model
//!   otherwise repeats one `assert` until its budget runs out);
//! - top-level commands from [`COMMANDS`], each in its shape
//!   (`(declare-const name Sort)`, `(declare-fun name (Sort*) Sort)`,
//!   `(define-fun name ((x Sort)*) Sort term)`, `(assert term)`, …), at most
//!   [`MAX_COMMANDS`] of them;
//! - in a term, a numeral, `true`, `false`, a constant the script declared
//!   earlier, or a name bound by a `forall` or `exists` of the same command
//!   (by a `let`, in its body); an application's operator is one of
//!   [`OPERATORS`] or a function the script declared, given as many
//!   arguments as it takes (a declared function exactly its arity, a
//!   variadic operator at most [`MAX_ARGS`], as every list); a sort is
//!   `Int`, `Bool`, `Real` or a declared sort;
//! - terms of the right kind where the grammar can tell: a Boolean where
//!   `assert`, `not`, `and`, `or`, `xor`, `=>`, a quantifier's body or an
//!   `ite` condition want one, a number where arithmetic and comparisons
//!   want one (so no `(not 1)` or `(+ x true)`); `get-value` names declared
//!   constants only;
//! - new names (declared or bound) from [`allowed_names`]: the puzzle's
//!   words, the answer constants (`claim` and `option_…` Boolean) and a few
//!   generic names, none twice and none shadowing a builtin or an earlier
//!   declaration (a 270M model otherwise declares
//!   `truth-value-value-value2`, `…3`, … until its budget runs out);
//! - `;` comments between commands, and `END`, which ends the script;
//! - `check-sat` and `END` only once the script declares the constant its
//!   answer is read from (`answer`, `claim` or `option_…`, see
//!   [`crate::routes::logic`]), `check-sat` once, `get-value` and
//!   `get-model` only after it (two at most), and no comment after it: a
//!   270M model otherwise repeats `(check-sat)` or `(get-value …)` until its
//!   budget runs out.
//!
//! `declare-datatypes`, which the solver accepts, is left out: the prompts
//! do not use it and the model's attempts came back malformed. What the
//! grammar cannot see (the sorts of a declared function's arguments, `=`
//! between different sorts) is left to Z3, whose errors go back to the
//! model.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use super::grammar::{ByteGrammar, GrammarConstraint, TokenTable};

/// Most top-level commands.
pub const MAX_COMMANDS: usize = 48;
/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 8;
/// Longest symbol.
const MAX_SYMBOL: usize = 24;
/// Longest numeral (digits).
const MAX_DIGITS: usize = 6;
/// Most whitespace bytes in a row.
const MAX_SPACES: usize = 4;
/// Longest comment (bytes after `;`).
const MAX_COMMENT: usize = 160;
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
    fn of_sort(sort: &str) -> Ty {
        match sort {
            "Bool" => Ty::Bool,
            "Int" | "Real" => Ty::Num,
            _ => Ty::Other,
        }
    }

    fn fits(self, want: Want) -> bool {
        matches!(
            (self, want),
            (Ty::Unknown, _) | (_, Want::Any) | (Ty::Bool, Want::Bool) | (Ty::Num, Want::Num)
        )
    }
}

/// The constants a term may use without declaring them.
const CONSTANTS: &[&str] = &["false", "true"];

/// The sorts a script may use without declaring them.
const BUILTIN_SORTS: &[&str] = &["Bool", "Int", "Real"];

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
const GENERIC_NAMES: &[&str] = &[
    "Item", "Person", "Thing", "boys", "count", "girls", "n", "p", "q", "t", "total", "x", "y", "z",
];

/// Options are looked for up to `(R)`.
const LAST_OPTION: u8 = b'R';

/// The names a script for `question` may declare or bind: the words of the
/// question (as written and in lower case), [`GENERIC_NAMES`], and the
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

fn symbol_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-+*/<>=".contains(&b)
}

/// What an item of a list must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A command's name.
    Command,
    /// The operator of an application.
    Head,
    /// A name the command declares (a sort for `declare-sort`).
    NewName {
        sort: bool,
    },
    /// A name a binder list binds.
    NewBound,
    Sort,
    Numeral,
    Term(Want),
    /// A declared constant (in `get-value`).
    Constant,
    /// A list of the given kind (only a list may stand here).
    List(Kind),
}

/// The operator of an application, as far as it shapes the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// `forall` or `exists`: binders, then a body.
    Quantifier,
    /// `let`: bindings, then a body.
    Let,
    /// `ite`: a condition, then two terms.
    Ite,
    /// Between `min` and `max` terms, each what `args` wants.
    Args { min: usize, max: usize, args: Want },
}

/// An open list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A top-level command; its name once written.
    Command(Option<&'static str>),
    /// An application; its operator once written; what its place wants.
    Apply {
        head: Option<Head>,
        want: Want,
    },
    SortList,
    Binders {
        sorted: bool,
        may_be_empty: bool,
    },
    Binding {
        sorted: bool,
    },
    Terms,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    kind: Kind,
    /// Items started so far.
    items: usize,
}

const NO_FRAME: Frame = Frame {
    kind: Kind::Terms,
    items: 0,
};

/// The arguments of each command after its name.
fn command_items(command: &str) -> &'static [Role] {
    match command {
        "declare-const" => &[Role::NewName { sort: false }, Role::Sort],
        "declare-fun" => &[
            Role::NewName { sort: false },
            Role::List(Kind::SortList),
            Role::Sort,
        ],
        "define-fun" => &[
            Role::NewName { sort: false },
            Role::List(Kind::Binders {
                sorted: true,
                may_be_empty: true,
            }),
            Role::Sort,
            Role::Term(Want::Any),
        ],
        "declare-sort" => &[Role::NewName { sort: true }, Role::Numeral],
        "assert" => &[Role::Term(Want::Bool)],
        "get-value" => &[Role::List(Kind::Terms)],
        _ => &[],
    }
}

impl Frame {
    /// The role of item `index` (0-based); `None` when the list is full.
    fn role(&self, index: usize) -> Option<Role> {
        match self.kind {
            Kind::Command(None) => (index == 0).then_some(Role::Command),
            Kind::Command(Some(c)) => command_items(c).get(index.checked_sub(1)?).copied(),
            Kind::Apply { head: None, .. } => (index == 0).then_some(Role::Head),
            Kind::Apply {
                head: Some(Head::Quantifier),
                ..
            } => match index {
                1 => Some(Role::List(Kind::Binders {
                    sorted: true,
                    may_be_empty: false,
                })),
                2 => Some(Role::Term(Want::Bool)),
                _ => None,
            },
            Kind::Apply {
                head: Some(Head::Let),
                want,
            } => match index {
                1 => Some(Role::List(Kind::Binders {
                    sorted: false,
                    may_be_empty: false,
                })),
                2 => Some(Role::Term(want)),
                _ => None,
            },
            Kind::Apply {
                head: Some(Head::Ite),
                want,
            } => match index {
                1 => Some(Role::Term(Want::Bool)),
                2 | 3 => Some(Role::Term(want)),
                _ => None,
            },
            Kind::Apply {
                head: Some(Head::Args { max, args, .. }),
                ..
            } => (index <= max).then_some(Role::Term(args)),
            Kind::SortList => (index < MAX_ARGS).then_some(Role::Sort),
            Kind::Binders { sorted, .. } => {
                (index < MAX_ARGS).then_some(Role::List(Kind::Binding { sorted }))
            }
            Kind::Binding { sorted } => match index {
                0 => Some(Role::NewBound),
                1 => Some(if sorted {
                    Role::Sort
                } else {
                    Role::Term(Want::Any)
                }),
                _ => None,
            },
            Kind::Terms => (index < MAX_ARGS).then_some(Role::Constant),
        }
    }

    /// Fewest items the list may close with.
    fn min_items(&self) -> usize {
        match self.kind {
            // `declare-sort`'s arity may be left out
            Kind::Command(Some("declare-sort")) => 2,
            Kind::Command(Some(c)) => 1 + command_items(c).len(),
            Kind::Command(None) => 1,
            Kind::Apply {
                head: Some(Head::Quantifier | Head::Let),
                ..
            } => 3,
            Kind::Apply {
                head: Some(Head::Ite),
                ..
            } => 4,
            Kind::Apply {
                head: Some(Head::Args { min, .. }),
                ..
            } => 1 + min,
            Kind::Apply { head: None, .. } => 2,
            Kind::SortList => 0,
            Kind::Binders { may_be_empty, .. } => usize::from(!may_be_empty),
            Kind::Binding { .. } => 2,
            Kind::Terms => 1,
        }
    }
}

/// A list opened in `role`'s place, if a list may stand there.
fn list_for(role: Role) -> Option<Kind> {
    match role {
        Role::Term(want) => Some(Kind::Apply { head: None, want }),
        Role::List(kind) => Some(kind),
        _ => None,
    }
}

/// Where a name a word declares goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Name,
    /// `declare-fun`: a name whose arity follows (a constant when 0).
    Function,
    /// `define-fun`: a name whose arity follows, never a constant.
    Defined,
    Sort,
    Bound,
    /// A name a `let` binds: visible once the bindings close.
    LetBound,
}

/// Where the script is; fixed-size, so trying a token copies no heap
/// memory (unless a declaration is pending).
#[derive(Debug, Clone)]
pub struct Cursor {
    frames: [Frame; MAX_DEPTH],
    depth: usize,
    word: [u8; MAX_SYMBOL],
    word_len: usize,
    /// The role of the word being written.
    role: Option<Role>,
    commands: usize,
    /// Whitespace bytes in a row.
    spaces: usize,
    /// Bytes of the comment being written.
    comment: Option<usize>,
    /// Bytes of `END` written.
    end: usize,
    ended: bool,
    /// `check-sat` was written.
    checked: bool,
    /// Commands after `check-sat`.
    after_check: usize,
    /// A name the last word declared, until the grammar records it.
    pending: Option<(String, Space)>,
    /// A command closed: the names its binders bound are gone.
    closed_command: bool,
    /// The arity of the function being declared, once known.
    arity: Option<usize>,
    /// The sort of what was last declared (false) or bound (true), once known.
    sorted: Option<(Ty, bool)>,
    /// A `let`'s bindings closed: its names are visible.
    let_closed: bool,
    /// The last byte.
    last: u8,
    /// The byte before the one being stepped over.
    last_before: u8,
    /// FNV-1a hash of the command being written.
    command_hash: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

impl Default for Cursor {
    fn default() -> Self {
        Self {
            frames: [NO_FRAME; MAX_DEPTH],
            depth: 0,
            word: [0; MAX_SYMBOL],
            word_len: 0,
            role: None,
            commands: 0,
            spaces: 0,
            comment: None,
            end: 0,
            ended: false,
            checked: false,
            after_check: 0,
            pending: None,
            closed_command: false,
            arity: None,
            sorted: None,
            let_closed: false,
            last: b'\n',
            last_before: b'\n',
            command_hash: FNV_OFFSET,
        }
    }
}

impl Cursor {
    fn word(&self) -> &str {
        // only ASCII bytes are ever pushed
        std::str::from_utf8(&self.word[..self.word_len]).unwrap_or_default()
    }

    fn top(&mut self) -> Option<&mut Frame> {
        self.depth.checked_sub(1).map(|i| &mut self.frames[i])
    }

    /// What the innermost application's place wants.
    fn apply_want(&self) -> Want {
        match self.depth.checked_sub(1).map(|i| self.frames[i].kind) {
            Some(Kind::Apply { want, .. }) => want,
            _ => Want::Any,
        }
    }

    /// Start an item in the innermost list: its role, if one more fits.
    fn start_item(&mut self) -> Option<Role> {
        let frame = self.top()?;
        let role = frame.role(frame.items)?;
        frame.items += 1;
        Some(role)
    }
}

/// The SMT-LIB grammar of one script; see the module docs.
#[derive(Debug, Default)]
pub struct SmtLibGrammar {
    /// The names the script may declare or bind ([`allowed_names`]).
    vocabulary: BTreeSet<String>,
    /// Declared constants (arity 0) and functions: arity and what they give.
    names: BTreeMap<String, (usize, Ty)>,
    /// The constants `check_script` sees: names declared by `declare-const`,
    /// or by `declare-fun` without arguments.
    constants: BTreeSet<String>,
    /// Is a name of the vocabulary still free to declare?
    fresh_left: bool,
    /// The name the last command declared, until its arity and sort are known.
    last_declared: Option<String>,
    /// The name the last binding bound, until its sort is known.
    last_bound: Option<String>,
    /// Declared sorts.
    sorts: BTreeSet<String>,
    /// Names bound in the current command, with their kind.
    bound: BTreeMap<String, Ty>,
    /// Hashes of the commands written.
    seen: std::collections::HashSet<u64>,
    /// Names a `let` binds, until its bindings close (a binding cannot use
    /// the names of its own `let`).
    let_pending: Vec<String>,
}

/// The SMT-LIB grammar as the engine's logits hook.
pub type SmtLibConstraint = GrammarConstraint<SmtLibGrammar>;

impl GrammarConstraint<SmtLibGrammar> {
    /// The grammar of a script whose new names come from `vocabulary` (see
    /// [`allowed_names`]).
    pub fn smtlib(table: Arc<TokenTable>, vocabulary: BTreeSet<String>) -> Self {
        let grammar = SmtLibGrammar {
            fresh_left: !vocabulary.is_empty(),
            vocabulary,
            ..SmtLibGrammar::default()
        };
        GrammarConstraint::new(grammar, table, Cursor::default())
    }
}

/// Does the operator take binders (`forall`, `exists`, `let`)?
fn binds(op: &str) -> bool {
    matches!(op, "forall" | "exists" | "let")
}

fn set_has_prefix(set: &BTreeSet<String>, prefix: &str) -> bool {
    set.range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .next()
        .is_some_and(|w| w.starts_with(prefix))
}

/// Most commands after `check-sat`.
const MAX_AFTER_CHECK: usize = 2;

impl SmtLibGrammar {
    /// Has the script declared a constant the answer is read from?
    fn has_answer(&self) -> bool {
        self.constants.contains("answer")
            || self.constants.contains("claim")
            || set_has_prefix(&self.constants, "option_")
    }

    /// May the command `c` start at `cur`?
    fn command_allowed(&self, cur: &Cursor, c: &str) -> bool {
        if cur.checked {
            return match c {
                "get-value" => cur.after_check < MAX_AFTER_CHECK && !self.constants.is_empty(),
                "get-model" => cur.after_check < MAX_AFTER_CHECK,
                _ => false,
            };
        }
        match c {
            "check-sat" => self.has_answer(),
            "get-value" | "get-model" => false,
            // a declaration needs a name left to declare
            "declare-const" | "declare-fun" | "define-fun" | "declare-sort" => self.fresh_left,
            _ => true,
        }
    }

    /// The declared names starting with `prefix`: arity and what they give.
    fn names_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (usize, Ty)> + 'a {
        self.names
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(name, _)| name.starts_with(prefix))
            .map(|(_, v)| *v)
    }

    /// The bound names starting with `prefix` (none once the command closed).
    fn bound_with_prefix<'a>(
        &'a self,
        cur: &Cursor,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Ty)> + 'a {
        let live = !cur.closed_command;
        self.bound
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(name, _)| live && name.starts_with(prefix))
    }

    /// Could `prefix` grow into a term atom that fits `want`: a Boolean
    /// constant, a declared constant, or (until the command closes) a bound
    /// name?
    fn term_prefix(&self, cur: &Cursor, prefix: &str, want: Want) -> bool {
        (Ty::Bool.fits(want) && CONSTANTS.iter().any(|c| c.starts_with(prefix)))
            || self
                .names_with_prefix(prefix)
                .any(|(arity, ty)| arity == 0 && ty.fits(want))
            || self
                .bound_with_prefix(cur, prefix)
                .any(|(_, ty)| ty.fits(want))
    }

    fn is_term(&self, cur: &Cursor, word: &str, want: Want) -> bool {
        (Ty::Bool.fits(want) && CONSTANTS.contains(&word))
            || self
                .names
                .get(word)
                .is_some_and(|(arity, ty)| *arity == 0 && ty.fits(want))
            || self
                .bound_with_prefix(cur, word)
                .any(|(name, ty)| name == word && ty.fits(want))
    }

    /// Could `prefix` grow into an operator or a declared function that
    /// gives what `want` wants?
    fn head_prefix(&self, cur: &Cursor, prefix: &str, want: Want) -> bool {
        OPERATORS.iter().any(|(op, .., ty)| {
            op.starts_with(prefix) && ty.fits(want) && (cur.depth + 2 <= MAX_DEPTH || !binds(op))
        }) || self
            .names_with_prefix(prefix)
            .any(|(arity, ty)| arity > 0 && ty.fits(want))
    }

    /// The operator `word` shapes its application so, if it gives what
    /// `want` wants.
    fn head(&self, cur: &Cursor, word: &str, want: Want) -> Option<Head> {
        if let Some((_, min, max, args, ty)) = OPERATORS.iter().find(|(op, ..)| *op == word) {
            // binders and a binding take two more levels
            if !ty.fits(want) || (binds(word) && cur.depth + 2 > MAX_DEPTH) {
                return None;
            }
            return Some(match word {
                "forall" | "exists" => Head::Quantifier,
                "let" => Head::Let,
                "ite" => Head::Ite,
                _ => Head::Args {
                    min: *min,
                    max: *max,
                    args: *args,
                },
            });
        }
        match self.names.get(word) {
            Some(&(arity, ty)) if arity > 0 && ty.fits(want) => Some(Head::Args {
                min: arity,
                max: arity,
                args: Want::Any,
            }),
            _ => None,
        }
    }

    fn sort_prefix(&self, cur: &Cursor, prefix: &str) -> bool {
        if self.declares_a_claim(cur) {
            return "Bool".starts_with(prefix);
        }
        BUILTIN_SORTS.iter().any(|s| s.starts_with(prefix)) || set_has_prefix(&self.sorts, prefix)
    }

    /// Is the command at `cur` declaring `claim` or an `option_…`, which
    /// must be Boolean?
    fn declares_a_claim(&self, cur: &Cursor) -> bool {
        cur.depth == 1
            && matches!(
                cur.frames[0].kind,
                Kind::Command(Some("declare-const" | "declare-fun"))
            )
            && match &cur.pending {
                // declared by the token being tried
                Some((name, Space::Name | Space::Function)) => Some(name.as_str()),
                _ => self.last_declared.as_deref(),
            }
            .is_some_and(|n| n == "claim" || n.starts_with("option_"))
    }

    /// The vocabulary's names starting with `prefix`.
    fn vocabulary_from<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.vocabulary
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |w| w.starts_with(prefix))
            .map(String::as_str)
    }

    fn is_builtin(word: &str) -> bool {
        OPERATORS.iter().any(|(op, ..)| *op == word)
            || CONSTANTS.contains(&word)
            || BUILTIN_SORTS.contains(&word)
    }

    fn is_taken(&self, word: &str) -> bool {
        Self::is_builtin(word) || self.names.contains_key(word) || self.sorts.contains(word)
    }

    /// Could the word being written still become a word its role allows?
    fn word_so_far(&self, cur: &Cursor) -> bool {
        let word = cur.word();
        let numeral = word.as_bytes()[0].is_ascii_digit();
        if numeral {
            return word.bytes().all(|b| b.is_ascii_digit()) && word.len() <= MAX_DIGITS;
        }
        match cur.role {
            Some(Role::Command) => COMMANDS
                .iter()
                .any(|c| c.starts_with(word) && self.command_allowed(cur, c)),
            Some(Role::Head) => self.head_prefix(cur, word, cur.apply_want()),
            Some(Role::Term(want)) => self.term_prefix(cur, word, want),
            Some(Role::Constant) => set_has_prefix(&self.constants, word),
            Some(Role::Sort) => self.sort_prefix(cur, word),
            // the word must still be able to end as a name not taken
            Some(Role::NewName { .. }) => self.vocabulary_from(word).any(|w| !self.is_taken(w)),
            Some(Role::NewBound) => self
                .vocabulary_from(word)
                .any(|w| !self.is_taken(w) && !self.bound_with_prefix(cur, w).any(|(n, _)| n == w)),
            _ => false,
        }
    }

    /// The word being written ends (at a delimiter): check it and record
    /// what it declares or opens.
    fn end_word(&self, cur: &mut Cursor) -> bool {
        if cur.word_len == 0 {
            return true;
        }
        let word = cur.word().to_owned();
        cur.word_len = 0;
        let numeral = word.as_bytes()[0].is_ascii_digit();
        match cur.role.take() {
            Some(Role::Command) => match COMMANDS.iter().find(|c| **c == word) {
                Some(c) if self.command_allowed(cur, c) => {
                    if cur.checked {
                        cur.after_check += 1;
                    }
                    cur.checked |= *c == "check-sat";
                    if let Some(frame) = cur.top() {
                        frame.kind = Kind::Command(Some(c));
                    }
                    true
                }
                _ => false,
            },
            Some(Role::Head) => match self.head(cur, &word, cur.apply_want()) {
                Some(head) => {
                    if let Some(frame) = cur.top()
                        && let Kind::Apply { want, .. } = frame.kind
                    {
                        frame.kind = Kind::Apply {
                            head: Some(head),
                            want,
                        };
                    }
                    true
                }
                None => false,
            },
            Some(Role::Term(want)) => {
                if numeral {
                    Ty::Num.fits(want)
                } else {
                    self.is_term(cur, &word, want)
                }
            }
            Some(Role::Constant) => self.constants.contains(&word),
            Some(Role::Numeral) => numeral,
            Some(Role::Sort) => {
                // the sort of a declared constant or function, or of a
                // quantifier's or parameter's binding
                let in_binding = matches!(
                    cur.top(),
                    Some(Frame {
                        kind: Kind::Binding { .. },
                        ..
                    })
                );
                if cur.depth == 1 || in_binding {
                    cur.sorted = Some((Ty::of_sort(&word), in_binding));
                }
                if self.declares_a_claim(cur) {
                    return word == "Bool";
                }
                BUILTIN_SORTS.contains(&word.as_str()) || self.sorts.contains(&word)
            }
            Some(Role::NewName { sort }) => {
                let fresh = !numeral && !self.is_taken(&word) && self.vocabulary.contains(&word);
                let space = match cur.frames[0].kind {
                    _ if sort => Space::Sort,
                    Kind::Command(Some("declare-fun")) => Space::Function,
                    Kind::Command(Some("define-fun")) => Space::Defined,
                    _ => Space::Name,
                };
                cur.pending = Some((word, space));
                fresh
            }
            Some(Role::NewBound) => {
                let fresh = !numeral
                    && !self.is_taken(&word)
                    && !self.bound_with_prefix(cur, &word).any(|(n, _)| *n == word)
                    && self.vocabulary.contains(&word);
                let sorted = matches!(
                    cur.top(),
                    Some(Frame {
                        kind: Kind::Binding { sorted: true },
                        ..
                    })
                );
                cur.pending = Some((
                    word,
                    if sorted {
                        Space::Bound
                    } else {
                        Space::LetBound
                    },
                ));
                fresh
            }
            _ => false,
        }
    }

    fn space(&self, cur: &mut Cursor) -> bool {
        cur.spaces += 1;
        cur.spaces <= MAX_SPACES
    }

    fn open(&self, cur: &mut Cursor) -> bool {
        if cur.depth == 0 {
            if cur.end > 0
                || cur.commands >= MAX_COMMANDS
                || !COMMANDS.iter().any(|c| self.command_allowed(cur, c))
            {
                return false;
            }
            cur.commands += 1;
            cur.frames[0] = Frame {
                kind: Kind::Command(None),
                items: 0,
            };
            cur.depth = 1;
            return true;
        }
        if cur.depth >= MAX_DEPTH {
            return false;
        }
        let Some(kind) = cur.start_item().and_then(list_for) else {
            return false;
        };
        cur.frames[cur.depth] = Frame { kind, items: 0 };
        cur.depth += 1;
        true
    }

    fn close(&self, cur: &mut Cursor) -> bool {
        let Some(frame) = cur.top() else {
            return false;
        };
        if frame.items < frame.min_items() {
            return false;
        }
        let (kind, items) = (frame.kind, frame.items);
        cur.depth -= 1;
        if let Kind::Binders { sorted: false, .. } = kind {
            cur.let_closed = true;
        }
        if cur.depth == 0 {
            if self.seen.contains(&cur.command_hash) {
                return false;
            }
            cur.closed_command = true;
        }
        // a function's argument sorts or parameters: its arity
        if cur.depth == 1
            && matches!(kind, Kind::SortList | Kind::Binders { .. })
            && matches!(
                cur.frames[0].kind,
                Kind::Command(Some("declare-fun" | "define-fun"))
            )
        {
            cur.arity = Some(items);
        }
        true
    }

    /// A byte of a symbol or numeral.
    fn word_byte(&self, cur: &mut Cursor, b: u8) -> bool {
        if cur.depth == 0 {
            // only `END` stands outside a command
            let ok = self.has_answer() && b"END".get(cur.end) == Some(&b);
            cur.end += 1;
            cur.ended = cur.end == 3;
            return ok;
        }
        if cur.word_len == 0 {
            // a word starts after `(` or a space
            if !matches!(cur.last_before, b'(' | b' ') {
                return false;
            }
            let Some(role) = cur.start_item() else {
                return false;
            };
            let fits = match role {
                Role::Term(want) => !b.is_ascii_digit() || Ty::Num.fits(want),
                Role::Numeral => b.is_ascii_digit(),
                Role::Command
                | Role::Head
                | Role::NewName { .. }
                | Role::NewBound
                | Role::Sort
                | Role::Constant => !b.is_ascii_digit(),
                Role::List(_) => false,
            };
            if !fits {
                return false;
            }
            cur.role = Some(role);
        }
        if cur.word_len == MAX_SYMBOL {
            return false;
        }
        cur.word[cur.word_len] = b;
        cur.word_len += 1;
        self.word_so_far(cur)
    }
}

impl ByteGrammar for SmtLibGrammar {
    type Cursor = Cursor;

    fn step(&self, cur: &mut Cursor, b: u8) -> bool {
        if cur.ended {
            return false;
        }
        if let Some(len) = cur.comment {
            if b == b'\n' {
                cur.comment = None;
                cur.spaces = 1;
                return true;
            }
            cur.comment = Some(len + 1);
            return len < MAX_COMMENT && smtlib_byte(b);
        }
        let last = std::mem::replace(&mut cur.last, b);
        cur.last_before = last;
        if cur.depth > 0 || b == b'(' {
            if cur.depth == 0 {
                cur.command_hash = FNV_OFFSET;
            }
            cur.command_hash = (cur.command_hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        if symbol_byte(b) {
            cur.spaces = 0;
            return self.word_byte(cur, b);
        }
        if cur.end > 0 {
            return false;
        }
        if !self.end_word(cur) {
            return false;
        }
        let in_command = cur.depth > 0;
        match b {
            // inside a command: one space after a word or `)`, when another
            // item may follow
            b' ' if in_command => {
                let frame = cur.frames[cur.depth - 1];
                last != b' ' && last != b'(' && frame.role(frame.items).is_some()
            }
            b'\n' if in_command => false,
            b' ' | b'\n' => self.space(cur),
            // inside a command a list starts after `(` or a space
            b'(' if in_command && !matches!(last, b'(' | b' ') => false,
            b'(' => {
                cur.spaces = 0;
                self.open(cur)
            }
            b')' if in_command && last == b' ' => false,
            b')' => {
                cur.spaces = 0;
                self.close(cur)
            }
            b';' if cur.depth == 0 && !cur.checked => {
                cur.comment = Some(0);
                true
            }
            _ => false,
        }
    }

    fn advanced(&mut self, cur: &mut Cursor) {
        if let Some((name, space)) = cur.pending.take() {
            match space {
                Space::Name | Space::Function | Space::Defined => {
                    self.names.insert(name.clone(), (0, Ty::Unknown));
                    if space != Space::Defined {
                        self.constants.insert(name.clone());
                    }
                    self.last_declared = Some(name);
                }
                Space::Sort => {
                    self.sorts.insert(name);
                }
                Space::Bound => {
                    self.bound.insert(name.clone(), Ty::Unknown);
                    self.last_bound = Some(name);
                }
                Space::LetBound => self.let_pending.push(name),
            }
        }
        if let Some(arity) = cur.arity.take()
            && let Some(entry) = self
                .last_declared
                .as_ref()
                .and_then(|n| self.names.get_mut(n))
        {
            entry.0 = arity;
            if arity > 0
                && let Some(name) = &self.last_declared
            {
                self.constants.remove(name);
            }
        }
        if let Some((ty, bound)) = cur.sorted.take() {
            if bound {
                if let Some(b) = self.last_bound.as_ref().and_then(|n| self.bound.get_mut(n)) {
                    *b = ty;
                }
            } else if let Some(entry) = self
                .last_declared
                .as_ref()
                .and_then(|n| self.names.get_mut(n))
            {
                entry.1 = ty;
            }
        }
        self.fresh_left = self.vocabulary.iter().any(|w| !self.is_taken(w));
        if std::mem::take(&mut cur.let_closed) {
            for name in self.let_pending.drain(..) {
                self.bound.insert(name, Ty::Unknown);
            }
        }
        if cur.closed_command {
            self.let_pending.clear();
            self.bound.clear();
            self.seen.insert(cur.command_hash);
            cur.closed_command = false;
        }
    }

    fn complete(&self, cur: &Cursor) -> bool {
        cur.ended || (cur.depth == 0 && cur.commands >= MAX_COMMANDS && cur.comment.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompts::PromptId;
    use crate::routes::grammar::toy;
    use crate::solver::script::ALLOWED_COMMANDS;

    fn table() -> (Arc<TokenTable>, Vec<String>) {
        toy::table(
            &[
                "\n", "(assert", "(declare", "-const", " Int", " Bool", ")\n", "END", "ann",
                "anna", "answer", "bob", " (", "))", "set", "echo", "12", "1234567",
            ],
            smtlib_byte,
        )
    }

    /// The names the tests' scripts use, as the words of a question.
    const QUESTION: &str = "Ann, Anna and Bob; a b c x t T double Color red green Thing. \
                            Mia, Ava, Ben, Cal, Dee, rains, cancelled, Sam, florp, blint, green, shiny";

    fn grammar() -> SmtLibConstraint {
        SmtLibConstraint::smtlib(table().0, allowed_names(QUESTION))
    }

    fn allowed(text: &str) -> Vec<String> {
        allowed_for(QUESTION, text)
    }

    fn allowed_for(question: &str, text: &str) -> Vec<String> {
        let (t, pieces) = table();
        toy::allowed(
            &mut SmtLibConstraint::smtlib(t, allowed_names(question)),
            &pieces,
            text,
        )
    }

    fn has(allowed: &[String], piece: &str) -> bool {
        allowed.iter().any(|p| p == piece)
    }

    /// Is `script`, after a declaration of `answer`, a whole script?
    fn whole(script: &str) -> bool {
        grammar().accepts_whole(&format!("(declare-const answer Int)\n{script}"))
    }

    #[test]
    fn word_lists_are_sorted_and_inside_the_solver_allowlist() {
        assert!(OPERATORS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(COMMANDS.windows(2).all(|w| w[0] < w[1]));
        assert!(COMMANDS.iter().all(|c| ALLOWED_COMMANDS.contains(c)));
    }

    /// The scripts the prompts show the model (after `SMT-LIB:` or `Fixed
    /// script:`, up to `END`) are sentences of the grammar for their puzzle.
    #[test]
    fn the_prompt_examples_are_accepted() {
        let mut n = 0;
        for (prompt, marker) in [
            (PromptId::LogicSmtlib, "SMT-LIB:"),
            (PromptId::LogicSmtlibRepair, "Fixed script:"),
        ] {
            for example in prompt.text().split("Puzzle:").skip(1) {
                let Some(at) = example.find(marker) else {
                    continue;
                };
                let puzzle = &example[..at];
                let rest = &example[at + marker.len()..];
                let Some(end) = rest.find("END") else {
                    continue; // the placeholder at the end of the prompt
                };
                let script = &rest[..end + 3];
                let g = SmtLibConstraint::smtlib(table().0, allowed_names(puzzle));
                assert!(
                    g.accepts_whole(script),
                    "{prompt:?} example refused:\n{script}"
                );
                n += 1;
            }
        }
        assert!(n >= 6, "only {n} examples found");
    }

    #[test]
    fn commands_outside_the_list_cannot_start() {
        let a = allowed("");
        assert!(has(&a, "(") && has(&a, "(assert") && has(&a, "\n"));
        assert!(!has(&a, "END"), "END before any command");
        let after_paren = allowed("(");
        assert!(has(&after_paren, "a") && has(&after_paren, "d"));
        for refused in ["s", "e", "set", "echo", "(", ")"] {
            assert!(!has(&after_paren, refused), "{refused} allowed after (");
        }
        assert!(!whole("(exit)\nEND"));
        assert!(!whole("(set-option :timeout 0)\nEND"));
    }

    #[test]
    fn declarations_need_their_parts() {
        // `(declare-const xInt)`, a 270M output: the sort is missing
        let a = allowed("(declare-const x");
        assert!(!has(&a, ")") && !has(&a, ")\n") && has(&a, " ") && has(&a, " Int"));
        assert!(
            !has(&allowed("(declare-const x"), "I"),
            "xInt is no word of the question"
        );
        assert!(!whole("(declare-const x)\nEND"));
        assert!(whole("(declare-const x Int)\nEND"));
        // a declared name cannot be declared again, nor a builtin
        assert!(!whole("(declare-const x Int)\n(declare-const x Int)\nEND"));
        assert!(!whole("(declare-const and Bool)\nEND"));
        // only known sorts
        assert!(!whole("(declare-const x Thing)\nEND"));
        assert!(whole(
            "(declare-sort Thing 0)\n(declare-const x Thing)\n(declare-fun p (Thing) Bool)\nEND"
        ));
    }

    #[test]
    fn terms_use_declared_names_numerals_and_builtins_only() {
        let decls = "(declare-const ann Int)\n(assert (= ";
        let a = allowed(decls);
        assert!(has(&a, "ann") && has(&a, "12") && has(&a, "a") && has(&a, "("));
        assert!(!has(&a, "bob") && !has(&a, "anna") && !has(&a, "1234567"));
        assert!(!has(&a, ")"), "(= ) has no argument");
        assert!(!whole("(declare-const ann Int)\n(assert (= bob 3))\nEND"));
        assert!(whole(
            "(declare-const ann Int)\n(assert (= ann (+ 3 4)))\nEND"
        ));
        // `(= ann) 1)`-style slips: a closed list cannot be closed again
        assert!(!whole("(declare-const ann Int)\n(assert (= ann 1)))\nEND"));
        // an application needs an operator first
        assert!(!whole("(declare-const ann Int)\n(assert ((= ann 1)))\nEND"));
    }

    #[test]
    fn operators_and_functions_take_their_number_of_arguments() {
        // a 270M output: a Bool constant applied to a sort
        assert!(!whole("(declare-const t Bool)\n(assert (t Bool))\nEND"));
        let f = "(declare-sort T 0)\n(declare-const a T)\n(declare-fun p (T T) Bool)\n";
        assert!(whole(&format!("{f}(assert (p a a))\nEND")));
        assert!(!whole(&format!("{f}(assert (p a))\nEND")));
        assert!(!whole(&format!("{f}(assert (p a a a))\nEND")));
        // a function is no term atom, a constant no operator
        assert!(!whole(&format!("{f}(assert (= p a))\nEND")));
        assert!(!whole(&format!("{f}(assert (a p))\nEND")));
        assert!(!whole("(assert (not true false))\nEND"));
        assert!(whole("(assert (ite true (= answer 1) (= answer 2)))\nEND"));
        assert!(!whole("(assert (ite true (= answer 1)))\nEND"));
        let many = format!(
            "(assert (= answer (+ {})))\nEND",
            ["1"; MAX_ARGS + 1].join(" ")
        );
        assert!(!whole(&many));
        // sorts are no terms
        assert!(!whole("(assert (= answer Int))\nEND"));
    }

    #[test]
    fn terms_are_of_the_kind_their_place_wants() {
        // 270M outputs: a numeral as a Boolean, a term in get-value
        assert!(!whole("(declare-const t Bool)\n(assert (not 1))\nEND"));
        assert!(!whole(
            "(declare-const t Bool)\n(assert (not (xor (not 1) t)))\nEND"
        ));
        assert!(!whole("(check-sat)\n(get-value ((+ answer 1)))\nEND"));
        assert!(!whole("(check-sat)\n(get-value (7))\nEND"));
        assert!(whole("(check-sat)\n(get-value (answer))\nEND"));
        let decls = "(declare-const t Bool)\n(declare-const x Int)\n";
        assert!(whole(&format!("{decls}(assert (=> t (> x 2)))\nEND")));
        assert!(
            !whole(&format!("{decls}(assert x)\nEND")),
            "an Int asserted"
        );
        assert!(
            !whole(&format!("{decls}(assert (+ x 1))\nEND")),
            "a sum asserted"
        );
        assert!(
            !whole(&format!("{decls}(assert (> t 1))\nEND")),
            "a Bool compared"
        );
        assert!(!whole(&format!("{decls}(assert (= x (+ x true)))\nEND")));
        assert!(
            whole(&format!("{decls}(assert (= t (> x 1)))\nEND")),
            "= takes any"
        );
        assert!(whole(&format!("{decls}(assert (= x (ite t 1 2)))\nEND")));
        assert!(
            !whole(&format!("{decls}(assert (= x (ite x 1 2)))\nEND")),
            "Int condition"
        );
        assert!(
            !whole(&format!("{decls}(assert (not (ite t 1 2)))\nEND")),
            "Int ite as Bool"
        );
        // declared functions give their result sort; bound names their sort
        let f =
            "(declare-sort Thing 0)\n(declare-fun p (Thing) Bool)\n(declare-fun c (Thing) Int)\n";
        assert!(whole(&format!(
            "{f}(assert (forall ((x Thing)) (=> (p x) (> (c x) 0))))\nEND"
        )));
        assert!(
            !whole(&format!("{f}(assert (forall ((x Thing)) (c x)))\nEND")),
            "Int body"
        );
        assert!(
            !whole(&format!("{f}(assert (forall ((x Thing)) (not x)))\nEND")),
            "Thing as Bool"
        );
        let a = allowed("(declare-const t Bool)\n(declare-const x Int)\n(assert (not ");
        assert!(!has(&a, "12") && has(&a, "t") && !has(&a, "x") && has(&a, "("));
    }

    #[test]
    fn bound_names_live_until_their_command_closes() {
        let script = "(declare-sort T 0)\n(declare-fun p (T) Bool)\n\
                      (assert (forall ((x T)) (p x)))\n";
        assert!(whole(&format!("{script}END")));
        assert!(!whole(&format!("{script}(assert (p x))\nEND")));
        assert!(whole(
            "(declare-const a Int)\n(assert (let ((b (+ a 1))) (> b 2)))\nEND"
        ));
        assert!(whole(
            "(define-fun double ((n Int)) Int (* 2 n))\n(assert (= (double 2) 4))\nEND"
        ));
    }

    #[test]
    fn parentheses_balance_and_end_stops() {
        let a = allowed("(declare-const ann Int)\n(assert (> ann 1");
        assert!(has(&a, ")") && has(&a, "))") && has(&a, " (") && !has(&a, "(assert"));
        let a = allowed("(declare-const ann Int)\n(assert (> ann 1))");
        assert!(!has(&a, ")") && !has(&a, "))") && has(&a, "\n") && has(&a, " ("));
        let top = allowed("(declare-const answer Int)\n");
        assert!(has(&top, "END") && has(&top, "(") && !has(&top, ")") && !has(&top, "ann"));
        assert!(!whole("(check-sat\nEND"));
        let deep = "(declare-const a Int)\n(assert ".to_owned() + &"(not ".repeat(MAX_DEPTH - 1);
        assert!(!has(&allowed(&deep), "("));
    }

    #[test]
    fn check_sat_and_end_wait_for_the_answer_constant() {
        let before = allowed("(declare-const x Int)\n");
        assert!(!has(&before, "END"));
        assert!(
            !has(&allowed("(declare-const x Int)\n("), "c"),
            "check-sat before answer"
        );
        let options = "Who lies? (A) Ann (B) Bob";
        for (question, name) in [
            (QUESTION, "answer Int"),
            (QUESTION, "claim Bool"),
            (options, "option_a Bool"),
        ] {
            let declared = format!("(declare-const {name})\n");
            assert!(has(&allowed_for(question, &declared), "END"), "{name}");
            let open = format!("{declared}(");
            assert!(has(&allowed_for(question, &open), "c"), "{name}");
        }
        assert!(!has(&allowed_for(options, "(declare-const "), "answer"));
        // the constants a verdict is read from are Boolean
        assert!(!has(
            &allowed_for(options, "(declare-const option_a "),
            " Int"
        ));
        assert!(!has(
            &allowed_for(options, "(declare-const option_a"),
            " Int"
        ));
        assert!(has(
            &allowed_for(options, "(declare-const option_a"),
            " Bool"
        ));
        assert!(!whole("(declare-const claim Int)\nEND"));
        assert!(whole("(declare-const claim Bool)\nEND"));
        assert_eq!(allowed("(declare-const answer Int)\nEND"), ["<done>"]);
    }

    #[test]
    fn after_check_sat_only_two_queries_then_end() {
        let checked = "(declare-const answer Int)\n(check-sat)\n";
        let a = allowed(&format!("{checked}("));
        assert!(has(&a, "g") && !has(&a, "c") && !has(&a, "d") && !has(&a, "a"));
        assert!(!has(&allowed(checked), ";"), "no comment after check-sat");
        assert!(whole("(check-sat)\n(get-value (answer))\n(get-model)\nEND"));
        assert!(!whole(
            "(check-sat)\n(get-value (answer))\n(get-model)\n(get-model)\nEND"
        ));
        assert!(!whole("(check-sat)\n(check-sat)\nEND"));
        assert!(
            !whole("(get-value (answer))\n(check-sat)\nEND"),
            "get-value first"
        );
    }

    #[test]
    fn new_names_come_from_the_question() {
        assert!(whole(
            "(declare-const bob Int)\n(declare-const Bob Int)\nEND"
        ));
        assert!(!whole("(declare-const bobby Int)\nEND"));
        assert!(!whole("(declare-const truth-value Bool)\nEND"));
        let a = allowed("(declare-const ");
        assert!(has(&a, "ann") && has(&a, "anna") && has(&a, "bob") && !has(&a, "12"));
        // a name whose every completion is taken is refused at its first byte
        let a = allowed(
            "(declare-const answer Int)\n(declare-const ann Int)\n(declare-const anna Int)\n(declare-const an",
        );
        assert!(!has(&a, "n") && !has(&a, " "));
        assert!(
            !has(&allowed("(declare-const "), "o"),
            "no options in the question"
        );
        let names = allowed_names("Who lies? Ann or the answer? (A) Ann (B) 3");
        assert!(names.contains("Ann") && names.contains("ann") && names.contains("option_b"));
        assert!(!names.contains("3") && !names.contains("option_c"));
        assert!(!names.contains("answer") && !names.contains("claim"));
        let names = allowed_names("Does Ann lie?");
        assert!(names.contains("claim") && names.contains("answer"));
        assert!(!names.contains("option_a"));
    }

    #[test]
    fn one_line_single_spaces_and_no_repeats() {
        let a = allowed("(assert (=");
        assert!(has(&a, " ") && !has(&a, "\n") && !has(&a, ")\n"));
        assert!(!has(&allowed("(assert (= "), " "), "two spaces");
        assert!(!has(&allowed("(assert ("), " "), "space after (");
        assert!(
            !has(&allowed("(assert (= answer 1 "), ")"),
            "space before )"
        );
        // no space where nothing may follow (it would be a dead end)
        assert!(!has(&allowed("(declare-const answer Int"), " "));
        assert!(!has(
            &allowed("(declare-const answer Int)\n(assert (not answer"),
            " "
        ));
        let once = "(declare-const t Bool)\n(assert (not t))\n";
        assert!(!has(&allowed(&format!("{once}(assert (not t)")), ")"));
        assert!(!whole(&format!("{once}(assert (not t))\nEND")));
        assert!(whole(&format!("{once}(assert (not (not t)))\nEND")));
    }

    /// Findings of a review: loops the grammar used to allow, dead ends it
    /// used to reach, and constants `check_script` would not see.
    #[test]
    fn review_findings_stay_fixed() {
        // lists are bounded, bound names are fresh
        let sorts = vec!["Int"; MAX_ARGS + 1].join(" ");
        assert!(!whole(&format!("(declare-fun p ({sorts}) Bool)\nEND")));
        assert!(!whole("(assert (forall ((x Int) (x Int)) (> x 0)))\nEND"));
        assert!(!whole(
            "(declare-const x Int)\n(assert (forall ((x Int)) (> x 0)))\nEND"
        ));
        assert!(whole("(assert (forall ((x Int) (y Int)) (> x y)))\nEND"));
        // no quantifier where its binders could not open
        let deep = "(declare-const t Bool)\n(assert ".to_owned() + &"(not ".repeat(5) + "(";
        let a = allowed(&deep);
        assert!(
            has(&a, "n") && !has(&a, "f"),
            "no room for forall's binders"
        );
        assert!(has(&allowed("(assert ("), "f"), "forall at the top");
        // no `(` when no command may follow, no declaration without a name left
        let done = "(declare-const answer Int)\n(check-sat)\n(get-value (answer))\n(get-model)\n";
        assert!(!has(&allowed(done), "(") && has(&allowed(done), "END"));
        let few = "How?"; // the vocabulary is the generic names and answer, claim
        let taken: String = allowed_names(few)
            .iter()
            .map(|n| format!("(declare-const {n} Bool)\n"))
            .collect();
        let a = allowed_for(few, &format!("{taken}(declare-"));
        assert!(
            !has(&a, "c") && !has(&a, "f") && !has(&a, "s") && !has(&a, "d"),
            "{a:?}"
        );
        assert!(has(&allowed_for(few, &format!("{taken}(")), "a"), "assert");
        assert!(
            !has(&allowed_for(few, &format!("{taken}(de")), "f"),
            "define-fun"
        );
        // items are separated by single spaces
        assert!(!whole("(declare-const t Bool)\n(assert(not t))\nEND"));
        assert!(!whole("(assert (= (+ 1 2)answer))\nEND"));
        assert!(whole("(assert (= (+ 1 2) answer))\nEND"));
        // the answer must be a constant check_script sees
        let defined = "(define-fun answer () Int 3)\n";
        assert!(
            has(&allowed(defined), "(") && !has(&allowed(defined), "END"),
            "a define-fun is no constant"
        );
        let g = SmtLibConstraint::smtlib(table().0, allowed_names("Does Ann lie?"));
        assert!(
            g.accepts_whole("(declare-fun claim () Bool)\n(check-sat)\n(get-value (claim))\nEND")
        );
        assert!(!grammar().accepts_whole("(declare-fun claim () Int)\nEND"));
        assert!(!grammar().accepts_whole("(declare-fun answer (Int) Int)\nEND"));
    }

    #[test]
    fn whole_commands_cut_after_the_last_closed_command() {
        assert_eq!(whole_commands("(a)\n(b (c)"), "(a)");
        assert_eq!(whole_commands("; x)\n(a)\n; (\n(b"), "; x)\n(a)");
        assert_eq!(whole_commands("(a (b))\nEND"), "(a (b))");
        assert_eq!(whole_commands("(a"), "");
        assert_eq!(whole_commands(""), "");
    }

    #[test]
    fn comments_stand_between_commands() {
        assert!(whole(
            "; the ages: (in years)\n(declare-const a Int)\n; a is 3.\n(assert (= a 3))\nEND"
        ));
        assert!(!whole("(declare-const a Int ; the age\n)\nEND"));
        let long = format!("; {}\n(check-sat)\nEND", "x".repeat(MAX_COMMENT));
        assert!(!whole(&long));
    }

    #[test]
    fn datatypes_are_left_out() {
        assert!(!whole(
            "(declare-datatypes ((Color 0)) (((red) (green))))\n\
             (declare-const c Color)\n(assert (not (= c red)))\nEND"
        ));
    }

    /// A 270M output: `(let ((jaymie (not jaymie))) …)`, which Z3 refuses.
    #[test]
    fn a_let_name_is_bound_in_the_body_only() {
        assert!(!whole("(assert (let ((x (not x))) x))\nEND"));
        assert!(!whole("(assert (let ((x true) (y x)) y))\nEND"));
        assert!(whole("(assert (let ((x true)) (not x)))\nEND"));
        assert!(!whole("(assert (let ((x true)) (not x)))\n(assert x)\nEND"));
    }
}
