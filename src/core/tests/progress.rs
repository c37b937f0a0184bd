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
