//! A recursive-descent parser with Python's precedence, one statement at a
//! time. Every recursion passes through `unary`, which counts the nesting
//! depth and refuses to go deeper than the limit.

use std::collections::VecDeque;

use crate::ast::{Expr, FUNCTION_LIST, Func, Stmt};
use crate::error::{ErrorKind, GuestError, Pos, quote_snippet};
use crate::lexer::{BinOp, Lexer, Tok, Token};
use crate::number::{Bounds, Number};

const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn syntax(msg: impl Into<String>, pos: Pos) -> GuestError {
    GuestError::new(ErrorKind::Syntax, msg, pos)
}

fn keyword_error(name: &str, pos: Pos) -> GuestError {
    syntax(
        format!(
            "'{name}' is not supported: a program is arithmetic, names, and the functions {FUNCTION_LIST}"
        ),
        pos,
    )
}

pub struct Parser<'a> {
    lexer: Lexer<'a>,
    ahead: VecDeque<Token>,
    depth: u32,
    max_depth: u32,
    bounds: Bounds,
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str, bounds: Bounds, max_depth: u32) -> Parser<'a> {
        Parser {
            lexer: Lexer::new(src),
            ahead: VecDeque::new(),
            depth: 0,
            max_depth,
            bounds,
        }
    }

    fn fill(&mut self, n: usize) -> Result<(), GuestError> {
        while self.ahead.len() < n {
            let t = self.lexer.next_token()?;
            self.ahead.push_back(t);
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<&Token, GuestError> {
        self.fill(1)?;
        Ok(&self.ahead[0])
    }

    fn peek2(&mut self) -> Result<&Token, GuestError> {
        self.fill(2)?;
        Ok(&self.ahead[1])
    }

    fn next(&mut self) -> Result<Token, GuestError> {
        self.fill(1)?;
        Ok(self.ahead.pop_front().expect("filled"))
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<Token, GuestError> {
        let t = self.next()?;
        if t.tok == want {
            Ok(t)
        } else {
            Err(syntax(format!("expected {what}"), t.pos))
        }
    }

    /// The next statement, or `None` at the end of the program.
    pub fn statement(&mut self) -> Result<Option<Stmt>, GuestError> {
        while self.peek()?.tok == Tok::Newline {
            self.next()?;
        }
        let first = self.peek()?.clone();
        let stmt = match &first.tok {
            Tok::Eof => return Ok(None),
            Tok::Name(name) if name == "import" || name == "from" => self.import()?,
            Tok::Name(name) if KEYWORDS.contains(&name.as_str()) => {
                return Err(keyword_error(name, first.pos));
            }
            Tok::Name(name) if name == "print" && self.peek2()?.tok == Tok::LParen => {
                self.next()?;
                self.next()?;
                let args = self.args()?;
                let [arg]: [Expr; 1] = args.try_into().map_err(|args: Vec<Expr>| {
                    GuestError::new(
                        ErrorKind::Type,
                        format!(
                            "print() takes exactly one value here ({} given)",
                            args.len()
                        ),
                        first.pos,
                    )
                })?;
                Stmt::Expr(arg)
            }
            Tok::Name(name) => match self.peek2()?.tok.clone() {
                Tok::Assign | Tok::AugAssign(_) => {
                    let name = name.clone();
                    self.next()?;
                    let op = match self.next()?.tok {
                        Tok::AugAssign(op) => Some(op),
                        _ => None,
                    };
                    let expr = self.expr()?;
                    Stmt::Assign {
                        name,
                        op,
                        expr,
                        pos: first.pos,
                    }
                }
                _ => Stmt::Expr(self.expr()?),
            },
            _ => Stmt::Expr(self.expr()?),
        };
        let end = self.next()?;
        match end.tok {
            Tok::Newline | Tok::Eof => {
                if end.tok == Tok::Eof {
                    self.ahead.push_front(end);
                }
                Ok(Some(stmt))
            }
            Tok::Comma => Err(syntax(
                "unexpected ','; write numbers without thousands separators (1000 or 1_000), one statement per line",
                end.pos,
            )),
            Tok::Assign => Err(syntax(
                "cannot assign to an expression; write name = value",
                end.pos,
            )),
            Tok::Name(ref n) if KEYWORDS.contains(&n.as_str()) => Err(keyword_error(n, end.pos)),
            other => Err(syntax(
                format!(
                    "expected an operator or the end of the line, found {}",
                    other.describe()
                ),
                end.pos,
            )),
        }
    }

    /// `import math`, `from math import a, b` (or `*`): accepted as no-ops.
    fn import(&mut self) -> Result<Stmt, GuestError> {
        let kw = self.next()?;
        let bad = |pos| syntax("only 'import math' is accepted (and not needed)", pos);
        let module = self.next()?;
        if module.tok != Tok::Name("math".into()) {
            return Err(bad(module.pos));
        }
        if kw.tok == Tok::Name("from".into()) {
            let t = self.next()?;
            if t.tok != Tok::Name("import".into()) {
                return Err(bad(t.pos));
            }
            loop {
                let t = self.next()?;
                match t.tok {
                    Tok::Op(BinOp::Mul) => {}
                    Tok::Name(ref n) if Func::lookup(&format!("math.{n}")).is_some() => {}
                    Tok::Name(ref n) => {
                        return Err(GuestError::new(
                            ErrorKind::UnknownName,
                            format!(
                                "math.{} is not available; the functions are {FUNCTION_LIST}",
                                quote_snippet(n)
                            ),
                            t.pos,
                        ));
                    }
                    _ => return Err(bad(t.pos)),
                }
                if self.peek()?.tok != Tok::Comma {
                    break;
                }
                self.next()?;
            }
        }
        Ok(Stmt::Import)
    }

    /// Additive level: a flat chain of `+` and `-`.
    pub fn expr(&mut self) -> Result<Expr, GuestError> {
        let first = self.term()?;
        let mut rest = Vec::new();
        while let Tok::Op(op @ (BinOp::Add | BinOp::Sub)) = self.peek()?.tok {
            let pos = self.next()?.pos;
            rest.push((op, pos, self.term()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        for term in std::iter::once(&first).chain(rest.iter().map(|(_, _, e)| e)) {
            if let Some(pos) = bare_percent(term) {
                return Err(syntax(
                    "ambiguous percentage in a sum: 'a + 15%' could mean a + 0.15 or a increased by 15%; \
                     write a * (1 + 15/100) or a + 15/100",
                    pos,
                ));
            }
        }
        Ok(Expr::Chain {
            first: Box::new(first),
            rest,
        })
    }

    /// Multiplicative level: a flat chain of `*`, `/`, `//`, `%`.
    fn term(&mut self) -> Result<Expr, GuestError> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        while let Tok::Op(op @ (BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod)) =
            self.peek()?.tok
        {
            let pos = self.next()?.pos;
            rest.push((op, pos, self.unary()?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr::Chain {
                first: Box::new(first),
                rest,
            })
        }
    }

    fn unary(&mut self) -> Result<Expr, GuestError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let pos = self.peek()?.pos;
            return Err(GuestError::new(
                ErrorKind::TooDeep,
                format!(
                    "nesting too deep: more than {} levels of brackets, signs or powers",
                    self.max_depth
                ),
                pos,
            ));
        }
        let out = match self.peek()?.tok {
            Tok::Op(BinOp::Sub) => {
                self.next()?;
                self.unary().map(|e| Expr::Neg(Box::new(e)))
            }
            Tok::Op(BinOp::Add) => {
                self.next()?;
                self.unary()
            }
            _ => self.power(),
        };
        self.depth -= 1;
        out
    }

    /// `atom ** unary`: right-associative, binding tighter than a unary sign
    /// on its left (`-2 ** 2` is -4) and looser on its right (`2 ** -1`).
    fn power(&mut self) -> Result<Expr, GuestError> {
        let base = self.postfix()?;
        if self.peek()?.tok == Tok::Op(BinOp::Pow) {
            let pos = self.next()?.pos;
            let exp = self.unary()?;
            return Ok(Expr::Pow {
                base: Box::new(base),
                exp: Box::new(exp),
                pos,
            });
        }
        Ok(base)
    }

    /// An atom and any `%` signs after it that are percentages: a `%` is a
    /// percent sign when what follows cannot start an operand (so Python's
    /// `a % b` keeps its meaning).
    fn postfix(&mut self) -> Result<Expr, GuestError> {
        let mut e = self.atom()?;
        loop {
            let t = self.peek()?;
            match t.tok {
                Tok::Op(BinOp::Mod) => {
                    let pos = t.pos;
                    if starts_operand(&self.peek2()?.tok) {
                        return Ok(e);
                    }
                    self.next()?;
                    e = Expr::Percent {
                        operand: Box::new(e),
                        pos,
                    };
                }
                Tok::Dot => return Err(syntax("attribute access is not supported", t.pos)),
                Tok::LBracket => return Err(syntax("indexing is not supported", t.pos)),
                Tok::LParen => {
                    return Err(syntax(
                        "a '(' right after a value: write '*' to multiply, as in 2 * (3 + 4)",
                        t.pos,
                    ));
                }
                Tok::Number(_) | Tok::Dollar => {
                    return Err(syntax(
                        "two values in a row: write an operator between them",
                        t.pos,
                    ));
                }
                _ => return Ok(e),
            }
        }
    }

    fn atom(&mut self) -> Result<Expr, GuestError> {
        let t = self.next()?;
        match t.tok {
            Tok::Number(lit) => self.literal(&lit, t.pos),
            Tok::Dollar => {
                let n = self.next()?;
                match n.tok {
                    Tok::Number(lit) if n.pos == Pos::new(t.pos.line, t.pos.column + 1) => {
                        self.literal(&lit, n.pos)
                    }
                    _ => Err(syntax(
                        "'$' must be directly followed by a number, as in $20",
                        t.pos,
                    )),
                }
            }
            Tok::Name(name) => self.name(name, t.pos),
            Tok::LParen => {
                if self.peek()?.tok == Tok::RParen {
                    self.next()?;
                    return Ok(Expr::List {
                        items: Vec::new(),
                        pos: t.pos,
                    });
                }
                let first = self.expr()?;
                if self.peek()?.tok == Tok::Comma {
                    self.next()?;
                    let mut items = vec![first];
                    items.extend(self.items(Tok::RParen, "')'")?);
                    return Ok(Expr::List { items, pos: t.pos });
                }
                self.expect(Tok::RParen, "')'")?;
                Ok(first)
            }
            Tok::LBracket => {
                let items = self.items(Tok::RBracket, "']'")?;
                Ok(Expr::List { items, pos: t.pos })
            }
            Tok::Newline | Tok::Eof => Err(syntax(
                "expected a value: the expression is incomplete",
                t.pos,
            )),
            other => Err(syntax(
                format!("expected a value, found {}", other.describe()),
                t.pos,
            )),
        }
    }

    fn literal(&self, lit: &crate::lexer::NumLit, pos: Pos) -> Result<Expr, GuestError> {
        Number::from_literal(lit, self.bounds)
            .map(Expr::Num)
            .map_err(|e| GuestError::new(e.kind, e.message, pos))
    }

    fn name(&mut self, name: String, pos: Pos) -> Result<Expr, GuestError> {
        if KEYWORDS.contains(&name.as_str()) {
            return Err(keyword_error(&name, pos));
        }
        let mut full = name;
        if full == "math" && self.peek()?.tok == Tok::Dot {
            self.next()?;
            let member = self.next()?;
            let Tok::Name(member) = member.tok else {
                return Err(syntax("expected a function name after 'math.'", member.pos));
            };
            full = format!("math.{member}");
            if self.peek()?.tok != Tok::LParen || Func::lookup(&full).is_none() {
                return Err(GuestError::new(
                    ErrorKind::UnknownName,
                    format!(
                        "{} is not available; the functions are {FUNCTION_LIST}",
                        quote_snippet(&full)
                    ),
                    pos,
                ));
            }
        }
        if self.peek()?.tok != Tok::LParen {
            return Ok(Expr::Var { name: full, pos });
        }
        let Some(func) = Func::lookup(&full) else {
            let message = if full == "print" {
                "print(...) is accepted only as a line of its own".to_string()
            } else {
                format!(
                    "unknown function '{}'; the functions are {FUNCTION_LIST}",
                    quote_snippet(&full)
                )
            };
            return Err(GuestError::new(ErrorKind::UnknownName, message, pos));
        };
        self.next()?;
        let args = self.args()?;
        Ok(Expr::Call { func, args, pos })
    }

    /// Call arguments after the `(`, through the `)`.
    fn args(&mut self) -> Result<Vec<Expr>, GuestError> {
        let mut args = Vec::new();
        loop {
            if self.peek()?.tok == Tok::RParen {
                self.next()?;
                return Ok(args);
            }
            if matches!(self.peek()?.tok, Tok::Name(_)) && self.peek2()?.tok == Tok::Assign {
                let pos = self.peek()?.pos;
                return Err(syntax("keyword arguments are not supported", pos));
            }
            args.push(self.expr()?);
            let t = self.next()?;
            match t.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok(args),
                _ => return Err(syntax("expected ',' or ')'", t.pos)),
            }
        }
    }

    /// List items up to the closing token (a trailing comma is allowed).
    fn items(&mut self, close: Tok, what: &str) -> Result<Vec<Expr>, GuestError> {
        let mut items = Vec::new();
        loop {
            if self.peek()?.tok == close {
                self.next()?;
                return Ok(items);
            }
            items.push(self.expr()?);
            let t = self.next()?;
            if t.tok == close {
                return Ok(items);
            }
            if t.tok != Tok::Comma {
                return Err(syntax(format!("expected ',' or {what}"), t.pos));
            }
        }
    }
}

fn starts_operand(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Number(_)
            | Tok::Name(_)
            | Tok::LParen
            | Tok::LBracket
            | Tok::Dollar
            | Tok::Op(BinOp::Add | BinOp::Sub)
    )
}

/// The position of the `%` if `e` is a percentage on its own (maybe negated).
fn bare_percent(e: &Expr) -> Option<Pos> {
    match e {
        Expr::Percent { pos, .. } => Some(*pos),
        Expr::Neg(inner) => bare_percent(inner),
        _ => None,
    }
}
