//! Test requests and the viewer-request event built from them (cloudfront-runtime.md §5, rules.md Tests).
//!
//! The event comes from the raw `url` text, never from a parsed URL: the host (case, port, dots) and the
//! path (no decoding, no dot-segment removal) go in exactly as written, so odd requests can be tested.
//! The event is built with boa's object API, so no request text is ever spliced into code.

use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::JsArray;
use boa_engine::object::{FunctionObjectBuilder, JsObject};
use boa_engine::property::PropertyDescriptor;
use boa_engine::{Context, JsResult, JsString, JsValue, NativeFunction, js_string};

use crate::model::DEFAULT_IP;

/// A test request, as a cases file or `explain` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `https://HOST/PATH?QUERY`, used exactly as written.
    pub url: String,
    pub method: String,
    /// `viewer.ip`.
    pub ip: String,
    /// Request headers; names in any case; a `cookie` header is moved into `cookies`.
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
}

/// The parts of a request URL, sliced from the raw text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Everything between `://` and the path, port included.
    pub host: &'a str,
    /// The raw path; `/` when the URL has none.
    pub path: &'a str,
    /// The raw query without `?`; `None` when the URL has no `?`.
    pub query: Option<&'a str>,
}

/// Headers a function can never add (§6); `x-amz-cf-*` and `x-edge-*` are prefixes.
pub const DISALLOWED_HEADERS: &[&str] = &[
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

/// The `context` every harness event carries.
pub const DISTRIBUTION_DOMAIN: &str = "d111111abcdef8.cloudfront.net";
pub const DISTRIBUTION_ID: &str = "EDFDVBD6EXAMPLE";
pub const REQUEST_ID: &str = "edgeroute-harness-request";

impl Request {
    /// A `GET` from the default test address (rules.md Tests) with no headers or cookies.
    pub fn get(url: &str) -> Request {
        Request {
            url: url.to_owned(),
            method: "GET".to_owned(),
            ip: DEFAULT_IP.to_owned(),
            headers: Vec::new(),
            cookies: Vec::new(),
        }
    }

    /// Headers as the event carries them: lower-case names, `host` from the URL first, no `cookie`,
    /// none of the disallowed ones (CloudFront never shows them).
    pub fn event_headers(&self, host: &str) -> Vec<(String, String)> {
        let mut out = vec![("host".to_owned(), host.to_owned())];
        for (name, value) in &self.headers {
            let name = name.to_ascii_lowercase();
            if name != "host" && name != "cookie" && !is_disallowed(&name) {
                out.push((name, value.clone()));
            }
        }
        out
    }

    /// Cookies as the event carries them: the `cookie` header's pairs, then `cookies`.
    pub fn event_cookies(&self) -> Vec<(String, String)> {
        let header = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"));
        let mut out: Vec<(String, String)> = header.flat_map(|(_, v)| cookie_pairs(v)).collect();
        out.extend(self.cookies.iter().cloned());
        out
    }
}

/// A header a function never sees and cannot add (§6).
pub fn is_disallowed(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    DISALLOWED_HEADERS.contains(&name.as_str())
        || name.starts_with("x-amz-cf-")
        || name.starts_with("x-edge-")
}

/// Slices `https://HOST/PATH?QUERY` (any scheme) without decoding; a `#fragment` is cut, as a browser would.
pub fn split_url(url: &str) -> Result<UrlParts<'_>, String> {
    let rest = url.split_once("://").map(|(_, rest)| rest);
    let rest = rest.ok_or_else(|| format!("url `{url}` must look like https://HOST/PATH?QUERY"))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, rest) = rest.split_at(host_end);
    if host.is_empty() {
        return Err(format!("url `{url}` has no host"));
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok(UrlParts { host, path, query })
}

/// Splits a query string on `&` and the first `=`, keeping names and values raw; empty pieces are skipped.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let pieces = query.split('&').filter(|piece| !piece.is_empty());
    pieces.map(|piece| split_pair(piece, '=')).collect()
}

/// Builds the event object for `req` in `context` (cloudfront-runtime.md §5).
///
/// `raw_query_string` adds 2.0's `request.rawQueryString()`, which returns the raw query.
pub fn build_event(
    req: &Request,
    raw_query_string: bool,
    context: &mut Context,
) -> Result<JsObject, String> {
    Ok(BuiltEvent::build(req, raw_query_string, context)?.event)
}

/// An event built for one case, with what the harness keeps to judge the handler's return value.
pub(crate) struct BuiltEvent {
    pub event: JsObject,
    /// `event.request`, as built.
    pub request: JsObject,
    /// The headers the event carries ([`Request::event_headers`]).
    pub headers: Vec<(String, String)>,
}

impl BuiltEvent {
    pub(crate) fn build(
        req: &Request,
        raw_query_string: bool,
        context: &mut Context,
    ) -> Result<BuiltEvent, String> {
        let parts = split_url(&req.url)?;
        let headers = req.event_headers(parts.host);
        let built = event_object(req, parts, &headers, raw_query_string, context);
        let (event, request) = built.map_err(|e| format!("could not build the event: {e}"))?;
        Ok(BuiltEvent {
            event,
            request,
            headers,
        })
    }
}

/// The event and its `request`. Every object is fresh and ordinary, and every key is set once, so
/// properties are inserted directly: the same result as `CreateDataProperty`, without its checks
/// (a fifth of the time of building an event; docs/performance.md).
fn event_object(
    req: &Request,
    parts: UrlParts<'_>,
    headers: &[(String, String)],
    raw_qs: bool,
    ctx: &mut Context,
) -> JsResult<(JsObject, JsObject)> {
    let request = request_object(req, parts, headers, ctx);
    if raw_qs {
        define_raw_query_string(&request, parts.query, ctx)?;
    }
    let context_obj = object(
        [
            (
                js_string!("distributionDomainName"),
                js_string!(DISTRIBUTION_DOMAIN).into(),
            ),
            (
                js_string!("distributionId"),
                js_string!(DISTRIBUTION_ID).into(),
            ),
            (js_string!("eventType"), js_string!("viewer-request").into()),
            (js_string!("requestId"), js_string!(REQUEST_ID).into()),
        ],
        ctx,
    );
    let viewer = object([(js_string!("ip"), string(&req.ip))], ctx);
    let fields = [
        (js_string!("version"), js_string!("1.0").into()),
        (js_string!("context"), context_obj.into()),
        (js_string!("viewer"), viewer.into()),
        (js_string!("request"), request.clone().into()),
    ];
    Ok((object(fields, ctx), request))
}

fn request_object(
    req: &Request,
    parts: UrlParts<'_>,
    headers: &[(String, String)],
    ctx: &mut Context,
) -> JsObject {
    let query = parts.query.map(query_pairs).unwrap_or_default();
    let querystring = entries_object(&query, ctx);
    let headers = entries_object(headers, ctx);
    let cookies = entries_object(&req.event_cookies(), ctx);
    let fields = [
        (js_string!("method"), string(&req.method)),
        (js_string!("uri"), string(parts.path)),
        (js_string!("querystring"), querystring.into()),
        (js_string!("headers"), headers.into()),
        (js_string!("cookies"), cookies.into()),
    ];
    object(fields, ctx)
}

/// `{ name: { value } }`; a repeated name becomes one entry with `value` = first, `multiValue` = all.
fn entries_object(pairs: &[(String, String)], ctx: &mut Context) -> JsObject {
    let out = object([], ctx);
    for (name, values) in group(pairs) {
        let entry = object([(js_string!("value"), string(values[0]))], ctx);
        if values.len() > 1 {
            let items: Vec<JsValue> = values
                .iter()
                .map(|v| object([(js_string!("value"), string(v))], ctx).into())
                .collect();
            let multi = JsArray::from_iter(items, ctx);
            entry.insert_property(js_string!("multiValue"), data(multi.into()));
        }
        out.insert_property(JsString::from(name), data(entry.into()));
    }
    out
}

/// Groups values by name, names in order of first appearance.
fn group(pairs: &[(String, String)]) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, value) in pairs {
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value),
            None => out.push((name, vec![value])),
        }
    }
    out
}

/// `request.rawQueryString()`: the query without `?`, `""` for a bare `?`, undefined without one (§5).
fn define_raw_query_string(
    request: &JsObject,
    query: Option<&str>,
    ctx: &mut Context,
) -> JsResult<()> {
    let raw: JsValue = query.map_or(JsValue::undefined(), string);
    let native = NativeFunction::from_copy_closure_with_captures(
        |_, _, raw: &JsValue, _| Ok(raw.clone()),
        raw,
    );
    let function = FunctionObjectBuilder::new(ctx.realm(), native)
        .name(js_string!("rawQueryString"))
        .build();
    let descriptor = PropertyDescriptor::builder()
        .value(function)
        .writable(true)
        .enumerable(false)
        .configurable(true);
    request.define_property_or_throw(js_string!("rawQueryString"), descriptor, ctx)?;
    Ok(())
}

/// A fresh ordinary object with `fields` as writable, enumerable, configurable data properties.
///
/// It starts from the realm's root shape, as an object literal does, so objects built with the same
/// keys share their shapes: each key is a cached transition, and the function's property reads hit
/// boa's inline caches (a unique shape per object cost a twentieth of a replayed request;
/// docs/performance.md).
fn object<const N: usize>(fields: [(JsString, JsValue); N], ctx: &Context) -> JsObject {
    let proto = ctx.intrinsics().constructors().object().prototype();
    let out = JsObject::new(ctx.root_shape(), proto, OrdinaryObject).upcast();
    for (key, value) in fields {
        out.insert_property(key, data(value));
    }
    out
}

/// What `CreateDataProperty` defines.
fn data(value: JsValue) -> PropertyDescriptor {
    PropertyDescriptor::builder()
        .value(value)
        .writable(true)
        .enumerable(true)
        .configurable(true)
        .build()
}

fn string(text: &str) -> JsValue {
    JsString::from(text).into()
}

/// `a=1; b=2` → `[(a, 1), (b, 2)]`.
fn cookie_pairs(header: &str) -> Vec<(String, String)> {
    let pieces = header
        .split(';')
        .map(str::trim)
        .filter(|piece| !piece.is_empty());
    pieces.map(|piece| split_pair(piece, '=')).collect()
}

fn split_pair(piece: &str, sep: char) -> (String, String) {
    match piece.split_once(sep) {
        Some((name, value)) => (name.to_owned(), value.to_owned()),
        None => (piece.to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_json(req: &Request) -> serde_json::Value {
        let mut ctx = Context::default();
        let event = build_event(req, false, &mut ctx).unwrap();
        JsValue::from(event).to_json(&mut ctx).unwrap().unwrap()
    }

    #[test]
    fn url_is_sliced_raw() {
        let parts = split_url("https://WWW.Example.com.:8443/a/../%2e/B%20c?x=1#frag").unwrap();
        assert_eq!(parts.host, "WWW.Example.com.:8443");
        assert_eq!(parts.path, "/a/../%2e/B%20c");
        assert_eq!(parts.query, Some("x=1"));
        assert_eq!(split_url("https://h").unwrap().path, "/");
        assert_eq!(
            split_url("https://h?").unwrap(),
            UrlParts {
                host: "h",
                path: "/",
                query: Some("")
            }
        );
        assert!(split_url("example.com/a").is_err());
        assert!(split_url("https:///a").is_err());
    }

    #[test]
    fn query_splits_on_ampersand_and_first_equals() {
        let pairs = query_pairs("a=1=2&b&&c=x%20y&a=");
        let expected = [("a", "1=2"), ("b", ""), ("c", "x%20y"), ("a", "")];
        assert_eq!(pairs, expected.map(|(n, v)| (n.to_owned(), v.to_owned())));
    }

    #[test]
    fn event_has_the_documented_shape() {
        let mut req =
            Request::get("https://Kahoot-1.Example.COM:8080/a/./b%2Fc?tag=a&Q=x%20y&tag=b");
        req.headers = vec![
            ("X-Custom".into(), "v".into()),
            ("Cookie".into(), "sid=abc; t=1".into()),
        ];
        req.cookies = vec![("sid".into(), "def".into())];
        let event = event_json(&req);
        let expected = serde_json::json!({
            "version": "1.0",
            "context": { "distributionDomainName": DISTRIBUTION_DOMAIN, "distributionId": DISTRIBUTION_ID,
                         "eventType": "viewer-request", "requestId": REQUEST_ID },
            "viewer": { "ip": "198.51.100.10" },
            "request": {
                "method": "GET",
                "uri": "/a/./b%2Fc",
                "querystring": { "tag": { "value": "a", "multiValue": [{ "value": "a" }, { "value": "b" }] },
                                 "Q": { "value": "x%20y" } },
                "headers": { "host": { "value": "Kahoot-1.Example.COM:8080" }, "x-custom": { "value": "v" } },
                "cookies": { "sid": { "value": "abc", "multiValue": [{ "value": "abc" }, { "value": "def" }] },
                             "t": { "value": "1" } }
            }
        });
        assert_eq!(event, expected);
    }

    #[test]
    fn no_query_gives_empty_querystring_and_root_path() {
        let event = event_json(&Request::get("https://example.com"));
        assert_eq!(event["request"]["querystring"], serde_json::json!({}));
        assert_eq!(event["request"]["uri"], "/");
    }

    #[test]
    fn query_key_order_is_kept() {
        let mut ctx = Context::default();
        let event = build_event(&Request::get("https://h/?b=1&a=2&c=3"), false, &mut ctx).unwrap();
        ctx.global_object()
            .set(js_string!("e"), event, false, &mut ctx)
            .unwrap();
        let keys = ctx
            .eval(boa_engine::Source::from_bytes(
                "Object.keys(e.request.querystring).join()",
            ))
            .unwrap();
        assert_eq!(keys.as_string().unwrap().to_std_string_escaped(), "b,a,c");
    }
}
