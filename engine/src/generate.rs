//! The generation loop: prefill (reusing cached prefixes), then decode all
//! sequences of a batch together, one token each per forward pass.
//!
//! Stop rules, checked after every sampled token, in this order:
//! 1. an end-of-sequence / end-of-turn token → `FinishReason::Eos` (the token
//!    is not part of the result);
//! 2. the text contains a stop string → `FinishReason::Stop`, the text is cut
//!    before it (the token that completed it stays in `tokens`);
//! 3. `max_tokens` tokens were generated, or the context is full →
//!    `FinishReason::Length`;
//! 4. before the next token: the cancel flag is set → `Cancelled`; the
//!    constraint answers `Allowed::Done` → `Stop` with an empty sequence.
//!
//! Streaming passes only complete UTF-8 characters, and holds back a tail
//! that could still become a stop string.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::kv::{KvCache, MAX_CHUNK};
use crate::model::{DecoderModel, Logits, Step};
use crate::ops;
use crate::pool::{SyncPtr, ThreadPool};
use crate::request::{Allowed, FinishReason, GenerateRequest, Generation, Sampling, Timings};
use crate::sampler::{Sampler, Summary};
use crate::tokenizer::{Tokenizer, take_utf8};

/// Rows of all sequences in one prefill forward call.
const PREFILL_ROWS: usize = MAX_CHUNK;

/// Decoded positions a sequence's KV cache is reserved for up front (past
/// them it grows by doubling).
const RESERVE_TOKENS: usize = 1024;

/// Allowed sets at most this fraction of the vocabulary get logits for
/// their rows only; larger ones compute the full projection and mask it.
const ROWS_ONLY_FRACTION: usize = 4;

/// Which logits a sequence holds for its next token.
enum Ready {
    /// Whole vocabulary.
    Full,
    /// Only the whole vocabulary's summary (a greedy choice without a
    /// repetition penalty needs no more), without Σ exp unless the request
    /// asked for the log-probability.
    Summary(ops::Partial),
    /// Only the listed ids, in order.
    Rows(Vec<u32>),
}

struct Seq {
    req: GenerateRequest,
    cache: KvCache,
    sampler: Sampler,
    history: Vec<u32>,
    generated: Vec<u32>,
    text: String,
    pending: Vec<u8>,
    emitted: usize,
    logprob: f64,
    finish: Option<FinishReason>,
    logits: Vec<f32>,
    /// The summary of `logits` when the output projection took it.
    summary: Option<ops::Partial>,
    ready: Ready,
    allowed: Allowed,
    timings: Timings,
    started_decode: Instant,
    /// Why this sequence stopped with an error (the others go on).
    failed: Option<Error>,
}

/// What the engine hands the loop.
pub(crate) struct Context<'a> {
    pub model: &'a dyn DecoderModel,
    pub tokenizer: &'a Tokenizer,
    pub pool: &'a ThreadPool,
}

/// Generate for every request; `prompts[i]` are the tokens of `requests[i]`.
/// `resident` is the engine's cache: its longest reusable prefix is kept, and
/// it is replaced by the first sequence's cache at the end. A request whose
/// constraint fails gets its error; the other sequences go on.
pub(crate) fn run(
    cx: &Context<'_>,
    requests: Vec<GenerateRequest>,
    prompts: Vec<Vec<u32>>,
    resident: &mut KvCache,
    mut on_text: Option<&mut dyn FnMut(&str)>,
) -> Result<Vec<Result<Generation>>> {
    let context = cx.model.spec().context_length;
    let vocab = cx.model.spec().vocab_size;

    // Group identical prompts: each group is prefilled once.
    let mut groups: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
    for (i, p) in prompts.iter().enumerate() {
        match groups.iter_mut().find(|g| &g.0 == p) {
            Some(g) => g.1.push(i),
            None => groups.push((p.clone(), vec![i])),
        }
    }
    // Base caches: the resident cache itself for the first group, clones of
    // it for other groups that share a prefix with it.
    let keeps: Vec<usize> = groups
        .iter()
        .map(|(p, _)| resident.reusable_prefix(p, 1))
        .collect();
    let mut bases: Vec<(KvCache, usize)> = Vec::with_capacity(groups.len());
    let mut first = std::mem::replace(resident, cx.model.new_cache());
    for &keep in &keeps[1..] {
        let mut cache = if keep > 0 {
            first.clone()
        } else {
            cx.model.new_cache()
        };
        cache.truncate(keep);
        bases.push((cache, keep));
    }
    first.truncate(keeps[0]);
    bases.insert(0, (first, keeps[0]));

    // Prefill every group, several groups per forward call.
    let prefill_start = Instant::now();
    let mut group_logits: Vec<Vec<f32>> = vec![Vec::new(); groups.len()];
    let mut group_summaries: Vec<Option<ops::Partial>> = vec![None; groups.len()];
    let mut done: Vec<usize> = bases.iter().map(|b| b.0.len()).collect();
    loop {
        let mut budget = PREFILL_ROWS;
        let mut steps: Vec<Step<'_>> = Vec::new();
        let outs = group_logits.iter_mut().zip(group_summaries.iter_mut());
        for ((g, (cache, _)), (logits, summary)) in bases.iter_mut().enumerate().zip(outs) {
            let prompt = &groups[g].0;
            let from = done[g];
            if from >= prompt.len() || budget == 0 {
                continue;
            }
            let to = (from + budget).min(prompt.len());
            budget -= to - from;
            done[g] = to;
            steps.push(Step {
                cache,
                tokens: &prompt[from..to],
                logits: if to == prompt.len() {
                    Logits::All(logits, summary)
                } else {
                    Logits::Skip
                },
            });
        }
        if steps.is_empty() {
            break;
        }
        cx.model.forward(&mut steps, cx.pool);
    }
    let prefill = prefill_start.elapsed();

    // One sequence per request; group members clone the group's cache.
    let mut slots: Vec<Option<Seq>> = (0..requests.len()).map(|_| None).collect();
    let mut requests: Vec<Option<GenerateRequest>> = requests.into_iter().map(Some).collect();
    for (g, ((prompt, members), (cache, reused))) in groups.iter().zip(bases).enumerate() {
        let timings = Timings {
            reused_prompt_tokens: reused,
            prefill_tokens: prompt.len() - reused,
            prefill,
            ..Timings::default()
        };
        let mut cache = Some(cache);
        for (j, &i) in members.iter().enumerate() {
            let req = requests[i].take().ok_or_else(|| Error::InvalidRequest {
                reason: "request used twice".into(),
            })?;
            let mut c = if j + 1 == members.len() {
                cache.take().unwrap_or_else(|| cx.model.new_cache())
            } else {
                cache
                    .as_ref()
                    .map_or_else(|| cx.model.new_cache(), Clone::clone)
            };
            c.reserve(prompt.len() + req.max_tokens.min(RESERVE_TOKENS));
            slots[i] = Some(Seq {
                sampler: Sampler::new(req.sampling, req.repeat_penalty, req.seed),
                req,
                cache: c,
                history: prompt.clone(),
                generated: Vec::new(),
                text: String::new(),
                pending: Vec::new(),
                emitted: 0,
                logprob: 0.0,
                finish: None,
                logits: group_logits[g].clone(),
                summary: group_summaries[g],
                ready: Ready::Full,
                allowed: Allowed::Any,
                timings: timings.clone(),
                started_decode: Instant::now(),
                failed: None,
            });
        }
    }
    let mut seqs: Vec<Seq> = slots.into_iter().flatten().collect();
    for s in seqs.iter_mut() {
        before_token_or_fail(s, vocab);
        if s.req.max_tokens == 0 && s.finish.is_none() {
            s.finish = Some(FinishReason::Length);
        }
    }

    // Decode. Greedy sequences take the logits' summary alone where the
    // output projection summarises them as it goes.
    let summarised = cx.model.summarises_logits();
    loop {
        let known = full_summaries(&seqs, cx.pool);
        for (i, s) in seqs.iter_mut().enumerate() {
            if s.finish.is_some() {
                continue;
            }
            sample_one(cx, s, context, known[i]);
            if s.finish.is_none() {
                before_token_or_fail(s, vocab);
            }
            if s.finish.is_some() {
                s.text.push_str(&take_utf8(&mut s.pending, true));
            }
            if i == 0
                && let Some(cb) = on_text.as_mut()
            {
                stream(s, *cb);
            }
            if s.finish.is_some() {
                s.timings.decode = s.started_decode.elapsed();
            }
        }
        let mut steps: Vec<Step<'_>> = Vec::new();
        for s in seqs.iter_mut().filter(|s| s.finish.is_none()) {
            let Some(last) = s.generated.last() else {
                continue;
            };
            let last = std::slice::from_ref(last);
            let logits = match &s.allowed {
                Allowed::Only(ids) if ids.len() * ROWS_ONLY_FRACTION <= vocab => {
                    s.ready = Ready::Rows(ids.clone());
                    s.summary = None;
                    let Ready::Rows(ids) = &s.ready else {
                        unreachable!()
                    };
                    Logits::Rows(ids, &mut s.logits)
                }
                Allowed::Any if summarised && s.greedy_from_summary() => {
                    s.ready = Ready::Summary(ops::Partial::combine([]));
                    s.summary = None;
                    let Ready::Summary(p) = &mut s.ready else {
                        unreachable!()
                    };
                    if s.req.logprob {
                        Logits::Summary(p)
                    } else {
                        Logits::Best(p)
                    }
                }
                _ => {
                    s.ready = Ready::Full;
                    Logits::All(&mut s.logits, &mut s.summary)
                }
            };
            steps.push(Step {
                cache: &mut s.cache,
                tokens: last,
                logits,
            });
        }
        if steps.is_empty() {
            break;
        }
        cx.model.forward(&mut steps, cx.pool);
    }

    let mut out = Vec::with_capacity(seqs.len());
    let mut first_cache = None;
    for (i, mut s) in seqs.into_iter().enumerate() {
        if s.timings.decode == Duration::ZERO {
            s.timings.decode = s.started_decode.elapsed();
        }
        s.timings.decode_tokens = s.generated.len();
        if i == 0 {
            first_cache = Some(std::mem::replace(&mut s.cache, KvCache::new(&[], 0)));
        }
        out.push(match s.failed {
            Some(e) => Err(e),
            None => Ok(Generation {
                text: s.text,
                tokens: s.generated,
                logprob: s.req.logprob.then_some(s.logprob),
                finish: s.finish.unwrap_or(FinishReason::Length),
                timings: s.timings,
            }),
        });
    }
    if let Some(c) = first_cache {
        *resident = c;
    }
    Ok(out)
}

impl Seq {
    /// Whether the next token is the largest logit's and its
    /// log-probability the plain one: then the logits' summary is enough.
    fn greedy_from_summary(&self) -> bool {
        matches!(self.req.sampling, Sampling::Greedy) && self.req.repeat_penalty.is_none()
    }
}

/// The [`Summary`] of each unfinished sequence's logits over the whole
/// vocabulary (where it samples from all of it): the one the output
/// projection took, or else computed on the pool's threads.
fn full_summaries(seqs: &[Seq], pool: &ThreadPool) -> Vec<Option<Summary>> {
    let whole = |s: &Seq| {
        s.finish.is_none()
            && matches!(s.ready, Ready::Full)
            && !matches!(s.allowed, Allowed::Only(_))
    };
    let full: Vec<Option<&[f32]>> = seqs
        .iter()
        .map(|s| (whole(s) && s.summary.is_none()).then_some(&s.logits[..]))
        .collect();
    // One task per span of each row, so that even one sequence's summary
    // is spread over the threads.
    let spans = full
        .iter()
        .map(|l| l.map_or(0, |l| l.len().div_ceil(ops::SPAN)))
        .max()
        .unwrap_or(0);
    let mut parts = vec![None; full.len() * spans];
    let ptr = SyncPtr::new(&mut parts);
    pool.run(parts.len(), &|t| {
        let (i, s) = (t / spans, t % spans);
        if let Some(span) = full[i].and_then(|l| l.chunks(ops::SPAN).nth(s)) {
            // SAFETY: each task writes only its own index.
            unsafe { ptr.write(t, Some(ops::Partial::of(span, s * ops::SPAN))) }
        }
    });
    full.iter()
        .zip(seqs)
        .enumerate()
        .map(|(i, (l, s))| match (l, s.summary) {
            (Some(_), _) => Some(Summary::from(ops::Partial::combine(
                parts[i * spans..][..spans].iter().flatten().copied(),
            ))),
            (None, Some(taken)) if whole(s) => Some(Summary::from(taken)),
            _ => None,
        })
        .collect()
}

/// Sample the next token of `s` from its ready logits and apply the stop
/// rules; `known` summarises its full logits if already computed.
fn sample_one(cx: &Context<'_>, s: &mut Seq, context: usize, known: Option<Summary>) {
    let choice = match (&s.allowed, &s.ready) {
        (Allowed::Only(ids), Ready::Full) => {
            let mut sub: Vec<f32> = ids.iter().map(|&id| s.logits[id as usize]).collect();
            s.sampler.sample(&mut sub, Some(ids), &s.history, None)
        }
        (_, Ready::Rows(ids)) => s.sampler.sample(&mut s.logits, Some(ids), &s.history, None),
        (_, Ready::Full) => s.sampler.sample(&mut s.logits, None, &s.history, known),
        (_, Ready::Summary(p)) => Sampler::greedy_from(p),
    };
    let id = choice.id;
    if cx.tokenizer.eos().contains(&id) {
        s.finish = Some(FinishReason::Eos);
        return;
    }
    s.logprob += choice.logprob;
    s.generated.push(id);
    s.history.push(id);
    s.pending.extend_from_slice(cx.tokenizer.piece(id));
    let old_len = s.text.len();
    s.text.push_str(&take_utf8(&mut s.pending, false));
    if let Some((at, stop)) = find_stop(&s.text, old_len, &s.req.stop) {
        s.text.truncate(at);
        s.pending.clear();
        s.finish = Some(FinishReason::Stop { sequence: stop });
        return;
    }
    if s.generated.len() >= s.req.max_tokens || s.cache.len() + 1 >= context {
        s.text.push_str(&take_utf8(&mut s.pending, true));
        s.finish = Some(FinishReason::Length);
    }
}

/// `before_token`, ending the sequence with its error when it fails.
fn before_token_or_fail(s: &mut Seq, vocab: usize) {
    if let Err(e) = before_token(s, vocab) {
        s.failed = Some(e);
        s.finish = Some(FinishReason::Cancelled);
    }
}

/// Checks made before computing the next token's logits: cancellation and
/// the constraint's allowed set.
fn before_token(s: &mut Seq, vocab: usize) -> Result<()> {
    if s.req.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
        s.finish = Some(FinishReason::Cancelled);
        return Ok(());
    }
    if let Some(c) = s.req.constraint.as_mut() {
        let allowed = c.allowed(&s.text);
        match &allowed {
            Allowed::Done => {
                s.finish = Some(FinishReason::Stop {
                    sequence: String::new(),
                });
            }
            Allowed::Only(ids) if ids.is_empty() => {
                return Err(Error::InvalidRequest {
                    reason: "the constraint allowed no token (Allowed::Only with an empty list); return Allowed::Done to stop".into(),
                });
            }
            Allowed::Only(ids) => {
                if let Some(&bad) = ids.iter().find(|&&id| id as usize >= vocab) {
                    return Err(Error::TokenOutOfRange { id: bad, vocab });
                }
            }
            Allowed::Any => {}
        }
        s.allowed = allowed;
    }
    Ok(())
}

/// The earliest stop string in `text` that ends after byte `old_len`.
fn find_stop(text: &str, old_len: usize, stops: &[String]) -> Option<(usize, String)> {
    let mut best: Option<(usize, String)> = None;
    for stop in stops.iter().filter(|s| !s.is_empty()) {
        let mut from = old_len.saturating_sub(stop.len() - 1);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        if let Some(i) = text[from..].find(stop.as_str()) {
            let at = from + i;
            if best.as_ref().is_none_or(|b| at < b.0) {
                best = Some((at, stop.clone()));
            }
        }
    }
    best
}

/// Length of the longest suffix of `text` that is a proper prefix of a stop
/// string (text that must wait: it may still become a stop).
fn held_back(text: &str, stops: &[String]) -> usize {
    let mut hold = 0;
    for stop in stops {
        for (i, _) in stop.char_indices().skip(1) {
            if i > hold && text.ends_with(&stop[..i]) {
                hold = i;
            }
        }
    }
    hold
}

fn stream(s: &mut Seq, cb: &mut dyn FnMut(&str)) {
    let safe = if s.finish.is_some() {
        s.text.len()
    } else {
        s.text.len() - held_back(&s.text, &s.req.stop)
    };
    if safe > s.emitted {
        cb(&s.text[s.emitted..safe]);
        s.emitted = safe;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stops(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn find_stop_finds_the_earliest_new_match() {
        let st = stops(&["\n\n", "END"]);
        assert_eq!(find_stop("abc\n\nxEND", 4, &st), Some((3, "\n\n".into())));
        assert_eq!(find_stop("abcEN", 3, &st), None);
        assert_eq!(find_stop("abcEND", 5, &st), Some((3, "END".into())));
    }

    #[test]
    fn held_back_keeps_possible_stop_prefixes() {
        let st = stops(&["</answer>", "\n\n"]);
        assert_eq!(held_back("x = 4</ans", &st), 5);
        assert_eq!(held_back("x = 4\n", &st), 1);
        assert_eq!(held_back("x = 4", &st), 0);
        assert_eq!(held_back("é", &stops(&["éa"])), 2);
    }
}
