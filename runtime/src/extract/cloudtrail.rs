//! `ct.*`, `s3.*`, `ec2.*`, `ecr.*`, `iam.*` fields of the cloudtrail plugin, from one
//! CloudTrail record.

use super::json::V;
use super::{at, each, one, text, Texts};

fn s(v: V<'_>, path: &[&str]) -> Option<String> {
    at(v, path).and_then(text)
}

/// `ct.user`: the acting user name; for assumed roles the issuing role name.
pub fn user(v: V<'_>) -> Option<String> {
    let ty = s(v, &["userIdentity", "type"])?;
    Some(match ty.as_str() {
        "Root" | "IAMUser" => s(v, &["userIdentity", "userName"]).unwrap_or_else(|| {
            if ty == "Root" {
                "root".into()
            } else {
                s(v, &["userIdentity", "principalId"]).unwrap_or_default()
            }
        }),
        "AWSService" => s(v, &["userIdentity", "invokedBy"]).unwrap_or_else(|| "AWSService".into()),
        "AssumedRole" => s(
            v,
            &[
                "userIdentity",
                "sessionContext",
                "sessionIssuer",
                "userName",
            ],
        )
        .unwrap_or_else(|| "AssumedRole".into()),
        "AWSAccount" => "AWSAccount".into(),
        "FederatedUser" => s(
            v,
            &[
                "userIdentity",
                "sessionContext",
                "sessionIssuer",
                "userName",
            ],
        )
        .unwrap_or_else(|| "FederatedUser".into()),
        _ => s(v, &["userIdentity", "userName"]).unwrap_or_else(|| "<unknown user type>".into()),
    })
}

fn original_user(v: V<'_>) -> Option<String> {
    let ty = s(v, &["userIdentity", "type"])?;
    if ty == "AssumedRole" {
        let arn = s(v, &["userIdentity", "arn"])?;
        return arn.rsplit('/').next().map(str::to_owned);
    }
    user(v)
}

fn num(v: V<'_>, path: &[&str]) -> u64 {
    at(v, path)
        .and_then(|x| {
            x.as_u64()
                .or_else(|| x.as_f64().map(|f| f as u64))
                .or_else(|| x.as_str()?.parse().ok())
        })
        .unwrap_or(0)
}

fn is_s3(v: V<'_>) -> bool {
    s(v, &["eventSource"]).as_deref() == Some("s3.amazonaws.com")
}

/// Extracts field `name` as text values.
pub fn extract(v: V<'_>, name: &str) -> Texts {
    let req = |k: &str| one(v, &["requestParameters", k]);
    let t = |x: String| Some(vec![x]);
    match name {
        "ct.id" => one(v, &["eventID"]),
        "ct.error" => one(v, &["errorCode"]),
        "ct.errormessage" => one(v, &["errorMessage"]),
        "ct.time" => one(v, &["eventTime"]),
        "ct.src" => one(v, &["eventSource"]),
        "ct.shortsrc" => {
            let src = s(v, &["eventSource"])?;
            t(src
                .strip_suffix(".amazonaws.com")
                .unwrap_or(&src)
                .to_owned())
        }
        "ct.name" => one(v, &["eventName"]),
        "ct.user" => t(user(v)?),
        "ct.originaluser" => t(original_user(v)?),
        "ct.user.accountid" => one(v, &["userIdentity", "accountId"]),
        "ct.user.identitytype" => one(v, &["userIdentity", "type"]),
        "ct.user.principalid" => one(v, &["userIdentity", "principalId"]),
        "ct.user.arn" => one(v, &["userIdentity", "arn"]),
        "ct.region" => one(v, &["awsRegion"]),
        "ct.response.subnetid" => one(v, &["responseElements", "subnetId"])
            .or_else(|| one(v, &["responseElements", "subnet", "subnetId"])),
        "ct.response.reservationid" => one(v, &["responseElements", "reservationId"]),
        "ct.response" => one(v, &["responseElements"]),
        "ct.request.availabilityzone" => req("availabilityZone"),
        "ct.request.cluster" => req("cluster"),
        "ct.request.functionname" => req("functionName"),
        "ct.request.groupname" => req("groupName"),
        "ct.request.host" => req("host").or_else(|| req("Host")),
        "ct.request.name" => req("name"),
        "ct.request.policy" => req("policy"),
        "ct.request.reason" => req("reason"),
        "ct.request.target" => req("target"),
        "ct.request.documentname" => req("documentName").or_else(|| req("name")),
        "ct.request.serialnumber" => req("serialNumber"),
        "ct.request.servicename" => req("serviceName"),
        "ct.request.subnetid" => req("subnetId"),
        "ct.request.taskdefinition" => req("taskDefinition"),
        "ct.request.username" => req("userName"),
        "ct.request" => one(v, &["requestParameters"]),
        "ct.srcip" => one(v, &["sourceIPAddress"]),
        "ct.useragent" => one(v, &["userAgent"]),
        "ct.info" => {
            let u = user(v).unwrap_or_default();
            let n = s(v, &["eventName"]).unwrap_or_default();
            t(format!(
                "{} {u} {n}",
                s(v, &["awsRegion"]).unwrap_or_default()
            ))
        }
        "ct.managementevent" => one(v, &["managementEvent"]),
        "ct.readonly" => {
            if let Some(r) = s(v, &["readOnly"]) {
                return t(r);
            }
            let n = s(v, &["eventName"])?;
            let ro = ["Get", "Describe", "List", "Head", "Lookup"]
                .iter()
                .any(|p| n.starts_with(p));
            t(ro.to_string())
        }
        "ct.requestid" => one(v, &["requestID"]),
        "ct.eventtype" => one(v, &["eventType"]),
        "ct.apiversion" => one(v, &["apiVersion"]),
        "ct.resources" => one(v, &["resources"]),
        "ct.recipientaccountid" => one(v, &["recipientAccountId"]),
        "ct.serviceeventdetails" => one(v, &["serviceEventDetails"]),
        "ct.sharedeventid" => one(v, &["sharedEventID"]),
        "ct.vpcendpointid" => one(v, &["vpcEndpointId"]),
        "ct.eventcategory" => one(v, &["eventCategory"]),
        "ct.addendum.reason" => one(v, &["addendum", "reason"]),
        "ct.addendum.updatedfields" => one(v, &["addendum", "updatedFields"]),
        "ct.addendum.originalrequestid" => one(v, &["addendum", "originalRequestID"]),
        "ct.addendum.originaleventid" => one(v, &["addendum", "originalEventID"]),
        "ct.sessioncredentialfromconsole" => one(v, &["sessionCredentialFromConsole"]),
        "ct.edgedevicedetails" => one(v, &["edgeDeviceDetails"]),
        "ct.tlsdetails.tlsversion" => one(v, &["tlsDetails", "tlsVersion"]),
        "ct.tlsdetails.ciphersuite" => one(v, &["tlsDetails", "cipherSuite"]),
        "ct.tlsdetails.clientprovidedhostheader" => {
            one(v, &["tlsDetails", "clientProvidedHostHeader"])
        }
        "ct.additionaleventdata" => one(v, &["additionalEventData"]),
        "s3.bucket" => req("bucketName"),
        "s3.key" => req("key"),
        "s3.uri" => {
            let b = s(v, &["requestParameters", "bucketName"])?;
            let k = s(v, &["requestParameters", "key"])?;
            t(format!("s3://{b}/{k}"))
        }
        "s3.bytes" | "s3.bytes.in" | "s3.bytes.out" => {
            if !is_s3(v) || at(v, &["additionalEventData"]).is_none() {
                return None;
            }
            let i = num(v, &["additionalEventData", "bytesTransferredIn"]);
            let o = num(v, &["additionalEventData", "bytesTransferredOut"]);
            t(match name {
                "s3.bytes" => i + o,
                "s3.bytes.in" => i,
                _ => o,
            }
            .to_string())
        }
        "s3.cnt.get" | "s3.cnt.put" | "s3.cnt.other" => {
            if !is_s3(v) {
                return None;
            }
            let n = s(v, &["eventName"])?;
            let c = match name {
                "s3.cnt.get" => n == "GetObject",
                "s3.cnt.put" => n == "PutObject",
                _ => n != "GetObject" && n != "PutObject",
            };
            t(u8::from(c).to_string())
        }
        "ec2.name" => {
            let items =
                at(v, &["requestParameters", "tagSpecificationSet", "items"])?.as_array()?;
            items
                .filter_map(|i| at(i, &["tags"])?.as_array())
                .flatten()
                .find(|tag| s(*tag, &["key"]).as_deref() == Some("Name"))
                .and_then(|tag| s(tag, &["value"]))
                .map(|x| vec![x])
        }
        "ec2.imageid" => one(
            v,
            &["responseElements", "instancesSet", "items", "0", "imageId"],
        ),
        "ec2.imageids" => each(
            v,
            &["responseElements", "instancesSet", "items"],
            &["imageId"],
        ),
        "ecr.repository" => req("repositoryName"),
        "ecr.imagetag" => req("imageTag"),
        "iam.role" => req("roleName"),
        "iam.policy" => req("policyName"),
        _ => None,
    }
}
