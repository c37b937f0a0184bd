//! Supervision on a real event loop: the live task list (`WorkerPool` as a list model, from
//! Rust and from QML's singleton), its coalesced updates, per-row quit, timeouts and progress
//! text. The close guard's quit paths need `exec()`: they are in `qt_guard.rs`.

mod common;

extern crate qworker;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::wait;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use cxx_qt_lib::{QByteArray, QGuiApplication, QQmlApplicationEngine, QUrl};
use qworker::testing::{MessageCapture, process_events};
use qworker::{
    BoxError, Context, FLUSH_INTERVAL, Outcome, Progress, WorkerError, WorkerKind, WorkerPool,
    WorkerState,
};

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    // Waits for a value sent in (quit ends the wait), reporting a status line first.
    qworker::register_generator(
        "wait_for_word",
        |(label,): (String,), cx: &mut Context<u32, u32>| -> Result<u32, BoxError> {
            cx.progress_text(1, 4, format!("{label}: waiting"))?;
            Ok(cx.recv()?)
        },
    );
    // Loops on checkpoints until stopped (for timeouts).
    qworker::register_function("spin", |(): (), cx: &mut Context| -> Result<(), BoxError> {
        loop {
            cx.check()?;
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    common::run(&[
        // First: no `WorkerPool` exists yet, so rows are made on demand.
        (
            "rows_made_on_demand_show_what_was_delivered_before",
            rows_made_on_demand_show_what_was_delivered_before,
        ),
        (
            "rows_appear_at_start_and_go_after_finished",
            rows_appear_at_start_and_go_after_finished,
        ),
        (
            "roles_show_state_progress_status_description_and_elapsed",
            roles_show_state_progress_status_description_and_elapsed,
        ),
        (
            "data_changed_names_only_the_roles_that_changed",
            data_changed_names_only_the_roles_that_changed,
        ),
        (
            "ended_rows_are_kept_as_recent_with_their_outcome",
            ended_rows_are_kept_as_recent_with_their_outcome,
        ),
        (
            "progress_from_many_workers_is_coalesced_into_few_model_updates",
            progress_from_many_workers_is_coalesced_into_few_model_updates,
        ),
        (
            "quit_row_quits_that_worker_and_bad_rows_only_warn",
            quit_row_quits_that_worker_and_bad_rows_only_warn,
        ),
        (
            "quit_all_and_await_all_stop_every_worker",
            quit_all_and_await_all_stop_every_worker,
        ),
        (
            "qml_singleton_lists_workers_from_qml_and_rust",
            qml_singleton_lists_workers_from_qml_and_rust,
        ),
        (
            "timeout_stops_a_worker_with_a_timed_out_outcome",
            timeout_stops_a_worker_with_a_timed_out_outcome,
        ),
        (
            "a_worker_that_ignores_its_timeout_is_reported_by_name",
            a_worker_that_ignores_its_timeout_is_reported_by_name,
        ),
        (
            "qml_timeout_stops_the_worker_and_bad_timeouts_warn",
            qml_timeout_stops_the_worker_and_bad_timeouts_warn,
        ),
        (
            "progress_text_reaches_rust_qml_and_the_model",
            progress_text_reaches_rust_qml_and_the_model,
        ),
        (
            "advance_counts_against_the_total_of_a_function_worker",
            advance_counts_against_the_total_of_a_function_worker,
        ),
        (
            "workers_that_end_faster_than_the_flushes_do_not_pile_up",
            workers_that_end_faster_than_the_flushes_do_not_pile_up,
        ),
    ]);
}

/// A generator that reports a status line and then waits until `release` is dropped or
/// sends (quit also ends it).
fn waiting_worker(
    name: &str,
    release: &Receiver<()>,
) -> qworker::GeneratorWorker<u32, (), (), BoxError> {
    let rx = release.clone();
    qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        cx.progress_text(1, 3, "waiting for release")?;
        // Ends on a release (a send, or the sender dropped); quit ends it at `check`.
        while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_millis(2)) {
            cx.check()?;
        }
        Ok(())
    })
    .named(name)
}

/// The model's rows by name, as it shows them now.
fn names(pool: &WorkerPool) -> Vec<String> {
    (0..pool.shown_rows())
        .filter_map(|i| pool.shown_row(i))
        .map(|t| t.name)
        .collect()
}

fn wait_rows(pool: &WorkerPool, what: &str, cond: impl Fn(&[String]) -> bool) {
    wait(what, || cond(&names(pool)));
}

/// No row of an earlier case is left in the list.
fn wait_empty(pool: &WorkerPool) {
    wait("an empty task list", || {
        pool.shown_rows() == 0 && pool.live_count() == 0
    });
}

/// With no `WorkerPool` and no ended rows kept, nothing reads rows, so a started worker's row
/// is made only when something asks (`live_tasks`, a pool made later, ended rows to keep). It
/// shows what was delivered before, in start order, and a worker that ended before anyone
/// asked is not listed.
fn rows_made_on_demand_show_what_was_delivered_before() {
    assert_eq!(qworker::recent_tasks_kept(), 0);
    let (tx, rx) = release_channel();
    let a = waiting_worker("od-a", &rx).described("first");
    a.start().unwrap();
    let b = qworker::function(|| Ok::<_, BoxError>(7u32)).named("od-b");
    b.start().unwrap();
    let c = waiting_worker("od-c", &rx);
    c.start().unwrap();
    wait("a and c waiting, b finished", || {
        a.progress() == Progress::new(1, 3)
            && c.progress() == Progress::new(1, 3)
            && b.is_finished()
    });
    // Started last, in the place b's entry left: still listed last.
    let d = waiting_worker("od-d", &rx);
    d.start().unwrap();
    // Asked for the first time now: the rows come from what the drivers kept.
    let now = qworker::live_tasks();
    let seen: Vec<_> = now.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        seen,
        ["od-a", "od-c", "od-d"],
        "b ended before anyone asked; the rest in start order: {now:?}"
    );
    let t = &now[0];
    assert_eq!(t.state, WorkerState::Running);
    assert_eq!(t.progress, Progress::new(1, 3));
    assert_eq!(t.status, "waiting for release");
    assert_eq!(t.description, "first");
    assert_eq!(t.kind, WorkerKind::Generator);
    assert!(t.elapsed > Duration::ZERO, "elapsed counts from `started`");
    assert_eq!(t.outcome, None);
    // Kept ended rows are read: a worker that ends after that keeps its row and outcome.
    qworker::set_recent_tasks_kept(1);
    c.quit();
    wait("c finished", || c.is_finished());
    let now = qworker::live_tasks();
    let c_row = now
        .iter()
        .find(|t| t.name == "od-c")
        .expect("c's ended row is kept");
    assert_eq!(c_row.outcome, Some(Outcome::Aborted));
    assert_eq!(c_row.state, WorkerState::Finished);
    qworker::set_recent_tasks_kept(0);
    // A pool made now shows the live ones.
    let pool = WorkerPool::create();
    wait_rows(&pool, "a's and d's rows in the model", |n| {
        n == ["od-a", "od-d"]
    });
    assert_eq!(pool.live_count(), 2);
    drop(tx);
    wait("a and d finished", || a.is_finished() && d.is_finished());
    wait_empty(&pool);
}

fn release_channel() -> (Sender<()>, Receiver<()>) {
    bounded(16)
}

fn rows_appear_at_start_and_go_after_finished() {
    let pool = WorkerPool::create();
    wait_empty(&pool);
    let (tx, rx) = release_channel();
    let w = waiting_worker("rows-a", &rx);
    process_events(FLUSH_INTERVAL * 2);
    assert!(names(&pool).is_empty(), "a worker not started has no row");
    w.start().unwrap();
    // Right after start(): the row is in the list, pending until `started` is delivered.
    let now = qworker::live_tasks();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].name, "rows-a");
    assert_eq!(now[0].kind, WorkerKind::Generator);
    assert_eq!(pool.live_count(), 1);
    wait_rows(&pool, "the row in the model", |n| n == ["rows-a"]);
    wait("running", || {
        pool.shown_row(0)
            .is_some_and(|t| t.state == WorkerState::Running)
    });
    drop(tx);
    wait("finished", || w.is_finished());
    wait_rows(&pool, "the row gone after finished", |n| n.is_empty());
    assert_eq!(pool.live_count(), 0);
}

fn roles_show_state_progress_status_description_and_elapsed() {
    let pool = WorkerPool::create();
    wait_empty(&pool);
    let (tx, rx) = release_channel();
    let w = waiting_worker("roles", &rx).described("reads the stack");
    w.start().unwrap();
    wait("status delivered", || {
        pool.shown_row(0)
            .is_some_and(|t| t.status == "waiting for release")
    });
    let t = pool.shown_row(0).unwrap();
    assert_eq!(t.description, "reads the stack");
    assert_eq!(t.progress, Progress::new(1, 3));
    assert_eq!(t.state, WorkerState::Running);
    assert_eq!(t.outcome, None);
    let first = t.elapsed;
    wait("elapsed moves while it runs", || {
        pool.shown_row(0).is_some_and(|t| t.elapsed > first)
    });
    w.pause();
    wait("paused in the model", || {
        pool.shown_row(0)
            .is_some_and(|t| t.state == WorkerState::Paused)
    });
    w.resume();
    drop(tx);
    wait("finished", || w.is_finished());
    wait_empty(&pool);
}

/// A progress report changes `progress`, `total`, `status` (and `state`): the model's
/// `dataChanged` names those roles, so a QML delegate does not rebind its name or description;
/// a pause names `state`; nothing ever names `name`, `kind` or `description`.
fn data_changed_names_only_the_roles_that_changed() {
    let mut pool = WorkerPool::create();
    wait_empty(&pool);
    // `on_data_changed` closures must be Send (they run on the GUI thread here).
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    pool.pin_mut()
        .on_data_changed(move |_, _, _, roles| {
            for &id in roles.iter() {
                // The roles from Qt::UserRole + 1 on, in `TASK_ROLES` order.
                let name = usize::try_from(id - 0x0100 - 1)
                    .ok()
                    .and_then(|i| qworker::TASK_ROLES.get(i))
                    .map_or_else(|| format!("unknown role {id}"), |n| n.to_string());
                s.lock().unwrap().push(name);
            }
        })
        .release();
    let (tx, rx) = release_channel();
    let w = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        for n in 1..=3u64 {
            cx.progress_text(n, 3, format!("step {n}"))?;
            while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_millis(2)) {
                cx.check()?;
            }
        }
        Ok(())
    })
    .named("roles-changed")
    .described("counts to three");
    w.start().unwrap();
    let status_is = |text: &str| pool.shown_row(0).is_some_and(|t| t.status == text);
    wait("the first step shown", || status_is("step 1"));
    seen.lock().unwrap().clear();
    tx.send(()).unwrap();
    wait("the second step shown", || status_is("step 2"));
    // The row changed; the views hear of it at the next flush.
    let named = |role: &str| seen.lock().unwrap().iter().any(|r| r == role);
    wait("a dataChanged for the report", || named("status"));
    let after_progress = std::mem::take(&mut *seen.lock().unwrap());
    for role in ["progress", "total", "state"] {
        assert!(
            after_progress.iter().any(|r| r == role),
            "{role} not named: {after_progress:?}"
        );
    }
    w.pause();
    wait("a dataChanged for the pause", || named("state"));
    let after_pause = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(
        pool.shown_row(0).map(|t| t.state),
        Some(WorkerState::Paused)
    );
    w.resume();
    drop(tx);
    wait("finished", || w.is_finished());
    wait_empty(&pool);
    let all: Vec<_> = after_progress.iter().chain(&after_pause).collect();
    for role in ["name", "kind", "description"] {
        assert!(
            all.iter().all(|r| *r != role),
            "{role} was named though it never changed: {all:?}"
        );
    }
}

fn ended_rows_are_kept_as_recent_with_their_outcome() {
    let pool = WorkerPool::create();
    wait_empty(&pool);
    qworker::set_recent_tasks_kept(2);
    let ok = qworker::function(|| Ok::<_, BoxError>(1)).named("recent-ok");
    let bad = qworker::function(|| Err::<i32, BoxError>("no disk".into())).named("recent-bad");
    bad.on_errored(|_| {});
    let (_tx, rx) = release_channel();
    let quit = waiting_worker("recent-quit", &rx);
    for w in [&ok.start(), &bad.start(), &quit.start()] {
        assert!(w.is_ok());
    }
    wait("three rows", || pool.shown_rows() == 3);
    quit.quit();
    wait("all finished", || {
        ok.is_finished() && bad.is_finished() && quit.is_finished()
    });
    // Only the two most recently ended stay, with their outcome.
    wait("two recent rows", || {
        pool.shown_rows() == 2 && pool.live_count() == 0
    });
    let outcomes: Vec<_> = (0..2).map(|i| pool.shown_row(i).unwrap()).collect();
    assert!(outcomes.iter().all(|t| t.state == WorkerState::Finished));
    let got: Vec<_> = outcomes
        .iter()
        .map(|t| (t.name.as_str(), t.outcome))
        .collect();
    assert!(
        got.contains(&("recent-quit", Some(Outcome::Aborted))),
        "{got:?}"
    );
    assert_eq!(qworker::recent_tasks_kept(), 2);
    qworker::set_recent_tasks_kept(0);
    wait_empty(&pool);
}

fn progress_from_many_workers_is_coalesced_into_few_model_updates() {
    let mut pool = WorkerPool::create();
    wait_empty(&pool);
    let updates = Arc::new(AtomicUsize::new(0));
    let u = updates.clone();
    pool.pin_mut()
        .on_data_changed(move |_, _, _, _| {
            u.fetch_add(1, Ordering::Relaxed);
        })
        .release();
    let delivered = Rc::new(Cell::new(0usize));
    let t0 = Instant::now();
    let workers: Vec<_> = (0..50)
        .map(|i| {
            let w = qworker::function_with_context(move |cx| -> Result<(), BoxError> {
                // At least 100 ms each, reporting all the time.
                for step in 0..2000 {
                    cx.progress_text(step, 2000, format!("step {step}"))?;
                    if step % 20 == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                Ok(())
            })
            .named(&format!("flood-{i}"));
            let d = delivered.clone();
            w.on_progress(move |_| d.set(d.get() + 1));
            w.start().unwrap();
            w
        })
        .collect();
    wait("all finished", || workers.iter().all(|w| w.is_finished()));
    wait_empty(&pool);
    let elapsed = t0.elapsed();
    // The list syncs its views from one timer, re-armed only after it fired: never more than
    // one sync per FLUSH_INTERVAL (plus the first), however many progress events arrived.
    let bound = (elapsed.as_millis() / FLUSH_INTERVAL.as_millis()) as usize + 2;
    println!(
        "  {} progress deliveries, {} model updates in {elapsed:.0?} (bound {bound})",
        delivered.get(),
        updates.load(Ordering::Relaxed)
    );
    assert!(
        updates.load(Ordering::Relaxed) >= 1,
        "the model was updated"
    );
    assert!(
        updates.load(Ordering::Relaxed) <= bound,
        "{} dataChanged for {} progress deliveries: not coalesced",
        updates.load(Ordering::Relaxed),
        delivered.get()
    );
    assert!(delivered.get() > updates.load(Ordering::Relaxed) * 5);
}

fn quit_row_quits_that_worker_and_bad_rows_only_warn() {
    let mut pool = WorkerPool::create();
    wait_empty(&pool);
    let (_tx, rx) = release_channel();
    let a = waiting_worker("quit-a", &rx);
    let b = waiting_worker("quit-b", &rx);
    a.start().unwrap();
    b.start().unwrap();
    wait_rows(&pool, "two rows", |n| n == ["quit-a", "quit-b"]);
    let capture = MessageCapture::start();
    pool.pin_mut().quit(1);
    wait("quit-b finished", || b.is_finished());
    assert!(
        !a.is_finished() && !a.is_abort_requested(),
        "row 0 untouched"
    );
    pool.pin_mut().quit(7);
    pool.pin_mut().quit(-1);
    let msgs = capture.take().join("\n");
    assert!(msgs.contains("WorkerPool.quit(7): no such row"), "{msgs}");
    assert!(msgs.contains("WorkerPool.quit(-1): no such row"), "{msgs}");
    // A row that ended but is still shown (before the next sync): a warning, nothing quit.
    qworker::set_recent_tasks_kept(1);
    wait_rows(&pool, "quit-b kept as recent", |n| n.len() == 2);
    pool.pin_mut().quit(1);
    let msgs = capture.take().join("\n");
    assert!(
        msgs.contains("worker 'quit-b' has already finished; nothing to quit"),
        "{msgs}"
    );
    assert!(!a.is_abort_requested());
    qworker::set_recent_tasks_kept(0);
    a.quit();
    wait("quit-a finished", || a.is_finished());
    wait_empty(&pool);
}

fn quit_all_and_await_all_stop_every_worker() {
    let mut pool = WorkerPool::create();
    wait_empty(&pool);
    let (_tx, rx) = release_channel();
    let ws: Vec<_> = (0..5)
        .map(|i| {
            let w = waiting_worker(&format!("all-{i}"), &rx);
            w.start().unwrap();
            w
        })
        .collect();
    wait("five running", || pool.live_count() == 5);
    assert!(pool.pin_mut().await_all(10_000), "all stopped in time");
    wait("all finished", || ws.iter().all(|w| w.is_finished()));
    wait_empty(&pool);
    // quitAll returns at once.
    let more: Vec<_> = (0..3)
        .map(|i| {
            let w = waiting_worker(&format!("more-{i}"), &rx);
            w.start().unwrap();
            w
        })
        .collect();
    qworker::quit_all();
    assert!(more.iter().all(|w| w.is_abort_requested()));
    wait("all finished", || more.iter().all(|w| w.is_finished()));
    // A negative wait is a warning and waits 0 ms.
    let capture = MessageCapture::start();
    assert!(pool.pin_mut().await_all(-5));
    assert!(
        capture
            .take()
            .join("\n")
            .contains("awaitAll(-5): a negative time")
    );
    wait_empty(&pool);
}

/// Loads QML text (root: QtObject) and returns the engine.
fn load(qml: &str) -> cxx::UniquePtr<QQmlApplicationEngine> {
    let mut engine = QQmlApplicationEngine::new();
    engine
        .pin_mut()
        .load_data(&QByteArray::from(qml), &QUrl::from("qrc:/test/tasks.qml"));
    engine
}

/// The lines QML logged with the "T " prefix, without it, and warnings.
fn collect(capture: &MessageCapture, log: &RefCell<Vec<String>>) {
    for m in capture.take() {
        if let Some(i) = m.find("T ") {
            log.borrow_mut().push(m[i + 2..].to_string());
        } else if m.starts_with("warning:") || m.starts_with("critical:") {
            log.borrow_mut().push(m);
        }
    }
}

fn wait_line(capture: &MessageCapture, log: &RefCell<Vec<String>>, needle: &str) {
    wait(needle, || {
        collect(capture, log);
        log.borrow().iter().any(|l| l.contains(needle))
    });
}

fn qml_singleton_lists_workers_from_qml_and_rust() {
    let pool = WorkerPool::create();
    wait_empty(&pool);
    let (_tx, rx) = release_channel();
    let rust = waiting_worker("from-rust", &rx);
    rust.start().unwrap();
    let capture = MessageCapture::start();
    let log = RefCell::new(Vec::new());
    let engine = load(
        r#"import QtQml
import QtQml.Models
import QWorker
QtObject {
    id: root
    property var w: Worker { id: w; task: "wait_for_word"; args: ["qml"] }
    property var rows: Instantiator {
        model: WorkerPool.tasks
        delegate: QtObject {
            Component.onCompleted: console.log("T row " + model.name + " " + model.kind + " " + model.state)
        }
    }
    property var watch: Connections {
        target: WorkerPool
        function onCountChanged() { console.log("T count " + WorkerPool.count + " rows " + WorkerPool.tasks.rowCount()) }
    }
    Component.onCompleted: w.start()
    function finish() { w.send(7) }
}
"#,
    );
    wait("both rows in QML", || {
        collect(&capture, &log);
        let l = log.borrow();
        if l.iter()
            .any(|l| l.contains("is not") || l.contains("Error"))
        {
            panic!("QML failed: {l:?}");
        }
        l.iter().any(|l| l.contains("count 2 rows 2"))
    });
    wait_line(&capture, &log, "row from-rust generator");
    wait_line(&capture, &log, "row wait_for_word generator");
    // Both the QML singleton and this Rust object show the same rows.
    assert_eq!(names(&pool), ["from-rust", "wait_for_word"]);
    let root = qworker::testing::SceneObject::from_engine(&engine).expect("QML loaded");
    root.invoke("finish", &[]).unwrap();
    rust.quit();
    wait_line(&capture, &log, "count 0 rows 0");
    drop(engine);
    wait_empty(&pool);
}

fn timeout_stops_a_worker_with_a_timed_out_outcome() {
    let pool = WorkerPool::create();
    wait_empty(&pool);
    qworker::set_recent_tasks_kept(1);
    let w = qworker::function_with_context(|cx| -> Result<(), BoxError> {
        loop {
            cx.check()?;
            std::thread::sleep(Duration::from_millis(1));
        }
    })
    .named("slow")
    .timeout(Duration::from_millis(100));
    assert_eq!(w.timeout_after(), Some(Duration::from_millis(100)));
    let errors = Rc::new(RefCell::new(Vec::new()));
    let aborted = Rc::new(Cell::new(false));
    let e = errors.clone();
    w.on_errored(move |err: &WorkerError<BoxError>| {
        e.borrow_mut().push((err.is_timeout(), err.to_string()))
    });
    let a = aborted.clone();
    w.on_aborted(move || a.set(true));
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(
        *errors.borrow(),
        [(true, "timed out after 100 ms".to_string())]
    );
    assert!(!aborted.get(), "a timeout is not `aborted`");
    wait("the row's outcome", || {
        pool.shown_row(0)
            .is_some_and(|t| t.outcome == Some(Outcome::TimedOut))
    });
    // A zero timeout is refused with a warning; the worker runs without one.
    let capture = MessageCapture::start();
    let z = qworker::function(|| Ok::<_, BoxError>(()))
        .named("zero")
        .timeout(Duration::ZERO);
    assert_eq!(z.timeout_after(), None);
    assert!(capture.take().join("\n").contains("timeout(0) refused"));
    qworker::set_recent_tasks_kept(0);
    wait_empty(&pool);
}

fn a_worker_that_ignores_its_timeout_is_reported_by_name() {
    let (tx, rx) = release_channel();
    let w = qworker::function(move || -> Result<(), BoxError> {
        let _ = rx.recv(); // no checkpoint: the timeout cannot stop it
        Ok(())
    })
    .named("stuck-loader")
    .timeout(Duration::from_millis(50));
    let warned = Rc::new(RefCell::new(Vec::<String>::new()));
    let wv = warned.clone();
    w.on_warned(move |m| wv.borrow_mut().push(m.to_string()));
    let errors = Rc::new(RefCell::new(Vec::<bool>::new()));
    let e = errors.clone();
    w.on_errored(move |err: &WorkerError<BoxError>| e.borrow_mut().push(err.is_timeout()));
    w.start().unwrap();
    wait("the stuck report", || !warned.borrow().is_empty());
    let msg = warned.borrow()[0].clone();
    assert!(
        msg.contains("worker 'stuck-loader' timed out after 50 ms"),
        "{msg}"
    );
    assert!(msg.contains("has not reached a checkpoint"), "{msg}");
    assert!(!w.is_finished(), "never killed: it still runs");
    tx.send(()).unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(
        *errors.borrow(),
        [true],
        "its outcome still says it timed out"
    );
}

fn qml_timeout_stops_the_worker_and_bad_timeouts_warn() {
    let capture = MessageCapture::start();
    let log = RefCell::new(Vec::new());
    let engine = load(
        r#"import QtQml
import QWorker
QtObject {
    property var w: Worker {
        id: w
        task: "spin"
        timeout: 80
        onErrored: (m) => console.log("T errored " + m)
        onAborted: console.log("T aborted")
        onFinished: console.log("T finished timeout=" + w.timeout)
    }
    property var z: Worker { id: z; task: "spin"; timeout: 0 }
    property var n: Worker { id: n; task: "spin"; timeout: -5 }
    Component.onCompleted: w.start()
}
"#,
    );
    wait_line(&capture, &log, "finished timeout=80");
    let all = log.borrow().join("\n");
    assert!(all.contains("errored timed out after 80 ms"), "{all}");
    assert!(
        !all.contains("T aborted") && !all.contains("aborted\n"),
        "{all}"
    );
    assert!(all.contains("timeout 0 refused"), "{all}");
    assert!(all.contains("timeout -5 refused"), "{all}");
    drop(engine);
}

fn progress_text_reaches_rust_qml_and_the_model() {
    let pool = WorkerPool::create();
    wait_empty(&pool);
    let capture = MessageCapture::start();
    let log = RefCell::new(Vec::new());
    let engine = load(
        r#"import QtQml
import QWorker
QtObject {
    property var w: Worker {
        id: w
        task: "wait_for_word"
        args: ["slice 4"]
        description: "loads the stack"
        onProgressChanged: (done, total) => console.log("T progress " + done + "/" + total + " status=" + w.status)
    }
    Component.onCompleted: { console.log("T before status=" + w.status); w.start() }
    function finish() { w.send(1) }
}
"#,
    );
    wait_line(&capture, &log, "progress 1/4 status=slice 4: waiting");
    assert!(
        log.borrow()
            .iter()
            .any(|l| l.contains("before status=loads the stack")),
        "before any progress, status shows the description: {:?}",
        log.borrow()
    );
    wait("the model's status role", || {
        pool.shown_row(0)
            .is_some_and(|t| t.status == "slice 4: waiting" && t.description == "loads the stack")
    });
    let root = qworker::testing::SceneObject::from_engine(&engine).expect("QML loaded");
    root.invoke("finish", &[]).unwrap();
    wait_empty(&pool);
    // From Rust: `status()` reads the delivered line.
    let w = qworker::function_with_context(|cx| -> Result<(), BoxError> {
        cx.progress_text(2, 5, "two of five")?;
        Ok(())
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(w.status(), "two of five");
    assert_eq!(w.progress(), Progress::new(2, 5));
    drop(engine);
}

fn advance_counts_against_the_total_of_a_function_worker() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let w = qworker::function_with_context(|cx| -> Result<(), BoxError> {
        for _ in 0..3 {
            cx.advance(2)?;
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    })
    .progress_total(6);
    let s = seen.clone();
    w.on_progress(move |p| s.borrow_mut().push(p));
    w.start().unwrap();
    wait("finished", || w.is_finished());
    let seen = seen.borrow();
    // Coalesced: the GUI may see fewer steps, each of the total set up front.
    assert!(seen.iter().all(|p| p.total == 6), "{seen:?}");
    assert_eq!(seen.last(), Some(&Progress::new(6, 6)), "{seen:?}");
    assert!(seen.windows(2).all(|p| p[0].done <= p[1].done));
}

/// 20,000 short workers in a chain (each one's `returned` starts the next) end far faster
/// than the 50 ms flushes come: the ended rows are dropped as they pile up (beyond 1,024),
/// not only at the next flush.
fn workers_that_end_faster_than_the_flushes_do_not_pile_up() {
    const N: u64 = 20_000;
    struct Chain {
        done: Cell<u64>,
        most: Cell<usize>,
    }
    fn launch(k: u64, chain: Rc<Chain>) {
        let w = qworker::function(move || Ok::<_, BoxError>(k));
        w.on_returned(move |_| {
            chain.done.set(k + 1);
            if k.is_multiple_of(100) {
                let rows = qworker::live_tasks().len();
                chain.most.set(chain.most.get().max(rows));
            }
            if k + 1 < N {
                launch(k + 1, chain.clone());
            }
        });
        w.detach().unwrap();
    }
    let pool = WorkerPool::create();
    wait_empty(&pool);
    let chain = Rc::new(Chain {
        done: Cell::new(0),
        most: Cell::new(0),
    });
    let t0 = Instant::now();
    launch(0, chain.clone());
    wait("the chain's end", || chain.done.get() == N);
    let rate = N as f64 / t0.elapsed().as_secs_f64();
    let most = chain.most.get();
    println!("  ({rate:.0} workers/s; at most {most} rows listed)");
    assert!(most <= 1024 + 2, "{most} rows were listed at once");
    wait_empty(&pool);
}
