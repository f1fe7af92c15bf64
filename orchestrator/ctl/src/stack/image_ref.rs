//! `stack deploy --resolve-image`: the pure parts. Splitting an image reference the way
//! Docker does (registry host, repository, tag, digest), pinning a digest into it
//! (`name:tag@sha256:...`), which registries may be asked over plain HTTP, and which
//! services a mode looks up.

use std::net::IpAddr;

use swarm_api::service::Service;
use swarm_compose::IMAGE_LABEL;

/// `--resolve-image`: when the registry is asked for an image's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every service (docker's default).
    #[default]
    Always,
    /// Only services that are new or whose image (as written) changed.
    Changed,
    /// Never: the reference stays as written.
    Never,
}

impl Mode {
    /// Parses the flag value (clap already limits it to these three).
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "always" => Some(Mode::Always),
            "changed" => Some(Mode::Changed),
            "never" => Some(Mode::Never),
            _ => None,
        }
    }
}

/// What a deploy does with one service's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// Ask the registry for the digest of the image as written.
    Lookup,
    /// Keep the image the existing service runs (`changed`, image unchanged): docker's
    /// "update the serviceSpec with the existing information".
    Keep(String),
    /// Use the reference as written.
    AsWritten,
}

/// Which image a service gets under `mode`, given the image as written and the service of
/// that name if it exists (its `com.docker.stack.image` label is the image as last written).
pub fn pick(mode: Mode, written: &str, existing: Option<&Service>) -> Pick {
    match (mode, existing) {
        (Mode::Never, _) => Pick::AsWritten,
        (Mode::Always, _) | (Mode::Changed, None) => Pick::Lookup,
        (Mode::Changed, Some(s)) => {
            if s.spec.labels.get(IMAGE_LABEL).map(String::as_str) == Some(written) {
                Pick::Keep(s.spec.task.container.image.clone())
            } else {
                Pick::Lookup
            }
        }
    }
}

/// An image reference split as Docker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host (with port) when the first component names one, else `None`
    /// (Docker Hub).
    pub host: Option<String>,
    /// The repository path inside the registry (`library/` added for Hub official images).
    pub repo: String,
    /// The tag (`latest` when none is written).
    pub tag: String,
    /// The digest when the reference has one.
    pub digest: Option<String>,
}

/// Splits `image`; `None` when it is not a reference at all (empty, empty components).
pub fn parse(image: &str) -> Option<ImageRef> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (image, None),
    };
    let (host, path) = match rest.split_once('/') {
        Some((first, p)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (Some(first.to_string()), p)
        }
        _ => (None, rest),
    };
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match path[last_slash..].rfind(':') {
        Some(i) => (
            &path[..last_slash + i],
            path[last_slash + i + 1..].to_string(),
        ),
        None => (path, "latest".to_string()),
    };
    if repo.is_empty() || tag.is_empty() || repo.split('/').any(str::is_empty) {
        return None;
    }
    let repo = if host.is_none() && !repo.contains('/') {
        format!("library/{repo}")
    } else {
        repo.to_string()
    };
    Some(ImageRef {
        host,
        repo,
        tag,
        digest,
    })
}

/// `image` pinned to `digest`: `name:tag@digest` (`:latest` added when no tag is written),
/// as docker records it. A reference that has a digest already is kept.
pub fn pinned(image: &str, digest: &str) -> String {
    if image.contains('@') {
        return image.to_string();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        format!("{image}@{digest}")
    } else {
        format!("{image}:latest@{digest}")
    }
}

/// Whether a registry host may be asked over plain HTTP after HTTPS failed: `localhost`, a
/// loopback or a private address (as Docker's default insecure registry `127.0.0.0/8`, and
/// the sandbox registry on 127.x/10.x).
pub fn plain_http_allowed(host: &str) -> bool {
    let name = strip_port(host);
    if name == "localhost" {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => a.is_loopback() || a.is_private(),
        Ok(IpAddr::V6(a)) => a.is_loopback() || (a.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}

/// `host:port` → `host` (brackets of an IPv6 literal removed).
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

/// `host[:port]` → the name to connect to and the port (`default_port` when none is
/// written); `None` for a port that is not a number.
pub fn host_port(host: &str, default_port: u16) -> Option<(&str, u16)> {
    let name = strip_port(host);
    let rest = match host.strip_prefix('[') {
        Some(r) => r.split_once(']').map_or("", |(_, p)| p),
        None => &host[name.len()..],
    };
    match rest.strip_prefix(':') {
        Some(p) => Some((name, p.parse().ok()?)),
        None if rest.is_empty() => Some((name, default_port)),
        None => None,
    }
}

/// Docker's warning when an image's digest could not be looked up.
pub fn digest_warning(image: &str) -> String {
    format!(
        "image {image} could not be accessed on a registry to record\nits digest. Each node \
         will access {image} independently,\npossibly leading to different nodes running \
         different\nversions of the image.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::service::ServiceSpec;

    fn r(host: Option<&str>, repo: &str, tag: &str, digest: Option<&str>) -> ImageRef {
        ImageRef {
            host: host.map(str::to_string),
            repo: repo.into(),
            tag: tag.into(),
            digest: digest.map(str::to_string),
        }
    }

    #[test]
    fn parses_references_as_docker() {
        assert_eq!(
            parse("nginx"),
            Some(r(None, "library/nginx", "latest", None))
        );
        assert_eq!(
            parse("nginx:1.25"),
            Some(r(None, "library/nginx", "1.25", None))
        );
        assert_eq!(parse("me/app:v2"), Some(r(None, "me/app", "v2", None)));
        assert_eq!(
            parse("127.213.1.1:5000/swarm-testimg:1"),
            Some(r(Some("127.213.1.1:5000"), "swarm-testimg", "1", None))
        );
        assert_eq!(
            parse("localhost/a/b"),
            Some(r(Some("localhost"), "a/b", "latest", None))
        );
        assert_eq!(
            parse("reg.example.com/a/b:t@sha256:abc"),
            Some(r(Some("reg.example.com"), "a/b", "t", Some("sha256:abc")))
        );
        // A port in the host is not a tag.
        assert_eq!(
            parse("reg:5000/app"),
            Some(r(Some("reg:5000"), "app", "latest", None))
        );
        assert_eq!(parse(""), None);
        assert_eq!(parse("reg:5000/"), None);
        assert_eq!(parse("app:"), None);
        assert_eq!(parse("a//b"), None);
    }

    #[test]
    fn pins_the_digest_after_the_tag() {
        assert_eq!(pinned("nginx", "sha256:1"), "nginx:latest@sha256:1");
        assert_eq!(
            pinned("reg:5000/app", "sha256:1"),
            "reg:5000/app:latest@sha256:1"
        );
        assert_eq!(
            pinned("reg:5000/app:v1", "sha256:1"),
            "reg:5000/app:v1@sha256:1"
        );
        assert_eq!(pinned("app@sha256:0", "sha256:1"), "app@sha256:0");
    }

    #[test]
    fn plain_http_only_for_loopback_and_private_registries() {
        for h in [
            "127.213.4.1:5000",
            "10.0.0.5:5000",
            "192.168.1.1",
            "localhost:5000",
            "[::1]:5000",
            "172.16.0.1",
        ] {
            assert!(plain_http_allowed(h), "{h}");
        }
        for h in [
            "registry.example.com",
            "8.8.8.8:5000",
            "172.32.0.1",
            "[2001:db8::1]:443",
            "ghcr.io",
        ] {
            assert!(!plain_http_allowed(h), "{h}");
        }
    }

    #[test]
    fn host_and_port() {
        assert_eq!(
            host_port("127.213.1.1:5000", 443),
            Some(("127.213.1.1", 5000))
        );
        assert_eq!(
            host_port("reg.example.com", 443),
            Some(("reg.example.com", 443))
        );
        assert_eq!(host_port("[::1]:5000", 80), Some(("::1", 5000)));
        assert_eq!(host_port("[::1]", 80), Some(("::1", 80)));
    }

    fn service(label: &str, image: &str) -> Service {
        let mut spec = ServiceSpec::default();
        spec.labels.insert(IMAGE_LABEL.into(), label.into());
        spec.task.container.image = image.into();
        swarm_testkit::service("sid", spec)
    }

    #[test]
    fn modes_pick_which_services_are_looked_up() {
        let s = service("reg:5000/app:v1", "reg:5000/app:v1@sha256:1");
        assert_eq!(
            pick(Mode::Always, "reg:5000/app:v1", Some(&s)),
            Pick::Lookup
        );
        assert_eq!(pick(Mode::Always, "reg:5000/app:v1", None), Pick::Lookup);
        assert_eq!(pick(Mode::Changed, "reg:5000/app:v1", None), Pick::Lookup);
        assert_eq!(
            pick(Mode::Changed, "reg:5000/app:v1", Some(&s)),
            Pick::Keep("reg:5000/app:v1@sha256:1".into())
        );
        assert_eq!(
            pick(Mode::Changed, "reg:5000/app:v2", Some(&s)),
            Pick::Lookup
        );
        assert_eq!(
            pick(Mode::Never, "reg:5000/app:v1", Some(&s)),
            Pick::AsWritten
        );
        assert_eq!(pick(Mode::Never, "reg:5000/app:v1", None), Pick::AsWritten);
    }

    #[test]
    fn the_warning_is_dockers() {
        assert_eq!(
            digest_warning("app:1"),
            "image app:1 could not be accessed on a registry to record\nits digest. Each node \
             will access app:1 independently,\npossibly leading to different nodes running \
             different\nversions of the image.\n"
        );
        assert_eq!(Mode::parse("changed"), Some(Mode::Changed));
        assert_eq!(Mode::parse("sometimes"), None);
    }
}
