//! `ce-push`: pushes a CSV or JSON Lines file of completions with
//! [`PlatformClient`].
//!
//! ```text
//! ce-push --url https://ce.example.org --client-id ID --client-secret SECRET \
//!         [--batch-size N] [--rejected FILE] [--format csv|jsonl] FILE
//! ```
//!
//! The credentials can come from `CE_CLIENT_ID` and `CE_CLIENT_SECRET`
//! instead (better than the command line, which other users can see), the
//! URL from `CE_URL`.
//!
//! * CSV (`.csv`): a header row with `PushItem`'s field names
//!   (`external_id, id_card_no, name, year, category, series, course_name,
//!   hours, result, completed_at, general_knowledge`); empty `series`,
//!   `result` and `general_knowledge` cells are left out.
//! * JSON Lines (`.jsonl`, `.ndjson`): one `PushItem` object a line.
//!
//! Every item ends up accepted, a duplicate of one sent before, or
//! rejected. Rejected items, and lines that could not be read at all
//! (`line_invalid`), are written to `--rejected` (by default
//! `<stem>.rejected.<ext>` next to the input) in the input's format with
//! `code` and `detail` added; fix them there and push that file (its
//! `code` and `detail` are ignored on input; an unreadable JSON line comes
//! back as `{"line", "raw", "code": "line_invalid", "detail"}` and is read
//! as its `raw` text again — mend `raw`, or replace the whole line with
//! the item). After an interruption just
//! run the same command again: what was recorded comes back `duplicate`.
//!
//! Exit status: 0 when every item was accepted or a duplicate, 2 when some
//! were rejected, 1 on errors (bad arguments, an unreadable file, a failed
//! request).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Map, Value};

use crate::platform::{PlatformClient, PushError, PushOptions, PushReport};

/// The fields of a `PushItem`.
pub const FIELDS: [&str; 11] = [
    "external_id",
    "id_card_no",
    "name",
    "year",
    "category",
    "series",
    "course_name",
    "hours",
    "result",
    "completed_at",
    "general_knowledge",
];
const REQUIRED: [&str; 8] = [
    "external_id",
    "id_card_no",
    "name",
    "year",
    "category",
    "course_name",
    "hours",
    "completed_at",
];
/// Columns a rejected file adds, ignored when it is pushed again.
const ADDED: [&str; 2] = ["code", "detail"];

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    #[value(alias = "ndjson")]
    Jsonl,
}

/// Push completed hours to the continuing-education API as a learning
/// platform.
#[derive(Debug, Clone, Parser)]
#[command(name = "ce-push", version)]
pub struct Args {
    /// The API's base URL, e.g. `https://ce.example.org`.
    #[arg(
        long,
        env = "CE_URL",
        help = "The API's base URL, e.g. https://ce.example.org"
    )]
    pub url: String,
    /// The platform's client id
    #[arg(long, env = "CE_CLIENT_ID")]
    pub client_id: String,
    /// The platform's client secret (prefer the environment variable).
    /// A secret may begin with `-` (URL-safe base64), so the value after
    /// the flag is taken as it is.
    #[arg(
        long,
        env = "CE_CLIENT_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub client_secret: String,
    /// Items per request
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch_size: u16,
    /// Attempts per request before giving up
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Where rejected items go (by default `<stem>.rejected.<ext>` beside
    /// the input).
    #[arg(
        long,
        value_name = "FILE",
        help = "Where rejected items go [default: <stem>.rejected.<ext> beside FILE]"
    )]
    pub rejected: Option<PathBuf>,
    /// The input's format [default: from FILE's extension]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// The CSV or JSON Lines file to push
    pub file: PathBuf,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The server's outcome of the items that were sent.
    pub report: PushReport,
    /// Lines that could not be read (`line_invalid`, not sent).
    pub invalid_lines: usize,
    /// Where rejected items were written, if any were.
    pub rejected_file: Option<PathBuf>,
    pub elapsed: Duration,
}

impl Outcome {
    /// Rejected items, unreadable lines included.
    pub fn rejected(&self) -> usize {
        self.report.rejected + self.invalid_lines
    }

    /// 0 when all was recorded, 2 when some items were rejected.
    pub fn exit_code(&self) -> u8 {
        if self.rejected() == 0 { 0 } else { 2 }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments, or `--help` / `--version`.
    #[error("{0}")]
    Usage(#[from] clap::Error),
    /// The input could not be read or the rejected file written.
    #[error("{0}")]
    Io(String),
    /// A request failed for good; the run's partial outcome was reported.
    #[error("push stopped: {0}")]
    Push(Box<PushError>, Box<Outcome>),
}

/// The exit status for a run's result: 0 all recorded, 2 some rejected, 1
/// errors (0 for `--help` and `--version`).
pub fn exit_code(result: &Result<Outcome, CliError>) -> u8 {
    match result {
        Ok(o) => o.exit_code(),
        Err(CliError::Usage(e)) if !e.use_stderr() => 0,
        Err(_) => 1,
    }
}

/// Runs `ce-push` with `args` (the program name first) and prints as the
/// command does; returns its exit status.
pub async fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let result = run(args).await;
    match &result {
        Ok(_) => {}
        Err(CliError::Usage(e)) => {
            let _ = e.print();
        }
        Err(e) => eprintln!("ce-push: {e}"),
    }
    exit_code(&result)
}

/// Runs `ce-push` with `args` (the program name first): reads the file,
/// pushes, writes the rejected items, prints a summary.
pub async fn run<I, T>(args: I) -> Result<Outcome, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = Args::try_parse_from(args)?;
    run_with(args).await
}

/// [`run`] with parsed arguments.
pub async fn run_with(args: Args) -> Result<Outcome, CliError> {
    let started = Instant::now();
    let format = match args.format {
        Some(f) => f,
        None => format_of(&args.file)?,
    };
    let input = read_input(&args.file, format)?;
    for w in &input.warnings {
        eprintln!("ce-push: {w}");
    }
    let items: Vec<&Value> = input
        .rows
        .iter()
        .filter_map(|r| r.item.as_ref().ok())
        .collect();
    let client = PlatformClient::new(&args.url, &args.client_id, &args.client_secret).with_options(
        PushOptions {
            batch_size: usize::from(args.batch_size),
            max_attempts: args.max_attempts,
            ..PushOptions::default()
        },
    );
    let bar = progress_bar(items.len() as u64, args.quiet);
    let pushed = client
        .push_all_with_progress(&items, |done, _| bar.set_position(done as u64))
        .await;
    bar.finish_and_clear();
    let (report, failure) = match pushed {
        Ok(report) => (report, None),
        Err(e) => (e.partial.as_ref().clone(), Some(e)),
    };

    // The rejected rows, in input order: unreadable lines and the server's
    // refusals (report indices count the readable rows only).
    let readable: Vec<usize> = input
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.item.is_ok())
        .map(|(i, _)| i)
        .collect();
    let mut rejected: Vec<(usize, String, String)> = input
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.item {
            Err(detail) => Some((i, "line_invalid".to_string(), detail.clone())),
            Ok(_) => None,
        })
        .collect();
    for item in report.rejected_items() {
        if let Some(&row) = readable.get(item.index) {
            rejected.push((
                row,
                item.code.clone().unwrap_or_default(),
                item.detail.clone().unwrap_or_default(),
            ));
        }
    }
    rejected.sort_by_key(|(row, _, _)| *row);
    let rejected_path = args
        .rejected
        .clone()
        .unwrap_or_else(|| default_rejected_path(&args.file, format));
    let rejected_file = if rejected.is_empty() {
        None
    } else {
        write_rejected(&rejected_path, format, &input, &rejected)?;
        Some(rejected_path)
    };
    let outcome = Outcome {
        invalid_lines: input.rows.len() - readable.len(),
        report,
        rejected_file,
        elapsed: started.elapsed(),
    };
    if !args.quiet {
        print_summary(&args.file, &outcome, failure.is_some());
    }
    match failure {
        Some(e) => Err(CliError::Push(Box::new(e), Box::new(outcome))),
        None => Ok(outcome),
    }
}

fn print_summary(file: &Path, o: &Outcome, stopped: bool) {
    let r = &o.report;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}: {} {} in {:.1} s: {} accepted, {} duplicate, {} rejected{}",
        file.display(),
        r.items.len(),
        if stopped {
            "items sent before the error"
        } else {
            "items"
        },
        o.elapsed.as_secs_f64(),
        r.accepted,
        r.duplicate,
        r.rejected,
        match o.invalid_lines {
            0 => String::new(),
            n => format!(", {n} unreadable lines"),
        },
    );
    if r.retries > 0 {
        let _ = writeln!(out, "{} requests were retried", r.retries);
    }
    if let Some(p) = &o.rejected_file {
        let _ = writeln!(
            out,
            "rejected items, with code and detail: {} (fix them there and push that file)",
            p.display()
        );
    }
    if stopped {
        let _ = writeln!(
            out,
            "run the same command again to go on: items already recorded come back duplicate"
        );
    }
}

fn progress_bar(len: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} items ({eta})",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The format a file's extension says.
pub fn format_of(path: &Path) -> Result<Format, CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson") => Ok(Format::Jsonl),
        _ => Err(CliError::Io(format!(
            "{}: cannot tell the format from the extension (.csv, .jsonl or .ndjson); use --format",
            path.display()
        ))),
    }
}

/// `<stem>.rejected.<ext>` beside `file`.
pub fn default_rejected_path(file: &Path, format: Format) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "items".into());
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| {
            match format {
                Format::Csv => "csv",
                Format::Jsonl => "jsonl",
            }
            .into()
        });
    file.with_file_name(format!("{stem}.rejected.{ext}"))
}

/// One line (JSON Lines) or record (CSV) of the input.
#[derive(Debug)]
struct Row {
    /// What to write back if it is rejected: the CSV fields, or the JSON
    /// line.
    source: Source,
    /// The item to push, or why the line could not be read.
    item: Result<Value, String>,
}

#[derive(Debug)]
enum Source {
    Csv(Vec<String>),
    Json(Value),
    Raw { line: u64, text: String },
}

#[derive(Debug)]
struct Input {
    /// CSV: the header row as read.
    headers: Vec<String>,
    rows: Vec<Row>,
    warnings: Vec<String>,
}

fn read_input(path: &Path, format: Format) -> Result<Input, CliError> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::Io(format!("{}: {e}", path.display())))?;
    match format {
        Format::Csv => read_csv(path, &bytes),
        Format::Jsonl => Ok(read_jsonl(&bytes)),
    }
}

fn read_jsonl(bytes: &[u8]) -> Input {
    let mut rows = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line_no = n as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = if n == 0 {
            line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line)
        } else {
            line
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows.push(jsonl_row(line_no, line));
    }
    Input {
        headers: Vec::new(),
        rows,
        warnings: Vec::new(),
    }
}

/// One JSON Lines line as a row. A line an earlier run could not read
/// comes back in its rejected file as `{"line", "raw", "code":
/// "line_invalid", "detail"}`: it is read as its `raw` text again, so
/// pushing the rejected file reports the same unreadable line (or pushes
/// it, once `raw` has been mended into an object) instead of sending the
/// placeholder as an item.
fn jsonl_row(line_no: u64, line: &[u8]) -> Row {
    let raw = |text: &[u8]| Source::Raw {
        line: line_no,
        text: String::from_utf8_lossy(text).into_owned(),
    };
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(obj))
            if obj.get("code").and_then(Value::as_str) == Some("line_invalid") =>
        {
            match obj.get("raw") {
                Some(Value::String(text)) => jsonl_row(line_no, text.as_bytes()),
                Some(Value::Object(mended)) => {
                    jsonl_row(line_no, &serde_json::to_vec(mended).unwrap_or_default())
                }
                _ => Row {
                    source: raw(line),
                    item: Err(format!(
                        "line {line_no}: an unreadable line of an earlier run without its `raw` text"
                    )),
                },
            }
        }
        Ok(Value::Object(mut obj)) => {
            let source = Value::Object(obj.clone());
            for k in ADDED {
                obj.remove(k);
            }
            Row {
                source: Source::Json(source),
                item: Ok(Value::Object(obj)),
            }
        }
        Ok(_) => Row {
            source: raw(line),
            item: Err(format!("line {line_no}: not a JSON object")),
        },
        Err(e) => Row {
            source: raw(line),
            item: Err(format!("line {line_no}: not JSON: {e}")),
        },
    }
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<Input, CliError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| CliError::Io(format!("{}: the header row: {e}", path.display())))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_string()
        })
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|f| !headers.iter().any(|h| h == f))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Io(format!(
            "{}: the header row lacks {} (it names the fields of an item: {})",
            path.display(),
            missing.join(", "),
            FIELDS.join(", ")
        )));
    }
    let mut warnings = Vec::new();
    let unknown: Vec<&str> = headers
        .iter()
        .map(String::as_str)
        .filter(|h| !FIELDS.contains(h) && !ADDED.contains(h))
        .collect();
    if !unknown.is_empty() {
        warnings.push(format!("ignoring the columns {}", unknown.join(", ")));
    }
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter::new(bytes);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // Unreadable at the CSV level (a reading error).
                let line = lines.line_of(e.position());
                rows.push(Row {
                    source: Source::Csv(Vec::new()),
                    item: Err(format!("line {line}: {e}")),
                });
                if e.is_io_error() {
                    break;
                }
                continue;
            }
        }
        let line = lines.line_of(record.position());
        let fields: Vec<String> = record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        if record.len() == 1 && fields[0].trim().is_empty() {
            continue;
        }
        let item = if let Some(bad) = record.iter().position(|f| std::str::from_utf8(f).is_err()) {
            Err(format!(
                "line {line}: column {} is not UTF-8",
                headers.get(bad).map_or("?", String::as_str)
            ))
        } else if fields.len() != headers.len() {
            Err(format!(
                "line {line}: {} fields where the header has {}: {}",
                fields.len(),
                headers.len(),
                fields.join(",")
            ))
        } else {
            Ok(csv_item(&headers, &fields))
        };
        rows.push(Row {
            source: Source::Csv(fields),
            item,
        });
    }
    Ok(Input {
        headers,
        rows,
        warnings,
    })
}

/// The file's real line numbers of CSV records.
///
/// The csv crate's own `Position::line()` is one too low in a CRLF file
/// (and lower still after blank lines): a record ends at its `\r`, so the
/// next one's position is the `\n` left over, not yet counted as a line.
/// Its byte offset is that of the `\n` too. So: from the position's byte
/// offset, skip line breaks (that `\n`, blank lines) to the record's
/// first character and count the `\n`s before it. Positions only move
/// forwards, so each byte is counted once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Bytes before this are counted…
    at: usize,
    /// …and hold this many `\n`s.
    newlines: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            newlines: 0,
        }
    }

    /// The 1-based line a record at `pos` starts on (0 without a position).
    fn line_of(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut start = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.at {
            // Not expected (positions move forwards): count afresh.
            self.at = 0;
            self.newlines = 0;
        }
        self.newlines += self.bytes[self.at..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.at = start;
        self.newlines + 1
    }
}

/// A CSV record as a `PushItem` object. Numbers and booleans that do not
/// parse are sent as text, for the server to reject with its reason.
fn csv_item(headers: &[String], fields: &[String]) -> Value {
    let mut obj = Map::new();
    for (h, v) in headers.iter().zip(fields) {
        let trimmed = v.trim();
        let value = match h.as_str() {
            "year" => trimmed
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(v.as_str())),
            "hours" => trimmed
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::from(v.as_str())),
            "series" | "result" | "general_knowledge" if trimmed.is_empty() => continue,
            "general_knowledge" => match trimmed.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" | "是" => Value::Bool(true),
                "false" | "0" | "no" | "n" | "否" => Value::Bool(false),
                _ => Value::from(v.as_str()),
            },
            f if FIELDS.contains(&f) => Value::from(v.as_str()),
            _ => continue,
        };
        obj.insert(h.clone(), value);
    }
    Value::Object(obj)
}

/// Writes the rejected rows (`(row, code, detail)`, in input order) in the
/// input's format.
fn write_rejected(
    path: &Path,
    format: Format,
    input: &Input,
    rejected: &[(usize, String, String)],
) -> Result<(), CliError> {
    let io = |e: &dyn std::fmt::Display| CliError::Io(format!("{}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(|e| io(&e))?;
    let mut out = std::io::BufWriter::new(file);
    match format {
        Format::Csv => {
            // The input's columns less an earlier run's code and detail,
            // then this run's.
            let keep: Vec<usize> = (0..input.headers.len())
                .filter(|&i| !ADDED.contains(&input.headers[i].as_str()))
                .collect();
            let mut w = csv::WriterBuilder::new().from_writer(&mut out);
            let header: Vec<&str> = keep
                .iter()
                .map(|&i| input.headers[i].as_str())
                .chain(ADDED)
                .collect();
            w.write_record(&header).map_err(|e| io(&e))?;
            for (row, code, detail) in rejected {
                let fields = match &input.rows[*row].source {
                    Source::Csv(f) => f.as_slice(),
                    _ => &[],
                };
                let record: Vec<&str> = keep
                    .iter()
                    .map(|&i| fields.get(i).map_or("", String::as_str))
                    .chain([code.as_str(), detail.as_str()])
                    .collect();
                w.write_record(&record).map_err(|e| io(&e))?;
            }
            w.flush().map_err(|e| io(&e))?;
        }
        Format::Jsonl => {
            for (row, code, detail) in rejected {
                let mut obj = match &input.rows[*row].source {
                    Source::Json(Value::Object(o)) => o.clone(),
                    Source::Raw { line, text } => {
                        let mut o = Map::new();
                        o.insert("line".into(), Value::from(*line));
                        o.insert("raw".into(), Value::from(text.as_str()));
                        o
                    }
                    _ => Map::new(),
                };
                obj.insert("code".into(), Value::from(code.as_str()));
                obj.insert("detail".into(), Value::from(detail.as_str()));
                serde_json::to_writer(&mut out, &obj).map_err(|e| io(&e))?;
                out.write_all(b"\n").map_err(|e| io(&e))?;
            }
        }
    }
    out.flush().map_err(|e| io(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_secret_that_begins_with_a_hyphen_is_a_value_not_a_flag() {
        // URL-safe base64: one secret in 64 begins with `-`.
        let args = Args::try_parse_from([
            "ce-push",
            "--url",
            "http://127.0.0.1:8080",
            "--client-id",
            "pf_1",
            "--client-secret",
            "-s3cr3t_Xy",
            "completions.csv",
        ])
        .unwrap();
        assert_eq!(args.client_secret, "-s3cr3t_Xy");
    }

    #[test]
    fn csv_rows_become_items() {
        let csv = "\u{feff}external_id,id_card_no,name,year,category,series,course_name,hours,result,completed_at,general_knowledge,code\n\
                   a,11010519491231002X,张三,2026,public,,课程,1.5,,2026-03-01T10:00:00+08:00,,x\n\
                   b,1,2\n";
        let input = read_csv(Path::new("x.csv"), csv.as_bytes()).unwrap();
        assert_eq!(input.rows.len(), 2);
        let item = input.rows[0].item.as_ref().unwrap();
        assert_eq!(item["year"], 2026);
        assert_eq!(item["hours"], 1.5);
        assert!(item.get("series").is_none());
        assert!(item.get("code").is_none());
        assert!(input.rows[1].item.as_ref().unwrap_err().contains("line 3"));
    }

    /// A CRLF file (as Excel saves it) reports the file's real line
    /// numbers, blank lines and quoted line breaks included; so does an LF
    /// one.
    #[test]
    fn csv_errors_name_the_real_line_in_crlf_and_lf_files() {
        let header = "external_id,id_card_no,name,year,category,course_name,hours,completed_at";
        let good = "a,X,张三,2026,public,课,1,2026-03-01T10:00:00Z";
        for eol in ["\r\n", "\n"] {
            // Lines: 1 header, 2 good, 3 bad, 4 blank, 5 bad, 6–7 a quoted
            // line break, 8 bad.
            let csv = [
                header,
                good,
                "b,1,2",
                "",
                "c,1",
                "\"d",
                "d\",X,张三,2026,public,课,1,2026-03-01T10:00:00Z",
                "e",
                "",
            ]
            .join(eol);
            let input = read_csv(Path::new("x.csv"), csv.as_bytes()).unwrap();
            let errors: Vec<&str> = input
                .rows
                .iter()
                .filter_map(|r| r.item.as_ref().err())
                .map(String::as_str)
                .collect();
            let lines: Vec<&str> = errors
                .iter()
                .map(|e| e.split(':').next().unwrap_or_default())
                .collect();
            assert_eq!(lines, ["line 3", "line 5", "line 8"], "{eol:?}: {errors:?}");
            assert!(input.rows[3].item.is_ok(), "{eol:?}: the quoted line break");
        }
    }

    #[test]
    fn jsonl_lines_that_are_not_objects_are_invalid() {
        let input = read_jsonl(b"{\"external_id\":\"a\",\"code\":\"x\"}\n\n[1]\n{oops\n");
        assert_eq!(input.rows.len(), 3);
        assert!(input.rows[0].item.as_ref().unwrap().get("code").is_none());
        assert!(input.rows[1].item.is_err());
        assert!(input.rows[2].item.as_ref().unwrap_err().contains("line 4"));
    }

    #[test]
    fn an_unreadable_line_of_a_rejected_file_stays_unreadable_when_pushed_again() {
        let input = read_jsonl(b"{\"external_id\":\"a\"}\n{oops\n");
        let dir = std::env::temp_dir().join(format!("ce-push-unit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.rejected.jsonl");
        let rejected = [(
            1,
            "line_invalid".to_string(),
            "line 2: not JSON".to_string(),
        )];
        write_rejected(&path, Format::Jsonl, &input, &rejected).unwrap();
        let again = read_jsonl(&std::fs::read(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(again.rows.len(), 1);
        // Not an item (it would be refused `item_invalid`): the same
        // unreadable text, on this file's line.
        let err = again.rows[0].item.as_ref().unwrap_err();
        assert!(err.starts_with("line 1: not JSON"), "{err}");
        match &again.rows[0].source {
            Source::Raw { text, .. } => assert_eq!(text, "{oops"),
            other => panic!("{other:?}"),
        }
        // Mended in place (`raw` made an object, or its text fixed), it is
        // pushed as an item again.
        let mended = read_jsonl(
            b"{\"line\":2,\"raw\":\"{\\\"external_id\\\":\\\"b\\\"}\",\"code\":\"line_invalid\",\"detail\":\"x\"}\n",
        );
        assert_eq!(
            mended.rows[0].item.as_ref().unwrap(),
            &serde_json::json!({"external_id": "b"})
        );
    }

    #[test]
    fn rejected_csv_rows_keep_their_columns_and_add_code_and_detail() {
        let csv = "external_id,id_card_no,name,year,category,course_name,hours,completed_at,code,detail\n\
                   a,X,张三,2026,public,课,1,2026-03-01T10:00:00Z,old,older\n\
                   b,\"Y, Z\"\n";
        let input = read_csv(Path::new("x.csv"), csv.as_bytes()).unwrap();
        let dir = std::env::temp_dir().join(format!("ce-push-unit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.rejected.csv");
        let rejected = [
            (0, "name_mismatch".to_string(), "not 张三".to_string()),
            (1, "line_invalid".to_string(), "line 3".to_string()),
        ];
        write_rejected(&path, Format::Csv, &input, &rejected).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            text,
            "external_id,id_card_no,name,year,category,course_name,hours,completed_at,code,detail\n\
             a,X,张三,2026,public,课,1,2026-03-01T10:00:00Z,name_mismatch,not 张三\n\
             b,\"Y, Z\",,,,,,,line_invalid,line 3\n"
        );
    }

    #[test]
    fn default_rejected_paths() {
        assert_eq!(
            default_rejected_path(Path::new("/d/x.csv"), Format::Csv),
            Path::new("/d/x.rejected.csv")
        );
        assert_eq!(
            default_rejected_path(Path::new("y"), Format::Jsonl),
            Path::new("y.rejected.jsonl")
        );
    }
}
