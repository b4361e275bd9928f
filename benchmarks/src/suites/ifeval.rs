//! IFEval: `{"key", "prompt", "instruction_id_list", "kwargs"}` rows. Raw
//! mode sends the prompt as given (as a chat message); every row's
//! instructions must convert to requirements, checked when loading.

use std::path::Path;

use anyhow::{Context, bail};
use flinch_guardrails::requirements::Requirement;
use serde::Deserialize;
use serde_json::Value;

use crate::suite::{Gold, Item, RawPrompt, Suite};

#[derive(Deserialize)]
struct Row {
    key: Value,
    prompt: String,
    instruction_id_list: Vec<String>,
    kwargs: Vec<Value>,
}

/// The requirements of an IFEval gold, in order.
pub fn requirements(
    instruction_id_list: &[String],
    kwargs: &[Value],
) -> anyhow::Result<Vec<Requirement>> {
    if instruction_id_list.len() != kwargs.len() {
        bail!(
            "{} instruction ids but {} kwargs objects: they must be aligned",
            instruction_id_list.len(),
            kwargs.len()
        );
    }
    instruction_id_list
        .iter()
        .zip(kwargs)
        .map(|(id, kw)| Ok(Requirement::from_ifeval(id, kw)?))
        .collect()
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Item>> {
    let rows: Vec<Row> = super::jsonl(
        path,
        "an IFEval row {\"key\", \"prompt\", \"instruction_id_list\", \"kwargs\"}",
    )?;
    if rows.is_empty() {
        bail!("{}: no IFEval rows", path.display());
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let key = match &r.key {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            requirements(&r.instruction_id_list, &r.kwargs)
                .with_context(|| format!("{}: row {} (key {key})", path.display(), i + 1))?;
            Ok(Item {
                suite: Suite::Ifeval,
                task: String::new(),
                id: key,
                question: r.prompt,
                gold: Gold::Instructions {
                    instruction_id_list: r.instruction_id_list,
                    kwargs: r.kwargs,
                },
                raw: RawPrompt::Chat,
                rank: i,
                group: i,
                previous: None,
                judge_references: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_copy_loads() {
        let items = load(&Suite::Ifeval.default_data()).unwrap();
        assert_eq!(items.len(), 433);
        assert_eq!(items[0].id, "1000");
        let Gold::Instructions {
            instruction_id_list,
            ..
        } = &items[0].gold
        else {
            panic!()
        };
        assert_eq!(instruction_id_list[0], "punctuation:no_comma");
    }

    #[test]
    fn misaligned_kwargs_are_an_error() {
        let e = requirements(&["punctuation:no_comma".to_owned()], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "1 instruction ids but 0 kwargs objects: they must be aligned"
        );
    }
}
