//! The benchmark harness: `cargo run --release --example bench [-- --seconds 20]`.
//!
//! It builds repositories in a private PostgreSQL with durable settings, runs the real service
//! on them, and measures each scenario twice: through the service (wrk at 16 connections, or one
//! request at a time for the heavy ones), and with pgbench replaying the very statements the
//! service sends. Those statements are not written by hand: they are captured from PostgreSQL's
//! statement log while a calibration instance of the service answers one request, so the
//! comparison follows the code.
//!
//! Needs wrk (`apt-get install wrk`) and the PostgreSQL server package (pgbench comes with it).

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use paperkeep::config::{HttpConfig, PoolConfig};
use paperkeep::db::backup::Backups;
use paperkeep::db::{self, local::LocalPostgres};
use reqwest::blocking::{Client, RequestBuilder};

const KEY: &str = "pk_benchmark_key_0123456789abcdef";
/// The box used to capture statements: an id no other parameter takes.
const CALIBRATION_BOX: u64 = 7_777;
/// The shelf used to capture the location look-up's statements (an offset among the shelves).
const CALIBRATION_SHELF: i64 = 4_321;
/// Requests timed one at a time for the heavy scenarios.
const SEQUENTIAL_RUNS: u32 = 30;
/// Pairs of runs, each half the usual length, where two things are compared on a shared machine:
/// keyed and plain moves, the service and pgbench, repositories of two sizes.
const ALTERNATIONS: usize = 3;
/// What readers type in the search scenario: two to four words (accents left out, as readers
/// often do), over the titles of `bench/search.sql`, matching from 0.05 % to 7 % of the files.
const SEARCHES: [&str; 12] = [
    "cong tac can bo",
    "thi dua khen thuong 1985",
    "so noi vu 1976",
    "bao cao tong ket",
    "thuy loi 1978",
    "cong van y te",
    "huyen tien lu",
    "an ninh trat tu",
    "giao duc pho thong",
    "to chuc bo may",
    "bau cu hoi dong",
    "quyet dinh 1990",
];
/// Fonds of the search scenario's files.
const SEARCH_FONDS: u64 = 100;
/// Rows of the import scenario, and how many imports are timed.
const IMPORT_ROWS: u64 = 100_000;
const IMPORT_RUNS: u64 = 3;
/// The reading room's scenario: readers, requests of past years (closed), and open requests.
const READERS: u64 = 200;
const PAST_REQUESTS: u64 = 50_000;
const OPEN_REQUESTS: u64 = 500;
/// Checks of servability timed one at a time: enough for a 99th percentile.
const CHECK_RUNS: u32 = 500;
/// Due dates computed in memory, to time one.
const DUE_DATES: u32 = 100_000;

struct Options {
    seconds: u32,
    connections: u32,
    threads: u32,
    boxes: u64,
    flat_sizes: Vec<u64>,
    files: u64,
    fonds: u64,
    /// Treatment and assessment records of the activity report's year.
    report_records: u64,
    /// Leave the working directory (PostgreSQL data and log) for inspection.
    keep: bool,
    /// Run the soak instead: `seconds` (default 600) of look-ups and `writes` % moves.
    soak: bool,
    writes: u32,
    /// Scenario groups to run (all when empty): see `GROUPS`.
    only: Vec<String>,
}

/// The scenario groups `--only` picks from.
const GROUPS: [&str; 7] = ["storage", "report", "holdings", "search", "reading", "backups", "scaling"];

impl Options {
    /// Whether the run includes the scenarios of `group`.
    fn runs(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }

    fn parse() -> Result<Self, String> {
        let mut options = Options {
            seconds: 20,
            connections: 16,
            threads: 2,
            boxes: 100_000,
            flat_sizes: vec![10_000, 1_000_000],
            files: 1_000_000,
            fonds: 20,
            report_records: 1_000_000,
            keep: false,
            soak: false,
            writes: 20,
            only: Vec::new(),
        };
        let mut seconds_given = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            let number = |text: String| text.parse::<u64>().map_err(|e| format!("{arg}: {e}"));
            match arg.as_str() {
                "--keep" => options.keep = true,
                "--soak" => options.soak = true,
                "--writes" => options.writes = number(value()?)?.clamp(1, 100) as u32,
                "--seconds" => {
                    options.seconds = number(value()?)? as u32;
                    seconds_given = true;
                }
                "--connections" => options.connections = number(value()?)? as u32,
                "--boxes" => options.boxes = number(value()?)?,
                "--files" => options.files = number(value()?)?,
                "--fonds" => options.fonds = number(value()?)?,
                "--report-records" => options.report_records = number(value()?)?,
                "--only" => {
                    options.only = value()?.split(',').map(str::to_string).collect();
                    if let Some(unknown) = options.only.iter().find(|group| !GROUPS.contains(&group.as_str())) {
                        return Err(format!("--only {unknown}: the groups are {}", GROUPS.join(", ")));
                    }
                }
                "--flat-sizes" => {
                    options.flat_sizes = value()?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| number(s.into()))
                        .collect::<Result<_, _>>()?
                }
                other => {
                    return Err(format!(
                        "unknown option {other}; options: --seconds N --connections N --boxes N --flat-sizes A,B \
                         --files N --fonds N --report-records N --only GROUP,… --keep --soak --writes PERCENT"
                    ));
                }
            }
        }
        if options.soak && !seconds_given {
            options.seconds = 600;
        }
        Ok(options)
    }
}

/// A rate and latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Measurement {
    rate: f64,
    p50: f64,
    p99: f64,
    errors: u64,
}

impl Measurement {
    fn from_latencies(mut millis: Vec<f64>, rate: f64, errors: u64) -> Self {
        millis.sort_by(f64::total_cmp);
        let at = |q: f64| millis.get(((millis.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
        Measurement { rate, p50: at(0.50), p99: at(0.99), errors }
    }
}

/// A generated database.
struct Dataset {
    name: String,
    url: String,
}

/// The repository of boxes, and where things are in it.
struct Storage {
    data: Dataset,
    boxes: u64,
    first_shelf: i64,
    reading_room: i64,
}

/// How pgbench replays captured statements: its variables, and which captured literals become
/// expressions of them (the calibration box or file becomes a random one).
struct Replay {
    variables: Vec<String>,
    replacements: Vec<(String, String)>,
}

/// How pgbench runs: at the benchmark's concurrency for a while, or one client a number of times.
enum Load {
    Concurrent(u32),
    OneByOne(u32),
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
    Command::new("wrk").arg("--version").output().map_err(|_| "wrk not found: apt-get install wrk")?;
    Command::new(&pgbench).arg("--version").output().map_err(|_| "pgbench not found next to the PostgreSQL server")?;

    let work = std::env::temp_dir().join(format!("paperkeep-bench-{}", std::process::id()));
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let backups = Backups::at(work.join("backups"));
    fs::create_dir_all(backups.dir()).map_err(|e| e.to_string())?;
    paperkeep::db::local::Tools::find().map_err(|e| e.to_string())?.hand_over(backups.dir())?;
    let server = archiving(&work.join("data"), &backups)?;
    let bench = Bench { server: &server, backups: &backups, pgbench, work: work.clone(), options: &options };
    let result = if options.soak { bench.soak() } else { bench.all() };
    drop(server);
    if options.keep {
        eprintln!("bench: kept {}", work.display());
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    result
}

/// What a run measured, printed as the README's tables.
#[derive(Default)]
struct Tables {
    /// At the configured concurrency: the service and pgbench replaying its statements.
    concurrent: Vec<(String, Measurement, Measurement, &'static str)>,
    /// One request at a time: the service and the raw SQL.
    one_by_one: Vec<(String, Measurement, Measurement, &'static str)>,
    /// Figures of the integration scenarios, already formatted.
    integration: Vec<(String, String, String, &'static str)>,
    /// The look-up by repository size: runs alternating between the sizes.
    flat: Vec<(u64, Vec<Measurement>)>,
    /// The statements each scenario's request sends.
    statements: Vec<(&'static str, Vec<String>)>,
}

impl Tables {
    fn print(&mut self, options: &Options) {
        self.flat.sort_by_key(|(size, _)| *size);
        println!("\nMachine: {} cores; PostgreSQL with fsync on; service with its default settings.", cores());
        println!(
            "\nAt {} connections, {} s per run (wrk against the service; pgbench replaying its statements):\n",
            options.connections, options.seconds
        );
        println!(
            "| scenario | service req/s | p50 ms | p99 ms | errors | pgbench tps | p50 ms | p99 ms | failed | service ÷ pgbench | target |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for (name, service, raw, target) in &self.concurrent {
            println!(
                "| {name} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.2} | {:.2} | {} | {:.2} | {target} |",
                service.rate,
                service.p50,
                service.p99,
                service.errors,
                raw.rate,
                raw.p50,
                raw.p99,
                raw.errors,
                service.rate / raw.rate
            );
        }
        println!("\nOne request at a time, {SEQUENTIAL_RUNS} times (the service; pgbench replaying its statements):\n");
        println!("| scenario | service p50 ms | p99 ms | errors | raw SQL p50 ms | p99 ms | failed | target |");
        println!("|---|---|---|---|---|---|---|---|");
        for (name, service, raw, target) in &self.one_by_one {
            println!(
                "| {name} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {} | {target} |",
                service.p50, service.p99, service.errors, raw.p50, raw.p99, raw.errors
            );
        }
        println!("\nIntegration:\n\n| scenario | service | raw SQL | target |\n|---|---|---|---|");
        for (name, service, raw, target) in &self.integration {
            println!("| {name} | {service} | {raw} | {target} |");
        }
        println!(
            "\nThe look-up as the repository grows (median of {ALTERNATIONS} runs alternating between the sizes, after a \
             warm-up; ranges):\n\n| boxes | req/s | p50 ms | p99 ms | p99 ÷ smallest's |\n|---|---|---|---|---|"
        );
        let smallest = self.flat.first().map(|(_, runs)| median(runs).p99);
        for (size, runs) in &self.flat {
            let m = median(runs);
            println!(
                "| {size} | {:.0} ({}) | {:.2} | {:.2} ({}) | {:.2} (target ≤ 1.2) |",
                m.rate,
                range(runs, |r| r.rate, 0),
                m.p50,
                m.p99,
                range(runs, |r| r.p99, 2),
                m.p99 / smallest.unwrap_or(m.p99)
            );
        }
        for (name, captured) in &self.statements {
            println!("\nStatements per {name} ({}):", captured.len());
            for sql in captured.iter().take(12) {
                println!("  {}", sql.chars().take(110).collect::<String>());
            }
        }
    }
}

/// wrk's setting for look-ups by barcode.
fn barcode_path() -> (&'static str, String) {
    ("BENCH_PATH", "/api/v1/boxes/by-barcode/HS%07d".to_string())
}

struct Bench<'a> {
    server: &'a LocalPostgres,
    /// Where the server archives its WAL, as the service's own does by default.
    backups: &'a Backups,
    pgbench: PathBuf,
    work: PathBuf,
    options: &'a Options,
}

impl Bench<'_> {
    fn all(&self) -> Result<(), String> {
        let o = self.options;
        eprintln!("bench: {} s per run, {} connections, {} threads", o.seconds, o.connections, o.threads);
        let mut tables = Tables::default();
        if o.runs("storage") || o.runs("report") {
            let storage = self.storage(o.boxes, 5)?;
            if o.runs("storage") {
                self.storage_scenarios(&storage, &mut tables)?;
            }
            if o.runs("report") {
                self.report_scenarios(&storage.data, &mut tables)?;
            }
        }
        if o.runs("holdings") {
            self.holdings_scenarios(&mut tables)?;
        }
        if o.runs("search") {
            self.search_scenarios(&mut tables)?;
        }
        if o.runs("reading") {
            self.reading_scenarios(&mut tables)?;
        }
        if o.runs("backups") {
            self.backup_scenarios(&mut tables)?;
        }
        if o.runs("scaling") {
            self.scaling(&mut tables)?;
        }
        tables.print(o);
        Ok(())
    }

    /// What continuous backups cost: moves with every WAL segment archived (copied and flushed
    /// to the backup directory) beside moves with archiving a no-op, runs alternating; and a
    /// base backup of the cluster holding the holdings' files, taken while the look-up runs.
    fn backup_scenarios(&self, tables: &mut Tables) -> Result<(), String> {
        let o = self.options;
        let storage = self.storage(o.boxes, 5)?;
        let move_env = [
            ("BENCH_BOXES", storage.boxes.to_string()),
            ("BENCH_READING_ROOM", storage.reading_room.to_string()),
            ("BENCH_THREADS", o.threads.to_string()),
        ];
        let mut admin = PgConnection::establish(&self.server.url("postgres")).map_err(|e| e.to_string())?;
        let mut archive_with = |command: &str| -> Result<(), String> {
            let set = format!("ALTER SYSTEM SET archive_command = '{}'", command.replace('\'', "''"));
            admin
                .batch_execute(&set)
                .and_then(|()| admin.batch_execute("SELECT pg_reload_conf()"))
                .map_err(|e| e.to_string())
        };
        let seconds = o.seconds.div_ceil(2);
        let mut pairs = Vec::new();
        for _ in 0..ALTERNATIONS {
            archive_with(&self.backups.archive_command())?;
            let archived = self.wrk(&storage.data, &move_env, seconds)?;
            archive_with("true")?;
            pairs.push((archived, self.wrk(&storage.data, &move_env, seconds)?));
        }
        archive_with(&self.backups.archive_command())?;
        tables.integration.push((
            format!("POST /boxes/{{id}}/moves, {} boxes, WAL archived: throughput kept", storage.boxes),
            kept(&pairs, "req/s"),
            String::new(),
            "≥ 90 %",
        ));

        self.holdings(o.files, o.fonds)?;
        let lookup = [barcode_path(), ("BENCH_MAX", storage.boxes.to_string())];
        let before: Vec<Measurement> =
            (0..ALTERNATIONS).map(|_| self.wrk(&storage.data, &lookup, 5)).collect::<Result<_, _>>()?;
        let server = self.server.handle();
        let started = Instant::now();
        let taking = std::thread::spawn({
            let backups = self.backups.clone();
            move || backups.take(&server).map(|backup| (backup, started.elapsed()))
        });
        let mut during = Vec::new();
        while !taking.is_finished() || during.is_empty() {
            during.push(self.wrk(&storage.data, &lookup, 5)?);
        }
        let (backup, took) = taking.join().map_err(|_| "the base backup panicked")??;
        let (before, during) = (median(&before), median(&during));
        tables.integration.push((
            format!("base backup of the cluster with {} files and {} boxes", o.files, storage.boxes),
            format!("{:.1} s for {:.1} GB", took.as_secs_f64(), backup.bytes as f64 / 1e9),
            format!(
                "the look-up meanwhile: {:.0} req/s, p99 {:.2} ms (before: {:.0} req/s, p99 {:.2} ms)",
                during.rate, during.p99, before.rate, before.p99
            ),
            "",
        ));
        Ok(())
    }

    /// The look-up at each repository size, warm, the sizes in turn (one run after another on
    /// the same size would compare the machine's moments, not the sizes).
    fn scaling(&self, tables: &mut Tables) -> Result<(), String> {
        let sizes: Vec<(u64, Storage)> = self
            .options
            .flat_sizes
            .iter()
            .map(|&size| Ok((size, self.storage(size, 1)?)))
            .collect::<Result<_, String>>()?;
        let env = |size: u64| [barcode_path(), ("BENCH_MAX", size.to_string())];
        let seconds = self.options.seconds.div_ceil(2);
        for (size, storage) in &sizes {
            self.wrk(&storage.data, &env(*size), seconds.div_ceil(2))?;
        }
        let mut runs: Vec<Vec<Measurement>> = vec![Vec::new(); sizes.len()];
        for _ in 0..ALTERNATIONS {
            for ((size, storage), runs) in sizes.iter().zip(&mut runs) {
                runs.push(self.wrk(&storage.data, &env(*size), seconds)?);
            }
        }
        tables.flat.extend(sizes.iter().map(|(size, _)| *size).zip(runs));
        Ok(())
    }

    /// The service and pgbench replaying its statements, in turn: a warm-up of both (not
    /// measured), then `ALTERNATIONS` pairs of half-length runs. The median of each side, and a
    /// line with the ranges.
    fn alternating(
        &self,
        data: &Dataset,
        env: &[(&str, String)],
        scripts: &[String],
    ) -> Result<(Measurement, Measurement, String), String> {
        let seconds = self.options.seconds.div_ceil(2);
        self.wrk(data, env, seconds.div_ceil(2))?;
        self.pgbench(data, scripts, Load::Concurrent(seconds.div_ceil(2)))?;
        let (mut service, mut raw) = (Vec::new(), Vec::new());
        for _ in 0..ALTERNATIONS {
            service.push(self.wrk(data, env, seconds)?);
            raw.push(self.pgbench(data, scripts, Load::Concurrent(seconds))?);
        }
        let mut ratios: Vec<f64> = service.iter().zip(&raw).map(|(s, r)| s.rate / r.rate).collect();
        ratios.sort_by(f64::total_cmp);
        let spread = format!(
            "{} req/s, p99 {} ms; pgbench {} tps, p99 {} ms; ÷ {:.2}–{:.2}",
            range(&service, |m| m.rate, 0),
            range(&service, |m| m.p99, 2),
            range(&raw, |m| m.rate, 0),
            range(&raw, |m| m.p99, 2),
            ratios[0],
            ratios[ratios.len() - 1],
        );
        Ok((median(&service), median(&raw), spread))
    }

    /// The look-up behind every reader's request, moves, and moves with an Idempotency-Key.
    fn storage_scenarios(&self, storage: &Storage, tables: &mut Tables) -> Result<(), String> {
        let o = self.options;
        let lookup = self.capture(&storage.data, |client, url| {
            client.get(format!("{url}/api/v1/boxes/by-barcode/HS{CALIBRATION_BOX:07}"))
        })?;
        // The calibration box to the reading room (with an Idempotency-Key, if given), and home
        // again so that the measured moves all succeed.
        let out_and_back = |key: Option<&str>| -> Result<Vec<String>, String> {
            let to_reading_room = format!(r#"{{"to_location_id":{},"reason":"reading_room"}}"#, storage.reading_room);
            let moved = self.capture(&storage.data, |client, url| {
                let request = client
                    .post(format!("{url}/api/v1/boxes/{CALIBRATION_BOX}/moves"))
                    .header("content-type", "application/json")
                    .body(to_reading_room.clone());
                match key {
                    Some(key) => request.header("idempotency-key", key),
                    None => request,
                }
            })?;
            self.capture(&storage.data, |client, url| {
                client
                    .post(format!("{url}/api/v1/boxes/{CALIBRATION_BOX}/moves"))
                    .header("content-type", "application/json")
                    .body(r#"{"reason":"return"}"#)
            })?;
            Ok(moved)
        };
        let moving = out_and_back(None)?;
        let home = storage.first_shelf + (CALIBRATION_BOX as i64 - 1) / 8;
        let box_replay = Replay {
            variables: vec![
                format!("\\set box random(1, {})", storage.boxes),
                format!("\\set home {} + (:box - 1) / 8", storage.first_shelf),
            ],
            replacements: vec![
                // The box in the moved event's JSON (a literal, which pgbench does not fill in):
                // any box costs the same to record.
                (format!("\"box_id\":{CALIBRATION_BOX},"), "\"box_id\":0,".into()),
                (format!("\"barcode\":\"HS{CALIBRATION_BOX:07}\""), "\"barcode\":\"HS0000000\"".into()),
                (format!("'HS{CALIBRATION_BOX:07}'"), "'HS' || lpad(:box::text, 7, '0')".into()),
                (format!("'{{{CALIBRATION_BOX}}}'"), "ARRAY[:box]::int8[]".into()),
                (format!("'{CALIBRATION_BOX}'"), ":box".into()),
                (
                    format!("'{{{},{home},{home}}}'", storage.reading_room),
                    format!("ARRAY[{}, :home, :home]::int8[]", storage.reading_room),
                ),
                (format!("'{home}'"), ":home".into()),
                // A box keeps its place on its shelf (dataset.sql numbers each shelf's 8 boxes).
                (format!("position = '{}'", (CALIBRATION_BOX - 1) % 8 + 1), "position = (:box - 1) % 8 + 1".into()),
            ],
        };
        let boxes = ("BENCH_MAX", storage.boxes.to_string());
        let name = format!("GET /boxes/by-barcode/{{barcode}}, {} boxes", storage.boxes);
        let (service, raw, spread) = self.alternating(
            &storage.data,
            &[barcode_path(), boxes],
            &[replay(&lookup, &box_replay, CALIBRATION_BOX)?],
        )?;
        tables.concurrent.push((name.clone(), service, raw, "≥ 0.5×, p99 ≤ 10 ms"));
        tables.integration.push((format!("{name}: ranges"), spread, String::new(), ""));
        // The app's locate page for a scanned box, signed in (dataset.sql's session), beside it.
        let page_env = [
            ("BENCH_PATH", "/locate?q=HS%07d".to_string()),
            ("BENCH_MAX", storage.boxes.to_string()),
            ("BENCH_COOKIE", format!("pk_session={KEY}")),
        ];
        let page = self.wrk(&storage.data, &page_env, o.seconds)?;
        tables.integration.push((
            format!("GET /locate?q={{barcode}}, the app's page for a box, {} boxes", storage.boxes),
            format!("{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms", page.rate, page.p50, page.p99),
            format!("the JSON look-up: {:.0} req/s, p99 {:.2} ms", service.rate, service.p99),
            "p99 ≤ 10 ms",
        ));
        // The move screen's answer to a scan: the page for a list of twenty boxes going to the lab,
        // with one more scanned.
        let listed: String = (1..=20).map(|n| format!("&box=HS{n:07}")).collect();
        let scan_env = [
            ("BENCH_PATH", format!("/move?to=K1-LAB{listed}&add=HS%07d")),
            ("BENCH_MAX", storage.boxes.to_string()),
            ("BENCH_COOKIE", format!("pk_session={KEY}")),
        ];
        let scanned = self.wrk(&storage.data, &scan_env, o.seconds)?;
        tables.integration.push((
            format!(
                "GET /move?to=…&box=…×20&add={{barcode}}, the move screen's list after a scan, {} boxes",
                storage.boxes
            ),
            format!("{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms", scanned.rate, scanned.p50, scanned.p99),
            format!("the JSON look-up: {:.0} req/s, p99 {:.2} ms", service.rate, service.p99),
            "a scan answered before the next (p99 ≤ 50 ms)",
        ));
        let move_env = [
            ("BENCH_BOXES", storage.boxes.to_string()),
            ("BENCH_READING_ROOM", storage.reading_room.to_string()),
            ("BENCH_THREADS", o.threads.to_string()),
        ];
        let moves_service = self.wrk(&storage.data, &move_env, o.seconds)?;
        let plain_sql = replay(&moving, &box_replay, CALIBRATION_BOX)?;
        let moves_raw = self.pgbench(&storage.data, std::slice::from_ref(&plain_sql), Load::Concurrent(o.seconds))?;
        tables.concurrent.push((
            format!("POST /boxes/{{id}}/moves, {} boxes", storage.boxes),
            moves_service,
            moves_raw,
            "≥ 0.6×",
        ));
        tables.statements.push(("look-up", lookup));

        // A shelf's label scanned: the location look-up by barcode, over random shelves.
        let shelves = storage.boxes.div_ceil(8) as i64;
        let calibration_shelf = storage.first_shelf + CALIBRATION_SHELF % shelves;
        let shelf_lookup = self.capture(&storage.data, |client, url| {
            client.get(format!("{url}/api/v1/locations/by-barcode/LOC-{calibration_shelf:06}"))
        })?;
        let shelf_replay = Replay {
            variables: vec![format!(
                "\\set shelf random({}, {})",
                storage.first_shelf,
                storage.first_shelf + shelves - 1
            )],
            replacements: vec![(
                format!("'LOC-{calibration_shelf:06}'"),
                "'LOC-' || lpad(:shelf::text, 6, '0')".into(),
            )],
        };
        let shelf_env = [
            ("BENCH_PATH", "/api/v1/locations/by-barcode/LOC-%06d".to_string()),
            ("BENCH_MIN", storage.first_shelf.to_string()),
            ("BENCH_MAX", (storage.first_shelf + shelves - 1).to_string()),
        ];
        let name = format!("GET /locations/by-barcode/{{barcode}}, {shelves} shelves");
        let (service, raw, spread) = self.alternating(
            &storage.data,
            &shelf_env,
            &[replay(&shelf_lookup, &shelf_replay, calibration_shelf as u64)?],
        )?;
        tables.concurrent.push((name.clone(), service, raw, "as the box look-up"));
        tables.integration.push((format!("{name}: ranges"), spread, String::new(), ""));
        tables.statements.push(("shelf look-up", shelf_lookup));
        tables.statements.push(("move", moving));

        // The idempotency layer's cost on a POST: the same moves, each with a key of its own.
        all_home(&storage.data)?;
        let calibration_key = "calibration";
        let idempotent_moving = out_and_back(Some(calibration_key))?;
        // Each transaction a key of its own: in its claim (a lock named by a number) and in its
        // record (a string).
        let claimed = idempotent_moving
            .iter()
            .find_map(|sql| Some(sql.split_once("pk_claim_idempotency_key(")?.1.split_once(')')?.0.to_string()))
            .ok_or("the keyed move claimed no key")?;
        let mut keyed_replay = box_replay;
        // Keys from a space wide enough that no two transactions draw the same (a record of
        // the key would fail the second, and pgbench would stop that client).
        keyed_replay.variables.push("\\set key random(1, 9000000000000000000)".into());
        let keyed = [
            (format!("E'{calibration_key}'"), "('k' || :key)".into()),
            (format!("pk_claim_idempotency_key({claimed})"), "pk_claim_idempotency_key(:key)".into()),
        ];
        keyed_replay.replacements.splice(0..0, keyed);
        let keyed_env = [move_env.as_slice(), &[("BENCH_IDEMPOTENT", "1".to_string())]].concat();
        let keyed_sql = replay(&idempotent_moving, &keyed_replay, CALIBRATION_BOX)?;
        // Plain and keyed runs alternate: one pair of runs is at the mercy of a shared machine.
        let seconds = o.seconds.div_ceil(2);
        let moves = |env: &[(&str, String)]| {
            all_home(&storage.data)?;
            self.wrk(&storage.data, env, seconds)
        };
        let (mut service, mut raw) = (Vec::new(), Vec::new());
        for _ in 0..ALTERNATIONS {
            service.push((moves(&keyed_env)?, moves(&move_env)?));
            let keyed = self.pgbench(&storage.data, std::slice::from_ref(&keyed_sql), Load::Concurrent(seconds))?;
            raw.push((
                keyed,
                self.pgbench(&storage.data, std::slice::from_ref(&plain_sql), Load::Concurrent(seconds))?,
            ));
        }
        tables.integration.push((
            "POST /boxes/{id}/moves with an Idempotency-Key: throughput kept".to_string(),
            kept(&service, "req/s"),
            kept(&raw, "tps"),
            "cost ≤ 10 %",
        ));
        tables.statements.push(("idempotent move", idempotent_moving));
        Ok(())
    }

    /// The activity report over a year of conservation, and an import of file rows.
    fn report_scenarios(&self, data: &Dataset, tables: &mut Tables) -> Result<(), String> {
        let o = self.options;
        let report_data = self.add_year_of_conservation(data, o.report_records)?;
        let today = chrono::Utc::now().date_naive();
        let year_ago = today - chrono::Days::new(365);
        let report = |client: &Client, url: &str| {
            client.get(format!("{url}/api/v1/reports/activity?from={year_ago}&to={today}"))
        };
        let captured = self.capture(&report_data, report)?;
        tables.one_by_one.push((
            format!("GET /reports/activity, a year of {} treatment and assessment records", o.report_records),
            self.one_by_one(&report_data, SEQUENTIAL_RUNS, report)?,
            self.pgbench(&report_data, &[literal(&captured)], Load::OneByOne(SEQUENTIAL_RUNS))?,
            "≤ 500 ms",
        ));
        tables.statements.push(("report", captured));
        let (service, raw) = self.import_files(&report_data, IMPORT_ROWS)?;
        tables.integration.push((
            format!("POST /imports/files, {IMPORT_ROWS} rows of CSV (p50 of {IMPORT_RUNS})"),
            format!("{:.2} s", service / 1000.0),
            format!("{:.2} s (INSERT … SELECT of the same rows)", raw / 1000.0),
            "≤ 10 s",
        ));
        Ok(())
    }

    /// File summaries, page histories, the queue, a batch, and the change feed.
    fn holdings_scenarios(&self, tables: &mut Tables) -> Result<(), String> {
        let o = self.options;
        let holdings = self.holdings(o.files, o.fonds)?;
        // The file used to capture statements: an id no other parameter takes.
        let calibration_file = o.files * 7 / 9 + 1;
        let file_replay = Replay {
            variables: vec![format!("\\set file random(1, {})", o.files)],
            replacements: vec![
                (format!("'{{{calibration_file}}}'"), "ARRAY[:file]::int8[]".into()),
                (format!("'{calibration_file}'"), ":file".into()),
            ],
        };
        let files = ("BENCH_MAX", o.files.to_string());
        for (name, path) in [
            ("GET /files/{id} (summary)", "/api/v1/files/%d"),
            ("GET /files/{id}/pages/1 (history)", "/api/v1/files/%d/pages/1"),
        ] {
            let calibration = path.replace("%d", &calibration_file.to_string());
            let captured = self.capture(&holdings, |client, url| client.get(format!("{url}{calibration}")))?;
            let title = format!("{name}, {} files", o.files);
            let (service, raw, spread) = self.alternating(
                &holdings,
                &[("BENCH_PATH", path.to_string()), files.clone()],
                &[replay(&captured, &file_replay, calibration_file)?],
            )?;
            tables.concurrent.push((title.clone(), service, raw, "p99 ≤ 10 ms, ≥ 0.4×"));
            tables.integration.push((format!("{title}: ranges"), spread, String::new(), ""));
            tables.statements.push((name, captured));
        }
        // The app's page map of the 2,000-leaf file (holdings.sql), beside the JSON of the same
        // file with its summary.
        let only_it = [("BENCH_MIN", o.files.to_string()), ("BENCH_MAX", o.files.to_string())];
        let page_map_env = [("BENCH_PATH", "/files/%d".to_string()), ("BENCH_COOKIE", format!("pk_session={KEY}"))];
        let page_map = self.wrk(&holdings, &[&page_map_env[..], &only_it[..]].concat(), o.seconds)?;
        let json_env = [("BENCH_PATH", "/api/v1/files/%d".to_string())];
        let json = self.wrk(&holdings, &[&json_env[..], &only_it[..]].concat(), o.seconds)?;
        tables.integration.push((
            "GET /files/{id}, the app's page map of a file of 2,000 leaves (40 surveys, 5 open treatments)".into(),
            format!("{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms", page_map.rate, page_map.p50, page_map.p99),
            format!("GET /api/v1/files/{{id}} of it: {:.0} req/s, p99 {:.2} ms", json.rate, json.p99),
            "fast: p99 ≤ 50 ms",
        ));
        let fonds_files = o.files / o.fonds;
        let queue =
            |client: &Client, url: &str| client.get(format!("{url}/api/v1/conservation/queue?fonds_id=1&limit=50"));
        let captured = self.capture(&holdings, queue)?;
        tables.one_by_one.push((
            format!("GET /conservation/queue, a fonds of {fonds_files} files"),
            self.one_by_one(&holdings, SEQUENTIAL_RUNS, queue)?,
            self.pgbench(&holdings, &[literal(&captured)], Load::OneByOne(SEQUENTIAL_RUNS))?,
            "≤ 200 ms",
        ));
        tables.statements.push(("queue", captured));
        // A month's backing log: 40 files, 100 pages each.
        let entries: Vec<String> = (1..=40)
            .map(|file| {
                format!(
                    r#"{{"file_id":{file},"type":"backing","status":"completed","completed_at":"2026-10-31T10:00:00Z",
                        "materials":[{{"code":"do_paper","detail":"9 g/m²"}},{{"code":"cmc"}}],"after":{{"grade":2}}}}"#
                )
            })
            .collect();
        let batch_body = format!(r#"{{"entries":[{}]}}"#, entries.join(","));
        let batch = |client: &Client, url: &str| {
            client
                .post(format!("{url}/api/v1/treatments/batch"))
                .header("content-type", "application/json")
                .body(batch_body.clone())
        };
        let captured = self.capture(&holdings, batch)?;
        tables.one_by_one.push((
            "POST /treatments/batch, 4,000 pages over 40 files".into(),
            self.one_by_one(&holdings, SEQUENTIAL_RUNS, batch)?,
            self.pgbench(&holdings, &[literal(&captured)], Load::OneByOne(SEQUENTIAL_RUNS))?,
            "≤ 200 ms",
        ));
        tables.statements.push(("batch", captured));
        let (service, raw) = self.read_feed(&holdings, o.seconds)?;
        tables.integration.push((
            "GET /events, a consumer paging 1,000 at a time from the start".into(),
            format!("{service:.0} events/s"),
            format!("{raw:.0} events/s (the same query, same pages)"),
            "≥ 10,000 events/s",
        ));
        Ok(())
    }

    /// Searches by words over `files` files: readers' queries at random, through the service and
    /// by pgbench replaying the statements the service sends for each.
    fn search_scenarios(&self, tables: &mut Tables) -> Result<(), String> {
        let o = self.options;
        let sql = fill(
            include_str!("bench/search.sql"),
            &[("key", KEY.to_string()), ("files", o.files.to_string()), ("fonds", SEARCH_FONDS.to_string())],
        );
        let data = self.generate("bench_search", &sql)?;
        let encoded: Vec<String> =
            SEARCHES.iter().map(|q| form_urlencoded::byte_serialize(q.as_bytes()).collect()).collect();
        let mut scripts = Vec::new();
        for q in &encoded {
            let captured = self.capture(&data, |client, url| client.get(format!("{url}/api/v1/files?q={q}")))?;
            scripts.push(literal(&captured));
            if scripts.len() == 1 {
                tables.statements.push(("search", captured));
            }
        }
        let env = [("BENCH_PATH", "/api/v1/files?q=%s".to_string()), ("BENCH_QUERIES", encoded.join(" "))];
        let name = format!("GET /files?q= ({} searches of 2 to 4 words), {} files", SEARCHES.len(), o.files);
        tables.concurrent.push((
            name.clone(),
            self.wrk(&data, &env, o.seconds)?,
            self.pgbench(&data, &scripts, Load::Concurrent(o.seconds))?,
            "p99 ≤ 20 ms",
        ));
        // Alone: the searches in turn (pgbench: at random).
        let next = std::cell::Cell::new(0);
        let search = |client: &Client, url: &str| {
            next.set(next.get() + 1);
            client.get(format!("{url}/api/v1/files?q={}", encoded[next.get() % encoded.len()]))
        };
        tables.one_by_one.push((
            name,
            self.one_by_one(&data, SEQUENTIAL_RUNS, search)?,
            self.pgbench(&data, &scripts, Load::OneByOne(SEQUENTIAL_RUNS))?,
            "p99 ≤ 20 ms",
        ));
        Ok(())
    }

    /// The reading room over the storage repository: the pull list of the open requests, the
    /// check of a request of ten files, and due dates in working days.
    fn reading_scenarios(&self, tables: &mut Tables) -> Result<(), String> {
        let o = self.options;
        let more = fill(
            include_str!("bench/reading.sql"),
            &[
                ("boxes", o.boxes.to_string()),
                ("readers", READERS.to_string()),
                ("past", PAST_REQUESTS.to_string()),
                ("open", OPEN_REQUESTS.to_string()),
            ],
        );
        let data = self.storage_and(o.boxes, 1, "_reading", &more)?.data;
        let pull_list = |client: &Client, url: &str| client.get(format!("{url}/api/v1/pull-list"));
        let captured = self.capture(&data, pull_list)?;
        tables.one_by_one.push((
            format!("GET /pull-list, {OPEN_REQUESTS} open requests over {} boxes", o.boxes),
            self.one_by_one(&data, SEQUENTIAL_RUNS, pull_list)?,
            self.pgbench(&data, &[literal(&captured)], Load::OneByOne(SEQUENTIAL_RUNS))?,
            "≤ 50 ms",
        ));
        tables.statements.push(("pull list", captured));

        // Ten files from across the shelves, the last of grade 3 or worse, for a reader with files.
        let lines: Vec<String> = (1..=10).map(|n| format!(r#"{{"file_id":{}}}"#, n * o.boxes / 5 - n)).collect();
        let body = format!(r#"{{"reader_id":1,"lines":[{}]}}"#, lines.join(","));
        let check = |client: &Client, url: &str| {
            client
                .post(format!("{url}/api/v1/reading-requests/check"))
                .header("content-type", "application/json")
                .body(body.clone())
        };
        let captured = self.capture(&data, check)?;
        tables.one_by_one.push((
            format!("POST /reading-requests/check, 10 files ({CHECK_RUNS} times)"),
            self.one_by_one(&data, CHECK_RUNS, check)?,
            self.pgbench(&data, &[literal(&captured)], Load::OneByOne(CHECK_RUNS))?,
            "p99 ≤ 10 ms",
        ));
        tables.statements.push(("servability check", captured));

        let mut conn = PgConnection::establish(&data.url).map_err(|e| e.to_string())?;
        let calendar = paperkeep::reading::repo::calendar::calendar(&mut conn).map_err(|e| e.to_string())?;
        let from = chrono::Utc::now();
        let started = Instant::now();
        for n in 0..DUE_DATES {
            let received = from + chrono::Duration::minutes(i64::from(n % 10_000));
            std::hint::black_box(calendar.due(received, 1 + n % 7));
        }
        let in_memory = started.elapsed().as_secs_f64() * 1e6 / f64::from(DUE_DATES);
        // The same deadline's whole days counted by the database: weekdays not closed all day.
        let seventh_day = "SELECT d FROM generate_series(current_date + 1, current_date + 60, interval '1 day') d \
             WHERE extract(isodow FROM d) < 6 AND NOT EXISTS (SELECT 1 FROM closures c \
             WHERE CAST(d AS date) BETWEEN c.first_day AND c.last_day AND c.part = 'day') ORDER BY d OFFSET 6 LIMIT 1;";
        let raw = self.pgbench(&data, &[seventh_day.to_string()], Load::OneByOne(SEQUENTIAL_RUNS))?;
        tables.integration.push((
            "A due date in working days (1 to 7), over 21 years of closures".into(),
            format!("{in_memory:.1} µs in memory, no statement (closures read once per request)"),
            format!("{:.2} ms p50 for the 7th working day counted in SQL (whole days only)", raw.p50),
            "no round trip",
        ));
        Ok(())
    }

    /// Runs `sql` (placeholders in braces filled in) into a new migrated database, then analyses
    /// it and checkpoints, so that no checkpoint lands in a measured run.
    fn generate(&self, name: &str, sql: &str) -> Result<Dataset, String> {
        let started = Instant::now();
        self.server.ensure_database(name).map_err(|e| e.to_string())?;
        let url = self.server.url(name);
        let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
        db::migrate(&mut conn).map_err(|e| e.to_string())?;
        conn.batch_execute(sql).map_err(|e| format!("generating {name}: {e}"))?;
        for command in ["VACUUM ANALYZE", "CHECKPOINT"] {
            conn.batch_execute(command).map_err(|e| e.to_string())?;
        }
        eprintln!("bench: {name} generated in {:.0?}", started.elapsed());
        Ok(Dataset { name: name.into(), url })
    }

    /// `boxes` boxes on shelves of 8 (see examples/bench/dataset.sql).
    fn storage(&self, boxes: u64, movements_per_box: u64) -> Result<Storage, String> {
        self.storage_and(boxes, movements_per_box, "", "")
    }

    /// `storage`, then `more` SQL, in a database of its own named with `suffix`.
    fn storage_and(&self, boxes: u64, movements_per_box: u64, suffix: &str, more: &str) -> Result<Storage, String> {
        let shelves = boxes.div_ceil(8).div_ceil(50) * 50;
        let (bays, units) = (shelves / 5, shelves / 50);
        let rooms = units.div_ceil(25);
        let first_shelf = 2 + rooms + units + bays;
        let sql = fill(
            include_str!("bench/dataset.sql"),
            &[
                ("key", KEY.to_string()),
                ("rooms", rooms.to_string()),
                ("units", units.to_string()),
                ("bays", bays.to_string()),
                ("shelves", shelves.to_string()),
                ("first_shelf", first_shelf.to_string()),
                ("boxes", boxes.to_string()),
                ("movements_per_box", movements_per_box.to_string()),
            ],
        );
        let data = self.generate(&format!("bench_{boxes}{suffix}"), &format!("{sql}\n{more}"))?;
        let mut conn = PgConnection::establish(&data.url).map_err(|e| e.to_string())?;
        let reading_room = scalar(&mut conn, "SELECT id AS value FROM locations WHERE code = 'RR'")?;
        Ok(Storage { data, boxes, first_shelf: first_shelf as i64, reading_room })
    }

    /// `files` files over `fonds` fonds with conservation records (see examples/bench/holdings.sql).
    fn holdings(&self, files: u64, fonds: u64) -> Result<Dataset, String> {
        let sql = fill(
            include_str!("bench/holdings.sql"),
            &[
                ("key", KEY.to_string()),
                ("files", files.to_string()),
                ("fonds", fonds.to_string()),
                ("surveys", (files / 5).to_string()),
                ("treatments", (files * 3 / 20).to_string()),
            ],
        );
        self.generate("bench_holdings", &sql)
    }

    /// A year of surveys and treatments on top of `data` (see examples/bench/report.sql): half
    /// the records surveys, half treatments with their conditions after.
    fn add_year_of_conservation(&self, data: &Dataset, records: u64) -> Result<Dataset, String> {
        let started = Instant::now();
        let sql = fill(
            include_str!("bench/report.sql"),
            &[
                ("files", (records / 5).to_string()),
                ("surveys", (records / 2).to_string()),
                ("treatments", (records / 4).to_string()),
                ("records", records.to_string()),
            ],
        );
        let mut conn = PgConnection::establish(&data.url).map_err(|e| e.to_string())?;
        conn.batch_execute(&sql).map_err(|e| format!("generating the report's year: {e}"))?;
        for command in ["VACUUM ANALYZE", "CHECKPOINT"] {
            conn.batch_execute(command).map_err(|e| e.to_string())?;
        }
        eprintln!("bench: a year of {records} records added in {:.0?}", started.elapsed());
        Ok(Dataset { name: data.name.clone(), url: data.url.clone() })
    }

    /// Times importing `rows` files as CSV through the service, and inserting the same rows
    /// with one INSERT … SELECT; returns the p50 milliseconds of each.
    fn import_files(&self, data: &Dataset, rows: u64) -> Result<(f64, f64), String> {
        let mut conn = PgConnection::establish(&data.url).map_err(|e| e.to_string())?;
        conn.batch_execute(&format!(
            "INSERT INTO fonds (code, name, created_by, updated_by)
             SELECT 'IMP' || n, 'Phông nhập ' || n, 1, 1 FROM generate_series(1, {}) n",
            2 * IMPORT_RUNS
        ))
        .map_err(|e| e.to_string())?;
        let (_service, url) = self.service(data, None)?;
        let client = Client::builder().timeout(Duration::from_secs(120)).build().map_err(|e| e.to_string())?;
        let (mut service, mut raw) = (Vec::new(), Vec::new());
        for run in 1..=IMPORT_RUNS {
            let mut csv = String::from("fonds_code,inventory_no,file_no,title,years,leaves\n");
            for n in 1..=rows {
                csv.push_str(&format!(
                    "IMP{run},{},{n},Hồ sơ về việc số {n} của phông nhập,1976-1980,{}\n",
                    n / 10_000 + 1,
                    n % 300 + 1
                ));
            }
            let sent = Instant::now();
            let answer = client
                .post(format!("{url}/api/v1/imports/files"))
                .bearer_auth(KEY)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .map_err(|e| e.to_string())?;
            if answer.status().as_u16() != 201 {
                return Err(format!("the import failed: {}", answer.text().unwrap_or_default()));
            }
            service.push(sent.elapsed().as_secs_f64() * 1000.0);
            let sent = Instant::now();
            conn.batch_execute(&format!(
                "INSERT INTO files (fonds_id, inventory_no, file_no, title, date_from, date_to, page_count, created_by, updated_by)
                 SELECT (SELECT id FROM fonds WHERE code = 'IMP{}'), n / 10000 + 1, n,
                        'Hồ sơ về việc số ' || n || ' của phông nhập', '1976-01-01', '1980-12-31', n % 300 + 1, 1, 1
                 FROM generate_series(1, {rows}) n",
                IMPORT_RUNS + run
            ))
            .map_err(|e| e.to_string())?;
            raw.push(sent.elapsed().as_secs_f64() * 1000.0);
        }
        let p50 = |v: Vec<f64>| Measurement::from_latencies(v, 0.0, 0).p50;
        let (service, raw) = (p50(service), p50(raw));
        eprintln!("bench: import of {rows} rows: {service:.0} ms (raw {raw:.0} ms)");
        Ok((service, raw))
    }

    /// Events per second a consumer reads from the start of the feed, 1,000 a page, for up
    /// to `seconds`: through the service, and by the same query on a direct connection.
    fn read_feed(&self, data: &Dataset, seconds: u32) -> Result<(f64, f64), String> {
        let limit = Duration::from_secs(seconds.into());
        let (_service, url) = self.service(data, None)?;
        let client = Client::new();
        let (mut read, mut cursor, started) = (0usize, None::<String>, Instant::now());
        while started.elapsed() < limit {
            let after = cursor.as_ref().map(|c| format!("&after={c}")).unwrap_or_default();
            let page: serde_json::Value = client
                .get(format!("{url}/api/v1/events?limit=1000{after}"))
                .bearer_auth(KEY)
                .send()
                .and_then(|answer| answer.json())
                .map_err(|e| e.to_string())?;
            let items = page["items"].as_array().map_or(0, Vec::len);
            if items == 0 {
                break;
            }
            read += items;
            cursor = page["next_cursor"].as_str().map(String::from);
        }
        let service = read as f64 / started.elapsed().as_secs_f64();
        let mut conn = PgConnection::establish(&data.url).map_err(|e| e.to_string())?;
        let (mut raw_read, mut position, started) = (0usize, paperkeep::events::repo::START, Instant::now());
        while started.elapsed() < limit {
            let page = paperkeep::events::repo::after(&mut conn, position, &[], 1000).map_err(|e| e.to_string())?;
            if page.events.is_empty() {
                break;
            }
            position = page.next;
            raw_read += page.events.len();
        }
        let raw = raw_read as f64 / started.elapsed().as_secs_f64();
        eprintln!("bench: feed: {service:.0} events/s (raw {raw:.0})");
        Ok((service, raw))
    }

    /// The service with its default settings, but for the per-key rate limit (every scenario
    /// drives it with one key at full speed); `pool_size` overrides the connections.
    fn service(&self, dataset: &Dataset, pool_size: Option<u32>) -> Result<(paperkeep::app::Running, String), String> {
        let defaults = PoolConfig::default();
        let config = PoolConfig { size: pool_size.unwrap_or(defaults.size), ..defaults };
        let pool = db::pool(&dataset.url, &config).map_err(|e| e.to_string())?;
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let http = HttpConfig { rate_limit: 0, ..HttpConfig::default() };
        Ok((paperkeep::app::spawn(listener, pool, http), url))
    }

    /// The statements the service sends for one request, with their parameters in place.
    fn capture(
        &self,
        dataset: &Dataset,
        request: impl Fn(&Client, &str) -> RequestBuilder,
    ) -> Result<Vec<String>, String> {
        let mut admin = PgConnection::establish(&self.server.url("postgres")).map_err(|e| e.to_string())?;
        let set = |admin: &mut PgConnection, value: &str| {
            admin.batch_execute(&format!("ALTER DATABASE {} {value}", dataset.name)).map_err(|e| e.to_string())
        };
        set(&mut admin, "SET log_statement = 'all'")?;
        let (mut service, url) = self.service(dataset, Some(1))?;
        // One client, so one HTTP connection and one worker: these look-ups (of no box) open
        // that worker's pipelined connections, so that opening them is not captured.
        let client = Client::new();
        for _ in 0..4 {
            let warm_up = client.get(format!("{url}/api/v1/boxes/by-barcode/warm-up")).bearer_auth(KEY).send();
            warm_up.map_err(|e| e.to_string())?;
        }
        let log = self.server.log_path();
        let start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let answer = request(&client, &url).bearer_auth(KEY).send().map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!(
                "the calibration request failed: {} {}",
                answer.status(),
                answer.text().unwrap_or_default()
            ));
        }
        service.stop();
        set(&mut admin, "RESET log_statement")?;
        let mut text = String::new();
        let mut file = fs::File::open(&log).map_err(|e| e.to_string())?;
        file.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        file.read_to_string(&mut text).map_err(|e| e.to_string())?;
        Ok(parse_statement_log(&text))
    }

    fn wrk(&self, dataset: &Dataset, env: &[(&str, String)], seconds: u32) -> Result<Measurement, String> {
        let (_service, url) = self.service(dataset, None)?;
        // The move script sends every box out on its first pass: each run starts with all home.
        let moves = !env.iter().any(|(name, _)| *name == "BENCH_PATH");
        if moves {
            all_home(dataset)?;
        }
        self.wrk_at(&url, env, 2.max(seconds / 5))?; // warm-up
        if moves {
            all_home(dataset)?;
        }
        let measured = self.wrk_at(&url, env, seconds)?;
        eprintln!("bench: wrk on {}: {:.0} req/s, p99 {:.2} ms", dataset.name, measured.rate, measured.p99);
        Ok(measured)
    }

    /// One wrk run against the service at `url`.
    fn wrk_at(&self, url: &str, env: &[(&str, String)], seconds: u32) -> Result<Measurement, String> {
        let text = self.wrk_output(url, env, seconds)?;
        parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
    }

    /// What one wrk run against the service at `url` printed.
    fn wrk_output(&self, url: &str, env: &[(&str, String)], seconds: u32) -> Result<String, String> {
        let path = self.work.join("wrk.lua");
        fs::write(&path, include_str!("bench/wrk.lua")).map_err(|e| e.to_string())?;
        let o = self.options;
        let output = Command::new("wrk")
            .args(["-t", &o.threads.to_string(), "-c", &o.connections.to_string(), "-d", &format!("{seconds}s")])
            .args(["--latency", "-s"])
            .arg(&path)
            .arg(url)
            .env("BENCH_KEY", KEY)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .map_err(|e| format!("wrk: {e}"))?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The soak: `seconds` of a mixed load (look-ups by barcode, and `writes` % moves) on one
    /// service, with its memory (the resident size of this process, which runs it) before and
    /// after.
    fn soak(&self) -> Result<(), String> {
        let o = self.options;
        let storage = self.storage(o.boxes, 5)?;
        let (_service, url) = self.service(&storage.data, None)?;
        let env = [
            ("BENCH_PATH", "/api/v1/boxes/by-barcode/HS%07d".to_string()),
            ("BENCH_MAX", storage.boxes.to_string()),
            ("BENCH_WRITES", o.writes.to_string()),
            ("BENCH_BOXES", storage.boxes.to_string()),
            ("BENCH_READING_ROOM", storage.reading_room.to_string()),
            ("BENCH_THREADS", o.threads.to_string()),
        ];
        all_home(&storage.data)?;
        self.wrk_at(&url, &env, 10)?; // warm-up: caches, pool, allocator
        all_home(&storage.data)?;
        let memory_before = resident_kib()?;
        eprintln!("bench: soak for {} s, {} connections", o.seconds, o.connections);
        let text = self.wrk_output(&url, &env, o.seconds)?;
        let soak = parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))?;
        let memory_after = resident_kib()?;
        // What the errors were, if any: wrk's socket errors and the script's count by status.
        for line in text.lines().filter(|l| l.contains("Socket errors") || l.contains("answered")) {
            eprintln!("bench: soak: {}", line.trim());
        }
        println!(
            "\nSoak: {} s, {} % GET /boxes/by-barcode/{{barcode}}, {} % POST /boxes/{{id}}/moves, {} boxes, {} connections\n",
            o.seconds,
            100 - o.writes,
            o.writes,
            storage.boxes,
            o.connections
        );
        println!("| req/s | p50 ms | p99 ms | errors | memory at start | memory at end |\n|---|---|---|---|---|---|");
        println!(
            "| {:.0} | {:.2} | {:.2} | {} | {:.1} MiB | {:.1} MiB |",
            soak.rate,
            soak.p50,
            soak.p99,
            soak.errors,
            memory_before as f64 / 1024.0,
            memory_after as f64 / 1024.0
        );
        Ok(())
    }

    /// One request at a time, after one to warm up.
    fn one_by_one(
        &self,
        dataset: &Dataset,
        runs: u32,
        request: impl Fn(&Client, &str) -> RequestBuilder,
    ) -> Result<Measurement, String> {
        let (_service, url) = self.service(dataset, None)?;
        let client = Client::builder().timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
        let (mut millis, mut errors) = (Vec::new(), 0);
        let started = Instant::now();
        for run in 0..=runs {
            let sent = Instant::now();
            let answer = request(&client, &url).bearer_auth(KEY).send().map_err(|e| e.to_string())?;
            let ok = answer.status().is_success();
            let _ = answer.bytes();
            if run > 0 {
                millis.push(sent.elapsed().as_secs_f64() * 1000.0);
                errors += u64::from(!ok);
            }
        }
        let rate = f64::from(runs) / started.elapsed().as_secs_f64();
        Ok(Measurement::from_latencies(millis, rate, errors))
    }

    /// pgbench running `scripts` (each transaction one of them, at random) on `dataset`.
    fn pgbench(&self, dataset: &Dataset, scripts: &[String], load: Load) -> Result<Measurement, String> {
        let mut paths = Vec::new();
        for (n, script) in scripts.iter().enumerate() {
            let path = self.work.join(format!("script-{n}.pgbench"));
            fs::write(&path, script).map_err(|e| e.to_string())?;
            paths.push(path);
        }
        let logs = self.work.join(format!("pgbench-{}", dataset.name));
        let o = self.options;
        let run = |load: &Load, log: bool| {
            let mut command = Command::new(&self.pgbench);
            command.args(["-n", "-M", "prepared"]);
            for path in &paths {
                command.arg("-f").arg(path);
            }
            match load {
                Load::Concurrent(secs) => command.args([
                    "-c",
                    &o.connections.to_string(),
                    "-j",
                    &o.threads.to_string(),
                    "-T",
                    &secs.to_string(),
                ]),
                Load::OneByOne(times) => command.args(["-c", "1", "-j", "1", "-t", &times.to_string()]),
            };
            command.arg("-h").arg(self.server.socket_dir()).args(["-U", "postgres", &dataset.name]);
            if log {
                command.arg("-l").arg(format!("--log-prefix={}", logs.display()));
            }
            command.output().map_err(|e| format!("pgbench: {e}"))
        };
        let warm_up = match load {
            Load::Concurrent(secs) => Load::Concurrent(2.max(secs / 5)),
            Load::OneByOne(_) => Load::OneByOne(1),
        };
        run(&warm_up, false)?;
        let output = run(&load, true)?;
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
                latencies.extend(
                    log.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok()).map(|us| us / 1000.0),
                );
                fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
            }
        }
        let failed = text.lines().find_map(|l| l.strip_prefix("number of failed transactions: "));
        let errors = failed.and_then(|f| f.split_whitespace().next()?.parse().ok()).unwrap_or(0);
        let measured = Measurement::from_latencies(latencies, rate, errors);
        eprintln!("bench: pgbench on {}: {:.0} tps, p99 {:.2} ms", dataset.name, measured.rate, measured.p99);
        Ok(measured)
    }
}

/// The bench's server, archiving its WAL into `backups` as the service's own does, with the
/// command in its settings file rather than on its command line, so that the bench can change it.
fn archiving(data: &std::path::Path, backups: &Backups) -> Result<LocalPostgres, String> {
    let server = LocalPostgres::start(data).map_err(|e| e.to_string())?;
    let mut admin = PgConnection::establish(&server.url("postgres")).map_err(|e| e.to_string())?;
    for (setting, value) in [("archive_mode", "on".to_string()), ("archive_command", backups.archive_command())] {
        let set = format!("ALTER SYSTEM SET {setting} = '{}'", value.replace('\'', "''"));
        admin.batch_execute(&set).map_err(|e| e.to_string())?;
    }
    drop((admin, server));
    LocalPostgres::start(data).map_err(|e| e.to_string())
}

/// Puts every box back on its home shelf (the counters are not kept: moves only need the
/// boxes where the script expects them).
/// The keyed runs' rate as a share of the plain runs' of each (keyed, plain) pair: the median,
/// the range and the mean rates.
fn kept(pairs: &[(Measurement, Measurement)], unit: &str) -> String {
    let mut shares: Vec<f64> = pairs.iter().map(|(keyed, plain)| 100.0 * keyed.rate / plain.rate).collect();
    shares.sort_by(f64::total_cmp);
    let mean = |rate: fn(&(Measurement, Measurement)) -> f64| pairs.iter().map(rate).sum::<f64>() / pairs.len() as f64;
    format!(
        "{:.0} % (median of {} pairs, {:.0}–{:.0} %; {:.0} of {:.0} {unit} on average)",
        shares[shares.len() / 2],
        pairs.len(),
        shares[0],
        shares[shares.len() - 1],
        mean(|pair| pair.0.rate),
        mean(|pair| pair.1.rate),
    )
}

/// Each figure's median over runs (errors added up).
fn median(runs: &[Measurement]) -> Measurement {
    let middle = |figure: fn(&Measurement) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(figure).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Measurement {
        rate: middle(|m| m.rate),
        p50: middle(|m| m.p50),
        p99: middle(|m| m.p99),
        errors: runs.iter().map(|m| m.errors).sum(),
    }
}

/// The lowest and highest of a figure over runs, `low–high`.
fn range(runs: &[Measurement], figure: fn(&Measurement) -> f64, decimals: usize) -> String {
    let values: Vec<f64> = runs.iter().map(figure).collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{low:.decimals$}–{high:.decimals$}")
}

fn all_home(dataset: &Dataset) -> Result<(), String> {
    // wrk stops without waiting for its last requests: let the moves still in flight commit
    // first, or a box one of them sends out stays out and its next move is refused (409).
    std::thread::sleep(Duration::from_secs(1));
    let mut conn = PgConnection::establish(&dataset.url).map_err(|e| e.to_string())?;
    conn.batch_execute(
        "UPDATE boxes SET current_location_id = home_location_id, version = version + 1 \
         WHERE current_location_id <> home_location_id",
    )
    .map_err(|e| e.to_string())
}

fn fill(template: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(template.to_string(), |sql, (name, value)| sql.replace(&format!("{{{name}}}"), value))
}

fn scalar(conn: &mut PgConnection, sql: &str) -> Result<i64, String> {
    #[derive(diesel::QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        value: i64,
    }
    diesel::sql_query(sql).get_result::<Value>(conn).map(|v| v.value).map_err(|e| e.to_string())
}

/// The resident memory of this process (which runs the service), in KiB.
fn resident_kib() -> Result<u64, String> {
    let status = fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// wrk's rate, p50 and p99 (from `--latency`) and non-2xx answers.
fn parse_wrk(text: &str) -> Option<Measurement> {
    let millis = |value: &str| -> Option<f64> {
        let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let factor = match &value[number.len()..] {
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
    // Whether the line before belonged to a statement (its continuation lines carry no prefix).
    let mut in_statement = false;
    for line in log.lines() {
        let is_entry = line.len() > 4 && line.as_bytes()[..4].iter().all(u8::is_ascii_digit) && line.contains(" UTC [");
        if !is_entry {
            if in_statement && let Some(last) = statements.last_mut() {
                last.push('\n');
                last.push_str(line);
            }
            continue;
        }
        in_statement = false;
        if let Some(rest) = line.split_once("LOG:  ").map(|(_, rest)| rest) {
            if let Some(sql) = rest.strip_prefix("statement: ") {
                statements.push(sql.to_string());
                in_statement = true;
            } else if let Some((_, sql)) = rest.strip_prefix("execute ").and_then(|r| r.split_once(": ")) {
                statements.push(sql.to_string());
                in_statement = true;
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

/// A pgbench script replaying `statements`, with the calibration id made a random one.
fn replay(statements: &[String], how: &Replay, calibration: u64) -> Result<String, String> {
    let mut script = how.variables.iter().map(|v| format!("{v}\n")).collect::<String>();
    for statement in statements {
        let sql =
            how.replacements.iter().fold(statement.clone(), |sql, (literal, expr)| sql.replace(literal.as_str(), expr));
        // (Bytes written in hex, `'\x…'` or `E'\\x…'`, may hold its digits by chance.)
        let mut parts = sql.split("\\x");
        let first = parts.next().unwrap_or_default();
        let after_hex = parts.map(|part| part.split_once('\'').map_or(part, |(_, rest)| rest));
        if std::iter::once(first).chain(after_hex).any(|part| part.contains(&calibration.to_string())) {
            return Err(format!("the calibration id still shows in: {sql}"));
        }
        script.push_str(&command(&sql));
    }
    Ok(script)
}

/// A pgbench script replaying `statements` exactly as captured.
fn literal(statements: &[String]) -> String {
    statements.iter().map(|sql| command(sql)).collect()
}

/// One captured statement as pgbench commands. A write's BEGIN comes in one message with the
/// statements after it, and its COMMIT with those before it (`db::transaction_in`): pgbench
/// sends each such batch in one pipeline, one round trip too.
fn command(sql: &str) -> String {
    // pgbench reads `:name` as a variable, also inside the JSON of an event (`"note":null`): a
    // space after the colon means the same JSON (a cast, `"…"::type`, keeps its colons).
    let sql = sql.replace("\":", "\": ").replace("\": :", "\"::");
    if sql.starts_with("BEGIN; ") || sql.ends_with("; COMMIT") {
        format!("\\startpipeline\n{};\n\\endpipeline\n", sql.replace("; ", ";\n"))
    } else {
        format!("{sql};\n")
    }
}
