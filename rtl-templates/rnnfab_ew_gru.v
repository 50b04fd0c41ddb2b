`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_gru: the GRU element-wise unit of one PE, fully pipelined (one cell per cycle),
// exactly the "GRU, per cell j" arithmetic of docs/fixed-point.md. The PE presents a cell's four
// accumulators (r, z, xn, hn), biases and h(t-1) in the cycle called S1; h(t) is returned for
// writing in S7 (written at the end of that cycle).
//   S1: requantize r, z, xn, hn inputs
//   S2-S3: r = sigmoid, z = sigmoid
//   S4: n input = sat(xn + rshr(r * hn, AF))
//   S5-S6: n = tanh
//   S7: h(t) = sat(n + rshr(z * (h(t-1) - n), AF))
module rnnfab_ew_gru #(
    parameter AB = 16,                    // activation width
    parameter AF = 12,                    // activation fraction bits
    parameter WF = 10,                    // weight fraction bits
    parameter ACC = 40,                   // accumulator width
    parameter TAG = 4,                    // width of the cell tag carried along (PE-local cell)
    parameter LATENCY = 8,                // issue-to-readable latency the controller assumes
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
    input  wire [ACC-1:0] acc_r,      // S1: accumulator of row r (without bias)
    input  wire [ACC-1:0] acc_z,      // S1: accumulator of row z
    input  wire [ACC-1:0] acc_xn,     // S1: accumulator of row xn (input part of n)
    input  wire [ACC-1:0] acc_hn,     // S1: accumulator of row hn (recurrent part of n)
    input  wire [ AB-1:0] bias_r,     // S1: bias of row r
    input  wire [ AB-1:0] bias_z,     // S1: bias of row z
    input  wire [ AB-1:0] bias_xn,    // S1: bias of row xn
    input  wire [ AB-1:0] bias_hn,    // S1: bias of row hn
    input  wire [ AB-1:0] h_prev,     // S1: h(t-1) of the cell
    output wire           h_we,       // S7: write h(t)
    output wire [TAG-1:0] h_tag,      // S7: cell of h(t)
    output wire [ AB-1:0] h_value     // S7: h(t)
);
  // Issue (S0, one cycle before S1) to the first cycle h(t) can be read back: S0 + 8. The
  // generator passes the latency the controller and the cycle model assume (EW_LATENCY of
  // rtl/design.ts).
  localparam PIPELINE_LATENCY = 8;
  // Internal width: holds every sum of docs/fixed-point.md with room to spare.
  localparam XW = `RNNFAB_MAX(ACC + 3, 2 * AB + 3);

  initial begin
    if (LATENCY != PIPELINE_LATENCY) begin
      $display("%m: LATENCY=%0d, but the unit's latency is %0d", LATENCY, PIPELINE_LATENCY);
      $finish;
    end
    if (AF < 1 || AF > AB - 1 || TAG < 1) begin
      $display("%m: bad parameters AB=%0d AF=%0d TAG=%0d", AB, AF, TAG);
      $finish;
    end
  end

  `RNNFAB_FIXED_POINT_FUNCTIONS

  // requant of an accumulator plus its bias (docs/fixed-point.md, "Accumulator rows").
  function [AB-1:0] requant_biased(input [ACC-1:0] acc, input [AB-1:0] bias);
    requant_biased = requant(extend_acc(acc) + (extend_ab(bias) << WF));
  endfunction

  // ---- S1: requantize the four rows; xn, hn, h(t-1) and the tag ride along to S4
  wire [AB-1:0] s1_rr = requant_biased(acc_r, bias_r);
  wire [AB-1:0] s1_rz = requant_biased(acc_z, bias_z);
  wire [AB-1:0] s1_xn = requant_biased(acc_xn, bias_xn);
  wire [AB-1:0] s1_hn = requant_biased(acc_hn, bias_hn);
  reg [2*AB-1:0] s2_gates_q;  // {z, r} inputs of the activations
  always @(posedge clk) s2_gates_q <= {s1_rz, s1_rr};
  wire s4_valid;
  wire [TAG-1:0] s4_tag;
  wire [AB-1:0] s4_xn, s4_hn, s4_h;
  rnnfab_delay #(.WIDTH(TAG + 3 * AB), .STAGES(3)) s1_to_s4 (
      .clk(clk), .rst(rst), .in_valid(in_valid),
      .in_data({in_tag, s1_xn, s1_hn, h_prev}),
      .out_valid(s4_valid), .out_data({s4_tag, s4_xn, s4_hn, s4_h})
  );

  // ---- S2, S3: r, z (valid in S4)
  wire [AB-1:0] gate_r, gate_z;
  rnnfab_act_lanes #(
      .LANES(2), .SIGMOID_LANES(2'b11), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s2_act (.clk(clk), .x(s2_gates_q), .y({gate_z, gate_r}));

  // ---- S4: input of n; z, h(t-1) and the tag ride along to S7
  wire signed [2*AB-1:0] rhn = $signed(gate_r) * $signed(s4_hn);
  wire [XW-1:0] n_sum = extend_ab(s4_xn) + round_shift({{(XW - 2 * AB) {rhn[2*AB-1]}}, rhn}, AF);
  wire [AB-1:0] s4_nin = saturate(n_sum);
  reg [AB-1:0] s5_nin_q;
  always @(posedge clk) s5_nin_q <= s4_nin;
  wire [AB-1:0] s7_z, s7_h;
  rnnfab_delay #(.WIDTH(TAG + 2 * AB), .STAGES(3)) s4_to_s7 (
      .clk(clk), .rst(rst), .in_valid(s4_valid), .in_data({s4_tag, gate_z, s4_h}),
      .out_valid(h_we), .out_data({h_tag, s7_z, s7_h})
  );

  // ---- S5, S6: n = tanh (valid in S7)
  wire [AB-1:0] gate_n;
  rnnfab_act_lanes #(
      .LANES(1), .SIGMOID_LANES(0), .AB(AB), .AF(AF), .SIG_S(SIG_S), .SIG_R(SIG_R),
      .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
  ) s5_act (.clk(clk), .x(s5_nin_q), .y(gate_n));

  // ---- S7: h(t) = n + rshr(z * (h(t-1) - n), AF)
  wire signed [AB:0] h_minus_n = $signed({s7_h[AB-1], s7_h}) - $signed({gate_n[AB-1], gate_n});
  wire signed [2*AB:0] z_term = $signed(s7_z) * h_minus_n;
  wire [XW-1:0] h_sum = extend_ab(gate_n) +
      round_shift({{(XW - 2 * AB - 1) {z_term[2*AB]}}, z_term}, AF);
  assign h_value = saturate(h_sum);
endmodule
`default_nettype wire
