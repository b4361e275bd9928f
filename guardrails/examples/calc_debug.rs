//! Run the calculator route on one question, printing the prompt and each
//! program: `calc_debug MODEL "QUESTION"`
use flinch_engine::{Engine, GenerateRequest, Generation, LoadOptions, Prompt};
use flinch_guardrails::bank::Retriever;
use flinch_guardrails::pipeline::load_bank;
use flinch_guardrails::routes::calculator::{self, CalculatorConfig};
use flinch_guardrails::routes::grammar::TokenTables;
use flinch_guardrails::trace::{Trace, render};
use flinch_guardrails::{Llm, PromptStyle};
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

struct Logged(Engine);

impl Llm for Logged {
    fn generate(
        &mut self,
        r: GenerateRequest,
        on: &mut dyn FnMut(&str),
    ) -> flinch_guardrails::Result<Generation> {
        Llm::generate(&mut self.0, r, on)
    }
    fn generate_batch(
        &mut self,
        rs: Vec<GenerateRequest>,
    ) -> Vec<flinch_guardrails::Result<Generation>> {
        if let Some(Prompt::Text(t)) = rs.first().map(|r| &r.prompt) {
            std::fs::write("/tmp/calc_prompt.txt", t).unwrap();
            eprintln!(
                "prompt: {} bytes, {} tokens",
                t.len(),
                self.0.tokenize(t, true).unwrap().len()
            );
        }
        let out = Llm::generate_batch(&mut self.0, rs);
        for g in &out {
            match g {
                Ok(g) => eprintln!("{:?} {:?} {:?}", g.finish, g.timings, g.text),
                Err(e) => eprintln!("failed: {e}"),
            }
        }
        out
    }
    fn token_tables(&self) -> Option<std::sync::Arc<TokenTables>> {
        self.0.token_tables()
    }
    fn prompt_style(&self) -> PromptStyle {
        self.0.prompt_style()
    }
    fn continuation_logprob(
        &mut self,
        context: &str,
        continuation: &str,
    ) -> flinch_guardrails::Result<Option<f64>> {
        self.0.continuation_logprob(context, continuation)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let mut llm = Logged(Engine::load(a[1].as_ref(), LoadOptions::default())?);
    let sandbox = Sandbox::new(Limits::default(), &ModuleCache::Off)?;
    let bank = Retriever::new(load_bank());
    let mut trace = Trace::new();
    let out = calculator::answer(
        &mut llm,
        &sandbox,
        &bank,
        &a[2],
        &CalculatorConfig::default(),
        0,
        &mut trace,
    )?;
    println!("{}\n{out:?}", render(trace.steps()));
    Ok(())
}
