//! The SigV4 credential scope: which access key, Region and service a request is for. The
//! sandbox reads the scope and never checks the signature (any secret works, as with moto).

/// What a signed request says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Access key id; it selects the account.
    pub access_key: String,
    /// Region of the request.
    pub region: String,
    /// Signing name of the service (`ec2`, `iam`, `aws-marketplace`, …).
    pub service: String,
}

/// Reads `Credential=AKID/DATE/REGION/SERVICE/aws4_request` from an `Authorization` header value,
/// or from the `X-Amz-Credential` query parameter of a presigned URL.
pub fn parse(authorization: Option<&str>, query_credential: Option<&str>) -> Option<Scope> {
    let cred = match authorization {
        Some(h) => h.split("Credential=").nth(1)?.split([',', ' ']).next()?,
        None => query_credential?,
    };
    let mut parts = cred.split('/');
    let access_key = parts.next()?.to_owned();
    let _date = parts.next()?;
    let region = parts.next()?.to_owned();
    let service = parts.next()?.to_owned();
    (parts.next()? == "aws4_request" && !access_key.is_empty()).then_some(Scope {
        access_key,
        region,
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_scope_of_an_sdk_request() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        let s = parse(Some(h), None).unwrap();
        assert_eq!(
            (s.access_key.as_str(), s.region.as_str(), s.service.as_str()),
            ("AKIDEXAMPLE", "eu-west-1", "ec2")
        );
    }

    #[test]
    fn refuses_malformed_scopes() {
        assert!(
            parse(
                Some("AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1"),
                None
            )
            .is_none()
        );
        assert!(parse(Some("Basic xyz"), None).is_none());
        assert!(parse(None, Some("AKID/20261121/us-east-1/sts/aws4_request")).is_some());
    }
}
