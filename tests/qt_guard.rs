//! `CloseGuard` on every quit path, on the real `exec()` event loop: the window's close,
//! `Qt.quit()` from QML, `QCoreApplication::quit()` from Rust (`qworker::quit_application`),
//! each with "quit anyway", "wait for them" and "keep running"; nothing asked when nothing
//! runs; a guard without a window only warns. The dialog's screenshot goes to
//! `target/test-screenshots/qt_guard/`.

mod common;

extern crate qworker;

use std::cell::RefCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::wait;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use cxx_qt_lib::{QGuiApplication, QQmlApplicationEngine};
use qworker::testing::{MessageCapture, SceneObject};
use qworker::{BoxError, Context, GeneratorWorker, WorkerPool};

thread_local! {
    /// The application `main` creates; cases run its real `exec()`. Never dropped.
    static APP: RefCell<ManuallyDrop<cxx::UniquePtr<QGuiApplication>>> =
        RefCell::new(ManuallyDrop::new(cxx::UniquePtr::null()));
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    APP.set(ManuallyDrop::new(QGuiApplication::new()));
    if let Ok(name) = std::env::var("QWORKER_GUARD_CHILD") {
        let case = CHILDREN
            .iter()
            .find(|(n, _)| *n == name)
            .expect("a known child case");
        std::process::exit((case.1)());
    }
    common::run(&[
        (
            "closing_the_window_asks_and_keep_running_keeps_it_open",
            closing_the_window_asks_and_keep_running_keeps_it_open,
        ),
        (
            "closing_the_window_then_quit_anyway_stops_the_workers_and_closes_it",
            closing_the_window_then_quit_anyway_stops_the_workers_and_closes_it,
        ),
        (
            "closing_the_window_then_wait_closes_it_when_the_last_worker_ends",
            closing_the_window_then_wait_closes_it_when_the_last_worker_ends,
        ),
        (
            "qt_quit_from_qml_asks_then_quit_anyway_exits_with_the_code",
            qt_quit_from_qml_asks_then_quit_anyway_exits_with_the_code,
        ),
        (
            "application_quit_from_rust_asks_then_wait_exits_after_the_last_worker",
            application_quit_from_rust_asks_then_wait_exits_after_the_last_worker,
        ),
        (
            "keep_running_turns_an_application_quit_down",
            keep_running_turns_an_application_quit_down,
        ),
        (
            "nothing_is_asked_when_nothing_runs",
            nothing_is_asked_when_nothing_runs,
        ),
        (
            "the_quit_hook_works_without_qml",
            the_quit_hook_works_without_qml,
        ),
        (
            "a_close_guard_without_a_window_only_warns",
            a_close_guard_without_a_window_only_warns,
        ),
        (
            "a_close_guard_that_is_gone_guards_nothing",
            a_close_guard_that_is_gone_guards_nothing,
        ),
    ]);
}

const WINDOW: &str = r#"import QtQuick
import QtQuick.Controls
import QWorker
ApplicationWindow {
    id: root
    visible: true
    width: 480
    height: 360
    title: "close guard"
    Label { anchors.centerIn: parent; text: "Work in progress" }
    CloseGuard { id: guard; objectName: "guard"; window: root; exitCode: 3; timeout: 5000 }
    function qtQuit() { Qt.quit() }
}
"#;

/// Runs `exec()` while `script` runs on the loop; a watchdog ends a stuck loop with 99.
fn exec_with(script: impl Future<Output = ()> + 'static) -> i32 {
    let _script = qworker::spawn_local(script).abort_on_drop();
    let _watchdog = qworker::spawn_local(async {
        qworker::sleep(Duration::from_secs(30)).await;
        eprintln!("the case did not end its event loop in 30 s");
        qworker::exit_application(99);
    })
    .abort_on_drop();
    APP.with_borrow_mut(|app| (**app).as_mut().expect("main made it").exec())
}

/// Awaits `cond` on the event loop (at most 20 s; `false` then).
async fn until(mut cond: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while !cond() {
        if t0.elapsed() > Duration::from_secs(20) {
            return false;
        }
        qworker::sleep(Duration::from_millis(5)).await;
    }
    true
}

/// Awaits the guard's question; when it never comes, ends the loop with 98 and says `false`.
async fn asked(guard: &SceneObject) -> bool {
    let ok = until(|| asking(guard)).await;
    if !ok {
        qworker::exit_application(98);
    }
    ok
}

/// A running generator that ends when released (a send or the sender dropped), or at quit.
fn busy(name: &str) -> (GeneratorWorker<u32, (), (), BoxError>, Sender<()>) {
    let (tx, rx): (Sender<()>, Receiver<()>) = bounded(1);
    let w = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
        cx.progress_text(1, 2, "half way")?;
        while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_millis(2)) {
            cx.check()?;
        }
        Ok(())
    })
    .named(name);
    w.start().unwrap();
    (w, tx)
}

struct Scene {
    _engine: cxx::UniquePtr<QQmlApplicationEngine>,
    window: SceneObject,
    guard: SceneObject,
}

fn scene() -> Scene {
    let mut engine = QQmlApplicationEngine::new();
    let window = SceneObject::load_qml(engine.pin_mut(), WINDOW, "qrc:/test/guard.qml")
        .expect("the window loads");
    let guard = window.expect("guard").unwrap();
    Scene {
        _engine: engine,
        window,
        guard,
    }
}

fn asking(guard: &SceneObject) -> bool {
    guard.get::<bool>("asking").unwrap()
}

fn reason(guard: &SceneObject) -> String {
    guard.get::<String>("reason").unwrap()
}

fn visible(window: &SceneObject) -> bool {
    window.get::<bool>("visible").unwrap()
}

fn shots_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("test-screenshots").join("qt_guard")
}

fn closing_the_window_asks_and_keep_running_keeps_it_open() {
    let s = scene();
    let (w, tx) = busy("loader");
    wait("the worker runs", || w.is_running());
    s.window.invoke("close", &[]).unwrap();
    assert!(asking(&s.guard), "closing with a worker running asks");
    assert_eq!(reason(&s.guard), "close");
    assert!(visible(&s.window), "the close was turned down");
    // The dialog lists the task: give the list a frame to fill, then keep a picture.
    qworker::testing::process_events(Duration::from_millis(150));
    let image = s.window.grab_image();
    let path = shots_dir().join("close-guard-dialog.png");
    qworker::image::save_image(&image, &path).expect("screenshot saved");
    println!("  screenshot: {}", path.display());
    s.guard.invoke("keepRunning", &[]).unwrap();
    assert!(!asking(&s.guard));
    assert!(visible(&s.window));
    assert!(!w.is_abort_requested(), "keep running: the worker goes on");
    drop(tx);
    wait("finished", || w.is_finished());
}

fn closing_the_window_then_quit_anyway_stops_the_workers_and_closes_it() {
    let s = scene();
    let (a, _ta) = busy("a");
    let (b, _tb) = busy("b");
    s.window.invoke("close", &[]).unwrap();
    assert!(asking(&s.guard));
    s.guard.invoke("quitAnyway", &[]).unwrap();
    assert!(a.is_abort_requested() && b.is_abort_requested());
    assert!(!visible(&s.window), "the window closed");
    wait("both finished", || a.is_finished() && b.is_finished());
}

fn closing_the_window_then_wait_closes_it_when_the_last_worker_ends() {
    let s = scene();
    let (w, tx) = busy("slow");
    s.window.invoke("close", &[]).unwrap();
    assert!(asking(&s.guard));
    s.guard.invoke("waitForThem", &[]).unwrap();
    assert!(s.guard.get::<bool>("waiting").unwrap());
    assert!(visible(&s.window), "still open while the worker runs");
    assert!(!w.is_abort_requested(), "waiting does not quit the worker");
    drop(tx);
    wait("the window closed after the last worker", || {
        !visible(&s.window)
    });
    assert!(w.is_finished());
}

// ---- The application-quit paths: each runs `exec()` in a child process of this binary ----
// (a process has one application whose executor closes at its first quit, as in an app).

/// The cases a child process runs (`QWORKER_GUARD_CHILD=name`): each prints `R fact` lines
/// and returns the exit code of its `exec()`.
type Child = (&'static str, fn() -> i32);

const CHILDREN: &[Child] = &[
    ("qt_quit_then_quit_anyway", child_qt_quit_then_quit_anyway),
    ("app_quit_then_wait", child_app_quit_then_wait),
    (
        "app_quit_then_keep_running",
        child_app_quit_then_keep_running,
    ),
    (
        "app_quit_with_nothing_running",
        child_app_quit_with_nothing_running,
    ),
    ("rust_hook_without_qml", child_rust_hook_without_qml),
];

/// Runs child case `name`; its exit code and its `R ` lines.
fn child(name: &str) -> (i32, Vec<String>) {
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .env("QWORKER_GUARD_CHILD", name)
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let facts: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("R "))
        .map(String::from)
        .collect();
    if out.status.code() != Some(0) && facts.is_empty() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code().unwrap_or(-1), facts)
}

fn qt_quit_from_qml_asks_then_quit_anyway_exits_with_the_code() {
    let (rc, facts) = child("qt_quit_then_quit_anyway");
    assert_eq!(rc, 3, "the guard's exit code: {facts:?}");
    assert_eq!(
        facts,
        [
            "asked: quit",
            "window still visible: true",
            "worker quit: true"
        ]
    );
}

fn child_qt_quit_then_quit_anyway() -> i32 {
    let s = scene();
    let (w, _tx) = busy("export");
    let window = s.window.clone();
    let guard = s.guard.clone();
    let rc = exec_with(async move {
        window.invoke("qtQuit", &[]).unwrap(); // Qt.quit() in QML
        if !asked(&guard).await {
            return;
        }
        println!("R asked: {}", reason(&guard));
        qworker::sleep(Duration::from_millis(50)).await;
        println!("R window still visible: {}", visible(&window));
        guard.invoke("quitAnyway", &[]).unwrap();
    });
    println!("R worker quit: {}", w.is_abort_requested());
    rc
}

fn application_quit_from_rust_asks_then_wait_exits_after_the_last_worker() {
    let (rc, facts) = child("app_quit_then_wait");
    assert_eq!(rc, 3, "{facts:?}");
    assert_eq!(
        facts,
        [
            "asked: quit",
            "still asking while waiting: true",
            "worker quit: false"
        ]
    );
}

fn child_app_quit_then_wait() -> i32 {
    let s = scene();
    let (w, tx) = busy("save");
    let guard = s.guard.clone();
    let tx = RefCell::new(Some(tx));
    let rc = exec_with(async move {
        qworker::quit_application(); // QCoreApplication::quit()
        if !asked(&guard).await {
            return;
        }
        println!("R asked: {}", reason(&guard));
        guard.invoke("waitForThem", &[]).unwrap();
        qworker::sleep(Duration::from_millis(50)).await;
        println!("R still asking while waiting: {}", asking(&guard));
        drop(tx.borrow_mut().take()); // the worker ends: the guard lets the quit go
    });
    println!("R worker quit: {}", w.is_abort_requested());
    rc
}

fn keep_running_turns_an_application_quit_down() {
    let (rc, facts) = child("app_quit_then_keep_running");
    assert_eq!(
        rc, 5,
        "only the script's own exit ended the loop: {facts:?}"
    );
    assert_eq!(
        facts,
        [
            "asked: quit",
            "alive, window visible: true",
            "worker quit: false"
        ]
    );
}

fn child_app_quit_then_keep_running() -> i32 {
    let s = scene();
    let (w, tx) = busy("render");
    let guard = s.guard.clone();
    let window = s.window.clone();
    let tx = RefCell::new(Some(tx));
    let rc = exec_with(async move {
        qworker::quit_application();
        if !asked(&guard).await {
            return;
        }
        println!("R asked: {}", reason(&guard));
        guard.invoke("keepRunning", &[]).unwrap();
        // The loop still runs: a later step of this script happens.
        qworker::sleep(Duration::from_millis(100)).await;
        println!("R alive, window visible: {}", visible(&window));
        drop(tx.borrow_mut().take());
        qworker::sleep(Duration::from_millis(20)).await;
        qworker::exit_application(5);
    });
    println!("R worker quit: {}", w.is_abort_requested());
    rc
}

fn nothing_is_asked_when_nothing_runs() {
    let (rc, facts) = child("app_quit_with_nothing_running");
    assert_eq!(
        rc, 0,
        "QCoreApplication::quit() went through at once: {facts:?}"
    );
    assert_eq!(facts, ["asked: false"]);
    // Closing the window with nothing running closes it.
    let s = scene();
    s.window.invoke("close", &[]).unwrap();
    assert!(!asking(&s.guard) && !visible(&s.window));
}

fn child_app_quit_with_nothing_running() -> i32 {
    let s = scene();
    let rc = exec_with(async move {
        qworker::quit_application();
        qworker::sleep(Duration::from_millis(300)).await;
        // Not reached when the quit went through.
        qworker::exit_application(97);
    });
    println!(
        "R asked: {}",
        asking(&s.guard) || !reason(&s.guard).is_empty()
    );
    rc
}

/// The hook a widget application uses, from Rust and without QML: `set_guard_quit(true)` on a
/// `WorkerPool` object and its `quitRequested` signal.
fn the_quit_hook_works_without_qml() {
    let (rc, facts) = child("rust_hook_without_qml");
    assert_eq!(rc, 0, "{facts:?}");
    assert_eq!(
        facts,
        [
            "quit requested: 1, still running: true",
            "quit went through once none ran"
        ]
    );
}

fn child_rust_hook_without_qml() -> i32 {
    let mut pool = WorkerPool::create();
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    pool.pin_mut()
        .on_quit_requested(move |_| {
            a.fetch_add(1, Ordering::SeqCst);
        })
        .release();
    pool.pin_mut().set_guard_quit(true);
    let (w, tx) = busy("hooked");
    let tx = RefCell::new(Some(tx));
    let rc = exec_with(async move {
        qworker::quit_application();
        if !until(|| asked.load(Ordering::SeqCst) > 0).await {
            qworker::exit_application(98);
            return;
        }
        qworker::sleep(Duration::from_millis(50)).await;
        println!(
            "R quit requested: {}, still running: true",
            asked.load(Ordering::SeqCst)
        );
        drop(tx.borrow_mut().take());
        let _ = until(|| qworker::live_tasks().iter().all(|t| t.outcome.is_some())).await;
        qworker::quit_application(); // nothing runs now: it goes through
        qworker::sleep(Duration::from_millis(300)).await;
        qworker::exit_application(97);
    });
    println!("R quit went through once none ran");
    drop(w);
    rc
}

fn a_close_guard_without_a_window_only_warns() {
    let capture = MessageCapture::start();
    let mut engine = QQmlApplicationEngine::new();
    engine.pin_mut().load_data(
        &cxx_qt_lib::QByteArray::from(
            "import QtQml\nimport QWorker\nQtObject { property var g: CloseGuard {} }\n",
        ),
        &cxx_qt_lib::QUrl::from("qrc:/test/no-window.qml"),
    );
    wait("the warning", || {
        capture
            .take()
            .iter()
            .any(|m| m.contains("CloseGuard: no window to guard"))
    });
    // Nothing else changed: a worker runs and a quit is not turned down.
    let (w, tx) = busy("unguarded");
    drop(tx);
    wait("finished", || w.is_finished());
    drop(engine);
}

fn a_close_guard_that_is_gone_guards_nothing() {
    let mut engine = QQmlApplicationEngine::new();
    let window = SceneObject::load_qml(
        engine.pin_mut(),
        r#"import QtQuick
import QWorker
Window {
    id: root
    visible: true
    width: 200
    height: 100
    readonly property bool guarding: WorkerPool.guardQuit
    Loader { objectName: "loader"; sourceComponent: Component { CloseGuard { window: root } } }
}
"#,
        "qrc:/test/gone.qml",
    )
    .expect("the window loads");
    assert!(
        window.get::<bool>("guarding").unwrap(),
        "a live guard guards"
    );
    window
        .expect("loader")
        .unwrap()
        .set("active", false)
        .unwrap();
    wait("the guard gone", || {
        !window.get::<bool>("guarding").unwrap()
    });
    drop(engine);
}
