#!/usr/bin/env python3
"""Side-by-side wall-clock comparison of `vcap detect` and the full `vcap --json` report with
`systemd-detect-virt --vm` (and virt-what when installed), on this machine, in one run.

Commands are run in alternating order, round after round, so drift in machine load hits all of
them alike. Each run is a posix_spawn + waitpid of the real binary with output to /dev/null; the
time includes process start-up, which is what a script calling these tools pays.

Both vcap builds are measured: the dynamically linked one `cargo build --release` makes, and the
static one `scripts/build-static` makes (the binary to ship).

Usage: bench/compare-detect.py [--rounds N] [--vcap PATH] [--static-vcap PATH | --no-static] [--markdown]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def spawn_time(argv):
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                           (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status = os.waitpid(pid, 0)
        t1 = time.perf_counter_ns()
    finally:
        os.close(devnull)
    return (t1 - t0) / 1e6, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--vcap", default=None)
    ap.add_argument("--static-vcap", default=None)
    ap.add_argument("--no-static", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    vcap = a.vcap or os.path.join(top, "target", "release", "vcap")
    if a.vcap is None:
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "vcap"], cwd=top, check=True)
    static = a.static_vcap
    if static is None and not a.no_static:
        built = subprocess.run([os.path.join(top, "scripts", "build-static")], cwd=top, check=True,
                               capture_output=True, text=True)
        static = os.path.join(top, built.stdout.strip())
    cmds = {}
    sdv = shutil.which("systemd-detect-virt")
    if sdv:
        cmds["systemd-detect-virt --vm"] = [sdv, "--vm"]
    vw = shutil.which("virt-what")
    if vw and os.geteuid() == 0:
        cmds["virt-what"] = [vw]
    cmds["vcap detect"] = [vcap, "detect"]
    cmds["vcap --json"] = [vcap, "--json"]
    if static:
        cmds["vcap detect (static)"] = [static, "detect"]
        cmds["vcap --json (static)"] = [static, "--json"]
    # What each row is compared with: systemd-detect-virt run the same way.
    baseline = {n: "systemd-detect-virt --vm" for n in cmds}
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv:
        # As an ordinary user, which is what most scripts run as: vcap's full report then has no
        # root-only inputs (PCI config space past the header, ACPI tables, the SMBIOS raw entry).
        # Both tools go through setpriv, so its own start-up is in both times.
        nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        if sdv:
            cmds["systemd-detect-virt --vm (unprivileged)"] = nobody + [sdv, "--vm"]
        cmds["vcap --json (unprivileged)"] = nobody + [vcap, "--json"]
        baseline["vcap --json (unprivileged)"] = ("systemd-detect-virt --vm (unprivileged)"
                                                  if sdv else None)
    # Warm caches once, and show what each prints.
    for name, argv in cmds.items():
        out = subprocess.run(argv, capture_output=True, text=True)
        first = (out.stdout.strip().splitlines() or [""])[0][:60]
        print(f"# {name}: exit {out.returncode}, first line: {first!r}", file=sys.stderr)
    times = {n: [] for n in cmds}
    for _ in range(a.rounds):
        for name, argv in cmds.items():
            ms, _ = spawn_time(argv)
            times[name].append(ms)
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts)
        b = baseline.get(name, "systemd-detect-virt --vm")
        ratio = f"{med / statistics.median(times[b]):.2f}" if sdv and b in times else "n/a"
        rows.append((name, med, statistics.mean(ts), min(ts), ratio))
    print("| command | median ms | mean ms | min ms | ratio to systemd-detect-virt run alike (median) |")
    print("|---|---|---|---|---|")
    for name, med, mean, mn, ratio in rows:
        print(f"| `{name}` | {med:.2f} | {mean:.2f} | {mn:.2f} | {ratio} |")
    print(f"\n{a.rounds} alternating rounds on {os.uname().nodename.split('.')[0] and 'this machine'}, "
          f"{os.cpu_count()} CPUs, kernel {os.uname().release}.")


if __name__ == "__main__":
    main()
