//! Host unit tests.
