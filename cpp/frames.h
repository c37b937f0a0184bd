// qworker's C++ for frames and scenes: wrapping Rust-owned pixels in a QImage without a
// copy, linking a worker's signals to a FrameView, and reaching into a QML scene or a widget
// from Rust (find objects, properties, invoke, grab, save). No moc needed: no Q_OBJECT here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <QtCore/QMetaObject>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QVariant>
#include <QtGui/QImage>

#include "rust/cxx.h"

class QQmlApplicationEngine;
class QPainter;
class QQuickPaintedItem;

namespace qworker::frames {

// A QImage over `data` (width x height, `stride` bytes per row, format 0 = Grayscale8,
// 1 = RGB888, 2 = RGBA8888). No pixel is copied: when the last QImage copy that shares the
// buffer goes away, `release(info)` runs (on whatever thread that is). If the image cannot be
// built (bad sizes), `release(info)` runs at once and a null image is returned.
QImage wrap_pixels(const std::uint8_t* data,
                   std::int32_t width,
                   std::int32_t height,
                   std::size_t stride,
                   std::int32_t format,
                   rust::Fn<void(std::size_t)> release,
                   std::size_t info);

// Address of the image's first pixel (constBits), to check that no copy was made.
std::size_t image_bits_address(const QImage& image);
// The image converted to tightly packed RGBA8888 bytes (a copy; tests and tools).
rust::Vec<std::uint8_t> image_to_rgba8(const QImage& image);
// Whether `v` holds a QImage; the image in it (or the "image"/"frame" entry of a map).
bool variant_has_image(const QVariant& v);
QImage variant_image(const QVariant& v);
// Saves `image` (format from the file name's suffix, e.g. .png). False on failure.
bool image_save(const QImage& image, rust::Str path);

// Draws `image` into a width x height area, scaled to fit with its aspect ratio kept and
// centred; `smooth` picks bilinear instead of nearest-neighbour scaling.
void paint_fitted(QPainter& painter, const QImage& image, double width, double height, bool smooth);

// Keeps `view.setFrame(QVariant)` connected to `source`'s yielded(QVariant) signal and
// `view.offerFrame(QVariant)` to its returned(QVariant); disconnects when dropped. When the source is destroyed the
// view's "worker" property is reset to null.
class FrameLink
{
public:
  FrameLink(QObject* source, QObject* view);
  ~FrameLink();
  FrameLink(const FrameLink&) = delete;
  FrameLink& operator=(const FrameLink&) = delete;
  QObject* source() const;
  bool connected() const;

private:
  QPointer<QObject> m_source;
  QMetaObject::Connection m_yielded;
  QMetaObject::Connection m_returned;
  QMetaObject::Connection m_destroyed;
};

std::unique_ptr<FrameLink> link_frames(QObject* source, QObject* view);
QObject* frame_link_source(const FrameLink& link);
bool frame_link_connected(const FrameLink& link);

// The object as a QQuickPaintedItem (qobject_cast), or null.
QQuickPaintedItem* as_painted_item(QObject* obj);

// ---- scenes: QML windows and objects from Rust ----

// A guarded reference: `get()` is null once the object was destroyed.
class ObjectRef
{
public:
  explicit ObjectRef(QObject* obj)
    : m_obj(obj)
  {
  }
  QObject* get() const { return m_obj.data(); }

private:
  QPointer<QObject> m_obj;
};
std::unique_ptr<ObjectRef> object_ref(QObject* obj);
QObject* object_ref_get(const ObjectRef& r);

// The newest root object of the engine (the Window loaded last), or null.
QObject* engine_root(const QQmlApplicationEngine& engine);
// The descendant of `root` (or root itself) whose objectName is `name`, or null. Searches
// QObject children and, for Qt Quick items, visual children too.
QObject* find_object(QObject& root, rust::Str name);
QVariant object_property(const QObject& obj, rust::Str name);
bool set_object_property(QObject& obj, rust::Str name, const QVariant& value);
// Calls a method, slot, signal or QML function with 0..=3 QVariant arguments and a QVariant
// return. `ok` tells whether the call happened.
QVariant invoke(QObject& obj, rust::Str method, const QList<QVariant>& args, bool& ok);
// A picture of `obj`: a QQuickWindow whole; a QQuickItem's area of its window; a QWidget.
// Null image otherwise (or for an item not in a window).
QImage grab(QObject& obj);
// The class name from the meta-object, e.g. "FrameView".
rust::String class_name(const QObject& obj);

} // namespace qworker::frames
