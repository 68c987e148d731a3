//! `bona audit --format html`: one self-contained page (no network, no external asset) for
//! people who would rather look than read: trusted and untrusted images by namespace, registry
//! and policy as bar charts, a filterable, sortable, paginated table of every image with its
//! trust, policies and reasons, and the posture issues.
//!
//! The audit streams as every audit does: each image becomes one compact JSON row, spooled like
//! any output, inside a `<script type="application/json">` block between the page's head and
//! its script. The page aggregates and paginates in the browser, so 300,000 images stay usable
//! (the charts show the largest groups, the tables one page at a time). Every `<`, `>` and `&`
//! of the data is written as a `\u` escape, so no image reference or label can close the block
//! or open a tag; the script puts data into the page with `textContent` only.

use std::io;

use bona_runtime::input::{Asset, AssetType};
use bona_runtime::ir::Action;
use bona_runtime::output::ImageAudit;
use serde_json::{Value, json};

/// The rows of one asset's images: `,` before each, as the spool expects.
pub(super) fn rows(asset: &Asset, images: &[ImageAudit], out: &mut Vec<u8>) -> io::Result<usize> {
    let kind = match asset.asset_type {
        AssetType::Workload => "w",
        AssetType::Vm => "v",
    };
    for image in images {
        let registry = image.reference.split('/').next().unwrap_or_default();
        let policies: Vec<Value> = image
            .policies
            .iter()
            .map(|p| {
                json!([
                    p.policy,
                    if p.action == Action::Prevent {
                        "p"
                    } else {
                        "i"
                    },
                    u8::from(p.resolved.is_trusted()),
                    p.posture.map(|r| r.as_str()).unwrap_or_default(),
                    p.reasons,
                ])
            })
            .collect();
        let row = json!([
            asset.cluster,
            asset.namespace,
            asset.kind,
            asset.name,
            kind,
            image.reference,
            registry,
            u8::from(image.trusted),
            policies,
        ]);
        out.push(b',');
        for byte in serde_json::to_vec(&row)? {
            match byte {
                b'<' => out.extend_from_slice(b"\\u003c"),
                b'>' => out.extend_from_slice(b"\\u003e"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                _ => out.push(byte),
            }
        }
        out.push(b'\n');
    }
    Ok(images.len())
}

/// The page up to the opening of the data block.
pub(super) const HEAD: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bona audit</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
main{padding:16px 24px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:0 0 16px;padding:12px 16px}
h2{font-size:16px;margin:0 0 10px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.bar{display:flex;align-items:center;gap:8px;margin:3px 0}
.bar .k{width:40%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar .v{flex:1;display:flex;height:14px;background:#eef0f3;border-radius:3px;overflow:hidden}
.bar .n{width:70px;text-align:right;color:#555}
.ok{background:#2e9e5b}.no{background:#d64545}.warn{background:#e0a21b}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.tools{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px}
input,select,button{font:inherit;padding:4px 8px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e6e8ec;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;cursor:pointer;user-select:none;white-space:nowrap}
td.img{font-family:ui-monospace,monospace;word-break:break-all}
.pill{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px}
.reasons{margin:0;padding-left:16px;color:#444}
.pager{margin-top:8px;display:flex;gap:8px;align-items:center}
</style>
</head>
<body>
<header><h1>Bona audit: trusted images</h1></header>
<main>
<div class="cards" id="cards"></div>
<section><h2>Where untrusted images run</h2><div class="legend"><span class="ok"></span>trusted<span class="no"></span>untrusted</div><div class="charts" id="charts"></div></section>
<section><h2>Images</h2><div class="tools"><input id="q" placeholder="filter: image, asset, policy, reason" size="40"><select id="trust"><option value="">trusted and untrusted</option><option value="1">trusted</option><option value="0">untrusted</option></select><select id="ns"><option value="">every namespace</option></select></div><table id="images"><thead><tr><th data-k="trust">Trust</th><th data-k="image">Image</th><th data-k="asset">Asset</th><th>Policies</th><th>Reasons</th></tr></thead><tbody></tbody></table><div class="pager" id="images-pager"></div></section>
<section><h2>Posture issues</h2><div class="tools"><input id="iq" placeholder="filter issues" size="40"><select id="reason"><option value="">every reason</option><option>untrusted</option><option>missing-information</option></select></div><table id="issues"><thead><tr><th data-k="reason">Reason</th><th data-k="policy">Policy</th><th data-k="image">Image</th><th data-k="asset">Asset</th></tr></thead><tbody></tbody></table><div class="pager" id="issues-pager"></div></section>
</main>
<script id="data" type="application/json">["##;

/// The page after the data block: the script that aggregates, filters and paginates.
pub(super) const TAIL: &str = r##"]</script>
<script>
"use strict";
const raw = JSON.parse(document.getElementById("data").textContent);
const rows = raw.map(r => ({cluster: r[0], ns: r[1], kind: r[2], name: r[3], vm: r[4] === "v",
  image: r[5], registry: r[6], trusted: r[7] === 1, policies: r[8]}));
rows.forEach(r => { r.asset = r.vm ? "VM " + r.name : (r.cluster ? r.cluster + "/" : "") + r.ns + "/" + r.kind + "/" + r.name;
  r.text = (r.image + " " + r.asset + " " + r.policies.map(p => p[0] + " " + p[4].join(" ")).join(" ")).toLowerCase(); });
const issues = [];
rows.forEach(r => r.policies.forEach(p => { if (p[3]) issues.push({reason: p[3], policy: p[0], image: r.image, asset: r.asset,
  text: (p[3] + " " + p[0] + " " + r.image + " " + r.asset).toLowerCase()}); }));
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
const untrusted = rows.filter(r => !r.trusted).length;
const assets = new Set(rows.map(r => r.asset)).size;
[["assets", assets], ["images", rows.length], ["trusted", rows.length - untrusted], ["untrusted", untrusted], ["posture issues", issues.length]]
  .forEach(([k, v]) => { const c = el("div", "card"); c.id = "card-" + k.replace(" ", "-"); c.append(el("b", "", v.toLocaleString("en-US")), el("span", "", k)); document.getElementById("cards").append(c); });
function chart(title, key, values) {
  const groups = new Map();
  rows.forEach(r => key(r).forEach(k => { const g = groups.get(k) || [0, 0]; values(r, k, g); groups.set(k, g); }));
  const top = [...groups.entries()].sort((a, b) => (b[1][1] - a[1][1]) || (b[1][0] + b[1][1] - a[1][0] - a[1][1]) || (a[0] < b[0] ? -1 : 1)).slice(0, 15);
  const max = Math.max(1, ...top.map(([, g]) => g[0] + g[1]));
  const box = el("div"); box.append(el("h2", "", title + (groups.size > 15 ? " (15 of " + groups.size + ")" : "")));
  top.forEach(([k, g]) => { const b = el("div", "bar"); const v = el("div", "v");
    const ok = el("span", "ok"); ok.style.width = (100 * g[0] / max) + "%"; const no = el("span", "no"); no.style.width = (100 * g[1] / max) + "%";
    v.append(ok, no); b.append(el("span", "k", k || "(none)"), v, el("span", "n", g[1] + " / " + (g[0] + g[1]))); b.title = k; box.append(b); });
  document.getElementById("charts").append(box);
}
chart("By namespace", r => [r.vm ? "(VMs)" : r.ns], (r, k, g) => g[r.trusted ? 0 : 1]++);
chart("By registry", r => [r.registry], (r, k, g) => g[r.trusted ? 0 : 1]++);
chart("By policy (images it does not trust)", r => r.policies.map(p => p[0]), (r, k, g) => { const p = r.policies.find(q => q[0] === k); g[p[2] === 1 ? 0 : 1]++; });
const nsSelect = document.getElementById("ns");
[...new Set(rows.map(r => r.ns))].sort().forEach(n => nsSelect.append(el("option", "", n)));
function table(id, all, filter, cell, sortKeys) {
  const state = {page: 0, sort: null, dir: 1, list: all};
  const body = document.querySelector("#" + id + " tbody"), pager = document.getElementById(id + "-pager");
  document.querySelectorAll("#" + id + " th[data-k]").forEach(th => th.addEventListener("click", () => {
    const k = th.dataset.k; state.dir = state.sort === k ? -state.dir : 1; state.sort = k; update(); }));
  function update() {
    state.list = all.filter(filter);
    if (state.sort) { const f = sortKeys[state.sort]; state.list = state.list.slice().sort((a, b) => { const x = f(a), y = f(b); return (x < y ? -1 : x > y ? 1 : 0) * state.dir; }); }
    state.page = Math.min(state.page, Math.max(0, Math.ceil(state.list.length / 50) - 1)); draw(); }
  function draw() {
    body.replaceChildren(); state.list.slice(state.page * 50, state.page * 50 + 50).forEach(x => body.append(cell(x)));
    const pages = Math.max(1, Math.ceil(state.list.length / 50));
    const prev = el("button", "", "previous"), next = el("button", "", "next");
    prev.disabled = state.page === 0; next.disabled = state.page + 1 >= pages;
    prev.onclick = () => { state.page--; draw(); }; next.onclick = () => { state.page++; draw(); };
    const info = el("span", "", "page " + (state.page + 1) + " of " + pages + " (" + state.list.length.toLocaleString("en-US") + " rows)"); info.className = "info";
    pager.replaceChildren(prev, info, next); }
  return {update: () => { state.page = 0; update(); }};
}
const images = table("images", rows, r => {
  const q = document.getElementById("q").value.toLowerCase(), t = document.getElementById("trust").value, n = nsSelect.value;
  return (!q || r.text.includes(q)) && (t === "" || (t === "1") === r.trusted) && (!n || r.ns === n); },
  r => { const tr = el("tr");
    const td = el("td"); td.append(el("span", "pill " + (r.trusted ? "ok" : "no"), r.trusted ? "trusted" : "untrusted")); tr.append(td);
    tr.append(el("td", "img", r.image), el("td", "", r.asset));
    const pol = el("td"); r.policies.forEach(p => { const d = el("div", "", p[0] + ": " + (p[2] === 1 ? "trusted" : "untrusted") + (p[3] ? ", issue: " + p[3] : "")); pol.append(d); });
    if (!r.policies.length) pol.textContent = "no policy applies"; tr.append(pol);
    const rs = el("td"); const ul = el("ul", "reasons"); r.policies.forEach(p => p[4].forEach(x => ul.append(el("li", "", p[0] + ": " + x)))); rs.append(ul); tr.append(rs);
    return tr; },
  {trust: r => r.trusted ? 1 : 0, image: r => r.image, asset: r => r.asset});
const issueTable = table("issues", issues, i => {
  const q = document.getElementById("iq").value.toLowerCase(), w = document.getElementById("reason").value;
  return (!q || i.text.includes(q)) && (!w || i.reason === w); },
  i => { const tr = el("tr"); const td = el("td"); td.append(el("span", "pill " + (i.reason === "untrusted" ? "no" : "warn"), i.reason)); tr.append(td);
    tr.append(el("td", "", i.policy), el("td", "img", i.image), el("td", "", i.asset)); return tr; },
  {reason: i => i.reason, policy: i => i.policy, image: i => i.image, asset: i => i.asset});
["q", "trust", "ns"].forEach(id => document.getElementById(id).addEventListener("input", images.update));
["iq", "reason"].forEach(id => document.getElementById(id).addEventListener("input", issueTable.update));
images.update(); issueTable.update();
document.body.dataset.ready = "yes";
</script>
</body>
</html>
"##;
