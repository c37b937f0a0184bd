//! The qworker example viewer: every scenario of napari's threading guide, in Rust, in a QML
//! window (scenario list, image area, progress, Pause/STOP, live event log), with a Tasks
//! panel listing every live worker (`WorkerPool.tasks`: name, state, status line, progress,
//! elapsed, a STOP per row, "Stop all") and a `CloseGuard` that asks before the window
//! closes while workers run (the `long_tasks` scenario runs three until stopped).
//!
//! ```sh
//! scripts/run-viewer.sh                 # installs deps, builds, runs (window or headless)
//! cargo run --release --example viewer  # with a display: the window
//! cargo run --release --example viewer -- --headless --out out/viewer
//! ```
//!
//! Without a display (no `DISPLAY`/`WAYLAND_DISPLAY`, or `QT_QPA_PLATFORM=offscreen`), or with
//! `--headless`, it runs every scenario itself on the offscreen platform, saves
//! `<out>/<scenario>.png` (`long_tasks` also `<out>/long_tasks_running.png`, the Tasks panel
//! with its rows, and `<out>/long_tasks_close_guard.png`, the CloseGuard's dialog) and prints
//! one summary line per scenario; exit code 1 if any failed.

mod scenarios;
mod tour;

extern crate qworker;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cxx_qt_lib::{
    QGuiApplication, QMap, QMapPair_QString_QVariant, QQmlApplicationEngine, QString, QVariant,
};
use qworker::ToVariant;
use qworker::testing::SceneObject;

const VIEWER_QML: &str = include_str!("Viewer.qml");

struct Options {
    headless: bool,
    out: PathBuf,
    only: Vec<String>,
    quick: bool,
}

const USAGE: &str = "usage: viewer [--headless] [--out DIR] [--only NAME[,NAME...]] [--quick]
  --headless   run every scenario, save DIR/<scenario>.png, print a summary (the default
               when there is no display)
  --out DIR    where screenshots go (default out/viewer)
  --only LIST  run only these scenarios (headless)
  --quick      smaller images and stacks (fast on debug builds)";

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        headless: false,
        out: PathBuf::from("out/viewer"),
        only: vec![],
        quick: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--headless" | "--tour" => o.headless = true,
            "--quick" => o.quick = true,
            "--out" => o.out = args.next().ok_or("--out needs a folder")?.into(),
            "--only" => {
                let list = args.next().ok_or("--only needs scenario names")?;
                o.only = list.split(',').map(str::to_string).collect();
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// No display to open a window on: run the tour on the offscreen platform.
fn no_display() -> bool {
    let platform = std::env::var("QT_QPA_PLATFORM").unwrap_or_default();
    if platform.starts_with("offscreen") || platform.starts_with("minimal") {
        return true;
    }
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    platform.is_empty() && !set("DISPLAY") && !set("WAYLAND_DISPLAY")
}

/// Smaller sizes for `--quick` (tests and debug builds).
fn quick_args() -> QVariant {
    let mut all = QMap::<QMapPair_QString_QVariant>::default();
    let mut put = |name: &str, entries: &[(&str, f64)]| {
        let mut m = QMap::<QMapPair_QString_QVariant>::default();
        for (k, v) in entries {
            m.insert(QString::from(*k), v.to_variant().unwrap());
        }
        all.insert(QString::from(name), QVariant::from(&m));
    };
    put("average_stack", &[("depth", 256.0), ("size", 256.0)]);
    put("running_mean", &[("iterations", 512.0), ("size", 256.0)]);
    put("endless", &[("size", 256.0)]);
    put("many_workers", &[("workers", 50.0), ("steps", 10.0)]);
    QVariant::from(&all)
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let headless = opts.headless || no_display();
    // SAFETY (both set_var): at the start of main, before any thread exists.
    if headless && std::env::var_os("QT_QPA_PLATFORM").is_none() {
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    if std::env::var_os("QT_QUICK_CONTROLS_STYLE").is_none() {
        unsafe { std::env::set_var("QT_QUICK_CONTROLS_STYLE", "Fusion") };
    }

    cxx_qt::init_crate!(qworker);
    let mut app = QGuiApplication::new();
    let mut engine = QQmlApplicationEngine::new();
    scenarios::register();

    let mut props = QMap::<QMapPair_QString_QVariant>::default();
    props.insert(QString::from("scenarios"), scenarios::list());
    if opts.quick {
        props.insert(QString::from("scenarioArgs"), quick_args());
    }
    engine.pin_mut().set_initial_properties(&props);
    let window = match SceneObject::load_qml(
        engine.pin_mut(),
        VIEWER_QML,
        "file:///qworker/examples/viewer/Viewer.qml",
    ) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("viewer: {e}");
            std::process::exit(1);
        }
    };

    let code = if headless {
        run_headless(&window, &opts)
    } else {
        app.pin_mut().exec()
    };

    // Tear down QML (destroying a running worker asks it to quit), then wait for the threads.
    drop(window);
    drop(engine);
    if let Err(e) = qworker::await_workers(Duration::from_secs(5)) {
        eprintln!("viewer: {e}");
    }
    drop(app);
    std::process::exit(code);
}

fn run_headless(window: &SceneObject, opts: &Options) -> i32 {
    let viewer = match tour::Viewer::new(window.clone()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("viewer: {e}");
            return 1;
        }
    };
    let names: Vec<&str> = scenarios::SCENARIOS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| opts.only.is_empty() || opts.only.iter().any(|o| o == n))
        .collect();
    println!(
        "qworker viewer, headless ({}): {} scenario(s), screenshots in {}",
        std::env::var("QT_QPA_PLATFORM").unwrap_or_else(|_| "default platform".into()),
        names.len(),
        opts.out.display()
    );
    // Let the window render once before the first scenario.
    qworker::testing::process_events(Duration::from_millis(100));
    let t0 = Instant::now();
    let mut failed = 0;
    for name in &names {
        let outcome = tour::tour_one(&viewer, name, None, &opts.out);
        println!("{}", outcome.summary());
        if !outcome.ok {
            failed += 1;
        }
    }
    println!(
        "{} of {} scenarios ok in {:.1} s; screenshots: {}",
        names.len() - failed,
        names.len(),
        t0.elapsed().as_secs_f64(),
        opts.out.display()
    );
    if failed > 0 { 1 } else { 0 }
}
