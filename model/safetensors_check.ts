/**
 * Checks of a safetensors file beyond its syntax: the header must describe the data exactly
 * (every tensor aligned to its element size, no two tensors overlapping, no byte of data left
 * unclaimed), as the safetensors format requires; a file whose header lies is refused instead of
 * computed on. And the test that a file is rnnfab's own output (its `__metadata__.tool`).
 *
 * @module
 */

import { UserError } from "../util/errors.ts";

/** One tensor entry of a safetensors header, validated on its own. */
export interface SafetensorsEntry {
  /** Tensor name. */
  name: string;
  /** dtype ("F32", ...). */
  dtype: string;
  /** Shape. */
  shape: number[];
  /** First data byte (relative to the data section). */
  begin: number;
  /** One past the last data byte. */
  end: number;
  /** Bytes per element. */
  size: number;
  /** Elements. */
  count: number;
}

/**
 * Refuse misaligned offsets, overlapping tensors and gaps: sorted by offset, the tensors must
 * tile the `dataLength` data bytes exactly from 0 to the end.
 */
export function checkSafetensorsLayout(
  entries: SafetensorsEntry[],
  dataLength: number,
  source: string,
): void {
  for (const entry of entries) {
    if (entry.begin % entry.size !== 0) {
      throw new UserError(
        `${source}: tensor ${entry.name}: data_offsets begin ${entry.begin} is not aligned to ` +
          `its ${entry.size}-byte ${entry.dtype} elements`,
      );
    }
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < at) {
      throw new UserError(
        `${source}: tensor ${entry.name}: data_offsets [${entry.begin}, ${entry.end}] overlap ` +
          `tensor ${previous!.name} [${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (entry.begin > at) {
      throw new UserError(
        `${source}: data bytes [${at}, ${entry.begin}) belong to no tensor (a gap before ` +
          `tensor ${entry.name}; expected the tensors to cover the data exactly)`,
      );
    }
    at = entry.end;
    previous = entry;
  }
  if (at !== dataLength) {
    throw new UserError(
      `${source}: data bytes [${at}, ${dataLength}) belong to no tensor (expected the tensors ` +
        `to cover the data exactly)`,
    );
  }
}

/** Whether the first bytes of a file are a safetensors header written by rnnfab. */
export function isRnnfabSafetensors(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const length = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (length > head.length - 8) return false;
  try {
    const header = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + length)));
    const tool = header?.__metadata__?.tool;
    return typeof tool === "string" && tool.startsWith("rnnfab");
  } catch {
    return false;
  }
}
