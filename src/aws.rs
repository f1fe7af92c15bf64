//! AWS SDK configuration and call plumbing shared by the stack, inventory and website layers.
//!
//! The configuration comes from the standard chain (environment, profile files, SSO, IMDS) and
//! honours `--profile`, `--region` and `AWS_ENDPOINT_URL` (or a profile's `endpoint_url`). An
//! endpoint chosen by the program (the sandbox's emulator) goes into [`AwsOptions::endpoint_url`],
//! which sets it on the SDK config loader; the process environment is never changed.
//!
//! Every AWS call goes through [`call`], which bounds it with [`CALL_TIMEOUT`] and turns the SDK
//! error into an [`AwsError`] (code, message, kind) that the layer's error variants carry.

use std::future::Future;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::stack::StackError;

/// Upper bound on one AWS API call (the SDK's own retries included).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long credential resolution may take before we report "no credentials".
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(20);

/// Where to talk to AWS: the global `--profile` / `--region` flags, and an endpoint when the
/// program picks one (the sandbox's emulator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// Named profile from `~/.aws/config` (`--profile`); `None` uses the default chain.
    pub profile: Option<String>,
    /// Region (`--region`); `None` falls back to `AWS_REGION` / the profile.
    pub region: Option<String>,
    /// Endpoint for every service (`None`: the chain's, e.g. `AWS_ENDPOINT_URL`, else AWS's).
    pub endpoint_url: Option<String>,
    /// Use throw-away static credentials (an emulator accepts any) instead of the chain's.
    pub emulator_credentials: bool,
}

/// Why an AWS call failed, reduced to what a user and the retry logic need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct AwsError {
    /// Kind of failure.
    pub kind: AwsErrorKind,
    /// AWS error code (`ValidationError`, `Throttling`, ...), when the service sent one.
    pub code: Option<String>,
    /// Human-readable message.
    pub message: String,
}

/// Broad classes of AWS call failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The service answered with an error.
    Service,
    /// The service asked us to slow down; retry later.
    Throttling,
    /// The request never got an answer (DNS, connection refused, TLS, credentials).
    Dispatch,
    /// Our own [`CALL_TIMEOUT`] expired.
    Timeout,
    /// Anything else the SDK reports (malformed response, construction failure).
    Other,
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "PriorRequestNotComplete",
];

impl AwsError {
    fn describe(&self) -> String {
        match (&self.code, self.kind) {
            (_, AwsErrorKind::Timeout) => self.message.clone(),
            (Some(code), _) => format!("{code}: {}", self.message),
            (None, _) => self.message.clone(),
        }
    }

    /// Builds an error from an SDK error, keeping the code and the innermost message.
    pub fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = err.code().map(str::to_owned);
        let kind = match &err {
            SdkError::DispatchFailure(_) => AwsErrorKind::Dispatch,
            SdkError::TimeoutError(_) => AwsErrorKind::Timeout,
            SdkError::ServiceError(_) => {
                if code
                    .as_deref()
                    .is_some_and(|c| THROTTLING_CODES.contains(&c))
                {
                    AwsErrorKind::Throttling
                } else {
                    AwsErrorKind::Service
                }
            }
            _ => AwsErrorKind::Other,
        };
        let message = match err.message() {
            Some(m) => m.to_owned(),
            None => error_chain(&err),
        };
        AwsError {
            kind,
            code,
            message,
        }
    }

    /// The error for a call that exceeded [`CALL_TIMEOUT`].
    pub fn timeout() -> Self {
        AwsError {
            kind: AwsErrorKind::Timeout,
            code: None,
            message: format!("no answer within {} s", CALL_TIMEOUT.as_secs()),
        }
    }

    /// True when the call is worth retrying after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            AwsErrorKind::Throttling | AwsErrorKind::Timeout | AwsErrorKind::Dispatch
        )
    }

    /// True when CloudFormation says the stack does not exist.
    pub fn is_stack_missing(&self) -> bool {
        self.code.as_deref() == Some("ValidationError") && self.message.contains("does not exist")
    }
}

/// Joins an error and its sources into one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Runs one AWS call bounded by [`CALL_TIMEOUT`].
pub async fn call<T, E, F>(fut: F) -> Result<T, AwsError>
where
    F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Err(_) => Err(AwsError::timeout()),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(AwsError::from_sdk(e)),
    }
}

/// AWS regions (commercial, GovCloud, China) known to this build.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// True when `region` is shaped like an AWS region name (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
pub fn region_is_well_formed(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return false;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    first.len() == 2
        && first.chars().all(|c| c.is_ascii_lowercase())
        && !last.is_empty()
        && last.chars().all(|c| c.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
}

/// Loads the SDK configuration from the standard chain and checks region and credentials, so that
/// a new user gets one clear line instead of an SDK stack trace.
pub async fn load_config(opts: &AwsOptions) -> Result<SdkConfig, StackError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if opts.emulator_credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "swarm-aws-emulator",
        ));
    }
    let config = loader.load().await;
    let region = match config.region() {
        Some(r) => r.to_string(),
        None => return Err(StackError::NoRegion),
    };
    // An explicit endpoint (emulator, LocalStack Pro, a partition we do not list) may serve any
    // region name; real AWS only serves the regions it has.
    if !region_is_well_formed(&region)
        || (config.endpoint_url().is_none() && !KNOWN_REGIONS.contains(&region.as_str()))
    {
        return Err(StackError::UnknownRegion { region });
    }
    let provider = config
        .credentials_provider()
        .ok_or_else(|| StackError::NoCredentials {
            detail: "no credential provider configured".into(),
        })?;
    match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
        Err(_) => Err(StackError::NoCredentials {
            detail: format!(
                "credential resolution took longer than {} s",
                CREDENTIALS_TIMEOUT.as_secs()
            ),
        }),
        Ok(Err(e)) => Err(StackError::NoCredentials {
            detail: error_chain(&e),
        }),
        Ok(Ok(_)) => Ok(config),
    }
}

/// The SDK clients the stack lifecycle uses, built from one [`SdkConfig`].
#[derive(Debug, Clone)]
pub struct Clients {
    /// Region the clients talk to.
    pub region: String,
    /// CloudFormation.
    pub cfn: aws_sdk_cloudformation::Client,
    /// EC2 Auto Scaling.
    pub autoscaling: aws_sdk_autoscaling::Client,
    /// EC2.
    pub ec2: aws_sdk_ec2::Client,
    /// Classic Elastic Load Balancing.
    pub elb: aws_sdk_elasticloadbalancing::Client,
    /// Route 53.
    pub route53: aws_sdk_route53::Client,
    /// IAM (the preflight's policy simulation).
    pub iam: aws_sdk_iam::Client,
    /// STS (who the caller is).
    pub sts: aws_sdk_sts::Client,
    /// SSM Parameter Store (the self-join material).
    pub ssm: aws_sdk_ssm::Client,
    /// S3 (the swarmd builds of the stack's bucket).
    pub s3: aws_sdk_s3::Client,
    /// SQS (the lifecycle-hook queue).
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Builds every client from one configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            region: config.region().map(|r| r.to_string()).unwrap_or_default(),
            cfn: aws_sdk_cloudformation::Client::new(config),
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            ec2: aws_sdk_ec2::Client::new(config),
            elb: aws_sdk_elasticloadbalancing::Client::new(config),
            route53: aws_sdk_route53::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            // Path-style addressing: emulators answer on one host name, not per-bucket ones.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(config.endpoint_url().is_some())
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::new(config),
        }
    }

    /// Loads the configuration for `opts` and builds the clients.
    pub async fn connect(opts: &AwsOptions) -> Result<Self, StackError> {
        Ok(Clients::new(&load_config(opts).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_shapes() {
        for ok in [
            "us-east-1",
            "eu-west-3",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-2",
        ] {
            assert!(region_is_well_formed(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "useast1",
            "US-EAST-1",
            "us-east-1a",
            "us--1",
            "mars",
        ] {
            assert!(!region_is_well_formed(bad), "{bad}");
        }
    }
}
