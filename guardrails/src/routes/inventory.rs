//! Lists of things to count ("I have a flute, two lamps, and a drum. How many
//! musical instruments do I have?") are read into a program: one line per
//! thing, its count when it belongs to the asked category and 0 when not,
//! and their sum. The sandbox computes it.
//!
//! The reader takes only this phrasing: "I have" followed by items `N things`
//! (a count in digits, a word up to twenty, or "a"/"an", then one to five
//! words) joined by commas and "and", then "How many `<category>` do I
//! have?". At most [`MAX_THINGS`] things, none whose words hold another count
//! or a quantity ("a dozen eggs", "a pair of socks", "a box of pens").
//! Anything else is left to the other routes. For "objects", "items" and
//! "things" every thing counts and the model is not used.
//!
//! Whether a thing belongs to another category is the one judgement left to
//! the model, and it is not asked as a question ("Is a goat a fruit?"), which
//! a 270M base model answers poorly; its word statistics are used. A thing
//! counts when the asked category raises the likelihood of its name (after
//! "Here is a list of fruits:", against "Here is a list of things:") more than
//! any of a fixed set of everyday categories does ([`CONTRAST`]).

use std::sync::LazyLock;
use std::time::Instant;

use regex::Regex;

use crate::error::Result;
use crate::llm::Llm;
use crate::prompts::PromptId;
use crate::routes::purchases::{COUNT, count_value, unique_name};
use crate::trace::{Event, Trace};

static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^I have (?P<list>[a-z0-9 ,'-]+)\. How many (?P<category>[a-z]+(?: [a-z]+){0,2}) do I have\?$",
    )
    .expect("pattern is valid")
});

static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:and )?(?P<count>{COUNT}) (?P<what>[a-z][a-z'-]*(?: [a-z][a-z'-]*){{0,4}})$"
    ))
    .expect("pattern is valid")
});

/// The most things a list may have (each costs 14 forward passes).
pub const MAX_THINGS: usize = 30;

/// Words that make a thing an amount or a container of several: its count
/// would not be the number of things.
const QUANTITIES: &[&str] = &[
    "dozen",
    "dozens",
    "pair",
    "pairs",
    "couple",
    "few",
    "several",
    "some",
    "many",
    "lot",
    "lots",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "box",
    "boxes",
    "bag",
    "bags",
    "pack",
    "packs",
    "set",
    "sets",
    "bunch",
    "bunches",
    "basket",
    "baskets",
    "crate",
    "crates",
    "case",
    "cases",
    "carton",
    "cartons",
    "handful",
    "handfuls",
    "batch",
    "batches",
];

/// Categories every listed thing belongs to.
const EVERYTHING: &[&str] = &["objects", "items", "things"];

/// Everyday categories the asked one must beat for a thing to count (those
/// sharing a word with the asked category are left out).
pub const CONTRAST: &[&str] = &[
    "fruits",
    "vegetables",
    "animals",
    "musical instruments",
    "furniture",
    "kitchen appliances",
    "tools",
    "vehicles",
    "clothes",
    "toys",
    "flowers",
    "drinks",
];

/// The neutral category every likelihood is measured against.
const NEUTRAL: &str = "things";

/// One listed thing: `two lamps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thing {
    pub count: u32,
    /// As written, with its count: `two lamps`, `a head of broccoli`.
    pub written: String,
    /// The words after the count: `lamps`.
    pub what: String,
}

/// A list of things and the category whose members are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub things: Vec<Thing>,
    pub category: String,
}

impl Inventory {
    /// Whether every thing counts, whatever it is.
    pub fn counts_everything(&self) -> bool {
        EVERYTHING.contains(&self.category.as_str())
    }
}

fn count_of(word: &str) -> Option<u32> {
    count_value(word)?.parse().ok()
}

/// The list and category of a question in the reader's phrasing.
pub fn read(question: &str) -> Option<Inventory> {
    let c = QUESTION.captures(question.trim())?;
    let mut things = Vec::new();
    for part in c["list"].split(',').flat_map(|p| p.split(" and ")) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let item = ITEM.captures(part)?;
        let what = item["what"].to_owned();
        // A second count inside the words hides another thing or an amount.
        if what
            .split(' ')
            .any(|w| QUANTITIES.contains(&w) || count_of(w).is_some_and(|_| w != "a" && w != "an"))
        {
            return None;
        }
        things.push(Thing {
            count: count_of(&item["count"])?,
            written: part.trim_start_matches("and ").to_owned(),
            what,
        });
    }
    (2..=MAX_THINGS).contains(&things.len()).then(|| Inventory {
        things,
        category: c["category"].to_owned(),
    })
}

/// The program: a line per thing (its count, or 0 with a comment when it is
/// not in the category) and their sum.
pub fn program(inventory: &Inventory, members: &[bool]) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    for (thing, &member) in inventory.things.iter().zip(members) {
        let n = unique_name(&thing.what.replace([' ', '\'', '-'], "_"), &names);
        lines.push(if member {
            format!("{n} = {}", thing.count)
        } else {
            format!("{n} = 0  # {}: not {}", thing.written, inventory.category)
        });
        names.push(n);
    }
    lines.push(names.join(" + "));
    lines.join("\n")
}

/// A word without its plural ending, to compare categories: `fruits` and
/// `fruit`, `boxes` and `box`.
fn stem(word: &str) -> &str {
    word.strip_suffix("es")
        .filter(|s| s.ends_with(['x', 's', 'h']))
        .or_else(|| word.strip_suffix('s'))
        .unwrap_or(word)
}

/// The log-probability of `thing`'s name after "Here is a list of
/// {category}:".
fn score(llm: &mut dyn Llm, thing: &Thing, category: &str) -> Result<Option<f64>> {
    let context = PromptId::InventoryMember.render(&[("category", category)])?;
    llm.continuation_logprob(&context, &format!(" {}", thing.what))
}

/// Which things belong to the category: every one for "objects", "items" and
/// "things", else a thing whose name the asked category makes likelier than
/// every contrast category does. `None` when the model cannot score text.
pub fn members(
    llm: &mut dyn Llm,
    inventory: &Inventory,
    trace: &mut Trace,
) -> Result<Option<Vec<bool>>> {
    if inventory.counts_everything() {
        trace.note(Event::Note {
            text: format!(
                "a list of things in a known phrasing; every thing counts as one of the {}: program read without the model",
                inventory.category
            ),
        });
        return Ok(Some(vec![true; inventory.things.len()]));
    }
    let start = Instant::now();
    let asked = inventory.category.as_str();
    let contrast: Vec<&str> = CONTRAST
        .iter()
        .copied()
        .filter(|c| {
            !c.split(' ')
                .any(|w| asked.split(' ').any(|a| stem(a) == stem(w)))
        })
        .collect();
    let mut members = Vec::with_capacity(inventory.things.len());
    let mut lines = Vec::new();
    for thing in &inventory.things {
        // Every category is measured against the neutral one (pointwise
        // mutual information, in nats); the neutral score cancels in the
        // comparison and makes the trace readable.
        let Some(neutral) = score(llm, thing, NEUTRAL)? else {
            return Ok(None);
        };
        let Some(own) = score(llm, thing, asked)? else {
            return Ok(None);
        };
        let own = own - neutral;
        let mut best: Option<(&str, f64)> = None;
        for &c in &contrast {
            let Some(l) = score(llm, thing, c)? else {
                return Ok(None);
            };
            let l = l - neutral;
            if best.is_none_or(|(_, b)| l > b) {
                best = Some((c, l));
            }
        }
        let member = best.is_none_or(|(_, b)| own > b);
        lines.push(match best {
            Some((c, b)) => format!(
                "{}: {asked} {own:+.2}, best other {c} {b:+.2} → {}",
                thing.written,
                if member { "counted" } else { "not counted" }
            ),
            None => format!("{}: {asked} {own:+.2} → counted", thing.written),
        });
        members.push(member);
    }
    trace.record(
        Event::Note {
            text: format!(
                "a list of things in a known phrasing: the program is read from the question; a thing counts when \"Here is a list of {asked}:\" makes its name likelier (nats over \"{NEUTRAL}\") than any of {} other categories do\n{}",
                contrast.len(),
                lines.join("\n")
            ),
        },
        start.elapsed(),
    );
    Ok(Some(members))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ScriptedLlm;

    fn thing(count: u32, written: &str, what: &str) -> Thing {
        Thing {
            count,
            written: written.to_owned(),
            what: what.to_owned(),
        }
    }

    #[test]
    fn reads_lists_in_the_known_phrasing() {
        let inv = read(
            "I have a flute, four stoves, an accordion, and a head of broccoli. How many musical instruments do I have?",
        )
        .unwrap();
        assert_eq!(inv.category, "musical instruments");
        assert_eq!(
            inv.things,
            vec![
                thing(1, "a flute", "flute"),
                thing(4, "four stoves", "stoves"),
                thing(1, "an accordion", "accordion"),
                thing(1, "a head of broccoli", "head of broccoli"),
            ]
        );
        assert!(!inv.counts_everything());
        let two = read("I have a fridge and 3 chairs. How many objects do I have?").unwrap();
        assert_eq!(two.things[1], thing(3, "3 chairs", "chairs"));
        assert!(two.counts_everything());
    }

    #[test]
    fn other_phrasings_are_left_alone() {
        for q in [
            // One thing is not a list.
            "I have two lamps. How many objects do I have?",
            // Another subject, another question.
            "She has a flute and a drum. How many instruments does she have?",
            "I have a flute and a drum. How many did I buy?",
            // A count hidden in the words, a thing without a count, an amount.
            "I have a box of three pens and a lamp. How many objects do I have?",
            "I have apples and a lamp. How many objects do I have?",
            "I have a flute and $5. How many objects do I have?",
            "I have a flute, and a drum, but I lost the drum. How many objects do I have?",
            // Quantities and containers: the count is not the number of things.
            "I have a dozen eggs and a lamp. How many objects do I have?",
            "I have a pair of socks and a lamp. How many objects do I have?",
            "I have a box of pens and a lamp. How many objects do I have?",
        ] {
            assert_eq!(read(q), None, "{q}");
        }
    }

    #[test]
    fn the_program_counts_members_only() {
        let inv =
            read("I have two lamps, a lamp, and three plums. How many fruits do I have?").unwrap();
        assert_eq!(
            program(&inv, &[false, false, true]),
            "lamps = 0  # two lamps: not fruits\nlamp = 0  # a lamp: not fruits\nplums = 3\nlamps + lamp + plums"
        );
        let same = read("I have a plum and a plum. How many fruits do I have?").unwrap();
        assert_eq!(
            program(&same, &[true, true]),
            "plum = 1\nplum_2 = 1\nplum + plum_2"
        );
        let keyword = read("I have a pass and a lamp. How many objects do I have?").unwrap();
        assert_eq!(
            program(&keyword, &[true, true]),
            "pass_2 = 1\nlamp = 1\npass_2 + lamp"
        );
    }

    /// A scorer that knows plums and figs are fruits and lamps are furniture.
    fn knows_fruit(context: &str, continuation: &str) -> f64 {
        let fruit = [" plum", " fig"].contains(&continuation);
        match (context, fruit) {
            ("Here is a list of fruits:", true) | ("Here is a list of furniture:", false) => -1.0,
            _ => -5.0,
        }
    }

    #[test]
    fn a_thing_counts_when_the_category_lifts_it_most() {
        let inv = read("I have a plum, two lamps, and a fig. How many fruits do I have?").unwrap();
        let mut llm = ScriptedLlm::new(Vec::<String>::new());
        llm.scorer = Some(knows_fruit);
        let mut trace = Trace::default();
        assert_eq!(
            members(&mut llm, &inv, &mut trace).unwrap(),
            Some(vec![true, false, true])
        );
        let note = format!("{:?}", trace.steps());
        assert!(
            note.contains("two lamps: fruits +0.00, best other furniture +4.00 → not counted"),
            "{note}"
        );
        // Everything counts as an object, without the model.
        let objects = read("I have a plum and two lamps. How many objects do I have?").unwrap();
        let mut silent = ScriptedLlm::new(Vec::<String>::new());
        assert_eq!(
            members(&mut silent, &objects, &mut trace).unwrap(),
            Some(vec![true, true])
        );
        // A model that cannot score text leaves the question to the other routes.
        assert_eq!(members(&mut silent, &inv, &mut trace).unwrap(), None);
    }

    #[test]
    fn contrast_categories_sharing_a_word_are_left_out() {
        // "instruments" against "musical instruments" would never win.
        assert_eq!(stem("fruits"), stem("fruit"));
        assert_eq!(stem("boxes"), "box");
        assert_eq!(stem("dishes"), "dish");
        let inv = read("I have a harp and a drum. How many instruments do I have?").unwrap();
        let mut llm = ScriptedLlm::new(Vec::<String>::new());
        llm.scorer = Some(|context, _| {
            if context.ends_with("instruments:") {
                -1.0
            } else {
                -3.0
            }
        });
        let mut trace = Trace::default();
        assert_eq!(
            members(&mut llm, &inv, &mut trace).unwrap(),
            Some(vec![true, true])
        );
    }
}
