//! Reading request logs, streaming line by line, and deduplicating their requests.
//!
//! Two formats, detected from each file's first non-blank line (after gzip, detected from its magic
//! bytes, whatever the file is called):
//!
//! - a CloudFront standard access log (W3C extended): `#Version:` and `#Fields:` header lines, then
//!   one tab-separated line per request, its fields in the header's order (a later `#Fields:` line
//!   changes the order for the lines after it). The viewer's Host is `x-host-header` (`cs(Host)` is
//!   the distribution's own domain), the path `cs-uri-stem`, the query `cs-uri-query`, the viewer
//!   `c-ip`, the method `cs-method`, the cookies `cs(Cookie)`; `-` is an empty field. Values are
//!   taken as logged (percent-encoded, as the viewer sent them);
//! - a request list: one `[METHOD] URL [IP]` per line; blank lines and `#` comments are skipped.
//!
//! A line that cannot be a request is counted as malformed, and the first few are kept with their
//! line numbers. A gzip stream that ends early, or any read error, stops that file where it broke and
//! is reported; the lines before it count. Memory is bounded: lines longer than [`MAX_LINE`] bytes
//! are malformed without being held, and at most `max_requests` distinct requests are kept (the
//! lines of new requests after that are counted, not kept).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::net::IpAddr;
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use crate::error::Error;
use crate::harness::event::Request;
use crate::model::DEFAULT_IP;
use crate::validate::cases::url_problem;

/// The default cap on distinct requests (about 300 MB of keys at 200 bytes a request).
pub const DEFAULT_MAX_REQUESTS: usize = 1_000_000;
/// A longer line is malformed (CloudFront refuses URLs over 8,192 bytes and headers over 20 KB).
pub const MAX_LINE: usize = 64 * 1024;
/// How many malformed lines are kept to show.
pub const SHOWN_MALFORMED: usize = 5;
/// Read buffer size.
const BUFFER: usize = 256 * 1024;

/// The format a log file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// A CloudFront standard access log (W3C extended, tab-separated).
    CloudFront,
    /// One `[METHOD] URL [IP]` per line.
    RequestList,
}

impl LogFormat {
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::CloudFront => "CloudFront standard log",
            LogFormat::RequestList => "request list",
        }
    }
}

/// A line that is not a request, or where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub file: String,
    /// 1-based.
    pub line: u64,
    pub reason: String,
}

/// One file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    pub name: String,
    /// `None` for a file with no request lines.
    pub format: Option<LogFormat>,
    pub gzip: bool,
    /// Request lines (not headers, comments or blank lines), malformed ones included.
    pub lines: u64,
}

/// A distinct request and how many log lines it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// `METHOD \t URL \t IP \t COOKIE`: the request's identity.
    pub key: Box<str>,
    pub count: u64,
}

impl Logged {
    /// The harness request this line stands for.
    pub fn request(&self) -> Request {
        let mut parts = self.key.split('\t');
        let mut next = || parts.next().unwrap_or_default().to_owned();
        let (method, url, ip, cookie) = (next(), next(), next(), next());
        let headers = if cookie.is_empty() {
            Vec::new()
        } else {
            vec![("cookie".to_owned(), cookie)]
        };
        Request {
            url,
            method,
            ip,
            headers,
            cookies: Vec::new(),
        }
    }

    /// `GET https://host/path from 192.0.2.1`, for reports.
    pub fn describe(&self) -> String {
        let mut parts = self.key.split('\t');
        let method = parts.next().unwrap_or_default();
        let url = parts.next().unwrap_or_default();
        let ip = parts.next().unwrap_or_default();
        let cookie = parts.next().unwrap_or_default();
        let mut out = format!("{method} {url} from {ip}");
        if !cookie.is_empty() {
            out.push_str(" with cookie ");
            out.push_str(cookie);
        }
        out
    }
}

/// Everything read from the logs.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    pub files: Vec<FileRead>,
    /// Request lines read, malformed ones included.
    pub lines: u64,
    pub malformed: u64,
    /// The first [`SHOWN_MALFORMED`] malformed lines.
    pub first_malformed: Vec<LineProblem>,
    /// Files that stopped early: where, and why (a truncated gzip stream, a read error).
    pub stopped: Vec<LineProblem>,
    /// Where the cap on distinct requests was reached, if it was.
    pub cap_reached: Option<LineProblem>,
    /// Lines of requests first seen after the cap: counted, not replayed.
    pub over_cap: u64,
    /// The distinct requests, in order of first appearance.
    pub distinct: Vec<Logged>,
}

impl Requests {
    /// Lines whose request is replayed: the sum of the distinct requests' counts.
    pub fn replayed_lines(&self) -> u64 {
        self.lines - self.malformed - self.over_cap
    }
}

/// Reads logs one after another into one set of distinct requests.
pub struct Reader {
    max_requests: usize,
    index: HashMap<Box<str>, usize>,
    counts: Vec<u64>,
    out: Requests,
    /// Reused per line.
    key: String,
}

/// The columns of a `#Fields:` header that a request is built from.
#[derive(Debug, Clone)]
struct Columns {
    count: usize,
    host: usize,
    stem: usize,
    query: Option<usize>,
    ip: Option<usize>,
    method: Option<usize>,
    cookie: Option<usize>,
}

/// Where a file's reading is.
struct FileState<'a> {
    name: &'a str,
    format: Option<LogFormat>,
    columns: Option<Columns>,
    line: u64,
}

enum Line {
    Eof,
    Text,
    TooLong,
}

impl Reader {
    pub fn new(max_requests: usize) -> Reader {
        Reader {
            max_requests: max_requests.max(1),
            index: HashMap::new(),
            counts: Vec::new(),
            out: Requests::default(),
            key: String::new(),
        }
    }

    /// Reads the file at `path`; an unreadable file is an error, a truncated one a [`LineProblem`].
    pub fn read_path(&mut self, path: &Path) -> Result<(), Error> {
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        self.read(&path.display().to_string(), file)
    }

    /// Reads one log, plain or gzip, named `name` in reports.
    pub fn read(&mut self, name: &str, input: impl Read) -> Result<(), Error> {
        let mut raw = BufReader::with_capacity(BUFFER, input);
        let gzip = match raw.fill_buf() {
            Ok(head) => head.starts_with(&[0x1f, 0x8b]),
            Err(e) => {
                self.out.files.push(FileRead {
                    name: name.to_owned(),
                    format: None,
                    gzip: false,
                    lines: 0,
                });
                self.stop(name, 1, &e);
                return Ok(());
            }
        };
        let before = self.out.lines;
        let mut state = FileState {
            name,
            format: None,
            columns: None,
            line: 0,
        };
        let result = if gzip {
            let mut decoded = BufReader::with_capacity(BUFFER, MultiGzDecoder::new(raw));
            self.read_lines(&mut decoded, &mut state)
        } else {
            self.read_lines(&mut raw, &mut state)
        };
        self.out.files.push(FileRead {
            name: name.to_owned(),
            format: state.format,
            gzip,
            lines: self.out.lines - before,
        });
        result
    }

    /// The requests read so far.
    pub fn finish(mut self) -> Requests {
        let mut keys: Vec<(usize, Box<str>)> =
            self.index.into_iter().map(|(key, i)| (i, key)).collect();
        keys.sort_unstable_by_key(|(i, _)| *i);
        self.out.distinct = keys
            .into_iter()
            .map(|(i, key)| Logged {
                key,
                count: self.counts[i],
            })
            .collect();
        self.out
    }

    fn read_lines(
        &mut self,
        input: &mut impl BufRead,
        state: &mut FileState<'_>,
    ) -> Result<(), Error> {
        let mut buf = Vec::with_capacity(1024);
        loop {
            buf.clear();
            let line = match next_line(input, &mut buf) {
                Ok(line) => line,
                Err(e) => {
                    self.stop(state.name, state.line + 1, &e);
                    return Ok(());
                }
            };
            state.line += 1;
            match line {
                Line::Eof => return Ok(()),
                Line::TooLong => {
                    self.out.lines += 1;
                    let reason = format!("longer than {MAX_LINE} bytes");
                    self.malformed(state, reason);
                }
                Line::Text => {
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                    match std::str::from_utf8(&buf) {
                        Ok(text) => self.line(text, state)?,
                        Err(_) => {
                            self.out.lines += 1;
                            self.malformed(state, "not UTF-8 text".to_owned());
                        }
                    }
                }
            }
        }
    }

    /// One line of text: a header, a comment, a request or a malformed line.
    fn line(&mut self, text: &str, state: &mut FileState<'_>) -> Result<(), Error> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let format = *state.format.get_or_insert_with(|| {
            if text.starts_with("#Version:") || text.starts_with("#Fields:") {
                LogFormat::CloudFront
            } else {
                LogFormat::RequestList
            }
        });
        if let Some(fields) = text.strip_prefix("#Fields:")
            && format == LogFormat::CloudFront
        {
            state.columns =
                Some(columns(fields).map_err(|why| {
                    Error::Usage(format!("{}:{}: {why}", state.name, state.line))
                })?);
            return Ok(());
        }
        if text.starts_with('#') {
            return Ok(());
        }
        self.out.lines += 1;
        self.key.clear();
        let parsed = match (format, &state.columns) {
            (LogFormat::RequestList, _) => list_key(text, &mut self.key),
            (LogFormat::CloudFront, Some(columns)) => log_key(text, columns, &mut self.key),
            (LogFormat::CloudFront, None) => {
                Err("a log line before any #Fields: header".to_owned())
            }
        };
        match parsed {
            Ok(()) => self.count(state),
            Err(reason) => self.malformed(state, reason),
        }
        Ok(())
    }

    /// Counts the request in `self.key`.
    fn count(&mut self, state: &FileState<'_>) {
        if let Some(&i) = self.index.get(self.key.as_str()) {
            self.counts[i] += 1;
            return;
        }
        if self.index.len() >= self.max_requests {
            self.out.over_cap += 1;
            if self.out.cap_reached.is_none() {
                self.out.cap_reached = Some(LineProblem {
                    file: state.name.to_owned(),
                    line: state.line,
                    reason: format!(
                        "the cap of {} distinct requests was reached: the lines of requests first seen from here on are counted, not replayed",
                        self.max_requests
                    ),
                });
            }
            return;
        }
        self.index
            .insert(self.key.as_str().into(), self.counts.len());
        self.counts.push(1);
    }

    fn malformed(&mut self, state: &FileState<'_>, reason: String) {
        self.out.malformed += 1;
        if self.out.first_malformed.len() < SHOWN_MALFORMED {
            self.out.first_malformed.push(LineProblem {
                file: state.name.to_owned(),
                line: state.line,
                reason,
            });
        }
    }

    fn stop(&mut self, name: &str, line: u64, error: &std::io::Error) {
        let reason = match error.kind() {
            ErrorKind::UnexpectedEof => {
                format!(
                    "the gzip stream ends early (truncated?): {error}; the lines before it were read"
                )
            }
            _ => format!("reading stopped: {error}; the lines before it were read"),
        };
        self.out.stopped.push(LineProblem {
            file: name.to_owned(),
            line,
            reason,
        });
    }
}

/// The next line into `buf`, without its `\n`; a line longer than [`MAX_LINE`] is skipped unheld.
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = match input.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong,
                (true, false) => Line::Text,
            });
        }
        any = true;
        let newline = memchr::memchr(b'\n', available);
        let end = newline.unwrap_or(available.len());
        if !too_long {
            if buf.len() + end > MAX_LINE {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&available[..end]);
            }
        }
        match newline {
            Some(at) => {
                input.consume(at + 1);
                return Ok(if too_long { Line::TooLong } else { Line::Text });
            }
            None => {
                let len = available.len();
                input.consume(len);
            }
        }
    }
}

/// The columns of a `#Fields:` header (space-separated names).
fn columns(fields: &str) -> Result<Columns, String> {
    let names: Vec<&str> = fields.split_whitespace().collect();
    let find = |name: &str| names.iter().position(|n| *n == name);
    let need = |name: &str, what: &str| {
        find(name)
            .ok_or_else(|| format!("the #Fields: header has no `{name}` ({what}); replay needs it"))
    };
    Ok(Columns {
        count: names.len(),
        host: need("x-host-header", "the Host the viewer sent")?,
        stem: need("cs-uri-stem", "the path")?,
        query: find("cs-uri-query"),
        ip: find("c-ip"),
        method: find("cs-method"),
        cookie: find("cs(Cookie)"),
    })
}

/// A W3C field: `-` is empty.
fn field(value: &str) -> &str {
    if value == "-" { "" } else { value }
}

/// A CloudFront log line into `key`.
fn log_key(text: &str, columns: &Columns, key: &mut String) -> Result<(), String> {
    let mut values: [&str; 6] = [""; 6];
    let wanted = [
        Some(columns.host),
        Some(columns.stem),
        columns.query,
        columns.ip,
        columns.method,
        columns.cookie,
    ];
    let mut count = 0;
    for (i, value) in text.split('\t').enumerate() {
        count += 1;
        for (slot, column) in values.iter_mut().zip(wanted) {
            if column == Some(i) {
                *slot = field(value);
            }
        }
    }
    if count != columns.count {
        return Err(format!(
            "{count} tab-separated fields; the #Fields: header names {}",
            columns.count
        ));
    }
    let [host, stem, query, ip, method, cookie] = values;
    if host.is_empty() {
        return Err("no x-host-header (the Host the viewer sent)".to_owned());
    }
    if !stem.starts_with('/') {
        return Err(format!("cs-uri-stem `{stem}` does not start with /"));
    }
    let method = if method.is_empty() { "GET" } else { method };
    let ip = if ip.is_empty() { DEFAULT_IP } else { ip };
    check_method(method)?;
    check_ip(ip)?;
    key.push_str(method);
    key.push('\t');
    let url_start = key.len();
    key.push_str("https://");
    key.push_str(host);
    key.push_str(stem);
    if !query.is_empty() {
        key.push('?');
        key.push_str(query);
    }
    check_url(&key[url_start..])?;
    key.push('\t');
    key.push_str(ip);
    key.push('\t');
    if cookie.contains('\t') {
        return Err("a tab in cs(Cookie)".to_owned());
    }
    key.push_str(cookie);
    Ok(())
}

/// A `[METHOD] URL [IP]` line into `key`.
fn list_key(text: &str, key: &mut String) -> Result<(), String> {
    let words: Vec<&str> = text.split_ascii_whitespace().take(4).collect();
    let (method, url, ip) = match words.as_slice() {
        [url] => ("GET", *url, DEFAULT_IP),
        [first, second] if first.contains("://") => ("GET", *first, *second),
        [method, url] => (*method, *url, DEFAULT_IP),
        [method, url, ip] => (*method, *url, *ip),
        _ => {
            return Err(format!(
                "{} words; a request line is `[METHOD] URL [IP]`",
                text.split_ascii_whitespace().count()
            ));
        }
    };
    check_method(method)?;
    check_url(url)?;
    check_ip(ip)?;
    for (i, part) in [method, url, ip].into_iter().enumerate() {
        if i > 0 {
            key.push('\t');
        }
        key.push_str(part);
    }
    key.push('\t');
    Ok(())
}

fn check_method(method: &str) -> Result<(), String> {
    if !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("`{method}` is not a method (GET, HEAD, POST, …)"))
    }
}

fn check_ip(ip: &str) -> Result<(), String> {
    match ip.parse::<IpAddr>() {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("`{ip}` is not an IP address")),
    }
}

fn check_url(url: &str) -> Result<(), String> {
    match url_problem(url) {
        None => Ok(()),
        Some(problem) => Err(format!("`{url}`: {}", problem.message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], max: usize) -> Requests {
        let mut reader = Reader::new(max);
        reader.read("log", text).unwrap();
        reader.finish()
    }

    const FIELDS: &str = "#Version: 1.0\n#Fields: date time c-ip cs-method cs(Host) cs-uri-stem sc-status cs-uri-query cs(Cookie) x-host-header\n";

    #[test]
    fn cloudfront_lines_follow_the_header_and_dedupe() {
        let log = format!(
            "{FIELDS}2026-01-01\t00:00:01\t192.0.2.1\tGET\td1.cloudfront.net\t/a\t200\t-\t-\tpr-1.example.com\n\
             2026-01-01\t00:00:02\t192.0.2.1\tGET\td1.cloudfront.net\t/a\t200\t-\t-\tpr-1.example.com\n\
             2026-01-01\t00:00:03\t192.0.2.2\tHEAD\td1.cloudfront.net\t/b\t200\tx=1\tsid=7\tpr-1.example.com\n\
             #Fields: x-host-header cs-uri-stem c-ip\n\
             pr-2.example.com\t/c\t2001:db8::1\n"
        );
        let requests = read(log.as_bytes(), 100);
        assert_eq!((requests.lines, requests.malformed), (4, 0));
        let keys: Vec<(&str, u64)> = requests
            .distinct
            .iter()
            .map(|l| (&*l.key, l.count))
            .collect();
        assert_eq!(
            keys,
            [
                ("GET\thttps://pr-1.example.com/a\t192.0.2.1\t", 2),
                ("HEAD\thttps://pr-1.example.com/b?x=1\t192.0.2.2\tsid=7", 1),
                ("GET\thttps://pr-2.example.com/c\t2001:db8::1\t", 1),
            ]
        );
        let request = requests.distinct[1].request();
        assert_eq!(request.headers, [("cookie".to_owned(), "sid=7".to_owned())]);
        assert_eq!(requests.files[0].format, Some(LogFormat::CloudFront));
    }

    #[test]
    fn request_lists_take_method_and_ip_as_given() {
        let list = b"# a comment\n\nhttps://h/a\nPOST https://h/a\nhttps://h/a 192.0.2.9\nPUT https://h/b 2001:db8::2\r\nhttps://h/a\n";
        let requests = read(list, 100);
        let keys: Vec<(&str, u64)> = requests
            .distinct
            .iter()
            .map(|l| (&*l.key, l.count))
            .collect();
        assert_eq!(
            keys,
            [
                ("GET\thttps://h/a\t198.51.100.10\t", 2),
                ("POST\thttps://h/a\t198.51.100.10\t", 1),
                ("GET\thttps://h/a\t192.0.2.9\t", 1),
                ("PUT\thttps://h/b\t2001:db8::2\t", 1),
            ]
        );
        assert_eq!(requests.files[0].format, Some(LogFormat::RequestList));
    }

    #[test]
    fn malformed_lines_are_counted_with_their_numbers() {
        let list = b"https://h/a\nget https://h/a\nhttps://h/a not-an-ip\nftp:/x\nGET https://h/a 192.0.2.1 extra\nhttps://h/a b\xff\n";
        let requests = read(list, 100);
        assert_eq!((requests.lines, requests.malformed), (6, 5));
        let lines: Vec<u64> = requests.first_malformed.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6]);
        assert_eq!(
            requests.first_malformed[0].reason,
            "`get` is not a method (GET, HEAD, POST, …)"
        );
        assert_eq!(requests.first_malformed[4].reason, "not UTF-8 text");
        let log = format!("{FIELDS}a\tb\n1\t2\t192.0.2.1\tGET\td\t/a\t200\t-\t-\t-\n");
        let requests = read(log.as_bytes(), 100);
        let reasons: Vec<(u64, &str)> = requests
            .first_malformed
            .iter()
            .map(|p| (p.line, p.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (3, "2 tab-separated fields; the #Fields: header names 10"),
                (4, "no x-host-header (the Host the viewer sent)")
            ]
        );
    }

    #[test]
    fn long_lines_are_malformed_without_being_held() {
        let mut text = b"https://h/a\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE * 3));
        text.extend_from_slice(b"\nhttps://h/b");
        let requests = read(&text, 100);
        assert_eq!((requests.lines, requests.malformed), (3, 1));
        assert_eq!(requests.first_malformed[0].line, 2);
        assert_eq!(requests.distinct.len(), 2, "the last line needs no newline");
    }

    #[test]
    fn the_cap_keeps_counting_known_requests() {
        let requests = read(b"https://h/a\nhttps://h/b\nhttps://h/a\nhttps://h/c\n", 1);
        assert_eq!(requests.distinct.len(), 1);
        assert_eq!(requests.distinct[0].count, 2);
        assert_eq!(requests.over_cap, 2);
        assert_eq!(requests.cap_reached.as_ref().map(|p| p.line), Some(2));
        assert_eq!(requests.replayed_lines(), 2);
    }

    #[test]
    fn a_missing_column_stops_with_its_line() {
        let mut reader = Reader::new(10);
        let error = reader
            .read("log", &b"#Version: 1.0\n#Fields: date cs-uri-stem\n"[..])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "log:2: the #Fields: header has no `x-host-header` (the Host the viewer sent); replay needs it"
        );
    }

    #[test]
    fn gzip_is_detected_and_a_truncated_stream_says_where() {
        use flate2::Compression;
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!("https://h/{i}\n"));
        }
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        let gz = encoder.finish().unwrap();
        let whole = read(&gz, 10_000);
        assert_eq!((whole.lines, whole.distinct.len()), (2000, 2000));
        assert!(whole.files[0].gzip && whole.stopped.is_empty());
        let cut = read(&gz[..gz.len() / 2], 10_000);
        assert_eq!(cut.stopped.len(), 1, "{cut:?}");
        let stop = &cut.stopped[0];
        assert!(stop.line > 1 && stop.line <= 2000, "{stop:?}");
        assert_eq!(
            cut.lines,
            stop.line - 1,
            "every line before the stop counts"
        );
        assert!(
            stop.reason.starts_with("the gzip stream ends early"),
            "{stop:?}"
        );
    }
}
