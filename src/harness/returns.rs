//! Judging what the handler returned (cloudfront-runtime.md §6, §8).
//!
//! A valid return is `event.request`, mutated within the rules, or a new response object. Anything
//! else is what CloudFront answers with 502, so it becomes `RunError::InvalidResult` naming the field
//! at fault; header-rule failures say `header rule:` first, as §8 reports them apart.

use boa_engine::object::JsObject;
use boa_engine::property::PropertyKey;
use boa_engine::{Context, JsString, JsValue, js_string};

use super::{OriginCall, Outcome, RunError, describe, js_error};
use crate::harness::event::{is_disallowed, query_pairs};

/// One case's event, kept to judge the return value.
pub(super) struct CaseEvent {
    pub event: JsObject,
    pub request: JsObject,
    pub method: String,
    /// The headers the event carried, to spot a changed read-only header.
    pub headers: Vec<(String, String)>,
}

/// The outcome `value` stands for, or why CloudFront would reject it; `origin` is the recorded call.
pub(super) fn check_result(
    value: &JsValue,
    case: &CaseEvent,
    origin: OriginCall,
    ctx: &mut Context,
) -> Result<Outcome, RunError> {
    let Some(object) = value.as_object() else {
        let got = describe(value);
        return Err(invalid(format!(
            "returned {got}; return event.request or a response"
        )));
    };
    if JsObject::equals(&object, &case.event) {
        return Err(invalid(
            "returned the whole event; return event.request or a response".into(),
        ));
    }
    if JsObject::equals(&object, &case.request) {
        return check_request(&object, case, origin, ctx);
    }
    if has(&object, js_string!("statusCode"), ctx)? {
        return check_response(&object, ctx);
    }
    if has(&object, js_string!("uri"), ctx)? {
        return check_request(&object, case, origin, ctx);
    }
    let why = "returned an object that is neither a request (`uri`) nor a response (`statusCode`)";
    Err(invalid(why.into()))
}

/// Read-only request headers in viewer-request (§6).
const READ_ONLY_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "via",
    "cdn-loop",
];

/// URI plus query string must stay under this many characters (§6).
const MAX_URI_AND_QUERY: usize = 8_192;

fn check_request(
    request: &JsObject,
    case: &CaseEvent,
    origin: OriginCall,
    ctx: &mut Context,
) -> Result<Outcome, RunError> {
    let uri = get(request, js_string!("uri"), ctx)?;
    let Some(uri) = text(&uri) else {
        return Err(invalid(format!(
            "request.uri must be a string, got {}",
            describe(&uri)
        )));
    };
    if !uri.starts_with('/') {
        return Err(invalid(format!("request.uri must start with `/`: `{uri}`")));
    }
    check_method(request, &case.method, ctx)?;
    let (querystring, query_len) = request_query(request, ctx)?;
    let headers = get(request, js_string!("headers"), ctx)?;
    let headers = entries(&headers, "request.headers", ctx)?;
    check_header_rules(&headers, &case.headers)?;
    let length = uri.chars().count() + if query_len > 0 { query_len + 1 } else { 0 };
    if length >= MAX_URI_AND_QUERY {
        let why = format!("URI plus query string is {length} characters; must be under 8,192");
        return Err(invalid(why));
    }
    Ok(Outcome::Pass {
        uri,
        querystring,
        headers,
        origin,
    })
}

fn check_method(request: &JsObject, original: &str, ctx: &mut Context) -> Result<(), RunError> {
    let method = get(request, js_string!("method"), ctx)?;
    if text(&method).as_deref() == Some(original) {
        return Ok(());
    }
    let got = text(&method).unwrap_or_else(|| describe(&method));
    Err(invalid(format!(
        "request.method is read-only: `{original}` became `{got}`"
    )))
}

/// The request's query as pairs, and its length: an object of entries or a string (§6).
fn request_query(
    request: &JsObject,
    ctx: &mut Context,
) -> Result<(Vec<(String, String)>, usize), RunError> {
    let query = get(request, js_string!("querystring"), ctx)?;
    if let Some(raw) = text(&query) {
        if raw.chars().any(|c| c == ' ' || c == '#' || c.is_control()) {
            let why = format!("request.querystring `{raw}` has a space, control character or `#`");
            return Err(invalid(why));
        }
        return Ok((query_pairs(&raw), raw.chars().count()));
    }
    if !query.is_object() {
        let got = describe(&query);
        return Err(invalid(format!(
            "request.querystring must be an object or a string, got {got}"
        )));
    }
    let pairs = entries(&query, "request.querystring", ctx)?;
    let length: usize = pairs
        .iter()
        .map(|(n, v)| n.chars().count() + v.chars().count() + 2)
        .sum();
    Ok((pairs, length.saturating_sub(1)))
}

/// Lower-case names, nothing disallowed added, read-only headers unchanged (§6).
fn check_header_rules(
    headers: &[(String, String)],
    original: &[(String, String)],
) -> Result<(), RunError> {
    for (name, _) in headers {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid(format!(
                "header rule: header name `{name}` must be lower case"
            )));
        }
        if is_disallowed(name) {
            return Err(invalid(format!(
                "header rule: disallowed header `{name}` cannot be added"
            )));
        }
    }
    for name in READ_ONLY_HEADERS {
        let (before, after) = (values_of(original, name), values_of(headers, name));
        if before != after {
            let why = format!(
                "header rule: read-only header `{name}` changed from {before:?} to {after:?}"
            );
            return Err(invalid(why));
        }
    }
    Ok(())
}

fn values_of<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn check_response(response: &JsObject, ctx: &mut Context) -> Result<Outcome, RunError> {
    let code = get(response, js_string!("statusCode"), ctx)?;
    let status = match code.as_number() {
        Some(n) if n.fract() == 0.0 && (200.0..=599.0).contains(&n) => n as u16,
        _ => {
            return Err(invalid(format!(
                "statusCode must be an integer 200–599, got {}",
                describe(&code)
            )));
        }
    };
    let description = get(response, js_string!("statusDescription"), ctx)?;
    if !description.is_undefined() && !description.is_string() {
        let got = describe(&description);
        return Err(invalid(format!(
            "statusDescription must be a string, got {got}"
        )));
    }
    let headers = get(response, js_string!("headers"), ctx)?;
    let headers = if headers.is_undefined() {
        Vec::new()
    } else {
        entries(&headers, "response.headers", ctx)?
    };
    let cookies = get(response, js_string!("cookies"), ctx)?;
    if !cookies.is_undefined() && !cookies.is_object() {
        return Err(invalid(format!(
            "response.cookies must be an object, got {}",
            describe(&cookies)
        )));
    }
    let body = response_body(response, ctx)?;
    Ok(Outcome::Answer {
        status,
        headers,
        body,
    })
}

/// `body`: absent, a string, or `{ encoding: "text" | "base64", data }` with valid base64 (§6).
fn response_body(response: &JsObject, ctx: &mut Context) -> Result<Option<String>, RunError> {
    let body = get(response, js_string!("body"), ctx)?;
    if body.is_undefined() {
        return Ok(None);
    }
    if let Some(body) = text(&body) {
        return Ok(Some(body));
    }
    let Some(object) = body.as_object() else {
        let got = describe(&body);
        return Err(invalid(format!(
            "response.body must be a string or {{ encoding, data }}, got {got}"
        )));
    };
    let encoding = text(&get(&object, js_string!("encoding"), ctx)?);
    let data = text(&get(&object, js_string!("data"), ctx)?);
    let data = data.ok_or_else(|| invalid("response.body.data must be a string".into()))?;
    match encoding.as_deref() {
        Some("text") => Ok(Some(data)),
        Some("base64") if is_base64(&data) => Ok(Some(data)),
        Some("base64") => Err(invalid("response.body is not valid base64".into())),
        _ => Err(invalid(
            "response.body.encoding must be \"text\" or \"base64\"".into(),
        )),
    }
}

/// `{ name: { value, multiValue? } }` as pairs; a non-empty `multiValue` wins over `value` (§6).
fn entries(
    value: &JsValue,
    what: &str,
    ctx: &mut Context,
) -> Result<Vec<(String, String)>, RunError> {
    let Some(object) = value.as_object() else {
        return Err(invalid(format!(
            "{what} must be an object, got {}",
            describe(value)
        )));
    };
    let keys = object
        .own_property_keys(ctx)
        .map_err(|e| js_error(e, ctx))?;
    let mut out = Vec::new();
    for key in keys {
        if matches!(key, PropertyKey::Symbol(_)) {
            continue;
        }
        let name = match &key {
            PropertyKey::String(name) => super::std_string(name),
            _ => key.to_string(),
        };
        let entry = object.get(key, ctx).map_err(|e| js_error(e, ctx))?;
        let values = entry_values(&entry, || format!("{what}.{name}"), ctx)?;
        out.extend(values.into_iter().map(|value| (name.clone(), value)));
    }
    Ok(out)
}

/// `what` names the entry in an error; it is only formatted for one.
fn entry_values(
    entry: &JsValue,
    what: impl Fn() -> String,
    ctx: &mut Context,
) -> Result<Vec<String>, RunError> {
    let shape = || invalid(format!("{} must be {{ value: string }}", what()));
    let object = entry.as_object().ok_or_else(shape)?;
    let multi = get(&object, js_string!("multiValue"), ctx)?;
    if let Some(items) = multi.as_object().filter(JsObject::is_array) {
        let values = multi_values(&items, &what(), ctx)?;
        if !values.is_empty() {
            return Ok(values);
        }
    }
    let value = text(&get(&object, js_string!("value"), ctx)?).ok_or_else(shape)?;
    Ok(vec![value])
}

fn multi_values(items: &JsObject, what: &str, ctx: &mut Context) -> Result<Vec<String>, RunError> {
    let length = get(items, js_string!("length"), ctx)?
        .as_number()
        .unwrap_or(0.0) as usize;
    let mut values = Vec::with_capacity(length);
    for i in 0..length {
        let item = items.get(i, ctx).map_err(|e| js_error(e, ctx))?;
        let value = match item.as_object() {
            Some(item) => text(&get(&item, js_string!("value"), ctx)?),
            None => None,
        };
        let shape = || {
            invalid(format!(
                "{what}.multiValue[{i}] must be {{ value: string }}"
            ))
        };
        values.push(value.ok_or_else(shape)?);
    }
    Ok(values)
}

fn is_base64(data: &str) -> bool {
    let bytes = data.as_bytes();
    let body = bytes.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let padding = bytes.len() - body;
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    bytes.len().is_multiple_of(4) && padding <= 2 && bytes[..body].iter().all(alphabet)
}

fn get(object: &JsObject, key: JsString, ctx: &mut Context) -> Result<JsValue, RunError> {
    object.get(key, ctx).map_err(|e| js_error(e, ctx))
}

fn has(object: &JsObject, key: JsString, ctx: &mut Context) -> Result<bool, RunError> {
    object.has_property(key, ctx).map_err(|e| js_error(e, ctx))
}

fn text(value: &JsValue) -> Option<String> {
    value.as_string().map(|s| super::std_string(&s))
}

fn invalid(reason: String) -> RunError {
    RunError::InvalidResult(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::Harness;
    use crate::harness::event::Request;
    use crate::runtime::Runtime;

    /// `handler` evaluates `body` with `event` and `request` in scope and returns its `r`.
    fn handler_result(body: &str) -> Result<Outcome, RunError> {
        let js = format!(
            "function route(event, T) {{ var request = event.request; {body} }}\n\
             function handler(event) {{ return route(event).r; }}\n"
        );
        let mut harness = Harness::load(&js, Runtime::Js1).unwrap();
        harness.handler(&Request::get("https://example.com/a?x=1"))
    }

    #[test]
    fn each_invalid_return_is_a_502_with_its_reason() {
        let cases = [
            ("return { r: undefined };", "returned undefined"),
            ("return { r: event };", "returned the whole event"),
            ("return { r: 'text' };", "returned the string \"text\""),
            ("return { r: {} };", "neither a request"),
            (
                "return { r: { statusCode: 700 } };",
                "statusCode must be an integer 200–599",
            ),
            (
                "return { r: { statusCode: 301.5 } };",
                "statusCode must be an integer",
            ),
            (
                "return { r: { statusCode: '301' } };",
                "statusCode must be an integer",
            ),
            (
                "return { r: { statusCode: 200, statusDescription: 5 } };",
                "statusDescription must be a string",
            ),
            (
                "return { r: { statusCode: 200, headers: { a: 'b' } } };",
                "response.headers.a must be { value: string }",
            ),
            (
                "return { r: { statusCode: 200, cookies: 'a' } };",
                "response.cookies must be an object",
            ),
            (
                "return { r: { statusCode: 200, body: { encoding: 'base64', data: 'a$==' } } };",
                "not valid base64",
            ),
            (
                "return { r: { statusCode: 200, body: { encoding: 'gzip', data: '' } } };",
                "encoding must be",
            ),
            (
                "return { r: { statusCode: 200, body: 5 } };",
                "response.body must be a string",
            ),
            (
                "request.uri = 'a'; return { r: request };",
                "request.uri must start with `/`",
            ),
            (
                "request.uri = 5; return { r: request };",
                "request.uri must be a string",
            ),
            (
                "request.method = 'POST'; return { r: request };",
                "request.method is read-only",
            ),
            (
                "request.querystring = 'a=b c'; return { r: request };",
                "has a space, control character or `#`",
            ),
            (
                "request.querystring = 'a#b'; return { r: request };",
                "has a space",
            ),
            (
                "request.querystring = 'a\\u0001'; return { r: request };",
                "has a space",
            ),
            (
                "request.querystring = 5; return { r: request };",
                "must be an object or a string",
            ),
            (
                "request.querystring.q = { value: 1 }; return { r: request };",
                "request.querystring.q must be",
            ),
            (
                "request.headers.a = { multiValue: [1] }; return { r: request };",
                "request.headers.a.multiValue[0]",
            ),
            (
                "request.headers['X-Up'] = { value: '1' }; return { r: request };",
                "header rule: header name `X-Up`",
            ),
            (
                "request.headers['x-real-ip'] = { value: '1' }; return { r: request };",
                "header rule: disallowed header `x-real-ip`",
            ),
            (
                "request.headers['x-edge-a'] = { value: '1' }; return { r: request };",
                "disallowed header `x-edge-a`",
            ),
            (
                "request.headers['x-amz-cf-b'] = { value: '1' }; return { r: request };",
                "disallowed header `x-amz-cf-b`",
            ),
            (
                "request.headers.host = { value: 'other' }; return { r: request };",
                "read-only header `host` changed",
            ),
            (
                "delete request.headers.host; return { r: request };",
                "read-only header `host` changed",
            ),
            (
                "request.headers.via = { value: '1.1 x' }; return { r: request };",
                "read-only header `via` changed",
            ),
            (
                "request.uri = '/' + 'a'.repeat(8189); request.querystring = 'b'; return { r: request };",
                "under 8,192",
            ),
        ];
        for (body, needle) in cases {
            match handler_result(body) {
                Err(RunError::InvalidResult(reason)) => {
                    assert!(reason.contains(needle), "{body}: {reason}");
                }
                other => panic!("{body}: expected an invalid result, got {other:?}"),
            }
        }
        let error = handler_result("return { r: undefined };").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid return → 502: returned undefined")
        );
    }

    #[test]
    fn valid_returns_pass() {
        let body = "request.querystring = 'a=1&b'; request.headers['x-up'] = { value: '1', \
                    multiValue: [{ value: '1' }, { value: '2' }] }; return { r: request };";
        let Ok(Outcome::Pass {
            querystring,
            headers,
            ..
        }) = handler_result(body)
        else {
            panic!()
        };
        assert_eq!(
            querystring,
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), String::new())
            ]
        );
        assert_eq!(
            headers[1..],
            [
                ("x-up".to_owned(), "1".to_owned()),
                ("x-up".to_owned(), "2".to_owned())
            ]
        );
        let longest = "request.uri = '/' + 'a'.repeat(8188); request.querystring = 'b'; return { r: request };";
        assert!(handler_result(longest).is_ok(), "8,191 characters pass");
        let base64 =
            "return { r: { statusCode: 200, body: { encoding: 'base64', data: 'aGk=' } } };";
        assert!(
            matches!(handler_result(base64), Ok(Outcome::Answer { status: 200, body: Some(b), .. }) if b == "aGk=")
        );
        let fresh = "return { r: { uri: '/x', method: 'GET', querystring: {}, \
                     headers: { host: { value: 'example.com' } } } };";
        assert!(matches!(handler_result(fresh), Ok(Outcome::Pass { uri, .. }) if uri == "/x"));
    }

    #[test]
    fn base64_alphabet_and_padding() {
        for good in ["", "aGk=", "aGVsbG8=", "YQ==", "ab+/"] {
            assert!(is_base64(good), "{good}");
        }
        for bad in ["a", "aGk", "a===", "a$c=", "ab=c"] {
            assert!(!is_base64(bad), "{bad}");
        }
    }
}
