# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vcap_global_optspecs
    string join \n root= json format= h/help V/version
end

function __fish_vcap_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vcap_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vcap_using_subcommand
    set -l cmd (__fish_vcap_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vcap -n "__fish_vcap_needs_command" -l root -d 'Read a snapshot directory instead of the live system (`/` is the live system). Also taken by detect, snapshot and sanitize --live, the other commands that read a system' -r -F
complete -c vcap -n "__fish_vcap_needs_command" -l format -d 'How the report (vcap without a command) is printed: text, json (as --json), prometheus (node_exporter textfile-collector metrics) or facts (one flat JSON object for Ansible and Salt)' -r -f -a "text\t'The human report'
json\t'The JSON report (as --json)'
prometheus\t'Prometheus text exposition format, for node_exporter\'s textfile collector'
facts\t'One flat JSON object, for Ansible\'s facts.d and Salt\'s grains'"
complete -c vcap -n "__fish_vcap_needs_command" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vcap -n "__fish_vcap_needs_command" -s V -l version -d 'Print version'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "detect" -d 'Print one systemd-detect-virt identifier (exit 0: virtual machine, 1: not)'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "snapshot" -d 'Capture every input the probe reads into DIR, so the report can be reproduced anywhere'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "sanitize" -d 'Sanitize host ID registers into guest-visible ones'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "baseline" -d 'Fold many host profiles into a migration-safe baseline'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "compare" -d 'Can this guest profile run on that host?'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "protocol" -d 'The guest↔hypervisor interrupt negotiation'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "rules" -d 'Print every detection rule, the signature rows, the naming precedence and every capability rule'
complete -c vcap -n "__fish_vcap_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -l root -d 'Read a snapshot directory instead of the live system (`/` is the live system)' -r -F
complete -c vcap -n "__fish_vcap_using_subcommand detect" -s c -l container -d 'Only detect whether this runs in a container (exit 0: in one)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -s v -l vm -d 'Only detect whether this runs in a virtual machine (exit 0: in one)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -s r -l chroot -d 'Detect whether this runs in a chroot (exit 0: in one; prints nothing; live system only)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -l private-users -d 'Detect whether this runs in a user namespace (exit 0: in one; prints nothing)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -l cvm -d 'Only detect a confidential VM, as systemd-detect-virt --cvm (exit 0: in one)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -s q -l quiet -d 'Print nothing; only the exit status tells (0: found, 1: not)'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -l list -d 'List every identifier (machine and container ids), and exit'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -l list-cvm -d 'List every confidential-VM identifier, and exit'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -s h -l help -d 'Print help'
complete -c vcap -n "__fish_vcap_using_subcommand detect" -s V -l version -d 'Print version'
complete -c vcap -n "__fish_vcap_using_subcommand snapshot" -l root -d 'Copy a snapshot directory instead of the live system (`/` is the live system)' -r -F
complete -c vcap -n "__fish_vcap_using_subcommand snapshot" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand snapshot" -s h -l help -d 'Print help'
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l live -d 'Read the host registers from this system, or from the snapshot given with `--root`: `vtd` (sysfs intel-iommu cap/ecap of every unit, folded into their baseline) or `cpuid` (the CPUID instruction; `cpuid.txt` in a snapshot)' -r -f -a "vtd\t'/sys/class/iommu/*/intel-iommu/{cap,ecap}'
cpuid\t'The CPUID instruction (x86 only)'"
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l manifest -d 'VMM support manifest (JSON); without one the VMM implements exactly the baseline' -r -F
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l kernel-cap -d 'A kernel capability bit that is present: an IOMMU_HW_CAP_* name, or the whole `out_capabilities` value in hex. Repeatable' -r
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l vm-flag -d 'A per-VM enable flag: ats-devices, iopf, nested-virt. Repeatable' -r
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l emit -d 'Print the guest registers in a VMM\'s own format instead of the report: `firecracker` (a custom CPU template), `libvirt` (a `<cpu>` element) or `qemu` (a `-cpu` value); CPUID only' -r -f -a "firecracker\t'A Firecracker custom CPU template (`cpuid_modifiers` with `0b…x…` bitmaps)'
libvirt\t'CPUID: a libvirt domain `<cpu>` element (the richest libvirt model every feature of which the CPU has, and its other features as `require`). SMMUv3 or VT-d: the `<iommu>` element with the fleet-safe settings'
qemu\t'CPUID: a QEMU `-cpu` value (the same model, `+feature` with QEMU\'s names, `enforce`). SMMUv3 or VT-d: the `-device arm-smmuv3,…` / `intel-iommu,…` value'"
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l hw-info -d 'HOST is the raw struct the kernel wrote for IOMMU_GET_HW_INFO of this type (the bytes at `data_uptr`, `data_len` long); pass `out_capabilities` with `--kernel-cap 0x…`' -r -f -a "intel-vtd\t'IOMMU_HW_INFO_TYPE_INTEL_VTD (struct iommu_hw_info_vtd)'
arm-smmuv3\t'IOMMU_HW_INFO_TYPE_ARM_SMMUV3 (struct iommu_hw_info_arm_smmuv3)'
tegra241-cmdqv\t'IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV (struct iommu_hw_info_tegra241_cmdqv)'
amd\t'IOMMU_HW_INFO_TYPE_AMD (struct iommu_hw_info_amd)'"
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l root -d 'With --live: read a snapshot directory instead of this system' -r -F
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand sanitize" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vcap -n "__fish_vcap_using_subcommand baseline" -l emit -d 'Print the baseline profile in a VMM\'s own format instead of the report: `firecracker` (a custom CPU template), `libvirt` (a `<cpu>` element: the richest common named model and the other common features) or `qemu` (a `-cpu` value); CPUID only' -r -f -a "firecracker\t'A Firecracker custom CPU template (`cpuid_modifiers` with `0b…x…` bitmaps)'
libvirt\t'CPUID: a libvirt domain `<cpu>` element (the richest libvirt model every feature of which the CPU has, and its other features as `require`). SMMUv3 or VT-d: the `<iommu>` element with the fleet-safe settings'
qemu\t'CPUID: a QEMU `-cpu` value (the same model, `+feature` with QEMU\'s names, `enforce`). SMMUv3 or VT-d: the `-device arm-smmuv3,…` / `intel-iommu,…` value'"
complete -c vcap -n "__fish_vcap_using_subcommand baseline" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand baseline" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vcap -n "__fish_vcap_using_subcommand compare" -l vmm -d 'Instead of vcap\'s rules, report what this VMM would refuse, in its check order and words: qemu-arm-smmuv3-accel (PROFILE: the vSMMU\'s IDRs), iommufd-tegra241-cmdqv, qemu-intel-iommu-x-flts, cloud-hypervisor-virtio-iommu (PROFILE: cloud-hypervisor\'s VmConfig JSON; HOST: the host VT-d or SMMUv3)' -r
complete -c vcap -n "__fish_vcap_using_subcommand compare" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand compare" -s h -l help -d 'Print help'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and not __fish_seen_subcommand_from run check help" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and not __fish_seen_subcommand_from run check help" -s h -l help -d 'Print help'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and not __fish_seen_subcommand_from run check help" -f -a "run" -d 'Run one scenario end to end and print its trace'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and not __fish_seen_subcommand_from run check help" -f -a "check" -d 'Check every combination of layer generations exhaustively'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and not __fish_seen_subcommand_from run check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -l guest -d 'Guest kernel generation' -r -f -a "old\t'Never looks for the hypercall'
new\t'Initialises vIR, detects the hypercall, asks to switch'"
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -l hypervisor -d 'Hypervisor generation (ignored on bare metal)' -r -f -a "old\t'No hypercall; traps MSI/MSI-X writes'
new\t'Grants the switch when it can'
new-rejecting\t'Implements the hypercall, rejects every switch'
hyper-v\t'Implements the hypercall in Hyper-V\'s root partition: mappings through HVCALL_MAP/UNMAP_DEVICE_INTERRUPT, deferred until the device is attached'"
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -l hardware -d 'Hardware interrupt remapping' -r -f -a "no-ir\t'No IR unit'
ir\t'A VT-d-style IR unit'"
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -l env -d 'Bare metal or guest' -r -f -a "bare-metal\t'The OS owns the hardware'
guest\t'Under a hypervisor'"
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -l device -d 'The device\'s interrupt storage' -r -f -a "msi\t'PCI MSI'
msix\t'PCI MSI-X'
ims-devmem\t'IMS, storage in device memory'
ims-sysmem\t'IMS, storage in system memory'"
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from check" -l threads -d 'Checker threads' -r
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from check" -l hostile-budget -d 'Hostile actions per run (the bounded hostile argument space is fixed). Default: 3 for the scenario check; 6 granted requests for `--fleet`' -r
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from check" -l fleet -d 'Check the fleet instead: two honest VMs and a hostile one sharing a host, at the limits (more than 8 vCPUs, more than 256 devices, quota 255, a full IRT). Millions of states: use a release build'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from check" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run one scenario end to end and print its trace'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check every combination of layer generations exhaustively'
complete -c vcap -n "__fish_vcap_using_subcommand protocol; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vcap -n "__fish_vcap_using_subcommand rules" -l markdown -d 'Print the Markdown tables that docs/detection.md and docs/capabilities.md hold, each block between its doc markers'
complete -c vcap -n "__fish_vcap_using_subcommand rules" -l json -d 'Print JSON instead of text: one object whose first keys are `schema` and `vcap_version`'
complete -c vcap -n "__fish_vcap_using_subcommand rules" -s h -l help -d 'Print help'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "detect" -d 'Print one systemd-detect-virt identifier (exit 0: virtual machine, 1: not)'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "snapshot" -d 'Capture every input the probe reads into DIR, so the report can be reproduced anywhere'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "sanitize" -d 'Sanitize host ID registers into guest-visible ones'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "baseline" -d 'Fold many host profiles into a migration-safe baseline'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "compare" -d 'Can this guest profile run on that host?'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "protocol" -d 'The guest↔hypervisor interrupt negotiation'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "rules" -d 'Print every detection rule, the signature rows, the naming precedence and every capability rule'
complete -c vcap -n "__fish_vcap_using_subcommand help; and not __fish_seen_subcommand_from detect snapshot sanitize baseline compare protocol rules help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vcap -n "__fish_vcap_using_subcommand help; and __fish_seen_subcommand_from protocol" -f -a "run" -d 'Run one scenario end to end and print its trace'
complete -c vcap -n "__fish_vcap_using_subcommand help; and __fish_seen_subcommand_from protocol" -f -a "check" -d 'Check every combination of layer generations exhaustively'
