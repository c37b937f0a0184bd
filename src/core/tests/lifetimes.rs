//! Lifetimes: dropping the receiver, awaiting workers, workers started from workers.

use super::*;

#[test]
fn dropping_the_receiver_quits_the_worker_and_drops_its_values() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl Counted {
        fn new() -> Counted {
            LIVE.fetch_add(1, Ordering::SeqCst);
            Counted
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let pool = Pool::new("t-drop");
    let r = rig(
        |cx: &mut Context<Counted>| -> Result<(), String> {
            loop {
                cx.yield_(Counted::new()).map_err(|e| e.to_string())?;
            }
        },
        opts(),
        &pool,
    );
    while LIVE.load(Ordering::SeqCst) < 1000 {
        std::thread::yield_now();
    }
    let Rig {
        handle, receiver, ..
    } = r;
    drop(receiver);
    assert!(handle.is_abort_requested());
    pool.await_workers(Duration::from_secs(30)).unwrap();
    assert!(handle.is_done());
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "every undelivered value was dropped"
    );
    pool.shutdown(Duration::from_secs(10)).unwrap();
}

#[test]
fn await_workers_names_the_ones_that_do_not_stop() {
    let pool = Pool::new("t-await");
    let (release_tx, release_rx) = cb::bounded::<()>(0);
    let (started_tx, started_rx) = cb::bounded::<()>(2);
    let stubborn = rig(
        {
            let started_tx = started_tx.clone();
            move |_cx: &mut Context<u32>| {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap(); // ignores quit
                Ok(())
            }
        },
        Options {
            name: "stubborn".into(),
            ..opts()
        },
        &pool,
    );
    let polite = rig(
        move |cx: &mut Context<u32>| -> Result<(), String> {
            started_tx.send(()).unwrap();
            loop {
                cx.check().map_err(|e| e.to_string())?;
                std::thread::yield_now();
            }
        },
        Options {
            name: "polite".into(),
            ..opts()
        },
        &pool,
    );
    started_rx.recv().unwrap();
    started_rx.recv().unwrap();
    let err = pool.await_workers(Duration::from_millis(200)).unwrap_err();
    assert_eq!(err.still_running, ["stubborn"]);
    assert!(polite.handle.is_done());
    release_tx.send(()).unwrap();
    pool.await_workers(Duration::from_secs(30)).unwrap();
    assert_eq!(pool.live_workers(), 0);
    drop((stubborn, polite));
    pool.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(pool.thread_count(), 0);
}

#[test]
fn a_worker_can_start_a_worker_from_its_own_thread() {
    let (inner_tx, inner_rx) = cb::unbounded();
    let inner_rx2 = inner_rx.clone();
    let mut outer = rig(
        move |cx: &mut Context<u32>| {
            let (task, _h, receiver) = task::<u32, (), u32, String>(
                Box::new(|cx| {
                    cx.yield_(7).map_err(|e| e.to_string())?;
                    Ok(8)
                }),
                opts(),
                Box::new(move || {
                    let _ = inner_tx.send(());
                }),
            );
            task.start(Pool::global()).map_err(|e| e.to_string())?;
            cx.yield_(1).map_err(|e| e.to_string())?;
            // Hand the receiver to the "GUI" through a channel-like Mutex slot.
            *INNER.lock().unwrap() = Some(receiver);
            Ok(2)
        },
        opts(),
        Pool::global(),
    );
    static INNER: Mutex<Option<Receiver<u32, (), u32, String>>> = Mutex::new(None);
    let ev = outer.run();
    assert_eq!(check_order(&ev), "returned");
    let mut receiver = INNER.lock().unwrap().take().unwrap();
    let mut inner_ev = vec![];
    while inner_rx2.recv().is_ok() {
        if receiver.drain(None, |e| inner_ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(
        kinds(&inner_ev),
        ["started", "yielded", "returned", "finished"]
    );
}

/// Quit after a flood: the undelivered values are freed by the worker thread as it ends, or by
/// the reaper thread once it has, never one by one on the receiving thread; and every value is
/// dropped once, none lost.
#[test]
fn a_flood_discarded_by_quit_is_freed_off_the_receiving_thread() {
    struct Tracked {
        drops: Arc<AtomicUsize>,
        on_receiver: Arc<AtomicUsize>,
        receiver: std::thread::ThreadId,
    }
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
            if std::thread::current().id() == self.receiver {
                self.on_receiver.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    const FLOOD: usize = 200_000;
    let drops = Arc::new(AtomicUsize::new(0));
    let on_receiver = Arc::new(AtomicUsize::new(0));
    let produced = Arc::new(AtomicUsize::new(0));
    let (d, o, p) = (drops.clone(), on_receiver.clone(), produced.clone());
    let here = std::thread::current().id();
    let mut r = rig(
        move |cx: &mut Context<Tracked>| -> Result<(), String> {
            loop {
                let v = Tracked {
                    drops: d.clone(),
                    on_receiver: o.clone(),
                    receiver: here,
                };
                cx.yield_(v).map_err(|e| e.to_string())?;
                p.fetch_add(1, Ordering::SeqCst);
            }
        },
        opts(),
        Pool::global(),
    );
    // Nothing is drained until the flood is there.
    while produced.load(Ordering::SeqCst) < FLOOD {
        std::thread::yield_now();
    }
    r.handle.quit();
    let mut ev = vec![];
    assert!(r.run_until(&mut ev, |_| false), "finished");
    let delivered = ev.iter().filter(|e| matches!(e, Event::Yielded(_))).count();
    // Discards of up to a thousand values are freed where they happen; the flood is not.
    let here_before = on_receiver.load(Ordering::SeqCst);
    assert!(
        here_before <= 4 * 1024,
        "{here_before} undelivered values were freed on the receiving thread \
         ({delivered} delivered)"
    );
    drop(ev);
    let made = produced.load(Ordering::SeqCst);
    let t0 = std::time::Instant::now();
    while drops.load(Ordering::SeqCst) < made && t0.elapsed() < Duration::from_secs(30) {
        std::thread::yield_now();
    }
    // The value whose `yield_` saw the quit is dropped too, so one more at most.
    let dropped = drops.load(Ordering::SeqCst);
    assert!(
        (made..=made + 1).contains(&dropped),
        "{dropped} values dropped of {made} yielded"
    );
}
