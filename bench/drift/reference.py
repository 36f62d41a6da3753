"""Python + numpy reference for bench/drift: the same parse-and-bin work as the detector core.

Reads SageMaker data capture JSON lines, decodes each record's CSV input (batches: one row per
line), parses numeric fields with float() and bins them with numpy.searchsorted on the baseline's
fine edges (vectorized per 100k rows), counts categories with a dict, and prints one JSON line:
rows, malformed lines, the first numeric feature's bin counts and its PSI on the baseline's PSI bins.
"""
import json
import os
import sys

import numpy as np

FLUSH_ROWS = 100_000
MISSING = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none"}


def capture_files(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
    return out


def main():
    baseline = json.load(open(sys.argv[1]))
    features = baseline["features"]
    width = len(features)
    numeric = [i for i, f in enumerate(features) if f["type"] == "numeric"]
    categorical = [i for i, f in enumerate(features) if f["type"] == "categorical"]
    edges = {i: np.asarray(features[i]["edges"], dtype=float) for i in numeric}
    counts = {i: np.zeros(len(edges[i]) + 1, dtype=np.int64) for i in numeric}
    index = {i: {c: k for k, c in enumerate(features[i]["categories"])} for i in categorical}
    cat_counts = {i: [0] * (len(features[i]["categories"]) + 1) for i in categorical}
    buffers = {i: [] for i in numeric}
    rows = malformed = missing = 0
    pending = 0

    def flush():
        for i in numeric:
            if buffers[i]:
                values = np.asarray(buffers[i], dtype=float)
                counts[i] += np.bincount(np.searchsorted(edges[i], values, side="left"), minlength=len(edges[i]) + 1)
                buffers[i].clear()

    for path in capture_files(sys.argv[2]):
        with open(path, "rb") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                    data = record["captureData"]["endpointInput"]["data"]
                except (ValueError, KeyError, TypeError):
                    malformed += 1
                    continue
                for row in data.split("\n"):
                    if not row:
                        continue
                    fields = row.split(",")
                    if len(fields) != width:
                        malformed += 1
                        continue
                    rows += 1
                    pending += 1
                    for i in numeric:
                        v = fields[i]
                        if v in MISSING:
                            missing += 1
                            continue
                        try:
                            buffers[i].append(float(v))
                        except ValueError:
                            malformed += 1
                    for i in categorical:
                        k = index[i].get(fields[i].strip())
                        cat_counts[i][len(cat_counts[i]) - 1 if k is None else k] += 1
                if pending >= FLUSH_ROWS:
                    flush()
                    pending = 0
    flush()

    first = numeric[0]
    f = features[first]
    fine_edges, psi_edges = np.asarray(f["edges"]), np.asarray(f["psiEdges"])
    # Fine bins sum into the PSI bin their upper edge falls in (the detector's fineToCoarse).
    coarse_index = np.append(np.searchsorted(psi_edges, fine_edges, side="left"), len(psi_edges))
    window = np.bincount(coarse_index, weights=counts[first], minlength=len(psi_edges) + 1)

    def filled(c):
        p = np.asarray(c, dtype=float) / np.sum(c)
        p[p == 0] = 0.0001
        return p

    p, q = filled(f["psiCounts"]), filled(window)
    print(json.dumps({
        "rows": rows,
        "malformed": malformed,
        "missing": missing,
        "firstFeature": f["name"],
        "firstCounts": counts[first].tolist(),
        "firstPsi": float(np.sum((q - p) * np.log(q / p))),
    }))


if __name__ == "__main__":
    main()
