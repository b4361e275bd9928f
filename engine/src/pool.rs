//! A small fork-join thread pool for the compute kernels.
//!
//! `run(n, f)` calls `f(i)` for every `i < n`, spread over the workers and
//! the calling thread. Each thread owns a contiguous run of the tasks and
//! claims them one at a time from its front, in order, so the weight rows a
//! thread streams through stay contiguous (the hardware prefetchers follow
//! them across tasks; with interleaved claims batch-16 decode was about 5%
//! slower, `batch` example in turns). A thread that runs out takes tasks
//! from the back of the others' runs, so a worker that the OS deschedules
//! (another process holding a core) only delays the task it holds. Idle
//! workers spin briefly (the gap between two matmuls of one token is a few
//! microseconds), then sleep on a condition variable.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(300);

type TaskFn<'a> = dyn Fn(usize) + Sync + 'a;

/// One posted job. `f` points at a closure on the caller's stack; it is only
/// called after claiming a task index below `n`, and the caller does not
/// return before every such task has finished, so the pointer is live
/// whenever it is called.
struct Job {
    f: *const TaskFn<'static>,
    n: usize,
    /// Thread `t`'s run of tasks, `front..back` still unclaimed, packed as
    /// `back << 32 | front`.
    runs: Vec<AtomicU64>,
    done: AtomicUsize,
}

// SAFETY: the closure behind `f` is `Sync`; see the comment on `Job`.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

impl Job {
    /// `n` tasks in `threads` contiguous runs.
    fn new(f: *const TaskFn<'static>, n: usize, threads: usize) -> Self {
        let runs = (0..threads)
            .map(|t| {
                let (front, back) = (n * t / threads, n * (t + 1) / threads);
                AtomicU64::new((back as u64) << 32 | front as u64)
            })
            .collect();
        Self {
            f,
            n,
            runs,
            done: AtomicUsize::new(0),
        }
    }

    /// Claim the front task of run `r` (`own`) or its back task, if any is left.
    fn claim(&self, r: usize, own: bool) -> Option<usize> {
        let run = &self.runs[r];
        let mut cur = run.load(Ordering::Acquire);
        loop {
            let (front, back) = (cur & 0xffff_ffff, cur >> 32);
            if front >= back {
                return None;
            }
            let (next, task) = if own {
                (back << 32 | (front + 1), front)
            } else {
                ((back - 1) << 32 | front, back - 1)
            };
            match run.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(task as usize),
                Err(now) => cur = now,
            }
        }
    }

    /// Run thread `t`'s tasks, then the others' from their backs, until
    /// none are left.
    fn work(&self, t: usize) {
        let runs = self.runs.len();
        let t = t % runs;
        let mut r = t;
        loop {
            let Some(i) = self.claim(r, r == t) else {
                r = (r + 1) % runs;
                if r == t {
                    return;
                }
                continue;
            };
            debug_assert!(i < self.n);
            // SAFETY: task `i` is unfinished, so the caller is still waiting
            // inside `run` and the closure is alive.
            unsafe { (*self.f)(i) };
            self.done.fetch_add(1, Ordering::AcqRel);
        }
    }
}

struct Shared {
    epoch: AtomicU64,
    job: Mutex<Option<Arc<Job>>>,
    wake: Condvar,
    sleepers: AtomicUsize,
    stop: AtomicBool,
    spin: Duration,
}

/// The compute threads. Dropping the pool stops and joins the workers.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Whether the packed products run on AMX tiles.
    amx: bool,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ThreadPool({} threads, amx {})",
            self.threads(),
            self.amx
        )
    }
}

impl ThreadPool {
    /// A pool computing on `threads` threads in total (the caller counts as
    /// one, so `threads - 1` workers are started). `threads` is at least 1.
    pub fn new(threads: usize) -> Self {
        Self::with_spin(threads, DEFAULT_SPIN)
    }

    pub fn with_spin(threads: usize, spin: Duration) -> Self {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            job: Mutex::new(None),
            wake: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            spin,
        });
        let workers = (1..threads.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("flinch-compute-{i}"))
                    .spawn(move || worker(&shared, i))
                    .expect("spawning a compute thread")
            })
            .collect();
        Self {
            shared,
            workers,
            amx: crate::quant::packed::AVAILABLE && crate::quant::amx::usable(),
        }
    }

    /// The same threads with the packed products on the vector kernel only,
    /// never on AMX tiles.
    pub fn without_amx(mut self) -> Self {
        self.amx = false;
        self
    }

    /// Whether the packed products run on AMX tiles (where the CPU and the
    /// OS allow it, unless turned off).
    pub fn amx(&self) -> bool {
        self.amx
    }

    /// Threads computing, the caller included.
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Call `f(i)` for every `i` in `0..n` and return when all are done.
    pub fn run(&self, n: usize, f: &(dyn Fn(usize) + Sync)) {
        if n == 0 {
            return;
        }
        if n == 1 || self.workers.is_empty() {
            (0..n).for_each(f);
            return;
        }
        // SAFETY: lifetime erased only for storage in `Job`; see its comment.
        let f: *const TaskFn<'static> = unsafe { std::mem::transmute(f as *const TaskFn<'_>) };
        let job = Arc::new(Job::new(f, n, self.threads()));
        {
            let mut slot = self.shared.job.lock().unwrap_or_else(|e| e.into_inner());
            *slot = Some(Arc::clone(&job));
            self.shared.epoch.fetch_add(1, Ordering::AcqRel);
            if self.shared.sleepers.load(Ordering::Acquire) > 0 {
                self.shared.wake.notify_all();
            }
        }
        job.work(0);
        let mut spins = 0u32;
        while job.done.load(Ordering::Acquire) < n {
            spins += 1;
            if spins < 1 << 12 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        let mut slot = self.shared.job.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|j| Arc::ptr_eq(j, &job)) {
            *slot = None;
        }
    }

    /// Split `0..len` into about `tasks_per_thread` chunks per thread, each a
    /// multiple of `align` long (except the last), and run `f(range)` on each.
    pub fn run_chunks(
        &self,
        len: usize,
        align: usize,
        tasks_per_thread: usize,
        f: &(dyn Fn(std::ops::Range<usize>) + Sync),
    ) {
        if len == 0 {
            return;
        }
        let align = align.max(1);
        let tasks = (self.threads() * tasks_per_thread).max(1);
        let chunk = len.div_ceil(tasks).div_ceil(align) * align;
        let n = len.div_ceil(chunk);
        self.run(n, &|i| {
            let start = i * chunk;
            f(start..(start + chunk).min(len))
        });
    }
}

/// Compute thread `t` (the caller of `run` is thread 0).
fn worker(shared: &Shared, t: usize) {
    let mut seen = shared.epoch.load(Ordering::Acquire);
    loop {
        // Wait for a new epoch: spin first, then sleep.
        let started = Instant::now();
        let mut spins = 0u32;
        loop {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            let e = shared.epoch.load(Ordering::Acquire);
            if e != seen {
                seen = e;
                break;
            }
            spins += 1;
            if !spins.is_multiple_of(64) || started.elapsed() < shared.spin {
                std::hint::spin_loop();
                continue;
            }
            let slot = shared.job.lock().unwrap_or_else(|e| e.into_inner());
            shared.sleepers.fetch_add(1, Ordering::AcqRel);
            let slot = if shared.epoch.load(Ordering::Acquire) == seen
                && !shared.stop.load(Ordering::Acquire)
            {
                shared.wake.wait(slot).unwrap_or_else(|e| e.into_inner())
            } else {
                slot
            };
            shared.sleepers.fetch_sub(1, Ordering::AcqRel);
            drop(slot);
        }
        let job = shared
            .job
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(Arc::clone);
        if let Some(job) = job {
            job.work(t);
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        {
            let _slot = self.shared.job.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A raw pointer that tasks may share to write disjoint parts of one buffer.
#[derive(Clone, Copy)]
pub(crate) struct SyncPtr<T>(pub *mut T);
// SAFETY: users write disjoint index ranges from different tasks.
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}

impl<T> SyncPtr<T> {
    pub fn new(s: &mut [T]) -> Self {
        Self(s.as_mut_ptr())
    }

    /// The pointer (a closure that used the field would capture the bare
    /// pointer, which is not `Sync`).
    pub fn get(&self) -> *mut T {
        self.0
    }
    /// # Safety
    /// `i` must be in bounds and not touched by any other task.
    pub unsafe fn write(&self, i: usize, v: T) {
        unsafe { *self.0.add(i) = v }
    }

    /// # Safety
    /// The range must be in bounds and not touched by any other task.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, start: usize, len: usize) -> &mut [T] {
        unsafe { std::slice::from_raw_parts_mut(self.0.add(start), len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probe, not a check: what one hand-off to the pool costs.
    /// `cargo test --workspace --release pool_run_overhead -- --ignored --nocapture`.
    #[test]
    #[ignore = "a speed probe that prints figures"]
    fn pool_run_overhead() {
        let pool = ThreadPool::new(2);
        let sum = AtomicUsize::new(0);
        for tasks in [2usize, 8] {
            let t = Instant::now();
            for _ in 0..100_000 {
                pool.run(tasks, &|i| {
                    sum.fetch_add(i, Ordering::Relaxed);
                });
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / 1e5;
            println!("{tasks} tasks of nothing: {us:.2} µs per run");
        }
    }

    #[test]
    fn every_task_runs_exactly_once() {
        let pool = ThreadPool::new(3);
        for n in [0usize, 1, 2, 7, 1000] {
            let counts: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            pool.run(n, &|i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(
                counts.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                "n={n}"
            );
        }
    }

    /// The caller takes its own run (the first half) in order, then the
    /// worker's run from the back while the worker is held up on its front.
    #[test]
    fn each_thread_takes_its_run_in_order_and_the_others_from_the_back() {
        let pool = ThreadPool::new(2);
        let caller = std::thread::current().id();
        let order = Mutex::new(Vec::new());
        pool.run(8, &|i| {
            if std::thread::current().id() == caller {
                order.lock().unwrap().push(i);
            } else if i == 4 {
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let order = order.into_inner().unwrap();
        assert_eq!(order[..7], [0, 1, 2, 3, 7, 6, 5], "{order:?}");
    }

    #[test]
    fn chunks_cover_the_range_once() {
        let pool = ThreadPool::new(2);
        let hits: Vec<AtomicUsize> = (0..1001).map(|_| AtomicUsize::new(0)).collect();
        pool.run_chunks(1001, 16, 4, &|r| {
            assert!(r.start % 16 == 0);
            for i in r {
                hits[i].fetch_add(1, Ordering::Relaxed);
            }
        });
        assert!(hits.iter().all(|c| c.load(Ordering::Relaxed) == 1));
    }

    #[test]
    fn pool_survives_sleeping_workers() {
        let pool = ThreadPool::with_spin(2, Duration::from_micros(1));
        let sum = AtomicUsize::new(0);
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(2));
            pool.run(10, &|i| {
                sum.fetch_add(i, Ordering::Relaxed);
            });
        }
        assert_eq!(sum.load(Ordering::Relaxed), 20 * 45);
    }
}
