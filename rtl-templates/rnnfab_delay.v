`default_nettype none
`include "rnnfab_pkg.vh"
// rnnfab_delay: STAGES cycles of delay along a pipeline; out_data is in_data of STAGES cycles
// earlier for every word the owner uses. The valid bits travel in the owner's rnnfab_ew_stages.
//
// Short delays (STAGES < RING_STAGES) are a chain of registers: stage s shifts when en[s] is high
// (its clock enable): the owner passes the per-stage enables of its pipeline (rnnfab_ew_stages),
// so a stage registers in the cycles a word it will use passes it and holds otherwise (a pipeline
// that never stalls reads each stage in the cycle after it is written). Each data stage is a
// register of its own (not one wide vector shifted as a whole, which Verilator evaluates slowly).
//
// Long delays are a ring of STAGES - 1 words in LUT RAM and one output register: every cycle the
// word at the ring's pointer is read (the value written STAGES - 1 cycles before) into the output
// register and in_data is written in its place, then the pointer steps. The ring shifts every
// cycle, whether a word passes or not, so out_data is in_data of STAGES cycles earlier in every
// cycle, which includes the cycles the register chain defines; the enables are unused. A word of
// W bits over D stages costs ceil(W / 4) * ceil((D - 1) / 16) ECP5 DPR16X4 RAMs instead of W * D
// flip-flops (docs/timing.md, session 27: the LSTM unit's delays held ~1,200 flip-flops per PE).
module rnnfab_delay #(
    parameter WIDTH = 1,  // data bits
    parameter STAGES = 1,  // cycles of delay
    parameter RING_STAGES = 8  // from this many stages on, a LUT-RAM ring (0: always registers)
) (
    input  wire              clk,       // clock
    input  wire              rst,       // synchronous reset: the ring's pointer (registers: unused)
    input  wire [STAGES-1:0] en,        // en[s]: stage s shifts (holds when low; registers only)
    input  wire [ WIDTH-1:0] in_data,   // data in
    output wire [ WIDTH-1:0] out_data   // in_data of STAGES cycles earlier
);
  initial begin
    if (WIDTH < 1 || STAGES < 1 || RING_STAGES < 0 || RING_STAGES == 1) begin
      $display("%m: bad parameters WIDTH=%0d STAGES=%0d RING_STAGES=%0d", WIDTH, STAGES,
               RING_STAGES);
      $finish;
    end
  end

  localparam RING = (RING_STAGES != 0 && STAGES >= RING_STAGES) ? 1 : 0;

  genvar s;
  generate
    if (RING != 0) begin : gen_ring
      localparam WORDS = STAGES - 1;  // the ring's words (the output register is the last stage)
      localparam PW = `RNNFAB_BITS_FOR(WORDS - 1);  // pointer bits (holds WORDS - 1)
      // The pointer's reset only gives it a defined value (any start would do: the ring's delay
      // is the same from every word); the words need none (the valid bits travel outside).
      reg [PW-1:0] pointer_q;
      wire [PW-1:0] pointer_d = (pointer_q >= WORDS[PW-1:0] - 1'b1) ? {PW{1'b0}} :
          pointer_q + 1'b1;
      (* ram_style = "distributed" *)
      reg [WIDTH-1:0] ring_words[0:WORDS-1];
      reg [WIDTH-1:0] out_q;
      always @(posedge clk) begin
        out_q <= ring_words[pointer_q];  // read before the write of this edge: WORDS cycles old
        ring_words[pointer_q] <= in_data;
        pointer_q <= rst ? {PW{1'b0}} : pointer_d;
      end
      assign out_data = out_q;
      wire unused_en = &{1'b0, en};
    end else begin : gen_chain
      for (s = 0; s < STAGES; s = s + 1) begin : gen_stage
        reg [WIDTH-1:0] data_q;  // stage s (stage 0 holds the newest)
        if (s == 0) begin : gen_first
          always @(posedge clk) if (en[s]) data_q <= in_data;
        end else begin : gen_next
          always @(posedge clk) if (en[s]) data_q <= gen_stage[s-1].data_q;
        end
      end
      assign out_data = gen_stage[STAGES-1].data_q;
      wire unused_rst = rst;
    end
  endgenerate
endmodule
`default_nettype wire
