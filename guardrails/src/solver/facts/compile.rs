//! Deterministic compilation of a facts program to SMT-LIB2: one script of
//! declarations and premises, plus one query per `ask` / `option` line.
//!
//! Encoding: every name is a constant of the sort `Entity` (all distinct);
//! properties are predicates `p_<word>` over `Entity`; `truthful`, `boy` and
//! `girl` are predicates; propositions are Boolean constants `b_<word>`;
//! positions are `(pos e)` in `1..n`, pairwise distinct; the one family of a
//! counting puzzle has `boys` and `girls` children, at least as many as the
//! named boys and girls; rules are `forall` over `Entity`.

use std::collections::{BTreeSet, HashMap};

use super::ast::{
    Cmp, End, Gender, LineKind, Numeric, Order, Person, Program, Quantifier, Query, Stmt,
};
use crate::solver::error::FactsError;

/// One question of the program, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Line of the `ask` / `option`.
    pub line: usize,
    /// The option label (`A`, `B` …) of an `option` line.
    pub label: Option<String>,
    pub kind: QuestionKind,
}

/// What a question needs from the solver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    /// Whether the premises entail this Boolean term.
    Holds { claim: String },
    /// The value of this Int term.
    Number { term: String },
    /// Which item is at a position: the term is the item's 1-based index in
    /// `items` (0 if none).
    Item { term: String, items: Vec<String> },
}

/// A compiled program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// Declarations and one `assert` per fact line, in SMT-LIB2.
    pub premises: String,
    pub questions: Vec<Question>,
}

/// What a property word means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Property {
    Truthful(bool),
    Gender(Gender),
}

fn special_property(word: &str) -> Option<Property> {
    Some(match word {
        "truthful" | "honest" | "knight" | "knights" | "truthteller" | "truthtellers"
        | "truth-teller" | "truth-tellers" | "truth_teller" | "truth_tellers" => {
            Property::Truthful(true)
        }
        "liar" | "liars" | "knave" | "knaves" | "dishonest" => Property::Truthful(false),
        "boy" | "boys" => Property::Gender(Gender::Boy),
        "girl" | "girls" => Property::Gender(Gender::Girl),
        _ => return None,
    })
}

/// What the program uses, gathered before emitting.
#[derive(Default)]
struct Uses {
    entities: Vec<String>,
    order_names: Vec<String>,
    family: Vec<String>,
    any_sister: bool,
    any_brother: bool,
    truth: bool,
    gender: bool,
    rules: bool,
    words: BTreeSet<String>,
    props: Vec<String>,
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

impl Uses {
    fn entity(&mut self, name: &str) {
        push_unique(&mut self.entities, name);
    }

    fn person(&mut self, p: &Person) {
        match p {
            Person::Named(n) => {
                self.entity(n);
                push_unique(&mut self.family, n);
                self.gender = true;
            }
            Person::AnySister => self.any_sister = true,
            Person::AnyBrother => self.any_brother = true,
        }
    }

    fn numeric(&mut self, n: &Numeric) {
        match n {
            Numeric::Sisters(p) | Numeric::Brothers(p) | Numeric::Siblings(p) => self.person(p),
            Numeric::Position(a) | Numeric::FromEnd(a) => {
                self.entity(a);
                push_unique(&mut self.order_names, a);
            }
        }
    }

    fn property_word(&mut self, w: &str) -> Option<Property> {
        match special_property(w) {
            Some(Property::Truthful(b)) => {
                self.truth = true;
                Some(Property::Truthful(b))
            }
            Some(p) => {
                self.gender = true;
                Some(p)
            }
            None => {
                self.words.insert(w.to_string());
                None
            }
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Not(a) => self.stmt(a),
            Stmt::Or(a, b) | Stmt::And(a, b) | Stmt::Implies(a, b) => {
                self.stmt(a);
                self.stmt(b);
            }
            Stmt::Truthful(n) => {
                self.truth = true;
                self.entity(n);
            }
            Stmt::Says(n, a) => {
                self.truth = true;
                self.entity(n);
                self.stmt(a);
            }
            Stmt::Order(_, a, b) | Stmt::NextTo(a, b) => {
                for n in [a, b] {
                    self.entity(n);
                    push_unique(&mut self.order_names, n);
                }
            }
            Stmt::End(_, a) => {
                self.entity(a);
                push_unique(&mut self.order_names, a);
            }
            Stmt::Compare(n, _, _) => self.numeric(n),
            Stmt::Gender(_, n) => {
                self.gender = true;
                self.entity(n);
                push_unique(&mut self.family, n);
            }
            Stmt::Is(n, w) => {
                self.entity(n);
                if let Some(Property::Gender(_)) = self.property_word(w) {
                    push_unique(&mut self.family, n);
                }
            }
            Stmt::Rule {
                subject, object, ..
            } => {
                self.rules = true;
                self.property_word(subject);
                self.property_word(object);
            }
            Stmt::Prop(p) => push_unique(&mut self.props, p),
        }
    }
}

/// Maps plural property words to a singular form used elsewhere in the
/// program (`jompuses` → `jompus` when `jompus` also occurs), so that
/// "Jompuses are shy" and "Max is a jompus" talk about the same property.
fn fold_plurals(words: &BTreeSet<String>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for w in words {
        let candidates = [
            w.strip_suffix('s').map(str::to_string),
            w.strip_suffix("es").map(str::to_string),
            w.strip_suffix("ies").map(|s| format!("{s}y")),
        ];
        let target = candidates
            .into_iter()
            .flatten()
            .find(|c| !c.is_empty() && words.contains(c));
        map.insert(w.clone(), target.unwrap_or_else(|| w.clone()));
    }
    map
}

struct Emitter {
    items: Vec<String>,
    words: HashMap<String, String>,
}

fn entity(n: &str) -> String {
    format!("e_{n}")
}

impl Emitter {
    fn property(&self, word: &str, x: &str) -> String {
        match special_property(word) {
            Some(Property::Truthful(true)) => format!("(truthful {x})"),
            Some(Property::Truthful(false)) => format!("(not (truthful {x}))"),
            Some(Property::Gender(Gender::Boy)) => format!("(boy {x})"),
            Some(Property::Gender(Gender::Girl)) => format!("(girl {x})"),
            None => {
                let w = self.words.get(word).map_or(word, String::as_str);
                format!("(p_{w} {x})")
            }
        }
    }

    fn numeric(&self, n: &Numeric) -> String {
        let count = self.items.len();
        match n {
            Numeric::Sisters(Person::Named(p)) => {
                format!("(- girls (ite (girl {}) 1 0))", entity(p))
            }
            Numeric::Sisters(Person::AnySister) => "(- girls 1)".to_string(),
            Numeric::Sisters(Person::AnyBrother) => "girls".to_string(),
            Numeric::Brothers(Person::Named(p)) => {
                format!("(- boys (ite (boy {}) 1 0))", entity(p))
            }
            Numeric::Brothers(Person::AnySister) => "boys".to_string(),
            Numeric::Brothers(Person::AnyBrother) => "(- boys 1)".to_string(),
            Numeric::Siblings(_) => "(- (+ boys girls) 1)".to_string(),
            Numeric::Position(a) => format!("(pos {})", entity(a)),
            Numeric::FromEnd(a) => format!("(- {} (pos {}))", count + 1, entity(a)),
        }
    }

    fn stmt(&self, s: &Stmt) -> String {
        match s {
            Stmt::Not(a) => format!("(not {})", self.stmt(a)),
            Stmt::Or(a, b) => format!("(or {} {})", self.stmt(a), self.stmt(b)),
            Stmt::And(a, b) => format!("(and {} {})", self.stmt(a), self.stmt(b)),
            Stmt::Implies(a, b) => format!("(=> {} {})", self.stmt(a), self.stmt(b)),
            Stmt::Truthful(n) => format!("(truthful {})", entity(n)),
            Stmt::Says(n, a) => format!("(= (truthful {}) {})", entity(n), self.stmt(a)),
            Stmt::Order(o, a, b) => {
                let op = match o {
                    Order::Before => "<",
                    Order::After => ">",
                };
                format!("({op} (pos {}) (pos {}))", entity(a), entity(b))
            }
            Stmt::NextTo(a, b) => {
                let (a, b) = (entity(a), entity(b));
                format!("(or (= (- (pos {a}) (pos {b})) 1) (= (- (pos {b}) (pos {a})) 1))")
            }
            Stmt::End(End::First, a) => format!("(= (pos {}) 1)", entity(a)),
            Stmt::End(End::Last, a) => format!("(= (pos {}) {})", entity(a), self.items.len()),
            Stmt::Compare(n, Cmp::Ne, k) => format!("(not (= {} {k}))", self.numeric(n)),
            Stmt::Compare(n, cmp, k) => format!("({} {} {k})", cmp.smt(), self.numeric(n)),
            Stmt::Gender(Gender::Boy, n) => format!("(boy {})", entity(n)),
            Stmt::Gender(Gender::Girl, n) => format!("(girl {})", entity(n)),
            Stmt::Is(n, w) => self.property(w, &entity(n)),
            Stmt::Rule {
                quantifier,
                subject,
                negated,
                object,
            } => {
                let object = self.property(object, "x");
                let negate = *negated != (*quantifier == Quantifier::No);
                let object = if negate {
                    format!("(not {object})")
                } else {
                    object
                };
                format!(
                    "(forall ((x Entity)) (=> {} {object}))",
                    self.property(subject, "x")
                )
            }
            Stmt::Prop(p) => format!("b_{p}"),
        }
    }
}

/// Checks positions named in a statement against the item count.
fn check_positions(s: &Stmt, line: usize, count: usize) -> Result<(), FactsError> {
    match s {
        Stmt::Not(a) | Stmt::Says(_, a) => check_positions(a, line, count),
        Stmt::Or(a, b) | Stmt::And(a, b) | Stmt::Implies(a, b) => {
            check_positions(a, line, count)?;
            check_positions(b, line, count)
        }
        Stmt::Compare(Numeric::Position(_) | Numeric::FromEnd(_), Cmp::Eq, k)
            if *k < 1 || *k > count as i64 =>
        {
            Err(FactsError::PositionOutOfRange {
                line,
                position: *k,
                count,
            })
        }
        _ => Ok(()),
    }
}

/// Names of ordering statements within a statement, for the `items` check.
fn order_names(s: &Stmt, out: &mut Vec<String>) {
    match s {
        Stmt::Not(a) | Stmt::Says(_, a) => order_names(a, out),
        Stmt::Or(a, b) | Stmt::And(a, b) | Stmt::Implies(a, b) => {
            order_names(a, out);
            order_names(b, out);
        }
        Stmt::Order(_, a, b) | Stmt::NextTo(a, b) => {
            out.push(a.clone());
            out.push(b.clone());
        }
        Stmt::End(_, a) | Stmt::Compare(Numeric::Position(a) | Numeric::FromEnd(a), _, _) => {
            out.push(a.clone())
        }
        _ => {}
    }
}

/// Compiles a parsed program. Fails on names outside the `items` line and
/// positions outside `1..n`; a program without questions fails too.
pub fn compile_program(program: &Program) -> Result<Compiled, FactsError> {
    let mut uses = Uses::default();
    let mut items_line: Option<(usize, Vec<String>)> = None;
    for line in &program.lines {
        match &line.kind {
            LineKind::Items(names) => {
                if let Some((first, _)) = &items_line {
                    return Err(FactsError::SecondItems {
                        line: line.number,
                        first: *first,
                    });
                }
                let mut seen = Vec::new();
                for n in names {
                    if seen.contains(n) {
                        return Err(FactsError::DuplicateItem {
                            line: line.number,
                            name: n.clone(),
                        });
                    }
                    seen.push(n.clone());
                    uses.entity(n);
                }
                items_line = Some((line.number, names.clone()));
            }
            LineKind::Fact(s) | LineKind::Option { stmt: s, .. } => uses.stmt(s),
            LineKind::Ask(Query::Holds(s)) => uses.stmt(s),
            LineKind::Ask(Query::Value(n)) => uses.numeric(n),
            LineKind::Ask(Query::At(_)) => {}
        }
    }
    let items = match &items_line {
        Some((_, names)) => names.clone(),
        None => uses.order_names.clone(),
    };
    let mut labels: Vec<String> = Vec::new();
    for line in &program.lines {
        let stmt = match &line.kind {
            LineKind::Fact(s) | LineKind::Ask(Query::Holds(s)) => Some(s),
            LineKind::Option { label, stmt } => {
                if labels.contains(label) {
                    return Err(FactsError::DuplicateOption {
                        line: line.number,
                        label: label.clone(),
                    });
                }
                labels.push(label.clone());
                Some(stmt)
            }
            LineKind::Ask(Query::At(k)) if *k < 1 || *k > items.len() as i64 => {
                return Err(FactsError::PositionOutOfRange {
                    line: line.number,
                    position: *k,
                    count: items.len(),
                });
            }
            _ => None,
        };
        let mut names = Vec::new();
        if let Some(s) = stmt {
            check_positions(s, line.number, items.len())?;
            order_names(s, &mut names);
        }
        if let LineKind::Ask(Query::Value(Numeric::Position(a) | Numeric::FromEnd(a))) = &line.kind
        {
            names.push(a.clone());
        }
        if items_line.is_some()
            && let Some(bad) = names.iter().find(|n| !items.contains(n))
        {
            return Err(FactsError::UnknownItem {
                line: line.number,
                name: bad.clone(),
                items: items.join(", "),
            });
        }
    }

    let emitter = Emitter {
        items: items.clone(),
        words: fold_plurals(&uses.words),
    };
    let mut out = String::new();
    let mut decl = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    if !uses.entities.is_empty() || uses.rules {
        decl("(declare-sort Entity 0)".to_string());
    }
    for e in &uses.entities {
        decl(format!("(declare-const {} Entity)", entity(e)));
    }
    if uses.entities.len() >= 2 {
        let all: Vec<String> = uses.entities.iter().map(|e| entity(e)).collect();
        decl(format!("(assert (distinct {}))", all.join(" ")));
    }
    if uses.truth {
        decl("(declare-fun truthful (Entity) Bool)".to_string());
    }
    if uses.gender || !uses.family.is_empty() || uses.any_sister || uses.any_brother {
        decl("(declare-fun boy (Entity) Bool)".to_string());
        decl("(declare-fun girl (Entity) Bool)".to_string());
    }
    let preds: BTreeSet<&String> = emitter.words.values().collect();
    for p in preds {
        decl(format!("(declare-fun p_{p} (Entity) Bool)"));
    }
    for p in &uses.props {
        decl(format!("(declare-const b_{p} Bool)"));
    }
    if !items.is_empty() {
        decl("(declare-fun pos (Entity) Int)".to_string());
        for i in &items {
            decl(format!(
                "(assert (and (<= 1 (pos {e})) (<= (pos {e}) {n})))",
                e = entity(i),
                n = items.len()
            ));
        }
        if items.len() >= 2 {
            let all: Vec<String> = items
                .iter()
                .map(|i| format!("(pos {})", entity(i)))
                .collect();
            decl(format!("(assert (distinct {}))", all.join(" ")));
        }
    }
    let family_counts = !uses.family.is_empty() || uses.any_sister || uses.any_brother;
    if family_counts {
        decl("(declare-const boys Int)".to_string());
        decl("(declare-const girls Int)".to_string());
        decl("(assert (>= boys 0))".to_string());
        decl("(assert (>= girls 0))".to_string());
        for m in &uses.family {
            decl(format!(
                "(assert (= (boy {e}) (not (girl {e}))))",
                e = entity(m)
            ));
        }
        if !uses.family.is_empty() {
            let count = |g: &str| {
                let terms: Vec<String> = uses
                    .family
                    .iter()
                    .map(|m| format!("(ite ({g} {}) 1 0)", entity(m)))
                    .collect();
                format!("(+ 0 {})", terms.join(" "))
            };
            decl(format!("(assert (>= girls {}))", count("girl")));
            decl(format!("(assert (>= boys {}))", count("boy")));
        }
        if uses.any_sister {
            decl("(assert (>= girls 1))".to_string());
        }
        if uses.any_brother {
            decl("(assert (>= boys 1))".to_string());
        }
    }
    let mut questions = Vec::new();
    for line in &program.lines {
        match &line.kind {
            LineKind::Items(_) => {}
            LineKind::Fact(s) => {
                decl(format!("; line {}: {}", line.number, line.text));
                decl(format!("(assert {})", emitter.stmt(s)));
            }
            LineKind::Ask(q) => questions.push(Question {
                line: line.number,
                label: None,
                kind: match q {
                    Query::Holds(s) => QuestionKind::Holds {
                        claim: emitter.stmt(s),
                    },
                    Query::Value(n) => QuestionKind::Number {
                        term: emitter.numeric(n),
                    },
                    Query::At(k) => {
                        let mut term = "0".to_string();
                        for (i, item) in items.iter().enumerate().rev() {
                            term = format!("(ite (= (pos {}) {k}) {} {term})", entity(item), i + 1);
                        }
                        QuestionKind::Item {
                            term,
                            items: items.clone(),
                        }
                    }
                },
            }),
            LineKind::Option { label, stmt } => questions.push(Question {
                line: line.number,
                label: Some(label.clone()),
                kind: QuestionKind::Holds {
                    claim: emitter.stmt(stmt),
                },
            }),
        }
    }
    if questions.is_empty() {
        return Err(FactsError::NoQuestion);
    }
    Ok(Compiled {
        premises: out,
        questions,
    })
}
