//! Controls: quit, pause, resume, toggle, send and recv.

use super::*;

/// A body that yields forever, reporting what it received.
fn forever(
    got: Arc<Mutex<Vec<Option<u32>>>>,
) -> impl FnOnce(&mut Context<u32, u32>) -> Result<(), String> + Send + 'static {
    move |cx| {
        let mut i = 0;
        loop {
            let r = cx.yield_(i).map_err(|e| e.to_string())?;
            got.lock().unwrap().push(r);
            i += 1;
        }
    }
}

#[test]
fn quit_gives_aborted_then_finished_and_no_returned() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(5)));
    r.handle.quit();
    assert!(r.run_until(&mut ev, |_| false));
    assert_eq!(check_order(&ev), "aborted");
    assert!(!kinds(&ev).contains(&"returned"));
    let y = yields(&ev);
    assert_eq!(
        y,
        (0..y.len() as u32).collect::<Vec<_>>(),
        "no value lost or reordered"
    );
}

#[test]
fn quit_discards_values_not_delivered_yet_and_keeps_other_events() {
    let yielded = Arc::new(AtomicUsize::new(0));
    let y = yielded.clone();
    let mut r = rig(
        move |cx: &mut Context<u32>| -> Result<(), String> {
            for i in 0..50_000 {
                cx.yield_(i).map_err(|e| e.to_string())?;
                if i == 100 {
                    cx.warn("a warning among the values");
                }
                y.store(i as usize + 1, Ordering::SeqCst);
            }
            loop {
                cx.check().map_err(|e| e.to_string())?;
                std::thread::yield_now();
            }
        },
        opts(),
        Pool::global(),
    );
    // Nothing is drained until every value is queued; then quit.
    while yielded.load(Ordering::SeqCst) < 50_000 {
        std::thread::yield_now();
    }
    r.handle.quit();
    let ev = r.run();
    assert_eq!(
        kinds(&ev),
        ["started", "warned", "aborted", "finished"],
        "queued values are discarded at quit; the warning stays"
    );
}

#[test]
fn quit_before_start_still_reports_started_aborted_finished() {
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    let (mut r, task) = unstarted(
        move |_cx: &mut Context<u32>| {
            ran2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        },
        opts(),
    );
    r.handle.quit();
    task.start(Pool::global()).unwrap();
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "aborted", "finished"]);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the body never ran");
}

#[test]
fn pause_parks_at_the_next_checkpoint_and_resume_continues() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(3)));
    r.handle.pause();
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    // Parked: nothing is delivered until resume. The next wake can only come from resume.
    let before = ev.len();
    r.handle.resume();
    r.run_until(&mut ev, |e| matches!(e, Event::Resumed));
    assert!(
        matches!(ev[before], Event::Resumed),
        "resumed is the first event after paused"
    );
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(v) if *v > 20));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    check_order(&ev);
    let p = ev.iter().position(|e| matches!(e, Event::Paused)).unwrap();
    assert!(matches!(ev[p + 1], Event::Resumed), "{:?}", kinds(&ev));
}

#[test]
fn pause_then_resume_before_a_checkpoint_leaves_it_running() {
    let (gate_tx, gate_rx) = cb::bounded::<()>(0);
    let mut r = rig(
        move |cx: &mut Context<u32>| {
            gate_rx.recv().unwrap();
            for i in 0..5 {
                cx.yield_(i).map_err(|e| e.to_string())?;
            }
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    r.handle.pause();
    r.handle.resume();
    gate_tx.send(()).unwrap();
    let ev = r.run();
    assert_eq!(check_order(&ev), "returned");
    assert!(
        !kinds(&ev).contains(&"paused"),
        "the last request wins: {:?}",
        kinds(&ev)
    );
}

#[test]
fn toggle_pause_flips_the_request() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(1)));
    assert!(r.handle.toggle_pause());
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    assert!(!r.handle.toggle_pause());
    r.run_until(&mut ev, |e| matches!(e, Event::Resumed));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    check_order(&ev);
}

#[test]
fn quit_while_paused_aborts_without_resumed() {
    let mut r = rig(forever(Default::default()), opts(), Pool::global());
    let mut ev = vec![];
    r.handle.pause();
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    assert_eq!(check_order(&ev), "aborted");
    let after_pause = &ev[ev.iter().position(|e| matches!(e, Event::Paused)).unwrap()..];
    assert_eq!(kinds(after_pause), ["paused", "aborted", "finished"]);
}

#[test]
fn sends_are_received_oldest_first_one_per_yield() {
    let got = Arc::new(Mutex::new(vec![]));
    let (mut r, task) = unstarted(
        {
            let got = got.clone();
            move |cx: &mut Context<u32, u32>| {
                for i in 0..5 {
                    got.lock()
                        .unwrap()
                        .push(cx.yield_(i).map_err(|e| e.to_string())?);
                }
                Ok(())
            }
        },
        opts(),
    );
    for v in [10, 20, 30] {
        r.handle.send(v).unwrap();
    }
    task.start(Pool::global()).unwrap();
    r.run();
    assert_eq!(
        *got.lock().unwrap(),
        [Some(10), Some(20), Some(30), None, None]
    );
}

#[test]
fn a_send_while_paused_is_received_after_resume() {
    let got = Arc::new(Mutex::new(vec![]));
    let mut r = rig(forever(got.clone()), opts(), Pool::global());
    let mut ev = vec![];
    r.handle.pause();
    r.run_until(&mut ev, |e| matches!(e, Event::Paused));
    r.handle.send(99).unwrap();
    let received_while_paused = got.lock().unwrap().contains(&Some(99));
    assert!(!received_while_paused);
    r.handle.resume();
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(v) if *v >= 3));
    r.handle.quit();
    r.run_until(&mut ev, |_| false);
    let g = got.lock().unwrap();
    assert_eq!(g.iter().filter(|v| **v == Some(99)).count(), 1);
}

#[test]
fn recv_waits_for_a_value_and_honours_quit() {
    let mut r = rig(
        |cx: &mut Context<u32, u32>| {
            let mut total = 1;
            loop {
                cx.yield_(total).map_err(|e| e.to_string())?;
                total *= cx.recv().map_err(|e| e.to_string())?;
                if total == 0 {
                    return Ok("Game Over!");
                }
            }
        },
        opts(),
        Pool::global(),
    );
    let mut ev = vec![];
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(1)));
    r.handle.send(6).unwrap();
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(6)));
    r.handle.send(7).unwrap();
    r.run_until(&mut ev, |e| matches!(e, Event::Yielded(42)));
    r.handle.send(0).unwrap();
    r.run_until(&mut ev, |_| false);
    assert_eq!(yields(&ev), [1, 6, 42]);
    assert!(matches!(ev[ev.len() - 2], Event::Returned("Game Over!")));

    let mut r2 = rig(
        |cx: &mut Context<u32, u32>| cx.recv().map(|_| ()).map_err(|e| e.to_string()),
        opts(),
        Pool::global(),
    );
    let mut ev2 = vec![];
    r2.run_until(&mut ev2, |e| matches!(e, Event::Started));
    r2.handle.quit();
    r2.run_until(&mut ev2, |_| false);
    assert_eq!(kinds(&ev2), ["started", "aborted", "finished"]);
}

#[test]
fn send_to_a_finished_worker_is_refused_and_unreceived_values_are_reported() {
    let (gate_tx, gate_rx) = cb::bounded::<()>(0);
    let mut r = rig(
        move |_cx: &mut Context<u32, u32>| {
            gate_rx.recv().unwrap();
            Ok(())
        },
        opts(),
        Pool::global(),
    );
    r.handle.send(1).unwrap();
    r.handle.send(2).unwrap();
    gate_tx.send(()).unwrap();
    let ev = r.run();
    assert_eq!(kinds(&ev), ["started", "warned", "returned", "finished"]);
    match &ev[1] {
        Event::Warned(m) => assert!(m.contains("2 value(s)") && m.contains("'test'"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.handle.send(3), Err(SendError::Finished(3)));
}
