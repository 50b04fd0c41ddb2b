`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_proj: a PE's projection accumulators in banks of their own (rnnfab_acc_banks, one
// field per row; the PE keeps them as the gate banks' fifth field where it merges them). The
// requantizer reads row rq_pre_k one cycle ahead (rq_pre: no projection MAC is in flight then)
// and takes it with rq_issue, which clears it. KEEP = 1 (a delta design with a delta-coded
// projection input, docs/delta.md): the memories M_r of every layer, row k of layer l at word
// l * KP + k (mac_cbase = layer * KP in a projection phase, rq_hbase = layer * KP), are not
// cleared by the take: every step adds W_hr * delta on top of the last.
module rnnfab_acc_proj #(
    parameter LANES = 1,             // MAC lanes (1 with KEEP)
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
    if (KEEP < 0 || KEEP > 1 || (KEEP != 0 && (LANES != 1 || (1 << CA_W) < LAYERS * KP ||
        (1 << HA_W) < LAYERS * KP || KPW > CA_W || KPW > HA_W))) begin
      $display("%m: bad parameters KEEP=%0d LANES=%0d KP=%0d LAYERS=%0d CA_W=%0d HA_W=%0d", KEEP,
               LANES, KP, LAYERS, CA_W, HA_W);
      $finish;
    end
  end

  generate
    if (KEEP != 0) begin : gen_kept
      wire [CA_W-1:0] mac_line = mac_cbase + {{(CA_W - KPW) {1'b0}}, mac_k[KPW-1:0]};
      wire [HA_W-1:0] read_k = rq_hbase + {{(HA_W - KPW) {1'b0}}, rq_pre_k};
      wire [HA_W-1:0] take_k = rq_hbase + {{(HA_W - KPW) {1'b0}}, rq_k};
      rnnfab_acc_banks #(
          .LANES(1), .WORDS(LAYERS * KP), .FIELDS(1), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(1), .MW(CA_W), .IW(HA_W)
      ) banks (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_line(mac_line), .mac_field(1'b0),
          .mac_product(mac_product), .mac_a(1'b0), .mac_b(1'b0), .read(rq_pre), .read_k(read_k),
          .take(rq_issue), .take_k(take_k), .read2(1'b0), .read2_k(1'b0), .take2(1'b0),
          .take2_k(1'b0), .word(word)
      );
      wire unused_kept = &{1'b0, mac_k};
    end else begin : gen_cleared
      rnnfab_acc_banks #(
          .LANES(LANES), .WORDS(KP), .FIELDS(1), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .MW(ROW_W), .IW(KPW)
      ) banks (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_line(mac_k), .mac_field(1'b0),
          .mac_product(mac_product), .mac_a(1'b0), .mac_b({LANES{1'b0}}), .read(rq_pre),
          .read_k(rq_pre_k), .take(rq_issue), .take_k(rq_k), .read2(1'b0), .read2_k(1'b0),
          .take2(1'b0), .take2_k(1'b0), .word(word)
      );
      wire unused_cleared = &{1'b0, mac_cbase, rq_hbase};
    end
  endgenerate
endmodule
`default_nettype wire
