//! The boa realm shaped like a CloudFront Functions runtime (cloudfront-runtime.md §3, §7).
//!
//! Built-ins the runtime lacks are deleted, `eval` and `new Function` throw, `console` has only `log`
//! (captured, never printed), `Date` is frozen, `Math.random` is seeded, and for a 2.0 function that
//! imports `cloudfront` a recording `cf` stub is bound in place of the import line. The natives record
//! into a `CaseState` shared with the harness, which resets it before each case.

use std::cell::RefCell;
use std::rc::Rc;

use boa_engine::context::time::FixedClock;
use boa_engine::context::{ContextBuilder, HostHooks};
use boa_engine::module::IdleModuleLoader;
use boa_engine::object::builtins::JsPromise;
use boa_engine::object::{FunctionObjectBuilder, JsObject};
use boa_engine::property::Attribute;
use boa_engine::realm::Realm;
use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue, NativeFunction, js_string};

use super::OriginCall;
use crate::runtime::Runtime;

/// The first line that makes a 2.0 function import the `cloudfront` module (§1).
pub const CF_IMPORT: &str = "import cf from 'cloudfront';";
/// Loop iterations per function call: enough for an 8 KB URI walked byte by byte (§7).
pub const LOOP_ITERATION_LIMIT: u64 = 100_000;
/// Nested calls: njs overflows between 250 and 280 (§9).
pub const RECURSION_LIMIT: usize = 200;
/// Values on boa's VM stack (boa's default).
pub const STACK_SIZE_LIMIT: usize = 10 * 1024;
/// "Now" in every case, 2024-01-01T00:00:00Z: the runtime freezes it at function start (§3).
pub const FIXED_NOW_MS: u64 = 1_704_067_200_000;
/// `Math.random` restarts from this seed before each case.
pub const RANDOM_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Per-case state the natives record into.
#[derive(Debug)]
pub(super) struct CaseState {
    pub origin: Option<OriginCall>,
    pub log: Vec<String>,
    log_bytes: usize,
    random: u64,
    /// The KeyValueStore behind `cf.kvs()`, sorted by key; kept across cases.
    pub kvs: Vec<(String, String)>,
}

pub(super) type Shared = Rc<RefCell<CaseState>>;

impl Default for CaseState {
    fn default() -> Self {
        let (origin, log, log_bytes, kvs) = (None, Vec::new(), 0, Vec::new());
        CaseState {
            origin,
            log,
            log_bytes,
            random: RANDOM_SEED,
            kvs,
        }
    }
}

impl CaseState {
    /// Forgets the last case: origin call, log, random sequence.
    pub fn reset(&mut self) {
        let kvs = std::mem::take(&mut self.kvs);
        *self = CaseState {
            kvs,
            ..CaseState::default()
        };
    }
}

/// A strict context with the harness limits and the realm of `runtime`; `cf` only when imported.
pub(super) fn new_context(runtime: Runtime, imports_cf: bool, state: Shared) -> JsResult<Context> {
    let mut context = ContextBuilder::new()
        .host_hooks(Rc::new(EdgeHooks))
        .clock(Rc::new(FixedClock::from_millis(FIXED_NOW_MS)))
        .module_loader(Rc::new(IdleModuleLoader))
        .build()?;
    context.strict(true);
    let limits = context.runtime_limits_mut();
    limits.set_loop_iteration_limit(LOOP_ITERATION_LIMIT);
    limits.set_recursion_limit(RECURSION_LIMIT);
    limits.set_stack_size_limit(STACK_SIZE_LIMIT);
    context.insert_data(state);
    shape_realm(runtime, imports_cf, &mut context)?;
    Ok(context)
}

/// The bytes to run, and whether `cf` is imported: for 2.0, the exact import line becomes an empty
/// line, so line numbers in messages still match the generated file.
pub(super) fn script_text(js: &str, runtime: Runtime) -> (&str, bool) {
    let first_end = js.find('\n').unwrap_or(js.len());
    let first = &js[..first_end];
    let first = first.strip_suffix('\r').unwrap_or(first);
    if runtime == Runtime::Js2 && first == CF_IMPORT {
        (&js[first_end..], true)
    } else {
        (js, false)
    }
}

/// `console.log` output is truncated at 10 KB (§7).
const LOG_LIMIT: usize = 10 * 1024;

/// Unlisted in both runtimes, so absent (§1: unlisted means absent; §3, last two rows).
const ABSENT: &[&str] = &[
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "Proxy",
    "Reflect",
    "BigInt",
    "Intl",
    "WeakRef",
    "FinalizationRegistry",
    "Atomics",
    "SharedArrayBuffer",
    "Iterator",
    "TypedArray",
    "BigInt64Array",
    "BigUint64Array",
    "Object.fromEntries",
    "Object.hasOwn",
    "Object.groupBy",
    "Array.from",
    "Array.prototype.flat",
    "Array.prototype.flatMap",
    "Array.prototype.at",
    "Array.prototype.findLast",
    "Array.prototype.findLastIndex",
    "Array.prototype.toReversed",
    "Array.prototype.toSorted",
    "Array.prototype.toSpliced",
    "Array.prototype.with",
    "String.prototype.matchAll",
    "String.prototype.at",
    "String.prototype.normalize",
    "String.raw",
    "String.prototype.isWellFormed",
    "String.prototype.toWellFormed",
    "Promise.try",
    "Promise.withResolvers",
];

/// Present in 2.0 only (§3); names boa lacks anyway are harmless here.
const ABSENT_JS1: &[&str] = &[
    "String.prototype.replaceAll",
    "Object.getOwnPropertyDescriptors",
    "Promise.all",
    "Promise.allSettled",
    "Promise.any",
    "Promise.race",
    "AggregateError",
    "Symbol.for",
    "Symbol.keyFor",
    "atob",
    "btoa",
    "Buffer",
    "DataView",
    "TextEncoder",
    "TextDecoder",
];

/// No string compilation (`eval`, `new Function`), UTC, and the 2 MB memory as the buffer cap.
struct EdgeHooks;

impl HostHooks for EdgeHooks {
    fn ensure_can_compile_strings(
        &self,
        _realm: Realm,
        _parameters: &[JsString],
        _body: &JsString,
        _direct: bool,
        _context: &mut Context,
    ) -> JsResult<()> {
        let message = "eval and new Function are not allowed in CloudFront Functions";
        Err(JsNativeError::typ().with_message(message).into())
    }

    fn local_timezone_offset_seconds(&self, _unix_time_seconds: i64) -> i32 {
        0
    }

    fn max_buffer_size(&self, _context: &mut Context) -> u64 {
        2 * 1024 * 1024
    }
}

fn shape_realm(runtime: Runtime, imports_cf: bool, context: &mut Context) -> JsResult<()> {
    let js1_only: &[&str] = if runtime == Runtime::Js1 {
        ABSENT_JS1
    } else {
        &[]
    };
    for path in ABSENT.iter().chain(js1_only) {
        delete_path(path, context)?;
    }
    install_console(runtime, context)?;
    install_random(context)?;
    if imports_cf {
        install_cf(context)?;
    }
    Ok(())
}

/// Deletes `a.b.c` from the global object; a missing owner or property is fine.
fn delete_path(path: &str, context: &mut Context) -> JsResult<()> {
    let mut owner = context.global_object();
    let mut names: Vec<&str> = path.split('.').collect();
    let last = names.pop().unwrap_or_default();
    for name in names {
        match owner.get(JsString::from(name), context)?.as_object() {
            Some(next) => owner = next,
            None => return Ok(()),
        }
    }
    owner.delete_property_or_throw(JsString::from(last), context)?;
    Ok(())
}

fn install_console(runtime: Runtime, context: &mut Context) -> JsResult<()> {
    let log = match runtime {
        Runtime::Js1 => native(context, "log", 1, console_log_all),
        Runtime::Js2 => native(context, "log", 1, console_log_first),
    };
    let console = JsObject::with_object_proto(context.intrinsics());
    console.create_data_property_or_throw(js_string!("log"), log, context)?;
    let attribute = Attribute::WRITABLE | Attribute::CONFIGURABLE;
    context.register_global_property(js_string!("console"), console, attribute)
}

fn install_random(context: &mut Context) -> JsResult<()> {
    let math = context.global_object().get(js_string!("Math"), context)?;
    let math = math
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("no Math"))?;
    let random = native(context, "random", 0, math_random);
    math.set(js_string!("random"), random, true, context)?;
    Ok(())
}

/// Binds `cf` as the import would: not writable, not enumerable, not configurable.
fn install_cf(context: &mut Context) -> JsResult<()> {
    let methods: [(&str, usize, NativeFn); 3] = [
        ("selectRequestOriginById", 1, cf_select_origin_by_id),
        ("updateRequestOrigin", 1, cf_update_origin),
        ("kvs", 0, cf_kvs),
    ];
    let cf = object_with_methods(&methods, context)?;
    context.register_global_property(js_string!("cf"), cf, Attribute::empty())
}

type NativeFn = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;

fn native(context: &Context, name: &str, length: usize, f: NativeFn) -> JsValue {
    let builder = FunctionObjectBuilder::new(context.realm(), NativeFunction::from_fn_ptr(f));
    builder
        .name(JsString::from(name))
        .length(length)
        .build()
        .into()
}

fn object_with_methods(
    methods: &[(&str, usize, NativeFn)],
    context: &mut Context,
) -> JsResult<JsObject> {
    let object = JsObject::with_object_proto(context.intrinsics());
    for &(name, length, f) in methods {
        let method = native(context, name, length, f);
        object.create_data_property_or_throw(JsString::from(name), method, context)?;
    }
    Ok(object)
}

fn shared(context: &Context) -> JsResult<Shared> {
    let state = context.get_data::<Shared>().cloned();
    state.ok_or_else(|| {
        JsNativeError::typ()
            .with_message("harness state missing")
            .into()
    })
}

fn console_log_all(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let line: Vec<String> = args.iter().map(log_text).collect();
    push_log(line.join(" "), context)
}

/// 2.0's `console.log` takes one argument (§3).
fn console_log_first(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    push_log(args.first().map(log_text).unwrap_or_default(), context)
}

fn log_text(value: &JsValue) -> String {
    match value.as_string() {
        Some(text) => text.to_std_string_escaped(),
        None => value.display().to_string(),
    }
}

fn push_log(line: String, context: &mut Context) -> JsResult<JsValue> {
    let state = shared(context)?;
    let mut state = state.borrow_mut();
    if state.log_bytes + line.len() <= LOG_LIMIT {
        state.log_bytes += line.len();
        state.log.push(line);
    }
    Ok(JsValue::undefined())
}

/// A seeded xorshift64*: the same numbers in every case and on every machine.
fn math_random(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let state = shared(context)?;
    let mut state = state.borrow_mut();
    let mut x = state.random;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state.random = x;
    let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
    Ok(JsValue::new(bits as f64 / (1u64 << 53) as f64))
}

fn cf_select_origin_by_id(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let Some(id) = args.first().and_then(JsValue::as_string) else {
        return Err(type_error("selectRequestOriginById expects a string id"));
    };
    record_origin(OriginCall::ById(id.to_std_string_escaped()), ctx)
}

/// Records `domainName`; a call that only changes other origin settings records nothing.
fn cf_update_origin(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let Some(params) = args.first().and_then(JsValue::as_object) else {
        return Err(type_error("updateRequestOrigin expects an object"));
    };
    let domain = params.get(js_string!("domainName"), ctx)?;
    if domain.is_undefined() {
        return Ok(JsValue::undefined());
    }
    let Some(domain) = domain.as_string() else {
        return Err(type_error(
            "updateRequestOrigin: domainName must be a string",
        ));
    };
    record_origin(OriginCall::ByDomain(domain.to_std_string_escaped()), ctx)
}

fn record_origin(origin: OriginCall, context: &mut Context) -> JsResult<JsValue> {
    shared(context)?.borrow_mut().origin = Some(origin);
    Ok(JsValue::undefined())
}

/// A minimal in-memory KeyValueStore: `get` (rejects a missing key), `exists`, `meta` (§10).
fn cf_kvs(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let methods: [(&str, usize, NativeFn); 3] = [
        ("get", 2, kvs_get),
        ("exists", 1, kvs_exists),
        ("meta", 0, kvs_meta),
    ];
    Ok(object_with_methods(&methods, context)?.into())
}

fn kvs_lookup(args: &[JsValue], context: &mut Context) -> JsResult<Option<String>> {
    let key = args
        .first()
        .cloned()
        .unwrap_or_default()
        .to_string(context)?;
    let key = key.to_std_string_escaped();
    let state = shared(context)?;
    let state = state.borrow();
    Ok(state
        .kvs
        .binary_search_by(|(k, _)| k.as_str().cmp(key.as_str()))
        .ok()
        .map(|i| state.kvs[i].1.clone()))
}

/// `get(key, { format })`: a string, parsed JSON for `format: "json"`, a Uint8Array of the UTF-8
/// bytes for `format: "bytes"`.
fn kvs_get(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let Some(value) = kvs_lookup(args, context)? else {
        let error = JsNativeError::error().with_message("KeyValueStore: key not found");
        return Ok(JsPromise::reject(error, context)?.into());
    };
    let format = match args.get(1).and_then(JsValue::as_object) {
        Some(options) => options.get(js_string!("format"), context)?,
        None => JsValue::undefined(),
    };
    let result = if format.as_string().is_some_and(|f| f == js_string!("json")) {
        kvs_json(&value, context)
    } else if format.as_string().is_some_and(|f| f == js_string!("bytes")) {
        boa_engine::object::builtins::JsUint8Array::from_iter(value.bytes(), context)
            .map(JsValue::from)
    } else {
        Ok(JsString::from(value.as_str()).into())
    };
    let promise = match result {
        Ok(value) => JsPromise::resolve(value, context)?,
        Err(error) => JsPromise::reject(error, context)?,
    };
    Ok(promise.into())
}

fn kvs_json(text: &str, context: &mut Context) -> JsResult<JsValue> {
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| JsNativeError::syntax().with_message(format!("KeyValueStore: {e}")))?;
    JsValue::from_json(&json, context)
}

fn kvs_exists(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let found = kvs_lookup(args, context)?.is_some();
    Ok(JsPromise::resolve(found, context)?.into())
}

fn kvs_meta(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let count = shared(context)?.borrow().kvs.len();
    let meta = JsObject::with_object_proto(context.intrinsics());
    meta.create_data_property_or_throw(js_string!("keyCount"), count, context)?;
    Ok(JsPromise::resolve(meta, context)?.into())
}

fn type_error(message: &'static str) -> boa_engine::JsError {
    JsNativeError::typ().with_message(message).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use boa_engine::Source;

    fn realm(runtime: Runtime, imports_cf: bool) -> (Context, Shared) {
        let state = Shared::default();
        (
            new_context(runtime, imports_cf, state.clone()).unwrap(),
            state,
        )
    }

    fn eval(context: &mut Context, code: &str) -> Result<String, String> {
        let value = context
            .eval(Source::from_bytes(code))
            .map_err(|e| e.to_string())?;
        Ok(value.to_string(context).unwrap().to_std_string_escaped())
    }

    fn type_of(context: &mut Context, name: &str) -> String {
        eval(context, &format!("typeof {name}")).unwrap()
    }

    const ABSENT_BOTH: [&str; 22] = [
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "Proxy",
        "Reflect",
        "BigInt",
        "Intl",
        "Object.fromEntries",
        "Object.hasOwn",
        "Array.from",
        "[].flat",
        "[].flatMap",
        "[].at",
        "[].findLast",
        "''.matchAll",
        "''.at",
        "''.normalize",
        "String.raw",
        "[].toSorted",
        "Object.groupBy",
        "Iterator",
    ];

    const JS2_ONLY: [&str; 9] = [
        "''.replaceAll",
        "Promise.all",
        "Promise.allSettled",
        "Promise.any",
        "Promise.race",
        "Symbol.for",
        "Symbol.keyFor",
        "DataView",
        "Object.getOwnPropertyDescriptors",
    ];

    #[test]
    fn absent_globals_per_runtime() {
        let (mut js1, _) = realm(Runtime::Js1, false);
        let (mut js2, _) = realm(Runtime::Js2, false);
        for name in ABSENT_BOTH.iter().chain(&JS2_ONLY) {
            assert_eq!(type_of(&mut js1, name), "undefined", "js1 {name}");
        }
        for name in ABSENT_BOTH {
            assert_eq!(type_of(&mut js2, name), "undefined", "js2 {name}");
        }
        for name in JS2_ONLY {
            assert_eq!(type_of(&mut js2, name), "function", "js2 {name}");
        }
        for name in [
            "atob",
            "Buffer",
            "require",
            "process",
            "setTimeout",
            "cf",
            "eval('1')",
        ] {
            assert_ne!(
                eval(&mut js1, &format!("typeof {name}")).as_deref(),
                Ok("function")
            );
        }
        assert_eq!(eval(&mut js2, "'a-a'.replaceAll('a', 'b')").unwrap(), "b-b");
        assert!(
            eval(&mut js1, "new Map()")
                .unwrap_err()
                .starts_with("ReferenceError")
        );
    }

    #[test]
    fn es5_and_listed_built_ins_stay() {
        let kept = "[Object.assign, Object.entries, ''.padStart, ''.includes, [].includes, [].find, \
                    Array.of, Number.isInteger, Math.trunc, JSON.stringify, encodeURIComponent, parseInt, \
                    Promise.resolve, Function.prototype.bind, RegExp.prototype.exec, Uint8Array, \
                    ''.charCodeAt].every(function (f) { return typeof f === 'function'; })";
        for runtime in Runtime::ALL {
            assert_eq!(
                eval(&mut realm(runtime, false).0, kept).unwrap(),
                "true",
                "{runtime}"
            );
        }
    }

    #[test]
    fn eval_and_function_throw_and_code_is_strict() {
        let (mut context, _) = realm(Runtime::Js2, false);
        for code in [
            "eval('1')",
            "(0, eval)('1')",
            "new Function('return 1')",
            "Function('return 1')()",
        ] {
            let error = eval(&mut context, code).unwrap_err();
            assert!(
                error.contains("not allowed in CloudFront Functions"),
                "{code}: {error}"
            );
        }
        assert_eq!(
            eval(
                &mut context,
                "(function () { return this; })() === undefined"
            )
            .unwrap(),
            "true"
        );
        assert!(
            eval(&mut context, "undeclared = 1")
                .unwrap_err()
                .starts_with("ReferenceError")
        );
        assert!(
            eval(&mut context, "(function () { with ({}) {} })")
                .unwrap_err()
                .starts_with("SyntaxError")
        );
    }

    #[test]
    fn console_has_only_log_and_is_captured() {
        let (mut js1, state) = realm(Runtime::Js1, false);
        assert_eq!(
            eval(&mut js1, "Object.keys(console).join()").unwrap(),
            "log"
        );
        eval(&mut js1, "console.log('a', 1, true)").unwrap();
        assert_eq!(state.borrow().log, ["a 1 true"]);
        state.borrow_mut().reset();
        assert!(state.borrow().log.is_empty());
        let (mut js2, state) = realm(Runtime::Js2, false);
        eval(&mut js2, "console.log('only', 'first')").unwrap();
        assert_eq!(state.borrow().log, ["only"]);
        eval(&mut js2, "console.log('x'.repeat(20000))").unwrap();
        assert_eq!(state.borrow().log.len(), 1, "output past 10 KB is dropped");
    }

    #[test]
    fn date_is_frozen_and_random_is_seeded() {
        let (mut context, state) = realm(Runtime::Js1, false);
        let now = "Date.now() + ' ' + new Date().toISOString() + ' ' + new Date().getHours()";
        assert_eq!(
            eval(&mut context, now).unwrap(),
            "1704067200000 2024-01-01T00:00:00.000Z 0"
        );
        let draws = "[Math.random(), Math.random()].join()";
        let first = eval(&mut context, draws).unwrap();
        state.borrow_mut().reset();
        assert_eq!(eval(&mut context, draws).unwrap(), first);
        let values: Vec<f64> = first.split(',').map(|v| v.parse().unwrap()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)) && values[0] != values[1]);
    }

    #[test]
    fn cf_stub_records_origin_calls() {
        let (mut context, state) = realm(Runtime::Js2, true);
        eval(&mut context, "cf.selectRequestOriginById('s3-assets')").unwrap();
        assert_eq!(
            state.borrow().origin,
            Some(OriginCall::ById("s3-assets".into()))
        );
        eval(
            &mut context,
            "cf.updateRequestOrigin({ domainName: 'api.example.com' })",
        )
        .unwrap();
        assert_eq!(
            state.borrow().origin,
            Some(OriginCall::ByDomain("api.example.com".into()))
        );
        state.borrow_mut().reset();
        assert_eq!(state.borrow().origin, None);
        assert!(
            eval(&mut context, "cf.selectRequestOriginById(1)")
                .unwrap_err()
                .starts_with("TypeError")
        );
        assert!(
            eval(&mut context, "cf = 1")
                .unwrap_err()
                .starts_with("TypeError")
        );
        assert_eq!(
            type_of(&mut realm(Runtime::Js2, false).0, "cf"),
            "undefined"
        );
    }

    #[test]
    fn kvs_answers_from_memory() {
        let (mut context, state) = realm(Runtime::Js2, true);
        // sorted by key, as `Harness::set_kvs` keeps it
        state.borrow_mut().kvs = vec![("j".into(), "{\"a\":1}".into()), ("k".into(), "vé".into())];
        let code = "var out = []; var kvs = cf.kvs();\
                    kvs.get('k').then(function (v) { out.push(v); });\
                    kvs.get('j', { format: 'json' }).then(function (v) { out.push(v.a); });\
                    kvs.get('k', { format: 'bytes' }).then(function (v) { out.push(v.length + ':' + v[2]); });\
                    kvs.exists('nope').then(function (v) { out.push(v); });\
                    kvs.get('nope').catch(function (e) { out.push(e.message); });\
                    kvs.meta().then(function (m) { out.push(m.keyCount); });";
        eval(&mut context, code).unwrap();
        context.run_jobs().unwrap();
        let out = eval(&mut context, "out.join('|')").unwrap();
        assert_eq!(out, "vé|1|3:169|false|KeyValueStore: key not found|2");
    }

    #[test]
    fn import_line_becomes_an_empty_line() {
        let js = format!("{CF_IMPORT}\r\nvar a = 1;\n");
        assert_eq!(script_text(&js, Runtime::Js2), ("\nvar a = 1;\n", true));
        assert_eq!(script_text(&js, Runtime::Js1), (js.as_str(), false));
        let spaced = format!(" {CF_IMPORT}\n");
        assert_eq!(script_text(&spaced, Runtime::Js2), (spaced.as_str(), false));
    }
}
