#!/usr/bin/env python3
"""Parity bench, PyTorch side (bench/torchParity.ts runs it): a dense Gradient Lens spec read from a PyTorch file,
trained by PyTorch itself with nn.Linear's OWN default initialisation — the layers are built and not re-initialised,
so PyTorch draws weight and bias from U(±1/√fan_in) as it always does — the spec's optimizer, mean softmax
cross-entropy and batches in order, exactly as bench/torch_reference.py trains (its data loading, optimizer and
training loop are reused; only the model is built here).

Usage: torch_parity.py --data DIR --spec FILE|- [--seeds 1,2,3] [--threads 1]
Prints one JSON object: {"runs": [{"seed", "steps", "trainMs", "testAccuracy"}], "torch": version}.
Exit 2 when the spec does not say nn.Linear's default init (weights and biases U(±1/√fan_in)): then the two sides
would not train the same thing, and the comparison would mean nothing.
"""
import argparse, json, math, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch_reference as ref  # noqa: E402


def is_linear_default(init, fan_in):
    bound = 1 / math.sqrt(fan_in)
    return isinstance(init, dict) and init.get("type") == "randomUniform" \
        and abs(init["minval"] + bound) < 1e-12 and abs(init["maxval"] - bound) < 1e-12


def build_default(spec):
    """The architecture of the spec with nn.Linear's own initialisation (reset_parameters), nothing re-drawn."""
    modules, fan_in, n = [], 784, len(spec["layers"])
    for i, layer in enumerate(spec["layers"]):
        modules.append(torch.nn.Linear(fan_in, layer["units"]))
        act = ref.ACTIVATIONS.get(layer["activation"])
        if act is not None and i < n - 1:
            modules.append(act())
        fan_in = layer["units"]
    return torch.nn.Sequential(*modules)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    spec = json.load(sys.stdin if a.spec == "-" else open(a.spec))
    fan_in = 784
    for i, layer in enumerate(spec["layers"]):
        for key in ("kernelInitializer", "biasInitializer"):
            if not is_linear_default(layer.get(key), fan_in):
                print(f"torch_parity: layers[{i}].{key} is {layer.get(key)!r}, not nn.Linear's default U(±1/√{fan_in})", file=sys.stderr)
                sys.exit(2)
        fan_in = layer["units"]
    torch.set_num_threads(a.threads)
    x, y = ref.images(a.data, "train-images-idx3-ubyte"), ref.labels(a.data, "train-labels-idx1-ubyte")
    xt, yt = ref.images(a.data, "t10k-images-idx3-ubyte"), ref.labels(a.data, "t10k-labels-idx1-ubyte")
    ref.build_model = build_default  # ref.train builds its model through this name
    runs = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        torch.manual_seed(seed)
        start = time.perf_counter()
        model = ref.train(spec, x, y, spec["steps"])
        ms = (time.perf_counter() - start) * 1000
        with torch.no_grad():
            acc = (model(xt).argmax(1) == yt).float().mean().item()
        runs.append({"seed": seed, "steps": spec["steps"], "trainMs": round(ms, 1), "testAccuracy": round(acc, 4)})
    print(json.dumps({"runs": runs, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
