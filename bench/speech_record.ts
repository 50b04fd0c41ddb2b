/**
 * The record of a speech model set (`NAME.models.json`, written by python/rnnfab/speech_models.py,
 * `deno task models:speech`): the thresholds its BCR + delta model was fine-tuned with, or for a
 * set with a threshold search the thresholds the search chose (docs/delta.md, "Choosing the
 * thresholds"). `bench:delta` takes them as the defaults of --theta, --theta-input, --theta-m.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";

/** The thresholds of a BCR + delta model (real units). */
export interface RecordedThresholds {
  /** theta_h of every layer and theta_x of the layers after the first. */
  theta: number;
  /** theta_x of layer 0 (the input features). */
  thetaInput: number;
  /** theta_m of every layer (absent: a dense projection). */
  thetaM?: number;
}

const THETA = z.number().nonnegative();
const THRESHOLDS = z.object({
  theta: THETA,
  thetaInput: THETA.nullish(),
  thetaM: THETA.nullish(),
});
/** The part of the record read here: the delta stage's thresholds. */
const RECORD = z.object({
  stages: z.object({
    delta: z.object({
      /** The thresholds the model is used with (sets made since the threshold search). */
      thresholds: THRESHOLDS.optional(),
      /** The test accuracy at the thresholds (older records: they are read from here). */
      testAtTheta: THRESHOLDS.partial({ theta: true }).optional(),
    }).optional(),
  }),
});

/**
 * The delta stage's thresholds recorded in `path`; undefined where the file or the stage is
 * missing. A record that is not what speech_models writes is a UserError naming the field.
 */
export async function readRecordedThresholds(
  path: string,
): Promise<RecordedThresholds | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UserError(`${path}: cannot read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: not JSON: ${(error as Error).message}`);
  }
  const parsed = RECORD.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${path}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  const delta = parsed.data.stages.delta;
  const found = delta?.thresholds ??
    (delta?.testAtTheta?.theta === undefined ? undefined : delta.testAtTheta);
  if (found?.theta === undefined) return undefined;
  return {
    theta: found.theta,
    thetaInput: found.thetaInput ?? found.theta,
    ...(found.thetaM === undefined || found.thetaM === null ? {} : { thetaM: found.thetaM }),
  };
}
