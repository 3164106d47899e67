//! The `vcap` binary: parse arguments, run, print errors, exit.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Block-buffered: standard output is line-buffered, and the JSON report is hundreds of
    // lines, each a write system call (0.2 ms of a 3.7 ms report on a KVM guest measured).
    let mut out = vcap_cli::stream::Output::new(std::io::BufWriter::with_capacity(
        64 * 1024,
        std::io::stdout().lock(),
    ));
    vcap_cli::stream::set_width(vcap_cli::stream::terminal_width());
    let args: Vec<_> = std::env::args_os().collect();
    let personality = vcap_cli::invoked_as(&args);
    let result = vcap_cli::run(args, &mut out);
    // What was written goes out before any error is printed; a failed flush is an error, but
    // the command's own error, where it had one, is the one reported. A reader that went away
    // is no error (`Output`): the command's exit status stands.
    let flushed = out.flush();
    let result = result.and_then(|code| flushed.map(|()| code).map_err(vcap_cli::CliError::from));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let (name, code) = personality.error_style();
            eprintln!("{name}: {e}");
            match personality {
                vcap_cli::Personality::Vcap => ExitCode::from(e.exit_code()),
                _ => ExitCode::from(code),
            }
        }
    }
}
