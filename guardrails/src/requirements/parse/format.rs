//! Requirements about the form of the whole response: letter case, commas,
//! quotation marks, JSON, title, two responses, the constrained answer, language.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, re};
use crate::requirements::{Language, Requirement};

static LOWERCASE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\blower\s*-?\s*case|\blowercases?\b|\bno\s+capital(?:s\b|\s+letters|i[sz]ations?)|\bwithout\s+(?:using\s+)?any\s+capital|\bnot\s+(?:contain\s+)?any\s+capital\s+letters|\bnot\s+a\s+single\s+letter[^.]{0,40}?capitali[sz]ed",
    )
});
/// A negation earlier in the same sentence ("not a single word should contain lowercase").
static NEGATED_LOWERCASE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:no|not|without)\b[^.!?\n]{0,80}$"));
static CAPITAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\ball\s+(?:capital\s+letters|caps\b|uppercase|upper\s+case)|\bcapitali[sz]e\s+all\b|\bonly\s+use\s+capital\s+letters|\ball\s+letters[^.]{0,40}?capitali[sz]ed",
    )
});
static NO_COMMA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:no|without(?:\s+using)?(?:\s+any)?|avoid(?:ing)?(?:\s+using)?(?:\s+any)?|refrain(?:ing)?\s+from\s+using(?:\s+any)?|(?:do\s+not|don't|dont|doesn't|never|not|cannot|can't|must\s+not|should\s+not)\s+(?:use|contain|include|have|add)(?:\s+any)?|not\s+allowed\s+to\s+use(?:\s+any)?)\s+commas?\b|commas?\s+(?:are|is)\s+not\s+allowed)",
    )
});
static QUOTATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:wrap|put|enclose|place|surround)\w*\b[^.\n]{0,60}?\bdouble\s+quot(?:ation\s+marks?|es)\b|\bdouble\s+quot(?:ation\s+marks?|es)\s+(?:should\s+be\s+)?(?:placed\s+)?around",
    )
});
static JSON: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:in|into|as|using|use|wrap\w*|format\w*|output|answer|respond|reply)\b[^.\n]{0,40}?\bjson\b|\bjson\s+(?:format|block|object)",
    )
});
static TITLE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)<<|double\s+angular\s+brackets"));
static TWO_RESPONSES: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bsix\s+asterisk|\b6\s+asterisk|\*{6}|\btwo\s+different\s+(?:responses|answers)")
});
static CONSTRAINED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)my\s+answer\s+is\s+(?:yes|no|maybe)"));
static LANGUAGE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)no\s+other\s+language|\bonly\b|\bentire|\bcompletely\b|\brespon|\banswer|\breply\b|\bwritten\b|\blanguage\b",
    )
});
/// The names of IFEval's languages other than English.
static LANGUAGE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<&str> = Language::ALL
        .iter()
        .filter(|l| **l != Language::English)
        .map(|l| l.name())
        .collect();
    re(&format!(r"\b(?:{})\b", names.join("|")))
});
static ENGLISH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:response|answer|reply|output)\s+(?:should|must)\s+be\s+(?:written\s+)?(?:entirely\s+|only\s+)?in\s+English|\b(?:respond|answer|reply)\s+(?:only\s+)?in\s+English",
    )
});

fn push(out: &mut Vec<Found>, at: usize, req: Requirement) {
    out.push(Found { at, req });
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    let mut case = false;
    for m in LOWERCASE.find_iter(text) {
        if NEGATED_LOWERCASE.is_match(&text[..m.start()]) {
            continue;
        }
        push(out, m.start(), Requirement::EnglishLowercase);
        case = true;
        break;
    }
    for m in CAPITAL.find_iter(text) {
        let from = (0..=m.start().saturating_sub(25))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let to = (m.end()..=(m.end() + 30).min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(m.end());
        let before = text[from..m.start()].to_lowercase();
        let after = text[m.end()..to].to_lowercase();
        if before.contains("word") || after.contains("times") {
            continue;
        }
        push(out, m.start(), Requirement::EnglishCapital);
        case = true;
        break;
    }
    let simple: [(&Regex, Requirement); 6] = [
        (&NO_COMMA, Requirement::NoComma),
        (&QUOTATION, Requirement::Quotation),
        (&JSON, Requirement::JsonFormat),
        (&TITLE, Requirement::Title),
        (&TWO_RESPONSES, Requirement::TwoResponses),
        (&CONSTRAINED, Requirement::ConstrainedResponse),
    ];
    for (regex, req) in simple {
        if let Some(m) = regex.find(text) {
            push(out, m.start(), req);
        }
    }
    language(text, case, out);
}

/// A language named in a sentence that is about the response ("respond only in
/// Hindi", "no other language is allowed"); translations are not counted. English
/// is only reported when no letter-case requirement (which implies English) was found.
fn language(text: &str, case: bool, out: &mut Vec<Found>) {
    let mut start = 0;
    for sentence in text.split_inclusive(['.', '!', '?', '\n']) {
        let at = start;
        start += sentence.len();
        if !LANGUAGE_CUE.is_match(sentence) || sentence.to_lowercase().contains("translat") {
            continue;
        }
        if let Some(m) = LANGUAGE_NAME.find(sentence)
            && let Some(language) = Language::from_name(m.as_str())
        {
            push(
                out,
                at + m.start(),
                Requirement::ResponseLanguage { language },
            );
            return;
        }
    }
    if !case && let Some(m) = ENGLISH.find(text) {
        push(
            out,
            m.start(),
            Requirement::ResponseLanguage {
                language: Language::English,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_requirements;
    use crate::requirements::{Language, Requirement};

    #[test]
    fn whole_response_forms() {
        assert_eq!(
            parse_requirements(
                "Answer in all lowercase letters and wrap your entire response in double quotes."
            ),
            vec![Requirement::EnglishLowercase, Requirement::Quotation]
        );
        assert_eq!(
            parse_requirements("Write it in all capital letters, no lowercase letters allowed."),
            vec![Requirement::EnglishCapital]
        );
        assert_eq!(
            parse_requirements(
                "Answer in JSON. Include a title wrapped in double angular brackets, i.e. <<title>>."
            ),
            vec![Requirement::JsonFormat, Requirement::Title]
        );
        assert_eq!(
            parse_requirements("Please respond only in Korean, no other language is allowed."),
            vec![Requirement::ResponseLanguage {
                language: Language::Korean
            }]
        );
        assert_eq!(parse_requirements("Translate this into German."), vec![]);
    }
}
