`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_pe: one processing element (docs/architecture.md). PE p owns the cells j = p, p+N, ...
// (local cell k = j div N) and all four accumulator rows of each, so it runs the element-wise
// step of its cells on its own. It holds a matrix-vector engine (rnnfab_mv_ese or _bcr), the gate
// accumulators (a word of four ACC-bit fields per cell) and, with a projection, those of its
// projection rows q = p, p+N, ...; bias and peephole ROMs, the cell state c, the h bank of
// every layer's outputs (element e = k*N + p at layer*KO + k), the m bank (k*N + p at k); the
// element-wise unit and the projection requantizer. With BATCH > 1 the top has BATCH copies of
// each PE: copy SEQ = 0 owns the engine (B values per column) and hands its C1 MAC to the others
// (lead_out -> lead_in); every copy keeps its sequence's accumulators and state and hands its
// accumulator word and c(t-1) (GRU: h(t-1)) to copy 0's element-wise unit and ROMs (share_out ->
// share_in), which returns results tagged with the sequence (ewr_out -> ewr_in) ("Batch"). With
// EW_GROUP > 1 the PEs share one element-wise unit in groups of EW_GROUP neighbours in the same
// way: the unit is the group's first PE's (copy 0), a slot is sequence * EW_GROUP + PLACE, and the
// controller issues each cell once per slot ("Shared element-wise units").
module rnnfab_pe #(
    parameter FORMAT = 0,              // 0: ese, 1: bcr
    parameter GRU = 0,                 // 0: LSTM, 1: GRU
    parameter PEEP = 0,                // 1: LSTM peepholes
    parameter PROJ = 0,                // 1: LSTM with projection
    parameter LAYERS = 1,              // number of layers
    parameter IN0 = 1,                 // input size of layer 0
    parameter H = 1,                   // cells per layer
    parameter O = 1,                   // output size of a layer (P with projection, else H)
    parameter K = 1,                   // cells per PE: ceil(H / N)
    parameter KP = 1,                  // projection rows per PE: ceil(P / N) (1 without)
    parameter KO = 1,                  // output elements per PE: ceil(outputSize / N)
    parameter AB = 16,                 // activation width
    parameter AF = 12,                 // activation fraction bits
    parameter WB = 12,                 // weight width
    parameter WF = 10,                 // weight fraction bits
    parameter ACC = 40,                // accumulator width
    parameter SIG_S = 4,               // sigmoid table step log2
    parameter SIG_R = 3,               // sigmoid table range log2
    parameter TANH_S = 4,              // tanh table step log2
    parameter TANH_R = 3,              // tanh table range log2
    parameter EW_LAT = 9,              // element-wise latency, issue to readable (LSTM 9, GRU 8)
    parameter LUT_RAM_DEPTH = 64,      // deepest state memory left to LUT RAM (docs/synthesis.md)
    parameter IDX_BITS = 4,            // ese: relative row index width
    parameter VAL_BITS = 12,           // weight field: ese value field, bcr weight slot width
    parameter CODEBOOK = 0,            // 1 with a codebook (weights stored as codes)
    parameter PTR_W = 8,               // ese: pointer width
    parameter QUEUE_DEPTH = 8,         // ese: activation queue depth
    parameter IDX_W = 8,               // bcr: index word width
    parameter HDR_ROW_BITS = 3,        // bcr: header rowCount width
    parameter HDR_COL_BITS = 3,        // bcr: header colCount width
    parameter MAX_ROWS = 1,            // bcr: most kept rows of a block in one PE
    parameter BLOCK_COLS = 1,          // bcr: segment width
    parameter LANES = 1,               // MAC lanes (1, 2, 4, ..., 64); K is a multiple
    parameter BCAST = 1,               // columns per broadcast beat (bcr; power of two)
    parameter BATCH = 1,               // sequences sharing the engine (bc_data: BATCH per column)
    parameter SEQ = 0,                 // this copy's sequence; > 0: no engine, takes lead_in
    parameter EW_GROUP = 1,            // PEs sharing one element-wise unit (power of two)
    parameter PLACE = 0,               // this PE's place in its group; > 0: no unit, no ROMs
    parameter ACC_SERIAL = 0,          // 1: accumulators read a gate field a cycle (rtl/design.ts)
    parameter DELTA = 0,               // 1: delta activations (ese; docs/delta.md, "Hardware")
    parameter PDELTA = 0,              // 1: delta-coded projection input (theta_m; DELTA = 1)
    parameter DPTR_W = 1,              // delta: pointer address width of bc_ptr
    // delta, LANES >= 2: > 1 runs the element-wise issue's reads of the memories M ahead, MREAD
    // cells a cycle (2 or 4, up to LANES; docs/delta.md, "Early input"), so the controller's
    // mac_hold lasts K / MREAD - 3; 1: none
    parameter MREAD = 1,
    // 1 (delta, early input, one layer): projection columns have an engine queue of their own,
    // taken first (rnnfab_mv_ese PQUEUE), and proj_idle says none is queued or in flight
    parameter PQUEUE = 0,
    // 1 (dense ese designs of many PEs): the broadcast bus (valid, segment-last, part) and the
    // bank read data are registered once more in this PE (BS), so that neither the controller's
    // bus registers nor its read-data multiplexer reach across the chip into logic; a column
    // reaches the engine a cycle later (docs/architecture.md, "Bus stage"); 0: none
    parameter BUS_STAGE = 0,
    parameter WEIGHT_DEPTH = 1,        // words of this PE's weight memory
    parameter POINTER_DEPTH = 2,       // ese: words of this PE's pointer memory
    parameter INDEX_DEPTH = 1,         // bcr: words of this PE's index memory
    parameter WEIGHT_FILE = "pe0_weights.hex",    // weight memory image
    parameter POINTER_FILE = "pe0_pointers.hex",  // ese pointer memory image
    parameter INDEX_FILE = "pe0_index.hex",       // bcr index / ese line-delta memory image
    parameter CODEBOOK_FILE = "codebook.hex",     // codebook image
    parameter BIAS_FILE = "pe0_bias.hex",         // bias ROM image: {b3, b2, b1, b0} per cell
    parameter PEEP_FILE = "pe0_peephole.hex",     // peephole ROM image: {p_o, p_f, p_i} per cell
    parameter SIG_FILE = "sigmoid.hex",           // sigmoid table
    parameter TANH_FILE = "tanh.hex",             // tanh table
    // derived (rnnfab_pkg.vh): VEC_DEPTH, COL_W, SEG_W, KW, KPW, CA_W, HA_W, RA_W; leave unset
    parameter `RNNFAB_BUS_WIDTHS
) (
    input  wire              clk,           // clock
    input  wire              rst,           // synchronous reset
    input  wire              bc_valid,      // broadcast: a column this cycle
    input  wire [BCAST*BATCH*AB-1:0] bc_data,  // column bc_col + i, sequence s: [(i*B+s)*AB+:AB]
    input  wire [BCAST*BATCH*AB-1:0] bc_data_q,  // bc_data of the cycle before (ese P1 word)
    input  wire [ COL_W-1:0] bc_col,        // broadcast: the position of its first column
    input  wire              bc_seg_last,   // broadcast: last column of a segment (ese)
    input  wire              bc_seg_last_pre,  // dense ese: bc_seg_last a cycle ahead
    input  wire              bc_hpart,      // broadcast: column of the recurrent part
    input  wire [   COL_W:0] bc_count,      // broadcast: columns of this phase written (bcr)
    input  wire [      AB:0] bc_delta,      // delta: the column's delta (AB + 1 bits)
    input  wire [DPTR_W-1:0] bc_ptr,        // delta: pointer address of the column's first entry
    input  wire [  CA_W-1:0] mac_cbase,     // delta: the phase's layer * K (its memories M)
    output wire              stall_req,     // registered: stop broadcasting, queue full (ese)
    input  wire              phase_start,   // a matrix-vector phase begins (bcr)
    input  wire              phase_proj,    // the phase is the projection
    input  wire              mac_hold,      // delta (XEARLY): the engine takes no column
    input  wire [ SEG_W-1:0] phase_nseg,    // segments of the phase (bcr)
    input  wire [ SEG_W-1:0] phase_nseg0,   // segments of the input part (bcr)
    input  wire [ COL_W-1:0] phase_cbase1,  // first column of the recurrent part (bcr)
    output wire              idle,          // engine drained
    output wire              proj_idle,     // PQUEUE: no projection column queued or in flight
    input  wire              ew_pre,        // element-wise step next cycle: issue cell ew_pre_k
    input  wire [    KW-1:0] ew_pre_k,      // that local cell
    input  wire [`RNNFAB_SEQ_W(BATCH*EW_GROUP)-1:0] ew_pre_seq,  // its slot: the copy that takes it
    input  wire [  CA_W-1:0] ew_cbase,      // layer * K (c, bias, peephole base)
    input  wire [  HA_W-1:0] ew_hbase,      // layer * KO (h bank base)
    input  wire              rq_issue,      // projection requantization: issue row rq_k
    input  wire [   KPW-1:0] rq_k,          // local projection row
    input  wire              rq_pre,        // rq_issue of row rq_pre_k next cycle (read ahead)
    input  wire [   KPW-1:0] rq_pre_k,      // that row
    input  wire [  HA_W-1:0] rq_hbase,      // layer * KO
    input  wire [  RA_W-1:0] rd_addr,       // bank read address (read every cycle)
    input  wire              rd_m,          // read the m bank instead of h
    output wire [    AB-1:0] rd_data,       // bank read data at the last rd_addr (registered)
    input  wire              out_en,        // read the h bank at out_addr (output stream)
    input  wire [  HA_W-1:0] out_addr,      // output stream read address
    output wire [    AB-1:0] out_data,      // output read data of the last out_en (registered)
    output wire [`RNNFAB_LEAD_W(K, KP, LANES, WB, BATCH, AB)-1:0] lead_out,  // SEQ 0: the C1 MAC
    input  wire [`RNNFAB_LEAD_W(K, KP, LANES, WB, BATCH, AB)-1:0] lead_in,   // SEQ > 0: copy 0's
    output wire [`RNNFAB_SHARE_W(ACC, AB)-1:0] share_out,  // slot > 0: its S1 cell for slot 0
    // slot 0 (SEQ 0, PLACE 0): slot s's S1 cell at s (s > 0)
    input  wire [BATCH*EW_GROUP*`RNNFAB_SHARE_W(ACC, AB)-1:0] share_in,
    output wire [`RNNFAB_EWR_W(KW, BATCH*EW_GROUP, AB)-1:0] ewr_out,  // slot 0: the unit's results
    input  wire [`RNNFAB_EWR_W(KW, BATCH*EW_GROUP, AB)-1:0] ewr_in    // slot > 0: slot 0's ewr_out
);
  localparam HDEPTH = LAYERS * KO;  // words of the h bank
  localparam CDEPTH = LAYERS * K;  // words of the c bank and the bias/peephole ROMs
  localparam GATES_W = 4 * ACC;  // one accumulator word: four gate fields
  localparam ROW_W = `RNNFAB_ROW_W(K, KP);  // engines' local row width
  localparam XW = ACC + 1;  // width of the projection requantizer's sum
  localparam VW = AB + DELTA;  // broadcast value width (a delta has one bit more)
  localparam PW = WB + VW;  // product width
  localparam LEAD_W = `RNNFAB_LEAD_W(K, KP, LANES, WB, BATCH, AB);  // lead_out / lead_in width
  localparam SLOTS = BATCH * EW_GROUP;  // the element-wise unit's slots (copies of the group)
  localparam SLOT = SEQ * EW_GROUP + PLACE;  // this copy's slot
  localparam SHARE = (SLOTS > 1) ? 1 : 0;  // the slots share slot 0's element-wise unit
  localparam UNIT = (SLOT == 0) ? 1 : 0;  // this copy holds the element-wise unit and the ROMs
  localparam SQW = `RNNFAB_SEQ_W(SLOTS);  // slot width
  localparam PLACE_W = `RNNFAB_BITS_FOR(EW_GROUP - 1);  // a place in the group (1 bit at 1)
  localparam TW = KW + SQW;  // a result's tag: {slot, cell}
  localparam SHARE_W = `RNNFAB_SHARE_W(ACC, AB);  // share_out: {accumulator word, c or h}
  localparam EWR_W = `RNNFAB_EWR_W(KW, SLOTS, AB);  // ewr_out: the unit's results

  initial begin
    if (K < 1 || KO < 1 || KP < 1 || LAYERS < 1 || ACC < WB + AB || AF > AB - 1 || WF > WB - 1)
    begin
      $display("%m: bad parameters K=%0d KO=%0d KP=%0d LAYERS=%0d ACC=%0d AB=%0d WB=%0d", K, KO,
               KP, LAYERS, ACC, AB, WB);
      $finish;
    end
    if (IN0 < 1 || O < 1 || H < 1 || (PROJ == 0 && O != H) ||
        (GRU != 0 && (PROJ != 0 || PEEP != 0)) || FORMAT < 0 || FORMAT > 1 || LUT_RAM_DEPTH < 0 ||
        !`RNNFAB_LANES_OK(LANES) ||
        (K % LANES) != 0 || (BCAST > 1 && FORMAT != 1 && DELTA == 0) ||
        DELTA < 0 || DELTA > 1 || (DELTA != 0 && (FORMAT != 0 || BATCH != 1)) ||
        BATCH < 1 || SEQ < 0 || SEQ >= BATCH || ACC_SERIAL < 0 || ACC_SERIAL > 1 || PDELTA > DELTA)
    begin
      $display("%m: bad parameters IN0=%0d H=%0d O=%0d GRU=%0d PROJ=%0d PEEP=%0d FORMAT=%0d %s=%0d",
               IN0, H, O, GRU, PROJ, PEEP, FORMAT, "LANES", LANES);
      $display("%m: BATCH=%0d SEQ=%0d", BATCH, SEQ);
      $finish;
    end
    if (EW_GROUP < 1 || (EW_GROUP > 1 && (1 << PLACE_W) != EW_GROUP) || PLACE < 0 ||
        PLACE >= EW_GROUP || (EW_GROUP > 1 && DELTA != 0)) begin
      $display("%m: EW_GROUP=%0d must be a power of two (1 with DELTA), PLACE=%0d below it",
               EW_GROUP, PLACE);
      $finish;
    end
    if (PQUEUE != 0 && (DELTA == 0 || PDELTA == 0 || FORMAT != 0 || BATCH != 1)) begin
      $display("%m: PQUEUE=1 needs DELTA=1, PDELTA=1, FORMAT=0 (ese) and BATCH=1");
      $finish;
    end
    if (BUS_STAGE < 0 || BUS_STAGE > 1 || (BUS_STAGE != 0 && (FORMAT != 0 || DELTA != 0))) begin
      $display("%m: BUS_STAGE=%0d must be 0 or 1; 1 needs FORMAT=0 (ese) and DELTA=0", BUS_STAGE);
      $finish;
    end
    if (MREAD < 1 || (1 << $clog2(MREAD)) != MREAD || MREAD > LANES ||
        (MREAD > 1 && (DELTA == 0 || ACC_SERIAL != 0))) begin
      $display("%m: MREAD=%0d must be a power of two up to LANES=%0d; > 1 needs DELTA=1 and %s",
               MREAD, LANES, "ACC_SERIAL=0");
      $finish;
    end
  end

  `RNNFAB_FIXED_POINT_FUNCTIONS

  // ---------------- Matrix-vector engine (MAC out in C1; bcr: LANES weights of a line of rows)
  wire c1_valid, c1_hpart, engine_idle, engine_proj_idle;
  wire [ROW_W-1:0] c1_row;
  wire [LANES*WB-1:0] c1_weight;
  wire [VW-1:0] c1_value;
  wire e_valid, e_hpart;  // the engine's MAC (SEQ 0): BATCH values, sequence s in [s*AB +: AB]
  wire [ROW_W-1:0] e_row;
  wire [LANES*WB-1:0] e_weight;
  wire [BATCH*AB-1:0] e_values;
  wire [BATCH*AB+DELTA-1:0] e_mac_value;  // the engine's value(s); with delta the delta
  assign e_values = e_mac_value[BATCH*AB-1:0];
  assign lead_out = {e_valid, e_hpart, e_row, e_weight, e_values};
  generate
    if (SEQ != 0) begin : gen_copy
      // a batch copy: no engine; copy 0's MAC, this copy's value
      wire [BATCH*AB-1:0] lead_values;
      assign {c1_valid, c1_hpart, c1_row, c1_weight, lead_values} = lead_in;
      assign c1_value = lead_values[SEQ*AB+:AB];
      wire unused_lead_values = &{1'b0, lead_values};
      assign {e_valid, e_hpart, e_row, e_weight, e_mac_value} = {(LEAD_W + DELTA) {1'b0}};
      assign engine_idle = 1'b1;
      assign engine_proj_idle = 1'b1;
      assign stall_req = 1'b0;
      wire unused_copy_inputs = &{1'b0, bc_valid, bc_data, bc_data_q, bc_col, bc_count,
                                  phase_start,
                                  mac_hold,
                                  phase_nseg, phase_nseg0, phase_cbase1, bc_seg_last, bc_hpart,
                                  bc_seg_last_pre,
                                  bc_delta, bc_ptr};
    end else begin : gen_lead
      assign {c1_valid, c1_hpart, c1_row, c1_weight} = {e_valid, e_hpart, e_row, e_weight};
      assign c1_value = e_mac_value[VW-1:0];
      wire unused_lead_in = &{1'b0, lead_in};
    end
    if (SEQ == 0 && FORMAT == 0) begin : gen_ese
      // the bus as the engine sees it: this PE's bus stage (BUS_STAGE; keep, or Yosys's opt_merge
      // leaves one copy of the equal registers of all PEs), or the controller's registers
      wire engine_bc_valid, engine_seg_last, engine_hpart, bus_busy;
      wire engine_drained, engine_proj_drained;  // the engine's own idle outputs
      if (BUS_STAGE != 0) begin : gen_bus_stage
        reg bs_valid_q, bs_seg_last_q, bs_hpart_q;
        (* keep *)
        always @(posedge clk) begin
          bs_valid_q <= !rst && bc_valid;
          bs_seg_last_q <= bc_seg_last;
          bs_hpart_q <= bc_hpart;
        end
        assign {engine_bc_valid, engine_seg_last, engine_hpart} =
            {bs_valid_q, bs_seg_last_q, bs_hpart_q};
        assign bus_busy = bs_valid_q;  // a column on its way to the engine: not idle
        wire unused_seg_last_pre = &{1'b0, bc_seg_last_pre};
      end else begin : gen_bus_direct
        assign {engine_bc_valid, engine_seg_last, engine_hpart} = {bc_valid, bc_seg_last, bc_hpart};
        assign bus_busy = 1'b0;
      end
      wire [BATCH*AB+DELTA-1:0] engine_value;  // the broadcast value(s), or with delta the delta
      // dense: the value(s) of the cycle before, registered once for all PEs (P1_SHARED)
      wire [BATCH*AB+DELTA-1:0] engine_value_q;
      if (DELTA != 0) begin : gen_delta_value
        assign engine_value = bc_delta;
        assign engine_value_q = {(BATCH * AB + DELTA) {1'b0}};
      end else begin : gen_dense_value
        assign engine_value = bc_data[BATCH*AB-1:0];
        assign engine_value_q = bc_data_q[BATCH*AB-1:0];
        wire unused_delta_value = &{1'b0, bc_delta};
      end
      rnnfab_mv_ese #(
          .AB(BATCH * AB), .WB(WB), .IDX_BITS(IDX_BITS), .VAL_BITS(VAL_BITS), .CODEBOOK(CODEBOOK),
          .PTR_W(PTR_W), .WEIGHT_DEPTH(WEIGHT_DEPTH), .POINTER_DEPTH(POINTER_DEPTH),
          .QUEUE_DEPTH(QUEUE_DEPTH), .ROW_W(ROW_W), .LANES(LANES), .WEIGHT_FILE(WEIGHT_FILE),
          .POINTER_FILE(POINTER_FILE), .INDEX_FILE(INDEX_FILE), .CODEBOOK_FILE(CODEBOOK_FILE),
          .DELTA(DELTA),
          .BP_W(DPTR_W), .PQUEUE(PQUEUE), .P1_SHARED((DELTA != 0) ? 0 : 1),
          .SEG_LAST_PRE((DELTA != 0 || BUS_STAGE != 0) ? 0 : 1), .BUS_STAGE(BUS_STAGE)
      ) engine (
          .clk(clk), .rst(rst), .bc_valid(engine_bc_valid), .bc_data(engine_value),
          .bc_data_q(engine_value_q), .bc_ptr(bc_ptr),
          .bc_seg_last(engine_seg_last), .bc_seg_last_pre(bc_seg_last_pre),
          .bc_hpart(engine_hpart),
          .hold(mac_hold),
          .stall_req(stall_req),
          .mac_valid(e_valid), .mac_row(e_row), .mac_hpart(e_hpart),
          .mac_weight(e_weight), .mac_value(e_mac_value), .idle(engine_drained),
          .proj_idle(engine_proj_drained)
      );
      assign engine_idle = engine_drained && !bus_busy;
      assign engine_proj_idle = engine_proj_drained && !bus_busy;
      wire unused_bcr_inputs = &{1'b0, bc_col, bc_count, phase_start, phase_nseg, phase_nseg0,
                                 phase_cbase1, bc_data, bc_data_q};
    end else if (SEQ == 0) begin : gen_bcr
      rnnfab_mv_bcr #(
          .AB(BATCH * AB), .WB(WB), .IDX_W(IDX_W), .HDR_ROW_BITS(HDR_ROW_BITS),
          .HDR_COL_BITS(HDR_COL_BITS), .WEIGHT_DEPTH(WEIGHT_DEPTH), .INDEX_DEPTH(INDEX_DEPTH),
          .VEC_DEPTH(VEC_DEPTH), .ROW_W(ROW_W), .MAX_ROWS(MAX_ROWS), .BLOCK_COLS(BLOCK_COLS),
          .SEG_W(SEG_W), .LANES(LANES), .BCAST(BCAST), .WEIGHT_FILE(WEIGHT_FILE),
          .INDEX_FILE(INDEX_FILE), .CODEBOOK(CODEBOOK), .VAL_BITS(VAL_BITS),
          .CODEBOOK_FILE(CODEBOOK_FILE)
      ) engine (
          .clk(clk), .rst(rst), .bc_valid(bc_valid), .bc_data(bc_data), .bc_col(bc_col),
          .bc_count(bc_count), .phase_start(phase_start), .phase_nseg(phase_nseg),
          .phase_nseg0(phase_nseg0), .phase_cbase1(phase_cbase1), .mac_valid(e_valid),
          .mac_row(e_row), .mac_hpart(e_hpart), .mac_weight(e_weight), .mac_value(e_mac_value),
          .idle(engine_idle)
      );
      assign engine_proj_idle = engine_idle;
      assign stall_req = 1'b0;
      wire unused_ese_inputs = &{1'b0, bc_seg_last, bc_seg_last_pre, bc_hpart, bc_delta, bc_ptr,
                                 mac_hold,
                                 bc_data_q};
    end
  endgenerate

  // ---------------- The projection requantizer's issue (row rq_k_q), from this PE's registers of
  // the controller's read-ahead (rq_pre, rq_pre_k: the issue and its row a cycle ahead, registers
  // of the controller; keep, one copy per PE), not the controller's rq_issue, an AND of its
  // sequencer's registers routed to every PE's accumulator live bits (lstmp-16pe-ewg4-bus, seed
  // 2: the controller's ws_active_q -> PE 2's projection live bit, 6.65 ns of routing)
  reg rq_issue_q;
  reg [KPW-1:0] rq_k_q;
  (* keep *)
  always @(posedge clk) begin
    rq_issue_q <= !rst && rq_pre;
    rq_k_q <= rq_pre_k;
  end
  wire unused_rq_issue = &{1'b0, rq_issue, rq_k};  // (equal to rq_issue_q, rq_k_q)

  // ---------------- C1 -> C2 -> C3: the products of the engine's MAC, one multiplier per lane,
  // in the DSP-block pattern: registered inputs (C2: A/B registers), registered product (C3: M
  // register), a two-stage rnnfab_mul (on the ECP5 flow both stages are the MULT18X18D's own
  // registers, docs/timing.md); the accumulator memory registers it once more before its adder (W).
  localparam MAC_DSP = `RNNFAB_MAC_DSP(ACC_SERIAL, WB, VW, ACC);  // 1: banks multiply C1 in DSPs
  reg c2_valid_q, c2_hpart_q, c3_valid_q;
  reg [ROW_W-1:0] c2_row_q;
  wire [LANES*PW-1:0] c3_product;
  always @(posedge clk) begin
    {c2_valid_q, c3_valid_q} <= rst ? 2'b00 : {c1_valid, c2_valid_q};
    {c2_hpart_q, c2_row_q} <= {c1_hpart, c1_row};
  end
  genvar lane;
  generate
    if (MAC_DSP != 0) begin : gen_mac_in_banks
      assign c3_product = {LANES * PW{1'b0}};
    end else begin : gen_mac
      for (lane = 0; lane < LANES; lane = lane + 1) begin : gen_lane
        rnnfab_mul #(
            .AW(WB), .BW(VW), .STAGES(2)
        ) mult (
            .clk(clk), .en(3'b111), .a(c1_weight[lane*WB+:WB]), .b(c1_value),
            .y(c3_product[lane*PW+:PW])
        );
      end
    end
  endgenerate
  wire mac_valid = c3_valid_q;  // C3: accumulate lane l's product into (mac_bank, mac_k, l)
  wire [LANES*PW-1:0] mac_product = c3_product;
  assign idle = engine_idle && !c2_valid_q && !c3_valid_q;

  // ---------------- C2: bank decode into C3 (mac_bank, mac_k) ("Hardware row order"): local row
  // u = gate * K + k is field `gate` of cell k's word (GRU: gate group 2 of a recurrent column is
  // hn, field 3); projection: row k, bank 4. Lanes: line u div LANES, lane l: row mac_k * LANES + l.
  localparam [31:0] GATE1_ROW = K / LANES;  // first row (line) of gate 1
  localparam [31:0] GATE2_ROW = 2 * K / LANES;  // first row (line) of gate 2
  localparam [31:0] GATE3_ROW = 3 * K / LANES;  // first row (line) of gate 3
  // A projection MAC: with a delta-coded projection input (PDELTA) the column's part bit marks it
  // (rnnfab_delta_bc: layer 0's next input part and the projection share the engine's queue);
  // else phase_proj, which holds while MACs are in flight (the controller changes phase when all
  // are idle)
  wire c2_proj = (PDELTA != 0) ? c2_hpart_q : phase_proj;
  reg [2:0] mac_bank, c2_bank;
  reg [ROW_W-1:0] mac_k, c2_k;
  always @* begin
    if (c2_proj) begin
      c2_bank = 3'd4;
      c2_k = c2_row_q;
    end else if ({1'b0, c2_row_q} >= GATE3_ROW[ROW_W:0]) begin
      c2_bank = 3'd3;
      c2_k = c2_row_q - GATE3_ROW[ROW_W-1:0];
    end else if ({1'b0, c2_row_q} >= GATE2_ROW[ROW_W:0]) begin
      c2_bank = (GRU != 0 && c2_hpart_q) ? 3'd3 : 3'd2;
      c2_k = c2_row_q - GATE2_ROW[ROW_W-1:0];
    end else if ({1'b0, c2_row_q} >= GATE1_ROW[ROW_W:0]) begin
      c2_bank = 3'd1;
      c2_k = c2_row_q - GATE1_ROW[ROW_W-1:0];
    end else begin
      c2_bank = 3'd0;
      c2_k = c2_row_q;
    end
  end
  (* keep *)  // the bank's projection bit is the same in every PE: one copy per PE (docs/timing.md)
  always @(posedge clk) {mac_bank, mac_k} <= {c2_bank, c2_k};
  // The accumulator banks' forwarding compare, a stage ahead (rnnfab_acc_mem SAME_IN): the MAC in
  // C2 adds into the bank (gate field) and line of the MAC now in C3, both valid. Both are in one
  // phase (the controller changes phase with no MAC in flight), where the row decides the bank and
  // the line, but for the part bit: a GRU's gate group 2 is xn or hn by the column's part, and with
  // PDELTA the part marks a projection MAC. So the compare reads registers of this PE only, not
  // the controller's phase_proj (lstmp-16pe-ewg4, a try that compared the banks: phase_proj_q ->
  // mac_same_q, docs/timing.md). Delta banks compare their memory addresses themselves.
  wire c2_part = (PDELTA != 0) ? c2_hpart_q :
      (GRU != 0) && c2_hpart_q && ({1'b0, c2_row_q} >= GATE2_ROW[ROW_W:0]);
  reg [ROW_W-1:0] c3_row_q;
  reg c3_part_q, mac_same_q;
  always @(posedge clk) {c3_row_q, c3_part_q} <= {c2_row_q, c2_part};
  (* keep *)  // the same in every PE whose MACs agree: one copy per PE
  always @(posedge clk)
    mac_same_q <= !rst && c2_valid_q && c3_valid_q && c2_row_q == c3_row_q &&
        c2_part == c3_part_q;
  // PQUEUE: no projection column in the engine, in C2 or in C3 (its bank: mac_bank[2])
  assign proj_idle = (PQUEUE != 0) ?
      engine_proj_idle && !(c2_valid_q && c2_proj) && !(c3_valid_q && mac_bank[2]) : idle;

  // ---------------- Element-wise issue (S0) -> S1: this copy's cells (my_issue_q), and in copy 0
  // every copy's (the shared unit's input). The issue, its cell and sequence are registered here
  // from the controller's next state (ew_pre), so the h bank's and the accumulators' read address
  // multiplexers start from a register inside the PE (docs/timing.md); same cycle as before.
  // ACC_SERIAL: the banks read a cell's gate fields in 4 cycles from this S0 (a_*), the rest of
  // S0 comes ACC_DELAY cycles later: the controller's and the cycle model's EW_LAT is that longer
  localparam [31:0] SLOT_U = SLOT;  // SLOT as a vector
  localparam ACC_DELAY = (ACC_SERIAL != 0) ? 3 : 0;  // ACC_SERIAL_DELAY of rtl/design.ts
  localparam DLW = 2 + KW + SQW;  // an S0: {issue, this copy's issue, cell, slot}
  reg a_issue_q, a_my_issue_q;
  reg [KW-1:0] a_k_q;
  reg [SQW-1:0] a_seq_q;
  (* keep *)  // the same in every PE: one copy per PE, not one for all (docs/timing.md)
  always @(posedge clk) a_issue_q <= !rst && ew_pre;
  always @(posedge clk) a_seq_q <= ew_pre_seq;
  // this copy's issue and its cell, kept apart in every PE (keep on the process, so that Yosys's
  // opt_merge leaves its flip-flops; on a reg it does not): each PE computes the same values, and
  // one merged copy drove the accumulators' read registers and read addresses of all PEs across
  // the chip (gru-8pe's critical path, docs/timing.md). Only bits that change are kept (the
  // sequence is constant at batch 1).
  (* keep *)
  always @(posedge clk) begin
    a_my_issue_q <= !rst && ew_pre && (SHARE == 0 || ew_pre_seq == SLOT_U[SQW-1:0]);
    a_k_q <= ew_pre_k;
  end
  wire [KW+SQW-1:0] a_cell_q = {a_k_q, a_seq_q};
  wire [(ACC_DELAY+1)*DLW-1:0] s0_line;  // S0 delayed d cycles at [d*DLW +: DLW]
  assign s0_line[DLW-1:0] = {a_issue_q, a_my_issue_q, a_cell_q};
  genvar dl;
  generate
    for (dl = 1; dl <= ACC_DELAY; dl = dl + 1) begin : gen_s0_delay
      reg [DLW-1:0] stage_q;
      always @(posedge clk) stage_q <= rst ? {DLW{1'b0}} : s0_line[(dl-1)*DLW+:DLW];
      assign s0_line[dl*DLW+:DLW] = stage_q;
    end
  endgenerate
  wire ew_issue_q, my_issue_q;  // S0 of the element-wise side
  wire [KW-1:0] ew_k_q;
  wire [SQW-1:0] ew_seq_q;
  assign {ew_issue_q, my_issue_q, ew_k_q, ew_seq_q} = s0_line[ACC_DELAY*DLW+:DLW];
  reg s1_valid_q, s1_unit_q;
  reg [KW-1:0] s1_k_q;
  reg [SQW-1:0] s1_seq_q;
  (* keep *)  // the unit's valid is the same in every PE: one copy per PE (docs/timing.md)
  always @(posedge clk) {s1_valid_q, s1_unit_q} <= rst ? 2'b00 : {my_issue_q, ew_issue_q};
  // kept too: equal in every PE, and Yosys's merged copy chose a group's cell for a unit of
  // another group across the chip (lstmp-16pe-ewg4-bus, seed 3: PE 8's s1_seq_q -> PE 4's unit)
  (* keep *)
  always @(posedge clk) {s1_k_q, s1_seq_q} <= {ew_k_q, ew_seq_q};
  // S0's cell address (layer base + cell), a register loaded a cycle ahead from the line's stage
  // before S0 (ew_pre_k itself when ACC_DELAY is 0): the add from the controller's base, routed
  // across the chip, ends in this PE's register instead of in the c bank's read (lstmp-8pe's
  // critical path, docs/timing.md). The controller loads the base with the phase's first ew_pre
  // (rnnfab_ctrl.v), and it holds until the phase's last c is written.
  // With a group, the unit's ROM address also takes S0's place in the group (the slot's low
  // bits), a register loaded from the same stage.
  wire [KW-1:0] pre_s0_k;
  wire [SQW-1:0] pre_s0_slot;
  generate
    if (ACC_DELAY == 0) begin : gen_pre_s0_k_input
      assign {pre_s0_k, pre_s0_slot} = {ew_pre_k, ew_pre_seq};
    end else begin : gen_pre_s0_k_line
      assign {pre_s0_k, pre_s0_slot} = s0_line[(ACC_DELAY-1)*DLW+:KW+SQW];
    end
  endgenerate
  reg [CA_W-1:0] s0_caddr_q;
  reg [PLACE_W-1:0] s0_place_q;
  (* keep *)  // ew_pre_k is the same in every PE: one copy per PE (docs/timing.md)
  always @(posedge clk) s0_caddr_q <= ew_cbase + {{(CA_W - KW) {1'b0}}, pre_s0_k};
  (* keep *)  // the same in every unit's PE: one copy per unit
  always @(posedge clk) s0_place_q <= (EW_GROUP > 1) ? pre_s0_slot[PLACE_W-1:0] : {PLACE_W{1'b0}};
  wire unused_pre_s0_slot = &{1'b0, pre_s0_slot};  // (its high bits: the sequence)
  wire [CA_W-1:0] s0_caddr = s0_caddr_q;
  wire [CA_W-1:0] s1_caddr = ew_cbase + {{(CA_W - KW) {1'b0}}, s1_k_q};

  // delta: the MACs' memory base (layer * K, or layer * KP in a projection phase), copied in every
  // PE a cycle behind the controller's (keep: Yosys would merge the equal copies into one register
  // routed to every PE, docs/timing.md). It changes only at a phase's start, when no MAC is in
  // flight or its value stays (the early input part's MACs run into layer 0's projection phase:
  // both bases of layer 0 are 0), and a phase's first MAC comes cycles after its start.
  wire [CA_W-1:0] mac_cbase_pe;
  generate
    if (DELTA != 0) begin : gen_cbase_copy
      reg [CA_W-1:0] mac_cbase_q;
      (* keep *)
      always @(posedge clk) mac_cbase_q <= mac_cbase;
      assign mac_cbase_pe = mac_cbase_q;
    end else begin : gen_cbase_wire
      assign mac_cbase_pe = mac_cbase;
    end
  endgenerate

  // ---------------- Gate accumulators (rnnfab_acc_banks): a word of four gate fields per cell,
  // read in S0, taken (cleared) in S1; never read by the engine and the element-wise unit in one
  // cycle (EW after phase A drained, next phase A after the last EW read; projection: field 4).
  wire [GATES_W-1:0] ew_word;  // S1: the cell's accumulators
  // LSTM with projection: the projection rows a fifth field of the gate banks (one adder for both
  // phases; LUT RAM banks only, rnnfab_acc_mem SPLIT); merged_rq_word: the requantizer's row
  localparam MERGE_PROJ = (DELTA == 0 && PROJ != 0 && GRU == 0 &&
                           (`RNNFAB_MAX(K, KP) + LANES - 1) / LANES <= LUT_RAM_DEPTH) ? 1 : 0;
  wire [ACC-1:0] merged_rq_word;
  generate
    if (DELTA != 0) begin : gen_acc_delta
      // delta: the memories M of every layer (cell k of layer l at l * K + k), kept across steps;
      // with lanes in LANES banks as without delta (K is a multiple of LANES, so cell l * K + k
      // is in bank k mod LANES at word l * K / LANES + k div LANES: the MAC's line goes to word
      // mac_cbase / LANES + line)
      localparam LANE_SHIFT = (LANES > 1) ? `RNNFAB_BITS_FOR(LANES - 1) : 0;  // log2(LANES)
      wire [CA_W-1:0] cbase_line = mac_cbase_pe >> LANE_SHIFT;
      wire [CA_W-1:0] mac_caddr = cbase_line + {{(CA_W - KW) {1'b0}}, mac_k[KW-1:0]};
      if (MREAD > 1) begin : gen_read_ahead
        // the read-ahead: from S0 of cell 0 it reads cells G j .. G j + G - 1 of the layer in
        // cycle j (G = MREAD neighbouring banks, one word: rnnfab_acc_banks GROUP), so every
        // read of M is done K / G cycles after the issue's start (the controller's mac_hold ends
        // then); the words wait in G LUT RAMs (cell k in memory k mod G at k div G) for their
        // S1. Cell 0's S1 is the cycle after its read: it takes the banks' word itself; every
        // other cell's S1 is at least a cycle after its memory's write.
        localparam GB = `RNNFAB_BITS_FOR(MREAD - 1);  // log2(G)
        localparam KG = K / MREAD;  // groups
        localparam JW = `RNNFAB_BITS_FOR(KG - 1);  // a group's index
        localparam [KW:0] K_LAST_GROUP = K - MREAD, G_C = MREAD;
        reg ra_active_q;
        reg [KW-1:0] ra_k_q;  // the next group's first cell
        reg ra_wr_q;
        reg [JW-1:0] ra_wj_q;  // the group read in the previous cycle
        wire ra_start = my_issue_q && ew_k_q == {KW{1'b0}};
        wire ra_read = ra_start || ra_active_q;
        wire [KW-1:0] ra_k = ra_start ? {KW{1'b0}} : ra_k_q;
        wire [KW:0] ra_k_x = {1'b0, ra_k};
        wire [KW:0] ra_next = ra_k_x + G_C;
        always @(posedge clk) begin
          ra_active_q <= !rst && ra_read && (ra_k_x != K_LAST_GROUP);
          ra_wr_q <= !rst && ra_read;
          if (ra_read) ra_k_q <= ra_next[KW-1:0];
          ra_wj_q <= ra_k_x[JW+GB-1:GB];
        end
        wire [MREAD*GATES_W-1:0] group_words;
        wire [GATES_W-1:0] unused_first;  // (the group's first row: group_words[0] here)
        rnnfab_acc_banks #(
            .LANES(LANES), .WORDS(CDEPTH), .FIELDS(4), .ACC(ACC), .PW(PW),
            .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(1), .MW(CA_W), .IW(CA_W), .GROUP(MREAD)
        ) acc_gate (
            .clk(clk), .rst(rst), .mac_valid(mac_valid && !mac_bank[2]), .mac_line(mac_caddr),
            .mac_field(mac_bank[1:0]), .mac_product(mac_product), .mac_same(mac_same_q),
            .mac_a(1'b0),
            .mac_b({LANES{1'b0}}),
            .read(ra_read), .read_k(ew_cbase + {{(CA_W - KW) {1'b0}}, ra_k}), .take(1'b0),
            .take_k({CA_W{1'b0}}), .read2(1'b0), .read2_k(1'b0), .take2(1'b0), .take2_k(1'b0),
            .word(unused_first), .group_words(group_words)
        );
        wire [KW:0] s1_k_x = {1'b0, s1_k_q};
        wire [JW-1:0] s1_j = s1_k_x[JW+GB-1:GB];
        wire [MREAD*GATES_W-1:0] held_words;  // cell G s1_j + i's word in [i*GATES_W +: GATES_W]
        genvar ri;
        for (ri = 0; ri < MREAD; ri = ri + 1) begin : gen_ra_mem
          reg [GATES_W-1:0] mem[0:KG-1];
          always @(posedge clk) begin
            if (ra_wr_q) mem[ra_wj_q] <= group_words[ri*GATES_W+:GATES_W];
          end
          assign held_words[ri*GATES_W+:GATES_W] = mem[s1_j];
        end
        // cell s1_k's word: memory s1_k mod G's, an AND-OR select (a variable part-select of
        // held_words became a shifter over all of them in Yosys)
        wire [GB-1:0] s1_i = s1_k_q[GB-1:0];
        reg [GATES_W-1:0] held_word;
        integer hi;
        always @* begin
          held_word = {GATES_W{1'b0}};
          for (hi = 0; hi < MREAD; hi = hi + 1) begin
            if (s1_i == hi[GB-1:0]) held_word = held_word | held_words[hi*GATES_W+:GATES_W];
          end
        end
        assign ew_word = (s1_k_q == {KW{1'b0}}) ? group_words[GATES_W-1:0] : held_word;
        // (M with KEEP: a take changes nothing, so the read-ahead takes none)
        wire unused_ra = &{1'b0, s0_caddr, s1_caddr, s1_valid_q, ra_next[KW], ra_k_x, s1_k_x,
                           unused_first};
      end else begin : gen_read_s0
        wire [GATES_W-1:0] unused_word2;
        rnnfab_acc_banks #(
            .LANES(LANES), .WORDS(CDEPTH), .FIELDS(4), .ACC(ACC), .PW(PW),
            .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .KEEP(1), .MW(CA_W), .IW(CA_W)
        ) acc_gate (
            .clk(clk), .rst(rst), .mac_valid(mac_valid && !mac_bank[2]), .mac_line(mac_caddr),
            .mac_field(mac_bank[1:0]), .mac_product(mac_product), .mac_same(mac_same_q),
            .mac_a(1'b0),
            .mac_b({LANES{1'b0}}),
            .read(my_issue_q), .read_k(s0_caddr), .take(s1_valid_q), .take_k(s1_caddr),
            .read2(1'b0), .read2_k(1'b0), .take2(1'b0), .take2_k(1'b0), .word(ew_word),
            .group_words(unused_word2)
        );
        wire unused_second = &{1'b0, unused_word2};
      end
      wire unused_mac_k = &{1'b0, mac_k};  // the low KW bits are the cell
    end else if (MERGE_PROJ != 0) begin : gen_acc_proj
      // the projection rows as a fifth field of the gate banks (row q in bank q mod LANES at
      // q div LANES, as the cells): one adder per bank for both phases (rnnfab_acc_mem FIELDS2);
      // the requantizer's row is read one cycle ahead, at rq_pre_k (no projection MAC in flight
      // then). The fifth field has a read port of its own (rnnfab_acc_mem SPLIT) and its read
      // register feeds the requantizer alone, so it reads at rq_pre_k in every cycle (a bank
      // not addressed reads zero) instead of under rq_pre: the main sequence's requantization
      // start no longer reaches every PE's read registers (docs/timing.md). ACC_SERIAL banks
      // (rnnfab_acc_serial) share that port with the MACs: they read under rq_pre.
      wire [5*ACC-1:0] acc_word;
      wire [5*ACC-1:0] unused_word2;  // the banks' second read (PAIR; not used here)
      rnnfab_acc_banks #(
          .LANES(LANES), .WORDS(`RNNFAB_MAX(K, KP)), .FIELDS(5), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .FIELDS2(1), .MW(ROW_W), .IW(KW), .IW2(KPW), .SAME_IN(1),
          .SERIAL(ACC_SERIAL), .OPA_W(VW), .OPB_W(WB)
      ) acc_gate (
          .clk(clk), .rst(rst), .mac_valid(mac_valid), .mac_line(mac_k), .mac_field(mac_bank),
          .mac_product(mac_product), .mac_same(mac_same_q), .mac_a(c1_value), .mac_b(c1_weight),
          .read(a_my_issue_q),
          .read_k(a_cell_q[KW+SQW-1:SQW]), .take(s1_valid_q), .take_k(s1_k_q),
          .read2((ACC_SERIAL != 0) ? rq_pre : 1'b1),
          .read2_k(rq_pre_k), .take2(rq_issue_q), .take2_k(rq_k_q), .word(acc_word),
          .group_words(unused_word2)
      );
      wire unused_second = &{1'b0, unused_word2};
      assign ew_word = acc_word[4*ACC-1:0];
      assign merged_rq_word = acc_word[5*ACC-1:4*ACC];
      wire unused_cbase = &{1'b0, mac_cbase_pe, rq_pre};
    end else begin : gen_acc
      // LANES banks of K / LANES words: cell k in bank k mod LANES at k div LANES; the
      // element-wise unit reads one bank per cell, the lanes write all banks at once
      wire [GATES_W-1:0] unused_word2;  // the banks' second read (PAIR; not used here)
      rnnfab_acc_banks #(
          .LANES(LANES), .WORDS(K), .FIELDS(4), .ACC(ACC), .PW(PW),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .MW(ROW_W), .IW(KW), .SAME_IN(1)
      ) acc_gate (
          .clk(clk), .rst(rst), .mac_valid(mac_valid && !mac_bank[2]), .mac_line(mac_k),
          .mac_field(mac_bank[1:0]), .mac_product(mac_product), .mac_same(mac_same_q),
          .mac_a(1'b0), .mac_b({LANES{1'b0}}),
          .read(my_issue_q), .read_k(ew_k_q), .take(s1_valid_q), .take_k(s1_k_q), .read2(1'b0),
          .read2_k(1'b0), .take2(1'b0), .take2_k(1'b0), .word(ew_word),
          .group_words(unused_word2)
      );
      wire unused_second = &{1'b0, unused_word2};
      wire unused_cbase = &{1'b0, mac_cbase_pe};
    end
    if (MERGE_PROJ == 0) begin : gen_no_merged_proj
      assign merged_rq_word = {ACC{1'b0}};
      wire unused_merged = &{1'b0, merged_rq_word};
    end
  endgenerate

  // ---------------- h bank (every layer's output elements of this PE); unwritten words read 0.
  // Two synchronous read ports (block-RAM capable; read data registered directly, the live bit
  // beside it): the output stream's, and the broadcaster's, which the GRU unit shares to read
  // h(t-1) in S0 (the broadcaster reads no h bank while element-wise cells are issued). That port
  // reads every cycle (its data is used only the cycle after an issue), so no enable fans out.
  reg [HDEPTH-1:0] h_live_q, h_live_d;
  reg h_we;
  reg [HA_W-1:0] h_waddr;
  reg [AB-1:0] h_wdata;
  reg [HA_W-1:0] h_raddr;
  reg [AB-1:0] h_rd_q, out_rd_q;
  reg h_rd_live_q, out_rd_live_q;
  integer ha;
  always @* begin  // a decoder (an indexed bit write builds shifters in Yosys)
    for (ha = 0; ha < HDEPTH; ha = ha + 1)
      h_live_d[ha] = h_live_q[ha] || (h_we && h_waddr == ha[HA_W-1:0]);
  end
  always @(posedge clk) begin
    h_live_q <= rst ? {HDEPTH{1'b0}} : h_live_d;
    h_rd_live_q <= h_live_q[h_raddr];  // read every cycle: no enable fans out to it
    if (out_en) out_rd_live_q <= h_live_q[out_addr];
  end
  (* ram_style = (HDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
  reg [AB-1:0] h_mem[0:HDEPTH-1];
  always @(posedge clk) begin
    if (!rst && h_we) h_mem[h_waddr] <= h_wdata;
    h_rd_q <= h_mem[h_raddr];
    if (out_en) out_rd_q <= h_mem[out_addr];
  end
  wire [AB-1:0] h_rd_value = h_rd_live_q ? h_rd_q : {AB{1'b0}};
  assign out_data = out_rd_live_q ? out_rd_q : {AB{1'b0}};
  // the bank read data for the broadcaster (h, or m for the projection): registered once more
  // in this PE with BUS_STAGE (keep, as the bus stage), so that the route to the controller's
  // multiplexer starts at a register, the bank choice (rd_m_q) before it
  wire [AB-1:0] rd_value;
  generate
    if (BUS_STAGE != 0) begin : gen_rd_stage
      reg [AB-1:0] rd_value_q;
      (* keep *)
      always @(posedge clk) rd_value_q <= rd_value;
      assign rd_data = rd_value_q;
    end else begin : gen_rd_direct
      assign rd_data = rd_value;
    end
  endgenerate

  // ---------------- Element-wise unit (copy 0) and its results. A cell in S1: this copy's four
  // accumulators and c(t-1) (LSTM) or h(t-1) (GRU), own_cell; copy 0's unit takes its own or
  // copy s1_seq_q's (share_in) and hands every result, tagged {sequence, cell}, to the copies.
  wire [AB-1:0] own_prev;  // c(t-1) or h(t-1) of the cell in S1
  wire [SHARE_W-1:0] own_cell = {ew_word, own_prev};
  assign share_out = (SLOT != 0) ? own_cell : {SHARE_W{1'b0}};
  wire r_c_we, r_m_we;  // the unit's results: c(t) (LSTM), m (LSTM) or h(t) (GRU)
  wire [TW-1:0] r_c_tag, r_m_tag;
  wire [AB-1:0] r_c_value, r_m_value;
  generate
    if (UNIT != 0) begin : gen_unit
      // bias and peephole ROMs (addressed in S0) and the unit (rnnfab_ew_unit.v)
      rnnfab_ew_unit #(
          .GRU(GRU), .PEEP(PEEP), .AB(AB), .AF(AF), .WB(WB), .WF(WF), .ACC(ACC),
          .LATENCY(EW_LAT - ACC_DELAY), .SLOTS(SLOTS), .GROUP(EW_GROUP), .KW(KW), .CA_W(CA_W),
          .CDEPTH(CDEPTH),
          .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .BIAS_FILE(BIAS_FILE), .PEEP_FILE(PEEP_FILE),
          .SIG_S(SIG_S), .SIG_R(SIG_R), .TANH_S(TANH_S), .TANH_R(TANH_R), .SIG_FILE(SIG_FILE),
          .TANH_FILE(TANH_FILE)
      ) unit (
          .clk(clk), .rst(rst), .rom_addr(s0_caddr), .rom_place(s0_place_q),
          .in_valid(s1_unit_q), .in_k(s1_k_q),
          .in_seq(s1_seq_q), .own_cell(own_cell), .share_in(share_in), .ewr_out(ewr_out)
      );
      assign {r_c_we, r_c_tag, r_c_value, r_m_we, r_m_tag, r_m_value} = ewr_out;
      wire unused_ewr_in = &{1'b0, ewr_in};
    end else begin : gen_unit_copy
      assign {r_c_we, r_c_tag, r_c_value, r_m_we, r_m_tag, r_m_value} = ewr_in;
      assign ewr_out = {EWR_W{1'b0}};
      wire unused_copy_unit = &{1'b0, share_in, s1_unit_q, s1_seq_q, s0_caddr, s0_place_q};
    end
  endgenerate
  // the results for this copy's sequence
  wire c_we = r_c_we && (SHARE == 0 || r_c_tag[TW-1:KW] == SLOT_U[SQW-1:0]);
  wire m_we = r_m_we && (SHARE == 0 || r_m_tag[TW-1:KW] == SLOT_U[SQW-1:0]);
  wire [KW-1:0] c_tag = r_c_tag[KW-1:0], m_tag = r_m_tag[KW-1:0];

  // ---------------- State and projection
  localparam KPE = (PROJ != 0) ? KP : 1;  // projection accumulator depth
  localparam MDEPTH = (PROJ != 0) ? K : 1;  // m bank depth
  generate
    if (GRU != 0) begin : gen_gru
      // GRU has no projection: KO = K, so HA_W >= KW. h(t-1) is read in S0 through the
      // broadcaster's port.
      wire [HA_W-1:0] s0_haddr = ew_hbase + {{(HA_W - KW) {1'b0}}, ew_k_q};
      assign own_prev = h_rd_value;
      always @* begin
        h_we = m_we;
        h_waddr = ew_hbase + {{(HA_W - KW) {1'b0}}, m_tag};
        h_wdata = r_m_value;
        h_raddr = my_issue_q ? s0_haddr : rd_addr;
      end
      assign rd_value = h_rd_value;
      wire unused_gru = &{1'b0, s1_caddr, rq_issue_q, rq_k_q, rq_pre, rq_pre_k, rq_hbase, rd_m,
                          c_we, c_tag, r_c_value};
    end else begin : gen_lstm
      // cell state c, read synchronously in S0 (block-RAM capable); unwritten words read 0.
      // c(t-1) of a cell is read one cycle before S1; it was written in an earlier round. Its
      // live bit is read in S0 too, into a register beside the data (c_rd_live_q): the zero of
      // an unwritten c(t-1) comes from a register of this PE, not from the controller's cell
      // base through a multiplexer (docs/timing.md).
      reg [CDEPTH-1:0] c_live_q;
      reg [AB-1:0] c_rd_q;
      reg c_rd_live_q;
      always @(posedge clk) c_rd_live_q <= c_live_q[s0_caddr];
      assign own_prev = c_rd_live_q ? c_rd_q : {AB{1'b0}};
      wire unused_s1_caddr = &{1'b0, s1_caddr};  // (the delta banks take at it)
      wire [CA_W-1:0] c_waddr = ew_cbase + {{(CA_W - KW) {1'b0}}, c_tag};
      reg [CDEPTH-1:0] c_live_d;
      integer ca;
      always @* begin  // a decoder, as h_live_d
        for (ca = 0; ca < CDEPTH; ca = ca + 1)
          c_live_d[ca] = c_live_q[ca] || (c_we && c_waddr == ca[CA_W-1:0]);
      end
      always @(posedge clk) c_live_q <= rst ? {CDEPTH{1'b0}} : c_live_d;
      (* ram_style = (CDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
      reg [AB-1:0] c_mem[0:CDEPTH-1];
      always @(posedge clk) begin
        if (!rst && c_we) c_mem[c_waddr] <= r_c_value;
        c_rd_q <= c_mem[s0_caddr];
      end

      if (PROJ != 0) begin : gen_proj
        // m bank: written by the EW, read (synchronously) by the broadcaster for the projection.
        reg [AB-1:0] m_rd_q;
        reg rd_m_q;
        always @(posedge clk) rd_m_q <= rd_m;
        (* ram_style = (MDEPTH > LUT_RAM_DEPTH) ? "block" : "auto" *)
        reg [AB-1:0] m_mem[0:MDEPTH-1];
        always @(posedge clk) begin
          if (!rst && m_we) m_mem[m_tag] <= r_m_value;
          m_rd_q <= m_mem[rd_addr[KW-1:0]];
        end
        // projection accumulators (gate banks' fifth field, or banks of their own; PDELTA: kept, M_r)
        wire [ACC-1:0] rq_word;
        if (MERGE_PROJ != 0) begin : gen_proj_merged
          assign rq_word = merged_rq_word;
        end else begin : gen_proj_banks
          rnnfab_acc_proj #(
              .LANES(LANES), .KP(KPE), .LAYERS(LAYERS), .ACC(ACC), .PW(PW), .KEEP(PDELTA),
              .LUT_RAM_DEPTH(LUT_RAM_DEPTH), .ROW_W(ROW_W), .KPW(KPW), .CA_W(CA_W), .HA_W(HA_W)
          ) acc_proj (
              .clk(clk), .rst(rst), .mac_valid(mac_valid && mac_bank[2]), .mac_k(mac_k),
              .mac_cbase(mac_cbase_pe), .mac_product(mac_product), .rq_pre(rq_pre),
              .rq_pre_k(rq_pre_k), .rq_issue(rq_issue_q), .rq_k(rq_k_q), .rq_hbase(rq_hbase),
              .word(rq_word)
          );
        end
        // the requantized row, registered before the h bank's write (the accumulator's read
        // word, the OR of its banks, the rounding add and the saturation take a cycle of their
        // own): the row lands in the h bank a cycle after rq_issue. No reader sees the
        // difference: the controller's tracker counts the round written the cycle after
        // rq_issue, a readiness register takes it a cycle later, and the issue it allows reads
        // the bank at the end of that cycle, after this write (docs/timing.md).
        wire [AB-1:0] rq_value = requant(extend_acc(rq_word));
        reg rq_we_q;
        reg [HA_W-1:0] rq_waddr_q;
        reg [AB-1:0] rq_wdata_q;
        (* keep *)  // the same in every PE: one copy per PE, not one for all (docs/timing.md)
        always @(posedge clk) begin
          rq_we_q <= !rst && rq_issue_q;
          rq_waddr_q <= rq_hbase + {{(HA_W - KPW) {1'b0}}, rq_k_q};
          rq_wdata_q <= rq_value;
        end
        always @* begin
          h_we = rq_we_q;
          h_waddr = rq_waddr_q;
          h_wdata = rq_wdata_q;
          h_raddr = rd_addr[HA_W-1:0];
        end
        assign rd_value = rd_m_q ? m_rd_q : h_rd_value;
        wire unused_proj = &{1'b0, ew_hbase};  // m goes to the m bank; h is written by rq
      end else begin : gen_no_proj
        always @* begin
          h_we = m_we;
          h_waddr = ew_hbase + {{(HA_W - KW) {1'b0}}, m_tag};
          h_wdata = r_m_value;
          h_raddr = rd_addr;
        end
        assign rd_value = h_rd_value;
        wire unused_no_proj = &{1'b0, rq_issue_q, rq_k_q, rq_pre, rq_pre_k, rq_hbase, rd_m};
      end
    end
  endgenerate
endmodule
`default_nettype wire
