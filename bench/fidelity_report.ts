/**
 * The Markdown table of `bench:fidelity`'s results (bench/results/fidelity.md).
 *
 * @module
 */

/** The report's fixed fields (what was measured, how). */
export const FIDELITY_REPORT_HEAD = {
  provenance: "measured",
  what:
    "test accuracy (fraction correct, last step's class through the example's linear head) of trained examples pruned by four methods, float64 reference and fixed-point golden model (12-bit weights, Q16.12 activations; bit-exact with the RTL)",
  calibration:
    "the BCR search runs on the training data (at most 4e8 multiply-accumulates per evaluation; evenly spaced subset beyond) and minimises the head's cross-entropy; the refit re-solves the kept weights by least squares on the same sequences (dense trajectory as teacher); the bias correction (bcrSearchRefitBias) then shifts each gate row's biases so that its mean matrix-vector terms on the same sequences, on the pruned model's own trajectory, equal the dense model's; the guarded one-shot result (bcrSearchOneShot) is search + refit with the bias correction kept only when it lowers the head's cross-entropy on the same calibration sequences; the held-out selected one-shot result (bcrSearchSelected, the column the target uses) is chosen among the search's 3 best structures and the search's choice with 2x2 blocks x refit ridge 1e-3/1e-2/1e-1 x bias correction off/on by accuracy, then the distillation loss (mean KL(dense || pruned) of the head's softmax), then cross-entropy, on a held-out split of the training data (training sequences outside the calibration subset, or every 5th calibration sequence left out of the fit), then fitted again on the calibration subset when the split was carved out of it; the test set enters no choice",
  finetuning:
    "PyTorch (python/rnnfab), labels objective through the fixed head, Adam with cosine decay, 10% of the training data held out to keep the best epoch; fine-tuning starts from search + refit; ADMM: half the epochs ADMM from the dense model, then rnnfab's BCR pruning to the search's per-matrix densities, then half masked fine-tuning",
};

interface Pair {
  float: number;
  fixed: number;
  density: number;
}

interface Row {
  density: number;
  magnitudePerMatrix: Pair;
  bcrSearch: Pair & { block: string };
  bcrSearchRefit: Pair;
  bcrSearchRefitBias?: Pair;
  bcrSearchOneShot?: Pair & { biasCorrection: { applied: boolean } };
  bcrSearchSelected?: Pair & {
    selection: {
      chosen: {
        structure: number;
        block: string;
        colShare: number;
        ridge: number;
        biasCorrection: boolean;
      };
      split: string;
    };
  };
  bcrFinetuned: Pair;
  bcrAdmm: Pair;
}

interface ExampleResult {
  name: string;
  kind: string;
  hiddenSize: number;
  numLayers: number;
  dense: Pair;
  rows: Row[];
  targets: {
    finetuneTarget: { density: number; gap: number | null; met: boolean | null };
    searchVsMagnitude: {
      density: number;
      met: boolean;
      refitMet?: boolean;
      guardedMet?: boolean;
      searchAloneMet: boolean;
    }[];
  };
}

function pct(value: number): string {
  return `${(value * 100).toFixed(2)}`;
}

function pair(value: Pair): string {
  return `${pct(value.float)} / ${pct(value.fixed)}`;
}

/** "97.30 / 97.30 (#0 4x4 cs 0.25, ridge 0.001, bias off)": the selected result and its choice. */
function selectedCell(row: Row): string {
  const selected = row.bcrSearchSelected;
  if (!selected) return "not run";
  const c = selected.selection.chosen;
  return `${pair(selected)} (#${c.structure} ${c.block} cs ${c.colShare}, ridge ${c.ridge}, bias ${
    c.biasCorrection ? "on" : "off"
  })`;
}

/** Markdown tables, one per example: accuracy float / fixed (%) per method and density. */
export function fidelityMarkdown(
  report: {
    examples: ExampleResult[];
    seconds: number;
    rerun?: { column: string; from: string; earlierSeconds: number };
  },
): string {
  const lines = [
    "# Accuracy after pruning (measured by `deno task bench:fidelity`)",
    "",
    "Test accuracy in %, float64 / fixed point (bit-exact with the RTL). Densities are targets;",
    "achieved densities are in fidelity.json.",
    "",
  ];
  for (const result of report.examples) {
    lines.push(
      `## ${result.name}: ${result.kind.toUpperCase()}, ${result.numLayers} x ${result.hiddenSize} cells`,
      "",
      `dense: ${pair(result.dense)}`,
      "",
      "| density | magnitude per matrix | BCR search (calibrated) | BCR search + refit | + bias correction | one-shot result (bias correction kept?) | held-out selected one-shot (choice) | BCR + refit + fine-tune | BCR + ADMM | search block |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const row of result.rows) {
      lines.push(
        `| ${row.density} | ${pair(row.magnitudePerMatrix)} | ${pair(row.bcrSearch)} | ${
          pair(row.bcrSearchRefit)
        } | ${row.bcrSearchRefitBias ? pair(row.bcrSearchRefitBias) : "not run"} | ${
          row.bcrSearchOneShot
            ? `${pair(row.bcrSearchOneShot)} (${
              row.bcrSearchOneShot.biasCorrection.applied ? "kept" : "not kept"
            })`
            : "not run"
        } | ${selectedCell(row)} | ${pair(row.bcrFinetuned)} | ${
          pair(row.bcrAdmm)
        } | ${row.bcrSearch.block} |`,
      );
    }
    const target = result.targets.finetuneTarget;
    const misses = result.targets.searchVsMagnitude.filter((s) => !s.met).map((s) => s.density);
    const aloneMisses = result.targets.searchVsMagnitude.filter((s) => !s.searchAloneMet)
      .map((s) => s.density);
    const refitMisses = result.targets.searchVsMagnitude.filter((s) => s.refitMet === false)
      .map((s) => s.density);
    const everyRowCorrected = result.rows.every((row) => row.bcrSearchOneShot);
    const everyRowSelected = result.rows.every((row) => row.bcrSearchSelected);
    const guardedMisses = result.targets.searchVsMagnitude.filter((s) => s.guardedMet === false)
      .map((s) => s.density);
    lines.push(
      "",
      `- target, fine-tuned fixed point within 1 point of dense float at density ${target.density}: ${
        target.met === null
          ? "not measured"
          : `${target.met ? "met" : "missed"} (${target.gap! >= 0 ? "+" : ""}${
            (target.gap! * 100).toFixed(2)
          } points against dense float)`
      }`,
      `- target, calibrated one-shot result (${
        everyRowSelected
          ? "chosen on a held-out split of the training data"
          : `search + refit + bias correction when it lowers the calibration loss${
            everyRowCorrected ? "" : "; search + refit in rows not re-run"
          }`
      }) at least as accurate as magnitude per matrix: ${
        misses.length === 0 ? "met at every density" : `missed at density ${misses.join(", ")}`
      }${
        everyRowSelected
          ? `; guarded one-shot (bias correction kept when it lowers the calibration loss): ${
            guardedMisses.length === 0
              ? "met at every density"
              : `missed at density ${guardedMisses.join(", ")}`
          }`
          : ""
      }; search + refit: ${
        refitMisses.length === 0
          ? "met at every density"
          : `missed at density ${refitMisses.join(", ")}`
      }; the search alone: ${
        aloneMisses.length === 0
          ? "met at every density"
          : `missed at density ${aloneMisses.join(", ")}`
      }`,
      "",
    );
  }
  const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} minutes`;
  const summed = "summed over the runs merged, which may have overlapped, on a shared machine";
  lines.push(
    report.rerun
      ? `Only the held-out selected column (${report.rerun.column}) was measured again (\`--selected ${report.rerun.from}\`, which also re-runs the search it starts from and checks that it reproduces the earlier search column); every other column is that report's. Wall time of the re-run ${
        minutes(report.seconds)
      } (measured; ${summed}); of the earlier runs ${minutes(report.rerun.earlierSeconds)}.`
      : `Wall time ${minutes(report.seconds)} (measured; ${summed}).`,
    "",
  );
  return lines.join("\n");
}
