//! The AWS side, with the instance role (aws-config's standard chain: the instance's IMDS on AWS,
//! the environment in the sandbox): the lifecycle queue (SQS), the lifecycle actions (Auto
//! Scaling), instance states (EC2) and the join parameters (SSM). Every call has a timeout and its
//! own error naming what it was about.

use std::time::Duration;

use aws_sdk_ec2::types::InstanceStateName;
use aws_sdk_ssm::types::ParameterType;
use aws_smithy_runtime_api::client::result::SdkError;

/// How long one AWS call may take (the long poll's 20 s included).
const CALL_TIMEOUT: Duration = Duration::from_secs(40);

/// An AWS call that failed.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// A call answered an error (or none in time).
    #[error("{call} ({about}): {detail}")]
    Call {
        /// The API call.
        call: &'static str,
        /// The queue, instance, parameter... it was about.
        about: String,
        /// The error.
        detail: String,
    },
    /// The endpoint has no such call: the emulator (moto answers an HTML 500 page for lifecycle
    /// actions, which it does not implement); AWS always answers with an error code.
    #[error("{call} ({about}): the endpoint does not implement it (HTTP 500 without an AWS error; moto has no {call})")]
    NotImplemented {
        /// The API call.
        call: &'static str,
        /// What it was about.
        about: String,
    },
}

type HttpResponse = aws_smithy_runtime_api::http::Response;

fn fail<E>(call: &'static str, about: &str, e: SdkError<E, HttpResponse>) -> CloudError
where
    E: std::error::Error + aws_sdk_sqs::error::ProvideErrorMetadata + Send + Sync + 'static,
{
    use aws_sdk_sqs::error::ProvideErrorMetadata;
    let status = e.raw_response().map(|r| r.status().as_u16());
    if status == Some(500) && e.code().is_none() {
        return CloudError::NotImplemented {
            call,
            about: about.to_string(),
        };
    }
    let detail = match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => chain(&e),
    };
    CloudError::Call {
        call,
        about: about.to_string(),
        detail,
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

async fn timed<T, E>(
    call: &'static str,
    about: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
    map: impl FnOnce(E) -> CloudError,
) -> Result<T, CloudError> {
    match tokio::time::timeout(CALL_TIMEOUT, f).await {
        Ok(r) => r.map_err(map),
        Err(_) => Err(CloudError::Call {
            call,
            about: about.to_string(),
            detail: format!("no answer within {} s", CALL_TIMEOUT.as_secs()),
        }),
    }
}

/// One message of the queue.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its body.
    pub body: String,
    /// What deletes it (or changes its visibility).
    pub receipt: String,
}

/// A lifecycle action to answer.
#[derive(Debug, Clone, Copy)]
pub struct Action<'a> {
    /// The group.
    pub group: &'a str,
    /// The hook.
    pub hook: &'a str,
    /// The instance.
    pub instance_id: &'a str,
    /// The action's token, if the message had one.
    pub token: Option<&'a str>,
}

/// The clients.
#[derive(Clone)]
pub struct Cloud {
    sqs: aws_sdk_sqs::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    ec2: aws_sdk_ec2::Client,
    ssm: aws_sdk_ssm::Client,
}

impl Cloud {
    /// Clients from the standard chain (region and endpoint from the environment, IMDS).
    pub async fn connect(region: Option<String>) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(r) = region {
            loader = loader.region(aws_config::Region::new(r));
        }
        let conf = loader.load().await;
        Cloud {
            sqs: aws_sdk_sqs::Client::new(&conf),
            autoscaling: aws_sdk_autoscaling::Client::new(&conf),
            ec2: aws_sdk_ec2::Client::new(&conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
        }
    }

    /// Long-polls `queue` (up to `wait`), at most 10 messages, each hidden from the other
    /// managers for `visibility`.
    pub async fn receive(
        &self,
        queue: &str,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, CloudError> {
        let call = "sqs:ReceiveMessage";
        let out = timed(
            call,
            queue,
            self.sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .wait_time_seconds(wait.as_secs().min(20) as i32)
                .visibility_timeout(visibility.as_secs() as i32)
                .send(),
            |e| fail(call, queue, e),
        )
        .await?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                Some(Message {
                    body: m.body()?.to_string(),
                    receipt: m.receipt_handle()?.to_string(),
                })
            })
            .collect())
    }

    /// Deletes a handled message.
    pub async fn delete(&self, queue: &str, receipt: &str) -> Result<(), CloudError> {
        let call = "sqs:DeleteMessage";
        timed(
            call,
            queue,
            self.sqs
                .delete_message()
                .queue_url(queue)
                .receipt_handle(receipt)
                .send(),
            |e| fail(call, queue, e),
        )
        .await
        .map(drop)
    }

    /// Makes a message visible again after `after` (0: at once, for the new leader).
    pub async fn release(
        &self,
        queue: &str,
        receipt: &str,
        after: Duration,
    ) -> Result<(), CloudError> {
        let call = "sqs:ChangeMessageVisibility";
        timed(
            call,
            queue,
            self.sqs
                .change_message_visibility()
                .queue_url(queue)
                .receipt_handle(receipt)
                .visibility_timeout(after.as_secs() as i32)
                .send(),
            |e| fail(call, queue, e),
        )
        .await
        .map(drop)
    }

    /// `CompleteLifecycleAction` with `CONTINUE`: the instance may go.
    pub async fn complete(&self, a: Action<'_>) -> Result<(), CloudError> {
        let call = "autoscaling:CompleteLifecycleAction";
        timed(
            call,
            a.instance_id,
            self.autoscaling
                .complete_lifecycle_action()
                .auto_scaling_group_name(a.group)
                .lifecycle_hook_name(a.hook)
                .instance_id(a.instance_id)
                .set_lifecycle_action_token(a.token.map(str::to_string))
                .lifecycle_action_result("CONTINUE")
                .send(),
            |e| fail(call, a.instance_id, e),
        )
        .await
        .map(drop)
    }

    /// `RecordLifecycleActionHeartbeat`: the instance keeps waiting.
    pub async fn heartbeat(&self, a: Action<'_>) -> Result<(), CloudError> {
        let call = "autoscaling:RecordLifecycleActionHeartbeat";
        timed(
            call,
            a.instance_id,
            self.autoscaling
                .record_lifecycle_action_heartbeat()
                .auto_scaling_group_name(a.group)
                .lifecycle_hook_name(a.hook)
                .instance_id(a.instance_id)
                .set_lifecycle_action_token(a.token.map(str::to_string))
                .send(),
            |e| fail(call, a.instance_id, e),
        )
        .await
        .map(drop)
    }

    /// Whether EC2 reports `instance_id` gone: terminated, shutting down, or not known.
    pub async fn instance_gone(&self, instance_id: &str) -> Result<bool, CloudError> {
        let call = "ec2:DescribeInstances";
        let out = tokio::time::timeout(
            CALL_TIMEOUT,
            self.ec2
                .describe_instances()
                .instance_ids(instance_id)
                .send(),
        )
        .await;
        let out = match out {
            Err(_) => {
                return Err(CloudError::Call {
                    call,
                    about: instance_id.to_string(),
                    detail: format!("no answer within {} s", CALL_TIMEOUT.as_secs()),
                })
            }
            Ok(Err(e)) => {
                use aws_sdk_ec2::error::ProvideErrorMetadata;
                if e.code() == Some("InvalidInstanceID.NotFound") {
                    return Ok(true);
                }
                return Err(fail(call, instance_id, e));
            }
            Ok(Ok(o)) => o,
        };
        let states: Vec<InstanceStateName> = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| i.instance_id() == Some(instance_id))
            .filter_map(|i| i.state().and_then(|s| s.name()).cloned())
            .collect();
        Ok(states.is_empty()
            || states.iter().all(|s| {
                matches!(
                    s,
                    InstanceStateName::Terminated | InstanceStateName::ShuttingDown
                )
            }))
    }

    /// A parameter's value (decrypted), `None` when absent.
    pub async fn parameter(&self, name: &str) -> Result<Option<String>, CloudError> {
        let call = "ssm:GetParameter";
        let out = tokio::time::timeout(
            CALL_TIMEOUT,
            self.ssm
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send(),
        )
        .await;
        match out {
            Err(_) => Err(CloudError::Call {
                call,
                about: name.to_string(),
                detail: format!("no answer within {} s", CALL_TIMEOUT.as_secs()),
            }),
            Ok(Err(e)) => {
                use aws_sdk_ssm::error::ProvideErrorMetadata;
                if e.code() == Some("ParameterNotFound") {
                    return Ok(None);
                }
                Err(fail(call, name, e))
            }
            Ok(Ok(o)) => Ok(o.parameter().and_then(|p| p.value()).map(str::to_string)),
        }
    }

    /// Writes a parameter (`secure`: a `SecureString`).
    pub async fn put_parameter(
        &self,
        name: &str,
        value: &str,
        secure: bool,
    ) -> Result<(), CloudError> {
        let call = "ssm:PutParameter";
        let kind = if secure {
            ParameterType::SecureString
        } else {
            ParameterType::String
        };
        timed(
            call,
            name,
            self.ssm
                .put_parameter()
                .name(name)
                .value(value)
                .r#type(kind)
                .overwrite(true)
                .send(),
            |e| fail(call, name, e),
        )
        .await
        .map(drop)
    }
}
