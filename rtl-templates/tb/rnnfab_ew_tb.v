`default_nettype none
`timescale 1ns / 1ps
// rnnfab_ew_tb: unit test bench of the element-wise units rnnfab_ew_lstm (GRU = 0) and
// rnnfab_ew_gru (GRU = 1) (tests/rtl_ew_test.ts). Word i of +in=<file> (COUNT hex words) is
// presented in cycle i as the unit's S1 inputs, fields high to low:
//   {valid, tag, acc0, acc1, acc2, acc3, bias0, bias1, bias2, bias3, peep0, peep1, peep2, prev}
// (LSTM: accumulators and biases of rows i, f, g, o, peepholes p_i, p_f, p_o, prev = c(t-1);
// GRU: rows r, z, xn, hn, peepholes unused, prev = h(t-1)). Every write the unit makes is written
// to +out=<file> as "<cycle> <port> <tag> <value>" (value hex), port 0 for c(t) (LSTM) and 1 for
// m (LSTM) or h(t) (GRU); the bench runs COUNT + LATENCY + 3 cycles, with reset high in the first two.
module rnnfab_ew_tb #(
    parameter GRU = 0,                   // 0: rnnfab_ew_lstm, 1: rnnfab_ew_gru
    parameter AB = 16,                   // activation width
    parameter AF = 12,                   // activation fraction bits
    parameter WB = 12,                   // weight (peephole) width
    parameter WF = 10,                   // weight fraction bits
    parameter ACC = 40,                  // accumulator width
    parameter PEEP = 0,                  // LSTM: 1 with peepholes
    parameter TAG = 4,                   // cell tag width
    parameter LATENCY = 9,               // latency the unit is told (EW_LATENCY of rtl/design.ts)
    parameter SIG_S = 4,                 // sigmoid table step log2
    parameter SIG_R = 3,                 // sigmoid table range log2
    parameter TANH_S = 4,                // tanh table step log2
    parameter TANH_R = 3,                // tanh table range log2
    parameter COUNT = 1                  // input words
);
  localparam W = 1 + TAG + 4 * ACC + 5 * AB + 3 * WB;  // stimulus word width
  wire clk, more;
  wire [31:0] cycle;
  wire [W-1:0] word;
  wire rst = (cycle < 2);
  wire done = (cycle == COUNT + LATENCY + 3);
  rnnfab_tb_io #(.W(W), .COUNT(COUNT)) io (
      .clk(clk), .cycle(cycle), .take(1'b1), .more(more), .word(word), .done(done)
  );
  wire unused_more = more;

  // the fields of the word presented this cycle
  wire in_valid = word[W-1];
  wire [TAG-1:0] in_tag = word[W-2-:TAG];
  wire [4*ACC-1:0] accs = word[W-2-TAG-:4*ACC];
  wire [4*AB-1:0] biases = word[5*AB+3*WB-1-:4*AB];
  wire [3*WB-1:0] peeps = word[AB+3*WB-1-:3*WB];
  wire [AB-1:0] prev = word[AB-1:0];
  // the writes of the unit: port 0 (c) and port 1 (m or h)
  wire we0, we1;
  wire [TAG-1:0] tag0, tag1;
  wire [AB-1:0] value0, value1;

  generate
    if (GRU == 0) begin : gen_lstm
      rnnfab_ew_lstm #(
          .AB(AB), .AF(AF), .WB(WB), .WF(WF), .ACC(ACC), .PEEP(PEEP), .TAG(TAG),
          .LATENCY(LATENCY), .SIG_S(SIG_S), .SIG_R(SIG_R), .TANH_S(TANH_S), .TANH_R(TANH_R)
      ) dut (
          .clk(clk), .rst(rst), .in_valid(in_valid), .in_tag(in_tag),
          .acc_i(accs[4*ACC-1-:ACC]), .acc_f(accs[3*ACC-1-:ACC]), .acc_g(accs[2*ACC-1-:ACC]),
          .acc_o(accs[ACC-1:0]), .bias_i(biases[4*AB-1-:AB]), .bias_f(biases[3*AB-1-:AB]),
          .bias_g(biases[2*AB-1-:AB]), .bias_o(biases[AB-1:0]), .peep_i(peeps[3*WB-1-:WB]),
          .peep_f(peeps[2*WB-1-:WB]), .peep_o(peeps[WB-1:0]), .c_prev(prev), .c_we(we0),
          .c_tag(tag0), .c_value(value0), .m_we(we1), .m_tag(tag1), .m_value(value1)
      );
    end else begin : gen_gru
      rnnfab_ew_gru #(
          .AB(AB), .AF(AF), .WF(WF), .ACC(ACC), .TAG(TAG), .LATENCY(LATENCY), .SIG_S(SIG_S),
          .SIG_R(SIG_R), .TANH_S(TANH_S), .TANH_R(TANH_R)
      ) dut (
          .clk(clk), .rst(rst), .in_valid(in_valid), .in_tag(in_tag),
          .acc_r(accs[4*ACC-1-:ACC]), .acc_z(accs[3*ACC-1-:ACC]), .acc_xn(accs[2*ACC-1-:ACC]),
          .acc_hn(accs[ACC-1:0]), .bias_r(biases[4*AB-1-:AB]), .bias_z(biases[3*AB-1-:AB]),
          .bias_xn(biases[2*AB-1-:AB]), .bias_hn(biases[AB-1:0]), .h_prev(prev), .h_we(we1),
          .h_tag(tag1), .h_value(value1)
      );
      assign we0 = 1'b0;
      assign tag0 = {TAG{1'b0}};
      assign value0 = {AB{1'b0}};
      wire unused_peeps = &{1'b0, peeps};
    end
  endgenerate

  always @(negedge clk) begin
    if (we0) $fdisplay(io.fd, "%0d 0 %0d %h", cycle, tag0, value0);
    if (we1) $fdisplay(io.fd, "%0d 1 %0d %h", cycle, tag1, value1);
  end
endmodule
`default_nettype wire
