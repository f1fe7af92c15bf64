//! Connection settings.

use std::time::Duration;

use super::Backoff;

/// How [`SshClient::connect`](super::SshClient::connect) connects.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The remote user (instances: `root` in the sandbox, `ec2-user`/`ubuntu`/`docker` on AWS).
    pub user: String,
    /// Time allowed for one attempt (TCP connect + handshake + authentication).
    pub attempt_timeout: Duration,
    /// Retry schedule and the total connect budget.
    pub backoff: Backoff,
    /// Interval between keepalive requests on an idle connection.
    pub keepalive_interval: Duration,
    /// Unanswered keepalives after which the connection is considered dead.
    pub keepalive_max: usize,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            user: "root".to_string(),
            attempt_timeout: Duration::from_secs(15),
            backoff: Backoff::default(),
            keepalive_interval: Duration::from_secs(15),
            keepalive_max: 3,
        }
    }
}

impl ConnectOptions {
    /// Default options for `user`.
    pub fn for_user(user: impl Into<String>) -> Self {
        ConnectOptions {
            user: user.into(),
            ..Self::default()
        }
    }
}
