//! The self-join material of a cluster, kept where only its instance role can read it: the swarmd
//! builds in the stack's bucket (`up` uploads them), and under the stack's SSM parameter path the
//! builds' SHA-256, the join tokens (`SecureString`) and the managers' addresses (`up` writes them
//! after the stack and its bootstrap; CloudFormation cannot create `SecureString`s). `down` deletes
//! the parameters and empties the bucket before the stack goes, so nothing is left.
//!
//! Names come from [`crate::template::self_join`] (the contract with the template and the user
//! data). Tokens are never printed or logged.

use aws_sdk_ssm::types::ParameterType;

use crate::aws::{call, Clients};
use crate::bootstrap::{Binaries, JoinMaterial};
use crate::cloud_error::CloudError;
use crate::template::self_join::{guide_key, parameter_path, params, swarmd_key};

/// Uploads every build with a known architecture to `bucket` and records its SHA-256 under the
/// stack's path. Returns the architectures uploaded.
pub async fn upload_builds(
    clients: &Clients,
    stack: &str,
    bucket: &str,
    builds: &Binaries,
) -> Result<Vec<String>, CloudError> {
    let mut done = Vec::new();
    for (arch, binary) in builds.by_arch() {
        let key = swarmd_key(arch);
        call(
            clients
                .s3
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(binary.bytes.as_ref().clone().into())
                .send(),
        )
        .await
        .map_err(|source| CloudError::PutObject {
            bucket: bucket.to_string(),
            key: key.clone(),
            source,
        })?;
        let name = format!("{}/{}{arch}", parameter_path(stack), params::SWARMD_SHA256);
        put(clients, &name, &binary.sha256, ParameterType::String).await?;
        done.push(arch.to_string());
    }
    Ok(done)
}

/// Uploads the lifecycle consumer's build found beside each swarmd build (`swarm-guide`, of the
/// same architecture) to `bucket` and records its SHA-256. Returns the architectures uploaded;
/// empty when no build has one beside it (managers then run without the consumer).
pub async fn upload_guides(
    clients: &Clients,
    stack: &str,
    bucket: &str,
    builds: &Binaries,
) -> Result<Vec<String>, CloudError> {
    let mut done = Vec::new();
    for (arch, binary) in builds.by_arch() {
        let Some(bytes) = crate::bootstrap::guide::beside(&binary.path)
            .and_then(|p| std::fs::read(p).ok())
            .filter(|b| crate::bootstrap::elf_arch(b) == Some(arch))
        else {
            continue;
        };
        let sha256 = crate::bootstrap::sha256_hex(&bytes);
        let key = guide_key(arch);
        call(
            clients
                .s3
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(bytes.into())
                .send(),
        )
        .await
        .map_err(|source| CloudError::PutObject {
            bucket: bucket.to_string(),
            key: key.clone(),
            source,
        })?;
        let name = format!("{}/{}{arch}", parameter_path(stack), params::GUIDE_SHA256);
        put(clients, &name, &sha256, ParameterType::String).await?;
        done.push(arch.to_string());
    }
    Ok(done)
}

/// Writes the join tokens (`SecureString`) and the managers' addresses under the stack's path.
pub async fn put_join_material(
    clients: &Clients,
    stack: &str,
    join: &JoinMaterial,
) -> Result<(), CloudError> {
    let path = parameter_path(stack);
    for (name, value, kind) in [
        (
            params::MANAGER_TOKEN,
            join.manager_token.as_str(),
            ParameterType::SecureString,
        ),
        (
            params::WORKER_TOKEN,
            join.worker_token.as_str(),
            ParameterType::SecureString,
        ),
        (
            params::MANAGERS,
            &join.managers.join(","),
            ParameterType::String,
        ),
    ] {
        put(clients, &format!("{path}/{name}"), value, kind).await?;
    }
    Ok(())
}

async fn put(
    clients: &Clients,
    name: &str,
    value: &str,
    kind: ParameterType,
) -> Result<(), CloudError> {
    call(
        clients
            .ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(kind)
            .overwrite(true)
            .send(),
    )
    .await
    .map_err(|source| CloudError::PutParameter {
        name: name.to_string(),
        source,
    })?;
    Ok(())
}

/// The names of every parameter under the stack's path.
pub async fn parameter_names(clients: &Clients, stack: &str) -> Result<Vec<String>, CloudError> {
    let path = parameter_path(stack);
    let pages = call(
        clients
            .ssm
            .get_parameters_by_path()
            .path(&path)
            .recursive(true)
            .into_paginator()
            .send()
            .try_collect(),
    )
    .await
    .map_err(|source| CloudError::GetParametersByPath {
        path: path.clone(),
        source,
    })?;
    Ok(pages
        .iter()
        .flat_map(|p| p.parameters())
        .filter_map(|p| p.name().map(str::to_string))
        .collect())
}

/// Deletes every parameter under the stack's path; returns how many went.
pub async fn delete_parameters(clients: &Clients, stack: &str) -> Result<usize, CloudError> {
    let names = parameter_names(clients, stack).await?;
    for batch in names.chunks(10) {
        call(
            clients
                .ssm
                .delete_parameters()
                .set_names(Some(batch.to_vec()))
                .send(),
        )
        .await
        .map_err(|source| CloudError::DeleteParameters {
            path: parameter_path(stack),
            count: batch.len(),
            source,
        })?;
    }
    Ok(names.len())
}

/// Deletes every object in `bucket` (CloudFormation deletes only empty buckets); returns how
/// many went.
pub async fn empty_bucket(clients: &Clients, bucket: &str) -> Result<usize, CloudError> {
    let fail = |source| CloudError::EmptyBucket {
        bucket: bucket.to_string(),
        source,
    };
    let pages = call(
        clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send()
            .try_collect(),
    )
    .await
    .map_err(fail)?;
    let keys: Vec<String> = pages
        .iter()
        .flat_map(|p| p.contents())
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    for key in &keys {
        call(clients.s3.delete_object().bucket(bucket).key(key).send())
            .await
            .map_err(fail)?;
    }
    Ok(keys.len())
}
