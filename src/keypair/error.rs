//! The key-pair layer's error: one variant per EC2 call, carrying the pair's name and region, and
//! the conditions the user must fix.

use std::path::PathBuf;

use crate::aws::AwsError;

/// What managing the cluster's EC2 key pair can fail with.
#[derive(Debug, thiserror::Error)]
pub enum KeyPairError {
    /// DescribeKeyPairs failed.
    #[error("cannot look up EC2 key pair {name} in {region}: {source}")]
    Describe {
        /// The pair's name.
        name: String,
        /// Its region.
        region: String,
        /// Cause.
        source: AwsError,
    },
    /// ImportKeyPair failed.
    #[error("cannot import the public key as EC2 key pair {name} in {region}: {source}")]
    Import {
        /// The pair's name.
        name: String,
        /// Its region.
        region: String,
        /// Cause.
        source: AwsError,
    },
    /// CreateKeyPair failed.
    #[error("cannot create EC2 key pair {name} in {region}: {source}")]
    Create {
        /// The pair's name.
        name: String,
        /// Its region.
        region: String,
        /// Cause.
        source: AwsError,
    },
    /// DeleteKeyPair failed.
    #[error("cannot delete EC2 key pair {name} in {region}: {source}")]
    Delete {
        /// The pair's name.
        name: String,
        /// Its region.
        region: String,
        /// Cause.
        source: AwsError,
    },
    /// CreateKeyPair answered with key material that cannot be read (the pair was deleted).
    #[error("EC2 returned key material for {name} that cannot be read: {detail}")]
    BadMaterial {
        /// The pair's name.
        name: String,
        /// The parser's message.
        detail: String,
    },
    /// `--key-name` names no pair in the region.
    #[error(
        "--key-name {name}: there is no EC2 key pair with this name in {region}; create or import \
         it there, or drop --key-name to let swarm-aws create one"
    )]
    NotFound {
        /// The pair's name.
        name: String,
        /// Its region.
        region: String,
    },
    /// The pair exists but its private key is not where swarm-aws keeps it.
    #[error(
        "EC2 key pair {name} exists in {region} but its private key is not at {}; delete the pair \
         (`aws ec2 delete-key-pair --key-name {name}`) to let swarm-aws create a new one, or pass \
         --key-name/--ssh-public-key", path.display()
    )]
    LostPrivateKey {
        /// The pair's name.
        name: String,
        /// Its region.
        region: String,
        /// Where the private key should be.
        path: PathBuf,
    },
    /// A local file (the cluster's key, the pair's record, its config dir) failed.
    #[error("{}: {detail}", path.display())]
    Local {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

impl KeyPairError {
    /// The exit code: 2 when the user's input must change (nothing was created), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            KeyPairError::NotFound { .. } | KeyPairError::LostPrivateKey { .. } => 2,
            _ => 1,
        }
    }
}
