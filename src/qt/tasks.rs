//! The live task list: a row per worker started on the GUI thread (from Rust, QML or C++),
//! kept up to date by the drivers as they deliver, and shown by every `WorkerPool` object
//! (`workerpool.rs`) as a list model.
//!
//! # Coalescing
//!
//! A delivery changes its worker's row in place and marks the list dirty. The first mark
//! arms one single-shot timer ([`FLUSH_INTERVAL`]); when it fires, each view gets one sync:
//! ended rows removed, new rows appended, the changed rows in one `dataChanged`. However
//! often workers report, views change at most 1 / `FLUSH_INTERVAL` times a second. While a
//! row is running, the list re-arms itself every [`ELAPSED_TICK`] so `elapsed` moves; a
//! delivery brings that flush forward (`due` is the earliest time asked for; a shot that
//! fires before its time finds nothing due and does nothing).
//!
//! # Invariants
//!
//! - GUI thread only (thread-local): rows, views and the timer live where drivers live.
//! - Rows are in start order; a new row is always appended, so a view's rows are a
//!   subsequence of the list and a sync only appends, removes and changes.
//! - A row ends once: at `finished`, or when delivery stops without it (the worker's object
//!   was destroyed, its owner let go). An ended row is dropped at the next flush unless it
//!   is among the `keep_recent` newest ended rows, or before it when more than
//!   [`PRUNE_SLACK`] ended rows, or half the rows, wait (workers that end faster than the
//!   flushes come must not pile up; a prune walks every row, so it waits for enough ended
//!   rows to pay for the walk). An ended row keeps its worker's name and description, not
//!   the worker.
//! - Views are told nothing while they are being synced: a sync never re-enters the list.
//!
//! # Rows made on demand
//!
//! While nothing reads rows (no view, `keep_recent` 0), a started worker's entry is only a
//! weak reference to its driver ([`OnDemand`]) in a slot of `on_demand` ([`Waiting`]): no row
//! block, no updates, no timer. Its driver keeps what a row shows (state, progress, status,
//! start time, outcome) and the slot's index. The rows are made from the drivers when
//! something asks (a view is added, ended rows are to be kept, a flush syncs views,
//! [`live_tasks`]), all at once, and appended in start order (each slot holds a start number):
//! - while one entry waits for its row, no row is added ([`add`] runs only while rows are
//!   read, and making rows empties `on_demand`), so every waiting entry started after every
//!   row, and appending them keeps the list in start order;
//! - while rows are read, no live entry lacks its row, and an entry made on demand ends
//!   without one.
//!
//! A waiting entry whose worker ends (or whose driver goes) leaves its slot at once, with no
//! prune: with no ended rows kept, nothing could have shown it. So a worker that no one
//! watched costs the list two slot writes, and its driver's block is freed with the driver.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::glue;
use crate::{Progress, WorkerKind, WorkerState};

/// How long deliveries are gathered before the views are told (at most 20 syncs a second).
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// How many ended rows beyond `keep_recent` may wait for the next flush before they are
/// dropped at once (or half the rows, when that is more).
const PRUNE_SLACK: usize = 1024;

/// How often `elapsed` moves in the views while a task runs.
pub const ELAPSED_TICK: Duration = Duration::from_secs(1);

/// How a task ended, as the tasks model's `outcome` role shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The body returned a value.
    Returned,
    /// The body failed or panicked.
    Errored,
    /// Quit was requested (or the worker's object went away while it ran).
    Aborted,
    /// Its timeout passed (`.timeout(d)`).
    TimedOut,
}

impl Outcome {
    /// `"returned"`, `"errored"`, `"aborted"` or `"timedOut"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Returned => "returned",
            Outcome::Errored => "errored",
            Outcome::Aborted => "aborted",
            Outcome::TimedOut => "timedOut",
        }
    }
}

/// One row of the task list, as [`live_tasks`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// The worker's name.
    pub name: String,
    /// Function or generator.
    pub kind: WorkerKind,
    /// As last delivered: pending (started, not running yet), running, paused, finished.
    pub state: WorkerState,
    /// As last delivered.
    pub progress: Progress,
    /// The newest status line (`cx.progress_text`), else the description.
    pub status: String,
    /// The description set at creation (`.described(...)`).
    pub description: String,
    /// Since the body began (zero while pending), until it ended.
    pub elapsed: Duration,
    /// `None` while it runs.
    pub outcome: Option<Outcome>,
}

/// What a row reads from its worker when shown: the thread-safe half a driver shares with
/// its worker value, so a row costs one allocation and copies no text.
pub(crate) trait Source {
    fn name(&self) -> String;
    fn description(&self) -> String;
    fn quit(&self);
}

/// The mutable part of a row.
pub(crate) struct Row {
    source: RowSource,
    pub(crate) kind: WorkerKind,
    pub(crate) state: WorkerState,
    pub(crate) progress: Progress,
    pub(crate) status: String,
    pub(crate) started_at: Option<Instant>,
    pub(crate) ended_at: Option<Instant>,
    pub(crate) outcome: Option<Outcome>,
    /// Bumped at each change: views compare it with the version they showed.
    pub(crate) version: u64,
}

impl Row {
    pub(crate) fn is_live(&self) -> bool {
        self.ended_at.is_none()
    }

    pub(crate) fn elapsed(&self, now: Instant) -> Duration {
        match self.started_at {
            Some(t) => self.ended_at.unwrap_or(now).saturating_duration_since(t),
            None => Duration::ZERO,
        }
    }

    pub(crate) fn name(&self) -> String {
        match &self.source {
            RowSource::Live(s) => s.name(),
            RowSource::Ended(e) => e.as_ref().map(|e| e.0.clone()).unwrap_or_default(),
        }
    }

    pub(crate) fn description(&self) -> String {
        match &self.source {
            RowSource::Live(s) => s.description(),
            RowSource::Ended(e) => e.as_ref().map(|e| e.1.clone()).unwrap_or_default(),
        }
    }

    /// The status line, or the description when the body reported none.
    pub(crate) fn status_text(&self) -> String {
        if self.status.is_empty() {
            self.description()
        } else {
            self.status.clone()
        }
    }

    pub(crate) fn quit(&self) {
        if let RowSource::Live(s) = &self.source {
            s.quit();
        }
    }

    pub(crate) fn info(&self, now: Instant) -> TaskInfo {
        TaskInfo {
            name: self.name(),
            kind: self.kind,
            state: self.state,
            progress: self.progress,
            status: self.status_text(),
            description: self.description(),
            elapsed: self.elapsed(now),
            outcome: self.outcome,
        }
    }
}

/// What a row reads its worker's name and description from: the worker while it runs; a
/// copy once it ended (so an ended row does not keep the worker's state alive), none when
/// both are empty.
enum RowSource {
    Live(Arc<dyn Source>),
    Ended(Option<Box<(String, String)>>),
}

/// A row shared by its driver (which updates it) and the list (which shows it).
pub(crate) type RowRef = Rc<RefCell<Row>>;

/// A driver whose row is made on demand (see `# Rows made on demand`).
pub(crate) trait OnDemand {
    /// Its row, made now from what the driver holds (once; later calls return the same).
    fn row(&self) -> RowRef;
    /// Not ended yet (no `finished`, delivery not stopped).
    fn is_live(&self) -> bool;
    fn quit(&self);
}

/// The entries waiting for their rows (see `# Rows made on demand`): a slot per live worker
/// (its start number and its driver), reused once the worker ended.
#[derive(Default)]
struct Waiting {
    slots: Vec<Option<(u64, std::rc::Weak<dyn OnDemand>)>>,
    free: Vec<u32>,
    next_start: u64,
}

impl Waiting {
    fn add(&mut self, driver: std::rc::Weak<dyn OnDemand>) -> u32 {
        let start = self.next_start;
        self.next_start += 1;
        let entry = Some((start, driver));
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = entry;
                i
            }
            None => {
                self.slots.push(entry);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn remove(&mut self, slot: u32) -> Option<std::rc::Weak<dyn OnDemand>> {
        let (_, d) = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(d)
    }

    /// How many entries wait (each of a live worker: an ending one leaves its slot).
    fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// The live drivers, in start order; the slots stay.
    fn live(&self) -> Vec<Rc<dyn OnDemand>> {
        let mut v: Vec<(u64, Rc<dyn OnDemand>)> = self
            .slots
            .iter()
            .flatten()
            .filter_map(|(n, d)| Some((*n, d.upgrade().filter(|d| d.is_live())?)))
            .collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, d)| d).collect()
    }
}

impl Row {
    /// The row of a worker just started (state pending until `started` arrives); a driver
    /// whose row is made on demand fills in what it kept (`OnDemand::row`).
    pub(crate) fn new(source: Arc<dyn Source>, kind: WorkerKind) -> Row {
        Row {
            source: RowSource::Live(source),
            kind,
            state: WorkerState::Pending,
            progress: Progress::default(),
            status: String::new(),
            started_at: None,
            ended_at: None,
            outcome: None,
            version: 0,
        }
    }
}

/// Which fields of rows changed since the last flush: what views re-read (a view's
/// `dataChanged` names only these roles, so a progress tick does not make a QML delegate
/// rebind its name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Changed(u8);

impl Changed {
    pub(crate) const NONE: Changed = Changed(0);
    pub(crate) const STATE: Changed = Changed(1);
    /// `progress` and `total`.
    pub(crate) const PROGRESS: Changed = Changed(2);
    pub(crate) const STATUS: Changed = Changed(4);
    pub(crate) const ELAPSED: Changed = Changed(8);
    pub(crate) const OUTCOME: Changed = Changed(16);

    pub(crate) fn contains(self, other: Changed) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Changed {
    type Output = Changed;
    fn bitor(self, other: Changed) -> Changed {
        Changed(self.0 | other.0)
    }
}

/// What a view (a `WorkerPool` object) is told at each flush.
pub(crate) trait View {
    /// `rows`: what to show now, in order. `changed`: the fields that changed in rows whose
    /// version moved; with [`Changed::ELAPSED`] running rows changed their `elapsed` even
    /// where their version did not. `count_moved`: a worker started or ended since the last
    /// sync (the live count may be back where it was, but a reader may have seen it differ:
    /// notify anyway).
    fn sync(&self, rows: &[RowRef], changed: Changed, count_moved: bool);
}

#[derive(Default)]
struct List {
    rows: RefCell<Vec<RowRef>>,
    /// Live workers whose rows are not made yet (`# Rows made on demand`).
    on_demand: RefCell<Waiting>,
    views: RefCell<Vec<(u64, Rc<dyn View>)>>,
    /// When the next flush is due (a single-shot timer is armed for it).
    due: Cell<Option<Instant>>,
    /// The flush that is due is at most [`FLUSH_INTERVAL`] away: a change needs no clock.
    soon: Cell<bool>,
    keep_recent: Cell<usize>,
    last_tick: Cell<Option<Instant>>,
    /// A row was added or ended since the last flush.
    count_moved: Cell<bool>,
    /// Ended rows in `rows`.
    ended: Cell<usize>,
    /// The fields rows changed since the last flush.
    changed: Cell<Changed>,
    next_view: Cell<u64>,
}

thread_local! {
    static LIST: List = List::default();
}

/// Whether rows are read (a view, or ended rows kept): then a started worker gets its row at
/// once ([`add`]); otherwise an entry that makes it on demand ([`add_on_demand`]).
pub(crate) fn rows_read() -> bool {
    LIST.try_with(|l| l.keep_recent.get() > 0 || !l.views.borrow().is_empty())
        .unwrap_or(false)
}

/// Adds an entry for a worker that was just started, whose row is made when asked for;
/// returns its slot, for [`end_on_demand`].
pub(crate) fn add_on_demand(driver: std::rc::Weak<dyn OnDemand>) -> u32 {
    LIST.try_with(|l| {
        l.count_moved.set(true);
        l.on_demand.borrow_mut().add(driver)
    })
    .unwrap_or(u32::MAX)
}

/// The worker of the entry in `slot` ended before its row was made: the entry goes now.
pub(crate) fn end_on_demand(slot: u32) {
    let gone = LIST
        .try_with(|l| {
            l.count_moved.set(true);
            l.on_demand.try_borrow_mut().ok()?.remove(slot)
        })
        .ok()
        .flatten();
    drop(gone); // outside the borrow (the weak reference frees the driver's block)
}

/// Adds a row for a worker that was just started (state pending until `started` arrives).
pub(crate) fn add(source: Arc<dyn Source>, kind: WorkerKind) -> RowRef {
    let row = Rc::new(RefCell::new(Row::new(source, kind)));
    LIST.with(|l| {
        l.rows.borrow_mut().push(row.clone());
        l.count_moved.set(true);
    });
    mark_dirty();
    row
}

/// Changes the `changed` fields of a row and schedules the views' sync.
pub(crate) fn update(row: &RowRef, changed: Changed, f: impl FnOnce(&mut Row)) {
    {
        let mut r = row.borrow_mut();
        f(&mut r);
        r.version += 1;
    }
    let _ = LIST.try_with(|l| l.changed.set(l.changed.get() | changed));
    mark_dirty();
}

/// Ends a row (once; later calls change nothing).
pub(crate) fn end(row: &RowRef, outcome: Outcome) {
    if !row.borrow().is_live() {
        return;
    }
    let _ = LIST.try_with(|l| l.count_moved.set(true));
    let changed = Changed::STATE | Changed::OUTCOME | Changed::ELAPSED;
    update(row, changed, |r| {
        r.ended_at = Some(Instant::now());
        r.state = WorkerState::Finished;
        r.outcome.get_or_insert(outcome);
        let (name, description) = (r.name(), r.description());
        let copy =
            (!name.is_empty() || !description.is_empty()).then(|| Box::new((name, description)));
        r.source = RowSource::Ended(copy);
    });
    let _ = LIST.try_with(|l| {
        l.ended.set(l.ended.get() + 1);
        prune_if_many(l);
    });
}

/// Prunes now when more than [`PRUNE_SLACK`] (or half the rows) ended rows wait.
fn prune_if_many(l: &List) {
    let slack = PRUNE_SLACK.max(l.rows.try_borrow().map_or(0, |r| r.len() / 2));
    if l.ended.get() > l.keep_recent.get() + slack {
        prune(l);
    }
}

/// Drops the ended rows but the `keep_recent` newest; returns whether any went.
fn prune(l: &List) -> bool {
    if l.ended.get() <= l.keep_recent.get() {
        return false;
    }
    // `try_borrow_mut`: a row ending while the rows are being read (a view's sync) waits
    // for the flush.
    let Ok(mut rows) = l.rows.try_borrow_mut() else {
        return false;
    };
    let ended_rows = rows.iter().filter(|r| !r.borrow().is_live()).count();
    let mut drop_n = ended_rows.saturating_sub(l.keep_recent.get());
    let before = rows.len();
    rows.retain(|r| {
        let go = drop_n > 0 && !r.borrow().is_live();
        if go {
            drop_n -= 1;
        }
        !go
    });
    l.ended.set(ended_rows.min(l.keep_recent.get()));
    let any = rows.len() != before;
    if any {
        l.count_moved.set(true);
    }
    any
}

/// Makes the rows of the entries waiting for one, appends them (they started after every
/// row: `# Rows made on demand`), and returns every row, in order.
fn rows_now(l: &List) -> Vec<RowRef> {
    let waiting = std::mem::take(&mut *l.on_demand.borrow_mut());
    let made: Vec<RowRef> = waiting.live().iter().map(|d| d.row()).collect();
    drop(waiting); // outside the borrow
    let mut rows = l.rows.borrow_mut();
    rows.extend(made);
    rows.clone()
}

fn mark_dirty() {
    // A flush at most an interval away serves this change too: no clock read, no timer.
    if LIST.try_with(|l| l.soon.get()).unwrap_or(true) {
        return;
    }
    arm(FLUSH_INTERVAL);
}

/// Makes a flush due `after` from now, unless one is due sooner. A shot armed for a later
/// time that was brought forward fires later and finds nothing due (`flush` checks).
fn arm(after: Duration) {
    // `try_with`: a driver dropped while the thread's locals go away marks nothing.
    let _ = LIST.try_with(|l| {
        let at = Instant::now() + after;
        if l.due.get().is_some_and(|d| d <= at) {
            return;
        }
        l.due.set(Some(at));
        l.soon.set(after <= FLUSH_INTERVAL);
        glue::single_shot(after.as_millis().max(1) as i32, flush);
    });
}

/// A timer fired: when a flush is due, prune ended rows, sync every view, and look again
/// in a tick while rows run.
fn flush() {
    let now = Instant::now();
    let due = LIST.with(|l| l.due.get());
    // A stale shot (the flush was brought forward and ran): nothing to do.
    if due.is_none_or(|d| d > now + Duration::from_millis(1)) {
        return;
    }
    let (rows, views, changed, any_live, count_moved) = LIST.with(|l| {
        l.due.set(None);
        l.soon.set(false);
        let pruned = prune(l);
        let any_live =
            l.on_demand.borrow().len() > 0 || l.rows.borrow().iter().any(|r| r.borrow().is_live());
        let moved = any_live
            && l.last_tick
                .get()
                .is_none_or(|t| now.duration_since(t) >= ELAPSED_TICK);
        if moved || !any_live {
            l.last_tick.set(any_live.then_some(now));
        }
        let views: Vec<_> = l.views.borrow().iter().map(|(_, v)| v.clone()).collect();
        // The views' copy (a sync may change the list); none without views.
        let rows = if views.is_empty() {
            Vec::new()
        } else {
            rows_now(l)
        };
        let elapsed = if moved {
            Changed::ELAPSED
        } else {
            Changed::NONE
        };
        (
            rows,
            views,
            l.changed.replace(Changed::NONE) | elapsed,
            any_live,
            l.count_moved.replace(false) || pruned,
        )
    });
    for v in views {
        v.sync(&rows, changed, count_moved);
    }
    if any_live {
        // `elapsed` keeps moving: look again in a tick even when nothing reports.
        arm(ELAPSED_TICK);
    }
}

/// Registers a view; it is synced at every flush until [`remove_view`]. Returns its id.
pub(crate) fn add_view(view: Rc<dyn View>) -> u64 {
    LIST.with(|l| {
        let id = l.next_view.get() + 1;
        l.next_view.set(id);
        l.views.borrow_mut().push((id, view.clone()));
        let rows = rows_now(l);
        view.sync(&rows, Changed::NONE, false);
        id
    })
}

/// Forgets a view (its object is being destroyed).
pub(crate) fn remove_view(id: u64) {
    let _ = LIST.try_with(|l| l.views.borrow_mut().retain(|(i, _)| *i != id));
}

/// Live workers (rows not ended).
pub(crate) fn live_count() -> usize {
    LIST.with(|l| {
        let rows = l
            .rows
            .borrow()
            .iter()
            .filter(|r| r.borrow().is_live())
            .count();
        rows + l.on_demand.borrow().len()
    })
}

/// Asks every live task to quit (and every worker of the global pool, which covers workers
/// started through the core API).
pub fn quit_all() {
    // Collected first: a quit may run user code (nothing may hold the list meanwhile).
    let (rows, drivers) = LIST.with(|l| (l.rows.borrow().clone(), l.on_demand.borrow().live()));
    for r in rows {
        let r = r.borrow();
        if r.is_live() {
            r.quit();
        }
    }
    for d in drivers {
        d.quit();
    }
    crate::Pool::global().request_quit_all();
}

/// The task list as the views show it: every live worker started on this (the GUI) thread,
/// in start order, then nothing else unless [`set_recent_tasks_kept`] keeps ended ones.
/// Empty on any other thread.
///
/// ```no_run
/// for t in qworker::live_tasks() {
///     println!("{}: {} {}/{} {}", t.name, t.state.as_str(), t.progress.done, t.progress.total, t.status);
/// }
/// ```
pub fn live_tasks() -> Vec<TaskInfo> {
    let now = Instant::now();
    LIST.try_with(|l| {
        // Rows not made yet are made now, in their places; ended entries without one are
        // left out (nothing kept them).
        rows_now(l).iter().map(|r| r.borrow().info(now)).collect()
    })
    .unwrap_or_default()
}

/// Keeps the `n` most recently ended tasks in the task list, with their outcome (default 0:
/// a row goes at the next update after `finished`).
pub fn set_recent_tasks_kept(n: usize) {
    LIST.with(|l| {
        l.keep_recent.set(n);
        if n > 0 {
            // Rows are read from now on: the live entries get theirs (`# Rows made on demand`).
            drop(rows_now(l));
        }
    });
    mark_dirty();
}

/// How many ended tasks the list keeps.
pub fn recent_tasks_kept() -> usize {
    LIST.with(|l| l.keep_recent.get())
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row")
            .field("name", &self.name())
            .field("state", &self.state)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}
