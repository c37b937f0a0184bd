//! napari's threading-guide scenarios written with `async`/`await` on the Qt event loop (the
//! same scenes the viewer runs with callbacks): await the averaged stack while the GUI keeps
//! ticking, stream the running mean into a `FrameView` (Latest), stop an endless stream with a
//! STOP button, and cancel by dropping (a timeout around a worker's result).
//!
//! `examples/async/main.rs` runs them in a window (offscreen without a display) and prints one
//! line per scenario; `tests/qt_async.rs` runs the same functions and checks the lines.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use qworker::image::Frame;
use qworker::testing::SceneObject;
use qworker::{BoxError, Context, Policy};

/// The scene: a FrameView, a STOP button that quits the window's worker, a progress label.
pub const QML: &str = r#"
import QtQuick
import QtQuick.Controls
import QtQuick.Window
import QWorker

Window {
    id: root
    width: 240; height: 280
    visible: true
    color: "black"
    property var worker: null
    FrameView { objectName: "view"; width: 240; height: 240; fillColor: "black" }
    Button {
        objectName: "stop"; y: 244; text: "STOP"
        onClicked: if (root.worker) root.worker.quit()
    }
}
"#;

/// One scenario's result: its name, whether its checks held, and the line it prints.
pub struct Outcome {
    pub name: &'static str,
    pub ok: bool,
    pub line: String,
}

const SIZE: u32 = 128;

/// A deterministic noise image (xorshift), `SIZE` × `SIZE`, values in 0..1.
fn noise_slice(seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..SIZE * SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

/// napari's first example: average a random stack. Awaited, while a GUI timer keeps ticking.
async fn average_stack() -> Outcome {
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let ticker = qworker::spawn_local(async move {
        loop {
            qworker::sleep(Duration::from_millis(5)).await;
            t.set(t.get() + 1);
        }
    })
    .abort_on_drop();
    let t0 = Instant::now();
    let worker = qworker::function(|| -> Result<Frame, BoxError> {
        let depth = 48;
        let mut sum = vec![0f32; (SIZE * SIZE) as usize];
        for z in 0..depth {
            for (s, v) in sum.iter_mut().zip(noise_slice(z)) {
                *s += v;
            }
            std::thread::sleep(Duration::from_millis(2)); // a slow disk
        }
        let mean: Vec<f32> = sum.iter().map(|s| s / depth as f32).collect();
        Ok(Frame::from_f32(SIZE, SIZE, &mean, (0.4, 0.6))?)
    })
    .named("average_stack");
    let result = worker.await;
    drop(ticker);
    match result {
        Ok(frame) => {
            let grey = frame.mean_gray();
            let ok = (100.0..155.0).contains(&grey) && ticks.get() >= 5;
            Outcome {
                name: "average_stack",
                ok,
                line: format!(
                    "awaited the mean of 48 slices ({:.2} s), grey {grey:.1}; the GUI ticked {} times meanwhile",
                    t0.elapsed().as_secs_f64(),
                    ticks.get()
                ),
            }
        }
        Err(e) => Outcome {
            name: "average_stack",
            ok: false,
            line: format!("failed: {e}"),
        },
    }
}

/// napari's running mean: yielded every 8 slices with a progress total, streamed into the
/// FrameView under `Latest`.
async fn running_mean(window: &SceneObject) -> Outcome {
    let view = window.find("view").expect("the FrameView");
    let depth = 64u64;
    let worker = qworker::generator(move |cx: &mut Context<Frame>| -> Result<u64, BoxError> {
        let mut sum = vec![0f32; (SIZE * SIZE) as usize];
        for z in 0..depth {
            for (s, v) in sum.iter_mut().zip(noise_slice(100 + z)) {
                *s += v;
            }
            if z % 8 == 7 {
                let mean: Vec<f32> = sum.iter().map(|s| s / (z + 1) as f32).collect();
                cx.yield_(Frame::from_f32(SIZE, SIZE, &mean, (0.4, 0.6))?)?;
            }
        }
        Ok(depth)
    })
    .policy(Policy::Latest)
    .progress_total(depth / 8)
    .named("running_mean");
    let mut means = worker.stream();
    let mut shown = 0;
    let mut last = 0.0;
    while let Some(mean) = means.next().await {
        last = mean.mean_gray();
        view.with_frame_view(|v| v.show_frame(&mean));
        shown += 1;
    }
    let progress = means.worker().progress();
    let outcome = means.into_result().await;
    let ok = outcome.as_ref().is_ok_and(|d| *d == depth)
        && (1..=8).contains(&shown)
        && progress.done == 8;
    Outcome {
        name: "running_mean",
        ok,
        line: format!(
            "streamed {shown} of 8 means into the FrameView (Latest), progress {}/{}, last grey {last:.1}",
            progress.done, progress.total
        ),
    }
}

/// An endless stream of frames, stopped by pressing STOP (the button calls the worker's
/// `quit()` from QML); the stream then ends and the outcome is "aborted".
async fn endless_with_stop(window: &SceneObject) -> Outcome {
    let view = window.find("view").expect("the FrameView");
    let stop = window.find("stop").expect("the STOP button");
    let worker = qworker::generator(|cx: &mut Context<Frame>| -> Result<(), BoxError> {
        let mut i = 0u64;
        loop {
            let shade = (i % 256) as u8;
            cx.yield_(Frame::solid(32, 32, [shade, 255 - shade, 128, 255])?)?;
            i += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
    })
    .policy(Policy::Latest)
    .named("endless");
    window
        .set_variant("worker", &worker.to_qvariant())
        .expect("the worker property");
    let mut frames = worker.stream();
    let mut shown = 0u32;
    while let Some(frame) = frames.next().await {
        view.with_frame_view(|v| v.show_frame(&frame));
        shown += 1;
        if shown == 50 {
            stop.invoke("clicked", &[]).expect("STOP pressed"); // as a click would
        }
    }
    let outcome = frames.into_result().await;
    let _ = window.set_variant("worker", &Default::default());
    let aborted = matches!(outcome, Err(qworker::future::Stopped::Aborted));
    Outcome {
        name: "endless",
        ok: aborted && shown == 50,
        line: format!(
            "STOP pressed after {shown} frames; the stream ended, outcome {}",
            if aborted { "aborted" } else { "not aborted" }
        ),
    }
}

/// Cancel by dropping: a timeout around a worker's result drops the result future, which
/// drops the worker, which quits the work.
async fn cancel_by_dropping() -> Outcome {
    let quit_seen = Arc::new(AtomicBool::new(false));
    let q = quit_seen.clone();
    let worker = qworker::function_with_context(move |cx: &mut Context| -> Result<u32, BoxError> {
        let r = loop {
            if let Err(e) = cx.check() {
                break Err(e.into());
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        q.store(true, Ordering::SeqCst);
        r
    })
    .named("too_slow");
    let timed = qworker::timeout(Duration::from_millis(50), worker.result()).await;
    // The body sees the quit at its next check.
    let t0 = Instant::now();
    while !quit_seen.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_secs(5) {
        qworker::sleep(Duration::from_millis(1)).await;
    }
    let ok = timed.is_err() && quit_seen.load(Ordering::SeqCst);
    Outcome {
        name: "cancel_by_dropping",
        ok,
        line: format!(
            "timeout after 50 ms dropped the result future; the worker {}",
            if quit_seen.load(Ordering::SeqCst) {
                "saw the quit and stopped"
            } else {
                "did not stop"
            }
        ),
    }
}

/// Runs every scenario in order, in the window `window`.
pub async fn run_all(window: SceneObject) -> Vec<Outcome> {
    vec![
        average_stack().await,
        running_mean(&window).await,
        endless_with_stop(&window).await,
        cancel_by_dropping().await,
    ]
}
