/**
 * The pruning stage: BCR pruning (bcr.ts) with PE load balancing (balance.ts), the magnitude
 * baseline (magnitude.ts), detection of the BCR structure of a pruned model (detect.ts), block
 * shapes (block.ts) and the hyperparameter search (search.ts). See docs/pruning.md.
 *
 * @module
 */

export { type BlockSize, checkBlockFits, clipBlock, formatBlock, parseBlock } from "./block.ts";
export {
  type BcrBlockPattern,
  type DensityRate,
  type KeepRates,
  type MatrixPruneOptions,
  type MatrixPruneResult,
  type MatrixPruneStats,
  type MatrixReport,
  type ModelPruneOptions,
  type ModelPruneReport,
  type PeBalance,
  pruneMatrixBcr,
  pruneModelBcr,
} from "./bcr.ts";
export {
  countNonZeros,
  laneRowOrder,
  modelLaneOrder,
  modelPeLoad,
  type PeLoad,
  peLoadImbalance,
} from "./balance.ts";
export {
  balanceColumns,
  columnBalanceOf,
  type ColumnBalanceStats,
  columnPeCounts,
} from "./balance_columns.ts";
export { magnitudePrune, type MagnitudeScope } from "./magnitude.ts";
export {
  type BcrCheck,
  bcrStructure,
  type BlockStructure,
  detectBcr,
  findBcrBlocks,
} from "./detect.ts";
export * from "./search.ts";
export { laneOrderedMatrix, matrixColumnBalance, type MatrixLayout } from "./lane_order.ts";
