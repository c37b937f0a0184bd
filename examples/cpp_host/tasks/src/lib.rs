//! The Rust half of the C++ host example: the tasks that `QWorker::setTask` can name in
//! `main.cpp`. The host calls `qworker_register_tasks()` (declared in `<qworker/qworker.h>`)
//! once at startup; from then on each `QWorker` runs one of these bodies on a pool thread and
//! delivers what it reports as Qt signals on the GUI thread.

use std::time::Duration;

use qworker::{BoxError, Context};

/// Registers the example's tasks. Called by the C++ host once, before it starts a worker.
#[unsafe(no_mangle)]
pub extern "C" fn qworker_register_tasks() {
    // The window's task: `steps` units of simulated work of `step_ms` each; yields a status
    // line and reports progress after each, returns a summary.
    qworker::register_generator(
        "scan",
        |(steps, step_ms): (u32, u32), cx: &mut Context<String>| -> Result<String, BoxError> {
            for i in 1..=steps {
                std::thread::sleep(Duration::from_millis(step_ms.into())); // the "work"
                cx.progress(i.into(), steps.into())?;
                cx.yield_(format!("step {i} of {steps}"))?;
            }
            Ok(format!("scanned {steps} steps"))
        },
    );

    // Yields 0..n with progress, returns their sum.
    qworker::register_generator(
        "count",
        |(n,): (u32,), cx: &mut Context<u32>| -> Result<u64, BoxError> {
            let mut sum = 0u64;
            for i in 0..n {
                cx.yield_(i)?;
                cx.progress(u64::from(i) + 1, n.into())?;
                sum += u64::from(i);
            }
            Ok(sum)
        },
    );

    // Yields 0, 1, 2, ... until the GUI sends a number in; then yields that number times 100
    // and returns "got <number>". Runs until then (or until quit).
    qworker::register_generator(
        "echo",
        |(): (), cx: &mut Context<i64, i64>| -> Result<String, BoxError> {
            let mut i = 0;
            loop {
                if let Some(v) = cx.yield_(i)? {
                    cx.yield_(v * 100)?;
                    return Ok(format!("got {v}"));
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(1)); // pacing, not timing
            }
        },
    );

    // A function task: runs once, returns a value.
    qworker::register_function(
        "sum",
        |(a, b): (f64, f64), _cx: &mut Context| -> Result<f64, BoxError> { Ok(a + b) },
    );

    // A function task that fails: `errored` with this message, then `finished`.
    qworker::register_function(
        "fail",
        |(why,): (String,), _cx: &mut Context| -> Result<(), BoxError> { Err(why.into()) },
    );
}
