//! Twenty containers created and started at once all reach running and all delete
//! cleanly. Needs root.

mod cli_support;

use std::thread;

use cli_support::{gone_within, Env};

#[test]
fn twenty_containers_in_parallel() {
    let env = Env::new("parallel");
    let bundle = env.bundle("b", &["sleep", "1000"]);
    let ids: Vec<String> = (0..20).map(|i| format!("par{i}")).collect();
    thread::scope(|s| {
        for id in &ids {
            let (env, bundle) = (&env, &bundle);
            s.spawn(move || {
                env.ok(&["create", "--bundle", bundle.to_str().unwrap(), id]);
                env.ok(&["start", id]);
            });
        }
    });
    let listing: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "--format", "json"])).unwrap();
    let listed = listing.as_array().expect("list is an array");
    assert_eq!(listed.len(), 20);
    let mut pids = Vec::new();
    for c in listed {
        assert_eq!(c["status"], "running", "{c}");
        pids.push(c["pid"].as_i64().unwrap());
    }
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 20, "each container has its own sandbox");

    thread::scope(|s| {
        for id in &ids {
            let env = &env;
            s.spawn(move || env.ok(&["delete", "--force", id]));
        }
    });
    assert!(
        env.root_entries().is_empty(),
        "left: {:?}",
        env.root_entries()
    );
    for pid in pids {
        assert!(gone_within(pid, 5), "sandbox {pid} left behind");
    }
}
