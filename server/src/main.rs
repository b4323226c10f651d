use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use kept_server::db::Db;
use kept_server::outbound::Receivers;
use kept_server::rate_limit::{Quota, RateLimits};
use kept_server::shops::{self, ShopSpec};
use kept_server::{AppConfig, HEADER_READ_TIMEOUT, RunningServer, demo};

/// Kept: surveys, loyalty and retention for shops. Every option can also be set in
/// the environment variable named beside it.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The store: a SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, env = "KEPT_DB", default_value = "kept.db", global = true)]
    db: String,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEPT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The built widget (scripts/build-widget.sh), served under /widget/.
    #[arg(long, env = "KEPT_WIDGET_DIR", default_value = "widget/dist")]
    widget_dir: PathBuf,
    /// Create the demo shop (with sample answers) if missing, and say how to try it.
    /// (Its variable, as each switch's, takes 1, yes, on or true, and 0, no, off, false or nothing.)
    #[arg(long, env = "KEPT_DEMO", value_parser = switch)]
    demo: bool,
    /// The widget's routes, per client address: RATE/min[,burst=N].
    #[arg(long, env = "KEPT_RATE_WIDGET_CLIENT", default_value_t = RateLimits::default().widget_per_client)]
    rate_widget_client: Quota,
    /// The widget's routes, per shop over all its clients.
    #[arg(long, env = "KEPT_RATE_WIDGET_SHOP", default_value_t = RateLimits::default().widget_per_shop)]
    rate_widget_shop: Quota,
    /// The widget's routes, per client address and shop, let through where
    /// the shop's limit is spent.
    #[arg(long, env = "KEPT_RATE_WIDGET_FAIR_SHARE", default_value_t = RateLimits::default().widget_fair_share)]
    rate_widget_fair_share: Quota,
    /// The owner and back-office routes and the dashboard, per token or session.
    #[arg(long, env = "KEPT_RATE_TOKEN", default_value_t = RateLimits::default().per_token)]
    rate_token: Quota,
    /// The address of a reverse proxy whose X-Forwarded-For names the client
    /// (repeatable; comma-separated in the environment).
    #[arg(
        long = "trusted-proxy",
        env = "KEPT_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpAddr>,
    /// Where the server is reached from outside (https://kept.example.com): the
    /// base of the personal survey links it writes. Default: the request's host.
    #[arg(long, env = "KEPT_PUBLIC_URL", value_parser = kept_server::links::parse_public_url)]
    public_url: Option<kept_server::links::PublicUrl>,
    /// Let webhooks go to private networks and loopback too (a server on a
    /// shop's own network). Default: public addresses only.
    #[arg(long, env = "KEPT_WEBHOOKS_TO_PRIVATE_NETWORKS", value_parser = switch)]
    webhooks_to_private_networks: bool,
}

/// A switch's value, as shells and compose files write it: `1`, `yes`, `on`
/// or `true`, and `0`, `no`, `off`, `false` or nothing (a variable left
/// empty), in any case.
fn switch(text: &str) -> std::result::Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" => Ok(true),
        "" | "0" | "no" | "off" | "false" => Ok(false),
        other => Err(format!(
            "{other:?} is not on (1, yes, on, true) nor off (0, no, off, false)"
        )),
    }
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
        /// A tier's name in a language as TIER:LOCALE=NAME, e.g. Silver:uk=Срібло (repeatable).
        #[arg(long = "tier-label")]
        tier_labels: Vec<String>,
        /// Loyalty points earned per whole currency unit spent (0 to 1000).
        #[arg(long, default_value_t = 1)]
        points_per_unit: u64,
        /// The shop's IANA time zone (e.g. Europe/Kyiv): it decides which day an answer belongs to.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// Show or change an existing shop.
    Shop {
        #[command(subcommand)]
        action: ShopCommand,
    },
}

#[derive(Subcommand)]
enum ShopCommand {
    /// Print a shop's public key and settings.
    Show { id: String },
    /// Change a shop's allowed origins: replace them (--origin), or add and remove some.
    Set {
        id: String,
        /// The new list of allowed origins (repeatable; replaces the current ones).
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// An origin to allow besides the current ones (repeatable).
        #[arg(long = "add-origin")]
        add_origins: Vec<String>,
        /// An origin to stop allowing (repeatable).
        #[arg(long = "remove-origin")]
        remove_origins: Vec<String>,
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
    // `shop` changes a shop that exists: a mistyped path would otherwise make
    // a new, empty database (the SQLite file is created if missing) and only
    // then find no shop in it.
    if matches!(cli.command, Some(Command::Shop { .. }))
        && !kept_server::db::is_postgres_url(&cli.db)
        && !std::path::Path::new(&cli.db).exists()
    {
        anyhow::bail!(
            "no database at {}: `shop` shows or changes a shop of an existing one (--db or KEPT_DB)",
            cli.db
        );
    }
    let db = kept_server::db::open(&cli.db)
        .await
        .with_context(|| format!("opening the database {}", kept_server::db::shown(&cli.db)))?;
    match cli.command {
        None => serve(db, cli.serve).await,
        Some(Command::AddShop {
            id,
            name,
            origins,
            tiers,
            tier_labels,
            points_per_unit,
            time_zone,
        }) => {
            let mut tiers = if tiers.is_empty() {
                shops::default_tiers()
            } else {
                tiers
                    .iter()
                    .map(|t| shops::parse_tier(t))
                    .collect::<Result<_>>()?
            };
            for label in &tier_labels {
                shops::add_tier_label(&mut tiers, label)?;
            }
            let time_zone = time_zone
                .parse()
                .map_err(|e| anyhow::anyhow!("--time-zone {time_zone:?}: {e}"))?;
            let keys = shops::create(
                db.as_ref(),
                ShopSpec {
                    id: id.clone(),
                    name,
                    origins,
                    tiers,
                    points_per_unit,
                    time_zone,
                    keys: None,
                },
            )
            .await?;
            println!(
                "Shop {id:?} created with the standard surveys (NPS and CSAT after a purchase; churn for lapsed customers)."
            );
            println!("  public key (widget, data-key): {}", keys.public_key);
            println!(
                "  back-office secret key:        {}",
                keys.back_office_token
            );
            println!("  owner token (dashboard):       {}", keys.owner_token);
            println!(
                "  widget secret (signs data-customer-sig, data-order-sig; keep it on your server):"
            );
            println!("                                 {}", keys.widget_secret);
            println!(
                "The secret key and owner token are stored hashed and cannot be shown again; a new widget secret can be made from the dashboard's settings."
            );
            Ok(())
        }
        Some(Command::Shop { action }) => shop_command(db, action).await,
    }
}

async fn serve(db: Db, args: ServeArgs) -> Result<()> {
    if let Some(problem) = kept_server::widget_dir_problem(&args.widget_dir) {
        tracing::warn!("{problem}");
    }
    let config = AppConfig {
        widget_dir: Some(args.widget_dir),
        rate_limits: RateLimits {
            widget_per_client: args.rate_widget_client,
            widget_per_shop: args.rate_widget_shop,
            widget_fair_share: args.rate_widget_fair_share,
            per_token: args.rate_token,
        },
        trusted_proxies: args.trusted_proxies,
        public_url: args.public_url.and_then(|u| u.0),
        webhook_receivers: if args.webhooks_to_private_networks {
            Receivers::Any
        } else {
            Receivers::Public
        },
        ..AppConfig::default()
    };
    let server = RunningServer::serve_with(db, args.listen, config, HEADER_READ_TIMEOUT).await?;
    if args.demo {
        demo::seed(server.db().as_ref(), &[server.url()]).await?;
        demo::seed_history(server.db().as_ref()).await?;
        print_demo_help(&server.url());
    }
    server.run_until(shutdown_signal()).await;
    Ok(())
}

async fn shop_command(db: Db, action: ShopCommand) -> Result<()> {
    match action {
        ShopCommand::Show { id } => {
            let shop = db
                .shop(&id)
                .await?
                .with_context(|| format!("no shop has the id {id:?}"))?;
            println!("Shop {:?}: {}", shop.id, shop.name);
            println!("  public key:        {}", shop.public_key);
            println!("  allowed origins:   {}", shop.allowed_origins.join(" "));
            println!("  points per unit:   {}", shop.points_per_unit);
            println!("  time zone:         {}", shop.time_zone);
            println!("  churn window:      {} days", shop.churn_window_days);
        }
        ShopCommand::Set {
            id,
            origins,
            add_origins,
            remove_origins,
        } => {
            let shop = db
                .shop(&id)
                .await?
                .with_context(|| format!("no shop has the id {id:?}"))?;
            let set = (!origins.is_empty()).then_some(origins.as_slice());
            let edited =
                shops::edit_origins(&shop.allowed_origins, set, &add_origins, &remove_origins)?;
            for o in &edited.not_listed {
                eprintln!("{o} was not among the shop's origins: nothing removed for it");
            }
            let new = edited.origins;
            db.set_allowed_origins(&id, new.clone()).await?;
            println!(
                "Shop {id:?} now allows: {}",
                if new.is_empty() {
                    "(no origin)".into()
                } else {
                    new.join(" ")
                }
            );
        }
    }
    Ok(())
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
