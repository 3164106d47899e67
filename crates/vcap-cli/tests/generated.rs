//! The manual pages and shell completions under `man/` and `completions/` are generated from the
//! clap definitions (clap_mangen, clap_complete); this test generates them again and fails when
//! the committed files differ. After changing a command's arguments or help, run
//! `VCAP_REGENERATE=1 cargo test -p vcap-cli --test generated` and commit the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every generated file: path under the repository → content.
fn generate() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let tmp = std::env::temp_dir().join(format!("vcap-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    clap_mangen::generate_to(vcap_cli::Cli::command(), &tmp).unwrap();
    for e in std::fs::read_dir(&tmp).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        files.insert(
            Path::new("man").join(name),
            std::fs::read(e.path()).unwrap(),
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
    files.insert(Path::new("man/vcap.1").into(), main_page());
    for (shell, name) in [
        (Shell::Bash, "vcap.bash"),
        (Shell::Zsh, "_vcap"),
        (Shell::Fish, "vcap.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut vcap_cli::Cli::command(), "vcap", &mut buf);
        files.insert(Path::new("completions").join(name), buf);
    }
    files
}

/// Roff text: backslashes and hyphens escaped, no line read as a request.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\\\").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// `vcap.1`: clap_mangen's sections, with the exit statuses as a section of their own (clap_mangen
/// would print them as one paragraph under EXTRA).
fn main_page() -> Vec<u8> {
    // Without `vcap help` in the command list: clap_mangen writes no page for it.
    let man = clap_mangen::Man::new(vcap_cli::Cli::command().disable_help_subcommand(true));
    let mut buf = Vec::new();
    man.render_title(&mut buf).unwrap();
    man.render_name_section(&mut buf).unwrap();
    man.render_synopsis_section(&mut buf).unwrap();
    man.render_description_section(&mut buf).unwrap();
    man.render_options_section(&mut buf).unwrap();
    man.render_subcommands_section(&mut buf).unwrap();
    let mut lines = vcap_cli::EXIT_STATUS.lines();
    assert_eq!(lines.next(), Some("Exit status:"));
    let mut sec = String::from(".SH \"EXIT STATUS\"\n");
    let mut closing = Vec::new();
    for line in lines {
        match line.trim_start().split_once("  ") {
            Some((code, meaning)) if line.starts_with("  ") => {
                sec += &format!(".TP\n\\fB{code}\\fR\n{}\n", roff(meaning.trim()));
            }
            _ => closing.push(line),
        }
    }
    sec += &format!(".PP\n{}\n", roff(&closing.join(" ")));
    buf.extend_from_slice(sec.as_bytes());
    man.render_version_section(&mut buf).unwrap();
    buf
}

fn committed(dir: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(repo().join(dir)) {
        for e in rd {
            let e = e.unwrap();
            files.insert(
                Path::new(dir).join(e.file_name()),
                std::fs::read(e.path()).unwrap(),
            );
        }
    }
    files
}

#[test]
fn committed_man_pages_and_completions_are_the_generated_ones() {
    let want = generate();
    if std::env::var_os("VCAP_REGENERATE").is_some() {
        for dir in ["man", "completions"] {
            let _ = std::fs::remove_dir_all(repo().join(dir));
            std::fs::create_dir_all(repo().join(dir)).unwrap();
        }
        for (p, c) in &want {
            std::fs::write(repo().join(p), c).unwrap();
        }
    }
    let mut have = committed("man");
    have.extend(committed("completions"));
    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&have),
        names(&want),
        "regenerate: VCAP_REGENERATE=1 cargo test -p vcap-cli --test generated"
    );
    for (p, c) in &want {
        assert!(
            have[p] == *c,
            "{} is stale; regenerate: VCAP_REGENERATE=1 cargo test -p vcap-cli --test generated",
            p.display()
        );
    }
    // The pages are real: the main one names every command and lists the exit statuses, and
    // every page it points to exists.
    let main_text = String::from_utf8_lossy(&want[Path::new("man/vcap.1")]).into_owned();
    for line in main_text
        .lines()
        .filter(|l| l.starts_with("vcap\\-") && l.ends_with("(1)"))
    {
        let page = line.trim_end_matches("(1)").replace("\\-", "-") + ".1";
        assert!(
            want.contains_key(&Path::new("man").join(&page)),
            "{page} is named but not generated"
        );
    }
    let main = String::from_utf8(want[Path::new("man/vcap.1")].clone()).unwrap();
    for c in [
        "detect",
        "snapshot",
        "sanitize",
        "baseline",
        "compare",
        "protocol",
        "EXIT STATUS",
    ] {
        assert!(main.contains(c), "vcap.1 lacks {c}");
    }
}

#[test]
fn the_install_script_installs_pages_and_completions_that_work() {
    let prefix = std::env::temp_dir().join(format!("vcap-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&prefix);
    let o = std::process::Command::new("sh")
        .arg(repo().join("scripts/install"))
        .args(["--files-only", "--prefix"])
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    for f in [
        "share/man/man1/vcap.1",
        "share/man/man1/vcap-detect.1",
        "share/zsh/site-functions/_vcap",
        "share/fish/vendor_completions.d/vcap.fish",
    ] {
        assert!(prefix.join(f).is_file(), "{f} not installed");
    }
    // bash completes a subcommand from the installed file.
    let script = format!(
        "source {}; COMP_WORDS=(vcap det); COMP_CWORD=1; _vcap vcap det vcap; echo \"${{COMPREPLY[*]}}\"",
        prefix
            .join("share/bash-completion/completions/vcap")
            .display()
    );
    let o = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "detect", "{o:?}");
    let _ = std::fs::remove_dir_all(&prefix);
}
