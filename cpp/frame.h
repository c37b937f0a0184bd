// qworker's C++ for frames (serves src/image/frame.rs): wrapping Rust-owned pixels in a
// QImage without a copy, reading images back, saving them.
#pragma once

#include <cstddef>
#include <cstdint>

#include <QtCore/QVariant>
#include <QtGui/QImage>

#include "rust/cxx.h"

namespace qworker::frame {


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

} // namespace qworker::frame
