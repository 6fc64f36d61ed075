//! Notices and policy documents: hrss publishes, everyone reads.

use ce_sdk::{call, types};
use futures_util::TryStreamExt;

use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj <<>> endobj\n%%EOF\n";

#[tokio::test]
async fn hrss_publishes_notices_that_anyone_reads_with_their_attachments() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let file = call!(hrss.api().attachment_upload(
        &"2026年公需科目指南.pdf".parse().unwrap(),
        None,
        PDF.to_vec()
    ))
    .unwrap();
    let policy = call!(hrss.api().notice_publish(
        None,
        &types::NoticeRequest {
            kind: types::NoticeKind::Policy,
            title: "专业技术人员继续教育规定".parse().unwrap(),
            body: "第一条 ……".parse().unwrap(),
            attachment_ids: vec![file.id],
        }
    ))
    .unwrap();
    let notice = call!(hrss.api().notice_publish(
        None,
        &types::NoticeRequest {
            kind: types::NoticeKind::Notice,
            title: "关于2026年度公需科目学习的通知".parse().unwrap(),
            body: "各有关单位：……".parse().unwrap(),
            attachment_ids: vec![],
        }
    ))
    .unwrap();

    // Anyone, without a token: newest first, by kind, one by one.
    let all = call!(app.client.api().notice_list(None, None, None))
        .unwrap()
        .items;
    assert_eq!(
        all.iter().map(|n| n.id).collect::<Vec<_>>(),
        [notice.id, policy.id]
    );
    let policies = call!(
        app.client
            .api()
            .notice_list(None, Some(types::NoticeKind::Policy), None)
    )
    .unwrap()
    .items;
    assert_eq!(policies.len(), 1);
    let read = call!(app.client.api().notice_view(&policy.id)).unwrap();
    assert_eq!(read.title.as_str(), "专业技术人员继续教育规定");
    let res = app
        .client
        .api()
        .notice_attachment(&policy.id, &file.id)
        .await
        .unwrap();
    let chunks: Vec<_> = res.into_inner().into_inner().try_collect().await.unwrap();
    assert_eq!(chunks.concat(), PDF);
    // Only the attachments a notice lists.
    let err = call!(app.client.api().notice_attachment(&notice.id, &file.id))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(404));

    // Only hrss publishes and withdraws.
    let person = app.person().await;
    let err = call!(person.client.api().notice_publish(
        None,
        &types::NoticeRequest {
            kind: types::NoticeKind::Notice,
            title: "x".parse().unwrap(),
            body: "y".parse().unwrap(),
            attachment_ids: vec![],
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(person.client.api().notice_withdraw(&notice.id)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    call!(hrss.api().notice_withdraw(&notice.id)).unwrap();
    let err = call!(app.client.api().notice_view(&notice.id)).unwrap_err();
    assert_eq!(err.status(), Some(404));
}
