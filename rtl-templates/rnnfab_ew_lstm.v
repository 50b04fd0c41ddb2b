`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_lstm: the LSTM element-wise unit of one PE, fully pipelined (one cell per cycle),
// exactly the "LSTM, per cell j" arithmetic of docs/fixed-point.md, pipelined for the clock
// (docs/timing.md, "The pipelined datapath"): no stage multiplies and adds, or adds and
// saturates, in one cycle. The PE presents a cell's four accumulators, biases, peepholes and
// c(t-1) in the cycle called S1 (cycle 0 below); the stages are counted from there, a value
// computed in cycle c held in a register read in cycle c + 1:
//   0       L1: v = acc + (bias << WF) + 2^(WF-1) for i, f, g, o; c(t-1) and peepholes registered
//   1       L2: p_i * c(t-1), p_f * c(t-1) (zero without peepholes)
//   2       L3: zi = v_i + p_i * c(t-1), zf = v_f + p_f * c(t-1)
//   3       L4: requant = sat(z >>> WF) of i, f, g
//   4-9     i = sigmoid, f = sigmoid, g = tanh (rnnfab_act, six cycles)
//   10      C1: f * c(t-1), i * g
//   11      C2: f * c(t-1) + i * g
//   12      C3: + 2^(AF-1) (rshr's rounding)
//   13      C4: c(t) = sat(C3 >>> AF), registered: written in cycle 14 (c_we)
//   14      O1: p_o * c(t)
//   15      O2: zo = v_o + p_o * c(t)
//   16      O3: requant(zo); c(t) delayed beside it
//   17-22   o = sigmoid(zo), tanh(c(t)) (rnnfab_act)
//   23      M1: o * tanh(c(t))
//   24      M2: + 2^(AF-1)
//   25      M3: m = sat(M2 >>> AF), registered: written in cycle 26 (m_we)
// Only the valid bits are reset.
module rnnfab_ew_lstm #(
    parameter AB = 16,                    // activation width
    parameter AF = 12,                    // activation fraction bits
    parameter WB = 12,                    // weight (peephole) width
    parameter WF = 10,                    // weight fraction bits
    parameter ACC = 40,                   // accumulator width
    parameter PEEP = 0,                   // 1 when the model has peepholes
    parameter TAG = 4,                    // width of the cell tag carried along (PE-local cell)
    parameter LATENCY = 28,               // issue-to-readable latency the controller assumes
    `RNNFAB_ACT_TABLE_PARAMS              // the activation tables (rnnfab_pkg.vh)
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
    output wire           c_we,       // cycle 14 after S1: write c(t)
    output wire [TAG-1:0] c_tag,      // cycle 14: cell of c(t)
    output wire [ AB-1:0] c_value,    // cycle 14: c(t)
    output wire           m_we,       // cycle 26 after S1: write m
    output wire [TAG-1:0] m_tag,      // cycle 26: cell of m
    output wire [ AB-1:0] m_value     // cycle 26: m = o * tanh(c(t))
);
  // Issue (S0, one cycle before S1) to the first cycle m can be read back: S0 + 28 (written at
  // the end of cycle 26 after S1). The generator passes the latency the controller and the cycle
  // model assume (EW_LATENCY of rtl/design.ts); c(t) is written in cycle 14 (EW_C_WRITE).
  localparam PIPELINE_LATENCY = 28;
  // XW (internal width), HALF_WF and HALF_AF (rnnfab_pkg.vh).
  `RNNFAB_EW_CONSTANTS

  initial begin
    `RNNFAB_EW_LATENCY_CHECK
    if (AF < 1 || AF > AB - 1 || WF > WB - 1 || ACC < WB + AB || TAG < 1) begin
      $display("%m: bad parameters AB=%0d AF=%0d WB=%0d WF=%0d ACC=%0d TAG=%0d", AB, AF, WB, WF,
               ACC, TAG);
      $finish;
    end
  end

  // The fixed-point helpers and biased(acc, bias) (rnnfab_pkg.vh).
  `RNNFAB_EW_FUNCTIONS

  // A peephole product p * c, sign-extended to XW bits.
  function [XW-1:0] extend_peep(input [WB+AB-1:0] product);
    extend_peep = {{(XW - WB - AB) {product[WB+AB-1]}}, product};
  endfunction
  // A product of two activations, sign-extended to XW bits.
  function [XW-1:0] extend_product(input [2*AB-1:0] product);
    extend_product = {{(XW - 2 * AB) {product[2*AB-1]}}, product};
  endfunction

  // ---- Per-stage clock enables: en[c] is high while a cell is in cycle c after its S1 (a
  // register written in cycle c is written under en[c]); en[14] is the c(t) write, en[26] the m
  // write.
  wire [26:0] en;
  rnnfab_ew_stages #(.CYCLES(26)) stages (.clk(clk), .rst(rst), .in_valid(in_valid), .en(en));

  // ---- L1: rounded sums of rows i, f, g (o's goes into the delay line below); c(t-1) and the
  // peepholes registered
  reg [XW-1:0] l1_i_q, l1_f_q, l1_g_q;
  reg [AB-1:0] l1_c_q;
  reg [WB-1:0] l1_pi_q, l1_pf_q;
  always @(posedge clk) if (en[0]) begin
    l1_i_q <= biased(acc_i, bias_i);
    l1_f_q <= biased(acc_f, bias_f);
    l1_g_q <= biased(acc_g, bias_g);
    l1_c_q <= c_prev;
    l1_pi_q <= peep_i;
    l1_pf_q <= peep_f;
  end

  // ---- L2: peephole products on c(t-1) (zero without peepholes)
  reg [XW-1:0] l2_pi_q, l2_pf_q;
  generate
    if (PEEP != 0) begin : gen_peep_in
      always @(posedge clk) if (en[1]) begin
        l2_pi_q <= extend_peep($signed(l1_pi_q) * $signed(l1_c_q));
        l2_pf_q <= extend_peep($signed(l1_pf_q) * $signed(l1_c_q));
      end
    end else begin : gen_no_peep_in
      always @(posedge clk) if (en[1]) begin
        l2_pi_q <= {XW{1'b0}};
        l2_pf_q <= {XW{1'b0}};
      end
      wire unused_peep_in = &{1'b0, l1_pi_q, l1_pf_q};
    end
  endgenerate
  reg [XW-1:0] l2_i_q, l2_f_q, l2_g_q;
  reg [XW-1:0] l3_i_q, l3_f_q, l3_g_q;
  reg [3*AB-1:0] l4_gates_q;  // {g, f, i} inputs of the activations
  always @(posedge clk) if (en[1]) begin
    l2_i_q <= l1_i_q;
    l2_f_q <= l1_f_q;
    l2_g_q <= l1_g_q;
  end
  // ---- L3: add the peephole terms
  always @(posedge clk) if (en[2]) begin
    l3_i_q <= l2_i_q + l2_pi_q;
    l3_f_q <= l2_f_q + l2_pf_q;
    l3_g_q <= l2_g_q;
  end
  // ---- L4: requantize
  always @(posedge clk)
    if (en[3])
      l4_gates_q <= {saturate($signed(l3_g_q) >>> WF), saturate($signed(l3_f_q) >>> WF),
                     saturate($signed(l3_i_q) >>> WF)};
  // c(t-1) to C1 (cycle 10)
  wire [AB-1:0] c1_c;
  rnnfab_delay #(.WIDTH(AB), .STAGES(9)) l1_to_c1 (
      .clk(clk), .en(en[9:1]), .in_data(l1_c_q), .out_data(c1_c)
  );
  // tag to the c write (cycle 14), v_o and p_o to O1 (cycle 14)
  wire [XW-1:0] o1_v;
  wire [WB-1:0] o1_po;
  rnnfab_delay #(.WIDTH(TAG + XW + WB), .STAGES(14)) l1_to_o1 (
      .clk(clk), .en(en[13:0]), .in_data({in_tag, biased(acc_o, bias_o), peep_o}),
      .out_data({c_tag, o1_v, o1_po})
  );
  assign c_we = en[14];

  // ---- cycles 4-9: i = sigmoid, f = sigmoid, g = tanh (read in cycle 10)
  wire [AB-1:0] gate_i, gate_f, gate_g;
  rnnfab_act_lanes #(
      .LANES(3), .SIGMOID_LANES(3'b011), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s2_act (.clk(clk), .en(en[9:4]), .x(l4_gates_q), .y({gate_g, gate_f, gate_i}));

  // ---- C1-C4: c(t) = sat(rshr(f * c(t-1) + i * g, AF))
  reg signed [2*AB-1:0] c1_fc_q, c1_ig_q;
  reg [XW-1:0] c2_sum_q, c3_sum_q;
  reg [AB-1:0] c4_c_q;
  always @(posedge clk) if (en[10]) begin
    c1_fc_q <= $signed(gate_f) * $signed(c1_c);
    c1_ig_q <= $signed(gate_i) * $signed(gate_g);
  end
  always @(posedge clk) if (en[11]) c2_sum_q <= extend_product(c1_fc_q) + extend_product(c1_ig_q);
  always @(posedge clk) if (en[12]) c3_sum_q <= c2_sum_q + HALF_AF;
  always @(posedge clk) if (en[13]) c4_c_q <= saturate($signed(c3_sum_q) >>> AF);
  assign c_value = c4_c_q;

  // ---- O1-O3: zo = v_o + p_o * c(t), requantized
  reg [XW-1:0] o1_v_q, o2_zo_q;
  reg [AB-1:0] o3_zo_q;
  generate
    if (PEEP != 0) begin : gen_peep_out
      reg [XW-1:0] o1_po_q;
      always @(posedge clk) if (en[14]) o1_po_q <= extend_peep($signed(o1_po) * $signed(c4_c_q));
      always @(posedge clk) if (en[15]) o2_zo_q <= o1_v_q + o1_po_q;
    end else begin : gen_no_peep_out
      always @(posedge clk) if (en[15]) o2_zo_q <= o1_v_q;
      wire unused_peep_out = &{1'b0, o1_po};
    end
  endgenerate
  always @(posedge clk) if (en[14]) o1_v_q <= o1_v;
  always @(posedge clk) if (en[16]) o3_zo_q <= saturate($signed(o2_zo_q) >>> WF);
  // c(t) beside zo (cycle 17)
  wire [AB-1:0] o3_c;
  rnnfab_delay #(.WIDTH(AB), .STAGES(3)) c4_to_o3 (
      .clk(clk), .en(en[16:14]), .in_data(c4_c_q), .out_data(o3_c)
  );

  // ---- cycles 17-22: o = sigmoid(zo), tanh(c(t)) (read in cycle 23)
  wire [AB-1:0] gate_o, tanh_c;
  rnnfab_act_lanes #(
      .LANES(2), .SIGMOID_LANES(2'b01), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s6_act (.clk(clk), .en(en[22:17]), .x({o3_c, o3_zo_q}), .y({tanh_c, gate_o}));

  // ---- M1-M3: m = sat(rshr(o * tanh(c(t)), AF))
  reg signed [2*AB-1:0] m1_otc_q;
  reg [XW-1:0] m2_sum_q;
  reg [AB-1:0] m3_m_q;
  always @(posedge clk) if (en[23]) m1_otc_q <= $signed(gate_o) * $signed(tanh_c);
  always @(posedge clk) if (en[24]) m2_sum_q <= extend_product(m1_otc_q) + HALF_AF;
  always @(posedge clk) if (en[25]) m3_m_q <= saturate($signed(m2_sum_q) >>> AF);
  assign m_value = m3_m_q;
  rnnfab_delay #(.WIDTH(TAG), .STAGES(12)) c_to_m (
      .clk(clk), .en(en[25:14]), .in_data(c_tag), .out_data(m_tag)
  );
  assign m_we = en[26];
endmodule
`default_nettype wire
