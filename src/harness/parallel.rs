//! Running many requests on every core (golden cases, replayed logs): one boa context per thread,
//! each loading the same bytes.
//!
//! A boa `Context` cannot move between threads, so each thread builds its own state (`init`), then
//! takes blocks of items from a shared counter until none are left. Results come back in input
//! order whatever the scheduling.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;

/// Items a thread takes at a time.
const BLOCK: usize = 64;
/// The main thread's stack size, for the boa contexts of the other threads.
const STACK: usize = 8 * 1024 * 1024;

/// The threads to use: one per core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `work(state, item)` for every item, on `threads` threads, each with the state `init` builds;
/// results in input order.
pub fn map_parallel<I, S, T>(
    items: &[I],
    threads: usize,
    init: impl Fn() -> Result<S, Error> + Sync,
    work: impl Fn(&mut S, &I) -> T + Sync,
) -> Result<Vec<T>, Error>
where
    I: Sync,
    T: Send,
{
    let threads = threads.clamp(1, items.len().div_ceil(BLOCK).max(1));
    if threads == 1 {
        let mut state = init()?;
        return Ok(items.iter().map(|item| work(&mut state, item)).collect());
    }
    let next = AtomicUsize::new(0);
    let one = || -> Result<Vec<(usize, Vec<T>)>, Error> {
        let mut state = init()?;
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(BLOCK, Ordering::Relaxed);
            if start >= items.len() {
                return Ok(done);
            }
            let end = (start + BLOCK).min(items.len());
            let results = items[start..end].iter().map(|item| work(&mut state, item));
            done.push((start, results.collect()));
        }
    };
    let finished = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for i in 0..threads {
            let builder = std::thread::Builder::new()
                .name(format!("route-{i}"))
                .stack_size(STACK);
            let handle = builder
                .spawn_scoped(scope, one)
                .map_err(|e| Error::Engine(format!("cannot start a thread: {e}")))?;
            handles.push(handle);
        }
        let mut blocks = Vec::new();
        for handle in handles {
            let result = handle
                .join()
                .map_err(|_| Error::Engine("a routing thread panicked".to_owned()))?;
            blocks.extend(result?);
        }
        Ok::<_, Error>(blocks)
    });
    let mut blocks = finished?;
    blocks.sort_unstable_by_key(|(start, _)| *start);
    Ok(blocks
        .into_iter()
        .flat_map(|(_, results)| results)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order() {
        let items: Vec<usize> = (0..10_000).collect();
        let doubled = map_parallel(
            &items,
            4,
            || Ok(0usize),
            |calls, i| {
                *calls += 1;
                i * 2
            },
        )
        .unwrap();
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let failed = map_parallel(
            &items,
            2,
            || Err::<(), _>(Error::Usage("no".into())),
            |(), i| *i,
        );
        assert!(failed.is_err());
        assert!(
            map_parallel(&[] as &[u8], 2, || Ok(()), |(), b| *b)
                .unwrap()
                .is_empty()
        );
    }
}
