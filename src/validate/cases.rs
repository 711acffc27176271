//! Golden test cases: raw `tests:` entries → [`Case`]s, checked for shape.
//!
//! The url is kept exactly as written (events are built from the raw text), so only its structure
//! is checked here: `https://HOST[/PATH][?QUERY]`, no fragment, no white space.

use crate::diagnostic::{Code, Problem};
use crate::model::{Case, DEFAULT_IP, Expect, ExpectOrigin};
use crate::read::config::{RawOrigin, RawTest};
use crate::source::Text;
use crate::validate::Validator;
use crate::validate::directive;

/// Validate every case; cases with problems are reported and left out.
pub fn cases(v: &mut Validator<'_, '_>, raw: &[RawTest]) -> Vec<Case> {
    raw.iter().filter_map(|t| case(v, t)).collect()
}

fn case(v: &mut Validator<'_, '_>, raw: &RawTest) -> Option<Case> {
    let url = raw.url.as_ref()?;
    let url_ok = check_url(v, url);
    let ip = raw
        .ip
        .as_ref()
        .map_or(DEFAULT_IP.to_owned(), |t| t.value.clone());
    if let Some(t) = &raw.ip
        && t.value.parse::<std::net::IpAddr>().is_err()
    {
        v.diags.at(
            Code::InvalidTest,
            t.span,
            format!("`{}` is not an IP address", t.value),
        );
    }
    let status =
        raw.status.as_ref().and_then(
            |t| match directive::status(&t.value, 0, Code::InvalidTest) {
                Ok(code) => Some(code),
                Err(p) => {
                    v.problem(t, p);
                    None
                }
            },
        );
    let expect = Expect {
        uri: text(&raw.uri),
        querystring: text(&raw.querystring),
        origin: raw.origin.as_ref().map(|o| match o {
            RawOrigin::Id(t) if t.value == "default" => ExpectOrigin::Default,
            RawOrigin::Id(t) => ExpectOrigin::Id(t.value.clone()),
            RawOrigin::Domain(t) => ExpectOrigin::Domain(t.value.clone()),
        }),
        status,
        location: text(&raw.location),
        body: text(&raw.body),
        headers: raw
            .headers
            .iter()
            .map(|(k, val)| {
                (
                    k.value.to_ascii_lowercase(),
                    val.as_ref().map(|x| x.value.clone()),
                )
            })
            .collect(),
        matched: raw.matched.as_ref().map(|t| collapse_spaces(&t.value)),
    };
    let passes = raw.uri.is_some() || raw.querystring.is_some() || raw.origin.is_some();
    let answers = raw.status.is_some() || raw.location.is_some() || raw.body.is_some();
    if passes && answers {
        v.diags
            .at(Code::InvalidTest, raw.span.sub(0, 0), "a case expects either a passed request (uri, querystring, origin) or a response (status, location, body), not both")
            .set_help("split it into two cases");
    } else if !passes && !answers && raw.headers.is_empty() && raw.matched.is_none() {
        v.diags
            .at(Code::InvalidTest, url.span, "this case expects nothing")
            .set_help(
                "add one of uri, querystring, origin, status, location, body, headers, matched",
            );
    }
    if !url_ok {
        return None;
    }
    let (line, column) = v.file.line_col(raw.span.start);
    Some(Case {
        span: raw.span,
        at: format!("{}:{line}:{column}", v.file.name()),
        url: url.value.clone(),
        method: raw
            .method
            .as_ref()
            .map_or("GET".to_owned(), |t| t.value.clone()),
        ip,
        headers: pairs(&raw.request_headers),
        cookies: pairs(&raw.cookies),
        expect,
    })
}

/// `https://HOST[/PATH][?QUERY]` as written (cases and `explain` take the same URLs).
pub fn url_problem(text: &str) -> Option<Problem> {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        let len = text.find(':').unwrap_or(text.len()).max(1);
        return Some(
            Problem::new(
                Code::InvalidUrl,
                "a test url starts with `https://`",
                0,
                len,
            )
            .help("for example `https://pr-1.preview.example.com/path?q=1`"),
        );
    };
    let base = text.len() - rest.len();
    if rest.find(['/', '?']).unwrap_or(rest.len()) == 0 {
        return Some(Problem::new(
            Code::InvalidUrl,
            "the url has no host",
            base,
            1,
        ));
    }
    let i = text.find(|c: char| c.is_whitespace() || c.is_control() || c == '#')?;
    Some(
        Problem::new(
            Code::InvalidUrl,
            "a test url holds no white space, control characters or `#`",
            i,
            1,
        )
        .help("percent-encode them, as a browser would (`%20`)"),
    )
}

/// Reports the url's problem, if any; returns whether it is usable.
fn check_url(v: &mut Validator<'_, '_>, url: &Text) -> bool {
    let Some(problem) = url_problem(&url.value) else {
        return true;
    };
    v.problem(url, problem);
    false
}

fn text(t: &Option<Text>) -> Option<String> {
    t.as_ref().map(|t| t.value.clone())
}

fn pairs(list: &[(Text, Text)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect()
}

/// `location` text with runs of spaces collapsed, as `matched` compares it.
pub fn collapse_spaces(text: &str) -> String {
    directive::words(text)
        .iter()
        .map(|(_, w)| *w)
        .collect::<Vec<_>>()
        .join(" ")
}
