`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_serial: an accumulator bank of an LSTM with projection whose consumer reads one gate
// field at a time (docs/architecture.md, "Batch": gen uses it from batch 4, where each batch copy
// gets a cell every 4 or more cycles). The interface and the arithmetic are those of
// rnnfab_acc_mem with FIELDS = 5, FIELDS2 = 1 (MAC read in M, add and write in W, forwarding of a
// MAC right behind a MAC of the same field and word, live bits, read registers reset when not
// read or not live), but the four gate fields of the DEPTH words are one memory of 4 x DEPTH
// words (address {field, word}) with one read port, shared by the MACs and the consumer (the
// consumer reads gate fields only while no gate MAC is in flight), and the projection field
// (the second consumer's) is a memory of its own. LUT RAM pays per read port, not per bit (one
// 39-bit port of up to 32 words is 3 RAM32M16): two ports where rnnfab_acc_mem has five, and the
// adder's base is the OR of three registers. `word` is {projection field, gate field read}.
module rnnfab_acc_serial #(
    parameter DEPTH = 1,             // words
    parameter ACC = 40,              // accumulator width
    parameter PW = 28,               // product width (sign-extended to ACC)
    parameter LUT_RAM_DEPTH = 64,    // deepest memory left to LUT RAM (DEPTH must not exceed it)
    // derived: word address width; leave unset
    parameter AW = `RNNFAB_BITS_FOR(DEPTH - 1)
) (
    input  wire             clk,          // clock
    input  wire             rst,          // synchronous reset: every word reads zero
    input  wire             mac_valid,    // M: add mac_product to field mac_field of mac_addr
    input  wire [   AW-1:0] mac_addr,     // M: its word
    input  wire [      2:0] mac_field,    // M: its field (0..3 gate, 4 projection)
    input  wire [   PW-1:0] mac_product,  // M: the product
    input  wire             read,         // the consumer reads gate field read_field of read_addr
    input  wire [      1:0] read_field,   // its field
    input  wire [   AW-1:0] read_addr,    // its word
    input  wire             take,         // the consumer takes that field (read the cycle before)
    input  wire [      1:0] take_field,   // its field
    input  wire [   AW-1:0] take_addr,    // its word
    input  wire             read2,        // the second consumer reads word read2_addr
    input  wire [   AW-1:0] read2_addr,   // its word
    input  wire             take2,        // the second consumer takes word take2_addr
    input  wire [   AW-1:0] take2_addr,   // its word
    output wire [2*ACC-1:0] word          // {projection field, gate field} read (zero if not)
);
  localparam GD = 4 << AW;  // gate memory words: address {field, word}

  initial begin
    if (DEPTH < 1 || PW > ACC || (1 << AW) < DEPTH || DEPTH > LUT_RAM_DEPTH) begin
      $display("%m: bad parameters DEPTH=%0d ACC=%0d PW=%0d AW=%0d LUT_RAM_DEPTH=%0d", DEPTH, ACC,
               PW, AW, LUT_RAM_DEPTH);
      $finish;
    end
  end

  reg w_valid_q;  // W: a MAC
  reg [AW-1:0] w_addr_q;
  reg [2:0] w_field_q;
  reg [PW-1:0] w_product_q;
  // forwarding as in rnnfab_acc_mem: compare in M, sum register reset unless forwarding
  (* keep *) wire fw_match = mac_valid && w_valid_q && mac_addr == w_addr_q &&
                             mac_field == w_field_q;
  reg [ACC-1:0] fw_q, g_mac_q, p_mac_q, g_rd_q, p_rd_q;
  wire [ACC-1:0] w_sum = {{(ACC - PW) {w_product_q[PW-1]}}, w_product_q} +
                         (fw_q | g_mac_q | p_mac_q);
  wire w_gate = w_valid_q && !w_field_q[2];
  wire w_proj = w_valid_q && w_field_q[2];
  wire [AW+1:0] g_w_addr = {w_field_q[1:0], w_addr_q};
  wire [AW+1:0] g_take_addr = {take_field, take_addr};
  always @(posedge clk) begin
    w_valid_q <= rst ? 1'b0 : mac_valid;
    w_addr_q <= mac_addr;
    w_field_q <= mac_field;
    w_product_q <= mac_product;
    fw_q <= fw_match ? w_sum : {ACC{1'b0}};
  end

  // live bits, word by word (decoders), per gate field and word and per projection word
  reg [GD-1:0] g_live_q, g_live_d;
  reg [DEPTH-1:0] p_live_q, p_live_d;
  integer a;
  always @* begin
    for (a = 0; a < GD; a = a + 1)
      g_live_d[a] = (g_live_q[a] && !(take && g_take_addr == a[AW+1:0])) ||
                    (w_gate && g_w_addr == a[AW+1:0]);
    for (a = 0; a < DEPTH; a = a + 1)
      p_live_d[a] = (p_live_q[a] && !(take2 && take2_addr == a[AW-1:0])) ||
                    (w_proj && w_addr_q == a[AW-1:0]);
  end
  (* ram_style = "auto" *)
  reg [ACC-1:0] g_mem[0:GD-1];
  (* ram_style = "auto" *)
  reg [ACC-1:0] p_mem[0:DEPTH-1];
  always @(posedge clk) begin
    g_live_q <= rst ? {GD{1'b0}} : g_live_d;
    p_live_q <= rst ? {DEPTH{1'b0}} : p_live_d;
    if (!rst && w_gate) g_mem[g_w_addr] <= w_sum;
    if (!rst && w_proj) p_mem[w_addr_q] <= w_sum;
  end
  // one asynchronous read per memory, two registers on each (the consumer's, the MAC's), each
  // reset when its read is not asked for or the word read is not live
  wire [AW+1:0] g_rd_addr = read ? {read_field, read_addr} : {mac_field[1:0], mac_addr};
  wire [AW-1:0] p_rd_addr = read2 ? read2_addr : mac_addr;
  wire [ACC-1:0] g_word = g_mem[g_rd_addr];
  wire [ACC-1:0] p_word = p_mem[p_rd_addr];
  wire g_live = g_live_q[g_rd_addr];
  wire p_live = p_live_q[p_rd_addr];
  wire g_mac_load = mac_valid && !mac_field[2] && !fw_match;
  wire p_mac_load = mac_valid && mac_field[2] && !fw_match;
  always @(posedge clk) begin
    if (!read || !g_live) g_rd_q <= {ACC{1'b0}};
    else g_rd_q <= g_word;
    if (!g_mac_load || !g_live) g_mac_q <= {ACC{1'b0}};
    else g_mac_q <= g_word;
    if (!read2 || !p_live) p_rd_q <= {ACC{1'b0}};
    else p_rd_q <= p_word;
    if (!p_mac_load || !p_live) p_mac_q <= {ACC{1'b0}};
    else p_mac_q <= p_word;
  end
  assign word = {p_rd_q, g_rd_q};
endmodule
`default_nettype wire
