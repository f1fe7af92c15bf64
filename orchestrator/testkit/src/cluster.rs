//! Cluster fixtures.

use swarm_api::cluster::ClusterInfo;

/// An initialised cluster's record with id `c` and empty CA and token secrets (enough for the
/// state's "is the cluster initialised" checks).
pub fn cluster_info() -> ClusterInfo {
    ClusterInfo {
        id: "c".into(),
        ca_cert_pem: String::new(),
        ca_key_pem: String::new(),
        worker_secret: String::new(),
        manager_secret: String::new(),
    }
}
