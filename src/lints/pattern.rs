//! The shape of a translated regex (ASCII ECMAScript, as `validate::regex` leaves it), for the
//! lints: which characters each part accepts, how often it repeats, and sample inputs.
//!
//! Only what the lints need: sets of ASCII characters, groups with alternatives, quantifiers and
//! assertions. Backreferences and lookarounds are kept as opaque items that match nothing in a
//! sample; a pattern the reader does not follow gives `None`, and the lints then stay silent.

/// A set of ASCII characters (every regex of the rules is ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CharSet(u128);

impl CharSet {
    pub fn of(c: u8) -> CharSet {
        CharSet(1u128 << (c & 0x7f))
    }

    fn range(lo: u8, hi: u8) -> CharSet {
        let mut set = CharSet::default();
        for c in lo..=hi.min(127) {
            set = set.union(CharSet::of(c));
        }
        set
    }

    pub fn all() -> CharSet {
        CharSet(u128::MAX)
    }

    pub fn union(self, other: CharSet) -> CharSet {
        CharSet(self.0 | other.0)
    }

    pub fn intersect(self, other: CharSet) -> CharSet {
        CharSet(self.0 & other.0)
    }

    pub fn negate(self) -> CharSet {
        CharSet(!self.0)
    }

    pub fn contains(self, c: u8) -> bool {
        c < 128 && self.0 & (1u128 << c) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset(self, other: CharSet) -> bool {
        self.0 & !other.0 == 0
    }

    fn caseless(self) -> CharSet {
        let mut out = self;
        for c in b'a'..=b'z' {
            if self.contains(c) || self.contains(c.to_ascii_uppercase()) {
                out = out
                    .union(CharSet::of(c))
                    .union(CharSet::of(c.to_ascii_uppercase()));
            }
        }
        out
    }

    /// A readable member, preferring letters, digits and then punctuation a URL can carry.
    pub fn pick(self) -> Option<u8> {
        const PREFERRED: &[u8] =
            b"abcdefghijklmnopqrstuvwxyz0123456789-._~ABCDEFGHIJKLMNOPQRSTUVWXYZ/!$&'()*+,;=:@%";
        PREFERRED
            .iter()
            .copied()
            .find(|&c| self.contains(c))
            .or_else(|| (0..128u8).find(|&c| self.contains(c)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// One character from a set.
    Set(CharSet),
    /// A group: one of its alternatives, each a sequence.
    Group(Vec<Vec<Item>>),
    /// `^`
    Start,
    /// `$`
    End,
    /// `\b`, `\B`, a lookaround or a backreference: no character of its own in a sample.
    Opaque,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub node: Node,
    pub min: u32,
    /// `None`: unbounded.
    pub max: Option<u32>,
    /// The number of the capturing group this item is (`$1` is 1).
    pub capture: Option<u32>,
}

impl Item {
    pub fn unbounded(&self) -> bool {
        self.max.is_none()
    }

    /// Every character this item can consume.
    pub fn chars(&self) -> CharSet {
        match &self.node {
            Node::Set(set) => *set,
            Node::Group(alts) => alts
                .iter()
                .flatten()
                .fold(CharSet::default(), |acc, item| acc.union(item.chars())),
            Node::Start | Node::End | Node::Opaque => CharSet::default(),
        }
    }

    /// Whether the item can match a run of `c` alone (one or more repetitions of it, or nothing).
    pub fn accepts_run_of(&self, c: u8) -> bool {
        match &self.node {
            Node::Set(set) => set.contains(c),
            Node::Group(alts) => alts.iter().any(|seq| seq_accepts_run_of(seq, c)),
            Node::Start | Node::End | Node::Opaque => false,
        }
    }

    fn can_be_empty(&self) -> bool {
        self.min == 0
            || match &self.node {
                Node::Set(_) => false,
                Node::Group(alts) => alts.iter().any(|s| s.iter().all(Item::can_be_empty)),
                Node::Start | Node::End | Node::Opaque => true,
            }
    }
}

/// Whether a sequence can match a non-empty run of `c` (every item accepts `c` or may be empty).
pub fn seq_accepts_run_of(seq: &[Item], c: u8) -> bool {
    seq.iter().any(|i| i.accepts_run_of(c))
        && seq
            .iter()
            .all(|i| i.accepts_run_of(c) || i.can_be_empty() || matches!(i.node, Node::Opaque))
}

/// The top-level alternatives of a translated regex source.
pub fn parse(source: &str, caseless: bool) -> Option<Vec<Vec<Item>>> {
    let mut parser = Parser {
        text: source.as_bytes(),
        pos: 0,
        caseless,
        groups: 0,
        last_capture: None,
    };
    let alts = parser.alternatives()?;
    (parser.pos == parser.text.len()).then_some(alts)
}

struct Parser<'t> {
    text: &'t [u8],
    pos: usize,
    caseless: bool,
    /// Capturing groups opened so far.
    groups: u32,
    /// The number of the group `atom` just read, when it captures.
    last_capture: Option<u32>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn alternatives(&mut self) -> Option<Vec<Vec<Item>>> {
        let mut alts = vec![self.sequence()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            alts.push(self.sequence()?);
        }
        Some(alts)
    }

    fn sequence(&mut self) -> Option<Vec<Item>> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            self.last_capture = None;
            let node = self.atom()?;
            let capture = self.last_capture.take();
            let (min, max) = self.quantifier()?;
            items.push(Item {
                node,
                min,
                max,
                capture,
            });
        }
        Some(items)
    }

    fn atom(&mut self) -> Option<Node> {
        let c = self.peek()?;
        self.pos += 1;
        let set = match c {
            b'^' => return Some(Node::Start),
            b'$' => return Some(Node::End),
            b'.' => CharSet::of(b'\n').union(CharSet::of(b'\r')).negate(),
            b'[' => self.class()?,
            b'(' => return self.group(),
            b'\\' => match self.escape()? {
                Escaped::Set(set) => set,
                Escaped::Opaque => return Some(Node::Opaque),
            },
            b'*' | b'+' | b'?' | b'{' | b')' | b']' => {
                // `{` and `]` stand for themselves in ECMAScript without the `u` flag.
                if c == b'{' || c == b']' {
                    CharSet::of(c)
                } else {
                    return None;
                }
            }
            _ => CharSet::of(c),
        };
        Some(Node::Set(if self.caseless { set.caseless() } else { set }))
    }

    fn group(&mut self) -> Option<Node> {
        let mut opaque = false;
        let mut capture = None;
        if self.text[self.pos..].starts_with(b"?:") {
            self.pos += 2;
        } else if self.text[self.pos..].starts_with(b"?=")
            || self.text[self.pos..].starts_with(b"?!")
        {
            self.pos += 2;
            opaque = true;
        } else if self.text[self.pos..].starts_with(b"?<=")
            || self.text[self.pos..].starts_with(b"?<!")
        {
            self.pos += 3;
            opaque = true;
        } else if self.text[self.pos..].starts_with(b"?<") {
            let end = self.text[self.pos..].iter().position(|&b| b == b'>')?;
            self.pos += end + 1;
            self.groups += 1;
            capture = Some(self.groups);
        } else {
            self.groups += 1;
            capture = Some(self.groups);
        }
        let alts = self.alternatives()?;
        if self.peek() != Some(b')') {
            return None;
        }
        self.pos += 1;
        self.last_capture = capture;
        Some(if opaque {
            Node::Opaque
        } else {
            Node::Group(alts)
        })
    }

    fn class(&mut self) -> Option<CharSet> {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut set = CharSet::default();
        let mut first = true;
        loop {
            let c = self.peek()?;
            if c == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            let lo = self.class_char()?;
            if self.peek() == Some(b'-')
                && self.text.get(self.pos + 1) != Some(&b']')
                && let ClassChar::Char(lo) = lo
            {
                self.pos += 1;
                match self.class_char()? {
                    ClassChar::Char(hi) if hi >= lo => set = set.union(CharSet::range(lo, hi)),
                    _ => return None,
                }
                continue;
            }
            set = set.union(match lo {
                ClassChar::Char(c) => CharSet::of(c),
                ClassChar::Set(s) => s,
            });
        }
        Some(if negated { set.negate() } else { set })
    }

    fn class_char(&mut self) -> Option<ClassChar> {
        let c = self.peek()?;
        self.pos += 1;
        if c != b'\\' {
            return Some(ClassChar::Char(c));
        }
        let e = self.peek()?;
        match e {
            b'd' | b'w' | b's' | b'D' | b'W' | b'S' => {
                self.pos += 1;
                Some(ClassChar::Set(shorthand(e)))
            }
            b'b' => {
                self.pos += 1;
                Some(ClassChar::Char(8))
            }
            _ => match self.escape()? {
                Escaped::Set(set) => Some(ClassChar::Char(set.pick()?)),
                Escaped::Opaque => None,
            },
        }
    }

    /// After a `\`: the set it stands for.
    fn escape(&mut self) -> Option<Escaped> {
        let e = self.peek()?;
        self.pos += 1;
        Some(Escaped::Set(match e {
            b'd' | b'w' | b's' | b'D' | b'W' | b'S' => shorthand(e),
            b'b' | b'B' => return Some(Escaped::Opaque),
            b'1'..=b'9' => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                return Some(Escaped::Opaque);
            }
            b'n' => CharSet::of(b'\n'),
            b'r' => CharSet::of(b'\r'),
            b't' => CharSet::of(b'\t'),
            b'f' => CharSet::of(0x0c),
            b'v' => CharSet::of(0x0b),
            b'0' => CharSet::of(0),
            b'x' => {
                let hex = std::str::from_utf8(self.text.get(self.pos..self.pos + 2)?).ok()?;
                self.pos += 2;
                CharSet::of(u8::from_str_radix(hex, 16).ok()?)
            }
            b'u' | b'c' | b'p' | b'P' | b'k' => return None,
            other => CharSet::of(other),
        }))
    }

    fn quantifier(&mut self) -> Option<(u32, Option<u32>)> {
        let bounds = match self.peek() {
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'?') => (0, Some(1)),
            Some(b'{') => {
                let rest = &self.text[self.pos + 1..];
                let end = rest.iter().position(|&b| b == b'}');
                let inner = end.and_then(|e| std::str::from_utf8(&rest[..e]).ok());
                let parsed = inner.and_then(|inner| match inner.split_once(',') {
                    None => inner.parse().ok().map(|n| (n, Some(n))),
                    Some((lo, "")) => lo.parse().ok().map(|n| (n, None)),
                    Some((lo, hi)) => Some((lo.parse().ok()?, Some(hi.parse().ok()?))),
                });
                match (parsed, end) {
                    (Some(b), Some(e)) => {
                        self.pos += e + 1;
                        b
                    }
                    // A `{` that is no quantifier is a literal, read as the next atom.
                    _ => return Some((1, Some(1))),
                }
            }
            _ => return Some((1, Some(1))),
        };
        self.pos += 1;
        if self.peek() == Some(b'?') {
            self.pos += 1;
        }
        Some(bounds)
    }
}

enum ClassChar {
    Char(u8),
    Set(CharSet),
}

enum Escaped {
    Set(CharSet),
    Opaque,
}

fn shorthand(e: u8) -> CharSet {
    let digit = CharSet::range(b'0', b'9');
    let word = digit
        .union(CharSet::range(b'a', b'z'))
        .union(CharSet::range(b'A', b'Z'))
        .union(CharSet::of(b'_'));
    let space = CharSet::range(9, 13).union(CharSet::of(b' '));
    match e {
        b'd' => digit,
        b'w' => word,
        b's' => space,
        b'D' => digit.negate(),
        b'W' => word.negate(),
        _ => space.negate(),
    }
}

/// A short input the sequence matches, each item taken its fewest times (at least once for a
/// group or set that must appear), the first alternative of each group.
pub fn sample(seq: &[Item]) -> String {
    let mut out = String::new();
    sample_into(seq, &mut out);
    out
}

fn sample_into(seq: &[Item], out: &mut String) {
    for item in seq {
        for _ in 0..item.min.min(8) {
            match &item.node {
                Node::Set(set) => out.push(char::from(set.pick().unwrap_or(b'a'))),
                Node::Group(alts) => sample_into(&alts[0], out),
                Node::Start | Node::End | Node::Opaque => {}
            }
        }
    }
}

/// A sample in which capturing group `n` holds `text` (checked by the caller), when the
/// regex has that group.
pub fn sample_capture(alts: &[Vec<Item>], n: u32, text: &str) -> Option<String> {
    alts.iter().find_map(|seq| {
        let mut out = String::new();
        capture_into(seq, n, text, &mut out).then_some(out)
    })
}

fn has_capture(seq: &[Item], n: u32) -> bool {
    seq.iter().any(|item| {
        item.capture == Some(n)
            || matches!(&item.node, Node::Group(alts) if alts.iter().any(|a| has_capture(a, n)))
    })
}

fn capture_into(seq: &[Item], n: u32, text: &str, out: &mut String) -> bool {
    let mut found = false;
    for item in seq {
        if item.capture == Some(n) {
            out.push_str(text);
            found = true;
            continue;
        }
        match &item.node {
            Node::Group(alts) if !found && alts.iter().any(|a| has_capture(a, n)) => {
                let alt = alts.iter().find(|a| has_capture(a, n)).expect("checked");
                found = capture_into(alt, n, text, out);
            }
            _ => sample_into(std::slice::from_ref(item), out),
        }
    }
    found
}

/// The input a sequence matches up to `target` (found by address), then `pump`: the prefix a
/// witness needs to reach that item. `None` when `target` is not inside `seq`.
pub fn prefix_to(seq: &[Item], target: *const Item) -> Option<String> {
    let mut out = String::new();
    prefix_into(seq, target, &mut out).then_some(out)
}

fn prefix_into(seq: &[Item], target: *const Item, out: &mut String) -> bool {
    for item in seq {
        if std::ptr::eq(item, target) {
            return true;
        }
        if let Node::Group(alts) = &item.node {
            for alt in alts {
                let mark = out.len();
                if prefix_into(alt, target, out) {
                    return true;
                }
                out.truncate(mark);
            }
        }
        sample_into(std::slice::from_ref(item), out);
    }
    false
}

/// The literal text every match starts with, when the regex is anchored with `^`: `(prefix,
/// rest)` where `rest` is what follows the literal part.
pub fn anchored_literal(alts: &[Vec<Item>]) -> Option<(String, &[Item])> {
    let [seq] = alts else {
        return None;
    };
    let (
        Some(Item {
            node: Node::Start, ..
        }),
        rest,
    ) = (seq.first(), &seq[1.min(seq.len())..])
    else {
        return None;
    };
    let mut literal = String::new();
    let mut i = 0;
    while let Some(item) = rest.get(i) {
        match (&item.node, item.min, item.max) {
            (Node::Set(set), 1, Some(1)) if single(*set).is_some() => {
                literal.push(char::from(single(*set).expect("checked")));
            }
            _ => break,
        }
        i += 1;
    }
    Some((literal, &rest[i..]))
}

/// The one character of a set, or its lower-case form when the set is one letter in both cases.
fn single(set: CharSet) -> Option<u8> {
    let members: Vec<u8> = (0..128u8).filter(|&c| set.contains(c)).collect();
    match members.as_slice() {
        [c] => Some(*c),
        [a, b] if a.eq_ignore_ascii_case(b) && a != b => Some(a.to_ascii_lowercase()),
        _ => None,
    }
}

/// Whether what follows a literal prefix lets the regex match every input with that prefix:
/// items that can all be empty (the regex has no `$`), or `.*` / `(.*)` then `$`.
pub fn matches_anything(seq: &[Item]) -> bool {
    match seq.split_last() {
        Some((
            Item {
                node: Node::End, ..
            },
            rest,
        )) => match rest {
            [item] => dot_star(item),
            _ => false,
        },
        _ => seq.iter().all(Item::can_be_empty),
    }
}

/// `.*`, `[^…]*` of every character `.` takes, or a group of one such alternative.
fn dot_star(item: &Item) -> bool {
    let dot = CharSet::of(b'\n').union(CharSet::of(b'\r')).negate();
    match &item.node {
        Node::Set(set) => item.min == 0 && item.unbounded() && dot.is_subset(*set),
        Node::Group(alts) => {
            item.max == Some(1)
                && alts
                    .iter()
                    .any(|alt| matches!(alt.as_slice(), [inner] if dot_star(inner)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sets_groups_and_quantifiers() {
        let alts = parse(r"^/img/([a-z0-9-]+)\.(?:png|jpe?g)$", false).unwrap();
        assert_eq!(alts.len(), 1);
        let seq = &alts[0];
        assert_eq!(seq[0].node, Node::Start);
        assert_eq!(sample(seq), "/img/a.png");
        let (literal, rest) = anchored_literal(&alts).unwrap();
        assert_eq!(literal, "/img/");
        assert!(!rest.is_empty());
    }

    #[test]
    fn knows_what_matches_everything() {
        for source in ["^/a", "^/a.*", "^/a(.*)$", "^/a.*$"] {
            let alts = parse(source, false).unwrap();
            let (literal, rest) = anchored_literal(&alts).unwrap();
            assert_eq!(literal, "/a");
            assert!(matches_anything(rest), "{source}");
        }
        for source in ["^/a$", "^/a.+", "^/a\\.png$"] {
            let alts = parse(source, false).unwrap();
            let (_, rest) = anchored_literal(&alts).unwrap();
            assert!(!matches_anything(rest), "{source}");
        }
    }

    #[test]
    fn caseless_literals_read_lower_case() {
        let alts = parse("^/Img", true).unwrap();
        assert_eq!(anchored_literal(&alts).unwrap().0, "/img");
    }
}
