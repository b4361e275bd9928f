//! The facts language: a tiny line-based form of logic puzzles that a small
//! model can write (one fact per line, mostly words copied from the puzzle),
//! compiled deterministically to SMT-LIB2 and answered by Z3.
//!
//! ```text
//! program  = { line } ;                 one per line; blank lines and `# …` ignored
//! line     = "items" name name { name }            the objects of an ordering, positions 1..n
//!          | "ask" ( numeric | "at" number | stmt ) a question
//!          | "option" label stmt                    one choice of a multiple-choice question
//!          | stmt ;                                 a fact
//! stmt     = "not" stmt
//!          | "either" stmt "or" stmt | "both" stmt "and" stmt | "if" stmt "then" stmt
//!          | "truthful" name | "liar" name | "says" name stmt
//!          | order2 name name | "next_to" name name | end name
//!          | numeric cmp number
//!          | ("boy" | "girl") name
//!          | ("every" | "each" | "all" | "no") word ("is" | "are") ["not"] word
//!          | name "is" ["not"] ( end | order2 name | "next_to" name | word )
//!          | name "says" stmt | name "lies" | name "tells" "the" "truth"
//!          | word "are" ["not"] word                    a rule over a kind: `cats are mammals`
//!          | word ;                                     a proposition
//! numeric  = ("sisters" | "brothers" | "siblings") person
//!          | ("position" | "from_left" | "from_first" | "from_right" | "from_last") name ;
//! person   = name | "sister" | "brother" ;              `sister`: any sister in the family
//! order2   = "left_of" | "before" | "above" | "right_of" | "after" | "below" ;
//! end      = "leftmost" | "first" | "top" | "rightmost" | "last" | "bottom" ;
//! cmp      = "=" | "!=" | "<" | ">" | "<=" | ">=" ;
//! number   = digits | "zero" … "twenty" ;
//! name     = ["the"] identifier that is not a keyword ;
//! word     = ["a" | "an" | "the"] identifier ;
//! identifier = letters, digits, `_`, `-` (case-insensitive; `blue_jay`) ;
//! ```
//!
//! Punctuation `, ( ) : ; . ? ! " '` is ignored, so `items: a, b, c` and
//! `option (A): …` read as expected. Properties `liar`/`knave` mean "not
//! truthful", `knight`/`honest`/`truth-teller` mean "truthful", `boy`/`girl`
//! are family genders; other property words are predicates, with a plural
//! folded onto its singular when both occur (`jompuses` → `jompus`).
//!
//! Questions: `ask <stmt>` is an entailment (true / false / unknown);
//! `ask <numeric>` a value with a uniqueness check (ambiguous if more than one
//! value is possible); `ask at K` the item at position K; `option` lines are
//! entailments, and [`FactsOutcome::chosen_option`] is the one entailed.
//!
//! Example (counting): `boy David` / `sisters David = 3` / `brothers sister = 1`
//! / `ask brothers David` → 0.

mod ast;
mod compile;
mod parse;
mod run;

pub use ast::{
    Cmp, End, Gender, Line, LineKind, Numeric, Order, Person, Program, Quantifier, Query, Stmt,
};
pub use compile::{Compiled, Question, QuestionKind, compile_program};
pub use parse::{KEYWORDS, MAX_NUMBER, NUMBER_WORDS, parse_program};
pub use run::{
    Answer, DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES, FactsLimits, FactsOutcome, Pick, QuestionAnswer,
    compile, solve_facts,
};
