//! The Worker's environment: its vars and secrets read into the app once per isolate, and the
//! Rate Limiting bindings.

use worker::{console_error, console_warn, Env};

use crate::app::App;
use crate::camunda::tools::ToolClass;
use crate::config::Config;
use crate::egress::Role;
use crate::policy::binding_name;
use crate::ports::{LimitCheck, Limiter};
use crate::settings::ConfigError;

use std::cell::OnceCell;
use std::rc::Rc;

use super::crypto::WebCrypto;

/// The `[[ratelimits]]` bindings, looked up when a tool call needs one.
pub(super) struct Bindings<'a>(pub(super) &'a Env);

impl Limiter for Bindings<'_> {
    async fn check(&self, binding: &'static str, key: impl FnOnce() -> String) -> LimitCheck {
        let Ok(binding) = self.0.rate_limiter(binding) else {
            return LimitCheck::Unlimited;
        };
        match binding.limit(key()).await {
            Ok(outcome) if outcome.success => LimitCheck::Allowed,
            Ok(_) => LimitCheck::Exceeded,
            Err(e) => LimitCheck::Failed(e.to_string()),
        }
    }
}

pub(super) fn build_app(env: &Env) -> Result<App<WebCrypto>, ConfigError> {
    let var = |name: &str| {
        env.var(name)
            .map(|v| v.to_string())
            .or_else(|_| env.secret(name).map(|s| s.to_string()))
            .ok()
    };
    let config = Config::from_vars(var)?;
    for warning in &config.warnings {
        console_warn!("configuration: {warning}");
    }
    let mut limited = Vec::new();
    // An egress judges no caller: the edge applied the limits before handing a call over.
    let judges = config.role == Role::Edge;
    for class in [ToolClass::Read, ToolClass::Write]
        .into_iter()
        .filter(|_| judges)
    {
        let name = binding_name(class);
        if env.rate_limiter(name).is_ok() {
            limited.push(class);
        } else {
            console_warn!(
                "rate limits: no {name} binding, so {} tools are not rate-limited",
                class.name()
            );
        }
    }
    // A missing egress binding fails each call to its region, naming it; say so at start too.
    let bindings = config.egress.iter().flat_map(|e| e.bindings.iter());
    for (region, binding) in bindings.filter(|(_, b)| env.service(b).is_err()) {
        console_error!(
            "egress: no service binding {binding}, so calls to {region} clusters fail (docs/saas.md, Placement)"
        );
    }
    if matches!(config.auth, crate::auth::mode::AuthMode::OAuth(_)) {
        if env.kv(KV_BINDING).is_err() {
            console_error!(
                "oauth mode: no {} binding, so no client can register (see docs)",
                KV_BINDING
            );
        }
        if env.durable_object(GRANTS_BINDING).is_err() {
            console_error!(
                "oauth mode: no {} binding, so nobody can sign in (see docs)",
                GRANTS_BINDING
            );
        }
    }
    Ok(App::new(config, WebCrypto::default())?.with_rate_limit_bindings(limited))
}

pub(super) type Shared = Rc<Result<App<WebCrypto>, ConfigError>>;

thread_local! {
    /// Parsed settings and the prepared tool list, built on the first request of an isolate
    /// (or the first step of a grant's Durable Object in it).
    static APP: OnceCell<Shared> = const { OnceCell::new() };
}

/// The isolate's app, built from `env` the first time.
pub(super) fn app_for(env: &Env) -> Shared {
    APP.with(|cell| cell.get_or_init(|| Rc::new(build_app(env))).clone())
}

/// The Workers KV namespace of client registrations.
pub const KV_BINDING: &str = "OAUTH_KV";
/// The Durable Object namespace of grants (class `GrantObject`).
pub const GRANTS_BINDING: &str = "OAUTH_GRANTS";
