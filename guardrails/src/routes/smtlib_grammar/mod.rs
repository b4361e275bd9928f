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

mod shape;
#[cfg(test)]
mod tests;
mod vocab;

use shape::*;
pub(crate) use vocab::smtlib_byte;
use vocab::*;
pub use vocab::{
    COMMANDS, MAX_ARGS, MAX_COMMANDS, MAX_DEPTH, OPERATORS, Ty, Want, allowed_names, whole_commands,
};

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
