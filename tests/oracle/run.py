"""Differential tester: random cases, Bona vs the oracle.

python3 run.py --bona target/debug/bona --seed 1 --count 300 [--jobs 2] [--out results.json]

Exits 1 when any case disagrees (each is printed, and all are written to --out when given).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen
import oracle

HERE = os.path.dirname(os.path.abspath(__file__))
# The signatures of sigs/table.json were made with the conformance corpus's keys.
KEYS = os.path.join(HERE, '..', 'conformance', '_keys')
BONA = 'bona'
ROOT = None


def norm(x):
    """Reasons: compare only emptiness (their wording is Bona's own)."""
    if isinstance(x, dict):
        return {k: ((['...'] if v else []) if k == 'reasons' else norm(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [norm(e) for e in x]
    return x


def strip_extra(actual, expected):
    """Keep only the fields the oracle (the SPEC) defines; report the extras."""
    extras = []

    def rec(a, e, path):
        if isinstance(a, dict) and isinstance(e, dict):
            out = {}
            for k, v in a.items():
                if k in e:
                    out[k] = rec(v, e[k], path + '.' + k)
                else:
                    extras.append(path + '.' + k)
            return out
        if isinstance(a, list) and isinstance(e, list) and len(a) == len(e):
            return [rec(x, y, path + '[]') for x, y in zip(a, e)]
        return a
    return rec(actual, expected, ''), extras


def write_case(d, case, which):
    os.makedirs(d, exist_ok=True)
    pdir = os.path.join(d, 'policy')
    os.makedirs(pdir, exist_ok=True)
    with open(os.path.join(pdir, 'policy.trust'), 'w') as f:
        f.write(case['policy'])
    if 'key release' in case['policy']:
        for k in ('release.pub', 'other.pub'):
            shutil.copy(os.path.join(KEYS, k), pdir)
    cmd = [BONA, which, '--policy', pdir]
    if which == 'eval':
        p = os.path.join(d, 'input.json')
        json.dump(case['input'], open(p, 'w'), indent=1, ensure_ascii=False)
        cmd += ['--input', p]
    else:
        p = os.path.join(d, 'inventory.json')
        json.dump(case['inventory'], open(p, 'w'), indent=1, ensure_ascii=False)
        cmd += ['--inventory', p]
    if case['facts'] is not None:
        fp = os.path.join(d, 'facts.json')
        json.dump(case['facts'], open(fp, 'w'), indent=1, ensure_ascii=False)
        cmd += ['--facts', fp]
    cmd += ['--format', 'json']
    if which == 'eval' and case['fail']:
        cmd += ['--fail']
    return cmd


def run_bona(cmd):
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    out = None
    if p.stdout.strip():
        try:
            out = json.loads(p.stdout)
        except ValueError:
            out = {'_unparsable': p.stdout.decode(errors='replace')}
    return p.returncode, out, p.stderr.decode(errors='replace')


def compare(case, which, cmd=None):
    if which == 'eval':
        ecode, eout = oracle.oracle_eval([case['policy']], case['input'], case['facts'], case['fail'])
    else:
        ecode, eout = oracle.oracle_audit([case['policy']], case['inventory'], case['facts'])
    acode, aout, err = run_bona(cmd)
    extras = []
    if aout is not None and eout is not None:
        aout_n, extras = strip_extra(norm(aout), eout)
    else:
        aout_n = aout
    same = (acode == ecode) and (eout is None or aout_n == eout)
    return same, {'which': which, 'cmd': cmd, 'bona_exit': acode, 'oracle_exit': ecode, 'stderr': err[-2000:],
                  'bona': aout_n, 'oracle': eout, 'extras': sorted(set(extras))}


def one(seed):
    case = gen.gen_case(seed)
    res = []
    for which in ('eval', 'audit'):
        d = os.path.join(ROOT, str(seed))
        cmd = write_case(d, case, which)
        try:
            same, info = compare(case, which, cmd)
        except Exception as ex:  # oracle crash is an oracle bug
            same, info = False, {'which': which, 'oracle_exception': repr(ex), 'cmd': cmd}
        res.append((same, info))
    return seed, res


def diff_paths(a, b, path=''):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            out += diff_paths(a.get(k, '<absent>'), b.get(k, '<absent>'), path + '.' + k)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff_paths(x, y, '%s[%d]' % (path, i))
    elif a != b:
        out.append((path, a, b))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--bona', default=os.environ.get('BONA', 'bona'), help='the bona binary')
    ap.add_argument('--work', help='where the cases are written (default: a temporary directory)')
    ap.add_argument('--out', help='write the disagreements here as JSON')
    a = ap.parse_args()
    global BONA, ROOT
    BONA = os.path.abspath(a.bona) if os.sep in a.bona else a.bona
    ROOT = a.work or tempfile.mkdtemp(prefix='bona-oracle-')
    seeds = [a.seed * 100000 + i for i in range(a.count)]
    agree = 0
    bad = []
    extras = set()
    with ThreadPoolExecutor(max_workers=min(a.jobs, 2)) as ex:
        for seed, res in ex.map(one, seeds):
            ok = all(s for s, _ in res)
            for _, info in res:
                extras.update(info.get('extras', []))
            if ok:
                agree += 1
            else:
                for s, info in res:
                    if not s:
                        info['seed'] = seed
                        if 'bona' in info:
                            info['diffs'] = [list(x) for x in diff_paths(info['bona'], info['oracle'])][:10]
                        bad.append(info)
    if a.out:
        json.dump(bad, open(a.out, 'w'), indent=1, ensure_ascii=False)
    if not a.work:
        shutil.rmtree(ROOT, ignore_errors=True)
    print('cases %d, agreeing %d, disagreeing %d (eval+audit runs failing: %d)' % (a.count, agree, a.count - agree, len(bad)))
    if extras:
        print('extra fields from Bona (not in SPEC):', sorted(extras))
    for info in bad[:40]:
        print('seed', info['seed'], info['which'], 'exit bona/oracle', info.get('bona_exit'), info.get('oracle_exit'),
              info.get('oracle_exception', ''), info.get('stderr', '')[:300].replace('\n', ' | '))
        for p in info.get('diffs', [])[:4]:
            print('   ', json.dumps(p, ensure_ascii=False)[:300])
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
