//! The QWidget image view in a real QApplication (offscreen unless a platform was chosen):
//! pushed frames, a worker stream with `Latest`, repaint discipline, checked on the pixels of
//! the grabbed widget. Screenshots land in `target/test-screenshots/qt_widgets/`.

mod common;

extern crate qworker;

use std::rc::Rc;
use std::time::Duration;

use common::wait;
use qworker::image::{Frame, ImageView};
use qworker::testing::{SceneObject, process_events};
use qworker::widgets::Application;
use qworker::{BoxError, Context, Policy, ToVariant};

fn shot(view: &ImageView, name: &str) -> Frame {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let image = view.grab();
    let path = target
        .join("test-screenshots")
        .join("qt_widgets")
        .join(format!("{name}.png"));
    qworker::image::save_image(&image, path).expect("saved");
    Frame::from_qimage(&image).expect("grabbed")
}

fn main() {
    common::headless();
    cxx_qt::init_crate!(qworker);
    let _app = Application::new();
    common::run(&[
        (
            "shows_a_frame_fitted_and_centred",
            shows_a_frame_fitted_and_centred,
        ),
        (
            "repaints_only_for_a_new_frame",
            repaints_only_for_a_new_frame,
        ),
        (
            "follows_a_worker_stream_with_latest",
            follows_a_worker_stream_with_latest,
        ),
        (
            "shows_a_yielded_variant_and_refuses_others",
            shows_a_yielded_variant_and_refuses_others,
        ),
        (
            "scene_object_reaches_the_widget",
            scene_object_reaches_the_widget,
        ),
    ]);
}

fn shows_a_frame_fitted_and_centred() {
    let view = ImageView::new();
    view.set_background([0, 0, 0]);
    view.resize(200, 200);
    view.show();
    view.show_frame(&Frame::solid(50, 100, [0, 200, 0, 255]).unwrap());
    wait("painted", || view.frames_shown() == 1);
    let f = shot(&view, "fit_green");
    assert_eq!((f.width(), f.height()), (200, 200));
    assert_eq!(f.pixel(100, 100), [0, 200, 0, 255], "centre");
    assert_eq!(f.pixel(100, 2), [0, 200, 0, 255], "full height");
    assert_eq!(
        f.pixel(20, 100),
        [0, 0, 0, 255],
        "left of the frame: background"
    );
    assert_eq!(
        f.pixel(180, 100),
        [0, 0, 0, 255],
        "right of the frame: background"
    );
    assert_eq!(view.frames_received(), 1);
}

fn repaints_only_for_a_new_frame() {
    let view = ImageView::new();
    view.resize(120, 80);
    view.show();
    view.show_frame(&Frame::solid(10, 10, [255, 0, 0, 255]).unwrap());
    wait("painted", || view.frames_shown() == 1);
    process_events(Duration::from_millis(50));
    let paints = view.paint_count();
    process_events(Duration::from_millis(200));
    assert_eq!(view.paint_count(), paints, "idle repaint");
    view.show_frame(&Frame::solid(10, 10, [0, 0, 255, 255]).unwrap());
    wait("second frame painted", || view.frames_shown() == 2);
    assert_eq!(view.paint_count(), paints + 1);
    assert_eq!(shot(&view, "second_blue").pixel(60, 40), [0, 0, 255, 255]);
}

fn follows_a_worker_stream_with_latest() {
    let view = Rc::new(ImageView::new());
    view.resize(320, 240);
    view.show();
    let worker = qworker::generator(|cx: &mut Context<Frame>| -> Result<(), BoxError> {
        for i in 0..300u32 {
            let rgba = if i == 299 {
                [255, 255, 0, 255]
            } else {
                [(i % 200) as u8, 0, 80, 255]
            };
            cx.yield_(Frame::solid(320, 240, rgba)?)?;
        }
        Ok(())
    })
    .policy(Policy::Latest);
    view.follow(&worker);
    worker.start().unwrap();
    wait("finished", || worker.is_finished());
    wait("a frame painted", || view.frames_shown() >= 1);
    process_events(Duration::from_millis(100));
    let f = shot(&view, "stream_last_yellow");
    assert_eq!(
        f.pixel(160, 120),
        [255, 255, 0, 255],
        "not the newest frame"
    );
    let (received, shown) = (view.frames_received(), view.frames_shown());
    println!("    produced 300, received {received}, shown {shown}");
    assert!((1..=300).contains(&received));
    assert!(shown <= received);
}

fn shows_a_yielded_variant_and_refuses_others() {
    let view = ImageView::new();
    view.resize(64, 64);
    view.show();
    let v = Frame::solid(8, 8, [10, 20, 30, 255])
        .unwrap()
        .to_variant()
        .unwrap();
    assert!(view.show_variant(&v));
    assert!(!view.show_variant(&5i32.to_variant().unwrap()));
    assert_eq!(view.frames_received(), 1);
    assert_eq!(shot(&view, "variant").pixel(32, 32), [10, 20, 30, 255]);
}

fn scene_object_reaches_the_widget() {
    let view = ImageView::new();
    view.set_title("probe");
    let o = SceneObject::from(&view);
    assert_eq!(o.class_name(), "QWidget"); // no Q_OBJECT: the nearest meta-object
    assert_eq!(o.get::<String>("windowTitle").unwrap(), "probe");
    drop(view);
    assert!(!o.is_alive());
}
