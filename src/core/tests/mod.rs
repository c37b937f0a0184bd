//! Behaviour tests of the Qt-free core, with a plain thread standing in for the GUI thread:
//! wakes arrive on a channel and the test drains the receiver, as the Qt layer does.
//!
//! This module holds the shared rig (a task whose wakes arrive on a channel) and the checks
//! every file uses; the tests live in one file per concept: `lifecycle` (kinds of worker and
//! how they end), `controls`, `progress` (progress and warnings), `policies`, `lifetimes`
//! and `stress`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel as cb;

use crate::core::{
    Drained, Handle, Options, Receiver, Task, function_body, iter_body, task, work_body,
};
use crate::{
    Aborted, Context, Event, NoYield, Policy, Pool, Progress, SendError, Work, WorkerError,
};

mod controls;
mod lifecycle;
mod lifetimes;
mod policies;
mod progress;
mod stress;

type Ev<Y, R> = Event<Y, R, String>;

/// A task whose wakes arrive on a channel.
struct Rig<Y, S, R> {
    handle: Handle<Y, S, R, String>,
    receiver: Receiver<Y, S, R, String>,
    wakes: cb::Receiver<()>,
    more: bool,
}

fn rig<Y, S, R>(
    body: impl FnOnce(&mut Context<Y, S>) -> Result<R, String> + Send + 'static,
    options: Options,
    pool: &Pool,
) -> Rig<Y, S, R>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
{
    let (rig, task) = unstarted(body, options);
    task.start(pool).unwrap();
    rig
}

type Unstarted<Y, S, R> = (Rig<Y, S, R>, Task<Y, S, R, String>);

fn unstarted<Y, S, R>(
    body: impl FnOnce(&mut Context<Y, S>) -> Result<R, String> + Send + 'static,
    options: Options,
) -> Unstarted<Y, S, R>
where
    Y: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = cb::unbounded();
    let (task, handle, receiver) = task(
        Box::new(body),
        options,
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    (
        Rig {
            handle,
            receiver,
            wakes: rx,
            more: false,
        },
        task,
    )
}

impl<Y, S, R> Rig<Y, S, R> {
    /// Plays the GUI thread until `finished`; returns every event.
    fn run(&mut self) -> Vec<Ev<Y, R>> {
        let mut out = vec![];
        self.run_until(&mut out, |_| false);
        out
    }

    /// Delivers events into `out` until `finished` or until `stop` says so (checked after
    /// each event). Returns whether it stopped on `finished`. Waits for a wake before each
    /// drain, except after `Drained::More`, when the Qt layer re-posts the drain itself.
    fn run_until(
        &mut self,
        out: &mut Vec<Ev<Y, R>>,
        mut stop: impl FnMut(&Ev<Y, R>) -> bool,
    ) -> bool {
        loop {
            if !self.more {
                self.wakes
                    .recv_timeout(Duration::from_secs(30))
                    .expect("no wake within 30 s: the mailbox lost a wake-up");
            }
            let mut stopped = false;
            let status = self.receiver.drain(Some(Duration::from_millis(2)), |e| {
                stopped |= stop(&e);
                out.push(e);
            });
            self.more = status == Drained::More;
            if status == Drained::Finished {
                return true;
            }
            if stopped {
                return false;
            }
        }
    }
}

fn kinds<Y, R, E>(events: &[Event<Y, R, E>]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind()).collect()
}

fn yields<Y: Clone, R, E>(events: &[Event<Y, R, E>]) -> Vec<Y> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Yielded(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn opts() -> Options {
    Options {
        name: "test".into(),
        ..Options::default()
    }
}

/// Checks the lifecycle invariants of one event stream; returns the outcome's kind.
fn check_order<Y, R, E>(events: &[Event<Y, R, E>]) -> &'static str {
    assert!(
        matches!(events.first(), Some(Event::Started)),
        "started first: {:?}",
        kinds(events)
    );
    assert!(
        matches!(events.last(), Some(Event::Finished)),
        "finished last: {:?}",
        kinds(events)
    );
    let finished = events
        .iter()
        .filter(|e| matches!(e, Event::Finished))
        .count();
    assert_eq!(finished, 1, "finished exactly once");
    let outcomes: Vec<_> = events.iter().filter(|e| e.is_outcome()).collect();
    assert_eq!(
        outcomes.len(),
        1,
        "exactly one outcome: {:?}",
        kinds(events)
    );
    let n = events.len();
    assert!(
        events[n - 2].is_outcome(),
        "the outcome comes right before finished"
    );
    let mut paused = false;
    for e in &events[1..n - 2] {
        match e {
            Event::Started => panic!("started twice"),
            Event::Paused => {
                assert!(!paused, "paused twice without resumed");
                paused = true;
            }
            Event::Resumed => {
                assert!(paused, "resumed without paused");
                paused = false;
            }
            _ => {}
        }
    }
    events[n - 2].kind()
}
