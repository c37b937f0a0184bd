// qworker's QWidget image view, for widget applications, and the QApplication helpers Rust
// needs to run one. Usable from C++ hosts as is: connect a worker's yielded(QVariant) to
// ImageView::setFrame. No Q_OBJECT (no moc): slots are reached through lambdas or QMetaMethod.
//
// Guarantees: the view keeps one image, the newest; it asks for a repaint only when a new
// image arrives; the image is scaled to fit with its aspect ratio kept, centred on the
// background colour; no pixel is copied on the way in (QImage is implicitly shared).
#pragma once

#include <cstdint>
#include <memory>

#include <QtGui/QColor>
#include <QtGui/QImage>
#include <QtWidgets/QApplication>
#include <QtWidgets/QWidget>

#include "rust/cxx.h"

namespace qworker::widgets {

class ImageView : public QWidget
{
public:
  explicit ImageView(QWidget* parent = nullptr);

  // Shows `image` (shared, not copied). A null image clears the view.
  void setImage(const QImage& image);
  // Shows the QImage in `value` (e.g. a worker's yielded qworker::Frame, or a map with an
  // "image" entry). Returns false for anything else.
  bool setFrame(const QVariant& value);
  void setBackground(const QColor& color);
  // When false, scaling uses nearest neighbour (sharp pixels) instead of bilinear.
  void setSmooth(bool smooth);

  std::uint64_t framesReceived() const { return m_received; }
  // Distinct images painted at least once.
  std::uint64_t framesShown() const { return m_shown; }
  // Every paintEvent, including resizes, exposes and grab().
  std::uint64_t paintCount() const { return m_paints; }
  const QImage& image() const { return m_image; }

  QSize sizeHint() const override;

protected:
  void paintEvent(QPaintEvent* event) override;

private:
  QImage m_image;
  QColor m_background{ 17, 18, 20 };
  bool m_smooth = true;
  std::uint64_t m_received = 0;
  std::uint64_t m_shown = 0;
  std::uint64_t m_paints = 0;
  std::uint64_t m_seq = 0;
  std::uint64_t m_paintedSeq = 0;
};

// ---- for Rust ----

// A QApplication built from `args` (argv[0] first). The arguments are kept alive for the
// application's lifetime, as Qt requires.
std::unique_ptr<QApplication> new_application(rust::Vec<rust::String> args);
std::int32_t application_exec();
void application_quit();

std::unique_ptr<ImageView> new_image_view();
void image_view_set_image(ImageView& view, const QImage& image);
bool image_view_set_frame(ImageView& view, const QVariant& value);
void image_view_set_background(ImageView& view, std::uint8_t r, std::uint8_t g, std::uint8_t b);
void image_view_set_smooth(ImageView& view, bool smooth);
void image_view_show(ImageView& view);
void image_view_hide(ImageView& view);
void image_view_resize(ImageView& view, std::int32_t width, std::int32_t height);
void image_view_set_title(ImageView& view, rust::Str title);
bool image_view_is_visible(const ImageView& view);
std::uint64_t image_view_received(const ImageView& view);
std::uint64_t image_view_shown(const ImageView& view);
std::uint64_t image_view_paints(const ImageView& view);
// What is on screen: the widget rendered into an image (this runs a paintEvent).
QImage image_view_grab(ImageView& view);
QObject* image_view_qobject(ImageView& view);

} // namespace qworker::widgets
