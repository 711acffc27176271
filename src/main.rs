//! The `edgeroute` binary: everything happens in `edgeroute::cli`.

fn main() -> std::process::ExitCode {
    edgeroute::cli::main()
}
