//! The runner end to end with a scripted model: raw batches and the
//! pipeline, the tape, resuming an interrupted run, replaying the tape, and
//! MT-bench's second turns.

use std::sync::{Arc, Mutex};

use flinch_benchmarks::replay::replay;
use flinch_benchmarks::suite::{Gold, Item, Previous, RawPrompt, Suite};
use flinch_benchmarks::summary::summarize;
use flinch_benchmarks::{ErrorClass, Mode, RunConfig, Runner, tape};
use flinch_engine::{GenerateRequest, Generation, Prompt};
use flinch_guardrails::{Llm, PipelineConfig, PromptStyle, ScriptedLlm};
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

/// A scripted model that also logs every prompt it gets.
struct Logged {
    inner: ScriptedLlm,
    log: Arc<Mutex<Vec<String>>>,
}

impl Llm for Logged {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        let text = match &request.prompt {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(m) => m
                .iter()
                .map(|m| format!("{:?}: {}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        self.log.lock().unwrap().push(text);
        self.inner.generate(request, on_text)
    }

    fn prompt_style(&self) -> PromptStyle {
        self.inner.prompt_style()
    }
}

fn runner(replies: &[&str], modes: Vec<Mode>, seed: u64) -> (Runner, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let llm = Logged {
        inner: ScriptedLlm::chat(replies.iter().copied()),
        log: log.clone(),
    };
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap();
    let config = RunConfig {
        modes,
        max_tokens: 64,
        seed,
        batch: 2,
        model: "scripted.gguf".into(),
    };
    (
        Runner::new(
            Box::new(llm),
            sandbox,
            PipelineConfig::default(),
            config,
            None,
        ),
        log,
    )
}

fn math_item(i: usize, question: &str, gold: &str) -> Item {
    Item {
        suite: Suite::Gsm8k,
        task: String::new(),
        id: i.to_string(),
        question: question.into(),
        gold: Gold::Answer(gold.into()),
        raw: RawPrompt::Completion {
            prompt_id: "test".into(),
            text: format!("Q: {question}\nA:"),
            stop: vec!["Q:".into()],
        },
        rank: i,
        group: i,
        previous: None,
        judge_references: Vec::new(),
    }
}

fn items() -> Vec<Item> {
    // Formulas: the pipeline computes them in the sandbox without the model.
    vec![
        math_item(0, "What is 12*7?", "84"),
        math_item(1, "What is 3+4?", "7"),
    ]
}

const RAW_REPLIES: [&str; 2] = [
    "12*7 = 84. The answer is 84.\nQ: next",
    "3+4 = 8. The answer is 8.",
];

#[test]
fn both_modes_are_scored_classified_and_taped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gsm8k.jsonl");
    let (mut r, log) = runner(&RAW_REPLIES, vec![Mode::Raw, Mode::Guarded], 0);
    let mut seen = Vec::new();
    let records = r
        .run(&items(), &path, &mut |p| {
            seen.push((p.done, p.total, p.raw, p.guarded))
        })
        .unwrap();

    // Raw prompts went to the model as given, in one batch.
    assert_eq!(
        *log.lock().unwrap(),
        vec!["Q: What is 12*7?\nA:", "Q: What is 3+4?\nA:"]
    );
    assert_eq!(seen.last(), Some(&(4, 4, (1, 2), (2, 2))));

    let keys: Vec<(String, Mode)> = records.iter().map(|r| (r.id.clone(), r.mode)).collect();
    assert_eq!(
        keys,
        vec![
            ("0".into(), Mode::Raw),
            ("1".into(), Mode::Raw),
            ("0".into(), Mode::Guarded),
            ("1".into(), Mode::Guarded)
        ]
    );
    let raw1 = &records[1];
    assert_eq!(raw1.output, "3+4 = 8. The answer is 8.");
    assert_eq!(
        (raw1.answer.as_deref(), raw1.correct),
        (Some("8"), Some(false))
    );
    assert_eq!(raw1.error_class, ErrorClass::ArithmeticFlinch);
    assert_eq!(
        (raw1.batch, raw1.prompt.as_str(), raw1.route.as_deref()),
        (2, "test", None)
    );
    // The stop string cut the raw output.
    assert_eq!(records[0].output, "12*7 = 84. The answer is 84.");

    let g1 = &records[3];
    assert_eq!(g1.output, "The answer is 7.");
    assert_eq!(
        (g1.correct, g1.route.as_deref(), g1.prompt.as_str()),
        (Some(true), Some("calculator"), "pipeline")
    );
    assert_eq!(g1.tools.len(), 1);
    assert_eq!(
        (
            g1.tools[0].input.as_str(),
            g1.tools[0].outcome.as_str(),
            g1.tools[0].ok
        ),
        ("3+4", "7", true)
    );
    assert!(g1.trace.is_some() && g1.evidence.is_some());

    // The tape holds exactly these records (guarded answers in the order
    // they finished), and replays to the same scores.
    let mut tape = tape::read(&path).unwrap();
    tape.records
        .sort_by_key(|t| records.iter().position(|r| r.key() == t.key()));
    assert_eq!(tape.records, records);
    let rep = replay(
        &tape.records,
        &Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap(),
    )
    .unwrap();
    assert!(rep.differences.is_empty(), "{:?}", rep.differences);
    assert_eq!(summarize(&rep.records), summarize(&records));
    let s = &summarize(&records)[0].overall;
    assert_eq!(s.raw.as_ref().unwrap().accuracy, Some(0.5));
    assert_eq!(s.guarded.as_ref().unwrap().accuracy, Some(1.0));
    assert!((s.uplift.unwrap().value - 0.5).abs() < 1e-12);
}

#[test]
fn an_interrupted_run_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gsm8k.jsonl");
    let (mut r, _) = runner(&RAW_REPLIES, vec![Mode::Raw, Mode::Guarded], 0);
    let full = r.run(&items(), &path, &mut |_| {}).unwrap();

    // Keep the first answer and half of the second line, as a killed run leaves it.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap().to_owned();
    let second = lines.next().unwrap();
    std::fs::write(&path, format!("{first}{}", &second[..40])).unwrap();

    // Only the missing raw answer is generated again.
    let (mut r, log) = runner(&[RAW_REPLIES[1]], vec![Mode::Raw, Mode::Guarded], 0);
    let mut progress = Vec::new();
    let resumed = r
        .run(&items(), &path, &mut |p| {
            progress.push((p.done, p.total, p.resumed))
        })
        .unwrap();
    assert_eq!(*log.lock().unwrap(), vec!["Q: What is 3+4?\nA:"]);
    assert_eq!(progress.first(), Some(&(1, 3, 1)));
    let strip = |rs: &[flinch_benchmarks::Record]| {
        rs.iter()
            .map(|r| {
                (
                    r.id.clone(),
                    r.mode,
                    r.output.clone(),
                    r.correct,
                    r.error_class,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&resumed), strip(&full));
    let tape = tape::read(&path).unwrap();
    assert_eq!(tape.records.len(), 4);
    assert!(!tape.truncated);

    // A finished tape: nothing to do, no model call.
    let (mut r, log) = runner(&[], vec![Mode::Raw, Mode::Guarded], 0);
    let again = r
        .run(&items(), &path, &mut |_| panic!("nothing should run"))
        .unwrap();
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(strip(&again), strip(&full));
}

#[test]
fn a_tape_is_resumed_only_with_the_same_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gsm8k.jsonl");
    let (mut r, _) = runner(&RAW_REPLIES, vec![Mode::Raw], 0);
    r.run(&items(), &path, &mut |_| {}).unwrap();
    let (mut r, _) = runner(&[], vec![Mode::Raw], 7);
    let e = r.run(&items(), &path, &mut |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the tape {} was written with --seed 0 but this run has --seed 7: rerun with the same flags to resume it, or give another --out",
            path.display()
        )
    );
}

#[test]
fn a_model_failure_is_taped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gsm8k.jsonl");
    // One reply for a batch of two: the scripted model fails on the second,
    // and only the second item records the failure.
    let (mut r, _) = runner(&RAW_REPLIES[..1], vec![Mode::Raw], 0);
    let records = r.run(&items(), &path, &mut |_| {}).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0].failure.as_deref(), records[0].correct),
        (None, Some(true))
    );
    let rec = &records[1];
    assert_eq!(
        rec.failure.as_deref(),
        Some("the model failed: the scripted model has no reply left")
    );
    assert_eq!(
        (rec.output.as_str(), rec.correct, rec.error_class),
        ("", Some(false), ErrorClass::Other)
    );
}

#[test]
fn a_second_turn_continues_the_conversation_of_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mt-bench.jsonl");
    let turn = |id: &str, q: &str, previous: Option<Previous>| Item {
        suite: Suite::MtBench,
        task: "math".into(),
        id: id.into(),
        question: q.into(),
        gold: Gold::None,
        raw: RawPrompt::Chat,
        rank: 0,
        group: 0,
        previous,
        judge_references: Vec::new(),
    };
    let items = vec![
        turn("119/1", "How much did he spend on 3 books at $20?", None),
        turn(
            "119/2",
            "And with 10% off?",
            Some(Previous {
                id: "119/1".into(),
                question: "How much did he spend on 3 books at $20?".into(),
            }),
        ),
    ];
    let (mut r, log) = runner(
        &["He spent 3 * 20 = 60 dollars.", "Then 54 dollars."],
        vec![Mode::Raw],
        0,
    );
    let records = r.run(&items, &path, &mut |_| {}).unwrap();
    assert_eq!(records.len(), 2);
    let log = log.lock().unwrap();
    assert_eq!(
        log[1],
        "User: How much did he spend on 3 books at $20?\nAssistant: He spent 3 * 20 = 60 dollars.\nUser: And with 10% off?"
    );
    assert_eq!(
        (records[1].correct, records[1].error_class),
        (None, ErrorClass::None)
    );
}

/// A guarded-only runner on `llm` answering `batch` items side by side.
fn guarded_runner(llm: Box<dyn Llm + Send>, batch: usize) -> Runner {
    let config = RunConfig {
        modes: vec![Mode::Guarded],
        max_tokens: 64,
        seed: 0,
        batch,
        model: "test.gguf".into(),
    };
    Runner::new(
        llm,
        Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap(),
        PipelineConfig::default(),
        config,
        None,
    )
}

/// Replies by prompt, whatever order the requests come in; records the
/// size of every batch.
struct Keyed {
    batches: Arc<Mutex<Vec<usize>>>,
    prompts: Arc<Mutex<Vec<String>>>,
}

impl Llm for Keyed {
    fn generate(
        &mut self,
        request: GenerateRequest,
        on_text: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        let last = match &request.prompt {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(m) => m.last().map(|m| m.content.clone()).unwrap_or_default(),
        };
        if let Prompt::Chat(m) = &request.prompt {
            let all: Vec<&str> = m.iter().map(|m| m.content.as_str()).collect();
            self.prompts.lock().unwrap().push(all.join("\n"));
        }
        let topic = last.split_whitespace().last().unwrap_or("").to_owned();
        let mut inner = ScriptedLlm::chat([format!("Here is a short note about {topic}")]);
        inner.generate(request, on_text)
    }

    fn generate_batch(
        &mut self,
        requests: Vec<GenerateRequest>,
    ) -> Vec<flinch_guardrails::Result<Generation>> {
        self.batches.lock().unwrap().push(requests.len());
        requests
            .into_iter()
            .map(|r| self.generate(r, &mut |_| {}))
            .collect()
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Chat
    }
}

#[test]
fn guarded_items_answered_side_by_side_match_one_at_a_time() {
    let mut items: Vec<Item> = ["rivers", "owls", "bread", "snow", "clocks", "maps"]
        .iter()
        .enumerate()
        .map(|(i, topic)| Item {
            suite: Suite::MtBench,
            task: "writing".into(),
            id: format!("{i}/1"),
            question: format!("Write a short note about {topic}"),
            gold: Gold::None,
            raw: RawPrompt::Chat,
            rank: i,
            group: i,
            previous: None,
            judge_references: Vec::new(),
        })
        .collect();
    // A second turn, right after its first: it waits for the first's answer.
    let mut second = items[0].clone();
    second.id = "0/2".into();
    second.question = "Now write it about lakes".into();
    second.previous = Some(Previous {
        id: "0/1".into(),
        question: items[0].question.clone(),
    });
    items.insert(1, second);
    let run = |batch: usize| {
        let dir = tempfile::tempdir().unwrap();
        let batches = Arc::new(Mutex::new(Vec::new()));
        let prompts = Arc::new(Mutex::new(Vec::new()));
        let llm = Keyed {
            batches: batches.clone(),
            prompts: prompts.clone(),
        };
        let mut r = guarded_runner(Box::new(llm), batch);
        let records = r
            .run(&items, &dir.path().join("mt-bench.jsonl"), &mut |_| {})
            .unwrap();
        let stats = r.batch_stats();
        let batches = batches.lock().unwrap().clone();
        let prompts = prompts.lock().unwrap().clone();
        (records, stats, batches, prompts)
    };
    let (one, none, _, _) = run(1);
    let (three, stats, batches, prompts) = run(3);
    assert_eq!(none, None);
    let strip = |rs: &[flinch_benchmarks::Record]| {
        rs.iter()
            .map(|r| {
                (
                    r.id.clone(),
                    r.output.clone(),
                    r.route.clone(),
                    r.generations.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&three), strip(&one));
    assert!(one[0].output.contains("rivers"), "{:?}", one[0].output);
    let follow_up = format!(
        "{}\n{}\nNow write it about lakes",
        items[0].question, three[0].output
    );
    assert!(
        prompts.iter().any(|p| p.ends_with(&follow_up)),
        "no prompt continues the first turn: {prompts:#?}"
    );
    assert!(three.iter().all(|r| r.batch == 3 && r.failure.is_none()));
    // Three answers in flight: their generations went to the model together.
    let stats = stats.unwrap();
    assert!(stats.largest > 1, "{stats:?}");
    assert_eq!(batches.iter().max(), Some(&stats.largest));
}

/// Panics on every generation.
struct Panics;

impl Llm for Panics {
    fn generate(
        &mut self,
        _request: GenerateRequest,
        _on_text: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        panic!("a bug in the model")
    }

    fn prompt_style(&self) -> PromptStyle {
        PromptStyle::Chat
    }
}

#[test]
fn a_panic_while_answering_stops_the_run_and_writes_nothing() {
    let item = Item {
        suite: Suite::MtBench,
        task: "writing".into(),
        id: "1/1".into(),
        question: "Write a short note about rivers".into(),
        gold: Gold::None,
        raw: RawPrompt::Chat,
        rank: 0,
        group: 0,
        previous: None,
        judge_references: Vec::new(),
    };
    // One worker (the pipeline panics) and two on a batcher (the model
    // panics inside the batch).
    for (batch, says) in [(1, "the pipeline panicked"), (2, "the model panicked")] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mt-bench.jsonl");
        let mut r = guarded_runner(Box::new(Panics), batch);
        let e = r
            .run(std::slice::from_ref(&item), &path, &mut |_| {})
            .unwrap_err();
        assert!(e.to_string().starts_with(says), "batch {batch}: {e}");
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(written.is_empty(), "batch {batch}: {written}");
    }
}
