//! The register work timed in CPU time (user + system seconds from /proc/self/stat), so a loaded
//! machine distorts the figures less than wall time does: `cargo bench -p vcap-regs --bench
//! cpu_time`. It reports; it does not assert (speed is measured, not tested). The targets it
//! prints beside each figure: sanitize >= 10 M register sets/s on one core; a baseline over
//! 1,000,000 host profiles in under one second (also when parsed from JSON lines).

use std::hint::black_box;

use vcap_regs::{Baseline, Context, Kind, Plan, RegSet, input};

fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc/self/stat");
    let f: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// QEMU's default SMMUv3 varied in lower-safe fields (as in benches/regs.rs).
fn host(s: &mut u64) -> RegSet {
    let r = xorshift(s);
    let mut h = input::regset(
        Kind::ArmSmmuV3,
        &[0x0d44_101a, 0x0273_0010, 0, 0x1404, 0, 0x74, 0, 1],
    );
    h.regs[1] |= (r & 0x1f) << 6;
    h.regs[3] &= !(((r >> 8) & 1) << 10);
    h.regs[3] = (h.regs[3] & !0x1800) | (((r >> 9) % 3) << 11);
    h.regs[5] &= !(((r >> 12) & 1) << 5);
    h
}

/// Whether a figure meets its target, for the printed line.
fn verdict(met: bool) -> &'static str {
    if met { "meets" } else { "MISSES" }
}

fn main() {
    let mut seed = 1u64;
    let pool: Vec<RegSet> = (0..4096).map(|_| host(&mut seed)).collect();
    let lines: Vec<String> = pool
        .iter()
        .map(|h| {
            format!(
                r#"{{"type":"arm_smmuv3","idr":["{:#x}","{:#x}","{:#x}","{:#x}","{:#x}","{:#x}"],"iidr":"{:#x}","aidr":"{:#x}"}}"#,
                h.regs[0], h.regs[1], h.regs[2], h.regs[3], h.regs[4], h.regs[5], h.regs[6], h.regs[7]
            )
        })
        .collect();

    let plan = Plan::compile(Kind::ArmSmmuV3, &Context::new(Kind::ArmSmmuV3)).unwrap();
    let mut out = RegSet::zero(Kind::ArmSmmuV3);
    let n = 20_000_000usize;
    let c0 = cpu_seconds();
    for i in 0..n {
        plan.apply(black_box(&pool[i & 4095]), &mut out).unwrap();
        black_box(&out);
    }
    let sanitize = cpu_seconds() - c0;
    let rate = n as f64 / sanitize.max(0.01);
    println!(
        "sanitize: {n} register sets in {sanitize:.2} s CPU = {:.0} M/s ({} the 10 M/s target)",
        rate / 1e6,
        verdict(rate >= 10e6)
    );

    let c0 = cpu_seconds();
    let mut b = Baseline::new();
    for i in 0..1_000_000usize {
        b.add_with(&pool[i & 4095], || format!("host{i}")).unwrap();
    }
    black_box(b.finish().unwrap());
    let fold = cpu_seconds() - c0;
    println!(
        "baseline over 1,000,000 profiles: {fold:.2} s CPU ({} the 1 s target)",
        verdict(fold < 1.0)
    );

    let c0 = cpu_seconds();
    let mut b = Baseline::new();
    for i in 0..1_000_000usize {
        let (r, name) =
            input::parse_host_json_lazy(&lines[i & 4095], "jsonl", Some(i + 1)).unwrap();
        b.add_with(&r, || name.map(|n| n.into_owned()).unwrap_or_default())
            .unwrap();
    }
    black_box(b.finish().unwrap());
    let jsonl = cpu_seconds() - c0;
    println!(
        "baseline over 1,000,000 JSON lines: {jsonl:.2} s CPU ({} the 1 s target)",
        verdict(jsonl < 1.0)
    );
}
