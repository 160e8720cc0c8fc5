//! Every AWS call, measured where the SDK runs it: an interceptor on each client counts calls by
//! service, operation and outcome, times them (retries included) and counts the attempts AWS
//! throttled, through `amipub-telemetry`. The outcome is read from the answer itself: the
//! `x-amzn-ErrorType` header of the JSON protocols or the `<Code>` of the XML ones
//! (<https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>).

use std::time::Instant;

use aws_config::Region;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use amipub_telemetry::events::{AwsCall, AwsThrottled};

use crate::failure::{Kind, kind_of_code};

/// The interceptor every client of amipub carries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Observe;

#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Observe {
    fn name(&self) -> &'static str {
        "amipub-observe"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let throttled = context
            .response()
            .and_then(error_code)
            .is_some_and(|c| kind_of_code(&c) == Kind::Throttled);
        if throttled {
            let (service, operation) = names(cfg);
            AwsThrottled {
                service: &service,
                operation: &operation,
                region: &region(cfg),
            }
            .emit();
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let outcome = match context.output_or_error() {
            Some(Ok(_)) => "ok",
            Some(Err(e)) => match context.response().and_then(error_code) {
                Some(code) => kind_of_code(&code).label(),
                None if e.is_timeout_error() => Kind::Timeout.label(),
                None if e.is_connector_error() => "unreachable",
                None => Kind::ServerFault.label(),
            },
            None => "unreachable",
        };
        let seconds = cfg
            .load::<Started>()
            .map_or(0.0, |s| s.0.elapsed().as_secs_f64());
        let (service, operation) = names(cfg);
        AwsCall {
            service: &service,
            operation: &operation,
            region: &region(cfg),
            outcome,
            seconds,
        }
        .emit();
        Ok(())
    }
}

/// The service (in lower case, as in `ec2`) and the operation.
fn names(cfg: &ConfigBag) -> (String, String) {
    cfg.load::<Metadata>().map_or_else(
        || ("unknown".to_owned(), "unknown".to_owned()),
        |m| (m.service().to_ascii_lowercase(), m.name().to_owned()),
    )
}

fn region(cfg: &ConfigBag) -> String {
    cfg.load::<Region>()
        .map_or_else(String::new, |r| r.as_ref().to_owned())
}

/// The error code of an answer, if it is an error.
fn error_code(resp: &Response) -> Option<String> {
    if resp.status().is_success() {
        return None;
    }
    if let Some(t) = resp.headers().get("x-amzn-errortype") {
        return Some(code_of_type(t));
    }
    let body = std::str::from_utf8(resp.body().bytes()?).ok()?;
    xml_code(body).or_else(|| json_type(body))
}

/// `ThrottlingException:http://…` or `aws.protocols#Name` → the bare name.
fn code_of_type(t: &str) -> String {
    let t = t.split(':').next().unwrap_or(t);
    t.rsplit('#').next().unwrap_or(t).to_owned()
}

fn xml_code(body: &str) -> Option<String> {
    let start = body.find("<Code>")? + "<Code>".len();
    let end = body[start..].find("</Code>")? + start;
    Some(body[start..end].trim().to_owned())
}

fn json_type(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let t = v.get("__type").or_else(|| v.get("code"))?.as_str()?;
    Some(code_of_type(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_either_protocol() {
        assert_eq!(
            code_of_type("ThrottlingException:http://internal.amazon.com/coral/"),
            "ThrottlingException"
        );
        assert_eq!(
            code_of_type("com.amazonaws.ssm#ParameterNotFound"),
            "ParameterNotFound"
        );
        let ec2 = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>";
        assert_eq!(xml_code(ec2).as_deref(), Some("RequestLimitExceeded"));
        let json = r#"{"__type":"com.amazon.coral#AccessDeniedException","message":"no"}"#;
        assert_eq!(json_type(json).as_deref(), Some("AccessDeniedException"));
        assert_eq!(xml_code("<nothing/>"), None);
    }
}
