/**
 * Just enough PNG decoding to check a screenshot: 8-bit RGB/RGBA, non-interlaced (what chromium
 * writes), all five scanline filters. Used by the report's screenshot check.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";

/** A decoded 8-bit RGB or RGBA PNG. */
export interface PngImage {
  width: number;
  height: number;
  /** Bytes per pixel (3 or 4). */
  channels: number;
  /** Unfiltered pixel rows, channels bytes per pixel. */
  pixels: Uint8Array;
}

/** Decode an 8-bit, non-interlaced RGB/RGBA PNG (what chromium writes). */
export function decodePng(bytes: Uint8Array): PngImage {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (signature.some((value, i) => bytes[i] !== value)) throw new Error("not a PNG file");
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
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      if (bitDepth !== 8 || body[12] !== 0 || channels === 0) {
        throw new Error(
          `unsupported PNG: bit depth ${bitDepth}, colour type ${colourType}, interlace ${
            body[12]
          }`,
        );
      }
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
export function countColour(image: PngImage, hex: string, tolerance = 6): number {
  const target = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < image.pixels.length; i += image.channels) {
    if (target.every((value, c) => Math.abs(image.pixels[i + c] - value) <= tolerance)) count++;
  }
  return count;
}
