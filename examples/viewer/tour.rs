//! Driving the viewer from Rust, as a user would with the mouse and keyboard: run a
//! scenario, click STOP, type a factor and press Enter, stop a task from its row in the
//! Tasks panel, close the window and answer the CloseGuard, then grab the window. Used by
//! the headless mode (one PNG and one summary line per scenario, and two more for
//! `long_tasks`) and by `tests/viewer.rs`.
//!
//! Clicks emit the button's `clicked` signal and Enter emits the field's `accepted`: the
//! same QML handlers a real click or key press runs. Waiting spins the real event loop.

#![allow(dead_code)] // each binary that includes this module uses a different part of it

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cxx_qt_lib::{QString, QVariant};
use qworker::image::Frame;
use qworker::testing::{SceneObject, process_events, wait_until};

/// The viewer window and the parts the tour reads.
pub struct Viewer {
    pub window: SceneObject,
    pub view: SceneObject,
    /// The Tasks panel's ListView (a row per live worker).
    pub tasks: SceneObject,
    /// The window's CloseGuard.
    pub guard: SceneObject,
}

/// What one scenario did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub ok: bool,
    /// Worker signals the event log received.
    pub events: i64,
    /// Frames the worker produced (its progress count, for streams).
    pub produced: f64,
    pub received: i64,
    pub shown: i64,
    pub elapsed: Duration,
    pub note: String,
    pub screenshot: Option<PathBuf>,
}

impl Outcome {
    /// The one-line summary the headless viewer prints.
    pub fn summary(&self) -> String {
        let frames = if STREAMS.contains(&self.name.as_str()) {
            format!(
                "frames produced {:>5}, shown {:>4}",
                self.produced, self.shown
            )
        } else {
            format!("frames shown {:>4}", self.shown)
        };
        format!(
            "{:<13} {:<4} events {:>4}  {:<32} {:>6.2} s  {}",
            self.name,
            if self.ok { "ok" } else { "FAIL" },
            self.events,
            frames,
            self.elapsed.as_secs_f64(),
            self.note
        )
    }
}

impl Viewer {
    pub fn new(window: SceneObject) -> Result<Viewer, String> {
        let view = window.expect("frameView")?;
        let tasks = window.expect("tasksList")?;
        let guard = window.expect("closeGuard")?;
        Ok(Viewer {
            window,
            view,
            tasks,
            guard,
        })
    }

    pub fn state(&self) -> String {
        self.window
            .get::<String>("currentState")
            .unwrap_or_default()
    }

    pub fn prop_f64(&self, name: &str) -> f64 {
        self.window.get::<f64>(name).unwrap_or(f64::NAN)
    }

    pub fn text(&self, name: &str) -> String {
        self.window.get::<String>(name).unwrap_or_default()
    }

    pub fn shown(&self) -> i64 {
        self.view.get::<i64>("framesShown").unwrap_or(0)
    }

    pub fn received(&self) -> i64 {
        self.view.get::<i64>("framesReceived").unwrap_or(0)
    }

    /// Starts scenario `name` with `args` (a JS object; `None`: the scenario's defaults).
    pub fn run(&self, name: &str, args: Option<QVariant>) -> Result<(), String> {
        let args = args.unwrap_or_default();
        let ok = self
            .window
            .invoke("run", &[QVariant::from(&QString::from(name)), args])?;
        if ok.value::<bool>() == Some(true) {
            Ok(())
        } else {
            Err(format!("the viewer could not start {name}"))
        }
    }

    /// Emits `clicked` on the button named `name`, as a click does; refuses a disabled one.
    pub fn click(&self, name: &str) -> Result<(), String> {
        let button = self.window.expect(name)?;
        if button.get::<bool>("enabled") != Ok(true) {
            return Err(format!("button {name} is disabled"));
        }
        button.invoke("clicked", &[]).map(drop)
    }

    /// Types `text` into the field named `name` and presses Enter (`accepted`).
    pub fn type_enter(&self, name: &str, text: &str) -> Result<(), String> {
        let field = self.window.expect(name)?;
        if field.get::<bool>("enabled") != Ok(true) {
            return Err(format!("field {name} is disabled"));
        }
        field.set("text", text.to_string())?;
        field.invoke("accepted", &[]).map(drop)
    }

    /// Spins the event loop until `cond` holds, or fails after `timeout`.
    pub fn wait(
        &self,
        what: &str,
        timeout: Duration,
        cond: impl FnMut() -> bool,
    ) -> Result<(), String> {
        if wait_until(timeout, cond) {
            Ok(())
        } else {
            Err(format!(
                "timed out after {timeout:?} waiting for {what} (state {})",
                self.state()
            ))
        }
    }

    pub fn wait_finished(&self, timeout: Duration) -> Result<(), String> {
        self.wait("the worker to finish", timeout, || {
            self.state() == "finished"
        })
    }

    /// The names of the Tasks panel's rows, in order.
    pub fn task_names(&self) -> Vec<String> {
        let names = self
            .window
            .invoke("taskNames", &[])
            .ok()
            .and_then(|v| v.value::<QString>())
            .map(|s| s.to_string())
            .unwrap_or_default();
        names
            .split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Rows in the Tasks panel (its ListView's `count`).
    pub fn task_rows(&self) -> i64 {
        self.tasks.get::<i64>("count").unwrap_or(-1)
    }

    /// Live workers of the application (`WorkerPool.count`, the panel's header).
    pub fn live_tasks(&self) -> i64 {
        self.window.get::<i64>("liveTasks").unwrap_or(-1)
    }

    /// The text of the label named `name` (e.g. a row's `taskStatus_scan`); empty if none.
    pub fn label(&self, name: &str) -> String {
        self.window
            .find(name)
            .and_then(|l| l.get::<String>("text").ok())
            .unwrap_or_default()
    }

    /// `true` while the CloseGuard's dialog is shown.
    pub fn guard_asking(&self) -> bool {
        self.guard.get::<bool>("asking").unwrap_or(false)
    }

    /// Saves a picture of the whole window to `path`.
    pub fn save_shot(&self, path: &Path) -> Result<PathBuf, String> {
        qworker::image::save_image(&self.window.grab_image(), path)
            .map_err(|e| format!("screenshot {}: {e}", path.display()))?;
        Ok(path.to_path_buf())
    }

    /// A picture of the whole window, as an RGBA frame.
    pub fn grab(&self) -> Result<Frame, String> {
        self.window.grab().map_err(|e| e.to_string())
    }

    /// A picture of the image area only (the FrameView's part of the window).
    pub fn grab_view(&self) -> Result<Frame, String> {
        self.view.grab().map_err(|e| e.to_string())
    }

    /// The middle half (in each direction) of the image as the view shows it: the fitted
    /// image, without the fill around it or anything drawn at its edges.
    pub fn grab_image_middle(&self) -> Result<Frame, String> {
        let area = self.grab_view()?;
        let fw = self
            .view
            .get::<f64>("frameWidth")
            .map_err(|e| e.to_string())?;
        let fh = self
            .view
            .get::<f64>("frameHeight")
            .map_err(|e| e.to_string())?;
        if fw <= 0.0 || fh <= 0.0 {
            return Err("the view shows no image".into());
        }
        let (aw, ah) = (area.width() as f64, area.height() as f64);
        let scale = (aw / fw).min(ah / fh);
        let (w, h) = (fw * scale, fh * scale);
        let (x0, y0) = ((aw - w) / 2.0, (ah - h) / 2.0);
        crop(
            &area,
            (x0 + w / 4.0) as u32,
            (y0 + h / 4.0) as u32,
            (w / 2.0) as u32,
            (h / 2.0) as u32,
        )
    }
}

/// The `w` x `h` rectangle at (`x`, `y`) of `frame`, clipped to it.
pub fn crop(frame: &Frame, x: u32, y: u32, w: u32, h: u32) -> Result<Frame, String> {
    let (x1, y1) = ((x + w).min(frame.width()), (y + h).min(frame.height()));
    if x >= x1 || y >= y1 {
        return Err(format!("empty crop {w}x{h} at ({x}, {y})"));
    }
    let mut bytes = Vec::with_capacity(((x1 - x) * (y1 - y) * 4) as usize);
    for yy in y..y1 {
        for xx in x..x1 {
            bytes.extend_from_slice(&frame.pixel(xx, yy));
        }
    }
    Frame::rgba8(x1 - x, y1 - y, bytes).map_err(|e| e.to_string())
}

/// Scenarios that stream frames (their progress counts the frames produced).
pub const STREAMS: &[&str] = &["running_mean", "endless"];

/// The workers of `long_tasks` (the supervisor and its three children) and what each row's
/// status line says once the body has reported (`cx.progress_text`).
pub const LONG_TASKS: &[(&str, &str)] = &[
    ("long_tasks", "tasks running"),
    ("scan", "scanning block"),
    ("download", " MB"),
    ("index", "documents"),
];

/// The row `long_tasks` stops with its STOP button.
pub const STOPPED_TASK: &str = "download";

/// Per-scenario time limit (debug builds are slower; the limit guards hangs only).
pub const LIMIT: Duration = Duration::from_secs(120);

/// Runs scenario `name` in the viewer and drives it to its end like a user would; extra
/// screenshots go to `out` (`long_tasks`). Returns a note for the summary line.
pub fn drive(v: &Viewer, name: &str, args: Option<QVariant>, out: &Path) -> Result<String, String> {
    v.run(name, args)?;
    match name {
        "average_stack" => {
            let beats0 = v.prop_f64("heartbeat");
            let t0 = Instant::now();
            v.wait_finished(LIMIT)?;
            let secs = t0.elapsed().as_secs_f64();
            let beats = v.prop_f64("heartbeat") - beats0;
            v.wait("the mean image", LIMIT, || v.shown() >= 1)?;
            if beats < 2.0 && secs > 0.2 {
                return Err(format!("the GUI froze: {beats} ticks in {secs:.2} s"));
            }
            Ok(format!(
                "GUI ticked {beats} times during the {:.2} s computation",
                secs
            ))
        }
        "running_mean" => {
            v.wait_finished(LIMIT)?;
            v.wait("the last mean on screen", LIMIT, || {
                v.shown() >= 1 && v.received() >= 1
            })?;
            process_events(Duration::from_millis(50));
            let img = v.grab_image_middle()?;
            Ok(format!(
                "last mean: grey {:.1}, spread {:.1}",
                img.mean_gray(),
                img.gray_stddev()
            ))
        }
        "endless" => {
            let t0 = Instant::now();
            v.wait(
                "1 s of streaming, 60 frames produced and 5 shown",
                LIMIT,
                || {
                    t0.elapsed() >= Duration::from_secs(1)
                        && v.prop_f64("produced") >= 60.0
                        && v.shown() >= 5
                },
            )?;
            v.click("stopButton")?;
            v.wait_finished(LIMIT)?;
            Ok(format!(
                "STOP pressed; stream ended after {} frames",
                v.prop_f64("produced")
            ))
        }
        "multiplier" => {
            let mut expect = 1.0;
            for factor in ["3", "2", "0"] {
                v.wait(&format!("paused at total {expect}"), LIMIT, || {
                    v.state() == "paused" && v.prop_f64("total") == expect
                })?;
                v.type_enter("factorField", factor)?;
                expect *= factor.parse::<f64>().unwrap_or(1.0);
            }
            v.wait_finished(LIMIT)?;
            let result = v.text("resultText");
            if result != "Game Over!" {
                return Err(format!("expected \"Game Over!\", got {result:?}"));
            }
            Ok("sent 3, 2, 0: returned \"Game Over!\"".to_string())
        }
        "error" => {
            v.wait_finished(LIMIT)?;
            let err = v.text("errorText");
            if err.is_empty() {
                return Err("no error was reported".into());
            }
            Ok(format!("errored: {err}"))
        }
        "many_workers" => {
            v.wait_finished(LIMIT)?;
            let result = v.text("resultText");
            Ok(result)
        }
        "long_tasks" => {
            let result = long_tasks(v, out);
            // Whatever happened, leave nothing asking and nothing running.
            if v.guard_asking() {
                let _ = v.guard.invoke("keepRunning", &[]);
            }
            if v.live_tasks() > 0 || matches!(v.state().as_str(), "pending" | "running" | "paused")
            {
                let _ = v.click("stopAllButton");
                let _ = v.wait("every worker to end", LIMIT, || {
                    v.state() == "finished" && v.live_tasks() == 0
                });
            }
            result
        }
        other => {
            v.wait_finished(LIMIT)?;
            Ok(format!("{other} finished"))
        }
    }
}

/// `long_tasks`: the Tasks panel lists the four workers with their status lines
/// (`<out>/long_tasks_running.png`); a row's STOP ends that worker and its row goes; closing
/// the window while the rest run makes the CloseGuard ask (`<out>/long_tasks_close_guard.png`);
/// "Keep running" keeps the window open and the workers going; "Stop all" ends them.
fn long_tasks(v: &Viewer, out: &Path) -> Result<String, String> {
    let rows_have = |names: &[String], want: &str| names.iter().any(|n| n == want);
    v.wait(
        "the Tasks panel to list long_tasks, scan, download and index with their status lines",
        LIMIT,
        || {
            let names = v.task_names();
            LONG_TASKS.iter().all(|(task, says)| {
                rows_have(&names, task) && v.label(&format!("taskStatus_{task}")).contains(says)
            }) && v.live_tasks() >= LONG_TASKS.len() as i64
        },
    )?;
    let before = v.task_rows();
    // The bars have drawn, elapsed seconds have shown: then the picture.
    process_events(Duration::from_millis(150));
    v.save_shot(&out.join("long_tasks_running.png"))?;

    v.click(&format!("taskStop_{STOPPED_TASK}"))?;
    v.wait(
        &format!("the {STOPPED_TASK} row to go and the others to stay"),
        LIMIT,
        || {
            let names = v.task_names();
            !rows_have(&names, STOPPED_TASK)
                && v.task_rows() == before - 1
                && LONG_TASKS
                    .iter()
                    .filter(|(t, _)| *t != STOPPED_TASK)
                    .all(|(t, _)| rows_have(&names, t))
        },
    )?;
    v.wait("the scenario to count 2 of 3 running", LIMIT, || {
        v.prop_f64("longLive") == 2.0
    })?;

    // Close the window while workers run: the guard turns the close down and asks.
    v.window.invoke("close", &[])?;
    if !v.guard_asking() {
        return Err("closing the window with workers running did not ask".into());
    }
    let reason = v.guard.get::<String>("reason").unwrap_or_default();
    if reason != "close" {
        return Err(format!(
            "the CloseGuard's reason is {reason:?}, not \"close\""
        ));
    }
    // The dialog lists the tasks: give it a few frames to fill, then the picture.
    process_events(Duration::from_millis(200));
    v.save_shot(&out.join("long_tasks_close_guard.png"))?;
    v.guard.invoke("keepRunning", &[])?;
    if v.guard_asking() {
        return Err("the dialog stayed up after \"Keep running\"".into());
    }
    if v.window.get::<bool>("visible") != Ok(true) {
        return Err("the window closed although \"Keep running\" was chosen".into());
    }
    process_events(Duration::from_millis(100));
    if v.state() != "running" || v.task_rows() != before - 1 {
        return Err(format!(
            "after \"Keep running\" the workers stopped (state {}, {} rows)",
            v.state(),
            v.task_rows()
        ));
    }

    v.click("stopAllButton")?;
    v.wait_finished(LIMIT)?;
    v.wait("the Tasks panel to empty", LIMIT, || {
        v.task_rows() == 0 && v.live_tasks() == 0
    })?;
    Ok(format!(
        "{before} rows; STOP on {STOPPED_TASK} removed its row; close asked, kept running; Stop all ended the rest"
    ))
}

/// Runs `name`, saves `<out>/<name>.png`, and reports the outcome (never panics).
pub fn tour_one(v: &Viewer, name: &str, args: Option<QVariant>, out: &Path) -> Outcome {
    let t0 = Instant::now();
    let result = drive(v, name, args, out);
    let elapsed = t0.elapsed();
    // Let the last frame reach the screen before the picture.
    process_events(Duration::from_millis(100));
    let path = out.join(format!("{name}.png"));
    let saved = qworker::image::save_image(&v.window.grab_image(), &path);
    let (ok, mut note) = match result {
        Ok(n) => (true, n),
        Err(e) => (false, e),
    };
    if let Err(e) = &saved {
        note.push_str(&format!(" (screenshot: {e})"));
    }
    Outcome {
        name: name.to_string(),
        ok: ok && saved.is_ok(),
        events: v.window.get::<i64>("events").unwrap_or(0),
        produced: v.prop_f64("produced"),
        received: v.received(),
        shown: v.shown(),
        elapsed,
        note,
        screenshot: saved.ok().map(|_| path),
    }
}
