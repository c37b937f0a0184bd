//! `WorkerPool` (QML singleton of the `QWorker` module, also a plain QObject for C++ and Rust):
//! the live task list as a `QAbstractListModel`, the number of live workers, `quitAll()`,
//! `awaitAll(ms)`, per-row `quit(row)`, and the application-quit guard `CloseGuard` uses.
//!
//! Every `WorkerPool` object is a view of the one task list of the GUI thread (`tasks.rs`):
//! QML's singleton, a C++ `new WorkerPool`, a Rust [`WorkerPool::create`] all show the same
//! rows. A view keeps the rows it showed last, so its model protocol (`beginInsertRows` ...)
//! stays exact between the list's coalesced syncs.
//!
//! # Quit guard
//!
//! While some view has `guardQuit` set and workers run, the application's Quit event
//! (`QCoreApplication::quit()`, `Qt.quit()` through a `QQmlApplicationEngine`, the
//! platform's quit) is turned down and every guarding view emits `quitRequested`: the
//! `CloseGuard` component asks the user. `exitApplication(code)` is not guarded.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use cxx_qt_lib::{
    QByteArray, QHash, QHashPair_i32_QByteArray, QModelIndex, QString, QVariant, QVector,
};

use super::glue::{self, Level, log};
use super::tasks::{self, Changed, RowRef, TaskInfo, View};

#[cxx_qt::bridge]
pub(crate) mod ffi {
    unsafe extern "C++Qt" {
        include!(<QtCore/QAbstractListModel>);
        /// Qt's list-model base class.
        #[qobject]
        type QAbstractListModel;
    }

    unsafe extern "C++" {
        include!("cxx-qt-lib/qhash.h");
        type QHash_i32_QByteArray = cxx_qt_lib::QHash<cxx_qt_lib::QHashPair_i32_QByteArray>;
        include!("cxx-qt-lib/qvariant.h");
        type QVariant = cxx_qt_lib::QVariant;
        include!("cxx-qt-lib/qmodelindex.h");
        type QModelIndex = cxx_qt_lib::QModelIndex;
        include!("cxx-qt-lib/qvector.h");
        type QVector_i32 = cxx_qt_lib::QVector<i32>;
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
    }

    unsafe extern "RustQt" {
        /// The live workers of the application, as a list model with one row per worker
        /// (roles `name`, `kind`, `state`, `progress`, `total`, `status`, `elapsed` (ms),
        /// `outcome`, `description`), and the controls that act on all of them.
        #[qobject]
        #[base = QAbstractListModel]
        #[qml_element]
        #[qml_singleton]
        #[qproperty(i32, count, READ = live_count, NOTIFY = count_changed)]
        #[qproperty(*mut WorkerPool, tasks, READ = tasks_model, CONSTANT)]
        #[qproperty(i32, keep_recent, cxx_name = "keepRecent", READ = keep_recent_value, WRITE = set_keep_recent, NOTIFY = keep_recent_changed)]
        #[qproperty(bool, guard_quit, cxx_name = "guardQuit", READ = is_guarding_quit, WRITE = set_guard_quit, NOTIFY = guard_quit_changed)]
        type WorkerPool = super::WorkerPoolRust;

        /// `count` changed.
        #[qsignal]
        #[cxx_name = "countChanged"]
        fn count_changed(self: Pin<&mut WorkerPool>);
        /// `keepRecent` changed.
        #[qsignal]
        #[cxx_name = "keepRecentChanged"]
        fn keep_recent_changed(self: Pin<&mut WorkerPool>);
        /// `guardQuit` changed.
        #[qsignal]
        #[cxx_name = "guardQuitChanged"]
        fn guard_quit_changed(self: Pin<&mut WorkerPool>);
        /// The application was asked to quit while workers run, and this object guards the
        /// quit (`guardQuit`): the quit was turned down; ask the user.
        #[qsignal]
        #[cxx_name = "quitRequested"]
        fn quit_requested(self: Pin<&mut WorkerPool>);

        /// `count`.
        #[cxx_name = "liveCount"]
        fn live_count(self: &WorkerPool) -> i32;
        /// `tasks`: this object (it is the model).
        #[cxx_name = "tasksModel"]
        fn tasks_model(self: &WorkerPool) -> *mut WorkerPool;
        /// `keepRecent`: how many ended tasks stay listed, with their outcome.
        #[cxx_name = "keepRecent"]
        fn keep_recent_value(self: &WorkerPool) -> i32;
        /// Sets `keepRecent` (for every view: there is one task list).
        #[cxx_name = "setKeepRecent"]
        fn set_keep_recent(self: Pin<&mut WorkerPool>, n: i32);
        /// `guardQuit`: turn down the application's quit while workers run (`CloseGuard`).
        #[cxx_name = "isGuardingQuit"]
        fn is_guarding_quit(self: &WorkerPool) -> bool;
        /// Sets `guardQuit`.
        #[cxx_name = "setGuardQuit"]
        fn set_guard_quit(self: Pin<&mut WorkerPool>, on: bool);

        /// Asks every live worker to quit; returns at once.
        #[qinvokable]
        #[cxx_name = "quitAll"]
        fn quit_all(self: Pin<&mut WorkerPool>);
        /// Asks every live worker to quit and waits up to `ms` milliseconds (blocking the GUI
        /// thread) for them to stop. `false`, with a warning naming them, when some did not.
        #[qinvokable]
        #[cxx_name = "awaitAll"]
        fn await_all(self: Pin<&mut WorkerPool>, ms: i32) -> bool;
        /// Asks the worker of `row` to quit. A warning, and nothing else, for a row that is out
        /// of range or has finished.
        #[qinvokable]
        fn quit(self: Pin<&mut WorkerPool>, row: i32);
        /// Ends the event loop with `code` (`QCoreApplication::exit`; never guarded).
        #[qinvokable]
        #[cxx_name = "exitApplication"]
        fn exit_application(self: Pin<&mut WorkerPool>, code: i32);

        /// The value of `role` for the row of `index`.
        #[cxx_override]
        fn data(self: &WorkerPool, index: &QModelIndex, role: i32) -> QVariant;
        /// The role names QML delegates use.
        #[cxx_override]
        #[cxx_name = "roleNames"]
        fn role_names(self: &WorkerPool) -> QHash_i32_QByteArray;
        /// The rows shown (QML calls the base class's invokable `rowCount()`, which lands
        /// here).
        #[cxx_override]
        #[cxx_name = "rowCount"]
        fn row_count(self: &WorkerPool, parent: &QModelIndex) -> i32;
    }

    unsafe extern "RustQt" {
        /// QAbstractItemModel's `dataChanged`.
        #[inherit]
        #[qsignal]
        #[cxx_name = "dataChanged"]
        fn data_changed(
            self: Pin<&mut WorkerPool>,
            top_left: &QModelIndex,
            bottom_right: &QModelIndex,
            roles: &QVector_i32,
        );
        /// # Safety
        /// Paired with `end_insert_rows`.
        #[inherit]
        #[cxx_name = "beginInsertRows"]
        unsafe fn begin_insert_rows(
            self: Pin<&mut WorkerPool>,
            parent: &QModelIndex,
            first: i32,
            last: i32,
        );
        /// # Safety
        /// After `begin_insert_rows`.
        #[inherit]
        #[cxx_name = "endInsertRows"]
        unsafe fn end_insert_rows(self: Pin<&mut WorkerPool>);
        /// # Safety
        /// Paired with `end_remove_rows`.
        #[inherit]
        #[cxx_name = "beginRemoveRows"]
        unsafe fn begin_remove_rows(
            self: Pin<&mut WorkerPool>,
            parent: &QModelIndex,
            first: i32,
            last: i32,
        );
        /// # Safety
        /// After `begin_remove_rows`.
        #[inherit]
        #[cxx_name = "endRemoveRows"]
        unsafe fn end_remove_rows(self: Pin<&mut WorkerPool>);
        /// The model index of `row`.
        #[inherit]
        fn index(self: &WorkerPool, row: i32, column: i32, parent: &QModelIndex) -> QModelIndex;
    }

    impl cxx_qt::Initialize for WorkerPool {}

    #[namespace = "rust::cxxqtlib1"]
    unsafe extern "C++" {
        include!("cxx-qt-lib/common.h");
        /// A new WorkerPool object.
        #[rust_name = "new_worker_pool"]
        fn make_unique() -> UniquePtr<WorkerPool>;
    }
}

pub use ffi::WorkerPool;

/// The tasks model's role names, as QML uses them; their ids are `Qt::UserRole + 1` on, in this
/// order (`roleNames()` gives the same from C++).
///
/// ```
/// assert_eq!(qworker::TASK_ROLES[0], "name");
/// assert_eq!(qworker::TASK_ROLES.iter().position(|r| *r == "status"), Some(5)); // UserRole + 6
/// ```
pub const TASK_ROLES: [&str; 9] = [
    "name",
    "kind",
    "state",
    "progress",
    "total",
    "status",
    "elapsed",
    "outcome",
    "description",
];
const USER_ROLE: i32 = 0x0100;

/// The roles (indexes into [`TASK_ROLES`]) that show each kind of change.
const CHANGED_ROLES: [(Changed, &[i32]); 5] = [
    (Changed::STATE, &[2]),
    (Changed::PROGRESS, &[3, 4]),
    (Changed::STATUS, &[5]),
    (Changed::ELAPSED, &[6]),
    (Changed::OUTCOME, &[7]),
];

/// The role ids a `dataChanged` names for `changed`.
fn changed_roles(changed: Changed) -> QVector<i32> {
    let mut roles = QVector::<i32>::default();
    for (c, indexes) in CHANGED_ROLES {
        if changed.contains(c) {
            for i in indexes {
                roles.append(USER_ROLE + 1 + i);
            }
        }
    }
    roles
}

/// The Rust side of a `WorkerPool` (cxx-qt's name for it; not used directly).
#[doc(hidden)]
#[derive(Default)]
pub struct WorkerPoolRust {
    /// The rows shown, with the version each was shown at.
    shown: RefCell<Vec<(RowRef, u64)>>,
    /// `count` as last notified.
    notified_count: Cell<i32>,
    view_id: Cell<u64>,
    self_ptr: Cell<Option<*mut WorkerPool>>,
    guard_quit: Cell<bool>,
}

impl std::fmt::Debug for WorkerPoolRust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPool")
            .field("rows", &self.shown.borrow().len())
            .field("guard_quit", &self.guard_quit.get())
            .finish()
    }
}

impl Drop for WorkerPoolRust {
    fn drop(&mut self) {
        tasks::remove_view(self.view_id.get());
        GUARDS.with(|g| {
            if let Some(p) = self.self_ptr.get() {
                g.borrow_mut().retain(|q| *q != p);
            }
        });
    }
}

thread_local! {
    /// The `WorkerPool` objects with `guardQuit` set.
    static GUARDS: RefCell<Vec<*mut WorkerPool>> = const { RefCell::new(Vec::new()) };
}

/// A `WorkerPool` as the task list sees it.
struct PoolView(*mut WorkerPool);

impl View for PoolView {
    fn sync(&self, rows: &[RowRef], changed: Changed, count_moved: bool) {
        // SAFETY: the view is registered in `initialize` and removed in the Rust side's Drop,
        // which runs inside the object's destructor: while registered, the object is alive.
        // It is a QObject that never moves. Syncs run on the GUI thread, its thread, from a
        // timer, never from inside one of its own calls.
        let obj = unsafe { Pin::new_unchecked(&mut *self.0) };
        obj.sync_rows(rows, changed, count_moved);
    }
}

impl cxx_qt::Initialize for WorkerPool {
    fn initialize(mut self: Pin<&mut Self>) {
        // SAFETY: only the address is taken; nothing moves the object.
        let ptr = unsafe { self.as_mut().get_unchecked_mut() as *mut WorkerPool };
        self.self_ptr.set(Some(ptr));
        let id = tasks::add_view(Rc::new(PoolView(ptr)));
        self.view_id.set(id);
    }
}

impl WorkerPool {
    /// A new `WorkerPool` object: a view of the live task list, like QML's singleton.
    ///
    /// ```no_run
    /// let pool = qworker::WorkerPool::create();
    /// println!("{} worker(s) running", pool.live_count());
    /// ```
    pub fn create() -> cxx::UniquePtr<WorkerPool> {
        ffi::new_worker_pool()
    }

    /// QML `count`: live workers (started and not finished).
    pub fn live_count(&self) -> i32 {
        tasks::live_count().min(i32::MAX as usize) as i32
    }

    /// The rows this model shows now (as of its last update), like QML's `rowCount()`.
    pub fn shown_rows(&self) -> usize {
        self.shown.borrow().len()
    }

    /// Row `i` as this model shows it, like QML's roles; `None` out of range.
    ///
    /// ```no_run
    /// let pool = qworker::WorkerPool::create();
    /// if let Some(t) = pool.shown_row(0) {
    ///     println!("{} is {}", t.name, t.state.as_str());
    /// }
    /// ```
    pub fn shown_row(&self, i: usize) -> Option<TaskInfo> {
        let shown = self.shown.borrow();
        let (row, _) = shown.get(i)?;
        Some(row.borrow().info(Instant::now()))
    }

    fn tasks_model(&self) -> *mut WorkerPool {
        self.self_ptr.get().unwrap_or(std::ptr::null_mut())
    }

    fn keep_recent_value(&self) -> i32 {
        tasks::recent_tasks_kept().min(i32::MAX as usize) as i32
    }

    fn set_keep_recent(self: Pin<&mut Self>, n: i32) {
        if n < 0 {
            log(
                Level::Warning,
                &format!(
                    "WorkerPool.keepRecent: {n} is negative; it stays {}",
                    self.keep_recent_value()
                ),
            );
            return;
        }
        if n as usize != tasks::recent_tasks_kept() {
            tasks::set_recent_tasks_kept(n as usize);
            self.keep_recent_changed();
        }
    }

    /// QML `guardQuit`.
    pub fn is_guarding_quit(&self) -> bool {
        self.guard_quit.get()
    }

    /// QML `guardQuit`: while set and workers run, the application's quit requests are turned
    /// down and this object emits `quitRequested` (connect it with `on_quit_requested`); the
    /// hook a widget application builds its own close dialog on.
    pub fn set_guard_quit(self: Pin<&mut Self>, on: bool) {
        if self.guard_quit.replace(on) == on {
            return;
        }
        if let Some(p) = self.self_ptr.get() {
            GUARDS.with(|g| {
                let mut g = g.borrow_mut();
                g.retain(|q| *q != p);
                if on {
                    g.push(p);
                }
            });
        }
        if on {
            glue::install_quit_filter(allow_quit);
        }
        self.guard_quit_changed();
    }

    /// QML `quitAll()`.
    pub fn quit_all(self: Pin<&mut Self>) {
        tasks::quit_all();
    }

    /// QML `awaitAll(ms)`.
    pub fn await_all(self: Pin<&mut Self>, ms: i32) -> bool {
        if ms < 0 {
            log(
                Level::Warning,
                &format!("WorkerPool.awaitAll({ms}): a negative time; waiting 0 ms"),
            );
        }
        let timeout = Duration::from_millis(ms.max(0) as u64);
        match crate::await_workers(timeout) {
            Ok(()) => true,
            Err(e) => {
                log(Level::Warning, &format!("WorkerPool.awaitAll({ms}): {e}"));
                false
            }
        }
    }

    /// QML `quit(row)`.
    pub fn quit(self: Pin<&mut Self>, row: i32) {
        let shown = self.shown.borrow();
        let Some((r, _)) = usize::try_from(row).ok().and_then(|i| shown.get(i)) else {
            log(
                Level::Warning,
                &format!(
                    "WorkerPool.quit({row}): no such row (the model has {} row(s)); nothing quit",
                    shown.len()
                ),
            );
            return;
        };
        let r = r.borrow();
        if r.is_live() {
            r.quit();
        } else {
            log(
                Level::Warning,
                &format!(
                    "WorkerPool.quit({row}): worker '{}' has already finished; nothing to quit",
                    r.name()
                ),
            );
        }
    }

    /// QML `exitApplication(code)`.
    pub fn exit_application(self: Pin<&mut Self>, code: i32) {
        glue::exit_application(code);
    }

    fn data(&self, index: &QModelIndex, role: i32) -> QVariant {
        let shown = self.shown.borrow();
        let Some((row, _)) = usize::try_from(index.row()).ok().and_then(|i| shown.get(i)) else {
            return QVariant::default();
        };
        let r = row.borrow();
        match role - USER_ROLE - 1 {
            0 => QVariant::from(&QString::from(r.name().as_str())),
            1 => QVariant::from(&QString::from(r.kind.as_str())),
            2 => QVariant::from(&QString::from(r.state.as_str())),
            3 => QVariant::from(&(r.progress.done as f64)),
            4 => QVariant::from(&(r.progress.total as f64)),
            5 => QVariant::from(&QString::from(r.status_text().as_str())),
            6 => QVariant::from(&(r.elapsed(Instant::now()).as_secs_f64() * 1000.0)),
            7 => QVariant::from(&QString::from(r.outcome.map_or("", |o| o.as_str()))),
            8 => QVariant::from(&QString::from(r.description().as_str())),
            _ => QVariant::default(),
        }
    }

    fn role_names(&self) -> QHash<QHashPair_i32_QByteArray> {
        let mut roles = QHash::<QHashPair_i32_QByteArray>::default();
        for (i, name) in TASK_ROLES.iter().enumerate() {
            roles.insert(USER_ROLE + 1 + i as i32, QByteArray::from(*name));
        }
        roles
    }

    fn row_count(&self, parent: &QModelIndex) -> i32 {
        if parent.is_valid() {
            return 0;
        }
        self.shown.borrow().len() as i32
    }

    /// One sync from the task list (see `tasks.rs`, "# Coalescing").
    fn sync_rows(mut self: Pin<&mut Self>, rows: &[RowRef], changed: Changed, count_moved: bool) {
        let elapsed_moved = changed.contains(Changed::ELAPSED);
        let root = QModelIndex::default();
        // Ended rows the list dropped: remove them, back to front, one range per run. The
        // list drops rows only at a flush that says so (`count_moved`).
        let keep: HashSet<*const _> = if count_moved {
            rows.iter().map(Rc::as_ptr).collect()
        } else {
            HashSet::new()
        };
        let ranges = if !count_moved {
            Vec::new()
        } else {
            let shown = self.shown.borrow();
            let gone = |j: usize| !keep.contains(&Rc::as_ptr(&shown[j].0));
            let mut ranges = Vec::new();
            let mut j = shown.len();
            while j > 0 {
                if !gone(j - 1) {
                    j -= 1;
                    continue;
                }
                let last = j - 1;
                let mut first = last;
                while first > 0 && gone(first - 1) {
                    first -= 1;
                }
                ranges.push((first, last));
                j = first;
            }
            ranges
        };
        for (first, last) in ranges {
            // SAFETY: begin and end are paired, with the rows removed between them.
            unsafe {
                self.as_mut()
                    .begin_remove_rows(&root, first as i32, last as i32);
                self.shown.borrow_mut().drain(first..=last);
                self.as_mut().end_remove_rows();
            }
        }
        // New rows are appended (rows keep start order).
        let n = self.shown.borrow().len();
        if rows.len() > n {
            // SAFETY: paired, with the rows appended between them.
            unsafe {
                self.as_mut()
                    .begin_insert_rows(&root, n as i32, rows.len() as i32 - 1);
                self.shown
                    .borrow_mut()
                    .extend(rows[n..].iter().map(|r| (r.clone(), r.borrow().version)));
                self.as_mut().end_insert_rows();
            }
        }
        // Changed rows: one dataChanged from the first to the last.
        let mut range: Option<(usize, usize)> = None;
        for (j, (row, seen)) in self.shown.borrow_mut().iter_mut().enumerate() {
            let r = row.borrow();
            if r.version != *seen || (elapsed_moved && r.is_live()) {
                *seen = r.version;
                range = Some(range.map_or((j, j), |(a, _)| (a, j)));
            }
        }
        if let Some((a, b)) = range {
            let top = self.index(a as i32, 0, &root);
            let bottom = self.index(b as i32, 0, &root);
            self.as_mut()
                .data_changed(&top, &bottom, &changed_roles(changed));
        }
        let count = self.live_count();
        if self.notified_count.replace(count) != count || count_moved {
            self.as_mut().count_changed();
        }
    }
}

/// The quit filter's question: let the application quit? Not while workers run and some
/// `WorkerPool` guards the quit; those are told (`quitRequested`).
fn allow_quit() -> bool {
    if tasks::live_count() == 0 {
        return true;
    }
    let guards = GUARDS.with(|g| g.borrow().clone());
    if guards.is_empty() {
        return true;
    }
    for p in guards {
        // Guards leave the list in their Drop, so each pointer is a live object (GUI thread).
        if GUARDS.with(|g| g.borrow().contains(&p)) {
            // SAFETY: as in `PoolView::sync`; checked just now that it is still registered.
            let obj = unsafe { Pin::new_unchecked(&mut *p) };
            obj.quit_requested();
        }
    }
    false
}
