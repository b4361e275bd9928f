//! Z3 out of process: every call runs in a worker process forked from a
//! small "zygote" process, so that nothing Z3 does can take the host down.
//!
//! Z3 does take its host down on some inputs: its SMT-LIB reader calls
//! `exit(101)` when an allocation fails, an out-of-memory exception thrown
//! where Z3 does not catch it ends in `std::terminate`, and some of its
//! procedures ignore timeouts and interrupts for minutes. In a worker, each of
//! these ends one process: the worker is killed at its deadline, its exit is
//! read as a typed outcome, and Z3's process-wide memory limits are per call.
//!
//! The zygote is forked from the host once (on the first call of a
//! [`Runner`]), drops every inherited file descriptor, builds a Z3 context
//! and serves one call at a time: it forks a worker, which inherits the warm
//! context, and relays the worker's answer. Forking the small zygote takes
//! well under a millisecond, where forking a host holding a model would take
//! tens. Linux only (`fork`, `prctl`).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::{Result, SolverError};
use super::limits::SolverLimits;
use super::z3run::{
    Request, Response, WorkerError, WorkerLimits, memory_response, solve_here, timeout_response,
};

/// How long the host waits past the worker's own deadline before it gives up
/// on the zygote (which then is killed and started afresh on the next call).
const ZYGOTE_MARGIN: Duration = Duration::from_secs(2);
/// Largest message accepted between processes.
const MAX_FRAME: usize = 64 * 1024 * 1024;
/// Z3's exit code when it runs out of memory (`ERR_MEMOUT`).
const Z3_EXIT_MEMOUT: i32 = 101;

/// One call, as sent to the zygote.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    req: Request,
    limits: WorkerLimits,
    grace: Duration,
}

/// How a call ended, as sent back by the zygote.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Reply {
    Done(Response),
    Error(WorkerError),
    /// The worker missed its deadline (Z3 ignored its timeout) and was killed.
    Killed,
    /// The worker ran out of memory and died of it.
    OutOfMemory,
    /// The worker died otherwise.
    Crashed(String),
}

impl Reply {
    fn into_result(self, limits: &SolverLimits) -> Result<Response> {
        match self {
            Reply::Done(r) => Ok(r),
            Reply::Error(e) => Err(e.into()),
            Reply::Killed => Ok(timeout_response()),
            Reply::OutOfMemory => Ok(memory_response(limits.memory_mib)),
            Reply::Crashed(what) => Err(SolverError::Crashed { what }),
        }
    }
}

/// Runs calls in worker processes; one call at a time.
#[derive(Debug, Default)]
pub(crate) struct Runner {
    zygote: Mutex<Option<Zygote>>,
}

impl Runner {
    /// Runs `req` under `limits`. Returns within `timeout + grace` (plus the
    /// zygote's start on the first call), whatever Z3 does.
    pub(crate) fn run(&self, req: Request, limits: &SolverLimits) -> Result<Response> {
        let mut slot = self.zygote.lock().unwrap_or_else(|p| p.into_inner());
        let job = Job {
            req,
            limits: WorkerLimits {
                timeout: limits.timeout,
                memory_mib: limits.memory_mib,
            },
            grace: limits.watchdog_grace,
        };
        let payload = serde_json::to_vec(&job).map_err(|e| SolverError::Spawn {
            message: format!("could not encode the call: {e}"),
        })?;
        // A zygote can die between calls (its parent thread ended, say):
        // start a new one and try once more.
        for attempt in 0..2 {
            if slot.is_none() {
                *slot = Some(Zygote::spawn()?);
            }
            let Some(zygote) = slot.as_mut() else {
                continue;
            };
            let wait = limits.timeout + limits.watchdog_grace + ZYGOTE_MARGIN;
            match zygote.call(&payload, wait) {
                Ok(reply) => return reply.into_result(limits),
                Err(CallFailure::Late) => {
                    *slot = None;
                    return Ok(timeout_response());
                }
                Err(CallFailure::Broken(e)) => {
                    *slot = None;
                    if attempt == 1 {
                        return Err(SolverError::Spawn {
                            message: format!("the Z3 process stopped answering: {e}"),
                        });
                    }
                }
            }
        }
        Err(SolverError::Spawn {
            message: "the Z3 process could not be started".to_string(),
        })
    }
}

enum CallFailure {
    /// No answer by the deadline.
    Late,
    /// The pipe broke or the answer was unreadable.
    Broken(String),
}

/// The host's handle on the zygote process.
#[derive(Debug)]
struct Zygote {
    pid: libc::pid_t,
    to: File,
    from: File,
}

impl Drop for Zygote {
    fn drop(&mut self) {
        // SAFETY: signals and reaps our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

fn pipe() -> std::io::Result<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((fds[0], fds[1]))
}

impl Zygote {
    fn spawn() -> Result<Zygote> {
        let spawn_err = |e: std::io::Error| SolverError::Spawn {
            message: e.to_string(),
        };
        let (req_r, req_w) = pipe().map_err(spawn_err)?;
        let (resp_r, resp_w) = pipe().map_err(spawn_err)?;
        // SAFETY: plain libc calls.
        let host = unsafe { libc::getpid() };
        // SAFETY: the child only calls `zygote_main`, which never returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(spawn_err(std::io::Error::last_os_error()));
        }
        if pid == 0 {
            zygote_main(host, req_r, resp_w);
        }
        // SAFETY: closing the child's ends in the host; wrapping our own ends.
        unsafe {
            libc::close(req_r);
            libc::close(resp_w);
            Ok(Zygote {
                pid,
                to: File::from_raw_fd(req_w),
                from: File::from_raw_fd(resp_r),
            })
        }
    }

    fn call(&mut self, payload: &[u8], wait: Duration) -> std::result::Result<Reply, CallFailure> {
        let deadline = Instant::now() + wait;
        write_frame(&mut self.to, payload).map_err(|e| CallFailure::Broken(e.to_string()))?;
        let frame = match read_frame(&mut self.from, Some(deadline)) {
            Ok(f) => f,
            Err(FrameError::Late) => return Err(CallFailure::Late),
            Err(FrameError::Io(e)) => return Err(CallFailure::Broken(e)),
        };
        serde_json::from_slice(&frame).map_err(|e| CallFailure::Broken(e.to_string()))
    }
}

fn write_frame(to: &mut File, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(std::io::Error::other)?;
    to.write_all(&len.to_le_bytes())?;
    to.write_all(payload)
}

enum FrameError {
    Late,
    Io(String),
}

/// Waits until `fd` is readable or the deadline passes.
fn wait_readable(fd: RawFd, deadline: Option<Instant>) -> std::result::Result<(), FrameError> {
    loop {
        let timeout_ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(FrameError::Late);
                }
                i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1)
            }
        };
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(FrameError::Io(e.to_string()));
            }
        }
    }
}

fn read_exact_by(
    from: &mut File,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> std::result::Result<(), FrameError> {
    use std::os::fd::AsRawFd;
    let mut got = 0;
    while got < buf.len() {
        wait_readable(from.as_raw_fd(), deadline)?;
        match from.read(&mut buf[got..]) {
            Ok(0) => return Err(FrameError::Io("the other process closed the pipe".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e.to_string())),
        }
    }
    Ok(())
}

fn read_frame(
    from: &mut File,
    deadline: Option<Instant>,
) -> std::result::Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    read_exact_by(from, &mut len, deadline)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::Io(format!(
            "message of {len} bytes is too large"
        )));
    }
    let mut buf = vec![0u8; len];
    read_exact_by(from, &mut buf, deadline)?;
    Ok(buf)
}

/// Keeps the given descriptors (renumbered 3, 4, …), points 0–2 at
/// /dev/null and closes everything else, so that the process holds no pipe
/// or file of the host open. Returns the new numbers.
///
/// # Safety
/// Only in a freshly forked child.
unsafe fn isolate_fds(keep: &[RawFd]) -> Vec<RawFd> {
    unsafe {
        // Park the kept descriptors above anything we renumber onto.
        let parked: Vec<RawFd> = keep
            .iter()
            .map(|&fd| libc::fcntl(fd, libc::F_DUPFD, 1000))
            .collect();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        for std_fd in 0..3 {
            libc::dup2(null, std_fd);
        }
        let mut out = Vec::new();
        for (i, &fd) in parked.iter().enumerate() {
            let target = 3 + i as RawFd;
            libc::dup2(fd, target);
            out.push(target);
        }
        let first_free = 3 + keep.len() as libc::c_uint;
        if libc::syscall(libc::SYS_close_range, first_free, libc::c_uint::MAX, 0) != 0 {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
            let max = lim.rlim_cur.min(65_536) as RawFd;
            for fd in first_free as RawFd..max {
                libc::close(fd);
            }
        }
        out
    }
}

/// Ends this process when its parent does (the parent thread, strictly).
///
/// # Safety
/// Only in a freshly forked child.
unsafe fn die_with_parent(parent: libc::pid_t) {
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != parent {
            libc::_exit(0);
        }
    }
}

/// The zygote: serves calls until the host closes the pipe.
fn zygote_main(host: libc::pid_t, req: RawFd, resp: RawFd) -> ! {
    // SAFETY: we are the freshly forked child; nothing here returns.
    unsafe {
        die_with_parent(host);
        let fds = isolate_fds(&[req, resp]);
        let mut from = File::from_raw_fd(fds[0]);
        let mut to = File::from_raw_fd(fds[1]);
        // Warm Z3 up once; every worker inherits the context.
        let _ = catch_unwind(|| {
            let solver = z3::Tactic::new("smt").solver();
            solver.from_string("(declare-const x Int)(assert (> x 0))");
            let _ = solver.check();
        });
        let me = libc::getpid();
        loop {
            let Ok(frame) = read_frame(&mut from, None) else {
                libc::_exit(0);
            };
            let reply = match serde_json::from_slice::<Job>(&frame) {
                Ok(job) => {
                    let deadline = Instant::now() + job.limits.timeout + job.grace;
                    let limits = job.limits;
                    let req = job.req;
                    in_worker(me, deadline, move || solve_here(&req, &limits))
                }
                Err(e) => Reply::Error(WorkerError::Panic {
                    message: format!("unreadable call: {e}"),
                }),
            };
            let Ok(bytes) = serde_json::to_vec(&reply) else {
                libc::_exit(1);
            };
            if write_frame(&mut to, &bytes).is_err() {
                libc::_exit(0);
            }
        }
    }
}

/// Runs `body` in a forked worker and reads how it ended, killing it at the
/// deadline. Z3's memory-out exit code and an uncaught out-of-memory
/// exception (seen on the worker's stderr) are read as [`Reply::OutOfMemory`].
pub(crate) fn in_worker<F>(parent: libc::pid_t, deadline: Instant, body: F) -> Reply
where
    F: FnOnce() -> std::result::Result<Response, WorkerError>,
{
    let (Ok((out_r, out_w)), Ok((err_r, err_w))) = (pipe(), pipe()) else {
        return Reply::Crashed("could not make a pipe to the Z3 worker".to_string());
    };
    // SAFETY: the child runs `body`, writes its answer and `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Reply::Crashed(format!(
            "could not start a Z3 worker: {}",
            std::io::Error::last_os_error()
        ));
    }
    if pid == 0 {
        // SAFETY: freshly forked child; ends with `_exit`.
        unsafe {
            die_with_parent(parent);
            libc::dup2(err_w, 2);
            let mut out = File::from_raw_fd(out_w);
            let reply = match catch_unwind(AssertUnwindSafe(body)) {
                Ok(Ok(r)) => Reply::Done(r),
                Ok(Err(e)) => Reply::Error(e),
                Err(payload) => Reply::Error(WorkerError::Panic {
                    message: panic_text(payload.as_ref()),
                }),
            };
            let ok = serde_json::to_vec(&reply)
                .ok()
                .is_some_and(|b| write_frame(&mut out, &b).is_ok());
            libc::_exit(if ok { 0 } else { 1 });
        }
    }
    // SAFETY: closing the worker's ends here; wrapping ours.
    let (mut out, mut err) = unsafe {
        libc::close(out_w);
        libc::close(err_w);
        (File::from_raw_fd(out_r), File::from_raw_fd(err_r))
    };
    let answer = read_frame(&mut out, Some(deadline));
    if matches!(answer, Err(FrameError::Late)) {
        // SAFETY: our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let mut status = 0;
    // SAFETY: reaps our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let mut stderr = Vec::new();
    // SAFETY: make the read end non-blocking: read what is there, no more.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = err.as_raw_fd();
        libc::fcntl(
            fd,
            libc::F_SETFL,
            libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
        );
    }
    let _ = Read::by_ref(&mut err)
        .take(64 * 1024)
        .read_to_end(&mut stderr);
    let stderr = String::from_utf8_lossy(&stderr);
    match answer {
        Err(FrameError::Late) => Reply::Killed,
        Ok(frame) => serde_json::from_slice(&frame).unwrap_or_else(|e| {
            Reply::Crashed(format!("unreadable answer from the Z3 worker: {e}"))
        }),
        Err(FrameError::Io(_)) => {
            let exited = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
            let signal = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
            if exited == Some(Z3_EXIT_MEMOUT)
                || stderr.contains("out_of_memory")
                || stderr.contains("bad_alloc")
            {
                Reply::OutOfMemory
            } else {
                let how = match (exited, signal) {
                    (Some(code), _) => format!("exit code {code}"),
                    (_, Some(sig)) => format!("signal {sig}"),
                    _ => "an unknown cause".to_string(),
                };
                let said = stderr.trim();
                Reply::Crashed(if said.is_empty() {
                    format!("the Z3 worker died ({how})")
                } else {
                    format!("the Z3 worker died ({how}): {said}")
                })
            }
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    // SAFETY (all tests): getpid is always safe.
    fn me() -> libc::pid_t {
        unsafe { libc::getpid() }
    }

    #[test]
    fn a_worker_answer_comes_back() {
        let r = in_worker(me(), soon(5_000), || Ok(timeout_response()));
        assert!(
            matches!(r, Reply::Done(ref resp) if *resp == timeout_response()),
            "{r:?}"
        );
    }

    #[test]
    fn a_panic_in_the_worker_is_typed() {
        let r = in_worker(me(), soon(5_000), || panic!("bindings exploded"));
        let e = r.into_result(&SolverLimits::default()).unwrap_err();
        assert_eq!(e.to_string(), "the Z3 bindings failed: bindings exploded");
    }

    #[test]
    fn a_worker_past_its_deadline_is_killed() {
        let started = Instant::now();
        let r = in_worker(me(), soon(200), || {
            std::thread::sleep(Duration::from_secs(30));
            Ok(timeout_response())
        });
        assert!(matches!(r, Reply::Killed), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn z3_memout_exits_and_crashes_are_told_apart() {
        // SAFETY: `_exit` and `abort` end the worker process only.
        let r = in_worker(me(), soon(5_000), || unsafe { libc::_exit(101) });
        assert!(matches!(r, Reply::OutOfMemory), "{r:?}");
        let r = in_worker(me(), soon(5_000), || {
            // What libstdc++ prints (written to fd 2: the test harness
            // captures `eprintln!`).
            let msg = b"terminate called after throwing an instance of 'out_of_memory_error'\n";
            // SAFETY: writes a buffer to stderr.
            unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            std::process::abort()
        });
        assert!(matches!(r, Reply::OutOfMemory), "{r:?}");
        let r = in_worker(me(), soon(5_000), || std::process::abort());
        let e = r.into_result(&SolverLimits::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Z3 crashed on this script: the Z3 worker died (signal 6)"
        );
    }
}
