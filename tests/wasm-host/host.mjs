// A wasm host for Bona modules (`bona build --target wasm`) in plain JavaScript, with nothing
// but the WebAssembly API built into Node.js: the proof that the ABI of docs/wasm-abi.md is
// enough for a host that is not Bona's own.
//
//   node host.mjs MODULE.wasm ATOMS.json
//
// ATOMS.json: { "asset_atoms": [byte, ...], "images": [[byte, ...], ...] }, the value of each
// atom in the manifest's order (0 false, 1 true, 2 unknown). Prints the module's outputs as
// JSON: { decision, any_applicable, any_prevent, applicable: [...], images: [{ verdicts,
// resolved, trusted, prevented }] }, the names of the policies alongside.
import { readFileSync } from "node:fs";

const [modulePath, atomsPath] = process.argv.slice(2);
if (!modulePath || !atomsPath) {
  console.error("usage: node host.mjs MODULE.wasm ATOMS.json");
  process.exit(2);
}

const module = new WebAssembly.Module(readFileSync(modulePath));
const sections = WebAssembly.Module.customSections(module, "bona.manifest");
if (sections.length !== 1) throw new Error("no bona.manifest section");
const manifest = JSON.parse(new TextDecoder().decode(sections[0]));
if (manifest.abi !== 1) throw new Error(`unsupported ABI version ${manifest.abi}`);
const L = manifest.layout;
const P = manifest.policies.length;
const M = manifest.image_atoms.length;

const atoms = JSON.parse(readFileSync(atomsPath, "utf8"));
if (atoms.asset_atoms.length !== manifest.asset_atoms.length) throw new Error("asset atom count");
const n = atoms.images.length;

const instance = new WebAssembly.Instance(module, {});
const memory = instance.exports.memory;
const needed = L.images + n * L.image_stride;
if (needed > memory.buffer.byteLength) {
  memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
}
let bytes = new Uint8Array(memory.buffer);
bytes.set(atoms.asset_atoms, L.asset_atoms);
atoms.images.forEach((image, i) => {
  if (image.length !== M) throw new Error(`image ${i}: atom count`);
  bytes.set(image, L.images + i * L.image_stride + L.record_atoms);
});

const status = instance.exports.bona_eval(n);
if (status !== 0) throw new Error(`bona_eval returned ${status}`);
bytes = new Uint8Array(memory.buffer); // a grown memory has a new buffer
const slice = (at, len) => Array.from(bytes.subarray(at, at + len));
const out = {
  policies: manifest.policies.map((p) => p.name),
  decision: bytes[L.decision],
  any_applicable: bytes[L.any_applicable],
  any_prevent: bytes[L.any_prevent],
  applicable: slice(L.applicable, P),
  images: atoms.images.map((_, i) => {
    const rec = L.images + i * L.image_stride;
    return {
      verdicts: slice(rec + L.record_verdicts, P),
      resolved: slice(rec + L.record_resolved, P),
      trusted: bytes[rec + L.record_trusted],
      prevented: bytes[rec + L.record_prevented],
    };
  }),
};
console.log(JSON.stringify(out));
