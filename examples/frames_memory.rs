//! Memory under a fast producer: a generator worker makes frames 10x faster than the GUI
//! can take them (by default: a 1024x1024 RGBA frame every 1 ms; the GUI spends 10 ms on
//! each frame it receives, then shows it in a QML `FrameView`). Prints frames produced,
//! delivered and shown, the most frames alive at once (made and not yet dropped), and the
//! process's peak RSS (VmHWM).
//!
//! ```sh
//! cargo run --release --example frames_memory -- --policy latest --seconds 30
//! cargo run --release --example frames_memory -- --policy bounded:2 --seconds 30
//! cargo run --release --example frames_memory -- --policy all --frames 600 --size 512
//! ```
//!
//! A benchmark, not a test: it never fails because a machine is slow. Offscreen by default.

extern crate qworker;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use cxx_qt_lib::{QGuiApplication, QQmlApplicationEngine};
use qworker::image::Frame;
use qworker::testing::SceneObject;
use qworker::{BoxError, Context, Policy, ToVariant};

static ALIVE: AtomicI64 = AtomicI64::new(0);
static MAX_ALIVE: AtomicI64 = AtomicI64::new(0);
/// Frames the producer made (counted on its thread, not as delivered).
static PRODUCED: AtomicI64 = AtomicI64::new(0);
/// When the producer finished, in ms since its start (-1: still running).
static PRODUCER_DONE_MS: AtomicI64 = AtomicI64::new(-1);

/// A frame that counts how many of its kind exist (produced and not yet dropped).
struct Tracked(Frame);

impl Tracked {
    fn new(f: Frame) -> Tracked {
        let n = ALIVE.fetch_add(1, Ordering::Relaxed) + 1;
        MAX_ALIVE.fetch_max(n, Ordering::Relaxed);
        Tracked(f)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        ALIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ToVariant for Tracked {}

/// `VmHWM` (peak) and `VmRSS` (now) of this process, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

const QML: &str = r#"
import QtQuick
import QtQuick.Window
import QWorker
Window {
    width: 640; height: 640; visible: true
    FrameView { objectName: "view"; anchors.fill: parent; fillColor: "black" }
}
"#;

struct Options {
    policy: Policy,
    seconds: f64,
    frames: Option<u64>,
    size: u32,
    producer_ms: f64,
    gui_ms: f64,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        policy: Policy::Latest,
        seconds: 30.0,
        frames: None,
        size: 1024,
        producer_ms: 1.0,
        gui_ms: 10.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--policy" => o.policy = Policy::parse(&val()?)?,
            "--seconds" => o.seconds = val()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--frames" => o.frames = Some(val()?.parse().map_err(|e| format!("--frames: {e}"))?),
            "--size" => o.size = val()?.parse().map_err(|e| format!("--size: {e}"))?,
            "--producer-ms" => {
                o.producer_ms = val()?.parse().map_err(|e| format!("--producer-ms: {e}"))?
            }
            "--gui-ms" => o.gui_ms = val()?.parse().map_err(|e| format!("--gui-ms: {e}"))?,
            _ => {
                return Err(
                    "usage: frames_memory [--policy latest|all|bounded:N] [--seconds S] \
                     [--frames N] [--size PX] [--producer-ms MS] [--gui-ms MS]"
                        .into(),
                );
            }
        }
    }
    Ok(o)
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: start of main, no other thread yet.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
    cxx_qt::init_crate!(qworker);
    let _app = QGuiApplication::new();
    let mut engine = QQmlApplicationEngine::new();
    let window = SceneObject::load_qml(engine.pin_mut(), QML, "file:///frames_memory.qml")
        .expect("QML loads");
    let view = window.expect("view").expect("a FrameView");
    qworker::testing::process_events(Duration::from_millis(100));
    let (hwm_before, _) = rss_mib();

    let (size, producer, frames) = (
        o.size,
        Duration::from_secs_f64(o.producer_ms / 1000.0),
        o.frames,
    );
    let worker = qworker::generator(move |cx: &mut Context<Tracked>| -> Result<u64, BoxError> {
        let n = (size * size * 4) as usize;
        let mut i: u64 = 0;
        let start = Instant::now();
        let mut next = start;
        while frames.is_none_or(|f| i < f) {
            let frame = Frame::rgba8(size, size, vec![(i % 251) as u8; n])?;
            cx.yield_(Tracked::new(frame))?;
            i += 1;
            PRODUCED.store(i as i64, Ordering::Relaxed);
            next += producer;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else {
                next = now; // behind schedule: do not burst to catch up
            }
        }
        PRODUCER_DONE_MS.store(start.elapsed().as_millis() as i64, Ordering::Relaxed);
        Ok(i)
    })
    .policy(o.policy)
    .named("producer");

    let delivered = Rc::new(Cell::new(0u64));
    {
        let (delivered, gui) = (
            delivered.clone(),
            Duration::from_secs_f64(o.gui_ms / 1000.0),
        );
        let view = view.clone();
        worker.on_yielded(move |t: &Tracked| {
            // A slow GUI: 10 ms of work per frame it receives (busy, like real processing).
            let t0 = Instant::now();
            while t0.elapsed() < gui {
                std::hint::spin_loop();
            }
            view.with_frame_view(|v| v.show_frame(&t.0));
            delivered.set(delivered.get() + 1);
        });
    }

    let t0 = Instant::now();
    worker.start().expect("start");
    let mut samples: Vec<(f64, f64)> = vec![];
    let mut next_sample = Instant::now();
    let deadline = Duration::from_secs_f64(o.seconds);
    while !worker.is_finished() && (frames.is_some() || t0.elapsed() < deadline) {
        qworker::testing::process_events(Duration::from_millis(5));
        if Instant::now() >= next_sample {
            samples.push((t0.elapsed().as_secs_f64(), rss_mib().1));
            next_sample += Duration::from_millis(500);
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let produced = PRODUCED.load(Ordering::Relaxed);
    worker.quit();
    qworker::testing::wait_until(Duration::from_secs(60), || worker.is_finished());
    let (hwm, rss) = rss_mib();
    let shown = view.get::<i64>("framesShown").unwrap_or(0);
    // RSS after the first second, to judge flatness.
    let steady: Vec<f64> = samples
        .iter()
        .filter(|(t, _)| *t >= 1.0)
        .map(|(_, r)| *r)
        .collect();
    let (lo, hi) = steady
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &r| (a.min(r), b.max(r)));
    let frame_mib = (o.size as f64 * o.size as f64 * 4.0) / (1024.0 * 1024.0);
    println!(
        "policy {:?}: {elapsed:.1} s, {}x{} RGBA ({frame_mib:.1} MiB/frame), producer every {} ms, GUI {} ms/frame",
        o.policy, o.size, o.size, o.producer_ms, o.gui_ms
    );
    let producer_secs = match PRODUCER_DONE_MS.load(Ordering::Relaxed) {
        ms if ms >= 0 => ms as f64 / 1000.0,
        _ => elapsed,
    };
    println!(
        "  frames produced {} ({:.0}/s), delivered {} ({:.0}/s), shown {shown}; most frames alive at once {}",
        produced,
        produced as f64 / producer_secs.max(1e-3),
        delivered.get(),
        delivered.get() as f64 / elapsed,
        MAX_ALIVE.load(Ordering::Relaxed)
    );
    println!(
        "  peak RSS (VmHWM) {hwm:.1} MiB (before the stream {hwm_before:.1} MiB); RSS now {rss:.1} MiB; RSS after 1 s ranged {:.1}..{:.1} MiB over {} samples",
        if steady.is_empty() { f64::NAN } else { lo },
        if steady.is_empty() { f64::NAN } else { hi },
        steady.len()
    );
    drop(worker);
    drop(window);
    drop(engine);
}
