//! The openraft type configuration of swarmd: commands in, command responses out, u64 node ids.

use std::io::Cursor;

use swarm_api::command::{Command, CommandResponse};

openraft::declare_raft_types!(
    /// Raft types of swarmd.
    pub TypeConfig:
        D = Command,
        R = CommandResponse,
        NodeId = u64,
        Node = openraft::BasicNode,
        SnapshotData = Cursor<Vec<u8>>,
);

/// A Raft log id of swarmd.
pub type LogId = openraft::LogId<u64>;
/// A Raft storage error of swarmd.
pub type StorageError = openraft::StorageError<u64>;
