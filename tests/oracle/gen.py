"""Random policy sets, admission inputs and inventories for the differential tester."""
import random
import datetime as _dt

DA = 'sha256:e82163ee11ade5d4acfd7675b1f55ec44d737851d4aeaa4742e4c20d87cb5228'
DB = 'sha256:9b1b895437502f7e0868d568f6788e85ab72495116f688b1baf66be0b87b7105'
import hashlib
DC = 'sha256:' + hashlib.sha256(b'c').hexdigest()
D5 = 'sha512:' + 'ab' * 64
DIGESTS = [DA, DB, DC, D5]
import json as _json, os as _os
SIGS = _json.load(open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'sigs', 'table.json')))
# Signed attestations (SPEC 7.3) made by the testkit's `oracle-attest`, by subject digest.
ATTS = _json.load(open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'atts', 'table.json')))
import base64 as _b64
ATTS_BY_DIGEST = {}
for _a in ATTS:
    _st = _json.loads(_b64.b64decode(_a['att']['envelope']['payload']))
    for _sub in _st['subject']:
        for _alg, _hx in _sub['digest'].items():
            ATTS_BY_DIGEST.setdefault(_alg + ':' + _hx, []).append(_a['att'])

# Literals of attestation rules: the values the pool holds (testkit/src/conformance_attest.rs,
# `POOL_*`) and near misses.
ATT_TYPES = ['https://slsa.dev/provenance/v1', 'slsa.dev/provenance/v1', 'https://slsa.dev/provenance/v0.2',
             'slsa.dev/provenance/v0.2', 'https://cosign.sigstore.dev/attestation/vuln/v1',
             'cosign.sigstore.dev/attestation/vuln/v1', 'https://example.com/attestation/review/v1',
             'example.com/attestation/review/v1', 'https://sigstore.dev/cosign/sign/v1', 'https://spdx.dev/Document']
PROV_VALUES = {
    'builder': ['https://github.com/actions/runner/github-hosted', 'https://ci.company.com/builders/linux',
                'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0',
                'https://ci.example.com'],
    'build_type': ['https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
                   'https://ci.company.com/buildtypes/make/v1',
                   'https://github.com/slsa-framework/slsa-github-generator/container@v1', 'https://ci.example.com/v1'],
    'source': ['github.com/company/app', 'github.com/company/lib', 'gitlab.company.com/team/app',
               'git.company.com/team/lib', 'github.com/company/ap', 'https://github.com/company/app'],
    'ref': ['refs/tags/v1.2.3', 'refs/heads/main', 'refs/tags/v2.0.0', 'refs/heads/dev'],
}
PROV_PATTERNS = {
    'builder': ['https://github.com/**', 'https://ci.*/**', '*'],
    'build_type': ['https://**/v1', 'https://ci.company.com/*'],
    'source': ['github.com/company/*', '**/lib', 'gitlab.*/**', 'github.com/*'],
    'ref': ['refs/tags/v*', 'refs/heads/*', 'refs/tags/v1.*'],
}
SCANNERS = ['pkg:github/aquasecurity/trivy@0.58.0', 'pkg:github/anchore/grype@0.80.0', 'trivy']

REGISTRIES = [None, None, None, 'docker.io', 'index.docker.io', 'Index.Docker.IO', 'registry-1.docker.io',
              'registry.company.com', 'registry.company.com', 'Registry.Company.COM', 'mirror.company.com',
              'quay.io', 'QUAY.IO', 'localhost:5000', 'localhost', 'ghcr.io', 'MyRegistry', 'reg.io:443']
REPOS = ['nginx', 'nginx', 'library/nginx', 'alpine', 'team/app', 'app', 'base/debian', 'bitnami/redis',
         'a/b/c', 'team/sub/app', 'debian', 'my-app', 'x__y']
TAGS = [None, None, 'latest', '1.27', '3.19', '3.20', 'v1', '1.2.3', 'Dev_1', '12']
POLICY_NAMES = ['alpha', 'Alpha', 'beta', 'b', 'Zed', 'zed', '\u00e9t\u00e9', 'a b', '_x', 'prod images',
                'base audit', 'p1', 'p10', 'p2', 'Ω', 'A-1']

BASE_TIMES = ['2026-11-22T00:00:00Z', '2026-11-22T02:00:00+02:00', '2026-11-21T19:00:00-05:00',
              '2026-06-30T12:34:56Z']


def fmt_time(ts, rng):
    off = rng.choice([0, 0, 0, 120, -300, 330])
    tz = _dt.timezone(_dt.timedelta(minutes=off))
    t = _dt.datetime.fromtimestamp(ts, tz)
    s = t.strftime('%Y-%m-%dT%H:%M:%S')
    if rng.random() < 0.1:
        s += '.5'
    if off == 0:
        return s + 'Z'
    sign = '+' if off > 0 else '-'
    return s + '%s%02d:%02d' % (sign, abs(off) // 60, abs(off) % 60)


def parse_base_time(s):
    import oracle
    return oracle.parse_time(s)


def gen_ref(rng):
    reg = rng.choice(REGISTRIES)
    repo = rng.choice(REPOS)
    if reg is None and repo == 'library/nginx' and rng.random() < 0.3:
        repo = 'nginx'
    tag = rng.choice(TAGS)
    dig = rng.choice([None, None, DA, DB, DC, D5]) if rng.random() < 0.55 else None
    if rng.random() < 0.25:   # digest-only reference
        tag, dig = None, rng.choice([DA, DB, DC, D5])
    s = (reg + '/' if reg else '') + repo
    if tag:
        s += ':' + tag
    if dig:
        s += '@' + dig
    return s, dig


def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def qlist(xs):
    return '[' + ', '.join(q(x) for x in xs) + ']'


DUR = [('30m', 1800), ('1h', 3600), ('1d', 86400), ('2d', 172800), ('48h', 172800), ('7d', 604800),
       ('1w', 604800), ('14d', 1209600), ('0s', 0), ('90m', 5400)]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.lets = []
        self.uses_keys = False
        self.uses_atts = False
        # A third of the policy sets are mostly about attestations, so that their finer rules
        # (provenance sources and refs, severity counts) decide verdicts often enough to be tested.
        self.att_mode = rng.random() < 0.3

    # ----------------------------------------------------------- trust atoms
    def trust_atom(self):
        r = self.rng
        k = r.randrange(33)
        if k >= 28 or (self.att_mode and r.random() < 0.7):
            return self.attestation_atom()
        if k >= 26:
            self.uses_keys = True
            return r.choice(['signed by release', 'signed by other', 'not signed by release'])
        if k == 22:
            return 'tag %s %s' % (r.choice(['!=', '!=', '==']), q(r.choice(['latest', '1.27', '3.19', 'v1', '12', 'Dev_1'])))
        if k == 23:
            return 'tag in %s' % qlist(r.sample(['3.*', 'latest', 'v1', '1.2.3', '*'], 2))
        if k == 24:
            name = 'pats%d' % len(self.lets)
            self.lets.append('let %s = %s' % (name, qlist(r.sample(['alpine:3.*', 'nginx', 'team/app:v*', 'registry.company.com/**',
                                                                   'quay.io/**@sha256:*', 'debian:1?'], 2))))
            return '%s matches %s' % (r.choice(['image', 'base']), name)
        if k == 25:
            return 'image matches %s' % q(r.choice(['*/*:1.*', '**:latest', 'bitnami/redis:v?', '**@' + DA, 'a/**/c',
                                                    'a/**/b/c', 'team/*/app', 'x__y']))
        if k == 0:
            op = r.choice(['==', '!=', '==', 'in', 'matches', 'matches'])
            if op in ('==', '!='):
                return 'registry %s %s' % (op, q(r.choice(['registry.company.com', 'Registry.Company.com', 'docker.io',
                                                           'quay.io', 'localhost:5000', 'myregistry', 'ghcr.io'])))
            if op == 'in':
                lst = r.sample(['registry.company.com', 'mirror.company.com', 'QUAY.IO', 'docker.io', 'localhost'],
                               r.randint(1, 3))
                if r.random() < 0.3:
                    name = 'regs%d' % len(self.lets)
                    self.lets.append('let %s = %s' % (name, qlist(lst)))
                    return 'registry in %s' % name
                return 'registry in %s' % qlist(lst)
            pats = ['*.company.com', '*.io', 'docker.*', 'localhost*', 'Registry.*', '*', '**', 'quay.io', '?uay.io']
            if r.random() < 0.2:
                return 'registry matches %s' % qlist(r.sample(pats, 2))
            return 'registry matches %s' % q(r.choice(pats))
        if k == 1:
            op = r.choice(['==', '!=', 'in', 'matches', 'matches'])
            if op in ('==', '!='):
                return 'repository %s %s' % (op, q(r.choice(['library/nginx', 'team/app', 'app', 'nginx', 'a/b/c'])))
            if op == 'in':
                return 'repository in %s' % qlist(r.sample(['library/nginx', 'team/app', 'bitnami/redis', 'app',
                                                            'library/alpine'], 2))
            return 'repository matches %s' % q(r.choice(['team/*', 'library/*', '**/app', '*/redis', 'base/**',
                                                         'team/**', '*', '**', 'a/**/c', 'team/**/app', '*/*',
                                                         'lib?ary/*']))
        if k in (2, 3):
            op = r.choice(['==', '!=', 'in', 'matches'])
            if op in ('==', '!='):
                return 'tag %s %s' % (op, q(r.choice(['latest', '1.27', '3.19', 'v1', '12'])))
            if op == 'in':
                return 'tag in %s' % qlist(r.sample(['latest', '1.27', '3.19', 'v1', '1.2.3'], 2))
            return 'tag matches %s' % q(r.choice(['3.*', '1.?', 'v*', '*', '1.*', '?', 'Dev_*']))
        if k == 4:
            op = r.choice(['==', '!=', 'in'])
            if op == 'in':
                return 'digest in %s' % qlist(r.sample(DIGESTS, 2))
            return 'digest %s %s' % (op, q(r.choice(DIGESTS)))
        if k == 5:
            return r.choice(['pinned', 'not pinned'])
        if k == 6:
            return r.choice(['scanned', 'not scanned'])
        if k in (7, 8):
            sev = r.choice(['critical', 'high', 'medium', 'low'])
            op = r.choice(['==', '!=', '<', '<=', '>', '>=', 'in'])
            if op == 'in':
                return 'vulns.%s in [%d, %d]' % (sev, r.randint(0, 2), r.randint(2, 5))
            return 'vulns.%s %s %d' % (sev, op, r.randint(0, 5))
        if k in (9, 10):
            op = r.choice(['<', '<=', '>', '>='])
            d = r.choice(DUR)[0]
            if r.random() < 0.15:
                name = 'maxage%d' % len(self.lets)
                self.lets.append('let %s = %s' % (name, d))
                return 'scan.age %s %s' % (op, name)
            return 'scan.age %s %s' % (op, d)
        if k == 11:
            return 'scan.scanner %s %s' % (r.choice(['==', '!=']), q(r.choice(['trivy', 'grype'])))
        if k == 12:
            key = r.choice(['org.opencontainers.image.source', 'team', 'missing'])
            op = r.choice(['==', '!=', 'in', 'matches'])
            if op == 'in':
                return 'labels[%s] in %s' % (q(key), qlist(['pay', 'https://git.company.com/app', '']))
            if op == 'matches':
                return 'labels[%s] matches %s' % (q(key), q(r.choice(['*', 'https://**', 'pa?'])))
            return 'labels[%s] %s %s' % (q(key), op, q(r.choice(['pay', 'https://git.company.com/app', 'x'])))
        if k in (13, 14):
            op = r.choice(['==', '!=', 'in', 'matches', 'matches'])
            if op in ('==', '!='):
                return 'base %s %s' % (op, q(r.choice(['debian:12', 'debian', 'docker.io/library/debian:latest',
                                                       'registry.company.com/base/debian:12',
                                                       'debian@' + DA, 'alpine:3.19'])))
            if op == 'in':
                return 'base in %s' % qlist(r.sample(['debian:12', 'library/debian', 'registry.company.com/base/debian:12',
                                                      'alpine'], 2))
            return 'base matches %s' % q(r.choice(['registry.company.com/base/**', 'debian', 'debian:1?',
                                                   'docker.io/library/debian:latest', 'debian@' + DA, '*',
                                                   '*/*', 'debian:*', 'registry.company.com/*/*:1*']))
        # image matches
        pats = ['alpine', 'alpine:3.*', 'nginx:latest', 'nginx', 'docker.io/library/nginx:*', 'registry.company.com/**',
                'quay.io/*/*:v*', '*', '*/*', 'team/app@' + DA, 'alpine@sha256:*', 'localhost:5000/**', 'library/*:1.*',
                'registry.company.com/team/app:1.2.3', 'nginx:1.27@' + DB, '*.company.com/**', 'index.docker.io/nginx',
                'myregistry/app', 'Registry.Company.COM/team/*', 'ghcr.io/**:*', '**', 'docker.io/**',
                'team/app:?.*', 'nginx:1.27@sha256:*', 'localhost/**']
        if r.random() < 0.2:
            return 'image matches %s' % qlist(r.sample(pats, r.randint(2, 3)))
        return 'image matches %s' % q(r.choice(pats))

    def attestation_atom(self):
        """SPEC 7.3: attested, provenance, vuln, predicate."""
        r = self.rng
        self.uses_keys = True
        self.uses_atts = True
        key = r.choice(['release', 'release', 'release', 'other'])
        k = r.randrange(6)
        if k == 0:
            atom = 'attested(%s, %s)' % (key, q(r.choice(ATT_TYPES)))
            return ('not ' + atom) if r.random() < 0.15 else atom
        if k in (1, 2):
            field = r.choice(sorted(PROV_VALUES))
            left = 'provenance(%s).%s' % (key, field)
            op = r.choice(['==', '==', '!=', 'in', 'matches'])
            if op == 'in':
                return '%s in %s' % (left, qlist(r.sample(PROV_VALUES[field], 2)))
            if op == 'matches':
                return '%s matches %s' % (left, q(r.choice(PROV_PATTERNS[field])))
            return '%s %s %s' % (left, op, q(r.choice(PROV_VALUES[field])))
        if k == 3:
            sev = r.choice(['critical', 'high', 'medium', 'low'])
            op = r.choice(['==', '!=', '<', '<=', '>', '>=', 'in'])
            if op == 'in':
                return 'vuln(%s).%s in [%d, %d]' % (key, sev, r.randint(0, 1), r.randint(2, 3))
            return 'vuln(%s).%s %s %d' % (key, sev, op, r.randint(0, 3))
        if k == 4:
            if r.random() < 0.3:
                return 'vuln(%s).scanner %s %s' % (key, r.choice(['==', '!=']), q(r.choice(SCANNERS)))
            return 'vuln(%s).scan.age %s %s' % (key, r.choice(['<', '<=', '>', '>=']), r.choice(DUR)[0])
        t = r.choice(['https://example.com/attestation/review/v1', 'example.com/attestation/review/v1',
                      'https://slsa.dev/provenance/v1'])
        if 'review' in t:
            path, vals = r.choice([('reviewer.team', ['security', 'platform']), ('verdict', ['approved', 'rejected']),
                                   ('reviewer.approvals', ['1', '2']), ('reviewer', ['x'])])
        else:
            path, vals = r.choice([('buildDefinition.externalParameters.workflow.ref', PROV_VALUES['ref']),
                                   ('runDetails.builder.id', PROV_VALUES['builder'])])
        left = 'predicate(%s, %s, %s)' % (key, q(t), q(path))
        if r.random() < 0.2:
            return '%s in %s' % (left, qlist(r.sample(vals, min(2, len(vals)))))
        return '%s %s %s' % (left, r.choice(['==', '==', '!=']), q(r.choice(vals)))

    def trust_expr(self, depth=0):
        r = self.rng
        x = r.random()
        if depth >= 2 or x < 0.45:
            return self.trust_atom()
        if x < 0.7:
            return ' and '.join(self.wrap(self.trust_expr(depth + 1)) for _ in range(r.randint(2, 3)))
        if x < 0.9:
            return ' or '.join(self.wrap(self.trust_expr(depth + 1)) for _ in range(r.randint(2, 3)))
        return 'not ' + self.paren(self.trust_expr(depth + 1))

    def wrap(self, s):
        if ' and ' in s or ' or ' in s or self.rng.random() < 0.15:
            return '(' + s + ')'
        return s

    def paren(self, s):
        return '(' + s + ')'

    # ----------------------------------------------------------- scopes
    def scope_atom(self):
        r = self.rng
        k = r.randrange(10)
        if k == 0:
            return 'cluster matches %s' % q(r.choice(['prod-*', 'dev*', '*', '']))
        if k == 1:
            return 'namespace %s %s' % (r.choice(['==', '!=']), q(r.choice(['payments', 'sandbox', ''])))
        if k == 2:
            return 'labels[%s] %s %s' % (q(r.choice(['team', 'tier', 'owner'])), r.choice(['==', '!=', 'matches']),
                                         q(r.choice(['pay', 'back*', '*', ''])))
        if k == 3:
            return 'asset %s %s' % (r.choice(['==', '!=']), r.choice(['workload', 'vm']))
        if k == 4:
            return 'kind in %s' % qlist(r.sample(['Deployment', 'Pod', 'StatefulSet', ''], 2))
        if k == 5:
            return 'cloud == %s' % q(r.choice(['aws', 'gcp', '']))
        if k == 6:
            return 'name matches %s' % q(r.choice(['ap?', 'api*', '*']))
        if k == 7:
            return 'cluster == %s' % q(r.choice(['prod-eu-1', 'dev', '']))
        if k == 8:
            return 'labels[%s] in %s' % (q(r.choice(['team', 'owner'])), qlist(['pay', 'ops', '']))
        return 'namespace matches %s' % q(r.choice(['pay*', 's?ndbox', '*']))

    def scope_expr(self, depth=0):
        r = self.rng
        x = r.random()
        if depth >= 1 or x < 0.6:
            return self.scope_atom()
        if x < 0.8:
            return ' and '.join(self.wrap(self.scope_expr(depth + 1)) for _ in range(2))
        if x < 0.93:
            return ' or '.join(self.wrap(self.scope_expr(depth + 1)) for _ in range(2))
        return 'not (' + self.scope_expr(depth + 1) + ')'

    # ----------------------------------------------------------- policy set
    def policy_set(self):
        r = self.rng
        n = r.randint(2, 5)
        names = r.sample(POLICY_NAMES, n)
        pols = []
        scopes = []
        if r.random() < 0.25:
            scopes.append(('prodscope', self.scope_expr()))
        for name in names:
            action = r.choice(['prevent', 'prevent', 'issue'])
            lines = []
            clauses = ['action %s' % action]
            if action == 'prevent' and r.random() < 0.5:
                clauses.append('on unknown %s' % r.choice(['prevent', 'issue']))
            if r.random() < 0.45:
                if scopes and r.random() < 0.4:
                    s = r.choice(['prodscope', 'not prodscope', 'prodscope and ' + self.wrap(self.scope_atom())])
                else:
                    s = self.scope_expr()
                clauses.append('scope ' + s)
            nrules = r.choice([0, 1, 1, 1, 2, 2, 3]) if r.random() < 0.97 else 0
            for _ in range(nrules):
                clauses.append('trust ' + self.trust_expr())
            if r.random() < 0.1:
                clauses.append('description "d"')
            r.shuffle(clauses)
            pols.append('policy %s {\n  %s\n}\n' % (q(name), '\n  '.join(clauses)))
        keys = ['key release = file("release.pub")', 'key other = file("other.pub")'] if self.uses_keys else []
        head = '\n'.join(keys + self.lets + ['scope %s = %s' % s for s in scopes])
        return head + '\n\n' + '\n'.join(pols)

    # ----------------------------------------------------------- inputs
    def asset(self):
        r = self.rng
        a = {}
        if r.random() < 0.8:
            a['type'] = r.choice(['workload', 'workload', 'vm'])
        for f, vals in (('cloud', ['aws', 'gcp', '']), ('cluster', ['prod-eu-1', 'prod-us', 'dev', '']),
                        ('namespace', ['payments', 'sandbox', '']), ('kind', ['Deployment', 'Pod', 'StatefulSet']),
                        ('name', ['api', 'app', 'api-2', 'web'])):
            if r.random() < 0.85:
                a[f] = r.choice(vals)
        if r.random() < 0.6:
            a['labels'] = {k: r.choice(['pay', 'ops', 'backend', '']) for k in r.sample(['team', 'tier', 'x'], r.randint(0, 2))}
        return a

    def facts(self, ref_digest, now):
        r = self.rng
        if r.random() < (0.12 if self.uses_atts else 0.25):
            return None
        f = {}
        if r.random() < 0.3:
            f['digest'] = ref_digest if ref_digest else r.choice(DIGESTS)
        if r.random() < (0.7 if ref_digest else 0.2):
            f['tags'] = r.sample(['latest', '1.27', '3.19', 'v1', '1.2.3', '12'], r.choice([0, 1, 1, 2, 2, 3]))
        if r.random() < 0.35:
            f['base'] = r.choice(['debian:12', 'debian', 'registry.company.com/base/debian:12', 'debian@' + DA,
                                  'Registry.Company.COM/base/alpine:3.19', 'alpine:3.19@' + DB,
                                  'index.docker.io/library/debian:latest', 'base2'])
        if r.random() < 0.5:
            f['scanned'] = r.random() < 0.7
        if r.random() < 0.55:
            scan = {}
            if r.random() < 0.6:
                scan['scanner'] = r.choice(['trivy', 'grype'])
            if r.random() < 0.7:
                d = r.choice(DUR)[1] + r.choice([-1, 0, 1, 0, 3600 * 5, -86400])
                if r.random() < 0.2:
                    d = -r.randint(1, 86400)  # in the future
                scan['finished_at'] = fmt_time(now - d, r)
            if r.random() < 0.7:
                scan['vulnerabilities'] = {k: r.randint(0, 4) for k in r.sample(['critical', 'high', 'medium', 'low'],
                                                                               r.randint(0, 4))}
            f['scan'] = scan
        if r.random() < 0.35:
            f['labels'] = {k: r.choice(['pay', 'https://git.company.com/app', 'x'])
                           for k in r.sample(['org.opencontainers.image.source', 'team'], r.randint(0, 2))}
        if r.random() < 0.4:
            f['signatures'] = [e['sig'] for e in r.sample(SIGS, r.choice([0, 1, 1, 2, 3]))]
        if r.random() < (0.75 if self.uses_atts else 0.3):
            if not ref_digest and 'digest' not in f and r.random() < 0.5:
                f['digest'] = r.choice(DIGESTS)
            d = ref_digest or f.get('digest') or r.choice(DIGESTS)
            mine = ATTS_BY_DIGEST.get(d, [])
            f['attestations'] = [r.choice(mine) if mine and r.random() < 0.75 else r.choice(ATTS)['att']
                                 for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4]))]
        for k in list(f):
            if r.random() < 0.04:
                f[k] = None
        return f

    def images(self, now, n):
        out = []
        for _ in range(n):
            s, dig = gen_ref(self.rng)
            im = {'ref': s}
            f = self.facts(dig, now)
            if f is not None:
                im['facts'] = f
            out.append(im)
        return out


def move_to_facts_doc(rng, all_images):
    """Move some inline facts to a facts document, keyed in various ways."""
    import oracle
    doc = {}
    used = set()
    for im in all_images:
        if 'facts' not in im or rng.random() < 0.4:
            continue
        ref = oracle.parse_ref(im['ref'])
        f = im['facts']
        choices = ['printed', 'written']
        if ref.digest:
            choices += ['digest', 'digest']
        if ref.digest and ref.tag:
            choices += ['nodigest']
        if not ref.digest and isinstance(f.get('digest'), str):
            choices += ['factdigest']
        how = rng.choice(choices)
        if how == 'printed':
            key = ref.printed()
        elif how == 'written':
            key = im['ref']
        elif how == 'digest':
            key = ref.digest
        elif how == 'factdigest':
            key = f['digest']
        else:
            key = ref.without_digest().printed()
        nk = key if key.startswith('sha') else oracle.parse_ref(key).printed()
        if nk in used:
            continue
        # a digest-carrying key must agree with the entry's digest
        kd = key if key.startswith('sha') else oracle.parse_ref(key).digest
        if kd and isinstance(f.get('digest'), str) and f['digest'] != kd:
            continue
        used.add(nk)
        doc[key] = f
        del im['facts']
    # decoys: a `REPO:latest` entry for a digest-only reference
    for im in all_images:
        ref = oracle.parse_ref(im['ref'])
        if ref.digest and not ref.tag and rng.random() < 0.6:
            key = ref.registry + '/' + ref.repository + ':latest'
            if key not in used:
                used.add(key)
                doc[key] = {'scanned': True, 'tags': ['latest'], 'labels': {}}
    if not doc:
        return None
    return {'images': doc}


def gen_case(seed):
    rng = random.Random(seed)
    g = Gen(rng)
    policy = g.policy_set()
    t = rng.choice(BASE_TIMES)
    import oracle
    now = oracle.parse_time(t)
    inp = {'time': t, 'asset': g.asset(), 'images': g.images(now, rng.randint(1, 3))}
    if rng.random() < 0.1:
        del inp['asset']
    assets = []
    for _ in range(rng.randint(1, 3)):
        a = g.asset()
        a['images'] = g.images(now, rng.randint(1, 3))
        assets.append(a)
    inv = {'time': t, 'assets': assets}
    facts_doc = None
    if rng.random() < 0.5:
        facts_doc = move_to_facts_doc(rng, inp['images'] + [im for a in assets for im in a['images']])
    return {'seed': seed, 'policy': policy, 'input': inp, 'inventory': inv, 'facts': facts_doc,
            'fail': rng.random() < 0.2}
