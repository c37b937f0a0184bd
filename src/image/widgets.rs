//! Widget applications: a `QApplication` owned from Rust ([`Application`]) and a QWidget that
//! shows the newest image ([`ImageView`], C++ in `cpp/imageview.{h,cpp}`).
//!
//! Guarantees: as the QML `FrameView`: one image kept, the newest; a repaint requested only
//! when a new image arrives; aspect-preserving fit; no pixel copied on the way in. GUI thread
//! only (the types are not `Send`).

use std::pin::Pin;
use std::rc::{Rc, Weak};

use cxx::UniquePtr;
use cxx_qt_lib::{QImage, QVariant};

use super::frame::Frame;
use crate::GeneratorWorker;

#[cxx_qt::bridge]
mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qimage.h");
        type QImage = cxx_qt_lib::QImage;
        include!("cxx-qt-lib/qvariant.h");
        type QVariant = cxx_qt_lib::QVariant;
        include!(<QtWidgets/QApplication>);
        #[namespace = ""]
        type QApplication;
        #[namespace = ""]
        type QObject = cxx_qt::QObject;
    }

    #[namespace = "qworker::widgets"]
    unsafe extern "C++" {
        include!("qworker/imageview.h");
        type ImageView;
        fn new_application(args: Vec<String>) -> UniquePtr<QApplication>;
        fn application_exec() -> i32;
        fn application_quit();
        fn new_image_view() -> UniquePtr<ImageView>;
        fn image_view_set_image(view: Pin<&mut ImageView>, image: &QImage);
        fn image_view_set_frame(view: Pin<&mut ImageView>, value: &QVariant) -> bool;
        fn image_view_set_background(view: Pin<&mut ImageView>, r: u8, g: u8, b: u8);
        fn image_view_set_smooth(view: Pin<&mut ImageView>, smooth: bool);
        fn image_view_show(view: Pin<&mut ImageView>);
        fn image_view_hide(view: Pin<&mut ImageView>);
        fn image_view_resize(view: Pin<&mut ImageView>, width: i32, height: i32);
        fn image_view_set_title(view: Pin<&mut ImageView>, title: &str);
        fn image_view_is_visible(view: &ImageView) -> bool;
        fn image_view_received(view: &ImageView) -> u64;
        fn image_view_shown(view: &ImageView) -> u64;
        fn image_view_paints(view: &ImageView) -> u64;
        fn image_view_grab(view: Pin<&mut ImageView>) -> QImage;
        fn image_view_qobject(view: Pin<&mut ImageView>) -> *mut QObject;
    }
}

/// The `QApplication` of a widget program (it is also the `QGuiApplication` and
/// `QCoreApplication` qworker needs). Create one, on the main thread, before any widget.
///
/// ```no_run
/// let mut app = qworker::widgets::Application::new();
/// let view = qworker::image::ImageView::new();
/// view.show();
/// std::process::exit(app.exec());
/// ```
pub struct Application {
    app: UniquePtr<ffi::QApplication>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").finish_non_exhaustive()
    }
}

impl Application {
    /// A `QApplication` with the process's arguments (Qt reads `-platform` and friends).
    ///
    /// ``` no_run
    /// let app = qworker::widgets::Application::new(); // before any widget or worker
    /// ```
    pub fn new() -> Application {
        Application::with_args(std::env::args().collect())
    }

    /// A `QApplication` with these arguments (`args[0]` is the program name).
    ///
    /// ``` no_run
    /// let app = qworker::widgets::Application::with_args(vec!["demo".into(), "-platform".into(), "offscreen".into()]);
    /// ```
    pub fn with_args(args: Vec<String>) -> Application {
        Application {
            app: ffi::new_application(args),
        }
    }

    /// Runs the event loop until [`Application::quit`] (or the last window closes);
    /// returns the exit code.
    ///
    /// ``` no_run
    /// let mut app = qworker::widgets::Application::new();
    /// std::process::exit(app.exec());
    /// ```
    pub fn exec(&mut self) -> i32 {
        debug_assert!(self.app.as_ref().is_some());
        ffi::application_exec()
    }

    /// Asks the running event loop to return (`QCoreApplication::quit`).
    ///
    /// ``` no_run
    /// qworker::widgets::Application::quit(); // e.g. from a callback
    /// ```
    pub fn quit() {
        ffi::application_quit();
    }
}

impl Default for Application {
    fn default() -> Self {
        Application::new()
    }
}

/// A top-level QWidget that shows the newest image, fitted with its aspect ratio kept.
///
/// ```no_run
/// use std::rc::Rc;
/// use qworker::image::Frame;
/// use qworker::{BoxError, Context, Policy};
/// use qworker::image::ImageView;
/// use qworker::widgets::Application;
///
/// let mut app = Application::new();
/// let view = Rc::new(ImageView::new());
/// let worker = qworker::generator(|cx: &mut Context<Frame>| -> Result<(), BoxError> {
///     for i in 0..1000u32 {
///         cx.yield_(Frame::solid(320, 240, [(i % 256) as u8, 80, 160, 255])?)?;
///     }
///     Ok(())
/// })
/// .policy(Policy::Latest);
/// view.follow(&worker);
/// view.resize(640, 480);
/// view.show();
/// worker.start().unwrap();
/// app.exec();
/// ```
pub struct ImageView {
    /// Owned (made by `UniquePtr::into_raw`, deleted in `Drop`).
    view: *mut ffi::ImageView,
}

impl std::fmt::Debug for ImageView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageView")
            .field("frames_received", &self.frames_received())
            .field("frames_shown", &self.frames_shown())
            .finish_non_exhaustive()
    }
}

impl Default for ImageView {
    fn default() -> Self {
        ImageView::new()
    }
}

impl ImageView {
    /// A hidden view (call [`show`](Self::show)). Needs an [`Application`].
    ///
    /// ``` no_run
    /// # let _app = qworker::widgets::Application::new();
    /// let view = qworker::image::ImageView::new();
    /// view.show();
    /// ```
    pub fn new() -> ImageView {
        ImageView {
            view: ffi::new_image_view().into_raw(),
        }
    }

    /// Runs `f` with the widget.
    fn with<T>(&self, f: impl FnOnce(Pin<&mut ffi::ImageView>) -> T) -> T {
        // SAFETY: owned and alive; GUI-thread only (!Send); Qt widgets are used through
        // shared pointers by design; the reference does not escape `f`.
        f(unsafe { Pin::new_unchecked(&mut *self.view) })
    }

    /// Shows `frame` (no pixel is copied) and schedules one repaint.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.show_frame(&qworker::image::Frame::solid(320, 240, [0, 128, 255, 255]).unwrap());
    /// ```
    pub fn show_frame(&self, frame: &Frame) {
        let image = frame.to_qimage();
        self.with(|v| ffi::image_view_set_image(v, &image));
    }

    /// Shows `image` (shared, not copied). A null image clears the view.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.show_image(&cxx_qt_lib::QImage::default()); // clears it
    /// ```
    pub fn show_image(&self, image: &QImage) {
        self.with(|v| ffi::image_view_set_image(v, image));
    }

    /// Shows the image inside `value` (a worker's yielded `QVariant`); false if none.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// use qworker::ToVariant;
    /// let v = qworker::image::Frame::solid(4, 4, [0; 4]).unwrap().to_variant().unwrap();
    /// assert!(view.show_variant(&v));
    /// ```
    pub fn show_variant(&self, value: &QVariant) -> bool {
        self.with(|v| ffi::image_view_set_frame(v, value))
    }

    /// Shows every frame `worker` yields (the newest wins; use `Policy::Latest`). The view
    /// is held weakly: once it is dropped, frames are ignored.
    ///
    /// ``` no_run
    /// # use std::rc::Rc;
    /// # let view = Rc::new(qworker::image::ImageView::new());
    /// let worker = qworker::from_iter((0..60u8).map(|i| qworker::image::Frame::solid(64, 64, [i * 4, 0, 0, 255]).unwrap()))
    ///     .policy(qworker::Policy::Latest);
    /// view.follow(&worker);
    /// worker.start().unwrap();
    /// ```
    pub fn follow<S, R, E>(self: &Rc<Self>, worker: &GeneratorWorker<Frame, S, R, E>)
    where
        R: Send + 'static,
        E: Send + 'static,
        S: Send + 'static,
    {
        let weak: Weak<ImageView> = Rc::downgrade(self);
        worker.on_yielded(move |frame| {
            if let Some(view) = weak.upgrade() {
                view.show_frame(frame);
            }
        });
    }

    /// The colour around the image (default a near-black grey).
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.set_background([0, 0, 0]);
    /// ```
    pub fn set_background(&self, rgb: [u8; 3]) {
        self.with(|v| ffi::image_view_set_background(v, rgb[0], rgb[1], rgb[2]));
    }

    /// Bilinear (`true`, default) or nearest-neighbour scaling.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.set_smooth(false); // sharp pixels
    /// ```
    pub fn set_smooth(&self, smooth: bool) {
        self.with(|v| ffi::image_view_set_smooth(v, smooth));
    }

    /// Shows the window.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.show();
    /// ```
    pub fn show(&self) {
        self.with(ffi::image_view_show);
    }

    /// Hides the window.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.hide();
    /// ```
    pub fn hide(&self) {
        self.with(ffi::image_view_hide);
    }

    /// `true` while shown.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.show();
    /// assert!(view.is_visible());
    /// ```
    pub fn is_visible(&self) -> bool {
        self.with(|v| ffi::image_view_is_visible(&v))
    }

    /// Resizes the window.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.resize(800, 600);
    /// ```
    pub fn resize(&self, width: i32, height: i32) {
        self.with(|v| ffi::image_view_resize(v, width, height));
    }

    /// The window title.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// view.set_title("camera 1");
    /// ```
    pub fn set_title(&self, title: &str) {
        self.with(|v| ffi::image_view_set_title(v, title));
    }

    /// Images handed to the view so far.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// println!("{} received, {} shown", view.frames_received(), view.frames_shown());
    /// ```
    pub fn frames_received(&self) -> u64 {
        self.with(|v| ffi::image_view_received(&v))
    }

    /// Distinct images painted so far (at most `frames_received`).
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// assert!(view.frames_shown() <= view.frames_received());
    /// ```
    pub fn frames_shown(&self) -> u64 {
        self.with(|v| ffi::image_view_shown(&v))
    }

    /// Every paint, resizes and grabs included.
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// let paints = view.paint_count();
    /// ```
    pub fn paint_count(&self) -> u64 {
        self.with(|v| ffi::image_view_paints(&v))
    }

    /// The widget as it looks now (this paints it once more).
    ///
    /// ``` no_run
    /// # let view = qworker::image::ImageView::new();
    /// qworker::image::save_image(&view.grab(), "view.png").unwrap();
    /// ```
    pub fn grab(&self) -> QImage {
        self.with(ffi::image_view_grab)
    }

    /// The widget as a QObject, for scene scripting (`SceneObject::from(&view)`).
    pub(crate) fn qobject(&self) -> *mut cxx_qt::QObject {
        self.with(ffi::image_view_qobject)
    }
}

impl Drop for ImageView {
    fn drop(&mut self) {
        // SAFETY: made by `UniquePtr::into_raw` in `new`; deleted once, here.
        drop(unsafe { UniquePtr::from_raw(self.view) });
    }
}
