/**
 * Published reference figures (ESE, RTMobile, GRIM), from /work/shared/REFERENCE.md. They are
 * for THEIR models on THEIR hardware, labelled "published" everywhere, and never mixed with our
 * measurements or models: the report lists them in their own section and plots them in their own
 * colour. Derived figures say how they were derived.
 *
 * @module
 */

/** One published figure. */
export interface PublishedRow {
  /** Short identifier. */
  id: string;
  /** Platform, as the publication names it. */
  platform: string;
  /** A short name for charts. */
  shortName: string;
  /** Whose model ran. */
  model: string;
  /** Latency per frame in microseconds, or null when the publication gives no absolute time. */
  usPerFrame: number | null;
  /** Effective throughput in GOP/s when published. */
  gops?: number;
  /** Dense-equivalent throughput in GOP/s when published. */
  denseEquivalentGops?: number;
  /** Power in watts when published. */
  watts?: number;
  /** True when a number is derived from published ones (see `note`). */
  derived: boolean;
  /** Where it comes from. */
  citation: string;
  /** What the figure means and how it was derived. */
  note: string;
}

const ESE_CITATION = "Han et al., ESE, FPGA 2017 (arXiv 1612.00694), via shared/REFERENCE.md";
const ESE_MODEL = "ESE's LSTMP on TIMIT (153 inputs, 1024 cells, 512 projection, peepholes; " +
  "about 11.2% density, 12-bit weights)";

/** The published rows. */
export const PUBLISHED_ROWS: readonly PublishedRow[] = [
  {
    id: "ese-xcku060",
    shortName: "ESE FPGA (their LSTMP)",
    platform: "ESE FPGA (Xilinx XCKU060, 200 MHz)",
    model: ESE_MODEL,
    usPerFrame: 82.7,
    gops: 282,
    denseEquivalentGops: 2520,
    watts: 41,
    derived: false,
    citation: ESE_CITATION,
    note: "82.7 us per run (one LSTM step), 282 GOP/s sparse = 2.52 TOP/s dense-equivalent, " +
      "41 W for the whole system",
  },
  {
    id: "ese-titanx",
    shortName: "Titan X (ESE's LSTMP)",
    platform: "Pascal Titan X GPU (ESE's baseline)",
    model: ESE_MODEL + ", run by the ESE authors",
    usPerFrame: 287.4,
    watts: 135,
    derived: false,
    citation: ESE_CITATION,
    note: "287.4 us at 135 W; ESE is 3x faster",
  },
  {
    id: "ese-i7",
    shortName: "i7-5930K (ESE's LSTMP)",
    platform: "Core i7-5930K CPU (ESE's baseline)",
    model: ESE_MODEL + ", run by the ESE authors",
    usPerFrame: 82.7 * 43,
    derived: true,
    citation: ESE_CITATION,
    note: "derived: ESE is 43x faster than this CPU, so about 43 x 82.7 us = 3556 us",
  },
  {
    id: "rtmobile-adreno640",
    shortName: "RTMobile Adreno 640 (their GRU)",
    platform: "RTMobile on Adreno 640 GPU (Snapdragon 855)",
    model: "RTMobile's block-pruned GRU for speech recognition (TIMIT)",
    usPerFrame: 82.7,
    derived: true,
    citation: "Dong et al., RTMobile, DAC 2020, via shared/REFERENCE.md",
    note: "derived from the claim that RTMobile on the Adreno 640 matches ESE's inference time " +
      "(82.7 us) at about 40x better energy efficiency; no absolute time is given in our reference",
  },
  {
    id: "grim",
    shortName: "GRIM",
    platform: "GRIM on Snapdragon 855 CPU/GPU",
    model: "GRIM's BCR-pruned CNNs and RNNs",
    usPerFrame: null,
    derived: false,
    citation: "Niu et al., GRIM, IEEE TPAMI 44, 2022 (arXiv 2108.11033), via shared/REFERENCE.md",
    note: "up to 14.08x speedup over MNN, TVM, TFLite, a CSR sparse implementation, PatDNN and " +
      "ESE; no per-frame time in our reference",
  },
];
