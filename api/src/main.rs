//! `ce-api`: telemetry → settings → runtime → application → serve.

use ce_api::config::{PoolSettings, Settings};
use ce_api::startup::Application;

/// glibc gives each thread that allocates under contention an arena of its
/// own (up to 8 per core), and an arena keeps what it once held: with a
/// thread per SQLite connection, each kept several MiB. Two per core share
/// well on this workload; the bound makes the total follow the cores, not
/// the threads. Measured in issue 16's note.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_malloc_arenas() {
    let arenas = 2 * PoolSettings::or_cores(0);
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, i32::try_from(arenas).unwrap_or(2));
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_malloc_arenas() {}

fn main() -> anyhow::Result<()> {
    bound_malloc_arenas();
    ce_api::telemetry::init();
    let settings = Settings::load()?;
    // The runtime the server's own tasks run on (the webhook worker,
    // start-up); its blocking pool only serves tokio itself (DNS lookups),
    // so it is kept small instead of tokio's 512 (issue 16).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(PoolSettings::or_cores(0))
        .max_blocking_threads(settings.pools.runtime_blocking_threads.max(1))
        .thread_name("ce-rt")
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // `ce-api rebuild-standings`: recompute every person's standing from
        // the records (after records were written behind the server's back,
        // or to check the ledger), then exit.
        if std::env::args().nth(1).as_deref() == Some("rebuild-standings") {
            let db = ce_api::db::connect_and_migrate(&settings).await?;
            let started = std::time::Instant::now();
            let done = ce_api::ledger::standing::rebuild(&db)
                .await
                .map_err(|e| anyhow::anyhow!("rebuilding the standings: {e}"))?;
            println!(
                "rebuilt {} standings ({} lines) from {} records in {:.1} s",
                done.standings,
                done.lines,
                done.records,
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        let args: Vec<String> = std::env::args().skip(1).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match args.as_slice() {
            // `ce-api audit verify`: walk the audit chain with the key in
            // DATA_DIR (or APP__AUDIT__CHAIN_KEY), print what it found as
            // JSON; exit 0 when every link verified, 2 on a break.
            ["audit", "verify"] => {
                let db = ce_api::db::connect_and_migrate(&settings).await?;
                let key = ce_api::audit::chain::ChainKey::load(&settings)?;
                let report = ce_api::audit::chain::verify(&db, &key)
                    .await
                    .map_err(|e| anyhow::anyhow!("reading the audit chain: {e}"))?;
                let broken = report.first_break.is_some();
                let view = ce_api::routes::views::oversight::AuditChainReport::from(report);
                println!("{}", serde_json::to_string_pretty(&view)?);
                if broken {
                    std::process::exit(2);
                }
                return Ok(());
            }
            // `ce-api backup --to <file>`: an online copy of the SQLite
            // database while the server runs (the keys in DATA_DIR are
            // copied apart, see README).
            ["backup", "--to", to] => {
                let db = ce_api::db::connect_and_migrate(&settings).await?;
                let to = std::path::Path::new(to);
                ce_api::db::backup_sqlite(&db, to).await?;
                println!("backed up the database into {}", to.display());
                let keys: Vec<String> = ["jwt.key", "pii.key", "audit.key", "issuer-ed25519.key"]
                    .iter()
                    .filter(|k| settings.data_dir.join(k).exists())
                    .map(|k| settings.data_dir.join(k).display().to_string())
                    .collect();
                if !keys.is_empty() {
                    println!(
                        "back up these keys too, kept apart from the copy: {}",
                        keys.join(" ")
                    );
                }
                return Ok(());
            }
            // `ce-api reencrypt [--batch-size N] [--max-batches N]`: seal
            // every stored PII ciphertext again with the current key
            // version, while servers keep running; safe to stop and run
            // again (README "Rotating keys").
            ["reencrypt", ..] => return reencrypt(&settings).await,
            [] => {}
            other => anyhow::bail!(
                "unknown command {other:?}; commands: rebuild-standings, audit verify, backup --to <file>, reencrypt [--batch-size N] [--max-batches N]"
            ),
        }
        let app = Application::build(settings).await?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// The value after `flag` on the command line, if given.
fn flag(flag: &str) -> anyhow::Result<Option<u64>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("{flag} takes a positive number")),
    }
}

async fn reencrypt(settings: &Settings) -> anyhow::Result<()> {
    use ce_api::crypto::reencrypt::{self, Options};
    let vault = ce_api::crypto::pii_vault(settings)?;
    let db = ce_api::db::connect_and_migrate(settings).await?;
    let opts = Options {
        batch_size: flag("--batch-size")?.unwrap_or(Options::default().batch_size),
        max_batches: flag("--max-batches")?,
    };
    println!(
        "re-encrypting with PII key version {}, {} rows a batch",
        vault.current_version(),
        opts.batch_size
    );
    let started = std::time::Instant::now();
    let report = reencrypt::run(&db, &vault, opts, |b| {
        println!(
            "{}: {} read, {} rewritten, {} changed meanwhile",
            b.column, b.scanned, b.rewritten, b.changed_meanwhile
        );
    })
    .await?;
    println!(
        "{} in {:.1} s: {} batches, {} read, {} rewritten",
        if report.complete {
            "done"
        } else {
            "stopped (run again to go on)"
        },
        started.elapsed().as_secs_f64(),
        report.batches,
        report.scanned,
        report.rewritten
    );
    Ok(())
}
