//! A compose `healthcheck:` → the container's [`HealthConfig`], as docker's
//! `convertHealthcheck` does: `disable: true` is `["NONE"]` (and conflicts with `test`), a
//! string test runs in the shell (`["CMD-SHELL", s]`), a list is taken as written (`CMD ...`,
//! `CMD-SHELL s`, `NONE`); durations are Go durations, 0 or absent inherits the image's.

use swarm_api::healthcheck::{validate, HealthConfig};
use swarm_api::restart::parse_duration_ms;

use crate::error::ComposeError;
use crate::model::{Command, Healthcheck, Text};

/// Maps `h` (at `path`, e.g. `services.web.healthcheck`).
pub fn map_healthcheck(path: &str, h: &Healthcheck) -> Result<HealthConfig, ComposeError> {
    if h.disable == Some(true) {
        if h.test.is_some() {
            return Err(ComposeError::key(
                format!("{path}.disable"),
                "test and disable can't be set at the same time",
                "remove test, or set disable: false",
            ));
        }
        return Ok(HealthConfig::disabled());
    }
    let dur = |key: &str, v: &Option<Text>| -> Result<u64, ComposeError> {
        match v {
            None => Ok(0),
            Some(t) => parse_duration_ms(key, &t.0)
                .map_err(|e| ComposeError::spec(format!("{path}.{key}"), e)),
        }
    };
    let test = match &h.test {
        None => Vec::new(),
        Some(Command::Shell(s)) => vec!["CMD-SHELL".into(), s.0.clone()],
        Some(Command::Exec(v)) => v.iter().map(|t| t.0.clone()).collect(),
    };
    let out = HealthConfig {
        test,
        interval_ms: dur("interval", &h.interval)?,
        timeout_ms: dur("timeout", &h.timeout)?,
        retries: h.retries.unwrap_or(0),
        start_period_ms: dur("start_period", &h.start_period)?,
        start_interval_ms: dur("start_interval", &h.start_interval)?,
    };
    validate("test", &out).map_err(|e| ComposeError::spec(format!("{path}.test"), e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        Text(s.into())
    }

    #[test]
    fn maps_dockers_forms() {
        let h = Healthcheck {
            test: Some(Command::Shell(t("nc -z localhost 80"))),
            interval: Some(t("10s")),
            timeout: Some(t("3s")),
            retries: Some(5),
            start_period: Some(t("1m")),
            start_interval: Some(t("2s")),
            disable: None,
        };
        let got = map_healthcheck("services.web.healthcheck", &h).unwrap();
        assert_eq!(got.test, ["CMD-SHELL", "nc -z localhost 80"]);
        assert_eq!(
            (
                got.interval_ms,
                got.timeout_ms,
                got.retries,
                got.start_period_ms,
                got.start_interval_ms
            ),
            (10_000, 3_000, 5, 60_000, 2_000)
        );
        let exec = Healthcheck {
            test: Some(Command::Exec(vec![t("CMD"), t("/web"), t("--check")])),
            ..Default::default()
        };
        assert_eq!(
            map_healthcheck("p", &exec).unwrap().test,
            ["CMD", "/web", "--check"]
        );
        let off = Healthcheck {
            disable: Some(true),
            ..Default::default()
        };
        assert!(map_healthcheck("p", &off).unwrap().is_disabled());
    }

    #[test]
    fn bad_input_names_the_key() {
        let both = Healthcheck {
            test: Some(Command::Shell(t("true"))),
            disable: Some(true),
            ..Default::default()
        };
        let e = map_healthcheck("services.web.healthcheck", &both)
            .unwrap_err()
            .to_string();
        assert!(e.contains("services.web.healthcheck.disable"), "{e}");
        let bad_dur = Healthcheck {
            interval: Some(t("often")),
            ..Default::default()
        };
        let e = map_healthcheck("services.web.healthcheck", &bad_dur)
            .unwrap_err()
            .to_string();
        assert!(e.contains("services.web.healthcheck.interval"), "{e}");
        let bad_test = Healthcheck {
            test: Some(Command::Exec(vec![t("RUN"), t("x")])),
            ..Default::default()
        };
        let e = map_healthcheck("services.web.healthcheck", &bad_test)
            .unwrap_err()
            .to_string();
        assert!(e.contains("services.web.healthcheck.test"), "{e}");
    }
}
