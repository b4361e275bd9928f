//! The sandbox: one engine and one linked module per process, a fresh store
//! (fuel, epoch deadline, memory cap) per evaluation, no imports at all.

use std::sync::{Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use flinch_sandbox_guest::wire;
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, InstancePre, Linker,
    PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc,
};

use crate::error::{EvalError, Result, SandboxError};
use crate::limits::{EPOCH_TICK, Limits, ModuleCache};
use crate::module::{self, ModuleSource};
use crate::value::{Assignment, Value};

/// How the module was obtained, and how long that took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleLoad {
    pub source: ModuleSource,
    /// Engine creation plus compile or deserialize plus linking.
    pub elapsed: Duration,
}

/// An exact arithmetic evaluator in a WebAssembly sandbox. Cheap to share:
/// `Send + Sync`, `eval` takes `&self`, each call is independent.
pub struct Sandbox {
    engine: Engine,
    pre: InstancePre<StoreState>,
    limits: Limits,
    load: ModuleLoad,
    slots: Slots,
    _ticker: Ticker,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("limits", &self.limits)
            .field("load", &self.load)
            .finish_non_exhaustive()
    }
}

/// Per-store state: the memory limiter, which remembers that it refused.
struct StoreState {
    max_memory_bytes: usize,
    memory_refused: bool,
}

impl ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            self.memory_refused = true;
            // An error (not `Ok(false)`) stops the guest at once instead of
            // letting its allocator abort later with an opaque trap.
            return Err(wasmtime::Error::msg("memory limit"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }
}

/// Instance slots kept by the pooling allocator by default: evaluations reuse a slot's
/// memory mapping instead of mapping and unmapping linear memory each time
/// (p50 latency drops by about a third; `flinch bench sandbox`). More
/// concurrent evaluations than slots wait for one to free.
const POOL_SLOTS: u32 = 64;

/// Bytes of a slot's linear memory reset with `memset` instead of `madvise`
/// when an evaluation ends, so the next evaluation in that slot takes no
/// page faults on them. Only where Linux has `PAGEMAP_SCAN` (6.7+): then
/// only the pages the evaluation wrote are reset. Without it wasmtime would
/// `memset` the lowest bytes whether written or not (most of them the
/// guest's untouched stack), slower than `madvise`, so the pool keeps the
/// default there. Covers the guest's static memory and a typical
/// evaluation's heap.
const KEEP_RESIDENT: usize = 4 << 20;

/// Counts the pool's free slots, so that an evaluation waits for a slot
/// instead of failing when all are taken.
struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(n: u32) -> Slots {
        Slots {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// Advances the engine's epoch every `EPOCH_TICK` until dropped.
struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> Result<Ticker> {
        let (stop, rx) = mpsc::channel::<()>();
        let handle = thread::Builder::new()
            .name("flinch-sandbox-epoch".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(EPOCH_TICK) {
                    engine.increment_epoch();
                }
            })
            .map_err(|e| SandboxError::Ticker(e.to_string()))?;
        Ok(Ticker {
            stop: Some(stop),
            handle: Some(handle),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Sandbox {
    /// Build the engine, compile or load the guest module, and start the
    /// epoch ticker. Do this once and share the sandbox.
    pub fn new(limits: Limits, cache: &ModuleCache) -> Result<Sandbox> {
        Sandbox::with_slots(limits, cache, POOL_SLOTS)
    }

    /// As [`Sandbox::new`], with `slots` instance slots in the pool (at
    /// least 1): at most that many evaluations run at once, others wait.
    pub fn with_slots(limits: Limits, cache: &ModuleCache, slots: u32) -> Result<Sandbox> {
        let slots = slots.max(1);
        limits.validate()?;
        let started = Instant::now();
        let mut config = Config::new();
        config.consume_fuel(true).epoch_interruption(true);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots);
        if PoolingAllocationConfig::is_pagemap_scan_available() {
            pool.linear_memory_keep_resident(KEEP_RESIDENT)
                .pagemap_scan(Enabled::Yes);
        }
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| SandboxError::Engine(format!("{e:#}")))?;
        let (module, source) = module::load(&engine, cache)?;
        let linker: Linker<StoreState> = Linker::new(&engine);
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| SandboxError::Link(format!("{e:#}")))?;
        let load = ModuleLoad {
            source,
            elapsed: started.elapsed(),
        };
        let ticker = Ticker::start(engine.clone())?;
        Ok(Sandbox {
            engine,
            pre,
            limits,
            load,
            slots: Slots::new(slots),
            _ticker: ticker,
        })
    }

    /// The limits `eval` uses.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Where the module came from and how long loading took.
    pub fn module_load(&self) -> &ModuleLoad {
        &self.load
    }

    /// Evaluate a program under the sandbox's limits.
    pub fn eval(&self, program: &str) -> Result<Value, EvalError> {
        self.eval_with(program, &self.limits)
    }

    /// Evaluate a program under other limits (the module is the same).
    pub fn eval_with(&self, program: &str, limits: &Limits) -> Result<Value, EvalError> {
        if let Err(SandboxError::InvalidLimits(message)) = limits.validate() {
            return Err(EvalError::InvalidLimits { message });
        }
        if program.len() > limits.max_program_bytes {
            return Err(EvalError::ProgramTooLarge {
                len: program.len(),
                max: limits.max_program_bytes,
            });
        }
        let state = StoreState {
            max_memory_bytes: limits.max_memory_bytes,
            memory_refused: false,
        };
        // Declared before the store, so dropped after it: the instance is
        // back in the pool when the slot is counted free.
        let _slot = self.slots.take();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        store.set_fuel(limits.fuel).map_err(internal)?;
        store.set_epoch_deadline(limits.deadline_ticks());
        let reply = match run(&self.pre, &mut store, program, limits) {
            Ok(reply) => reply,
            Err(e) => return Err(classify(e, &store, limits)),
        };
        let fuel_used = limits.fuel - store.get_fuel().map_err(internal)?;
        match wire::decode(&reply) {
            Ok(Ok(outcome)) => Ok(Value {
                kind: outcome.value.kind,
                exact: outcome.value.exact,
                decimal: outcome.value.decimal,
                fuel_used,
                assignments: outcome
                    .assignments
                    .into_iter()
                    .map(|a| Assignment {
                        name: a.name,
                        kind: a.value.kind,
                        exact: a.value.exact,
                        decimal: a.value.decimal,
                    })
                    .collect(),
            }),
            Ok(Err(guest)) => Err(EvalError::Guest(guest)),
            Err(e) => Err(EvalError::Internal {
                message: e.to_string(),
            }),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> EvalError {
    EvalError::Internal {
        message: e.to_string(),
    }
}

/// Instantiate, copy the program in, evaluate, copy the reply out.
fn run(
    pre: &InstancePre<StoreState>,
    store: &mut Store<StoreState>,
    program: &str,
    limits: &Limits,
) -> wasmtime::Result<String> {
    let instance = pre.instantiate(&mut *store)?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .ok_or_else(|| wasmtime::Error::msg("the guest exports no memory"))?;
    let alloc: TypedFunc<u32, u32> = instance.get_typed_func(&mut *store, "flinch_alloc")?;
    let eval: TypedFunc<(u32, u32, u32, u32), u64> =
        instance.get_typed_func(&mut *store, "flinch_eval")?;
    let len =
        u32::try_from(program.len()).map_err(|_| wasmtime::Error::msg("program too large"))?;
    let ptr = alloc.call(&mut *store, len)?;
    memory.write(&mut *store, ptr as usize, program.as_bytes())?;
    let packed = eval.call(
        &mut *store,
        (ptr, len, limits.max_value_bits, limits.max_nesting),
    )?;
    let (reply_ptr, reply_len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
    let data = memory.data(&*store);
    let bytes = reply_ptr
        .checked_add(reply_len)
        .and_then(|end| data.get(reply_ptr..end))
        .ok_or_else(|| wasmtime::Error::msg("the guest's reply lies outside its memory"))?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| wasmtime::Error::msg("the guest's reply is not UTF-8"))
}

/// Map a failed call to what happened: the memory limiter's flag first (a
/// refused growth is a plain error, not a trap), then the trap code.
fn classify(e: wasmtime::Error, store: &Store<StoreState>, limits: &Limits) -> EvalError {
    if store.data().memory_refused {
        return EvalError::MemoryLimit {
            max_bytes: limits.max_memory_bytes,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => EvalError::OutOfFuel { fuel: limits.fuel },
        Some(Trap::Interrupt) => EvalError::DeadlineExceeded {
            deadline: limits.deadline,
        },
        Some(trap) => EvalError::GuestTrap {
            message: trap.to_string(),
        },
        None => EvalError::Internal {
            message: format!("{e:#}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn sandbox_is_send_and_sync() {
        assert_send_sync::<Sandbox>();
    }
}
