//! Building requirements from IFEval rows (`instruction_id_list` + `kwargs`) and back.
//!
//! The kwargs are validated the way the Python reference's `build_description`
//! reads them, except that where Python would draw a random value (a missing,
//! null, negative or out-of-range argument) this is a typed error naming the field.

use serde_json::{Map, Value, json};

use super::error::{RequirementError, Result};
use super::requirement::{Language, Relation, Requirement, RequirementKind};

/// The kwargs fields each IFEval instruction takes.
fn accepted_fields(kind: RequirementKind) -> &'static [&'static str] {
    use RequirementKind as K;
    match kind {
        K::Keywords => &["keywords"],
        K::KeywordFrequency => &["keyword", "frequency", "relation"],
        K::ForbiddenWords => &["forbidden_words"],
        K::LetterFrequency => &["letter", "let_frequency", "let_relation"],
        K::ResponseLanguage => &["language"],
        K::NumberSentences => &["num_sentences", "relation"],
        K::NumberParagraphs => &["num_paragraphs"],
        K::NumberWords => &["num_words", "relation"],
        K::NthParagraphFirstWord => &["num_paragraphs", "nth_paragraph", "first_word"],
        K::NumberPlaceholders => &["num_placeholders"],
        K::Postscript => &["postscript_marker"],
        K::NumberBulletLists => &["num_bullets"],
        K::NumberHighlightedSections => &["num_highlights"],
        K::MultipleSections => &["section_spliter", "num_sections"],
        K::RepeatPrompt => &["prompt_to_repeat"],
        K::EndPhrase => &["end_phrase"],
        K::CapitalWordFrequency => &["capital_frequency", "capital_relation"],
        K::ConstrainedResponse
        | K::JsonFormat
        | K::Title
        | K::TwoResponses
        | K::EnglishCapital
        | K::EnglishLowercase
        | K::NoComma
        | K::Quotation
        | K::WordsPerSentence
        | K::NumberLines => &[],
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "an integer",
        Value::Number(_) => "a decimal number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Typed access to one instruction's kwargs.
struct Args<'a> {
    instruction: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    fn get(&self, field: &'static str) -> Result<&'a Value> {
        match self.map.get(field) {
            None | Some(Value::Null) => Err(RequirementError::MissingField {
                instruction: self.instruction.to_string(),
                field,
            }),
            Some(v) => Ok(v),
        }
    }

    fn wrong_type(&self, field: &str, expected: &'static str, v: &Value) -> RequirementError {
        RequirementError::WrongType {
            instruction: self.instruction.to_string(),
            field: field.to_string(),
            expected,
            found: format!("{} ({v})", json_type(v)),
        }
    }

    fn bad_value(&self, field: &'static str, v: &Value, reason: &str) -> RequirementError {
        RequirementError::BadValue {
            instruction: self.instruction.to_string(),
            field,
            value: v.to_string(),
            reason: reason.to_string(),
        }
    }

    fn count(&self, field: &'static str) -> Result<usize> {
        let v = self.get(field)?;
        match v {
            Value::Number(n) if n.is_u64() => n
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| self.bad_value(field, v, "too large")),
            Value::Number(n) if n.is_i64() => Err(self.bad_value(field, v, "must not be negative")),
            _ => Err(self.wrong_type(field, "a non-negative integer", v)),
        }
    }

    /// A string, stripped of surrounding whitespace, that must not be empty.
    fn text(&self, field: &'static str) -> Result<String> {
        let v = self.get(field)?;
        let s = v
            .as_str()
            .ok_or_else(|| self.wrong_type(field, "a string", v))?;
        let s = s.trim();
        if s.is_empty() {
            return Err(self.bad_value(field, v, "must not be empty"));
        }
        Ok(s.to_string())
    }

    fn texts(&self, field: &'static str) -> Result<Vec<String>> {
        let v = self.get(field)?;
        let items = v
            .as_array()
            .ok_or_else(|| self.wrong_type(field, "an array of strings", v))?;
        if items.is_empty() {
            return Err(self.bad_value(field, v, "must not be empty"));
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let s = item
                .as_str()
                .ok_or_else(|| self.wrong_type(&format!("{field}[{i}]"), "a string", item))?;
            if s.trim().is_empty() {
                return Err(self.bad_value(field, v, "must not contain an empty string"));
            }
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        Ok(out)
    }

    fn relation(&self, field: &'static str) -> Result<Relation> {
        let v = self.get(field)?;
        match v.as_str() {
            Some("less than") => Ok(Relation::LessThan),
            Some("at least") => Ok(Relation::AtLeast),
            Some(_) => Err(self.bad_value(field, v, "must be \"less than\" or \"at least\"")),
            None => Err(self.wrong_type(field, "a string", v)),
        }
    }
}

impl Requirement {
    /// The requirement an IFEval row asks for: `instruction_id` such as
    /// `"length_constraints:number_words"` and its `kwargs` object such as
    /// `{"relation": "at least", "num_words": 300}`.
    pub fn from_ifeval(instruction_id: &str, kwargs: &Value) -> Result<Requirement> {
        let kind = RequirementKind::from_ifeval_id(instruction_id).ok_or_else(|| {
            RequirementError::UnknownInstruction {
                id: instruction_id.to_string(),
            }
        })?;
        let map = kwargs
            .as_object()
            .ok_or_else(|| RequirementError::KwargsNotObject {
                instruction: instruction_id.to_string(),
                found: json_type(kwargs),
            })?;
        let accepted = accepted_fields(kind);
        if let Some((field, _)) = map
            .iter()
            .find(|(k, v)| !v.is_null() && !accepted.contains(&k.as_str()))
        {
            return Err(RequirementError::UnexpectedField {
                instruction: instruction_id.to_string(),
                field: field.clone(),
                accepted: if accepted.is_empty() {
                    "no fields".to_string()
                } else {
                    accepted.join(", ")
                },
            });
        }
        let a = Args {
            instruction: instruction_id,
            map,
        };
        use Requirement as R;
        use RequirementKind as K;
        Ok(match kind {
            K::Keywords => R::Keywords {
                keywords: a.texts("keywords")?,
            },
            K::KeywordFrequency => R::KeywordFrequency {
                keyword: a.text("keyword")?,
                relation: a.relation("relation")?,
                count: a.count("frequency")?,
            },
            K::ForbiddenWords => R::ForbiddenWords {
                words: a.texts("forbidden_words")?,
            },
            K::LetterFrequency => {
                let v = a.get("letter")?;
                let s = v
                    .as_str()
                    .ok_or_else(|| a.wrong_type("letter", "a string", v))?;
                let mut lower = s.chars().flat_map(char::to_lowercase);
                let letter = match (s.chars().count(), lower.next(), lower.next()) {
                    (1, Some(c), None) => c,
                    _ => return Err(a.bad_value("letter", v, "must be a single character")),
                };
                R::LetterFrequency {
                    letter,
                    relation: a.relation("let_relation")?,
                    count: a.count("let_frequency")?,
                }
            }
            K::ResponseLanguage => {
                let v = a.get("language")?;
                let code = v
                    .as_str()
                    .ok_or_else(|| a.wrong_type("language", "a string", v))?;
                let language = Language::from_code(code).ok_or_else(|| {
                    a.bad_value(
                        "language",
                        v,
                        "not one of IFEval's 30 ISO 639-1 language codes",
                    )
                })?;
                R::ResponseLanguage { language }
            }
            K::NumberSentences => R::NumberSentences {
                relation: a.relation("relation")?,
                count: a.count("num_sentences")?,
            },
            K::NumberParagraphs => R::NumberParagraphs {
                relation: Relation::Exactly,
                count: a.count("num_paragraphs")?,
            },
            K::NumberWords => R::NumberWords {
                relation: a.relation("relation")?,
                count: a.count("num_words")?,
            },
            K::NthParagraphFirstWord => {
                let paragraphs = a.count("num_paragraphs")?;
                let nth = a.count("nth_paragraph")?;
                if nth == 0 || nth > paragraphs {
                    let v = a.get("nth_paragraph")?;
                    return Err(a.bad_value(
                        "nth_paragraph",
                        v,
                        &format!("must be between 1 and num_paragraphs ({paragraphs})"),
                    ));
                }
                R::NthParagraphFirstWord {
                    paragraphs,
                    nth,
                    first_word: a.text("first_word")?.to_lowercase(),
                }
            }
            K::NumberPlaceholders => R::NumberPlaceholders {
                relation: Relation::AtLeast,
                count: a.count("num_placeholders")?,
            },
            K::Postscript => R::Postscript {
                marker: a.text("postscript_marker")?,
            },
            K::NumberBulletLists => R::NumberBulletLists {
                relation: Relation::Exactly,
                count: a.count("num_bullets")?,
            },
            K::ConstrainedResponse => R::ConstrainedResponse,
            K::NumberHighlightedSections => R::NumberHighlightedSections {
                relation: Relation::AtLeast,
                count: a.count("num_highlights")?,
            },
            K::MultipleSections => R::MultipleSections {
                splitter: a.text("section_spliter")?,
                relation: Relation::AtLeast,
                count: a.count("num_sections")?,
            },
            K::JsonFormat => R::JsonFormat,
            K::Title => R::Title,
            K::TwoResponses => R::TwoResponses,
            K::RepeatPrompt => {
                let v = a.get("prompt_to_repeat")?;
                let s = v
                    .as_str()
                    .ok_or_else(|| a.wrong_type("prompt_to_repeat", "a string", v))?;
                if s.trim().is_empty() {
                    return Err(a.bad_value("prompt_to_repeat", v, "must not be empty"));
                }
                R::RepeatPrompt {
                    prompt_to_repeat: s.to_string(),
                }
            }
            K::EndPhrase => R::EndPhrase {
                phrase: a.text("end_phrase")?,
            },
            K::CapitalWordFrequency => R::CapitalWordFrequency {
                relation: a.relation("capital_relation")?,
                count: a.count("capital_frequency")?,
            },
            K::EnglishCapital => R::EnglishCapital,
            K::EnglishLowercase => R::EnglishLowercase,
            K::NoComma => R::NoComma,
            K::Quotation => R::Quotation,
            // Not IFEval kinds: `from_ifeval_id` never yields them.
            K::WordsPerSentence | K::NumberLines => {
                return Err(RequirementError::UnknownInstruction {
                    id: instruction_id.to_string(),
                });
            }
        })
    }

    /// The IFEval `(instruction_id, kwargs)` of this requirement, or `None` if IFEval
    /// cannot express it (flinch's own kinds, or a relation IFEval lacks for that type).
    pub fn to_ifeval(&self) -> Option<(&'static str, Value)> {
        use Requirement as R;
        let rel = |r: &Relation| r.ifeval_name();
        let only = |r: &Relation, wanted: Relation| (*r == wanted).then_some(());
        let kwargs = match self {
            R::Keywords { keywords } => json!({ "keywords": keywords }),
            R::KeywordFrequency {
                keyword,
                relation,
                count,
            } => json!({ "keyword": keyword, "frequency": count, "relation": rel(relation)? }),
            R::ForbiddenWords { words } => json!({ "forbidden_words": words }),
            R::LetterFrequency {
                letter,
                relation,
                count,
            } => {
                json!({ "letter": letter.to_string(), "let_frequency": count, "let_relation": rel(relation)? })
            }
            R::ResponseLanguage { language } => json!({ "language": language.code() }),
            R::NumberSentences { relation, count } => {
                json!({ "num_sentences": count, "relation": rel(relation)? })
            }
            R::NumberParagraphs { relation, count } => {
                only(relation, Relation::Exactly)?;
                json!({ "num_paragraphs": count })
            }
            R::NumberWords { relation, count } => {
                json!({ "num_words": count, "relation": rel(relation)? })
            }
            R::NthParagraphFirstWord {
                paragraphs,
                nth,
                first_word,
            } => {
                json!({ "num_paragraphs": paragraphs, "nth_paragraph": nth, "first_word": first_word })
            }
            R::NumberPlaceholders { relation, count } => {
                only(relation, Relation::AtLeast)?;
                json!({ "num_placeholders": count })
            }
            R::Postscript { marker } => json!({ "postscript_marker": marker }),
            R::NumberBulletLists { relation, count } => {
                only(relation, Relation::Exactly)?;
                json!({ "num_bullets": count })
            }
            R::NumberHighlightedSections { relation, count } => {
                only(relation, Relation::AtLeast)?;
                json!({ "num_highlights": count })
            }
            R::MultipleSections {
                splitter,
                relation,
                count,
            } => {
                only(relation, Relation::AtLeast)?;
                json!({ "section_spliter": splitter, "num_sections": count })
            }
            R::RepeatPrompt { prompt_to_repeat } => json!({ "prompt_to_repeat": prompt_to_repeat }),
            R::EndPhrase { phrase } => json!({ "end_phrase": phrase }),
            R::CapitalWordFrequency { relation, count } => {
                json!({ "capital_frequency": count, "capital_relation": rel(relation)? })
            }
            R::ConstrainedResponse
            | R::JsonFormat
            | R::Title
            | R::TwoResponses
            | R::EnglishCapital
            | R::EnglishLowercase
            | R::NoComma
            | R::Quotation => json!({}),
            R::WordsPerSentence { .. } | R::NumberLines { .. } => return None,
        };
        Some((self.kind().ifeval_id()?, kwargs))
    }
}
