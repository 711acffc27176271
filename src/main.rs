//! The `edgeroute` binary: everything happens in `edgeroute::cli`.

/// boa allocates for every object, string and property a request creates; mimalloc makes that
/// cheaper than the system allocator (docs/performance.md, "Replay").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    edgeroute::cli::main()
}
