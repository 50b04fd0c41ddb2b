"""Independent float64 LSTM/GRU reference in numpy, used by tests/float_test.ts.

Written separately from model/float.ts, straight from PyTorch's documented equations for nn.LSTM
and nn.GRU (and ONNX's peephole convention), in matrix form: all gates of a layer in one product.
Usage: python numpy_rnn.py MODEL.json INPUTS.json  (weights inline) -> prints {"outputs": ...}.
"""
import json
import sys

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def run(model, xs):
    w = model["weights"]
    layers = model["numLayers"]
    hidden = model["hiddenSize"]
    proj = model.get("projSize", 0) or 0
    out_size = proj if proj else hidden
    h = [np.zeros(out_size) for _ in range(layers)]
    c = [np.zeros(hidden) for _ in range(layers)]
    outputs = []
    for x in xs:
        inp = np.asarray(x, dtype=np.float64)
        for l in range(layers):
            wih = np.asarray(w[f"weight_ih_l{l}"], dtype=np.float64)
            whh = np.asarray(w[f"weight_hh_l{l}"], dtype=np.float64)
            bih = np.asarray(w.get(f"bias_ih_l{l}", np.zeros(wih.shape[0])), dtype=np.float64)
            bhh = np.asarray(w.get(f"bias_hh_l{l}", np.zeros(wih.shape[0])), dtype=np.float64)
            gi = wih @ inp + bih
            gh = whh @ h[l] + bhh
            if model["kind"] == "lstm":
                pre = gi + gh
                ii, ff, gg, oo = np.split(pre, 4)
                peep = w.get(f"peephole_l{l}")
                if peep is not None:
                    pi, pf, po = np.split(np.asarray(peep, dtype=np.float64), 3)
                else:
                    pi = pf = po = np.zeros(hidden)
                i_gate = sigmoid(ii + pi * c[l])
                f_gate = sigmoid(ff + pf * c[l])
                c[l] = f_gate * c[l] + i_gate * np.tanh(gg)
                o_gate = sigmoid(oo + po * c[l])
                m = o_gate * np.tanh(c[l])
                h[l] = np.asarray(w[f"weight_hr_l{l}"], dtype=np.float64) @ m if proj else m
            else:
                ir, iz, inn = np.split(gi, 3)
                hr, hz, hn = np.split(gh, 3)
                r = sigmoid(ir + hr)
                z = sigmoid(iz + hz)
                n = np.tanh(inn + r * hn)
                h[l] = (1.0 - z) * n + z * h[l]
            inp = h[l]
        outputs.append(inp.tolist())
    return outputs


if __name__ == "__main__":
    model = json.load(open(sys.argv[1]))
    xs = json.load(open(sys.argv[2]))["inputs"]
    print(json.dumps({"outputs": run(model, xs)}))
