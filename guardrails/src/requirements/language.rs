//! Response-language identification for `language:response_language` and the
//! English part of `change_case:english_capital` / `english_lowercase`.
//!
//! IFEval calls Python's `langdetect` (unseeded, so not even deterministic). flinch
//! uses `whatlang` (trigram and script based, deterministic). It knows 29 of IFEval's
//! 30 languages; Swahili, which it lacks, is recognised by the share of Swahili
//! function words in a Latin-script text, and English likewise (whatlang misreads short
//! English texts as French, Danish, …). Like IFEval (which counts a
//! `LangDetectException` as followed), a text with nothing to identify (no letters)
//! is not held against the response: [`detect`] returns `None` and callers pass it.

use super::requirement::Language;

/// Swahili function words; a Latin-script text where they make up at least
/// [`SWAHILI_SHARE`] of the words is taken as Swahili.
const SWAHILI_WORDS: &[&str] = &[
    "na", "ya", "wa", "kwa", "ni", "za", "la", "katika", "kuwa", "hii", "huo", "hiyo", "lakini",
    "pia", "kama", "sana", "yake", "wake", "yangu", "wangu", "zake", "hata", "bado", "baada",
    "kabla", "kila", "moja", "mimi", "wewe", "yeye", "sisi", "ninyi", "wao", "hapa", "pale",
    "hivyo", "tena", "au", "ili", "kwamba", "nini", "gani", "nani", "watu", "mtu", "kutoka",
    "hadi", "zaidi", "vya", "cha", "vile", "huu", "wetu", "yetu", "sasa", "ambayo", "ambao",
    "habari", "asante", "ndiyo", "hapana", "siku", "kubwa", "wengi", "nyingi",
];

/// Minimum share of Swahili function words for a text to be called Swahili.
const SWAHILI_SHARE: f64 = 0.15;

/// English function words that are not words of other Latin-script languages; a
/// Latin-script text where they make up at least [`ENGLISH_SHARE`] of the words is
/// taken as English (whatlang's trigrams misread short English texts).
const ENGLISH_WORDS: &[&str] = &[
    "the", "and", "is", "are", "was", "were", "you", "your", "he", "she", "it", "its", "we",
    "they", "this", "that", "with", "for", "of", "to", "be", "will", "have", "has", "not", "my",
    "i", "at", "what", "which", "there", "their", "from", "by", "an", "our", "his", "her", "can",
    "do", "does", "did", "would", "should", "could", "about", "all", "if", "or", "but", "so",
    "who", "how", "when", "where", "why", "yes", "no", "thanks", "please", "hello", "now",
];

/// Minimum share of English function words for a text to be called English.
const ENGLISH_SHARE: f64 = 0.2;

/// ISO 639-1 code of the dominant language of `text` (ISO 639-3 for languages
/// without a two-letter code in the map), or `None` if there is nothing to identify.
pub(crate) fn detect(text: &str) -> Option<String> {
    if latin_share(text, SWAHILI_WORDS) >= SWAHILI_SHARE {
        return Some(Language::Swahili.code().to_string());
    }
    if latin_share(text, ENGLISH_WORDS) >= ENGLISH_SHARE {
        return Some(Language::English.code().to_string());
    }
    let lang = whatlang::detect_lang(text)?;
    Some(iso639_1(lang).map_or_else(|| lang.code().to_string(), str::to_string))
}

/// Share of the words of an ASCII-letter text that are in `list` (0 for other texts).
fn latin_share(text: &str, list: &[&str]) -> f64 {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty()
        || !words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return 0.0;
    }
    let hits = words.iter().filter(|w| list.contains(&w.as_str())).count();
    hits as f64 / words.len() as f64
}

fn iso639_1(lang: whatlang::Lang) -> Option<&'static str> {
    use whatlang::Lang as L;
    Some(match lang {
        L::Eng => "en",
        L::Spa => "es",
        L::Por => "pt",
        L::Ara => "ar",
        L::Hin => "hi",
        L::Fra => "fr",
        L::Rus => "ru",
        L::Deu => "de",
        L::Jpn => "ja",
        L::Ita => "it",
        L::Ben => "bn",
        L::Ukr => "uk",
        L::Tha => "th",
        L::Urd => "ur",
        L::Tam => "ta",
        L::Tel => "te",
        L::Bul => "bg",
        L::Kor => "ko",
        L::Pol => "pl",
        L::Heb => "he",
        L::Pes => "fa",
        L::Vie => "vi",
        L::Nep => "ne",
        L::Kan => "kn",
        L::Mar => "mr",
        L::Guj => "gu",
        L::Pan => "pa",
        L::Mal => "ml",
        L::Fin => "fi",
        L::Cmn => "zh",
        L::Nld => "nl",
        L::Swe => "sv",
        L::Dan => "da",
        L::Nob => "no",
        L::Tur => "tr",
        L::Ind => "id",
        L::Ces => "cs",
        L::Slk => "sk",
        L::Ron => "ro",
        L::Hun => "hu",
        L::Ell => "el",
        L::Cat => "ca",
        L::Hrv => "hr",
        L::Srp => "sr",
        L::Slv => "sl",
        L::Est => "et",
        L::Lav => "lv",
        L::Lit => "lt",
        L::Afr => "af",
        L::Tgl => "tl",
        L::Mkd => "mk",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_languages_are_identified() {
        assert_eq!(
            detect("The quick brown fox jumps over the lazy dog near the river bank.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect("THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG NEAR THE RIVER BANK.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect("यह एक बहुत सुंदर दिन है और हम सब पार्क में खेलने जा रहे हैं।").as_deref(),
            Some("hi")
        );
        assert_eq!(
            detect("Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.")
                .as_deref(),
            Some("de")
        );
    }

    #[test]
    fn swahili_is_recognised_by_function_words() {
        assert_eq!(
            detect("Habari za asubuhi. Mimi ni mwalimu na ninafundisha watoto katika shule ya msingi kwa miaka mingi.")
                .as_deref(),
            Some("sw")
        );
        assert!(
            latin_share(
                "I went to the market and bought a few things for dinner.",
                SWAHILI_WORDS
            ) < SWAHILI_SHARE
        );
        assert_eq!(
            detect("See you soon. Bring snacks and drinks!").as_deref(),
            Some("en")
        );
    }

    #[test]
    fn nothing_to_identify() {
        assert_eq!(detect("12345 !!! ..."), None);
    }
}
