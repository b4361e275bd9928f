//! What the route grammars share: tables of the model's tokens that a
//! grammar's text can be made of, and the allowed-token scan.

use super::facts_grammar::facts_byte;
use super::program_grammar::program_byte;
use super::smtlib_grammar::smtlib_byte;

/// The tokens made only of bytes a grammar uses, grouped by first byte.
#[derive(Debug, Default)]
pub struct TokenTable {
    by_first: Vec<Vec<(u32, Box<[u8]>)>>,
}

impl TokenTable {
    /// `pieces[id]` is the text of token `id` (as
    /// [`flinch_engine::Engine::vocab_pieces`]); `byte` says which bytes the
    /// grammar can produce (ASCII only).
    pub fn new(pieces: &[Vec<u8>], byte: fn(u8) -> bool) -> Self {
        let mut by_first = vec![Vec::new(); 128];
        for (id, piece) in pieces.iter().enumerate() {
            if !piece.is_empty() && piece.iter().all(|&b| b < 128 && byte(b)) {
                by_first[piece[0] as usize].push((id as u32, piece.clone().into_boxed_slice()));
            }
        }
        Self { by_first }
    }

    /// How many tokens the table holds.
    pub fn len(&self) -> usize {
        self.by_first.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids of the tokens `accepts` accepts; a token is only tried when
    /// its first byte alone is accepted.
    pub fn matching(&self, accepts: impl Fn(&[u8]) -> bool) -> Vec<u32> {
        let mut ids = Vec::new();
        for (first, group) in self.by_first.iter().enumerate() {
            if group.is_empty() || !accepts(&[first as u8]) {
                continue;
            }
            ids.extend(
                group
                    .iter()
                    .filter(|(_, piece)| piece.len() == 1 || accepts(piece))
                    .map(|(id, _)| *id),
            );
        }
        ids
    }
}

/// The token tables of one model, built once (a scan of the vocabulary).
#[derive(Debug)]
pub struct TokenTables {
    /// Calculator programs ([`super::program_grammar`]).
    pub program: std::sync::Arc<TokenTable>,
    /// Logic facts ([`super::facts_grammar`]).
    pub facts: std::sync::Arc<TokenTable>,
    /// SMT-LIB scripts ([`super::smtlib_grammar`]).
    pub smtlib: std::sync::Arc<TokenTable>,
    /// Letters and spaces: a multiple-choice option ([`super::choice`]).
    pub option_words: std::sync::Arc<TokenTable>,
}

impl TokenTables {
    pub fn new(pieces: &[Vec<u8>]) -> Self {
        Self {
            program: std::sync::Arc::new(TokenTable::new(pieces, program_byte)),
            facts: std::sync::Arc::new(TokenTable::new(pieces, facts_byte)),
            smtlib: std::sync::Arc::new(TokenTable::new(pieces, smtlib_byte)),
            option_words: std::sync::Arc::new(TokenTable::new(pieces, |b| {
                b.is_ascii_alphabetic() || b == b' '
            })),
        }
    }
}

/// A grammar over bytes: a cursor moves through the text one byte at a
/// time, and a byte the grammar does not allow is refused.
pub trait ByteGrammar: Send {
    type Cursor: Clone + Send;
    /// Advance `cursor` over `b`; false when the grammar refuses it. Also
    /// used to try tokens on a copy of the cursor.
    fn step(&self, cursor: &mut Self::Cursor, b: u8) -> bool;
    /// Called when `cursor` moved over generated text (not a trial), for
    /// state kept outside the cursor.
    fn advanced(&mut self, _cursor: &mut Self::Cursor) {}
    /// The text so far is a whole sentence of the grammar: stop.
    fn complete(&self, cursor: &Self::Cursor) -> bool;
}

/// A [`ByteGrammar`] as the engine's logits hook.
pub struct GrammarConstraint<G: ByteGrammar> {
    grammar: G,
    table: std::sync::Arc<TokenTable>,
    cursor: G::Cursor,
    /// Bytes of the generated text already fed to `cursor`.
    consumed: usize,
    /// The text broke the grammar (it cannot, unless the caller feeds text
    /// the constraint did not allow): stop.
    broken: bool,
}

impl<G: ByteGrammar> GrammarConstraint<G> {
    pub fn new(grammar: G, table: std::sync::Arc<TokenTable>, start: G::Cursor) -> Self {
        Self {
            grammar,
            table,
            cursor: start,
            consumed: 0,
            broken: false,
        }
    }

    pub(crate) fn grammar_mut(&mut self) -> &mut G {
        &mut self.grammar
    }

    /// Feed the generated text past what was already fed; false once the
    /// text has left the grammar.
    fn feed(&mut self, generated: &str) -> bool {
        if generated.len() < self.consumed {
            self.broken = true;
        }
        let new = generated
            .as_bytes()
            .get(self.consumed..)
            .unwrap_or_default();
        for &b in new {
            if self.broken {
                break;
            }
            let mut cursor = self.cursor.clone();
            if self.grammar.step(&mut cursor, b) {
                self.grammar.advanced(&mut cursor);
                self.cursor = cursor;
            } else {
                self.broken = true;
            }
        }
        self.consumed = generated.len().max(self.consumed);
        !self.broken
    }

    /// Is `text` (from the start) a complete sentence of the grammar?
    pub fn accepts_whole(mut self, text: &str) -> bool {
        self.feed(text) && self.grammar.complete(&self.cursor)
    }
}

impl<G: ByteGrammar> flinch_engine::TokenConstraint for GrammarConstraint<G> {
    fn allowed(&mut self, generated: &str) -> flinch_engine::Allowed {
        use flinch_engine::Allowed;
        if !self.feed(generated) || self.grammar.complete(&self.cursor) {
            return Allowed::Done;
        }
        let ids = self.table.matching(|piece| {
            let mut cursor = self.cursor.clone();
            piece.iter().all(|&b| self.grammar.step(&mut cursor, b))
        });
        if ids.is_empty() {
            Allowed::Done
        } else {
            Allowed::Only(ids)
        }
    }
}

/// Toy vocabularies for the grammars' unit tests.
#[cfg(test)]
pub(crate) mod toy {
    use std::sync::Arc;

    use flinch_engine::{Allowed, TokenConstraint};

    use super::TokenTable;

    /// Every printable ASCII byte as a token, then `extra`; the table keeps
    /// those made of `byte`s.
    pub fn table(extra: &[&str], byte: fn(u8) -> bool) -> (Arc<TokenTable>, Vec<String>) {
        let mut pieces: Vec<String> = (32u8..127).map(|b| (b as char).to_string()).collect();
        pieces.extend(extra.iter().map(|p| (*p).to_owned()));
        let bytes: Vec<Vec<u8>> = pieces.iter().map(|p| p.as_bytes().to_vec()).collect();
        (Arc::new(TokenTable::new(&bytes, byte)), pieces)
    }

    /// The pieces `c` allows after `text`; `["<done>"]` when it stops.
    pub fn allowed(c: &mut dyn TokenConstraint, pieces: &[String], text: &str) -> Vec<String> {
        match c.allowed(text) {
            Allowed::Only(ids) => ids.iter().map(|&i| pieces[i as usize].clone()).collect(),
            Allowed::Done => vec!["<done>".to_owned()],
            Allowed::Any => vec!["<any>".to_owned()],
        }
    }
}
