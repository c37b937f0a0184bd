//! The same behaviour driven from a real QML engine: a QML file receives a `Worker` created
//! in Rust (as a required property), connects to its signals, reads its properties and calls
//! its methods. QML reports what it saw with `console.log("T ...")`, which the test reads back
//! through Qt's message handler.

mod common;

extern crate qworker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::wait;
use cxx_qt_lib::{
    QByteArray, QGuiApplication, QMap, QMapPair_QString_QVariant, QQmlApplicationEngine, QString,
    QUrl, QVariant,
};
use qworker::testing::MessageCapture;
use qworker::{BoxError, Context, ToVariant};

/// Loads `body` (the inside of a QtObject that has `required property var worker`) with
/// `worker` set, and returns the engine (keep it alive while the case runs).
fn load(worker: QVariant, body: &str) -> cxx::UniquePtr<QQmlApplicationEngine> {
    let qml = format!(
        "import QtQml\nimport QWorker\nQtObject {{\n    id: root\n    required property var worker\n{body}\n}}\n"
    );
    let mut engine = QQmlApplicationEngine::new();
    let mut props = QMap::<QMapPair_QString_QVariant>::default();
    props.insert(QString::from("worker"), worker);
    engine.pin_mut().set_initial_properties(&props);
    engine.pin_mut().load_data(
        &QByteArray::from(qml.as_str()),
        &QUrl::from("qrc:/test/case.qml"),
    );
    engine
}

/// Loads a QML document as is (for `Worker` elements declared in QML).
fn load_plain(body: &str) -> cxx::UniquePtr<QQmlApplicationEngine> {
    let qml = format!("import QtQml\nimport QWorker\nQtObject {{\n    id: root\n{body}\n}}\n");
    let mut engine = QQmlApplicationEngine::new();
    engine.pin_mut().load_data(
        &QByteArray::from(qml.as_str()),
        &QUrl::from("qrc:/test/plain.qml"),
    );
    engine
}

/// The lines QML logged with the "T " prefix, without it.
fn lines(capture: &MessageCapture, into: &mut Vec<String>) -> usize {
    for m in capture.take() {
        if let Some(i) = m.find("T ") {
            into.push(m[i + 2..].to_string());
        } else if m.starts_with("warning:") || m.starts_with("critical:") {
            into.push(m);
        }
    }
    into.len()
}

fn wait_for(capture: &MessageCapture, log: &mut Vec<String>, needle: &str) {
    wait(needle, || {
        lines(capture, log);
        log.iter().any(|l| l.contains(needle))
    });
}

/// Set by the "hundred_then_recv" task once it has queued all its values.
static HUNDRED_PUSHED: AtomicBool = AtomicBool::new(false);

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    qworker::register_generator(
        "count",
        |(n,): (u32,), cx: &mut Context<u32>| -> Result<String, BoxError> {
            for i in 0..n {
                cx.yield_(i)?;
            }
            Ok(format!("counted {n}"))
        },
    );
    qworker::register_function(
        "sum",
        |(a, b): (f64, f64), _cx: &mut Context| -> Result<f64, BoxError> { Ok(a + b) },
    );
    // Yields 0..n in a row, flags it, then waits for a value (quit ends the wait).
    qworker::register_generator(
        "hundred_then_recv",
        |(n,): (u32,), cx: &mut Context<u32, u32>| -> Result<u32, BoxError> {
            for i in 0..n {
                cx.yield_(i)?;
            }
            HUNDRED_PUSHED.store(true, Ordering::SeqCst);
            Ok(cx.recv()?)
        },
    );
    common::run(&[
        (
            "qml_drives_a_generator_start_pause_send_resume",
            qml_drives_a_generator_start_pause_send_resume,
        ),
        (
            "qml_sees_lists_and_maps_as_js_arrays_and_objects",
            qml_sees_lists_and_maps_as_js_arrays_and_objects,
        ),
        (
            "qml_gets_errors_and_progress_and_the_app_keeps_running",
            qml_gets_errors_and_progress_and_the_app_keeps_running,
        ),
        (
            "qml_pause_or_send_on_a_function_worker_warns_and_changes_nothing",
            qml_pause_or_send_on_a_function_worker_warns_and_changes_nothing,
        ),
        (
            "qml_receiver_and_an_unconvertible_value_gives_a_clear_errored",
            qml_receiver_and_an_unconvertible_value_gives_a_clear_errored,
        ),
        (
            "qml_declares_workers_for_registered_tasks",
            qml_declares_workers_for_registered_tasks,
        ),
        (
            "quit_inside_qml_on_yielded_stops_delivery_at_once",
            quit_inside_qml_on_yielded_stops_delivery_at_once,
        ),
        (
            "unknown_tasks_bad_arguments_and_bad_policies_give_clear_errors",
            unknown_tasks_bad_arguments_and_bad_policies_give_clear_errors,
        ),
        (
            "a_worker_without_task_or_after_start_warns",
            a_worker_without_task_or_after_start_warns,
        ),
        (
            "a_missing_qml_module_gets_a_hint_that_says_what_to_add",
            a_missing_qml_module_gets_a_hint_that_says_what_to_add,
        ),
        (
            "the_guides_qml_example_runs_as_written",
            the_guides_qml_example_runs_as_written,
        ),
        (
            "the_readme_examples_are_the_tested_code",
            the_readme_examples_are_the_tested_code,
        ),
    ]);
}

fn qml_drives_a_generator_start_pause_send_resume() {
    let capture = MessageCapture::start();
    let w = qworker::generator(|cx: &mut Context<i64, i64>| -> Result<String, BoxError> {
        for i in 0.. {
            if let Some(v) = cx.yield_(i)? {
                cx.yield_(v * 100)?;
                return Ok(format!("got {v}"));
            }
            std::thread::sleep(Duration::from_millis(1)); // pacing, not timing
        }
        unreachable!()
    })
    .named("qml-gen");
    let engine = load(
        w.to_qvariant(),
        r#"
    property bool pauseAsked: false
    property Connections c: Connections {
        target: root.worker
        function onStarted() { console.log("T started " + root.worker.state + " " + root.worker.running) }
        function onYielded(value) {
            if (value >= 2 && !root.pauseAsked) { root.pauseAsked = true; root.worker.pause() }
            if (value === 1000) console.log("T yielded " + value + " " + typeof value)
        }
        function onPaused() {
            console.log("T paused " + root.worker.paused + " " + root.worker.state)
            console.log("T send " + root.worker.send(10))
            root.worker.resume()
        }
        function onResumed() { console.log("T resumed " + root.worker.paused) }
        function onReturned(value) { console.log("T returned " + value) }
        function onFinished() { console.log("T finished " + root.worker.state + " " + root.worker.running + " " + root.worker.name) }
    }
    Component.onCompleted: { console.log("T kind " + root.worker.kind); root.worker.start() }
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    assert_eq!(
        log,
        [
            "kind generator",
            "started running true",
            "paused true paused",
            "send true",
            "resumed false",
            "yielded 1000 number",
            "returned got 10",
            "finished finished false qml-gen",
        ]
    );
    drop(engine);
    assert!(w.is_finished());
}

fn qml_sees_lists_and_maps_as_js_arrays_and_objects() {
    let capture = MessageCapture::start();
    let w = qworker::generator(|cx: &mut Context<Vec<(String, f64)>>| -> Result<std::collections::BTreeMap<String, i32>, BoxError> {
        cx.yield_(vec![("a".into(), 1.5), ("b".into(), 2.5)])?;
        Ok([("answer".to_string(), 42)].into_iter().collect())
    });
    let engine = load(
        w.to_qvariant(),
        r#"
    property Connections c: Connections {
        target: root.worker
        function onYielded(value) { console.log("T list " + value.length + " " + value[1][0] + " " + value[1][1]) }
        function onReturned(value) { console.log("T map " + value.answer) }
        function onFinished() { console.log("T finished") }
    }
    Component.onCompleted: root.worker.start()
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    assert_eq!(log, ["list 2 b 2.5", "map 42", "finished"]);
    drop(engine);
}

fn qml_gets_errors_and_progress_and_the_app_keeps_running() {
    let capture = MessageCapture::start();
    let w = qworker::function_with_context(|cx: &mut Context| -> Result<(), BoxError> {
        cx.progress(1, 4)?;
        cx.warn("careful");
        Err("the disk is full".into())
    });
    let engine = load(
        w.to_qvariant(),
        r#"
    property Connections c: Connections {
        target: root.worker
        function onWarned(message) { console.log("T warned " + message) }
        function onErrored(message) { console.log("T errored " + message) }
        function onProgressChanged(done, total) { console.log("T progress " + done + "/" + total + " " + root.worker.progress + "/" + root.worker.progressTotal) }
        function onFinished() { console.log("T finished") }
    }
    Component.onCompleted: root.worker.start()
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    assert_eq!(
        log,
        [
            "progress 1/4 1/4",
            "warned careful",
            "errored the disk is full",
            "finished"
        ]
    );
    drop(engine);
    // Still alive: the next worker runs.
    let w2 = qworker::function(|| -> Result<u8, BoxError> { Ok(1) });
    w2.start().unwrap();
    wait("another worker", || w2.is_finished());
}

fn qml_pause_or_send_on_a_function_worker_warns_and_changes_nothing() {
    let capture = MessageCapture::start();
    let w = qworker::function_with_context(|cx: &mut Context| -> Result<i32, BoxError> {
        for _ in 0..200 {
            cx.check()?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(7)
    })
    .named("fn-worker");
    let engine = load(
        w.to_qvariant(),
        r#"
    property Connections c: Connections {
        target: root.worker
        function onStarted() { root.worker.pause(); console.log("T send " + root.worker.send(5)) }
        function onPaused() { console.log("T paused?!") }
        function onReturned(value) { console.log("T returned " + value + " " + root.worker.kind) }
    }
    Component.onCompleted: { root.worker.start(); console.log("T second start " + root.worker.start()) }
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "returned");
    assert!(log.iter().any(|l| l == "second start false"), "{log:?}");
    assert!(log.iter().any(|l| l.contains("already started")), "{log:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("'fn-worker'") && l.contains("pause() has no effect")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l == "send false"), "{log:?}");
    assert!(!log.iter().any(|l| l.contains("paused?!")));
    assert!(log.iter().any(|l| l == "returned 7 function"), "{log:?}");
    drop(engine);
}

fn qml_receiver_and_an_unconvertible_value_gives_a_clear_errored() {
    struct Matrix;
    impl ToVariant for Matrix {}
    let capture = MessageCapture::start();
    let w = qworker::generator(|cx: &mut Context<Matrix>| -> Result<(), BoxError> {
        loop {
            cx.yield_(Matrix)?;
        }
    });
    let engine = load(
        w.to_qvariant(),
        r#"
    property Connections c: Connections {
        target: root.worker
        function onYielded(value) { console.log("T yielded?!") }
        function onErrored(message) { console.log("T errored " + message) }
        function onFinished() { console.log("T finished") }
    }
    Component.onCompleted: root.worker.start()
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    let err = log
        .iter()
        .find(|l| l.starts_with("errored"))
        .expect("errored");
    assert!(err.contains("Matrix") && err.contains("QML"), "{err}");
    assert!(!log.iter().any(|l| l == "yielded?!"));
    drop(engine);
}

fn qml_declares_workers_for_registered_tasks() {
    let capture = MessageCapture::start();
    let engine = load_plain(
        r#"
    property Worker counter: Worker {
        task: "count"; args: [3]; policy: "all"
        onYielded: (v) => console.log("T yielded " + v + " " + typeof v)
        onReturned: (v) => console.log("T returned " + v + " " + name + " " + kind)
        onFinished: root.adder.start()
    }
    property Worker adder: Worker {
        task: "sum"; args: [1.5, 2]
        onReturned: (v) => console.log("T sum " + v)
        onFinished: console.log("T finished " + state)
    }
    Component.onCompleted: counter.start()
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    assert_eq!(
        log,
        [
            "yielded 0 number",
            "yielded 1 number",
            "yielded 2 number",
            "returned counted 3 count generator",
            "sum 3.5",
            "finished finished",
        ]
    );
    drop(engine);
}

/// `quit()` called from a QML `onYielded` handler in the middle of one batch: the handler sees
/// nothing after that value; `aborted` and `finished` follow.
fn quit_inside_qml_on_yielded_stops_delivery_at_once() {
    HUNDRED_PUSHED.store(false, Ordering::SeqCst);
    let capture = MessageCapture::start();
    let engine = load_plain(
        r#"
    property Worker w: Worker {
        task: "hundred_then_recv"; args: [100]; policy: "all"
        onYielded: (v) => { console.log("T yielded " + v); if (v === 5) quit() }
        onReturned: (v) => console.log("T returned " + v)
        onAborted: console.log("T aborted")
        onFinished: console.log("T finished")
    }
    Component.onCompleted: w.start()
"#,
    );
    // No Qt events processed until all 100 values are queued: they wait as one batch.
    let t0 = Instant::now();
    while !HUNDRED_PUSHED.load(Ordering::SeqCst) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the task did not queue its 100 values within 10 s"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    qworker::testing::process_events(Duration::from_millis(20));
    lines(&capture, &mut log);
    let mut expect: Vec<String> = (0..=5).map(|i| format!("yielded {i}")).collect();
    expect.extend(["aborted".to_string(), "finished".to_string()]);
    assert_eq!(log, expect);
    drop(engine);
}

fn unknown_tasks_bad_arguments_and_bad_policies_give_clear_errors() {
    let capture = MessageCapture::start();
    let engine = load_plain(
        r#"
    property Worker unknown: Worker {
        task: "nope"
        onErrored: (m) => console.log("T unknown: " + m)
        onFinished: root.badArgs.start()
    }
    property Worker badArgs: Worker {
        task: "count"; args: ["three"]
        onErrored: (m) => console.log("T bad args: " + m)
        onFinished: root.badCount.start()
    }
    property Worker badCount: Worker {
        task: "sum"; args: [1]
        onErrored: (m) => console.log("T bad count: " + m)
        onFinished: root.badPolicy.start()
    }
    property Worker badPolicy: Worker {
        task: "count"; args: [1]; policy: "sometimes"
        onErrored: (m) => console.log("T bad policy: " + m)
        onFinished: console.log("T done")
    }
    Component.onCompleted: unknown.start()
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "done");
    let find = |p: &str| {
        log.iter()
            .find(|l| l.starts_with(p))
            .cloned()
            .unwrap_or_default()
    };
    let unknown = find("unknown:");
    assert!(
        unknown.contains("unknown task 'nope'")
            && unknown.contains("count")
            && unknown.contains("sum"),
        "{unknown}"
    );
    let bad = find("bad args:");
    assert!(
        bad.contains("task 'count' takes (u32)")
            && bad.contains("argument 1")
            && bad.contains("QString"),
        "{bad}"
    );
    let count = find("bad count:");
    assert!(
        count.contains("expected 2 argument(s) (f64, f64), got 1"),
        "{count}"
    );
    let policy = find("bad policy:");
    assert!(
        policy.contains("unknown delivery policy \"sometimes\""),
        "{policy}"
    );
    drop(engine);
}

fn a_missing_qml_module_gets_a_hint_that_says_what_to_add() {
    let capture = MessageCapture::start();
    let mut engine = QQmlApplicationEngine::new();
    engine.pin_mut().load_data(
        &QByteArray::from("import QtQml\nimport NoSuchModuleOfYours\nQtObject {}\n"),
        &QUrl::from("qrc:/test/missing.qml"),
    );
    let mut log = capture.take();
    // The hint is posted: it arrives from the event loop.
    qworker::testing::wait_until(Duration::from_secs(10), || {
        log.extend(capture.take());
        log.iter().any(|l| l.contains("qworker: hint"))
    });
    assert!(
        log.iter().any(|l| l.contains("NoSuchModuleOfYours")),
        "QML reports the module: {log:?}"
    );
    assert!(
        log.iter().any(|l| l.contains("qworker: hint")
            && l.contains("cxx_qt::init_crate!")
            && l.contains("qrc:/qt/qml")),
        "a hint that says what to add: {log:?}"
    );
    drop(engine);
}

fn a_worker_without_task_or_after_start_warns() {
    let capture = MessageCapture::start();
    let engine = load_plain(
        r#"
    property Worker empty: Worker {}
    property Worker counter: Worker {
        task: "count"; args: [2]
        onStarted: { task = "sum"; console.log("T task " + task) }
        onFinished: console.log("T finished")
    }
    Component.onCompleted: { console.log("T empty start " + empty.start()); counter.start() }
"#,
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "finished");
    assert!(log.iter().any(|l| l == "empty start false"), "{log:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("set `task` to the name of a task")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("can only be set before start()")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l == "task count"), "{log:?}");
    drop(engine);
}

fn the_guides_qml_example_runs_as_written() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.md"))
        .expect("docs/guide.md");
    let start = guide.find("```qml\n").expect("a qml block") + "```qml\n".len();
    let end = start + guide[start..].find("```").unwrap();
    let snippet = &guide[start..end];
    // One probe line, so the test can see the end; the rest is the guide's text.
    let probe = snippet.replacen(
        "task: \"count\";",
        "onReturned: (v) => console.log(\"T returned \" + v + \" \" + label.text + \" \" + button.text)\n        task: \"count\";",
        1,
    );
    assert_ne!(probe, snippet, "the guide's Worker declares task \"count\"");
    let capture = MessageCapture::start();
    let mut engine = QQmlApplicationEngine::new();
    engine.pin_mut().load_data(
        &QByteArray::from(probe.as_str()),
        &QUrl::from("qrc:/test/guide.qml"),
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "returned");
    assert!(
        log.iter().any(|l| l.starts_with("returned counted 100 ")),
        "{log:?}"
    );
    let errors: Vec<_> = log
        .iter()
        .filter(|l| l.starts_with("warning") || l.starts_with("critical"))
        .collect();
    assert!(
        errors.is_empty(),
        "the example runs without QML errors: {errors:?}"
    );
    drop(engine);
}

fn the_readme_examples_are_the_tested_code() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    // The Rust snippet is examples/readme.rs's marked block, word for word.
    let block = |text: &str, fence: &str| -> String {
        let start = text
            .find(fence)
            .unwrap_or_else(|| panic!("no {fence} block"))
            + fence.len();
        let end = start + text[start..].find("```").unwrap();
        text[start..end].to_string()
    };
    let rust = block(&readme, "```rust,ignore\n");
    let example = std::fs::read_to_string(format!("{root}/examples/readme.rs")).unwrap();
    let a =
        example.find("// README snippet begins\n").unwrap() + "// README snippet begins\n".len();
    let b = example.find("    // README snippet ends").unwrap();
    let dedented: String = example[a..b]
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        rust.trim_end(),
        dedented.trim_end(),
        "README's Rust example drifted from examples/readme.rs"
    );
    // The QML snippet runs as written (task "count" is registered above).
    let qml = block(&readme, "```qml\n");
    let probe = qml.replacen(
        "task: \"count\";",
        "onReturned: (v) => console.log(\"T returned \" + v + \" \" + label.text)\n        task: \"count\";",
        1,
    );
    assert_ne!(probe, qml, "the README's Worker declares task \"count\"");
    let capture = MessageCapture::start();
    let mut engine = QQmlApplicationEngine::new();
    engine.pin_mut().load_data(
        &QByteArray::from(probe.as_str()),
        &QUrl::from("qrc:/test/readme.qml"),
    );
    let mut log = vec![];
    wait_for(&capture, &mut log, "returned");
    assert!(
        log.iter().any(|l| l == "returned counted 100 99"),
        "{log:?}"
    );
    let errors: Vec<_> = log
        .iter()
        .filter(|l| l.starts_with("warning") || l.starts_with("critical"))
        .collect();
    assert!(
        errors.is_empty(),
        "the README's QML runs without errors: {errors:?}"
    );
    drop(engine);
}
