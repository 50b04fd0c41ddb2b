/**
 * Small builders for the artifacts' zod schemas.
 *
 * @module
 */

import { z } from "zod";

/**
 * An object schema whose fields `names` all have the schema `field` (e.g. a record of counts);
 * `.extend` adds the others.
 */
export function sameFields<S extends z.ZodType, K extends string>(field: S, ...names: K[]) {
  return z.object(Object.fromEntries(names.map((name) => [name, field])) as { [P in K]: S });
}
