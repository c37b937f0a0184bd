//! A soak run on a real Qt event loop (offscreen by default): for a given time, random
//! starts, pauses, resumes, sends, quits and drops across thousands of workers (generators
//! under All, Bounded and Latest, function workers with and without a context), checking
//! every worker's events as they arrive and that memory stays flat.
//!
//! Run: `cargo run --example soak -- --seconds 60 [--seed S]` (or `QWORKER_SEED=S`); the seed
//! is printed first, and the same seed replays the same choices (not the same thread timing).
//! An hour: `cargo run --release --example soak -- --seconds 3600`.
//!
//! # Checks, per worker (each worker is one case of the closing `N passed, N failed`)
//!
//! - `started` first; at most one outcome (`aborted`, `returned`, `errored`); `finished`
//!   right after it and last; nothing after `finished`; nothing after the worker was dropped.
//! - `paused` and `resumed` alternate, `paused` first; function workers yield nothing.
//! - All and Bounded: the values are 0, 1, 2, ... each once, in order, none skipped;
//!   `returned(n)` comes after exactly `n` values. Latest: values strictly increase, and
//!   `returned(n)` comes after the newest value, `n - 1`.
//! - Once a `quit()` has returned with the quit requested (`is_abort_requested()`), no value
//!   is delivered and the outcome is `aborted`. Without a quit, the outcome is the planned one.
//! - Sent values reach the body in order (a body that receives one out of order errors).
//! - After the run every live worker is quit and must reach `finished` within 30 s.
//!
//! # Memory
//!
//! RSS (`/proc/self/statm`) is sampled every 250 ms. The median of the last third of the
//! samples must be at most 1.25 × the median of the first third plus 16 MiB: generous, since
//! the allocator keeps what it once used, but a leak of a few hundred bytes per worker over
//! tens of thousands of workers fails it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use cxx_qt_lib::QGuiApplication;
use qworker::testing::{process_events, wait_until};
use qworker::{BoxError, Context, Event, FunctionWorker, GeneratorWorker, Policy};

#[path = "../tests/common/rng.rs"]
mod rng;

/// At most this many workers alive at once.
const LIVE_CAP: usize = 300;
/// Random actions between two turns of the event loop.
const ACTIONS_PER_TURN: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Generator(Policy),
    Function,
    FunctionWithContext,
}

/// The outcome a worker that is never quit must reach.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Plan {
    Return(u64),
    Fail,
}

/// What the checker knows about one worker.
struct Track {
    id: u64,
    kind: Kind,
    plan: Plan,
    started: bool,
    outcome: Option<&'static str>,
    finished: bool,
    paused: bool,
    /// All/Bounded: the next value expected; Latest: one past the last value seen.
    next_value: u64,
    values: u64,
    /// A `quit()` returned with the quit requested.
    quit: bool,
    dropped: bool,
    failed: bool,
}

#[derive(Default)]
struct Stats {
    workers: u64,
    failed_workers: u64,
    violations: Vec<String>,
    events: u64,
    values: u64,
    outcomes: [u64; 3],
    actions: [u64; 6],
    generators: [u64; 3],
    functions: u64,
}

type Shared = Rc<RefCell<Stats>>;

impl Track {
    fn violate(&mut self, stats: &Shared, what: String) {
        let mut s = stats.borrow_mut();
        if !self.failed {
            self.failed = true;
            s.failed_workers += 1;
        }
        if s.violations.len() < 20 {
            s.violations.push(format!(
                "worker {} ({:?}, {:?}): {what}",
                self.id, self.kind, self.plan
            ));
        }
    }

    /// Checks one delivered event (`value`: the yielded value, if it is one).
    fn see(&mut self, stats: &Shared, kind: &'static str, value: Option<u64>, ret: Option<u64>) {
        stats.borrow_mut().events += 1;
        if self.dropped {
            return self.violate(
                stats,
                format!("{kind} delivered after the worker was dropped"),
            );
        }
        if self.finished {
            return self.violate(stats, format!("{kind} after finished"));
        }
        if !self.started && kind != "started" {
            return self.violate(stats, format!("{kind} before started"));
        }
        if self.outcome.is_some() && kind != "finished" {
            return self.violate(stats, format!("{kind} after the outcome"));
        }
        match kind {
            "started" if self.started => self.violate(stats, "started twice".into()),
            "started" => self.started = true,
            "yielded" => self.value(stats, value.unwrap_or(u64::MAX)),
            "paused" if self.paused => self.violate(stats, "paused twice".into()),
            "paused" => self.paused = true,
            "resumed" if !self.paused => self.violate(stats, "resumed without paused".into()),
            "resumed" => self.paused = false,
            "aborted" | "returned" | "errored" => self.outcome(stats, kind, ret),
            "finished" if self.outcome.is_none() => {
                self.violate(stats, "finished without an outcome".into())
            }
            "finished" => self.finished = true,
            _ => {} // progress, warned
        }
    }

    fn value(&mut self, stats: &Shared, v: u64) {
        stats.borrow_mut().values += 1;
        self.values += 1;
        if self.quit {
            return self.violate(stats, format!("value {v} after quit returned"));
        }
        match self.kind {
            Kind::Generator(Policy::Latest) if v < self.next_value => {
                self.violate(stats, format!("value {v} after {}", self.next_value - 1))
            }
            Kind::Generator(Policy::Latest) => self.next_value = v + 1,
            Kind::Generator(_) if v != self.next_value => {
                self.violate(stats, format!("value {v}, expected {}", self.next_value))
            }
            Kind::Generator(_) => self.next_value += 1,
            _ => self.violate(stats, "a function worker yielded".into()),
        }
    }

    fn outcome(&mut self, stats: &Shared, kind: &'static str, ret: Option<u64>) {
        self.outcome = Some(kind);
        let i = ["aborted", "returned", "errored"]
            .iter()
            .position(|k| *k == kind)
            .unwrap();
        stats.borrow_mut().outcomes[i] += 1;
        if self.quit && kind != "aborted" {
            return self.violate(stats, format!("{kind} after quit was requested"));
        }
        match (kind, self.plan) {
            ("aborted", _) if !self.quit && !self.dropped => {
                self.violate(stats, "aborted without a quit".into())
            }
            ("returned", Plan::Return(n)) => {
                if ret != Some(n) {
                    self.violate(stats, format!("returned {ret:?}, planned {n}"));
                }
                if let Kind::Generator(p) = self.kind {
                    let ok = match p {
                        Policy::Latest => n == 0 || self.next_value == n,
                        _ => self.values == n,
                    };
                    if !ok {
                        self.violate(
                            stats,
                            format!(
                                "returned {n} after {} values (next {})",
                                self.values, self.next_value
                            ),
                        );
                    }
                }
            }
            ("returned", Plan::Fail) => self.violate(stats, "returned, planned to fail".into()),
            ("errored", Plan::Return(_)) => {
                self.violate(stats, "errored, planned to return".into())
            }
            _ => {}
        }
    }
}

/// Records a worker's events into its track.
fn recorder<Y: 'static, R: 'static, E: 'static>(
    track: &Rc<RefCell<Track>>,
    stats: &Shared,
    value: fn(&Y) -> u64,
    ret: fn(&R) -> u64,
    err: fn(&E) -> String,
) -> impl FnMut(&Event<Y, R, E>) + 'static {
    let (track, stats) = (track.clone(), stats.clone());
    move |e| {
        let mut t = track.borrow_mut();
        match e {
            Event::Yielded(v) => t.see(&stats, "yielded", Some(value(v)), None),
            Event::Returned(r) => t.see(&stats, "returned", None, Some(ret(r))),
            Event::Errored(qworker::WorkerError::Failed(x)) if err(x) != "planned" => {
                let msg = err(x);
                t.violate(&stats, format!("unplanned error: {msg}"));
                t.see(&stats, "errored", None, None)
            }
            e => t.see(&stats, e.kind(), None, None),
        }
    }
}

enum Worker {
    Generator(GeneratorWorker<u64, u64, u64, BoxError>),
    Function(FunctionWorker<u64, BoxError>),
}

struct Live {
    worker: Worker,
    track: Rc<RefCell<Track>>,
    /// The next value to send (generators check they arrive in order).
    next_send: u64,
}

/// A little work that the optimiser cannot drop.
fn spin(n: u64) -> u64 {
    (0..n).fold(1u64, |a, i| a.wrapping_mul(31).wrapping_add(i))
}

fn new_worker(r: &mut rng::Rng, stats: &Shared, id: u64) -> Live {
    let fail = r.below(10) == 0;
    let work = r.below(2000);
    let pick = r.below(10);
    let (kind, n) = match pick {
        0..=2 => (Kind::Generator(Policy::All), r.below(300)),
        3..=4 => (
            Kind::Generator(Policy::Bounded(1 + r.below(16) as usize)),
            r.below(300),
        ),
        5..=6 => (Kind::Generator(Policy::Latest), r.below(300)),
        7..=8 => (Kind::Function, r.below(1000)),
        _ => (Kind::FunctionWithContext, r.below(100)),
    };
    let plan = if fail { Plan::Fail } else { Plan::Return(n) };
    let track = Rc::new(RefCell::new(Track {
        id,
        kind,
        plan,
        started: false,
        outcome: None,
        finished: false,
        paused: false,
        next_value: 0,
        values: 0,
        quit: false,
        dropped: false,
        failed: false,
    }));
    let result =
        move || -> Result<u64, BoxError> { if fail { Err("planned".into()) } else { Ok(n) } };
    let err = |e: &BoxError| e.to_string();
    let worker = match kind {
        Kind::Generator(policy) => {
            let recv_every = if r.below(4) == 0 { 1 + r.below(50) } else { 0 };
            let w =
                qworker::generator(move |cx: &mut Context<u64, u64>| -> Result<u64, BoxError> {
                    let mut expect = 0u64;
                    let mut got = |s: u64| -> Result<(), BoxError> {
                        if s != expect {
                            return Err(format!("sent {s} arrived, expected {expect}").into());
                        }
                        expect += 1;
                        Ok(())
                    };
                    for i in 0..n {
                        std::hint::black_box(spin(work));
                        if recv_every > 0 && i % recv_every == recv_every - 1 {
                            got(cx.recv()?)?;
                        }
                        if let Some(s) = cx.yield_(i)? {
                            got(s)?;
                        }
                        if i % 64 == 63 {
                            cx.progress(i, n)?;
                        }
                    }
                    result()
                })
                .policy(policy);
            w.on_event(recorder(&track, stats, |v| *v, |r| *r, err));
            stats.borrow_mut().generators[match policy {
                Policy::All => 0,
                Policy::Bounded(_) => 1,
                Policy::Latest => 2,
            }] += 1;
            Worker::Generator(w)
        }
        Kind::Function => {
            let w = qworker::function(move || {
                std::hint::black_box(spin(work * n));
                result()
            });
            w.on_event(recorder(&track, stats, |_| u64::MAX, |r| *r, err));
            stats.borrow_mut().functions += 1;
            Worker::Function(w)
        }
        Kind::FunctionWithContext => {
            let w = qworker::function_with_context(move |cx: &mut Context| {
                for _ in 0..n {
                    cx.check()?;
                    std::hint::black_box(spin(work));
                }
                result()
            });
            w.on_event(recorder(&track, stats, |_| u64::MAX, |r| *r, err));
            stats.borrow_mut().functions += 1;
            Worker::Function(w)
        }
    };
    let started = match &worker {
        Worker::Generator(w) => w.start(),
        Worker::Function(w) => w.start(),
    };
    started.expect("start");
    stats.borrow_mut().workers += 1;
    Live {
        worker,
        track,
        next_send: 0,
    }
}

/// Resident memory in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn median(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn arg(name: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    Some(
        args.get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a number")),
    )
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: start of main, no other thread yet.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    let seconds = arg("--seconds").unwrap_or(60);
    let seed = arg("--seed").unwrap_or_else(rng::seed);
    println!("soak: seed {seed} (replay: --seed {seed} or QWORKER_SEED={seed}), {seconds} s");
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();

    let mut r = rng::Rng::new(seed);
    let stats: Shared = Rc::new(RefCell::new(Stats::default()));
    let mut live: Vec<Live> = Vec::new();
    let mut samples = Vec::new();
    let mut next_id = 0u64;
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(seconds);
    let mut next_sample = t0;
    let mut next_report = t0 + Duration::from_secs(10);
    while Instant::now() < end {
        for _ in 0..ACTIONS_PER_TURN {
            let roll = r.below(100);
            if roll < 30 || live.is_empty() {
                if live.len() < LIVE_CAP {
                    next_id += 1;
                    live.push(new_worker(&mut r, &stats, next_id));
                }
                continue;
            }
            let i = r.below(live.len() as u64) as usize;
            let l = &mut live[i];
            let action = match roll {
                30..=44 => 0, // pause
                45..=59 => 1, // resume
                60..=74 => 2, // send
                75..=84 => 3, // quit
                85..=91 => 4, // drop
                _ => 5,       // toggle pause
            };
            stats.borrow_mut().actions[action] += 1;
            match (action, &l.worker) {
                (0, Worker::Generator(w)) => w.pause(),
                (1, Worker::Generator(w)) => w.resume(),
                (5, Worker::Generator(w)) => {
                    w.toggle_pause();
                }
                (2, Worker::Generator(w)) if w.send(l.next_send).is_ok() => l.next_send += 1,
                (3, w) => {
                    let requested = match w {
                        Worker::Generator(w) => {
                            w.quit();
                            w.is_abort_requested()
                        }
                        Worker::Function(w) => {
                            w.quit();
                            w.is_abort_requested()
                        }
                    };
                    if requested {
                        l.track.borrow_mut().quit = true;
                    }
                }
                (4, _) => {
                    let l = live.swap_remove(i);
                    l.track.borrow_mut().dropped = true;
                    drop(l);
                }
                _ => {}
            }
        }
        process_events(Duration::from_millis(1));
        live.retain(|l| !l.track.borrow().finished);
        let now = Instant::now();
        if now >= next_sample {
            samples.push(rss());
            next_sample = now + Duration::from_millis(250);
        }
        if now >= next_report {
            let s = stats.borrow();
            println!(
                "soak: {:>4} s: {} workers, {} live, {} events, RSS {:.1} MiB, {} failed",
                t0.elapsed().as_secs(),
                s.workers,
                live.len(),
                s.events,
                mib(*samples.last().unwrap_or(&0)),
                s.failed_workers
            );
            next_report = now + Duration::from_secs(10);
        }
    }

    // The end: quit everything still alive; every one must finish.
    for l in &live {
        let requested = match &l.worker {
            Worker::Generator(w) => {
                w.quit();
                w.is_abort_requested()
            }
            Worker::Function(w) => {
                w.quit();
                w.is_abort_requested()
            }
        };
        if requested {
            l.track.borrow_mut().quit = true;
        }
    }
    let all_finished = wait_until(Duration::from_secs(30), || {
        live.iter().all(|l| l.track.borrow().finished)
    });
    let stuck: Vec<u64> = live
        .iter()
        .filter(|l| !l.track.borrow().finished)
        .map(|l| l.track.borrow().id)
        .collect();
    for l in &live {
        let mut t = l.track.borrow_mut();
        if !t.finished {
            t.violate(&stats, "not finished 30 s after quit".into());
        }
    }
    drop(live);
    process_events(Duration::from_millis(50));

    let third = samples.len() / 3;
    let (first, last) = if third > 0 {
        (
            median(&samples[..third]),
            median(&samples[samples.len() - third..]),
        )
    } else {
        (0, 0)
    };
    let bound = first + first / 4 + 16 * 1024 * 1024;
    let rss_ok = last <= bound;

    let s = stats.borrow();
    println!(
        "soak: {} workers in {:.0?}: generators All {} / Bounded {} / Latest {}, functions {}",
        s.workers,
        t0.elapsed(),
        s.generators[0],
        s.generators[1],
        s.generators[2],
        s.functions
    );
    println!(
        "soak: {} events, {} values; outcomes: {} aborted, {} returned, {} errored",
        s.events, s.values, s.outcomes[0], s.outcomes[1], s.outcomes[2]
    );
    println!(
        "soak: actions: {} pause, {} resume, {} send, {} quit, {} drop, {} toggle",
        s.actions[0], s.actions[1], s.actions[2], s.actions[3], s.actions[4], s.actions[5]
    );
    println!(
        "soak: RSS median first third {:.1} MiB, last third {:.1} MiB, bound 1.25 x first + 16 MiB = {:.1} MiB ({} samples): {}",
        mib(first),
        mib(last),
        mib(bound),
        samples.len(),
        if rss_ok { "flat" } else { "GREW" }
    );
    println!(
        "soak: every live worker finished after the final quit: {}",
        if all_finished {
            "yes".to_string()
        } else {
            format!("NO, stuck: {stuck:?}")
        }
    );
    for v in &s.violations {
        println!("soak: VIOLATION {v}");
    }
    // One case per worker, plus the memory check and the final-quit check.
    let failed = s.failed_workers + u64::from(!rss_ok) + u64::from(!all_finished);
    let passed = s.workers - s.failed_workers + u64::from(rss_ok) + u64::from(all_finished);
    println!("{passed} passed, {failed} failed");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
