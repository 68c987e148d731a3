"""Keyed DSSE attestations made by an independent implementation, for cli/tests/dsse_python.rs.

    python attest.py OUT_DIR IMAGE_DIGEST_HEX TRIVY_REPORT.json

in-toto-attestation builds the statements (v1, validated against its protobufs) and
securesystemslib signs them as DSSE envelopes with three kinds of key (ECDSA P-256, Ed25519 and
RSA-PSS, as securesystemslib's CryptoSigner makes them). Writes, in OUT_DIR:

  <key>.pub.pem                      the public keys (SubjectPublicKeyInfo PEM)
  <name>.json                        {"envelope": <DSSE envelope>} facts entries
  manifest.json                      what each entry is, which key signed it, and what
                                     securesystemslib's own verification says of it

Every envelope is verified here with securesystemslib before it is written, and every
tampered one is checked to fail, so Bona's verdicts are compared with another verifier's.
"""
import base64, copy, json, os, sys

from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner
from cryptography.hazmat.primitives import serialization as ser

IN_TOTO = "application/vnd.in-toto+json"


def statement(digest, predicate_type, predicate):
    s = Statement(
        [ResourceDescriptor(name="registry.company.com/app", digest={"sha256": digest}).pb],
        predicate_type,
        predicate,
    )
    s.validate()
    return json_format.MessageToJson(s.pb, indent=None).encode()


def provenance_v1(ref):
    pred = json_format.ParseDict({
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": {"workflow": {
                "ref": ref, "repository": "https://github.com/company/app",
                "path": ".github/workflows/release.yml"}},
            "resolvedDependencies": [{"uri": f"git+https://github.com/company/app@{ref}",
                                      "digest": {"gitCommit": "a" * 40}}]},
        "runDetails": {
            "builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"},
            "metadata": {"invocationId": "https://github.com/company/app/actions/runs/1/attempts/1"}},
    }, provenance_pb2.Provenance())
    return json_format.MessageToDict(pred)


def provenance_v02():
    # SLSA v0.2 has no protobuf in in-toto-attestation; its shape is the SLSA specification's.
    return {
        "builder": {"id": "https://cloudbuild.googleapis.com/GoogleHostedWorker"},
        "buildType": "https://cloudbuild.googleapis.com/CloudBuildYaml@v0.1",
        "invocation": {"configSource": {
            "uri": "git+https://gitlab.company.com/platform/app.git@refs/tags/v2.0.1",
            "digest": {"sha1": "b" * 40}, "entryPoint": "cloudbuild.yaml"}},
        "materials": [{"uri": "git+https://gitlab.company.com/platform/app.git@refs/tags/v2.0.1",
                       "digest": {"sha1": "b" * 40}}],
    }


def vuln(report):
    return {
        "invocation": {"parameters": None, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.1", "version": "0.58.1",
                    "db": {"uri": "", "version": ""}, "result": report},
        "metadata": {"scanStartedOn": report["CreatedAt"], "scanFinishedOn": report["CreatedAt"]},
    }


def sign(signer, payload):
    env = Envelope(payload=payload, payload_type=IN_TOTO, signatures={})
    env.sign(signer)
    return env


def verifies(env, signer):
    try:
        env.verify([signer.public_key], 1)
        return True
    except Exception:
        return False


def main():
    out, digest, report_path = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    report = json.load(open(report_path))
    signers = {
        "p256": CryptoSigner.generate_ecdsa(),
        "ed25519": CryptoSigner.generate_ed25519(),
        "rsa": CryptoSigner.generate_rsa(),
    }
    for name, signer in signers.items():
        pub = signer._private_key.public_key().public_bytes(
            ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
        open(os.path.join(out, f"{name}.pub.pem"), "wb").write(pub)

    other = "0" * 64
    entries = {
        # name: (key, payload)
        "provenance-v1": ("p256", statement(digest, "https://slsa.dev/provenance/v1",
                                            provenance_v1("refs/tags/v1.4.0"))),
        "provenance-v02": ("ed25519", statement(digest, "https://slsa.dev/provenance/v0.2",
                                                provenance_v02())),
        "vuln": ("rsa", statement(digest, "https://cosign.sigstore.dev/attestation/vuln/v1",
                                  vuln(report))),
        "provenance-other-image": ("p256", statement(other, "https://slsa.dev/provenance/v1",
                                                     provenance_v1("refs/tags/v1.4.0"))),
    }
    manifest = {}
    for name, (key, payload) in entries.items():
        env = sign(signers[key], payload)
        assert verifies(env, signers[key]), name
        doc = env.to_dict()
        json.dump({"envelope": doc}, open(os.path.join(out, f"{name}.json"), "w"))
        manifest[name] = {"key": key, "securesystemslib": True}
        # The same envelope with one byte of the payload changed: securesystemslib must reject it.
        bad = copy.deepcopy(doc)
        raw = bytearray(base64.b64decode(bad["payload"]))
        raw[raw.index(b'"predicateType"') + 3] ^= 0x01
        bad["payload"] = base64.b64encode(bytes(raw)).decode()
        # from_dict consumes what it reads: give it a copy.
        assert not verifies(Envelope.from_dict(copy.deepcopy(bad)), signers[key]), name
        json.dump({"envelope": bad}, open(os.path.join(out, f"{name}-tampered.json"), "w"))
        manifest[f"{name}-tampered"] = {"key": key, "securesystemslib": False}
    json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=2)


main()
