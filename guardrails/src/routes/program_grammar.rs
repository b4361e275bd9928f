//! The calculator program's grammar as a logits hook: the model may only
//! write what the sandbox can run and what the question supports.
//!
//! A program is one to [`MAX_LINES`] lines `name = expression`, ended by a
//! blank line. An expression is built from `+ - * /`, parentheses, unary
//! minus, names defined on earlier lines, and numbers that occur in the
//! question (digits, `1,200`, `2.5`, number words such as "half" or "dozen")
//! or are among a few implied constants ([`IMPLIED_CONSTANTS`]: minutes per
//! hour, percent, …). The model still chooses the structure; it can no longer
//! invent a quantity, reference a name it never defined, or drift into prose,
//! which is how a 270M model's programs usually fail.
//!
//! The grammar runs character by character, so a token may span several
//! grammar symbols (`" * "`, `"_2"`); a token is allowed when every one of its
//! characters is accepted from the current state.

use std::sync::Arc;

use super::grammar::{ByteGrammar, GrammarConstraint, TokenTable};
use crate::bank::{normalise, numbers_in};

/// Numbers a program may use even when the question does not write them.
pub const IMPLIED_CONSTANTS: &[&str] = &[
    "1", "2", "3", "4", "7", "10", "12", "24", "52", "60", "100", "1000",
];
/// Most lines in a program.
pub const MAX_LINES: usize = 10;
const MAX_NAME: usize = 24;
const MAX_DEPTH: usize = 4;

/// Number words and the value they stand for in a word problem.
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("fifteen", "15"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("hundred", "100"),
    ("thousand", "1000"),
    ("half", "2"),
    ("twice", "2"),
    ("double", "2"),
    ("triple", "3"),
    ("quarter", "4"),
    ("third", "3"),
    ("dozen", "12"),
    ("week", "7"),
    ("weeks", "7"),
    ("month", "30"),
    ("year", "12"),
    ("hour", "60"),
    ("hours", "60"),
];

/// The bytes a program is made of.
pub(crate) fn program_byte(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b' ' | b'\n' | b'=' | b'+' | b'-' | b'*' | b'/' | b'(' | b')' | b'.')
}

/// The numbers a program for `question` may use: those written in it (with
/// thousands separators dropped; `20.00` also as `20`), those its number words
/// stand for, and the implied constants. Sorted, without duplicates.
pub fn allowed_numbers(question: &str) -> Vec<String> {
    let mut out: Vec<String> = IMPLIED_CONSTANTS.iter().map(|s| (*s).to_owned()).collect();
    for number in numbers_in(question) {
        out.push(normalise(&number));
        out.push(number);
    }
    for word in question
        .split(|c: char| !c.is_ascii_alphabetic())
        .map(str::to_ascii_lowercase)
    {
        if let Some((_, n)) = NUMBER_WORDS.iter().find(|(w, _)| *w == word) {
            out.push((*n).to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Does `program` follow the grammar for `question`? (Worked examples shown
/// to the model are held to the grammar it will be held to.)
pub fn program_fits(program: &str, question: &str) -> bool {
    let text = format!("{}\n\n", program.trim_end());
    ProgramConstraint::program(Arc::new(TokenTable::default()), allowed_numbers(question))
        .accepts_whole(&text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before a line: a name starts it, or a blank line ends the program.
    LineStart,
    /// The name being assigned.
    Lhs,
    /// After the name and a space: `=` must follow.
    LhsSpace,
    /// An operand must follow (after `=`, an operator, `(` or unary `-`).
    Operand,
    Number,
    Name,
    /// After an operand: an operator, `)` or the end of the line.
    AfterOperand,
    /// The program is complete.
    End,
}

/// The grammar's position; cheap to copy for trying a token.
#[derive(Debug, Clone)]
pub struct Cursor {
    mode: Mode,
    /// The number or name being written.
    word: String,
    /// The name this line assigns.
    lhs: String,
    depth: usize,
    lines: usize,
    prev_space: bool,
    unary: bool,
    /// The name of a line that just ended, until the grammar records it.
    committed: Option<String>,
    /// Single-use numbers already used.
    used: Arc<Vec<String>>,
}

/// The program grammar for one question; see the module docs.
pub struct ProgramGrammar {
    numbers: Vec<String>,
    /// Names assigned by the lines written so far.
    defined: Vec<String>,
    /// Numbers a program may use once only (see [`GrammarConstraint::with_single_use`]).
    single_use: Vec<String>,
}

/// The program grammar as the engine's logits hook.
pub type ProgramConstraint = GrammarConstraint<ProgramGrammar>;

impl GrammarConstraint<ProgramGrammar> {
    /// The grammar for a question whose numbers are `numbers` (see [`allowed_numbers`]).
    pub fn program(table: Arc<TokenTable>, numbers: Vec<String>) -> Self {
        let start = Cursor {
            mode: Mode::LineStart,
            word: String::new(),
            lhs: String::new(),
            depth: 0,
            lines: 0,
            prev_space: false,
            unary: false,
            committed: None,
            used: Arc::default(),
        };
        GrammarConstraint::new(
            ProgramGrammar {
                numbers,
                defined: Vec::new(),
                single_use: Vec::new(),
            },
            table,
            start,
        )
    }
}

impl ByteGrammar for ProgramGrammar {
    type Cursor = Cursor;

    /// Advance `cur` over byte `c`; false when the grammar refuses it.
    fn step(&self, cur: &mut Cursor, c: u8) -> bool {
        let space = c == b' ';
        let ok = match cur.mode {
            Mode::LineStart => match c {
                b'a'..=b'z' | b'_' if cur.lines < MAX_LINES => {
                    cur.word.clear();
                    cur.word.push(c as char);
                    cur.mode = Mode::Lhs;
                    true
                }
                b'\n' if cur.lines > 0 => {
                    cur.mode = Mode::End;
                    true
                }
                _ => false,
            },
            Mode::Lhs => match c {
                b'a'..=b'z' | b'0'..=b'9' | b'_' if cur.word.len() < MAX_NAME => {
                    cur.word.push(c as char);
                    true
                }
                b' ' => {
                    cur.mode = Mode::LhsSpace;
                    true
                }
                b'=' => self.assign(cur),
                _ => false,
            },
            Mode::LhsSpace => c == b'=' && self.assign(cur),
            Mode::Operand => match c {
                b' ' => !cur.prev_space,
                b'0'..=b'9' => {
                    cur.word.clear();
                    cur.word.push(c as char);
                    cur.mode = Mode::Number;
                    self.number_prefix(cur)
                }
                b'a'..=b'z' | b'_' => {
                    cur.word.clear();
                    cur.word.push(c as char);
                    cur.mode = Mode::Name;
                    self.is_name_prefix(cur)
                }
                b'(' if cur.depth < MAX_DEPTH => {
                    cur.depth += 1;
                    cur.unary = false;
                    true
                }
                b'-' if !cur.unary => {
                    cur.unary = true;
                    true
                }
                _ => false,
            },
            Mode::Number | Mode::Name => {
                let continues = if cur.mode == Mode::Number {
                    c.is_ascii_digit() || c == b'.'
                } else {
                    c.is_ascii_alphanumeric() || c == b'_'
                };
                cur.word.push(c as char);
                let extends = continues
                    && if cur.mode == Mode::Number {
                        self.number_prefix(cur)
                    } else {
                        self.is_name_prefix(cur)
                    };
                if extends {
                    true
                } else {
                    cur.word.pop();
                    let complete = if cur.mode == Mode::Number {
                        self.numbers.contains(&cur.word) && self.available(cur, &cur.word)
                    } else {
                        self.defined.contains(&cur.word)
                    };
                    if !complete {
                        return false;
                    }
                    if cur.mode == Mode::Number && self.single_use.contains(&cur.word) {
                        Arc::make_mut(&mut cur.used).push(cur.word.clone());
                    }
                    cur.mode = Mode::AfterOperand;
                    return self.step(cur, c);
                }
            }
            Mode::AfterOperand => match c {
                b' ' => !cur.prev_space,
                b'+' | b'-' | b'*' | b'/' => {
                    cur.mode = Mode::Operand;
                    cur.unary = false;
                    true
                }
                b')' if cur.depth > 0 => {
                    cur.depth -= 1;
                    true
                }
                b'\n' if cur.depth == 0 => {
                    cur.lines += 1;
                    cur.mode = Mode::LineStart;
                    cur.committed = Some(std::mem::take(&mut cur.lhs));
                    true
                }
                _ => false,
            },
            Mode::End => false,
        };
        cur.prev_space = space;
        ok
    }

    fn advanced(&mut self, cur: &mut Cursor) {
        if let Some(name) = cur.committed.take()
            && !self.defined.contains(&name)
        {
            self.defined.push(name);
        }
    }

    fn complete(&self, cur: &Cursor) -> bool {
        cur.mode == Mode::End || (cur.mode == Mode::LineStart && cur.lines >= MAX_LINES)
    }
}

impl GrammarConstraint<ProgramGrammar> {
    /// Each of `numbers` (the numbers the question writes) may be used once:
    /// a word problem's quantities usually enter its solution once each, and
    /// a small model's wrong programs reuse one and leave another out.
    pub fn with_single_use(mut self, numbers: Vec<String>) -> Self {
        self.grammar_mut().single_use = numbers;
        self
    }
}

impl ProgramGrammar {
    /// Could `cur.word` still grow into a number that may be used?
    fn number_prefix(&self, cur: &Cursor) -> bool {
        self.numbers
            .iter()
            .any(|n| n.starts_with(&cur.word) && self.available(cur, n))
    }

    fn available(&self, cur: &Cursor, number: &str) -> bool {
        !self.single_use.iter().any(|s| s == number) || !cur.used.iter().any(|u| u == number)
    }

    fn assign(&self, cur: &mut Cursor) -> bool {
        cur.lhs = std::mem::take(&mut cur.word);
        cur.mode = Mode::Operand;
        cur.unary = false;
        true
    }

    fn is_name_prefix(&self, cur: &Cursor) -> bool {
        self.defined.iter().any(|d| d.starts_with(&cur.word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::grammar::toy;

    /// A toy vocabulary: single bytes plus a few multi-byte pieces.
    fn vocab() -> (Arc<TokenTable>, Vec<String>) {
        toy::table(
            &[
                "\n", "\n\n", " = ", " * ", " + ", "step", "_2", "books", "cost", "Question", "$",
                "50", "oops",
            ],
            program_byte,
        )
    }

    #[test]
    fn numbers_come_from_the_question_its_number_words_and_the_constants() {
        let n = allowed_numbers("Tom buys 1,200 pens at $2.50 for half a dozen friends, 15% off.");
        for want in ["1200", "2.50", "2.5", "15", "12", "2", "100", "60"] {
            assert!(n.contains(&want.to_owned()), "{want} missing from {n:?}");
        }
        assert!(!n.contains(&"1,200".to_owned()));
        assert!(!n.contains(&"45".to_owned()));
    }

    #[test]
    fn a_program_may_only_use_question_numbers_and_defined_names() {
        let (v, pieces) = vocab();
        let numbers = allowed_numbers("5 books at $20 and 3 at $30");
        let mut c = ProgramConstraint::program(v, numbers);
        let start = toy::allowed(&mut c, &pieces, "");
        assert!(start.contains(&"step".to_owned()) && start.contains(&"b".to_owned()));
        assert!(!start.contains(&"Question".to_owned()) && !start.contains(&"\n".to_owned()));
        assert!(!start.contains(&"$".to_owned()) && !start.contains(&"5".to_owned()));

        // After `=`: the question's numbers, not invented ones; no undefined names.
        let operand = toy::allowed(&mut c, &pieces, "books = ");
        assert!(operand.contains(&"5".to_owned()) && operand.contains(&"3".to_owned()));
        assert!(!operand.contains(&"9".to_owned()) && !operand.contains(&"50".to_owned()));
        assert!(!operand.contains(&"s".to_owned()) && !operand.contains(&"books".to_owned()));
        // `2` may start 20 (and is an implied constant); `20` then ends or goes on
        let after_two = toy::allowed(&mut c, &pieces, "books = 5 * 2");
        assert!(after_two.contains(&"0".to_owned()) && after_two.contains(&"\n".to_owned()));
        assert!(!after_two.contains(&"5".to_owned()));

        // A finished line defines its name for the lines after it.
        let next = toy::allowed(&mut c, &pieces, "books = 5 * 20\ncost = ");
        assert!(next.contains(&"books".to_owned()) && next.contains(&"b".to_owned()));
        assert!(
            !next.contains(&"cost".to_owned()),
            "a line cannot use its own name"
        );
        // A blank line ends the program.
        let end = toy::allowed(&mut c, &pieces, "books = 5 * 20\ncost = books + 3 * 30\n");
        assert!(end.contains(&"\n".to_owned()) && end.contains(&"step".to_owned()));
        assert_eq!(
            toy::allowed(&mut c, &pieces, "books = 5 * 20\ncost = books + 3 * 30\n\n"),
            ["<done>"]
        );
    }

    #[test]
    fn examples_are_held_to_the_grammar() {
        let q = "Tom has 5 apples and buys 3 bags of 6.";
        assert!(program_fits("bags = 3 * 6\ntotal = 5 + bags", q));
        assert!(
            !program_fits("bags = 3 * 7 * 9\ntotal = 5 + bags", q),
            "9 is not in the question"
        );
        assert!(!program_fits("total = 5 + bags", q), "bags is undefined");
        assert!(!program_fits("total = 5 * .30", q));
        assert!(!program_fits("", q));
    }

    #[test]
    fn single_use_numbers_are_used_once() {
        let (v, pieces) = vocab();
        let single = || {
            ProgramConstraint::program(v.clone(), allowed_numbers("5 books at $20"))
                .with_single_use(vec!["5".to_owned(), "20".to_owned()])
        };
        // 5 is used up: after "5" only 52 (an implied constant) can follow.
        let five = toy::allowed(&mut single(), &pieces, "a = 5 * 20\nb = a + 5");
        assert!(
            !five.contains(&"\n".to_owned()) && five.contains(&"2".to_owned()),
            "{five:?}"
        );
        // 20 is used up, 2 (an implied constant) is not.
        let two = toy::allowed(&mut single(), &pieces, "a = 5 * 20\nb = a + 2");
        assert!(
            !two.contains(&"0".to_owned()) && two.contains(&"\n".to_owned()),
            "{two:?}"
        );
    }

    #[test]
    fn parentheses_balance_before_the_line_ends() {
        let (v, pieces) = vocab();
        let mut c = ProgramConstraint::program(v, allowed_numbers("5 and 3"));
        let open = toy::allowed(&mut c, &pieces, "x = (5 + 3");
        assert!(open.contains(&")".to_owned()) && !open.contains(&"\n".to_owned()));
        let closed = toy::allowed(&mut c, &pieces, "x = (5 + 3)");
        assert!(closed.contains(&"\n".to_owned()) && !closed.contains(&")".to_owned()));
    }

    #[test]
    fn text_outside_the_grammar_stops_the_generation() {
        let (v, pieces) = vocab();
        let mut c = ProgramConstraint::program(v, allowed_numbers("5"));
        assert_eq!(toy::allowed(&mut c, &pieces, "x = oops"), ["<done>"]);
    }

    #[test]
    fn the_line_limit_ends_the_program() {
        let (v, pieces) = vocab();
        let mut c = ProgramConstraint::program(v, allowed_numbers("5"));
        let program: String = (0..MAX_LINES).map(|i| format!("a{i} = 5\n")).collect();
        assert_eq!(toy::allowed(&mut c, &pieces, &program), ["<done>"]);
    }
}
