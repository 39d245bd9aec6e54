//! The `ringtrail` command line. Each subcommand is a variant of [`Command`] with its own args
//! struct and `run` function.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::serve::{serve, shutdown_signal};
use crate::{AppState, Db, Mount, Options, RateLimit, Sites, SqliteStore};

/// ringtrail: call tracking collector and tools.
#[derive(Debug, Parser)]
#[command(name = "ringtrail", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector: event API, reports and static files.
    Serve(ServeArgs),
    /// Validate site configs: every error with its JSON path and a hint; exit 1 on errors.
    Check(crate::tools::CheckArgs),
    /// Show which source a visit matches and which number each target becomes.
    Preview(crate::tools::PreviewArgs),
    /// Print the config compiled for the snippet (what `GET /v1/config/{site}` serves).
    Compile(crate::tools::CompileArgs),
    /// Print the config's JSON Schema.
    Schema,
    /// Post a test call to a collector's webhook and print its attribution.
    Call(crate::tools::CallArgs),
}

/// `ringtrail serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the real one is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// SQLite database file; created with its directories if missing.
    #[arg(long, default_value = "data/ringtrail.db")]
    pub db: PathBuf,
    /// Directory of static files served at `/` (repeatable; tried in order).
    #[arg(long = "www", value_name = "DIR")]
    pub www: Vec<PathBuf>,
    /// Directory of static files served under a URL path, e.g. `/pkg=pkg` (repeatable).
    #[arg(long = "mount", value_name = "URLPATH=DIR", value_parser = Mount::parse)]
    pub mounts: Vec<Mount>,
    /// Site config file, or a directory of `*.json` configs (repeatable). When any is given,
    /// events for other sites are refused.
    #[arg(long = "config", value_name = "FILE_OR_DIR")]
    pub configs: Vec<PathBuf>,
    /// Origin allowed to post events (repeatable), e.g. `https://shop.example`. Without any,
    /// every origin is allowed (local demo).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// API requests per second allowed per client IP (burst 4x); 0 disables the limit.
    #[arg(long, default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Requests handled at once; more wait.
    #[arg(long, default_value_t = 256)]
    pub max_concurrent_requests: usize,
    /// Secret the call webhook must send for a site, `SITE=SECRET` (`*=SECRET`: every site;
    /// repeatable). Also read from RINGTRAIL_WEBHOOK_SECRET (comma-separated entries).
    #[arg(long = "webhook-secret", value_name = "SITE=SECRET")]
    pub webhook_secrets: Vec<String>,
    /// Token the reports (`GET /`, `/leads.csv`) and `GET /v1/events|leads|visits` ask for
    /// (Bearer, or Basic with the token as password; 16 characters or more). Also read from
    /// RINGTRAIL_REPORTS_TOKEN. Required on a non-loopback `--addr`, unless `--open-reports`.
    #[arg(long = "reports-token", value_name = "TOKEN")]
    pub reports_token: Option<String>,
    /// Serve the reports without a token on any address: for a proxy in front that asks for
    /// its own login.
    #[arg(long)]
    pub open_reports: bool,
}

impl ServeArgs {
    /// The service options these arguments ask for. Mounts with a longer URL path are tried
    /// first, then the `--www` directories in order.
    pub fn options(&self) -> Options {
        let mut mounts = self.mounts.clone();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.prefix().len()));
        mounts.extend(self.www.iter().map(|dir| Mount::new("/", dir.clone())));
        Options {
            allow_origins: self.allow_origins.clone(),
            mounts,
            rate_limit: (self.rate_limit > 0.0).then_some(RateLimit {
                per_second: self.rate_limit,
                burst: self.rate_limit * 4.0,
            }),
            max_concurrent_requests: self.max_concurrent_requests,
            webhook_secrets: crate::calls::WebhookSecrets::default(),
            reports_token: self
                .reports_token
                .clone()
                .or_else(|| std::env::var(crate::access::TOKEN_ENV).ok())
                .filter(|t| !t.is_empty()),
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => run_serve(args).await,
        Command::Check(args) => crate::tools::run_check(&args),
        Command::Preview(args) => crate::tools::run_preview(&args),
        Command::Compile(args) => crate::tools::run_compile(&args),
        Command::Schema => crate::tools::run_schema(),
        Command::Call(args) => crate::tools::run_call(args).await,
    }
}

async fn run_serve(args: ServeArgs) -> ExitCode {
    for origin in &args.allow_origins {
        if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
            eprintln!(
                "error: --allow-origin {origin:?}: expected an origin like https://shop.example"
            );
            return ExitCode::from(2);
        }
    }
    let mut options = args.options();
    if let Err(err) = crate::access::check_exposure(
        args.addr,
        options.reports_token.as_deref(),
        args.open_reports,
    ) {
        eprintln!("error: {err}");
        return ExitCode::from(2);
    }
    for mount in &options.mounts {
        if !mount.dir().is_dir() {
            eprintln!(
                "warning: static directory {} does not exist",
                mount.dir().display()
            );
        }
    }
    let sites = match Sites::load(&args.configs) {
        Ok(sites) => sites,
        Err(err) => {
            eprintln!("error: config {err}");
            return ExitCode::FAILURE;
        }
    };
    let secrets =
        crate::calls::WebhookSecrets::parse(args.webhook_secrets.iter().map(String::as_str))
            .and_then(|secrets| match std::env::var(crate::calls::SECRET_ENV) {
                Ok(value) => secrets.with_env_value(&value),
                Err(_) => Ok(secrets),
            });
    let webhook_secrets = match secrets {
        Ok(secrets) => secrets,
        Err(err) => {
            eprintln!("error: webhook secret: {err}");
            return ExitCode::from(2);
        }
    };
    let store = match SqliteStore::open(&args.db) {
        Ok(store) => store,
        Err(err) => {
            eprintln!("error: database {}: {err}", args.db.display());
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("error: cannot listen on {}: {err}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(args.addr);
    let site_list: Vec<&str> = sites.ids().collect();
    options.webhook_secrets = webhook_secrets;
    let reports_locked = options.reports_token.is_some();
    let calls_open = !options.webhook_secrets.is_empty();
    let state = AppState::new(Db::new(store), sites.clone(), options);
    println!("listening on http://{addr}");
    println!("database: {}", args.db.display());
    if site_list.is_empty() {
        println!("sites: any (no --config given)");
    } else {
        println!("sites: {}", site_list.join(", "));
    }
    if reports_locked {
        println!("reports: ask for the reports token");
    }
    if !calls_open {
        println!("calls: no --webhook-secret given; POST /v1/calls answers 401");
    }
    match serve(listener, state, shutdown_signal()).await {
        Ok(()) => {
            println!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: server failed: {err}");
            ExitCode::FAILURE
        }
    }
}
