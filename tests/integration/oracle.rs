//! Real nginx as a test oracle (nginx-semantics.md §13): private instances, raw HTTP, and a folder
//! that holds exactly the files the `extension` files model says exist.
//!
//! Each instance runs in the foreground (`daemon off; master_process off`) as a child of the test,
//! on 127.0.0.1 and a free port, from its own temporary folder, and is killed by its pid when
//! dropped; nothing is installed or started as a service. Its error log is at `debug` level: that
//! log names every path nginx tests (`trying to use file|dir`, `open index`, `http filename`), and
//! [`Nginx::ask`] reads the lines each request wrote.
//!
//! The files model is infinite ("a file exists when its last segment has a `.`"), so the folder
//! grows as nginx asks: after each request every path nginx tested that the model says exists is
//! created (a file holding its own path, for the body to name the file served), and the caller
//! repeats its requests until a round creates nothing. Folders are the one thing a disk cannot
//! model: a folder exists as soon as a file below it does, where the model says a directory exists
//! only when the viewer asked for it; requests where nginx saw such a folder are flagged
//! (`Answer::folder`), the documented files-model deviation.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where an outside program is, or `None` with a loud SKIPPED line; under `EDGEROUTE_CI=1` a
/// missing program fails the test instead.
pub fn require_tool(program: &str, what: &str) -> Option<PathBuf> {
    let found = find_program(program);
    if found.is_none() {
        if std::env::var("EDGEROUTE_CI").is_ok_and(|v| v == "1") {
            panic!("{program} is required in CI (EDGEROUTE_CI=1) for {what}; .ci/run installs it");
        }
        // Straight to stderr: libtest captures `eprintln!`, and a skip must show in every log.
        let line = format!(
            "\n**** SKIPPED: {what}: `{program}` is not installed (apt-get install nginx-light njs nodejs) ****\n"
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    found
}

/// `program` on the PATH, or in /usr/sbin (where Debian puts nginx).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// One request as nginx receives it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The Host header as written.
    pub host: String,
    /// Path and query, raw.
    pub target: String,
    /// The viewer's address, sent as `X-Forwarded-For` (the realip module makes it `$remote_addr`).
    pub ip: String,
    /// Other request headers, each sent as its own `Name: value` line.
    pub headers: Vec<(String, String)>,
    /// Cookies, sent as one `Cookie: a=1; b=2` header when there are any.
    pub cookies: Vec<(String, String)>,
}

/// What nginx answered, and what its log says it looked at.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
    /// `$args` when the answer was made (the `X-Edgeroute-Args` header).
    pub args: Option<String>,
    /// The last file the static module opened or looked for, relative to the html folder.
    pub filename: Option<Vec<u8>>,
    /// nginx saw a folder the files model says does not exist (a trailing-slash redirect, or a
    /// `$uri/` candidate that exists on disk only because files lie below it).
    pub folder: bool,
    /// A path the model says exists could not be created (a file where a folder must be, or
    /// outside the html folder): this request cannot be compared.
    pub conflict: bool,
    /// Paths created because of this request (the caller repeats the round when any were).
    pub created: usize,
}

/// A running private nginx.
pub struct Nginx {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    conn: Option<BufReader<TcpStream>>,
    log_pos: u64,
}

impl Nginx {
    /// A new folder and a free port; `servers` renders the server blocks for a listen address and
    /// the html folder (the root prefix). nginx starts and accepts connections before this returns.
    pub fn start(binary: &Path, servers: impl Fn(&str, &str) -> String) -> Result<Nginx, String> {
        let mut last_error = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let port = free_port()?;
            match launch(binary, dir, port, &servers) {
                Ok(nginx) => return Ok(nginx),
                Err(e) if e.contains("Address already in use") => last_error = e,
                Err(e) => return Err(e),
            }
        }
        Err(last_error)
    }

    /// The folder nginx serves from (every root and alias is under it).
    pub fn html(&self) -> PathBuf {
        self.dir.path().join("html")
    }

    /// Creates the file at `relative` (under the html folder) when the files model says it exists;
    /// used to start from the keys the function passes on, so fewer rounds are needed.
    pub fn seed(&self, relative: &[u8]) {
        if has_dot_in_last_segment(relative) {
            let html = self.html().as_os_str().as_bytes().to_vec();
            let path = [html.as_slice(), relative].concat();
            self.ensure_file(&path, &html, &mut Answer::default());
        }
    }

    /// Sends one request on the kept-alive connection (reconnecting when nginx closed it), reads the
    /// answer and the log lines it wrote, and creates what the files model says exists.
    pub fn ask(&mut self, request: &HttpRequest) -> Result<Answer, String> {
        let mut text = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nX-Forwarded-For: {}\r\n",
            request.target, request.host, request.ip
        );
        for (name, value) in &request.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if !request.cookies.is_empty() {
            let pairs: Vec<String> = request
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            text.push_str(&format!("Cookie: {}\r\n", pairs.join("; ")));
        }
        text.push_str("\r\n");
        let mut answer = match self.exchange(text.as_bytes()) {
            Ok(answer) => answer,
            Err(_) => {
                self.conn = None;
                self.exchange(text.as_bytes())?
            }
        };
        let log = self.new_log()?;
        self.apply_files_model(&log, &mut answer);
        Ok(answer)
    }

    fn exchange(&mut self, request: &[u8]) -> Result<Answer, String> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self.conn.as_mut().expect("connected");
        conn.get_mut()
            .write_all(request)
            .map_err(|e| e.to_string())?;
        let (answer, close) = read_response(conn)?;
        if close {
            self.conn = None;
        }
        Ok(answer)
    }

    /// The log written since the last call.
    fn new_log(&mut self) -> Result<Vec<u8>, String> {
        let path = self.dir.path().join("logs/error.log");
        let mut file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(self.log_pos))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        file.read_to_end(&mut out).map_err(|e| e.to_string())?;
        self.log_pos += out.len() as u64;
        Ok(out)
    }

    /// Walks the request's log lines, tracking `$uri`, and makes the disk agree with the model for
    /// every path nginx tested.
    fn apply_files_model(&self, log: &[u8], answer: &mut Answer) {
        let html = self.html();
        let html_bytes = html.as_os_str().as_bytes().to_vec();
        let mut uri: Vec<u8> = Vec::new();
        for line in log.split(|&b| b == b'\n') {
            if let Some(v) = after(line, b"http uri: \"") {
                uri = until_last_quote(v).to_vec();
            } else if let Some(v) = after(line, b"rewritten data: \"") {
                uri = until(v, b"\", args: \"").to_vec();
            } else if let Some(v) = after(line, b"internal redirect: \"") {
                let v = until_last_quote(v);
                let end = v.iter().rposition(|&b| b == b'?').unwrap_or(v.len());
                uri = v[..end].to_vec();
            } else if let Some(v) = after(line, b"try file uri: \"") {
                uri = until_last_quote(v).to_vec();
            } else if let Some(v) = after(line, b"trying to use file: \"") {
                let (candidate, path) = split_pair(v, &html_bytes);
                if has_dot_in_last_segment(candidate) {
                    self.ensure_file(path, &html_bytes, answer);
                }
            } else if let Some(v) = after(line, b"trying to use dir: \"") {
                // nginx logs a directory candidate without its trailing `/`.
                let (candidate, path) = split_pair(v, &html_bytes);
                let written = [candidate, b"/"].concat();
                let exists = merge_slashes(&written) == merge_slashes(&uri);
                let on_disk = Path::new(std::ffi::OsStr::from_bytes(path)).is_dir();
                if exists && !on_disk {
                    self.ensure_dir(path, &html_bytes, answer);
                } else if !exists && on_disk {
                    answer.folder = true;
                }
            } else if let Some(v) = after(line, b"open index \"") {
                self.ensure_file(until_last_quote(v), &html_bytes, answer);
            } else if let Some(v) = after(line, b"http filename: \"") {
                let path = until_last_quote(v);
                answer.filename = path.strip_prefix(html_bytes.as_slice()).map(merge_slashes);
                if has_dot_in_last_segment(path) {
                    self.ensure_file(path, &html_bytes, answer);
                }
            } else if line.ends_with(b"http dir") {
                answer.folder = true;
            }
        }
    }

    /// The path relative to the html folder and its place on disk; `None` outside the folder.
    fn on_disk(&self, path: &[u8], html: &[u8]) -> Option<(Vec<u8>, PathBuf)> {
        let relative = inside(path, html)?;
        let full = self
            .html()
            .join(std::ffi::OsStr::from_bytes(&relative[1..]));
        Some((relative, full))
    }

    /// Creates a file holding its own path (relative to the html folder, slashes merged).
    fn ensure_file(&self, path: &[u8], html: &[u8], answer: &mut Answer) {
        let Some((relative, full)) = self.on_disk(path, html) else {
            answer.conflict = true;
            return;
        };
        if full.is_file() {
            return;
        }
        if full.exists() || !make_parents(&full) {
            answer.conflict = true;
            return;
        }
        match std::fs::write(&full, &relative) {
            Ok(()) => answer.created += 1,
            Err(_) => answer.conflict = true,
        }
    }

    fn ensure_dir(&self, path: &[u8], html: &[u8], answer: &mut Answer) {
        let Some((_, full)) = self.on_disk(path, html) else {
            answer.conflict = true;
            return;
        };
        match std::fs::create_dir_all(&full) {
            Ok(()) => answer.created += 1,
            Err(_) => answer.conflict = true,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.conn = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `path` relative to `html` (starting with `/`), slashes merged and `.`/`..` resolved; `None`
/// when it is outside.
fn inside(path: &[u8], html: &[u8]) -> Option<Vec<u8>> {
    let rest = path.strip_prefix(html)?;
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in rest.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop()?;
            }
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for s in segments {
        out.push(b'/');
        out.extend_from_slice(s);
    }
    Some(out)
}

/// Creates the folders above `file`; false when a file stands where a folder must be.
fn make_parents(file: &Path) -> bool {
    file.parent()
        .is_some_and(|p| std::fs::create_dir_all(p).is_ok())
}

pub fn has_dot_in_last_segment(path: &[u8]) -> bool {
    let last = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
    last.contains(&b'.')
}

pub fn merge_slashes(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for &b in path {
        if !(b == b'/' && out.last() == Some(&b'/')) {
            out.push(b);
        }
    }
    out
}

fn after<'a>(line: &'a [u8], marker: &[u8]) -> Option<&'a [u8]> {
    let at = line.windows(marker.len()).position(|w| w == marker)?;
    Some(&line[at + marker.len()..])
}

fn until<'a>(text: &'a [u8], marker: &[u8]) -> &'a [u8] {
    match text.windows(marker.len()).position(|w| w == marker) {
        Some(at) => &text[..at],
        None => until_last_quote(text),
    }
}

fn until_last_quote(text: &[u8]) -> &[u8] {
    let end = text.iter().rposition(|&b| b == b'"').unwrap_or(text.len());
    &text[..end]
}

/// `C" "P"` where P starts with the html folder: the candidate and the path.
fn split_pair<'a>(text: &'a [u8], html: &[u8]) -> (&'a [u8], &'a [u8]) {
    let mut marker = b"\" \"".to_vec();
    marker.extend_from_slice(html);
    match text
        .windows(marker.len())
        .position(|w| w == marker.as_slice())
    {
        Some(at) => (&text[..at], until_last_quote(&text[at + 3..])),
        None => (until_last_quote(text), b""),
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn launch(
    binary: &Path,
    dir: tempfile::TempDir,
    port: u16,
    servers: &impl Fn(&str, &str) -> String,
) -> Result<Nginx, String> {
    let d = dir.path();
    for sub in ["logs", "html", "tmp"] {
        std::fs::create_dir_all(d.join(sub)).map_err(|e| e.to_string())?;
    }
    let html = d.join("html");
    let listen = format!("127.0.0.1:{port}");
    std::fs::write(
        d.join("servers.conf"),
        servers(&listen, &html.display().to_string()),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(d.join("nginx.conf"), main_conf(d)).map_err(|e| e.to_string())?;
    let startup_log = d.join("logs/startup.log");
    let child = Command::new(binary)
        .arg("-p")
        .arg(d)
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .arg("-e")
        .arg(&startup_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start nginx: {e}"))?;
    let mut nginx = Nginx {
        dir,
        port,
        child,
        conn: None,
        log_pos: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = nginx.child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut e) = nginx.child.stderr.take() {
                let _ = e.read_to_string(&mut stderr);
            }
            let log = std::fs::read_to_string(&startup_log).unwrap_or_default();
            let conf =
                std::fs::read_to_string(nginx.dir.path().join("servers.conf")).unwrap_or_default();
            return Err(format!(
                "nginx exited ({status}): {stderr}{log}\n--- servers.conf ---\n{conf}"
            ));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            nginx.log_pos = std::fs::metadata(nginx.dir.path().join("logs/error.log"))
                .map(|m| m.len())
                .unwrap_or(0);
            return Ok(nginx);
        }
        if Instant::now() > deadline {
            return Err("nginx did not start listening within 10 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// nginx.conf around the exported servers (nginx-semantics.md §13).
fn main_conf(d: &Path) -> String {
    let d = d.display();
    format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log debug;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   client_body_temp_path {d}/tmp/body;\n\
         \x20   proxy_temp_path {d}/tmp/proxy;\n\
         \x20   fastcgi_temp_path {d}/tmp/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/tmp/uwsgi;\n\
         \x20   scgi_temp_path {d}/tmp/scgi;\n\
         \x20   default_type text/plain;\n\
         \x20   port_in_redirect off;\n\
         \x20   server_names_hash_bucket_size 256;\n\
         \x20   server_names_hash_max_size 4096;\n\
         \x20   set_real_ip_from 127.0.0.1;\n\
         \x20   real_ip_header X-Forwarded-For;\n\
         \x20   add_header X-Edgeroute-Args $args always;\n\
         \x20   include {d}/servers.conf;\n\
         }}\n"
    )
}

/// One HTTP/1.1 response; whether the connection is closed after it.
fn read_response(conn: &mut BufReader<TcpStream>) -> Result<(Answer, bool), String> {
    let mut line = Vec::new();
    conn.read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    if line.is_empty() {
        return Err("connection closed".to_owned());
    }
    let status_line = String::from_utf8_lossy(&line);
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut answer = Answer {
        status,
        ..Answer::default()
    };
    let (mut length, mut chunked, mut close) = (None, false, false);
    loop {
        line.clear();
        conn.read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            "location" => answer.location = Some(value),
            "x-edgeroute-args" => answer.args = Some(value),
            _ => {}
        }
    }
    if chunked {
        loop {
            line.clear();
            conn.read_until(b'\n', &mut line)
                .map_err(|e| e.to_string())?;
            let size = String::from_utf8_lossy(&line);
            let size = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
            answer.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = length {
        answer.body = vec![0; length];
        conn.read_exact(&mut answer.body)
            .map_err(|e| e.to_string())?;
    } else {
        conn.read_to_end(&mut answer.body)
            .map_err(|e| e.to_string())?;
        close = true;
    }
    Ok((answer, close))
}
