//! `edgeroute schema`: the rules file described as a JSON Schema (draft 7), for editors.
//!
//! The YAML language server reads this schema to offer completion, hover text and early warnings
//! while someone writes rules (docs/rules.md, "Editor support"). It describes shape only — keys,
//! one-or-many values, maps — as `config.rs` checks it; meaning stays with `validate.rs`, so a file
//! the schema accepts can still have rule errors. The types below are never built: they mirror the
//! rules format so that schemars can derive the schema, and their doc comments become the
//! descriptions an editor shows. A unit test keeps their keys equal to `config.rs`'s key lists.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// The schema of a rules file as pretty-printed JSON, ending in a newline.
pub fn json() -> String {
    // Draft 7: the version the YAML language server supports.
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<RulesFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is plain JSON");
    text.push('\n');
    text
}

/// An edgeroute rules file: servers with nginx-style locations, and golden test cases.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(title = "edgeroute rules file", deny_unknown_fields)]
struct RulesFile {
    /// Format version; this edgeroute reads `edgeroute: 1`.
    edgeroute: Version,
    /// The CloudFront Functions runtime to compile for. `origin` needs cloudfront-js-2.0.
    #[schemars(default)]
    runtime: RuntimeName,
    /// How try_files decides that a file exists. `extension`: a candidate without a trailing `/`
    /// exists when its last segment contains a `.`; one with a trailing `/` exists when it is the
    /// directory the viewer asked for.
    #[schemars(default)]
    files: FilesModel,
    /// `true` (cloudfront-js-2.0 only): exact host names and exact locations go to CloudFront
    /// KeyValueStore (`build` writes `OUT.kvs.json`); wildcards, patterns, prefixes and regexes stay
    /// in the function.
    #[schemars(default)]
    kvs: Flag,
    /// The server blocks. The host picks one: exact names, then the longest leading wildcard, then
    /// the longest trailing wildcard, then params and regex patterns in file order.
    #[schemars(length(min = 1))]
    servers: Vec<Server>,
    /// Golden test cases: requests and what must come of them, run against the generated function.
    #[schemars(default)]
    tests: Vec<TestCase>,
}

/// A server block: which hosts it serves, and how.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Server {
    /// Host pattern(s): `www.example.com`, `*.example.com`, `www.example.*`, `.example.com`,
    /// `{id}.example.com` (a param), or `~regex` with named groups. Quote a name that starts
    /// with `*`.
    server_name: OneOrMany,
    /// The pattern each `{param}` label must match, anchored; default
    /// `[a-z0-9]([a-z0-9-]*[a-z0-9])?`. The value is available as `$name`.
    #[schemars(default)]
    params: TextMap,
    /// The server for hosts that match no server (else the first server).
    #[schemars(default)]
    default_server: Flag,
    /// The origin path is this path + the URI; inherited by locations.
    #[schemars(default)]
    root: Text,
    /// The file a URI ending in `/` is redirected to internally; default `index.html`; inherited.
    #[schemars(default)]
    index: Text,
    /// `allow X` / `deny X` entries (X a CIDR, an IP or `all`), first match decides; no match or a
    /// deny answers 403. Inherited by locations.
    #[schemars(default)]
    access: OneOrMany,
    /// Headers set on the request sent to the origin; inherited by locations.
    #[schemars(default)]
    add_request_headers: TextMap,
    /// Another origin of the distribution, by id or `{domain: NAME}` (cloudfront-js-2.0 only);
    /// inherited by locations.
    #[schemars(default)]
    origin: Origin,
    /// Rewrite rules run before the location search: `TARGET`, or `REGEX REPLACEMENT [FLAG]` with
    /// FLAG one of last, break, redirect, permanent.
    #[schemars(default)]
    rewrite: OneOrMany,
    /// `CODE [TEXT|URL]`: answer before the location search.
    #[schemars(default, rename = "return")]
    return_: Text,
    /// A CSV file (header `from,to,status`; status default 301), relative to the rules file: each
    /// row is an exact location `= from` with `return: status to`.
    #[schemars(default)]
    redirects: Text,
    /// The locations, chosen as nginx does: exact, then the longest prefix unless a regex matches.
    #[schemars(default)]
    locations: Vec<Location>,
    /// Lint codes accepted on purpose for this server and its locations (docs/lints.md), e.g.
    /// `[access-widened]`.
    #[schemars(default)]
    allow: OneOrMany,
}

/// A location block: which paths it serves, and how.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Location {
    /// `= /exact`, `^~ /prefix`, `/prefix`, `~ regex` or `~* regex` (case-insensitive).
    location: Text,
    /// The origin path is this path + the URI (replaces the server's root).
    #[schemars(default)]
    root: Text,
    /// The origin path is this path + the URI without the location's prefix (a regex location:
    /// this path itself, with `$1`…).
    #[schemars(default)]
    alias: Text,
    /// The file a URI ending in `/` is redirected to internally; default `index.html`.
    #[schemars(default)]
    index: Text,
    /// `allow X` / `deny X` entries; replaces the server's list, checked first in this location.
    #[schemars(default)]
    access: OneOrMany,
    /// Headers set on the request sent to the origin (replaces the server's map).
    #[schemars(default)]
    add_request_headers: TextMap,
    /// Another origin of the distribution, by id or `{domain: NAME}` (cloudfront-js-2.0 only).
    #[schemars(default)]
    origin: Origin,
    /// `TARGET`, or `REGEX REPLACEMENT [FLAG]` with FLAG one of last, break, redirect, permanent.
    #[schemars(default)]
    rewrite: OneOrMany,
    /// `CODE [TEXT|URL]`: answer directly, after this location's rewrite rules.
    #[schemars(default, rename = "return")]
    return_: Text,
    /// Candidates then a fallback (a URI or `=CODE`); existence follows the files model.
    #[schemars(default)]
    try_files: TryFiles,
    /// Lint codes accepted on purpose for this location (docs/lints.md), e.g. `[open-redirect]`.
    #[schemars(default)]
    allow: OneOrMany,
}

/// A golden test case: one request and what must come of it.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TestCase {
    /// `https://HOST/PATH?QUERY`, sent exactly as written; HOST becomes the Host header.
    url: Text,
    /// The request method; default GET.
    #[schemars(default)]
    method: Text,
    /// The viewer's IP; default 198.51.100.10.
    #[schemars(default)]
    ip: Text,
    /// Request headers sent with the request.
    #[schemars(default)]
    request_headers: TextMap,
    /// Cookies sent with the request.
    #[schemars(default)]
    cookies: TextMap,
    /// Expect the request passed on with exactly this URI (root or alias + URI, re-encoded).
    #[schemars(default)]
    uri: Text,
    /// Expect this query string on the request passed on (`""`: none).
    #[schemars(default)]
    querystring: Text,
    /// Expect a generated response with this status.
    #[schemars(default)]
    status: Text,
    /// Expect a generated response with this Location header.
    #[schemars(default)]
    location: Text,
    /// Expect a generated response with exactly this body (the TEXT of `return CODE TEXT`).
    #[schemars(default)]
    body: Text,
    /// Expect each header with exactly this value (`null`: absent), on the request or response.
    #[schemars(default)]
    headers: ExpectedHeaders,
    /// Expect the last location entered to be this one (its `location` text), or `none`.
    #[schemars(default)]
    matched: Text,
    /// Expect this origin: an id, `{domain: NAME}`, or `default` for neither.
    #[schemars(default)]
    origin: Origin,
}

/// `origin: {domain: NAME}`.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct OriginDomain {
    /// The origin's domain name.
    domain: Text,
}

/// A scalar: every value is text, and a number or boolean is taken as written.
#[derive(Default)]
struct Text;

/// One text value or a list of them.
#[derive(Default)]
struct OneOrMany;

/// A `try_files` list: at least one candidate and a fallback.
#[derive(Default)]
struct TryFiles;

/// A mapping of names to text values.
#[derive(Default)]
struct TextMap;

/// A mapping of header names to a value, or `null` for absent.
#[derive(Default)]
struct ExpectedHeaders;

/// `true` or `false`.
#[derive(Default)]
struct Flag;

/// The format version: `1`.
#[derive(Default)]
struct Version;

/// `cloudfront-js-1.0` or `cloudfront-js-2.0`.
#[derive(Default)]
struct RuntimeName;

/// `extension`, the only files model of version 1.
#[derive(Default)]
struct FilesModel;

/// An origin id, or `{domain: NAME}`.
#[derive(Default)]
struct Origin;

/// A hand-written schema for a small value type, inlined where it is used.
macro_rules! inline_schema {
    ($type:ty, $name:literal, |$generator:ident| $schema:expr) => {
        impl JsonSchema for $type {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

inline_schema!(Text, "Text", |_g| json_schema!({
    "type": ["string", "number", "boolean"]
}));
inline_schema!(OneOrMany, "OneOrMany", |g| json_schema!({
    "anyOf": [g.subschema_for::<Text>(), { "type": "array", "items": g.subschema_for::<Text>() }]
}));
inline_schema!(TryFiles, "TryFiles", |g| json_schema!({
    "type": "array",
    "items": g.subschema_for::<Text>(),
    "minItems": 2
}));
inline_schema!(TextMap, "TextMap", |g| json_schema!({
    "type": "object",
    "additionalProperties": g.subschema_for::<Text>()
}));
inline_schema!(ExpectedHeaders, "ExpectedHeaders", |_g| json_schema!({
    "type": "object",
    "additionalProperties": { "type": ["string", "number", "boolean", "null"] }
}));
inline_schema!(Flag, "Flag", |_g| json_schema!({
    "enum": [true, false, "true", "false"]
}));
inline_schema!(Version, "Version", |_g| json_schema!({ "enum": [1, "1"] }));
inline_schema!(RuntimeName, "RuntimeName", |_g| json_schema!({
    "enum": ["cloudfront-js-1.0", "cloudfront-js-2.0"],
    "default": "cloudfront-js-1.0"
}));
inline_schema!(FilesModel, "FilesModel", |_g| json_schema!({
    "enum": ["extension"],
    "default": "extension"
}));
inline_schema!(Origin, "Origin", |g| json_schema!({
    "anyOf": [g.subschema_for::<Text>(), g.subschema_for::<OriginDomain>()]
}));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::config::{LOCATION_KEYS, SERVER_KEYS, TEST_KEYS, TOP_KEYS};

    /// Keys `config.rs` accepts on a server only to report them as location-only (validate.rs):
    /// the schema leaves them out, so an editor flags them at once.
    const LOCATION_ONLY: &[&str] = &["alias", "try_files"];

    fn schema() -> serde_json::Value {
        serde_json::from_str(&json()).expect("valid JSON")
    }

    /// The property names of an object schema, checking it allows no other key.
    fn keys(object: &serde_json::Value) -> Vec<String> {
        assert_eq!(object["additionalProperties"], false, "{object:#}");
        let mut keys: Vec<String> = object["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        keys.sort();
        keys
    }

    #[test]
    fn objects_have_exactly_the_keys_config_accepts() {
        let schema = schema();
        let definitions = &schema["definitions"];
        assert_eq!(keys(&schema), sorted(TOP_KEYS));
        let server: Vec<&str> = SERVER_KEYS
            .iter()
            .copied()
            .filter(|k| !LOCATION_ONLY.contains(k))
            .collect();
        assert_eq!(keys(&definitions["Server"]), sorted(&server));
        assert_eq!(keys(&definitions["Location"]), sorted(LOCATION_KEYS));
        assert_eq!(keys(&definitions["TestCase"]), sorted(TEST_KEYS));
        assert_eq!(keys(&definitions["OriginDomain"]), sorted(&["domain"]));
    }

    #[test]
    fn required_keys_match_the_format() {
        let schema = schema();
        let required = |object: &serde_json::Value| object["required"].clone();
        let definitions = &schema["definitions"];
        assert_eq!(
            required(&schema),
            serde_json::json!(["edgeroute", "servers"])
        );
        assert_eq!(
            required(&definitions["Server"]),
            serde_json::json!(["server_name"])
        );
        assert_eq!(
            required(&definitions["Location"]),
            serde_json::json!(["location"])
        );
        assert_eq!(
            required(&definitions["TestCase"]),
            serde_json::json!(["url"])
        );
    }

    #[test]
    fn committed_copy_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/edgeroute.schema.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == json(),
            "docs/edgeroute.schema.json is stale: run \
             `cargo run -- schema > docs/edgeroute.schema.json`"
        );
    }
}
