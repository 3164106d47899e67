//! Stage 2, parse: one parser per hardware fact, each turning captured bytes into a typed value or
//! an error naming the file and offset at fault. Detection and capabilities both read these.

pub mod acpi;
pub mod cpuid;
pub mod dmi;
pub mod hex;
pub mod interrupts;
pub mod iommu;
pub mod pci_config;
pub mod smbios;
pub mod virtio;
