#!/bin/sh
# Seed fuzz/corpus/<target>/ from the fixtures (the corpus itself is not committed; see .gitignore).
#   read_validate, structured, pipeline: every fixtures/**/*.yaml (raw bytes; the structured targets
#     read them as choices of the model);
#   lint_js: the generated functions in the compile snapshots and the benchmark baseline, and the
#     rules templates.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$root/fuzz/corpus
for t in read_validate structured pipeline lint_js; do mkdir -p "$corpus/$t"; done
for f in "$root"/fixtures/*/*.yaml "$root"/fixtures/*/*/*.yaml; do
    name=$(echo "${f#"$root"/fixtures/}" | tr / _)
    for t in read_validate structured pipeline; do cp "$f" "$corpus/$t/$name"; done
done
for f in "$root"/tests/integration/snapshots/compile__*.snap; do
    # Drop the snapshot header (the lines up to the second `---`).
    awk 'n >= 2 { print } /^---$/ { n++ }' "$f" > "$corpus/lint_js/$(basename "$f" .snap).js"
done
cp "$root"/benches/baselines/*.js "$corpus/lint_js/"
for f in "$root"/templates/*; do [ -f "$f" ] && cp "$f" "$corpus/lint_js/template-$(basename "$f")"; done
ls "$corpus" | while read -r t; do echo "$t: $(ls "$corpus/$t" | wc -l) seeds"; done
