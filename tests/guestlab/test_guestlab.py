"""Unit tests of the guestlab host side (no QEMU): python3 -m unittest discover -s tests/guestlab"""

import base64
import json
import tempfile
import unittest
from unittest import mock
from pathlib import Path

import guestlab
import smbios_type0


def rec(kind, *fields):
    enc = [base64.b64encode(f).decode() if f else "-" for f in fields]
    return (" ".join(["GL1", kind] + enc) + "\r\n").encode()


class Records(unittest.TestCase):
    def test_round_trip_and_end_count(self):
        data = rec("INFO", b"kernel", b"Linux") + rec("LINK", b"sys/a", b"../b") + rec("END", b"2")
        self.assertEqual(
            guestlab.parse_records(data),
            [("INFO", [b"kernel", b"Linux"]), ("LINK", [b"sys/a", b"../b"])],
        )

    def test_truncated_stream_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "without END"):
            guestlab.parse_records(rec("INFO", b"a", b"b"))

    def test_wrong_count_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "END says"):
            guestlab.parse_records(rec("INFO", b"a", b"b") + rec("END", b"5"))

    def test_bad_base64_names_the_line(self):
        with self.assertRaisesRegex(ValueError, "line 1 .*bad base64"):
            guestlab.parse_records(b"GL1 INFO @@@\n")

    def test_foreign_line_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "not a GL1 record"):
            guestlab.parse_records(b"hello\n")


class Digest(unittest.TestCase):
    def test_malformed_step_is_a_boot_failure_not_a_crash(self):
        p = guestlab.Platform("p", "s", "cloud", [], "", {}, {}, {}, "r")
        b = guestlab.Boot(p, [])
        b.records = [("STEP", [b"report", b"0"])]
        guestlab.digest(b)
        self.assertIn("STEP record with 2 fields", b.problem)


class GuestPaths(unittest.TestCase):
    def test_unsafe_paths_are_refused(self):
        for bad in (b"/etc/passwd", b"../x", b"a/../../x", b""):
            with self.assertRaises(ValueError, msg=bad):
                guestlab.safe_relpath(bad)
        self.assertEqual(str(guestlab.safe_relpath(b"sys/class/dmi/id")), "sys/class/dmi/id")


class JsonDiff(unittest.TestCase):
    def test_reports_every_difference(self):
        a = {"verdict": {"kind": "virtual-machine", "hypervisor": "qemu"}, "x": [1, 2]}
        b = {"verdict": {"kind": "bare-metal", "hypervisor": "qemu"}, "x": [1], "y": 0}
        d = guestlab.json_diff(a, b)
        self.assertEqual(len(d), 3, d)
        self.assertIn('$.verdict.kind: "virtual-machine" != "bare-metal"', d)

    def test_volatile_keys_are_ignored(self):
        a = {"generated_at": "1", "v": {"timestamp": 2, "k": 1}}
        b = {"generated_at": "9", "v": {"timestamp": 3, "k": 2}}
        with mock.patch.object(guestlab, "VOLATILE_KEYS", {"generated_at", "timestamp"}):
            d = guestlab.json_diff(guestlab.strip_volatile(a), guestlab.strip_volatile(b))
        self.assertEqual(d, ["$.v.k: 1 != 2"])


class SmbiosBlob(unittest.TestCase):
    def test_layout_matches_dsp0134(self):
        b = smbios_type0.build("Amazon EC2", "1.0", "10/16/2017")
        self.assertEqual(len(b), 51)  # 0x18 + "Amazon EC2\0" + "1.0\0" + "10/16/2017\0" + "\0"
        self.assertEqual(b[0], 0)  # type 0
        self.assertEqual(b[1], 0x18)  # formatted length
        self.assertEqual(b[0x13] & 0x10, 0)  # VM bit clear
        self.assertEqual(b[0x18:], b"Amazon EC2\x001.0\x0010/16/2017\x00\x00")

    def test_vm_and_uefi_bits(self):
        self.assertEqual(smbios_type0.build("a", "b", "c", vm=True)[0x13], 0x14)  # as QEMU 7.2
        self.assertEqual(smbios_type0.build("a", "b", "c", vm=True, uefi=True)[0x13], 0x1C)

    def test_empty_string_is_refused(self):
        with self.assertRaisesRegex(ValueError, "version"):
            smbios_type0.build("a", "", "c")


class Platforms(unittest.TestCase):
    def test_the_matrix_loads_and_has_at_least_15_platforms(self):
        platforms, blobs = guestlab.load_platforms()
        self.assertGreaterEqual(len(platforms), 15)
        for p in platforms:
            self.assertIn("-machine", p.qemu, p.name)

    def test_errors_name_the_platform_and_field(self):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "p.toml"
            f.write_text('[[platform]]\nname = "x"\nsummary = "s"\nqemu = "-machine q35"\n'
                         '[platform.expect]\nkind = "vm"\nhypervisor = "qemu"\ncloud = "none"\n'
                         'systemd_id = "qemu"\nconflicts = false\nreason = "r"\n')
            with self.assertRaisesRegex(guestlab.GuestlabError, r"platform #1 \(x\): expect.kind"):
                guestlab.load_platforms(f)


class Generations(unittest.TestCase):
    def test_every_generation_loads_with_unique_fixture_names(self):
        platforms, _ = guestlab.load_all_platforms()
        keys = [p.key for p in platforms]
        self.assertEqual(len(keys), len(set(keys)))
        gens = {p.generation for p in platforms}
        self.assertEqual(gens, {"7.2", "10"})
        for p in platforms:
            self.assertTrue(p.key.startswith(guestlab.GENERATIONS[p.generation].fixture_prefix))

    def test_unknown_generation_and_arch_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "p.toml"
            f.write_text('generation = "9"\n')
            with self.assertRaisesRegex(guestlab.GuestlabError, "generation '9'"):
                guestlab.load_platforms(f)
            f.write_text('generation = "10"\n[[platform]]\nname = "x"\nsummary = "s"\n'
                         'arch = "mips"\nqemu = "-M virt"\n[platform.expect]\n'
                         'kind = "virtual-machine"\nhypervisor = "qemu"\ncloud = "none"\n'
                         'systemd_id = "qemu"\nconflicts = false\nreason = "r"\n')
            with self.assertRaisesRegex(guestlab.GuestlabError, r"\(x\): arch 'mips'"):
                guestlab.load_platforms(f)


class Modules(unittest.TestCase):
    def test_compressed_modules_and_builtins(self):
        import lzma

        with tempfile.TemporaryDirectory() as d:
            tree = Path(d)
            mdir = tree / "lib" / "modules" / "6.12.0" / "kernel"
            mdir.mkdir(parents=True)
            (mdir / "virtio_net.ko.xz").write_bytes(
                lzma.compress(b"\0depends=net_failover\0vermagic=6.12\0", format=lzma.FORMAT_XZ))
            (mdir / "net_failover.ko").write_bytes(b"\0depends=\0")
            (tree / "lib" / "modules" / "6.12.0" / "modules.builtin").write_text(
                "kernel/drivers/virtio/virtio_pci.ko\n")
            k = guestlab.Kernel("cloud", "linux-image-x", Path("x.deb"), tree, Path("v"), "6.12.0",
                                Path("v"), "10")
            order = guestlab.module_order(k, ["virtio_pci", "virtio_net"])
            self.assertEqual([n for n, _ in order], ["net_failover", "virtio_net"])
            self.assertTrue(guestlab.module_bytes(order[1][1]).startswith(b"\0depends="))
            with self.assertRaisesRegex(guestlab.GuestlabError, "module nope not found"):
                guestlab.module_order(k, ["nope"])


def fake_result(expect, known_gap=None, report=None, detect=b"qemu\n", detect_status="0",
                systemd=b"qemu\n", virt_what=b"qemu\n", vcap_virt_what=b"qemu\n", differs=""):
    exp = {"kind": "virtual-machine", "hypervisor": "qemu", "cloud": "none", "systemd_id": "qemu",
           "conflicts": False, "reason": "r"}
    exp.update(expect)
    p = guestlab.Platform("p", "s", "cloud", ["-machine", "q35"], "", exp, {}, known_gap or {}, "r",
                          virt_what_differs=differs)
    rep = report if report is not None else {
        "verdict": {"kind": "virtual-machine", "hypervisor": "qemu", "cloud": None, "summary": "x"},
        "conflicts": [],
    }
    res = guestlab.Result(guestlab.Boot(p, []))
    res.steps = {
        "snapshot": ("0", 1, b"", b""),
        "report": ("0", 1, json.dumps(rep).encode(), b""),
        "detect": (detect_status, 1, detect, b""),
        "systemd-detect-virt": ("0", 1, systemd, b""),
        "vcap-virt-what": ("0", 1, vcap_virt_what, b""),
    }
    if virt_what is not None:
        res.steps["virt-what"] = ("0", 1, virt_what, b"")
    return res


class Evaluate(unittest.TestCase):
    def test_all_agree(self):
        r = fake_result({"systemd_detect_virt": "qemu"})
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual((r.mismatches, r.gaps, r.fixed_gaps), ([], [], []))

    def test_each_disagreement_is_reported(self):
        r = fake_result({"kind": "bare-metal", "conflicts": True, "systemd_id": "none",
                         "systemd_detect_virt": "amazon"})
        guestlab.evaluate(r, "/nonexistent")
        keys = sorted(guestlab.mismatch_key(m) for m in r.mismatches)
        self.assertEqual(keys, ["conflicts", "kind", "systemd_detect_virt", "systemd_id"], r.mismatches)

    def test_virt_what_must_agree_or_say_why(self):
        r = fake_result({}, virt_what=b"kvm\n")
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual([guestlab.mismatch_key(m) for m in r.mismatches], ["virt_what"])
        r = fake_result({}, virt_what=b"kvm\n", differs="virt-what reads the first signature")
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual(r.mismatches, [])
        # An explanation that no longer explains anything is a failure too.
        r = fake_result({}, differs="stale")
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual([guestlab.mismatch_key(m) for m in r.mismatches], ["virt_what"])
        # Without the real virt-what (not installed on the host), vcap's own step must still have run.
        r = fake_result({}, virt_what=None)
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual(r.mismatches, [])
        del r.steps["vcap-virt-what"]
        r.mismatches = []
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual([guestlab.mismatch_key(m) for m in r.mismatches], ["virt_what"])

    def test_detect_exit_status_is_checked(self):
        r = fake_result({}, detect_status="1")
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual([guestlab.mismatch_key(m) for m in r.mismatches], ["systemd_id"])

    def test_known_gap_is_not_a_failure_but_a_met_gap_is(self):
        r = fake_result({"conflicts": True}, known_gap={"conflicts": "why"})
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual((len(r.mismatches), len(r.gaps), r.fixed_gaps), (0, 1, []))
        r = fake_result({"conflicts": False}, known_gap={"conflicts": "why"})
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual((r.mismatches, r.gaps, r.fixed_gaps), ([], [], ["conflicts"]))

    def test_capabilities_pending_until_reported_then_checked(self):
        r = fake_result({"capabilities": {"ims": "no"}})
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual((r.mismatches, len(r.pending)), ([], 1))
        rep = {"verdict": {"kind": "virtual-machine", "hypervisor": "qemu", "cloud": None},
               "conflicts": [], "capabilities": {"ims": {"verdict": "yes", "reasons": []}}}
        r = fake_result({"capabilities": {"ims": "no"}}, report=rep)
        guestlab.evaluate(r, "/nonexistent")
        self.assertEqual([guestlab.mismatch_key(m) for m in r.mismatches], ["capabilities.ims"])


class Provenance(unittest.TestCase):
    def test_no_machine_path_is_kept(self):
        # Paths as this checkout's cache holds them, wherever the checkout is.
        qemu = guestlab.WORK / "qemu-7.2" / "root"
        argv = [str(qemu / "usr" / "bin" / "qemu-system-x86_64"),
                "-L", str(qemu / "usr" / "share" / "qemu"),
                "-kernel", str(guestlab.WORK / "kernel" / "vmlinux"), "-m", "256"]
        self.assertEqual(guestlab.relative_to_repo(argv),
                         ["$QEMU_7_2/usr/bin/qemu-system-x86_64", "-L", "$QEMU_7_2/usr/share/qemu",
                          "-kernel", "tests/guestlab/cache/kernel/vmlinux", "-m", "256"])


class ForeignVirtWhat(unittest.TestCase):
    """The real virt-what for a guest of another architecture, from that architecture's packages."""

    def files(self, has_dmidecode):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "bin").mkdir()
            (root / "bin" / "busybox").write_bytes(b"")
            with mock.patch.object(guestlab, "foreign_has", return_value=has_dmidecode) as has, \
                    mock.patch.object(guestlab, "foreign_sysroot", return_value=root) as sysroot, \
                    mock.patch.object(guestlab, "foreign_elf",
                                      side_effect=lambda arch, r, b: [(r / b.lstrip("/"), Path(b))]):
                files = guestlab.foreign_virt_what("s390x")
            has.assert_called_once_with("s390x", "dmidecode")
            return sysroot.call_args.args[2], [str(path) for _, path in files]

    def test_dmidecode_only_where_debian_builds_it(self):
        pkgs, paths = self.files(True)
        self.assertIn("dmidecode", pkgs)
        self.assertEqual(paths, ["/bin/busybox", guestlab.VIRT_WHAT, guestlab.VIRT_WHAT_HELPER,
                                 guestlab.DMIDECODE])
        pkgs, paths = self.files(False)
        self.assertNotIn("dmidecode", pkgs)
        self.assertEqual(paths, ["/bin/busybox", guestlab.VIRT_WHAT, guestlab.VIRT_WHAT_HELPER])
        self.assertTrue({"virt-what", "busybox-static", "libc6"} <= pkgs)

    @unittest.skipUnless(Path(guestlab.VIRT_WHAT_HELPER).exists(), "virt-what is not installed")
    def test_elf_closure_from_needed(self):
        # The host's own tree as the sysroot: the helper, libc and the loader, by DT_NEEDED.
        out = guestlab.foreign_elf("x86_64", Path("/"), guestlab.VIRT_WHAT_HELPER)
        paths = [str(p) for _, p in out]
        self.assertEqual(paths[0], guestlab.VIRT_WHAT_HELPER)
        self.assertIn("/lib/x86_64-linux-gnu/libc.so.6", paths)
        self.assertEqual(paths[-1], guestlab.ARCHES["x86_64"].loader)
        with self.assertRaises(guestlab.GuestlabError):
            guestlab.foreign_elf("x86_64", Path("/"), "/usr/sbin/no-such-binary")


if __name__ == "__main__":
    unittest.main()
