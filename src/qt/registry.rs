//! Tasks registered by name, so QML and C++ can start Rust work without Rust glue:
//! `Worker { task: "mean"; args: [512] }` in QML, `worker.setTask("mean")` in C++.
//!
//! A task is a body plus the types of its arguments. Starting a `Worker` whose task is
//! unknown, or whose arguments do not convert, still runs the normal lifecycle: `started`,
//! `errored` with a message that says what was expected, `finished`. The application goes on.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use cxx_qt_lib::QVariant;

use super::driver::{Driver, Maker, make_driver};
use super::glue::{self, Level, log};
use super::qobject::set_task_source;
use super::variant::{ConvertError, FromVariant, ToVariant, YieldVariant};
use crate::Context;
use crate::WorkerKind;
use crate::core::{SmallBody, lock};

type Factory = Arc<dyn Fn(&[QVariant]) -> Result<Maker, String> + Send + Sync>;

static REGISTRY: Mutex<BTreeMap<String, Factory>> = Mutex::new(BTreeMap::new());

fn short(name: &str) -> &str {
    // "alloc::string::String" -> "String"; keeps generics readable enough for messages.
    name.rsplit("::").next().unwrap_or(name)
}

/// The arguments of a registered task, converted from the `QVariant`s QML or C++ pass.
/// Implemented for `()` and tuples of up to four [`FromVariant`] values.
///
/// ```
/// use qworker::FromArgs;
/// use cxx_qt_lib::QVariant;
/// let args = [QVariant::from(&3i32), QVariant::from(&0.5f64)];
/// assert_eq!(<(u32, f64)>::from_args(&args), Ok((3, 0.5)));
/// assert!(<(u32,)>::from_args(&args).is_err()); // wrong count: a clear error
/// assert_eq!(<(u32, f64)>::signature(), "(u32, f64)");
/// ```
pub trait FromArgs: Sized + Send + 'static {
    /// The expected arguments, as shown in error messages.
    fn signature() -> String;
    /// Converts the arguments, or says what was expected.
    fn from_args(args: &[QVariant]) -> Result<Self, ConvertError>;
}

impl FromArgs for () {
    fn signature() -> String {
        "no arguments".to_string()
    }

    fn from_args(args: &[QVariant]) -> Result<Self, ConvertError> {
        if args.is_empty() {
            Ok(())
        } else {
            Err(ConvertError::new(format!(
                "expected no arguments, got {}",
                args.len()
            )))
        }
    }
}

macro_rules! from_args_tuple {
    ($n:literal; $($name:ident : $idx:tt),+) => {
        impl<$($name: FromVariant + Send + 'static),+> FromArgs for ($($name,)+) {
            fn signature() -> String {
                let names: Vec<&str> = vec![$(short(std::any::type_name::<$name>())),+];
                format!("({})", names.join(", "))
            }

            fn from_args(args: &[QVariant]) -> Result<Self, ConvertError> {
                if args.len() != $n {
                    return Err(ConvertError::new(format!(
                        "expected {} argument(s) {}, got {}",
                        $n,
                        Self::signature(),
                        args.len()
                    )));
                }
                Ok(($(
                    $name::from_variant(&args[$idx]).map_err(|e| {
                        ConvertError::new(format!("argument {}: {e}", $idx + 1))
                    })?,
                )+))
            }
        }
    };
}
from_args_tuple!(1; A: 0);
from_args_tuple!(2; A: 0, B: 1);
from_args_tuple!(3; A: 0, B: 1, C: 2);
from_args_tuple!(4; A: 0, B: 1, C: 2, D: 3);

fn insert(name: &str, factory: Factory) {
    set_task_source(maker_for);
    let old = lock(&REGISTRY).insert(name.to_string(), factory);
    if old.is_some() {
        log(
            Level::Warning,
            &format!("task '{name}' was registered again; the new body replaces the old one"),
        );
    }
}

fn maker<A, Y, S, R, E>(
    name: &str,
    args: &[QVariant],
    kind: WorkerKind,
    body: impl FnOnce(A, &mut Context<Y, S>) -> Result<R, E> + Send + 'static,
) -> Result<Maker, String>
where
    A: FromArgs,
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    let a =
        A::from_args(args).map_err(|e| format!("task '{name}' takes {}: {e}", A::signature()))?;
    Ok(Box::new(move |options| {
        let gui = glue::known_gui_thread();
        make_driver(SmallBody::new(move |cx| body(a, cx)), kind, options, gui) as Rc<dyn Driver>
    }))
}

/// Registers a generator task: QML's `Worker { task: name; args: [...] }` (or a C++
/// `QWorker` with `setTask`) runs `body` with the converted arguments.
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// qworker::register_generator("count", |(n,): (u32,), cx: &mut Context<u32>| -> Result<(), BoxError> {
///     for i in 0..n {
///         cx.yield_(i)?;
///     }
///     Ok(())
/// });
/// // QML: Worker { task: "count"; args: [10]; onYielded: (v) => console.log(v) }
/// ```
pub fn register_generator<A, Y, S, R, E, F>(name: &str, body: F)
where
    A: FromArgs,
    F: Fn(A, &mut Context<Y, S>) -> Result<R, E> + Send + Sync + 'static,
    Y: ToVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    register(name, WorkerKind::Generator, body);
}

/// Registers a function task (runs once; `cx.check()` lets `quit()` stop it).
///
/// ```no_run
/// use qworker::{BoxError, Context};
/// qworker::register_function("sum", |(a, b): (f64, f64), _cx: &mut Context| -> Result<f64, BoxError> {
///     Ok(a + b)
/// });
/// // QML: Worker { task: "sum"; args: [1, 2]; onReturned: (v) => console.log(v) }
/// ```
pub fn register_function<A, R, E, F>(name: &str, body: F)
where
    A: FromArgs,
    F: Fn(A, &mut Context) -> Result<R, E> + Send + Sync + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    register(name, WorkerKind::Function, body);
}

/// Registers `body` under `name`: each start converts the arguments and builds a driver.
fn register<A, Y, S, R, E, F>(name: &str, kind: WorkerKind, body: F)
where
    A: FromArgs,
    F: Fn(A, &mut Context<Y, S>) -> Result<R, E> + Send + Sync + 'static,
    Y: YieldVariant + Send + 'static,
    S: FromVariant + Send + 'static,
    R: ToVariant + Send + 'static,
    E: Display + Send + 'static,
{
    let body = Arc::new(body);
    let task = name.to_string();
    insert(
        name,
        Arc::new(move |args| {
            let body = body.clone();
            maker(&task, args, kind, move |a, cx| body(a, cx))
        }),
    );
}

/// The names of the registered tasks, sorted.
///
/// ```
/// assert!(qworker::registered_tasks().iter().all(|t| !t.is_empty()));
/// ```
pub fn registered_tasks() -> Vec<String> {
    lock(&REGISTRY).keys().cloned().collect()
}

/// The maker for task `name` with `args` (the `QWorker`'s task source); for an unknown task
/// or bad arguments, the message that says what was expected.
fn maker_for(name: &str, args: &[QVariant]) -> Result<Maker, String> {
    let factory = lock(&REGISTRY).get(name).cloned();
    match factory {
        Some(f) => f(args),
        None => {
            let known = registered_tasks();
            Err(if known.is_empty() {
                format!(
                    "unknown task '{name}': no task is registered (register one from Rust with qworker::register_generator or register_function)"
                )
            } else {
                format!(
                    "unknown task '{name}'; registered tasks: {}",
                    known.join(", ")
                )
            })
        }
    }
}
