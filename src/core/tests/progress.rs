//! Progress (a total with a tick per yield, or explicit) and warnings.

use super::*;

#[test]
fn progress_total_ticks_per_yield_coalesces_and_overflows_to_unknown() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..12 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            progress_total: Some(10),
            ..opts()
        },
        Pool::global(),
    );
    // Let the body finish before the GUI drains: ticks must be coalesced.
    let mut ev = vec![];
    while !r.handle.is_done() {
        std::thread::yield_now();
    }
    r.run_until(&mut ev, |_| false);
    let progress: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [Progress { done: 12, total: 0 }],
        "{:?}",
        kinds(&ev)
    );
    assert_eq!(yields(&ev), (0..12).collect::<Vec<_>>());
    assert!(
        matches!(ev[ev.len() - 3], Event::Progress(_)),
        "progress after the last yield"
    );
}

#[test]
fn progress_events_follow_the_yields_they_count() {
    let mut r = rig(
        |cx: &mut Context<u32>| {
            for i in 0..500 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        Options {
            progress_total: Some(500),
            ..opts()
        },
        Pool::global(),
    );
    let ev = r.run();
    let mut yielded = 0u64;
    let mut last = 0;
    for e in &ev {
        match e {
            Event::Yielded(_) => yielded += 1,
            Event::Progress(p) => {
                assert!(
                    p.done <= yielded,
                    "progress {} ran ahead of {} yields",
                    p.done,
                    yielded
                );
                assert!(p.done >= last, "progress went backwards");
                assert_eq!(p.total, 500);
                last = p.done;
            }
            _ => {}
        }
    }
    assert_eq!(last, 500);
}

#[test]
fn explicit_progress_and_warnings_arrive_in_order() {
    let mut r = rig(
        |cx: &mut Context| {
            cx.progress(1, 4).map_err(|e| e.to_string())?;
            cx.warn("half way");
            cx.progress(2, 4).map_err(|e| e.to_string())?;
            cx.progress(9, 4).map_err(|e| e.to_string())?;
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    while !r.handle.is_done() {
        std::thread::yield_now();
    }
    let ev: Vec<Ev<NoYield, ()>> = r.run();
    let shown: Vec<String> = ev
        .iter()
        .map(|e| match e {
            Event::Progress(p) => format!("{}/{}", p.done, p.total),
            Event::Warned(m) => m.clone(),
            other => other.kind().to_string(),
        })
        .collect();
    // Undelivered progress is replaced by the newest, which takes the newest position:
    // the warning stays before it, and 2/4 never shows.
    assert_eq!(
        shown,
        ["started", "half way", "9/0", "returned", "finished"]
    );
}

#[test]
fn many_workers_warning_at_once_each_get_their_own_messages() {
    let mut rigs: Vec<_> = (0..20)
        .map(|w| {
            rig(
                move |cx: &mut Context| {
                    for i in 0..50 {
                        cx.warn(format!("w{w} m{i}"));
                    }
                    Ok(())
                },
                opts(),
                Pool::global(),
            )
        })
        .collect();
    for (w, r) in rigs.iter_mut().enumerate() {
        let ev: Vec<Ev<NoYield, ()>> = r.run();
        let msgs: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Warned(m) => Some(m.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            msgs,
            (0..50).map(|i| format!("w{w} m{i}")).collect::<Vec<_>>()
        );
    }
}

/// Paced progress (`pace.rs`): a body reporting every millisecond wakes its receiver for
/// progress about once per `PROGRESS_INTERVAL`, the newest report is the one delivered, and
/// the outcome after a postponed report is not held back for the pacer's tick.
#[test]
fn fast_progress_wakes_the_receiver_once_per_interval() {
    const REPORTS: u64 = 300;
    let started = std::time::Instant::now();
    let mut r = rig(
        |cx: &mut Context| {
            for i in 1..=REPORTS {
                std::thread::sleep(Duration::from_millis(1));
                cx.progress(i, REPORTS).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    let mut ev = vec![];
    let mut wakes = 0usize;
    loop {
        r.wakes
            .recv_timeout(Duration::from_secs(30))
            .expect("no wake within 30 s: a paced wake was lost");
        wakes += 1;
        if r.receiver.drain(None, |e| ev.push(e)) == Drained::Finished {
            break;
        }
    }
    let elapsed = started.elapsed();
    let progress: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some(p.done),
            _ => None,
        })
        .collect();
    assert_eq!(progress.last(), Some(&REPORTS), "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");
    assert_eq!(check_order(&ev), "returned");
    // Each interval allows one immediate wake and one tick of the pacer; `started` and the
    // outcome add theirs. Without pacing there would be a wake per report, 300 of them.
    let intervals =
        (elapsed.as_nanos() / crate::core::pace::PROGRESS_INTERVAL.as_nanos()) as usize + 1;
    assert!(
        wakes <= 2 * intervals + 3,
        "{wakes} wakes for {REPORTS} reports in {elapsed:?} ({intervals} intervals)"
    );
}
