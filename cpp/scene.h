// qworker's C++ for scene scripting (serves src/testing/scene.rs): reaching into a QML scene
// or a widget from Rust: find objects, read and write properties, invoke, grab.
#pragma once

#include <memory>

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QVariant>
#include <QtGui/QImage>

#include "rust/cxx.h"

class QQmlApplicationEngine;

namespace qworker::scene {

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

} // namespace qworker::scene
