/**
 * The HTML report renders its plots in a real browser: headless Debian chromium takes a
 * screenshot of report.html (opened from disk, no network), and the PNG must be a full-size
 * image, not blank, with the bars of every provenance colour of the latency plot visible.
 * Skipped, with a message, when chromium is not installed (`apt-get install -y chromium`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { loadModel } from "../gen/model_io.ts";
import { onPath } from "../bench/cbuild.ts";
import { runBench } from "../bench/run.ts";
import { REPO_ROOT } from "./helpers.ts";

/** A decoded 8-bit RGB or RGBA PNG. */
interface Image {
  width: number;
  height: number;
  /** Bytes per pixel (3 or 4). */
  channels: number;
  /** Unfiltered pixel rows, channels bytes per pixel. */
  pixels: Uint8Array;
}

/** Decode an 8-bit, non-interlaced RGB/RGBA PNG (what chromium writes). */
function decodePng(bytes: Uint8Array): Image {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), signature, "not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Uint8Array[] = [];
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const bitDepth = body[8];
      const colourType = body[9];
      assert.equal(bitDepth, 8);
      assert.equal(body[12], 0, "interlaced PNG");
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${colourType}`);
    } else if (type === "IDAT") {
      data.push(body);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= channels ? pixels[(y - 1) * stride + x - channels] : 0;
      let value = line[x];
      if (filter === 1) value += left;
      else if (filter === 2) value += up;
      else if (filter === 3) value += (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        value += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = value & 255;
    }
  }
  return { width, height, channels, pixels };
}

/** Number of pixels within `tolerance` of an RGB colour given as "#rrggbb". */
function countColour(image: Image, hex: string, tolerance = 6): number {
  const target = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < image.pixels.length; i += image.channels) {
    if (target.every((value, c) => Math.abs(image.pixels[i + c] - value) <= tolerance)) count++;
  }
  return count;
}

const chromiumMissing = !onPath("chromium");
if (chromiumMissing) {
  console.warn("bench_screenshot_test skipped: chromium not found (apt-get install -y chromium)");
}

Deno.test({
  name: "report.html renders its plots in headless chromium",
  ignore: chromiumMissing,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-screenshot-" });
    try {
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
      const shot = join(dir, "shot.png");
      const command = new Deno.Command("chromium", {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          `--user-data-dir=${join(dir, "profile")}`,
          `--screenshot=${shot}`,
          "--window-size=1200,900",
          `file://${join(outDir, "report.html")}`,
        ],
        stdout: "piped",
        stderr: "piped",
      });
      const result = await command.output();
      assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
      const image = decodePng(await Deno.readFile(shot));
      assert.equal(image.width, 1200);
      assert.equal(image.height, 900);
      // Not blank: many distinct colours, and a good share of non-white pixels.
      const colours = new Set<number>();
      let nonWhite = 0;
      for (let i = 0; i < image.pixels.length; i += image.channels) {
        const [r, g, b] = [image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]];
        colours.add((r << 16) | (g << 8) | b);
        if (r < 240 || g < 240 || b < 240) nonWhite++;
      }
      assert.ok(colours.size > 50, `only ${colours.size} colours`);
      assert.ok(nonWhite > 0.03 * image.width * image.height, `${nonWhite} non-white pixels`);
      // The latency plot's bars, one colour per provenance (bench/plots.ts), are on screen.
      for (
        const [what, hex] of [["measured", "#1f77b4"], ["modeled", "#ff7f0e"], [
          "published",
          "#7f7f7f",
        ]]
      ) {
        const count = countColour(image, hex);
        assert.ok(count > 400, `${what} bars (${hex}): only ${count} pixels`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
