//! The worker on a real Qt event loop (offscreen): kinds of worker, signal order and payloads
//! (typed callbacks and real Qt connections), controls, progress and warnings, errors and
//! lifetimes, and bad input. One QGuiApplication on the main thread; cases run in sequence.

mod common;

extern crate qworker;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::rng::Rng;
use common::wait;
use cxx_qt_lib::{QGuiApplication, QString, QVariant};
use qworker::testing::MessageCapture;
use qworker::{
    Aborted, BoxError, Context, Event, Policy, Pool, SendError, StartError, ToVariant, Work,
    WorkerBase, WorkerError, WorkerState,
};

/// What the Qt signals carried, as text, recorded through real Qt connections (the same
/// path a C++ `QObject::connect` or a QML handler takes).
type QtLog = Arc<Mutex<Vec<String>>>;

fn qt_log<Y, S, R, E>(w: &WorkerBase<Y, S, R, E>) -> QtLog
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    let log: QtLog = Default::default();
    let text = |v: &QVariant| -> String {
        if !v.is_valid() {
            return "undefined".into();
        }
        match v.type_name() {
            "QString" => v.value::<QString>().unwrap().to_string(),
            "int" | "qlonglong" | "long" | "uint" | "qulonglong" | "ulong" => {
                v.value::<i64>().unwrap().to_string()
            }
            other => other.to_string(),
        }
    };
    w.with_qobject(|mut o| {
        macro_rules! plain {
            ($($sig:ident),*) => {$({
                let l = log.clone();
                o.as_mut().$sig(move |_| l.lock().unwrap().push(stringify!($sig)[3..].to_string())).release();
            })*};
        }
        plain!(on_started, on_paused, on_resumed, on_aborted, on_finished);
        let l = log.clone();
        o.as_mut()
            .on_yielded(move |_, v| l.lock().unwrap().push(format!("yielded {}", text(v))))
            .release();
        let l = log.clone();
        o.as_mut()
            .on_returned(move |_, v| l.lock().unwrap().push(format!("returned {}", text(v))))
            .release();
        let l = log.clone();
        o.as_mut()
            .on_errored(move |_, m| l.lock().unwrap().push(format!("errored {m}")))
            .release();
        let l = log.clone();
        o.as_mut()
            .on_warned(move |_, m| l.lock().unwrap().push(format!("warned {m}")))
            .release();
    })
    .expect("on the GUI thread");
    log
}

fn take(log: &QtLog) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Records every typed event of a generator worker as text.
fn typed_log<Y, S, R, E>(w: &qworker::GeneratorWorker<Y, S, R, E>) -> Rc<RefCell<Vec<String>>>
where
    Y: std::fmt::Debug + Send + 'static,
    S: Send + 'static,
    R: std::fmt::Debug + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let log = Rc::new(RefCell::new(vec![]));
    let l = log.clone();
    w.on_event(move |e| {
        l.borrow_mut().push(match e {
            Event::Yielded(v) => format!("yielded {v:?}"),
            Event::Returned(r) => format!("returned {r:?}"),
            Event::Errored(e) => format!("errored {e}"),
            Event::Warned(m) => format!("warned {m}"),
            Event::Progress(p) => format!("progress {}/{}", p.done, p.total),
            other => other.kind().to_string(),
        })
    });
    log
}

fn gen_n(n: u32) -> qworker::GeneratorWorker<u32, (), &'static str> {
    qworker::generator(
        move |cx: &mut Context<u32>| -> Result<&'static str, BoxError> {
            for i in 0..n {
                cx.yield_(i)?;
            }
            Ok("done")
        },
    )
}

/// Yields `i64`, receives `i64`, returns nothing.
type Endless = qworker::GeneratorWorker<i64, i64>;

/// Yields 0, 1, 2, ... forever; records what `yield_` handed back.
fn endless(got: Arc<Mutex<Vec<Option<i64>>>>) -> Endless {
    qworker::generator(move |cx: &mut Context<i64, i64>| -> Result<(), BoxError> {
        let mut i = 0;
        loop {
            let r = cx.yield_(i)?;
            got.lock().unwrap().push(r);
            i += 1;
        }
    })
}

/// An endless worker on `pool`, started and running, with the count of values delivered.
fn running_on(pool: &Pool) -> (Endless, Rc<Cell<usize>>) {
    let w = endless(Default::default()).pool(pool);
    let delivered = Rc::new(Cell::new(0));
    let d = delivered.clone();
    w.on_yielded(move |_| d.set(d.get() + 1));
    w.start().unwrap();
    wait("running", || delivered.get() > 5);
    (w, delivered)
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    common::run(&[
        // ---------------- kinds of worker ----------------
        (
            "function_worker_returns_its_value_to_rust_and_qt",
            function_worker_returns_its_value_to_rust_and_qt,
        ),
        (
            "function_worker_with_check_can_be_quit",
            function_worker_with_check_can_be_quit,
        ),
        (
            "generator_yields_in_order_then_returns",
            generator_yields_in_order_then_returns,
        ),
        (
            "iterator_worker_yields_each_item_and_returns_no_payload",
            iterator_worker_yields_each_item_and_returns_no_payload,
        ),
        (
            "custom_work_type_with_its_own_messages",
            custom_work_type_with_its_own_messages,
        ),
        // ---------------- signals and order ----------------
        (
            "quit_before_the_end_gives_aborted_then_finished_and_no_returned",
            quit_before_the_end_gives_aborted_then_finished_and_no_returned,
        ),
        (
            "an_error_is_errored_then_finished_never_returned",
            an_error_is_errored_then_finished_never_returned,
        ),
        (
            "a_panic_is_errored_with_its_message_and_the_app_lives",
            a_panic_is_errored_with_its_message_and_the_app_lives,
        ),
        (
            "every_value_is_delivered_exactly_once_in_order_under_all",
            every_value_is_delivered_exactly_once_in_order_under_all,
        ),
        // ---------------- control ----------------
        (
            "a_second_start_is_refused_and_does_not_run_twice",
            a_second_start_is_refused_and_does_not_run_twice,
        ),
        (
            "connections_made_right_after_start_receive_every_event",
            connections_made_right_after_start_receive_every_event,
        ),
        (
            "a_worker_started_inside_another_workers_thread_delivers_on_the_gui_thread",
            a_worker_started_inside_another_workers_thread_delivers_on_the_gui_thread,
        ),
        (
            "pause_parks_then_paused_and_resume_gives_resumed",
            pause_parks_then_paused_and_resume_gives_resumed,
        ),
        (
            "pause_then_resume_before_a_checkpoint_leaves_it_running",
            pause_then_resume_before_a_checkpoint_leaves_it_running,
        ),
        (
            "toggle_pause_flips_the_request",
            toggle_pause_flips_the_request,
        ),
        (
            "quit_while_paused_aborts_without_resumed",
            quit_while_paused_aborts_without_resumed,
        ),
        (
            "quit_inside_on_yielded_stops_delivery_at_once",
            quit_inside_on_yielded_stops_delivery_at_once,
        ),
        (
            "sends_are_received_oldest_first_from_rust_and_qt",
            sends_are_received_oldest_first_from_rust_and_qt,
        ),
        (
            "a_send_while_paused_is_received_after_resume",
            a_send_while_paused_is_received_after_resume,
        ),
        (
            "properties_and_change_signals_follow_the_delivered_state",
            properties_and_change_signals_follow_the_delivered_state,
        ),
        // ---------------- progress and warnings ----------------
        (
            "progress_ticks_per_yield_is_coalesced_and_overflows_to_unknown",
            progress_ticks_per_yield_is_coalesced_and_overflows_to_unknown,
        ),
        (
            "progress_reported_every_millisecond_is_paced_newest_last",
            progress_reported_every_millisecond_is_paced_newest_last,
        ),
        (
            "warnings_reach_their_own_workers_signal_when_many_warn_at_once",
            warnings_reach_their_own_workers_signal_when_many_warn_at_once,
        ),
        // ---------------- errors and lifetimes ----------------
        (
            "an_error_nobody_handles_is_logged_with_the_workers_name",
            an_error_nobody_handles_is_logged_with_the_workers_name,
        ),
        (
            "dropping_a_running_worker_stops_it_and_delivers_nothing_more",
            dropping_a_running_worker_stops_it_and_delivers_nothing_more,
        ),
        (
            "dropping_a_worker_inside_its_own_callback_is_safe",
            dropping_a_worker_inside_its_own_callback_is_safe,
        ),
        (
            "await_workers_names_those_that_do_not_stop",
            await_workers_names_those_that_do_not_stop,
        ),
        (
            "bounded_policy_delivers_everything_in_order",
            bounded_policy_delivers_everything_in_order,
        ),
        (
            "a_cpp_host_deleting_the_qobject_quits_the_work_and_the_handle_stays_safe",
            a_cpp_host_deleting_the_qobject_quits_the_work_and_the_handle_stays_safe,
        ),
        (
            "latest_policy_with_a_slow_gui_shows_the_newest_value",
            latest_policy_with_a_slow_gui_shows_the_newest_value,
        ),
        // ---------------- bad input ----------------
        (
            "send_to_a_finished_worker_is_refused_with_the_value_back",
            send_to_a_finished_worker_is_refused_with_the_value_back,
        ),
        (
            "controls_that_do_not_apply_to_a_function_worker_warn",
            controls_that_do_not_apply_to_a_function_worker_warn,
        ),
        (
            "a_sent_value_of_the_wrong_type_is_refused_with_what_was_expected",
            a_sent_value_of_the_wrong_type_is_refused_with_what_was_expected,
        ),
        (
            "a_yielded_value_qml_cannot_take_becomes_a_clear_error",
            a_yielded_value_qml_cannot_take_becomes_a_clear_error,
        ),
        (
            "stress_many_workers_random_controls_and_drops_on_a_real_event_loop",
            stress_many_workers_random_controls_and_drops_on_a_real_event_loop,
        ),
    ]);
}

// ---------------- kinds of worker ----------------

fn function_worker_returns_its_value_to_rust_and_qt() {
    let w = qworker::function(|| -> Result<u64, BoxError> { Ok((1..=10).product()) });
    let qt = qt_log(&w);
    let got = Rc::new(Cell::new(0));
    let g = got.clone();
    w.on_returned(move |v| g.set(*v));
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(got.get(), 3_628_800);
    assert_eq!(take(&qt), ["started", "returned 3628800", "finished"]);
    assert_eq!(w.kind(), qworker::WorkerKind::Function);
}

fn function_worker_with_check_can_be_quit() {
    let running = Arc::new(AtomicBool::new(false));
    let r = running.clone();
    let w = qworker::function_with_context(move |cx: &mut Context| -> Result<u32, BoxError> {
        r.store(true, Ordering::SeqCst);
        loop {
            cx.check()?;
            std::thread::yield_now();
        }
    });
    let qt = qt_log(&w);
    w.start().unwrap();
    wait("the loop to run", || running.load(Ordering::SeqCst));
    w.quit();
    wait("finished", || w.is_finished());
    assert_eq!(take(&qt), ["started", "aborted", "finished"]);
}

fn generator_yields_in_order_then_returns() {
    let w = gen_n(5);
    let qt = qt_log(&w);
    let typed = typed_log(&w);
    w.start().unwrap();
    wait("finished", || w.is_finished());
    let expect = [
        "started",
        "yielded 0",
        "yielded 1",
        "yielded 2",
        "yielded 3",
        "yielded 4",
        "returned done",
        "finished",
    ];
    assert_eq!(take(&qt), expect);
    let typed: Vec<String> = typed.borrow().iter().map(|s| s.replace('"', "")).collect();
    assert_eq!(typed, expect);
}

fn iterator_worker_yields_each_item_and_returns_no_payload() {
    let w = qworker::from_iter(vec!["a".to_string(), "b".to_string()]);
    let qt = qt_log(&w);
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(
        take(&qt),
        [
            "started",
            "yielded a",
            "yielded b",
            "returned undefined",
            "finished"
        ]
    );
}

fn custom_work_type_with_its_own_messages() {
    // The counterpart of a WorkerBase subclass with custom signals: the work yields its
    // own message enum; the GUI side dispatches it (here: to typed handlers; for QML, the
    // enum's ToVariant gives a {"type", "value"} map).
    #[derive(Debug, PartialEq)]
    enum Msg {
        Status(String),
        Point(f64, f64),
    }
    impl ToVariant for Msg {
        fn to_variant(&self) -> Result<QVariant, qworker::ConvertError> {
            let mut m = std::collections::BTreeMap::new();
            match self {
                Msg::Status(s) => {
                    m.insert("type".to_string(), "status".to_variant()?);
                    m.insert("value".to_string(), s.to_variant()?);
                }
                Msg::Point(x, y) => {
                    m.insert("type".to_string(), "point".to_variant()?);
                    m.insert("value".to_string(), vec![*x, *y].to_variant()?);
                }
            }
            Ok(QVariant::from(&{
                let mut map = cxx_qt_lib::QMap::<cxx_qt_lib::QMapPair_QString_QVariant>::default();
                for (k, v) in m {
                    map.insert(QString::from(k.as_str()), v);
                }
                map
            }))
        }
    }
    struct Tracer {
        steps: u32,
    }
    impl Work for Tracer {
        type Yield = Msg;
        type Input = ();
        type Output = u32;
        type Error = Aborted;
        fn work(&mut self, cx: &mut Context<Msg>) -> Result<u32, Aborted> {
            cx.yield_(Msg::Status("tracing".into()))?;
            for i in 0..self.steps {
                cx.yield_(Msg::Point(i as f64, (i * i) as f64))?;
            }
            Ok(self.steps)
        }
    }
    let w = qworker::from_work(Tracer { steps: 3 });
    let statuses = Rc::new(RefCell::new(vec![]));
    let points = Rc::new(RefCell::new(vec![]));
    let (s, p) = (statuses.clone(), points.clone());
    w.on_yielded(move |m| match m {
        Msg::Status(t) => s.borrow_mut().push(t.clone()),
        Msg::Point(x, y) => p.borrow_mut().push((*x, *y)),
    });
    let qt = qt_log(&w);
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(*statuses.borrow(), ["tracing"]);
    assert_eq!(*points.borrow(), [(0.0, 0.0), (1.0, 1.0), (2.0, 4.0)]);
    let qt = take(&qt);
    assert_eq!(
        qt.iter().filter(|l| *l == "yielded QVariantMap").count(),
        4,
        "{qt:?}"
    );
    assert_eq!(qt.last().unwrap(), "finished");
}
// ---------------- signals and order ----------------

fn quit_before_the_end_gives_aborted_then_finished_and_no_returned() {
    let w = endless(Default::default());
    let qt = qt_log(&w);
    let n = Rc::new(Cell::new(0));
    let n2 = n.clone();
    w.on_yielded(move |_| n2.set(n2.get() + 1));
    w.start().unwrap();
    wait("some values", || n.get() > 10);
    w.quit();
    wait("finished", || w.is_finished());
    let qt = take(&qt);
    let tail: Vec<_> = qt[qt.len() - 2..].to_vec();
    assert_eq!(tail, ["aborted", "finished"]);
    assert!(!qt.iter().any(|l| l.starts_with("returned")));
    assert!(w.is_abort_requested());
}

fn an_error_is_errored_then_finished_never_returned() {
    let w = qworker::generator(|cx: &mut Context<i32>| -> Result<i32, BoxError> {
        cx.yield_(1)?;
        Err("disk full".into())
    });
    let qt = qt_log(&w);
    let typed = Rc::new(RefCell::new(None));
    let t = typed.clone();
    w.on_errored(move |e: &WorkerError<BoxError>| {
        *t.borrow_mut() = Some((e.to_string(), e.error().map(|b| b.to_string())))
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(
        take(&qt),
        ["started", "yielded 1", "errored disk full", "finished"]
    );
    assert_eq!(
        *typed.borrow(),
        Some(("disk full".to_string(), Some("disk full".to_string())))
    );
}

fn a_panic_is_errored_with_its_message_and_the_app_lives() {
    let w = qworker::function(|| -> Result<(), BoxError> {
        let v: Vec<u8> = vec![];
        let i = 3;
        panic!("index {i} out of range for {} items", v.len())
    });
    let qt = qt_log(&w);
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(
        take(&qt),
        [
            "started",
            "errored panicked: index 3 out of range for 0 items",
            "finished"
        ]
    );
}

fn every_value_is_delivered_exactly_once_in_order_under_all() {
    const N: u32 = 200_000;
    let w = gen_n(N);
    let seen = Arc::new(AtomicUsize::new(0));
    let in_order = Arc::new(AtomicBool::new(true));
    let (s, ok) = (seen.clone(), in_order.clone());
    w.with_qobject(|o| {
        o.on_yielded(move |_, v| {
            let i = v.value::<u32>().unwrap() as usize;
            if s.fetch_add(1, Ordering::SeqCst) != i {
                ok.store(false, Ordering::SeqCst);
            }
        })
        .release();
    });
    let typed = Rc::new(Cell::new(0u32));
    let t = typed.clone();
    w.on_yielded(move |v| {
        assert_eq!(*v, t.get());
        t.set(t.get() + 1);
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(seen.load(Ordering::SeqCst), N as usize);
    assert!(in_order.load(Ordering::SeqCst));
    assert_eq!(typed.get(), N);
}
// ---------------- control ----------------

fn a_second_start_is_refused_and_does_not_run_twice() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let w = qworker::function(move || -> Result<(), BoxError> {
        r.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    w.start().unwrap();
    assert!(matches!(w.start(), Err(StartError::AlreadyStarted)));
    let capture = MessageCapture::start();
    let ok = w.with_qobject(|o| o.start()).unwrap();
    assert!(!ok, "the invokable start() refuses too");
    let msgs = capture.take();
    assert!(
        msgs.iter().any(|m| m.contains("already started")),
        "a warning says why: {msgs:?}"
    );
    wait("finished", || w.is_finished());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

fn connections_made_right_after_start_receive_every_event() {
    let w = gen_n(3);
    w.start().unwrap();
    // Connected after start(), in the same GUI-thread call.
    let qt = qt_log(&w);
    let typed = typed_log(&w);
    wait("finished", || w.is_finished());
    assert_eq!(take(&qt).first().unwrap(), "started");
    assert_eq!(take(&qt).len(), 6);
    assert_eq!(typed.borrow().len(), 6);
}

fn a_worker_started_inside_another_workers_thread_delivers_on_the_gui_thread() {
    let events: Arc<Mutex<Vec<(String, bool)>>> = Default::default();
    let ev = events.clone();
    let outer = qworker::function(move || -> Result<(), BoxError> {
        let inner = gen_n(2).named("inner");
        let ev2 = ev.clone();
        inner.on_event_send(move |e| {
            ev2.lock()
                .unwrap()
                .push((e.kind().to_string(), qworker::is_gui_thread()));
        });
        inner.detach()?;
        Ok(())
    });
    outer.start().unwrap();
    wait("the inner worker's finished", || {
        events.lock().unwrap().iter().any(|(k, _)| k == "finished")
    });
    let ev = events.lock().unwrap().clone();
    let kinds: Vec<_> = ev.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["started", "yielded", "yielded", "returned", "finished"]
    );
    assert!(
        ev.iter().all(|(_, gui)| *gui),
        "every callback ran on the GUI thread"
    );
    wait("outer finished", || outer.is_finished());
}

fn pause_parks_then_paused_and_resume_gives_resumed() {
    let got = Arc::new(Mutex::new(vec![]));
    let w = endless(got.clone());
    let qt = qt_log(&w);
    let n = Rc::new(Cell::new(0));
    let n2 = n.clone();
    w.on_yielded(move |_| n2.set(n2.get() + 1));
    w.start().unwrap();
    wait("running", || n.get() > 3);
    w.pause();
    assert!(
        !w.is_paused(),
        "the property shows the state, not the request"
    );
    wait("paused", || w.is_paused());
    assert_eq!(w.state(), WorkerState::Paused);
    assert!(w.is_running(), "a paused worker is still running");
    let produced = got.lock().unwrap().len();
    // Parked: the body does not advance. Spin the loop a little to give it every chance.
    qworker::testing::process_events(Duration::from_millis(50));
    assert_eq!(
        got.lock().unwrap().len(),
        produced,
        "no progress while paused"
    );
    w.resume();
    wait("resumed", || w.state() == WorkerState::Running);
    let at = n.get();
    wait("more values", || n.get() > at + 3);
    w.quit();
    wait("finished", || w.is_finished());
    let qt = take(&qt);
    let p = qt.iter().position(|l| l == "paused").unwrap();
    assert_eq!(qt[p + 1], "resumed");
    assert_eq!(qt.iter().filter(|l| *l == "paused").count(), 1);
}

fn pause_then_resume_before_a_checkpoint_leaves_it_running() {
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let g2 = gate.clone();
    let w = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        let (m, cv) = &*g2;
        let _open = cv.wait_while(m.lock().unwrap(), |open| !*open).unwrap();
        for i in 0..3 {
            cx.yield_(i)?;
        }
        Ok(())
    });
    let qt = qt_log(&w);
    w.start().unwrap();
    w.pause();
    w.resume();
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    wait("finished", || w.is_finished());
    let qt = take(&qt);
    assert!(!qt.contains(&"paused".to_string()), "{qt:?}");
    assert_eq!(qt.last().unwrap(), "finished");
    assert!(qt.contains(&"returned undefined".to_string()));
}

fn toggle_pause_flips_the_request() {
    let w = endless(Default::default());
    let qt = qt_log(&w);
    w.start().unwrap();
    assert!(w.toggle_pause());
    wait("paused", || w.is_paused());
    assert!(!w.toggle_pause());
    wait("resumed", || w.state() == WorkerState::Running);
    w.with_qobject(|o| o.toggle_pause()); // the invokable
    wait("paused again", || w.is_paused());
    w.quit();
    wait("finished", || w.is_finished());
    let qt = take(&qt);
    assert_eq!(qt.iter().filter(|l| *l == "paused").count(), 2);
    assert_eq!(qt.iter().filter(|l| *l == "resumed").count(), 1);
}

fn quit_while_paused_aborts_without_resumed() {
    let w = endless(Default::default());
    let qt = qt_log(&w);
    w.pause();
    w.start().unwrap();
    wait("paused", || w.is_paused());
    w.quit();
    wait("finished", || w.is_finished());
    let qt = take(&qt);
    let p = qt.iter().position(|l| l == "paused").unwrap();
    assert_eq!(&qt[p..], ["paused", "aborted", "finished"]);
}

/// `quit()` called from inside `on_yielded`, in the middle of one batch of delivered values:
/// nothing after that value reaches any receiver, typed or Qt; `aborted` and `finished` follow.
fn quit_inside_on_yielded_stops_delivery_at_once() {
    let pushed = Arc::new(AtomicBool::new(false));
    let p = pushed.clone();
    let w = Rc::new(
        qworker::generator(move |cx: &mut Context<u32, u32>| -> Result<(), BoxError> {
            for i in 0..100 {
                cx.yield_(i)?;
            }
            p.store(true, Ordering::SeqCst);
            cx.recv()?; // Err(Aborted) once quit
            Ok(())
        })
        .policy(Policy::All),
    );
    let qt = qt_log(&w);
    let typed: Rc<RefCell<Vec<String>>> = Default::default();
    let (t, weak) = (typed.clone(), Rc::downgrade(&w));
    w.on_yielded(move |v| {
        t.borrow_mut().push(format!("yielded {v}"));
        if *v == 5 {
            weak.upgrade().expect("the worker is alive").quit();
        }
    });
    let t = typed.clone();
    w.on_started(move || t.borrow_mut().push("started".into()));
    let t = typed.clone();
    w.on_aborted(move || t.borrow_mut().push("aborted".into()));
    let t = typed.clone();
    w.on_returned(move |_| t.borrow_mut().push("returned".into()));
    let t = typed.clone();
    w.on_finished(move || t.borrow_mut().push("finished".into()));
    w.start().unwrap();
    // No Qt events processed until all 100 values are queued: they wait as one batch.
    let t0 = Instant::now();
    while !pushed.load(Ordering::SeqCst) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the generator did not queue its 100 values within 10 s"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    wait("finished", || w.is_finished());
    qworker::testing::process_events(Duration::from_millis(20));
    let mut expect = vec!["started".to_string()];
    expect.extend((0..=5).map(|i| format!("yielded {i}")));
    expect.extend(["aborted".to_string(), "finished".to_string()]);
    assert_eq!(*typed.borrow(), expect, "typed callbacks");
    // The Qt signals: the same values (5 itself may or may not have gone out before the quit,
    // depending on which receiver ran first), nothing after 5, then aborted and finished.
    let qt = take(&qt);
    let qt_yielded: Vec<&String> = qt.iter().filter(|l| l.starts_with("yielded")).collect();
    let expect_qt: Vec<String> = (0..=5).map(|i| format!("yielded {i}")).collect();
    assert!(
        qt_yielded.len() >= 5 && qt_yielded.iter().zip(&expect_qt).all(|(a, b)| *a == b),
        "Qt yielded: {qt:?}"
    );
    assert!(qt_yielded.len() <= 6, "Qt yielded after 5: {qt:?}");
    assert_eq!(qt.first().map(String::as_str), Some("started"), "{qt:?}");
    assert_eq!(qt[qt.len() - 2..], ["aborted", "finished"], "{qt:?}");
    assert_eq!(qt.len(), 2 + qt_yielded.len() + 1, "nothing else: {qt:?}");
}

fn sends_are_received_oldest_first_from_rust_and_qt() {
    let got = Arc::new(Mutex::new(vec![]));
    let w = endless(got.clone());
    w.send(1).unwrap();
    w.send(2).unwrap();
    assert!(w.with_qobject(|o| o.send(&QVariant::from(&3i32))).unwrap());
    w.start().unwrap();
    wait("four yields", || got.lock().unwrap().len() >= 4);
    w.quit();
    wait("finished", || w.is_finished());
    let g = got.lock().unwrap();
    assert_eq!(g[..4], [Some(1), Some(2), Some(3), None]);
}

fn a_send_while_paused_is_received_after_resume() {
    let got = Arc::new(Mutex::new(vec![]));
    let w = endless(got.clone());
    w.pause();
    w.start().unwrap();
    wait("paused", || w.is_paused());
    w.send(42).unwrap();
    qworker::testing::process_events(Duration::from_millis(20));
    assert!(!got.lock().unwrap().contains(&Some(42)));
    w.resume();
    wait("received", || got.lock().unwrap().contains(&Some(42)));
    w.quit();
    wait("finished", || w.is_finished());
}

fn properties_and_change_signals_follow_the_delivered_state() {
    let w = endless(Default::default());
    let changes = Arc::new(Mutex::new(vec![]));
    let c = changes.clone();
    let aborts = Arc::new(AtomicUsize::new(0));
    let a = aborts.clone();
    w.with_qobject(|mut o| {
        o.as_mut()
            .on_state_changed(move |o| c.lock().unwrap().push(o.state_name().to_string()))
            .release();
        o.as_mut()
            .on_abort_requested_changed(move |_| {
                a.fetch_add(1, Ordering::SeqCst);
            })
            .release();
    });
    let prop = |f: fn(&qworker::QWorker) -> String| w.with_qobject(|o| f(&o)).unwrap();
    assert_eq!(prop(|o| o.state_name().to_string()), "pending");
    assert_eq!(prop(|o| o.kind_name().to_string()), "generator");
    w.start().unwrap();
    wait("running", || w.state() == WorkerState::Running);
    assert_eq!(prop(|o| o.is_running().to_string()), "true");
    w.pause();
    wait("paused", || w.is_paused());
    assert_eq!(prop(|o| o.is_paused().to_string()), "true");
    assert_eq!(prop(|o| o.state_name().to_string()), "paused");
    w.with_qobject(|o| o.quit());
    assert_eq!(prop(|o| o.is_abort_requested().to_string()), "true");
    wait("finished", || w.is_finished());
    assert_eq!(prop(|o| o.is_running().to_string()), "false");
    assert_eq!(*changes.lock().unwrap(), ["running", "paused", "finished"]);
    assert_eq!(
        aborts.load(Ordering::SeqCst),
        1,
        "abortRequestedChanged once"
    );
}
// ---------------- progress and warnings ----------------

fn progress_ticks_per_yield_is_coalesced_and_overflows_to_unknown() {
    let gate = Arc::new(AtomicBool::new(false));
    let g = gate.clone();
    let w = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        while !g.load(Ordering::SeqCst) {
            cx.check()?; // hold the first yield until the GUI saw the announced total
            std::thread::yield_now();
        }
        for i in 0..20_000 {
            cx.yield_(i)?;
        }
        Ok(())
    })
    .progress_total(10_000);
    let seen = Rc::new(RefCell::new(vec![]));
    let s = seen.clone();
    w.on_progress(move |p| s.borrow_mut().push((p.done, p.total)));
    let qt_progress = Arc::new(Mutex::new(vec![]));
    let q = qt_progress.clone();
    w.with_qobject(|o| {
        o.on_progress_changed(move |_, d, t| q.lock().unwrap().push((d, t)))
            .release();
    });
    w.start().unwrap();
    wait("the announced total", || !seen.borrow().is_empty());
    gate.store(true, Ordering::SeqCst);
    wait("finished", || w.is_finished());
    let seen = seen.borrow();
    assert_eq!(
        seen.first(),
        Some(&(0, 10_000)),
        "the total is announced up front"
    );
    assert_eq!(
        seen.last(),
        Some(&(20_000, 0)),
        "past the total: unknown, not overflow"
    );
    assert!(
        seen.len() < 20_000,
        "coalesced: {} progress events for 20000 ticks",
        seen.len()
    );
    assert!(seen.windows(2).all(|p| p[0].0 <= p[1].0), "never backwards");
    assert_eq!(qt_progress.lock().unwrap().len(), seen.len());
    assert_eq!(w.progress().done, 20_000);
    let (d, t) = w
        .with_qobject(|o| (o.progress_done(), o.progress_total_value()))
        .unwrap();
    assert_eq!((d, t), (20_000.0, 0.0));
}

/// A body reporting progress (with a status line) every millisecond: the GUI gets it about
/// once per `PROGRESS_INTERVAL`, through the real hub and pacer thread, the newest report last
/// and its status line with it; the Qt signal sees the same deliveries.
fn progress_reported_every_millisecond_is_paced_newest_last() {
    const REPORTS: u64 = 300;
    let t0 = std::time::Instant::now();
    let w = qworker::generator(|cx: &mut Context<u32>| -> Result<(), BoxError> {
        for i in 1..=REPORTS {
            std::thread::sleep(std::time::Duration::from_millis(1));
            cx.progress_text(i, REPORTS, format!("step {i}"))?;
        }
        Ok(())
    });
    let seen = Rc::new(RefCell::new(vec![]));
    let s = seen.clone();
    w.on_progress(move |p| s.borrow_mut().push(p.done));
    let qt_count = Arc::new(AtomicUsize::new(0));
    let q = qt_count.clone();
    w.with_qobject(|o| {
        o.on_progress_changed(move |_, _, _| {
            q.fetch_add(1, Ordering::SeqCst);
        })
        .release();
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    let elapsed = t0.elapsed();
    let seen = seen.borrow();
    assert_eq!(
        seen.last(),
        Some(&REPORTS),
        "the newest report is delivered"
    );
    assert!(seen.windows(2).all(|p| p[0] < p[1]), "in order: {seen:?}");
    assert_eq!(w.status(), format!("step {REPORTS}"));
    assert_eq!(qt_count.load(Ordering::SeqCst), seen.len());
    // One immediate delivery and one pacer tick per interval at most; without pacing the GUI
    // would see most of the 300 reports.
    let intervals = (elapsed.as_nanos() / qworker::PROGRESS_INTERVAL.as_nanos()) as usize + 1;
    assert!(
        seen.len() <= 2 * intervals + 2,
        "{} deliveries for {REPORTS} reports in {elapsed:?}",
        seen.len()
    );
}

fn warnings_reach_their_own_workers_signal_when_many_warn_at_once() {
    let workers: Vec<_> = (0..20)
        .map(|k| {
            let w =
                qworker::function_with_context(move |cx: &mut Context| -> Result<(), BoxError> {
                    for i in 0..30 {
                        cx.warn(format!("w{k} m{i}"));
                    }
                    Ok(())
                });
            let log = qt_log(&w);
            w.start().unwrap();
            (w, log)
        })
        .collect();
    wait("all finished", || {
        workers.iter().all(|(w, _)| w.is_finished())
    });
    for (k, (_, log)) in workers.iter().enumerate() {
        let warned: Vec<_> = take(log)
            .into_iter()
            .filter(|l| l.starts_with("warned"))
            .collect();
        let expect: Vec<_> = (0..30).map(|i| format!("warned w{k} m{i}")).collect();
        assert_eq!(warned, expect);
    }
}
// ---------------- errors and lifetimes ----------------

fn an_error_nobody_handles_is_logged_with_the_workers_name() {
    let capture = MessageCapture::start();
    let w = qworker::function(|| -> Result<(), BoxError> { Err("no such file".into()) })
        .named("loader");
    w.start().unwrap();
    wait("finished", || w.is_finished());
    let msgs = capture.take();
    assert!(
        msgs.iter().any(|m| m.starts_with("critical:")
            && m.contains("'loader'")
            && m.contains("no such file")),
        "{msgs:?}"
    );
    // A handled error is not logged.
    let w2 = qworker::function(|| -> Result<(), BoxError> { Err("handled".into()) });
    w2.on_errored(|_| {});
    w2.start().unwrap();
    wait("finished", || w2.is_finished());
    assert!(!capture.take().iter().any(|m| m.contains("handled")));
}

fn dropping_a_running_worker_stops_it_and_delivers_nothing_more() {
    let pool = Pool::new("t-drop");
    let (w, delivered) = running_on(&pool);
    drop(w);
    let at = delivered.get();
    pool.await_workers(Duration::from_secs(30))
        .expect("the thread ends at its next checkpoint");
    qworker::testing::process_events(Duration::from_millis(20));
    assert_eq!(delivered.get(), at, "nothing delivered after the drop");
    assert_eq!(pool.live_workers(), 0);
}

fn dropping_a_worker_inside_its_own_callback_is_safe() {
    let slot: Rc<RefCell<Option<Endless>>> = Default::default();
    let w = endless(Default::default());
    let s = slot.clone();
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    w.on_yielded(move |_| {
        c.set(c.get() + 1);
        s.borrow_mut().take(); // drops the worker from inside its own delivery
    });
    w.start().unwrap();
    *slot.borrow_mut() = Some(w);
    wait("the drop", || slot.borrow().is_none());
    qworker::testing::process_events(Duration::from_millis(20));
    assert_eq!(calls.get(), 1, "no delivery after the drop");
}

fn await_workers_names_those_that_do_not_stop() {
    let pool = Pool::new("t-await");
    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    let stubborn = qworker::function(move || -> Result<(), BoxError> {
        while !r.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1)); // never checks
        }
        Ok(())
    })
    .named("stubborn")
    .pool(&pool);
    let polite = endless(Default::default()).named("polite").pool(&pool);
    stubborn.start().unwrap();
    polite.start().unwrap();
    wait("both running", || {
        polite.is_running() && stubborn.is_running()
    });
    let err = pool.await_workers(Duration::from_millis(300)).unwrap_err();
    assert_eq!(err.still_running, ["stubborn"]);
    release.store(true, Ordering::SeqCst);
    pool.await_workers(Duration::from_secs(30)).unwrap();
    wait("both finished", || {
        polite.is_finished() && stubborn.is_finished()
    });
}

fn bounded_policy_delivers_everything_in_order() {
    let w = gen_n(50_000).policy(Policy::Bounded(4));
    let next = Rc::new(Cell::new(0u32));
    let n = next.clone();
    w.on_yielded(move |v| {
        assert_eq!(*v, n.get(), "in order, nothing lost or repeated");
        n.set(n.get() + 1);
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(next.get(), 50_000);
}

fn a_cpp_host_deleting_the_qobject_quits_the_work_and_the_handle_stays_safe() {
    let pool = Pool::new("t-cpp-delete");
    let (w, delivered) = running_on(&pool);
    // What `delete worker;` in a C++ host does.
    w.with_qobject(|o| unsafe {
        drop(cxx::UniquePtr::from_raw(
            o.get_unchecked_mut() as *mut qworker::QWorker
        ))
    });
    assert!(
        w.qobject_ptr().is_none(),
        "the handle knows the object is gone"
    );
    assert!(w.with_qobject(|_| ()).is_none());
    assert!(matches!(w.start(), Err(StartError::Destroyed)));
    pool.await_workers(Duration::from_secs(30))
        .expect("the work was asked to quit and stopped");
    let at = delivered.get();
    qworker::testing::process_events(Duration::from_millis(20));
    assert_eq!(
        delivered.get(),
        at,
        "nothing delivered to a destroyed object"
    );
    drop(w); // no double delete
}

fn latest_policy_with_a_slow_gui_shows_the_newest_value() {
    let w = gen_n(100_000).policy(Policy::Latest);
    let seen = Rc::new(RefCell::new(vec![]));
    let s = seen.clone();
    w.on_yielded(move |v| {
        s.borrow_mut().push(*v);
        std::thread::sleep(Duration::from_millis(2)); // a slow GUI
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    let seen = seen.borrow();
    assert_eq!(
        *seen.last().unwrap(),
        99_999,
        "the newest value is always shown"
    );
    assert!(
        seen.len() < 100_000,
        "stale values were dropped ({} shown)",
        seen.len()
    );
    assert!(seen.windows(2).all(|p| p[0] < p[1]));
}
// ---------------- bad input ----------------

fn send_to_a_finished_worker_is_refused_with_the_value_back() {
    let w = qworker::generator(|cx: &mut Context<u32, u32>| -> Result<(), BoxError> {
        cx.yield_(0)?;
        Ok(())
    });
    w.start().unwrap();
    wait("finished", || w.is_finished());
    assert_eq!(w.send(9), Err(SendError::Finished(9)));
    let capture = MessageCapture::start();
    assert!(!w.with_qobject(|o| o.send(&QVariant::from(&9i32))).unwrap());
    let msgs = capture.take();
    assert!(msgs.iter().any(|m| m.contains("has finished")), "{msgs:?}");
}

fn controls_that_do_not_apply_to_a_function_worker_warn() {
    let w = qworker::function_with_context(|cx: &mut Context| -> Result<(), BoxError> {
        loop {
            cx.check()?;
            std::thread::yield_now();
        }
    })
    .named("fw");
    w.start().unwrap();
    let capture = MessageCapture::start();
    w.with_qobject(|mut o| {
        o.as_mut().pause();
        assert!(!o.as_mut().send(&QVariant::from(&1i32)));
    });
    let msgs = capture.take();
    assert!(
        msgs.iter()
            .any(|m| m.contains("'fw'") && m.contains("pause() has no effect")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("does not receive values")),
        "{msgs:?}"
    );
    assert!(!w.is_paused());
    w.quit();
    wait("finished", || w.is_finished());
}

fn a_sent_value_of_the_wrong_type_is_refused_with_what_was_expected() {
    let w = endless(Default::default());
    let capture = MessageCapture::start();
    assert!(
        !w.with_qobject(|o| o.send(&QVariant::from(&QString::from("seven"))))
            .unwrap()
    );
    assert!(
        !w.with_qobject(|o| o.send(&QVariant::from(&2.5f64)))
            .unwrap()
    );
    let msgs = capture.take();
    assert!(
        msgs.iter()
            .any(|m| m.contains("expected an integer") && m.contains("QString")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("2.5")), "{msgs:?}");
}

fn a_yielded_value_qml_cannot_take_becomes_a_clear_error() {
    struct Opaque;
    impl ToVariant for Opaque {}
    let w = qworker::generator(|cx: &mut Context<Opaque>| -> Result<(), BoxError> {
        loop {
            cx.yield_(Opaque)?;
        }
    })
    .named("opaque");
    let qt = qt_log(&w); // a Qt receiver for `yielded` makes conversion necessary
    let typed = Rc::new(Cell::new(0));
    let t = typed.clone();
    w.on_yielded(move |_| t.set(t.get() + 1));
    w.start().unwrap();
    wait("finished", || w.is_finished());
    let qt = take(&qt);
    let err = qt
        .iter()
        .find(|l| l.starts_with("errored"))
        .expect("errored");
    assert!(err.contains("Opaque") && err.contains("ToVariant"), "{err}");
    assert_eq!(qt.last().unwrap(), "finished");
    assert!(typed.get() >= 1, "typed callbacks still got the value");
    // The application keeps running: another worker works.
    let w2 = gen_n(2);
    w2.start().unwrap();
    wait("another worker", || w2.is_finished());
}

fn stress_many_workers_random_controls_and_drops_on_a_real_event_loop() {
    // xorshift64*, seeded; QWORKER_SEED=<n> replays a run.
    let seed = common::rng::seed();
    println!("  stress seed: {seed}");
    let mut rng = Rng::new(seed);
    let mut rnd = move |n: u64| rng.below(n);
    type Log = Rc<RefCell<Vec<Event<u32, u32, BoxError>>>>;
    type W = qworker::GeneratorWorker<u32, u32, u32>;
    let mut workers: Vec<(Option<W>, Log, u64)> = vec![];
    for k in 0..200u64 {
        let plan = rnd(4);
        let n = rnd(3000) as u32;
        let w: W = qworker::generator(move |cx: &mut Context<u32, u32>| -> Result<u32, BoxError> {
            for i in 0..n {
                cx.yield_(i)?;
            }
            match plan {
                0 => Err("planned".into()),
                1 => panic!("planned panic"),
                _ => Ok(n),
            }
        })
        .policy(match rnd(3) {
            0 => Policy::All,
            1 => Policy::Bounded(1 + rnd(16) as usize),
            _ => Policy::Latest,
        });
        let log: Log = Default::default();
        let l = log.clone();
        w.on_event(move |e| {
            l.borrow_mut().push(match e {
                Event::Yielded(v) => Event::Yielded(*v),
                Event::Returned(r) => Event::Returned(*r),
                Event::Errored(_) => Event::Errored(WorkerError::Panicked(String::new())),
                Event::Started => Event::Started,
                Event::Progress(p) => Event::Progress(*p),
                Event::Warned(m) => Event::Warned(m.clone()),
                Event::Paused => Event::Paused,
                Event::Resumed => Event::Resumed,
                Event::Aborted => Event::Aborted,
                Event::Finished => Event::Finished,
            })
        });
        if rnd(4) == 0 {
            let _ = w.qobject_ptr(); // some have a QObject, most do not
        }
        w.start().unwrap();
        workers.push((Some(w), log, k));
    }
    // Random controls and drops, with the event loop running in between.
    for _ in 0..2000 {
        let i = rnd(workers.len() as u64) as usize;
        if let Some(w) = &workers[i].0 {
            match rnd(12) {
                0 => w.pause(),
                1 | 2 => w.resume(),
                3 => {
                    w.toggle_pause();
                }
                4 => w.quit(),
                5 => {
                    let _ = w.send(7);
                }
                6 if rnd(10) == 0 => workers[i].0 = None, // dropped mid-run
                _ => {}
            }
        }
        if rnd(20) == 0 {
            qworker::testing::process_events(Duration::from_millis(1));
        }
    }
    for (w, _, _) in &workers {
        if let Some(w) = w {
            w.resume();
        }
    }
    wait("every kept worker to finish", || {
        workers
            .iter()
            .all(|(w, _, _)| w.as_ref().is_none_or(|w| w.is_finished()))
    });
    let mut outcomes = std::collections::BTreeMap::new();
    for (w, log, k) in &workers {
        let log = log.borrow();
        if w.is_none() {
            // Dropped: whatever arrived before is a prefix of a valid stream.
            assert!(log.iter().filter(|e| matches!(e, Event::Finished)).count() <= 1);
            continue;
        }
        assert!(matches!(log.first(), Some(Event::Started)), "w{k}");
        assert!(matches!(log.last(), Some(Event::Finished)), "w{k}");
        let outcomes_seen: Vec<_> = log.iter().filter(|e| e.is_outcome()).collect();
        assert_eq!(outcomes_seen.len(), 1, "w{k}: one outcome");
        assert!(
            log[log.len() - 2].is_outcome(),
            "w{k}: outcome right before finished"
        );
        let y: Vec<u32> = log
            .iter()
            .filter_map(|e| {
                if let Event::Yielded(v) = e {
                    Some(*v)
                } else {
                    None
                }
            })
            .collect();
        assert!(y.windows(2).all(|p| p[0] < p[1]), "w{k}: values in order");
        *outcomes.entry(log[log.len() - 2].kind()).or_insert(0) += 1;
    }
    println!("  outcomes: {outcomes:?}");
}
