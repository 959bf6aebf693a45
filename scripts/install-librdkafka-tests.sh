#!/usr/bin/env bash
# Builds librdkafka's own test suite (tests/test-runner) for scripts/librdkafka-suite.sh.
#
# Idempotent and non-interactive; meant to run as root (called by install-test-clients.sh). Steps,
# each skipped when already done:
#   1. a deb-src entry for the suites of the machine's Debian deb entries
#      (/etc/apt/sources.list.d/strom-deb-src.sources), so `apt-get source` works;
#   2. the build dependencies: a C/C++ toolchain, dpkg-dev (dpkg-source), librdkafka-dev (the
#      library the tests link: Debian's 2.0.2, the one kcat and python3-confluent-kafka use) and the
#      -dev packages librdkafka's ./configure looks for;
#   3. `apt-get source librdkafka` (2.0.2, Debian's patches applied) into <repo>/.librdkafka/src;
#   4. ./configure (only to write config.h and Makefile.config, 5 s) and `make test-runner` in
#      tests/, linked against the system library rather than a librdkafka built from the source:
#      the same version, and 45 s instead of several minutes on 2 cores. The source's and the
#      installed library's versions must agree, or the step fails.
#
# Environment knobs: LIBRDKAFKA_DIR (default <repo>/.librdkafka).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${LIBRDKAFKA_DIR:-$REPO/.librdkafka}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[install-librdkafka-tests] %s\n' "$*"; }

# rapidjson-dev: tests 0053, 0098, 0101 and 0110 check statistics JSON with it (skipped without).
APT_PACKAGES=(build-essential pkg-config dpkg-dev python3 librdkafka-dev
              zlib1g-dev libssl-dev libzstd-dev liblz4-dev rapidjson-dev)

RUNNER="$DIR/src/tests/test-runner"
# What the build depends on besides the source; a change (say, a package added here) rebuilds.
RECIPE="packages: ${APT_PACKAGES[*]}; configure --disable-debug-symbols; system librdkafka; quick-skip line"
if [[ -x "$RUNNER" && "$(cat "$DIR/built-with" 2>/dev/null)" == "$RECIPE" ]]; then
  log "test-runner already built ($RUNNER)"
  exit 0
fi

need_root() { [[ $(id -u) -eq 0 ]] || { log "need root to $*"; exit 1; }; }

# ---------------------------------------------------------------- 1. deb-src
SRC_LIST=/etc/apt/sources.list.d/strom-deb-src.sources
if apt-get source --print-uris -qq librdkafka >/dev/null 2>&1; then
  log "deb-src for librdkafka already configured"
else
  need_root "add $SRC_LIST"
  # The Debian deb entries (deb822 .sources files and one-line .list files), as deb-src stanzas for
  # the same URIs, suites and components. Only Debian's own archives: third-party repositories
  # rarely publish sources.
  python3 - "$SRC_LIST" <<'EOF'
import glob, re, sys
out, stanzas = sys.argv[1], []
def debian(uri): return re.search(r"(^|/)(deb|security)\.debian\.org/|snapshot\.debian\.org/|/debian(-security)?/?$", uri)
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    if path == out: continue
    for block in re.split(r"\n\s*\n", open(path).read()):
        fields = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace(): continue
            k, v = line.split(":", 1); fields[k.strip().lower()] = v.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no": continue
        uris = [u for u in fields.get("uris", "").split() if debian(u)]
        if not uris: continue
        st = ["Types: deb-src", "URIs: " + " ".join(uris), "Suites: " + fields["suites"], "Components: " + fields.get("components", "main")]
        if "signed-by" in fields: st.append("Signed-By: " + fields["signed-by"])
        stanzas.append("\n".join(st))
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try: lines = open(path).read().splitlines()
    except FileNotFoundError: continue
    for line in lines:
        m = re.match(r"\s*deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)", line)
        if not m or not debian(m.group(2)): continue
        opts = m.group(1) or ""
        signed = re.search(r"signed-by=(\S+?)\s*\]?$", opts.replace("]", " ]"))
        st = ["Types: deb-src", "URIs: " + m.group(2), "Suites: " + m.group(3), "Components: " + m.group(4).split("#")[0].strip()]
        if signed: st.append("Signed-By: " + signed.group(1))
        stanzas.append("\n".join(st))
if not stanzas: sys.exit("no Debian deb entries found in /etc/apt to mirror as deb-src")
open(out, "w").write("# Written by Strom's scripts/install-librdkafka-tests.sh: deb-src beside the deb entries.\n" + "\n\n".join(stanzas) + "\n")
EOF
  log "wrote $SRC_LIST:"; sed 's/^/    /' "$SRC_LIST"
  apt-get update -qq
fi

# ---------------------------------------------------------------- 2. build deps
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  need_root "install ${missing[*]}"
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "build dependencies already installed"
fi

# ---------------------------------------------------------------- 3. source
mkdir -p "$DIR"
[[ -f "$DIR/.gitignore" ]] || echo '*' >"$DIR/.gitignore"   # never committed, whatever the root .gitignore says
if [[ -f "$DIR/src/tests/test.c" ]]; then
  log "source already unpacked in $DIR/src"
else
  log "apt-get source librdkafka into $DIR"
  rm -rf "$DIR/dl" "$DIR/src"
  mkdir -p "$DIR/dl"
  # --download-only then dpkg-source: the directory name is ours, whatever the version.
  (cd "$DIR/dl" && apt-get source --download-only -qq librdkafka)
  # apt verified the files against the signed Release; the .dsc signature key is not installed.
  dpkg-source --no-check -x "$DIR"/dl/librdkafka_*.dsc "$DIR/src" >/dev/null
fi

src_version=$(sed -n 's/^#define RD_KAFKA_VERSION *0x\([0-9a-fA-F]*\).*/\1/p' "$DIR/src/src/rdkafka.h")
lib_version=$(sed -n 's/^#define RD_KAFKA_VERSION *0x\([0-9a-fA-F]*\).*/\1/p' /usr/include/librdkafka/rdkafka.h)
if [[ "$src_version" != "$lib_version" ]]; then
  log "source is librdkafka 0x$src_version but librdkafka-dev is 0x$lib_version; remove $DIR/src and re-run"
  exit 1
fi

# ---------------------------------------------------------------- 4. build
cd "$DIR/src"
# One line of output added to test.c, behaviour unchanged: a subtest that quick mode (-Q) leaves out
# (SUB_TEST() rather than SUB_TEST_QUICK()) says so, so the runner can tell a test that passed from
# one that passed because quick mode ran none of it.
python3 - tests/test.c <<'PY'
import sys
path = sys.argv[1]
src = open(path).read()
old = """        if (!is_quick && test_quick)
                return 0;
"""
new = """        if (!is_quick && test_quick) {
                TEST_SAY("[ %s:%d: not run in quick mode ]\\n", func, line); /* Strom */
                return 0;
        }
"""
if new not in src:
    if old not in src:
        sys.exit("test.c: test_sub_start() is not as expected; cannot mark quick-mode skips")
    open(path, "w").write(src.replace(old, new, 1))
PY
rm -f "$DIR/built-with" tests/test-runner tests/*.o tests/*.d
log "./configure (config.h and Makefile.config only; the library itself is not built)"
./configure --disable-debug-symbols >"$DIR/configure.log" 2>&1 || { tail -30 "$DIR/configure.log"; exit 1; }
log "make test-runner ($(nproc) jobs; about 45 s on 2 cores)"
# -o: treat the source tree's own libraries and the interceptor plugin as up to date, so make
# neither builds nor needs them; the link then finds Debian's librdkafka(++).so.
make -C tests -j"$(nproc)" -o ../src/librdkafka.a -o ../src-cpp/librdkafka++.a -o interceptor_test \
  test-runner >"$DIR/build.log" 2>&1 || { tail -30 "$DIR/build.log"; exit 1; }
echo "$RECIPE" >"$DIR/built-with"
log "built $RUNNER"
