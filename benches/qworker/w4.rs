//! W4: a worker produces 500 frames of 512×512 (running mean of random images, 8-bit); the
//! GUI "shows" each: it wraps the buffer as a `QImage` without a copy and renders a 256×256
//! preview of it (`QImage::scaled`, nearest), as the C++ baseline does with its `QImage`.
//! Variants: `fast-All`, `fast-Latest`, `10ms-All`, `10ms-Latest` (the GUI busy-works 10 ms
//! per frame). Reports delivered fps, frames handled, max backlog (frames produced and neither
//! handled nor dropped), peak RSS, the last frame shown and whether frames came in order.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use cxx_qt_lib::{AspectRatioMode, QImage, QImageFormat, TransformationMode};
use qworker::{BoxError, Context, Policy, ToVariant};

use crate::measure::{Report, Stopwatch, mono_ns, peak_rss_mb, spin_us};

const SIDE: usize = 512;
const FRAMES: u32 = 500;

static PENDING: AtomicI64 = AtomicI64::new(0);
static MAX_BACKLOG: AtomicI64 = AtomicI64::new(0);

/// One frame on its way to the GUI. Counted as backlog from before `yield_` until the GUI
/// handles it or the mailbox drops it (`Latest`).
struct Frame {
    index: u32,
    pixels: Mutex<Option<Vec<u8>>>,
    pending: AtomicBool,
}

impl Frame {
    fn settle(&self) {
        if self.pending.swap(false, Ordering::AcqRel) {
            PENDING.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.settle();
    }
}

// Frames stay in Rust; a QML receiver would get a clear error.
impl ToVariant for Frame {}

/// The same generator as the C++ baseline: xorshift64* noise, u32 sums, 8-bit mean out.
struct MeanStack {
    state: u64,
    sum: Vec<u32>,
    count: u32,
}

impl MeanStack {
    fn new() -> Self {
        MeanStack {
            state: 0x9E37_79B9_7F4A_7C15,
            sum: vec![0; SIDE * SIDE],
            count: 0,
        }
    }

    /// Adds one random image; returns the 8-bit mean (SIDE*SIDE bytes).
    fn step(&mut self) -> Vec<u8> {
        let mut state = self.state;
        for chunk in self.sum.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            for (b, s) in chunk.iter_mut().enumerate() {
                *s += ((r >> (8 * b)) & 0xff) as u32;
            }
        }
        self.state = state;
        self.count += 1;
        let inv = 1.0f32 / self.count as f32;
        self.sum
            .iter()
            // SAFETY: s ≤ 255·count, so s·inv is in [0, 256): in range for i32. This is the
            // same truncating conversion the C++ baseline's static_cast compiles to (a
            // saturating `as` would cost this loop twice the time).
            .map(|&s| unsafe { (s as f32 * inv).to_int_unchecked::<i32>() } as u8)
            .collect()
    }
}

fn note_backlog(b: i64) {
    MAX_BACKLOG.fetch_max(b, Ordering::AcqRel);
}

pub fn run(variant: &str) -> i32 {
    let slow = variant.starts_with("10ms");
    let policy = if variant.ends_with("Latest") {
        Policy::Latest
    } else {
        Policy::All
    };
    let produce_ns = std::sync::Arc::new(AtomicI64::new(0));
    let pn = produce_ns.clone();
    let w = qworker::generator(move |cx: &mut Context<Frame>| -> Result<(), BoxError> {
        let mut stack = MeanStack::new();
        for index in 0..FRAMES {
            let t = Instant::now();
            let pixels = stack.step();
            pn.fetch_add(t.elapsed().as_nanos() as i64, Ordering::Relaxed);
            note_backlog(PENDING.fetch_add(1, Ordering::AcqRel) + 1);
            cx.yield_(Frame {
                index,
                pixels: Mutex::new(Some(pixels)),
                pending: AtomicBool::new(true),
            })?;
        }
        Ok(())
    })
    .policy(policy)
    .named("w4");
    let handled = Rc::new(Cell::new(0u32));
    let last = Rc::new(Cell::new(-1i64));
    let in_order = Rc::new(Cell::new(true));
    let show_ns = Rc::new(Cell::new(0u64));
    let sink = Rc::new(Cell::new(0i64));
    let (h, l, o, sn, sk) = (
        handled.clone(),
        last.clone(),
        in_order.clone(),
        show_ns.clone(),
        sink.clone(),
    );
    w.on_yielded(move |f: &Frame| {
        f.settle();
        note_backlog(PENDING.load(Ordering::Acquire));
        o.set(o.get() && i64::from(f.index) > l.get());
        l.set(i64::from(f.index));
        h.set(h.get() + 1);
        let t = mono_ns();
        if let Some(pixels) = f.pixels.lock().unwrap().take() {
            // SAFETY: `pixels` holds exactly SIDE*SIDE bytes of Grayscale8 data.
            let image = unsafe {
                QImage::from_raw_bytes(
                    pixels,
                    SIDE as i32,
                    SIDE as i32,
                    QImageFormat::Format_Grayscale8,
                )
            };
            let view = image.scaled(
                256,
                256,
                AspectRatioMode::IgnoreAspectRatio,
                TransformationMode::FastTransformation,
            );
            sk.set(sk.get() + i64::from(view.height()));
        }
        sn.set(sn.get() + (mono_ns() - t));
        if slow {
            spin_us(10_000);
        }
    });
    let done = Rc::new(Cell::new(None::<f64>));
    let started = Rc::new(Cell::new(Stopwatch::start()));
    let (d, st) = (done.clone(), started.clone());
    w.on_finished(move || d.set(Some(st.get().read().0)));
    started.set(Stopwatch::start());
    w.start().expect("start");
    crate::spin_until(Duration::from_secs(120), || done.get().is_some());
    let wall = done.get().unwrap_or(f64::NAN);
    Report::new("W4", variant)
        .metric("fps", f64::from(handled.get()) / wall)
        .metric("handled", f64::from(handled.get()))
        .metric("max_backlog", MAX_BACKLOG.load(Ordering::Acquire) as f64)
        .metric("peak_rss_mb", peak_rss_mb())
        .metric("last_shown", last.get() as f64)
        .metric("in_order", if in_order.get() { 1.0 } else { 0.0 })
        .metric(
            "produce_ms_per_frame",
            produce_ns.load(Ordering::Relaxed) as f64 / 1e6 / f64::from(FRAMES),
        )
        .metric(
            "show_ms_per_frame",
            show_ns.get() as f64 / 1e6 / f64::from(handled.get().max(1)),
        )
        .note("sink", sink.get() & 1)
        .print();
    0
}
