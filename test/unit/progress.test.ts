// Progress: one redrawn line on a terminal (other log lines go above it), one line per item elsewhere.

import { describe, expect, it } from "vitest";
import { stderrLogger } from "../../src/cli/stderr-logger.js";
import { memoryLogger } from "../../src/util/log.js";
import { formatBytes, progressLine, startProgress } from "../../src/util/progress.js";

function fakeTerminal() {
  let text = "";
  let clock = 0;
  return {
    stream: { isTTY: true, columns: 100, write: (s: string) => (text += s) },
    now: () => clock,
    tick: (ms: number) => (clock += ms),
    text: () => text,
    /** What a terminal shows: each \r returns to the line start, \x1b[2K clears it. */
    screen: () =>
      text
        .split("\n")
        .map((line) => {
          const parts = line.split("\r");
          return parts[parts.length - 1].replace("\x1b[2K", "");
        })
        .filter((l) => l !== ""),
  };
}

describe("progressLine", () => {
  it("shows items, bytes, rate and ETA, cut to the width", () => {
    const state = {
      title: "fetching",
      total: { items: 4, bytes: 4_000_000, unit: "wheel" },
      items: 1,
      bytes: 1_000_000,
      elapsedMs: 1000,
      last: "a-1.0-py3-none-any.whl",
    };
    expect(progressLine(state, 200)).toBe("fetching 1/4 wheels  1.0 MB/4.0 MB  1.0 MB/s  ETA 3s  a-1.0-py3-none-any.whl");
    expect(progressLine(state, 20)).toHaveLength(20);
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_234_567_890)).toBe("1.2 GB");
  });
});

describe("on a terminal", () => {
  it("redraws one line, prints log lines above it, and leaves only the summary", () => {
    const t = fakeTerminal();
    const log = stderrLogger({ verbose: false, quiet: false, env: { NO_COLOR: "1" }, stream: t.stream, now: t.now });
    const progress = startProgress(log, "fetching", { items: 3, bytes: 300, unit: "wheel" });
    t.tick(150);
    progress.advance("a.whl", 100);
    log.warn("something to know");
    t.tick(10);
    progress.advance("b.whl", 100); // within 100 ms of the last draw: not redrawn
    t.tick(150);
    progress.advance("c.whl", 100);
    progress.done("3 wheels: 3 downloaded");
    expect(t.text()).toContain("\r\x1b[2K");
    expect(t.screen()).toEqual(["warning: something to know", "3 wheels: 3 downloaded"]);
    expect(t.text()).toContain("fetching 3/3 wheels");
    expect(t.text()).not.toContain("fetching 2/3");
  });

  it("draws nothing with --quiet", () => {
    const t = fakeTerminal();
    const log = stderrLogger({ verbose: false, quiet: true, env: {}, stream: t.stream, now: t.now });
    const progress = startProgress(log, "fetching", { items: 1, unit: "wheel" });
    progress.advance("a.whl");
    progress.done("done");
    expect(t.text()).toBe("");
  });
});

describe("elsewhere", () => {
  it("logs one line per item, as a CI log wants", () => {
    const log = memoryLogger();
    const progress = startProgress(log, "fetching", { items: 2, unit: "wheel" });
    progress.advance("a.whl");
    progress.advance("b.whl (already stored)");
    progress.done("2 wheels");
    expect(log.lines).toEqual(["info: [1/2] a.whl", "info: [2/2] b.whl (already stored)", "info: 2 wheels"]);
  });

  it("a pipe gets plain lines from the CLI logger", () => {
    let text = "";
    const log = stderrLogger({ verbose: false, quiet: false, env: {}, stream: { write: (s: string) => (text += s) } });
    const progress = startProgress(log, "fetching", { items: 1, unit: "wheel" });
    progress.advance("a.whl");
    progress.done("1 wheel");
    expect(text).toBe("[1/1] a.whl\n1 wheel\n");
  });
});
