#!/usr/bin/env python3
"""The expected facts of Trivy reports, written from docs/choices.md ("Facts from Trivy")
without looking at Bona's implementation: an oracle for tests/trivy/cases/*/expect.json.

Usage: expect.py REPORT.json... > expect.json   (only for reports Bona accepts)
"""
import datetime
import json
import sys

RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}


def normalise(ref):
    """registry/repository[:tag] the Docker way (enough for the corpus: no digests here)."""
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", ref
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    name, _, tag = path.rpartition(":") if ":" in path else (path, "", "latest")
    if registry == "docker.io" and "/" not in name:
        name = "library/" + name
    return f"{registry}/{name}", tag


def created(report):
    text = report.get("CreatedAt")
    if text is None:
        return None
    # Whole seconds, as Bona compares them.
    text = text.replace("Z", "+00:00")
    main, _, rest = text.partition(".")
    if rest:
        offset = rest[next(i for i, c in enumerate(rest) if c in "+-"):]
        text = main + offset
    return datetime.datetime.fromisoformat(text).timestamp()


def entries(report):
    meta = report.get("Metadata") or {}
    worst = {}
    for result in report.get("Results") or []:
        for v in result.get("Vulnerabilities") or []:
            key = (v["VulnerabilityID"], v.get("PkgName") or "")
            worst[key] = max(worst.get(key, 0), RANK.get(v["Severity"].upper(), 0))
    counts = {name.lower(): sum(1 for r in worst.values() if r == rank) for name, rank in RANK.items()}
    facts = {"scanned": True, "scan": {"scanner": "trivy", "vulnerabilities": counts}}
    if "CreatedAt" in report:
        facts["scan"]["finished_at"] = report["CreatedAt"]
    config = meta.get("ImageConfig")
    if config is not None:
        facts["labels"] = (config.get("config") or {}).get("Labels") or {}
    tags = sorted({normalise(t)[1] for t in meta.get("RepoTags") or []})
    if tags:
        facts["tags"] = tags
    digests = {}
    for rd in meta.get("RepoDigests") or []:
        name, _, digest = rd.partition("@")
        digests.setdefault(digest, set()).add(normalise(name)[0])
    out = {}
    for digest in digests:
        out[digest] = dict(facts, digest=digest)
    for t in meta.get("RepoTags") or []:
        name, tag = normalise(t)
        own = [d for d, names in digests.items() if name in names]
        entry = dict(facts)
        if len(own) == 1:
            entry["digest"] = own[0]
        elif len(digests) == 1:
            entry["digest"] = next(iter(digests))
        out[f"{name}:{tag}"] = entry
    return out


def main():
    winners = {}
    for index, path in enumerate(sys.argv[1:]):
        with open(path) as f:
            report = json.load(f)
        when = created(report)
        for key, entry in entries(report).items():
            rank = (when is not None, when or 0, index)
            if key not in winners or rank >= winners[key][0]:
                winners[key] = (rank, entry)
    doc = {"images": {k: e for k, (_, e) in winners.items()}}
    print(json.dumps(doc, indent=2, sort_keys=True))


main()
