//! Unified diffs with `similar`, for `build --check`, failed cases and `edgeroute diff`.

use similar::TextDiff;

/// A unified diff of two texts with three lines of context.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}
