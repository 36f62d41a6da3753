#!/usr/bin/env bash
# Installs the Python packages of the example training scripts, only when one is missing or at another
# version than a requirements file pins. Idempotent and fast (one Python start, no pip) when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
# scikit-learn for the XGBoost/scikit-learn examples; torch (CPU build) for the PyTorch source-directory example.
REQUIREMENTS=(examples/training/scripts/requirements.txt examples/training/scripts/requirements-pytorch.txt)
PYTHON=${PYTHON:-python3}

installed() {
  # Compares installed versions with the `name==version` pins; importing the packages would take seconds.
  # As PEP 440 says, a pin without a local label (2.13.0) is met by a build that has one (2.13.0+cpu).
  "$PYTHON" - "$@" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for path in sys.argv[1:]:
    for line in open(path):
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, pinned = line.partition("==")
        try:
            if version(name).split("+")[0] != pinned:
                sys.exit(1)
        except PackageNotFoundError:
            sys.exit(1)
PY
}

missing=()
for requirements in "${REQUIREMENTS[@]}"; do
  installed "$requirements" || missing+=("$requirements")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

echo "ensure-python-deps: installing ${missing[*]}" >&2
PIP_ARGS=(-q --disable-pip-version-check --root-user-action=ignore)
# This machine has local package indexes and no route to pypi.org: use them directly instead of waiting.
if [ -d /opt/pypi/simple ]; then
  PIP_ARGS+=(--index-url file:///opt/pypi/simple)
  [ -d /opt/pypi-more/simple ] && PIP_ARGS+=(--extra-index-url file:///opt/pypi-more/simple)
  [ -d /opt/wheels ] && PIP_ARGS+=(--find-links /opt/wheels)
fi
for requirements in "${missing[@]}"; do
  # pip warns about every local index folder that lacks a package; that is noise, errors still show.
  "$PYTHON" -m pip install "${PIP_ARGS[@]}" -r "$requirements" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
  installed "$requirements" || { echo "ensure-python-deps: $requirements is still not satisfied after pip install" >&2; exit 1; }
done
