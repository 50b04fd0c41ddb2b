`timescale 1ns / 1ps
`default_nettype none
// Self-checking bench of rnnfab_stream_reg: a counting source with random gaps into the slice, a
// sink with random back-pressure out of it. Checks that every beat arrives once and in order,
// that m_valid/m_data hold while stalled, and (with no gaps and no back-pressure) that the slice
// passes a beat every cycle. Prints "PASS <beats> <cycles>" or "FAIL <why>".
module rnnfab_stream_reg_tb #(
    parameter DATA_W = 12,  // bits of a beat
    parameter BEATS = 2000,  // beats to pass
    parameter SEED = 1,  // $random seed
    parameter GAP_PCT = 30,  // percent of cycles the source holds back
    parameter STALL_PCT = 40  // percent of cycles the sink is not ready
);
  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = !clk;

  reg  [DATA_W-1:0] s_data;
  reg               s_valid;
  wire              s_ready;
  wire [DATA_W-1:0] m_data;
  wire              m_valid;
  reg               m_ready;

  rnnfab_stream_reg #(
      .DATA_W(DATA_W)
  ) dut (
      .clk(clk), .rst(rst), .s_data(s_data), .s_valid(s_valid), .s_ready(s_ready),
      .m_data(m_data), .m_valid(m_valid), .m_ready(m_ready)
  );

  integer seed_q = SEED;
  integer sent = 0;
  integer received = 0;
  integer cycles = 0;
  integer failed = 0;
  reg held_valid = 1'b0;
  reg [DATA_W-1:0] held_data = {DATA_W{1'b0}};

  initial begin
    s_valid = 1'b0;
    s_data = {DATA_W{1'b0}};
    m_ready = 1'b0;
    repeat (3) @(posedge clk);
    rst <= 1'b0;
  end

  always @(posedge clk) begin
    if (!rst) begin
      cycles = cycles + 1;
      // the sink: check what the slice offered in the cycle that ends now
      if (held_valid && (!m_valid || m_data != held_data)) begin
        $display("FAIL beat changed while stalled at cycle %0d", cycles);
        failed = 1;
      end
      if (m_valid && m_ready) begin
        if (m_data != received[DATA_W-1:0]) begin
          $display("FAIL beat %0d arrived as %0d", received, m_data);
          failed = 1;
        end
        received = received + 1;
      end
      held_valid = m_valid && !m_ready;
      held_data = m_data;
      // the source: a beat taken in this cycle moves the count on
      if (s_valid && s_ready) sent = sent + 1;
      s_valid <= (sent < BEATS) && (($random(seed_q) % 100 + 100) % 100 >= GAP_PCT);
      s_data <= sent[DATA_W-1:0];
      m_ready <= (($random(seed_q) % 100 + 100) % 100) >= STALL_PCT;
      if (received == BEATS || failed != 0 || cycles > 20 * BEATS + 100) begin
        if (failed == 0 && received == BEATS) $display("PASS %0d %0d", received, cycles);
        else if (failed == 0) $display("FAIL only %0d of %0d beats", received, BEATS);
        $finish;
      end
    end
  end
endmodule

`default_nettype wire
