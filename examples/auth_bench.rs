//! Native cost of admitting a request with a bearer JWT: cold (first sight of a token: parse,
//! signature, claims) and warm (the verified-token cache). Keys are already cached in both; the
//! JWKS is served from memory. Run by `bench/auth.sh`; prints figures, asserts nothing.

/// Natively only: the Worker checks signatures with WebCrypto (see `bench/auth-workerd.mjs`).
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Instant;

    use camunda_mcp_edge::auth::mode::{Issuer, Oidc};
    use camunda_mcp_edge::auth::signature::RustCrypto;
    use camunda_mcp_edge::auth::verifier::Verifier;
    use camunda_mcp_edge::http::{FetchError, UpstreamRequest, UpstreamResponse};
    use camunda_mcp_edge::ports::Algorithm;
    use camunda_mcp_edge::ports::HttpClient;
    use camunda_mcp_edge::routes::Reach;
    use serde_json::Value;

    struct Jwks(Vec<u8>);

    impl HttpClient for Jwks {
        async fn send(&self, _: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
            Ok(UpstreamResponse {
                status: 200,
                content_type: None,
                cache_control: None,
                body: self.0.clone(),
                compacted: None,
                placement: None,
            })
        }
        async fn pause(&self, _: u32) {}
    }

    pub fn main() {
        let path = std::env::args()
            .nth(1)
            .expect("usage: auth_bench TOKENS.json");
        let data: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let client = Jwks(data["jwks"].to_string().into_bytes());
        let verifier = Verifier::new(
            Oidc {
                issuers: vec![Issuer {
                    issuer: data["issuer"].as_str().unwrap().into(),
                    jwks_uri: Some("https://idp.bench.test/jwks".into()),
                    reach: vec![Reach::Any],
                }],
                audiences: vec!["zeebe.camunda.io".into()],
                algorithms: vec![Algorithm::Rs256, Algorithm::Es256],
                leeway_seconds: 60,
                required_scopes: vec!["camunda".into()],
                cluster_id: None,
                require_cluster_claim: false,
                shared_cache_secret: None,
            },
            RustCrypto,
        );
        for alg in ["RS256", "ES256"] {
            let tokens: Vec<&str> = data[alg]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            // The first call also fetches and parses the JWKS; leave it out of the figures.
            pollster::block_on(verifier.verify(tokens[0], &client, now)).unwrap();
            let start = Instant::now();
            for t in &tokens[1..] {
                pollster::block_on(verifier.verify(t, &client, now)).unwrap();
            }
            let cold = start.elapsed().as_secs_f64() * 1e6 / (tokens.len() - 1) as f64;
            let rounds = 100_000;
            let start = Instant::now();
            for i in 0..rounds {
                pollster::block_on(verifier.verify(tokens[i % tokens.len()], &client, now))
                    .unwrap();
            }
            let warm = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
            println!(
                "native {alg}: cold {cold:.1} µs/token ({} tokens), warm {warm:.2} µs/request",
                tokens.len() - 1
            );
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
