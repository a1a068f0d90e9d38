//! Image attachments: the format from magic bytes, dimensions, the API's limits, and
//! downscaling to the size the API would scale to anyway (see [`super::limits`]).
//!
//! Only the header is read to learn the dimensions; an image is decoded only when it must
//! be downscaled, with the `image` crate's allocation limit, and re-encoded as JPEG (when
//! it was one) or PNG. An animated GIF becomes its first frame, which is also all the
//! API looks at.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use super::AttachError;
use super::limits::{
    MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, RECOMMENDED_IMAGE_PIXELS, RECOMMENDED_IMAGE_SIDE,
};

/// The largest image chatterm will decode to downscale (about 100 megapixels of RGBA).
const MAX_DECODE_BYTES: u64 = 400 * 1024 * 1024;

/// The media type of an image the API takes, from its first bytes.
pub(super) fn media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// An image as it will be sent.
#[derive(Debug)]
pub(super) struct Prepared {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub downscaled_from: Option<(u32, u32)>,
}

/// The dimensions in an image's header.
pub(super) fn dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .into_dimensions()
        .map_err(|e| e.to_string())
}

/// Checks the image and downscales it when it is over the recommended size.
pub(super) fn prepare(
    name: &str,
    bytes: Vec<u8>,
    media_type: &'static str,
) -> Result<Prepared, AttachError> {
    let invalid = |reason: String| AttachError::Invalid {
        name: name.to_owned(),
        reason: format!("not a readable {media_type} image ({reason})"),
    };
    let (width, height) = dimensions(&bytes).map_err(invalid)?;
    if !over_recommended(width, height) {
        let size = bytes.len() as u64;
        if size > MAX_IMAGE_BYTES {
            return Err(AttachError::TooLarge {
                name: name.to_owned(),
                what: "API's image size",
                size,
                limit: MAX_IMAGE_BYTES,
                advice: "; save it as JPEG to make it smaller".into(),
            });
        }
        return Ok(Prepared {
            bytes,
            media_type,
            width,
            height,
            downscaled_from: None,
        });
    }
    let decoded = decode(&bytes).map_err(|reason| AttachError::TooManyPixels {
        name: name.to_owned(),
        width,
        height,
        limit: MAX_IMAGE_SIDE,
        advice: format!(
            " to downscale here ({reason}); shrink it first, e.g. `magick IN -resize 1568x1568 OUT`"
        ),
    })?;
    downscale(name, &decoded, media_type, (width, height))
}

fn over_recommended(width: u32, height: u32) -> bool {
    width.max(height) > RECOMMENDED_IMAGE_SIDE
        || u64::from(width) * u64::from(height) > RECOMMENDED_IMAGE_PIXELS
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    reader.decode().map_err(|e| e.to_string())
}

/// The largest size within the recommended long edge and area, keeping the aspect ratio.
pub(super) fn target_size(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (f64::from(width), f64::from(height));
    let by_side = f64::from(RECOMMENDED_IMAGE_SIDE) / w.max(h);
    let by_area = (RECOMMENDED_IMAGE_PIXELS as f64 / (w * h)).sqrt();
    let scale = by_side.min(by_area).min(1.0);
    let fit = |v: f64| ((v * scale).floor() as u32).max(1);
    (fit(w), fit(h))
}

fn downscale(
    name: &str,
    image: &DynamicImage,
    media_type: &'static str,
    original: (u32, u32),
) -> Result<Prepared, AttachError> {
    let (tw, th) = target_size(original.0, original.1);
    let small = image.resize_exact(tw, th, image::imageops::FilterType::Triangle);
    let mut out = Cursor::new(Vec::new());
    let (written, media_type) = if media_type == "image/jpeg" {
        let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
        (rgb.write_with_encoder(encoder), "image/jpeg")
    } else {
        (small.write_to(&mut out, ImageFormat::Png), "image/png")
    };
    written.map_err(|e| AttachError::Invalid {
        name: name.to_owned(),
        reason: format!("could not re-encode the downscaled image: {e}"),
    })?;
    let bytes = out.into_inner();
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(AttachError::TooLarge {
            name: name.to_owned(),
            what: "API's image size",
            size: bytes.len() as u64,
            limit: MAX_IMAGE_BYTES,
            advice: " even downscaled; save it as JPEG".into(),
        });
    }
    Ok(Prepared {
        bytes,
        media_type,
        width: tw,
        height: th,
        downscaled_from: Some(original),
    })
}
