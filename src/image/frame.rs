//! [`Frame`]: an image that owns its pixels, built on a worker thread and shown on the GUI
//! thread without a copy.
//!
//! Guarantees: a `Frame` is `Send + Sync` and cheap to clone (shared, immutable pixels); its
//! size and buffer length were checked when it was built (bad input is a [`FrameError`], never
//! a panic); [`Frame::to_qimage`] wraps the same buffer (no pixel is copied) and the buffer
//! lives until the last `Frame` clone and the last `QImage` sharing it are gone.

use std::fmt;
use std::sync::Arc;

use cxx_qt_lib::{QImage, QVariant};

use crate::{ConvertError, ToVariant};

#[cxx_qt::bridge]
mod ffi {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qimage.h");
        type QImage = cxx_qt_lib::QImage;
    }

    #[namespace = "qworker::frame"]
    unsafe extern "C++" {
        include!("qworker/frame.h");
        /// # Safety
        /// `data` points to `stride * height` readable bytes that stay valid and unchanged
        /// until `release(info)` is called (Qt calls it when the last image copy is gone).
        unsafe fn wrap_pixels(
            data: *const u8,
            width: i32,
            height: i32,
            stride: usize,
            format: i32,
            release: fn(usize),
            info: usize,
        ) -> QImage;
        fn image_bits_address(image: &QImage) -> usize;
        fn image_to_rgba8(image: &QImage) -> Vec<u8>;
        fn image_save(image: &QImage, path: &str) -> bool;
    }
}

/// How a [`Frame`]'s bytes are laid out: rows top to bottom, pixels left to right, no padding.
///
/// ```
/// use qworker::image::FrameFormat;
/// assert_eq!(FrameFormat::Rgb8.bytes_per_pixel(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameFormat {
    /// One byte per pixel, 0 black to 255 white (`QImage::Format_Grayscale8`).
    Gray8,
    /// Red, green, blue bytes (`QImage::Format_RGB888`).
    Rgb8,
    /// Red, green, blue, alpha bytes, not premultiplied (`QImage::Format_RGBA8888`).
    Rgba8,
}

impl FrameFormat {
    /// Bytes per pixel: 1, 3 or 4.
    ///
    /// ```
    /// assert_eq!(qworker::image::FrameFormat::Gray8.bytes_per_pixel(), 1);
    /// ```
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            FrameFormat::Gray8 => 1,
            FrameFormat::Rgb8 => 3,
            FrameFormat::Rgba8 => 4,
        }
    }

    /// The code `cpp/frame.cpp` maps to a `QImage::Format`.
    fn code(self) -> i32 {
        match self {
            FrameFormat::Gray8 => 0,
            FrameFormat::Rgb8 => 1,
            FrameFormat::Rgba8 => 2,
        }
    }
}

/// A frame could not be built; the message says what was wrong.
///
/// ```
/// let e = qworker::image::Frame::gray8(4, 4, vec![0; 3]).unwrap_err();
/// assert_eq!(e.to_string(), "a 4x4 Gray8 frame needs 16 bytes, got 3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(String);

impl FrameError {
    /// The message.
    ///
    /// ```
    /// let e = qworker::image::Frame::rgb8(1, 1, vec![]).unwrap_err();
    /// assert!(e.message().contains("needs 3 bytes"));
    /// ```
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FrameError {}

struct Pixels {
    width: u32,
    height: u32,
    format: FrameFormat,
    bytes: Vec<u8>,
}

/// An image that owns its pixels: build it on the worker thread, yield it, show it.
///
/// Clones share the pixels (an `Arc`). Yield frames from a generator worker with
/// [`Policy::Latest`](crate::Policy::Latest) so a producer faster than the screen never
/// queues more than one undelivered frame. QML receivers get a `QImage` (see [`ToVariant`]),
/// which a `FrameView` shows; Rust receivers get the `Frame` itself.
///
/// ```no_run
/// use qworker::image::Frame;
/// use qworker::{BoxError, Context, Policy};
/// let worker = qworker::generator(|cx: &mut Context<Frame>| -> Result<(), BoxError> {
///     for i in 0..100u32 {
///         let pixels: Vec<f32> = (0..64 * 64).map(|p| ((p + i) % 64) as f32 / 63.0).collect();
///         cx.yield_(Frame::from_f32(64, 64, &pixels, (0.0, 1.0))?)?;
///     }
///     Ok(())
/// })
/// .policy(Policy::Latest);
/// worker.on_yielded(|frame| println!("{}x{}", frame.width(), frame.height()));
/// worker.start()?;
/// # Ok::<(), qworker::StartError>(())
/// ```
#[derive(Clone)]
pub struct Frame {
    pixels: Arc<Pixels>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width())
            .field("height", &self.height())
            .field("format", &self.format())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Frame {
    /// Same size, format and pixels.
    fn eq(&self, other: &Self) -> bool {
        self.width() == other.width()
            && self.height() == other.height()
            && self.format() == other.format()
            && self.bytes() == other.bytes()
    }
}

impl Frame {
    /// A frame of `width` x `height` pixels in `format`, taking `bytes` (tightly packed rows,
    /// `width * height * format.bytes_per_pixel()` bytes) without copying them.
    ///
    /// ```
    /// use qworker::image::{Frame, FrameFormat};
    /// let f = Frame::new(2, 1, FrameFormat::Rgb8, vec![255, 0, 0, 0, 0, 255]).unwrap();
    /// assert_eq!(f.pixel(1, 0), [0, 0, 255, 255]);
    /// assert!(Frame::new(0, 1, FrameFormat::Rgb8, vec![]).is_err());
    /// ```
    pub fn new(
        width: u32,
        height: u32,
        format: FrameFormat,
        bytes: Vec<u8>,
    ) -> Result<Frame, FrameError> {
        let expected = Self::byte_len(width, height, format)?;
        if bytes.len() != expected {
            return Err(FrameError(format!(
                "a {width}x{height} {format:?} frame needs {expected} bytes, got {}",
                bytes.len()
            )));
        }
        // QImage reads 32-bit pixels with word loads: keep the buffer 4-byte aligned. The
        // global allocator gives at least that in practice; copy if a custom one did not.
        let bytes = if !(bytes.as_ptr() as usize).is_multiple_of(4) {
            bytes.as_slice().to_vec()
        } else {
            bytes
        };
        Ok(Frame {
            pixels: Arc::new(Pixels {
                width,
                height,
                format,
                bytes,
            }),
        })
    }

    /// The byte length of a frame, or why there can be none.
    fn byte_len(width: u32, height: u32, format: FrameFormat) -> Result<usize, FrameError> {
        if width == 0 || height == 0 {
            return Err(FrameError(format!(
                "a frame needs a non-zero size, got {width}x{height}"
            )));
        }
        if width > i32::MAX as u32 || height > i32::MAX as u32 {
            return Err(FrameError(format!(
                "{width}x{height} is larger than Qt images can be ({} pixels per side)",
                i32::MAX
            )));
        }
        (width as usize)
            .checked_mul(height as usize)
            .and_then(|n| n.checked_mul(format.bytes_per_pixel()))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| FrameError(format!("a {width}x{height} {format:?} frame is too large")))
    }

    /// An RGBA frame (4 bytes per pixel, straight alpha).
    ///
    /// ```
    /// let red = qworker::image::Frame::rgba8(1, 1, vec![255, 0, 0, 255]).unwrap();
    /// assert_eq!(red.pixel(0, 0), [255, 0, 0, 255]);
    /// ```
    pub fn rgba8(width: u32, height: u32, bytes: Vec<u8>) -> Result<Frame, FrameError> {
        Frame::new(width, height, FrameFormat::Rgba8, bytes)
    }

    /// An RGB frame (3 bytes per pixel).
    ///
    /// ```
    /// let f = qworker::image::Frame::rgb8(2, 2, vec![0; 12]).unwrap();
    /// assert_eq!(f.bytes().len(), 12);
    /// ```
    pub fn rgb8(width: u32, height: u32, bytes: Vec<u8>) -> Result<Frame, FrameError> {
        Frame::new(width, height, FrameFormat::Rgb8, bytes)
    }

    /// A grey-level frame (1 byte per pixel).
    ///
    /// ```
    /// let f = qworker::image::Frame::gray8(3, 1, vec![0, 128, 255]).unwrap();
    /// assert_eq!(f.pixel(1, 0), [128, 128, 128, 255]);
    /// ```
    pub fn gray8(width: u32, height: u32, bytes: Vec<u8>) -> Result<Frame, FrameError> {
        Frame::new(width, height, FrameFormat::Gray8, bytes)
    }

    /// A grey-level frame from floating-point data and contrast limits, as napari's
    /// `contrast_limits`: `lo` and below is black, `hi` and above is white, linear between;
    /// NaN is black. The mapping runs here, on the calling (worker) thread.
    ///
    /// ```
    /// let f = qworker::image::Frame::from_f32(4, 1, &[0.4, 0.45, 0.5, 0.6], (0.45, 0.55)).unwrap();
    /// assert_eq!(f.bytes(), &[0, 0, 128, 255]);
    /// assert!(qworker::image::Frame::from_f32(1, 1, &[0.0], (1.0, 1.0)).is_err());
    /// ```
    pub fn from_f32(
        width: u32,
        height: u32,
        data: &[f32],
        contrast_limits: (f32, f32),
    ) -> Result<Frame, FrameError> {
        let (lo, hi) = contrast_limits;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(FrameError(format!(
                "contrast limits must be finite with low < high, got ({lo}, {hi})"
            )));
        }
        let expected = Self::byte_len(width, height, FrameFormat::Gray8)?;
        if data.len() != expected {
            return Err(FrameError(format!(
                "a {width}x{height} image needs {expected} values, got {}",
                data.len()
            )));
        }
        let scale = 255.0 / (hi - lo);
        let bytes = data
            .iter()
            .map(|&v| {
                let g = (v - lo) * scale + 0.5;
                // `as u8` saturates, and maps NaN to 0.
                g.clamp(0.0, 255.0) as u8
            })
            .collect();
        Frame::gray8(width, height, bytes)
    }

    /// A frame of one colour, `[r, g, b, a]`.
    ///
    /// ```
    /// let f = qworker::image::Frame::solid(8, 4, [0, 128, 255, 255]).unwrap();
    /// assert_eq!(f.pixel(7, 3), [0, 128, 255, 255]);
    /// ```
    pub fn solid(width: u32, height: u32, rgba: [u8; 4]) -> Result<Frame, FrameError> {
        let n = Self::byte_len(width, height, FrameFormat::Rgba8)? / 4;
        let mut bytes = Vec::with_capacity(n * 4);
        for _ in 0..n {
            bytes.extend_from_slice(&rgba);
        }
        Frame::rgba8(width, height, bytes)
    }

    /// A copy of `image`'s pixels as an RGBA frame (for tests and tools: this copies).
    ///
    /// ```no_run
    /// # let image = cxx_qt_lib::QImage::default();
    /// let frame = qworker::image::Frame::from_qimage(&image).expect("not a null image");
    /// println!("mean grey {:.1}", frame.mean_gray());
    /// ```
    pub fn from_qimage(image: &QImage) -> Result<Frame, FrameError> {
        if image.is_null() {
            return Err(FrameError("the image is null".into()));
        }
        Frame::rgba8(
            image.width() as u32,
            image.height() as u32,
            ffi::image_to_rgba8(image),
        )
    }

    /// Width in pixels.
    ///
    /// ```
    /// let f = qworker::image::Frame::gray8(4, 2, vec![0; 8]).unwrap();
    /// assert_eq!((f.width(), f.height(), f.stride()), (4, 2, 4));
    /// ```
    pub fn width(&self) -> u32 {
        self.pixels.width
    }

    /// Height in pixels.
    ///
    /// ```
    /// assert_eq!(qworker::image::Frame::solid(3, 5, [0; 4]).unwrap().height(), 5);
    /// ```
    pub fn height(&self) -> u32 {
        self.pixels.height
    }

    /// The pixel layout.
    ///
    /// ```
    /// use qworker::image::{Frame, FrameFormat};
    /// assert_eq!(Frame::rgb8(1, 1, vec![1, 2, 3]).unwrap().format(), FrameFormat::Rgb8);
    /// ```
    pub fn format(&self) -> FrameFormat {
        self.pixels.format
    }

    /// The pixel bytes (tightly packed rows).
    ///
    /// ```
    /// assert_eq!(qworker::image::Frame::gray8(2, 1, vec![7, 9]).unwrap().bytes(), &[7, 9]);
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.pixels.bytes
    }

    /// Bytes per row.
    ///
    /// ```
    /// assert_eq!(qworker::image::Frame::rgb8(5, 1, vec![0; 15]).unwrap().stride(), 15);
    /// ```
    pub fn stride(&self) -> usize {
        self.pixels.width as usize * self.pixels.format.bytes_per_pixel()
    }

    /// The pixel at (`x`, `y`) as `[r, g, b, a]`. Panics when out of bounds, like indexing.
    ///
    /// ```
    /// let f = qworker::image::Frame::rgba8(1, 2, vec![1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    /// assert_eq!(f.pixel(0, 1), [5, 6, 7, 8]);
    /// ```
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        assert!(
            x < self.width() && y < self.height(),
            "pixel ({x}, {y}) is outside the {}x{} frame",
            self.width(),
            self.height()
        );
        let bpp = self.format().bytes_per_pixel();
        let i = y as usize * self.stride() + x as usize * bpp;
        let b = &self.bytes()[i..i + bpp];
        match self.format() {
            FrameFormat::Gray8 => [b[0], b[0], b[0], 255],
            FrameFormat::Rgb8 => [b[0], b[1], b[2], 255],
            FrameFormat::Rgba8 => [b[0], b[1], b[2], b[3]],
        }
    }

    /// Mean grey level (0..=255) over all pixels, (r + g + b) / 3 per pixel.
    ///
    /// ```
    /// assert_eq!(qworker::image::Frame::solid(2, 2, [255, 255, 0, 255]).unwrap().mean_gray(), 170.0);
    /// ```
    pub fn mean_gray(&self) -> f64 {
        self.gray_stats().0
    }

    /// Standard deviation of the grey level over all pixels: 0 for a uniform frame.
    ///
    /// ```
    /// assert_eq!(qworker::image::Frame::solid(2, 2, [9, 9, 9, 255]).unwrap().gray_stddev(), 0.0);
    /// ```
    pub fn gray_stddev(&self) -> f64 {
        self.gray_stats().1
    }

    fn gray_stats(&self) -> (f64, f64) {
        let (w, h) = (self.width(), self.height());
        let n = (w as f64) * (h as f64);
        let (mut sum, mut sq) = (0.0f64, 0.0f64);
        for y in 0..h {
            for x in 0..w {
                let p = self.pixel(x, y);
                let g = (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0;
                sum += g;
                sq += g * g;
            }
        }
        let mean = sum / n;
        (mean, (sq / n - mean * mean).max(0.0).sqrt())
    }

    /// A `QImage` over this frame's pixels: no pixel is copied. The image keeps the pixels
    /// alive (it holds a reference) and never writes to them; painting into it makes Qt
    /// detach a copy first. Call it on any thread; show the image on the GUI thread.
    ///
    /// ```no_run
    /// let frame = qworker::image::Frame::solid(640, 480, [0, 0, 0, 255]).unwrap();
    /// let image = frame.to_qimage();
    /// assert_eq!(image.width(), 640);
    /// ```
    pub fn to_qimage(&self) -> QImage {
        fn release(info: usize) {
            // SAFETY: `info` came from `Arc::into_raw` below, and Qt calls the cleanup once.
            drop(unsafe { Arc::from_raw(info as *const Pixels) });
        }
        let info = Arc::into_raw(self.pixels.clone()) as usize;
        let p = &*self.pixels;
        // SAFETY: the buffer holds `height` rows of `stride` bytes (checked when built) and
        // stays alive and unchanged until `release` drops the reference taken above.
        unsafe {
            ffi::wrap_pixels(
                p.bytes.as_ptr(),
                p.width as i32,
                p.height as i32,
                self.stride(),
                p.format.code(),
                release,
                info,
            )
        }
    }

    /// `true` when `image` shows this frame's own buffer (it was made by `to_qimage` and not
    /// copied since).
    ///
    /// ```no_run
    /// let frame = qworker::image::Frame::solid(4, 4, [1, 2, 3, 255]).unwrap();
    /// assert!(frame.shares_pixels_with(&frame.to_qimage()));
    /// ```
    pub fn shares_pixels_with(&self, image: &QImage) -> bool {
        ffi::image_bits_address(image) == self.pixels.bytes.as_ptr() as usize
    }

    /// Saves the frame as an image file; the format follows the suffix (`.png`, `.jpg`...).
    ///
    /// ```no_run
    /// qworker::image::Frame::solid(4, 4, [255, 0, 0, 255]).unwrap().save("red.png").unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), FrameError> {
        save_image(&self.to_qimage(), path)
    }
}

/// Saves `image` to `path` (format from the suffix), creating missing parent folders.
///
/// ```no_run
/// # let image = cxx_qt_lib::QImage::default();
/// qworker::image::save_image(&image, "out/shot.png").unwrap();
/// ```
pub fn save_image(image: &QImage, path: impl AsRef<std::path::Path>) -> Result<(), FrameError> {
    let path = path.as_ref();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| FrameError(format!("cannot create {}: {e}", dir.display())))?;
    }
    let text = path
        .to_str()
        .ok_or_else(|| FrameError(format!("{} is not valid UTF-8", path.display())))?;
    if image.is_null() {
        return Err(FrameError(format!("cannot save a null image to {text}")));
    }
    if ffi::image_save(image, text) {
        Ok(())
    } else {
        Err(FrameError(format!("Qt could not write {text}")))
    }
}

impl ToVariant for Frame {
    /// A `QVariant` holding a `QImage` over the frame's pixels (no copy). A `FrameView`'s
    /// `setFrame` shows it.
    fn to_variant(&self) -> Result<QVariant, ConvertError> {
        Ok(QVariant::from(&self.to_qimage()))
    }
}
