//! The typed requirements: one variant per IFEval instruction type plus flinch's own
//! structural constraints, the comparison relations, and the short imperative
//! description used in draft and refine prompts.

use serde::{Deserialize, Serialize};

/// How a measured count must compare with the required number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// `found < n` (IFEval "less than").
    LessThan,
    /// `found <= n`.
    AtMost,
    /// `found == n`.
    Exactly,
    /// `found >= n` (IFEval "at least").
    AtLeast,
    /// `found > n`.
    MoreThan,
}

impl Relation {
    /// Whether `found` satisfies the relation with `n`.
    pub fn holds(self, found: usize, n: usize) -> bool {
        match self {
            Relation::LessThan => found < n,
            Relation::AtMost => found <= n,
            Relation::Exactly => found == n,
            Relation::AtLeast => found >= n,
            Relation::MoreThan => found > n,
        }
    }

    /// English phrase placed before the number: "fewer than", "at most", ….
    pub fn phrase(self) -> &'static str {
        match self {
            Relation::LessThan => "fewer than",
            Relation::AtMost => "at most",
            Relation::Exactly => "exactly",
            Relation::AtLeast => "at least",
            Relation::MoreThan => "more than",
        }
    }

    /// The IFEval kwargs spelling, for the two relations IFEval has.
    pub fn ifeval_name(self) -> Option<&'static str> {
        match self {
            Relation::LessThan => Some("less than"),
            Relation::AtLeast => Some("at least"),
            _ => None,
        }
    }
}

macro_rules! languages {
    ($( $variant:ident = $code:literal, $name:literal; )*) => {
        /// A response language: the 30 ISO 639-1 codes IFEval's
        /// `language:response_language` instruction can ask for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Language {
            $( #[serde(rename = $code)] $variant, )*
        }

        impl Language {
            /// Every language, in IFEval's order.
            pub const ALL: &'static [Language] = &[$( Language::$variant, )*];

            /// ISO 639-1 code, e.g. `"hi"`.
            pub fn code(self) -> &'static str {
                match self { $( Language::$variant => $code, )* }
            }

            /// English name, e.g. `"Hindi"`.
            pub fn name(self) -> &'static str {
                match self { $( Language::$variant => $name, )* }
            }

            /// The language with this ISO 639-1 code.
            pub fn from_code(code: &str) -> Option<Language> {
                match code { $( $code => Some(Language::$variant), )* _ => None }
            }

            /// The language with this English name (case-insensitive).
            pub fn from_name(name: &str) -> Option<Language> {
                Language::ALL.iter().copied().find(|l| l.name().eq_ignore_ascii_case(name))
            }
        }
    };
}

languages! {
    English = "en", "English";
    Spanish = "es", "Spanish";
    Portuguese = "pt", "Portuguese";
    Arabic = "ar", "Arabic";
    Hindi = "hi", "Hindi";
    French = "fr", "French";
    Russian = "ru", "Russian";
    German = "de", "German";
    Japanese = "ja", "Japanese";
    Italian = "it", "Italian";
    Bengali = "bn", "Bengali";
    Ukrainian = "uk", "Ukrainian";
    Thai = "th", "Thai";
    Urdu = "ur", "Urdu";
    Tamil = "ta", "Tamil";
    Telugu = "te", "Telugu";
    Bulgarian = "bg", "Bulgarian";
    Korean = "ko", "Korean";
    Polish = "pl", "Polish";
    Hebrew = "he", "Hebrew";
    Persian = "fa", "Persian";
    Vietnamese = "vi", "Vietnamese";
    Nepali = "ne", "Nepali";
    Swahili = "sw", "Swahili";
    Kannada = "kn", "Kannada";
    Marathi = "mr", "Marathi";
    Gujarati = "gu", "Gujarati";
    Punjabi = "pa", "Punjabi";
    Malayalam = "ml", "Malayalam";
    Finnish = "fi", "Finnish";
}

/// The three answers IFEval's `detectable_format:constrained_response` accepts.
pub const CONSTRAINED_RESPONSE_OPTIONS: [&str; 3] = [
    "My answer is yes.",
    "My answer is no.",
    "My answer is maybe.",
];

/// One checkable requirement on a response.
///
/// Variants named after an IFEval instruction follow the published definition
/// (google-research `instruction_following_eval/instructions.py`); the counting
/// ones carry a [`Relation`] so that the parser can also express phrasings IFEval
/// has no kwargs for ("at most 3 bullet points"). [`Requirement::from_ifeval`]
/// sets the relation IFEval implies (e.g. `Exactly` for bullet lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Requirement {
    /// `keywords:existence`: every keyword occurs (case-insensitive substring).
    Keywords { keywords: Vec<String> },
    /// `keywords:frequency`: occurrences of `keyword` (case-insensitive substring).
    KeywordFrequency {
        keyword: String,
        relation: Relation,
        count: usize,
    },
    /// `keywords:forbidden_words`: none of the words occurs as a whole word (case-insensitive).
    ForbiddenWords { words: Vec<String> },
    /// `keywords:letter_frequency`: occurrences of one (lowercase) character in the lowercased response.
    LetterFrequency {
        letter: char,
        relation: Relation,
        count: usize,
    },
    /// `language:response_language`.
    ResponseLanguage { language: Language },
    /// `length_constraints:number_sentences` (Punkt sentences).
    NumberSentences { relation: Relation, count: usize },
    /// `length_constraints:number_paragraphs`: paragraphs separated by the markdown divider `***`
    /// (IFEval: `Exactly`).
    NumberParagraphs { relation: Relation, count: usize },
    /// `length_constraints:number_words` (`\w+` runs).
    NumberWords { relation: Relation, count: usize },
    /// `length_constraints:nth_paragraph_first_word`: exactly `paragraphs` blank-line separated
    /// paragraphs, and paragraph `nth` (1-based) starts with `first_word` (lowercase).
    NthParagraphFirstWord {
        paragraphs: usize,
        nth: usize,
        first_word: String,
    },
    /// `detectable_content:number_placeholders`: `[...]` placeholders (IFEval: `AtLeast`).
    NumberPlaceholders { relation: Relation, count: usize },
    /// `detectable_content:postscript`: a postscript starting with `marker` (e.g. `P.S.`).
    Postscript { marker: String },
    /// `detectable_format:number_bullet_lists`: markdown bullet lines `* ` / `- `
    /// (IFEval: `Exactly`).
    NumberBulletLists { relation: Relation, count: usize },
    /// `detectable_format:constrained_response`: contains one of [`CONSTRAINED_RESPONSE_OPTIONS`].
    ConstrainedResponse,
    /// `detectable_format:number_highlighted_sections`: `*highlighted*` spans (IFEval: `AtLeast`).
    NumberHighlightedSections { relation: Relation, count: usize },
    /// `detectable_format:multiple_sections`: sections opened by `splitter N`
    /// (e.g. `SECTION 1`; IFEval: `AtLeast`).
    MultipleSections {
        splitter: String,
        relation: Relation,
        count: usize,
    },
    /// `detectable_format:json_format`: the whole response (optionally in a ``` fence) is JSON.
    JsonFormat,
    /// `detectable_format:title`: a title wrapped in double angular brackets, `<<title>>`.
    Title,
    /// `combination:two_responses`: two different responses separated by `******`.
    TwoResponses,
    /// `combination:repeat_prompt`: the response starts with the request, repeated verbatim
    /// (case-insensitive).
    RepeatPrompt { prompt_to_repeat: String },
    /// `startend:end_checker`: the response ends with `phrase` (case-insensitive, trailing `"` ignored).
    EndPhrase { phrase: String },
    /// `change_case:capital_word_frequency`: words written in all capitals.
    CapitalWordFrequency { relation: Relation, count: usize },
    /// `change_case:english_capital`: English, and no lowercase letter.
    EnglishCapital,
    /// `change_case:english_lowercase`: English, and no uppercase letter.
    EnglishLowercase,
    /// `punctuation:no_comma`: no `,` at all.
    NoComma,
    /// `startend:quotation`: the response is wrapped in double quotation marks.
    Quotation,
    /// flinch: every sentence has the given number of words ("four-word sentences").
    /// Sentences are Punkt sentences further split at line breaks, so verse lines without
    /// punctuation count as sentences.
    WordsPerSentence { relation: Relation, count: usize },
    /// flinch: number of non-blank lines ("in fewer than 10 lines").
    NumberLines { relation: Relation, count: usize },
}

/// The kind of a [`Requirement`], without its parameters: for per-type statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementKind {
    Keywords,
    KeywordFrequency,
    ForbiddenWords,
    LetterFrequency,
    ResponseLanguage,
    NumberSentences,
    NumberParagraphs,
    NumberWords,
    NthParagraphFirstWord,
    NumberPlaceholders,
    Postscript,
    NumberBulletLists,
    ConstrainedResponse,
    NumberHighlightedSections,
    MultipleSections,
    JsonFormat,
    Title,
    TwoResponses,
    RepeatPrompt,
    EndPhrase,
    CapitalWordFrequency,
    EnglishCapital,
    EnglishLowercase,
    NoComma,
    Quotation,
    WordsPerSentence,
    NumberLines,
}

impl RequirementKind {
    /// Every kind, IFEval's 25 first.
    pub const ALL: [RequirementKind; 27] = [
        RequirementKind::Keywords,
        RequirementKind::KeywordFrequency,
        RequirementKind::ForbiddenWords,
        RequirementKind::LetterFrequency,
        RequirementKind::ResponseLanguage,
        RequirementKind::NumberSentences,
        RequirementKind::NumberParagraphs,
        RequirementKind::NumberWords,
        RequirementKind::NthParagraphFirstWord,
        RequirementKind::NumberPlaceholders,
        RequirementKind::Postscript,
        RequirementKind::NumberBulletLists,
        RequirementKind::ConstrainedResponse,
        RequirementKind::NumberHighlightedSections,
        RequirementKind::MultipleSections,
        RequirementKind::JsonFormat,
        RequirementKind::Title,
        RequirementKind::TwoResponses,
        RequirementKind::RepeatPrompt,
        RequirementKind::EndPhrase,
        RequirementKind::CapitalWordFrequency,
        RequirementKind::EnglishCapital,
        RequirementKind::EnglishLowercase,
        RequirementKind::NoComma,
        RequirementKind::Quotation,
        RequirementKind::WordsPerSentence,
        RequirementKind::NumberLines,
    ];

    /// The IFEval instruction id, e.g. `"punctuation:no_comma"`; `None` for flinch's own kinds.
    pub fn ifeval_id(self) -> Option<&'static str> {
        use RequirementKind as K;
        Some(match self {
            K::Keywords => "keywords:existence",
            K::KeywordFrequency => "keywords:frequency",
            K::ForbiddenWords => "keywords:forbidden_words",
            K::LetterFrequency => "keywords:letter_frequency",
            K::ResponseLanguage => "language:response_language",
            K::NumberSentences => "length_constraints:number_sentences",
            K::NumberParagraphs => "length_constraints:number_paragraphs",
            K::NumberWords => "length_constraints:number_words",
            K::NthParagraphFirstWord => "length_constraints:nth_paragraph_first_word",
            K::NumberPlaceholders => "detectable_content:number_placeholders",
            K::Postscript => "detectable_content:postscript",
            K::NumberBulletLists => "detectable_format:number_bullet_lists",
            K::ConstrainedResponse => "detectable_format:constrained_response",
            K::NumberHighlightedSections => "detectable_format:number_highlighted_sections",
            K::MultipleSections => "detectable_format:multiple_sections",
            K::JsonFormat => "detectable_format:json_format",
            K::Title => "detectable_format:title",
            K::TwoResponses => "combination:two_responses",
            K::RepeatPrompt => "combination:repeat_prompt",
            K::EndPhrase => "startend:end_checker",
            K::CapitalWordFrequency => "change_case:capital_word_frequency",
            K::EnglishCapital => "change_case:english_capital",
            K::EnglishLowercase => "change_case:english_lowercase",
            K::NoComma => "punctuation:no_comma",
            K::Quotation => "startend:quotation",
            K::WordsPerSentence | K::NumberLines => return None,
        })
    }

    /// The kind of an IFEval instruction id.
    pub fn from_ifeval_id(id: &str) -> Option<RequirementKind> {
        RequirementKind::ALL
            .iter()
            .copied()
            .find(|k| k.ifeval_id() == Some(id))
    }

    /// A stable name: the IFEval id, or `flinch:<snake_case>` for flinch's own kinds.
    pub fn name(self) -> &'static str {
        match self {
            RequirementKind::WordsPerSentence => "flinch:words_per_sentence",
            RequirementKind::NumberLines => "flinch:number_lines",
            other => other.ifeval_id().unwrap_or("flinch:unknown"),
        }
    }
}

impl std::fmt::Display for RequirementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Requirement {
    /// The kind of this requirement.
    pub fn kind(&self) -> RequirementKind {
        use Requirement as R;
        use RequirementKind as K;
        match self {
            R::Keywords { .. } => K::Keywords,
            R::KeywordFrequency { .. } => K::KeywordFrequency,
            R::ForbiddenWords { .. } => K::ForbiddenWords,
            R::LetterFrequency { .. } => K::LetterFrequency,
            R::ResponseLanguage { .. } => K::ResponseLanguage,
            R::NumberSentences { .. } => K::NumberSentences,
            R::NumberParagraphs { .. } => K::NumberParagraphs,
            R::NumberWords { .. } => K::NumberWords,
            R::NthParagraphFirstWord { .. } => K::NthParagraphFirstWord,
            R::NumberPlaceholders { .. } => K::NumberPlaceholders,
            R::Postscript { .. } => K::Postscript,
            R::NumberBulletLists { .. } => K::NumberBulletLists,
            R::ConstrainedResponse => K::ConstrainedResponse,
            R::NumberHighlightedSections { .. } => K::NumberHighlightedSections,
            R::MultipleSections { .. } => K::MultipleSections,
            R::JsonFormat => K::JsonFormat,
            R::Title => K::Title,
            R::TwoResponses => K::TwoResponses,
            R::RepeatPrompt { .. } => K::RepeatPrompt,
            R::EndPhrase { .. } => K::EndPhrase,
            R::CapitalWordFrequency { .. } => K::CapitalWordFrequency,
            R::EnglishCapital => K::EnglishCapital,
            R::EnglishLowercase => K::EnglishLowercase,
            R::NoComma => K::NoComma,
            R::Quotation => K::Quotation,
            R::WordsPerSentence { .. } => K::WordsPerSentence,
            R::NumberLines { .. } => K::NumberLines,
        }
    }

    /// A short imperative sentence stating the requirement, for draft and refine prompts,
    /// e.g. "Use no commas." or "Write fewer than 10 lines.".
    pub fn describe(&self) -> String {
        use Requirement as R;
        match self {
            R::Keywords { keywords } => {
                format!("Include the keywords {}.", quoted_list(keywords, "and"))
            }
            R::KeywordFrequency {
                keyword,
                relation,
                count,
            } => format!(
                "Use the word \"{keyword}\" {} {}.",
                relation.phrase(),
                times(*count)
            ),
            R::ForbiddenWords { words } => {
                format!("Do not use the words {}.", quoted_list(words, "or"))
            }
            R::LetterFrequency {
                letter,
                relation,
                count,
            } => format!(
                "Use the letter '{letter}' {} {}.",
                relation.phrase(),
                times(*count)
            ),
            R::ResponseLanguage { language } => format!(
                "Write the entire response in {}; no other language.",
                language.name()
            ),
            R::NumberSentences { relation, count } => {
                format!("Write {}.", counted(*relation, *count, "sentence"))
            }
            R::NumberParagraphs { relation, count } => format!(
                "Write {}, separated by the markdown divider ***.",
                counted(*relation, *count, "paragraph")
            ),
            R::NumberWords { relation, count } => {
                format!("Write {}.", counted(*relation, *count, "word"))
            }
            R::NthParagraphFirstWord {
                paragraphs,
                nth,
                first_word,
            } => format!(
                "Write exactly {} separated by blank lines; paragraph {nth} must start with the word \"{first_word}\".",
                plural(*paragraphs, "paragraph")
            ),
            R::NumberPlaceholders { relation, count } => format!(
                "Include {} in square brackets, such as [address].",
                counted(*relation, *count, "placeholder")
            ),
            R::Postscript { marker } => {
                format!("End with a postscript starting with {marker}")
            }
            R::NumberBulletLists { relation, count } => format!(
                "Use {}, each a line starting with \"* \".",
                counted(*relation, *count, "markdown bullet point")
            ),
            R::ConstrainedResponse => format!(
                "Answer with one of: {}.",
                quoted_list(&CONSTRAINED_RESPONSE_OPTIONS.map(String::from), "or")
            ),
            R::NumberHighlightedSections { relation, count } => format!(
                "Highlight {} with markdown, i.e. *highlighted section*.",
                counted(*relation, *count, "section")
            ),
            R::MultipleSections {
                splitter,
                relation,
                count,
            } => format!(
                "Write {}, each starting with \"{splitter} N\" ({splitter} 1, {splitter} 2, …).",
                counted(*relation, *count, "section")
            ),
            R::JsonFormat => "Wrap the entire output in JSON; nothing outside it.".to_string(),
            R::Title => {
                "Include a title wrapped in double angular brackets, such as <<poem of joy>>."
                    .to_string()
            }
            R::TwoResponses => {
                "Give two different responses separated by six asterisks: ******.".to_string()
            }
            R::RepeatPrompt { prompt_to_repeat } => format!(
                "First repeat the request word for word without change, then answer. The request: \"{prompt_to_repeat}\""
            ),
            R::EndPhrase { phrase } => {
                format!("End the response with the exact phrase \"{phrase}\"; nothing after it.")
            }
            R::CapitalWordFrequency { relation, count } => format!(
                "Use {} in all capital letters.",
                counted(*relation, *count, "word")
            ),
            R::EnglishCapital => {
                "Write the entire response in English, in capital letters only.".to_string()
            }
            R::EnglishLowercase => {
                "Write the entire response in English, in lowercase letters only.".to_string()
            }
            R::NoComma => "Use no commas.".to_string(),
            R::Quotation => "Wrap the entire response in double quotation marks.".to_string(),
            R::WordsPerSentence { relation, count } => format!(
                "Make every sentence {} long.",
                counted(*relation, *count, "word")
            ),
            R::NumberLines { relation, count } => {
                format!("Write {}.", counted(*relation, *count, "line"))
            }
        }
    }
}

/// "3 words", "1 word".
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "fewer than 10 lines", "exactly 1 paragraph".
fn counted(relation: Relation, n: usize, noun: &str) -> String {
    format!("{} {}", relation.phrase(), plural(n, noun))
}

fn times(n: usize) -> String {
    if n == 1 {
        "1 time".to_string()
    } else {
        format!("{n} times")
    }
}

/// `"a", "b" and "c"`.
fn quoted_list(items: &[String], conjunction: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!(
            "{} {conjunction} {}",
            quoted[..n - 1].join(", "),
            quoted[n - 1]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_holds_at_the_boundaries() {
        assert!(Relation::LessThan.holds(9, 10));
        assert!(!Relation::LessThan.holds(10, 10));
        assert!(Relation::AtMost.holds(10, 10));
        assert!(!Relation::AtMost.holds(11, 10));
        assert!(Relation::Exactly.holds(3, 3));
        assert!(!Relation::Exactly.holds(2, 3));
        assert!(Relation::AtLeast.holds(3, 3));
        assert!(!Relation::AtLeast.holds(2, 3));
        assert!(Relation::MoreThan.holds(4, 3));
        assert!(!Relation::MoreThan.holds(3, 3));
    }

    #[test]
    fn every_ifeval_kind_round_trips_through_its_id() {
        let ifeval: Vec<_> = RequirementKind::ALL
            .iter()
            .filter_map(|k| k.ifeval_id())
            .collect();
        assert_eq!(ifeval.len(), 25);
        for id in ifeval {
            assert_eq!(
                RequirementKind::from_ifeval_id(id).unwrap().ifeval_id(),
                Some(id)
            );
        }
        assert_eq!(RequirementKind::NumberLines.name(), "flinch:number_lines");
    }

    #[test]
    fn languages_have_codes_and_names() {
        assert_eq!(Language::ALL.len(), 30);
        assert_eq!(Language::from_code("hi"), Some(Language::Hindi));
        assert_eq!(Language::from_name("swahili"), Some(Language::Swahili));
        assert_eq!(Language::from_code("xx"), None);
    }

    #[test]
    fn describe_is_short_and_imperative() {
        assert_eq!(Requirement::NoComma.describe(), "Use no commas.");
        assert_eq!(
            Requirement::NumberLines {
                relation: Relation::LessThan,
                count: 10
            }
            .describe(),
            "Write fewer than 10 lines."
        );
        assert_eq!(
            Requirement::Keywords {
                keywords: vec!["sea".into(), "salt".into(), "wind".into()]
            }
            .describe(),
            "Include the keywords \"sea\", \"salt\" and \"wind\"."
        );
        assert_eq!(
            Requirement::WordsPerSentence {
                relation: Relation::Exactly,
                count: 4
            }
            .describe(),
            "Make every sentence exactly 4 words long."
        );
    }

    #[test]
    fn requirements_serialise_with_a_type_tag() {
        let r = Requirement::NumberWords {
            relation: Relation::AtLeast,
            count: 300,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"type":"number_words","relation":"at_least","count":300}"#
        );
        assert_eq!(serde_json::from_str::<Requirement>(&json).unwrap(), r);
        let lang = Requirement::ResponseLanguage {
            language: Language::Korean,
        };
        assert_eq!(
            serde_json::to_string(&lang).unwrap(),
            r#"{"type":"response_language","language":"ko"}"#
        );
    }
}
