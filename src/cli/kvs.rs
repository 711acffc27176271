//! The KeyValueStore side of the command line: where `build` writes the store, and `kvs plan`, the
//! `update-keys` batches between two store files (docs/shipping.md).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{Ui, write_atomically};
use crate::error::Error;
use crate::js::store::{self, Entry};

/// At most this many keys per `update-keys` call (puts and deletes count alike).
pub const BATCH_KEYS: usize = 50;
/// At most this many bytes of keys and values per `update-keys` call.
pub const BATCH_BYTES: usize = 3 * 1024 * 1024;

#[derive(Subcommand, Debug)]
pub(super) enum KvsCommand {
    /// The `update-keys` batches from OLD to NEW: puts (before publishing the new function), then
    /// deletes (after): `puts-NNN.json` and `deletes-NNN.json` in DIR.
    Plan(PlanArgs),
}

#[derive(Args, Debug)]
pub(super) struct PlanArgs {
    /// The store file the live function reads (`OUT.kvs.json` of the last deploy); a missing file
    /// is an empty store.
    old: PathBuf,
    /// The store file of the new build.
    new: PathBuf,
    /// The folder the batches are written to.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

/// `-o OUT.js` → `OUT.kvs.json`, unless `--kvs-output` says otherwise.
pub(super) fn store_path(output: &Path, kvs_output: Option<&Path>) -> PathBuf {
    if let Some(path) = kvs_output {
        return path.to_owned();
    }
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".js").unwrap_or(&name);
    output.with_file_name(format!("{stem}.kvs.json"))
}

pub(super) fn run(ui: &Ui, command: &KvsCommand) -> Result<bool, Error> {
    match command {
        KvsCommand::Plan(args) => plan(ui, args),
    }
}

fn read_store(path: &Path, missing_is_empty: bool) -> Result<Vec<(String, String)>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if missing_is_empty && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(source) => {
            return Err(Error::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    store::parse_import(&text).map_err(|why| {
        Error::Usage(format!(
            "{}: not a KeyValueStore import file ({{\"data\":[{{\"key\":…,\"value\":…}}]}}): {why}",
            path.display()
        ))
    })
}

/// The batches: puts (new keys and changed values), then deletes (keys NEW no longer has).
pub fn plan_batches(
    old: &[(String, String)],
    new: &[(String, String)],
) -> (Vec<Vec<Entry>>, Vec<Vec<String>>) {
    let old_map: std::collections::BTreeMap<&str, &str> =
        old.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let new_map: std::collections::BTreeMap<&str, &str> =
        new.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let puts: Vec<Entry> = new_map
        .iter()
        .filter(|(k, v)| old_map.get(*k) != Some(*v))
        .map(|(k, v)| Entry {
            key: (*k).to_owned(),
            value: (*v).to_owned(),
        })
        .collect();
    let deletes: Vec<String> = old_map
        .keys()
        .filter(|k| !new_map.contains_key(*k))
        .map(|k| (*k).to_owned())
        .collect();
    let put_batches = batches(puts, |e| e.key.len() + e.value.len());
    let delete_batches = batches(deletes, String::len);
    (put_batches, delete_batches)
}

fn batches<T>(items: Vec<T>, size: impl Fn(&T) -> usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut bytes = 0;
    for item in items {
        let n = size(&item);
        match out.last_mut() {
            Some(batch) if batch.len() < BATCH_KEYS && bytes + n <= BATCH_BYTES => {
                batch.push(item);
                bytes += n;
            }
            _ => {
                out.push(vec![item]);
                bytes = n;
            }
        }
    }
    out
}

fn plan(ui: &Ui, args: &PlanArgs) -> Result<bool, Error> {
    let old = read_store(&args.old, true)?;
    let new = read_store(&args.new, false)?;
    let (puts, deletes) = plan_batches(&old, &new);
    let mut written = Vec::new();
    for (i, batch) in puts.iter().enumerate() {
        let path = args.output.join(format!("puts-{:03}.json", i + 1));
        // the AWS CLI's shape: [{"Key": …, "Value": …}]
        let items: Vec<serde_json::Value> = batch
            .iter()
            .map(|e| serde_json::json!({ "Key": e.key, "Value": e.value }))
            .collect();
        let json = serde_json::to_string_pretty(&items).expect("entries serialize") + "\n";
        write_atomically(&path, &json)?;
        written.push(path);
    }
    for (i, batch) in deletes.iter().enumerate() {
        let keys: Vec<serde_json::Value> = batch
            .iter()
            .map(|k| serde_json::json!({ "Key": k }))
            .collect();
        let path = args.output.join(format!("deletes-{:03}.json", i + 1));
        let json = serde_json::to_string_pretty(&keys).expect("keys serialize") + "\n";
        write_atomically(&path, &json)?;
        written.push(path);
    }
    let put_keys: usize = puts.iter().map(Vec::len).sum();
    let delete_keys: usize = deletes.iter().map(Vec::len).sum();
    let mut out = format!(
        "{put_keys} key(s) to put in {} batch(es), {delete_keys} to delete in {} batch(es)\n",
        puts.len(),
        deletes.len()
    );
    if !puts.is_empty() {
        out.push_str("1. before publishing the new function: update-keys --puts file://<each puts-NNN.json>\n");
    }
    out.push_str("2. publish the new function\n");
    if !deletes.is_empty() {
        out.push_str("3. after it is live: update-keys --deletes file://<each deletes-NNN.json>\n");
    }
    for path in &written {
        out.push_str(&format!("wrote {}\n", path.display()));
    }
    ui.out(&out);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize, value: &str) -> Vec<(String, String)> {
        (0..n)
            .map(|i| (format!("v1:x:0:/p{i:05}"), value.to_owned()))
            .collect()
    }

    #[test]
    fn only_changed_keys_are_put_and_removed_ones_deleted_in_small_batches() {
        let old = entries(120, "[0,{}]");
        let mut new = entries(120, "[0,{}]");
        new[3].1 = "[1,{}]".to_owned();
        new.truncate(10);
        new.push(("v1:h:new.example".to_owned(), "0".to_owned()));
        let (puts, deletes) = plan_batches(&old, &new);
        let put_keys: Vec<&str> = puts.iter().flatten().map(|e| e.key.as_str()).collect();
        assert_eq!(put_keys, ["v1:h:new.example", "v1:x:0:/p00003"]);
        assert_eq!(
            deletes.iter().map(Vec::len).collect::<Vec<_>>(),
            [50, 50, 10]
        );
    }

    #[test]
    fn batches_stay_under_three_megabytes() {
        let big = "x".repeat(1000);
        let new = entries(7000, &big);
        let (puts, _) = plan_batches(&[], &new);
        assert!(puts.iter().all(|b| b.len() <= BATCH_KEYS));
        assert_eq!(puts.iter().map(Vec::len).sum::<usize>(), 7000);
        let big = "x".repeat(100_000);
        let new = entries(40, &big);
        let (puts, _) = plan_batches(&[], &new);
        assert!(
            puts.iter().all(
                |b| b.iter().map(|e| e.key.len() + e.value.len()).sum::<usize>() <= BATCH_BYTES
            )
        );
        assert_eq!(puts.len(), 2);
    }

    #[test]
    fn the_store_goes_beside_the_function() {
        assert_eq!(
            store_path(Path::new("dist/router.js"), None),
            PathBuf::from("dist/router.kvs.json")
        );
        assert_eq!(
            store_path(Path::new("out"), Some(Path::new("s.json"))),
            PathBuf::from("s.json")
        );
    }
}
