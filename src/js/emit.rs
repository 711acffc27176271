//! ir::Program → JavaScript: the router template, the rendered `R` and `D` tables, and the functions
//! computing the rules' values (`values`).
//!
//! Templates are compiled into the binary (`include_str!`), so the output never depends on the
//! working folder. Rule text reaches the output only as JSON string literals, escaped here for
//! JavaScript too (U+2028, U+2029, `</script>`): there is exactly one place where data becomes code.

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use crate::error::Error;
use crate::ir::{AclEntry, Data, Program, Table};
use crate::js::{hosts, search, values};
use crate::runtime::Runtime;

const FUNCTION: &str = include_str!("../../templates/function.js.j2");
const ROUTER: &str = include_str!("../../templates/router.js.j2");
/// The runtime's partials, one per concern, in the order the router includes them.
const RUNTIME: [(&str, &str); 11] = [
    (
        "runtime/base.js.j2",
        include_str!("../../templates/runtime/base.js.j2"),
    ),
    (
        "runtime/normalize.js.j2",
        include_str!("../../templates/runtime/normalize.js.j2"),
    ),
    (
        "runtime/encode.js.j2",
        include_str!("../../templates/runtime/encode.js.j2"),
    ),
    (
        "runtime/host.js.j2",
        include_str!("../../templates/runtime/host.js.j2"),
    ),
    (
        "runtime/access.js.j2",
        include_str!("../../templates/runtime/access.js.j2"),
    ),
    (
        "runtime/state.js.j2",
        include_str!("../../templates/runtime/state.js.j2"),
    ),
    (
        "runtime/variables.js.j2",
        include_str!("../../templates/runtime/variables.js.j2"),
    ),
    (
        "runtime/rewrite.js.j2",
        include_str!("../../templates/runtime/rewrite.js.j2"),
    ),
    (
        "runtime/locate.js.j2",
        include_str!("../../templates/runtime/locate.js.j2"),
    ),
    (
        "runtime/origin.js.j2",
        include_str!("../../templates/runtime/origin.js.j2"),
    ),
    (
        "runtime/route.js.j2",
        include_str!("../../templates/runtime/route.js.j2"),
    ),
];

/// The output's first comment line (after the import line, when there is one).
pub fn header(program: &Program) -> String {
    format!(
        "edgeroute {} rules sha256:{} runtime {}",
        env!("CARGO_PKG_VERSION"),
        program.hash,
        program.runtime
    )
}

/// Render the readable (unminified) function; `trace`: with the trace steps `explain`, `diff` and
/// coverage read (`route(event, T)` pushes them onto `T`), which the upload never carries.
pub fn emit(program: &Program, trace: bool) -> Result<String, Error> {
    emit_shaped(program, trace, Shape::Chosen)
}

/// Which of the rule set's parts become code (docs/generated-function.md, "Code where code is
/// smaller or faster").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Each server's location search and the host patterns by their counts: what is uploaded.
    Chosen,
    /// Every search and the host patterns as tables, read by the runtime's general helpers: the
    /// form the tests hold the compiled code to.
    Tables,
}

/// `emit` with the code-or-tables choice made by `shape`.
pub fn emit_shaped(program: &Program, trace: bool, shape: Shape) -> Result<String, Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // a name the template uses and the context lacks is an error, never an empty string
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Guards sit on lines of their own (`{% if f.access %}`): drop those lines whole, so the readable
    // form has no stray blank lines, and keep the final line break of the file.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(template_error)?;
    env.set_syntax(syntax);
    env.add_template("function.js.j2", FUNCTION)
        .map_err(template_error)?;
    env.add_template("router.js.j2", ROUTER)
        .map_err(template_error)?;
    for (name, source) in RUNTIME {
        env.add_template(name, source).map_err(template_error)?;
    }
    let regexes: Vec<String> = program
        .regexes
        .iter()
        .map(|(source, flags)| match flags.as_str() {
            "" => format!("new RegExp({})", js_string(source)),
            _ => format!("new RegExp({}, {})", js_string(source), js_string(flags)),
        })
        .collect();
    let compiled = values::compile(&program.data).ok_or_else(|| {
        Error::Template("a rule value holds the control character U+0001".to_owned())
    })?;
    let mut data = compiled.data;
    let mut functions = compiled.functions;
    let hosts = match shape {
        Shape::Chosen => hosts::compile(&data, trace),
        Shape::Tables => None,
    };
    if let Some(code) = &hosts {
        data.p.clear();
        data.k = Table::default();
        data.g.clear();
        functions.push(code.clone());
    }
    let search = compile_searches(
        &mut data,
        program.kvs || shape == Shape::Tables,
        trace,
        &mut functions,
    );
    let data = if program.kvs {
        crate::js::store::split(&data).0.to_string()
    } else {
        serde_json::to_string(&data).map_err(|e| Error::Template(e.to_string()))?
    };
    let data = values::link(&data).ok_or_else(|| {
        Error::Template("a compiled function's reference is malformed".to_owned())
    })?;
    let kvs_hosts = program.store.iter().any(|(k, _)| k.starts_with("v1:h:"));
    let import_cf = program.runtime == Runtime::Js2 && (program.features.origin || program.kvs);
    let clean_roots = crate::js::roots::clean_roots(program);
    env.get_template("function.js.j2")
        .and_then(|t| {
            t.render(context! {
                import_cf,
                trace,
                kvs => program.kvs,
                kvs_hosts,
                header => header(program),
                regexes => regexes.join(", "),
                compiled => functions.join("\n"),
                hosts_compiled => hosts.is_some(),
                text_path => crate::js::text_form::mode(program, trace),
                clean_roots,
                clean_targets => clean_roots && crate::js::roots::clean_targets(program),
                acl_text => acl_text(program, |_| true),
                acl_text6 => acl_text(program, |e| matches!(e, AclEntry::V6 { .. })),
                search,
                data => js_safe(&data),
                f => minijinja::value::Serde(program.features),
            })
        })
        .map_err(template_error)
}

/// Whether an access list of `program` has an entry with its network as text that `kind` holds.
fn acl_text(program: &Program, kind: impl Fn(&AclEntry) -> bool) -> bool {
    program.data.a.iter().flatten().any(|e| {
        kind(e)
            && matches!(
                e,
                AclEntry::V4 { text: Some(_), .. } | AclEntry::V6 { text: Some(_), .. }
            )
    })
}

/// Compiles the location search of each server that `search::compiles` to code, naming it in the
/// server's `f` in place of its tables; identical searches are written once. Returns how servers
/// search: "code" (all compiled), "tables" (none: always with `kvs`, whose exact locations are in
/// the store) or "mixed".
fn compile_searches(
    data: &mut Data,
    tables_only: bool,
    trace: bool,
    functions: &mut Vec<String>,
) -> &'static str {
    if tables_only {
        return "tables";
    }
    let mut written: Vec<(String, String)> = Vec::new();
    let (mut code, mut tables) = (false, false);
    for server in &mut data.s {
        if !search::compiles(server) {
            tables = true;
            continue;
        }
        code = true;
        let body = search::function("locate", server, trace);
        let name = match written.iter().find(|(b, _)| *b == body) {
            Some((_, name)) => name.clone(),
            None => {
                let name = format!("locate{}", written.len());
                functions.push(search::function(&name, server, trace));
                written.push((body, name.clone()));
                name
            }
        };
        server.f = Some(values::reference(&name));
        server.x = Table::default();
        server.b = Table::default();
        server.q.clear();
        server.r.clear();
    }
    match (code, tables) {
        (true, false) => "code",
        (true, true) => "mixed",
        _ => "tables",
    }
}

/// A JavaScript string literal for any text.
pub fn js_string(text: &str) -> String {
    js_safe(&serde_json::to_string(text).expect("strings serialize"))
}

/// JSON made safe to embed in JavaScript source and in an HTML script element.
fn js_safe(json: &str) -> String {
    json.replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--")
}

fn template_error(e: minijinja::Error) -> Error {
    Error::Template(format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::js_string;

    #[test]
    fn strings_are_escaped_for_javascript() {
        assert_eq!(js_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(js_string("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        assert_eq!(js_string("</script>"), r#""<\/script>""#);
        assert_eq!(js_string("\n\u{1}"), r#""\n\u0001""#);
    }
}
