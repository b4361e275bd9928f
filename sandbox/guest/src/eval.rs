//! Evaluation of statements: named values in order, the last line's value is
//! the answer. Recursion follows the tree, whose depth the parser bounded.

use std::collections::HashMap;

use crate::ast::{Expr, Func, Stmt};
use crate::error::{ErrorKind, GuestError, Pos, quote_snippet};
use crate::lexer::BinOp;
use crate::number::{Bounds, NumError, NumResult, Number};

/// A value during evaluation: a number, or a list for sum/min/max.
enum Val {
    Num(Number),
    List(Vec<Number>),
}

pub struct Evaluator {
    bounds: Bounds,
    vars: HashMap<String, Number>,
    /// Every assignment in program order (a reassigned name appears again).
    pub assignments: Vec<(String, Number)>,
}

fn at(pos: Pos) -> impl Fn(NumError) -> GuestError {
    move |e| GuestError::new(e.kind, e.message, pos)
}

fn type_error(msg: impl Into<String>, pos: Pos) -> GuestError {
    GuestError::new(ErrorKind::Type, msg, pos)
}

impl Evaluator {
    pub fn new(bounds: Bounds) -> Evaluator {
        Evaluator {
            bounds,
            vars: HashMap::new(),
            assignments: Vec::new(),
        }
    }

    /// Run one statement; returns its value (none for `import`).
    pub fn statement(&mut self, stmt: &Stmt) -> Result<Option<Number>, GuestError> {
        match stmt {
            Stmt::Import => Ok(None),
            Stmt::Expr(e) => self.number(e).map(Some),
            Stmt::Assign {
                name,
                op,
                expr,
                pos,
            } => {
                let rhs = self.number(expr)?;
                let value = match op {
                    None => rhs,
                    Some(op) => {
                        let Some(old) = self.vars.get(name) else {
                            return Err(GuestError::new(
                                ErrorKind::UnknownName,
                                format!("name '{}' is not defined", quote_snippet(name)),
                                *pos,
                            ));
                        };
                        self.binary(*op, old, &rhs).map_err(at(*pos))?
                    }
                };
                self.vars.insert(name.clone(), value.clone());
                self.assignments.push((name.clone(), value.clone()));
                Ok(Some(value))
            }
        }
    }

    fn binary(&self, op: BinOp, a: &Number, b: &Number) -> NumResult {
        let bounds = self.bounds;
        match op {
            BinOp::Add => a.add(b, bounds),
            BinOp::Sub => a.sub(b, bounds),
            BinOp::Mul => a.mul(b, bounds),
            BinOp::Div => a.div(b, bounds),
            BinOp::FloorDiv => a.floor_div(b, bounds),
            BinOp::Mod => a.modulo(b, bounds),
            BinOp::Pow => a.pow(b, bounds),
        }
    }

    fn number(&self, e: &Expr) -> Result<Number, GuestError> {
        match self.eval(e)? {
            Val::Num(n) => Ok(n),
            Val::List(_) => Err(type_error(
                "a list is not a number: lists can only be passed to sum(), min() or max()",
                list_pos(e),
            )),
        }
    }

    fn eval(&self, e: &Expr) -> Result<Val, GuestError> {
        let n = match e {
            Expr::Num(n) => n.clone(),
            Expr::Var { name, pos } => match self.vars.get(name) {
                Some(v) => v.clone(),
                None => {
                    return Err(GuestError::new(
                        ErrorKind::UnknownName,
                        format!("name '{}' is not defined", quote_snippet(name)),
                        *pos,
                    ));
                }
            },
            Expr::Neg(inner) => self.number(inner)?.neg(),
            Expr::Chain { first, rest } => {
                let mut acc = self.number(first)?;
                for (op, pos, rhs) in rest {
                    let r = self.number(rhs)?;
                    acc = self.binary(*op, &acc, &r).map_err(at(*pos))?;
                }
                acc
            }
            Expr::Pow { base, exp, pos } => {
                let b = self.number(base)?;
                let x = self.number(exp)?;
                b.pow(&x, self.bounds).map_err(at(*pos))?
            }
            Expr::Percent { operand, pos } => self
                .number(operand)?
                .percent(self.bounds)
                .map_err(at(*pos))?,
            Expr::Call { func, args, pos } => self.call(*func, args, *pos)?,
            Expr::List { items, .. } => {
                let items = items
                    .iter()
                    .map(|i| self.number(i))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(Val::List(items));
            }
        };
        Ok(Val::Num(n))
    }

    fn call(&self, func: Func, args: &[Expr], pos: Pos) -> Result<Number, GuestError> {
        let name = func.name();
        let arity = |lo: usize, hi: usize| -> Result<(), GuestError> {
            if args.len() < lo || args.len() > hi {
                let want = if lo == hi {
                    format!("{lo}")
                } else {
                    format!("{lo} or {hi}")
                };
                let plural = if hi == 1 { "argument" } else { "arguments" };
                return Err(type_error(
                    format!("{name}() takes {want} {plural} ({} given)", args.len()),
                    pos,
                ));
            }
            Ok(())
        };
        let b = self.bounds;
        match func {
            Func::Min | Func::Max | Func::Sum => return self.aggregate(func, args, pos),
            Func::Round => {
                arity(1, 2)?;
                let x = self.number(&args[0])?;
                let nd = args.get(1).map(|a| self.number(a)).transpose()?;
                return x.round(nd.as_ref(), b).map_err(at(pos));
            }
            Func::Pow => {
                if args.len() == 3 {
                    return Err(type_error("pow() with a modulus is not supported", pos));
                }
                arity(2, 2)?;
                let x = self.number(&args[0])?;
                let y = self.number(&args[1])?;
                return x.pow(&y, b).map_err(at(pos));
            }
            _ => {}
        }
        arity(1, 1)?;
        let x = self.number(&args[0])?;
        Ok(match func {
            Func::Abs => x.abs(),
            Func::Floor => x.floor(),
            Func::Ceil => x.ceil(),
            Func::Int => x.trunc(),
            Func::Float => x,
            Func::Sqrt => x.root(2, b).map_err(at(pos))?,
            Func::Factorial => x.factorial(b).map_err(at(pos))?,
            Func::Min | Func::Max | Func::Sum | Func::Round | Func::Pow => {
                unreachable!("handled above")
            }
        })
    }

    /// sum(list[, start]); min/max of one list or of two or more numbers.
    fn aggregate(&self, func: Func, args: &[Expr], pos: Pos) -> Result<Number, GuestError> {
        let name = func.name();
        let b = self.bounds;
        let values: Vec<Number> = match (func, args.len()) {
            (_, 0) => {
                return Err(type_error(
                    format!("{name}() needs a list, as in {name}([1, 2, 3])"),
                    pos,
                ));
            }
            (Func::Sum, n) if n <= 2 => {
                let Val::List(items) = self.eval(&args[0])? else {
                    return Err(type_error("sum() takes a list: write sum([a, b, c])", pos));
                };
                let start = match args.get(1) {
                    Some(s) => self.number(s)?,
                    None => Number::int(0),
                };
                let mut acc = start;
                for x in &items {
                    acc = acc.add(x, b).map_err(at(pos))?;
                }
                return Ok(acc);
            }
            (Func::Sum, n) => {
                return Err(type_error(
                    format!(
                        "sum() takes a list and an optional start ({n} given): write sum([a, b, c])"
                    ),
                    pos,
                ));
            }
            (_, 1) => match self.eval(&args[0])? {
                Val::List(items) => items,
                Val::Num(_) => {
                    return Err(type_error(
                        format!("{name}() needs two or more values, or one list"),
                        pos,
                    ));
                }
            },
            _ => args
                .iter()
                .map(|a| self.number(a))
                .collect::<Result<_, _>>()?,
        };
        let mut it = values.into_iter();
        let Some(mut best) = it.next() else {
            return Err(type_error(format!("{name}() of an empty list"), pos));
        };
        for x in it {
            let better = if func == Func::Min {
                x.value < best.value
            } else {
                x.value > best.value
            };
            if better {
                best = x;
            }
        }
        Ok(best)
    }
}

/// Where a list expression starts, for the error when one is used as a number.
fn list_pos(e: &Expr) -> Pos {
    match e {
        Expr::List { pos, .. } | Expr::Var { pos, .. } | Expr::Call { pos, .. } => *pos,
        Expr::Pow { pos, .. } | Expr::Percent { pos, .. } => *pos,
        Expr::Neg(inner) => list_pos(inner),
        Expr::Chain { first, .. } => list_pos(first),
        Expr::Num(_) => Pos::default(),
    }
}
