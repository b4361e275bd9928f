//! SMT-LIB2 as a logits hook, for the logic route's SMT-LIB form. The model
//! can only write:
//! - balanced parentheses, at most [`MAX_DEPTH`] deep;
//! - top-level commands from [`COMMANDS`], each in its shape
//!   (`(declare-const name Sort)`, `(declare-fun name (Sort*) Sort)`,
//!   `(define-fun name ((x Sort)*) Sort term)`, `(assert term)`, …), at most
//!   [`MAX_COMMANDS`] of them;
//! - in a term, a numeral, `true`, `false`, a constant the script declared
//!   earlier, or a name bound by a `forall`, `exists` or `let` of the same
//!   command; an application's operator is one of [`OPERATORS`] or a
//!   function the script declared, given as many arguments as it takes (a
//!   declared function exactly its arity, a variadic operator at most
//!   [`MAX_ARGS`]); a sort is `Int`, `Bool`, `Real` or a declared sort; a
//!   new name may not shadow a builtin or an earlier declaration;
//! - `;` comments between commands, and `END`, which ends the script;
//! - `check-sat` and `END` only once the script declares the constant its
//!   answer is read from (`answer`, `claim` or `option_…`, see
//!   [`crate::routes::logic`]), `check-sat` once, and after it only
//!   `get-value` or `get-model` (two at most) and no comment: a 270M model
//!   otherwise repeats `(check-sat)` until its budget runs out.
//!
//! Inside `declare-datatypes` any symbol goes, and each becomes a declared
//! constant and sort (the grammar does not follow datatype declarations'
//! shape, so constructors with fields cannot be applied). What the grammar cannot see (sorts that do not match, an
//! operator given the wrong number of arguments) is left to Z3, whose errors
//! go back to the model.

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
    "declare-datatypes",
    "declare-fun",
    "declare-sort",
    "define-fun",
    "get-model",
    "get-value",
];

/// The core, integer and real theories' operators with their fewest and
/// most arguments (`forall`, `exists` and `let` take binders and a body).
/// Sorted (by bytes).
pub const OPERATORS: &[(&str, usize, usize)] = &[
    ("*", 2, MAX_ARGS),
    ("+", 2, MAX_ARGS),
    ("-", 1, MAX_ARGS),
    ("/", 2, MAX_ARGS),
    ("<", 2, MAX_ARGS),
    ("<=", 2, MAX_ARGS),
    ("=", 2, MAX_ARGS),
    ("=>", 2, MAX_ARGS),
    (">", 2, MAX_ARGS),
    (">=", 2, MAX_ARGS),
    ("abs", 1, 1),
    ("and", 1, MAX_ARGS),
    ("distinct", 2, MAX_ARGS),
    ("div", 2, 2),
    ("exists", 2, 2),
    ("forall", 2, 2),
    ("ite", 3, 3),
    ("let", 2, 2),
    ("mod", 2, 2),
    ("not", 1, 1),
    ("or", 1, MAX_ARGS),
    ("xor", 2, MAX_ARGS),
];

/// The constants a term may use without declaring them.
const CONSTANTS: &[&str] = &["false", "true"];

/// The sorts a script may use without declaring them.
const BUILTIN_SORTS: &[&str] = &["Bool", "Int", "Real"];

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
    Term,
    /// `(Sort*)` of `declare-fun`.
    SortList,
    /// `((name Sort)*)` of a quantifier or `define-fun` (`sorted`), or
    /// `((name term)+)` of a `let`.
    Binders {
        sorted: bool,
        may_be_empty: bool,
    },
    Binding {
        sorted: bool,
    },
    /// `(term+)` of `get-value`.
    Terms,
    /// Anything (inside `declare-datatypes`); symbols are declared.
    Free,
}

/// The operator of an application, as far as it shapes the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// `forall` or `exists`: binders, then a body.
    Quantifier,
    /// `let`: bindings, then a body.
    Let,
    /// Between `min` and `max` terms.
    Args { min: usize, max: usize },
}

/// An open list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A top-level command; its name once written.
    Command(Option<&'static str>),
    /// An application; its operator once written.
    Apply(Option<Head>),
    SortList,
    Binders {
        sorted: bool,
        may_be_empty: bool,
    },
    Binding {
        sorted: bool,
    },
    Terms,
    Free,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    kind: Kind,
    /// Items started so far.
    items: usize,
}

const NO_FRAME: Frame = Frame {
    kind: Kind::Free,
    items: 0,
};

/// The arguments of each command after its name.
fn command_items(command: &str) -> &'static [Role] {
    match command {
        "declare-const" => &[Role::NewName { sort: false }, Role::Sort],
        "declare-fun" => &[Role::NewName { sort: false }, Role::SortList, Role::Sort],
        "define-fun" => &[
            Role::NewName { sort: false },
            Role::Binders {
                sorted: true,
                may_be_empty: true,
            },
            Role::Sort,
            Role::Term,
        ],
        "declare-sort" => &[Role::NewName { sort: true }, Role::Numeral],
        "declare-datatypes" => &[Role::Free, Role::Free],
        "assert" => &[Role::Term],
        "get-value" => &[Role::Terms],
        _ => &[],
    }
}

impl Frame {
    /// The role of item `index` (0-based); `None` when the list is full.
    fn role(&self, index: usize) -> Option<Role> {
        match self.kind {
            Kind::Command(None) => (index == 0).then_some(Role::Command),
            Kind::Command(Some(c)) => command_items(c).get(index.checked_sub(1)?).copied(),
            Kind::Apply(None) => (index == 0).then_some(Role::Head),
            Kind::Apply(Some(Head::Quantifier)) => match index {
                1 => Some(Role::Binders {
                    sorted: true,
                    may_be_empty: false,
                }),
                2 => Some(Role::Term),
                _ => None,
            },
            Kind::Apply(Some(Head::Let)) => match index {
                1 => Some(Role::Binders {
                    sorted: false,
                    may_be_empty: false,
                }),
                2 => Some(Role::Term),
                _ => None,
            },
            Kind::Apply(Some(Head::Args { max, .. })) => (index <= max).then_some(Role::Term),
            Kind::SortList => Some(Role::Sort),
            Kind::Binders { sorted, .. } => Some(Role::Binding { sorted }),
            Kind::Binding { sorted } => match index {
                0 => Some(Role::NewBound),
                1 => Some(if sorted { Role::Sort } else { Role::Term }),
                _ => None,
            },
            Kind::Terms => Some(Role::Term),
            Kind::Free => Some(Role::Free),
        }
    }

    /// Fewest items the list may close with.
    fn min_items(&self) -> usize {
        match self.kind {
            // `declare-sort`'s arity may be left out
            Kind::Command(Some("declare-sort")) => 2,
            Kind::Command(Some(c)) => 1 + command_items(c).len(),
            Kind::Command(None) => 1,
            Kind::Apply(Some(Head::Quantifier | Head::Let)) => 3,
            Kind::Apply(Some(Head::Args { min, .. })) => 1 + min,
            Kind::Apply(None) => 2,
            Kind::SortList | Kind::Free => 0,
            Kind::Binders { may_be_empty, .. } => usize::from(!may_be_empty),
            Kind::Binding { .. } => 2,
            Kind::Terms => 1,
        }
    }
}

/// A list opened in `role`'s place, if a list may stand there.
fn list_for(role: Role) -> Option<Kind> {
    match role {
        Role::Term => Some(Kind::Apply(None)),
        Role::SortList => Some(Kind::SortList),
        Role::Binders {
            sorted,
            may_be_empty,
        } => Some(Kind::Binders {
            sorted,
            may_be_empty,
        }),
        Role::Binding { sorted } => Some(Kind::Binding { sorted }),
        Role::Terms => Some(Kind::Terms),
        Role::Free => Some(Kind::Free),
        _ => None,
    }
}

/// Where a name a word declares goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Name,
    /// A function: a name whose arity follows.
    Function,
    Sort,
    Bound,
    /// A `declare-datatypes` symbol: a name and a sort.
    Datatype,
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
}

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
    /// Declared constants (arity 0) and functions, with their arity.
    names: BTreeMap<String, usize>,
    /// The name the last `declare-fun` or `define-fun` declared, until its
    /// arity is known.
    last_function: Option<String>,
    /// Declared sorts.
    sorts: BTreeSet<String>,
    /// Names bound in the current command.
    bound: BTreeSet<String>,
}

/// The SMT-LIB grammar as the engine's logits hook.
pub type SmtLibConstraint = GrammarConstraint<SmtLibGrammar>;

impl GrammarConstraint<SmtLibGrammar> {
    pub fn smtlib(table: Arc<TokenTable>) -> Self {
        GrammarConstraint::new(SmtLibGrammar::default(), table, Cursor::default())
    }
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
        self.names.contains_key("answer")
            || self.names.contains_key("claim")
            || self.names_with_prefix("option_").next().is_some()
    }

    /// May the command `c` start at `cur`?
    fn command_allowed(&self, cur: &Cursor, c: &str) -> bool {
        if cur.checked {
            matches!(c, "get-value" | "get-model") && cur.after_check < MAX_AFTER_CHECK
        } else {
            c != "check-sat" || self.has_answer()
        }
    }

    /// The declared names starting with `prefix`, with their arity.
    fn names_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.names
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(name, _)| name.starts_with(prefix))
            .map(|(_, arity)| *arity)
    }

    fn bound_here(&self, cur: &Cursor) -> Option<&BTreeSet<String>> {
        (!cur.closed_command).then_some(&self.bound)
    }

    /// Could `prefix` grow into a term atom: a constant, builtin or
    /// declared, or (until the command closes) a bound name?
    fn term_prefix(&self, cur: &Cursor, prefix: &str) -> bool {
        CONSTANTS.iter().any(|c| c.starts_with(prefix))
            || self.names_with_prefix(prefix).any(|arity| arity == 0)
            || self
                .bound_here(cur)
                .is_some_and(|b| set_has_prefix(b, prefix))
    }

    fn is_term(&self, cur: &Cursor, word: &str) -> bool {
        CONSTANTS.contains(&word)
            || self.names.get(word) == Some(&0)
            || self.bound_here(cur).is_some_and(|b| b.contains(word))
    }

    /// Could `prefix` grow into an operator or a declared function?
    fn head_prefix(&self, prefix: &str) -> bool {
        OPERATORS.iter().any(|(op, ..)| op.starts_with(prefix))
            || self.names_with_prefix(prefix).any(|arity| arity > 0)
    }

    /// The operator `word` shapes its application so.
    fn head(&self, word: &str) -> Option<Head> {
        match word {
            "forall" | "exists" => return Some(Head::Quantifier),
            "let" => return Some(Head::Let),
            _ => {}
        }
        if let Some((_, min, max)) = OPERATORS.iter().find(|(op, ..)| *op == word) {
            return Some(Head::Args {
                min: *min,
                max: *max,
            });
        }
        match self.names.get(word) {
            Some(&arity) if arity > 0 => Some(Head::Args {
                min: arity,
                max: arity,
            }),
            _ => None,
        }
    }

    fn sort_prefix(&self, prefix: &str) -> bool {
        BUILTIN_SORTS.iter().any(|s| s.starts_with(prefix)) || set_has_prefix(&self.sorts, prefix)
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
            Some(Role::Head) => self.head_prefix(word),
            Some(Role::Term) => self.term_prefix(cur, word),
            Some(Role::Sort) => self.sort_prefix(word),
            // a taken name at full length could not end
            Some(Role::NewName { .. }) => word.len() < MAX_SYMBOL || !self.is_taken(word),
            Some(Role::NewBound | Role::Free) => true,
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
            Some(Role::Head) => match self.head(&word) {
                Some(head) => {
                    if let Some(frame) = cur.top() {
                        frame.kind = Kind::Apply(Some(head));
                    }
                    true
                }
                None => false,
            },
            Some(Role::Term) => numeral || self.is_term(cur, &word),
            Some(Role::Numeral) => numeral,
            Some(Role::Sort) => {
                BUILTIN_SORTS.contains(&word.as_str()) || self.sorts.contains(&word)
            }
            Some(Role::NewName { sort }) => {
                let fresh = !numeral && !self.is_taken(&word);
                let function = matches!(
                    cur.frames[0].kind,
                    Kind::Command(Some("declare-fun" | "define-fun"))
                );
                let space = match (sort, function) {
                    (true, _) => Space::Sort,
                    (false, true) => Space::Function,
                    (false, false) => Space::Name,
                };
                cur.pending = Some((word, space));
                fresh
            }
            Some(Role::NewBound) => {
                let fresh = !numeral && !Self::is_builtin(&word);
                cur.pending = Some((word, Space::Bound));
                fresh
            }
            Some(Role::Free) => {
                if !numeral {
                    cur.pending = Some((word, Space::Datatype));
                }
                true
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
            if cur.end > 0 || cur.commands >= MAX_COMMANDS {
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
        if cur.depth == 0 {
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
            let Some(role) = cur.start_item() else {
                return false;
            };
            let fits = match role {
                Role::Term | Role::Free => true,
                Role::Numeral => b.is_ascii_digit(),
                Role::Command | Role::Head | Role::NewName { .. } | Role::NewBound | Role::Sort => {
                    !b.is_ascii_digit()
                }
                Role::SortList | Role::Binders { .. } | Role::Binding { .. } | Role::Terms => false,
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
        match b {
            b' ' | b'\n' => self.space(cur),
            b'(' => {
                cur.spaces = 0;
                self.open(cur)
            }
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
                Space::Name => {
                    self.names.insert(name, 0);
                }
                Space::Function => {
                    self.names.insert(name.clone(), 0);
                    self.last_function = Some(name);
                }
                Space::Sort => {
                    self.sorts.insert(name);
                }
                Space::Bound => {
                    self.bound.insert(name);
                }
                Space::Datatype => {
                    self.names.insert(name.clone(), 0);
                    self.sorts.insert(name);
                }
            }
        }
        if let Some(arity) = cur.arity.take()
            && let Some(function) = self.last_function.take()
        {
            self.names.insert(function, arity);
        }
        if cur.closed_command {
            self.bound.clear();
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
                "anna", "bob", " (", "))", "set", "echo", "12", "1234567",
            ],
            smtlib_byte,
        )
    }

    fn grammar() -> SmtLibConstraint {
        SmtLibConstraint::smtlib(table().0)
    }

    fn allowed(text: &str) -> Vec<String> {
        let (t, pieces) = table();
        toy::allowed(&mut SmtLibConstraint::smtlib(t), &pieces, text)
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
    /// script:`, up to `END`) are sentences of the grammar.
    #[test]
    fn the_prompt_examples_are_accepted() {
        let mut n = 0;
        for (prompt, marker) in [
            (PromptId::LogicSmtlib, "SMT-LIB:"),
            (PromptId::LogicSmtlibRepair, "Fixed script:"),
        ] {
            let text = prompt.text();
            for part in text.split(marker).skip(1) {
                let Some(end) = part.find("END") else {
                    continue; // the placeholder at the end of the prompt
                };
                let script = &part[..end + 3];
                assert!(
                    grammar().accepts_whole(script),
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
        let a = allowed("(declare-const xInt");
        assert!(!has(&a, ")") && !has(&a, ")\n") && has(&a, " ") && has(&a, " Int"));
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
        for name in ["answer Int", "claim Bool", "option_a Bool"] {
            let declared = format!("(declare-const {name})\n");
            assert!(has(&allowed(&declared), "END"), "{name}");
            assert!(has(&allowed(&format!("{declared}(")), "c"), "{name}");
        }
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
    }

    /// A name as long as a symbol may be that is already declared could not
    /// end: its last byte is refused, so the model never reaches a dead end.
    #[test]
    fn no_dead_end_at_a_taken_full_length_name() {
        let name = "a".repeat(MAX_SYMBOL);
        let text = format!(
            "(declare-const {name} Int)\n(declare-const {}",
            &name[..MAX_SYMBOL - 1]
        );
        let a = allowed(&text);
        assert!(!has(&a, "a") && has(&a, "b") && has(&a, " "));
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
    fn datatypes_declare_their_symbols() {
        assert!(whole(
            "(declare-datatypes ((Color 0)) (((red) (green))))\n\
             (declare-const c Color)\n(assert (not (= c red)))\nEND"
        ));
    }
}
