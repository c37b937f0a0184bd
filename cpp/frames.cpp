#include "qworker/frames.h"

#include <algorithm>

#include <QtCore/QMetaMethod>
#include <QtGui/QPainter>
#include <QtCore/QVariantMap>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickItem>
#include <QtQuick/QQuickPaintedItem>
#include <QtQuick/QQuickWindow>
#include <QtWidgets/QWidget>

namespace qworker::frames {

namespace {

struct Release
{
  rust::Fn<void(std::size_t)> release;
  std::size_t info;
};

void
releasePixels(void* p)
{
  auto* r = static_cast<Release*>(p);
  r->release(r->info);
  delete r;
}

QImage::Format
toQtFormat(std::int32_t format)
{
  switch (format) {
    case 0:
      return QImage::Format_Grayscale8;
    case 1:
      return QImage::Format_RGB888;
    case 2:
      return QImage::Format_RGBA8888;
    default:
      return QImage::Format_Invalid;
  }
}

QMetaMethod
signalOf(const QObject* obj, const char* signature)
{
  const QMetaObject* mo = obj->metaObject();
  const int index = mo->indexOfSignal(QMetaObject::normalizedSignature(signature).constData());
  return index < 0 ? QMetaMethod() : mo->method(index);
}

QMetaMethod
methodOf(const QObject* obj, const char* signature)
{
  const QMetaObject* mo = obj->metaObject();
  const int index = mo->indexOfMethod(QMetaObject::normalizedSignature(signature).constData());
  return index < 0 ? QMetaMethod() : mo->method(index);
}

QByteArray
bytes(rust::Str s)
{
  return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

} // namespace

QImage
wrap_pixels(const std::uint8_t* data,
            std::int32_t width,
            std::int32_t height,
            std::size_t stride,
            std::int32_t format,
            rust::Fn<void(std::size_t)> release,
            std::size_t info)
{
  auto* r = new Release{ release, info };
  const QImage::Format f = toQtFormat(format);
  if (f == QImage::Format_Invalid || width <= 0 || height <= 0) {
    releasePixels(r);
    return QImage();
  }
  // The const-data constructor: Qt never writes to the buffer (a write detaches a copy).
  QImage image(static_cast<const uchar*>(data),
               width,
               height,
               static_cast<qsizetype>(stride),
               f,
               releasePixels,
               r);
  if (image.isNull()) {
    // Qt did not take the buffer, so the cleanup will not run: release it here.
    releasePixels(r);
  }
  return image;
}

std::size_t
image_bits_address(const QImage& image)
{
  return reinterpret_cast<std::size_t>(image.constBits());
}

rust::Vec<std::uint8_t>
image_to_rgba8(const QImage& image)
{
  rust::Vec<std::uint8_t> out;
  if (image.isNull()) {
    return out;
  }
  const QImage rgba = image.convertToFormat(QImage::Format_RGBA8888);
  const int rowBytes = rgba.width() * 4;
  out.reserve(static_cast<std::size_t>(rowBytes) * static_cast<std::size_t>(rgba.height()));
  for (int y = 0; y < rgba.height(); ++y) {
    const uchar* row = rgba.constScanLine(y);
    for (int x = 0; x < rowBytes; ++x) {
      out.push_back(row[x]);
    }
  }
  return out;
}

bool
variant_has_image(const QVariant& v)
{
  if (v.metaType() == QMetaType::fromType<QImage>()) {
    return true;
  }
  if (v.metaType() == QMetaType::fromType<QVariantMap>()) {
    const QVariantMap m = v.toMap();
    return m.value(QStringLiteral("image")).metaType() == QMetaType::fromType<QImage>() ||
           m.value(QStringLiteral("frame")).metaType() == QMetaType::fromType<QImage>();
  }
  return false;
}

QImage
variant_image(const QVariant& v)
{
  if (v.metaType() == QMetaType::fromType<QImage>()) {
    return v.value<QImage>();
  }
  if (v.metaType() == QMetaType::fromType<QVariantMap>()) {
    const QVariantMap m = v.toMap();
    for (const auto& key : { QStringLiteral("image"), QStringLiteral("frame") }) {
      const QVariant e = m.value(key);
      if (e.metaType() == QMetaType::fromType<QImage>()) {
        return e.value<QImage>();
      }
    }
  }
  return QImage();
}

bool
image_save(const QImage& image, rust::Str path)
{
  return image.save(QString::fromUtf8(bytes(path)));
}

void
paint_fitted(QPainter& painter, const QImage& image, double width, double height, bool smooth)
{
  if (image.isNull() || width <= 0 || height <= 0) {
    return;
  }
  const double scale = std::min(width / image.width(), height / image.height());
  const double w = image.width() * scale;
  const double h = image.height() * scale;
  const QRectF target((width - w) / 2.0, (height - h) / 2.0, w, h);
  painter.setRenderHint(QPainter::SmoothPixmapTransform, smooth);
  painter.drawImage(target, image);
}

FrameLink::FrameLink(QObject* source, QObject* view)
  : m_source(source)
{
  if (!source || !view) {
    return;
  }
  const QMetaMethod slot = methodOf(view, "setFrame(QVariant)");
  if (!slot.isValid()) {
    return;
  }
  const QMetaMethod yielded = signalOf(source, "yielded(QVariant)");
  const QMetaMethod returned = signalOf(source, "returned(QVariant)");
  if (yielded.isValid()) {
    m_yielded = QObject::connect(source, yielded, view, slot);
  }
  if (returned.isValid()) {
    m_returned = QObject::connect(source, returned, view, slot);
  }
  QPointer<QObject> target(view);
  m_destroyed = QObject::connect(source, &QObject::destroyed, view, [target]() {
    if (target) {
      target->setProperty("worker", QVariant::fromValue<QObject*>(nullptr));
    }
  });
}

FrameLink::~FrameLink()
{
  QObject::disconnect(m_yielded);
  QObject::disconnect(m_returned);
  QObject::disconnect(m_destroyed);
}

QObject*
FrameLink::source() const
{
  return m_source.data();
}

bool
FrameLink::connected() const
{
  return static_cast<bool>(m_yielded) || static_cast<bool>(m_returned);
}

std::unique_ptr<FrameLink>
link_frames(QObject* source, QObject* view)
{
  return std::make_unique<FrameLink>(source, view);
}

QObject*
frame_link_source(const FrameLink& link)
{
  return link.source();
}

bool
frame_link_connected(const FrameLink& link)
{
  return link.connected();
}

QQuickPaintedItem*
as_painted_item(QObject* obj)
{
  return qobject_cast<QQuickPaintedItem*>(obj);
}

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
    if (QQuickWindow* window = item->window()) {
      return window->grabWindow();
    }
    return QImage();
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

} // namespace qworker::frames
