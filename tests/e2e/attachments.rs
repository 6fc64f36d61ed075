//! Attachments: raw uploads typed by their bytes, read within scope.

use ce_sdk::{Client, call, types};
use futures_util::TryStreamExt;
use reqwest::Method;

use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj <<>> endobj\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xFF\xD9";

fn name(s: &str) -> types::AttachmentUploadFilename {
    s.parse().unwrap()
}

async fn person(app: &TestApp) -> Client {
    let p = app.register().await;
    app.login_person(&p).await
}

/// Downloads through the SDK: status, content type, disposition, bytes.
async fn download(c: &Client, id: &uuid::Uuid) -> (String, String, Vec<u8>) {
    let res = c.api().attachment_download(id).await.unwrap();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    let chunks: Vec<_> = res.into_inner().into_inner().try_collect().await.unwrap();
    (ct, cd, chunks.concat())
}

#[tokio::test]
async fn a_pdf_is_stored_and_read_back_by_its_uploader() {
    let app = spawn_app().await;
    let c = person(&app).await;
    let a = call!(
        c.api()
            .attachment_upload(&name("资格 证明.pdf"), None, PDF.to_vec())
    )
    .unwrap();
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.size_bytes.get(), PDF.len() as u64);
    assert_eq!(a.filename.as_str(), "资格 证明.pdf");
    assert_eq!(a.sha256.len(), 64);

    let (ct, cd, bytes) = download(&c, &a.id).await;
    assert_eq!(ct, "application/pdf");
    assert!(
        cd.starts_with("attachment;")
            && cd.contains("filename*=UTF-8''%E8%B5%84%E6%A0%BC%20%E8%AF%81%E6%98%8E.pdf"),
        "{cd}"
    );
    assert_eq!(bytes, PDF);

    // The same bytes again: a new attachment over the same stored content.
    let again = call!(
        c.api()
            .attachment_upload(&name("copy.pdf"), None, PDF.to_vec())
    )
    .unwrap();
    assert_ne!(again.id, a.id);
    assert_eq!(again.sha256, a.sha256);
    assert_eq!(download(&c, &again.id).await.2, PDF);
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_not_the_name() {
    let app = spawn_app().await;
    let c = person(&app).await;
    let png = call!(
        c.api()
            .attachment_upload(&name("photo.pdf"), None, PNG.to_vec())
    )
    .unwrap();
    assert_eq!(png.content_type, "image/png");
    let jpeg = call!(
        c.api()
            .attachment_upload(&name("scan"), None, JPEG.to_vec())
    )
    .unwrap();
    assert_eq!(jpeg.content_type, "image/jpeg");
    assert_eq!(download(&c, &jpeg.id).await.0, "image/jpeg");

    let err = call!(c.api().attachment_upload(
        &name("resume.pdf"),
        None,
        b"MZ\x90\0\x03\0\0\0".to_vec()
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(415));
    assert_eq!(err.code(), Some("attachment_type_not_allowed"));
    let err = call!(
        c.api()
            .attachment_upload(&name("hello.txt"), None, b"hello".to_vec())
    )
    .unwrap_err();
    assert_eq!(err.code(), Some("attachment_type_not_allowed"));
}

#[tokio::test]
async fn empty_oversized_and_badly_named_uploads_are_refused() {
    let app = spawn_app().await;
    let c = person(&app).await;
    let err = call!(
        c.api()
            .attachment_upload(&name("empty.pdf"), None, Vec::<u8>::new())
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("attachment_empty"));

    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let err = call!(c.api().attachment_upload(&name("big.pdf"), None, big)).unwrap_err();
    assert_eq!(err.status(), Some(413));
    assert_eq!(err.code(), Some("payload_too_large"));

    // The SDK refuses such names itself (the spec's pattern); sent anyway,
    // the server answers 422.
    assert!(
        "../x.pdf"
            .parse::<types::AttachmentUploadFilename>()
            .is_err()
    );
    for bad in [
        "..%2F..%2Fetc%2Fpasswd",
        "a%5Cb.pdf",
        "line%0Abreak.pdf",
        "..",
    ] {
        let res = c
            .send_raw(
                Method::POST,
                &format!("/api/v1/attachments?filename={bad}"),
                Some("application/octet-stream"),
                PDF.to_vec(),
            )
            .await
            .unwrap();
        assert_eq!(res.status, 422, "{bad:?}");
        assert_eq!(res.problem().unwrap().code, "filename_invalid", "{bad:?}");
    }
    // No file name at all is a bad query.
    let res = c
        .send_raw(
            Method::POST,
            "/api/v1/attachments",
            Some("application/octet-stream"),
            PDF.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 400);
    assert_eq!(res.content_type(), "application/problem+json");
}

#[tokio::test]
async fn others_cannot_read_an_attachment_and_platforms_cannot_use_them() {
    let app = spawn_app().await;
    let owner = person(&app).await;
    let a = call!(
        owner
            .api()
            .attachment_upload(&name("mine.pdf"), None, PDF.to_vec())
    )
    .unwrap();

    // Another person: 404, as if it did not exist.
    let other = person(&app).await;
    let err = call!(other.api().attachment_download(&a.id)).err().unwrap();
    assert_eq!(err.status(), Some(404));
    let err = call!(other.api().attachment_download(&uuid::Uuid::now_v7()))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(404));
    // hrss reads everything.
    let hrss = app.hrss().await;
    assert_eq!(download(&hrss, &a.id).await.2, PDF);

    let platform = app.platform().await;
    let err = call!(
        platform
            .api()
            .attachment_upload(&name("x.pdf"), None, PDF.to_vec())
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(platform.api().attachment_download(&a.id))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(403));

    let err = call!(
        app.client
            .api()
            .attachment_upload(&name("x.pdf"), None, PDF.to_vec())
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(app.client.api().attachment_download(&a.id))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(401));
}
