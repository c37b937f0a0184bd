//! The scenarios of napari's threading guide, in Rust, registered as named tasks: the viewer's
//! QML runs one with `Worker { task: "running_mean"; args: [{size: 256}]; policy: "latest" }`.
//! The one argument is a JS object (or `null`); missing keys take the defaults below (the
//! guide's sizes).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use cxx_qt_lib::{QMap, QMapPair_QString_QVariant, QString, QVariant};
use qworker::image::Frame;
use qworker::{BoxError, Context, ConvertError, Event, Policy, Pool, ToVariant};

/// Scenario names, in the order the guide walks through them, with a one-line description.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "average_stack",
        "Function worker: the mean of a large random stack (1024 images of 512x512), while the GUI keeps animating.",
    ),
    (
        "running_mean",
        "Generator: the running mean of random images, yielded every 16 iterations, with a progress total; converges to grey.",
    ),
    (
        "endless",
        "Endless generator of random images x cos(i*0.2), Latest policy; press STOP to end it.",
    ),
    (
        "multiplier",
        "Two-way: each total pauses the worker; type a number, it is sent in and the worker resumed. 0 ends it.",
    ),
    (
        "error",
        "A worker that fails: the error goes to a custom handler and the log; the app stays alive.",
    ),
    (
        "many_workers",
        "50 generator workers at once, started from a supervisor worker, with the pool's live count.",
    ),
    (
        "long_tasks",
        "Three tasks that run until stopped (a scan, a download, an index), each with a status line: watch them in the Tasks panel, stop one with its row's STOP, or close the window while they run and the CloseGuard asks.",
    ),
];

/// Arguments from QML: `{key: number}`, or nothing.
type Args = Option<HashMap<String, f64>>;

fn arg(args: &Args, key: &str, default: f64) -> f64 {
    args.as_ref()
        .and_then(|a| a.get(key).copied())
        .unwrap_or(default)
}

fn arg_u32(args: &Args, key: &str, default: u32) -> Result<u32, String> {
    let v = arg(args, key, default as f64);
    if v.fract() == 0.0 && v >= 1.0 && v <= u32::MAX as f64 {
        Ok(v as u32)
    } else {
        Err(format!("{key} must be a positive whole number, got {v}"))
    }
}

/// A small, fast pseudo-random generator (xorshift64); plenty for pictures of noise.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 40) as f32 * (1.0 / 16_777_216.0)
    }

    /// Adds a fresh uniform random image to `acc`.
    pub fn add_to(&mut self, acc: &mut [f32]) {
        for a in acc.iter_mut() {
            *a += self.next_f32();
        }
    }
}

/// Registers every scenario as a task (call once, before QML starts one).
pub fn register() {
    qworker::register_function(
        "average_stack",
        |(a,): (Args,), cx: &mut Context| -> Result<Frame, BoxError> {
            average_stack(cx, arg_u32(&a, "depth", 1024)?, arg_u32(&a, "size", 512)?)
        },
    );
    qworker::register_generator(
        "running_mean",
        |(a,): (Args,), cx: &mut Context<Frame>| -> Result<(), BoxError> {
            running_mean(
                cx,
                arg_u32(&a, "iterations", 1024)?,
                arg_u32(&a, "size", 512)?,
            )
        },
    );
    qworker::register_generator(
        "endless",
        |(a,): (Args,), cx: &mut Context<Frame>| -> Result<(), BoxError> {
            endless(cx, arg_u32(&a, "size", 512)?)
        },
    );
    qworker::register_generator(
        "multiplier",
        |_: (Args,), cx: &mut Context<f64, f64>| -> Result<String, BoxError> { multiplier(cx) },
    );
    qworker::register_function(
        "error",
        |_: (Args,), cx: &mut Context| -> Result<u32, BoxError> { failing(cx) },
    );
    qworker::register_generator(
        "many_workers",
        |(a,): (Args,), cx: &mut Context<Snapshot>| -> Result<String, BoxError> {
            many_workers(cx, arg_u32(&a, "workers", 50)?, arg_u32(&a, "steps", 20)?)
        },
    );
    qworker::register_generator(
        "long_tasks",
        |(a,): (Args,), cx: &mut Context<u32>| -> Result<String, BoxError> {
            long_tasks(cx, arg_u32(&a, "step_ms", 40)?)
        },
    );
}

/// The delivery policy each scenario runs with: `Latest` for image streams.
pub fn policy(name: &str) -> Policy {
    match name {
        "running_mean" | "endless" | "many_workers" => Policy::Latest,
        _ => Policy::All,
    }
}

/// The scenarios for QML: a list of `{name, description, policy}` in the guide's order.
pub fn list() -> QVariant {
    let mut list = cxx_qt_lib::QList::<QVariant>::default();
    for (name, description) in SCENARIOS {
        let mut m = QMap::<QMapPair_QString_QVariant>::default();
        m.insert(QString::from("name"), QVariant::from(&QString::from(*name)));
        m.insert(
            QString::from("description"),
            QVariant::from(&QString::from(*description)),
        );
        let policy = match policy(name) {
            Policy::Latest => "latest",
            _ => "all",
        };
        m.insert(
            QString::from("policy"),
            QVariant::from(&QString::from(policy)),
        );
        list.append(QVariant::from(&m));
    }
    QVariant::from(&list)
}

/// napari: `np.random.rand(1024, 512, 512).mean(0)` in a function worker. Computed one
/// slice at a time (flat memory), with progress and a `check()` per slice so Stop works.
/// Returns the mean as a grey image with contrast limits around 0.5.
pub fn average_stack(cx: &mut Context, depth: u32, size: u32) -> Result<Frame, BoxError> {
    let n = (size * size) as usize;
    let mut acc = vec![0f32; n];
    let mut rng = Rng::new(1);
    for i in 0..depth {
        cx.check()?;
        rng.add_to(&mut acc);
        cx.progress_text(
            i as u64 + 1,
            depth as u64,
            format!("slice {} of {depth}", i + 1),
        )?;
    }
    let mean: Vec<f32> = acc.iter().map(|s| s / depth as f32).collect();
    // The mean of `depth` uniforms has a spread of 0.29 / sqrt(depth) around 0.5.
    let spread = 0.289 / (depth as f32).sqrt() * 3.0;
    Ok(Frame::from_f32(
        size,
        size,
        &mean,
        (0.5 - spread, 0.5 + spread),
    )?)
}

/// napari: the running mean of random images, yielded every 16 iterations, shown with
/// contrast limits (0.45, 0.55): noisy at first, then a smooth mid-grey. Progress counts the
/// frames yielded, out of the total known up front.
pub fn running_mean(cx: &mut Context<Frame>, iterations: u32, size: u32) -> Result<(), BoxError> {
    let yields = iterations.div_ceil(16) as u64;
    let n = (size * size) as usize;
    let mut acc = vec![0f32; n];
    let mut mean = vec![0f32; n];
    let mut rng = Rng::new(2);
    for i in 0..iterations {
        rng.add_to(&mut acc);
        if i % 16 == 0 {
            let k = (i + 1) as f32;
            for (m, a) in mean.iter_mut().zip(&acc) {
                *m = a / k;
            }
            cx.yield_(Frame::from_f32(size, size, &mean, (0.45, 0.55))?)?;
            cx.progress_text(
                (i / 16) as u64 + 1,
                yields,
                format!("mean of {} images", i + 1),
            )?;
        }
    }
    Ok(())
}

/// napari: `yield np.random.rand(512, 512) * np.cos(i * 0.2)` forever, contrast limits
/// (-0.8, 0.8). Runs as fast as it can; with `Latest` at most one frame waits. The number
/// of frames produced is reported as progress (total unknown).
pub fn endless(cx: &mut Context<Frame>, size: u32) -> Result<(), BoxError> {
    let n = (size * size) as usize;
    let mut rng = Rng::new(3);
    let mut img = vec![0f32; n];
    let mut i: u64 = 0;
    loop {
        let c = (i as f32 * 0.2).cos();
        for p in img.iter_mut() {
            *p = rng.next_f32() * c;
        }
        cx.yield_(Frame::from_f32(size, size, &img, (-0.8, 0.8))?)?;
        i += 1;
        cx.progress_text(i, 0, format!("frame {i}"))?;
    }
}

/// napari's two-way multiplier: yields the total, waits for a factor sent in, multiplies;
/// returns "Game Over!" when the product is 0. The GUI pauses it on each total and resumes
/// it after sending.
pub fn multiplier(cx: &mut Context<f64, f64>) -> Result<String, BoxError> {
    let mut total = 1.0;
    loop {
        cx.yield_(total)?;
        // Blocks (no CPU) until the GUI sends a factor; parks while paused.
        let factor = cx.recv()?;
        total *= factor;
        if total == 0.0 {
            return Ok("Game Over!".to_string());
        }
    }
}

/// napari's custom exception handler: the work fails half-way; the viewer's `errored`
/// handler (the custom handler) shows it, and the application goes on.
pub fn failing(cx: &mut Context) -> Result<u32, BoxError> {
    for i in 0..5u64 {
        cx.progress(i + 1, 10)?;
        std::thread::sleep(Duration::from_millis(40));
    }
    cx.warn("about to read a corrupt slice");
    Err("ValueError: slice 5 has NaNs; cannot normalise the stack".into())
}

/// What the supervisor of `many_workers` yields: counts, and a picture of every worker's
/// progress (one bar per worker).
pub struct Snapshot {
    pub live: usize,
    pub finished: usize,
    pub workers: usize,
    pub image: Frame,
}

impl ToVariant for Snapshot {
    /// A JS object `{live, finished, workers, image}`; a FrameView shows the `image` entry.
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        let mut map = QMap::<QMapPair_QString_QVariant>::default();
        map.insert(QString::from("live"), self.live.to_variant()?);
        map.insert(QString::from("finished"), self.finished.to_variant()?);
        map.insert(QString::from("workers"), self.workers.to_variant()?);
        map.insert(QString::from("image"), self.image.to_variant()?);
        Ok(QVariant::from(&map))
    }
}

fn bars(progress: &[AtomicU32], done: &[AtomicU32], steps: u32) -> Result<Frame, BoxError> {
    let (bar_w, gap, h) = (10u32, 2u32, 200u32);
    let n = progress.len() as u32;
    let width = n * (bar_w + gap) + gap;
    let mut px = vec![24u8; (width * h * 3) as usize];
    for (k, p) in progress.iter().enumerate() {
        let frac = p.load(Ordering::Relaxed) as f32 / steps as f32;
        let top = h - (frac.min(1.0) * (h - 4) as f32) as u32;
        let colour = if done[k].load(Ordering::Relaxed) == 1 {
            [80, 200, 120]
        } else {
            [70, 130, 230]
        };
        let x0 = gap + k as u32 * (bar_w + gap);
        for y in top..h {
            for x in x0..x0 + bar_w {
                let i = ((y * width + x) * 3) as usize;
                px[i..i + 3].copy_from_slice(&colour);
            }
        }
    }
    Ok(Frame::rgb8(width, h, px)?)
}

/// Many workers at once: the supervisor (itself a worker) starts `count` generator workers
/// from its own thread (nested workers), then yields a [`Snapshot`] every 50 ms with the
/// pool's live count, until all have finished. Quitting the supervisor quits them all.
pub fn many_workers(
    cx: &mut Context<Snapshot>,
    count: u32,
    steps: u32,
) -> Result<String, BoxError> {
    let progress: Arc<Vec<AtomicU32>> = Arc::new((0..count).map(|_| AtomicU32::new(0)).collect());
    let done: Arc<Vec<AtomicU32>> = Arc::new((0..count).map(|_| AtomicU32::new(0)).collect());
    let finished = Arc::new(AtomicUsize::new(0));
    let mut children = Vec::new();
    for k in 0..count as usize {
        let p = progress.clone();
        let child = qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
            let mut rng = Rng::new(100 + k as u64);
            for i in 0..steps {
                std::thread::sleep(Duration::from_millis(20 + (rng.next_f32() * 60.0) as u64));
                p[k].store(i + 1, Ordering::Relaxed);
                cx.yield_(i)?;
            }
            Ok(())
        })
        .named(&format!("child-{k}"));
        let f = finished.clone();
        let d = done.clone();
        child.on_event_send(move |e| {
            if let Event::Finished = e {
                d[k].store(1, Ordering::Relaxed);
                f.fetch_add(1, Ordering::Relaxed);
            }
        });
        child.start()?;
        children.push(child);
    }
    let mut peak = 0;
    loop {
        let live = Pool::global().live_workers();
        peak = peak.max(live);
        let fin = finished.load(Ordering::Relaxed);
        cx.yield_(Snapshot {
            live,
            finished: fin,
            workers: count as usize,
            image: bars(&progress, &done, steps)?,
        })?;
        if fin == count as usize {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(format!(
        "{count} workers finished; at most {peak} were live at once"
    ))
}

/// The three children of `long_tasks`, by name: each runs until it is stopped.
pub const LONG_TASKS: [&str; 3] = ["scan", "download", "index"];

/// One child of `long_tasks`: a step every `step` with a status line, until quit. `scan`
/// has no known total (an indeterminate bar); `download` fills a bar per file, file after
/// file; `index` counts documents against a large total, pass after pass.
fn long_task(name: &str, cx: &mut Context, step: Duration) -> Result<(), BoxError> {
    let mut i: u64 = 0;
    loop {
        i += 1;
        match name {
            "scan" => {
                cx.progress_text(i, 0, format!("scanning block {i}: {} files seen", i * 37))?
            }
            "download" => {
                let (file, mb) = ((i - 1) / 40 + 1, (i - 1) % 40 + 1);
                cx.progress_text(mb, 40, format!("file {file}: {mb} of 40 MB"))?
            }
            _ => {
                let total = 100_000;
                let (pass, docs) = ((i * 50 - 1) / total + 1, (i * 50 - 1) % total + 1);
                cx.progress_text(
                    docs,
                    total,
                    format!("pass {pass}: {docs} of {total} documents"),
                )?
            }
        }
        std::thread::sleep(step);
    }
}

/// Long-running tasks: the supervisor (itself a worker) starts [`LONG_TASKS`] from its own
/// thread, each running until stopped (from its row in the Tasks panel, "Stop all", or the
/// CloseGuard's "Quit anyway"). It yields how many still run whenever that changes and
/// returns once none does. Quitting the supervisor (STOP) quits them all: dropping a worker
/// made off the GUI thread quits it.
pub fn long_tasks(cx: &mut Context<u32>, step_ms: u32) -> Result<String, BoxError> {
    let step = Duration::from_millis(step_ms as u64);
    let ended: Arc<Vec<AtomicU32>> =
        Arc::new(LONG_TASKS.iter().map(|_| AtomicU32::new(0)).collect());
    let mut children = Vec::new();
    for (k, name) in LONG_TASKS.iter().enumerate() {
        let child =
            qworker::function_with_context(move |cx: &mut Context| long_task(name, cx, step))
                .named(name)
                .described(&format!("{name} (runs until stopped)"));
        let e = ended.clone();
        child.on_event_send(move |ev| {
            if let Event::Finished = ev {
                e[k].store(1, Ordering::Relaxed);
            }
        });
        child.start()?;
        children.push(child);
    }
    let n = LONG_TASKS.len() as u32;
    let mut last = None;
    loop {
        let live = n - ended.iter().map(|e| e.load(Ordering::Relaxed)).sum::<u32>();
        if last != Some(live) {
            cx.yield_(live)?;
            cx.progress_text(
                (n - live) as u64,
                n as u64,
                format!("{live} of {n} tasks running"),
            )?;
            last = Some(live);
        }
        if live == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        cx.check()?;
    }
    Ok(format!("all {n} long tasks were stopped"))
}
