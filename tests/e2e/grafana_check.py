#!/usr/bin/env python3
"""grafana_check.py - checks grafana/ without Grafana (used by t-grafana.sh).

  grafana_check.py schema DASHBOARD.json DATASOURCES.yaml DASHBOARDS.yaml
      the fields Grafana requires of a dashboard and of provisioning files.
  grafana_check.py queries DASHBOARD.json URL FROM TO REGRESSED_SHA
      every template variable query, panel target and annotation of the
      dashboard, with template variables and macros expanded as Grafana's
      PostgreSQL data source expands them, run with psql against URL; each
      must return the expected columns and at least one row.
  grafana_check.py v1 URL BRANCH
      SQL in the shape of the panels of the transformers benchmark v1
      dashboard, against benchline's schema: which work unchanged.

Expansion follows Grafana (public/app/features/plugins/sql SqlDatasource
.interpolateVariable, the sqlstring format, pkg/tsdb/sqleng and
pkg/tsdb/grafana-postgresql-datasource/macros.go): template variables first
(a multi-value or include-All variable becomes 'a','b' with quotes doubled,
"All" every option of the variable's query; a single-value one is inserted
with its quotes doubled and no quotes around it; ${var:sqlstring} is always
quoted), then $__interval_ms and $__interval, then each $__macro(args).
Python standard library only.
"""
import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("not ok: " + msg)


def ok(msg):
    print("ok - " + msg)


# ---- schema of the dashboard and provisioning files ----------------------------------------------------------------

def parse_yaml(path):
    """The YAML subset provisioning files use: block mappings, lists of
    mappings, plain or double-quoted scalars, comments. Anything else is an
    error, never a guess."""
    root = {}
    stack = [(0, root)]  # (column of the container's keys or items, container)
    lines = open(path, encoding="utf-8").read().split("\n")

    def significant(l):
        return l.strip() and not l.strip().startswith("#")
    for no, raw in enumerate(lines, 1):
        if not significant(raw):
            continue
        if "\t" in raw:
            raise ValueError("%s:%d: tab character" % (path, no))
        line = re.sub(r"\s+#.*$", "", raw.rstrip())
        ind = len(line) - len(line.lstrip())
        text = line.strip()
        while stack[-1][0] > ind:
            stack.pop()
        if text.startswith("- "):
            col, lst = stack[-1]
            if not isinstance(lst, list) or col != ind:
                raise ValueError("%s:%d: list item where none is expected" % (path, no))
            obj = {}
            lst.append(obj)
            ind += 2
            stack.append((ind, obj))
            text = text[2:]
        col, parent = stack[-1]
        m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?$', text)
        if not m or not isinstance(parent, dict) or col != ind:
            raise ValueError("%s:%d: cannot read '%s'" % (path, no, raw))
        key, value = m.group(1), m.group(2)
        if key in parent:
            raise ValueError("%s:%d: duplicate key '%s'" % (path, no, key))
        if value:
            if value[0] in "[{&*!|>'" or (value[0] == '"' and not value.endswith('"')):
                raise ValueError("%s:%d: value form not handled: %s" % (path, no, value))
            parent[key] = value[1:-1] if value[0] == '"' else value
            continue
        nxt = next((l for l in lines[no:] if significant(l)), "")
        nind = len(nxt) - len(nxt.lstrip())
        is_list = nxt.strip().startswith("- ")
        if nind < ind or (nind == ind and not is_list):
            raise ValueError("%s:%d: '%s' has no value" % (path, no, key))
        child = [] if is_list else {}
        parent[key] = child
        stack.append((nind, child))
    return root


def check_schema(dash_path, ds_path, prov_path):
    d = json.load(open(dash_path, encoding="utf-8"))
    for key, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list), ("templating", dict),
                      ("time", dict)):
        if not isinstance(d.get(key), kind):
            fail("dashboard: '%s' missing or not a %s" % (key, kind.__name__))
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d.get("uid", "")):
        fail("dashboard: uid '%s' is not 1 to 40 letters, digits, - or _" % d.get("uid"))
    ids = set()
    for p in d.get("panels", []):
        what = "panel %s" % p.get("title", p.get("id"))
        for key, kind in (("id", int), ("type", str), ("gridPos", dict), ("targets", list), ("datasource", dict),
                          ("title", str)):
            if not isinstance(p.get(key), kind):
                fail("%s: '%s' missing or not a %s" % (what, key, kind.__name__))
        if p.get("id") in ids:
            fail("%s: id %s used twice" % (what, p.get("id")))
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g.get("x", 0) + g.get("w", 0) > 24:
            fail("%s: gridPos needs integers h, w, x, y within 24 columns, got %s" % (what, g))
        for t in p.get("targets", []):
            if not t.get("refId") or not t.get("rawSql") or t.get("format") not in ("time_series", "table"):
                fail("%s: a target needs refId, rawSql and format time_series or table" % what)
            if t.get("datasource", {}).get("type") != "grafana-postgresql-datasource":
                fail("%s: a target's data source is not PostgreSQL" % what)
        if p.get("datasource", {}).get("type") != "grafana-postgresql-datasource":
            fail("%s: data source type is not grafana-postgresql-datasource" % what)
    names = set()
    for v in d.get("templating", {}).get("list", []):
        for key in ("name", "type", "query"):
            if not v.get(key):
                fail("variable %s: '%s' missing" % (v.get("name"), key))
        if v.get("type") not in ("query", "datasource", "custom", "textbox", "constant", "interval"):
            fail("variable %s: unknown type %s" % (v.get("name"), v.get("type")))
        names.add(v.get("name"))
    for want in ("repository", "branch", "benchmark", "metric", "machine", "datasource"):
        if want not in names:
            fail("dashboard: no template variable '%s'" % want)
    for a in d.get("annotations", {}).get("list", []):
        if not a.get("name") or not a.get("datasource"):
            fail("annotation %s: name and datasource are required" % a.get("name"))

    ds = parse_yaml(ds_path)
    if ds.get("apiVersion") != "1" or not isinstance(ds.get("datasources"), list) or not ds["datasources"]:
        fail("%s: needs apiVersion: 1 and a list of datasources" % ds_path)
    else:
        s = ds["datasources"][0]
        for key in ("name", "type", "uid", "url", "user"):
            if not s.get(key):
                fail("%s: data source '%s' missing" % (ds_path, key))
        if s.get("type") != "grafana-postgresql-datasource":
            fail("%s: type is %s, not grafana-postgresql-datasource" % (ds_path, s.get("type")))
        if not s.get("jsonData", {}).get("database"):
            fail("%s: jsonData.database missing" % ds_path)
        if not s.get("secureJsonData", {}).get("password"):
            fail("%s: secureJsonData.password missing" % ds_path)
        current = next((v for v in d["templating"]["list"] if v.get("type") == "datasource"), {})
        if current.get("current", {}).get("value") != s.get("uid"):
            fail("dashboard: the data source variable's default is not the provisioned uid '%s'" % s.get("uid"))
    pv = parse_yaml(prov_path)
    if pv.get("apiVersion") != "1" or not isinstance(pv.get("providers"), list) or not pv["providers"]:
        fail("%s: needs apiVersion: 1 and a list of providers" % prov_path)
    else:
        p = pv["providers"][0]
        if not p.get("name") or p.get("type") != "file" or not p.get("options", {}).get("path"):
            fail("%s: a provider needs name, type: file and options.path" % prov_path)
    if failures == 0:
        ok("dashboard, data source and dashboard provisioning have the fields Grafana requires")


# ---- expansion as Grafana does it -------------------------------------------------------------------------------------

def quote(v):
    return "'" + str(v).replace("'", "''") + "'"


VAR_RE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}")


def interpolate(sql, variables, values, text=False):
    """variables: name -> definition (multi, includeAll); values: name -> str
    or list. text: as in a panel title (values as they are, joined by +)."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(4)
        fmt = m.group(3) or m.group(5)
        if name not in values:
            return m.group(0)  # a macro or a built-in the backend expands
        value = values[name]
        var = variables.get(name, {})
        if text:
            return " + ".join(value) if isinstance(value, list) else value
        if fmt == "sqlstring":
            vals = value if isinstance(value, list) else [value]
            return ",".join(quote(v) for v in vals)
        if fmt == "raw":
            return ",".join(value) if isinstance(value, list) else value
        if fmt:
            raise ValueError("format %s not handled by this check" % fmt)
        if isinstance(value, list):
            return ",".join(quote(v) for v in value)
        if var.get("multi") or var.get("includeAll"):
            return quote(value)
        return str(value).replace("'", "''")
    return VAR_RE.sub(repl, sql)


def rfc3339nano(t):
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += ("." + "%06d" % t.microsecond).rstrip("0")
    return s + "Z"


def parse_interval(s):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", s.strip().strip("'"))
    if not m:
        raise ValueError("cannot parse interval %s" % s)
    mult = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    return int(m.group(1)) * mult


def format_interval(seconds):
    for unit, size in (("y", 31536000), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            return "%d%s" % (seconds // size, unit)
    return "%dms" % max(1, int(round(seconds * 1000)))


def go_float(x):
    s = repr(float(x))
    return s[:-2] if s.endswith(".0") else s


MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")


def expand_macros(sql, t_from, t_to, interval_s):
    sql = sql.replace("$__interval_ms", str(int(interval_s * 1000)))
    sql = sql.replace("$__interval", format_interval(interval_s))
    sql = sql.replace("$__unixEpochFrom()", str(int(t_from.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(t_to.timestamp())))

    def macro(m):
        name, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
        if name == "__time":
            return '%s AS "time"' % args[0]
        if name == "__timeEpoch":
            return 'extract(epoch from %s) as "time"' % args[0]
        if name == "__timeFilter":
            return "%s BETWEEN '%s' AND '%s'" % (args[0], rfc3339nano(t_from), rfc3339nano(t_to))
        if name == "__timeFrom":
            return "'%s'" % rfc3339nano(t_from)
        if name == "__timeTo":
            return "'%s'" % rfc3339nano(t_to)
        if name in ("__timeGroup", "__timeGroupAlias"):
            secs = go_float(parse_interval(args[1]))
            g = "floor(extract(epoch from %s)/%s)*%s" % (args[0], secs, secs)
            return g + ' AS "time"' if name == "__timeGroupAlias" else g
        if name == "__unixEpochFilter":
            return "%s >= %d AND %s <= %d" % (args[0], int(t_from.timestamp()), args[0], int(t_to.timestamp()))
        raise ValueError("unknown macro %s" % name)
    sql = MACRO_RE.sub(macro, sql)
    left = re.search(r"\$\{?[_A-Za-z]", sql)
    if left:
        raise ValueError("unexpanded variable or macro at: %s" % sql[left.start():left.start() + 30])
    return sql


# ---- psql ------------------------------------------------------------------------------------------------------------

def psql(url, sql, describe=False):
    """Rows (header first) of sql; with describe, its (column, type) pairs
    (psql's \\gdesc: the result's shape without running it). Raises on an
    SQL error with the server's message."""
    body = sql.strip().rstrip(";") + ("\n\\gdesc\n" if describe else "\n;\n")
    p = subprocess.run([os.environ.get("PSQL", "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", url], input=body, text=True,
                       capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    return list(csv.reader(io.StringIO(p.stdout)))


NUMERIC = {"double precision", "numeric", "bigint", "integer", "real", "smallint"}
TIME = {"timestamp with time zone", "timestamp without time zone"} | NUMERIC

# Columns each target must return, by panel id ("annotation" for the annotation).
EXPECTED = {
    1: ["time", "metric", "median"],
    2: ["time", "metric", "cpu_util", "gpu_util"],
    3: ["time", "metric", "mem_megabytes", "gpu_mem_megabytes"],
    4: ["time", "commit", "subject", "benchmark", "params", "metric", "machine", "verdict", "change_pct",
        "change_lo_pct", "change_hi_pct", "p", "level_before", "level_after", "unit", "unmeasured", "detected_at"],
    5: ["time", "commit", "subject", "author", "branches", "cases", "complete", "failed", "regressions"],
    "annotation": ["time", "text", "tags"],
}


def run_target(url, what, sql, fmt, expected, need_rows):
    """Runs one expanded target; returns its rows as dicts (or None on failure)."""
    try:
        shape = psql(url, sql, describe=True)[1:]
        rows = psql(url, sql)
    except RuntimeError as e:
        fail("%s: %s\n%s" % (what, e, sql))
        return None
    columns = [c for c, _ in shape]
    types = dict(shape)
    if expected and columns != expected:
        fail("%s: columns %s, expected %s" % (what, columns, expected))
        return None
    if fmt == "time_series":
        if "time" not in types or types["time"] not in TIME:
            fail("%s: a time series needs a time column of a time or number type, got %s" % (what, shape))
        for c, t in shape:
            if c not in ("time", "metric") and t not in NUMERIC:
                fail("%s: value column %s is %s, not a number" % (what, c, t))
    if len(rows) < 2 and need_rows:
        fail("%s: no rows" % what)
        return None
    ok("%s: %d rows with columns %s" % (what, len(rows) - 1, ", ".join(columns)))
    if len(rows) < 2:
        return None
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def resolve_variables(url, dash, choices, t_from, t_to, interval_s):
    """Runs each query variable in order (later ones see earlier values) and
    picks its value: choices[name] (a list for multi), else "All" (every
    option) where allowed, else the default, else the first option."""
    defs = {v["name"]: v for v in dash["templating"]["list"]}
    values = {}
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        sql = expand_macros(interpolate(v["query"], defs, values), t_from, t_to, interval_s)
        try:
            rows = psql(url, sql)[1:]
        except RuntimeError as e:
            fail("variable %s: %s\n%s" % (v["name"], e, sql))
            return None
        options = [r[0] for r in rows]
        if not options:
            fail("variable %s: its query returns no options" % v["name"])
            return None
        want = choices.get(v["name"])
        if want is not None:
            for w in want if isinstance(want, list) else [want]:
                if w not in options:
                    fail("variable %s: '%s' is not among its options %s" % (v["name"], w, options))
            values[v["name"]] = want
        elif v.get("includeAll"):
            values[v["name"]] = options
        else:
            default = v.get("current", {}).get("value")
            values[v["name"]] = default if default in options else options[0]
    return defs, values


def check_queries(dash_path, url, t_from_s, t_to_s, regressed_sha, metric, narrow_from, narrow_to):
    dash = json.load(open(dash_path, encoding="utf-8"))
    full = (dt.datetime.fromisoformat(t_from_s), dt.datetime.fromisoformat(t_to_s))
    narrow = (dt.datetime.fromisoformat(narrow_from), dt.datetime.fromisoformat(narrow_to))
    everything = {1, 2, 3, 4, 5, "annotation"}
    # (label, variable choices, time range, targets that must return rows)
    rounds = [
        ("All selected", {}, full, everything),
        ("one benchmark, one branch, a metric with quotes", {"benchmark": ["step"], "branch": ["main"],
                                                            "metric": metric}, full, everything),
        # Only the device panels: the commits are dated January 2026.
        ("the time of the sweep, grouped by 10 ms", {}, narrow, {2, 3}),
    ]
    for label, choices, (t_from, t_to), need_rows in rounds:
        # Grafana's interval: the range over about 1000 points, at least the data source's 10 ms.
        interval_s = max(0.01, (t_to - t_from).total_seconds() / 1000)
        if interval_s >= 1:
            interval_s = float(int(interval_s))
        resolved = resolve_variables(url, dash, choices, t_from, t_to, interval_s)
        if not resolved:
            continue
        defs, values = resolved
        print("# %s: %s, interval %s" % (label, json.dumps(values), format_interval(interval_s)))
        targets = [(p["id"], p["title"], t) for p in dash["panels"] for t in p["targets"]]
        targets += [("annotation", a["name"], a["target"]) for a in dash["annotations"]["list"] if "target" in a]
        for pid, title, t in targets:
            try:
                sql = expand_macros(interpolate(t["rawSql"], defs, values), t_from, t_to, interval_s)
            except ValueError as e:
                fail("%s: %s" % (title, e))
                continue
            rows = run_target(url, "%s [%s]" % (interpolate(title, defs, values, text=True), label), sql,
                              t.get("format"), EXPECTED.get(pid), pid in need_rows)
            if rows and pid == 4 and regressed_sha and label == rounds[0][0]:
                if not any(r["commit"] == regressed_sha[:10] and r["verdict"] == "regressed" for r in rows):
                    fail("regressions table: no regressed row at %s: %s" % (regressed_sha[:10], rows))
                else:
                    ok("regressions table lists the regression at %s" % regressed_sha[:10])
            if rows and pid == 1 and label == rounds[1][0]:
                if any(not r["metric"].startswith("step ") for r in rows):
                    fail("metric panel: a series of another benchmark with benchmark=step: %s" % rows)


# ---- the transformers benchmark v1 dashboard ---------------------------------------------------------------------------

# SQL in the shape of the panels and variables of transformers' v1
# benchmark/grafana_dashboard.json (written for this check, not copied):
# (what, sql, None when it must work unchanged, else the error it must give).
V1_GPU = 'column "gpu_name" does not exist'
V1_QUERIES = [
    ("variable branch", "SELECT DISTINCT branch FROM benchmarks", None),
    ("variable gpu_name", "SELECT DISTINCT gpu_name FROM benchmarks", V1_GPU),
    ("variable StartTime", "SELECT created_at - INTERVAL '5 secs' FROM benchmarks WHERE branch = '${branch}'"
     " ORDER BY benchmark_id ASC LIMIT 1", None),
    ("variable EndTime", "SELECT time + INTERVAL '5 secs' FROM benchmarks AS b JOIN device_measurements AS d"
     " ON b.benchmark_id = d.benchmark_id WHERE branch = '${branch}'"
     " ORDER BY b.benchmark_id DESC, d.measurement_id DESC LIMIT 1", None),
    ("commit table with gpu_name", "SELECT commit_id, commit_message, gpu_name, created_at AS date FROM benchmarks"
     " WHERE branch = '${branch}' ORDER BY benchmark_id DESC LIMIT ${last_n_commits}", V1_GPU),
    ("commit table, GPU from metadata", "SELECT commit_id, commit_message, metadata->'gpus'->0->>'name' AS gpu_name,"
     " created_at AS date FROM benchmarks WHERE branch = '${branch}' ORDER BY benchmark_id DESC"
     " LIMIT ${last_n_commits}", None),
    ("measurement bar chart with gpu_name", "SELECT CAST(m.measurements->'time_to_first_token_secs' AS double precision)"
     " AS time_to_first_token_secs, left(b.commit_id, 7), m.time FROM benchmarks AS b JOIN model_measurements AS m"
     " ON b.benchmark_id = m.benchmark_id WHERE b.branch = '${branch}' AND gpu_name = '${gpu_name}'"
     " ORDER BY b.benchmark_id DESC LIMIT ${last_n_commits}", V1_GPU),
    ("measurement bar chart without the GPU filter", "SELECT CAST(m.measurements->'time_to_first_token_secs'"
     " AS double precision) AS time_to_first_token_secs, left(b.commit_id, 7), m.time FROM benchmarks AS b"
     " JOIN model_measurements AS m ON b.benchmark_id = m.benchmark_id WHERE b.branch = '${branch}'"
     " ORDER BY b.benchmark_id DESC LIMIT ${last_n_commits}", None),
    ("CPU utilisation", "SELECT d.cpu_util, d.time FROM benchmarks AS b JOIN device_measurements AS d"
     " ON b.benchmark_id = d.benchmark_id WHERE branch = '${branch}'", None),
    ("memory", "SELECT d.mem_megabytes, d.time FROM benchmarks AS b JOIN device_measurements AS d"
     " ON b.benchmark_id = d.benchmark_id WHERE branch = '${branch}'", None),
    ("GPU utilisation", "SELECT b.commit_id, d.gpu_util, d.time FROM benchmarks AS b JOIN device_measurements AS d"
     " ON b.benchmark_id = d.benchmark_id WHERE branch = '${branch}'", None),
    ("GPU memory", "SELECT d.gpu_mem_megabytes, d.time FROM benchmarks AS b JOIN device_measurements AS d"
     " ON b.benchmark_id = d.benchmark_id WHERE branch = '${branch}'", None),
]


def check_v1(url, branch):
    defs = {"branch": {}, "gpu_name": {}, "last_n_commits": {}}
    values = {"branch": branch, "gpu_name": "NVIDIA A10G", "last_n_commits": "10"}
    for what, sql, error in V1_QUERIES:
        sql = interpolate(sql, defs, values)
        try:
            rows = psql(url, sql)
        except RuntimeError as e:
            if error and error in str(e):
                ok("v1 %s: needs a change (%s)" % (what, error))
            else:
                fail("v1 %s: %s" % (what, e))
            continue
        if error:
            fail("v1 %s: worked, expected '%s'" % (what, error))
        elif len(rows) < 2 or all(v == "" for v in rows[1]):
            fail("v1 %s: no rows or only NULLs: %s" % (what, rows[:3]))
        else:
            ok("v1 %s: works unchanged (%d rows)" % (what, len(rows) - 1))


def main(argv):
    if len(argv) >= 2 and argv[1] == "schema" and len(argv) == 5:
        check_schema(*argv[2:])
    elif len(argv) >= 2 and argv[1] == "queries" and len(argv) == 10:
        check_queries(*argv[2:])
    elif len(argv) >= 2 and argv[1] == "v1" and len(argv) == 4:
        check_v1(*argv[2:])
    else:
        print(__doc__)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
