import { caseDesign } from "./e2e.ts";
import { firedColumnsOf, simulateDeltaTiming } from "../rtl/delta_timing.ts";
import { quantizeInputs } from "../model/fixed.ts";
import { loadDataset } from "../model/dataset.ts";
const data = await loadDataset("/tmp/delta-scratch/speech/speech40_test.safetensors", { inputSize: 40 });
for (const w of [1, 8]) for (const theta of [0, 0.1, 0.3]) {
  const c = { name: "m", kind: "lstm" as const, numLayers: 2, inputSize: 40, hiddenSize: 64, density: 0.25, pes: 32, format: "ese" as const, seed: 3, steps: 8, settings: { delta: { thetaX: theta, thetaH: theta }, activationBits: 20, activationFrac: 12, broadcast: w } };
  const d = caseDesign(c);
  const per: number[] = []; let fired = 0, cols = 0;
  for (const seq of data.sequences) {
    const q = quantizeInputs(seq, d.quantized.format);
    const f = firedColumnsOf(d.quantized, q, d.delta!);
    for (const s of f) for (const l of s) fired += l.size;
    cols += seq.length * (40 + 64 + 64 + 64);
    const r = simulateDeltaTiming({ rtl: d.rtl, image: d.image, delta: d.delta! }, f);
    const e = r.stepEndCycles; for (let i = 1; i < e.length; i++) per.push(e[i] - e[i - 1]);
  }
  per.sort((a, b) => a - b);
  const mean = per.reduce((a, b) => a + b, 0) / per.length;
  console.log("W", w, "theta", theta, "frames", per.length, "delta mean", mean.toFixed(1), "p50", per[Math.floor(per.length/2)], "p99", per[Math.ceil(0.99*per.length)-1], "worst", per[per.length-1], "fired", (fired/cols).toFixed(3));
}
