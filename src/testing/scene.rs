//! Reaching into a running QML scene (or a widget) from Rust: load QML, find objects by
//! `objectName`, read and write properties, call methods and QML functions, emit signals
//! (a button's `clicked`), grab the window as an image. For examples that script their UI,
//! tools, and tests that check real pixels.
//!
//! Guarantees: a [`SceneObject`] is a guarded reference (a `QPointer`): once the object is
//! destroyed every call reports that instead of touching freed memory. GUI thread only (the
//! types are not `Send`).

use std::pin::Pin;

use cxx::UniquePtr;
use cxx_qt_lib::{QByteArray, QImage, QList, QQmlApplicationEngine, QUrl, QVariant};

use crate::image::{Frame, FrameError, FrameView, ImageView};
use crate::{ConvertError, FromVariant, ToVariant};

#[cxx_qt::bridge]
mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qimage.h");
        type QImage = cxx_qt_lib::QImage;
        include!("cxx-qt-lib/qvariant.h");
        type QVariant = cxx_qt_lib::QVariant;
        include!("cxx-qt-lib/qlist.h");
        type QList_QVariant = cxx_qt_lib::QList<cxx_qt_lib::QVariant>;
        include!("cxx-qt-lib/qqmlapplicationengine.h");
        type QQmlApplicationEngine = cxx_qt_lib::QQmlApplicationEngine;
        #[namespace = ""]
        type QObject = cxx_qt::QObject;
    }

    #[namespace = "qworker::scene"]
    unsafe extern "C++" {
        include!("qworker/scene.h");
        type ObjectRef;
        /// # Safety
        /// `obj` is null or a live QObject.
        unsafe fn object_ref(obj: *mut QObject) -> UniquePtr<ObjectRef>;
        fn object_ref_get(r: &ObjectRef) -> *mut QObject;
        fn engine_root(engine: &QQmlApplicationEngine) -> *mut QObject;
        fn find_object(root: Pin<&mut QObject>, name: &str) -> *mut QObject;
        fn object_property(obj: &QObject, name: &str) -> QVariant;
        fn set_object_property(obj: Pin<&mut QObject>, name: &str, value: &QVariant) -> bool;
        fn invoke(
            obj: Pin<&mut QObject>,
            method: &str,
            args: &QList_QVariant,
            ok: &mut bool,
        ) -> QVariant;
        fn grab(obj: Pin<&mut QObject>) -> QImage;
        fn class_name(obj: &QObject) -> String;
    }
}

/// A guarded reference to a QObject in a scene (null once it is destroyed).
///
/// ```no_run
/// # fn f(scene: &qworker::testing::SceneObject) -> Result<(), String> {
/// let button = scene.find("stopButton").ok_or("no stop button")?;
/// button.invoke("clicked", &[])?;                 // what a click does
/// let text: String = scene.find("resultLabel").unwrap().get("text").map_err(|e| e.to_string())?;
/// # Ok(()) }
/// ```
pub struct SceneObject {
    r: UniquePtr<ffi::ObjectRef>,
}

impl Clone for SceneObject {
    fn clone(&self) -> Self {
        // SAFETY: the pointer is null or alive (the guard tracks destruction).
        SceneObject {
            r: unsafe { ffi::object_ref(self.as_ptr()) },
        }
    }
}

impl std::fmt::Debug for SceneObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.object() {
            Some(o) => write!(f, "SceneObject({})", ffi::class_name(o)),
            None => f.write_str("SceneObject(destroyed)"),
        }
    }
}

impl SceneObject {
    /// A guarded reference to `obj`.
    ///
    /// # Safety
    /// `obj` is null or a live QObject living on this (the GUI) thread.
    ///
    /// ``` no_run
    /// # fn f(ptr: *mut cxx_qt::QObject) {
    /// let obj = unsafe { qworker::testing::SceneObject::from_ptr(ptr) }.expect("not null");
    /// # }
    /// ```
    pub unsafe fn from_ptr(obj: *mut cxx_qt::QObject) -> Option<SceneObject> {
        // SAFETY: caller's contract.
        (!obj.is_null()).then(|| SceneObject {
            r: unsafe { ffi::object_ref(obj) },
        })
    }

    /// The root object (the window) created last by `engine`.
    ///
    /// ```no_run
    /// # fn f(engine: &cxx_qt_lib::QQmlApplicationEngine) {
    /// let window = qworker::testing::SceneObject::from_engine(engine).expect("QML loaded");
    /// # }
    /// ```
    pub fn from_engine(engine: &QQmlApplicationEngine) -> Option<SceneObject> {
        // SAFETY: the engine's root objects are alive and on its thread.
        unsafe { SceneObject::from_ptr(ffi::engine_root(engine)) }
    }

    /// Loads `qml` (the text of a QML document whose root is a `Window`) into `engine` and
    /// returns its root. `url` names the document in error messages and resolves relative
    /// imports (e.g. `"file:///app/main.qml"`).
    ///
    /// ```no_run
    /// let mut engine = cxx_qt_lib::QQmlApplicationEngine::new();
    /// let window = qworker::testing::SceneObject::load_qml(
    ///     engine.pin_mut(),
    ///     "import QtQuick\nWindow { visible: true; width: 200; height: 100 }",
    ///     "file:///inline.qml",
    /// )
    /// .unwrap();
    /// ```
    pub fn load_qml(
        engine: Pin<&mut QQmlApplicationEngine>,
        qml: &str,
        url: &str,
    ) -> Result<SceneObject, String> {
        let before = ffi::engine_root(&engine);
        let mut engine = engine;
        engine
            .as_mut()
            .load_data(&QByteArray::from(qml), &QUrl::from(url));
        let after = ffi::engine_root(&engine);
        if after.is_null() || after == before {
            return Err(format!(
                "{url}: QML did not load (see the QML warnings above)"
            ));
        }
        // SAFETY: a root object of the engine, alive and on this thread.
        unsafe { SceneObject::from_ptr(after) }.ok_or_else(|| format!("{url}: no root object"))
    }

    /// The object, or `None` once destroyed.
    fn object(&self) -> Option<&cxx_qt::QObject> {
        // SAFETY: non-null means alive (QPointer); GUI-thread only (the type is !Send).
        self.r
            .as_ref()
            .and_then(|r| unsafe { ffi::object_ref_get(r).as_ref() })
    }

    /// Runs `f` with the object, or reports that it was destroyed.
    fn with_object<T>(&self, f: impl FnOnce(Pin<&mut cxx_qt::QObject>) -> T) -> Result<T, String> {
        let p = self.as_ptr();
        if p.is_null() {
            return Err("the object was destroyed".into());
        }
        // SAFETY: alive (QPointer) and on this thread; the reference does not escape `f`.
        Ok(f(unsafe { Pin::new_unchecked(&mut *p) }))
    }

    /// The raw pointer (null once destroyed).
    ///
    /// ``` no_run
    /// # fn f(o: &qworker::testing::SceneObject) {
    /// assert_eq!(o.as_ptr().is_null(), !o.is_alive());
    /// # }
    /// ```
    pub fn as_ptr(&self) -> *mut cxx_qt::QObject {
        self.r
            .as_ref()
            .map_or(std::ptr::null_mut(), ffi::object_ref_get)
    }

    /// `false` once the object was destroyed.
    ///
    /// ``` no_run
    /// # fn f(o: &qworker::testing::SceneObject) {
    /// if !o.is_alive() { println!("the window was closed and deleted"); }
    /// # }
    /// ```
    pub fn is_alive(&self) -> bool {
        !self.as_ptr().is_null()
    }

    /// The C++ class name (`"FrameView"`, `"QQuickText"`...), `""` once destroyed.
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject) {
    /// assert_eq!(window.find("view").unwrap().class_name(), "FrameView");
    /// # }
    /// ```
    pub fn class_name(&self) -> String {
        self.object().map(ffi::class_name).unwrap_or_default()
    }

    /// This object or the first descendant whose `objectName` is `name`.
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject) {
    /// let stop = window.find("stopButton").expect("a STOP button");
    /// # }
    /// ```
    pub fn find(&self, name: &str) -> Option<SceneObject> {
        let found = self.with_object(|root| ffi::find_object(root, name)).ok()?;
        // SAFETY: found in the live tree, on this thread.
        unsafe { SceneObject::from_ptr(found) }
    }

    /// Like [`find`](Self::find), with an error naming what is missing.
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject) -> Result<(), String> {
    /// let field = window.expect("factorField")?;
    /// # Ok(()) }
    /// ```
    pub fn expect(&self, name: &str) -> Result<SceneObject, String> {
        self.find(name)
            .ok_or_else(|| format!("no object named {name:?} in the scene"))
    }

    /// A property as a `QVariant` (invalid when there is no such property).
    ///
    /// ``` no_run
    /// # fn f(o: &qworker::testing::SceneObject) {
    /// let v = o.property("text");
    /// println!("{}", v.type_name());
    /// # }
    /// ```
    pub fn property(&self, name: &str) -> QVariant {
        self.object()
            .map(|o| ffi::object_property(o, name))
            .unwrap_or_default()
    }

    /// A property converted to `T`.
    ///
    /// ```no_run
    /// # fn f(o: &qworker::testing::SceneObject) {
    /// let shown: i64 = o.get("framesShown").unwrap();
    /// # }
    /// ```
    pub fn get<T: FromVariant>(&self, name: &str) -> Result<T, ConvertError> {
        T::from_variant(&self.property(name))
            .map_err(|e| ConvertError::new(format!("property {name:?}: {e}")))
    }

    /// Sets a property; an error when it does not exist or refuses the value.
    ///
    /// ``` no_run
    /// # fn f(field: &qworker::testing::SceneObject) -> Result<(), String> {
    /// field.set("text", "42".to_string())?;
    /// # Ok(()) }
    /// ```
    pub fn set(&self, name: &str, value: impl ToVariant) -> Result<(), String> {
        let v = value.to_variant().map_err(|e| e.to_string())?;
        self.set_variant(name, &v)
    }

    /// Sets a property from a `QVariant`.
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject, worker: &qworker::GeneratorWorker<u32>) -> Result<(), String> {
    /// window.set_variant("worker", &worker.to_qvariant())?;
    /// # Ok(()) }
    /// ```
    pub fn set_variant(&self, name: &str, value: &QVariant) -> Result<(), String> {
        if self.with_object(|o| ffi::set_object_property(o, name, value))? {
            Ok(())
        } else {
            Err(format!(
                "cannot set property {name:?} on {}",
                self.class_name()
            ))
        }
    }

    /// Calls a method, slot, QML function or signal (emitting it) by name with up to three
    /// arguments; returns its result (invalid for `void`).
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject) -> Result<(), String> {
    /// use qworker::ToVariant;
    /// window.invoke("run", &["endless".to_string().to_variant().unwrap()])?; // a QML function
    /// window.expect("stopButton")?.invoke("clicked", &[])?;                 // a click
    /// # Ok(()) }
    /// ```
    pub fn invoke(&self, method: &str, args: &[QVariant]) -> Result<QVariant, String> {
        let mut list = QList::<QVariant>::default();
        for a in args {
            list.append(a.clone());
        }
        let mut ok = false;
        let ret = self.with_object(|o| ffi::invoke(o, method, &list, &mut ok))?;
        if ok {
            Ok(ret)
        } else {
            Err(format!(
                "cannot call {method}() with {} argument(s) on {}",
                args.len(),
                self.class_name()
            ))
        }
    }

    /// A picture of the object: a window whole, a Qt Quick item's area of its window (as
    /// rendered, with what is drawn over it), a widget. A null image otherwise.
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject) {
    /// qworker::image::save_image(&window.grab_image(), "out/window.png").unwrap();
    /// # }
    /// ```
    pub fn grab_image(&self) -> QImage {
        self.with_object(ffi::grab).unwrap_or_default()
    }

    /// [`grab_image`](Self::grab_image) as an RGBA [`Frame`] (a copy), for pixel checks.
    ///
    /// ``` no_run
    /// # fn f(view: &qworker::testing::SceneObject) {
    /// let shot = view.grab().unwrap();
    /// assert!(shot.gray_stddev() > 0.0, "blank");
    /// # }
    /// ```
    pub fn grab(&self) -> Result<Frame, FrameError> {
        Frame::from_qimage(&self.grab_image())
    }

    /// Runs `f` with the object as a [`FrameView`], if it is one.
    ///
    /// ``` no_run
    /// # fn f(window: &qworker::testing::SceneObject) {
    /// let frame = qworker::image::Frame::solid(64, 64, [255, 0, 0, 255]).unwrap();
    /// window.find("view").unwrap().with_frame_view(|v| v.show_frame(&frame));
    /// # }
    /// ```
    pub fn with_frame_view<T>(&self, f: impl FnOnce(Pin<&mut FrameView>) -> T) -> Option<T> {
        // SAFETY: alive or null; the pin does not escape `f`.
        unsafe { FrameView::from_qobject(self.as_ptr()) }.map(f)
    }
}

impl From<&ImageView> for SceneObject {
    /// The widget as a scene object (properties, `invoke`, `grab`).
    ///
    /// ```no_run
    /// # let view = qworker::image::ImageView::new();
    /// let o = qworker::testing::SceneObject::from(&view);
    /// assert_eq!(o.class_name(), "QWidget");
    /// ```
    fn from(view: &ImageView) -> SceneObject {
        // SAFETY: the widget is alive (owned by `view`) and on this thread.
        unsafe { SceneObject::from_ptr(view.qobject()) }.expect("an image view has a widget")
    }
}
