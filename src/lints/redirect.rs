//! `open-redirect`: a redirect whose Location's scheme or authority comes from the request.
//!
//! The router prepends `https://$host` to a Location that starts with `/`, so only a Location that
//! does not start with a literal `/` can leave the site: one that starts with request data the
//! router does not normalize (query arguments, headers, cookies), or a scheme whose authority (up
//! to the first literal `/`) holds request data. Captures and `$uri` come from the normalized path
//! (runs of `/` merged, percent-encoded again), so they can name a host only after the scheme.
//! `$host` counts as request data only in a server whose names admit hosts its owner does not
//! control: the `default_server`, a trailing wildcard (`www.example.*`) or an unanchored `~` regex.

use crate::diagnostic::{Code, Diagnostic};
use crate::lints::{Context, Found, pattern};
use crate::model::{
    Block, Flag, LocationKind, Part, REDIRECT_CODES, Regex, Server, ServerName, Value, Var,
};
use crate::source::Span;

pub fn check(cx: &Context<'_>, found: &mut Found) {
    let open_host = uncontrolled_host(cx.server);
    for d in block(
        cx,
        &cx.server.block,
        "/",
        None,
        open_host,
        &Reach::Prefix("/".to_owned()),
    ) {
        found.server(d);
    }
    for (i, location) in cx.server.locations.iter().enumerate() {
        let (path, regex, reach) = match &location.kind {
            LocationKind::Exact(p) => (p.clone(), None, Reach::Exact(p.clone())),
            LocationKind::Prefix { path, .. } => (path.clone(), None, Reach::Prefix(path.clone())),
            LocationKind::Regex(r) => (
                regex_sample(r).unwrap_or_else(|| "/".to_owned()),
                Some(r),
                Reach::Regex(r),
            ),
        };
        for d in block(cx, &location.block, &path, regex, open_host, &reach) {
            found.location(i, d);
        }
    }
}

/// Why the server's `$host` is not the owner's to choose, if it is not.
fn uncontrolled_host(server: &Server) -> Option<&'static str> {
    if server.default {
        return Some("the default_server answers any host");
    }
    server.names.iter().find_map(|name| match name {
        ServerName::Trailing(_) => Some("a trailing wildcard name admits hosts under any domain"),
        ServerName::Pattern { text, regex, .. }
            if text.starts_with('~')
                && (!regex.source.starts_with('^') || !regex.source.ends_with('$')) =>
        {
            Some("an unanchored host regex admits hosts that merely contain a match")
        }
        _ => None,
    })
}

fn compile(regex: &Regex) -> Option<regress::Regex> {
    regress::Regex::with_flags(&regex.source, if regex.caseless { "i" } else { "" }).ok()
}

fn regex_sample(regex: &Regex) -> Option<String> {
    let alts = pattern::parse(&regex.source, regex.caseless)?;
    let mut sample = pattern::sample(alts.first()?);
    if !sample.starts_with('/') {
        sample.insert(0, '/');
    }
    compile(regex)?.find(&sample).is_some().then_some(sample)
}

/// A path the regex matches with `text` in capture `n`.
fn capture_sample(regex: &Regex, n: u32, text: &str) -> Option<String> {
    let alts = pattern::parse(&regex.source, regex.caseless)?;
    let path = pattern::sample_capture(&alts, n, text)?;
    let found = compile(regex)?.find(&path)?;
    let range = found.group(n as usize)?;
    (path.starts_with('/') && &path[range] == text).then_some(path)
}

/// A redirect target, with the request path that reaches it and the regex its captures come from.
struct Target<'a> {
    span: Span,
    value: &'a Value,
    path: String,
    regex: Option<&'a Regex>,
    /// Which URIs reach the target.
    reach: Reach<'a>,
}

enum Reach<'a> {
    Exact(String),
    Prefix(String),
    Regex(&'a Regex),
}

impl Reach<'_> {
    fn admits(&self, uri: &str) -> bool {
        match self {
            Reach::Exact(p) => uri == p,
            Reach::Prefix(p) => uri.starts_with(p.as_str()),
            Reach::Regex(r) => compile(r).is_some_and(|re| re.find(uri).is_some()),
        }
    }
}

fn block(
    cx: &Context<'_>,
    block: &Block,
    path: &str,
    location_regex: Option<&Regex>,
    open_host: Option<&'static str>,
    reach: &Reach<'_>,
) -> Vec<Diagnostic> {
    let mut targets = Vec::new();
    if let Some(ret) = &block.ret
        && REDIRECT_CODES.contains(&ret.code)
        && let Some(value) = &ret.value
    {
        targets.push(Target {
            span: ret.span,
            value,
            path: path.to_owned(),
            regex: location_regex,
            reach: clone_reach(reach),
        });
    }
    for rule in &block.rewrites {
        if matches!(rule.flag, Flag::Redirect | Flag::Permanent) {
            targets.push(Target {
                span: rule.span,
                value: &rule.path,
                path: rule
                    .regex
                    .as_ref()
                    .and_then(regex_sample)
                    .unwrap_or_else(|| path.to_owned()),
                regex: rule.regex.as_ref().or(location_regex),
                reach: match &rule.regex {
                    Some(r) => Reach::Regex(r),
                    None => clone_reach(reach),
                },
            });
        }
    }
    targets
        .iter()
        .filter_map(|t| open_at(t.value, open_host).and_then(|open| diagnostic(cx, t, &open)))
        .collect()
}

fn clone_reach<'a>(reach: &Reach<'a>) -> Reach<'a> {
    match reach {
        Reach::Exact(p) => Reach::Exact(p.clone()),
        Reach::Prefix(p) => Reach::Prefix(p.clone()),
        Reach::Regex(r) => Reach::Regex(r),
    }
}

/// The variable that decides where a Location points, and the text it follows.
struct Open<'v> {
    var: &'v Var,
    /// The literal text before it (`…` for variables), `""` at the start.
    before: String,
    /// Why `$host` is request data here.
    host_why: Option<&'static str>,
}

fn open_at<'v>(value: &'v Value, open_host: Option<&'static str>) -> Option<Open<'v>> {
    let mut before = String::new();
    for part in &value.parts {
        match part {
            Part::Lit(text) => {
                before.push_str(text);
                if before.starts_with('/') {
                    return None;
                }
                if let Some(at) = before.find("://") {
                    if before[at + 3..].contains(['/', '?', '#']) {
                        return None;
                    }
                } else if !is_scheme_start(&before) {
                    return None;
                }
            }
            Part::Var(var) => {
                let at_start = before.is_empty();
                let no_authority_yet =
                    before.ends_with(':') || before.ends_with(":/") || before.ends_with("://");
                let risky = match var {
                    // Both start with `/`: they only decide the host right after the scheme.
                    Var::Uri | Var::RequestUri => no_authority_yet,
                    // From the normalized path: no `//`, so only inside the authority.
                    Var::Capture(_) | Var::Named(_) => !at_start,
                    Var::Args | Var::Arg(_) | Var::Http(_) | Var::Cookie(_) => true,
                    Var::Host => !at_start && open_host.is_some(),
                    Var::Param(_) | Var::RemoteAddr => false,
                };
                if risky {
                    return Some(Open {
                        var,
                        before,
                        host_why: open_host.filter(|_| *var == Var::Host),
                    });
                }
                if at_start {
                    return None;
                }
                before.push('…');
            }
        }
    }
    None
}

/// `http:`, `https:/` and the like: a scheme whose authority is still to come.
fn is_scheme_start(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["https://", "http://"]
        .iter()
        .any(|scheme| scheme.starts_with(&lower) || lower.starts_with(scheme))
}

/// The request that sends a viewer away, and the Location it gets.
fn diagnostic(cx: &Context<'_>, target: &Target<'_>, open: &Open<'_>) -> Option<Diagnostic> {
    let before = &open.before;
    let evil = if before.is_empty() {
        "https://evil.net"
    } else if before.ends_with("//") || before.ends_with(':') {
        "evil.net"
    } else if before.ends_with(":/") {
        "/evil.net"
    } else {
        "@evil.net"
    };
    let host = &cx.host;
    let mut path = target.path.clone();
    let (request, name, injected) = match open.var {
        Var::Arg(n) => (
            format!("GET https://{host}{path}?{n}={evil}"),
            format!("`$arg_{n}`"),
            evil.to_owned(),
        ),
        Var::Args => (
            format!("GET https://{host}{path}?{evil}"),
            "`$args`".to_owned(),
            evil.to_owned(),
        ),
        Var::Http(n) => (
            format!("GET https://{host}{path} with `{n}: {evil}`"),
            format!("the request header `$http_{}`", n.replace('-', "_")),
            evil.to_owned(),
        ),
        Var::Cookie(n) => (
            format!("GET https://{host}{path} with the cookie `{n}={evil}`"),
            format!("the cookie `$cookie_{n}`"),
            evil.to_owned(),
        ),
        Var::Uri | Var::RequestUri => {
            // The URI's first segment becomes the host: a URI that reaches this target and
            // starts with a host of the viewer's choosing, if there is one.
            let base = target.path.trim_end_matches('/');
            let uri = ["/evil.net/x".to_owned(), format!("{base}.evil.net/x")]
                .into_iter()
                .find(|uri| target.reach.admits(uri))?;
            path = uri.clone();
            let (raw, name) = if *open.var == Var::Uri {
                (uri.clone(), "`$uri`")
            } else {
                (format!("/{uri}"), "`$request_uri`")
            };
            (format!("GET https://{host}{raw}"), name.to_owned(), raw)
        }
        Var::Host => (
            "GET https://evil.net/ (Host: evil.net)".to_owned(),
            "`$host`".to_owned(),
            "evil.net".to_owned(),
        ),
        Var::Capture(_) | Var::Named(_) => {
            let (n, shown) = match open.var {
                Var::Capture(n) => (Some(u32::from(*n)), format!("the capture `${n}`")),
                Var::Named(name) => (
                    target.regex.and_then(|r| {
                        r.groups
                            .iter()
                            .position(|g| g.as_deref() == Some(name.as_str()))
                            .map(|i| i as u32 + 1)
                    }),
                    format!("the capture `${name}`"),
                ),
                _ => unreachable!("matched above"),
            };
            let sample = n
                .zip(target.regex)
                .and_then(|(n, r)| capture_sample(r, n, evil));
            match sample {
                Some(sample) => {
                    path = sample;
                    (format!("GET https://{host}{path}"), shown, evil.to_owned())
                }
                None => (String::new(), shown, String::new()),
            }
        }
        Var::Param(_) | Var::RemoteAddr => unreachable!("not request data"),
    };
    let example = if request.is_empty() {
        format!(": a request that puts `{evil}` in {name} is sent to that site")
    } else {
        let location: String = target
            .value
            .parts
            .iter()
            .map(|p| match p {
                Part::Lit(t) => t.clone(),
                Part::Var(v) if v == open.var => injected.clone(),
                Part::Var(Var::Host) => host.clone(),
                Part::Var(Var::Uri) => path.clone(),
                Part::Var(_) => String::new(),
            })
            .collect();
        format!(": e.g. {request} → Location: {location}")
    };
    let mut message = format!(
        "this redirect's target takes its {} from {name}{example}",
        if before.is_empty() {
            "whole URL"
        } else {
            "host"
        }
    );
    if let Some(why) = open.host_why {
        message.push_str(&format!(" ({why})"));
    }
    Some(
        Diagnostic::new(Code::OpenRedirect, Some(target.span), message)
            .with_label("the viewer chooses where this redirect goes")
            .with_help(
                "start the target with a literal `/` (a path on this site) or with `https://` and a literal host, e.g. `https://www.example.com/$1`",
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::vars::{Scope, parse};

    fn open(text: &str, open_host: Option<&'static str>) -> Option<String> {
        let params = vec!["pr".to_owned()];
        let scope = Scope {
            params: &params,
            named: vec!["rest".to_owned()],
            captures: 2,
            no_captures_because: "",
        };
        let value = parse(text, &scope).unwrap();
        open_at(&value, open_host).map(|o| format!("{:?}", o.var))
    }

    #[test]
    fn request_data_in_the_scheme_or_host_opens_the_redirect() {
        assert_eq!(open("$arg_next", None).as_deref(), Some("Arg(\"next\")"));
        assert_eq!(
            open("https://$http_x_to/x", None).as_deref(),
            Some("Http(\"x-to\")")
        );
        assert_eq!(open("https://$1/x", None).as_deref(), Some("Capture(1)"));
        assert_eq!(
            open("https://www.example.com$1", None).as_deref(),
            Some("Capture(1)")
        );
        assert_eq!(open("https:/$uri", None).as_deref(), Some("Uri"));
        assert_eq!(
            open("https:$request_uri", None).as_deref(),
            Some("RequestUri")
        );
        assert_eq!(
            open("https://$host$uri", Some("default")).as_deref(),
            Some("Host")
        );
    }

    #[test]
    fn literal_hosts_and_paths_on_this_site_do_not() {
        for text in [
            "/$arg_next",
            "/login?next=$arg_next",
            "https://$host$uri",
            "https://www.example.com/$1",
            "https://$pr.example.com/$1",
            "$uri",
            "$1",
            "https://www.example.com$uri",
            "https://www.example.com/?to=$arg_next",
        ] {
            assert_eq!(open(text, None), None, "{text}");
        }
    }
}
