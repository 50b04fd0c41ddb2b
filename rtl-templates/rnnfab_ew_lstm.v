`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_lstm: the LSTM element-wise unit of one PE, fully pipelined (one cell per cycle),
// exactly the "LSTM, per cell j" arithmetic of docs/fixed-point.md. The PE presents a cell's four
// accumulators, biases, peepholes and c(t-1) in the cycle called S1; the unit returns c(t) for
// writing in S4 and m = o * tanh(c(t)) for writing in S8 (written at the end of those cycles).
//   S1: zi, zf (with peepholes on c(t-1)), g input, partial zo; requantize
//   S2-S3: i = sigmoid, f = sigmoid, g = tanh
//   S4: c(t) = sat(rshr(f * c(t-1) + i * g, AF))
//   S5: zo = acc_o + b_o + p_o * c(t); requantize
//   S6-S7: o = sigmoid, tanh(c(t))
//   S8: m = sat(rshr(o * tanh(c(t)), AF))
module rnnfab_ew_lstm #(
    parameter AB = 16,                    // activation width
    parameter AF = 12,                    // activation fraction bits
    parameter WB = 12,                    // weight (peephole) width
    parameter WF = 10,                    // weight fraction bits
    parameter ACC = 40,                   // accumulator width
    parameter PEEP = 0,                   // 1 when the model has peepholes
    parameter TAG = 4,                    // width of the cell tag carried along (PE-local cell)
    parameter LATENCY = 9,                // issue-to-readable latency the controller assumes
    parameter SIG_S = 4,                  // sigmoid table step log2
    parameter SIG_R = 3,                  // sigmoid table range log2
    parameter TANH_S = 4,                 // tanh table step log2
    parameter TANH_R = 3,                 // tanh table range log2
    parameter SIG_FILE = "sigmoid.hex",   // sigmoid table image
    parameter TANH_FILE = "tanh.hex"      // tanh table image
) (
    input  wire           clk,        // clock
    input  wire           rst,        // synchronous reset (clears the valid pipeline)
    input  wire           in_valid,   // S1: a cell is presented
    input  wire [TAG-1:0] in_tag,     // S1: its PE-local cell index
    input  wire [ACC-1:0] acc_i,      // S1: accumulator of gate i (without bias)
    input  wire [ACC-1:0] acc_f,      // S1: accumulator of gate f
    input  wire [ACC-1:0] acc_g,      // S1: accumulator of gate g
    input  wire [ACC-1:0] acc_o,      // S1: accumulator of gate o
    input  wire [ AB-1:0] bias_i,     // S1: bias of row i (activation format)
    input  wire [ AB-1:0] bias_f,     // S1: bias of row f
    input  wire [ AB-1:0] bias_g,     // S1: bias of row g
    input  wire [ AB-1:0] bias_o,     // S1: bias of row o
    input  wire [ WB-1:0] peep_i,     // S1: peephole p_i (weight format; ignored without PEEP)
    input  wire [ WB-1:0] peep_f,     // S1: peephole p_f
    input  wire [ WB-1:0] peep_o,     // S1: peephole p_o
    input  wire [ AB-1:0] c_prev,     // S1: c(t-1) of the cell
    output wire           c_we,       // S4: write c(t)
    output wire [TAG-1:0] c_tag,      // S4: cell of c(t)
    output wire [ AB-1:0] c_value,    // S4: c(t)
    output wire           m_we,       // S8: write m
    output wire [TAG-1:0] m_tag,      // S8: cell of m
    output wire [ AB-1:0] m_value     // S8: m = o * tanh(c(t))
);
  // Issue (S0, one cycle before S1) to the first cycle m can be read back: S0 + 9. The generator
  // passes the latency the controller and the cycle model assume (EW_LATENCY of rtl/design.ts).
  localparam PIPELINE_LATENCY = 9;
  // Internal width: holds every sum of docs/fixed-point.md with room to spare.
  localparam XW = `RNNFAB_MAX(ACC + 3, 2 * AB + 3);

  initial begin
    if (LATENCY != PIPELINE_LATENCY) begin
      $display("%m: LATENCY=%0d, but the unit's latency is %0d", LATENCY, PIPELINE_LATENCY);
      $finish;
    end
    if (AF < 1 || AF > AB - 1 || WF > WB - 1 || ACC < WB + AB || TAG < 1) begin
      $display("%m: bad parameters AB=%0d AF=%0d WB=%0d WF=%0d ACC=%0d TAG=%0d", AB, AF, WB, WF,
               ACC, TAG);
      $finish;
    end
  end

  `RNNFAB_FIXED_POINT_FUNCTIONS

  // Products of the peepholes (zero without peepholes).
  wire [XW-1:0] peep_i_term, peep_f_term;
  generate
    if (PEEP != 0) begin : gen_peep_in
      wire signed [WB+AB-1:0] product_i = $signed(peep_i) * $signed(c_prev);
      wire signed [WB+AB-1:0] product_f = $signed(peep_f) * $signed(c_prev);
      assign peep_i_term = {{(XW - WB - AB) {product_i[WB+AB-1]}}, product_i};
      assign peep_f_term = {{(XW - WB - AB) {product_f[WB+AB-1]}}, product_f};
    end else begin : gen_no_peep_in
      assign peep_i_term = {XW{1'b0}};
      assign peep_f_term = {XW{1'b0}};
      wire unused_peep_in = &{1'b0, peep_i, peep_f};
    end
  endgenerate

  // ---- S1 -> S2
  reg s2_valid_q, s2_valid_d;
  reg [TAG-1:0] s2_tag_q, s2_tag_d;
  reg [AB-1:0] s2_ri_q, s2_ri_d, s2_rf_q, s2_rf_d, s2_rg_q, s2_rg_d, s2_c_q, s2_c_d;
  reg [XW-1:0] s2_zo_q, s2_zo_d;
  reg [WB-1:0] s2_po_q, s2_po_d;
  always @* begin
    s2_valid_d = in_valid;
    s2_tag_d = in_tag;
    s2_ri_d = requant(extend_acc(acc_i) + (extend_ab(bias_i) << WF) + peep_i_term);
    s2_rf_d = requant(extend_acc(acc_f) + (extend_ab(bias_f) << WF) + peep_f_term);
    s2_rg_d = requant(extend_acc(acc_g) + (extend_ab(bias_g) << WF));
    s2_zo_d = extend_acc(acc_o) + (extend_ab(bias_o) << WF);
    s2_po_d = peep_o;
    s2_c_d = c_prev;
  end
  always @(posedge clk) begin
    s2_valid_q <= rst ? 1'b0 : s2_valid_d;
    s2_tag_q <= s2_tag_d;
    s2_ri_q <= s2_ri_d;
    s2_rf_q <= s2_rf_d;
    s2_rg_q <= s2_rg_d;
    s2_zo_q <= s2_zo_d;
    s2_po_q <= s2_po_d;
    s2_c_q <= s2_c_d;
  end

  // ---- S2, S3: activations of i, f, g (results valid in S4)
  wire [AB-1:0] gate_i, gate_f, gate_g;
  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(SIG_S), .RANGE_LOG2(SIG_R), .IS_SIGMOID(1),
      .TABLE_FILE(SIG_FILE)
  ) act_i (
      .clk(clk), .x(s2_ri_q), .y(gate_i)
  );
  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(SIG_S), .RANGE_LOG2(SIG_R), .IS_SIGMOID(1),
      .TABLE_FILE(SIG_FILE)
  ) act_f (
      .clk(clk), .x(s2_rf_q), .y(gate_f)
  );
  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(TANH_S), .RANGE_LOG2(TANH_R), .IS_SIGMOID(0),
      .TABLE_FILE(TANH_FILE)
  ) act_g (
      .clk(clk), .x(s2_rg_q), .y(gate_g)
  );

  reg s3_valid_q, s4_valid_q;
  reg [TAG-1:0] s3_tag_q, s4_tag_q;
  reg [XW-1:0] s3_zo_q, s4_zo_q;
  reg [WB-1:0] s3_po_q, s4_po_q;
  reg [AB-1:0] s3_c_q, s4_c_q;
  always @(posedge clk) begin
    s3_valid_q <= rst ? 1'b0 : s2_valid_q;
    s4_valid_q <= rst ? 1'b0 : s3_valid_q;
    s3_tag_q <= s2_tag_q;
    s4_tag_q <= s3_tag_q;
    s3_zo_q <= s2_zo_q;
    s4_zo_q <= s3_zo_q;
    s3_po_q <= s2_po_q;
    s4_po_q <= s3_po_q;
    s3_c_q <= s2_c_q;
    s4_c_q <= s3_c_q;
  end

  // ---- S4: c(t)
  wire signed [2*AB-1:0] fc = $signed(gate_f) * $signed(s4_c_q);
  wire signed [2*AB-1:0] ig = $signed(gate_i) * $signed(gate_g);
  wire [XW-1:0] c_sum = {{(XW - 2 * AB) {fc[2*AB-1]}}, fc} + {{(XW - 2 * AB) {ig[2*AB-1]}}, ig};
  wire [AB-1:0] c_new = saturate(round_shift(c_sum, AF));
  assign c_we = s4_valid_q;
  assign c_tag = s4_tag_q;
  assign c_value = c_new;

  // ---- S4 -> S5
  reg s5_valid_q;
  reg [TAG-1:0] s5_tag_q;
  reg [XW-1:0] s5_zo_q;
  reg [WB-1:0] s5_po_q;
  reg [AB-1:0] s5_c_q;
  always @(posedge clk) begin
    s5_valid_q <= rst ? 1'b0 : s4_valid_q;
    s5_tag_q <= s4_tag_q;
    s5_zo_q <= s4_zo_q;
    s5_po_q <= s4_po_q;
    s5_c_q <= c_new;
  end

  // ---- S5: zo with the peephole on c(t)
  wire [XW-1:0] peep_o_term;
  generate
    if (PEEP != 0) begin : gen_peep_out
      wire signed [WB+AB-1:0] product_o = $signed(s5_po_q) * $signed(s5_c_q);
      assign peep_o_term = {{(XW - WB - AB) {product_o[WB+AB-1]}}, product_o};
    end else begin : gen_no_peep_out
      assign peep_o_term = {XW{1'b0}};
      wire unused_peep_out = &{1'b0, s5_po_q};
    end
  endgenerate
  wire [AB-1:0] s5_ro = requant(s5_zo_q + peep_o_term);
  reg s6_valid_q;
  reg [TAG-1:0] s6_tag_q;
  reg [AB-1:0] s6_ro_q, s6_c_q;
  always @(posedge clk) begin
    s6_valid_q <= rst ? 1'b0 : s5_valid_q;
    s6_tag_q <= s5_tag_q;
    s6_ro_q <= s5_ro;
    s6_c_q <= s5_c_q;
  end

  // ---- S6, S7: o = sigmoid(zo), tanh(c(t)) (results valid in S8)
  wire [AB-1:0] gate_o, tanh_c;
  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(SIG_S), .RANGE_LOG2(SIG_R), .IS_SIGMOID(1),
      .TABLE_FILE(SIG_FILE)
  ) act_o (
      .clk(clk), .x(s6_ro_q), .y(gate_o)
  );
  rnnfab_act #(
      .AB(AB), .AF(AF), .STEP_LOG2(TANH_S), .RANGE_LOG2(TANH_R), .IS_SIGMOID(0),
      .TABLE_FILE(TANH_FILE)
  ) act_c (
      .clk(clk), .x(s6_c_q), .y(tanh_c)
  );
  reg s7_valid_q, s8_valid_q;
  reg [TAG-1:0] s7_tag_q, s8_tag_q;
  always @(posedge clk) begin
    s7_valid_q <= rst ? 1'b0 : s6_valid_q;
    s8_valid_q <= rst ? 1'b0 : s7_valid_q;
    s7_tag_q <= s6_tag_q;
    s8_tag_q <= s7_tag_q;
  end

  // ---- S8: m
  wire signed [2*AB-1:0] otc = $signed(gate_o) * $signed(tanh_c);
  wire [XW-1:0] m_wide = round_shift({{(XW - 2 * AB) {otc[2*AB-1]}}, otc}, AF);
  assign m_we = s8_valid_q;
  assign m_tag = s8_tag_q;
  assign m_value = saturate(m_wide);
endmodule
`default_nettype wire
