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
