//! Secrets and configs as files for a task's container.
//!
//! Each sync answer carries the values of the secrets and configs this node's tasks need
//! (nothing else: see the manager's `file_delivery`); [`TaskFiles::set_payloads`] keeps them
//! in memory, replacing the previous set. When a task's container is prepared,
//! [`TaskFiles::materialize`] writes one file per reference into `ROOT/TASK_ID/` (a tmpfs,
//! checked: a secret never touches the node's disk) with the reference's mode, uid and gid,
//! and [`binds`] mounts each file read-only at its target (secrets under `/run/secrets/`,
//! configs at their path). This is docker's own approach (a tmpfs on the host, files bind
//! mounted into the container), and it works with any engine that shares the host's mount
//! namespace. [`TaskFiles::remove`] deletes a task's files when the task goes.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bollard::models::{Mount, MountType};
use swarm_api::config::ConfigSpec;
use swarm_api::dispatch::FilePayload;
use swarm_api::file_kind::{FileRef, FileSpec};
use swarm_api::file_ref::{FileKind, FileTarget};
use swarm_api::secret::SecretSpec;
use swarm_api::service::ContainerSpec;
use swarm_api::task::Task;

use crate::error::AgentError;

/// Where the files of this node's tasks live, and the values delivered with the last answer.
#[derive(Debug)]
pub struct TaskFiles {
    root: PathBuf,
    secrets: Mutex<HashMap<String, Vec<u8>>>,
    configs: Mutex<HashMap<String, Vec<u8>>>,
}

/// One file of a task: host path, container path, owner and mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    /// The secret's or config's id.
    pub id: String,
    /// Its name (for messages).
    pub name: String,
    /// Secret or config.
    pub kind: FileKind,
    /// The file on the host (under the root).
    pub host: PathBuf,
    /// The path in the container.
    pub target: String,
    /// Owner, group and mode.
    pub file: FileTarget,
}

/// The files of `task` under `root` (pure).
pub fn plan_files(root: &Path, task: &Task) -> Vec<FilePlan> {
    let dir = root.join(&task.id);
    let c = &task.spec.container;
    let mut out = plans::<SecretSpec>(&dir, c);
    out.extend(plans::<ConfigSpec>(&dir, c));
    out
}

/// The files of the references of kind `S` (`secret-N`, `config-N` under `dir`).
fn plans<S: FileSpec>(dir: &Path, c: &ContainerSpec) -> Vec<FilePlan> {
    let kind = S::KIND;
    S::refs(c)
        .iter()
        .enumerate()
        .map(|(i, r)| FilePlan {
            id: r.id().to_string(),
            name: r.name().to_string(),
            kind,
            host: dir.join(format!("{}-{i}", kind.noun())),
            target: kind.path(&r.file().name),
            file: r.file().clone(),
        })
        .collect()
}

/// The read-only bind mounts of `task`'s files (pure).
pub fn binds(root: &Path, task: &Task) -> Vec<Mount> {
    plan_files(root, task)
        .into_iter()
        .map(|f| Mount {
            target: Some(f.target),
            source: Some(f.host.display().to_string()),
            typ: Some(MountType::BIND),
            read_only: Some(true),
            ..Default::default()
        })
        .collect()
}

/// The file system type of the mount holding `path`, from a `/proc/mounts` text (pure): the
/// longest mount point that is a prefix of `path`.
pub fn fs_type_of<'a>(mounts: &'a str, path: &Path) -> Option<&'a str> {
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, point, fstype) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(point).then_some((point.len(), fstype))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, t)| t)
}

fn io(path: &Path, e: std::io::Error) -> AgentError {
    AgentError::Files(format!("{}: {e}", path.display()))
}

impl TaskFiles {
    /// Files under `root`, which must be (inside) a tmpfs.
    pub fn new(root: impl Into<PathBuf>) -> Result<TaskFiles, AgentError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| io(&root, e))?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io(&root, e))?;
        let mounts = std::fs::read_to_string("/proc/self/mounts")
            .map_err(|e| io(Path::new("/proc/self/mounts"), e))?;
        let canonical = root.canonicalize().map_err(|e| io(&root, e))?;
        match fs_type_of(&mounts, &canonical) {
            Some("tmpfs") | Some("ramfs") => {}
            other => {
                return Err(AgentError::Files(format!(
                    "{} is on {} , not a tmpfs: secrets must never be written to disk (fix: point it at a tmpfs such as /dev/shm)",
                    root.display(),
                    other.unwrap_or("an unknown file system")
                )))
            }
        }
        Ok(TaskFiles {
            root,
            secrets: Mutex::new(HashMap::new()),
            configs: Mutex::new(HashMap::new()),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Keeps the values of the last answer (the previous ones are dropped).
    pub fn set_payloads(&self, secrets: &[FilePayload], configs: &[FilePayload]) {
        let map = |p: &[FilePayload]| p.iter().map(|x| (x.id.clone(), x.data.0.clone())).collect();
        *self.secrets.lock().unwrap_or_else(|e| e.into_inner()) = map(secrets);
        *self.configs.lock().unwrap_or_else(|e| e.into_inner()) = map(configs);
    }

    /// Writes `task`'s files (mode, uid, gid as referenced). A value this node was not given
    /// is an error naming the secret or config.
    pub fn materialize(&self, task: &Task) -> Result<(), AgentError> {
        let files = plan_files(&self.root, task);
        if files.is_empty() {
            return Ok(());
        }
        let dir = self.root.join(&task.id);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io(&dir, e))?;
        for f in files {
            let store = match f.kind {
                FileKind::Secret => &self.secrets,
                FileKind::Config => &self.configs,
            };
            let data = store
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&f.id)
                .cloned()
                .ok_or_else(|| {
                    AgentError::Files(format!(
                        "{} {} was not delivered to this node (is the manager locked?)",
                        f.kind.noun(),
                        f.name
                    ))
                })?;
            let tmp = f.host.with_extension("tmp");
            let _ = std::fs::remove_file(&tmp);
            let mut out = std::fs::OpenOptions::new()
                .create_new(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| io(&tmp, e))?;
            out.write_all(&data).map_err(|e| io(&tmp, e))?;
            drop(out);
            let uid = f.file.uid.parse::<u32>().ok();
            let gid = f.file.gid.parse::<u32>().ok();
            std::os::unix::fs::chown(&tmp, uid, gid).map_err(|e| io(&tmp, e))?;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(f.file.mode))
                .map_err(|e| io(&tmp, e))?;
            std::fs::rename(&tmp, &f.host).map_err(|e| io(&f.host, e))?;
        }
        Ok(())
    }

    /// Deletes a task's files (nothing when it had none).
    pub fn remove(&self, task_id: &str) {
        if task_id.is_empty() || task_id.contains('/') {
            return;
        }
        let _ = std::fs::remove_dir_all(self.root.join(task_id));
    }

    /// The task ids that have files here.
    pub fn task_dirs(&self) -> Vec<String> {
        std::fs::read_dir(&self.root)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::config::ConfigReference;
    use swarm_api::secret::{SecretData, SecretReference};

    fn task() -> Task {
        let mut t = swarm_testkit::task("t1", "svc", "img", swarm_api::task::TaskState::Assigned);
        let file = |name: &str, mode| FileTarget {
            name: name.into(),
            uid: "0".into(),
            gid: "0".into(),
            mode,
        };
        t.spec.container.secrets.push(SecretReference {
            secret_id: "s1".into(),
            secret_name: "pw".into(),
            file: file("pw", 0o400),
        });
        t.spec.container.configs.push(ConfigReference {
            config_id: "c1".into(),
            config_name: "site".into(),
            file: file("/etc/site.conf", 0o444),
        });
        t
    }

    #[test]
    fn plans_paths_and_read_only_binds() {
        let m = binds(Path::new("/dev/shm/x"), &task());
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].target.as_deref(), Some("/run/secrets/pw"));
        assert_eq!(m[0].source.as_deref(), Some("/dev/shm/x/t1/secret-0"));
        assert_eq!(m[1].target.as_deref(), Some("/etc/site.conf"));
        assert!(m.iter().all(|m| m.read_only == Some(true)));
    }

    #[test]
    fn finds_the_file_system_of_a_path() {
        let mounts = "/dev/vda / ext4 rw 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n";
        assert_eq!(fs_type_of(mounts, Path::new("/dev/shm/a")), Some("tmpfs"));
        assert_eq!(fs_type_of(mounts, Path::new("/var/lib")), Some("ext4"));
    }

    #[test]
    fn writes_files_with_mode_and_removes_them() {
        let root = Path::new("/dev/shm").join(format!("swarmd-unit-{}", std::process::id()));
        let files = TaskFiles::new(&root).unwrap();
        let t = task();
        let e = files.materialize(&t).unwrap_err().to_string();
        assert!(e.contains("secret pw was not delivered"), "{e}");
        files.set_payloads(
            &[FilePayload {
                id: "s1".into(),
                data: SecretData(b"hunter2".to_vec()),
            }],
            &[FilePayload {
                id: "c1".into(),
                data: SecretData(b"a=1".to_vec()),
            }],
        );
        files.materialize(&t).unwrap();
        let s = root.join("t1/secret-0");
        assert_eq!(std::fs::read(&s).unwrap(), b"hunter2");
        let mode = std::fs::metadata(&s).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o400);
        assert_eq!(std::fs::read(root.join("t1/config-0")).unwrap(), b"a=1");
        assert_eq!(files.task_dirs(), vec!["t1".to_string()]);
        files.remove("t1");
        assert!(!root.join("t1").exists());
        let _ = std::fs::remove_dir_all(&root);
        assert!(TaskFiles::new("/var/tmp/swarmd-not-tmpfs-test").is_err());
        let _ = std::fs::remove_dir_all("/var/tmp/swarmd-not-tmpfs-test");
    }
}
