#!/usr/bin/env python3
"""Checks deploy/alertmanager against the Prometheus alert rules, with amtool.

  check-alertmanager.py config        amtool check-config (templates included)
  check-alertmanager.py routes        every (alert, severity) of the rule files has a route case;
                                      amtool config routes test --verify.receivers for each case;
                                      every receiver is reached by some case
  check-alertmanager.py inhibitions   the inhibition cases hold; every inhibit rule silences
                                      something in at least one case
  check-alertmanager.py template      parley.title / parley.text render the summary, description
                                      and runbook_url of every alert in the test data
  check-alertmanager.py --self-test   each check above fails on a deliberately broken copy

Exits 1 with the reasons on stdout when a check fails. Needs amtool (Debian package
prometheus-alertmanager) and PyYAML.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULTS = {
    "config": os.path.join(ROOT, "deploy/alertmanager/alertmanager.yml"),
    "tests": os.path.join(ROOT, "deploy/alertmanager/routes.test.yml"),
    "rules": os.path.join(ROOT, "deploy/prometheus/rules"),
    "templates": os.path.join(ROOT, "deploy/alertmanager/templates"),
    "data": os.path.join(ROOT, "deploy/alertmanager/template-data.test.json"),
}


class CheckFailed(Exception):
    pass


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def amtool(*args):
    return subprocess.run(["amtool", *args], capture_output=True, text=True, check=False)


# --- Alerts of the rule files ------------------------------------------------------------------

def rule_files(rules_dir):
    return sorted(f for f in glob.glob(os.path.join(rules_dir, "*.yml")) if not f.endswith(".test.yml"))


def severities_of(value):
    """The severities a rule's label can produce: a literal, or the text outside {{ }} actions of a template."""
    if value is None:
        return {None}
    parts = [p.strip() for p in re.split(r"\{\{.*?\}\}", str(value), flags=re.S)]
    found = {p for p in parts if p}
    if not found or any(not re.fullmatch(r"[a-z]+", p) for p in found):
        raise CheckFailed(f"cannot tell the severities of the template {value!r}")
    return found


def alerts_in_rules(rules_dir):
    """{alertname: {severity, ...}} over every rule file (*.test.yml excluded)."""
    alerts = {}
    files = rule_files(rules_dir)
    if not files:
        raise CheckFailed(f"no rule files in {rules_dir}")
    for path in files:
        for group in load_yaml(path).get("groups") or []:
            for rule in group.get("rules") or []:
                if "alert" in rule:
                    sev = severities_of((rule.get("labels") or {}).get("severity"))
                    alerts.setdefault(rule["alert"], set()).update(sev)
    if not alerts:
        raise CheckFailed(f"no alerts in {', '.join(files)}")
    return alerts


# --- Matchers, as Alertmanager's inhibit rules read them --------------------------------------------

MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$')


def parse_matcher(text):
    m = MATCHER.match(text)
    if not m:
        raise CheckFailed(f"cannot parse matcher {text!r} (the check understands name op \"value\")")
    name, op, quoted, bare = m.groups()
    value = bytes(quoted, "utf-8").decode("unicode_escape") if quoted is not None else bare
    return name, op, value


def matches(matcher, labels):
    name, op, value = matcher
    actual = labels.get(name, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    hit = re.fullmatch(value, actual) is not None
    return hit if op == "=~" else not hit


def inhibit_rules(config):
    rules = []
    for i, r in enumerate(config.get("inhibit_rules") or []):
        legacy = {"source_match", "source_match_re", "target_match", "target_match_re"} & set(r)
        if legacy:
            raise CheckFailed(f"inhibit rule {i + 1}: use source_matchers/target_matchers, not {sorted(legacy)}")
        rules.append({
            "index": i + 1,
            "source": [parse_matcher(m) for m in r.get("source_matchers") or []],
            "target": [parse_matcher(m) for m in r.get("target_matchers") or []],
            "equal": list(r.get("equal") or []),
        })
    return rules


def inhibiting_rules(rules, source, target):
    """The rules under which a firing `source` silences `target` (an alert never silences itself)."""
    if source == target:
        return []
    return [
        r for r in rules
        if all(matches(m, target) for m in r["target"])
        and all(matches(m, source) for m in r["source"])
        and all(source.get(l, "") == target.get(l, "") for l in r["equal"])
    ]


# --- Checks ------------------------------------------------------------------------------------------

def check_config(p):
    res = amtool("check-config", p["config"])
    if res.returncode != 0:
        raise CheckFailed((res.stdout + res.stderr).strip())
    # A template glob that matches nothing passes check-config silently.
    config = load_yaml(p["config"])
    base = os.path.dirname(p["config"])
    for pattern in config.get("templates") or []:
        if not glob.glob(os.path.join(base, pattern)):
            raise CheckFailed(f"templates: {pattern} matches no file next to {p['config']}")


def check_routes(p):
    config = load_yaml(p["config"])
    tests = load_yaml(p["tests"])
    alerts = alerts_in_rules(p["rules"])
    cases = tests.get("routes") or []
    errs = []
    covered = set()
    for i, case in enumerate(cases):
        labels = {str(k): str(v) for k, v in (case.get("labels") or {}).items()}
        name = labels.get("alertname")
        where = f"routes[{i}] ({name})"
        if not name or not case.get("receivers"):
            errs.append(f"{where}: needs labels.alertname and receivers")
            continue
        if name not in alerts:
            if not case.get("hypothetical"):
                errs.append(f"{where}: no rule defines {name} (mark the case hypothetical: true if that is the point)")
        elif labels.get("severity") not in alerts[name]:
            errs.append(f"{where}: {name} cannot carry severity {labels.get('severity')!r} (rules: {sorted(map(str, alerts[name]))})")
        else:
            covered.add((name, labels.get("severity")))
        args = [f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels.items()]
        res = amtool("config", "routes", "test", f"--config.file={p['config']}",
                     f"--verify.receivers={','.join(case['receivers'])}", *args)
        if res.returncode != 0:
            errs.append(f"{where}: expected {case['receivers']}: {(res.stdout + res.stderr).strip()}")
    for name, sevs in sorted(alerts.items()):
        for sev in sorted(sevs, key=str):
            if (name, sev) not in covered:
                errs.append(f"alert {name} with severity {sev!r} has no route case in {os.path.basename(p['tests'])}")
    reached = {r for c in cases for r in c.get("receivers") or []}
    for r in config.get("receivers") or []:
        if r["name"] not in reached:
            errs.append(f"receiver {r['name']} is reached by no route case")
    if errs:
        raise CheckFailed("\n".join(errs))
    return f"{len(cases)} cases, {len(alerts)} alerts"


def check_inhibitions(p):
    rules = inhibit_rules(load_yaml(p["config"]))
    cases = load_yaml(p["tests"]).get("inhibitions") or []
    errs = []
    used = set()
    for i, case in enumerate(cases):
        source = {str(k): str(v) for k, v in (case.get("source") or {}).items()}
        target = {str(k): str(v) for k, v in (case.get("target") or {}).items()}
        hits = inhibiting_rules(rules, source, target)
        used.update(r["index"] for r in hits)
        if bool(hits) != bool(case.get("inhibited")):
            why = f" (by inhibit rule {', '.join(str(r['index']) for r in hits)})" if hits else ""
            errs.append(f"inhibitions[{i}] {case.get('name')!r}: expected inhibited={bool(case.get('inhibited'))}, got {bool(hits)}{why}")
    for r in rules:
        if r["index"] not in used:
            errs.append(f"inhibit rule {r['index']} silences nothing in any inhibition case")
    if errs:
        raise CheckFailed("\n".join(errs))
    return f"{len(cases)} cases, {len(rules)} rules"


def check_template(p):
    with open(p["data"], encoding="utf-8") as f:
        data = json.load(f)
    glob_arg = f"--template.glob={os.path.join(p['templates'], '*.tmpl')}"
    out = {}
    for name in ("parley.title", "parley.text"):
        res = amtool("template", "render", glob_arg, f"--template.data={p['data']}", f"--template.text={{{{ template \"{name}\" . }}}}")
        if res.returncode != 0:
            raise CheckFailed(f"{name}: {(res.stdout + res.stderr).strip()}")
        out[name] = res.stdout
    errs = []
    if data["commonLabels"]["alertname"] not in out["parley.title"]:
        errs.append("parley.title does not name the alert")
    for alert in data["alerts"]:
        for key in ("summary", "description", "runbook_url"):
            if alert["annotations"][key] not in out["parley.text"]:
                errs.append(f"parley.text lacks the {key} of {alert['labels']['alertname']} ({alert['status']})")
    if errs:
        raise CheckFailed("\n".join(errs) + "\n--- rendered:\n" + out["parley.title"] + "\n" + out["parley.text"])


CHECKS = {"config": check_config, "routes": check_routes, "inhibitions": check_inhibitions, "template": check_template}


# --- Self-test: each check must fail on a broken copy -------------------------------------------------

def self_test():
    failures = []

    def broken(check, what, mutate):
        tmp = tempfile.mkdtemp(prefix="check-alertmanager-")
        try:
            am = os.path.join(tmp, "alertmanager")
            shutil.copytree(os.path.dirname(DEFAULTS["config"]), am)
            rules = os.path.join(tmp, "rules")
            shutil.copytree(DEFAULTS["rules"], rules)
            p = {"config": os.path.join(am, "alertmanager.yml"), "tests": os.path.join(am, "routes.test.yml"),
                 "rules": rules, "templates": os.path.join(am, "templates"),
                 "data": os.path.join(am, "template-data.test.json")}
            mutate(p)
            try:
                CHECKS[check](p)
                failures.append(f"{check}: passed although {what}")
            except CheckFailed as e:
                print(f"  caught: {check}: {what}\n      -> {str(e).splitlines()[0]}")
        finally:
            shutil.rmtree(tmp)

    def edit(path, old, new):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if old not in text:
            raise SystemExit(f"self-test is stale: {old!r} not in {path}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))

    def append(path, text):
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)

    new_alert = """
  - name: self-test
    rules:
      - alert: ParleySelfTestNewAlert
        expr: vector(1)
        labels:
          severity: page
"""
    broken("config", "a route names an undefined receiver",
           lambda p: edit(p["config"], "receiver: ticket\n", "receiver: tickets\n"))
    broken("config", "a template does not parse",
           lambda p: append(os.path.join(p["templates"], "parley.tmpl"), '{{ define "broken" }}{{ .Foo'))
    broken("config", "the template glob matches no file",
           lambda p: os.remove(os.path.join(p["templates"], "parley.tmpl")))
    broken("routes", "an alert was added to a rule file without a route case",
           lambda p: append(os.path.join(p["rules"], "parley-alerts.yml"), new_alert))
    broken("routes", "a templated severity lost one of its route cases",
           lambda p: edit(p["tests"], "kind: classifier }\n    receivers: [ticket]", "kind: classifier, severity: page }\n    receivers: [page]"))
    broken("routes", "pages are routed to the ticket receiver",
           lambda p: edit(p["config"], "receiver: page\n", "receiver: ticket\n"))
    broken("routes", "a case names an alert no rule defines",
           lambda p: edit(p["tests"], "alertname: ParleyHighErrorRate, severity: page", "alertname: ParleyHighErrorRates, severity: page"))
    broken("routes", "a case expects a receiver nothing routes to",
           lambda p: edit(p["tests"], "severity: info, job: gateway }\n    receivers: [default]", "severity: info, job: gateway }\n    receivers: [ticket]"))
    broken("inhibitions", "the page->ticket rule no longer requires equal slo",
           lambda p: edit(p["config"], "    equal: [slo]\n", ""))
    broken("inhibitions", "an inhibit rule was added that no case exercises",
           lambda p: edit(p["config"], "inhibit_rules:\n", "inhibit_rules:\n  - source_matchers: ['alertname=\"Nothing\"']\n    target_matchers: ['alertname=\"Other\"']\n"))
    broken("template", "parley.alert no longer prints the runbook",
           lambda p: edit(os.path.join(p["templates"], "parley.tmpl"), "Runbook: {{ .Annotations.runbook_url }}", "Runbook: see the wiki"))
    if failures:
        print("\n".join(failures))
        return 1
    return 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(__doc__)
        return 2
    try:
        note = CHECKS[argv[0]](DEFAULTS)
    except CheckFailed as e:
        print(e)
        return 1
    if note:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
