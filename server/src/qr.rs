//! QR codes of personal links, for printing on receipts: SVG (sharp at any
//! size) and PNG (for tills that only take images).

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module of the PNG: 8 gives about 3 cm at a receipt printer's
/// 203 dpi for a typical link, and stays readable when scaled down.
const PNG_MODULE_PIXELS: usize = 8;
/// The blank margin the QR standard asks for, in modules.
const QUIET_ZONE_MODULES: usize = 4;

/// Medium error correction (15 %): a creased or smudged receipt still scans,
/// and the code stays small.
fn code(text: &str) -> QrCode {
    // A link is far below the 2 331 bytes version 40 holds at level M.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .expect("a personal link fits in a QR code")
}

pub fn svg(text: &str) -> String {
    code(text)
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build()
}

pub fn png(text: &str) -> Vec<u8> {
    let code = code(text);
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE_MODULES) * PNG_MODULE_PIXELS;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (
            i % modules + QUIET_ZONE_MODULES,
            i / modules + QUIET_ZONE_MODULES,
        );
        for y in my * PNG_MODULE_PIXELS..(my + 1) * PNG_MODULE_PIXELS {
            let row = y * side;
            pixels[row + mx * PNG_MODULE_PIXELS..row + (mx + 1) * PNG_MODULE_PIXELS].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("writing to memory");
        writer
            .write_image_data(&pixels)
            .expect("the image has the size of its header");
    }
    out
}
