//! A tiny harness for Qt tests: one QGuiApplication on the real main thread, cases run one
//! after another, a panic fails the case (not the run), and the last line reads
//! `N passed, N failed` for CI.
//!
//! Each test binary's `main` creates what Qt needs (the application, maybe an engine) and
//! hands its table of named case functions to [`run`].

#![allow(dead_code)]

pub mod rng;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Sets the offscreen platform when nothing else was chosen (CI has no display).
pub fn headless() {
    if std::env::var_os("QT_QPA_PLATFORM").is_none() {
        // SAFETY: called at the start of main, before any thread exists.
        unsafe { std::env::set_var("QT_QPA_PLATFORM", "offscreen") };
    }
}

pub struct Harness {
    passed: usize,
    failed: Vec<String>,
    filter: Option<String>,
}

impl Harness {
    pub fn new() -> Self {
        // `cargo test -- name` passes the filter as the first free argument.
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        Harness {
            passed: 0,
            failed: vec![],
            filter,
        }
    }

    pub fn case(&mut self, name: &str, f: impl FnOnce()) {
        if self
            .filter
            .as_ref()
            .is_some_and(|p| !name.contains(p.as_str()))
        {
            return;
        }
        let t0 = Instant::now();
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(()) => {
                self.passed += 1;
                println!("test {name} ... ok ({:.0?})", t0.elapsed());
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                println!("test {name} ... FAILED: {msg}");
                self.failed.push(name.to_string());
            }
        }
    }

    /// Prints the summary and exits with 1 if anything failed.
    pub fn finish(self) -> ! {
        if !self.failed.is_empty() {
            println!("failed: {}", self.failed.join(", "));
        }
        println!("{} passed, {} failed", self.passed, self.failed.len());
        std::process::exit(if self.failed.is_empty() { 0 } else { 1 });
    }
}

/// Runs `cases` in order through a [`Harness`] (`cargo test -- NAME` runs those whose name
/// contains NAME), prints `test NAME ... ok` or `... FAILED: why` for each and the summary
/// `N passed, N failed`, and exits: code 1 if any case failed. Creates nothing Qt-specific.
pub fn run(cases: &[(&str, fn())]) -> ! {
    let mut h = Harness::new();
    for &(name, case) in cases {
        h.case(name, case);
    }
    h.finish()
}

/// Spins the event loop until `cond` holds; panics (failing the case) after 30 s.
pub fn wait(what: &str, cond: impl FnMut() -> bool) {
    assert!(
        qworker::testing::wait_until(Duration::from_secs(30), cond),
        "timed out waiting for {what}"
    );
}
