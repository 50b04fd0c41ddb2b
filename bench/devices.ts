/**
 * Device profiles for the modeled (roofline) rows of the comparison: built-in Snapdragon 855 CPU
 * and Adreno 640 GPU profiles from the published figures of `shared/REFERENCE.md`, and user
 * profiles from a JSON file (`--devices`), validated here, at the edge. A user entry may also
 * carry times measured on a real device; those replace the modeled figures of that device.
 *
 * The file format (documented in docs/benchmarks.md):
 *
 * ```json
 * { "devices": [
 *   { "id": "my-phone-cpu", "name": "My phone, 1 big core", "kind": "cpu",
 *     "peakGflops": 45.4, "bandwidthGBs": 34.1, "source": "vendor sheet",
 *     "measured": { "sparseUsPerFrame": 120, "note": "bench/aarch64 kernel, taskset to core 7" } },
 *   { "id": "sd855-cpu-big", "measured": { "sparseUsPerFrame": 60 } }
 * ] }
 * ```
 *
 * An entry whose `id` is a built-in's is merged onto it (only the given fields change).
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { readJsonFile } from "../model/inputs.ts";

/** Times measured by a user on a real device, for this model. */
export interface MeasuredTimes {
  /** Measured microseconds per frame (time step) of the dense model. */
  denseUsPerFrame?: number;
  /** Measured microseconds per frame of the BCR-sparse model (the generated C kernel). */
  sparseUsPerFrame?: number;
  /** How it was measured (free text, shown in the report). */
  note?: string;
}

/** A device as the roofline model sees it. */
export interface DeviceProfile {
  /** Short identifier (letters, digits, '-', '_'). */
  id: string;
  /** Display name. */
  name: string;
  /** Device class. */
  kind: "cpu" | "gpu" | "npu" | "other";
  /** Peak (or measured attainable) float32 throughput, GFLOP/s. */
  peakGflops: number;
  /** Main-memory bandwidth, GB/s (1 GB = 1e9 bytes). */
  bandwidthGBs: number;
  /** Fraction of peakGflops a batch-1 recurrent step reaches, in (0, 1] (default 1). */
  computeEfficiency: number;
  /** Fraction of bandwidthGBs a batch-1 recurrent step reaches, in (0, 1] (default 1). */
  bandwidthEfficiency: number;
  /** Fixed cost per time step (kernel launches, synchronisation), microseconds (default 0). */
  overheadUsPerStep: number;
  /** On-chip cache that could hold weights between steps, bytes (informational; 0 = unknown). */
  cacheBytes: number;
  /** Where the figures come from. */
  source: string;
  /** "built-in" or the path of the user's file. */
  origin: string;
  /** Times measured on the real device, when a user supplied them. */
  measured?: MeasuredTimes;
}

/**
 * The built-in profiles, from /work/shared/REFERENCE.md (Snapdragon 855 section). Derived
 * figures say how they were derived.
 */
export const BUILT_IN_DEVICES: readonly DeviceProfile[] = [
  {
    id: "sd855-cpu-big",
    name: "Snapdragon 855 CPU, 4 big cores (1x A76 2.84 GHz + 3x A76 2.42 GHz)",
    kind: "cpu",
    peakGflops: 161.6,
    bandwidthGBs: 34.1,
    computeEfficiency: 1,
    bandwidthEfficiency: 1,
    overheadUsPerStep: 0,
    cacheBytes: 5 * 1024 * 1024,
    source: "REFERENCE.md: 16 fp32 FLOP/cycle per A76 core, 2.84 + 3 x 2.42 GHz = 161.6 GFLOP/s " +
      "(derived); LPDDR4X 4x16-bit, 34.1 GB/s peak; 2 MB L3 + 3 MB system cache",
    origin: "built-in",
  },
  {
    id: "sd855-cpu-prime",
    name: "Snapdragon 855 CPU, 1 prime core (A76 2.84 GHz), like the single-threaded C kernel",
    kind: "cpu",
    peakGflops: 45.44,
    bandwidthGBs: 34.1,
    computeEfficiency: 1,
    bandwidthEfficiency: 1,
    overheadUsPerStep: 0,
    cacheBytes: 5 * 1024 * 1024,
    source: "REFERENCE.md: 16 fp32 FLOP/cycle x 2.84 GHz = 45.44 GFLOP/s (derived); memory " +
      "34.1 GB/s peak (one core is unlikely to reach it)",
    origin: "built-in",
  },
  {
    id: "adreno640",
    name: "Adreno 640 GPU (Snapdragon 855), 585 MHz",
    kind: "gpu",
    peakGflops: 407,
    bandwidthGBs: 30,
    computeEfficiency: 1,
    bandwidthEfficiency: 1,
    overheadUsPerStep: 0,
    cacheBytes: 3 * 1024 * 1024,
    source: "REFERENCE.md: measured about 407 GFLOP/s fp32 FMA (peak 898.5) and a little under " +
      "30 GB/s from main memory; 3 MB system cache shared with the CPU",
    origin: "built-in",
  },
];

const positive = z.number().positive().finite();
const efficiency = z.number().positive().max(1);

const measuredSchema = z.strictObject({
  denseUsPerFrame: positive.optional(),
  sparseUsPerFrame: positive.optional(),
  note: z.string().optional(),
}).refine((m) => m.denseUsPerFrame !== undefined || m.sparseUsPerFrame !== undefined, {
  message: "expected denseUsPerFrame and/or sparseUsPerFrame",
});

const entrySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, "expected letters, digits, '-' or '_'"),
  name: z.string().min(1).optional(),
  kind: z.enum(["cpu", "gpu", "npu", "other"]).optional(),
  peakGflops: positive.optional(),
  bandwidthGBs: positive.optional(),
  computeEfficiency: efficiency.optional(),
  bandwidthEfficiency: efficiency.optional(),
  overheadUsPerStep: z.number().nonnegative().finite().optional(),
  cacheBytes: z.number().int().nonnegative().optional(),
  source: z.string().optional(),
  measured: measuredSchema.optional(),
});

const fileSchema = z.strictObject({ devices: z.array(entrySchema).min(1) });

/** Fields a new (non built-in) device must give. */
const REQUIRED_FOR_NEW = ["name", "kind", "peakGflops", "bandwidthGBs"] as const;

/**
 * Validate a parsed devices file and merge it with the built-ins: returns the built-ins (updated
 * by entries with their id) followed by the new devices, in file order. `source` names the file
 * in error messages.
 */
export function parseDevices(value: unknown, source: string): DeviceProfile[] {
  const file = parseWithSchema(fileSchema, value, source);
  const devices = BUILT_IN_DEVICES.map((device) => ({ ...device }));
  const seen = new Set<string>();
  file.devices.forEach((entry, index) => {
    if (seen.has(entry.id)) {
      throw new UserError(`${source}: devices[${index}].id: "${entry.id}" appears twice`);
    }
    seen.add(entry.id);
    const defined = Object.fromEntries(
      Object.entries(entry).filter(([, fieldValue]) => fieldValue !== undefined),
    );
    const existing = devices.findIndex((device) => device.id === entry.id);
    if (existing >= 0) {
      devices[existing] = { ...devices[existing], ...defined, origin: source };
      return;
    }
    for (const field of REQUIRED_FOR_NEW) {
      if (entry[field] === undefined) {
        throw new UserError(
          `${source}: devices[${index}].${field}: required for a new device ("${entry.id}" is not ` +
            `a built-in: ${BUILT_IN_DEVICES.map((d) => d.id).join(", ")})`,
        );
      }
    }
    devices.push({
      computeEfficiency: 1,
      bandwidthEfficiency: 1,
      overheadUsPerStep: 0,
      cacheBytes: 0,
      source: "user",
      ...(defined as Partial<DeviceProfile>),
      origin: source,
    } as DeviceProfile);
  });
  return devices;
}

/** Read and validate a devices file (see the module doc); throws UserError naming the file. */
export async function loadDevices(path: string): Promise<DeviceProfile[]> {
  return parseDevices(await readJsonFile(path, "devices file"), path);
}
