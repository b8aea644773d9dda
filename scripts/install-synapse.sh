#!/usr/bin/env bash
# A local Matrix homeserver (Synapse) in its own virtualenv, .venv-synapse: the bot's first
# run (`qunyun bot --local`) and its end-to-end tests use it. Idempotent: a stamp file
# makes the second run instant. Synapse is kept apart from qunyun's .venv so its pinned
# dependencies never constrain ours.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-synapse"
VERSION="${SYNAPSE_VERSION:-1.163.0}"
STAMP="$VENV/.installed-$VERSION"
PY="${PYTHON:-python3}"
if [ -f "$STAMP" ]; then exit 0; fi
printf '\033[1;34m[dev]\033[0m %s\n' "installing Synapse $VERSION into .venv-synapse" >&2
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# The warnings a machine's file:// extra index prints for each package it lacks are noise.
"$VENV/bin/pip" install -q --upgrade pip 2>&1 >/dev/null | grep -v "is ignored: it is neither" >&2 || true
"$VENV/bin/pip" install -q "matrix-synapse==$VERSION" 2> >(grep -v "is ignored: it is neither" >&2)
"$VENV/bin/python" -c "import synapse" >/dev/null
touch "$STAMP"
