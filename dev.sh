#!/usr/bin/env bash
# qunyun's two commands, and the set-up they share. From a fresh clone:
#   ./dev.sh run    set everything up, then run qunyun on embedded defaults (SQLite, a local
#                   Matrix homeserver): the tour, then the console and the bot until Ctrl-C;
#                   `./dev.sh run --port 8090` puts the console on another port,
#                   `--homeserver-port 8448` the local Matrix homeserver (kept afterwards);
#                   a later run skips the tour already done (QUNYUN_DEMO_TOUR=1 re-runs it)
#   ./dev.sh test   set everything up, then lint, type-check and run the whole test suite
#   ./dev.sh setup  only the set-up (idempotent; fast when nothing changed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

log() { printf '\033[1;34m[dev]\033[0m %s\n' "$*" >&2; }

# pip, without the warning it prints for every package a machine's configured local index
# (a file:// extra-index-url) does not carry: the install itself is unaffected, and a page
# of those lines hides the messages that matter.
pip_quiet() {
  local pip="$1"; shift
  "$pip" "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

setup_system() {
  # Debian packages: Chromium for the console's browser tests and report checks, a CJK font so
  # Chinese text in screenshots, reports and posters is not drawn as boxes, an emoji font
  # (the plans' welcomes say 🎉), and poppler-utils (pdftoppm, pdftotext) so the tests can
  # look at the PDF reports.
  local missing=()
  for pkg in chromium fonts-wqy-microhei fonts-noto-color-emoji poppler-utils; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

setup_python() {
  local stamp="$VENV/.qunyun-installed" want
  want="$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv .venv"
    "$PY" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing qunyun and its dependencies into .venv"
    pip_quiet "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    # (setuptools warns on every editable install that a same-named folder may shadow the
    # package: that folder is the package.)
    PYTHONWARNINGS="ignore::UserWarning" pip_quiet "$VENV/bin/pip" install -q -e ".[dev]"
    echo "$want" >"$stamp"
  fi
}

setup_synapse() {
  # A local Matrix homeserver (separate venv) for the bot's first run and its end-to-end tests.
  if [ -f scripts/install-synapse.sh ]; then bash scripts/install-synapse.sh; fi
}

ensure_postgres() {
  if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
}

setup() {
  setup_system
  setup_python
  setup_synapse
}

cmd="${1:-run}"
shift || true
case "$cmd" in
  setup)
    setup
    # Said at the end, so the last line of a long set-up is what to do next (issue 11 #1).
    log "准备就绪 set-up done (.venv, Chromium and fonts, the local Matrix homeserver)."
    log "下一步 next: ./dev.sh run — the tour, then the console on http://127.0.0.1:8080 and the bot until Ctrl-C (./dev.sh test runs the tests)"
    ;;
  run)
    # `--port N` is the console's and `--homeserver-port N` the local homeserver's (qunyun
    # up's); every other argument goes to both commands.
    args=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --port) export QUNYUN_PORT="${2:?--port needs a number}"; shift 2 ;;
        --port=*) export QUNYUN_PORT="${1#--port=}"; shift ;;
        --quiet) export QUNYUN_QUIET=1; shift ;;  # qunyun up's: no line per bot action
        --homeserver-port)
          export QUNYUN_HOMESERVER_PORT="${2:?--homeserver-port needs a number}"; shift 2 ;;
        --homeserver-port=*) export QUNYUN_HOMESERVER_PORT="${1#--homeserver-port=}"; shift ;;
        *) args+=("$1"); shift ;;
      esac
    done
    set -- "${args[@]+"${args[@]}"}"
    setup
    # The tour (plans, import, report), then everything live until Ctrl-C: the console on
    # 127.0.0.1:8080 (or --port / QUNYUN_PORT) and the bot on a local Matrix homeserver. QUNYUN_DEMO_ONLY=1 stops
    # after the tour.
    "$VENV/bin/qunyun" demo "$@"
    if [ -z "${QUNYUN_DEMO_ONLY:-}" ]; then exec "$VENV/bin/qunyun" up "$@"; fi
    ;;
  test)
    setup
    ensure_postgres
    export QUNYUN_TEST_PG_URL="${QUNYUN_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
    log "ruff"; "$VENV/bin/ruff" check .
    log "mypy"; "$VENV/bin/mypy" qunyun
    log "pytest"
    # pytest exits 5 when it ran no test: that is a failure here, like any non-zero code.
    # Two workers (pytest-xdist; QUNYUN_TEST_WORKERS=0 runs in one process): much of the
    # suite waits on Synapse, PostgreSQL and child processes, so two workers on two cores
    # take about half the time of one.
    exec "$VENV/bin/python" -m pytest -n "${QUNYUN_TEST_WORKERS:-2}" "$@"
    ;;
  *) echo "usage: ./dev.sh run|test|setup" >&2; exit 2 ;;
esac
