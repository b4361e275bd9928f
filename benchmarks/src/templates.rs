//! The raw-mode prompt files under `benchmarks/prompts/`, compiled in and
//! addressed by [`Template`]. Placeholders are `{name}`; a file uses exactly
//! the placeholders it declares (checked by [`Template::check`] and a test),
//! and rendering substitutes values verbatim (braces inside values, as in
//! the Dyck-language exemplars, are never parsed).

use anyhow::bail;

macro_rules! templates {
    ($( $(#[$doc:meta])* $id:ident => $file:literal [$($ph:literal),*] ),* $(,)?) => {
        /// A raw-mode prompt file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Template { $( $(#[$doc])* $id ),* }

        impl Template {
            pub const ALL: &'static [Template] = &[$(Template::$id),*];

            /// File name under `benchmarks/prompts/`.
            pub fn file(self) -> &'static str {
                match self { $(Template::$id => $file),* }
            }

            /// The file's text as compiled in.
            pub fn text(self) -> &'static str {
                match self { $(Template::$id => include_str!(concat!("../prompts/", $file))),* }
            }

            /// The placeholders the file takes.
            pub fn placeholders(self) -> &'static [&'static str] {
                match self { $(Template::$id => &[$($ph),*]),* }
            }
        }
    };
}

templates! {
    /// GSM8K: the first 8 GSM8K *train* solutions as chain-of-thought exemplars.
    Gsm8kCot => "gsm8k-cot-8shot.txt" ["question"],
    /// BBH: a task's 3-shot chain-of-thought prompt, then the question.
    BbhCot => "bbh-cot.txt" ["examples", "question"],
    /// ProntoQA: hand-written 2-shot chain-of-thought (invented words, no dataset items).
    ProntoqaCot => "prontoqa-cot-2shot.txt" ["question"],
    /// LogicBench BQA: hand-written 2-shot chain-of-thought.
    LogicbenchBqaCot => "logicbench-bqa-cot-2shot.txt" ["question"],
    /// LogicBench MCQA: hand-written 2-shot chain-of-thought.
    LogicbenchMcqaCot => "logicbench-mcqa-cot-2shot.txt" ["question"],
}

/// The placeholder names a text uses, in order.
fn used(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let tail = &rest[i + 1..];
        match tail.find('}') {
            Some(end)
                if !tail[..end].is_empty()
                    && tail[..end]
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_') =>
            {
                out.push(&tail[..end]);
                rest = &tail[end + 1..];
            }
            _ => rest = tail,
        }
    }
    out
}

impl Template {
    /// Check that the file uses exactly its declared placeholders, once each.
    pub fn check(self) -> anyhow::Result<()> {
        let used = used(self.text());
        for u in &used {
            if !self.placeholders().contains(u) {
                bail!("prompt {}: unknown placeholder `{{{u}}}`", self.file());
            }
        }
        for p in self.placeholders() {
            match used.iter().filter(|u| *u == p).count() {
                1 => {}
                0 => bail!(
                    "prompt {}: placeholder `{{{p}}}` is never used",
                    self.file()
                ),
                _ => bail!(
                    "prompt {}: placeholder `{{{p}}}` is used more than once",
                    self.file()
                ),
            }
        }
        Ok(())
    }

    /// The prompt with every placeholder replaced by its value.
    pub fn render(self, values: &[(&str, &str)]) -> anyhow::Result<String> {
        self.check()?;
        for p in self.placeholders() {
            if !values.iter().any(|(k, _)| k == p) {
                bail!("prompt {}: no value for `{{{p}}}`", self.file());
            }
        }
        // Split at the placeholders first so that values are never rescanned.
        let mut out = String::new();
        let mut rest = self.text();
        while let Some((at, name)) = self
            .placeholders()
            .iter()
            .filter_map(|p| rest.find(&format!("{{{p}}}")).map(|i| (i, *p)))
            .min()
        {
            out.push_str(&rest[..at]);
            let value = values
                .iter()
                .find(|(k, _)| *k == name)
                .map_or("", |(_, v)| *v);
            out.push_str(value);
            rest = &rest[at + name.len() + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_uses_exactly_its_placeholders() {
        for t in Template::ALL {
            t.check().unwrap();
        }
    }

    #[test]
    fn values_with_braces_are_inserted_verbatim() {
        let p = Template::BbhCot
            .render(&[("examples", "Q: { [ ( {question}"), ("question", "} ] )")])
            .unwrap();
        assert_eq!(
            p,
            "Q: { [ ( {question}\n\nQ: } ] )\nA: Let's think step by step."
        );
    }

    #[test]
    fn a_missing_value_is_an_error() {
        let e = Template::BbhCot.render(&[("question", "x")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompt bbh-cot.txt: no value for `{examples}`"
        );
    }
}
