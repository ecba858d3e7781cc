//! `MCP_AUTH_MODE` and what each mode needs: trusted issuers (oidc), the organisation's IdP
//! (oauth).

use super::cluster::identity_url;
use crate::auth::mode::{AuthMode, Issuer, OAuth, Oidc};
use crate::ports::Algorithm;
use crate::routes::Reach;
use crate::settings::{split_list, ConfigError, Vars};
use crate::text::Secret;

pub(super) fn mode<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    warnings: &mut Vec<String>,
) -> Result<AuthMode, ConfigError> {
    Ok(match vars.choice("MCP_AUTH_MODE")? {
        "basic" => AuthMode::Basic,
        "oidc" => AuthMode::Oidc(oidc(vars, warnings)?),
        "oauth" => AuthMode::OAuth(Box::new(oauth(vars, warnings)?)),
        _ => AuthMode::None,
    })
}

fn oidc<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    warnings: &mut Vec<String>,
) -> Result<Oidc, ConfigError> {
    let issuers = vars.list("OIDC_ISSUERS");
    if issuers.is_empty() {
        let why = "oidc mode needs one or more issuer URLs";
        return Err(ConfigError::missing("OIDC_ISSUERS", why));
    }
    let jwks = vars.list("OIDC_JWKS_URIS");
    if !jwks.is_empty() && jwks.len() != issuers.len() {
        return Err(ConfigError::new(
            "OIDC_JWKS_URIS",
            jwks.join(","),
            "give one JWKS URI per issuer, in the same order, or none for discovery",
        ));
    }
    if vars.get("MCP_CACHE_SECRET").is_none() {
        warnings.push(
            "MCP_CACHE_SECRET is unset: each isolate fetches its own signing keys \
             (set it, as a secret, to share them through the Cache API)"
                .into(),
        );
    }
    for (name, urls) in [("OIDC_ISSUERS", &issuers), ("OIDC_JWKS_URIS", &jwks)] {
        for url in urls.iter() {
            identity_url(name, url.clone(), warnings)?;
        }
    }
    let audiences = vars.list("OIDC_AUDIENCES");
    if audiences.is_empty() {
        let why = "oidc mode needs the audience(s) of the cluster API, e.g. zeebe.camunda.io";
        return Err(ConfigError::missing("OIDC_AUDIENCES", why));
    }
    let reach = issuer_routes(vars, issuers.len())?;
    Ok(Oidc {
        issuers: issuers
            .into_iter()
            .zip(reach)
            .enumerate()
            .map(|(i, (issuer, reach))| Issuer {
                // Exact, as RFC 8414 compares issuers: the token's `iss` must be this string.
                issuer,
                jwks_uri: jwks.get(i).cloned(),
                reach,
            })
            .collect(),
        audiences,
        algorithms: algorithms(vars)?,
        leeway_seconds: vars.number("OIDC_LEEWAY_SECONDS")?,
        required_scopes: vars.list("OIDC_REQUIRED_SCOPES"),
        cluster_id: vars.get("CAMUNDA_CLUSTER_ID"),
        shared_cache_secret: vars.get("MCP_CACHE_SECRET"),
        require_cluster_claim: vars.flag("OIDC_REQUIRE_CLUSTER_CLAIM")?,
    })
}

/// `OIDC_ISSUER_ROUTES`: what each issuer's tokens may reach. With more than one issuer each
/// must say: fail closed, not open.
fn issuer_routes<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    issuers: usize,
) -> Result<Vec<Vec<Reach>>, ConfigError> {
    let Some(v) = vars.get("OIDC_ISSUER_ROUTES") else {
        if issuers > 1 {
            let why = "with several issuers, say what each may reach (one entry per issuer, ';'-separated)";
            return Err(ConfigError::missing("OIDC_ISSUER_ROUTES", why));
        }
        return Ok(vec![vec![Reach::Any]]);
    };
    let parsed: Option<Vec<Vec<Reach>>> = v.split(';').map(reaches).collect();
    match parsed {
        Some(p) if p.len() == issuers => Ok(p),
        _ => Err(ConfigError::new(
            "OIDC_ISSUER_ROUTES",
            v,
            "one entry per issuer, ';'-separated, each a list of *, default, region:<r>, cluster:<uuid>, tenant:<id>",
        )),
    }
}

/// A comma list of routes (`*`, `default`, `region:<r>`, …); `None` if any is not one, or
/// none is given.
pub(super) fn reaches(list: &str) -> Option<Vec<Reach>> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Reach::parse)
        .collect::<Option<Vec<_>>>()
        .filter(|r| !r.is_empty())
}

fn algorithms<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Vec<Algorithm>, ConfigError> {
    let Some(v) = vars.get("OIDC_ALGORITHMS") else {
        return Ok(vec![Algorithm::Rs256, Algorithm::Es256]);
    };
    split_list(&v)
        .iter()
        .map(|a| match a.as_str() {
            "RS256" => Ok(Algorithm::Rs256),
            "ES256" => Ok(Algorithm::Es256),
            _ => Err(ConfigError::new(
                "OIDC_ALGORITHMS",
                v.clone(),
                "supported: RS256, ES256 (never none or HMAC)",
            )),
        })
        .collect()
}

fn oauth<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    warnings: &mut Vec<String>,
) -> Result<OAuth, ConfigError> {
    let issuer = vars.required("OAUTH_UPSTREAM_ISSUER", "oauth mode signs people in at this OIDC issuer (Keycloak realm, Entra tenant, Okta or Auth0 domain)")?;
    let seal_key = vars.required("OAUTH_KV_KEY", "oauth mode encrypts what it keeps (OAUTH_KV, the grant objects) with a key derived from this secret (wrangler secret put OAUTH_KV_KEY; 32 or more random characters)")?;
    if seal_key.len() < 32 {
        return Err(ConfigError::new(
            "OAUTH_KV_KEY",
            "(hidden)",
            "use 32 or more random characters, e.g. openssl rand -base64 32",
        ));
    }
    let mut scopes = split_list(
        &vars
            .get("OAUTH_UPSTREAM_SCOPES")
            .unwrap_or_else(|| "openid offline_access".into()),
    );
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let cimd_loopback = vars.flag("OAUTH_CIMD_ALLOW_LOOPBACK")?;
    if cimd_loopback {
        warnings.push("OAUTH_CIMD_ALLOW_LOOPBACK=true: client metadata documents may come from this machine over http (for local tests only)".into());
    }
    Ok(OAuth {
        upstream_issuer: identity_url("OAUTH_UPSTREAM_ISSUER", issuer, warnings)?,
        client_id: vars.required("OAUTH_UPSTREAM_CLIENT_ID", "the gateway's client id at the IdP (a confidential client whose redirect URI is https://<gateway>/oauth/callback)")?,
        client_secret: Secret(vars.required("OAUTH_UPSTREAM_CLIENT_SECRET", "the gateway's client secret at the IdP (wrangler secret put OAUTH_UPSTREAM_CLIENT_SECRET)")?),
        scopes,
        audience: vars.get("OAUTH_UPSTREAM_AUDIENCE"),
        seal_key: Secret(seal_key),
        access_ttl_s: vars.number("OAUTH_ACCESS_TOKEN_TTL_S")?,
        refresh_ttl_s: vars.number("OAUTH_REFRESH_TOKEN_TTL_S")?,
        cimd_loopback,
    })
}
