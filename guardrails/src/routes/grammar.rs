//! What the route grammars share: tables of the model's tokens that a
//! grammar's text can be made of, and the allowed-token scan.

use super::facts_grammar::facts_byte;
use super::program_grammar::program_byte;

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
}

impl TokenTables {
    pub fn new(pieces: &[Vec<u8>]) -> Self {
        Self {
            program: std::sync::Arc::new(TokenTable::new(pieces, program_byte)),
            facts: std::sync::Arc::new(TokenTable::new(pieces, facts_byte)),
        }
    }
}
