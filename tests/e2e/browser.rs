//! A browser opens the public verify page (R-CE-3), as someone who scanned
//! a certificate's QR code would: headless Chromium renders the page of a
//! real certificate and of an unknown number, and the test reads what is
//! on screen. Screenshots are kept under `target/artefacts/`.
//!
//! Chromium is `CE_CHROMIUM` or `/usr/bin/chromium` (Debian's `chromium`,
//! which `.ci/run` installs). Without it the test says so and passes,
//! unless `CE_REQUIRE_BROWSER` is set, as CI sets it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ce_sdk::{call, types};

use crate::certificates::certified_accountant;
use crate::helpers::*;

fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("CE_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.exists());
    if found.is_none() && std::env::var_os("CE_REQUIRE_BROWSER").is_some() {
        panic!("CE_REQUIRE_BROWSER is set but no Chromium was found (set CE_CHROMIUM)");
    }
    found
}

/// Runs headless Chromium on `url` with `mode` (`--dump-dom`, or
/// `--screenshot=…`) and returns what it printed.
async fn chromium_run(chrome: &Path, profile: &Path, mode: &str, url: &str) -> String {
    let run = tokio::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=640,900",
            "--lang=zh-CN",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(url)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("Chromium took over 90 s")
        .expect("starting Chromium");
    assert!(
        out.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The page's text as a person reads it: the DOM with its tags removed.
fn visible_text(dom: &str) -> String {
    let body = dom.split("<body>").nth(1).unwrap_or(dom);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Opens `url`, keeps a screenshot as `target/artefacts/<name>.png`, and
/// returns the visible text and the DOM.
async fn open(chrome: &Path, url: &str, name: &str) -> (String, String) {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artefacts");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = std::env::temp_dir().join(format!("ce-chromium-{}", uuid::Uuid::now_v7()));
    let dom = chromium_run(chrome, &profile, "--dump-dom", url).await;
    let shot = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    chromium_run(
        chrome,
        &profile,
        &format!("--screenshot={}", shot.display()),
        url,
    )
    .await;
    let png = std::fs::read(&shot).expect("Chromium wrote no screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 2_000,
        "{name}.png"
    );
    let _ = std::fs::remove_dir_all(&profile);
    (visible_text(&dom), dom)
}

#[tokio::test]
async fn r_ce_3_a_browser_shows_the_verify_page() {
    let Some(chrome) = chromium() else {
        eprintln!("skipped: no Chromium (set CE_CHROMIUM, or CE_REQUIRE_BROWSER to fail)");
        return;
    };
    let app = spawn_app().await;
    let (person, _, _) = certified_accountant(&app).await;
    let c = call!(person.client.api().certificate_list(
        None,
        None,
        Some(&person.person_id()),
        None,
        None
    ))
    .unwrap()
    .items
    .remove(0);
    let base = app.client.base_url().to_string();

    let (text, dom) = open(
        &chrome,
        &format!("{base}/api/v1/verify/{}", c.number.as_str()),
        "verify-valid",
    )
    .await;
    assert!(dom.contains(r#"data-status="valid""#), "{dom}");
    assert!(text.contains("继续教育证书核验"), "{text}");
    assert!(text.contains("有效"), "{text}");
    assert!(text.contains(c.number.as_str()), "{text}");
    assert!(text.contains("张*"), "{text}");
    assert!(text.contains("专业科目 90"), "{text}");
    assert!(text.contains("合计 90"), "{text}");
    assert!(!text.contains(&person.person.id_card_no), "{text}");

    let (text, dom) = open(
        &chrome,
        &format!("{base}/api/v1/verify/2026-0000-0000-0000"),
        "verify-unknown",
    )
    .await;
    assert!(dom.contains(r#"data-status="unknown""#), "{dom}");
    assert!(text.contains("未查到"), "{text}");
    assert!(!text.contains("持证人"), "{text}");
    assert!(!text.contains("张"), "{text}");

    // Asked for JSON, the same address answers JSON.
    let v = call!(
        app.client
            .api()
            .certificate_verify(&c.number.as_str().parse().unwrap())
    )
    .unwrap();
    assert_eq!(v.status, "valid");
    let _: Option<types::CertificateHours> = v.hours;
}
