//! `alias-prefix-mismatch`: a prefix location and its alias that differ in ending with `/`.

use crate::diagnostic::{Code, Diagnostic};
use crate::lints::{Context, Found};
use crate::model::{LocationKind, Part};

pub fn check(cx: &Context<'_>, found: &mut Found) {
    for (i, (raw, location)) in cx
        .raw
        .locations
        .iter()
        .zip(&cx.server.locations)
        .enumerate()
    {
        let (LocationKind::Prefix { path, .. }, Some(alias), Some(text)) =
            (&location.kind, &location.block.alias, &raw.block.alias)
        else {
            continue;
        };
        let Some(Part::Lit(last)) = alias.parts.last() else {
            continue;
        };
        let (path_slash, alias_slash) = (path.ends_with('/'), last.ends_with('/'));
        if path_slash == alias_slash || path == "/" {
            continue;
        }
        let written = &text.value;
        let host = &cx.host;
        let message = if alias_slash {
            // `/img` with `/data/img/`: anything that merely starts with `/img` lands inside.
            let folder = written.trim_end_matches('/');
            format!(
                "the location `{path}` has no trailing `/` but its alias `{written}` has: any URI that merely \
                 starts with `{path}` is served from inside it, e.g. GET https://{host}{path}foo/x.png → \
                 `{written}foo/x.png`; in nginx, GET {path}../x reaches `{folder}/../x`, a sibling (edgeroute answers that 404)"
            )
        } else {
            // `/img/` with `/data/img`: the rest is glued to the folder's name.
            let stem = path.trim_end_matches('/');
            format!(
                "the location `{path}` ends with `/` but its alias `{written}` does not: the rest of the URI is \
                 glued to the folder's name, e.g. GET https://{host}{path}-backup/db.sql → `{written}-backup/db.sql`, \
                 a sibling of `{written}`, and GET {stem}/x → `{written}x`"
            )
        };
        let help = if alias_slash {
            format!("end both with `/`: `location: {path}/` and `alias: {written}`")
        } else {
            format!("end both with `/`: `location: {path}` and `alias: {written}/`")
        };
        found.location(
            i,
            Diagnostic::new(Code::AliasPrefixMismatch, Some(text.span), message)
                .with_label("one ends with `/`, the other not")
                .with_help(help),
        );
    }
}
