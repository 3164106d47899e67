#!/usr/bin/env python3
"""vcap against libvirt on the same work, in one run: the baseline of every pair of the 26 real
CPUs in crates/vcap-regs/tests/fixtures/libvirt/ (325 pairs), computed by

- `vcap baseline A.txt B.txt --json`, one process per pair, and
- `virsh -c test:///default cpu-baseline --features AB.xml`, one process per pair (the same
  two CPUs as libvirt host CPUs: vcap's `--emit libvirt` of each, in host form);

and, as a second row, all 325 baselines in one virsh process (commands on stdin) against the 325
vcap processes. Tools alternate pair by pair, so drift in machine load hits both alike; times are
wall clock and include process start-up, which is what a script calling either tool pays. A
benchmark, not a test (tests/libvirt_peer.rs checks the answers agree).

Usage: bench/libvirt-peer.py [--vcap PATH] [--rounds N] [--markdown]
       (default PATH target/release/vcap, built if missing; N = 3)
"""
import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time


def spawn(argv, stdin=None):
    t0 = time.perf_counter_ns()
    p = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter_ns() - t0) / 1e6, p.returncode


def host_xml(guest_xml):
    """`--emit libvirt` writes a domain <cpu>; cpu-baseline takes host CPUs: no mode, no policy."""
    lines = guest_xml.strip().splitlines()
    assert lines[0].startswith("<cpu mode="), lines[0]
    out = ["<cpu>", "  <arch>x86_64</arch>"]
    for l in lines[1:]:
        out.append(l.replace(" fallback='forbid'", "").replace(" policy='require'", ""))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vcap", default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    vcap = a.vcap or os.path.join(top, "target", "release", "vcap")
    if a.vcap is None and not os.path.exists(vcap):
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "vcap"], cwd=top, check=True)
    virsh = "virsh"
    fx = os.path.join(top, "crates", "vcap-regs", "tests", "fixtures", "libvirt")
    cpus = sorted(f[:-4] for f in os.listdir(fx) if f.endswith(".txt"))
    tmp = tempfile.mkdtemp(prefix="vcap-libvirt-bench-")
    xml = {}
    for c in cpus:
        g = subprocess.run([vcap, "baseline", os.path.join(fx, c + ".txt"), "--emit", "libvirt"],
                           capture_output=True, text=True, check=True).stdout
        xml[c] = host_xml(g)
    pairs = list(itertools.combinations(cpus, 2))
    files = {}
    for i, (x, y) in enumerate(pairs):
        f = os.path.join(tmp, f"{i}.xml")
        with open(f, "w") as o:
            o.write(xml[x] + xml[y])
        files[(x, y)] = f
    script = "".join(f"cpu-baseline --features {files[p]}\n" for p in pairs).encode()

    per_vcap, per_virsh, batch_virsh = [], [], []
    for r in range(a.rounds):
        tv = tl = 0.0
        order = pairs if r % 2 == 0 else list(reversed(pairs))
        for k, (x, y) in enumerate(order):
            runs = [("vcap", [vcap, "baseline", os.path.join(fx, x + ".txt"),
                              os.path.join(fx, y + ".txt"), "--json"]),
                    ("virsh", [virsh, "-c", "test:///default", "cpu-baseline", "--features",
                               files[(x, y)]])]
            if k % 2:
                runs.reverse()
            for who, argv in runs:
                ms, rc = spawn(argv)
                # Intel+AMD pairs: both refuse (exit 2 / 1); the refusal is the answer.
                if who == "vcap":
                    tv += ms
                else:
                    tl += ms
        per_vcap.append(tv)
        per_virsh.append(tl)
        ms, rc = spawn([virsh, "-c", "test:///default"], stdin=script)
        batch_virsh.append(ms)

    mv, ml, mb = (statistics.median(x) for x in (per_vcap, per_virsh, batch_virsh))
    load = os.getloadavg()[0]
    rows = [
        ("325 pair baselines, one process per pair", f"{mv:.0f} ms", f"{ml:.0f} ms", f"{ml / mv:.1f}x"),
        ("325 pair baselines, virsh in one process", f"{mv:.0f} ms", f"{mb:.0f} ms", f"{mb / mv:.2f}x"),
    ]
    if a.markdown:
        print(f"| work | vcap | virsh | virsh / vcap |\n|---|---|---|---|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        print(f"\n{len(cpus)} CPUs, median of {a.rounds} rounds, load average {load:.1f}.")
    else:
        for r in rows:
            print(f"{r[0]}: vcap {r[1]}, virsh {r[2]}, virsh/vcap {r[3]}")
        print(f"({len(cpus)} CPUs, median of {a.rounds} rounds, load average {load:.1f})")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
