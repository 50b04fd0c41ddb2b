`include "rnnfab_pkg.vh"
`default_nettype none
`timescale 1ns / 1ps
// rnnfab_mv_tb: unit test bench of the matrix-vector engines rnnfab_mv_ese (FORMAT = 0) and
// rnnfab_mv_bcr (FORMAT = 1) of one PE (tests/rtl_mv_test.ts), driven as the controller drives
// them. +in=<file> holds COUNT hex words, fields high to low:
//   {kind[1:0], hpart, seg_last, nseg[15:0], nseg0[15:0], cbase1[15:0], value[AB-1:0]}
//   kind 0: an idle cycle; kind 1: broadcast a column (value, the last of its segment, of the
//   recurrent part), held while the engine's registered stall request (registered twice,
//   as the controller does) is up; kind 2: wait until the engine is idle, then start a phase
//   (bcr: nseg segments, nseg0 of the input part, whose recurrent part starts at column cbase1). Columns are numbered from 0 in each phase.
// +out=<file> gets "P" when a phase starts and "M <row> <hpart> <product>" (decimal) for every
// multiply-accumulate the engine hands to the PE. Reset is high in the first two cycles. The
// bench stops when the words are used up and the engine is idle, or after MAX_CYCLES cycles
// ("T").
module rnnfab_mv_tb #(
    parameter FORMAT = 0,                         // 0: ese, 1: bcr
    parameter AB = 16,                            // activation width
    parameter WB = 12,                            // weight width
    parameter ROW_W = 4,                          // PE-local row width
    parameter WEIGHT_DEPTH = 1,                   // used words of the weight memory
    parameter WEIGHT_FILE = "pe0_weights.hex",    // weight memory image
    parameter IDX_BITS = 4,                       // ese: relative row index width
    parameter VAL_BITS = 12,                      // weight field: ese value, bcr weight slot
    parameter CODEBOOK = 0,                       // 1 with a codebook
    parameter PTR_W = 8,                          // ese: pointer width
    parameter POINTER_DEPTH = 2,                  // ese: words of the pointer memory
    parameter QUEUE_DEPTH = 8,                    // ese: activation queue depth
    parameter POINTER_FILE = "pe0_pointers.hex",  // ese: pointer memory image
    parameter CODEBOOK_FILE = "codebook.hex",     // codebook image
    parameter IDX_W = 8,                          // bcr: index word width
    parameter HDR_ROW_BITS = 3,                   // bcr: header rowCount width
    parameter HDR_COL_BITS = 3,                   // bcr: header colCount width
    parameter INDEX_DEPTH = 1,                    // bcr: words of the index memory
    parameter VEC_DEPTH = 2,                      // bcr: longest phase vector
    parameter MAX_ROWS = 1,                       // bcr: most kept rows of a block in the PE
    parameter BLOCK_COLS = 1,                     // bcr: segment width
    parameter LANES = 1,                          // bcr: MAC lanes (weights per weight word)
    parameter INDEX_FILE = "pe0_index.hex",       // bcr: index memory image
    parameter COUNT = 1,                          // stimulus words
    parameter MAX_CYCLES = 100000                 // give up after this many cycles
);
  localparam COL_W = `RNNFAB_BITS_FOR(VEC_DEPTH - 1);  // phase column address width
  localparam W = 2 + 2 + 3 * 16 + AB;  // stimulus word width
  wire clk, more;
  wire [31:0] cycle;
  wire [W-1:0] word;
  wire rst = (cycle < 2);
  wire idle;  // the engine is idle
  wire timeout = (cycle == MAX_CYCLES);
  // decided at the falling edge, when the registers of the rising edge have all settled (a
  // combinational `done` could see the word index advance before the engine's input register)
  reg done = 1'b0;
  always @(negedge clk) done <= (!more && idle && !rst) || timeout;
  wire take;
  rnnfab_tb_io #(.W(W), .COUNT(COUNT)) io (
      .clk(clk), .cycle(cycle), .take(take), .more(more), .word(word), .done(done)
  );

  // the current word, presented as the controller would
  wire [1:0] kind = more ? word[W-1-:2] : 2'd0;
  wire gap = more && !rst && (kind == 2'd0);
  // the engine's stall request (raised a cycle ahead), registered twice as the controller does
  reg bc_stall_q = 1'b0, bc_stall_late_q = 1'b0;
  wire bc_valid = !rst && (kind == 2'd1) && !bc_stall_late_q;
  wire phase_start = !rst && (kind == 2'd2) && idle;  // a phase starts once the last is done
  wire bc_hpart = word[W-3];
  wire bc_seg_last = word[W-4];
  wire [AB-1:0] bc_data = word[AB-1:0];
  reg [AB-1:0] bc_data_q = {AB{1'b0}};  // the controller's bc_data_q: the ese engine's P1 word
  // the phase's parameters hold from its start until the next phase starts
  reg [47:0] phase_q = 48'd0;
  wire [47:0] phase = phase_start ? word[AB+47-:48] : phase_q;
  wire [15:0] phase_nseg = phase[47:32], phase_nseg0 = phase[31:16], phase_cbase1 = phase[15:0];
  // columns of the phase already taken (the controller's bc_count); a column's position
  reg [COL_W:0] bc_count_q = {(COL_W + 1) {1'b0}};
  wire [COL_W-1:0] bc_col = bc_count_q[COL_W-1:0];
  wire stall_req, mac_valid, mac_hpart;
  wire [ROW_W-1:0] mac_row;
  wire [LANES*WB-1:0] mac_weight;
  wire [AB-1:0] mac_value;
  integer lane;
  // every lane's product, WB+AB bits each (sized: the operands extend to it)
  wire [LANES*(WB+AB)-1:0] lane_products;
  genvar gl;
  generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : gen_lane_product
      wire signed [WB+AB-1:0] product = $signed(mac_weight[gl*WB+:WB]) * $signed(mac_value);
      assign lane_products[gl*(WB+AB)+:(WB+AB)] = product;
    end
  endgenerate
  assign take = gap || bc_valid || phase_start;
  always @(posedge clk) begin
    bc_stall_q <= stall_req;
    bc_data_q <= bc_data;
    bc_stall_late_q <= bc_stall_q;
    phase_q <= phase;
    if (phase_start) bc_count_q <= {(COL_W + 1) {1'b0}};
    else if (bc_valid) bc_count_q <= bc_count_q + 1'b1;
  end
  always @(negedge clk) begin
    // one line per lane: local row line * LANES + lane (zero products are left out by the test)
    if (mac_valid)
      for (lane = 0; lane < LANES; lane = lane + 1) begin
        $fdisplay(io.fd, "M %0d %0d %0d", mac_row * LANES + lane, mac_hpart,
                  $signed(lane_products[lane*(WB+AB)+:(WB+AB)]));
      end
    if (phase_start) $fdisplay(io.fd, "P");
    if (timeout) $fdisplay(io.fd, "T");
  end

  generate
    if (FORMAT == 0) begin : gen_ese
      wire proj_idle;  // (PQUEUE 0: the same as idle)
      rnnfab_mv_ese #(
          .AB(AB), .WB(WB), .IDX_BITS(IDX_BITS), .VAL_BITS(VAL_BITS), .CODEBOOK(CODEBOOK),
          .PTR_W(PTR_W), .WEIGHT_DEPTH(WEIGHT_DEPTH), .POINTER_DEPTH(POINTER_DEPTH),
          .QUEUE_DEPTH(QUEUE_DEPTH), .ROW_W(ROW_W), .WEIGHT_FILE(WEIGHT_FILE),
          .POINTER_FILE(POINTER_FILE), .CODEBOOK_FILE(CODEBOOK_FILE), .P1_SHARED(1)
      ) dut (
          .clk(clk), .rst(rst), .bc_valid(bc_valid), .bc_data(bc_data), .bc_data_q(bc_data_q),
          .bc_ptr(1'b0),
          .bc_seg_last(bc_seg_last), .bc_seg_last_pre(1'b0), .bc_hpart(bc_hpart), .hold(1'b0),
          .stall_req(stall_req),
          .mac_valid(mac_valid), .mac_row(mac_row), .mac_hpart(mac_hpart),
          .mac_weight(mac_weight), .mac_value(mac_value), .idle(idle), .proj_idle(proj_idle)
      );
      wire unused_bcr = &{1'b0, bc_col, phase_nseg, phase_nseg0, phase_cbase1, proj_idle};
    end else begin : gen_bcr
      rnnfab_mv_bcr #(
          .AB(AB), .WB(WB), .IDX_W(IDX_W), .HDR_ROW_BITS(HDR_ROW_BITS),
          .HDR_COL_BITS(HDR_COL_BITS), .WEIGHT_DEPTH(WEIGHT_DEPTH), .INDEX_DEPTH(INDEX_DEPTH),
          .VEC_DEPTH(VEC_DEPTH), .ROW_W(ROW_W), .MAX_ROWS(MAX_ROWS), .BLOCK_COLS(BLOCK_COLS),
          .LANES(LANES), .CODEBOOK(CODEBOOK), .VAL_BITS(VAL_BITS), .CODEBOOK_FILE(CODEBOOK_FILE),
          .SEG_W(16), .WEIGHT_FILE(WEIGHT_FILE), .INDEX_FILE(INDEX_FILE)
      ) dut (
          .clk(clk), .rst(rst), .bc_valid(bc_valid), .bc_data(bc_data), .bc_col(bc_col),
          .bc_count(bc_count_q), .phase_start(phase_start), .phase_nseg(phase_nseg),
          .phase_nseg0(phase_nseg0), .phase_cbase1(phase_cbase1[COL_W-1:0]),
          .mac_valid(mac_valid), .mac_row(mac_row), .mac_hpart(mac_hpart),
          .mac_weight(mac_weight), .mac_value(mac_value), .idle(idle)
      );
      assign stall_req = 1'b0;
      wire unused_ese = &{1'b0, bc_seg_last, bc_hpart, phase_cbase1, bc_data_q};
    end
  endgenerate

endmodule
`default_nettype wire
