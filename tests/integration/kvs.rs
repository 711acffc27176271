//! `kvs: true` and `redirects:` as a user meets them: the build writes the function and its
//! KeyValueStore import file, the function reads the store (boa, njs, node), a missing key is "not
//! there" and any other store failure is 503, and `kvs plan` writes the update-keys batches.

use std::path::Path;

use edgeroute::diagnostic::Diagnostics;
use edgeroute::harness::engines::{self, Engine};
use edgeroute::harness::event::Request;
use edgeroute::harness::{Harness, Outcome};
use edgeroute::pipeline;

use crate::common::{edgeroute, text};

const SHOPS: &str = "fixtures/ok/store-backed-shops.yaml";

fn generated() -> pipeline::Generated {
    let loaded = pipeline::load(Path::new(SHOPS)).expect("readable");
    let rules = loaded.rules.expect("valid");
    let mut diagnostics = Diagnostics::default();
    pipeline::generate(&rules, &mut diagnostics).expect("generates")
}

fn status(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Answer { status, .. } => *status,
        Outcome::Pass { .. } => 0,
    }
}

#[test]
fn build_writes_the_store_beside_the_function_sorted_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("router.js");
    let output = edgeroute(&["build", SHOPS, "-o", out.to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let store = std::fs::read_to_string(dir.path().join("router.kvs.json")).unwrap();
    let js = std::fs::read_to_string(&out).unwrap();
    assert!(js.starts_with("import cf from 'cloudfront';\n"), "{js}");
    assert!(js.contains("async function handler("), "{js}");
    assert!(js.len() <= 10_240);
    let parsed: serde_json::Value = serde_json::from_str(&store).unwrap();
    let keys: Vec<&str> = parsed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.contains(&"v1:h:shop.example.com"));
    assert!(keys.contains(&"v1:x:0:/old-shop/summer-sale"));
    // the rules' hash is nowhere in a key
    let hash = js.lines().nth(1).unwrap().split("sha256:").nth(1).unwrap();
    let hash = hash.split(' ').next().unwrap();
    assert!(!store.contains(hash));
    // again, elsewhere: the same bytes
    let other = dir.path().join("elsewhere.json");
    let output = edgeroute(&[
        "build",
        SHOPS,
        "-o",
        dir.path().join("b.js").to_str().unwrap(),
        "--kvs-output",
        other.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(other).unwrap(), store);
}

#[test]
fn a_missing_key_is_not_there_and_a_failing_store_answers_503() {
    let generated = generated();
    let mut harness = Harness::load(&generated.js, generated.program.runtime).unwrap();
    let redirect = Request::get("https://shop.example.com/old-shop/summer-sale");
    harness.set_kvs(generated.program.store.clone());
    assert_eq!(status(&harness.route(&redirect).unwrap().outcome), 301);
    // an empty store: the exact host is missing, so the default server (shop) answers, and the
    // redirect is missing, so `/` takes it
    harness.set_kvs(Vec::new());
    let decision = harness.route(&redirect).unwrap();
    assert_eq!(status(&decision.outcome), 0, "{decision:?}");
    // a value the store cannot give as JSON is a failure, not a miss
    let mut broken = generated.program.store.clone();
    for (key, value) in &mut broken {
        if key == "v1:x:0:/old-shop/summer-sale" {
            *value = "{not json".to_owned();
        }
    }
    harness.set_kvs(broken);
    assert_eq!(status(&harness.route(&redirect).unwrap().outcome), 503);
    let other = Request::get("https://shop.example.com/old-shop/gift-cards");
    assert_eq!(status(&harness.route(&other).unwrap().outcome), 301);
}

/// A search reads the store only when the server's exact paths in it start with the path's first
/// segment: with every stored value broken, a request into `/old-shop/` fails (503, it read), one
/// into `/p/` or `/assets/` is routed without a read.
#[test]
fn a_search_reads_the_store_only_for_the_segments_it_holds() {
    let generated = generated();
    let mut harness = Harness::load(&generated.js, generated.program.runtime).unwrap();
    let broken: Vec<(String, String)> = generated
        .program
        .store
        .iter()
        .map(|(key, _)| (key.clone(), "{not json".to_owned()))
        .collect();
    harness.set_kvs(broken);
    // a host the store does not hold is a miss (no value read): the default server, shop
    let read = Request::get("https://unknown.example.com/old-shop/summer-sale");
    assert_eq!(status(&harness.route(&read).unwrap().outcome), 503);
    for url in [
        "https://unknown.example.com/p/mug",
        "https://unknown.example.com/assets/app.css",
    ] {
        let decision = harness.route(&Request::get(url)).unwrap();
        assert_eq!(status(&decision.outcome), 0, "{url}: {decision:?}");
    }
}

#[test]
fn njs_and_node_read_the_same_store() {
    let generated = generated();
    let requests: Vec<Request> = [
        "https://shop.example.com/old-shop/summer-sale",
        "https://www.shop.example.com/old-shop/gift-cards",
        "https://brand-b.example.org/old-home",
        "https://brand-b.example.org/about",
        "https://pr-1.preview.example.com/x.js",
        "https://shop.example.com/p/mug",
    ]
    .iter()
    .map(|u| Request::get(u))
    .collect();
    let store = &generated.program.store;
    let runtime = generated.program.runtime;
    let boa = engines::route_all_with_store(Engine::Boa, &generated.js, runtime, store, &requests)
        .unwrap();
    for engine in [Engine::Njs, Engine::Node] {
        if engine.locate().is_none() {
            eprintln!("{} not installed: skipped", engine.name());
            continue;
        }
        let other = engines::route_all_with_store(engine, &generated.js, runtime, store, &requests)
            .unwrap();
        for ((request, a), b) in requests.iter().zip(&boa).zip(&other) {
            let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
            assert_eq!(
                (&a.outcome, a.server, a.location),
                (&b.outcome, b.server, b.location),
                "{}: {}",
                engine.name(),
                request.url
            );
        }
    }
}

#[test]
fn kvs_plan_puts_changed_keys_first_and_deletes_removed_ones_after() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.kvs.json");
    let new = dir.path().join("new.kvs.json");
    std::fs::write(
        &old,
        "{\"data\":[{\"key\":\"v1:h:a.example\",\"value\":\"0\"},{\"key\":\"v1:x:0:/gone\",\"value\":\"[1,{}]\"},{\"key\":\"v1:x:0:/same\",\"value\":\"[2,{}]\"}]}",
    )
    .unwrap();
    std::fs::write(
        &new,
        "{\"data\":[{\"key\":\"v1:h:a.example\",\"value\":\"1\"},{\"key\":\"v1:x:0:/same\",\"value\":\"[2,{}]\"}]}",
    )
    .unwrap();
    let plan = dir.path().join("plan");
    let output = edgeroute(&[
        "kvs",
        "plan",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "-o",
        plan.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.starts_with("1 key(s) to put in 1 batch(es), 1 to delete in 1 batch(es)\n"));
    let puts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plan.join("puts-001.json")).unwrap())
            .unwrap();
    assert_eq!(
        puts,
        serde_json::json!([{ "Key": "v1:h:a.example", "Value": "1" }])
    );
    let deletes: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plan.join("deletes-001.json")).unwrap())
            .unwrap();
    assert_eq!(deletes, serde_json::json!([{ "Key": "v1:x:0:/gone" }]));
}

#[test]
fn redirect_maps_work_without_the_store_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("map.csv"),
        "from,to,status\n/old,/new,\n/tmp,/later,302\n",
    )
    .unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "edgeroute: 1\nservers:\n  - server_name: a.example\n    root: /a\n    redirects: map.csv\n    locations:\n      - location: /\ntests:\n  - url: https://a.example/old\n    status: 301\n    location: https://a.example/new\n    matched: = /old\n  - url: https://a.example/tmp\n    status: 302\n    location: https://a.example/later\n",
    )
    .unwrap();
    let output = edgeroute(&["test", rules.to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");
}
