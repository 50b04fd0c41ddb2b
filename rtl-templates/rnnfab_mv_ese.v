`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_mv_ese: the matrix-vector engine of one PE for the `ese` weight format (docs/encoding.md,
// docs/architecture.md). Columns of the broadcast vector arrive one per cycle; the PE looks up
// the column's end in its pointer memory (read one column ahead) and queues {value, end} only
// when it has entries in that column, so an empty column costs the PE nothing. The consumer side
// streams the weight memory sequentially, one entry per cycle, decoding the relative row index:
//   C0: pop / issue weight address    C1: weight word -> row, weight: the MAC to the PE
// Pointer and weight addresses wrap at the end of the memories: every time step walks all
// segments of all layers in the order they were encoded.
// MAC lanes (LANES > 1): an entry is a line of LANES local rows (line v: rows v*LANES ..
// v*LANES + LANES-1); its LANES value fields fill a weight-memory word (lane 0 lowest) and its
// relative line index is the index-memory word at the same address; the two are read together
// into one entry {delta, fields}, and the engine walks lines exactly as it walks rows with one
// lane (mac_row is then the line, mac_weight the LANES weights; docs/architecture.md).
// Delta mode (DELTA = 1, docs/delta.md, "Hardware"): only the fired columns arrive, each with the
// pointer address of its first entry (bc_ptr) and its delta (AB + 1 bits); P0 reads the column's
// start and end from the pointer memory (two read ports), the queue holds both, and the consumer
// reads the weight memory at the column's own addresses (no sequential prefetch; a padding entry
// costs a cycle here). With PQUEUE = 1 (delta, early input, one layer) the projection columns
// (bc_hpart, rnnfab_delta_bc PDELTA) have a queue of their own, taken before the gate queue at
// every column's start, so that the projection's MACs, which the next step's recurrent part waits
// for, do not wait behind the next step's input part (docs/delta.md); proj_idle says that no
// projection column is queued or in the engine.
module rnnfab_mv_ese #(
    parameter AB = 16,                 // activation width
    parameter WB = 12,                 // weight width (and codebook word width)
    parameter IDX_BITS = 4,            // relative row index (delta) width
    parameter VAL_BITS = 12,           // value field width: WB, or the code width with a codebook
    parameter CODEBOOK = 0,            // 1: the value field is a code into CODEBOOK_FILE
    parameter PTR_W = 8,               // pointer word width (holds every weight address + 1)
    parameter WEIGHT_DEPTH = 1,        // used words of the weight memory (0 allowed)
    parameter POINTER_DEPTH = 2,       // words of the pointer memory
    parameter QUEUE_DEPTH = 8,         // activation queue entries (at least 5 are built)
    parameter ROW_W = 4,               // PE-local row width (holds every local row of the PE)
    parameter LANES = 1,               // MAC lanes: an entry holds the weights of a line of rows
    parameter WEIGHT_FILE = "pe0_weights.hex",  // weight memory image
    parameter POINTER_FILE = "pe0_pointers.hex",  // pointer memory image
    parameter INDEX_FILE = "pe0_index.hex",  // LANES > 1: index memory image (line deltas)
    parameter CODEBOOK_FILE = "codebook.hex",  // codebook image (CODEBOOK = 1 only)
    parameter DELTA = 0,               // 1: delta mode (fired columns by pointer address)
    parameter BP_W = 1,                // delta: width of bc_ptr (a pointer memory address)
    parameter PQUEUE = 0,              // delta: 1: projection columns (bc_hpart) queued apart
    // 1: the P1 word is bc_data_q, registered outside (one register for all PEs: the controller's
    // bc_data_q), and bc_data is unused; 0: this engine registers bc_data
    parameter P1_SHARED = 0,
    // 1: the segment-last flag comes a cycle ahead (bc_seg_last_pre, the controller's flag of the
    // column it issues next) and this engine registers it, equal to bc_seg_last whenever bc_valid;
    // 0: bc_seg_last itself
    parameter SEG_LAST_PRE = 0,
    // 1: the bus reaches this engine through the PE's bus stage (rnnfab_pe BUS_STAGE), a cycle
    // later: one more column is on its way when a stall request takes effect, so the queue has
    // one entry more and the stall threshold stays QUEUE_DEPTH - 4; 0: from the controller
    parameter BUS_STAGE = 0
) (
    input  wire               clk,          // clock
    input  wire               rst,          // synchronous reset
    input  wire               bc_valid,     // a column is broadcast this cycle
    input  wire [AB+DELTA-1:0] bc_data,     // its value (delta mode: the delta, AB + 1 bits)
    input  wire [AB+DELTA-1:0] bc_data_q,   // P1_SHARED: bc_data of the cycle before
    input  wire [   BP_W-1:0] bc_ptr,       // delta: pointer address of the column's first entry
    input  wire               bc_seg_last,  // it is the last column of its segment
    input  wire               bc_seg_last_pre,  // SEG_LAST_PRE: bc_seg_last a cycle ahead
    input  wire               bc_hpart,     // it belongs to the recurrent part (h) of the layer
    input  wire               hold,         // delta: take no entry this cycle (queue still fills)
    output wire               stall_req,    // registered: stop broadcasting (queue nearly full)
    output wire               mac_valid,    // C1: accumulate mac_weight * mac_value into mac_row
    output wire [  ROW_W-1:0] mac_row,      // C1: PE-local row (LANES > 1: line) of the MAC
    output wire               mac_hpart,    // C1: the column is in the recurrent part
    output wire [LANES*WB-1:0] mac_weight,  // C1: the weight(s), lane l in [l*WB +: WB]
    output wire [AB+DELTA-1:0] mac_value,   // C1: the column's value (or delta)
    output wire               idle,         // queue empty and pipeline drained
    output wire               proj_idle     // PQUEUE: no projection column queued or taken
);
  localparam LV_W = LANES * VAL_BITS;  // an entry's value fields
  localparam ENTRY_W = IDX_BITS + LV_W;  // an entry: {delta, fields}
  localparam WEIGHT_ALLOC = (WEIGHT_DEPTH > 0) ? WEIGHT_DEPTH : 1;  // at least one word
  localparam PA_W = `RNNFAB_BITS_FOR(POINTER_DEPTH + 1);  // pointer address counter width
  localparam PM_W = `RNNFAB_BITS_FOR(POINTER_DEPTH - 1);  // pointer memory index width
  localparam WM_W = `RNNFAB_BITS_FOR(WEIGHT_ALLOC - 1);  // weight memory index width
  localparam VW = AB + DELTA;  // value width on the bus and in the queue
  // queue entry: {hpart, start, end, value} (delta), {hpart, length, length is 1, is 2, value}
  localparam QF_W = (DELTA != 0) ? 2 * PTR_W : PTR_W + 2;  // its column fields
  localparam Q_W = 1 + QF_W + VW;

  initial begin
    if (QUEUE_DEPTH < 1 || POINTER_DEPTH < 2 || ROW_W < 1) begin
      $display("%m: bad parameters QUEUE_DEPTH=%0d POINTER_DEPTH=%0d ROW_W=%0d", QUEUE_DEPTH,
               POINTER_DEPTH, ROW_W);
      $finish;
    end
    if (IDX_BITS < 1 || PTR_W < 1 || (CODEBOOK == 0 && VAL_BITS < WB) || DELTA < 0 ||
        DELTA > 1 || (DELTA != 0 && BP_W != PM_W) ||
        !`RNNFAB_LANES_OK(LANES)) begin
      $display("%m: bad entry format IDX_BITS=%0d VAL_BITS=%0d WB=%0d PTR_W=%0d DELTA=%0d %s=%0d",
               IDX_BITS, VAL_BITS, WB, PTR_W, DELTA, "LANES", LANES);
      $finish;
    end
    if (PQUEUE != 0 && DELTA == 0) begin
      $display("%m: PQUEUE=1 needs DELTA=1");
      $finish;
    end
    if (BUS_STAGE < 0 || BUS_STAGE > 1 || (BUS_STAGE != 0 && DELTA != 0)) begin
      $display("%m: BUS_STAGE=%0d must be 0 or 1 (0 with DELTA)", BUS_STAGE);
      $finish;
    end
    if (P1_SHARED < 0 || P1_SHARED > 1) begin
      $display("%m: P1_SHARED=%0d must be 0 or 1", P1_SHARED);
      $finish;
    end
    if (WEIGHT_DEPTH < 0 || WEIGHT_DEPTH >= (1 << PTR_W)) begin
      $display("%m: PTR_W=%0d cannot address WEIGHT_DEPTH=%0d weights", PTR_W, WEIGHT_DEPTH);
      $finish;
    end
  end

  // ---------------- Memories (all read synchronously: the read data is registered directly,
  // so they map to block RAM; the weight memory's two read ports make it a dual-port ROM). The
  // entries (gen_entries below) are read at two prefetch addresses (dense) or at the delta
  // consumer's address (delta mode) into mem_rd0, mem_rd1, mem_rdd, registers.
  (* ram_style = "block" *) reg [PTR_W-1:0] pointer_mem[0:POINTER_DEPTH-1];
  initial $readmemh(POINTER_FILE, pointer_mem);
  wire [ENTRY_W-1:0] mem_rd0, mem_rd1, mem_rdd;

  // ---------------- Entries: LANES = 1, one memory of {delta, value} words; LANES > 1, the weight
  // memory (LANES value fields per word) beside the index memory (the line deltas), both read at
  // the same addresses (mem_addr0, mem_addr1: prefetch; mem_addrd: delta mode)
  wire [WM_W-1:0] mem_addr0, mem_addr1, mem_addrd;
  reg [ENTRY_W-1:0] mem_rd0_q, mem_rd1_q, mem_rdd_q;
  assign {mem_rd0, mem_rd1, mem_rdd} = {mem_rd0_q, mem_rd1_q, mem_rdd_q};
  generate
    if (LANES > 1) begin : gen_line_entries
      (* ram_style = "block" *) reg [LV_W-1:0] weight_mem[0:WEIGHT_ALLOC-1];
      (* ram_style = "block" *) reg [IDX_BITS-1:0] index_mem[0:WEIGHT_ALLOC-1];
      initial $readmemh(WEIGHT_FILE, weight_mem);
      initial $readmemh(INDEX_FILE, index_mem);
      always @(posedge clk) begin
        mem_rd0_q <= {index_mem[mem_addr0], weight_mem[mem_addr0]};
        mem_rd1_q <= {index_mem[mem_addr1], weight_mem[mem_addr1]};
        mem_rdd_q <= {index_mem[mem_addrd], weight_mem[mem_addrd]};
      end
    end else begin : gen_row_entries
      (* ram_style = "block" *) reg [ENTRY_W-1:0] weight_mem[0:WEIGHT_ALLOC-1];
      initial $readmemh(WEIGHT_FILE, weight_mem);
      always @(posedge clk) begin
        mem_rd0_q <= weight_mem[mem_addr0];
        mem_rd1_q <= weight_mem[mem_addr1];
        mem_rdd_q <= weight_mem[mem_addrd];
      end
    end
  endgenerate

  // ---------------- Push side, in two stages (a block RAM's output only goes into a register):
  //   P0: the column on the bus; the pointer memory, addressed one column ahead, gives its end
  //   P1: the column and its end registered; a non-empty column is pushed into the queue
  // In delta mode (DELTA = 1) the pointer memory is read at the column's own pointer address in
  // P0 (its start and its end), and its output is registered once more before the length test:
  //   P1: the start and end out of the block RAM (its output register), the column registered
  //   P2: all registered again; a non-empty column is pushed into the queue
  // (the length test right after the block RAM's output was the delta datapath's critical path,
  // docs/timing.md).
  // Every column on the bus is taken (the bus does not wait): the PE asks the controller to stop
  // broadcasting with a registered stall, raised while the queue holds STALL_SLACK entries less
  // than it has, which leaves room for the columns already on their way. The controller
  // registers the OR of the requests (bc_stall_q) before its issue stage sees it; a column issued
  // in cycle t is pushed at the end of t + 2 (delta: t + 3), and the issue in t needed a queue
  // below STALL_AT in t - 2, so at most five columns (issued t - 4 ... t; delta: six) land on a
  // count of at most STALL_AT - 1: STALL_AT + 4 entries (delta: + 5). The queue has QUEUE_DEPTH
  // entries, at least STALL_SLACK + 1. Without DELTA the request is raised a cycle ahead (from
  // the count the queue will hold: stall_q holds this cycle's count's test, not the last's) and
  // the controller registers the OR twice (rnnfab_ctrl STALL_LATE): the same issues stop.
  // (BUS_STAGE: a column issued in t is pushed at the end of t + 3, six columns on their way)
  localparam STALL_SLACK = ((DELTA != 0) ? 5 : 4) + BUS_STAGE;  // entries past the threshold
  // queue entries
  localparam QUEUE_ALLOC = `RNNFAB_MAX(QUEUE_DEPTH + BUS_STAGE, STALL_SLACK + 1);
  localparam QA_W = `RNNFAB_BITS_FOR(QUEUE_ALLOC - 1);  // queue address width
  localparam QC_W = `RNNFAB_BITS_FOR(QUEUE_ALLOC);  // queue count width
  localparam STALL_AT_I = QUEUE_ALLOC - STALL_SLACK, QUEUE_LAST_I = QUEUE_ALLOC - 1;
  localparam [QC_W-1:0] STALL_AT = STALL_AT_I[QC_W-1:0];  // stall from this count on
  localparam [QA_W-1:0] QUEUE_LAST = QUEUE_LAST_I[QA_W-1:0];  // last queue address
  localparam integer COUNT_ONE_I = 1, COUNT_TWO_I = 2, COUNT_THREE_I = 3;
  localparam [QC_W-1:0] COUNT_ONE = COUNT_ONE_I[QC_W-1:0];  // (QUEUE_ALLOC >= 5: all fit QC_W)
  localparam [QC_W-1:0] COUNT_TWO = COUNT_TWO_I[QC_W-1:0], COUNT_THREE = COUNT_THREE_I[QC_W-1:0];
  localparam [PA_W-1:0] PA_ONE = {{(PA_W - 1) {1'b0}}, 1'b1};
  // The pointer address after `address`: the next column (plus one more word after a segment's
  // last column), back to 1 at the end of the memory; {wrapped, address}. The end test compares
  // the address with a constant (address + 1 + seg_last >= depth), beside the adder rather than
  // after it: one carry chain in the step's cycle, not two (gru-8pe's path, docs/timing.md).
  localparam integer DEPTH_LESS1_I = POINTER_DEPTH - 1, DEPTH_LESS2_I = POINTER_DEPTH - 2;
  localparam [PA_W-1:0] DEPTH_LESS1 = DEPTH_LESS1_I[PA_W-1:0];
  localparam [PA_W-1:0] DEPTH_LESS2 = DEPTH_LESS2_I[PA_W-1:0];
  function [PA_W:0] pointer_step(input [PA_W-1:0] address, input seg_last);
    reg [PA_W-1:0] step;
    reg wraps;
    begin
      step = address + PA_ONE + {{(PA_W - 1) {1'b0}}, seg_last};
      wraps = seg_last ? (address >= DEPTH_LESS2) : (address >= DEPTH_LESS1);
      pointer_step = wraps ? {1'b1, PA_ONE} : {1'b0, step};
    end
  endfunction
  localparam [PA_W:0] RESET_STEP1 = pointer_step(PA_ONE, 1'b0);
  localparam [PA_W:0] RESET_STEP2 = pointer_step(PA_ONE, 1'b1);
  reg [PA_W-1:0] pointer_addr_q, pointer_addr_d;  // address of the offered column's end
  // the steps after pointer_addr_q, {wrapped, address}: after an ordinary column (step1) and
  // after a segment's last column (step2), so that the next address is a multiplexer
  reg [PA_W:0] step1_q, step1_d, step2_q, step2_d;
  reg [PTR_W-1:0] pointer_q;  // = pointer_mem[pointer_addr_q]: end of the offered column
  reg p1_valid_q, p1_hpart_q, p1_wrap_q;
  wire [VW-1:0] p1_data_q;  // the P1 word: registered here, or outside (P1_SHARED)
  reg [PTR_W-1:0] d_start_q, d_end_q;  // delta: the column's start and end (read in P0)
  reg [PTR_W-1:0] p1_end_q;  // end of the column in P1
  reg [PTR_W-1:0] last_end_q;  // end of the column before it (0 at the start of the memory)
  localparam integer ONE_I = 1, TWO_I = 2;
  localparam [PTR_W:0] END_ONE = ONE_I[PTR_W:0], END_TWO = TWO_I[PTR_W:0];
  reg [PTR_W:0] last_end1_q, last_end2_q;  // last_end_q + 1 and + 2
  // The queue: its oldest entry in the head registers (head_*), the others in queue_mem
  (* ram_style = (QUEUE_ALLOC > 128) ? "block" : "distributed" *)
  reg [Q_W-1:0] queue_mem[0:QUEUE_ALLOC-1];
  reg [QA_W-1:0] queue_wr_q, queue_wr_d, queue_rd_q, queue_rd_d;
  reg [QC_W-1:0] queue_count_q, queue_count_d;  // entries, the head's included
  reg queue_behind_d;  // queue_count_d > 1 (queue_behind_q below)
  reg stall_q;

  wire advance = bc_valid;
  wire push_any;  // a non-empty column enters a queue (P1; delta: P2)
  wire push_proj;  // PQUEUE: it is a projection column (the projection queue's)
  wire push = push_any && !push_proj;  // it enters the (gate) queue
  wire pushing;  // a column is in that stage (idle)
  wire proj_pushing;  // PQUEUE: a projection column is (proj_idle)
  wire [Q_W-1:0] push_entry;  // {hpart, column fields, value}
  generate
    if (DELTA != 0) begin : gen_delta_push
      // P0 reads the start and the end of the column on the bus (its pointer and the next); P2
      // holds them, and the column, registered once more
      wire [BP_W-1:0] bc_ptr_next = bc_ptr + 1'b1;
      reg p2_valid_q, p2_hpart_q;
      reg [VW-1:0] p2_data_q;
      reg [PTR_W-1:0] p2_start_q, p2_end_q;
      always @(posedge clk) begin
        d_start_q <= pointer_mem[bc_ptr];
        d_end_q <= pointer_mem[bc_ptr_next];
        p2_valid_q <= !rst && p1_valid_q;
        p2_hpart_q <= p1_hpart_q;
        p2_data_q <= p1_data_q;
        p2_start_q <= d_start_q;
        p2_end_q <= d_end_q;
      end
      assign push_any = p2_valid_q && (p2_start_q != p2_end_q);
      assign push_proj = (PQUEUE != 0) && p2_hpart_q;
      assign pushing = p1_valid_q || p2_valid_q;
      // PQUEUE: a projection column in P1 or P2
      assign proj_pushing = (PQUEUE != 0) &&
          ((p1_valid_q && p1_hpart_q) || (p2_valid_q && p2_hpart_q));
      assign push_entry = {p2_hpart_q, p2_start_q, p2_end_q, p2_data_q};
      wire unused_dense_sums = &{1'b0, last_end_q, last_end1_q, last_end2_q};
    end else begin : gen_dense_push
      always @(posedge clk) begin
        d_start_q <= {PTR_W{1'b0}};
        d_end_q <= {PTR_W{1'b0}};
      end
      assign push_any = p1_valid_q && (p1_end_q != last_end_q);
      assign push_proj = 1'b0;
      assign pushing = p1_valid_q;
      assign proj_pushing = 1'b0;
      wire unused_start_end = &{1'b0, d_start_q, d_end_q};
      // the column's length, and whether it is 1 or 2 (compared with registered sums)
      wire [PTR_W-1:0] p1_length = p1_end_q - last_end_q;
      wire p1_length1 = ({1'b0, p1_end_q} == last_end1_q);
      wire p1_length2 = ({1'b0, p1_end_q} == last_end2_q);
      assign push_entry = {p1_hpart_q, p1_length, p1_length1, p1_length2, p1_data_q};
      wire unused_delta_inputs = &{1'b0, bc_ptr};
    end
  endgenerate
  assign stall_req = stall_q;

  // The pointer walk's reset, registered in this PE (keep: Yosys's opt_merge would leave one copy
  // for all PEs). The walk's next address goes straight into the pointer memory's address; with
  // the global reset in it, the test `advance && !rst` was alike in every PE, and the one LUT left
  // of it drove every PE's block RAM address across the chip (lstmp-8pe on fa8b575, seeds 1 and 2:
  // the controller's `b1_valid_q` or `rst_q` -> that LUT -> another PE's pointer memory,
  // docs/timing.md). The walk leaves reset a cycle after the global reset (held 2 cycles or
  // more); no column is on the bus in that cycle (the controller's broadcast starts after a job),
  // so every address is the same as with the global reset.
  reg walk_rst_q;
  (* keep *)
  always @(posedge clk) walk_rst_q <= rst;
  // The column's segment-last flag, from a register of this PE (SEG_LAST_PRE; keep, as above):
  // the controller's bus register went to every PE's pointer memory address through the walk's
  // multiplexer (lstmp-16pe-ewg4, seed 1: b1_seg_last_q -> PE 0's pointer memory, docs/timing.md).
  // It is read only with bc_valid (the walk's step, p1_wrap_q under p1_valid_q), when it equals
  // bc_seg_last.
  wire seg_last;
  generate
    if (SEG_LAST_PRE != 0) begin : gen_seg_last_own
      reg seg_last_q;
      (* keep *)
      always @(posedge clk) seg_last_q <= bc_seg_last_pre;
      assign seg_last = seg_last_q;
      wire unused_seg_last_bus = &{1'b0, bc_seg_last};
    end else begin : gen_seg_last_bus
      assign seg_last = bc_seg_last;
      wire unused_seg_last_pre = &{1'b0, bc_seg_last_pre};
    end
  endgenerate

  always @* begin
    pointer_addr_d = pointer_addr_q;
    step1_d = step1_q;
    step2_d = step2_q;
    if (walk_rst_q) begin
      pointer_addr_d = PA_ONE;
      step1_d = RESET_STEP1;
      step2_d = RESET_STEP2;
    end else if (advance) begin
      pointer_addr_d = seg_last ? step2_q[PA_W-1:0] : step1_q[PA_W-1:0];
      step1_d = seg_last ? pointer_step(step2_q[PA_W-1:0], 1'b0) :
          pointer_step(step1_q[PA_W-1:0], 1'b0);
      step2_d = seg_last ? pointer_step(step2_q[PA_W-1:0], 1'b1) :
          pointer_step(step1_q[PA_W-1:0], 1'b1);
    end
  end
  // the broadcast column's P1 registers in this PE: keep, or Yosys's opt_merge leaves one copy of
  // the equal registers of all PEs, routed to every PE (docs/timing.md, session 27). The word
  // itself is registered once for all PEs where the controller offers it (P1_SHARED): its path
  // from a PE's bank through the controller's multiplexer ends in that register.
  (* keep *)
  always @(posedge clk) begin
    p1_valid_q <= rst ? 1'b0 : bc_valid;
    p1_hpart_q <= bc_hpart;
  end
  generate
    if (P1_SHARED != 0) begin : gen_p1_shared
      assign p1_data_q = bc_data_q;
      wire unused_bc_data = &{1'b0, bc_data};
    end else begin : gen_p1_own
      reg [VW-1:0] p1_data_r;
      (* keep *)
      always @(posedge clk) p1_data_r <= bc_data;
      assign p1_data_q = p1_data_r;
      wire unused_bc_data_q = &{1'b0, bc_data_q};
    end
  endgenerate
  always @(posedge clk) begin
    pointer_addr_q <= pointer_addr_d;
    step1_q <= step1_d;
    step2_q <= step2_d;
    p1_end_q <= pointer_q;
    p1_wrap_q <= seg_last ? step2_q[PA_W] : step1_q[PA_W];
    if (rst) begin
      last_end_q <= {PTR_W{1'b0}};
      last_end1_q <= END_ONE;
      last_end2_q <= END_TWO;
    end else if (p1_valid_q) begin
      last_end_q <= p1_wrap_q ? {PTR_W{1'b0}} : p1_end_q;
      last_end1_q <= p1_wrap_q ? END_ONE : {1'b0, p1_end_q} + END_ONE;
      last_end2_q <= p1_wrap_q ? END_TWO : {1'b0, p1_end_q} + END_TWO;
    end
  end

  // ---------------- Weight prefetch: the weight memory is read in order (every step walks all
  // entries of all segments), two words per cycle (two read ports): F1 registers them out of the
  // block RAM, F1B once more, a register that only loads the next (the place-and-route flow moves
  // it into the block RAM's output register: synth/pnr/bram_registers.ts), F2 once more in the
  // fabric, where their padding flags are formed, and at the end of F2 they enter an 8-entry
  // buffer. The buffer's padding flags are kept in order from its head (pf_pad_q[0] is the
  // head's), so that the consumer's decision reads registers only.
  localparam [3:0] PF_DEPTH = 4'd8;
  reg [ENTRY_W-1:0] pf_mem[0:7];
  reg [2:0] pf_wr_q, pf_rd_q;
  reg [3:0] pf_count_q, pf_count_d;  // entries in the buffer
  reg pf_some_q, pf_some_d, pf_two_q, pf_two_d;  // pf_count_q != 0, pf_count_q >= 2
  reg [7:0] pf_pad_q;  // padding flags of the buffered entries, from the head on
  reg [PTR_W-1:0] pf_addr_q, pf_addr_d;
  // pf_addr_q is the last weight address (pf_addr_q + 1 == WEIGHT_DEPTH), the one before (+ 2):
  // registers, so that the two addresses a cycle reads and the next pair's need one adder and a
  // multiplexer, not two increments with a wrap compare each in a row (docs/timing.md)
  reg pf_last0_q, pf_last0_d, pf_last1_q, pf_last1_d;
  reg pf_inflight_q;  // F1: a pair of words read last cycle is in pf_word0/1_q
  reg pf_mid_q;  // F1B: the pair is in pf_word0/1_b
  reg pf_ready_q;  // F2: the pair is in pf_word0/1_r and enters the buffer at the end of this cycle
  reg [ENTRY_W-1:0] pf_word0_b, pf_word1_b;  // F1B
  reg [ENTRY_W-1:0] pf_word0_r, pf_word1_r;  // F2
  wire [ENTRY_W-1:0] pf_word0_q = mem_rd0, pf_word1_q = mem_rd1;  // F1
  // the weight addresses a pair can move to from a (a + 2, 1 or 0 across the wrap), and whether
  // each is the last or the one before it; the wrap cases are constants
  localparam integer WD_I = WEIGHT_DEPTH;
  localparam integer AFTER_WRAP_I = (WD_I == 1) ? 0 : 1;  // the next of address 0
  localparam [PTR_W-1:0] AFTER_WRAP = AFTER_WRAP_I[PTR_W-1:0];
  localparam integer END_M3_I = (WD_I >= 3) ? WD_I - 3 : (1 << PTR_W);  // none: out of range
  localparam integer END_M4_I = (WD_I >= 4) ? WD_I - 4 : (1 << PTR_W);
  localparam [PTR_W:0] END_M3 = END_M3_I[PTR_W:0], END_M4 = END_M4_I[PTR_W:0];
  localparam LAST0_AT_WRAP = (AFTER_WRAP_I + 1 == WD_I);  // the flags after a wrap
  localparam LAST1_AT_WRAP = (AFTER_WRAP_I + 2 == WD_I);
  localparam LAST0_AT_0 = (WD_I == 1), LAST1_AT_0 = (WD_I == 2);
  wire [PTR_W-1:0] pf_addr1 = pf_last0_q ? {PTR_W{1'b0}} : pf_addr_q + 1'b1;
  wire unused_pf_addr1 = &{1'b0, pf_addr1};  // (its high bits where the memory is smaller)
  localparam [PTR_W-1:0] PF_STEP = TWO_I[PTR_W-1:0];  // a pair's step
  wire [PTR_W-1:0] pf_addr2 = pf_addr_q + PF_STEP;
  wire [3:0] pf_filled = pf_count_q + (pf_ready_q ? 4'd2 : 4'd0);  // after F2's write
  wire pf_issue = (WEIGHT_DEPTH > 0) &&
      (pf_filled + (pf_inflight_q ? 4'd2 : 4'd0) + (pf_mid_q ? 4'd2 : 4'd0) + 4'd2 <= PF_DEPTH);
  wire pad_word0 = (pf_word0_r[LV_W-1:0] == {LV_W{1'b0}});
  wire pad_word1 = (pf_word1_r[LV_W-1:0] == {LV_W{1'b0}});

  // ---------------- Consumer side (C0): one entry per cycle while the queue has a column; a
  // padding entry (value field 0: it only moves the row cursor) is taken together with the
  // entry after it, so padding costs no cycle. The decision (fire, take_two, pop) reads only
  // registers: the head of the queue and its column's remaining length flags, the buffer's count
  // flags and the head entry's padding flag.
  reg head_valid_q, head_valid_d;  // the queue has an entry (in the head registers)
  reg head_hpart_q;
  reg [VW-1:0] head_value_q;
  reg [QF_W-1:0] head_fields_q;  // delta: {start, end}; dense: as loaded (length, flags)
  reg [PTR_W-1:0] head_left_q, head_left_d;  // dense: entries of the head's column still to take
  reg head_left1_q, head_left1_d, head_left2_q, head_left2_d;  // head_left_q == 1, == 2
  localparam integer THREE_I = 3, FOUR_I = 4;
  localparam [PTR_W-1:0] LEFT_ONE = ONE_I[PTR_W-1:0], LEFT_TWO = TWO_I[PTR_W-1:0];
  localparam [PTR_W-1:0] LEFT_THREE = THREE_I[PTR_W-1:0], LEFT_FOUR = FOUR_I[PTR_W-1:0];
  // PQUEUE: the projection queue's head (gen_pqueue), taken before the gate head at a column's
  // start; cur_proj_q: the column being taken (past its first entry) is the projection head's
  wire ph_valid, pq_stall_at;
  wire [QF_W-1:0] ph_fields;
  wire [VW-1:0] ph_value;
  reg cur_proj_q;
  wire pick_proj = (PQUEUE != 0) && (column_first_q ? ph_valid : cur_proj_q);
  wire [QF_W-1:0] take_fields = pick_proj ? ph_fields : head_fields_q;
  wire [PTR_W-1:0] head_end = take_fields[PTR_W-1:0];  // delta mode only
  wire [PTR_W-1:0] head_start = take_fields[QF_W-1-:PTR_W];  // delta mode only
  wire [ENTRY_W-1:0] entry0 = pf_mem[pf_rd_q];
  wire [2:0] pf_rd_plus = pf_rd_q + 3'd1;  // (a named 3-bit wire: indices must wrap at 8)
  wire [2:0] pf_wr_plus = pf_wr_q + 3'd1;
  wire [ENTRY_W-1:0] entry1 = pf_mem[pf_rd_plus];
  reg [PTR_W-1:0] weight_addr_q, weight_addr_d;  // delta: index of the next entry to take
  reg column_first_q, column_first_d;  // the next entry is the first of its column
  // delta mode: the address of this cycle's entry (the head's start when it is a column's first)
  wire [PTR_W-1:0] d_addr = column_first_q ? head_start : weight_addr_q;
  wire [PTR_W:0] d_addr_plus1 = {1'b0, d_addr} + {{PTR_W{1'b0}}, 1'b1};
  // (a projection head is taken whatever the hold: the hold keeps the input part's MACs off M)
  wire fire = pick_proj || (head_valid_q && ((DELTA != 0) ? !hold : pf_some_q));
  wire take_two = (DELTA == 0) && fire && pf_pad_q[0] && pf_two_q;
  wire pop = fire && ((DELTA != 0) ? (d_addr_plus1 == {1'b0, head_end}) :
      (take_two ? head_left2_q : head_left1_q));
  wire pop_proj = pop && pick_proj;  // the projection head's column is done
  wire pop_gate = pop && !pick_proj;  // the (gate) head's
  // the head registers take the next entry: the oldest in queue_mem, else the one pushed now
  // entries behind the head (queue_count_q > 1): a register loaded from the count's next state's
  // flags, so that the head and push decisions (the queue's write pointer's enable among them)
  // read one bit, not the count's compare (lstmp-8pe's critical path at 36de417, docs/timing.md)
  reg queue_behind_q;
  wire queue_behind = queue_behind_q;
  wire head_free = !head_valid_q || pop_gate;
  wire load_mem = head_free && queue_behind;
  wire load_push = head_free && !queue_behind && push;
  // The head registers (and the column's length left) load whenever the head is free: when no
  // entry is there (none behind the head, none pushed) head_valid_q stays 0 and nothing reads
  // what they took. So their enable is the pop decision alone, and the choice of entry is the
  // queue's count alone, not the push side's end compare (docs/timing.md).
  wire [Q_W-1:0] load_entry = queue_behind ? queue_mem[queue_rd_q] : push_entry;
  wire [QF_W-1:0] load_fields = load_entry[VW+QF_W-1:VW];
  always @* begin
    weight_addr_d = weight_addr_q;
    column_first_d = column_first_q;
    if (fire) begin
      weight_addr_d = (DELTA != 0) ? d_addr_plus1[PTR_W-1:0] : weight_addr_q;
      column_first_d = pop;
    end
    // dense: the head column's entries left (loaded with a new head, else less what is taken)
    head_left_d = head_left_q;
    head_left1_d = head_left1_q;
    head_left2_d = head_left2_q;
    if (head_free) begin
      head_left_d = load_fields[QF_W-1-:PTR_W];
      head_left1_d = load_fields[1];
      head_left2_d = load_fields[0];
    end else if (fire) begin
      head_left_d = head_left_q - (take_two ? LEFT_TWO : LEFT_ONE);
      head_left1_d = take_two ? (head_left_q == LEFT_THREE) : (head_left_q == LEFT_TWO);
      head_left2_d = take_two ? (head_left_q == LEFT_FOUR) : (head_left_q == LEFT_THREE);
    end
    // the buffer after taking 0, 1 or 2 entries and F2's write: count flags and padding flags
    pf_addr_d = pf_addr_q;
    pf_last0_d = pf_last0_q;
    pf_last1_d = pf_last1_q;
    if (pf_issue) begin
      if (pf_last0_q) begin
        pf_addr_d = AFTER_WRAP;
        pf_last0_d = LAST0_AT_WRAP;
        pf_last1_d = LAST1_AT_WRAP;
      end else if (pf_last1_q) begin
        pf_addr_d = {PTR_W{1'b0}};
        pf_last0_d = LAST0_AT_0;
        pf_last1_d = LAST1_AT_0;
      end else begin
        pf_addr_d = pf_addr2;
        pf_last0_d = ({1'b0, pf_addr_q} == END_M3);
        pf_last1_d = ({1'b0, pf_addr_q} == END_M4);
      end
    end
    pf_count_d = pf_filled - (fire ? (take_two ? 4'd2 : 4'd1) : 4'd0);
    pf_some_d = fire ? (take_two ? (pf_filled > 4'd2) : (pf_filled > 4'd1)) : (pf_filled != 4'd0);
    pf_two_d = fire ? (take_two ? (pf_filled > 4'd3) : (pf_filled > 4'd2)) : (pf_filled > 4'd1);
    queue_wr_d = queue_wr_q;
    queue_rd_d = queue_rd_q;
    queue_count_d = queue_count_q;
    head_valid_d = head_free ? (queue_behind || push) : 1'b1;
    if (push && !load_push)
      queue_wr_d = (queue_wr_q == QUEUE_LAST) ? {QA_W{1'b0}} : queue_wr_q + 1'b1;
    if (load_mem) queue_rd_d = (queue_rd_q == QUEUE_LAST) ? {QA_W{1'b0}} : queue_rd_q + 1'b1;
    if (push && !pop_gate) queue_count_d = queue_count_q + 1'b1;
    else if (pop_gate && !push) queue_count_d = queue_count_q - 1'b1;
    // queue_count_d > 1, from compares on this cycle's count (the push and the pop only select)
    queue_behind_d = (push && !pop_gate) ? (queue_count_q >= COUNT_ONE) :
        (pop_gate && !push) ? (queue_count_q >= COUNT_THREE) : (queue_count_q >= COUNT_TWO);
  end
  // the stall test on the count the queue holds next cycle (without DELTA: the compares are made
  // on the count of this cycle, the push and the pop only select), else on this cycle's
  wire stall_d;
  generate
    if (DELTA == 0) begin : gen_stall_ahead
      localparam [QC_W-1:0] STALL_AT_M1 = STALL_AT - 1'b1, STALL_AT_P1 = STALL_AT + 1'b1;
      wire count_up = push && !pop_gate, count_down = pop_gate && !push;
      assign stall_d = count_up ? (queue_count_q >= STALL_AT_M1) :
          count_down ? (queue_count_q >= STALL_AT_P1) : (queue_count_q >= STALL_AT);
      wire unused_pq_stall = &{1'b0, pq_stall_at};  // (PQUEUE needs DELTA)
    end else begin : gen_stall_now
      assign stall_d = (queue_count_q >= STALL_AT) || pq_stall_at;
    end
  endgenerate
  always @(posedge clk) stall_q <= rst ? 1'b0 : stall_d;
  // The padding flag of the entry `position` places from the head once F2's pair has entered
  // (count: the entries before it; flags: theirs, from the head on; pad0, pad1: F2's pair).
  function pad_at(input [3:0] position, input [3:0] count, input [9:0] flags, input pad0,
                  input pad1);
    pad_at = (position < count) ? flags[position] : (position == count) ? pad0 : pad1;
  endfunction
  // the head's padding flag next cycle: the entry taken_count places on
  wire [7:0] pf_pad_d;
  genvar gp;
  generate
    for (gp = 0; gp < 8; gp = gp + 1) begin : gen_pad
      localparam integer P0_I = gp, P1_I = gp + 1, P2_I = gp + 2;
      localparam [3:0] P0 = P0_I[3:0], P1 = P1_I[3:0], P2 = P2_I[3:0];
      wire keep0 = pad_at(P0, pf_count_q, {2'b00, pf_pad_q}, pad_word0, pad_word1);
      wire keep1 = pad_at(P1, pf_count_q, {2'b00, pf_pad_q}, pad_word0, pad_word1);
      wire keep2 = pad_at(P2, pf_count_q, {2'b00, pf_pad_q}, pad_word0, pad_word1);
      assign pf_pad_d[gp] = fire ? (take_two ? keep2 : keep1) : keep0;
    end
  endgenerate
  // ---------------- PQUEUE: the projection queue, as the queue above (its head in ph_*)
  generate
    if (PQUEUE != 0) begin : gen_pqueue
      (* ram_style = "distributed" *)
      reg [Q_W-1:0] pq_mem[0:QUEUE_ALLOC-1];
      reg [QA_W-1:0] pq_wr_q, pq_rd_q;
      reg [QC_W-1:0] pq_count_q;  // entries, the head's included
      reg ph_valid_q;
      reg [QF_W-1:0] ph_fields_q;
      reg [VW-1:0] ph_value_q;
      wire pq_push = push_any && push_proj;
      wire pq_behind = (pq_count_q > {{(QC_W - 1) {1'b0}}, 1'b1});
      wire ph_free = !ph_valid_q || pop_proj;
      wire pq_load_mem = ph_free && pq_behind;
      wire pq_load_push = ph_free && !pq_behind && pq_push;
      wire [Q_W-1:0] pq_load = pq_load_mem ? pq_mem[pq_rd_q] : push_entry;
      always @(posedge clk) begin
        pq_mem[pq_wr_q] <= push_entry;  // (the slot at pq_wr_q is free, as queue_mem's)
        if (pq_load_mem || pq_load_push) begin
          ph_fields_q <= pq_load[VW+QF_W-1:VW];
          ph_value_q <= pq_load[VW-1:0];
        end
        if (rst) begin
          pq_wr_q <= {QA_W{1'b0}};
          pq_rd_q <= {QA_W{1'b0}};
          pq_count_q <= {QC_W{1'b0}};
          ph_valid_q <= 1'b0;
        end else begin
          ph_valid_q <= ph_free ? (pq_behind || pq_push) : 1'b1;
          if (pq_push && !pq_load_push)
            pq_wr_q <= (pq_wr_q == QUEUE_LAST) ? {QA_W{1'b0}} : pq_wr_q + 1'b1;
          if (pq_load_mem) pq_rd_q <= (pq_rd_q == QUEUE_LAST) ? {QA_W{1'b0}} : pq_rd_q + 1'b1;
          if (pq_push && !pop_proj) pq_count_q <= pq_count_q + 1'b1;
          else if (pop_proj && !pq_push) pq_count_q <= pq_count_q - 1'b1;
        end
      end
      assign {ph_valid, ph_fields, ph_value} = {ph_valid_q, ph_fields_q, ph_value_q};
      assign pq_stall_at = (pq_count_q >= STALL_AT);
      wire unused_pq_part = &{1'b0, pq_load[Q_W-1]};  // (every entry here is a projection's)
    end else begin : gen_no_pqueue
      assign {ph_valid, ph_fields, ph_value, pq_stall_at} = {(QF_W + VW + 2) {1'b0}};
      wire unused_pq = &{1'b0, pop_proj, push_proj, proj_pushing};
    end
  endgenerate
  wire [2:0] pf_wr_d = pf_ready_q ? pf_wr_q + 3'd2 : pf_wr_q;
  wire [2:0] pf_rd_d = fire ? pf_rd_q + (take_two ? 3'd2 : 3'd1) : pf_rd_q;

  always @(posedge clk) begin
    pointer_q <= pointer_mem[pointer_addr_d[PM_W-1:0]];
    // the queue's slot queue_wr_q is written every cycle: it is free (queue_mem holds at most
    // QUEUE_ALLOC - 1 entries, the head aside: the stall above), and only a push that does not
    // go to the head moves queue_wr_q past it; so the LUT RAM's write enables are the decode of
    // queue_wr_q alone, a register, not of the push and head decision (docs/timing.md)
    queue_mem[queue_wr_q] <= push_entry;
    if (head_free) begin
      head_hpart_q <= load_entry[Q_W-1];
      head_fields_q <= load_fields;
      head_value_q <= load_entry[VW-1:0];
    end
    head_left_q <= head_left_d;
    head_left1_q <= head_left1_d;
    head_left2_q <= head_left2_d;
    pf_word0_b <= pf_word0_q;
    pf_word1_b <= pf_word1_q;
    pf_word0_r <= pf_word0_b;
    pf_word1_r <= pf_word1_b;
    if (pf_ready_q) begin
      pf_mem[pf_wr_q] <= pf_word0_r;
      pf_mem[pf_wr_plus] <= pf_word1_r;
    end
    pf_pad_q <= pf_pad_d;
    if (rst) begin
      queue_wr_q <= {QA_W{1'b0}};
      queue_rd_q <= {QA_W{1'b0}};
      queue_count_q <= {QC_W{1'b0}};
      queue_behind_q <= 1'b0;
      head_valid_q <= 1'b0;
      weight_addr_q <= {PTR_W{1'b0}};
      column_first_q <= 1'b1;
      cur_proj_q <= 1'b0;
      pf_wr_q <= 3'd0;
      pf_rd_q <= 3'd0;
      pf_count_q <= 4'd0;
      pf_some_q <= 1'b0;
      pf_two_q <= 1'b0;
      pf_addr_q <= {PTR_W{1'b0}};
      pf_last0_q <= LAST0_AT_0;
      pf_last1_q <= LAST1_AT_0;
      pf_inflight_q <= 1'b0;
      pf_mid_q <= 1'b0;
      pf_ready_q <= 1'b0;
    end else begin
      queue_wr_q <= queue_wr_d;
      queue_rd_q <= queue_rd_d;
      queue_count_q <= queue_count_d;
      queue_behind_q <= queue_behind_d;
      head_valid_q <= head_valid_d;
      weight_addr_q <= weight_addr_d;
      column_first_q <= column_first_d;
      if (fire) cur_proj_q <= pick_proj;
      pf_wr_q <= pf_wr_d;
      pf_rd_q <= pf_rd_d;
      pf_count_q <= pf_count_d;
      pf_some_q <= pf_some_d;
      pf_two_q <= pf_two_d;
      pf_addr_q <= pf_addr_d;
      pf_last0_q <= pf_last0_d;
      pf_last1_q <= pf_last1_d;
      pf_inflight_q <= pf_issue;
      pf_mid_q <= pf_inflight_q;
      pf_ready_q <= pf_mid_q;
    end
  end

  assign mem_addr0 = pf_addr_q[WM_W-1:0];
  assign mem_addr1 = pf_addr1[WM_W-1:0];
  assign mem_addrd = d_addr[WM_W-1:0];

  // ---------------- C0 -> C1
  reg [ENTRY_W-1:0] c1_entry0_q, c1_word1_q;
  reg c1_valid_q, c1_first_q, c1_hpart_q, c1_pair_q;
  reg [VW-1:0] c1_value_q;
  always @(posedge clk) begin
    c1_entry0_q <= entry0;
    c1_word1_q <= entry1;
    c1_valid_q <= rst ? 1'b0 : fire;
    c1_pair_q <= take_two;
    c1_first_q <= column_first_q;
    c1_hpart_q <= pick_proj || head_hpart_q;
    c1_value_q <= pick_proj ? ph_value : head_value_q;
  end

  // the first entry taken: delta mode reads it at d_addr in C0 (mem_rdd), dense takes entry0
  wire [ENTRY_W-1:0] c1_word0_q = (DELTA != 0) ? mem_rdd : c1_entry0_q;
  generate
    if (DELTA != 0) begin : gen_delta_word
      wire unused_entry0 = &{1'b0, c1_entry0_q};
    end else begin : gen_dense_word
      wire unused_rdd = &{1'b0, mem_rdd};
    end
  endgenerate

  // ---------------- C1: row cursor and product (of the second entry of a padding pair)
  wire [IDX_BITS-1:0] delta0 = c1_word0_q[ENTRY_W-1:LV_W];
  wire [IDX_BITS-1:0] delta1 = c1_word1_q[ENTRY_W-1:LV_W];
  wire [LV_W-1:0] fields = c1_pair_q ? c1_word1_q[LV_W-1:0] : c1_word0_q[LV_W-1:0];
  wire unused_field0 = &{1'b0, c1_word0_q[LV_W-1:0]};  // 0 when paired
  wire [LANES*WB-1:0] weight;
  genvar gl;
  generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : gen_lane
      wire [VAL_BITS-1:0] field = fields[gl*VAL_BITS+:VAL_BITS];  // lane gl's value field
      if (CODEBOOK != 0) begin : gen_codebook
        reg [WB-1:0] codebook_rom[0:(1<<VAL_BITS)-1];
        initial $readmemh(CODEBOOK_FILE, codebook_rom);
        assign weight[gl*WB+:WB] = codebook_rom[field];
      end else begin : gen_linear
        assign weight[gl*WB+:WB] = field[WB-1:0];
        if (VAL_BITS > WB) begin : gen_wide_field
          wire unused_field = &{1'b0, field[VAL_BITS-1:WB]};
        end
      end
    end
  endgenerate
  // The row of every entry (padding included) is below the PE's row count, so it fits ROW_W
  // bits; the sum is formed RX_W bits wide because deltas may be wider than a row.
  localparam RX_W = ((ROW_W > IDX_BITS) ? ROW_W : IDX_BITS) + 2;
  reg [ROW_W-1:0] cursor_q, cursor_d;
  reg [RX_W-1:0] row_wide;
  wire [ROW_W-1:0] row = row_wide[ROW_W-1:0];
  wire unused_row_bits = &{1'b0, row_wide[RX_W-1:ROW_W]};
  always @* begin
    row_wide = (c1_first_q ? {RX_W{1'b0}} : {{(RX_W - ROW_W) {1'b0}}, cursor_q} + 1'b1) +
        {{(RX_W - IDX_BITS) {1'b0}}, delta0} +
        (c1_pair_q ? {{(RX_W - IDX_BITS) {1'b0}}, delta1} + 1'b1 : {RX_W{1'b0}});
    cursor_d = c1_valid_q ? row : cursor_q;
  end
  always @(posedge clk) cursor_q <= cursor_d;

  // ---------------- C1: the MAC (the PE multiplies and maps the row to its accumulator)
  assign mac_valid = c1_valid_q;
  assign mac_row = row;
  assign mac_hpart = c1_hpart_q;
  assign mac_weight = weight;
  assign mac_value = c1_value_q;
  assign idle = !head_valid_q && !ph_valid && !pushing && !c1_valid_q;
  assign proj_idle = (PQUEUE != 0) ? !ph_valid && !proj_pushing && !(c1_valid_q && c1_hpart_q) :
      idle;
endmodule
`default_nettype wire
