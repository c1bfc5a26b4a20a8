//! Okta and GitHub fields that are plain JSON paths (documented approximations of the
//! plugins: stateful fields such as `okta.mfa.*` and GitHub's diff scanners are missing).

use super::json::V;
use super::{at, each, one, text, Texts};

fn target(v: V<'_>, ty: &str, key: &str) -> Texts {
    let mut t = at(v, &["target"])?.as_array()?;
    t.find(|x| at(*x, &["type"]).and_then(V::as_str).as_deref() == Some(ty))
        .and_then(|x| at(x, &[key]))
        .and_then(text)
        .map(|s| vec![s])
}

/// `okta.*` fields of an Okta System Log event.
pub fn okta(v: V<'_>, name: &str) -> Texts {
    let c = |p: &[&str]| {
        let mut path = vec!["client"];
        path.extend_from_slice(p);
        one(v, &path)
    };
    match name {
        "okta.evt.type" => one(v, &["eventType"]),
        "okta.evt.legacytype" => one(v, &["legacyEventType"]),
        "okta.severity" => one(v, &["severity"]),
        "okta.message" => one(v, &["displayMessage"]),
        "okta.published" => one(v, &["published"]),
        "okta.actor.id" => one(v, &["actor", "id"]),
        "okta.actor.Type" => one(v, &["actor", "type"]),
        "okta.actor.alternateid" => one(v, &["actor", "alternateId"]),
        "okta.actor.name" => one(v, &["actor", "displayName"]),
        "okta.client.zone" => c(&["zone"]),
        "okta.client.ip" => c(&["ipAddress"]),
        "okta.client.device" => c(&["device"]),
        "okta.client.id" => c(&["id"]),
        "okta.client.geo.city" => c(&["geographicalContext", "city"]),
        "okta.client.geo.state" => c(&["geographicalContext", "state"]),
        "okta.client.geo.country" => c(&["geographicalContext", "country"]),
        "okta.client.geo.postalcode" => c(&["geographicalContext", "postalCode"]),
        "okta.client.geo.lat" => c(&["geographicalContext", "geolocation", "lat"]),
        "okta.client.geo.lon" => c(&["geographicalContext", "geolocation", "lon"]),
        "okta.useragent.os" => c(&["userAgent", "os"]),
        "okta.useragent.browser" => c(&["userAgent", "browser"]),
        "okta.useragent.raw" => c(&["userAgent", "rawUserAgent"]),
        "okta.result" => one(v, &["outcome", "result"]),
        "okta.reason" => one(v, &["outcome", "reason"]),
        "okta.transaction.id" => one(v, &["transaction", "id"]),
        "okta.transaction.type" => one(v, &["transaction", "type"]),
        "okta.requesturi" => one(v, &["debugContext", "debugData", "requestUri"]),
        "okta.logonlysecuritydata" => one(v, &["debugContext", "debugData", "logOnlySecurityData"]),
        "okta.behaviors" => one(v, &["debugContext", "debugData", "behaviors"]),
        "okta.authentication.step" => one(v, &["authenticationContext", "authenticationStep"]),
        "okta.authentication.sessionid" => one(v, &["authenticationContext", "externalSessionId"]),
        "okta.authentication.provider" => {
            one(v, &["authenticationContext", "authenticationProvider"])
        }
        "okta.authentication.credentialprovider" => {
            one(v, &["authenticationContext", "credentialProvider"])
        }
        "okta.security.asnumber" => one(v, &["securityContext", "asNumber"]),
        "okta.security.asorg" => one(v, &["securityContext", "asOrg"]),
        "okta.security.isp" => one(v, &["securityContext", "isp"]),
        "okta.security.domain" => one(v, &["securityContext", "domain"]),
        "okta.security.isproxy" => one(v, &["securityContext", "isProxy"]),
        "okta.target.user.id" => target(v, "User", "id"),
        "okta.target.user.alternateid" => target(v, "User", "alternateId"),
        "okta.target.user.name" => target(v, "User", "displayName"),
        "okta.target.group.id" => target(v, "UserGroup", "id"),
        "okta.target.group.alternateid" => target(v, "UserGroup", "alternateId"),
        "okta.target.group.name" => target(v, "UserGroup", "displayName"),
        "okta.target.app.alternateid" => target(v, "AppInstance", "alternateId"),
        "okta.app" => target(v, "AppInstance", "displayName"),
        "okta.targets.displayName" => each(v, &["target"], &["displayName"]),
        _ => None,
    }
}

/// `github.*` fields of a GitHub webhook payload (the message type is read from a `type`
/// or `webhook_type` member when the payload carries one).
pub fn github(v: V<'_>, name: &str) -> Texts {
    match name {
        "github.type" => one(v, &["type"]).or_else(|| one(v, &["webhook_type"])),
        "github.action" => one(v, &["action"]),
        "github.user" => one(v, &["sender", "login"]),
        "github.repo" | "github.repo.url" => one(v, &["repository", "html_url"]),
        "github.repo.name" => one(v, &["repository", "name"]),
        "github.repo.description" => one(v, &["repository", "description"]),
        "github.org" => one(v, &["organization", "login"]),
        "github.owner" => one(v, &["repository", "owner", "login"]),
        "github.repo.public" => {
            let p = at(v, &["repository", "private"])?.as_bool()?;
            Some(vec![(!p).to_string()])
        }
        "github.collaborator.name" => one(v, &["member", "login"]),
        "github.collaborator.role" => one(v, &["changes", "permission", "to"]),
        "github.webhook.id" => one(v, &["hook", "id"]),
        "github.webhook.type" => one(v, &["hook", "type"]),
        "github.workflow.filename" => one(v, &["workflow", "path"]),
        "github.commit.added" | "github.commit.modified" | "github.commit.removed" => {
            let key = name.rsplit('.').next()?;
            let commits = at(v, &["commits"])?.as_array()?;
            let files: Vec<String> = commits
                .filter_map(|c| at(c, &[key])?.as_array())
                .flatten()
                .filter_map(text)
                .collect();
            Some(vec![files.join(",")])
        }
        _ => None,
    }
}
