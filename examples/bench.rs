//! The benchmark harness: `cargo run --release --example bench [-- --seconds 20]`.
//!
//! It builds repositories in a private PostgreSQL with durable settings, runs the real service
//! on them, and measures each scenario twice at the same concurrency: over HTTP with wrk, and
//! with pgbench replaying the very statements the service sends. Those statements are not
//! written by hand: they are captured from PostgreSQL's statement log while a calibration
//! instance of the service answers one request, so the comparison follows the code.
//!
//! Needs wrk (`apt-get install wrk`) and the PostgreSQL server package (pgbench comes with it).

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use paperkeep::config::{HttpConfig, PoolConfig};
use paperkeep::db::{self, local::LocalPostgres};

const KEY: &str = "pk_benchmark_key_0123456789abcdef";
/// The box used to capture the statements; an id that no other parameter takes.
const CALIBRATION_BOX: u64 = 7_777;

struct Options {
    seconds: u32,
    connections: u32,
    threads: u32,
    boxes: u64,
    flat_sizes: Vec<u64>,
    /// Leave the working directory (PostgreSQL data and log) for inspection.
    keep: bool,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let mut options = Options {
            seconds: 20,
            connections: 16,
            threads: 2,
            boxes: 100_000,
            flat_sizes: vec![10_000, 1_000_000],
            keep: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--keep" => options.keep = true,
                "--seconds" => options.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
                "--connections" => options.connections = value()?.parse().map_err(|e| format!("--connections: {e}"))?,
                "--boxes" => options.boxes = value()?.parse().map_err(|e| format!("--boxes: {e}"))?,
                "--flat-sizes" => {
                    options.flat_sizes = value()?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| s.parse().map_err(|e| format!("--flat-sizes: {e}")))
                        .collect::<Result<_, _>>()?
                }
                other => {
                    return Err(format!(
                        "unknown option {other}; options: --seconds N --connections N --boxes N --flat-sizes A,B --keep"
                    ));
                }
            }
        }
        Ok(options)
    }
}

/// Requests (or transactions) per second and latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Measurement {
    rate: f64,
    p50: f64,
    p99: f64,
    errors: u64,
}

/// A generated repository in its own database.
struct Dataset {
    name: String,
    url: String,
    boxes: u64,
    first_shelf: i64,
    reading_room: i64,
}

fn main() {
    if let Err(message) = run() {
        eprintln!("bench: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let options = Options::parse()?;
    let binaries =
        LocalPostgres::binaries().ok_or("PostgreSQL server binaries not found: apt-get install postgresql")?;
    let pgbench = binaries.join("pgbench");
    check_tool(Command::new("wrk").arg("--version"), "wrk not found: apt-get install wrk")?;
    check_tool(Command::new(&pgbench).arg("--version"), "pgbench not found next to the PostgreSQL server")?;

    let work = std::env::temp_dir().join(format!("paperkeep-bench-{}", std::process::id()));
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let server = LocalPostgres::start(&work.join("data")).map_err(|e| e.to_string())?;
    let bench = Bench { server: &server, pgbench, work: work.clone(), options: &options };
    let result = bench.all();
    drop(server);
    if options.keep {
        eprintln!("bench: kept {}", work.display());
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    result
}

struct Bench<'a> {
    server: &'a LocalPostgres,
    pgbench: PathBuf,
    work: PathBuf,
    options: &'a Options,
}

impl Bench<'_> {
    fn all(&self) -> Result<(), String> {
        let o = self.options;
        eprintln!("bench: {} s per run, {} connections, {} threads", o.seconds, o.connections, o.threads);
        let main = self.dataset(o.boxes, 5)?;
        let lookup_statements = self.capture(&main, |client, url| {
            client
                .get(format!("{url}/api/v1/boxes/by-barcode/HS{CALIBRATION_BOX:07}"))
                .bearer_auth(KEY)
                .send()
                .map(|_| ())
        })?;
        let move_statements = self.capture(&main, |client, url| {
            let body = format!(r#"{{"to_location_id":{},"reason":"reading_room"}}"#, main.reading_room);
            client
                .post(format!("{url}/api/v1/boxes/{CALIBRATION_BOX}/moves"))
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .map(|_| ())
        })?;
        // Bring the calibration box home again, so that the measured moves all succeed.
        self.capture(&main, |client, url| {
            client
                .post(format!("{url}/api/v1/boxes/{CALIBRATION_BOX}/moves"))
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body(r#"{"reason":"return"}"#)
                .send()
                .map(|_| ())
        })?;
        let lookup_script = pgbench_script(&main, &lookup_statements)?;
        let move_script = pgbench_script(&main, &move_statements)?;

        let lookup = (self.wrk(&main, "lookup.lua", o.seconds)?, self.pgbench(&main, &lookup_script, o.seconds)?);
        let moves = (self.wrk(&main, "move.lua", o.seconds)?, self.pgbench(&main, &move_script, o.seconds)?);

        let mut flat = vec![(main.boxes, lookup.0)];
        for &size in &o.flat_sizes {
            let dataset = self.dataset(size, 1)?;
            flat.push((size, self.wrk(&dataset, "lookup.lua", o.seconds.div_ceil(2))?));
        }
        flat.sort_by_key(|(size, _)| *size);

        println!(
            "\nMachine: {} cores; PostgreSQL with fsync on; {} connections; {} s per run.\n",
            cores(),
            o.connections,
            o.seconds
        );
        println!(
            "| scenario | service req/s | p50 ms | p99 ms | errors | pgbench tps | p50 ms | p99 ms | service ÷ pgbench | target |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        row(&format!("GET by-barcode, {} boxes", main.boxes), lookup, "≥ 0.5×, p99 ≤ 10 ms");
        row(&format!("POST moves, {} boxes", main.boxes), moves, "≥ 0.6×");
        println!("\n| boxes | look-up req/s | p50 ms | p99 ms |\n|---|---|---|---|");
        for (size, m) in flat {
            println!("| {size} | {:.0} | {:.2} | {:.2} |", m.rate, m.p50, m.p99);
        }
        println!("\nStatements per look-up ({}):\n{}", lookup_statements.len(), summary(&lookup_statements));
        println!("Statements per move ({}):\n{}", move_statements.len(), summary(&move_statements));
        Ok(())
    }

    /// A database of `boxes` boxes (see examples/bench/dataset.sql).
    fn dataset(&self, boxes: u64, movements_per_box: u64) -> Result<Dataset, String> {
        let started = Instant::now();
        let name = format!("bench_{boxes}");
        self.server.ensure_database(&name).map_err(|e| e.to_string())?;
        let url = self.server.url(&name);
        let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
        db::migrate(&mut conn).map_err(|e| e.to_string())?;
        let shelves = boxes.div_ceil(8).div_ceil(50) * 50;
        let (bays, units) = (shelves / 5, shelves / 50);
        let rooms = units.div_ceil(25);
        let first_shelf = 2 + rooms + units + bays;
        let sql = include_str!("bench/dataset.sql")
            .replace("{key}", KEY)
            .replace("{rooms}", &rooms.to_string())
            .replace("{units}", &units.to_string())
            .replace("{bays}", &bays.to_string())
            .replace("{shelves}", &shelves.to_string())
            .replace("{first_shelf}", &first_shelf.to_string())
            .replace("{boxes}", &boxes.to_string())
            .replace("{movements_per_box}", &movements_per_box.to_string());
        conn.batch_execute(&sql).map_err(|e| format!("generating {name}: {e}"))?;
        // Statistics for the planner, and no checkpoint left pending to land in a measured run.
        for command in ["VACUUM ANALYZE", "CHECKPOINT"] {
            conn.batch_execute(command).map_err(|e| e.to_string())?;
        }
        let reading_room = scalar(&mut conn, "SELECT id AS value FROM locations WHERE code = 'RR'")?;
        eprintln!(
            "bench: {name}: {boxes} boxes on {shelves} shelves, {} movements, in {:.0?}",
            boxes * movements_per_box,
            started.elapsed()
        );
        Ok(Dataset { name, url, boxes, first_shelf: first_shelf as i64, reading_room })
    }

    /// The service as deployed (default settings: a worker per core, 4 connections per core);
    /// `pool_size` overrides the connections.
    fn service(&self, dataset: &Dataset, pool_size: Option<u32>) -> Result<(paperkeep::http::Running, String), String> {
        let defaults = PoolConfig::default();
        let config = PoolConfig { size: pool_size.unwrap_or(defaults.size), ..defaults };
        let pool = db::pool(&dataset.url, &config).map_err(|e| e.to_string())?;
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        Ok((paperkeep::http::spawn(listener, pool, HttpConfig::default()), url))
    }

    /// The statements the service sends for one request, with their parameters in place.
    fn capture(
        &self,
        dataset: &Dataset,
        request: impl Fn(&reqwest::blocking::Client, &str) -> reqwest::Result<()>,
    ) -> Result<Vec<String>, String> {
        let mut admin = PgConnection::establish(&self.server.url("postgres")).map_err(|e| e.to_string())?;
        let set = |admin: &mut PgConnection, value: &str| {
            admin.batch_execute(&format!("ALTER DATABASE {} {value}", dataset.name)).map_err(|e| e.to_string())
        };
        set(&mut admin, "SET log_statement = 'all'")?;
        let (mut service, url) = self.service(dataset, Some(1))?;
        let log = self.server.log_path();
        let start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        request(&reqwest::blocking::Client::new(), &url).map_err(|e| e.to_string())?;
        service.stop();
        set(&mut admin, "RESET log_statement")?;
        let mut text = String::new();
        let mut file = fs::File::open(&log).map_err(|e| e.to_string())?;
        file.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        file.read_to_string(&mut text).map_err(|e| e.to_string())?;
        Ok(parse_statement_log(&text))
    }

    fn wrk(&self, dataset: &Dataset, script: &str, seconds: u32) -> Result<Measurement, String> {
        let (_service, url) = self.service(dataset, None)?;
        let path = self.work.join(script);
        let source = match script {
            "lookup.lua" => include_str!("bench/lookup.lua"),
            _ => include_str!("bench/move.lua"),
        };
        fs::write(&path, source).map_err(|e| e.to_string())?;
        let o = self.options;
        let run = |secs: u32| {
            Command::new("wrk")
                .args([
                    "-t",
                    &o.threads.to_string(),
                    "-c",
                    &o.connections.to_string(),
                    "-d",
                    &format!("{secs}s"),
                    "--latency",
                    "-s",
                ])
                .arg(&path)
                .arg(&url)
                .env("BENCH_BOXES", dataset.boxes.to_string())
                .env("BENCH_KEY", KEY)
                .env("BENCH_READING_ROOM", dataset.reading_room.to_string())
                .env("BENCH_THREADS", o.threads.to_string())
                .output()
                .map_err(|e| format!("wrk: {e}"))
        };
        // The move script sends every box out on its first pass: each run starts with all home.
        let all_home = || -> Result<(), String> {
            let mut conn = PgConnection::establish(&dataset.url).map_err(|e| e.to_string())?;
            conn.batch_execute(
                "UPDATE boxes SET current_location_id = home_location_id, version = version + 1 \
                 WHERE current_location_id <> home_location_id",
            )
            .map_err(|e| e.to_string())
        };
        all_home()?;
        run(2.max(seconds / 5))?; // warm-up
        all_home()?;
        let output = run(seconds)?;
        let text = String::from_utf8_lossy(&output.stdout);
        let measured = parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))?;
        eprintln!("bench: wrk {script} on {}: {:.0} req/s, p99 {:.2} ms", dataset.name, measured.rate, measured.p99);
        Ok(measured)
    }

    fn pgbench(&self, dataset: &Dataset, script: &str, seconds: u32) -> Result<Measurement, String> {
        let path = self.work.join("script.pgbench");
        fs::write(&path, script).map_err(|e| e.to_string())?;
        let logs = self.work.join(format!("pgbench-{}", dataset.name));
        let o = self.options;
        let run = |secs: u32, log: bool| {
            let mut command = Command::new(&self.pgbench);
            command
                .args(["-n", "-M", "prepared", "-c", &o.connections.to_string(), "-j", &o.threads.to_string()])
                .args(["-T", &secs.to_string(), "-f"])
                .arg(&path)
                .arg("-h")
                .arg(self.server.socket_dir())
                .args(["-U", "postgres", &dataset.name]);
            if log {
                command.arg("-l").arg(format!("--log-prefix={}", logs.display()));
            }
            command.output().map_err(|e| format!("pgbench: {e}"))
        };
        run(2.max(seconds / 5), false)?; // warm-up
        let output = run(seconds, true)?;
        let text = String::from_utf8_lossy(&output.stdout);
        let rate = text
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| {
                format!("cannot read pgbench's output:\n{text}\n{}", String::from_utf8_lossy(&output.stderr))
            })?;
        let mut latencies = Vec::new();
        let prefix = logs.file_name().unwrap().to_string_lossy().to_string();
        for entry in fs::read_dir(&self.work).map_err(|e| e.to_string())?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let log = fs::read_to_string(entry.path()).map_err(|e| e.to_string())?;
                latencies.extend(log.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok()));
                fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
            }
        }
        latencies.sort_by(f64::total_cmp);
        let at =
            |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q) as usize).map_or(f64::NAN, |us| us / 1000.0);
        let failed = text.lines().find_map(|l| l.strip_prefix("number of failed transactions: "));
        let errors = failed.and_then(|f| f.split_whitespace().next()?.parse().ok()).unwrap_or(0);
        let measured = Measurement { rate, p50: at(0.50), p99: at(0.99), errors };
        eprintln!("bench: pgbench on {}: {:.0} tps, p99 {:.2} ms", dataset.name, measured.rate, measured.p99);
        Ok(measured)
    }
}

fn check_tool(command: &mut Command, missing: &str) -> Result<(), String> {
    command.output().map(|_| ()).map_err(|_| missing.to_string())
}

fn scalar(conn: &mut PgConnection, sql: &str) -> Result<i64, String> {
    #[derive(diesel::QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        value: i64,
    }
    diesel::sql_query(sql).get_result::<Value>(conn).map(|v| v.value).map_err(|e| e.to_string())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

fn row(name: &str, (service, raw): (Measurement, Measurement), target: &str) {
    println!(
        "| {name} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {target} |",
        service.rate,
        service.p50,
        service.p99,
        service.errors + raw.errors,
        raw.rate,
        raw.p50,
        raw.p99,
        service.rate / raw.rate
    );
}

fn summary(statements: &[String]) -> String {
    statements.iter().map(|s| format!("  {}\n", s.chars().take(110).collect::<String>())).collect()
}

/// wrk's rate, p50 and p99 (from `--latency`) and non-2xx answers.
fn parse_wrk(text: &str) -> Option<Measurement> {
    let millis = |value: &str| -> Option<f64> {
        let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &value[number.len()..];
        let factor = match unit {
            "us" => 0.001,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            _ => return None,
        };
        number.parse::<f64>().ok().map(|n| n * factor)
    };
    let field = |prefix: &str| text.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix)).map(str::trim);
    let errors = field("Non-2xx or 3xx responses:").and_then(|n| n.parse().ok()).unwrap_or(0)
        + field("Socket errors:").map_or(0, |_| 1);
    Some(Measurement {
        rate: field("Requests/sec:")?.parse().ok()?,
        p50: millis(field("50%")?)?,
        p99: millis(field("99%")?)?,
        errors,
    })
}

/// Statements from PostgreSQL's log (`log_statement = 'all'`), with bound parameters written
/// into them as literals.
fn parse_statement_log(log: &str) -> Vec<String> {
    let mut statements: Vec<String> = Vec::new();
    for line in log.lines() {
        if let Some(rest) = line.split_once("LOG:  ").map(|(_, rest)| rest) {
            if let Some(sql) = rest.strip_prefix("statement: ") {
                statements.push(sql.to_string());
            } else if let Some((_, sql)) = rest.strip_prefix("execute ").and_then(|r| r.split_once(": ")) {
                statements.push(sql.to_string());
            }
        } else if let Some(parameters) = line.split_once("DETAIL:  parameters: ").map(|(_, p)| p)
            && let Some(last) = statements.last_mut()
        {
            for (index, value) in parse_parameters(parameters).iter().enumerate().rev() {
                *last = last.replace(&format!("${}", index + 1), value);
            }
        }
    }
    statements
}

/// `$1 = 'a', $2 = NULL` → `['a'`, `NULL]`, quotes kept (doubled quotes inside them too).
fn parse_parameters(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(" = ") {
        rest = &rest[start + 3..];
        if let Some(after) = rest.strip_prefix("NULL") {
            values.push("NULL".to_string());
            rest = after;
            continue;
        }
        let bytes = rest.as_bytes();
        let mut end = 1;
        while end < bytes.len() {
            if bytes[end] == b'\'' {
                if bytes.get(end + 1) == Some(&b'\'') {
                    end += 2;
                    continue;
                }
                break;
            }
            end += 1;
        }
        values.push(rest[..=end.min(bytes.len() - 1)].to_string());
        rest = &rest[(end + 1).min(rest.len())..];
    }
    values
}

/// The captured statements as a pgbench script: the calibration box becomes a random one.
fn pgbench_script(dataset: &Dataset, statements: &[String]) -> Result<String, String> {
    let home = dataset.first_shelf + (CALIBRATION_BOX as i64 - 1) / 8;
    let replacements = [
        (format!("'HS{CALIBRATION_BOX:07}'"), "'HS' || lpad(:box::text, 7, '0')".to_string()),
        (format!("'{{{CALIBRATION_BOX}}}'"), "ARRAY[:box]::int8[]".to_string()),
        (format!("'{CALIBRATION_BOX}'"), ":box".to_string()),
        (
            format!("'{{{},{home},{home}}}'", dataset.reading_room),
            format!("ARRAY[{}, :home, :home]::int8[]", dataset.reading_room),
        ),
        (format!("'{home}'"), ":home".to_string()),
    ];
    let mut script =
        format!("\\set box random(1, {})\n\\set home {} + (:box - 1) / 8\n", dataset.boxes, dataset.first_shelf);
    for statement in statements {
        let mut sql = statement.clone();
        for (literal, variable) in &replacements {
            sql = sql.replace(literal.as_str(), variable);
        }
        if sql.contains(&CALIBRATION_BOX.to_string()) {
            return Err(format!("the calibration box still shows in: {sql}"));
        }
        script.push_str(&sql);
        script.push_str(";\n");
    }
    Ok(script)
}
