`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_lstm: the LSTM element-wise unit of one PE, fully pipelined (one cell per cycle),
// exactly the "LSTM, per cell j" arithmetic of docs/fixed-point.md, pipelined for the clock
// (docs/timing.md, "The pipelined datapath"): no stage multiplies and adds, or adds and
// saturates, in one cycle. The PE presents a cell's four accumulators, biases, peepholes and
// c(t-1) in the cycle called S1 (cycle 0 below); the stages are counted from there, a value
// computed in cycle c held in a register read in cycle c + 1:
//   0       L1: v = acc + (bias << WF) + 2^(WF-1) for i, f, g, o; c(t-1) and peepholes registered
//   1-3     L2: p_i * c(t-1), p_f * c(t-1) (rnnfab_mul: operands registered, multiply, product
//           registered; zero without peepholes)
//   4       L3: zi = v_i + p_i * c(t-1), zf = v_f + p_f * c(t-1)
//   5       L4: requant = sat(z >>> WF) of i, f, g
//   6-13    i = sigmoid, f = sigmoid, g = tanh (rnnfab_act, eight cycles)
//   14-16   C1: f * c(t-1), i * g (rnnfab_mul)
//   17      C2: f * c(t-1) + i * g
//   18      C3: + 2^(AF-1) (rshr's rounding)
//   19      C4: c(t) = sat(C3 >>> AF), registered: written in cycle 20 (c_we)
//   20-22   O1: p_o * c(t) (rnnfab_mul)
//   23      O2: zo = v_o + p_o * c(t)
//   24      O3: requant(zo); c(t) delayed beside it
//   25-32   o = sigmoid(zo), tanh(c(t)) (rnnfab_act)
//   33-35   M1: o * tanh(c(t)) (rnnfab_mul)
//   36      M2: + 2^(AF-1)
//   37      M3: m = sat(M2 >>> AF), registered: written in cycle 38 (m_we)
// Only the valid bits are reset.
module rnnfab_ew_lstm #(
    parameter AB = 16,                    // activation width
    parameter AF = 12,                    // activation fraction bits
    parameter WB = 12,                    // weight (peephole) width
    parameter WF = 10,                    // weight fraction bits
    parameter ACC = 40,                   // accumulator width
    parameter PEEP = 0,                   // 1 when the model has peepholes
    parameter TAG = 4,                    // width of the cell tag carried along (PE-local cell)
    parameter LATENCY = 40,               // issue-to-readable latency the controller assumes
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
    output wire           c_we,       // cycle 20 after S1: write c(t)
    output wire [TAG-1:0] c_tag,      // cycle 20: cell of c(t)
    output wire [ AB-1:0] c_value,    // cycle 20: c(t)
    output wire           m_we,       // cycle 38 after S1: write m
    output wire [TAG-1:0] m_tag,      // cycle 38: cell of m
    output wire [ AB-1:0] m_value     // cycle 38: m = o * tanh(c(t))
);
  // Issue (S0, one cycle before S1) to the first cycle m can be read back: S0 + 40 (written at
  // the end of cycle 38 after S1). The generator passes the latency the controller and the cycle
  // model assume (EW_LATENCY of rtl/design.ts); c(t) is written in cycle 20 (EW_C_WRITE).
  localparam PIPELINE_LATENCY = 40;
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
  // register written in cycle c is written under en[c]); en[20] is the c(t) write, en[38] the m
  // write.
  wire [38:0] en;
  rnnfab_ew_stages #(.CYCLES(38)) stages (.clk(clk), .rst(rst), .in_valid(in_valid), .en(en));

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

  // ---- L2: peephole products on c(t-1) (zero without peepholes), read in cycle 4
  wire [XW-1:0] l3_pi, l3_pf;
  generate
    if (PEEP != 0) begin : gen_peep_in
      wire [WB+AB-1:0] pi_c, pf_c;
      rnnfab_mul #(.AW(WB), .BW(AB)) pi_mul (
          .clk(clk), .en(en[3:1]), .a(l1_pi_q), .b(l1_c_q), .y(pi_c)
      );
      rnnfab_mul #(.AW(WB), .BW(AB)) pf_mul (
          .clk(clk), .en(en[3:1]), .a(l1_pf_q), .b(l1_c_q), .y(pf_c)
      );
      assign l3_pi = extend_peep(pi_c);
      assign l3_pf = extend_peep(pf_c);
    end else begin : gen_no_peep_in
      assign l3_pi = {XW{1'b0}};
      assign l3_pf = {XW{1'b0}};
      wire unused_peep_in = &{1'b0, l1_pi_q, l1_pf_q};
    end
  endgenerate
  // v_i, v_f, v_g to L3 (cycle 4)
  wire [XW-1:0] l3_i, l3_f, l3_g;
  rnnfab_delay #(.WIDTH(3 * XW), .STAGES(3)) l1_to_l3 (
      .clk(clk), .rst(rst), .en(en[3:1]), .in_data({l1_g_q, l1_f_q, l1_i_q}),
      .out_data({l3_g, l3_f, l3_i})
  );
  // ---- L3: add the peephole terms
  reg [XW-1:0] l3_i_q, l3_f_q, l3_g_q;
  reg [3*AB-1:0] l4_gates_q;  // {g, f, i} inputs of the activations
  always @(posedge clk) if (en[4]) begin
    l3_i_q <= l3_i + l3_pi;
    l3_f_q <= l3_f + l3_pf;
    l3_g_q <= l3_g;
  end
  // ---- L4: requantize
  always @(posedge clk)
    if (en[5])
      l4_gates_q <= {saturate($signed(l3_g_q) >>> WF), saturate($signed(l3_f_q) >>> WF),
                     saturate($signed(l3_i_q) >>> WF)};
  // c(t-1) to C1 (cycle 14)
  wire [AB-1:0] c1_c;
  rnnfab_delay #(.WIDTH(AB), .STAGES(13)) l1_to_c1 (
      .clk(clk), .rst(rst), .en(en[13:1]), .in_data(l1_c_q), .out_data(c1_c)
  );
  // tag to the c write (cycle 20), p_o to O1 (cycle 20), v_o to O2 (cycle 23)
  wire [XW-1:0] o1_v, o2_v;
  wire [WB-1:0] o1_po;
  rnnfab_delay #(.WIDTH(TAG + XW + WB), .STAGES(20)) l1_to_o1 (
      .clk(clk), .rst(rst), .en(en[19:0]), .in_data({in_tag, biased(acc_o, bias_o), peep_o}),
      .out_data({c_tag, o1_v, o1_po})
  );
  rnnfab_delay #(.WIDTH(XW), .STAGES(3)) o1_to_o2 (
      .clk(clk), .rst(rst), .en(en[22:20]), .in_data(o1_v), .out_data(o2_v)
  );
  assign c_we = en[20];

  // ---- cycles 6-13: i = sigmoid, f = sigmoid, g = tanh (read in cycle 14)
  wire [AB-1:0] gate_i, gate_f, gate_g;
  rnnfab_act_lanes #(
      .LANES(3), .SIGMOID_LANES(3'b011), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s2_act (.clk(clk), .en(en[13:6]), .x(l4_gates_q), .y({gate_g, gate_f, gate_i}));

  // ---- C1-C4: c(t) = sat(rshr(f * c(t-1) + i * g, AF))
  wire [2*AB-1:0] c2_fc, c2_ig;
  rnnfab_mul #(.AW(AB), .BW(AB)) fc_mul (
      .clk(clk), .en(en[16:14]), .a(gate_f), .b(c1_c), .y(c2_fc)
  );
  rnnfab_mul #(.AW(AB), .BW(AB)) ig_mul (
      .clk(clk), .en(en[16:14]), .a(gate_i), .b(gate_g), .y(c2_ig)
  );
  reg [XW-1:0] c2_sum_q, c3_sum_q;
  reg [AB-1:0] c4_c_q;
  always @(posedge clk) if (en[17]) c2_sum_q <= extend_product(c2_fc) + extend_product(c2_ig);
  always @(posedge clk) if (en[18]) c3_sum_q <= c2_sum_q + HALF_AF;
  always @(posedge clk) if (en[19]) c4_c_q <= saturate($signed(c3_sum_q) >>> AF);
  assign c_value = c4_c_q;

  // ---- O1-O3: zo = v_o + p_o * c(t), requantized
  reg [XW-1:0] o2_zo_q;
  reg [AB-1:0] o3_zo_q;
  generate
    if (PEEP != 0) begin : gen_peep_out
      wire [WB+AB-1:0] po_c;
      rnnfab_mul #(.AW(WB), .BW(AB)) po_mul (
          .clk(clk), .en(en[22:20]), .a(o1_po), .b(c4_c_q), .y(po_c)
      );
      always @(posedge clk) if (en[23]) o2_zo_q <= o2_v + extend_peep(po_c);
    end else begin : gen_no_peep_out
      always @(posedge clk) if (en[23]) o2_zo_q <= o2_v;
      wire unused_peep_out = &{1'b0, o1_po};
    end
  endgenerate
  always @(posedge clk) if (en[24]) o3_zo_q <= saturate($signed(o2_zo_q) >>> WF);
  // c(t) beside zo (cycle 25)
  wire [AB-1:0] o3_c;
  rnnfab_delay #(.WIDTH(AB), .STAGES(5)) c4_to_o3 (
      .clk(clk), .rst(rst), .en(en[24:20]), .in_data(c4_c_q), .out_data(o3_c)
  );

  // ---- cycles 25-32: o = sigmoid(zo), tanh(c(t)) (read in cycle 33)
  wire [AB-1:0] gate_o, tanh_c;
  rnnfab_act_lanes #(
      .LANES(2), .SIGMOID_LANES(2'b01), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s6_act (.clk(clk), .en(en[32:25]), .x({o3_c, o3_zo_q}), .y({tanh_c, gate_o}));

  // ---- M1-M3: m = sat(rshr(o * tanh(c(t)), AF))
  wire [2*AB-1:0] m2_otc;
  rnnfab_mul #(.AW(AB), .BW(AB)) otc_mul (
      .clk(clk), .en(en[35:33]), .a(gate_o), .b(tanh_c), .y(m2_otc)
  );
  reg [XW-1:0] m2_sum_q;
  reg [AB-1:0] m3_m_q;
  always @(posedge clk) if (en[36]) m2_sum_q <= extend_product(m2_otc) + HALF_AF;
  always @(posedge clk) if (en[37]) m3_m_q <= saturate($signed(m2_sum_q) >>> AF);
  assign m_value = m3_m_q;
  rnnfab_delay #(.WIDTH(TAG), .STAGES(18)) c_to_m (
      .clk(clk), .rst(rst), .en(en[37:20]), .in_data(c_tag), .out_data(m_tag)
  );
  assign m_we = en[38];
endmodule
`default_nettype wire
