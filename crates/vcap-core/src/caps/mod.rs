//! Stage 4, capabilities: [`iofacts`] gathers the interrupt, IOMMU and device facts from a capture;
//! [`policy`] grants a capability only when every layer beneath positively advertises it, by
//! walking the rows of [`rules`].

pub mod iofacts;
pub mod policy;
pub mod rules;
