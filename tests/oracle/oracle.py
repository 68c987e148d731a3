"""Independent oracle of Bona's decision semantics, written from /work/shared/SPEC.md.

Usage as a library: oracle_eval(policy_texts, input_doc, facts_doc=None) -> (exit, json)
                    oracle_audit(policy_texts, inventory_doc, facts_doc=None) -> (exit, json)
"""
import re
import datetime as _dt

# ---------------------------------------------------------------- errors


class BadInput(Exception):
    pass


class CompileError(Exception):
    pass


# ---------------------------------------------------------------- references (SPEC 3.1, 4.5)

DIGEST_RE = re.compile(r'^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$')
TAG_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')
PATH_COMP_RE = re.compile(r'^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$')
DOMAIN_COMP_RE = re.compile(r'^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$')
HUB_ALIASES = {'index.docker.io', 'registry-1.docker.io', 'docker.io'}


class Ref:
    __slots__ = ('registry', 'repository', 'tag', 'digest')

    def __init__(self, registry, repository, tag, digest):
        self.registry, self.repository, self.tag, self.digest = registry, repository, tag, digest

    def printed(self):
        s = self.registry + '/' + self.repository
        if self.tag is not None:
            s += ':' + self.tag
        if self.digest is not None:
            s += '@' + self.digest
        if self.tag is None and self.digest is None:
            s += ':latest'
        return s

    def without_digest(self):
        return Ref(self.registry, self.repository, self.tag, None)

    def __repr__(self):
        return 'Ref(%s)' % self.printed()


def _is_registry_component(c):
    return '.' in c or ':' in c or c == 'localhost' or any(ch.isupper() for ch in c)


def parse_ref(s):
    """Parse a Docker reference; raises BadInput."""
    if not s:
        raise BadInput('empty reference')
    if re.fullmatch(r'[0-9a-f]{64}', s):
        raise BadInput('image id')
    digest = None
    if '@' in s:
        s, digest = s.split('@', 1)
        if not DIGEST_RE.match(digest):
            raise BadInput('bad digest')
    # tag: ':' after the last '/'
    tag = None
    last_slash = s.rfind('/')
    colon = s.rfind(':')
    if colon > last_slash:
        s, tag = s[:colon], s[colon + 1:]
        if not TAG_RE.match(tag):
            raise BadInput('bad tag')
    comps = s.split('/')
    registry = None
    if len(comps) > 1 and _is_registry_component(comps[0]):
        registry = comps[0]
        comps = comps[1:]
        m = re.fullmatch(r'(\[[0-9A-Fa-f:]+\]|[^:]*)(?::([0-9]+))?', registry)
        if not m:
            raise BadInput('bad registry/port')
        host = m.group(1)
        if not host.startswith('['):
            for dc in host.split('.'):
                if not DOMAIN_COMP_RE.match(dc):
                    raise BadInput('bad registry')
        registry = registry.lower()
        if registry in HUB_ALIASES:
            registry = 'docker.io'
    else:
        registry = 'docker.io'
    for c in comps:
        if not PATH_COMP_RE.match(c):
            raise BadInput('bad path component %r' % c)
    if registry == 'docker.io' and len(comps) == 1:
        comps = ['library'] + comps
    repo = '/'.join(comps)
    if len(registry) + 1 + len(repo) > 255:
        raise BadInput('name too long')
    return Ref(registry, repo, tag, digest)


# ---------------------------------------------------------------- globs (SPEC 3.2, 4.5)

_glob_cache = {}


def glob_match(pat, s):
    rx = _glob_cache.get(pat)
    if rx is None:
        out = []
        i = 0
        while i < len(pat):
            c = pat[i]
            if c == '*':
                if i + 1 < len(pat) and pat[i + 1] == '*':
                    if i + 2 < len(pat) and pat[i + 2] == '*':
                        raise CompileError('***')
                    out.append('.*')
                    i += 2
                    continue
                out.append('[^/]*')
            elif c == '?':
                out.append('[^/]')
            else:
                out.append(re.escape(c))
            i += 1
        rx = re.compile('(?s)' + ''.join(out))
        _glob_cache[pat] = rx
    return rx.fullmatch(s) is not None


class RefPattern:
    """A reference pattern, normalised like a reference."""

    def __init__(self, text):
        s = text
        digest = None
        if '@' in s:
            s, digest = s.split('@', 1)
        tag = None
        last_slash = s.rfind('/')
        colon = s.rfind(':')
        if colon > last_slash:
            s, tag = s[:colon], s[colon + 1:]
        comps = s.split('/')
        if len(comps) > 1 and _is_registry_component(comps[0]):
            reg = comps[0].lower()
            if reg in HUB_ALIASES:
                reg = 'docker.io'
            comps = comps[1:]
        else:
            reg = 'docker.io'
        if reg == 'docker.io' and len(comps) == 1:
            comps = ['library'] + comps
        self.registry = reg
        self.repository = '/'.join(comps)
        self.tag = tag
        self.digest = digest


# ---------------------------------------------------------------- three-valued logic

def k_and(vals):
    res = True
    for v in vals:
        if v is False:
            return False
        if v is None:
            res = None
    return res


def k_or(vals):
    res = False
    for v in vals:
        if v is True:
            return True
        if v is None:
            res = None
    return res


def k_not(v):
    return None if v is None else (not v)


# ---------------------------------------------------------------- lexer / parser (SPEC 2)

KEYWORDS = {'policy', 'let', 'key', 'scope', 'test', 'action', 'on', 'unknown', 'prevent', 'issue',
            'trust', 'and', 'or', 'not', 'in', 'matches', 'signed', 'by', 'true', 'false',
            'description'}
DUR_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def lex(text):
    toks = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in ' \t\r\n':
            i += 1
        elif c == '#':
            while i < n and text[i] != '\n':
                i += 1
        elif c == '"':
            i += 1
            buf = []
            while True:
                if i >= n or text[i] == '\n':
                    raise CompileError('unterminated string')
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch == '\\':
                    e = text[i + 1]
                    if e == 'n':
                        buf.append('\n'); i += 2
                    elif e == 't':
                        buf.append('\t'); i += 2
                    elif e in '"\\':
                        buf.append(e); i += 2
                    elif e == 'u':
                        j = text.index('}', i)
                        buf.append(chr(int(text[i + 3:j], 16)))
                        i = j + 1
                    else:
                        raise CompileError('bad escape')
                else:
                    buf.append(ch)
                    i += 1
            toks.append(('str', ''.join(buf)))
        elif c.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            num = int(text[i:j])
            if j < n and text[j] in DUR_UNITS and not (j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == '_')):
                toks.append(('dur', num * DUR_UNITS[text[j]]))
                j += 1
            else:
                toks.append(('int', num))
            i = j
        elif c.isalpha() or c == '_':
            j = i
            while j < n and (text[j].isalnum() or text[j] == '_'):
                j += 1
            w = text[i:j]
            toks.append(('kw' if w in KEYWORDS else 'id', w))
            i = j
        else:
            for op in ('==', '!=', '<=', '>=', '<', '>', '{', '}', '(', ')', '[', ']', ',', '=', '.'):
                if text.startswith(op, i):
                    toks.append(('op', op))
                    i += len(op)
                    break
            else:
                raise CompileError('unexpected character %r' % c)
    toks.append(('eof', None))
    return toks


# AST nodes: ('or', [..]) ('and', [..]) ('not', x) ('cmp', attr, op, operand) ('attr', attr)
# ('name', id) ('lit', value)  attr is a string such as 'registry', 'vulns.critical', ('labels', k)

ATT_FUNCS = {'attested': (2, 0), 'provenance': (1, 1), 'vuln': (1, None), 'predicate': (3, 0)}
PROVENANCE_FIELDS = {'builder', 'build_type', 'source', 'ref'}
VULN_FIELDS = {('scanner',), ('scan', 'age'), ('critical',), ('high',), ('medium',), ('low',)}

ATTRS = {'asset', 'cloud', 'cluster', 'namespace', 'kind', 'name', 'labels', 'image', 'registry',
         'repository', 'pinned', 'tag', 'digest', 'base', 'scanned', 'scan', 'vulns'}


class Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k]

    def next(self):
        tok = self.t[self.i]
        self.i += 1
        return tok

    def expect(self, kind, val=None):
        tok = self.next()
        if tok[0] != kind or (val is not None and tok[1] != val):
            raise CompileError('expected %s %s, got %r' % (kind, val, tok))
        return tok

    def at(self, kind, val=None):
        tok = self.peek()
        return tok[0] == kind and (val is None or tok[1] == val)

    def items(self):
        out = []
        while not self.at('eof'):
            tok = self.next()
            if tok == ('kw', 'let'):
                name = self.expect('id')[1]
                self.expect('op', '=')
                out.append(('let', name, self.expr()))
            elif tok == ('kw', 'scope'):
                name = self.expect('id')[1]
                self.expect('op', '=')
                out.append(('scope', name, self.expr()))
            elif tok == ('kw', 'key'):
                name = self.expect('id')[1]
                self.expect('op', '=')
                fn = self.expect('id')[1]
                self.expect('op', '(')
                arg = self.expect('str')[1]
                self.expect('op', ')')
                if fn != 'file':
                    raise CompileError('only file() keys are supported by the oracle')
                out.append(('key', name, arg.rsplit('/', 1)[-1].rsplit('.', 1)[0]))
            elif tok == ('kw', 'policy'):
                name = self.expect('str')[1]
                self.expect('op', '{')
                pol = {'name': name, 'action': None, 'on_unknown': None, 'scope': None, 'rules': []}
                while not self.at('op', '}'):
                    c = self.next()
                    if c == ('kw', 'action'):
                        a = self.next()
                        if a not in (('kw', 'prevent'), ('kw', 'issue')):
                            raise CompileError('bad action')
                        if pol['action'] is not None:
                            raise CompileError('action twice')
                        pol['action'] = a[1]
                    elif c == ('kw', 'on'):
                        self.expect('kw', 'unknown')
                        a = self.next()
                        if a not in (('kw', 'prevent'), ('kw', 'issue')):
                            raise CompileError('bad on unknown')
                        if pol['on_unknown'] is not None:
                            raise CompileError('on unknown twice')
                        pol['on_unknown'] = a[1]
                    elif c == ('kw', 'scope'):
                        if pol['scope'] is not None:
                            raise CompileError('scope twice')
                        pol['scope'] = self.expr()
                    elif c == ('kw', 'trust'):
                        pol['rules'].append(self.expr())
                    elif c == ('kw', 'description'):
                        self.expect('str')
                    else:
                        raise CompileError('unexpected %r in policy' % (c,))
                self.expect('op', '}')
                if pol['action'] is None:
                    raise CompileError('missing action')
                if pol['action'] == 'issue' and pol['on_unknown'] is not None:
                    raise CompileError('on unknown on issue policy')
                out.append(('policy', pol))
            else:
                raise CompileError('unsupported item %r' % (tok,))
        return out

    def chain(self, word, operand):
        """`operand (word operand)*` as one n-ary node (`or`, `and`)."""
        parts = [operand()]
        while self.at('kw', word):
            self.next()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (word, parts)

    def expr(self):
        return self.chain('or', self.and_)

    def and_(self):
        return self.chain('and', self.not_)

    def not_(self):
        if self.at('kw', 'not'):
            self.next()
            return ('not', self.not_())
        return self.cmp()

    def cmp(self):
        if self.at('op', '('):
            self.next()
            e = self.expr()
            self.expect('op', ')')
            return e
        if self.at('kw', 'signed'):
            self.next()
            self.expect('kw', 'by')
            return ('signed', self.expect('id')[1])
        left = self.operand()
        tok = self.peek()
        if tok[0] == 'op' and tok[1] in ('==', '!=', '<', '<=', '>', '>='):
            self.next()
            return ('cmp', left, tok[1], self.operand())
        if tok in (('kw', 'in'), ('kw', 'matches')):
            self.next()
            return ('cmp', left, tok[1], self.operand())
        return ('bare', left)

    def operand(self):
        tok = self.next()
        if tok[0] == 'str':
            return ('lit', tok[1])
        if tok[0] in ('int', 'dur'):
            return ('lit', (tok[0], tok[1]))
        if tok == ('kw', 'true'):
            return ('lit', True)
        if tok == ('kw', 'false'):
            return ('lit', False)
        if tok == ('op', '['):
            elems = []
            while not self.at('op', ']'):
                elems.append(self.operand())
                if self.at('op', ','):
                    self.next()
                else:
                    break
            self.expect('op', ']')
            return ('list', elems)
        if tok[0] == 'id':
            w = tok[1]
            if w in ATT_FUNCS and self.at('op', '('):
                # SPEC 7.3: attested(K, "T"), provenance(K).f, vuln(K).f[.g], predicate(K, "T", "a.b")
                self.next()
                args = []
                while not self.at('op', ')'):
                    a = self.next()
                    if a[0] not in ('id', 'str'):
                        raise CompileError('bad argument %r' % (a,))
                    args.append(a)
                    if self.at('op', ','):
                        self.next()
                    else:
                        break
                self.expect('op', ')')
                fields = []
                while self.at('op', '.'):
                    self.next()
                    fields.append(self.expect('id')[1])
                return ('attr', ('att', w, tuple(args), tuple(fields)))
            if w == 'labels' and self.at('op', '['):
                self.next()
                k = self.expect('str')[1]
                self.expect('op', ']')
                return ('attr', ('labels', k))
            if w in ('scan', 'vulns') and self.at('op', '.'):
                self.next()
                sub = self.expect('id')[1]
                return ('attr', w + '.' + sub)
            if w in ATTRS:
                return ('attr', w)
            return ('name', w)
        raise CompileError('bad operand %r' % (tok,))


# ---------------------------------------------------------------- compilation (resolve names)

def compile_policies(texts):
    items = []
    for t in texts:
        items.extend(Parser(lex(t)).items())
    lets, scopes, policies = {}, {}, {}
    keys = {}
    for it in items:
        if it[0] == 'key':
            if it[1] in keys or it[1] in lets:
                raise CompileError('duplicate name')
            keys[it[1]] = it[2]
        elif it[0] == 'let':
            if it[1] in lets or it[1] in scopes:
                raise CompileError('duplicate name')
            lets[it[1]] = it[2]
        elif it[0] == 'scope':
            if it[1] in lets or it[1] in scopes:
                raise CompileError('duplicate name')
            scopes[it[1]] = it[2]
        else:
            p = it[1]
            if p['name'] in policies:
                raise CompileError('duplicate policy')
            policies[p['name']] = p

    def const(node, depth=0):
        if depth > 50:
            raise CompileError('let cycle')
        if node[0] == 'bare':
            return const(node[1], depth + 1)
        if node[0] == 'lit':
            return node[1]
        if node[0] == 'list':
            return [const(e, depth + 1) for e in node[1]]
        if node[0] == 'name':
            if node[1] not in lets:
                raise CompileError('unknown constant %s' % node[1])
            return const(lets[node[1]], depth + 1)
        raise CompileError('not a constant')

    def resolve_att(attr, side):
        """('att', func, key file stem, string arguments, fields, op, value)."""
        _, func, args, fields = attr
        if side != 'trust':
            raise CompileError('attestation attributes are image attributes')
        nargs, _ = ATT_FUNCS[func]
        if len(args) != nargs or args[0][0] != 'id' or any(a[0] != 'str' for a in args[1:]):
            raise CompileError('bad arguments to %s' % func)
        if args[0][1] not in keys:
            raise CompileError('unknown key')
        if func == 'provenance' and (len(fields) != 1 or fields[0] not in PROVENANCE_FIELDS):
            raise CompileError('bad provenance field')
        if func == 'vuln' and tuple(fields) not in VULN_FIELDS:
            raise CompileError('bad vuln field')
        if func in ('attested', 'predicate') and fields:
            raise CompileError('no fields after %s' % func)
        return ('att', func, keys[args[0][1]], tuple(a[1] for a in args[1:]), tuple(fields), None, None)

    def resolve(e, side):
        k = e[0]
        if k in ('or', 'and'):
            return (k, [resolve(x, side) for x in e[1]])
        if k == 'not':
            return ('not', resolve(e[1], side))
        if k == 'signed':
            if e[1] not in keys:
                raise CompileError('unknown key')
            return ('signed', keys[e[1]])
        if k == 'bare':
            op = e[1]
            if op[0] == 'attr' and isinstance(op[1], tuple) and op[1][0] == 'att':
                node = resolve_att(op[1], side)
                if node[1] != 'attested':
                    raise CompileError('%s is not a condition' % node[1])
                return node
            if op[0] == 'name' and side == 'scope' and op[1] in scopes:
                return resolve(scopes[op[1]], side)
            if op[0] == 'attr':
                return ('bool', op[1])
            if op[0] == 'lit' and isinstance(op[1], bool):
                return ('const', op[1])
            if op[0] == 'name' and op[1] in lets:
                v = const(op)
                if isinstance(v, bool):
                    return ('const', v)
            raise CompileError('bad bare operand %r' % (op,))
        if k == 'cmp':
            _, left, op, right = e
            if left[0] != 'attr':
                raise CompileError('attribute must be on the left')
            attr = left[1]
            if isinstance(attr, tuple) and attr[0] == 'att':
                node = resolve_att(attr, side)
                if node[1] == 'attested':
                    raise CompileError('attested is a condition')
                return node[:5] + (op, const(right))
            if attr == 'asset' and right[0] == 'name' and right[1] in ('workload', 'vm'):
                val = right[1]
            else:
                val = const(right)
            return ('cmp', attr, op, val)
        raise CompileError('bad expression %r' % (e,))

    out = []
    for name, p in policies.items():
        q = dict(p)
        q['scope'] = resolve(p['scope'], 'scope') if p['scope'] is not None else None
        q['rules'] = [resolve(r, 'trust') for r in p['rules']]
        if q['action'] == 'prevent' and q['on_unknown'] is None:
            q['on_unknown'] = 'issue'
        out.append(q)
    out.sort(key=lambda p: p['name'])   # code-point order
    return out


# ---------------------------------------------------------------- time

def parse_time(s):
    if not isinstance(s, str):
        raise BadInput('time not a string')
    m = re.fullmatch(r'(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)', s)
    if not m:
        raise BadInput('bad time %r' % s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    extra = 0
    if se == 60:
        se = 59
        extra = 1
    off = m.group(8)
    if off in ('Z', 'z'):
        tz = _dt.timezone.utc
    else:
        sign = 1 if off[0] == '+' else -1
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
    t = _dt.datetime(y, mo, d, h, mi, se, tzinfo=tz)
    return int(t.timestamp()) + extra


# ---------------------------------------------------------------- facts (SPEC 3.3, 4.5)

def nonnull(d, k):
    if not isinstance(d, dict):
        return None
    return d.get(k)


class Image:
    def __init__(self, ref, facts, now):
        self.ref = ref
        self.facts = facts  # dict or None (no entry)
        f = facts if isinstance(facts, dict) else None
        self.has_entry = f is not None
        self.registry = ref.registry
        self.repository = ref.repository
        self.pinned = ref.digest is not None
        # tag
        if ref.tag is not None:
            self.tags = [ref.tag]
        elif ref.digest is None:
            self.tags = ['latest']
        else:
            t = nonnull(f, 'tags')
            self.tags = list(t) if t is not None else None
        # digest
        if ref.digest is not None:
            self.digest = ref.digest
        else:
            self.digest = nonnull(f, 'digest')
        b = nonnull(f, 'base')
        self.base = parse_ref(b) if b is not None else None
        self.scanned = nonnull(f, 'scanned')
        scan = nonnull(f, 'scan')
        self.scanner = nonnull(scan, 'scanner')
        fin = nonnull(scan, 'finished_at')
        if fin is not None:
            self.scan_age = max(0, now - parse_time(fin))
        else:
            self.scan_age = None
        vul = nonnull(scan, 'vulnerabilities')
        self.vulns = {k: nonnull(vul, k) for k in ('critical', 'high', 'medium', 'low')}
        lab = nonnull(f, 'labels')
        self.labels = dict(lab) if lab is not None else None
        sg = nonnull(f, 'signatures')
        self.signatures = list(sg) if sg is not None else None
        at_ = nonnull(f, 'attestations')
        self.attestations = [read_attestation(a) for a in at_] if at_ is not None else None
        self.now = now


def facts_lookup(ref, inline, doc_index):
    if inline is not None:
        return inline
    if doc_index is None:
        return None
    if ref.digest is not None:
        e = doc_index.get(ref.digest)
        if e is not None:
            return e
    e = doc_index.get(ref.printed())
    if e is not None:
        return e
    if ref.digest is not None and ref.tag is not None:
        e = doc_index.get(ref.without_digest().printed())
        if e is not None:
            return e
    return None


def index_facts_doc(doc):
    if doc is None:
        return None
    imgs = doc.get('images') or {}
    idx = {}
    for k, v in imgs.items():
        if v is None:
            continue
        if k.startswith('sha256:') or k.startswith('sha512:'):
            if not DIGEST_RE.match(k):
                raise BadInput('bad digest key')
            nk = k
        else:
            nk = parse_ref(k).printed()
        if nk in idx:
            raise BadInput('duplicate facts key')
        idx[nk] = v
    return idx


# ---------------------------------------------------------------- evaluation

# Signatures: which key made each test signature and which digest its payload names. The
# cryptography itself is not re-implemented: the table records how sigs/table.json was made
# (openssl, keys of the conformance corpus); `tampered` and `badtype` verify nothing.
import json as _json, os as _os
SIG_TABLE = {}
_tp = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'sigs', 'table.json')
if _os.path.exists(_tp):
    for _e in _json.load(open(_tp)):
        SIG_TABLE[(_e['sig']['payload'], _e['sig']['signature'])] = (_e['key'], _e['digest'])

# ---------------------------------------------------------------- attestations (SPEC 7.3)

# Attestation signatures are not re-verified either: atts/table.json (written by the testkit's
# `oracle-attest`) records which key of tests/conformance/_keys/ made each keyed DSSE envelope
# (`null` for one tampered after signing). Everything else is read from the entry itself.
import base64 as _b64

ATT_TABLE = {}
_ap = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'atts', 'table.json')
if _os.path.exists(_ap):
    for _e in _json.load(open(_ap)):
        _env = _e['att']['envelope']
        for _s in _env['signatures']:
            ATT_TABLE[(_env['payload'], _s['sig'])] = _e['key']

SLSA_V1 = 'https://slsa.dev/provenance/v1'
SLSA_V02 = 'https://slsa.dev/provenance/v0.2'
COSIGN_VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1'
COSIGN_SIGN = 'https://sigstore.dev/cosign/sign/v1'
IN_TOTO = 'application/vnd.in-toto+json'
STATEMENT_TYPES = ('https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1')


def read_attestation(entry):
    """(statement or None, [(payload b64, signature b64)]) of a facts `attestations` entry: a DSSE
    `envelope`, or a `bundle` with a `dsseEnvelope`. A payload that is not an in-toto statement
    counts for nothing (statement None)."""
    if not isinstance(entry, dict):
        raise BadInput('attestation entry is not an object')
    env = entry.get('envelope')
    if env is None and isinstance(entry.get('bundle'), dict):
        env = entry['bundle'].get('dsseEnvelope')
    if not isinstance(env, dict):
        raise BadInput('attestation without envelope')
    payload = env.get('payload')
    sigs = [(payload, s.get('sig')) for s in env.get('signatures') or [] if isinstance(s, dict)]
    st = None
    if env.get('payloadType') == IN_TOTO:
        try:
            st = _json.loads(_b64.b64decode(payload))
        except (ValueError, TypeError):
            st = None
        if not isinstance(st, dict) or st.get('_type') not in STATEMENT_TYPES:
            st = None
    return st, sigs


def _bare(t):
    return t[len('https://'):] if t.startswith('https://') else t


def is_of_type(st, wanted):
    """SPEC 7.3: as published or with `https://` added or removed; a cosign signature statement
    is a signature, never an attestation (SPEC 7.2: the statement of exactly that type)."""
    t = st.get('predicateType')
    if not isinstance(t, str) or t == COSIGN_SIGN:
        return False
    return _bare(t) == _bare(wanted)


def has_subject(st, digest):
    alg, hx = digest.split(':', 1)
    for sub in st.get('subject') or []:
        if isinstance(sub, dict) and isinstance(sub.get('digest'), dict) and sub['digest'].get(alg) == hx:
            return True
    return False


def counting(img, key, types):
    """The statements that count for `key` (verify under it, of one of `types`, a subject with the
    image's digest); None (unknown) when the facts give no attestations, or the digest is unknown
    and one of the type verifies."""
    if img.attestations is None:
        return None
    verified = False
    counted = []
    for st, sigs in img.attestations:
        if st is None or not any(is_of_type(st, t) for t in types):
            continue
        if not any(ATT_TABLE.get(sg) == key for sg in sigs):
            continue
        verified = True
        if img.digest is not None and has_subject(st, img.digest):
            counted.append(st)
    if img.digest is None and verified:
        return None
    return counted


def _at(v, path):
    for k in path.split('.'):
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v


def _str_at(v, path):
    x = _at(v, path)
    return x if isinstance(x, str) else None


def _source_of(uri):
    """As `slsa-verifier --source-uri` takes it: no `git+`, no scheme, no `@ref`, no `.git`."""
    if uri.startswith('git+'):
        uri = uri[4:]
    if '://' in uri:
        uri = uri.split('://', 1)[1]
    uri = uri.split('@', 1)[0]
    if uri.endswith('.git'):
        uri = uri[:-4]
    return uri


def _ref_of(uri):
    return uri.rsplit('@', 1)[1] if '@' in uri else None


def provenance_value(st, field):
    """docs/attestations.md#attributes, SLSA v1 and v0.2."""
    p = st.get('predicate')
    v1 = is_of_type(st, SLSA_V1)
    if v1:
        src = _str_at(p, 'buildDefinition.externalParameters.workflow.repository')
        if src is None:
            deps = _at(p, 'buildDefinition.resolvedDependencies')
            if isinstance(deps, list) and deps:
                src = _str_at(deps[0], 'uri')
    else:
        src = _str_at(p, 'invocation.configSource.uri')
        if src is None:
            mats = _at(p, 'materials')
            if isinstance(mats, list) and mats:
                src = _str_at(mats[0], 'uri')
    if field == 'builder':
        return _str_at(p, 'runDetails.builder.id' if v1 else 'builder.id')
    if field == 'build_type':
        return _str_at(p, 'buildDefinition.buildType' if v1 else 'buildType')
    if field == 'source':
        return _source_of(src) if src is not None else None
    # ref: v1's workflow ref, else the source's `@ref` (SPEC: "the source ref")
    if v1:
        r = _str_at(p, 'buildDefinition.externalParameters.workflow.ref')
        if r is not None:
            return r
    return _ref_of(src) if src is not None else None


SEV_RANK = {'LOW': 1, 'MEDIUM': 2, 'HIGH': 3, 'CRITICAL': 4}


def vuln_count(st, sev):
    """The Trivy report in `scanner.result`, counted as `bona facts trivy` counts (docs/choices.md):
    one per distinct (VulnerabilityID, PkgName), with the highest severity of its copies;
    UNKNOWN in no count."""
    rep = _at(st.get('predicate'), 'scanner.result')
    if not isinstance(rep, dict):
        return None
    results = rep.get('Results', [])   # Trivy leaves an empty `Results` out; `bona facts trivy` counts 0
    if not isinstance(results, list):
        return None
    worst = {}
    for r in results:
        for v in (r.get('Vulnerabilities') or []) if isinstance(r, dict) else []:
            k = (v.get('VulnerabilityID'), v.get('PkgName'))
            rank = SEV_RANK.get(str(v.get('Severity')).upper(), 0)
            worst[k] = max(worst.get(k, 0), rank)
    return sum(1 for x in worst.values() if x == SEV_RANK[sev.upper()])


def att_value(st, func, strargs, fields, now):
    p = st.get('predicate')
    if func == 'provenance':
        return provenance_value(st, fields[0])
    if func == 'predicate':
        return _str_at(p, strargs[1])
    if fields == ('scanner',):
        return _str_at(p, 'scanner.uri')
    if fields == ('scan', 'age'):
        fin = _str_at(p, 'metadata.scanFinishedOn')
        if fin is None:
            return None
        try:
            return max(0, now - parse_time(fin))
        except BadInput:
            return None
    return vuln_count(st, fields[0])


def eval_att(e, img):
    _, func, key, strargs, fields, op, val = e
    if func == 'attested':
        types = [strargs[0]]
    elif func == 'provenance':
        types = [SLSA_V1, SLSA_V02]
    elif func == 'vuln':
        types = [COSIGN_VULN]
    else:
        types = [strargs[0]]
    sts = counting(img, key, types)
    if sts is None:
        return None
    if func == 'attested':
        return len(sts) > 0
    out = []
    for st in sts:
        x = att_value(st, func, strargs, fields, img.now)
        if x is None:
            out.append(None)
        elif isinstance(x, str):
            out.append(_str_cmp([x], op, val))
        else:
            out.append(_num_cmp(x, op, val))
    return k_or(out)


def _str_cmp(values, op, val, case_fold=False):
    """values: list of strings (multi-valued; holds if holds for one) or None (unknown)."""
    if values is None:
        return None
    if case_fold:
        values = [v.lower() for v in values]
    if op in ('in',):
        lst = [x.lower() if case_fold else x for x in val]
        return any(v in lst for v in values)
    if op == 'matches':
        pats = val if isinstance(val, list) else [val]
        if case_fold:
            pats = [p.lower() for p in pats]
        return any(glob_match(p, v) for v in values for p in pats)
    if case_fold:
        val = val.lower()
    if op == '==':
        return any(v == val for v in values)
    if op == '!=':
        return any(v != val for v in values)
    raise CompileError('bad string op %s' % op)


def _num_cmp(x, op, val):
    if x is None:
        return None
    if op == 'in':
        return any(x == v[1] for v in val)
    v = val[1]
    return {'==': x == v, '!=': x != v, '<': x < v, '<=': x <= v, '>': x > v, '>=': x >= v}[op]


def _label_cmp(labels, key, op, val):
    if labels is None:
        return None
    if key not in labels:
        return op == '!='
    return _str_cmp([labels[key]], op, val)


def _refpat_match(pat_text, registry, repository, tags, digest):
    """tags: list (possibly empty) or None unknown; digest: str or None unknown."""
    p = RefPattern(pat_text)
    parts = [glob_match(p.registry, registry), glob_match(p.repository, repository)]
    if p.tag is not None:
        if tags is None:
            parts.append(None)
        else:
            parts.append(any(glob_match(p.tag, t) for t in tags))
    if p.digest is not None:
        if digest is None:
            parts.append(None)
        else:
            parts.append(glob_match(p.digest, digest))
    return k_and(parts)


def _base_tags(b):
    if b.tag is not None:
        return [b.tag]
    if b.digest is None:
        return ['latest']
    return None


def eval_trust(e, img):
    k = e[0]
    if k == 'or':
        return k_or(eval_trust(x, img) for x in e[1])
    if k == 'and':
        return k_and(eval_trust(x, img) for x in e[1])
    if k == 'not':
        return k_not(eval_trust(e[1], img))
    if k == 'const':
        return e[1]
    if k == 'bool':
        a = e[1]
        if a == 'pinned':
            return img.pinned
        if a == 'scanned':
            return img.scanned
        raise CompileError('bad bool attr %s' % a)
    if k == 'att':
        return eval_att(e, img)
    if k == 'signed':
        if img.signatures is None:
            return None
        vouched = [SIG_TABLE.get((sg.get('payload'), sg.get('signature')), (None, None)) for sg in img.signatures]
        digests = [d for key, d in vouched if key == e[1]]
        if img.digest is not None:
            return img.digest in digests
        return None if digests else False
    _, attr, op, val = e
    if isinstance(attr, tuple):
        return _label_cmp(img.labels, attr[1], op, val)
    if attr == 'image':
        pats = val if isinstance(val, list) else [val]
        return k_or(_refpat_match(p, img.registry, img.repository, img.tags, img.digest) for p in pats)
    if attr == 'registry':
        return _str_cmp([img.registry], op, val, case_fold=True)
    if attr == 'repository':
        return _str_cmp([img.repository], op, val)
    if attr == 'tag':
        if img.tags is not None and len(img.tags) == 0:
            return False
        return _str_cmp(img.tags, op, val)
    if attr == 'digest':
        return _str_cmp(None if img.digest is None else [img.digest], op, val)
    if attr == 'scan.scanner':
        return _str_cmp(None if img.scanner is None else [img.scanner], op, val)
    if attr == 'pinned' or attr == 'scanned':
        x = img.pinned if attr == 'pinned' else img.scanned
        if x is None:
            return None
        return (x == val) if op == '==' else (x != val)
    if attr == 'scan.age':
        return _num_cmp(img.scan_age, op, val)
    if attr.startswith('vulns.'):
        return _num_cmp(img.vulns[attr[6:]], op, val)
    if attr == 'base':
        b = img.base
        if b is None:
            return None
        if op == 'matches':
            pats = val if isinstance(val, list) else [val]
            return k_or(_refpat_match(p, b.registry, b.repository, _base_tags(b), b.digest) for p in pats)
        bp = b.printed()
        if op == 'in':
            return bp in [parse_ref(x).printed() for x in val]
        lp = parse_ref(val).printed()
        return (bp == lp) if op == '==' else (bp != lp)
    raise CompileError('bad trust attribute %r' % (attr,))


def eval_scope(e, asset):
    k = e[0]
    if k == 'or':
        return any(eval_scope(x, asset) for x in e[1])
    if k == 'and':
        return all(eval_scope(x, asset) for x in e[1])
    if k == 'not':
        return not eval_scope(e[1], asset)
    if k == 'const':
        return e[1]
    _, attr, op, val = e
    if isinstance(attr, tuple):
        return _label_cmp(asset['labels'], attr[1], op, val)
    if attr == 'asset':
        return (asset['type'] == val) if op == '==' else (asset['type'] != val)
    return _str_cmp([asset[attr]], op, val)


# ---------------------------------------------------------------- assets

ASSET_FIELDS = ('cloud', 'cluster', 'namespace', 'kind', 'name')


def norm_asset(a):
    a = a or {}
    out = {'type': a.get('type') or 'workload'}
    if out['type'] not in ('workload', 'vm'):
        raise BadInput('bad asset type')
    for f in ASSET_FIELDS:
        v = a.get(f)
        out[f] = '' if v is None else v
    out['labels'] = dict(a.get('labels') or {})
    return out


def describe(asset):
    if asset['type'] == 'vm':
        return 'Virtual machine %s' % asset['name']
    return 'Kubernetes workload %s/%s' % (asset['namespace'], asset['name'])


# ---------------------------------------------------------------- decisions (SPEC 4.2)

def judge(policies, asset, images):
    """Returns list of per-image dicts with v/r per applicable policy."""
    S = [p for p in policies if p['scope'] is None or eval_scope(p['scope'], asset)]
    res = []
    for img in images:
        if not S:
            res.append({'img': img, 'trusted': True, 'prevented': False, 'pols': []})
            continue
        pols = []
        for p in S:
            v = k_or(eval_trust(r, img) for r in p['rules'])
            if v is True:
                r = True
            elif v is False:
                r = False
            else:
                r = (p['on_unknown'] == 'issue') if p['action'] == 'prevent' else False
            pols.append((p, v, r))
        trusted = any(r for _, _, r in pols)
        prevented = (not trusted) and any(p['action'] == 'prevent' for p in S)
        res.append({'img': img, 'trusted': trusted, 'prevented': prevented, 'pols': pols})
    return S, res


def _vname(v):
    return {True: 'trusted', False: 'untrusted', None: 'unknown'}[v]


def build_images(doc_images, now, fidx):
    out = []
    for im in doc_images or []:
        if not isinstance(im, dict) or im.get('ref') is None:
            raise BadInput('missing ref')
        ref = parse_ref(im['ref'])
        facts = facts_lookup(ref, im.get('facts'), fidx)
        out.append(Image(ref, facts, now))
    return out


def oracle_eval(texts, doc, facts_doc=None, fail=False):
    try:
        policies = compile_policies(texts)
    except CompileError:
        return 1, None
    try:
        now = parse_time(doc['time'])
        asset = norm_asset(doc.get('asset'))
        fidx = index_facts_doc(facts_doc)
        images = build_images(doc.get('images'), now, fidx)
    except BadInput:
        return 2, None
    S, res = judge(policies, asset, images)
    out_imgs, issues = [], []
    for r in res:
        ref = r['img'].ref.printed()
        pols = []
        for p, v, rr in r['pols']:
            pols.append({'policy': p['name'], 'action': p['action'], 'result': _vname(v),
                         'resolved': 'trusted' if rr else 'untrusted',
                         'reasons': [] if v is True else ['...']})
        out_imgs.append({'ref': ref, 'verdict': 'trusted' if r['trusted'] else 'untrusted',
                         'prevented': r['prevented'], 'policies': pols})
        if not r['trusted']:
            names = [p['name'] for p in S]
            A = describe(asset)
            issues.append({'type': 'runtime-security', 'image': ref, 'policies': names,
                           'prevented': r['prevented'],
                           'title': 'Untrusted image %s in %s' % ('prevented' if r['prevented'] else 'deployed', A),
                           'description': '%s uses the image %s, which no trusted image policy in scope trusts (%s).'
                           % (A, ref, ', '.join(names))})
    decision = 'prevent' if any(r['prevented'] for r in res) else 'allow'
    code = 3 if (fail and decision == 'prevent') else 0
    return code, {'decision': decision, 'images': out_imgs, 'issues': issues}


def posture_issues(policies, asset, images):
    S, res = judge(policies, asset, images)
    out = []
    A = describe(asset)
    asset_obj = {k: asset[k] for k in ('type',) + ASSET_FIELDS}
    for r in res:
        if not S:
            continue
        ref = r['img'].ref.printed()
        for p, v, rr in r['pols']:
            file_it = False
            if p['action'] == 'issue':
                file_it = (rr is False)
            else:
                if v is None and p['on_unknown'] == 'issue':
                    file_it = True   # SPEC 4.5: files missing-information at every audit
                elif (not r['trusted']) and rr is False:
                    file_it = True
            if not file_it:
                continue
            reason = 'missing-information' if v is None else 'untrusted'
            if reason == 'untrusted':
                desc = ('%s is running the image %s that does not comply with the trust criteria defined in the '
                        'Trusted Images policy %s.' % (A, ref, p['name']))
            else:
                desc = ('%s is running the image %s. Information is missing to determine compliance with the trust '
                        'criteria defined in the Trusted Images policy %s.' % (A, ref, p['name']))
            out.append({'type': 'posture', 'asset': asset_obj, 'image': ref, 'policy': p['name'],
                        'reason': reason, 'title': 'Untrusted image running in %s' % A, 'description': desc})
    return out


def oracle_audit(texts, inv, facts_doc=None):
    try:
        policies = compile_policies(texts)
    except CompileError:
        return 1, None
    try:
        now = parse_time(inv['time'])
        fidx = index_facts_doc(facts_doc)
        assets = []
        for a in inv.get('assets') or []:
            asset = norm_asset({k: v for k, v in a.items() if k != 'images'})
            assets.append((asset, build_images(a.get('images'), now, fidx)))
    except BadInput:
        return 2, None
    issues = []
    for asset, images in assets:
        issues.extend(posture_issues(policies, asset, images))
    return 0, {'issues': issues}
