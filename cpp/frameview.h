// qworker's C++ for the FrameView item (serves src/image/frameview.rs): painting an image
// fitted into the item, and the connection from a worker's signals to the view.
#pragma once

#include <memory>

#include <QtCore/QMetaObject>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtGui/QImage>

#include "rust/cxx.h"

class QPainter;
class QQuickPaintedItem;

namespace qworker::frameview {

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

} // namespace qworker::frameview
