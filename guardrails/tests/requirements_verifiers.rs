//! Hand-made pass and fail cases for every requirement type, with exact verdicts.

use flinch_guardrails::requirements::{
    Failure, Language, LetterCase, Location, MissingQuote, Mode, Relation, Requirement, Unit,
    Verdict, check_all,
};

fn fail(failure: Failure) -> Verdict {
    Verdict::Fail { failure }
}

fn at(line: usize, word: usize) -> Location {
    Location { line, word }
}

#[test]
fn requirements_empty_response_fails_everything() {
    for req in [
        Requirement::NoComma,
        Requirement::Title,
        Requirement::EnglishLowercase,
    ] {
        assert_eq!(req.check("  \n "), fail(Failure::EmptyResponse));
    }
}

#[test]
fn requirements_keywords() {
    let req = Requirement::Keywords {
        keywords: vec!["sea".into(), "Wind".into(), "salt".into()],
    };
    assert_eq!(
        req.check("The SEA and the wind."),
        fail(Failure::MissingKeywords {
            missing: vec!["salt".into()]
        })
    );
    assert_eq!(req.check("Seaside winds taste of salt."), Verdict::Pass);
}

#[test]
fn requirements_keyword_frequency() {
    let req = Requirement::KeywordFrequency {
        keyword: "sea".into(),
        relation: Relation::AtLeast,
        count: 3,
    };
    assert_eq!(req.check("Sea, sea, seashore."), Verdict::Pass);
    assert_eq!(
        req.check("The sea is calm."),
        fail(Failure::KeywordCount {
            keyword: "sea".into(),
            found: 1,
            relation: Relation::AtLeast,
            required: 3
        })
    );
    assert_eq!(
        req.check("The sea is calm.").to_string(),
        "fail: keyword `sea` appears 1 time, need at least 3"
    );
}

#[test]
fn requirements_forbidden_words() {
    let req = Requirement::ForbiddenWords {
        words: vec!["sea".into(), "ocean".into()],
    };
    assert_eq!(req.check("The seashore is wide."), Verdict::Pass);
    let v = req.check("Waves roll in.\nThe ocean and the Sea, the sea.");
    assert_eq!(
        v,
        fail(Failure::ForbiddenWord {
            word: "ocean".into(),
            occurrences: 1,
            first: at(2, 5)
        })
    );
    assert_eq!(
        v.to_string(),
        "fail: forbidden word `ocean` at word 5 (line 2) (1 occurrence)"
    );
}

#[test]
fn requirements_letter_frequency() {
    let req = Requirement::LetterFrequency {
        letter: 'q',
        relation: Relation::LessThan,
        count: 2,
    };
    assert_eq!(req.check("A quiet night."), Verdict::Pass);
    assert_eq!(
        req.check("Quick quiz."),
        fail(Failure::LetterCount {
            letter: 'q',
            found: 2,
            relation: Relation::LessThan,
            required: 2
        })
    );
}

#[test]
fn requirements_response_language() {
    let req = Requirement::ResponseLanguage {
        language: Language::German,
    };
    assert_eq!(
        req.check("Das Meer ist heute sehr ruhig und wir schwimmen am Strand."),
        Verdict::Pass
    );
    assert_eq!(
        req.check("The sea is very calm today and we swim at the beach."),
        fail(Failure::WrongLanguage {
            expected: Language::German,
            detected: "en".into()
        })
    );
    // Nothing to identify: not held against the response (as IFEval).
    assert_eq!(req.check("42 !!! 7"), Verdict::Pass);
}

#[test]
fn requirements_number_sentences() {
    let req = Requirement::NumberSentences {
        relation: Relation::AtMost,
        count: 2,
    };
    assert_eq!(
        req.check("Mr. Smith went to Washington. He stayed."),
        Verdict::Pass
    );
    let v = req.check("One. Two. Three.");
    assert_eq!(
        v,
        fail(Failure::Count {
            unit: Unit::Sentences,
            found: 3,
            relation: Relation::AtMost,
            required: 2
        })
    );
    assert_eq!(v.to_string(), "fail: 3 sentences, need at most 2");
}

#[test]
fn requirements_number_paragraphs() {
    let req = Requirement::NumberParagraphs {
        relation: Relation::Exactly,
        count: 2,
    };
    assert_eq!(req.check("First part.\n***\nSecond part."), Verdict::Pass);
    assert_eq!(
        req.check("***\nFirst part.\n***\nSecond part.\n***"),
        Verdict::Pass
    );
    assert_eq!(
        req.check("First.\n***\n\n***\nThird."),
        fail(Failure::EmptyPart {
            unit: Unit::Paragraphs,
            index: 2
        })
    );
    assert_eq!(
        req.check("First part.\n\nSecond part."),
        fail(Failure::Count {
            unit: Unit::Paragraphs,
            found: 1,
            relation: Relation::Exactly,
            required: 2
        })
    );
}

#[test]
fn requirements_number_words() {
    let req = Requirement::NumberWords {
        relation: Relation::LessThan,
        count: 5,
    };
    assert_eq!(req.check("It's a sea."), Verdict::Pass);
    assert_eq!(
        req.check("The sea is very calm."),
        fail(Failure::Count {
            unit: Unit::Words,
            found: 5,
            relation: Relation::LessThan,
            required: 5
        })
    );
}

#[test]
fn requirements_nth_paragraph_first_word() {
    let req = Requirement::NthParagraphFirstWord {
        paragraphs: 2,
        nth: 2,
        first_word: "however".into(),
    };
    assert_eq!(
        req.check("The sea is wide.\n\nHowever, rivers are narrow."),
        Verdict::Pass
    );
    assert_eq!(
        req.check("The sea is wide.\n\n\"But\" rivers are narrow."),
        fail(Failure::FirstWord {
            paragraph: 2,
            expected: "however".into(),
            found: "but".into()
        })
    );
    assert_eq!(
        req.check("Only one paragraph."),
        fail(Failure::Count {
            unit: Unit::Paragraphs,
            found: 1,
            relation: Relation::Exactly,
            required: 2
        })
    );
}

#[test]
fn requirements_number_placeholders() {
    let req = Requirement::NumberPlaceholders {
        relation: Relation::AtLeast,
        count: 2,
    };
    assert_eq!(req.check("Dear [name], see you at [place]."), Verdict::Pass);
    assert_eq!(
        req.check("Dear [name], see you."),
        fail(Failure::Count {
            unit: Unit::Placeholders,
            found: 1,
            relation: Relation::AtLeast,
            required: 2
        })
    );
}

#[test]
fn requirements_postscript() {
    let ps = Requirement::Postscript {
        marker: "P.S.".into(),
    };
    let pps = Requirement::Postscript {
        marker: "P.P.S".into(),
    };
    assert_eq!(ps.check("Bye.\n\np. s. call me"), Verdict::Pass);
    assert_eq!(pps.check("Bye.\nP.P.S. call me"), Verdict::Pass);
    assert_eq!(
        pps.check("Bye.\nP.S. call me"),
        fail(Failure::MissingPostscript {
            marker: "P.P.S".into()
        })
    );
}

#[test]
fn requirements_number_bullet_lists() {
    let req = Requirement::NumberBulletLists {
        relation: Relation::Exactly,
        count: 2,
    };
    assert_eq!(
        req.check("Fruits:\n* apples\n- pears\n**Bold** is no bullet"),
        Verdict::Pass
    );
    assert_eq!(
        req.check("* one\n* two\n* three"),
        fail(Failure::Count {
            unit: Unit::BulletPoints,
            found: 3,
            relation: Relation::Exactly,
            required: 2
        })
    );
}

#[test]
fn requirements_constrained_response() {
    let req = Requirement::ConstrainedResponse;
    assert_eq!(req.check("My answer is maybe. It depends."), Verdict::Pass);
    assert_eq!(
        req.check("my answer is yes."),
        fail(Failure::NoConstrainedOption)
    );
}

#[test]
fn requirements_number_highlighted_sections() {
    let req = Requirement::NumberHighlightedSections {
        relation: Relation::AtLeast,
        count: 2,
    };
    assert_eq!(req.check("This is *key* and **also key**."), Verdict::Pass);
    assert_eq!(
        req.check("Only *one* here and an empty * * pair."),
        fail(Failure::Count {
            unit: Unit::HighlightedSections,
            found: 1,
            relation: Relation::AtLeast,
            required: 2
        })
    );
}

#[test]
fn requirements_multiple_sections() {
    let req = Requirement::MultipleSections {
        splitter: "SECTION".into(),
        relation: Relation::AtLeast,
        count: 2,
    };
    assert_eq!(
        req.check("SECTION 1\nIntro.\nSECTION 2\nBody."),
        Verdict::Pass
    );
    assert_eq!(
        req.check("Section 1\nIntro.\nSection 2\nBody."),
        fail(Failure::Count {
            unit: Unit::Sections,
            found: 0,
            relation: Relation::AtLeast,
            required: 2
        })
    );
}

#[test]
fn requirements_json_format() {
    let req = Requirement::JsonFormat;
    assert_eq!(req.check("```json\n{\"a\": [1, 2]}\n```"), Verdict::Pass);
    assert_eq!(
        req.check("{\"a\": 1,}"),
        fail(Failure::NotJson {
            error: "trailing comma at line 1 column 9".into()
        })
    );
}

#[test]
fn requirements_title() {
    assert_eq!(
        Requirement::Title.check("<<The Sea>>\nWaves."),
        Verdict::Pass
    );
    assert_eq!(
        Requirement::Title.check("<< >> no title"),
        fail(Failure::MissingTitle)
    );
}

#[test]
fn requirements_two_responses() {
    let req = Requirement::TwoResponses;
    assert_eq!(req.check("Blue sea.\n******\nGrey sky."), Verdict::Pass);
    assert_eq!(
        req.check("Same.\n******\nSame."),
        fail(Failure::IdenticalResponses)
    );
    assert_eq!(
        req.check("One.\n******\nTwo.\n******\nThree."),
        fail(Failure::Count {
            unit: Unit::Responses,
            found: 3,
            relation: Relation::Exactly,
            required: 2
        })
    );
}

#[test]
fn requirements_repeat_prompt() {
    let req = Requirement::RepeatPrompt {
        prompt_to_repeat: "Write a poem about the sea.".into(),
    };
    assert_eq!(
        req.check("write a POEM about the sea. Waves..."),
        Verdict::Pass
    );
    assert_eq!(
        req.check("Write a song about the sea."),
        fail(Failure::NotRepeated {
            diverges_at: 8,
            found: "song about the sea.".into()
        })
    );
}

#[test]
fn requirements_end_phrase() {
    let req = Requirement::EndPhrase {
        phrase: "Is there anything else I can help with?".into(),
    };
    assert_eq!(
        req.check("\"Done. Is there anything else I can help with?\"  "),
        Verdict::Pass
    );
    assert_eq!(
        req.check("Is there anything else I can help with? Bye."),
        fail(Failure::WrongEnding {
            expected: "Is there anything else I can help with?".into(),
            found: "Is there anything else I can help with? Bye.".into()
        })
    );
}

#[test]
fn requirements_capital_word_frequency() {
    let req = Requirement::CapitalWordFrequency {
        relation: Relation::AtLeast,
        count: 3,
    };
    // nltk.word_tokenize splits DON'T into DO + N'T: two capital words.
    assert_eq!(req.check("I DON'T know."), Verdict::Pass);
    assert_eq!(
        req.check("The BMW is fast."),
        fail(Failure::Count {
            unit: Unit::CapitalWords,
            found: 1,
            relation: Relation::AtLeast,
            required: 3
        })
    );
}

#[test]
fn requirements_english_capital() {
    let req = Requirement::EnglishCapital;
    assert_eq!(
        req.check("THE SEA IS CALM TODAY AND WE ARE HAPPY."),
        Verdict::Pass
    );
    assert_eq!(
        req.check("THE SEA IS Calm TODAY."),
        fail(Failure::WrongCase {
            expected: LetterCase::Upper,
            letters: 3,
            word: "Calm".into(),
            first: at(1, 4)
        })
    );
    assert_eq!(
        req.check("DAS MEER IST HEUTE SEHR RUHIG UND WIR SCHWIMMEN AM STRAND."),
        fail(Failure::WrongLanguage {
            expected: Language::English,
            detected: "de".into()
        })
    );
}

#[test]
fn requirements_english_lowercase() {
    let req = Requirement::EnglishLowercase;
    assert_eq!(
        req.check("the sea is calm today and we are happy."),
        Verdict::Pass
    );
    let v = req.check("the sea is calm and I am happy.");
    assert_eq!(
        v,
        fail(Failure::WrongCase {
            expected: LetterCase::Lower,
            letters: 1,
            word: "I".into(),
            first: at(1, 6)
        })
    );
    assert_eq!(
        v.to_string(),
        "fail: 1 letter in uppercase, the first in `I` at word 6 (line 1)"
    );
}

#[test]
fn requirements_no_comma() {
    assert_eq!(Requirement::NoComma.check("No commas here."), Verdict::Pass);
    let v = Requirement::NoComma.check("Yes, I agree,\nreally.");
    assert_eq!(
        v,
        fail(Failure::Commas {
            count: 2,
            first: at(1, 2)
        })
    );
    assert_eq!(
        v.to_string(),
        "fail: 2 commas, the first at word 2 (line 1)"
    );
}

#[test]
fn requirements_quotation() {
    let req = Requirement::Quotation;
    assert_eq!(req.check("  \"Calm sea.\"\n"), Verdict::Pass);
    assert_eq!(
        req.check("\"Calm sea."),
        fail(Failure::NotQuoted {
            missing: MissingQuote::Closing
        })
    );
    assert_eq!(
        req.check("Calm sea.\""),
        fail(Failure::NotQuoted {
            missing: MissingQuote::Opening
        })
    );
    assert_eq!(
        req.check("\""),
        fail(Failure::NotQuoted {
            missing: MissingQuote::Closing
        })
    );
}

#[test]
fn requirements_words_per_sentence() {
    let req = Requirement::WordsPerSentence {
        relation: Relation::Exactly,
        count: 4,
    };
    assert_eq!(
        req.check("The sea is calm. Birds fly very high."),
        Verdict::Pass
    );
    // Verse lines count as sentences.
    assert_eq!(
        req.check("The sea is wide\nThe waves are high"),
        Verdict::Pass
    );
    let v = req.check("The sea is calm. Birds fly high above us.");
    assert_eq!(
        v,
        fail(Failure::SentenceLength {
            sentence: 2,
            words: 5,
            relation: Relation::Exactly,
            required: 4,
            text: "Birds fly high above us.".into(),
            offending: 1
        })
    );
    assert_eq!(
        v.to_string(),
        "fail: sentence 2 has 5 words, need exactly 4: `Birds fly high above us.` (1 sentence of the wrong length)"
    );
}

#[test]
fn requirements_number_lines() {
    let req = Requirement::NumberLines {
        relation: Relation::LessThan,
        count: 3,
    };
    assert_eq!(req.check("Line one\n\nLine two\n"), Verdict::Pass);
    assert_eq!(
        req.check("a\nb\nc"),
        fail(Failure::Count {
            unit: Unit::Lines,
            found: 3,
            relation: Relation::LessThan,
            required: 3
        })
    );
}

#[test]
fn requirements_loose_mode_forgives_an_intro_line_and_asterisks() {
    let reqs = [
        Requirement::Quotation,
        Requirement::EndPhrase {
            phrase: "Peace!".into(),
        },
        Requirement::NoComma,
        Requirement::Title,
    ];
    let response = "Sure, here it is:\n\"**Calm** seas.\nPeace!\"";
    let strict = check_all(&reqs, response, Mode::Strict);
    let loose = check_all(&reqs, response, Mode::Loose);
    assert_eq!(
        strict[0],
        fail(Failure::NotQuoted {
            missing: MissingQuote::Opening
        })
    );
    assert!(strict[1].is_pass());
    assert_eq!(loose[0], Verdict::Pass); // without the first line it is quoted
    assert_eq!(
        strict[2],
        fail(Failure::Commas {
            count: 1,
            first: at(1, 2)
        })
    );
    assert_eq!(loose[2], Verdict::Pass); // the comma is on the removed first line
    assert_eq!(loose[3], fail(Failure::MissingTitle)); // no variant has a title
}

#[test]
fn requirements_loose_mode_needs_a_non_empty_variant() {
    // A single line: the line-removing variants are empty and never pass.
    let req = Requirement::NumberWords {
        relation: Relation::LessThan,
        count: 1,
    };
    assert_eq!(
        req.check_loose("hello"),
        fail(Failure::Count {
            unit: Unit::Words,
            found: 1,
            relation: Relation::LessThan,
            required: 1
        })
    );
}
