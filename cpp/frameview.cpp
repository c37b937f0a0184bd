#include "qworker/frameview.h"

#include <algorithm>

#include <QtCore/QMetaMethod>
#include <QtGui/QPainter>
#include <QtQuick/QQuickPaintedItem>

namespace qworker::frameview {

namespace {

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

} // namespace

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
  const QMetaMethod quiet = methodOf(view, "offerFrame(QVariant)");
  if (!slot.isValid() || !quiet.isValid()) {
    return;
  }
  const QMetaMethod yielded = signalOf(source, "yielded(QVariant)");
  const QMetaMethod returned = signalOf(source, "returned(QVariant)");
  if (yielded.isValid()) {
    m_yielded = QObject::connect(source, yielded, view, slot);
  }
  if (returned.isValid()) {
    // A returned value may be a status, not an image: offered, not required.
    m_returned = QObject::connect(source, returned, view, quiet);
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

} // namespace qworker::frameview
