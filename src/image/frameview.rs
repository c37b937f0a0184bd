//! `FrameView`, the QML item (module `QWorker`) that shows the newest image: bind it to a
//! worker (`worker: myWorker`: its yielded images, and a returned image), call
//! `setFrame(image)`, or push a [`Frame`] from Rust.
//!
//! Guarantees: the view keeps one image, the newest; it asks for a repaint only when a new
//! image arrived (a resize repaints the same image, which does not count as shown); the image
//! is scaled to fit with its aspect ratio kept and centred on `fillColor`; no pixel is copied
//! on the way in (the `QImage` shares the `Frame`'s buffer). Counters: `framesReceived`
//! (images handed to the view), `framesShown` (distinct images that were painted) and
//! `paintCount` (every paint, resizes included).
//!
//! Painting may run on the scene graph's render thread while the GUI thread is blocked (Qt's
//! contract for `QQuickPaintedItem::paint`); it only reads the image and bumps counters, and
//! the `statsChanged` notification is posted back to the GUI thread.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};

use cxx::UniquePtr;
use cxx_qt::{CxxQtType, Threading};
use cxx_qt_lib::{QImage, QVariant};

use super::frame::Frame;
use crate::qt::glue::{Level, log};

#[cxx_qt::bridge]
mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qimage.h");
        type QImage = cxx_qt_lib::QImage;
        include!("cxx-qt-lib/qpainter.h");
        type QPainter = cxx_qt_lib::QPainter;
        include!("cxx-qt-lib/qvariant.h");
        type QVariant = cxx_qt_lib::QVariant;
    }

    unsafe extern "C++" {
        include!(<QtQuick/QQuickPaintedItem>);
        type QQuickPaintedItem;
        // Declared here because a `#[base]` QObject gets no automatic QObject import.
        #[namespace = ""]
        type QObject = cxx_qt::QObject;
    }

    #[namespace = "qworker::frame"]
    unsafe extern "C++" {
        include!("qworker/frame.h");
        fn variant_has_image(v: &QVariant) -> bool;
        fn variant_image(v: &QVariant) -> QImage;
    }

    #[namespace = "qworker::frameview"]
    unsafe extern "C++" {
        include!("qworker/frameview.h");
        type FrameLink;
        /// # Safety
        /// Both are null or live QObjects on this thread.
        unsafe fn link_frames(source: *mut QObject, view: *mut QObject) -> UniquePtr<FrameLink>;
        fn frame_link_source(link: &FrameLink) -> *mut QObject;
        fn frame_link_connected(link: &FrameLink) -> bool;
        fn paint_fitted(
            painter: Pin<&mut QPainter>,
            image: &QImage,
            width: f64,
            height: f64,
            smooth: bool,
        );
        /// # Safety
        /// `obj` is null or a live QObject.
        unsafe fn as_painted_item(obj: *mut QObject) -> *mut QQuickPaintedItem;
    }

    unsafe extern "RustQt" {
        /// Shows the newest image it was given. QML: `FrameView { worker: w }` or
        /// `view.setFrame(image)`; Rust: [`FrameView::show_frame`].
        #[qobject]
        #[qml_element]
        #[base = QQuickPaintedItem]
        #[qproperty(*mut QObject, worker, READ = worker_object, WRITE = set_worker, NOTIFY = worker_changed)]
        #[qproperty(i32, frames_received, cxx_name = "framesReceived", READ = received_count, NOTIFY = stats_changed)]
        #[qproperty(i32, frames_shown, cxx_name = "framesShown", READ = shown_count, NOTIFY = stats_changed)]
        #[qproperty(i32, paint_count, cxx_name = "paintCount", READ = paints, NOTIFY = stats_changed)]
        #[qproperty(i32, frame_width, cxx_name = "frameWidth", READ = image_width, NOTIFY = frame_size_changed)]
        #[qproperty(i32, frame_height, cxx_name = "frameHeight", READ = image_height, NOTIFY = frame_size_changed)]
        #[qproperty(bool, has_frame, cxx_name = "hasFrame", READ = holds_frame, NOTIFY = frame_size_changed)]
        type FrameView = super::FrameViewRust;

        /// `worker` changed (also when the bound object was destroyed).
        #[qsignal]
        #[cxx_name = "workerChanged"]
        fn worker_changed(self: Pin<&mut FrameView>);
        /// `framesReceived` or `framesShown` changed.
        #[qsignal]
        #[cxx_name = "statsChanged"]
        fn stats_changed(self: Pin<&mut FrameView>);
        /// `frameWidth`, `frameHeight` or `hasFrame` changed.
        #[qsignal]
        #[cxx_name = "frameSizeChanged"]
        fn frame_size_changed(self: Pin<&mut FrameView>);

        fn worker_object(self: &FrameView) -> *mut QObject;
        unsafe fn set_worker(self: Pin<&mut FrameView>, worker: *mut QObject);
        fn received_count(self: &FrameView) -> i32;
        fn shown_count(self: &FrameView) -> i32;
        fn paints(self: &FrameView) -> i32;
        fn image_width(self: &FrameView) -> i32;
        fn image_height(self: &FrameView) -> i32;
        fn holds_frame(self: &FrameView) -> bool;

        /// Shows the image in `value` (a `QImage`, e.g. a worker's yielded `Frame`, or a map
        /// with an `image` entry). Returns false, with a warning, for anything else.
        #[qinvokable]
        #[cxx_name = "setFrame"]
        fn set_frame_variant(self: Pin<&mut FrameView>, value: &QVariant) -> bool;

        /// Like `setFrame`, but silently ignores anything that is not an image: a bound
        /// worker's `returned` value goes here (a worker may return a status string).
        #[qinvokable]
        #[cxx_name = "offerFrame"]
        fn offer_frame(self: Pin<&mut FrameView>, value: &QVariant) -> bool;

        /// Drops the image; the view shows its `fillColor` only.
        #[qinvokable]
        fn clear(self: Pin<&mut FrameView>);

        /// Resets `framesReceived` and `framesShown` to 0.
        #[qinvokable]
        #[cxx_name = "resetStats"]
        fn reset_stats(self: Pin<&mut FrameView>);

        #[qinvokable]
        #[cxx_override]
        unsafe fn paint(self: Pin<&mut FrameView>, painter: *mut QPainter);

        /// Schedules a repaint (QQuickPaintedItem::update).
        #[inherit]
        fn update(self: Pin<&mut FrameView>);
        /// The item's width (QQuickItem::width).
        #[inherit]
        fn width(self: &FrameView) -> f64;
        /// The item's height (QQuickItem::height).
        #[inherit]
        fn height(self: &FrameView) -> f64;
        /// Bilinear (true) or nearest-neighbour scaling (QQuickItem::smooth).
        #[inherit]
        fn smooth(self: &FrameView) -> bool;
    }

    impl cxx_qt::Threading for FrameView {}
    impl cxx_qt::Initialize for FrameView {}
}

pub use ffi::FrameView;

/// The Rust side of a `FrameView`.
impl std::fmt::Debug for FrameViewRust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameViewRust")
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

#[doc(hidden)]
pub struct FrameViewRust {
    image: QImage,
    link: UniquePtr<ffi::FrameLink>,
    received: i32,
    shown: i32,
    paints: i32,
    /// Bumped for every image received; `painted_seq` is the one last painted.
    seq: u64,
    painted_seq: u64,
    notify_pending: AtomicBool,
    warned_non_image: bool,
}

impl Default for FrameViewRust {
    fn default() -> Self {
        FrameViewRust {
            image: QImage::default(),
            link: UniquePtr::null(),
            received: 0,
            shown: 0,
            paints: 0,
            seq: 0,
            painted_seq: 0,
            notify_pending: AtomicBool::new(false),
            warned_non_image: false,
        }
    }
}

impl cxx_qt::Initialize for FrameView {
    fn initialize(self: Pin<&mut Self>) {}
}

impl FrameView {
    fn worker_object(&self) -> *mut cxx_qt::QObject {
        match self.rust().link.as_ref() {
            Some(l) => ffi::frame_link_source(l),
            None => std::ptr::null_mut(),
        }
    }

    /// Binds the view to `worker`'s `yielded` and `returned` signals (null unbinds).
    ///
    /// # Safety
    /// `worker` is null or a live QObject on this thread (QML guarantees both).
    unsafe fn set_worker(mut self: Pin<&mut Self>, worker: *mut cxx_qt::QObject) {
        if worker == self.worker_object() {
            return;
        }
        let link = if worker.is_null() {
            UniquePtr::null()
        } else {
            let view = self.as_mut().as_qobject_ptr();
            // SAFETY: both are live QObjects (caller's contract and `self`).
            let link = unsafe { ffi::link_frames(worker, view) };
            if !link.as_ref().is_some_and(ffi::frame_link_connected) {
                log(
                    Level::Warning,
                    "FrameView.worker: the object has neither a yielded(QVariant) nor a \
                     returned(QVariant) signal; the view stays empty",
                );
            }
            link
        };
        // Dropping the previous link disconnects it.
        self.as_mut().rust_mut().get_mut().link = link;
        self.worker_changed();
    }

    fn as_qobject_ptr(self: Pin<&mut Self>) -> *mut cxx_qt::QObject {
        use cxx_qt::casting::Upcast;
        // FrameView -> QQuickPaintedItem -> QObject (single inheritance chain in C++).
        let item: Pin<&mut ffi::QQuickPaintedItem> = self.upcast_pin();
        // SAFETY: QQuickPaintedItem derives from QObject first, so the address is the same.
        unsafe { Pin::into_inner_unchecked(item) as *mut ffi::QQuickPaintedItem }
            .cast::<cxx_qt::QObject>()
    }

    fn received_count(&self) -> i32 {
        self.rust().received
    }

    fn shown_count(&self) -> i32 {
        self.rust().shown
    }

    fn paints(&self) -> i32 {
        self.rust().paints
    }

    fn image_width(&self) -> i32 {
        let img = &self.rust().image;
        if img.is_null() { 0 } else { img.width() }
    }

    fn image_height(&self) -> i32 {
        let img = &self.rust().image;
        if img.is_null() { 0 } else { img.height() }
    }

    fn holds_frame(&self) -> bool {
        !self.rust().image.is_null()
    }

    fn set_frame_variant(self: Pin<&mut Self>, value: &QVariant) -> bool {
        if ffi::variant_has_image(value) {
            self.show_image(ffi::variant_image(value));
            return true;
        }
        if !self.rust().warned_non_image && value.is_valid() {
            log(
                Level::Warning,
                &format!(
                    "FrameView.setFrame: expected an image (a QImage, e.g. a yielded qworker::image::Frame), got {}",
                    crate::qt::variant::describe(value)
                ),
            );
        }
        // Warn once per view; `undefined` (a function's `()` result) is silently ignored.
        if value.is_valid() {
            self.rust_mut().get_mut().warned_non_image = true;
        }
        false
    }

    fn offer_frame(self: Pin<&mut Self>, value: &QVariant) -> bool {
        let image = ffi::variant_has_image(value);
        if image {
            self.show_image(ffi::variant_image(value));
        }
        image
    }

    /// Shows `frame` (no pixel is copied). Call it on the GUI thread, e.g. from a worker's
    /// `on_yielded` callback.
    ///
    /// ```no_run
    /// # fn f(view: std::pin::Pin<&mut qworker::image::FrameView>) {
    /// let frame = qworker::image::Frame::solid(64, 64, [255, 0, 0, 255]).unwrap();
    /// view.show_frame(&frame);
    /// # }
    /// ```
    pub fn show_frame(self: Pin<&mut Self>, frame: &Frame) {
        self.show_image(frame.to_qimage());
    }

    /// Shows `image` (it is shared, not copied).
    ///
    /// ```no_run
    /// # fn f(view: std::pin::Pin<&mut qworker::image::FrameView>) {
    /// view.show_image(cxx_qt_lib::QImage::default()); // a null image clears the view
    /// # }
    /// ```
    pub fn show_image(mut self: Pin<&mut Self>, image: QImage) {
        let null = image.is_null();
        let (old_w, old_h) = (self.image_width(), self.image_height());
        {
            let mut r = self.as_mut().rust_mut();
            let r = r.as_mut().get_mut();
            r.image = image;
            if !null {
                r.received = r.received.saturating_add(1);
                r.seq += 1;
            }
        }
        if (old_w, old_h) != (self.image_width(), self.image_height()) {
            self.as_mut().frame_size_changed();
        }
        if !null {
            self.as_mut().stats_changed();
        }
        self.update();
    }

    fn clear(self: Pin<&mut Self>) {
        self.show_image(QImage::default());
    }

    fn reset_stats(mut self: Pin<&mut Self>) {
        {
            let mut r = self.as_mut().rust_mut();
            let r = r.as_mut().get_mut();
            r.received = 0;
            r.shown = 0;
            r.paints = 0;
            r.painted_seq = r.seq;
        }
        self.stats_changed();
    }

    /// Images handed to the view so far (`framesReceived`).
    ///
    /// ``` no_run
    /// # fn f(view: std::pin::Pin<&mut qworker::image::FrameView>) {
    /// println!("received {}, shown {}", view.frames_received(), view.frames_shown());
    /// # }
    /// ```
    pub fn frames_received(&self) -> u32 {
        self.rust().received as u32
    }

    /// Distinct images painted so far (`framesShown`); at most `frames_received`.
    ///
    /// ``` no_run
    /// # fn f(view: &qworker::image::FrameView) {
    /// assert!(view.frames_shown() <= view.frames_received());
    /// # }
    /// ```
    pub fn frames_shown(&self) -> u32 {
        self.rust().shown as u32
    }

    /// The `FrameView` behind `obj`, if it is one.
    ///
    /// # Safety
    /// `obj` is null or a live QObject; the result must not outlive it.
    ///
    /// ``` no_run
    /// # fn f(obj: *mut cxx_qt::QObject) {
    /// if let Some(view) = unsafe { qworker::image::FrameView::from_qobject(obj) } {
    ///     view.show_frame(&qworker::image::Frame::solid(8, 8, [0, 0, 0, 255]).unwrap());
    /// }
    /// # }
    /// ```
    pub unsafe fn from_qobject<'a>(obj: *mut cxx_qt::QObject) -> Option<Pin<&'a mut FrameView>> {
        use cxx_qt::casting::Upcast;
        if obj.is_null() {
            return None;
        }
        // SAFETY: caller's contract; the casts are qobject_cast + dynamic_cast (null if not).
        unsafe {
            let item = ffi::as_painted_item(obj);
            if item.is_null() {
                return None;
            }
            let view = <FrameView as Upcast<ffi::QQuickPaintedItem>>::from_base_ptr(item);
            (!view.is_null()).then(|| Pin::new_unchecked(&mut *view.cast_mut()))
        }
    }

    unsafe fn paint(mut self: Pin<&mut Self>, painter: *mut cxx_qt_lib::QPainter) {
        let Some(painter) = (unsafe { painter.as_mut() }) else {
            return;
        };
        // SAFETY: QPainter is not moved by painting.
        let painter = unsafe { Pin::new_unchecked(painter) };
        let (w, h, smooth) = (self.width(), self.height(), self.smooth());
        ffi::paint_fitted(painter, &self.rust().image, w, h, smooth);
        let notify = {
            let mut r = self.as_mut().rust_mut();
            let r = r.as_mut().get_mut();
            r.paints = r.paints.saturating_add(1);
            let fresh = !r.image.is_null() && r.painted_seq != r.seq;
            if fresh {
                r.painted_seq = r.seq;
                r.shown = r.shown.saturating_add(1);
            }
            !r.notify_pending.swap(true, Ordering::AcqRel)
        };
        if notify {
            // Possibly the render thread: notify from the GUI thread.
            let _ = self.qt_thread().queue(|mut view| {
                view.as_mut()
                    .rust_mut()
                    .notify_pending
                    .store(false, Ordering::Release);
                view.stats_changed();
            });
        }
    }
}
