//! Delivery policies: `All`, `Latest`, `Bounded`.

use super::*;

fn finished_before_drain(policy: Policy, n: u32) -> Vec<Ev<u32, ()>> {
    let mut r = rig(
        move |cx: &mut Context<u32>| {
            for i in 0..n {
                cx.yield_(i).map_err(|e| e.to_string())?;
                if i % 100 == 0 {
                    cx.warn(format!("at {i}"));
                }
            }
            Ok(())
        },
        Options { policy, ..opts() },
        Pool::global(),
    );
    while !r.handle.is_done() {
        std::thread::yield_now();
    }
    let ev = r.run();
    assert_eq!(
        r.wakes.len(),
        0,
        "one wake for the whole backlog, not one per event"
    );
    ev
}

#[test]
fn policy_all_delivers_everything() {
    let ev = finished_before_drain(Policy::All, 10_000);
    assert_eq!(yields(&ev), (0..10_000).collect::<Vec<_>>());
}

#[test]
fn policy_latest_keeps_the_newest_value_and_every_other_event() {
    let ev = finished_before_drain(Policy::Latest, 10_000);
    assert_eq!(
        yields(&ev),
        [9_999],
        "only the newest undelivered value survives"
    );
    let warns = ev.iter().filter(|e| matches!(e, Event::Warned(_))).count();
    assert_eq!(warns, 100, "non-yield events are all kept");
    assert_eq!(check_order(&ev), "returned");
}

#[test]
fn policy_latest_with_a_live_receiver_delivers_in_order_and_the_last_one() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..50_000 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            policy: Policy::Latest,
            ..opts()
        },
        Pool::global(),
    );
    let ev = r.run();
    let y = yields(&ev);
    assert!(y.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(
        *y.last().unwrap(),
        49_999,
        "the newest value is always delivered"
    );
}

#[test]
fn policy_bounded_blocks_the_producer_and_quit_unblocks_it() {
    let done = Arc::new(AtomicUsize::new(0));
    let (step_tx, step_rx) = cb::unbounded();
    let mut r = rig(
        {
            let done = done.clone();
            move |cx: &mut Context<u32>| -> Result<(), String> {
                for i in 0.. {
                    cx.yield_(i).map_err(|e| e.to_string())?;
                    done.store(i as usize + 1, Ordering::SeqCst);
                    step_tx.send(i).unwrap();
                }
                unreachable!()
            }
        },
        Options {
            policy: Policy::Bounded(3),
            ..opts()
        },
        Pool::global(),
    );
    for _ in 0..3 {
        step_rx.recv().unwrap();
    }
    // The 4th yield must block while 3 values are undelivered. A correct implementation can
    // only make this wait pass; a broken one fails it.
    assert!(step_rx.recv_timeout(Duration::from_millis(100)).is_err());
    assert_eq!(done.load(Ordering::SeqCst), 3);
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(0)));
    step_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("delivering one value frees one slot");
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    assert_eq!(check_order(&ev), "aborted");
    let y = yields(&ev);
    assert_eq!(y, (0..y.len() as u32).collect::<Vec<_>>());
}

#[test]
fn policy_bounded_delivers_everything_exactly_once() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..20_000 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            policy: Policy::Bounded(16),
            ..opts()
        },
        Pool::global(),
    );
    let ev = r.run();
    assert_eq!(yields(&ev), (0..20_000).collect::<Vec<_>>());
}
