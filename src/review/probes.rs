//! Probe requests derived from rules: paths that exercise each location and its boundaries, and
//! strings a regex matches. `edgeroute diff` sends them through two rule versions; the differential
//! suite (tests/integration/) sends them, with its hostile extras, to real nginx and every engine.

use crate::model::{LocationKind, Regex};

/// A small deterministic generator (SplitMix64): the same seed gives the same probes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Up to `count` strings the regex matches (checked with an ECMAScript engine).
pub fn regex_samples(regex: &Regex, rng: &mut Rng, count: usize) -> Vec<String> {
    let Ok(compiled) = compile(regex) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for attempt in 0..(count * 8) {
        let sample = Sampler {
            src: regex.source.as_bytes(),
            pos: 0,
            rng,
            wide: attempt % 2 == 1,
        }
        .alternation();
        if compiled.find(&sample).is_some() && !out.contains(&sample) {
            out.push(sample);
            if out.len() == count {
                break;
            }
        }
    }
    out
}

pub fn matches(regex: &Regex, text: &str) -> bool {
    compile(regex).is_ok_and(|r| r.find(text).is_some())
}

fn compile(regex: &Regex) -> Result<regress::Regex, regress::Error> {
    regress::Regex::with_flags(&regex.source, if regex.caseless { "i" } else { "" })
}

pub fn location_paths(kind: &LocationKind, rng: &mut Rng) -> Vec<String> {
    match kind {
        LocationKind::Exact(p) => {
            let mut out = vec![
                encode(p),
                encode(&format!("{p}/")),
                encode(&format!("{p}x")),
            ];
            if p.to_ascii_uppercase() != *p {
                out.push(encode(&p.to_ascii_uppercase()));
            }
            out
        }
        LocationKind::Prefix { path, .. } if path == "/" => {
            ["/", "/a.js", "/deep/page", "/sub/", "/index.html"]
                .map(str::to_owned)
                .to_vec()
        }
        LocationKind::Prefix { path, .. } => {
            let p = path.as_str();
            let shorter = &p[..p.len() - 1];
            let mut out = vec![encode(p)];
            if p.ends_with('/') {
                out.extend([
                    format!("{p}a.js"),
                    format!("{p}deep/page"),
                    format!("{p}sub/"),
                    shorter.to_owned(),
                    format!("{shorter}x/y.css"),
                ]);
            } else {
                out.extend([
                    format!("{p}/a.css"),
                    format!("{p}/deep/page"),
                    format!("{p}foo"),
                    format!("{p}.js"),
                    format!("{shorter}/z.js"),
                ]);
            }
            out.into_iter()
                .filter(|s| !s.is_empty())
                .map(|s| encode(&s))
                .collect()
        }
        LocationKind::Regex(regex) => regex_paths(regex, rng),
    }
}

/// Samples that match (made into paths, checked again) and near misses that do not.
pub fn regex_paths(regex: &Regex, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    let mut misses = Vec::new();
    for sample in regex_samples(regex, rng, 3) {
        let path = if sample.starts_with('/') {
            sample
        } else {
            format!("/x/{sample}")
        };
        if !path_ok(&path) || !matches(regex, &path) {
            continue;
        }
        for miss in [
            format!("{path}x"),
            format!("{path}/"),
            path[..path.len() - 1].to_owned(),
            path.to_ascii_uppercase(),
        ] {
            if !miss.is_empty() && path_ok(&miss) && !matches(regex, &miss) {
                misses.push(encode(&miss));
                break;
            }
        }
        out.push(encode(&path));
    }
    out.extend(misses);
    out
}

/// A path whose normalized form is itself: no dot segment, no empty segment, no control chars.
pub fn path_ok(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && path.split('/').all(|s| s != "." && s != "..")
        && !path.chars().any(|c| c.is_control() || !c.is_ascii())
}

/// Percent-encodes what a request line cannot carry as is.
pub fn encode(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds one string the regex (ECMAScript source, the translated subset) may match.
struct Sampler<'a> {
    src: &'a [u8],
    pos: usize,
    rng: &'a mut Rng,
    /// Take more repetitions and later alternatives.
    wide: bool,
}

impl Sampler<'_> {
    fn alternation(&mut self) -> String {
        let mut branches = vec![self.sequence()];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            branches.push(self.sequence());
        }
        let i = self.rng.below(branches.len());
        branches.swap_remove(i)
    }

    fn sequence(&mut self) -> String {
        let mut out = String::new();
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' {
                break;
            }
            let atom = self.atom();
            let (min, max) = self.quantifier();
            let extra = if self.wide { 2 } else { 1 };
            let count = min + self.rng.below(max.min(min + extra) - min + 1);
            for _ in 0..count {
                out.push_str(&atom);
            }
        }
        out
    }

    fn atom(&mut self) -> String {
        let b = self.src[self.pos];
        self.pos += 1;
        match b {
            b'^' | b'$' => String::new(),
            b'.' => "a".to_owned(),
            b'(' => {
                let lookaround = self.src[self.pos..].starts_with(b"?=")
                    || self.src[self.pos..].starts_with(b"?!");
                if self.src[self.pos..].starts_with(b"?") {
                    self.pos += 2;
                }
                let inner = self.alternation();
                if self.peek() == Some(b')') {
                    self.pos += 1;
                }
                if lookaround { String::new() } else { inner }
            }
            b'[' => self.class(),
            b'\\' => self.escape(),
            _ => (b as char).to_string(),
        }
    }

    fn escape(&mut self) -> String {
        let Some(&b) = self.src.get(self.pos) else {
            return String::new();
        };
        self.pos += 1;
        match b {
            b'd' => (*self.rng.pick(&["1", "7", "42"])).to_owned(),
            b'w' => (*self.rng.pick(&["a", "z", "k9"])).to_owned(),
            b'D' | b'W' | b'S' => "-".to_owned(),
            b'b' | b'B' => String::new(),
            b't' => "\t".to_owned(),
            b'n' | b'r' | b'f' | b'v' => "\n".to_owned(),
            b'x' => {
                let hex = std::str::from_utf8(&self.src[self.pos..self.pos + 2]).unwrap_or("61");
                self.pos += 2;
                char::from(u8::from_str_radix(hex, 16).unwrap_or(b'a')).to_string()
            }
            _ => (b as char).to_string(),
        }
    }

    /// A class: a char from its ranges, or for `[^…]` a common char outside it.
    fn class(&mut self) -> String {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut ranges: Vec<(u8, u8)> = Vec::new();
        let mut first = true;
        while let Some(b) = self.peek() {
            if b == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if b == b'\\' {
                self.class_escape(&mut ranges)
            } else {
                Some(b)
            };
            let Some(lo) = lo else { continue };
            if self.peek() == Some(b'-') && self.src.get(self.pos + 1).is_some_and(|&n| n != b']') {
                self.pos += 1;
                let mut hi = self.src[self.pos];
                self.pos += 1;
                if hi == b'\\' {
                    hi = self.src.get(self.pos).copied().unwrap_or(lo);
                    self.pos += 1;
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        let inside = |c: u8| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        if negated {
            let pool = b"axk1Z_-q9";
            let start = self.rng.below(pool.len());
            return (0..pool.len())
                .map(|i| pool[(start + i) % pool.len()])
                .find(|&c| !inside(c))
                .map_or_else(String::new, |c| (c as char).to_string());
        }
        if ranges.is_empty() {
            return String::new();
        }
        let (lo, hi) = ranges[self.rng.below(ranges.len())];
        let c = lo + self.rng.below(usize::from(hi - lo) + 1).min(25) as u8;
        (c.min(hi) as char).to_string()
    }

    /// An escape inside a class: a single char, or ranges added for `\d`, `\w`.
    fn class_escape(&mut self, ranges: &mut Vec<(u8, u8)>) -> Option<u8> {
        let b = *self.src.get(self.pos)?;
        self.pos += 1;
        match b {
            b'd' => {
                ranges.push((b'0', b'9'));
                None
            }
            b'w' => {
                ranges.extend([(b'a', b'z'), (b'0', b'9'), (b'_', b'_')]);
                None
            }
            b'D' | b'W' | b'S' => {
                ranges.push((b'-', b'-'));
                None
            }
            b't' => Some(b'\t'),
            b'n' | b'r' | b'f' | b'v' => Some(b'\n'),
            b'x' => {
                let hex = std::str::from_utf8(self.src.get(self.pos..self.pos + 2)?).ok()?;
                self.pos += 2;
                u8::from_str_radix(hex, 16).ok()
            }
            _ => Some(b),
        }
    }

    /// `(min, max)` of a quantifier after an atom (a lazy `?` after it is skipped).
    fn quantifier(&mut self) -> (usize, usize) {
        let q = match self.peek() {
            Some(b'*') => (0, 3),
            Some(b'+') => (1, 3),
            Some(b'?') => (0, 1),
            Some(b'{') => {
                let end = self.src[self.pos..].iter().position(|&b| b == b'}');
                let Some(end) = end else { return (1, 1) };
                let body =
                    std::str::from_utf8(&self.src[self.pos + 1..self.pos + end]).unwrap_or("");
                let (lo, hi) = match body.split_once(',') {
                    Some((lo, "")) => (
                        lo.parse().unwrap_or(1),
                        lo.parse::<usize>().unwrap_or(1) + 2,
                    ),
                    Some((lo, hi)) => (lo.parse().unwrap_or(1), hi.parse().unwrap_or(1)),
                    None => (body.parse().unwrap_or(1), body.parse().unwrap_or(1)),
                };
                self.pos += end;
                (lo, hi.max(lo))
            }
            _ => return (1, 1),
        };
        self.pos += 1;
        if self.peek() == Some(b'?') {
            self.pos += 1;
        }
        q
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }
}
