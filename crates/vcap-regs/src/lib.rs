//! Register field tables with safety rules and provenance, and the three operations a VMM needs:
//! sanitize host ID registers into guest-visible ones, fold many hosts into a migration-safe
//! baseline, and compare a guest profile with a host.
