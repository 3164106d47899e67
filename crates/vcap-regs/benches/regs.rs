//! Speed of the hot paths: sanitizing one register set with a compiled plan, and folding
//! 1,000,000 host profiles into a baseline in constant memory (profiles generated on the fly, and
//! the same parsed from JSON lines one line at a time).

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vcap_regs::input;
use vcap_regs::sanitize::ManifestValue;
use vcap_regs::{Baseline, Context, Kind, Plan, RegSet, VmFlag};

/// QEMU's default SMMUv3 registers (fixtures/smmuv3-qemu-default.json).
const SMMU: [u64; 8] = [0x0d44_101a, 0x0273_0010, 0, 0x1404, 0, 0x74, 0, 1];

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// A host that varies in lower-safe fields only (SSIDSIZE, RIL, BBML, GRAN16K, OAS), so every
/// fold succeeds and takes the slow path through the fields.
fn smmu_host(s: &mut u64) -> RegSet {
    let r = xorshift(s);
    let mut h = input::regset(Kind::ArmSmmuV3, &SMMU);
    h.regs[1] |= (r & 0x1f) << 6;
    h.regs[3] &= !(((r >> 8) & 1) << 10);
    h.regs[3] = (h.regs[3] & !0x1800) | (((r >> 9) % 3) << 11);
    h.regs[5] &= !(((r >> 12) & 1) << 5);
    h
}

fn sanitize(c: &mut Criterion) {
    let mut g = c.benchmark_group("sanitize");
    let n = 1024;
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let hosts: Vec<RegSet> = (0..n).map(|_| smmu_host(&mut seed)).collect();
    let mut accel = Context::new(Kind::ArmSmmuV3);
    let t = Kind::ArmSmmuV3.table();
    for (f, v) in [("IDR1.SSIDSIZE", 16), ("IDR0.ATS", 1), ("IDR3.BBML", 1)] {
        let idx = t.fields.iter().position(|x| t.full_name(x) == f).unwrap();
        accel.manifest.fields.insert(idx, ManifestValue::Value(v));
    }
    accel.vm_flags.insert(VmFlag::AtsDevices);
    for (name, ctx) in [
        ("smmuv3-baseline", Context::new(Kind::ArmSmmuV3)),
        ("smmuv3-accel-manifest", accel),
    ] {
        let plan = Plan::compile(Kind::ArmSmmuV3, &ctx).unwrap();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(name, |b| {
            let mut out = RegSet::zero(Kind::ArmSmmuV3);
            b.iter(|| {
                for h in &hosts {
                    plan.apply(black_box(h), &mut out).unwrap();
                    black_box(&out);
                }
            })
        });
    }
    // CPUID: 28 registers, ~230 fields.
    let cpuid = input::parse_cpuid_text(
        include_str!("../tests/fixtures/cpuid-xeon-gold-6252.txt"),
        "xeon",
    )
    .unwrap()
    .regs;
    let plan = Plan::compile(Kind::X86Cpuid, &Context::new(Kind::X86Cpuid)).unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("cpuid-baseline", |b| {
        let mut out = RegSet::zero(Kind::X86Cpuid);
        b.iter(|| {
            plan.apply(black_box(&cpuid), &mut out).unwrap();
            black_box(&out);
        })
    });
    g.finish();
}

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    let n: u64 = 1_000_000;
    g.throughput(Throughput::Elements(n));
    g.bench_function("smmuv3-1M-generated", |b| {
        b.iter(|| {
            let mut seed = 0x2545_f491_4f6c_dd1d;
            let mut bl = Baseline::new();
            for _ in 0..n {
                let h = smmu_host(&mut seed);
                bl.add(&h, "host").unwrap();
            }
            black_box(bl.finish().unwrap())
        })
    });
    // The fold alone: 4096 distinct pre-built hosts cycled to 1,000,000 folds.
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let pool: Vec<RegSet> = (0..4096).map(|_| smmu_host(&mut seed)).collect();
    g.bench_function("smmuv3-1M-fold-only", |b| {
        b.iter(|| {
            let mut bl = Baseline::new();
            for i in 0..n as usize {
                bl.add_with(&pool[i & 4095], || format!("host{i}")).unwrap();
            }
            black_box(bl.finish().unwrap())
        })
    });
    // JSON lines: 4096 distinct lines (pre-formatted, so only vcap's work is timed) cycled to
    // 1,000,000 parses and folds, one line at a time.
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let lines: Vec<String> = (0..4096)
        .map(|_| {
            let h = smmu_host(&mut seed);
            format!(
                r#"{{"type":"arm_smmuv3","idr":["{:#x}","{:#x}","{:#x}","{:#x}","{:#x}","{:#x}"],"iidr":"{:#x}","aidr":"{:#x}"}}"#,
                h.regs[0], h.regs[1], h.regs[2], h.regs[3], h.regs[4], h.regs[5], h.regs[6], h.regs[7]
            )
        })
        .collect();
    g.bench_function("smmuv3-1M-json-lines", |b| {
        b.iter(|| {
            let mut bl = Baseline::new();
            for i in 0..n as usize {
                let (regs, name) =
                    input::parse_host_json_lazy(&lines[i & 4095], "bench", Some(i + 1)).unwrap();
                bl.add_with(&regs, || {
                    name.map_or_else(|| format!("bench:{}", i + 1), |n| n.into_owned())
                })
                .unwrap();
            }
            black_box(bl.finish().unwrap())
        })
    });
    g.finish();
}

/// Parsing alone: one host JSON line into registers, 4096 distinct lines (the same lines as the
/// JSON-lines fold above). This is the number that decides whether a hand-written parser beside
/// serde earns its keep (docs/regs.md, "Input").
fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let lines: Vec<String> = (0..4096)
        .map(|_| {
            let h = smmu_host(&mut seed);
            format!(
                r#"{{"type":"arm_smmuv3","idr":["{:#x}","{:#x}","{:#x}","{:#x}","{:#x}","{:#x}"],"iidr":"{:#x}","aidr":"{:#x}"}}"#,
                h.regs[0], h.regs[1], h.regs[2], h.regs[3], h.regs[4], h.regs[5], h.regs[6], h.regs[7]
            )
        })
        .collect();
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("smmuv3-json-line", |b| {
        b.iter(|| {
            for (i, l) in lines.iter().enumerate() {
                black_box(input::parse_host_json_lazy(black_box(l), "bench", Some(i + 1)).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, sanitize, baseline, parse);
criterion_main!(benches);
