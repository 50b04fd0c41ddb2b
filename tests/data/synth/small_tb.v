`default_nettype none
// Testbench of the small synthesis test design: streams the test vector of vectors.hex, checks
// every output against the expected values there, and prints "PASS" or the first mismatch.
module small_tb;
  localparam INPUTS = 64;  // length of the input vector
  localparam ROWS = 64;    // length of the output vector
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [15:0] vectors [0:INPUTS+ROWS-1];
  reg [15:0] in_data;
  reg in_valid;
  wire in_ready;
  wire [15:0] out_data;
  wire out_valid;
  wire out_last;
  reg out_ready;
  integer sent;
  integer received;
  integer errors;
  integer cycles;

  rnnfab_top dut (
    .clk(clk), .rst(rst), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
    .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready), .out_last(out_last)
  );

  always #5 clk = ~clk;

  initial begin
    $readmemh("vectors.hex", vectors);
    sent = 0;
    received = 0;
    errors = 0;
    cycles = 0;
    in_valid = 1'b0;
    in_data = 16'd0;
    out_ready = 1'b0;
    repeat (3) @(posedge clk);
    rst <= 1'b0;
    while (received < ROWS && cycles < 100000) begin
      in_valid <= sent < INPUTS;
      in_data <= sent < INPUTS ? vectors[sent] : 16'd0;
      out_ready <= (cycles % 3) != 1;
      @(posedge clk);
      cycles = cycles + 1;
      if (in_valid && in_ready) sent = sent + 1;
      if (out_valid && out_ready) begin
        if (out_data !== vectors[INPUTS + received] || out_last !== (received == ROWS - 1)) begin
          if (errors == 0) $display("row %0d: got %h expected %h", received, out_data,
            vectors[INPUTS + received]);
          errors = errors + 1;
        end
        received = received + 1;
      end
    end
    if (errors == 0 && received == ROWS) $display("PASS in %0d cycles", cycles);
    else $display("FAIL: %0d errors, %0d rows", errors, received);
    $finish;
  end
endmodule
