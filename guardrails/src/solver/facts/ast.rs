//! The parsed form of a facts program. Names and words are lowercase.

/// A whole program: its lines in order (blank and comment lines dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub lines: Vec<Line>,
}

/// One non-blank line with its 1-based number and source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub text: String,
    pub kind: LineKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// `items a b c`: the objects of an ordering puzzle, positions 1..n.
    Items(Vec<String>),
    /// A statement asserted true.
    Fact(Stmt),
    /// `ask …`: a question.
    Ask(Query),
    /// `option A <stmt>`: one answer of a multiple-choice question.
    Option { label: String, stmt: Stmt },
}

/// What an `ask` line asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Is the statement true, false or unknown given the facts?
    Holds(Stmt),
    /// The value of a count or position.
    Value(Numeric),
    /// Which item is at this position (from the left / first).
    At(i64),
}

/// Which end of an ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Position 1: leftmost, first, top.
    First,
    /// Position n: rightmost, last, bottom.
    Last,
}

/// A relation between two positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Smaller position: left_of, before, above.
    Before,
    /// Larger position: right_of, after, below.
    After,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Cmp {
    pub fn smt(self) -> &'static str {
        match self {
            Cmp::Eq | Cmp::Ne => "=",
            Cmp::Lt => "<",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Ge => ">=",
        }
    }
}

/// A member of the one family of a counting puzzle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Named(String),
    /// `sister`: any sister in the family (there is at least one).
    AnySister,
    /// `brother`: any brother in the family (there is at least one).
    AnyBrother,
}

/// A number-valued term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Numeric {
    Sisters(Person),
    Brothers(Person),
    Siblings(Person),
    /// Position from the left / first (1-based).
    Position(String),
    /// Position from the right / last (1-based).
    FromEnd(String),
}

/// Boy or girl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Boy,
    Girl,
}

/// `every`/`each`/`all` or `no`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Every,
    No,
}

/// A Boolean statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Not(Box<Stmt>),
    /// `either A or B` (inclusive).
    Or(Box<Stmt>, Box<Stmt>),
    /// `both A and B`.
    And(Box<Stmt>, Box<Stmt>),
    /// `if A then B`.
    Implies(Box<Stmt>, Box<Stmt>),
    /// The person tells the truth.
    Truthful(String),
    /// What the person says is true exactly when the person is truthful.
    Says(String, Box<Stmt>),
    Order(Order, String, String),
    NextTo(String, String),
    End(End, String),
    Compare(Numeric, Cmp, i64),
    Gender(Gender, String),
    /// `X is a P`: the individual has the property (word as written).
    Is(String, String),
    /// `every P is [not] Q` / `no P is Q` (words as written).
    Rule {
        quantifier: Quantifier,
        subject: String,
        negated: bool,
        object: String,
    },
    /// A proposition: one word.
    Prop(String),
}
