`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_unit: a PE's element-wise side in copy 0 (rnnfab_pe, "Element-wise unit"): the bias
// and peephole ROMs (synchronous read, addressed in S0) and the LSTM or GRU element-wise unit.
// A cell in S1 brings its four accumulators and c(t-1) (LSTM) or h(t-1) (GRU): this copy's
// (own_cell), or with a batch copy s's (share_in at s, s > 0, chosen by in_seq). The results,
// tagged {sequence, cell} with a batch and {cell} without, go out on ewr_out (RNNFAB_EWR_W) to
// the copies; see rnnfab_ew_lstm.v and rnnfab_ew_gru.v for the stages.
module rnnfab_ew_unit #(
    parameter GRU = 0,                 // 0: LSTM, 1: GRU
    parameter PEEP = 0,                // 1: LSTM peepholes
    parameter AB = 16,                 // activation width
    parameter AF = 12,                 // activation fraction bits
    parameter WB = 12,                 // weight width
    parameter WF = 10,                 // weight fraction bits
    parameter ACC = 40,                // accumulator width
    parameter LATENCY = 40,            // the unit's issue-to-readable latency (rnnfab_ew_*)
    parameter BATCH = 1,               // sequences sharing the unit
    parameter KW = 1,                  // local cell index width
    parameter CA_W = 1,                // ROM address width
    parameter CDEPTH = 1,              // words of the ROMs (LAYERS * K)
    parameter LUT_RAM_DEPTH = 64,      // deepest ROM left to LUTs (docs/synthesis.md)
    parameter BIAS_FILE = "pe0_bias.hex",      // bias ROM image: {b3, b2, b1, b0} per cell
    parameter PEEP_FILE = "pe0_peephole.hex",  // peephole ROM image: {p_o, p_f, p_i} per cell
    `RNNFAB_ACT_TABLE_PARAMS,                  // the activation tables (rnnfab_pkg.vh)
    // derived; leave unset
    parameter SQW = `RNNFAB_SEQ_W(BATCH),         // sequence width
    parameter SHARE_W = `RNNFAB_SHARE_W(ACC, AB),  // a cell in S1: {accumulator word, c or h}
    parameter EWR_W = `RNNFAB_EWR_W(KW, BATCH, AB)  // the results
) (
    input  wire                     clk,       // clock
    input  wire                     rst,       // synchronous reset (the units' valid bits)
    input  wire [         CA_W-1:0] rom_addr,  // S0: the cell's ROM address (layer * K + k)
    input  wire                     in_valid,  // S1: a cell is presented
    input  wire [           KW-1:0] in_k,      // S1: its local cell
    input  wire [          SQW-1:0] in_seq,    // S1: its sequence (the copy it comes from)
    input  wire [      SHARE_W-1:0] own_cell,  // S1: copy 0's word of the cell
    input  wire [BATCH*SHARE_W-1:0] share_in,  // S1: copy s's word at s (s > 0)
    output wire [        EWR_W-1:0] ewr_out    // {c_we, c tag, c(t), m_we, m tag, m or h(t)}
);
  localparam SHARE = (BATCH > 1) ? 1 : 0;  // the copies share this unit
  localparam TW = KW + SQW;  // a result's tag on ewr_out: {sequence, cell}
  localparam UTW = (SHARE != 0) ? TW : KW;  // the unit's tag (the cell alone without a batch)

  initial begin
    if (CDEPTH < 1 || LUT_RAM_DEPTH < 0 || BATCH < 1 || KW < 1 || CA_W < 1) begin
      $display("%m: bad parameters CDEPTH=%0d LUT_RAM_DEPTH=%0d BATCH=%0d KW=%0d CA_W=%0d",
               CDEPTH, LUT_RAM_DEPTH, BATCH, KW, CA_W);
      $finish;
    end
  end

  // ROMs, read in S0, registered into S1
  reg [4*AB-1:0] bias_q;
  (* rom_style = (CDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
  reg [4*AB-1:0] bias_rom[0:CDEPTH-1];
  initial $readmemh(BIAS_FILE, bias_rom);
  always @(posedge clk) bias_q <= bias_rom[rom_addr];
  wire [4*AB-1:0] bias_word = bias_q;
  wire [3*WB-1:0] peep_word;
  generate
    if (PEEP != 0 && GRU == 0) begin : gen_peep
      reg [3*WB-1:0] peep_q;
      (* rom_style = (CDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
      reg [3*WB-1:0] peep_rom[0:CDEPTH-1];
      initial $readmemh(PEEP_FILE, peep_rom);
      always @(posedge clk) peep_q <= peep_rom[rom_addr];
      assign peep_word = peep_q;
    end else begin : gen_no_peep
      assign peep_word = {3 * WB{1'b0}};
    end
  endgenerate

  // the cell in S1: copy 0's own, or copy in_seq's
  reg [SHARE_W-1:0] unit_cell;
  integer sq;
  always @* begin
    unit_cell = own_cell;
    for (sq = 1; sq < BATCH; sq = sq + 1)
      if (in_seq == sq[SQW-1:0]) unit_cell = share_in[sq*SHARE_W+:SHARE_W];
  end
  wire unused_share0 = &{1'b0, share_in[SHARE_W-1:0]};
  wire [4*ACC-1:0] u_acc = unit_cell[SHARE_W-1:AB];
  wire [AB-1:0] u_prev = unit_cell[AB-1:0];
  wire [UTW-1:0] u_tag, u_c_tag, u_m_tag;
  wire [TW-1:0] r_c_tag, r_m_tag;
  generate
    if (SHARE != 0) begin : gen_seq_tag
      assign u_tag = {in_seq, in_k};
      assign r_c_tag = u_c_tag;
      assign r_m_tag = u_m_tag;
    end else begin : gen_cell_tag
      assign u_tag = in_k;
      assign r_c_tag = {{SQW{1'b0}}, u_c_tag};
      assign r_m_tag = {{SQW{1'b0}}, u_m_tag};
      wire unused_seq = &{1'b0, in_seq};
    end
  endgenerate

  wire r_c_we, r_m_we;  // the unit's results: c(t) (LSTM), m (LSTM) or h(t) (GRU)
  wire [AB-1:0] r_c_value, r_m_value;
  generate
    if (GRU != 0) begin : gen_gru_unit
      rnnfab_ew_gru #(
          .AB(AB), .AF(AF), .WF(WF), .ACC(ACC), .TAG(UTW), .LATENCY(LATENCY), .SIG_S(SIG_S),
          .SIG_R(SIG_R), .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE),
          .TANH_FILE(TANH_FILE)
      ) ew (
          .clk(clk), .rst(rst), .in_valid(in_valid), .in_tag(u_tag),
          .acc_r(u_acc[0*ACC+:ACC]), .acc_z(u_acc[1*ACC+:ACC]), .acc_xn(u_acc[2*ACC+:ACC]),
          .acc_hn(u_acc[3*ACC+:ACC]), .bias_r(bias_word[0*AB+:AB]),
          .bias_z(bias_word[1*AB+:AB]), .bias_xn(bias_word[2*AB+:AB]),
          .bias_hn(bias_word[3*AB+:AB]), .h_prev(u_prev),
          .h_we(r_m_we), .h_tag(u_m_tag), .h_value(r_m_value)
      );
      assign r_c_we = 1'b0;
      assign u_c_tag = {UTW{1'b0}};
      assign r_c_value = {AB{1'b0}};
      wire unused_peep = &{1'b0, peep_word};
    end else begin : gen_lstm_unit
      rnnfab_ew_lstm #(
          .AB(AB), .AF(AF), .WB(WB), .WF(WF), .ACC(ACC), .PEEP(PEEP), .TAG(UTW),
          .LATENCY(LATENCY), .SIG_S(SIG_S), .SIG_R(SIG_R), .TANH_S(TANH_S), .TANH_R(TANH_R),
          .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
      ) ew (
          .clk(clk), .rst(rst), .in_valid(in_valid), .in_tag(u_tag),
          .acc_i(u_acc[0*ACC+:ACC]), .acc_f(u_acc[1*ACC+:ACC]), .acc_g(u_acc[2*ACC+:ACC]),
          .acc_o(u_acc[3*ACC+:ACC]), .bias_i(bias_word[0*AB+:AB]),
          .bias_f(bias_word[1*AB+:AB]), .bias_g(bias_word[2*AB+:AB]),
          .bias_o(bias_word[3*AB+:AB]), .peep_i(peep_word[0*WB+:WB]),
          .peep_f(peep_word[1*WB+:WB]), .peep_o(peep_word[2*WB+:WB]), .c_prev(u_prev),
          .c_we(r_c_we), .c_tag(u_c_tag), .c_value(r_c_value),
          .m_we(r_m_we), .m_tag(u_m_tag), .m_value(r_m_value)
      );
    end
  endgenerate
  assign ewr_out = {r_c_we, r_c_tag, r_c_value, r_m_we, r_m_tag, r_m_value};
endmodule
`default_nettype wire
