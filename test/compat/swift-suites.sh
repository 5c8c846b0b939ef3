#!/usr/bin/env bash
# Run upstream Swift's own test suites against a fresh swiftlike dev cluster:
#
#   test/compat/swift-suites.sh [functional|s3api|all] [-- extra pytest args]
#
# Fetches the swift sdist from PyPI (cached in .compat/), makes a venv of its own
# (.compat/venv, never the project's .venv) with swift and the suites' test deps,
# starts `bin/cluster` on a free port with a throwaway data directory, writes the
# [func_test] / [s3api_test] config, runs pytest on the sdist's test/functional
# and/or test/s3api, stops the cluster (also on failure or Ctrl-C), and prints each
# suite's pytest summary line. Outputs in .compat/: <suite>.log, <suite>.xml (junit),
# test.conf, logs/ (the cluster's logs). See test/compat/README.md.
#
# Environment: SWIFT_VERSION (2.38.3), PYTHON (python3.11 or python3), COMPAT_DIR
# (.compat), COMPAT_PORT (18080; the first free port from there), COMPAT_BASE_PORT
# (16000), COMPAT_S3_ACL (false), COMPAT_TEST_TIMEOUT (seconds per test, 600),
# COMPAT_CLUSTER_ARGS (more `bin/cluster start` options, e.g. --no-daemons),
# COMPAT_KEEP_DATA=1 (keep the cluster's data directory), COMPAT_OUT (where this run's
# outputs go; $COMPAT_DIR by default: give each of two runs at once its own).
set -euo pipefail
# (one brace group, read whole before it runs: editing this file mid-run is safe)
{

top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/test/compat"
version=${SWIFT_VERSION:-2.38.3}
cache=${COMPAT_DIR:-$top/.compat}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}

suite=${1:-all}
[ $# -gt 0 ] && shift
if [ "${1:-}" = "--" ]; then shift; fi
case "$suite" in
    functional) suites=(functional) ;;
    s3api) suites=(s3api) ;;
    all) suites=(functional s3api) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [functional|s3api|all] [-- pytest args]" >&2; exit 2 ;;
esac

say() { echo "compat: $*"; }
die() { echo "compat: $*" >&2; exit 1; }
# pip, without this machine's notes about absent local mirrors
quiet_pip() { "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }

out=${COMPAT_OUT:-$cache}
mkdir -p "$cache" "$out"
start_time=$(date +%s)

# -- the sdist ------------------------------------------------------------------------
sdist="$cache/swift-$version.tar.gz"
src="$cache/swift-$version"
if [ ! -f "$sdist" ]; then
    say "downloading swift $version sdist from PyPI"
    rm -rf "$cache/download"
    quiet_pip "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --no-binary :all: "swift==$version" -d "$cache/download" >"$cache/download.log" 2>&1 \
        || { tail -20 "$cache/download.log" >&2; die "pip download failed (see $cache/download.log)"; }
    mv "$cache/download/swift-$version.tar.gz" "$sdist"
    rm -rf "$cache/download"
fi
if [ ! -f "$src/.unpacked" ]; then
    say "unpacking $sdist"
    rm -rf "$src"
    tar -xzf "$sdist" -C "$cache"
    [ -d "$src/test/functional" ] && [ -d "$src/test/s3api" ] || die "no test/functional or test/s3api in $sdist"
    touch "$src/.unpacked"
fi

# -- the venv (swift from the sdist and the suites' test deps) --------------------------
venv="$cache/venv"
# boto (2.x) too: test/functional/s3api's boto 2 tests (159) skip without it
deps=(pytest pytest-subtests pytest-timeout boto boto3 botocore requests mock python-swiftclient)
stamp="$venv/.installed-$version-$(echo "${deps[*]}" | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
    say "making venv $venv (swift $version and test deps; a few minutes the first time)"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >"$cache/setup.log" 2>&1
    quiet_pip "$venv/bin/pip" install --quiet --disable-pip-version-check "$sdist" "${deps[@]}" \
        >>"$cache/setup.log" 2>&1 \
        || { tail -30 "$cache/setup.log" >&2; die "installing swift and test deps failed (see $cache/setup.log)"; }
    # botocore computes CRC32C/CRC64NVME checksums only with awscrt; without it those tests skip
    if ! quiet_pip "$venv/bin/pip" install --quiet --disable-pip-version-check awscrt >>"$cache/setup.log" 2>&1; then
        say "awscrt not installable here; the s3api tests that need it will skip"
    fi
    "$venv/bin/pip" freeze --disable-pip-version-check >"$cache/venv-freeze.txt" 2>/dev/null || true
    touch "$stamp"
fi

# -- the cluster ------------------------------------------------------------------------
# first port from $1 (stepping by $2) where every offset in $3... is free on 127.0.0.1
free_port() {
    python3 - "$@" <<'EOF'
import socket, sys
start, step, offsets = int(sys.argv[1]), int(sys.argv[2]), [int(o) for o in sys.argv[3:]]
def free(port):
    with socket.socket() as s:
        # as the servers bind (eventlet.listen): a port only in TIME_WAIT is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(('127.0.0.1', port))
            return True
        except OSError:
            return False
for base in range(start, 65000, step):
    if all(free(base + o) for o in offsets):
        print(base)
        sys.exit(0)
sys.exit(1)
EOF
}
port=$(free_port "${COMPAT_PORT:-18080}" 1 0) || die "no free proxy port"
storage_offsets=(91)
for n in 1 2 3 4; do storage_offsets+=($((10 * n)) $((10 * n + 1)) $((10 * n + 2))); done
base_port=$(free_port "${COMPAT_BASE_PORT:-16000}" 100 "${storage_offsets[@]}") || die "no free storage ports"
data=$(mktemp -d "${TMPDIR:-/tmp}/swiftlike-compat.XXXXXX")
cluster_opts=(--data "$data" --port "$port" --base-port "$base_port")
proxy="http://127.0.0.1:$port"

cluster_started=
cleanup() {
    local code=$?
    trap - EXIT INT TERM
    if [ -n "$cluster_started" ]; then
        "$top/bin/cluster" stop "${cluster_opts[@]}" >>"$out/cluster.log" 2>&1 || true
        rm -rf "$out/logs"
        [ -d "$data/logs" ] && cp -r "$data/logs" "$out/logs" || true
    fi
    if [ "${COMPAT_KEEP_DATA:-}" = 1 ]; then
        say "cluster data kept in $data"
    else
        rm -rf "$data"
    fi
    exit "$code"
}
trap cleanup EXIT
# pytest runs in the background and is waited for, so that a signal is handled at once
# (a trap waits for a foreground command to end) and pytest is stopped with us
pytest_pid=
stop_pytest() { [ -z "$pytest_pid" ] || kill -TERM "$pytest_pid" 2>/dev/null || true; }
trap 'echo; say "interrupted"; stop_pytest; exit 130' INT
trap 'say "terminated"; stop_pytest; exit 143' TERM

say "starting cluster: proxy $proxy, storage ports from $base_port, data $data"
cluster_started=1
# shellcheck disable=SC2086  # COMPAT_CLUSTER_ARGS is a list of options
"$top/bin/cluster" start "${cluster_opts[@]}" ${COMPAT_CLUSTER_ARGS:-} >"$out/cluster.log" 2>&1 \
    || { tail -20 "$out/cluster.log" >&2; die "bin/cluster start failed (logs in $out/logs)"; }

# -- the config -------------------------------------------------------------------------
conf="$out/test.conf"
"$venv/bin/python" - "$here/test.conf.in" "$conf" "$proxy" "$data/etc/proxy.conf" "${COMPAT_S3_ACL:-false}" <<'EOF'
import configparser, sys
template, out, proxy, proxy_conf, s3_acl = sys.argv[1:]
# domain_remap's storage_domain(s), if the cluster's proxy has that filter
parser = configparser.ConfigParser(interpolation=None, strict=False)
parser.read(proxy_conf)
domain = ''
if parser.has_section('filter:domain_remap'):
    domain = parser.get('filter:domain_remap', 'storage_domain', fallback='').split(',')[0].strip()
text = open(template).read()
for key, value in (('@PROXY@', proxy), ('@STORAGE_DOMAIN@', domain), ('@S3_ACL@', s3_acl)):
    text = text.replace(key, value)
open(out, 'w').write(text)
EOF

# -- the suites -------------------------------------------------------------------------
export SWIFT_TEST_CONFIG_FILE="$conf" SWIFT_TEST_IN_PROCESS=0
export NO_PROXY=127.0.0.1,localhost,.localhost no_proxy=127.0.0.1,localhost,.localhost
# boto3 reads nothing of this machine's AWS settings
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
    AWS_REQUEST_CHECKSUM_CALCULATION AWS_RESPONSE_CHECKSUM_VALIDATION 2>/dev/null || true

declare -A summary
status=0
for s in "${suites[@]}"; do
    say "running test/$s (log $out/$s.log)"
    t0=$(date +%s)
    rc=0
    # upstream runs test/functional with stestr (unittest's test*.py), which takes in
    # test/functional/tests.py too: 1,080 tests, 864 without it
    files=test_*.py; [ "$s" = functional ] && files="test_*.py tests.py"
    (cd "$src" && exec "$venv/bin/python" -m pytest "test/$s" -o "python_files=$files" -p no:cacheprovider \
        --tb=short --timeout "${COMPAT_TEST_TIMEOUT:-600}" --junitxml "$out/$s.xml" -o junit_family=xunit2 \
        "$@") >"$out/$s.log" 2>&1 </dev/null &
    pytest_pid=$!
    wait "$pytest_pid" || rc=$?
    pytest_pid=
    line=$(grep -E '^=+ .*( in [0-9.]+s)' "$out/$s.log" | tail -1 | sed -E 's/^=+ //; s/ =+$//') || true
    summary[$s]="${line:-no summary (pytest exit $rc; see $out/$s.log)}"
    say "test/$s done in $(( $(date +%s) - t0 )) s: ${summary[$s]}"
    [ "$rc" -eq 0 ] || status=1
done

echo
echo "== swift $version suites against swiftlike ($(( $(date +%s) - start_time )) s in all)"
for s in "${suites[@]}"; do
    printf '%-11s %s\n' "$s:" "${summary[$s]}"
done
exit "$status"
}
