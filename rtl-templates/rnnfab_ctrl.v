`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_ctrl: the controller of the PE array (docs/architecture.md, "Controller").
//   - input buffer (rnnfab_in_buf): two slots of one time step's input; a step's columns can be
//     broadcast as soon as they arrive, and the next step's input is taken while the current
//     step computes
//   - broadcaster: one beat of BCAST columns per cycle to all PEs (B0: read the source, B1: on
//     the bus). A source element e lives in PE e mod N at bank address base + e div N, so the
//     BCAST elements of a beat (e a multiple of BCAST, which divides N) live in BCAST
//     neighbouring PEs at one address; elements still being written by the element-wise or
//     requantization step are waited for (write tracker)
//   - write sequencer: issues the element-wise step (K cells) or the projection requantization
//     (KP rows) to all PEs at one cell per cycle, and counts the rounds that have landed; with
//     EW_SEQS > 1 (a batch whose copies share one element-wise unit per PE) or EW_GROUP > 1 (PEs
//     sharing one unit in groups) each cell is issued EW_SEQS * EW_GROUP times, once per slot
//     (ew_pre_seq: sequence * EW_GROUP + the PE's place in its group), and its round lands with
//     the last slot's
//   - output streamer: reads the last layer's h, OUT_WORDS elements per beat (one bank address of
//     OUT_WORDS neighbouring PEs), into the output register
//   - main sequence per layer: A (matvec [x; h]) -> EW (with the projection matvec C overlapped)
//     -> D (requantize the projection); the next layer's A overlaps the D / EW writes.
module rnnfab_ctrl #(
    parameter N = 1,                   // number of PEs
    parameter LAYERS = 1,              // number of layers
    parameter IN0 = 1,                 // input size of layer 0
    parameter H = 1,                   // cells per layer
    parameter O = 1,                   // output size of a layer (P with projection, else H)
    parameter K = 1,                   // cells per PE
    parameter KP = 1,                  // projection rows per PE (1 without projection)
    parameter KO = 1,                  // output elements per PE
    parameter PROJ = 0,                // 1: LSTM with projection
    parameter AB = 16,                 // activation width
    parameter EW_LAT = 9,              // element-wise latency, issue to readable
    parameter BLOCK_COLS = 1,          // bcr segment width (columns)
    parameter BCAST = 1,               // columns per broadcast beat (a power of two dividing N)
    parameter EW_SEQS = 1,             // engine copies per PE (the batch; power of two)
    parameter EW_GROUP = 1,            // PEs sharing an element-wise unit (power of two)
    parameter RFIRST = 0,              // 1 (delta designs): a layer l > 0 walks its recurrent part first
    parameter OUT_WORDS = 1,           // output elements per beat (a power of two dividing N)
    parameter IN_WORDS = 1,            // input elements per beat (a power of two dividing BCAST)
    // 1 (delta designs with a delta-coded projection input): layer 0's input part of the next
    // step is broadcast in this step's projection phase when that input is buffered ("early
    // input", docs/delta.md)
    parameter XEARLY = 0,
    // cells of the memories M the PEs read a cycle ahead of the element-wise issue (rnnfab_pe.v
    // MREAD; 2 or 4 with XEARLY and MAC lanes), so mac_hold covers the first K / MREAD - 3 cells
    parameter MREAD = 1,
    // 1 (XEARLY, one layer): the PEs queue projection columns apart and take them first
    // (rnnfab_mv_ese PQUEUE), so the projection phase ends when every projection column is done
    // (all_proj_idle), while the next step's input part may still be in the engines
    parameter PQUEUE = 0,
    // 1: the PEs raise their stall requests a cycle ahead (rnnfab_mv_ese.v without DELTA), and
    // their OR is registered twice here: the second register sits by the issue decision, so the
    // long route from the PEs ends in a register instead of in the issue's logic; 0: once
    parameter STALL_LATE = 0,
    // 1: the engines' idle bits are ANDed in registered groups of IDLE_GROUP first, and drained_q
    // is one cycle later (designs of many PEs: the AND spans the chip); 0: one AND into drained_q
    parameter IDLE_PIPE = 0,
    // 1 (dense ese designs of many PEs): every PE registers the bus and its bank read data once
    // more (rnnfab_pe BUS_STAGE), so the broadcast word is chosen a cycle later here, from the
    // PEs' registered read data or the input elements registered beside them (B2); 0: in B1
    parameter BUS_STAGE = 0,
    // derived (rnnfab_pkg.vh): VEC_DEPTH, COL_W, SEG_W, KW, KPW, CA_W, HA_W, RA_W; leave unset
    parameter `RNNFAB_BUS_WIDTHS
) (
    input  wire              clk,           // clock
    input  wire              rst,           // synchronous reset, active high
    input  wire [IN_WORDS*AB-1:0] in_data,  // input stream data: element i + j in [j*AB +: AB]
    input  wire              in_valid,      // input stream valid
    output wire              in_ready,      // input stream ready
    output wire [OUT_WORDS*AB-1:0] out_data,  // output stream data: element e + i in [i*AB +: AB]
    output wire              out_valid,     // output stream valid
    input  wire              out_ready,     // output stream ready
    output wire              out_last,      // last element of a time step
    output wire              bc_valid,      // broadcast: column valid
    output wire [BCAST*AB-1:0] bc_data,     // broadcast: values, column bc_col + i in [i*AB +: AB]
    output wire [BCAST*AB-1:0] bc_data_q,   // bc_data of the cycle before (one register for all)
    output wire [ COL_W-1:0] bc_col,        // broadcast: position of the beat's first column
    output wire              bc_seg_last,   // broadcast: last column of a segment
    // bc_seg_last a cycle ahead: the flag of the column issued next (equal to bc_seg_last in the
    // cycle after an issue), for the PEs to register each (dense ese)
    output wire              bc_seg_last_pre,
    output wire              bc_hpart,      // broadcast: column of the recurrent part
    output wire [   COL_W:0] bc_count,      // broadcast: columns of this phase written
    input  wire              bc_stall,      // some PE asks to stop broadcasting (registered there)
    output wire              phase_start,   // a matrix-vector phase begins
    output wire              phase_proj,    // the phase is the projection
    output wire [`RNNFAB_BITS_FOR(LAYERS - 1)-1:0] phase_layer,  // the phase's layer (delta)
    output wire [  CA_W-1:0] phase_cbase,   // the phase's layer * K (delta: its memories M)
    output wire [ SEG_W-1:0] phase_nseg,    // bcr: segments of the phase
    output wire [ SEG_W-1:0] phase_nseg0,   // bcr: segments of the input part
    output wire [ COL_W-1:0] phase_cbase1,  // bcr: first column of the recurrent part
    // engine e of the PEs (PE p, copy s: p * EW_SEQS + s) drained; the top bit: the delta
    // broadcast's encoders drained (1 without delta)
    input  wire [N*EW_SEQS:0] idle_all,
    input  wire [N*EW_SEQS:0] proj_idle_all,  // PQUEUE: no projection column left, as idle_all
    output wire              ew_pre,        // element-wise issue next cycle (the PEs register it)
    output wire [    KW-1:0] ew_pre_k,      // its cell
    output wire [`RNNFAB_SEQ_W(EW_SEQS*EW_GROUP)-1:0] ew_pre_seq,  // its slot (copy, group place)
    output wire [  CA_W-1:0] ew_cbase,      // layer * K
    output wire [  HA_W-1:0] ew_hbase,      // layer * KO
    output wire              rq_issue,      // requantization issue
    output wire [   KPW-1:0] rq_k,          // its projection row
    output wire              rq_pre,        // rq_issue next cycle (the PEs read ahead)
    output wire [   KPW-1:0] rq_pre_k,      // its projection row
    output wire [  HA_W-1:0] rq_hbase,      // layer * KO
    output wire [  RA_W-1:0] rd_addr,       // PE bank read address (read every cycle)
    output wire              rd_m,          // read the m bank
    output wire              mac_hold,      // XEARLY: the PEs' engines take no column this cycle
    input  wire [N*AB-1:0]   rd_data_all,   // every PE's bank read data
    output wire              out_en,        // PE h bank read for the output (synchronous)
    output wire [  HA_W-1:0] out_addr,      // PE h bank read address for the output
    input  wire [N*AB-1:0]   out_data_all   // every PE's output read data
);
  localparam PE_W = `RNNFAB_BITS_FOR(N - 1);  // PE index width
  localparam IN0W = `RNNFAB_ALIGN(IN0, BCAST);  // input buffer slot stride (whole beats)
  localparam LB = $clog2(BCAST);  // beat lane index width (0: one column per beat)
  localparam LW = `RNNFAB_BITS_FOR(LAYERS - 1);  // layer index width
  localparam CNT_W = COL_W + 1;  // column counts
  localparam EW_ISSUES = EW_SEQS * EW_GROUP;  // issues per element-wise cell (its slots)
  localparam SQB = $clog2(EW_ISSUES);  // slot bits of a write sequencer count
  localparam KX = `RNNFAB_MAX(K * EW_ISSUES, KP);  // longest write job
  localparam WS_W = `RNNFAB_BITS_FOR(KX);  // write sequencer counter width
  localparam TRK_W = `RNNFAB_BITS_FOR(KX);  // write tracker rounds width
  // segments of the parts of a phase (a bcr segment is BLOCK_COLS columns wide, an ese one is
  // the whole part, so these counts only matter to bcr)
  localparam SEG_X0 = `RNNFAB_CEIL_DIV(IN0, BLOCK_COLS);  // layer 0's input part
  localparam SEG_O = `RNNFAB_CEIL_DIV(O, BLOCK_COLS);  // a later layer's input, a recurrent part
  localparam SEG_P = `RNNFAB_CEIL_DIV(H, BLOCK_COLS);  // a projection
  localparam PE_LAST_I = N - 1, LAST_LAYER_I = LAYERS - 1;
  localparam BEAT_PE_LAST_I = N - BCAST;
  localparam IN0W_I = IN0W, OW_I = `RNNFAB_ALIGN(O, BCAST);  // first column of part 1
  localparam OUT_BASE_I = KO * (LAYERS - 1);  // h bank address of the last layer's output
  // the constants above and the sizes, at the widths of the registers they meet
  localparam [PE_W-1:0] PE_LAST = PE_LAST_I[PE_W-1:0], BEAT_PE_LAST = BEAT_PE_LAST_I[PE_W-1:0];
  localparam [PE_W-1:0] BCAST_PE = BCAST[PE_W-1:0];  // (unused when BCAST = N)
  localparam [LW-1:0] LAST_LAYER = LAST_LAYER_I[LW-1:0];
  localparam [HA_W-1:0] OUT_BASE = OUT_BASE_I[HA_W-1:0], KO_HA = KO[HA_W-1:0];
  localparam [CA_W-1:0] K_CA = K[CA_W-1:0];
  localparam [CNT_W-1:0] IN0_C = IN0[CNT_W-1:0], O_C = O[CNT_W-1:0], H_C = H[CNT_W-1:0];
  localparam [CNT_W-1:0] IN0W_C = IN0W_I[CNT_W-1:0], OW_C = OW_I[CNT_W-1:0];
  localparam [CNT_W-1:0] BCAST_C = BCAST[CNT_W-1:0];
  localparam KS_I = K * EW_ISSUES, SEQ_LAST_I = EW_ISSUES - 1;
  localparam [WS_W-1:0] K_C = KS_I[WS_W-1:0], KP_C = KP[WS_W-1:0];
  localparam [WS_W-1:0] SEQ_LAST = SEQ_LAST_I[WS_W-1:0];
  localparam [SEG_W-1:0] SEG_X0_C = SEG_X0[SEG_W-1:0], SEG_O_C = SEG_O[SEG_W-1:0],
      SEG_P_C = SEG_P[SEG_W-1:0];
  // sources of the broadcaster
  localparam SRC_INPUT = 2'd0, SRC_H = 2'd1, SRC_M = 2'd2;
  // main states
  localparam ST_A = 3'd0, ST_A_WAIT = 3'd1, ST_EW = 3'd2, ST_EW_WAIT = 3'd3, ST_C_WAIT = 3'd4,
      ST_D = 3'd5, ST_X = 3'd7;
  // IDLE_PIPE: the idle bits (every engine's and the delta encoders'), in registered groups
  localparam IDLE_N = N * EW_SEQS + 1;
  localparam IDLE_GROUP = 4;  // idle bits ANDed into one register (one LUT4)
  localparam IDLE_GROUPS = (IDLE_N + IDLE_GROUP - 1) / IDLE_GROUP;

  initial begin
    if (N < 1 || LAYERS < 1 || IN0 < 1 || H < 1 || O < 1 || EW_LAT < 2 || BLOCK_COLS < 1 ||
        K * N < H || KO * N < O || (PROJ != 0 && KP * N < O)) begin
      $display("%m: inconsistent parameters N=%0d H=%0d O=%0d K=%0d KO=%0d KP=%0d", N, H, O, K,
               KO, KP);
      $finish;
    end
    if (EW_SEQS < 1 || EW_GROUP < 1 || (1 << SQB) != EW_ISSUES || (N % EW_GROUP) != 0) begin
      $display("%m: EW_SEQS=%0d and EW_GROUP=%0d must be powers of two, EW_GROUP dividing N=%0d",
               EW_SEQS, EW_GROUP, N);
      $finish;
    end
    if (BCAST < 1 || (1 << LB) != BCAST || (N % BCAST) != 0) begin
      $display("%m: BCAST=%0d must be a power of two that divides N=%0d", BCAST, N);
      $finish;
    end
    if (XEARLY != 0 && PROJ == 0) begin
      $display("%m: XEARLY=1 needs a projection (PROJ=1)");
      $finish;
    end
    if (PQUEUE != 0 && (XEARLY == 0 || LAYERS != 1)) begin
      $display("%m: PQUEUE=1 needs XEARLY=1 and one layer (LAYERS=%0d)", LAYERS);
      $finish;
    end
    if (IDLE_PIPE != 0 && IDLE_PIPE != 1) begin
      $display("%m: IDLE_PIPE=%0d must be 0 or 1", IDLE_PIPE);
      $finish;
    end
    if (BUS_STAGE < 0 || BUS_STAGE > 1 || (BUS_STAGE != 0 && (BCAST != 1 || RFIRST != 0))) begin
      $display("%m: BUS_STAGE=%0d must be 0 or 1; 1 needs BCAST=1 and RFIRST=0 (dense ese)",
               BUS_STAGE);
      $finish;
    end
    if (OUT_WORDS < 1 || (1 << $clog2(OUT_WORDS)) != OUT_WORDS || (N % OUT_WORDS) != 0) begin
      $display("%m: OUT_WORDS=%0d must be a power of two that divides N=%0d", OUT_WORDS, N);
      $finish;
    end
  end

  // ================= Input buffer (rnnfab_in_buf: two slots of a step's input)
  reg in_release;  // the broadcaster took the last input column of the read slot
  wire [BCAST*AB-1:0] b1_input;  // input elements: the input banks, read at the issue
  wire input_ready;  // the beat at job_e of the read slot is buffered
  wire next_input_buffered;  // the read slot holds a whole step
  wire b0_issue;
  wire in_rd_step, in_rd_restart;  // job_e next cycle: job_e + BCAST, 0 (the walk, below)
  rnnfab_in_buf #(
      .IN0(IN0), .AB(AB), .BCAST(BCAST), .IN_WORDS(IN_WORDS), .CNT_W(CNT_W)
  ) in_buf (
      .clk(clk), .rst(rst), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
      .rd_e(job_e), .rd_step(in_rd_step), .rd_restart(in_rd_restart), .rd_ready(input_ready),
      .slot_full(next_input_buffered), .rd_en(b0_issue),
      .rd_data(b1_input), .rd_release(in_release)
  );

  // ================= Write sequencer and tracker
  reg ws_active_q, ws_active_d;
  reg ws_rq_q, ws_rq_d;  // 1: requantization, 0: element-wise
  reg [WS_W-1:0] ws_count_q, ws_count_d, ws_total_q, ws_total_d;
  // the count is the job's last (count + 1 == total), a register loaded from the next state, so
  // that the issues the PEs take (ew_pre, rq_pre) need no adder and compare in their cycle
  reg ws_last_q;
  reg [EW_LAT-1:0] ws_pipe_q, ws_pipe_d;  // issued rounds in flight, landing at bit 0
  reg trk_on_q, trk_on_d;  // a bank is tracked (nothing is tracked after reset)
  reg trk_m_q, trk_m_d;  // the tracked bank is the m bank
  reg [LW-1:0] trk_layer_q, trk_layer_d;  // else the h bank of this layer
  reg [TRK_W-1:0] trk_rounds_q, trk_rounds_d;  // rounds written
  reg ws_start, ws_start_rq;
  reg [LW-1:0] ws_start_layer;
  reg [CA_W-1:0] ew_cbase_q;  // loaded in the cycle before an element-wise start (below)
  reg [HA_W-1:0] ew_hbase_q, ew_hbase_d;
  // the sequencer is idle: a register loaded from the next state, so it holds in cycle t what
  // !ws_active_q && ws_pipe_q == 0 held (the main sequence reads it from one register)
  reg ws_idle_q;
  wire ws_idle = ws_idle_q;
  // the tracker's next state in parts, which the readiness registers below (the broadcaster's,
  // the output streamer's) also read: the rounds written by next cycle unless a start, and the
  // bank a start tracks (the m bank, or else ws_start_layer's h bank)
  wire [TRK_W-1:0] trk_rounds_n = trk_rounds_q + {{(TRK_W - 1) {1'b0}}, ws_pipe_q[0]};
  wire trk_m_start = (PROJ != 0) && !ws_start_rq;
  always @* begin
    ws_active_d = ws_active_q;
    ws_rq_d = ws_rq_q;
    ws_count_d = ws_count_q;
    ws_total_d = ws_total_q;
    ws_pipe_d = ws_pipe_q >> 1;
    trk_on_d = trk_on_q;
    trk_m_d = trk_m_q;
    trk_layer_d = trk_layer_q;
    trk_rounds_d = trk_rounds_n;
    ew_hbase_d = ew_hbase_q;
    if (ws_active_q) begin
      if (ws_rq_q) ws_pipe_d[0] = 1'b1;
      else if ((ws_count_q & SEQ_LAST) == SEQ_LAST) ws_pipe_d[EW_LAT-1] = 1'b1;
      ws_count_d = ws_count_q + 1'b1;
      if (ws_last_q) ws_active_d = 1'b0;
    end
    if (ws_start) begin
      ws_active_d = 1'b1;
      ws_rq_d = ws_start_rq;
      ws_count_d = {WS_W{1'b0}};
      ws_total_d = ws_start_rq ? KP_C : K_C;
      trk_on_d = 1'b1;
      trk_m_d = trk_m_start;
      trk_layer_d = ws_start_layer;
      trk_rounds_d = {TRK_W{1'b0}};
      ew_hbase_d = KO_HA * {{(HA_W - LW) {1'b0}}, ws_start_layer};
    end
  end
  always @(posedge clk) begin
    if (rst) begin
      ws_active_q <= 1'b0;
      ws_idle_q <= 1'b1;
      ws_pipe_q <= {EW_LAT{1'b0}};
      trk_on_q <= 1'b0;
      trk_m_q <= 1'b0;
      trk_layer_q <= {LW{1'b0}};
      trk_rounds_q <= {TRK_W{1'b0}};
    end else begin
      ws_active_q <= ws_active_d;
      ws_idle_q <= !ws_active_d && (ws_pipe_d == {EW_LAT{1'b0}});
      ws_pipe_q <= ws_pipe_d;
      trk_on_q <= trk_on_d;
      trk_m_q <= trk_m_d;
      trk_layer_q <= trk_layer_d;
      trk_rounds_q <= trk_rounds_d;
    end
    ws_rq_q <= ws_rq_d;
    ws_count_q <= ws_count_d;
    ws_total_q <= ws_total_d;
    ws_last_q <= (ws_count_d + 1'b1 == ws_total_d);
    ew_hbase_q <= ew_hbase_d;
  end
  assign rq_issue = ws_active_q && ws_rq_q;
  assign rq_k = ws_count_q[KPW-1:0];
  // ew_pre, ew_pre_k, ew_pre_seq (ws_active_d && !ws_rq_d, ws_count_d's cell and sequence) and
  // rq_pre, rq_pre_k (ws_active_d && ws_rq_d, ws_count_d): registers loaded a cycle ahead, at
  // the end of the module (after the main sequence they depend on)
  assign ew_cbase = ew_cbase_q;
  assign ew_hbase = ew_hbase_q;
  assign rq_hbase = ew_hbase_q;

  // Whether the tracker follows the m bank (is_m) or the h bank of `layer`. Round k of a bank is
  // ready (round_ready in the comments below) when the tracker does not follow it, or k is below
  // the rounds written. A function of its arguments only (the tracker state is passed in).
  function tracks(input is_m, input [LW-1:0] layer, input on, input tracked_m,
                  input [LW-1:0] tracked_layer);
    tracks = on && is_m == tracked_m && (is_m || layer == tracked_layer);
  endfunction

  // The broadcaster and the output streamer walk the elements of a vector: element e lives in
  // PE e mod N at bank address base + e div N. A walk position is {e, e mod N, e div N}; the
  // position of element e + 1 (beat: e + BCAST) from that of element e:
  localparam WALK_W = CNT_W + PE_W + RA_W;
  function [WALK_W-1:0] walk_next(input [WALK_W-1:0] at, input beat);
    reg [CNT_W-1:0] e;
    reg [PE_W-1:0] pe;
    reg [RA_W-1:0] k;
    begin
      {e, pe, k} = at;
      if (beat)
        walk_next = (pe == BEAT_PE_LAST) ? {e + BCAST_C, {PE_W{1'b0}}, k + 1'b1} :
            {e + BCAST_C, pe + BCAST_PE, k};
      else
        walk_next = (pe == PE_LAST) ? {e + 1'b1, {PE_W{1'b0}}, k + 1'b1} :
            {e + 1'b1, pe + 1'b1, k};
    end
  endfunction

  // ================= Broadcaster
  reg job_active_q, job_active_d;  // columns remain to be issued
  reg job_part_q, job_part_d;  // 0: first part (the input part unless job_rfirst_q), 1: second
  // the recurrent part first (RFIRST, a gate phase of layer l > 0): it reads the layer's own h,
  // already written, while layer l - 1's write-back, the input part, is still on its way
  reg job_rfirst_q, job_rfirst_d;
  reg [1:0] job_src0_q, job_src0_d;  // source of part 0
  reg [LW-1:0] job_layer0_q, job_layer0_d;  // h bank layer of part 0
  reg [LW-1:0] job_layer1_q, job_layer1_d;  // h bank layer of part 1
  reg [CNT_W-1:0] job_len0_q, job_len0_d, job_len1_q, job_len1_d;
  reg [WALK_W-1:0] job_at_q, job_at_d;  // walk position of the element within the part
  wire [CNT_W-1:0] job_e = job_at_q[WALK_W-1-:CNT_W];  // e
  wire [PE_W-1:0] job_pe = job_at_q[PE_W+RA_W-1-:PE_W];  // e mod N
  wire [RA_W-1:0] job_k = job_at_q[RA_W-1:0];  // e div N
  reg [CNT_W-1:0] job_col_q, job_col_d;  // position in the phase vector
  reg b1_valid_q, b1_valid_d, b1_seg_last_q, b1_seg_last_d, b1_hpart_q, b1_hpart_d;
  reg [PE_W-1:0] b1_pe_q, b1_pe_d;  // a PE bank element: the PE whose rd_data holds it
  reg b1_from_input_q, b1_from_input_d;  // B1 holds input elements (b1_input)
  reg [COL_W-1:0] b1_col_q, b1_col_d;
  reg [CNT_W-1:0] bc_count_q, bc_count_d;
  reg job_start, job_start_proj;
  // XEARLY: a job of layer 0's input part alone (the next step's), or of its recurrent part alone
  // (the step whose input part went early)
  reg job_start_xonly, job_start_honly;
  reg [LW-1:0] job_start_layer;

  wire [1:0] cur_src = job_part_q ? SRC_H : job_src0_q;
  wire [LW-1:0] cur_layer = job_part_q ? job_layer1_q : job_layer0_q;
  wire [CNT_W-1:0] cur_len = job_part_q ? job_len1_q : job_len0_q;
  // The beat holds the part's last element (job_e + BCAST >= cur_len), and the round of the walk
  // position has been written (round_ready of cur_src, cur_layer, job_k and the tracker; a part
  // that reads the input asks the input buffer instead): registers loaded from the next state,
  // so that the issue decision (the enable of the walk's registers and of the banks' read address
  // in every PE) is a gate or two from registers (docs/timing.md). Their next values are computed
  // below from this cycle's registers, one compare per next position the cycle can give.
  reg job_last_q, job_ready_q;
  wire cur_last = job_last_q;
  wire source_ready = (cur_src == SRC_INPUT) ? input_ready : job_ready_q;
  // The bus never waits: every PE takes every column. A PE whose queue fills up raises its
  // registered stall request; their OR is registered once more here (STALL_LATE: twice, the PEs
  // raising theirs a cycle ahead) and stops the issue (B0); the PEs' queues have room for the
  // columns on their way (rnnfab_mv_ese.v, STALL_SLACK).
  reg bc_stall_q;
  always @(posedge clk) bc_stall_q <= rst ? 1'b0 : bc_stall;
  wire bc_stall_issue;  // the register the issue reads
  generate
    if (STALL_LATE != 0) begin : gen_stall_late
      // the OR's register is placed between the PEs; this one by the issue (lstmp-8pe's path
      // bc_stall_q -> b0_issue -> job_ready_q, 6.1 ns of its 7.6 ns routing, docs/timing.md)
      reg bc_stall_late_q;
      always @(posedge clk) bc_stall_late_q <= rst ? 1'b0 : bc_stall_q;
      assign bc_stall_issue = bc_stall_late_q;
    end else begin : gen_stall_once
      assign bc_stall_issue = bc_stall_q;
    end
  endgenerate
  wire b1_advance = b1_valid_q;
  assign b0_issue = job_active_q && source_ready && !bc_stall_issue;
  wire job_done = !job_active_q && !b1_valid_q;
  // how job_e (the walk position's element) changes, for the input buffer's readiness register:
  // to 0 at a start or after a part's last beat, by BCAST after another issue (job_at_d below)
  assign in_rd_restart = job_start || (b0_issue && cur_last);
  assign in_rd_step = !job_start && b0_issue && !cur_last;
  // The PEs read their banks every cycle (synchronously: the read data of an issue is B1's
  // element) at rd_addr, a register that always holds the bank address of the walk position, so
  // the address reaches every PE from a register (docs/timing.md). Its next value is chosen by
  // the issue from addresses computed from registers alone (the issue decision, source_ready,
  // has only a multiplexer after it): the next element's (+1 when the walk wraps to the next
  // bank word), the next part's first (the h bank of part 1's layer; a job that ends keeps its
  // part's base), or at a start the first part's first.
  function [RA_W-1:0] part_base(input [1:0] src, input [LW-1:0] layer);
    part_base = (src == SRC_M) ? {RA_W{1'b0}} :
        {{(RA_W - HA_W) {1'b0}}, KO_HA * {{(HA_W - LW) {1'b0}}, layer}};
  endfunction
  wire start_rfirst = (RFIRST != 0) && (job_start_layer != {LW{1'b0}});
  wire [1:0] start_src = job_start_proj ? SRC_M : job_start_honly ? SRC_H :
      (job_start_layer == {LW{1'b0}}) ? SRC_INPUT : SRC_H;
  // (a projection's part 0 reads the m bank from 0, whatever its layer; a recurrent part alone
  // is layer 0's own h)
  wire [LW-1:0] start_layer0 = (start_rfirst || job_start_honly) ? job_start_layer :
      job_start_layer - 1'b1;
  wire part_switch = !job_part_q && job_len1_q != {CNT_W{1'b0}};  // cur_last: on to part 1
  reg [RA_W-1:0] rd_addr_q;
  wire rd_word_next = (job_pe == BEAT_PE_LAST);  // the walk's next beat is in the next word
  wire [RA_W-1:0] rd_addr_issue = !cur_last ? rd_addr_q + {{(RA_W - 1) {1'b0}}, rd_word_next} :
      part_switch ? part_base(SRC_H, job_layer1_q) : part_base(cur_src, cur_layer);
  reg rd_m_q;
  always @(posedge clk) begin
    rd_addr_q <= job_start ? part_base(start_src, start_layer0) :
        b0_issue ? rd_addr_issue : rd_addr_q;
    rd_m_q <= job_start ? (start_src == SRC_M) :
        (b0_issue && cur_last && part_switch) ? 1'b0 : rd_m_q;
  end
  assign rd_addr = rd_addr_q;
  assign rd_m = rd_m_q;
  // job_ready_q's next value, round_ready(the next source is the m bank, its bank layer, job_at_d's
  // round; trk_on_d, trk_m_d, trk_layer_d, trk_rounds_d), for each thing the cycle can do: a
  // start's first part (round 0), or an issue's next beat (the round + 1 when the walk wraps to
  // the next bank word), the next part's first (round 0) or the job's end (round 0), or nothing;
  // each against the tracker held (and its rounds written by next cycle) or a sequencer start's
  // (rounds 0: ready only if it tracks another bank). All from this cycle's registers; the
  // decisions (job_start, b0_issue, ws_start) only select, last (docs/timing.md).
  wire [RA_W-1:0] job_k1 = job_k + 1'b1;
  wire job_lt_k = {{TRK_W{1'b0}}, job_k} < {{RA_W{1'b0}}, trk_rounds_n};
  wire job_lt_k1 = {{TRK_W{1'b0}}, job_k1} < {{RA_W{1'b0}}, trk_rounds_n};
  wire job_lt_0 = trk_rounds_n != {TRK_W{1'b0}};
  wire cur_is_m = (cur_src == SRC_M);
  wire start_is_m = (start_src == SRC_M);
  // the source is the tracked bank: as the tracker holds it (q), as a sequencer start sets it (s)
  wire cur_tracked_q = tracks(cur_is_m, cur_layer, trk_on_q, trk_m_q, trk_layer_q);
  wire cur_tracked_s = tracks(cur_is_m, cur_layer, 1'b1, trk_m_start, ws_start_layer);
  wire part1_tracked_q = tracks(1'b0, job_layer1_q, trk_on_q, trk_m_q, trk_layer_q);
  wire part1_tracked_s = tracks(1'b0, job_layer1_q, 1'b1, trk_m_start, ws_start_layer);
  wire start_tracked_q = tracks(start_is_m, start_layer0, trk_on_q, trk_m_q, trk_layer_q);
  wire start_tracked_s = tracks(start_is_m, start_layer0, 1'b1, trk_m_start, ws_start_layer);
  wire ready_hold = ws_start ? !cur_tracked_s : (!cur_tracked_q || job_lt_k);
  wire ready_beat = ws_start ? !cur_tracked_s :
      (!cur_tracked_q || (rd_word_next ? job_lt_k1 : job_lt_k));
  wire ready_part1 = ws_start ? !part1_tracked_s : (!part1_tracked_q || job_lt_0);
  wire ready_end = ws_start ? !cur_tracked_s : (!cur_tracked_q || job_lt_0);
  wire ready_start = ws_start ? !start_tracked_s : (!start_tracked_q || job_lt_0);
  wire ready_issue = !cur_last ? ready_beat : (part_switch ? ready_part1 : ready_end);
  wire job_ready_next = job_start ? ready_start : (b0_issue ? ready_issue : ready_hold);
  // cur_last's next value: a start's part 0 (job_len0_d), the next part, the part's next beat
  wire [31:0] job_e_32 = {{(32 - CNT_W) {1'b0}}, job_e};  // (CNT_W < 32)
  wire job_last_next = job_start ? (BCAST_C >= job_len0_d) :
      !b0_issue ? cur_last :
      !cur_last ? (job_e_32 + 2 * BCAST >= {{(32 - CNT_W) {1'b0}}, cur_len}) :
      part_switch ? (BCAST_C >= job_len1_q) : (BCAST_C >= cur_len);

  always @* begin
    job_active_d = job_active_q;
    job_part_d = job_part_q;
    job_rfirst_d = job_rfirst_q;
    job_src0_d = job_src0_q;
    job_layer0_d = job_layer0_q;
    job_layer1_d = job_layer1_q;
    job_len0_d = job_len0_q;
    job_len1_d = job_len1_q;
    job_at_d = job_at_q;
    job_col_d = job_col_q;
    in_release = 1'b0;
    b1_valid_d = b1_advance ? 1'b0 : b1_valid_q;
    b1_pe_d = b1_pe_q;
    b1_from_input_d = b1_from_input_q;
    b1_col_d = b1_col_q;
    b1_seg_last_d = b1_seg_last_q;
    b1_hpart_d = b1_hpart_q;
    bc_count_d = bc_count_q + (b1_advance ? BCAST_C : {CNT_W{1'b0}});
    if (b0_issue) begin
      b1_valid_d = 1'b1;
      b1_pe_d = job_pe;
      b1_from_input_d = (cur_src == SRC_INPUT);
      b1_col_d = job_col_q[COL_W-1:0];
      b1_seg_last_d = cur_last;
      b1_hpart_d = job_part_q ^ job_rfirst_q;
      job_col_d = job_col_q + BCAST_C;
      if (cur_last) begin
        if (cur_src == SRC_INPUT) in_release = 1'b1;
        job_at_d = {WALK_W{1'b0}};
        if (job_rfirst_q) job_col_d = {CNT_W{1'b0}};  // the input part's columns come first
        if (!job_part_q && job_len1_q != {CNT_W{1'b0}}) job_part_d = 1'b1;
        else job_active_d = 1'b0;
      end else begin
        job_at_d = walk_next(job_at_q, 1'b1);
      end
    end
    if (job_start) begin
      job_active_d = 1'b1;
      job_part_d = 1'b0;
      job_rfirst_d = 1'b0;
      job_at_d = {WALK_W{1'b0}};
      job_col_d = {CNT_W{1'b0}};
      bc_count_d = {CNT_W{1'b0}};
      if (job_start_proj) begin
        job_src0_d = SRC_M;
        job_len0_d = H_C;
        job_len1_d = {CNT_W{1'b0}};
      end else if (job_start_xonly) begin  // layer 0's input part alone (columns from 0)
        job_src0_d = SRC_INPUT;
        job_len0_d = IN0_C;
        job_len1_d = {CNT_W{1'b0}};
      end else if (job_start_honly) begin  // layer 0's recurrent part alone, as a first part
        job_src0_d = SRC_H;
        job_rfirst_d = 1'b1;  // (part 0 is the recurrent part: b1_hpart)
        job_layer0_d = {LW{1'b0}};
        job_col_d = IN0W_C;
        job_len0_d = O_C;
        job_len1_d = {CNT_W{1'b0}};
      end else begin
        job_src0_d = (job_start_layer == {LW{1'b0}}) ? SRC_INPUT : SRC_H;
        job_rfirst_d = (RFIRST != 0) && (job_start_layer != {LW{1'b0}});
        // (a layer l > 0's parts are both O long: only the banks and the columns swap)
        job_layer0_d = job_rfirst_d ? job_start_layer : job_start_layer - 1'b1;
        job_layer1_d = job_rfirst_d ? job_start_layer - 1'b1 : job_start_layer;
        if (job_rfirst_d) job_col_d = OW_C;
        job_len0_d = (job_start_layer == {LW{1'b0}}) ? IN0_C : O_C;
        job_len1_d = O_C;
      end
    end
  end
  always @(posedge clk) begin
    if (rst) begin
      job_active_q <= 1'b0;
      job_ready_q <= 1'b1;  // nothing is tracked after reset
      job_last_q <= 1'b0;  // (no job: read only under an issue)
      b1_valid_q <= 1'b0;
      bc_count_q <= {CNT_W{1'b0}};
    end else begin
      job_active_q <= job_active_d;
      job_ready_q <= job_ready_next;
      job_last_q <= job_last_next;
      b1_valid_q <= b1_valid_d;
      bc_count_q <= bc_count_d;
    end
    job_part_q <= job_part_d;
    job_rfirst_q <= job_rfirst_d;
    job_src0_q <= job_src0_d;
    job_layer0_q <= job_layer0_d;
    job_layer1_q <= job_layer1_d;
    job_len0_q <= job_len0_d;
    job_len1_q <= job_len1_d;
    job_at_q <= job_at_d;
    job_col_q <= job_col_d;
    b1_pe_q <= b1_pe_d;
    b1_from_input_q <= b1_from_input_d;
    b1_col_q <= b1_col_d;
    b1_seg_last_q <= b1_seg_last_d;
    b1_hpart_q <= b1_hpart_d;
  end
  assign bc_valid = b1_valid_q;
  generate
    if (BUS_STAGE != 0) begin : gen_bus_stage
      // B2: the PEs' read data of B1's element is in their registers (rnnfab_pe BUS_STAGE), the
      // input elements in b2_input_q; the word goes on as the P1 word (bc_data_q) a cycle later
      reg [PE_W-1:0] b2_pe_q;
      reg b2_from_input_q;
      reg [BCAST*AB-1:0] b2_input_q;
      always @(posedge clk) begin
        b2_pe_q <= b1_pe_q;
        b2_from_input_q <= b1_from_input_q;
        b2_input_q <= b1_input;
      end
      assign bc_data = b2_from_input_q ? b2_input_q : rd_data_all[b2_pe_q*AB+:BCAST*AB];
    end else begin : gen_bus_direct
      assign bc_data = b1_from_input_q ? b1_input : rd_data_all[b1_pe_q*AB+:BCAST*AB];
    end
  endgenerate
  // The broadcast word registered once for every PE: the engines of a dense ese design take it as
  // their P1 word (rnnfab_mv_ese P1_SHARED) instead of a register each, so that the path from a
  // PE's bank read register through this multiplexer ends here, and the register's fan-out to
  // the PEs is a path of its own (lstmp-8pe's limit with a register per PE, docs/timing.md).
  reg [BCAST*AB-1:0] bc_data_r;
  always @(posedge clk) bc_data_r <= bc_data;
  assign bc_data_q = bc_data_r;
  assign bc_col = b1_col_q;
  assign bc_seg_last = b1_seg_last_q;
  assign bc_seg_last_pre = cur_last;
  assign bc_hpart = b1_hpart_q;
  assign bc_count = bc_count_q;

  // ================= Output streamer
  // A beat holds elements e .. e + OUT_WORDS - 1 (e a multiple of OUT_WORDS, which divides N):
  // they live in OUT_WORDS neighbouring PEs at one bank address, so one read gives the beat; the
  // lanes past O of a step's last beat carry what those PEs hold there (not outputs).
  localparam OUT_PE_LAST_I = N - OUT_WORDS;
  localparam [PE_W-1:0] OUT_PE_LAST = OUT_PE_LAST_I[PE_W-1:0];
  localparam [PE_W-1:0] OUT_WORDS_PE = OUT_WORDS[PE_W-1:0];  // (unused when OUT_WORDS = N)
  localparam [CNT_W-1:0] OUT_WORDS_C = OUT_WORDS[CNT_W-1:0];  // (exact whenever a beat follows)
  function [WALK_W-1:0] os_walk_next(input [WALK_W-1:0] at);
    reg [CNT_W-1:0] e;
    reg [PE_W-1:0] pe;
    reg [RA_W-1:0] k;
    begin
      {e, pe, k} = at;
      os_walk_next = (pe == OUT_PE_LAST) ? {e + OUT_WORDS_C, {PE_W{1'b0}}, k + 1'b1} :
          {e + OUT_WORDS_C, pe + OUT_WORDS_PE, k};
    end
  endfunction
  reg os_active_q, os_active_d;
  // os_active_q of the cycle before: the main sequence's wait for the streamer (ST_D) reads it, so
  // that the requantizer's read-ahead (rq_pre_q, from the next state) sees only registers of the
  // streamer, not its load decision (docs/timing.md). The wait ends a cycle later than on
  // os_active_q only while the streamer is finishing a step's outputs.
  reg os_was_active_q;
  // walk position of the output element: back to element 0 after the last one (and at reset),
  // so that a start only sets os_active_q (the start is not a reset of the position's registers)
  reg [WALK_W-1:0] os_at_q, os_at_d;
  wire [CNT_W-1:0] os_e = os_at_q[WALK_W-1-:CNT_W];
  wire [PE_W-1:0] os_pe = os_at_q[PE_W+RA_W-1-:PE_W];
  wire [RA_W-1:0] os_k = os_at_q[RA_W-1:0];
  reg out_valid_q, out_valid_d, out_last_q, out_last_d;
  reg [PE_W-1:0] out_pe_q, out_pe_d;  // the PE whose out_data holds the output element
  reg os_start;
  assign out_addr = OUT_BASE + os_k[HA_W-1:0];
  // The round of the position has been written (round_ready of os_k and the tracker) and the
  // position holds the step's last beat: registers loaded from the next state, so that the load
  // decision (which enables the walk's registers, the streamer's and every PE's output read) is
  // one gate from registers (docs/timing.md). The compares run on this cycle's registers, one per
  // next position and round count the cycle can give; the next state only selects among them.
  reg os_ready_q, os_last_q;
  wire os_ready = os_ready_q;
  wire os_last = os_last_q;
  wire os_load = os_active_q && os_ready && (!out_valid_q || out_ready);
  assign out_en = os_load;  // the PEs read synchronously: their read data is the output
  wire [RA_W-1:0] os_k1 = os_k + 1'b1;
  wire os_lt_k = {{TRK_W{1'b0}}, os_k} < {{RA_W{1'b0}}, trk_rounds_n};
  wire os_lt_k1 = {{TRK_W{1'b0}}, os_k1} < {{RA_W{1'b0}}, trk_rounds_n};
  wire os_lt_0 = trk_rounds_n != {TRK_W{1'b0}};
  wire os_to_0 = os_load && os_last;  // the next position is element 0
  wire os_to_k1 = os_load && !os_last && os_pe == OUT_PE_LAST;  // the next is at round k + 1
  wire os_lt_next = os_to_0 ? os_lt_0 : (os_to_k1 ? os_lt_k1 : os_lt_k);
  // the tracker follows the output bank (the last layer's h bank): as it holds it, after a start
  wire trk_last_h = tracks(1'b0, LAST_LAYER, trk_on_q, trk_m_q, trk_layer_q);
  wire trk_last_h_start = tracks(1'b0, LAST_LAYER, 1'b1, trk_m_start, ws_start_layer);
  // round_ready(1'b0, LAST_LAYER, os_at_d's round, trk_on_d, trk_m_d, trk_layer_d, trk_rounds_d)
  wire os_ready_next = ws_start ? !trk_last_h_start : (!trk_last_h || os_lt_next);
  wire os_last_at0 = (OUT_WORDS >= O);  // element 0's beat is the last
  wire os_last_after = ({{(32 - CNT_W) {1'b0}}, os_e} + 2 * OUT_WORDS >= O);  // (CNT_W < 32)
  wire os_last_next = os_load ? (os_last ? os_last_at0 : os_last_after) : os_last;
  always @* begin
    os_active_d = os_active_q;
    os_at_d = os_at_q;
    out_valid_d = (out_valid_q && out_ready) ? 1'b0 : out_valid_q;
    out_pe_d = out_pe_q;
    out_last_d = out_last_q;
    if (os_load) begin
      out_valid_d = 1'b1;
      out_pe_d = os_pe;
      out_last_d = os_last;
      if (os_last) begin
        os_active_d = 1'b0;
        os_at_d = {WALK_W{1'b0}};
      end else begin
        os_at_d = os_walk_next(os_at_q);
      end
    end
    if (os_start) os_active_d = 1'b1;  // (the streamer is idle, at element 0)
  end
  always @(posedge clk) begin
    if (rst) begin
      os_active_q <= 1'b0;
      os_was_active_q <= 1'b0;
      os_at_q <= {WALK_W{1'b0}};
      os_ready_q <= 1'b1;  // nothing is tracked after reset
      os_last_q <= os_last_at0;
      out_valid_q <= 1'b0;
    end else begin
      os_active_q <= os_active_d;
      os_was_active_q <= os_active_q;
      os_at_q <= os_at_d;
      os_ready_q <= os_ready_next;
      os_last_q <= os_last_next;
      out_valid_q <= out_valid_d;
    end
    out_pe_q <= out_pe_d;
    out_last_q <= out_last_d;
  end
  assign out_valid = out_valid_q;
  assign out_data = out_data_all[out_pe_q*AB+:OUT_WORDS*AB];
  assign out_last = out_last_q;

  // ================= Main sequence
  reg [2:0] state_q, state_d;
  reg [LW-1:0] layer_q, layer_d;
  reg phase_proj_q, phase_proj_d;
  reg [SEG_W-1:0] phase_nseg_q, phase_nseg_d, phase_nseg0_q, phase_nseg0_d;
  reg [COL_W-1:0] phase_cbase1_q, phase_cbase1_d;
  reg phase_start_d;
  // the layer is the last one: a register loaded with layer_d (docs/timing.md)
  reg last_layer_q;
  wire last_layer = last_layer_q;
  // The PEs' engines (and the broadcast) were drained in the cycle before, with nothing on the bus
  // then and no job started: every PE's idle bit is ANDed into this register, and the waits of
  // the main sequence read it (one cycle later than the AND itself; the cycle model counts it).
  // Nothing is issued while it waits, so once drained the PEs stay drained.
  // IDLE_PIPE: the idle bits are ANDed in groups into registers (idle_grp_q), the job's part of
  // the test is registered beside them (job_idle_q), and drained_q ANDs the two a cycle later, not
  // if a job started in between: the same test one cycle later (the cycle model's `drainedPre`).
  wire all_idle, all_proj_idle;
  wire drained_job;  // the job's part of the test, in step with all_idle
  generate
    if (IDLE_PIPE != 0) begin : gen_idle_pipe
      reg [IDLE_GROUPS-1:0] idle_grp_q, proj_idle_grp_q;
      reg job_idle_q;
      // padded with drained bits to whole groups
      wire [IDLE_GROUPS*IDLE_GROUP-1:0] idle_pad =
          {{(IDLE_GROUPS * IDLE_GROUP - IDLE_N) {1'b1}}, idle_all};
      wire [IDLE_GROUPS*IDLE_GROUP-1:0] proj_idle_pad =
          {{(IDLE_GROUPS * IDLE_GROUP - IDLE_N) {1'b1}}, proj_idle_all};
      genvar g;
      for (g = 0; g < IDLE_GROUPS; g = g + 1) begin : gen_idle_grp
        always @(posedge clk) begin
          idle_grp_q[g] <= &idle_pad[g*IDLE_GROUP+:IDLE_GROUP];
          proj_idle_grp_q[g] <= &proj_idle_pad[g*IDLE_GROUP+:IDLE_GROUP];
        end
      end
      always @(posedge clk) job_idle_q <= !rst && job_done && !job_start;
      assign all_idle = &idle_grp_q;
      assign all_proj_idle = &proj_idle_grp_q;
      assign drained_job = job_idle_q;
    end else begin : gen_idle_and
      assign all_idle = &idle_all;
      assign all_proj_idle = &proj_idle_all;
      assign drained_job = job_done;
    end
  endgenerate
  reg drained_q;
  always @(posedge clk) drained_q <= !rst && drained_job && all_idle && !job_start;
  // PQUEUE: the same for the projection columns alone (ST_C_WAIT); else drained_q
  wire drained_proj;
  generate
    if (PQUEUE != 0) begin : gen_drained_proj
      reg drained_proj_q;
      always @(posedge clk) drained_proj_q <= !rst && drained_job && all_proj_idle && !job_start;
      assign drained_proj = drained_proj_q;
    end else begin : gen_drained_all
      assign drained_proj = drained_q;
      wire unused_proj_idle = &{1'b0, all_proj_idle};
    end
  endgenerate
  wire [LW-1:0] next_layer = last_layer ? {LW{1'b0}} : layer_q + 1'b1;
  wire [CNT_W-1:0] cbase1_full = (layer_q == {LW{1'b0}}) ? IN0W_C : OW_C;
  // XEARLY: layer 0's input part of the next step was broadcast early (its gate phase walks the
  // recurrent part alone); the next step's input is all buffered (a whole slot: the early job
  // never waits for the stream, so the projection behind it never does)
  reg x_early_q, x_early_d;
  reg start_proj;  // the main sequence starts the projection phase
  wire layer0 = (layer_q == {LW{1'b0}});
  always @* begin
    state_d = state_q;
    layer_d = layer_q;
    phase_proj_d = phase_proj_q;
    phase_nseg_d = phase_nseg_q;
    phase_nseg0_d = phase_nseg0_q;
    phase_cbase1_d = phase_cbase1_q;
    phase_start_d = 1'b0;
    job_start = 1'b0;
    job_start_proj = 1'b0;
    job_start_xonly = 1'b0;
    job_start_honly = 1'b0;
    job_start_layer = layer_q;
    x_early_d = x_early_q;
    start_proj = 1'b0;
    ws_start = 1'b0;
    ws_start_rq = 1'b0;
    ws_start_layer = layer_q;
    os_start = 1'b0;
    case (state_q)
      ST_A: begin
        job_start = 1'b1;
        job_start_honly = (XEARLY != 0) && layer0 && x_early_q;
        if (layer0) x_early_d = 1'b0;
        phase_start_d = 1'b1;
        phase_proj_d = 1'b0;
        phase_nseg0_d = (layer_q == {LW{1'b0}}) ? SEG_X0_C : SEG_O_C;
        phase_nseg_d = ((layer_q == {LW{1'b0}}) ? SEG_X0_C : SEG_O_C) + SEG_O_C;
        phase_cbase1_d = cbase1_full[COL_W-1:0];
        state_d = ST_A_WAIT;
      end
      ST_A_WAIT: begin
        if (drained_q) state_d = ST_EW;
      end
      ST_EW: begin
        if (ws_idle && (PROJ != 0 || !last_layer || !os_active_q)) begin
          ws_start = 1'b1;
          if (XEARLY != 0 && layer0 && next_input_buffered) begin
            // the next step's input part now, beside the element-wise issue; the PEs hold its
            // columns until the issue has read every cell's memories M (mac_hold below)
            job_start = 1'b1;
            job_start_xonly = 1'b1;
            x_early_d = 1'b1;
            state_d = ST_X;
          end else if (PROJ != 0) begin
            start_proj = 1'b1;
          end else begin
            os_start = last_layer;
            state_d = ST_EW_WAIT;
          end
        end
      end
      ST_EW_WAIT: begin
        if (!ws_active_q) begin
          layer_d = next_layer;
          state_d = ST_A;
        end
      end
      ST_X: begin
        // its columns issued (some still on their way to the PEs): the projection phase
        if (job_done) start_proj = 1'b1;
      end
      ST_C_WAIT: begin
        if (drained_proj && ws_idle) state_d = ST_D;
      end
      default: begin  // ST_D (the streamer idle since the cycle before: os_active_q is 0 too)
        if (!last_layer || !os_was_active_q) begin
          ws_start = 1'b1;
          ws_start_rq = 1'b1;
          os_start = last_layer;
          layer_d = next_layer;
          state_d = ST_A;
        end
      end
    endcase
    if (start_proj) begin  // the projection phase (from ST_EW, or ST_X after an early input part)
      job_start = 1'b1;
      job_start_proj = 1'b1;
      phase_start_d = 1'b1;
      phase_proj_d = 1'b1;
      phase_nseg0_d = SEG_P_C;
      phase_nseg_d = SEG_P_C;
      phase_cbase1_d = {COL_W{1'b0}};
      state_d = ST_C_WAIT;
    end
  end
  reg phase_start_q;
  always @(posedge clk) begin
    if (rst) begin
      state_q <= ST_A;
      layer_q <= {LW{1'b0}};
      x_early_q <= 1'b0;
      last_layer_q <= (LAST_LAYER == {LW{1'b0}});
      phase_start_q <= 1'b0;
    end else begin
      state_q <= state_d;
      layer_q <= layer_d;
      x_early_q <= x_early_d;
      last_layer_q <= (layer_d == LAST_LAYER);
      phase_start_q <= phase_start_d;
    end
    phase_proj_q <= phase_proj_d;
    phase_nseg_q <= phase_nseg_d;
    phase_nseg0_q <= phase_nseg0_d;
    phase_cbase1_q <= phase_cbase1_d;
  end
  // The requantizer's read-ahead (rq_pre: ws_active_d && ws_rq_d; rq_pre_k: ws_count_d, its row
  // while rq_pre), registered from the next state, so that the PEs' projection reads (and their
  // read registers' clears) start from a register, not from the main sequence's decision
  // (docs/timing.md). Next cycle the sequencer goes on with a requantization that is not at its
  // last row, or the main sequence starts one in ST_D (the sequencer idle then; row 0).
  reg rq_pre_q;
  reg [KPW-1:0] rq_pre_k_q;
  wire [WS_W-1:0] ws_count_d1 = ws_count_d + 1'b1;
  // ws_count_d of the next cycle wherever the sequencer issues then (rq_pre, ew_pre; elsewhere
  // nothing reads it): 0 at a start (the sequencer idle now), else ws_count_d + 1 (active now:
  // ws_count_q + 2, or 1 after this cycle's start). From registers; ws_start selects last, and
  // the main sequence's next state is not in it (docs/timing.md).
  wire [WS_W-1:0] ws_count_q2 = ws_count_q + 1'b1 + 1'b1;
  wire [WS_W-1:0] ws_pre_count = ws_start ? {{(WS_W - 1) {1'b0}}, 1'b1} :
      ws_active_q ? ws_count_q2 : {WS_W{1'b0}};
  wire rq_start_next = state_d == ST_D && (layer_d != LAST_LAYER || !os_active_q);
  always @(posedge clk) begin
    rq_pre_q <= !rst && (rq_start_next || (ws_active_d && ws_rq_d && ws_count_d1 != ws_total_d));
    rq_pre_k_q <= ws_pre_count[KPW-1:0];
  end
  assign rq_pre = rq_pre_q;
  assign rq_pre_k = rq_pre_k_q;
  // The element-wise issue the PEs register (ew_pre = ws_active_d && !ws_rq_d, and ws_count_d's
  // cell and sequence), itself a register loaded from the cycle before's next state, so that the
  // main sequence's start decision (ST_EW, ws_idle) does not route to every PE's issue registers
  // in the cycle it is made (delta-lstmp-8pe's critical path at 4fd6452, docs/timing.md). Next
  // cycle the sequencer goes on with an element-wise issue that is not at its last count, or the
  // main sequence starts one in ST_EW (the sequencer idle then; count 0), or a requantization in
  // ST_D (count 0). The count (ws_pre_count) is the combinational form's in every cycle that
  // issues; in the others it is 0 or the next count, which no PE reads.
  wire ws_idle_next = !ws_active_d && (ws_pipe_d == {EW_LAT{1'b0}});  // ws_idle_q's next value
  wire ew_start_next =
      state_d == ST_EW && ws_idle_next && (PROJ != 0 || layer_d != LAST_LAYER || !os_active_d);
  wire ws_last_next = (ws_count_d1 == ws_total_d);  // ws_last_q's next value
  reg ew_pre_q;
  reg [WS_W-1:0] ew_pre_count_q;  // ws_count_d of the cycle: {cell, sequence}
  always @(posedge clk) begin
    ew_pre_q <= !rst && (ew_start_next || (ws_active_d && !ws_last_next && !ws_rq_d));
    ew_pre_count_q <= ws_pre_count;
  end
  // The element-wise cell base (layer * K) takes the layer of an element-wise start in the cycle
  // before it, with ew_pre: so it holds the phase's base in the cycle of the first ew_pre, and a
  // PE adds it to ew_pre_k there into a register (its S0 cell address, rnnfab_pe.v). The layer of
  // ST_EW is layer_q from ST_A on (layer_d is layer_q then). The phase before wrote its last c in
  // the cycle its last round landed (ws_pipe_q[0]), at the latest the cycle of this load, which
  // it still reads: ew_start_next needs ws_idle_next. A requantization start (ST_D) keeps the
  // layer of the element-wise start before it, so it leaves the base.
  always @(posedge clk) begin
    if (ew_start_next) ew_cbase_q <= phase_cbase;  // layer_q * K
  end
  wire [WS_W-1:0] ew_pre_cell = ew_pre_count_q >> SQB;
  wire [WS_W-1:0] ew_pre_seq_full = ew_pre_count_q & SEQ_LAST;
  assign ew_pre = ew_pre_q;
  assign ew_pre_k = ew_pre_cell[KW-1:0];
  assign ew_pre_seq = ew_pre_seq_full[`RNNFAB_SEQ_W(EW_ISSUES)-1:0];
  // XEARLY: while layer 0's element-wise issue of a step whose next input part went early is on,
  // the PEs' engines take no column, so that no MAC of the input part reads or writes the memories
  // M before the issue's reads of them are done. The PEs read M in cycles T0 .. T0 + READS - 1 (T0:
  // the issue's first cycle, ws_count_q = 0; cell k in T0 + k, or with MREAD = G cells G j .. G j +
  // G - 1 in T0 + j), through the read port the MACs' read-modify-write shares; a column the
  // engines take in cycle c reads M in c + 3 (C3) and writes it in c + 4. The hold is on while
  // ws_count_q < HOLD (cycles T0 .. T0 + HOLD - 1), so the first take is in T0 + HOLD, its read in
  // T0 + HOLD + 3 = T0 + READS (after the last of the issue's reads) and its write a cycle later.
  // (A register: the PEs see it from the same registers the cycle model reads, ws_active_q,
  // ws_rq_q, x_early_q and layer_q.)
  localparam READS_I = K / MREAD;
  localparam MAC_READ_LAG = 3;  // cycles from an engine's take to its MAC's read of M (C3)
  localparam HOLD_I = (READS_I > MAC_READ_LAG) ? READS_I - MAC_READ_LAG : 0;
  localparam [WS_W-1:0] HOLD_C = HOLD_I[WS_W-1:0];
  generate
    if (XEARLY != 0 && HOLD_I > 0) begin : gen_mac_hold
      reg mac_hold_q;
      always @(posedge clk) begin
        mac_hold_q <= !rst && ws_active_d && !ws_rq_d && x_early_d &&
            (layer_d == {LW{1'b0}}) && (ws_count_d < HOLD_C);
      end
      assign mac_hold = mac_hold_q;
    end else begin : gen_no_mac_hold
      assign mac_hold = 1'b0;
    end
  endgenerate
  assign phase_start = phase_start_q;
  assign phase_proj = phase_proj_q;
  assign phase_layer = layer_q;
  assign phase_cbase = K_CA * {{(CA_W - LW) {1'b0}}, layer_q};
  assign phase_nseg = phase_nseg_q;
  assign phase_nseg0 = phase_nseg0_q;
  assign phase_cbase1 = phase_cbase1_q;
  // bits not every parameter set uses: the high bits of the job's element, of the write
  // sequencer's count and of the output's bank address, the width of cbase1_full
  wire unused_ctrl = &{1'b0, cbase1_full, job_e, ws_count_q, ew_pre_cell, ew_pre_seq_full, os_k};
endmodule
`default_nettype wire
