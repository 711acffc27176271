//! Parsing of the one-line directive strings: `location`, `rewrite`, `return`, `try_files`, `access`,
//! `add_request_headers` names, `index`, `origin`.
//!
//! Each parser returns the typed form or a message with the byte range inside the string it is about;
//! `validate.rs` turns that into a diagnostic at the right place in the file.

use ipnet::IpNet;

use crate::diagnostic::{Code, Problem};
use crate::model::{AccessEntry, Flag, REDIRECT_CODES};

/// The words of a directive with their byte offsets.
pub fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// A `location` string, split into its modifier and path or regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationSpec<'t> {
    pub modifier: &'t str,
    pub target: &'t str,
    pub target_offset: usize,
}

pub fn location(text: &str) -> Result<LocationSpec<'_>, Problem> {
    let w = words(text);
    let (modifier, (offset, target)) = match w.as_slice() {
        [(_, m), t] if matches!(*m, "=" | "^~" | "~" | "~*") => (*m, *t),
        [t] if t.1.starts_with('/') => ("", *t),
        [(o, t)] if t.starts_with('=') || t.starts_with('~') || t.starts_with("^~") => {
            return Err(Problem::new(
                Code::InvalidLocation,
                "put a space between the modifier and the path",
                *o,
                t.len(),
            ));
        }
        [] => {
            return Err(Problem::new(
                Code::InvalidLocation,
                "a location needs a path or a regex",
                0,
                text.len(),
            ));
        }
        [(o, m), ..] if !m.starts_with('/') && !matches!(*m, "=" | "^~" | "~" | "~*") => {
            return Err(Problem::new(
                Code::InvalidLocation,
                format!("unknown modifier `{m}`"),
                *o,
                m.len(),
            )
            .help("a location is `= /path`, `^~ /prefix`, `/prefix`, `~ regex` or `~* regex`"));
        }
        [_, _, (o, _), ..] | [(o, _), _, ..] => {
            return Err(Problem::new(
                Code::InvalidLocation,
                "a location is one modifier and one path or regex, without spaces inside",
                *o,
                text.len() - o,
            )
            .help("in a regex, write a space as `\\x20`"));
        }
        [(o, m)] => {
            return Err(Problem::new(
                Code::InvalidLocation,
                "a location needs a path or a regex after the modifier",
                *o,
                m.len(),
            ));
        }
    };
    if !modifier.starts_with('~') {
        path_text(target)
            .map_err(|(i, message)| Problem::new(Code::InvalidLocation, message, offset + i, 1))?;
    }
    Ok(LocationSpec {
        modifier,
        target,
        target_offset: offset,
    })
}

/// Exact and prefix paths: `/`, then printable ASCII.
fn path_text(path: &str) -> Result<(), (usize, String)> {
    if !path.starts_with('/') {
        return Err((0, "exact and prefix paths start with `/`".to_owned()));
    }
    match path.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        Some((i, c)) => Err((
            i,
            format!("location paths are printable ASCII; found {c:?}"),
        )),
        None => Ok(()),
    }
}

/// A rewrite rule: its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteSpec<'t> {
    /// `(offset, regex)`; `None` for `rewrite: TARGET`.
    pub regex: Option<(usize, &'t str)>,
    pub replacement: (usize, &'t str),
    pub flag: Flag,
}

pub fn rewrite(text: &str) -> Result<RewriteSpec<'_>, Problem> {
    let w = words(text);
    let (regex, replacement, flag) = match w.as_slice() {
        [] => {
            return Err(Problem::new(
                Code::InvalidRewrite,
                "an empty rewrite rule",
                0,
                text.len(),
            ));
        }
        [target] => (None, *target, Flag::Break),
        [regex, replacement] => (Some(*regex), *replacement, Flag::None),
        [regex, replacement, (o, f)] => (Some(*regex), *replacement, parse_flag(f, *o)?),
        [_, _, _, (o, _), ..] => {
            return Err(Problem::new(
                Code::InvalidRewrite,
                "a rewrite rule is `REGEX REPLACEMENT [FLAG]`",
                *o,
                text.len() - o,
            )
            .help("in a regex, write a space as `\\x20`"));
        }
    };
    let absolute = ["http://", "https://", "$scheme"]
        .iter()
        .any(|p| replacement.1.starts_with(p));
    let flag = match flag {
        Flag::Permanent | Flag::Redirect => flag,
        _ if absolute && regex.is_some() => Flag::Redirect,
        _ => flag,
    };
    if regex.is_none() && absolute {
        return Err(Problem::new(
            Code::InvalidRewrite,
            "`rewrite: TARGET` stays in the location; a URL target needs `REGEX URL redirect`",
            replacement.0,
            replacement.1.len(),
        )
        .help("write `return: 302 URL`, or `rewrite: ^ URL redirect`"));
    }
    Ok(RewriteSpec {
        regex,
        replacement,
        flag,
    })
}

fn parse_flag(flag: &str, offset: usize) -> Result<Flag, Problem> {
    Ok(match flag {
        "last" => Flag::Last,
        "break" => Flag::Break,
        "redirect" => Flag::Redirect,
        "permanent" => Flag::Permanent,
        _ => {
            return Err(Problem::new(
                Code::InvalidRewrite,
                format!("unknown rewrite flag `{flag}`"),
                offset,
                flag.len(),
            )
            .help("the flags are last, break, redirect and permanent"));
        }
    })
}

/// A `return` string parsed: the code, and the rest (its byte offset and text) when there is one.
pub type ReturnParts<'a> = (u16, Option<(usize, &'a str)>);

/// A `return` string: the code and the rest, verbatim.
pub fn ret(text: &str) -> Result<ReturnParts<'_>, Problem> {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let code_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let code = status(&trimmed[..code_len], lead, Code::InvalidReturn)
        .map_err(|p| p.help("a return is `CODE [TEXT]` or `30x URL`"))?;
    let rest = trimmed[code_len..].trim_start();
    let rest_offset = text.len() - rest.len();
    let rest = (!rest.is_empty()).then_some((rest_offset, rest));
    if REDIRECT_CODES.contains(&code) && rest.is_none() {
        return Err(Problem::new(
            Code::InvalidReturn,
            format!("`return {code}` needs a URL"),
            lead,
            code_len,
        ));
    }
    Ok((code, rest))
}

/// A status code 200–599.
pub fn status(text: &str, offset: usize, code: Code) -> Result<u16, Problem> {
    match text.parse::<u16>() {
        Ok(n) if (200..=599).contains(&n) && text.len() == 3 => Ok(n),
        _ => Err(Problem::new(
            code,
            format!("`{text}` is not a status code from 200 to 599"),
            offset,
            text.len().max(1),
        )),
    }
}

/// One `access` entry.
pub fn access(text: &str) -> Result<(AccessEntry, bool), Problem> {
    let w = words(text);
    let [(_, action), (offset, target)] = w.as_slice() else {
        return Err(Problem::new(
            Code::InvalidAccess,
            "an access entry is `allow X` or `deny X`",
            0,
            text.len(),
        )
        .help("X is a CIDR (10.0.0.0/8), an address, or `all`"));
    };
    let allow = match *action {
        "allow" => true,
        "deny" => false,
        other => {
            return Err(Problem::new(
                Code::InvalidAccess,
                format!("`{other}` is neither allow nor deny"),
                0,
                other.len(),
            ));
        }
    };
    if *target == "all" {
        return Ok((AccessEntry { allow, net: None }, false));
    }
    let net: IpNet = match target.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => match target.parse::<std::net::IpAddr>() {
            Ok(ip) => IpNet::from(ip),
            Err(_) => {
                return Err(Problem::new(
                    Code::InvalidCidr,
                    format!("`{target}` is not an address or CIDR"),
                    *offset,
                    target.len(),
                ));
            }
        },
    };
    let host_bits = net.trunc() != net;
    Ok((
        AccessEntry {
            allow,
            net: Some(net.trunc()),
        },
        host_bits,
    ))
}

/// Request headers a viewer-request function may not set (cloudfront-runtime.md §6).
pub fn forbidden_header(name: &str) -> Option<&'static str> {
    const READ_ONLY: &[&str] = &[
        "host",
        "content-length",
        "transfer-encoding",
        "via",
        "cdn-loop",
    ];
    const DISALLOWED: &[&str] = &[
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "upgrade",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-limit-rate",
        "x-accel-redirect",
        "x-amzn-auth",
        "x-amzn-cf-billing",
        "x-amzn-cf-id",
        "x-amzn-cf-xff",
        "x-amzn-errortype",
        "x-amzn-fle-profile",
        "x-amzn-header-count",
        "x-amzn-header-order",
        "x-amzn-lambda-integration-tag",
        "x-amzn-requestid",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    ];
    if READ_ONLY.contains(&name) {
        return Some("read-only in a viewer-request function");
    }
    if DISALLOWED.contains(&name) || name.starts_with("x-amz-cf-") || name.starts_with("x-edge-") {
        return Some("not allowed in a CloudFront Function");
    }
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Some("not a header name (letters, digits and `-`)");
    }
    None
}

/// An `index` name: one file name with a `.`.
pub fn index(text: &str) -> Result<(), Problem> {
    let ok = text.contains('.')
        && !text.contains('/')
        && !text.contains('$')
        && text != "."
        && text != ".."
        && text.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            Code::InvalidIndex,
            format!("`{text}` is not one file name with a `.`"),
            0,
            text.len(),
        )
        .help("for example `index.html`"))
    }
}

/// Characters a root or alias may hold literally: those the origin re-encoding keeps as they are.
pub fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~/!&'()*+,;=:@".contains(c)
}

/// An origin id or domain name.
pub fn origin_name(text: &str, domain: bool) -> Result<(), Problem> {
    let ok = !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && (!domain || (!text.starts_with('.') && !text.ends_with('.') && !text.contains("..")));
    if ok {
        Ok(())
    } else {
        let what = if domain {
            "a domain name"
        } else {
            "an origin id"
        };
        Err(Problem::new(
            Code::InvalidOrigin,
            format!("`{text}` is not {what}"),
            0,
            text.len(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_forms() {
        assert_eq!(location("= /healthz").unwrap().modifier, "=");
        assert_eq!(
            location("^~   /app2/assets").unwrap().target,
            "/app2/assets"
        );
        assert_eq!(location("/").unwrap().modifier, "");
        assert_eq!(
            location(r"~* \.(png|jpe?g)$").unwrap().target,
            r"\.(png|jpe?g)$"
        );
        assert_eq!(location("=/x").unwrap_err().code, Code::InvalidLocation);
        assert_eq!(location("= x").unwrap_err().code, Code::InvalidLocation);
        assert_eq!(location("@named").unwrap_err().code, Code::InvalidLocation);
        assert_eq!(location("/a b").unwrap_err().code, Code::InvalidLocation);
    }

    #[test]
    fn rewrite_forms() {
        let r = rewrite("^/old/(.*)$ /new/$1 permanent").unwrap();
        assert_eq!(r.flag, Flag::Permanent);
        assert_eq!(rewrite("/app2/index.html").unwrap().flag, Flag::Break);
        assert_eq!(rewrite("^ https://x/ last").unwrap().flag, Flag::Redirect);
        assert_eq!(
            rewrite("^ /x sometimes").unwrap_err().code,
            Code::InvalidRewrite
        );
    }

    #[test]
    fn return_forms() {
        assert_eq!(ret("200 ok  then").unwrap(), (200, Some((4, "ok  then"))));
        assert_eq!(ret("404").unwrap(), (404, None));
        assert_eq!(ret("301").unwrap_err().code, Code::InvalidReturn);
        assert_eq!(ret("700 x").unwrap_err().code, Code::InvalidReturn);
        assert_eq!(ret("/x").unwrap_err().code, Code::InvalidReturn);
    }

    #[test]
    fn access_entries() {
        let (e, host_bits) = access("allow 10.1.2.3/8").unwrap();
        assert!(e.allow && host_bits);
        assert_eq!(e.net.unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            access("deny 2001:db8::1")
                .unwrap()
                .0
                .net
                .unwrap()
                .to_string(),
            "2001:db8::1/128"
        );
        assert!(access("deny all").unwrap().0.net.is_none());
        assert_eq!(
            access("allow 10.0.0.0/33").unwrap_err().code,
            Code::InvalidCidr
        );
        assert_eq!(access("permit all").unwrap_err().code, Code::InvalidAccess);
    }

    #[test]
    fn forbidden_headers() {
        assert!(forbidden_header("host").is_some());
        assert!(forbidden_header("x-edge-foo").is_some());
        assert!(forbidden_header("x-image").is_none());
    }
}
