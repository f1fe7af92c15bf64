//! `swarmd admin-cert`: the manager's local root signs a user's CSR as an admin certificate.
//!
//! Only the CSR comes in (from a file or stdin), so the user's private key never reaches the
//! manager. Prints the certificate, then the CA (PEM), or both as JSON with `--format json`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use swarm_api::admin::{
    validate_admin_days, validate_admin_name, AdminCertRequest, AdminCertResponse,
};
use swarm_api::client::{Client, Target};

use crate::cli::{ClientOpts, Format};

fn read_csr(file: &PathBuf) -> Result<String> {
    let mut csr = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut csr)
            .context("--csr-file -: cannot read the CSR from stdin")?;
    } else {
        csr = std::fs::read_to_string(file)
            .with_context(|| format!("--csr-file {}: cannot read the CSR", file.display()))?;
    }
    if !csr.contains("BEGIN CERTIFICATE REQUEST") {
        bail!(
            "--csr-file {}: not a PEM certificate signing request (no BEGIN CERTIFICATE REQUEST)",
            file.display()
        );
    }
    Ok(csr)
}

/// `swarmd admin-cert --csr-file F [--name N] [--days D]`.
pub async fn admin_cert(o: ClientOpts, csr_file: PathBuf, name: String, days: u32) -> Result<()> {
    if o.host.is_some() {
        bail!("admin-cert only runs on a manager's local socket; drop --host and run it there");
    }
    validate_admin_name(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    validate_admin_days(days).map_err(|e| anyhow::anyhow!("--days: {e}"))?;
    let csr_pem = read_csr(&csr_file)?;
    let client = Client::new(Target::Unix(o.state_dir.join("swarmd.sock")));
    let resp: AdminCertResponse = client
        .post(
            "/v1/admin/cert",
            &AdminCertRequest {
                csr_pem,
                name,
                days,
            },
        )
        .await?;
    if o.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&resp)?);
    } else {
        print!("{}{}", resp.cert_pem, resp.ca_cert_pem);
    }
    Ok(())
}
