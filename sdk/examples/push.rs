//! Pushes a few completions as a learning platform, with typed items.
//!
//! ```text
//! CE_URL=http://127.0.0.1:8080 CE_CLIENT_ID=… CE_CLIENT_SECRET=… \
//!     cargo run -p ce-sdk --example push -- 110105194912310020 张三
//! ```

use ce_sdk::{PlatformClient, PushOptions, types};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let mut args = std::env::args().skip(1);
    let (Some(id_card_no), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: push ID_CARD_NO NAME".into());
    };
    let client = PlatformClient::new(
        var("CE_URL")?,
        var("CE_CLIENT_ID")?,
        var("CE_CLIENT_SECRET")?,
    )
    .with_options(PushOptions {
        batch_size: 2,
        ..PushOptions::default()
    });
    let now = chrono::Utc::now();
    let items = (0..5)
        .map(|i| {
            Ok(types::PushItem {
                external_id: format!("example/{id_card_no}/{i}").parse()?,
                id_card_no: id_card_no.parse()?,
                name: name.parse()?,
                year: chrono::Datelike::year(&now),
                category: types::RecordCategory::Public,
                series: None,
                course_name: "中国式现代化".parse()?,
                hours: 1.5,
                result: None,
                completed_at: now,
                general_knowledge: false,
                topic: None,
                conversion: None,
            })
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let report = client
        .push_all_with_progress(&items, |done, total| eprintln!("{done}/{total} sent"))
        .await?;
    println!(
        "{} accepted, {} duplicate, {} rejected in {} batches",
        report.accepted,
        report.duplicate,
        report.rejected,
        report.batches.len()
    );
    for item in report.rejected_items() {
        println!(
            "item {} ({:?}): {} {}",
            item.index,
            item.external_id,
            item.code.as_deref().unwrap_or(""),
            item.detail.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
