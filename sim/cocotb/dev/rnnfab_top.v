`default_nettype none
// DEVELOPMENT STAND-IN for the cocotb flow (sim/cocotb/), NOT a generated design and NOT used by
// the final tests. It has the ports of rnnfab_top (see docs/simulation.md) and behaves like the
// accelerator of a model whose weights and biases are all zero (LSTM or GRU: every output word is
// 0): it takes INPUT_SIZE words of a step, "computes" for LATENCY cycles, then offers OUTPUT_SIZE
// zero words with out_last on the last one, honouring back-pressure. Synchronous active-high reset.
module rnnfab_top #(
  parameter AB = 16,            // activation width of in_data/out_data
  parameter INPUT_SIZE = 4,     // input words per time step
  parameter OUTPUT_SIZE = 4,    // output words per time step
  parameter LATENCY = 5,        // cycles between the last input word and the first output word
  parameter COUNT_BITS = 16,    // width of the word and cycle counters
  parameter MEM_DIR = "mem/"    // memory image prefix (the stand-in has no memories)
) (
  input wire clk,
  input wire rst,
  input wire [AB-1:0] in_data,
  input wire in_valid,
  output wire in_ready,
  output wire [AB-1:0] out_data,
  output wire out_valid,
  input wire out_ready,
  output wire out_last
);
  localparam [1:0] RECEIVE = 2'd0;
  localparam [1:0] COMPUTE = 2'd1;
  localparam [1:0] SEND = 2'd2;

  initial begin
    if (INPUT_SIZE < 1 || OUTPUT_SIZE < 1 || LATENCY < 1) begin
      $display("standin_top: INPUT_SIZE, OUTPUT_SIZE and LATENCY must be at least 1");
      $finish;
    end
    if (MEM_DIR == "") begin
      $display("standin_top: MEM_DIR must not be empty");
      $finish;
    end
  end

  reg [1:0] state_q, state_d;
  reg [COUNT_BITS-1:0] count_q, count_d;

  assign in_ready = state_q == RECEIVE;
  assign out_valid = state_q == SEND;
  assign out_data = {AB{1'b0}};
  assign out_last = state_q == SEND && count_q == OUTPUT_SIZE - 1;

  always @* begin
    state_d = state_q;
    count_d = count_q;
    case (state_q)
      RECEIVE: if (in_valid) begin
        count_d = count_q + 1'b1;
        if (count_q == INPUT_SIZE - 1) begin
          state_d = COMPUTE;
          count_d = {COUNT_BITS{1'b0}};
        end
      end
      COMPUTE: begin
        count_d = count_q + 1'b1;
        if (count_q == LATENCY - 1) begin
          state_d = SEND;
          count_d = {COUNT_BITS{1'b0}};
        end
      end
      default: if (out_ready) begin
        count_d = count_q + 1'b1;
        if (count_q == OUTPUT_SIZE - 1) begin
          state_d = RECEIVE;
          count_d = {COUNT_BITS{1'b0}};
        end
      end
    endcase
  end

  always @(posedge clk) begin
    if (rst) begin
      state_q <= RECEIVE;
      count_q <= {COUNT_BITS{1'b0}};
    end else begin
      state_q <= state_d;
      count_q <= count_d;
    end
  end

  wire unused_in_data = ^in_data;
endmodule
`default_nettype wire
