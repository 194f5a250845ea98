"""Checks deploy/kubernetes/ against the real binary.

Usage: kubernetes_test.py REPOSITORY_ROOT EXPORTER_BINARY

Parses every manifest (PyYAML), then checks that they agree with each other and with the
exporter: the ConfigMap's config passes --config.check; the StatefulSet's args are flags the
binary accepts, with --shard=auto/N resolving to every pod ordinal 0..N-1 (run in a private UTS
namespace with the pod's host name when root, else with the ordinal substituted) and refusing
ordinal N; the container port is the --web.listen-address port; Service, ServiceMonitor and
probes name that port; the probe paths and the ServiceMonitor path answer 200 from the running
binary (on 127.0.0.1, with the ConfigMap's config stripped of targets: nothing but loopback is
contacted); the PrometheusRule holds exactly deploy/prometheus/alerts.yml's groups.
Prints one line per check; exit status 0 when all pass.
"""

import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

repo, exe = sys.argv[1], sys.argv[2]
kdir = os.path.join(repo, "deploy", "kubernetes")
failures = 0


def check(description, ok, detail=""):
    global failures
    print(("ok   - " if ok else "FAIL - ") + description)
    if not ok:
        failures += 1
        if detail:
            print("       " + str(detail).replace("\n", "\n       "))
    return ok


def run(args, hostname=None):
    """Runs the exporter with args; with hostname, inside a UTS namespace that has that name."""
    if hostname is not None:
        script = "hostname %s && exec %s" % (
            shlex.quote(hostname), " ".join(shlex.quote(a) for a in args))
        args = ["unshare", "--uts", "sh", "-c", script]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def can_set_hostname():
    if os.geteuid() != 0:
        return False
    return run(["true"], hostname="probe-0").returncode == 0


# --- Every manifest parses; index the objects by kind.
objects = {}
files = sorted(f for f in os.listdir(kdir) if f.endswith(".yaml"))
for name in files:
    with open(os.path.join(kdir, name)) as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            check(name + " parses as YAML", False, e)
            continue
    for doc in docs:
        ok = isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind")
        check("%s: %s has apiVersion and kind" % (name, doc.get("kind")), bool(ok))
        if doc.get("kind") != "Kustomization":
            check("%s: %s has metadata.name" % (name, doc["kind"]),
                  bool(doc.get("metadata", {}).get("name")))
        objects.setdefault(doc["kind"], []).append((name, doc))

for kind in ["ConfigMap", "StatefulSet", "ServiceMonitor", "PrometheusRule", "Kustomization",
             "Deployment", "PersistentVolumeClaim"]:
    check("exactly one %s" % kind, len(objects.get(kind, [])) == 1)
services = {doc["metadata"]["name"]: doc for _, doc in objects.get("Service", [])}
check("two Services: the probing pods' and the TLS-RPT intake's",
      sorted(services) == ["starttls-exporter", "starttls-exporter-tlsrpt"], sorted(services))
if failures:
    sys.exit(1)

configmap = objects["ConfigMap"][0][1]
statefulset = objects["StatefulSet"][0][1]
service = services["starttls-exporter"]
monitor = objects["ServiceMonitor"][0][1]
rule = objects["PrometheusRule"][0][1]
kustomization = objects["Kustomization"][0][1]
check("kustomization lists every manifest",
      sorted(kustomization["resources"]) == sorted(f for f in files if f != "kustomization.yaml"),
      kustomization["resources"])

pod = statefulset["spec"]["template"]
containers = pod["spec"]["containers"]
check("one container", len(containers) == 1)
container = containers[0]
check("no command: args go to the image's entrypoint (deploy/docker/Dockerfile)",
      "command" not in container)
with open(os.path.join(repo, "deploy", "docker", "Dockerfile")) as f:
    check("Dockerfile's entrypoint is the exporter",
          'ENTRYPOINT ["/usr/bin/starttls_exporter"]' in f.read().splitlines())
args = container["args"]
flags = {}
for arg in args:
    name, _, value = arg.partition("=")
    flags[name] = value
replicas = statefulset["spec"]["replicas"]

# --- The config: mounted where --config.file points, and valid.
volume = {v["name"]: v for v in pod["spec"]["volumes"]}
mount = {m["mountPath"]: m for m in container["volumeMounts"]}
config_path = flags.get("--config.file", "")
config_dir, config_key = os.path.split(config_path)
check("--config.file %s is in a mounted volume" % config_path, config_dir in mount, mount)
if config_dir in mount:
    source = volume[mount[config_dir]["name"]].get("configMap", {})
    check("that volume is the ConfigMap", source.get("name") == configmap["metadata"]["name"])
    check("the ConfigMap has key %s" % config_key, config_key in configmap["data"])
    check("the config mount is read-only", mount[config_dir].get("readOnly") is True)

# --- Certificate files: every Secret mounted read-only, and projecting no private key.
for source in (v for v in pod["spec"]["volumes"] if "secret" in v):
    mounted = [m for m in container["volumeMounts"] if m["name"] == source["name"]]
    check("secret volume %s is mounted read-only" % source["name"],
          mounted and all(m.get("readOnly") is True and "subPath" not in m for m in mounted))
    keys = [item["key"] for item in source["secret"].get("items", [])]
    check("secret volume %s projects certificates only: %s" % (source["name"], keys),
          keys and all(not key.endswith(".key") for key in keys))

work = tempfile.mkdtemp()
config_file = os.path.join(work, "config.yml")
with open(config_file, "w") as f:
    f.write(configmap["data"].get(config_key, ""))
result = run([exe, "--config.file=" + config_file, "--config.check"])
check("ConfigMap config passes --config.check", result.returncode == 0,
      result.stdout + result.stderr)

# --- The args, as the binary sees them, on every pod.
shard = flags.get("--shard", "")
check("--shard=auto/%d matches replicas" % replicas, shard == "auto/%d" % replicas, shard)
local_args = [a if not a.startswith("--config.file=") else "--config.file=" + config_file
              for a in args]
namespaced = can_set_hostname()
print("# pods' host names set with unshare --uts: %s" % ("yes" if namespaced else
                                                          "no (not root): ordinal substituted"))
name = statefulset["metadata"]["name"]


def run_as_pod(ordinal, extra):
    if namespaced:
        return run([exe] + local_args + extra, hostname="%s-%d" % (name, ordinal))
    substituted = [a.replace("=auto/", "=%d/" % ordinal) for a in local_args]
    return run([exe] + substituted + extra)


for ordinal in range(replicas):
    result = run_as_pod(ordinal, ["--config.check"])
    want = "shard %d/%d" % (ordinal, replicas)
    check("pod %s-%d: args accepted, %s" % (name, ordinal, want),
          result.returncode == 0 and want in result.stdout, result.stdout + result.stderr)
result = run_as_pod(replicas, ["--config.check"])
check("pod %s-%d (scaled without changing --shard) refuses to start" % (name, replicas),
      result.returncode == 2 and "--shard" in result.stderr, result.stdout + result.stderr)

# --- Ports: one number everywhere.
listen = flags.get("--web.listen-address", "")
port = int(listen.rsplit(":", 1)[1]) if ":" in listen else None
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
check("containerPort 'http' is --web.listen-address's port %s" % port, ports.get("http") == port,
      ports)
service_ports = {p["name"]: p for p in service["spec"]["ports"]}
http = service_ports.get("http", {})
check("Service port http targets the container port",
      http.get("targetPort") in ("http", port) and http.get("port") == port, http)
check("Service is headless", service["spec"].get("clusterIP") == "None")
check("StatefulSet serviceName is the Service", statefulset["spec"]["serviceName"] ==
      service["metadata"]["name"])
pod_labels = pod["metadata"]["labels"]
subset = lambda small, big: all(big.get(k) == v for k, v in small.items())  # noqa: E731
check("StatefulSet selector matches its pods",
      subset(statefulset["spec"]["selector"]["matchLabels"], pod_labels))
check("Service selector matches the pods", subset(service["spec"]["selector"], pod_labels))
check("ServiceMonitor selects the Service",
      subset(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"]))
endpoints = monitor["spec"]["endpoints"]
check("ServiceMonitor scrapes Service port http",
      [e.get("port") for e in endpoints] == ["http"], endpoints)

probes = {k: container[k]["httpGet"] for k in ("livenessProbe", "readinessProbe")}
for kind, probe in probes.items():
    check("%s uses port http" % kind, probe.get("port") in ("http", port), probe)
check("liveness is /-/healthy, readiness /-/ready",
      probes["livenessProbe"]["path"] == "/-/healthy" and
      probes["readinessProbe"]["path"] == "/-/ready", probes)

security = container.get("securityContext", {})
check("container: read-only root, no privilege escalation, no capabilities",
      security.get("readOnlyRootFilesystem") is True and
      security.get("allowPrivilegeEscalation") is False and
      security.get("capabilities", {}).get("drop") == ["ALL"], security)
check("pod runs as non-root", pod["spec"].get("securityContext", {}).get("runAsNonRoot") is True)

# --- The paths answer on the running binary.
with open(config_file) as f:
    config = yaml.safe_load(f)
config["targets"] = []  # loopback only: the example targets are never contacted
loopback_config = os.path.join(work, "loopback.yml")
with open(loopback_config, "w") as f:
    yaml.safe_dump(config, f)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    free_port = s.getsockname()[1]
serve_args = []
for a in local_args:
    if a.startswith("--config.file="):
        a = "--config.file=" + loopback_config
    elif a.startswith("--web.listen-address="):
        a = "--web.listen-address=127.0.0.1:%d" % free_port
    elif a.startswith("--shard=auto/"):
        a = "--shard=0/%d" % replicas
    serve_args.append(a)
log = open(os.path.join(work, "exporter.log"), "w+")
server = subprocess.Popen([exe] + serve_args, stdout=log, stderr=subprocess.STDOUT)
try:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    paths = [p["path"] for p in probes.values()] + [e.get("path", "/metrics") for e in endpoints]
    for path in paths:
        url = "http://127.0.0.1:%d%s" % (free_port, path)
        status, error = None, None
        for _ in range(100):  # up to 10 s for the server to come up
            try:
                with direct.open(url, timeout=5) as response:
                    status = response.status
                break
            except urllib.error.HTTPError as e:
                status, error = e.code, e
                break
            except OSError as e:
                error = e
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        check("GET %s answers 200" % path, status == 200, error)
finally:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if failures:
        log.seek(0)
        print("--- exporter log\n" + log.read())
    log.close()

# --- The TLS-RPT intake: one replica, never two at once, its database on its own volume,
# its config valid, its flags accepted, its Service and the ServiceMonitor reaching it.
intake = objects["Deployment"][0][1]
intake_pod = intake["spec"]["template"]
intake_container = intake_pod["spec"]["containers"][0]
intake_flags = dict(a.partition("=")[::2] for a in intake_container["args"])
check("intake: one replica, Recreate", intake["spec"]["replicas"] == 1 and
      intake["spec"]["strategy"]["type"] == "Recreate")
check("intake: not selected by the StatefulSet or its Service",
      not subset(statefulset["spec"]["selector"]["matchLabels"], intake_pod["metadata"]["labels"])
      and not subset(service["spec"]["selector"], intake_pod["metadata"]["labels"]))
intake_key = os.path.basename(intake_flags.get("--config.file", ""))
check("intake: its config key is in the ConfigMap", intake_key in configmap["data"])
intake_config_file = os.path.join(work, "tlsrpt.yml")
intake_text = configmap["data"].get(intake_key, "")
with open(intake_config_file, "w") as f:
    f.write(intake_text)
result = run([exe, "--config.file=" + intake_config_file, "--config.check"])
check("intake: its config passes --config.check", result.returncode == 0,
      result.stdout + result.stderr)
database = (yaml.safe_load(intake_text) or {}).get("tlsrpt", {}).get("database", "")
intake_mounts = {m["mountPath"]: m["name"] for m in intake_container["volumeMounts"]}
intake_volumes = {v["name"]: v for v in intake_pod["spec"]["volumes"]}
data_volume = intake_volumes.get(intake_mounts.get(os.path.dirname(database), ""), {})
check("intake: tlsrpt.database %s is on the PersistentVolumeClaim" % database,
      data_volume.get("persistentVolumeClaim", {}).get("claimName") ==
      objects["PersistentVolumeClaim"][0][1]["metadata"]["name"], intake_mounts)
intake_service = services["starttls-exporter-tlsrpt"]
intake_ports = {p["name"]: p["containerPort"] for p in intake_container["ports"]}
check("intake: --tlsrpt.listen-address is its container port tlsrpt",
      intake_flags.get("--tlsrpt.listen-address") == ":%d" % intake_ports.get("tlsrpt", 0))
check("intake: its Service selects it and names ports http and tlsrpt",
      subset(intake_service["spec"]["selector"], intake_pod["metadata"]["labels"]) and
      {p["name"] for p in intake_service["spec"]["ports"]} == {"http", "tlsrpt"})
check("intake: the ServiceMonitor selects its Service too",
      subset(monitor["spec"]["selector"]["matchLabels"], intake_service["metadata"]["labels"]))
intake_db = os.path.join(work, "intake", "tlsrpt.db")
os.makedirs(os.path.dirname(intake_db))
intake_local = os.path.join(work, "intake.yml")
with open(intake_local, "w") as f:
    f.write(intake_text.replace(database, intake_db))
intake_args = [a if not a.startswith("--config.file=") else "--config.file=" + intake_local
               for a in intake_container["args"]]
result = run([exe] + intake_args + ["--config.check"])
check("intake: the binary accepts its args", result.returncode == 0, result.stdout + result.stderr)

# --- The PrometheusRule is alerts.yml.
with open(os.path.join(repo, "deploy", "prometheus", "alerts.yml")) as f:
    alerts = yaml.safe_load(f)
check("PrometheusRule spec.groups == deploy/prometheus/alerts.yml groups",
      rule["spec"]["groups"] == alerts["groups"])

subprocess.run(["rm", "-rf", "--", work])
print("%d failed check(s)" % failures)
sys.exit(1 if failures else 0)
