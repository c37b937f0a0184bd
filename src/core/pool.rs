//! The thread pool that runs worker bodies, and the roster of live workers.
//!
//! Guarantee: a started worker starts running promptly even when every thread is busy with
//! long-running work (the pool grows), idle threads are reused and expire after a while, and an
//! optional concurrency limit caps how many bodies run at once.
//!
//! # Growth protocol
//!
//! One mutex guards `PoolState`. A submitted job goes to `queue`. It is *startable* while fewer
//! than `limit` jobs run. Idle threads park and take startable jobs in FIFO order; the thread
//! woken for new work is the one that went idle last (LIFO: its caches and its core are the
//! warmest, and in a sequence of short jobs one thread serves them all).
//! When there are more startable jobs than idle threads:
//! - below `core_threads` threads, the submitter spawns a thread for the job at once;
//! - otherwise the monitor thread adds threads once the oldest has waited `grace` and no job
//!   completed during the last `grace` (completions mean the queue is moving). It adds one
//!   thread per *held* busy thread: one whose current job has lasted `grace` and is blocked
//!   (sleeping, parked by a pause, waiting on a full mailbox; read from the scheduler on
//!   Linux, `sched.rs`), or has run for `long`. A thread that is merely busy on the CPU is not
//!   held: adding threads would only compete for the same cores. So a burst of short jobs is
//!   served by the threads that exist however loaded the machine is, workers that wait get
//!   company within about `grace`, and CPU-bound long-running workers all run at once after
//!   about `long`.
//!
//! # Idle threads
//!
//! A thread with no startable job spins for up to 50 µs ([`SPIN`]) watching `submitted`, then
//! parks on its own handle. One thread spins at a time (`spinning`): more would compete for
//! the cores with the threads that submit; the others park at once.
//!
//! While it spins it counts as idle and as already woken, so a job submitted meanwhile costs
//! no futex call and no cross-core wake-up (on a VM, waking a halted core is most of a short
//! job's round trip). It then looks at the state under the lock before it parks, and a
//! submitter either sees it spinning or finds it in `idlers`: no lost wake-up.
//!
//! # Invariants
//!
//! - The monitor sleeps on `monitor` with no timeout while nothing is startable and unserved:
//!   no polling. Idle threads exit after `expiry` without work, or at once when `stopping`.
//! - `running` counts jobs between their pop from `queue` and their return; `threads` counts
//!   live pool threads; both change only under the mutex.
//!
//! # Roster
//!
//! A started worker is on the roster (name and quit handle) until its body has returned and
//! its last event is in its mailbox. The roster is not a registry of its own: a worker's job
//! carries its [`Member`] in the queue, and the thread running it holds it in its slot until
//! the job returns. So a worker costs the roster nothing beyond the two lock holds every job
//! takes anyway (submit, and the pool thread's take-next). `await_workers` asks every worker
//! on the roster to quit and waits on `changed` for the roster to empty; it never kills a
//! thread. `changed` is notified at a member's end only while someone waits (`awaiting`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::sched::{current_tid, is_blocked};
use super::sync::{lock, wait, wait_timeout};

/// What a pool thread runs: a closure, or a worker, whose body its shared state holds (so a
/// started worker costs the pool no allocation).
enum Job {
    Boxed(Box<dyn FnOnce() + Send + 'static>),
    Member(Arc<dyn Member>),
}

impl Job {
    fn run(self) {
        match self {
            Job::Boxed(f) => f(),
            Job::Member(m) => m.run(),
        }
    }
}

/// A live worker as the roster sees it.
pub(crate) trait Member: Send + Sync {
    fn name(&self) -> String;
    fn request_quit(&self);
    /// Runs the worker's body, once, on the pool thread that took its job.
    fn run(self: Arc<Self>);
}

/// A worker on the roster: its start order and its name and quit handle.
type Listed = (u64, Arc<dyn Member>);

/// A submitted job waiting for a thread.
struct Queued {
    job: Job,
    since: Instant,
    /// The start order of the worker the job runs (its roster entry is the job's own
    /// reference: no second one per queued worker); 0 for a plain job.
    member: u64,
}

impl Queued {
    fn is_member(&self) -> bool {
        self.member != 0
    }

    /// The job's roster entry, if it runs a worker.
    fn listed(&self) -> Option<Listed> {
        match &self.job {
            Job::Member(m) if self.is_member() => Some((self.member, m.clone())),
            _ => None,
        }
    }
}

/// One pool thread's slot (index fixed for the thread's life, reused after it exits).
#[derive(Default)]
struct Slot {
    /// The OS thread id, once the thread has read it.
    tid: Option<u32>,
    /// When its current job started; `None` between jobs.
    since: Option<Instant>,
    /// The worker its current job runs, if it is one.
    member: Option<Listed>,
}

struct PoolState {
    queue: VecDeque<Queued>,
    threads: usize,
    idle: usize,
    /// Idle threads not yet woken, the one idle longest first: their slot and handle. A
    /// submitter wakes (pops) the last one only while the startable jobs outnumber the
    /// threads already woken (`idle - idlers.len()`), so a burst costs a wake per idle
    /// thread, not a futex call per job.
    idlers: Vec<(usize, Thread)>,
    /// A thread is spinning for a new job (at most one: more would only compete for the
    /// cores with the threads that submit).
    spinning: bool,
    running: usize,
    limit: Option<usize>,
    core_threads: usize,
    expiry: Duration,
    grace: Duration,
    /// Jobs completed so far (the pool's sign of progress; the monitor notes when it moves).
    completions: u64,
    /// How long a job must run before its thread counts as held.
    long: Duration,
    /// The pool threads' slots, by index; `free` lists the unused ones.
    slots: Vec<Slot>,
    free: Vec<usize>,
    monitor_alive: bool,
    /// The monitor sleeps with no deadline (nothing was unserved): only then does new work
    /// need to wake it. In a timed wait it looks again at its deadline, which a newer job
    /// cannot bring forward.
    monitor_idle: bool,
    stopping: bool,
    /// Workers on the roster (see "# Roster"): queued, and running on a thread.
    queued_members: usize,
    running_members: usize,
    /// Callers waiting on `changed` in `await_workers`.
    awaiting: usize,
    peak_threads: usize,
    spawned: u64,
}

impl PoolState {
    fn startable(&self) -> usize {
        let room = self
            .limit
            .map_or(usize::MAX, |l| l.saturating_sub(self.running));
        self.queue.len().min(room)
    }

    /// Startable jobs that no idle thread will take.
    fn unserved(&self) -> usize {
        self.startable().saturating_sub(self.idle)
    }

    /// An idle thread to wake for the startable jobs, if the threads woken already do not
    /// cover them (see `idlers`).
    fn take_one_to_wake(&mut self) -> Option<Thread> {
        let woken = self.idle - self.idlers.len();
        if self.startable() > woken {
            self.idlers.pop().map(|(_, t)| t)
        } else {
            None
        }
    }

    /// Every idle thread, to look at the pool's state again (stop, new expiry).
    fn wake_all(&mut self) -> Vec<Thread> {
        self.idlers.drain(..).map(|(_, t)| t).collect()
    }

    fn live_members(&self) -> usize {
        self.queued_members + self.running_members
    }

    /// The roster, by start order.
    fn members(&self) -> Vec<Listed> {
        let queued = self.queue.iter().filter_map(Queued::listed);
        let running = self.slots.iter().filter_map(|s| s.member.clone());
        let mut v: Vec<Listed> = queued.chain(running).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }

    /// Takes `q` to run on the thread of `slot`: its job.
    fn begin(&mut self, slot: usize, q: Queued) -> Job {
        self.running += 1;
        if q.is_member() {
            self.queued_members -= 1;
            self.running_members += 1;
        }
        let s = &mut self.slots[slot];
        s.since = Some(Instant::now());
        s.member = q.listed();
        q.job
    }

    /// The job of `slot` returned: its member leaves the roster. Returns the member (to be
    /// dropped after the unlock) and whether `changed` must be notified.
    fn end(&mut self, slot: usize) -> (Option<Listed>, bool) {
        self.running -= 1;
        self.completions += 1;
        let s = &mut self.slots[slot];
        s.since = None;
        let member = s.member.take();
        let notify = member.is_some() && {
            self.running_members -= 1;
            self.awaiting > 0
        };
        (member, notify)
    }

    fn new_slot(&mut self) -> usize {
        match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        }
    }

    fn free_slot(&mut self, slot: usize) {
        self.slots[slot] = Slot::default();
        self.free.push(slot);
    }
}

struct PoolShared {
    state: Mutex<PoolState>,
    /// Jobs submitted so far: what a spinning idle thread watches, without the lock.
    submitted: AtomicU64,
    monitor: Condvar,
    changed: Condvar,
    name: String,
}

/// A pool of threads for worker bodies. [`Pool::global`] is the one workers use by default.
///
/// ```
/// use qworker::Pool;
/// let pool = Pool::new("docs");
/// let (tx, rx) = std::sync::mpsc::channel();
/// pool.execute(move || tx.send(6 * 7).unwrap()).unwrap();
/// assert_eq!(rx.recv().unwrap(), 42);
/// pool.shutdown(std::time::Duration::from_secs(5)).unwrap();
/// assert_eq!(pool.thread_count(), 0);
/// ```
#[derive(Clone)]
pub struct Pool {
    shared: Arc<PoolShared>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = lock(&self.shared.state);
        f.debug_struct("Pool")
            .field("name", &self.shared.name)
            .field("threads", &g.threads)
            .field("running", &g.running)
            .field("queued", &g.queue.len())
            .field("live_workers", &g.live_members())
            .finish()
    }
}

/// Some workers did not stop in time. Their threads keep running; nothing was killed.
///
/// ```
/// use qworker::AwaitError;
/// let e = AwaitError { still_running: vec!["loader".into()] };
/// assert_eq!(e.to_string(), "1 worker(s) did not stop in time: loader");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitError {
    /// Names of the workers still running, in start order.
    pub still_running: Vec<String>,
}

impl fmt::Display for AwaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} worker(s) did not stop in time: {}",
            self.still_running.len(),
            self.still_running.join(", ")
        )
    }
}

impl std::error::Error for AwaitError {}

/// The OS refused to create a thread.
#[derive(Debug)]
pub struct SpawnError(pub std::io::Error);

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not start a pool thread: {}", self.0)
    }
}

impl std::error::Error for SpawnError {}

static NEXT_MEMBER: AtomicU64 = AtomicU64::new(1);

impl Pool {
    /// A new, empty pool. Threads are named `"{name}-N"`.
    pub fn new(name: &str) -> Pool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Pool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    idlers: Vec::new(),
                    spinning: false,
                    running: 0,
                    limit: None,
                    core_threads: cores.max(2),
                    expiry: Duration::from_secs(30),
                    grace: Duration::from_millis(1),
                    completions: 0,
                    long: Duration::from_millis(50),
                    slots: Vec::new(),
                    free: Vec::new(),
                    monitor_alive: false,
                    monitor_idle: false,
                    stopping: false,
                    queued_members: 0,
                    running_members: 0,
                    awaiting: 0,
                    peak_threads: 0,
                    spawned: 0,
                }),
                submitted: AtomicU64::new(0),
                monitor: Condvar::new(),
                changed: Condvar::new(),
                name: name.to_string(),
            }),
        }
    }

    /// The process-wide pool workers run on unless told otherwise.
    pub fn global() -> &'static Pool {
        static GLOBAL: OnceLock<Pool> = OnceLock::new();
        GLOBAL.get_or_init(|| Pool::new("qworker"))
    }

    /// Caps how many jobs run at once (`None`: no cap, the default). Jobs over the cap wait
    /// in FIFO order.
    pub fn set_max_concurrency(&self, limit: Option<usize>) {
        let mut g = lock(&self.shared.state);
        g.limit = limit.map(|l| l.max(1));
        // A raised limit may make queued jobs startable: wake idle threads for them. If a
        // thread cannot be created now, the monitor retries, so the error needs no handling.
        let wake: Vec<Thread> = std::iter::from_fn(|| g.take_one_to_wake()).collect();
        let _ = self.dispatch(&mut g);
        drop(g);
        wake.iter().for_each(Thread::unpark);
    }

    /// The concurrency cap, if any.
    pub fn max_concurrency(&self) -> Option<usize> {
        lock(&self.shared.state).limit
    }

    /// How long an idle thread waits for work before it exits (default 30 s).
    pub fn set_expiry(&self, expiry: Duration) {
        let mut g = lock(&self.shared.state);
        g.expiry = expiry;
        let idlers = g.wake_all();
        drop(g);
        idlers.iter().for_each(Thread::unpark);
    }

    /// How long a startable job may wait, with no job completing meanwhile, before a thread
    /// is added for it (default 1 ms).
    pub fn set_grace(&self, grace: Duration) {
        lock(&self.shared.state).grace = grace;
        self.shared.monitor.notify_all();
    }

    /// Runs `job` on a pool thread. Errors only when the OS cannot create a needed thread
    /// and no thread exists to take the job.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), SpawnError> {
        self.submit(Job::Boxed(Box::new(job)), 0)
    }

    /// Runs the worker `member` ([`Member::run`]) on a pool thread: the worker is on the
    /// roster from now until its run returns (see "# Roster").
    pub(crate) fn execute_member(&self, member: Arc<dyn Member>) -> Result<(), SpawnError> {
        let id = NEXT_MEMBER.fetch_add(1, Ordering::Relaxed);
        self.submit(Job::Member(member), id)
    }

    /// Queues `job`; `member` is its worker's start order, 0 for a plain job.
    fn submit(&self, job: Job, member: u64) -> Result<(), SpawnError> {
        let mut g = lock(&self.shared.state);
        g.stopping = false;
        if member != 0 {
            g.queued_members += 1;
        }
        g.queue.push_back(Queued {
            job,
            since: Instant::now(),
            member,
        });
        self.shared.submitted.fetch_add(1, Ordering::Release);
        let wake = g.take_one_to_wake();
        let r = self.dispatch(&mut g);
        if r.is_err() && g.threads == 0 {
            let q = g.queue.pop_back();
            if q.as_ref().is_some_and(Queued::is_member) {
                g.queued_members -= 1;
            }
            drop(g);
            drop(q); // the job, after the unlock
            return r;
        }
        drop(g);
        // After the unlock: a thread woken under the lock would only wait for it again.
        if let Some(t) = wake {
            t.unpark();
        }
        Ok(())
    }

    /// Spawns threads for unserved startable jobs while below `core_threads`; wakes the
    /// monitor for the rest.
    fn dispatch(&self, g: &mut PoolState) -> Result<(), SpawnError> {
        while g.unserved() > 0 && g.threads < g.core_threads {
            self.spawn_with_front(g)?;
        }
        if g.unserved() > 0 {
            if !g.monitor_alive {
                self.start_monitor(g)?;
            }
            if g.monitor_idle {
                g.monitor_idle = false;
                self.shared.monitor.notify_one();
            }
        }
        Ok(())
    }

    /// Pops the front job and starts a new thread running it.
    fn spawn_with_front(&self, g: &mut PoolState) -> Result<(), SpawnError> {
        let q = g.queue.pop_front().expect("spawn without a queued job");
        let index = g.new_slot();
        let job = g.begin(index, q);
        g.threads += 1;
        g.spawned += 1;
        g.peak_threads = g.peak_threads.max(g.threads);
        let shared = self.shared.clone();
        let name = format!("{}-{}", self.shared.name, g.spawned);
        // Builder::spawn drops the closure on failure; keep the job where we can reclaim it.
        let kept = Arc::new(Mutex::new(Some(job)));
        let kept2 = kept.clone();
        let spawned = std::thread::Builder::new().name(name).spawn(move || {
            let first = lock(&kept2).take();
            worker_main(shared, index, first)
        });
        if let Err(e) = spawned {
            g.running -= 1;
            g.threads -= 1;
            let member = g.slots[index].member.take();
            if member.is_some() {
                g.running_members -= 1;
                g.queued_members += 1;
            }
            g.free_slot(index);
            if let Some(job) = lock(&kept).take() {
                g.queue.push_front(Queued {
                    job,
                    since: Instant::now(),
                    member: member.as_ref().map_or(0, |(id, _)| *id),
                });
            }
            return Err(SpawnError(e));
        }
        Ok(())
    }

    fn start_monitor(&self, g: &mut PoolState) -> Result<(), SpawnError> {
        let pool = self.clone();
        std::thread::Builder::new()
            .name(format!("{}-monitor", self.shared.name))
            .spawn(move || pool.monitor_main())
            .map_err(SpawnError)?;
        g.monitor_alive = true;
        Ok(())
    }

    fn monitor_main(&self) {
        let mut g = lock(&self.shared.state);
        // When the completion count was last seen to move.
        let mut seen = (g.completions, Instant::now());
        loop {
            if g.stopping {
                break;
            }
            if g.unserved() == 0 {
                g.monitor_idle = true;
                g = wait(&self.shared.monitor, g);
                g.monitor_idle = false;
                continue;
            }
            let now = Instant::now();
            if g.completions != seen.0 {
                seen = (g.completions, now);
            }
            let oldest = g.queue.front().map_or(now, |q| q.since);
            // Due when the oldest job has waited `grace` and nothing completed for `grace`.
            let due = (oldest + g.grace).max(seen.1 + g.grace);
            if now < due {
                g = wait_timeout(&self.shared.monitor, g, due - now).0;
                continue;
            }
            // Count the held busy threads (outside the lock: it reads /proc).
            let snapshot: Vec<(Option<u32>, Instant)> = g
                .slots
                .iter()
                .filter_map(|s| s.since.map(|t| (s.tid, t)))
                .collect();
            let (long, grace) = (g.long, g.grace);
            drop(g);
            let now = Instant::now();
            let held = snapshot
                .iter()
                .filter(|(tid, since)| {
                    let on_job = now.duration_since(*since);
                    // Blocked now, on a job that has lasted: a thread that briefly waits
                    // (for the pool's own lock, between short jobs) is not held.
                    on_job >= long || (on_job >= grace && tid.is_some_and(is_blocked))
                })
                .count();
            g = lock(&self.shared.state);
            let mut to_add = held.min(g.unserved());
            while to_add > 0 {
                if let Err(e) = self.spawn_with_front(&mut g) {
                    eprintln!("qworker: pool '{}': {e}; retrying", self.shared.name);
                    break;
                }
                to_add -= 1;
            }
            // Give the threads (new or busy) a grace period before judging again.
            let grace = g.grace;
            g = wait_timeout(&self.shared.monitor, g, grace).0;
        }
        g.monitor_alive = false;
        drop(g);
        self.shared.changed.notify_all();
    }

    /// Live pool threads (running or idle; not counting the monitor).
    pub fn thread_count(&self) -> usize {
        lock(&self.shared.state).threads
    }

    /// Threads waiting for work.
    pub fn idle_count(&self) -> usize {
        lock(&self.shared.state).idle
    }

    /// Jobs running now.
    pub fn running_count(&self) -> usize {
        lock(&self.shared.state).running
    }

    /// Jobs submitted and not started yet.
    pub fn queued_count(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    /// The largest number of threads alive at once so far.
    pub fn peak_threads(&self) -> usize {
        lock(&self.shared.state).peak_threads
    }

    /// Workers started and not yet done (their body has not returned).
    pub fn live_workers(&self) -> usize {
        lock(&self.shared.state).live_members()
    }

    /// Names of the workers started and not yet done, in start order.
    pub fn live_worker_names(&self) -> Vec<String> {
        // Names are read after the unlock: a member's name has a lock of its own.
        let members = lock(&self.shared.state).members();
        members.iter().map(|(_, m)| m.name()).collect()
    }

    /// Asks every live worker to quit and returns at once (see [`await_workers`] to wait).
    ///
    /// [`await_workers`]: Self::await_workers
    pub fn request_quit_all(&self) {
        let members = lock(&self.shared.state).members();
        for (_, m) in &members {
            m.request_quit();
        }
    }

    /// Asks every live worker to quit, then waits up to `timeout` for all of them to end.
    /// Names the ones that did not; never kills a thread.
    pub fn await_workers(&self, timeout: Duration) -> Result<(), AwaitError> {
        let deadline = Instant::now() + timeout;
        self.request_quit_all();
        let mut g = lock(&self.shared.state);
        while g.live_members() > 0 {
            let now = Instant::now();
            if now >= deadline {
                drop(g);
                return Err(AwaitError {
                    still_running: self.live_worker_names(),
                });
            }
            g.awaiting += 1;
            g = wait_timeout(&self.shared.changed, g, deadline - now).0;
            g.awaiting -= 1;
        }
        Ok(())
    }

    /// [`await_workers`](Self::await_workers), then stops idle threads and the monitor and
    /// waits (within the same timeout) until no pool thread is left. The pool can be used
    /// again afterwards.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), AwaitError> {
        let deadline = Instant::now() + timeout;
        self.await_workers(timeout)?;
        let mut g = lock(&self.shared.state);
        g.stopping = true;
        g.wake_all().iter().for_each(Thread::unpark);
        self.shared.monitor.notify_all();
        while g.threads > 0 || g.monitor_alive {
            let now = Instant::now();
            if now >= deadline {
                let n = g.threads;
                drop(g);
                return Err(AwaitError {
                    still_running: vec![format!("{n} pool thread(s) still busy")],
                });
            }
            g = wait_timeout(&self.shared.changed, g, deadline - now).0;
        }
        Ok(())
    }
}

fn worker_main(shared: Arc<PoolShared>, slot: usize, first: Option<Job>) {
    let tid = current_tid();
    let me = std::thread::current();
    lock(&shared.state).slots[slot].tid = tid;
    let mut job = first;
    let mut g;
    loop {
        // The finished job's member, dropped after the unlock.
        let mut ended = None;
        let mut notify = false;
        if let Some(j) = job.take() {
            // A job's own panics are caught by the task runner; this is the last line of
            // defence that keeps the pool's accounting right.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| j.run()));
            g = lock(&shared.state);
            (ended, notify) = g.end(slot);
            if g.startable() == 0 {
                // About to wait or exit: let the member go first, not after the wait.
                drop(g);
                drop(ended.take());
                if std::mem::take(&mut notify) {
                    shared.changed.notify_all();
                }
                g = lock(&shared.state);
            }
        } else {
            g = lock(&shared.state);
        }
        // Take the next startable job, or wait for one (until `expiry` after the last job).
        let mut idle_since: Option<Instant> = None;
        let mut spun = false;
        loop {
            if g.startable() > 0 {
                let q = g.queue.pop_front().expect("startable implies queued");
                job = Some(g.begin(slot, q));
                break;
            }
            if g.stopping {
                g.threads -= 1;
                g.free_slot(slot);
                drop(g);
                drop(ended);
                shared.changed.notify_all();
                return;
            }
            let now = Instant::now();
            let until = *idle_since.get_or_insert(now) + g.expiry;
            if now >= until && g.startable() == 0 {
                g.threads -= 1;
                g.free_slot(slot);
                drop(g);
                drop(ended);
                shared.changed.notify_all();
                return;
            }
            g.idle += 1;
            if !spun && !g.spinning {
                // Spin a little first, counted as idle and already woken: a job submitted
                // meanwhile needs no wake-up (see "# Idle threads"). One thread at a time.
                spun = true;
                g.spinning = true;
                let seen = shared.submitted.load(Ordering::Acquire);
                drop(g);
                spin_for_new_job(&shared.submitted, seen);
                g = lock(&shared.state);
                g.spinning = false;
                g.idle -= 1;
                continue;
            }
            g.idlers.push((slot, me.clone()));
            drop(g);
            // Woken by a submitter (which took this thread off `idlers`), by `wake_all`, at
            // the deadline, or spuriously: each case looks at the state again.
            std::thread::park_timeout(until.saturating_duration_since(now));
            g = lock(&shared.state);
            g.idle -= 1;
            if let Some(i) = g.idlers.iter().position(|(s, _)| *s == slot) {
                g.idlers.remove(i);
            }
        }
        drop(g);
        drop(ended);
        if notify {
            shared.changed.notify_all();
        }
    }
}

/// How long an idle pool thread spins for a new job before it parks.
const SPIN: Duration = Duration::from_micros(50);

/// Spins until `submitted` moves past `seen`, at most [`SPIN`].
fn spin_for_new_job(submitted: &AtomicU64, seen: u64) {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if submitted.load(Ordering::Acquire) != seen {
                return;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= SPIN {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn long_jobs_do_not_starve_a_short_one() {
        let pool = Pool::new("t-starve");
        let (release_tx, release_rx) = crossbeam_channel::unbounded::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        for _ in 0..8 {
            let rx = release_rx.clone();
            let tx = started_tx.clone();
            pool.execute(move || {
                tx.send(()).unwrap();
                let _ = rx.recv();
            })
            .unwrap();
        }
        for _ in 0..8 {
            started_rx.recv().unwrap(); // all 8 long jobs run at once
        }
        let (tx, rx) = mpsc::channel();
        pool.execute(move || tx.send(1).unwrap()).unwrap();
        assert_eq!(
            rx.recv().unwrap(),
            1,
            "the short job ran while 8 long ones block"
        );
        assert!(pool.thread_count() >= 9);
        drop(release_tx);
        pool.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(pool.thread_count(), 0);
    }

    #[test]
    fn cpu_bound_long_jobs_all_run_at_once() {
        let pool = Pool::new("t-cpu");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (started_tx, started_rx) = mpsc::channel();
        for _ in 0..6 {
            let stop = stop.clone();
            let tx = started_tx.clone();
            pool.execute(move || {
                tx.send(()).unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop(); // busy on the CPU, never blocked
                }
            })
            .unwrap();
        }
        for _ in 0..6 {
            started_rx.recv().unwrap(); // all six run at once, on two cores
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        pool.shutdown(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn concurrency_limit_is_honoured() {
        let pool = Pool::new("t-limit");
        pool.set_max_concurrency(Some(2));
        let now = Arc::new(Mutex::new((0usize, 0usize))); // (current, max)
        let (done_tx, done_rx) = mpsc::channel();
        for _ in 0..20 {
            let now = now.clone();
            let done = done_tx.clone();
            pool.execute(move || {
                {
                    let mut g = now.lock().unwrap();
                    g.0 += 1;
                    g.1 = g.1.max(g.0);
                }
                std::thread::yield_now();
                now.lock().unwrap().0 -= 1;
                done.send(()).unwrap();
            })
            .unwrap();
        }
        for _ in 0..20 {
            done_rx.recv().unwrap();
        }
        assert!(now.lock().unwrap().1 <= 2);
        pool.shutdown(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn idle_threads_are_reused() {
        let pool = Pool::new("t-reuse");
        for i in 0..200 {
            let (tx, rx) = mpsc::channel();
            pool.execute(move || tx.send(i).unwrap()).unwrap();
            assert_eq!(rx.recv().unwrap(), i);
        }
        assert!(
            pool.peak_threads() <= 3,
            "sequential jobs reuse threads, peak {}",
            pool.peak_threads()
        );
        pool.shutdown(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn a_burst_of_short_jobs_does_not_add_a_thread_per_job() {
        let pool = Pool::new("t-burst");
        let (tx, rx) = mpsc::channel();
        for i in 0..20_000u32 {
            let tx = tx.clone();
            pool.execute(move || {
                // A little CPU work: the pool is saturated, but the queue keeps moving.
                let mut x = i;
                for _ in 0..200 {
                    x = x.wrapping_mul(7).wrapping_add(1);
                }
                tx.send(x).unwrap();
            })
            .unwrap();
        }
        for _ in 0..20_000 {
            rx.recv().unwrap();
        }
        // 2 threads on a quiet machine; a few dozen at most when the machine is so overloaded
        // that short jobs stretch past `long`. Adding a thread per waiting job gave thousands.
        assert!(
            pool.peak_threads() <= 64,
            "short jobs are served by few threads, peak {}",
            pool.peak_threads()
        );
        pool.shutdown(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn no_job_is_lost_between_spinning_and_parking() {
        let pool = Pool::new("t-spin");
        let (tx, rx) = mpsc::channel();
        for i in 0..3000u64 {
            let tx = tx.clone();
            pool.execute(move || tx.send(i).unwrap()).unwrap();
            let got = rx.recv_timeout(Duration::from_secs(10));
            assert_eq!(got, Ok(i), "job {i} was run");
            // Gaps of 0 to 150 µs around the 50 µs spin: the next job comes while the thread
            // spins, as it stops spinning, or once it has parked.
            let gap = Duration::from_micros(i * 7919 % 150);
            let t = Instant::now();
            while t.elapsed() < gap {
                std::hint::spin_loop();
            }
        }
        pool.shutdown(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn idle_threads_expire() {
        let pool = Pool::new("t-expire");
        pool.set_expiry(Duration::from_millis(20));
        let (tx, rx) = mpsc::channel();
        pool.execute(move || tx.send(()).unwrap()).unwrap();
        rx.recv().unwrap();
        let g = lock(&pool.shared.state);
        let (g, _) = pool
            .shared
            .changed
            .wait_timeout_while(g, Duration::from_secs(10), |s| s.threads > 0)
            .unwrap();
        assert_eq!(g.threads, 0, "an idle thread exits after its expiry");
    }
}
