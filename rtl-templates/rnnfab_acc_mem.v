`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_mem: an accumulator memory of the PE (docs/architecture.md, "The PE"): DEPTH words of
// FIELDS accumulator fields (ACC bits each, exact sums; one memory per field), updated by a
// pipelined multiply-accumulate read-modify-write through one synchronous read port each
// (block-RAM capable):
//   M (mac_valid): read the field          W: add the product to it, write the field back
// A MAC in W right after a MAC of the same field of the same word takes that MAC's sum
// (forwarding): its read came before that write. The consumer (the element-wise unit, the
// requantizer) reads a word through the same ports (`read`, never in a cycle with a MAC read)
// and takes it the next cycle (`take`): `word` is the word (zero after a cycle without `read`),
// and taking clears it (KEEP = 0; with KEEP = 1 the word stays and the next time step adds to
// it: the delta memories M of docs/delta.md). A field whose live bit is 0 reads as zero, so reset
// and a take clear a word in one cycle: the read register of a field is reset (synchronously)
// when the word read is not live or the field not read, so the zero costs no logic after the
// memory. With FIELDS2 > 0 the last FIELDS2 fields belong to a second consumer (`read2`,
// `take2`: the projection rows beside the gate fields, sharing the adder): its reads may come
// while MACs of its own fields run, never while MACs of the first consumer's fields run, and the
// first consumer's reads never while MACs of its fields run; a MAC of the second consumer's
// fields does not see the first consumer's fields. Memories deeper than LUT_RAM_DEPTH words are
// marked block RAM; the others are left to the synthesis tool (LUT RAM for these shallow, wide
// memories).
module rnnfab_acc_mem #(
    parameter DEPTH = 1,             // words
    parameter FIELDS = 4,            // accumulator fields per word
    parameter ACC = 40,              // accumulator width
    parameter PW = 28,               // product width (sign-extended to ACC)
    parameter LUT_RAM_DEPTH = 64,    // deepest memory left to LUT RAM
    parameter KEEP = 0,              // 1: a take leaves the word (delta memories M, docs/delta.md)
    parameter FIELDS2 = 0,           // the last FIELDS2 fields: the second consumer's (read2)
    // 1: mac_same says whether this MAC's word and field are the previous MAC's (both valid), a
    // register of the caller's computed a stage ahead; 0: compared here
    parameter SAME_IN = 0,
    // derived: word address and field index widths; leave unset
    parameter AW = `RNNFAB_BITS_FOR(DEPTH - 1),
    parameter FW = `RNNFAB_BITS_FOR(FIELDS - 1)
) (
    input  wire                  clk,          // clock
    input  wire                  rst,          // synchronous reset: every word reads zero
    input  wire                  mac_valid,    // M: add mac_product to field mac_field of mac_addr
    input  wire [      AW-1:0]   mac_addr,     // M: its word
    input  wire [      FW-1:0]   mac_field,    // M: its field
    input  wire [      PW-1:0]   mac_product,  // M: the product
    input  wire                  mac_same,     // SAME_IN: M's word and field are W's (both MACs)
    input  wire                  read,         // the consumer reads word read_addr
    input  wire [      AW-1:0]   read_addr,    // its word
    input  wire                  take,         // the consumer takes word take_addr (read before)
    input  wire [      AW-1:0]   take_addr,    // its word
    input  wire                  read2,        // the second consumer reads word read2_addr
    input  wire [      AW-1:0]   read2_addr,   // its word
    input  wire                  take2,        // the second consumer takes word take2_addr
    input  wire [      AW-1:0]   take2_addr,   // its word
    output wire [FIELDS*ACC-1:0] word          // the word read (zero if not live or not read)
);
  localparam WW = FIELDS * ACC;  // word width
  localparam integer FIELDS1 = FIELDS - FIELDS2;  // the first consumer's fields
  localparam [FW:0] FIELDS1_W = FIELDS1[FW:0];

  initial begin
    if (DEPTH < 1 || FIELDS < 1 || PW > ACC || (1 << AW) < DEPTH || (1 << FW) < FIELDS ||
        LUT_RAM_DEPTH < 0 || KEEP < 0 || KEEP > 1 || FIELDS2 < 0 || FIELDS2 >= FIELDS ||
        (FIELDS2 > 0 && DEPTH > LUT_RAM_DEPTH)) begin
      $display("%m: bad parameters DEPTH=%0d FIELDS=%0d ACC=%0d PW=%0d AW=%0d FW=%0d", DEPTH,
               FIELDS, ACC, PW, AW, FW);
      $finish;
    end
  end

  // One memory per field (ACC bits wide, one write port): a MAC writes only its field's memory,
  // so the adder and the forwarding compare are one field wide; the consumer reads every field's
  // memory at one address. A live bit per field and word.
  wire [WW-1:0] rd;  // read data of every field's memory (registered in the memory)
  reg w_valid_q;  // W: a MAC
  reg [AW-1:0] w_addr_q;
  reg [FW-1:0] w_field_q;
  reg [PW-1:0] w_product_q;
  // Forwarding: a MAC in M that follows a MAC of the same field and word in W (whose write lands
  // after M's read) takes that MAC's sum in its W. The compare is made in M, and both operands of
  // the next W are registers that hold zero unless they carry the base: the sum register fw_q
  // (reset unless forwarding) and the field's read register (reset when forwarding, when another
  // field is read, and when the word is not live). So the base of the W adder is the OR of the
  // fields' read registers and fw_q: no multiplexer before the adder.
  // With SAME_IN the compare comes from a register of the caller: the compare of the MAC's
  // address (fanned out to every field memory's read port) led into the read registers' resets
  // (lstmp-16pe-ewg4 seed 2: mac_addr -> fw_match -> mac_q, docs/timing.md).
  wire fw_same = (SAME_IN != 0) ? mac_same :
      w_valid_q && mac_addr == w_addr_q && mac_field == w_field_q;
  (* keep *) wire fw_match = mac_valid && fw_same;
  reg [ACC-1:0] fw_q;
  reg [ACC-1:0] w_base, w_sum;
  // With a second consumer (LUT RAM only: the parameter check) each field has a read register
  // of its own for the consumer beside the MAC's (SPLIT: flip-flops on the same read data), so
  // the MAC's registers hold only MAC reads and the base is a plain OR. (The masking of the first
  // consumer's fields below, for a block RAM, is not used: the Icarus end-to-end case of a
  // block-RAM LSTMP failed with it, cause not diagnosed; the PE keeps separate projection banks.)
  localparam SPLIT = (FIELDS2 > 0 && DEPTH <= LUT_RAM_DEPTH) ? 1 : 0;
  wire [WW-1:0] mac_rd;  // the MAC's read registers (rd itself without SPLIT)
  wire w_first = FIELDS2 == 0 || SPLIT != 0 || {1'b0, w_field_q} < FIELDS1_W;
  reg [ACC-1:0] first_or;
  integer field;
  always @* begin
    first_or = {ACC{1'b0}};
    for (field = 0; field < FIELDS1; field = field + 1)
      first_or = first_or | mac_rd[field*ACC+:ACC];
    w_base = fw_q | (w_first ? first_or : {ACC{1'b0}});
    for (field = FIELDS1; field < FIELDS; field = field + 1)
      w_base = w_base | mac_rd[field*ACC+:ACC];
    w_sum = {{(ACC - PW) {w_product_q[PW-1]}}, w_product_q} + w_base;
  end
  // keep: the field is the same in every PE whose banks agree, and one merged copy drove the
  // banks of all PEs (docs/timing.md, session 27)
  (* keep *)
  always @(posedge clk) w_field_q <= mac_field;
  always @(posedge clk) begin
    w_valid_q <= rst ? 1'b0 : mac_valid;
    w_addr_q <= mac_addr;
    w_product_q <= mac_product;
    fw_q <= fw_match ? w_sum : {ACC{1'b0}};
  end
  genvar f;
  generate
    if (FIELDS2 == 0) begin : gen_one_consumer
      wire unused_read2 = &{1'b0, read2, read2_addr, take2, take2_addr};
    end
    for (f = 0; f < FIELDS; f = f + 1) begin : gen_field
      localparam integer F_I = f;
      localparam [FW-1:0] F = F_I[FW-1:0];
      // the consumer of this field
      wire c_read = (f < FIELDS1) ? read : read2;
      wire c_take = (f < FIELDS1) ? take : take2;
      wire [AW-1:0] c_read_addr = (f < FIELDS1) ? read_addr : read2_addr;
      wire [AW-1:0] c_take_addr = (f < FIELDS1) ? take_addr : take2_addr;
      wire [AW-1:0] rd_addr = c_read ? c_read_addr : mac_addr;  // the address the field reads
      wire w_here = w_valid_q && w_field_q == F;  // W writes this field
      // live bits, word by word (a decoder: an indexed bit write builds shifters in Yosys)
      reg [DEPTH-1:0] live_q, live_d;
      integer a;
      always @* begin
        for (a = 0; a < DEPTH; a = a + 1)
          live_d[a] = (live_q[a] && !(c_take && KEEP == 0 && c_take_addr == a[AW-1:0])) ||
                      (w_here && w_addr_q == a[AW-1:0]);
      end
      (* ram_style = (DEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
      reg [ACC-1:0] acc_mem[0:DEPTH-1];
      // the read register loads the field for the consumer's read or this field's MAC (unless
      // it is forwarded), and is reset (synchronously) otherwise and when the word read is not
      // live (its live bit is final at the read: a MAC's pending write is forwarded, a
      // consumer's read comes after the last write and before the take); so zeroing costs no
      // logic after the memory (the flip-flops' reset input, a block RAM's output register
      // reset), the MAC's base is an OR of the fields, and a memory not read by the consumer
      // outputs zero (the PE ORs its lane banks' words instead of multiplexing them)
      wire mac_load = mac_valid && mac_field == F && !fw_match;
      reg [ACC-1:0] rd_q;
      always @(posedge clk) begin
        live_q <= rst ? {DEPTH{1'b0}} : live_d;
        if (!rst && w_here) acc_mem[w_addr_q] <= w_sum;
      end
      if (SPLIT != 0) begin : gen_split
        // LUT RAM: two registers (the consumer's, the MAC's). A consumer's read never comes in a
        // cycle with a MAC read of the field (the module's contract), so the MAC's register is
        // cleared from registers alone (mac_load and the live bit at mac_addr), never from the
        // consumer's read. The second consumer's read (read2: the controller's read-ahead of the
        // requantizer) gets a read port of its own, so the MAC's register does not depend on it
        // at all (the synthesis tool duplicates that field's LUT RAM; docs/timing.md).
        wire [AW-1:0] c_rd_addr = (f < FIELDS1) ? rd_addr : c_read_addr;
        wire [ACC-1:0] c_word = acc_mem[c_rd_addr];
        wire [ACC-1:0] mac_word;
        if (f < FIELDS1) begin : gen_first_port
          assign mac_word = c_word;  // rd_addr is mac_addr whenever mac_load
        end else begin : gen_second_port
          assign mac_word = acc_mem[mac_addr];
        end
        wire c_live = live_q[c_rd_addr];
        wire mac_live = live_q[mac_addr];
        reg [ACC-1:0] mac_q;
        always @(posedge clk) begin
          if (!c_read || !c_live) rd_q <= {ACC{1'b0}};
          else rd_q <= c_word;
          if (!mac_load || !mac_live) mac_q <= {ACC{1'b0}};
          else mac_q <= mac_word;
        end
        assign mac_rd[f*ACC+:ACC] = mac_q;
      end else begin : gen_shared
        always @(posedge clk) begin
          if (!(c_read || mac_load) || !live_q[rd_addr]) rd_q <= {ACC{1'b0}};
          else rd_q <= acc_mem[rd_addr];
        end
        assign mac_rd[f*ACC+:ACC] = rd_q;
      end
      assign rd[f*ACC+:ACC] = rd_q;
    end
  endgenerate
  assign word = rd;
endmodule
`default_nettype wire
