//! Behaviour tests of the Qt-free core, with a plain thread standing in for the GUI thread:
//! wakes arrive on a channel and the test drains the receiver, as the Qt layer does.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel as cb;

use super::*;

type Ev<Y, R> = Event<Y, R, String>;

/// A task whose wakes arrive on a channel.
struct Rig<Y, S, R> {
    handle: Handle<Y, S, R, String>,
    receiver: Receiver<Y, R, String>,
    wakes: cb::Receiver<()>,
    more: bool,
}

fn rig<Y, S, R>(
    body: impl FnOnce(&mut Context<Y, S>) -> Result<R, String> + Send + 'static,
    options: Options,
    pool: &Pool,
) -> Rig<Y, S, R>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
{
    let (rig, task) = unstarted(body, options);
    task.start(pool).unwrap();
    rig
}

type Unstarted<Y, S, R> = (Rig<Y, S, R>, Task<Y, S, R, String>);

fn unstarted<Y, S, R>(
    body: impl FnOnce(&mut Context<Y, S>) -> Result<R, String> + Send + 'static,
    options: Options,
) -> Unstarted<Y, S, R>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = cb::unbounded();
    let (task, handle, receiver) = task(
        Box::new(body),
        options,
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    (
        Rig {
            handle,
            receiver,
            wakes: rx,
            more: false,
        },
        task,
    )
}

impl<Y, S, R> Rig<Y, S, R> {
    /// Plays the GUI thread until `finished`; returns every event.
    fn run(&mut self) -> Vec<Ev<Y, R>> {
        let mut out = vec![];
        self.run_until(&mut out, |_| false);
        out
    }

    /// Delivers events into `out` until `finished` or until `stop` says so (checked after
    /// each event). Returns whether it stopped on `finished`. Waits for a wake before each
    /// drain, except after `Drained::More`, when the Qt layer re-posts the drain itself.
    fn run_until(
        &mut self,
        out: &mut Vec<Ev<Y, R>>,
        mut stop: impl FnMut(&Ev<Y, R>) -> bool,
    ) -> bool {
        loop {
            if !self.more {
                self.wakes
                    .recv_timeout(Duration::from_secs(30))
                    .expect("no wake within 30 s: the mailbox lost a wake-up");
            }
            let mut stopped = false;
            let status = self.receiver.drain(Some(Duration::from_millis(2)), |e| {
                stopped |= stop(&e);
                out.push(e);
            });
            self.more = status == Drained::More;
            if status == Drained::Finished {
                return true;
            }
            if stopped {
                return false;
            }
        }
    }
}

fn kinds<Y, R, E>(events: &[Event<Y, R, E>]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind()).collect()
}

fn yields<Y: Clone, R, E>(events: &[Event<Y, R, E>]) -> Vec<Y> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Yielded(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn opts() -> Options {
    Options {
        name: "test".into(),
        ..Options::default()
    }
}

/// Checks the lifecycle invariants of one event stream; returns the outcome's kind.
fn check_order<Y, R, E>(events: &[Event<Y, R, E>]) -> &'static str {
    assert!(
        matches!(events.first(), Some(Event::Started)),
        "started first: {:?}",
        kinds(events)
    );
    assert!(
        matches!(events.last(), Some(Event::Finished)),
        "finished last: {:?}",
        kinds(events)
    );
    let finished = events
        .iter()
        .filter(|e| matches!(e, Event::Finished))
        .count();
    assert_eq!(finished, 1, "finished exactly once");
    let outcomes: Vec<_> = events.iter().filter(|e| e.is_outcome()).collect();
    assert_eq!(
        outcomes.len(),
        1,
        "exactly one outcome: {:?}",
        kinds(events)
    );
    let n = events.len();
    assert!(
        events[n - 2].is_outcome(),
        "the outcome comes right before finished"
    );
    let mut paused = false;
    for e in &events[1..n - 2] {
        match e {
            Event::Started => panic!("started twice"),
            Event::Paused => {
                assert!(!paused, "paused twice without resumed");
                paused = true;
            }
            Event::Resumed => {
                assert!(paused, "resumed without paused");
                paused = false;
            }
            _ => {}
        }
    }
    events[n - 2].kind()
}

// ---- kinds of worker ----

#[test]
fn generator_yields_in_order_then_returns() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..100 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok("done")
        },
        opts(),
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(check_order(&ev), "returned");
    assert_eq!(yields(&ev), (0..100).collect::<Vec<_>>());
    assert!(matches!(ev[ev.len() - 2], Event::Returned("done")));
}

#[test]
fn function_worker_returns_its_value() {
    let (tx, rx) = cb::unbounded();
    let (task, _h, mut rcv) = task::<NoYield, (), u64, String>(
        function_body(|| Ok((1..=10u64).product())),
        opts(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    task.start(Pool::global()).unwrap();
    let mut ev = vec![];
    while rx.recv().is_ok() {
        if rcv.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(kinds(&ev), ["started", "returned", "finished"]);
    assert!(matches!(ev[1], Event::Returned(3_628_800)));
}

#[test]
fn function_worker_with_check_can_be_quit() {
    let (go_tx, go_rx) = cb::bounded::<()>(0);
    let mut r = rig(
        move |cx: &mut Context| {
            go_tx.send(()).unwrap();
            loop {
                cx.check().map_err(|e| e.to_string())?;
                std::thread::yield_now();
            }
        },
        opts(),
        Pool::global(),
    );
    go_rx.recv().unwrap(); // the loop is running
    r.handle.quit();
    let ev: Vec<Ev<NoYield, ()>> = r.run();
    assert_eq!(kinds(&ev), ["started", "aborted", "finished"]);
}

#[test]
fn iterator_worker_yields_every_item() {
    let (tx, rx) = cb::unbounded();
    let (task, _h, mut rcv) = task(
        iter_body(vec!["a", "b", "c"]),
        opts(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    task.start(Pool::global()).unwrap();
    let mut ev = vec![];
    while rx.recv().is_ok() {
        if rcv.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(check_order(&ev), "returned");
    assert_eq!(yields(&ev), ["a", "b", "c"]);
}

#[test]
fn custom_work_type_runs_with_the_generator_lifecycle() {
    struct Squares {
        n: u64,
    }
    impl Work for Squares {
        type Yield = u64;
        type Input = u64;
        type Output = u64;
        type Error = Aborted;
        fn work(&mut self, cx: &mut Context<u64, u64>) -> Result<u64, Aborted> {
            let mut sum = 0;
            for i in 0..self.n {
                sum += i * i;
                if let Some(extra) = cx.yield_(i * i)? {
                    sum += extra;
                }
            }
            Ok(sum)
        }
    }
    let (tx, rx) = cb::unbounded();
    let (task, h, mut rcv) = task(
        work_body(Squares { n: 5 }),
        opts(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    h.send(1000).unwrap();
    task.start(Pool::global()).unwrap();
    let mut ev = vec![];
    while rx.recv().is_ok() {
        if rcv.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(yields(&ev), [0, 1, 4, 9, 16]);
    assert!(matches!(ev[ev.len() - 2], Event::Returned(1030)));
}

// ---- errors ----

#[test]
fn an_error_becomes_errored_never_returned() {
    let mut r = rig(
        |cx: &mut Context<i32>| {
            cx.yield_(1).map_err(|e| e.to_string())?;
            Err::<(), _>("disk full".to_string())
        },
        opts(),
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "yielded", "errored", "finished"]);
    match &ev[2] {
        Event::Errored(WorkerError::Failed(e)) => assert_eq!(e, "disk full"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_panic_becomes_errored_with_its_message() {
    let mut r = rig(
        |_cx: &mut Context<i32>| -> Result<(), String> { panic!("boom at step {}", 7) },
        opts(),
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "errored", "finished"]);
    match &ev[1] {
        Event::Errored(e) => {
            assert!(e.is_panic());
            assert_eq!(e.to_string(), "panicked: boom at step 7");
        }
        other => panic!("{other:?}"),
    }
}

// ---- control ----

/// A body that yields forever, reporting what it received.
fn forever(
    got: Arc<Mutex<Vec<Option<u32>>>>,
) -> impl FnOnce(&mut Context<u32, u32>) -> Result<(), String> + Send + 'static {
    move |cx| {
        let mut i = 0;
        loop {
            let r = cx.yield_(i).map_err(|e| e.to_string())?;
            got.lock().unwrap().push(r);
            i += 1;
        }
    }
}

#[test]
fn quit_gives_aborted_then_finished_and_no_returned() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(5)));
    r.handle.quit();
    assert!(r.run_until(&mut ev, |_| false));
    assert_eq!(check_order(&ev), "aborted");
    assert!(!kinds(&ev).contains(&"returned"));
    let y = yields(&ev);
    assert_eq!(
        y,
        (0..y.len() as u32).collect::<Vec<_>>(),
        "no value lost or reordered"
    );
}

#[test]
fn quit_discards_values_not_delivered_yet_and_keeps_other_events() {
    let yielded = Arc::new(AtomicUsize::new(0));
    let y = yielded.clone();
    let mut r = rig(
        move |cx: &mut Context<u32>| -> Result<(), String> {
            for i in 0..50_000 {
                cx.yield_(i).map_err(|e| e.to_string())?;
                if i == 100 {
                    cx.warn("a warning among the values");
                }
                y.store(i as usize + 1, Ordering::SeqCst);
            }
            loop {
                cx.check().map_err(|e| e.to_string())?;
                std::thread::yield_now();
            }
        },
        opts(),
        Pool::global(),
    );
    // Nothing is drained until every value is queued; then quit.
    while yielded.load(Ordering::SeqCst) < 50_000 {
        std::thread::yield_now();
    }
    r.handle.quit();
    let ev = r.run();
    assert_eq!(
        kinds(&ev),
        ["started", "warned", "aborted", "finished"],
        "queued values are discarded at quit; the warning stays"
    );
}

#[test]
fn quit_before_start_still_reports_started_aborted_finished() {
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    let (mut r, task) = unstarted(
        move |_cx: &mut Context<u32>| {
            ran2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        },
        opts(),
    );
    r.handle.quit();
    task.start(Pool::global()).unwrap();
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "aborted", "finished"]);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the body never ran");
}

#[test]
fn pause_parks_at_the_next_checkpoint_and_resume_continues() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(3)));
    r.handle.pause();
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    // Parked: nothing is delivered until resume. The next wake can only come from resume.
    let before = ev.len();
    r.handle.resume();
    r.run_until(&mut ev, |e| matches!(e, Event::Resumed));
    assert!(
        matches!(ev[before], Event::Resumed),
        "resumed is the first event after paused"
    );
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(v) if *v > 20));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    check_order(&ev);
    let p = ev.iter().position(|e| matches!(e, Event::Paused)).unwrap();
    assert!(matches!(ev[p + 1], Event::Resumed), "{:?}", kinds(&ev));
}

#[test]
fn pause_then_resume_before_a_checkpoint_leaves_it_running() {
    let (gate_tx, gate_rx) = cb::bounded::<()>(0);
    let mut r = rig(
        move |cx: &mut Context<u32>| {
            gate_rx.recv().unwrap();
            for i in 0..5 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    r.handle.pause();
    r.handle.resume();
    gate_tx.send(()).unwrap();
    let ev = r.run();
    assert_eq!(check_order(&ev), "returned");
    assert!(
        !kinds(&ev).contains(&"paused"),
        "the last request wins: {:?}",
        kinds(&ev)
    );
}

#[test]
fn toggle_pause_flips_the_request() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(1)));
    assert!(r.handle.toggle_pause());
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    assert!(!r.handle.toggle_pause());
    r.run_until(&mut ev, |e| matches!(e, Event::Resumed));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    check_order(&ev);
}

#[test]
fn quit_while_paused_aborts_without_resumed() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.handle.pause();
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    assert_eq!(check_order(&ev), "aborted");
    let after_pause = &ev[ev.iter().position(|e| matches!(e, Event::Paused)).unwrap()..];
    assert_eq!(kinds(after_pause), ["paused", "aborted", "finished"]);
}

#[test]
fn sends_are_received_oldest_first_one_per_yield() {
    let got = Arc::new(Mutex::new(vec![]));
    let (mut r, task) = unstarted(
        {
            let got = got.clone();
            move |cx: &mut Context<u32, u32>| {
                for i in 0..5 {
                    got.lock()
                        .unwrap()
                        .push(cx.yield_(i).map_err(|e| e.to_string())?);
                }
                Ok(())
            }
        },
        opts(),
    );
    for v in [10, 20, 30] {
        r.handle.send(v).unwrap();
    }
    task.start(Pool::global()).unwrap();
    r.run();
    assert_eq!(
        *got.lock().unwrap(),
        [Some(10), Some(20), Some(30), None, None]
    );
}

#[test]
fn a_send_while_paused_is_received_after_resume() {
    let got = Arc::new(Mutex::new(vec![]));
    let mut r = rig(forever(got.clone()), opts(), Pool::global());
    let mut ev = vec![];
    r.handle.pause();
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    r.handle.send(99).unwrap();
    let received_while_paused = got.lock().unwrap().contains(&Some(99));
    assert!(!received_while_paused);
    r.handle.resume();
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(v) if *v >= 3));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    let g = got.lock().unwrap();
    assert_eq!(g.iter().filter(|v| **v == Some(99)).count(), 1);
}

#[test]
fn recv_waits_for_a_value_and_honours_quit() {
    let mut r = rig(
        |cx: &mut Context<u32, u32>| {
            let mut total = 1;
            loop {
                cx.yield_(total).map_err(|e| e.to_string())?;
                total *= cx.recv().map_err(|e| e.to_string())?;
                if total == 0 {
                    return Ok("Game Over!");
                }
            }
        },
        opts(),
        Pool::global(),
    );
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(1)));
    r.handle.send(6).unwrap();
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(6)));
    r.handle.send(7).unwrap();
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(42)));
    r.handle.send(0).unwrap();
    r.run_until(&mut ev, |_| false);
    assert_eq!(yields(&ev), [1, 6, 42]);
    assert!(matches!(ev[ev.len() - 2], Event::Returned("Game Over!")));

    let mut r2 = rig(
        |cx: &mut Context<u32, u32>| cx.recv().map(|_| ()).map_err(|e| e.to_string()),
        opts(),
        Pool::global(),
    );
    let mut ev2 = vec![];
    r2.run_until(&mut ev2, |e| matches!(e, Event::Started));
    r2.handle.quit();
    r2.run_until(&mut ev2, |_| false);
    assert_eq!(kinds(&ev2), ["started", "aborted", "finished"]);
}

#[test]
fn send_to_a_finished_worker_is_refused_and_unreceived_values_are_reported() {
    let (gate_tx, gate_rx) = cb::bounded::<()>(0);
    let mut r = rig(
        move |_cx: &mut Context<u32, u32>| {
            gate_rx.recv().unwrap();
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    r.handle.send(1).unwrap();
    r.handle.send(2).unwrap();
    gate_tx.send(()).unwrap();
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "warned", "returned", "finished"]);
    match &ev[1] {
        Event::Warned(m) => assert!(m.contains("2 value(s)") && m.contains("'test'"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.handle.send(3), Err(SendError::Finished(3)));
}

// ---- progress and warnings ----

#[test]
fn progress_total_ticks_per_yield_coalesces_and_overflows_to_unknown() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..12 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            progress_total: Some(10),
            ..opts()
        },
        Pool::global(),
    );
    // Let the body finish before the GUI drains: ticks must be coalesced.
    let mut ev = vec![];
    while !r.handle.is_done() {
        std::thread::yield_now();
    }
    r.run_until(&mut ev, |_| false);
    let progress: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [Progress { done: 12, total: 0 }],
        "{:?}",
        kinds(&ev)
    );
    assert_eq!(yields(&ev), (0..12).collect::<Vec<_>>());
    assert!(
        matches!(ev[ev.len() - 3], Event::Progress(_)),
        "progress after the last yield"
    );
}

#[test]
fn progress_events_follow_the_yields_they_count() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..500 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            progress_total: Some(500),
            ..opts()
        },
        Pool::global(),
    );
    let ev = r.run();
    let mut yielded = 0u64;
    let mut last = 0;
    for e in &ev {
        match e {
            Event::Yielded(_) => yielded += 1,
            Event::Progress(p) => {
                assert!(
                    p.done <= yielded,
                    "progress {} ran ahead of {} yields",
                    p.done,
                    yielded
                );
                assert!(p.done >= last, "progress went backwards");
                assert_eq!(p.total, 500);
                last = p.done;
            }
            _ => {}
        }
    }
    assert_eq!(last, 500);
}

#[test]
fn explicit_progress_and_warnings_arrive_in_order() {
    let mut r = rig(
        |cx: &mut Context| {
            cx.progress(1, 4).map_err(|e| e.to_string())?;
            cx.warn("half way");
            cx.progress(2, 4).map_err(|e| e.to_string())?;
            cx.progress(9, 4).map_err(|e| e.to_string())?;
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    while !r.handle.is_done() {
        std::thread::yield_now();
    }
    let ev: Vec<Ev<NoYield, ()>> = r.run();
    let shown: Vec<String> = ev
        .iter()
        .map(|e| match e {
            Event::Progress(p) => format!("{}/{}", p.done, p.total),
            Event::Warned(m) => m.clone(),
            other => other.kind().to_string(),
        })
        .collect();
    // Undelivered progress is replaced by the newest, which takes the newest position:
    // the warning stays before it, and 2/4 never shows.
    assert_eq!(
        shown,
        ["started", "half way", "9/0", "returned", "finished"]
    );
}

#[test]
fn many_workers_warning_at_once_each_get_their_own_messages() {
    let mut rigs: Vec<_> = (0..20)
        .map(|w| {
            rig(
                move |cx: &mut Context| {
                    for i in 0..50 {
                        cx.warn(format!("w{w} m{i}"));
                    }
                    Ok(())
                },
                opts(),
                Pool::global(),
            )
        })
        .collect();
    for (w, r) in rigs.iter_mut().enumerate() {
        let ev: Vec<Ev<NoYield, ()>> = r.run();
        let msgs: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Warned(m) => Some(m.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            msgs,
            (0..50).map(|i| format!("w{w} m{i}")).collect::<Vec<_>>()
        );
    }
}

// ---- policies ----

fn finished_before_drain(policy: Policy, n: u32) -> Vec<Ev<u32, ()>> {
    let mut r = rig(
        move |cx: &mut Context<u32>| {
            for i in 0..n {
                cx.yield_(i).map_err(|e| e.to_string())?;
                if i % 100 == 0 {
                    cx.warn(format!("at {i}"));
                }
            }
            Ok(())
        },
        Options { policy, ..opts() },
        Pool::global(),
    );
    while !r.handle.is_done() {
        std::thread::yield_now();
    }
    let ev = r.run();
    assert_eq!(
        r.wakes.len(),
        0,
        "one wake for the whole backlog, not one per event"
    );
    ev
}

#[test]
fn policy_all_delivers_everything() {
    let ev = finished_before_drain(Policy::All, 10_000);
    assert_eq!(yields(&ev), (0..10_000).collect::<Vec<_>>());
}

#[test]
fn policy_latest_keeps_the_newest_value_and_every_other_event() {
    let ev = finished_before_drain(Policy::Latest, 10_000);
    assert_eq!(
        yields(&ev),
        [9_999],
        "only the newest undelivered value survives"
    );
    let warns = ev.iter().filter(|e| matches!(e, Event::Warned(_))).count();
    assert_eq!(warns, 100, "non-yield events are all kept");
    assert_eq!(check_order(&ev), "returned");
}

#[test]
fn policy_latest_with_a_live_receiver_delivers_in_order_and_the_last_one() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..50_000 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            policy: Policy::Latest,
            ..opts()
        },
        Pool::global(),
    );
    let ev = r.run();
    let y = yields(&ev);
    assert!(y.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(
        *y.last().unwrap(),
        49_999,
        "the newest value is always delivered"
    );
}

#[test]
fn policy_bounded_blocks_the_producer_and_quit_unblocks_it() {
    let done = Arc::new(AtomicUsize::new(0));
    let (step_tx, step_rx) = cb::unbounded();
    let mut r = rig(
        {
            let done = done.clone();
            move |cx: &mut Context<u32>| -> Result<(), String> {
                for i in 0.. {
                    cx.yield_(i).map_err(|e| e.to_string())?;
                    done.store(i as usize + 1, Ordering::SeqCst);
                    step_tx.send(i).unwrap();
                }
                unreachable!()
            }
        },
        Options {
            policy: Policy::Bounded(3),
            ..opts()
        },
        Pool::global(),
    );
    for _ in 0..3 {
        step_rx.recv().unwrap();
    }
    // The 4th yield must block while 3 values are undelivered. A correct implementation can
    // only make this wait pass; a broken one fails it.
    assert!(step_rx.recv_timeout(Duration::from_millis(100)).is_err());
    assert_eq!(done.load(Ordering::SeqCst), 3);
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(0)));
    step_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("delivering one value frees one slot");
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    assert_eq!(check_order(&ev), "aborted");
    let y = yields(&ev);
    assert_eq!(y, (0..y.len() as u32).collect::<Vec<_>>());
}

#[test]
fn policy_bounded_delivers_everything_exactly_once() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..20_000 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            policy: Policy::Bounded(16),
            ..opts()
        },
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(yields(&ev), (0..20_000).collect::<Vec<_>>());
}

// ---- lifetimes ----

#[test]
fn dropping_the_receiver_quits_the_worker_and_drops_its_values() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl Counted {
        fn new() -> Counted {
            LIVE.fetch_add(1, Ordering::SeqCst);
            Counted
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let pool = Pool::new("t-drop");
    let r = rig(
        |cx: &mut Context<Counted>| -> Result<(), String> {
            loop {
                cx.yield_(Counted::new()).map_err(|e| e.to_string())?;
            }
        },
        opts(),
        &pool,
    );
    while LIVE.load(Ordering::SeqCst) < 1000 {
        std::thread::yield_now();
    }
    let Rig {
        handle, receiver, ..
    } = r;
    drop(receiver);
    assert!(handle.is_abort_requested());
    pool.await_workers(Duration::from_secs(30)).unwrap();
    assert!(handle.is_done());
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "every undelivered value was dropped"
    );
    pool.shutdown(Duration::from_secs(10)).unwrap();
}

#[test]
fn await_workers_names_the_ones_that_do_not_stop() {
    let pool = Pool::new("t-await");
    let (release_tx, release_rx) = cb::bounded::<()>(0);
    let (started_tx, started_rx) = cb::bounded::<()>(2);
    let stubborn = rig(
        {
            let started_tx = started_tx.clone();
            move |_cx: &mut Context<u32>| {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap(); // ignores quit
                Ok(())
            }
        },
        Options {
            name: "stubborn".into(),
            ..opts()
        },
        &pool,
    );
    let polite = rig(
        move |cx: &mut Context<u32>| -> Result<(), String> {
            started_tx.send(()).unwrap();
            loop {
                cx.check().map_err(|e| e.to_string())?;
                std::thread::yield_now();
            }
        },
        Options {
            name: "polite".into(),
            ..opts()
        },
        &pool,
    );
    started_rx.recv().unwrap();
    started_rx.recv().unwrap();
    let err = pool.await_workers(Duration::from_millis(200)).unwrap_err();
    assert_eq!(err.still_running, ["stubborn"]);
    assert!(polite.handle.is_done());
    release_tx.send(()).unwrap();
    pool.await_workers(Duration::from_secs(30)).unwrap();
    assert_eq!(pool.live_workers(), 0);
    drop((stubborn, polite));
    pool.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(pool.thread_count(), 0);
}

#[test]
fn a_worker_can_start_a_worker_from_its_own_thread() {
    let (inner_tx, inner_rx) = cb::unbounded();
    let inner_rx2 = inner_rx.clone();
    let mut outer = rig(
        move |cx: &mut Context<u32>| {
            let (task, _h, receiver) = task::<u32, (), u32, String>(
                Box::new(|cx| {
                    cx.yield_(7).map_err(|e| e.to_string())?;
                    Ok(8)
                }),
                opts(),
                Box::new(move || {
                    let _ = inner_tx.send(());
                }),
            );
            task.start(Pool::global()).map_err(|e| e.to_string())?;
            cx.yield_(1).map_err(|e| e.to_string())?;
            // Hand the receiver to the "GUI" through a channel-like Mutex slot.
            *INNER.lock().unwrap() = Some(receiver);
            Ok(2)
        },
        opts(),
        Pool::global(),
    );
    static INNER: Mutex<Option<Receiver<u32, u32, String>>> = Mutex::new(None);
    let ev = outer.run();
    assert_eq!(check_order(&ev), "returned");
    let mut receiver = INNER.lock().unwrap().take().unwrap();
    let mut inner_ev = vec![];
    while inner_rx2.recv().is_ok() {
        if receiver.drain(None, |e| inner_ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(
        kinds(&inner_ev),
        ["started", "yielded", "returned", "finished"]
    );
}

// ---- stress ----

/// xorshift64*: small, seedable, good enough to pick random actions.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Yields(u32),
    YieldsThenFail(u32),
    YieldsThenPanic(u32),
    Function,
    Receiving(u32),
}

#[test]
fn stress_random_bodies_and_random_controls_keep_every_invariant() {
    const WORKERS: usize = 300;
    let seed = std::env::var("QWORKER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("stress seed: {seed} (rerun with QWORKER_SEED={seed})");
    let mut rng = Rng(seed);
    let pool = Pool::new("t-stress");
    pool.set_expiry(Duration::from_millis(50));

    let (wake_tx, wake_rx) = cb::unbounded::<usize>();
    let mut receivers = vec![];
    let mut handles = vec![];
    let mut plans = vec![];
    let mut policies = vec![];
    let received: Arc<Vec<Mutex<Vec<u64>>>> =
        Arc::new((0..WORKERS).map(|_| Mutex::new(vec![])).collect());

    for w in 0..WORKERS {
        let plan = match rng.below(5) {
            0 => Plan::Yields(rng.below(2000) as u32),
            1 => Plan::YieldsThenFail(rng.below(100) as u32),
            2 => Plan::YieldsThenPanic(rng.below(100) as u32),
            3 => Plan::Function,
            _ => Plan::Receiving(rng.below(50) as u32 + 1),
        };
        let policy = match rng.below(3) {
            0 => Policy::All,
            1 => Policy::Bounded(rng.below(8) as usize + 1),
            _ => Policy::Latest,
        };
        let sleepy = rng.below(4) == 0;
        let got = received.clone();
        let body = move |cx: &mut Context<u64, u64>| -> Result<u32, String> {
            let a = |e: Aborted| e.to_string();
            let nap = || {
                if sleepy {
                    std::thread::sleep(Duration::from_micros(50));
                }
            };
            match plan {
                Plan::Yields(n) => {
                    for i in 0..n {
                        if let Some(v) = cx.yield_(i as u64).map_err(a)? {
                            got[w].lock().unwrap().push(v);
                        }
                        nap();
                    }
                    Ok(n)
                }
                Plan::YieldsThenFail(n) => {
                    for i in 0..n {
                        cx.yield_(i as u64).map_err(a)?;
                        nap();
                    }
                    Err(format!("planned failure after {n}"))
                }
                Plan::YieldsThenPanic(n) => {
                    for i in 0..n {
                        cx.yield_(i as u64).map_err(a)?;
                    }
                    panic!("planned panic after {n}");
                }
                Plan::Function => {
                    for _ in 0..1000 {
                        cx.check().map_err(a)?;
                        nap();
                    }
                    cx.warn("function done");
                    Ok(0)
                }
                Plan::Receiving(n) => {
                    for i in 0..n {
                        cx.yield_(i as u64).map_err(a)?;
                        let v = cx.recv().map_err(a)?;
                        got[w].lock().unwrap().push(v);
                    }
                    Ok(n)
                }
            }
        };
        let tx = wake_tx.clone();
        let (task, handle, receiver) = task(
            Box::new(body),
            Options {
                name: format!("w{w}"),
                policy,
                progress_total: (rng.below(2) == 0).then_some(100),
            },
            Box::new(move || {
                let _ = tx.send(w);
            }),
        );
        task.start(&pool).unwrap();
        receivers.push(Some(receiver));
        handles.push(handle);
        plans.push(plan);
        policies.push(policy);
    }
    drop(wake_tx);

    // Random controls from another thread. Receiving workers get a steady supply of values
    // (or a quit) so they cannot wait forever.
    let ctl_handles = handles.clone();
    let ctl_plans = plans.clone();
    let sent: Arc<Vec<Mutex<Vec<u64>>>> =
        Arc::new((0..WORKERS).map(|_| Mutex::new(vec![])).collect());
    let sent2 = sent.clone();
    let mut ctl_rng = Rng(seed.rotate_left(17) | 1);
    let controller = std::thread::spawn(move || {
        let mut next_value = 1_000_000u64;
        for round in 0..20_000 {
            let w = ctl_rng.below(WORKERS as u64) as usize;
            let h = &ctl_handles[w];
            match ctl_rng.below(10) {
                0 => h.pause(),
                1 | 2 => h.resume(),
                3 => {
                    h.toggle_pause();
                }
                4 if ctl_rng.below(8) == 0 => h.quit(),
                _ => {
                    next_value += 1;
                    if h.send(next_value).is_ok() {
                        sent2[w].lock().unwrap().push(next_value);
                    }
                }
            }
            if round % 500 == 0 {
                std::thread::yield_now();
            }
        }
        // Let everything finish: resume all, then feed receivers until done.
        loop {
            let mut all_done = true;
            for (w, h) in ctl_handles.iter().enumerate() {
                h.resume();
                if !h.is_done() {
                    all_done = false;
                    if matches!(ctl_plans[w], Plan::Receiving(_)) {
                        next_value += 1;
                        if h.send(next_value).is_ok() {
                            sent2[w].lock().unwrap().push(next_value);
                        }
                    }
                }
            }
            if all_done {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });

    // The "GUI thread": drain whoever woke us, in small slices.
    let mut events: Vec<Vec<Ev<u64, u32>>> = (0..WORKERS).map(|_| vec![]).collect();
    let mut finished = HashSet::new();
    let mut again = std::collections::VecDeque::new();
    while finished.len() < WORKERS {
        let w = match again.pop_front() {
            Some(w) => w,
            None => wake_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("a worker never woke its receiver: lost wake-up or stuck worker"),
        };
        let Some(r) = receivers[w].as_mut() else {
            continue;
        };
        let out = &mut events[w];
        match r.drain(Some(Duration::from_micros(200)), |e| out.push(e)) {
            Drained::Finished => {
                finished.insert(w);
                receivers[w] = None;
            }
            Drained::More => again.push_back(w), // re-post
            Drained::Empty => {}
        }
    }
    controller.join().unwrap();

    let mut outcomes = std::collections::HashMap::new();
    for w in 0..WORKERS {
        let ev = &events[w];
        let outcome = check_order(ev);
        *outcomes.entry(outcome).or_insert(0) += 1;
        let y = yields(ev);
        match policies[w] {
            Policy::All | Policy::Bounded(_) => {
                assert_eq!(
                    y,
                    (0..y.len() as u64).collect::<Vec<_>>(),
                    "w{w}: lost or reordered"
                );
                // Every value arrives unless a quit took effect while the body ran (quit
                // discards what was not delivered yet; a panic after it is still `errored`).
                let quit = handles[w].is_abort_requested();
                match (plans[w], outcome) {
                    (Plan::Yields(n), "returned") => assert_eq!(y.len(), n as usize, "w{w}"),
                    (Plan::YieldsThenFail(n) | Plan::YieldsThenPanic(n), "errored") if !quit => {
                        assert_eq!(y.len(), n as usize, "w{w}")
                    }
                    _ => {}
                }
            }
            Policy::Latest => {
                assert!(y.windows(2).all(|p| p[0] < p[1]), "w{w}: out of order");
            }
        }
        match (plans[w], outcome) {
            (Plan::YieldsThenFail(_), o) | (Plan::YieldsThenPanic(_), o) => {
                assert!(o == "errored" || o == "aborted", "w{w}: {o}")
            }
            (_, o) => assert!(o == "returned" || o == "aborted", "w{w}: {o}"),
        }
        // Values sent were received in the order sent (a prefix of them, as a subsequence).
        let got = received[w].lock().unwrap();
        let sent = sent[w].lock().unwrap();
        let mut it = sent.iter();
        for v in got.iter() {
            assert!(it.any(|s| s == v), "w{w}: received {v} out of send order");
        }
    }
    eprintln!("stress outcomes: {outcomes:?}");
    pool.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        pool.thread_count(),
        0,
        "every pool thread is gone at the end"
    );
    assert_eq!(pool.live_workers(), 0);
}
