//! The streaming hold-back buffer: text a post-pass would strip must never
//! reach a streaming client. The post-passes look for phrases (a retraction
//! such as "Wait, let me recheck", a persona break such as "as an AI
//! language model"); every one of them is shorter than [`HOLD_BACK_CHARS`].
//! So the buffer keeps back the last `HOLD_BACK_CHARS` characters of the
//! text and checks the whole text at every delta: a phrase is found before
//! its first character would leave the buffer. Once a phrase is found,
//! nothing more is streamed; the post-passed answer decides the rest.
//!
//! The cost is latency, not throughput: the first characters of an answer
//! leave the server once `HOLD_BACK_CHARS` more have been generated (about
//! 16 tokens of English), and the last `HOLD_BACK_CHARS` arrive together
//! when the answer is done. Raw answers (no post-passes) are not held back.

use flinch_guardrails::postpass::PostPass;

/// Characters kept back from a streaming client.
pub const HOLD_BACK_CHARS: usize = 64;

/// How a stream ends once the pipeline's final text is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The final text continues what was streamed: send this remainder.
    Rest(String),
    /// A post-pass changed text that was already streamed (or the answer
    /// came from a tool route after a fallback): the client gets the final
    /// text in the `flinch` field of the last chunk.
    Revised,
}

/// The buffer between the generation's deltas and the client.
#[derive(Debug)]
pub struct HoldBack {
    passes: Vec<PostPass>,
    window: usize,
    /// Everything generated so far.
    text: String,
    /// Bytes of the visible text (`text` without leading whitespace) sent.
    sent: usize,
    /// A post-pass matched: nothing more is streamed.
    stopped: bool,
}

impl HoldBack {
    /// A buffer for an answer that the given post-passes will check (none:
    /// only surrounding whitespace is held back).
    pub fn new(passes: Vec<PostPass>) -> Self {
        let window = if passes.is_empty() {
            0
        } else {
            HOLD_BACK_CHARS
        };
        Self {
            passes,
            window,
            text: String::new(),
            sent: 0,
            stopped: false,
        }
    }

    /// Take a delta of generated text; returns what may be sent now.
    pub fn push(&mut self, delta: &str) -> Option<String> {
        self.text.push_str(delta);
        if self.stopped {
            return None;
        }
        let visible = self.text.trim_start();
        if self.passes.iter().any(|p| !p.check(visible).is_clean()) {
            self.stopped = true;
            return None;
        }
        // Never send trailing whitespace: the final text is trimmed.
        let settled = visible.trim_end().len();
        let held = visible
            .char_indices()
            .rev()
            .nth(self.window.saturating_sub(1))
            .map_or(0, |(i, _)| i);
        let end = if self.window == 0 {
            settled
        } else {
            held.min(settled)
        };
        if end <= self.sent {
            return None;
        }
        let out = visible[self.sent..end].to_owned();
        self.sent = end;
        Some(out)
    }

    /// What was sent so far.
    pub fn sent(&self) -> &str {
        &self.text.trim_start()[..self.sent]
    }

    /// How the stream ends given the answer's final text.
    pub fn finish(&self, final_text: &str) -> Ending {
        match final_text.strip_prefix(self.sent()) {
            Some(rest) => Ending::Rest(rest.to_owned()),
            None => Ending::Revised,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flinch_guardrails::postpass::strip_self_correction;

    /// Feed `text` in chunks of `size` characters; returns what was sent.
    fn stream(passes: Vec<PostPass>, text: &str, size: usize) -> (HoldBack, String) {
        let mut h = HoldBack::new(passes);
        let chars: Vec<char> = text.chars().collect();
        let mut sent = String::new();
        for chunk in chars.chunks(size) {
            if let Some(s) = h.push(&chunk.iter().collect::<String>()) {
                sent.push_str(&s);
            }
        }
        assert_eq!(sent, h.sent());
        (h, sent)
    }

    const BOTH: [PostPass; 2] = [PostPass::SelfCorrection, PostPass::PersonaBreak];

    #[test]
    fn clean_text_streams_with_the_window_held_back_and_ends_exactly() {
        let text = " Paris is the capital of France. It lies on the Seine and has about two million people.\n";
        let (h, sent) = stream(BOTH.to_vec(), text, 3);
        let visible = text.trim();
        assert!(visible.starts_with(&sent));
        // The window counts the trailing newline, which is never sent.
        assert_eq!(
            sent.chars().count(),
            text.trim_start().chars().count() - HOLD_BACK_CHARS
        );
        assert_eq!(
            h.finish(visible),
            Ending::Rest(visible[sent.len()..].to_owned())
        );
    }

    #[test]
    fn raw_text_is_not_held_back_but_whitespace_at_the_ends_is() {
        let (h, sent) = stream(Vec::new(), "  Hello there. \n", 1);
        assert_eq!(sent, "Hello there.");
        assert_eq!(h.finish("Hello there."), Ending::Rest(String::new()));
    }

    /// Every artifact the post-pass tests know, in the middle of a longer
    /// answer, streamed one character at a time and in larger deltas: no
    /// character of the artifact is ever sent.
    #[test]
    fn no_character_of_an_artifact_reaches_the_client() {
        let artifacts = [
            "Wait, let me recheck: 5×20 + 3×30 + 2×45 = 280.",
            "Corrected Answer: He spends $280.",
            "Actually, the answer is 14.",
            "On second thought, it is 14.",
            "Hmm, I made a mistake here.",
            "I made a miscalculation above.",
            "Let me double-check this.",
            "**Wait, I need to double-check the total.**",
            "Final corrected calculation: 280.",
            "As an AI language model, I don't have a ship.",
            "I am merely a machine learning model, matey.",
            "I do not possess personal experiences of the sea.",
            "I'm not a real person, but I like ships.",
            "I was trained by Google.",
            "That is in my training data.",
        ];
        let lead = "He buys 5 books at $20, 3 at $30 and 2 at $45, so he spends $245 in total. ";
        for artifact in artifacts {
            let text = format!("{lead}{artifact} And that is all.");
            for size in [1, 2, 5, 9] {
                let (h, sent) = stream(BOTH.to_vec(), &text, size);
                assert!(
                    sent.len() <= lead.trim_end().len(),
                    "{artifact:?} in chunks of {size}: sent {sent:?}"
                );
                assert!(h.stopped, "{artifact:?} was not caught");
            }
        }
    }

    #[test]
    fn a_repair_that_keeps_the_start_ends_with_the_rest_and_one_that_replaces_it_is_revised() {
        let kept = "The total is 9, which is what the question asks for in this case. Let me double-check.";
        let (h, sent) = stream(vec![PostPass::SelfCorrection], kept, 4);
        assert!(!sent.is_empty());
        let fixed = strip_self_correction(kept);
        assert_eq!(fixed, kept[..kept.find(" Let me").unwrap()]);
        assert_eq!(
            h.finish(&fixed),
            Ending::Rest(fixed[sent.len()..].to_owned())
        );

        let replaced = "He spends $245 in total, counting every book he bought at the shop. Wait, let me recheck: 5×20 + 3×30 + 2×45 = 280. Corrected Answer: He spends $280.";
        let (h, _) = stream(vec![PostPass::SelfCorrection], replaced, 4);
        assert_eq!(h.finish(&strip_self_correction(replaced)), Ending::Revised);
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let text = "Ünïcödé façade — naïve café, smörgåsbord and jalapeño, über alles in the 東京 night sky. 🎉🎉";
        let (h, sent) = stream(BOTH.to_vec(), text, 1);
        assert!(text.starts_with(&sent));
        assert_eq!(h.finish(text), Ending::Rest(text[sent.len()..].to_owned()));
    }
}
