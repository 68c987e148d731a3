//! Generated policy sets of realistic shapes, for benchmarks and load tests (not used by the
//! compiler itself). Deterministic: the same `n` always gives the same text.

/// The text of policy `i`: one of four shapes that real policy sets use.
pub fn policy(i: usize) -> String {
    let team = format!("team{i}");
    let owner = format!("# Owner: {team}@company.com. Reviewed quarterly.\n# Ticket: SEC-{i}\n");
    let body = match i % 4 {
        0 => format!(
            "## Images of {team} come from its registry.\npolicy \"{team} registry\" {{\n  description \"Images of {team} come from its own registry group.\"\n  scope cluster matches \"prod-*\" and namespace == \"{team}\"\n  action prevent\n  trust registry == \"registry{i}.company.com\" and repository matches \"{team}/**\"\n}}\n"
        ),
        1 => format!(
            "policy \"{team} signed\" {{\n  description \"Production images of {team} are signed releases.\"\n  scope namespace == \"{team}\" and asset == workload\n  action prevent\n  on unknown prevent\n  trust registry in [\"registry{i}.company.com\", \"mirror{i}.company.com\"] and pinned and signed by release\n}}\n"
        ),
        2 => format!(
            "policy \"{team} tags\" {{\n  description \"Released, scanned images of {team}.\"\n  scope labels[\"team\"] == \"{team}\"\n  action issue\n  trust image matches \"registry{i}.company.com/{team}/*:v*\" and tag != \"latest\" and scanned and vulns.critical == 0 and scan.age < 7d\n}}\n"
        ),
        _ => format!(
            "policy \"{team} base\" {{\n  description \"Images of {team} build on approved bases.\"\n  scope namespace in [\"{team}\", \"{team}-staging\"]\n  action issue\n  trust base in [\"registry.company.com/base/debian:12\", \"registry.company.com/base/alpine:3.20\"] and signed by release\n  trust registry == \"registry{i}.company.com\" and labels[\"org.opencontainers.image.source\"] matches \"https://git.company.com/{team}/**\"\n}}\n"
        ),
    };
    owner + &body
}

/// A key every generated set uses (a real P-256 public key).
pub const RELEASE_KEY: &str = "key release = pem(\"-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1HDZY4CRoOCXviSn/q94Qpi/Urs1\\nrds0yOrt9eP+lC/3jT0YTHQ4SvGpF5K1dkF5XPY/o4+HStWG6weyKOia0w==\\n-----END PUBLIC KEY-----\")\n";

/// `n` policies spread over `files` files (the first file also holds the key).
pub fn policy_set(n: usize, files: usize) -> Vec<String> {
    let files = files.max(1);
    let mut out = vec![String::new(); files];
    out[0].push_str(RELEASE_KEY);
    for i in 0..n {
        let text = &mut out[i % files];
        text.push('\n');
        text.push_str(&policy(i));
    }
    out
}
