//! Plain stack-event and resource-snapshot types, independent of the SDK, so the tracker is pure
//! and can be fed recorded fixtures (the JSON shape of `aws cloudformation describe-stack-events`).

use serde::{Deserialize, Serialize};

/// One CloudFormation stack event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackEvent {
    /// Unique event id (dedupe key).
    pub event_id: String,
    /// Stack name.
    pub stack_name: String,
    /// Logical id of the resource (the stack name for stack-level events).
    pub logical_resource_id: String,
    /// Physical id, once the resource exists.
    #[serde(default)]
    pub physical_resource_id: Option<String>,
    /// Resource type (`AWS::EC2::VPC`, `AWS::CloudFormation::Stack`).
    pub resource_type: String,
    /// When it happened, milliseconds since the Unix epoch.
    #[serde(with = "iso_millis", rename = "Timestamp")]
    pub timestamp_ms: i64,
    /// Resource status (`CREATE_IN_PROGRESS`, `CREATE_FAILED`, ...).
    pub resource_status: String,
    /// Reason given with the status.
    #[serde(default)]
    pub resource_status_reason: Option<String>,
}

impl StackEvent {
    /// True for events about the stack itself rather than one of its resources.
    pub fn is_stack_level(&self) -> bool {
        self.resource_type == STACK_TYPE
    }
}

/// Resource type of stack-level events.
pub const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

/// One row of DescribeStackResources: the current state of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSnapshot {
    /// Logical id.
    pub logical_id: String,
    /// Physical id, once it exists.
    pub physical_id: Option<String>,
    /// Resource type.
    pub resource_type: String,
    /// Current status.
    pub status: String,
    /// Reason given with the status.
    pub reason: Option<String>,
    /// Last update, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

/// `{"Timestamp": "2019-08-12T21:35:54.151Z"}` <-> epoch milliseconds.
mod iso_millis {
    use aws_smithy_types::date_time::Format;
    use aws_smithy_types::DateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_iso(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        let normalized = text.replace("+00:00", "Z");
        let dt = DateTime::from_str(&normalized, Format::DateTime)
            .map_err(|e| serde::de::Error::custom(format!("bad Timestamp {text:?}: {e}")))?;
        dt.to_millis().map_err(serde::de::Error::custom)
    }
}

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds.
pub fn format_iso(ms: i64) -> String {
    let (date, time) = split_utc(ms);
    format!("{date}T{time}.{:03}Z", ms.rem_euclid(1000))
}

/// Formats epoch milliseconds as `HH:MM:SS` UTC (the time column of progress lines).
pub fn format_clock(ms: i64) -> String {
    split_utc(ms).1
}

fn split_utc(ms: i64) -> (String, String) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aws_cli_event_json() {
        let json = r#"{"StackId":"arn:aws:cloudformation:us-east-1:123456789012:stack/s/1","EventId":"e1",
            "StackName":"s","LogicalResourceId":"Vpc","PhysicalResourceId":"vpc-1",
            "ResourceType":"AWS::EC2::VPC","Timestamp":"2019-08-12T21:35:54.151Z",
            "ResourceStatus":"CREATE_COMPLETE"}"#;
        let e: StackEvent = serde_json::from_str(json).unwrap();
        assert_eq!(e.logical_resource_id, "Vpc");
        assert_eq!(e.timestamp_ms, 1_565_645_754_151);
        assert_eq!(format_iso(e.timestamp_ms), "2019-08-12T21:35:54.151Z");
        assert_eq!(format_clock(e.timestamp_ms), "21:35:54");
        assert!(!e.is_stack_level());
        assert_eq!(e.resource_status_reason, None);
    }

    #[test]
    fn accepts_offset_timestamps() {
        let json = r#"{"EventId":"e","StackName":"s","LogicalResourceId":"s","ResourceType":"AWS::CloudFormation::Stack",
            "Timestamp":"2026-11-25T11:42:46.795769+00:00","ResourceStatus":"UPDATE_COMPLETE"}"#;
        let e: StackEvent = serde_json::from_str(json).unwrap();
        assert_eq!(format_iso(e.timestamp_ms), "2026-11-25T11:42:46.795Z");
        assert!(e.is_stack_level());
    }
}
