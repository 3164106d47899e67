#!/usr/bin/env python3
"""Structural check of tests/fixtures/*/ (not the verdicts; the Rust replay test does those).

For every fixture directory with an expected.json: the JSON has exactly the documented keys and
values; SOURCE.md exists; every symlink is relative, resolves, and stays inside the fixture;
cpuid.txt (if any) is in `cpuid -r -1` format; vcap-unreadable.txt lines are
"/absolute/path<TAB>reason"; DMI attribute files end in one newline. Exit status 1 on any
problem, printing each.
"""
import glob
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
KINDS = {"bare-metal", "virtual-machine", "host-under-hypervisor", "unknown"}
HYPERVISORS = {"kvm", "qemu", "xen", "hyperv", "vmware", "virtualbox", "bhyve", "acrn", "qnx",
               "uml", "zvm", "powervm", "apple", "parallels", None}
CLOUDS = {"aws", "gcp", "azure", "oracle-cloud", "alibaba", None}
SYSTEMD = set("none kvm amazon qemu bochs xen uml vmware oracle microsoft zvm parallels bhyve "
              "qnx acrn powervm apple sre google vm-other".split())
ROW = re.compile(r"^   0x[0-9a-f]{8} 0x[0-9a-f]{2}: eax=0x[0-9a-f]{8} ebx=0x[0-9a-f]{8} "
                 r"ecx=0x[0-9a-f]{8} edx=0x[0-9a-f]{8}$")

problems = []
count = 0
for exp in sorted(glob.glob(os.path.join(ROOT, "*", "expected.json"))):
    fx = os.path.dirname(exp)
    name = os.path.basename(fx)
    count += 1
    e = json.load(open(exp))
    if set(e) != {"kind", "hypervisor", "cloud", "systemd_id", "conflict", "why"}:
        problems.append("%s: expected.json keys %s" % (name, sorted(e)))
    if e.get("kind") not in KINDS or e.get("hypervisor") not in HYPERVISORS \
            or e.get("cloud") not in CLOUDS or e.get("systemd_id") not in SYSTEMD \
            or not isinstance(e.get("conflict"), bool) or not e.get("why"):
        problems.append("%s: expected.json value out of range: %s" % (name, e))
    if not os.path.isfile(os.path.join(fx, "SOURCE.md")):
        problems.append("%s: no SOURCE.md" % name)
    real_fx = os.path.realpath(fx)
    for dirpath, dirnames, filenames in os.walk(fx):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                t = os.readlink(p)
                r = os.path.realpath(p)
                if t.startswith("/"):
                    problems.append("%s: absolute link %s" % (name, p))
                if not (r + "/").startswith(real_fx + "/"):
                    problems.append("%s: link leaves the fixture: %s -> %s" % (name, p, t))
                elif not os.path.exists(p):
                    problems.append("%s: dangling link %s -> %s" % (name, p, t))
    cp = os.path.join(fx, "cpuid.txt")
    if os.path.exists(cp):
        lines = open(cp).read().split("\n")
        if lines[0] != "CPU:" or lines[-1] != "" or not all(ROW.match(l) for l in lines[1:-1]):
            problems.append("%s: cpuid.txt not in `cpuid -r -1` format" % name)
    up = os.path.join(fx, "vcap-unreadable.txt")
    if os.path.exists(up):
        for l in open(up).read().splitlines():
            parts = l.split("\t")
            if len(parts) != 2 or not parts[0].startswith("/") or not parts[1]:
                problems.append("%s: bad vcap-unreadable.txt line %r" % (name, l))
    for f in glob.glob(os.path.join(fx, "sys/devices/virtual/dmi/id/*")) + \
            glob.glob(os.path.join(fx, "sys/class/dmi/id/*")):
        b = open(f, "rb").read()
        if not b.endswith(b"\n") or b.count(b"\n") != 1:
            problems.append("%s: %s is not one line" % (name, f))

for p in problems:
    print(p)
print("%d fixtures checked, %d problems" % (count, len(problems)))
sys.exit(1 if problems else 0)
