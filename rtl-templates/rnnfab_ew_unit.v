`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ew_unit: the element-wise side of a PE, or of a group of GROUP PEs, held by its slot 0
// (rnnfab_pe, "Element-wise unit"): the bias and peephole ROMs (synchronous read, addressed in
// S0) and the LSTM or GRU element-wise unit. A cell in S1 brings its four accumulators and c(t-1)
// (LSTM) or h(t-1) (GRU): slot 0's own (own_cell), or slot s's (share_in at s, s > 0, chosen by
// in_seq); a slot is a batch copy of a PE of the group, s = sequence * GROUP + the PE's place in
// the group. The results, tagged {slot, cell} with more than one slot and {cell} without, go out
// on ewr_out (RNNFAB_EWR_W) to the slots; see rnnfab_ew_lstm.v and rnnfab_ew_gru.v for the
// stages. With GROUP > 1 the ROMs hold the group's PEs' words side by side (cell address a of
// place g at a * GROUP + g), and the chosen cell and the ROM words are registered once more
// before the unit (S1b, one cycle of LATENCY): the multiplexer of the group's cells, from PEs
// placed apart, ends in a register instead of in the unit's first adders (docs/timing.md).
module rnnfab_ew_unit #(
    parameter GRU = 0,                 // 0: LSTM, 1: GRU
    parameter PEEP = 0,                // 1: LSTM peepholes
    parameter AB = 16,                 // activation width
    parameter AF = 12,                 // activation fraction bits
    parameter WB = 12,                 // weight width
    parameter WF = 10,                 // weight fraction bits
    parameter ACC = 40,                // accumulator width
    parameter LATENCY = 40,            // the unit's issue-to-readable latency (rnnfab_ew_*)
    parameter SLOTS = 1,               // slots sharing the unit: batch copies x GROUP
    parameter GROUP = 1,               // PEs sharing the unit (power of two)
    parameter KW = 1,                  // local cell index width
    parameter CA_W = 1,                // a PE's cell address width (layer * K + k)
    parameter CDEPTH = 1,              // cell addresses of a PE (LAYERS * K)
    parameter LUT_RAM_DEPTH = 64,      // deepest ROM left to LUTs (docs/synthesis.md)
    parameter BIAS_FILE = "pe0_bias.hex",      // bias ROM image: {b3, b2, b1, b0} per cell
    parameter PEEP_FILE = "pe0_peephole.hex",  // peephole ROM image: {p_o, p_f, p_i} per cell
    `RNNFAB_ACT_TABLE_PARAMS,                  // the activation tables (rnnfab_pkg.vh)
    // derived; leave unset
    parameter GB = `RNNFAB_BITS_FOR(GROUP - 1),     // a place in the group (1 bit when GROUP = 1)
    parameter SQW = `RNNFAB_SEQ_W(SLOTS),           // slot width
    parameter SHARE_W = `RNNFAB_SHARE_W(ACC, AB),  // a cell in S1: {accumulator word, c or h}
    parameter EWR_W = `RNNFAB_EWR_W(KW, SLOTS, AB)  // the results
) (
    input  wire                     clk,       // clock
    input  wire                     rst,       // synchronous reset (the units' valid bits)
    input  wire [         CA_W-1:0] rom_addr,  // S0: the cell's address in its PE (layer * K + k)
    input  wire [           GB-1:0] rom_place, // S0: its PE's place in the group (GROUP > 1)
    input  wire                     in_valid,  // S1: a cell is presented
    input  wire [           KW-1:0] in_k,      // S1: its local cell
    input  wire [          SQW-1:0] in_seq,    // S1: its slot
    input  wire [      SHARE_W-1:0] own_cell,  // S1: slot 0's word of the cell
    input  wire [SLOTS*SHARE_W-1:0] share_in,  // S1: slot s's word at s (s > 0)
    output wire [        EWR_W-1:0] ewr_out    // {c_we, c tag, c(t), m_we, m tag, m or h(t)}
);
  localparam SHARE = (SLOTS > 1) ? 1 : 0;  // the slots share this unit
  localparam TW = KW + SQW;  // a result's tag on ewr_out: {slot, cell}
  localparam UTW = (SHARE != 0) ? TW : KW;  // the unit's tag (the cell alone with one slot)
  localparam S1B = (GROUP > 1) ? 1 : 0;  // cycles of the S1b register (the group's multiplexer)
  localparam RDEPTH = CDEPTH * GROUP;  // words of the ROMs
  localparam RA_W = CA_W + ((GROUP > 1) ? GB : 0);  // ROM address width

  initial begin
    if (CDEPTH < 1 || LUT_RAM_DEPTH < 0 || SLOTS < 1 || KW < 1 || CA_W < 1 || GROUP < 1 ||
        (GROUP > 1 && (1 << GB) != GROUP) || (SLOTS % GROUP) != 0 ||
        LATENCY < S1B + 2) begin
      $display("%m: bad parameters CDEPTH=%0d LUT_RAM_DEPTH=%0d SLOTS=%0d GROUP=%0d KW=%0d %s=%0d",
               CDEPTH, LUT_RAM_DEPTH, SLOTS, GROUP, KW, "CA_W", CA_W);
      $finish;
    end
  end

  // ROMs, read in S0, registered into S1 (and with a group once more, into S1b, below)
  wire [RA_W-1:0] rom_word_addr;  // a * GROUP + g: {a, g}
  generate
    if (GROUP > 1) begin : gen_group_addr
      assign rom_word_addr = {rom_addr, rom_place};
    end else begin : gen_pe_addr
      assign rom_word_addr = rom_addr;
      wire unused_place = &{1'b0, rom_place};
    end
  endgenerate
  reg [4*AB-1:0] bias_q;
  (* rom_style = (RDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
  reg [4*AB-1:0] bias_rom[0:RDEPTH-1];
  initial $readmemh(BIAS_FILE, bias_rom);
  always @(posedge clk) bias_q <= bias_rom[rom_word_addr];
  wire [4*AB-1:0] bias_s1 = bias_q;
  wire [3*WB-1:0] peep_s1;
  generate
    if (PEEP != 0 && GRU == 0) begin : gen_peep
      reg [3*WB-1:0] peep_q;
      (* rom_style = (RDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
      reg [3*WB-1:0] peep_rom[0:RDEPTH-1];
      initial $readmemh(PEEP_FILE, peep_rom);
      always @(posedge clk) peep_q <= peep_rom[rom_word_addr];
      assign peep_s1 = peep_q;
    end else begin : gen_no_peep
      assign peep_s1 = {3 * WB{1'b0}};
    end
  endgenerate

  // the cell in S1: slot 0's own, or slot in_seq's
  reg [SHARE_W-1:0] unit_cell;
  integer sq;
  always @* begin
    unit_cell = own_cell;
    for (sq = 1; sq < SLOTS; sq = sq + 1)
      if (in_seq == sq[SQW-1:0]) unit_cell = share_in[sq*SHARE_W+:SHARE_W];
  end
  wire unused_share0 = &{1'b0, share_in[SHARE_W-1:0]};

  // S1b (GROUP > 1): the cell, its slot and the ROM words registered once more
  wire [SHARE_W-1:0] core_cell;
  wire [4*AB-1:0] bias_word;
  wire [3*WB-1:0] peep_word;
  wire core_valid;
  wire [KW-1:0] core_k;
  wire [SQW-1:0] core_seq;
  generate
    if (S1B != 0) begin : gen_s1b
      reg [SHARE_W-1:0] cell_q;
      reg [4*AB-1:0] bias_b_q;
      reg [3*WB-1:0] peep_b_q;
      reg valid_q;
      reg [KW-1:0] k_q;
      reg [SQW-1:0] seq_q;
      always @(posedge clk) begin
        valid_q <= !rst && in_valid;
        {cell_q, bias_b_q, peep_b_q, k_q, seq_q} <= {unit_cell, bias_s1, peep_s1, in_k, in_seq};
      end
      assign {core_cell, bias_word, peep_word, core_valid, core_k, core_seq} =
          {cell_q, bias_b_q, peep_b_q, valid_q, k_q, seq_q};
    end else begin : gen_s1
      assign {core_cell, bias_word, peep_word, core_valid, core_k, core_seq} =
          {unit_cell, bias_s1, peep_s1, in_valid, in_k, in_seq};
    end
  endgenerate
  wire [4*ACC-1:0] u_acc = core_cell[SHARE_W-1:AB];
  wire [AB-1:0] u_prev = core_cell[AB-1:0];
  wire [UTW-1:0] u_tag, u_c_tag, u_m_tag;
  wire [TW-1:0] r_c_tag, r_m_tag;
  generate
    if (SHARE != 0) begin : gen_seq_tag
      assign u_tag = {core_seq, core_k};
      assign r_c_tag = u_c_tag;
      assign r_m_tag = u_m_tag;
    end else begin : gen_cell_tag
      assign u_tag = core_k;
      assign r_c_tag = {{SQW{1'b0}}, u_c_tag};
      assign r_m_tag = {{SQW{1'b0}}, u_m_tag};
      wire unused_seq = &{1'b0, core_seq};
    end
  endgenerate

  wire r_c_we, r_m_we;  // the unit's results: c(t) (LSTM), m (LSTM) or h(t) (GRU)
  wire [AB-1:0] r_c_value, r_m_value;
  generate
    if (GRU != 0) begin : gen_gru_unit
      rnnfab_ew_gru #(
          .AB(AB), .AF(AF), .WF(WF), .ACC(ACC), .TAG(UTW), .LATENCY(LATENCY - S1B),
          .SIG_S(SIG_S), .SIG_R(SIG_R), .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE),
          .TANH_FILE(TANH_FILE)
      ) ew (
          .clk(clk), .rst(rst), .in_valid(core_valid), .in_tag(u_tag),
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
          .LATENCY(LATENCY - S1B), .SIG_S(SIG_S), .SIG_R(SIG_R), .TANH_S(TANH_S),
          .TANH_R(TANH_R),
          .SIG_FILE(SIG_FILE), .TANH_FILE(TANH_FILE)
      ) ew (
          .clk(clk), .rst(rst), .in_valid(core_valid), .in_tag(u_tag),
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
