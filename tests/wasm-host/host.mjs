// A host for Bona policy modules (`bona build --target wasm`) in plain JavaScript, with nothing
// but the WebAssembly API built into Node.js: the proof that docs/wasm-abi.md is all a host
// that is not Bona's own needs. tests/conformance.rs runs the conformance corpus through it.
//
//   node host.mjs MODULE.wasm eval|review|audit DOCUMENT [--facts FILE] [--cluster NAME]
//                 [--cloud NAME] [--now UNIX_SECONDS]
//
// Prints the module's JSON output and exits 0; on an unreadable or malformed document prints
// one message naming the file on stderr and exits 2 (as `bona` does); any other failure exits 1.
import { readFileSync } from "node:fs";

const [modulePath, command, documentPath, ...rest] = process.argv.slice(2);
const entry = { eval: "bona_eval", review: "bona_review", audit: "bona_audit" }[command];
if (!modulePath || !entry || !documentPath) {
  console.error("usage: node host.mjs MODULE.wasm eval|review|audit DOCUMENT [--facts FILE] " +
    "[--cluster NAME] [--cloud NAME] [--now UNIX_SECONDS]");
  process.exit(1);
}
const flags = {};
for (let i = 0; i < rest.length; i += 2) flags[rest[i].replace(/^--/, "")] = rest[i + 1];

const module = new WebAssembly.Module(readFileSync(modulePath));
const [manifest] = WebAssembly.Module.customSections(module, "bona.manifest");
if (manifest && JSON.parse(new TextDecoder().decode(manifest)).abi !== 2) {
  console.error("the module's manifest is not of ABI 2");
  process.exit(1);
}
const m = new WebAssembly.Instance(module, {}).exports;
if (m.bona_abi_version() !== 2) {
  console.error(`ABI ${m.bona_abi_version()}: rebuild the module with this Bona`);
  process.exit(1);
}

// Copies bytes into the module's buffer for a slot (0 document, 1 facts, 2 options).
function put(slot, bytes) {
  const ptr = m.bona_buffer(slot, bytes.length);
  if (ptr === 0 && bytes.length > 0) throw new Error(`no buffer for slot ${slot}`);
  new Uint8Array(m.memory.buffer, ptr, bytes.length).set(bytes);
}

function read(path) {
  try {
    return readFileSync(path);
  } catch (e) {
    console.error(`${path}: cannot read: ${e.message}`);
    process.exit(2);
  }
}

put(0, read(documentPath));
put(1, flags.facts ? read(flags.facts) : new Uint8Array());
const options = { cluster: flags.cluster ?? "", cloud: flags.cloud ?? "" };
put(2, new TextEncoder().encode(JSON.stringify(options)));

const now = BigInt(flags.now ?? Math.floor(Date.now() / 1000));
const status = m[entry](now);
// The memory may have grown during the call: take a fresh view of it.
const output = new TextDecoder().decode(
  new Uint8Array(m.memory.buffer, m.bona_output_ptr(), m.bona_output_len()));
if (status === 0) {
  process.stdout.write(output + "\n");
  process.exit(0);
}
// The module's message starts with the document it blames (`facts: …`, `input: …`).
const blamed = output.startsWith("facts:") ? flags.facts : documentPath;
console.error(status === 2 ? `${blamed}: ${output}` : output);
process.exit(status === 2 ? 2 : 1);
