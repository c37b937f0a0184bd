#include "qworker/frame.h"

#include <QtCore/QVariantMap>

namespace qworker::frame {

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

} // namespace qworker::frame
