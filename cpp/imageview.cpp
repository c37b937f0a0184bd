#include "qworker/imageview.h"

#include <algorithm>
#include <string>
#include <vector>

#include <QtCore/QVariantMap>
#include <QtGui/QPainter>

namespace qworker::widgets {

ImageView::ImageView(QWidget* parent)
  : QWidget(parent)
{
  // The view paints every pixel itself: no need for Qt to clear the background first.
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void
ImageView::setImage(const QImage& image)
{
  m_image = image;
  if (!image.isNull()) {
    ++m_received;
    ++m_seq;
  }
  update();
}

bool
ImageView::setFrame(const QVariant& value)
{
  QImage image;
  if (value.metaType() == QMetaType::fromType<QImage>()) {
    image = value.value<QImage>();
  } else if (value.metaType() == QMetaType::fromType<QVariantMap>()) {
    image = value.toMap().value(QStringLiteral("image")).value<QImage>();
  }
  if (image.isNull()) {
    return false;
  }
  setImage(image);
  return true;
}

void
ImageView::setBackground(const QColor& color)
{
  m_background = color;
  update();
}

void
ImageView::setSmooth(bool smooth)
{
  m_smooth = smooth;
  update();
}

QSize
ImageView::sizeHint() const
{
  return m_image.isNull() ? QSize(640, 480) : m_image.size();
}

void
ImageView::paintEvent(QPaintEvent*)
{
  ++m_paints;
  QPainter painter(this);
  painter.fillRect(rect(), m_background);
  if (m_image.isNull() || width() <= 0 || height() <= 0) {
    return;
  }
  const double scale =
    std::min(double(width()) / m_image.width(), double(height()) / m_image.height());
  const double w = m_image.width() * scale;
  const double h = m_image.height() * scale;
  const QRectF target((width() - w) / 2.0, (height() - h) / 2.0, w, h);
  painter.setRenderHint(QPainter::SmoothPixmapTransform, m_smooth);
  painter.drawImage(target, m_image);
  if (m_paintedSeq != m_seq) {
    m_paintedSeq = m_seq;
    ++m_shown;
  }
}

namespace {

// argc/argv must outlive the QApplication.
struct Args
{
  std::vector<std::string> strings;
  std::vector<char*> pointers;
  int argc = 0;
};

Args&
storedArgs()
{
  static Args args;
  return args;
}

} // namespace

std::unique_ptr<QApplication>
new_application(rust::Vec<rust::String> args)
{
  Args& a = storedArgs();
  a.strings.clear();
  for (const auto& s : args) {
    a.strings.emplace_back(std::string(s));
  }
  if (a.strings.empty()) {
    a.strings.emplace_back("qworker");
  }
  a.pointers.clear();
  for (auto& s : a.strings) {
    a.pointers.push_back(s.data());
  }
  a.pointers.push_back(nullptr);
  a.argc = static_cast<int>(a.strings.size());
  return std::make_unique<QApplication>(a.argc, a.pointers.data());
}

std::int32_t
application_exec()
{
  return QApplication::exec();
}

void
application_quit()
{
  QCoreApplication::quit();
}

std::unique_ptr<ImageView>
new_image_view()
{
  return std::make_unique<ImageView>();
}

void
image_view_set_image(ImageView& view, const QImage& image)
{
  view.setImage(image);
}

bool
image_view_set_frame(ImageView& view, const QVariant& value)
{
  return view.setFrame(value);
}

void
image_view_set_background(ImageView& view, std::uint8_t r, std::uint8_t g, std::uint8_t b)
{
  view.setBackground(QColor(r, g, b));
}

void
image_view_set_smooth(ImageView& view, bool smooth)
{
  view.setSmooth(smooth);
}

void
image_view_show(ImageView& view)
{
  view.show();
}

void
image_view_hide(ImageView& view)
{
  view.hide();
}

void
image_view_resize(ImageView& view, std::int32_t width, std::int32_t height)
{
  view.resize(width, height);
}

void
image_view_set_title(ImageView& view, rust::Str title)
{
  view.setWindowTitle(QString::fromUtf8(title.data(), static_cast<qsizetype>(title.size())));
}

bool
image_view_is_visible(const ImageView& view)
{
  return view.isVisible();
}

std::uint64_t
image_view_received(const ImageView& view)
{
  return view.framesReceived();
}

std::uint64_t
image_view_shown(const ImageView& view)
{
  return view.framesShown();
}

std::uint64_t
image_view_paints(const ImageView& view)
{
  return view.paintCount();
}

QImage
image_view_grab(ImageView& view)
{
  return view.grab().toImage();
}

QObject*
image_view_qobject(ImageView& view)
{
  return &view;
}

} // namespace qworker::widgets
