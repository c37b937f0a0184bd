#include "qworker/scene.h"

#include <QtCore/QMetaMethod>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickItem>
#include <QtQuick/QQuickWindow>
#include <QtWidgets/QWidget>

namespace qworker::scene {

namespace {

QByteArray
bytes(rust::Str s)
{
  return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

} // namespace

std::unique_ptr<ObjectRef>
object_ref(QObject* obj)
{
  return std::make_unique<ObjectRef>(obj);
}

QObject*
object_ref_get(const ObjectRef& r)
{
  return r.get();
}

QObject*
engine_root(const QQmlApplicationEngine& engine)
{
  const auto roots = engine.rootObjects();
  return roots.isEmpty() ? nullptr : roots.last();
}

namespace {

QObject*
findIn(QObject* obj, const QString& name)
{
  if (obj->objectName() == name) {
    return obj;
  }
  for (QObject* child : obj->children()) {
    if (QObject* found = findIn(child, name)) {
      return found;
    }
  }
  if (auto* item = qobject_cast<QQuickItem*>(obj)) {
    for (QQuickItem* child : item->childItems()) {
      if (child->parent() != obj) {
        if (QObject* found = findIn(child, name)) {
          return found;
        }
      }
    }
  }
  if (auto* window = qobject_cast<QQuickWindow*>(obj)) {
    if (QQuickItem* content = window->contentItem()) {
      if (content->parent() != obj) {
        return findIn(content, name);
      }
    }
  }
  return nullptr;
}

} // namespace

QObject*
find_object(QObject& root, rust::Str name)
{
  return findIn(&root, QString::fromUtf8(bytes(name)));
}

QVariant
object_property(const QObject& obj, rust::Str name)
{
  return obj.property(bytes(name).constData());
}

bool
set_object_property(QObject& obj, rust::Str name, const QVariant& value)
{
  const QByteArray n = bytes(name);
  if (obj.metaObject()->indexOfProperty(n.constData()) < 0) {
    return false;
  }
  return obj.setProperty(n.constData(), value);
}

QVariant
invoke(QObject& obj, rust::Str method, const QList<QVariant>& args, bool& ok)
{
  ok = false;
  const QByteArray name = bytes(method);
  const QMetaObject* mo = obj.metaObject();
  QMetaMethod m;
  for (int i = mo->methodCount() - 1; i >= 0; --i) {
    const QMetaMethod candidate = mo->method(i);
    if (candidate.name() == name && candidate.parameterCount() == args.size()) {
      m = candidate;
      break;
    }
  }
  if (!m.isValid() || args.size() > 3) {
    return QVariant();
  }
  // Arguments converted to the parameter types (QML functions take QVariant).
  QVariant converted[3];
  QGenericArgument generic[3];
  for (int i = 0; i < static_cast<int>(args.size()); ++i) {
    const QMetaType type = m.parameterMetaType(i);
    if (type == QMetaType::fromType<QVariant>()) {
      converted[i] = args[i];
      generic[i] = QGenericArgument("QVariant", &converted[i]);
    } else {
      converted[i] = args[i];
      if (!converted[i].convert(type)) {
        return QVariant();
      }
      generic[i] = QGenericArgument(type.name(), converted[i].constData());
    }
  }
  QVariant ret;
  QGenericReturnArgument retArg;
  const QMetaType retType = m.returnMetaType();
  if (retType == QMetaType::fromType<QVariant>()) {
    retArg = QGenericReturnArgument("QVariant", &ret);
  } else if (retType.isValid() && retType.id() != QMetaType::Void) {
    ret = QVariant(retType);
    retArg = QGenericReturnArgument(retType.name(), ret.data());
  }
  ok = m.invoke(&obj, Qt::DirectConnection, retArg, generic[0], generic[1], generic[2]);
  return ret;
}

QImage
grab(QObject& obj)
{
  if (auto* window = qobject_cast<QQuickWindow*>(&obj)) {
    return window->grabWindow();
  }
  if (auto* item = qobject_cast<QQuickItem*>(&obj)) {
    QQuickWindow* window = item->window();
    if (!window) {
      return QImage();
    }
    const QImage whole = window->grabWindow();
    const qreal dpr = whole.devicePixelRatio();
    const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
    const QRect px = QRectF(r.x() * dpr, r.y() * dpr, r.width() * dpr, r.height() * dpr)
                       .toAlignedRect()
                       .intersected(whole.rect());
    return whole.copy(px);
  }
  if (auto* widget = qobject_cast<QWidget*>(&obj)) {
    return widget->grab().toImage();
  }
  return QImage();
}

rust::String
class_name(const QObject& obj)
{
  return rust::String(obj.metaObject()->className());
}


} // namespace qworker::scene
