//! Uploading a file over an exec channel, verified by a remote `sha256sum` before it is moved into place.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{shell_quote, SshClient, SshError};

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first word of `sha256sum` output, if it is a hex digest.
fn parse_sha256sum(stdout: &str) -> Option<&str> {
    let word = stdout.split_whitespace().next()?;
    (word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit())).then_some(word)
}

/// Judges the upload script's result: the host's hash must be ours and the script must have
/// succeeded (pure).
fn verdict(expected: &str, stdout: &str, exit_status: u32, stderr: &str) -> Result<(), String> {
    match parse_sha256sum(stdout) {
        Some(actual) if actual != expected => Err(format!(
            "checksum mismatch: sent sha256 {expected}, host has {actual}; nothing was installed"
        )),
        Some(_) if exit_status == 0 => Ok(()),
        _ => Err(format!("failed (exit {exit_status}): {}", stderr.trim())),
    }
}

impl SshClient {
    /// Writes `bytes` to `remote_path` with permission `mode` (e.g. `0o755`).
    ///
    /// The bytes go to a temporary file next to the destination; the remote `sha256sum` of that file
    /// must equal the local one, and only then is it renamed over `remote_path` (atomic on the host).
    /// A mismatch leaves nothing behind and is reported with both hashes.
    /// Returns the hex SHA-256.
    pub async fn upload(
        &self,
        bytes: &[u8],
        remote_path: &str,
        mode: u32,
    ) -> Result<String, SshError> {
        let fail = |reason: String| SshError::Upload {
            addr: self.addr.to_string(),
            remote_path: remote_path.to_string(),
            reason,
        };
        if remote_path.is_empty() || remote_path.ends_with('/') {
            return Err(fail("the destination must be a file path".into()));
        }
        let mut nonce = [0u8; 6];
        getrandom::fill(&mut nonce).map_err(|e| fail(format!("no randomness: {e}")))?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = format!("{remote_path}.swarm-aws-upload-{nonce}");
        let (q_tmp, q_dst) = (shell_quote(&tmp), shell_quote(remote_path));
        let expected = sha256_hex(bytes);

        // One round trip: write, hash, and move into place only if the host's hash is ours. The
        // host prints its hash either way, and we compare it here too.
        let script = format!(
            "umask 077 && cat > {q_tmp} && chmod {mode:o} {q_tmp} && s=$(sha256sum {q_tmp}) && echo \"$s\" \
             && [ \"${{s%% *}}\" = {expected} ] && mv -f {q_tmp} {q_dst} || {{ rm -f {q_tmp}; exit 1; }}"
        );
        let out = self.exec_with_stdin(&script, Some(bytes)).await?;
        verdict(
            &expected,
            &out.stdout_str(),
            out.exit_status,
            &out.stderr_str(),
        )
        .map_err(fail)?;
        Ok(expected)
    }

    /// Uploads the local file `local` to `remote_path` with `mode`, verified as in [`SshClient::upload`].
    pub async fn upload_file(
        &self,
        local: &Path,
        remote_path: &str,
        mode: u32,
    ) -> Result<String, SshError> {
        let bytes = tokio::fs::read(local)
            .await
            .map_err(|e| SshError::io(local, e))?;
        self.upload(&bytes, remote_path, mode).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verdict_needs_the_same_hash_and_success() {
        let ours = sha256_hex(b"abc");
        let theirs = sha256_hex(b"abd");
        assert_eq!(verdict(&ours, &format!("{ours}  /t\n"), 0, ""), Ok(()));
        let err = verdict(&ours, &format!("{theirs}  /t\n"), 1, "").unwrap_err();
        assert!(err.contains("checksum mismatch") && err.contains(&ours) && err.contains(&theirs));
        let err = verdict(&ours, &format!("{ours}  /t\n"), 1, "mv: denied\n").unwrap_err();
        assert!(
            err.contains("exit 1") && err.contains("mv: denied"),
            "{err}"
        );
        let err = verdict(&ours, "", 1, "cat: /x/y: No such file").unwrap_err();
        assert!(err.contains("No such file"), "{err}");
    }

    #[test]
    fn sha256sum_output_is_parsed_strictly() {
        let line = format!("{}  /tmp/x\n", sha256_hex(b"abc"));
        assert_eq!(parse_sha256sum(&line), Some(sha256_hex(b"abc").as_str()));
        assert_eq!(parse_sha256sum("sha256sum: /tmp/x: No such file\n"), None);
        assert_eq!(parse_sha256sum(""), None);
    }
}
