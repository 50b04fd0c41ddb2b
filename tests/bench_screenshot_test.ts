/**
 * The HTML report renders its plots in a real browser: headless Debian chromium takes a
 * screenshot of report.html (opened from disk, no network), and the PNG must be a full-size
 * image, not blank, with the bars of every provenance colour of the latency plot visible.
 * Skipped, with a message, when chromium is not installed (`apt-get install -y chromium`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../model/model_io.ts";
import { PROVENANCE_COLOURS } from "../bench/plots.ts";
import { runBench } from "../bench/run.ts";
import {
  chromiumMissing,
  colourCounts,
  imageStatistics,
  profileDir,
  screenshotPage,
} from "../bench/screenshot.ts";
import { REPO_ROOT, withTempDir } from "./helpers.ts";

const missing = chromiumMissing();
if (missing) console.warn(`bench_screenshot_test skipped: ${missing}`);

Deno.test({
  name: "report.html renders its latency plot in headless chromium",
  ignore: missing !== undefined,
  fn: async () => {
    await withTempDir("rnnfab-screenshot-", async (dir) => {
      const outDir = join(dir, "report");
      await runBench({
        modelPath: "examples/lstm.json",
        model: await loadModel(`${REPO_ROOT}examples/lstm.json`),
        outDir,
        density: 0.3,
        fpga: false,
        steps: 4,
        repeats: 2,
        rounds: 1,
        warmup: 1,
      });
      const image = await screenshotPage({
        htmlPath: join(outDir, "report.html"),
        pngPath: join(dir, "shot.png"),
        width: 1200,
        height: 900,
        profileDir: profileDir(dir),
      });
      assert.equal(image.width, 1200);
      assert.equal(image.height, 900);
      const statistics = imageStatistics(image);
      assert.ok(statistics.colours > 50, `only ${statistics.colours} colours`);
      assert.ok(statistics.nonWhiteShare > 0.03, `non-white share ${statistics.nonWhiteShare}`);
      // The bars (one colour per provenance) are on screen, not just the legend's swatches.
      const counts = colourCounts(image, {
        measured: PROVENANCE_COLOURS.measured,
        modeled: PROVENANCE_COLOURS.modeled,
        published: PROVENANCE_COLOURS.published,
      });
      for (const [what, count] of Object.entries(counts)) {
        assert.ok(count > 400, `${what} bars: only ${count} pixels`);
      }
    });
  },
});
