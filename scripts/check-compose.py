#!/usr/bin/env python3
"""Checks docker-compose.yml, .env, the Dockerfiles and .dockerignore without a Docker engine.

  check-compose.py schema [FILE...]   the compose file (as YAML loads it, and interpolated from .env),
                                      and each FILE (e.g. `docker-compose config` output), against
                                      the compose-spec JSON schema
  check-compose.py files ROOT         every referenced file exists in ROOT (a fresh copy of the
                                      repository after scripts/compose-secrets.sh): bind mounts,
                                      env_file, secrets, build contexts and Dockerfiles, paths in
                                      commands and variables under a bind mount, /run/secrets/*
  check-compose.py env                every variable set on a Parley service is read by its code
                                      (its workspace and runtime dependencies, non-test sources),
                                      or, for OTEL_*, by the OpenTelemetry SDK in node_modules
  check-compose.py services           restart policy and memory limit everywhere; a healthcheck
                                      wherever the image can run one (exceptions named below);
                                      depends_on targets exist with the condition their target
                                      supports; images pinned through .env, never `latest`
  check-compose.py dotenv             .env holds allow-listed keys only and nothing secret-looking;
                                      every key is used; NODE_VERSION = .nvmrc; git tracks .env and
                                      ignores deploy/secrets/
  check-compose.py dockerfiles        each Parley service's Dockerfile: multi-stage, the
                                      scripts/image-build.sh steps, production, non-root, its port
  check-compose.py dockerignore       the build context keeps out dependencies, builds, VCS state
                                      and secrets, and keeps what the build needs
  check-compose.py context DEST       copies the build context as Docker would send it (the
                                      repository filtered by .dockerignore) to DEST
  check-compose.py --self-test        each check above fails on a deliberately broken copy

Exits 1 with the reasons when a check fails. Needs python3 with PyYAML and jsonschema.
"""
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.environ.get("COMPOSE_SPEC", "/usr/lib/python3/dist-packages/compose/config/compose_spec.json")

# Services that cannot or need not run a healthcheck, and why (docker-compose.yml says the same).
NO_HEALTHCHECK = {
    "otel-collector": "image built FROM scratch: no shell, wget or health command",
    "tempo": "distroless image without a self-check command (grafana/tempo#6536)",
    "tempo-init": "one-shot job",
    "k6": "one-shot job",
}
ONE_SHOT = {"tempo-init", "k6"}
DOTENV_KEY = re.compile(r"^(COMPOSE_PROFILES|PARLEY_IMAGE_TAG|[A-Z][A-Z0-9_]*_VERSION)$")
SECRET_NAME = re.compile(r"SECRET|PASSW|TOKEN|KEY|SALT|PEPPER|CANARY|CREDENTIAL|PRIVATE", re.I)
IMAGE_REF = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/-]*):\$\{(?P<var>[A-Z][A-Z0-9_]*)(?::\?[^}]*)?\}$")
CMD = '["node", "--enable-source-maps", "--import", "./dist/instrumentation.js", "dist/main.js"]'
BUILD_STEPS = ["manifests /manifests", "install {svc}", "build {svc} /out"]
MUST_EXCLUDE = [
    "node_modules/x/index.js", "gateway/node_modules/x/index.js", "gateway/dist/main.js",
    "packages/platform/dist/index.js", "web/dist/index.html", "gateway/tsconfig.tsbuildinfo",
    ".git/HEAD", ".tools/node/bin/node", ".cache/x", "coverage/index.html", ".env", ".env.local",
    "deploy/secrets/internal_secret", "deploy/secrets/admin_api_key", "server.pem", "gateway/tls.key",
    "test-artifacts/screenshots/a.png", "gateway/src/app.test.ts", "gateway/test/api.test.ts",
]
MUST_INCLUDE = [
    "package.json", "package-lock.json", "tsconfig.base.json", "scripts/image-build.sh",
    "gateway/src/main.ts", "chat-service/src/main.ts", "safety-service/src/main.ts",
    "packages/llm-sim/src/main.ts", "packages/platform/src/index.ts", "web/index.html",
    # The root tsconfig.json references every project; Vite resolves them when building web/.
    "tsconfig.json", "dashboards/tsconfig.json",
]


class CheckFailed(Exception):
    pass


def fail_if(errs):
    if errs:
        raise CheckFailed("\n".join(errs))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


# --- .env and interpolation ------------------------------------------------------------------------

def parse_dotenv(path):
    env, errs = {}, []
    for n, line in enumerate(read(path).splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", s)
        if not m:
            errs.append(f".env:{n}: not KEY=VALUE")
            continue
        if " #" in m.group(2):
            errs.append(f".env:{n}: a comment after the value (docker-compose 1.x keeps it in the value)")
        env[m.group(1)] = m.group(2)
    return env, errs


VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value, env, where):
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3)
        val = env.get(name)
        unset = val is None or (op and op.startswith(":") and val == "")
        if op in (":-", "-"):
            return arg if unset else val
        if op in (":?", "?"):
            if unset:
                raise CheckFailed(f"{where}: ${{{name}}} is required ({arg}) and not set in .env")
            return val
        return "" if val is None else val
    return VAR.sub(sub, value)


def interpolate_tree(node, env, where="compose"):
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(v, env, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        return interpolate(node, env, where)
    return node


class Project:
    def __init__(self, root):
        self.root = root
        self.compose = load_yaml(os.path.join(root, "docker-compose.yml"))
        self.dotenv, self.dotenv_errs = parse_dotenv(os.path.join(root, ".env"))
        self.resolved = interpolate_tree(self.compose, self.dotenv)
        self.services = self.resolved.get("services") or {}

    def parley_services(self):
        """Services built from this repository: name -> workspace folder (where the Dockerfile is)."""
        out = {}
        for name, s in self.services.items():
            b = s.get("build")
            if b:
                ctx = b if isinstance(b, str) else b.get("context", ".")
                df = "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile")
                out[name] = os.path.normpath(os.path.join(ctx, os.path.dirname(df)))
        return out


def env_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict((e.split("=", 1) + [None])[:2] for e in env)
    return env


# --- schema ---------------------------------------------------------------------------------------------

def check_schema(p, extra=()):
    import jsonschema
    spec = json.loads(read(SPEC))
    # The spec names draft 2019-09 in a form jsonschema does not look up by itself.
    cls = jsonschema.Draft201909Validator if "2019-09" in str(spec.get("$schema")) else jsonschema.validators.validator_for(spec)
    validator = cls(spec)
    errs = []
    docs = [("docker-compose.yml as loaded", p.compose), ("docker-compose.yml interpolated from .env", p.resolved)]
    docs += [(f, load_yaml(f)) for f in extra]
    for what, doc in docs:
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            errs.append(f"{what}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}")
    fail_if(errs)
    return f"{len(docs)} documents valid against {SPEC}"


# --- files ----------------------------------------------------------------------------------------------

def mounts(service):
    """(kind, source, target) of each volume entry; kind is bind or volume."""
    out = []
    for v in service.get("volumes") or []:
        if isinstance(v, str):
            parts = v.split(":")
            src, tgt = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
            kind = "bind" if src and src[0] in "./~" else "volume"
        else:
            src, tgt, kind = v.get("source"), v.get("target"), v.get("type", "volume")
        out.append((kind, src, tgt))
    return out


def check_files(p):
    errs, host = [], []
    root = p.root

    def must_exist(path, what, kind=None):
        if path.startswith("~") or os.path.isabs(path):
            host.append(path)
            return
        full = os.path.normpath(os.path.join(root, path))
        if not os.path.exists(full):
            errs.append(f"{what}: {path} does not exist")
        elif kind == "dir" and not os.path.isdir(full):
            errs.append(f"{what}: {path} is not a directory")

    declared_volumes = set((p.resolved.get("volumes") or {}).keys())
    declared_secrets = p.resolved.get("secrets") or {}
    used_volumes, used_secrets = set(), set()
    for name, s in p.services.items():
        binds = []
        for kind, src, tgt in mounts(s):
            if kind == "bind":
                must_exist(src, f"{name}: bind mount")
                binds.append((tgt.rstrip("/"), src))
            elif src:
                used_volumes.add(src)
                if src not in declared_volumes:
                    errs.append(f"{name}: named volume {src} is not declared under volumes:")
        for f in ([s["env_file"]] if isinstance(s.get("env_file"), str) else s.get("env_file") or []):
            must_exist(f if isinstance(f, str) else f["path"], f"{name}: env_file")
        b = s.get("build")
        if b:
            ctx = b if isinstance(b, str) else b.get("context", ".")
            must_exist(ctx, f"{name}: build context", "dir")
            if isinstance(b, dict):
                must_exist(os.path.join(ctx, b.get("dockerfile", "Dockerfile")), f"{name}: dockerfile")
        service_secrets = set()
        for sec in s.get("secrets") or []:
            sname = sec if isinstance(sec, str) else sec.get("source")
            target = sname if isinstance(sec, str) else sec.get("target", sname)
            used_secrets.add(sname)
            service_secrets.add(target)
            if sname not in declared_secrets:
                errs.append(f"{name}: secret {sname} is not declared under secrets:")

        # Paths the container reads from a bind mount (command arguments, variables) exist in it.
        command = s.get("command") or []
        words = command.split() if isinstance(command, str) else [str(w) for w in command]
        values = [w.split("=", 1)[1] if w.startswith("-") and "=" in w else w for w in words]
        values += [str(v) for v in env_of(s).values() if v is not None]
        for v in values:
            if v.startswith("/run/secrets/"):
                if v[len("/run/secrets/"):] not in service_secrets:
                    errs.append(f"{name}: {v} is not a secret this service mounts")
                continue
            for tgt, src in binds:
                if v == tgt or v.startswith(tgt + "/"):
                    must_exist(src + v[len(tgt):], f"{name}: {v} (from its bind mount {src})")
    for sname, sec in declared_secrets.items():
        if "file" in sec:
            must_exist(sec["file"], f"secret {sname}")
        if sname not in used_secrets:
            errs.append(f"secret {sname} is declared but no service uses it")
    for v in declared_volumes - used_volumes:
        errs.append(f"volume {v} is declared but no service mounts it")
    fail_if(errs)
    return "host paths not checked here: " + (", ".join(sorted(set(host))) or "none")


# --- env ------------------------------------------------------------------------------------------------

def workspace_closure(root, ws_dir):
    """Folders of ws_dir and the workspaces it depends on at runtime (package.json dependencies)."""
    pkg_root = json.loads(read(os.path.join(root, "package.json")))
    by_name = {}
    for d in pkg_root["workspaces"]:
        by_name[json.loads(read(os.path.join(root, d, "package.json")))["name"]] = d
    seen, todo = [], [ws_dir]
    while todo:
        d = todo.pop()
        if d in seen:
            continue
        seen.append(d)
        deps = json.loads(read(os.path.join(root, d, "package.json"))).get("dependencies") or {}
        todo += [by_name[n] for n in deps if n in by_name]
    return seen


def source_text(root, dirs):
    chunks = []
    for d in dirs:
        for path in glob.glob(os.path.join(root, d, "src", "**", "*.ts"), recursive=True):
            if not path.endswith(".test.ts"):
                chunks.append(read(path))
    return "\n".join(chunks)


def read_by_otel_sdk(name, node_modules):
    sdk = os.path.join(node_modules, "@opentelemetry")
    if not os.path.isdir(sdk):
        raise CheckFailed(f"{sdk} is missing (npm ci first): cannot tell whether the SDK reads {name}")
    res = subprocess.run(["grep", "-rqF", "--include=*.js", "--include=*.cjs", "--include=*.mjs", name, sdk], check=False)
    return res.returncode == 0


def check_env(p, node_modules=os.path.join(ROOT, "node_modules")):
    errs = []
    for name, ws in sorted(p.parley_services().items()):
        dirs = workspace_closure(p.root, ws)
        text = source_text(p.root, dirs)
        if not text:
            errs.append(f"{name}: no sources under {', '.join(d + '/src' for d in dirs)}")
            continue
        for var in sorted(env_of(p.services[name])):
            if re.search(r"(?<![A-Za-z0-9_])" + re.escape(var) + r"(?![A-Za-z0-9_])", text):
                continue
            if var.startswith("OTEL_") and read_by_otel_sdk(var, node_modules):
                continue
            errs.append(f"{name}: sets {var}, which neither {', '.join(dirs)} (src, tests excluded) nor the OpenTelemetry SDK reads")
    fail_if(errs)
    return f"{len(p.parley_services())} services"


# --- services -------------------------------------------------------------------------------------------

def memory_limit(s):
    return s.get("mem_limit") or (((s.get("deploy") or {}).get("resources") or {}).get("limits") or {}).get("memory")


def check_services(p):
    errs = []
    raw_services = p.compose.get("services") or {}
    parley = p.parley_services()
    for name, s in p.services.items():
        restart = str(s.get("restart", ""))
        if name in ONE_SHOT:
            if restart != "no":
                errs.append(f"{name}: a one-shot job should say restart: \"no\", has {restart or 'none'}")
        elif restart not in ("unless-stopped", "always") and not restart.startswith("on-failure"):
            errs.append(f"{name}: restart policy {restart or 'missing'} (unless-stopped, always or on-failure)")
        mem = memory_limit(s)
        if not mem or not re.fullmatch(r"\d+(\.\d+)?[bkmg]?", str(mem).lower()):
            errs.append(f"{name}: no memory limit (mem_limit or deploy.resources.limits.memory), has {mem!r}")
        hc = s.get("healthcheck")
        has_hc = bool(hc and not hc.get("disable") and hc.get("test"))
        if name in NO_HEALTHCHECK and has_hc:
            errs.append(f"{name}: has a healthcheck but is listed without one ({NO_HEALTHCHECK[name]}): update the list")
        if name not in NO_HEALTHCHECK and not has_hc:
            errs.append(f"{name}: no healthcheck (add one, or name the reason in NO_HEALTHCHECK)")

        deps = s.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for dep, d in deps.items():
            target = p.services.get(dep)
            if target is None:
                errs.append(f"{name}: depends on {dep}, which is not a service")
                continue
            cond = (d or {}).get("condition", "service_started")
            thc = target.get("healthcheck")
            if dep in ONE_SHOT:
                want = "service_completed_successfully"
            elif thc and not thc.get("disable") and thc.get("test"):
                want = "service_healthy"
            else:
                want = "service_started"
            if cond != want:
                errs.append(f"{name} -> {dep}: condition {cond}, want {want}")
            tprof = set(target.get("profiles") or [])
            if tprof and not tprof & set(s.get("profiles") or []):
                errs.append(f"{name} -> {dep}: {dep} only runs with profile {sorted(tprof)}, compose would refuse to start {name} without it")

        image = str((raw_services.get(name) or {}).get("image", ""))
        m = IMAGE_REF.match(image)
        if not m:
            errs.append(f"{name}: image {image or '(none)'} is not <repository>:${{VAR}} with the version from .env")
            continue
        var = m.group("var")
        if name in parley and var != "PARLEY_IMAGE_TAG":
            errs.append(f"{name}: a Parley image is tagged with ${{PARLEY_IMAGE_TAG}}, not ${{{var}}}")
        if name not in parley and not var.endswith("_VERSION"):
            errs.append(f"{name}: image version variable {var} does not end in _VERSION")
        value = p.dotenv.get(var)
        if not value:
            errs.append(f"{name}: {var} is not set in .env")
        elif value == "latest" or value.startswith("latest") or not re.search(r"\d", value) and name not in parley:
            errs.append(f"{name}: {var}={value} is not a pinned version")
    for name, ws in parley.items():
        b = raw_services[name].get("build") or {}
        args = b.get("args") or {} if isinstance(b, dict) else {}
        if not re.fullmatch(r"\$\{NODE_VERSION(:\?[^}]*)?\}", str(args.get("NODE_VERSION", ""))):
            errs.append(f"{name}: build.args.NODE_VERSION should be ${{NODE_VERSION}} from .env")
    fail_if(errs)
    return f"{len(p.services)} services"


# --- .env -----------------------------------------------------------------------------------------------

def entropy(s):
    return -sum(c / len(s) * math.log2(c / len(s)) for c in (s.count(ch) for ch in set(s)))


def looks_secret(value):
    v = value.strip("'\"")
    if re.match(r"^(sk-|pk_|pst_|eyJ|ghp_|xox[bp]-|AKIA)", v):
        return True
    return len(v) >= 20 and re.fullmatch(r"[A-Za-z0-9+/=_.-]+", v) is not None and re.search(r"\d", v) is not None \
        and re.search(r"[A-Za-z]", v) is not None and entropy(v) >= 3.5


def git(root, *args):
    return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, check=False)


def check_dotenv(p):
    errs = list(p.dotenv_errs)
    raw = read(os.path.join(p.root, "docker-compose.yml"))
    for key, value in p.dotenv.items():
        if not DOTENV_KEY.match(key):
            errs.append(f".env: {key} is not on the allow-list (COMPOSE_PROFILES, PARLEY_IMAGE_TAG, *_VERSION); secrets go to deploy/secrets/")
        if SECRET_NAME.search(key):
            errs.append(f".env: {key} is named like a secret")
        if looks_secret(value):
            errs.append(f".env: the value of {key} looks like a secret")
        if not key.startswith("COMPOSE_") and not re.search(r"\$\{" + key + r"\b", raw):
            errs.append(f".env: {key} is not used by docker-compose.yml")
    for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", raw):
        if m.group(1) not in p.dotenv:
            errs.append(f"docker-compose.yml requires ${{{m.group(1)}}}, which .env does not set")
    nvmrc = read(os.path.join(p.root, ".nvmrc")).strip().lstrip("v")
    if p.dotenv.get("NODE_VERSION") != nvmrc:
        errs.append(f".env: NODE_VERSION={p.dotenv.get('NODE_VERSION')} but .nvmrc says {nvmrc}")
    if git(p.root, "check-ignore", "-q", ".env").returncode == 0:
        errs.append(".env is git-ignored: it is meant to be committed (versions only)")
    probe = "deploy/secrets/internal_secret"
    if git(p.root, "check-ignore", "-q", probe).returncode != 0:
        errs.append(f"{probe} is not git-ignored")
    tracked = git(p.root, "ls-files", "--", "deploy/secrets").stdout.split()
    if tracked:
        errs.append(f"tracked by git under deploy/secrets: {', '.join(tracked)}")
    fail_if(errs)
    return f"{len(p.dotenv)} keys"


# --- Dockerfiles ----------------------------------------------------------------------------------------

def dockerfile_instructions(path):
    text = re.sub(r"\\\n", " ", read(path))
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            word, _, rest = s.partition(" ")
            out.append((word.upper(), re.sub(r"\s+", " ", rest.strip())))
    return out


def check_dockerfiles(p):
    errs = []
    nvmrc = read(os.path.join(p.root, ".nvmrc")).strip().lstrip("v")
    for name, ws in sorted(p.parley_services().items()):
        b = p.services[name]["build"]
        path = os.path.join(p.root, b.get("context", "."), b.get("dockerfile", "Dockerfile"))
        rel = os.path.relpath(path, p.root)
        if not os.path.exists(path):
            errs.append(f"{name}: {rel} does not exist")
            continue
        ins = dockerfile_instructions(path)
        froms = [i for i, (w, _) in enumerate(ins) if w == "FROM"]
        last = ins[froms[-1]:] if froms else []
        if len(froms) < 2:
            errs.append(f"{rel}: not multi-stage")
        args = {r.split("=", 1)[0]: r.split("=", 1)[1] for w, r in ins if w == "ARG" and "=" in r}
        if args.get("NODE_VERSION") != nvmrc:
            errs.append(f"{rel}: ARG NODE_VERSION={args.get('NODE_VERSION')} but .nvmrc says {nvmrc}")
        if any(w == "FROM" and not r.startswith("node:${NODE_VERSION}-") and not re.match(r"^\w+( AS \w+)?$", r, re.I) for w, r in ins):
            errs.append(f"{rel}: a FROM is neither node:${{NODE_VERSION}}-... nor an earlier stage")
        steps = [re.sub(r"^--mount=\S+ ", "", r) for w, r in ins if w == "RUN"]
        steps = [s.split("scripts/image-build.sh ", 1)[1] for s in steps if "scripts/image-build.sh " in s]
        want = [s.format(svc=name) for s in BUILD_STEPS]
        if steps != want:
            errs.append(f"{rel}: image-build.sh steps {steps}, want {want}")
        if ("ENV", "NODE_ENV=production") not in last:
            errs.append(f"{rel}: the runtime stage does not set ENV NODE_ENV=production")
        users = [r for w, r in last if w == "USER"]
        if not users or users[-1] in ("root", "0") or users[-1].startswith("0:"):
            errs.append(f"{rel}: the runtime stage does not switch to a non-root USER")
        workdirs = [r for w, r in last if w == "WORKDIR"]
        if not workdirs or workdirs[-1] != f"/app/{ws}":
            errs.append(f"{rel}: the last WORKDIR is {workdirs[-1] if workdirs else None}, want /app/{ws}")
        cmds = [r for w, r in last if w == "CMD"]
        if cmds != [CMD]:
            errs.append(f"{rel}: CMD {cmds}, want {CMD}")
        port = str(env_of(p.services[name]).get("PORT"))
        if ("EXPOSE", port) not in last:
            errs.append(f"{rel}: does not EXPOSE {port}, the PORT compose gives {name}")
        hcs = [r for w, r in last if w == "HEALTHCHECK"]
        if not hcs or f"127.0.0.1:{port}/readyz" not in hcs[-1]:
            errs.append(f"{rel}: its HEALTHCHECK does not probe 127.0.0.1:{port}/readyz")
        if any(w == "COPY" and re.search(r"(^|\s)(\.env|deploy/secrets)", r) for w, r in ins):
            errs.append(f"{rel}: copies .env or deploy/secrets")
    if os.path.exists(os.path.join(p.root, "Dockerfile")):
        errs.append("a root Dockerfile exists next to the per-service ones (compose does not build it)")
    fail_if(errs)
    return f"{len(p.parley_services())} Dockerfiles"


# --- .dockerignore --------------------------------------------------------------------------------------

def dockerignore_patterns(root):
    pats = []
    path = os.path.join(root, ".dockerignore")
    for line in read(path).splitlines() if os.path.exists(path) else []:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        neg = s.startswith("!")
        s = os.path.normpath(s[1:].strip() if neg else s).lstrip("/")
        pats.append((neg, pattern_regex(s)))
    return pats


def pattern_regex(pat):
    """Docker's .dockerignore syntax (Go filepath.Match plus **) as a regex on slash paths."""
    out, i = "", 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**", i):
            i += 2
            if pat.startswith("/", i):
                out += "(?:.*/)?"
                i += 1
            else:
                out += ".*"
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c) if c != "[" else "[")
        if c == "[":
            j = pat.index("]", i)
            out += pat[i + 1:j].replace("!", "^", 1) + "]"
            i = j
        i += 1
    return re.compile("^" + out + "$")


def excluded(rel, pats):
    """Docker: a path is excluded if the last pattern matching it or one of its parents excludes it."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    state = False
    for neg, rx in pats:
        if any(rx.match(p) for p in prefixes):
            state = not neg
    return state


def build_context(root, dest):
    pats = dockerignore_patterns(root)
    has_neg = any(neg for neg, _ in pats)
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        # Excluded directories are not walked unless an exception (!pattern) may re-include a file.
        dirnames[:] = sorted(d for d in dirnames if has_neg or not excluded(rel_dir + d, pats))
        for f in filenames:
            rel = rel_dir + f
            if excluded(rel, pats):
                continue
            os.makedirs(os.path.join(dest, rel_dir), exist_ok=True)
            shutil.copy2(os.path.join(root, rel), os.path.join(dest, rel), follow_symlinks=False)
            count += 1
    return count


def check_dockerignore(p):
    pats = dockerignore_patterns(p.root)
    errs = []
    if not pats:
        errs.append("no .dockerignore patterns")
    pkg = json.loads(read(os.path.join(p.root, "package.json")))
    include = MUST_INCLUDE + [f"{w}/package.json" for w in pkg["workspaces"]]
    errs += [f"sent to the daemon but must not be: {r}" for r in MUST_EXCLUDE if not excluded(r, pats)]
    errs += [f"left out but the build needs it: {r}" for r in include if excluded(r, pats)]
    fail_if(errs)
    return f"{len(MUST_EXCLUDE)} paths kept out, {len(include)} kept in"


# --- self-test ------------------------------------------------------------------------------------------

def copy_repo(dest):
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "-co", "--exclude-standard"],
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for f in files:
        src = os.path.join(ROOT, f)
        if f and os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, f)) or dest, exist_ok=True)
            shutil.copy2(src, os.path.join(dest, f))
    subprocess.run(["git", "init", "-q", dest], check=True)
    subprocess.run(["bash", os.path.join(dest, "scripts/compose-secrets.sh")], check=True, capture_output=True)


def self_test():
    failures = []
    base = tempfile.mkdtemp(prefix="check-compose-")
    try:
        pristine = os.path.join(base, "pristine")
        copy_repo(pristine)

        def case(check, what, mutate):
            root = os.path.join(base, f"case-{len(os.listdir(base))}")
            shutil.copytree(pristine, root, symlinks=True)
            mutate(root)
            try:
                run_check(check, root)
                failures.append(f"{check}: passed although {what}")
            except CheckFailed as e:
                print(f"  caught: {check}: {what}\n      -> {str(e).splitlines()[0]}")
            finally:
                shutil.rmtree(root)

        def edit(root, path, old, new):
            full = os.path.join(root, path)
            text = read(full)
            if old not in text:
                raise SystemExit(f"self-test is stale: {old!r} not in {path}")
            with open(full, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))

        def append(root, path, text):
            with open(os.path.join(root, path), "a", encoding="utf-8") as f:
                f.write(text)

        # The unbroken copy passes every check (else the cases below prove nothing).
        for check in ("schema", "files", "env", "services", "dotenv", "dockerfiles", "dockerignore"):
            try:
                run_check(check, pristine)
            except CheckFailed as e:
                failures.append(f"{check}: fails on the unbroken copy: {e}")

        C = "docker-compose.yml"
        case("schema", "a service key is misspelt", lambda r: edit(r, C, "    mem_limit: 128m\n", "    mem_limt: 128m\n"))
        case("schema", "a depends_on condition is invented", lambda r: edit(r, C, "condition: service_completed_successfully", "condition: service_done"))
        case("files", "a bind-mounted config file is missing", lambda r: os.remove(os.path.join(r, "deploy/tempo/tempo.yaml")))
        case("files", "a secret file was not generated", lambda r: os.remove(os.path.join(r, "deploy/secrets/admin_api_key")))
        case("files", "the Grafana home dashboard is not in the mounted folder",
             lambda r: edit(r, C, "dashboards/parley-slo.json", "dashboards/parley-nope.json"))
        case("files", "a *_FILE variable points at a secret the service does not mount",
             lambda r: edit(r, C, "ADMIN_API_KEY_FILE: /run/secrets/admin_api_key", "ADMIN_API_KEY_FILE: /run/secrets/internal_secret_2"))
        case("files", "the k6 scenario the command runs by default does not exist", lambda r: os.remove(os.path.join(r, "k6/scenarios/load.ts")))
        case("files", "a build's Dockerfile is missing", lambda r: os.remove(os.path.join(r, "chat-service/Dockerfile")))
        case("env", "the gateway gets a variable only chat-service reads",
             lambda r: edit(r, C, "      CHAT_SERVICE_URL: http://chat-service:8081\n", "      CHAT_SERVICE_URL: http://chat-service:8081\n      SAFETY_SERVICE_URL: http://safety-service:8082\n"))
        case("env", "an OTEL_* variable no SDK reads",
             lambda r: edit(r, C, "  OTEL_LOGS_EXPORTER: none\n", "  OTEL_LOGS_EXPORTER: none\n  OTEL_LOG_EXPORTER: none\n"))
        case("services", "a service has no memory limit", lambda r: edit(r, C, "    mem_limit: 128m\n", ""))
        case("services", "a service has no restart policy",
             lambda r: edit(r, C, "    image: prom/alertmanager:${ALERTMANAGER_VERSION:?set ALERTMANAGER_VERSION in .env}\n    restart: unless-stopped\n",
                            "    image: prom/alertmanager:${ALERTMANAGER_VERSION:?set ALERTMANAGER_VERSION in .env}\n"))
        case("services", "Redis lost its healthcheck", lambda r: edit(r, C, '      test: ["CMD-SHELL", "redis-cli ping | grep -q PONG"]\n', ""))
        case("services", "a dependency on a healthchecked service waits only for its start",
             lambda r: edit(r, C, "      redis:\n        condition: service_healthy", "      redis:\n        condition: service_started"))
        case("services", "a depends_on target does not exist", lambda r: edit(r, C, "      tempo-init:\n", "      tempo-setup:\n"))
        case("services", "an image is pinned in the compose file instead of .env",
             lambda r: edit(r, C, "grafana/grafana:${GRAFANA_VERSION:?set GRAFANA_VERSION in .env}", "grafana/grafana:12.4.3"))
        case("services", "an image version is latest", lambda r: edit(r, ".env", "LOKI_VERSION=3.7.3", "LOKI_VERSION=latest"))
        case("dotenv", "a secret is put into .env", lambda r: append(r, ".env", "ADMIN_API_KEY=3f9a0c1b7d2e4f6a8b0c2d4e6f8a0b1c\n"))
        case("dotenv", "a secret-looking value hides under an allowed key", lambda r: append(r, ".env", "X_VERSION=Zk3q9VbL2mX8rT4wY6pN1sD5\n"))
        case("dotenv", "NODE_VERSION drifts from .nvmrc", lambda r: edit(r, ".env", "NODE_VERSION=24.21.0", "NODE_VERSION=24.20.0"))
        case("dotenv", ".env is git-ignored again", lambda r: append(r, ".gitignore", "\n.env\n"))
        case("dotenv", "deploy/secrets/ is no longer git-ignored", lambda r: edit(r, ".gitignore", "/deploy/secrets/\n", ""))
        case("dockerfiles", "the runtime stage runs as root", lambda r: edit(r, "gateway/Dockerfile", "USER node\n", ""))
        case("dockerfiles", "a Dockerfile builds another service", lambda r: edit(r, "safety-service/Dockerfile", "image-build.sh build safety-service /out", "image-build.sh build chat-service /out"))
        case("dockerfiles", "the Node image drifts from .nvmrc", lambda r: edit(r, "packages/llm-sim/Dockerfile", "ARG NODE_VERSION=24.21.0", "ARG NODE_VERSION=22.12.0"))
        case("dockerfiles", "NODE_ENV=production is dropped", lambda r: edit(r, "chat-service/Dockerfile", "ENV NODE_ENV=production\n", ""))
        case("dockerignore", "node_modules would be sent to the daemon", lambda r: edit(r, ".dockerignore", "**/node_modules\n", ""))
        case("dockerignore", "deploy/secrets would be sent to the daemon",
             lambda r: edit(r, ".dockerignore", "deploy/secrets\n", "") or edit(r, ".dockerignore", "\ndeploy\n", "\ndeploy/*.md\n"))
        case("dockerignore", "a workspace manifest npm ci needs is left out", lambda r: edit(r, ".dockerignore", "!dashboards/package.json\n", ""))
    finally:
        shutil.rmtree(base)
    if failures:
        print("\n".join(failures))
        return 1
    return 0


# --- CLI ------------------------------------------------------------------------------------------------

def run_check(name, root, args=()):
    p = Project(root)
    if name == "schema":
        return check_schema(p, args)
    if name == "files":
        return check_files(p)
    return {"env": check_env, "services": check_services, "dotenv": check_dotenv,
            "dockerfiles": check_dockerfiles, "dockerignore": check_dockerignore}[name](p)


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) == 2 and argv[0] == "context":
        n = build_context(ROOT, argv[1])
        print(f"{n} files in the build context")
        return 0
    if not argv or argv[0] not in ("schema", "files", "env", "services", "dotenv", "dockerfiles", "dockerignore"):
        print(__doc__)
        return 2
    try:
        if argv[0] == "files":
            if len(argv) != 2:
                print("usage: check-compose.py files ROOT")
                return 2
            note = run_check("files", os.path.abspath(argv[1]))
        else:
            note = run_check(argv[0], ROOT, argv[1:])
    except CheckFailed as e:
        print(e)
        return 1
    if note:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
