//! Helpers shared by Glimpse's test suites: the backend crate's own tests (`backend/tests/`)
//! and the end-to-end tests here (`tests/e2e/`, one binary).

pub mod postgres;
