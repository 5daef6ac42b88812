#!/usr/bin/env bash
# deploy/check.sh: checks everything under deploy/. CI runs it as
#
#   bash deploy/check.sh
#
# from any directory. On a clean Debian machine, as root, it installs
# promtool (Debian's "prometheus" package) once; elsewhere it needs promtool,
# python3 (with PyYAML for the Kubernetes checks) on PATH already.
#
# Checks:
#   1. promtool check rules / test rules on deploy/prometheus/
#   2. the Grafana dashboard is valid JSON, importable in shape, and every
#      PromQL expression in it parses
#   3. every slad_* metric named in rules, rule tests and dashboard is one of
#      docs/design.md's (plus _bucket, _sum, _count)
#   4. the Kubernetes manifests parse and keep the properties slad relies on
#      (one replica, probes, security context, ...)
#   5. the Dockerfile keeps its contract (static build, distroless, non-root)
#   6. the systemd unit passes systemd-analyze verify, if systemd-analyze exists
#   7. the example Kubernetes config passes "slad validate" without a warning
#      with real secrets, and is warned about with secret.yaml's placeholders,
#      if slad builds
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
deploy=$root/deploy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

note() { printf '   %s\n' "$*"; }

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------
install_promtool() {
	if command -v promtool >/dev/null 2>&1; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "promtool is not on PATH and cannot be installed here (needs root and apt-get):" >&2
		echo "install Debian's 'prometheus' package or put promtool on PATH" >&2
		return 1
	fi
	local t0=$SECONDS
	echo "== installing promtool (Debian package prometheus)"
	export DEBIAN_FRONTEND=noninteractive
	# The package would start a Prometheus server on :9090 on a machine that
	# runs systemd; CI only wants promtool. policy-rc.d is Debian's switch
	# for "do not start services from maintainer scripts".
	local policy=/usr/sbin/policy-rc.d own_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		own_policy=1
	fi
	local rc=0
	{
		apt-get -o DPkg::Lock::Timeout=300 update -qq &&
			apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus
	} >"$tmp/apt.log" 2>&1 || rc=$?
	if [ -n "$own_policy" ]; then
		rm -f "$policy"
	fi
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$tmp/apt.log" >&2
		return "$rc"
	fi
	note "installed in $((SECONDS - t0))s: $(dpkg -L prometheus | grep '/promtool$')"
}

install_promtool
promtool --version 2>&1 | head -n 1 | sed 's/^/   /'

# ---------------------------------------------------------------------------
# Running the checks: each in a subshell with its own set -e, so that one
# failure is reported and the others still run.
# ---------------------------------------------------------------------------
passed=0
failed=()
check() {
	local name=$1
	shift
	echo
	echo "== $name"
	local rc=0
	set +e
	(
		set -euo pipefail
		"$@"
	)
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "   ok"
	else
		failed+=("$name")
		echo "   FAILED: $name"
	fi
}

rules=$deploy/prometheus/slad-rules.yml
rule_tests=$deploy/prometheus/slad-rules.test.yml
dashboard=$deploy/grafana/slad-dashboard.json

# ---------------------------------------------------------------------------
check_rules() { promtool check rules "$rules"; }
test_rules() { promtool test rules "$rule_tests"; }

# ---------------------------------------------------------------------------
check_dashboard() {
	if command -v jq >/dev/null 2>&1; then
		jq empty "$dashboard"
	else
		python3 -m json.tool "$dashboard" >/dev/null
	fi
	# Shape: what Grafana needs to import it and what the brief promises.
	python3 - "$dashboard" "$tmp/dashboard-rules.json" <<'PY'
import json, re, sys

path, out = sys.argv[1], sys.argv[2]
d = json.load(open(path))
errors = []
def need(cond, msg):
    if not cond:
        errors.append(msg)

need(isinstance(d.get("schemaVersion"), int) and d["schemaVersion"] >= 36, "schemaVersion missing or older than 36")
need(d.get("uid"), "no uid")
need(d.get("title"), "no title")
need(d.get("id") is None, "id must be null so that import creates the dashboard")
variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
ds = variables.get("DS_PROMETHEUS")
need(ds and ds.get("type") == "datasource" and ds.get("query") == "prometheus",
     "no datasource variable DS_PROMETHEUS of type prometheus")
sla = variables.get("sla")
need(sla and "label_values(slad_objective_ratio" in json.dumps(sla.get("query")),
     "no sla variable from label_values(slad_objective_ratio, sla)")

panels, exprs = [], []
def walk(ps):
    for p in ps:
        panels.append(p)
        walk(p.get("panels", []))
walk(d.get("panels", []))
ids = [p.get("id") for p in panels]
need(len(ids) == len(set(ids)), "panel ids are not unique")
for p in panels:
    if p.get("type") == "row":
        continue
    need("gridPos" in p, f"panel {p.get('title')!r} has no gridPos")
    for t in p.get("targets", []):
        uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
        need(uid == "${DS_PROMETHEUS}", f"panel {p.get('title')!r} does not use ${{DS_PROMETHEUS}}")
        if t.get("expr"):
            exprs.append((p.get("title"), t["expr"]))
need(exprs, "no PromQL expression found")

# Every expression, with Grafana's variables replaced by sample values, as a
# recording rule for promtool to parse.
durations = {"__rate_interval": "5m", "__interval": "1m", "__range": "1d"}
def subst(m):
    return durations.get(m.group(1), "x")
rules = [{"record": f"dashboard_expr_{i}",
          "expr": re.sub(r"\$\{?(\w+)\}?", subst, e)} for i, (_, e) in enumerate(exprs)]
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(out, "w"), indent=1)

if errors:
    print("\n".join("   " + e for e in errors))
    sys.exit(1)
print(f"   {len(panels)} panels, {len(exprs)} queries")
PY
	# promtool prints one line per file; keep quiet unless it fails.
	promtool check rules "$tmp/dashboard-rules.json" >"$tmp/promtool-dash.log" 2>&1 || {
		cat "$tmp/promtool-dash.log"
		return 1
	}
	note "every dashboard query parses"
}

# ---------------------------------------------------------------------------
# The contract: the "## Metrics" section of docs/design.md, the one list of
# slad's metric names.
check_metric_names() {
	local design=$root/docs/design.md known
	known=$(awk '/^## Metrics/{on=1; next} /^## /{on=0} on' "$design" |
		grep -oE 'slad_[a-z0-9_]+' | sort -u)
	[ -n "$known" ] || {
		echo "   no slad_* names found under '## Metrics' in $design"
		return 1
	}
	note "contract: $(echo "$known" | wc -l) metric names from docs/design.md"
	local allowed
	allowed=$(for m in $known; do printf '%s\n%s_bucket\n%s_sum\n%s_count\n' "$m" "$m" "$m" "$m"; done | sort -u)
	# Names with a colon are recording rules (level:metric:operations), not
	# slad's metrics.
	local used unknown
	used=$(grep -ohE '[A-Za-z0-9_:]*slad_[A-Za-z0-9_]*' "$rules" "$rule_tests" "$dashboard" |
		grep -v ':' | grep -E '^slad_' | sort -u)
	unknown=$(comm -23 <(echo "$used") <(echo "$allowed"))
	if [ -n "$unknown" ]; then
		echo "   not in docs/design.md's metric list:"
		local m
		while read -r m; do
			echo "     $m"
			grep -nH -- "$m" "$rules" "$rule_tests" "$dashboard" | head -n 3 | sed 's/^/       /'
		done <<<"$unknown"
		return 1
	fi
	note "$(echo "$used" | wc -l) names used, all in the contract"
}

# ---------------------------------------------------------------------------
check_kubernetes() {
	if ! python3 -c 'import yaml' 2>/dev/null; then
		note "skipped: python3 has no PyYAML (apt-get install python3-yaml)"
		return 0
	fi
	python3 - "$deploy/kubernetes" <<'PY'
import os, sys, yaml

base = sys.argv[1]
errors = []
def need(cond, msg):
    if not cond:
        errors.append(msg)

kust = yaml.safe_load(open(os.path.join(base, "kustomization.yaml")))
docs = {}
for f in kust["resources"]:
    p = os.path.join(base, f)
    need(os.path.isfile(p), f"kustomization.yaml lists {f}, which does not exist")
    if os.path.isfile(p):
        for doc in yaml.safe_load_all(open(p)):
            if doc:
                need("apiVersion" in doc and "kind" in doc, f"{f}: a document without apiVersion/kind")
                docs.setdefault(doc["kind"], []).append(doc)
listed = set(kust["resources"]) | {"kustomization.yaml"}
for f in sorted(os.listdir(base)):
    if f.endswith((".yaml", ".yml")):
        need(f in listed, f"{f} is not in kustomization.yaml")

sts = docs.get("StatefulSet", [None])[0]
need(sts is not None, "no StatefulSet")
if sts:
    spec = sts["spec"]
    need(spec.get("replicas") == 1, "StatefulSet must run exactly one replica (bbolt: one writer)")
    need(spec.get("volumeClaimTemplates"), "StatefulSet has no volumeClaimTemplates for the database")
    pod = spec["template"]["spec"]
    need(pod.get("terminationGracePeriodSeconds", 30) > 15,
         "terminationGracePeriodSeconds must exceed slad's ~15s shutdown")
    psc = pod.get("securityContext", {})
    need(psc.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot is not true")
    need(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccompProfile is not RuntimeDefault")
    c = pod["containers"][0]
    csc = c.get("securityContext", {})
    need(csc.get("readOnlyRootFilesystem") is True, "container readOnlyRootFilesystem is not true")
    need(csc.get("allowPrivilegeEscalation") is False, "container allowPrivilegeEscalation is not false")
    need(csc.get("capabilities", {}).get("drop") == ["ALL"], "container does not drop ALL capabilities")
    need(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "liveness probe is not GET /healthz")
    need(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", "readiness probe is not GET /readyz")
    need(c.get("resources", {}).get("requests") and c.get("resources", {}).get("limits"), "container has no resources")
    mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
    need("/var/lib/slad" in mounts, "nothing mounted at /var/lib/slad")
    args = " ".join(c.get("args", []))
    for flag in ("serve", "--config", "--data", "--listen"):
        need(flag in args, f"container args lack {flag}")

cm = docs.get("ConfigMap", [None])[0]
need(cm is not None and "config.yaml" in cm.get("data", {}), "no ConfigMap with config.yaml")
if cm and "config.yaml" in cm.get("data", {}):
    cfg = yaml.safe_load(cm["data"]["config.yaml"])
    need(isinstance(cfg, dict) and cfg.get("slas"), "config.yaml in the ConfigMap has no slas")
sec = docs.get("Secret", [None])[0]
need(sec is not None, "no Secret")
need(docs.get("Service"), "no Service")

if errors:
    print("\n".join("   " + e for e in errors))
    sys.exit(1)
print("   " + ", ".join(f"{k} x{len(v)}" if len(v) > 1 else k for k, v in sorted(docs.items())))
PY
	# The real renderer, where one is installed (neither is needed).
	if command -v kustomize >/dev/null 2>&1; then
		kustomize build "$deploy/kubernetes" >/dev/null
		note "kustomize build passes"
	elif command -v kubectl >/dev/null 2>&1; then
		kubectl kustomize "$deploy/kubernetes" >/dev/null
		note "kubectl kustomize passes"
	fi
}

# ---------------------------------------------------------------------------
check_dockerfile() {
	local f=$deploy/docker/Dockerfile ok=0
	local -a want=(
		'^FROM golang:1\.26 AS build'
		'CGO_ENABLED=0'
		'-trimpath'
		'-X main\.version='
		'^FROM gcr\.io/distroless/static-debian12:nonroot'
		'^USER 65532'
		'^VOLUME /var/lib/slad'
		'^EXPOSE 9780'
		'^ENTRYPOINT \["/slad"\]'
	)
	for re in "${want[@]}"; do
		if ! grep -qE -- "$re" "$f"; then
			echo "   Dockerfile lacks: $re"
			ok=1
		fi
	done
	[ -f "$deploy/docker/Dockerfile.dockerignore" ] || {
		echo "   deploy/docker/Dockerfile.dockerignore is missing"
		ok=1
	}
	[ -d "$root/cmd/slad" ] || {
		echo "   the Dockerfile builds ./cmd/slad, which does not exist"
		ok=1
	}
	return "$ok"
}

# ---------------------------------------------------------------------------
check_systemd() {
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		note "skipped: systemd-analyze is not installed"
		return 0
	fi
	# verify insists that ExecStart's binary exists; slad is not installed
	# on a CI machine, so check a copy pointing at a stand-in.
	mkdir -p "$tmp/systemd"
	printf '#!/bin/sh\n' >"$tmp/systemd/slad"
	chmod +x "$tmp/systemd/slad"
	sed "s#/usr/local/bin/slad#$tmp/systemd/slad#g" "$deploy/systemd/slad.service" >"$tmp/systemd/slad.service"
	systemd-analyze verify "$tmp/systemd/slad.service"
	if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
		local score
		score=$(systemd-analyze security --offline=yes "$tmp/systemd/slad.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		note "systemd-analyze security exposure: ${score:-?} (0 best, 10 worst)"
		if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s > 2.0) }'; then
			echo "   exposure over 2.0: the sandbox was weakened"
			return 1
		fi
	fi
}

# ---------------------------------------------------------------------------
validate_example_config() {
	if ! command -v go >/dev/null 2>&1; then
		note "skipped: no Go toolchain"
		return 0
	fi
	if ! python3 -c 'import yaml' 2>/dev/null; then
		note "skipped: python3 has no PyYAML"
		return 0
	fi
	if ! go build -o "$tmp/slad" ./cmd/slad >"$tmp/build.log" 2>&1; then
		note "skipped: slad does not build yet (go build ./cmd/slad failed)"
		return 0
	fi
	# The ConfigMap's config names secrets at /etc/slad-secrets/; point them
	# at stand-ins in a temporary directory.
	mkdir -p "$tmp/cfg/secrets"
	python3 - "$deploy/kubernetes/configmap.yaml" >"$tmp/cfg/raw.yaml" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["data"]["config.yaml"], end="")
PY
	# Secrets as an admin makes them (openssl rand -hex 32): no warning.
	for s in bridge-token admin-token; do
		python3 -c 'import secrets; print(secrets.token_hex(32))' >"$tmp/cfg/secrets/$s"
	done
	python3 -c 'import base64, secrets; print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())' >"$tmp/cfg/secrets/webhook-secret"
	sed "s#/etc/slad-secrets/#$tmp/cfg/secrets/#g" "$tmp/cfg/raw.yaml" >"$tmp/cfg/config.yaml"
	"$tmp/slad" validate --config "$tmp/cfg/config.yaml" >"$tmp/validate.out" 2>"$tmp/validate.err"
	sed 's/^/   /' "$tmp/validate.out"
	if [ -s "$tmp/validate.err" ]; then
		echo "slad validate warns about the example config with real secrets:" >&2
		cat "$tmp/validate.err" >&2
		return 1
	fi
	# The placeholders secret.yaml ships (REPLACE-ME-…) are warned about.
	python3 - "$deploy/kubernetes/secret.yaml" "$tmp/cfg/secrets" <<'PY'
import os, sys, yaml
data = yaml.safe_load(open(sys.argv[1]))["stringData"]
for name, value in data.items():
    with open(os.path.join(sys.argv[2], name), "w") as f:
        f.write(value + "\n")
PY
	"$tmp/slad" validate --config "$tmp/cfg/config.yaml" >/dev/null 2>"$tmp/validate.err" || true
	local token
	for token in ticket-bridge ops-admin; do
		if ! grep -q "token_file of token \"$token\" holds a placeholder" "$tmp/validate.err"; then
			echo "slad validate does not warn that token $token is secret.yaml's placeholder:" >&2
			cat "$tmp/validate.err" >&2
			return 1
		fi
	done
	note "secret.yaml's placeholders are warned about"
}

check "promtool check rules" check_rules
check "promtool test rules" test_rules
check "grafana dashboard" check_dashboard
check "metric names are docs/design.md's" check_metric_names
check "kubernetes manifests" check_kubernetes
check "dockerfile" check_dockerfile
check "systemd unit" check_systemd
check "example config passes slad validate" validate_example_config

echo
echo "deploy/check.sh took $((SECONDS - start))s"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed[@]}"
fi
echo "deploy: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
