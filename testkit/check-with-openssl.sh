#!/usr/bin/env bash
# Checks the keyed pieces of the testkit's fixtures with OpenSSL alone (python3's standard library
# only unpacks JSON and base64; every signature and chain is judged by openssl):
#
#   testkit/check-with-openssl.sh [FIXTURE_DIR]
#
# Per case: (chain) `openssl verify` of the leaf against the trust root's CA at the entry's
# integratedTime; (sig) the signature over the payload (message) or the DSSE PAE with the leaf's
# key; (set) the SET over the canonical {body,integratedTime,logID,logIndex} with the Rekor key;
# (checkpoint) the checkpoint's note signature with the Rekor key; (proof) the RFC 6962 root
# recomputed from the inclusion proof (python, no openssl); (tsa) `openssl ts -verify` of the RFC
# 3161 timestamp over the signature against the trust root's TSA chain. Prints ok/FAIL per piece; the
# negatives fail exactly where they say. Exit status 0 when every piece of every case is as the
# table in testkit/README.md says, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-}"
if [ -z "$dir" ]; then
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  cargo run -q -p bona-testkit --bin gen --manifest-path "$here/../Cargo.toml" -- --seed 1 "$dir" >/dev/null
fi
python3 - "$dir" <<'PY'
import base64, hashlib, json, os, subprocess, sys, tempfile

d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
tmp = tempfile.mkdtemp()

def w(name, data):
    p = os.path.join(tmp, name)
    open(p, "wb").write(data if isinstance(data, bytes) else data.encode())
    return p

def ossl(*args):
    return subprocess.run(["openssl", *args], capture_output=True).returncode == 0

def pem(der, label="CERTIFICATE"):
    b = base64.b64encode(der).decode()
    return f"-----BEGIN {label}-----\n" + "\n".join(b[i:i+64] for i in range(0, len(b), 64)) + f"\n-----END {label}-----\n"

def verify_sig(pub_pem, data, sig):
    return ossl("dgst", "-sha256", "-verify", w("pub.pem", pub_pem), "-signature", w("sig.der", sig), w("data", data))

def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()

def root_from_proof(index, size, leaf, hashes):
    if index >= size: return None
    fn, sn, r = index, size - 1, leaf
    for p in hashes:
        if sn == 0: return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return r if sn == 0 else None

# What each piece must give, per case (the others must all be ok). "-" = not present.
EXPECT = {
    "bad-wrong-ca": {"chain": False},
    "bad-leaf-expired-before-integrated-time": {"chain": False},
    "bad-set-over-another-entry": {"set": False},
    "bad-integrated-time-altered": {"set": False},  # the chain holds at the claimed time
    "bad-inclusion-proof-for-another-leaf": {"proof": False},
    "bad-checkpoint-signed-by-another-key": {"checkpoint": False},
    "bad-checkpoint-of-another-tree-head": {"checkpoint": False},  # signed, but another root
    "bad-tampered-signature": {"sig": False},
    "bad-dsse-tampered-signature": {"sig": False},
    "bad-tsa-validfor-ended": {"set": None},  # openssl does not read trust-root windows
    "downgrade-v0.1-without-inclusion-proof": {"proof": None, "checkpoint": None},
    "bad-downgrade-v0.1-without-set": {"set": None},
    "good-message-timestamp-without-set": {"set": None},
    "good-timestamp-fractional-second": {"set": None},
    "bad-timestamp-over-another-signature": {"set": None, "tsa": False},
    "bad-timestamp-from-unrelated-tsa": {"set": None, "tsa": False},
    "bad-timestamp-after-leaf-expiry": {"set": None},
}
rekor_pub = open(os.path.join(d, "keys/rekor.pub.pem")).read()
bad = 0
for c in m["cases"]:
    b = json.load(open(os.path.join(d, c["files"]["bundle"])))
    tr = json.load(open(os.path.join(d, c["files"]["trusted_root"])))
    vm = b["verificationMaterial"]
    leaf = base64.b64decode(vm["certificate"]["rawBytes"] if "certificate" in vm
                            else vm["x509CertificateChain"]["certificates"][0]["rawBytes"])
    chain = [base64.b64decode(x["rawBytes"]) for x in tr["certificateAuthorities"][0]["certChain"]["certificates"]]
    e = vm["tlogEntries"][0]
    t = int(e["integratedTime"])
    got = {}
    got["chain"] = ossl("verify", "-attime", str(t), "-purpose", "any", "-CAfile", w("root.pem", pem(chain[-1])),
                        "-untrusted", w("int.pem", "".join(pem(x) for x in chain[:-1])), w("leaf.pem", pem(leaf)))
    subprocess.run(["openssl", "x509", "-in", os.path.join(tmp, "leaf.pem"), "-pubkey", "-noout", "-out",
                    os.path.join(tmp, "leaf.pub")], check=True, capture_output=True)
    leaf_pub = open(os.path.join(tmp, "leaf.pub")).read()
    if "messageSignature" in b:
        data = base64.b64decode(c["payload"])
        sig = base64.b64decode(b["messageSignature"]["signature"])
    else:
        env = b["dsseEnvelope"]
        payload = base64.b64decode(env["payload"])
        pt = env["payloadType"].encode()
        data = b"DSSEv1 %d %s %d %s" % (len(pt), pt, len(payload), payload)
        sig = base64.b64decode(env["signatures"][0]["sig"])
    got["sig"] = verify_sig(leaf_pub, data, sig)
    body = base64.b64decode(e["canonicalizedBody"])
    if "inclusionPromise" in e:
        set_payload = json.dumps({"body": e["canonicalizedBody"], "integratedTime": t,
                                  "logID": base64.b64decode(e["logId"]["keyId"]).hex(),
                                  "logIndex": int(e["logIndex"])}, sort_keys=True, separators=(",", ":"))
        got["set"] = verify_sig(rekor_pub, set_payload.encode(),
                                base64.b64decode(e["inclusionPromise"]["signedEntryTimestamp"]))
    else:
        got["set"] = None
    if "inclusionProof" in e:
        p = e["inclusionProof"]
        r = root_from_proof(int(p["logIndex"]), int(p["treeSize"]), hashlib.sha256(b"\x00" + body).digest(),
                            [base64.b64decode(h) for h in p.get("hashes", [])])
        got["proof"] = r == base64.b64decode(p["rootHash"])
        note = p["checkpoint"]["envelope"]
        text, sigs = note.split("\n\n", 1)
        raw = base64.b64decode(sigs.strip().split(" ")[-1])
        hint_ok = raw[:4] == base64.b64decode(e["logId"]["keyId"])[:4]
        root_ok = base64.b64decode(text.split("\n")[2]) == base64.b64decode(p["rootHash"])
        got["checkpoint"] = hint_ok and root_ok and verify_sig(rekor_pub, (text + "\n").encode(), raw[4:])
    else:
        got["proof"] = got["checkpoint"] = None
    ts = vm.get("timestampVerificationData", {}).get("rfc3161Timestamps", [])
    if ts:
        tsa = [base64.b64decode(x["rawBytes"]) for x in
               tr["timestampAuthorities"][0]["certChain"]["certificates"]]
        got["tsa"] = ossl("ts", "-verify", "-data", w("sig.bin", sig),
                          "-in", w("ts.tsr", base64.b64decode(ts[0]["signedTimestamp"])),
                          "-CAfile", w("tsa-root.pem", pem(tsa[-1])),
                          "-untrusted", w("tsa-leaf.pem", pem(tsa[0])))
    else:
        got["tsa"] = None
    want = {k: True for k in got}
    if not ts:
        want["tsa"] = None
    want.update(EXPECT.get(c["id"], {}))
    ok = got == want
    bad += not ok
    fmt = lambda v: "ok" if v else ("-" if v is None else "FAIL")
    print(f"{'as expected' if ok else 'UNEXPECTED '} {c['id']}: " + " ".join(f"{k}={fmt(v)}" for k, v in got.items()))
print(f"{len(m['cases'])} cases, {bad} not as expected")
sys.exit(1 if bad else 0)
PY
