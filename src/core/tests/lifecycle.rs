//! Kinds of worker (generator, function, iterator, a `Work` type) and how they end:
//! returned, errored, panicked.

use super::*;

#[test]
fn generator_yields_in_order_then_returns() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..100 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok("done")
        },
        opts(),
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(check_order(&ev), "returned");
    assert_eq!(yields(&ev), (0..100).collect::<Vec<_>>());
    assert!(matches!(ev[ev.len() - 2], Event::Returned("done")));
}

#[test]
fn function_worker_returns_its_value() {
    let (tx, rx) = cb::unbounded();
    let (task, _h, mut rcv) = task::<NoYield, (), u64, String>(
        function_body(|| Ok((1..=10u64).product())),
        opts(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    task.start(Pool::global()).unwrap();
    let mut ev = vec![];
    while rx.recv().is_ok() {
        if rcv.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(kinds(&ev), ["started", "returned", "finished"]);
    assert!(matches!(ev[1], Event::Returned(3_628_800)));
}

#[test]
fn function_worker_with_check_can_be_quit() {
    let (go_tx, go_rx) = cb::bounded::<()>(0);
    let mut r = rig(
        move |cx: &mut Context| {
            go_tx.send(()).unwrap();
            loop {
                cx.check().map_err(|e| e.to_string())?;
                std::thread::yield_now();
            }
        },
        opts(),
        Pool::global(),
    );
    go_rx.recv().unwrap(); // the loop is running
    r.handle.quit();
    let ev: Vec<Ev<NoYield, ()>> = r.run();
    assert_eq!(kinds(&ev), ["started", "aborted", "finished"]);
}

#[test]
fn iterator_worker_yields_every_item() {
    let (tx, rx) = cb::unbounded();
    let (task, _h, mut rcv) = task(
        iter_body(vec!["a", "b", "c"]),
        opts(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    task.start(Pool::global()).unwrap();
    let mut ev = vec![];
    while rx.recv().is_ok() {
        if rcv.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(check_order(&ev), "returned");
    assert_eq!(yields(&ev), ["a", "b", "c"]);
}

#[test]
fn custom_work_type_runs_with_the_generator_lifecycle() {
    struct Squares {
        n: u64,
    }
    impl Work for Squares {
        type Yield = u64;
        type Input = u64;
        type Output = u64;
        type Error = Aborted;
        fn work(&mut self, cx: &mut Context<u64, u64>) -> Result<u64, Aborted> {
            let mut sum = 0;
            for i in 0..self.n {
                sum += i * i;
                if let Some(extra) = cx.yield_(i * i)? {
                    sum += extra;
                }
            }
            Ok(sum)
        }
    }
    let (tx, rx) = cb::unbounded();
    let (task, h, mut rcv) = task(
        work_body(Squares { n: 5 }),
        opts(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    h.send(1000).unwrap();
    task.start(Pool::global()).unwrap();
    let mut ev = vec![];
    while rx.recv().is_ok() {
        if rcv.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    assert_eq!(yields(&ev), [0, 1, 4, 9, 16]);
    assert!(matches!(ev[ev.len() - 2], Event::Returned(1030)));
}

// ---- errors ----

#[test]
fn an_error_becomes_errored_never_returned() {
    let mut r = rig(
        |cx: &mut Context<i32>| {
            cx.yield_(1).map_err(|e| e.to_string())?;
            Err::<(), _>("disk full".to_string())
        },
        opts(),
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "yielded", "errored", "finished"]);
    match &ev[2] {
        Event::Errored(WorkerError::Failed(e)) => assert_eq!(e, "disk full"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_panic_becomes_errored_with_its_message() {
    let mut r = rig(
        |_cx: &mut Context<i32>| -> Result<(), String> { panic!("boom at step {}", 7) },
        opts(),
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "errored", "finished"]);
    match &ev[1] {
        Event::Errored(e) => {
            assert!(e.is_panic());
            assert_eq!(e.to_string(), "panicked: boom at step 7");
        }
        other => panic!("{other:?}"),
    }
}
