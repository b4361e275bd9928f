//! Tokenizer and recursive-descent parser of the facts language, one line at
//! a time; every error names its line and what was expected.

use super::ast::{
    Cmp, End, Gender, Line, LineKind, Numeric, Order, Person, Program, Quantifier, Query, Stmt,
};
use crate::solver::error::FactsError;

/// Largest number accepted (counts and positions).
pub const MAX_NUMBER: i64 = 1_000_000;

/// Words that cannot be names.
pub const KEYWORDS: &[&str] = &[
    "items",
    "ask",
    "option",
    "at",
    "not",
    "either",
    "or",
    "both",
    "and",
    "if",
    "then",
    "truthful",
    "liar",
    "says",
    "lies",
    "tells",
    "is",
    "are",
    "left_of",
    "right_of",
    "before",
    "after",
    "above",
    "below",
    "next_to",
    "leftmost",
    "rightmost",
    "first",
    "last",
    "top",
    "bottom",
    "position",
    "from_left",
    "from_first",
    "from_right",
    "from_last",
    "sisters",
    "brothers",
    "siblings",
    "sister",
    "brother",
    "boy",
    "girl",
    "every",
    "each",
    "all",
    "no",
    "the",
];

const STATEMENT: &str = "a statement (such as `liar Bob`, `left_of Ann Bob`, `Max is a cat`)";
const NAME: &str = "a name";
const WORD: &str = "a word";
const NUMBER: &str = "a number";
const COMPARISON: &str = "a comparison (=, !=, <, >, <=, >=)";

/// Number words the facts language reads as numbers (`sisters Ann = three`); index = value.
pub const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Num(i64),
    Cmp(Cmp),
}

impl Tok {
    fn show(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Num(n) => n.to_string(),
            Tok::Cmp(c) => match c {
                Cmp::Eq => "=",
                Cmp::Ne => "!=",
                Cmp::Lt => "<",
                Cmp::Gt => ">",
                Cmp::Le => "<=",
                Cmp::Ge => ">=",
            }
            .to_string(),
        }
    }
}

/// Splits a line into tokens. `#` starts a comment; `, ( ) : ; . ? ! " '`
/// separate tokens and are dropped; words are lowercased.
fn tokenize(line: usize, text: &str) -> Result<Vec<Tok>, FactsError> {
    let text = text.split('#').next().unwrap_or("");
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let cmp = match (c, next) {
            ('<', Some('=')) => Some((Cmp::Le, 2)),
            ('>', Some('=')) => Some((Cmp::Ge, 2)),
            ('!', Some('=')) => Some((Cmp::Ne, 2)),
            ('=', Some('=')) => Some((Cmp::Eq, 2)),
            ('=', _) => Some((Cmp::Eq, 1)),
            ('<', _) => Some((Cmp::Lt, 1)),
            ('>', _) => Some((Cmp::Gt, 1)),
            _ => None,
        };
        if let Some((op, len)) = cmp {
            toks.push(Tok::Cmp(op));
            i += len;
        } else if c.is_whitespace() || ",():;.?!\"'".contains(c) {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            let word: String = chars[start..i]
                .iter()
                .collect::<String>()
                .to_ascii_lowercase();
            if word.bytes().all(|b| b.is_ascii_digit()) {
                match word.parse::<i64>() {
                    Ok(n) if n <= MAX_NUMBER => toks.push(Tok::Num(n)),
                    _ => {
                        return Err(FactsError::NumberTooLarge {
                            line,
                            text: word,
                            max: MAX_NUMBER,
                        });
                    }
                }
            } else {
                toks.push(Tok::Word(word));
            }
        } else {
            return Err(FactsError::Unexpected {
                line,
                expected: "a word, a number or a comparison".to_string(),
                found: c.to_string(),
            });
        }
    }
    Ok(toks)
}

/// Parses a whole program; blank lines and `#` comments are skipped.
pub fn parse_program(text: &str) -> Result<Program, FactsError> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let toks = tokenize(number, raw)?;
        if toks.is_empty() {
            continue;
        }
        let mut p = Parser {
            toks,
            pos: 0,
            line: number,
        };
        let kind = p.line_kind()?;
        p.expect_end()?;
        lines.push(Line {
            number,
            text: raw.trim().to_string(),
            kind,
        });
    }
    Ok(Program { lines })
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    line: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn peek_word_at(&self, offset: usize) -> Option<&str> {
        match self.toks.get(self.pos + offset) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.peek_word() == Some(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self, expected: &str) -> FactsError {
        match self.peek() {
            Some(t) => FactsError::Unexpected {
                line: self.line,
                expected: expected.to_string(),
                found: t.show(),
            },
            None => FactsError::MissingToken {
                line: self.line,
                expected: expected.to_string(),
            },
        }
    }

    fn expect(&mut self, word: &str) -> Result<(), FactsError> {
        if self.eat(word) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{word}`")))
        }
    }

    fn expect_end(&self) -> Result<(), FactsError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.unexpected("the end of the line")),
        }
    }

    /// A name: any word that is not a keyword, after an optional `the`.
    fn name(&mut self) -> Result<String, FactsError> {
        self.eat("the");
        match self.peek() {
            Some(Tok::Word(w)) if KEYWORDS.contains(&w.as_str()) => {
                Err(FactsError::KeywordAsName {
                    line: self.line,
                    word: w.clone(),
                })
            }
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.unexpected(NAME)),
        }
    }

    /// A property word (after an optional article); keywords are allowed
    /// where they name properties (`liar`, `boy` …) and checked in compile.
    fn word(&mut self) -> Result<String, FactsError> {
        let _ = self.eat("a") || self.eat("an") || self.eat("the");
        match self.peek() {
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.unexpected(WORD)),
        }
    }

    fn number(&mut self) -> Result<i64, FactsError> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let n = *n;
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Word(w)) if NUMBER_WORDS.contains(&w.as_str()) => {
                let n = NUMBER_WORDS.iter().position(|x| x == w).unwrap_or(0) as i64;
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.unexpected(NUMBER)),
        }
    }

    fn line_kind(&mut self) -> Result<LineKind, FactsError> {
        if self.eat("items") {
            let mut names = vec![self.name()?];
            while self.peek().is_some() {
                names.push(self.name()?);
            }
            return Ok(LineKind::Items(names));
        }
        if self.eat("ask") {
            return self.query().map(LineKind::Ask);
        }
        if self.eat("option") {
            let label = match self.peek() {
                Some(Tok::Word(w)) => w.to_ascii_uppercase(),
                Some(Tok::Num(n)) => n.to_string(),
                _ => return Err(self.unexpected("an option label such as A")),
            };
            self.pos += 1;
            let stmt = self.stmt()?;
            return Ok(LineKind::Option { label, stmt });
        }
        self.stmt().map(LineKind::Fact)
    }

    fn query(&mut self) -> Result<Query, FactsError> {
        if self.eat("at") {
            return self.number().map(Query::At);
        }
        if let Some(numeric) = self.try_numeric()? {
            return match self.peek() {
                None => Ok(Query::Value(numeric)),
                Some(Tok::Cmp(_)) => {
                    let (cmp, n) = self.comparison()?;
                    Ok(Query::Holds(Stmt::Compare(numeric, cmp, n)))
                }
                Some(_) => Err(self.unexpected("a comparison or the end of the line")),
            };
        }
        self.stmt().map(Query::Holds)
    }

    fn comparison(&mut self) -> Result<(Cmp, i64), FactsError> {
        let cmp = match self.peek() {
            Some(Tok::Cmp(c)) => *c,
            _ => return Err(self.unexpected(COMPARISON)),
        };
        self.pos += 1;
        Ok((cmp, self.number()?))
    }

    fn person(&mut self) -> Result<Person, FactsError> {
        if self.eat("sister") {
            return Ok(Person::AnySister);
        }
        if self.eat("brother") {
            return Ok(Person::AnyBrother);
        }
        self.name().map(Person::Named)
    }

    /// A numeric term if the next word starts one.
    fn try_numeric(&mut self) -> Result<Option<Numeric>, FactsError> {
        let Some(w) = self.peek_word() else {
            return Ok(None);
        };
        let n = match w {
            "sisters" | "brothers" | "siblings" => {
                let w = w.to_string();
                self.pos += 1;
                let p = self.person()?;
                match w.as_str() {
                    "sisters" => Numeric::Sisters(p),
                    "brothers" => Numeric::Brothers(p),
                    _ => Numeric::Siblings(p),
                }
            }
            "position" | "from_left" | "from_first" => {
                self.pos += 1;
                Numeric::Position(self.name()?)
            }
            "from_right" | "from_last" => {
                self.pos += 1;
                Numeric::FromEnd(self.name()?)
            }
            _ => return Ok(None),
        };
        Ok(Some(n))
    }

    fn stmt(&mut self) -> Result<Stmt, FactsError> {
        if let Some(numeric) = self.try_numeric()? {
            let (cmp, n) = self.comparison()?;
            return Ok(Stmt::Compare(numeric, cmp, n));
        }
        let Some(first) = self.peek_word().map(str::to_string) else {
            return Err(self.unexpected(STATEMENT));
        };
        let boxed = |s: Stmt| Box::new(s);
        match first.as_str() {
            "not" => {
                self.pos += 1;
                Ok(Stmt::Not(boxed(self.stmt()?)))
            }
            "either" => {
                self.pos += 1;
                let a = self.stmt()?;
                self.expect("or")?;
                Ok(Stmt::Or(boxed(a), boxed(self.stmt()?)))
            }
            "both" => {
                self.pos += 1;
                let a = self.stmt()?;
                self.expect("and")?;
                Ok(Stmt::And(boxed(a), boxed(self.stmt()?)))
            }
            "if" => {
                self.pos += 1;
                let a = self.stmt()?;
                self.expect("then")?;
                Ok(Stmt::Implies(boxed(a), boxed(self.stmt()?)))
            }
            "truthful" => {
                self.pos += 1;
                Ok(Stmt::Truthful(self.name()?))
            }
            "liar" => {
                self.pos += 1;
                Ok(Stmt::Not(boxed(Stmt::Truthful(self.name()?))))
            }
            "says" => {
                self.pos += 1;
                let who = self.name()?;
                Ok(Stmt::Says(who, boxed(self.stmt()?)))
            }
            "boy" | "girl" => {
                self.pos += 1;
                let g = if first == "boy" {
                    Gender::Boy
                } else {
                    Gender::Girl
                };
                Ok(Stmt::Gender(g, self.name()?))
            }
            "next_to" => {
                self.pos += 1;
                let a = self.name()?;
                Ok(Stmt::NextTo(a, self.name()?))
            }
            w if order_word(w).is_some() => {
                self.pos += 1;
                let a = self.name()?;
                Ok(Stmt::Order(
                    order_word(w).unwrap_or(Order::Before),
                    a,
                    self.name()?,
                ))
            }
            w if end_word(w).is_some() => {
                self.pos += 1;
                Ok(Stmt::End(end_word(w).unwrap_or(End::First), self.name()?))
            }
            "every" | "each" | "all" | "no" => {
                self.pos += 1;
                let quantifier = if first == "no" {
                    Quantifier::No
                } else {
                    Quantifier::Every
                };
                let subject = self.word()?;
                if !(self.eat("is") || self.eat("are")) {
                    return Err(self.unexpected("`is` or `are`"));
                }
                let negated = self.eat("not");
                let object = self.word()?;
                Ok(Stmt::Rule {
                    quantifier,
                    subject,
                    negated,
                    object,
                })
            }
            _ => self.subject_first(),
        }
    }

    /// Statements that start with a name or word: `X is …`, `X says …`,
    /// `X lies`, `X tells the truth`, `P are Q`, or a bare proposition.
    fn subject_first(&mut self) -> Result<Stmt, FactsError> {
        let offset = usize::from(self.peek_word() == Some("the"));
        let verb = self.peek_word_at(offset + 1).map(str::to_string);
        match verb.as_deref() {
            Some("is") => {
                let who = self.name()?;
                self.pos += 1;
                let negated = self.eat("not");
                let s = self.is_tail(who)?;
                Ok(if negated { Stmt::Not(Box::new(s)) } else { s })
            }
            Some("says") => {
                let who = self.name()?;
                self.pos += 1;
                Ok(Stmt::Says(who, Box::new(self.stmt()?)))
            }
            Some("lies") => {
                let who = self.name()?;
                self.pos += 1;
                Ok(Stmt::Not(Box::new(Stmt::Truthful(who))))
            }
            Some("tells") => {
                let who = self.name()?;
                self.pos += 1;
                self.expect("the")?;
                self.expect("truth")?;
                Ok(Stmt::Truthful(who))
            }
            Some("are") => {
                let subject = self.word()?;
                self.pos += 1;
                let negated = self.eat("not");
                let object = self.word()?;
                Ok(Stmt::Rule {
                    quantifier: Quantifier::Every,
                    subject,
                    negated,
                    object,
                })
            }
            _ => {
                let w = self.name().map_err(|e| match e {
                    FactsError::KeywordAsName { line, word } => FactsError::Unexpected {
                        line,
                        expected: STATEMENT.to_string(),
                        found: word,
                    },
                    other => other,
                })?;
                Ok(Stmt::Prop(w))
            }
        }
    }

    /// What follows `X is [not]`.
    fn is_tail(&mut self, who: String) -> Result<Stmt, FactsError> {
        let _ = self.eat("a") || self.eat("an") || self.eat("the");
        let Some(w) = self.peek_word().map(str::to_string) else {
            return Err(self.unexpected(WORD));
        };
        if let Some(order) = order_word(&w) {
            self.pos += 1;
            return Ok(Stmt::Order(order, who, self.name()?));
        }
        if let Some(end) = end_word(&w) {
            self.pos += 1;
            return Ok(Stmt::End(end, who));
        }
        if w == "next_to" {
            self.pos += 1;
            return Ok(Stmt::NextTo(who, self.name()?));
        }
        self.pos += 1;
        Ok(Stmt::Is(who, w))
    }
}

fn order_word(w: &str) -> Option<Order> {
    match w {
        "left_of" | "before" | "above" => Some(Order::Before),
        "right_of" | "after" | "below" => Some(Order::After),
        _ => None,
    }
}

fn end_word(w: &str) -> Option<End> {
    match w {
        "leftmost" | "first" | "top" => Some(End::First),
        "rightmost" | "last" | "bottom" => Some(End::Last),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> LineKind {
        parse_program(text).unwrap().lines.remove(0).kind
    }

    fn fact(text: &str) -> Stmt {
        match one(text) {
            LineKind::Fact(s) => s,
            other => panic!("not a fact: {other:?}"),
        }
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn keyword_first_and_english_order_agree() {
        assert_eq!(fact("liar Bob"), fact("Bob lies."));
        assert_eq!(fact("truthful Sherrie"), fact("Sherrie tells the truth."));
        assert_eq!(
            fact("says Vernell truthful Sherrie"),
            fact("Vernell says Sherrie tells the truth")
        );
        assert_eq!(fact("left_of Ann Bob"), fact("The Ann is left_of the Bob"));
        assert_eq!(fact("leftmost owl"), fact("owl is the leftmost"));
        assert_eq!(
            fact("every jompuses are not shy"),
            Stmt::Rule {
                quantifier: Quantifier::Every,
                subject: s("jompuses"),
                negated: true,
                object: s("shy")
            }
        );
        assert_eq!(
            fact("Jompuses are not shy."),
            fact("every jompuses is not shy")
        );
        assert_eq!(fact("Max is a yumpus"), Stmt::Is(s("max"), s("yumpus")));
        assert_eq!(
            fact("Max is not sour"),
            Stmt::Not(Box::new(Stmt::Is(s("max"), s("sour"))))
        );
    }

    #[test]
    fn counts_positions_and_questions() {
        assert_eq!(
            fact("sisters David = 3"),
            Stmt::Compare(Numeric::Sisters(Person::Named(s("david"))), Cmp::Eq, 3)
        );
        assert_eq!(
            fact("brothers sister = one"),
            Stmt::Compare(Numeric::Brothers(Person::AnySister), Cmp::Eq, 1)
        );
        assert_eq!(
            fact("from_right raven >= 2"),
            Stmt::Compare(Numeric::FromEnd(s("raven")), Cmp::Ge, 2)
        );
        assert_eq!(
            one("ask brothers David"),
            LineKind::Ask(Query::Value(Numeric::Brothers(Person::Named(s("david")))))
        );
        assert_eq!(one("ask at 2"), LineKind::Ask(Query::At(2)));
        assert_eq!(
            one("option (B): position quail = 2"),
            LineKind::Option {
                label: s("B"),
                stmt: Stmt::Compare(Numeric::Position(s("quail")), Cmp::Eq, 2)
            }
        );
        assert_eq!(
            one("items: blue_jay, quail, falcon"),
            LineKind::Items(vec![s("blue_jay"), s("quail"), s("falcon")])
        );
    }

    #[test]
    fn connectives_nest() {
        assert_eq!(
            fact("if rain then not dry"),
            Stmt::Implies(
                Box::new(Stmt::Prop(s("rain"))),
                Box::new(Stmt::Not(Box::new(Stmt::Prop(s("dry")))))
            )
        );
        assert_eq!(
            fact("either Max is a cat or both p and q"),
            Stmt::Or(
                Box::new(Stmt::Is(s("max"), s("cat"))),
                Box::new(Stmt::And(
                    Box::new(Stmt::Prop(s("p"))),
                    Box::new(Stmt::Prop(s("q")))
                ))
            )
        );
    }

    #[test]
    fn bad_lines_say_what_was_expected() {
        let err = |t: &str| parse_program(t).unwrap_err().to_string();
        assert_eq!(
            err("items a b\nleft_of Ann"),
            "line 2: expected a name, found the end of the line"
        );
        assert_eq!(
            err("sisters David 3"),
            "line 1: expected a comparison (=, !=, <, >, <=, >=), found `3`"
        );
        assert_eq!(err("if rain dry"), "line 1: expected `then`, found `dry`");
        assert_eq!(
            err("liar first"),
            "line 1: `first` is a keyword and cannot be used as a name"
        );
        assert_eq!(
            err("rain is wet today"),
            "line 1: expected the end of the line, found `today`"
        );
        assert_eq!(
            err("sisters David = 99999999"),
            "line 1: the number `99999999` is too large (at most 1000000)"
        );
        assert_eq!(
            err("x @ y"),
            "line 1: expected a word, a number or a comparison, found `@`"
        );
        assert_eq!(
            err("ask"),
            "line 1: expected a statement (such as `liar Bob`, `left_of Ann Bob`, `Max is a cat`), found the end of the line"
        );
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let p = parse_program("# a puzzle\n\nliar Bob # Bob lies\n").unwrap();
        assert_eq!(p.lines.len(), 1);
        assert_eq!(p.lines[0].number, 3);
    }
}
