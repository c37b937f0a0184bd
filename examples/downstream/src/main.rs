//! A downstream application of qworker: its own cxx-qt QObject (`Tracker`, custom signals fed
//! by a qworker generator), its own QML module (`Downstream`) whose QML imports `QWorker` too
//! and declares a `Worker` for a task this app registers.
//!
//!     cargo run -p qworker-downstream            # runs the self-test headless (offscreen)
//!
//! The self-test prints one line per check and ends with `N passed, N failed`.

mod tracker;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cxx_qt_lib::{QGuiApplication, QQmlApplicationEngine, QString, QUrl, QVariant};
use qworker::testing::{SceneObject, wait_until};
use qworker::{BoxError, Context};

/// Registers the task QML names in `Worker { task: "squares" }`.
fn register_tasks() {
    qworker::register_generator(
        "squares",
        |(n,): (u32,), cx: &mut Context<u32>| -> Result<String, BoxError> {
            for i in 0..n {
                cx.yield_(i * i)?;
            }
            Ok(format!("{n} squares"))
        },
    );
}

/// The blocks of docs/app.md marked `<!-- from FILE -->` that no longer appear in FILE.
fn doc_quotes_that_drifted() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let doc = std::fs::read_to_string(format!("{root}/docs/app.md")).unwrap_or_default();
    let mut drifted = vec![];
    let mut rest = doc.as_str();
    let mut quotes = 0;
    while let Some(i) = rest.find("<!-- from ") {
        rest = &rest[i + "<!-- from ".len()..];
        let file = rest[..rest.find(" -->").unwrap_or(0)].to_string();
        let open = rest
            .find("```")
            .map(|j| j + rest[j..].find('\n').unwrap_or(0) + 1);
        let Some(start) = open else { break };
        let end = start + rest[start..].find("```").unwrap_or(0);
        let block = &rest[start..end];
        let source = std::fs::read_to_string(format!("{root}/{file}")).unwrap_or_default();
        if !source.contains(block.trim_end()) {
            drifted.push(file);
        }
        quotes += 1;
        rest = &rest[end..];
    }
    if quotes == 0 {
        drifted.push("no quotes found in docs/app.md".into());
    }
    drifted
}

struct Checks {
    passed: usize,
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: String) {
        if ok {
            self.passed += 1;
            println!("check {name} ... ok");
        } else {
            println!("check {name} ... FAILED: {detail}");
            self.failed.push(name.to_string());
        }
    }
}

fn main() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: at the start of main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    // The QML modules and initializers of qworker and of this crate.
    cxx_qt::init_crate!(qworker);
    cxx_qt::init_crate!(qworker_downstream);
    let _app = QGuiApplication::new();
    register_tasks();

    let mut engine = QQmlApplicationEngine::new();
    let Some(mut e) = engine.as_mut() else {
        eprintln!("no QML engine");
        std::process::exit(2);
    };
    // Qt 6.4 does not search the resource path of cxx-qt's QML modules by itself.
    e.as_mut().add_import_path(&QString::from("qrc:/qt/qml"));
    let main_qml = QUrl::from("qrc:/qt/qml/Downstream/qml/Main.qml");
    e.as_mut().load(&main_qml);
    let Some(root) = SceneObject::from_engine(&e) else {
        eprintln!("qml/Main.qml did not load (see the QML errors above)");
        std::process::exit(1);
    };

    let mut c = Checks {
        passed: 0,
        failed: vec![],
    };
    root.invoke("begin", &[]).expect("begin()");
    let done = wait_until(Duration::from_secs(30), || {
        root.get::<bool>("traceFinished").unwrap_or(false)
            && root.get::<String>("outcome").is_ok_and(|o| !o.is_empty())
            && root
                .find("tracker")
                .is_some_and(|t| t.get::<i32>("watched") == Ok(1))
    });
    c.check("everything finished", done, "timed out".into());

    let statuses: Vec<String> = root.get("statuses").unwrap_or_default();
    c.check(
        "custom status signals in order",
        statuses == ["tracing", "done"],
        format!("{statuses:?}"),
    );
    let points: i32 = root.get("points").unwrap_or(-1);
    c.check("custom point signals", points == 3, format!("{points}"));
    let squares: Vec<i64> = root.get("squares").unwrap_or_default();
    c.check(
        "QML Worker for a registered task yields",
        squares == [0, 1, 4, 9],
        format!("{squares:?}"),
    );
    let outcome: String = root.get("outcome").unwrap_or_default();
    c.check(
        "QML Worker returns",
        outcome == "4 squares",
        outcome.clone(),
    );
    let watched = root
        .find("tracker")
        .and_then(|t| t.get::<i32>("watched").ok());
    c.check(
        "a QWorker* handed into Rust is watched",
        watched == Some(1),
        format!("{watched:?}"),
    );

    // The guarded handle: a trace that outlives its Tracker emits nothing and crashes nothing.
    let tracker = root.find("tracker").expect("tracker");
    let worker = tracker
        .invoke("trace", &[QVariant::from(&200i32), QVariant::from(&2i32)])
        .expect("trace()");
    tracker.invoke("deleteLater", &[]).expect("deleteLater()");
    let gone = wait_until(Duration::from_secs(10), || !tracker.is_alive());
    let skipped = wait_until(Duration::from_secs(30), || {
        tracker::SKIPPED_EMITS.load(Ordering::Relaxed) > 0
    });
    c.check(
        "emits after the Tracker is gone do nothing",
        gone && skipped && worker.is_valid(),
        format!("gone {gone}, skipped {skipped}"),
    );

    // docs/app.md quotes this crate: every quoted block still appears in its file.
    let drift = doc_quotes_that_drifted();
    c.check(
        "docs/app.md quotes the code as it is",
        drift.is_empty(),
        format!("{drift:?}"),
    );

    if !c.failed.is_empty() {
        println!("failed: {}", c.failed.join(", "));
    }
    println!("{} passed, {} failed", c.passed, c.failed.len());
    drop(engine);
    std::process::exit(if c.failed.is_empty() { 0 } else { 1 });
}
