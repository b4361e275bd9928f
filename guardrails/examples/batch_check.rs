//! Check that batched generation matches single generation when sequences
//! end at different steps: `batch_check MODEL PROMPT_FILE TOKENS`
use flinch_engine::{Engine, GenerateRequest, LoadOptions, Prompt, Sampling};

fn req(prompt: &str, tokens: usize, seed: u64, sampled: bool) -> GenerateRequest {
    let mut r = GenerateRequest::greedy(Prompt::Text(prompt.to_owned()), tokens);
    r.seed = seed;
    r.stop = vec!["\nQuestion:".to_owned(), "\n\n".to_owned()];
    if sampled {
        r.sampling = Sampling::Random {
            temperature: 0.7,
            top_k: Some(40),
            top_p: Some(0.95),
        };
    }
    r
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let prompt = std::fs::read_to_string(&a[2])?;
    let tokens: usize = a[3].parse()?;
    let mut engine = Engine::load(a[1].as_ref(), LoadOptions::default())?;
    let plan = [
        (tokens, 0, false),
        (tokens / 3, 1, true),
        (tokens, 2, true),
        (tokens / 2, 3, true),
    ];
    let singles: Vec<String> = plan
        .iter()
        .map(|&(t, s, r)| {
            engine
                .generate(req(&prompt, t, s, r), &mut |_| {})
                .map(|g| g.text)
        })
        .collect::<Result<_, _>>()?;
    let batch = engine.generate_batch(
        plan.iter()
            .map(|&(t, s, r)| req(&prompt, t, s, r))
            .collect(),
    )?;
    for (i, (g, s)) in batch.iter().zip(&singles).enumerate() {
        println!(
            "{i}: same={} batch={:?} {:?}\n   single={:?}",
            &g.text == s,
            g.text,
            g.finish,
            s
        );
    }
    Ok(())
}
