//! Which clusters the gateway reaches and with whose credentials: the configured address,
//! SaaS routing, the API version, `CAMUNDA_UPSTREAM_AUTH`.

use crate::auth::mode::AuthMode;
use crate::camunda::credentials::{ClientCredentials, UpstreamAuth};
use crate::http::normalize_address;
use crate::routes::{is_region, ApiVersion, Routes, Saas, DEFAULT_SAAS_TEMPLATE};
use crate::settings::{ConfigError, Vars};
use crate::text::Secret;

/// Where `/mcp/cluster` goes without SaaS routing: C8 Run's REST API.
pub const DEFAULT_REST_ADDRESS: &str = "http://localhost:8080";

pub(super) fn routes<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    auth: &AuthMode,
    processes: bool,
) -> Result<Routes, ConfigError> {
    let saas = saas(vars)?;
    let rest_address = match vars.get("CAMUNDA_REST_ADDRESS") {
        Some(v) => Some(normalize_address(&v).ok_or_else(|| {
            let why = "expected an http:// or https:// URL without credentials, query or fragment";
            ConfigError::new("CAMUNDA_REST_ADDRESS", v, why)
        })?),
        // Not pointing at a cluster nobody chose.
        None if saas.is_some() => None,
        None => Some(DEFAULT_REST_ADDRESS.to_owned()),
    };
    let api_version = match vars.choice("CAMUNDA_API_VERSION")? {
        "8.10" => ApiVersion::V8_10,
        _ => ApiVersion::V8_9,
    };
    let cluster_id = match auth {
        AuthMode::Oidc(oidc) => oidc.cluster_id.clone(),
        _ => None,
    };
    Ok(Routes {
        rest_address,
        saas,
        api_version,
        cluster_id,
        processes,
    })
}

fn saas<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Option<Saas>, ConfigError> {
    let regions = vars.list("CAMUNDA_SAAS_REGIONS");
    if regions.is_empty() {
        return Ok(None);
    }
    if let Some(bad) = regions.iter().find(|r| !is_region(r)) {
        let why = "regions are lowercase letters, digits and dashes, e.g. bru-2";
        return Err(ConfigError::new("CAMUNDA_SAAS_REGIONS", bad.clone(), why));
    }
    let template = vars
        .get("CAMUNDA_SAAS_URL_TEMPLATE")
        .unwrap_or_else(|| DEFAULT_SAAS_TEMPLATE.into());
    let filled = template
        .replace("{region}", "r")
        .replace("{clusterId}", "c");
    if !template.contains("{region}")
        || !template.contains("{clusterId}")
        || normalize_address(&filled).is_none()
    {
        let why = "expected an http(s) URL with {region} and {clusterId}";
        return Err(ConfigError::new("CAMUNDA_SAAS_URL_TEMPLATE", template, why));
    }
    Ok(Some(Saas {
        regions,
        template: template.trim_end_matches('/').to_owned(),
    }))
}

pub(super) fn upstream_auth<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    auth: &AuthMode,
    warnings: &mut Vec<String>,
) -> Result<UpstreamAuth, ConfigError> {
    let invalid = |value: &str, reason| ConfigError::new("CAMUNDA_UPSTREAM_AUTH", value, reason);
    let chosen = vars.get("CAMUNDA_UPSTREAM_AUTH");
    match (auth, chosen.as_deref()) {
        (AuthMode::OAuth(_), None) => Ok(UpstreamAuth::Person),
        (AuthMode::OAuth(_), Some(v)) => Err(invalid(v, "oauth mode calls the cluster with the signed-in person's own token: leave CAMUNDA_UPSTREAM_AUTH unset")),
        (AuthMode::Oidc(_), None) => Err(invalid("", "oidc mode needs a choice: client-credentials (the gateway's own token; callers' tokens are for this gateway) or forward (callers' tokens are for the cluster API and go upstream unchanged)")),
        (AuthMode::None | AuthMode::Basic, None) | (_, Some("forward")) => Ok(UpstreamAuth::Forward),
        (_, Some("client-credentials")) => Ok(UpstreamAuth::ClientCredentials(client_credentials(vars, warnings)?)),
        (_, Some(v)) => Err(invalid(v, "expected forward or client-credentials")),
    }
}

fn client_credentials<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    warnings: &mut Vec<String>,
) -> Result<ClientCredentials, ConfigError> {
    let token_url = vars.required(
        "CAMUNDA_OAUTH_URL",
        "the token endpoint of the gateway's machine client",
    )?;
    Ok(ClientCredentials {
        client_id: vars.required("CAMUNDA_CLIENT_ID", "the gateway's machine client id")?,
        client_secret: Secret(vars.required(
            "CAMUNDA_CLIENT_SECRET",
            "the machine client's secret (wrangler secret put CAMUNDA_CLIENT_SECRET)",
        )?),
        token_url: identity_url("CAMUNDA_OAUTH_URL", token_url, warnings)?,
        audience: vars.get("CAMUNDA_TOKEN_AUDIENCE"),
        scope: vars.get("CAMUNDA_TOKEN_SCOPE"),
    })
}

/// An issuer or token endpoint: `https://`, or `http://` to this machine with a start warning.
pub(super) fn identity_url(
    name: &'static str,
    url: String,
    warnings: &mut Vec<String>,
) -> Result<String, ConfigError> {
    use crate::http::{vouching_url, Cleartext};
    match vouching_url(&url) {
        Some(Cleartext::No) => Ok(url),
        Some(Cleartext::Loopback) => {
            warnings.push(format!(
                "{name}: {url} is cleartext HTTP, accepted only because it is on this machine"
            ));
            Ok(url)
        }
        None => Err(ConfigError::new(
            name,
            url,
            "expected an https:// URL without credentials, query or fragment (http:// only on loopback, for local tests)",
        )),
    }
}
