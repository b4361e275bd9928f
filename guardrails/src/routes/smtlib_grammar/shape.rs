//! The shape of SMT-LIB commands: what each item of each list must be.

use super::vocab::{MAX_ARGS, Want};

/// What an item of a list must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
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
pub(super) enum Head {
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
pub(super) enum Kind {
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
pub(super) struct Frame {
    pub(super) kind: Kind,
    /// Items started so far.
    pub(super) items: usize,
}

pub(super) const NO_FRAME: Frame = Frame {
    kind: Kind::Terms,
    items: 0,
};

/// The arguments of each command after its name.
pub(super) fn command_items(command: &str) -> &'static [Role] {
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
    pub(super) fn role(&self, index: usize) -> Option<Role> {
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
    pub(super) fn min_items(&self) -> usize {
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
pub(super) fn list_for(role: Role) -> Option<Kind> {
    match role {
        Role::Term(want) => Some(Kind::Apply { head: None, want }),
        Role::List(kind) => Some(kind),
        _ => None,
    }
}

/// Where a name a word declares goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Space {
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
