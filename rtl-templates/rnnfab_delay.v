`default_nettype none
// rnnfab_delay: STAGES register stages that carry data along a pipeline; out_data is in_data of
// STAGES cycles earlier for every word the owner uses. Stage s shifts when en[s] is high (its
// clock enable): the owner passes the per-stage enables of its pipeline (rnnfab_ew_stages), so a
// stage registers in the cycles a word it will use passes it and holds otherwise (a pipeline
// that never stalls reads each stage in the cycle after it is written). The valid bits travel
// in the owner's rnnfab_ew_stages. Each data stage is a register of its own (not one wide vector
// shifted as a whole, which Verilator evaluates slowly); the hardware is the same shift chain.
module rnnfab_delay #(
    parameter WIDTH = 1,   // data bits
    parameter STAGES = 1   // register stages
) (
    input  wire              clk,       // clock
    input  wire [STAGES-1:0] en,        // en[s]: stage s shifts (holds when low)
    input  wire [ WIDTH-1:0] in_data,   // data in
    output wire [ WIDTH-1:0] out_data   // in_data of STAGES cycles earlier
);
  initial begin
    if (WIDTH < 1 || STAGES < 1) begin
      $display("%m: bad parameters WIDTH=%0d STAGES=%0d", WIDTH, STAGES);
      $finish;
    end
  end

  genvar s;
  generate
    for (s = 0; s < STAGES; s = s + 1) begin : gen_stage
      reg [WIDTH-1:0] data_q;  // stage s (stage 0 holds the newest)
      if (s == 0) begin : gen_first
        always @(posedge clk) if (en[s]) data_q <= in_data;
      end else begin : gen_next
        always @(posedge clk) if (en[s]) data_q <= gen_stage[s-1].data_q;
      end
    end
  endgenerate
  assign out_data = gen_stage[STAGES-1].data_q;
endmodule
`default_nettype wire
