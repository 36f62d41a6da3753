#!/usr/bin/env bash
# Installs the Python packages of the example training scripts, only when one is missing or at another
# version than requirements.txt pins. Idempotent and fast (one Python start, no pip) when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=examples/training/scripts/requirements.txt
PYTHON=${PYTHON:-python3}

installed() {
  # Compares installed versions with the `name==version` pins; importing scikit-learn would take ~1 s.
  "$PYTHON" - "$REQUIREMENTS" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, pinned = line.partition("==")
    try:
        if version(name) != pinned:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}

if installed; then exit 0; fi

echo "ensure-python-deps: installing $REQUIREMENTS" >&2
PIP_ARGS=(-q --disable-pip-version-check --root-user-action=ignore)
# This machine has local package indexes and no route to pypi.org: use them directly instead of waiting.
if [ -d /opt/pypi/simple ]; then
  PIP_ARGS+=(--index-url file:///opt/pypi/simple)
  [ -d /opt/pypi-more/simple ] && PIP_ARGS+=(--extra-index-url file:///opt/pypi-more/simple)
  [ -d /opt/wheels ] && PIP_ARGS+=(--find-links /opt/wheels)
fi
# pip warns about every local index folder that lacks a package; that is noise, errors still show.
"$PYTHON" -m pip install "${PIP_ARGS[@]}" -r "$REQUIREMENTS" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2

installed || { echo "ensure-python-deps: $REQUIREMENTS is still not satisfied after pip install" >&2; exit 1; }
