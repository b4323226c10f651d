use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kept_server::auth::{TokenKind, generate_public_key, generate_token};
use kept_server::store::{self, NewShop};
use kept_server::{RunningServer, ServerOptions, Store, demo};
use kept_shared::validate::validate_ref;

/// Kept: post-purchase surveys, loyalty status and offline-safe answer sync for shops.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The SQLite database file (created if missing).
    #[arg(long, default_value = "kept.db", global = true)]
    db: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The built widget (scripts/build-widget.sh), served under /widget/.
    #[arg(long, default_value = "widget/dist")]
    widget_dir: PathBuf,
    /// Create the demo shop (with sample answers) if missing, and say how to try it.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a shop and print its keys (the secret ones are shown only this once).
    AddShop {
        /// The shop's id, used in back-office and owner URLs.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// An origin allowed to embed the widget, e.g. https://shop.example.com (repeatable).
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// A loyalty tier as NAME=MIN_POINTS (repeatable); default Bronze=0, Silver=500, Gold=2000.
        #[arg(long = "tier")]
        tiers: Vec<String>,
        /// Loyalty points earned per whole currency unit spent.
        #[arg(long, default_value_t = 1)]
        points_per_unit: u64,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::AddShop {
            id,
            name,
            origins,
            tiers,
            points_per_unit,
        }) => add_shop(&cli.db, &id, &name, &origins, &tiers, points_per_unit),
        None => serve(cli).await,
    }
}

async fn serve(cli: Cli) -> Result<()> {
    if !cli.widget_dir.join("kept.js").exists() {
        tracing::warn!(
            "no widget at {}: run scripts/build-widget.sh (the API works without it)",
            cli.widget_dir.display()
        );
    }
    let server = RunningServer::start(ServerOptions {
        db: cli.db.clone(),
        listen: cli.listen,
        widget_dir: Some(cli.widget_dir),
    })
    .await?;
    if cli.demo {
        demo::seed(server.store(), &[server.url()])?;
        demo::seed_sample_answers(server.store())?;
        print_demo_help(&server.url());
    }
    let (stop, task) = server.into_parts();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        stop.shutdown();
    });
    task.wait().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn print_demo_help(url: &str) {
    println!(
        r#"
Kept is running with the demo shop "Northwind Coffee Roasters".
  Shop page with the widget:  {url}/demo          (try ?locale=uk or ?customer=carol)
  Kiosk:                      {url}/kiosk/{pk}
  Owner dashboard:            {url}/dashboard     (shop "{shop}", token "{owner}")
  Public (widget) key:        {pk}
  Back-office secret key:     {secret}
Record a purchase of 25.00 for alice:
  curl -X POST {url}/api/v1/shops/{shop}/purchases -H 'Authorization: Bearer {secret}' \
       -H 'Content-Type: application/json' -d '{{"customer_ref":"alice","purchase_id":"order-1002","amount_cents":2500}}'
"#,
        pk = demo::PUBLIC_KEY,
        shop = demo::SHOP_ID,
        owner = demo::OWNER_TOKEN,
        secret = demo::SECRET_KEY,
    );
}

fn add_shop(
    db: &std::path::Path,
    id: &str,
    name: &str,
    origins: &[String],
    tiers: &[String],
    points_per_unit: u64,
) -> Result<()> {
    validate_ref("id", id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let tiers: Vec<(String, u64)> = if tiers.is_empty() {
        vec![
            ("Bronze".into(), 0),
            ("Silver".into(), 500),
            ("Gold".into(), 2000),
        ]
    } else {
        tiers
            .iter()
            .map(|t| {
                let (n, p) = t
                    .split_once('=')
                    .with_context(|| format!("tier {t:?} is not NAME=MIN_POINTS"))?;
                Ok((
                    n.trim().to_string(),
                    p.trim()
                        .parse()
                        .with_context(|| format!("tier {t:?}: bad points"))?,
                ))
            })
            .collect::<Result<_>>()?
    };
    if !tiers.iter().any(|(_, min)| *min == 0) {
        bail!("one tier must start at 0 points");
    }
    for o in origins {
        if !(o.starts_with("https://") || o.starts_with("http://")) || o.ends_with('/') {
            bail!(
                "origin {o:?} must look like https://shop.example.com (scheme and host, no path)"
            );
        }
    }
    let store = Store::open(db)?;
    let public_key = generate_public_key();
    let back_office = generate_token(TokenKind::BackOffice);
    let owner = generate_token(TokenKind::Owner);
    let tier_refs: Vec<(&str, u64)> = tiers.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    store.with_conn(|c| {
        store::add_shop(
            c,
            &NewShop {
                id,
                name,
                public_key: &public_key,
                allowed_origins: origins,
                points_per_unit,
                tiers: &tier_refs,
                back_office_token: &back_office,
                owner_token: &owner,
            },
        )?;
        for (position, survey) in demo::surveys().iter().enumerate() {
            store::put_survey(c, id, survey, position as i64)?;
        }
        Ok(())
    })?;
    println!("Shop {id:?} created with the three standard surveys.");
    println!("  public key (widget, data-key): {public_key}");
    println!("  back-office secret key:        {back_office}");
    println!("  owner token (dashboard):       {owner}");
    println!("The secret key and owner token are stored hashed and cannot be shown again.");
    Ok(())
}
