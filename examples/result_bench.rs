//! Native cost of answering a tool call from a canned upstream answer, the peak heap while
//! answering a 10,000-item search, and the peak heap per request body for hostile and large
//! MCP requests (issue 11). Run by `bench/run.sh`; prints figures, asserts nothing.
//! The Worker runs the same Rust compiled to wasm; this isolates our code from the runtime.

// A global allocator that counts bytes needs `unsafe impl GlobalAlloc`: measurement only, never
// part of the gateway.
#![allow(unsafe_code)]

/// The black-box tests' helpers: the App as they build it and MCP requests as they post them.
#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::common;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    use std::time::Instant;

    use camunda_mcp_edge::http::{FetchError, Request, UpstreamRequest, UpstreamResponse};

    use camunda_mcp_edge::ports::HttpClient;
    use serde_json::json;

    /// Counts live heap bytes and their high-water mark.
    struct Counting;
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size(), Relaxed);
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOC: Counting = Counting;

    /// Answers every request with the same body.
    struct Canned(Vec<u8>);

    impl HttpClient for Canned {
        async fn send(&self, _: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
            Ok(UpstreamResponse {
                status: 200,
                content_type: Some("application/json".into()),
                cache_control: None,
                body: self.0.clone(),
                compacted: None,
                placement: None,
            })
        }
        async fn pause(&self, _: u32) {}
    }

    /// A three-broker cluster's topology, as the test stand-in sends it (938 bytes): the answer
    /// the workerd rows of bench/run.sh shape, so that both describe the same work.
    fn topology() -> Vec<u8> {
        let broker = |id: u32| {
            let partitions: Vec<_> = (1..=3)
                .map(|p| {
                    let role = if p == id + 1 { "leader" } else { "follower" };
                    json!({"partitionId": p, "role": role, "health": "healthy"})
                })
                .collect();
            json!({"nodeId": id, "host": format!("camunda-zeebe-{id}.camunda-zeebe"), "port": 26501,
                "partitions": partitions, "version": "8.9.0"})
        };
        json!({"brokers": (0..3).map(broker).collect::<Vec<_>>(), "clusterId": "c8-demo-cluster",
            "clusterSize": 3, "partitionsCount": 3, "replicationFactor": 3,
            "gatewayVersion": "8.9.0", "lastCompletedChangeId": "-1"})
        .to_string()
        .into_bytes()
    }

    /// Items shaped like a Camunda 8.9 process-instance search (as the test stand-in sends).
    fn search(n: usize) -> Vec<u8> {
        let items: Vec<_> = (0..n)
            .map(|i| {
                json!({
                    "processDefinitionId": "order-process", "processDefinitionName": "Order process",
                    "processDefinitionVersion": 3, "processDefinitionVersionTag": "v3",
                    "startDate": "2026-11-20T08:15:30.123Z", "endDate": null, "state": "ACTIVE",
                    "hasIncident": i == 0, "tenantId": "<default>",
                    "processInstanceKey": (2251799813690001u64 + i as u64).to_string(),
                    "processDefinitionKey": "2251799813685249", "parentProcessInstanceKey": null,
                    "parentElementInstanceKey": null, "rootProcessInstanceKey": null,
                    "tags": ["demo"], "businessId": format!("order-{}", 1000 + i),
                })
            })
            .collect();
        json!({"items": items, "page": {"totalItems": n, "hasMoreTotalItems": false,
            "startCursor": null, "endCursor": null}})
        .to_string()
        .into_bytes()
    }

    fn request(tool: &str, args: serde_json::Value) -> Request {
        let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": args}});
        common::post(&msg.to_string())
    }

    pub fn main() {
        let app = common::app();
        let search_args = |n: usize| json!({"page": {"limit": n}});
        println!("| scenario | upstream body | result | µs per call (native) |");
        println!("|---|---|---|---|");
        for (name, tool, args, body, rounds) in [
            ("topology", "getTopology", json!({}), topology(), 20_000),
            (
                "search100",
                "searchProcessInstances",
                search_args(100),
                search(100),
                2_000,
            ),
            (
                "search10000",
                "searchProcessInstances",
                search_args(10_000),
                search(10_000),
                20,
            ),
        ] {
            if std::env::var("ONLY").is_ok_and(|only| only != name) {
                continue;
            }
            let client = Canned(body);
            let req = request(tool, args);
            let run = || pollster::block_on(app.handle(&req, &client, 0)).0;
            let size = run().body.len();
            let t = Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(run());
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / rounds as f64;
            println!("| {name} | {} B | {size} B | {us:.1} |", client.0.len());
        }

        // Peak heap over one 10,000-item call, above what was live before it (the request,
        // the app, and the upstream body the client hands over are all counted).
        let client = Canned(search(10_000));
        let req = request("searchProcessInstances", search_args(10_000));
        let before = LIVE.load(Relaxed);
        PEAK.store(before, Relaxed);
        let out = pollster::block_on(app.handle(&req, &client, 0)).0;
        let peak = PEAK.load(Relaxed) - before;
        let size = client.0.len();
        println!();
        println!(
            "- 10,000-item search natively: upstream body {size} B, result {} B, peak heap during the call {peak} B = {:.2}x the upstream body",
            out.body.len(),
            peak as f64 / size as f64
        );
        request_peaks();
    }

    /// Peak heap above the request itself while the gateway handles a request body (the body
    /// is already in memory, as the adapter hands it over; its own bytes are not counted).
    fn request_peaks() {
        const MIB: usize = 1 << 20;
        let app = common::app();
        let client = Canned(br#"{"processInstanceKey":"1"}"#.to_vec());
        let pad = |head: &str, tail: &str, fill: &str, total: usize| {
            let n = (total - head.len() - tail.len()) / fill.len();
            format!("{head}{}{tail}", fill.repeat(n))
        };
        let zeros = pad(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":[0"#,
            "]}}",
            ",0",
            4 * MIB - 64,
        );
        let nested = pad(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology","arguments":{"a":"#,
            "}}}",
            "[",
            4 * MIB - 64,
        );
        let deep_args = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"getTopology","arguments":{{"a":{}{}}}}}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        let variables: serde_json::Map<String, serde_json::Value> = (0..15_000)
            .map(|i| (format!("var{i:05}"), json!({"orderId": format!("A-{i}"), "amount": i, "lines": ["x", "y"], "note": "n".repeat(40)})))
            .collect();
        let create = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "createProcessInstance",
            "arguments": {"processDefinitionId": "order-process", "variables": variables}}})
        .to_string();
        println!();
        println!("| request body (natively) | body | peak heap above it | ÷ body |");
        println!("|---|---|---|---|");
        for (name, body) in [
            ("4 MiB `params.x` of zeros (tools/list)", zeros),
            ("4 MiB `[[[[…` as tool arguments", nested),
            ("arguments nested 100 deep", deep_args),
            ("createProcessInstance, 1.5 MiB variables", create),
        ] {
            let req = common::post(&body);
            let before = LIVE.load(Relaxed);
            PEAK.store(before, Relaxed);
            let out = pollster::block_on(app.handle(&req, &client, 0)).0;
            let peak = PEAK.load(Relaxed) - before;
            std::hint::black_box(out);
            println!(
                "| {name} | {} B | {peak} B | {:.2} |",
                body.len(),
                peak as f64 / body.len() as f64
            );
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
