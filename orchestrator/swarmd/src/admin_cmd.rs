//! `swarmd admin-cert`: the manager's local root signs a user's CSR as an admin certificate;
//! `admin-cert ls` lists the certificates signed so far and `admin-cert revoke` revokes them.
//!
//! Only the CSR comes in (from a file or stdin), so the user's private key never reaches the
//! manager. Prints the certificate, then the CA (PEM), or both as JSON with `--format json`; the
//! serial number (what `revoke` takes) goes to stderr.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use swarm_api::admin::{
    validate_admin_days, validate_admin_name, AdminCertRecord, AdminCertRequest,
};
use swarm_api::client::{Client, Target};

use crate::cli::{AdminCertAction, ClientOpts, Format};

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
pub async fn admin_cert(
    o: ClientOpts,
    csr_file: Option<PathBuf>,
    name: String,
    days: u32,
) -> Result<()> {
    if o.host.is_some() {
        bail!("admin-cert only runs on a manager's local socket; drop --host and run it there");
    }
    let Some(csr_file) = csr_file else {
        bail!(
            "admin-cert: give the CSR to sign with --csr-file FILE (or `-` for stdin), or list \
             or revoke certificates with `admin-cert ls` / `admin-cert revoke SERIAL|NAME`"
        );
    };
    validate_admin_name(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    validate_admin_days(days).map_err(|e| anyhow::anyhow!("--days: {e}"))?;
    let csr_pem = read_csr(&csr_file)?;
    let client = Client::new(Target::Unix(o.state_dir.join("swarmd.sock")));
    let req = AdminCertRequest {
        csr_pem,
        name,
        days,
    };
    let resp = client.admin().cert(&req).await?;
    if o.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&resp)?);
    } else {
        eprintln!(
            "admin certificate for {}: serial {}, valid until {}",
            resp.name, resp.serial, resp.not_after
        );
        print!("{}{}", resp.cert_pem, resp.ca_cert_pem);
    }
    Ok(())
}

/// The `admin-cert ls` table (pure).
pub fn cert_table(records: &[AdminCertRecord]) -> String {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.serial.clone(),
                r.name.clone(),
                r.not_after.clone(),
                if r.revoked { "revoked" } else { "valid" }.to_string(),
            ]
        })
        .collect();
    swarm_ctl::table::table(&["SERIAL", "NAME", "NOT AFTER", "STATUS"], &rows)
}

/// `swarmd admin-cert ls` and `swarmd admin-cert revoke KEY` (local socket or `--host`).
pub async fn admin_certs(
    o: ClientOpts,
    action: AdminCertAction,
    csr_file: Option<PathBuf>,
) -> Result<()> {
    if csr_file.is_some() {
        bail!(
            "--csr-file signs a certificate; drop it with `admin-cert ls` or `admin-cert revoke`"
        );
    }
    let client = crate::client_cmd::client(&o)?;
    match action {
        AdminCertAction::Ls => {
            let records = client.admin().certs().await?;
            if o.format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&records)?);
            } else {
                print!("{}", cert_table(&records));
            }
        }
        AdminCertAction::Revoke { key } => {
            let resp = client.admin().revoke(key).await?;
            if o.format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&resp)?);
            } else {
                for r in &resp.revoked {
                    println!("revoked {} ({})", r.serial, r.name);
                }
            }
        }
    }
    Ok(())
}
