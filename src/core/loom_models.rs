//! loom models of the engine's protocols, run on this crate's own code: the mailbox
//! (`mailbox.rs`), the control block (`control.rs`) and the hub's ready list (`ready.rs`) take
//! their locks and atomics from `sync.rs`, which hands out loom's under the `loom` feature.
//!
//! Run: `cargo test -p qworker-core-loom loom_models` (this directory built alone, no Qt; see
//! `sync.rs`, `# Why a feature, not cfg(loom)`).
//!
//! # What is modelled
//!
//! - The receiving thread's event loop is [`Loop`]: a wake posts a drain into it, the
//!   receiver (the model's main thread) takes posted drains one at a time. `post` asserts that
//!   no drain is already waiting there: at most one drain request is outstanding.
//! - Each model states its property and its bound above its `#[test]`. A bound is loom's
//!   preemption bound (how many times a thread may be switched out while it could go on);
//!   every interleaving within it is explored. Bounds are chosen so each model runs in
//!   seconds in a debug build.
//! - A lost wake-up shows as loom's deadlock report (every thread waits) or as a failed
//!   final assertion (the event loop went idle with events undelivered).
//!
//! # Invariants
//!
//! Models never copy protocol code: they call `Mailbox`, `Control` and `Ready` as the task
//! runner, the hub and the driver do, and only the event loop is a stand-in.

use loom::model::Builder;
use loom::sync::Arc;
use loom::thread;

use super::control::{Control, Park, SendError};
use super::event::{Aborted, Event, Progress};
use super::mailbox::{Batch, Drained, Mailbox, Policy, WakeBy};
use super::ready::Ready;
use super::sync::{AtomicBool, AtomicUsize, Condvar, Mutex, lock, wait};

/// Runs `f` under every interleaving loom finds within `preemptions` (`LOOM_MAX_PREEMPTIONS`
/// overrides it, to look deeper) and prints how many it ran (`--nocapture` shows it).
fn check(name: &str, preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = Builder::new();
    let bound = *b.preemption_bound.get_or_insert(preemptions);
    // A plain std counter: loom does not see it, it only counts the runs.
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r2 = runs.clone();
    b.check(move || {
        r2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let n = runs.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("loom model {name}: {n} interleavings, preemption bound {bound}");
}

/// The receiving thread's posted-event queue, reduced to what the protocols need.
struct Loop {
    state: Mutex<LoopState>,
    cv: Condvar,
}

struct LoopState {
    /// Drains posted and not yet taken by the receiver.
    posted: usize,
    /// Producers that have not finished yet.
    producers: usize,
}

impl Loop {
    fn new(producers: usize) -> Arc<Loop> {
        Arc::new(Loop {
            state: Mutex::new(LoopState {
                posted: 0,
                producers,
            }),
            cv: Condvar::new(),
        })
    }

    /// A wake: posts one drain. At most one may wait in the queue.
    fn post(&self) {
        let mut s = lock(&self.state);
        assert_eq!(
            s.posted, 0,
            "a drain was posted while another one was outstanding"
        );
        s.posted += 1;
        drop(s);
        self.cv.notify_all();
    }

    /// A producer is done (after its last push and wake).
    fn producer_done(&self) {
        let mut s = lock(&self.state);
        s.producers -= 1;
        drop(s);
        self.cv.notify_all();
    }

    /// The receiver waits for the next posted drain; `false` once every producer is done
    /// and nothing is posted (the loop is idle for good).
    fn next(&self) -> bool {
        let mut s = lock(&self.state);
        loop {
            if s.posted > 0 {
                s.posted -= 1;
                return true;
            }
            if s.producers == 0 {
                return false;
            }
            s = wait(&self.cv, s);
        }
    }
}

type Ev = Event<u32, (), ()>;

/// An event as the models compare it.
fn rec(e: &Ev) -> (&'static str, Option<u32>) {
    match e {
        Event::Yielded(v) => ("yielded", Some(*v)),
        Event::Progress(p) => ("progress", Some(p.done as u32)),
        e => (e.kind(), None),
    }
}

/// A mailbox whose waker posts to `lp`.
fn mailbox(policy: Policy, lp: &Arc<Loop>) -> Arc<Mailbox<u32, (), ()>> {
    let lp = lp.clone();
    Arc::new(Mailbox::new(
        policy,
        WakeBy::Boxed(Box::new(move || lp.post())),
        0,
    ))
}

/// The receiver: runs every posted drain until the loop is idle for good, as the hub does
/// (a drain without a budget always ends `Empty` or `Finished`).
fn receive(
    lp: &Loop,
    mb: &Mailbox<u32, (), ()>,
    quit: &AtomicBool,
) -> Vec<(&'static str, Option<u32>)> {
    let mut batch = Batch::new();
    let mut seen = Vec::new();
    while lp.next() {
        let r = mb.drain(&mut batch, quit, None, |e| seen.push(rec(&e)));
        assert_ne!(r, Drained::More, "a drain without a budget stopped early");
    }
    seen
}

/// The worker side of a task that yields `values` and returns.
fn produce(mb: &Mailbox<u32, (), ()>, quit: &AtomicBool, values: &[u32]) {
    mb.push(Event::Started);
    for &v in values {
        mb.push_yield(v, None, quit).unwrap();
    }
    mb.push_end(Event::Returned(()));
}

/// Mailbox wake under `policy`: one producer (Started, two values, Returned + Finished)
/// against a receiver that drains on each wake.
fn mailbox_wake(name: &str, policy: Policy) {
    check(name, 4, move || {
        let lp = Loop::new(1);
        let mb = mailbox(policy, &lp);
        let quit = Arc::new(AtomicBool::new(false));
        let producer = {
            let (mb, lp, quit) = (mb.clone(), lp.clone(), quit.clone());
            thread::spawn(move || {
                produce(&mb, &quit, &[1, 2]);
                lp.producer_done();
            })
        };
        let seen = receive(&lp, &mb, &quit);
        producer.join().unwrap();
        let kinds: Vec<_> = seen.iter().map(|e| e.0).collect();
        match policy {
            Policy::Latest => {
                // The newest value is always delivered; an older one may be replaced.
                let values: Vec<_> = seen.iter().filter_map(|e| e.1).collect();
                assert!(values == [1, 2] || values == [2], "{seen:?}");
                assert_eq!(kinds.first(), Some(&"started"), "{seen:?}");
                assert_eq!(
                    kinds[kinds.len() - 2..],
                    ["returned", "finished"],
                    "{seen:?}"
                );
            }
            _ => assert_eq!(
                seen,
                [
                    ("started", None),
                    ("yielded", Some(1)),
                    ("yielded", Some(2)),
                    ("returned", None),
                    ("finished", None)
                ],
                "every event once, in order"
            ),
        }
    });
}

// Property: no lost wake (every event pushed is delivered once the loop goes idle) and at
// most one drain outstanding (`Loop::post`), delivery policy All. Bound: 4 preemptions,
// 2 threads (producer: 4 pushes; receiver).
#[test]
fn mailbox_wake_all() {
    mailbox_wake("mailbox_wake_all", Policy::All);
}

// Property: as `mailbox_wake_all`, under Bounded(1): the producer blocks after each value
// until the receiver's release, so pushes and drains interleave most. Bound: 4 preemptions.
#[test]
fn mailbox_wake_bounded() {
    mailbox_wake("mailbox_wake_bounded", Policy::Bounded(1));
}

// Property: as `mailbox_wake_all`, under Latest: the newest value is always delivered, an
// older one only if it was taken before the newer arrived, order kept. Bound: 4 preemptions.
#[test]
fn mailbox_wake_latest() {
    mailbox_wake("mailbox_wake_latest", Policy::Latest);
}

// Property: a producer blocked on a full Bounded(2) mailbox is woken by the receiver's
// releases (wake at n/2): it never deadlocks, and all three values arrive in order, once.
// Bound: 4 preemptions, 2 threads.
#[test]
fn bounded_producer_woken_by_releases() {
    check("bounded_producer_woken_by_releases", 4, || {
        let lp = Loop::new(1);
        let mb = mailbox(Policy::Bounded(2), &lp);
        let quit = Arc::new(AtomicBool::new(false));
        let producer = {
            let (mb, lp, quit) = (mb.clone(), lp.clone(), quit.clone());
            thread::spawn(move || {
                produce(&mb, &quit, &[1, 2, 3]);
                lp.producer_done();
            })
        };
        let seen = receive(&lp, &mb, &quit);
        producer.join().unwrap();
        let values: Vec<_> = seen.iter().filter_map(|e| e.1).collect();
        assert_eq!(values, [1, 2, 3]);
        assert_eq!(seen.last(), Some(&("finished", None)));
    });
}

// Property: a producer blocked on a full Bounded(1) mailbox (nobody drains) is woken by quit
// (`Control::request_quit` then `Mailbox::quit`, as `Handle::quit` does) and stops: no
// deadlock, and a receiver draining after quit returned delivers no value. Bound: 4
// preemptions, 2 threads.
#[test]
fn bounded_producer_woken_by_quit() {
    check("bounded_producer_woken_by_quit", 4, || {
        let lp = Loop::new(1);
        let mb = mailbox(Policy::Bounded(1), &lp);
        let control = Arc::new(Control::<()>::new());
        let producer = {
            let (mb, control) = (mb.clone(), control.clone());
            thread::spawn(move || {
                // `<Shared as Port>::yield_`: quit check, then push.
                for v in 1..=3 {
                    let quit = control.quit_flag();
                    if quit.load(std::sync::atomic::Ordering::Acquire) {
                        break;
                    }
                    if mb.push_yield(v, None, quit) == Err(Aborted) {
                        break;
                    }
                }
            })
        };
        if control.request_quit() {
            mb.quit();
        }
        producer.join().unwrap();
        let mut batch = Batch::new();
        let mut seen = Vec::new();
        mb.drain(&mut batch, control.quit_flag(), None, |e| {
            seen.push(rec(&e))
        });
        assert!(
            seen.is_empty(),
            "a value was delivered after quit returned: {seen:?}"
        );
    });
}

/// A value that counts its drops (the quit models check that discarded values are freed).
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

// Property: a quit under All, while the producer pushes (the quitting thread only tries the
// mailbox's lock and leaves a busy one alone): once the worker has ended (`Control::close`,
// the outcome, `take_graveyard`, as `task::run` does) and `quit()` has returned, every value
// pushed has been dropped, undelivered, and a drain after it delivers no value. A quit that
// came after the body returned changes nothing, and then every value is delivered. Bound: 3
// preemptions, 2 threads (the producer; the quitting thread, which drains afterwards).
#[test]
fn quit_during_a_flood_discards_every_value() {
    check("quit_during_a_flood_discards_every_value", 3, || {
        let lp = Loop::new(1);
        let lp2 = lp.clone();
        let mb: Arc<Mailbox<Counted, (), ()>> = Arc::new(Mailbox::new(
            Policy::All,
            WakeBy::Boxed(Box::new(move || lp2.post())),
            0,
        ));
        let control = Arc::new(Control::<()>::new());
        let pushed = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (mb, control) = (mb.clone(), control.clone());
            let (pushed, dropped, lp) = (pushed.clone(), dropped.clone(), lp.clone());
            thread::spawn(move || {
                mb.push(Event::Started);
                let quit = control.quit_flag();
                for _ in 0..2 {
                    if quit.load(std::sync::atomic::Ordering::Acquire) {
                        break;
                    }
                    let v = Counted(dropped.clone());
                    mb.push_yield(v, None, quit).unwrap();
                    pushed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                let (quit, _) = control.close();
                let outcome = if quit {
                    Event::Aborted
                } else {
                    Event::Returned(())
                };
                mb.push_end(outcome);
                drop(mb.take_graveyard(quit));
                lp.producer_done();
            })
        };
        let quitted = control.request_quit();
        if quitted {
            mb.quit();
        }
        producer.join().unwrap();
        let (pushed, dropped_now) = (
            pushed.load(std::sync::atomic::Ordering::SeqCst),
            dropped.load(std::sync::atomic::Ordering::SeqCst),
        );
        let mut batch = Batch::new();
        let mut values = 0;
        let mut kinds = Vec::new();
        while lp.next() {
            mb.drain(&mut batch, control.quit_flag(), None, |e| {
                values += matches!(e, Event::Yielded(_)) as usize;
                kinds.push(e.kind());
            });
        }
        if quitted {
            assert_eq!(dropped_now, pushed, "a value outlived the worker's end");
            assert_eq!(values, 0, "a value was delivered after quit: {kinds:?}");
            assert_eq!(kinds, ["started", "aborted", "finished"]);
        } else {
            assert_eq!(values, pushed, "{kinds:?}");
            assert_eq!(kinds.last(), Some(&"finished"));
        }
    });
}

// Property: a producer blocked on a full Bounded(1) mailbox is woken by the receiver's
// `close` (the receiver was dropped): every later push returns at once, nothing deadlocks.
// Bound: 3 preemptions (it explores every interleaving already), 2 threads.
#[test]
fn bounded_producer_woken_by_close() {
    check("bounded_producer_woken_by_close", 3, || {
        let lp = Loop::new(1);
        let mb = mailbox(Policy::Bounded(1), &lp);
        let quit = Arc::new(AtomicBool::new(false));
        let producer = {
            let (mb, quit) = (mb.clone(), quit.clone());
            thread::spawn(move || {
                for v in 1..=3 {
                    assert_eq!(mb.push_yield(v, None, &quit), Ok(()));
                }
            })
        };
        mb.close();
        producer.join().unwrap();
    });
}

/// The pacer (`pace.rs`) reduced to one worker: it calls `paced_wake` once for each deferral
/// the producer handed it, until the producer is done and nothing is left.
struct Pacer {
    /// Deferrals handed over and not yet woken; whether the producer is done.
    due: Mutex<(usize, bool)>,
    cv: Condvar,
}

impl Pacer {
    fn defer(&self) {
        lock(&self.due).0 += 1;
        self.cv.notify_all();
    }

    fn producer_done(&self) {
        lock(&self.due).1 = true;
        self.cv.notify_all();
    }

    fn run(&self, mb: &Mailbox<u32, (), ()>) {
        loop {
            let mut g = lock(&self.due);
            while g.0 == 0 && !g.1 {
                g = wait(&self.cv, g);
            }
            if g.0 == 0 {
                return;
            }
            g.0 -= 1;
            drop(g);
            mb.paced_wake();
        }
    }
}

/// Paced progress: a producer reports progress 1, 2, 3 (every progress wake after the first
/// is deferred in the models, see `mailbox::pace`), then ends with `Returned` + `Finished`
/// when `finish`, against a receiver and a pacer thread.
fn mailbox_paced(name: &str, finish: bool) {
    check(name, 3, move || {
        // Two posters: the producer and the pacer.
        let lp = Loop::new(2);
        let mb = mailbox(Policy::All, &lp);
        let quit = Arc::new(AtomicBool::new(false));
        let pacer = Arc::new(Pacer {
            due: Mutex::new((0, false)),
            cv: Condvar::new(),
        });
        let producer = {
            let (mb, lp, pacer) = (mb.clone(), lp.clone(), pacer.clone());
            thread::spawn(move || {
                mb.push(Event::Started);
                for done in 1..=3 {
                    if mb.push_progress(Progress::new(done, 3), None) {
                        pacer.defer();
                    }
                }
                if finish {
                    mb.push_end(Event::Returned(()));
                }
                pacer.producer_done();
                lp.producer_done();
            })
        };
        let paced = {
            let (mb, lp, pacer) = (mb.clone(), lp.clone(), pacer.clone());
            thread::spawn(move || {
                pacer.run(&mb);
                lp.producer_done();
            })
        };
        let seen = receive(&lp, &mb, &quit);
        producer.join().unwrap();
        paced.join().unwrap();
        assert_eq!(seen.first(), Some(&("started", None)), "{seen:?}");
        let progress: Vec<_> = seen
            .iter()
            .filter(|e| e.0 == "progress")
            .filter_map(|e| e.1)
            .collect();
        assert!(progress.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert_eq!(
            progress.last(),
            Some(&3),
            "the newest progress was lost: {seen:?}"
        );
        if finish {
            assert_eq!(
                seen[seen.len() - 2..],
                [("returned", None), ("finished", None)],
                "{seen:?}"
            );
        } else {
            assert_eq!(seen.last(), Some(&("progress", Some(3))), "{seen:?}");
        }
    });
}

// Property: paced progress loses no wake. Progress that waits for the pacer's tick is
// delivered by the tick (the newest value, in order), and at most one drain is outstanding
// also when the tick and the producer's own wakes race (`Loop::post`). Bound: 3 preemptions,
// 3 threads (producer: Started and three progress reports; pacer; receiver).
#[test]
fn mailbox_paced_progress_no_lost_wake() {
    mailbox_paced("mailbox_paced_progress_no_lost_wake", false);
}

// Property: an outcome pushed while progress waits for the pacer's tick wakes at once (it does
// not wait for the tick), a tick arriving after it posts no second drain, and `Finished` is
// last. Bound: 3 preemptions, 3 threads.
#[test]
fn mailbox_paced_progress_then_outcome() {
    mailbox_paced("mailbox_paced_progress_then_outcome", true);
}

/// Records what a checkpoint reported.
fn parks() -> (Arc<Mutex<Vec<Park>>>, impl FnMut(Park)) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l2 = log.clone();
    (log, move |p| lock(&l2).push(p))
}

// Property: the last request wins. `pause(); resume();` on one thread against two
// checkpoints on the worker: the worker never stays parked (no deadlock), every park it
// reports is followed by its unpark, and a checkpoint after both requests does not park.
// Bound: 4 preemptions, 2 threads.
#[test]
fn control_last_request_wins() {
    check("control_last_request_wins", 4, || {
        let c = Arc::new(Control::<()>::new());
        let worker = {
            let c = c.clone();
            thread::spawn(move || {
                let (log, mut on_park) = parks();
                assert_eq!(c.checkpoint(&mut on_park), Ok(()));
                assert_eq!(c.checkpoint(&mut on_park), Ok(()));
                lock(&log).clone()
            })
        };
        c.request_pause(true);
        c.request_pause(false);
        let log = worker.join().unwrap();
        assert!(
            log.chunks(2).all(|p| p == [Park::Parked, Park::Unparked]),
            "unbalanced parks: {log:?}"
        );
        let (after, mut on_park) = parks();
        assert_eq!(c.checkpoint(&mut on_park), Ok(()));
        assert!(lock(&after).is_empty(), "a checkpoint after resume parked");
    });
}

// Property: no lost resume. A worker parking on a requested pause is woken by a resume from
// another thread, whenever the resume lands (before its check, between check and wait, or
// while it waits): it returns Ok, with no park or a Parked/Unparked pair. Bound: 4
// preemptions, 2 threads.
#[test]
fn control_no_lost_resume() {
    check("control_no_lost_resume", 4, || {
        let c = Arc::new(Control::<()>::new());
        c.request_pause(true);
        let worker = {
            let c = c.clone();
            thread::spawn(move || {
                let (log, mut on_park) = parks();
                let r = c.checkpoint(&mut on_park);
                let log = lock(&log).clone();
                (r, log)
            })
        };
        c.request_pause(false);
        let (r, log) = worker.join().unwrap();
        assert_eq!(r, Ok(()));
        assert!(
            log.is_empty() || log == [Park::Parked, Park::Unparked],
            "{log:?}"
        );
    });
}

// Property: quit while paused. A worker parked on a pause is ended by a quit from another
// thread: the checkpoint returns Err(Aborted) without reporting Unparked, and does not hang.
// Bound: 4 preemptions, 2 threads.
#[test]
fn control_quit_while_paused() {
    check("control_quit_while_paused", 4, || {
        let c = Arc::new(Control::<()>::new());
        c.request_pause(true);
        let worker = {
            let c = c.clone();
            thread::spawn(move || {
                let (log, mut on_park) = parks();
                let r = c.checkpoint(&mut on_park);
                let log = lock(&log).clone();
                (r, log)
            })
        };
        assert!(c.request_quit());
        let (r, log) = worker.join().unwrap();
        assert_eq!(r, Err(Aborted));
        assert!(log.is_empty() || log == [Park::Parked], "{log:?}");
    });
}

// Property: quit while blocked in recv. A worker waiting for a sent value is ended by a quit
// from another thread: recv returns Err(Aborted) and does not hang. Bound: 4 preemptions,
// 2 threads.
#[test]
fn control_quit_while_in_recv() {
    check("control_quit_while_in_recv", 4, || {
        let c = Arc::new(Control::<u32>::new());
        let worker = {
            let c = c.clone();
            thread::spawn(move || c.recv(&mut |_| {}))
        };
        assert!(c.request_quit());
        assert_eq!(worker.join().unwrap(), Err(Aborted));
    });
}

// Property: sends are FIFO and refused once the body returned. A sender sends 1, 2, 3 while
// the worker takes one value with recv, one with take_sent, then closes: the values it
// received, then those close handed back, are exactly the accepted sends in order, and the
// refused sends come after all of them. Bound: 4 preemptions, 2 threads.
#[test]
fn control_send_fifo() {
    check("control_send_fifo", 4, || {
        let c = Arc::new(Control::<u32>::new());
        let worker = {
            let c = c.clone();
            thread::spawn(move || {
                let mut got = vec![c.recv(&mut |_| {}).unwrap()];
                got.extend(c.take_sent());
                let (quit, unreceived) = c.close();
                assert!(!quit);
                got.extend(unreceived);
                got
            })
        };
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for v in 1..=3 {
            match c.send(v) {
                Ok(()) => accepted.push(v),
                Err(SendError::Finished(v)) => refused.push(v),
                Err(e) => panic!("{e}"),
            }
        }
        let got = worker.join().unwrap();
        assert_eq!(
            got, accepted,
            "received + unreceived must be the accepted sends, in order"
        );
        assert!(accepted.iter().all(|a| refused.iter().all(|r| a < r)));
    });
}

/// The hub's drain (`qt/hub.rs`, `drain`) over a `Ready`, with entries that need `rounds`
/// drains each: an entry reports `More` until its last round (the hub then re-queues it).
/// Returns the ids in the order they were drained to `Empty`. Its linger (step 4) is one look
/// at `has_ids` (the real one looks again until its time is up): every drain that runs out of
/// ids lingers here, the most the hub's drain ever does.
fn hub_gui(lp: &Loop, ready: &Ready, rounds: usize) -> Vec<u64> {
    let mut left = std::collections::HashMap::<u64, usize>::new();
    let mut done = Vec::new();
    // The buffer kept between drains (`SPARE`), swapped with the list's at each take.
    let mut ids = Vec::new();
    while lp.next() {
        let mut again = Vec::new();
        loop {
            ready.take_into(true, &mut ids);
            if ids.is_empty() {
                if !again.is_empty() {
                    // `requeue_and_repost`
                    ids = ready.requeue(std::mem::take(&mut ids), std::mem::take(&mut again));
                    lp.post();
                    break;
                }
                if ready.has_ids() {
                    // The linger saw an id: take it.
                    continue;
                }
                ready.take_into(false, &mut ids);
                if ids.is_empty() {
                    break;
                }
            }
            for &id in &ids {
                let n = left.entry(id).or_insert(rounds);
                *n -= 1;
                if *n == 0 {
                    left.remove(&id);
                    done.push(id);
                } else {
                    again.push(id);
                }
            }
        }
    }
    done
}

/// Hub wakes: thread A wakes entry 1, thread B wakes entry 2 and later entry 3 (each a
/// mailbox's one wake per cycle), as `HubWaker::wake` does.
fn hub_ready(name: &str, rounds: usize, preemptions: usize) {
    check(name, preemptions, move || {
        let lp = Loop::new(2);
        let ready = Arc::new(Ready::new());
        let waker = |ids: &'static [u64]| {
            let (lp, ready) = (lp.clone(), ready.clone());
            thread::spawn(move || {
                for &id in ids {
                    if ready.push(id) {
                        lp.post();
                    }
                }
                lp.producer_done();
            })
        };
        let a = waker(&[1]);
        let b = waker(&[2, 3]);
        let mut done = hub_gui(&lp, &ready, rounds);
        a.join().unwrap();
        b.join().unwrap();
        let pos = |id| done.iter().position(|&d| d == id);
        assert!(
            pos(2) < pos(3),
            "ids of one waker must come out in order: {done:?}"
        );
        done.sort();
        assert_eq!(done, [1, 2, 3], "every woken entry is drained once");
    });
}

// Property: the hub's pending flag (`Ready { ids, scheduled }`): no lost wake (every pushed
// id is drained once the loop goes idle) and at most one hub drain posted at a time
// (`Loop::post`), with drains that finish each entry at once. Bound: 3 preemptions,
// 3 threads (two wakers, the GUI thread).
#[test]
fn hub_ready_no_lost_wake() {
    hub_ready("hub_ready_no_lost_wake", 1, 3);
}

// Property: as `hub_ready_no_lost_wake`, with entries that report `More` once: the drain
// re-queues them and re-posts itself with `scheduled` kept set, and still no wake is lost and
// no second drain is posted. Bound: 3 preemptions, 3 threads.
#[test]
fn hub_ready_requeue() {
    hub_ready("hub_ready_requeue", 2, 3);
}
