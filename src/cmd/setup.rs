//! Building a pipeline from the command line's model flags: shared by
//! `ask`, `chat` and the benchmarks so the flags mean the same everywhere.

use std::num::NonZeroUsize;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use flinch_engine::{Amx, Engine, LoadOptions, Threads};
use flinch_guardrails::{Pipeline, PipelineConfig, RouteChoice, RouteKind};
use flinch_sandbox::{Limits, ModuleCache, Sandbox};

use crate::model_arg::{self, ModelOpt};

/// Model flags.
#[derive(Debug, Clone, Args)]
pub struct EngineOpts {
    #[command(flatten)]
    pub model: ModelOpt,
    /// Compute threads [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
    /// Intel AMX tiles for the matrix products.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = AmxArg::Auto)]
    pub amx: AmxArg,
}

/// `--amx`: whether the matrix products may use Intel AMX tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AmxArg {
    /// Where the CPU has them and Linux grants them.
    Auto,
    /// Never: the AVX-512 vector kernel (the same results).
    Off,
}

impl From<AmxArg> for Amx {
    fn from(a: AmxArg) -> Self {
        match a {
            AmxArg::Auto => Amx::Auto,
            AmxArg::Off => Amx::Off,
        }
    }
}

impl EngineOpts {
    pub fn load(&self) -> anyhow::Result<Engine> {
        let path = self.model.resolve()?;
        let options = LoadOptions {
            threads: self.threads.map_or(Threads::Auto, Threads::Fixed),
            amx: self.amx.into(),
            ..LoadOptions::default()
        };
        let start = Instant::now();
        let engine =
            Engine::load(&path, options).with_context(|| format!("loading {}", path.display()))?;
        eprintln!(
            "loaded {} in {:.1} s",
            path.display(),
            start.elapsed().as_secs_f64()
        );
        Ok(engine)
    }
}

/// `--route`: which route to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RouteArg {
    /// The router decides.
    Auto,
    /// Arithmetic: a program computed in the sandbox.
    Calculator,
    /// Logic: facts or SMT-LIB solved by Z3.
    Logic,
    /// Draft → verify → refine against the question's requirements.
    Constrained,
    /// Guarded generation.
    Chat,
}

impl RouteArg {
    pub fn choice(self, raw: bool) -> RouteChoice {
        if raw {
            return RouteChoice::Raw;
        }
        match self {
            RouteArg::Auto => RouteChoice::Auto,
            RouteArg::Calculator => RouteChoice::Force(RouteKind::Calculator),
            RouteArg::Logic => RouteChoice::Force(RouteKind::Logic),
            RouteArg::Constrained => RouteChoice::Force(RouteKind::Constrained),
            RouteArg::Chat => RouteChoice::Force(RouteKind::Chat),
        }
    }
}

/// The sandbox, with its compiled module cached under `FLINCH_HOME/cache`.
pub fn sandbox() -> anyhow::Result<Sandbox> {
    let cache = ModuleCache::Dir(model_arg::flinch_home()?.join("cache"));
    Ok(Sandbox::new(Limits::default(), &cache)?)
}

pub fn pipeline(engine: Engine) -> anyhow::Result<Pipeline> {
    Ok(Pipeline::new(
        Box::new(engine),
        sandbox()?,
        PipelineConfig::default(),
    ))
}
