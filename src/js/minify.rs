//! The upload: the readable function minified by swc's minifier. Unused helpers are dropped (the
//! runtime is written whole; what the compiled code never calls does not reach the upload), and
//! every name but `handler`, `route` and the `cloudfront` module's `cf` is shortened by the mangler.
//! The result is deterministic (one thread, no name cache) and plain ES 5.1: the caller gates it
//! again all the same. The first-line `cloudfront` import is kept byte for byte, because the harness
//! swaps exactly that line for a stub (cloudfront-runtime.md §1 [R]).

use swc_common::sync::Lrc;
use swc_common::{DUMMY_SP, SourceMap};
use swc_common::{GLOBALS, Globals, Mark};
use swc_ecma_ast::{Decl, EsVersion, Module, ModuleItem, Program, Stmt};
use swc_ecma_minifier::option::{
    CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions,
};
use swc_ecma_transforms_base::{fixer::fixer, resolver};
use swc_ecma_visit::VisitMutWith;

use crate::js::compact::{self, CompactError};
use crate::js::gate::{self, CLOUDFRONT_IMPORT};
use crate::runtime::Runtime;

/// The names the outside world calls or binds: CloudFront calls `handler`; the harness, `explain`
/// and `diff` call `route`; the harness binds `cf` in place of the import line.
const KEPT: [&str; 3] = ["handler", "route", "cf"];

/// Minifies `source` for upload. On 2.0 a first-line `import cf from 'cloudfront';` stays the first
/// line, unchanged and followed by a line break; everything else is printed on one line.
pub fn minify(source: &str, runtime: Runtime) -> Result<String, CompactError> {
    gate::with_stack_for(source, || minify_here(source, runtime))
}

/// The compact bytes of each top-level function of `source` once compressed, names left as written
/// (the upload's are shorter): where a runtime's bytes go, for the `size-budget` help. A helper the
/// compressor inlined counts in its caller; one it dropped is absent.
pub fn function_sizes(source: &str) -> Vec<(String, usize)> {
    gate::with_stack_for(source, || {
        let Ok(mut parsed) = gate::parse(source) else {
            return Vec::new();
        };
        let module = std::mem::take(&mut parsed.module);
        let module = compress(module, &parsed.source_map, source, Pass::Measure);
        module
            .body
            .into_iter()
            .filter_map(|item| {
                let ModuleItem::Stmt(Stmt::Decl(Decl::Fn(function))) = &item else {
                    return None;
                };
                let name = function.ident.sym.to_string();
                let alone = Module {
                    span: DUMMY_SP,
                    body: vec![item],
                    shebang: None,
                };
                let bytes = compact::emit(&alone, &parsed.source_map).ok()?.len();
                Some((name, bytes))
            })
            .collect()
    })
}

fn minify_here(source: &str, runtime: Runtime) -> Result<String, CompactError> {
    let mut parsed = gate::parse(source).map_err(CompactError::Syntax)?;
    let keep_import = runtime == Runtime::Js2 && gate::first_line_is_import(source);
    let module = std::mem::take(&mut parsed.module);
    let module = compress(module, &parsed.source_map, source, Pass::Upload);
    parsed.module = module;
    compact::bare_keys(&mut parsed.module);
    let import = keep_import && compact::starts_with_import(&parsed.module);
    if import {
        parsed.module.body.remove(0);
    }
    let code = in_one_scope(&mut parsed.module, &parsed.source_map)?;
    Ok(if import {
        format!("{CLOUDFRONT_IMPORT}\n{code}")
    } else {
        code
    })
}

/// The router inside one function scope, `handler` outside it:
/// `var route=function(){…;return route}();function handler(…){…}`. A top-level name is a
/// property of the global object, which boa looks up by name at every read and write; inside a
/// function it is a slot. Same answers, about 30 % less time per request in boa (the golden
/// tests, `replay`); njs and node resolve both alike. A store-backed function (async `handler`
/// and `route`) stays as it is.
fn in_one_scope(module: &mut Module, source_map: &Lrc<SourceMap>) -> Result<String, CompactError> {
    let handler = module.body.iter().position(|item| {
        matches!(item, ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f)))
            if f.ident.sym == *"handler" && !f.function.is_async)
    });
    let route = module.body.iter().any(|item| {
        matches!(item, ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f)))
            if f.ident.sym == *"route" && !f.function.is_async)
    });
    let Some(handler) = handler.filter(|_| route) else {
        return compact::emit(module, source_map);
    };
    let handler = Module {
        span: DUMMY_SP,
        body: vec![module.body.remove(handler)],
        shebang: None,
    };
    let router = compact::emit(module, source_map)?;
    let handler = compact::emit(&handler, source_map)?;
    Ok(format!(
        "var route=function(){{{router};return route}}();{handler}"
    ))
}

/// What a compression is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The upload: compressed and mangled.
    Upload,
    /// Measuring each helper: compressed without inlining one function into another, names kept.
    Measure,
}

/// swc's compressor over `module` (`source` is its text), as `pass` needs.
fn compress(module: Module, source_map: &Lrc<SourceMap>, source: &str, pass: Pass) -> Module {
    GLOBALS.set(&Globals::new(), || {
        let unresolved_mark = Mark::new();
        let top_level_mark = Mark::new();
        let mut program = Program::Module(module);
        program.visit_mut_with(&mut resolver(unresolved_mark, top_level_mark, false));
        let options = options(&kept_whole(source), pass);
        let extra = ExtraOptions {
            unresolved_mark,
            top_level_mark,
            mangle_name_cache: None,
        };
        let mut program =
            swc_ecma_minifier::optimize(program, source_map.clone(), None, None, &options, &extra);
        program.visit_mut_with(&mut fixer(None));
        match program {
            Program::Module(module) => module,
            Program::Script(_) => unreachable!("a module stays a module"),
        }
    })
}

/// The top-level functions the compressor must keep as they are (it still shortens their names):
/// each `async function`, because 2.0 allows no async closure and inlined into its caller one
/// would become an async function expression; and each computed value and location search
/// (`valueN`, `locateN`: src/js/values.rs, search.rs), because inlined into the tables it would nest
/// a function body inside them, and boa's parser
/// recurses over nested literals deeply enough to overflow a 2 MB stack.
fn kept_whole(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            line.strip_prefix("async function ")
                .or_else(|| line.strip_prefix("function "))
                .map(|rest| (line, rest))
        })
        .filter_map(|(line, rest)| {
            let name = rest.split('(').next()?.trim();
            let compiled = ["value", "locate"].iter().any(|p| {
                name.strip_prefix(p)
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            });
            (line.starts_with("async ") || compiled).then(|| name.to_owned())
        })
        .filter(|name| !KEPT.contains(&name.as_str()))
        .collect()
}

fn options(kept_whole: &[String], pass: Pass) -> MinifyOptions {
    let kept = || KEPT.iter().map(|&n| n.into()).collect::<Vec<_>>();
    let retained = || {
        kept()
            .into_iter()
            .chain(kept_whole.iter().map(|n| n.as_str().into()))
            .collect::<Vec<_>>()
    };
    MinifyOptions {
        compress: Some(CompressOptions {
            // ES 5.1 in, ES 5.1 out: nothing may become an arrow, a template or a `let`
            ecma: EsVersion::Es5,
            arrows: false,
            top_level: Some(TopLevelOptions { functions: true }),
            top_retain: retained(),
            passes: 2,
            // no long comma sequences or deep conditionals: every engine's parser recurses over
            // them, and boa overflows a 2 MB stack on a long one
            sequences: 0,
            inline: if pass == Pass::Measure {
                0
            } else {
                CompressOptions::default().inline
            },
            reduce_fns: pass == Pass::Upload && CompressOptions::default().reduce_fns,
            ..CompressOptions::default()
        }),
        mangle: (pass == Pass::Upload).then(|| MangleOptions {
            top_level: Some(true),
            reserved: kept(),
            ..MangleOptions::default()
        }),
        ..MinifyOptions::default()
    }
}
