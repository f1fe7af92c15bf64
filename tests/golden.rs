//! Golden templates: every rendering in `templates/` must match what the code renders today.
//! Re-bless after an intended change with `SWARM_AWS_BLESS=1 cargo test --test golden` and review
//! the diff in `git diff templates/`.

mod common;

use common::{blessing, render, root, GOLDENS};

#[test]
fn renderings_match_the_committed_goldens() {
    let mut drifted = Vec::new();
    for golden in GOLDENS {
        let path = root().join("templates").join(golden.file);
        let fresh = render(golden.args);
        if blessing() {
            std::fs::write(&path, &fresh).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{}: {e}; create it with SWARM_AWS_BLESS=1", path.display())
        });
        if committed != fresh {
            let line = committed
                .lines()
                .zip(fresh.lines())
                .position(|(a, b)| a != b)
                .map_or(committed.lines().count().min(fresh.lines().count()), |i| i)
                + 1;
            drifted.push(format!(
                "templates/{} differs from the rendering of `swarm-aws {}` (first at line {line})",
                golden.file,
                golden.args.join(" ")
            ));
        }
    }
    assert!(
        drifted.is_empty(),
        "{}\nIf the change is intended, re-bless: SWARM_AWS_BLESS=1 cargo test --test golden, then review `git diff templates/`",
        drifted.join("\n")
    );
}

#[test]
fn every_golden_file_has_a_case() {
    let dir = root().join("templates");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") || name.ends_with(".yaml") {
            assert!(
                GOLDENS.iter().any(|g| g.file == name),
                "templates/{name} is not rendered by any golden case; delete it or add a case"
            );
        }
    }
}

#[test]
fn the_binary_prints_the_same_template() {
    let golden = &GOLDENS[1];
    let out = common::swarm_aws(golden.args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), render(golden.args));
}
