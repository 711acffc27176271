//! `edgeroute replay` throughput and memory (docs/performance.md "Replay").
//!
//! A plain `std::time::Instant` benchmark (`harness = false`): it prints figures, it asserts no timing.
//! Run it with `cargo bench --bench replay`.
//!
//! 1. Memory: a 1 GiB CloudFront standard log of 33 fields a line, generated as it is read (never
//!    held whole), with more distinct requests than the cap: the process's peak memory (`VmHWM`).
//! 2. Reading: a log of 1,000,000 lines held in memory, parsed and deduplicated by `Reader`: log
//!    lines per second, plain and gzip (only the reading is timed, not the generating).
//! 3. Routing: distinct requests for the bundled example (`fixtures/ok/monorepo-previews.yaml`)
//!    through the uploaded bytes in boa with `route_all`: one thread, then one per core.
//!
//! Wall time and the process's CPU time are both printed, with the load average: on a machine
//! shared with other work, threads get less than a core each, and CPU time shows what each costs.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench program prints its figures

mod common;

use std::io::{Read, Write};
use std::time::Instant;

use edgeroute::review::replay::{self, Options, Reader};

const EXAMPLE: &str = "fixtures/ok/monorepo-previews.yaml";
/// Lines of the timed reading runs.
const READ_LINES: u64 = 1_000_000;
/// Bytes of the memory run.
const BIG_LOG: u64 = 1 << 30;
/// The memory run's cap on distinct requests (the log has more).
const BIG_CAP: usize = 500_000;
/// Distinct requests of the routing runs.
const ROUTE_REQUESTS: usize = 40_000;
const TARGET_LINES_PER_SECOND: f64 = 300_000.0;
const TARGET_REQUESTS_PER_SECOND: f64 = 50_000.0;

const FIELDS: &str = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n";

const PATHS: &[&str] = &[
    "/",
    "/assets/app.js",
    "/assets/app.css",
    "/assets/logo.svg",
    "/app2/",
    "/app2/settings/profile",
    "/app2/assets/chunk-1.js",
    "/app2",
    "/dashboard/42",
    "/reports",
    "/app4/orders",
    "/app4/assets/vendor.js",
];

/// A CloudFront log generated line by line as it is read. `pool` bounds the distinct requests: line
/// `i` is request `hash(i) % pool` (preview, group, path, viewer and query from its digits).
struct SyntheticLog {
    lines: u64,
    max_bytes: u64,
    pool: u64,
    written: u64,
    produced: u64,
    pending: Vec<u8>,
    at: usize,
}

impl SyntheticLog {
    fn new(lines: u64, max_bytes: u64, pool: u64) -> SyntheticLog {
        SyntheticLog {
            lines,
            max_bytes,
            pool,
            written: 0,
            produced: 0,
            pending: FIELDS.as_bytes().to_vec(),
            at: 0,
        }
    }

    fn next_line(&mut self) {
        let i = self.produced;
        self.produced += 1;
        let r = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % self.pool;
        let path = PATHS[(r % PATHS.len() as u64) as usize];
        let rest = r / PATHS.len() as u64;
        let preview = rest % 400;
        let group = if rest.is_multiple_of(3) {
            "group2"
        } else {
            "group1"
        };
        let viewer = (rest / 400) % 250;
        let query = if rest.is_multiple_of(5) { "v=3" } else { "-" };
        self.pending.clear();
        self.at = 0;
        let _ = writeln!(
            self.pending,
            "2026-12-01\t09:{:02}:{:02}\tOSL50-P1\t1234\t192.0.2.{viewer}\tGET\td111111abcdef8.cloudfront.net\t{path}\t200\t-\tMozilla/5.0%20(X11;%20Linux%20x86_64)\t{query}\t-\tHit\treq{i:016x}\tpr-{preview}.{group}.example.com\thttps\t300\t0.002\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t51234\t0.002\tHit\ttext/html\t1000\t-\t-",
            (i / 60) % 60,
            i % 60
        );
    }
}

impl Read for SyntheticLog {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.at == self.pending.len() {
                if self.produced >= self.lines || self.written >= self.max_bytes {
                    break;
                }
                self.next_line();
            }
            let take = (buf.len() - n).min(self.pending.len() - self.at);
            buf[n..n + take].copy_from_slice(&self.pending[self.at..self.at + take]);
            self.at += take;
            n += take;
            self.written += take as u64;
        }
        Ok(n)
    }
}

fn main() {
    let cores = edgeroute::harness::parallel::threads();
    println!("machine: {cores} logical cores");
    memory();
    reading();
    routing(cores);
}

/// Peak resident memory of this process so far, from /proc (Linux); 0 elsewhere.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// This process's user and system CPU time, from /proc (Linux); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name, which is in parentheses
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, fields 14 and 15 of the line, in clock ticks (100 a second on Linux)
    (ticks(11) + ticks(12)) / 100.0
}

/// The one-minute load average, from /proc (Linux).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn memory() {
    println!(
        "\n1. memory: a {} MiB log with more distinct requests than the cap of {BIG_CAP}",
        BIG_LOG >> 20
    );
    let before = peak_rss_mb();
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut reader = Reader::new(BIG_CAP);
    reader
        .read("big.log", SyntheticLog::new(u64::MAX, BIG_LOG, 2_000_000))
        .expect("read");
    let requests = reader.finish();
    let (seconds, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "  {} lines generated and read in {seconds:.1} s ({cpu:.1} s CPU); {} distinct kept, {} lines over the cap (first at line {})",
        requests.lines,
        requests.distinct.len(),
        requests.over_cap,
        requests.cap_reached.as_ref().map_or(0, |p| p.line)
    );
    println!(
        "  peak resident memory: {before:.0} MB before, {:.0} MB after",
        peak_rss_mb()
    );
}

/// Reads `input` and prints lines per second of wall and of CPU time.
fn timed_read(label: &str, input: &[u8]) {
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut reader = Reader::new(replay::DEFAULT_MAX_REQUESTS);
    reader.read(label, input).expect("read");
    let requests = reader.finish();
    let (seconds, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    assert_eq!(requests.malformed, 0);
    let rate = requests.lines as f64 / seconds;
    println!(
        "  {label}: {} lines, {} distinct, {seconds:.2} s ({cpu:.2} s CPU): {rate:.0} lines/s, {:.0} per CPU second ({}; target {TARGET_LINES_PER_SECOND:.0}); load {}",
        requests.lines,
        requests.distinct.len(),
        requests.lines as f64 / cpu,
        common::verdict(rate >= TARGET_LINES_PER_SECOND),
        load_average()
    );
}

fn reading() {
    println!(
        "\n2. reading: a CloudFront log of {READ_LINES} lines held in memory, parsed and deduplicated"
    );
    for pool in [10_000u64, 200_000] {
        let mut plain = Vec::new();
        SyntheticLog::new(READ_LINES, u64::MAX, pool)
            .read_to_end(&mut plain)
            .expect("generate");
        timed_read(&format!("plain, {pool} request pool"), &plain);
        if pool == 200_000 {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&plain).expect("gzip");
            let gz = encoder.finish().expect("gzip");
            let label = format!(
                "gzip ({:.0} MB of {:.0} MB), {pool} request pool",
                gz.len() as f64 / 1e6,
                plain.len() as f64 / 1e6
            );
            timed_read(&label, &gz);
        }
    }
}

fn routing(cores: usize) {
    println!(
        "\n3. routing: {ROUTE_REQUESTS} distinct requests through the uploaded bytes of {EXAMPLE} in boa"
    );
    let rules = common::load_file(EXAMPLE);
    let generated = common::generate(&rules);
    let mut reader = Reader::new(replay::DEFAULT_MAX_REQUESTS);
    // enough lines to draw nearly every request of the pool
    let pool = ROUTE_REQUESTS as u64;
    reader
        .read("routing.log", SyntheticLog::new(pool * 8, u64::MAX, pool))
        .expect("read");
    let requests = reader.finish();
    let distinct = &requests.distinct[..ROUTE_REQUESTS.min(requests.distinct.len())];
    let mut single = 0.0;
    for threads in [1, cores] {
        let options = Options {
            threads,
            ..Options::default()
        };
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let routed =
            replay::route_all(&generated.js, &generated.program, distinct, options).expect("route");
        let (seconds, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        let errors = routed.iter().filter(|r| r.error.is_some()).count();
        assert_eq!(errors, 0, "every request routes");
        let rate = routed.len() as f64 / seconds;
        if threads == 1 {
            single = rate;
        }
        println!(
            "  {threads} thread(s): {} requests in {seconds:.2} s ({cpu:.2} s CPU): {rate:.0} requests/s, {:.1}× one thread ({}; target {TARGET_REQUESTS_PER_SECOND:.0}); {:.0} per CPU second; load {}",
            routed.len(),
            rate / single,
            common::verdict(rate >= TARGET_REQUESTS_PER_SECOND),
            routed.len() as f64 / cpu,
            load_average()
        );
    }
}
