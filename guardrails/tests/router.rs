//! The router on labelled questions written for flinch
//! (`tests/data/router.tsv`): prints the accuracy and every miss.

use flinch_guardrails::requirements::parse_requirements;
use flinch_guardrails::router::route;

#[test]
fn router_accuracy_on_labelled_questions() {
    let data = include_str!("data/router.tsv");
    let mut total = 0;
    let mut right = 0;
    let mut misses = Vec::new();
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (label, question) = line.split_once('\t').expect("label<TAB>question");
        let decision = route(question, parse_requirements(question).len());
        total += 1;
        if decision.route.name() == label {
            right += 1;
        } else {
            misses.push(format!(
                "  expected {label}, got {} ({}): {question}",
                decision.route.name(),
                decision.reason
            ));
        }
    }
    let accuracy = right as f64 / total as f64;
    println!(
        "router accuracy: {right}/{total} = {:.1}%",
        100.0 * accuracy
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(total >= 60, "at least 60 labelled questions, found {total}");
    assert!(
        accuracy >= 0.95,
        "router accuracy {accuracy:.3} below 0.95:\n{}",
        misses.join("\n")
    );
}
