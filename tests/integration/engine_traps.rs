//! No engine quirk decides an answer (rules.md "Safety"; issue 14): URIs, hosts, query values,
//! headers and cookies with non-ASCII characters at every length from 1 to 300, raw and
//! percent-encoded, in every position, get the same answer in boa, njs and node. njs 0.7.9 fails a
//! global `replace` on a non-ASCII string whose length is a multiple of 32 (it throws at 32 and
//! loops at 64 and more), and PCRE's `$` also matches before a final newline.

use edgeroute::diagnostic::Diagnostics;
use edgeroute::harness::Outcome;
use edgeroute::harness::engines::{self, Engine};
use edgeroute::harness::event::Request;
use edgeroute::pipeline;
use edgeroute::runtime::Runtime;

use crate::common::root;
use crate::oracle;

/// The requests: for each length 1..=300, a URI of ASCII with one non-ASCII char (raw, or its
/// UTF-8 escapes) at the start, the middle and the end; the same in a host label, a query value,
/// a header and a cookie; and the newline forms.
fn requests(host: &str) -> Vec<Request> {
    let mut out = Vec::new();
    let plain = |url: String| Request {
        url,
        method: "GET".to_owned(),
        ip: "192.0.2.10".to_owned(),
        headers: Vec::new(),
        cookies: Vec::new(),
    };
    for len in 1..=300usize {
        for (i, ch) in ["é", "中", "😀"].iter().enumerate() {
            let enc: String = ch.bytes().map(|b| format!("%{b:02X}")).collect();
            let fill = |n: usize| "a".repeat(n);
            let ext = if len % 2 == 0 { ".png" } else { "" };
            for form in [*ch, enc.as_str()] {
                // the char at the end, at the start and in the middle of a path of `len` chars
                let rest = len.saturating_sub(1);
                let half = rest / 2;
                let paths = [
                    format!("/assets/{}{form}{ext}", fill(rest)),
                    format!("/assets/{form}{}{ext}", fill(rest)),
                    format!("/assets/{}{form}{}{ext}", fill(half), fill(rest - half)),
                ];
                for path in paths {
                    out.push(plain(format!("https://{host}{path}")));
                }
            }
            if i == 0 {
                let value = format!("{}{ch}", "b".repeat(len - 1));
                out.push(plain(format!("https://{host}/assets/q.png?v={value}")));
                out.push(Request {
                    headers: vec![("x-v".to_owned(), value.clone())],
                    cookies: vec![("c".to_owned(), value.clone())],
                    ..plain(format!("https://{host}/assets/h.png"))
                });
                let label: String = value.chars().take(63).collect();
                out.push(plain(format!("https://{label}.{host}/assets/x.png")));
            }
        }
    }
    for tail in ["\n", "%0A", "\r\n"] {
        out.push(plain(format!("https://{host}/assets/x.png{tail}")));
        out.push(plain(format!("https://{host}{tail}/assets/x.png")));
    }
    out
}

fn answer(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pass {
            uri, querystring, ..
        } => format!("uri {uri} {querystring:?}"),
        Outcome::Answer { status, .. } => format!("status {status}"),
    }
}

/// The engines a test runs: boa, and njs and node where installed (`oracle::require_tool` says
/// loudly when one is missing, and fails in CI).
fn engines_for(what: &str) -> Vec<Engine> {
    let mut out = vec![Engine::Boa];
    for engine in [Engine::Njs, Engine::Node] {
        if oracle::require_tool(engine.name(), what).is_some() {
            out.push(engine);
        }
    }
    out
}

/// The answer of function `js` in `engine` to each request (`file` names it in a failure).
fn answers(
    file: &str,
    engine: Engine,
    js: &str,
    runtime: Runtime,
    requests: &[Request],
) -> Vec<String> {
    engines::route_all(engine, js, runtime, requests)
        .unwrap_or_else(|e| panic!("{file}: {} did not run: {e}", engine.name()))
        .iter()
        .zip(requests)
        .map(|(r, req)| match r {
            Ok(d) => answer(&d.outcome),
            Err(e) => panic!("{file}: {} {:?}: {e}", engine.name(), req.url),
        })
        .collect()
}

#[test]
fn non_ascii_at_every_length_gets_the_same_answer_in_every_engine() {
    let engines = engines_for("the engine-trap test");
    for (file, host) in [
        (
            "fixtures/ok/monorepo-previews.yaml",
            "kahoot-1234.group1.example.com",
        ),
        (
            "fixtures/ok/openfaas-previews.yaml",
            "pr-42.preview.example.com",
        ),
        ("fixtures/ok/every-feature.yaml", "ab-1.t.example.com"),
    ] {
        let loaded = pipeline::load(&root().join(file)).expect("readable");
        let rules = loaded.rules.expect("valid");
        let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generate");
        let requests = requests(host);
        let answers: Vec<(Engine, Vec<String>)> = engines
            .iter()
            .map(|&e| (e, answers(file, e, &generated.js, rules.runtime, &requests)))
            .collect();
        let (first, base) = &answers[0];
        for (engine, other) in &answers[1..] {
            for ((a, b), req) in base.iter().zip(other).zip(&requests) {
                assert_eq!(
                    a,
                    b,
                    "{file}: {:?} answers differ: {} vs {}",
                    req.url,
                    first.name(),
                    engine.name()
                );
            }
        }
        // a raw or escaped newline never reaches a route
        for (req, a) in requests.iter().zip(base) {
            if req.url.contains('\n') || req.url.contains("%0A") {
                assert_eq!(a, "status 400", "{:?}", req.url);
            }
        }
    }
}

/// Origin-URI encoding of bytes, the reference the generated function must match: unreserved
/// chars, "/" and `!$&'()*+,;=:@` stay, every other byte is `%XX`.
fn escape_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'~' | b'-' | b'/' => {
                char::from(b).to_string()
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':'
            | b'@' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every byte from 0x80, next to each byte that shapes the encoding passes (leads C2/C3 and the
/// continuation ranges 80-BF of each pass) and to ASCII that is escaped or kept, arrives at the
/// origin as its own `%XX`, in every engine; both orders. Pairs that are UTF-8 take the decoding
/// path, the others the byte path; an escaped control char is a 400.
#[test]
fn every_high_byte_next_to_every_boundary_byte_reaches_the_origin_as_its_escape() {
    let engines = engines_for("the byte-encoding test");
    let yaml = "edgeroute: 1\nruntime: cloudfront-js-2.0\nservers:\n  - server_name: b.example.com\n    root: /srv\n    locations:\n      - location: /\n";
    let loaded = pipeline::load_bytes("bytes.yaml", yaml.as_bytes().to_vec());
    let rules = loaded.rules.expect("valid");
    let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generate");
    let boundary: Vec<u8> = [
        0x01, 0x20, 0x22, 0x23, 0x25, 0x2F, 0x3F, 0x41, 0x5C, 0x7E, 0x7F,
    ]
    .into_iter()
    .chain([
        0x80, 0x83, 0x8F, 0x90, 0x95, 0x9F, 0xA0, 0xA9, 0xAF, 0xB0, 0xB8, 0xBF,
    ])
    .chain([
        0xC0, 0xC2, 0xC3, 0xCF, 0xD0, 0xDF, 0xE0, 0xE4, 0xEF, 0xF0, 0xFF,
    ])
    .collect();
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for high in 0x80..=0xFFu8 {
        for &other in &boundary {
            for pair in [[high, other], [other, high]] {
                let escaped: String = pair.iter().map(|b| format!("%{b:02X}")).collect();
                requests.push(Request::get(&format!("https://b.example.com/x{escaped}x")));
                let mut bytes = b"/srv/x".to_vec();
                bytes.extend(pair);
                bytes.push(b'x');
                let control = pair.iter().any(|&b| b < 0x20 || b == 0x7F);
                expected.push(if control {
                    "status 400".to_owned()
                } else {
                    format!("uri {}", escape_bytes(&bytes))
                });
            }
        }
    }
    for engine in engines {
        let results = engines::route_all(engine, &generated.js, rules.runtime, &requests)
            .unwrap_or_else(|e| panic!("{} did not run: {e}", engine.name()));
        for ((result, req), want) in results.iter().zip(&requests).zip(&expected) {
            let got = match result {
                Ok(d) => match &d.outcome {
                    Outcome::Pass { uri, .. } => format!("uri {uri}"),
                    Outcome::Answer { status, .. } => format!("status {status}"),
                },
                Err(e) => panic!("{} {:?}: {e}", engine.name(), req.url),
            };
            assert_eq!(&got, want, "{} {:?}", engine.name(), req.url);
        }
    }
}

/// Where no regex can tell a path's text from its bytes, the upload keeps `$uri` as text
/// (src/js/text_form.rs); the traced build keeps byte form. On the paths a text form could get
/// wrong (U+2028 and U+2029, which only njs's `.` matches; U+017F and U+212A, which njs folds to
/// `s` and `k` in a caseless regex; non-ASCII before and after what each regex tests; escapes that
/// are not UTF-8), the upload in boa, njs and node answers as the traced build does in boa.
#[test]
fn the_text_form_decides_as_the_byte_form() {
    let engines = engines_for("the text-form test");
    for (file, host) in [
        ("fixtures/ok/every-feature.yaml", "ab-1.t.example.com"),
        (
            "fixtures/ok/spec-example.yaml",
            "kahoot-1234.group1.example.com",
        ),
        (
            "fixtures/ok/monorepo-previews.yaml",
            "kahoot-1234.group1.example.com",
        ),
    ] {
        let loaded = pipeline::load(&root().join(file)).expect("readable");
        let rules = loaded.rules.expect("valid");
        let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generate");
        assert!(generated.pretty.contains("TM = 1"), "{file}: keeps text");
        assert!(
            !generated.traced.contains("TM = 1"),
            "{file}: traced keeps bytes"
        );
        let middles = [
            "%E2%80%A8",
            "%E2%80%A9",
            "\u{2028}",
            "x%E2%80%A9y",
            "%C5%BF",
            "%E2%84%AA",
            "\u{17f}",
            "é",
            "%C3%A9",
            "中",
            "%E4%B8%AD",
            "%F0%9F%98%80",
            "%FF",
            "%C3",
            "a%C3%A9%FF",
        ];
        let suffixes = [
            "",
            ".png",
            ".PNG",
            ".jpg",
            "/x",
            ".pn%C5%BF",
            "%E2%80%A8.png",
        ];
        let mut requests = Vec::new();
        for prefix in ["/old/", "/legacy/", "/assets/", "/app/", "/"] {
            for middle in middles {
                for suffix in suffixes {
                    requests.push(Request {
                        url: format!("https://{host}{prefix}{middle}{suffix}"),
                        method: "GET".to_owned(),
                        ip: "192.0.2.10".to_owned(),
                        headers: Vec::new(),
                        cookies: Vec::new(),
                    });
                }
            }
        }
        let bytes = answers(
            file,
            Engine::Boa,
            &generated.traced,
            rules.runtime,
            &requests,
        );
        for &engine in &engines {
            for ((text, byte), req) in
                answers(file, engine, &generated.js, rules.runtime, &requests)
                    .iter()
                    .zip(&bytes)
                    .zip(&requests)
            {
                assert_eq!(
                    text,
                    byte,
                    "{file}: {:?} in {}: text form, then byte form",
                    req.url,
                    engine.name()
                );
            }
        }
    }
}

/// With every root clean as written (src/js/roots.rs), a root + `$uri` that `normalizePath` left
/// as it is skips the origin step's merging, segment checks, boundary check and, for a raw path
/// that needed no normalizing, its encoding. Each rule set here runs beside a twin whose roots
/// each hold a `//`, which the general step merges to the same path, so the twin never takes the
/// shortcut: the two must answer every request alike, in every engine.
#[test]
fn the_origin_shortcut_decides_as_the_general_step() {
    let engines = engines_for("the origin-shortcut test");
    let monorepo = std::fs::read_to_string(root().join("fixtures/ok/monorepo-previews.yaml"))
        .expect("readable");
    let sites = "edgeroute: 1\nservers:\n  - server_name: '{id}.example.com'\n    root: /sites/$id\n    locations:\n      - location: /\n      - location: /files/\n        root: /$id/files-root\n      - location: = /x\n        rewrite: /x/\n";
    for (name, clean, host) in [
        (
            "monorepo",
            monorepo.as_str(),
            "kahoot-1234.group1.example.com",
        ),
        ("sites", sites, "ab-1.example.com"),
    ] {
        let twin = clean
            .replace("root: /$id/", "root: /$id//")
            .replace("root: /sites/$id", "root: /sites//$id");
        assert_ne!(twin, clean, "{name}: the twin differs");
        let generate = |text: &str| {
            let loaded = pipeline::load_bytes("rules.yaml", text.as_bytes().to_vec());
            let rules = loaded.rules.expect("valid");
            let generated =
                pipeline::generate(&rules, &mut Diagnostics::default()).expect("generate");
            (rules.runtime, generated)
        };
        let (runtime, shortcut) = generate(clean);
        let (_, general) = generate(&twin);
        assert!(
            shortcut.pretty.contains("U == UN"),
            "{name}: takes the shortcut"
        );
        assert!(
            !general.pretty.contains("U == UN"),
            "{name}: the twin does not"
        );
        let long = |n: usize| format!("/assets/{}", "a".repeat(n));
        let mut paths: Vec<String> = [
            "/",
            "/assets/abc.png",
            "/assets/",
            "/app2/",
            "/app2",
            "/files/a.js",
            "/files/",
            "/x",
            "/.well-known/a",
            "/assets/./a",
            "/assets/../a",
            "/a/b/..",
            "/a/.",
            "/..",
            "/assets//a",
            "//assets/a",
            "/assets/%2E%2E/a",
            "/assets/%2F/a",
            "/assets/%41",
            "/assets/%FF",
            "/assets/%C3%A9",
            "/assets/é中",
            "/assets/\"q\"",
            "/assets/a'b",
            "/assets/a:b@c",
            "/assets/a+b;c=d",
            "/assets/a%25b",
            "/assets/~a_b-c.d",
            "/assets/a?b",
            "/files/..",
            "/files/./",
            "/files/a/../../b",
        ]
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
        // around the 8,192 limit: the root is 17 chars ("/kahoot-1234/app1") or 10 ("/sites/ab-1")
        for n in 8_150..8_185 {
            paths.push(long(n));
        }
        let requests: Vec<Request> = paths
            .iter()
            .flat_map(|path| ["", "?v=1"].map(|query| format!("https://{host}{path}{query}")))
            .map(|url| Request {
                url,
                method: "GET".to_owned(),
                ip: "192.0.2.10".to_owned(),
                headers: Vec::new(),
                cookies: Vec::new(),
            })
            .collect();
        for &engine in &engines {
            let want = answers(name, engine, &general.js, runtime, &requests);
            let got = answers(name, engine, &shortcut.js, runtime, &requests);
            for ((got, want), req) in got.iter().zip(&want).zip(&requests) {
                assert_eq!(got, want, "{name}: {:?} in {}", req.url, engine.name());
            }
        }
    }
}

/// CloudFront refuses a returned request whose URI, `?` and query string reach 8,192 chars. The
/// router answers 400 from there on, and passes the longest request under it, with and without a
/// query, in every engine (rules.md leaves the `?` out; the safer reading counts it).
#[test]
fn the_longest_request_under_cloudfronts_limit_passes_and_the_next_is_400() {
    let engines = engines_for("the URI-limit test");
    let loaded = pipeline::load(&root().join("fixtures/ok/monorepo-previews.yaml")).expect("ok");
    let rules = loaded.rules.expect("valid");
    let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generate");
    let origin_root = "/kahoot-1234/app1".len();
    for query in ["", "?v=1", "?a=%C3%A9"] {
        let counted = if query.is_empty() { 0 } else { query.len() };
        // the origin URI is the root + the path: the longest allowed has 8,191 chars in all
        let longest = 8_191 - counted - origin_root;
        let request = |path_len: usize| Request {
            url: format!(
                "https://kahoot-1234.group1.example.com/assets/{}{query}",
                "a".repeat(path_len - "/assets/".len())
            ),
            method: "GET".to_owned(),
            ip: "192.0.2.10".to_owned(),
            headers: Vec::new(),
            cookies: Vec::new(),
        };
        let requests = [request(longest), request(longest + 1)];
        for &engine in &engines {
            let got = answers("monorepo", engine, &generated.js, rules.runtime, &requests);
            assert!(
                got[0].starts_with("uri /kahoot-1234/app1/assets/"),
                "{query:?}: {}",
                engine.name()
            );
            assert_eq!(got[1], "status 400", "{query:?}: {}", engine.name());
        }
    }
}

/// Viewer addresses in every textual form, and malformed ones, decide as the standard library reads
/// them (an unreadable address is no address: only `deny all` decides), in every engine.
#[test]
fn viewer_addresses_are_read_as_the_standard_library_reads_them() {
    let engines = engines_for("the viewer-address test");
    let yaml = "edgeroute: 1\nruntime: cloudfront-js-1.0\nservers:\n  - server_name: a.test\n    root: /r\n    access: [allow 2001:db8::/32, allow 10.0.0.0/8, deny all]\n    locations:\n      - location: /\n";
    let mut loaded = pipeline::load_bytes("viewers.yaml", yaml.as_bytes().to_vec());
    let rules = loaded.rules.take().expect("valid");
    let generated = pipeline::generate(&rules, &mut loaded.diagnostics).expect("generate");
    let admitted: [ipnet::IpNet; 2] = [
        "2001:db8::/32".parse().unwrap(),
        "10.0.0.0/8".parse().unwrap(),
    ];
    let expect = |ip: &str| {
        let address = match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(v6.into(), Into::into),
            Ok(v4) => v4,
            Err(_) => return "status 403".to_owned(),
        };
        if admitted.iter().any(|net| net.contains(&address)) {
            "uri /r/x []".to_owned()
        } else {
            "status 403".to_owned()
        }
    };
    let addresses = [
        // readable
        "2001:db8::7",
        "2001:DB8::7",
        "2001:0db8:0000:0000:0000:0000:0000:0007",
        "2001:db8:0:0:0:0:0:7",
        "2001:db8::",
        "2001:db8:1:2:3:4:5::",
        "2001:db8::1:2:3:4:5",
        "2001:db8::192.0.2.1",
        "2001:db8:1:2:3:4:192.0.2.1",
        "2001:db9::1",
        "::ffff:10.1.2.3",
        "::ffff:a01:203",
        "::FFFF:0A01:0203",
        "0:0:0:0:0:ffff:10.1.2.3",
        "::ffff:b01:203",
        "::10.1.2.3",
        "::",
        "::1",
        "1:2:3:4:5:6:7:8",
        "10.1.2.3",
        "11.1.2.3",
        "10.0.0.0",
        "10.255.255.255",
        "2001:db8:0:0:1::",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8:1::2:3:4:5",
        "2001:db8:a:b:c:d:e:f",
        "2001:db8:Ab:cD::",
        "2001:db80::1",
        "2001:db::1",
        // unreadable
        "2001:db8::7 ",
        " 2001:db8::7",
        "2001:db8::7\n",
        "2001:db8:: 7",
        "2001:db8:::7",
        "2001:db8::7::",
        "2001:db8::1::2",
        ":2001:db8::7",
        "2001:db8::7:",
        "2001:db8::g",
        "2001:db8::0x7",
        "2001:db8::+7",
        "2001:db8::7.",
        "2001:db8:1.2::3",
        "2001:db8::1.2.3",
        "2001:db8::1.2.3.4.5",
        "2001:db8::1.2.3.256",
        "2001:db8:12345::",
        "2001:db8:1:2:3:4:5:6:7",
        "2001:db8:1:2:3:4:5:6::",
        "2001:db8:1:2:3:4:5",
        "2001:db8",
        "2001:db8::1:2:3:4:5:6",
        "2001:db8:1:2:3:4:5:6:",
        "2001:db8:1::2:3:4:5:6",
        "2001:db8::00001",
        "2001:db8::1\n",
        "10.1.2",
        "10.1.2.3.4",
        "10.256.1.1",
        "10.1.2.3 ",
        "10.1.2.-3",
        "10.1.2.3\n",
        "10.1.2.03",
        "10.01.2.3",
        "010.1.2.3",
        "::ffff:10.1.2.03",
        "2001:db8::10.1.2.03",
        "",
    ];
    let requests: Vec<Request> = addresses
        .iter()
        .map(|ip| Request {
            url: "https://a.test/x".to_owned(),
            method: "GET".to_owned(),
            ip: (*ip).to_owned(),
            headers: Vec::new(),
            cookies: Vec::new(),
        })
        .collect();
    for &engine in &engines {
        let got = answers("viewers", engine, &generated.js, rules.runtime, &requests);
        for (ip, got) in addresses.iter().zip(got) {
            assert_eq!(got, expect(ip), "{} viewer {ip:?}", engine.name());
        }
    }
}
