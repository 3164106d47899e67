//! libvirt as the peer, side by side: the real CPUs of libvirt's `tests/cputestdata/`
//! (`fixtures/libvirt/`, each cited in `SOURCES.tsv`) through vcap's `compare` and `Baseline` and
//! through `virsh -c test:///default cpu-baseline --features` (Debian `libvirt-clients`; the test
//! driver needs no daemon and implements `cpu-baseline` only — `cpu-compare` and the
//! `hypervisor-cpu-*` commands answer "not supported by the connection driver" — so a pair's
//! libvirt verdict is read from the baseline of the two: A runs on B when baseline(A, B) = A).
//!
//! virsh gets each CPU as the `<cpu>` vcap writes for it (`CpuDef::from_regset`: the richest
//! libvirt model and the other features as `require`), so both tools see the same bits. The test
//! fails when
//! - virsh's expansion of a CPU vcap wrote differs from vcap's own feature list (the model table
//!   or the XML writer is wrong);
//! - for any ordered pair, vcap's verdict restricted to the bits libvirt names differs from
//!   libvirt's;
//! - a pair where the full verdicts differ has no vcap field to explain it, or a baseline's
//!   features differ other than by a named vcap rule;
//! - the table in docs/regs.md is not the one this run produced (`VCAP_BLESS=1` rewrites it).
//!
//! One virsh process runs every command (about 360), so the test takes about a second.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vcap_regs::input;
use vcap_regs::libvirt::{self, CpuDef, FEATURES};
use vcap_regs::{Baseline, FieldDiff, Kind, RegSet, Verdict, compare};

struct Cpu {
    name: String,
    set: RegSet,
    vendor: &'static str,
    /// vcap's view: libvirt names of the bits set.
    feats: BTreeSet<&'static str>,
    xml: String,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/libvirt")
}

fn load() -> Vec<Cpu> {
    let sources = std::fs::read_to_string(dir().join("SOURCES.tsv")).unwrap();
    let mut cpus = Vec::new();
    for line in sources.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "SOURCES.tsv: {line}");
        let (name, file, commit) = (cols[0], cols[2], cols[3]);
        assert!(
            file.starts_with("tests/cputestdata/x86_64-cpuid-"),
            "{line}"
        );
        assert!(
            commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{line}"
        );
        let text = std::fs::read_to_string(dir().join(format!("{name}.txt"))).unwrap();
        let host = input::parse_cpuid_text(&text, name).unwrap();
        assert_eq!(
            host.regs.unknown_names(),
            Vec::<&str>::new(),
            "{name}: the conversion keeps every leaf vcap reads"
        );
        let feats = libvirt::features_of(&host.regs)
            .unwrap()
            .iter()
            .map(|f| f.name)
            .collect();
        let xml = CpuDef::from_regset(&host.regs)
            .unwrap()
            .to_host_xml()
            .unwrap();
        cpus.push(Cpu {
            name: name.to_string(),
            vendor: libvirt::vendor_of(&host.regs).unwrap(),
            set: host.regs,
            feats,
            xml,
        });
    }
    let listed: BTreeSet<String> = cpus.iter().map(|c| format!("{}.txt", c.name)).collect();
    for e in std::fs::read_dir(dir()).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        if n.ends_with(".txt") {
            assert!(listed.contains(&n), "{n} is not cited in SOURCES.tsv");
        }
    }
    cpus
}

/// The sets whose baselines are compared: libvirt's own `DO_TEST_CPUID_BASELINE` pairs that are
/// among the fixtures, generations, vendors, and every CPU (Intel and AMD: both tools refuse).
fn sets(cpus: &[Cpu]) -> Vec<(String, Vec<usize>)> {
    let idx = |n: &str| cpus.iter().position(|c| c.name == n).unwrap();
    let of = |names: &[&str]| names.iter().map(|n| idx(n)).collect::<Vec<_>>();
    let by = |pred: &dyn Fn(&Cpu) -> bool| {
        (0..cpus.len())
            .filter(|&i| pred(&cpus[i]))
            .collect::<Vec<_>>()
    };
    let client = |c: &Cpu| c.name.starts_with("Core-") || c.name.starts_with("Ryzen-");
    vec![
        (
            "libvirt EPYC+Rome".into(),
            of(&["EPYC-7601-32-Core", "EPYC-7502-32-Core"]),
        ),
        (
            "libvirt Ryzen+Rome".into(),
            of(&["Ryzen-7-1800X-Eight-Core", "Ryzen-9-3900X-12-Core"]),
        ),
        (
            "libvirt Broadwell-IBRS+Cascadelake".into(),
            of(&["Xeon-E5-2623-v4", "Xeon-Platinum-8268"]),
        ),
        (
            "libvirt Cascadelake+Skylake-IBRS".into(),
            of(&["Xeon-Platinum-8268", "Xeon-Gold-6130"]),
        ),
        (
            "libvirt Cascadelake+Skylake".into(),
            of(&["Xeon-Platinum-9242", "Xeon-Gold-6148"]),
        ),
        (
            "libvirt Cascadelake+Icelake".into(),
            of(&["Xeon-Platinum-9242", "Ice-Lake-Server"]),
        ),
        (
            "libvirt Cooperlake+Icelake".into(),
            of(&["Cooperlake", "Ice-Lake-Server"]),
        ),
        (
            "libvirt Cooperlake+Cascadelake".into(),
            of(&["Cooperlake", "Xeon-Platinum-9242"]),
        ),
        (
            "libvirt Skylake-Client+Server".into(),
            of(&["Core-i5-6600", "Xeon-Gold-6148"]),
        ),
        (
            "Sapphire, Emerald, Granite Rapids".into(),
            of(&["Xeon-Bronze-3408U", "Xeon-Gold-6530", "Xeon-6788P"]),
        ),
        (
            "Skylake to Cascade Lake servers".into(),
            of(&[
                "Xeon-Gold-6130",
                "Xeon-Gold-6148",
                "Xeon-Platinum-8268",
                "Xeon-Platinum-9242",
                "Xeon-Silver-4214R",
                "Cooperlake",
            ]),
        ),
        (
            "Intel servers, Haswell to Granite Rapids".into(),
            by(&|c| c.vendor == "Intel" && !client(c)),
        ),
        (
            "Intel clients".into(),
            by(&|c| c.vendor == "Intel" && client(c)),
        ),
        ("every Intel CPU".into(), by(&|c| c.vendor == "Intel")),
        (
            "AMD EPYC, Naples to Genoa".into(),
            by(&|c| c.name.starts_with("EPYC-")),
        ),
        (
            "AMD Ryzen clients".into(),
            by(&|c| c.name.starts_with("Ryzen-")),
        ),
        ("every AMD CPU".into(), by(&|c| c.vendor == "AMD")),
        (
            "every CPU (Intel and AMD)".into(),
            (0..cpus.len()).collect(),
        ),
    ]
}

/// One `cpu-baseline --features` answer: `None` when virsh refused (its error is in `err`).
#[derive(Debug, Clone)]
struct Answer {
    model: Option<String>,
    feats: Option<BTreeSet<String>>,
}

fn virsh() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("virsh"))
        .find(|p| p.is_file())
}

/// Runs every command in one virsh process; answers by key.
fn run_virsh(virsh: &Path, jobs: &[(String, String)]) -> (BTreeMap<String, Answer>, String) {
    let tmp = std::env::temp_dir().join(format!("vcap-libvirt-peer-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut script = String::new();
    for (i, (key, xml)) in jobs.iter().enumerate() {
        let f = tmp.join(format!("{i}.xml"));
        std::fs::write(&f, xml).unwrap();
        let _ = writeln!(script, "echo @@{key}");
        let _ = writeln!(script, "cpu-baseline --features {}", f.display());
    }
    let mut child = Command::new(virsh)
        .args(["-c", "test:///default"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut answers = BTreeMap::new();
    let mut cur: Option<(String, Answer)> = None;
    for line in stdout.lines() {
        let l = line.trim();
        if let Some(k) = l.strip_prefix("@@") {
            if let Some((k0, a)) = cur.take() {
                answers.insert(k0, a);
            }
            cur = Some((
                k.to_string(),
                Answer {
                    model: None,
                    feats: None,
                },
            ));
        } else if let Some((_, a)) = cur.as_mut() {
            if l.starts_with("<cpu") {
                a.feats = Some(BTreeSet::new());
            } else if let Some(m) = l.strip_prefix("<model fallback='") {
                let m = m.split_once("'>").map_or("", |x| x.1);
                a.model = Some(m.trim_end_matches("</model>").to_string());
            } else if let Some(rest) = l.strip_prefix("<feature policy='require' name='") {
                if let Some(f) = a.feats.as_mut() {
                    f.insert(rest.trim_end_matches("'/>").to_string());
                }
            } else if let Some(rest) = l.strip_prefix("<feature policy='disable' name='") {
                // The model libvirt named has it, the baseline does not.
                if let Some(f) = a.feats.as_mut() {
                    f.remove(rest.trim_end_matches("'/>"));
                }
            } else if l.starts_with("<feature") {
                panic!("virsh answered a feature policy vcap does not expect: {l}");
            }
        }
    }
    if let Some((k0, a)) = cur.take() {
        answers.insert(k0, a);
    }
    assert_eq!(answers.len(), jobs.len(), "virsh answered {stdout}");
    (answers, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn verdict_of(more: bool, less: bool) -> Verdict {
    match (more, less) {
        (false, false) => Verdict::Identical,
        (true, false) => Verdict::Superset,
        (false, true) => Verdict::Subset,
        (true, true) => Verdict::Incompatible,
    }
}

/// The libvirt feature a one-bit diff is, if any.
fn libvirt_name(d: &FieldDiff) -> Option<&'static str> {
    let t = Kind::X86Cpuid.table();
    let (r, mask) = match d.field.rsplit_once(".bit") {
        Some((reg, bit)) if bit.bytes().all(|b| b.is_ascii_digit()) => {
            (t.register_index(reg)?, 1u64 << bit.parse::<u32>().ok()?)
        }
        _ => {
            let f = t.field(&d.field)?;
            (f.reg, f.reg_mask())
        }
    };
    if mask.count_ones() != 1 {
        return None;
    }
    FEATURES
        .iter()
        .find(|f| f.position() == Some((r, mask)))
        .map(|f| f.name)
}

/// What vcap's comparison looks like through libvirt's eyes: only the bits libvirt names, of
/// every class (libvirt has no classes).
fn restricted(diffs: &[&FieldDiff]) -> Verdict {
    let vis: Vec<&&FieldDiff> = diffs.iter().filter(|d| libvirt_name(d).is_some()).collect();
    if vis.iter().any(|d| d.class == "vendor") {
        return Verdict::Incompatible;
    }
    verdict_of(
        vis.iter().any(|d| d.direction != "profile-less-capable"),
        vis.iter().any(|d| d.direction != "profile-more-capable"),
    )
}

fn libvirt_pair(a: &Answer, b: &Answer, ab: &Answer) -> Verdict {
    let (Some(fa), Some(fb)) = (&a.feats, &b.feats) else {
        panic!("a single CPU's baseline failed");
    };
    match &ab.feats {
        None => Verdict::Incompatible,
        Some(_) if fa == fb => Verdict::Identical,
        Some(f) if f == fa => Verdict::Subset,
        Some(f) if f == fb => Verdict::Superset,
        Some(_) => Verdict::Incompatible,
    }
}

#[test]
fn vcap_and_libvirt_side_by_side() {
    let Some(virsh) = virsh() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "virsh is missing: CI must install libvirt-clients (scripts/setup)"
        );
        eprintln!("skipped: no virsh on PATH (apt-get install libvirt-clients)");
        return;
    };
    let cpus = load();
    assert!(cpus.len() >= 25, "{} CPUs", cpus.len());
    let sets = sets(&cpus);

    let mut jobs = Vec::new();
    for (i, c) in cpus.iter().enumerate() {
        jobs.push((format!("S{i}"), c.xml.clone()));
    }
    for i in 0..cpus.len() {
        for j in i + 1..cpus.len() {
            jobs.push((
                format!("P{i}_{j}"),
                format!("{}{}", cpus[i].xml, cpus[j].xml),
            ));
        }
    }
    for (k, (_, members)) in sets.iter().enumerate() {
        let xml: String = members.iter().map(|&i| cpus[i].xml.as_str()).collect();
        jobs.push((format!("B{k}"), xml));
    }
    let (ans, stderr) = run_virsh(&virsh, &jobs);

    // 1. virsh expands what vcap wrote to exactly vcap's features.
    for (i, c) in cpus.iter().enumerate() {
        let a = &ans[&format!("S{i}")];
        let got: BTreeSet<&str> = a
            .feats
            .as_ref()
            .unwrap_or_else(|| panic!("virsh refused {}:\n{}\n{stderr}", c.name, c.xml))
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(
            got, c.feats,
            "{}: virsh's expansion of vcap's <cpu>",
            c.name
        );
    }

    // 2. Every ordered pair.
    let mut agree = 0usize;
    let mut verdicts: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    let mut fields: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut total = 0usize;
    let mut vendor_pairs = 0usize;
    for (p, cp) in cpus.iter().enumerate() {
        for (h, ch) in cpus.iter().enumerate() {
            if p == h {
                continue;
            }
            total += 1;
            let (i, j) = (p.min(h), p.max(h));
            let ab = &ans[&format!("P{i}_{j}")];
            let (sp, sh) = (&ans[&format!("S{p}")], &ans[&format!("S{h}")]);
            let lv = libvirt_pair(sp, sh, ab);
            let c = compare(&cp.set, &ch.set).unwrap();
            let all: Vec<&FieldDiff> = c.responsible.iter().chain(&c.not_capabilities).collect();
            let r = restricted(&all);
            assert_eq!(
                r, lv,
                "{} on {}: vcap on libvirt's bits says {r:?}, libvirt {lv:?}; diffs {all:?}",
                cp.name, ch.name
            );
            if cp.vendor != ch.vendor {
                vendor_pairs += 1;
                assert!(
                    ab.feats.is_none(),
                    "virsh folded {} and {}",
                    cp.name,
                    ch.name
                );
            }
            if c.verdict == lv {
                agree += 1;
                continue;
            }
            // Explain: the fields that turn libvirt's verdict into vcap's — vcap capability
            // fields libvirt has no feature for, and libvirt features that are not capabilities
            // in vcap — in the direction that makes the difference.
            let flags = |v: Verdict| match v {
                Verdict::Identical => (false, false),
                Verdict::Subset => (false, true),
                Verdict::Superset => (true, false),
                Verdict::Incompatible => (true, true),
                Verdict::Unknown => unreachable!("every fixture gives every register (load)"),
            };
            let (vm, vl) = flags(c.verdict);
            let (lm, ll) = flags(lv);
            let dir_more = |d: &FieldDiff| d.direction != "profile-less-capable";
            let dir_less = |d: &FieldDiff| d.direction != "profile-more-capable";
            let mut why: BTreeSet<(String, String)> = BTreeSet::new();
            for d in &c.responsible {
                if libvirt_name(d).is_none()
                    && ((vm && !lm && dir_more(d)) || (vl && !ll && dir_less(d)))
                {
                    why.insert((
                        short(&d.field),
                        format!("`{}`, a capability libvirt has no feature for", d.rule),
                    ));
                }
            }
            for d in &c.not_capabilities {
                if let Some(n) = libvirt_name(d)
                    && ((lm && !vm && dir_more(d)) || (ll && !vl && dir_less(d)))
                {
                    why.insert((
                        short(&d.field),
                        format!(
                            "class `{}`: libvirt's `{n}`, not a capability in vcap",
                            d.class
                        ),
                    ));
                }
            }
            assert!(
                !why.is_empty(),
                "{} on {}: vcap {:?}, libvirt {lv:?}, and no vcap rule explains it",
                cp.name,
                ch.name,
                c.verdict
            );
            verdicts
                .entry((c.verdict.name(), lv.name()))
                .or_default()
                .push(format!("{} on {}", cp.name, ch.name));
            for w in why {
                *fields.entry(w).or_insert(0) += 1;
            }
        }
    }
    let _ = &stderr;

    // 3. Baselines over sets.
    let mut rows = Vec::new();
    let (mut same, mut named) = (0usize, 0usize);
    for (k, (label, members)) in sets.iter().enumerate() {
        let a = &ans[&format!("B{k}")];
        let mut b = Baseline::new();
        let mut err = None;
        for &i in members {
            if let Err(e) = b.add(&cpus[i].set, &cpus[i].name) {
                err = Some(e.to_string());
                break;
            }
        }
        let res = match err {
            Some(e) => Err(e),
            None => b.finish().map_err(|e| e.to_string()),
        };
        match (&a.feats, res) {
            (None, Err(e)) => {
                assert!(e.contains("never share a baseline"), "{label}: {e}");
                rows.push(format!(
                    "| {label} | {} | refused (vendors) | refused: vendors | agree |",
                    members.len()
                ));
            }
            (Some(lf), Ok(r)) => {
                let vf: BTreeSet<&str> = libvirt::features_of(&r.profile)
                    .unwrap()
                    .iter()
                    .map(|f| f.name)
                    .collect();
                let lf: BTreeSet<&str> = lf.iter().map(String::as_str).collect();
                let only_l: Vec<&str> = lf.difference(&vf).copied().collect();
                let only_v: Vec<&str> = vf.difference(&lf).copied().collect();
                // vcap's profile drops what no vcap row describes (deny by default); every other
                // bit must agree.
                for n in &only_l {
                    let f = libvirt::feature(n).unwrap();
                    let (reg, m) = f.position().unwrap();
                    let t = Kind::X86Cpuid.table();
                    assert!(
                        t.known_mask(reg) & m == 0,
                        "{label}: libvirt keeps `{n}`, vcap drops it, and vcap has a row for it"
                    );
                }
                assert!(
                    only_v.is_empty(),
                    "{label}: vcap keeps {only_v:?}, libvirt does not"
                );
                let vm = libvirt::richest_model(&r.profile)
                    .unwrap()
                    .map_or("(none)", |m| m.name);
                let lm = a.model.clone().unwrap_or_default();
                // Where the models differ, libvirt named a model the set lacks features of and
                // disabled them (`policy='disable'`); vcap names only a model whose every feature
                // every CPU of the set has (`richest_model`). Both give the guest the same
                // features (checked above).
                let disabled: Vec<&str> = if lm == vm {
                    Vec::new()
                } else {
                    let m = libvirt::model(&lm).unwrap();
                    let d: Vec<&str> = m
                        .features
                        .iter()
                        .filter(|f| !lf.contains(**f))
                        .copied()
                        .collect();
                    assert!(
                        !d.is_empty(),
                        "{label}: libvirt names {lm}, vcap {vm}, and libvirt disables nothing of {lm}"
                    );
                    assert!(
                        m.features.len() > libvirt::model(vm).map_or(0, |v| v.features.len()),
                        "{label}: libvirt's {lm} is not richer than vcap's {vm}"
                    );
                    d
                };
                let mut notes = Vec::new();
                if !disabled.is_empty() {
                    notes.push(format!(
                        "libvirt names {lm} and disables {} the set lacks; vcap names only a model whose every feature the set has",
                        disabled
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let note = if only_l.is_empty() && notes.is_empty() {
                    "agree".to_string()
                } else if only_l.is_empty() {
                    notes.join("; ")
                } else {
                    notes.push(format!(
                        "libvirt also keeps {}: bits no vcap row describes (unknown: dropped, deny by default)",
                        only_l
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    notes.join("; ")
                };
                named += 1;
                if lm == vm {
                    same += 1;
                }
                rows.push(format!(
                    "| {label} | {} | {lm}, {} features | {vm}, {} features | {note} |",
                    members.len(),
                    lf.len(),
                    vf.len()
                ));
            }
            (l, v) => panic!("{label}: libvirt {l:?}, vcap {v:?}"),
        }
    }

    // 4. Per CPU: vcap's richest common named model (libvirt keeps the model a lone CPU names,
    // so it has no choice of its own to compare there).
    let mut models = Vec::new();
    for c in &cpus {
        let vm = libvirt::richest_model(&c.set).unwrap().unwrap().name;
        models.push(format!("{} {vm}", c.name));
    }
    let blocked: Vec<&str> = libvirt::MODELS
        .iter()
        .filter(|m| m.decode_host && !m.representable())
        .map(|m| m.name)
        .collect();

    let differing: usize = verdicts.values().map(Vec::len).sum();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{} CPUs, {total} ordered pairs ({vendor_pairs} Intel/AMD pairs, which both refuse), virsh {} (`test:///default`, libvirt map {}).\n",
        cpus.len(),
        virsh_version(&virsh),
        libvirt::SOURCE_VERSION
    );
    let _ = writeln!(
        md,
        "On the bits libvirt names, vcap's verdict equals libvirt's in all {total} pairs. The full verdicts agree in {agree} and differ in {differing}, each by a vcap rule:\n"
    );
    md.push_str("| vcap | libvirt | pairs | e.g. (profile on host) |\n|---|---|---|---|\n");
    for ((v, l), ps) in &verdicts {
        let _ = writeln!(md, "| {v} | {l} | {} | {} |", ps.len(), ps[0]);
    }
    md.push_str(
        "\nThe fields that make the difference (a pair counts under each of its fields):\n\n",
    );
    md.push_str("| field | vcap's rule | pairs |\n|---|---|---|\n");
    for ((f, r), n) in &fields {
        let _ = writeln!(md, "| `{f}` | {r} | {n} |");
    }
    md.push_str("\nBaselines over sets (`cpu-baseline --features` against `vcap baseline`):\n\n");
    md.push_str("| set | CPUs | libvirt | vcap (richest common named model) | features |\n|---|---|---|---|---|\n");
    for r in &rows {
        md.push_str(r);
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "\nWhere a set's CPUs name different models, libvirt chooses the baseline's model itself: it equals vcap's richest common named model in {same} of {named} sets; where it differs, libvirt names a richer model and disables the features the set lacks, while vcap names only a model whose every feature the set has (the guest's features are the same). vcap's model per CPU: {}. Models vcap never names because a feature of theirs is outside the CPUID leaves vcap reads (`npt`, `nrip-save`, `svme-addr-chk` leaf 0x8000000A; Cooperlake's `*-no` bits the ARCH_CAPABILITIES MSR): {}.",
        models.join("; "),
        blocked.join(", ")
    );
    check_docs(&md);
}

/// A field name without the `CPUID.` prefix.
fn short(f: &str) -> String {
    f.strip_prefix("CPUID.").unwrap_or(f).to_string()
}

fn virsh_version(virsh: &Path) -> String {
    Command::new(virsh)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

const BEGIN: &str = "<!-- libvirt-peer:begin (tests/libvirt_peer.rs; VCAP_BLESS=1 rewrites) -->\n";
const END: &str = "<!-- libvirt-peer:end -->";

fn check_docs(md: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/regs.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/regs.md lacks the libvirt-peer markers");
    };
    let cur = &doc[b + BEGIN.len()..e];
    if cur != md {
        if std::env::var_os("VCAP_BLESS").is_some() {
            let new = format!("{}{BEGIN}{md}{}", &doc[..b], &doc[e..]);
            std::fs::write(&path, new).unwrap();
        } else {
            panic!("docs/regs.md's libvirt table is stale; VCAP_BLESS=1 rewrites it:\n{md}");
        }
    }
}
