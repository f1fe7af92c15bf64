//! Scaling a service: `service scale a=3 b=5` arguments ([`parse_scale`]) and the operation on
//! a spec ([`scale`]), which refuses a global service (pure).

use crate::service::{ServiceMode, ServiceSpec};
use crate::spec_error::SpecError;

/// Parses one `service scale` argument `NAME=REPLICAS`.
pub fn parse_scale(value: &str) -> Result<(String, u64), SpecError> {
    let fix = "write SERVICE=REPLICAS, e.g. web=5";
    let Some((name, n)) = value.split_once('=') else {
        return Err(SpecError::new(
            "service scale",
            value,
            "no '=' between service and replicas",
            fix,
        ));
    };
    if name.trim().is_empty() {
        return Err(SpecError::new(
            "service scale",
            value,
            "service name is empty",
            fix,
        ));
    }
    let n = n.trim().parse::<u64>().map_err(|_| {
        SpecError::new(
            "service scale",
            value,
            "replicas is not a whole number",
            fix,
        )
    })?;
    Ok((name.trim().to_string(), n))
}

/// Sets the replica count of a replicated service; a global service is refused.
pub fn scale(spec: &ServiceSpec, replicas: u64) -> Result<ServiceSpec, SpecError> {
    match spec.mode {
        ServiceMode::Global => Err(SpecError::new(
            "service scale",
            format!("{}={replicas}", spec.name),
            format!(
                "{} is a global service (one task per node) and cannot be scaled",
                spec.name
            ),
            "scale only replicated services; a global service follows the nodes",
        )),
        ServiceMode::Replicated { .. } => {
            let mut s = spec.clone();
            s.mode = ServiceMode::Replicated { replicas };
            Ok(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling() {
        assert_eq!(parse_scale("web=5").unwrap(), ("web".to_string(), 5));
        assert!(parse_scale("web").is_err());
        assert!(parse_scale("=5").is_err());
        assert!(parse_scale("web=-1").is_err());
        let s = ServiceSpec {
            name: "web".into(),
            mode: ServiceMode::Replicated { replicas: 3 },
            ..Default::default()
        };
        assert_eq!(
            scale(&s, 7).unwrap().mode,
            ServiceMode::Replicated { replicas: 7 }
        );
        let g = ServiceSpec {
            mode: ServiceMode::Global,
            ..s
        };
        let e = scale(&g, 3).unwrap_err();
        assert!(e.reason.contains("global service"), "{e}");
    }
}
