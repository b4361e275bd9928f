//! Choosing the next token from logits: greedy or seeded random sampling
//! with temperature, top-k and top-p, after an optional repetition penalty.

use crate::error::{Error, Result};
use crate::ops;
use crate::request::{RepeatPenalty, Sampling};

/// SplitMix64: a small, fast, seedable generator (sampling needs no more).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Check sampling parameters before any work is done.
pub(crate) fn validate(sampling: &Sampling, penalty: &Option<RepeatPenalty>) -> Result<()> {
    let bad = |reason: String| Err(Error::InvalidRequest { reason });
    if let Sampling::Random {
        temperature,
        top_k,
        top_p,
    } = *sampling
    {
        if !(temperature.is_finite() && temperature > 0.0) {
            return bad(format!(
                "temperature must be a positive number, got {temperature}; use Sampling::Greedy for 0"
            ));
        }
        if top_k == Some(0) {
            return bad("top_k must be at least 1".into());
        }
        if let Some(p) = top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return bad(format!("top_p must be in (0, 1], got {p}"));
        }
    }
    if let Some(p) = penalty
        && !(p.penalty.is_finite() && p.penalty > 0.0)
    {
        return bad(format!(
            "repeat penalty must be a positive number, got {}",
            p.penalty
        ));
    }
    Ok(())
}

/// The sampler of one sequence.
#[derive(Debug, Clone)]
pub(crate) struct Sampler {
    sampling: Sampling,
    penalty: Option<RepeatPenalty>,
    rng: Rng,
}

/// A chosen token and its log-probability (temperature 1, before penalties)
/// among the candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Choice {
    pub id: u32,
    pub logprob: f64,
}

impl Sampler {
    pub fn new(sampling: Sampling, penalty: Option<RepeatPenalty>, seed: u64) -> Self {
        Self {
            sampling,
            penalty,
            rng: Rng::new(seed),
        }
    }

    /// Choose among `logits`, where `logits[j]` is the logit of token
    /// `ids[j]` (or of token `j` when `ids` is `None`). `history` holds the
    /// tokens so far, for the repetition penalty. `known` is the summary
    /// of `logits` if the caller has computed it.
    pub fn sample(
        &mut self,
        logits: &mut [f32],
        ids: Option<&[u32]>,
        history: &[u32],
        known: Option<Summary>,
    ) -> Choice {
        let id_of = |j: usize| ids.map_or(j as u32, |ids| ids[j]);
        let lse = known.map_or_else(|| ops::log_sum_exp(logits), |k| k.lse);
        // The penalty changes logits in place; keep the raw ones for the logprob.
        let raw: Option<Vec<f32>> = self.penalty.map(|_| logits.to_vec());
        if let Some(p) = self.penalty {
            let recent = &history[history.len().saturating_sub(p.last_n)..];
            let apply = |v: &mut f32| {
                if *v > 0.0 {
                    *v /= p.penalty
                } else {
                    *v *= p.penalty
                }
            };
            match ids {
                None => {
                    let mut seen = recent.to_vec();
                    seen.sort_unstable();
                    seen.dedup();
                    for t in seen {
                        if let Some(v) = logits.get_mut(t as usize) {
                            apply(v);
                        }
                    }
                }
                Some(ids) => {
                    for (j, id) in ids.iter().enumerate() {
                        if recent.contains(id) {
                            apply(&mut logits[j]);
                        }
                    }
                }
            }
        }
        let j = match self.sampling {
            Sampling::Greedy => match (known, self.penalty) {
                (Some(k), None) => k.argmax,
                _ => argmax(logits),
            },
            Sampling::Random {
                temperature,
                top_k,
                top_p,
            } => self.random(logits, temperature, top_k, top_p),
        };
        let logit = raw.as_ref().map_or(logits[j], |r| r[j]);
        Choice {
            id: id_of(j),
            logprob: (logit - lse) as f64,
        }
    }

    /// The greedy choice from a summary of the logits: the first largest
    /// logit, with the log-probability `sample` gives it (no penalty).
    pub fn greedy_from(p: &ops::Partial) -> Choice {
        Choice {
            id: p.at as u32,
            logprob: (p.max - p.log_sum_exp()) as f64,
        }
    }

    fn random(
        &mut self,
        logits: &[f32],
        temperature: f32,
        top_k: Option<usize>,
        top_p: Option<f32>,
    ) -> usize {
        let mut cand: Vec<(usize, f32)> = logits.iter().copied().enumerate().collect();
        let k = top_k.unwrap_or(cand.len()).min(cand.len()).max(1);
        if k < cand.len() {
            cand.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
            cand.truncate(k);
        }
        cand.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let max = cand[0].1;
        let mut probs: Vec<f64> = cand
            .iter()
            .map(|c| (((c.1 - max) / temperature) as f64).exp())
            .collect();
        let sum: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= sum);
        if let Some(p) = top_p {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (i, q) in probs.iter().enumerate() {
                acc += q;
                if acc >= p as f64 {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep);
            let sum: f64 = probs.iter().sum();
            probs.iter_mut().for_each(|q| *q /= sum);
        }
        let r = self.rng.next_f64();
        let mut acc = 0.0;
        for (i, q) in probs.iter().enumerate() {
            acc += q;
            if r < acc {
                return cand[i].0;
            }
        }
        cand[probs.len() - 1].0
    }
}

/// What a caller may compute of a sequence's logits ahead of sampling (the
/// decode loop does it for every sequence of a batch on the pool's threads:
/// over a large vocabulary it is a large part of a batched step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    /// log Σ exp(logits).
    pub lse: f32,
    /// The first position of the largest logit.
    pub argmax: usize,
}

impl Summary {
    #[cfg(test)]
    pub fn of(logits: &[f32]) -> Self {
        Self::from(ops::Partial::of_row(logits))
    }
}

impl From<ops::Partial> for Summary {
    fn from(p: ops::Partial) -> Self {
        Self {
            lse: p.log_sum_exp(),
            argmax: p.at,
        }
    }
}

/// The first position of the largest value (0 if there is none).
pub(crate) fn argmax(v: &[f32]) -> usize {
    first_of(v, ops::max(v))
}

/// The first position of `max` in `v` (0 if it is not there).
pub(crate) fn first_of(v: &[f32], max: f32) -> usize {
    v.iter().position(|&x| x == max).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_largest() {
        let mut v: Vec<f32> = (0..1000).map(|i| ((i * 37) % 101) as f32).collect();
        assert_eq!(argmax(&v), 30); // 30 · 37 = 1110 = 10 · 101 + 100: the first 100
        v[999] = 1e9;
        assert_eq!(argmax(&v), 999);
        assert_eq!(argmax(&[f32::NEG_INFINITY; 3]), 0);
        assert_eq!(argmax(&[]), 0);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
    }

    #[test]
    fn greedy_takes_the_largest_logit_and_reports_its_logprob() {
        let mut s = Sampler::new(Sampling::Greedy, None, 0);
        let mut l = vec![0.0, 2.0, 1.0];
        let c = s.sample(&mut l, None, &[], None);
        assert_eq!(c.id, 1);
        let expect = 2.0 - (1f64 + 2f64.exp() + 1f64.exp()).ln();
        assert!((c.logprob - expect).abs() < 1e-6);
    }

    #[test]
    fn a_precomputed_summary_gives_the_same_choice() {
        let l: Vec<f32> = (0..1000).map(|i| ((i * 37) % 101) as f32 * 0.1).collect();
        let k = Summary::of(&l);
        assert_eq!(k.argmax, argmax(&l));
        assert_eq!(k.lse, ops::log_sum_exp(&l));
        let mut s = Sampler::new(Sampling::Greedy, None, 0);
        let plain = s.sample(&mut l.clone(), None, &[], None);
        assert_eq!(s.sample(&mut l.clone(), None, &[], Some(k)), plain);
        // A repetition penalty changes the logits, so the summary's argmax
        // is not used.
        let p = RepeatPenalty {
            penalty: 100.0,
            last_n: 4,
        };
        let mut s = Sampler::new(Sampling::Greedy, Some(p), 0);
        let seen = [k.argmax as u32];
        let plain = s.sample(&mut l.clone(), None, &seen, None);
        assert_ne!(plain.id, k.argmax as u32);
        assert_eq!(s.sample(&mut l.clone(), None, &seen, Some(k)), plain);
    }

    #[test]
    fn restricted_ids_map_back_to_token_ids() {
        let mut s = Sampler::new(Sampling::Greedy, None, 0);
        let mut l = vec![0.5, 3.0];
        assert_eq!(s.sample(&mut l, Some(&[40, 7]), &[], None).id, 7);
    }

    #[test]
    fn repeat_penalty_demotes_seen_tokens() {
        let p = RepeatPenalty {
            penalty: 2.0,
            last_n: 4,
        };
        let mut s = Sampler::new(Sampling::Greedy, Some(p), 0);
        let mut l = vec![1.5, 1.0];
        assert_eq!(s.sample(&mut l, None, &[0], None).id, 1);
        assert_eq!(l[0], 0.75);
    }

    #[test]
    fn seeded_sampling_is_reproducible_and_follows_the_distribution() {
        let sampling = Sampling::Random {
            temperature: 1.0,
            top_k: None,
            top_p: None,
        };
        let logits = vec![0.0, 1.0f32.ln(), 2.0f32.ln()]; // probs 1/4, 1/4, 2/4
        let draw = |seed| {
            let mut s = Sampler::new(sampling, None, seed);
            (0..4000)
                .map(|_| s.sample(&mut logits.clone(), None, &[], None).id)
                .collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
        let twos = a.iter().filter(|&&i| i == 2).count() as f64 / a.len() as f64;
        assert!((twos - 0.5).abs() < 0.03, "{twos}");
    }

    #[test]
    fn top_k_one_is_greedy() {
        let sampling = Sampling::Random {
            temperature: 5.0,
            top_k: Some(1),
            top_p: None,
        };
        let mut s = Sampler::new(sampling, None, 3);
        for _ in 0..50 {
            assert_eq!(s.sample(&mut [0.1, 0.3, 0.2], None, &[], None).id, 1);
        }
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let e = validate(
            &Sampling::Random {
                temperature: 0.0,
                top_k: None,
                top_p: None,
            },
            &None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid request: temperature must be a positive number, got 0; use Sampling::Greedy for 0"
        );
    }
}
