`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_mv_bcr: the matrix-vector engine of one PE for the `bcr` weight format (docs/encoding.md,
// docs/architecture.md). The broadcast vector is written into a PE-local copy (random access by
// column); the PE walks its block records and streams its dense, column-major kept sub-blocks
// with no per-element index. Three decoupled units keep one multiply-accumulate per cycle:
//   descriptor reader (index port B): header, then the block's local rows into a row slot;
//                                     skips the column words; end markers close a segment
//   column reader     (index port A): the block's column indices, one per cycle, into a queue
//   issue unit:                        per column, one MAC per kept row; waits until the column's
//                                     value has been broadcast (column < bc_count)
// With LANES > 1 a row word is a line (PE-local rows line*LANES .. line*LANES + LANES-1) and a
// weight word holds the LANES weights of the line (lane l in bits [l*WB +: WB]): one kept column
// feeds LANES multipliers from one weight word, one column index and one vector read.
// With CODEBOOK = 1 a weight slot is a VAL_BITS-bit code (lane l in bits [l*VAL_BITS +: VAL_BITS])
// and each lane looks its weight up in a 2^VAL_BITS-word table (LUTs) in stage C1.
// With BCAST > 1 the bus carries BCAST consecutive columns per beat (the first at bc_col, a
// multiple of BCAST); the copy is BCAST banks, column c in bank c mod BCAST at c div BCAST, so a
// beat writes every bank once.
// Segments are one block-column wide (gen writes them so), so columns are needed in nearly
// increasing order and the engine overlaps the broadcast. Addresses wrap at the end of the
// memories: every time step walks all segments of all layers in encoding order.
module rnnfab_mv_bcr #(
    parameter AB = 16,                 // activation width
    parameter WB = 12,                 // weight width
    parameter IDX_W = 8,               // index-memory word width
    parameter HDR_ROW_BITS = 3,        // header field rowCount width (high field)
    parameter HDR_COL_BITS = 3,        // header field colCount width (low field)
    parameter WEIGHT_DEPTH = 1,        // used words of the weight memory (0 allowed)
    parameter INDEX_DEPTH = 1,         // words of the index memory
    parameter VEC_DEPTH = 2,           // words of the vector copy (longest phase vector)
    parameter ROW_W = 4,               // PE-local row width (holds every local row of the PE)
    parameter MAX_ROWS = 1,            // most kept rows of one block in one PE
    parameter BLOCK_COLS = 1,          // segment (block-column) width
    parameter SEG_W = 4,               // width of segment counts of a phase
    parameter LANES = 1,               // weights per weight word (MAC lanes)
    parameter BCAST = 1,               // columns per broadcast beat (power of two)
    parameter CODEBOOK = 0,            // 1: weight slots are codes into CODEBOOK_FILE
    parameter VAL_BITS = WB,           // code width (CODEBOOK = 1 only)
    // derived: phase column address width (holds VEC_DEPTH - 1); leave unset
    parameter COL_W = `RNNFAB_BITS_FOR(VEC_DEPTH - 1),
    parameter WEIGHT_FILE = "pe0_weights.hex",  // weight memory image
    parameter INDEX_FILE = "pe0_index.hex",     // index memory image
    parameter CODEBOOK_FILE = "codebook.hex"    // codebook image (CODEBOOK = 1 only)
) (
    input  wire             clk,           // clock
    input  wire             rst,           // synchronous reset
    input  wire             bc_valid,      // a column is broadcast this cycle
    input  wire [BCAST*AB-1:0] bc_data,    // its values, column bc_col + i in [i*AB +: AB]
    input  wire [COL_W-1:0] bc_col,        // the position of its first column in the phase vector
    input  wire [  COL_W:0] bc_count,      // columns of this phase already written
    input  wire             phase_start,   // a phase begins: walk its segments
    input  wire [SEG_W-1:0] phase_nseg,    // segments of the phase
    input  wire [SEG_W-1:0] phase_nseg0,   // segments of its first (input) part
    input  wire [COL_W-1:0] phase_cbase1,  // first column of its second (recurrent) part
    output wire             mac_valid,     // C1: accumulate mac_weight * mac_value into mac_row
    output wire [ROW_W-1:0] mac_row,       // C1: PE-local row of the product
    output wire             mac_hpart,     // C1: the column is in the recurrent part
    output wire [LANES*WB-1:0] mac_weight, // C1: the weights, lane l in [l*WB +: WB]
    output wire [   AB-1:0] mac_value,     // C1: the column's value
    output wire             idle           // all segments of the phase done, pipeline drained
);
  localparam SLOTS = 4;  // row slots (blocks in flight between the readers and the issue unit)
  localparam SL_W = 2;  // slot number width
  localparam COLQ_DEPTH = 4;  // column queue depth
  localparam WEIGHT_ALLOC = (WEIGHT_DEPTH > 0) ? WEIGHT_DEPTH : 1;
  localparam WM_W = `RNNFAB_BITS_FOR(WEIGHT_ALLOC - 1);  // weight memory index width
  localparam WA_W = `RNNFAB_BITS_FOR(WEIGHT_ALLOC);  // weight address counter width
  localparam IM_W = `RNNFAB_BITS_FOR(INDEX_DEPTH - 1);  // index memory index width
  // index address width: holds every address sum of the descriptor reader
  localparam IA_W = `RNNFAB_BITS_FOR(INDEX_DEPTH + (1 << HDR_ROW_BITS) + (1 << HDR_COL_BITS));
  localparam LB = $clog2(BCAST);  // beat lane index width
  localparam VB_DEPTH = `RNNFAB_CEIL_DIV(VEC_DEPTH, BCAST);  // words of a vector copy bank
  localparam VM_W = `RNNFAB_BITS_FOR(VB_DEPTH - 1);  // vector copy bank index width
  localparam [COL_W-1:0] LANE_MASK = BCAST - 1;  // a column's bank (beat lane)
  localparam MR_W = `RNNFAB_BITS_FOR(MAX_ROWS - 1);  // row index width inside a slot
  localparam RB_W = SL_W + MR_W;  // row buffer index: {slot, row}
  localparam RB_DEPTH = 1 << RB_W;  // row buffer words
  localparam [WA_W-1:0] WEIGHT_END = WEIGHT_DEPTH[WA_W-1:0];
  localparam [IA_W-1:0] INDEX_END = INDEX_DEPTH[IA_W-1:0];
  localparam [COL_W-1:0] SEG_STEP = BLOCK_COLS[COL_W-1:0];
  localparam SLOT_W = (CODEBOOK != 0) ? VAL_BITS : WB;  // stored bits per weight slot
  // descriptor: {col_addr, cols, rows, slot, base, hpart}
  localparam D_W = IA_W + HDR_COL_BITS + HDR_ROW_BITS + SL_W + COL_W + 1;
  // column entry: {vaddr, rows, slot, last, hpart}
  localparam C_W = COL_W + HDR_ROW_BITS + SL_W + 2;

  initial begin
    if (MAX_ROWS < 1 || MR_W > HDR_ROW_BITS || HDR_COL_BITS < 1 || ROW_W < 1) begin
      $display("%m: bad parameters MAX_ROWS=%0d HDR_ROW_BITS=%0d HDR_COL_BITS=%0d ROW_W=%0d",
               MAX_ROWS, HDR_ROW_BITS, HDR_COL_BITS, ROW_W);
      $finish;
    end
    if (VEC_DEPTH < 1 || (1 << COL_W) < VEC_DEPTH || BLOCK_COLS < 1 || SEG_W < 1 ||
        INDEX_DEPTH < 1 || WEIGHT_DEPTH < 0 || LANES < 1 || (1 << LB) != BCAST ||
        (CODEBOOK != 0 && (VAL_BITS < 1 || VAL_BITS > 16))) begin
      $display("%m: bad parameters VEC_DEPTH=%0d COL_W=%0d BLOCK_COLS=%0d SEG_W=%0d %s=%0d",
               VEC_DEPTH, COL_W, BLOCK_COLS, SEG_W, "INDEX_DEPTH", INDEX_DEPTH);
      $finish;
    end
  end

  // ---------------- Memories. Weights, index (two read ports: dual-port ROM) and the vector
  // copy banks (one write, one read port each) are read synchronously, so they map to block RAM.
  (* ram_style = "block" *) reg [LANES*SLOT_W-1:0] weight_mem[0:WEIGHT_ALLOC-1];
  (* ram_style = "block" *) reg [IDX_W-1:0] index_mem[0:INDEX_DEPTH-1];
  reg [ROW_W-1:0] row_buf[0:RB_DEPTH-1];
  initial $readmemh(WEIGHT_FILE, weight_mem);
  initial $readmemh(INDEX_FILE, index_mem);

  // ---------------- Descriptor reader (port B)
  localparam DR_DONE = 2'd0, DR_HEADER = 2'd1, DR_ROWS = 2'd2;
  reg [1:0] dr_state_q, dr_state_d;
  reg [IA_W-1:0] dr_addr_q, dr_addr_d;
  reg [IDX_W-1:0] dr_word_q;  // = index_mem[dr_addr_q]
  reg [SEG_W-1:0] dr_seg_q, dr_seg_d;
  reg [COL_W-1:0] dr_base_q, dr_base_d;
  reg dr_hpart_q, dr_hpart_d;
  reg [HDR_ROW_BITS-1:0] dr_rows_q, dr_rows_d, dr_row_q, dr_row_d;
  reg [HDR_COL_BITS-1:0] dr_cols_q, dr_cols_d;
  reg [IA_W-1:0] dr_next_q, dr_next_d;  // address of the next header
  reg [SL_W-1:0] dr_slot_q, dr_slot_d;
  reg [SLOTS-1:0] slot_busy_q, slot_busy_d;
  reg row_we;
  reg [RB_W-1:0] row_waddr;
  reg [ROW_W-1:0] row_wdata;
  reg desc_push;
  reg [D_W-1:0] desc_in;

  wire [HDR_ROW_BITS-1:0] header_rows = dr_word_q[HDR_ROW_BITS+HDR_COL_BITS-1:HDR_COL_BITS];
  wire [HDR_COL_BITS-1:0] header_cols = dr_word_q[HDR_COL_BITS-1:0];
  wire end_marker = (header_rows == {HDR_ROW_BITS{1'b0}}) && (header_cols == {HDR_COL_BITS{1'b0}});
  generate
    if (IDX_W > HDR_ROW_BITS + HDR_COL_BITS) begin : gen_header_unused
      wire unused_header_bits = &{1'b0, dr_word_q[IDX_W-1:HDR_ROW_BITS+HDR_COL_BITS]};
    end
  endgenerate
  wire [ROW_W-1:0] word_row;
  generate
    if (IDX_W >= ROW_W) begin : gen_row_narrow
      assign word_row = dr_word_q[ROW_W-1:0];
    end else begin : gen_row_wide
      assign word_row = {{(ROW_W - IDX_W) {1'b0}}, dr_word_q};
    end
  endgenerate
  wire [IA_W-1:0] dr_addr_plus = dr_addr_q + {{(IA_W - 1) {1'b0}}, 1'b1};

  always @* begin
    dr_state_d = dr_state_q;
    dr_addr_d = dr_addr_q;
    dr_seg_d = dr_seg_q;
    dr_base_d = dr_base_q;
    dr_hpart_d = dr_hpart_q;
    dr_rows_d = dr_rows_q;
    dr_row_d = dr_row_q;
    dr_cols_d = dr_cols_q;
    dr_next_d = dr_next_q;
    dr_slot_d = dr_slot_q;
    row_we = 1'b0;
    row_waddr = {RB_W{1'b0}};
    row_wdata = word_row;
    desc_push = 1'b0;
    desc_in = {dr_addr_q, dr_cols_q, dr_rows_q, dr_slot_q, dr_base_q, dr_hpart_q};
    if (phase_start) begin
      dr_state_d = DR_HEADER;
      dr_seg_d = {SEG_W{1'b0}};
      dr_base_d = {COL_W{1'b0}};
      dr_hpart_d = 1'b0;
    end else if (dr_state_q == DR_HEADER) begin
      if (end_marker) begin
        dr_addr_d = (dr_addr_plus == INDEX_END) ? {IA_W{1'b0}} : dr_addr_plus;
        if (dr_seg_q + 1'b1 == phase_nseg) begin
          dr_state_d = DR_DONE;
        end else begin
          dr_seg_d = dr_seg_q + 1'b1;
          if (dr_seg_q + 1'b1 == phase_nseg0) begin
            dr_base_d = phase_cbase1;
            dr_hpart_d = 1'b1;
          end else begin
            dr_base_d = dr_base_q + SEG_STEP;
          end
        end
      end else if (!slot_busy_q[dr_slot_q]) begin
        dr_state_d = DR_ROWS;
        dr_rows_d = header_rows;
        dr_cols_d = header_cols;
        dr_row_d = {HDR_ROW_BITS{1'b0}};
        dr_next_d = dr_addr_plus + {{(IA_W - HDR_ROW_BITS) {1'b0}}, header_rows} +
            {{(IA_W - HDR_COL_BITS) {1'b0}}, header_cols};
        dr_addr_d = dr_addr_plus;
      end
    end else if (dr_state_q == DR_ROWS) begin
      row_we = 1'b1;
      row_waddr = {dr_slot_q, dr_row_q[MR_W-1:0]};
      if (dr_row_q + 1'b1 == dr_rows_q) begin
        desc_push = 1'b1;
        // the block's column words start right after its last row word
        desc_in = {dr_addr_plus, dr_cols_q, dr_rows_q, dr_slot_q, dr_base_q, dr_hpart_q};
        dr_state_d = DR_HEADER;
        dr_addr_d = dr_next_q;
        dr_slot_d = dr_slot_q + 1'b1;
      end else begin
        dr_row_d = dr_row_q + 1'b1;
        dr_addr_d = dr_addr_plus;
      end
    end
  end

  // ---------------- Descriptor queue (SLOTS deep; a descriptor always owns a busy slot)
  reg [D_W-1:0] desc_mem[0:SLOTS-1];
  reg [SL_W-1:0] desc_wr_q, desc_rd_q;
  reg [SL_W:0] desc_count_q;
  wire desc_empty = (desc_count_q == {(SL_W + 1) {1'b0}});
  wire [D_W-1:0] desc_head = desc_mem[desc_rd_q];
  wire [IA_W-1:0] dh_addr = desc_head[D_W-1:D_W-IA_W];
  wire [HDR_COL_BITS-1:0] dh_cols = desc_head[D_W-IA_W-1:D_W-IA_W-HDR_COL_BITS];
  wire [HDR_ROW_BITS+SL_W+COL_W:0] dh_rest = desc_head[HDR_ROW_BITS+SL_W+COL_W:0];

  // ---------------- Column reader (port A)
  reg cr_valid_q, cr_valid_d;  // a block's columns are being read
  reg [IA_W-1:0] cr_addr_q, cr_addr_d;
  reg [IDX_W-1:0] cr_word_q;  // = index_mem[cr_addr_q]
  reg [HDR_COL_BITS-1:0] cr_cols_q, cr_cols_d, cr_col_q, cr_col_d;
  reg [HDR_ROW_BITS+SL_W+COL_W:0] cr_rest_q, cr_rest_d;  // {rows, slot, base, hpart}
  reg desc_pop;
  reg colq_push;
  reg [C_W-1:0] colq_in;
  wire colq_full;
  wire [HDR_ROW_BITS-1:0] cr_rows = cr_rest_q[HDR_ROW_BITS+SL_W+COL_W:SL_W+COL_W+1];
  wire [SL_W-1:0] cr_slot = cr_rest_q[SL_W+COL_W:COL_W+1];
  wire [COL_W-1:0] cr_base = cr_rest_q[COL_W:1];
  wire cr_hpart = cr_rest_q[0];
  wire [COL_W-1:0] word_col;
  generate
    if (IDX_W >= COL_W) begin : gen_col_narrow
      assign word_col = cr_word_q[COL_W-1:0];
      if (IDX_W > COL_W) begin : gen_col_unused
        wire unused_col_bits = &{1'b0, cr_word_q[IDX_W-1:COL_W]};
      end
    end else begin : gen_col_wide
      assign word_col = {{(COL_W - IDX_W) {1'b0}}, cr_word_q};
    end
  endgenerate
  wire cr_last = (cr_col_q + 1'b1 == cr_cols_q);
  always @* begin
    cr_valid_d = cr_valid_q;
    cr_addr_d = cr_addr_q;
    cr_cols_d = cr_cols_q;
    cr_col_d = cr_col_q;
    cr_rest_d = cr_rest_q;
    desc_pop = 1'b0;
    colq_push = 1'b0;
    colq_in = {cr_base + word_col, cr_rows, cr_slot, cr_last, cr_hpart};
    if (cr_valid_q && !colq_full) begin
      colq_push = 1'b1;
      if (cr_last) begin
        cr_valid_d = 1'b0;
      end else begin
        cr_col_d = cr_col_q + 1'b1;
        cr_addr_d = cr_addr_q + {{(IA_W - 1) {1'b0}}, 1'b1};
      end
    end
    if (!cr_valid_d && !desc_empty) begin
      desc_pop = 1'b1;
      cr_valid_d = 1'b1;
      cr_addr_d = dh_addr;
      cr_cols_d = dh_cols;
      cr_col_d = {HDR_COL_BITS{1'b0}};
      cr_rest_d = dh_rest;
    end
  end

  // ---------------- Column queue
  reg [C_W-1:0] colq_mem[0:COLQ_DEPTH-1];
  reg [1:0] colq_wr_q, colq_rd_q;
  reg [2:0] colq_count_q;
  assign colq_full = (colq_count_q == 3'd4);
  wire colq_empty = (colq_count_q == 3'd0);
  wire [C_W-1:0] colq_head = colq_mem[colq_rd_q];
  wire [COL_W-1:0] ch_vaddr = colq_head[C_W-1:C_W-COL_W];
  wire [HDR_ROW_BITS-1:0] ch_rows = colq_head[HDR_ROW_BITS+SL_W+1:SL_W+2];
  wire [SL_W-1:0] ch_slot = colq_head[SL_W+1:2];
  wire ch_last = colq_head[1];
  wire ch_hpart = colq_head[0];

  // ---------------- Issue unit
  reg [HDR_ROW_BITS-1:0] is_row_q, is_row_d;
  reg [WA_W-1:0] weight_addr_q, weight_addr_d;
  wire issue = !colq_empty && ({1'b0, ch_vaddr} < bc_count);
  wire colq_pop = issue && (is_row_q + 1'b1 == ch_rows);
  wire slot_free = colq_pop && ch_last;
  wire [RB_W-1:0] row_raddr = {ch_slot, is_row_q[MR_W-1:0]};
  wire [WA_W-1:0] weight_plus = weight_addr_q + {{(WA_W - 1) {1'b0}}, 1'b1};
  always @* begin
    is_row_d = is_row_q;
    weight_addr_d = weight_addr_q;
    if (issue) begin
      is_row_d = colq_pop ? {HDR_ROW_BITS{1'b0}} : is_row_q + 1'b1;
      weight_addr_d = (weight_plus == WEIGHT_END) ? {WA_W{1'b0}} : weight_plus;
    end
    slot_busy_d = slot_busy_q;
    if (slot_free) slot_busy_d[ch_slot] = 1'b0;
    if (dr_state_q == DR_HEADER && !phase_start && !end_marker && !slot_busy_q[dr_slot_q])
      slot_busy_d[dr_slot_q] = 1'b1;
  end

  // ---------------- Queue pointers
  reg [SL_W-1:0] desc_wr_d, desc_rd_d;
  reg [SL_W:0] desc_count_d;
  reg [1:0] colq_wr_d, colq_rd_d;
  reg [2:0] colq_count_d;
  always @* begin
    desc_wr_d = desc_push ? desc_wr_q + 1'b1 : desc_wr_q;
    desc_rd_d = desc_pop ? desc_rd_q + 1'b1 : desc_rd_q;
    desc_count_d = desc_count_q + {{SL_W{1'b0}}, desc_push} - {{SL_W{1'b0}}, desc_pop};
    colq_wr_d = colq_push ? colq_wr_q + 1'b1 : colq_wr_q;
    colq_rd_d = colq_pop ? colq_rd_q + 1'b1 : colq_rd_q;
    colq_count_d = colq_count_q + {2'd0, colq_push} - {2'd0, colq_pop};
  end

  // ---------------- Registers and memories
  always @(posedge clk) begin
    dr_word_q <= index_mem[dr_addr_d[IM_W-1:0]];
    cr_word_q <= index_mem[cr_addr_d[IM_W-1:0]];
    if (row_we) row_buf[row_waddr] <= row_wdata;
    if (desc_push) desc_mem[desc_wr_q] <= desc_in;
    if (colq_push) colq_mem[colq_wr_q] <= colq_in;
    if (rst) begin
      dr_state_q <= DR_DONE;
      dr_addr_q <= {IA_W{1'b0}};
      slot_busy_q <= {SLOTS{1'b0}};
      dr_slot_q <= {SL_W{1'b0}};
      desc_wr_q <= {SL_W{1'b0}};
      desc_rd_q <= {SL_W{1'b0}};
      desc_count_q <= {(SL_W + 1) {1'b0}};
      cr_valid_q <= 1'b0;
      cr_addr_q <= {IA_W{1'b0}};
      colq_wr_q <= 2'd0;
      colq_rd_q <= 2'd0;
      colq_count_q <= 3'd0;
      is_row_q <= {HDR_ROW_BITS{1'b0}};
      weight_addr_q <= {WA_W{1'b0}};
    end else begin
      dr_state_q <= dr_state_d;
      dr_addr_q <= dr_addr_d;
      slot_busy_q <= slot_busy_d;
      dr_slot_q <= dr_slot_d;
      desc_wr_q <= desc_wr_d;
      desc_rd_q <= desc_rd_d;
      desc_count_q <= desc_count_d;
      cr_valid_q <= cr_valid_d;
      cr_addr_q <= cr_addr_d;
      colq_wr_q <= colq_wr_d;
      colq_rd_q <= colq_rd_d;
      colq_count_q <= colq_count_d;
      is_row_q <= is_row_d;
      weight_addr_q <= weight_addr_d;
    end
    dr_seg_q <= dr_seg_d;
    dr_base_q <= dr_base_d;
    dr_hpart_q <= dr_hpart_d;
    dr_rows_q <= dr_rows_d;
    dr_row_q <= dr_row_d;
    dr_cols_q <= dr_cols_d;
    dr_next_q <= dr_next_d;
    cr_cols_q <= cr_cols_d;
    cr_col_q <= cr_col_d;
    cr_rest_q <= cr_rest_d;
  end

  // ---------------- C0 -> C1: weight, vector value and row
  reg c1_valid_q, c1_hpart_q;
  reg [LANES*SLOT_W-1:0] c1_weight_q;  // the weight word as stored (weights or codes)
  reg [ROW_W-1:0] c1_row_q;
  reg [COL_W-1:0] c1_lane_q;  // the bank of the column's value
  always @(posedge clk) begin
    c1_valid_q <= rst ? 1'b0 : issue;
    c1_hpart_q <= ch_hpart;
    c1_weight_q <= weight_mem[weight_addr_q[WM_W-1:0]];
    c1_row_q <= row_buf[row_raddr];
    c1_lane_q <= ch_vaddr & LANE_MASK;
  end
  // the vector copy: a beat writes bank i at bc_col div BCAST; the issue unit reads the column's
  // word in every bank and C1 selects its bank
  wire [COL_W-1:0] bc_word = bc_col >> LB;
  wire [COL_W-1:0] ch_word = ch_vaddr >> LB;
  wire [BCAST*AB-1:0] vec_rd;
  genvar lane;
  generate
    for (lane = 0; lane < BCAST; lane = lane + 1) begin : gen_vec_bank
      (* ram_style = "block" *) reg [AB-1:0] vec_mem[0:VB_DEPTH-1];
      reg [AB-1:0] rd_q;
      always @(posedge clk) begin
        if (bc_valid) vec_mem[bc_word[VM_W-1:0]] <= bc_data[lane*AB+:AB];
        rd_q <= vec_mem[ch_word[VM_W-1:0]];
      end
      assign vec_rd[lane*AB+:AB] = rd_q;
    end
  endgenerate
  wire [AB-1:0] c1_value = vec_rd[c1_lane_q*AB+:AB];

  // ---------------- C1: the weight read path (a codebook lookup per lane, or the word itself)
  wire [LANES*WB-1:0] c1_weights;
  generate
    if (CODEBOOK != 0) begin : gen_codebook
      reg [WB-1:0] codebook_rom[0:(1<<VAL_BITS)-1];
      initial $readmemh(CODEBOOK_FILE, codebook_rom);
      for (lane = 0; lane < LANES; lane = lane + 1) begin : gen_lookup
        assign c1_weights[lane*WB+:WB] = codebook_rom[c1_weight_q[lane*VAL_BITS+:VAL_BITS]];
      end
    end else begin : gen_linear
      assign c1_weights = c1_weight_q;
    end
  endgenerate
  wire unused_words = &{1'b0, bc_word, ch_word};  // high bits beyond a bank's address

  // ---------------- C1: the MAC (the PE multiplies and maps the row (line) to its accumulators)
  assign mac_valid = c1_valid_q;
  assign mac_row = c1_row_q;
  assign mac_hpart = c1_hpart_q;
  assign mac_weight = c1_weights;
  assign mac_value = c1_value;
  assign idle = (dr_state_q == DR_DONE) && desc_empty && !cr_valid_q && colq_empty &&
      !c1_valid_q;
endmodule
`default_nettype wire
