`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_gru: the GRU element-wise unit of one PE, fully pipelined (one cell per cycle),
// exactly the "GRU, per cell j" arithmetic of docs/fixed-point.md, pipelined for the clock
// (docs/timing.md, "The pipelined datapath"): no stage multiplies and adds, or adds and
// saturates, in one cycle. The PE presents a cell's four accumulators (r, z, xn, hn), biases and
// h(t-1) in the cycle called S1 (cycle 0 below); the stages are counted from there, a value
// computed in cycle c held in a register read in cycle c + 1:
//   0       E1: v = acc + (bias << WF) + 2^(WF-1) for r, z, xn, hn (one carry chain each)
//   1       E2: requant = sat(v >>> WF)
//   2-9     r = sigmoid, z = sigmoid (rnnfab_act, eight cycles)
//   10-12   N1: r * hn (rnnfab_mul: operands registered, multiply, product registered)
//   13      N2: xn * 2^AF + 2^(AF-1) + r * hn (one carry chain: the rounding folded in)
//   14      N3: n input = sat(N2 >>> AF) = sat(xn + rshr(r * hn, AF))
//   15-22   n = tanh (rnnfab_act)
//   23      H1: h(t-1) - n
//   24-26   H2: z * (h(t-1) - n) (rnnfab_mul)
//   27      H3: n * 2^AF + 2^(AF-1) + z * (h(t-1) - n)
//   28      H4: h(t) = sat(H3 >>> AF), registered: written in cycle 29 (h_we)
// Only the valid bits are reset.
module rnnfab_ew_gru #(
    parameter AB = 16,                    // activation width
    parameter AF = 12,                    // activation fraction bits
    parameter WF = 10,                    // weight fraction bits
    parameter ACC = 40,                   // accumulator width
    parameter TAG = 4,                    // width of the cell tag carried along (PE-local cell)
    parameter LATENCY = 31,               // issue-to-readable latency the controller assumes
    `RNNFAB_ACT_TABLE_PARAMS              // the activation tables (rnnfab_pkg.vh)
) (
    input  wire           clk,        // clock
    input  wire           rst,        // synchronous reset (clears the valid pipeline)
    input  wire           in_valid,   // S1: a cell is presented
    input  wire [TAG-1:0] in_tag,     // S1: its PE-local cell index
    input  wire [ACC-1:0] acc_r,      // S1: accumulator of row r (without bias)
    input  wire [ACC-1:0] acc_z,      // S1: accumulator of row z
    input  wire [ACC-1:0] acc_xn,     // S1: accumulator of row xn (input part of n)
    input  wire [ACC-1:0] acc_hn,     // S1: accumulator of row hn (recurrent part of n)
    input  wire [ AB-1:0] bias_r,     // S1: bias of row r
    input  wire [ AB-1:0] bias_z,     // S1: bias of row z
    input  wire [ AB-1:0] bias_xn,    // S1: bias of row xn
    input  wire [ AB-1:0] bias_hn,    // S1: bias of row hn
    input  wire [ AB-1:0] h_prev,     // S1: h(t-1) of the cell
    output wire           h_we,       // cycle 29 after S1: write h(t)
    output wire [TAG-1:0] h_tag,      // cycle 29: cell of h(t)
    output wire [ AB-1:0] h_value     // cycle 29: h(t)
);
  // Issue (S0, one cycle before S1) to the first cycle h(t) can be read back: S0 + 31 (written
  // at the end of cycle 29 after S1). The generator passes the latency the controller and the
  // cycle model assume (EW_LATENCY of rtl/design.ts).
  localparam PIPELINE_LATENCY = 31;
  // XW (internal width), HALF_WF and HALF_AF (rnnfab_pkg.vh).
  `RNNFAB_EW_CONSTANTS

  initial begin
    `RNNFAB_EW_LATENCY_CHECK
    if (AF < 1 || AF > AB - 1 || TAG < 1) begin
      $display("%m: bad parameters AB=%0d AF=%0d TAG=%0d", AB, AF, TAG);
      $finish;
    end
  end

  // The fixed-point helpers and biased(acc, bias) (rnnfab_pkg.vh).
  `RNNFAB_EW_FUNCTIONS

  // value * 2^AF + 2^(AF-1) + product: value + rshr(product, AF) before the shift.
  function [XW-1:0] rounded_sum(input [AB-1:0] value, input [XW-1:0] product);
    rounded_sum = ((extend_ab(value) << AF) | HALF_AF) + product;
  endfunction

  // ---- Per-stage clock enables: en[c] is high while a cell is in cycle c after its S1 (a
  // register written in cycle c is written under en[c]); en[29] is the h(t) write.
  wire [29:0] en;
  rnnfab_ew_stages #(.CYCLES(29)) stages (.clk(clk), .rst(rst), .in_valid(in_valid), .en(en));

  // ---- E1, E2: requantize the four rows
  reg [XW-1:0] e1_r_q, e1_z_q, e1_xn_q, e1_hn_q;
  reg [AB-1:0] e2_r_q, e2_z_q, e2_xn_q, e2_hn_q;
  always @(posedge clk) if (en[0]) begin
    e1_r_q <= biased(acc_r, bias_r);
    e1_z_q <= biased(acc_z, bias_z);
    e1_xn_q <= biased(acc_xn, bias_xn);
    e1_hn_q <= biased(acc_hn, bias_hn);
  end
  always @(posedge clk) if (en[1]) begin
    e2_r_q <= saturate($signed(e1_r_q) >>> WF);
    e2_z_q <= saturate($signed(e1_z_q) >>> WF);
    e2_xn_q <= saturate($signed(e1_xn_q) >>> WF);
    e2_hn_q <= saturate($signed(e1_hn_q) >>> WF);
  end
  // tag and h(t-1) ride along to H1 (cycle 23)
  wire [TAG-1:0] h1_tag;
  wire [AB-1:0] h1_h;
  rnnfab_delay #(.WIDTH(TAG + AB), .STAGES(23)) e1_to_h1 (
      .clk(clk), .rst(rst), .en(en[22:0]), .in_data({in_tag, h_prev}), .out_data({h1_tag, h1_h})
  );

  // ---- cycles 2-9: r, z (read in cycle 10)
  wire [AB-1:0] gate_r, gate_z;
  rnnfab_act_lanes #(
      .LANES(2), .SIGMOID_LANES(2'b11), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s2_act (.clk(clk), .en(en[9:2]), .x({e2_z_q, e2_r_q}), .y({gate_z, gate_r}));
  // hn to N1 (cycle 10), xn to N2 (cycle 13)
  wire [AB-1:0] n1_hn, n2_xn;
  rnnfab_delay #(.WIDTH(AB), .STAGES(8)) e2_to_n1 (
      .clk(clk), .rst(rst), .en(en[9:2]), .in_data(e2_hn_q), .out_data(n1_hn)
  );
  rnnfab_delay #(.WIDTH(AB), .STAGES(11)) e2_to_n2 (
      .clk(clk), .rst(rst), .en(en[12:2]), .in_data(e2_xn_q), .out_data(n2_xn)
  );

  // ---- N1-N3: n input = sat(xn + rshr(r * hn, AF))
  wire [2*AB-1:0] n2_rhn;
  rnnfab_mul #(.AW(AB), .BW(AB)) n1_mul (
      .clk(clk), .en(en[12:10]), .a(gate_r), .b(n1_hn), .y(n2_rhn)
  );
  reg [XW-1:0] n2_sum_q;
  reg [AB-1:0] n3_nin_q;
  always @(posedge clk)
    if (en[13]) n2_sum_q <= rounded_sum(n2_xn, {{(XW - 2 * AB) {n2_rhn[2*AB-1]}}, n2_rhn});
  always @(posedge clk) if (en[14]) n3_nin_q <= saturate($signed(n2_sum_q) >>> AF);
  // z to H2 (cycle 24)
  wire [AB-1:0] h2_z;
  rnnfab_delay #(.WIDTH(AB), .STAGES(14)) n1_to_h2 (
      .clk(clk), .rst(rst), .en(en[23:10]), .in_data(gate_z), .out_data(h2_z)
  );

  // ---- cycles 15-22: n = tanh (read in cycle 23)
  wire [AB-1:0] gate_n;
  rnnfab_act_lanes #(
      .LANES(1), .SIGMOID_LANES(0), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s5_act (.clk(clk), .en(en[22:15]), .x(n3_nin_q), .y(gate_n));

  // ---- H1-H4: h(t) = sat(n + rshr(z * (h(t-1) - n), AF))
  reg [AB:0] h1_diff_q;
  always @(posedge clk)
    if (en[23]) h1_diff_q <= $signed({h1_h[AB-1], h1_h}) - $signed({gate_n[AB-1], gate_n});
  // n to H3 (cycle 27)
  wire [AB-1:0] h3_n;
  rnnfab_delay #(.WIDTH(AB), .STAGES(4)) h1_to_h3 (
      .clk(clk), .rst(rst), .en(en[26:23]), .in_data(gate_n), .out_data(h3_n)
  );
  wire [2*AB:0] h3_term;
  rnnfab_mul #(.AW(AB), .BW(AB + 1)) h2_mul (
      .clk(clk), .en(en[26:24]), .a(h2_z), .b(h1_diff_q), .y(h3_term)
  );
  reg [XW-1:0] h3_sum_q;
  reg [AB-1:0] h4_value_q;
  always @(posedge clk)
    if (en[27]) h3_sum_q <= rounded_sum(h3_n, {{(XW - 2 * AB - 1) {h3_term[2*AB]}}, h3_term});
  always @(posedge clk) if (en[28]) h4_value_q <= saturate($signed(h3_sum_q) >>> AF);
  rnnfab_delay #(.WIDTH(TAG), .STAGES(6)) h1_to_out (
      .clk(clk), .rst(rst), .en(en[28:23]), .in_data(h1_tag), .out_data(h_tag)
  );
  assign h_we = en[29];
  assign h_value = h4_value_q;
endmodule
`default_nettype wire
