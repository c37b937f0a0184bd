//! The Qt layer: the `QWorker` QObject and its QML module, the typed Rust API on top of it,
//! value conversion to `QVariant`, and application-wide behaviour. The only code that knows Qt.

pub mod app;
pub mod driver;
pub mod frame;
pub mod frameview;
pub(crate) mod hub;
pub mod qobject;
pub mod registry;
pub mod scene;
pub mod testing;
pub mod variant;
pub mod widgets;
pub mod worker;
