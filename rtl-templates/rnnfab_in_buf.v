`include "rnnfab_pkg.vh"
`default_nettype none
// rnnfab_in_buf: the controller's input buffer (docs/architecture.md, "Controller" and
// "Streaming interface"): two slots of one time step's input, so that the next step's input is
// taken while the current step computes, and a step's columns can be broadcast as soon as they
// arrive. Slot s holds element i at position s * IN0W + i (IN0W: IN0 rounded up to whole beats),
// in bank i mod BCAST (one memory per beat lane, so that a read takes a whole beat of BCAST
// elements) at word (s * IN0W + i) div BCAST. A stream beat of IN_WORDS elements (i a multiple of
// IN_WORDS, which divides BCAST) goes to IN_WORDS neighbouring banks at one word address, one
// write each; a step's last beat may hold fewer (its lanes past IN0 land in the padding, which no
// read uses). The read side reads the beat at element rd_e of the read slot (synchronous, with
// rd_en as read enable: block RAM), and `rd_release` frees the read slot. `rd_ready` (the beat at
// rd_e is all written) and the banks' read word are registers loaded from the next state: the
// reader tells the buffer how rd_e changes (rd_step: by BCAST, rd_restart: to 0, else it holds;
// rd_e starts with a restart), and the compares run on this cycle's registers, one for each value
// rd_e and the write index can take next; the write and the reader's decisions only select
// (docs/timing.md).
module rnnfab_in_buf #(
    parameter IN0 = 1,       // elements of a step's input
    parameter AB = 16,       // element width
    parameter BCAST = 1,     // elements of a read beat (a power of two)
    parameter IN_WORDS = 1,  // elements of a stream beat (a power of two dividing BCAST)
    parameter CNT_W = 8,     // width of rd_e (holds IN0 - 1 + BCAST)
    // derived: slot stride, buffer index width, bank depth and address width; leave unset
    parameter IN0W = `RNNFAB_ALIGN(IN0, BCAST),
    parameter IB_W = `RNNFAB_BITS_FOR(2 * IN0W - 1),
    parameter IN_BANK = 2 * IN0W / BCAST,
    parameter IBA_W = `RNNFAB_BITS_FOR(IN_BANK - 1)
) (
    input  wire                  clk,         // clock
    input  wire                  rst,         // synchronous reset: both slots empty
    input  wire [IN_WORDS*AB-1:0] in_data,    // stream: element i + j in [j*AB +: AB]
    input  wire                  in_valid,    // stream valid
    output wire                  in_ready,    // stream ready (the write slot is not full)
    input  wire [     CNT_W-1:0] rd_e,        // the read beat's first element (a multiple of BCAST)
    input  wire                  rd_step,     // rd_e is rd_e + BCAST next cycle
    input  wire                  rd_restart,  // rd_e is 0 next cycle (before rd_step)
    output wire                  rd_ready,    // the read beat's elements are all written
    output wire                  slot_full,   // the read slot holds the whole step
    input  wire                  rd_en,       // read the beat at rd_e
    output wire [  BCAST*AB-1:0] rd_data,     // the beat read (the cycle after rd_en)
    input  wire                  rd_release      // the read slot's step is done: free it
);
  localparam LB = $clog2(BCAST);  // beat lane index width (0: one element per beat)
  // the first element of a step's last stream beat
  localparam IN_LAST_I = ((IN0 - 1) / IN_WORDS) * IN_WORDS;
  localparam BEAT_LAST_I = BCAST - 1;
  localparam [IB_W-1:0] IN_LAST = IN_LAST_I[IB_W-1:0], IN_SLOT1 = IN0W[IB_W-1:0];
  localparam [IB_W-1:0] IN_LANE_MASK = BEAT_LAST_I[IB_W-1:0];
  localparam [IB_W-1:0] IN_WORDS_C = IN_WORDS[IB_W-1:0];

  initial begin
    if (IN0 < 1 || BCAST < 1 || (1 << LB) != BCAST) begin
      $display("%m: IN0=%0d must be at least 1 and BCAST=%0d a power of two", IN0, BCAST);
      $finish;
    end
    if (IN_WORDS < 1 || (1 << $clog2(IN_WORDS)) != IN_WORDS || (BCAST % IN_WORDS) != 0) begin
      $display("%m: IN_WORDS=%0d must be a power of two that divides BCAST=%0d", IN_WORDS, BCAST);
      $finish;
    end
    if ((1 << CNT_W) < IN0 + BCAST) begin
      $display("%m: CNT_W=%0d cannot hold IN0 + BCAST = %0d", CNT_W, IN0 + BCAST);
      $finish;
    end
  end

  reg [1:0] full_q, full_d;  // slot s holds a whole step
  reg wslot_q, wslot_d, rslot_q, rslot_d;  // the slots written and read
  reg [IB_W-1:0] widx_q, widx_d;  // the write slot's next element
  wire in_fire = in_valid && in_ready;
  assign in_ready = !full_q[wslot_q];
  wire [IB_W-1:0] waddr = (wslot_q ? IN_SLOT1 : {IB_W{1'b0}}) + widx_q;
  wire [IB_W-1:0] wword = waddr >> LB;
  always @* begin
    full_d = full_q;
    wslot_d = wslot_q;
    widx_d = widx_q;
    rslot_d = rslot_q;
    if (in_fire) begin
      if (widx_q == IN_LAST) begin
        full_d[wslot_q] = 1'b1;
        wslot_d = !wslot_q;
        widx_d = {IB_W{1'b0}};
      end else begin
        widx_d = widx_q + IN_WORDS_C;
      end
    end
    if (rd_release) begin
      full_d[rslot_q] = 1'b0;
      rslot_d = !rslot_q;
    end
  end
  always @(posedge clk) begin
    if (rst) begin
      full_q <= 2'b00;
      wslot_q <= 1'b0;
      rslot_q <= 1'b0;
      widx_q <= {IB_W{1'b0}};
    end else begin
      full_q <= full_d;
      wslot_q <= wslot_d;
      rslot_q <= rslot_d;
      widx_q <= widx_d;
    end
  end

  // the read beat is ready when every element is written: the slot full, or the slot being
  // written past the beat's last element (widx > e + BCAST - 1). rd_ready_q holds that for this
  // cycle's state; its next value compares both write indexes the next cycle can hold (widx_q, or
  // widx_q + IN_WORDS after a write that is not the step's last; after the last one widx is 0 and
  // the slot full or another) with the three next read elements (rd_e, rd_e + BCAST, 0).
  localparam RW = CNT_W + IB_W + 2;  // compares without overflow
  localparam [RW-1:0] BEAT_LAST_R = BEAT_LAST_I[RW-1:0], BCAST_R = BCAST[RW-1:0];
  localparam [RW-1:0] IN_WORDS_R = IN_WORDS[RW-1:0];
  wire [RW-1:0] w_held = {{(RW - IB_W) {1'b0}}, widx_q};
  wire [RW-1:0] w_written = w_held + IN_WORDS_R;
  wire [RW-1:0] e_held_last = {{(RW - CNT_W) {1'b0}}, rd_e} + BEAT_LAST_R;
  wire [RW-1:0] e_step_last = e_held_last + BCAST_R;
  // past_*[i]: the write index held / after a write is past the last element of the beat at
  // the read element held (i = 0), stepped (1), restarted (2)
  wire [2:0] past_held = {w_held > BEAT_LAST_R, w_held > e_step_last, w_held > e_held_last};
  wire [2:0] past_written = {w_written > BEAT_LAST_R, w_written > e_step_last,
                             w_written > e_held_last};
  wire [1:0] e_next = rd_restart ? 2'd2 : rd_step ? 2'd1 : 2'd0;
  wire w_last = in_fire && widx_q == IN_LAST;  // widx is 0 next cycle
  wire past_next = !w_last && (in_fire ? past_written[e_next] : past_held[e_next]);
  reg rd_ready_q;
  always @(posedge clk) begin
    rd_ready_q <= !rst && (full_d[rslot_d] || (wslot_d == rslot_d && past_next));
  end
  assign rd_ready = rd_ready_q;
  // the read beat's word in every bank, (slot * IN0W + rd_e) div BCAST, a register that follows
  // rd_e as rd_ready_q does: the slot's first word at a restart (the slot read next cycle, after
  // a release), the next word after a step (a beat is one word), else held
  localparam integer SLOT1_WORD_I = IN0W / BCAST;
  localparam [IBA_W-1:0] SLOT1_WORD = SLOT1_WORD_I[IBA_W-1:0];
  reg [IBA_W-1:0] rword_q;
  always @(posedge clk) begin
    if (rst) rword_q <= {IBA_W{1'b0}};
    else if (rd_restart) rword_q <= rslot_d ? SLOT1_WORD : {IBA_W{1'b0}};
    else if (rd_step) rword_q <= rword_q + 1'b1;
  end
  assign slot_full = full_q[rslot_q];

  genvar lane;
  generate
    for (lane = 0; lane < BCAST; lane = lane + 1) begin : gen_bank
      localparam WORD = lane % IN_WORDS;  // the stream beat's element this bank takes
      localparam GROUP_I = lane - WORD;  // the bank of the stream beat's first element
      localparam [IB_W-1:0] GROUP = GROUP_I[IB_W-1:0];
      reg [AB-1:0] mem[0:IN_BANK-1];
      reg [AB-1:0] rd_q;
      always @(posedge clk) begin
        if (in_fire && (waddr & IN_LANE_MASK) == GROUP) mem[wword[IBA_W-1:0]] <= in_data[WORD*AB+:AB];
        if (rd_en) rd_q <= mem[rword_q];
      end
      assign rd_data[lane*AB+:AB] = rd_q;
    end
  endgenerate
  // the high bits of the write word address (beyond a bank's depth)
  wire unused_in_buf = &{1'b0, wword};
endmodule
`default_nettype wire
