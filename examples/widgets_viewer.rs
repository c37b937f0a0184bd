//! A live stream in a QWidget: a generator worker renders an animated RGB pattern as fast as
//! it can; `qworker::image::ImageView` shows the newest frame (`Policy::Latest`), and the
//! window title counts frames produced vs shown.
//!
//! ```sh
//! cargo run --release --example widgets_viewer              # a window; close it to quit
//! cargo run --release --example widgets_viewer -- --headless --seconds 2 --out out
//! ```
//!
//! Without a display (or with `--headless`) it runs on the offscreen platform for
//! `--seconds`, saves `<out>/widgets_viewer.png` and prints one summary line.

extern crate qworker;

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use qworker::image::{Frame, ImageView};
use qworker::widgets::Application;
use qworker::{BoxError, Context, Policy};

/// A sine table: a few table lookups per pixel instead of calls into libm.
struct Sine(Vec<f32>);

impl Sine {
    const N: usize = 4096;

    fn new() -> Sine {
        Sine(
            (0..Self::N)
                .map(|i| (i as f32 / Self::N as f32 * std::f32::consts::TAU).sin())
                .collect(),
        )
    }

    fn sin(&self, x: f32) -> f32 {
        let i = (x * (Self::N as f32 / std::f32::consts::TAU)) as i64;
        self.0[i.rem_euclid(Self::N as i64) as usize]
    }
}

/// One frame of a moving colour pattern, RGB, `w` x `h`, at time step `t`.
fn pattern(sine: &Sine, w: u32, h: u32, t: f32) -> Result<Frame, BoxError> {
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let fy = y as f32 / h as f32;
        for x in 0..w {
            let fx = x as f32 / w as f32;
            let a = sine.sin(fx * 9.0 + t) + sine.sin(fy * 7.0 - t * 0.7);
            let b = ((fx - 0.5) * (fx - 0.5) + (fy - 0.5) * (fy - 0.5)).sqrt() * 14.0 - t * 1.3;
            let v = (a + sine.sin(b)) * 0.25 + 0.5;
            px.push((v * 255.0) as u8);
            px.push(((1.0 - v) * 200.0 + 30.0) as u8);
            px.push((sine.sin(v * 3.0).abs() * 255.0) as u8);
        }
    }
    Ok(Frame::rgb8(w, h, px)?)
}

fn main() {
    let mut headless = false;
    let mut seconds = 2.0f64;
    let mut out = PathBuf::from("out");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--headless" => headless = true,
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(2.0),
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            _ => {
                eprintln!("usage: widgets_viewer [--headless] [--seconds S] [--out DIR]");
                std::process::exit(2);
            }
        }
    }
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let platform = std::env::var("QT_QPA_PLATFORM").unwrap_or_default();
    headless |= platform.starts_with("offscreen")
        || (platform.is_empty() && !set("DISPLAY") && !set("WAYLAND_DISPLAY"));
    if headless && platform.is_empty() {
        // SAFETY: start of main, no other thread yet.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }

    cxx_qt::init_crate!(qworker);
    let mut app = Application::new();
    let view = Rc::new(ImageView::new());
    view.resize(720, 480);
    view.set_title("qworker: a live stream in a QWidget");

    let worker = qworker::generator(|cx: &mut Context<Frame>| -> Result<(), BoxError> {
        let sine = Sine::new();
        let mut i: u64 = 0;
        loop {
            cx.yield_(pattern(&sine, 480, 320, i as f32 * 0.05)?)?;
            i += 1;
            cx.progress(i, 0)?;
        }
    })
    .policy(Policy::Latest)
    .named("pattern");
    view.follow(&worker);
    let produced = Rc::new(Cell::new(0u64));
    {
        let (view, produced) = (Rc::downgrade(&view), produced.clone());
        worker.on_progress(move |p| {
            produced.set(p.done);
            if let Some(v) = view.upgrade() {
                v.set_title(&format!(
                    "qworker ImageView: frames produced {}, shown {}",
                    p.done,
                    v.frames_shown()
                ));
            }
        });
    }
    view.show();
    worker.start().expect("start the worker");

    if !headless {
        let code = app.exec();
        drop(worker);
        std::process::exit(code);
    }

    let t0 = Instant::now();
    qworker::testing::wait_until(Duration::from_secs_f64(seconds), || false);
    worker.quit();
    qworker::testing::wait_until(Duration::from_secs(5), || worker.is_finished());
    let path = out.join("widgets_viewer.png");
    let saved = qworker::image::save_image(&view.grab(), &path);
    println!(
        "widgets_viewer: {:.1} s, frames produced {}, received {}, shown {}; screenshot {}",
        t0.elapsed().as_secs_f64(),
        produced.get(),
        view.frames_received(),
        view.frames_shown(),
        match &saved {
            Ok(()) => path.display().to_string(),
            Err(e) => format!("not saved: {e}"),
        }
    );
    drop(worker);
    std::process::exit(if saved.is_ok() { 0 } else { 1 });
}
