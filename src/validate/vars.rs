//! Values with variables: `/$id/app1`, `${host}`, `/new/$1` → [`Value`] parts.
//!
//! A name is the longest run of letters, digits and `_` (`$1`…`$9` are one digit). Whether a
//! variable is defined depends on where the value is used, so the caller passes a [`Scope`].

use crate::diagnostic::{Code, Problem, did_you_mean};
use crate::model::{Part, Value, Var};

/// What is defined at the place a value is used.
#[derive(Debug, Clone, Default)]
pub struct Scope<'a> {
    /// Params of the server (`{id}`, named groups of its server_name regexes).
    pub params: &'a [String],
    /// Named groups of regexes that ran before this place (location regex, rewrite regexes).
    pub named: Vec<String>,
    /// `$1`…`$N` are set here; 0 when no regex with groups is certain to have run.
    pub captures: usize,
    /// Why `$1` is not available here, for the error message.
    pub no_captures_because: &'static str,
}

/// A variable found in a value: its name as written and its byte range in the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub offset: usize,
    pub len: usize,
}

/// Split `text` into literal parts and variables; problems are returned with offsets into `text`.
pub fn parse(text: &str, scope: &Scope<'_>) -> Result<Value, Vec<Problem>> {
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(dollar) = rest.find('$') {
        literal.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = read_name(after);
        let at = offset + dollar;
        if name.is_empty() {
            errors.push(
                Problem::new(
                    Code::UndefinedVariable,
                    "`$` must start a variable name",
                    at,
                    1 + consumed,
                )
                .help("write a variable as `$name` or `${name}`"),
            );
        } else {
            match resolve(name, scope) {
                Ok(Part::Lit(text)) => literal.push_str(&text),
                Ok(part) => {
                    if !literal.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                }
                Err(problem) => errors.push(Problem {
                    offset: at,
                    len: 1 + consumed,
                    ..problem
                }),
            }
        }
        rest = &after[consumed..];
        offset = at + 1 + consumed;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Lit(literal));
    }
    if errors.is_empty() {
        Ok(Value { parts })
    } else {
        Err(errors)
    }
}

impl Value {
    /// A value that is one literal.
    pub fn literal(text: &str) -> Value {
        Value {
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![Part::Lit(text.to_owned())]
            },
        }
    }

    /// The text when the value has no variables.
    pub fn as_literal(&self) -> Option<String> {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => Some(s.as_str()),
                Part::Var(_) => None,
            })
            .collect()
    }

    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v),
            Part::Lit(_) => None,
        })
    }

    /// The literal text after the last variable (what the value is sure to end with).
    pub fn literal_tail(&self) -> &str {
        match self.parts.last() {
            Some(Part::Lit(s)) => s,
            _ => "",
        }
    }

    /// The value as it would be written, for reports.
    pub fn display(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.clone(),
                Part::Var(v) => v.display(),
            })
            .collect()
    }
}

impl Var {
    pub fn display(&self) -> String {
        match self {
            Var::Uri => "$uri".into(),
            Var::RequestUri => "$request_uri".into(),
            Var::Args => "$args".into(),
            Var::Arg(n) => format!("$arg_{n}"),
            Var::Host => "$host".into(),
            Var::RemoteAddr => "$remote_addr".into(),
            Var::Http(n) => format!("$http_{}", n.replace('-', "_")),
            Var::Cookie(n) => format!("$cookie_{n}"),
            Var::Capture(n) => format!("${n}"),
            Var::Named(n) | Var::Param(n) => format!("${n}"),
        }
    }
}

/// The name after a `$` and how many bytes it took (braces included).
fn read_name(after: &str) -> (&str, usize) {
    if let Some(inner) = after.strip_prefix('{') {
        return match inner.find('}') {
            Some(end) => (&inner[..end], end + 2),
            None => ("", 1),
        };
    }
    if let Some(d) = after.chars().next().filter(char::is_ascii_digit) {
        return (&after[..d.len_utf8()], 1);
    }
    let len = after
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    (&after[..len], len)
}

const BUILTINS: &[&str] = &[
    "uri",
    "request_uri",
    "args",
    "host",
    "scheme",
    "remote_addr",
];

/// The part a name stands for; a problem's offset and length are the caller's to set.
fn resolve(name: &str, scope: &Scope<'_>) -> Result<Part, Problem> {
    let var = match name {
        "uri" => Var::Uri,
        "request_uri" => Var::RequestUri,
        "args" => Var::Args,
        "host" => Var::Host,
        "scheme" => return Ok(Part::Lit("https".to_owned())),
        "remote_addr" => Var::RemoteAddr,
        _ => return resolve_other(name, scope).map(Part::Var),
    };
    Ok(Part::Var(var))
}

fn resolve_other(name: &str, scope: &Scope<'_>) -> Result<Var, Problem> {
    let prefixed = [("arg_", 0), ("http_", 1), ("cookie_", 2)];
    for (prefix, kind) in prefixed {
        if let Some(rest) = name.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            let lower = rest.to_ascii_lowercase();
            return Ok(match kind {
                0 => Var::Arg(lower),
                1 => Var::Http(lower.replace('_', "-")),
                _ => Var::Cookie(lower),
            });
        }
    }
    if let Ok(n) = name.parse::<u8>() {
        if (1..=9).contains(&n) && usize::from(n) <= scope.captures {
            return Ok(Var::Capture(n));
        }
        let why = if scope.captures > 0 {
            format!(
                "the regex that runs last here has {} group(s)",
                scope.captures
            )
        } else {
            scope.no_captures_because.to_owned()
        };
        return Err(Problem::new(
            Code::UndefinedVariable,
            format!("`${n}` is not set here: {why}"),
            0,
            0,
        )
        .help("name the group, `(?<name>…)`, and use `$name`"));
    }
    if scope.named.iter().any(|n| n == name) {
        return Ok(Var::Named(name.to_owned()));
    }
    if scope.params.iter().any(|n| n == name) {
        return Ok(Var::Param(name.to_owned()));
    }
    let known = BUILTINS
        .iter()
        .copied()
        .chain(scope.params.iter().map(String::as_str))
        .chain(scope.named.iter().map(String::as_str));
    let mut problem = Problem::new(
        Code::UndefinedVariable,
        format!("undefined variable `${name}`"),
        0,
        0,
    );
    if let Some(close) = did_you_mean(name, known) {
        problem.help = Some(format!("did you mean `${close}`?"));
    }
    Err(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope<'static> {
        static PARAMS: [String; 0] = [];
        Scope {
            params: &PARAMS,
            named: vec!["first".into()],
            captures: 2,
            no_captures_because: "no regex",
        }
    }

    #[test]
    fn splits_literals_and_variables() {
        let v = parse("/new/$1${first}x$uri?$arg_Foo", &scope()).unwrap();
        assert_eq!(
            v.parts,
            vec![
                Part::Lit("/new/".into()),
                Part::Var(Var::Capture(1)),
                Part::Var(Var::Named("first".into())),
                Part::Lit("x".into()),
                Part::Var(Var::Uri),
                Part::Lit("?".into()),
                Part::Var(Var::Arg("foo".into())),
            ]
        );
    }

    #[test]
    fn scheme_is_https_and_digits_are_one_character() {
        let v = parse("$scheme://$host/$12", &scope()).unwrap();
        assert_eq!(v.display(), "https://$host/$12");
        assert_eq!(v.parts[3], Part::Var(Var::Capture(1)));
    }

    #[test]
    fn undefined_names_are_reported_with_a_suggestion() {
        let errors = parse("/$firts/$3/$", &scope()).unwrap_err();
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].offset, 1);
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `$first`?"));
    }

    #[test]
    fn http_names_use_dashes() {
        let v = parse("$http_X_Forwarded_For", &scope()).unwrap();
        assert_eq!(
            v.parts,
            vec![Part::Var(Var::Http("x-forwarded-for".into()))]
        );
    }
}
