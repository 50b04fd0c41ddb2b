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

  // ---- S1: requantize the inputs of i, f, g; zo (without the peephole on c(t)), p_o, c(t-1)
  // and the tag ride along to S4
  wire [AB-1:0] s1_ri = requant(extend_acc(acc_i) + (extend_ab(bias_i) << WF) + peep_i_term);
  wire [AB-1:0] s1_rf = requant(extend_acc(acc_f) + (extend_ab(bias_f) << WF) + peep_f_term);
  wire [AB-1:0] s1_rg = requant(extend_acc(acc_g) + (extend_ab(bias_g) << WF));
  wire [XW-1:0] s1_zo = extend_acc(acc_o) + (extend_ab(bias_o) << WF);
  reg [3*AB-1:0] s2_gates_q;  // {g, f, i} inputs of the activations
  always @(posedge clk) s2_gates_q <= {s1_rg, s1_rf, s1_ri};
  wire s4_valid;
  wire [TAG-1:0] s4_tag;
  wire [XW-1:0] s4_zo;
  wire [WB-1:0] s4_po;
  wire [AB-1:0] s4_c;
  rnnfab_delay #(.WIDTH(TAG + XW + WB + AB), .STAGES(3)) s1_to_s4 (
      .clk(clk), .rst(rst), .in_valid(in_valid), .in_data({in_tag, s1_zo, peep_o, c_prev}),
      .out_valid(s4_valid), .out_data({s4_tag, s4_zo, s4_po, s4_c})
  );

  // ---- S2, S3: i = sigmoid, f = sigmoid, g = tanh (results valid in S4)
  wire [AB-1:0] gate_i, gate_f, gate_g;
  rnnfab_act_lanes #(
      .LANES(3), .SIGMOID_LANES(3'b011), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s2_act (.clk(clk), .x(s2_gates_q), .y({gate_g, gate_f, gate_i}));

  // ---- S4: c(t); the valid bit and the tag ride along to S8
  wire signed [2*AB-1:0] fc = $signed(gate_f) * $signed(s4_c);
  wire signed [2*AB-1:0] ig = $signed(gate_i) * $signed(gate_g);
  wire [XW-1:0] c_sum = {{(XW - 2 * AB) {fc[2*AB-1]}}, fc} + {{(XW - 2 * AB) {ig[2*AB-1]}}, ig};
  wire [AB-1:0] c_new = saturate(round_shift(c_sum, AF));
  assign c_we = s4_valid;
  assign c_tag = s4_tag;
  assign c_value = c_new;
  rnnfab_delay #(.WIDTH(TAG), .STAGES(4)) s4_to_s8 (
      .clk(clk), .rst(rst), .in_valid(s4_valid), .in_data(s4_tag), .out_valid(m_we),
      .out_data(m_tag)
  );
  reg [XW-1:0] s5_zo_q;
  reg [WB-1:0] s5_po_q;
  reg [AB-1:0] s5_c_q;
  always @(posedge clk) begin
    s5_zo_q <= s4_zo;
    s5_po_q <= s4_po;
    s5_c_q <= c_new;
  end

  // ---- S5: zo with the peephole on c(t); requantize
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
  reg [2*AB-1:0] s6_acts_q;  // {c(t), zo} inputs of the activations
  always @(posedge clk) s6_acts_q <= {s5_c_q, s5_ro};

  // ---- S6, S7: o = sigmoid(zo), tanh(c(t)) (results valid in S8)
  wire [AB-1:0] gate_o, tanh_c;
  rnnfab_act_lanes #(
      .LANES(2), .SIGMOID_LANES(2'b01), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s6_act (.clk(clk), .x(s6_acts_q), .y({tanh_c, gate_o}));

  // ---- S8: m
  wire signed [2*AB-1:0] otc = $signed(gate_o) * $signed(tanh_c);
  assign m_value = saturate(round_shift({{(XW - 2 * AB) {otc[2*AB-1]}}, otc}, AF));
endmodule
`default_nettype wire
