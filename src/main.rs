//! The `paperkeep` command: parses the command line and runs what it names.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paperkeep::config::{DatabaseConfig, HttpConfig};
use paperkeep::db::Database;
use paperkeep::keys::model::{Role, Secret};
use paperkeep::keys::repo as keys;
use paperkeep::people::model::NewPerson;
use paperkeep::people::repo as people;

#[derive(Parser)]
#[command(name = "paperkeep", version, about = "Conservation and shelf-inventory service for archives")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        http: HttpConfig,
        /// Becomes the first admin key on an empty database, instead of a random one.
        #[arg(long, env = "PAPERKEEP_BOOTSTRAP_KEY", hide_env_values = true)]
        bootstrap_key: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage the staff who sign in to the app.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Print the OpenAPI document (what GET /openapi.yaml serves).
    Openapi,
    /// Load an export (`GET /api/v1/export`, JSON lines) into an empty database: every record
    /// with its id, history and events included. Reads the file, or standard input with `-`.
    Restore {
        file: std::path::PathBuf,
        /// The API key the export was made with: the webhooks keep their secrets (without it
        /// they get new ones, printed here to hand to their subscribers).
        #[arg(long, env = "PAPERKEEP_EXPORT_KEY", hide_env_values = true)]
        key: Option<String>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// The private PostgreSQL's backups (WAL archive and base backups).
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Recover the private PostgreSQL's data as it was at a moment, from its backups, into a new
    /// data directory; then serve from it with PAPERKEEP_DATA_DIR.
    Recover {
        /// The moment, RFC 3339: 2026-12-05T14:30:00+07:00 (or with a space for the T).
        #[arg(long, value_parser = parse_moment)]
        to: chrono::DateTime<chrono::Utc>,
        /// A new or empty directory.
        #[arg(long)]
        into: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Load a small demo archive (three fonds, a building, boxes, files, a year of surveys and
    /// backing work, boxes out in the lab and reading room) into the configured database.
    Demo {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Becomes the first admin key on an empty database, instead of a random one.
        #[arg(long, env = "PAPERKEEP_BOOTSTRAP_KEY", hide_env_values = true)]
        bootstrap_key: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key and print it (shown once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Take a base backup now.
    Now {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List the complete base backups and the moments the data can be recovered to.
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a staff account. The password is read from PAPERKEEP_PASSWORD, or from the first
    /// line of standard input.
    Create {
        /// 2 to 40 of a-z, 0-9, '.', '_' and '-'.
        #[arg(long)]
        username: String,
        /// The name the app shows, e.g. "Nguyễn Thị Lan".
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
        #[arg(long, env = "PAPERKEEP_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // No command means `serve`, with its settings from the environment.
    let command = match Cli::parse().command {
        Some(command) => command,
        None => Cli::parse_from(["paperkeep", "serve"]).command.expect("serve was given"),
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("paperkeep: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve { database, http, bootstrap_key } => serve(&database, &http, bootstrap_key.as_deref()),
        Command::Migrate { database } => {
            Database::open(&database).map_err(|e| e.to_string())?;
            println!("database is up to date");
            Ok(())
        }
        Command::Keys { command: KeysCommand::Create { name, role, database } } => {
            let database = Database::open(&database).map_err(|e| e.to_string())?;
            let mut conn = database.pool.get().map_err(|e| e.to_string())?;
            let secret = Secret::generate();
            let key = keys::create(&mut conn, &name, role, &secret, None).map_err(|e| e.to_string())?;
            println!("created API key {} ({}, role {}):\n{}", key.id, key.name, key.role, secret.reveal());
            Ok(())
        }
        Command::Users { command: UsersCommand::Create { username, name, role, password, database } } => {
            let password = match password {
                Some(password) => password,
                None => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let new = NewPerson {
                username,
                display_name: paperkeep::text::normalize(name.trim()),
                role,
                password,
                language: None,
            };
            validator::Validate::validate(&new).map_err(|errors| {
                paperkeep::http::body::validation_errors(&errors)
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
            let database = Database::open(&database).map_err(|e| e.to_string())?;
            let mut conn = database.pool.get().map_err(|e| e.to_string())?;
            let person = diesel::Connection::transaction(&mut **conn, |conn| people::create(conn, &new, None))
                .map_err(|e: paperkeep::error::Error| e.to_string())?;
            println!(
                "created {} ({}, role {}): they sign in at the app with their password",
                person.username, person.display_name, person.role
            );
            Ok(())
        }
        Command::Restore { file, key, database } => {
            let input: Box<dyn std::io::BufRead> = if file.as_os_str() == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                let opened = std::fs::File::open(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                Box::new(std::io::BufReader::new(opened))
            };
            let database = Database::open(&database).map_err(|e| e.to_string())?;
            let mut conn = database.pool.get().map_err(|e| e.to_string())?;
            let restored =
                paperkeep::imports::repo::restore(&mut conn, input, key.as_deref()).map_err(|e| match e {
                    paperkeep::error::Error::Invalid(errors) => errors
                        .iter()
                        .map(|e| format!("{} (line {}): {}", e.field, e.line.unwrap_or(0), e.message))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    other => other.to_string(),
                })?;
            println!("restored: {}", serde_json::Value::Object(restored.counts));
            for (id, url, secret) in restored.new_secrets {
                println!(
                    "webhook {id} ({url}) has a new secret, shown only this once; give it to its subscriber:\n    {secret}"
                );
            }
            Ok(())
        }
        Command::Demo { database, bootstrap_key } => {
            let database = Database::open(&database).map_err(|e| e.to_string())?;
            let mut conn = database.pool.get().map_err(|e| e.to_string())?;
            announce_first_key(&mut conn, bootstrap_key.as_deref())?;
            let loaded = paperkeep::demo::load(&mut conn).map_err(|e| e.to_string())?;
            println!(
                "loaded the demo archive: {} fonds, {} boxes, {} files, {} surveys and {} backing treatments in {}; \
                 {} readers, {} visits and {} requests in its reading room.\n\
                 Its figures: GET /api/v1/reports/activity?from={year}-01-01&to={year}-12-31",
                loaded.fonds,
                loaded.boxes,
                loaded.files,
                loaded.assessments,
                loaded.treatments,
                loaded.year,
                loaded.readers,
                loaded.visits,
                loaded.requests,
                year = loaded.year
            );
            let people: Vec<String> =
                loaded.people.iter().map(|(username, role)| format!("{username} ({role})")).collect();
            println!(
                "\nIts staff sign in to the app, each with the password shown only this once:\n\n    {}\n\n    \
                 password: {}\n",
                people.join(", "),
                loaded.password
            );
            Ok(())
        }
        Command::Backup { command } => backup(command),
        Command::Recover { to, into, database } => {
            own_server(&database)?;
            let live = paperkeep::db::local::LocalPostgres::running(&database.data_dir);
            let backups = paperkeep::db::backup::Backups::of(&database);
            let used = backups.recover(to, &into, live.as_deref())?;
            println!(
                "recovered the data as it was at {} into {} (from base backup {}).\nServe from it: \
                 PAPERKEEP_DATA_DIR={} paperkeep serve",
                to.to_rfc3339(),
                into.display(),
                used.name,
                into.display()
            );
            Ok(())
        }
        Command::Openapi => {
            print!("{}", paperkeep::http::openapi().to_yaml().map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

fn backup(command: BackupCommand) -> Result<(), String> {
    match command {
        BackupCommand::Now { database } => {
            own_server(&database)?;
            if !database.data_dir.join("postgres/PG_VERSION").exists() {
                return Err(format!("there is no database in {} to back up", database.data_dir.display()));
            }
            let opened = Database::open(&database).map_err(|e| e.to_string())?;
            let (backups, server) = opened.backups.as_ref().zip(opened.server()).expect("the private server");
            let taken = backups.take(&server)?;
            println!(
                "base backup {} taken ({} MB) in {}",
                taken.name,
                taken.bytes / 1_000_000,
                backups.dir().display()
            );
            Ok(())
        }
        BackupCommand::List { database } => {
            own_server(&database)?;
            let backups = paperkeep::db::backup::Backups::of(&database);
            let list = backups.list();
            if list.is_empty() {
                println!("no complete base backup in {}", backups.dir().display());
            }
            for backup in &list {
                println!(
                    "{}  started {}  complete {}  {} MB",
                    backup.name,
                    backup.started.to_rfc3339(),
                    backup.finished.to_rfc3339(),
                    backup.bytes / 1_000_000
                );
            }
            if let Some((first, last)) = backups.range() {
                println!("recovery is possible from {} to {}", first.to_rfc3339(), last.to_rfc3339());
            }
            Ok(())
        }
    }
}

/// Backups and recovery are of the private PostgreSQL; with DATABASE_URL they are the
/// operator's (docs/operations.md says what they must cover).
fn own_server(database: &DatabaseConfig) -> Result<(), String> {
    match database.database_url {
        Some(_) => Err("DATABASE_URL is set: backups of your own PostgreSQL are made with its tools \
                        (see docs/operations.md, \"Backups with your own PostgreSQL\")"
            .into()),
        None => Ok(()),
    }
}

/// A moment given on the command line: RFC 3339, with `T` or a space between date and time.
fn parse_moment(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(&text.trim().replacen(' ', "T", 1))
        .map(|moment| moment.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{e}: give a moment such as 2026-12-05T14:30:00+07:00"))
}

/// On an empty database, creates the first admin key and says how to use it.
fn announce_first_key(conn: &mut paperkeep::db::PooledConn, bootstrap_key: Option<&str>) -> Result<(), String> {
    match keys::bootstrap(conn, bootstrap_key).map_err(|e| e.to_string())? {
        Some(key) if bootstrap_key.is_none() => println!(
            "\nFirst start: created an admin API key. It is shown only this once; keep it safe:\n\n    {key}\n\n\
             Use it as `Authorization: Bearer <key>`. More keys: POST /api/v1/api-keys, or\n    \
             paperkeep keys create --name NAME --role ROLE\n"
        ),
        Some(_) => {
            println!("First start: the admin API key is the one given in PAPERKEEP_BOOTSTRAP_KEY.")
        }
        None => println!("To get an API key: paperkeep keys create --name NAME --role admin"),
    }
    Ok(())
}

/// While no one has an account, says how to make the first.
fn announce_no_accounts(conn: &mut paperkeep::db::PooledConn) -> Result<(), String> {
    if !paperkeep::people::repo::any(conn).map_err(|e| e.to_string())? {
        println!(
            "No one can sign in to the app yet. Make the first account:\n    \
             paperkeep users create --username NAME --name \"Full name\" --role admin\n"
        );
    }
    Ok(())
}

fn serve(database: &DatabaseConfig, http: &HttpConfig, bootstrap_key: Option<&str>) -> Result<(), String> {
    let database = Database::open(database).map_err(|e| e.to_string())?;
    paperkeep::db::pipelined::check(&database.pool)?;
    let mut conn = database.pool.get().map_err(|e| e.to_string())?;
    announce_first_key(&mut conn, bootstrap_key)?;
    announce_no_accounts(&mut conn)?;
    drop(conn);
    let listener = TcpListener::bind(&http.bind).map_err(|e| format!("cannot listen on {}: {e}", http.bind))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("paperkeep serving on http://{address} (API docs: http://{address}/docs/)");
    let server = paperkeep::app::serve(listener, database.pool.clone(), http).map_err(|e| e.to_string())?;
    let upkeep = paperkeep::upkeep::start(&database.pool);
    let backing_up =
        database.backups.clone().zip(database.server()).map(|(b, s)| paperkeep::db::backup::schedule(b, s));
    actix_web::rt::System::new().block_on(server).map_err(|e| e.to_string())?;
    drop(upkeep);
    drop(backing_up);
    log::info!("stopped serving; closing the database");
    drop(database);
    Ok(())
}
