//! The public verify page (R-CE-3): what `GET /verify/{number}` shows a
//! browser, e.g. after scanning a certificate's QR code. One
//! self-contained document: inline styles, no script, nothing fetched from
//! anywhere else, and everything shown escaped.

use std::fmt::Write;

use crate::domain::year::date_in_shanghai;
use crate::render::document::hours_text;
use crate::routes::views::certificates::VerifyView;

/// The page's Content-Security-Policy: nothing but its own inline styles.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escapes text for HTML element content and quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The headline and colour of each status, and what happened.
fn headline(status: &str, reason: Option<&str>) -> (&'static str, &'static str, &'static str) {
    match (status, reason) {
        ("valid", _) => ("有效", "本证书真实有效。", "#1a7f37"),
        ("superseded", Some("hours_corrected")) => (
            "已作废",
            "持证人的学时已更正，本证书已由记载现有学时的新证书取代，此编号不再有效。",
            "#9a6700",
        ),
        ("superseded", _) => (
            "已作废",
            "本证书已重新生成编号，此编号不再有效，请向持证人索取新证书。",
            "#9a6700",
        ),
        ("revoked", Some("hours_withdrawn")) => (
            "已撤销",
            "持证人该年度的学时经更正后不再达到要求，本证书已撤销。",
            "#cf222e",
        ),
        ("revoked", _) => ("已撤销", "本证书已被撤销，不再有效。", "#cf222e"),
        _ => (
            "未查到",
            "未查到该编号的证书，请核对编号是否输入正确。",
            "#57606a",
        ),
    }
}

/// The page for a verify answer.
pub fn render(v: &VerifyView, issuer_name: &str) -> String {
    let (word, sentence, colour) = headline(&v.status, v.reason.as_deref());
    let mut rows = String::new();
    let mut row = |k: &str, val: &str| {
        let _ = write!(rows, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(val));
    };
    row("证书编号", &v.number);
    if v.legacy {
        row("来源", "历史证书（原继续教育系统导入）");
    }
    if let Some(y) = v.year {
        row("年度", &format!("{y}年度"));
    }
    if let Some(n) = &v.holder_name_masked {
        row("持证人", n);
    }
    if let Some(id) = &v.id_card_masked {
        row("身份证号", id);
    }
    if let Some(at) = v.issued_at {
        row(
            "发证日期",
            &date_in_shanghai(at).format("%Y年%m月%d日").to_string(),
        );
    }
    let mut hours = String::new();
    if let Some(h) = &v.hours {
        let _ = write!(
            hours,
            "<h2>学时</h2><table class=\"hours\"><tr><th>公需科目</th><td>{}</td></tr>\
             <tr><th>专业科目</th><td>{}</td></tr><tr><th>个人选修科目</th><td>{}</td></tr>\
             <tr class=\"total\"><th>合计</th><td>{}</td></tr></table>",
            hours_text(h.public),
            hours_text(h.professional),
            hours_text(h.elective),
            hours_text(h.total)
        );
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>继续教育证书核验 · {word}</title>
<style>
body {{ font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }}
main {{ max-width: 32rem; margin: 2rem auto; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 1.5rem; }}
h1 {{ font-size: 1.25rem; margin: 0 0 1rem; }}
h2 {{ font-size: 1rem; margin: 1.25rem 0 .5rem; }}
.status {{ display: inline-block; color: #fff; background: {colour}; border-radius: 4px; padding: .25rem .75rem; font-size: 1.5rem; font-weight: bold; }}
p.sentence {{ margin: .75rem 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #eaeef2; }}
th {{ width: 40%; color: #57606a; font-weight: normal; }}
td {{ font-variant-numeric: tabular-nums; word-break: break-all; }}
tr.total th, tr.total td {{ font-weight: bold; color: #1f2328; }}
footer {{ margin-top: 1.5rem; font-size: .8rem; color: #57606a; }}
</style>
</head>
<body>
<main data-status="{status}" data-reason="{reason}" data-legacy="{legacy}">
<h1>继续教育证书核验</h1>
<div class="status" id="status">{word}</div>
<p class="sentence">{sentence}</p>
<table>{rows}</table>
{hours}
<footer>{issuer}　·　为保护个人信息，姓名和身份证号仅显示部分。</footer>
</main>
</body>
</html>
"#,
        status = esc(&v.status),
        reason = esc(v.reason.as_deref().unwrap_or("")),
        legacy = v.legacy,
        issuer = esc(issuer_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::views::certificates::CertificateHours;

    fn view(status: &str) -> VerifyView {
        VerifyView {
            status: status.into(),
            number: "2026-7KQ2-M9XD-3HTV".into(),
            year: None,
            hours: None,
            holder_name_masked: None,
            id_card_masked: None,
            issued_at: None,
            legacy: false,
            reason: None,
        }
    }

    #[test]
    fn a_valid_certificate_shows_its_holder_and_hours() {
        let mut v = view("valid");
        v.year = Some(2026);
        v.holder_name_masked = Some("张*".into());
        v.hours = Some(CertificateHours {
            public: 30.0,
            professional: 60.0,
            elective: 2.5,
            total: 92.5,
            series: vec![],
        });
        let html = render(&v, "广东省人力资源和社会保障厅");
        assert!(html.contains(r#"data-status="valid""#));
        assert!(html.contains("有效"));
        assert!(html.contains("张*"));
        assert!(html.contains("<td>92.5</td>"));
        assert!(html.contains("2026年度"));
    }

    #[test]
    fn a_legacy_certificate_is_marked_as_one() {
        let mut v = view("valid");
        v.number = "GZ2016-000123".into();
        v.legacy = true;
        let html = render(&v, "x");
        assert!(html.contains(r#"data-legacy="true""#));
        assert!(html.contains("历史证书"));
        assert!(!render(&view("valid"), "x").contains("历史证书"));
    }

    #[test]
    fn unknown_numbers_show_nothing_but_the_number() {
        let html = render(&view("unknown"), "x");
        assert!(html.contains("未查到"));
        assert!(!html.contains("持证人"));
        assert!(!html.contains("学时</h2>"));
    }

    #[test]
    fn whatever_was_asked_is_escaped() {
        let mut v = view("unknown");
        v.number = r#"<script>alert("x")</script>"#.into();
        let html = render(&v, "x");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let html = render(&view("valid"), "x");
        assert!(!html.contains("http"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link"));
    }
}
