//! The tenant boundary (rules.md "Safety"): where request data follows a param, or decides where a
//! new `$uri` starts, a request could name another tenant's files. The router answers such requests
//! 404; these warnings tell the author before a request does.

use crate::diagnostic::{Code, Diagnostics};
use crate::model::{Block, Flag, LocationKind, Part, Value, Var};
use crate::read::config::RawBlock;
use crate::source::Span;

/// Warn about every value of a block whose param is directly followed by request data, or that
/// becomes `$uri` and starts with request data.
pub fn check(diags: &mut Diagnostics, raw: &RawBlock, block: &Block, kind: Option<&LocationKind>) {
    let mut crossing = Vec::new();
    if let (Some(text), Some(value)) = (&raw.root, &block.root) {
        crossing.push((text.span, value, "root"));
    }
    if let (Some(text), Some(value)) = (&raw.alias, &block.alias) {
        crossing.push((text.span, value, "alias"));
        if let Some(LocationKind::Prefix { path, .. }) = kind
            && let Some(Part::Var(Var::Param(name))) = value.parts.last()
        {
            diags
                .at(
                    Code::TenantBoundary,
                    text.span,
                    format!(
                        "the alias ends with `${name}` and the request's rest follows it: \
                         e.g. a request for `{path}-2/x.js` would name `${name}-2/x.js`, \
                         another tenant's files (edgeroute answers it 404)"
                    ),
                )
                .set_help(format!(
                    "end the alias with `/` (`…${name}/`), or use `root`"
                ));
        }
    }
    for rule in &block.rewrites {
        if rule.flag != Flag::Redirect && rule.flag != Flag::Permanent {
            crossing.push((rule.span, &rule.path, "rewrite"));
            starts_with_request_data(diags, rule.span, &rule.path, "rewrite target");
        }
    }
    if let (Some(raw_tf), Some(tf)) = (&raw.try_files, &block.try_files) {
        for (text, candidate) in raw_tf.value.iter().zip(&tf.candidates) {
            crossing.push((text.span, &candidate.value, "try_files candidate"));
            starts_with_request_data(diags, text.span, &candidate.value, "try_files candidate");
        }
    }
    for (span, value, what) in crossing {
        if let Some((param, data)) = param_then_request_data(value) {
            diags
                .at(
                    Code::TenantBoundary,
                    span,
                    format!(
                        "in this {what}, `${param}` is directly followed by {data}: a request \
                         whose value starts with `-2/` would name `${param}-2/…`, another \
                         tenant's files (edgeroute answers it 404)"
                    ),
                )
                .set_help(format!("put a `/` after `${param}`"));
        }
    }
}

/// A value that becomes `$uri` must start with `/`; one that starts with request data may not.
fn starts_with_request_data(diags: &mut Diagnostics, span: Span, value: &Value, what: &str) {
    if let Some(Part::Var(var)) = value.parts.first()
        && let Some(data) = request_data(var)
    {
        diags
            .at(
                Code::TenantBoundary,
                span,
                format!(
                    "this {what} starts with {data}: a request that makes it start with anything \
                     but `/` (e.g. `-2/x.js`) could name another tenant's files (edgeroute \
                     answers it 404)"
                ),
            )
            .set_help("start the value with a literal path, e.g. `/files/$1`");
    }
}

/// The first param directly followed by request data, with a description of that data.
fn param_then_request_data(value: &Value) -> Option<(&str, String)> {
    value.parts.windows(2).find_map(|pair| match pair {
        [Part::Var(Var::Param(name)), Part::Var(next)] => {
            request_data(next).map(|data| (name.as_str(), data))
        }
        _ => None,
    })
}

/// How a variable that carries request data is named in a message; `None` for the others.
fn request_data(var: &Var) -> Option<String> {
    Some(match var {
        Var::Capture(n) => format!("the capture `${n}`"),
        Var::Named(n) => format!("the capture `${n}`"),
        Var::Arg(n) => format!("the query argument `$arg_{n}`"),
        Var::Http(n) => format!("the request header `$http_{}`", n.replace('-', "_")),
        Var::Cookie(n) => format!("the cookie `$cookie_{n}`"),
        Var::Args => "`$args`".to_owned(),
        Var::RequestUri => "`$request_uri`".to_owned(),
        Var::RemoteAddr => "`$remote_addr`".to_owned(),
        Var::Uri | Var::Host | Var::Param(_) => return None,
    })
}
