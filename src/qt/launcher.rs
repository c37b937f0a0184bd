//! [`Launcher`]: named worker factories registered from Rust that QML (or C++) can call,
//! `launcher.launch("running_mean", {size: 512})`, getting a `Worker` back. For QML apps,
//! examples and tools that pick work at run time without a bridge file of their own.
//!
//! Guarantees: the launcher owns every worker it launched until `release(worker)` or until
//! the launcher is dropped; releasing (or dropping) asks the worker to quit and deletes its
//! QObject (QML references to it become `null`). An unknown name or a factory error is a
//! warning through Qt's message handler and an `undefined` result, never a crash.

use std::pin::Pin;

use cxx::UniquePtr;
use cxx_qt::CxxQtType;
use cxx_qt_lib::{QList, QObjectMutPtr, QString, QStringList, QVariant};

use super::qobject::{Level, log};
use super::variant::{FromVariant, ToVariant};
use super::worker::{FunctionWorker, GeneratorWorker};

#[cxx_qt::bridge]
mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
        include!("cxx-qt-lib/qstringlist.h");
        type QStringList = cxx_qt_lib::QStringList;
        include!("cxx-qt-lib/qvariant.h");
        type QVariant = cxx_qt_lib::QVariant;
    }

    unsafe extern "RustQt" {
        /// Named worker factories for QML: `launch(name, args)` returns a new `Worker`.
        #[qobject]
        #[qml_element]
        #[qml_uncreatable]
        #[qproperty(QStringList, names, READ = name_list, NOTIFY = names_changed)]
        #[qproperty(i32, launched, READ = launched_count, NOTIFY = launched_changed)]
        type Launcher = super::LauncherRust;

        #[qsignal]
        #[cxx_name = "namesChanged"]
        fn names_changed(self: Pin<&mut Launcher>);
        #[qsignal]
        #[cxx_name = "launchedChanged"]
        fn launched_changed(self: Pin<&mut Launcher>);

        fn name_list(self: &Launcher) -> QStringList;
        fn launched_count(self: &Launcher) -> i32;

        /// Creates a worker with the factory registered as `name`, passing `args` (any
        /// value, e.g. a JS object). Returns the `Worker` (not started), or `undefined` with a
        /// warning.
        #[qinvokable]
        #[cxx_name = "launch"]
        fn launch_variant(self: Pin<&mut Launcher>, name: &QString, args: &QVariant) -> QVariant;

        /// Quits and deletes a worker this launcher made. False if it is not one of them.
        #[qinvokable]
        #[cxx_name = "release"]
        fn release_variant(self: Pin<&mut Launcher>, worker: &QVariant) -> bool;

        /// Quits and deletes every worker this launcher made.
        #[qinvokable]
        #[cxx_name = "releaseAll"]
        fn release_all(self: Pin<&mut Launcher>);

        /// The description registered with `name` ("" if unknown).
        #[qinvokable]
        fn description(self: &Launcher, name: &QString) -> QString;
    }

    #[namespace = "rust::cxxqtlib1"]
    unsafe extern "C++" {
        include!("cxx-qt-lib/common.h");
        #[rust_name = "new_launcher"]
        fn make_unique() -> UniquePtr<Launcher>;
    }
}

pub use ffi::Launcher as LauncherObject;

/// A worker value a [`Launcher`] can own and hand to QML: every generator and function
/// worker.
pub trait Launched: 'static {
    /// The worker's `QObject*` as a `QVariant` (see `WorkerBase::to_qvariant`).
    fn worker_variant(&self) -> QVariant;
}

impl<Y, R, E, S> Launched for GeneratorWorker<Y, R, E, S>
where
    Y: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
    S: Send + 'static,
{
    fn worker_variant(&self) -> QVariant {
        self.to_qvariant()
    }
}

impl<R, E> Launched for FunctionWorker<R, E>
where
    R: Send + 'static,
    E: Send + 'static,
{
    fn worker_variant(&self) -> QVariant {
        self.to_qvariant()
    }
}

type Factory = Box<dyn Fn(&QVariant) -> Result<Box<dyn Launched>, String>>;

struct Entry {
    name: String,
    description: String,
    factory: Factory,
}

/// The Rust side of a `Launcher`.
#[derive(Default)]
pub struct LauncherRust {
    entries: Vec<Entry>,
    /// Launched workers, with their QObject address for `release`.
    live: Vec<(usize, Box<dyn Launched>)>,
}

fn qobject_address(v: &QVariant) -> Option<usize> {
    v.value::<QObjectMutPtr>()
        .map(|p| p.as_mut_ptr() as usize)
        .filter(|&a| a != 0)
}

impl ffi::Launcher {
    fn name_list(&self) -> QStringList {
        let mut list = QList::<QString>::default();
        for e in &self.rust().entries {
            list.append(QString::from(e.name.as_str()));
        }
        QStringList::from(&list)
    }

    fn launched_count(&self) -> i32 {
        self.rust().live.len() as i32
    }

    fn description(&self, name: &QString) -> QString {
        let name = name.to_string();
        self.rust()
            .entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| QString::from(e.description.as_str()))
            .unwrap_or_default()
    }

    fn launch_variant(self: Pin<&mut Self>, name: &QString, args: &QVariant) -> QVariant {
        match self.launch(&name.to_string(), args) {
            Ok(v) => v,
            Err(e) => {
                log(Level::Warning, &format!("Launcher.launch: {e}"));
                QVariant::default()
            }
        }
    }

    /// Creates a worker with the factory `name`; the launcher owns it. Returns its
    /// `QObject*` as a `QVariant`.
    fn launch(mut self: Pin<&mut Self>, name: &str, args: &QVariant) -> Result<QVariant, String> {
        let worker = {
            let r = self.rust();
            let entry = r.entries.iter().find(|e| e.name == name).ok_or_else(|| {
                let known: Vec<&str> = r.entries.iter().map(|e| e.name.as_str()).collect();
                format!("no factory named {name:?} (known: {})", known.join(", "))
            })?;
            (entry.factory)(args).map_err(|e| format!("{name}: {e}"))?
        };
        let v = worker.worker_variant();
        let addr =
            qobject_address(&v).ok_or_else(|| format!("{name}: the worker has no QObject"))?;
        self.as_mut().rust_mut().get_mut().live.push((addr, worker));
        self.launched_changed();
        Ok(v)
    }

    fn release_variant(self: Pin<&mut Self>, worker: &QVariant) -> bool {
        qobject_address(worker).is_some_and(|a| self.release_address(a))
    }

    fn release_address(mut self: Pin<&mut Self>, addr: usize) -> bool {
        let taken = {
            let mut r = self.as_mut().rust_mut();
            let live = &mut r.as_mut().get_mut().live;
            live.iter()
                .position(|(a, _)| *a == addr)
                .map(|i| live.remove(i))
        };
        let found = taken.is_some();
        // Dropped outside the borrow: dropping quits the worker and deletes its QObject.
        drop(taken);
        if found {
            self.launched_changed();
        }
        found
    }

    fn release_all(mut self: Pin<&mut Self>) {
        let all = std::mem::take(&mut self.as_mut().rust_mut().get_mut().live);
        let any = !all.is_empty();
        drop(all);
        if any {
            self.launched_changed();
        }
    }
}

/// Named worker factories, owned from Rust and handed to QML.
///
/// ```no_run
/// use qworker::{BoxError, Context, Launcher};
/// let launcher = Launcher::new();
/// launcher.register("count", "counts to args.n", |args: Option<u32>| {
///     let n = args.unwrap_or(10);
///     Ok(qworker::generator(move |cx: &mut Context<u32>| -> Result<(), BoxError> {
///         for i in 0..n {
///             cx.yield_(i)?;
///         }
///         Ok(())
///     }))
/// });
/// // engine.set_initial_properties(...{"launcher": launcher.to_qvariant()}...);
/// // QML: var w = launcher.launch("count", 5); w.start()
/// ```
pub struct Launcher {
    /// Owned (made by `UniquePtr::into_raw`, freed in `Drop`).
    obj: *mut ffi::Launcher,
}

impl Default for Launcher {
    fn default() -> Self {
        Launcher::new()
    }
}

impl Launcher {
    /// An empty launcher. Call it on the GUI thread, after the application object exists.
    pub fn new() -> Launcher {
        let mut obj = ffi::new_launcher();
        {
            use cxx_qt::casting::Upcast;
            let o: Pin<&mut cxx_qt::QObject> = obj.pin_mut().upcast_pin();
            // QML must never garbage-collect it: Rust owns it.
            super::qobject::ffi::set_cpp_ownership(o);
        }
        Launcher {
            obj: obj.into_raw(),
        }
    }

    /// Registers `factory` as `name` (replacing an earlier one of that name). QML's `args`
    /// are converted to `A` first; a conversion error is reported as a warning.
    pub fn register<A, W, F>(&self, name: &str, description: &str, factory: F) -> &Self
    where
        A: FromVariant,
        W: Launched,
        F: Fn(A) -> Result<W, String> + 'static,
    {
        let f: Factory = Box::new(move |v: &QVariant| {
            let args = A::from_variant(v).map_err(|e| format!("bad arguments: {e}"))?;
            factory(args).map(|w| Box::new(w) as Box<dyn Launched>)
        });
        self.with(|mut pin| {
            {
                let mut r = pin.as_mut().rust_mut();
                let entries = &mut r.as_mut().get_mut().entries;
                entries.retain(|e| e.name != name);
                entries.push(Entry {
                    name: name.to_string(),
                    description: description.to_string(),
                    factory: f,
                });
            }
            pin.names_changed();
        });
        self
    }

    /// Runs `f` with the launcher's QObject.
    fn with<T>(&self, f: impl FnOnce(Pin<&mut ffi::Launcher>) -> T) -> T {
        // SAFETY: owned and alive until Drop; GUI-thread only (Launcher is !Send). Like QML's
        // calls into it, each use is a short re-entrant borrow that does not escape `f`.
        f(unsafe { Pin::new_unchecked(&mut *self.obj) })
    }

    /// Launches from Rust, as QML's `launch(name, args)` does; the launcher owns the worker.
    ///
    /// ```no_run
    /// # let launcher = qworker::Launcher::new();
    /// let worker = launcher.launch("count", &qworker::ToVariant::to_variant(&5u32).unwrap())?;
    /// # Ok::<(), String>(())
    /// ```
    pub fn launch(&self, name: &str, args: &QVariant) -> Result<QVariant, String> {
        self.with(|p| p.launch(name, args))
    }

    /// Quits and deletes a launched worker (given as its QVariant). False if unknown.
    pub fn release(&self, worker: &QVariant) -> bool {
        self.with(|p| p.release_variant(worker))
    }

    /// Quits and deletes every launched worker.
    pub fn release_all(&self) {
        self.with(|p| p.release_all());
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.with(|p| p.rust().entries.iter().map(|e| e.name.clone()).collect())
    }

    /// How many launched workers it owns.
    pub fn launched(&self) -> usize {
        self.with(|p| p.rust().live.len())
    }

    /// The launcher's `QObject*` as a `QVariant`, for QML initial or context properties.
    pub fn to_qvariant(&self) -> QVariant {
        use cxx_qt::casting::Upcast;
        let p: *const ffi::Launcher = self.obj;
        // SAFETY: alive (owned); Launcher is a QObject subclass.
        let o = unsafe { <ffi::Launcher as Upcast<cxx_qt::QObject>>::upcast_ptr(p) }.cast_mut();
        QVariant::from(&unsafe { QObjectMutPtr::from_raw(o) })
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // Workers first (they quit and delete their QObjects), then the launcher's QObject.
        self.with(|p| p.release_all());
        // SAFETY: made by `UniquePtr::into_raw` in `new`, freed once, here.
        drop(unsafe { UniquePtr::from_raw(self.obj) });
    }
}

impl ToVariant for Launcher {
    fn to_variant(&self) -> Result<QVariant, super::variant::ConvertError> {
        Ok(self.to_qvariant())
    }
}
