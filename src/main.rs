//! The `livedesk` command: `serve` (default), `migrate`, `openapi`, `asyncapi`, `create-workspace`.

use std::io::BufRead;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

use livedesk::config::Config;
use livedesk::{api, app, auth, db, domain, telemetry};

#[derive(Parser)]
#[command(name = "livedesk", version, about = "Headless live-chat support backend")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP and WebSocket server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
    /// Print the AsyncAPI document of the WebSockets (JSON) and exit.
    Asyncapi,
    /// Create a workspace with its first super admin.
    CreateWorkspace {
        /// Workspace name.
        #[arg(long)]
        name: String,
        /// Email of the super admin.
        #[arg(long)]
        email: String,
        /// Name visitors see for the super admin (default: the part of the email before @).
        #[arg(long)]
        display_name: Option<String>,
        /// Password of the super admin; read from standard input when not given.
        #[arg(long, env = "LIVEDESK_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Fill a new workspace with a large synthetic history (benchmarks, demos).
    Seed {
        /// Number of dialogs.
        #[arg(long, default_value_t = 100_000)]
        dialogs: u64,
        /// Days of history, ending now.
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 20)]
        operators: u32,
        #[arg(long, default_value_t = 3)]
        chats: u32,
        /// Seed of the random generator: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        random_seed: u64,
        /// Password of the workspace's owner and operators.
        #[arg(long, default_value = "seeded password")]
        password: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return report_cli_error(err),
    };
    if let Err(err) = cli.config.validate() {
        eprintln!("error: {err}");
        return ExitCode::from(2);
    }
    telemetry::init(&cli.config.log_level, cli.config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => run_server(cli.config),
        Command::Migrate => app::migrate(&cli.config).map(|applied| {
            if applied.is_empty() {
                println!("database is up to date");
            }
            for version in applied {
                println!("applied migration {version}");
            }
        }),
        Command::Openapi => {
            print!("{}", api::openapi::spec_json());
            Ok(())
        }
        Command::Asyncapi => {
            print!("{}", livedesk::realtime::asyncapi::document_json());
            Ok(())
        }
        Command::CreateWorkspace { name, email, display_name, password } => {
            create_workspace(&cli.config, &name, &email, display_name, password)
        }
        Command::Seed { dialogs, days, operators, chats, random_seed, password } => {
            let options = livedesk::seed::SeedOptions { dialogs, days, operators, chats, random_seed };
            seed(&cli.config, &options, password)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run_server(config: Config) -> Result<(), String> {
    // actix runs the accept loop on this system; each HTTP worker gets its own runtime.
    actix_web::rt::System::new().block_on(app::serve(config))
}

fn create_workspace(
    config: &Config,
    name: &str,
    email: &str,
    display_name: Option<String>,
    password: Option<String>,
) -> Result<(), String> {
    let password = match password {
        Some(p) => p,
        None => {
            eprintln!("password for {email}:");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let display_name = display_name.unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
    let mut v = livedesk::validate::Validator::new();
    v.text("--name", name, domain::accounts::MAX_NAME_CHARS);
    v.email("--email", email);
    v.text("--display-name", &display_name, domain::accounts::MAX_NAME_CHARS);
    let problems = |e: livedesk::error::ApiError| {
        e.problem().errors.iter().map(|f| format!("{} {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
    };
    v.finish().map_err(problems)?;
    auth::password::validate("password", &password).map_err(problems)?;

    app::migrate(config)?;
    let url = db::DatabaseUrl::parse(&config.database_url())?;
    let pool = db::Db::connect(&url, 1)?;
    let mut conn = pool.get_blocking()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let hash = runtime.block_on(auth::password::hash(password)).map_err(|e| e.to_string())?;
    let (workspace, operator) = db::write_tx(&mut conn, |conn| {
        domain::accounts::insert_workspace_with_owner(
            conn,
            name.trim(),
            email.trim(),
            display_name.trim(),
            &hash,
            livedesk::time::now_ms(),
        )
    })
    .map_err(|e| e.to_string())?;
    println!(
        "created workspace {} (slug {}) with super admin {} <{}>",
        workspace.id, workspace.slug, operator.id, operator.email
    );
    Ok(())
}

fn seed(config: &Config, options: &livedesk::seed::SeedOptions, password: String) -> Result<(), String> {
    app::migrate(config)?;
    let url = db::DatabaseUrl::parse(&config.database_url())?;
    // One connection for the workspace, one per chunk writer.
    let pool = db::Db::connect(&url, 1 + livedesk::seed::MAX_WRITERS)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let hash = runtime.block_on(auth::password::hash(password)).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let report = livedesk::seed::run(&pool, options, &hash, &mut |done| {
        eprintln!("{done} dialogs ({:.0} s)", started.elapsed().as_secs_f64());
    })?;
    println!(
        "seeded workspace {} (owner {}): {} dialogs, {} messages in {:.1} s",
        report.workspace_id,
        report.owner_email,
        report.dialogs,
        report.messages,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Help and version print as usual; a wrong setting prints one line naming the flag and its
/// environment variable.
fn report_cli_error(err: clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        err.exit();
    }
    let rendered = err.render().to_string();
    let first = rendered.lines().next().unwrap_or("error: invalid arguments").to_string();
    let env_name = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => env_var_of(arg),
        _ => None,
    };
    match env_name {
        Some(env) => eprintln!("{first} (environment variable {env})"),
        None => eprintln!("{first}"),
    }
    ExitCode::from(2)
}

/// `--bind <BIND>` -> `LIVEDESK_BIND`.
fn env_var_of(arg: &str) -> Option<String> {
    let long = arg.trim_start_matches('-').split([' ', '=']).next()?;
    Cli::command()
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
}
