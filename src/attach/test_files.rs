//! Files for the attachment tests: images encoded in memory, PDFs of a given page count.
//! Public so the integration tests and the benchmark make the same files.

use std::io::Cursor;

/// A PNG of `width` x `height` (a gradient, so it does not compress to nothing).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ::image::ImageFormat::Png)
}

/// A JPEG of `width` x `height`.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ::image::ImageFormat::Jpeg)
}

/// A GIF of `width` x `height`.
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ::image::ImageFormat::Gif)
}

fn encode(width: u32, height: u32, format: ::image::ImageFormat) -> Vec<u8> {
    let img = ::image::RgbImage::from_fn(width, height, |x, y| {
        ::image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image into a Vec cannot fail for these formats.
    let _ = ::image::DynamicImage::ImageRgb8(img).write_to(&mut out, format);
    out.into_inner()
}

/// A minimal PDF with `pages` pages (a page tree the page counter reads).
pub fn pdf(pages: u32) -> Vec<u8> {
    let mut out = String::from("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 3)).collect();
    out.push_str(&format!(
        "2 0 obj << /Type /Pages /Kids [{}] /Count {pages} >> endobj\n",
        kids.join(" ")
    ));
    for i in 0..pages {
        out.push_str(&format!(
            "{} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n",
            i + 3
        ));
    }
    out.push_str("trailer << /Root 1 0 R >>\n%%EOF\n");
    out.into_bytes()
}
