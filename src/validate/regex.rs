//! nginx regexes → the PCRE/ECMAScript common subset (cloudfront-runtime.md §9).
//!
//! nginx runs PCRE, CloudFront an njs-family engine with PCRE, boa and node ECMAScript. A regex is
//! accepted only when it means the same in all of them: escapes come from a short allow-list, PCRE
//! extensions are refused, named groups become plain groups (with their names recorded), `\s` is
//! spelled out, and the result must compile with regress, the ECMAScript engine boa uses.

use crate::diagnostic::{Code, Problem};
use crate::model::Regex;

/// Check and translate one regex.
pub fn translate(text: &str, caseless: bool) -> Result<Regex, Problem> {
    if let Some((offset, c)) = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii() || c.is_ascii_control())
    {
        return Err(error(
            Code::InvalidRegex,
            format!("regexes are ASCII text; found {c:?}"),
            offset,
            c.len_utf8(),
        ));
    }
    let mut translator = Translator {
        text: text.as_bytes(),
        pos: 0,
        out: String::with_capacity(text.len()),
        groups: Vec::new(),
    };
    translator.run()?;
    let flags = if caseless { "i" } else { "" };
    if let Err(e) = regress::Regex::with_flags(&translator.out, flags) {
        return Err(error(
            Code::InvalidRegex,
            format!("not a valid ECMAScript regex: {e}"),
            0,
            text.len(),
        ));
    }
    Ok(Regex {
        source: translator.out,
        caseless,
        groups: translator.groups,
    })
}

/// An anchored whole-string pattern, as params use: `^(?:PATTERN)$`.
pub fn anchored(text: &str) -> Result<Regex, Problem> {
    let inner = translate(text, false)?;
    Ok(Regex {
        source: format!("^(?:{})$", inner.source),
        ..inner
    })
}

struct Translator<'t> {
    text: &'t [u8],
    pos: usize,
    out: String,
    groups: Vec<Option<String>>,
}

impl Translator<'_> {
    fn run(&mut self) -> Result<(), Problem> {
        while let Some(&b) = self.text.get(self.pos) {
            match b {
                b'\\' => self.escape(false)?,
                b'[' => self.class()?,
                b'(' => self.group()?,
                b'*' | b'+' | b'?' | b'}' => {
                    self.copy(1);
                    self.no_possessive()?;
                }
                b'{' if self.text.get(self.pos + 1) == Some(&b',') => {
                    return Err(self.unportable(
                        "`{,n}` is a quantifier in PCRE2 but literal text in JavaScript",
                        2,
                    ));
                }
                _ => self.copy(1),
            }
        }
        Ok(())
    }

    fn group(&mut self) -> Result<(), Problem> {
        let rest = &self.text[self.pos..];
        if !rest.starts_with(b"(?") {
            self.groups.push(None);
            self.copy(1);
            return Ok(());
        }
        if rest.starts_with(b"(?:") || rest.starts_with(b"(?=") || rest.starts_with(b"(?!") {
            self.copy(3);
            return Ok(());
        }
        if rest.starts_with(b"(?<=") || rest.starts_with(b"(?<!") {
            return Err(self.unportable("lookbehind is not in every CloudFront engine", 4));
        }
        let named = rest
            .strip_prefix(b"(?<")
            .or_else(|| rest.strip_prefix(b"(?P<"));
        if let Some(after) = named {
            let name_len = after
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            let prefix = rest.len() - after.len();
            let valid_start = after
                .first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
            if name_len == 0 || !valid_start || after.get(name_len) != Some(&b'>') {
                return Err(error(
                    Code::InvalidRegex,
                    "a group name is letters, digits and `_`, closed by `>`".into(),
                    self.pos,
                    prefix + name_len + 1,
                ));
            }
            let name = String::from_utf8_lossy(&after[..name_len]).into_owned();
            if self.groups.iter().flatten().any(|n| *n == name) {
                return Err(error(
                    Code::InvalidRegex,
                    format!("the group name `{name}` is used twice"),
                    self.pos,
                    prefix + name_len + 1,
                ));
            }
            self.groups.push(Some(name));
            self.out.push('(');
            self.pos += prefix + name_len + 1;
            return Ok(());
        }
        Err(self.unportable(
            "only `(…)`, `(?:…)`, `(?=…)`, `(?!…)` and `(?<name>…)` groups mean the same in PCRE and JavaScript",
            2,
        ))
    }

    fn class(&mut self) -> Result<(), Problem> {
        let start = self.pos;
        let rest = &self.text[self.pos..];
        if rest.starts_with(b"[]") || rest.starts_with(b"[^]") {
            return Err(self.unportable(
                "`[]` and `[^]` mean different things in PCRE and JavaScript",
                3,
            ));
        }
        if rest.starts_with(b"[^") {
            self.copy(2);
        } else {
            self.copy(1);
        }
        loop {
            match self.text.get(self.pos) {
                None => return Err(error(Code::InvalidRegex, "unclosed `[`".into(), start, 1)),
                Some(b']') => {
                    self.copy(1);
                    return Ok(());
                }
                Some(b'\\') => self.escape(true)?,
                Some(b'[') if self.text.get(self.pos + 1) == Some(&b':') => {
                    return Err(self.unportable("POSIX classes like `[:alpha:]` are PCRE only", 2));
                }
                Some(_) => self.copy(1),
            }
        }
    }

    fn escape(&mut self, in_class: bool) -> Result<(), Problem> {
        let Some(&next) = self.text.get(self.pos + 1) else {
            return Err(error(
                Code::InvalidRegex,
                "a trailing `\\` escapes nothing".into(),
                self.pos,
                1,
            ));
        };
        match next {
            b'd' | b'D' | b'w' | b'W' | b't' | b'n' | b'r' | b'f' | b'v' => self.copy(2),
            b'b' | b'B' if !in_class => self.copy(2),
            b's' => {
                // PCRE's \s is ASCII whitespace; JavaScript's also takes Unicode spaces.
                self.out.push_str(if in_class {
                    " \\t\\n\\v\\f\\r"
                } else {
                    "[ \\t\\n\\v\\f\\r]"
                });
                self.pos += 2;
            }
            b'S' if !in_class => {
                self.out.push_str("[^ \\t\\n\\v\\f\\r]");
                self.pos += 2;
            }
            b'x' => {
                let hex = self.text.get(self.pos + 2..self.pos + 4);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(self.unportable(
                        "write `\\xHH` with two hex digits (`\\x{…}` is PCRE only)",
                        2,
                    ));
                }
                self.copy(4);
            }
            b'1'..=b'9' => {
                return Err(self.unportable(
                    "backreferences are refused (slow and never needed for routing)",
                    2,
                ));
            }
            c if c.is_ascii_punctuation() => self.copy(2),
            _ => {
                return Err(self.unportable(
                    "this escape means different things in PCRE and JavaScript (allowed: \\d \\D \\w \\W \\s \\S \\b \\B \\t \\n \\r \\f \\v \\xHH and escaped punctuation)",
                    2,
                ));
            }
        }
        Ok(())
    }

    fn no_possessive(&mut self) -> Result<(), Problem> {
        if self.text.get(self.pos) == Some(&b'+') {
            return Err(self.unportable("possessive quantifiers (`a++`) are PCRE only", 1));
        }
        Ok(())
    }

    fn copy(&mut self, n: usize) {
        let end = (self.pos + n).min(self.text.len());
        self.out
            .push_str(std::str::from_utf8(&self.text[self.pos..end]).expect("ASCII checked"));
        self.pos = end;
    }

    fn unportable(&self, message: &str, len: usize) -> Problem {
        error(Code::UnportableRegex, message.to_owned(), self.pos, len)
    }
}

fn error(code: Code, message: String, offset: usize, len: usize) -> Problem {
    Problem::new(code, message, offset, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_groups_become_plain_groups() {
        let re = translate(r"^/(?<first>[^/]+)/(.*)$", false).unwrap();
        assert_eq!(re.source, r"^/([^/]+)/(.*)$");
        assert_eq!(re.groups, vec![Some("first".to_owned()), None]);
    }

    #[test]
    fn whitespace_class_is_spelled_out() {
        assert_eq!(
            translate(r"a\sb[\s,]", false).unwrap().source,
            r"a[ \t\n\v\f\r]b[ \t\n\v\f\r,]"
        );
    }

    #[test]
    fn non_capturing_and_lookahead_are_not_groups() {
        let re = translate(r"(?:a|b)(?=c)(?!d)\(x\)[(]", false).unwrap();
        assert!(re.groups.is_empty());
    }

    #[test]
    fn pcre_only_constructs_are_refused() {
        for bad in [
            r"(?i)abc",
            r"(?>a)",
            r"a++",
            r"\Aabc",
            r"abc\z",
            r"[[:alpha:]]",
            r"\p{L}",
            r"(?<=a)b",
            r"[^]",
            r"(a)\1",
            r"\x{41}",
            r"a{,3}",
            r"\Qa\E",
            r"\h",
        ] {
            let err = translate(bad, false).unwrap_err();
            assert_eq!(err.code, Code::UnportableRegex, "{bad}");
        }
    }

    #[test]
    fn invalid_regexes_are_refused() {
        for bad in [r"(abc", r"[abc", r"a)", r"*a", "é"] {
            assert_eq!(
                translate(bad, false).unwrap_err().code,
                Code::InvalidRegex,
                "{bad}"
            );
        }
    }

    #[test]
    fn anchored_wraps_the_whole_pattern() {
        assert_eq!(anchored("[a-z]+|x").unwrap().source, "^(?:[a-z]+|x)$");
    }
}
