// rnnfab_pkg.vh: the constant functions and helpers shared by the rnnfab cores
// (docs/architecture.md, "Parameters"). Every core includes it at its top; the flows compile
// with the design's rtl/ folder on the include path (`-I`). Verilog-2005 has no packages and no
// functions outside a module, so the helpers are macros: constant expressions, usable in
// parameter defaults and port widths, and function sets that a module expands inside its body.
`ifndef RNNFAB_PKG_VH
`define RNNFAB_PKG_VH

// ---------------- Constant expressions
// The larger of two constants.
`define RNNFAB_MAX(a, b) (((a) > (b)) ? (a) : (b))
// ceil(a / b) of two positive constants.
`define RNNFAB_CEIL_DIV(a, b) (((a) + (b) - 1) / (b))
// Bits of an unsigned value (at least 1): the width of a counter or index that holds 0..value.
// RNNFAB_BITS_FOR(0) = RNNFAB_BITS_FOR(1) = 1, RNNFAB_BITS_FOR(4) = 3 (bitsFor of encode/).
`define RNNFAB_BITS_FOR(value) (((value) < 1) ? 1 : $clog2((value) + 1))
// a rounded up to a multiple of the positive constant b.
`define RNNFAB_ALIGN(a, b) (`RNNFAB_CEIL_DIV(a, b) * (b))
// Whether L is a MAC lane count the cores build: a power of two (the accumulators are banked by
// row mod L) from 1 to 64 (LANE_COUNTS of rtl/config.ts; the widths derive from L).
`define RNNFAB_LANES_OK(L) ((L) >= 1 && (L) <= 64 && (((L) & ((L) - 1)) == 0))

// ---------------- Widths of the controller-to-PE bus, derived from the primary parameters
// IN0, O, H, LAYERS, PROJ, K, KP, KO, BLOCK_COLS and BCAST of the module that expands it.
// Expanded in the parameter lists of rnnfab_ctrl and rnnfab_pe (`parameter `RNNFAB_BUS_WIDTHS`)
// and as the top's localparams, so that the three agree by construction; leave them unset when
// instantiating.
//   VEC_DEPTH  positions of the longest vector broadcast in one phase: max(IN0 + O, 2 O with
//              a second layer, H with a projection), the input part rounded up to a multiple of
//              BCAST (a bus beat of BCAST columns never straddles the two parts)
//   COL_W      phase column address width (holds VEC_DEPTH - 1)
//   SEG_W      segment count width (holds the segments of the longest phase; bcr segments are
//              BLOCK_COLS columns wide, the ese format has one column per segment count)
//   KW, KPW    cell and projection row index widths (hold K - 1, KP - 1)
//   CA_W       c / bias / peephole address width (holds LAYERS * K - 1)
//   HA_W       h bank address width (holds LAYERS * KO - 1)
//   RA_W       bank read address width (the m bank is addressed by cell with a projection)
`define RNNFAB_BUS_WIDTHS \
    VEC_DEPTH = `RNNFAB_MAX(`RNNFAB_ALIGN(IN0, BCAST) + O, \
        `RNNFAB_MAX((LAYERS > 1) ? `RNNFAB_ALIGN(O, BCAST) + O : 0, (PROJ != 0) ? H : 0)), \
    COL_W = `RNNFAB_BITS_FOR(VEC_DEPTH - 1), \
    SEG_W = `RNNFAB_BITS_FOR(`RNNFAB_MAX( \
        `RNNFAB_CEIL_DIV(IN0, BLOCK_COLS) + `RNNFAB_CEIL_DIV(O, BLOCK_COLS), `RNNFAB_MAX( \
        (LAYERS > 1) ? 2 * `RNNFAB_CEIL_DIV(O, BLOCK_COLS) : 0, \
        (PROJ != 0) ? `RNNFAB_CEIL_DIV(H, BLOCK_COLS) : 0))), \
    KW = `RNNFAB_BITS_FOR(K - 1), \
    KPW = `RNNFAB_BITS_FOR(KP - 1), \
    CA_W = `RNNFAB_BITS_FOR(LAYERS * K - 1), \
    HA_W = `RNNFAB_BITS_FOR(LAYERS * KO - 1), \
    RA_W = (PROJ != 0) ? `RNNFAB_MAX(HA_W, KW) : HA_W

// ---------------- Batch (docs/architecture.md, "Batch"): a PE's matrix-vector engine hands its
// C1 multiply-accumulate to the PE's batch copies as one bus, {valid, hpart, row, LANES weights,
// BATCH values}; the engines' local row width holds every gate and projection row of a PE.
`define RNNFAB_ROW_W(K, KP) `RNNFAB_BITS_FOR(`RNNFAB_MAX(4 * (K), (KP)) - 1)
`define RNNFAB_LEAD_W(K, KP, LANES, WB, BATCH, AB) \
    (2 + `RNNFAB_ROW_W(K, KP) + (LANES) * (WB) + (BATCH) * (AB))
// The B copies of a PE share one element-wise unit, in copy 0 (docs/architecture.md, "Batch"):
// the controller issues each cell once per sequence (ew_seq, RNNFAB_SEQ_W bits); copy s hands
// its S1 word {four accumulator fields, c(t-1) or h(t-1)} (RNNFAB_SHARE_W) to copy 0, which
// returns the unit's results to every copy as one bus {c_we, c_tag, c(t), m_we, m_tag, m or h}
// (RNNFAB_EWR_W), each tag {sequence, cell}.
`define RNNFAB_SEQ_W(BATCH) `RNNFAB_BITS_FOR((BATCH) - 1)
`define RNNFAB_SHARE_W(ACC, AB) (4 * (ACC) + (AB))
`define RNNFAB_EWR_W(KW, BATCH, AB) (2 + 2 * ((KW) + `RNNFAB_SEQ_W(BATCH)) + 2 * (AB))
// 1 where the serial accumulator banks multiply and add in a DSP48E2 (rnnfab_mac_dsp.v): only
// with the define RNNFAB_DSP48E2, which the Xilinx synthesis flow alone sets (synth/script.ts)
`ifdef RNNFAB_DSP48E2
`define RNNFAB_MAC_DSP(SERIAL, WB, VW, ACC) \
  (((SERIAL) != 0 && (WB) <= 17 && (VW) <= 27 && (ACC) <= 47) ? 1 : 0)
`else
`define RNNFAB_MAC_DSP(SERIAL, WB, VW, ACC) 0
`endif

// ---------------- Fixed-point helpers of docs/fixed-point.md, as functions of the module that
// expands `RNNFAB_FIXED_POINT_FUNCTIONS in its body. They use its parameters AB (activation
// width), ACC (accumulator width), WF (weight fraction bits) and XW, the internal width (at
// least ACC + 1, wide enough for every sum the module forms).
//   extend_acc(v)       sign-extend an ACC-bit value to XW bits
//   extend_ab(v)        sign-extend an AB-bit value to XW bits
//   round_shift(v, s)   rshr: round half up, floor((v + 2^(s-1)) / 2^s); v itself when s = 0
//   saturate(v)         sat_AB of an XW-bit value
//   requant(v)          requant(a) = sat_AB(rshr(a, WF))
`define RNNFAB_FIXED_POINT_FUNCTIONS \
  function [XW-1:0] extend_acc(input [ACC-1:0] value); \
    extend_acc = {{(XW - ACC) {value[ACC-1]}}, value}; \
  endfunction \
  function [XW-1:0] extend_ab(input [AB-1:0] value); \
    extend_ab = {{(XW - AB) {value[AB-1]}}, value}; \
  endfunction \
  function [XW-1:0] round_shift(input [XW-1:0] value, input integer shift); \
    reg [XW-1:0] half; \
    begin \
      half = (shift > 0) ? ({{(XW - 1) {1'b0}}, 1'b1} << (shift - 1)) : {XW{1'b0}}; \
      round_shift = $signed(value + half) >>> shift; \
    end \
  endfunction \
  function [AB-1:0] saturate(input [XW-1:0] value); \
    begin \
      if (value[XW-1:AB-1] == {(XW - AB + 1) {1'b0}} || \
          value[XW-1:AB-1] == {(XW - AB + 1) {1'b1}}) \
        saturate = value[AB-1:0]; \
      else if (value[XW-1]) saturate = {1'b1, {(AB - 1) {1'b0}}}; \
      else saturate = {1'b0, {(AB - 1) {1'b1}}}; \
    end \
  endfunction \
  function [AB-1:0] requant(input [XW-1:0] value); \
    requant = saturate(round_shift(value, WF)); \
  endfunction

// ---------------- Activation unit (rnnfab_act): its latency in cycles, x to y (ACT_LATENCY of
// rtl/design.ts; the element-wise units count their stages with it)
`define RNNFAB_ACT_LATENCY 8

// ---------------- Activation tables (rnnfab_act): the parameters that choose the sigmoid and
// tanh tables, in the parameter list of every module that passes them on (rnnfab_act_lanes and
// the element-wise units; expand it last in the list, or follow it with a comma).
//   SIG_S, SIG_R        sigmoid table step log2 and range log2 (docs/fixed-point.md)
//   TANH_S, TANH_R      tanh table step log2 and range log2
//   SIG_FILE, TANH_FILE the tables' $readmemh images
`define RNNFAB_ACT_TABLE_PARAMS \
    parameter SIG_S = 4, \
    parameter SIG_R = 3, \
    parameter TANH_S = 4, \
    parameter TANH_R = 3, \
    parameter SIG_FILE = "sigmoid.hex", \
    parameter TANH_FILE = "tanh.hex"

// ---------------- Element-wise units (rnnfab_ew_lstm, rnnfab_ew_gru): their internal width, the
// rounding halves, the latency check and the requantization of a gate row. They use the module's
// parameters AB, AF, WF, ACC and LATENCY, and its localparam PIPELINE_LATENCY.
//   XW                  internal width: holds every sum of docs/fixed-point.md with room to spare
//   HALF_WF, HALF_AF    the rounding halves of rshr by WF and by AF (zero when the shift is zero)
`define RNNFAB_EW_CONSTANTS \
  localparam XW = `RNNFAB_MAX(ACC + 3, 2 * AB + 3); \
  localparam [XW-1:0] HALF_WF = (WF > 0) ? ({{(XW - 1) {1'b0}}, 1'b1} << (WF - 1)) : {XW{1'b0}}; \
  localparam [XW-1:0] HALF_AF = {{(XW - 1) {1'b0}}, 1'b1} << (AF - 1);
// A statement of the unit's parameter check (initial block): stop elaboration when the latency the
// controller assumes (LATENCY, EW_LATENCY of rtl/design.ts) is not the pipeline's.
`define RNNFAB_EW_LATENCY_CHECK \
    if (LATENCY != PIPELINE_LATENCY) begin \
      $display("%m: LATENCY=%0d, but the unit's latency is %0d", LATENCY, PIPELINE_LATENCY); \
      $finish; \
    end
// The fixed-point helpers (RNNFAB_FIXED_POINT_FUNCTIONS) and
//   biased(acc, bias)   acc + (bias << WF) + 2^(WF-1): the bias and the rounding half share bits
//                       (bias << WF has none below WF), so one adder forms requant's rounded sum
`define RNNFAB_EW_FUNCTIONS \
  `RNNFAB_FIXED_POINT_FUNCTIONS \
  function [XW-1:0] biased(input [ACC-1:0] acc, input [AB-1:0] bias); \
    biased = extend_acc(acc) + ((extend_ab(bias) << WF) | HALF_WF); \
  endfunction

`endif  // RNNFAB_PKG_VH
