/**
 * Screenshots of a report page in headless Debian chromium (no sandbox, no GPU, no network
 * features, a fresh profile), and a check that a screenshot shows the rendered plots.
 *
 * @module
 */

import { join } from "node:path";
import { onPath } from "./cbuild.ts";
import { countColour, decodePng, type PngImage } from "./png.ts";

/** The browser command. */
export const CHROMIUM = "chromium";

/** Why screenshots cannot be taken here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return onPath(CHROMIUM) ? undefined : "chromium not found (Debian: apt-get install -y chromium)";
}

/** Options of {@link screenshotPage}. */
export interface ScreenshotOptions {
  /** The HTML file. */
  htmlPath: string;
  /** Where to write the PNG. */
  pngPath: string;
  /** Window width in pixels. */
  width: number;
  /** Window height in pixels. */
  height: number;
  /** A fresh folder for the browser profile. */
  profileDir: string;
}

/** Take a screenshot of a local HTML file; returns the decoded image. */
export async function screenshotPage(options: ScreenshotOptions): Promise<PngImage> {
  const output = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${options.profileDir}`,
      `--screenshot=${options.pngPath}`,
      `--window-size=${options.width},${options.height}`,
      `file://${options.htmlPath}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) {
    throw new Error(`chromium exited ${output.code}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return decodePng(await Deno.readFile(options.pngPath));
}

/** Distinct colours and the share of non-white pixels of an image. */
export function imageStatistics(image: PngImage): { colours: number; nonWhiteShare: number } {
  const colours = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < image.pixels.length; i += image.channels) {
    const [r, g, b] = [image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 240 || g < 240 || b < 240) nonWhite++;
  }
  return { colours: colours.size, nonWhiteShare: nonWhite / (image.width * image.height) };
}

/** Pixels of each named colour ("#rrggbb") in an image. */
export function colourCounts(
  image: PngImage,
  colours: Record<string, string>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(colours).map(([name, hex]) => [name, countColour(image, hex)]),
  );
}

/** A fresh profile folder inside `dir`. */
export function profileDir(dir: string): string {
  return join(dir, `chromium-profile-${crypto.randomUUID().slice(0, 8)}`);
}
