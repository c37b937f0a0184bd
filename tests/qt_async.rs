//! async/await on a real Qt event loop (offscreen): the GUI-thread executor (`spawn_local`,
//! its handle, wakes from other threads, panics, refusals), Qt-timer `sleep` and `timeout`,
//! workers as futures and streams under each policy (with `Bounded` backpressure), dropping
//! them, `spawn_blocking`, `QWorker` signals as futures, a real multi-threaded tokio runtime,
//! and the application's quit (last: it runs `exec()` and closes the executor for good).

#[path = "../examples/async/scenarios.rs"]
mod scenarios;

mod common;

extern crate qworker;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use common::wait;
use cxx_qt::casting::Downcast;
use cxx_qt_lib::{QGuiApplication, QQmlApplicationEngine};
use futures_util::StreamExt;
use qworker::future::{Emitted, JoinError, Signal, SpawnError, Stopped};
use qworker::image::Frame;
use qworker::testing::{MessageCapture, SceneObject, process_events};
use qworker::{BoxError, Context, Event, Policy, QWorker, WorkerError};

thread_local! {
    static APP: RefCell<ManuallyDrop<cxx::UniquePtr<QGuiApplication>>> =
        RefCell::new(ManuallyDrop::new(cxx::UniquePtr::null()));
    static ENGINE: RefCell<ManuallyDrop<cxx::UniquePtr<QQmlApplicationEngine>>> =
        RefCell::new(ManuallyDrop::new(cxx::UniquePtr::null()));
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    APP.set(ManuallyDrop::new(QGuiApplication::new()));
    ENGINE.set(ManuallyDrop::new(QQmlApplicationEngine::new()));
    qworker::register_function(
        "answer",
        |(n,): (i64,), _cx: &mut Context| -> Result<i64, BoxError> { Ok(n * 2) },
    );
    common::run(&[
        // ---------------- the executor ----------------
        (
            "spawn_local_polls_from_the_event_loop_never_inside_the_call",
            spawn_local_polls_from_the_event_loop_never_inside_the_call,
        ),
        (
            "a_handle_is_a_future_of_the_output",
            a_handle_is_a_future_of_the_output,
        ),
        (
            "wakes_from_many_threads_while_a_poll_is_pending_cost_one_poll",
            wakes_from_many_threads_while_a_poll_is_pending_cost_one_poll,
        ),
        (
            "abort_drops_the_future_at_once_and_it_is_never_polled_again",
            abort_drops_the_future_at_once_and_it_is_never_polled_again,
        ),
        (
            "dropping_the_handle_detaches_abort_on_drop_aborts",
            dropping_the_handle_detaches_abort_on_drop_aborts,
        ),
        (
            "a_panicking_future_is_logged_by_name_and_the_app_lives",
            a_panicking_future_is_logged_by_name_and_the_app_lives,
        ),
        (
            "spawn_local_off_the_gui_thread_is_a_clear_error",
            spawn_local_off_the_gui_thread_is_a_clear_error,
        ),
        // ---------------- time ----------------
        (
            "sleep_completes_after_its_duration_on_a_qt_timer",
            sleep_completes_after_its_duration_on_a_qt_timer,
        ),
        (
            "sleeps_complete_in_deadline_order",
            sleeps_complete_in_deadline_order,
        ),
        (
            "timeout_gives_elapsed_and_drops_the_inner_future",
            timeout_gives_elapsed_and_drops_the_inner_future,
        ),
        // ---------------- workers as futures ----------------
        ("a_workers_result_is_awaited", a_workers_result_is_awaited),
        (
            "a_chain_of_awaited_workers_gives_every_result_in_order",
            a_chain_of_awaited_workers_gives_every_result_in_order,
        ),
        (
            "a_chain_of_workers_started_from_callbacks_delivers_each_in_order",
            a_chain_of_workers_started_from_callbacks_delivers_each_in_order,
        ),
        (
            "errors_and_panics_are_awaited_as_stopped_errored",
            errors_and_panics_are_awaited_as_stopped_errored,
        ),
        (
            "stream_all_gives_every_value_in_order_then_the_outcome",
            stream_all_gives_every_value_in_order_then_the_outcome,
        ),
        (
            "a_queued_flood_reaches_its_stream_a_chunk_at_a_time",
            a_queued_flood_reaches_its_stream_a_chunk_at_a_time,
        ),
        (
            "stream_latest_gives_the_newest_value",
            stream_latest_gives_the_newest_value,
        ),
        (
            "events_stream_has_progress_and_the_outcome",
            events_stream_has_progress_and_the_outcome,
        ),
        (
            "dropping_a_stream_quits_its_worker",
            dropping_a_stream_quits_its_worker,
        ),
        (
            "dropping_a_result_future_quits_its_worker",
            dropping_a_result_future_quits_its_worker,
        ),
        (
            "quit_ends_the_stream_and_no_value_follows",
            quit_ends_the_stream_and_no_value_follows,
        ),
        (
            "timeout_on_a_worker_result_quits_the_worker",
            timeout_on_a_worker_result_quits_the_worker,
        ),
        // ---------------- Bounded backpressure ----------------
        (
            "bounded_stream_not_polled_blocks_the_producer",
            bounded_stream_not_polled_blocks_the_producer,
        ),
        (
            "bounded_stream_never_has_more_than_n_values_in_flight",
            bounded_stream_never_has_more_than_n_values_in_flight,
        ),
        // ---------------- spawn_blocking, signals ----------------
        (
            "spawn_blocking_gives_its_value_and_a_panic_as_an_error",
            spawn_blocking_gives_its_value_and_a_panic_as_an_error,
        ),
        (
            "spawn_blocking_with_context_is_cancelled_cooperatively",
            spawn_blocking_with_context_is_cancelled_cooperatively,
        ),
        (
            "a_qml_workers_signals_are_awaited",
            a_qml_workers_signals_are_awaited,
        ),
        (
            "a_signal_future_of_a_destroyed_worker_gives_none",
            a_signal_future_of_a_destroyed_worker_gives_none,
        ),
        // ---------------- the example ----------------
        (
            "the_async_example_runs_naparis_scenarios",
            the_async_example_runs_naparis_scenarios,
        ),
        // ---------------- tokio ----------------
        (
            "a_gui_future_awaits_a_tokio_channel_and_a_tokio_join_handle",
            a_gui_future_awaits_a_tokio_channel_and_a_tokio_join_handle,
        ),
        (
            "a_tokio_task_streams_frames_into_a_frame_view",
            a_tokio_task_streams_frames_into_a_frame_view,
        ),
        // ---------------- last: the application's quit ----------------
        (
            "app_quit_drops_pending_futures_and_refuses_new_ones",
            app_quit_drops_pending_futures_and_refuses_new_ones,
        ),
    ]);
}

// ---------------- helpers ----------------

/// Runs `fut` on the GUI executor and spins the event loop until it finished; its output.
fn run<T: 'static>(what: &str, fut: impl Future<Output = T> + 'static) -> T {
    let out = Rc::new(RefCell::new(None));
    let o = out.clone();
    let handle = qworker::spawn_local(async move {
        let v = fut.await;
        *o.borrow_mut() = Some(v);
    });
    wait(what, || handle.is_finished());
    let v = out.borrow_mut().take();
    v.unwrap_or_else(|| panic!("{what}: the future did not complete"))
}

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A future that never completes, counts its polls, keeps its latest waker, and sets a flag
/// when dropped.
struct Probe {
    polls: Rc<Cell<usize>>,
    waker: Arc<Mutex<Option<Waker>>>,
    _dropped: DropFlag,
}

impl Future for Probe {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

struct ProbeView {
    polls: Rc<Cell<usize>>,
    waker: Arc<Mutex<Option<Waker>>>,
    dropped: Rc<Cell<bool>>,
}

fn probe() -> (Probe, ProbeView) {
    let polls = Rc::new(Cell::new(0));
    let waker = Arc::new(Mutex::new(None));
    let dropped = Rc::new(Cell::new(false));
    (
        Probe {
            polls: polls.clone(),
            waker: waker.clone(),
            _dropped: DropFlag(dropped.clone()),
        },
        ProbeView {
            polls,
            waker,
            dropped,
        },
    )
}

fn counter(n: u32) -> qworker::GeneratorWorker<u32, (), &'static str> {
    qworker::generator(
        move |cx: &mut Context<u32>| -> Result<&'static str, BoxError> {
            for i in 0..n {
                cx.yield_(i)?;
            }
            Ok("counted")
        },
    )
}

/// A generator that yields until quit, and says (through `quit_seen`) that its body saw the
/// quit and ended.
fn endless(quit_seen: Arc<AtomicBool>) -> qworker::GeneratorWorker<u64> {
    qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
        let mut i = 0;
        let r = loop {
            if let Err(e) = cx.yield_(i) {
                break Err(e.into());
            }
            i += 1;
            std::thread::sleep(Duration::from_micros(200));
        };
        quit_seen.store(true, Ordering::SeqCst);
        r
    })
}

// ---------------- the executor ----------------

fn spawn_local_polls_from_the_event_loop_never_inside_the_call() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let handle = qworker::spawn_local(async move {
        r.set(true);
        7
    });
    assert!(!ran.get(), "polled inside spawn_local");
    assert!(!handle.is_finished());
    wait("the first poll", || ran.get());
    assert!(handle.is_finished());
    assert_eq!(run("awaiting the handle", handle), Ok(7));
    assert_eq!(qworker::future::pending_futures(), 0);
}

fn a_handle_is_a_future_of_the_output() {
    let inner = qworker::spawn_local(async { String::from("inner") }).named("inner");
    assert_eq!(inner.name(), "inner");
    let got = run("outer", async move {
        let s = inner.await.expect("inner's output");
        format!("{s} and outer")
    });
    assert_eq!(got, "inner and outer");
}

fn wakes_from_many_threads_while_a_poll_is_pending_cost_one_poll() {
    let (p, view) = probe();
    let handle = qworker::spawn_local(p);
    wait("the first poll", || view.polls.get() == 1);
    let waker = view.waker.lock().unwrap().clone().expect("a waker");
    // 8 threads wake it 1,000 times each while the GUI thread does not run its loop.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let w = waker.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    w.wake_by_ref();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    process_events(Duration::from_millis(50));
    assert_eq!(
        view.polls.get(),
        2,
        "8,000 wakes before the poll cost one poll"
    );
    // And a later wake polls again.
    waker.wake_by_ref();
    wait("the third poll", || view.polls.get() == 3);
    handle.abort();
}

fn abort_drops_the_future_at_once_and_it_is_never_polled_again() {
    let (p, view) = probe();
    let handle = qworker::spawn_local(p);
    wait("the first poll", || view.polls.get() == 1);
    let waker = view.waker.lock().unwrap().clone().unwrap();
    handle.abort();
    assert!(view.dropped.get(), "abort dropped the future at once");
    assert!(handle.is_finished());
    waker.wake();
    process_events(Duration::from_millis(30));
    assert_eq!(view.polls.get(), 1, "polled after abort");
    assert_eq!(run("the aborted handle", handle), Err(JoinError::Aborted));
    // Aborting before the first poll: never polled at all.
    let (p, view) = probe();
    let handle = qworker::spawn_local(p);
    handle.abort();
    process_events(Duration::from_millis(30));
    assert_eq!(view.polls.get(), 0);
    assert!(view.dropped.get());
    assert_eq!(qworker::future::pending_futures(), 0);
}

fn dropping_the_handle_detaches_abort_on_drop_aborts() {
    let (p, view) = probe();
    drop(qworker::spawn_local(p));
    wait("the detached future is polled", || view.polls.get() == 1);
    assert!(!view.dropped.get(), "dropping the handle detaches");
    let waker = view.waker.lock().unwrap().clone().unwrap();
    waker.wake();
    wait("polled again", || view.polls.get() == 2);
    // Clean up the detached probe: it is pending forever; the quit case drops the rest.
    let (p, view2) = probe();
    let h = qworker::spawn_local(p).abort_on_drop();
    wait("polled", || view2.polls.get() == 1);
    drop(h);
    assert!(
        view2.dropped.get(),
        "abort_on_drop: dropping the handle aborts"
    );
    drop(view);
}

fn a_panicking_future_is_logged_by_name_and_the_app_lives() {
    let capture = MessageCapture::start();
    let handle = qworker::spawn_local(async {
        qworker::sleep(Duration::from_millis(1)).await;
        if std::hint::black_box(true) {
            panic!("boom in a future");
        }
        1
    })
    .named("exploder");
    let out = run("the panicked handle", handle);
    assert_eq!(out, Err(JoinError::Panicked("boom in a future".into())));
    let log = capture.take();
    assert!(
        log.iter()
            .any(|l| l.contains("future 'exploder' panicked: boom in a future")),
        "logged with its name: {log:?}"
    );
    assert_eq!(run("the app lives", async { 5 }), 5);
}

fn spawn_local_off_the_gui_thread_is_a_clear_error() {
    let refused = std::thread::spawn(|| qworker::try_spawn_local(async {}).map(drop).unwrap_err())
        .join()
        .unwrap();
    assert_eq!(refused, SpawnError::NotGuiThread);
    let panic = std::thread::spawn(|| {
        drop(qworker::spawn_local(async {}));
    })
    .join()
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("must be called on the GUI thread"), "{msg}");
}

// ---------------- time ----------------

fn sleep_completes_after_its_duration_on_a_qt_timer() {
    let t0 = Instant::now();
    let done = Rc::new(Cell::new(None));
    let d = done.clone();
    let _h = qworker::spawn_local(async move {
        qworker::sleep(Duration::from_millis(40)).await;
        d.set(Some(t0.elapsed()));
    });
    // The deadline passes while nothing else wakes the future: only the timer can.
    wait("the sleep", || done.get().is_some());
    assert!(
        done.get().unwrap() >= Duration::from_millis(40),
        "woken before its deadline: {:?}",
        done.get()
    );
}

fn sleeps_complete_in_deadline_order() {
    let order = Rc::new(RefCell::new(Vec::new()));
    let handles: Vec<_> = [30u64, 10, 20, 0]
        .into_iter()
        .map(|ms| {
            let o = order.clone();
            qworker::spawn_local(async move {
                qworker::sleep(Duration::from_millis(ms)).await;
                o.borrow_mut().push(ms);
            })
        })
        .collect();
    wait("all sleeps", || handles.iter().all(|h| h.is_finished()));
    assert_eq!(*order.borrow(), vec![0, 10, 20, 30]);
}

fn timeout_gives_elapsed_and_drops_the_inner_future() {
    let (p, view) = probe();
    let out = run("the timeout", async move {
        qworker::timeout(Duration::from_millis(20), p).await
    });
    assert_eq!(
        out,
        Err(qworker::future::Elapsed(Duration::from_millis(20)))
    );
    assert!(view.dropped.get());
    let ok = run("a future ready in time", async {
        qworker::timeout(Duration::from_secs(5), async { 3 }).await
    });
    assert_eq!(ok, Ok(3));
}

// ---------------- workers as futures ----------------

fn a_workers_result_is_awaited() {
    let v = run("the function worker", async {
        qworker::function(|| -> Result<u64, BoxError> { Ok((1..=10).product()) }).await
    });
    assert_eq!(v.ok(), Some(3_628_800));
    let r = run("the generator's outcome", async {
        counter(5).result().await
    });
    assert_eq!(r.ok(), Some("counted"));
}

/// Worker `i` of a chain: most return at once; every seventh sleeps 300 µs, longer than the
/// hub's linger (a drain that started a worker waits 50 µs for it), so its result comes in a
/// drain of its own; every eleventh fails.
fn chain_worker(i: u64) -> qworker::FunctionWorker<u64, String> {
    qworker::function(move || -> Result<u64, String> {
        if i % 7 == 3 {
            std::thread::sleep(Duration::from_micros(300));
        }
        if i % 11 == 5 {
            return Err(format!("worker {i} failed"));
        }
        Ok(i * 3)
    })
}

/// What chain worker `i` gives, as the chain records it.
fn chain_expected(i: u64) -> String {
    if i % 11 == 5 {
        format!("{i}: errored worker {i} failed")
    } else {
        format!("{i}: returned {}", i * 3)
    }
}

fn a_chain_of_awaited_workers_gives_every_result_in_order() {
    const N: u64 = 600;
    let got = run("the await chain", async {
        let mut got = Vec::new();
        for i in 0..N {
            got.push(match chain_worker(i).await {
                Ok(v) => format!("{i}: returned {v}"),
                Err(Stopped::Errored(e)) => format!("{i}: errored {e}"),
                Err(other) => format!("{i}: {other:?}"),
            });
        }
        got
    });
    let want: Vec<String> = (0..N).map(chain_expected).collect();
    assert_eq!(got, want);
}

/// Starts chain worker `i`; its `finished` starts the next, until `n`. Each worker's events
/// go to `log` as they are delivered.
fn start_chain(i: u64, n: u64, log: Rc<RefCell<Vec<String>>>) {
    let w = chain_worker(i);
    let l = log.clone();
    w.on_started(move || l.borrow_mut().push(format!("{i}: started")));
    let l = log.clone();
    w.on_returned(move |v| l.borrow_mut().push(format!("{i}: returned {v}")));
    let l = log.clone();
    w.on_errored(move |e| l.borrow_mut().push(format!("{i}: errored {e}")));
    w.on_finished(move || {
        log.borrow_mut().push(format!("{i}: finished"));
        if i + 1 < n {
            start_chain(i + 1, n, log.clone());
        }
    });
    w.detach().expect("start");
}

fn a_chain_of_workers_started_from_callbacks_delivers_each_in_order() {
    const N: u64 = 600;
    let log = Rc::new(RefCell::new(Vec::new()));
    start_chain(0, N, log.clone());
    let last = format!("{}: finished", N - 1);
    wait("the callback chain", || log.borrow().last() == Some(&last));
    let want: Vec<String> = (0..N)
        .flat_map(|i| {
            [
                format!("{i}: started"),
                chain_expected(i),
                format!("{i}: finished"),
            ]
        })
        .collect();
    assert_eq!(*log.borrow(), want);
}

fn errors_and_panics_are_awaited_as_stopped_errored() {
    let capture = MessageCapture::start();
    let e = run("an error", async {
        qworker::function(|| -> Result<(), String> { Err("no such slice".into()) }).await
    });
    assert!(
        matches!(&e, Err(Stopped::Errored(WorkerError::Failed(m))) if m == "no such slice"),
        "{e:?}"
    );
    let p = run("a panic", async {
        qworker::function(|| -> Result<(), String> { panic!("worker boom") }).await
    });
    assert!(
        matches!(&p, Err(Stopped::Errored(WorkerError::Panicked(m))) if m == "worker boom"),
        "{p:?}"
    );
    let log = capture.take();
    assert!(
        !log.iter().any(|l| l.contains("nothing handles")),
        "an awaited error is handled, not logged: {log:?}"
    );
}

fn stream_all_gives_every_value_in_order_then_the_outcome() {
    let (values, outcome) = run("the stream", async {
        let mut s = counter(2000).stream();
        let mut got = Vec::new();
        while let Some(v) = s.next().await {
            got.push(v);
        }
        assert!(s.next().await.is_none(), "stays ended");
        (got, s.into_result().await)
    });
    assert_eq!(values, (0..2000).collect::<Vec<_>>());
    assert_eq!(outcome.ok(), Some("counted"));
}

fn a_queued_flood_reaches_its_stream_a_chunk_at_a_time() {
    // The body yields 20,000 values and ends before the GUI thread delivers any (the future
    // waits for it before its first poll of the stream), so all of them wait in one batch.
    // The driver hands them to the stream's consumer a chunk (4,096 `u32`s: `futures.rs`,
    // `chunk_for`) at a time: while the consumer takes a value, the driver is never more than
    // a chunk ahead of it.
    const N: u32 = 20_000;
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        for i in 0..N {
            cx.yield_(i)?;
        }
        tx.send(()).expect("the test waits");
        Ok(())
    });
    let delivered = Rc::new(Cell::new(0u32));
    let d = delivered.clone();
    worker.on_yielded(move |_| d.set(d.get() + 1));
    let (taken, max_ahead) = run("a flood streamed", async move {
        let mut s = worker.stream();
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the body yielded everything");
        let (mut taken, mut max_ahead) = (0u32, 0u32);
        while let Some(v) = s.next().await {
            assert_eq!(v, taken, "in order");
            taken += 1;
            max_ahead = max_ahead.max(delivered.get() - taken);
        }
        (taken, max_ahead)
    });
    assert_eq!(taken, N, "every value");
    assert!(
        max_ahead < 4096,
        "the driver ran {max_ahead} values ahead of the stream's consumer"
    );
}

fn stream_latest_gives_the_newest_value() {
    // The producer yields 0, waits until the stream took it, yields 1..=500 at once and
    // says so; the stream then takes one value: the newest.
    let took_first = Arc::new(AtomicBool::new(false));
    let pushed = Arc::new(AtomicBool::new(false));
    let (t, p) = (took_first.clone(), pushed.clone());
    let worker = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        cx.yield_(0)?;
        while !t.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        for i in 1..=500 {
            cx.yield_(i)?;
        }
        p.store(true, Ordering::SeqCst);
        Ok(())
    })
    .policy(Policy::Latest);
    let got = run("the latest stream", async move {
        let mut s = worker.stream();
        let first = s.next().await;
        took_first.store(true, Ordering::SeqCst);
        // The stream is not polled while the 500 values arrive.
        while !pushed.load(Ordering::SeqCst) {
            qworker::sleep(Duration::from_millis(2)).await;
        }
        let mut rest = vec![];
        while let Some(v) = s.next().await {
            rest.push(v);
        }
        (first, rest)
    });
    let (first, rest) = got;
    assert_eq!(first, Some(0));
    // At most one value waited in the stream and one in the mailbox: the newest wins.
    assert!(
        rest.len() <= 2 && rest.last() == Some(&500),
        "after the burst the stream gave {rest:?}"
    );
}

fn events_stream_has_progress_and_the_outcome() {
    let kinds = run("the events", async {
        let worker = qworker::function_with_context(|cx: &mut Context| -> Result<u32, BoxError> {
            cx.progress(1, 2)?;
            cx.warn("half way");
            cx.progress(2, 2)?;
            Ok(9)
        });
        let mut events = worker.events();
        let mut kinds = Vec::new();
        while let Some(ev) = events.next().await {
            kinds.push(match ev {
                Event::Returned(v) => format!("returned {v}"),
                Event::Warned(m) => format!("warned {m}"),
                other => other.kind().to_string(),
            });
        }
        kinds
    });
    assert_eq!(kinds.first().map(String::as_str), Some("started"));
    assert!(kinds.contains(&"progress".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"warned half way".to_string()), "{kinds:?}");
    let n = kinds.len();
    assert_eq!(&kinds[n - 2..], ["returned 9", "finished"]);
}

fn dropping_a_stream_quits_its_worker() {
    let quit_seen = Arc::new(AtomicBool::new(false));
    let worker = endless(quit_seen.clone());
    let first = run("three values", async move {
        let mut s = worker.stream();
        let mut got = vec![];
        for _ in 0..3 {
            got.push(s.next().await.unwrap());
        }
        got // the stream (and its worker) is dropped here
    });
    assert_eq!(first, vec![0, 1, 2]);
    wait("the body saw the quit", || quit_seen.load(Ordering::SeqCst));
}

fn dropping_a_result_future_quits_its_worker() {
    let quit_seen = Arc::new(AtomicBool::new(false));
    let worker = endless(quit_seen.clone());
    let handle = qworker::spawn_local(async move { worker.await });
    process_events(Duration::from_millis(20));
    assert!(!quit_seen.load(Ordering::SeqCst));
    handle.abort(); // drops the future, the future drops the worker
    wait("the body saw the quit", || quit_seen.load(Ordering::SeqCst));
}

fn quit_ends_the_stream_and_no_value_follows() {
    let quit_seen = Arc::new(AtomicBool::new(false));
    let worker = endless(quit_seen.clone());
    let (after_quit, outcome) = run("quit through the stream", async move {
        let mut s = worker.stream();
        s.next().await.unwrap();
        // Let values pile up in the stream's buffer, then quit.
        while s.queued() < 3 {
            qworker::sleep(Duration::from_millis(2)).await;
        }
        s.worker().quit();
        let mut after = 0;
        while s.next().await.is_some() {
            after += 1;
        }
        (after, s.into_result().await)
    });
    assert_eq!(after_quit, 0, "values handed out after quit()");
    assert!(matches!(outcome, Err(Stopped::Aborted)), "{outcome:?}");
    assert!(quit_seen.load(Ordering::SeqCst));
}

fn timeout_on_a_worker_result_quits_the_worker() {
    let quit_seen = Arc::new(AtomicBool::new(false));
    let worker = endless(quit_seen.clone());
    let out = run("the timed-out result", async move {
        qworker::timeout(Duration::from_millis(30), worker.result()).await
    });
    assert!(out.is_err(), "elapsed");
    wait("the body saw the quit", || quit_seen.load(Ordering::SeqCst));
}

// ---------------- Bounded backpressure ----------------

/// A Bounded(8) generator of `n` values that counts how many of its `yield_` calls returned.
fn bounded_counter(n: u64, produced: Arc<AtomicUsize>) -> qworker::GeneratorWorker<u64> {
    qworker::generator(move |cx: &mut Context<u64>| -> Result<(), BoxError> {
        for i in 0..n {
            cx.yield_(i)?;
            produced.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    })
    .policy(Policy::Bounded(8))
}

fn bounded_stream_not_polled_blocks_the_producer() {
    let produced = Arc::new(AtomicUsize::new(0));
    let s = bounded_counter(1000, produced.clone()).stream();
    // The event loop runs and the driver hands the 8 values to the stream, which is not
    // polled: the producer stays blocked at 8.
    wait("the stream holds 8 values", || s.queued() == 8);
    process_events(Duration::from_millis(50));
    assert_eq!(produced.load(Ordering::SeqCst), 8, "the producer ran ahead");
    assert_eq!(s.queued(), 8);
    // Polling the stream lets it go on; every value arrives, in order.
    let values = run("the rest", async move {
        let mut s = s;
        let mut got = vec![];
        while let Some(v) = s.next().await {
            got.push(v);
        }
        got
    });
    assert_eq!(values, (0..1000).collect::<Vec<_>>());
}

fn bounded_stream_never_has_more_than_n_values_in_flight() {
    let produced = Arc::new(AtomicUsize::new(0));
    let worker = bounded_counter(3000, produced.clone());
    let p = produced.clone();
    let (count, max_in_flight) = run("a slow consumer", async move {
        let mut s = worker.stream();
        let (mut taken, mut max) = (0usize, 0usize);
        while let Some(v) = s.next().await {
            assert_eq!(v as usize, taken, "in order");
            taken += 1;
            // Values the producer pushed that the stream has not handed out yet.
            max = max.max(p.load(Ordering::SeqCst).saturating_sub(taken));
            if taken % 500 == 0 {
                qworker::sleep(Duration::from_millis(10)).await; // let the producer run ahead
            }
        }
        (taken, max)
    });
    assert_eq!(count, 3000);
    assert!(
        max_in_flight <= 8,
        "{max_in_flight} values in flight under Bounded(8)"
    );
}

// ---------------- spawn_blocking, signals ----------------

fn spawn_blocking_gives_its_value_and_a_panic_as_an_error() {
    // Any executor may await it: it is Send.
    fn send<T: Send>(_: &T) {}
    let job = qworker::spawn_blocking(|| 1u8);
    send(&job);
    drop(job);
    let v = run("spawn_blocking", async {
        qworker::spawn_blocking(|| (1..=100u64).sum::<u64>()).await
    });
    assert_eq!(v.ok(), Some(5050));
    let p = run("a panicking spawn_blocking", async {
        qworker::spawn_blocking(|| -> u8 { panic!("blocking boom") }).await
    });
    assert!(
        matches!(&p, Err(Stopped::Errored(WorkerError::Panicked(m))) if m == "blocking boom"),
        "{p:?}"
    );
}

fn spawn_blocking_with_context_is_cancelled_cooperatively() {
    let stopped = Arc::new(AtomicBool::new(false));
    let s = stopped.clone();
    let out = run("an aborted blocking job", async move {
        let job =
            qworker::spawn_blocking_with_context(move |cx: &mut Context| -> Result<(), BoxError> {
                let r = loop {
                    if let Err(e) = cx.check() {
                        break Err(e.into());
                    }
                    std::thread::sleep(Duration::from_millis(1));
                };
                s.store(true, Ordering::SeqCst);
                r
            });
        qworker::sleep(Duration::from_millis(10)).await;
        job.abort();
        job.await
    });
    assert!(matches!(out, Err(Stopped::Aborted)), "{out:?}");
    assert!(stopped.load(Ordering::SeqCst));
    // Dropping the future quits the work too (once it runs: a quit before the body started
    // means the body never runs).
    let running = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(AtomicBool::new(false));
    let (r, s) = (running.clone(), stopped.clone());
    let job =
        qworker::spawn_blocking_with_context(move |cx: &mut Context| -> Result<(), BoxError> {
            r.store(true, Ordering::SeqCst);
            while cx.check().is_ok() {
                std::thread::sleep(Duration::from_millis(1));
            }
            s.store(true, Ordering::SeqCst);
            Ok(())
        });
    wait("the job runs", || running.load(Ordering::SeqCst));
    drop(job);
    wait("the dropped job stopped", || stopped.load(Ordering::SeqCst));
}

/// A `Worker { task: ... }` made by QML, as the root of a scene.
fn qml_worker(args: &str) -> SceneObject {
    ENGINE
        .with_borrow_mut(|engine| {
            SceneObject::load_qml(
                engine.pin_mut(),
                &format!(
                    "import QtQml\nimport QWorker\nWorker {{ task: \"answer\"; args: [{args}] }}\n"
                ),
                "file:///qt_async/worker.qml",
            )
        })
        .expect("QML loads")
}

/// Calls `f` with the `QWorker` behind a scene object.
fn with_qworker<T>(obj: &SceneObject, f: impl FnOnce(Pin<&mut QWorker>) -> T) -> T {
    let p = obj.as_ptr();
    assert!(!p.is_null());
    // SAFETY: alive (just checked), on this thread; the reference does not outlive `f`.
    let o = unsafe { Pin::new_unchecked(&mut *p) };
    f(o.downcast_pin::<QWorker>().expect("a QWorker"))
}

fn a_qml_workers_signals_are_awaited() {
    let obj = qml_worker("21");
    let returned = with_qworker(&obj, |w| w.next_signal(Signal::Returned));
    let finished = with_qworker(&obj, |w| w.next_signal(Signal::Finished));
    obj.invoke("start", &[]).unwrap();
    let (r, f) = run("the QML worker's signals", async move {
        (returned.await, finished.await)
    });
    match r {
        Some(Emitted::Returned(v)) => assert_eq!(v.value::<i64>(), Some(42)),
        other => panic!("expected returned(42), got {other:?}"),
    }
    assert!(matches!(f, Some(Emitted::Finished)), "{f:?}");
    obj.invoke("deleteLater", &[]).unwrap();
    process_events(Duration::from_millis(5));
}

fn a_signal_future_of_a_destroyed_worker_gives_none() {
    let obj = qml_worker("1");
    let finished = with_qworker(&obj, |w| w.next_signal(Signal::Finished));
    let out = Rc::new(RefCell::new(None));
    let o = out.clone();
    let h = qworker::spawn_local(async move {
        *o.borrow_mut() = Some(finished.await);
    });
    process_events(Duration::from_millis(10));
    assert!(!h.is_finished(), "never started: no finished yet");
    obj.invoke("deleteLater", &[]).unwrap();
    wait("the future saw the destruction", || h.is_finished());
    assert!(matches!(*out.borrow(), Some(None)), "{:?}", out.borrow());
}

// ---------------- the example ----------------

/// `examples/async`: the same scenario functions the example's `main` runs, checked here.
fn the_async_example_runs_naparis_scenarios() {
    let window = ENGINE
        .with_borrow_mut(|engine| {
            SceneObject::load_qml(
                engine.pin_mut(),
                scenarios::QML,
                "file:///qt_async/napari.qml",
            )
        })
        .expect("the example's scene loads");
    let w = window.clone();
    let results = run("the scenarios", async move { scenarios::run_all(w).await });
    let names: Vec<_> = results.iter().map(|o| o.name).collect();
    assert_eq!(
        names,
        [
            "average_stack",
            "running_mean",
            "endless",
            "cancel_by_dropping"
        ]
    );
    for o in &results {
        println!(
            "    {:<18} {}  {}",
            o.name,
            if o.ok { "ok" } else { "FAIL" },
            o.line
        );
    }
    let failed: Vec<_> = results.iter().filter(|o| !o.ok).map(|o| &o.line).collect();
    assert!(failed.is_empty(), "scenarios failed: {failed:?}");
    window.invoke("close", &[]).unwrap();
    window.invoke("deleteLater", &[]).unwrap();
    process_events(Duration::from_millis(5));
}

// ---------------- tokio ----------------

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

fn a_gui_future_awaits_a_tokio_channel_and_a_tokio_join_handle() {
    let rt = tokio_runtime();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(4);
    // tokio's timer runs on tokio's threads; the GUI future only awaits the channel.
    let sender = rt.spawn(async move {
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tx.send(i).await.expect("the GUI side receives");
        }
        "sent 20"
    });
    let gui_thread = std::thread::current().id();
    let (got, joined) = run("tokio values on the GUI thread", async move {
        let mut got = vec![];
        while let Some(v) = rx.recv().await {
            assert_eq!(std::thread::current().id(), gui_thread);
            got.push(v);
        }
        (got, sender.await)
    });
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    assert_eq!(joined.ok(), Some("sent 20"));
    rt.shutdown_background();
}

fn a_tokio_task_streams_frames_into_a_frame_view() {
    const QML: &str = "import QtQuick\nimport QtQuick.Window\nimport QWorker\nWindow { width: 64; height: 64; visible: true\n FrameView { objectName: \"view\"; anchors.fill: parent } }\n";
    let window = ENGINE
        .with_borrow_mut(|engine| {
            SceneObject::load_qml(engine.pin_mut(), QML, "file:///qt_async/view.qml")
        })
        .expect("QML loads");
    let view = window.find("view").expect("the FrameView");
    let rt = tokio_runtime();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Frame>(2);
    rt.spawn(async move {
        for i in 0..10u8 {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let frame = Frame::solid(16, 16, [i * 20, 0, 0, 255]).expect("a frame");
            if tx.send(frame).await.is_err() {
                break;
            }
        }
    });
    let v = view.clone();
    let shown = run("frames into the view", async move {
        let mut n = 0;
        while let Some(frame) = rx.recv().await {
            v.with_frame_view(|fv| fv.show_frame(&frame))
                .expect("a FrameView");
            n += 1;
        }
        n
    });
    assert_eq!(shown, 10);
    assert_eq!(view.get::<i64>("framesReceived").unwrap(), 10);
    wait("the last frame painted", || {
        window
            .grab()
            .is_ok_and(|f| f.pixel(32, 32) == [180, 0, 0, 255])
    });
    rt.shutdown_background();
    window.invoke("close", &[]).unwrap();
    window.invoke("deleteLater", &[]).unwrap();
    process_events(Duration::from_millis(5));
}

// ---------------- the application's quit ----------------

fn app_quit_drops_pending_futures_and_refuses_new_ones() {
    let (p, view) = probe();
    let forever = qworker::spawn_local(p);
    let quit_seen = Arc::new(AtomicBool::new(false));
    let worker = endless(quit_seen.clone());
    let streaming = qworker::spawn_local(async move {
        let mut s = worker.stream();
        while s.next().await.is_some() {}
    });
    let _quitter = qworker::spawn_local(async {
        qworker::sleep(Duration::from_millis(30)).await;
        qworker::exit_application(3);
    });
    let code = APP.with_borrow_mut(|app| (**app).as_mut().expect("the application").exec());
    assert_eq!(code, 3);
    assert!(view.dropped.get(), "a pending future was dropped at quit");
    assert!(forever.is_finished());
    assert!(streaming.is_finished());
    assert_eq!(qworker::future::pending_futures(), 0);
    assert!(
        quit_seen.load(Ordering::SeqCst),
        "the worker in the future was quit and awaited"
    );
    let polls = view.polls.get();
    process_events(Duration::from_millis(20));
    assert_eq!(view.polls.get(), polls, "polled after quit");
    assert_eq!(
        qworker::try_spawn_local(async {}).map(drop).unwrap_err(),
        SpawnError::Quit
    );
    assert_eq!(run_after_quit(forever), Err(JoinError::Quit));
}

/// The output of a settled handle, polled by hand (the executor is closed).
fn run_after_quit<T>(mut h: qworker::future::JoinHandle<T>) -> Result<T, JoinError> {
    let waker = Waker::noop();
    let mut cx = TaskContext::from_waker(waker);
    match Pin::new(&mut h).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("a handle was still pending after quit"),
    }
}
