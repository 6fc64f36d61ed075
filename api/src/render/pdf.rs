//! The printable certificate (R-CE-2): an A4 page in Chinese with the
//! holder, masked ID number, unit, year, hours, number, issue date and a QR
//! code of the public verify URL.
//!
//! The font ships with the project (`api/assets/fonts`, WenQuanYi Micro
//! Hei, Apache-2.0); printpdf embeds only the glyphs used (`text_layout`
//! subsetting) with a ToUnicode map, so the text can be searched and copied.
//! A character the font lacks prints as 〓 rather than as an empty box.

use std::sync::OnceLock;

use printpdf::{
    Color, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfParseErrorSeverity, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rect, Rgb, TextItem,
    WindingOrder,
};
use qrcode::{EcLevel, QrCode};

use crate::domain::year::date_in_shanghai;
use crate::render::document::{Document, hours_text};

/// The shipped CJK font (glyf outlines; GB2312 and all of U+4E00–9FA5).
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttf");

/// The certificate's title.
pub const TITLE: &str = "专业技术人员继续教育证书";

/// What a character the font lacks prints as (the typesetter's 〓).
const MISSING: char = '〓';

/// Why a certificate could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the certificate font could not be read: {0}")]
    Font(String),
    #[error("the verify URL does not fit a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// The font, parsed once (parsing is most of a render's time).
fn font() -> Result<&'static ParsedFont, PdfError> {
    static FONT: OnceLock<Result<ParsedFont, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut warnings = Vec::new();
        ParsedFont::from_bytes(FONT_BYTES, 0, &mut warnings)
            .ok_or_else(|| format!("not a font: {warnings:?}"))
    })
    .as_ref()
    .map_err(|m| PdfError::Font(m.clone()))
}

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;

fn mm(v: f32) -> Pt {
    Mm(v).into_pt()
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

struct Canvas<'a> {
    font: &'a ParsedFont,
    handle: PdfFontHandle,
    ops: Vec<Op>,
}

impl Canvas<'_> {
    /// `s` with every character the font lacks replaced by 〓.
    fn printable(&self, s: &str) -> String {
        s.chars()
            .map(|c| {
                if c.is_whitespace() || self.font.lookup_glyph_index(c as u32).is_some() {
                    c
                } else {
                    MISSING
                }
            })
            .collect()
    }

    /// Width of `s` at `size` pt, in mm (advance widths; CJK needs no shaping).
    fn width(&self, s: &str, size: f32) -> f32 {
        let upem = f32::from(self.font.font_metrics.units_per_em.max(1));
        let units: f32 = s
            .chars()
            .filter_map(|c| self.font.lookup_glyph_index(c as u32))
            .map(|g| f32::from(self.font.get_horizontal_advance(g)))
            .sum();
        units / upem * size * 25.4 / 72.0
    }

    /// The largest size up to `size` (not below `min`) at which `s` fits `max_w` mm.
    fn fit(&self, s: &str, size: f32, min: f32, max_w: f32) -> f32 {
        let w = self.width(s, size);
        if w <= max_w || w <= 0.0 {
            size
        } else {
            (size * max_w / w).max(min)
        }
    }

    fn text(&mut self, s: &str, x: f32, y: f32, size: f32, colour: &Color) {
        let s = self.printable(s);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor {
                col: colour.clone(),
            },
            Op::SetFont {
                font: self.handle.clone(),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(s)],
            },
            Op::EndTextSection,
        ]);
    }

    fn centred(&mut self, s: &str, cx: f32, y: f32, size: f32, colour: &Color) {
        let w = self.width(&self.printable(s), size);
        self.text(s, cx - w / 2.0, y, size, colour);
    }

    fn right(&mut self, s: &str, right: f32, y: f32, size: f32, colour: &Color) {
        let w = self.width(&self.printable(s), size);
        self.text(s, right - w, y, size, colour);
    }

    fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, thickness: f32, colour: &Color) {
        self.ops.extend([
            Op::SetOutlineColor {
                col: colour.clone(),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawRectangle {
                rectangle: Rect {
                    x: mm(x),
                    y: mm(y),
                    width: mm(w),
                    height: mm(h),
                    mode: Some(PaintMode::Stroke),
                    winding_order: Some(WindingOrder::NonZero),
                },
            },
        ]);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, colour: &Color) {
        self.frame(x1, y, x2 - x1, 0.0, thickness, colour);
    }

    /// A vector QR code of `data`, lower-left corner at (x, y), `size` mm
    /// square: one filled polygon of the dark runs of each row.
    fn qr(&mut self, data: &str, x: f32, y: f32, size: f32) -> Result<(), PdfError> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
        let n = code.width();
        let dark: Vec<bool> = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        let module = size / n as f32;
        let at = |px: f32, py: f32| LinePoint {
            p: Point::new(Mm(px), Mm(py)),
            bezier: false,
        };
        let mut rings = Vec::new();
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if !dark.get(row * n + col).copied().unwrap_or(false) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && dark.get(row * n + col).copied().unwrap_or(false) {
                    col += 1;
                }
                let (x0, x1) = (x + start as f32 * module, x + col as f32 * module);
                let y1 = y + size - row as f32 * module;
                let y0 = y1 - module;
                rings.push(PolygonRing {
                    points: vec![at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1)],
                });
            }
        }
        self.ops.extend([
            Op::SetFillColor {
                col: rgb(0.0, 0.0, 0.0),
            },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings,
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
        Ok(())
    }
}

/// Draws the certificate. CPU-bound (a few ms in a release build): call
/// it off the async workers.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let font = font()?;
    let mut pdf = PdfDocument::new(&format!("{TITLE} {}", doc.number));
    let id = pdf.add_font(font);
    let mut c = Canvas {
        font,
        handle: PdfFontHandle::External(id),
        ops: Vec::new(),
    };
    let black = rgb(0.1, 0.1, 0.1);
    let red = rgb(0.62, 0.08, 0.08);
    let grey = rgb(0.4, 0.4, 0.4);
    let line = rgb(0.3, 0.3, 0.3);
    let cx = PAGE_W / 2.0;

    c.frame(12.0, 12.0, PAGE_W - 24.0, PAGE_H - 24.0, 3.0, &red);
    c.frame(16.0, 16.0, PAGE_W - 32.0, PAGE_H - 32.0, 0.8, &red);
    c.centred(TITLE, cx, 250.0, 28.0, &red);
    c.centred(&format!("（{}年度）", doc.year), cx, 238.0, 14.0, &black);

    let left = 32.0;
    let value_x = left + 30.0;
    let value_w = PAGE_W - value_x - 30.0;
    let mut y = 215.0;
    let unit = doc.unit_name.as_deref().unwrap_or("—");
    for (label, value) in [
        ("姓　　名：", doc.holder_name.as_str()),
        ("身份证号：", doc.id_card_masked.as_str()),
        ("工作单位：", unit),
    ] {
        c.text(label, left, y, 13.0, &black);
        let size = c.fit(value, 13.0, 7.0, value_w);
        c.text(value, value_x, y, size, &black);
        y -= 11.0;
    }

    y -= 4.0;
    c.text(
        &format!("该同志{}年度参加专业技术人员继续教育，", doc.year),
        left,
        y,
        12.0,
        &black,
    );
    y -= 8.0;
    c.text("经审核，完成学时如下：", left, y, 12.0, &black);

    // The table shrinks its rows so that any number of series stays above
    // the footer.
    const TABLE_BOTTOM: f32 = 82.0;
    y -= 8.0;
    let (x1, x2) = (left, PAGE_W - left);
    let rows = doc.lines.len() as f32 + 1.0;
    let row_h = ((y - TABLE_BOTTOM - 6.0) / rows).clamp(2.0, 10.0);
    let size = (row_h * 0.6 * 72.0 / 25.4).min(12.0);
    let base = row_h * 0.32;
    c.rule(x1, x2, y, 1.0, &line);
    y -= row_h;
    c.text("学习类别", x1 + 4.0, y + base, size, &black);
    c.right("学时", x2 - 4.0, y + base, size, &black);
    c.rule(x1, x2, y, 0.5, &line);
    for l in &doc.lines {
        y -= row_h;
        let s = c.fit(&l.label, size, size.min(6.0), x2 - x1 - 40.0);
        c.text(&l.label, x1 + 4.0, y + base, s, &black);
        c.right(&hours_text(l.hours), x2 - 4.0, y + base, size, &black);
        let weight = if l.key == "total" { 1.0 } else { 0.3 };
        c.rule(x1, x2, y, weight, &line);
    }
    y -= 5.0;
    c.right("（单位：学时）", x2, y, 9.0, &grey);

    let issued = date_in_shanghai(doc.issued_at)
        .format("%Y年%m月%d日")
        .to_string();
    c.right(&doc.issuer_name, PAGE_W - 30.0, 72.0, 11.0, &black);
    c.right(
        &format!("证书编号：{}", doc.number),
        PAGE_W - 30.0,
        62.0,
        11.0,
        &black,
    );
    c.right(
        &format!("发证日期：{issued}"),
        PAGE_W - 30.0,
        52.0,
        11.0,
        &black,
    );
    c.right(
        "打印件加盖工作单位公章有效",
        PAGE_W - 30.0,
        42.0,
        9.0,
        &grey,
    );

    c.qr(&doc.verify_url, 30.0, 36.0, 32.0)?;
    c.text("扫码核验证书真伪", 30.0, 30.0, 9.0, &grey);
    let url_size = c.fit(&doc.verify_url, 8.0, 5.0, PAGE_W - 60.0);
    c.text(&doc.verify_url, 30.0, 24.0, url_size, &grey);

    let page = PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), c.ops);
    let opts = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = pdf.with_pages(vec![page]).save(&opts, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(PdfError::Write(w.msg.clone()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::document::HoursLine;

    pub(crate) fn sample() -> Document {
        let line = |key: &str, label: &str, hours: f64| HoursLine {
            key: key.into(),
            label: label.into(),
            hours,
        };
        Document {
            certificate_id: uuid::Uuid::nil(),
            person_id: uuid::Uuid::nil(),
            number: "2026-7KQ2-M9XD-3HTV".into(),
            year: 2026,
            holder_name: "张三丰".into(),
            id_card_masked: "440106********123X".into(),
            unit_name: Some("广州市第一人民医院".into()),
            lines: vec![
                line("public", "公需科目", 30.0),
                line("professional", "专业科目", 60.0),
                line("elective", "个人选修科目", 2.5),
                line("total", "合计", 92.5),
            ],
            issued_at: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            verify_url: "https://ce.example.cn/api/v1/verify/2026-7KQ2-M9XD-3HTV".into(),
            issuer_name: "广东省人力资源和社会保障厅".into(),
            issuer_url: "https://ce.example.cn".into(),
        }
    }

    #[test]
    fn renders_a_small_pdf() {
        let pdf = render(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 200 * 1024, "{} bytes", pdf.len());
    }

    #[test]
    fn characters_the_font_lacks_print_as_the_missing_mark() {
        let font = font().unwrap();
        let c = Canvas {
            font,
            handle: PdfFontHandle::Builtin(printpdf::BuiltinFont::Helvetica),
            ops: vec![],
        };
        // U+20BB7 𠮷 (Extension B) is not in the font; 张 is.
        assert_eq!(c.printable("张\u{20BB7}"), "张〓");
        let mut d = sample();
        d.holder_name = "吉\u{20BB7}".into();
        assert!(render(&d).is_ok());
    }

    #[test]
    fn long_names_and_many_series_still_fit() {
        let mut d = sample();
        d.unit_name =
            Some("广州市某某区某某街道某某社区卫生服务中心附属第一第二第三分院康复医学科".into());
        d.lines = (0..12)
            .map(|i| HoursLine {
                key: format!("series:s{i}"),
                label: format!("　其中 系列{i}"),
                hours: 10.0,
            })
            .collect();
        assert!(render(&d).is_ok());
    }

    #[test]
    fn a_url_too_long_for_a_qr_code_is_an_error_not_a_panic() {
        let mut d = sample();
        d.verify_url = "x".repeat(5000);
        assert!(matches!(render(&d), Err(PdfError::Qr(_))));
    }
}
