//! Random bodies, random policies and random controls from another thread, seeded
//! (`QWORKER_SEED=<n>` replays a run): every invariant holds for every worker.

use super::*;

/// xorshift64*, seeded from `QWORKER_SEED` or the clock: the one the Qt stress test uses too.
#[path = "../../../tests/common/rng.rs"]
mod rng;

use rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Yields(u32),
    YieldsThenFail(u32),
    YieldsThenPanic(u32),
    Function,
    Receiving(u32),
}

#[test]
fn stress_random_bodies_and_random_controls_keep_every_invariant() {
    const WORKERS: usize = 300;
    let seed = rng::seed();
    eprintln!("stress seed: {seed} (rerun with QWORKER_SEED={seed})");
    let mut rng = Rng::new(seed);
    let pool = Pool::new("t-stress");
    pool.set_expiry(Duration::from_millis(50));

    let (wake_tx, wake_rx) = cb::unbounded::<usize>();
    let mut receivers = vec![];
    let mut handles = vec![];
    let mut plans = vec![];
    let mut policies = vec![];
    let received: Arc<Vec<Mutex<Vec<u64>>>> =
        Arc::new((0..WORKERS).map(|_| Mutex::new(vec![])).collect());

    for w in 0..WORKERS {
        let plan = match rng.below(5) {
            0 => Plan::Yields(rng.below(2000) as u32),
            1 => Plan::YieldsThenFail(rng.below(100) as u32),
            2 => Plan::YieldsThenPanic(rng.below(100) as u32),
            3 => Plan::Function,
            _ => Plan::Receiving(rng.below(50) as u32 + 1),
        };
        let policy = match rng.below(3) {
            0 => Policy::All,
            1 => Policy::Bounded(rng.below(8) as usize + 1),
            _ => Policy::Latest,
        };
        let sleepy = rng.below(4) == 0;
        let got = received.clone();
        let body = move |cx: &mut Context<u64, u64>| -> Result<u32, String> {
            let a = |e: Aborted| e.to_string();
            let nap = || {
                if sleepy {
                    std::thread::sleep(Duration::from_micros(50));
                }
            };
            match plan {
                Plan::Yields(n) => {
                    for i in 0..n {
                        if let Some(v) = cx.yield_(i as u64).map_err(a)? {
                            got[w].lock().unwrap().push(v);
                        }
                        nap();
                    }
                    Ok(n)
                }
                Plan::YieldsThenFail(n) => {
                    for i in 0..n {
                        cx.yield_(i as u64).map_err(a)?;
                        nap();
                    }
                    Err(format!("planned failure after {n}"))
                }
                Plan::YieldsThenPanic(n) => {
                    for i in 0..n {
                        cx.yield_(i as u64).map_err(a)?;
                    }
                    panic!("planned panic after {n}");
                }
                Plan::Function => {
                    for _ in 0..1000 {
                        cx.check().map_err(a)?;
                        nap();
                    }
                    cx.warn("function done");
                    Ok(0)
                }
                Plan::Receiving(n) => {
                    for i in 0..n {
                        cx.yield_(i as u64).map_err(a)?;
                        let v = cx.recv().map_err(a)?;
                        got[w].lock().unwrap().push(v);
                    }
                    Ok(n)
                }
            }
        };
        let tx = wake_tx.clone();
        let (task, handle, receiver) = task(
            Box::new(body),
            Options {
                name: format!("w{w}"),
                policy,
                progress_total: (rng.below(2) == 0).then_some(100),
                timeout: None,
            },
            Box::new(move || {
                let _ = tx.send(w);
            }),
        );
        task.start(&pool).unwrap();
        receivers.push(Some(receiver));
        handles.push(handle);
        plans.push(plan);
        policies.push(policy);
    }
    drop(wake_tx);

    // Random controls from another thread. Receiving workers get a steady supply of values
    // (or a quit) so they cannot wait forever.
    let ctl_handles = handles.clone();
    let ctl_plans = plans.clone();
    let sent: Arc<Vec<Mutex<Vec<u64>>>> =
        Arc::new((0..WORKERS).map(|_| Mutex::new(vec![])).collect());
    let sent2 = sent.clone();
    let mut ctl_rng = Rng::new(seed.rotate_left(17) | 1);
    let controller = std::thread::spawn(move || {
        let mut next_value = 1_000_000u64;
        for round in 0..20_000 {
            let w = ctl_rng.below(WORKERS as u64) as usize;
            let h = &ctl_handles[w];
            match ctl_rng.below(10) {
                0 => h.pause(),
                1 | 2 => h.resume(),
                3 => {
                    h.toggle_pause();
                }
                4 if ctl_rng.below(8) == 0 => h.quit(),
                _ => {
                    next_value += 1;
                    if h.send(next_value).is_ok() {
                        sent2[w].lock().unwrap().push(next_value);
                    }
                }
            }
            if round % 500 == 0 {
                std::thread::yield_now();
            }
        }
        // Let everything finish: resume all, then feed receivers until done.
        loop {
            let mut all_done = true;
            for (w, h) in ctl_handles.iter().enumerate() {
                h.resume();
                if !h.is_done() {
                    all_done = false;
                    if matches!(ctl_plans[w], Plan::Receiving(_)) {
                        next_value += 1;
                        if h.send(next_value).is_ok() {
                            sent2[w].lock().unwrap().push(next_value);
                        }
                    }
                }
            }
            if all_done {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });

    // The "GUI thread": drain whoever woke us, in small slices.
    let mut events: Vec<Vec<Ev<u64, u32>>> = (0..WORKERS).map(|_| vec![]).collect();
    let mut finished = HashSet::new();
    let mut again = std::collections::VecDeque::new();
    while finished.len() < WORKERS {
        let w = match again.pop_front() {
            Some(w) => w,
            None => wake_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("a worker never woke its receiver: lost wake-up or stuck worker"),
        };
        let Some(r) = receivers[w].as_mut() else {
            continue;
        };
        let out = &mut events[w];
        match r.drain(Some(Duration::from_micros(200)), |e| out.push(e)) {
            Drained::Finished => {
                finished.insert(w);
                receivers[w] = None;
            }
            Drained::More => again.push_back(w), // re-post
            Drained::Empty => {}
        }
    }
    controller.join().unwrap();

    let mut outcomes = std::collections::HashMap::new();
    for w in 0..WORKERS {
        let ev = &events[w];
        let outcome = check_order(ev);
        *outcomes.entry(outcome).or_insert(0) += 1;
        let y = yields(ev);
        match policies[w] {
            Policy::All | Policy::Bounded(_) => {
                assert_eq!(
                    y,
                    (0..y.len() as u64).collect::<Vec<_>>(),
                    "w{w}: lost or reordered"
                );
                // Every value arrives unless a quit took effect while the body ran (quit
                // discards what was not delivered yet; a panic after it is still `errored`).
                let quit = handles[w].is_abort_requested();
                match (plans[w], outcome) {
                    (Plan::Yields(n), "returned") => assert_eq!(y.len(), n as usize, "w{w}"),
                    (Plan::YieldsThenFail(n) | Plan::YieldsThenPanic(n), "errored") if !quit => {
                        assert_eq!(y.len(), n as usize, "w{w}")
                    }
                    _ => {}
                }
            }
            Policy::Latest => {
                assert!(y.windows(2).all(|p| p[0] < p[1]), "w{w}: out of order");
            }
        }
        match (plans[w], outcome) {
            (Plan::YieldsThenFail(_), o) | (Plan::YieldsThenPanic(_), o) => {
                assert!(o == "errored" || o == "aborted", "w{w}: {o}")
            }
            (_, o) => assert!(o == "returned" || o == "aborted", "w{w}: {o}"),
        }
        // Values sent were received in the order sent (a prefix of them, as a subsequence).
        let got = received[w].lock().unwrap();
        let sent = sent[w].lock().unwrap();
        let mut it = sent.iter();
        for v in got.iter() {
            assert!(it.any(|s| s == v), "w{w}: received {v} out of send order");
        }
    }
    eprintln!("stress outcomes: {outcomes:?}");
    pool.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        pool.thread_count(),
        0,
        "every pool thread is gone at the end"
    );
    assert_eq!(pool.live_workers(), 0);
}
