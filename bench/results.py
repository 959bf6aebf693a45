"""What the benchmark reports (bench/report.py, bench/report_replication.py) share: reading a results
file of `key=value` lines, one row per `phase=`, and the words for a target met or missed."""


def load(path):
    """{phase: {key: value}} from a results file; a later line of the same phase replaces an earlier one."""
    rows = {}
    with open(path) as f:
        for line in f:
            fields = dict(p.split("=", 1) for p in line.split() if "=" in p)
            if "phase" in fields:
                rows[fields["phase"]] = fields
    return rows


def num(row, key, default=0.0):
    """row[key] as a float; `default` when it is missing or not a number."""
    try:
        return float(row.get(key, default))
    except (TypeError, ValueError):
        return default


def verdict(ok):
    return "meets target" if ok else "MISSES target"
