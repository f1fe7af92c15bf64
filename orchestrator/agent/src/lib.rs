//! The swarmd worker agent: executors (Docker), routing mesh, status reports.
