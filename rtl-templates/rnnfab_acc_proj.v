`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_proj: a PE's projection accumulators in banks of their own (rnnfab_acc_banks, one
// field per row; the PE keeps them as the gate banks' fifth field where it merges them). The
// requantizer reads row rq_pre_k one cycle ahead (rq_pre: no projection MAC is in flight then)
// and takes it with rq_issue, which clears it. KEEP = 1 (a delta design with a delta-coded
// projection input, docs/delta.md): the memories M_r of every layer, row k of layer l at word
// l * KP + k (mac_cbase = layer * KP in a projection phase, rq_hbase = layer * KP), are not
// cleared by the take: every step adds W_hr * delta on top of the last. With LANES > 1 each
// layer's rows are padded to whole lines (KPL lines, KPL * LANES rows) so that a line's LANES rows
// lie in the LANES banks at one word: row k of layer l is row l * KPL * LANES + k of the banks
// (bank k mod LANES, word l * KPL + k div LANES); the layer's base is selected from mac_cbase
// and rq_hbase (layer * KP) by a compare per layer.
module rnnfab_acc_proj #(
    parameter LANES = 1,             // MAC lanes
    parameter KP = 1,                // projection rows of this PE per layer
    parameter LAYERS = 1,            // layers (KEEP: one set of rows each)
    parameter ACC = 40,              // accumulator width
    parameter PW = 28,               // product width
    parameter LUT_RAM_DEPTH = 64,    // deepest memory left to LUT RAM
    parameter KEEP = 0,              // 1: kept across steps, per layer (the delta memories M_r)
    parameter ROW_W = 1,             // width of mac_k
    parameter KPW = 1,               // width of rq_k, rq_pre_k
    parameter CA_W = 1,              // width of mac_cbase (holds LAYERS * KP - 1 with KEEP)
    parameter HA_W = 1               // width of rq_hbase (holds LAYERS * KP - 1 with KEEP)
) (
    input  wire                clk,          // clock
    input  wire                rst,          // synchronous reset: every row reads zero
    input  wire                mac_valid,    // a projection MAC (line mac_k)
    input  wire [   ROW_W-1:0] mac_k,        // its local row (line)
    input  wire [    CA_W-1:0] mac_cbase,    // KEEP: layer * KP of the projection phase
    input  wire [LANES*PW-1:0] mac_product,  // the products, lane l in [l*PW +: PW]
    input  wire                rq_pre,       // the requantizer reads row rq_pre_k
    input  wire [     KPW-1:0] rq_pre_k,     // that row
    input  wire                rq_issue,     // the requantizer takes row rq_k
    input  wire [     KPW-1:0] rq_k,         // that row
    input  wire [    HA_W-1:0] rq_hbase,     // KEEP: layer * KP of the requantized layer
    output wire [     ACC-1:0] word          // the row read
);
  initial begin
    if (KEEP < 0 || KEEP > 1 || (KEEP != 0 && ((1 << CA_W) < LAYERS * KP ||
        (1 << HA_W) < LAYERS * KP || KPW > CA_W || KPW > HA_W))) begin
      $display("%m: bad parameters KEEP=%0d LANES=%0d KP=%0d LAYERS=%0d CA_W=%0d HA_W=%0d", KEEP,
               LANES, KP, LAYERS, CA_W, HA_W);
      $finish;
    end
  end

  wire [ACC-1:0] unused_word2;  // the banks' second read port (GROUP; not used here)
  wire unused_second = &{1'b0, unused_word2};
  generate
    if (KEEP != 0 && LANES == 1) begin : gen_kept
      wire [CA_W-1:0] mac_line = mac_cbase + {{(CA_W - KPW) {1'b0}}, mac_k[KPW-1:0]};
      wire [HA_W-1:0] read_k = rq_hbase + {{(HA_W - KPW) {1'b0}}, rq_pre_k};
      wire [HA_W-1:0] take_k = rq_hbase + {{(HA_W - KPW) {1'b0}}, rq_k};
      rnnfab_acc_banks #(
          .LANES(1), .WORDS(LAYERS * KP), .FIELDS(1), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(1), .MW(CA_W), .IW(HA_W)
      ) banks (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_line(mac_line), .mac_field(1'b0),
          .mac_product(mac_product), .mac_same(1'b0), .mac_a(1'b0), .mac_b(1'b0), .read(rq_pre),
          .read_k(read_k),
          .take(rq_issue), .take_k(take_k), .read2(1'b0), .read2_k(1'b0), .take2(1'b0),
          .take2_k(1'b0), .word(word),
          .group_words(unused_word2)
      );
      wire unused_kept = &{1'b0, mac_k};
    end else if (KEEP != 0) begin : gen_kept_lanes
      localparam KPL = (KP + LANES - 1) / LANES;  // lines per layer
      localparam LW = `RNNFAB_BITS_FOR(LAYERS * KPL - 1);  // a line of the banks
      localparam RW = `RNNFAB_BITS_FOR(LAYERS * KPL * LANES - 1);  // a row of the banks
      // the layer's first line and row: OR of the layers' bases, each where its compare holds
      wire [LAYERS*LW-1:0] line_bases;
      wire [LAYERS*RW-1:0] row_bases;
      genvar gl;
      for (gl = 0; gl < LAYERS; gl = gl + 1) begin : gen_layer
        localparam integer CB_I = gl * KP, LB_I = gl * KPL, RB_I = gl * KPL * LANES;
        localparam [CA_W-1:0] CB = CB_I[CA_W-1:0];  // layer * KP, as mac_cbase
        localparam [HA_W-1:0] HB = CB_I[HA_W-1:0];  // layer * KP, as rq_hbase
        localparam [LW-1:0] LB = LB_I[LW-1:0];
        localparam [RW-1:0] RB = RB_I[RW-1:0];
        assign line_bases[gl*LW+:LW] = (mac_cbase == CB) ? LB : {LW{1'b0}};
        assign row_bases[gl*RW+:RW] = (rq_hbase == HB) ? RB : {RW{1'b0}};
      end
      reg [LW-1:0] line_base;
      reg [RW-1:0] row_base;
      integer l;
      always @* begin
        line_base = {LW{1'b0}};
        row_base = {RW{1'b0}};
        for (l = 0; l < LAYERS; l = l + 1) begin
          line_base = line_base | line_bases[l*LW+:LW];
          row_base = row_base | row_bases[l*RW+:RW];
        end
      end
      localparam XW = `RNNFAB_MAX(`RNNFAB_MAX(LW, RW), `RNNFAB_MAX(ROW_W, KPW));
      wire [XW-1:0] mac_line_x = {{(XW - LW) {1'b0}}, line_base} +
          {{(XW - ROW_W) {1'b0}}, mac_k};
      wire [XW-1:0] read_x = {{(XW - RW) {1'b0}}, row_base} + {{(XW - KPW) {1'b0}}, rq_pre_k};
      wire [XW-1:0] take_x = {{(XW - RW) {1'b0}}, row_base} + {{(XW - KPW) {1'b0}}, rq_k};
      wire unused_x = &{1'b0, mac_line_x, read_x, take_x};  // (the high bits are 0)
      rnnfab_acc_banks #(
          .LANES(LANES), .WORDS(LAYERS * KPL * LANES), .FIELDS(1), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(1), .MW(LW), .IW(RW)
      ) banks (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_line(mac_line_x[LW-1:0]),
          .mac_field(1'b0), .mac_product(mac_product), .mac_same(1'b0), .mac_a(1'b0),
          .mac_b({LANES{1'b0}}),
          .read(rq_pre), .read_k(read_x[RW-1:0]), .take(rq_issue), .take_k(take_x[RW-1:0]),
          .read2(1'b0), .read2_k(1'b0), .take2(1'b0), .take2_k(1'b0), .word(word),
          .group_words(unused_word2)
      );
    end else begin : gen_cleared
      rnnfab_acc_banks #(
          .LANES(LANES), .WORDS(KP), .FIELDS(1), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .MW(ROW_W), .IW(KPW)
      ) banks (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_line(mac_k), .mac_field(1'b0),
          .mac_product(mac_product), .mac_same(1'b0), .mac_a(1'b0), .mac_b({LANES{1'b0}}),
          .read(rq_pre),
          .read_k(rq_pre_k), .take(rq_issue), .take_k(rq_k), .read2(1'b0), .read2_k(1'b0),
          .take2(1'b0), .take2_k(1'b0), .word(word),
          .group_words(unused_word2)
      );
      wire unused_cleared = &{1'b0, mac_cbase, rq_hbase};
    end
  endgenerate
endmodule
`default_nettype wire
