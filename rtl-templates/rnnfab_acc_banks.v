`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_acc_banks: the accumulators of one kind of a PE (the gate accumulators, or the
// projection accumulators) in LANES banks (docs/architecture.md, "MAC lanes"): row k lives in
// bank k mod LANES at word k div LANES, so the LANES products of a line (one per lane, lane l in
// mac_product[l*PW +: PW]) write LANES different banks in one cycle, each a rnnfab_acc_mem with
// its own read-modify-write port. The consumer (the element-wise unit, the requantizer) reads row
// read_k and takes it the next cycle (take_k): only the bank read holds a word (a bank not read
// outputs zero, rnnfab_acc_mem), so `word` is the OR of the banks' words, not a multiplexer
// (Yosys built a part-select of the banks' words as a shifter over all of them). With FIELDS2 > 0
// the last FIELDS2 fields are a second consumer's (read2_k, take2_k: the projection rows beside
// the gate fields, sharing each bank's adder; rnnfab_acc_mem). With SERIAL = 1 (FIELDS = 5,
// FIELDS2 = 1, reads at least 4 cycles apart) the banks are rnnfab_acc_serial, which read one
// gate field at a time: `read` reads gate field 0 of read_k, fields 1 .. 3 follow in the next 3
// cycles, each taken (cleared) the cycle after its read, and `word` holds the whole row in the
// cycle after field 3's read (`take` and take_k are not used); the second consumer's field is
// read as without SERIAL. DSP (SERIAL, and only where the Xilinx synthesis flow defines
// RNNFAB_DSP48E2: docs/architecture.md, "(a) the adder in the DSP slice"): each bank multiplies
// and adds in a DSP48E2 (rnnfab_acc_serial DSP) from the MAC's operands two cycles before M:
// mac_a (every lane's), lane l's mac_b in [l*OPB_W +: OPB_W]; mac_product is then not used.
// With GROUP = G > 1 (a power of two up to LANES, not SERIAL) a read reads G rows: read_k (a
// multiple of G) .. read_k + G - 1, which live in G neighbouring banks at one word; row
// read_k + i is `group_words[i*FIELDS*ACC +: FIELDS*ACC]` (the OR of the banks b with
// b mod G = i): the delta PE's element-wise read-ahead (rnnfab_pe.v MREAD), G cells a cycle.
// With GROUP = 1 `group_words` is `word`.
module rnnfab_acc_banks #(
    parameter LANES = 1,             // banks (MAC lanes: 1, 2, 4, ..., 64)
    parameter WORDS = 1,             // rows held (rounded up to whole lines)
    parameter FIELDS = 4,            // accumulator fields per word
    parameter ACC = 40,              // accumulator width
    parameter PW = 28,               // product width
    parameter LUT_RAM_DEPTH = 64,    // deepest memory left to LUT RAM
    parameter KEEP = 0,              // 1: a take leaves the word (rnnfab_acc_mem)
    parameter FIELDS2 = 0,           // the last FIELDS2 fields: the second consumer's
    parameter MW = 1,                // width of mac_line (at least the bank address width)
    parameter IW = 1,                // width of read_k, take_k (holds 0 .. WORDS - 1)
    parameter IW2 = 1,               // width of read2_k, take2_k
    parameter SERIAL = 0,            // 1: rnnfab_acc_serial banks (one gate field per cycle)
    parameter OPA_W = 1,             // DSP: mac_a width
    parameter OPB_W = 1,             // DSP: mac_b width (a lane's)
    parameter GROUP = 1,             // rows a read reads: read_k .. read_k + GROUP - 1
    parameter SAME_IN = 0,           // 1: mac_same is the forwarding compare (rnnfab_acc_mem)
    // derived: words per bank, bank address and field index widths; leave unset
    parameter BANK_DEPTH = (WORDS + LANES - 1) / LANES,
    parameter BAW = `RNNFAB_BITS_FOR(BANK_DEPTH - 1),
    parameter FW = `RNNFAB_BITS_FOR(FIELDS - 1)
) (
    input  wire                  clk,          // clock
    input  wire                  rst,          // synchronous reset: every word reads zero
    input  wire                  mac_valid,    // M: lane l adds its product to row line*L + l
    input  wire [      MW-1:0]   mac_line,     // M: the line (its low BAW bits: the bank word)
    input  wire [      FW-1:0]   mac_field,    // M: the field
    input  wire [LANES*PW-1:0]   mac_product,  // M: the products, lane l in [l*PW +: PW]
    input  wire                  mac_same,     // SAME_IN: M's line and field are the last MAC's
    input  wire [   OPA_W-1:0]   mac_a,        // DSP: M - 2: the first operand, every lane's
    input  wire [LANES*OPB_W-1:0] mac_b,       // DSP: M - 2: lane l's second operand
    input  wire                  read,         // the consumer reads row read_k
    input  wire [      IW-1:0]   read_k,       // its row
    input  wire                  take,         // the consumer takes row take_k (read before)
    input  wire [      IW-1:0]   take_k,       // its row
    input  wire                  read2,        // the second consumer reads row read2_k
    input  wire [     IW2-1:0]   read2_k,      // its row
    input  wire                  take2,        // the second consumer takes row take2_k
    input  wire [     IW2-1:0]   take2_k,      // its row
    output wire [FIELDS*ACC-1:0] word,         // the row read (zero if not live or not read)
    output wire [GROUP*FIELDS*ACC-1:0] group_words  // GROUP: rows read_k .. read_k + GROUP - 1
);
  localparam LB = `RNNFAB_BITS_FOR(LANES - 1);  // bank index width (1 for one bank)
  localparam WW = FIELDS * ACC;  // word width
  localparam BW = (SERIAL != 0) ? 2 * ACC : WW;  // a bank's word: {fifth field, gate field}
  localparam DSP = `RNNFAB_MAC_DSP(SERIAL, OPB_W, OPA_W, ACC);  // the banks multiply and add

  initial begin
    if (!`RNNFAB_LANES_OK(LANES) || WORDS < 1 ||
        MW < BAW || IW < 1 || IW2 < 1 ||
        (SERIAL != 0 && (FIELDS != 5 || FIELDS2 != 1 || KEEP != 0)) ||
        GROUP < 1 || (1 << $clog2(GROUP)) != GROUP || GROUP > LANES ||
        (GROUP > 1 && SERIAL != 0)) begin
      $display("%m: bad parameters LANES=%0d WORDS=%0d MW=%0d IW=%0d BAW=%0d KEEP=%0d GROUP=%0d",
               LANES, WORDS, MW, IW, BAW, KEEP, GROUP);
      $finish;
    end
  end

  // row k: bank k mod LANES, word k div LANES (XW bits: the shift loses nothing, and the bank
  // address is a part of it whatever the row widths)
  localparam XW = `RNNFAB_MAX(`RNNFAB_MAX(IW, IW2), BAW) + LB;
  // SERIAL: the gate field read (c_field of row c_k) and taken (t_*) in this cycle
  wire c_read, c_take;
  wire [1:0] c_field, t_field;
  wire [IW-1:0] c_k, t_k;
  generate
    if (SERIAL != 0) begin : gen_serial_reads
      reg [2:0] next_q;  // fields 1, 2, 3 of row k_q are read in this cycle
      reg [IW-1:0] k_q, t_k_q;
      reg t_q;
      reg [1:0] t_field_q;
      always @(posedge clk) begin
        next_q <= rst ? 3'b000 : {next_q[1:0], read};
        if (read) k_q <= read_k;
        t_q <= rst ? 1'b0 : c_read;
        t_field_q <= c_field;
        t_k_q <= c_k;
      end
      assign c_read = read || |next_q;
      assign c_field = next_q[0] ? 2'd1 : next_q[1] ? 2'd2 : next_q[2] ? 2'd3 : 2'd0;
      assign c_k = read ? read_k : k_q;
      assign {c_take, t_field, t_k} = {t_q, t_field_q, t_k_q};
      wire unused_take = &{1'b0, take, take_k};
    end else begin : gen_word_reads
      assign {c_read, c_field, c_k} = {read, 2'd0, read_k};
      assign {c_take, t_field, t_k} = {take, 2'd0, take_k};
      wire unused_fields = &{1'b0, c_field, t_field};  // SERIAL only
    end
  endgenerate
  wire [XW-1:0] read_ext = {{(XW - IW) {1'b0}}, c_k};
  wire [XW-1:0] take_ext = {{(XW - IW) {1'b0}}, t_k};
  wire [XW-1:0] read_word = LANES > 1 ? read_ext >> LB : read_ext;
  wire [XW-1:0] take_word = LANES > 1 ? take_ext >> LB : take_ext;
  wire [LANES*BW-1:0] bank_words;
  wire [XW-1:0] read2_ext = {{(XW - IW2) {1'b0}}, read2_k};
  wire [XW-1:0] take2_ext = {{(XW - IW2) {1'b0}}, take2_k};
  wire [XW-1:0] read2_word = LANES > 1 ? read2_ext >> LB : read2_ext;
  wire [XW-1:0] take2_word = LANES > 1 ? take2_ext >> LB : take2_ext;
  wire unused_rows = &{1'b0, read_word, take_word, read2_word, take2_word, mac_line};
  // SERIAL: the banks' read addresses, one multiplexer for all banks (rnnfab_acc_serial): the
  // consumers' while they read (no MAC of that memory is in flight then), else the MAC's
  wire [BAW+1:0] g_rd_addr;
  wire [BAW-1:0] p_rd_addr;
  generate
    if (SERIAL != 0) begin : gen_serial_addr
      assign g_rd_addr = c_read ? {c_field, read_word[BAW-1:0]} :
                                  {mac_field[1:0], mac_line[BAW-1:0]};
      assign p_rd_addr = read2 ? read2_word[BAW-1:0] : mac_line[BAW-1:0];
    end else begin : gen_no_serial_addr
      assign {g_rd_addr, p_rd_addr} = {(2 * BAW + 2) {1'b0}};
      wire unused_addr = &{1'b0, g_rd_addr, p_rd_addr};
    end
  endgenerate
  genvar b;
  generate
    for (b = 0; b < LANES; b = b + 1) begin : gen_bank
      localparam integer B_I = b;
      localparam [LB-1:0] BANK = B_I[LB-1:0];
      // GROUP: the bank's group (the bank index without its low log2(GROUP) bits)
      localparam integer GROUP_MASK_I = (1 << LB) - GROUP;
      localparam [LB-1:0] GROUP_MASK = GROUP_MASK_I[LB-1:0];
      wire here_read = LANES == 1 || (read_ext[LB-1:0] & GROUP_MASK) == (BANK & GROUP_MASK);
      wire here_take = LANES == 1 || take_ext[LB-1:0] == BANK;
      wire here_read2 = LANES == 1 || read2_ext[LB-1:0] == BANK;
      wire here_take2 = LANES == 1 || take2_ext[LB-1:0] == BANK;
      if (SERIAL != 0) begin : gen_serial
        wire unused_same = &{1'b0, mac_same};  // (rnnfab_acc_serial compares itself)
        rnnfab_acc_serial #(
            .DEPTH(BANK_DEPTH), .ACC(ACC), .PW(PW), .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .DSP(DSP),
            .OPA_W(OPA_W), .OPB_W(OPB_W)
        ) acc (
            .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_addr(mac_line[BAW-1:0]),
            .mac_field(mac_field), .mac_product(mac_product[b*PW+:PW]), .mac_a(mac_a),
            .mac_b(mac_b[b*OPB_W+:OPB_W]),
            .read(c_read && here_read), .rd_addr(g_rd_addr),
            .take(c_take && here_take), .take_field(t_field), .take_addr(take_word[BAW-1:0]),
            .read2(read2 && here_read2), .rd2_addr(p_rd_addr),
            .take2(take2 && here_take2), .take2_addr(take2_word[BAW-1:0]),
            .word(bank_words[b*BW+:BW])
        );
      end else begin : gen_fields
        wire unused_operands = &{1'b0, mac_a, mac_b[b*OPB_W+:OPB_W]};
        rnnfab_acc_mem #(
            .DEPTH(BANK_DEPTH), .FIELDS(FIELDS), .ACC(ACC), .PW(PW),
            .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(KEEP), .FIELDS2(FIELDS2), .SAME_IN(SAME_IN)
        ) acc (
            .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_addr(mac_line[BAW-1:0]),
            .mac_field(mac_field), .mac_product(mac_product[b*PW+:PW]), .mac_same(mac_same),
            .read(c_read && here_read), .read_addr(read_word[BAW-1:0]),
            .take(c_take && here_take), .take_addr(take_word[BAW-1:0]),
            .read2(read2 && here_read2), .read2_addr(read2_word[BAW-1:0]),
            .take2(take2 && here_take2), .take2_addr(take2_word[BAW-1:0]),
            .word(bank_words[b*WW+:WW])
        );
      end
    end
  endgenerate

  // only the bank read holds a word: OR the banks' words
  wire [BW-1:0] banks_or;
  genvar ob, obit, gi, gb, gbit;
  generate
    for (obit = 0; obit < BW; obit = obit + 1) begin : gen_or_bit
      wire [LANES-1:0] bit_of;  // bit obit of every bank's word
      for (ob = 0; ob < LANES; ob = ob + 1) begin : gen_or_bank
        assign bit_of[ob] = bank_words[ob*BW+obit];
      end
      if (SERIAL != 0 && LANES > 6) begin : gen_or_split
        // a 6-input OR kept apart, then the rest: two LUTs a bit (ABC built three)
        (* keep *) wire low6 = |bit_of[5:0];
        assign banks_or[obit] = low6 | (|bit_of[LANES-1:6]);
      end else begin : gen_or_whole
        assign banks_or[obit] = |bit_of;
      end
    end
  endgenerate
  generate
    if (SERIAL != 0) begin : gen_serial_word
      // gate fields 0 .. 2 held until field 3 is read: the row, in the cycle after that read
      // (a register a field with its own enable: a part-select write built a shifter in Yosys)
      reg [ACC-1:0] held0_q, held1_q, held2_q;
      always @(posedge clk) begin
        if (c_take && t_field == 2'd0) held0_q <= banks_or[ACC-1:0];
        if (c_take && t_field == 2'd1) held1_q <= banks_or[ACC-1:0];
        if (c_take && t_field == 2'd2) held2_q <= banks_or[ACC-1:0];
      end
      assign word = {banks_or[2*ACC-1:ACC], banks_or[ACC-1:0], held2_q, held1_q, held0_q};
      assign group_words = word;
    end else if (GROUP > 1) begin : gen_group_words
      // row read_k + i: the OR of the banks b with b mod GROUP = i (one of them holds it)
      for (gi = 0; gi < GROUP; gi = gi + 1) begin : gen_group_row
        for (gbit = 0; gbit < BW; gbit = gbit + 1) begin : gen_group_bit
          wire [LANES/GROUP-1:0] bit_of;
          for (gb = 0; gb < LANES / GROUP; gb = gb + 1) begin : gen_group_bank
            assign bit_of[gb] = bank_words[(gb*GROUP+gi)*BW+gbit];
          end
          assign group_words[gi*BW+gbit] = |bit_of;
        end
      end
      assign word = group_words[BW-1:0];
      wire unused_banks_or = &{1'b0, banks_or};
    end else begin : gen_word
      assign word = banks_or;
      assign group_words = word;
    end
  endgenerate
endmodule
`default_nettype wire
