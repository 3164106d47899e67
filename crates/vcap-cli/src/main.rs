//! The `vcap` binary: parse arguments, run, print errors, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match vcap_cli::run(std::env::args_os(), &mut out) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vcap: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
