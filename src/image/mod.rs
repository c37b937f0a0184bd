//! Images from workers on screen: [`Frame`] (an owned image buffer that crosses threads and
//! becomes a `QImage` on the GUI thread without a copy), [`FrameView`] (a Qt Quick item
//! that shows a worker's newest frame) and [`ImageView`] (the same as a QWidget).
//!
//! The files: `frame` (the buffer and its conversions, `cpp/frame.cpp`), `frameview` (the
//! QML item, `cpp/frameview.cpp`), `widgets` (the widget and the `QApplication` of widget
//! programs, `cpp/imageview.cpp`). This layer uses the worker layer one way (values become
//! `QVariant`s, [`ImageView::follow`] takes a generator worker); nothing there uses it.

mod frame;
// The bridge declares `QQuickPaintedItem`, an opaque C++ type with nothing to print.
#[allow(missing_debug_implementations)]
mod frameview;
#[cfg(feature = "widgets")]
pub(crate) mod widgets;

pub use frame::{Frame, FrameError, FrameFormat, save_image};
pub use frameview::FrameView;
#[cfg(feature = "widgets")]
pub use widgets::ImageView;
