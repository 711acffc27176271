//! The router is a family of programs, one per combination of the features its template guards
//! (`ir::Features`). This renders one rule set for every combination the IR can produce, checks
//! that the compiler reports exactly that combination, gates the output, and routes a request per
//! feature through the exact bytes in boa: no combination may route a request wrong.

use edgeroute::diagnostic::Diagnostics;
use edgeroute::golden;
use edgeroute::ir::Features;
use edgeroute::pipeline;

/// The independent choices; `ipv6` needs `access`, `origin` needs cloudfront-js-2.0.
const NAMES: [&str; 11] = [
    "access",
    "ipv6",
    "wild",
    "pattern",
    "regex",
    "rewrite",
    "ret",
    "try_files",
    "headers",
    "origin",
    "args",
];

fn features(bits: u32) -> Features {
    let on = |i: usize| bits & (1 << i) != 0;
    Features {
        access: on(0),
        ipv6: on(1),
        wild: on(2),
        pattern: on(3),
        regex: on(4),
        rewrite: on(5),
        ret: on(6),
        try_files: on(7),
        headers: on(8),
        origin: on(9),
        args: on(10),
    }
}

/// The combinations the compiler can produce: IPv6 entries only in an access list, and every
/// rewrite reads the query string (`args`).
fn producible(f: &Features) -> bool {
    (!f.ipv6 || f.access) && (!f.rewrite || f.args)
}

/// A rules file that uses exactly the features `f`, with one golden case per feature that only a
/// correct router passes, and a plain case every combination has.
fn rules(f: &Features) -> String {
    let mut servers = String::new();
    let mut tests = String::new();
    let mut locations = String::new();
    let runtime = if f.origin {
        "cloudfront-js-2.0"
    } else {
        "cloudfront-js-1.0"
    };
    if f.access {
        let v6 = if f.ipv6 { ", allow 2001:db8::/32" } else { "" };
        locations.push_str(&format!(
            "      - location: /acl/\n        access: [allow 10.0.0.0/8{v6}, deny all]\n"
        ));
        tests.push_str(
            "  - url: https://a.test/acl/x.js\n    ip: 192.0.2.1\n    status: 403\n\
             \x20 - url: https://a.test/acl/x.js\n    ip: 10.1.2.3\n    uri: /r/acl/x.js\n\
             \x20 - url: https://a.test/acl/x.js\n    ip: ::ffff:a01:203\n    uri: /r/acl/x.js\n",
        );
        if f.ipv6 {
            tests.push_str(
                "  - url: https://a.test/acl/x.js\n    ip: 2001:db8::1\n    uri: /r/acl/x.js\n",
            );
        }
    }
    if f.regex {
        locations.push_str("      - location: ~ \\.png$\n        root: /png\n");
        tests.push_str("  - url: https://a.test/i/x.png\n    uri: /png/i/x.png\n");
    }
    if f.rewrite {
        locations.push_str("      - location: /old/\n        rewrite: ^/old/(.*)$ /new/$1 last\n");
        tests.push_str(
            "  - url: https://a.test/old/x.js?q=1\n    uri: /r/new/x.js\n    querystring: q=1\n",
        );
    }
    if f.ret {
        locations.push_str("      - location: = /go\n        return: 302 /there\n");
        tests.push_str(
            "  - url: https://a.test/go\n    status: 302\n    location: https://a.test/there\n",
        );
    }
    if f.try_files {
        locations.push_str("      - location: /spa/\n        try_files: [$uri, /index.html]\n");
        tests.push_str("  - url: https://a.test/spa/route\n    uri: /r/index.html\n");
    }
    if f.headers {
        locations.push_str("      - location: /h/\n        add_request_headers: { x-h: \"1\" }\n");
        tests.push_str(
            "  - url: https://a.test/h/x.js\n    uri: /r/h/x.js\n    headers: { x-h: \"1\" }\n",
        );
    }
    if f.origin {
        locations.push_str("      - location: /o/\n        origin: other\n");
        tests.push_str("  - url: https://a.test/o/x.js\n    uri: /r/o/x.js\n    origin: other\n");
    }
    if f.args && !f.rewrite {
        locations.push_str("      - location: /args/\n        root: /a$arg_v\n");
        tests.push_str("  - url: https://a.test/args/x.js?v=1\n    uri: /a1/args/x.js\n");
    }
    servers.push_str(&format!(
        "  - server_name: a.test\n    root: /r\n    locations:\n{locations}      - location: /\n"
    ));
    tests.push_str("  - url: https://a.test/x.js\n    uri: /r/x.js\n    matched: /\n");
    tests.push_str("  - url: https://a.test/x/\n    ip: 10.1.2.3\n    uri: /r/x/index.html\n");
    if f.wild {
        servers.push_str(
            "  - server_name: \"*.w.test\"\n    root: /w\n    locations:\n      - location: /\n",
        );
        tests.push_str("  - url: https://x.w.test/x.js\n    uri: /w/x.js\n");
    }
    if f.pattern {
        servers.push_str(
            "  - server_name: \"{id}.p.test\"\n    root: /$id\n    locations:\n      - location: /\n",
        );
        tests.push_str("  - url: https://ab.p.test/x.js\n    uri: /ab/x.js\n");
        tests.push_str("  - url: https://ab.p.test/../x.js\n    status: 400\n");
    }
    format!("edgeroute: 1\nruntime: {runtime}\nservers:\n{servers}tests:\n{tests}")
}

#[test]
fn every_feature_combination_routes_its_requests() {
    let combos: Vec<Features> = (0..1u32 << NAMES.len())
        .map(features)
        .filter(producible)
        .collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let halves: Vec<_> = combos
            .chunks(combos.len().div_ceil(2))
            .map(|chunk| s.spawn(move || chunk.iter().filter_map(check).collect::<Vec<_>>()))
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} feature combinations fail:\n{}",
        failures.len(),
        combos.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

/// One combination: `None` when the compiler reports exactly it and every case passes.
fn check(f: &Features) -> Option<String> {
    let text = rules(f);
    let loaded = pipeline::load_bytes("features.yaml", text.clone().into_bytes());
    let Some(rules) = loaded.rules else {
        return Some(format!("{f:?}: invalid rules\n{text}"));
    };
    let generated = match pipeline::generate(&rules, &mut Diagnostics::default()) {
        Ok(g) => g,
        Err(e) => return Some(format!("{f:?}: {e}")),
    };
    if generated.program.features != *f {
        return Some(format!(
            "{f:?}: the compiler reports {:?}",
            generated.program.features
        ));
    }
    match golden::run_with_trace(
        &generated.js,
        &generated.traced,
        &generated.program,
        &rules.tests,
    ) {
        Ok(report) if report.failed() == 0 => None,
        Ok(report) => Some(format!(
            "{f:?}: {}",
            report.failures().next().cloned().unwrap_or_default()
        )),
        Err(e) => Some(format!("{f:?}: {e}")),
    }
}

/// Forty exact-host sites, each with a `/section/` rewrite, `/assets/` and a `/` try_files SPA
/// fallback, differ only in their names and roots: their location tables are written once, the
/// function fits in 10,240 bytes, and every site still routes to its own root.
#[test]
fn forty_sites_share_their_locations_and_fit() {
    let mut text = String::from("edgeroute: 1\nservers:\n");
    let mut tests = String::from("tests:\n");
    for i in 0..40 {
        text.push_str(&format!(
            "  - server_name: site{i}.example.com\n    root: /site{i}\n    locations:\n\
             \x20     - location: /section/\n        rewrite: ^/section/(.*)$ /s/$1 last\n\
             \x20     - location: /assets/\n\
             \x20     - location: /\n        try_files: [$uri, /index.html]\n"
        ));
        tests.push_str(&format!(
            "  - url: https://site{i}.example.com/section/a.js\n    uri: /site{i}/s/a.js\n\
             \x20 - url: https://site{i}.example.com/assets/x.png\n    uri: /site{i}/assets/x.png\n\
             \x20 - url: https://site{i}.example.com/deep/route\n    uri: /site{i}/index.html\n"
        ));
    }
    text.push_str(&tests);
    let loaded = pipeline::load_bytes("sites.yaml", text.into_bytes());
    let rules = loaded.rules.expect("valid rules");
    let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generates");
    assert!(
        generated.js.len() <= edgeroute::js::gate::SIZE_LIMIT,
        "{} bytes",
        generated.js.len()
    );
    // the location search is written once, as code (the rewrite's regex holds `/section/` too)
    assert_eq!(
        generated.js.matches("\"/section/\"").count(),
        1,
        "one location search"
    );
    let report = golden::run_with_trace(
        &generated.js,
        &generated.traced,
        &generated.program,
        &rules.tests,
    )
    .expect("loads");
    assert_eq!(report.failed(), 0, "{:?}", report.failures().next());
    assert_eq!(report.passed(), 120);
}
