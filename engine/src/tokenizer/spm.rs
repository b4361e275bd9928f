//! SentencePiece-style BPE over a vocabulary with scores (GGUF
//! `tokenizer.ggml.model = "llama"`: Gemma, Llama 2, Mistral).
//!
//! This is the merge rule of a BPE whose merges are derived from the
//! vocabulary and scores — every split of a normal token into two normal
//! pieces is a merge, ranked by the token's score — applied directly: start
//! from characters, repeatedly join the adjacent pair whose concatenation is
//! the best-scored normal token (leftmost on ties), and spell whatever is
//! not in the vocabulary with byte tokens (`<0xE2>`). Building it needs no
//! merge list, so loading takes milliseconds instead of seconds.
//!
//! Added tokens (control and user-defined) are matched first in the raw
//! text, leftmost and longest, as Hugging Face tokenizers do.

use std::collections::BinaryHeap;

use ahash::{AHashMap, AHashSet};

/// A SentencePiece-style BPE vocabulary.
#[derive(Debug, Clone)]
pub(crate) struct Spm {
    /// Normal tokens (the only ones merges produce or consume) → (id, score).
    normal: AHashMap<String, (u32, f32)>,
    /// `<0xXX>` token of each byte.
    bytes: [Option<u32>; 256],
    unk: Option<u32>,
    added: Added,
    add_space_prefix: bool,
}

/// Tokens matched literally in the raw text before BPE.
#[derive(Debug, Clone)]
struct Added {
    by_text: AHashMap<String, u32>,
    /// Distinct lengths in bytes, longest first.
    lengths: Vec<usize>,
    first_bytes: [bool; 256],
}

impl Added {
    fn new(tokens: impl Iterator<Item = (String, u32)>) -> Self {
        let mut a = Added {
            by_text: AHashMap::new(),
            lengths: Vec::new(),
            first_bytes: [false; 256],
        };
        let mut lengths = AHashSet::new();
        for (text, id) in tokens {
            if text.is_empty() {
                continue;
            }
            a.first_bytes[text.as_bytes()[0] as usize] = true;
            lengths.insert(text.len());
            a.by_text.entry(text).or_insert(id);
        }
        a.lengths = lengths.into_iter().collect();
        a.lengths.sort_unstable_by(|x, y| y.cmp(x));
        a
    }

    /// The longest added token starting at byte `pos` of `text`.
    fn match_at(&self, text: &str, pos: usize) -> Option<(usize, u32)> {
        if !self.first_bytes[text.as_bytes()[pos] as usize] {
            return None;
        }
        self.lengths.iter().find_map(|&len| {
            let end = pos + len;
            let piece = text.get(pos..end)?;
            self.by_text.get(piece).map(|&id| (len, id))
        })
    }
}

/// What kind of token a vocabulary entry is, for building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Normal,
    Byte(u8),
    /// Control or user-defined: matched literally in raw text.
    Literal,
    Other,
}

impl Spm {
    pub fn new(
        tokens: &[String],
        kinds: impl Fn(usize) -> Entry,
        scores: &[f32],
        unk: Option<u32>,
        add_space_prefix: bool,
    ) -> Self {
        let mut normal = AHashMap::with_capacity(tokens.len());
        let mut bytes = [None; 256];
        let mut literal = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match kinds(i) {
                Entry::Normal => {
                    normal.entry(t.clone()).or_insert((i as u32, scores[i]));
                }
                Entry::Byte(b) => bytes[b as usize] = bytes[b as usize].or(Some(i as u32)),
                Entry::Literal => literal.push((t.clone(), i as u32)),
                Entry::Other => {}
            }
        }
        Self {
            normal,
            bytes,
            unk,
            added: Added::new(literal.into_iter()),
            add_space_prefix,
        }
    }

    /// Append the ids of `text` to `out`.
    pub fn encode(&self, text: &str, out: &mut Vec<u32>) {
        let mut start = 0;
        let mut pos = 0;
        let mut first = true;
        while pos < text.len() {
            if let Some((len, id)) = self.added.match_at(text, pos) {
                if pos > start {
                    self.encode_segment(&text[start..pos], first, out);
                }
                out.push(id);
                first = false;
                pos += len;
                start = pos;
            } else {
                pos += utf8_len(text.as_bytes()[pos]);
            }
        }
        if start < text.len() {
            self.encode_segment(&text[start..], first, out);
        }
    }

    /// BPE over one stretch of text without added tokens.
    fn encode_segment(&self, raw: &str, first: bool, out: &mut Vec<u32>) {
        let mut text = String::with_capacity(raw.len() + 3);
        if self.add_space_prefix && first {
            text.push('▁');
        }
        for c in raw.chars() {
            text.push(if c == ' ' { '▁' } else { c });
        }
        // Symbols: byte ranges of `text`, linked as a list.
        let mut sym: Vec<Symbol> = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            let n = sym.len();
            sym.push(Symbol {
                start: i,
                end: i + c.len_utf8(),
                prev: n.checked_sub(1),
                next: None,
            });
            if n > 0 {
                sym[n - 1].next = Some(n);
            }
        }
        let mut heap = BinaryHeap::new();
        for i in 1..sym.len() {
            self.push_pair(&text, &sym, i - 1, i, &mut heap);
        }
        while let Some(p) = heap.pop() {
            let (l, r) = (p.left, p.right);
            // Skip pairs invalidated by an earlier merge.
            if sym[l].end == sym[l].start || sym[r].end == sym[r].start || sym[l].next != Some(r) {
                continue;
            }
            if sym[r].end - sym[l].start != p.len {
                continue;
            }
            sym[l].end = sym[r].end;
            sym[l].next = sym[r].next;
            sym[r].end = sym[r].start;
            if let Some(n) = sym[l].next {
                sym[n].prev = Some(l);
                self.push_pair(&text, &sym, l, n, &mut heap);
            }
            if let Some(pv) = sym[l].prev {
                self.push_pair(&text, &sym, pv, l, &mut heap);
            }
        }
        let mut i = if sym.is_empty() { None } else { Some(0) };
        let mut last_unk = false;
        while let Some(k) = i {
            let piece = &text[sym[k].start..sym[k].end];
            match self.normal.get(piece) {
                Some(&(id, _)) => {
                    out.push(id);
                    last_unk = false;
                }
                None => {
                    for b in piece.bytes() {
                        match (self.bytes[b as usize], self.unk) {
                            (Some(id), _) => {
                                out.push(id);
                                last_unk = false;
                            }
                            // Consecutive unknowns fuse into one.
                            (None, Some(id)) if !last_unk => {
                                out.push(id);
                                last_unk = true;
                            }
                            _ => {}
                        }
                    }
                }
            }
            i = sym[k].next;
        }
    }

    fn push_pair(
        &self,
        text: &str,
        sym: &[Symbol],
        l: usize,
        r: usize,
        heap: &mut BinaryHeap<Pair>,
    ) {
        let (a, b) = (
            &text[sym[l].start..sym[l].end],
            &text[sym[r].start..sym[r].end],
        );
        if !self.normal.contains_key(a) || !self.normal.contains_key(b) {
            return;
        }
        if let Some(&(_, score)) = self.normal.get(&text[sym[l].start..sym[r].end]) {
            heap.push(Pair {
                score,
                left: l,
                right: r,
                len: sym[r].end - sym[l].start,
            });
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Symbol {
    start: usize,
    end: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

/// A candidate merge: best score first, then leftmost.
#[derive(Debug, Clone, Copy)]
struct Pair {
    score: f32,
    left: usize,
    right: usize,
    len: usize,
}

impl PartialEq for Pair {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Pair {}
impl PartialOrd for Pair {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pair {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.score.total_cmp(&o.score).then(o.left.cmp(&self.left))
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Spm {
        // ids: 0 <unk>, 1 <ctl>, 2..=5 chars, 6 "ab" (score -1), 7 "bc" (score -2),
        // 8 "abc" (score -0.5), 9 <0x7A> byte z, 10 "▁a".
        let tokens: Vec<String> = [
            "<unk>", "<ctl>", "a", "b", "c", "▁", "ab", "bc", "abc", "<0x7A>", "▁a",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let scores = [
            0.0, 0.0, -10.0, -10.0, -10.0, -10.0, -1.0, -2.0, -0.5, 0.0, -3.0,
        ];
        let kinds = |i: usize| match i {
            0 => Entry::Other,
            1 => Entry::Literal,
            9 => Entry::Byte(0x7A),
            _ => Entry::Normal,
        };
        Spm::new(&tokens, kinds, &scores, Some(0), false)
    }

    fn enc(s: &Spm, t: &str) -> Vec<u32> {
        let mut v = Vec::new();
        s.encode(t, &mut v);
        v
    }

    #[test]
    fn merges_follow_scores() {
        let s = toy();
        // a b c: "ab" (-1) beats "bc" (-2), then "ab"+"c" = "abc".
        assert_eq!(enc(&s, "abc"), vec![8]);
        assert_eq!(enc(&s, "bc"), vec![7]);
        assert_eq!(enc(&s, "cab"), vec![4, 6]);
    }

    #[test]
    fn spaces_become_metaspace_and_literals_split_the_text() {
        let s = toy();
        assert_eq!(enc(&s, " a"), vec![10]);
        assert_eq!(enc(&s, "ab<ctl>c"), vec![6, 1, 4]);
    }

    #[test]
    fn unknown_characters_fall_back_to_bytes_or_unk() {
        let s = toy();
        assert_eq!(enc(&s, "z"), vec![9]);
        assert_eq!(enc(&s, "é"), vec![0], "no byte tokens: one fused <unk>");
    }
}
