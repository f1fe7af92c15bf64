//! The lifecycle queue's messages, in Auto Scaling's format (pure).
//!
//! Auto Scaling sends one JSON body per lifecycle action to the hook's SQS target
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/prepare-for-lifecycle-notifications.html>),
//! plus one `autoscaling:TEST_NOTIFICATION` when a hook is created. The sandbox posts the same
//! body for the instances it terminates, so both go through [`parse`].

use serde::Deserialize;

/// The transition this consumer acts on.
pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";
/// The test message a new hook sends.
pub const TEST_NOTIFICATION: &str = "autoscaling:TEST_NOTIFICATION";

/// One terminate lifecycle action: what identifies it to `CompleteLifecycleAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    /// The instance about to go.
    pub instance_id: String,
    /// Its group.
    pub group: String,
    /// The hook's name.
    pub hook: String,
    /// The action's token (absent in bodies some tools write; the instance id then identifies
    /// the action).
    pub token: Option<String>,
    /// The hook's metadata (the template puts the role there: `manager` / `worker`).
    pub metadata: Option<String>,
}

/// What a queue message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An instance is terminating and waits for us.
    Terminating(Termination),
    /// The hook's test message: nothing to do but delete it.
    Test,
    /// A body we do not act on (another transition, or not Auto Scaling's), with why: deleted
    /// after a log line so it does not come back forever.
    Ignored(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Body {
    lifecycle_transition: Option<String>,
    event: Option<String>,
    #[serde(rename = "EC2InstanceId")]
    ec2_instance_id: Option<String>,
    auto_scaling_group_name: Option<String>,
    lifecycle_hook_name: Option<String>,
    lifecycle_action_token: Option<String>,
    notification_metadata: Option<String>,
}

/// Reads one message body.
pub fn parse(body: &str) -> Notice {
    let b: Body = match serde_json::from_str(body) {
        Ok(b) => b,
        Err(e) => return Notice::Ignored(format!("not a lifecycle notification ({e})")),
    };
    if b.event.as_deref() == Some(TEST_NOTIFICATION) {
        return Notice::Test;
    }
    match b.lifecycle_transition.as_deref() {
        Some(TERMINATING) => {}
        Some(other) => return Notice::Ignored(format!("transition {other} (only {TERMINATING})")),
        None => return Notice::Ignored("no LifecycleTransition".into()),
    }
    let missing = |field: &str| Notice::Ignored(format!("{TERMINATING} without {field}"));
    let Some(instance_id) = b.ec2_instance_id.filter(|s| !s.is_empty()) else {
        return missing("EC2InstanceId");
    };
    let Some(group) = b.auto_scaling_group_name.filter(|s| !s.is_empty()) else {
        return missing("AutoScalingGroupName");
    };
    let Some(hook) = b.lifecycle_hook_name.filter(|s| !s.is_empty()) else {
        return missing("LifecycleHookName");
    };
    Notice::Terminating(Termination {
        instance_id,
        group,
        hook,
        token: b.lifecycle_action_token.filter(|s| !s.is_empty()),
        metadata: b.notification_metadata,
    })
}

/// The body Auto Scaling sends for a terminating instance (what the sandbox posts for the
/// instances it terminates, since the emulator sends none).
pub fn termination_body(t: &Termination, account: &str, time: &str) -> String {
    let mut v = serde_json::json!({
        "Origin": "AutoScalingGroup",
        "Destination": "EC2",
        "LifecycleHookName": t.hook,
        "AccountId": account,
        "RequestId": format!("swarm-sandbox-{}", t.instance_id),
        "LifecycleTransition": TERMINATING,
        "AutoScalingGroupName": t.group,
        "Service": "AWS Auto Scaling",
        "Time": time,
        "EC2InstanceId": t.instance_id,
    });
    if let Some(token) = &t.token {
        v["LifecycleActionToken"] = token.clone().into();
    }
    if let Some(m) = &t.metadata {
        v["NotificationMetadata"] = m.clone().into();
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body as AWS documents it.
    const AWS_BODY: &str = r#"{
      "Origin": "AutoScalingGroup",
      "LifecycleHookName": "c1-ManagerTerminateHook-1AB",
      "Destination": "EC2",
      "AccountId": "123456789012",
      "RequestId": "4e6156f4-a9e2-4bda-a7fd-33f2ae528958",
      "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
      "AutoScalingGroupName": "c1-ManagerAsg-XYZ",
      "Service": "AWS Auto Scaling",
      "Time": "2026-12-02T01:02:03.456Z",
      "EC2InstanceId": "i-0598c7d356eba48d7",
      "LifecycleActionToken": "c613620e-07e2-4ed2-a9e2-ef8258911ade",
      "NotificationMetadata": "manager"
    }"#;

    #[test]
    fn a_terminating_notice_names_the_instance_group_hook_and_token() {
        assert_eq!(
            parse(AWS_BODY),
            Notice::Terminating(Termination {
                instance_id: "i-0598c7d356eba48d7".into(),
                group: "c1-ManagerAsg-XYZ".into(),
                hook: "c1-ManagerTerminateHook-1AB".into(),
                token: Some("c613620e-07e2-4ed2-a9e2-ef8258911ade".into()),
                metadata: Some("manager".into()),
            })
        );
    }

    #[test]
    fn the_sandbox_body_reads_back_as_the_same_notice() {
        let t = Termination {
            instance_id: "i-1".into(),
            group: "g".into(),
            hook: "h".into(),
            token: None,
            metadata: Some("worker".into()),
        };
        let body = termination_body(&t, "123456789012", "2026-12-02T00:00:00Z");
        assert_eq!(parse(&body), Notice::Terminating(t));
    }

    #[test]
    fn test_notifications_other_transitions_and_junk_are_not_acted_on() {
        let test = r#"{"AccountId":"1","RequestId":"r","AutoScalingGroupARN":"arn","AutoScalingGroupName":"g","Service":"AWS Auto Scaling","Event":"autoscaling:TEST_NOTIFICATION","Time":"t"}"#;
        assert_eq!(parse(test), Notice::Test);
        let launching = AWS_BODY.replace("TERMINATING", "LAUNCHING");
        assert!(
            matches!(parse(&launching), Notice::Ignored(ref w) if w.contains("EC2_INSTANCE_LAUNCHING")),
            "{:?}",
            parse(&launching)
        );
        assert!(matches!(parse("hello"), Notice::Ignored(ref w) if w.contains("not a lifecycle")));
        let no_id = AWS_BODY.replace("\"EC2InstanceId\": \"i-0598c7d356eba48d7\",", "");
        assert!(matches!(parse(&no_id), Notice::Ignored(ref w) if w.contains("EC2InstanceId")));
    }
}
